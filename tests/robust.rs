//! `report build` ends on every input, and says plainly what it found: absurd numbers and
//! timestamps, inputs that are not regular files, folders of unrelated JSON, bad options. Each
//! build runs the real binary under a deadline kept by the test (the fix is never a timeout: a
//! build that hangs fails the test instead of hanging the suite).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/examples")
}

/// The binary under test; `REPORT_BIN` runs these tests against another build of it (e.g. one
/// from before a fix, to see them fail).
fn report_bin() -> PathBuf {
    std::env::var_os("REPORT_BIN")
        .map_or_else(|| env!("CARGO_BIN_EXE_report").into(), PathBuf::from)
}

struct Built {
    code: Option<i32>,
    stderr: String,
}

/// Every build here takes about a second; a minute means it hangs (the debug binary on a busy
/// 2-core machine stays far below that).
const DEADLINE: Duration = Duration::from_secs(60);

/// Runs `report build ARGS` in `cwd`, killing it and failing the test past [`DEADLINE`].
fn build(args: &[&str], cwd: &Path) -> Built {
    let err_path = cwd.join(".build-stderr");
    let err_file = std::fs::File::create(&err_path).unwrap();
    let mut child = Command::new(report_bin())
        .arg("build")
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::null())
        .stderr(err_file)
        .spawn()
        .expect("the report binary starts");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("report build {args:?} did not end within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Built {
        code: status.code(),
        stderr: std::fs::read_to_string(&err_path).unwrap(),
    }
}

/// A session folder `name` under a new temporary folder, with `files` (name, content) in it.
fn session(name: &str, files: &[(&str, String)]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, content) in files {
        std::fs::write(dir.join(file), content).unwrap();
    }
    (tmp, dir)
}

fn build_ok(tmp: &Path, dir: &Path) -> (Value, String) {
    let b = build(&[dir.to_str().unwrap(), "--out", "out"], tmp);
    assert_eq!(b.code, Some(0), "{}", b.stderr);
    let name = dir.file_name().unwrap().to_str().unwrap();
    let summary = std::fs::read_to_string(tmp.join("out").join(name).join("summary.json")).unwrap();
    (serde_json::from_str(&summary).unwrap(), b.stderr)
}

/// `(file, not_drawn)` of every chart of the summary.
fn not_drawn(summary: &Value) -> Vec<(String, Option<String>)> {
    summary["charts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["file"].as_str().unwrap().to_string(),
                c["not_drawn"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn reason<'a>(charts: &'a [(String, Option<String>)], file: &str) -> Option<&'a str> {
    charts
        .iter()
        .find(|(f, _)| f == file)
        .unwrap_or_else(|| panic!("no chart {file} in {charts:?}"))
        .1
        .as_deref()
}

fn example(name: &str) -> String {
    std::fs::read_to_string(fixtures().join(name)).unwrap()
}

#[test]
fn a_soak_where_every_request_failed_ends_with_its_charts_listed_as_not_drawn() {
    // The scripts' shape when every request failed: counts only, no latency anywhere.
    let counts = r#"{"total": 300, "successful": 0, "failed": 300, "success_rate": 0.0}"#;
    let file = format!(
        r#"{{"soak": {{"test_type": "soak", "duration_minutes": 2, "target_rps": 5,
        "overall_analysis": {{"total": 600, "successful": 0, "failed": 600, "success_rate": 0.0}},
        "per_minute_chunks": [{counts}, {counts}], "all_results": []}}}}"#
    );
    let (tmp, dir) = session(
        "failed-soak",
        &[("advanced_test_results_20261126_164957.json", file)],
    );
    let (summary, _) = build_ok(tmp.path(), &dir);
    let charts = not_drawn(&summary);
    assert_eq!(
        reason(&charts, "soak_per_minute.png"),
        Some(
            "Soak: latency per minute (blocks of requests, as the script counts them): no value to draw"
        )
    );
    assert_eq!(
        reason(&charts, "soak_stability.png"),
        Some("no minute of the soak has a finite latency figure")
    );
    assert!(
        !tmp.path()
            .join("out/failed-soak/soak_per_minute.png")
            .exists()
    );
}

#[test]
fn a_throughput_of_1_7e308_is_not_drawn_and_the_rest_is() {
    let file = r#"[{"scenario": "Light", "total_requests": 10, "successful": 10, "failed": 0,
        "concurrency": 1, "total_time": 5.0, "avg_latency": 0.5, "p50_latency": 0.5,
        "min_latency": 0.4, "max_latency": 0.6, "throughput": 1.7e308, "total_tokens": 100}]"#;
    let (tmp, dir) = session("huge", &[("benchmark_results.json", file.to_string())]);
    let (summary, _) = build_ok(tmp.path(), &dir);
    let charts = not_drawn(&summary);
    assert_eq!(
        reason(&charts, "throughput_comparison.png"),
        Some(
            "Throughput by scenario: req/s of Basic load: Light 1.7e308 is too large to plot (beyond ±1e12)"
        )
    );
    assert_eq!(reason(&charts, "latency_comparison.png"), None);
    assert!(tmp.path().join("out/huge/latency_comparison.png").exists());
}

#[test]
fn console_soak_rows_with_inf_end_with_their_charts_listed_as_not_drawn() {
    // The example soak with both minutes' latencies printed as `inf`.
    let mut log = example("soak_console.log");
    for row in [
        "1          0.394           0.450",
        "2          0.396           0.451",
    ] {
        assert!(log.contains(row));
        log = log.replace(row, &format!("{}inf             inf  ", &row[..11]));
    }
    let (tmp, dir) = session("inf-soak", &[("soak_console.log", log)]);
    let (summary, _) = build_ok(tmp.path(), &dir);
    let charts = not_drawn(&summary);
    assert_eq!(
        reason(&charts, "soak_per_minute.png"),
        Some(
            "Soak: latency per minute (blocks of requests, as the script counts them): no value to draw"
        )
    );
    assert_eq!(
        reason(&charts, "soak_stability.png"),
        Some("no minute of the soak has a finite latency figure")
    );
}

#[test]
fn a_400_digit_stress_rate_ends_with_its_charts_listed_as_not_drawn() {
    let rate = "9".repeat(400);
    let log = example("stress_console.log").replacen(
        "📈 Testing 16 req/s",
        &format!("📈 Testing {rate} req/s"),
        1,
    );
    assert!(log.contains(&rate));
    let (tmp, dir) = session("big-rate", &[("stress_console.log", log)]);
    let (summary, _) = build_ok(tmp.path(), &dir);
    let charts = not_drawn(&summary);
    // 400 nines is above f64::MAX: the rate reads as infinite.
    assert_eq!(
        reason(&charts, "stress_curve.png"),
        Some("stress curve: the target rate of step 6 inf is not a finite number")
    );
    assert!(
        reason(&charts, "stress_steps.png")
            .is_some_and(|r| r.contains("inf is not a finite number")),
        "{charts:?}"
    );
}

/// Builds the example spike with per-request records, `stamps` written over records 5, 6, ...;
/// gives stderr, the requests in the timeline's windows and the number of windows.
fn spike_with_stamps(name: &str, stamps: &[&str]) -> (String, u64, usize) {
    let mut file: Value =
        serde_json::from_str(&example("advanced_test_results_full_spike.json")).unwrap();
    for (i, stamp) in stamps.iter().enumerate() {
        file["spike"]["all_results"][5 + i]["timestamp"] = Value::from(*stamp);
    }
    let (tmp, dir) = session(
        name,
        &[
            ("advanced_test_results_full_spike.json", file.to_string()),
            ("full_spike_console.log", example("full_spike_console.log")),
        ],
    );
    let (summary, stderr) = build_ok(tmp.path(), &dir);
    let windows = summary["analysis"]["timelines"][0]["windows"]
        .as_array()
        .unwrap();
    let requests = windows
        .iter()
        .map(|w| w["requests"].as_u64().unwrap())
        .sum();
    (stderr, requests, windows.len())
}

#[test]
fn timestamps_in_years_1_and_9999_are_reported_and_left_out_before_windowing() {
    let (stderr, requests, windows) = spike_with_stamps(
        "far-stamps",
        &["0001-01-01T00:00:00", "9999-12-31T23:59:59"],
    );
    assert!(
        stderr.contains(
            "advanced_test_results_full_spike.json: $.spike.all_results[5].timestamp: 2 record(s) with an end time more than 7 days from the median end time of the list kept without a time: [5] 0001-01-01 00:00:00, [6] 9999-12-31 23:59:59; value ignored"
        ),
        "{stderr}"
    );
    // The 358 of 360 records with a plausible time fill the timeline; the two others count
    // only in the phase figures (they keep their latency).
    assert_eq!(requests, 358);
    assert!(windows < 100, "{windows} windows");
}

#[test]
fn timestamps_beyond_chronos_range_do_not_panic() {
    let (stderr, requests, _) = spike_with_stamps(
        "beyond-chrono",
        &["+200000-01-01T00:00:00", "-200000-01-01T00:00:00"],
    );
    assert!(
        stderr.contains(
            "$.spike.all_results[5].timestamp: 2 record(s) with an end time more than 7 days"
        ),
        "{stderr}"
    );
    assert_eq!(requests, 358);
}

#[cfg(unix)]
#[test]
fn a_fifo_named_like_a_log_is_not_read_and_a_folder_named_like_a_results_file_is_a_warning() {
    let (tmp, dir) = session(
        "odd-files",
        &[("benchmark_results.json", example("benchmark_results.json"))],
    );
    let fifo = dir.join("x.log");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    std::fs::create_dir(dir.join("advanced_test_results_20261126_164103.json")).unwrap();
    let (_, stderr) = build_ok(tmp.path(), &dir);
    assert!(
        stderr.contains("x.log: is not a regular file (a pipe, socket or device), so it is not read; file skipped"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "advanced_test_results_20261126_164103.json: is a folder, named like an input file; file skipped"
        ),
        "{stderr}"
    );
}

#[test]
fn counts_near_u64_max_are_a_warning_not_an_overflow() {
    let file = r#"{"spike": {"baseline_results": {"total": 5, "successful": 18446744073709551615, "failed": 18446744073709551615}},
        "stress": {"breaking_point": null, "max_tested": 1}}"#;
    let file2 = r#"{"spike": {"baseline_results": {"total": 18446744073709551615, "successful": 1, "failed": 18446744073709551614},
        "all_results": [{"success": true, "latency": 0.5, "timestamp": "2026-11-26T16:50:05"}]}}"#;
    let (tmp, dir) = session(
        "big-counts",
        &[
            (
                "advanced_test_results_20261126_164103.json",
                file.to_string(),
            ),
            (
                "advanced_test_results_20261126_164104.json",
                file2.to_string(),
            ),
        ],
    );
    let (_, stderr) = build_ok(tmp.path(), &dir);
    assert!(
        stderr.contains("$.spike.baseline_results: successful (18446744073709551615) is greater than total (5); value ignored"),
        "{stderr}"
    );
}

#[test]
fn a_folder_of_unrelated_json_exits_3_saying_what_was_expected() {
    let (tmp, dir) = session(
        "unrelated",
        &[
            ("package.json", r#"{"name": "x", "version": "1.0"}"#.into()),
            ("items.json", r#"[{"id": 1, "tags": ["a"]}]"#.into()),
        ],
    );
    let b = build(&[dir.to_str().unwrap(), "--out", "out"], tmp.path());
    assert_eq!(b.code, Some(3), "{}", b.stderr);
    let lines: Vec<&str> = b.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{}", b.stderr);
    assert!(
        lines[0].starts_with("note: ")
            && lines[0].contains("items.json: not a results file of the test scripts"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("note: ") && lines[1].contains("package.json: not a results file"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("error: nothing usable in ")
            && lines[2].contains("expected the test scripts' results (benchmark_results.json, a list of scenarios; advanced_test_results_*.json, an object with a spike, stress or soak key)"),
        "{}",
        lines[2]
    );
    assert!(!tmp.path().join("out/unrelated").exists());
}

#[test]
fn every_message_has_one_severity_first_and_no_serde_internals() {
    let (tmp, dir) = session(
        "mixed",
        &[
            ("benchmark_results.json", example("benchmark_results.json")),
            ("numbers.json", "[1, 2]".into()),
            ("package.json", r#"{"name": "x"}"#.into()),
            (
                "advanced_test_results_bad.json",
                r#"{"spike": {"baseline_results": {"total": "many"}}}"#.into(),
            ),
        ],
    );
    let (_, stderr) = build_ok(tmp.path(), &dir);
    for line in stderr.lines() {
        let severities = ["error: ", "warning: ", "note: "];
        assert!(severities.iter().any(|s| line.starts_with(s)), "{line}");
        for inner in ["(note)", "expected struct", "expected u64", "invalid type"] {
            assert!(!line.contains(inner), "{line}");
        }
    }
    assert!(
        stderr.contains("numbers.json: line 1, column 2: at $[0]: the number 1 where a scenario object of benchmark_results.json"),
        "{stderr}"
    );
    assert!(
        stderr.contains(r#"at $.spike.baseline_results.total: the text "many" where a whole number (0 or more) was expected; file skipped"#),
        "{stderr}"
    );
}

#[test]
fn size_and_templates_are_checked_where_they_are_typed() {
    let (tmp, dir) = session(
        "opts",
        &[("benchmark_results.json", example("benchmark_results.json"))],
    );
    let d = dir.to_str().unwrap();
    let b = build(&[d, "--size", "10x10"], tmp.path());
    assert_eq!(b.code, Some(2), "{}", b.stderr);
    assert!(
        b.stderr.contains("10x10 cannot hold a readable chart: the width must be 320 to 8000 pixels and the height 240 to 8000"),
        "{}",
        b.stderr
    );
    assert!(!b.stderr.contains("..="), "{}", b.stderr);
    let b = build(&[d, "--templates", "/nonexistent"], tmp.path());
    assert_eq!(b.code, Some(2), "{}", b.stderr);
    assert!(
        b.stderr.contains("/nonexistent is not a folder; pass the folder that holds your report.md.tera and/or report.html.tera"),
        "{}",
        b.stderr
    );
    let empty = tmp.path().join("no-templates");
    std::fs::create_dir(&empty).unwrap();
    let b = build(&[d, "--templates", empty.to_str().unwrap()], tmp.path());
    assert_eq!(b.code, Some(2), "{}", b.stderr);
    assert!(
        b.stderr
            .contains("holds neither report.md.tera nor report.html.tera"),
        "{}",
        b.stderr
    );
}

#[test]
fn no_argument_picks_the_newest_usable_session_and_says_which() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let usable = data.join("run1");
    std::fs::create_dir_all(&usable).unwrap();
    std::fs::write(
        usable.join("benchmark_results.json"),
        example("benchmark_results.json"),
    )
    .unwrap();
    // Newer, but empty: what a `collect` whose command never started leaves.
    let empty = data.join("run2");
    std::fs::create_dir(&empty).unwrap();
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::open(&usable)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let b = build(&[], tmp.path());
    assert_eq!(b.code, Some(0), "{}", b.stderr);
    assert!(
        b.stderr.contains(&format!(
            "note: no session folder given: building {}, the newest under data with results; passed over, nothing usable in: {}",
            Path::new("data").join("run1").display(),
            Path::new("data").join("run2").display()
        )),
        "{}",
        b.stderr
    );
    assert!(tmp.path().join("out/run1/report.html").exists());
    assert!(!tmp.path().join("out/run2").exists());
}
