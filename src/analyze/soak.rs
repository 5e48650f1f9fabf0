//! Soak test: the per-minute table, and a stability verdict (every minute's average within
//! ±10 % of the overall mean and 100 % success).

use serde::Serialize;

use super::figure::{Figure, PERCENT, REQUESTS, SECONDS};
use super::scenarios::{PhaseFigures, ScenarioRow};
use polars::prelude::DataFrame;

use super::stats::latency_stats_of;
use super::windows::{WindowRow, windows_of};
use super::{duration_between, file_name};
use crate::ingest::SoakRun;

/// A minute's average may stray this far from the overall mean and still count as stable.
pub const STABLE_BAND_PCT: f64 = 10.0;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SoakMinute {
    pub minute: u32,
    pub requests: Figure,
    pub avg: Figure,
    pub p95: Figure,
    pub success_rate: Figure,
    pub avg_vs_mean_pct: Figure,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SoakReport {
    pub label: String,
    pub source: String,
    pub interrupted: bool,
    pub target_rps: Figure,
    pub duration_minutes: Figure,
    pub overall: Option<ScenarioRow>,
    /// The script's "minutes": blocks of 60 × rps results in completion order.
    pub minutes: Vec<SoakMinute>,
    pub minutes_source: String,
    /// Clock minutes from per-request records, when kept.
    pub clock_minutes: Vec<WindowRow>,
    pub stable: Option<bool>,
    pub verdict: String,
}

/// `records`: the run's records as a frame ([`super::stats::records_frame`]), when it kept them.
pub fn analyze(run: &SoakRun, label: &str, records: Option<&DataFrame>) -> SoakReport {
    let file = file_name(run.sources.file.as_deref());
    let log = file_name(run.sources.log.as_deref());
    let console = run.console.as_ref();
    let duration = console
        .and_then(|c| duration_between(c.start, c.end))
        .map(|d| (d, format!("{log} start and analysis lines")));
    let stats = records.and_then(|f| latency_stats_of(f).ok());
    let records_source = format!("{file} all_results ({} records)", run.records.len());
    let overall = (!run.interrupted || stats.is_some()).then(|| {
        PhaseFigures {
            test: "Soak",
            name: label,
            file_name: &file,
            analysis: run.overall.as_ref(),
            records: stats.as_ref().map(|s| (s, records_source.as_str())),
            duration,
            console: None,
            exact_percentiles: run.generator.is_some(),
        }
        .row()
    });
    let mean = overall.as_ref().and_then(|o| o.avg.value);
    let (minutes, minutes_source) = block_minutes(run, &file, &log, mean);
    let clock_minutes = records
        .and_then(|f| windows_of(f, 60).ok())
        .unwrap_or_default();
    let (stable, verdict) = verdict(run, &minutes, mean);
    SoakReport {
        label: label.to_string(),
        source: run.sources.describe(),
        interrupted: run.interrupted,
        target_rps: Figure::from_option(run.target_rps, "req/s", &file, "not recorded"),
        duration_minutes: Figure::from_option(run.duration_minutes, "min", &file, "not recorded"),
        overall,
        minutes,
        minutes_source,
        clock_minutes,
        stable,
        verdict,
    }
}

fn block_minutes(
    run: &SoakRun,
    file: &str,
    log: &str,
    mean: Option<f64>,
) -> (Vec<SoakMinute>, String) {
    let vs_mean = |avg: Option<f64>, source: &str| match (avg, mean) {
        (Some(a), Some(m)) if m > 0.0 => Figure::known(100.0 * (a - m) / m, PERCENT, source)
            .method("(minute avg − overall avg) / overall avg"),
        _ => Figure::unavailable(PERCENT, "needs the minute's and the overall average"),
    };
    if !run.chunks.is_empty() {
        let rows = run
            .chunks
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let rate = match (c.successful, c.total) {
                    (Some(s), Some(t)) if t > 0 => Some(100.0 * s as f64 / t as f64),
                    _ => c.success_rate,
                };
                SoakMinute {
                    minute: i as u32 + 1,
                    requests: Figure::from_option(
                        c.total.map(|t| t as f64),
                        REQUESTS,
                        file,
                        "not recorded",
                    ),
                    avg: Figure::from_option(c.avg_latency, SECONDS, file, "not recorded"),
                    p95: Figure::from_option(c.p95_latency, SECONDS, file, "not recorded"),
                    success_rate: Figure::from_option(rate, PERCENT, file, "not recorded"),
                    avg_vs_mean_pct: vs_mean(c.avg_latency, file),
                }
            })
            .collect();
        return (rows, format!("{file} per_minute_chunks"));
    }
    let Some(console) = run.console.as_ref().filter(|c| !c.minutes.is_empty()) else {
        return (Vec::new(), String::new());
    };
    let rows = console
        .minutes
        .iter()
        .map(|m| SoakMinute {
            minute: m.minute,
            requests: Figure::unavailable(REQUESTS, "the console table has no counts"),
            avg: Figure::from_option(m.avg_s, SECONDS, log, "not printed"),
            p95: Figure::from_option(m.p95_s, SECONDS, log, "not printed"),
            success_rate: Figure::from_option(m.success_rate, PERCENT, log, "not printed"),
            avg_vs_mean_pct: vs_mean(m.avg_s, log),
        })
        .collect();
    (rows, format!("{log} degradation table"))
}

fn verdict(run: &SoakRun, minutes: &[SoakMinute], mean: Option<f64>) -> (Option<bool>, String) {
    if run.interrupted && minutes.is_empty() {
        return (
            None,
            "No verdict: the soak test was interrupted (Ctrl-C) and its file holds no figures."
                .into(),
        );
    }
    if minutes.is_empty() || mean.is_none() {
        return (
            None,
            "No verdict: the per-minute figures or the overall average are missing.".into(),
        );
    }
    let strayed: Vec<(u32, f64)> = minutes
        .iter()
        .filter_map(|m| Some((m.minute, m.avg_vs_mean_pct.value?)))
        .filter(|(_, d)| d.abs() > STABLE_BAND_PCT)
        .collect();
    let failing: Vec<(u32, f64)> = minutes
        .iter()
        .filter_map(|m| Some((m.minute, m.success_rate.value?)))
        .filter(|(_, s)| *s < 100.0)
        .collect();
    let mut reasons = Vec::new();
    if let Some((minute, d)) = strayed
        .iter()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
    {
        reasons.push(format!(
            "{} of {} minutes' average latency outside ±{STABLE_BAND_PCT} % of the mean (furthest: minute {minute}, {d:+.1} %)",
            strayed.len(),
            minutes.len()
        ));
    }
    if let Some((minute, s)) = failing.iter().min_by(|a, b| a.1.total_cmp(&b.1)) {
        reasons.push(format!(
            "{} minute(s) below 100 % success (lowest: minute {minute}, {s:.1} %)",
            failing.len()
        ));
    }
    if reasons.is_empty() {
        (
            Some(true),
            format!(
                "Stable: every minute's average latency within ±{STABLE_BAND_PCT} % of the overall mean, 100 % success in every minute."
            ),
        )
    } else {
        (Some(false), format!("Not stable: {}.", reasons.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minute(minute: u32, vs_mean_pct: f64, success_pct: f64) -> SoakMinute {
        SoakMinute {
            minute,
            requests: Figure::known(60.0, REQUESTS, "f"),
            avg: Figure::known(2.5, SECONDS, "f"),
            p95: Figure::known(2.5, SECONDS, "f"),
            success_rate: Figure::known(success_pct, PERCENT, "f"),
            avg_vs_mean_pct: Figure::known(vs_mean_pct, PERCENT, "f"),
        }
    }

    #[test]
    fn verdict_counts_the_minutes_that_strayed_and_names_the_furthest() {
        let minutes = [
            minute(1, 123.6, 93.3),
            minute(2, -12.8, 100.0),
            minute(3, -9.0, 99.0),
            minute(4, 5.0, 100.0),
        ];
        let (stable, text) = verdict(&SoakRun::default(), &minutes, Some(2.9));
        assert_eq!(stable, Some(false));
        assert_eq!(
            text,
            "Not stable: 2 of 4 minutes' average latency outside ±10 % of the mean (furthest: minute 1, +123.6 %); 2 minute(s) below 100 % success (lowest: minute 1, 93.3 %)."
        );
        let calm = [minute(1, 9.9, 100.0), minute(2, -9.9, 100.0)];
        assert_eq!(verdict(&SoakRun::default(), &calm, Some(2.5)).0, Some(true));
    }
}
