//! The shipped sample session, built as the README's first command builds it, checked against
//! what really happened: data/sample was recorded from `report sim` by
//! scripts/make_sample_session.sh, and the sim's own log of every HPA decision is in the session
//! (sim_ground_truth.jsonl). Per-request figures are recomputed from requests.ndjson.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;
use common::{chromium_probe, read_lines, time};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample")
}

/// `report build data/sample` into a temporary folder; its summary.json.
fn build_sample() -> (tempfile::TempDir, Value) {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_report"))
        .arg("build")
        .arg(sample())
        .args(["--out", out.path().to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let summary = std::fs::read_to_string(out.path().join("sample/summary.json")).unwrap();
    (out, serde_json::from_str(&summary).unwrap())
}

#[test]
fn sample_report_draws_every_chart_and_matches_the_sims_log() {
    let (out, summary) = build_sample();
    let charts = summary["charts"].as_array().unwrap();
    let not_drawn: Vec<&Value> = charts
        .iter()
        .filter(|c| !c["not_drawn"].is_null())
        .collect();
    assert!(not_drawn.is_empty(), "{not_drawn:?}");
    // And the page shows them all, at full size.
    let seen = chromium_probe(&out.path().join("sample/report.html"));
    assert_eq!(seen["loaded"], charts.len(), "{seen}");
    assert_eq!(seen["widths"], serde_json::json!([1920]), "{seen}");

    // Every HPA decision the sim made, with its sizes and time (lastScaleTime is exact).
    let truth = read_lines(&sample().join("sim_ground_truth.jsonl"));
    let rescales: Vec<&Value> = truth
        .iter()
        .filter(|l| l["kind"] == "hpa_sync" && l["rescaled"] == true)
        .collect();
    let scaling = &summary["analysis"]["scaling"];
    let decisions = scaling["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), rescales.len());
    for (d, t) in decisions.iter().zip(&rescales) {
        assert_eq!((&d["from"], &d["to"]), (&t["current"], &t["desired"]));
        assert_eq!(time(&d["at"]), time(&t["t"]));
    }
    let max_desired = rescales.iter().map(|t| t["desired"].as_f64().unwrap());
    assert_eq!(
        scaling["max_pods"]["value"].as_f64(),
        max_desired.reduce(f64::max)
    );

    // A scale-up outside the spike has no baseline to recover to, and says so.
    for chain in scaling["chains"].as_array().unwrap() {
        let last = chain["steps"].as_array().unwrap().last().unwrap();
        if !chain["phase"].as_str().unwrap().starts_with("Spike:") {
            assert_eq!(
                last["delay"]["unavailable"],
                "measured for the spike's scale-ups only (their baseline p95 is the spike's)"
            );
        }
    }
}

#[test]
fn sample_stress_breaking_point_is_the_first_step_below_95_percent_success() {
    let (_out, summary) = build_sample();
    let records = read_lines(&sample().join("requests.ndjson"));
    let events = read_lines(&sample().join("run_events.jsonl"));
    let steps: Vec<(String, f64)> = events
        .iter()
        .filter(|e| e["test"] == "stress" && e["event"] == "start")
        .map(|e| {
            let name = e["phase"].as_str().unwrap().to_string();
            (name, e["target_rps"].as_f64().unwrap())
        })
        .collect();
    let success = |phase: &str| {
        let step: Vec<&Value> = records
            .iter()
            .filter(|r| r["test"] == "stress" && r["phase"] == phase)
            .collect();
        let ok = step.iter().filter(|r| r["ok"] == true).count();
        100.0 * ok as f64 / step.len() as f64
    };
    let breaking = steps
        .iter()
        .find(|(phase, _)| success(phase) < 95.0)
        .map(|(_, rate)| *rate);
    let stress = &summary["analysis"]["stresses"][0];
    assert!(breaking.is_some(), "the sample's stress test must break");
    assert_eq!(stress["breaking_point"]["value"].as_f64(), breaking);
}
