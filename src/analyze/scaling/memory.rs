//! Pods' memory during the soak: per clock minute, each pod's growth while Ready, and the
//! series per pod for the chart.

use chrono::{DateTime, Utc};
use polars::prelude::*;

use super::{Flag, LEAK_MIB_PER_MIN, LEAK_MIN_MINUTES, MemoryMinute, PodMemorySeries, secs};
use crate::analyze::figure::Figure;
use crate::analyze::phases::ClockPhase;
use crate::analyze::stats::{floats, least_squares};
use crate::ingest::cluster::ClusterRecording;

/// Pods' memory per clock minute of the soak, from each pod's last reading in the minute: the
/// sum, the mean per pod and the number of pods read.
pub(super) fn per_minute(rec: &ClusterRecording, soak: &ClockPhase) -> Vec<MemoryMinute> {
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
        .agg([
            col("mem").sum().alias("mem"),
            col("mem").mean().alias("mean"),
            len().cast(DataType::Float64).alias("pods"),
        ])
        .sort(["t"], Default::default())
        .with_column(col("t").cast(DataType::Int64))
        .collect()
    };
    let Ok(frame) = run() else { return Vec::new() };
    let t = floats(&frame, "t");
    let (mem, mean, pods) = (
        floats(&frame, "mem"),
        floats(&frame, "mean"),
        floats(&frame, "pods"),
    );
    (0..frame.height())
        .filter_map(|i| {
            Some(MemoryMinute {
                minute: DateTime::from_timestamp_micros(t[i]? as i64)?,
                bytes: mem[i]?,
                mean_bytes_per_pod: mean[i]?,
                pods: pods[i]? as u32,
            })
        })
        .collect()
}

/// One pod's memory while Ready during the soak.
pub(super) struct PodTrend {
    pub pod: String,
    /// From its first to its last reading while Ready.
    pub minutes: f64,
    /// Least-squares slope (MiB/min): with three readings over [`MIN_GROWTH_MINUTES`].
    pub slope: Option<f64>,
}

/// Memory growth during the soak, in MiB per minute: the least-squares slope of each pod's own
/// readings once it was Ready (a sum over pods would jump whenever the HPA adds one), the
/// highest; and every pod's trend, for the leak flag.
pub(super) fn growth(rec: &ClusterRecording, soak: Option<&ClockPhase>) -> (Figure, Vec<PodTrend>) {
    const UNIT: &str = "MiB/min";
    let Some(soak) = soak else {
        return (
            Figure::unavailable(UNIT, "no soak test on the clock"),
            Vec::new(),
        );
    };
    let trends: Vec<PodTrend> = pod_memory(rec)
        .into_iter()
        .filter_map(|series| {
            let points: Vec<(f64, f64)> = series
                .points
                .iter()
                .filter(|(t, _)| soak.contains(*t) && !unready_at(rec, &series.pod, *t))
                .map(|(t, bytes)| (secs(*t - soak.start) / 60.0, bytes / (1024.0 * 1024.0)))
                .collect();
            let minutes = points.last()?.0 - points.first()?.0;
            Some(PodTrend {
                pod: series.pod,
                minutes,
                slope: (points.len() >= 3 && minutes >= MIN_GROWTH_MINUTES)
                    .then(|| least_squares(&points).0),
            })
        })
        .collect();
    let sloped = || trends.iter().filter_map(|t| Some((&t.pod, t.slope?)));
    let Some((pod, slope)) = sloped().max_by(|a, b| a.1.total_cmp(&b.1)) else {
        let why = if rec.pod_metrics.is_empty() {
            "needs pod metrics (pod_metrics.jsonl from `report collect`)"
        } else {
            "no pod has three memory readings over two minutes of the soak"
        };
        return (Figure::unavailable(UNIT, why), trends);
    };
    let figure = Figure::known(slope, UNIT, "pod_metrics.jsonl").method(format!(
        "least-squares slope of each pod's memory while Ready during the soak; the highest of {} pod(s), {pod}",
        sloped().count()
    ));
    (figure, trends)
}

/// The leak flag: the fastest-growing pod among those read over at least
/// [`LEAK_MIN_MINUTES`] while Ready, above [`LEAK_MIB_PER_MIN`]; not evaluated (with the
/// longest span) when no pod was read that long. None without readings in the soak.
pub(super) fn leak(trends: &[PodTrend]) -> Option<Flag> {
    let longest = trends.iter().map(|t| t.minutes).max_by(f64::total_cmp)?;
    let fastest = trends
        .iter()
        .filter(|t| t.minutes >= LEAK_MIN_MINUTES)
        .filter_map(|t| Some((&t.pod, t.slope?)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    match fastest {
        None => Some(Flag::LeakNotEvaluated {
            longest_minutes: longest,
            needed_minutes: LEAK_MIN_MINUTES,
        }),
        Some((pod, slope)) if slope > LEAK_MIB_PER_MIN => Some(Flag::MemoryLeak {
            pod: pod.clone(),
            mib_per_min: slope,
            threshold_mib_per_min: LEAK_MIB_PER_MIN,
        }),
        Some(_) => None,
    }
}

/// Whether the pod's last recorded state at `t` was not Ready (still loading its model, say).
pub(super) fn unready_at(rec: &ClusterRecording, pod: &str, t: DateTime<Utc>) -> bool {
    rec.pods
        .iter()
        .filter(|p| p.name == pod && p.t <= t)
        .max_by_key(|p| p.t)
        .is_some_and(|p| p.ready == Some(false))
}

/// Readings over fewer minutes than this give no growth figure.
const MIN_GROWTH_MINUTES: f64 = 2.0;

pub(super) fn pod_memory(rec: &ClusterRecording) -> Vec<PodMemorySeries> {
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
