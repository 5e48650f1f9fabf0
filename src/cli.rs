//! Command-line definitions for every subcommand (clap derive). `main.rs` only dispatches.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "report",
    version,
    about = "Turn a load-testing session of an inference service on Kubernetes into a performance report",
    long_about = "Turn a load-testing session of an inference service on Kubernetes into a \
finished, evidence-backed performance report.\n\n\
`report build` reads a session folder (results files of the load-test scripts, console logs, \
and what `report collect` recorded from the cluster) and writes report.md, report.html, \
summary.json and slide-ready PNG charts into out/<session>/."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the report (Markdown, HTML, summary.json, PNG charts) from a session folder.
    Build(BuildArgs),
    /// Run a load test (basic, spike, stress, soak) open-loop and record every request.
    Run(RunArgs),
    /// Record the autoscaler, the pods, the events and the tests' output into data/<session>/
    /// while a load test runs.
    Collect(CollectArgs),
    /// Serve a stand-in cluster (Kubernetes API with an HPA, pods, metrics-server) and the
    /// inference service on 127.0.0.1, to rehearse a test plan and check `report`.
    Sim(SimArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// report.md only (plus charts and summary.json)
    Md,
    /// report.html only (plus charts and summary.json)
    Html,
    /// both
    All,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Session folder to read: one recorded by `report collect`, or any folder holding the test
    /// scripts' results files (benchmark_results.json, advanced_test_results_*.json) and console
    /// logs. Default: the newest folder under data/.
    pub session_dir: Option<PathBuf>,

    /// Where to write; the report goes into OUT/<session name>/.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,

    /// Which report documents to write.
    #[arg(long, value_enum, default_value_t = OutputFormat::All)]
    pub format: OutputFormat,

    /// Folder with report.md.tera and/or report.html.tera overriding the built-in templates.
    #[arg(long, value_parser = parse_templates_dir)]
    pub templates: Option<PathBuf>,

    /// Chart size in pixels, WIDTHxHEIGHT.
    #[arg(long, default_value = "1920x1080", value_parser = parse_size)]
    pub size: (u32, u32),

    /// Objectives file (TOML, see docs/objectives.md). Default: slo.toml in the session
    /// folder, when there is one.
    #[arg(long, value_name = "FILE")]
    pub slo: Option<PathBuf>,

    /// Exit with status 4 when an objective fails or cannot be measured (a CI gate). The report
    /// is written either way.
    #[arg(long)]
    pub check: bool,

    /// Folder searched for sessions when SESSION_DIR is not given.
    #[arg(long, default_value = "data", hide = true)]
    pub data_root: PathBuf,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example: report collect -n llm-inference --linger 6m -- python tests/test_advanced.py --type spike\n\
(--linger 6m keeps recording after the test ends: the HPA waits 5 minutes before scaling down.)"
)]
pub struct CollectArgs {
    /// Namespace of the HPA and its pods. Default: the context's namespace.
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,

    /// kubeconfig context to use. Default: the current context.
    #[arg(long)]
    pub context: Option<String>,

    /// kubeconfig file. Default: $KUBECONFIG, then ~/.kube/config, then the in-cluster service
    /// account.
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,

    /// The HPA to record. Default: the namespace's only HPA.
    #[arg(long)]
    pub hpa: Option<String>,

    /// Session name: the recording goes into <data-root>/<name>/. Default: the UTC start time.
    #[arg(long)]
    pub session: Option<String>,

    /// How often to sample the HPA and poll pod metrics (metrics.k8s.io has no watch).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub interval: std::time::Duration,

    /// Results files to copy into the session whenever they appear or change (repeatable).
    /// Default: benchmark_results.json and advanced_test_results_*.json.
    #[arg(long = "results", value_name = "GLOB")]
    pub results: Vec<String>,

    /// Stop after this long (without a command: otherwise until Ctrl-C).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<std::time::Duration>,

    /// Keep recording this long after the command exits (6m shows the HPA's scale-down).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub linger: std::time::Duration,

    /// Folder that holds the sessions.
    #[arg(long, default_value = "data")]
    pub data_root: PathBuf,

    /// The load test to run and record (its output passes through unchanged); collect exits
    /// with its exit code.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Port of the inference service (/health, /chat, /metrics).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,

    /// Port of the Kubernetes API. Default: any free port (the kubeconfig names it).
    #[arg(long, default_value_t = 0)]
    pub api_port: u16,

    /// JSON file with cluster settings (HPA, pod start-up, capacity, memory); see docs/sim.md.
    #[arg(long)]
    pub config: Option<PathBuf>,

    /// Simulated seconds per real second (1 = real time).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,

    /// Where to write the kubeconfig and the ground-truth log.
    #[arg(long, default_value = "sim")]
    pub dir: PathBuf,
}

/// Parses `1920x1080` into (width, height), refusing sizes too small to hold a chart.
pub fn parse_size(text: &str) -> Result<(u32, u32), String> {
    const EXAMPLE: &str = "WIDTHxHEIGHT in pixels, such as 1920x1080";
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("expected {EXAMPLE}"))?;
    let parse = |s: &str| {
        s.trim()
            .parse::<u32>()
            .map_err(|_| format!("{s:?} is not a whole number of pixels; expected {EXAMPLE}"))
    };
    let (w, h) = (parse(w)?, parse(h)?);
    if !(320..=8000).contains(&w) || !(240..=8000).contains(&h) {
        return Err(format!(
            "{w}x{h} cannot hold a readable chart: the width must be 320 to 8000 pixels and the height 240 to 8000 (slides: 1920x1080)"
        ));
    }
    Ok((w, h))
}

/// A `--templates` folder must exist and hold at least one of the two templates: a mistyped
/// path would otherwise silently give the built-in report.
pub fn parse_templates_dir(text: &str) -> Result<PathBuf, String> {
    let dir = PathBuf::from(text);
    if !dir.is_dir() {
        return Err(format!(
            "{text} is not a folder; pass the folder that holds your report.md.tera and/or report.html.tera (start from templates/)"
        ));
    }
    if !["report.md.tera", "report.html.tera"]
        .iter()
        .any(|name| dir.join(name).is_file())
    {
        return Err(format!(
            "{text} holds neither report.md.tera nor report.html.tera (start from a copy of templates/)"
        ));
    }
    Ok(dir)
}

#[derive(Debug, Args)]
#[command(
    long_about = "Run one of the user's four load tests against the inference service, open-loop: \
every request starts at its scheduled time whatever the number in flight. Writes requests.ndjson, \
run_events.jsonl and session.json into the session folder, plus the scripts' own results files \
(benchmark_results.json, advanced_test_results_<local time>.json) with p95/p99 added."
)]
pub struct RunArgs {
    #[command(subcommand)]
    pub test: RunTest,
}

#[derive(Debug, Subcommand)]
pub enum RunTest {
    /// Basic load test: scenarios of N requests sent by C concurrent workers (closed loop).
    Basic(BasicArgs),
    /// Spike test: baseline rate, a spike, then recovery at the baseline rate.
    Spike(SpikeArgs),
    /// Stress test: rate grows step by step until the breaking point or --max.
    Stress(StressArgs),
    /// Soak test: one constant rate for a long time.
    Soak(SoakArgs),
}

/// Options every test takes.
#[derive(Debug, Args, Clone)]
pub struct CommonRunArgs {
    /// Base URL of the service, e.g. http://34.70.42.27 or http://127.0.0.1:8000.
    #[arg(long)]
    pub url: String,
    /// Path of the generation endpoint.
    #[arg(long, default_value = "/chat")]
    pub path: String,
    /// `max_tokens` sent with every prompt.
    #[arg(long, default_value_t = 80)]
    pub max_tokens: u32,
    /// File of prompts, one per line (blank lines skipped); default: built-in coding prompts.
    #[arg(long)]
    pub prompts: Option<PathBuf>,
    /// Per-request timeout (e.g. 60s, 500ms, 2m).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Session folder to write into. Default: $REPORT_SESSION if set (as `report collect` sets
    /// it for the command it wraps), else a new folder data/<UTC start time>-<test>.
    #[arg(long)]
    pub session: Option<PathBuf>,
    /// Where to write the scripts' results files. Default: the session folder. `.` keeps the
    /// scripts' habit of writing into the working directory.
    #[arg(long)]
    pub results_dir: Option<PathBuf>,
    /// Keep every request in the results file's `all_results` (the scripts write `[]`).
    #[arg(long)]
    pub all_results: bool,
    /// Do not call GET /health before the test.
    #[arg(long)]
    pub skip_health_check: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args, Clone)]
pub struct BasicArgs {
    #[command(flatten)]
    pub common: CommonRunArgs,
    /// Scenarios as REQUESTSxCONCURRENCY, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "5x1,10x2,15x3", value_parser = parse_scenario)]
    pub scenarios: Vec<(u32, u32)>,
    /// Pause between scenarios.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub pause: std::time::Duration,
}

#[derive(Debug, Args, Clone)]
pub struct SpikeArgs {
    #[command(flatten)]
    pub common: CommonRunArgs,
    /// Baseline (and recovery) rate, requests per second.
    #[arg(long, default_value_t = 2.0, value_parser = parse_rate)]
    pub baseline: f64,
    /// Spike rate, requests per second.
    #[arg(long, default_value_t = 20.0, value_parser = parse_rate)]
    pub rps: f64,
    /// Length of the spike.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub duration: std::time::Duration,
    /// Length of the baseline phase.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub baseline_duration: std::time::Duration,
    /// Length of the recovery phase.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub recovery_duration: std::time::Duration,
}

#[derive(Debug, Args, Clone)]
pub struct StressArgs {
    #[command(flatten)]
    pub common: CommonRunArgs,
    /// First step's rate, requests per second.
    #[arg(long, default_value_t = 1.0, value_parser = parse_rate)]
    pub start: f64,
    /// Highest rate tried.
    #[arg(long, default_value_t = 50.0, value_parser = parse_rate)]
    pub max: f64,
    /// Rate added at each step.
    #[arg(long, default_value_t = 5.0, value_parser = parse_rate)]
    pub step: f64,
    /// Length of each step.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub step_duration: std::time::Duration,
    /// Breaking point: a step whose success rate (percent) falls below this.
    #[arg(long, default_value_t = 95.0)]
    pub min_success: f64,
    /// Breaking point: a step whose average latency rises above this.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub max_avg_latency: std::time::Duration,
}

#[derive(Debug, Args, Clone)]
pub struct SoakArgs {
    #[command(flatten)]
    pub common: CommonRunArgs,
    /// Rate, requests per second.
    #[arg(long, default_value_t = 5.0, value_parser = parse_rate)]
    pub rps: f64,
    /// Length of the test.
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub duration: std::time::Duration,
}

/// Parses `30s`, `10m`, `1h`, `500ms`, `1.5s` or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration; write e.g. 30s, 10m, 1h or 500ms"))?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?}; use ms, s, m or h"
            ));
        }
    };
    std::time::Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("{text:?} is not a usable duration"))
}

/// A rate in requests per second: positive and finite.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate > 0.0 && rate.is_finite() && rate <= 1_000_000.0 => Ok(rate),
        _ => Err(format!(
            "{text:?} is not a rate; give requests per second above 0, e.g. 2 or 0.5"
        )),
    }
}

/// Parses `10x2` (10 requests, 2 concurrent workers).
pub fn parse_scenario(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("{text:?} is not a scenario; write REQUESTSxCONCURRENCY such as 10x2");
    let (requests, workers) = text.trim().split_once(['x', 'X']).ok_or_else(bad)?;
    let requests: u32 = requests.trim().parse().map_err(|_| bad())?;
    let workers: u32 = workers.trim().parse().map_err(|_| bad())?;
    if requests == 0 || workers == 0 {
        return Err(bad());
    }
    Ok((requests, workers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_parses_and_rejects() {
        assert_eq!(parse_size("1920x1080"), Ok((1920, 1080)));
        assert_eq!(parse_size("800X600"), Ok((800, 600)));
        assert!(parse_size("1920").is_err());
        assert_eq!(
            parse_size("10x10"),
            Err("10x10 cannot hold a readable chart: the width must be 320 to 8000 pixels and the height 240 to 8000 (slides: 1920x1080)".into())
        );
        assert!(parse_size("axb").is_err());
    }

    #[test]
    fn run_values_parse_and_reject() {
        use std::time::Duration;
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5d").is_err());
        assert_eq!(parse_rate("2.5"), Ok(2.5));
        assert!(parse_rate("0").is_err());
        assert_eq!(parse_scenario("10x2"), Ok((10, 2)));
        assert!(parse_scenario("10").is_err());
        assert!(parse_scenario("0x2").is_err());
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
