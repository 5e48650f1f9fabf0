//! Text Generation Inference's native `POST /generate_stream` (`inputs`, `parameters`): each
//! event holds `token` {`text`, `special`}; the last one also `generated_text` and `details`
//! {`finish_reason`, `generated_tokens`, `input_length`}. No `[DONE]`: the event with `details`
//! ends the stream. Special tokens are not output text.

use serde::Deserialize;

use super::{Piece, Request, ServerApi, error_text, unreadable};
use crate::run::record::ErrorKind;

pub struct Tgi;

#[derive(Debug, Deserialize)]
struct Event {
    #[serde(default)]
    token: Option<Token>,
    #[serde(default)]
    details: Option<Details>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct Token {
    #[serde(default)]
    text: String,
    #[serde(default)]
    special: bool,
}

#[derive(Debug, Deserialize)]
struct Details {
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    generated_tokens: Option<u64>,
    #[serde(default)]
    input_length: Option<u64>,
}

impl ServerApi for Tgi {
    fn default_path(&self) -> &'static str {
        "/generate_stream"
    }

    fn streams(&self) -> bool {
        true
    }

    fn body(&self, request: &Request) -> serde_json::Value {
        serde_json::json!({"inputs": request.prompt,
            "parameters": {"max_new_tokens": request.max_tokens, "details": true}})
    }

    fn piece(&self, data: &str) -> Piece {
        let event: Event = match serde_json::from_str(data) {
            Ok(e) => e,
            Err(e) => return unreadable(data, &e),
        };
        if let Some(text) = error_text(&event.error) {
            return Piece::failed(ErrorKind::StreamError, text);
        }
        let text_chars = event
            .token
            .as_ref()
            .filter(|t| !t.special)
            .map_or(0, |t| t.text.chars().count() as u64);
        let details = event.details.as_ref();
        Piece {
            text_chars,
            finish_reason: details.and_then(|d| d.finish_reason.clone()),
            input_tokens: details.and_then(|d| d.input_length),
            output_tokens: details.and_then(|d| d.generated_tokens),
            last: details.is_some(),
            error: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_special_tokens_and_the_final_event() {
        let api = Tgi;
        let token = api
            .piece(r#"{"index":1,"token":{"id":5,"text":" def","logprob":-0.1,"special":false}}"#);
        assert_eq!((token.text_chars, token.last), (4, false));
        let eos = api.piece(
            r#"{"token":{"id":2,"text":"</s>","special":true},"generated_text":"x",
            "details":{"finish_reason":"eos_token","generated_tokens":9,"input_length":4}}"#,
        );
        assert_eq!(
            (
                eos.text_chars,
                eos.finish_reason.as_deref(),
                eos.output_tokens,
                eos.input_tokens,
                eos.last
            ),
            (0, Some("eos_token"), Some(9), Some(4), true)
        );
        assert_eq!(
            api.piece(r#"{"error":"Request failed","error_type":"generation"}"#)
                .error
                .unwrap()
                .0,
            ErrorKind::StreamError
        );
    }
}
