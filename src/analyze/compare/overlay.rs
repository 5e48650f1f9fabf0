//! The series of the overlay charts: per test, each session's latency p95 per window, HPA
//! replicas and CPU, with x in seconds from that session's start of the test, so runs that
//! began at different times lie on top of each other.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::analyze::Analysis;
use crate::analyze::scaling::HpaPoint;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub session: String,
    /// When the test began in this session (its first phase's start, else its first window's).
    pub start: Option<DateTime<Utc>>,
    /// (end of window − start, p95 of the window), from the per-request records.
    pub p95: Vec<(f64, f64)>,
    /// HPA `currentReplicas` readings: the one in force at the start (at 0), then each one up
    /// to the next test's start (or the end of the recording). Steps, not a curve.
    pub replicas: Vec<(f64, f64)>,
    /// HPA CPU readings (% of the request) over the same span.
    pub cpu: Vec<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overlay {
    pub test: String,
    /// One per session, in the sessions' order (empty when the session lacks the test).
    pub series: Vec<Series>,
}

/// One overlay per test any session has, in the order they first appear.
pub fn overlays(analyses: &[&Analysis]) -> Vec<Overlay> {
    let mut tests: Vec<&str> = Vec::new();
    for a in analyses {
        let names = a.phases.iter().map(|p| p.test.as_str());
        for t in names.chain(a.timelines.iter().map(|t| t.label.as_str())) {
            if !tests.contains(&t) {
                tests.push(t);
            }
        }
    }
    tests
        .into_iter()
        .map(|test| Overlay {
            test: test.to_string(),
            series: analyses.iter().map(|a| series(a, test)).collect(),
        })
        .collect()
}

fn seconds(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds() as f64 / 1000.0
}

fn series(a: &Analysis, test: &str) -> Series {
    let timeline = a.timelines.iter().find(|t| t.label == test);
    let phases = || a.phases.iter().filter(|p| p.test == test);
    let start = phases()
        .map(|p| p.start)
        .min()
        .or_else(|| timeline.and_then(|t| t.windows.first()).map(|w| w.start));
    let mut out = Series {
        session: a.session.clone(),
        start,
        p95: Vec::new(),
        replicas: Vec::new(),
        cpu: Vec::new(),
    };
    let Some(origin) = start else {
        return out;
    };
    if let Some(t) = timeline {
        let window = chrono::TimeDelta::seconds(t.window_s);
        out.p95 = t
            .windows
            .iter()
            .filter_map(|w| Some((seconds(origin, w.start + window), w.p95?)))
            .filter(|(x, _)| *x >= 0.0)
            .collect();
    }
    if let Some(s) = &a.scaling {
        let end = phases().map(|p| p.end).max().unwrap_or(origin);
        let next = a
            .phases
            .iter()
            .filter(|p| p.test != test && p.start >= end)
            .map(|p| p.start)
            .min();
        let until = next.or_else(|| s.hpa.last().map(|p| p.t)).unwrap_or(end);
        let end_s = seconds(origin, until);
        out.replicas = readings_between(&s.hpa, origin, end_s, |p| p.current.map(f64::from));
        out.cpu = readings_between(&s.hpa, origin, end_s, |p| p.cpu_pct)
            .into_iter()
            .filter(|(x, _)| *x > 0.0)
            .collect();
    }
    out
}

/// HPA readings as (seconds from `origin`, value) up to `end_s`: the reading in force at the
/// origin (at 0), then every reading inside the span.
pub fn readings_between(
    hpa: &[HpaPoint],
    origin: DateTime<Utc>,
    end_s: f64,
    value: impl Fn(&HpaPoint) -> Option<f64>,
) -> Vec<(f64, f64)> {
    let at = |time: DateTime<Utc>| seconds(origin, time);
    let mut points: Vec<(f64, f64)> = Vec::new();
    if let Some(before) = hpa.iter().rev().find(|p| at(p.t) <= 0.0).and_then(&value) {
        points.push((0.0, before));
    }
    points.extend(
        hpa.iter()
            .filter(|p| at(p.t) > 0.0 && at(p.t) <= end_s)
            .filter_map(|p| value(p).map(|v| (at(p.t), v))),
    );
    points
}
