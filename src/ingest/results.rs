//! Typed shapes of the files the user's test scripts write (see ../shared/formats.md), and the
//! checks that keep impossible values out of the report.

use std::path::Path;

use serde::Deserialize;

use super::problem::Problem;
use super::records::RequestColumns;

/// Latencies above a day cannot come from a 60 s client timeout: treated as corrupt.
pub const MAX_PLAUSIBLE_LATENCY_S: f64 = 86_400.0;

/// One scenario of `benchmark_results.json`. The script writes no p95/p99; users' edited copies
/// may, so both are optional.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct BasicScenario {
    pub scenario: Option<String>,
    pub total_requests: Option<u64>,
    pub successful: Option<u64>,
    pub failed: Option<u64>,
    pub concurrency: Option<u64>,
    pub total_time: Option<f64>,
    pub avg_latency: Option<f64>,
    pub p50_latency: Option<f64>,
    pub p95_latency: Option<f64>,
    pub p99_latency: Option<f64>,
    pub min_latency: Option<f64>,
    pub max_latency: Option<f64>,
    pub throughput: Option<f64>,
    pub total_tokens: Option<u64>,
}

/// A phase's or step's "analysis" object. All fields optional: a phase whose requests all failed
/// has only the counts, an empty phase is `{}`.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct Analysis {
    pub total: Option<u64>,
    pub successful: Option<u64>,
    pub failed: Option<u64>,
    pub success_rate: Option<f64>,
    pub avg_latency: Option<f64>,
    pub median_latency: Option<f64>,
    pub p95_latency: Option<f64>,
    pub p99_latency: Option<f64>,
    pub min_latency: Option<f64>,
    pub max_latency: Option<f64>,
    pub total_tokens: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct AdvancedFile {
    pub spike: Option<SpikeResult>,
    pub stress: Option<StressResult>,
    pub soak: Option<SoakResult>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct SpikeResult {
    pub baseline_results: Option<Analysis>,
    pub spike_results: Option<Analysis>,
    pub recovery_results: Option<Analysis>,
    pub all_results: RequestColumns,
    /// Set by `report run`: its percentiles are exact, not the scripts' index picks.
    pub generator: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct StressResult {
    pub breaking_point: Option<f64>,
    pub max_tested: Option<f64>,
    pub all_results: RequestColumns,
    /// Per-step figures: `report run` writes them; the scripts print them only.
    pub steps: Vec<FileStep>,
    /// `report run`'s breaking criteria (`--min-success`, `--max-avg-latency`).
    pub criteria: Option<FileCriteria>,
    pub generator: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
pub struct FileCriteria {
    pub min_success_percent: f64,
    pub max_avg_latency_s: f64,
}

/// One stress step as `report run` writes it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct FileStep {
    pub target_rps: Option<f64>,
    /// Scheduling stopped before the step's end.
    pub partial: bool,
    #[serde(flatten)]
    pub figures: Analysis,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct SoakResult {
    pub status: Option<String>,
    pub duration_minutes: Option<f64>,
    pub target_rps: Option<f64>,
    pub overall_analysis: Option<Analysis>,
    pub per_minute_chunks: Vec<Analysis>,
    pub all_results: RequestColumns,
    pub generator: Option<String>,
}

/// Huge values in scientific notation, so a message never prints 300 digits.
fn shown_number(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

/// Latency fields shared by both shapes, checked the same way.
fn check_latency(value: &mut Option<f64>, file: &Path, place: &str, problems: &mut Vec<Problem>) {
    let Some(v) = *value else { return };
    let reason = if !v.is_finite() {
        Some("is not a finite number")
    } else if v < 0.0 {
        Some("is negative")
    } else if v > MAX_PLAUSIBLE_LATENCY_S {
        Some("is above one day, impossible with the scripts' 60 s timeout")
    } else {
        None
    };
    if let Some(reason) = reason {
        problems.push(Problem::value_ignored(
            file,
            place,
            format!("latency {} {reason}", shown_number(v)),
        ));
        *value = None;
    }
}

fn check_rate(value: &mut Option<f64>, file: &Path, place: &str, problems: &mut Vec<Problem>) {
    let Some(v) = *value else { return };
    if !v.is_finite() || !(0.0..=100.0).contains(&v) {
        problems.push(Problem::value_ignored(
            file,
            place,
            format!("success rate {v} is outside 0-100 %"),
        ));
        *value = None;
    }
}

/// Counts that contradict each other make every figure of the object doubtful: the object is
/// replaced by an empty one and the reason kept.
fn counts_consistent(
    total: Option<u64>,
    successful: Option<u64>,
    failed: Option<u64>,
) -> Result<(), String> {
    if let (Some(t), Some(s)) = (total, successful)
        && s > t
    {
        return Err(format!("successful ({s}) is greater than total ({t})"));
    }
    if let (Some(t), Some(s), Some(f)) = (total, successful, failed)
        && s.checked_add(f) != Some(t)
    {
        return Err(format!(
            "successful ({s}) + failed ({f}) is not total ({t})"
        ));
    }
    Ok(())
}

impl Analysis {
    /// Checks every field; returns false when the object had to be emptied.
    pub fn validate(&mut self, file: &Path, place: &str, problems: &mut Vec<Problem>) -> bool {
        if let Err(why) = counts_consistent(self.total, self.successful, self.failed) {
            problems.push(Problem::value_ignored(file, place, why));
            *self = Analysis::default();
            return false;
        }
        check_rate(
            &mut self.success_rate,
            file,
            &format!("{place}.success_rate"),
            problems,
        );
        for (name, value) in [
            ("avg_latency", &mut self.avg_latency),
            ("median_latency", &mut self.median_latency),
            ("p95_latency", &mut self.p95_latency),
            ("p99_latency", &mut self.p99_latency),
            ("min_latency", &mut self.min_latency),
            ("max_latency", &mut self.max_latency),
        ] {
            check_latency(value, file, &format!("{place}.{name}"), problems);
        }
        true
    }

    pub fn is_empty(&self) -> bool {
        *self == Analysis::default()
    }
}

impl BasicScenario {
    pub fn validate(&mut self, file: &Path, place: &str, problems: &mut Vec<Problem>) -> bool {
        if let Err(why) = counts_consistent(self.total_requests, self.successful, self.failed) {
            problems.push(Problem::skipped(file, place, why));
            return false;
        }
        for (name, value) in [
            ("avg_latency", &mut self.avg_latency),
            ("p50_latency", &mut self.p50_latency),
            ("p95_latency", &mut self.p95_latency),
            ("p99_latency", &mut self.p99_latency),
            ("min_latency", &mut self.min_latency),
            ("max_latency", &mut self.max_latency),
        ] {
            check_latency(value, file, &format!("{place}.{name}"), problems);
        }
        for (name, value) in [
            ("total_time", &mut self.total_time),
            ("throughput", &mut self.throughput),
        ] {
            if let Some(v) = *value
                && (!v.is_finite() || v < 0.0)
            {
                problems.push(Problem::value_ignored(
                    file,
                    format!("{place}.{name}"),
                    format!("{v} is not a non-negative number"),
                ));
                *value = None;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successful_above_total_empties_the_analysis() {
        let mut a = Analysis {
            total: Some(10),
            successful: Some(12),
            ..Default::default()
        };
        let mut problems = Vec::new();
        assert!(!a.validate(
            Path::new("f.json"),
            "$.spike.baseline_results",
            &mut problems
        ));
        assert!(a.is_empty());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].place, "$.spike.baseline_results");
        assert!(
            problems[0]
                .message
                .contains("successful (12) is greater than total (10)")
        );
    }

    #[test]
    fn negative_and_huge_latencies_are_dropped_one_by_one() {
        let mut a = Analysis {
            total: Some(2),
            successful: Some(2),
            failed: Some(0),
            avg_latency: Some(-1.0),
            max_latency: Some(1e300),
            min_latency: Some(0.5),
            ..Default::default()
        };
        let mut problems = Vec::new();
        assert!(a.validate(Path::new("f.json"), "$.x", &mut problems));
        assert_eq!(a.avg_latency, None);
        assert_eq!(a.max_latency, None);
        assert_eq!(a.min_latency, Some(0.5));
        let places: Vec<_> = problems.iter().map(|p| p.place.as_str()).collect();
        assert_eq!(places, ["$.x.avg_latency", "$.x.max_latency"]);
    }
}
