//! OpenAI-compatible `POST /v1/chat/completions`, streamed: each chunk's text is
//! `choices[0].delta.content` (the first chunk often holds only `delta.role`), the last content
//! chunk a `finish_reason`, and with `stream_options.include_usage` one more chunk before
//! `[DONE]` holds `usage` with empty (or `null`) `choices`.

use serde::Deserialize;

use super::{OpenaiChoice, Piece, Request, ServerApi, openai_fields, openai_piece};

pub struct OpenaiChat;

#[derive(Debug, Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
}

impl OpenaiChoice for Choice {
    fn text(&self) -> Option<&str> {
        self.delta.as_ref()?.content.as_deref()
    }

    fn finish_reason(&self) -> Option<&str> {
        self.finish_reason.as_deref()
    }
}

impl ServerApi for OpenaiChat {
    fn default_path(&self) -> &'static str {
        "/v1/chat/completions"
    }

    fn streams(&self) -> bool {
        true
    }

    fn body(&self, request: &Request) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        body.insert(
            "messages".into(),
            serde_json::json!([{"role": "user", "content": request.prompt}]),
        );
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
    fn role_only_empty_content_usage_and_done_chunks() {
        let api = OpenaiChat;
        let role = api.piece(r#"{"choices":[{"index":0,"delta":{"role":"assistant"}}]}"#);
        assert_eq!(role.text_chars, 0);
        let empty = api.piece(r#"{"choices":[{"delta":{"content":""}}]}"#);
        assert_eq!(empty.text_chars, 0);
        let text =
            api.piece(r#"{"choices":[{"delta":{"content":"déf"},"finish_reason":"length"}]}"#);
        assert_eq!(
            (text.text_chars, text.finish_reason.as_deref()),
            (3, Some("length"))
        );
        let usage = api.piece(r#"{"choices":null,"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}"#);
        assert_eq!(
            (usage.input_tokens, usage.output_tokens),
            (Some(12), Some(5))
        );
        assert!(api.piece("[DONE]").last);
        let error = api.piece(r#"{"error":{"message":"out of memory","code":500}}"#);
        assert_eq!(
            error.error,
            Some((
                crate::run::record::ErrorKind::StreamError,
                "out of memory".into()
            ))
        );
    }

    #[test]
    fn the_body_streams_and_asks_for_usage() {
        let body = OpenaiChat.body(&Request {
            prompt: "hi",
            max_tokens: 7,
            model: Some("m"),
            fixed_length: false,
        });
        assert_eq!(
            body,
            serde_json::json!({"model": "m", "messages": [{"role": "user", "content": "hi"}],
                "max_tokens": 7, "stream": true, "stream_options": {"include_usage": true}})
        );
    }
}
