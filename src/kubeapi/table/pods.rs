//! Pods: NAME READY STATUS RESTARTS AGE, and IP NODE NOMINATED NODE READINESS GATES wide.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{Column, age, column, number, or_none, text, wide};

pub(crate) const COLUMNS: &[Column] = &[
    column("Name"),
    column("Ready"),
    column("Status"),
    column("Restarts"),
    column("Age"),
    wide(column("IP")),
    wide(column("Node")),
    wide(column("Nominated Node")),
    wide(column("Readiness Gates")),
];

pub(crate) fn cells(pod: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let containers = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let statuses = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let phase = text(pod, "/status/phase");
    let mut reason = match text(pod, "/status/reason") {
        "" => phase.to_string(),
        given => given.to_string(),
    };
    let mut ready = 0;
    let mut restarts = 0;
    let mut last_restart: Option<DateTime<Utc>> = None;
    let mut running = false;
    // Upstream walks the containers from the last, so the first container's state wins.
    for status in statuses.iter().rev() {
        restarts += number(status, "/restartCount");
        if let Some(finished) = time(status, "/lastState/terminated/finishedAt") {
            last_restart = last_restart.max(Some(finished));
        }
        let waiting = text(status, "/state/waiting/reason");
        let terminated = status.pointer("/state/terminated");
        if !waiting.is_empty() {
            reason = waiting.to_string();
        } else if let Some(terminated) = terminated {
            reason = match (text(terminated, "/reason"), number(terminated, "/signal")) {
                ("", 0) => format!("ExitCode:{}", number(terminated, "/exitCode")),
                ("", signal) => format!("Signal:{signal}"),
                (given, _) => given.to_string(),
            };
        } else if status["ready"] == json!(true) && status.pointer("/state/running").is_some() {
            running = true;
            ready += 1;
        }
    }
    if reason == "Completed" && running {
        reason = if ready_condition(pod) {
            "Running"
        } else {
            "NotReady"
        }
        .to_string();
    }
    let terminal = matches!(phase, "Succeeded" | "Failed");
    if pod
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|t| !t.is_null())
    {
        if text(pod, "/status/reason") == "NodeLost" {
            reason = "Unknown".to_string();
        } else if !terminal {
            reason = "Terminating".to_string();
        }
    }
    let restarts_text = match last_restart {
        Some(at) if restarts != 0 => format!("{restarts} ({} ago)", age::human(now - at)),
        _ => restarts.to_string(),
    };
    let ip = pod
        .pointer("/status/podIPs/0/ip")
        .and_then(Value::as_str)
        .unwrap_or_else(|| text(pod, "/status/podIP"));
    vec![
        json!(text(pod, "/metadata/name")),
        json!(format!("{ready}/{containers}")),
        json!(reason),
        json!(restarts_text),
        json!(age::since(&pod["metadata"]["creationTimestamp"], now)),
        json!(or_none(ip)),
        json!(or_none(text(pod, "/spec/nodeName"))),
        json!(or_none(text(pod, "/status/nominatedNodeName"))),
        json!(readiness_gates(pod)),
    ]
}

fn time(object: &Value, pointer: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text(object, pointer))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn condition_true(pod: &Value, kind: &str) -> Option<bool> {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| c["type"] == kind)
        .map(|c| c["status"] == "True")
}

fn ready_condition(pod: &Value) -> bool {
    condition_true(pod, "Ready").unwrap_or(false)
}

/// `<none>`, or how many of the pod's readiness gates have their condition True.
fn readiness_gates(pod: &Value) -> String {
    let gates = pod
        .pointer("/spec/readinessGates")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if gates.is_empty() {
        return "<none>".to_string();
    }
    let met = gates
        .iter()
        .filter(|g| condition_true(pod, text(g, "/conditionType")) == Some(true))
        .count();
    format!("{met}/{}", gates.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(status: Value) -> Value {
        json!({"metadata": {"name": "web-1", "creationTimestamp": "2025-01-15T10:00:00Z"},
               "spec": {"containers": [{"name": "app"}, {"name": "sidecar"}], "nodeName": "node-1"},
               "status": status})
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn running_pod_with_one_ready_container_and_a_restart() {
        let pod = pod(json!({"phase": "Running", "podIP": "10.0.0.7",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [
                {"name": "app", "ready": true, "restartCount": 2, "state": {"running": {}},
                 "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": "2025-01-15T10:40:00Z"}}},
                {"name": "sidecar", "ready": false, "restartCount": 0, "state": {"running": {}}}]}));
        let cells = cells(&pod, at("2025-01-15T10:47:30Z"));
        assert_eq!(
            cells,
            vec![
                json!("web-1"),
                json!("1/2"),
                json!("Running"),
                json!("2 (7m30s ago)"),
                json!("47m"),
                json!("10.0.0.7"),
                json!("node-1"),
                json!("<none>"),
                json!("<none>")
            ]
        );
    }

    #[test]
    fn waiting_terminated_and_deleted_pods_name_their_state() {
        let now = at("2025-01-15T10:00:30Z");
        let waiting = pod(json!({"phase": "Pending", "containerStatuses": [
            {"name": "app", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}}]}));
        assert_eq!(cells(&waiting, now)[2], "ContainerCreating");
        assert_eq!(cells(&waiting, now)[1], "0/2");
        let crashed = pod(json!({"phase": "Running", "containerStatuses": [
            {"name": "app", "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 1}}}]}));
        assert_eq!(cells(&crashed, now)[2], "ExitCode:1");
        let mut leaving = pod(json!({"phase": "Running"}));
        leaving["metadata"]["deletionTimestamp"] = json!("2025-01-15T10:00:20Z");
        assert_eq!(cells(&leaving, now)[2], "Terminating");
        let bare = json!({"metadata": {"name": "x"}});
        assert_eq!(
            cells(&bare, now),
            vec![
                json!("x"),
                json!("0/0"),
                json!(""),
                json!("0"),
                json!("<unknown>"),
                json!("<none>"),
                json!("<none>"),
                json!("<none>"),
                json!("<none>")
            ]
        );
    }
}
