//! The per-token fields of streamed requests in `requests.ndjson` (session format 2), read into
//! columns for `analyze::tokens`. Records of format 1, and of the guide's `/chat` API, carry none:
//! then there is nothing here, and the report says why.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::session::files;
use crate::session::jsonl::read_jsonl;

#[derive(Debug, Deserialize)]
struct Line {
    test: String,
    phase: String,
    ended: DateTime<Utc>,
    #[serde(default)]
    sent: Option<DateTime<Utc>>,
    #[serde(default)]
    scheduled: Option<DateTime<Utc>>,
    ok: bool,
    #[serde(default)]
    latency_from_send_s: Option<f64>,
    #[serde(default)]
    content_chunks: Option<u64>,
    #[serde(default)]
    ttft_s: Option<f64>,
    #[serde(default)]
    gap_mean_s: Option<f64>,
    #[serde(default)]
    tpot_s: Option<f64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    token_source: Option<String>,
}

/// The requests of a session with streamed ones, as columns, one row per request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamColumns {
    /// Lower-case test and phase names, as the run wrote them.
    pub test: Vec<String>,
    pub phase: Vec<String>,
    /// UTC microseconds.
    pub sent_us: Vec<Option<i64>>,
    pub ended_us: Vec<i64>,
    pub ok: Vec<bool>,
    pub e2e_s: Vec<Option<f64>>,
    pub ttft_s: Vec<Option<f64>>,
    pub itl_s: Vec<Option<f64>>,
    pub tpot_s: Vec<Option<f64>>,
    pub output_tokens: Vec<Option<u64>>,
    pub token_source: Vec<Option<String>>,
}

impl StreamColumns {
    pub fn len(&self) -> usize {
        self.ok.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ok.is_empty()
    }

    fn push(&mut self, l: Line) {
        let finite = |v: Option<f64>| v.filter(|v| v.is_finite() && *v >= 0.0);
        self.test.push(l.test.to_lowercase());
        self.phase.push(l.phase.to_lowercase());
        self.sent_us.push(l.sent.map(|t| t.timestamp_micros()));
        self.ended_us.push(l.ended.timestamp_micros());
        self.ok.push(l.ok);
        self.e2e_s.push(finite(l.latency_from_send_s));
        self.ttft_s.push(finite(l.ttft_s));
        self.itl_s.push(finite(l.gap_mean_s));
        self.tpot_s.push(finite(l.tpot_s));
        self.output_tokens.push(l.output_tokens);
        self.token_source.push(l.token_source);
    }
}

/// What the session's records say about streaming.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Streaming {
    /// No requests.ndjson (a session of the scripts' files only).
    #[default]
    NoRecords,
    /// Records, none of them streamed (the /chat API, or format 1).
    NotStreamed {
        requests: usize,
    },
    Streamed(Box<StreamColumns>),
}

/// What `report run`'s records say beyond `run_output`'s figures: the streamed requests, and how
/// late each request left (sent − scheduled, seconds; the load generator's own delay).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunRecords {
    pub streaming: Streaming,
    pub dispatch_delay_s: Vec<f64>,
}

/// Reads requests.ndjson; unreadable lines are already reported by `run_output`.
pub fn read(dir: &Path) -> RunRecords {
    let path = dir.join(files::REQUESTS);
    let lines = match read_jsonl::<Line>(&path) {
        Ok((lines, _)) if path.is_file() => lines,
        _ => Vec::new(),
    };
    let dispatch_delay_s = lines
        .iter()
        .filter_map(|l| Some((l.sent? - l.scheduled?).num_microseconds()? as f64 / 1e6))
        .collect();
    RunRecords {
        streaming: streaming(lines),
        dispatch_delay_s,
    }
}

fn streaming(lines: Vec<Line>) -> Streaming {
    if lines.is_empty() {
        return Streaming::NoRecords;
    }
    if !lines.iter().any(|l| l.content_chunks.is_some()) {
        return Streaming::NotStreamed {
            requests: lines.len(),
        };
    }
    // Every request of a streamed run, the failures that never streamed (503) included, so the
    // rows count all that were sent.
    let mut columns = StreamColumns::default();
    for line in lines {
        columns.push(line);
    }
    Streaming::Streamed(Box::new(columns))
}
