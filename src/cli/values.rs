//! Parsers for the values typed on the command line, each refusing what would make no test and
//! saying how to write it instead. Durations are written as kubectl, Go and k6 write them.

use std::time::Duration;

use crate::units;
pub use crate::units::{DURATION_FORMS, duration_text, parse_duration};

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

/// The success threshold of a stress step, in percent (see [`crate::units::parse_percent`]).
pub fn parse_percent(text: &str) -> Result<f64, String> {
    units::parse_percent(text, "the success threshold")
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
