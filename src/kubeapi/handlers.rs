//! The HTTP surface: discovery, get, paged list, watch, SelfSubjectAccessReview, with the
//! Status bodies and codes the real API server answers with.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::discovery;
use super::host::foreign_host;
use super::media::wanted_version;
use super::resources::Resource;
use super::selectors::{FieldSelector, LabelSelector};
use super::state::{ClusterState, ObjectKey};
use super::table::{self, IncludeObject, TableRequest};
use super::watch::{WatchRequest, watch_response};

/// What every handler needs: the cluster and the signal that the server is stopping.
#[derive(Clone)]
pub(crate) struct AppState {
    pub cluster: Arc<ClusterState>,
    pub shutdown: watch::Receiver<bool>,
}

/// The user named in 403 messages (the API server names the authenticated user).
const USER: &str = "system:serviceaccount:default:report";

pub(crate) fn router(app: AppState) -> Router {
    Router::new()
        .route("/version", get(discovery::version))
        .route("/api", get(discovery::core_versions))
        .route("/apis", get(discovery::group_list))
        .route("/api/{version}", get(discovery::core_discovery))
        .route("/apis/{group}/{version}", get(discovery::group_discovery))
        .route("/api/{version}/{plural}", get(core_all_namespaces))
        .route(
            "/api/{version}/namespaces/{ns}/{plural}",
            get(core_collection),
        )
        .route(
            "/api/{version}/namespaces/{ns}/{plural}/{name}",
            get(core_object),
        )
        .route(
            "/apis/{group}/{version}/{plural}",
            get(group_all_namespaces),
        )
        .route(
            "/apis/{group}/{version}/{plural}/{name}",
            get(group_cluster_object),
        )
        .route(
            "/apis/{group}/{version}/namespaces/{ns}/{plural}",
            get(group_collection),
        )
        .route(
            "/apis/{group}/{version}/namespaces/{ns}/{plural}/{name}",
            get(group_object),
        )
        .route(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            post(access_review),
        )
        .fallback(|| async { not_found_resource() })
        .layer(from_fn_with_state(app.clone(), authenticate))
        // Outermost: a foreign Host is refused before anything else is looked at.
        .layer(axum::middleware::from_fn(loopback_only))
        .with_state(app)
}

/// Query parameters of list and watch requests (unknown ones are ignored, as upstream does for
/// the ones it does not need).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListQuery {
    limit: Option<usize>,
    #[serde(rename = "continue")]
    continue_token: Option<String>,
    watch: Option<String>,
    resource_version: Option<String>,
    timeout_seconds: Option<u64>,
    allow_watch_bookmarks: Option<String>,
    field_selector: Option<String>,
    label_selector: Option<String>,
    include_object: Option<String>,
}

fn flag(value: &Option<String>) -> bool {
    matches!(value.as_deref(), Some("true" | "1"))
}

/// A Status body with its HTTP code, the way the API server reports every failure.
pub(crate) fn status(code: StatusCode, reason: &str, message: impl Into<String>) -> Response {
    (
        code,
        Json(status_body(code.as_u16(), reason, &message.into())),
    )
        .into_response()
}

/// A failed request, answered with a Status body.
#[derive(Debug)]
pub(crate) struct ApiError {
    code: StatusCode,
    reason: &'static str,
    message: String,
}

impl ApiError {
    fn bad_request(message: impl Into<String>) -> Self {
        Self {
            code: StatusCode::BAD_REQUEST,
            reason: "BadRequest",
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        status(self.code, self.reason, self.message)
    }
}

pub(crate) fn status_body(code: u16, reason: &str, message: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": message, "reason": reason, "code": code})
}

pub(crate) fn not_found_resource() -> Response {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        "the server could not find the requested resource",
    )
}

async fn loopback_only(request: Request, next: Next) -> Response {
    match foreign_host(request.headers()) {
        Some(reason) => status(StatusCode::FORBIDDEN, "Forbidden", reason),
        None => next.run(request).await,
    }
}

async fn authenticate(State(app): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(token) = app.cluster.required_token() {
        let expected = format!("Bearer {token}");
        let given = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if given != Some(expected.as_str()) {
            return status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized");
        }
    }
    next.run(request).await
}

/// Which objects a request is about.
struct Target {
    resource: Resource,
    namespace: Option<String>,
    name: Option<String>,
}

impl Target {
    fn resolve(
        group: &str,
        version: &str,
        plural: &str,
        namespace: Option<String>,
        name: Option<String>,
    ) -> Option<Self> {
        let resource = Resource::find(group, version, plural)?;
        if namespace.is_some() && !resource.namespaced() {
            return None;
        }
        Some(Self {
            resource,
            namespace,
            name,
        })
    }
}

async fn core_all_namespaces(
    State(app): State<AppState>,
    Path((version, plural)): Path<(String, String)>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    serve(
        &app,
        Target::resolve("", &version, &plural, None, None),
        query,
        &headers,
    )
}

async fn core_collection(
    State(app): State<AppState>,
    Path((version, ns, plural)): Path<(String, String, String)>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    serve(
        &app,
        Target::resolve("", &version, &plural, Some(ns), None),
        query,
        &headers,
    )
}

async fn core_object(
    State(app): State<AppState>,
    Path((version, ns, plural, name)): Path<(String, String, String, String)>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    serve(
        &app,
        Target::resolve("", &version, &plural, Some(ns), Some(name)),
        query,
        &headers,
    )
}

async fn group_all_namespaces(
    State(app): State<AppState>,
    Path((group, version, plural)): Path<(String, String, String)>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    serve(
        &app,
        Target::resolve(&group, &version, &plural, None, None),
        query,
        &headers,
    )
}

async fn group_cluster_object(
    State(app): State<AppState>,
    Path((group, version, plural, name)): Path<(String, String, String, String)>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    let target = Target::resolve(&group, &version, &plural, None, Some(name));
    // A namespaced type reached without a namespace has no single-object path.
    serve(
        &app,
        target.filter(|t| !t.resource.namespaced()),
        query,
        &headers,
    )
}

async fn group_collection(
    State(app): State<AppState>,
    Path((group, version, ns, plural)): Path<(String, String, String, String)>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    serve(
        &app,
        Target::resolve(&group, &version, &plural, Some(ns), None),
        query,
        &headers,
    )
}

async fn group_object(
    State(app): State<AppState>,
    Path((group, version, ns, plural, name)): Path<(String, String, String, String, String)>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    serve(
        &app,
        Target::resolve(&group, &version, &plural, Some(ns), Some(name)),
        query,
        &headers,
    )
}

fn serve(
    app: &AppState,
    target: Option<Target>,
    query: ListQuery,
    headers: &HeaderMap,
) -> Response {
    let Some(target) = target else {
        return not_found_resource();
    };
    let resource = target.resource;
    if resource.is_metrics() && !app.cluster.metrics_available() {
        return not_found_resource();
    }
    let verb = match (&target.name, flag(&query.watch)) {
        (Some(_), _) => "get",
        (None, true) => "watch",
        (None, false) => "list",
    };
    app.cluster.count_request(verb, resource);
    if app.cluster.is_forbidden(verb, &resource.qualified_name()) {
        return forbidden(verb, resource, target.namespace.as_deref());
    }
    let table = match table_request(resource, &query, headers) {
        Ok(table) => table,
        Err(e) => return e.into_response(),
    };
    match verb {
        "get" => get_object(app, &target, table),
        "watch" => start_watch(app, &target, &query, table).into_response(),
        _ => list_objects(app, &target, &query, table).into_response(),
    }
}

/// Table output when the client asks for it and the server prints the type (else plain JSON,
/// which kubectl's Accept header also allows).
fn table_request(
    resource: Resource,
    query: &ListQuery,
    headers: &HeaderMap,
) -> Result<Option<TableRequest>, ApiError> {
    if !table::prints(resource) {
        return Ok(None);
    }
    let Some(version) = wanted_version(headers, "Table", "meta.k8s.io", &["v1", "v1beta1"]) else {
        return Ok(None);
    };
    let include =
        IncludeObject::parse(query.include_object.as_deref()).map_err(ApiError::bad_request)?;
    Ok(Some(TableRequest { version, include }))
}

/// `items` printed as a Table.
fn table_response(
    table: TableRequest,
    resource: Resource,
    items: &[&Value],
    metadata: Value,
) -> Response {
    let printed = table.table(resource, items, metadata, true, Utc::now());
    ([(CONTENT_TYPE, table.content_type())], Json(printed)).into_response()
}

fn forbidden(verb: &str, resource: Resource, namespace: Option<&str>) -> Response {
    let scope = match namespace {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    let message = format!(
        "{} is forbidden: User \"{USER}\" cannot {verb} resource \"{}\" in API group \"{}\" {scope}",
        resource.qualified_name(),
        resource.plural(),
        resource.group()
    );
    status(StatusCode::FORBIDDEN, "Forbidden", message)
}

fn get_object(app: &AppState, target: &Target, table: Option<TableRequest>) -> Response {
    let name = target.name.as_deref().unwrap_or_default();
    let namespace = target.namespace.as_deref().unwrap_or_default();
    match app.cluster.get(target.resource, namespace, name) {
        Some(object) => match table {
            Some(table) => {
                let metadata = json!({"resourceVersion": object["metadata"]["resourceVersion"]});
                table_response(table, target.resource, &[&object], metadata)
            }
            None => Json(object).into_response(),
        },
        None => status(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("{} \"{name}\" not found", target.resource.qualified_name()),
        ),
    }
}

struct Selectors {
    fields: FieldSelector,
    labels: LabelSelector,
}

impl Selectors {
    fn parse(query: &ListQuery) -> Result<Self, ApiError> {
        let bad = ApiError::bad_request;
        Ok(Self {
            fields: FieldSelector::parse(query.field_selector.as_deref().unwrap_or_default())
                .map_err(bad)?,
            labels: LabelSelector::parse(query.label_selector.as_deref().unwrap_or_default())
                .map_err(bad)?,
        })
    }

    pub(crate) fn matches(&self, object: &Value) -> bool {
        self.fields.matches(object) && self.labels.matches(object)
    }
}

fn list_objects(
    app: &AppState,
    target: &Target,
    query: &ListQuery,
    table: Option<TableRequest>,
) -> Result<Response, ApiError> {
    let selectors = Selectors::parse(query)?;
    let after = query
        .continue_token
        .as_deref()
        .map(decode_continue)
        .transpose()?;
    let (items, rv) = app
        .cluster
        .list(target.resource, target.namespace.as_deref());
    let mut matching = items
        .into_iter()
        .filter(|(key, _)| {
            after
                .as_ref()
                .is_none_or(|a| (&key.namespace, &key.name) > (&a.0, &a.1))
        })
        .filter(|(_, object)| selectors.matches(object));
    let limit = query.limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
    let page: Vec<(ObjectKey, Value)> = matching.by_ref().take(limit).collect();
    let remaining = matching.count();
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    if remaining > 0
        && let Some((last, _)) = page.last()
    {
        metadata["continue"] = json!(encode_continue(last));
        metadata["remainingItemCount"] = json!(remaining);
    }
    let items: Vec<Value> = page.into_iter().map(|(_, v)| v).collect();
    if let Some(table) = table {
        let rows: Vec<&Value> = items.iter().collect();
        return Ok(table_response(table, target.resource, &rows, metadata));
    }
    let kind = format!("{}List", target.resource.kind());
    Ok(Json(json!({"kind": kind, "apiVersion": target.resource.api_version(), "metadata": metadata, "items": items}))
        .into_response())
}

fn encode_continue(key: &ObjectKey) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}/{}", key.namespace, key.name))
}

fn decode_continue(token: &str) -> Result<(String, String), ApiError> {
    let bad = || ApiError::bad_request(format!("invalid continue token {token:?}"));
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (ns, name) = text.split_once('/').ok_or_else(bad)?;
    Ok((ns.to_string(), name.to_string()))
}

fn start_watch(
    app: &AppState,
    target: &Target,
    query: &ListQuery,
    table: Option<TableRequest>,
) -> Result<Response, ApiError> {
    if target.resource.is_metrics() {
        return Err(ApiError {
            code: StatusCode::METHOD_NOT_ALLOWED,
            reason: "MethodNotAllowed",
            message: "the server does not allow this method on the requested resource".into(),
        });
    }
    let selectors = Selectors::parse(query)?;
    let since = match query.resource_version.as_deref() {
        None | Some("") | Some("0") => None,
        Some(text) => Some(
            text.parse::<u64>()
                .map_err(|_| ApiError::bad_request(format!("invalid resourceVersion {text:?}")))?,
        ),
    };
    let request = WatchRequest {
        resource: target.resource,
        namespace: target.namespace.clone(),
        matches: Box::new(move |object| selectors.matches(object)),
        since,
        timeout: Duration::from_secs(query.timeout_seconds.unwrap_or(1800)),
        bookmarks: flag(&query.allow_watch_bookmarks),
        table,
    };
    Ok(watch_response(app.clone(), request))
}

async fn access_review(State(app): State<AppState>, Json(mut review): Json<Value>) -> Response {
    let attributes = &review["spec"]["resourceAttributes"];
    let text = |field: &str| attributes[field].as_str().unwrap_or_default().to_string();
    let (verb, group, plural) = (text("verb"), text("group"), text("resource"));
    let qualified = if group.is_empty() {
        plural.clone()
    } else {
        format!("{plural}.{group}")
    };
    let allowed = !app.cluster.is_forbidden(&verb, &qualified);
    review["apiVersion"] = json!("authorization.k8s.io/v1");
    review["kind"] = json!("SelfSubjectAccessReview");
    review["status"] = if allowed {
        json!({"allowed": true, "reason": "allowed by the local test API server"})
    } else {
        json!({"allowed": false})
    };
    (StatusCode::CREATED, Json(review)).into_response()
}
