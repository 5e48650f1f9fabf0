//! `report collect`: records the HPA, its events, the target's pods, pod metrics, the test
//! scripts' results files and the wrapped command's output into a session folder while a load
//! test runs. One module per source, all feeding one writer; watches where the API has them,
//! polling at `--interval` only for metrics.k8s.io.

pub mod command;
pub mod connect;
pub mod events;
pub mod follow;
pub mod health;
pub mod hpa;
pub mod metrics;
pub mod pods;
pub mod preflight;
pub mod quantity;
pub mod records;
pub mod results;
pub mod status;
pub mod writer;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::Api;
use kube::api::DynamicObject;
use kube::runtime::watcher;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::task::JoinHandle;

use crate::cli::CollectArgs;
use crate::session::manifest::{ClusterInfo, CommandInfo};
use crate::session::{Manifest, SessionDir, files};
use connect::Connection;
use follow::{WatchPlan, follow};
use health::Retry;
use preflight::{HPA_RESOURCE, Target};
use status::Terminal;
use writer::Sink;

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

/// How the recording ended.
struct Ending {
    reason: String,
    exit_code: i32,
    command: Option<CommandInfo>,
}

async fn collect(args: CollectArgs) -> Result<i32> {
    // Registered first, so Ctrl-C during the preflight is not the default "die at once".
    let mut signals = Signals::new()?;
    let connection = connect::connect(
        args.kubeconfig.as_deref(),
        args.context.as_deref(),
        args.namespace.as_deref(),
    )
    .await?;
    let (target, findings) = preflight::check(
        &connection.client,
        &connection.namespace,
        args.hpa.as_deref(),
    )
    .await?;

    let started = Utc::now();
    let name = args
        .session
        .clone()
        .unwrap_or_else(|| started.format("%Y%m%dT%H%M%SZ").to_string());
    let session = SessionDir::create(&args.data_root, &name)?;
    let mut manifest = initial_manifest(&name, started, &connection, &target, &args.command);
    manifest.write(&session.file(files::MANIFEST))?;

    let terminal = Terminal::new(std::io::stderr().is_terminal());
    terminal.message(&format!("recording into {}", session.path.display()));
    let (sink, writer) = writer::start(session.clone(), terminal.clone());
    for warning in &findings.warnings {
        sink.warning("preflight", warning.clone());
    }
    let sources = start_sources(&connection, &target, &args, &sink, findings.metrics_absent);
    let mut results =
        results::ResultsFiles::new(result_patterns(&args), session.clone(), sink.clone())?;
    results.note_existing();
    let results = results::ResultsTask::start(results, args.interval.min(Duration::from_secs(1)));

    let ending = if args.command.is_empty() {
        wait_without_command(args.duration, &mut signals).await
    } else {
        run_command(&args, &sink, &terminal, &mut signals).await
    };

    for source in sources {
        source.abort();
        let _ = source.await;
    }
    results.finish().await;
    sink.info("collect", format!("recording ended: {}", ending.reason));
    drop(sink);
    let summary = writer
        .await
        .context("the session writer stopped unexpectedly")?;
    terminal.finish();

    manifest.ended_at = Some(Utc::now());
    manifest.end_reason = Some(ending.reason.clone());
    if ending.command.is_some() {
        manifest.command = ending.command;
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
    Ok(ending.exit_code)
}

fn initial_manifest(
    name: &str,
    started: DateTime<Utc>,
    connection: &Connection,
    target: &Target,
    argv: &[String],
) -> Manifest {
    let mut manifest = Manifest::new(
        name,
        &format!("report collect {}", env!("CARGO_PKG_VERSION")),
        started,
    );
    manifest.utc_offset_seconds = Some(chrono::Local::now().offset().local_minus_utc());
    let (kind, target_name) = &target.scale_target;
    // Only names: nothing of the kubeconfig's credentials or server address is kept.
    manifest.cluster = Some(ClusterInfo {
        context: connection.context.clone(),
        namespace: connection.namespace.clone(),
        hpa_name: Some(target.hpa_name.clone()),
        hpa_spec: Some(target.hpa_spec.clone()),
        target: Some(format!("{kind}/{target_name}")),
        pod_selector: target.pod_selector.clone(),
    });
    if !argv.is_empty() {
        manifest.command = Some(CommandInfo {
            argv: argv.to_vec(),
            ..Default::default()
        });
    }
    manifest
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

fn start_sources(
    connection: &Connection,
    target: &Target,
    args: &CollectArgs,
    sink: &Sink,
    metrics_absent: bool,
) -> Vec<JoinHandle<()>> {
    let client = &connection.client;
    let namespace = connection.namespace.clone();
    let retry = Retry::for_interval(args.interval);
    let plan = |source, resource, config| WatchPlan {
        source,
        resource,
        namespace: namespace.clone(),
        config,
        tick: None,
        retry,
    };
    let mut tasks = Vec::new();

    let hpa_api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), &namespace, &preflight::hpa_resource());
    let mut hpa_plan = plan(
        "hpa",
        HPA_RESOURCE,
        watcher::Config::default().fields(&format!("metadata.name={}", target.hpa_name)),
    );
    hpa_plan.tick = Some(args.interval);
    tasks.push(tokio::spawn(follow(
        hpa_api,
        hpa_plan,
        hpa::HpaHandler::new(&target.hpa_name),
        sink.clone(),
    )));

    let relevance = events::Relevance {
        hpa: target.hpa_name.clone(),
        target_kind: target.scale_target.0.clone(),
        target: target.scale_target.1.clone(),
    };
    let events_api: Api<Event> = Api::namespaced(client.clone(), &namespace);
    let events_plan = plan("events", "events", watcher::Config::default());
    tasks.push(tokio::spawn(follow(
        events_api,
        events_plan,
        events::EventHandler::new(relevance),
        sink.clone(),
    )));

    if let Some(selector) = &target.pod_selector {
        let pods_api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
        let pods_plan = plan("pods", "pods", watcher::Config::default().labels(selector));
        tasks.push(tokio::spawn(follow(
            pods_api,
            pods_plan,
            pods::PodHandler::default(),
            sink.clone(),
        )));
    }

    let metrics_plan = metrics::MetricsPlan {
        namespace: namespace.clone(),
        pod_selector: target.pod_selector.clone(),
        interval: args.interval,
        known_absent: metrics_absent,
    };
    tasks.push(tokio::spawn(metrics::poll(
        client.clone(),
        metrics_plan,
        sink.clone(),
    )));
    tasks
}

struct Signals {
    interrupt: Signal,
    terminate: Signal,
}

impl Signals {
    fn new() -> Result<Self> {
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

async fn sleep_or_forever(duration: Option<Duration>) {
    match duration {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

async fn wait_without_command(duration: Option<Duration>, signals: &mut Signals) -> Ending {
    let reason = tokio::select! {
        signal = signals.recv() => format!("interrupted ({})", signal_name(signal)),
        _ = sleep_or_forever(duration) => "duration reached".to_string(),
    };
    Ending {
        reason,
        exit_code: 0,
        command: None,
    }
}

enum CommandOutcome {
    Exited(std::io::Result<std::process::ExitStatus>),
    Signalled(i32),
    DurationReached,
}

/// How long a child has to stop after being asked before it is killed.
const CHILD_GRACE: Duration = Duration::from_secs(10);

async fn run_command(
    args: &CollectArgs,
    sink: &Sink,
    terminal: &Terminal,
    signals: &mut Signals,
) -> Ending {
    let mut wrapped = match command::spawn(&args.command, sink, terminal) {
        Ok(w) => w,
        Err(e) => {
            sink.warning("command", format!("{e:#}"));
            let info = CommandInfo {
                argv: args.command.clone(),
                exit_code: Some(127),
                ..Default::default()
            };
            return Ending {
                reason: "command could not start".into(),
                exit_code: 127,
                command: Some(info),
            };
        }
    };
    sink.info("command", format!("started: {}", args.command.join(" ")));
    let outcome = tokio::select! {
        status = wrapped.wait() => CommandOutcome::Exited(status),
        signal = signals.recv() => CommandOutcome::Signalled(signal),
        _ = sleep_or_forever(args.duration) => CommandOutcome::DurationReached,
    };
    let (status, mut reason) = match outcome {
        CommandOutcome::Exited(status) => (status, "command exited".to_string()),
        CommandOutcome::Signalled(signal) => (
            wrapped.stop(signal, CHILD_GRACE).await,
            format!("interrupted ({})", signal_name(signal)),
        ),
        CommandOutcome::DurationReached => (
            wrapped.stop(libc::SIGTERM, CHILD_GRACE).await,
            "duration reached".to_string(),
        ),
    };
    let ended_at = Utc::now();
    wrapped.drain_output().await;
    let code = status.map(command::exit_code).unwrap_or(1);
    let seconds = (ended_at - wrapped.started_at).num_milliseconds() as f64 / 1000.0;
    sink.info(
        "command",
        format!("exited with code {code} after {seconds:.3} s"),
    );
    if reason == "command exited" && !args.linger.is_zero() {
        terminal.message(&format!(
            "the command exited; recording {} more (--linger)",
            humantime::format_duration(args.linger)
        ));
        tokio::select! {
            _ = tokio::time::sleep(args.linger) => {}
            signal = signals.recv() => reason = format!("command exited; linger interrupted ({})", signal_name(signal)),
        }
    }
    let info = CommandInfo {
        argv: args.command.clone(),
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
