//! The single writer: every source sends records here; each goes to its session file, one
//! line per record, written as it arrives (no buffering, so `kill -9` loses at most one line).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;

use anyhow::{Context, Result};
use chrono::{SecondsFormat, Utc};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::records::{CollectorRecord, ConsoleLine, Record};
use super::status::{StatusModel, Terminal};
use crate::session::SessionDir;
use crate::session::jsonl::JsonlWriter;

/// Where sources send records. Cheap to clone; sending never blocks.
#[derive(Clone)]
pub struct Sink {
    tx: mpsc::UnboundedSender<Record>,
}

impl Sink {
    #[cfg(test)]
    pub(crate) fn for_test(tx: mpsc::UnboundedSender<Record>) -> Self {
        Self { tx }
    }

    pub fn send(&self, record: Record) {
        // Only fails once the writer has stopped, at the very end: nothing left to keep.
        let _ = self.tx.send(record);
    }

    /// A line in `collector.jsonl` (kind: gap_start, gap_end, warning, info).
    pub fn log(&self, kind: &str, source: &str, message: impl Into<String>) {
        self.send(Record::Collector(CollectorRecord {
            t: Utc::now(),
            kind: kind.to_string(),
            source: source.to_string(),
            message: message.into(),
        }));
    }

    pub fn warning(&self, source: &str, message: impl Into<String>) {
        self.log("warning", source, message);
    }

    pub fn info(&self, source: &str, message: impl Into<String>) {
        self.log("info", source, message);
    }
}

/// What the writer did, reported when it stops.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteSummary {
    pub records: u64,
    pub failed_writes: u64,
}

/// Starts the writer task; it stops when every [`Sink`] clone is dropped.
pub fn start(session: SessionDir, terminal: Terminal) -> (Sink, JoinHandle<WriteSummary>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(write_all(rx, session, terminal));
    (Sink { tx }, task)
}

async fn write_all(
    mut rx: mpsc::UnboundedReceiver<Record>,
    session: SessionDir,
    terminal: Terminal,
) -> WriteSummary {
    let mut files = SessionFiles {
        session,
        jsonl: HashMap::new(),
        console: None,
    };
    let mut model = StatusModel::default();
    let mut summary = WriteSummary::default();
    while let Some(record) = rx.recv().await {
        announce(&terminal, &record);
        if let Err(e) = files.write(&record) {
            if summary.failed_writes == 0 {
                terminal.message(&format!(
                    "error: {e:#}; the recording continues but this record is lost"
                ));
            }
            summary.failed_writes += 1;
            continue;
        }
        model.observe(&record);
        terminal.set_status(model.line());
    }
    summary.records = model.records;
    summary
}

/// Tells the person at the terminal about problems as they happen.
fn announce(terminal: &Terminal, record: &Record) {
    let Record::Collector(log) = record else {
        return;
    };
    match log.kind.as_str() {
        "warning" => terminal.message(&format!("warning: {}: {}", log.source, log.message)),
        "gap_start" => terminal.message(&format!(
            "warning: {}: {} (retrying; the gap is recorded in collector.jsonl)",
            log.source, log.message
        )),
        "gap_end" => terminal.message(&format!("{}: {}", log.source, log.message)),
        _ => {}
    }
}

struct SessionFiles {
    session: SessionDir,
    jsonl: HashMap<&'static str, JsonlWriter>,
    console: Option<File>,
}

impl SessionFiles {
    fn write(&mut self, record: &Record) -> Result<()> {
        let name = record.file_name();
        match record {
            Record::Console(line) => self.write_console(line),
            Record::Hpa(r) => self.jsonl(name)?.append(r),
            Record::Event(r) => self.jsonl(name)?.append(r),
            Record::Pod(r) => self.jsonl(name)?.append(r),
            Record::Usage(r) => self.jsonl(name)?.append(r),
            Record::Collector(r) => self.jsonl(name)?.append(r),
            Record::Results(r) => self.jsonl(name)?.append(r),
        }
    }

    fn jsonl(&mut self, name: &'static str) -> Result<&mut JsonlWriter> {
        if !self.jsonl.contains_key(name) {
            let writer = JsonlWriter::open(&self.session.file(name))?;
            self.jsonl.insert(name, writer);
        }
        self.jsonl.get_mut(name).context("writer just opened")
    }

    /// `console.log`: `<RFC 3339 local time with offset> TAB <line>`.
    fn write_console(&mut self, line: &ConsoleLine) -> Result<()> {
        let path = self.session.file(crate::session::files::CONSOLE_LOG);
        if self.console.is_none() {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .with_context(|| format!("cannot open {} for appending", path.display()))?;
            self.console = Some(file);
        }
        let text = format!(
            "{}\t{}\n",
            line.t.to_rfc3339_opts(SecondsFormat::Micros, false),
            line.line
        );
        let file = self.console.as_mut().context("console log just opened")?;
        file.write_all(text.as_bytes())
            .with_context(|| format!("cannot append to {}", path.display()))
    }
}
