//! Parsers for the values typed on the command line, each refusing what would make no test and
//! saying how to write it instead. Durations are written as kubectl, Go and k6 write them.

use std::time::Duration;

/// The help text every duration flag ends with.
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

/// A duration that must be above zero: a test phase or a timeout of zero sends nothing.
pub fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    if duration.is_zero() {
        return Err(format!(
            "{text:?} is zero: nothing would be sent; give a length above 0, e.g. 30s or 1m30s"
        ));
    }
    Ok(duration)
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

/// A rate in requests per second: positive and finite.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate < 0.0 => Err(format!(
            "{text} is a negative rate; give requests per second above 0, e.g. 2 or 0.5"
        )),
        Ok(rate) if rate > 0.0 && rate.is_finite() && rate <= 1_000_000.0 => Ok(rate),
        _ => Err(format!(
            "{text:?} is not a rate; give requests per second above 0 and at most 1000000, e.g. 2 or 0.5"
        )),
    }
}

/// A success threshold in percent, 0 to 100. `95` and `95%` mean 95 %; a bare value in (0, 1]
/// is refused because `0.95` could mean 95 % or 0.95 %: write `95` or `0.95%`.
pub fn parse_percent(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let (number, explicit) = match trimmed.strip_suffix('%') {
        Some(number) => (number.trim(), true),
        None => (trimmed, false),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a percentage; write e.g. 95 for 95 %"))?;
    if !(0.0..=100.0).contains(&value) {
        return Err(format!(
            "{text} is outside 0-100; the success threshold is a percentage, e.g. 95 for 95 %"
        ));
    }
    if !explicit && value > 0.0 && value <= 1.0 {
        return Err(format!(
            "{text} is ambiguous: a fraction ({} %) or a percentage ({value} %)? The value is in \
             percent: write {} for {} %, or {value}% if you mean {value} %",
            value * 100.0,
            value * 100.0,
            value * 100.0
        ));
    }
    Ok(value)
}

/// Parses `10x2` (10 requests, 2 concurrent workers).
pub fn parse_scenario(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("{text:?} is not a scenario; write REQUESTSxCONCURRENCY such as 10x2");
    let (requests, workers) = text.trim().split_once(['x', 'X']).ok_or_else(bad)?;
    let requests: u32 = requests.trim().parse().map_err(|_| bad())?;
    let workers: u32 = workers.trim().parse().map_err(|_| bad())?;
    if requests == 0 || workers == 0 {
        return Err(bad());
    }
    Ok((requests, workers))
}

/// The service's base URL: `http(s)://host[:port]`, no path (that is `--path`).
pub fn parse_base_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    if !text.contains("://") {
        return Err(format!(
            "{text:?} has no scheme; write http://{text} (or https://{text})"
        ));
    }
    let url = reqwest::Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{text:?}: scheme {:?} is not supported; use http:// or https://",
            url.scheme()
        ));
    }
    if url.path() != "/" && !url.path().is_empty() {
        let mut base = url.clone();
        base.set_path("");
        return Err(format!(
            "--url is the service's base and {text:?} has the path {path:?}: write --url {} --path {path}",
            base.as_str().trim_end_matches('/'),
            path = url.path()
        ));
    }
    Ok(text.trim_end_matches('/').to_string())
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
    fn zero_lengths_rates_and_percentages_are_refused_with_the_fix() {
        assert_eq!(
            parse_positive_duration("0s").unwrap_err(),
            "\"0s\" is zero: nothing would be sent; give a length above 0, e.g. 30s or 1m30s"
        );
        assert_eq!(parse_rate("2.5"), Ok(2.5));
        assert_eq!(
            parse_rate("-5").unwrap_err(),
            "-5 is a negative rate; give requests per second above 0, e.g. 2 or 0.5"
        );
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("inf").is_err());
        assert_eq!(parse_percent("95"), Ok(95.0));
        assert_eq!(parse_percent("95%"), Ok(95.0));
        assert_eq!(parse_percent("0.5%"), Ok(0.5));
        assert_eq!(parse_percent("0"), Ok(0.0));
        assert_eq!(
            parse_percent("150").unwrap_err(),
            "150 is outside 0-100; the success threshold is a percentage, e.g. 95 for 95 %"
        );
        assert_eq!(
            parse_percent("0.95").unwrap_err(),
            "0.95 is ambiguous: a fraction (95 %) or a percentage (0.95 %)? The value is in \
             percent: write 95 for 95 %, or 0.95% if you mean 0.95 %"
        );
        assert_eq!(parse_scenario("10x2"), Ok((10, 2)));
        assert!(parse_scenario("10").is_err());
        assert!(parse_scenario("0x2").is_err());
    }

    #[test]
    fn base_urls_need_a_scheme_and_no_path() {
        assert_eq!(
            parse_base_url("http://127.0.0.1:8000/"),
            Ok("http://127.0.0.1:8000".into())
        );
        assert_eq!(
            parse_base_url("127.0.0.1:8000").unwrap_err(),
            "\"127.0.0.1:8000\" has no scheme; write http://127.0.0.1:8000 (or https://127.0.0.1:8000)"
        );
        assert_eq!(
            parse_base_url("localhost:8000").unwrap_err(),
            "\"localhost:8000\" has no scheme; write http://localhost:8000 (or https://localhost:8000)"
        );
        assert_eq!(
            parse_base_url("http://host/chat").unwrap_err(),
            "--url is the service's base and \"http://host/chat\" has the path \"/chat\": write \
             --url http://host --path /chat"
        );
        assert!(parse_base_url("ftp://host").is_err());
    }
}
