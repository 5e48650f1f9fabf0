//! One streamed answer's events as they arrive, summarised into the record's per-token fields.
//!
//! Definitions (named in the report too): TTFT = send → the first event carrying output text
//! (role-only, empty and special-token events do not count, as AIPerf; vLLM's benchmark takes the
//! first chunk whatever it holds). Gaps = time between consecutive content events after the first
//! (a chunk holding several tokens is one gap), their mean is the request's ITL as vLLM's
//! benchmark and AIPerf define it. TPOT = (end-to-end − TTFT) / (output tokens − 1), output
//! tokens from the server's count (`usage`, TGI `details`) when it sent one, else the content
//! events counted.

use std::time::Instant;

use super::Piece;
use crate::run::record::{ErrorKind, StreamFields, TokenSource};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamTally {
    first_content: Option<Instant>,
    last_content: Option<Instant>,
    content_chunks: u64,
    gap_sum_s: f64,
    gap_max_s: f64,
    output_chars: u64,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    finish_reason: Option<String>,
    /// The stream's end marker (`[DONE]`, TGI's final event) came.
    pub finished: bool,
    /// The first error event.
    pub error: Option<(ErrorKind, String)>,
}

impl StreamTally {
    /// Takes one event that arrived `at`; false once the stream is over (end marker or error).
    pub fn observe(&mut self, piece: Piece, at: Instant) -> bool {
        if let Some(error) = piece.error {
            self.error.get_or_insert(error);
            return false;
        }
        if piece.text_chars > 0 {
            if let Some(previous) = self.last_content {
                let gap = at.saturating_duration_since(previous).as_secs_f64();
                self.gap_sum_s += gap;
                self.gap_max_s = self.gap_max_s.max(gap);
            }
            self.first_content.get_or_insert(at);
            self.last_content = Some(at);
            self.content_chunks += 1;
            self.output_chars += piece.text_chars;
        }
        if piece.finish_reason.is_some() {
            self.finish_reason = piece.finish_reason;
        }
        self.input_tokens = piece.input_tokens.or(self.input_tokens);
        self.output_tokens = piece.output_tokens.or(self.output_tokens);
        self.finished |= piece.last;
        !piece.last
    }

    /// The record's fields for a request sent at `sent` whose answer ended at `ended`.
    pub fn fields(&self, sent: Instant, ended: Instant) -> StreamFields {
        let ttft_s = self
            .first_content
            .map(|t| t.saturating_duration_since(sent).as_secs_f64());
        let (output_tokens, token_source) = match self.output_tokens {
            Some(n) => (n, TokenSource::Usage),
            None => (self.content_chunks, TokenSource::Counted),
        };
        let e2e_s = ended.saturating_duration_since(sent).as_secs_f64();
        let gap_count = self.content_chunks.saturating_sub(1);
        StreamFields {
            ttft_s,
            content_chunks: Some(self.content_chunks),
            gap_count: Some(gap_count),
            gap_mean_s: (gap_count > 0).then(|| self.gap_sum_s / gap_count as f64),
            gap_max_s: (gap_count > 0).then_some(self.gap_max_s),
            tpot_s: ttft_s
                .filter(|_| output_tokens >= 2)
                .map(|ttft| (e2e_s - ttft) / (output_tokens - 1) as f64),
            input_tokens: self.input_tokens,
            output_tokens: Some(output_tokens),
            token_source: Some(token_source),
            finish_reason: self.finish_reason.clone(),
            output_chars: Some(self.output_chars),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn text(chars: u64) -> Piece {
        Piece {
            text_chars: chars,
            ..Piece::default()
        }
    }

    #[test]
    fn ttft_gaps_and_tpot_by_hand() {
        let sent = Instant::now();
        let ms = |n| sent + Duration::from_millis(n);
        let mut t = StreamTally::default();
        assert!(t.observe(text(0), ms(50))); // role-only: not the first token
        t.observe(text(3), ms(200));
        t.observe(text(2), ms(300));
        t.observe(text(1), ms(600));
        t.observe(
            Piece {
                output_tokens: Some(5),
                input_tokens: Some(9),
                ..Piece::default()
            },
            ms(610),
        );
        assert!(!t.observe(
            Piece {
                last: true,
                ..Piece::default()
            },
            ms(620)
        ));
        let f = t.fields(sent, ms(1000));
        assert_eq!(f.ttft_s, Some(0.2));
        assert_eq!((f.gap_count, f.gap_max_s), (Some(2), Some(0.3)));
        assert!((f.gap_mean_s.unwrap() - 0.2).abs() < 1e-12);
        // (1.0 - 0.2) / (5 - 1) with the server's count of 5 tokens
        assert!((f.tpot_s.unwrap() - 0.2).abs() < 1e-12);
        assert_eq!(
            (f.output_tokens, f.token_source),
            (Some(5), Some(TokenSource::Usage))
        );
        assert!(t.finished);
    }

    #[test]
    fn one_counted_token_has_no_tpot() {
        let sent = Instant::now();
        let mut t = StreamTally::default();
        t.observe(text(4), sent + Duration::from_millis(10));
        let f = t.fields(sent, sent + Duration::from_millis(20));
        assert_eq!(
            (f.output_tokens, f.token_source),
            (Some(1), Some(TokenSource::Counted))
        );
        assert_eq!((f.tpot_s, f.gap_mean_s), (None, None));
    }
}
