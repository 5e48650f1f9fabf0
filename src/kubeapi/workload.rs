//! Builders for the objects of an autoscaled Deployment (Deployment, HPA, pods), shaped like
//! what the real controllers write, for tests and the stand-in cluster.

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerStatus;
use serde_json::{Value, json};

use super::resources::Resource;
use super::state::{ClusterState, now_text};

/// A Deployment `name` whose pods carry `app=<name>`.
pub fn deployment(namespace: &str, name: &str, replicas: i32) -> Value {
    json!({
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "app", "image": "inference:latest",
                                       "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}]}}},
        "status": {"replicas": replicas, "readyReplicas": replicas},
    })
}

/// The ReplicaSet the Deployment controller keeps for `deployment`'s template (as stored, so
/// with its uid): named `<deployment>-<hash>`, owned by the Deployment, its counts copied from
/// the Deployment's status.
pub fn replica_set(deployment: &Value, hash: &str) -> Value {
    let meta = &deployment["metadata"];
    let name = meta["name"].as_str().unwrap_or_default();
    let with_hash = |labels: &Value| {
        let mut labels = labels.clone();
        if !labels.is_object() {
            labels = json!({});
        }
        labels["pod-template-hash"] = json!(hash);
        labels
    };
    let spec = &deployment["spec"];
    let mut template = spec["template"].clone();
    template["metadata"]["labels"] = with_hash(&template["metadata"]["labels"]);
    let status = &deployment["status"];
    json!({
        "metadata": {"name": format!("{name}-{hash}"), "namespace": meta["namespace"],
                     "labels": with_hash(&spec["template"]["metadata"]["labels"]),
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name,
                                          "uid": meta["uid"], "controller": true, "blockOwnerDeletion": true}]},
        "spec": {"replicas": spec["replicas"], "template": template,
                 "selector": {"matchLabels": with_hash(&spec["selector"]["matchLabels"])}},
        "status": {"replicas": status["replicas"], "readyReplicas": status["readyReplicas"],
                   "availableReplicas": status["availableReplicas"], "fullyLabeledReplicas": status["replicas"]},
    })
}

/// An autoscaling/v2 HPA on Deployment `target` with a CPU utilization target and a behavior.
pub fn hpa(
    namespace: &str,
    name: &str,
    target: &str,
    min: i32,
    max: i32,
    cpu_target: i32,
) -> Value {
    json!({
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": min, "maxReplicas": max,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                         "target": {"type": "Utilization", "averageUtilization": cpu_target}}}],
            "behavior": {
                "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                            "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                                         {"type": "Percent", "value": 100, "periodSeconds": 15}]},
                "scaleDown": {"stabilizationWindowSeconds": 300, "selectPolicy": "Max",
                              "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]},
            },
        },
        "status": {"currentReplicas": min, "desiredReplicas": min},
    })
}

/// An HPA status as the controller writes it after a sync: replica counts, the CPU metric
/// (when known) and the three conditions.
pub fn hpa_status(
    current: i32,
    desired: i32,
    cpu: Option<(i32, &str)>,
) -> HorizontalPodAutoscalerStatus {
    let now = now_text();
    let metrics = match cpu {
        Some((utilization, average)) => json!([{"type": "Resource", "resource": {"name": "cpu",
            "current": {"averageUtilization": utilization, "averageValue": average}}}]),
        None => json!([]),
    };
    let rescaled = current != desired;
    let value = json!({
        "currentReplicas": current,
        "desiredReplicas": desired,
        "lastScaleTime": now,
        "currentMetrics": metrics,
        "conditions": [
            {"type": "AbleToScale", "status": "True", "lastTransitionTime": now,
             "reason": if rescaled { "SucceededRescale" } else { "ReadyForNewScale" },
             "message": format!("the HPA controller was able to update the target scale to {desired}")},
            {"type": "ScalingActive", "status": if cpu.is_some() { "True" } else { "False" },
             "lastTransitionTime": now,
             "reason": if cpu.is_some() { "ValidMetricFound" } else { "FailedGetResourceMetric" },
             "message": "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)"},
            {"type": "ScalingLimited", "status": "False", "lastTransitionTime": now,
             "reason": "DesiredWithinRange", "message": "the desired count is within the acceptable range"},
        ],
    });
    serde_json::from_value(value).unwrap_or_default()
}

/// What a pod looks like at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct PodState<'a> {
    /// `Pending`, `Running`, `Succeeded`, `Failed`.
    pub phase: &'a str,
    pub ready: bool,
    pub node: Option<&'a str>,
    pub restarts: i32,
    /// Reason of the container's last termination, e.g. `OOMKilled`.
    pub last_termination: Option<&'a str>,
}

impl PodState<'static> {
    pub fn pending() -> Self {
        Self {
            phase: "Pending",
            ready: false,
            node: None,
            restarts: 0,
            last_termination: None,
        }
    }

    pub fn running(ready: bool) -> Self {
        Self {
            phase: "Running",
            ready,
            node: Some("node-1"),
            restarts: 0,
            last_termination: None,
        }
    }
}

/// A pod of Deployment `app` (label `app=<app>`).
pub fn pod(namespace: &str, name: &str, app: &str, state: &PodState<'_>) -> Value {
    let now = now_text();
    let ready = if state.ready { "True" } else { "False" };
    let mut status = json!({
        "phase": state.phase,
        "conditions": [{"type": "Ready", "status": ready, "lastTransitionTime": now}],
        "containerStatuses": [{"name": "app", "ready": state.ready, "restartCount": state.restarts,
                               "image": "inference:latest", "imageID": "", "state": {}}],
    });
    if state.phase != "Pending" {
        status["startTime"] = json!(now);
    }
    if let Some(reason) = state.last_termination {
        status["containerStatuses"][0]["lastState"] =
            json!({"terminated": {"exitCode": 137, "reason": reason, "finishedAt": now}});
    }
    let mut spec = json!({"containers": [{"name": "app", "image": "inference:latest",
                                          "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}]});
    if let Some(node) = state.node {
        spec["nodeName"] = json!(node);
    }
    json!({"metadata": {"name": name, "namespace": namespace, "labels": {"app": app}},
           "spec": spec, "status": status})
}

/// Seeds a namespace with Deployment `app`, HPA `app` on it (min 1, max 10, 70 % CPU) and
/// `replicas` ready pods named `<app>-<n>`.
pub fn seed_autoscaled_app(state: &ClusterState, namespace: &str, app: &str, replicas: i32) {
    state.upsert(Resource::Deployments, deployment(namespace, app, replicas));
    state.upsert(
        Resource::HorizontalPodAutoscalers,
        hpa(namespace, app, app, 1, 10, 70),
    );
    for n in 1..=replicas {
        state.upsert(
            Resource::Pods,
            pod(
                namespace,
                &format!("{app}-{n}"),
                app,
                &PodState::running(true),
            ),
        );
    }
}
