//! The per-scenario table: every basic-load scenario, spike phase and soak run as one row of the
//! same figures, each from the best input available: per-request records (exact), then the
//! results file, then the console log.

use serde::Serialize;

use super::figure::{Figure, PERCENT, REQ_PER_S, REQUESTS, SECONDS, TOKENS_PER_S};
use super::stats::{LatencyStats, PERCENTILE_METHOD};
use crate::ingest::console::ConsoleScenario;
use crate::ingest::results::{Analysis, BasicScenario};

pub const NOT_RECORDED: &str = "not recorded by the test script";

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScenarioRow {
    pub test: String,
    pub name: String,
    pub source: String,
    pub requests: Figure,
    pub success_rate: Figure,
    pub avg: Figure,
    pub p50: Figure,
    pub p95: Figure,
    pub p99: Figure,
    pub min: Figure,
    pub max: Figure,
    pub requests_per_s: Figure,
    pub tokens_per_s: Figure,
}

/// Flags p99 when it is below p95: impossible for a true percentile, printed by the scripts for
/// small samples.
pub fn flag_inverted_p99(p95: &Figure, p99: Figure) -> Figure {
    match (p95.value, p99.value) {
        (Some(a), Some(b)) if b < a => {
            p99.flag("below p95: the script's p99 is wrong for small samples; do not quote it")
        }
        _ => p99,
    }
}

fn pct(successful: Option<u64>, total: Option<u64>) -> Option<f64> {
    match (successful, total) {
        (Some(s), Some(t)) if t > 0 => Some(100.0 * s as f64 / t as f64),
        _ => None,
    }
}

pub fn basic_row(
    name: &str,
    file: Option<&BasicScenario>,
    console: Option<&ConsoleScenario>,
    file_name: &str,
    log_name: &str,
) -> ScenarioRow {
    let f = |get: fn(&BasicScenario) -> Option<f64>| file.and_then(get);
    let c = |get: fn(&ConsoleScenario) -> Option<f64>| console.and_then(get);
    let pick = |file_v: Option<f64>, console_v: Option<f64>, unit: &'static str| {
        Figure::first_known([
            Figure::from_option(file_v, unit, file_name, NOT_RECORDED),
            Figure::from_option(console_v, unit, log_name, NOT_RECORDED)
                .method("as printed on the console"),
        ])
    };
    let total = file
        .and_then(|s| s.total_requests)
        .or(console.and_then(|s| s.total));
    let successful = file
        .and_then(|s| s.successful)
        .or(console.and_then(|s| s.successful));
    let counts_source = if file.and_then(|s| s.total_requests).is_some() {
        file_name
    } else {
        log_name
    };
    let p95 = pick(f(|s| s.p95_latency), c(|s| s.p95_s), SECONDS);
    let p99 = flag_inverted_p99(&p95, pick(f(|s| s.p99_latency), c(|s| s.p99_s), SECONDS));
    let tokens_per_s = match file.and_then(|s| Some((s.total_tokens?, s.total_time?))) {
        Some((tokens, time)) if time > 0.0 => {
            Figure::known(tokens as f64 / time, TOKENS_PER_S, file_name)
                .method("total_tokens / total_time")
        }
        _ => Figure::from_option(c(|s| s.tokens_per_s), TOKENS_PER_S, log_name, NOT_RECORDED)
            .method("as printed on the console"),
    };
    let success_rate = match (total, successful) {
        (Some(0), _) | (None, _) | (_, None) => {
            Figure::unavailable(PERCENT, "request counts not recorded")
        }
        _ => Figure::known(
            pct(successful, total).unwrap_or(0.0),
            PERCENT,
            counts_source,
        )
        .method("successful / total requests"),
    };
    let all_failed = successful == Some(0);
    let latency_missing = if all_failed {
        "every request failed: no latency"
    } else {
        NOT_RECORDED
    };
    let with_reason = |fig: Figure| {
        if fig.is_known() || !all_failed {
            fig
        } else {
            Figure::unavailable(fig.unit, latency_missing)
        }
    };
    ScenarioRow {
        test: "Basic load".into(),
        name: name.to_string(),
        source: [file_name, log_name]
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(" + "),
        requests: Figure::from_option(
            total.map(|t| t as f64),
            REQUESTS,
            counts_source,
            NOT_RECORDED,
        ),
        success_rate,
        avg: with_reason(pick(f(|s| s.avg_latency), c(|s| s.avg_s), SECONDS)),
        p50: with_reason(pick(f(|s| s.p50_latency), c(|s| s.p50_s), SECONDS)),
        p95: with_reason(p95),
        p99: with_reason(p99),
        min: with_reason(pick(f(|s| s.min_latency), c(|s| s.min_s), SECONDS)),
        max: with_reason(pick(f(|s| s.max_latency), c(|s| s.max_s), SECONDS)),
        requests_per_s: pick(f(|s| s.throughput), c(|s| s.requests_per_s), REQ_PER_S)
            .method("successful requests / total time"),
        tokens_per_s,
    }
}

/// The figures of an advanced-test phase (or a whole soak), from records when there are any,
/// else from the file's analysis object. `duration_s` (from console markers) gives the rates.
pub struct PhaseFigures<'a> {
    pub test: &'a str,
    pub name: &'a str,
    pub file_name: &'a str,
    pub analysis: Option<&'a Analysis>,
    pub records: Option<(&'a LatencyStats, &'a str)>,
    pub duration: Option<(f64, String)>,
    pub console: Option<ConsoleFallback>,
    /// The file was written by `report run`, whose percentiles are exact (no index-pick caveat).
    pub exact_percentiles: bool,
}

/// What a spike phase summary prints: used when the results file is missing (crash).
#[derive(Debug, Clone, Default)]
pub struct ConsoleFallback {
    pub log_name: String,
    pub total: Option<u64>,
    pub successful: Option<u64>,
    pub avg_s: Option<f64>,
    pub p95_s: Option<f64>,
}

impl PhaseFigures<'_> {
    pub fn row(&self) -> ScenarioRow {
        if let Some((stats, source)) = self.records
            && stats.requests > 0
        {
            return self.row_from_records(stats, source);
        }
        self.row_from_file()
    }

    fn row_from_records(&self, s: &LatencyStats, source: &str) -> ScenarioRow {
        let lat = |v: Option<f64>| {
            let why = if s.successful == 0 {
                "every request failed: no latency"
            } else {
                NOT_RECORDED
            };
            Figure::from_option(v, SECONDS, source, why)
        };
        let pctl =
            |v: Option<f64>| lat(v).method(format!("{PERCENTILE_METHOD}, n = {}", s.successful));
        ScenarioRow {
            test: self.test.into(),
            name: self.name.into(),
            source: source.into(),
            requests: Figure::known(s.requests as f64, REQUESTS, source),
            success_rate: Figure::known(
                100.0 * s.successful as f64 / s.requests as f64,
                PERCENT,
                source,
            ),
            avg: lat(s.avg),
            p50: pctl(s.p50),
            p95: pctl(s.p95),
            p99: pctl(s.p99),
            min: lat(s.min),
            max: lat(s.max),
            requests_per_s: self.rate(Some(s.successful as f64), REQ_PER_S, source),
            tokens_per_s: self.rate(s.tokens, TOKENS_PER_S, source),
        }
    }

    fn row_from_file(&self) -> ScenarioRow {
        let a = self.analysis.cloned().unwrap_or_default();
        let fallback = self.console.clone().unwrap_or_default();
        let (source, total, successful) = if a.total.is_some() {
            (self.file_name.to_string(), a.total, a.successful)
        } else {
            (
                fallback.log_name.clone(),
                fallback.total,
                fallback.successful,
            )
        };
        let all_failed = successful == Some(0);
        let why = if all_failed {
            "every request failed: no latency"
        } else if a.is_empty() && self.analysis.is_some() {
            "the phase had no requests (empty analysis object)"
        } else {
            NOT_RECORDED
        };
        let lat = |v: Option<f64>| Figure::from_option(v, SECONDS, &source, why);
        let n = successful.unwrap_or(0);
        let p95 = lat(a.p95_latency.or(fallback.p95_s));
        let p95 = if !self.exact_percentiles && n > 0 && n <= 20 {
            p95.flag(format!(
                "the script's p95 is the maximum when n ≤ 20 (n = {n})"
            ))
        } else {
            p95
        };
        let p99 = lat(a.p99_latency);
        let p99 = if !self.exact_percentiles && n > 0 && n <= 100 {
            p99.flag(format!(
                "the script's p99 is the maximum when n ≤ 100 (n = {n})"
            ))
        } else {
            p99
        };
        ScenarioRow {
            test: self.test.into(),
            name: self.name.into(),
            source: source.clone(),
            requests: Figure::from_option(total.map(|t| t as f64), REQUESTS, &source, NOT_RECORDED),
            success_rate: Figure::from_option(
                pct(successful, total),
                PERCENT,
                &source,
                "request counts not recorded",
            ),
            avg: lat(a.avg_latency.or(fallback.avg_s)),
            p50: lat(a.median_latency),
            p95,
            p99: flag_inverted_p99(&lat(a.p95_latency), p99),
            min: lat(a.min_latency),
            max: lat(a.max_latency),
            requests_per_s: self.rate(successful.map(|s| s as f64), REQ_PER_S, &source),
            tokens_per_s: self.rate(a.total_tokens.map(|t| t as f64), TOKENS_PER_S, &source),
        }
    }

    fn rate(&self, amount: Option<f64>, unit: &'static str, source: &str) -> Figure {
        match (amount, &self.duration) {
            (Some(a), Some((d, how))) if *d > 0.0 => Figure::known(a / d, unit, source)
                .method(format!("successful count / {d:.1} s ({how})")),
            (None, _) => Figure::unavailable(unit, NOT_RECORDED),
            _ => Figure::unavailable(
                unit,
                "no timed phase boundaries: needs the console log (time-stamped) of this run",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_row_takes_p95_p99_from_the_console_and_flags_an_inverted_p99() {
        let file = BasicScenario {
            scenario: Some("Light".into()),
            total_requests: Some(5),
            successful: Some(5),
            failed: Some(0),
            total_time: Some(2.0),
            avg_latency: Some(0.338),
            throughput: Some(2.5),
            total_tokens: Some(300),
            ..Default::default()
        };
        let console = ConsoleScenario {
            p95_s: Some(0.391),
            p99_s: Some(0.355),
            ..Default::default()
        };
        let row = basic_row(
            "Light",
            Some(&file),
            Some(&console),
            "benchmark_results.json",
            "benchmark_console.log",
        );
        assert_eq!(row.p95.value, Some(0.391));
        assert_eq!(row.p95.source, "benchmark_console.log");
        assert_eq!(row.p99.value, Some(0.355));
        assert!(row.p99.flag.as_deref().unwrap().contains("below p95"));
        assert_eq!(row.tokens_per_s.value, Some(150.0));
        assert_eq!(row.success_rate.value, Some(100.0));

        let no_console = basic_row("Light", Some(&file), None, "benchmark_results.json", "");
        assert_eq!(no_console.p95.value, None);
        assert_eq!(no_console.p95.unavailable.as_deref(), Some(NOT_RECORDED));
    }
}
