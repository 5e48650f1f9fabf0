//! The autoscaling story in words: the headline, the chains' step names and the flags, from
//! the facts and numbers of [`crate::analyze::scaling`].

use super::format::pods;
use crate::analyze::scaling::{Flag, ScalingReport, Step};

/// `10:04:05` (UTC).
pub fn clock(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

/// A replica count, `?` when it was not recorded.
pub fn size(n: Option<u32>) -> String {
    n.map_or("?".into(), |n| n.to_string())
}

pub fn step(s: Step) -> &'static str {
    match s {
        Step::LoadStart => "load start",
        Step::CpuAboveTarget => "CPU above target",
        Step::HpaDecision => "HPA decision",
        Step::PodCreated => "pod created",
        Step::PodsReady => "pods Ready",
        Step::LatencyRecovered => "latency back within 10 % of baseline p95",
        Step::LoadEnded => "the load ended (no requests after): not a recovery",
    }
}

pub fn flag(f: &Flag) -> String {
    match f {
        Flag::Thrashing {
            first,
            reversal,
            gap_s,
            window_s,
        } => format!(
            "Thrashing: {}→{} at {} reversed by {}→{} {gap_s:.0} s later, inside the {window_s:.0} s stabilization window.",
            size(first.from),
            first.to,
            clock(first.at),
            size(reversal.from),
            reversal.to
        ),
        Flag::UnknownCpu { unknown, readings } => format!(
            "Missing metrics: {unknown} of {readings} HPA readings showed CPU as <unknown>."
        ),
        Flag::FailedMetrics { events } => format!(
            "Missing metrics: {events} FailedGetResourceMetric event(s) (the HPA could not read CPU usage)."
        ),
        Flag::RecordingGap {
            at,
            source,
            message,
        } => format!("Recording gap from {} ({source}): {message}", clock(*at)),
        Flag::OomKills { count } => format!(
            "OOMKills: {count} (pods whose last termination was OOMKilled, and OOMKilling events)."
        ),
        Flag::NeverReady { pod } => format!("Pod {pod} never became Ready during the recording."),
        Flag::MemoryLeak {
            pod,
            mib_per_min,
            threshold_mib_per_min,
        } => format!(
            "Possible memory leak: pod {pod}'s memory grew {mib_per_min:.1} MiB per minute during the soak (threshold {threshold_mib_per_min} MiB/min)."
        ),
        Flag::LeakNotEvaluated {
            longest_minutes,
            needed_minutes,
        } => format!(
            "Memory leak not evaluated: it needs a pod's memory read over {needed_minutes:.0} minutes while Ready during the soak; the longest was {longest_minutes:.1} min."
        ),
    }
}

/// One sentence: the first scale-up, the most pods, the return to the minimum.
pub fn headline(s: &ScalingReport) -> String {
    let Some(max) = s.max_pods.value else {
        return "No HPA recording: the autoscaling figures need `report collect`.".into();
    };
    let mut text = match (&s.first_up, s.time_to_scale_up.value) {
        (Some(d), Some(secs)) => format!(
            "Scaled {}→{} {secs:.0} s after the spike phase began; max {max:.0} pods",
            size(d.from),
            pods(d.to)
        ),
        _ if s.spike_test.is_some() => format!("No scale-up during the spike; max {max:.0} pods"),
        _ => format!("Max {max:.0} pods"),
    };
    match s.time_to_scale_down.value {
        Some(secs) => text.push_str(&format!(
            "; back to minimum {secs:.0} s after the spike phase ended."
        )),
        None => text.push('.'),
    }
    text
}
