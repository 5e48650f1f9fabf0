//! Streamed APIs end to end: the real `report run` binary against a scripted SSE server written
//! here (events at exact times, so TTFT, gaps and TPOT are known to the millisecond; a role-only
//! first chunk; usage present and absent; a stream cut before `[DONE]`; an error event), the API
//! key kept out of every written file, and runs against the simulated service for each API, with
//! `report build`'s TTFT table checked against type-7 percentiles recomputed here.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

mod common;
use common::read_lines;

const REPORT: &str = env!("CARGO_BIN_EXE_report");
/// Scheduling slack allowed on loopback for a time the server chose (it sleeps, then writes).
const SLACK_S: f64 = 0.03;

/// What the scripted server sends for one request.
#[derive(Clone)]
enum Answer {
    /// A status and a body sent at once.
    Plain(u16, String),
    /// An SSE stream: each text written at its offset (ms) from the request, then the connection
    /// closed.
    Events(Vec<(u64, String)>),
}

/// A loopback HTTP/1.1 server answering the n-th request with the n-th answer (the last one
/// repeated), recording every request (head and body).
struct Scripted {
    addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Scripted {
    async fn start(answers: Vec<Answer>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        tokio::spawn(async move {
            let mut n = 0usize;
            while let Ok((socket, _)) = listener.accept().await {
                let answer = answers[n.min(answers.len() - 1)].clone();
                n += 1;
                tokio::spawn(serve(socket, answer, seen.clone()));
            }
        });
        Self { addr, heads }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn serve(mut socket: tokio::net::TcpStream, answer: Answer, heads: Arc<Mutex<Vec<String>>>) {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    // Read the head and the body (its Content-Length) before answering.
    loop {
        let n = socket.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        request.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&request).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if request.len() >= end + 4 + length {
                heads.lock().unwrap().push(text);
                break;
            }
        }
    }
    let start = tokio::time::Instant::now();
    match answer {
        Answer::Plain(status, body) => {
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(head.as_bytes()).await;
        }
        Answer::Events(events) => {
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
            let _ = socket.write_all(head.as_bytes()).await;
            for (at_ms, text) in events {
                tokio::time::sleep_until(start + Duration::from_millis(at_ms)).await;
                if socket.write_all(text.as_bytes()).await.is_err() {
                    return;
                }
                let _ = socket.flush().await;
            }
        }
    }
    let _ = socket.shutdown().await;
}

fn chat_chunk(delta: Value, finish: Option<&str>) -> String {
    let chunk = serde_json::json!({"object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
    format!("data: {chunk}\n\n")
}

fn content(text: &str) -> String {
    chat_chunk(serde_json::json!({"content": text}), None)
}

fn usage(prompt: u64, completion: u64) -> String {
    format!(
        "data: {}\n\n",
        serde_json::json!({"choices": [], "usage": {"prompt_tokens": prompt,
            "completion_tokens": completion, "total_tokens": prompt + completion}})
    )
}

const DONE: &str = "data: [DONE]\n\n";

/// `report run basic --scenarios NxC --api API` against `url` into a fresh session; returns the
/// session folder and the process output.
fn run_basic(
    work: &Path,
    url: &str,
    api: &str,
    scenario: &str,
    envs: &[(&str, &str)],
) -> (PathBuf, Output) {
    let session = work.join("session");
    let output = Command::new(REPORT)
        .args(["run", "basic", "--url", url, "--api", api])
        .args([
            "--scenarios",
            scenario,
            "--pause",
            "0s",
            "--skip-health-check",
        ])
        .args(["--timeout", "5s", "--session", session.to_str().unwrap()])
        .envs(envs.iter().copied())
        .env_remove("REPORT_SESSION")
        .current_dir(work)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (session, output)
}

fn records(session: &Path) -> Vec<Value> {
    read_lines(&session.join("requests.ndjson"))
}

fn f(record: &Value, key: &str) -> f64 {
    record[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {record}"))
}

fn assert_near(what: &str, got: f64, expected: f64) {
    assert!(
        (got - expected).abs() <= SLACK_S,
        "{what}: {got} s, the server sent at {expected} s (slack {SLACK_S} s)"
    );
}

/// role at 0 ms, a keep-alive comment at 100 ms, content at 200, 300, 500 ms, then optionally
/// usage (5 tokens) and `[DONE]` at 520 ms.
fn timed_stream(with_usage: bool) -> Vec<(u64, String)> {
    let mut events = vec![
        (
            0,
            chat_chunk(serde_json::json!({"role": "assistant"}), None),
        ),
        (100, ": keep-alive\n\n".to_string()),
        (150, content("")),
        (200, content("ab")),
        (300, content("c")),
        (
            500,
            chat_chunk(serde_json::json!({"content": "d"}), Some("length")),
        ),
    ];
    if with_usage {
        events.push((510, usage(11, 5)));
    }
    events.push((520, DONE.to_string()));
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttft_skips_role_only_and_empty_chunks_and_tpot_uses_the_servers_token_count() {
    let server = Scripted::start(vec![Answer::Events(timed_stream(true))]).await;
    let work = tempfile::tempdir().unwrap();
    let (session, out) = run_basic(work.path(), &server.url(), "openai-chat", "1x1", &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = &records(&session)[0];
    assert_eq!(r["ok"], true, "{r}");
    // The role-only chunk (0 ms) and the empty one (150 ms) are not the first token: 200 ms is.
    assert_near("ttft", f(r, "ttft_s"), 0.200);
    assert_eq!(
        (r["content_chunks"].as_u64(), r["gap_count"].as_u64()),
        (Some(3), Some(2))
    );
    // Gaps 100 ms and 200 ms.
    assert_near("gap mean", f(r, "gap_mean_s"), 0.150);
    assert_near("gap max", f(r, "gap_max_s"), 0.200);
    assert_eq!(r["output_tokens"], 5);
    assert_eq!(r["input_tokens"], 11);
    assert_eq!(r["token_source"], "usage");
    assert_eq!(r["tokens"], 5);
    assert_eq!(r["finish_reason"], "length");
    assert_eq!(r["output_chars"], 4);
    // TPOT by hand from the record's own times: (e2e − ttft) / (5 − 1); and ≈ (0.52 − 0.2) / 4.
    let tpot = (f(r, "latency_from_send_s") - f(r, "ttft_s")) / 4.0;
    assert!((f(r, "tpot_s") - tpot).abs() < 1e-9, "{r}");
    assert_near("tpot", f(r, "tpot_s"), 0.08);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_usage_the_content_chunks_are_counted_and_said_so() {
    let server = Scripted::start(vec![Answer::Events(timed_stream(false))]).await;
    let work = tempfile::tempdir().unwrap();
    let (session, out) = run_basic(work.path(), &server.url(), "openai-chat", "1x1", &[]);
    assert!(out.status.success());
    let r = &records(&session)[0];
    assert_eq!(
        (r["output_tokens"].as_u64(), r["token_source"].as_str()),
        (Some(3), Some("counted"))
    );
    assert!(
        r.get("input_tokens").is_none(),
        "no usage, no input count: {r}"
    );
    let tpot = (f(r, "latency_from_send_s") - f(r, "ttft_s")) / 2.0;
    assert!((f(r, "tpot_s") - tpot).abs() < 1e-9, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_cut_before_done_is_broken_and_an_error_event_is_an_error_with_partial_output() {
    let cut = vec![(0, content("ab")), (50, content("cde"))];
    let errored = vec![
        (0, content("xy")),
        (
            20,
            format!(
                "data: {}\n\n",
                serde_json::json!({"error": {"message": "engine died", "code": 500}})
            ),
        ),
        (40, content("never read")),
    ];
    let server = Scripted::start(vec![Answer::Events(cut), Answer::Events(errored)]).await;
    let work = tempfile::tempdir().unwrap();
    let (session, out) = run_basic(work.path(), &server.url(), "openai-chat", "2x1", &[]);
    // Every request failed: exit code 4.
    assert_eq!(out.status.code(), Some(4));
    let r = records(&session);
    assert_eq!(r[0]["ok"], false);
    assert_eq!(r[0]["error_kind"], "stream_broken", "{}", r[0]);
    assert_eq!(r[0]["status"], 200);
    assert_eq!(
        (
            r[0]["content_chunks"].as_u64(),
            r[0]["output_chars"].as_u64()
        ),
        (Some(2), Some(5))
    );
    assert_near("partial ttft", f(&r[0], "ttft_s"), 0.0);
    assert_eq!(r[1]["error_kind"], "stream_error", "{}", r[1]);
    assert_eq!(r[1]["error"], "engine died");
    assert_eq!(
        (
            r[1]["content_chunks"].as_u64(),
            r[1]["output_chars"].as_u64()
        ),
        (Some(1), Some(2))
    );
}

/// Every file under `dir`, read whole.
fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_files(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn holds(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_is_sent_as_bearer_and_written_nowhere() {
    const KEY: &str = "sk-test-4f9a1c2b7e";
    // The first answer echoes the key back in a 401, as some gateways do.
    let echo = format!("{{\"error\": \"invalid api key {KEY}\"}}");
    let server = Scripted::start(vec![
        Answer::Plain(401, echo),
        Answer::Events(timed_stream(true)),
    ])
    .await;
    let work = tempfile::tempdir().unwrap();
    let (session, out) = run_basic(
        work.path(),
        &server.url(),
        "openai-chat",
        "2x1",
        &[("REPORT_API_KEY", KEY)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let heads = server.heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 2);
    assert!(
        heads.iter().all(|h| h
            .lines()
            .any(|l| l.eq_ignore_ascii_case(&format!("authorization: Bearer {KEY}")))),
        "{heads:?}"
    );
    let r = records(&session);
    assert_eq!(r[0]["error_kind"], "http4xx");
    assert!(
        r[0]["error"].as_str().unwrap().contains("[REDACTED]"),
        "{}",
        r[0]
    );
    let built = Command::new(REPORT)
        .arg("build")
        .arg(&session)
        .args(["--out", work.path().join("out").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let files = all_files(work.path());
    assert!(
        files.len() > 5,
        "session and report written: {files:?}",
        files = files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for (path, bytes) in files {
        assert!(!holds(&bytes, KEY), "{} holds the API key", path.display());
    }
    for stream in [&out.stdout, &out.stderr, &built.stdout, &built.stderr] {
        assert!(!holds(stream, KEY), "the console shows the API key");
    }
}

/// Type 7 (linear interpolation between closest ranks), computed here independently.
fn type7(mut values: Vec<f64>, p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let h = (values.len() - 1) as f64 * p;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    values[lo] + (h - h.floor()) * (values[hi] - values[lo])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_spike_against_the_sim_gives_a_ttft_table_with_exact_percentiles() {
    use report::sim::Sim;
    use report::sim::cluster::ClusterConfig;
    let work = tempfile::tempdir().unwrap();
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let sim = Sim::start(
        ClusterConfig::default(),
        20.0,
        loopback,
        loopback,
        &work.path().join("sim"),
    )
    .await
    .unwrap();
    let session = work.path().join("session");
    // One pod of 2 sequences at 20×: 80 tokens take about 0.125 s real, 16 req/s at most; the
    // spike at 40 req/s queues (and overflows), so TTFT climbs.
    let out = Command::new(REPORT)
        .args([
            "run",
            "spike",
            "--url",
            &sim.service_url(),
            "--api",
            "openai-chat",
        ])
        .args([
            "--baseline",
            "8",
            "--baseline-duration",
            "1s",
            "--rps",
            "40",
            "--duration",
            "1s",
        ])
        .args([
            "--recovery-duration",
            "1s",
            "--skip-health-check",
            "--quiet",
        ])
        .args(["--session", session.to_str().unwrap()])
        .env_remove("REPORT_SESSION")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records = records(&session);
    let ttfts = |phase: &str| -> Vec<f64> {
        records
            .iter()
            .filter(|r| r["phase"] == phase && r["ok"] == true)
            .map(|r| f(r, "ttft_s"))
            .collect()
    };
    let spike = ttfts("spike");
    assert!(
        spike.len() >= 10,
        "{} successful spike requests",
        spike.len()
    );
    assert!(
        records
            .iter()
            .filter(|r| r["ok"] == true)
            .all(|r| r["token_source"] == "usage" && r["output_tokens"] == 80)
    );
    let outdir = work.path().join("out");
    let slo = "[[objective]]\ntest = \"spike\"\nphase = \"Spike\"\nttft_p95_max = \"60s\"\n\n\
               [[objective]]\ntest = \"spike\"\ntpot_p50_max = \"1s\"\n";
    std::fs::write(session.join("slo.toml"), slo).unwrap();
    let built = Command::new(REPORT)
        .arg("build")
        .arg(&session)
        .args(["--out", outdir.to_str().unwrap(), "--check"])
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let summary: Value = serde_json::from_str(
        &std::fs::read_to_string(outdir.join("session/summary.json")).unwrap(),
    )
    .unwrap();
    let rows = summary["streaming"]["rows"]
        .as_array()
        .expect("streaming rows");
    let row = |phase: &str| {
        rows.iter()
            .find(|r| r["group"]["name"] == phase)
            .unwrap_or_else(|| panic!("no {phase} row in {rows:?}"))
    };
    for phase in ["baseline", "spike", "recovery"] {
        let expected = type7(ttfts(phase), 0.95);
        let got = row(phase)["ttft_s"]["p95"].as_f64().unwrap();
        assert!(
            (got - expected).abs() < 1e-9,
            "{phase}: p95 {got} ≠ {expected}"
        );
    }
    // The objectives are measured from the same rows: the spike phase's TTFT p95, the whole
    // test's TPOT p50 recomputed here over every successful request.
    let objectives = summary["objectives"]["results"]
        .as_array()
        .expect("objectives");
    let measured = |i: usize| {
        objectives[i]["measured"]["value"]
            .as_f64()
            .unwrap_or(f64::NAN)
    };
    assert!(
        (measured(0) - type7(ttfts("spike"), 0.95)).abs() < 1e-9,
        "{objectives:?}"
    );
    let tpots: Vec<f64> = records
        .iter()
        .filter(|r| r["ok"] == true)
        .map(|r| f(r, "tpot_s"))
        .collect();
    assert!(
        (measured(1) - type7(tpots, 0.5)).abs() < 1e-9,
        "{objectives:?}"
    );
    // Under the spike queueing lifts TTFT above the baseline's.
    assert!(type7(spike.clone(), 0.95) > type7(ttfts("baseline"), 0.95));
    let md = std::fs::read_to_string(outdir.join("session/report.md")).unwrap();
    let p95 = report::render::format::seconds(type7(spike, 0.95));
    let section = md
        .split("### Streaming")
        .nth(1)
        .unwrap_or_else(|| panic!("no streaming section:\n{md}"));
    let line = section
        .lines()
        .find(|l| l.starts_with("| Spike | Spike |"))
        .unwrap_or_else(|| panic!("no spike row in the streaming table:\n{md}"));
    assert_eq!(line.split(" | ").nth(4), Some(p95.as_str()), "{line}");
    assert!(md.contains("ITL = mean gap between content chunks after the first"));
    // The dispatch delay's p99, recomputed from the records' stamps, is the one reported.
    let stamp = |r: &Value, k: &str| common::time(&r[k]);
    let delays: Vec<f64> = records
        .iter()
        .map(|r| {
            (stamp(r, "sent") - stamp(r, "scheduled"))
                .num_microseconds()
                .unwrap() as f64
                / 1e6
        })
        .collect();
    let p99 = type7(delays, 0.99);
    let dispatch = &summary["analysis"]["dispatch"];
    assert!(
        (dispatch["p99_s"].as_f64().unwrap() - p99).abs() < 1e-9,
        "{dispatch}"
    );
    assert_eq!(dispatch["client_limited"], p99 > 0.005);
    assert!(
        md.contains("Load generator: dispatch delay (sent − scheduled)"),
        "{md}"
    );
    let chart = summary["charts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["file"] == "ttft_over_time.png")
        .unwrap();
    assert!(chart["not_drawn"].is_null(), "{chart}");
    assert!(outdir.join("session/ttft_over_time.png").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_streamed_api_of_the_sim_gives_per_token_records() {
    use report::sim::Sim;
    use report::sim::cluster::ClusterConfig;
    let work = tempfile::tempdir().unwrap();
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let config = ClusterConfig {
        tokens: 12,
        ..ClusterConfig::default()
    };
    let sim = Sim::start(config, 20.0, loopback, loopback, &work.path().join("sim"))
        .await
        .unwrap();
    for (api, finish) in [
        ("openai-chat", "length"),
        ("openai-completions", "stop"),
        ("tgi", "eos_token"),
    ] {
        let dir = work.path().join(api);
        std::fs::create_dir_all(&dir).unwrap();
        // 12 tokens fit under --max-tokens 20 except for chat, limited to 12 (length).
        let max = if api == "openai-chat" { "12" } else { "20" };
        let out = Command::new(REPORT)
            .args([
                "run",
                "basic",
                "--url",
                &sim.service_url(),
                "--api",
                api,
                "--max-tokens",
                max,
            ])
            .args([
                "--scenarios",
                "2x1",
                "--pause",
                "0s",
                "--skip-health-check",
                "--quiet",
            ])
            .args(["--session", dir.join("s").to_str().unwrap()])
            .env_remove("REPORT_SESSION")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{api}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for r in records(&dir.join("s")) {
            assert_eq!(r["ok"], true, "{api}: {r}");
            assert_eq!(
                (r["output_tokens"].as_u64(), r["content_chunks"].as_u64()),
                (Some(12), Some(12)),
                "{api}: {r}"
            );
            assert_eq!(r["finish_reason"], finish, "{api}: {r}");
            // Prefill (0.5 s simulated + 2 ms per input token) comes before the first token.
            assert!(f(&r, "ttft_s") >= 0.5 / 20.0, "{api}: {r}");
            assert_eq!(r["gap_count"], 11);
        }
    }
}

/// The JSON body of a recorded request.
fn body_of(request: &str) -> Value {
    serde_json::from_str(request.split_once("\r\n\r\n").unwrap().1).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompts_files_and_synthetic_lengths_shape_the_bodies() {
    let server = Scripted::start(vec![Answer::Events(vec![
        (0, content("x")),
        (1, DONE.into()),
    ])])
    .await;
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("prompts.jsonl");
    std::fs::write(
        &file,
        "{\"prompt\": \"short one\", \"max_tokens\": 3}\n{\"prompt\": \"second\"}\n",
    )
    .unwrap();
    let session = work.path().join("s1");
    let run = |session: &Path, extra: &[&str]| {
        let out = Command::new(REPORT)
            .args([
                "run",
                "basic",
                "--url",
                &server.url(),
                "--api",
                "openai-completions",
            ])
            .args([
                "--scenarios",
                "2x1",
                "--pause",
                "0s",
                "--skip-health-check",
                "--quiet",
            ])
            .args(["--session", session.to_str().unwrap()])
            .args(extra)
            .env_remove("REPORT_SESSION")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(
        &session,
        &["--prompts", file.to_str().unwrap(), "--max-tokens", "9"],
    );
    run(
        &work.path().join("s2"),
        &["--input-tokens", "8", "--output-tokens", "5"],
    );
    let bodies: Vec<Value> = server
        .heads
        .lock()
        .unwrap()
        .iter()
        .map(|r| body_of(r))
        .collect();
    assert_eq!(bodies.len(), 4);
    assert_eq!(
        (
            bodies[0]["prompt"].as_str(),
            bodies[0]["max_tokens"].as_u64()
        ),
        (Some("short one"), Some(3))
    );
    // A prompt without its own max_tokens takes --max-tokens.
    assert_eq!(bodies[1]["max_tokens"], 9);
    assert!(bodies[1].get("ignore_eos").is_none());
    assert_eq!(bodies[2]["prompt"], format!("1{}", " the".repeat(7)));
    assert_eq!(bodies[3]["prompt"], format!("2{}", " the".repeat(7)));
    for b in &bodies[2..] {
        assert_eq!(
            (
                b["max_tokens"].as_u64(),
                b["min_tokens"].as_u64(),
                b["ignore_eos"].as_bool()
            ),
            (Some(5), Some(5), Some(true)),
            "{b}"
        );
        assert_eq!(b["stream"], true);
        assert_eq!(b["stream_options"]["include_usage"], true);
    }
}
