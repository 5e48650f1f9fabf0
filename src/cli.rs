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
    /// Record the autoscaler, the pods, the events and the tests' output into data/<session>/
    /// while a load test runs.
    Collect(CollectArgs),
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

    /// Folder with report.md.tera (and optionally report.html.tera) overriding the built-in
    /// templates.
    #[arg(long)]
    pub templates: Option<PathBuf>,

    /// Chart size in pixels, WIDTHxHEIGHT.
    #[arg(long, default_value = "1920x1080", value_parser = parse_size)]
    pub size: (u32, u32),

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

/// Parses durations such as `5s`, `200ms`, `6m`, `1h 30m`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(text)
        .map_err(|e| format!("{text:?} is not a duration such as 5s, 200ms or 6m ({e})"))
}

/// Parses `1920x1080` into (width, height), refusing sizes too small to hold a chart.
pub fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("expected WIDTHxHEIGHT such as 1920x1080, got {text:?}"))?;
    let parse = |s: &str| {
        s.trim()
            .parse::<u32>()
            .map_err(|_| format!("{s:?} is not a whole number of pixels"))
    };
    let (w, h) = (parse(w)?, parse(h)?);
    if !(320..=8000).contains(&w) || !(240..=8000).contains(&h) {
        return Err(format!(
            "chart size {w}x{h} is outside 320x240 ..= 8000x8000"
        ));
    }
    Ok((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_parses_and_rejects() {
        assert_eq!(parse_size("1920x1080"), Ok((1920, 1080)));
        assert_eq!(parse_size("800X600"), Ok((800, 600)));
        assert!(parse_size("1920").is_err());
        assert!(parse_size("10x10").is_err());
        assert!(parse_size("axb").is_err());
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
