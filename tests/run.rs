//! `report run` end to end against the stand-in service on loopback: exact request counts per
//! phase, the open-loop rate under a stalled server, errors counted by kind, and the scripts'
//! files agreeing with the per-request records.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clap::Parser;
use report::cli::{Cli, Command};
use report::run::record::{Boundary, ErrorKind, RequestRecord, RunEvent};
use report::run::{RunSummary, run};
use report::session::jsonl::read_jsonl;
use report::session::{Manifest, files};
use report::sim::service::{self, SimConfig, SimHandle};
use serde_json::Value;

/// Stated tolerances for the rate sent against the target: the median gap between consecutive
/// sends within 2 % of 1/rate (steady pace), and the whole phase's sends, first to last, within
/// 5 % (no gap; one send delayed by a busy machine moves this span, not the median).
const PACE_TOLERANCE: f64 = 0.02;
const SPAN_TOLERANCE: f64 = 0.05;
/// Stated bounds on how late a request may leave compared with its schedule. A closed-loop
/// client facing a stalled service is late by the stall (seconds).
const MAX_LAG_P50_S: f64 = 0.02;
const MAX_LAG_P99_S: f64 = 0.25;

/// A 3-second spike: 4 req/s for 1 s, 20 req/s for 1 s, 4 req/s for 1 s (4/20/4 requests).
const SHORT_SPIKE: [&str; 10] = [
    "--baseline",
    "4",
    "--baseline-duration",
    "1s",
    "--rps",
    "20",
    "--duration",
    "1s",
    "--recovery-duration",
    "1s",
];

async fn sim(config: SimConfig) -> SimHandle {
    service::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap()
}

/// A service fast enough never to queue at the rates used here.
fn roomy() -> SimConfig {
    SimConfig {
        slots: 1000,
        queue_limit: 1000,
        per_request: Duration::from_millis(10),
        per_token: Duration::ZERO,
        tokens: 7,
        ..SimConfig::default()
    }
}

async fn run_cli(args: &[&str]) -> RunSummary {
    let mut argv = vec!["report", "run"];
    argv.extend_from_slice(args);
    argv.push("--quiet");
    let cli = Cli::try_parse_from(&argv).unwrap();
    let Command::Run(args) = cli.command else {
        panic!("not a run command")
    };
    run(args).await.unwrap()
}

/// A stand-in service and a fresh session folder for one test.
struct Fixture {
    server: SimHandle,
    dir: tempfile::TempDir,
    session: PathBuf,
}

impl Fixture {
    async fn new(config: SimConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let session = dir.path().join("s");
        Self {
            server: sim(config).await,
            dir,
            session,
        }
    }

    /// `report run TEST --url <service> --session <folder> ARGS...`
    async fn run(&self, test: &str, args: &[&str]) -> RunSummary {
        let url = self.server.url();
        let session = self.session.to_str().unwrap();
        run_cli(&[&[test, "--url", &url, "--session", session][..], args].concat()).await
    }
}

fn read_records(session: &Path) -> Vec<RequestRecord> {
    let (records, bad) = read_jsonl::<RequestRecord>(&session.join(files::REQUESTS)).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    records
}

fn events(session: &Path) -> Vec<RunEvent> {
    read_jsonl::<RunEvent>(&session.join(files::RUN_EVENTS))
        .unwrap()
        .0
}

fn json_file(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn advanced_file(dir: &Path) -> (PathBuf, Value) {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("advanced_test_results_")
        })
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    let value = json_file(&found[0]);
    (found[0].clone(), value)
}

fn in_phase<'a>(records: &'a [RequestRecord], phase: &str) -> Vec<&'a RequestRecord> {
    records.iter().filter(|r| r.phase == phase).collect()
}

fn count_kind(records: &[&RequestRecord], kind: ErrorKind) -> usize {
    records
        .iter()
        .filter(|r| r.error_kind == Some(kind))
        .count()
}

/// Independent check of the figures: linear interpolation between closest ranks.
fn linear_percentile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = (v.len() - 1) as f64 * q;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// The analysis object of the file must be what the records give.
fn assert_analysis_matches(analysis: &Value, records: &[&RequestRecord]) {
    let ok: Vec<f64> = records
        .iter()
        .filter(|r| r.ok)
        .map(|r| r.latency_s)
        .collect();
    assert_eq!(analysis["total"], records.len() as u64, "{analysis}");
    assert_eq!(analysis["successful"], ok.len() as u64, "{analysis}");
    assert_eq!(
        analysis["failed"],
        (records.len() - ok.len()) as u64,
        "{analysis}"
    );
    let tokens: u64 = records
        .iter()
        .filter(|r| r.ok)
        .filter_map(|r| r.tokens)
        .sum();
    assert_eq!(analysis["total_tokens"], tokens);
    let mean = ok.iter().sum::<f64>() / ok.len() as f64;
    assert!(
        close(analysis["avg_latency"].as_f64().unwrap(), mean),
        "{analysis}"
    );
    for (key, q) in [
        ("median_latency", 0.5),
        ("p95_latency", 0.95),
        ("p99_latency", 0.99),
    ] {
        assert!(
            close(analysis[key].as_f64().unwrap(), linear_percentile(&ok, q)),
            "{key}: {analysis}"
        );
    }
    assert!(close(
        analysis["max_latency"].as_f64().unwrap(),
        linear_percentile(&ok, 1.0)
    ));
    assert!(close(
        analysis["min_latency"].as_f64().unwrap(),
        linear_percentile(&ok, 0.0)
    ));
}

fn secs_between(a: chrono::DateTime<chrono::Utc>, b: chrono::DateTime<chrono::Utc>) -> f64 {
    (b - a).num_microseconds().unwrap() as f64 / 1e6
}

fn send_times(records: &[&RequestRecord]) -> Vec<f64> {
    let first = records.iter().map(|r| r.sent).min().unwrap();
    let mut times: Vec<f64> = records
        .iter()
        .map(|r| secs_between(first, r.sent))
        .collect();
    times.sort_by(f64::total_cmp);
    times
}

/// Requests sent per second between the first and the last send of a phase.
fn achieved_rate(records: &[&RequestRecord]) -> f64 {
    let times = send_times(records);
    (times.len() - 1) as f64 / times[times.len() - 1]
}

/// Requests per second from the median gap between consecutive sends.
fn median_pace(records: &[&RequestRecord]) -> f64 {
    let times = send_times(records);
    let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    1.0 / linear_percentile(&gaps, 0.5)
}

fn lags(records: &[&RequestRecord]) -> Vec<f64> {
    records
        .iter()
        .map(|r| r.latency_s - r.latency_from_send_s)
        .collect()
}

fn assert_rate_held(records: &[&RequestRecord], target: f64) {
    let (span, pace) = (achieved_rate(records), median_pace(records));
    assert!(
        (span / target - 1.0).abs() <= SPAN_TOLERANCE,
        "sent {span:.3} req/s for {target}"
    );
    assert!(
        (pace / target - 1.0).abs() <= PACE_TOLERANCE,
        "paced {pace:.3} req/s for {target}"
    );
    let (p50, p99) = (
        linear_percentile(&lags(records), 0.5),
        linear_percentile(&lags(records), 0.99),
    );
    assert!(
        p50 <= MAX_LAG_P50_S && p99 <= MAX_LAG_P99_S,
        "schedule lag p50 {p50:.4}s p99 {p99:.4}s"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spike_sends_exact_counts_per_phase_and_files_agree_with_records() {
    let fx = Fixture::new(roomy()).await;
    let session = &fx.session;
    let summary = fx
        .run("spike", &[&SHORT_SPIKE[..], &["--all-results"]].concat())
        .await;
    assert_eq!(summary.requests, 28);
    assert!(!summary.interrupted);
    let records = read_records(session);
    let counts: Vec<usize> = ["baseline", "spike", "recovery"]
        .iter()
        .map(|p| in_phase(&records, p).len())
        .collect();
    assert_eq!(counts, [4, 20, 4]);
    assert!(
        records
            .iter()
            .all(|r| r.ok && r.status == Some(200) && r.tokens == Some(7))
    );
    assert!(
        records
            .iter()
            .all(|r| r.server_latency_s.is_some_and(|s| s >= 0.01))
    );
    assert_rate_held(&in_phase(&records, "spike"), 20.0);

    let boundaries: Vec<(String, Boundary)> = events(session)
        .into_iter()
        .map(|e| (e.phase, e.event))
        .collect();
    let expected: Vec<(String, Boundary)> = ["baseline", "spike", "recovery"]
        .iter()
        .flat_map(|p| {
            [
                (p.to_string(), Boundary::Start),
                (p.to_string(), Boundary::End),
            ]
        })
        .collect();
    assert_eq!(boundaries, expected);

    let (_, file) = advanced_file(session);
    let spike = &file["spike"];
    assert_eq!(spike["test_type"], "spike");
    for (key, phase) in [
        ("baseline_results", "baseline"),
        ("spike_results", "spike"),
        ("recovery_results", "recovery"),
    ] {
        assert_analysis_matches(&spike[key], &in_phase(&records, phase));
    }
    assert_eq!(spike["all_results"].as_array().unwrap().len(), 28);
    assert_eq!(spike["all_results"][0]["tokens"], 7);

    let manifest = Manifest::read(&session.join(files::MANIFEST)).unwrap();
    assert!(manifest.created_by.starts_with("report run"));
    assert_eq!(manifest.end_reason.as_deref(), Some("completed"));
    assert!(manifest.utc_offset_seconds.is_some());
    fx.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_holds_while_the_server_stalls_and_in_flight_grows_instead() {
    let fx = Fixture::new(roomy()).await;
    let (server, session) = (&fx.server, &fx.session);
    let stats = async {
        // Freeze the service after 20 arrivals and thaw it only after 60 more arrived: the
        // client must keep sending on schedule with nothing coming back.
        wait_until(|| server.stats().received.load(Ordering::SeqCst) >= 20).await;
        server.stall();
        wait_until(|| server.stats().received.load(Ordering::SeqCst) >= 80).await;
        let frozen_in_flight = server.stats().in_flight.load(Ordering::SeqCst);
        server.resume();
        frozen_in_flight
    };
    let load = fx.run("soak", &["--rps", "50", "--duration", "2s"]);
    let (summary, frozen_in_flight) = tokio::join!(load, stats);
    assert_eq!(summary.requests, 100);
    assert!(
        frozen_in_flight >= 55,
        "only {frozen_in_flight} requests in flight while stalled"
    );
    let records = read_records(session);
    let all: Vec<&RequestRecord> = records.iter().collect();
    assert!(all.iter().all(|r| r.ok));
    assert_rate_held(&all, 50.0);
    let slowest = all.iter().map(|r| r.latency_s).fold(0.0, f64::max);
    assert!(slowest >= 1.0, "the stall shows in latency: max {slowest}");
    let (_, file) = advanced_file(session);
    assert_analysis_matches(&file["soak"]["overall_analysis"], &all);
    fx.server.shutdown().await;
}

async fn wait_until(condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !condition() {
        assert!(Instant::now() < deadline, "condition not reached in 20 s");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_and_5xx_are_counted_by_kind() {
    let config = SimConfig {
        failure_rate: 0.25,
        failure_status: 503,
        per_request: Duration::from_millis(800),
        ..roomy()
    };
    let fx = Fixture::new(config).await;
    let session = &fx.session;
    let results_dir = fx.dir.path().join("elsewhere");
    fx.run(
        "soak",
        &[
            "--rps",
            "20",
            "--duration",
            "1s",
            "--timeout",
            "200ms",
            "--results-dir",
            results_dir.to_str().unwrap(),
        ],
    )
    .await;
    let records = read_records(session);
    let all: Vec<&RequestRecord> = records.iter().collect();
    assert_eq!(all.len(), 20);
    assert_eq!(count_kind(&all, ErrorKind::Http5xx), 5);
    assert_eq!(count_kind(&all, ErrorKind::Timeout), 15);
    assert!(
        all.iter()
            .filter(|r| r.error_kind == Some(ErrorKind::Http5xx))
            .all(|r| r.status == Some(503))
    );
    let (_, file) = advanced_file(&results_dir);
    let overall = &file["soak"]["overall_analysis"];
    assert_eq!(
        *overall,
        serde_json::json!({"total": 20, "successful": 0, "failed": 20, "success_rate": 0.0})
    );
    fx.server.shutdown().await;
}

/// Three requests (10 req/s for 0.3 s) to a URL that is no HTTP service.
async fn soak_without_health_check(url: &str, session: &Path) -> Vec<RequestRecord> {
    let session_arg = session.to_str().unwrap();
    let args = [
        "soak",
        "--url",
        url,
        "--skip-health-check",
        "--session",
        session_arg,
    ];
    run_cli(&[&args[..], &["--rps", "10", "--duration", "0.3s"]].concat()).await;
    read_records(session)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_and_reset_connections_are_counted_without_crashing() {
    let refused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refused_url = format!("http://{}", refused.local_addr().unwrap());
    drop(refused);
    let dir = tempfile::tempdir().unwrap();
    let records = soak_without_health_check(&refused_url, &dir.path().join("refused")).await;
    let all: Vec<&RequestRecord> = records.iter().collect();
    assert_eq!(all.len(), 3);
    assert_eq!(count_kind(&all, ErrorKind::ConnectRefused), 3, "{all:?}");

    let resetting = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let reset_url = format!("http://{}", resetting.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((socket, _)) = resetting.accept().await {
            // Read a little of the request, then close without answering.
            let _ = socket.readable().await;
            drop(socket);
        }
    });
    let records = soak_without_health_check(&reset_url, &dir.path().join("reset")).await;
    let all: Vec<&RequestRecord> = records.iter().collect();
    assert_eq!(all.len(), 3);
    assert_eq!(count_kind(&all, ErrorKind::Reset), 3, "{all:?}");
}

/// Stress from 4 to 16 req/s in 3 s steps against two slots of 200 ms: 10 req/s at most; two
/// requests may wait, the rest get 503.
async fn stress_a_service_saturating_at_10_rps() -> (Fixture, RunSummary) {
    let config = SimConfig {
        slots: 2,
        queue_limit: 2,
        per_request: Duration::from_millis(200),
        ..roomy()
    };
    let fx = Fixture::new(config).await;
    let args = ["--start", "4", "--step", "4", "--max", "16"];
    let summary = fx
        .run("stress", &[&args[..], &["--step-duration", "3s"]].concat())
        .await;
    (fx, summary)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stress_stops_at_the_breaking_point_of_a_service_saturating_at_10_rps() {
    let (fx, summary) = stress_a_service_saturating_at_10_rps().await;
    let session = &fx.session;
    assert_eq!(summary.breaking_point, Some(12.0));
    let records = read_records(session);
    for (phase, rate) in [("4RPS", 4.0), ("8RPS", 8.0), ("12RPS", 12.0)] {
        let step = in_phase(&records, phase);
        assert_eq!(step.len(), (rate * 3.0) as usize, "{phase}");
        assert_rate_held(&step, rate);
    }
    assert!(
        in_phase(&records, "4RPS")
            .iter()
            .chain(&in_phase(&records, "8RPS"))
            .all(|r| r.ok)
    );
    let broken = in_phase(&records, "12RPS");
    let rejected = count_kind(&broken, ErrorKind::Http5xx);
    assert!(rejected >= 2, "{rejected} rejected");
    assert_eq!(rejected, broken.iter().filter(|r| !r.ok).count());

    let (_, file) = advanced_file(session);
    let stress = &file["stress"];
    assert_eq!(stress["breaking_point"], 12);
    assert_eq!(stress["max_tested"], 12);
    assert_eq!(stress["all_results"], serde_json::json!([]));
    let steps = stress["steps"].as_array().unwrap();
    assert_eq!(steps[0]["target_rps"], 4);
    assert_analysis_matches(&steps[1], &in_phase(&records, "8RPS"));
    assert_eq!(steps[2]["failed"], rejected as u64);
    assert!(
        in_phase(&records, "16RPS").len() < 48,
        "scheduling stopped at the breaking point"
    );
    let manifest = Manifest::read(&session.join(files::MANIFEST)).unwrap();
    assert_eq!(
        manifest.end_reason.as_deref(),
        Some("breaking point reached at 12 req/s")
    );
    fx.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_scenarios_write_benchmark_results_like_the_script() {
    let fx = Fixture::new(roomy()).await;
    let session = &fx.session;
    fx.run("basic", &["--scenarios", "3x1,4x2", "--pause", "0s"])
        .await;
    let records = read_records(session);
    let scenarios = json_file(&session.join("benchmark_results.json"));
    let scenarios = scenarios.as_array().unwrap();
    assert_eq!(scenarios.len(), 2);
    for (scenario, (name, total, workers)) in scenarios.iter().zip([
        ("Light Load (Sequential)", 3, 1),
        ("Medium Load (2 Concurrent)", 4, 2),
    ]) {
        assert_eq!(scenario["scenario"], name);
        assert_eq!(scenario["total_requests"], total);
        assert_eq!(scenario["concurrency"], workers);
        let mine = in_phase(&records, name);
        assert_eq!(mine.len(), total);
        let ok: Vec<f64> = mine.iter().map(|r| r.latency_s).collect();
        assert!(close(
            scenario["p95_latency"].as_f64().unwrap(),
            linear_percentile(&ok, 0.95)
        ));
        assert!(close(
            scenario["p50_latency"].as_f64().unwrap(),
            linear_percentile(&ok, 0.5)
        ));
        let total_time = scenario["total_time"].as_f64().unwrap();
        assert!(close(
            scenario["throughput"].as_f64().unwrap(),
            total as f64 / total_time
        ));
    }
    fx.server.shutdown().await;

    // A scenario where everything failed is left out of the file, as the script does.
    let failing = Fixture::new(SimConfig {
        failure_rate: 1.0,
        ..roomy()
    })
    .await;
    let session = &failing.session;
    failing
        .run("basic", &["--scenarios", "2x1", "--pause", "0s"])
        .await;
    assert_eq!(
        json_file(&session.join("benchmark_results.json")),
        serde_json::json!([])
    );
    assert_eq!(
        read_records(session)
            .iter()
            .filter(|r| r.error_kind == Some(ErrorKind::Http5xx))
            .count(),
        2
    );
    failing.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_scheduling_and_writes_what_it_has() {
    let fx = Fixture::new(roomy()).await;
    let (server, session) = (&fx.server, &fx.session);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_report"))
        .args([
            "run",
            "soak",
            "--url",
            &server.url(),
            "--rps",
            "20",
            "--duration",
            "60s",
            "--quiet",
        ])
        .arg("--session")
        .arg(session)
        .spawn()
        .unwrap();
    let requests = session.join(files::REQUESTS);
    wait_until(|| std::fs::read_to_string(&requests).is_ok_and(|t| t.lines().count() >= 10)).await;
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(status.code(), Some(130));
    let records = read_records(session);
    let (_, file) = advanced_file(session);
    assert_eq!(file["soak"]["status"], "interrupted");
    assert_eq!(
        file["soak"]["overall_analysis"]["total"],
        records.len() as u64
    );
    assert!(records.len() < 1200);
    let manifest = Manifest::read(&session.join(files::MANIFEST)).unwrap();
    assert_eq!(manifest.end_reason.as_deref(), Some("interrupted"));
    assert_eq!(manifest.command.unwrap().exit_code, Some(130));
    fx.server.shutdown().await;
}

/// The binary running 5 requests with the session given the way `report collect` gives it.
fn short_soak_into(server: &SimHandle, session: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_report"));
    command
        .args([
            "run",
            "soak",
            "--url",
            &server.url(),
            "--rps",
            "10",
            "--duration",
            "0.5s",
            "--quiet",
        ])
        .env("REPORT_SESSION", session);
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joins_a_session_report_collect_owns_through_the_environment() {
    let fx = Fixture::new(roomy()).await;
    let (server, session) = (&fx.server, &fx.session);
    std::fs::create_dir_all(session).unwrap();
    let owner = Manifest::new("s", "report collect 0.1.0", chrono::Utc::now());
    owner.write(&session.join(files::MANIFEST)).unwrap();
    let status = short_soak_into(server, session).status().unwrap();
    assert!(status.success());
    assert_eq!(read_records(session).len(), 5);
    assert_eq!(
        Manifest::read(&session.join(files::MANIFEST)).unwrap(),
        owner,
        "collect's manifest is left alone"
    );
    advanced_file(session);

    // Another test joins too (a whole test plan under one collect): its records are appended.
    let basic = std::process::Command::new(env!("CARGO_BIN_EXE_report"))
        .args(["run", "basic", "--url", &server.url(), "--quiet"])
        .args(["--scenarios", "3x1", "--pause", "0s"])
        .env("REPORT_SESSION", session)
        .status()
        .unwrap();
    assert!(basic.success());
    let tests: Vec<String> = read_records(session).into_iter().map(|r| r.test).collect();
    assert_eq!(tests, [vec!["soak"; 5], vec!["basic"; 3]].concat());

    // A second soak would mix with the first (records name the test, not the run): refused, with
    // the folder and the test named.
    let again = short_soak_into(server, session).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains(session.to_str().unwrap()), "{stderr}");
    assert!(stderr.contains("already holds a soak run"), "{stderr}");
    assert_eq!(read_records(session).len(), 8);
    fx.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_service_fails_the_health_check_with_advice() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let cli = Cli::try_parse_from(["report", "run", "soak", "--url", &url, "--quiet"]).unwrap();
    let Command::Run(args) = cli.command else {
        unreachable!()
    };
    let error = format!("{:#}", run(args).await.unwrap_err());
    assert!(
        error.contains("health check") && error.contains("--skip-health-check"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_errors_and_bodies_that_are_not_json_are_counted_by_kind() {
    // Arrivals 4 and 8 get 429; of the six answered, every second body is not JSON.
    let config = SimConfig {
        failure_rate: 0.25,
        failure_status: 429,
        bad_body_rate: 0.5,
        ..roomy()
    };
    let fx = Fixture::new(config).await;
    let prompts = fx.dir.path().join("prompts.txt");
    std::fs::write(
        &prompts,
        "Write hello world in C\n\nWrite fizzbuzz in Rust\n",
    )
    .unwrap();
    let prompts_arg = prompts.to_str().unwrap();
    fx.run(
        "soak",
        &["--rps", "8", "--duration", "1s", "--prompts", prompts_arg],
    )
    .await;
    let records = read_records(&fx.session);
    let all: Vec<&RequestRecord> = records.iter().collect();
    assert_eq!(all.len(), 8);
    assert_eq!(count_kind(&all, ErrorKind::Http4xx), 2);
    assert_eq!(count_kind(&all, ErrorKind::BadBody), 3);
    assert_eq!(all.iter().filter(|r| r.ok).count(), 3);
    let (_, file) = advanced_file(&fx.session);
    assert_analysis_matches(&file["soak"]["overall_analysis"], &all);
    fx.server.shutdown().await;

    // A prompts file with no prompt is refused, naming the file and the flag.
    let empty = fx.dir.path().join("empty.txt");
    std::fs::write(&empty, "\n \n").unwrap();
    let cli = Cli::try_parse_from([
        "report",
        "run",
        "soak",
        "--url",
        "http://127.0.0.1:9",
        "--skip-health-check",
        "--prompts",
        empty.to_str().unwrap(),
        "--quiet",
    ])
    .unwrap();
    let Command::Run(args) = cli.command else {
        unreachable!()
    };
    let error = format!("{:#}", run(args).await.unwrap_err());
    assert!(
        error.contains("--prompts") && error.contains("empty.txt"),
        "{error}"
    );
}

/// `report build` on a session folder; returns its summary.json.
fn build_report(session: &Path) -> Value {
    let out = session.parent().unwrap().join("out");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_report"))
        .args([
            "build",
            session.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let name = session.file_name().unwrap().to_str().unwrap();
    json_file(&out.join(name).join("summary.json"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_reads_the_run_records_and_reports_exact_percentiles_per_phase_and_window() {
    let fx = Fixture::new(roomy()).await;
    // No --all-results: build must take the records from requests.ndjson.
    fx.run("spike", &SHORT_SPIKE).await;
    let records = read_records(&fx.session);
    let summary = build_report(&fx.session);
    let spike = &summary["analysis"]["spikes"][0];
    for (i, (name, phase)) in [
        ("Baseline", "baseline"),
        ("Spike", "spike"),
        ("Recovery", "recovery"),
    ]
    .iter()
    .enumerate()
    {
        let row = &spike["phases"][i]["row"];
        let mine: Vec<f64> = in_phase(&records, phase)
            .iter()
            .filter(|r| r.ok)
            .map(|r| r.latency_s)
            .collect();
        assert_eq!(spike["phases"][i]["name"], *name);
        assert_eq!(row["requests"]["value"].as_f64(), Some(mine.len() as f64));
        assert!(
            close(
                row["p95"]["value"].as_f64().unwrap(),
                linear_percentile(&mine, 0.95)
            ),
            "{name} p95"
        );
        assert!(
            close(
                row["p50"]["value"].as_f64().unwrap(),
                linear_percentile(&mine, 0.50)
            ),
            "{name} p50"
        );
        assert!(
            row["source"].as_str().unwrap().contains("records"),
            "{}",
            row["source"]
        );
        // The phase boundaries come from run_events.jsonl: 1 s per phase, as scheduled.
        assert!(
            close(
                spike["phases"][i]["duration"]["value"].as_f64().unwrap(),
                1.0
            ),
            "{name} duration"
        );
    }
    // Per-window percentiles: every request counted once, in the window of its end time.
    let timeline = &summary["analysis"]["timelines"][0];
    let window_s = timeline["window_s"].as_i64().unwrap();
    let windows = timeline["windows"].as_array().unwrap();
    let total: u64 = windows
        .iter()
        .map(|w| w["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(total, records.len() as u64);
    for w in windows {
        let start = chrono::DateTime::parse_from_rfc3339(w["start"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc);
        let inside: Vec<f64> = records
            .iter()
            .filter(|r| {
                r.ok && r.ended >= start && r.ended < start + chrono::TimeDelta::seconds(window_s)
            })
            .map(|r| r.latency_s)
            .collect();
        assert!(close(
            w["p95"]["value"].as_f64().or(w["p95"].as_f64()).unwrap(),
            linear_percentile(&inside, 0.95)
        ));
    }
    fx.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_reports_the_run_stress_steps_with_their_achieved_rate_and_breaking_point() {
    let (fx, _) = stress_a_service_saturating_at_10_rps().await;
    let summary = build_report(&fx.session);
    let stress = &summary["analysis"]["stresses"][0];
    assert_eq!(stress["breaking_point"]["value"].as_f64(), Some(12.0));
    let steps = stress["steps"].as_array().unwrap();
    // The rate sent comes from the records' `sent` stamps (it used to be the schedule's, so
    // this test could not fail): recomputed here from requests.ndjson.
    let records = read_records(&fx.session);
    for (step, (phase, rate)) in steps.iter().zip([("4RPS", 4.0), ("8RPS", 8.0)]) {
        assert_eq!(step["target_rps"].as_f64(), Some(rate));
        let expected = achieved_rate(&in_phase(&records, phase));
        let got = step["achieved_rps"]["value"].as_f64().unwrap();
        assert!((got / expected - 1.0).abs() < 1e-6, "{got} != {expected}");
        assert!(step["achieved_rps"]["flag"].is_null());
    }
    assert_eq!(steps[2]["status"], "breaking");
    // The criteria `report run` used are recorded in its file and applied by build.
    let (_, file) = advanced_file(&fx.session);
    assert_eq!(file["stress"]["criteria"]["min_success_percent"], 95.0);
    assert_eq!(file["stress"]["criteria"]["max_avg_latency_s"], 10.0);
    assert_eq!(stress["criteria"]["recorded_by_run"], true);
    fx.server.shutdown().await;
}

/// `report run soak` as the user runs it (not quiet), stdout piped: (exit code, stdout).
fn soak_binary(url: &str, session: &Path, rate: &str, duration: &str) -> (Option<i32>, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_report"))
        .args([
            "run",
            "soak",
            "--url",
            url,
            "--rps",
            rate,
            "--duration",
            duration,
        ])
        .arg("--session")
        .arg(session)
        .env_remove("REPORT_SESSION")
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_broken_down_by_kind_and_a_run_where_all_failed_exits_4() {
    // A quarter of 8 requests answered 503: the run works, the breakdown says what failed.
    let some = Fixture::new(SimConfig {
        failure_rate: 0.25,
        failure_status: 503,
        ..roomy()
    })
    .await;
    let (code, stdout) = soak_binary(&some.server.url(), &some.session, "8", "1s");
    assert_eq!(code, Some(0), "{stdout}");
    let session = some.session.to_str().unwrap();
    for line in [
        "📋 Failures by phase:",
        "  soak: 6 of 8 ok; failed: http5xx 503: 2",
        "📋 Overall:",
        "  Requests: 8 sent, 8 ended: 6 ok (75.0%), 2 failed",
        "  Failures: http5xx 503: 2",
        &format!("📁 Session: {session}"),
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "{line:?} missing:\n{stdout}"
        );
    }
    let next = stdout
        .lines()
        .find(|l| l.starts_with("➡️  Next: "))
        .unwrap();
    assert!(next.ends_with(&format!(" build {session}")), "{next}");
    assert!(!stdout.contains("EVERY REQUEST FAILED"));
    // The achieved rate is measured from the records' sent stamps, as an independent check.
    let records = read_records(&some.session);
    let sends = send_times(&records.iter().collect::<Vec<_>>());
    let expected = (sends.len() - 1) as f64 / (sends[sends.len() - 1] - sends[0]);
    let achieved = stdout
        .lines()
        .find_map(|l| l.strip_prefix("  Achieved rate: "))
        .unwrap();
    assert!(
        achieved.starts_with(&format!("{expected:.2} req/s (7 gaps")),
        "{achieved}"
    );
    some.server.shutdown().await;

    // Every request answered 404 (a wrong --path): a loud warning and exit code 4.
    let none = Fixture::new(SimConfig {
        failure_rate: 1.0,
        failure_status: 404,
        ..roomy()
    })
    .await;
    let (code, stdout) = soak_binary(&none.server.url(), &none.session, "10", "0.5s");
    assert_eq!(code, Some(4), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l == "  soak: 0 of 5 ok; failed: http4xx 404: 5"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "❌ EVERY REQUEST FAILED (5 of 5): http4xx 404: 5. Check --url and --path (the service \
             must answer POST on the path) and the service itself; exit code 4."
        ),
        "{stdout}"
    );
    let manifest = Manifest::read(&none.session.join(files::MANIFEST)).unwrap();
    assert_eq!(manifest.command.unwrap().exit_code, Some(4));
    none.server.shutdown().await;
}

/// Starts `report run soak` at 20 req/s for a minute and waits for its first 10 records.
async fn soak_child(fx: &Fixture) -> std::process::Child {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_report"))
        .args(["run", "soak", "--url", &fx.server.url()])
        .args(["--rps", "20", "--duration", "60s", "--quiet"])
        .arg("--session")
        .arg(&fx.session)
        .env_remove("REPORT_SESSION")
        .spawn()
        .unwrap();
    let requests = fx.session.join(files::REQUESTS);
    wait_until(|| std::fs::read_to_string(&requests).is_ok_and(|t| t.lines().count() >= 10)).await;
    child
}

fn signal(child: &std::process::Child, name: &str) {
    let sent = std::process::Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

async fn wait_for_exit(mut child: std::process::Child) -> Option<i32> {
    let started = Instant::now();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    status.code()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_is_handled_like_ctrl_c() {
    let fx = Fixture::new(roomy()).await;
    let child = soak_child(&fx).await;
    signal(&child, "TERM");
    assert_eq!(wait_for_exit(child).await, Some(143));
    let records = read_records(&fx.session);
    let (_, file) = advanced_file(&fx.session);
    assert_eq!(file["soak"]["status"], "interrupted");
    assert_eq!(
        file["soak"]["overall_analysis"]["total"],
        records.len() as u64
    );
    let manifest = Manifest::read(&fx.session.join(files::MANIFEST)).unwrap();
    assert_eq!(manifest.end_reason.as_deref(), Some("interrupted"));
    assert_eq!(manifest.command.unwrap().exit_code, Some(143));
    fx.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_ctrl_c_quits_but_keeps_every_record_and_closes_the_session() {
    let fx = Fixture::new(roomy()).await;
    let child = soak_child(&fx).await;
    // Freeze the service: the requests from now on stay in flight.
    fx.server.stall();
    wait_until(|| fx.server.stats().in_flight.load(Ordering::SeqCst) >= 5).await;
    signal(&child, "INT");
    tokio::time::sleep(Duration::from_millis(300)).await;
    signal(&child, "INT");
    assert_eq!(wait_for_exit(child).await, Some(130));
    let completed = fx.server.stats().completed.load(Ordering::SeqCst);
    assert_eq!(read_records(&fx.session).len() as u64, completed);
    let manifest = Manifest::read(&fx.session.join(files::MANIFEST)).unwrap();
    let reason = manifest.end_reason.unwrap();
    assert!(
        reason.starts_with("interrupted: quit at the second signal, ")
            && reason.ends_with(" requests in flight abandoned"),
        "{reason}"
    );
    assert_eq!(manifest.command.unwrap().exit_code, Some(130));
    fx.server.resume();
    fx.server.shutdown().await;
}

/// A loopback server answering every request with `answer`; counts the requests it gets.
async fn answering(
    answer: impl Fn() -> axum::response::Response + Clone + Send + Sync + 'static,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicU64>) {
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let answer = answer.clone();
        counter.fetch_add(1, Ordering::SeqCst);
        async move { answer() }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_origin_redirects_are_not_followed_and_huge_bodies_not_read() {
    use axum::response::IntoResponse;
    let (elsewhere, elsewhere_hits) = answering(|| {
        axum::Json(serde_json::json!({"tokens_generated": 1, "latency_seconds": 0.1}))
            .into_response()
    })
    .await;
    let location = format!("{elsewhere}/chat");
    let (redirecting, _) = answering(move || {
        (
            axum::http::StatusCode::TEMPORARY_REDIRECT,
            [(axum::http::header::LOCATION, location.clone())],
        )
            .into_response()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let records = soak_without_health_check(&redirecting, &dir.path().join("redirect")).await;
    assert_eq!(elsewhere_hits.load(Ordering::SeqCst), 0);
    assert_eq!(records.len(), 3);
    for r in &records {
        assert_eq!(
            (r.error_kind, r.status),
            (Some(ErrorKind::Redirect), Some(307))
        );
        assert_eq!(
            r.error.as_deref(),
            Some(
                format!(
                    "HTTP 307: redirect to {elsewhere}/chat not followed (only redirects to the \
                     same scheme, host and port are)"
                )
                .as_str()
            )
        );
    }

    // A valid answer padded past 1 MiB: without the cap it would parse and count as a success.
    let padded = format!(
        "{}{{\"tokens_generated\": 1, \"latency_seconds\": 0.1}}",
        " ".repeat(2 << 20)
    );
    let (huge, _) = answering(move || {
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            padded.clone(),
        )
            .into_response()
    })
    .await;
    let records = soak_without_health_check(&huge, &dir.path().join("huge")).await;
    assert_eq!(records.len(), 3);
    for r in &records {
        assert_eq!(r.error_kind, Some(ErrorKind::BadBody), "{r:?}");
        assert_eq!(
            r.error.as_deref(),
            Some("HTTP 200: response body larger than 1024 KiB; stopped reading it")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_in_the_url_reach_no_file_and_no_console_line() {
    let fx = Fixture::new(roomy()).await;
    let port = fx.server.url().rsplit(':').next().unwrap().to_string();
    let url = format!("http://alice:hunter22@127.0.0.1:{port}/?api_key=k3y5ecret&model=m");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_report"))
        .args([
            "run",
            "soak",
            "--url",
            &url,
            "--rps",
            "10",
            "--duration",
            "0.3s",
        ])
        .args(["--all-results", "--session"])
        .arg(&fx.session)
        .env_remove("REPORT_SESSION")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "against http://***@127.0.0.1:{port}/?api_key=***&model=m"
        )),
        "{stdout}"
    );
    let mut texts = vec![
        stdout.into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ];
    for entry in std::fs::read_dir(&fx.session).unwrap() {
        texts.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    for text in &texts {
        assert!(
            !text.contains("hunter22") && !text.contains("k3y5ecret"),
            "{text}"
        );
    }
    assert_eq!(read_records(&fx.session).len(), 3);
    fx.server.shutdown().await;
}
