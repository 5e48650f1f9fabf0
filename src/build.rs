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
    let timer = StageTimer::from_env();
    let (session_dir, inputs) = match &args.session_dir {
        Some(arg) => {
            let dir = session::resolve(arg, &args.data_root)?;
            let inputs = ingest::load_session(&dir)?;
            (dir, inputs)
        }
        None => newest_usable_session(&args.data_root)?,
    };
    timer.lap("ingest");
    for problem in &inputs.problems {
        eprintln!("{problem}");
    }
    if !inputs.has_results() {
        eprintln!("error: {}", nothing_usable(&session_dir, &inputs));
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

/// The newest session under `data_root` that holds something usable, said on stderr; newer
/// ones without (an empty folder left by a `collect` whose command never started) are named
/// as passed over. When none is usable, the newest is returned for the caller to explain.
fn newest_usable_session(data_root: &Path) -> Result<(PathBuf, ingest::SessionInputs)> {
    let candidates = session::sessions_newest_first(data_root)?;
    let mut passed_over = Vec::new();
    let mut newest = None;
    for dir in candidates {
        let inputs = match ingest::load_session(&dir) {
            Ok(inputs) => inputs,
            Err(e) => {
                passed_over.push(format!("{} ({e:#})", dir.display()));
                continue;
            }
        };
        if inputs.has_results() {
            let skipped = if passed_over.is_empty() {
                String::new()
            } else {
                format!(
                    "; passed over, nothing usable in: {}",
                    passed_over.join(", ")
                )
            };
            eprintln!(
                "note: no session folder given: building {}, the newest under {} with results{skipped}",
                dir.display(),
                data_root.display()
            );
            return Ok((dir, inputs));
        }
        passed_over.push(dir.display().to_string());
        newest.get_or_insert((dir, inputs));
    }
    newest.with_context(|| {
        format!(
            "no readable session folder under {}: {}",
            data_root.display(),
            passed_over.join(", ")
        )
    })
}

/// What a folder with nothing usable lacked, in terms of the files the user has.
fn nothing_usable(dir: &Path, inputs: &ingest::SessionInputs) -> String {
    let found = if inputs.problems.is_empty() {
        "it holds none of these".to_string()
    } else {
        format!(
            "none of its files could be used ({} problem(s) above)",
            inputs.problems.len()
        )
    };
    format!(
        "nothing usable in {}: expected the test scripts' results (benchmark_results.json, a list of scenarios; advanced_test_results_*.json, an object with a spike, stress or soak key), their console output saved as *.log, or a `report collect` recording (hpa.jsonl, ...); {found}",
        dir.display()
    )
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
