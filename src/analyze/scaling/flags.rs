//! Flags: facts about the recording that a reader should not miss (thrashing, missing
//! metrics, recording gaps, OOMKills, pods never Ready, a possible memory leak), each with its
//! numbers. render/scaling_words.rs words them.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{DEFAULT_DOWN_WINDOW_S, Decision, secs};
use crate::analyze::phases::ClockPhase;
use crate::ingest::cluster::{ClusterRecording, HpaSample};

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Flag {
    /// A decision reversed inside the scale-down stabilization window.
    Thrashing {
        first: Decision,
        reversal: Decision,
        gap_s: f64,
        window_s: f64,
    },
    /// HPA readings with pods but no CPU figure (`<unknown>`).
    UnknownCpu { unknown: usize, readings: usize },
    /// `FailedGetResourceMetric` events: the HPA could not read CPU usage.
    FailedMetrics { events: usize },
    /// The collector recorded a gap in one of its sources.
    RecordingGap {
        at: DateTime<Utc>,
        source: String,
        message: String,
    },
    /// Pods whose last termination was OOMKilled, plus OOMKilling events.
    OomKills { count: usize },
    /// A pod that was never Ready and never deleted during the recording.
    NeverReady { pod: String },
    /// A pod's memory grew faster than the threshold during the soak.
    MemoryLeak {
        pod: String,
        mib_per_min: f64,
        threshold_mib_per_min: f64,
    },
    /// The leak check needs a pod read over `needed_minutes` while Ready; the longest was
    /// `longest_minutes`.
    LeakNotEvaluated {
        longest_minutes: f64,
        needed_minutes: f64,
    },
}

/// A reversal inside the stabilization window is thrashing unless the load changed in between:
/// a test phase began between the two decisions (the next test of a plan, say).
pub(super) fn thrashing(
    decisions: &[Decision],
    rec: &ClusterRecording,
    phases: &[ClockPhase],
    flags: &mut Vec<Flag>,
) {
    let window = rec
        .hpa_spec
        .as_ref()
        .and_then(|s| s.pointer("/behavior/scaleDown/stabilizationWindowSeconds"))
        .and_then(|v| v.as_f64())
        .unwrap_or(DEFAULT_DOWN_WINDOW_S);
    for w in decisions.windows(2) {
        let up_then_down = w[0].is_up() && w[1].is_down();
        let down_then_up = w[0].is_down() && w[1].is_up();
        let gap = secs(w[1].at - w[0].at);
        let load_changed = phases
            .iter()
            .any(|p| w[0].at < p.start && p.start <= w[1].at);
        if (up_then_down || down_then_up) && gap < window && !load_changed {
            flags.push(Flag::Thrashing {
                first: w[0].clone(),
                reversal: w[1].clone(),
                gap_s: gap,
                window_s: window,
            });
        }
    }
}

pub(super) fn metrics(rec: &ClusterRecording, samples: &[&HpaSample], flags: &mut Vec<Flag>) {
    let unknown = samples
        .iter()
        .filter(|s| s.current.unwrap_or(0) > 0 && s.cpu_pct.is_none())
        .count();
    if unknown > 0 {
        flags.push(Flag::UnknownCpu {
            unknown,
            readings: samples.len(),
        });
    }
    let failed = rec
        .events
        .iter()
        .filter(|e| e.reason == "FailedGetResourceMetric")
        .count();
    if failed > 0 {
        flags.push(Flag::FailedMetrics { events: failed });
    }
    for gap in rec.collector.iter().filter(|c| c.kind == "gap_start") {
        flags.push(Flag::RecordingGap {
            at: gap.t,
            source: gap.source.clone(),
            message: gap.message.clone(),
        });
    }
}

pub(super) fn restarts(
    rec: &ClusterRecording,
    flags: &mut Vec<Flag>,
) -> Vec<(String, u32, String)> {
    let mut out: Vec<(String, u32, String)> = Vec::new();
    for p in &rec.pods {
        let n = p.restarts.unwrap_or(0);
        if n == 0 {
            continue;
        }
        let reason = p.last_termination_reason.clone().unwrap_or_default();
        match out.iter_mut().find(|(name, _, _)| *name == p.name) {
            Some(entry) if n >= entry.1 => *entry = (p.name.clone(), n, reason),
            Some(_) => {}
            None => out.push((p.name.clone(), n, reason)),
        }
    }
    let oom = out.iter().filter(|(_, _, r)| r == "OOMKilled").count()
        + rec
            .events
            .iter()
            .filter(|e| e.reason == "OOMKilling")
            .count();
    if oom > 0 {
        flags.push(Flag::OomKills { count: oom });
    }
    out
}

pub(super) fn never_ready(rec: &ClusterRecording, flags: &mut Vec<Flag>) {
    let mut names: Vec<&str> = rec.pods.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let records: Vec<_> = rec.pods.iter().filter(|p| p.name == name).collect();
        let ever_ready = records.iter().any(|p| p.ready == Some(true));
        let deleted = records
            .iter()
            .any(|p| p.change == "deleted" || p.deleted_at.is_some());
        if !ever_ready && !deleted {
            flags.push(Flag::NeverReady {
                pod: name.to_string(),
            });
        }
    }
}
