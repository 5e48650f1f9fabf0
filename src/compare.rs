//! `report compare A B [C ...]`: each session folder → ingest → analyze, then the comparison,
//! its overlay charts and its documents, into out/compare-<A>-<B>/.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::analyze::compare::{self, Options, Session};
use crate::build::{EXIT_NOTHING_USABLE, SESSION_OBJECTIVES};
use crate::cli::CompareArgs;
use crate::{analyze, charts, ingest, render};

pub fn run(args: &CompareArgs) -> Result<ExitCode> {
    let dirs: Vec<PathBuf> = args
        .sessions
        .iter()
        .map(|s| session_dir(s, &args.data_root))
        .collect::<Result<_>>()?;
    let mut inputs = Vec::new();
    for dir in &dirs {
        let loaded = ingest::load_session(dir)?;
        for problem in &loaded.problems {
            eprintln!("{}: {problem}", loaded.name);
        }
        if !loaded.has_results() {
            eprintln!(
                "error: nothing usable in {}: no results files, console logs or cluster recording (see `report build --help`)",
                dir.display()
            );
            return Ok(ExitCode::from(EXIT_NOTHING_USABLE));
        }
        inputs.push(loaded);
    }
    let analyses: Vec<analyze::Analysis> = inputs.iter().map(analyze::analyze).collect();
    let sessions: Vec<Session> = inputs
        .iter()
        .zip(&analyses)
        .map(|(inputs, analysis)| Session { inputs, analysis })
        .collect();
    let objectives = args
        .slo
        .clone()
        .or_else(|| Some(dirs[0].join(SESSION_OBJECTIVES)).filter(|p| p.is_file()))
        .map(|path| analyze::objectives::file::read(&path));
    if let Some(Err(error)) = &objectives {
        eprintln!("error: objectives file {error}");
    }
    let options = Options {
        resamples: args.resamples,
        seed: args.seed,
        merge: args.merge,
    };
    let comparison = compare::compare(
        &sessions,
        objectives.as_ref().and_then(|o| o.as_ref().ok()),
        options,
    );
    let out_dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("out").join(format!("compare-{}", comparison.sessions.join("-")))
    });
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let drawn = charts::overlay::draw_all(&comparison.overlays, &out_dir, args.size);
    let error = objectives.as_ref().and_then(|o| o.as_ref().err());
    let written = render::compare::write(&comparison, error, &drawn, &dirs, &out_dir)?;
    println!("comparison written to {}", out_dir.display());
    for path in written {
        println!("  {}", path.display());
    }
    let count = drawn.iter().filter(|c| c.not_drawn.is_none()).count();
    println!("  {count} overlay chart(s) drawn");
    Ok(ExitCode::SUCCESS)
}

/// A session given as a folder, or as a name under `data_root`.
fn session_dir(given: &str, data_root: &Path) -> Result<PathBuf> {
    let path = PathBuf::from(given);
    if path.is_dir() {
        return Ok(path);
    }
    let under = data_root.join(given);
    if under.is_dir() {
        return Ok(under);
    }
    bail!(
        "no session {given}: neither a folder nor a session under {}/",
        data_root.display()
    )
}
