//! Server-side printing: the `meta.k8s.io` Table that kubectl asks for
//! (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), with the columns and cells the real
//! API server's printers give pods, deployments, replicasets, HPAs and events. kubectl shows the
//! priority-0 columns, and the rest with `-o wide`.

mod age;
mod events;
mod hpa;
mod pods;
mod workloads;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::resources::Resource;

/// One column; `priority` 1 is shown only with `-o wide`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    pub name: &'static str,
    /// `string` or `integer`, as upstream declares it.
    pub kind: &'static str,
    pub priority: u8,
}

const fn column(name: &'static str) -> Column {
    Column {
        name,
        kind: "string",
        priority: 0,
    }
}

const fn integer(name: &'static str) -> Column {
    Column {
        name,
        kind: "integer",
        priority: 0,
    }
}

const fn wide(mut c: Column) -> Column {
    c.priority = 1;
    c
}

/// What each row carries besides its cells (`?includeObject=`): kubectl needs the metadata for
/// `-A` and `--show-labels`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IncludeObject {
    None,
    Metadata,
    Object,
}

impl IncludeObject {
    pub fn parse(text: Option<&str>) -> Result<Self, String> {
        match text {
            None | Some("") | Some("Metadata") => Ok(Self::Metadata),
            Some("None") => Ok(Self::None),
            Some("Object") => Ok(Self::Object),
            Some(other) => Err(format!(
                "includeObject: Unsupported value: {other:?}: supported values: \"Metadata\", \"None\", \"Object\""
            )),
        }
    }
}

/// A request for Table output: which meta.k8s.io version and what rows carry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TableRequest {
    pub version: &'static str,
    pub include: IncludeObject,
}

impl TableRequest {
    pub fn content_type(&self) -> String {
        format!("application/json;as=Table;v={};g=meta.k8s.io", self.version)
    }

    /// A Table of `objects`; `with_columns: false` leaves the column definitions out, as the
    /// API server does after the first event of a watch.
    pub fn table(
        &self,
        resource: Resource,
        objects: &[&Value],
        metadata: Value,
        with_columns: bool,
        now: DateTime<Utc>,
    ) -> Value {
        let definitions: Vec<Value> = if with_columns {
            columns(resource)
                .iter()
                .map(|c| {
                    let mut definition = json!({"name": c.name, "type": c.kind, "format": "",
                                                "description": "", "priority": c.priority});
                    if c.name == "Name" {
                        definition["format"] = json!("name");
                    }
                    definition
                })
                .collect()
        } else {
            Vec::new()
        };
        let rows: Vec<Value> = objects
            .iter()
            .map(|object| {
                let mut row = json!({"cells": cells(resource, object, now)});
                match self.include {
                    IncludeObject::None => {}
                    IncludeObject::Metadata => {
                        row["object"] = json!({"kind": "PartialObjectMetadata",
                            "apiVersion": "meta.k8s.io/v1", "metadata": object["metadata"]});
                    }
                    IncludeObject::Object => row["object"] = (*object).clone(),
                }
                row
            })
            .collect();
        json!({"kind": "Table", "apiVersion": format!("meta.k8s.io/{}", self.version),
               "metadata": metadata, "columnDefinitions": definitions, "rows": rows})
    }
}

/// Whether the server prints this type itself; metrics.k8s.io is answered as plain JSON, which
/// kubectl then prints on its own.
pub(crate) fn prints(resource: Resource) -> bool {
    !columns(resource).is_empty()
}

fn columns(resource: Resource) -> &'static [Column] {
    match resource {
        Resource::Pods => pods::COLUMNS,
        Resource::Deployments => workloads::DEPLOYMENT_COLUMNS,
        Resource::ReplicaSets => workloads::REPLICA_SET_COLUMNS,
        Resource::HorizontalPodAutoscalers => hpa::COLUMNS,
        Resource::Events => events::COLUMNS,
        Resource::PodMetrics | Resource::NodeMetrics => &[],
    }
}

fn cells(resource: Resource, object: &Value, now: DateTime<Utc>) -> Vec<Value> {
    match resource {
        Resource::Pods => pods::cells(object, now),
        Resource::Deployments => workloads::deployment_cells(object, now),
        Resource::ReplicaSets => workloads::replica_set_cells(object, now),
        Resource::HorizontalPodAutoscalers => hpa::cells(object, now),
        Resource::Events => events::cells(object, now),
        Resource::PodMetrics | Resource::NodeMetrics => Vec::new(),
    }
}

/// A string field, empty when absent.
fn text<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// An integer field, 0 when absent (Go's zero value).
fn number(object: &Value, pointer: &str) -> i64 {
    object
        .pointer(pointer)
        .and_then(Value::as_i64)
        .unwrap_or_default()
}

fn or_none(text: &str) -> String {
    if text.is_empty() {
        "<none>".to_string()
    } else {
        text.to_string()
    }
}
