//! Each scale-up's chain: load start → CPU above target → HPA decision → pod created → pods
//! Ready → latency back within 10 % of the baseline p95, each step with its delay.

use chrono::{DateTime, Utc};

use super::memory::unready_at;
use super::{ChainStep, Decision, LatencyContext, RECOVERED_WITHIN, ScaleUpChain, Step, secs};
use crate::analyze::figure::{Figure, SECONDS};
use crate::analyze::phases::ClockPhase;
use crate::analyze::windows::WindowRow;
use crate::ingest::cluster::ClusterRecording;

/// `previous`: the decision before this one; the CPU that called for this one came after it.
pub(super) fn chain(
    d: &Decision,
    previous: Option<DateTime<Utc>>,
    rec: &ClusterRecording,
    phases: &[ClockPhase],
    target: Option<f64>,
    latency: Option<&LatencyContext>,
) -> Option<ScaleUpChain> {
    let from = d.from.filter(|f| d.to > *f)?;
    let phase = phases
        .iter()
        .filter(|p| p.start <= d.at)
        .max_by_key(|p| p.start);
    let load_start = phase.map(|p| p.start);
    // After the previous decision (the API's times have millisecond precision), else from the
    // phase's start.
    let cpu_since = match previous {
        Some(p) if p < d.at && load_start.is_none_or(|l| p >= l) => {
            Some(p + chrono::TimeDelta::milliseconds(1))
        }
        _ => load_start,
    };
    // The baseline p95 to return to is the spike's: other runs' scale-ups have none.
    let no_recovery = match latency {
        None => "needs per-request records (all_results or report run)",
        Some(l) if phase.is_none_or(|p| p.test != l.test) => {
            "measured for the spike's scale-ups only (their baseline p95 is the spike's)"
        }
        Some(_) => "",
    };
    let latency = latency.filter(|l| phase.is_some_and(|p| p.test == l.test));
    let cpu_above = target.and_then(|t| {
        let hpa_reading = rec
            .hpa
            .iter()
            .find(|s| {
                s.t <= d.at
                    && cpu_since.is_none_or(|l| s.t >= l)
                    && s.cpu_pct.is_some_and(|c| c > t)
            })
            .map(|s| s.t);
        let pods_reading = cpu_since.and_then(|l| pods_cpu_above(rec, l, d.at, t));
        hpa_reading.into_iter().chain(pods_reading).min()
    });
    let new_pods: Vec<&str> = first_seen_after(rec, d.at, (d.to - from) as usize);
    let created = new_pods
        .iter()
        .filter_map(|p| first_record(rec, p).map(|r| r.t))
        .min();
    let ready = ready_time_of_all(rec, &new_pods);
    let last = match (latency, ready) {
        (Some(l), Some(r)) => match l.baseline_p95 {
            Some(b) => latency_step(l.windows, r, b),
            None => (
                Step::LatencyRecovered,
                None,
                "the spike's baseline phase has no p95",
            ),
        },
        (Some(_), None) => (
            Step::LatencyRecovered,
            None,
            "the new pods' Ready transition was not recorded",
        ),
        (None, _) => (Step::LatencyRecovered, None, no_recovery),
    };
    let steps = [
        (
            Step::LoadStart,
            load_start,
            "no test phase on the clock before this decision",
        ),
        (
            Step::CpuAboveTarget,
            cpu_above,
            "no HPA or pod-metrics reading above the CPU target before the decision",
        ),
        (Step::HpaDecision, Some(d.at), ""),
        (
            Step::PodCreated,
            created,
            "no new pod recorded (pods.jsonl)",
        ),
        (
            Step::PodsReady,
            ready,
            "the new pods' Ready transition was not recorded",
        ),
        last,
    ];
    let mut previous: Option<DateTime<Utc>> = None;
    let steps = steps
        .into_iter()
        .map(|(name, at, why)| {
            let delay = match (at, previous) {
                (Some(a), Some(p)) => {
                    Figure::known(secs(a - p), SECONDS, "").method("since the previous step")
                }
                (Some(_), None) => Figure::unavailable(SECONDS, "first step with a time"),
                (None, _) => Figure::unavailable(SECONDS, why),
            };
            if at.is_some() {
                previous = at;
            }
            ChainStep {
                step: name,
                at,
                delay,
            }
        })
        .collect();
    Some(ScaleUpChain {
        from,
        to: d.to,
        phase: phase.map(|p| format!("{}: {}", p.test, p.name)),
        steps,
    })
}

/// The chain's last step: the first window from `ready` on whose p95 is back within 10 % of
/// `baseline_p95`, unless no request came after it (it is the last window): then the load
/// ended, which is no recovery.
pub(super) fn latency_step(
    windows: &[WindowRow],
    ready: DateTime<Utc>,
    baseline_p95: f64,
) -> (Step, Option<DateTime<Utc>>, &'static str) {
    let limit = baseline_p95 * (1.0 + RECOVERED_WITHIN);
    let found = windows
        .iter()
        .position(|w| w.start >= ready && w.p95.is_some_and(|p| p <= limit));
    match found {
        Some(i) if i + 1 == windows.len() => (Step::LoadEnded, Some(windows[i].start), ""),
        Some(i) => (Step::LatencyRecovered, Some(windows[i].start), ""),
        None if windows.last().is_some_and(|w| w.start < ready) => (
            Step::LoadEnded,
            None,
            "the load ended before the new pods were Ready (no requests after)",
        ),
        None => (
            Step::LatencyRecovered,
            None,
            "p95 never came back within 10 % of the baseline p95 in the recorded requests",
        ),
    }
}

/// A pod reading older than this no longer counts as the pod's current CPU.
const STALE_READING_S: i64 = 60;

/// When the pods' CPU, as metrics-server measured it, first rose above the HPA's `target` (%)
/// between `from` and `until`: at each reading, the latest readings of the Ready pods summed
/// against their CPU requests (the HPA's own arithmetic, seen before its next sync).
fn pods_cpu_above(
    rec: &ClusterRecording,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    target: f64,
) -> Option<DateTime<Utc>> {
    let mut readings: Vec<_> = rec
        .pod_metrics
        .iter()
        .filter(|m| m.cpu_millicores.is_some() && m.at() <= until)
        .collect();
    readings.sort_by_key(|m| m.at());
    let mut latest = std::collections::HashMap::new();
    for m in readings {
        latest.insert(m.pod.as_str(), m);
        let t = m.at();
        if t < from {
            continue;
        }
        let (mut used, mut requested) = (0.0, 0.0);
        for (pod, r) in &latest {
            let fresh = (t - r.at()).num_seconds() <= STALE_READING_S;
            if let (true, false, Some(request), Some(cpu)) = (
                fresh,
                unready_at(rec, pod, t),
                cpu_request(rec, pod),
                r.cpu_millicores,
            ) {
                used += cpu;
                requested += request;
            }
        }
        if requested > 0.0 && 100.0 * used / requested > target {
            return Some(t);
        }
    }
    None
}

fn cpu_request(rec: &ClusterRecording, pod: &str) -> Option<f64> {
    rec.pods
        .iter()
        .filter(|p| p.name == pod)
        .find_map(|p| p.cpu_request_millicores)
}

/// The first `n` pods whose first record comes at or after `t` (pods the scale-up created).
pub(super) fn first_seen_after(rec: &ClusterRecording, t: DateTime<Utc>, n: usize) -> Vec<&str> {
    let mut names: Vec<(&str, DateTime<Utc>)> = Vec::new();
    for p in &rec.pods {
        if !names.iter().any(|(n, _)| *n == p.name) {
            names.push((&p.name, p.start_time.unwrap_or(p.t)));
        }
    }
    names.retain(|(_, first)| *first >= t - chrono::TimeDelta::seconds(1));
    names.sort_by_key(|(_, first)| *first);
    names.into_iter().take(n).map(|(n, _)| n).collect()
}

fn first_record<'a>(
    rec: &'a ClusterRecording,
    pod: &str,
) -> Option<&'a crate::ingest::cluster::PodRecord> {
    rec.pods.iter().find(|p| p.name == pod)
}

/// When the last of `pods` became Ready (None unless all did).
pub(super) fn ready_time_of_all(rec: &ClusterRecording, pods: &[&str]) -> Option<DateTime<Utc>> {
    if pods.is_empty() {
        return None;
    }
    pods.iter()
        .map(|name| {
            rec.pods
                .iter()
                .find(|p| p.name == *name && p.ready == Some(true))
                .map(|p| p.ready_transition.unwrap_or(p.t))
        })
        .collect::<Option<Vec<_>>>()?
        .into_iter()
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(p95: &[f64]) -> Vec<WindowRow> {
        let t0 = DateTime::from_timestamp(1_764_115_800, 0).unwrap();
        p95.iter()
            .enumerate()
            .map(|(i, p)| WindowRow {
                start: t0 + chrono::TimeDelta::seconds(5 * i as i64),
                offset_s: 5.0 * i as f64,
                requests: 10,
                successful: 10,
                completed_per_s: 2.0,
                avg: Some(*p),
                p50: Some(*p),
                p95: Some(*p),
                p99: Some(*p),
            })
            .collect()
    }

    #[test]
    fn latency_back_only_in_the_last_window_is_the_load_ending() {
        // Baseline p95 1.0 s, limit 1.1 s; pods Ready 2 s into the first window.
        let w = windows(&[5.0, 4.0, 3.5, 1.05]);
        let ready = w[0].start + chrono::TimeDelta::seconds(2);
        assert_eq!(
            latency_step(&w, ready, 1.0),
            (Step::LoadEnded, Some(w[3].start), "")
        );
        // With requests after it, the same window is a recovery.
        let w = windows(&[5.0, 4.0, 3.5, 1.05, 1.0]);
        assert_eq!(
            latency_step(&w, ready, 1.0),
            (Step::LatencyRecovered, Some(w[3].start), "")
        );
        // Pods Ready after the last window began: the load was over.
        let late = w[4].start + chrono::TimeDelta::seconds(1);
        assert_eq!(latency_step(&w, late, 1.0).0, Step::LoadEnded);
    }
}
