//! The autoscaling story: the HPA's decisions, each scale-up's chain from load to recovered
//! latency, time to scale up and down, CPU at each pod count, pods and memory per phase, and
//! flags for thrashing, missing metrics, restarts and pods that never became Ready.

use chrono::{DateTime, Utc};
use polars::prelude::*;
use serde::Serialize;

use super::figure::{Figure, SECONDS};
use super::phases::ClockPhase;
use super::stats::{floats, value};
use super::windows::WindowRow;
use crate::ingest::cluster::{ClusterRecording, HpaSample};
use crate::render::format::pods;

/// Latency counts as recovered when a window's p95 is within this share above the baseline's.
pub const RECOVERED_WITHIN: f64 = 0.10;
/// Kubernetes' default scale-down stabilization window, used when the spec sets none.
pub const DEFAULT_DOWN_WINDOW_S: f64 = 300.0;
/// Pod memory growing faster than this (MiB per minute) during a soak is reported as a leak.
pub const LEAK_MIB_PER_MIN: f64 = 5.0;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Decision {
    pub at: DateTime<Utc>,
    pub from: u32,
    pub to: u32,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChainStep {
    pub step: String,
    pub at: Option<DateTime<Utc>>,
    /// Seconds since the previous step of the chain that has a time.
    pub delay: Figure,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScaleUpChain {
    pub from: u32,
    pub to: u32,
    pub phase: Option<String>,
    pub steps: Vec<ChainStep>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CpuAtReplicas {
    pub replicas: u32,
    pub samples: u64,
    pub mean_pct: Option<f64>,
    pub p95_pct: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PhasePods {
    pub test: String,
    pub phase: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub pods_at_start: Option<u32>,
    pub pods_min: Option<u32>,
    pub pods_max: Option<u32>,
    pub cpu_mean_pct: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EventRow {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub reason: String,
    pub object: String,
    pub message: String,
    pub count: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MemoryMinute {
    pub minute: DateTime<Utc>,
    pub bytes: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PodMemorySeries {
    pub pod: String,
    pub points: Vec<(DateTime<Utc>, f64)>,
}

/// One HPA reading, for the scaling timeline chart.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HpaPoint {
    pub t: DateTime<Utc>,
    pub current: Option<u32>,
    pub desired: Option<u32>,
    pub cpu_pct: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScalingReport {
    pub min_replicas: Option<u32>,
    pub max_replicas: Option<u32>,
    pub cpu_target_pct: Option<f64>,
    pub max_pods: Figure,
    pub time_at_max: Figure,
    pub time_to_scale_up: Figure,
    pub time_to_scale_down: Figure,
    pub decisions: Vec<Decision>,
    pub chains: Vec<ScaleUpChain>,
    pub cpu_by_replicas: Vec<CpuAtReplicas>,
    pub phase_pods: Vec<PhasePods>,
    pub events: Vec<EventRow>,
    pub restarts: Vec<(String, u32, String)>,
    pub flags: Vec<String>,
    pub soak_memory: Vec<MemoryMinute>,
    pub memory_growth_mib_per_min: Figure,
    pub pod_memory: Vec<PodMemorySeries>,
    pub hpa: Vec<HpaPoint>,
    pub headline: String,
}

impl ScalingReport {
    /// Pods and CPU during the phase `phase` of the run labelled `test`.
    pub fn during(&self, test: &str, phase: &str) -> Option<&PhasePods> {
        self.phase_pods
            .iter()
            .find(|p| p.test == test && p.phase == phase)
    }
}

/// The latency data the chains need: per-window p95 and the baseline p95 to return to.
pub struct LatencyContext<'a> {
    /// The run the windows and the baseline belong to (the spike's label).
    pub test: &'a str,
    pub windows: &'a [WindowRow],
    pub baseline_p95: Option<f64>,
}

pub fn analyze(
    rec: &ClusterRecording,
    phases: &[ClockPhase],
    latency: Option<LatencyContext>,
) -> ScalingReport {
    let (min, max, target) = rec.hpa_bounds();
    let samples: Vec<&HpaSample> = rec.hpa.iter().filter(|s| s.current.is_some()).collect();
    let decisions = decisions(rec);
    let no_hpa = "needs the HPA recording (hpa.jsonl from `report collect`)";
    let (max_pods, time_at_max) = max_pods(&samples, no_hpa);
    let spike = phases.iter().find(|p| p.name.eq_ignore_ascii_case("spike"));
    let load_start = spike.or(phases.first());
    let load_end = spike.map(|s| s.end).or(phases.iter().map(|p| p.end).max());
    let first_up = decisions
        .iter()
        .find(|d| d.to > d.from && load_start.is_some_and(|p| d.at >= p.start));
    let time_to_scale_up = match (load_start, first_up) {
        (None, _) => Figure::unavailable(
            SECONDS,
            "no test phase on the clock: needs a time-stamped console log or run events",
        ),
        (_, None) if samples.is_empty() => Figure::unavailable(SECONDS, no_hpa),
        (Some(p), None) => Figure::unavailable(
            SECONDS,
            format!("no scale-up after the {} phase began", p.name),
        ),
        (Some(p), Some(d)) => Figure::known(secs(d.at - p.start), SECONDS, d.source.clone())
            .method(format!(
                "first replica increase − start of {} {} ({})",
                p.test, p.name, p.source
            )),
    };
    let time_to_scale_down =
        scale_down(&samples, load_start.map(|p| p.start), load_end, min, no_hpa);
    let chains = decisions
        .iter()
        .enumerate()
        .filter(|(_, d)| d.to > d.from)
        .map(|(i, d)| {
            let previous = i.checked_sub(1).map(|p| decisions[p].at);
            chain(d, previous, rec, phases, target, latency.as_ref())
        })
        .collect();
    let mut flags = Vec::new();
    flag_thrashing(&decisions, rec, phases, &mut flags);
    flag_metrics(rec, &samples, &mut flags);
    let restarts = restarts(rec, &mut flags);
    flag_never_ready(rec, &mut flags);
    let soak = phases.iter().find(|p| p.test.starts_with("Soak"));
    let soak_memory = soak.map(|p| memory_per_minute(rec, p)).unwrap_or_default();
    let (memory_growth, growing_pod) = memory_growth(rec, soak);
    if let (Some(g), Some(pod)) = (memory_growth.value, growing_pod)
        && g > LEAK_MIB_PER_MIN
    {
        flags.push(format!("Possible memory leak: pod {pod}'s memory grew {g:.1} MiB per minute during the soak (threshold {LEAK_MIB_PER_MIN} MiB/min)."));
    }
    let headline = headline(
        first_up,
        if spike.is_some() { "spike" } else { "load" },
        &max_pods,
        &time_to_scale_up,
        &time_to_scale_down,
    );
    ScalingReport {
        min_replicas: min,
        max_replicas: max,
        cpu_target_pct: target,
        max_pods,
        time_at_max,
        time_to_scale_up,
        time_to_scale_down,
        cpu_by_replicas: cpu_by_replicas(&samples).unwrap_or_default(),
        phase_pods: phase_pods(&samples, phases).unwrap_or_default(),
        events: rec
            .events
            .iter()
            .map(|e| EventRow {
                at: e.at(),
                kind: e.kind.clone(),
                reason: e.reason.clone(),
                object: format!("{}/{}", e.involved_kind, e.involved_name),
                message: e.message.clone(),
                count: e.count.unwrap_or(1),
            })
            .collect(),
        decisions,
        chains,
        restarts,
        flags,
        soak_memory,
        memory_growth_mib_per_min: memory_growth,
        pod_memory: pod_memory(rec),
        hpa: rec
            .hpa
            .iter()
            .map(|s| HpaPoint {
                t: s.t,
                current: s.current,
                desired: s.desired,
                cpu_pct: s.cpu_pct,
            })
            .collect(),
        headline,
    }
}

fn secs(d: chrono::TimeDelta) -> f64 {
    d.num_milliseconds() as f64 / 1000.0
}

/// Replica decisions: each new `lastScaleTime` in the HPA status (the controller's own time),
/// else each `SuccessfulRescale` event.
pub fn decisions(rec: &ClusterRecording) -> Vec<Decision> {
    let mut out: Vec<Decision> = Vec::new();
    // A lastScaleTime from before the recording began is not a decision we saw.
    let mut last_seen: Option<DateTime<Utc>> = rec
        .hpa
        .first()
        .map(|s| s.t - chrono::TimeDelta::microseconds(1));
    let mut previous_desired: Option<u32> = rec.hpa.first().and_then(|s| s.current);
    for s in &rec.hpa {
        if let (Some(at), Some(to)) = (s.last_scale_time, s.desired)
            && last_seen.is_some_and(|l| at > l)
            && let Some(from) = previous_desired
            && from != to
        {
            out.push(Decision {
                at,
                from,
                to,
                source: "hpa.jsonl lastScaleTime".into(),
            });
        }
        if s.last_scale_time.is_some() {
            last_seen = last_seen.max(s.last_scale_time).or(s.last_scale_time);
        }
        previous_desired = s.desired.or(previous_desired);
    }
    if !out.is_empty() {
        return out;
    }
    let mut from = rec.hpa.first().and_then(|s| s.current).or(Some(1));
    for e in rec
        .events
        .iter()
        .filter(|e| e.reason == "SuccessfulRescale")
    {
        let Some(to) = new_size(&e.message) else {
            continue;
        };
        if let Some(f) = from
            && f != to
        {
            out.push(Decision {
                at: e.at(),
                from: f,
                to,
                source: "events.jsonl SuccessfulRescale".into(),
            });
        }
        from = Some(to);
    }
    out
}

/// `New size: 3; reason: ...` → 3 (also behind `(combined from similar events): `).
pub fn new_size(message: &str) -> Option<u32> {
    let rest = message.split("New size:").nth(1)?;
    rest.trim()
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn max_pods(samples: &[&HpaSample], why: &str) -> (Figure, Figure) {
    let Some(max) = samples.iter().filter_map(|s| s.current).max() else {
        return (
            Figure::unavailable("pods", why),
            Figure::unavailable(SECONDS, why),
        );
    };
    // Time at max: sum of the intervals that start at a sample showing the maximum.
    let at_max: f64 = samples
        .windows(2)
        .filter(|w| w[0].current == Some(max))
        .map(|w| secs(w[1].t - w[0].t))
        .sum();
    (
        Figure::known(f64::from(max), "pods", "hpa.jsonl").method("highest currentReplicas"),
        Figure::known(at_max, SECONDS, "hpa.jsonl")
            .method("time between consecutive HPA readings that showed the maximum"),
    )
}

fn scale_down(
    samples: &[&HpaSample],
    load_start: Option<DateTime<Utc>>,
    load_end: Option<DateTime<Utc>>,
    min: Option<u32>,
    why: &str,
) -> Figure {
    let (Some(start), Some(end)) = (load_start, load_end) else {
        return Figure::unavailable(
            SECONDS,
            "no test phase on the clock: needs a time-stamped console log or run events",
        );
    };
    if samples.is_empty() {
        return Figure::unavailable(SECONDS, why);
    }
    let min = min.unwrap_or(1);
    // The return to minReplicas after the load ended, once the load had scaled the deployment up.
    let mut was_above = false;
    let mut back = None;
    for s in samples.iter().filter(|s| s.t >= start) {
        if s.current.is_some_and(|c| c > min) {
            was_above = true;
        } else if was_above && s.t >= end && s.current == Some(min) {
            back = Some(s);
            break;
        }
    }
    match back {
        Some(s) => Figure::known(secs(s.t - end), SECONDS, "hpa.jsonl").method(format!(
            "first reading back at minReplicas ({min}) − end of load"
        )),
        None if !was_above => Figure::unavailable(
            SECONDS,
            "the load did not scale the deployment above minReplicas",
        ),
        None => {
            let last = samples.last().map(|s| secs(s.t - end)).unwrap_or(0.0);
            Figure::unavailable(
                SECONDS,
                format!(
                    "not back at minReplicas ({min}) when the recording ended, {last:.0} s after the load ended: record longer (--linger 6m)"
                ),
            )
        }
    }
}

/// `previous`: the decision before this one; the CPU that called for this one came after it.
fn chain(
    d: &Decision,
    previous: Option<DateTime<Utc>>,
    rec: &ClusterRecording,
    phases: &[ClockPhase],
    target: Option<f64>,
    latency: Option<&LatencyContext>,
) -> ScaleUpChain {
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
        Some(_) => "not within the recorded requests",
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
    let new_pods: Vec<&str> = first_seen_after(rec, d.at, (d.to - d.from) as usize);
    let created = new_pods
        .iter()
        .filter_map(|p| first_record(rec, p).map(|r| r.t))
        .min();
    let ready = ready_time_of_all(rec, &new_pods);
    let recovered = match (latency, ready) {
        (Some(l), Some(r)) => l.baseline_p95.and_then(|b| {
            l.windows
                .iter()
                .find(|w| w.start >= r && w.p95.is_some_and(|p| p <= b * (1.0 + RECOVERED_WITHIN)))
                .map(|w| w.start)
        }),
        _ => None,
    };
    let steps = [
        (
            "load start",
            load_start,
            "no test phase on the clock before this decision",
        ),
        (
            "CPU above target",
            cpu_above,
            "no HPA or pod-metrics reading above the CPU target before the decision",
        ),
        ("HPA decision", Some(d.at), ""),
        ("pod created", created, "no new pod recorded (pods.jsonl)"),
        (
            "pods Ready",
            ready,
            "the new pods' Ready transition was not recorded",
        ),
        (
            "latency back within 10 % of baseline p95",
            recovered,
            no_recovery,
        ),
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
                step: name.to_string(),
                at,
                delay,
            }
        })
        .collect();
    ScaleUpChain {
        from: d.from,
        to: d.to,
        phase: phase.map(|p| format!("{}: {}", p.test, p.name)),
        steps,
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
fn first_seen_after(rec: &ClusterRecording, t: DateTime<Utc>, n: usize) -> Vec<&str> {
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
fn ready_time_of_all(rec: &ClusterRecording, pods: &[&str]) -> Option<DateTime<Utc>> {
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

/// A reversal inside the stabilization window is thrashing unless the load changed in between:
/// a test phase began between the two decisions (the next test of a plan, say).
fn flag_thrashing(
    decisions: &[Decision],
    rec: &ClusterRecording,
    phases: &[ClockPhase],
    flags: &mut Vec<String>,
) {
    let window = rec
        .hpa_spec
        .as_ref()
        .and_then(|s| s.pointer("/behavior/scaleDown/stabilizationWindowSeconds"))
        .and_then(|v| v.as_f64())
        .unwrap_or(DEFAULT_DOWN_WINDOW_S);
    for w in decisions.windows(2) {
        let up_then_down = w[0].to > w[0].from && w[1].to < w[1].from;
        let down_then_up = w[0].to < w[0].from && w[1].to > w[1].from;
        let gap = secs(w[1].at - w[0].at);
        let load_changed = phases
            .iter()
            .any(|p| w[0].at < p.start && p.start <= w[1].at);
        if (up_then_down || down_then_up) && gap < window && !load_changed {
            flags.push(format!(
                "Thrashing: {}→{} at {} reversed by {}→{} {gap:.0} s later, inside the {window:.0} s stabilization window.",
                w[0].from,
                w[0].to,
                w[0].at.format("%H:%M:%S"),
                w[1].from,
                w[1].to
            ));
        }
    }
}

fn flag_metrics(rec: &ClusterRecording, samples: &[&HpaSample], flags: &mut Vec<String>) {
    let unknown = samples
        .iter()
        .filter(|s| s.current.unwrap_or(0) > 0 && s.cpu_pct.is_none())
        .count();
    if unknown > 0 {
        flags.push(format!(
            "Missing metrics: {unknown} of {} HPA readings showed CPU as <unknown>.",
            samples.len()
        ));
    }
    let failed = rec
        .events
        .iter()
        .filter(|e| e.reason == "FailedGetResourceMetric")
        .count();
    if failed > 0 {
        flags.push(format!("Missing metrics: {failed} FailedGetResourceMetric event(s) (the HPA could not read CPU usage)."));
    }
    for gap in rec.collector.iter().filter(|c| c.kind == "gap_start") {
        flags.push(format!(
            "Recording gap from {} ({}): {}",
            gap.t.format("%H:%M:%S"),
            gap.source,
            gap.message
        ));
    }
}

fn restarts(rec: &ClusterRecording, flags: &mut Vec<String>) -> Vec<(String, u32, String)> {
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
        flags.push(format!(
            "OOMKills: {oom} (pods whose last termination was OOMKilled, and OOMKilling events)."
        ));
    }
    out
}

fn flag_never_ready(rec: &ClusterRecording, flags: &mut Vec<String>) {
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
            flags.push(format!(
                "Pod {name} never became Ready during the recording."
            ));
        }
    }
}

/// HPA readings as a frame: `t` (µs), `replicas`, `cpu`.
fn hpa_frame(samples: &[&HpaSample]) -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(vec![
        Column::new(
            "t".into(),
            samples
                .iter()
                .map(|s| s.t.timestamp_micros())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "replicas".into(),
            samples
                .iter()
                .map(|s| s.current.map(i64::from))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "cpu".into(),
            samples.iter().map(|s| s.cpu_pct).collect::<Vec<_>>(),
        ),
    ])
}

/// Mean and p95 (type 7) of the HPA's CPU reading for each replica count.
fn cpu_by_replicas(samples: &[&HpaSample]) -> PolarsResult<Vec<CpuAtReplicas>> {
    let frame = hpa_frame(samples)?
        .lazy()
        .filter(col("cpu").is_not_null())
        .group_by([col("replicas")])
        .agg([
            len().cast(DataType::Float64).alias("n"),
            col("cpu").mean().alias("mean"),
            col("cpu")
                .quantile(lit(0.95), QuantileMethod::Linear)
                .alias("p95"),
        ])
        .sort(["replicas"], Default::default())
        .collect()?;
    let replicas = floats(&frame, "replicas");
    Ok((0..frame.height())
        .map(|i| CpuAtReplicas {
            replicas: replicas[i].unwrap_or(0.0) as u32,
            samples: value(&frame, "n", i).unwrap_or(0.0) as u64,
            mean_pct: value(&frame, "mean", i),
            p95_pct: value(&frame, "p95", i),
        })
        .collect())
}

/// Pods at each phase's start (as-of join on the HPA readings), min/max and mean CPU inside it.
fn phase_pods(samples: &[&HpaSample], phases: &[ClockPhase]) -> PolarsResult<Vec<PhasePods>> {
    if samples.is_empty() || phases.is_empty() {
        return Ok(Vec::new());
    }
    let hpa = hpa_frame(samples)?.lazy().sort(["t"], Default::default());
    let starts = DataFrame::new_infer_height(vec![
        Column::new("i".into(), (0..phases.len() as i64).collect::<Vec<_>>()),
        Column::new(
            "t".into(),
            phases
                .iter()
                .map(|p| p.start.timestamp_micros())
                .collect::<Vec<_>>(),
        ),
    ])?
    .lazy()
    .sort(["t"], Default::default());
    let at_start = starts
        .join(
            hpa.clone(),
            [col("t")],
            [col("t")],
            JoinArgs::new(JoinType::AsOf(Box::new(AsOfOptions {
                strategy: AsofStrategy::Backward,
                allow_eq: true,
                ..Default::default()
            }))),
        )
        .sort(["i"], Default::default())
        .collect()?;
    let start_pods = floats(&at_start, "replicas");
    let mut out = Vec::new();
    for (i, p) in phases.iter().enumerate() {
        let inside = hpa
            .clone()
            .filter(
                col("t")
                    .gt_eq(lit(p.start.timestamp_micros()))
                    .and(col("t").lt_eq(lit(p.end.timestamp_micros()))),
            )
            .select([
                col("replicas").min().alias("min"),
                col("replicas").max().alias("max"),
                col("cpu").mean().alias("cpu"),
            ])
            .collect()?;
        let at = start_pods.get(i).copied().flatten();
        let min = value(&inside, "min", 0).or(at);
        let max = value(&inside, "max", 0).or(at);
        out.push(PhasePods {
            test: p.test.clone(),
            phase: p.name.clone(),
            start: p.start,
            end: p.end,
            pods_at_start: at.map(|v| v as u32),
            pods_min: min.map(|v| v.min(at.unwrap_or(v)) as u32),
            pods_max: max.map(|v| v.max(at.unwrap_or(v)) as u32),
            cpu_mean_pct: value(&inside, "cpu", 0),
        });
    }
    Ok(out)
}

/// Pods' memory summed per clock minute of the soak: each pod's last reading in the minute.
fn memory_per_minute(rec: &ClusterRecording, soak: &ClockPhase) -> Vec<MemoryMinute> {
    let inside: Vec<_> = rec
        .pod_metrics
        .iter()
        .filter(|m| soak.contains(m.at()) && m.memory_bytes.is_some())
        .collect();
    if inside.is_empty() {
        return Vec::new();
    }
    let run = || -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(vec![
            Column::new(
                "t".into(),
                inside
                    .iter()
                    .map(|m| m.at().timestamp_micros())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "pod".into(),
                inside.iter().map(|m| m.pod.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                "mem".into(),
                inside.iter().map(|m| m.memory_bytes).collect::<Vec<_>>(),
            ),
        ])?
        .lazy()
        .with_column(col("t").cast(DataType::Datetime(TimeUnit::Microseconds, None)))
        .sort(["t"], Default::default())
        .group_by_dynamic(
            col("t"),
            [col("pod")],
            DynamicGroupOptions {
                every: Duration::parse("1m"),
                period: Duration::parse("1m"),
                offset: Duration::parse("0s"),
                ..Default::default()
            },
        )
        .agg([col("mem").last().alias("mem")])
        .group_by([col("t")])
        .agg([col("mem").sum().alias("mem")])
        .sort(["t"], Default::default())
        .with_column(col("t").cast(DataType::Int64))
        .collect()
    };
    let Ok(frame) = run() else { return Vec::new() };
    let t = floats(&frame, "t");
    let mem = floats(&frame, "mem");
    t.iter()
        .zip(mem)
        .filter_map(|(t, m)| {
            Some(MemoryMinute {
                minute: DateTime::from_timestamp_micros((*t)? as i64)?,
                bytes: m?,
            })
        })
        .collect()
}

/// Memory growth during the soak, in MiB per minute: the least-squares slope of each pod's own
/// readings once it was Ready (a sum over pods would jump whenever the HPA adds one), and the
/// pod whose memory grew fastest.
fn memory_growth(rec: &ClusterRecording, soak: Option<&ClockPhase>) -> (Figure, Option<String>) {
    const UNIT: &str = "MiB/min";
    let Some(soak) = soak else {
        return (Figure::unavailable(UNIT, "no soak test on the clock"), None);
    };
    let slopes: Vec<(String, f64)> = pod_memory(rec)
        .into_iter()
        .filter_map(|series| {
            let points: Vec<(f64, f64)> = series
                .points
                .iter()
                .filter(|(t, _)| soak.contains(*t) && !unready_at(rec, &series.pod, *t))
                .map(|(t, bytes)| (secs(*t - soak.start) / 60.0, bytes / (1024.0 * 1024.0)))
                .collect();
            let minutes = points.last()?.0 - points.first()?.0;
            (points.len() >= 3 && minutes >= MIN_GROWTH_MINUTES)
                .then(|| (series.pod, least_squares_slope(&points)))
        })
        .collect();
    let Some((pod, slope)) = slopes.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else {
        let why = if rec.pod_metrics.is_empty() {
            "needs pod metrics (pod_metrics.jsonl from `report collect`)"
        } else {
            "no pod has three memory readings over two minutes of the soak"
        };
        return (Figure::unavailable(UNIT, why), None);
    };
    let figure = Figure::known(*slope, UNIT, "pod_metrics.jsonl").method(format!(
        "least-squares slope of each pod's memory while Ready during the soak; the highest of {} pod(s), {pod}",
        slopes.len()
    ));
    (figure, Some(pod.clone()))
}

/// Whether the pod's last recorded state at `t` was not Ready (still loading its model, say).
fn unready_at(rec: &ClusterRecording, pod: &str, t: DateTime<Utc>) -> bool {
    rec.pods
        .iter()
        .filter(|p| p.name == pod && p.t <= t)
        .max_by_key(|p| p.t)
        .is_some_and(|p| p.ready == Some(false))
}

/// Readings over fewer minutes than this give no growth figure.
const MIN_GROWTH_MINUTES: f64 = 2.0;

fn least_squares_slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = points.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    sxy / sxx
}

fn pod_memory(rec: &ClusterRecording) -> Vec<PodMemorySeries> {
    let mut out: Vec<PodMemorySeries> = Vec::new();
    for m in &rec.pod_metrics {
        let Some(bytes) = m.memory_bytes else {
            continue;
        };
        match out.iter_mut().find(|s| s.pod == m.pod) {
            Some(s) => s.points.push((m.at(), bytes)),
            None => out.push(PodMemorySeries {
                pod: m.pod.clone(),
                points: vec![(m.at(), bytes)],
            }),
        }
    }
    out
}

/// `load` names what the times are measured from: the spike when there is one.
fn headline(
    first_up: Option<&Decision>,
    load: &str,
    max_pods: &Figure,
    up: &Figure,
    down: &Figure,
) -> String {
    let Some(max) = max_pods.value else {
        return "No HPA recording: the autoscaling figures need `report collect`.".into();
    };
    let mut text = match (first_up, up.value) {
        (Some(d), Some(s)) => format!(
            "Scaled {}→{} {s:.0} s after the {load} began; max {max:.0} pods",
            d.from,
            pods(d.to)
        ),
        _ => format!("Max {max:.0} pods"),
    };
    match down.value {
        Some(s) => text.push_str(&format!(
            "; back to minimum {s:.0} s after the {load} ended."
        )),
        None => text.push('.'),
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_size_reads_plain_and_combined_messages() {
        assert_eq!(
            new_size(
                "New size: 3; reason: cpu resource utilization (percentage of request) above target"
            ),
            Some(3)
        );
        assert_eq!(
            new_size(
                "(combined from similar events): New size: 1; reason: All metrics below target"
            ),
            Some(1)
        );
        assert_eq!(new_size("something else"), None);
    }
}
