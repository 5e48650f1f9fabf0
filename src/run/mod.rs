//! `report run`: the user's four load tests built in, open-loop, every request recorded.
//!
//! Writes into the session folder `requests.ndjson`, `run_events.jsonl` and `session.json`
//! (unless it joins a session `report collect` owns), and the scripts' own results files
//! into `--results-dir` (default: the session folder).

pub mod basic;
pub mod client;
pub mod console;
pub mod engine;
pub mod prompts;
pub mod record;
pub mod results;
pub mod session;
pub mod soak;
pub mod spike;
pub mod stats;
pub mod stress;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::Local;

use crate::cli::{CommonRunArgs, RunArgs, RunTest};
use client::ChatClient;
use console::Console;
use engine::{Engine, StopReason};
use results::{AdvancedResults, BENCHMARK_FILE, advanced_file_name, write_json};
use session::RunSession;

/// Exit code after Ctrl-C, as shells report an interrupted command.
const EXIT_INTERRUPTED: u8 = 130;

/// Entry point from `main`: builds the runtime and runs the chosen test.
pub fn execute(args: RunArgs) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let summary = runtime.block_on(run(args))?;
    Ok(if summary.interrupted {
        ExitCode::from(EXIT_INTERRUPTED)
    } else {
        ExitCode::SUCCESS
    })
}

/// What a finished run wrote, for callers and tests.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub session: std::path::PathBuf,
    pub results_file: Option<std::path::PathBuf>,
    pub requests: u64,
    pub interrupted: bool,
    pub breaking_point: Option<f64>,
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
    print_intro(&console, &args.test, &common.url);
    if !common.skip_health_check {
        console.line("🔍 Testing health endpoint first...");
        let health = client::health_check(
            &common.url,
            common.timeout.min(std::time::Duration::from_secs(10)),
        )
        .await?;
        console.line(format!("✅ Health check: {health}"));
    }
    let client = ChatClient::new(&common.url, &common.path, common.timeout)?;
    let bodies = prompts::bodies(
        &prompts::load(common.prompts.as_deref())?,
        common.max_tokens,
    );
    let mut session = RunSession::open(&common, name)?;
    let (recorder, writer) =
        record::start_recorder(&session.requests_path(), &session.events_path())?;
    let engine = Arc::new(Engine::new(name, client, bodies, recorder, console.clone()));
    let ctrl_c = watch_ctrl_c(engine.clone());
    let results = run_test(&engine, &args.test, common.all_results).await;
    ctrl_c.abort();
    // The writer ends when the last recorder handle goes: the engine's and the Ctrl-C task's.
    let _ = ctrl_c.await;
    let stop = engine.stop_reason();
    drop(engine);
    let recorded = tokio::task::spawn_blocking(move || writer.join())
        .await
        .ok()
        .and_then(Result::ok)
        .context("the request writer thread failed")?;
    let results_file = save_results(&session, &console, &results)?;
    let interrupted = stop == Some(StopReason::Interrupted);
    session.finish(end_reason(stop), interrupted)?;
    if let Some(error) = recorded.write_error {
        return Err(error.context("some request records could not be written"));
    }
    Ok(RunSummary {
        session: session.dir.path.clone(),
        results_file,
        requests: recorded.requests,
        interrupted,
        breaking_point: match stop {
            Some(StopReason::BreakingPoint(rate)) => Some(rate),
            _ => None,
        },
    })
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

/// Ctrl-C stops scheduling; requests in flight still end (by their timeout at the latest). A
/// second Ctrl-C quits at once: the records already written stay valid.
fn watch_ctrl_c(engine: Arc<Engine>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        engine.console.line(format!(
            "\n⚠️  Interrupted: no new requests; waiting for the {} in flight (Ctrl-C again to quit now)...",
            engine.in_flight()
        ));
        engine.stop(StopReason::Interrupted);
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("second Ctrl-C: quitting; requests.ndjson holds every request that ended");
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    })
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
