//! The wrapped command: run as a child in a process group of its own, its output passed through
//! unchanged and recorded line by line (credentials in URLs redacted) with the time each line
//! arrived.

use std::io::IsTerminal;
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use chrono::{DateTime, Local, Utc};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use super::group::ProcessGroup;
use super::records::{ConsoleLine, Record};
use super::status::Terminal;
use super::writer::Sink;
use crate::session::redact::redact_urls;

/// How long output may keep coming after the command exited.
const DRAIN_WAIT: Duration = Duration::from_secs(1);

pub struct Wrapped {
    child: Child,
    group: Option<ProcessGroup>,
    forwarders: Vec<JoinHandle<()>>,
    pub started_at: DateTime<Utc>,
}

/// The command could not be started: nothing ran.
#[derive(Debug)]
pub struct NotStarted {
    pub message: String,
    /// As a shell says it: 127 not found, 126 found but not runnable.
    pub exit_code: i32,
}

pub fn spawn(
    argv: &[String],
    session_dir: &std::path::Path,
    sink: &Sink,
    terminal: &Terminal,
) -> Result<Wrapped, NotStarted> {
    let Some((program, args)) = argv.split_first() else {
        return Err(NotStarted {
            message: "no command given after --".into(),
            exit_code: 127,
        });
    };
    // In a group of its own the command is not in the terminal's foreground group: reading the
    // terminal would stop it (SIGTTIN), so it reads nothing from one.
    let stdin = if std::io::stdin().is_terminal() {
        Stdio::null()
    } else {
        Stdio::inherit()
    };
    let mut child = Command::new(program)
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        // Python buffers a piped stdout in 8 KiB blocks, which would stamp a whole block of
        // lines with one time; unbuffered output keeps each line's own time.
        .env("PYTHONUNBUFFERED", "1")
        // `report run` writes into the folder named here (docs/SESSION_FORMAT.md).
        .env(crate::run::session::SESSION_ENV, session_dir)
        .spawn()
        .map_err(|e| not_started(program, &e))?;
    let group = child.id().and_then(ProcessGroup::led_by);
    let mut forwarders = Vec::new();
    if let Some(out) = child.stdout.take() {
        forwarders.push(tokio::spawn(forward(
            out,
            false,
            sink.clone(),
            terminal.clone(),
        )));
    }
    if let Some(err) = child.stderr.take() {
        forwarders.push(tokio::spawn(forward(
            err,
            true,
            sink.clone(),
            terminal.clone(),
        )));
    }
    Ok(Wrapped {
        child,
        group,
        forwarders,
        started_at: Utc::now(),
    })
}

fn not_started(program: &str, error: &std::io::Error) -> NotStarted {
    let program = redact_urls(program);
    match error.kind() {
        std::io::ErrorKind::NotFound => NotStarted {
            message: format!(
                "cannot run {program:?}: not found; check the command after `--` (is it installed and on PATH?)"
            ),
            exit_code: 127,
        },
        std::io::ErrorKind::PermissionDenied => NotStarted {
            message: format!(
                "cannot run {program:?}: permission denied; is it executable (chmod +x) and not a folder?"
            ),
            exit_code: 126,
        },
        _ => NotStarted {
            message: format!("cannot run {program:?}: {error}"),
            exit_code: 126,
        },
    }
}

impl Wrapped {
    pub async fn wait(&mut self) -> std::io::Result<ExitStatus> {
        self.child.wait().await
    }

    /// Waits until both output streams are drained (the child may exit before its last lines
    /// are read), but not for long: a background process the command left behind may hold
    /// them open indefinitely.
    pub async fn drain_output(&mut self) {
        let deadline = tokio::time::Instant::now() + DRAIN_WAIT;
        for mut forwarder in self.forwarders.drain(..) {
            if tokio::time::timeout_at(deadline, &mut forwarder)
                .await
                .is_err()
            {
                forwarder.abort();
            }
        }
    }

    /// Passes a signal on to the whole group. The group is not the terminal's foreground group,
    /// so a Ctrl-C typed there reached only `report collect`: the command gets it from here, once.
    pub fn signal(&self, signal: i32) {
        if let Some(group) = self.group {
            group.signal(signal);
        }
    }

    /// Asks the command to stop (`signal`), then kills its group if it still runs after `grace`.
    pub async fn stop(&mut self, signal: i32, grace: Duration) -> std::io::Result<ExitStatus> {
        self.signal(signal);
        match tokio::time::timeout(grace, self.child.wait()).await {
            Ok(status) => status,
            Err(_) => {
                self.signal(libc::SIGKILL);
                self.child.start_kill()?;
                self.child.wait().await
            }
        }
    }

    /// Ends whatever the command left running in its group (after it exited); how many.
    pub async fn end_leftovers(&self, grace: Duration) -> usize {
        match self.group {
            Some(group) => group.end(grace).await,
            None => 0,
        }
    }
}

/// The shell convention: the exit code, or 128 + the signal that ended the process.
pub fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

async fn forward<R: AsyncRead + Unpin>(
    mut reader: R,
    to_stderr: bool,
    sink: Sink,
    terminal: Terminal,
) {
    let mut buffer = vec![0u8; 8192];
    let mut partial: Vec<u8> = Vec::new();
    loop {
        let n = match reader.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buffer[..n];
        terminal.pass_through(chunk, to_stderr);
        partial.extend_from_slice(chunk);
        while let Some(end) = partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = partial.drain(..=end).collect();
            record_line(&line, &sink);
        }
    }
    if !partial.is_empty() {
        record_line(&partial, &sink);
    }
}

fn record_line(bytes: &[u8], sink: &Sink) {
    let text = String::from_utf8_lossy(bytes);
    let line = redact_urls(text.trim_end_matches('\n').trim_end_matches('\r'));
    sink.send(Record::Console(ConsoleLine {
        t: Local::now(),
        line,
    }));
}
