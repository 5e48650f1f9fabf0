//! Starts and stops the sources: one task per watched resource, the metrics poller and the
//! results-file poller, all sending to the writer.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::Api;
use kube::api::DynamicObject;
use kube::runtime::watcher;
use tokio::task::JoinHandle;

use super::connect::Connection;
use super::follow::{WatchPlan, follow};
use super::health::Retry;
use super::preflight::{self, HPA_RESOURCE, Target};
use super::results::{ResultsFiles, ResultsTask};
use super::writer::Sink;
use super::{events, hpa, metrics, pods};
use crate::session::SessionDir;

/// What the sources need to know.
pub struct SourcePlan<'a> {
    pub connection: &'a Connection,
    pub target: &'a Target,
    pub interval: Duration,
    pub metrics_absent: bool,
    pub result_patterns: Vec<String>,
}

/// The running sources.
pub struct Recording {
    cluster: Vec<JoinHandle<()>>,
    results: ResultsTask,
}

impl Recording {
    pub fn start(plan: &SourcePlan<'_>, session: &SessionDir, sink: &Sink) -> anyhow::Result<Self> {
        let mut cluster = vec![
            watch_hpa(plan, sink),
            watch_events(plan, sink),
            poll_metrics(plan, sink),
        ];
        cluster.extend(watch_pods(plan, sink));
        let mut files =
            ResultsFiles::new(plan.result_patterns.clone(), session.clone(), sink.clone())?;
        files.note_existing();
        // Results files are looked at every second at most, so a file saved just before the
        // command exits is caught.
        let results = ResultsTask::start(files, plan.interval.min(Duration::from_secs(1)));
        Ok(Self { cluster, results })
    }

    /// Stops the cluster sources, then takes a last look at the results files.
    pub async fn stop(self) {
        for task in self.cluster {
            task.abort();
            let _ = task.await;
        }
        self.results.finish().await;
    }
}

fn watch_plan(
    plan: &SourcePlan<'_>,
    source: &'static str,
    resource: &'static str,
    config: watcher::Config,
) -> WatchPlan {
    WatchPlan {
        source,
        resource,
        namespace: plan.connection.namespace.clone(),
        // Renewed well within the read timeout, so a quiet watch is not taken for a silent one.
        config: config.timeout(plan.connection.patience.watch_seconds),
        tick: None,
        retry: Retry::for_interval(plan.interval),
    }
}

fn watch_hpa(plan: &SourcePlan<'_>, sink: &Sink) -> JoinHandle<()> {
    let connection = plan.connection;
    let name = &plan.target.hpa_name;
    let api: Api<DynamicObject> = Api::namespaced_with(
        connection.client.clone(),
        &connection.namespace,
        &preflight::hpa_resource(),
    );
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut watch = watch_plan(plan, "hpa", HPA_RESOURCE, config);
    watch.tick = Some(plan.interval);
    tokio::spawn(follow(api, watch, hpa::HpaHandler::new(name), sink.clone()))
}

fn watch_events(plan: &SourcePlan<'_>, sink: &Sink) -> JoinHandle<()> {
    let (target_kind, target) = plan.target.scale_target.clone();
    let relevance = events::Relevance {
        hpa: plan.target.hpa_name.clone(),
        target_kind,
        target,
    };
    let api: Api<Event> =
        Api::namespaced(plan.connection.client.clone(), &plan.connection.namespace);
    let watch = watch_plan(plan, "events", "events", watcher::Config::default());
    tokio::spawn(follow(
        api,
        watch,
        events::EventHandler::new(relevance),
        sink.clone(),
    ))
}

/// Only when the pods' selector is known.
fn watch_pods(plan: &SourcePlan<'_>, sink: &Sink) -> Option<JoinHandle<()>> {
    let selector = plan.target.pod_selector.as_deref()?;
    let api: Api<Pod> = Api::namespaced(plan.connection.client.clone(), &plan.connection.namespace);
    let watch = watch_plan(
        plan,
        "pods",
        "pods",
        watcher::Config::default().labels(selector),
    );
    Some(tokio::spawn(follow(
        api,
        watch,
        pods::PodHandler::default(),
        sink.clone(),
    )))
}

fn poll_metrics(plan: &SourcePlan<'_>, sink: &Sink) -> JoinHandle<()> {
    let metrics_plan = metrics::MetricsPlan {
        namespace: plan.connection.namespace.clone(),
        pod_selector: plan.target.pod_selector.clone(),
        interval: plan.interval,
        known_absent: plan.metrics_absent,
    };
    tokio::spawn(metrics::poll(
        plan.connection.client.clone(),
        metrics_plan,
        sink.clone(),
    ))
}
