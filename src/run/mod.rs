//! `report run`: the user's four load tests built in, open-loop, every request recorded.
//!
//! Writes into the session folder `requests.ndjson`, `run_events.jsonl` and `session.json`
//! (unless it joins a session `report collect` owns), and the scripts' own results files
//! into `--results-dir` (default: the session folder).

pub mod api;
pub mod basic;
pub mod client;
pub mod console;
pub mod engine;
pub mod outcome;
pub mod prompts;
pub mod record;
pub mod results;
pub mod session;
pub mod soak;
pub mod spike;
pub mod stats;
pub mod stress;
pub mod tally;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::Local;
use tokio::signal::unix::{SignalKind, signal};

use crate::cli::{CommonRunArgs, RunArgs, RunTest};
use client::ChatClient;
use console::Console;
use engine::{Engine, StopReason};
use outcome::{Ending, MaxStable};
use results::{AdvancedResults, BENCHMARK_FILE, advanced_file_name, write_json};
use session::RunSession;

use crate::session::redact::redact_url;

/// Exit codes, as shells report a command ended by a signal: 128 + SIGINT (2) or SIGTERM (15).
const EXIT_INTERRUPTED: u8 = 130;
const EXIT_TERMINATED: u8 = 143;
/// Exit code when requests ended and every one of them failed.
pub const EXIT_ALL_FAILED: u8 = 4;

/// The signal that stopped a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interruption {
    CtrlC,
    Terminate,
}

impl Interruption {
    fn exit_code(self) -> u8 {
        match self {
            Self::CtrlC => EXIT_INTERRUPTED,
            Self::Terminate => EXIT_TERMINATED,
        }
    }
}

/// Entry point from `main`: builds the runtime and runs the chosen test.
pub fn execute(args: RunArgs) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let summary = runtime.block_on(run(args));
    // Requests abandoned by a second Ctrl-C may still be running: do not wait for them.
    runtime.shutdown_background();
    Ok(ExitCode::from(summary?.exit_code()))
}

/// What a finished run wrote, for callers and tests.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub session: std::path::PathBuf,
    pub results_file: Option<std::path::PathBuf>,
    pub requests: u64,
    pub interrupted: bool,
    pub interruption: Option<Interruption>,
    pub breaking_point: Option<f64>,
    /// Requests ended and none succeeded.
    pub all_failed: bool,
}

impl RunSummary {
    /// The signal's code after an interruption, else 4 when every request failed, else 0.
    pub fn exit_code(&self) -> u8 {
        Self::code_for(self.interruption, self.all_failed)
    }

    fn code_for(interruption: Option<Interruption>, all_failed: bool) -> u8 {
        match interruption {
            Some(signal) => signal.exit_code(),
            None if all_failed => EXIT_ALL_FAILED,
            None => 0,
        }
    }
}

pub fn common(test: &RunTest) -> &CommonRunArgs {
    match test {
        RunTest::Basic(a) => &a.common,
        RunTest::Spike(a) => &a.common,
        RunTest::Stress(a) => &a.common,
        RunTest::Soak(a) => &a.common,
    }
}

pub fn test_name(test: &RunTest) -> &'static str {
    match test {
        RunTest::Basic(_) => "basic",
        RunTest::Spike(_) => "spike",
        RunTest::Stress(_) => "stress",
        RunTest::Soak(_) => "soak",
    }
}

/// Runs one test end to end inside a tokio runtime: health check, load, files.
pub async fn run(args: RunArgs) -> Result<RunSummary> {
    validate(&args.test)?;
    let common = common(&args.test).clone();
    let name = test_name(&args.test);
    let console = Arc::new(Console::new(common.quiet));
    print_intro(&console, &args.test, &redact_url(&common.url));
    if !common.skip_health_check {
        console.line("🔍 Testing health endpoint first...");
        let health = client::health_check(
            &common.url,
            common.timeout.min(std::time::Duration::from_secs(10)),
        )
        .await?;
        console.line(format!("✅ Health check: {health}"));
    }
    let api = common.api.build();
    let path = common.path.as_deref().unwrap_or(api.default_path());
    let key = std::env::var(api::API_KEY_ENV).ok();
    let prompts = match common.input_tokens {
        Some(tokens) => prompts::synthetic(tokens),
        None => prompts::load(common.prompts.as_deref())?,
    };
    let bodies = prompts::bodies(&prompts, |p| {
        api.body(&api::Request {
            prompt: &p.prompt,
            max_tokens: common
                .output_tokens
                .or(p.max_tokens)
                .unwrap_or(common.max_tokens),
            model: common.model.as_deref(),
            fixed_length: common.output_tokens.is_some(),
        })
    });
    let client = ChatClient::new(&common.url, path, common.timeout, api.clone(), key)?;
    let mut session = RunSession::open(&common, name)?;
    let (recorder, writer) =
        record::start_recorder(&session.requests_path(), &session.events_path())?;
    let engine = Arc::new(Engine::new(name, client, bodies, recorder, console.clone()));
    let (quit_tx, quit_rx) = tokio::sync::oneshot::channel();
    let interruption = Arc::new(std::sync::OnceLock::new());
    let signals = watch_signals(engine.clone(), interruption.clone(), quit_tx)?;
    let results = tokio::select! {
        results = run_test(&engine, &args.test, common.all_results) => Some(results),
        Ok(()) = quit_rx => None,
    };
    signals.abort();
    // The writer ends when the last recorder handle goes (the engine's, the signal task's), or
    // at once after a second signal, once the records queued before it are written.
    let _ = signals.await;
    let in_flight = engine.in_flight();
    if results.is_none() {
        engine.close_recorder();
    }
    let stop = engine.stop_reason();
    let phases = engine.tallies.snapshot();
    drop(engine);
    let recorded = tokio::task::spawn_blocking(move || writer.join())
        .await
        .ok()
        .and_then(Result::ok)
        .context("the request writer thread failed")?;
    let interruption = interruption.get().copied();
    let results_file = match &results {
        Some(results) => save_results(&session, &console, results)?,
        None => {
            console.line(format!(
                "⚠️  Quit at the second signal: {in_flight} requests in flight abandoned; no results \
                 file written; requests.ndjson holds every request that ended"
            ));
            None
        }
    };
    let end_reason = match results {
        Some(_) => end_reason(stop),
        None => format!(
            "interrupted: quit at the second signal, {in_flight} requests in flight abandoned"
        ),
    };
    let all_failed = outcome::every_request_failed(&phases);
    let summary_code = RunSummary::code_for(interruption, all_failed);
    session.finish(end_reason, i32::from(summary_code))?;
    outcome::print(
        &console,
        &Ending {
            phases: &phases,
            overall: matches!(args.test, RunTest::Stress(_) | RunTest::Soak(_)),
            max_stable: max_stable(&args.test, results.as_ref()),
            session: &session.dir.path,
            joined: session.joined(),
            invocation: &crate::cli::invocation::self_command(),
        },
    );
    if let Some(error) = recorded.write_error {
        return Err(error.context("some request records could not be written"));
    }
    Ok(RunSummary {
        session: session.dir.path.clone(),
        results_file,
        requests: recorded.requests,
        interrupted: interruption.is_some(),
        interruption,
        breaking_point: match stop {
            Some(StopReason::BreakingPoint(rate)) => Some(rate),
            _ => None,
        },
        all_failed,
    })
}

/// The stress test's highest step that ran to its end below the breaking point.
fn max_stable(test: &RunTest, results: Option<&TestResults>) -> MaxStable {
    let (RunTest::Stress(_), Some(TestResults::Advanced(file))) = (test, results) else {
        return MaxStable::NotStress;
    };
    let Some(stress) = &file.stress else {
        return MaxStable::NotStress;
    };
    let breaking = stress.breaking_point.as_f64().unwrap_or(f64::INFINITY);
    stress
        .steps
        .iter()
        .filter(|s| !s.partial)
        .filter_map(|s| s.target_rps.as_f64())
        .filter(|rate| *rate < breaking)
        .reduce(f64::max)
        .map_or(MaxStable::NoStep, MaxStable::Rate)
}

fn print_intro(console: &Console, test: &RunTest, url: &str) {
    match test {
        RunTest::Basic(_) => console.line(format!("🎯 Testing CodeLlama 7B service at: {url}")),
        _ => {
            console.line("");
            console.line(format!("🚀 Starting Advanced Load Tests against {url}"));
            console.line(format!(
                "⏰ Start time: {}",
                Local::now().format("%Y-%m-%d %H:%M:%S")
            ));
            console.line("");
        }
    }
}

/// Ctrl-C or SIGTERM stops scheduling; requests in flight still end (by their timeout at the
/// latest) and the results file is written. A second signal stops waiting for them: `quit`
/// fires, and the records already queued are still written.
fn watch_signals(
    engine: Arc<Engine>,
    interruption: Arc<std::sync::OnceLock<Interruption>>,
    quit: tokio::sync::oneshot::Sender<()>,
) -> Result<tokio::task::JoinHandle<()>> {
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?;
    Ok(tokio::spawn(async move {
        let first = tokio::select! {
            Ok(()) = tokio::signal::ctrl_c() => Interruption::CtrlC,
            Some(()) = terminate.recv() => Interruption::Terminate,
            else => return,
        };
        let _ = interruption.set(first);
        engine.console.line(format!(
            "\n⚠️  Interrupted: no new requests; waiting for the {} in flight (Ctrl-C again to quit now)...",
            engine.in_flight()
        ));
        engine.stop(StopReason::Interrupted);
        tokio::select! {
            Ok(()) = tokio::signal::ctrl_c() => {}
            Some(()) = terminate.recv() => {}
            else => return,
        }
        eprintln!("second signal: quitting; writing the records of every request that ended");
        let _ = quit.send(());
    }))
}

/// The results the test produced, in the shape of the scripts' file.
enum TestResults {
    Benchmark(Vec<basic::ScenarioRun>),
    Advanced(Box<AdvancedResults>),
}

async fn run_test(engine: &Arc<Engine>, test: &RunTest, keep_all: bool) -> TestResults {
    match test {
        RunTest::Basic(args) => {
            let runs = basic::run(engine, args).await;
            TestResults::Benchmark(runs)
        }
        RunTest::Spike(args) => advanced(AdvancedResults {
            spike: Some(spike::run(engine, args, keep_all).await),
            ..AdvancedResults::default()
        }),
        RunTest::Stress(args) => advanced(AdvancedResults {
            stress: Some(stress::run(engine, args, keep_all).await),
            ..AdvancedResults::default()
        }),
        RunTest::Soak(args) => advanced(AdvancedResults {
            soak: Some(soak::run(engine, args, keep_all).await),
            ..AdvancedResults::default()
        }),
    }
}

fn advanced(results: AdvancedResults) -> TestResults {
    TestResults::Advanced(Box::new(results))
}

fn save_results(
    session: &RunSession,
    console: &Console,
    results: &TestResults,
) -> Result<Option<std::path::PathBuf>> {
    match results {
        TestResults::Benchmark(runs) => {
            // Scenarios without a success are left out, as the script does.
            let scenarios: Vec<&results::ScenarioResult> =
                runs.iter().filter_map(|r| r.result.as_ref()).collect();
            let path = write_json(&session.results_dir, BENCHMARK_FILE, &scenarios)?;
            let saved = format!("✅ Results saved to {BENCHMARK_FILE}");
            console.lines(["", console::RULE, &saved, console::RULE]);
            basic::print_summary(console, runs);
            Ok(Some(path))
        }
        TestResults::Advanced(file) => {
            let name = advanced_file_name(Local::now());
            let path = write_json(&session.results_dir, &name, file)?;
            let end = format!("⏰ End time: {}", Local::now().format("%Y-%m-%d %H:%M:%S"));
            console.lines(["", &format!("✅ Results saved to {name}"), &end]);
            Ok(Some(path))
        }
    }
}

fn end_reason(stop: Option<StopReason>) -> String {
    match stop {
        None => "completed".to_string(),
        Some(StopReason::Interrupted) => "interrupted".to_string(),
        Some(StopReason::BreakingPoint(rate)) => format!("breaking point reached at {rate} req/s"),
    }
}

/// Refuses option values that would make no test (checked before anything is written).
pub fn validate(test: &RunTest) -> Result<()> {
    match test {
        RunTest::Stress(a) if a.start > a.max => {
            bail!(
                "--start {} is above --max {}; no step would run",
                a.start,
                a.max
            )
        }
        _ => Ok(()),
    }
}
