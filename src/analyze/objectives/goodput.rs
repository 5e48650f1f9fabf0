//! Goodput: per phase, the share of requests that succeeded and met every per-request objective
//! of the file's `[goodput]` table (as vLLM's and AIPerf's goodput), from per-request records.

use polars::prelude::*;
use serde::Serialize;

use super::file::GoodputEntry;
use crate::analyze::Analysis;
use crate::analyze::record_sets::{Kind, record_sets};
use crate::ingest::SessionInputs;
use crate::ingest::records::RequestColumns;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoodputRow {
    pub test: String,
    pub phase: String,
    pub source: String,
    pub requests: u64,
    /// Requests that succeeded within every bound; None when a bound cannot be checked.
    pub good: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unmeasured: Option<String>,
}

impl GoodputRow {
    pub fn share_pct(&self) -> Option<f64> {
        let good = self.good?;
        (self.requests > 0).then(|| 100.0 * good as f64 / self.requests as f64)
    }
}

/// One row per phase (spike), per run (stress, soak) that kept per-request records.
pub fn rows(inputs: &SessionInputs, analysis: &Analysis, rule: &GoodputEntry) -> Vec<GoodputRow> {
    if rule.is_empty() {
        return Vec::new();
    }
    let sets = record_sets(inputs, analysis);
    sets.iter()
        .filter_map(|set| {
            let records = match set.kind {
                Kind::BasicScenario => None,
                Kind::SpikePhase => set.records,
                Kind::WholeRun => set.kept(),
            }?;
            Some(row(&set.test, &set.phase, &set.source, records, rule))
        })
        .collect()
}

fn row(
    test: &str,
    phase: &str,
    source: &str,
    records: &RequestColumns,
    rule: &GoodputEntry,
) -> GoodputRow {
    let requests = records.len() as u64;
    let per_token = [
        (rule.ttft_max_s, "time to first token"),
        (rule.itl_max_s, "inter-token latency"),
        (rule.tpot_max_s, "time per output token"),
    ];
    let unmeasured = per_token
        .iter()
        .find(|(bound, _)| bound.is_some())
        .map(|(_, what)| format!("the records carry no {what}: the requests were not streamed"));
    let good = match (&unmeasured, rule.latency_max_s) {
        (Some(_), _) => None,
        (None, Some(limit)) => count_within(records, limit),
        (None, None) => count_within(records, f64::INFINITY),
    };
    GoodputRow {
        test: test.to_string(),
        phase: phase.to_string(),
        source: source.to_string(),
        requests,
        good,
        unmeasured: unmeasured.or_else(|| {
            good.is_none()
                .then(|| "the records could not be analysed".to_string())
        }),
    }
}

/// Successful requests whose latency is at most `limit` seconds (a request without a latency
/// is not counted as good).
fn count_within(records: &RequestColumns, limit: f64) -> Option<u64> {
    let frame = DataFrame::new_infer_height(vec![
        Column::new("latency".into(), &records.latency_s),
        Column::new("success".into(), &records.success),
    ])
    .ok()?;
    let counted = frame
        .lazy()
        .select([(col("success").and(col("latency").lt_eq(lit(limit))))
            .fill_null(lit(false))
            .sum()
            .alias("good")])
        .collect()
        .ok()?;
    crate::analyze::stats::value(&counted, "good", 0).map(|v| v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(latencies: &[Option<f64>], success: &[bool]) -> RequestColumns {
        RequestColumns {
            end_local_us: vec![Some(0); latencies.len()],
            latency_s: latencies.to_vec(),
            success: success.to_vec(),
            tokens: vec![None; latencies.len()],
            error: vec![None; latencies.len()],
            ..Default::default()
        }
    }

    #[test]
    fn good_requests_succeeded_within_the_bound() {
        // 2.0 ok, 10.0 ok (at the bound), 10.5 ok (over), 3.0 failed, no latency ok.
        let r = records(
            &[Some(2.0), Some(10.0), Some(10.5), Some(3.0), None],
            &[true, true, true, false, true],
        );
        assert_eq!(count_within(&r, 10.0), Some(2));
        let rule = GoodputEntry {
            latency_max_s: Some(10.0),
            ..Default::default()
        };
        let g = row("Spike", "Spike", "x.json", &r, &rule);
        assert_eq!((g.requests, g.good), (5, Some(2)));
        assert_eq!(g.share_pct(), Some(40.0));
    }

    #[test]
    fn a_per_token_bound_without_token_timings_is_not_measured() {
        let r = records(&[Some(1.0)], &[true]);
        let rule = GoodputEntry {
            latency_max_s: Some(10.0),
            ttft_max_s: Some(2.0),
            ..Default::default()
        };
        let g = row("Spike", "Spike", "x.json", &r, &rule);
        assert_eq!(g.good, None);
        assert!(g.unmeasured.unwrap().contains("time to first token"));
    }
}
