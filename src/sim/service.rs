//! A stand-in inference service with a capacity model the caller controls: a fixed number of
//! generation slots, a time per request and per output token, a bounded wait queue (503 when
//! full), injected stalls and deterministic failure rates. `report run`'s tests and benchmark
//! drive the real client against it on loopback; `report sim` builds on it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// The model name the real service reports; the scripts print it after the health check.
pub const MODEL_NAME: &str = "codellama-7b-instruct-q4.gguf";

/// How the service behaves. Every field can be changed while it runs except `slots`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimConfig {
    /// Requests generated at the same time; the rest wait in the queue.
    pub slots: usize,
    /// Requests allowed to wait for a slot; one more is answered 503 at once.
    pub queue_limit: usize,
    /// Fixed generation time per request.
    pub per_request: Duration,
    /// Generation time per output token.
    pub per_token: Duration,
    /// Tokens generated per request (capped by the request's `max_tokens`).
    pub tokens: u32,
    /// Fraction (0..=1) of requests answered with `failure_status`, spread evenly over arrivals.
    pub failure_rate: f64,
    pub failure_status: u16,
    /// Fraction (0..=1) of requests answered 200 with a body that is not JSON.
    pub bad_body_rate: f64,
}

impl Default for SimConfig {
    /// Close to the stand-in behind `../shared/examples`: 4 slots, about 0.4 s a request.
    fn default() -> Self {
        Self {
            slots: 4,
            queue_limit: 40,
            per_request: Duration::from_millis(80),
            per_token: Duration::from_millis(4),
            tokens: 80,
            failure_rate: 0.0,
            failure_status: 500,
            bad_body_rate: 0.0,
        }
    }
}

impl SimConfig {
    /// A service that answers every request at once: the benchmark's "fast local server".
    pub fn instant() -> Self {
        Self {
            slots: 100_000,
            queue_limit: 0,
            per_request: Duration::ZERO,
            per_token: Duration::ZERO,
            tokens: 8,
            ..Self::default()
        }
    }

    fn generation_time(&self, tokens: u32) -> Duration {
        self.per_request + self.per_token * tokens
    }
}

/// Counters the tests read to see what the service saw.
#[derive(Debug, Default)]
pub struct SimStats {
    pub received: AtomicU64,
    pub completed: AtomicU64,
    pub rejected_queue_full: AtomicU64,
    pub failed_injected: AtomicU64,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    pub waiting: AtomicUsize,
}

struct Shared {
    config: RwLock<SimConfig>,
    slots: Semaphore,
    stats: SimStats,
    stalled: watch::Sender<bool>,
    bad_body_seen: AtomicU64,
}

/// A running service; dropping it does not stop it, call [`SimHandle::shutdown`].
pub struct SimHandle {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl SimHandle {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stats(&self) -> &SimStats {
        &self.shared.stats
    }

    /// Changes the behaviour of requests that arrive from now on.
    pub fn update(&self, change: impl FnOnce(&mut SimConfig)) {
        let mut config = self
            .shared
            .config
            .write()
            .unwrap_or_else(|e| e.into_inner());
        change(&mut config);
    }

    /// Holds every request (new and waiting) until [`SimHandle::resume`]: a frozen service.
    pub fn stall(&self) {
        self.shared.stalled.send_replace(true);
    }

    pub fn resume(&self) {
        self.shared.stalled.send_replace(false);
    }

    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.resume();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Starts the service on `addr` (port 0 picks a free one) inside the current tokio runtime.
pub async fn start(addr: SocketAddr, config: SimConfig) -> Result<SimHandle> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}; choose another address or port"))?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        slots: Semaphore::new(config.slots.max(1)),
        config: RwLock::new(config),
        stats: SimStats::default(),
        stalled: watch::channel(false).0,
        bad_body_seen: AtomicU64::new(0),
    });
    let app = Router::new()
        .route("/health", get(health))
        .route("/chat", post(chat))
        .route("/metrics", get(metrics))
        .with_state(shared.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(SimHandle {
        addr,
        shared,
        shutdown: Some(tx),
        task: Some(task),
    })
}

pub(crate) async fn health() -> impl IntoResponse {
    axum::Json(serde_json::json!({"status": "healthy", "model": MODEL_NAME}))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChatRequest {
    #[allow(dead_code)]
    // required so that a body without a prompt is refused like the real service
    prompt: String,
    #[serde(default)]
    pub(crate) max_tokens: Option<u32>,
}

#[derive(Debug, Serialize)]
struct ChatResponse {
    response: String,
    model: &'static str,
    latency_seconds: f64,
    tokens_generated: u32,
}

/// Counts a request as in flight for as long as it lives, even when the client goes away and
/// axum drops the handler's future.
struct InFlight<'a>(&'a SimStats);

impl<'a> InFlight<'a> {
    fn enter(stats: &'a SimStats) -> Self {
        let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(stats)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// True for the arrivals that fall on a multiple of 1/rate: exactly `rate` of them, evenly spread,
/// with no randomness so tests can expect exact counts.
fn falls_on_rate(arrival: u64, rate: f64) -> bool {
    if rate <= 0.0 {
        return false;
    }
    let rate = rate.min(1.0);
    ((arrival + 1) as f64 * rate).floor() > (arrival as f64 * rate).floor()
}

async fn chat(
    State(shared): State<Arc<Shared>>,
    body: Result<axum::Json<ChatRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let stats = &shared.stats;
    let arrival = stats.received.fetch_add(1, Ordering::SeqCst);
    let _in_flight = InFlight::enter(stats);
    let request = match body {
        Ok(axum::Json(request)) => request,
        Err(rejection) => return rejection.into_response(),
    };
    wait_while_stalled(&shared).await;
    let config = shared
        .config
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if falls_on_rate(arrival, config.failure_rate) {
        stats.failed_injected.fetch_add(1, Ordering::SeqCst);
        let status = StatusCode::from_u16(config.failure_status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return (
            status,
            axum::Json(serde_json::json!({"detail": "injected failure"})),
        )
            .into_response();
    }
    let started = tokio::time::Instant::now();
    let Some(_slot) = take_slot(&shared, config.queue_limit).await else {
        stats.rejected_queue_full.fetch_add(1, Ordering::SeqCst);
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"detail": "queue full"})),
        )
            .into_response();
    };
    let tokens = request
        .max_tokens
        .map_or(config.tokens, |m| m.min(config.tokens));
    tokio::time::sleep(config.generation_time(tokens)).await;
    wait_while_stalled(&shared).await;
    stats.completed.fetch_add(1, Ordering::SeqCst);
    let bad_body_arrival = shared.bad_body_seen.fetch_add(1, Ordering::SeqCst);
    if falls_on_rate(bad_body_arrival, config.bad_body_rate) {
        return (StatusCode::OK, "<html>upstream error</html>").into_response();
    }
    answer(tokens, started.elapsed().as_secs_f64())
}

/// The service's 200 answer.
pub(crate) fn answer(tokens: u32, latency_seconds: f64) -> Response {
    axum::Json(ChatResponse {
        response: "def add(a, b):\n    return a + b\n".to_string(),
        model: MODEL_NAME,
        latency_seconds,
        tokens_generated: tokens,
    })
    .into_response()
}

async fn wait_while_stalled(shared: &Shared) {
    let mut stalled = shared.stalled.subscribe();
    let _ = stalled.wait_for(|s| !*s).await;
}

/// A generation slot, or `None` when the queue is already full.
async fn take_slot(
    shared: &Shared,
    queue_limit: usize,
) -> Option<tokio::sync::SemaphorePermit<'_>> {
    if let Ok(permit) = shared.slots.try_acquire() {
        return Some(permit);
    }
    let waiting = &shared.stats.waiting;
    if waiting.fetch_add(1, Ordering::SeqCst) >= queue_limit {
        waiting.fetch_sub(1, Ordering::SeqCst);
        return None;
    }
    let permit = shared.slots.acquire().await.ok();
    waiting.fetch_sub(1, Ordering::SeqCst);
    permit
}

/// Prometheus text exposition of the counters.
async fn metrics(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let s = &shared.stats;
    let count = |n: &AtomicU64| n.load(Ordering::SeqCst);
    let size = |n: &AtomicUsize| n.load(Ordering::SeqCst) as u64;
    let lines = [
        ("sim_requests_received_total", "counter", count(&s.received)),
        (
            "sim_requests_completed_total",
            "counter",
            count(&s.completed),
        ),
        (
            "sim_requests_rejected_total",
            "counter",
            count(&s.rejected_queue_full),
        ),
        (
            "sim_requests_failed_injected_total",
            "counter",
            count(&s.failed_injected),
        ),
        ("sim_in_flight", "gauge", size(&s.in_flight)),
        ("sim_in_flight_max", "gauge", size(&s.max_in_flight)),
        ("sim_queue_waiting", "gauge", size(&s.waiting)),
    ];
    let text: String = lines
        .iter()
        .map(|(name, kind, value)| format!("# TYPE {name} {kind}\n{name} {value}\n"))
        .collect();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

#[cfg(test)]
mod tests {
    use super::falls_on_rate;

    #[test]
    fn failure_rate_hits_exact_counts() {
        let hits = |rate| (0..100).filter(|&i| falls_on_rate(i, rate)).count();
        assert_eq!(hits(0.0), 0);
        assert_eq!(hits(0.25), 25);
        assert_eq!(hits(0.1), 10);
        assert_eq!(hits(1.0), 100);
    }
}
