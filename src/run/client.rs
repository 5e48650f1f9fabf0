//! One `POST {url}{path}` and the classification of what came back: a whole answer, or a
//! Server-Sent Events stream read event by event with the arrival time of each.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::api::chunks::StreamTally;
use super::api::sse::SseReader;
use super::api::{Piece, ServerApi};
use super::record::ErrorKind;
use crate::session::redact::redact_url;

/// Largest answer body read; a generation answer is a few KiB, so more is a wrong endpoint or a
/// misbehaving server, and reading on would let it fill memory.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Largest streamed body read: thousands of tokens in SSE framing stay far below it.
pub const MAX_STREAM_BYTES: usize = 16 << 20;
/// Same-origin redirects followed at most.
const MAX_REDIRECTS: usize = 5;

/// What one request produced, before timing is attached.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: Option<u16>,
    pub tokens: Option<u64>,
    pub server_latency_s: Option<f64>,
    pub error: Option<(ErrorKind, String)>,
    /// What a streamed answer delivered, even when it broke midway.
    pub stream: Option<StreamTally>,
}

impl Outcome {
    fn failed(status: Option<u16>, kind: ErrorKind, text: String) -> Self {
        Self {
            status,
            tokens: None,
            server_latency_s: None,
            error: Some((kind, text)),
            stream: None,
        }
    }
}

#[derive(Clone)]
pub struct ChatClient {
    http: reqwest::Client,
    endpoint: String,
    timeout: Duration,
    api: Arc<dyn ServerApi>,
    /// The API key, sent as a sensitive header and hidden from every error text.
    key: Option<String>,
}

impl ChatClient {
    pub fn new(
        base_url: &str,
        path: &str,
        timeout: Duration,
        api: Arc<dyn ServerApi>,
        key: Option<String>,
    ) -> Result<Self> {
        let http = http_client()?;
        let endpoint = join_url(base_url, path);
        reqwest::Url::parse(&endpoint).with_context(|| {
            format!(
                "--url/--path give {:?}, which is not a URL; pass e.g. --url http://127.0.0.1:8000",
                redact_url(&endpoint)
            )
        })?;
        let key = key.filter(|k| !k.is_empty());
        if let Some(key) = &key {
            reqwest::header::HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                anyhow::anyhow!(
                    "${} holds characters an HTTP header cannot carry",
                    super::api::API_KEY_ENV
                )
            })?;
        }
        Ok(Self {
            http,
            endpoint,
            timeout,
            api,
            key,
        })
    }

    /// Sends one generation request; never fails, every problem becomes an [`Outcome`] error.
    pub async fn chat(&self, body: Vec<u8>) -> Outcome {
        let mut outcome = self.exchange(body).await;
        if let (Some(key), Some((_, text))) = (&self.key, outcome.error.as_mut()) {
            *text = text.replace(key.as_str(), "[REDACTED]");
        }
        outcome
    }

    async fn exchange(&self, body: Vec<u8>) -> Outcome {
        let mut request = self
            .http
            .post(&self.endpoint)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .timeout(self.timeout);
        if let Some(key) = &self.key
            && let Ok(mut value) = reqwest::header::HeaderValue::from_str(&format!("Bearer {key}"))
        {
            value.set_sensitive(true);
            request = request.header(reqwest::header::AUTHORIZATION, value);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return Outcome::failed(None, classify(&e), error_text(&e)),
        };
        let status = response.status().as_u16();
        if response.status().is_redirection() {
            return Outcome::failed(Some(status), ErrorKind::Redirect, redirect_text(&response));
        }
        if self.api.streams() && response.status().is_success() {
            return read_stream(self.api.as_ref(), response).await;
        }
        match read_capped(response, MAX_BODY_BYTES).await {
            Ok(Body::Whole(bytes)) => interpret(self.api.as_ref(), status, &bytes),
            Ok(Body::TooLarge) => Outcome::failed(
                Some(status),
                ErrorKind::BadBody,
                format!(
                    "HTTP {status}: response body larger than {} KiB; stopped reading it",
                    MAX_BODY_BYTES / 1024
                ),
            ),
            Err(e) => Outcome::failed(Some(status), classify(&e), error_text(&e)),
        }
    }
}

/// The client every request uses: redirects followed only within the same origin (scheme,
/// host, port), so a service cannot send the load, or a URL's credentials, to another host.
fn http_client() -> Result<reqwest::Client> {
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if same_origin && attempt.previous().len() <= MAX_REDIRECTS {
            attempt.follow()
        } else {
            attempt.stop()
        }
    });
    reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(30))
        .redirect(policy)
        .build()
        .context("cannot set up the HTTP client")
}

fn redirect_text(response: &reqwest::Response) -> String {
    let target = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| "(no Location)".to_string(), redact_url);
    format!(
        "HTTP {}: redirect to {target} not followed (only redirects to the same scheme, host and port are)",
        response.status().as_u16()
    )
}

enum Body {
    Whole(Vec<u8>),
    TooLarge,
}

/// Reads the body chunk by chunk and stops past `limit` bytes.
async fn read_capped(mut response: reqwest::Response, limit: usize) -> reqwest::Result<Body> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if bytes.len() + chunk.len() > limit {
            return Ok(Body::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Body::Whole(bytes))
}

/// Reads an event stream to its end marker, its first error, its end or the byte cap, noting
/// when each event arrived.
async fn read_stream(api: &dyn ServerApi, mut response: reqwest::Response) -> Outcome {
    let status = Some(response.status().as_u16());
    let mut reader = SseReader::default();
    let mut tally = StreamTally::default();
    let mut read = 0usize;
    let mut failure = None;
    'body: loop {
        match response.chunk().await {
            Ok(Some(bytes)) => {
                let at = Instant::now();
                read += bytes.len();
                for event in reader.feed(&bytes) {
                    if !tally.observe(event_piece(api, &event), at) {
                        break 'body;
                    }
                }
                if read > MAX_STREAM_BYTES {
                    let text = format!(
                        "stream longer than {} MiB; stopped reading it",
                        MAX_STREAM_BYTES >> 20
                    );
                    failure = Some((ErrorKind::BadBody, text));
                    break;
                }
            }
            Ok(None) => {
                if let Some(event) = reader.finish() {
                    tally.observe(event_piece(api, &event), Instant::now());
                }
                break;
            }
            Err(e) => {
                let kind = match classify(&e) {
                    ErrorKind::Timeout => ErrorKind::Timeout,
                    _ => ErrorKind::StreamBroken,
                };
                failure = Some((kind, format!("stream broken: {}", error_text(&e))));
                break;
            }
        }
    }
    let error = tally.error.clone().or(failure).or_else(|| {
        (!tally.finished).then(|| {
            (
                ErrorKind::StreamBroken,
                "the connection ended before the end of the stream ([DONE] or the final event)"
                    .to_string(),
            )
        })
    });
    Outcome {
        status,
        tokens: None,
        server_latency_s: None,
        error,
        stream: Some(tally),
    }
}

/// An event's meaning: an `event: error` is a stream error whatever its data.
fn event_piece(api: &dyn ServerApi, event: &super::api::sse::Event) -> Piece {
    if event.name.as_deref() == Some("error") {
        let text: String = event.data.chars().take(200).collect();
        return Piece::failed(ErrorKind::StreamError, text);
    }
    api.piece(&event.data)
}

fn interpret(api: &dyn ServerApi, status: u16, bytes: &[u8]) -> Outcome {
    if !(200..300).contains(&status) {
        let kind = if status >= 500 {
            ErrorKind::Http5xx
        } else {
            ErrorKind::Http4xx
        };
        let snippet = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
        return Outcome::failed(Some(status), kind, format!("HTTP {status}: {snippet}"));
    }
    match api.whole(bytes) {
        Ok(answer) => Outcome {
            status: Some(status),
            tokens: answer.tokens,
            server_latency_s: answer.server_latency_s,
            error: None,
            stream: None,
        },
        Err(text) => Outcome::failed(Some(status), ErrorKind::BadBody, text),
    }
}

/// Sorts a client error into the kinds the report counts, by walking its causes.
fn classify(error: &reqwest::Error) -> ErrorKind {
    if error.is_timeout() {
        return ErrorKind::Timeout;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as Io;
            match io.kind() {
                Io::ConnectionRefused => return ErrorKind::ConnectRefused,
                Io::ConnectionReset
                | Io::ConnectionAborted
                | Io::BrokenPipe
                | Io::UnexpectedEof => {
                    return ErrorKind::Reset;
                }
                Io::TimedOut => return ErrorKind::Timeout,
                _ => {}
            }
        }
        source = cause.source();
    }
    // hyper reports a peer that closed mid-exchange without an io::Error underneath, and a pooled
    // connection the peer closed just before it was used as "connection was not ready".
    let text = error_text(error);
    if text.contains("connection closed")
        || text.contains("IncompleteMessage")
        || text.contains("connection was not ready")
    {
        return ErrorKind::Reset;
    }
    if error.is_connect() {
        ErrorKind::Connect
    } else {
        ErrorKind::Other
    }
}

/// The error and all its causes on one line, without the URL (it may carry credentials; the
/// endpoint is the same for every request and recorded once, redacted).
fn error_text(error: &reqwest::Error) -> String {
    let mut text = match error.url() {
        Some(url) => error
            .to_string()
            .replace(url.as_str(), &redact_url(url.as_str())),
        None => error.to_string(),
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The base URL with `path` as its path; the base's query (if any) is kept.
pub fn join_url(base: &str, path: &str) -> String {
    let path = format!("/{}", path.trim_start_matches('/'));
    match reqwest::Url::parse(base) {
        Ok(mut url) => {
            url.set_path(&path);
            url.to_string()
        }
        Err(_) => format!("{}{path}", base.trim_end_matches('/')),
    }
}

/// `GET {url}/health`: the scripts check it before any load and stop if it fails.
pub async fn health_check(base_url: &str, timeout: Duration) -> Result<String> {
    let url = join_url(base_url, "/health");
    let shown = redact_url(&url);
    let response = http_client()?
        .get(&url)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!(error_text(&e)))
        .with_context(|| {
            format!("health check {shown} failed; is the service running at --url? (--skip-health-check to go on anyway)")
        })?;
    let status = response.status();
    let text = match read_capped(response, 64 * 1024).await {
        Ok(Body::Whole(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        _ => String::new(),
    };
    let url = shown;
    if !status.is_success() {
        anyhow::bail!(
            "health check {url} answered HTTP {status}: {text}; the service is not ready (--skip-health-check to go on anyway)"
        );
    }
    Ok(text.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_bodies_are_classified() {
        let interpret =
            |status, bytes: &[u8]| super::interpret(&super::super::api::chat::Chat, status, bytes);
        let ok = interpret(
            200,
            br#"{"response":"x","model":"m","latency_seconds":0.5,"tokens_generated":7}"#,
        );
        assert_eq!(ok.tokens, Some(7));
        assert_eq!(ok.server_latency_s, Some(0.5));
        assert!(ok.error.is_none());
        assert_eq!(interpret(503, b"busy").error.unwrap().0, ErrorKind::Http5xx);
        assert_eq!(interpret(422, b"").error.unwrap().0, ErrorKind::Http4xx);
        assert_eq!(
            interpret(200, b"<html>").error.unwrap().0,
            ErrorKind::BadBody
        );
    }

    #[test]
    fn urls_join_with_one_slash() {
        assert_eq!(join_url("http://h:1/", "/chat"), "http://h:1/chat");
        assert_eq!(join_url("http://h:1", "chat"), "http://h:1/chat");
        assert_eq!(join_url("http://h:1/?k=v", "/chat"), "http://h:1/chat?k=v");
    }
}
