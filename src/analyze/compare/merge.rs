//! Several runs of the same test pooled (`--merge`): each phase's per-request records of every
//! session concatenated and its percentiles computed exactly over the union. Percentiles cannot
//! be merged from summaries, so a phase one session kept no records of is unavailable.

use serde::Serialize;

use crate::analyze::figure::{Figure, PERCENT, REQUESTS, SECONDS};
use crate::analyze::record_sets::{Kind, RecordSet};
use crate::analyze::stats::{PERCENTILE_METHOD, latency_stats};
use crate::ingest::records::RequestColumns;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergedRow {
    pub test: String,
    pub phase: String,
    /// Sessions (runs) that have the phase.
    pub runs: usize,
    pub requests: Figure,
    pub success_rate: Figure,
    pub avg: Figure,
    pub p50: Figure,
    pub p95: Figure,
    pub p99: Figure,
    pub max: Figure,
}

/// One row per phase any session has, in the order they first appear.
pub fn merged(sets: &[Vec<RecordSet>]) -> Vec<MergedRow> {
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for set in sets.iter().flatten() {
        if !keys.contains(&(set.test.as_str(), set.phase.as_str())) {
            keys.push((&set.test, &set.phase));
        }
    }
    keys.into_iter()
        .map(|(test, phase)| {
            let runs: Vec<&RecordSet> = sets
                .iter()
                .filter_map(|s| s.iter().find(|r| r.test == test && r.phase == phase))
                .collect();
            row(test, phase, &runs)
        })
        .collect()
}

fn row(test: &str, phase: &str, runs: &[&RecordSet]) -> MergedRow {
    let kept: Option<Vec<&RequestColumns>> = runs.iter().map(|r| r.kept()).collect();
    let why = match &kept {
        Some(_) => "the pooled records could not be analysed",
        None if runs.iter().any(|r| r.kind == Kind::BasicScenario) => {
            "percentiles cannot be merged from summaries, and basic-load scenarios are read from their results file's summaries only"
        }
        None => {
            "percentiles cannot be merged from summaries: a run kept no per-request records of this phase"
        }
    };
    let stats = kept.and_then(|parts| {
        let owned: Vec<RequestColumns> = parts.into_iter().cloned().collect();
        latency_stats(&crate::analyze::concat(&owned)).ok()
    });
    let source = format!("per-request records of {} runs, pooled", runs.len());
    let method = format!("over the union of the runs' records: {PERCENTILE_METHOD}");
    let fig = |v: Option<f64>, unit| Figure::from_option(v, unit, &source, why);
    let latency = |v: Option<f64>| fig(v, SECONDS).method(&method);
    let s = stats.as_ref();
    let success = s
        .filter(|s| s.requests > 0)
        .map(|s| 100.0 * s.successful as f64 / s.requests as f64);
    MergedRow {
        test: test.to_string(),
        phase: phase.to_string(),
        runs: runs.len(),
        requests: fig(s.map(|s| s.requests as f64), REQUESTS),
        success_rate: fig(success, PERCENT),
        avg: latency(s.and_then(|s| s.avg)),
        p50: latency(s.and_then(|s| s.p50)),
        p95: latency(s.and_then(|s| s.p95)),
        p99: latency(s.and_then(|s| s.p99)),
        max: latency(s.and_then(|s| s.max)),
    }
}
