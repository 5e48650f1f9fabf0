//! `report compare` end to end: two hand-written sessions (tests/fixtures/compare/a and b)
//! whose differences are computed here by hand, the bootstrap interval recomputed here with the
//! documented draw order, `--merge` checked against a type-7 percentile over the union computed
//! here, and two `report sim` sessions with different HPA CPU targets compared.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod common;
use common::read_lines;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/compare")
        .join(name)
}

fn compare(sessions: &[&Path], extra: &[&str]) -> (tempfile::TempDir, Output) {
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_report"))
        .arg("compare")
        .args(sessions)
        .arg("--out")
        .arg(out.path())
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (out, output)
}

fn summary(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

/// The comparison's row for one test, name and figure.
fn row<'a>(s: &'a Value, test: &str, name: &str, figure: &str) -> &'a Value {
    s["comparison"]["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["test"] == test && r["name"] == name && r["figure"] == figure)
        .unwrap_or_else(|| panic!("no row {test} / {name} / {figure}"))
}

fn close(got: &Value, expected: f64) {
    let got = got
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {got}"));
    assert!((got - expected).abs() < 1e-9, "{got} != {expected}");
}

/// Hyndman-Fan type 7, written here independently of the crate.
fn type7(v: &[f64], p: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

/// The successful latencies of one phase of the fixtures, in record order, one after another.
fn ok_latencies(fixtures: &[&str], phase: &str) -> Vec<f64> {
    fixtures
        .iter()
        .flat_map(|f| read_lines(&fixture(f).join("requests.ndjson")))
        .filter(|r| r["phase"] == phase && r["ok"] == true)
        .map(|r| r["latency_s"].as_f64().unwrap())
        .collect()
}

#[test]
fn differences_to_the_first_session_are_absolute_and_relative() {
    let (out, _) = compare(&[&fixture("a"), &fixture("b")], &[]);
    let s = summary(out.path());
    assert_eq!(s["sessions"], serde_json::json!(["a", "b"]));
    // Baseline latencies a: 1 2 3 4, b: 1 2 3 5. p95 (type 7, h = 3 × 0.95 = 2.85):
    // a = 3 + 0.85 × 1 = 3.85, b = 3 + 0.85 × 2 = 4.7; Δ = 0.85 = 22.0779… % of 3.85.
    let p95 = row(&s, "Spike", "Baseline", "p95");
    close(&p95["values"][0]["value"], 3.85);
    close(&p95["values"][1]["value"], 4.7);
    close(&p95["changes"][0]["absolute"]["value"], 0.85);
    close(&p95["changes"][0]["percent"]["value"], 0.85 / 3.85 * 100.0);
    // Spike: every latency one second longer: avg 6 → 7 (+16.67 %), p95 9.6 → 10.6.
    let avg = row(&s, "Spike", "Spike", "avg");
    close(&avg["changes"][0]["absolute"]["value"], 1.0);
    close(&avg["changes"][0]["percent"]["value"], 100.0 / 6.0);
    close(
        &row(&s, "Spike", "Spike", "p95")["changes"][0]["absolute"]["value"],
        1.0,
    );
    // Recovery: b's fifth request failed: success 100 % → 80 % (−20 points, −20 %).
    let success = row(&s, "Spike", "Recovery", "success_rate");
    close(&success["changes"][0]["absolute"]["value"], -20.0);
    close(&success["changes"][0]["percent"]["value"], -20.0);
    // Neither fixture has a cluster recording: no pod or HPA figure is invented.
    let figures = s["comparison"]["figures"].as_array().unwrap();
    assert!(
        figures
            .iter()
            .all(|r| r["section"] != "phase" && r["figure"] != "max_pods")
    );
    // Req/s needs timed phase boundaries, which neither has: unavailable, and so is its
    // difference (never 0).
    let rate = row(&s, "Spike", "Spike", "requests_per_s");
    assert!(rate["values"][0]["value"].is_null() && rate["values"][1]["value"].is_null());
    assert!(rate["changes"][0]["absolute"]["value"].is_null(), "{rate}");
    assert!(rate["changes"][0]["percent"]["value"].is_null(), "{rate}");
    // The HPA setting that differs, from session.json; the equal ones are only counted.
    let settings = &s["comparison"]["settings"];
    assert_eq!(
        settings["differing"],
        serde_json::json!([{
            "setting": "hpa.metrics[0].resource.target.averageUtilization",
            "values": ["80", "40"]
        }])
    );
    let md = std::fs::read_to_string(out.path().join("compare.md")).unwrap();
    assert!(
        md.contains("| Spike | Baseline | p95 | 3.85 s | 4.70 s | +0.850 s (+22.1 %) |"),
        "{md}"
    );
    assert!(
        md.contains("| Spike | Recovery | Success | 100.0 % | 80.0 % | -20.0 points (-20.0 %) |"),
        "{md}"
    );
    assert!(
        md.contains("`hpa.metrics[0].resource.target.averageUtilization` | `80` | `40`"),
        "{md}"
    );
    assert!(out.path().join("compare.html").is_file());
}

/// The interval by the method compare.md states: each resample draws a's indices, then b's,
/// from one `fastrand::Rng::with_seed(seed)`; p95 of each, b − a; 2.5th and 97.5th percentiles.
fn bootstrap_here(a: &[f64], b: &[f64], resamples: usize, seed: u64) -> [f64; 2] {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut diffs = Vec::new();
    for _ in 0..resamples {
        let ra: Vec<f64> = (0..a.len()).map(|_| a[rng.usize(..a.len())]).collect();
        let rb: Vec<f64> = (0..b.len()).map(|_| b[rng.usize(..b.len())]).collect();
        diffs.push(type7(&rb, 0.95) - type7(&ra, 0.95));
    }
    [type7(&diffs, 0.025), type7(&diffs, 0.975)]
}

#[test]
fn the_noise_interval_is_the_stated_bootstrap_on_a_fixed_seed() {
    let (out, _) = compare(
        &[&fixture("a"), &fixture("b")],
        &["--seed", "7", "--resamples", "500"],
    );
    let s = summary(out.path());
    let rows = s["comparison"]["noise"].as_array().unwrap();
    for (phase, name) in [
        ("baseline", "Baseline"),
        ("spike", "Spike"),
        ("recovery", "Recovery"),
    ] {
        let r = rows.iter().find(|r| r["phase"] == name).unwrap();
        let (a, b) = (ok_latencies(&["a"], phase), ok_latencies(&["b"], phase));
        let [lo, hi] = bootstrap_here(&a, &b, 500, 7);
        close(&r["interval"][0], lo);
        close(&r["interval"][1], hi);
        close(&r["difference"], type7(&b, 0.95) - type7(&a, 0.95));
        let larger = lo > 0.0 || hi < 0.0;
        let verdict = if larger {
            "larger_than_noise"
        } else {
            "within_noise"
        };
        assert_eq!(r["verdict"], verdict, "{name}: [{lo}, {hi}]");
    }
    // Recovery's successful latencies are the same four on both sides: the interval holds 0.
    let recovery = rows.iter().find(|r| r["phase"] == "Recovery").unwrap();
    assert_eq!(recovery["verdict"], "within_noise");
    let md = std::fs::read_to_string(out.path().join("compare.md")).unwrap();
    assert!(
        md.contains("Percentile bootstrap of the p95 difference"),
        "{md}"
    );
    assert!(md.contains("500 times (fastrand, seed 7)"), "{md}");
}

#[test]
fn merged_percentiles_are_exact_over_the_union_and_summaries_are_not_merged() {
    let (out, _) = compare(&[&fixture("a"), &fixture("b")], &["--merge"]);
    let s = summary(out.path());
    let merged = s["comparison"]["merged"].as_array().unwrap();
    for (phase, name) in [
        ("baseline", "Baseline"),
        ("spike", "Spike"),
        ("recovery", "Recovery"),
    ] {
        let r = merged.iter().find(|r| r["phase"] == name).unwrap();
        assert_eq!(r["runs"], 2);
        let all = ok_latencies(&["a", "b"], phase);
        for (key, p) in [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)] {
            close(&r[key]["value"], type7(&all, p));
        }
    }
    // Recovery: 9 requests, 8 successful.
    let recovery = merged.iter().find(|r| r["phase"] == "Recovery").unwrap();
    close(&recovery["requests"]["value"], 9.0);
    close(&recovery["success_rate"]["value"], 800.0 / 9.0);
    let md = std::fs::read_to_string(out.path().join("compare.md")).unwrap();
    assert!(
        md.contains("| Spike | Baseline | merged (2 runs) |"),
        "{md}"
    );

    // A run that kept only its results file (summaries): the merge is unavailable.
    let summaries_only = tempfile::tempdir().unwrap();
    let file = "advanced_test_results_20261126_210000.json";
    std::fs::copy(fixture("a").join(file), summaries_only.path().join(file)).unwrap();
    let (out, _) = compare(&[&fixture("a"), summaries_only.path()], &["--merge"]);
    let s = summary(out.path());
    let merged = s["comparison"]["merged"].as_array().unwrap();
    let baseline = merged.iter().find(|r| r["phase"] == "Baseline").unwrap();
    assert!(baseline["p95"]["value"].is_null(), "{baseline}");
    assert!(
        baseline["p95"]["unavailable"]
            .as_str()
            .unwrap()
            .starts_with("percentiles cannot be merged from summaries")
    );
    // ... and the noise interval says which side lacks records.
    let noise = &s["comparison"]["noise"][0];
    assert_eq!(noise["unavailable"], "other_has_no_records");
    assert!(noise["interval"].is_null());
}

/// Real time for simulated seconds, as `report run` and `report collect` take it.
fn real(sim_s: f64, speed: f64) -> String {
    format!("{}ms", (sim_s * 1000.0 / speed).round())
}

/// A spike recorded by the real `report collect` wrapping `report run spike` against a sim
/// whose HPA targets `target` % CPU, into `dir`.
async fn sim_spike(target: i32, dir: &Path) {
    use report::sim::cluster::ClusterConfig;
    use report::sim::hpa::HpaSpec;
    const SPEED: f64 = 20.0;
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let config = ClusterConfig {
        hpa: HpaSpec {
            max_replicas: 10,
            target_utilization: target,
            ..HpaSpec::default()
        },
        ..ClusterConfig::default()
    };
    let work = tempfile::tempdir().unwrap();
    let sim = report::sim::Sim::start(config, SPEED, loopback, loopback, &work.path().join("sim"))
        .await
        .unwrap();
    // 1.2 req/s keeps 3 of a pod's 2 slots busy (2.5 s a request): about 2 pods at an 80 %
    // target, 4 at 40 %.
    let rate = |sim_rps: f64| (sim_rps * SPEED).to_string();
    let report = env!("CARGO_BIN_EXE_report");
    let status = tokio::task::block_in_place(|| {
        Command::new(report)
            .arg("collect")
            .args(["--kubeconfig", sim.kubeconfig.to_str().unwrap()])
            .args(["-n", "llm-inference", "--interval", &real(5.0, SPEED)])
            .args(["--linger", &real(15.0, SPEED), "--session"])
            .arg(dir)
            .args([
                "--",
                report,
                "run",
                "spike",
                "--url",
                &sim.service_url(),
                "--quiet",
            ])
            .args(["--baseline", &rate(0.4), "--rps", &rate(1.2)])
            .args(["--baseline-duration", &real(20.0, SPEED)])
            .args(["--duration", &real(120.0, SPEED)])
            .args([
                "--recovery-duration",
                &real(20.0, SPEED),
                "--timeout",
                "30s",
            ])
            .current_dir(work.path())
            .env_remove("KUBECONFIG")
            .env_remove("REPORT_SESSION")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .unwrap()
    });
    assert!(status.success(), "report collect failed: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lower_cpu_target_shows_more_pods_in_the_comparison() {
    let data = tempfile::tempdir().unwrap();
    let (high, low) = (data.path().join("target-80"), data.path().join("target-40"));
    sim_spike(80, &high).await;
    sim_spike(40, &low).await;
    let (out, _) = compare(&[&high, &low], &[]);
    let s = summary(out.path());
    let max_pods = row(&s, "", "", "max_pods");
    let (at_80, at_40) = (
        max_pods["values"][0]["value"].as_f64().unwrap(),
        max_pods["values"][1]["value"].as_f64().unwrap(),
    );
    assert!(at_40 > at_80, "max pods: {at_80} at 80 %, {at_40} at 40 %");
    close(&max_pods["changes"][0]["absolute"]["value"], at_40 - at_80);
    // The setting behind it, read from each session.json.
    let differing = s["comparison"]["settings"]["differing"].as_array().unwrap();
    let target = differing
        .iter()
        .find(|r| r["setting"] == "hpa.metrics[0].resource.target.averageUtilization")
        .unwrap_or_else(|| panic!("{differing:?}"));
    assert_eq!(target["values"], serde_json::json!(["80", "40"]));
    // One overlay chart for the spike, drawn at full size.
    let charts = s["charts"].as_array().unwrap();
    let spike = charts
        .iter()
        .find(|c| c["file"] == "overlay_spike.png")
        .unwrap();
    assert!(spike["not_drawn"].is_null(), "{spike}");
    let png = std::fs::read(out.path().join("overlay_spike.png")).unwrap();
    assert_eq!(&png[16..24], &[0, 0, 7, 128, 0, 0, 4, 56], "1920x1080");
}
