//! Pods and CPU from the HPA readings: the most pods and for how long, CPU at each pod count,
//! and pods and CPU per test phase.

use polars::prelude::*;

use super::{CpuAtReplicas, NO_HPA, PhasePods, secs};
use crate::analyze::figure::{Figure, SECONDS};
use crate::analyze::phases::ClockPhase;
use crate::analyze::stats::{floats, value};
use crate::ingest::cluster::HpaSample;

pub(super) fn max_pods(samples: &[&HpaSample]) -> (Figure, Figure) {
    let Some(max) = samples.iter().filter_map(|s| s.current).max() else {
        return (
            Figure::unavailable("pods", NO_HPA),
            Figure::unavailable(SECONDS, NO_HPA),
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
pub(super) fn cpu_by_replicas(samples: &[&HpaSample]) -> PolarsResult<Vec<CpuAtReplicas>> {
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
pub(super) fn phase_pods(
    samples: &[&HpaSample],
    phases: &[ClockPhase],
) -> PolarsResult<Vec<PhasePods>> {
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
