//! Spike test: the three phases side by side, their change against the baseline, and the
//! recovery time when per-request records allow it.

use serde::Serialize;

use super::figure::{Figure, PERCENT, REQ_PER_S, SECONDS};
use super::scenarios::{ConsoleFallback, PhaseFigures, ScenarioRow};
use super::sending::PhaseSends;
use super::stats::latency_stats;
use super::{duration_between, file_name};
use crate::ingest::SpikeRun;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SpikePhase {
    pub name: String,
    pub target_rps: Figure,
    pub duration: Figure,
    /// Requests sent / the sending window.
    pub achieved_rps: Figure,
    /// Requests / phase start to its last answer.
    pub answered_rps: Figure,
    /// Last answer − last send.
    pub drain: Figure,
    pub row: ScenarioRow,
    pub avg_change_pct: Figure,
    pub p95_change_pct: Figure,
    pub start: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SpikeReport {
    pub label: String,
    pub source: String,
    pub phases: Vec<SpikePhase>,
    pub crash: Option<String>,
    pub headline: String,
    /// Spike end → first window whose p95 is back within 10 % of the baseline's.
    pub time_to_recover: Figure,
}

pub fn analyze(run: &SpikeRun, label: &str) -> SpikeReport {
    let file = file_name(run.sources.file.as_deref());
    let log = file_name(run.sources.log.as_deref());
    let mut phases: Vec<SpikePhase> = run
        .phases
        .iter()
        .map(|p| {
            let stats = p.records.as_ref().and_then(|r| latency_stats(r).ok());
            let records_source = format!(
                "{file} all_results ({} records)",
                p.records.as_ref().map_or(0, |r| r.len())
            );
            let console = p.console.as_ref();
            let duration = console
                .and_then(|c| duration_between(c.start, c.end))
                .map(|d| (d, format!("{log} phase markers")));
            let row = PhaseFigures {
                test: "Spike",
                name: &p.name,
                file_name: &file,
                analysis: p.file.as_ref(),
                records: stats.as_ref().map(|s| (s, records_source.as_str())),
                duration: duration.clone(),
                console: console.map(|c| ConsoleFallback {
                    log_name: log.clone(),
                    total: c.total,
                    successful: c.successful,
                    avg_s: c.avg_s,
                    p95_s: c.p95_s,
                }),
                exact_percentiles: run.generator.is_some(),
            }
            .row();
            let default_sends = Default::default();
            let sends = console.map_or(&default_sends, |c| &c.sends);
            let rate_source = if sends.last_is_final {
                crate::session::files::REQUESTS.to_string()
            } else {
                log.clone()
            };
            let sending = PhaseSends {
                sends,
                requests: row
                    .requests
                    .value
                    .or(console.and_then(|c| c.planned_requests.map(|n| n as f64))),
                start: console.and_then(|c| c.start),
                answers_end: console.and_then(|c| c.end),
                target_rps: console.and_then(|c| c.target_rps),
                source: &rate_source,
            }
            .sending();
            SpikePhase {
                name: p.name.clone(),
                target_rps: Figure::from_option(
                    console.and_then(|c| c.target_rps),
                    REQ_PER_S,
                    &log,
                    "rate not recorded: needs the console log",
                ),
                duration: match &duration {
                    Some((d, how)) => Figure::known(*d, SECONDS, how.clone())
                        .method("next phase marker − this phase marker"),
                    None => Figure::unavailable(
                        SECONDS,
                        "needs the time-stamped console log of this run",
                    ),
                },
                achieved_rps: sending.achieved_rps,
                answered_rps: sending.answered_rps,
                drain: sending.drain,
                row,
                avg_change_pct: Figure::unavailable(PERCENT, "no baseline phase"),
                p95_change_pct: Figure::unavailable(PERCENT, "no baseline phase"),
                start: console.and_then(|c| c.start).map(|t| t.to_rfc3339()),
            }
        })
        .collect();
    add_changes(&mut phases);
    let headline = headline(&phases);
    SpikeReport {
        label: label.to_string(),
        source: run.sources.describe(),
        phases,
        crash: run.crash.clone(),
        headline,
        time_to_recover: Figure::unavailable(
            SECONDS,
            "needs per-request records (all_results) and the time-stamped console log of this run",
        ),
    }
}

/// Spike end → start of the first window after it whose p95 is within `within` of the
/// baseline p95. Windows are by request end time, so the resolution is one window.
pub fn time_to_recover(
    spike_end: chrono::DateTime<chrono::Utc>,
    baseline_p95: f64,
    windows: &[super::windows::WindowRow],
    window_s: i64,
    within: f64,
) -> Figure {
    let limit = baseline_p95 * (1.0 + within);
    match windows.iter().find(|w| w.start >= spike_end && w.p95.is_some_and(|p| p <= limit)) {
        Some(w) => Figure::known((w.start - spike_end).num_microseconds().unwrap_or(0) as f64 / 1e6, SECONDS, "per-request records")
            .method(format!("first {window_s} s window after the spike phase with p95 ≤ {:.0} % of the baseline p95 (resolution {window_s} s)", 100.0 * (1.0 + within))),
        None => Figure::unavailable(SECONDS, "p95 never came back within 10 % of the baseline in the recorded requests"),
    }
}

fn change(value: &Figure, baseline: &Figure) -> Figure {
    match (value.value, baseline.value) {
        (Some(v), Some(b)) if b > 0.0 => {
            Figure::known(100.0 * (v - b) / b, PERCENT, value.source.clone())
                .method("(phase − baseline) / baseline")
        }
        _ => Figure::unavailable(PERCENT, "needs this phase's and the baseline's value"),
    }
}

fn add_changes(phases: &mut [SpikePhase]) {
    let Some(base) = phases
        .iter()
        .find(|p| p.name == "Baseline")
        .map(|p| p.row.clone())
    else {
        return;
    };
    for p in phases.iter_mut().filter(|p| p.name != "Baseline") {
        p.avg_change_pct = change(&p.row.avg, &base.avg);
        p.p95_change_pct = change(&p.row.p95, &base.p95);
    }
}

fn headline(phases: &[SpikePhase]) -> String {
    let find = |n: &str| phases.iter().find(|p| p.name == n);
    match (find("Baseline"), find("Spike")) {
        (Some(b), Some(s)) => match (b.row.avg.value, s.row.avg.value, s.row.success_rate.value) {
            (Some(bv), Some(sv), Some(ok)) if bv > 0.0 => format!(
                "During the spike the average latency rose {:.1}× ({} → {}) with {:.1} % of requests successful.",
                sv / bv,
                crate::units::seconds(bv),
                crate::units::seconds(sv),
                ok
            ),
            _ => "The spike's latency change cannot be computed: a phase has no latency figures."
                .into(),
        },
        _ => "Incomplete spike test: the baseline or spike phase is missing.".into(),
    }
}
