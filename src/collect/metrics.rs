//! Pod (and, where readable, node) CPU and memory from metrics.k8s.io. It has no watch, so it
//! is polled once per interval.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use kube::api::{ApiResource, DynamicObject, ListParams};
use kube::{Api, Client};
use serde_json::Value;
use tokio::time::MissedTickBehavior;

use super::health::{Health, Retry, describe_kube_error};
use super::quantity::{cpu_millicores, go_duration_seconds, memory_bytes};
use super::records::{Record, UsageRecord, UsageSubject};
use super::writer::Sink;

pub const METRICS_ABSENT: &str = "the metrics API (metrics.k8s.io) is not available, so pod CPU and memory are not \
     recorded (kubectl top says `Metrics API not available`); install metrics-server, e.g. \
     kubectl apply -f https://github.com/kubernetes-sigs/metrics-server/releases/latest/download/components.yaml";

fn metrics_resource(kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: "metrics.k8s.io".into(),
        version: "v1beta1".into(),
        api_version: "metrics.k8s.io/v1beta1".into(),
        kind: kind.into(),
        plural: plural.into(),
    }
}

pub fn pod_metrics_api(client: Client, namespace: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client, namespace, &metrics_resource("PodMetrics", "pods"))
}

pub struct MetricsPlan {
    pub namespace: String,
    pub pod_selector: Option<String>,
    pub interval: Duration,
    /// The preflight already warned that the API is missing: do not warn again.
    pub known_absent: bool,
}

/// Runs until the task is aborted.
pub async fn poll(client: Client, plan: MetricsPlan, sink: Sink) {
    let mut ticker = tokio::time::interval(plan.interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut poller = Poller::new(client, &plan, sink);
    loop {
        ticker.tick().await;
        poller.poll_pods().await;
        if poller.nodes_readable && !poller.absent && !poller.health.in_gap() {
            poller.poll_nodes().await;
        }
    }
}

struct Poller {
    pods: Api<DynamicObject>,
    nodes: Api<DynamicObject>,
    params: ListParams,
    namespace: String,
    health: Health,
    absent: bool,
    nodes_readable: bool,
    pod_samples: Samples,
    node_samples: Samples,
    sink: Sink,
}

impl Poller {
    fn new(client: Client, plan: &MetricsPlan, sink: Sink) -> Self {
        let mut params = ListParams::default();
        if let Some(selector) = &plan.pod_selector {
            params = params.labels(selector);
        }
        Self {
            pods: pod_metrics_api(client.clone(), &plan.namespace),
            nodes: Api::all_with(client, &metrics_resource("NodeMetrics", "nodes")),
            params,
            namespace: plan.namespace.clone(),
            health: Health::new("pod_metrics", Retry::for_interval(plan.interval)),
            absent: plan.known_absent,
            nodes_readable: true,
            pod_samples: Samples::default(),
            node_samples: Samples::default(),
            sink,
        }
    }

    async fn poll_pods(&mut self) {
        match self.pods.list(&self.params).await {
            Ok(list) => {
                self.health.succeeded(&self.sink);
                if self.absent {
                    self.absent = false;
                    self.sink.info("pod_metrics", "the metrics API answers");
                }
                record_usage(
                    list.items,
                    &mut self.pod_samples,
                    &self.sink,
                    UsageSubject::Pod,
                );
            }
            Err(kube::Error::Api(status)) if status.code == 404 => {
                self.health.succeeded(&self.sink);
                if !self.absent {
                    self.absent = true;
                    self.sink.warning("pod_metrics", METRICS_ABSENT);
                }
            }
            Err(e) => {
                let message =
                    describe_kube_error(&e, "list", "pods.metrics.k8s.io", &self.namespace);
                self.health.failed(&self.sink, message);
            }
        }
    }

    /// Node metrics are cluster-scoped: a namespaced Role cannot read them, and then they are
    /// skipped for the rest of the session.
    async fn poll_nodes(&mut self) {
        match self.nodes.list(&ListParams::default()).await {
            Ok(list) => record_usage(
                list.items,
                &mut self.node_samples,
                &self.sink,
                UsageSubject::Node,
            ),
            Err(kube::Error::Api(status)) if status.code == 403 => {
                self.nodes_readable = false;
                self.sink.info(
                    "node_metrics",
                    "node metrics are not readable (needs list on nodes.metrics.k8s.io, cluster-wide); skipped",
                );
            }
            // Outages are recorded by the pod metrics; a missing node list is not worth a gap.
            Err(_) => {}
        }
    }
}

/// The sample last recorded per pod or node: metrics-server renews a sample once per scrape
/// (15-60 s), so polls in between return it again and it is not written twice.
#[derive(Default)]
struct Samples {
    last: HashMap<String, Option<String>>,
}

impl Samples {
    fn is_new(&mut self, name: &str, timestamp: &Option<String>) -> bool {
        let unchanged = timestamp.is_some() && self.last.get(name) == Some(timestamp);
        if !unchanged {
            self.last.insert(name.to_string(), timestamp.clone());
        }
        !unchanged
    }
}

fn record_usage(
    items: Vec<DynamicObject>,
    samples: &mut Samples,
    sink: &Sink,
    subject: fn(String) -> UsageSubject,
) {
    let t = Utc::now();
    for item in items {
        let name = item.metadata.name.clone().unwrap_or_default();
        let timestamp = item.data["timestamp"].as_str().map(str::to_string);
        if !samples.is_new(&name, &timestamp) {
            continue;
        }
        let (cpu, memory) = usage_totals(&item.data, sink, &name);
        sink.send(Record::Usage(UsageRecord {
            t,
            subject: subject(name),
            timestamp,
            window_seconds: item.data["window"].as_str().and_then(go_duration_seconds),
            cpu_millicores: cpu,
            memory_bytes: memory,
        }));
    }
}

/// Sums the containers of a PodMetrics (or reads the single `usage` of a NodeMetrics).
fn usage_totals(data: &Value, sink: &Sink, name: &str) -> (Option<f64>, Option<f64>) {
    let usages: Vec<&Value> = match data["containers"].as_array() {
        Some(containers) => containers.iter().map(|c| &c["usage"]).collect(),
        None => vec![&data["usage"]],
    };
    let total = |field: &str, parse: fn(&str) -> Result<f64, super::quantity::QuantityError>| {
        let mut sum = 0.0;
        for usage in &usages {
            let text = usage[field].as_str().unwrap_or_default();
            match parse(text) {
                Ok(v) => sum += v,
                Err(e) => {
                    sink.warning(
                        "pod_metrics",
                        format!("{name}: {field} {e}; value left empty"),
                    );
                    return None;
                }
            }
        }
        Some(sum)
    };
    (total("cpu", cpu_millicores), total("memory", memory_bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_is_new_once_per_timestamp() {
        let mut samples = Samples::default();
        let at = |t: &str| Some(t.to_string());
        assert!(samples.is_new("a", &at("10:00:00")));
        assert!(!samples.is_new("a", &at("10:00:00")));
        assert!(samples.is_new("b", &at("10:00:00")));
        assert!(samples.is_new("a", &at("10:00:15")));
        // Without a timestamp there is no telling: every poll is kept.
        assert!(samples.is_new("c", &None));
        assert!(samples.is_new("c", &None));
    }
}
