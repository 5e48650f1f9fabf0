//! The guide's service: `POST /chat` with `{"prompt", "max_tokens"}`, one JSON answer holding
//! `tokens_generated` and `latency_seconds`.

use serde::Deserialize;

use super::{Piece, Request, ServerApi, Whole};
use crate::run::record::ErrorKind;

pub struct Chat;

#[derive(Debug, Deserialize)]
struct ChatAnswer {
    #[serde(default)]
    tokens_generated: Option<u64>,
    #[serde(default)]
    latency_seconds: Option<f64>,
}

impl ServerApi for Chat {
    fn default_path(&self) -> &'static str {
        "/chat"
    }

    fn streams(&self) -> bool {
        false
    }

    fn body(&self, request: &Request) -> serde_json::Value {
        serde_json::json!({"prompt": request.prompt, "max_tokens": request.max_tokens})
    }

    fn whole(&self, bytes: &[u8]) -> Result<Whole, String> {
        let answer: ChatAnswer = serde_json::from_slice(bytes)
            .map_err(|e| format!("response is not the expected JSON: {e}"))?;
        Ok(Whole {
            tokens: answer.tokens_generated,
            server_latency_s: answer.latency_seconds,
        })
    }

    fn piece(&self, _data: &str) -> Piece {
        Piece::failed(ErrorKind::BadBody, "the /chat API does not stream")
    }
}
