//! Test phases on the clock (UTC), each with the source of its boundaries: `report run`'s phase
//! events, the time-stamped console log, or the per-request records (end − latency .. end).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ingest::cluster::RunEventRecord;
use crate::ingest::console::Stamp;
use crate::ingest::records::RequestColumns;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClockPhase {
    /// The run's label in the report (`Spike`, `Stress 2 (14:40:11)`).
    pub test: String,
    pub name: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub target_rps: Option<f64>,
    pub source: String,
}

impl ClockPhase {
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t <= self.end
    }
}

/// A phase from console stamps, when both ends were printed.
pub fn from_console(
    test: &str,
    name: &str,
    start: Option<Stamp>,
    end: Option<Stamp>,
    target: Option<f64>,
    log: &str,
) -> Option<ClockPhase> {
    Some(ClockPhase {
        test: test.to_string(),
        name: name.to_string(),
        start: start?.with_timezone(&Utc),
        end: end?.with_timezone(&Utc),
        target_rps: target,
        source: format!("{log} time stamps"),
    })
}

/// A phase rebuilt from its records: from the earliest request start (end − latency) to the
/// last end. Failed requests without a latency count by their end.
pub fn from_records(
    test: &str,
    name: &str,
    records: &RequestColumns,
    utc_offset_seconds: i32,
    source: &str,
) -> Option<ClockPhase> {
    let offset_us = i64::from(utc_offset_seconds) * 1_000_000;
    let mut start: Option<i64> = None;
    let mut end: Option<i64> = None;
    for (t, l) in records.end_local_us.iter().zip(&records.latency_s) {
        let Some(t) = t else { continue };
        let begin = t - (l.unwrap_or(0.0) * 1e6) as i64;
        start = Some(start.map_or(begin, |s| s.min(begin)));
        end = Some(end.map_or(*t, |e| e.max(*t)));
    }
    Some(ClockPhase {
        test: test.to_string(),
        name: name.to_string(),
        start: DateTime::from_timestamp_micros(start? - offset_us)?,
        end: DateTime::from_timestamp_micros(end? - offset_us)?,
        target_rps: None,
        source: format!("{source} per-request records (end − latency)"),
    })
}

/// Start/end pairs of `report run`'s phase events for one test (`spike`, `stress`, ...).
pub fn from_run_events(test_label: &str, test: &str, events: &[RunEventRecord]) -> Vec<ClockPhase> {
    let mut phases: Vec<ClockPhase> = Vec::new();
    for e in events.iter().filter(|e| e.test.eq_ignore_ascii_case(test)) {
        match e.event.as_str() {
            "start" => phases.push(ClockPhase {
                test: test_label.to_string(),
                name: display_name(&e.phase),
                start: e.t,
                end: e.t,
                target_rps: e.target_rps,
                source: "run_events.jsonl".into(),
            }),
            "end" => {
                let name = display_name(&e.phase);
                if let Some(p) = phases.iter_mut().rev().find(|p| p.name == name) {
                    p.end = e.t;
                }
            }
            _ => {}
        }
    }
    phases.retain(|p| p.end > p.start);
    phases
}

/// A run event's phase under the name the report's tables give it: `10RPS` → `10 req/s`,
/// `baseline` → `Baseline`; a basic scenario's name is kept.
fn display_name(phase: &str) -> String {
    if let Some(rate) = phase.strip_suffix("RPS").and_then(|r| r.parse().ok()) {
        return super::step_name(rate);
    }
    let mut chars = phase.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_give_first_start_and_last_end() {
        let r = RequestColumns {
            end_local_us: vec![Some(10_000_000), Some(12_000_000), None],
            latency_s: vec![Some(3.0), Some(1.5), Some(1.0)],
            success: vec![true, true, false],
            tokens: vec![None; 3],
            error: vec![None; 3],
            ..Default::default()
        };
        // Local clock two hours ahead of UTC: 7 s local → 7 s − 7200 s UTC.
        let p = from_records("Spike", "Spike", &r, 7200, "f.json").unwrap();
        assert_eq!(p.start.timestamp(), 7 - 7200);
        assert_eq!(p.end.timestamp(), 12 - 7200);
    }

    #[test]
    fn run_events_pair_into_phases() {
        let ev = |s: i64, phase: &str, event: &str| RunEventRecord {
            t: DateTime::from_timestamp(s, 0).unwrap(),
            test: "spike".into(),
            phase: phase.into(),
            event: event.into(),
            target_rps: Some(2.0),
        };
        let phases = from_run_events(
            "Spike",
            "spike",
            &[
                ev(0, "Baseline", "start"),
                ev(30, "Baseline", "end"),
                ev(30, "Spike", "start"),
            ],
        );
        assert_eq!(phases.len(), 1);
        assert_eq!(
            (phases[0].start.timestamp(), phases[0].end.timestamp()),
            (0, 30)
        );
    }

    #[test]
    fn run_event_phases_take_the_report_tables_names() {
        let ev = |s: i64, test: &str, phase: &str, event: &str| RunEventRecord {
            t: DateTime::from_timestamp(s, 0).unwrap(),
            test: test.into(),
            phase: phase.into(),
            event: event.into(),
            target_rps: None,
        };
        let events = [
            ev(0, "stress", "2.5RPS", "start"),
            ev(60, "stress", "2.5RPS", "end"),
            ev(70, "soak", "soak", "start"),
            ev(90, "soak", "soak", "end"),
        ];
        let names = |test| -> Vec<String> {
            from_run_events("X", test, &events)
                .into_iter()
                .map(|p| p.name)
                .collect()
        };
        assert_eq!(names("stress"), ["2.5 req/s"]);
        assert_eq!(names("soak"), ["Soak"]);
    }
}
