//! The files the user's scripts write, in their shapes (see `../shared/formats.md`), with p95/p99
//! added to the basic test's file and `all_results` filled only on request.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Local, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::record::RequestRecord;
use super::stats::Summary;

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

/// `all_results` items: `{"success", "latency", "tokens" | "error", "timestamp"}`, the timestamp
/// being the local end time without zone, its fraction dropped when zero (as Python prints it).
pub fn all_results(records: &[RequestRecord]) -> Value {
    let items: Vec<Value> = records
        .iter()
        .map(|r| {
            let mut item = json!({"success": r.ok, "latency": r.latency_s});
            match (&r.error, r.ok) {
                (Some(error), false) => item["error"] = json!(error),
                _ => item["tokens"] = json!(r.tokens.unwrap_or(0)),
            }
            item["timestamp"] = json!(python_local_time(r.ended));
            item
        })
        .collect();
    Value::Array(items)
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
