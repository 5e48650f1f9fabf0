//! An incremental Server-Sent Events reader: bytes in as they arrive, whole events out.
//!
//! Follows the HTML living standard's event-stream parsing where the load tests need it: lines end
//! in LF, CRLF or CR; a line starting with `:` is a comment (keep-alive); `data:` lines of one
//! event are joined with `\n`; one space after the colon is dropped; an empty line ends the event;
//! `event:` names it. Unlike a browser, an event still open when the body ends is handed out too
//! (some servers close right after their last `data:` line).

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `event:` field, when given (`error` is the one that matters here).
    pub name: Option<String>,
    pub data: String,
}

#[derive(Debug, Default)]
pub struct SseReader {
    /// Bytes of a line not yet ended.
    line: Vec<u8>,
    data: Option<String>,
    name: Option<String>,
    /// The previous byte was CR: a following LF belongs to the same line end.
    after_cr: bool,
    /// Comment lines seen (keep-alives).
    pub comments: u64,
}

impl SseReader {
    /// Feeds the next bytes of the body; returns the events they completed.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        for &b in bytes {
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\n' => self.end_line(&mut events),
                b'\r' => {
                    self.after_cr = true;
                    self.end_line(&mut events);
                }
                _ => self.line.push(b),
            }
        }
        events
    }

    /// The body ended: the event still open, if any.
    pub fn finish(&mut self) -> Option<Event> {
        let mut events = Vec::new();
        if !self.line.is_empty() {
            self.end_line(&mut events);
        }
        self.dispatch(&mut events);
        events.pop()
    }

    fn end_line(&mut self, events: &mut Vec<Event>) {
        let line = std::mem::take(&mut self.line);
        let line = String::from_utf8_lossy(&line);
        if line.is_empty() {
            self.dispatch(events);
            return;
        }
        if line.starts_with(':') {
            self.comments += 1;
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            "data" => match self.data.as_mut() {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            },
            "event" => self.name = Some(value.to_string()),
            // `id` and `retry` only matter to a client that reconnects; a load test does not.
            _ => {}
        }
    }

    fn dispatch(&mut self, events: &mut Vec<Event>) {
        let name = self.name.take();
        if let Some(data) = self.data.take() {
            events.push(Event { name, data });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(events: &[Event]) -> Vec<&str> {
        events.iter().map(|e| e.data.as_str()).collect()
    }

    #[test]
    fn events_split_across_reads_and_line_ends_of_every_kind() {
        let mut r = SseReader::default();
        assert!(r.feed(b"data: {\"a\"").is_empty());
        assert_eq!(data(&r.feed(b":1}\n\n")), vec!["{\"a\":1}"]);
        assert_eq!(data(&r.feed(b"data:x\r\n\r\ndata: y\r\r")), vec!["x", "y"]);
        assert_eq!(r.finish(), None);
    }

    #[test]
    fn comments_are_skipped_and_multi_line_data_is_joined() {
        let mut r = SseReader::default();
        let events = r.feed(b": keep-alive\n\nevent: error\ndata: first\ndata:second\nid: 3\n\n");
        assert_eq!(
            events,
            vec![Event {
                name: Some("error".into()),
                data: "first\nsecond".into()
            }]
        );
        assert_eq!(r.comments, 1);
    }

    #[test]
    fn an_event_open_at_the_end_of_the_body_is_handed_out() {
        let mut r = SseReader::default();
        assert!(r.feed(b"data: [DONE]").is_empty());
        assert_eq!(r.finish().map(|e| e.data), Some("[DONE]".into()));
    }
}
