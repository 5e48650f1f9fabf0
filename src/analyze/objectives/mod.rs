//! Objectives: each bound of the objectives file checked against what was measured, and goodput
//! (the share of requests meeting every per-request objective). Returns facts; render words them.
//!
//! An objective the inputs cannot answer is [`Outcome::NotMeasured`] with the reason, never a
//! pass: a gate must not turn green because a figure was missing.

pub mod file;
mod goodput;
mod measure;

use serde::Serialize;

use super::Analysis;
use super::figure::Figure;
use crate::ingest::SessionInputs;
pub use file::{Direction, FileError, GoodputEntry, Metric, ObjectivesFile};
pub use goodput::GoodputRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    NotMeasured,
}

/// One bound of the file applied to one run of the session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectiveResult {
    /// The scope as the file wrote it.
    pub test: String,
    pub phase: Option<String>,
    /// The run of the session it was checked on (`Spike`, `Spike 2 (16:41:03)`), when one matched.
    pub run: Option<String>,
    pub metric: Metric,
    pub key: &'static str,
    pub direction: Direction,
    pub limit: f64,
    /// The measured value (unit, source, method) or why there is none.
    pub measured: Figure,
    pub outcome: Outcome,
    /// Line of the objective's table in the file.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectivesReport {
    /// The objectives file, as a path relative to the session when it lies inside it.
    pub file: String,
    pub results: Vec<ObjectiveResult>,
    /// The per-request objectives that define goodput (empty: none given).
    #[serde(skip_serializing_if = "GoodputEntry::is_empty")]
    pub goodput_rule: GoodputEntry,
    pub goodput: Vec<GoodputRow>,
}

impl ObjectivesReport {
    pub fn count(&self, outcome: Outcome) -> usize {
        self.results.iter().filter(|r| r.outcome == outcome).count()
    }

    /// The gate passes only when every objective was measured and met.
    pub fn all_passed(&self) -> bool {
        self.results.iter().all(|r| r.outcome == Outcome::Pass)
    }
}

impl serde::Serialize for GoodputEntry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        for (key, v) in [
            ("latency_max_s", self.latency_max_s),
            ("ttft_max_s", self.ttft_max_s),
            ("itl_max_s", self.itl_max_s),
            ("tpot_max_s", self.tpot_max_s),
        ] {
            if let Some(v) = v {
                m.serialize_entry(key, &v)?;
            }
        }
        m.end()
    }
}

/// Checks every objective of `file` against the session.
pub fn evaluate(
    inputs: &SessionInputs,
    analysis: &Analysis,
    file: &ObjectivesFile,
) -> ObjectivesReport {
    let goodput = goodput::rows(inputs, analysis, &file.goodput);
    let mut results = Vec::new();
    for scope in &file.scopes {
        let runs = measure::runs_named(analysis, &scope.test);
        for &(metric, limit) in &scope.bounds {
            let judged = |run: Option<&measure::Run>, measured: Figure| {
                let outcome = judge(&measured, metric.direction(), limit.value);
                ObjectiveResult {
                    test: scope.test.clone(),
                    phase: scope.phase.clone(),
                    run: run.map(|r| r.label.clone()),
                    metric,
                    key: metric.key(),
                    direction: metric.direction(),
                    limit: limit.value,
                    measured,
                    outcome,
                    line: scope.line,
                }
            };
            if runs.is_empty() {
                let why = format!(
                    "the session has no test named `{}` (it has: {})",
                    scope.test,
                    measure::run_labels(analysis).join(", ")
                );
                results.push(judged(None, Figure::unavailable("", why)));
            }
            for run in &runs {
                let ctx = measure::Scope {
                    inputs,
                    analysis,
                    run,
                    phase: scope.phase.as_deref(),
                    goodput: &goodput,
                };
                results.push(judged(Some(run), measure::measure(&ctx, metric)));
            }
        }
    }
    ObjectivesReport {
        file: relative(&file.path, &inputs.dir),
        results,
        goodput_rule: file.goodput.clone(),
        goodput,
    }
}

fn judge(measured: &Figure, direction: Direction, limit: f64) -> Outcome {
    match (measured.value, direction) {
        (None, _) => Outcome::NotMeasured,
        (Some(v), Direction::AtMost) if v <= limit => Outcome::Pass,
        (Some(v), Direction::AtLeast) if v >= limit => Outcome::Pass,
        (Some(_), _) => Outcome::Fail,
    }
}

/// The file as the report names it: relative to the session, else its name alone (a mailed
/// report does not show the machine's folders).
fn relative(path: &std::path::Path, session: &std::path::Path) -> String {
    match path.strip_prefix(session) {
        Ok(inside) => inside.display().to_string(),
        Err(_) => path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_figure_is_never_a_pass() {
        let missing = Figure::unavailable("s", "no records");
        assert_eq!(
            judge(&missing, Direction::AtMost, 10.0),
            Outcome::NotMeasured
        );
        assert_eq!(
            judge(&missing, Direction::AtLeast, 0.0),
            Outcome::NotMeasured
        );
    }

    #[test]
    fn bounds_are_inclusive() {
        let at = |v| Figure::known(v, "s", "x");
        assert_eq!(judge(&at(10.0), Direction::AtMost, 10.0), Outcome::Pass);
        assert_eq!(judge(&at(10.001), Direction::AtMost, 10.0), Outcome::Fail);
        assert_eq!(judge(&at(95.0), Direction::AtLeast, 95.0), Outcome::Pass);
        assert_eq!(judge(&at(94.99), Direction::AtLeast, 95.0), Outcome::Fail);
    }
}
