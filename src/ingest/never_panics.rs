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
