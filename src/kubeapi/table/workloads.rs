//! Deployments (NAME READY UP-TO-DATE AVAILABLE AGE) and ReplicaSets (NAME DESIRED CURRENT READY
//! AGE), both with CONTAINERS IMAGES SELECTOR wide.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{Column, age, column, integer, number, text, wide};

const CONTAINERS: Column = wide(column("Containers"));
const IMAGES: Column = wide(column("Images"));
const SELECTOR: Column = wide(column("Selector"));

pub(crate) const DEPLOYMENT_COLUMNS: &[Column] = &[
    column("Name"),
    column("Ready"),
    column("Up-to-date"),
    column("Available"),
    column("Age"),
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

pub(crate) const REPLICA_SET_COLUMNS: &[Column] = &[
    column("Name"),
    integer("Desired"),
    integer("Current"),
    integer("Ready"),
    column("Age"),
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

pub(crate) fn deployment_cells(deployment: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let ready = format!(
        "{}/{}",
        number(deployment, "/status/readyReplicas"),
        number(deployment, "/spec/replicas")
    );
    let mut cells = vec![
        json!(text(deployment, "/metadata/name")),
        json!(ready),
        json!(number(deployment, "/status/updatedReplicas")),
        json!(number(deployment, "/status/availableReplicas")),
        json!(age::since(
            &deployment["metadata"]["creationTimestamp"],
            now
        )),
    ];
    cells.extend(template_cells(deployment, selector(deployment)));
    cells
}

pub(crate) fn replica_set_cells(replica_set: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let mut cells = vec![
        json!(text(replica_set, "/metadata/name")),
        json!(number(replica_set, "/spec/replicas")),
        json!(number(replica_set, "/status/replicas")),
        json!(number(replica_set, "/status/readyReplicas")),
        json!(age::since(
            &replica_set["metadata"]["creationTimestamp"],
            now
        )),
    ];
    // FormatLabelSelector writes an empty selector as <none>, unlike the Deployment printer.
    let selector = match selector(replica_set) {
        empty if empty.is_empty() => "<none>".to_string(),
        given => given,
    };
    cells.extend(template_cells(replica_set, selector));
    cells
}

/// The pod template's container names and images, comma-separated, then the selector.
fn template_cells(object: &Value, selector: String) -> [Value; 3] {
    let containers = object
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let join = |field: &str| {
        containers
            .iter()
            .map(|c| text(c, field))
            .collect::<Vec<_>>()
            .join(",")
    };
    [json!(join("/name")), json!(join("/image")), json!(selector)]
}

/// A label selector as labels.Selector prints it: requirements sorted by key, `k=v`,
/// `k in (a,b)`, `k notin (a)`, `k`, `!k`.
fn selector(object: &Value) -> String {
    let spec = &object["spec"]["selector"];
    let mut requirements: Vec<(String, String)> = Vec::new();
    if let Some(labels) = spec["matchLabels"].as_object() {
        for (key, value) in labels {
            let value = value.as_str().unwrap_or_default();
            requirements.push((key.clone(), format!("{key}={value}")));
        }
    }
    for expression in spec["matchExpressions"].as_array().into_iter().flatten() {
        let key = text(expression, "/key");
        let mut values: Vec<&str> = expression["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        values.sort_unstable();
        let written = match text(expression, "/operator") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            _ => return "<invalid>".to_string(),
        };
        requirements.push((key.to_string(), written));
    }
    requirements.sort();
    requirements
        .into_iter()
        .map(|(_, written)| written)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-01-15T13:25:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn deployment_row_counts_ready_of_desired() {
        let deployment = json!({
            "metadata": {"name": "web", "creationTimestamp": "2025-01-15T10:00:00Z"},
            "spec": {"replicas": 5, "selector": {"matchLabels": {"tier": "front", "app": "web"},
                     "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]}]},
                     "template": {"spec": {"containers": [{"name": "app", "image": "web:1"},
                                                          {"name": "proxy", "image": "envoy:2"}]}}},
            "status": {"readyReplicas": 3, "updatedReplicas": 5, "availableReplicas": 3}});
        assert_eq!(
            deployment_cells(&deployment, now()),
            vec![
                json!("web"),
                json!("3/5"),
                json!(5),
                json!(3),
                json!("3h25m"),
                json!("app,proxy"),
                json!("web:1,envoy:2"),
                json!("app=web,env in (dev,prod),tier=front")
            ]
        );
    }

    #[test]
    fn replica_set_without_status_counts_zero_and_no_selector_is_none() {
        let replica_set = json!({"metadata": {"name": "web-7c9d8f6b5"}, "spec": {"replicas": 2}});
        assert_eq!(
            replica_set_cells(&replica_set, now()),
            vec![
                json!("web-7c9d8f6b5"),
                json!(2),
                json!(0),
                json!(0),
                json!("<unknown>"),
                json!(""),
                json!(""),
                json!("<none>")
            ]
        );
    }
}
