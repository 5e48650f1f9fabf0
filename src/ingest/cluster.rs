//! What `report collect` recorded from the cluster (docs/SESSION_FORMAT.md): the HPA's status
//! over time, events, pod changes, pod metrics, the collector's gaps, and `report run`'s phase
//! events. Each file is optional; a torn or foreign line is reported with its line number.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::problem::Problem;
use crate::session::files;
use crate::session::jsonl::read_jsonl;

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct HpaRecord {
    pub t: DateTime<Utc>,
    #[serde(default)]
    pub via: Option<String>,
    #[serde(default)]
    pub spec: Option<serde_json::Value>,
    #[serde(default)]
    pub status: Option<serde_json::Value>,
}

/// One HPA status reading, flattened.
#[derive(Debug, Clone, PartialEq)]
pub struct HpaSample {
    pub t: DateTime<Utc>,
    pub from_watch: bool,
    pub current: Option<u32>,
    pub desired: Option<u32>,
    /// CPU utilization in % of the pods' request, as the HPA saw it (`<unknown>` = None).
    pub cpu_pct: Option<f64>,
    pub last_scale_time: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct EventRecord {
    pub t: DateTime<Utc>,
    #[serde(default)]
    pub uid: String,
    #[serde(default)]
    pub involved_kind: String,
    #[serde(default)]
    pub involved_name: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(default)]
    pub first_timestamp: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_timestamp: Option<DateTime<Utc>>,
}

impl EventRecord {
    /// When this occurrence happened: its last timestamp (each recorded line is one occurrence).
    pub fn at(&self) -> DateTime<Utc> {
        self.last_timestamp
            .or(self.first_timestamp)
            .unwrap_or(self.t)
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct PodRecord {
    pub t: DateTime<Utc>,
    #[serde(default)]
    pub change: String,
    pub name: String,
    #[serde(default)]
    pub phase: Option<String>,
    #[serde(default)]
    pub ready: Option<bool>,
    #[serde(default)]
    pub ready_transition: Option<DateTime<Utc>>,
    #[serde(default)]
    pub start_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub node: Option<String>,
    #[serde(default)]
    pub restarts: Option<u32>,
    #[serde(default)]
    pub last_termination_reason: Option<String>,
    #[serde(default)]
    pub deleted_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub cpu_request_millicores: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct PodMetricRecord {
    pub t: DateTime<Utc>,
    pub pod: String,
    #[serde(default)]
    pub timestamp: Option<DateTime<Utc>>,
    #[serde(default)]
    pub cpu_millicores: Option<f64>,
    #[serde(default)]
    pub memory_bytes: Option<f64>,
}

impl PodMetricRecord {
    /// The metrics-server's own time for the reading, else the capture time.
    pub fn at(&self) -> DateTime<Utc> {
        self.timestamp.unwrap_or(self.t)
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct CollectorRecord {
    pub t: DateTime<Utc>,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct RunEventRecord {
    pub t: DateTime<Utc>,
    #[serde(default)]
    pub test: String,
    #[serde(default)]
    pub phase: String,
    #[serde(default)]
    pub event: String,
    #[serde(default)]
    pub target_rps: Option<f64>,
}

/// Everything recorded from the cluster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterRecording {
    pub hpa: Vec<HpaSample>,
    pub hpa_spec: Option<serde_json::Value>,
    pub events: Vec<EventRecord>,
    pub pods: Vec<PodRecord>,
    pub pod_metrics: Vec<PodMetricRecord>,
    pub collector: Vec<CollectorRecord>,
    pub run_events: Vec<RunEventRecord>,
    /// Which files were present.
    pub files: Vec<String>,
}

impl ClusterRecording {
    pub fn is_empty(&self) -> bool {
        self.hpa.is_empty()
            && self.events.is_empty()
            && self.pods.is_empty()
            && self.pod_metrics.is_empty()
    }

    pub fn has(&self, file: &str) -> bool {
        self.files.iter().any(|f| f == file)
    }

    /// minReplicas, maxReplicas and the CPU utilization target from the HPA spec.
    pub fn hpa_bounds(&self) -> (Option<u32>, Option<u32>, Option<f64>) {
        let Some(spec) = &self.hpa_spec else {
            return (None, None, None);
        };
        let int = |k: &str| spec.get(k).and_then(|v| v.as_u64()).map(|v| v as u32);
        let target = spec
            .get("metrics")
            .and_then(|m| m.as_array())
            .and_then(|metrics| {
                metrics.iter().find_map(|m| {
                    let r = m.get("resource")?;
                    (r.get("name")?.as_str()? == "cpu").then_some(())?;
                    r.get("target")?.get("averageUtilization")?.as_f64()
                })
            });
        (int("minReplicas").or(Some(1)), int("maxReplicas"), target)
    }
}

fn read_optional<T: DeserializeOwned>(
    dir: &Path,
    name: &str,
    recording: &mut ClusterRecording,
    problems: &mut Vec<Problem>,
) -> Vec<T> {
    let path = dir.join(name);
    if !super::is_readable_input(&path, problems) {
        return Vec::new();
    }
    recording.files.push(name.to_string());
    match read_jsonl::<T>(&path) {
        Ok((records, bad)) => {
            for b in bad {
                problems.push(Problem::value_ignored(
                    &path,
                    format!("line {}", b.line),
                    format!("unreadable record: {}", b.message),
                ));
            }
            records
        }
        Err(e) => {
            problems.push(Problem::skipped(&path, "", format!("{e:#}")));
            Vec::new()
        }
    }
}

/// Reads the cluster files of a session folder.
pub fn read_cluster(
    dir: &Path,
    manifest_spec: Option<serde_json::Value>,
    problems: &mut Vec<Problem>,
) -> ClusterRecording {
    let mut rec = ClusterRecording::default();
    let hpa: Vec<HpaRecord> = read_optional(dir, files::HPA, &mut rec, problems);
    rec.hpa_spec = manifest_spec.or_else(|| hpa.iter().rev().find_map(|h| h.spec.clone()));
    rec.hpa = hpa.iter().map(flatten_hpa).collect();
    rec.hpa.sort_by_key(|s| s.t);
    rec.events = read_optional(dir, files::EVENTS, &mut rec, problems);
    rec.events.sort_by_key(|e| e.at());
    rec.pods = read_optional(dir, files::PODS, &mut rec, problems);
    rec.pods.sort_by_key(|p| p.t);
    rec.pod_metrics = read_optional(dir, files::POD_METRICS, &mut rec, problems);
    rec.pod_metrics.sort_by_key(|m| m.at());
    rec.collector = read_optional(dir, files::COLLECTOR_LOG, &mut rec, problems);
    rec.run_events = read_optional(dir, files::RUN_EVENTS, &mut rec, problems);
    rec.run_events.sort_by_key(|e| e.t);
    rec
}

fn flatten_hpa(h: &HpaRecord) -> HpaSample {
    let status = h.status.as_ref();
    let int = |k: &str| {
        status
            .and_then(|s| s.get(k))
            .and_then(|v| v.as_u64())
            .map(|v| v as u32)
    };
    let cpu_pct = status
        .and_then(|s| s.get("currentMetrics"))
        .and_then(|m| m.as_array())
        .and_then(|metrics| {
            metrics.iter().find_map(|m| {
                let r = m.get("resource")?;
                (r.get("name")?.as_str()? == "cpu").then_some(())?;
                r.get("current")?.get("averageUtilization")?.as_f64()
            })
        });
    let last_scale_time = status
        .and_then(|s| s.get("lastScaleTime"))
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse::<DateTime<Utc>>().ok());
    HpaSample {
        t: h.t,
        from_watch: h.via.as_deref() == Some("watch"),
        current: int("currentReplicas"),
        desired: int("desiredReplicas"),
        cpu_pct,
        last_scale_time,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hpa_lines_flatten_to_replicas_cpu_and_scale_time() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(files::HPA),
            concat!(
                r#"{"t":"2026-11-20T14:00:00Z","via":"sample","status":{"currentReplicas":1,"desiredReplicas":1,"currentMetrics":[{"type":"Resource","resource":{"name":"cpu","current":{"averageUtilization":45,"averageValue":"900m"}}}]}}"#,
                "\n",
                r#"{"t":"2026-11-20T14:00:15Z","via":"watch","spec":{"minReplicas":1,"maxReplicas":5,"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":70}}}]},"status":{"currentReplicas":1,"desiredReplicas":3,"lastScaleTime":"2026-11-20T14:00:14Z"}}"#,
                "\n{\"t\": \"2026-11-20T14:00:2",
            ),
        )
        .unwrap();
        let mut problems = Vec::new();
        let rec = read_cluster(dir.path(), None, &mut problems);
        assert_eq!(rec.hpa.len(), 2);
        assert_eq!(rec.hpa[0].cpu_pct, Some(45.0));
        assert_eq!(
            (rec.hpa[1].current, rec.hpa[1].desired, rec.hpa[1].cpu_pct),
            (Some(1), Some(3), None)
        );
        assert_eq!(
            rec.hpa[1].last_scale_time.unwrap().to_rfc3339(),
            "2026-11-20T14:00:14+00:00"
        );
        assert_eq!(rec.hpa_bounds(), (Some(1), Some(5), Some(70.0)));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].place, "line 3");
    }
}
