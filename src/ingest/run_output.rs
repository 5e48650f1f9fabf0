//! What `report run` adds to a session: per-request records (`requests.ndjson`) and phase events
//! (`run_events.jsonl`). They fill in what the results files lack: exact percentiles and phase
//! boundaries on the clock, for runs that have no console log.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;

use super::SessionInputs;
use super::cluster::RunEventRecord;
use super::console::{ConsolePhase, ConsoleSoak, Sends};
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
    sent: Option<DateTime<Utc>>,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    error_kind: Option<String>,
    #[serde(default)]
    latency_s: Option<f64>,
    ok: bool,
    #[serde(default)]
    tokens: Option<u64>,
    #[serde(default)]
    error: Option<String>,
}

type Key = (String, String);

/// How every request of requests.ndjson ended, as columns (one row per record, in file order),
/// for the failure breakdown (analyze/errors.rs groups them in polars).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestOutcomes {
    pub test: Vec<String>,
    pub phase: Vec<String>,
    /// End time, µs since 1970 UTC.
    pub ended_us: Vec<i64>,
    pub status: Vec<Option<u16>>,
    /// None for a success; the recorded kind of a failure (empty when it had none).
    pub error_kind: Vec<Option<String>>,
}

impl RequestOutcomes {
    pub fn len(&self) -> usize {
        self.test.len()
    }

    pub fn is_empty(&self) -> bool {
        self.test.is_empty()
    }

    fn push(&mut self, line: &RequestLine) {
        self.test.push(line.test.clone());
        self.phase.push(line.phase.clone());
        self.ended_us.push(line.ended.timestamp_micros());
        self.status.push(line.status);
        self.error_kind
            .push((!line.ok).then(|| line.error_kind.clone().unwrap_or_default()));
    }
}

/// What requests.ndjson holds, per (test, phase).
#[derive(Default)]
struct Requests {
    columns: HashMap<Key, RequestColumns>,
    sent: HashMap<Key, Vec<DateTime<Utc>>>,
    ended: HashMap<Key, Vec<DateTime<Utc>>>,
    outcomes: RequestOutcomes,
}

impl Requests {
    /// The first and the last send of a phase, as [`Sends`] points.
    fn sends(&self, key: &Key) -> Option<Sends> {
        let sent = self.sent.get(key)?;
        let (first, last) = (sent.iter().min()?, sent.iter().max()?);
        let last_answer = self.ended.get(key).and_then(|e| e.iter().max()).copied();
        Some(Sends {
            points: vec![(stamp(*first), 1), (stamp(*last), sent.len() as u64)],
            last_is_final: true,
            last_answer: last_answer.map(stamp),
        })
    }
}

/// Records per (test, phase), with end times on the scripts' local clock like `all_results`.
fn read_requests(dir: &Path, utc_offset_seconds: i32, problems: &mut Vec<Problem>) -> Requests {
    let path = dir.join(files::REQUESTS);
    let mut read = Requests::default();
    if !super::is_readable_input(&path, problems) {
        return read;
    }
    let (lines, bad) = match read_jsonl::<RequestLine>(&path) {
        Ok(read) => read,
        Err(e) => {
            problems.push(Problem::skipped(&path, "", format!("{e:#}")));
            return read;
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
        read.outcomes.push(&l);
        let key = (l.test.to_lowercase(), l.phase.to_lowercase());
        if let Some(sent) = l.sent {
            read.sent.entry(key.clone()).or_default().push(sent);
        }
        read.ended.entry(key.clone()).or_default().push(l.ended);
        let c = read.columns.entry(key).or_default();
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
    let mut keys: Vec<Key> = read.columns.keys().cloned().collect();
    keys.sort();
    for (test, phase) in keys {
        let Some(columns) = read.columns.get_mut(&(test.clone(), phase.clone())) else {
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
    read
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
    let mut read = read_requests(dir, inputs.clock.seconds, &mut problems);
    inputs.problems.append(&mut problems);
    inputs.request_outcomes = std::mem::take(&mut read.outcomes);
    let sends = |test: &str, phase: &str| read.sends(&(test.to_lowercase(), phase.to_lowercase()));
    let mut groups = read.columns.clone();
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
            if let (Some(console), Some(sent)) =
                (phase.console.as_mut(), sends("spike", &phase.name))
            {
                console.sends = sent;
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
            if let Some(name) = name {
                if let Some((start, end, _)) = phase_times(&events, "stress", &name) {
                    step.start = Some(stamp(start));
                    step.end = Some(stamp(end));
                }
                if let Some(sent) = sends("stress", &name) {
                    step.sends = sent;
                }
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
