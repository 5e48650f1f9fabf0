//! Ages the way the API server's printers write them (apimachinery's `HumanDuration`): coarser
//! the older, `<invalid>` for times more than a second in the future, `<unknown>` without a time.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// The age of an RFC 3339 timestamp field at `now`; `<unknown>` when absent or unreadable.
pub(crate) fn since(timestamp: &Value, now: DateTime<Utc>) -> String {
    match timestamp
        .as_str()
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
    {
        Some(at) => human(now.signed_duration_since(at.with_timezone(&Utc))),
        None => "<unknown>".to_string(),
    }
}

/// `d` in kubectl's units: seconds below 2 minutes, then minutes (with seconds below 10), hours
/// (with minutes below 8), days (with hours below 8 days), years (with days below 8 years).
pub(crate) fn human(d: chrono::TimeDelta) -> String {
    let seconds = d.num_seconds();
    // Clocks a second apart count as now.
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        return with_rest(minutes, "m", seconds % 60, "s");
    }
    if minutes < 3 * 60 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        return with_rest(hours, "h", minutes % 60, "m");
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if hours < 24 * 8 {
        return with_rest(days, "d", hours % 24, "h");
    }
    if hours < 24 * 365 * 2 {
        return format!("{days}d");
    }
    if hours < 24 * 365 * 8 {
        return with_rest(days / 365, "y", days % 365, "d");
    }
    format!("{}y", days / 365)
}

fn with_rest(whole: i64, unit: &str, rest: i64, rest_unit: &str) -> String {
    if rest == 0 {
        format!("{whole}{unit}")
    } else {
        format!("{whole}{unit}{rest}{rest_unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn ages_follow_the_unit_boundaries() {
        let cases = [
            (-5, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (119, "119s"),
            (120, "2m"),
            (192, "3m12s"),
            (599, "9m59s"),
            (600, "10m"),
            (3 * 3600 - 1, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 25 * 60, "3h25m"),
            (8 * 3600, "8h"),
            (48 * 3600 - 1, "47h"),
            (51 * 3600, "2d3h"),
            (8 * 86400, "8d"),
            (729 * 86400, "729d"),
            (733 * 86400, "2y3d"),
            (8 * 365 * 86400, "8y"),
        ];
        for (seconds, text) in cases {
            assert_eq!(human(TimeDelta::seconds(seconds)), text, "{seconds} s");
        }
    }

    #[test]
    fn unreadable_or_missing_times_are_unknown() {
        let now = Utc::now();
        assert_eq!(since(&Value::Null, now), "<unknown>");
        assert_eq!(since(&Value::from("yesterday"), now), "<unknown>");
        let at = DateTime::parse_from_rfc3339("2025-01-15T10:00:00Z").unwrap();
        let later = at.with_timezone(&Utc) + TimeDelta::seconds(312);
        assert_eq!(since(&Value::from("2025-01-15T10:00:00Z"), later), "5m12s");
    }
}
