//! Discovery: `/version`, the legacy per-group-version lists (what the `kube` client reads) and
//! aggregated discovery (`apidiscovery.k8s.io` v2 and v2beta1, what kubectl asks for first), both
//! built from one list of served types with their short names and categories.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::handlers::{AppState, not_found_resource};
use super::media::wanted_version;
use super::resources::Resource;

/// One served type as discovery describes it.
struct Served {
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
    verbs: &'static [&'static str],
    short_names: &'static [&'static str],
    categories: &'static [&'static str],
}

impl Served {
    fn of(r: Resource) -> Self {
        Self {
            group: r.group(),
            version: r.version(),
            plural: r.plural(),
            singular: r.singular(),
            kind: r.kind(),
            namespaced: r.namespaced(),
            verbs: r.verbs(),
            short_names: r.short_names(),
            categories: r.categories(),
        }
    }

    /// The review `report collect` checks its permissions with.
    fn access_review() -> Self {
        Self {
            group: "authorization.k8s.io",
            version: "v1",
            plural: "selfsubjectaccessreviews",
            singular: "selfsubjectaccessreview",
            kind: "SelfSubjectAccessReview",
            namespaced: false,
            verbs: &["create"],
            short_names: &[],
            categories: &[],
        }
    }

    fn legacy(&self) -> Value {
        json!({"name": self.plural, "singularName": self.singular, "namespaced": self.namespaced,
               "kind": self.kind, "verbs": self.verbs, "shortNames": self.short_names,
               "categories": self.categories})
    }

    fn aggregated(&self) -> Value {
        let scope = if self.namespaced {
            "Namespaced"
        } else {
            "Cluster"
        };
        json!({"resource": self.plural, "singularResource": self.singular, "scope": scope,
               "responseKind": {"group": self.group, "version": self.version, "kind": self.kind},
               "verbs": self.verbs, "shortNames": self.short_names, "categories": self.categories})
    }
}

/// Every served type, in discovery order; metrics.k8s.io only while metrics-server is "installed".
fn served(app: &AppState) -> Vec<Served> {
    let metrics = app.cluster.metrics_available();
    let mut all: Vec<Served> = Resource::ALL
        .into_iter()
        .filter(|r| metrics || r.group() != "metrics.k8s.io")
        .map(Served::of)
        .collect();
    all.push(Served::access_review());
    all
}

/// Group versions in order of first appearance.
fn group_versions(served: &[Served]) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = Vec::new();
    for s in served {
        if !out.contains(&(s.group, s.version)) {
            out.push((s.group, s.version));
        }
    }
    out
}

pub(crate) async fn version() -> Json<Value> {
    Json(json!({"major": "1", "minor": "34", "gitVersion": "v1.34.0", "platform": "linux/amd64"}))
}

/// `/api`: the core group only.
pub(crate) async fn core_versions(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(answer) = aggregated(&app, &headers, true) {
        return answer;
    }
    Json(json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}))
        .into_response()
}

/// `/apis`: every named group.
pub(crate) async fn group_list(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(answer) = aggregated(&app, &headers, false) {
        return answer;
    }
    let groups: Vec<Value> = group_versions(&served(&app))
        .into_iter()
        .filter(|(g, _)| !g.is_empty())
        .map(|(g, v)| {
            let gv = json!({"groupVersion": format!("{g}/{v}"), "version": v});
            json!({"name": g, "versions": [gv.clone()], "preferredVersion": gv})
        })
        .collect();
    Json(json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})).into_response()
}

/// The aggregated answer to `/api` (`core`) or `/apis`, when the client asks for it.
fn aggregated(app: &AppState, headers: &HeaderMap, core: bool) -> Option<Response> {
    let version = wanted_version(
        headers,
        "APIGroupDiscoveryList",
        "apidiscovery.k8s.io",
        &["v2", "v2beta1"],
    )?;
    let served = served(app);
    let items: Vec<Value> = group_versions(&served)
        .into_iter()
        .filter(|(g, _)| g.is_empty() == core)
        .map(|(group, v)| {
            let resources: Vec<Value> = served
                .iter()
                .filter(|s| (s.group, s.version) == (group, v))
                .map(Served::aggregated)
                .collect();
            json!({"metadata": {"name": group},
                   "versions": [{"version": v, "resources": resources, "freshness": "Current"}]})
        })
        .collect();
    let body = json!({"kind": "APIGroupDiscoveryList", "apiVersion": format!("apidiscovery.k8s.io/{version}"),
                      "metadata": {}, "items": items});
    // The client tells the aggregated answer from the legacy one by this content type.
    let content_type =
        format!("application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList");
    Some(([(CONTENT_TYPE, content_type)], Json(body)).into_response())
}

pub(crate) async fn core_discovery(
    State(app): State<AppState>,
    Path(version): Path<String>,
) -> Response {
    legacy(&app, "", &version)
}

pub(crate) async fn group_discovery(
    State(app): State<AppState>,
    Path((group, version)): Path<(String, String)>,
) -> Response {
    legacy(&app, &group, &version)
}

fn legacy(app: &AppState, group: &str, version: &str) -> Response {
    let resources: Vec<Value> = served(app)
        .iter()
        .filter(|s| s.group == group && s.version == version)
        .map(Served::legacy)
        .collect();
    if resources.is_empty() {
        return not_found_resource();
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Json(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
                "resources": resources}),
    )
    .into_response()
}
