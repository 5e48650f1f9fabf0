//! A report built from hostile inputs is safe to mail: every name and message of a session
//! (folder and file names, scenario names, HPA events, pod names, console error lines) is shown as
//! text, never as live HTML, a link or an image, and never breaks a Markdown table row.

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use serde_json::{Value, json};

mod common;
use common::chromium_probe;

/// Every input string of a session that reaches the report.
#[derive(Debug, Clone)]
struct Inputs {
    session: String,
    log_file: String,
    results_file: String,
    broken_file: String,
    scenario: String,
    crash: String,
    event_reason: String,
    event_object: String,
    event_message: String,
    pod: String,
    termination: String,
}

fn write_lines(path: &Path, lines: &[Value]) {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(path, text).unwrap();
}

/// A session with a spike (results file + console log), a basic test, a crashed stress test, HPA
/// readings, events and pods, and a broken results file; `names` in every name and message.
fn write_session(root: &Path, names: &Inputs) -> PathBuf {
    let dir = root.join(&names.session);
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = json!({
        "format": "report-session", "version": 1, "name": names.session, "created_by": "hand",
        "started_at": "2026-11-20T14:00:00Z", "ended_at": "2026-11-20T14:07:00Z", "utc_offset_seconds": 0,
        "cluster": {"namespace": "ns", "hpa_name": "llm", "target": "Deployment/llm",
            "hpa_spec": {"minReplicas": 1, "maxReplicas": 5,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}}
    });
    std::fs::write(dir.join("session.json"), manifest.to_string()).unwrap();
    let results = format!("advanced_test_results_{}.json", names.results_file);
    let log = [
        ("14:00:00", "🔥 SPIKE TEST".to_string()),
        ("14:00:00", "Baseline: 2 req/s for 30s".to_string()),
        ("14:00:00", "Recovery: 2 req/s for 30s".to_string()),
        ("14:00:00", "📊 Phase 1: Baseline load (30s)...".to_string()),
        (
            "14:00:30",
            "⚡ Phase 2: SPIKE! 15 req/s (30s)...".to_string(),
        ),
        (
            "14:01:00",
            "🔄 Phase 3: Recovery to baseline (30s)...".to_string(),
        ),
        ("14:01:30", "📊 Baseline Phase Summary:".to_string()),
        ("14:01:30", format!("✅ Results saved to {results}")),
    ]
    .iter()
    .map(|(t, l)| format!("2026-11-20T{t}.000000+00:00\t{l}\n"))
    .collect::<String>();
    std::fs::write(dir.join(format!("{}.log", names.log_file)), log).unwrap();
    let phase = |total: u32, avg: f64| {
        json!({"total": total, "successful": total, "failed": 0, "success_rate": 100.0, "avg_latency": avg,
        "median_latency": avg, "p95_latency": avg * 1.2, "p99_latency": avg * 1.3, "min_latency": avg * 0.8,
        "max_latency": avg * 1.3, "total_tokens": total * 80})
    };
    let spike = json!({"spike": {"test_type": "spike", "baseline_results": phase(60, 3.0),
        "spike_results": phase(450, 9.0), "recovery_results": phase(60, 3.2), "all_results": []}});
    std::fs::write(dir.join(&results), spike.to_string()).unwrap();
    let basic = json!([{"total_requests": 5, "successful": 5, "failed": 0, "concurrency": 1, "total_time": 2.0,
        "avg_latency": 0.3, "p50_latency": 0.3, "min_latency": 0.2, "max_latency": 0.4, "throughput": 2.5,
        "total_tokens": 300, "scenario": names.scenario}]);
    std::fs::write(dir.join("benchmark_results.json"), basic.to_string()).unwrap();
    std::fs::write(
        dir.join(format!("advanced_test_results_{}.json", names.broken_file)),
        "{\"spike\": [1, 2",
    )
    .unwrap();
    let stress = format!(
        "2026-11-20T14:02:00.000000+00:00\t💪 STRESS TEST\n\
2026-11-20T14:02:00.000000+00:00\tStart: 1 req/s\n\
2026-11-20T14:02:00.100000+00:00\t📈 Testing 1 req/s for 60s...\n\
2026-11-20T14:03:00.100000+00:00\t  Success rate: 100.0%\n\
2026-11-20T14:03:00.100000+00:00\t  Avg latency: 3.200s\n\
2026-11-20T14:03:00.200000+00:00\t❌ Error during testing: {}\n",
        names.crash.replace(['\n', '\r'], " ")
    );
    std::fs::write(dir.join("stress_console.log"), stress).unwrap();
    let hpa = |t: &str, current: u32, desired: u32, cpu: u32, last: Option<&str>| {
        let mut status = json!({"currentReplicas": current, "desiredReplicas": desired,
            "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": cpu}}}]});
        if let Some(l) = last {
            status["lastScaleTime"] = json!(l);
        }
        json!({"t": t, "via": "sample", "name": "llm", "status": status})
    };
    write_lines(
        &dir.join("hpa.jsonl"),
        &[
            hpa("2026-11-20T14:00:00Z", 1, 1, 40, None),
            hpa("2026-11-20T14:00:45Z", 1, 1, 95, None),
            hpa(
                "2026-11-20T14:01:00Z",
                1,
                3,
                140,
                Some("2026-11-20T14:00:58Z"),
            ),
            hpa(
                "2026-11-20T14:01:15Z",
                3,
                3,
                60,
                Some("2026-11-20T14:00:58Z"),
            ),
        ],
    );
    write_lines(
        &dir.join("events.jsonl"),
        &[
            json!({"t": "2026-11-20T14:00:58Z", "uid": "u1", "involved_kind": "HorizontalPodAutoscaler",
            "involved_name": names.event_object, "type": "Normal", "reason": names.event_reason,
            "message": names.event_message, "count": 1, "first_timestamp": "2026-11-20T14:00:58Z",
            "last_timestamp": "2026-11-20T14:00:58Z", "component": "horizontal-pod-autoscaler"}),
        ],
    );
    write_lines(
        &dir.join("pods.jsonl"),
        &[
            json!({"t": "2026-11-20T14:00:00Z", "change": "listed", "name": names.pod, "phase": "Running",
            "ready": true, "ready_transition": "2026-11-20T13:00:00Z", "start_time": "2026-11-20T13:00:00Z",
            "node": "node-1", "restarts": 1, "last_termination_reason": names.termination, "deleted_at": null}),
        ],
    );
    dir
}

/// The Markdown table rows of `md`, each with its number of cells, per table; `|` escaped with a
/// backslash does not count (a backslash escapes the character after it).
fn table_cell_counts(md: &str) -> Vec<Vec<usize>> {
    let mut tables: Vec<Vec<usize>> = Vec::new();
    let mut in_table = false;
    for line in md.lines() {
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        let mut pipes = 0;
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '|' => pipes += 1,
                _ => {}
            }
        }
        // `| a | b |`: one more pipe than cells; a row not closed by `|` counts as broken.
        let cells = if line.ends_with('|') && !line.ends_with("\\|") {
            pipes - 1
        } else {
            0
        };
        if !in_table {
            tables.push(Vec::new());
            in_table = true;
        }
        tables.last_mut().unwrap().push(cells);
    }
    tables
}

/// Every row of every table has as many cells as its header.
fn assert_rows_keep_their_cells(md: &str) {
    for table in table_cell_counts(md) {
        assert!(
            table.iter().all(|&n| n == table[0] && n > 0),
            "{table:?} in\n{md}"
        );
    }
}

/// Tags the built-in templates and pulldown-cmark write; anything else came from an input.
const OUR_TAGS: &[&str] = &[
    "!doctype",
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "nav",
    "div",
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "a",
    "img",
    "strong",
    "em",
    "code",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "br",
    "hr",
    "del",
    "pre",
];

/// Every tag of `html`, with its attributes' names and values, by a scan independent of the
/// renderer: `<` starts a tag, text and attribute values hold `&lt;`, never `<`.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("a tag is closed");
        let inner = rest[..end].trim_start_matches('/').trim_end_matches('/');
        let name = inner
            .split(|c: char| c.is_whitespace())
            .next()
            .unwrap()
            .to_ascii_lowercase();
        let mut attrs = Vec::new();
        let mut a = inner[name.len()..].trim();
        while !a.is_empty() {
            let key_end = a.find(['=', ' ']).unwrap_or(a.len());
            let key = a[..key_end].to_ascii_lowercase();
            a = a[key_end..].trim_start();
            let mut value = String::new();
            if let Some(v) = a.strip_prefix('=') {
                let v = v.strip_prefix('"').expect("attribute values are quoted");
                let close = v.find('"').unwrap();
                value = v[..close].to_string();
                a = v[close + 1..].trim_start();
            }
            attrs.push((key, value));
        }
        out.push((name, attrs));
        rest = &rest[end + 1..];
    }
    out
}

/// No tag, handler, link or image that an input could have brought.
fn assert_no_markup_from_inputs(html: &str) {
    // The style sheet holds no `<`; skip it so its text is not scanned as markup.
    let (head, body) = html.split_once("</style>").unwrap();
    let head = head.split("<style>").next().unwrap();
    for (name, attrs) in tags(head).into_iter().chain(tags(body)) {
        assert!(OUR_TAGS.contains(&name.as_str()), "tag <{name}> in\n{html}");
        if name == "!doctype" {
            continue;
        }
        for (key, value) in attrs {
            assert!(!key.starts_with("on"), "handler {key} on <{name}>");
            assert!(
                [
                    "href",
                    "src",
                    "alt",
                    "id",
                    "class",
                    "charset",
                    "name",
                    "content",
                    "lang",
                    "style",
                    "aria-label",
                    "title",
                    "start"
                ]
                .contains(&key.as_str()),
                "attribute {key} on <{name}>"
            );
            if key == "href" {
                assert!(value.starts_with('#'), "link to {value}");
            }
            if key == "src" {
                assert!(value.starts_with("data:image/png;base64,"), "image {value}");
            }
        }
    }
}

fn hostile() -> Inputs {
    Inputs {
        session: "<svg onload=document.title='pwned-session'>|s`x`\nend".into(),
        log_file: "<svg onload=document.title='pwned-log'>|a`b\nc".into(),
        results_file: "<img src=x onerror=document.title='pwned-results'>|\n".into(),
        broken_file: "<img src=x onerror=document.body.setAttribute('data-pwned','broken')>".into(),
        scenario: "<img src=x onerror=document.title='pwned-scenario'> | `x` [x](javascript:document.title='pwned-link') ![x](/etc/some.png)\n- item".into(),
        crash: "`'avg_latency'` <script>document.title='pwned-crash'</script>".into(),
        event_reason: "Scaled|Up".into(),
        event_object: "<b onmouseover=x>llm</b>".into(),
        event_message: "new size: 3; `reason` <script>document.body.setAttribute('data-pwned','event')</script> [x](javascript:alert(1)) ![x](/etc/some.png) a|b\u{2028}c".into(),
        pod: "pod-<img src=x onerror=document.title='pwned-pod'>".into(),
        termination: "OOMKilled`|<svg onload=alert(1)>".into(),
    }
}

fn build(session: &Path, out: &Path) -> PathBuf {
    let o = Command::new(env!("CARGO_BIN_EXE_report"))
        .arg("build")
        .arg(session)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "build failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    out.join(session.file_name().unwrap())
}

#[test]
fn a_report_of_hostile_names_runs_no_script_in_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let names = hostile();
    let session = write_session(tmp.path(), &names);
    let out = build(&session, &tmp.path().join("out"));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert_rows_keep_their_cells(&md);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_no_markup_from_inputs(&html);
    // The machine's folders are not in the report.
    let root = tmp.path().to_string_lossy().into_owned();
    assert!(!md.contains(&root), "{md}");
    assert!(!html.contains(&root));
    let seen = chromium_probe(&out.join("report.html"));
    // The title is the session's name as text; no payload changed it or marked the page.
    assert_eq!(
        seen["title"],
        "Load-test report: <svg onload=document.title='pwned-session'>|s`x` end"
    );
    assert_eq!(seen["marked"], false, "{seen}");
    assert_eq!(seen["handlers"], 0, "{seen}");
    // Only the probe's own script.
    assert_eq!(seen["scripts"], 1, "{seen}");
    // Every input shows as text, whole.
    let text = seen["text"].as_str().unwrap();
    for shown in [
        "<img src=x onerror=document.title='pwned-scenario'> | `x` [x](javascript:document.title='pwned-link') ![x](/etc/some.png) - item",
        "`'avg_latency'` <script>document.title='pwned-crash'</script>",
        "new size: 3; `reason` <script>document.body.setAttribute('data-pwned','event')</script> [x](javascript:alert(1)) ![x](/etc/some.png) a|b c",
        "pod-<img src=x onerror=document.title='pwned-pod'>",
        "<svg onload=document.title='pwned-log'>|a`b c.log",
        "OOMKilled`|<svg onload=alert(1)>",
    ] {
        assert!(text.contains(shown), "{shown} not in\n{text}");
    }
    // The only images are the charts; the only links are the contents' anchors.
    assert_eq!(seen["images"], seen["loaded"], "{seen}");
    assert!(
        seen["links"].as_array().unwrap().iter().all(|l| l
            .as_str()
            .unwrap()
            .contains("report.html#")
            || l.as_str().unwrap().contains("probe.html#")),
        "{seen}"
    );
}

/// Text of any shape: Markdown and HTML specials, line breaks of every kind, letters.
fn any_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("<script>".to_string()),
            Just("<img src=x onerror=alert(1)>".to_string()),
            Just("</td>".to_string()),
            Just("<!--".to_string()),
            "[<>|`*_\\[\\]()!#~&;:{}=\"'\\\\ \n\r\u{2028}\u{85}\t-]".prop_map(String::from),
            "[a-z0-9]{1,4}".prop_map(String::from),
            Just("](javascript:x)".to_string()),
            Just("![a](/etc/x.png)".to_string()),
        ],
        1..12,
    )
    .prop_map(|parts| parts.concat())
}

/// A file or folder name: any text but `/` and NUL, not `.` or `..`.
fn any_name() -> impl Strategy<Value = String> {
    any_text()
        .prop_map(|t| t.replace(['/', '\0'], "x"))
        .prop_filter("a usable name", |n| n != "." && n != ".." && n.len() < 200)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn no_input_string_becomes_markup_or_breaks_a_row(
        session in any_name(), log_file in any_name(), results_file in any_name(),
        broken_file in any_name(), scenario in any_text(), crash in any_text(),
        event_reason in any_text(), event_object in any_text(), event_message in any_text(),
        pod in any_text(), termination in any_text(),
    ) {
        let names = Inputs { session, log_file, results_file, broken_file, scenario, crash,
            event_reason, event_object, event_message, pod, termination };
        prop_assume!(names.broken_file != names.results_file);
        let tmp = tempfile::tempdir().unwrap();
        let session = write_session(tmp.path(), &names);
        let inputs = report::ingest::load_session(&session).unwrap();
        let analysis = report::analyze::analyze(&inputs);
        let out = tmp.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let outputs = report::render::Outputs { markdown: true, html: true };
        report::render::write_report(&analysis, report::render::Objectives::None, &[], &session, &out, outputs, None).unwrap();
        let md = std::fs::read_to_string(out.join("report.md")).unwrap();
        assert_rows_keep_their_cells(&md);
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        assert_no_markup_from_inputs(&html);
    }
}

#[test]
fn the_tag_scan_sees_markup() {
    // The checks above can fail: they see a tag, a handler and a broken row.
    let page = "<html><head><style>a{}</style></head><body><p x=\"1\">a</p><script>x</script></body></html>";
    assert!(std::panic::catch_unwind(|| assert_no_markup_from_inputs(page)).is_err());
    let page = "<html><head><style></style></head><body><p onclick=\"x\">a</p></body></html>";
    assert!(std::panic::catch_unwind(|| assert_no_markup_from_inputs(page)).is_err());
    assert_eq!(
        table_cell_counts("| a | b |\n|---|---|\n| x\\|y | z |\n| x|y | z |\n| open\n"),
        vec![vec![2, 2, 2, 3, 0]]
    );
}
