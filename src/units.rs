//! Durations and percentages as people type them, read and printed one way everywhere: on the
//! command line, in the objectives file and in console lines; numbers with three significant
//! digits, as names and tables print them. Depends on nothing else here.

use std::time::Duration;

/// How a duration may be written; every duration flag's help ends with it.
pub const DURATION_FORMS: &str = "as kubectl/Go/k6 write it: 1m30s, 90s, 500ms, 2h";

/// Parses a Go-style duration (`1m30s`, `1h2m`, `1.5s`, `500ms`) or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad =
        |why: String| format!("{text:?} is not a duration ({why}); write it {DURATION_FORMS}");
    if text.is_empty() {
        return Err(bad("empty".into()));
    }
    if text.starts_with('-') {
        return Err(bad("negative".into()));
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).map_err(|_| bad("out of range".into()));
    }
    let mut rest = text;
    let mut seconds = 0.0_f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| bad(format!("{rest:?} has no unit")))?;
        let (number, after) = rest.split_at(number_len);
        let value: f64 = number
            .parse()
            .map_err(|_| bad(format!("a number is missing before {after:?}")))?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let scale = match unit {
            "h" => 3600.0,
            "m" | "min" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            other => return Err(bad(format!("unknown unit {other:?}; use h, m, s or ms"))),
        };
        seconds += value * scale;
        rest = next;
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| bad("out of range".into()))
}

/// Prints a duration the way [`parse_duration`] reads it: `6m`, `1m30s`, `250ms`, `1.5s`.
pub fn duration_text(duration: Duration) -> String {
    let total_ms = duration.as_millis();
    if total_ms == 0 {
        return if duration.is_zero() {
            "0s".into()
        } else {
            format!("{}us", duration.as_micros())
        };
    }
    if total_ms < 1000 {
        return format!("{total_ms}ms");
    }
    let (hours, minutes) = (total_ms / 3_600_000, total_ms / 60_000 % 60);
    let millis_of_minute = total_ms % 60_000;
    let mut text = String::new();
    if hours > 0 {
        text.push_str(&format!("{hours}h"));
    }
    if minutes > 0 {
        text.push_str(&format!("{minutes}m"));
    }
    if millis_of_minute > 0 {
        let seconds = format!("{:.3}", millis_of_minute as f64 / 1000.0);
        text.push_str(seconds.trim_end_matches('0').trim_end_matches('.'));
        text.push('s');
    }
    text
}

/// A percentage, 0 to 100: `95` and `95%` mean 95 %. A bare value in (0, 1] is refused because
/// `0.95` could mean 95 % or 0.95 %: write `95` or `0.95%`. `what` names the value in the error
/// ("the success threshold").
pub fn parse_percent(text: &str, what: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let (number, explicit) = match trimmed.strip_suffix('%') {
        Some(number) => (number.trim(), true),
        None => (trimmed, false),
    };
    let value: f64 = number
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| format!("{text:?} is not a percentage; write e.g. 95 for 95 %"))?;
    if !(0.0..=100.0).contains(&value) {
        return Err(format!(
            "{text} is outside 0-100; {what} is a percentage, e.g. 95 for 95 %"
        ));
    }
    if !explicit && value > 0.0 && value <= 1.0 {
        let as_share = value * 100.0;
        return Err(format!(
            "{text} is ambiguous: a fraction ({as_share} %) or a percentage ({value} %)? The value \
             is in percent: write {as_share} for {as_share} %, or {value}% if you mean {value} %"
        ));
    }
    Ok(value)
}

/// Seconds with three significant digits (0.394 s, 3.52 s, 12.4 s), milliseconds never.
pub fn seconds(v: f64) -> String {
    format!("{} s", significant(v))
}

/// Three significant digits, at least one decimal below 1000.
pub fn significant(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// A number without trailing decimal zeros, for axis ticks and names: `100`, `2.5`, `0.04`.
pub fn plain(v: f64) -> String {
    let text = significant(v);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_go_and_print_back_the_same_way() {
        let s = Duration::from_secs;
        assert_eq!(parse_duration("30s"), Ok(s(30)));
        assert_eq!(parse_duration("10m"), Ok(s(600)));
        assert_eq!(parse_duration("1m30s"), Ok(s(90)));
        assert_eq!(parse_duration("1h2m3s"), Ok(s(3723)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2"), Ok(s(2)));
        for bad in ["ten", "5d", "1m30", "-5s", "m", "", "1e400"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_duration("5d").unwrap_err(),
            "\"5d\" is not a duration (unknown unit \"d\"; use h, m, s or ms); write it as \
             kubectl/Go/k6 write it: 1m30s, 90s, 500ms, 2h"
        );
        assert_eq!(duration_text(s(360)), "6m");
        assert_eq!(duration_text(s(90)), "1m30s");
        assert_eq!(duration_text(s(3723)), "1h2m3s");
        assert_eq!(duration_text(Duration::from_millis(250)), "250ms");
        assert_eq!(duration_text(Duration::from_millis(1500)), "1.5s");
        assert_eq!(duration_text(Duration::ZERO), "0s");
        for text in ["6m", "1m30s", "250ms", "1.5s", "1h0m1s", "18s"] {
            let d = parse_duration(text).unwrap();
            assert_eq!(parse_duration(&duration_text(d)), Ok(d), "{text}");
        }
    }

    #[test]
    fn percentages_take_the_number_or_its_sign_and_refuse_a_bare_share() {
        let what = "the bound";
        assert_eq!(parse_percent("95", what), Ok(95.0));
        assert_eq!(parse_percent("95%", what), Ok(95.0));
        assert_eq!(parse_percent(" 99.5 % ", what), Ok(99.5));
        assert_eq!(parse_percent("0.5%", what), Ok(0.5));
        assert_eq!(parse_percent("0", what), Ok(0.0));
        assert_eq!(
            parse_percent("150", what).unwrap_err(),
            "150 is outside 0-100; the bound is a percentage, e.g. 95 for 95 %"
        );
        assert_eq!(
            parse_percent("0.95", what).unwrap_err(),
            "0.95 is ambiguous: a fraction (95 %) or a percentage (0.95 %)? The value is in \
             percent: write 95 for 95 %, or 0.95% if you mean 0.95 %"
        );
        for bad in ["NaN", "inf", "95 percent", ""] {
            assert!(parse_percent(bad, what).is_err(), "{bad}");
        }
    }
}
