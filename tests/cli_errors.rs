//! The first mistakes a new user makes, as snapshots: each holds what `report` printed on stderr
//! and its exit code. Every command runs in a fresh temporary folder with relative paths, so the
//! snapshots hold no machine path. Change a message on purpose, then review the new snapshot
//! (`cargo insta review`, or rerun with `INSTA_UPDATE=always` and read the diff in git).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn report_bin() -> PathBuf {
    std::env::var_os("REPORT_BIN")
        .map_or_else(|| env!("CARGO_BIN_EXE_report").into(), PathBuf::from)
}

/// `report ARGS` in `cwd`: the exit code and stderr, as the snapshot holds them. No service
/// listens on port 9 (discard), and every case must fail before any request is sent.
fn outcome(cwd: &Path, args: &[&str]) -> String {
    let out = Command::new(report_bin())
        .args(args)
        .current_dir(cwd)
        .env_remove("KUBECONFIG")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("the report binary starts");
    format!(
        "$ report {}\nexit code: {}\n--- stderr ---\n{}",
        args.join(" "),
        out.status
            .code()
            .map_or_else(|| "none (killed)".to_string(), |c| c.to_string()),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn in_temp(args: &[&str]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    outcome(tmp.path(), args)
}

const URL: &str = "http://127.0.0.1:9";

#[test]
fn url_without_a_scheme() {
    insta::assert_snapshot!(in_temp(&["run", "basic", "--url", "127.0.0.1:8000"]));
}

#[test]
fn url_host_and_port_only() {
    insta::assert_snapshot!(in_temp(&["run", "basic", "--url", "localhost:8000"]));
}

#[test]
fn url_with_the_path_in_it() {
    insta::assert_snapshot!(in_temp(&["run", "basic", "--url", "http://host/chat"]));
}

/// `report run TEST --url URL FLAG VALUE` in a temporary folder.
fn run_with(test: &str, flag: &str, value: &str) -> String {
    in_temp(&["run", test, "--url", URL, flag, value])
}

#[test]
fn min_success_above_100() {
    insta::assert_snapshot!(run_with("stress", "--min-success", "150"));
}

#[test]
fn min_success_as_a_fraction() {
    insta::assert_snapshot!(run_with("stress", "--min-success", "0.95"));
}

#[test]
fn duration_zero() {
    insta::assert_snapshot!(run_with("soak", "--duration", "0s"));
}

#[test]
fn negative_rate() {
    insta::assert_snapshot!(run_with("soak", "--rps", "-5"));
}

#[test]
fn chart_size_too_small() {
    insta::assert_snapshot!(in_temp(&["build", "--size", "10x10"]));
}

#[test]
fn templates_folder_missing() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("s")).unwrap();
    insta::assert_snapshot!(outcome(
        tmp.path(),
        &["build", "s", "--templates", "/nonexistent"]
    ));
}

#[test]
fn build_on_a_folder_of_unrelated_json_exits_3() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("unrelated");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("package.json"),
        r#"{"name": "web", "version": "1.0.0"}"#,
    )
    .unwrap();
    std::fs::write(dir.join("numbers.json"), "[1, 2, 3]").unwrap();
    insta::assert_snapshot!(outcome(tmp.path(), &["build", "unrelated"]));
}

#[test]
fn build_of_an_unknown_session_name_lists_the_sessions() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["rehearsal", "sample"] {
        std::fs::create_dir_all(tmp.path().join("data").join(name)).unwrap();
    }
    insta::assert_snapshot!(outcome(tmp.path(), &["build", "rehersal"]));
}

/// The counterpart of the mistake above: a bare name that is a session under data/ is built.
#[test]
fn build_of_a_session_name_builds_that_session_under_data() {
    let tmp = tempfile::tempdir().unwrap();
    let session = tmp.path().join("data/mini");
    std::fs::create_dir_all(&session).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/examples/benchmark_results.json");
    std::fs::copy(fixture, session.join("benchmark_results.json")).unwrap();
    let out = Command::new(report_bin())
        .args(["build", "mini", "--format", "md"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = std::fs::read_to_string(tmp.path().join("out/mini/report.md")).unwrap();
    assert!(md.contains("from the session folder `mini`"), "{md}");
}
