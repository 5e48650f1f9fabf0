//! Watch streams: newline-delimited `{"type", "object"}` documents, resumable from a
//! resourceVersion, with bookmarks, a server-side timeout and 410 Gone for expired versions.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::{Instant, interval_at, sleep_until};

use super::handlers::{AppState, status_body};
use super::resources::Resource;
use super::state::Change;
use super::table::TableRequest;

pub(crate) struct WatchRequest {
    pub resource: Resource,
    pub namespace: Option<String>,
    /// Field and label selectors of the request.
    pub matches: Box<dyn Fn(&Value) -> bool + Send + Sync>,
    /// Resume after this resourceVersion; `None` starts with the current objects as ADDED.
    pub since: Option<u64>,
    pub timeout: Duration,
    pub bookmarks: bool,
    /// Events as one-row Tables (`kubectl get -w`).
    pub table: Option<TableRequest>,
}

impl WatchRequest {
    fn wants(&self, change: &Change) -> bool {
        self.namespace
            .as_ref()
            .is_none_or(|ns| *ns == change.key.namespace)
            && (self.matches)(&change.object)
    }
}

pub(crate) fn watch_response(app: AppState, request: WatchRequest) -> Response {
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let content_type = request
        .table
        .map_or_else(|| "application/json".to_string(), |t| t.content_type());
    tokio::spawn(feed(app, request, tx));
    let lines = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|line| (Ok::<_, Infallible>(line), rx))
    });
    ([(CONTENT_TYPE, content_type)], Body::from_stream(lines)).into_response()
}

fn line(kind: &str, object: &Value) -> Bytes {
    let mut text = json!({"type": kind, "object": object}).to_string();
    text.push('\n');
    Bytes::from(text)
}

/// Writes a stream's change events: objects as they are, or one-row Tables whose column
/// definitions come only with the first (as the API server saves them on later events).
struct Encoder {
    resource: Resource,
    table: Option<TableRequest>,
    columns_sent: bool,
}

impl Encoder {
    fn change(&mut self, kind: &str, object: &Value) -> Bytes {
        let Some(table) = self.table else {
            return line(kind, object);
        };
        let metadata = json!({"resourceVersion": object["metadata"]["resourceVersion"]});
        let printed = table.table(
            self.resource,
            &[object],
            metadata,
            !self.columns_sent,
            Utc::now(),
        );
        self.columns_sent = true;
        line(kind, &printed)
    }

    fn bookmark(&self, rv: u64) -> Bytes {
        let metadata = json!({"resourceVersion": rv.to_string()});
        let mark = match self.table {
            Some(table) => table.table(self.resource, &[], metadata, false, Utc::now()),
            None => json!({"kind": self.resource.kind(), "apiVersion": self.resource.api_version(),
                           "metadata": metadata}),
        };
        line("BOOKMARK", &mark)
    }
}

/// Sends changes until the timeout, a client disconnect, `close_watches` or server shutdown.
async fn feed(app: AppState, request: WatchRequest, tx: mpsc::Sender<Bytes>) {
    let mut latest = app.cluster.subscribe_latest();
    let mut closer = app.cluster.subscribe_closer();
    closer.borrow_and_update();
    let mut shutdown = app.shutdown.clone();
    let deadline = Instant::now() + request.timeout;
    let every = app.cluster.bookmark_interval();
    let mut bookmark = interval_at(Instant::now() + every, every);
    let mut encoder = Encoder {
        resource: request.resource,
        table: request.table,
        columns_sent: false,
    };
    let Some(mut position) = initial_position(&app, &request, &mut encoder, &tx).await else {
        return;
    };
    loop {
        // Mark the current version seen before reading, so a change in between still wakes us.
        latest.borrow_and_update();
        match app.cluster.changes_since(request.resource, position) {
            Err(gone) => {
                let message = format!(
                    "too old resource version: {position} ({})",
                    gone.oldest_resumable
                );
                let _ = tx
                    .send(line("ERROR", &status_body(410, "Expired", &message)))
                    .await;
                return;
            }
            Ok((changes, upto)) => {
                for change in changes.iter().filter(|c| request.wants(c)) {
                    if tx
                        .send(encoder.change(change.change.as_str(), &change.object))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                position = upto;
            }
        }
        tokio::select! {
            changed = latest.changed() => if changed.is_err() { return },
            _ = closer.changed() => return,
            _ = stopping(&mut shutdown) => return,
            _ = sleep_until(deadline) => return,
            _ = tx.closed() => return,
            _ = bookmark.tick(), if request.bookmarks => {
                if tx.send(encoder.bookmark(position)).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Where the stream starts: after `since`, or (without one) after sending every current
/// object as ADDED.
async fn initial_position(
    app: &AppState,
    request: &WatchRequest,
    encoder: &mut Encoder,
    tx: &mpsc::Sender<Bytes>,
) -> Option<u64> {
    if let Some(since) = request.since {
        return Some(since);
    }
    let (items, rv) = app
        .cluster
        .list(request.resource, request.namespace.as_deref());
    for (_, object) in items.iter().filter(|(_, o)| (request.matches)(o)) {
        tx.send(encoder.change("ADDED", object)).await.ok()?;
    }
    Some(rv)
}

async fn stopping(shutdown: &mut tokio::sync::watch::Receiver<bool>) {
    // The guard `wait_for` returns is not Send: drop it here rather than inside `select!`.
    let _ = shutdown.wait_for(|stopping| *stopping).await;
}
