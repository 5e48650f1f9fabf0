//! The records `report collect` writes, one type per session file (docs/SESSION_FORMAT.md).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::session::files;

/// `hpa.jsonl`: the HPA's spec and status as the API returned them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HpaRecord {
    pub t: DateTime<Utc>,
    /// `watch` (a change seen by the watch) or `sample` (the regular once-per-interval line).
    pub via: String,
    pub name: String,
    pub spec: Value,
    pub status: Value,
}

/// `events.jsonl`: one line per new event or new count of an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub t: DateTime<Utc>,
    pub uid: String,
    pub involved_kind: String,
    pub involved_name: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub reason: String,
    pub message: String,
    pub count: i32,
    pub first_timestamp: Option<String>,
    pub last_timestamp: Option<String>,
    pub component: String,
}

/// `pods.jsonl`: one line per change of what the report shows about a pod.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PodRecord {
    pub t: DateTime<Utc>,
    /// `listed`, `added`, `modified` or `deleted`.
    pub change: String,
    #[serde(flatten)]
    pub summary: PodSummary,
}

/// The fields of a pod that the report uses; a change in any of them is recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PodSummary {
    pub name: String,
    pub phase: Option<String>,
    pub ready: bool,
    pub ready_transition: Option<String>,
    pub start_time: Option<String>,
    pub node: Option<String>,
    pub restarts: i32,
    pub last_termination_reason: Option<String>,
    pub deleted_at: Option<String>,
    /// Sum of the containers' CPU requests: what the HPA's utilization is a percentage of.
    pub cpu_request_millicores: Option<i64>,
}

/// `pod_metrics.jsonl` (field `pod`) and `node_metrics.jsonl` (field `node`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageRecord {
    pub t: DateTime<Utc>,
    #[serde(flatten)]
    pub subject: UsageSubject,
    pub timestamp: Option<String>,
    pub window_seconds: Option<f64>,
    pub cpu_millicores: Option<f64>,
    pub memory_bytes: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UsageSubject {
    #[serde(rename = "pod")]
    Pod(String),
    #[serde(rename = "node")]
    Node(String),
}

/// `collector.jsonl`: the recorder's own log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectorRecord {
    pub t: DateTime<Utc>,
    /// `gap_start`, `gap_end`, `warning` or `info`.
    pub kind: String,
    pub source: String,
    pub message: String,
}

/// `results.jsonl`: one stored version of a results file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultsRecord {
    pub t: DateTime<Utc>,
    pub source: String,
    pub stored: String,
    pub bytes: u64,
}

/// One line of the wrapped command's output, as it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleLine {
    pub t: DateTime<chrono::Local>,
    pub line: String,
}

/// Anything a source hands to the writer.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Hpa(HpaRecord),
    Event(EventRecord),
    Pod(PodRecord),
    Usage(UsageRecord),
    Collector(CollectorRecord),
    Results(ResultsRecord),
    Console(ConsoleLine),
}

impl Record {
    /// The session file the record belongs in.
    pub fn file_name(&self) -> &'static str {
        match self {
            Record::Hpa(_) => files::HPA,
            Record::Event(_) => files::EVENTS,
            Record::Pod(_) => files::PODS,
            Record::Usage(u) => match u.subject {
                UsageSubject::Pod(_) => files::POD_METRICS,
                UsageSubject::Node(_) => files::NODE_METRICS,
            },
            Record::Collector(_) => files::COLLECTOR_LOG,
            Record::Results(_) => files::RESULTS_INDEX,
            Record::Console(_) => files::CONSOLE_LOG,
        }
    }
}
