//! Serves the local Kubernetes API server with an autoscaled Deployment whose load rises and
//! falls every two minutes, changing state the way the HPA controller, the kubelet and
//! metrics-server would (every 15 s). For trying `report collect` by hand and for
//! `benches/collector_cost.sh`.
//!
//! Usage: cargo run --example local_cluster -- KUBECONFIG_OUT [SECONDS]

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use report::kubeapi::workload::{PodState, hpa_status, pod, seed_autoscaled_app};
use report::kubeapi::{ApiServer, ClusterState, KubeUser, NewEvent, Resource};

const NS: &str = "llm-inference";
const APP: &str = "llm-inference";
/// Sync period of the HPA controller and scrape period of metrics-server.
const STEP: Duration = Duration::from_secs(15);
/// Steps per half cycle: two minutes of load, two minutes idle.
const HALF_CYCLE: u64 = 8;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = PathBuf::from(
        args.first()
            .context("usage: local_cluster KUBECONFIG_OUT [SECONDS]")?,
    );
    let seconds: u64 = match args.get(1) {
        Some(text) => text
            .parse()
            .with_context(|| format!("{text:?} is not a number of seconds"))?,
        None => 600,
    };
    let state = ClusterState::new();
    seed_autoscaled_app(&state, NS, APP, 1);
    let server = ApiServer::start(state.clone()).await?;
    std::fs::write(&out, server.kubeconfig(NS, &KubeUser::Anonymous))
        .with_context(|| format!("cannot write {}", out.display()))?;
    println!(
        "serving {} (kubeconfig {}) for {seconds} s",
        server.url(),
        out.display()
    );

    let mut ticker = tokio::time::interval(STEP);
    let steps = seconds.div_ceil(STEP.as_secs());
    let mut replicas = 1;
    for step in 0..=steps {
        ticker.tick().await;
        replicas = simulate(&state, step, replicas);
    }
    Ok(())
}

/// One controller sync: new metrics, the HPA's status and, at a load change, a rescale with
/// its events and pods. Returns the replica count after the step.
fn simulate(state: &ClusterState, step: u64, replicas: i32) -> i32 {
    let loaded = (step / HALF_CYCLE) % 2 == 1;
    let wanted = if loaded { 3 } else { 1 };
    // A little movement every step, so that status and metrics change as in a real cluster.
    let wobble = (step % 5) as i32;
    let cpu = if loaded { 80 + wobble } else { 10 + wobble };
    if wanted != replicas {
        rescale(state, replicas, wanted);
    }
    let average = format!("{}m", cpu * 5);
    let _ = state.set_hpa_status(NS, APP, &hpa_status(wanted, wanted, Some((cpu, &average))));
    for n in 1..=wanted {
        let cpu_nanocores = format!("{}n", (cpu as u64) * 5_000_000 + step);
        state.set_pod_metrics(
            NS,
            &format!("{APP}-{n}"),
            &[("app", &cpu_nanocores, "1843Mi")],
        );
    }
    state.set_node_metrics("node-1", &format!("{}m", 200 + cpu * 5 * wanted), "6Gi");
    wanted
}

fn rescale(state: &ClusterState, from: i32, to: i32) {
    let reason = if to > from {
        "cpu resource utilization (percentage of request) above target"
    } else {
        "All metrics below target"
    };
    event(
        state,
        "HorizontalPodAutoscaler",
        APP,
        "SuccessfulRescale",
        &format!("New size: {to}; reason: {reason}"),
    );
    event(
        state,
        "Deployment",
        APP,
        "ScalingReplicaSet",
        &format!("Scaled replica set {APP}-7d9f to {to} from {from}"),
    );
    for n in (from + 1)..=to {
        let name = format!("{APP}-{n}");
        state.upsert(
            Resource::Pods,
            pod(NS, &name, APP, &PodState::running(true)),
        );
        event(state, "Pod", &name, "Started", "Started container app");
    }
    for n in (to + 1)..=from {
        let name = format!("{APP}-{n}");
        event(state, "Pod", &name, "Killing", "Stopping container app");
        state.delete_pod(NS, &name);
        state.delete(Resource::PodMetrics, NS, &name);
    }
}

fn event(state: &ClusterState, kind: &str, name: &str, reason: &str, message: &str) {
    state.emit_event(&NewEvent {
        namespace: NS,
        involved_kind: kind,
        involved_name: name,
        reason,
        message,
        event_type: "Normal",
        component: if kind == "Pod" {
            "kubelet"
        } else {
            "horizontal-pod-autoscaler"
        },
    });
}
