//! The HPA: every change of its spec or status from the watch, plus one sample per interval.

use chrono::Utc;
use kube::api::DynamicObject;
use serde_json::Value;

use super::follow::WatchHandler;
use super::records::{HpaRecord, Record};
use super::writer::Sink;

pub struct HpaHandler {
    name: String,
    /// The last spec and status seen, to skip repeats (re-lists after a watch restart).
    last: Option<(Value, Value)>,
}

impl HpaHandler {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            last: None,
        }
    }

    fn record(&self, via: &str, spec: &Value, status: &Value) -> Record {
        Record::Hpa(HpaRecord {
            t: Utc::now(),
            via: via.to_string(),
            name: self.name.clone(),
            spec: spec.clone(),
            status: status.clone(),
        })
    }
}

impl WatchHandler<DynamicObject> for HpaHandler {
    fn applied(&mut self, object: DynamicObject, _listed: bool, sink: &Sink) {
        let spec = object.data.get("spec").cloned().unwrap_or(Value::Null);
        let status = object.data.get("status").cloned().unwrap_or(Value::Null);
        let current = (spec, status);
        if self.last.as_ref() != Some(&current) {
            sink.send(self.record("watch", &current.0, &current.1));
            self.last = Some(current);
        }
    }

    fn deleted(&mut self, _object: DynamicObject, sink: &Sink) {
        sink.warning(
            "hpa",
            format!(
                "HPA {} was deleted; nothing more to record from it",
                self.name
            ),
        );
        self.last = None;
    }

    fn tick(&mut self, sink: &Sink) {
        if let Some((spec, status)) = &self.last {
            sink.send(self.record("sample", spec, status));
        }
    }
}
