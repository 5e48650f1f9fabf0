//! The stress test's verdicts in words: a step's status with the rule that gave it, and the
//! thresholds printed under the table.

use super::format::{percent, plain, seconds};
use crate::analyze::sending::ACHIEVED_RATE_FLOOR;
use crate::analyze::stress::{Criteria, DEGRADING_LATENCY_FACTOR, StepRule, StepStatus};

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
