//! How a recording ends: the wrapped command exits (plus `--linger`), Ctrl-C or SIGTERM, or
//! `--duration`; and the exit code `report collect` returns.

use std::process::ExitStatus;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::Utc;
use tokio::signal::unix::{Signal, SignalKind, signal};

use super::command::{self, Wrapped};
use super::status::Terminal;
use super::writer::Sink;
use crate::session::manifest::CommandInfo;

/// How long a child has to stop after being asked before it is killed.
const CHILD_GRACE: Duration = Duration::from_secs(10);

/// Exit code when the command cannot be started, as a shell reports it.
const CANNOT_START: i32 = 127;

/// How the recording ended, for the manifest and the exit code.
pub struct Ending {
    pub reason: String,
    pub exit_code: i32,
    pub command: Option<CommandInfo>,
}

/// SIGINT and SIGTERM, caught so that the recording can be closed properly.
pub struct Signals {
    interrupt: Signal,
    terminate: Signal,
}

impl Signals {
    pub fn new() -> Result<Self> {
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
            terminate: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
        })
    }

    /// The signal number received.
    async fn recv(&mut self) -> i32 {
        tokio::select! {
            _ = self.interrupt.recv() => libc::SIGINT,
            _ = self.terminate.recv() => libc::SIGTERM,
        }
    }
}

fn signal_name(signal: i32) -> &'static str {
    if signal == libc::SIGINT {
        "SIGINT"
    } else {
        "SIGTERM"
    }
}

fn interrupted(signal: i32) -> String {
    format!("interrupted ({})", signal_name(signal))
}

async fn sleep_or_forever(duration: Option<Duration>) {
    match duration {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

/// Without a command: until a signal or `duration`; exits 0.
pub async fn without_command(duration: Option<Duration>, signals: &mut Signals) -> Ending {
    let reason = tokio::select! {
        signal = signals.recv() => interrupted(signal),
        _ = sleep_or_forever(duration) => "duration reached".to_string(),
    };
    Ending {
        reason,
        exit_code: 0,
        command: None,
    }
}

/// What `--` runs and how long to go on after it.
pub struct CommandPlan<'a> {
    pub argv: &'a [String],
    /// The session folder, handed to the command as `REPORT_SESSION` so `report run` joins it.
    pub session_dir: &'a std::path::Path,
    pub duration: Option<Duration>,
    pub linger: Duration,
}

/// Runs the command until it exits (or a signal, or `duration`), then lingers.
pub async fn with_command(
    plan: CommandPlan<'_>,
    sink: &Sink,
    terminal: &Terminal,
    signals: &mut Signals,
) -> Ending {
    let mut wrapped = match command::spawn(plan.argv, plan.session_dir, sink, terminal) {
        Ok(wrapped) => wrapped,
        Err(e) => return cannot_start(plan.argv, sink, &e),
    };
    sink.info("command", format!("started: {}", plan.argv.join(" ")));
    let (status, mut reason) = wait_for_command(&mut wrapped, plan.duration, signals).await;
    let ended_at = Utc::now();
    wrapped.drain_output().await;
    let code = status.map(command::exit_code).unwrap_or(1);
    let seconds = (ended_at - wrapped.started_at).num_milliseconds() as f64 / 1000.0;
    sink.info(
        "command",
        format!("exited with code {code} after {seconds:.3} s"),
    );
    if reason == "command exited"
        && let Some(signal) = linger(plan.linger, terminal, signals).await
    {
        reason = format!("command exited; linger {}", interrupted(signal));
    }
    let info = CommandInfo {
        argv: plan.argv.to_vec(),
        exit_code: Some(code),
        started_at: Some(wrapped.started_at),
        ended_at: Some(ended_at),
    };
    Ending {
        reason,
        exit_code: code,
        command: Some(info),
    }
}

fn cannot_start(argv: &[String], sink: &Sink, error: &anyhow::Error) -> Ending {
    sink.warning("command", format!("{error:#}"));
    let info = CommandInfo {
        argv: argv.to_vec(),
        exit_code: Some(CANNOT_START),
        ..Default::default()
    };
    Ending {
        reason: "command could not start".into(),
        exit_code: CANNOT_START,
        command: Some(info),
    }
}

/// The command's exit status and why it ended.
async fn wait_for_command(
    wrapped: &mut Wrapped,
    duration: Option<Duration>,
    signals: &mut Signals,
) -> (std::io::Result<ExitStatus>, String) {
    enum Outcome {
        Exited(std::io::Result<ExitStatus>),
        Signalled(i32),
        DurationReached,
    }
    let outcome = tokio::select! {
        status = wrapped.wait() => Outcome::Exited(status),
        signal = signals.recv() => Outcome::Signalled(signal),
        _ = sleep_or_forever(duration) => Outcome::DurationReached,
    };
    match outcome {
        Outcome::Exited(status) => (status, "command exited".to_string()),
        Outcome::Signalled(signal) => {
            (wrapped.stop(signal, CHILD_GRACE).await, interrupted(signal))
        }
        Outcome::DurationReached => (
            wrapped.stop(libc::SIGTERM, CHILD_GRACE).await,
            "duration reached".to_string(),
        ),
    }
}

/// Keeps recording after the command (the HPA scales down minutes later); returns the signal
/// that cut it short, if any.
async fn linger(linger: Duration, terminal: &Terminal, signals: &mut Signals) -> Option<i32> {
    if linger.is_zero() {
        return None;
    }
    terminal.message(&format!(
        "the command exited; recording {} more (--linger)",
        humantime::format_duration(linger)
    ));
    tokio::select! {
        _ = tokio::time::sleep(linger) => None,
        signal = signals.recv() => Some(signal),
    }
}
