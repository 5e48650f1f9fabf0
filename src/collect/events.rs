//! Events of the HPA, its target and the target's ReplicaSets and pods, one line per new event
//! or new count, never twice for the same count (watch restarts list every event again).

use std::collections::HashMap;

use chrono::Utc;
use k8s_openapi::api::core::v1::Event;

use super::follow::WatchHandler;
use super::records::{EventRecord, Record};
use super::writer::Sink;

/// Which objects' events belong to the story of this HPA.
#[derive(Debug, Clone, PartialEq)]
pub struct Relevance {
    pub hpa: String,
    /// The scale target's kind and name (`Deployment`, `llm-inference`).
    pub target_kind: String,
    pub target: String,
}

impl Relevance {
    /// ReplicaSets and pods of a Deployment are named `<deployment>-<hash>[-<hash>]`.
    pub fn concerns(&self, kind: &str, name: &str) -> bool {
        let owned = || name.starts_with(&format!("{}-", self.target));
        match kind {
            "HorizontalPodAutoscaler" => name == self.hpa,
            "ReplicaSet" | "Pod" => owned(),
            _ => kind == self.target_kind && name == self.target,
        }
    }
}

pub struct EventHandler {
    relevance: Relevance,
    /// uid -> the count last recorded.
    recorded: HashMap<String, i32>,
}

impl EventHandler {
    pub fn new(relevance: Relevance) -> Self {
        Self {
            relevance,
            recorded: HashMap::new(),
        }
    }
}

impl WatchHandler<Event> for EventHandler {
    fn applied(&mut self, event: Event, _listed: bool, sink: &Sink) {
        let involved = &event.involved_object;
        let kind = involved.kind.as_deref().unwrap_or_default();
        let name = involved.name.as_deref().unwrap_or_default();
        if !self.relevance.concerns(kind, name) {
            return;
        }
        let record = event_record(&event);
        if self.recorded.get(&record.uid) == Some(&record.count) {
            return;
        }
        self.recorded.insert(record.uid.clone(), record.count);
        sink.send(Record::Event(record));
    }

    fn deleted(&mut self, _event: Event, _sink: &Sink) {
        // Events expire after an hour; their expiry says nothing about the cluster.
    }
}

fn event_record(event: &Event) -> EventRecord {
    let series = event.series.as_ref();
    let time = |t: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time| t.0.to_string();
    let event_time = event.event_time.as_ref().map(|t| t.0.to_string());
    let last_observed = series
        .and_then(|s| s.last_observed_time.as_ref())
        .map(|t| t.0.to_string());
    let component = event
        .source
        .as_ref()
        .and_then(|s| s.component.clone())
        .filter(|c| !c.is_empty())
        .or_else(|| event.reporting_component.clone())
        .unwrap_or_default();
    EventRecord {
        t: Utc::now(),
        uid: event.metadata.uid.clone().unwrap_or_default(),
        involved_kind: event.involved_object.kind.clone().unwrap_or_default(),
        involved_name: event.involved_object.name.clone().unwrap_or_default(),
        event_type: event.type_.clone().unwrap_or_default(),
        reason: event.reason.clone().unwrap_or_default(),
        message: event.message.clone().unwrap_or_default(),
        count: event.count.or(series.and_then(|s| s.count)).unwrap_or(1),
        first_timestamp: event
            .first_timestamp
            .as_ref()
            .map(time)
            .or_else(|| event_time.clone()),
        last_timestamp: last_observed
            .or(event.last_timestamp.as_ref().map(time))
            .or(event_time),
        component,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relevance_covers_the_target_its_replicasets_and_pods_only() {
        let r = Relevance {
            hpa: "web".into(),
            target_kind: "Deployment".into(),
            target: "web".into(),
        };
        assert!(r.concerns("HorizontalPodAutoscaler", "web"));
        assert!(r.concerns("Deployment", "web"));
        assert!(r.concerns("ReplicaSet", "web-5d8f7"));
        assert!(r.concerns("Pod", "web-5d8f7-abcde"));
        assert!(!r.concerns("Pod", "webhook-1"));
        assert!(!r.concerns("Deployment", "web-2"));
        assert!(!r.concerns("HorizontalPodAutoscaler", "other"));
    }
}
