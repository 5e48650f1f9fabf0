//! The streaming section: TTFT, ITL, TPOT and output tokens/s per phase, step, soak minute and
//! whole test, with the definitions named (the tools' names differ), or one line saying why the
//! session has none.

use serde::Serialize;

use super::context::Table;
use super::escape::Md;
use super::format;
use super::notes::Notes;
use crate::analyze::dispatch::{CLIENT_LIMIT_S, DispatchDelay};
use crate::analyze::tokens::{Absent, Dist, Group, StreamingReport, TokenRow};

pub const DEFINITIONS: &str = "TTFT = from sending the request to the first event carrying output text (role-only, empty and special-token events do not count, as AIPerf; vLLM's benchmark takes the first chunk). \
ITL = mean gap between content chunks after the first, per request, as vLLM's benchmark and AIPerf (a chunk holding several tokens is one gap; GuideLLM calls this time per output token). \
TPOT = (end-to-end − TTFT) / (output tokens − 1), per request, unavailable below 2 tokens (GuideLLM's ITL). \
Percentiles are over successful streamed requests (type 7, linear interpolation); ITL and TPOT percentiles are of the per-request values. \
Tokens/s per request = output tokens / (end-to-end − TTFT), mean over requests; output tokens/s = all output tokens of successful requests / (last end − first send) of the row. \
Output tokens are the server's count (`usage`, TGI `details`) where it sent one, else the content events counted.";

#[derive(Serialize)]
pub struct StreamingCtx {
    pub table: Option<Table>,
    pub absent: Option<Md>,
    pub definitions: Md,
    /// The load generator's dispatch delay, when `report run` recorded the requests.
    pub dispatch: Option<Md>,
}

pub fn streaming_ctx(report: &StreamingReport, dispatch: Option<&DispatchDelay>) -> StreamingCtx {
    let dispatch = dispatch.map(|d| Md::text(dispatch_text(d)));
    match report {
        StreamingReport::Absent { reason } => StreamingCtx {
            table: None,
            absent: Some(Md::text(absent_text(*reason))),
            definitions: Md::default(),
            dispatch,
        },
        StreamingReport::Measured { rows, .. } => StreamingCtx {
            table: Some(Table::of(rows, row)),
            absent: None,
            definitions: Md::text(DEFINITIONS),
            dispatch,
        },
    }
}

fn dispatch_text(d: &DispatchDelay) -> String {
    let ms = |v: Option<f64>| v.map_or_else(|| "n/a".to_string(), milliseconds);
    let verdict = if d.client_limited {
        format!(
            "above {}: the client limited the test (requests left later than scheduled, so the rates offered are lower than planned), not the service",
            milliseconds(CLIENT_LIMIT_S)
        )
    } else {
        format!(
            "within {}: the client kept to its schedule",
            milliseconds(CLIENT_LIMIT_S)
        )
    };
    format!(
        "Load generator: dispatch delay (sent − scheduled) p50 {}, p99 {}, max {} over {} requests (type 7); p99 {verdict}.",
        ms(d.p50_s),
        ms(d.p99_s),
        ms(d.max_s),
        d.requests
    )
}

fn absent_text(reason: Absent) -> &'static str {
    match reason {
        Absent::NoRecords => {
            "No per-token figures: the session has no per-request records (requests.ndjson); record with `report run --api openai-chat|openai-completions|tgi`."
        }
        Absent::NotStreamed => {
            "No per-token figures: the requests were not streamed (the guide's /chat API, or a session of format 1); `report run --api openai-chat|openai-completions|tgi` streams them."
        }
        Absent::Failed => "No per-token figures: the streamed records could not be analysed.",
    }
}

/// `Spike`, `Stress`, `Soak` as the other sections name the tests.
pub fn test_name(test: &str) -> String {
    let mut chars = test.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn group_name(test: &str, group: &Group) -> String {
    match group {
        Group::Whole => "whole test".into(),
        Group::Minute(n) => format!("minute {n}"),
        Group::Phase(p) if test == "stress" => p
            .to_uppercase()
            .strip_suffix("RPS")
            .and_then(|r| r.parse::<f64>().ok())
            .map_or_else(|| p.clone(), crate::analyze::step_name),
        Group::Phase(p) => test_name(p),
    }
}

fn milliseconds(v: f64) -> String {
    format!("{} ms", format::significant(v * 1000.0))
}

fn cell(notes: &mut Notes, value: Option<f64>, show: fn(f64) -> String, why: &str) -> Md {
    match value {
        Some(v) => Md::text(show(v)),
        None => notes.missing(why),
    }
}

fn row(r: &TokenRow, notes: &mut Notes) -> Vec<Md> {
    const NO_OK: &str = "no successful streamed request";
    let why = if r.successful == 0 {
        NO_OK
    } else {
        "no request with at least 2 content chunks or tokens"
    };
    let dist = |notes: &mut Notes, d: &Dist, show: fn(f64) -> String, why: &str| {
        [d.p50, d.p95, d.p99]
            .map(|v| cell(notes, v, show, why))
            .to_vec()
    };
    let mut cells = vec![
        Md::text(test_name(&r.test)),
        Md::text(group_name(&r.test, &r.group)),
        Md::text(format!("{} / {}", r.successful, r.requests)),
    ];
    cells.extend(dist(notes, &r.ttft_s, format::seconds, NO_OK));
    cells.push(cell(notes, r.itl_s.mean, milliseconds, why));
    cells.push(cell(notes, r.itl_s.p95, milliseconds, why));
    cells.extend(dist(notes, &r.tpot_s, milliseconds, why));
    let rate = |v: f64| format::significant(v);
    cells.push(cell(notes, r.request_tokens_per_s, rate, why));
    cells.push(cell(
        notes,
        r.output_tokens_per_s,
        rate,
        "no time between the first send and the last end",
    ));
    cells.push(Md::text(token_source(r)));
    cells
}

fn token_source(r: &TokenRow) -> String {
    match (r.tokens_from_usage, r.successful) {
        (_, 0) => "–".into(),
        (u, ok) if u == ok => "usage".into(),
        (0, _) => "counted".into(),
        (u, ok) => format!("usage {u}, counted {}", ok - u),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_minutes_and_phases_are_named_as_elsewhere() {
        assert_eq!(
            group_name("stress", &Group::Phase("4rps".into())),
            "4 req/s"
        );
        assert_eq!(
            group_name("spike", &Group::Phase("baseline".into())),
            "Baseline"
        );
        assert_eq!(group_name("soak", &Group::Minute(3)), "minute 3");
        assert_eq!(milliseconds(0.0254), "25.4 ms");
    }

    #[test]
    fn a_late_client_is_named_as_the_limit() {
        let late = DispatchDelay {
            requests: 10,
            p50_s: Some(0.001),
            p99_s: Some(0.012),
            max_s: Some(0.02),
            client_limited: true,
        };
        assert_eq!(
            dispatch_text(&late),
            "Load generator: dispatch delay (sent − scheduled) p50 1.00 ms, p99 12.0 ms, max 20.0 ms over 10 requests (type 7); p99 above 5.00 ms: the client limited the test (requests left later than scheduled, so the rates offered are lower than planned), not the service."
        );
    }
}
