//! Stress test: per-step figures (from the console log; the results file has none), the rate
//! really achieved per step, the breaking point and the maximum stable rate.

use serde::Serialize;

use super::figure::{Figure, PERCENT, REQ_PER_S, REQUESTS, SECONDS};
use super::{duration_between, file_name};
use crate::ingest::StressRun;
use crate::ingest::console::ConsoleStep;
use crate::render::format::{plain, seconds};

/// Steps below this share of their target rate did not test what they claim.
pub const ACHIEVED_RATE_FLOOR: f64 = 0.95;
/// The scripts' breaking criteria.
pub const BREAKING_SUCCESS_PCT: f64 = 95.0;
pub const BREAKING_AVG_LATENCY_S: f64 = 10.0;
/// Degrading: some failures, or the average latency above this multiple of the first step's.
pub const DEGRADING_LATENCY_FACTOR: f64 = 2.0;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StressStep {
    pub target_rps: f64,
    pub requests: Figure,
    pub duration: Figure,
    pub achieved_rps: Figure,
    pub success_rate: Figure,
    pub avg: Figure,
    pub status: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StressReport {
    pub label: String,
    pub source: String,
    pub steps: Vec<StressStep>,
    pub breaking_point: Figure,
    pub max_tested: Figure,
    pub max_stable_target: Figure,
    pub max_stable_achieved: Figure,
    pub crash: Option<String>,
    pub notes: Vec<String>,
    pub headline: String,
}

/// Flags an achieved rate below [`ACHIEVED_RATE_FLOOR`] of its target: the load that was
/// claimed was not the load that was sent.
pub fn achieved_rate(rate: f64, target: Option<f64>, figure: Figure) -> Figure {
    match target {
        Some(t) if t > 0.0 && rate < ACHIEVED_RATE_FLOOR * t => figure.flag(format!(
            "{:.0} % of the {} req/s target: the client could not send the planned load",
            100.0 * rate / t,
            t
        )),
        _ => figure,
    }
}

pub const STATUS_GOOD: &str = "✅ good";
pub const STATUS_DEGRADING: &str = "⚠️ degrading";
pub const STATUS_BREAKING: &str = "❌ breaking";

pub fn analyze(run: &StressRun, label: &str) -> StressReport {
    let file = file_name(run.sources.file.as_deref());
    let log = file_name(run.sources.log.as_deref());
    let first_avg = run.steps.first().and_then(|s| s.avg_s);
    let no_log = "per-step figures exist only in the console log, which this session lacks";
    let (stopped, complete): (Vec<&ConsoleStep>, Vec<&ConsoleStep>) =
        run.steps.iter().partition(|s| s.stopped_early);
    let steps: Vec<StressStep> = complete
        .into_iter()
        .map(|s| {
            let duration = duration_between(s.start, s.end);
            let requests = s
                .planned_requests
                .map(|n| n as f64)
                .or_else(|| s.planned_s.map(|p| p * s.target_rps));
            let achieved = match (requests, duration) {
                (Some(n), Some(d)) if d > 0.0 => achieved_rate(
                    n / d,
                    Some(s.target_rps),
                    Figure::known(n / d, REQ_PER_S, &log)
                        .method("requests sent / time between the step's start and end lines"),
                ),
                _ => Figure::unavailable(
                    REQ_PER_S,
                    "needs the step's time-stamped start and end lines",
                ),
            };
            StressStep {
                target_rps: s.target_rps,
                requests: Figure::from_option(requests, REQUESTS, &log, "not printed"),
                duration: Figure::from_option(
                    duration,
                    SECONDS,
                    &log,
                    "needs time-stamped console lines",
                ),
                status: status(s.success_rate, s.avg_s, first_avg, &achieved, s.target_rps),
                achieved_rps: achieved,
                success_rate: Figure::from_option(s.success_rate, PERCENT, &log, no_log),
                avg: Figure::from_option(s.avg_s, SECONDS, &log, no_log),
            }
        })
        .collect();
    let stable: Vec<&StressStep> = steps
        .iter()
        .filter(|s| s.status != STATUS_BREAKING)
        .collect();
    let max_stable_target = stable
        .iter()
        .map(|s| s.target_rps)
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
    let max_stable_achieved = stable
        .iter()
        .filter_map(|s| s.achieved_rps.value)
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
    let breaking_point = match (run.breaking_point, &run.sources.file) {
        (Some(bp), _) => Figure::known(bp, REQ_PER_S, &file),
        (None, Some(_)) => Figure::unavailable(
            REQ_PER_S,
            "none: no step fell below 95 % success or above 10 s average latency",
        ),
        (None, None) => Figure::from_option(
            run.console_breaking_point,
            REQ_PER_S,
            &log,
            "the results file is missing and the console announced none",
        ),
    };
    let max_tested = Figure::first_known([
        Figure::from_option(run.max_tested, REQ_PER_S, &file, "not recorded"),
        Figure::from_option(
            run.steps.last().map(|s| s.target_rps),
            REQ_PER_S,
            &log,
            "not recorded",
        )
        .method("last step started"),
    ]);
    let mut notes = Vec::new();
    let short: Vec<&StressStep> = steps
        .iter()
        .filter(|s| s.achieved_rps.flag.is_some())
        .collect();
    if let Some(claim) = run.console_handled_max
        && !short.is_empty()
    {
        let best = max_stable_achieved.unwrap_or(0.0);
        notes.push(format!(
            "The script printed \"System handled max load of {claim} req/s successfully\", but its client sent at most {best:.1} req/s: {} step(s) ran below 95 % of their target rate. Its latency excludes the time requests waited in the client's queue.",
            short.len()
        ));
    }
    notes.extend(stopped.iter().map(|s| stopped_note(s)));
    if let Some(why) = &run.crash {
        notes.push(format!("The script crashed (`{why}`) and wrote no results file; the steps come from its console log."));
    }
    let headline = match (max_stable_target, max_stable_achieved) {
        (Some(t), Some(a)) => format!(
            "Highest step below the breaking criteria: {t} req/s targeted, {a:.1} req/s really sent; breaking point: {}.",
            breaking_point
                .value
                .map_or("none reached".to_string(), |b| format!("{b} req/s"))
        ),
        _ => "No stress step has enough data for a verdict.".into(),
    };
    StressReport {
        label: label.to_string(),
        source: run.sources.describe(),
        steps,
        breaking_point,
        max_tested,
        max_stable_target: Figure::from_option(
            max_stable_target,
            REQ_PER_S,
            &log,
            "no step below the breaking criteria",
        ),
        max_stable_achieved: Figure::from_option(
            max_stable_achieved,
            REQ_PER_S,
            &log,
            "needs time-stamped step lines",
        )
        .method("highest achieved rate among non-breaking steps"),
        crash: run.crash.clone(),
        notes,
        headline,
    }
}

fn status(
    success: Option<f64>,
    avg: Option<f64>,
    first_avg: Option<f64>,
    achieved: &Figure,
    target: f64,
) -> &'static str {
    let breaking = success.is_some_and(|s| s < BREAKING_SUCCESS_PCT)
        || avg.is_some_and(|a| a > BREAKING_AVG_LATENCY_S);
    let slow = matches!((avg, first_avg), (Some(a), Some(f)) if f > 0.0 && a > DEGRADING_LATENCY_FACTOR * f);
    let short = achieved
        .value
        .is_some_and(|r| r < ACHIEVED_RATE_FLOOR * target);
    if breaking {
        STATUS_BREAKING
    } else if success.is_some_and(|s| s < 100.0) || slow || short {
        STATUS_DEGRADING
    } else {
        STATUS_GOOD
    }
}

/// A step the run began and then stopped (the previous step had broken, or Ctrl-C): it is not
/// judged, since its few requests say nothing about the rate.
fn stopped_note(step: &ConsoleStep) -> String {
    let ran = match duration_between(step.start, step.end) {
        Some(d) => format!(" after {}", seconds(d)),
        None => String::new(),
    };
    let requests = step
        .planned_requests
        .map_or(String::new(), |n| format!(" ({n} requests)"));
    format!(
        "The {} req/s step was stopped{ran}{requests} when the run ended: too short to judge, so it is left out of the table and the charts.",
        plain(step.target_rps)
    )
}

/// The thresholds, printed under the table.
pub fn thresholds_text() -> String {
    format!(
        "{STATUS_BREAKING}: success < {BREAKING_SUCCESS_PCT} % or average latency > {BREAKING_AVG_LATENCY_S} s (the script's breaking criteria). \
{STATUS_DEGRADING}: any failure, average latency above {DEGRADING_LATENCY_FACTOR}× the first step's, or achieved rate below {:.0} % of the target. \
{STATUS_GOOD}: otherwise.",
        ACHIEVED_RATE_FLOOR * 100.0
    )
}
