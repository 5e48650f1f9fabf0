//! The soak verdict in words, naming the rule behind it.

use super::format::{percent, seconds};
use crate::analyze::soak::{DRIFT_LIMIT_PCT, OUTLIER_PCT, SoakVerdict, Stability, WARMUP_FACTOR};

pub fn verdict(v: &SoakVerdict) -> String {
    match v {
        SoakVerdict::Interrupted => {
            "No verdict: the soak test was interrupted (Ctrl-C) and its file holds no figures."
                .into()
        }
        SoakVerdict::NoMinutes => {
            "No verdict: the per-minute average latencies are missing.".into()
        }
        SoakVerdict::Judged(s) => judged(s),
    }
}

fn minutes(list: &[u32]) -> String {
    list.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn judged(s: &Stability) -> String {
    let warmup = match s.warmup.len() {
        0 => "no warm-up minute".to_string(),
        1 => format!("warm-up: minute {} (left out)", minutes(&s.warmup)),
        _ => format!("warm-up: minutes {} (left out)", minutes(&s.warmup)),
    };
    let drift = match s.drift_pct {
        Some(d) => format!(
            "drift {d:+.1} % over the soak (least-squares trend of {} minutes, relative to its fitted start; limit ±{DRIFT_LIMIT_PCT:.0} %)",
            s.trend_minutes
        ),
        None => "drift not judged (fewer than 2 minutes after warm-up)".into(),
    };
    let outliers = match s
        .outliers
        .iter()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
    {
        None => format!(
            "no minute beyond ±{OUTLIER_PCT:.0} % of the median {}",
            seconds(s.median_avg_s)
        ),
        Some((m, off)) => format!(
            "{} minute(s) beyond ±{OUTLIER_PCT:.0} % of the median {} (furthest: minute {m}, {off:+.1} %)",
            s.outliers.len(),
            seconds(s.median_avg_s)
        ),
    };
    let success = match s.failing.iter().min_by(|a, b| a.1.total_cmp(&b.1)) {
        None => "100 % success in every minute".to_string(),
        Some((m, ok)) => format!(
            "{} minute(s) below 100 % success (lowest: minute {m}, {})",
            s.failing.len(),
            percent(*ok)
        ),
    };
    let mut failed = Vec::new();
    if s.drifted() {
        failed.push("drift");
    }
    if !s.outliers.is_empty() {
        failed.push("outliers");
    }
    if !s.failing.is_empty() {
        failed.push("success");
    }
    let head = if failed.is_empty() {
        "Stable".to_string()
    } else {
        format!("Not stable ({} rule)", failed.join(", "))
    };
    format!(
        "{head}: {drift}; {outliers}; {success}; {warmup} (leading minutes above {WARMUP_FACTOR}× the median, over the minutes' average latency)."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_names_the_rule_that_failed() {
        let s = Stability {
            minutes: 5,
            median_avg_s: 2.2,
            warmup: vec![],
            trend_minutes: 5,
            drift_pct: Some(20.0),
            outliers: vec![],
            failing: vec![],
        };
        assert_eq!(
            verdict(&SoakVerdict::Judged(s)),
            "Not stable (drift rule): drift +20.0 % over the soak (least-squares trend of 5 minutes, relative to its fitted start; limit ±10 %); no minute beyond ±25 % of the median 2.20 s; 100 % success in every minute; no warm-up minute (leading minutes above 1.5× the median, over the minutes' average latency)."
        );
        let s = Stability {
            minutes: 10,
            median_avg_s: 2.0,
            warmup: vec![1],
            trend_minutes: 9,
            drift_pct: Some(0.0),
            outliers: vec![],
            failing: vec![],
        };
        assert!(verdict(&SoakVerdict::Judged(s)).starts_with("Stable: drift +0.0 %"),);
    }
}
