//! End to end against the stand-in cluster: the sim runs in-process at 20x, the real `report
//! collect` binary records it through the real kube client while wrapping the real `report run
//! spike`, then `report build` reads the session. Every scaling figure of the report is checked
//! against the sim's own ground truth.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};

use chrono::{DateTime, Utc};
use report::sim::Sim;
use report::sim::cluster::ClusterConfig;
use serde_json::Value;

const SPEED: f64 = 20.0;
/// collect's sampling interval: 5 simulated seconds. Timed figures are checked within it.
const INTERVAL_S: f64 = 0.25;
const NS: &str = "llm-inference";

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Real time for simulated seconds, as `report run` and `report collect` take it.
fn real(sim_s: f64) -> String {
    format!("{}ms", (sim_s * 1000.0 / SPEED).round())
}

fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
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

/// `report collect -- report run spike` with a 1-pod baseline, a spike of 5 pods' worth of
/// load, and a linger long enough for the 300 s scale-down window (all in simulated time).
fn record_spike(sim: &Sim, work: &Path) -> std::process::ExitStatus {
    let report = env!("CARGO_BIN_EXE_report");
    Command::new(report)
        .arg("collect")
        .args(["--kubeconfig", sim.kubeconfig.to_str().unwrap(), "-n", NS])
        .args(["--interval", &real(5.0), "--linger", &real(450.0)])
        .args(["--session", "rehearsal", "--data-root", "data"])
        .args([
            "--",
            report,
            "run",
            "spike",
            "--url",
            &sim.service_url(),
            "--quiet",
        ])
        .args(["--baseline", &(0.5 * SPEED).to_string()])
        .args(["--rps", &(4.0 * SPEED).to_string()])
        .args([
            "--baseline-duration",
            &real(30.0),
            "--duration",
            &real(60.0),
        ])
        .args(["--recovery-duration", &real(30.0), "--timeout", "30s"])
        .current_dir(work)
        .env_remove("KUBECONFIG")
        .env_remove("REPORT_SESSION")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_of_a_simulated_spike_matches_the_ground_truth() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().to_path_buf();
    let sim = Sim::start(
        ClusterConfig::default(),
        SPEED,
        loopback(),
        loopback(),
        &work.join("sim"),
    )
    .await
    .unwrap();
    let recorder_dir = work.clone();
    let status = {
        let sim = &sim;
        tokio::task::block_in_place(|| record_spike(sim, &recorder_dir))
    };
    assert!(status.success(), "report collect failed: {status}");
    let session = work.join("data/rehearsal");
    let built = Command::new(env!("CARGO_BIN_EXE_report"))
        .arg("build")
        .arg(&session)
        .args(["--out", work.join("out").to_str().unwrap()])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(built.success());
    let out = work.join("out/rehearsal");
    assert!(std::fs::metadata(out.join("report.html")).unwrap().len() > 1000);

    let truth = read_lines(&sim.truth);
    let rescales: Vec<&Value> = truth
        .iter()
        .filter(|l| l["kind"] == "hpa_sync" && l["rescaled"] == true)
        .collect();
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
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

    // Time to scale up: first scale-up − spike start (run_events); down: the HPA reading
    // back at 1 (the sync after the last decision) − spike end.
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
    let sync_real_s = 15.0 / SPEED;
    let back_at_min = time(&rescales.last().unwrap()["t"]);
    assert_close(
        "time to scale down",
        scaling["time_to_scale_down"]["value"].as_f64().unwrap(),
        secs(back_at_min - spike("end")) + sync_real_s,
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
}
