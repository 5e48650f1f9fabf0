//! The objectives met in each session: the same objectives file checked on every session with
//! the evaluation `report build` uses, the results matched by objective and run.

use serde::Serialize;

use super::Session;
use crate::analyze::objectives::{self, ObjectiveResult, ObjectivesFile, Outcome};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectiveRow {
    /// The objective as checked on the first session that has it (scope, metric, limit).
    pub objective: ObjectiveResult,
    /// One per session: its result, or None when that session has no such run.
    pub results: Vec<Option<ObjectiveResult>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub not_measured: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SideBySide {
    /// The objectives file as the first session's report names it.
    pub file: String,
    pub rows: Vec<ObjectiveRow>,
    /// One per session.
    pub counts: Vec<Counts>,
}

fn same_objective(a: &ObjectiveResult, b: &ObjectiveResult) -> bool {
    a.line == b.line && a.key == b.key && a.run == b.run && a.phase == b.phase
}

/// Checks `file` on every session.
pub fn side_by_side(sessions: &[Session], file: &ObjectivesFile) -> SideBySide {
    let reports: Vec<_> = sessions
        .iter()
        .map(|s| objectives::evaluate(s.inputs, s.analysis, file))
        .collect();
    let mut rows: Vec<ObjectiveRow> = Vec::new();
    for (i, report) in reports.iter().enumerate() {
        for r in &report.results {
            let at = rows
                .iter()
                .position(|row| same_objective(&row.objective, r));
            let row = match at {
                Some(at) => &mut rows[at],
                None => {
                    rows.push(ObjectiveRow {
                        objective: r.clone(),
                        results: vec![None; reports.len()],
                    });
                    rows.last_mut().expect("just pushed")
                }
            };
            row.results[i].get_or_insert_with(|| r.clone());
        }
    }
    SideBySide {
        file: reports.first().map(|r| r.file.clone()).unwrap_or_default(),
        rows,
        counts: reports
            .iter()
            .map(|r| Counts {
                pass: r.count(Outcome::Pass),
                fail: r.count(Outcome::Fail),
                not_measured: r.count(Outcome::NotMeasured),
            })
            .collect(),
    }
}
