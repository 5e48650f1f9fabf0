//! Pod (and, where readable, node) CPU and memory from metrics.k8s.io. It has no watch, so it
//! is polled once per interval.

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
    let pods = pod_metrics_api(client.clone(), &plan.namespace);
    let nodes: Api<DynamicObject> =
        Api::all_with(client, &metrics_resource("NodeMetrics", "nodes"));
    let mut params = ListParams::default();
    if let Some(selector) = &plan.pod_selector {
        params = params.labels(selector);
    }
    let mut health = Health::new("pod_metrics", Retry::for_interval(plan.interval));
    let mut absent = plan.known_absent;
    let mut nodes_readable = true;
    let mut ticker = tokio::time::interval(plan.interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        ticker.tick().await;
        match pods.list(&params).await {
            Ok(list) => {
                health.succeeded(&sink);
                if absent {
                    absent = false;
                    sink.info("pod_metrics", "the metrics API answers");
                }
                record_usage(list.items, &sink, UsageSubject::Pod);
            }
            Err(kube::Error::Api(status)) if status.code == 404 => {
                health.succeeded(&sink);
                if !absent {
                    absent = true;
                    sink.warning("pod_metrics", METRICS_ABSENT);
                }
            }
            Err(e) => health.failed(
                &sink,
                describe_kube_error(&e, "list", "pods.metrics.k8s.io", &plan.namespace),
            ),
        }
        if nodes_readable && !absent && !health.in_gap() {
            nodes_readable = poll_nodes(&nodes, &sink).await;
        }
    }
}

/// Returns false when node metrics cannot be read with these credentials (usual for a
/// namespaced Role): they are then skipped for the rest of the session.
async fn poll_nodes(nodes: &Api<DynamicObject>, sink: &Sink) -> bool {
    match nodes.list(&ListParams::default()).await {
        Ok(list) => {
            record_usage(list.items, sink, UsageSubject::Node);
            true
        }
        Err(kube::Error::Api(status)) if status.code == 403 => {
            sink.info(
                "node_metrics",
                "node metrics are not readable (needs list on nodes.metrics.k8s.io, cluster-wide); skipped",
            );
            false
        }
        // Outages are recorded by the pod metrics; a missing node list is not worth a gap.
        Err(_) => true,
    }
}

fn record_usage(items: Vec<DynamicObject>, sink: &Sink, subject: fn(String) -> UsageSubject) {
    let t = Utc::now();
    for item in items {
        let name = item.metadata.name.clone().unwrap_or_default();
        let (cpu, memory) = usage_totals(&item.data, sink, &name);
        sink.send(Record::Usage(UsageRecord {
            t,
            subject: subject(name),
            timestamp: item.data["timestamp"].as_str().map(str::to_string),
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
