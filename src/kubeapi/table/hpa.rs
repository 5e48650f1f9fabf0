//! HorizontalPodAutoscalers: NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE, TARGETS as the
//! API server writes it since 1.30 (`cpu: 45%/70%`, `cpu: <unknown>/70%` before a metric).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{Column, age, column, number, text};

pub(crate) const COLUMNS: &[Column] = &[
    column("Name"),
    column("Reference"),
    column("Targets"),
    column("MinPods"),
    column("MaxPods"),
    column("Replicas"),
    column("Age"),
];

/// More metrics than this are summarised as `+ N more...`.
const SHOWN_METRICS: usize = 2;

pub(crate) fn cells(hpa: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let reference = format!(
        "{}/{}",
        text(hpa, "/spec/scaleTargetRef/kind"),
        text(hpa, "/spec/scaleTargetRef/name")
    );
    let min_pods = match hpa.pointer("/spec/minReplicas").and_then(Value::as_i64) {
        Some(min) => min.to_string(),
        None => "<unset>".to_string(),
    };
    vec![
        json!(text(hpa, "/metadata/name")),
        json!(reference),
        json!(targets(hpa)),
        json!(min_pods),
        json!(number(hpa, "/spec/maxReplicas")),
        json!(number(hpa, "/status/currentReplicas")),
        json!(age::since(&hpa["metadata"]["creationTimestamp"], now)),
    ]
}

/// Each spec metric beside the status metric at the same position, as upstream pairs them.
fn targets(hpa: &Value) -> String {
    let specs = hpa["spec"]["metrics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if specs.is_empty() {
        return "<none>".to_string();
    }
    let statuses = hpa["status"]["currentMetrics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let written: Vec<String> = specs
        .iter()
        .enumerate()
        .map(|(i, spec)| metric(spec, statuses.get(i).unwrap_or(&Value::Null)))
        .collect();
    let shown = written[..written.len().min(SHOWN_METRICS)].join(", ");
    match written.len().checked_sub(SHOWN_METRICS) {
        Some(more) if more > 0 => format!("{shown} + {more} more..."),
        _ => shown,
    }
}

fn metric(spec: &Value, status: &Value) -> String {
    let unknown = || "<unknown>".to_string();
    let quantity = |value: &Value, pointer: &str| {
        value
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    match text(spec, "/type") {
        kind @ ("Resource" | "ContainerResource") => {
            let field = if kind == "Resource" {
                "resource"
            } else {
                "containerResource"
            };
            let (spec, status) = (&spec[field], &status[field]);
            let name = text(spec, "/name");
            if let Some(target) = quantity(spec, "/target/averageValue") {
                let current = if status.is_object() {
                    quantity(status, "/current/averageValue").unwrap_or_default()
                } else {
                    unknown()
                };
                return format!("{name}: {current}/{target}");
            }
            let current = status
                .pointer("/current/averageUtilization")
                .and_then(Value::as_i64)
                .map_or_else(unknown, |u| format!("{u}%"));
            let target = spec
                .pointer("/target/averageUtilization")
                .and_then(Value::as_i64)
                .map_or_else(|| "<auto>".to_string(), |u| format!("{u}%"));
            format!("{name}: {current}/{target}")
        }
        "Pods" => {
            let current = quantity(status, "/pods/current/averageValue").unwrap_or_else(unknown);
            let target = quantity(spec, "/pods/target/averageValue").unwrap_or_default();
            format!("{current}/{target}")
        }
        kind @ ("Object" | "External") => {
            let field = if kind == "Object" {
                "object"
            } else {
                "external"
            };
            let (spec, status) = (&spec[field], &status[field]);
            match quantity(spec, "/target/averageValue") {
                Some(target) => {
                    let current = quantity(status, "/current/averageValue").unwrap_or_else(unknown);
                    format!("{current}/{target} (avg)")
                }
                None => {
                    let current = quantity(status, "/current/value").unwrap_or_else(unknown);
                    let target = quantity(spec, "/target/value").unwrap_or_default();
                    format!("{current}/{target}")
                }
            }
        }
        _ => "<unknown type>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utilization(name: &str, target: i64) -> Value {
        json!({"type": "Resource", "resource": {"name": name,
               "target": {"type": "Utilization", "averageUtilization": target}}})
    }

    fn current(name: &str, utilization: i64) -> Value {
        json!({"type": "Resource", "resource": {"name": name,
               "current": {"averageUtilization": utilization, "averageValue": "90m"}}})
    }

    fn hpa(metrics: Vec<Value>, current: Vec<Value>) -> Value {
        json!({"metadata": {"name": "web", "creationTimestamp": "2025-01-15T10:00:00Z"},
               "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"},
                        "minReplicas": 2, "maxReplicas": 20, "metrics": metrics},
               "status": {"currentReplicas": 2, "currentMetrics": current}})
    }

    #[test]
    fn targets_pair_spec_and_status_by_position() {
        let now = DateTime::parse_from_rfc3339("2025-01-15T10:00:47Z")
            .unwrap()
            .with_timezone(&Utc);
        // The sample's second HPA: cpu without a reading yet, memory with one.
        let web = hpa(
            vec![utilization("cpu", 70), utilization("memory", 80)],
            vec![json!({"type": "Resource"}), current("memory", 31)],
        );
        assert_eq!(
            cells(&web, now),
            vec![
                json!("web"),
                json!("Deployment/web"),
                json!("cpu: <unknown>/70%, memory: 31%/80%"),
                json!("2"),
                json!(20),
                json!(2),
                json!("47s")
            ]
        );
        assert_eq!(
            targets(&hpa(vec![utilization("cpu", 70)], vec![current("cpu", 45)])),
            "cpu: 45%/70%"
        );
        assert_eq!(
            targets(&hpa(vec![utilization("cpu", 70)], vec![])),
            "cpu: <unknown>/70%"
        );
        assert_eq!(targets(&hpa(vec![], vec![])), "<none>");
        let three = hpa(
            vec![
                utilization("cpu", 70),
                utilization("memory", 80),
                json!({"type": "Pods",
                 "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "10"}}}),
            ],
            vec![],
        );
        assert_eq!(
            targets(&three),
            "cpu: <unknown>/70%, memory: <unknown>/80% + 1 more..."
        );
        let mut unset = hpa(vec![], vec![]);
        unset["spec"].as_object_mut().unwrap().remove("minReplicas");
        assert_eq!(cells(&unset, now)[3], "<unset>");
    }
}
