//! `report build`: session folder → ingest → analyze → charts → render, into out/<session>/.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::{BuildArgs, OutputFormat};
use crate::render::Outputs;
use crate::{analyze, charts, ingest, render, session};

/// Exit code when nothing usable was found.
pub const EXIT_NOTHING_USABLE: u8 = 3;
/// Exit code of `--check` when an objective failed or could not be measured.
pub const EXIT_OBJECTIVE_FAILED: u8 = 4;
/// The objectives file a session folder may hold.
pub const SESSION_OBJECTIVES: &str = "slo.toml";

pub fn run(args: &BuildArgs) -> Result<ExitCode> {
    let session_dir = match &args.session_dir {
        Some(dir) => dir.clone(),
        None => session::newest_session(&args.data_root)?,
    };
    let timer = StageTimer::from_env();
    let inputs = ingest::load_session(&session_dir)?;
    timer.lap("ingest");
    for problem in &inputs.problems {
        eprintln!("warning: {problem}");
    }
    if !inputs.has_results() {
        eprintln!(
            "error: nothing usable in {}: no results file (benchmark_results.json, advanced_test_results_*.json) and no console log of a test run{}",
            session_dir.display(),
            if inputs.problems.is_empty() {
                ""
            } else {
                " (see the warnings above)"
            }
        );
        return Ok(ExitCode::from(EXIT_NOTHING_USABLE));
    }
    let out_dir = args.out.join(&inputs.name);
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let analysis = analyze::analyze(&inputs);
    timer.lap("analyze");
    let objectives_file = args
        .slo
        .clone()
        .or_else(|| Some(session_dir.join(SESSION_OBJECTIVES)).filter(|p| p.is_file()))
        .map(|path| analyze::objectives::file::read(&path));
    let checked = match &objectives_file {
        Some(Ok(file)) => Some(analyze::objectives::evaluate(&inputs, &analysis, file)),
        _ => None,
    };
    let objectives = match (&objectives_file, &checked) {
        (_, Some(report)) => render::Objectives::Checked(report),
        (Some(Err(error)), _) => {
            eprintln!("error: objectives file {error}");
            render::Objectives::Invalid(error)
        }
        _ => render::Objectives::None,
    };
    timer.lap("objectives");
    let charts = charts::draw_all(&analysis, &out_dir, args.size);
    timer.lap("charts");
    let outputs = Outputs {
        markdown: matches!(args.format, OutputFormat::Md | OutputFormat::All),
        html: matches!(args.format, OutputFormat::Html | OutputFormat::All),
    };
    let written = render::write_report(
        &analysis,
        objectives,
        &charts,
        &session_dir,
        &out_dir,
        outputs,
        args.templates.as_deref(),
    )?;
    timer.lap("render");
    print_outcome(&out_dir, &written, &charts, inputs.problems.len());
    Ok(gate(args.check, objectives))
}

/// The exit status: with `--check`, 4 unless every objective was measured and met, 2 when the
/// objectives file could not be used or there was none to check.
fn gate(check: bool, objectives: render::Objectives) -> ExitCode {
    if !check {
        return ExitCode::SUCCESS;
    }
    match objectives {
        render::Objectives::Checked(report) => {
            let failed = report.count(analyze::objectives::Outcome::Fail);
            let unmeasured = report.count(analyze::objectives::Outcome::NotMeasured);
            println!(
                "objectives: {} met, {failed} failed, {unmeasured} not measured ({})",
                report.count(analyze::objectives::Outcome::Pass),
                report.file
            );
            if report.all_passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_OBJECTIVE_FAILED)
            }
        }
        render::Objectives::Invalid(_) => ExitCode::from(2),
        render::Objectives::None => {
            eprintln!(
                "error: --check needs objectives: pass --slo FILE or put {SESSION_OBJECTIVES} in the session folder"
            );
            ExitCode::from(2)
        }
    }
}

fn print_outcome(
    out_dir: &Path,
    written: &[PathBuf],
    charts: &[charts::ChartOutcome],
    problems: usize,
) {
    let drawn = charts.iter().filter(|c| c.not_drawn.is_none()).count();
    println!("report written to {}", out_dir.display());
    for path in written {
        println!("  {}", path.display());
    }
    println!(
        "  {drawn} chart(s) drawn, {} not drawn (reasons in the report)",
        charts.len() - drawn
    );
    if problems > 0 {
        println!("  {problems} input problem(s): listed under \"Inputs skipped or repaired\"");
    }
}

/// Per-stage wall time on stderr when REPORT_TIMINGS is set (used by benches/).
struct StageTimer {
    start: Option<std::cell::Cell<std::time::Instant>>,
}

impl StageTimer {
    fn from_env() -> Self {
        let on = std::env::var_os("REPORT_TIMINGS").is_some();
        Self {
            start: on.then(|| std::cell::Cell::new(std::time::Instant::now())),
        }
    }

    fn lap(&self, stage: &str) {
        if let Some(start) = &self.start {
            let now = std::time::Instant::now();
            eprintln!("timing: {stage} {:.3} s", (now - start.get()).as_secs_f64());
            start.set(now);
        }
    }
}
