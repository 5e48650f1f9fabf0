//! The files the user's scripts write, in their shapes (see `../shared/formats.md`), with p95/p99
//! added to the basic test's file and `all_results` filled only on request.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Local, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::record::RequestRecord;
use super::stats::{Analysis, Summary};

/// Written into each test object so a reader can tell these figures from the scripts' own.
pub const GENERATOR_NOTE: &str =
    "report run (open loop; latency from the scheduled time; percentiles by linear interpolation)";

pub const BENCHMARK_FILE: &str = "benchmark_results.json";

/// One scenario of `benchmark_results.json`, keys in the scripts' order, p95/p99 added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioResult {
    pub total_requests: u64,
    pub successful: u64,
    pub failed: u64,
    pub concurrency: u32,
    pub total_time: f64,
    pub avg_latency: f64,
    pub p50_latency: f64,
    pub p95_latency: f64,
    pub p99_latency: f64,
    pub min_latency: f64,
    pub max_latency: f64,
    pub throughput: f64,
    pub total_tokens: u64,
    pub scenario: String,
}

impl ScenarioResult {
    /// `None` when nothing succeeded: the scripts leave such a scenario out of the file.
    pub fn of(
        scenario: &str,
        concurrency: u32,
        total_time: f64,
        records: &[RequestRecord],
    ) -> Option<Self> {
        let latencies: Vec<f64> = records
            .iter()
            .filter(|r| r.ok)
            .map(|r| r.latency_s)
            .collect();
        let summary = Summary::of(&latencies)?;
        let successful = latencies.len() as u64;
        Some(Self {
            total_requests: records.len() as u64,
            successful,
            failed: records.len() as u64 - successful,
            concurrency,
            total_time,
            avg_latency: summary.mean,
            p50_latency: summary.p50,
            p95_latency: summary.p95,
            p99_latency: summary.p99,
            min_latency: summary.min,
            max_latency: summary.max,
            throughput: if total_time > 0.0 {
                successful as f64 / total_time
            } else {
                0.0
            },
            total_tokens: records
                .iter()
                .filter(|r| r.ok)
                .filter_map(|r| r.tokens)
                .sum(),
            scenario: scenario.to_string(),
        })
    }
}

/// One `all_results` item: `{"success", "latency", "tokens" | "error", "timestamp"}`, the
/// timestamp being the local end time without zone, its fraction dropped when zero (as Python).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultItem {
    pub success: bool,
    pub latency: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub timestamp: String,
}

/// `all_results`: every request when asked for, else `[]` as the scripts write it.
pub fn all_results(records: &[RequestRecord], keep: bool) -> Vec<ResultItem> {
    if !keep {
        return Vec::new();
    }
    records
        .iter()
        .map(|r| ResultItem {
            success: r.ok,
            latency: r.latency_s,
            tokens: r.ok.then(|| r.tokens.unwrap_or(0)),
            error: if r.ok { None } else { r.error.clone() },
            timestamp: python_local_time(r.ended),
        })
        .collect()
}

/// A rate or a count as the scripts write it: `5`, or `2.5` when not whole.
pub fn script_number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9e15 {
        json!(value as i64)
    } else {
        json!(value)
    }
}

/// The advanced results file: one key per test that ran (`report run` runs one).
#[derive(Debug, Clone, Serialize, Default)]
pub struct AdvancedResults {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spike: Option<SpikeResults>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stress: Option<StressResults>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soak: Option<SoakResults>,
}

/// Fields in the scripts' order; serialised straight from these structs to keep that order.
#[derive(Debug, Clone, Serialize)]
pub struct SpikeResults {
    pub test_type: &'static str,
    pub baseline_results: Analysis,
    pub spike_results: Analysis,
    pub recovery_results: Analysis,
    pub all_results: Vec<ResultItem>,
    pub generator: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct StressResults {
    pub test_type: &'static str,
    pub breaking_point: Value,
    pub max_tested: Value,
    pub all_results: Vec<ResultItem>,
    /// Not in the scripts' file (they print step figures only): one entry per step that ran.
    pub steps: Vec<StepFigures>,
    /// Not in the scripts' file: the breaking criteria of `--min-success`/`--max-avg-latency`.
    pub criteria: super::stress::Criteria,
    pub generator: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepFigures {
    pub target_rps: Value,
    /// Scheduling stopped before the step's end.
    pub partial: bool,
    #[serde(flatten)]
    pub figures: Analysis,
}

#[derive(Debug, Clone, Serialize)]
pub struct SoakResults {
    pub test_type: &'static str,
    /// `interrupted` after Ctrl-C (the scripts then write only this and `test_type`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    pub duration_minutes: Value,
    pub target_rps: Value,
    pub overall_analysis: Analysis,
    pub per_minute_chunks: Vec<Analysis>,
    pub all_results: Vec<ResultItem>,
    pub generator: &'static str,
}

pub fn python_local_time(t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&Local).naive_local();
    if local.and_utc().timestamp_subsec_micros() == 0 {
        local.format("%Y-%m-%dT%H:%M:%S").to_string()
    } else {
        local.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
    }
}

/// `advanced_test_results_<local time %Y%m%d_%H%M%S>.json`, named after the time it is saved.
pub fn advanced_file_name(saved_at: DateTime<Local>) -> String {
    format!(
        "advanced_test_results_{}.json",
        saved_at.format("%Y%m%d_%H%M%S")
    )
}

/// Writes JSON indented by two spaces like the scripts, via a temporary file so that a watcher
/// (`report collect`) never copies half a file.
pub fn write_json(dir: &Path, name: &str, value: &impl Serialize) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| {
        format!(
            "cannot create results folder {}; check --results-dir",
            dir.display()
        )
    })?;
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path)
        .with_context(|| format!("cannot move {} into place", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_timestamps_drop_a_zero_fraction() {
        let whole: DateTime<Utc> = "2026-11-26T16:50:05Z".parse().unwrap();
        assert!(!python_local_time(whole).contains('.'));
        let frac: DateTime<Utc> = "2026-11-26T16:50:05.877537Z".parse().unwrap();
        assert!(python_local_time(frac).ends_with(".877537"));
    }
}
