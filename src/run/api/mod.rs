//! The server APIs `report run` speaks, one file each behind [`ServerApi`]: what body a prompt
//! becomes and what one answer (or one streamed event) means. The transport (HTTP, the SSE
//! reader, timing) is shared in `client.rs` and [`sse`]; a new server type is one file here.

pub mod chat;
pub mod chunks;
pub mod openai_chat;
pub mod openai_completions;
pub mod sse;
pub mod tgi;

use std::sync::Arc;

use clap::ValueEnum;
use serde::Deserialize;

use super::record::ErrorKind;

/// Environment variable holding the API key sent as `Authorization: Bearer`; never written.
pub const API_KEY_ENV: &str = "REPORT_API_KEY";

/// `--api`: which server API to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiKind {
    /// The guide's service: POST /chat, one JSON answer.
    Chat,
    /// OpenAI-compatible POST /v1/chat/completions, streamed (vLLM, SGLang, TGI Messages, Ollama).
    OpenaiChat,
    /// OpenAI-compatible POST /v1/completions, streamed.
    OpenaiCompletions,
    /// Text Generation Inference's native POST /generate_stream.
    Tgi,
}

impl ApiKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Chat => "chat",
            Self::OpenaiChat => "openai-chat",
            Self::OpenaiCompletions => "openai-completions",
            Self::Tgi => "tgi",
        }
    }

    pub fn build(self) -> Arc<dyn ServerApi> {
        match self {
            Self::Chat => Arc::new(chat::Chat),
            Self::OpenaiChat => Arc::new(openai_chat::OpenaiChat),
            Self::OpenaiCompletions => Arc::new(openai_completions::OpenaiCompletions),
            Self::Tgi => Arc::new(tgi::Tgi),
        }
    }
}

/// One prompt and what to ask of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Request<'a> {
    pub prompt: &'a str,
    pub max_tokens: u32,
    pub model: Option<&'a str>,
    /// Ask for exactly `max_tokens` (vLLM's `ignore_eos` and `min_tokens`), where the API allows.
    pub fixed_length: bool,
}

/// A whole (not streamed) answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Whole {
    pub tokens: Option<u64>,
    pub server_latency_s: Option<f64>,
}

/// What one streamed event carried.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Piece {
    /// Characters of output text (0: not a content chunk, as a role-only or empty chunk).
    pub text_chars: u64,
    pub finish_reason: Option<String>,
    /// Token counts the server reported (OpenAI `usage`, TGI `details`).
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// The event that ends the stream (`[DONE]`, TGI's event with `details`).
    pub last: bool,
    pub error: Option<(ErrorKind, String)>,
}

impl Piece {
    pub fn failed(kind: ErrorKind, text: impl Into<String>) -> Self {
        Self {
            error: Some((kind, text.into())),
            ..Self::default()
        }
    }
}

pub trait ServerApi: Send + Sync {
    /// The endpoint's path when `--path` is not given.
    fn default_path(&self) -> &'static str;
    /// Whether answers come as Server-Sent Events.
    fn streams(&self) -> bool;
    fn body(&self, request: &Request) -> serde_json::Value;
    /// A whole 2xx answer (APIs that do not stream).
    fn whole(&self, _bytes: &[u8]) -> Result<Whole, String> {
        Err("this API streams its answers".into())
    }
    /// One event's `data` of a 2xx stream.
    fn piece(&self, data: &str) -> Piece;
}

/// The `error` an OpenAI-compatible or TGI server puts in an event: an object with a `message`
/// or a plain string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ErrorField {
    Text(String),
    Object {
        #[serde(default)]
        message: Option<String>,
    },
}

/// The text of an `error` field of an event, when there is one.
fn error_text(value: &Option<serde_json::Value>) -> Option<String> {
    let value = value.as_ref().filter(|v| !v.is_null())?;
    let text = match serde_json::from_value::<ErrorField>(value.clone()) {
        Ok(ErrorField::Text(t)) => t,
        Ok(ErrorField::Object { message: Some(m) }) => m,
        _ => value.to_string(),
    };
    Some(text.chars().take(200).collect())
}

/// An event that is not the JSON the API sends.
fn unreadable(data: &str, error: &serde_json::Error) -> Piece {
    let start: String = data.chars().take(80).collect();
    Piece::failed(
        ErrorKind::BadBody,
        format!("stream event is not the expected JSON ({error}): {start}"),
    )
}

/// `[DONE]`, the OpenAI end-of-stream marker.
fn done_marker(data: &str) -> Option<Piece> {
    (data.trim() == "[DONE]").then(|| Piece {
        last: true,
        ..Piece::default()
    })
}

#[derive(Debug, Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
}

/// An OpenAI-compatible chunk, chat or completions: `choices` may be empty, `null` or absent
/// (the usage-only chunk), `usage` may be `null`.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "C: Deserialize<'de>"))]
struct OpenaiChunk<C> {
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    choices: Vec<C>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// One choice's text and finish reason, however the API nests them.
trait OpenaiChoice {
    fn text(&self) -> Option<&str>;
    fn finish_reason(&self) -> Option<&str>;
}

/// Reads one OpenAI-compatible event: `[DONE]`, an error, or a chunk of choice `C`.
fn openai_piece<C: OpenaiChoice + serde::de::DeserializeOwned>(data: &str) -> Piece {
    if let Some(done) = done_marker(data) {
        return done;
    }
    let chunk: OpenaiChunk<C> = match serde_json::from_str(data) {
        Ok(c) => c,
        Err(e) => return unreadable(data, &e),
    };
    if let Some(text) = error_text(&chunk.error) {
        return Piece::failed(ErrorKind::StreamError, text);
    }
    let first = chunk.choices.first();
    Piece {
        text_chars: first
            .and_then(|c| c.text())
            .map_or(0, |t| t.chars().count() as u64),
        finish_reason: first.and_then(|c| c.finish_reason()).map(String::from),
        input_tokens: chunk.usage.as_ref().and_then(|u| u.prompt_tokens),
        output_tokens: chunk.usage.as_ref().and_then(|u| u.completion_tokens),
        last: false,
        error: None,
    }
}

/// The `stream` and `stream_options` fields every OpenAI-compatible streamed request carries,
/// with `model` when given.
fn openai_fields(request: &Request, body: &mut serde_json::Map<String, serde_json::Value>) {
    use serde_json::json;
    if let Some(model) = request.model {
        body.insert("model".into(), json!(model));
    }
    body.insert("max_tokens".into(), json!(request.max_tokens));
    if request.fixed_length {
        body.insert("ignore_eos".into(), json!(true));
        body.insert("min_tokens".into(), json!(request.max_tokens));
    }
    body.insert("stream".into(), json!(true));
    body.insert("stream_options".into(), json!({"include_usage": true}));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_fields_give_their_message() {
        let object = Some(serde_json::json!({"message": "overloaded", "type": "x"}));
        assert_eq!(error_text(&object), Some("overloaded".into()));
        let text = Some(serde_json::json!("boom"));
        assert_eq!(error_text(&text), Some("boom".into()));
        assert_eq!(error_text(&Some(serde_json::Value::Null)), None);
    }
}
