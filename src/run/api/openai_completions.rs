//! OpenAI-compatible `POST /v1/completions`, streamed: each chunk's text is `choices[0].text`;
//! `usage`, `finish_reason` and `[DONE]` as in chat.

use serde::Deserialize;

use super::{OpenaiChoice, Piece, Request, ServerApi, openai_fields, openai_piece};

pub struct OpenaiCompletions;

#[derive(Debug, Deserialize)]
struct Choice {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    finish_reason: Option<String>,
}

impl OpenaiChoice for Choice {
    fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    fn finish_reason(&self) -> Option<&str> {
        self.finish_reason.as_deref()
    }
}

impl ServerApi for OpenaiCompletions {
    fn default_path(&self) -> &'static str {
        "/v1/completions"
    }

    fn streams(&self) -> bool {
        true
    }

    fn body(&self, request: &Request) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        body.insert("prompt".into(), serde_json::json!(request.prompt));
        openai_fields(request, &mut body);
        serde_json::Value::Object(body)
    }

    fn piece(&self, data: &str) -> Piece {
        openai_piece::<Choice>(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_chunks_and_the_usage_chunk() {
        let api = OpenaiCompletions;
        assert_eq!(
            api.piece(r#"{"choices":[{"text":"ab","finish_reason":null}]}"#)
                .text_chars,
            2
        );
        let usage =
            api.piece(r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}"#);
        assert_eq!((usage.text_chars, usage.output_tokens), (0, Some(4)));
    }
}
