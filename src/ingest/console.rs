//! The test scripts' console output, one line per `<RFC 3339 time> TAB <line as printed>`, as
//! `report collect` records it (and as in ../shared/examples/*.log). The markers it looks for are
//! listed in ../shared/formats.md; everything else is passed over. A log is the only record of
//! per-step stress figures, of phase boundaries on the clock, and of a test that crashed before it
//! could write its results file.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDateTime};

use super::problem::Problem;

pub type Stamp = DateTime<FixedOffset>;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsoleLog {
    pub path: PathBuf,
    pub first: Option<Stamp>,
    pub last: Option<Stamp>,
    /// Seconds east of UTC of the scripts' clock, from `⏰ Start time:` against the line's stamp.
    pub utc_offset_seconds: Option<i32>,
    /// Files named by `✅ Results saved to <file>`.
    pub saved_files: Vec<String>,
    /// `❌ Error during testing: <why>`: the script died before writing its results file.
    pub crash: Option<(Option<Stamp>, String)>,
    pub basic: Vec<ConsoleScenario>,
    pub spike: Option<ConsoleSpike>,
    pub stress: Option<ConsoleStress>,
    pub soak: Option<ConsoleSoak>,
}

/// The `📊 Results:` block of the basic load test.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsoleScenario {
    pub name: String,
    pub start: Option<Stamp>,
    pub end: Option<Stamp>,
    pub requests: Option<u64>,
    pub concurrency: Option<u64>,
    pub total: Option<u64>,
    pub successful: Option<u64>,
    pub failed: Option<u64>,
    pub total_time_s: Option<f64>,
    pub avg_s: Option<f64>,
    pub p50_s: Option<f64>,
    pub p95_s: Option<f64>,
    pub p99_s: Option<f64>,
    pub min_s: Option<f64>,
    pub max_s: Option<f64>,
    pub requests_per_s: Option<f64>,
    pub tokens_per_s: Option<f64>,
    pub failures: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsolePhase {
    pub name: String,
    pub target_rps: Option<f64>,
    pub planned_s: Option<f64>,
    pub start: Option<Stamp>,
    pub end: Option<Stamp>,
    /// Denominator of the progress lines: how many requests the phase was to send.
    pub planned_requests: Option<u64>,
    pub total: Option<u64>,
    pub successful: Option<u64>,
    pub failed: Option<u64>,
    pub avg_s: Option<f64>,
    pub p95_s: Option<f64>,
    /// Requests sent so far, at points in time: the progress lines, or `report run`'s records.
    pub sends: Sends,
}

/// Cumulative sends at points in time, to measure the rate the client really sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sends {
    /// `(time, requests sent up to and including it)`, in time order.
    pub points: Vec<(Stamp, u64)>,
    /// True when the last point is the phase's last send (records); progress lines are
    /// printed while sending goes on.
    pub last_is_final: bool,
    /// When the phase's last answer came (records); the scripts print their verdict then.
    pub last_answer: Option<Stamp>,
}

impl Sends {
    fn progress(&mut self, stamp: Option<Stamp>, line: &str) {
        if let (Some(t), Some(sent)) = (stamp, progress_numerator(line)) {
            self.points.push((t, sent));
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsoleSpike {
    pub phases: Vec<ConsolePhase>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsoleStep {
    pub target_rps: f64,
    pub planned_s: Option<f64>,
    pub start: Option<Stamp>,
    pub end: Option<Stamp>,
    pub planned_requests: Option<u64>,
    pub success_rate: Option<f64>,
    pub avg_s: Option<f64>,
    /// Scheduling stopped before the step's end (`report run` marks such a step `partial`).
    pub stopped_early: bool,
    pub sends: Sends,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsoleStress {
    pub start_rps: Option<f64>,
    pub max_rps: Option<f64>,
    pub step_rps: Option<f64>,
    pub steps: Vec<ConsoleStep>,
    pub breaking_point: Option<f64>,
    pub handled_max: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsoleSoakMinute {
    pub minute: u32,
    pub avg_s: Option<f64>,
    pub p95_s: Option<f64>,
    pub success_rate: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsoleSoak {
    pub rps: Option<f64>,
    pub duration_min: Option<f64>,
    pub start: Option<Stamp>,
    pub end: Option<Stamp>,
    pub minutes: Vec<ConsoleSoakMinute>,
}

/// What the parser is inside of, to attribute `Success rate:` and friends to the right block.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Section {
    None,
    Basic,
    Spike,
    SpikeSummary(usize),
    Stress,
    Soak,
    SoakTable,
}

/// Parses a whole log. Lines without a readable stamp are kept (their text still counts); one
/// problem per log says how many there were.
pub fn parse_console_log(path: &Path, text: &str) -> (ConsoleLog, Vec<Problem>) {
    let mut parser = Parser {
        log: ConsoleLog {
            path: path.to_path_buf(),
            ..Default::default()
        },
        section: Section::None,
    };
    let mut unstamped = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let (stamp, line) = split_stamp(raw);
        if stamp.is_none() && !raw.trim().is_empty() {
            unstamped.push(index + 1);
        }
        if let Some(s) = stamp {
            parser.log.first.get_or_insert(s);
            parser.log.last = Some(s);
        }
        parser.line(stamp, line);
    }
    parser.finish();
    let mut problems = Vec::new();
    if let Some(first) = unstamped.first() {
        problems.push(Problem::note(
            path,
            format!("line {first}"),
            format!(
                "{} line(s) have no `time TAB text` stamp; their figures are used, but they cannot be placed on the clock",
                unstamped.len()
            ),
        ));
    }
    (parser.log, problems)
}

fn split_stamp(raw: &str) -> (Option<Stamp>, &str) {
    match raw.split_once('\t') {
        Some((stamp, line)) => match DateTime::parse_from_rfc3339(stamp.trim()) {
            Ok(s) => (Some(s), line),
            Err(_) => (None, raw),
        },
        None => (None, raw),
    }
}

/// The first decimal number in `text` (`  Avg latency: 2.393s` → 2.393).
pub fn first_number(text: &str) -> Option<f64> {
    numbers(text).next()
}

fn numbers(text: &str) -> impl Iterator<Item = f64> + '_ {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|t| t.chars().any(|c| c.is_ascii_digit()))
        .filter_map(|t| t.trim_matches('.').parse::<f64>().ok())
}

fn whole(text: &str) -> Option<u64> {
    first_number(text)
        .filter(|v| v.fract() == 0.0 && *v >= 0.0)
        .map(|v| v as u64)
}

/// The value after `label` when the trimmed line starts with it.
fn after<'a>(line: &'a str, label: &str) -> Option<&'a str> {
    line.trim_start().strip_prefix(label).map(str::trim)
}

struct Parser {
    log: ConsoleLog,
    section: Section,
}

impl Parser {
    fn line(&mut self, stamp: Option<Stamp>, line: &str) {
        let t = line.trim();
        if let Some(rest) = after(t, "⏰ Start time:") {
            self.offset_from(stamp, rest);
        } else if let Some(file) = after(t, "✅ Results saved to") {
            self.log.saved_files.push(file.to_string());
        } else if let Some(why) = after(t, "❌ Error during testing:") {
            self.log.crash = Some((stamp, why.to_string()));
        } else if t.starts_with("🔥 SPIKE TEST") {
            self.section = Section::Spike;
            self.log.spike = Some(ConsoleSpike::default());
        } else if t.starts_with("💪 STRESS TEST") {
            self.section = Section::Stress;
            self.log.stress = Some(ConsoleStress::default());
        } else if t.starts_with("⏱️  SOAK TEST") || t.starts_with("⏱️ SOAK TEST") {
            self.section = Section::Soak;
            self.log.soak = Some(ConsoleSoak::default());
        } else if let Some(name) = after(t, "🎯 Scenario:") {
            self.section = Section::Basic;
            self.log.basic.push(ConsoleScenario {
                name: name.to_string(),
                start: stamp,
                ..Default::default()
            });
        } else {
            match self.section {
                Section::Basic => self.basic_line(stamp, t),
                Section::Spike | Section::SpikeSummary(_) => self.spike_line(stamp, t),
                Section::Stress => self.stress_line(stamp, t),
                Section::Soak | Section::SoakTable => self.soak_line(stamp, t),
                Section::None => {}
            }
        }
    }

    fn offset_from(&mut self, stamp: Option<Stamp>, local: &str) {
        let (Some(stamp), Ok(local)) = (
            stamp,
            NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S"),
        ) else {
            return;
        };
        let diff = (local - stamp.naive_utc()).num_seconds();
        // Offsets are whole quarter hours; the stamp is a fraction of a second after the print.
        let quarter = 15 * 60;
        let rounded = ((diff as f64 / quarter as f64).round() as i64) * quarter;
        if rounded.abs() <= 14 * 3600 {
            self.log.utc_offset_seconds = Some(rounded as i32);
        }
    }

    fn basic_line(&mut self, stamp: Option<Stamp>, t: &str) {
        let Some(s) = self.log.basic.last_mut() else {
            return;
        };
        if let Some(rest) = after(t, "🔥 Load Test:") {
            let mut n = numbers(rest);
            s.requests = n.next().map(|v| v as u64);
            s.concurrency = n.next().map(|v| v as u64);
        } else if let Some(v) = after(t, "Total Requests:") {
            s.total = whole(v);
        } else if let Some(v) = after(t, "Successful:") {
            s.successful = whole(v);
        } else if let Some(v) = after(t, "Failed:") {
            s.failed = whole(v);
        } else if let Some(v) = after(t, "Total Time:") {
            s.total_time_s = first_number(v);
        } else if let Some(v) = after(t, "Average:") {
            s.avg_s = first_number(v);
        } else if let Some(v) = after(t, "Median (P50):") {
            s.p50_s = first_number(v);
        } else if let Some(v) = after(t, "P95:") {
            s.p95_s = first_number(v);
        } else if let Some(v) = after(t, "P99:") {
            s.p99_s = first_number(v);
        } else if let Some(v) = after(t, "Min:") {
            s.min_s = first_number(v);
        } else if let Some(v) = after(t, "Max:") {
            s.max_s = first_number(v);
        } else if let Some(v) = after(t, "Requests/sec:") {
            s.requests_per_s = first_number(v);
        } else if let Some(v) = after(t, "Tokens/sec:") {
            s.tokens_per_s = first_number(v);
            s.end = stamp;
        } else if let Some(v) = after(t, "❌ Request failed:") {
            s.failures.push(v.to_string());
        }
    }

    fn spike_line(&mut self, stamp: Option<Stamp>, t: &str) {
        let Some(spike) = self.log.spike.as_mut() else {
            return;
        };
        let phase_marker = [
            ("📊 Phase 1:", "Baseline"),
            ("⚡ Phase 2:", "Spike"),
            ("🔄 Phase 3:", "Recovery"),
        ]
        .into_iter()
        .find(|(m, _)| t.starts_with(m));
        if let Some((marker, name)) = phase_marker {
            close_last(&mut spike.phases, stamp);
            let rest = &t[marker.len()..];
            let planned = parenthesised_seconds(rest);
            let rps = if name == "Spike" {
                first_number(rest.split("req/s").next().unwrap_or(""))
            } else {
                None
            };
            spike.phases.push(ConsolePhase {
                name: name.into(),
                start: stamp,
                planned_s: planned,
                target_rps: rps,
                ..Default::default()
            });
            return;
        }
        if let Some(v) = after(t, "Baseline:") {
            set_header_rate(&mut spike.phases, "Baseline", v);
        } else if let Some(v) = after(t, "Recovery:") {
            set_header_rate(&mut spike.phases, "Recovery", v);
        } else if t.starts_with('[') && t.contains("Progress:") {
            if let Some(p) = spike.phases.last_mut() {
                p.planned_requests = progress_denominator(t);
                p.sends.progress(stamp, t);
            }
        } else if let Some(name) = t
            .strip_prefix("📊 ")
            .and_then(|r| r.strip_suffix(" Phase Summary:"))
        {
            close_last(&mut spike.phases, stamp);
            self.section = spike
                .phases
                .iter()
                .position(|p| p.name == name)
                .map(Section::SpikeSummary)
                .unwrap_or(Section::Spike);
        } else if let Section::SpikeSummary(i) = self.section {
            let p = &mut spike.phases[i];
            if let Some(v) = after(t, "Total Requests:") {
                p.total = whole(v);
            } else if let Some(v) = after(t, "Successful:") {
                p.successful = whole(v);
            } else if let Some(v) = after(t, "Failed:") {
                p.failed = whole(v);
            } else if let Some(v) = after(t, "Avg Latency:") {
                p.avg_s = first_number(v);
            } else if let Some(v) = after(t, "P95 Latency:") {
                p.p95_s = first_number(v);
            }
        }
    }

    fn stress_line(&mut self, stamp: Option<Stamp>, t: &str) {
        let Some(stress) = self.log.stress.as_mut() else {
            return;
        };
        if let Some(v) = after(t, "Start:") {
            stress.start_rps = first_number(v);
        } else if let Some(v) = after(t, "Max:") {
            stress.max_rps = first_number(v);
        } else if let Some(v) = after(t, "Step:") {
            stress.step_rps = first_number(v);
        } else if let Some(rest) = after(t, "📈 Testing") {
            let mut n = numbers(rest);
            stress.steps.push(ConsoleStep {
                target_rps: n.next().unwrap_or(f64::NAN),
                planned_s: n.next(),
                start: stamp,
                ..Default::default()
            });
        } else if t.starts_with('[') && t.contains("Progress:") {
            if let Some(s) = stress.steps.last_mut() {
                s.planned_requests = progress_denominator(t);
                s.sends.progress(stamp, t);
            }
        } else if let Some(v) = after(t, "Success rate:") {
            let tagged = step_tag(v);
            if let Some(s) = verdict_step(&mut stress.steps, tagged) {
                s.success_rate = first_number(v);
                // The scripts print the verdict as the step ends; a tagged verdict comes later.
                if tagged.is_none() {
                    s.end = stamp;
                }
            }
        } else if let Some(v) = after(t, "Avg latency:") {
            if let Some(s) = verdict_step(&mut stress.steps, step_tag(v)) {
                s.avg_s = first_number(v);
            }
        } else if let Some(v) = after(t, "⚠️  BREAKING POINT REACHED at")
            .or_else(|| after(t, "⚠️ BREAKING POINT REACHED at"))
        {
            stress.breaking_point = first_number(v);
        } else if let Some(v) = after(t, "✅ System handled max load of") {
            stress.handled_max = first_number(v);
        }
    }

    fn soak_line(&mut self, stamp: Option<Stamp>, t: &str) {
        let Some(soak) = self.log.soak.as_mut() else {
            return;
        };
        if let Some(v) = after(t, "Load:") {
            soak.rps = first_number(v);
        } else if let Some(v) = after(t, "Duration:") {
            soak.duration_min = first_number(v);
        } else if t.starts_with("Press Ctrl+C to stop early") {
            soak.start = stamp;
        } else if t.starts_with("📊 Degradation Analysis") {
            soak.end = stamp;
            self.section = Section::SoakTable;
        } else if self.section == Section::SoakTable {
            let cells: Vec<&str> = t.split_whitespace().collect();
            if let Some(minute) = cells.first().and_then(|c| c.parse::<u32>().ok()) {
                soak.minutes.push(ConsoleSoakMinute {
                    minute,
                    avg_s: cells.get(1).and_then(|c| c.parse().ok()),
                    p95_s: cells.get(2).and_then(|c| c.parse().ok()),
                    success_rate: cells
                        .get(3)
                        .and_then(|c| c.trim_end_matches('%').parse().ok()),
                });
            }
        }
    }

    fn finish(&mut self) {
        // A phase still open when the log ends (crash or Ctrl-C) ends at the log's last line.
        let last = self.log.last;
        if let Some(spike) = self.log.spike.as_mut() {
            close_last(&mut spike.phases, last);
        }
    }
}

fn close_last(phases: &mut [ConsolePhase], stamp: Option<Stamp>) {
    if let Some(p) = phases.last_mut()
        && p.end.is_none()
    {
        p.end = stamp;
    }
}

/// `Baseline: 2 req/s for 30s` in the spike header: the rate of the phase of that name, recorded
/// before the phase starts (kept in a placeholder phase until its marker arrives).
fn set_header_rate(phases: &mut Vec<ConsolePhase>, name: &str, text: &str) {
    let mut n = numbers(text);
    let (rate, secs) = (n.next(), n.next());
    if let Some(p) = phases.iter_mut().find(|p| p.name == name) {
        p.target_rps = rate;
        return;
    }
    // Header lines come first: remember the rate as a plan, filled in when the phase starts.
    phases.push(ConsolePhase {
        name: format!("plan:{name}"),
        target_rps: rate,
        planned_s: secs,
        ..Default::default()
    });
}

/// `Baseline load (30s)...` → 30.
fn parenthesised_seconds(text: &str) -> Option<f64> {
    let inner = text.rsplit_once('(')?.1.split_once(')')?.0;
    first_number(inner)
}

/// `[Spike] Progress: 151/450 (33.6%) - Elapsed: 10.0s` → 450.
fn progress_denominator(text: &str) -> Option<u64> {
    let after_progress = text.split_once("Progress:")?.1;
    let fraction = after_progress.split_whitespace().next()?;
    fraction.split_once('/')?.1.parse().ok()
}

/// `[Spike] Progress: 151/450 (33.6%) - Elapsed: 10.0s` → 151 (the scripts count a request
/// when they hand it to their worker pool).
fn progress_numerator(text: &str) -> Option<u64> {
    let after_progress = text.split_once("Progress:")?.1;
    let fraction = after_progress.split_whitespace().next()?;
    fraction.split_once('/')?.0.parse().ok()
}

impl ConsoleSpike {
    /// The phases that really ran, with the header's planned rates merged in.
    pub fn merged_phases(&self) -> Vec<ConsolePhase> {
        let plans: Vec<&ConsolePhase> = self
            .phases
            .iter()
            .filter(|p| p.name.starts_with("plan:"))
            .collect();
        self.phases
            .iter()
            .filter(|p| !p.name.starts_with("plan:"))
            .map(|p| {
                let mut p = p.clone();
                if let Some(plan) = plans.iter().find(|plan| plan.name[5..] == p.name) {
                    p.target_rps = p.target_rps.or(plan.target_rps);
                }
                p
            })
            .collect()
    }
}

/// `… (4.5 req/s step)`: `report run` tags a step's verdict with its rate, since the verdict
/// comes once the step's last requests end, after the next step has begun.
fn step_tag(v: &str) -> Option<f64> {
    let (_, tag) = v.rsplit_once('(')?;
    tag.strip_suffix(" req/s step)")?.trim().parse().ok()
}

/// The step a verdict line belongs to: the tagged one, else the latest (the scripts' order).
fn verdict_step(steps: &mut [ConsoleStep], tag: Option<f64>) -> Option<&mut ConsoleStep> {
    match tag {
        Some(rate) => steps.iter_mut().rev().find(|s| s.target_rps == rate),
        None => steps.last_mut(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `report run` prints a step's verdict, tagged with its rate, during the next step.
    #[test]
    fn tagged_verdicts_go_to_their_step_and_untagged_ones_to_the_latest() {
        let log = "\
2026-11-26T20:40:33+00:00\t💪 STRESS TEST
2026-11-26T20:40:33+00:00\t📈 Testing 5 req/s for 9s...
2026-11-26T20:40:42+00:00\t📈 Testing 10 req/s for 9s...
2026-11-26T20:40:43+00:00\t  Success rate: 100.0% (5 req/s step)
2026-11-26T20:40:43+00:00\t  Avg latency: 0.254s (5 req/s step)
2026-11-26T20:40:51+00:00\t  Success rate: 94.3%
2026-11-26T20:40:51+00:00\t  Avg latency: 0.817s
";
        let (parsed, problems) = parse_console_log(Path::new("console.log"), log);
        assert!(problems.is_empty(), "{problems:?}");
        let steps = parsed.stress.unwrap().steps;
        let got: Vec<_> = steps
            .iter()
            .map(|s| {
                (
                    s.target_rps,
                    s.success_rate,
                    s.avg_s,
                    s.end.map(|e| e.to_rfc3339()),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (5.0, Some(100.0), Some(0.254), None),
                (
                    10.0,
                    Some(94.3),
                    Some(0.817),
                    Some("2026-11-26T20:40:51+00:00".to_string())
                ),
            ]
        );
    }
}
