//! Analysis: one module per question, in polars where there are per-request records. Returns
//! plain structs of [`figure::Figure`]s; no drawing, no text layout.

pub mod compare;
pub mod dispatch;
pub mod errors;
pub mod figure;
pub mod objectives;
pub mod phases;
pub mod record_sets;
pub mod scaling;
pub mod scenarios;
pub mod sending;
pub mod soak;
pub mod spike;
pub mod stats;
pub mod stress;
pub mod tokens;
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
    /// Test phases on the clock, with the source of their boundaries.
    pub phases: Vec<phases::ClockPhase>,
    /// The autoscaling story, when the session holds a cluster recording.
    pub scaling: Option<scaling::ScalingReport>,
    /// Simulated seconds per wall second, when the cluster was `report sim`.
    pub sim_speed: Option<f64>,
    /// Failures by HTTP status and error kind, per phase, step and soak.
    pub errors: errors::ErrorsReport,
    /// Per-token figures of streamed requests (TTFT, ITL, TPOT, tokens/s); in summary.json at
    /// the top level, as `streaming`.
    #[serde(skip)]
    pub streaming: tokens::StreamingReport,
    /// How late `report run` sent its requests (sent − scheduled), when it recorded them.
    pub dispatch: Option<dispatch::DispatchDelay>,
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
    let mut phases: Vec<phases::ClockPhase> = inputs.basic.iter().flat_map(basic_phases).collect();
    let spikes: Vec<spike::SpikeReport> = inputs
        .spikes
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let label = run_label("Spike", i, inputs.spikes.len(), run.saved_local);
            let mut report = spike::analyze(run, &label);
            let clock = spike_phases(run, &label, offset, &inputs.cluster.run_events);
            let spike_end = clock
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case("spike"))
                .map(|p| p.end);
            phases.extend(clock);
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
            let frame = records_frame_of(&concat(&all), offset);
            let source = run.sources.describe();
            if let Some(t) = frame
                .as_ref()
                .and_then(|f| timeline_of(&label, &source, f, None))
            {
                timelines.push(t);
            }
            let baseline_p95 = report
                .phases
                .iter()
                .find(|p| p.name == "Baseline")
                .and_then(|p| p.row.p95.value);
            report.time_to_recover = spike::time_to_recover(
                frame.as_ref(),
                spike_end,
                baseline_p95,
                scaling::RECOVERED_WITHIN,
            );
            report
        })
        .collect();
    let stresses: Vec<stress::StressReport> = inputs
        .stresses
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let label = run_label("Stress", i, inputs.stresses.len(), run.saved_local);
            phases.extend(stress_phases(run, &label, &inputs.cluster.run_events));
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
            let frame = records_frame_of(&run.records, offset);
            let report = soak::analyze(run, &label, frame.as_ref());
            phases.extend(soak_phase(run, &label, offset, &inputs.cluster.run_events));
            if let Some(row) = &report.overall {
                scenarios.push(row.clone());
            }
            let minutes = (!report.clock_minutes.is_empty()).then_some(&report.clock_minutes);
            if let Some(t) =
                frame.and_then(|f| timeline_of(&label, &run.sources.describe(), &f, minutes))
            {
                timelines.push(t);
            }
            report
        })
        .collect();
    phases.sort_by_key(|p| p.start);
    let scaling = (!inputs.cluster.is_empty()).then(|| {
        let spike_timeline = timelines.iter().find(|t| t.label.starts_with("Spike"));
        let baseline_p95 = spikes
            .first()
            .and_then(|s| s.phases.iter().find(|p| p.name == "Baseline"))
            .and_then(|p| p.row.p95.value);
        let latency = spike_timeline.map(|t| scaling::LatencyContext {
            test: &t.label,
            windows: &t.windows,
            baseline_p95,
        });
        scaling::analyze(&inputs.cluster, &phases, latency)
    });
    let errors = errors::analyze(&inputs.request_outcomes, &scenarios, &stresses);
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
        has_cluster_data: scaling.is_some(),
        phases,
        scaling,
        sim_speed: inputs
            .manifest
            .as_ref()
            .and_then(|m| m.cluster.as_ref())
            .and_then(|c| c.sim_speed),
        errors,
        streaming: tokens::analyze(&inputs.run_records.streaming),
        dispatch: dispatch::analyze(&inputs.run_records.dispatch_delay_s),
    }
}

/// The records of several parts as one set, in order.
pub(crate) fn concat(
    parts: &[crate::ingest::records::RequestColumns],
) -> crate::ingest::records::RequestColumns {
    let mut all = crate::ingest::records::RequestColumns::default();
    for p in parts {
        all.append(p.clone());
    }
    all
}

/// The records as a sorted frame, built once for every figure of a run; None without records.
fn records_frame_of(
    records: &crate::ingest::records::RequestColumns,
    offset: i32,
) -> Option<polars::prelude::DataFrame> {
    if records.is_empty() {
        return None;
    }
    stats::records_frame(records, offset).ok()
}

fn timeline(
    label: &str,
    source: &str,
    records: &crate::ingest::records::RequestColumns,
    offset: i32,
) -> Option<Timeline> {
    timeline_of(label, source, &records_frame_of(records, offset)?, None)
}

/// Latency per window over a run; `clock_minutes`, when already computed, serve a 60 s window.
fn timeline_of(
    label: &str,
    source: &str,
    frame: &polars::prelude::DataFrame,
    clock_minutes: Option<&Vec<windows::WindowRow>>,
) -> Option<Timeline> {
    // Only the span is needed to choose the window; the frame is sorted, nulls last.
    let ends = frame
        .column("end")
        .ok()?
        .cast(&polars::prelude::DataType::Int64)
        .ok()?
        .drop_nulls();
    let ends = ends.i64().ok()?;
    let span = match (ends.first(), ends.last()) {
        (Some(first), Some(last)) => (last - first) as f64 / 1e6,
        _ => 0.0,
    };
    let window_s = windows::window_seconds(span);
    let rows = match clock_minutes {
        Some(minutes) if window_s == 60 => minutes.clone(),
        _ => windows::windows_of(frame, window_s).ok()?,
    };
    Some(Timeline {
        label: label.to_string(),
        source: source.to_string(),
        window_s,
        windows: rows,
    })
}

fn basic_phases(run: &crate::ingest::BasicRun) -> Vec<phases::ClockPhase> {
    let log = file_name(run.sources.log.as_deref());
    run.scenarios
        .iter()
        .filter_map(|s| {
            let c = s.console.as_ref()?;
            phases::from_console("Basic load", &s.name, c.start, c.end, None, &log)
        })
        .collect()
}

/// Phases from `report run`'s events, which are exact, else those `found` in the console log
/// or the records.
fn run_event_phases(
    label: &str,
    test: &str,
    found: Vec<phases::ClockPhase>,
    events: &[crate::ingest::cluster::RunEventRecord],
) -> Vec<phases::ClockPhase> {
    let exact = phases::from_run_events(label, test, events);
    if exact.is_empty() { found } else { exact }
}

fn spike_phases(
    run: &crate::ingest::SpikeRun,
    label: &str,
    offset: i32,
    events: &[crate::ingest::cluster::RunEventRecord],
) -> Vec<phases::ClockPhase> {
    let log = file_name(run.sources.log.as_deref());
    let file = file_name(run.sources.file.as_deref());
    let found = run
        .phases
        .iter()
        .filter_map(|p| {
            let c = p.console.as_ref();
            c.and_then(|c| phases::from_console(label, &p.name, c.start, c.end, c.target_rps, &log))
                .or_else(|| {
                    p.records
                        .as_ref()
                        .and_then(|r| phases::from_records(label, &p.name, r, offset, &file))
                })
        })
        .collect();
    run_event_phases(label, "spike", found, events)
}

fn stress_phases(
    run: &crate::ingest::StressRun,
    label: &str,
    events: &[crate::ingest::cluster::RunEventRecord],
) -> Vec<phases::ClockPhase> {
    let log = file_name(run.sources.log.as_deref());
    let found = run
        .steps
        .iter()
        .filter_map(|s| {
            phases::from_console(
                label,
                &step_name(s.target_rps),
                s.start,
                s.end,
                Some(s.target_rps),
                &log,
            )
        })
        .collect();
    run_event_phases(label, "stress", found, events)
}

/// The name of a stress step in phase tables: `13 req/s`.
pub fn step_name(rps: f64) -> String {
    format!("{} req/s", crate::units::plain(rps))
}

fn soak_phase(
    run: &crate::ingest::SoakRun,
    label: &str,
    offset: i32,
    events: &[crate::ingest::cluster::RunEventRecord],
) -> Vec<phases::ClockPhase> {
    let log = file_name(run.sources.log.as_deref());
    let file = file_name(run.sources.file.as_deref());
    let found: Vec<_> = run
        .console
        .as_ref()
        .and_then(|c| phases::from_console(label, "Soak", c.start, c.end, run.target_rps, &log))
        .or_else(|| phases::from_records(label, "Soak", &run.records, offset, &file))
        .into_iter()
        .collect();
    run_event_phases(label, "soak", found, events)
}
