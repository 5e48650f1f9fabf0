//! Cluster charts: the scaling timeline (replicas as steps, CPU against its target on a second
//! axis, test phases as labelled bands, scale decisions as markers), CPU per pod count, and each
//! pod's memory over time.

use chrono::{DateTime, Utc};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::bars::{GroupedBars, Series};
use super::lines::{Line, LineChart};
use super::theme::{FONT, INK, PALETTE, Sizes, chart_builder, draw_legend_at, style_mesh};
use super::validate::axis;
use crate::analyze::phases::ClockPhase;
use crate::analyze::scaling::ScalingReport;

/// Seconds of `t` after `origin`.
fn at(t: DateTime<Utc>, origin: DateTime<Utc>) -> f64 {
    (t - origin).num_milliseconds() as f64 / 1000.0
}

/// Step points: each value holds until the next reading.
pub(crate) fn steps(points: &[(f64, f64)], end: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2 + 1);
    for (i, (x, y)) in points.iter().enumerate() {
        if i > 0 {
            out.push((*x, points[i - 1].1));
        }
        out.push((*x, *y));
    }
    if let Some((_, y)) = points.last() {
        out.push((end, *y));
    }
    out
}

/// One label per test when the session holds several (a whole test plan), else one per phase.
fn phase_labels(phases: &[ClockPhase]) -> Vec<(DateTime<Utc>, String)> {
    let mut tests: Vec<(DateTime<Utc>, String)> = Vec::new();
    for p in phases {
        if !tests.iter().any(|(_, t)| *t == p.test) {
            tests.push((p.start, p.test.clone()));
        }
    }
    if tests.len() > 1 {
        tests
    } else {
        phases.iter().map(|p| (p.start, p.name.clone())).collect()
    }
}

pub fn scaling_timeline<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    sizes: Sizes,
    s: &ScalingReport,
    phases: &[ClockPhase],
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let Some(origin) = s
        .hpa
        .first()
        .map(|p| p.t)
        .into_iter()
        .chain(phases.iter().map(|p| p.start))
        .min()
    else {
        return Err("no HPA readings".into());
    };
    let end = s
        .hpa
        .iter()
        .map(|p| p.t)
        .chain(phases.iter().map(|p| p.end))
        .max()
        .map_or(1.0, |t| at(t, origin))
        .max(1.0);
    let max_pods = f64::from(
        s.max_replicas.unwrap_or(1).max(
            s.hpa
                .iter()
                .filter_map(|p| p.current.max(p.desired))
                .max()
                .unwrap_or(1),
        ),
    ) + 1.0;
    let cpu_top = s
        .hpa
        .iter()
        .filter_map(|p| p.cpu_pct)
        .fold(s.cpu_target_pct.unwrap_or(100.0), f64::max)
        * 1.15;
    let mut chart = chart_builder(
        area,
        "Scaling timeline: replicas, CPU and test phases",
        sizes,
        3,
    )
    .right_y_label_area_size(sizes.label * 4)
    .build_cartesian_2d(axis(0.0, end)?, axis(0.0, max_pods)?)
    .map_err(err)?
    .set_secondary_coord(axis(0.0, end)?, axis(0.0, cpu_top)?);
    let clock = |x: &f64| {
        (origin + chrono::TimeDelta::milliseconds((*x * 1000.0) as i64))
            .format("%H:%M:%S")
            .to_string()
    };
    let mut mesh = chart.configure_mesh();
    style_mesh(&mut mesh, sizes);
    mesh.x_desc("time (UTC)")
        .y_desc("pods")
        .x_label_formatter(&clock)
        .x_labels(10)
        .draw()
        .map_err(err)?;
    chart
        .configure_secondary_axes()
        .y_desc("CPU (% of request)")
        .y_label_formatter(&|v| crate::render::format::plain(*v))
        .label_style((FONT, sizes.tick).into_font().color(&INK))
        .axis_desc_style((FONT, sizes.label).into_font().color(&INK))
        .draw()
        .map_err(err)?;
    for (i, p) in phases.iter().enumerate() {
        let shade = PALETTE[(i % 3) + 4].mix(0.12);
        let (x0, x1) = (at(p.start, origin), at(p.end, origin));
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x0, 0.0), (x1, max_pods)],
                shade.filled(),
            )))
            .map_err(err)?;
    }
    for (i, (start, label)) in phase_labels(phases).into_iter().enumerate() {
        let x0 = at(start, origin);
        // Labels staggered over three rows so neighbouring short spans do not overprint.
        let row = (i % 3) as f64 * max_pods * 0.05;
        let style = (FONT, sizes.value)
            .into_font()
            .color(&INK)
            .pos(Pos::new(HPos::Left, VPos::Top));
        chart
            .draw_series(std::iter::once(Text::new(
                label,
                (x0, max_pods * 0.99 - row),
                style,
            )))
            .map_err(err)?;
    }
    let series = |f: fn(&crate::analyze::scaling::HpaPoint) -> Option<u32>| {
        let pts: Vec<(f64, f64)> = s
            .hpa
            .iter()
            .filter_map(|p| f(p).map(|v| (at(p.t, origin), f64::from(v))))
            .collect();
        steps(&pts, end)
    };
    let stroke = (sizes.value / 6).max(2);
    for (name, pts, color) in [
        ("current replicas", series(|p| p.current), PALETTE[0]),
        ("desired replicas", series(|p| p.desired), PALETTE[1]),
    ] {
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(stroke + 1)))
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 28, y)], color.stroke_width(4))
            });
    }
    let cpu: Vec<(f64, f64)> = s
        .hpa
        .iter()
        .filter_map(|p| p.cpu_pct.map(|c| (at(p.t, origin), c)))
        .collect();
    let cpu_color = PALETTE[2];
    chart
        .draw_secondary_series(LineSeries::new(cpu.clone(), cpu_color.stroke_width(stroke)))
        .map_err(err)?
        .label("CPU % (right axis)")
        .legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 28, y)], cpu_color.stroke_width(4))
        });
    chart
        .draw_secondary_series(
            cpu.iter()
                .map(|p| Circle::new(*p, stroke + 2, cpu_color.filled())),
        )
        .map_err(err)?;
    if let Some(t) = s.cpu_target_pct {
        let target_color = PALETTE[3];
        chart
            .draw_secondary_series(DashedLineSeries::new(
                [(0.0, t), (end, t)],
                14,
                8,
                target_color.stroke_width(stroke),
            ))
            .map_err(err)?
            .label(format!("CPU target {t:.0} %"))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 28, y)], target_color.stroke_width(4))
            });
    }
    let marks: Vec<(f64, f64, String)> = s
        .decisions
        .iter()
        .map(|d| {
            (
                at(d.at, origin),
                f64::from(d.to),
                format!("{}→{}", d.from, d.to),
            )
        })
        .collect();
    chart
        .draw_series(marks.iter().map(|(x, y, _)| {
            TriangleMarker::new((*x, *y), sizes.value as i32 / 2 + 4, PALETTE[3].filled())
        }))
        .map_err(err)?
        .label("scale decision")
        .legend(|(x, y)| TriangleMarker::new((x + 12, y), 8, PALETTE[3].filled()));
    let mark_style = (FONT, sizes.value)
        .into_font()
        .color(&INK)
        .pos(Pos::new(HPos::Left, VPos::Bottom));
    chart
        .draw_series(marks.iter().map(|(x, y, t)| {
            Text::new(t.clone(), (*x + end * 0.005, *y + 0.1), mark_style.clone())
        }))
        .map_err(err)?;
    draw_legend_at(&mut chart, sizes, SeriesLabelPosition::UpperRight)
}

pub fn cpu_by_replicas(s: &ScalingReport) -> GroupedBars<'static> {
    GroupedBars {
        title: "CPU utilization at each pod count (HPA readings)",
        y_label: "CPU (% of request)",
        groups: s
            .cpu_by_replicas
            .iter()
            .map(|c| format!("{} pod(s), n = {}", c.replicas, c.samples))
            .collect(),
        series: vec![
            Series {
                name: "mean".into(),
                values: s.cpu_by_replicas.iter().map(|c| c.mean_pct).collect(),
            },
            Series {
                name: "p95".into(),
                values: s.cpu_by_replicas.iter().map(|c| c.p95_pct).collect(),
            },
        ],
        format: |v| format!("{v:.0} %"),
        y_max: None,
    }
}

pub fn pod_memory(s: &ScalingReport) -> Option<LineChart<'static>> {
    let origin = s
        .pod_memory
        .iter()
        .filter_map(|p| p.points.first().map(|(t, _)| *t))
        .min()?;
    let names: Vec<&str> = s.pod_memory.iter().map(|p| p.pod.as_str()).collect();
    let prefix = shared_prefix(&names);
    Some(LineChart {
        title: "Memory per pod (metrics.k8s.io)",
        x_label: "minutes from the first reading",
        y_label: "memory (MiB)",
        lines: s
            .pod_memory
            .iter()
            .map(|p| Line {
                name: format!("pod …{}", &p.pod[prefix..]),
                points: p
                    .points
                    .iter()
                    .map(|(t, b)| (at(*t, origin) / 60.0, b / (1024.0 * 1024.0)))
                    .collect(),
                dashed: false,
            })
            .collect(),
        band: None,
    })
}

/// Length of the name prefix all pods share up to its last `-` (`llm-inference-7c9d8f6b5-`),
/// so that the legend shows what tells them apart; 0 for a single pod.
fn shared_prefix(names: &[&str]) -> usize {
    let [first, rest @ ..] = names else {
        return 0;
    };
    if rest.is_empty() {
        return 0;
    }
    let common = rest.iter().fold(first.len(), |n, name| {
        first
            .bytes()
            .zip(name.bytes())
            .take(n)
            .take_while(|(a, b)| a == b)
            .count()
    });
    first
        .get(..common)
        .and_then(|shared| shared.rfind('-'))
        .map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn pods_are_told_apart_by_what_follows_their_shared_prefix() {
        let pods = ["llm-7c9d-8c2b0", "llm-7c9d-8e19f", "llm-7c9d-9008e"];
        assert_eq!(super::shared_prefix(&pods), "llm-7c9d-".len());
        assert_eq!(super::shared_prefix(&["llm-a", "llm-b"]), 4);
        assert_eq!(super::shared_prefix(&["web-1"]), 0);
        assert_eq!(super::shared_prefix(&["a", "b"]), 0);
    }

    #[test]
    fn steps_hold_each_value_until_the_next_reading() {
        assert_eq!(
            super::steps(&[(0.0, 1.0), (10.0, 3.0)], 15.0),
            vec![(0.0, 1.0), (10.0, 1.0), (10.0, 3.0), (15.0, 3.0)]
        );
    }

    #[test]
    fn a_test_plan_is_labelled_by_test_and_a_single_test_by_phase() {
        use crate::analyze::phases::ClockPhase;
        use chrono::DateTime;
        let phase = |test: &str, name: &str, start: i64| ClockPhase {
            test: test.into(),
            name: name.into(),
            start: DateTime::from_timestamp(start, 0).unwrap(),
            end: DateTime::from_timestamp(start + 10, 0).unwrap(),
            target_rps: None,
            source: String::new(),
        };
        let names = |phases: &[ClockPhase]| -> Vec<(i64, String)> {
            super::phase_labels(phases)
                .into_iter()
                .map(|(t, l)| (t.timestamp(), l))
                .collect()
        };
        let spike = [phase("Spike", "Baseline", 0), phase("Spike", "Spike", 10)];
        assert_eq!(
            names(&spike),
            [(0, "Baseline".to_string()), (10, "Spike".to_string())]
        );
        let plan = [
            spike[0].clone(),
            spike[1].clone(),
            phase("Soak", "Soak", 30),
        ];
        assert_eq!(
            names(&plan),
            [(0, "Spike".to_string()), (30, "Soak".to_string())]
        );
    }
}
