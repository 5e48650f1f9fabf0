//! What `report run` records: one [`RequestRecord`] per request (`requests.ndjson`) and one
//! [`RunEvent`] per phase boundary (`run_events.jsonl`), as `docs/SESSION_FORMAT.md` describes.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::session::jsonl::JsonlWriter;

/// Why a request did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    ConnectRefused,
    /// Any other failure to connect (DNS, unreachable, TLS).
    Connect,
    /// The connection was reset or closed before a whole response arrived.
    Reset,
    Timeout,
    Http4xx,
    Http5xx,
    /// A 3xx answer not followed: it led to another scheme, host or port, or redirected too often.
    Redirect,
    /// A 2xx answer whose body is not the expected JSON.
    BadBody,
    /// A stream that ended before its end marker (`[DONE]`, TGI's final event): partial output kept.
    StreamBroken,
    /// A stream that carried an error event: partial output kept.
    StreamError,
    Other,
}

impl ErrorKind {
    /// The short name the console's failure breakdown uses (`refused: 3`, `http4xx 404: 12`).
    pub fn label(self) -> &'static str {
        match self {
            Self::ConnectRefused => "refused",
            Self::Connect => "connect",
            Self::Reset => "reset",
            Self::Timeout => "timeout",
            Self::Http4xx => "http4xx",
            Self::Http5xx => "http5xx",
            Self::Redirect => "redirect",
            Self::BadBody => "bad_body",
            Self::StreamBroken => "stream_broken",
            Self::StreamError => "stream_error",
            Self::Other => "other",
        }
    }

    /// Whether the HTTP status belongs in the breakdown (it tells a 404 from a 429).
    pub fn has_status(self) -> bool {
        matches!(self, Self::Http4xx | Self::Http5xx | Self::Redirect)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub test: String,
    pub phase: String,
    pub scheduled: DateTime<Utc>,
    pub sent: DateTime<Utc>,
    pub ended: DateTime<Utc>,
    /// From the scheduled time: what a user arriving on schedule waited, client lag included.
    pub latency_s: f64,
    pub latency_from_send_s: f64,
    pub status: Option<u16>,
    pub ok: bool,
    pub tokens: Option<u64>,
    pub server_latency_s: Option<f64>,
    pub error_kind: Option<ErrorKind>,
    pub error: Option<String>,
    /// Per-token timings of a streamed answer (absent for the guide's /chat API).
    #[serde(flatten)]
    pub stream: StreamFields,
}

/// Where a record's token counts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    /// The server's own count: OpenAI `usage`, TGI `details`.
    Usage,
    /// Content events counted (one event is not always one token).
    Counted,
}

/// The fields a streamed answer adds to its record; each absent when the API cannot give it
/// (see `api/chunks.rs` for the definitions).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_chunks: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap_mean_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap_max_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpot_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_source: Option<TokenSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_chars: Option<u64>,
}

impl RequestRecord {
    /// How late the request left compared with its schedule.
    pub fn schedule_lag_s(&self) -> f64 {
        self.latency_s - self.latency_from_send_s
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Boundary {
    Start,
    End,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunEvent {
    pub t: DateTime<Utc>,
    pub test: String,
    pub phase: String,
    pub event: Boundary,
    pub target_rps: Option<f64>,
}

/// Turns monotonic instants into wall-clock times from one reading of both clocks, so that
/// recorded times are consistent with the measured durations.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: Instant,
    origin_wall: DateTime<Utc>,
}

impl Clock {
    pub fn start() -> Self {
        Self {
            origin: Instant::now(),
            origin_wall: Utc::now(),
        }
    }

    pub fn wall(&self, at: Instant) -> DateTime<Utc> {
        let since = at.saturating_duration_since(self.origin);
        self.origin_wall + chrono::Duration::from_std(since).unwrap_or(chrono::TimeDelta::MAX)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.wall(Instant::now())
    }
}

/// Something the recorder thread appends.
pub enum Entry {
    Request(Box<RequestRecord>),
    Event(RunEvent),
    /// Write what came before, then stop: a second Ctrl-C abandons the requests still running
    /// but keeps every record already queued.
    Close,
}

/// Sends entries to the writer thread; cheap to clone into every request task.
#[derive(Clone)]
pub struct RecorderHandle {
    tx: mpsc::UnboundedSender<Entry>,
}

impl RecorderHandle {
    pub fn request(&self, record: RequestRecord) {
        // The writer only goes away after every handle is dropped, so a send cannot fail here.
        let _ = self.tx.send(Entry::Request(Box::new(record)));
    }

    pub fn event(&self, event: RunEvent) {
        let _ = self.tx.send(Entry::Event(event));
    }

    /// Ends the writer after the entries queued so far, even while other handles live on.
    pub fn close(&self) {
        let _ = self.tx.send(Entry::Close);
    }
}

/// How much was written, handed back when the last handle is dropped.
pub struct Recorded {
    pub requests: u64,
    pub events: u64,
    pub write_error: Option<anyhow::Error>,
}

/// Starts the writer on its own thread: file writes never delay the scheduler's tasks.
pub fn start_recorder(
    requests_path: &Path,
    events_path: &Path,
) -> Result<(RecorderHandle, std::thread::JoinHandle<Recorded>)> {
    let mut requests_file = JsonlWriter::open(requests_path)?;
    let mut events_file = JsonlWriter::open(events_path)?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Entry>();
    let thread = std::thread::spawn(move || {
        let mut write_error = None;
        while let Some(entry) = rx.blocking_recv() {
            let written = match entry {
                Entry::Request(record) => requests_file.append(&record),
                Entry::Event(event) => events_file.append(&event),
                Entry::Close => break,
            };
            if let Err(e) = written {
                write_error.get_or_insert(e);
            }
        }
        Recorded {
            requests: requests_file.records_written(),
            events: events_file.records_written(),
            write_error,
        }
    });
    Ok((RecorderHandle { tx }, thread))
}
