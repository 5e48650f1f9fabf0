//! Soak test: the per-minute table, and a stability verdict from three rules over the
//! minutes' average latency: leading warm-up minutes (above 1.5× the median) are named and left
//! out; the drift of the least-squares trend over the rest stays within ±10 % of its fitted
//! start; no other minute is more than ±25 % from the median; and every minute (warm-up too)
//! has 100 % success.

use serde::Serialize;

use super::figure::{Figure, PERCENT, REQUESTS, SECONDS};
use super::scenarios::{PhaseFigures, ScenarioRow};
use polars::prelude::DataFrame;

use super::stats::{latency_stats_of, least_squares};
use super::windows::{WindowRow, windows_of};
use super::{duration_between, file_name};
use crate::ingest::SoakRun;

/// Leading minutes whose average is above this multiple of the median are warm-up.
pub const WARMUP_FACTOR: f64 = 1.5;
/// The trend over the soak (after warm-up) may change the average by this much and be stable.
pub const DRIFT_LIMIT_PCT: f64 = 10.0;
/// A minute (after warm-up) further than this from the median is an outlier.
pub const OUTLIER_PCT: f64 = 25.0;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SoakMinute {
    pub minute: u32,
    pub requests: Figure,
    pub avg: Figure,
    pub p95: Figure,
    pub success_rate: Figure,
    pub avg_vs_median_pct: Figure,
}

/// The stability rules' findings over the minutes' average latency.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Stability {
    pub minutes: usize,
    /// Median of the minutes' averages (the middle value, or the mean of the two middle ones).
    pub median_avg_s: f64,
    /// Leading minutes above [`WARMUP_FACTOR`] × the median, left out of the trend and outliers.
    pub warmup: Vec<u32>,
    /// Minutes the trend was fitted over.
    pub trend_minutes: usize,
    /// Least-squares slope × (last − first minute of the trend) / the trend's fitted value at
    /// its first minute, in percent. None with fewer than two minutes after warm-up.
    pub drift_pct: Option<f64>,
    /// Minutes after warm-up further than [`OUTLIER_PCT`] from the median: (minute, % off).
    pub outliers: Vec<(u32, f64)>,
    /// Minutes below 100 % success, warm-up included: (minute, success %).
    pub failing: Vec<(u32, f64)>,
}

impl Stability {
    pub fn drifted(&self) -> bool {
        self.drift_pct.is_some_and(|d| d.abs() > DRIFT_LIMIT_PCT)
    }

    pub fn stable(&self) -> bool {
        !self.drifted() && self.outliers.is_empty() && self.failing.is_empty()
    }
}

/// The soak verdict as a fact; render/soak_words.rs words it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SoakVerdict {
    /// Interrupted (Ctrl-C) with no figures in its file.
    Interrupted,
    /// No per-minute averages to judge.
    NoMinutes,
    Judged(Stability),
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
    pub verdict: SoakVerdict,
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
    let (minutes, minutes_source) = block_minutes(run, &file, &log);
    let clock_minutes = records
        .and_then(|f| windows_of(f, 60).ok())
        .unwrap_or_default();
    let verdict = verdict(run, &minutes);
    let stable = match &verdict {
        SoakVerdict::Judged(s) => Some(s.stable()),
        _ => None,
    };
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

fn block_minutes(run: &SoakRun, file: &str, log: &str) -> (Vec<SoakMinute>, String) {
    let (mut rows, source) = minute_rows(run, file, log);
    let median = median(&rows.iter().filter_map(|m| m.avg.value).collect::<Vec<_>>());
    for m in &mut rows {
        m.avg_vs_median_pct = match (m.avg.value, median) {
            (Some(a), Some(md)) if md > 0.0 => {
                Figure::known(100.0 * (a - md) / md, PERCENT, m.avg.source.clone())
                    .method("(minute avg − median of the minutes' avg) / median")
            }
            _ => Figure::unavailable(PERCENT, "needs the minute's average and the median"),
        };
    }
    (rows, source)
}

/// The median of `values` (polars: linear interpolation, type 7 at 0.5).
fn median(values: &[f64]) -> Option<f64> {
    use polars::prelude::NamedFrom;
    polars::prelude::Series::new("v".into(), values).median()
}

fn minute_rows(run: &SoakRun, file: &str, log: &str) -> (Vec<SoakMinute>, String) {
    let pending = || Figure::unavailable(PERCENT, "needs the minute's average and the median");
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
                    avg_vs_median_pct: pending(),
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
            avg_vs_median_pct: pending(),
        })
        .collect();
    (rows, format!("{log} degradation table"))
}

fn verdict(run: &SoakRun, minutes: &[SoakMinute]) -> SoakVerdict {
    if run.interrupted && minutes.is_empty() {
        return SoakVerdict::Interrupted;
    }
    let averages: Vec<(u32, f64)> = minutes
        .iter()
        .filter_map(|m| Some((m.minute, m.avg.value?)))
        .collect();
    let Some(median) = median(&averages.iter().map(|a| a.1).collect::<Vec<_>>()) else {
        return SoakVerdict::NoMinutes;
    };
    let warmup: Vec<u32> = averages
        .iter()
        .take_while(|(_, a)| *a > WARMUP_FACTOR * median)
        .map(|(m, _)| *m)
        .collect();
    let rest: Vec<(f64, f64)> = averages[warmup.len()..]
        .iter()
        .map(|(m, a)| (f64::from(*m), *a))
        .collect();
    let drift_pct = (rest.len() >= 2)
        .then(|| {
            let (slope, intercept) = least_squares(&rest);
            let (first, last) = (rest[0].0, rest[rest.len() - 1].0);
            let start = intercept + slope * first;
            (start > 0.0).then(|| 100.0 * slope * (last - first) / start)
        })
        .flatten();
    let outliers = rest
        .iter()
        .map(|(m, a)| (*m as u32, 100.0 * (a - median) / median))
        .filter(|(_, off)| off.abs() > OUTLIER_PCT)
        .collect();
    let failing = minutes
        .iter()
        .filter_map(|m| Some((m.minute, m.success_rate.value?)))
        .filter(|(_, s)| *s < 100.0)
        .collect();
    SoakVerdict::Judged(Stability {
        minutes: averages.len(),
        median_avg_s: median,
        warmup,
        trend_minutes: rest.len(),
        drift_pct,
        outliers,
        failing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Minutes 1, 2, … with these averages (s) and success rates (%).
    fn minutes(avgs: &[f64], success: &[f64]) -> Vec<SoakMinute> {
        avgs.iter()
            .zip(success)
            .enumerate()
            .map(|(i, (avg, ok))| SoakMinute {
                minute: i as u32 + 1,
                requests: Figure::known(60.0, REQUESTS, "f"),
                avg: Figure::known(*avg, SECONDS, "f"),
                p95: Figure::known(*avg, SECONDS, "f"),
                success_rate: Figure::known(*ok, PERCENT, "f"),
                avg_vs_median_pct: Figure::unavailable(PERCENT, "not needed"),
            })
            .collect()
    }

    fn judged(avgs: &[f64], success: &[f64]) -> Stability {
        match verdict(&SoakRun::default(), &minutes(avgs, success)) {
            SoakVerdict::Judged(s) => s,
            other => panic!("no verdict: {other:?}"),
        }
    }

    #[test]
    fn one_warm_up_minute_leaves_a_flat_soak_stable() {
        // Median 2.0; minute 1 (6.0 > 1.5 × 2.0) is warm-up; the rest is flat.
        let mut avgs = vec![6.0];
        avgs.extend([2.0; 9]);
        let s = judged(&avgs, &[100.0; 10]);
        assert_eq!(s.median_avg_s, 2.0);
        assert_eq!(s.warmup, [1]);
        assert_eq!(s.trend_minutes, 9);
        assert_eq!(s.drift_pct, Some(0.0));
        assert!(s.outliers.is_empty());
        assert!(s.stable());
    }

    #[test]
    fn a_steady_rise_is_drift_even_inside_ten_percent_of_the_mean() {
        // 2.0 → 2.4 s over minutes 1-5: slope 0.1 s/min, fitted start 2.0 s, change 0.4 s
        // over the soak = +20 %. Median 2.2: no minute is 25 % off.
        let s = judged(&[2.0, 2.1, 2.2, 2.3, 2.4], &[100.0; 5]);
        assert!(s.warmup.is_empty());
        assert!((s.drift_pct.unwrap() - 20.0).abs() < 1e-9);
        assert!(s.outliers.is_empty());
        assert!(s.drifted());
        assert!(!s.stable());
    }

    #[test]
    fn outliers_are_judged_against_the_median_and_failures_count_in_warm_up() {
        // Median 2.0; minute 3 is +50 %; the slope is 0 (symmetric around minute 3).
        let s = judged(&[2.0, 2.0, 3.0, 2.0, 2.0], &[100.0; 5]);
        assert_eq!(s.outliers, [(3, 50.0)]);
        assert_eq!(s.drift_pct, Some(0.0));
        assert!(!s.stable());
        // A warm-up minute below 100 % success still fails the soak.
        let s = judged(&[6.0, 2.0, 2.0, 2.0], &[90.0, 100.0, 100.0, 100.0]);
        assert_eq!(s.warmup, [1]);
        assert_eq!(s.failing, [(1, 90.0)]);
        assert!(!s.stable());
    }

    #[test]
    fn a_single_minute_has_no_trend() {
        let s = judged(&[2.0], &[100.0]);
        assert_eq!(s.drift_pct, None);
        assert!(s.stable());
    }
}
