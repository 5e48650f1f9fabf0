//! Wording of the failure breakdown: the section "Failures by status and error kind", and the
//! "Failed" and "Timed out" cells (count and share of all requests) beside p99 in the scenario,
//! stress step and soak minute tables.

use super::context::Table;
use super::escape::Md;
use super::format;
use super::notes::Notes;
use crate::analyze::errors::{ErrorsReport, OutcomeCount, PartFailures};
use crate::run::record::ErrorKind;

/// `12 (3.3 %)`: a count and its share of `requests`.
pub fn count_and_share(count: u64, requests: u64) -> String {
    if requests == 0 {
        return count.to_string();
    }
    format!(
        "{count} ({})",
        format::percent(100.0 * count as f64 / requests as f64)
    )
}

/// The short name of a recorded error kind, as the run's console prints it (`refused` for
/// `connect_refused`); an unknown kind as recorded.
fn kind_label(kind: &str) -> String {
    match serde_json::from_value::<ErrorKind>(serde_json::Value::String(kind.to_string())) {
        Ok(k) => k.label().to_string(),
        Err(_) if kind.is_empty() => "unknown".to_string(),
        Err(_) => kind.to_string(),
    }
}

/// `http5xx 503: 82, timeout: 1`, or `none`.
pub fn outcomes_text(outcomes: &[OutcomeCount]) -> String {
    if outcomes.is_empty() {
        return "none".into();
    }
    outcomes
        .iter()
        .map(|o| match o.status {
            Some(status) => format!("{} {status}: {}", kind_label(&o.kind), o.count),
            None => format!("{}: {}", kind_label(&o.kind), o.count),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn reason(part: &PartFailures) -> String {
    part.unavailable
        .clone()
        .unwrap_or_else(|| "not recorded".into())
}

/// The "Failed" and "Timed out" cells of the table row `test` / `name`.
pub fn share_cells(errors: &ErrorsReport, test: &str, name: &str, notes: &mut Notes) -> [Md; 2] {
    let Some(part) = errors.part(test, name) else {
        let why = "this row has no request counts";
        return [notes.missing(why), notes.missing(why)];
    };
    let cell = |count: Option<u64>, notes: &mut Notes, why: &str| match (count, part.requests) {
        (Some(c), Some(n)) => Md::text(count_and_share(c, n)),
        _ => notes.missing(why),
    };
    [
        cell(part.failed, notes, "request counts not recorded"),
        cell(
            part.timed_out,
            notes,
            &format!("timeouts not told apart: {}", reason(part)),
        ),
    ]
}

/// The "Failed" and "Timed out" cells of a soak's clock minute: from the records' kinds when
/// there are some, else failed = requests − successful of the minute and timeouts unknown.
pub fn minute_cells(
    errors: &ErrorsReport,
    label: &str,
    minute: chrono::DateTime<chrono::Utc>,
    requests: u64,
    successful: u64,
) -> [String; 2] {
    let recorded = errors
        .part("Soak", label)
        .and_then(|p| p.minutes.iter().find(|m| m.start == minute));
    match recorded {
        Some(m) => [
            count_and_share(m.failed, m.requests),
            count_and_share(m.timed_out, m.requests),
        ],
        None => [
            count_and_share(requests.saturating_sub(successful), requests),
            "n/a".to_string(),
        ],
    }
}

/// The rows of "Failures by status and error kind".
pub fn failures_table(errors: &ErrorsReport) -> Table {
    Table::of(&errors.parts, |p, notes| {
        let counts = |count: Option<u64>, notes: &mut Notes, why: String| match (count, p.requests)
        {
            (Some(c), Some(n)) => Md::text(count_and_share(c, n)),
            _ => notes.missing(&why),
        };
        vec![
            Md::text(&p.test),
            Md::text(&p.part),
            p.requests.map_or_else(
                || notes.missing("request counts not recorded"),
                |n| Md::text(n.to_string()),
            ),
            counts(p.failed, notes, "request counts not recorded".into()),
            counts(
                p.timed_out,
                notes,
                format!("timeouts not told apart: {}", reason(p)),
            ),
            match &p.by_outcome {
                Some(outcomes) => Md::text(outcomes_text(outcomes)),
                None => notes.missing(&reason(p)),
            },
            Md::text(&p.source),
        ]
    })
}

/// The sentence under the section's heading: where the counts come from.
pub fn failures_intro(errors: &ErrorsReport) -> Md {
    match &errors.unavailable {
        None => Md::text(format!(
            "Every request that ended, {} from {}; shares are of all the row's requests. \
             Kinds are those report run records (timeout: no whole answer within the request timeout).",
            errors.method, errors.source
        )),
        Some(why) => Md::text(format!(
            "By status and error kind: unavailable: {why}. Failed counts come from each row's \
             own source (requests − successful)."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_read_as_the_console_prints_them() {
        let o = |status, kind: &str, count| OutcomeCount {
            status,
            kind: kind.into(),
            count,
        };
        assert_eq!(
            outcomes_text(&[
                o(Some(503), "http5xx", 82),
                o(None, "connect_refused", 3),
                o(None, "", 1)
            ]),
            "http5xx 503: 82, refused: 3, unknown: 1"
        );
        assert_eq!(outcomes_text(&[]), "none");
        assert_eq!(count_and_share(82, 360), "82 (22.8 %)");
        assert_eq!(count_and_share(0, 0), "0");
    }
}
