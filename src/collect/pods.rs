//! The target's pods: one line whenever something the report shows about a pod changes.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use k8s_openapi::api::core::v1::Pod;

use super::follow::WatchHandler;
use super::quantity::cpu_millicores;
use super::records::{PodRecord, PodSummary, Record};
use super::writer::Sink;

#[derive(Default)]
pub struct PodHandler {
    known: HashMap<String, PodSummary>,
    listed: HashSet<String>,
}

impl PodHandler {
    fn emit(&self, change: &str, summary: PodSummary, sink: &Sink) {
        sink.send(Record::Pod(PodRecord {
            t: Utc::now(),
            change: change.to_string(),
            summary,
        }));
    }
}

impl WatchHandler<Pod> for PodHandler {
    fn applied(&mut self, pod: Pod, listed: bool, sink: &Sink) {
        let summary = summarize(&pod);
        let name = summary.name.clone();
        if listed {
            self.listed.insert(name.clone());
        }
        let previous = self.known.get(&name);
        if previous == Some(&summary) {
            return;
        }
        let change = match (listed, previous.is_some()) {
            (true, _) => "listed",
            (false, true) => "modified",
            (false, false) => "added",
        };
        self.emit(change, summary.clone(), sink);
        self.known.insert(name, summary);
    }

    fn deleted(&mut self, pod: Pod, sink: &Sink) {
        let mut summary = summarize(&pod);
        if summary.deleted_at.is_none() {
            summary.deleted_at =
                Some(Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        }
        self.known.remove(&summary.name);
        self.emit("deleted", summary, sink);
    }

    fn list_started(&mut self) {
        self.listed.clear();
    }

    /// Pods known before a re-list but absent from it were deleted while the watch was down.
    fn list_done(&mut self, sink: &Sink) {
        let vanished: Vec<String> = self
            .known
            .keys()
            .filter(|n| !self.listed.contains(*n))
            .cloned()
            .collect();
        for name in vanished {
            if let Some(summary) = self.known.remove(&name) {
                sink.info(
                    "pods",
                    format!("pod {name} was deleted while the watch was interrupted"),
                );
                self.emit("deleted", summary, sink);
            }
        }
    }
}

/// The fields of a pod the report uses.
pub fn summarize(pod: &Pod) -> PodSummary {
    let status = pod.status.as_ref();
    let ready_condition = status
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"));
    let containers = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or_default();
    let last_termination_reason = containers.iter().find_map(|c| {
        let last = c.last_state.as_ref().and_then(|s| s.terminated.as_ref());
        let now = c.state.as_ref().and_then(|s| s.terminated.as_ref());
        last.or(now).and_then(|t| t.reason.clone())
    });
    PodSummary {
        name: pod.metadata.name.clone().unwrap_or_default(),
        phase: status.and_then(|s| s.phase.clone()),
        ready: ready_condition.is_some_and(|c| c.status == "True"),
        ready_transition: ready_condition
            .and_then(|c| c.last_transition_time.as_ref())
            .map(|t| t.0.to_string()),
        start_time: status
            .and_then(|s| s.start_time.as_ref())
            .map(|t| t.0.to_string()),
        node: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
        restarts: containers.iter().map(|c| c.restart_count).sum(),
        last_termination_reason,
        deleted_at: pod
            .metadata
            .deletion_timestamp
            .as_ref()
            .map(|t| t.0.to_string()),
        cpu_request_millicores: cpu_request_millicores(pod),
    }
}

/// The pod's containers' CPU requests summed, when any container states one.
fn cpu_request_millicores(pod: &Pod) -> Option<i64> {
    let requests: Vec<f64> = pod
        .spec
        .as_ref()?
        .containers
        .iter()
        .filter_map(|c| c.resources.as_ref()?.requests.as_ref()?.get("cpu"))
        .filter_map(|q| cpu_millicores(&q.0).ok())
        .collect();
    (!requests.is_empty()).then(|| requests.iter().sum::<f64>().round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubeapi::workload::{PodState, pod};

    #[test]
    fn summary_reads_readiness_restarts_and_oom_kills() {
        let state = PodState {
            phase: "Running",
            ready: true,
            node: Some("n1"),
            restarts: 2,
            last_termination: Some("OOMKilled"),
        };
        let value = pod("ns", "web-1", "web", &state);
        let typed: Pod = serde_json::from_value(value).unwrap();
        let s = summarize(&typed);
        assert_eq!(s.name, "web-1");
        assert_eq!(s.phase.as_deref(), Some("Running"));
        assert!(s.ready);
        assert_eq!(s.node.as_deref(), Some("n1"));
        assert_eq!(s.restarts, 2);
        assert_eq!(s.last_termination_reason.as_deref(), Some("OOMKilled"));
        assert!(s.ready_transition.is_some());
        assert_eq!(s.deleted_at, None);
        assert_eq!(s.cpu_request_millicores, Some(500));
    }
}
