//! The wrapped command: run as a child, its output passed through unchanged and recorded line
//! by line with the time each line arrived.

use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Local, Utc};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use super::records::{ConsoleLine, Record};
use super::status::Terminal;
use super::writer::Sink;

/// How long a child may take to act on a Ctrl-C it received itself before it is sent one.
const OWN_SIGINT_WAIT: Duration = Duration::from_secs(2);

/// How long output may keep coming after the command exited.
const DRAIN_WAIT: Duration = Duration::from_secs(1);

pub struct Wrapped {
    child: Child,
    forwarders: Vec<JoinHandle<()>>,
    pub started_at: DateTime<Utc>,
}

pub fn spawn(
    argv: &[String],
    session_dir: &std::path::Path,
    sink: &Sink,
    terminal: &Terminal,
) -> Result<Wrapped> {
    let (program, args) = argv.split_first().context("no command given after --")?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Python buffers a piped stdout in 8 KiB blocks, which would stamp a whole block of
        // lines with one time; unbuffered output keeps each line's own time.
        .env("PYTHONUNBUFFERED", "1")
        // `report run` writes into the folder named here (docs/SESSION_FORMAT.md).
        .env(crate::run::session::SESSION_ENV, session_dir)
        .spawn()
        .with_context(|| format!("cannot run {program:?}: check the command after `--` (is it installed and on PATH?)"))?;
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
        forwarders,
        started_at: Utc::now(),
    })
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

    /// Passes a signal on (Ctrl-C reaches the whole process group, SIGTERM only us).
    pub fn signal(&self, signal: i32) {
        if let Some(pid) = self.child.id().and_then(|p| i32::try_from(p).ok()) {
            // SAFETY: kill(2) with a pid we spawned and still own (not yet reaped) and a valid
            // signal number has no memory effects.
            unsafe {
                libc::kill(pid, signal);
            }
        }
    }

    /// Asks the child to stop (`signal`), then kills it if it is still running after `grace`.
    pub async fn stop(&mut self, signal: i32, grace: Duration) -> std::io::Result<ExitStatus> {
        // Ctrl-C in a terminal reaches the whole foreground process group, so the child usually
        // has its SIGINT already; a second one could cut short its own clean-up (the test
        // scripts save their results on Ctrl-C). It gets one only if it does not stop by itself.
        if signal == libc::SIGINT
            && let Ok(status) = tokio::time::timeout(OWN_SIGINT_WAIT, self.child.wait()).await
        {
            return status;
        }
        self.signal(signal);
        match tokio::time::timeout(grace, self.child.wait()).await {
            Ok(status) => status,
            Err(_) => {
                self.child.start_kill()?;
                self.child.wait().await
            }
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
    let line = text
        .trim_end_matches('\n')
        .trim_end_matches('\r')
        .to_string();
    sink.send(Record::Console(ConsoleLine {
        t: Local::now(),
        line,
    }));
}
