//! Spike test: the three phases side by side, their change against the baseline, and the
//! recovery time when per-request records allow it.

use serde::Serialize;

use super::figure::{Figure, PERCENT, REQ_PER_S, SECONDS};
use super::scenarios::{ConsoleFallback, PhaseFigures, ScenarioRow};
use super::sending::PhaseSends;
use super::stats::{floats, latency_stats, stat_exprs};
use super::{duration_between, file_name};
use crate::ingest::SpikeRun;
use polars::prelude::*;

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
    SpikeReport {
        label: label.to_string(),
        source: run.sources.describe(),
        phases,
        crash: run.crash.clone(),
        time_to_recover: Figure::unavailable(
            SECONDS,
            "needs per-request records (all_results) and the time-stamped console log of this run",
        ),
    }
}

/// Windows of requests sent after the spike, for the time to recover.
pub const RECOVERY_WINDOW_S: i64 = 5;

/// Spike end → the first [`RECOVERY_WINDOW_S`] window, counted from the spike's end, of
/// requests *sent* after it (sent = end − latency) whose p95 (type 7, successful requests) is
/// within `within` of the baseline p95. 0 means the first window was already back.
pub fn time_to_recover(
    records: Option<&DataFrame>,
    spike_end: Option<chrono::DateTime<chrono::Utc>>,
    baseline_p95: Option<f64>,
    within: f64,
) -> Figure {
    let Some(records) = records else {
        return Figure::unavailable(
            SECONDS,
            "needs per-request records (all_results or report run)",
        );
    };
    let Some(end) = spike_end else {
        return Figure::unavailable(
            SECONDS,
            "the spike phase is not on the clock: needs the time-stamped console log or run events",
        );
    };
    let Some(baseline) = baseline_p95 else {
        return Figure::unavailable(SECONDS, "the baseline phase has no p95");
    };
    let limit = baseline * (1.0 + within);
    let windows = match sent_windows_p95(records, end) {
        Ok(w) => w,
        Err(e) => return Figure::unavailable(SECONDS, format!("windows not computed: {e}")),
    };
    match windows.iter().find(|(_, p95)| p95.is_some_and(|p| p <= limit)) {
        Some((k, _)) => Figure::known((k * RECOVERY_WINDOW_S) as f64, SECONDS, "per-request records")
            .method(format!(
                "start of the first {RECOVERY_WINDOW_S} s window (counted from the end of the spike phase) of requests sent after it whose p95 ≤ {:.0} % of the baseline p95 ({}); sent = end − latency; p95 by linear interpolation (type 7) of the successful requests",
                100.0 * (1.0 + within),
                crate::units::seconds(baseline)
            )),
        None if windows.is_empty() => Figure::unavailable(
            SECONDS,
            "no request was sent after the spike phase ended",
        ),
        None => Figure::unavailable(
            SECONDS,
            format!(
                "the p95 of the requests sent after the spike never came back within {:.0} % of the baseline p95 ({})",
                100.0 * within,
                crate::units::seconds(baseline)
            ),
        ),
    }
}

/// (window index from `end`, p95) of the requests sent at or after `end`, in order.
fn sent_windows_p95(
    records: &DataFrame,
    end: chrono::DateTime<chrono::Utc>,
) -> PolarsResult<Vec<(i64, Option<f64>)>> {
    let end_us = end.timestamp_micros();
    let sent = col("end").cast(DataType::Int64) - (col("latency") * lit(1e6)).cast(DataType::Int64);
    let p95 = stat_exprs()
        .into_iter()
        .filter(|e| matches!(e, Expr::Alias(_, name) if name == "p95"))
        .collect::<Vec<_>>();
    let grouped = records
        .clone()
        .lazy()
        .filter(col("end").is_not_null().and(col("latency").is_not_null()))
        .with_column(sent.alias("sent_us"))
        .filter(col("sent_us").gt_eq(lit(end_us)))
        .with_column(
            // Non-negative: truncation is the floor.
            ((col("sent_us") - lit(end_us)) / lit(RECOVERY_WINDOW_S * 1_000_000))
                .cast(DataType::Int64)
                .alias("k"),
        )
        .group_by([col("k")])
        .agg(p95)
        .sort(["k"], Default::default())
        .collect()?;
    let k = floats(&grouped, "k");
    let p95 = floats(&grouped, "p95");
    Ok(k.into_iter()
        .zip(p95)
        .filter_map(|(k, p)| Some((k? as i64, p)))
        .collect())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::records::RequestColumns;

    /// Records given as (sent, latency) in seconds after `base`, all successful.
    fn frame(base: i64, requests: &[(f64, f64)]) -> DataFrame {
        let records = RequestColumns {
            end_local_us: requests
                .iter()
                .map(|(sent, latency)| Some(base + ((sent + latency) * 1e6).round() as i64))
                .collect(),
            latency_s: requests.iter().map(|(_, l)| Some(*l)).collect(),
            success: vec![true; requests.len()],
            tokens: vec![None; requests.len()],
            error: vec![None; requests.len()],
            ..Default::default()
        };
        crate::analyze::stats::records_frame(&records, 0).unwrap()
    }

    #[test]
    fn recovery_is_judged_on_requests_sent_after_the_spike() {
        let base = 1_764_115_800_000_000_i64; // a whole minute
        let end = chrono::DateTime::from_timestamp_micros(base + 2_000_000).unwrap();
        // Spike ends at +2 s; windows of sent times [2, 7), [7, 12). A request sent during the
        // spike (at −5 s, 10 s latency) is left out. Window 0: 3.0 and 2.5 s, p95 2.975 s;
        // window 1: 1.0 and 1.05 s, p95 1.0 + 0.95 × 0.05 = 1.0475 s ≤ 1.1 × 1.0 s.
        let f = frame(
            base,
            &[
                (-5.0, 10.0),
                (3.0, 3.0),
                (4.0, 2.5),
                (8.0, 1.0),
                (9.0, 1.05),
            ],
        );
        let t = time_to_recover(Some(&f), Some(end), Some(1.0), 0.10);
        assert_eq!(t.value, Some(5.0), "{t:?}");
        // Back in the first window.
        let f = frame(base, &[(-5.0, 10.0), (2.5, 1.0), (3.0, 1.05)]);
        let t = time_to_recover(Some(&f), Some(end), Some(1.0), 0.10);
        assert_eq!(t.value, Some(0.0), "{t:?}");
        // Nothing sent after the spike.
        let f = frame(base, &[(-5.0, 10.0)]);
        let t = time_to_recover(Some(&f), Some(end), Some(1.0), 0.10);
        assert_eq!(
            t.unavailable.as_deref(),
            Some("no request was sent after the spike phase ended")
        );
        assert_eq!(
            time_to_recover(Some(&f), Some(end), None, 0.10)
                .unavailable
                .as_deref(),
            Some("the baseline phase has no p95")
        );
    }
}
