//! core/v1 Events: LAST SEEN TYPE REASON OBJECT MESSAGE, and SUBOBJECT SOURCE FIRST SEEN COUNT
//! NAME wide (in upstream's column order).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{Column, age, column, number, text, wide};

pub(crate) const COLUMNS: &[Column] = &[
    column("Last Seen"),
    column("Type"),
    column("Reason"),
    column("Object"),
    wide(column("Subobject")),
    wide(column("Source")),
    column("Message"),
    wide(column("First Seen")),
    wide(column("Count")),
    wide(column("Name")),
];

pub(crate) fn cells(event: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let present = |pointer: &str| {
        event
            .pointer(pointer)
            .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
    };
    // New-API events carry eventTime (and a series) instead of the first/last timestamps.
    let first_seen = match present("/firstTimestamp") {
        Some(first) => age::since(first, now),
        None => age::since(&event["eventTime"], now),
    };
    let mut last_seen = match present("/lastTimestamp") {
        Some(last) => age::since(last, now),
        None => first_seen.clone(),
    };
    let mut count = number(event, "/count");
    if event["series"].is_object() {
        last_seen = age::since(&event["series"]["lastObservedTime"], now);
        count = number(event, "/series/count");
    } else if count == 0 {
        count = 1;
    }
    let kind = text(event, "/involvedObject/kind").to_lowercase();
    let object = match text(event, "/involvedObject/name") {
        "" => kind,
        name => format!("{kind}/{name}"),
    };
    let first_non_empty = |a: &str, b: &str| -> String {
        if a.is_empty() {
            b.to_string()
        } else {
            a.to_string()
        }
    };
    let component = first_non_empty(
        text(event, "/source/component"),
        text(event, "/reportingComponent"),
    );
    let host = first_non_empty(
        text(event, "/source/host"),
        text(event, "/reportingInstance"),
    );
    let source = if host.is_empty() {
        component
    } else {
        format!("{component}, {host}")
    };
    vec![
        json!(last_seen),
        json!(text(event, "/type")),
        json!(text(event, "/reason")),
        json!(object),
        json!(text(event, "/involvedObject/fieldPath")),
        json!(source),
        json!(text(event, "/message").trim()),
        json!(first_seen),
        json!(count),
        json!(text(event, "/metadata/name")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_series_events() {
        let now = DateTime::parse_from_rfc3339("2025-01-15T10:20:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let repeated = json!({"metadata": {"name": "web.17a"}, "type": "Normal", "reason": "SuccessfulRescale",
            "message": " New size: 2; reason: All metrics below target\n", "count": 2,
            "firstTimestamp": "2025-01-15T10:05:00Z", "lastTimestamp": "2025-01-15T10:08:00Z",
            "involvedObject": {"kind": "HorizontalPodAutoscaler", "name": "web"},
            "source": {"component": "horizontal-pod-autoscaler"}});
        assert_eq!(
            cells(&repeated, now),
            vec![
                json!("12m"),
                json!("Normal"),
                json!("SuccessfulRescale"),
                json!("horizontalpodautoscaler/web"),
                json!(""),
                json!("horizontal-pod-autoscaler"),
                json!("New size: 2; reason: All metrics below target"),
                json!("15m"),
                json!(2),
                json!("web.17a")
            ]
        );
        let series = json!({"metadata": {"name": "p.1"}, "type": "Warning", "reason": "Unhealthy",
            "eventTime": "2025-01-15T10:00:00.000000Z", "series": {"count": 7, "lastObservedTime": "2025-01-15T10:19:00.000000Z"},
            "involvedObject": {"kind": "Pod", "name": "p", "fieldPath": "spec.containers{app}"},
            "reportingComponent": "kubelet", "reportingInstance": "node-1"});
        let row = cells(&series, now);
        assert_eq!(
            (&row[0], &row[3], &row[4], &row[5], &row[7], &row[8]),
            (
                &json!("60s"),
                &json!("pod/p"),
                &json!("spec.containers{app}"),
                &json!("kubelet, node-1"),
                &json!("20m"),
                &json!(7)
            )
        );
    }
}
