//! `report build --slo FILE --check` on the shipped sample: objectives checked against values
//! recomputed here from requests.ndjson, the exit status of the gate, goodput, JUnit XML, and a
//! bad objectives file named with its line and column while the report is still written.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::read_lines;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample")
}

struct Built {
    out: tempfile::TempDir,
    output: Output,
}

impl Built {
    fn code(&self) -> i32 {
        self.output.status.code().unwrap()
    }
    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.out.path().join("sample").join(name)).unwrap()
    }
    fn summary(&self) -> Value {
        serde_json::from_str(&self.file("summary.json")).unwrap()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
}

fn build_with(slo: &str, check: bool) -> Built {
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("slo.toml");
    std::fs::write(&file, slo).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_report"));
    cmd.arg("build")
        .arg(sample())
        .args(["--out", out.path().to_str().unwrap()])
        .arg("--slo")
        .arg(&file);
    if check {
        cmd.arg("--check");
    }
    let output = cmd.output().unwrap();
    Built { out, output }
}

/// Latencies of the sample's requests of one test and phase (as requests.ndjson names them).
fn requests(test: &str, phase: &str) -> Vec<Value> {
    read_lines(&sample().join("requests.ndjson"))
        .into_iter()
        .filter(|r| r["test"] == test && r["phase"] == phase)
        .collect()
}

/// Hyndman-Fan type 7, written here independently of the crate.
fn type7(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

fn ok_latencies(rs: &[Value]) -> Vec<f64> {
    rs.iter()
        .filter(|r| r["ok"] == true)
        .map(|r| r["latency_s"].as_f64().unwrap())
        .collect()
}

fn results(summary: &Value) -> Vec<Value> {
    summary["objectives"]["results"].as_array().unwrap().clone()
}

#[test]
fn the_gate_passes_when_every_objective_holds_and_fails_with_exit_4_when_one_does_not() {
    let spike = requests("spike", "spike");
    let p95 = type7(ok_latencies(&spike), 0.95);
    let good = spike
        .iter()
        .filter(|r| r["ok"] == true && r["latency_s"].as_f64().unwrap() <= 5.0)
        .count();
    let soak = requests("soak", "soak");
    let soak_success = 100.0 * soak.iter().filter(|r| r["ok"] == true).count() as f64 / 600.0;
    let goodput_pct = 100.0 * good as f64 / spike.len() as f64;

    let file = |p95_limit: f64, success_limit: f64| {
        format!(
            "[goodput]\nlatency_max = \"5s\"\n\n\
             [[objective]]\ntest = \"spike\"\nphase = \"Spike\"\np95_max = {p95_limit}\ngoodput_min = \"{:.3}%\"\n\n\
             [[objective]]\ntest = \"soak\"\nsuccess_min = \"{success_limit}%\"\n",
            goodput_pct - 0.001
        )
    };
    let passing = build_with(&file(p95 + 0.001, soak_success - 0.1), true);
    assert_eq!(passing.code(), 0, "{}", passing.stderr());
    let summary = passing.summary();
    let r = results(&summary);
    assert_eq!(r.len(), 3);
    assert!(r.iter().all(|r| r["outcome"] == "pass"), "{r:?}");
    // The measured values are the ones recomputed here.
    assert!((r[0]["measured"]["value"].as_f64().unwrap() - p95).abs() < 1e-6);
    assert!((r[1]["measured"]["value"].as_f64().unwrap() - goodput_pct).abs() < 1e-9);
    assert!((r[2]["measured"]["value"].as_f64().unwrap() - soak_success).abs() < 1e-9);
    let goodput = &summary["objectives"]["goodput"];
    let spike_row = goodput
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["test"] == "Spike" && g["phase"] == "Spike")
        .unwrap();
    assert_eq!(spike_row["good"].as_u64(), Some(good as u64));
    assert_eq!(spike_row["requests"].as_u64(), Some(360));
    assert!(passing.file("report.md").contains("All 3 objectives met."));

    let failing = build_with(&file(p95 - 0.001, soak_success + 0.1), true);
    assert_eq!(failing.code(), 4, "{}", failing.stderr());
    let r = results(&failing.summary());
    let outcomes: Vec<&str> = r.iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["fail", "pass", "fail"]);
    let junit = failing.file("objectives.junit.xml");
    assert!(
        junit.contains("<testsuites name=\"report objectives: sample\" tests=\"3\" failures=\"2\" errors=\"0\">"),
        "{junit}"
    );
    // Without --check the same failures are reported, and the build succeeds.
    assert_eq!(
        build_with(&file(p95 - 0.001, soak_success + 0.1), false).code(),
        0
    );
}

#[test]
fn an_objective_the_inputs_cannot_answer_is_not_measured_and_fails_the_gate() {
    let built = build_with(
        "[[objective]]\ntest = \"spike\"\nttft_p95_max = \"2s\"\n\n\
         [[objective]]\ntest = \"canary\"\np95_max = \"1s\"\n",
        true,
    );
    assert_eq!(built.code(), 4, "{}", built.stderr());
    let r = results(&built.summary());
    assert_eq!(r.len(), 2);
    assert!(r.iter().all(|r| r["outcome"] == "not_measured"), "{r:?}");
    assert!(
        r[1]["measured"]["unavailable"]
            .as_str()
            .unwrap()
            .starts_with(
                "the session has no test named `canary` (it has: Basic load, Spike, Stress, Soak)"
            ),
        "{r:?}"
    );
    let junit = built.file("objectives.junit.xml");
    assert!(junit.contains("errors=\"2\""), "{junit}");
    assert!(!junit.contains("<skipped"), "{junit}");
}

#[test]
fn a_bad_objectives_file_is_named_with_line_and_column_and_the_report_is_still_written() {
    let built = build_with("[[objective]]\ntest = \"spike\"\np96_max = \"10s\"\n", true);
    assert_eq!(built.code(), 2, "{}", built.stderr());
    assert!(
        built
            .stderr()
            .contains("slo.toml:3:1: unknown objective `p96_max`"),
        "{}",
        built.stderr()
    );
    let md = built.file("report.md");
    assert!(
        md.contains("The objectives file could not be used:"),
        "{md}"
    );
    assert!(md.contains("## Headlines"));
    assert!(
        built.summary()["objectives"]["error"]
            .as_str()
            .unwrap()
            .contains(":3:1:")
    );
}

/// The soak's drift recomputed here from its minutes' averages in summary.json: leading
/// minutes above 1.5 × the median are warm-up; a least-squares line through the rest, its
/// change over those minutes in % of the line's value at the first of them.
fn drift_of_minutes(averages: &[f64]) -> f64 {
    let mut sorted = averages.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    let warmup = averages.iter().take_while(|a| **a > 1.5 * median).count();
    let points: Vec<(f64, f64)> = averages[warmup..]
        .iter()
        .enumerate()
        .map(|(i, a)| ((warmup + i) as f64, *a))
        .collect();
    let m = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / m;
    let my = points.iter().map(|p| p.1).sum::<f64>() / m;
    let slope = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum::<f64>()
        / points.iter().map(|(x, _)| (x - mx).powi(2)).sum::<f64>();
    let (first, last) = (points[0].0, points[points.len() - 1].0);
    let start = my + slope * (first - mx);
    100.0 * slope * (last - first) / start
}

#[test]
fn soak_drift_objective_is_the_trend_of_the_soak_minutes() {
    let probe = build_with(
        "[[objective]]\ntest = \"soak\"\ndrift_max = \"100%\"\n",
        true,
    );
    let summary = probe.summary();
    let averages: Vec<f64> = summary["analysis"]["soaks"][0]["minutes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["avg"]["value"].as_f64().unwrap())
        .collect();
    assert_eq!(averages.len(), 10);
    let drift = drift_of_minutes(&averages);
    let r = results(&summary);
    assert_eq!(r[0]["outcome"], "pass", "{r:?}");
    let measured = r[0]["measured"]["value"].as_f64().unwrap();
    assert!((measured - drift).abs() < 1e-9, "{measured} vs {drift}");
    assert_eq!(probe.code(), 0, "{}", probe.stderr());

    // The sample's soak gets slightly slower (+0.01 %): a bound below that fails the gate.
    assert!(drift > 0.0, "{drift}");
    let tight = build_with(
        &format!(
            "[[objective]]\ntest = \"soak\"\ndrift_max = \"{}%\"\n",
            drift.abs() / 2.0
        ),
        true,
    );
    let r = results(&tight.summary());
    assert_eq!(r[0]["outcome"], "fail", "{r:?}");
    assert_eq!(tight.code(), 4);
}
