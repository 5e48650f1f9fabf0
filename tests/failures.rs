//! Failures by HTTP status and error kind: `report build` of data/sample (and of a copy whose
//! records hold timeouts) against counts recomputed here from requests.ndjson; a session of the
//! scripts' files alone gives failed counts and says why status and kind are unavailable.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The binary under test; `REPORT_BIN` runs these tests against another build (one from before
/// the breakdown, to see them fail).
fn report_bin() -> PathBuf {
    std::env::var_os("REPORT_BIN")
        .map_or_else(|| env!("CARGO_BIN_EXE_report").into(), PathBuf::from)
}

/// `report build DIR` into a temporary folder: (out folder, report.md, summary.json).
fn build(dir: &Path) -> (tempfile::TempDir, String, Value) {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(report_bin())
        .arg("build")
        .arg(dir)
        .args(["--out", out.path().to_str().unwrap(), "--format", "md"])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let name = dir.file_name().unwrap();
    let md = std::fs::read_to_string(out.path().join(name).join("report.md")).unwrap();
    let summary = std::fs::read_to_string(out.path().join(name).join("summary.json")).unwrap();
    (out, md, serde_json::from_str(&summary).unwrap())
}

/// (test, phase) → (requests, failed, timed out, {"kind status": count}), counted line by line.
type Counts = BTreeMap<(String, String), (u64, u64, u64, BTreeMap<String, u64>)>;

fn count_records(path: &Path) -> Counts {
    let mut counts = Counts::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let r: Value = serde_json::from_str(line).unwrap();
        let key = (
            r["test"].as_str().unwrap().to_string(),
            r["phase"].as_str().unwrap().to_string(),
        );
        let c = counts.entry(key).or_default();
        c.0 += 1;
        if r["ok"] == false {
            c.1 += 1;
            let kind = r["error_kind"].as_str().unwrap_or_default();
            if kind == "timeout" {
                c.2 += 1;
            }
            *c.3.entry(format!("{kind} {}", r["status"])).or_default() += 1;
        }
    }
    counts
}

/// The summary's part for the table row `test` / `part`.
fn part<'a>(summary: &'a Value, test: &str, part: &str) -> &'a Value {
    summary["analysis"]["errors"]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["test"] == test && p["part"] == part)
        .unwrap_or_else(|| panic!("no part {test} / {part}"))
}

fn outcomes_of(p: &Value) -> BTreeMap<String, u64> {
    p["by_outcome"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                format!("{} {}", o["kind"].as_str().unwrap(), o["status"]),
                o["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The record names of a table row of data/sample.
fn row_of(test: &str, phase: &str) -> (String, String) {
    match test {
        "basic" => ("Basic load".into(), phase.into()),
        "spike" => {
            let mut name = phase.to_string();
            name[..1].make_ascii_uppercase();
            ("Spike".into(), name)
        }
        "stress" => (
            "Stress".into(),
            format!("{} req/s", phase.trim_end_matches("RPS")),
        ),
        _ => ("Soak".into(), "Soak".into()),
    }
}

#[test]
fn sample_failures_match_requests_ndjson_per_phase_step_and_soak() {
    let sample = root().join("data/sample");
    let counts = count_records(&sample.join("requests.ndjson"));
    let (_out, md, summary) = build(&sample);
    let errors = &summary["analysis"]["errors"];
    assert_eq!(errors["source"], "requests.ndjson (3525 records)");
    assert!(errors["unavailable"].is_null(), "{errors}");
    assert_eq!(errors["parts"].as_array().unwrap().len(), counts.len());
    for ((test, phase), (requests, failed, timed_out, outcomes)) in &counts {
        let (t, p) = row_of(test, phase);
        let got = part(&summary, &t, &p);
        assert_eq!(got["requests"], *requests, "{t} {p}");
        assert_eq!(got["failed"], *failed, "{t} {p}");
        assert_eq!(got["timed_out"], *timed_out, "{t} {p}");
        assert_eq!(&outcomes_of(got), outcomes, "{t} {p}");
    }
    // By hand from the file: the spike phase lost 82 of 360 to 503s, the 5 req/s step 90 of 450.
    let section = &md[md.find("### Failures by status and error kind").unwrap()..];
    assert!(
        section.contains("| Spike | Spike | 360 | 82 (22.8 %) | 0 (0.0 %) | http5xx 503: 82 | requests.ndjson (3525 records) |"),
        "{section}"
    );
    assert!(
        section.contains("| Stress | 5 req/s | 450 | 90 (20.0 %) | 0 (0.0 %) | http5xx 503: 90 |"),
        "{section}"
    );
    assert!(
        section.contains(
            "| Basic load | Light Load (Sequential) | 5 | 0 (0.0 %) | 0 (0.0 %) | none |"
        )
    );
    // The section comes after the phases on the clock, before auto-scaling.
    let at = |s: &str| md.find(s).unwrap();
    assert!(at("### Test phases on the clock") < at("### Failures by status and error kind"));
    assert!(at("### Failures by status and error kind") < at("## Auto-scaling metrics"));
}

/// The cells of the first report.md table row starting with `prefix`.
fn cells<'a>(md: &'a str, prefix: &str) -> Vec<&'a str> {
    md.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no row {prefix}"))
        .split(" | ")
        .collect()
}

/// data/sample with some soak, spike and 5 req/s stress failures turned into timeouts.
fn sample_with_timeouts() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("timeouts");
    std::fs::create_dir(&dir).unwrap();
    for entry in std::fs::read_dir(root().join("data/sample")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let text = std::fs::read_to_string(dir.join("requests.ndjson")).unwrap();
    let (mut soak_left, mut spike_left, mut step_left) = (2, 10, 4);
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let mut r: Value = serde_json::from_str(line).unwrap();
            let left = match r["test"].as_str().unwrap() {
                "soak" => &mut soak_left,
                "spike" => &mut spike_left,
                "stress" if r["phase"] == "5RPS" => &mut step_left,
                _ => return line.to_string(),
            };
            if r["ok"] == false && *left > 0 {
                *left -= 1;
                r["error_kind"] = "timeout".into();
                r["status"] = Value::Null;
            }
            r.to_string()
        })
        .collect();
    std::fs::write(dir.join("requests.ndjson"), lines.join("\n") + "\n").unwrap();
    (tmp, dir)
}

#[test]
fn timeouts_show_beside_p99_in_the_scenario_stress_step_and_soak_minute_tables() {
    let (_tmp, dir) = sample_with_timeouts();
    let counts = count_records(&dir.join("requests.ndjson"));
    let (_out, md, summary) = build(&dir);
    let soak = &counts[&("soak".to_string(), "soak".to_string())];
    assert_eq!((soak.0, soak.1, soak.2), (600, 5, 2));
    let spike = &counts[&("spike".to_string(), "spike".to_string())];
    assert_eq!((spike.0, spike.1, spike.2), (360, 82, 10));
    let p = part(&summary, "Soak", "Soak");
    assert_eq!((&p["failed"], &p["timed_out"]), (&5.into(), &2.into()));
    // All scenarios: Failed and Timed out right after p99, shares of the row's requests.
    let header =
        "| Test | Scenario | Requests | Success | Avg | p50 | p95 | p99 | Failed | Timed out |";
    assert!(md.contains(header), "{md}");
    let spike_row = cells(&md, "| Spike | Spike | 360 |");
    assert_eq!(
        (&spike_row[8], &spike_row[9]),
        (&"82 (22.8 %)", &"10 (2.8 %)")
    );
    let soak_row = cells(&md, "| Soak | Soak | 600 |");
    assert_eq!((&soak_row[8], &soak_row[9]), (&"5 (0.8 %)", &"2 (0.3 %)"));
    // The stress step table: after Success and Avg latency (it has no p99); 4 of 450 timed out.
    let step = cells(&md, "| 5.00 | 5.00 req/s |");
    assert_eq!((&step[9], &step[10]), (&"90 (20.0 %)", &"4 (0.9 %)"));
    // Soak minutes: per clock minute of the records' end times, counted here.
    let mut minutes: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for line in std::fs::read_to_string(dir.join("requests.ndjson"))
        .unwrap()
        .lines()
    {
        let r: Value = serde_json::from_str(line).unwrap();
        if r["test"] != "soak" {
            continue;
        }
        let minute = r["ended"].as_str().unwrap()[11..16].to_string();
        let m = minutes.entry(minute).or_default();
        m.0 += 1;
        m.1 += u64::from(r["ok"] == false);
        m.2 += u64::from(r["error_kind"] == "timeout");
    }
    let soak_section = &md[md
        .find("Clock minutes, from the per-request records")
        .unwrap()..];
    for (minute, (n, failed, timed_out)) in &minutes {
        let row = soak_section
            .lines()
            .find(|l| l.starts_with(&format!("| {minute} | {n} |")))
            .unwrap_or_else(|| panic!("no minute {minute}: {soak_section}"));
        let cells: Vec<&str> = row.split(" | ").collect();
        let share = |c: u64| format!("{c} ({:.1} %)", 100.0 * c as f64 / *n as f64);
        assert_eq!(
            (cells[7], cells[8]),
            (share(*failed).as_str(), share(*timed_out).as_str()),
            "{row}"
        );
    }
}

#[test]
fn scripts_results_alone_give_failed_counts_and_say_why_kinds_are_unavailable() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("scripts");
    std::fs::create_dir(&dir).unwrap();
    let sample = root().join("data/sample");
    // The spike's results file: 360 spike requests, 278 successful (the file's own counts).
    let spike_file = "advanced_test_results_20261126_214901.json";
    std::fs::copy(sample.join(spike_file), dir.join(spike_file)).unwrap();
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(spike_file)).unwrap()).unwrap();
    let spike = &file["spike"]["spike_results"];
    let (total, ok) = (
        spike["total"].as_u64().unwrap(),
        spike["successful"].as_u64().unwrap(),
    );
    let (_out, md, summary) = build(&dir);
    let errors = &summary["analysis"]["errors"];
    assert_eq!(
        errors["unavailable"],
        "no per-request records (requests.ndjson, written by `report run`)"
    );
    let p = part(&summary, "Spike", "Spike");
    assert_eq!(p["failed"], total - ok);
    assert!(p["timed_out"].is_null() && p["by_outcome"].is_null(), "{p}");
    let section = &md[md.find("### Failures by status and error kind").unwrap()..];
    assert!(
        section.contains("By status and error kind: unavailable: no per-request records"),
        "{section}"
    );
    assert!(
        section.contains(&format!("| Spike | Spike | {total} | {} (", total - ok)),
        "{section}"
    );
}
