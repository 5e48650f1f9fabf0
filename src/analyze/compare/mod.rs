//! `report compare`: several sessions side by side. One module per question: the figures and
//! their differences to the first session, the HPA settings that differ, the objectives met in
//! each, whether a p95 difference exceeds run-to-run noise, the merged runs, and the overlay
//! series the charts draw. Returns facts; render/compare.rs words them.

pub mod figures;
pub mod merge;
pub mod noise;
pub mod objectives;
pub mod overlay;
pub mod settings;

use serde::Serialize;

use super::Analysis;
use super::objectives::ObjectivesFile;
use super::record_sets;
use crate::ingest::SessionInputs;

/// One session of the comparison: what ingest read and what analysis made of it.
pub struct Session<'a> {
    pub inputs: &'a SessionInputs,
    pub analysis: &'a Analysis,
}

/// How the comparison is computed.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Options {
    /// Bootstrap resamples per phase.
    pub resamples: usize,
    /// Seed of the bootstrap's random numbers (fastrand).
    pub seed: u64,
    /// Pool the sessions' records as runs of one test.
    pub merge: bool,
}

/// Default `--resamples`.
pub const DEFAULT_RESAMPLES: usize = 2000;
/// Default `--seed`: fixed, so the same sessions give the same interval.
pub const DEFAULT_SEED: u64 = 12;

/// Everything the comparison report shows; every per-session list is in the sessions' order.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub sessions: Vec<String>,
    pub options: Options,
    pub figures: Vec<figures::FigureRow>,
    pub settings: settings::Settings,
    pub objectives: Option<objectives::SideBySide>,
    pub noise: Vec<noise::NoiseRow>,
    pub merged: Option<Vec<merge::MergedRow>>,
    pub overlays: Vec<overlay::Overlay>,
}

/// Compares `sessions` (the first is the reference), checking `objectives` on each when given.
pub fn compare(
    sessions: &[Session],
    objectives: Option<&ObjectivesFile>,
    options: Options,
) -> Comparison {
    let sets: Vec<Vec<record_sets::RecordSet>> = sessions
        .iter()
        .map(|s| record_sets::record_sets(s.inputs, s.analysis))
        .collect();
    let analyses: Vec<&Analysis> = sessions.iter().map(|s| s.analysis).collect();
    Comparison {
        sessions: analyses.iter().map(|a| a.session.clone()).collect(),
        options,
        figures: figures::side_by_side(&analyses),
        settings: settings::differing(sessions),
        objectives: objectives.map(|file| objectives::side_by_side(sessions, file)),
        noise: noise::rows(&sets, &analyses, options.resamples, options.seed),
        merged: options.merge.then(|| merge::merged(&sets)),
        overlays: overlay::overlays(&analyses),
    }
}
