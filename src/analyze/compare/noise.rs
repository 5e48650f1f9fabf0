//! Is a p95 difference larger than run-to-run noise? A percentile bootstrap of the difference
//! of p95 latencies (this session − the first), per phase where both sides kept per-request
//! records.
//!
//! Method: the successful requests' latencies of each side are resampled with replacement to
//! their own size, `resamples` times; each time the p95 of each resample is taken (type 7, as
//! everywhere in the report) and their difference kept. The 95 % interval runs from the 2.5th
//! to the 97.5th percentile (type 7) of the kept differences. The difference is larger than
//! the noise only when the interval excludes 0.
//!
//! Random numbers: one `fastrand::Rng::with_seed(seed)` per phase and pair of sessions; each
//! resample draws the first side's indices (`rng.usize(..n_a)`, n_a times), then the other
//! side's (`rng.usize(..n_b)`, n_b times). The same seed gives the same interval.

use serde::Serialize;

use crate::analyze::Analysis;
use crate::analyze::record_sets::{Kind, RecordSet};
use crate::analyze::stats::quantile;
use crate::ingest::records::RequestColumns;

/// Confidence level of the interval.
pub const LEVEL: f64 = 0.95;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The interval excludes 0.
    LargerThanNoise,
    /// The interval includes 0: the difference may be run-to-run noise.
    WithinNoise,
    /// No interval (see `unavailable`).
    Unavailable,
}

/// Why a phase has no interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// Basic-load scenarios are read from their results file's summaries only.
    BasicLoadSummaries,
    /// The first session kept no per-request records for the phase.
    FirstHasNoRecords,
    /// The other session kept none.
    OtherHasNoRecords,
    /// A side has no successful request.
    NoSuccessfulRequest,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Side {
    /// Successful requests (the sample the p95 is taken over).
    pub successful: usize,
    pub p95: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoiseRow {
    pub test: String,
    pub phase: String,
    /// The session compared with the first.
    pub session: String,
    pub first: Side,
    pub other: Side,
    /// p95(other) − p95(first), exact over the records.
    pub difference: Option<f64>,
    /// The bootstrap's 95 % interval of the difference.
    pub interval: Option<[f64; 2]>,
    pub verdict: Verdict,
    pub unavailable: Option<Missing>,
}

/// One row per phase the first session and another both have.
pub fn rows(
    sets: &[Vec<RecordSet>],
    analyses: &[&Analysis],
    resamples: usize,
    seed: u64,
) -> Vec<NoiseRow> {
    let Some((first, others)) = sets.split_first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (other, analysis) in others.iter().zip(&analyses[1..]) {
        for a in first {
            let Some(b) = other
                .iter()
                .find(|b| b.test == a.test && b.phase == a.phase)
            else {
                continue;
            };
            out.push(row(a, b, &analysis.session, resamples, seed));
        }
    }
    out
}

fn row(a: &RecordSet, b: &RecordSet, session: &str, resamples: usize, seed: u64) -> NoiseRow {
    let xs = a.kept().map(successful_latencies).unwrap_or_default();
    let ys = b.kept().map(successful_latencies).unwrap_or_default();
    let side = |v: &[f64]| Side {
        successful: v.len(),
        p95: quantile(v, 0.95),
    };
    let (first, other) = (side(&xs), side(&ys));
    let missing = if a.kind == Kind::BasicScenario {
        Some(Missing::BasicLoadSummaries)
    } else if a.kept().is_none() {
        Some(Missing::FirstHasNoRecords)
    } else if b.kept().is_none() {
        Some(Missing::OtherHasNoRecords)
    } else if xs.is_empty() || ys.is_empty() {
        Some(Missing::NoSuccessfulRequest)
    } else {
        None
    };
    let interval = missing
        .is_none()
        .then(|| bootstrap_p95_difference(&xs, &ys, resamples, seed))
        .flatten();
    let verdict = match interval {
        Some([lo, hi]) if lo > 0.0 || hi < 0.0 => Verdict::LargerThanNoise,
        Some(_) => Verdict::WithinNoise,
        None => Verdict::Unavailable,
    };
    NoiseRow {
        test: a.test.clone(),
        phase: a.phase.clone(),
        session: session.to_string(),
        first,
        other,
        difference: other.p95.zip(first.p95).map(|(y, x)| y - x),
        interval,
        verdict,
        unavailable: missing,
    }
}

/// The latencies of the successful requests, in record order.
pub fn successful_latencies(records: &RequestColumns) -> Vec<f64> {
    records
        .success
        .iter()
        .zip(&records.latency_s)
        .filter_map(|(ok, latency)| latency.filter(|_| *ok))
        .collect()
}

/// The bootstrap interval [2.5 %, 97.5 %] of p95(`b`) − p95(`a`) (see the module doc); None
/// when a side is empty or `resamples` is 0.
pub fn bootstrap_p95_difference(
    a: &[f64],
    b: &[f64],
    resamples: usize,
    seed: u64,
) -> Option<[f64; 2]> {
    if a.is_empty() || b.is_empty() || resamples == 0 {
        return None;
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut sample_a = vec![0.0; a.len()];
    let mut sample_b = vec![0.0; b.len()];
    let mut differences = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        sample_a.fill_with(|| a[rng.usize(..a.len())]);
        sample_b.fill_with(|| b[rng.usize(..b.len())]);
        differences.push(quantile(&sample_b, 0.95)? - quantile(&sample_a, 0.95)?);
    }
    let tail = (1.0 - LEVEL) / 2.0;
    Some([
        quantile(&differences, tail)?,
        quantile(&differences, 1.0 - tail)?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_constant_samples_give_a_zero_interval() {
        let a = [2.0; 10];
        assert_eq!(bootstrap_p95_difference(&a, &a, 100, 1), Some([0.0, 0.0]));
        assert_eq!(bootstrap_p95_difference(&a, &[], 100, 1), None);
    }
}
