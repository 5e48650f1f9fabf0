//! Command-line definitions for every subcommand (clap derive). `main.rs` only dispatches.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub mod invocation;
mod values;
pub use values::{
    DURATION_FORMS, duration_text, parse_base_url, parse_duration, parse_percent,
    parse_positive_duration, parse_rate, parse_scenario,
};

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
    /// Compare sessions side by side (figures and differences, HPA settings, objectives,
    /// run-to-run noise, overlay charts); optionally merge them as runs of one test.
    Compare(CompareArgs),
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
    /// logs. A bare NAME that is not a folder here means data/NAME. Default: the newest folder
    /// under data/ that holds results.
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
#[command(after_help = "Example: report compare hpa-80 hpa-40 --slo slo.toml")]
pub struct CompareArgs {
    /// Session folders, or names of sessions under data/ (two or more; the first is the
    /// reference every difference is taken to).
    #[arg(required = true, num_args = 2.., value_name = "SESSION")]
    pub sessions: Vec<String>,

    /// Folder to write compare.md, compare.html, summary.json and the charts into. Default:
    /// out/compare-<A>-<B>.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Treat the sessions as runs of the same test: pool each phase's per-request records and
    /// compute its percentiles exactly over the union.
    #[arg(long)]
    pub merge: bool,

    /// Objectives file (TOML, see docs/objectives.md) checked on every session. Default: slo.toml
    /// in the first session's folder, when there is one.
    #[arg(long, value_name = "FILE")]
    pub slo: Option<PathBuf>,

    /// Bootstrap resamples per phase for the noise interval of a p95 difference.
    #[arg(long, default_value_t = crate::analyze::compare::DEFAULT_RESAMPLES, value_parser = parse_resamples)]
    pub resamples: usize,

    /// Seed of the bootstrap's random numbers (the same seed gives the same interval).
    #[arg(long, default_value_t = crate::analyze::compare::DEFAULT_SEED)]
    pub seed: u64,

    /// Chart size in pixels, WIDTHxHEIGHT.
    #[arg(long, default_value = "1920x1080", value_parser = parse_size)]
    pub size: (u32, u32),

    /// Folder searched for sessions given by name.
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

    /// Session folder to record into: a path (data/rehearsal, /tmp/s), or a bare name, which
    /// goes under data/ as with `report run --session`. Default: data/<UTC start time>.
    #[arg(long, value_name = "DIR")]
    pub session: Option<String>,

    /// How often to sample the HPA and poll pod metrics (metrics.k8s.io has no watch). Written as kubectl/Go/k6 write durations: 1m30s, 90s, 500ms.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub interval: std::time::Duration,

    /// Results files to copy into the session whenever they appear or change (repeatable).
    /// Default: benchmark_results.json and advanced_test_results_*.json.
    #[arg(long = "results", value_name = "GLOB")]
    pub results: Vec<String>,

    /// Stop after this long (without a command: otherwise until Ctrl-C). Written as kubectl/Go/k6 write durations: 1m30s, 90s, 500ms.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<std::time::Duration>,

    /// Keep recording this long after the command exits (6m shows the HPA's scale-down). Written as kubectl/Go/k6 write durations: 1m30s, 90s, 500ms.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = parse_duration)]
    pub linger: std::time::Duration,

    /// Folder that holds the sessions (old spelling; give --session a path instead).
    #[arg(long, default_value = "data", hide = true)]
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

    /// Where to write the kubeconfig and the ground-truth log (`--dir` is the old spelling).
    #[arg(long = "out", alias = "dir", value_name = "DIR", default_value = "sim")]
    pub dir: PathBuf,
}

impl CollectArgs {
    /// One spelling for every recorder: `--session` takes the session folder's path (a bare
    /// name goes under `--data-root`, default data/); collect's recorder takes a root and a name,
    /// so a path is split into the two here.
    pub fn with_session_path(mut self) -> Self {
        let Some(given) = self.session.as_deref().map(std::path::Path::new) else {
            return self;
        };
        if let (Some(parent), Some(name)) = (given.parent(), given.file_name())
            && !parent.as_os_str().is_empty()
        {
            let name = name.to_string_lossy().into_owned();
            self.data_root = parent.to_path_buf();
            self.session = Some(name);
        }
        self
    }
}

/// `--resamples`: 1 to 1 000 000 (each resample sorts both sides once).
pub fn parse_resamples(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
        _ => Err(format!(
            "{text:?} is not a number of resamples from 1 to 1000000 (default 2000)"
        )),
    }
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
    /// Base URL of the service, scheme included and no path (that is --path), e.g.
    /// http://34.70.42.27 or http://127.0.0.1:8000.
    #[arg(long, value_parser = parse_base_url)]
    pub url: String,
    /// Server API: the guide's /chat (one JSON answer), or streamed OpenAI-compatible chat or
    /// completions, or TGI's /generate_stream. The API key, if any, is read from $REPORT_API_KEY.
    #[arg(long, value_enum, default_value_t = crate::run::api::ApiKind::Chat)]
    pub api: crate::run::api::ApiKind,
    /// Path of the generation endpoint. Default: the API's (/chat, /v1/chat/completions,
    /// /v1/completions, /generate_stream).
    #[arg(long)]
    pub path: Option<String>,
    /// `model` sent to OpenAI-compatible servers (vLLM needs the served model's name).
    #[arg(long)]
    pub model: Option<String>,
    /// Most tokens to generate per prompt (`max_tokens`; TGI `max_new_tokens`).
    #[arg(long, default_value_t = 80)]
    pub max_tokens: u32,
    /// File of prompts, one per line (blank lines skipped), or JSON Lines
    /// `{"prompt": "...", "max_tokens": N}`; default: built-in coding prompts.
    #[arg(long, conflicts_with = "input_tokens")]
    pub prompts: Option<PathBuf>,
    /// Synthetic prompts of about N tokens each instead of the built-in ones.
    #[arg(long, value_name = "N")]
    pub input_tokens: Option<u32>,
    /// Ask for exactly M output tokens (max_tokens M, and ignore_eos/min_tokens for the OpenAI
    /// APIs, as vLLM accepts them), so output length is controlled.
    #[arg(long, value_name = "M", conflicts_with = "max_tokens")]
    pub output_tokens: Option<u32>,
    /// Per-request timeout. Written as kubectl/Go/k6 write durations: 1m30s, 90s, 500ms.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_positive_duration)]
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
    /// Pause between scenarios. Written as kubectl/Go/k6 write durations: 1m30s, 90s, 500ms.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub pause: std::time::Duration,
}

#[derive(Debug, Args, Clone)]
pub struct SpikeArgs {
    #[command(flatten)]
    pub common: CommonRunArgs,
    /// Baseline (and recovery) rate, requests per second.
    #[arg(long, default_value_t = 2.0, value_parser = parse_rate, allow_negative_numbers = true)]
    pub baseline: f64,
    /// Spike rate, requests per second.
    #[arg(long, default_value_t = 20.0, value_parser = parse_rate, allow_negative_numbers = true)]
    pub rps: f64,
    /// Length of the spike. Written as kubectl/Go/k6 write durations: 1m30s, 90s, 500ms.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_positive_duration)]
    pub duration: std::time::Duration,
    /// Length of the baseline phase. Written as kubectl/Go/k6 write durations: 1m30s, 90s, 500ms.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_positive_duration)]
    pub baseline_duration: std::time::Duration,
    /// Length of the recovery phase. Written as kubectl/Go/k6 write durations: 1m30s, 90s, 500ms.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_positive_duration)]
    pub recovery_duration: std::time::Duration,
}

#[derive(Debug, Args, Clone)]
pub struct StressArgs {
    #[command(flatten)]
    pub common: CommonRunArgs,
    /// First step's rate, requests per second.
    #[arg(long, default_value_t = 1.0, value_parser = parse_rate, allow_negative_numbers = true)]
    pub start: f64,
    /// Highest rate tried.
    #[arg(long, default_value_t = 50.0, value_parser = parse_rate, allow_negative_numbers = true)]
    pub max: f64,
    /// Rate added at each step.
    #[arg(long, default_value_t = 5.0, value_parser = parse_rate, allow_negative_numbers = true)]
    pub step: f64,
    /// Length of each step. Written as kubectl/Go/k6 write durations: 1m30s, 90s, 500ms.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_positive_duration)]
    pub step_duration: std::time::Duration,
    /// Breaking point: a step whose success rate falls below this, in percent (95 or 95%; a bare
    /// 0.95 is refused as ambiguous).
    #[arg(long, default_value_t = 95.0, value_parser = parse_percent)]
    pub min_success: f64,
    /// Breaking point: a step whose average latency rises above this. Written as kubectl/Go/k6 write durations: 1m30s, 90s, 500ms.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_positive_duration)]
    pub max_avg_latency: std::time::Duration,
}

#[derive(Debug, Args, Clone)]
pub struct SoakArgs {
    #[command(flatten)]
    pub common: CommonRunArgs,
    /// Rate, requests per second.
    #[arg(long, default_value_t = 5.0, value_parser = parse_rate, allow_negative_numbers = true)]
    pub rps: f64,
    /// Length of the test. Written as kubectl/Go/k6 write durations: 1m30s, 90s, 500ms.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_positive_duration)]
    pub duration: std::time::Duration,
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
    fn every_recorder_takes_the_session_folder_as_a_path_and_old_spellings_still_work() {
        let collect = |argv: &[&str]| {
            let cli = Cli::try_parse_from([&["report", "collect"][..], argv].concat()).unwrap();
            let Command::Collect(args) = cli.command else {
                panic!("not collect")
            };
            let args = args.with_session_path();
            (args.data_root, args.session)
        };
        let split = |root: &str, name: &str| (PathBuf::from(root), Some(name.to_string()));
        assert_eq!(
            collect(&["--session", "data/rehearsal"]),
            split("data", "rehearsal")
        );
        assert_eq!(collect(&["--session", "/tmp/x/s1"]), split("/tmp/x", "s1"));
        assert_eq!(
            collect(&["--session", "rehearsal"]),
            split("data", "rehearsal")
        );
        assert_eq!(
            collect(&["--session", "rehearsal", "--data-root", "elsewhere"]),
            split("elsewhere", "rehearsal")
        );
        let sim = |argv: &[&str]| match Cli::try_parse_from([&["report", "sim"][..], argv].concat())
            .unwrap()
            .command
        {
            Command::Sim(args) => args.dir,
            _ => panic!("not sim"),
        };
        assert_eq!(sim(&["--out", "rehearsal"]), PathBuf::from("rehearsal"));
        assert_eq!(sim(&["--dir", "old"]), PathBuf::from("old"));
    }

    #[test]
    fn run_values_are_checked_where_they_are_typed() {
        let error = |argv: &[&str]| {
            let argv = [&["report", "run"][..], argv].concat();
            Cli::try_parse_from(argv).unwrap_err().to_string()
        };
        let url = ["--url", "http://127.0.0.1:8000"];
        let spike = |extra: &[&str]| error(&[&["spike"][..], &url, extra].concat());
        assert!(
            spike(&["--rps", "-5"])
                .contains("-5 is a negative rate; give requests per second above 0, e.g. 2 or 0.5"),
            "{}",
            spike(&["--rps", "-5"])
        );
        assert!(spike(&["--duration", "0s"]).contains("\"0s\" is zero: nothing would be sent"));
        assert!(
            error(&["soak", "--url", "127.0.0.1:8000"])
                .contains("\"127.0.0.1:8000\" has no scheme; write http://127.0.0.1:8000")
        );
        assert!(
            error(&["soak", "--url", "http://host/chat"])
                .contains("write --url http://host --path /chat")
        );
        let stress = |extra: &[&str]| error(&[&["stress"][..], &url, extra].concat());
        assert!(stress(&["--min-success", "0.95"]).contains("0.95 is ambiguous"));
        assert!(stress(&["--min-success", "150"]).contains("150 is outside 0-100"));
        let help = Cli::try_parse_from(["report", "run", "soak", "--help"])
            .unwrap_err()
            .to_string();
        assert_eq!(help.matches("1m30s, 90s, 500ms").count(), 2, "{help}");
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
