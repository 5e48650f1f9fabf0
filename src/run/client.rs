//! One `POST {url}{path}` and the classification of what came back.

use std::time::Duration;

use anyhow::{Context, Result};
use serde::Deserialize;

use super::record::ErrorKind;

/// What one request produced, before timing is attached.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: Option<u16>,
    pub tokens: Option<u64>,
    pub server_latency_s: Option<f64>,
    pub error: Option<(ErrorKind, String)>,
}

impl Outcome {
    fn failed(status: Option<u16>, kind: ErrorKind, text: String) -> Self {
        Self {
            status,
            tokens: None,
            server_latency_s: None,
            error: Some((kind, text)),
        }
    }
}

#[derive(Debug, Deserialize)]
struct ChatAnswer {
    #[serde(default)]
    tokens_generated: Option<u64>,
    #[serde(default)]
    latency_seconds: Option<f64>,
}

#[derive(Clone)]
pub struct ChatClient {
    http: reqwest::Client,
    endpoint: String,
    timeout: Duration,
}

impl ChatClient {
    pub fn new(base_url: &str, path: &str, timeout: Duration) -> Result<Self> {
        let http = reqwest::Client::builder()
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .context("cannot set up the HTTP client")?;
        let endpoint = join_url(base_url, path);
        reqwest::Url::parse(&endpoint).with_context(|| {
            format!("--url/--path give {endpoint:?}, which is not a URL; pass e.g. --url http://127.0.0.1:8000")
        })?;
        Ok(Self {
            http,
            endpoint,
            timeout,
        })
    }

    /// Sends one generation request; never fails, every problem becomes an [`Outcome`] error.
    pub async fn chat(&self, body: Vec<u8>) -> Outcome {
        let sent = self
            .http
            .post(&self.endpoint)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .timeout(self.timeout)
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => return Outcome::failed(None, classify(&e), error_text(&e)),
        };
        let status = response.status().as_u16();
        let bytes = match response.bytes().await {
            Ok(b) => b,
            Err(e) => return Outcome::failed(Some(status), classify(&e), error_text(&e)),
        };
        interpret(status, &bytes)
    }
}

fn interpret(status: u16, bytes: &[u8]) -> Outcome {
    if !(200..300).contains(&status) {
        let kind = if status >= 500 {
            ErrorKind::Http5xx
        } else {
            ErrorKind::Http4xx
        };
        let snippet = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
        return Outcome::failed(Some(status), kind, format!("HTTP {status}: {snippet}"));
    }
    match serde_json::from_slice::<ChatAnswer>(bytes) {
        Ok(answer) => Outcome {
            status: Some(status),
            tokens: answer.tokens_generated,
            server_latency_s: answer.latency_seconds,
            error: None,
        },
        Err(e) => Outcome::failed(
            Some(status),
            ErrorKind::BadBody,
            format!("response is not the expected JSON: {e}"),
        ),
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

/// The error and all its causes on one line.
fn error_text(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

pub fn join_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// `GET {url}/health`: the scripts check it before any load and stop if it fails.
pub async fn health_check(base_url: &str, timeout: Duration) -> Result<String> {
    let url = join_url(base_url, "/health");
    let response = reqwest::Client::new()
        .get(&url)
        .timeout(timeout)
        .send()
        .await
        .with_context(|| {
            format!("health check {url} failed; is the service running at --url? (--skip-health-check to go on anyway)")
        })?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
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
    }
}
