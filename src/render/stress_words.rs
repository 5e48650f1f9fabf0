//! The stress test's verdicts in words: a step's status with the rule that gave it, and the
//! thresholds printed under the table.

use super::escape::Md;
use super::format::{percent, plain, seconds};
use crate::analyze::sending::ACHIEVED_RATE_FLOOR;
use crate::analyze::stress::{
    Criteria, DEGRADING_LATENCY_FACTOR, StepRule, StepStatus, StressNote, StressReport,
};

fn rate(rps: Option<f64>) -> String {
    rps.map_or("none".to_string(), |r| format!("{} req/s", plain(r)))
}

/// The line under the stress table's heading: the highest stable step and the breaking point.
pub fn headline(s: &StressReport) -> String {
    match (s.max_stable_target.value, s.max_stable_achieved.value) {
        (Some(target), Some(answered)) => format!(
            "Highest step below the breaking criteria: {} req/s targeted, {answered:.1} req/s answered; breaking point: {}.",
            plain(target),
            s.breaking_point
                .value
                .map_or("none reached".to_string(), |b| format!(
                    "{} req/s",
                    plain(b)
                ))
        ),
        _ => match s.breaking_point.value {
            Some(b) => format!("Breaking point: {} req/s, the first step.", plain(b)),
            None => "No stress step has enough data for a verdict.".into(),
        },
    }
}

/// A note under the stress table; the crash message is a code span it cannot leave.
pub fn note(n: &StressNote) -> Md {
    match n {
        StressNote::AnnouncedDiffers {
            announced_rps,
            rule_rps,
        } => Md::text(format!(
            "The test itself reported the breaking point as {}; the table's rule gives {}.",
            rate(*announced_rps),
            rate(*rule_rps)
        )),
        StressNote::ClaimedMaxLoad {
            claimed_rps,
            best_answered_rps,
            steps_behind,
        } => Md::text(format!(
            "The script printed \"System handled max load of {} req/s successfully\", but answers came back at most at {best_answered_rps:.1} req/s: in {steps_behind} step(s) they came back below 95 % of the rate sent, so requests queued. Its latency excludes the time requests waited in the client's queue.",
            plain(*claimed_rps)
        )),
        StressNote::StepStopped {
            target_rps,
            ran_s,
            planned_requests,
        } => {
            let ran = ran_s.map_or(String::new(), |d| format!(" after {}", seconds(d)));
            let requests = planned_requests.map_or(String::new(), |n| format!(" ({n} requests)"));
            Md::text(format!(
                "The {} req/s step was stopped{ran}{requests} when the run ended: too short to judge, so it is left out of the table and the charts.",
                plain(*target_rps)
            ))
        }
        StressNote::Crashed { error } => {
            let mut md = Md::text("The script crashed (");
            md.push(&Md::code(error));
            md.push_text(") and wrote no results file; the steps come from its console log.");
            md
        }
    }
}

pub fn status(s: StepStatus) -> &'static str {
    match s {
        StepStatus::Good => "✅ good",
        StepStatus::Degrading => "⚠️ degrading",
        StepStatus::Breaking => "❌ breaking",
        StepStatus::NoVerdict => "no verdict",
    }
}

pub fn rule(r: &StepRule) -> String {
    match *r {
        StepRule::NoSuccessfulAnswer => "no successful answer".into(),
        StepRule::SuccessBelow {
            success_pct,
            min_pct,
        } => format!("success {} < {} %", percent(success_pct), plain(min_pct)),
        StepRule::LatencyAbove { avg_s, max_s } => {
            format!("avg {} > {}", seconds(avg_s), seconds(max_s))
        }
        StepRule::SomeFailed { success_pct } => format!("success {}", percent(success_pct)),
        StepRule::SlowerThanFirst { factor } => format!("avg {factor:.1}× the first step's"),
        StepRule::SentBelowTarget { share_pct } => format!("sent {share_pct:.0} % of the target"),
        StepRule::AnswersBehind { share_pct } => {
            format!("answered {share_pct:.0} % of the rate sent")
        }
        StepRule::WithinCriteria => "within the criteria".into(),
        StepRule::NoFigures => "no success rate or latency recorded".into(),
    }
}

/// `❌ breaking (success 80.0 % < 95 %)`.
pub fn status_cell(s: StepStatus, rules: &[StepRule]) -> String {
    let why: Vec<String> = rules
        .iter()
        .filter(|r| !matches!(r, StepRule::WithinCriteria))
        .map(rule)
        .collect();
    if why.is_empty() {
        status(s).to_string()
    } else {
        format!("{} ({})", status(s), why.join("; "))
    }
}

/// The rule, printed under the table; it names where the breaking criteria came from.
pub fn thresholds(c: &Criteria) -> String {
    let origin = if c.recorded_by_run {
        "as `report run stress` recorded them"
    } else {
        "the test script's fixed criteria"
    };
    format!(
        "{}: no successful answer, success < {} % or average latency > {} ({origin}); the breaking point is the first such step. \
{}: any failure, average latency above {DEGRADING_LATENCY_FACTOR}× the first step's, sent below {:.0} % of the target, or answers below {:.0} % of the rate sent (requests queued). \
{}: otherwise. Achieved = requests sent / the sending window (progress lines or per-request send times); answered = requests / the step's start to its last answer; drain = last answer − last send.",
        status(StepStatus::Breaking),
        plain(c.min_success_pct),
        seconds(c.max_avg_latency_s),
        status(StepStatus::Degrading),
        ACHIEVED_RATE_FLOOR * 100.0,
        ACHIEVED_RATE_FLOOR * 100.0,
        status(StepStatus::Good),
    )
}
