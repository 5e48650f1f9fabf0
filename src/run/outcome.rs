//! The end of every run on the console: what failed and why, per phase; for stress and soak the
//! whole run's totals; a loud warning when nothing succeeded; where the session is and the
//! command that turns it into a report.

use std::path::Path;

use super::console::{Console, rate_text};
use super::tally::{Failures, PhaseTally};
use crate::cli::invocation::shell_word;

/// `http4xx 404: 12, refused: 3, timeout: 2`, or `none`.
pub fn failures_text(failures: &Failures) -> String {
    if failures.is_empty() {
        return "none".into();
    }
    failures
        .iter()
        .map(|((kind, status), count)| match status {
            Some(status) => format!("{} {status}: {count}", kind.label()),
            None => format!("{}: {count}", kind.label()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The highest stress step that ran to its end without breaking, if the test was a stress test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxStable {
    NotStress,
    Rate(f64),
    NoStep,
}

/// What the closing lines need.
pub struct Ending<'a> {
    pub phases: &'a [PhaseTally],
    /// Stress and soak also get the whole run's totals.
    pub overall: bool,
    pub max_stable: MaxStable,
    pub session: &'a Path,
    /// Under `report collect`, which is still recording.
    pub joined: bool,
    pub invocation: &'a str,
}

/// True when requests ended and none of them succeeded.
pub fn every_request_failed(phases: &[PhaseTally]) -> bool {
    let total = PhaseTally::total("run", phases);
    total.ended() > 0 && total.ok == 0
}

pub fn print(console: &Console, ending: &Ending) {
    console.lines(["", "📋 Failures by phase:"]);
    for phase in ending.phases {
        console.line(format!(
            "  {}: {} of {} ok; failed: {}",
            phase.phase,
            phase.ok,
            phase.ended(),
            failures_text(&phase.failures)
        ));
    }
    let total = PhaseTally::total("run", ending.phases);
    if ending.overall {
        console.lines(["", "📋 Overall:"]);
        for line in overall_lines(&total, ending.max_stable) {
            console.line(line);
        }
    }
    if every_request_failed(ending.phases) {
        console.lines([
            "",
            &format!(
                "❌ EVERY REQUEST FAILED ({} of {}): {}. Check --url and --path (the service must \
                 answer POST on the path) and the service itself; exit code {}.",
                total.failed(),
                total.ended(),
                failures_text(&total.failures),
                super::EXIT_ALL_FAILED
            ),
        ]);
    }
    let session = shell_word(&ending.session.to_string_lossy());
    console.lines(["", &format!("📁 Session: {session}")]);
    let when = if ending.joined {
        " (once report collect has ended)"
    } else {
        ""
    };
    console.line(format!(
        "➡️  Next{when}: {} build {session}",
        ending.invocation
    ));
}

/// The whole run: counts, the rate achieved from the `sent` stamps, max stable, failures.
pub fn overall_lines(total: &PhaseTally, max_stable: MaxStable) -> Vec<String> {
    let percent = |n: u64| {
        if total.ended() == 0 {
            0.0
        } else {
            n as f64 / total.ended() as f64 * 100.0
        }
    };
    let mut lines = vec![format!(
        "  Requests: {} sent, {} ended: {} ok ({:.1}%), {} failed",
        total.sent,
        total.ended(),
        total.ok,
        percent(total.ok),
        total.failed()
    )];
    lines.push(match total.achieved_rate() {
        Some(a) => format!(
            "  Achieved rate: {:.2} req/s ({} gaps between the first and the last send, {:.2} s apart)",
            a.rate,
            a.requests - 1,
            a.span_s
        ),
        None => "  Achieved rate: unavailable (fewer than two requests ended)".into(),
    });
    match max_stable {
        MaxStable::NotStress => {}
        MaxStable::Rate(rate) => lines.push(format!(
            "  Max stable: {} req/s (the highest step that ran to its end without breaking)",
            rate_text(rate)
        )),
        MaxStable::NoStep => {
            lines.push("  Max stable: none (no step ran to its end without breaking)".into())
        }
    }
    lines.push(format!("  Failures: {}", failures_text(&total.failures)));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::record::ErrorKind;

    #[test]
    fn the_overall_block_says_counts_rate_max_stable_and_failures() {
        let first: chrono::DateTime<chrono::Utc> = "2026-11-26T16:00:00Z".parse().unwrap();
        let mut failures = Failures::new();
        failures.insert((ErrorKind::Http5xx, Some(503)), 3);
        failures.insert((ErrorKind::ConnectRefused, None), 1);
        let total = PhaseTally {
            phase: "run".into(),
            sent: 12,
            ok: 6,
            failures,
            first_sent: Some(first),
            last_sent: Some(first + chrono::TimeDelta::seconds(2)),
        };
        assert_eq!(
            overall_lines(&total, MaxStable::Rate(4.0)),
            [
                "  Requests: 12 sent, 10 ended: 6 ok (60.0%), 4 failed",
                "  Achieved rate: 4.50 req/s (9 gaps between the first and the last send, 2.00 s apart)",
                "  Max stable: 4 req/s (the highest step that ran to its end without breaking)",
                "  Failures: refused: 1, http5xx 503: 3",
            ]
        );
        assert!(!every_request_failed(std::slice::from_ref(&total)));
        let none_ok = PhaseTally { ok: 0, ..total };
        assert!(every_request_failed(&[none_ok]));
        assert!(!every_request_failed(&[PhaseTally::default()]));
    }
}
