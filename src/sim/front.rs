//! The inference service in front of the simulated pods: `/chat` goes to the least busy Ready
//! pod that can still queue it (503 when every queue is full or no pod is Ready), where it waits
//! for a generation slot and takes the simulated generation time. The streamed APIs
//! (`/v1/chat/completions`, `/v1/completions`, `/generate_stream`) are in `stream.rs`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::cluster::{Cluster, PodRuntime};
use super::service::{ChatRequest, answer, health};
use super::stream;
use crate::kubeapi::host::foreign_host;

pub fn router(cluster: Arc<Cluster>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/chat", post(chat))
        .route("/v1/chat/completions", post(stream::chat_completions))
        .route("/v1/completions", post(stream::completions))
        .route("/generate_stream", post(stream::generate_stream))
        .route("/metrics", get(metrics))
        .layer(axum::middleware::from_fn(loopback_only))
        .with_state(cluster)
}

/// The API server's DNS-rebinding guard, answered the way this service reports errors.
async fn loopback_only(request: Request, next: Next) -> Response {
    match foreign_host(request.headers()) {
        Some(reason) => {
            let detail = serde_json::json!({"detail": reason});
            (StatusCode::FORBIDDEN, axum::Json(detail)).into_response()
        }
        None => next.run(request).await,
    }
}

/// Gives the pod's admission back however the request ends (the client may go away).
pub(super) struct Admitted(pub(super) Arc<PodRuntime>);

impl Drop for Admitted {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Counts a slot as busy until dropped, for the pod's CPU.
pub(super) struct Busy<'a>(pub(super) &'a Cluster, pub(super) &'a PodRuntime);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.1.busy_change(self.0.clock().now_s(), false);
    }
}

async fn chat(
    State(cluster): State<Arc<Cluster>>,
    body: Result<axum::Json<ChatRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let request = match body {
        Ok(axum::Json(request)) => request,
        Err(rejection) => return rejection.into_response(),
    };
    let started = tokio::time::Instant::now();
    let Some(pod) = cluster.pick_pod() else {
        let detail = serde_json::json!({"detail": "no capacity: every ready pod's queue is full"});
        return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(detail)).into_response();
    };
    let admitted = Admitted(pod);
    let Ok(_slot) = admitted.0.slots.acquire().await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let config = cluster.config();
    let tokens = request
        .max_tokens
        .map_or(config.tokens, |m| m.min(config.tokens));
    let generation_s = config.per_request_s + config.per_token_s * f64::from(tokens);
    admitted.0.busy_change(cluster.clock().now_s(), true);
    let busy = Busy(&cluster, &admitted.0);
    tokio::time::sleep(cluster.clock().real(generation_s)).await;
    drop(busy);
    answer(tokens, started.elapsed().as_secs_f64())
}

async fn metrics(State(cluster): State<Arc<Cluster>>) -> impl IntoResponse {
    let text = format!(
        "# TYPE sim_ready_pods gauge\nsim_ready_pods {}\n",
        cluster.ready_pods()
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
