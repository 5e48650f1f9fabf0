//! Two-axis curves: the stress test's degradation curve (latency and success against the rate,
//! the breaking point marked, pods per step in a panel of their own) and the soak's stability
//! (latency per minute, each pod's memory on the second axis).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use chrono::{DateTime, Utc};

use super::theme::{
    FONT, INK, Layout, LegendEntry, PALETTE, PixelBox, Sizes, Swatch, chart_builder, legend_below,
    style_mesh,
};
use super::validate::axis;
use crate::analyze::phases::ClockPhase;
use crate::analyze::scaling::{PodMemorySeries, ScalingReport};
use crate::analyze::soak::SoakReport;
use crate::analyze::stress::StressReport;

/// (x, y) points of one line.
type Points = Vec<(f64, f64)>;

pub fn stress_curve<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    sizes: Sizes,
    s: &StressReport,
    scaling: Option<&ScalingReport>,
) -> Result<Layout, String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let x_max = s
        .steps
        .iter()
        .map(|st| st.target_rps)
        .fold(1.0_f64, f64::max)
        * 1.1;
    let lat_max = s
        .steps
        .iter()
        .filter_map(|st| st.avg.value)
        .fold(1.0_f64, f64::max)
        * 1.25;
    let pods = step_pods(s, scaling);
    let mut entries = vec![
        LegendEntry::new("average latency", Swatch::Line(LATENCY_COLOR)),
        LegendEntry::new("success % (right axis)", Swatch::Line(SUCCESS_COLOR)),
    ];
    if !pods.is_empty() {
        entries.push(LegendEntry::new(
            "pods (HPA max in the step, lower panel)",
            Swatch::Block(POD_COLOR.to_rgba()),
        ));
    }
    let breaking_point = s.breaking_point.value;
    if let Some(bp) = breaking_point {
        entries.push(LegendEntry::new(
            format!("breaking point {} req/s", crate::render::format::plain(bp)),
            Swatch::Dashed(BREAK_COLOR),
        ));
    }
    let (area, legend) = legend_below(area, sizes, &entries)?;
    // Pods get a panel and an axis of their own under the curve, on the same rate axis.
    let (curve_area, pods_area) = if pods.is_empty() {
        (area, None)
    } else {
        let (top, bottom) = area.split_vertically(area.dim_in_pixel().1 * 2 / 3);
        (top, Some(bottom))
    };
    let stroke = (sizes.value / 6).max(2);
    let mut chart = chart_builder(
        &curve_area,
        &format!("{}: degradation curve", s.label),
        sizes,
        if pods_area.is_some() { 1 } else { 3 },
    )
    .right_y_label_area_size(sizes.label * 4)
    .build_cartesian_2d(axis(0.0, x_max)?, axis(0.0, lat_max)?)
    .map_err(err)?
    .set_secondary_coord(axis(0.0, x_max)?, 0.0..110.0);
    let mut mesh = chart.configure_mesh();
    style_mesh(&mut mesh, sizes);
    if pods_area.is_none() {
        mesh.x_desc("target rate (req/s)");
    }
    mesh.y_desc("average latency (s)")
        .x_label_formatter(&|v| crate::render::format::plain(*v))
        .draw()
        .map_err(err)?;
    chart
        .configure_secondary_axes()
        .y_desc("success (%)")
        .y_label_formatter(&|v| crate::render::format::plain(*v))
        .label_style((FONT, sizes.tick).into_font().color(&INK))
        .axis_desc_style((FONT, sizes.label).into_font().color(&INK))
        .draw()
        .map_err(err)?;
    let latency: Points = s
        .steps
        .iter()
        .filter_map(|st| st.avg.value.map(|v| (st.target_rps, v)))
        .collect();
    chart
        .draw_series(LineSeries::new(
            latency.clone(),
            LATENCY_COLOR.stroke_width(stroke),
        ))
        .map_err(err)?;
    chart
        .draw_series(
            latency
                .iter()
                .map(|p| Circle::new(*p, stroke + 3, LATENCY_COLOR.filled())),
        )
        .map_err(err)?;
    let success: Points = s
        .steps
        .iter()
        .filter_map(|st| st.success_rate.value.map(|v| (st.target_rps, v)))
        .collect();
    chart
        .draw_secondary_series(LineSeries::new(
            success.clone(),
            SUCCESS_COLOR.stroke_width(stroke),
        ))
        .map_err(err)?;
    chart
        .draw_secondary_series(
            success
                .iter()
                .map(|p| Circle::new(*p, stroke + 3, SUCCESS_COLOR.filled())),
        )
        .map_err(err)?;
    if let Some(bp) = breaking_point {
        chart
            .draw_series(DashedLineSeries::new(
                [(bp, 0.0), (bp, lat_max)],
                14,
                8,
                BREAK_COLOR.stroke_width(stroke),
            ))
            .map_err(err)?;
        let style = (FONT, sizes.value)
            .into_font()
            .color(&INK)
            .pos(Pos::new(HPos::Right, VPos::Top));
        chart
            .draw_series(std::iter::once(Text::new(
                "breaking point ",
                (bp, lat_max * 0.97),
                style,
            )))
            .map_err(err)?;
    }
    let mut plots = vec![chart.plotting_area().get_pixel_range()];
    if let Some(pods_area) = pods_area {
        plots.push(pods_panel(&pods_area, sizes, &pods, x_max, breaking_point)?);
    }
    Ok(Layout { plots, legend })
}

const LATENCY_COLOR: RGBColor = PALETTE[0];
const SUCCESS_COLOR: RGBColor = PALETTE[2];
const BREAK_COLOR: RGBColor = PALETTE[3];
const POD_COLOR: RGBColor = PALETTE[4];

/// (target rate, most pods the HPA reported during the step) of the steps with a reading.
fn step_pods(s: &StressReport, scaling: Option<&ScalingReport>) -> Vec<(f64, u32)> {
    s.steps
        .iter()
        .filter_map(|st| {
            let name = crate::analyze::step_name(st.target_rps);
            let pods = scaling?.during(&s.label, &name)?.pods_max?;
            Some((st.target_rps, pods))
        })
        .collect()
}

/// Pods per step as bars on a pod-count axis; returns the plotting area's pixels.
fn pods_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    sizes: Sizes,
    pods: &[(f64, u32)],
    x_max: f64,
    breaking_point: Option<f64>,
) -> Result<PixelBox, String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let most = pods.iter().map(|(_, p)| *p).max().unwrap_or(1);
    let top = f64::from(most) + 1.0;
    let mut chart = chart_builder(area, "", sizes, 3)
        .right_y_label_area_size(sizes.label * 4)
        .build_cartesian_2d(axis(0.0, x_max)?, axis(0.0, top)?)
        .map_err(err)?;
    let mut mesh = chart.configure_mesh();
    style_mesh(&mut mesh, sizes);
    mesh.x_desc("target rate (req/s)")
        .y_desc("pods")
        .x_label_formatter(&|v| crate::render::format::plain(*v))
        .y_labels(integer_ticks(most + 1))
        .y_label_formatter(&|v| {
            // Pods are whole: a tick between two counts stays unlabelled.
            if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                String::new()
            }
        })
        .draw()
        .map_err(err)?;
    let half = x_max * 0.012;
    chart
        .draw_series(pods.iter().map(|(r, p)| {
            Rectangle::new(
                [(r - half, 0.0), (r + half, f64::from(*p))],
                POD_COLOR.filled(),
            )
        }))
        .map_err(err)?;
    if let Some(bp) = breaking_point {
        chart
            .draw_series(DashedLineSeries::new(
                [(bp, 0.0), (bp, top)],
                14,
                8,
                BREAK_COLOR.stroke_width((sizes.value / 6).max(2)),
            ))
            .map_err(err)?;
    }
    Ok(chart.plotting_area().get_pixel_range())
}

/// How many y labels to ask for so that a 0..=`top` pod axis is labelled at whole counts.
fn integer_ticks(top: u32) -> usize {
    (top as usize + 1).min(11)
}

pub fn soak_stability<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    sizes: Sizes,
    s: &SoakReport,
    scaling: Option<&ScalingReport>,
    phase: Option<&ClockPhase>,
) -> Result<Layout, String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    // Clock minutes when per-request records exist (they line up with the memory minutes).
    let (avg, p95): (Points, Points) = if s.clock_minutes.is_empty() {
        (
            s.minutes
                .iter()
                .filter_map(|m| m.avg.value.map(|v| (f64::from(m.minute), v)))
                .collect(),
            s.minutes
                .iter()
                .filter_map(|m| m.p95.value.map(|v| (f64::from(m.minute), v)))
                .collect(),
        )
    } else {
        (
            s.clock_minutes
                .iter()
                .enumerate()
                .filter_map(|(i, w)| w.avg.map(|v| (i as f64 + 1.0, v)))
                .collect(),
            s.clock_minutes
                .iter()
                .enumerate()
                .filter_map(|(i, w)| w.p95.map(|v| (i as f64 + 1.0, v)))
                .collect(),
        )
    };
    let origin = s.clock_minutes.first().map(|w| w.start);
    let pods = match (scaling, phase) {
        (Some(sc), Some(phase)) => memory_per_pod(&sc.pod_memory, phase, origin),
        _ => Vec::new(),
    };
    let mem_peak = pods
        .iter()
        .flat_map(|(_, pts)| pts.iter().map(|p| p.1))
        .fold(0.0_f64, f64::max);
    let (unit, unit_bytes) = if mem_peak >= GIB {
        ("GiB", GIB)
    } else {
        ("MiB", MIB)
    };
    let x_max = avg
        .iter()
        .map(|p| p.0)
        .chain(pods.iter().flat_map(|(_, pts)| pts.iter().map(|p| p.0)))
        .fold(1.0_f64, f64::max)
        + 0.5;
    let y_max = p95.iter().chain(&avg).map(|p| p.1).fold(0.1_f64, f64::max) * 1.25;
    let mem_max = (mem_peak / unit_bytes).max(0.1) * 1.25;
    let mut entries = vec![
        LegendEntry::new("average latency", Swatch::Line(PALETTE[0])),
        LegendEntry::new("p95 latency", Swatch::Line(PALETTE[1])),
    ];
    if pods.len() > POD_COLORS.len() {
        entries.push(LegendEntry::new(
            format!("memory, one line per pod ({} pods, right axis)", pods.len()),
            Swatch::Line(POD_COLORS[0]),
        ));
    } else {
        entries.extend(pods.iter().zip(POD_COLORS).map(|((name, _), c)| {
            LegendEntry::new(
                format!("memory of pod {name} (right axis)"),
                Swatch::Line(c),
            )
        }));
    }
    let (area, legend) = legend_below(area, sizes, &entries)?;
    let mut chart = chart_builder(
        &area,
        &format!("{}: stability per minute", s.label),
        sizes,
        3,
    )
    .right_y_label_area_size(sizes.label * 4)
    .build_cartesian_2d(axis(0.5, x_max)?, axis(0.0, y_max)?)
    .map_err(err)?
    .set_secondary_coord(axis(0.5, x_max)?, axis(0.0, mem_max)?);
    let mut mesh = chart.configure_mesh();
    style_mesh(&mut mesh, sizes);
    let x_desc = if s.clock_minutes.is_empty() {
        "minute (blocks of requests, as the script counts them)"
    } else {
        "clock minute of the soak"
    };
    mesh.x_desc(x_desc)
        .y_desc("latency (s)")
        .x_label_formatter(&|v| crate::render::format::plain(*v))
        .draw()
        .map_err(err)?;
    let memory_desc = if pods.is_empty() {
        "memory per pod: not recorded (report collect)".to_string()
    } else {
        format!("memory per pod ({unit})")
    };
    chart
        .configure_secondary_axes()
        .y_desc(memory_desc)
        .y_labels(if pods.is_empty() { 0 } else { 8 })
        .label_style((FONT, sizes.tick).into_font().color(&INK))
        .axis_desc_style((FONT, sizes.label).into_font().color(&INK))
        .y_label_formatter(&|v| crate::render::format::plain(*v))
        .draw()
        .map_err(err)?;
    let stroke = (sizes.value / 6).max(2);
    for (pts, color) in [(avg, PALETTE[0]), (p95, PALETTE[1])] {
        chart
            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(stroke)))
            .map_err(err)?;
        chart
            .draw_series(
                pts.iter()
                    .map(|p| Circle::new(*p, stroke + 3, color.filled())),
            )
            .map_err(err)?;
    }
    for ((_, pts), color) in pods.iter().zip(POD_COLORS.iter().cycle()) {
        chart
            .draw_secondary_series(LineSeries::new(
                pts.iter().map(|(x, b)| (*x, b / unit_bytes)),
                color.stroke_width(stroke),
            ))
            .map_err(err)?;
    }
    Ok(Layout {
        plots: vec![chart.plotting_area().get_pixel_range()],
        legend,
    })
}

const MIB: f64 = 1024.0 * 1024.0;
const GIB: f64 = 1024.0 * MIB;
/// Pod memory lines: colours the latency lines do not use.
const POD_COLORS: [RGBColor; 5] = [PALETTE[5], PALETTE[4], PALETTE[3], PALETTE[6], PALETTE[2]];

/// Each pod's memory readings (bytes) during the soak `phase`, one line per pod, never a sum: a
/// scale-up adds a line instead of doubling one. x is minutes since `origin` (the first clock
/// minute, else the phase start) plus 1, so that x = n is the start of the soak's n-th minute.
/// Pods are named by what tells them apart.
pub(crate) fn memory_per_pod(
    series: &[PodMemorySeries],
    phase: &ClockPhase,
    origin: Option<DateTime<Utc>>,
) -> Vec<(String, Points)> {
    let origin = origin.unwrap_or(phase.start);
    let inside: Vec<(&str, Points)> = series
        .iter()
        .map(|p| {
            let points: Points = p
                .points
                .iter()
                .filter(|(t, _)| phase.contains(*t))
                .map(|(t, b)| (1.0 + (*t - origin).num_milliseconds() as f64 / 60_000.0, *b))
                .collect();
            (p.pod.as_str(), points)
        })
        .filter(|(_, points)| !points.is_empty())
        .collect();
    let names: Vec<&str> = inside.iter().map(|(n, _)| *n).collect();
    let prefix = super::scaling::shared_prefix(&names);
    inside
        .into_iter()
        .map(|(name, points)| {
            let short = if prefix > 0 {
                format!("…{}", &name[prefix..])
            } else {
                name.to_string()
            };
            (short, points)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::theme::pixels::{Image, disjoint};
    use super::*;
    use crate::analyze::figure::Figure;
    use crate::analyze::scaling::PhasePods;
    use crate::analyze::stress::StressStep;

    fn t0() -> DateTime<Utc> {
        "2026-11-20T22:00:00Z".parse().unwrap()
    }

    /// Ten steps 0.5-5 req/s breaking at the last, as in the shipped sample; pods 1 → 5.
    fn stress() -> (StressReport, ScalingReport) {
        let steps: Vec<StressStep> = (1..=10)
            .map(|i| {
                let rate = f64::from(i) * 0.5;
                StressStep {
                    target_rps: rate,
                    requests: Figure::known(60.0, "requests", "test"),
                    duration: Figure::known(60.0, "s", "test"),
                    achieved_rps: Figure::known(rate, "req/s", "test"),
                    answered_rps: Figure::known(rate, "req/s", "test"),
                    drain: Figure::known(0.0, "s", "test"),
                    success_rate: Figure::known(if i < 10 { 100.0 } else { 80.0 }, "%", "test"),
                    avg: Figure::known(if i < 9 { 2.5 } else { 9.75 }, "s", "test"),
                    status: crate::analyze::stress::StepStatus::Good,
                    rules: Vec::new(),
                }
            })
            .collect();
        let mut scaling = super::super::scaling::tests::report(Vec::new(), Vec::new());
        scaling.phase_pods = steps
            .iter()
            .enumerate()
            .map(|(i, st)| PhasePods {
                test: "Stress".into(),
                phase: crate::analyze::step_name(st.target_rps),
                start: t0(),
                end: t0(),
                pods_at_start: None,
                pods_min: None,
                pods_max: Some((i as u32 + 1).min(5)),
                cpu_mean_pct: None,
            })
            .collect();
        let none = || Figure::unavailable("req/s", "not in this test");
        let report = StressReport {
            label: "Stress".into(),
            source: String::new(),
            criteria: crate::analyze::stress::Criteria::SCRIPTS,
            steps,
            breaking_point: Figure::known(5.0, "req/s", "test"),
            max_tested: none(),
            max_stable_target: none(),
            max_stable_achieved: none(),
            crash: None,
            notes: Vec::new(),
        };
        (report, scaling)
    }

    #[test]
    fn the_legend_leaves_the_breaking_point_line_and_last_steps_visible() {
        let (s, scaling) = stress();
        let (image, layout) = Image::draw((1920, 1080), |area, sizes| {
            stress_curve(area, sizes, &s, Some(&scaling))
        });
        for plot in &layout.plots {
            assert!(disjoint(plot, &layout.legend), "{layout:?}");
        }
        // The dashed breaking-point line shows in every 40 px band of the curve panel's
        // height (dash 14 px + gap 8 px), the bottom quarter included, where a legend was.
        let (xs, ys) = layout.plots[0].clone();
        let mut band = ys.start;
        while band + 40 <= ys.end {
            let region = (xs.clone(), band..band + 40);
            assert!(
                image.count(&region, BREAK_COLOR, 10) > 10,
                "breaking-point line hidden at y {band}..{}",
                band + 40
            );
            band += 40;
        }
        // The last step's latency point (5 req/s, 9.75 s) is drawn in full in the right part.
        let right = (xs.end - (xs.end - xs.start) / 5..xs.end, ys.clone());
        assert!(image.count(&right, LATENCY_COLOR, 10) > 150);
        assert!(
            image.count(&layout.legend, POD_COLOR, 10) > 200,
            "no pods swatch"
        );
    }

    #[test]
    fn pods_have_a_panel_of_their_own() {
        let (s, scaling) = stress();
        let (image, layout) = Image::draw((1920, 1080), |area, sizes| {
            stress_curve(area, sizes, &s, Some(&scaling))
        });
        assert_eq!(layout.plots.len(), 2, "{layout:?}");
        let (curve, pods) = (&layout.plots[0], &layout.plots[1]);
        assert!(disjoint(curve, pods));
        assert_eq!(
            image.count(curve, POD_COLOR, 10),
            0,
            "pod bars on the latency axes"
        );
        // The 5-pod bars reach 5/6 of the pods panel (its axis ends at 6 pods).
        let bar_x = {
            let (xs, _) = pods;
            // The last step's bar: 5 req/s of 5.5 on the axis.
            xs.start + ((xs.end - xs.start) as f64 * 5.0 / 5.5) as i32
        };
        let tops: Vec<i32> = pods
            .1
            .clone()
            .filter(|&y| {
                let p = image.at(bar_x + 6, y);
                p.0.abs_diff(POD_COLOR.0) <= 10
                    && p.1.abs_diff(POD_COLOR.1) <= 10
                    && p.2.abs_diff(POD_COLOR.2) <= 10
            })
            .collect();
        let height = (pods.1.end - pods.1.start) as f64;
        let top = *tops.first().expect("a bar at 5 req/s");
        let expected = pods.1.start as f64 + height / 6.0;
        assert!(
            (f64::from(top) - expected).abs() <= 3.0,
            "bar top {top}, expected {expected}"
        );
    }

    #[test]
    fn soak_memory_is_each_pods_own_never_their_sum() {
        const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
        let at = |s: i64| t0() + chrono::TimeDelta::seconds(s);
        let series = |pod: &str, readings: &[(i64, f64)]| PodMemorySeries {
            pod: pod.into(),
            points: readings.iter().map(|(s, g)| (at(*s), g * GIB)).collect(),
        };
        let pods = [
            // One reading before the soak: not on the chart.
            series(
                "llm-7c9d-aaaaa",
                &[(-30, 3.0), (0, 3.7), (60, 3.7), (150, 3.7)],
            ),
            // Added by a scale-up one minute in.
            series("llm-7c9d-bbbbb", &[(60, 3.6), (120, 3.6)]),
            // Never read during the soak.
            series("llm-7c9d-ccccc", &[(400, 1.0)]),
        ];
        let soak = ClockPhase {
            test: "Soak".into(),
            name: "Soak".into(),
            start: at(0),
            end: at(180),
            target_rps: None,
            source: String::new(),
        };
        let lines = memory_per_pod(&pods, &soak, Some(at(0)));
        let gib = |pts: &Points| pts.iter().map(|(x, b)| (*x, b / GIB)).collect::<Points>();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].0, "…aaaaa");
        assert_eq!(gib(&lines[0].1), [(1.0, 3.7), (2.0, 3.7), (3.5, 3.7)]);
        assert_eq!(lines[1].0, "…bbbbb");
        assert_eq!(gib(&lines[1].1), [(2.0, 3.6), (3.0, 3.6)]);
        // The highest value drawn is one pod's 3.7 GiB, not the pods' 7.3 GiB.
        let peak = lines
            .iter()
            .flat_map(|(_, p)| p.iter().map(|p| p.1 / GIB))
            .fold(0.0, f64::max);
        assert_eq!(peak, 3.7);
    }

    #[test]
    fn the_soak_chart_draws_one_memory_line_per_pod_with_the_legend_outside() {
        let (image, layout) = Image::draw((1920, 1080), |area, sizes| {
            let s = soak_report();
            let mut scaling = super::super::scaling::tests::report(Vec::new(), Vec::new());
            scaling.pod_memory = vec![
                PodMemorySeries {
                    pod: "llm-a".into(),
                    points: (0..10)
                        .map(|m| (soak_start(m * 60), 3.7 * 1024.0 * MIB))
                        .collect(),
                },
                PodMemorySeries {
                    pod: "llm-b".into(),
                    points: (2..10)
                        .map(|m| (soak_start(m * 60), 3.6 * 1024.0 * MIB))
                        .collect(),
                },
            ];
            let phase = soak_phase();
            soak_stability(area, sizes, &s, Some(&scaling), Some(&phase))
        });
        assert!(disjoint(&layout.plots[0], &layout.legend));
        for colour in &POD_COLORS[..2] {
            assert!(
                image.count(&layout.plots[0], *colour, 10) > 500,
                "{colour:?}"
            );
            assert!(image.count(&layout.legend, *colour, 10) > 50, "{colour:?}");
        }
    }

    fn soak_start(s: i64) -> DateTime<Utc> {
        t0() + chrono::TimeDelta::seconds(s)
    }

    fn soak_phase() -> ClockPhase {
        ClockPhase {
            test: "Soak".into(),
            name: "Soak".into(),
            start: soak_start(0),
            end: soak_start(600),
            target_rps: None,
            source: String::new(),
        }
    }

    fn soak_report() -> SoakReport {
        use crate::analyze::windows::WindowRow;
        let none = || Figure::unavailable("s", "not in this test");
        SoakReport {
            label: "Soak".into(),
            source: String::new(),
            interrupted: false,
            target_rps: none(),
            duration_minutes: none(),
            overall: None,
            minutes: Vec::new(),
            minutes_source: String::new(),
            clock_minutes: (0..10)
                .map(|m| WindowRow {
                    start: soak_start(m * 60),
                    offset_s: (m * 60) as f64,
                    requests: 60,
                    successful: 60,
                    completed_per_s: 1.0,
                    avg: Some(2.5),
                    p50: Some(2.5),
                    p95: Some(2.6),
                    p99: Some(2.7),
                })
                .collect(),
            stable: None,
            verdict: crate::analyze::soak::SoakVerdict::NoMinutes,
        }
    }
}
