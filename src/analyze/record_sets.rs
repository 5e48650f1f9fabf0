//! The per-request record sets of a session, one per spike phase and one per stress or soak run
//! ("whole test"), and one per basic-load scenario, which the report reads from summaries only.
//! Goodput counts these sets; `report compare` bootstraps and merges them.

use crate::analyze::Analysis;
use crate::ingest::SessionInputs;
use crate::ingest::records::RequestColumns;

/// The phase name of a stress or soak run's records, which are not split by step.
pub const WHOLE_TEST: &str = "whole test";

/// The report reads basic-load scenarios from their results file's summaries only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BasicScenario,
    SpikePhase,
    WholeRun,
}

#[derive(Debug, Clone)]
pub struct RecordSet<'a> {
    pub test: String,
    pub phase: String,
    pub kind: Kind,
    /// None (or empty) when the session kept only summaries.
    pub records: Option<&'a RequestColumns>,
    pub source: String,
}

impl<'a> RecordSet<'a> {
    /// The records, when the set has at least one.
    pub fn kept(&self) -> Option<&'a RequestColumns> {
        self.records.filter(|r| !r.is_empty())
    }
}

/// Every record set of the session, in the report's order: basic scenarios, spike phases,
/// stress runs, soak runs.
pub fn record_sets<'a>(inputs: &'a SessionInputs, analysis: &Analysis) -> Vec<RecordSet<'a>> {
    let mut out: Vec<RecordSet<'a>> = analysis
        .scenarios
        .iter()
        .filter(|r| r.test == "Basic load")
        .map(|r| RecordSet {
            test: r.test.clone(),
            phase: r.name.clone(),
            kind: Kind::BasicScenario,
            records: None,
            source: r.source.clone(),
        })
        .collect();
    for (run, report) in inputs.spikes.iter().zip(&analysis.spikes) {
        out.extend(run.phases.iter().map(|phase| RecordSet {
            test: report.label.clone(),
            phase: phase.name.clone(),
            kind: Kind::SpikePhase,
            records: phase.records.as_ref(),
            source: report.source.clone(),
        }));
    }
    let whole = |records: &'a RequestColumns, label: &str, source: &str| RecordSet {
        test: label.to_string(),
        phase: WHOLE_TEST.to_string(),
        kind: Kind::WholeRun,
        records: Some(records),
        source: source.to_string(),
    };
    let stresses = inputs.stresses.iter().zip(&analysis.stresses);
    out.extend(stresses.map(|(run, r)| whole(&run.records, &r.label, &r.source)));
    let soaks = inputs.soaks.iter().zip(&analysis.soaks);
    out.extend(soaks.map(|(run, r)| whole(&run.records, &r.label, &r.source)));
    out
}
