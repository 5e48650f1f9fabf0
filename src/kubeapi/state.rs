//! The cluster's objects and their change history. Tests (and later the stand-in cluster) change
//! it through the methods below; the HTTP layer reads it and follows its changes for watches.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::{HorizontalPodAutoscaler, HorizontalPodAutoscalerStatus};
use k8s_openapi::api::core::v1::Pod;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::resources::Resource;

/// Changes kept for resuming watches; older resourceVersions get 410 Gone, as from etcd
/// compaction.
const HISTORY_LIMIT: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub resource: Resource,
    pub namespace: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    Added,
    Modified,
    Deleted,
}

impl ChangeType {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::Added => "ADDED",
            ChangeType::Modified => "MODIFIED",
            ChangeType::Deleted => "DELETED",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Change {
    pub rv: u64,
    pub key: ObjectKey,
    pub change: ChangeType,
    pub object: Value,
}

/// The watch asked to resume from a resourceVersion whose history is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gone {
    pub oldest_resumable: u64,
}

/// A new core/v1 Event. Emitting the same object, reason and message again bumps `count` and
/// `lastTimestamp` of the existing Event, as the kubelet's and controllers' recorders do.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub namespace: &'a str,
    pub involved_kind: &'a str,
    pub involved_name: &'a str,
    pub reason: &'a str,
    pub message: &'a str,
    /// `Normal` or `Warning`.
    pub event_type: &'a str,
    /// `source.component`, e.g. `horizontal-pod-autoscaler`.
    pub component: &'a str,
}

#[derive(Debug, Default)]
struct Store {
    rv: u64,
    next_uid: u64,
    objects: BTreeMap<ObjectKey, Value>,
    history: VecDeque<Change>,
    /// A watch may resume from any resourceVersion at or after this one.
    oldest_resumable: u64,
    metrics_absent: bool,
    forbidden: HashSet<(String, String)>,
    requests: HashMap<(String, String), u64>,
    required_token: Option<String>,
    bookmark_every: Option<Duration>,
}

pub struct ClusterState {
    store: Mutex<Store>,
    /// The latest resourceVersion, for open watches to wake up on.
    latest: watch::Sender<u64>,
    /// Bumped to end every open watch (a test's "connection dropped").
    closer: watch::Sender<u64>,
}

pub fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl ClusterState {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            store: Mutex::new(Store::default()),
            latest: watch::channel(0).0,
            closer: watch::channel(0).0,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that matters
        // for a test double of the API, so a poisoned lock is simply taken over.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates or replaces an object (its `metadata.namespace` and `metadata.name` say which),
    /// giving it a fresh resourceVersion. Returns that resourceVersion.
    pub fn upsert(&self, resource: Resource, mut object: Value) -> u64 {
        let key = object_key(resource, &object);
        let rv = {
            let mut store = self.lock();
            store.rv += 1;
            let rv = store.rv;
            let previous = store.objects.get(&key).cloned();
            fill_metadata(
                &mut object,
                resource,
                rv,
                previous.as_ref(),
                &mut store.next_uid,
            );
            let change = if previous.is_some() {
                ChangeType::Modified
            } else {
                ChangeType::Added
            };
            store.objects.insert(key.clone(), object.clone());
            record_change(
                &mut store,
                Change {
                    rv,
                    key,
                    change,
                    object,
                },
            );
            rv
        };
        self.latest.send_replace(rv);
        rv
    }

    pub fn upsert_typed<K: Serialize>(&self, resource: Resource, object: &K) -> u64 {
        let value = serde_json::to_value(object).unwrap_or(Value::Null);
        self.upsert(resource, value)
    }

    pub fn upsert_pod(&self, pod: &Pod) -> u64 {
        self.upsert_typed(Resource::Pods, pod)
    }

    pub fn upsert_deployment(&self, deployment: &Deployment) -> u64 {
        self.upsert_typed(Resource::Deployments, deployment)
    }

    pub fn upsert_hpa(&self, hpa: &HorizontalPodAutoscaler) -> u64 {
        self.upsert_typed(Resource::HorizontalPodAutoscalers, hpa)
    }

    /// Replaces the status of an existing HPA, as the HPA controller does after each sync.
    pub fn set_hpa_status(
        &self,
        namespace: &str,
        name: &str,
        status: &HorizontalPodAutoscalerStatus,
    ) -> Result<u64, String> {
        let status = serde_json::to_value(status).map_err(|e| e.to_string())?;
        self.modify(Resource::HorizontalPodAutoscalers, namespace, name, |hpa| {
            hpa["status"] = status;
        })
    }

    /// Applies `change` to a stored object and records it as MODIFIED.
    pub fn modify(
        &self,
        resource: Resource,
        namespace: &str,
        name: &str,
        change: impl FnOnce(&mut Value),
    ) -> Result<u64, String> {
        let mut object = self
            .get(resource, namespace, name)
            .ok_or_else(|| format!("no {} {namespace}/{name}", resource.plural()))?;
        change(&mut object);
        Ok(self.upsert(resource, object))
    }

    /// Deletes an object; returns false when there was none.
    pub fn delete(&self, resource: Resource, namespace: &str, name: &str) -> bool {
        let key = ObjectKey {
            resource,
            namespace: namespace.into(),
            name: name.into(),
        };
        let rv = {
            let mut store = self.lock();
            let Some(mut object) = store.objects.remove(&key) else {
                return false;
            };
            store.rv += 1;
            let rv = store.rv;
            object["metadata"]["resourceVersion"] = json!(rv.to_string());
            record_change(
                &mut store,
                Change {
                    rv,
                    key,
                    change: ChangeType::Deleted,
                    object,
                },
            );
            rv
        };
        self.latest.send_replace(rv);
        true
    }

    pub fn delete_pod(&self, namespace: &str, name: &str) -> bool {
        self.delete(Resource::Pods, namespace, name)
    }

    /// Records an event, or counts a repeat of an identical one. Returns the Event's name.
    pub fn emit_event(&self, event: &NewEvent<'_>) -> String {
        let existing = self.find_similar_event(event);
        let now = now_text();
        match existing {
            Some(mut object) => {
                let count = object["count"].as_i64().unwrap_or(1) + 1;
                object["count"] = json!(count);
                object["lastTimestamp"] = json!(now);
                let name = object["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                self.upsert(Resource::Events, object);
                name
            }
            None => {
                let name = format!("{}.{:x}", event.involved_name, self.lock().rv + 1);
                let mut object = new_event_object(event, &name, &now);
                // kubectl describe selects an object's events by its uid too.
                if let Some(uid) = self.involved_uid(event) {
                    object["involvedObject"]["uid"] = uid;
                }
                self.upsert(Resource::Events, object);
                name
            }
        }
    }

    fn involved_uid(&self, event: &NewEvent<'_>) -> Option<Value> {
        let resource = Resource::ALL
            .into_iter()
            .find(|r| !r.is_metrics() && r.kind() == event.involved_kind)?;
        self.get(resource, event.namespace, event.involved_name)?
            .pointer("/metadata/uid")
            .cloned()
    }

    fn find_similar_event(&self, event: &NewEvent<'_>) -> Option<Value> {
        let store = self.lock();
        store
            .objects
            .iter()
            .filter(|(k, _)| k.resource == Resource::Events && k.namespace == event.namespace)
            .map(|(_, v)| v)
            .find(|v| {
                v["involvedObject"]["kind"] == event.involved_kind
                    && v["involvedObject"]["name"] == event.involved_name
                    && v["reason"] == event.reason
                    && v["message"] == event.message
            })
            .cloned()
    }

    /// Sets what metrics-server reports for a pod: one `(container, cpu, memory)` per container,
    /// quantities as the API writes them (`250m`, `7338891n`, `512Mi`).
    pub fn set_pod_metrics(&self, namespace: &str, pod: &str, containers: &[(&str, &str, &str)]) {
        let containers: Vec<Value> = containers
            .iter()
            .map(|(name, cpu, memory)| json!({"name": name, "usage": {"cpu": cpu, "memory": memory}}))
            .collect();
        self.upsert(
            Resource::PodMetrics,
            json!({"metadata": {"name": pod, "namespace": namespace, "labels": self.pod_labels(namespace, pod)},
                   "timestamp": now_text(), "window": "15s", "containers": containers}),
        );
    }

    fn pod_labels(&self, namespace: &str, pod: &str) -> Value {
        self.get(Resource::Pods, namespace, pod)
            .and_then(|p| p.pointer("/metadata/labels").cloned())
            .unwrap_or_else(|| json!({}))
    }

    pub fn set_node_metrics(&self, node: &str, cpu: &str, memory: &str) {
        self.upsert(
            Resource::NodeMetrics,
            json!({"metadata": {"name": node}, "timestamp": now_text(), "window": "15s",
                   "usage": {"cpu": cpu, "memory": memory}}),
        );
    }

    /// With `false`, the metrics.k8s.io group disappears, as when metrics-server is not installed.
    pub fn set_metrics_available(&self, available: bool) {
        self.lock().metrics_absent = !available;
    }

    pub fn metrics_available(&self) -> bool {
        !self.lock().metrics_absent
    }

    /// Refuses `verb` (get, list, watch) on `resource` (plural, e.g. `events`) with 403, in
    /// requests and in SelfSubjectAccessReviews.
    pub fn forbid(&self, verb: &str, resource: &str) {
        self.lock()
            .forbidden
            .insert((verb.to_string(), resource.to_string()));
    }

    pub fn permit(&self, verb: &str, resource: &str) {
        self.lock()
            .forbidden
            .remove(&(verb.to_string(), resource.to_string()));
    }

    pub fn is_forbidden(&self, verb: &str, resource: &str) -> bool {
        self.lock()
            .forbidden
            .contains(&(verb.to_string(), resource.to_string()))
    }

    /// Requests must carry `Authorization: Bearer <token>` (else 401).
    pub fn require_token(&self, token: Option<&str>) {
        self.lock().required_token = token.map(str::to_string);
    }

    pub fn required_token(&self) -> Option<String> {
        self.lock().required_token.clone()
    }

    /// How often open watches that asked for bookmarks get one (default: once a minute, like
    /// the real API server).
    pub fn set_bookmark_interval(&self, every: Duration) {
        self.lock().bookmark_every = Some(every);
    }

    pub fn bookmark_interval(&self) -> Duration {
        self.lock()
            .bookmark_every
            .unwrap_or(Duration::from_secs(60))
    }

    /// Forgets the change history, as an etcd compaction does: every resourceVersion handed
    /// out so far becomes too old, so each open or resuming watch gets 410 Gone and must list
    /// again. The compaction takes a resourceVersion of its own, which new lists return.
    pub fn compact_history(&self) {
        let rv = {
            let mut store = self.lock();
            store.rv += 1;
            store.history.clear();
            store.oldest_resumable = store.rv;
            store.rv
        };
        self.latest.send_replace(rv);
    }

    /// Ends every open watch stream, as a dropped connection or a server-side timeout would.
    pub fn close_watches(&self) {
        self.closer.send_modify(|generation| *generation += 1);
    }

    pub(crate) fn subscribe_latest(&self) -> watch::Receiver<u64> {
        self.latest.subscribe()
    }

    pub(crate) fn subscribe_closer(&self) -> watch::Receiver<u64> {
        self.closer.subscribe()
    }

    pub(crate) fn count_request(&self, verb: &str, resource: Resource) {
        let key = (verb.to_string(), resource.qualified_name());
        *self.lock().requests.entry(key).or_default() += 1;
    }

    /// How many `verb` requests reached `resource` (qualified name: `pods`, `pods.metrics.k8s.io`).
    pub fn request_count(&self, verb: &str, resource: &str) -> u64 {
        let key = (verb.to_string(), resource.to_string());
        self.lock().requests.get(&key).copied().unwrap_or(0)
    }

    pub fn resource_version(&self) -> u64 {
        self.lock().rv
    }

    pub fn get(&self, resource: Resource, namespace: &str, name: &str) -> Option<Value> {
        let key = ObjectKey {
            resource,
            namespace: namespace.into(),
            name: name.into(),
        };
        self.lock().objects.get(&key).cloned()
    }

    /// Objects of one type (in one namespace, or all), ordered by namespace and name, with the
    /// resourceVersion they were read at.
    pub fn list(
        &self,
        resource: Resource,
        namespace: Option<&str>,
    ) -> (Vec<(ObjectKey, Value)>, u64) {
        let store = self.lock();
        let items = store
            .objects
            .iter()
            .filter(|(k, _)| k.resource == resource && namespace.is_none_or(|ns| k.namespace == ns))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (items, store.rv)
    }

    /// Changes to `resource` after resourceVersion `since`, and the resourceVersion they run to.
    pub fn changes_since(
        &self,
        resource: Resource,
        since: u64,
    ) -> Result<(Vec<Change>, u64), Gone> {
        let store = self.lock();
        if since < store.oldest_resumable {
            return Err(Gone {
                oldest_resumable: store.oldest_resumable,
            });
        }
        let changes = store
            .history
            .iter()
            .filter(|c| c.rv > since && c.key.resource == resource)
            .cloned()
            .collect();
        Ok((changes, store.rv))
    }
}

fn object_key(resource: Resource, object: &Value) -> ObjectKey {
    let text = |p: &str| {
        object
            .pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    ObjectKey {
        resource,
        namespace: text("/metadata/namespace"),
        name: text("/metadata/name"),
    }
}

fn fill_metadata(
    object: &mut Value,
    resource: Resource,
    rv: u64,
    previous: Option<&Value>,
    next_uid: &mut u64,
) {
    if !object.is_object() {
        *object = json!({});
    }
    object["apiVersion"] = json!(resource.api_version());
    object["kind"] = json!(resource.kind());
    if !object["metadata"].is_object() {
        object["metadata"] = json!({});
    }
    let meta = &mut object["metadata"];
    meta["resourceVersion"] = json!(rv.to_string());
    let kept = |field: &str| {
        previous
            .and_then(|p| p["metadata"].get(field))
            .filter(|v| !v.is_null())
            .cloned()
    };
    if meta.get("uid").is_none_or(Value::is_null) {
        meta["uid"] = kept("uid").unwrap_or_else(|| {
            *next_uid += 1;
            json!(format!("00000000-0000-4000-8000-{:012x}", *next_uid))
        });
    }
    if meta.get("creationTimestamp").is_none_or(Value::is_null) {
        meta["creationTimestamp"] = kept("creationTimestamp").unwrap_or_else(|| json!(now_text()));
    }
}

fn record_change(store: &mut Store, change: Change) {
    store.history.push_back(change);
    while store.history.len() > HISTORY_LIMIT {
        if let Some(dropped) = store.history.pop_front() {
            store.oldest_resumable = dropped.rv;
        }
    }
}

fn new_event_object(event: &NewEvent<'_>, name: &str, now: &str) -> Value {
    json!({
        "metadata": {"name": name, "namespace": event.namespace},
        "involvedObject": {"kind": event.involved_kind, "name": event.involved_name, "namespace": event.namespace},
        "reason": event.reason,
        "message": event.message,
        "type": event.event_type,
        "count": 1,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "source": {"component": event.component},
        "reportingComponent": "",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str) -> Value {
        json!({"metadata": {"name": name, "namespace": "ns"}})
    }

    #[test]
    fn upserts_number_changes_and_keep_uid_and_creation_time() {
        let state = ClusterState::new();
        assert_eq!(state.upsert(Resource::Pods, pod("a")), 1);
        let first = state.get(Resource::Pods, "ns", "a").unwrap();
        assert_eq!(state.upsert(Resource::Pods, pod("a")), 2);
        let second = state.get(Resource::Pods, "ns", "a").unwrap();
        assert_eq!(first["metadata"]["uid"], second["metadata"]["uid"]);
        assert_eq!(second["metadata"]["resourceVersion"], "2");
        assert_eq!(second["kind"], "Pod");
        let (changes, rv) = state.changes_since(Resource::Pods, 0).unwrap();
        assert_eq!(rv, 2);
        let kinds: Vec<_> = changes.iter().map(|c| c.change).collect();
        assert_eq!(kinds, vec![ChangeType::Added, ChangeType::Modified]);
    }

    #[test]
    fn compaction_makes_old_versions_gone() {
        let state = ClusterState::new();
        state.upsert(Resource::Pods, pod("a"));
        state.upsert(Resource::Pods, pod("b"));
        state.compact_history();
        assert_eq!(
            state.changes_since(Resource::Pods, 2).unwrap_err(),
            Gone {
                oldest_resumable: 3
            }
        );
        assert!(state.changes_since(Resource::Pods, 3).unwrap().0.is_empty());
        assert!(state.delete_pod("ns", "a"));
        let (changes, _) = state.changes_since(Resource::Pods, 3).unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].change, ChangeType::Deleted);
    }

    #[test]
    fn repeated_events_are_counted_on_one_object() {
        let state = ClusterState::new();
        let event = NewEvent {
            namespace: "ns",
            involved_kind: "HorizontalPodAutoscaler",
            involved_name: "web",
            reason: "SuccessfulRescale",
            message: "New size: 2; reason: All metrics below target",
            event_type: "Normal",
            component: "horizontal-pod-autoscaler",
        };
        let first = state.emit_event(&event);
        let again = state.emit_event(&event);
        assert_eq!(first, again);
        let stored = state.get(Resource::Events, "ns", &first).unwrap();
        assert_eq!(stored["count"], 2);
        let other = state.emit_event(&NewEvent {
            message: "New size: 3; reason: x",
            ..event
        });
        assert_ne!(other, first);
    }
}
