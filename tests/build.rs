//! `report build` end to end: the real binary on real script output (tests/fixtures/examples is
//! a copy of ../shared/examples) and on broken inputs. Expected figures were computed
//! independently with Python from the fixture files (see each comment).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::chromium_probe;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn build(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_report"))
        .arg("build")
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the report binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Builds the examples once per test (each test has its own output folder).
fn build_examples() -> (tempfile::TempDir, PathBuf) {
    let out = tempfile::tempdir().unwrap();
    let o = build(
        &[
            fixtures().join("examples").to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
        ],
        out.path(),
    );
    assert!(o.status.success(), "build failed: {}", stderr(&o));
    let dir = out.path().join("examples");
    (out, dir)
}

fn summary(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

fn close(actual: &Value, expected: f64) {
    let a = actual
        .as_f64()
        .unwrap_or_else(|| panic!("expected a number, got {actual}"));
    assert!((a - expected).abs() < 1e-9, "{a} != {expected}");
}

#[test]
fn stress_steps_show_the_rate_sent_apart_from_the_rate_answered() {
    let (_tmp, dir) = build_examples();
    let s = summary(&dir);
    let steps = s["analysis"]["stresses"][0]["steps"].as_array().unwrap();
    // Python, from the fixture log: sent = (last − first progress count) / (time between the
    // two lines); answered = requests / (`Success rate` line − `📈 Testing` line).
    let expected = [
        (1.0, 60.0, 59.344937, 44.0, 43.995616),
        (4.0, 240.0, 60.144362, 164.0, 40.999632),
        (7.0, 420.0, 60.210358, 284.0, 40.571832),
        (10.0, 600.0, 60.275553, 403.0, 40.30063),
        (13.0, 780.0, 76.736561, 523.0, 40.231956),
        (16.0, 960.0, 93.687156, 644.0, 40.250068),
    ];
    assert_eq!(steps.len(), expected.len());
    for (step, (target, requests, secs, sent, window)) in steps.iter().zip(expected) {
        close(&step["target_rps"], target);
        close(&step["requests"]["value"], requests);
        close(&step["duration"]["value"], secs);
        close(&step["answered_rps"]["value"], requests / secs);
        close(&step["achieved_rps"]["value"], sent / window);
        // The script handed out every step's requests at its target rate.
        assert!(step["achieved_rps"]["flag"].is_null(), "{step}");
    }
    // Drain: last answer − last send extrapolated at the rate sent (Python: 16.81 s, 33.75 s).
    let drain = |i: usize| steps[i]["drain"]["value"].as_f64().unwrap();
    assert!((drain(4) - 16.811712).abs() < 1e-3, "{}", drain(4));
    assert!((drain(5) - 33.749290).abs() < 1e-3, "{}", drain(5));
    // The last two steps answered below 95 % of the rate sent: degrading by that rule.
    let behind: Vec<bool> = steps
        .iter()
        .map(|s| {
            s["rules"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["rule"] == "answers_behind")
        })
        .collect();
    assert_eq!(behind, [false, false, false, false, true, true]);
    assert_eq!(steps[5]["status"], "degrading");
    assert_eq!(steps[0]["status"], "good");
    let stress = &s["analysis"]["stresses"][0];
    assert!(stress["breaking_point"]["value"].is_null());
    close(&stress["max_tested"]["value"], 16.0);
    close(&stress["max_stable_achieved"]["value"], 960.0 / 93.687156);
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        md.contains("| 16.0 | 16.0 req/s | 10.2 req/s | 33.7 s | 960 | 93.7 s |"),
        "{md}"
    );
    assert!(md.contains("answered 64 % of the rate sent"), "{md}");
    assert!(md.contains(
        "System handled max load of 16 req/s successfully\", but answers came back at most at 10.2 req/s"
    ));
}

#[test]
fn per_request_records_give_exact_percentiles_and_the_renamed_file_finds_its_log() {
    let (_tmp, dir) = build_examples();
    let s = summary(&dir);
    let spikes = s["analysis"]["spikes"].as_array().unwrap();
    assert_eq!(
        spikes.len(),
        2,
        "the full spike file must pair with full_spike_console.log"
    );
    let full = &spikes[1];
    assert_eq!(
        full["source"],
        "advanced_test_results_full_spike.json + full_spike_console.log"
    );
    // Python, type-7 quantiles of the successful latencies of all_results[0:60], [60:300], [300:360].
    let expected = [
        (
            "Baseline",
            0.3937991420427958,
            0.4468779683113098,
            0.45732090473175047,
            29.91842,
        ),
        (
            "Spike",
            1.7620371301968893,
            2.4242334961891174,
            2.494638180732727,
            23.700471,
        ),
        (
            "Recovery",
            0.3973355452219645,
            0.44800615310668945,
            0.453055317401886,
            29.844096,
        ),
    ];
    for (phase, (name, avg, p95, p99, secs)) in
        full["phases"].as_array().unwrap().iter().zip(expected)
    {
        assert_eq!(phase["name"], name);
        close(&phase["row"]["avg"]["value"], avg);
        close(&phase["row"]["p95"]["value"], p95);
        close(&phase["row"]["p99"]["value"], p99);
        assert!(
            phase["row"]["p95"]["method"]
                .as_str()
                .unwrap()
                .contains("Hyndman-Fan type 7")
        );
        close(&phase["duration"]["value"], secs);
    }
    // The spike phase ended at 16:50:51.066456 (the `🔄 Phase 3` line). The requests sent
    // (timestamp − latency) in the 5 s after it already have their type-7 p95 within 10 % of
    // the baseline's: recovered in the first window, 0 s.
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("examples/advanced_test_results_full_spike.json"))
            .unwrap(),
    )
    .unwrap();
    let end =
        chrono::NaiveDateTime::parse_from_str("2026-11-26T16:50:51.066456", "%Y-%m-%dT%H:%M:%S%.f")
            .unwrap();
    let mut first: Vec<f64> = file["spike"]["all_results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["success"] == true)
        .filter_map(|r| {
            let latency = r["latency"].as_f64().unwrap();
            let at = chrono::NaiveDateTime::parse_from_str(
                r["timestamp"].as_str().unwrap(),
                "%Y-%m-%dT%H:%M:%S%.f",
            )
            .unwrap();
            let sent_after = (at - end).num_microseconds().unwrap() as f64 / 1e6 - latency;
            (0.0..5.0).contains(&sent_after).then_some(latency)
        })
        .collect();
    first.sort_by(f64::total_cmp);
    let rank = 0.95 * (first.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    let p95 = first[lo] + (first[hi] - first[lo]) * (rank - lo as f64);
    assert_eq!(first.len(), 10);
    assert!(p95 <= 1.1 * 0.4468779683113098, "{p95}");
    close(&full["time_to_recover"]["value"], 0.0);
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        md.contains("Time to recover: recovered in the first window ("),
        "{md}"
    );
    assert!(
        spikes[0]["time_to_recover"]["value"].is_null(),
        "no per-request records in the first spike"
    );
    // Spike vs baseline average: (1.7620371301968893 − 0.3937991420427958) / 0.3937991420427958.
    close(
        &full["phases"][1]["avg_change_pct"]["value"],
        100.0 * (1.7620371301968893 - 0.3937991420427958) / 0.3937991420427958,
    );
}

#[test]
fn basic_scenarios_take_p95_p99_from_the_console_and_flag_the_inverted_p99() {
    let (_tmp, dir) = build_examples();
    let s = summary(&dir);
    let light = &s["analysis"]["scenarios"][0];
    assert_eq!(light["name"], "Light Load (Sequential)");
    close(&light["avg"]["value"], 0.33825011253356935);
    assert_eq!(light["avg"]["source"], "benchmark_results.json");
    close(&light["p95"]["value"], 0.391);
    assert_eq!(light["p95"]["source"], "benchmark_console.log");
    close(&light["p99"]["value"], 0.355);
    assert!(light["p99"]["flag"].as_str().unwrap().contains("below p95"));
    // 306 tokens / 1.693425178527832 s.
    close(&light["tokens_per_s"]["value"], 306.0 / 1.693425178527832);
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("| Basic load | Light Load (Sequential) | 5 | 100.0 % | 0.338 s | 0.342 s | 0.391 s | 0.355 s ⚠[1] |"), "{md}");
}

#[test]
fn soak_per_minute_table_and_verdict() {
    let (_tmp, dir) = build_examples();
    let s = summary(&dir);
    let soak = &s["analysis"]["soaks"][0];
    assert_eq!(soak["stable"], true);
    let minutes = soak["minutes"].as_array().unwrap();
    assert_eq!(minutes.len(), 2);
    // Against the median of the two minutes' averages, their mean.
    let (a0, a1) = (
        minutes[0]["avg"]["value"].as_f64().unwrap(),
        minutes[1]["avg"]["value"].as_f64().unwrap(),
    );
    assert_eq!(a0, 0.39379828294118246);
    let median = (a0 + a1) / 2.0;
    close(
        &minutes[0]["avg_vs_median_pct"]["value"],
        100.0 * (a0 - median) / median,
    );
    // Two minutes, no warm-up: the trend through them is the change from the first to the
    // second, relative to the first.
    let verdict = &soak["verdict"];
    assert_eq!(verdict["kind"], "judged");
    assert_eq!(verdict["warmup"], serde_json::json!([]));
    close(&verdict["drift_pct"], 100.0 * (a1 - a0) / a0);
    // 600 successes between the `Press Ctrl+C to stop early.` line (16:47:56.991877) and the
    // `📊 Degradation Analysis` line (16:49:57.185004): 120.193127 s.
    close(
        &soak["overall"]["requests_per_s"]["value"],
        600.0 / 120.193127,
    );
}

/// Width, height and the number of distinct colours of a PNG.
fn png_facts(path: &Path) -> (u32, u32, usize, bool) {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8();
    let mut colours = std::collections::HashSet::new();
    let mut has_palette_blue = false;
    for p in img.pixels() {
        colours.insert(p.0);
        has_palette_blue |= p.0 == [0, 114, 178];
    }
    (img.width(), img.height(), colours.len(), has_palette_blue)
}

#[test]
fn every_chart_is_a_1920x1080_png_with_content() {
    let (_tmp, dir) = build_examples();
    let s = summary(&dir);
    let charts = s["charts"].as_array().unwrap();
    let drawn: Vec<&str> = charts
        .iter()
        .filter(|c| c["not_drawn"].is_null())
        .map(|c| c["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        drawn,
        [
            "latency_comparison.png",
            "throughput_comparison.png",
            "success_rate.png",
            "spike_phases.png",
            "stress_steps.png",
            "soak_per_minute.png",
            // Named after its run, "Spike 2 (16:51:20)" (the examples hold two spike runs).
            "latency_over_time_spike_2_16_51_20.png",
            "stress_curve.png",
            "soak_stability.png"
        ]
    );
    for file in drawn {
        let (w, h, colours, blue) = png_facts(&dir.join(file));
        assert_eq!((w, h), (1920, 1080), "{file}");
        assert!(colours > 20, "{file} looks blank: {colours} colours");
        assert!(blue, "{file} lacks the first palette colour");
    }
}

#[test]
fn size_and_format_options_are_obeyed() {
    let out = tempfile::tempdir().unwrap();
    let o = build(
        &[
            fixtures().join("examples").to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
            "--format",
            "md",
            "--size",
            "1280x720",
        ],
        out.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let dir = out.path().join("examples");
    assert!(dir.join("report.md").exists());
    assert!(!dir.join("report.html").exists());
    let (w, h, _, _) = png_facts(&dir.join("latency_comparison.png"));
    assert_eq!((w, h), (1280, 720));
}

/// A session folder holding one good file and every kind of broken one.
fn broken_session() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("broken");
    std::fs::create_dir(&session).unwrap();
    let examples = fixtures().join("examples");
    std::fs::copy(
        examples.join("advanced_test_results_20261126_164957.json"),
        session.join("advanced_test_results_20261126_164957.json"),
    )
    .unwrap();
    let files: [(&str, &str); 6] = [
        (
            "advanced_test_results_20261126_100000.json",
            "this is not json",
        ),
        (
            "advanced_test_results_20261126_100001.json",
            "{\"spike\": {\"baseline_results\": {\"total\": 5",
        ),
        (
            "advanced_test_results_20261126_100002.json",
            "{\"stress\": {\"breaking_point\": \"high\"}}",
        ),
        ("advanced_test_results_20261126_100003.json", ""),
        (
            "advanced_test_results_20261126_100004.json",
            "{\"spike\": {\"baseline_results\": {\"total\": 10, \"successful\": 12, \"failed\": 0}, \"spike_results\": {\"total\": 2, \"successful\": 2, \"failed\": 0, \"avg_latency\": -4.0, \"p95_latency\": NaN}}}",
        ),
        (
            "benchmark_results.json",
            "[{\"scenario\": \"Light\", \"total_requests\": 3, \"successful\": 3, \"failed\": 0, \"avg_latency\": 1e308}]",
        ),
    ];
    for (name, text) in files {
        std::fs::write(session.join(name), text).unwrap();
    }
    dir
}

#[test]
fn broken_files_are_named_with_their_place_and_the_rest_still_reports() {
    let dir = broken_session();
    let o = build(&["broken", "--out", "out"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    for expected in [
        "advanced_test_results_20261126_100000.json: line 1, column 1: not JSON: expected `[` or `{`",
        "advanced_test_results_20261126_100001.json: line 1, column 42: truncated JSON",
        "advanced_test_results_20261126_100002.json: line 1, column 36: at $.stress.breaking_point: the text \"high\" where a number was expected; file skipped",
        "advanced_test_results_20261126_100003.json: line 1, column 1: empty file",
        "advanced_test_results_20261126_100004.json: $.spike.baseline_results: successful (12) is greater than total (10)",
        "advanced_test_results_20261126_100004.json: $.spike.spike_results.avg_latency: latency -4 is negative",
        "1 NaN/Infinity value(s) written by Python read as missing",
        "benchmark_results.json: $[Light].avg_latency: latency 1e308 is above one day",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    let md = std::fs::read_to_string(dir.path().join("out/broken/report.md")).unwrap();
    assert!(md.contains("### Inputs skipped or repaired"));
    assert!(md.contains("advanced_test_results_20261126_100000.json"));
    // The good soak file still makes its section.
    assert!(md.contains("**Stable: drift "), "{md}");
}

#[test]
fn nothing_usable_is_a_failure_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let o = build(&["empty"], dir.path());
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("nothing usable in empty"),
        "{}",
        stderr(&o)
    );

    let o = build(&["does-not-exist"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "session folder does-not-exist does not exist: not a folder here nor a session under data"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_crashed_stress_run_is_reported_from_its_console_log() {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("crashed");
    std::fs::create_dir(&session).unwrap();
    let log = "2026-11-26T10:00:00.000000+00:00\t💪 STRESS TEST\n\
2026-11-26T10:00:00.000000+00:00\tStart: 1 req/s\n\
2026-11-26T10:00:00.100000+00:00\t📈 Testing 1 req/s for 60s...\n\
2026-11-26T10:01:00.100000+00:00\t  Success rate: 100.0%\n\
2026-11-26T10:01:00.100000+00:00\t  Avg latency: 3.200s\n\
2026-11-26T10:01:00.200000+00:00\t📈 Testing 4 req/s for 60s...\n\
2026-11-26T10:02:20.200000+00:00\t❌ Error during testing: 'avg_latency'\n";
    std::fs::write(session.join("stress_console.log"), log).unwrap();
    let o = build(&["crashed", "--out", "out"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let s = summary(&dir.path().join("out/crashed"));
    let stress = &s["analysis"]["stresses"][0];
    assert_eq!(stress["crash"], "'avg_latency'");
    // No progress lines: the rate sent is unknown; 60 answers in the step's 60 s.
    assert!(stress["steps"][0]["achieved_rps"]["value"].is_null());
    close(&stress["steps"][0]["answered_rps"]["value"], 1.0);
    close(&stress["steps"][0]["avg"]["value"], 3.2);
    // The 4 req/s step printed no figures before the crash: not one request succeeded, so it
    // is breaking and the breaking point (issue 10 §3: it was "✅ good", breaking point none).
    close(&stress["steps"][1]["success_rate"]["value"], 0.0);
    assert_eq!(stress["steps"][1]["status"], "breaking");
    assert_eq!(
        stress["steps"][1]["rules"][0]["rule"],
        "no_successful_answer"
    );
    close(&stress["breaking_point"]["value"], 4.0);
    close(&stress["max_stable_target"]["value"], 1.0);
    let md = std::fs::read_to_string(dir.path().join("out/crashed/report.md")).unwrap();
    assert!(
        md.contains("| ❌ breaking (no successful answer) |"),
        "{md}"
    );
    assert!(
        // The crash message is a code span it cannot leave (render/escape.rs `Md::code`).
        md.contains("The script crashed (`'avg_latency'`) and wrote no results file"),
        "{md}"
    );
}

#[test]
fn no_argument_builds_the_newest_session_under_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data/run1");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::copy(
        fixtures().join("examples/benchmark_results.json"),
        data.join("benchmark_results.json"),
    )
    .unwrap();
    let o = build(&[], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("out/run1/report.html").exists());
}

#[test]
fn html_report_opens_in_chromium_with_every_image_and_table() {
    let (_tmp, dir) = build_examples();
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    // Every Markdown table has one separator row starting with `|---` or `|--:`.
    let tables = md
        .lines()
        .filter(|l| l.starts_with("|---") || l.starts_with("|--:"))
        .count();
    let seen = chromium_probe(&dir.join("report.html"));
    assert_eq!(seen["images"], 9, "{seen}");
    assert_eq!(seen["loaded"], 9, "{seen}");
    assert_eq!(seen["widths"], serde_json::json!([1920]));
    assert_eq!(seen["tables"], tables as u64);
    assert_eq!(seen["title"], "Load-test report: examples");
}

#[test]
fn a_type_all_file_with_failed_empty_and_interrupted_parts_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("all");
    std::fs::create_dir(&session).unwrap();
    let file = r#"{
  "spike": {"test_type": "spike",
    "baseline_results": {"total": 4, "successful": 4, "failed": 0, "success_rate": 100.0, "avg_latency": 3.0,
      "median_latency": 3.0, "p95_latency": 3.5, "p99_latency": 3.5, "min_latency": 2.5, "max_latency": 3.5, "total_tokens": 320},
    "spike_results": {"total": 10, "successful": 0, "failed": 10, "success_rate": 0.0},
    "recovery_results": {},
    "all_results": [],
    "extra_field_added_by_the_user": true},
  "stress": {"test_type": "stress", "breaking_point": 4, "max_tested": 1, "all_results": []},
  "soak": {"test_type": "soak", "status": "interrupted"}
}"#;
    std::fs::write(
        session.join("advanced_test_results_20261126_120000.json"),
        file,
    )
    .unwrap();
    let o = build(&["all", "--out", "out"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let s = summary(&dir.path().join("out/all"));
    let phases = &s["analysis"]["spikes"][0]["phases"];
    assert!(
        phases[0]["row"]["p95"]["flag"]
            .as_str()
            .unwrap()
            .contains("maximum when n ≤ 20 (n = 4)")
    );
    close(&phases[1]["row"]["success_rate"]["value"], 0.0);
    assert_eq!(
        phases[1]["row"]["avg"]["unavailable"],
        "every request failed: no latency"
    );
    assert_eq!(
        phases[1]["avg_change_pct"]["unavailable"],
        "needs this phase's and the baseline's value"
    );
    assert_eq!(
        phases[2]["row"]["avg"]["unavailable"],
        "the phase had no requests (empty analysis object)"
    );
    let stress = &s["analysis"]["stresses"][0];
    close(&stress["breaking_point"]["value"], 4.0);
    assert_eq!(stress["steps"].as_array().unwrap().len(), 0);
    let soak = &s["analysis"]["soaks"][0];
    assert_eq!(soak["interrupted"], true);
    assert!(soak["stable"].is_null());
    assert_eq!(soak["verdict"]["kind"], "interrupted");
    let not_drawn: Vec<(String, String)> = s["charts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["not_drawn"].is_null())
        .map(|c| {
            (
                c["file"].as_str().unwrap().to_string(),
                c["not_drawn"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(not_drawn.contains(&(
        "stress_steps.png".into(),
        "the stress test's per-step figures are only in its console log, which is missing".into()
    )));
    assert!(not_drawn.contains(&(
        "soak_per_minute.png".into(),
        "the soak test has no per-minute figures (interrupted, or no file)".into()
    )));
    let md = std::fs::read_to_string(dir.path().join("out/all/report.md")).unwrap();
    assert!(
        md.contains("not drawn: the stress test's per-step figures are only in its console log")
    );
}
