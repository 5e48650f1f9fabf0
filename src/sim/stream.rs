//! The streamed APIs of the simulated service: OpenAI-compatible `/v1/chat/completions` and
//! `/v1/completions` (streamed or whole) and TGI's `/generate_stream`, token by token.
//!
//! A request is admitted by the least busy Ready pod (503 when every queue is full), waits for one
//! of its sequence slots, then prefills: `per_request_s + prefill_per_input_token_s × input
//! tokens` (input tokens = ⌈prompt characters / 4⌉), which yields the first token. Each later
//! token is one decode step of `per_token_s × (1 + batch_slowdown × (active − 1))`, `active` the
//! sequences the pod is generating at that moment (continuous batching). So under overload
//! queueing lifts the time to first token while the gaps between tokens grow only with the batch.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::cluster::Cluster;
use super::front::{Admitted, Busy};
use super::service::MODEL_NAME;

/// The text the simulated model writes, one piece per token, repeated as needed.
const PIECES: &[&str] = &[
    "def", " add", "(a", ",", " b", "):", "\n", "   ", " return", " a", " +", " b", "\n",
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Chat,
    Completions,
    Tgi,
}

/// What every API's request comes down to.
struct Generation {
    format: Format,
    model: String,
    input_tokens: u32,
    max_tokens: Option<u32>,
    stream: bool,
    usage: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct OpenaiRequest {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    messages: Option<Vec<Value>>,
    #[serde(default)]
    prompt: Option<Value>,
    #[serde(default)]
    max_tokens: Option<u32>,
    #[serde(default)]
    max_completion_tokens: Option<u32>,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
}

#[derive(Debug, Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct TgiRequest {
    inputs: String,
    #[serde(default)]
    parameters: Option<TgiParameters>,
}

#[derive(Debug, Deserialize)]
struct TgiParameters {
    #[serde(default)]
    max_new_tokens: Option<u32>,
}

/// ⌈characters / 4⌉: the usual rule of thumb for English text and code.
fn estimated_tokens(text: &str) -> u32 {
    (text.chars().count() as u32).div_ceil(4)
}

/// The text the model would read: a prompt string, or the `content` (or content parts' `text`)
/// of every message.
fn text_of(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => out.push_str(s),
        Value::Array(items) => items.iter().for_each(|v| text_of(v, out)),
        Value::Object(map) => ["content", "text"]
            .iter()
            .filter_map(|k| map.get(*k))
            .for_each(|v| text_of(v, out)),
        _ => {}
    }
}

type Json<T> = Result<axum::Json<T>, axum::extract::rejection::JsonRejection>;

pub(super) async fn chat_completions(
    State(cluster): State<Arc<Cluster>>,
    body: Json<OpenaiRequest>,
) -> Response {
    openai(cluster, body, Format::Chat)
}

pub(super) async fn completions(
    State(cluster): State<Arc<Cluster>>,
    body: Json<OpenaiRequest>,
) -> Response {
    openai(cluster, body, Format::Completions)
}

fn openai(cluster: Arc<Cluster>, body: Json<OpenaiRequest>, format: Format) -> Response {
    let request = match body {
        Ok(axum::Json(r)) => r,
        Err(rejection) => return rejection.into_response(),
    };
    let mut text = String::new();
    let input = match format {
        Format::Chat => request.messages.map(Value::Array),
        _ => request.prompt,
    };
    let Some(input) = input else {
        let field = if format == Format::Chat {
            "messages"
        } else {
            "prompt"
        };
        let detail = json!({"error": {"message": format!("`{field}` is required"), "type": "invalid_request_error"}});
        return (StatusCode::BAD_REQUEST, axum::Json(detail)).into_response();
    };
    text_of(&input, &mut text);
    start(
        cluster,
        Generation {
            format,
            model: request.model.unwrap_or_else(|| MODEL_NAME.to_string()),
            input_tokens: estimated_tokens(&text),
            max_tokens: request.max_completion_tokens.or(request.max_tokens),
            stream: request.stream,
            usage: request.stream_options.is_some_and(|o| o.include_usage),
        },
    )
}

pub(super) async fn generate_stream(
    State(cluster): State<Arc<Cluster>>,
    body: Json<TgiRequest>,
) -> Response {
    let request = match body {
        Ok(axum::Json(r)) => r,
        Err(rejection) => return rejection.into_response(),
    };
    start(
        cluster,
        Generation {
            format: Format::Tgi,
            model: MODEL_NAME.to_string(),
            input_tokens: estimated_tokens(&request.inputs),
            max_tokens: request.parameters.and_then(|p| p.max_new_tokens),
            stream: true,
            usage: false,
        },
    )
}

/// Admits the request to a pod and answers with the stream (or the whole answer) its
/// generation task writes.
fn start(cluster: Arc<Cluster>, generation: Generation) -> Response {
    let Some(pod) = cluster.pick_pod() else {
        let detail = json!({"error": {"message": "no capacity: every ready pod's queue is full", "type": "overloaded"}});
        return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(detail)).into_response();
    };
    let admitted = Admitted(pod);
    let (tx, rx) = mpsc::channel::<String>(16);
    let stream = generation.stream;
    tokio::spawn(generate(cluster, admitted, generation, tx));
    let body = Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|text| (Ok::<_, Infallible>(text), rx))
    }));
    let content_type = if stream {
        "text/event-stream"
    } else {
        "application/json"
    };
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// Runs one generation on its pod, sending each event as its token is made; stops when the
/// client goes away.
async fn generate(
    cluster: Arc<Cluster>,
    admitted: Admitted,
    g: Generation,
    tx: mpsc::Sender<String>,
) {
    let pod = admitted.0.clone();
    let Ok(_slot) = pod.slots.acquire().await else {
        return;
    };
    let config = cluster.config().clone();
    let clock = cluster.clock();
    pod.busy_change(clock.now_s(), true);
    let _busy = Busy(&cluster, &pod);
    let limit = g.max_tokens.unwrap_or(config.tokens);
    let tokens = limit.min(config.tokens);
    let finish = if tokens < limit { "stop" } else { "length" };
    if g.stream && g.format == Format::Chat {
        let role = chunk(
            &g,
            json!([{"index": 0, "delta": {"role": "assistant"}, "finish_reason": null}]),
        );
        if tx.send(role).await.is_err() {
            return;
        }
    }
    let prefill_s =
        config.per_request_s + config.prefill_per_input_token_s * f64::from(g.input_tokens);
    let mut due = tokio::time::Instant::now() + clock.real(prefill_s);
    let mut text = String::new();
    for i in 0..tokens {
        if i > 0 {
            let active = config
                .slots
                .saturating_sub(pod.slots.available_permits())
                .max(1);
            let step_s = config.per_token_s * (1.0 + config.batch_slowdown * (active - 1) as f64);
            due += clock.real(step_s);
        }
        tokio::time::sleep_until(due).await;
        let piece = PIECES[i as usize % PIECES.len()];
        text.push_str(piece);
        if g.stream {
            let last = (i + 1 == tokens).then_some(finish);
            if tx
                .send(token_event(&g, i, piece, last, &text, tokens))
                .await
                .is_err()
            {
                return;
            }
        }
    }
    let usage = json!({"prompt_tokens": g.input_tokens, "completion_tokens": tokens,
        "total_tokens": g.input_tokens + tokens});
    let tail = match (g.stream, g.format) {
        (true, Format::Tgi) => Vec::new(),
        (true, _) if g.usage => vec![
            format!(
                "data: {}\n\n",
                json!({"object": object(&g), "model": g.model, "choices": [], "usage": usage})
            ),
            "data: [DONE]\n\n".to_string(),
        ],
        (true, _) => vec!["data: [DONE]\n\n".to_string()],
        (false, _) => vec![whole(&g, &text, finish, usage).to_string()],
    };
    for event in tail {
        if tx.send(event).await.is_err() {
            return;
        }
    }
}

fn object(g: &Generation) -> &'static str {
    match (g.format, g.stream) {
        (Format::Chat, true) => "chat.completion.chunk",
        (Format::Chat, false) => "chat.completion",
        _ => "text_completion",
    }
}

/// An OpenAI chunk event with these choices.
fn chunk(g: &Generation, choices: Value) -> String {
    let event =
        json!({"id": "cmpl-sim", "object": object(g), "model": g.model, "choices": choices});
    format!("data: {event}\n\n")
}

/// The event of token `i`; `last` holds the finish reason on the final one.
fn token_event(
    g: &Generation,
    i: u32,
    piece: &str,
    last: Option<&str>,
    text: &str,
    tokens: u32,
) -> String {
    match g.format {
        Format::Chat => chunk(
            g,
            json!([{"index": 0, "delta": {"content": piece}, "finish_reason": last}]),
        ),
        Format::Completions => chunk(
            g,
            json!([{"index": 0, "text": piece, "finish_reason": last}]),
        ),
        Format::Tgi => {
            let token = json!({"id": 1000 + i, "text": piece, "logprob": -0.1, "special": false});
            let mut event =
                json!({"index": i, "token": token, "generated_text": null, "details": null});
            if let Some(reason) = last {
                let reason = if reason == "stop" {
                    "eos_token"
                } else {
                    reason
                };
                event["generated_text"] = json!(text);
                event["details"] = json!({"finish_reason": reason, "generated_tokens": tokens,
                    "input_length": g.input_tokens});
            }
            format!("data:{event}\n\n")
        }
    }
}

/// The non-streamed answer.
fn whole(g: &Generation, text: &str, finish: &str, usage: Value) -> Value {
    let choice = match g.format {
        Format::Chat => {
            json!({"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish})
        }
        _ => json!({"index": 0, "text": text, "finish_reason": finish}),
    };
    json!({"id": "cmpl-sim", "object": object(g), "model": g.model, "choices": [choice], "usage": usage})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_are_counted_as_a_quarter_of_their_characters_rounded_up() {
        assert_eq!(estimated_tokens("abcd"), 1);
        assert_eq!(estimated_tokens("abcde"), 2);
        let mut text = String::new();
        text_of(&json!([{"role": "user", "content": "Hi there"}]), &mut text);
        assert_eq!(estimated_tokens(&text), 2); // "Hi there": 8 characters
    }
}
