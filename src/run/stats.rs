//! The scripts' per-phase "analysis" object, computed from the recorded requests, with exact
//! percentiles (linear interpolation between closest ranks, as numpy's and polars' default).

use serde::{Deserialize, Serialize};

use super::record::RequestRecord;

/// The keys the scripts write for a phase, step or soak chunk. Latency fields are absent when no
/// request succeeded; the whole object is `{}` when there were no requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Analysis {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub successful: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_rate: Option<f64>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencyFigures>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyFigures {
    pub avg_latency: f64,
    pub median_latency: f64,
    pub p95_latency: f64,
    pub p99_latency: f64,
    pub min_latency: f64,
    pub max_latency: f64,
    pub total_tokens: u64,
}

impl Analysis {
    pub fn of<'a>(records: impl IntoIterator<Item = &'a RequestRecord>) -> Self {
        let records: Vec<&RequestRecord> = records.into_iter().collect();
        if records.is_empty() {
            return Self::default();
        }
        let total = records.len() as u64;
        let successes: Vec<&RequestRecord> = records.iter().copied().filter(|r| r.ok).collect();
        let successful = successes.len() as u64;
        let latencies: Vec<f64> = successes.iter().map(|r| r.latency_s).collect();
        let tokens: u64 = successes.iter().filter_map(|r| r.tokens).sum();
        Self {
            total: Some(total),
            successful: Some(successful),
            failed: Some(total - successful),
            success_rate: Some(successful as f64 / total as f64 * 100.0),
            latency: Summary::of(&latencies).map(|s| LatencyFigures {
                avg_latency: s.mean,
                median_latency: s.p50,
                p95_latency: s.p95,
                p99_latency: s.p99,
                min_latency: s.min,
                max_latency: s.max,
                total_tokens: tokens,
            }),
        }
    }

    /// Success rate in percent; 0 for an empty phase.
    pub fn success_percent(&self) -> f64 {
        self.success_rate.unwrap_or(0.0)
    }
}

/// Mean, extremes and percentiles of a set of values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

impl Summary {
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        Some(Self {
            count: sorted.len(),
            mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
            p50: percentile(&sorted, 0.50),
            p95: percentile(&sorted, 0.95),
            p99: percentile(&sorted, 0.99),
        })
    }
}

/// Linear interpolation between the two closest ranks of `sorted` (ascending, non-empty).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let position = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    sorted[below] + (sorted[above] - sorted[below]) * (position - below as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_between_ranks() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 0.5), 2.5);
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&v, 1.0), 4.0);
        assert!((percentile(&v, 0.95) - 3.85).abs() < 1e-12);
        assert_eq!(percentile(&[7.0], 0.99), 7.0);
    }

    #[test]
    fn empty_and_all_failed_phases_have_the_scripts_shapes() {
        assert_eq!(
            serde_json::to_value(Analysis::of([])).unwrap(),
            serde_json::json!({})
        );
    }
}
