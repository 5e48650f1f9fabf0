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
use crate::session::redact::redact_urls;

/// How long a child has to stop after being asked before it is killed.
const CHILD_GRACE: Duration = Duration::from_secs(10);

/// How often the linger countdown is redrawn.
const COUNTDOWN_TICK: Duration = Duration::from_secs(1);

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
    pub async fn recv(&mut self) -> i32 {
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

pub fn interrupted(signal: i32) -> String {
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
    pub duration: Option<Duration>,
    pub linger: Duration,
}

/// Follows the started command until it exits (or a signal, or `duration`), ends what it left
/// running in its process group, then lingers.
pub async fn with_command(
    plan: CommandPlan<'_>,
    mut wrapped: Wrapped,
    sink: &Sink,
    terminal: &Terminal,
    signals: &mut Signals,
) -> Ending {
    sink.info(
        "command",
        format!("started: {}", redact_urls(&plan.argv.join(" "))),
    );
    let (status, mut reason) = wait_for_command(&mut wrapped, plan.duration, signals).await;
    let ended_at = Utc::now();
    wrapped.drain_output().await;
    let code = status.map(command::exit_code).unwrap_or(1);
    let seconds = (ended_at - wrapped.started_at).num_milliseconds() as f64 / 1000.0;
    sink.info(
        "command",
        format!("exited with code {code} after {seconds:.3} s"),
    );
    // Whatever it started and left behind would otherwise go on (sending load) unrecorded.
    let leftovers = wrapped.end_leftovers(CHILD_GRACE).await;
    if leftovers > 0 {
        sink.warning(
            "command",
            format!(
                "the command left {leftovers} process(es) running in its process group; ended them (SIGTERM, SIGKILL after {} s)",
                CHILD_GRACE.as_secs()
            ),
        );
    }
    if reason == "command exited"
        && let Some(signal) = linger(plan.linger, terminal, signals).await
    {
        reason = format!("command exited; linger {}", interrupted(signal));
    }
    let info = CommandInfo {
        argv: plan.argv.iter().map(|a| redact_urls(a)).collect(),
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

/// Keeps recording after the command (the HPA scales down minutes later), counting down on the
/// status line; returns the signal that cut it short, if any.
async fn linger(linger: Duration, terminal: &Terminal, signals: &mut Signals) -> Option<i32> {
    if linger.is_zero() {
        return None;
    }
    terminal.message(&format!(
        "the command exited; recording {} more (--linger)",
        crate::units::duration_text(linger)
    ));
    let end = tokio::time::Instant::now() + linger;
    let mut countdown = tokio::time::interval(COUNTDOWN_TICK);
    let interrupted = loop {
        tokio::select! {
            _ = tokio::time::sleep_until(end) => break None,
            signal = signals.recv() => break Some(signal),
            _ = countdown.tick() => terminal.set_countdown(Some(end - tokio::time::Instant::now())),
        }
    };
    terminal.set_countdown(None);
    interrupted
}
