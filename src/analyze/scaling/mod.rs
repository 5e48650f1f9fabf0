//! The autoscaling story: the HPA's decisions, each scale-up's chain from load to recovered
//! latency, time to scale up and down, CPU at each pod count, pods and memory per phase, and
//! flags for thrashing, missing metrics, restarts and pods that never became Ready.
//!
//! One file per question; this one holds the report's types and puts the answers together.
//! Everything here is numbers and facts: render/scaling_words.rs words them.

mod chain;
mod decisions;
mod flags;
mod memory;
mod pods;
mod spike_timing;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::figure::Figure;
use super::phases::ClockPhase;
use super::windows::WindowRow;
use crate::ingest::cluster::{ClusterRecording, HpaSample};

pub use decisions::{decisions, new_size};
pub use flags::Flag;

/// Latency counts as recovered when a window's p95 is within this share above the baseline's.
pub const RECOVERED_WITHIN: f64 = 0.10;
/// Kubernetes' default scale-down stabilization window, used when the spec sets none.
pub const DEFAULT_DOWN_WINDOW_S: f64 = 300.0;
/// Pod memory growing faster than this (MiB per minute) during a soak is reported as a leak.
pub const LEAK_MIB_PER_MIN: f64 = 5.0;
/// The leak flag is evaluated only on pods read over at least this many minutes while Ready.
pub const LEAK_MIN_MINUTES: f64 = 5.0;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Decision {
    pub at: DateTime<Utc>,
    /// The size before: None when no size was recorded before a decision read from events.
    pub from: Option<u32>,
    pub to: u32,
    pub source: String,
}

impl Decision {
    /// More replicas than before (false when the size before is unknown).
    pub fn is_up(&self) -> bool {
        self.from.is_some_and(|f| self.to > f)
    }

    /// Fewer replicas than before (false when the size before is unknown).
    pub fn is_down(&self) -> bool {
        self.from.is_some_and(|f| self.to < f)
    }
}

/// The steps of a scale-up chain, in order.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    LoadStart,
    CpuAboveTarget,
    HpaDecision,
    PodCreated,
    PodsReady,
    LatencyRecovered,
    /// The latency "recovered" only because the load ended: no request came after.
    LoadEnded,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChainStep {
    pub step: Step,
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
    /// The pods' sum.
    pub bytes: f64,
    pub mean_bytes_per_pod: f64,
    /// Pods with a reading in the minute.
    pub pods: u32,
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
    /// The spike run the scale-up and scale-down times are measured on.
    pub spike_test: Option<String>,
    /// The test after the spike (label, start): the scale-down counts only before it.
    pub next_test: Option<(String, DateTime<Utc>)>,
    /// The first scale-up while the spike's load was on.
    pub first_up: Option<Decision>,
    /// Start of the spike phase → that scale-up's HPA decision.
    pub time_to_scale_up: Figure,
    /// Start of the spike phase → the last of its new pods Ready.
    pub scale_up_pods_ready: Figure,
    /// End of the spike phase → the HPA decision back at minReplicas.
    pub time_to_scale_down: Figure,
    /// End of the spike phase → the last of the removed pods deleted.
    pub scale_down_pods_deleted: Figure,
    pub decisions: Vec<Decision>,
    pub chains: Vec<ScaleUpChain>,
    pub cpu_by_replicas: Vec<CpuAtReplicas>,
    pub phase_pods: Vec<PhasePods>,
    pub events: Vec<EventRow>,
    pub restarts: Vec<(String, u32, String)>,
    pub flags: Vec<Flag>,
    pub soak_memory: Vec<MemoryMinute>,
    pub memory_growth_mib_per_min: Figure,
    pub pod_memory: Vec<PodMemorySeries>,
    pub hpa: Vec<HpaPoint>,
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

/// Why a figure needs the HPA recording.
const NO_HPA: &str = "needs the HPA recording (hpa.jsonl from `report collect`)";

pub fn analyze(
    rec: &ClusterRecording,
    phases: &[ClockPhase],
    latency: Option<LatencyContext>,
) -> ScalingReport {
    let (min, max, target) = rec.hpa_bounds();
    let samples: Vec<&HpaSample> = rec.hpa.iter().filter(|s| s.current.is_some()).collect();
    let decisions = decisions(rec);
    let (max_pods, time_at_max) = pods::max_pods(&samples);
    let timing = spike_timing::timing(rec, &samples, &decisions, phases, min);
    let chains = decisions
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let previous = i.checked_sub(1).map(|p| decisions[p].at);
            chain::chain(d, previous, rec, phases, target, latency.as_ref())
        })
        .collect();
    let mut flags = Vec::new();
    flags::thrashing(&decisions, rec, phases, &mut flags);
    flags::metrics(rec, &samples, &mut flags);
    let restarts = flags::restarts(rec, &mut flags);
    flags::never_ready(rec, &mut flags);
    let soak = phases.iter().find(|p| p.test.starts_with("Soak"));
    let soak_memory = soak.map(|p| memory::per_minute(rec, p)).unwrap_or_default();
    let (memory_growth, trends) = memory::growth(rec, soak);
    flags.extend(memory::leak(&trends));
    ScalingReport {
        min_replicas: min,
        max_replicas: max,
        cpu_target_pct: target,
        max_pods,
        time_at_max,
        spike_test: timing.spike_test,
        next_test: timing.next_test,
        first_up: timing.first_up,
        time_to_scale_up: timing.up,
        scale_up_pods_ready: timing.up_pods_ready,
        time_to_scale_down: timing.down,
        scale_down_pods_deleted: timing.down_pods_deleted,
        cpu_by_replicas: pods::cpu_by_replicas(&samples).unwrap_or_default(),
        phase_pods: pods::phase_pods(&samples, phases).unwrap_or_default(),
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
        pod_memory: memory::pod_memory(rec),
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
    }
}

fn secs(d: chrono::TimeDelta) -> f64 {
    d.num_milliseconds() as f64 / 1000.0
}
