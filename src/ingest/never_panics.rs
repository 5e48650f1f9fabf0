//! Property tests: every parser takes arbitrary input without panicking, and inputs shaped like
//! the scripts' output (with random values) keep their invariants.

use std::path::Path;

use proptest::prelude::*;

use super::console::parse_console_log;
use super::json::{parse_results_bytes, replace_python_non_finite};
use super::records::{RequestColumns, parse_local_timestamp};

/// Lines built from the markers the console parser looks for, with random numbers and stamps.
fn console_line() -> impl Strategy<Value = String> {
    let marker = prop::sample::select(vec![
        "📊 Phase 1: Baseline load (",
        "⚡ Phase 2: SPIKE! ",
        "🔄 Phase 3: Recovery to baseline (",
        "📈 Testing ",
        "  Success rate: ",
        "  Avg latency: ",
        "🔥 SPIKE TEST",
        "💪 STRESS TEST",
        "⏱️  SOAK TEST (ENDURANCE)",
        "⏰ Start time: ",
        "✅ Results saved to ",
        "❌ Error during testing: ",
        "📊 Spike Phase Summary:",
        "  Total Requests: ",
        "  [Spike] Progress: ",
        "📊 Degradation Analysis (per minute):",
        "🎯 Scenario: ",
        "  P99: ",
        "Baseline: ",
        "Step: +",
        "Load: ",
        "",
    ]);
    (marker, any::<f64>(), "[0-9/ .%()s:-]{0,20}", 0u32..3).prop_map(|(m, n, tail, stamp)| {
        match stamp {
            0 => format!("2026-11-26T16:41:05.270217+00:00\t{m}{n}{tail}"),
            1 => format!("{m}{n}{tail}"),
            _ => format!("garbage\t{m}{tail}"),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn console_parser_takes_any_text(text in any::<String>()) {
        let _ = parse_console_log(Path::new("x.log"), &text);
    }

    #[test]
    fn console_parser_takes_marker_soup(lines in prop::collection::vec(console_line(), 0..60)) {
        let (log, _) = parse_console_log(Path::new("x.log"), &lines.join("\\n"));
        if let Some(spike) = &log.spike {
            let _ = spike.merged_phases();
        }
    }

    #[test]
    fn results_parser_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_results_bytes(Path::new("advanced_test_results_x.json"), bytes, &mut Vec::new());
    }

    #[test]
    fn results_parser_takes_any_json_like_text(text in r#"[\\[\\]{}":,0-9a-zA-Z_ .eE+-]{0,200}"#) {
        let _ = parse_results_bytes(Path::new("advanced_test_results_x.json"), text.into_bytes(), &mut Vec::new());
    }

    #[test]
    fn analyses_with_random_numbers_validate_without_panicking(
        total in any::<i64>(), ok in any::<i64>(), lat in any::<f64>(), rate in any::<f64>()
    ) {
        let text = format!(
            r#"{{"spike": {{"baseline_results": {{"total": {total}, "successful": {ok}, "avg_latency": {lat:?}, "success_rate": {rate:?}}}}}}}"#
        );
        let (text, _) = replace_python_non_finite(&text);
        let mut problems = Vec::new();
        let _ = parse_results_bytes(Path::new("a.json"), text.into_bytes(), &mut problems);
    }

    #[test]
    fn records_parser_takes_any_items(items in prop::collection::vec((any::<bool>(), any::<f64>(), "[0-9T:. -]{0,30}"), 0..50)) {
        let json = serde_json::to_string(
            &items.iter().map(|(s, l, t)| serde_json::json!({"success": s, "latency": if l.is_finite() { serde_json::json!(l) } else { serde_json::Value::Null }, "timestamp": t})).collect::<Vec<_>>()
        ).unwrap();
        let cols: RequestColumns = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(cols.len(), items.len());
        prop_assert!(cols.latency_s.iter().flatten().all(|l| l.is_finite() && *l >= 0.0));
    }

    #[test]
    fn timestamps_never_panic(text in any::<String>()) {
        let _ = parse_local_timestamp(&text);
    }

    #[test]
    fn non_finite_replacement_keeps_valid_json_valid(v in any::<f64>().prop_filter("finite", |v| v.is_finite()), s in "[a-zA-Z ]{0,10}") {
        let text = serde_json::json!({"v": v, "s": s}).to_string();
        let (out, n) = replace_python_non_finite(&text);
        prop_assert_eq!(n, 0);
        prop_assert_eq!(out, text);
    }
}

/// A number token as a results file may hold it: Python's non-finite tokens, extremes of f64,
/// a 400-digit integer, or an ordinary value.
fn absurd_number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|v| if v.is_finite() {
            format!("{v:?}")
        } else {
            "NaN".into()
        }),
        prop::sample::select(vec![
            "1.7e308".to_string(),
            "-1.7e308".to_string(),
            "5e-324".to_string(),
            "Infinity".to_string(),
            "-Infinity".to_string(),
            "NaN".to_string(),
            "0".to_string(),
            "9".repeat(400),
        ]),
        (0.0..100.0f64).prop_map(|v| format!("{v:?}")),
    ]
}

/// A count: u64 extremes as well as ordinary ones.
fn absurd_count() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|v| v.to_string()),
        Just(u64::MAX.to_string()),
        (0u64..1000).prop_map(|v| v.to_string()),
    ]
}

/// An end time: the years 1 and 9999, beyond chrono's range, random years, or near the bulk.
fn absurd_timestamp() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "0001-01-01T00:00:00".to_string(),
            "9999-12-31T23:59:59.999999".to_string(),
            "+200000-01-01T00:00:00".to_string(),
            "-200000-01-01T00:00:00".to_string(),
            "1970-01-01T00:00:00".to_string(),
        ]),
        (1i32..9999, 1u32..13, 1u32..29)
            .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}T12:00:00")),
        (0u32..3600).prop_map(|s| format!("2026-11-26T16:{:02}:{:02}.5", s / 60, s % 60)),
    ]
}

fn analysis_json(numbers: &[String], counts: &[String]) -> String {
    format!(
        r#"{{"total": {}, "successful": {}, "failed": {}, "success_rate": {}, "avg_latency": {}, "p95_latency": {}, "p99_latency": {}, "median_latency": {}}}"#,
        counts[0], counts[1], counts[2], numbers[0], numbers[1], numbers[2], numbers[3], numbers[4]
    )
}

fn records_json(records: &[(bool, String, String)]) -> String {
    let items: Vec<String> = records
        .iter()
        .map(|(ok, latency, stamp)| {
            format!(
                r#"{{"success": {ok}, "latency": {latency}, "tokens": 5, "timestamp": "{stamp}"}}"#
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// A `--type all` results file and a stress console log, every number and time stamp absurd.
fn absurd_session() -> impl Strategy<Value = (String, String, String)> {
    let numbers = prop::collection::vec(absurd_number(), 12);
    let counts = prop::collection::vec(absurd_count(), 6);
    let records =
        prop::collection::vec((any::<bool>(), absurd_number(), absurd_timestamp()), 0..40);
    let rates = prop::collection::vec(absurd_number(), 1..4);
    (numbers, counts, records, rates).prop_map(|(n, c, r, rates)| {
        let file = format!(
            r#"{{"spike": {{"baseline_results": {}, "spike_results": {}, "recovery_results": {{}}, "all_results": {}}},
               "stress": {{"breaking_point": {}, "max_tested": {}, "all_results": {}}},
               "soak": {{"duration_minutes": {}, "target_rps": {}, "overall_analysis": {}, "per_minute_chunks": [{}, {}], "all_results": {}}}}}"#,
            analysis_json(&n[0..5], &c[0..3]),
            analysis_json(&n[5..10], &c[3..6]),
            records_json(&r),
            n[10], n[11], records_json(&r),
            n[0], n[1],
            analysis_json(&n[2..7], &c[0..3]),
            analysis_json(&n[7..12], &c[3..6]),
            analysis_json(&n[0..5], &c[1..4]),
            records_json(&r),
        );
        let mut log = String::from("2026-11-26T16:41:05.270217+00:00\t💪 STRESS TEST\n");
        for (i, rate) in rates.iter().enumerate() {
            log.push_str(&format!(
                "2026-11-26T16:4{i}:05.270217+00:00\t📈 Testing {rate} req/s for 60s...\n\
                 2026-11-26T16:4{i}:59.270217+00:00\t  Success rate: {rate}%\n\
                 2026-11-26T16:4{i}:59.370217+00:00\t  Avg latency: {rate}s\n"
            ));
        }
        let soak_log = format!(
            "2026-11-26T16:47:56.991812+00:00\t⏱️  SOAK TEST (ENDURANCE)\n\
             2026-11-26T16:47:56.991835+00:00\tLoad: {} req/s\n\
             2026-11-26T16:49:57.185004+00:00\t📊 Degradation Analysis (per minute):\n\
             2026-11-26T16:49:57.185255+00:00\t1          {}           {}           {}          %\n\
             2026-11-26T16:49:57.185495+00:00\t2          inf           inf           100.0          %\n",
            n[3], n[4], n[5], n[6]
        );
        (file, log, soak_log)
    })
}

/// Runs ingest, analysis and every chart on the session in `dir`, in a thread: a case that has
/// not ended after a minute is a hang and fails (the thread is left spinning; the test fails).
fn build_within_a_minute(dir: std::path::PathBuf) -> Result<(), String> {
    let (done, ended) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let inputs = super::load_session(&dir).expect("the folder exists");
        let analysis = crate::analyze::analyze(&inputs);
        let out = dir.join("out");
        std::fs::create_dir_all(&out).unwrap();
        let charts = crate::charts::draw_all(&analysis, &out, (320, 240));
        let _ = done.send(charts.len());
    });
    match ended.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(_) => Ok(()),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err("did not end within 60 s".into()),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err("panicked".into()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn absurd_numbers_and_timestamps_go_through_ingest_analysis_and_charts(
        (file, log, soak_log) in absurd_session()
    ) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("advanced_test_results_20261126_164103.json"), &file).unwrap();
        std::fs::write(dir.path().join("stress_console.log"), &log).unwrap();
        std::fs::write(dir.path().join("soak_console.log"), &soak_log).unwrap();
        let ended = build_within_a_minute(dir.path().to_path_buf());
        prop_assert!(ended.is_ok(), "{:?} on\n{}\n{}\n{}", ended, file, log, soak_log);
    }
}
