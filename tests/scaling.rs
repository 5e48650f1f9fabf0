//! The autoscaling story on a session built by hand, where every right answer is known to the
//! second: a spike (14:00:30-14:01:00 UTC) scales 1→3 pods at 14:00:58 and back to 1 at 14:06:31.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

fn write_lines(path: &Path, lines: &[Value]) {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(path, text).unwrap();
}

fn hpa(
    t: &str,
    via: &str,
    current: u32,
    desired: u32,
    cpu: Option<u32>,
    last_scale: Option<&str>,
) -> Value {
    let mut status = json!({"currentReplicas": current, "desiredReplicas": desired});
    if let Some(c) = cpu {
        status["currentMetrics"] = json!([{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": c, "averageValue": "1400m"}}}]);
    }
    if let Some(l) = last_scale {
        status["lastScaleTime"] = json!(l);
    }
    json!({"t": t, "via": via, "name": "llm-inference", "status": status})
}

fn pod(
    t: &str,
    change: &str,
    name: &str,
    ready: bool,
    ready_at: Option<&str>,
    start: &str,
) -> Value {
    json!({"t": t, "change": change, "name": name, "phase": "Running", "ready": ready, "ready_transition": ready_at,
           "start_time": start, "node": "node-1", "restarts": 0, "last_termination_reason": null, "deleted_at": null})
}

fn event(t: &str, kind: &str, reason: &str, object: &str, message: &str) -> Value {
    let (k, n) = object.split_once('/').unwrap();
    json!({"t": t, "uid": format!("{reason}-{t}"), "involved_kind": k, "involved_name": n, "type": kind, "reason": reason,
           "message": message, "count": 1, "first_timestamp": t, "last_timestamp": t, "component": "horizontal-pod-autoscaler"})
}

fn session(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let manifest = json!({
        "format": "report-session", "version": 1, "name": "handmade", "created_by": "hand",
        "started_at": "2026-11-20T14:00:00Z", "ended_at": "2026-11-20T14:07:00Z", "utc_offset_seconds": 0,
        "cluster": {"namespace": "llm-inference", "hpa_name": "llm-inference", "target": "Deployment/llm-inference",
            "hpa_spec": {"minReplicas": 1, "maxReplicas": 5,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}],
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}}}}
    });
    std::fs::write(
        dir.join("session.json"),
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();
    let log = [
        ("14:00:00.000000", "🔥 SPIKE TEST"),
        ("14:00:00.000000", "Baseline: 2 req/s for 30s"),
        ("14:00:00.000000", "Recovery: 2 req/s for 30s"),
        ("14:00:00.000000", "📊 Phase 1: Baseline load (30s)..."),
        ("14:00:30.000000", "⚡ Phase 2: SPIKE! 15 req/s (30s)..."),
        (
            "14:01:00.000000",
            "🔄 Phase 3: Recovery to baseline (30s)...",
        ),
        ("14:01:30.000000", "📊 Baseline Phase Summary:"),
        (
            "14:01:30.000000",
            "✅ Results saved to advanced_test_results_20261120_140130.json",
        ),
    ]
    .iter()
    .map(|(t, l)| format!("2026-11-20T{t}+00:00\t{l}\n"))
    .collect::<String>();
    std::fs::write(dir.join("spike_console.log"), log).unwrap();
    let phase = |total: u32, avg: f64| {
        json!({"total": total, "successful": total, "failed": 0, "success_rate": 100.0, "avg_latency": avg,
        "median_latency": avg, "p95_latency": avg * 1.2, "p99_latency": avg * 1.3, "min_latency": avg * 0.8, "max_latency": avg * 1.3, "total_tokens": total * 80})
    };
    let results = json!({"spike": {"test_type": "spike", "baseline_results": phase(60, 3.0), "spike_results": phase(450, 9.0),
        "recovery_results": phase(60, 3.2), "all_results": []}});
    std::fs::write(
        dir.join("advanced_test_results_20261120_140130.json"),
        results.to_string(),
    )
    .unwrap();
    let d = "2026-11-20T";
    write_lines(
        &dir.join("hpa.jsonl"),
        &[
            hpa(&format!("{d}14:00:00Z"), "sample", 1, 1, Some(40), None),
            hpa(&format!("{d}14:00:15Z"), "sample", 1, 1, Some(45), None),
            hpa(&format!("{d}14:00:30Z"), "sample", 1, 1, Some(50), None),
            hpa(&format!("{d}14:00:45Z"), "sample", 1, 1, Some(95), None),
            hpa(
                &format!("{d}14:01:00Z"),
                "watch",
                1,
                3,
                Some(140),
                Some("2026-11-20T14:00:58Z"),
            ),
            hpa(
                &format!("{d}14:01:15Z"),
                "sample",
                3,
                3,
                Some(60),
                Some("2026-11-20T14:00:58Z"),
            ),
            hpa(
                &format!("{d}14:01:30Z"),
                "sample",
                3,
                3,
                Some(30),
                Some("2026-11-20T14:00:58Z"),
            ),
            hpa(
                &format!("{d}14:03:30Z"),
                "sample",
                3,
                3,
                Some(10),
                Some("2026-11-20T14:00:58Z"),
            ),
            hpa(
                &format!("{d}14:06:30Z"),
                "sample",
                3,
                3,
                Some(10),
                Some("2026-11-20T14:00:58Z"),
            ),
            hpa(
                &format!("{d}14:06:35Z"),
                "watch",
                3,
                1,
                Some(10),
                Some("2026-11-20T14:06:31Z"),
            ),
            hpa(
                &format!("{d}14:06:45Z"),
                "sample",
                1,
                1,
                Some(25),
                Some("2026-11-20T14:06:31Z"),
            ),
        ],
    );
    write_lines(
        &dir.join("pods.jsonl"),
        &[
            pod(
                &format!("{d}14:00:00Z"),
                "listed",
                "llm-a",
                true,
                Some("2026-11-20T13:00:00Z"),
                "2026-11-20T13:00:00Z",
            ),
            pod(
                &format!("{d}14:00:59Z"),
                "added",
                "llm-b",
                false,
                None,
                "2026-11-20T14:00:59Z",
            ),
            pod(
                &format!("{d}14:01:00Z"),
                "added",
                "llm-c",
                false,
                None,
                "2026-11-20T14:01:00Z",
            ),
            pod(
                &format!("{d}14:01:40Z"),
                "modified",
                "llm-b",
                true,
                Some("2026-11-20T14:01:40Z"),
                "2026-11-20T14:00:59Z",
            ),
            pod(
                &format!("{d}14:01:44Z"),
                "modified",
                "llm-c",
                true,
                Some("2026-11-20T14:01:44Z"),
                "2026-11-20T14:01:00Z",
            ),
            pod(
                &format!("{d}14:06:40Z"),
                "deleted",
                "llm-b",
                true,
                Some("2026-11-20T14:01:40Z"),
                "2026-11-20T14:00:59Z",
            ),
            pod(
                &format!("{d}14:06:40Z"),
                "deleted",
                "llm-c",
                true,
                Some("2026-11-20T14:01:44Z"),
                "2026-11-20T14:01:00Z",
            ),
        ],
    );
    write_lines(
        &dir.join("events.jsonl"),
        &[
            event(
                &format!("{d}14:00:05Z"),
                "Warning",
                "FailedGetResourceMetric",
                "HorizontalPodAutoscaler/llm-inference",
                "failed to get cpu utilization: no metrics returned",
            ),
            event(
                &format!("{d}14:00:58Z"),
                "Normal",
                "SuccessfulRescale",
                "HorizontalPodAutoscaler/llm-inference",
                "New size: 3; reason: cpu resource utilization (percentage of request) above target",
            ),
            event(
                &format!("{d}14:06:31Z"),
                "Normal",
                "SuccessfulRescale",
                "HorizontalPodAutoscaler/llm-inference",
                "New size: 1; reason: All metrics below target",
            ),
        ],
    );
}

/// A 3-minute soak at 5 req/s from 14:MM:00, its time-stamped console log and results file.
fn write_soak(dir: &Path, start_minute: u32) {
    write_soak_for(dir, start_minute, 3);
}

/// A soak of `minutes` at 5 req/s from 14:MM:00.
fn write_soak_for(dir: &Path, start_minute: u32, minutes: u32) {
    let (start, end) = (start_minute, start_minute + minutes);
    let duration = format!("Duration: {minutes} minutes ({}s)", minutes * 60);
    let log = [
        (start, "⏱️  SOAK TEST (ENDURANCE)"),
        (start, "Load: 5 req/s"),
        (start, duration.as_str()),
        (start, "Press Ctrl+C to stop early."),
        (end, "📊 Degradation Analysis (per minute):"),
        (
            end,
            "1          3.000           3.500           100.0          %",
        ),
        (
            end,
            &format!("✅ Results saved to advanced_test_results_20261120_14{end:02}00.json"),
        ),
    ]
    .iter()
    .map(|(m, l)| format!("2026-11-20T14:{m:02}:00.000000+00:00\t{l}\n"))
    .collect::<String>();
    std::fs::write(dir.join("soak_console.log"), log).unwrap();
    let chunk = json!({"total": 300, "successful": 300, "failed": 0, "success_rate": 100.0, "avg_latency": 3.0, "p95_latency": 3.5});
    let soak = json!({"soak": {"test_type": "soak", "duration_minutes": minutes, "target_rps": 5, "overall_analysis": chunk, "per_minute_chunks": [chunk], "all_results": []}});
    std::fs::write(
        dir.join(format!("advanced_test_results_20261120_14{end:02}00.json")),
        soak.to_string(),
    )
    .unwrap();
}

fn build(dir: &Path) -> Value {
    let out = dir.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_report"))
        .args([
            "build",
            dir.join("handmade").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(&std::fs::read_to_string(out.join("handmade/summary.json")).unwrap())
        .unwrap()
}

/// The scaling flags of a summary.json: facts tagged by `kind`, with their numbers.
fn scaling_flags(summary: &Value) -> Vec<Value> {
    summary["analysis"]["scaling"]["flags"]
        .as_array()
        .unwrap()
        .clone()
}

/// The kinds of the flags of a summary.json.
fn flag_kinds(summary: &Value) -> Vec<String> {
    scaling_flags(summary)
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn scaling_figures_are_exact_to_the_second() {
    let tmp = tempfile::tempdir().unwrap();
    session(&tmp.path().join("handmade"));
    let s = build(tmp.path());
    // The report names every file it read: the recordings as well as the scripts' files.
    let used: Vec<&str> = s["analysis"]["files_used"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(
        used,
        [
            "advanced_test_results_20261120_140130.json",
            "events.jsonl",
            "hpa.jsonl",
            "pods.jsonl",
            "spike_console.log"
        ]
    );
    let sc = &s["analysis"]["scaling"];
    // Spike start 14:00:30 → decision 14:00:58.
    assert_eq!(num(&sc["time_to_scale_up"]["value"]), 28.0);
    // Both at the HPA's decision. Spike end 14:01:00 → the decision back at 1 pod, 14:06:31.
    assert_eq!(num(&sc["time_to_scale_down"]["value"]), 331.0);
    assert!(
        sc["time_to_scale_down"]["method"]
            .as_str()
            .unwrap()
            .contains("− end of the spike phase"),
        "{}",
        sc["time_to_scale_down"]
    );
    // Beside them, when the replicas were really there: llm-c Ready at 14:01:44 (74 s after
    // the spike began), llm-b and llm-c deleted at 14:06:40 (340 s after it ended).
    assert_eq!(num(&sc["scale_up_pods_ready"]["value"]), 74.0);
    assert_eq!(num(&sc["scale_down_pods_deleted"]["value"]), 340.0);
    assert_eq!(sc["spike_test"], "Spike");
    assert_eq!(num(&sc["max_pods"]["value"]), 3.0);
    // Readings showing 3 pods from 14:01:15 until the 14:06:45 reading: 330 s.
    assert_eq!(num(&sc["time_at_max"]["value"]), 330.0);
    let decisions: Vec<(u64, u64, String)> = sc["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["from"].as_u64().unwrap(),
                d["to"].as_u64().unwrap(),
                d["at"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        decisions,
        [
            (1, 3, "2026-11-20T14:00:58Z".to_string()),
            (3, 1, "2026-11-20T14:06:31Z".to_string())
        ]
    );
    // Chain: load 14:00:30 → CPU 95 % at 14:00:45 (+15) → decision 14:00:58 (+13) → llm-b
    // created 14:00:59 (+1) → llm-c Ready 14:01:44 (+45) → latency: no per-request records.
    let steps = sc["chains"][0]["steps"].as_array().unwrap();
    let delays: Vec<Option<f64>> = steps.iter().map(|s| s["delay"]["value"].as_f64()).collect();
    assert_eq!(
        delays,
        [None, Some(15.0), Some(13.0), Some(1.0), Some(45.0), None]
    );
    assert_eq!(
        steps[5]["delay"]["unavailable"],
        "needs per-request records (all_results or report run)"
    );
    // CPU per replica count. 1 pod: 40, 45, 50, 95, 140, 25 → mean 65.8333, type-7 p95 = 95 + 0.75 × 45.
    // 3 pods: 60, 30, 10, 10, 10 → mean 24, p95 = 30 + 0.8 × 30.
    let cpu = sc["cpu_by_replicas"].as_array().unwrap();
    assert_eq!(cpu.len(), 2);
    assert_eq!(
        (cpu[0]["replicas"].as_u64(), cpu[0]["samples"].as_u64()),
        (Some(1), Some(6))
    );
    assert!((num(&cpu[0]["mean_pct"]) - 395.0 / 6.0).abs() < 1e-9);
    assert!((num(&cpu[0]["p95_pct"]) - 128.75).abs() < 1e-9);
    assert_eq!(
        (cpu[1]["replicas"].as_u64(), cpu[1]["samples"].as_u64()),
        (Some(3), Some(5))
    );
    assert!((num(&cpu[1]["mean_pct"]) - 24.0).abs() < 1e-9);
    assert!((num(&cpu[1]["p95_pct"]) - 54.0).abs() < 1e-9);
    // Pods per phase: Baseline readings all 1; Recovery 14:01:00-14:01:30 sees 1 then 3.
    let pods: Vec<(String, u64, u64)> = sc["phase_pods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["phase"].as_str().unwrap().to_string(),
                p["pods_min"].as_u64().unwrap(),
                p["pods_max"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pods,
        [
            ("Baseline".to_string(), 1, 1),
            ("Spike".to_string(), 1, 1),
            ("Recovery".to_string(), 1, 3)
        ]
    );
    assert_eq!(
        scaling_flags(&s),
        [json!({"kind": "failed_metrics", "events": 1})]
    );
    let md = std::fs::read_to_string(tmp.path().join("out/handmade/report.md")).unwrap();
    assert!(md.contains("| Recovery | 2.00 req/s |"), "{md}");
    assert!(
        md.contains("| Time to scale up (Spike: start of the spike phase → HPA decision) | 28.0 s: HPA decision"),
        "{md}"
    );
    assert!(
        md.contains("new pods Ready 74.0 s after the spike phase began |"),
        "{md}"
    );
    assert!(
        md.contains("removed pods deleted 340 s after the spike phase ended |"),
        "{md}"
    );
    assert!(md.contains("**Scaled 1→3 pods 28 s after the spike phase began; max 3 pods; back to minimum 331 s after the spike phase ended.**"), "{md}");
    assert!(
        md.contains("| 1→3 |"),
        "the recovery row shows the pods going 1→3: {md}"
    );
}

#[test]
fn cpu_above_target_is_seen_in_pod_metrics_before_the_hpa_reads_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("handmade");
    session(&dir);
    // The pods now carry their CPU request (2 CPU), and metrics-server readings of llm-a: 80 %
    // before the spike (ignored), 45 % at 14:00:25, 75 % at 14:00:40 (above the 70 % target),
    // fifteen seconds before the HPA's own reading of 95 % at 14:00:45.
    let pods: Vec<Value> = std::fs::read_to_string(dir.join("pods.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let mut p: Value = serde_json::from_str(l).unwrap();
            p["cpu_request_millicores"] = json!(2000);
            p
        })
        .collect();
    write_lines(&dir.join("pods.jsonl"), &pods);
    let metric = |t: &str, cpu_m: f64| json!({"t": format!("2026-11-20T{t}Z"), "pod": "llm-a", "timestamp": format!("2026-11-20T{t}Z"), "window_seconds": 15, "cpu_millicores": cpu_m, "memory_bytes": 1e9});
    write_lines(
        &dir.join("pod_metrics.jsonl"),
        &[
            metric("14:00:10", 1600.0),
            metric("14:00:25", 900.0),
            metric("14:00:40", 1500.0),
        ],
    );
    let s = build(tmp.path());
    let steps = &s["analysis"]["scaling"]["chains"][0]["steps"];
    assert_eq!(steps[1]["step"], "cpu_above_target");
    assert_eq!(steps[1]["at"], "2026-11-20T14:00:40Z");
    // Load start 14:00:30 → 10 s; the decision at 14:00:58 → 18 s.
    assert_eq!(num(&steps[1]["delay"]["value"]), 10.0);
    assert_eq!(num(&steps[2]["delay"]["value"]), 18.0);
}

#[test]
fn thrashing_and_pods_that_never_became_ready_are_flagged() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("handmade");
    session(&dir);
    let d = "2026-11-20T";
    // Down at 14:06:31 and up again 60 s later, inside the 300 s window; a pod stuck unready.
    let mut extra = std::fs::read_to_string(dir.join("hpa.jsonl")).unwrap();
    extra.push_str(&format!(
        "{}\n",
        hpa(
            &format!("{d}14:07:35Z"),
            "watch",
            1,
            2,
            Some(120),
            Some("2026-11-20T14:07:31Z")
        )
    ));
    std::fs::write(dir.join("hpa.jsonl"), extra).unwrap();
    let mut pods = std::fs::read_to_string(dir.join("pods.jsonl")).unwrap();
    pods.push_str(&format!(
        "{}\n",
        pod(
            &format!("{d}14:07:32Z"),
            "added",
            "llm-d",
            false,
            None,
            "2026-11-20T14:07:32Z"
        )
    ));
    std::fs::write(dir.join("pods.jsonl"), pods).unwrap();
    let s = build(tmp.path());
    let flags = scaling_flags(&s);
    let thrashing = flags.iter().find(|f| f["kind"] == "thrashing").unwrap();
    assert_eq!(
        (
            &thrashing["first"]["from"],
            &thrashing["first"]["to"],
            &thrashing["first"]["at"]
        ),
        (&json!(3), &json!(1), &json!("2026-11-20T14:06:31Z"))
    );
    assert_eq!(
        (&thrashing["reversal"]["from"], &thrashing["reversal"]["to"]),
        (&json!(1), &json!(2))
    );
    assert_eq!(
        (num(&thrashing["gap_s"]), num(&thrashing["window_s"])),
        (60.0, 300.0)
    );
    assert!(
        flags.contains(&json!({"kind": "never_ready", "pod": "llm-d"})),
        "{flags:?}"
    );
    let md = std::fs::read_to_string(tmp.path().join("out/handmade/report.md")).unwrap();
    assert!(
        md.contains("Thrashing: 3→1 at 14:06:31 reversed by 1→2 60 s later, inside the 300 s stabilization window."),
        "{md}"
    );

    // The same reversal with a soak test starting at 14:07:00, in between: the load changed,
    // so the scale-up answers the new test and is no thrashing.
    write_soak(&dir, 7);
    let s = build(tmp.path());
    let kinds = flag_kinds(&s);
    assert!(kinds.iter().all(|k| k != "thrashing"), "{kinds:?}");
}

#[test]
fn soak_memory_per_minute_growth_leak_and_oom_restarts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("handmade");
    std::fs::create_dir_all(&dir).unwrap();
    write_soak(&dir, 10);
    let mib = 1024.0 * 1024.0;
    let metric = |t: &str, pod: &str, mem_mib: f64| json!({"t": format!("2026-11-20T{t}Z"), "pod": pod, "timestamp": format!("2026-11-20T{t}Z"), "window_seconds": 15, "cpu_millicores": 900.0, "memory_bytes": mem_mib * mib});
    write_lines(
        &dir.join("pod_metrics.jsonl"),
        &[
            metric("14:10:10", "llm-a", 1000.0),
            metric("14:10:20", "llm-b", 2000.0),
            metric("14:10:40", "llm-a", 1010.0),
            metric("14:11:10", "llm-a", 1020.0),
            metric("14:11:20", "llm-b", 2000.0),
            metric("14:11:40", "llm-a", 1030.0),
            metric("14:12:10", "llm-a", 1040.0),
            metric("14:12:20", "llm-b", 2000.0),
            metric("14:12:40", "llm-a", 1050.0),
            // A pod the HPA added during the soak: loading its model, then Ready at 3500 MiB.
            metric("14:11:05", "llm-c", 900.0),
            metric("14:11:15", "llm-c", 1800.0),
            metric("14:11:45", "llm-c", 3500.0),
            metric("14:12:15", "llm-c", 3500.0),
            metric("14:13:00", "llm-c", 3500.0),
        ],
    );
    let mut restarted = pod(
        "2026-11-20T14:12:00Z",
        "modified",
        "llm-a",
        true,
        Some("2026-11-20T14:12:00Z"),
        "2026-11-20T13:00:00Z",
    );
    restarted["restarts"] = json!(2);
    restarted["last_termination_reason"] = json!("OOMKilled");
    let loading = pod(
        "2026-11-20T14:11:00Z",
        "added",
        "llm-c",
        false,
        None,
        "2026-11-20T14:11:00Z",
    );
    let ready = pod(
        "2026-11-20T14:11:30Z",
        "modified",
        "llm-c",
        true,
        Some("2026-11-20T14:11:30Z"),
        "2026-11-20T14:11:00Z",
    );
    write_lines(&dir.join("pods.jsonl"), &[restarted, loading, ready]);
    let s = build(tmp.path());
    let sc = &s["analysis"]["scaling"];
    // Each pod's last reading per clock minute, summed: 1010+2000, 1030+2000+3500,
    // 1050+2000+3500, and 3500 at 14:13:00 (the soak's last instant).
    let minutes: Vec<f64> = sc["soak_memory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| num(&m["bytes"]) / mib)
        .collect();
    assert_eq!(minutes, [3010.0, 6530.0, 6550.0, 3500.0]);
    // The tables show the mean per pod: the sums over 2, 3, 3 and 1 pods.
    let per_pod: Vec<(f64, u64)> = sc["soak_memory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                num(&m["mean_bytes_per_pod"]) / mib,
                m["pods"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        per_pod,
        [
            (1505.0, 2),
            (6530.0 / 3.0, 3),
            (6550.0 / 3.0, 3),
            (3500.0, 1)
        ]
    );
    // Each pod's own slope while Ready: llm-a 1000 → 1050 MiB at 10 MiB per 30 s = 20 MiB per
    // minute, llm-b and llm-c (its two loading readings left out) flat; the figure is the highest.
    assert!((num(&sc["memory_growth_mib_per_min"]["value"]) - 20.0).abs() < 1e-9);
    // No pod was read for 5 minutes while Ready (llm-a the longest, 14:10:10-14:12:40): the
    // leak flag is not evaluated, and says why.
    let flags = scaling_flags(&s);
    assert!(
        flags.contains(
            &json!({"kind": "leak_not_evaluated", "longest_minutes": 2.5, "needed_minutes": 5.0})
        ),
        "{flags:?}"
    );
    assert!(
        flags.iter().all(|f| f["kind"] != "memory_leak"),
        "{flags:?}"
    );
    assert!(
        flags.contains(&json!({"kind": "oom_kills", "count": 1})),
        "{flags:?}"
    );
    assert_eq!(sc["restarts"], json!([["llm-a", 2, "OOMKilled"]]));
    // No HPA recording: the scaling figures say which file is missing.
    assert_eq!(
        sc["max_pods"]["unavailable"],
        "needs the HPA recording (hpa.jsonl from `report collect`)"
    );
}

#[test]
fn the_leak_flag_needs_five_minutes_of_readings_from_ready_pods() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("handmade");
    std::fs::create_dir_all(&dir).unwrap();
    write_soak_for(&dir, 10, 7);
    // llm-a read every 30 s from 14:10:00 to 14:16:00 (6 minutes), 10 MiB more each time:
    // 20 MiB per minute.
    let mib = 1024.0 * 1024.0;
    let lines: Vec<Value> = (0..13)
        .map(|i| {
            let t = format!("2026-11-20T14:{:02}:{:02}Z", 10 + i / 2, (i % 2) * 30);
            json!({"t": t, "pod": "llm-a", "timestamp": t, "window_seconds": 15, "cpu_millicores": 900.0, "memory_bytes": (1000.0 + 10.0 * i as f64) * mib})
        })
        .collect();
    write_lines(&dir.join("pod_metrics.jsonl"), &lines);
    let s = build(tmp.path());
    let flags = scaling_flags(&s);
    let leak = flags.iter().find(|f| f["kind"] == "memory_leak").unwrap();
    assert_eq!(leak["pod"], "llm-a");
    assert!((num(&leak["mib_per_min"]) - 20.0).abs() < 1e-9);
    assert_eq!(num(&leak["threshold_mib_per_min"]), 5.0);
}

/// Moves the spike phase of the handmade session to 14:00:10-14:00:40.
fn move_spike_earlier(dir: &Path) {
    let log = std::fs::read_to_string(dir.join("spike_console.log"))
        .unwrap()
        .replace("14:00:30.000000+00:00\t⚡", "14:00:10.000000+00:00\t⚡")
        .replace("14:01:00.000000+00:00\t🔄", "14:00:40.000000+00:00\t🔄");
    std::fs::write(dir.join("spike_console.log"), log).unwrap();
}

#[test]
fn scale_up_and_down_count_only_inside_the_spike_and_before_the_next_test() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("handmade");
    session(&dir);
    // A soak begins at 14:03:00, before the 14:06:31 decision back at 1 pod.
    write_soak(&dir, 3);
    let s = build(tmp.path());
    let sc = &s["analysis"]["scaling"];
    assert_eq!(num(&sc["time_to_scale_up"]["value"]), 28.0);
    assert_eq!(
        sc["time_to_scale_down"]["unavailable"],
        "not back at minimum (1) before the next test began at 14:03:00, 120 s after the spike phase ended"
    );
    assert_eq!(sc["next_test"][0], "Soak");

    // The spike phase over before the 14:00:58 decision: no scale-up during the spike.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("handmade");
    session(&dir);
    move_spike_earlier(&dir);
    let s = build(tmp.path());
    let sc = &s["analysis"]["scaling"];
    assert_eq!(
        sc["time_to_scale_up"]["unavailable"],
        "no scale-up during the spike (the spike phase of Spike, 14:00:10–14:00:40)"
    );
    let md = std::fs::read_to_string(tmp.path().join("out/handmade/report.md")).unwrap();
    assert!(
        md.contains("**No scale-up during the spike; max 3 pods;"),
        "{md}"
    );
}

#[test]
fn a_decision_read_from_events_alone_starts_from_the_recorded_size_or_unknown() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("handmade");
    session(&dir);
    std::fs::remove_file(dir.join("hpa.jsonl")).unwrap();
    let s = build(tmp.path());
    let sc = &s["analysis"]["scaling"];
    let decisions: Vec<(Value, Value)> = sc["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["from"].clone(), d["to"].clone()))
        .collect();
    // No size was recorded before the first event: unknown, not an assumed 1 pod.
    assert_eq!(decisions, [(Value::Null, json!(3)), (json!(3), json!(1))]);
    assert_eq!(
        sc["time_to_scale_up"]["unavailable"],
        "the decision to 3 pods at 14:00:58 has no recorded size before it (events only, no HPA reading before it): not known to be a scale-up"
    );
    assert_eq!(sc["chains"], json!([]));

    // One HPA reading (2 pods, no lastScaleTime) before it: that is the size it started from.
    write_lines(
        &dir.join("hpa.jsonl"),
        &[hpa("2026-11-20T14:00:00Z", "sample", 2, 2, Some(40), None)],
    );
    let s = build(tmp.path());
    let first = &s["analysis"]["scaling"]["decisions"][0];
    assert_eq!((&first["from"], &first["to"]), (&json!(2), &json!(3)));
}
