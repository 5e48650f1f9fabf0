//! `report collect`: records the HPA, its events, the target's pods, pod metrics, the test
//! scripts' results files and the wrapped command's output into a session folder while a load
//! test runs. One module per source, all feeding one writer; watches where the API has them,
//! polling at `--interval` only for metrics.k8s.io.

pub mod command;
pub mod connect;
pub mod ending;
pub mod events;
pub mod follow;
pub mod group;
pub mod health;
pub mod hpa;
pub mod metrics;
pub mod pods;
pub mod preflight;
pub mod quantity;
pub mod records;
pub mod results;
pub mod sources;
pub mod status;
pub mod writer;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::Utc;

use crate::cli::CollectArgs;
use crate::session::manifest::{ClusterInfo, CommandInfo};
use crate::session::redact::redact_urls;
use crate::session::{Manifest, SessionDir, files};
use connect::{Connection, Patience};
use ending::{CommandPlan, Ending, Signals};
use preflight::{Findings, Target};
use sources::{Recording, SourcePlan};
use status::Terminal;
use writer::WriteSummary;

/// Runs `report collect`; the exit code is the wrapped command's (0 without one).
pub fn run(args: CollectArgs) -> Result<ExitCode> {
    validate(&args)?;
    // One thread: the collector waits on sockets and timers almost all the time.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let code = runtime.block_on(collect(args))?;
    Ok(ExitCode::from(
        u8::try_from(code.clamp(0, 255)).unwrap_or(1),
    ))
}

fn validate(args: &CollectArgs) -> Result<()> {
    if args.interval < Duration::from_millis(100) {
        bail!(
            "--interval {:?} is too short; use 100ms or more (5s is the default)",
            args.interval
        );
    }
    if let Some(name) = &args.session
        && (name.is_empty() || name.contains(['/', '\\']) || name == "." || name == "..")
    {
        bail!("--session {name:?} must be a plain folder name (no slashes)");
    }
    results::check_patterns(&args.results)
}

async fn collect(args: CollectArgs) -> Result<i32> {
    // Registered first, so Ctrl-C during the preflight is not the default "die at once"; the
    // preflight is raced against it, since a silent API server holds it up to the read timeout.
    let mut signals = Signals::new()?;
    let (connection, target, findings) = tokio::select! {
        checked = check_cluster(&args) => checked?,
        signal = signals.recv() => {
            eprintln!("{} during the preflight; nothing was recorded", ending::interrupted(signal));
            return Ok(128 + signal);
        }
    };
    let (session, mut manifest) = open_session(&args, &connection, &target)?;

    let terminal = Terminal::new(std::io::stderr().is_terminal());
    let (sink, writer) = writer::start(session.clone(), terminal.clone());
    // Started before anything else is recorded: a command that cannot start leaves no session.
    let wrapped = if args.command.is_empty() {
        None
    } else {
        match command::spawn(&args.command, &session.path, &sink, &terminal) {
            Ok(wrapped) => Some(wrapped),
            Err(not_started) => {
                drop(sink);
                let _ = writer.await;
                terminal.finish();
                session.discard()?;
                eprintln!("error: {}; nothing was recorded", not_started.message);
                return Ok(not_started.exit_code);
            }
        }
    };
    terminal.message(&format!("recording into {}", session.path.display()));
    for warning in &findings.warnings {
        sink.warning("preflight", warning.clone());
    }
    let plan = SourcePlan {
        connection: &connection,
        target: &target,
        interval: args.interval,
        metrics_absent: findings.metrics_absent,
        result_patterns: result_patterns(&args),
    };
    let recording = Recording::start(&plan, &session, &sink)?;
    let ending = match wrapped {
        None => ending::without_command(args.duration, &mut signals).await,
        Some(wrapped) => {
            let command = CommandPlan {
                argv: &args.command,
                duration: args.duration,
                linger: args.linger,
            };
            ending::with_command(command, wrapped, &sink, &terminal, &mut signals).await
        }
    };
    recording.stop().await;
    sink.info("collect", format!("recording ended: {}", ending.reason));
    // The writer stops once the last sender is gone and everything sent is written.
    drop(sink);
    let summary = writer
        .await
        .context("the session writer stopped unexpectedly")?;
    terminal.finish();
    close_session(&session, &mut manifest, &ending, &summary)?;
    Ok(ending.exit_code)
}

async fn check_cluster(args: &CollectArgs) -> Result<(Connection, Target, Findings)> {
    let connection = connect::connect(
        args.kubeconfig.as_deref(),
        args.context.as_deref(),
        args.namespace.as_deref(),
        Patience::for_interval(args.interval),
    )
    .await?;
    let (target, findings) = preflight::check(
        &connection.client,
        &connection.namespace,
        args.hpa.as_deref(),
    )
    .await?;
    Ok((connection, target, findings))
}

/// Creates the session folder and writes the manifest's opening (no end yet: a recording
/// killed with `kill -9` is recognisable by that).
fn open_session(
    args: &CollectArgs,
    connection: &Connection,
    target: &Target,
) -> Result<(SessionDir, Manifest)> {
    let started = Utc::now();
    let name = args
        .session
        .clone()
        .unwrap_or_else(|| started.format("%Y%m%dT%H%M%SZ").to_string());
    let session = SessionDir::create(&args.data_root, &name)?;
    let mut manifest = Manifest::new(
        &name,
        &format!("report collect {}", env!("CARGO_PKG_VERSION")),
        started,
    );
    manifest.utc_offset_seconds = Some(chrono::Local::now().offset().local_minus_utc());
    manifest.cluster = Some(cluster_info(connection, target));
    if !args.command.is_empty() {
        manifest.command = Some(CommandInfo {
            argv: args.command.iter().map(|a| redact_urls(a)).collect(),
            ..Default::default()
        });
    }
    manifest.write(&session.file(files::MANIFEST))?;
    Ok((session, manifest))
}

/// Only names: nothing of the kubeconfig's credentials or server address is kept.
fn cluster_info(connection: &Connection, target: &Target) -> ClusterInfo {
    let (kind, name) = &target.scale_target;
    ClusterInfo {
        context: connection.context.clone(),
        namespace: connection.namespace.clone(),
        hpa_name: Some(target.hpa_name.clone()),
        hpa_spec: Some(target.hpa_spec.clone()),
        target: Some(format!("{kind}/{name}")),
        pod_selector: target.pod_selector.clone(),
        sim_speed: target.sim_speed,
    }
}

fn close_session(
    session: &SessionDir,
    manifest: &mut Manifest,
    ending: &Ending,
    summary: &WriteSummary,
) -> Result<()> {
    manifest.ended_at = Some(Utc::now());
    manifest.end_reason = Some(ending.reason.clone());
    if ending.command.is_some() {
        manifest.command = ending.command.clone();
    }
    manifest.write(&session.file(files::MANIFEST))?;
    eprintln!(
        "recorded {} records into {} ({})",
        summary.records,
        session.path.display(),
        ending.reason
    );
    if summary.failed_writes > 0 {
        eprintln!(
            "warning: {} records could not be written (see the first error above)",
            summary.failed_writes
        );
    }
    Ok(())
}

fn result_patterns(args: &CollectArgs) -> Vec<String> {
    if args.results.is_empty() {
        results::DEFAULT_PATTERNS
            .iter()
            .map(|p| p.to_string())
            .collect()
    } else {
        args.results.clone()
    }
}
