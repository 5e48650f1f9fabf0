//! What `report run` adds to a session: per-request records (`requests.ndjson`) and phase events
//! (`run_events.jsonl`). They fill in what the results files lack: exact percentiles and phase
//! boundaries on the clock, for runs that have no console log.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;

use super::SessionInputs;
use super::cluster::RunEventRecord;
use super::console::{ConsolePhase, ConsoleSoak};
use super::problem::Problem;
use super::records::RequestColumns;
use crate::session::files;
use crate::session::jsonl::read_jsonl;

#[derive(Debug, Deserialize)]
struct RequestLine {
    test: String,
    phase: String,
    ended: DateTime<Utc>,
    #[serde(default)]
    latency_s: Option<f64>,
    ok: bool,
    #[serde(default)]
    tokens: Option<u64>,
    #[serde(default)]
    error: Option<String>,
}

type Key = (String, String);

/// Records per (test, phase), with end times on the scripts' local clock like `all_results`.
fn read_requests(
    dir: &Path,
    utc_offset_seconds: i32,
    problems: &mut Vec<Problem>,
) -> HashMap<Key, RequestColumns> {
    let path = dir.join(files::REQUESTS);
    let mut groups: HashMap<Key, RequestColumns> = HashMap::new();
    if !super::is_readable_input(&path, problems) {
        return groups;
    }
    let (lines, bad) = match read_jsonl::<RequestLine>(&path) {
        Ok(read) => read,
        Err(e) => {
            problems.push(Problem::skipped(&path, "", format!("{e:#}")));
            return groups;
        }
    };
    if let Some(first) = bad.first() {
        problems.push(Problem::value_ignored(
            &path,
            format!("line {}", first.line),
            format!("{} unreadable line(s), first: {}", bad.len(), first.message),
        ));
    }
    let offset_us = i64::from(utc_offset_seconds) * 1_000_000;
    for l in lines {
        let c = groups
            .entry((l.test.to_lowercase(), l.phase.to_lowercase()))
            .or_default();
        c.end_local_us
            .push(Some(l.ended.timestamp_micros() + offset_us));
        c.latency_s
            .push(l.latency_s.filter(|v| v.is_finite() && *v >= 0.0));
        c.success.push(l.ok);
        c.tokens.push(l.tokens);
        c.error.push(if l.ok {
            None
        } else {
            Some(l.error.unwrap_or_default())
        });
    }
    // In key order, so the warnings come out the same on every build.
    let mut keys: Vec<Key> = groups.keys().cloned().collect();
    keys.sort();
    for (test, phase) in keys {
        let Some(columns) = groups.get_mut(&(test.clone(), phase.clone())) else {
            continue;
        };
        let left_out = columns.leave_out_implausible_times();
        if !left_out.is_empty() {
            problems.push(Problem::value_ignored(
                &path,
                format!("records of test {test}, phase {phase}"),
                super::json::implausible_times_message(&left_out),
            ));
        }
    }
    groups
}

fn stamp(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.fixed_offset()
}

/// The (start, end) of the run event phase named `name` of `test`.
fn phase_times(
    events: &[RunEventRecord],
    test: &str,
    name: &str,
) -> Option<(DateTime<Utc>, DateTime<Utc>, Option<f64>)> {
    let matches = |e: &&RunEventRecord| {
        e.test.eq_ignore_ascii_case(test) && e.phase.eq_ignore_ascii_case(name)
    };
    let start = events.iter().filter(matches).find(|e| e.event == "start")?;
    let end = events.iter().filter(matches).rfind(|e| e.event == "end")?;
    Some((start.t, end.t, start.target_rps))
}

/// `4RPS`, `2.5RPS` → the step whose target is that rate.
fn step_rate(phase: &str) -> Option<f64> {
    phase.strip_suffix("RPS")?.parse().ok()
}

pub fn apply(inputs: &mut SessionInputs, dir: &Path) {
    let mut problems = Vec::new();
    let mut groups = read_requests(dir, inputs.clock.seconds, &mut problems);
    inputs.problems.append(&mut problems);
    let events = inputs.cluster.run_events.clone();
    if groups.is_empty() && events.is_empty() {
        return;
    }
    // Records and events carry no run identity: they belong to the only run of their kind.
    if inputs.spikes.len() == 1 {
        let run = &mut inputs.spikes[0];
        for phase in &mut run.phases {
            let key = ("spike".to_string(), phase.name.to_lowercase());
            if phase.records.as_ref().is_none_or(|r| r.is_empty())
                && let Some(records) = groups.remove(&key)
            {
                phase.records = Some(records);
            }
            if phase.console.is_none()
                && let Some((start, end, rate)) = phase_times(&events, "spike", &phase.name)
            {
                phase.console = Some(ConsolePhase {
                    name: phase.name.clone(),
                    target_rps: rate,
                    start: Some(stamp(start)),
                    end: Some(stamp(end)),
                    ..Default::default()
                });
            }
        }
    }
    if inputs.stresses.len() == 1 {
        let run = &mut inputs.stresses[0];
        if run.records.is_empty() {
            let mut keys: Vec<Key> = groups
                .keys()
                .filter(|(t, _)| t == "stress")
                .cloned()
                .collect();
            keys.sort_by(|a, b| {
                step_rate(&a.1.to_uppercase())
                    .partial_cmp(&step_rate(&b.1.to_uppercase()))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            for key in keys {
                if let Some(part) = groups.remove(&key) {
                    run.records.append(part);
                }
            }
        }
        // The run's own boundaries are exact; console stamps only approximate them.
        for step in &mut run.steps {
            let name = events
                .iter()
                .filter(|e| e.test.eq_ignore_ascii_case("stress"))
                .find(|e| step_rate(&e.phase).is_some_and(|r| (r - step.target_rps).abs() < 1e-9))
                .map(|e| e.phase.clone());
            if let Some((start, end, _)) = name.and_then(|n| phase_times(&events, "stress", &n)) {
                step.start = Some(stamp(start));
                step.end = Some(stamp(end));
            }
        }
    }
    if inputs.soaks.len() == 1 {
        let run = &mut inputs.soaks[0];
        if run.records.is_empty()
            && let Some(records) = groups.remove(&("soak".to_string(), "soak".to_string()))
        {
            run.records = records;
        }
        if run.console.is_none()
            && let Some((start, end, rate)) = phase_times(&events, "soak", "soak")
        {
            run.console = Some(ConsoleSoak {
                rps: rate,
                start: Some(stamp(start)),
                end: Some(stamp(end)),
                ..Default::default()
            });
        }
    }
}
