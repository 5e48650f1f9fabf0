//! Analysis: one module per question, in polars where there are per-request records. Returns
//! plain structs of [`figure::Figure`]s; no drawing, no text layout.

pub mod figure;
pub mod scenarios;
pub mod soak;
pub mod spike;
pub mod stats;
pub mod stress;
pub mod windows;

use std::path::Path;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::ingest::{ClockOffset, Problem, SessionInputs};
use scenarios::ScenarioRow;
use windows::WindowRow;

/// Latency over time of one run with per-request records.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Timeline {
    pub label: String,
    pub source: String,
    pub window_s: i64,
    pub windows: Vec<WindowRow>,
}

/// Everything the report shows.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub session: String,
    pub clock: ClockOffsetOut,
    pub scenarios: Vec<ScenarioRow>,
    pub spikes: Vec<spike::SpikeReport>,
    pub stresses: Vec<stress::StressReport>,
    pub soaks: Vec<soak::SoakReport>,
    pub timelines: Vec<Timeline>,
    pub problems: Vec<Problem>,
    pub files_used: Vec<String>,
    pub has_cluster_data: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClockOffsetOut {
    pub utc_offset_seconds: i32,
    pub source: String,
}

impl From<&ClockOffset> for ClockOffsetOut {
    fn from(c: &ClockOffset) -> Self {
        Self {
            utc_offset_seconds: c.seconds,
            source: c.source.clone(),
        }
    }
}

pub fn file_name(path: Option<&Path>) -> String {
    path.and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub fn duration_between(
    start: Option<DateTime<FixedOffset>>,
    end: Option<DateTime<FixedOffset>>,
) -> Option<f64> {
    let d = (end? - start?).num_microseconds()? as f64 / 1e6;
    (d > 0.0).then_some(d)
}

/// `Spike` for the only run of a kind, `Spike 2 (16:41:03)` when there are reruns.
fn run_label(
    kind: &str,
    index: usize,
    count: usize,
    saved: Option<chrono::NaiveDateTime>,
) -> String {
    match (count, saved) {
        (1, _) => kind.to_string(),
        (_, Some(t)) => format!("{kind} {} ({})", index + 1, t.format("%H:%M:%S")),
        (_, None) => format!("{kind} {}", index + 1),
    }
}

pub fn analyze(inputs: &SessionInputs) -> Analysis {
    let offset = inputs.clock.seconds;
    let mut scenarios = Vec::new();
    for run in &inputs.basic {
        let file = file_name(run.sources.file.as_deref());
        let log = file_name(run.sources.log.as_deref());
        for s in &run.scenarios {
            scenarios.push(scenarios::basic_row(
                &s.name,
                s.file.as_ref(),
                s.console.as_ref(),
                &file,
                &log,
            ));
        }
    }
    let mut timelines = Vec::new();
    let spikes: Vec<spike::SpikeReport> = inputs
        .spikes
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let label = run_label("Spike", i, inputs.spikes.len(), run.saved_local);
            let report = spike::analyze(run, &label);
            scenarios.extend(report.phases.iter().map(|p| {
                let mut row = p.row.clone();
                row.test = label.clone();
                row
            }));
            let all: Vec<_> = run
                .phases
                .iter()
                .filter_map(|p| p.records.clone())
                .collect();
            if let Some(t) = timeline(&label, &run.sources.describe(), &concat(&all), offset) {
                timelines.push(t);
            }
            report
        })
        .collect();
    let stresses = inputs
        .stresses
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let label = run_label("Stress", i, inputs.stresses.len(), run.saved_local);
            if let Some(t) = timeline(&label, &run.sources.describe(), &run.records, offset) {
                timelines.push(t);
            }
            stress::analyze(run, &label)
        })
        .collect();
    let soaks = inputs
        .soaks
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let label = run_label("Soak", i, inputs.soaks.len(), run.saved_local);
            let report = soak::analyze(run, &label, offset);
            if let Some(row) = &report.overall {
                scenarios.push(row.clone());
            }
            if let Some(t) = timeline(&label, &run.sources.describe(), &run.records, offset) {
                timelines.push(t);
            }
            report
        })
        .collect();
    Analysis {
        session: inputs.name.clone(),
        clock: (&inputs.clock).into(),
        scenarios,
        spikes,
        stresses,
        soaks,
        timelines,
        problems: inputs.problems.clone(),
        files_used: inputs
            .files_used
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        has_cluster_data: false,
    }
}

fn concat(
    parts: &[crate::ingest::records::RequestColumns],
) -> crate::ingest::records::RequestColumns {
    let mut all = crate::ingest::records::RequestColumns::default();
    for p in parts {
        all.end_local_us.extend_from_slice(&p.end_local_us);
        all.latency_s.extend_from_slice(&p.latency_s);
        all.success.extend_from_slice(&p.success);
        all.tokens.extend_from_slice(&p.tokens);
        all.error.extend_from_slice(&p.error);
    }
    all
}

fn timeline(
    label: &str,
    source: &str,
    records: &crate::ingest::records::RequestColumns,
    offset: i32,
) -> Option<Timeline> {
    if records.is_empty() {
        return None;
    }
    let span = stats::latency_stats(records)
        .ok()?
        .end_span_s
        .unwrap_or(0.0);
    let window_s = windows::window_seconds(span);
    let rows = windows::windows(records, offset, window_s).ok()?;
    Some(Timeline {
        label: label.to_string(),
        source: source.to_string(),
        window_s,
        windows: rows,
    })
}
