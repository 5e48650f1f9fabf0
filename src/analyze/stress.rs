//! Stress test: per-step figures (from the console log; the results file has none), the rate
//! really achieved per step, the breaking point and the maximum stable rate.

use serde::Serialize;

use super::figure::{Figure, PERCENT, REQ_PER_S, REQUESTS, SECONDS};
use super::sending::{ACHIEVED_RATE_FLOOR, PhaseSends};
use super::{duration_between, file_name};
use crate::ingest::StressRun;
use crate::ingest::console::ConsoleStep;
use crate::units::plain;

/// The scripts' breaking criteria (their code has no options for them).
pub const SCRIPT_MIN_SUCCESS_PCT: f64 = 95.0;
pub const SCRIPT_MAX_AVG_LATENCY_S: f64 = 10.0;
/// Degrading: some failures, or the average latency above this multiple of the first step's.
pub const DEGRADING_LATENCY_FACTOR: f64 = 2.0;

/// When a step breaks: the criteria `report run` recorded, else the scripts' own.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Criteria {
    pub min_success_pct: f64,
    pub max_avg_latency_s: f64,
    /// True when read from the results file (`report run stress --min-success ...`).
    pub recorded_by_run: bool,
}

impl Criteria {
    pub const SCRIPTS: Criteria = Criteria {
        min_success_pct: SCRIPT_MIN_SUCCESS_PCT,
        max_avg_latency_s: SCRIPT_MAX_AVG_LATENCY_S,
        recorded_by_run: false,
    };
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Good,
    Degrading,
    Breaking,
    /// Neither a success rate nor a latency is known.
    NoVerdict,
}

/// Which rule gave a step its status (several degrading rules can apply at once).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum StepRule {
    /// Not one request succeeded (the scripts then crash without printing the step's figures).
    NoSuccessfulAnswer,
    SuccessBelow {
        success_pct: f64,
        min_pct: f64,
    },
    LatencyAbove {
        avg_s: f64,
        max_s: f64,
    },
    SomeFailed {
        success_pct: f64,
    },
    SlowerThanFirst {
        factor: f64,
    },
    /// Sent below [`ACHIEVED_RATE_FLOOR`] of the target.
    SentBelowTarget {
        share_pct: f64,
    },
    /// Answers came back below [`ACHIEVED_RATE_FLOOR`] of the rate sent: requests queued.
    AnswersBehind {
        share_pct: f64,
    },
    WithinCriteria,
    NoFigures,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StressStep {
    pub target_rps: f64,
    pub requests: Figure,
    pub duration: Figure,
    pub achieved_rps: Figure,
    pub answered_rps: Figure,
    pub drain: Figure,
    pub success_rate: Figure,
    pub avg: Figure,
    pub status: StepStatus,
    pub rules: Vec<StepRule>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StressReport {
    pub label: String,
    pub source: String,
    pub criteria: Criteria,
    pub steps: Vec<StressStep>,
    pub breaking_point: Figure,
    pub max_tested: Figure,
    pub max_stable_target: Figure,
    pub max_stable_achieved: Figure,
    pub crash: Option<String>,
    pub notes: Vec<StressNote>,
}

/// What the report says under the stress table, as facts; render/stress_words.rs words them.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StressNote {
    /// The test's own breaking point (results file or console) differs from the table's rule.
    AnnouncedDiffers {
        announced_rps: Option<f64>,
        rule_rps: Option<f64>,
    },
    /// The script claimed it handled its maximum load while answers fell behind the rate sent.
    ClaimedMaxLoad {
        claimed_rps: f64,
        best_answered_rps: f64,
        steps_behind: usize,
    },
    /// A step begun and stopped when the run ended: too short to judge, left out.
    StepStopped {
        target_rps: f64,
        ran_s: Option<f64>,
        planned_requests: Option<u64>,
    },
    /// The script crashed and wrote no results file: the steps come from its console log.
    Crashed { error: String },
}

/// What the step rule looks at.
struct StepFacts {
    success: Option<f64>,
    avg: Option<f64>,
    no_success: bool,
    target: f64,
    sent: Option<f64>,
    answered: Option<f64>,
}

/// The one rule behind every step's status and the breaking point.
fn judge(f: &StepFacts, first_avg: Option<f64>, c: &Criteria) -> (StepStatus, Vec<StepRule>) {
    if f.no_success {
        return (StepStatus::Breaking, vec![StepRule::NoSuccessfulAnswer]);
    }
    let mut breaking = Vec::new();
    if let Some(s) = f.success.filter(|s| *s < c.min_success_pct) {
        breaking.push(StepRule::SuccessBelow {
            success_pct: s,
            min_pct: c.min_success_pct,
        });
    }
    if let Some(a) = f.avg.filter(|a| *a > c.max_avg_latency_s) {
        breaking.push(StepRule::LatencyAbove {
            avg_s: a,
            max_s: c.max_avg_latency_s,
        });
    }
    if !breaking.is_empty() {
        return (StepStatus::Breaking, breaking);
    }
    if f.success.is_none() && f.avg.is_none() {
        return (StepStatus::NoVerdict, vec![StepRule::NoFigures]);
    }
    let mut degrading = Vec::new();
    if let Some(s) = f.success.filter(|s| *s < 100.0) {
        degrading.push(StepRule::SomeFailed { success_pct: s });
    }
    if let (Some(a), Some(first)) = (f.avg, first_avg)
        && first > 0.0
        && a > DEGRADING_LATENCY_FACTOR * first
    {
        degrading.push(StepRule::SlowerThanFirst { factor: a / first });
    }
    if let Some(r) = f
        .sent
        .filter(|r| f.target > 0.0 && *r < ACHIEVED_RATE_FLOOR * f.target)
    {
        degrading.push(StepRule::SentBelowTarget {
            share_pct: 100.0 * r / f.target,
        });
    }
    if let (Some(answered), Some(sent)) = (f.answered, f.sent)
        && sent > 0.0
        && answered < ACHIEVED_RATE_FLOOR * sent
    {
        degrading.push(StepRule::AnswersBehind {
            share_pct: 100.0 * answered / sent,
        });
    }
    if degrading.is_empty() {
        (StepStatus::Good, vec![StepRule::WithinCriteria])
    } else {
        (StepStatus::Degrading, degrading)
    }
}

pub fn analyze(run: &StressRun, label: &str) -> StressReport {
    let file = file_name(run.sources.file.as_deref());
    let log = file_name(run.sources.log.as_deref());
    let criteria = run.criteria.map_or(Criteria::SCRIPTS, |c| Criteria {
        min_success_pct: c.min_success_percent,
        max_avg_latency_s: c.max_avg_latency_s,
        recorded_by_run: true,
    });
    let first_avg = run.steps.first().and_then(|s| s.avg_s);
    let no_log = "per-step figures exist only in the console log, which this session lacks";
    let (stopped, complete): (Vec<&ConsoleStep>, Vec<&ConsoleStep>) =
        run.steps.iter().partition(|s| s.stopped_early);
    let last = complete.len().saturating_sub(1);
    let steps: Vec<StressStep> = complete
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let duration = duration_between(s.start, s.end);
            let requests = s
                .planned_requests
                .map(|n| n as f64)
                .or_else(|| s.planned_s.map(|p| p * s.target_rps));
            let rate_source = if s.sends.last_is_final {
                crate::session::files::REQUESTS.to_string()
            } else {
                log.clone()
            };
            let sending = PhaseSends {
                sends: &s.sends,
                requests,
                start: s.start,
                answers_end: s.end,
                target_rps: Some(s.target_rps),
                source: &rate_source,
            }
            .sending();
            // The scripts crash on a step without one success, before printing its figures.
            let crashed_here = run.crash.is_some() && i == last;
            let facts = StepFacts {
                success: s.success_rate,
                avg: s.avg_s,
                no_success: s.success_rate == Some(0.0)
                    || (crashed_here && s.success_rate.is_none() && s.avg_s.is_none()),
                target: s.target_rps,
                sent: sending.achieved_rps.value,
                answered: sending.answered_rps.value,
            };
            let (status, rules) = judge(&facts, first_avg, &criteria);
            let no_figures = if facts.no_success {
                "every request failed: no success rate or latency"
            } else {
                no_log
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
                status,
                rules,
                achieved_rps: sending.achieved_rps,
                answered_rps: sending.answered_rps,
                drain: sending.drain,
                success_rate: match s.success_rate {
                    Some(v) => Figure::known(v, PERCENT, &log),
                    None if facts.no_success => Figure::known(0.0, PERCENT, &log).method(
                        "no step figures printed before the script crashed: every request failed",
                    ),
                    None => Figure::unavailable(PERCENT, no_log),
                },
                avg: Figure::from_option(s.avg_s, SECONDS, &log, no_figures),
            }
        })
        .collect();
    let breaking_at = steps.iter().position(|s| s.status == StepStatus::Breaking);
    let before_break = &steps[..breaking_at.unwrap_or(steps.len())];
    let stable: Vec<&StressStep> = before_break
        .iter()
        .filter(|s| matches!(s.status, StepStatus::Good | StepStatus::Degrading))
        .collect();
    let max_stable_target = stable
        .iter()
        .map(|s| s.target_rps)
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
    let max_stable_achieved = stable
        .iter()
        .filter_map(|s| s.answered_rps.value)
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
    let criteria_text = format!(
        "success < {} % or average latency > {} s",
        plain(criteria.min_success_pct),
        plain(criteria.max_avg_latency_s)
    );
    let breaking_point = match breaking_at {
        Some(i) => Figure::known(steps[i].target_rps, REQ_PER_S, run.sources.describe())
            .method(format!("first step judged breaking ({criteria_text})")),
        // No step to judge: the test's own announcement is all there is.
        None if steps.is_empty() => Figure::first_known([
            Figure::from_option(run.breaking_point, REQ_PER_S, &file, "not recorded")
                .method("as the results file states it (no per-step figures to judge)"),
            Figure::from_option(
                run.console_breaking_point,
                REQ_PER_S,
                &log,
                "no stress step to judge and none announced",
            )
            .method("as the console announced it (no per-step figures to judge)"),
        ]),
        None => Figure::unavailable(
            REQ_PER_S,
            format!("none: no step reached the breaking criteria ({criteria_text})"),
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
    let announced = run.breaking_point.or(run.console_breaking_point);
    if !steps.is_empty()
        && announced != breaking_point.value
        && !(announced.is_none() && run.crash.is_some())
    {
        notes.push(StressNote::AnnouncedDiffers {
            announced_rps: announced,
            rule_rps: breaking_point.value,
        });
    }
    let steps_behind = steps
        .iter()
        .filter(|s| {
            s.rules
                .iter()
                .any(|r| matches!(r, StepRule::AnswersBehind { .. }))
        })
        .count();
    if let Some(claimed_rps) = run.console_handled_max
        && steps_behind > 0
    {
        notes.push(StressNote::ClaimedMaxLoad {
            claimed_rps,
            best_answered_rps: max_stable_achieved.unwrap_or(0.0),
            steps_behind,
        });
    }
    notes.extend(stopped.iter().map(|s| StressNote::StepStopped {
        target_rps: s.target_rps,
        ran_s: duration_between(s.start, s.end),
        planned_requests: s.planned_requests,
    }));
    if let Some(error) = &run.crash {
        notes.push(StressNote::Crashed {
            error: error.clone(),
        });
    }
    StressReport {
        label: label.to_string(),
        source: run.sources.describe(),
        criteria,
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
        .method("highest answered rate (requests / start to last answer) among the steps before the breaking point"),
        crash: run.crash.clone(),
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::results::FileCriteria;

    fn step(rate: f64, success: f64, avg: f64) -> ConsoleStep {
        ConsoleStep {
            target_rps: rate,
            success_rate: Some(success),
            avg_s: Some(avg),
            ..Default::default()
        }
    }

    /// Issue 10 §3: a step showed "❌ breaking" while the breaking point said none. The file's
    /// own breaking point (none) no longer stands against the table's rule.
    #[test]
    fn statuses_and_breaking_point_come_from_the_same_rule_and_recorded_criteria() {
        let mut run = StressRun {
            steps: vec![
                step(1.0, 100.0, 1.0),
                step(2.0, 90.0, 1.1),
                step(3.0, 80.0, 1.2),
            ],
            breaking_point: None,
            ..Default::default()
        };
        let scripts = analyze(&run, "Stress");
        let statuses: Vec<StepStatus> = scripts.steps.iter().map(|s| s.status).collect();
        assert_eq!(
            statuses,
            [StepStatus::Good, StepStatus::Breaking, StepStatus::Breaking]
        );
        assert_eq!(scripts.breaking_point.value, Some(2.0));
        assert_eq!(scripts.max_stable_target.value, Some(1.0));
        assert_eq!(
            scripts.steps[1].rules,
            [StepRule::SuccessBelow {
                success_pct: 90.0,
                min_pct: 95.0
            }]
        );
        assert_eq!(
            scripts.notes[0],
            StressNote::AnnouncedDiffers {
                announced_rps: None,
                rule_rps: Some(2.0)
            }
        );
        // `report run stress --min-success 85` recorded: 90 % only degrades, 80 % breaks.
        run.criteria = Some(FileCriteria {
            min_success_percent: 85.0,
            max_avg_latency_s: 10.0,
        });
        let recorded = analyze(&run, "Stress");
        assert_eq!(recorded.steps[1].status, StepStatus::Degrading);
        assert_eq!(recorded.breaking_point.value, Some(3.0));
        assert!(recorded.criteria.recorded_by_run);
        assert_eq!(recorded.max_stable_target.value, Some(2.0));
    }
}
