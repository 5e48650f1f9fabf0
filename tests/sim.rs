//! End to end against the stand-in cluster: the sim runs in-process at 20x, the real `report
//! collect` binary records it through the real kube client while wrapping the real `report run
//! spike`, then `report build` reads the session. Every scaling figure of the report is checked
//! against the sim's own ground truth.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use report::sim::Sim;
use report::sim::cluster::ClusterConfig;
use report::sim::hpa::HpaSpec;
use serde_json::Value;

mod common;
use common::{chromium_probe, read_lines, time};

/// The spike runs at 20x; the stress test, whose rates sit close to capacity, at 10x.
const SPIKE_SPEED: f64 = 20.0;
const STRESS_SPEED: f64 = 10.0;
/// collect's sampling interval: 5 simulated seconds. Timed figures are checked within it.
const INTERVAL_S: f64 = 5.0 / SPIKE_SPEED;
const NS: &str = "llm-inference";

/// The two tests share the 2-core machine's time: run one at a time so neither's pace slips.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Real time for simulated seconds, as `report run` and `report collect` take it.
fn real(sim_s: f64, speed: f64) -> String {
    format!("{}ms", (sim_s * 1000.0 / speed).round())
}

fn secs(d: chrono::TimeDelta) -> f64 {
    d.num_milliseconds() as f64 / 1000.0
}

fn assert_close(what: &str, got: f64, expected: f64, tolerance: f64) {
    assert!(
        (got - expected).abs() <= tolerance,
        "{what}: report says {got} s, ground truth {expected} s (tolerance {tolerance} s)"
    );
}

/// A running sim in a fresh working folder.
struct Rehearsal {
    sim: Sim,
    speed: f64,
    work: tempfile::TempDir,
}

impl Rehearsal {
    async fn start(config: ClusterConfig, speed: f64) -> Self {
        let work = tempfile::tempdir().unwrap();
        let sim = Sim::start(
            config,
            speed,
            loopback(),
            loopback(),
            &work.path().join("sim"),
        )
        .await
        .unwrap();
        Self { sim, speed, work }
    }

    /// `report collect -- report run TEST --url <sim> RUN_ARGS`, sampling every 5 simulated
    /// seconds and lingering `linger_s` simulated seconds; then `report build`. Returns the
    /// session folder and the report's output folder.
    fn record_and_build(
        &self,
        test: &str,
        run_args: &[String],
        linger_s: f64,
    ) -> (PathBuf, PathBuf) {
        let report = env!("CARGO_BIN_EXE_report");
        let work = self.work.path();
        let status = Command::new(report)
            .arg("collect")
            .args([
                "--kubeconfig",
                self.sim.kubeconfig.to_str().unwrap(),
                "-n",
                NS,
            ])
            .args(["--interval", &real(5.0, self.speed)])
            .args(["--linger", &real(linger_s, self.speed)])
            .args(["--session", "rehearsal", "--data-root", "data", "--"])
            .args([
                report,
                "run",
                test,
                "--url",
                &self.sim.service_url(),
                "--quiet",
            ])
            .args(run_args)
            .current_dir(work)
            .env_remove("KUBECONFIG")
            .env_remove("REPORT_SESSION")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "report collect failed: {status}");
        let session = work.join("data/rehearsal");
        let built = Command::new(report)
            .arg("build")
            .arg(&session)
            .args(["--out", work.join("out").to_str().unwrap()])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(built.success());
        (session, work.join("out/rehearsal"))
    }

    /// A rate in simulated requests per second, as `report run` takes it (real time).
    fn rate(&self, sim_rps: f64) -> String {
        (sim_rps * self.speed).to_string()
    }
}

fn summary(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_of_a_simulated_spike_matches_the_ground_truth() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let r = Rehearsal::start(ClusterConfig::default(), SPIKE_SPEED).await;
    // A 1-pod baseline, a spike of 5 pods' worth of load, and a linger long enough for the
    // 300 s scale-down window (all in simulated time).
    let run_args = [
        "--baseline".into(),
        r.rate(0.5),
        "--rps".into(),
        r.rate(4.0),
        "--baseline-duration".into(),
        real(30.0, SPIKE_SPEED),
        "--duration".into(),
        real(60.0, SPIKE_SPEED),
        "--recovery-duration".into(),
        real(30.0, SPIKE_SPEED),
        "--timeout".into(),
        "30s".into(),
    ];
    let (session, out) =
        tokio::task::block_in_place(|| r.record_and_build("spike", &run_args, 450.0));
    let sim = &r.sim;
    let truth = read_lines(&sim.truth);
    let rescales: Vec<&Value> = truth
        .iter()
        .filter(|l| l["kind"] == "hpa_sync" && l["rescaled"] == true)
        .collect();
    let summary = summary(&out);
    let scaling = &summary["analysis"]["scaling"];

    // Every decision, in order, with its replicas and its time.
    let decisions = scaling["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), rescales.len(), "decisions: {decisions:?}");
    for (d, t) in decisions.iter().zip(&rescales) {
        assert_eq!((&d["from"], &d["to"]), (&t["current"], &t["desired"]));
        assert_close(
            "decision time",
            secs(time(&d["at"]) - time(&t["t"])),
            0.0,
            INTERVAL_S,
        );
    }
    // The spike scaled up and the window brought it back to minReplicas: a real story.
    let max_truth = rescales
        .iter()
        .map(|t| t["desired"].as_i64().unwrap())
        .max()
        .unwrap();
    assert!(max_truth >= 2, "the spike never scaled up: {rescales:?}");
    assert_eq!(rescales.last().unwrap()["desired"], 1);
    assert_eq!(
        scaling["max_pods"]["value"].as_f64(),
        Some(max_truth as f64)
    );

    // Time to scale up: first scale-up − spike start (run_events); down: the decision back at
    // 1 − spike end (both at the HPA's decision).
    let phases = read_lines(&session.join("run_events.jsonl"));
    let spike = |event: &str| {
        let line = phases
            .iter()
            .find(|p| p["phase"] == "spike" && p["event"] == event)
            .unwrap();
        time(&line["t"])
    };
    let first_up = rescales
        .iter()
        .find(|t| t["desired"].as_i64() > t["current"].as_i64())
        .unwrap();
    assert_close(
        "time to scale up",
        scaling["time_to_scale_up"]["value"].as_f64().unwrap(),
        secs(time(&first_up["t"]) - spike("start")),
        INTERVAL_S,
    );
    let back_at_min = time(&rescales.last().unwrap()["t"]);
    assert_close(
        "time to scale down",
        scaling["time_to_scale_down"]["value"].as_f64().unwrap(),
        secs(back_at_min - spike("end")),
        INTERVAL_S,
    );
    // The scale-down waited for the 300 s window after the last higher recommendation.
    let last_up_sim = rescales
        .iter()
        .filter(|t| t["desired"].as_i64() > t["current"].as_i64())
        .map(|t| t["sim_s"].as_f64().unwrap())
        .fold(0.0, f64::max);
    let first_down_sim = rescales
        .iter()
        .find(|t| t["desired"].as_i64() < t["current"].as_i64())
        .unwrap()["sim_s"]
        .as_f64()
        .unwrap();
    assert!(
        first_down_sim - last_up_sim >= 300.0,
        "scale-down came early: {rescales:?}"
    );

    // The page a user opens: every chart drawn for this session loads in Chromium at full size,
    // the scaling story's among them.
    let drawn: Vec<&str> = summary["charts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["not_drawn"].is_null())
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    let seen = chromium_probe(&out.join("report.html"));
    assert_eq!(seen["alts"], serde_json::json!(drawn), "{seen}");
    assert_eq!(seen["loaded"], drawn.len(), "{seen}");
    assert_eq!(seen["widths"], serde_json::json!([1920]), "{seen}");
    for title in [
        "Scaling timeline",
        "Memory per pod",
        "Spike test: latency per phase",
    ] {
        assert!(drawn.contains(&title), "{title} missing from {drawn:?}");
    }
}

/// Requests per second the sim's pods can serve: pods × slots / time per request.
fn capacity_rps(c: &ClusterConfig) -> f64 {
    let per_request_s = c.per_request_s + c.per_token_s * f64::from(c.tokens);
    f64::from(c.hpa.max_replicas) * c.slots as f64 / per_request_s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stress_breaking_point_is_the_first_step_above_the_sims_capacity() {
    let _turn = ONE_AT_A_TIME.lock().await;
    // Five pods from the start and no room to wait: the service serves exactly its capacity
    // (4 req/s simulated) and turns every request beyond it away with a 503.
    let config = ClusterConfig {
        initial_replicas: 5,
        hpa: HpaSpec {
            min_replicas: 5,
            max_replicas: 5,
            ..HpaSpec::default()
        },
        queue_limit: 0,
        ..ClusterConfig::default()
    };
    let capacity = capacity_rps(&config);
    assert_eq!(capacity, 4.0);
    let r = Rehearsal::start(config, STRESS_SPEED).await;
    let (start, step) = (1.5, 1.5);
    let run_args = [
        "--start".into(),
        r.rate(start),
        "--step".into(),
        r.rate(step),
        "--max".into(),
        r.rate(6.0),
        "--step-duration".into(),
        real(60.0, STRESS_SPEED),
    ];
    let (session, out) =
        tokio::task::block_in_place(|| r.record_and_build("stress", &run_args, 0.0));
    let stress = &summary(&out)["analysis"]["stresses"][0];

    // Steps 1.5, 3, 4.5: the first above 4 req/s breaks (4/4.5 = 89 % served, below 95 %).
    let first_above = (0..)
        .map(|i| start + step * f64::from(i))
        .find(|rate| *rate > capacity)
        .unwrap();
    let sim_rate = |figure: &Value| figure["value"].as_f64().unwrap() / STRESS_SPEED;
    assert_eq!(sim_rate(&stress["breaking_point"]), first_above, "{stress}");
    assert_eq!(sim_rate(&stress["max_stable_target"]), first_above - step);
    // Judged steps only: the 6 req/s step the run had begun when the verdict came is a note.
    let steps = stress["steps"].as_array().unwrap();
    let targets: Vec<f64> = steps
        .iter()
        .map(|s| s["target_rps"].as_f64().unwrap() / STRESS_SPEED)
        .collect();
    assert_eq!(targets, [1.5, 3.0, 4.5], "{stress:#}");
    assert_eq!(stress["notes"][0]["kind"], "step_stopped", "{stress:#}");
    assert_eq!(
        stress["notes"][0]["target_rps"].as_f64().unwrap() / STRESS_SPEED,
        6.0,
        "{stress:#}"
    );
    // Success per step, as the service's answers in requests.ndjson give it.
    let records = read_lines(&session.join("requests.ndjson"));
    for (step, target) in steps.iter().zip(&targets) {
        let phase = format!("{}RPS", target * STRESS_SPEED);
        let answers: Vec<&Value> = records.iter().filter(|r| r["phase"] == phase).collect();
        let ok = answers.iter().filter(|r| r["ok"] == true).count();
        let served = 100.0 * ok as f64 / answers.len() as f64;
        let reported = step["success_rate"]["value"].as_f64().unwrap();
        assert!(
            (reported - served).abs() < 1e-9,
            "{phase}: {reported} vs {served}"
        );
        assert_eq!(served == 100.0, *target < capacity, "{phase}: {served} %");
    }
}
