//! Ingest: find the inputs of a session folder, parse each with its own parser, and pair results
//! files with the console logs that wrote them. Every problem names its file and place; a bad
//! file is skipped and the rest still make the report.

pub mod cluster;
pub mod console;
pub mod json;
#[cfg(test)]
mod never_panics;
pub mod problem;
pub mod records;
pub mod results;
pub mod run_output;
pub mod streaming;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use chrono::NaiveDateTime;

use crate::session::{Manifest, SessionDir, files};
use console::{
    ConsoleLog, ConsolePhase, ConsoleScenario, ConsoleSoak, ConsoleStep, parse_console_log,
};
pub use problem::Problem;
use records::RequestColumns;
use results::{AdvancedFile, Analysis, BasicScenario};

/// Where a run's figures came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sources {
    pub file: Option<PathBuf>,
    pub log: Option<PathBuf>,
}

impl Sources {
    /// `advanced_test_results_…json + stress_console.log`, for "source" columns.
    pub fn describe(&self) -> String {
        let name = |p: &PathBuf| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        match (&self.file, &self.log) {
            (Some(f), Some(l)) => format!("{} + {}", name(f), name(l)),
            (Some(f), None) => name(f),
            (None, Some(l)) => format!("{} (console only)", name(l)),
            (None, None) => String::new(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct BasicRun {
    pub sources: Sources,
    pub scenarios: Vec<BasicScenarioInput>,
}

#[derive(Debug, Clone, Default)]
pub struct BasicScenarioInput {
    pub name: String,
    pub file: Option<BasicScenario>,
    pub console: Option<ConsoleScenario>,
}

#[derive(Debug, Clone, Default)]
pub struct PhaseInput {
    pub name: String,
    pub file: Option<Analysis>,
    pub console: Option<ConsolePhase>,
    pub records: Option<RequestColumns>,
}

#[derive(Debug, Clone, Default)]
pub struct SpikeRun {
    /// `report run`'s marker when it wrote the file (exact percentiles).
    pub generator: Option<String>,
    pub sources: Sources,
    pub saved_local: Option<NaiveDateTime>,
    pub phases: Vec<PhaseInput>,
    pub crash: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct StressRun {
    pub generator: Option<String>,
    pub sources: Sources,
    pub saved_local: Option<NaiveDateTime>,
    pub breaking_point: Option<f64>,
    pub max_tested: Option<f64>,
    pub steps: Vec<ConsoleStep>,
    pub records: RequestColumns,
    pub crash: Option<String>,
    /// The console announced the breaking point (or success at max) itself.
    pub console_breaking_point: Option<f64>,
    pub console_handled_max: Option<f64>,
    /// The breaking criteria `report run` used; None for the scripts (their fixed ones).
    pub criteria: Option<results::FileCriteria>,
}

#[derive(Debug, Clone, Default)]
pub struct SoakRun {
    pub generator: Option<String>,
    pub sources: Sources,
    pub saved_local: Option<NaiveDateTime>,
    pub interrupted: bool,
    pub target_rps: Option<f64>,
    pub duration_minutes: Option<f64>,
    pub overall: Option<Analysis>,
    pub chunks: Vec<Analysis>,
    pub console: Option<ConsoleSoak>,
    pub records: RequestColumns,
}

/// Offset of the scripts' local clock and how it was learned.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockOffset {
    pub seconds: i32,
    pub source: String,
}

/// Everything `build` found in a session folder.
#[derive(Debug, Clone)]
pub struct SessionInputs {
    pub name: String,
    pub dir: PathBuf,
    pub manifest: Option<Manifest>,
    pub clock: ClockOffset,
    pub basic: Vec<BasicRun>,
    pub spikes: Vec<SpikeRun>,
    pub stresses: Vec<StressRun>,
    pub soaks: Vec<SoakRun>,
    pub problems: Vec<Problem>,
    pub files_used: Vec<PathBuf>,
    /// What `report collect` recorded from the cluster (empty for a plain folder).
    pub cluster: cluster::ClusterRecording,
    /// How `report run`'s requests ended, counted per phase (requests.ndjson).
    pub request_outcomes: run_output::RequestOutcomes,
    /// Per-token timings of streamed requests (requests.ndjson, format 2) and dispatch delays.
    pub run_records: streaming::RunRecords,
}

impl SessionInputs {
    pub fn has_results(&self) -> bool {
        !(self.basic.is_empty()
            && self.spikes.is_empty()
            && self.stresses.is_empty()
            && self.soaks.is_empty()
            && self.cluster.is_empty())
    }
}

enum Parsed {
    Basic(Vec<BasicScenario>),
    Advanced(Box<AdvancedFile>),
}

/// Reads a session folder. Fails only when the folder itself cannot be read; an empty or
/// useless folder is reported by the caller through [`SessionInputs::has_results`].
pub fn load_session(dir: &Path) -> Result<SessionInputs> {
    if !dir.is_dir() {
        bail!(
            "session folder {} does not exist or is not a folder",
            dir.display()
        );
    }
    let session = SessionDir::new(dir);
    let mut problems = Vec::new();
    let manifest_path = session.file(files::MANIFEST);
    let manifest = match manifest_path
        .exists()
        .then(|| is_readable_input(&manifest_path, &mut problems))
    {
        Some(false) => Ok(None),
        _ => session.read_manifest(),
    };
    let manifest = match manifest {
        Ok(m) => m,
        Err(e) => {
            problems.push(Problem::skipped(
                &session.file(files::MANIFEST),
                "",
                format!("{e:#}"),
            ));
            None
        }
    };
    let (json_files, log_files) = discover(dir, &mut problems)?;

    let mut parsed = Vec::new();
    for path in &json_files {
        match json::read_results_file(path, &mut problems) {
            Ok(Some(p)) => parsed.push((path.clone(), p)),
            Ok(None) => {}
            Err(problem) => problems.push(*problem),
        }
    }
    let mut logs = Vec::new();
    for path in &log_files {
        match std::fs::read(path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                for segment in split_runs(&text) {
                    let (log, mut p) = parse_console_log(path, segment);
                    problems.append(&mut p);
                    logs.push(log);
                }
            }
            Err(e) => problems.push(Problem::skipped(path, "", format!("cannot read: {e}"))),
        }
    }

    let clock = clock_offset(manifest.as_ref(), &logs);
    let spec = manifest
        .as_ref()
        .and_then(|m| m.cluster.as_ref())
        .and_then(|c| c.hpa_spec.clone());
    let cluster = cluster::read_cluster(dir, spec, &mut problems);
    let mut inputs = SessionInputs {
        name: session.name(),
        dir: dir.to_path_buf(),
        manifest,
        clock,
        basic: Vec::new(),
        spikes: Vec::new(),
        stresses: Vec::new(),
        soaks: Vec::new(),
        problems,
        files_used: Vec::new(),
        cluster,
        request_outcomes: Default::default(),
        run_records: streaming::read(dir),
    };
    assemble(&mut inputs, parsed, logs);
    run_output::apply(&mut inputs, dir);
    inputs.files_used.extend(recordings_present(dir));
    inputs.files_used.sort();
    Ok(inputs)
}

/// The recorders' files this build reads, those the session has and not empty.
fn recordings_present(dir: &Path) -> impl Iterator<Item = PathBuf> {
    [
        files::HPA,
        files::EVENTS,
        files::PODS,
        files::POD_METRICS,
        files::COLLECTOR_LOG,
        files::REQUESTS,
        files::RUN_EVENTS,
    ]
    .into_iter()
    .map(|name| dir.join(name))
    .filter(|path| std::fs::metadata(path).is_ok_and(|m| m.len() > 0))
}

/// Results files at the top and under results/ (newest stored version of each name), and logs.
fn discover(dir: &Path, problems: &mut Vec<Problem>) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let mut json_files = Vec::new();
    let mut logs = Vec::new();
    for path in sorted_entries(dir)? {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let is_json = name.ends_with(".json") && name != files::MANIFEST;
        let is_log = name.ends_with(".log");
        if !(is_json || is_log) || !is_readable_input(&path, problems) {
            continue;
        }
        if is_json {
            json_files.push(path);
        } else {
            logs.push(path);
        }
    }
    let results = dir.join(files::RESULTS_DIR);
    if results.is_dir() {
        // `<capture stamp>__<name>`: the stamps sort by time, so the last of each name is newest.
        let mut newest: BTreeMap<String, PathBuf> = BTreeMap::new();
        for path in sorted_entries(&results)? {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match name.split_once("__") {
                Some((_, original))
                    if original.ends_with(".json") && is_readable_input(&path, problems) =>
                {
                    newest.insert(original.to_string(), path);
                }
                _ => problems.push(Problem::note(
                    &path,
                    "",
                    "not named <capture time>__<file>.json; ignored",
                )),
            }
        }
        json_files.extend(newest.into_values());
    }
    Ok((json_files, logs))
}

/// Whether `path` is an input to read: a regular file (or a link to one). Anything else with an
/// input's name is a warning and never opened: a FIFO would block the read for ever, a folder
/// named like a results file is a mistake worth telling.
pub(crate) fn is_readable_input(path: &Path, problems: &mut Vec<Problem>) -> bool {
    let why = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => return true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return false,
        Ok(m) if m.is_dir() => "is a folder, named like an input file".to_string(),
        Ok(_) => "is not a regular file (a pipe, socket or device), so it is not read".to_string(),
        Err(e) => format!("cannot be read: {e}"),
    };
    problems.push(Problem::skipped(path, "", why));
    false
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot list {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    Ok(entries)
}

/// One recorded console can hold several script runs back to back; each starts with a banner.
fn split_runs(text: &str) -> Vec<&str> {
    let starts: Vec<usize> = text
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .chain(std::iter::once(0))
        .filter(|&i| {
            let line = text[i..].split('\n').next().unwrap_or("");
            line.contains("🚀 Starting Advanced Load Tests")
                || line.contains("🎯 Testing CodeLlama")
        })
        .collect();
    let mut starts = starts;
    starts.sort_unstable();
    starts.dedup();
    if starts.first() != Some(&0) {
        starts.insert(0, 0);
    }
    let mut segments: Vec<&str> = starts
        .windows(2)
        .map(|w| &text[w[0]..w[1]])
        .chain(std::iter::once(&text[*starts.last().unwrap_or(&0)..]))
        .filter(|s| !s.trim().is_empty())
        .collect();
    if segments.is_empty() {
        segments.push(text);
    }
    segments
}

fn clock_offset(manifest: Option<&Manifest>, logs: &[ConsoleLog]) -> ClockOffset {
    if let Some(s) = manifest.and_then(|m| m.utc_offset_seconds) {
        return ClockOffset {
            seconds: s,
            source: "session.json utc_offset_seconds".into(),
        };
    }
    if let Some(log) = logs.iter().find(|l| l.utc_offset_seconds.is_some()) {
        return ClockOffset {
            seconds: log.utc_offset_seconds.unwrap_or(0),
            source: format!(
                "`⏰ Start time:` line of {} against its time stamp",
                log.path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ),
        };
    }
    ClockOffset {
        seconds: 0,
        source: "assumed UTC: no session.json offset and no stamped console log".into(),
    }
}

/// `advanced_test_results_20261126_164103.json` → 2026-11-26 16:41:03 (local clock).
pub fn saved_time_from_name(path: &Path) -> Option<NaiveDateTime> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let name = name.split("__").last()?.to_string();
    let stamp = name
        .strip_prefix("advanced_test_results_")?
        .strip_suffix(".json")?;
    NaiveDateTime::parse_from_str(stamp, "%Y%m%d_%H%M%S").ok()
}

/// Pairs every parsed file with the log that saved it, and turns logs without a file (the script
/// crashed, or only the console was kept) into runs of their own.
fn assemble(inputs: &mut SessionInputs, parsed: Vec<(PathBuf, Parsed)>, mut logs: Vec<ConsoleLog>) {
    // First every file takes the log that names it; then files left alone take a log whose
    // printed figures are theirs (a results file renamed after the run).
    let mut paired: Vec<(PathBuf, Parsed, Option<ConsoleLog>)> = parsed
        .into_iter()
        .map(|(path, content)| {
            let base = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let original = base.split("__").last().unwrap_or(&base).to_string();
            let log = take_log_that_saved(&mut logs, &original);
            (path, content, log)
        })
        .collect();
    for (_, content, log) in paired.iter_mut().filter(|(_, _, log)| log.is_none()) {
        if let Some(i) = logs.iter().position(|l| log_matches(content, l)) {
            *log = Some(logs.remove(i));
        }
    }
    for (path, content, log) in paired {
        inputs.files_used.push(path.clone());
        if let Some(l) = &log {
            inputs.files_used.push(l.path.clone());
        }
        let sources = Sources {
            file: Some(path.clone()),
            log: log.as_ref().map(|l| l.path.clone()),
        };
        match content {
            Parsed::Basic(scenarios) => {
                inputs
                    .basic
                    .push(basic_run(sources, Some(scenarios), log.as_ref()))
            }
            Parsed::Advanced(file) => add_advanced(inputs, sources, &path, *file, log.as_ref()),
        }
    }
    for log in logs {
        let sources = Sources {
            file: None,
            log: Some(log.path.clone()),
        };
        let mut used = false;
        if !log.basic.is_empty() {
            inputs
                .basic
                .push(basic_run(sources.clone(), None, Some(&log)));
            used = true;
        }
        if log.spike.is_some() || log.stress.is_some() || log.soak.is_some() {
            let path = log.path.clone();
            add_advanced(inputs, sources, &path, AdvancedFile::default(), Some(&log));
            used = true;
        }
        if used {
            inputs.files_used.push(log.path.clone());
        }
    }
    inputs.files_used.sort();
    inputs.files_used.dedup();
    inputs.spikes.sort_by_key(|r| r.saved_local);
    inputs.stresses.sort_by_key(|r| r.saved_local);
    inputs.soaks.sort_by_key(|r| r.saved_local);
}

/// The console prints averages to the millisecond: equal counts and averages within half a
/// millisecond identify the run.
fn same_printed(file_avg: Option<f64>, console_avg: Option<f64>) -> bool {
    matches!((file_avg, console_avg), (Some(a), Some(b)) if (a - b).abs() <= 0.0005 + 1e-9)
}

fn log_matches(content: &Parsed, log: &ConsoleLog) -> bool {
    match content {
        Parsed::Basic(scenarios) => {
            !scenarios.is_empty()
                && scenarios.iter().all(|s| {
                    log.basic.iter().any(|c| {
                        Some(&c.name) == s.scenario.as_ref()
                            && c.total == s.total_requests
                            && same_printed(s.avg_latency, c.avg_s)
                    })
                })
        }
        Parsed::Advanced(file) => {
            let spike_ok = match (&file.spike, &log.spike) {
                (Some(f), Some(c)) => {
                    let phases = c.merged_phases();
                    let analyses = [&f.baseline_results, &f.spike_results, &f.recovery_results];
                    SPIKE_PHASES.iter().zip(analyses).all(|((name, _), a)| {
                        let c = phases.iter().find(|p| p.name == *name);
                        match (a, c) {
                            (Some(a), Some(c)) => {
                                a.total == c.total
                                    && (a.avg_latency.is_none()
                                        || same_printed(a.avg_latency, c.avg_s))
                            }
                            (None, None) => true,
                            _ => false,
                        }
                    })
                }
                (None, None) => true,
                _ => false,
            };
            let stress_ok = match (&file.stress, &log.stress) {
                (Some(f), Some(c)) => {
                    f.max_tested.is_some()
                        && f.max_tested == c.steps.last().map(|s| s.target_rps)
                        && f.breaking_point == c.breaking_point
                }
                (None, None) => true,
                _ => false,
            };
            let soak_ok = match (&file.soak, &log.soak) {
                (Some(f), Some(c)) => {
                    f.per_minute_chunks.len() == c.minutes.len()
                        && !c.minutes.is_empty()
                        && f.per_minute_chunks
                            .iter()
                            .zip(&c.minutes)
                            .all(|(a, m)| same_printed(a.avg_latency, m.avg_s))
                }
                (None, None) => true,
                _ => false,
            };
            spike_ok && stress_ok && soak_ok
        }
    }
}

fn take_log_that_saved(logs: &mut Vec<ConsoleLog>, file_name: &str) -> Option<ConsoleLog> {
    let index = logs
        .iter()
        .position(|l| l.saved_files.iter().any(|f| f == file_name))?;
    Some(logs.remove(index))
}

fn basic_run(
    sources: Sources,
    file: Option<Vec<BasicScenario>>,
    log: Option<&ConsoleLog>,
) -> BasicRun {
    let console: Vec<ConsoleScenario> = log.map(|l| l.basic.clone()).unwrap_or_default();
    let mut scenarios: Vec<BasicScenarioInput> = Vec::new();
    // Console order is the order the scenarios ran; the file leaves out all-failed scenarios.
    for c in &console {
        scenarios.push(BasicScenarioInput {
            name: c.name.clone(),
            file: None,
            console: Some(c.clone()),
        });
    }
    for (i, s) in file.unwrap_or_default().into_iter().enumerate() {
        let name = s
            .scenario
            .clone()
            .unwrap_or_else(|| format!("Scenario {}", i + 1));
        match scenarios
            .iter_mut()
            .find(|x| x.name == name && x.file.is_none())
        {
            Some(x) => x.file = Some(s),
            None => scenarios.push(BasicScenarioInput {
                name,
                file: Some(s),
                console: None,
            }),
        }
    }
    BasicRun { sources, scenarios }
}

fn add_advanced(
    inputs: &mut SessionInputs,
    sources: Sources,
    path: &Path,
    file: AdvancedFile,
    log: Option<&ConsoleLog>,
) {
    let saved_local =
        saved_time_from_name(path).or_else(|| log.and_then(|l| l.last.map(|t| t.naive_local())));
    let crash = log.and_then(|l| l.crash.as_ref().map(|(_, why)| why.clone()));
    if file.spike.is_some() || log.is_some_and(|l| l.spike.is_some()) {
        inputs.spikes.push(spike_run(
            sources.clone(),
            saved_local,
            file.spike,
            log,
            crash.clone(),
        ));
    }
    if file.stress.is_some() || log.is_some_and(|l| l.stress.is_some()) {
        let console = log.and_then(|l| l.stress.clone()).unwrap_or_default();
        let stress = file.stress.unwrap_or_default();
        // `report run`'s file holds each step's exact figures; the scripts' only the console.
        let steps = if stress.steps.is_empty() {
            console.steps
        } else {
            stress
                .steps
                .iter()
                .map(|s| file_step(s, &console.steps))
                .collect()
        };
        inputs.stresses.push(StressRun {
            generator: stress.generator.clone(),
            sources: sources.clone(),
            saved_local,
            breaking_point: stress.breaking_point,
            max_tested: stress.max_tested,
            steps,
            records: stress.all_results,
            crash: crash.clone(),
            console_breaking_point: console.breaking_point,
            console_handled_max: console.handled_max,
            criteria: stress.criteria,
        });
    }
    if file.soak.is_some() || log.is_some_and(|l| l.soak.is_some()) {
        let soak = file.soak.unwrap_or_default();
        inputs.soaks.push(SoakRun {
            generator: soak.generator.clone(),
            sources,
            saved_local,
            interrupted: soak.status.as_deref() == Some("interrupted"),
            target_rps: soak
                .target_rps
                .or_else(|| log.and_then(|l| l.soak.as_ref()?.rps)),
            duration_minutes: soak
                .duration_minutes
                .or_else(|| log.and_then(|l| l.soak.as_ref()?.duration_min)),
            overall: soak.overall_analysis,
            chunks: soak.per_minute_chunks,
            console: log.and_then(|l| l.soak.clone()),
            records: soak.all_results,
        });
    }
}

const SPIKE_PHASES: [(&str, &str); 3] = [
    ("Baseline", "baseline_results"),
    ("Spike", "spike_results"),
    ("Recovery", "recovery_results"),
];

fn spike_run(
    sources: Sources,
    saved_local: Option<NaiveDateTime>,
    file: Option<results::SpikeResult>,
    log: Option<&ConsoleLog>,
    crash: Option<String>,
) -> SpikeRun {
    let console_phases = log
        .and_then(|l| l.spike.as_ref())
        .map(|s| s.merged_phases())
        .unwrap_or_default();
    let file = file.unwrap_or_default();
    let analyses = [
        file.baseline_results,
        file.spike_results,
        file.recovery_results,
    ];
    let records = &file.all_results;
    let mut offset = 0usize;
    let mut phases = Vec::new();
    for ((name, _key), analysis) in SPIKE_PHASES.iter().zip(analyses) {
        let console = console_phases.iter().find(|p| p.name == *name).cloned();
        if analysis.is_none() && console.is_none() {
            continue;
        }
        // all_results holds the phases back to back, each `total` records long.
        let count = analysis.as_ref().and_then(|a| a.total).map(|t| t as usize);
        let phase_records = match count {
            Some(n)
                if !records.is_empty()
                    && offset
                        .checked_add(n)
                        .is_some_and(|end| end <= records.len()) =>
            {
                let slice = records.slice(offset, offset + n);
                offset += n;
                Some(slice)
            }
            _ => None,
        };
        phases.push(PhaseInput {
            name: name.to_string(),
            file: analysis,
            console,
            records: phase_records,
        });
    }
    SpikeRun {
        generator: file.generator.clone(),
        sources,
        saved_local,
        phases,
        crash,
    }
}

/// A step of `report run`'s stress file, in the shape the console parser gives, with the start
/// its console line stamped (the exact boundaries come from run_events.jsonl later).
fn file_step(step: &results::FileStep, console: &[ConsoleStep]) -> ConsoleStep {
    let f = &step.figures;
    let target_rps = step.target_rps.unwrap_or(f64::NAN);
    let printed = console.iter().rfind(|c| c.target_rps == target_rps);
    ConsoleStep {
        target_rps,
        planned_s: printed.and_then(|c| c.planned_s),
        start: printed.and_then(|c| c.start),
        end: None,
        planned_requests: f.total,
        success_rate: f.success_rate,
        avg_s: f.avg_latency,
        stopped_early: step.partial,
        sends: printed.map(|c| c.sends.clone()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_time_is_read_from_the_scripts_file_name() {
        let t = saved_time_from_name(Path::new("x/advanced_test_results_20261126_164103.json"))
            .unwrap();
        assert_eq!(t.to_string(), "2026-11-26 16:41:03");
        let stored =
            Path::new("results/20261126T164103.120Z__advanced_test_results_20261126_164103.json");
        assert_eq!(saved_time_from_name(stored), Some(t));
        assert_eq!(
            saved_time_from_name(Path::new("benchmark_results.json")),
            None
        );
    }

    #[test]
    fn a_console_with_two_runs_is_split_at_their_banners() {
        let text = "t\tpre\nt\t🚀 Starting Advanced Load Tests against x\nt\ta\nt\t🚀 Starting Advanced Load Tests against y\nt\tb\n";
        let parts = split_runs(text);
        assert_eq!(parts.len(), 3);
        assert!(parts[1].contains("against x") && parts[1].contains("\ta\n"));
        assert!(parts[2].contains("against y"));
    }
}
