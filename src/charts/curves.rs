//! Two-axis curves: the stress test's degradation curve (latency and success against the rate,
//! pods as bars, the breaking point marked) and the soak's stability (latency per minute, pods'
//! memory on the second axis).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::theme::{FONT, INK, PALETTE, Sizes, chart_builder, draw_legend_at, style_mesh};
use super::validate::axis;
use crate::analyze::scaling::ScalingReport;
use crate::analyze::soak::SoakReport;
use crate::analyze::stress::StressReport;

/// (x, y) points of one line.
type Points = Vec<(f64, f64)>;

fn line_legend(color: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], color.stroke_width(4))
}

pub fn stress_curve<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    sizes: Sizes,
    s: &StressReport,
    scaling: Option<&ScalingReport>,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let rates: Vec<f64> = s.steps.iter().map(|st| st.target_rps).collect();
    let x_max = rates.iter().fold(1.0_f64, |m, r| m.max(*r)) * 1.1;
    let lat_max = s
        .steps
        .iter()
        .filter_map(|st| st.avg.value)
        .fold(1.0_f64, f64::max)
        * 1.25;
    let pods: Vec<(f64, Option<u32>)> = s
        .steps
        .iter()
        .map(|st| {
            let name = crate::analyze::step_name(st.target_rps);
            (
                st.target_rps,
                scaling
                    .and_then(|sc| sc.during(&s.label, &name))
                    .and_then(|p| p.pods_max),
            )
        })
        .collect();
    let mut chart = chart_builder(area, &format!("{}: degradation curve", s.label), sizes, 3)
        .right_y_label_area_size(sizes.label * 4)
        .build_cartesian_2d(axis(0.0, x_max)?, axis(0.0, lat_max)?)
        .map_err(err)?
        .set_secondary_coord(axis(0.0, x_max)?, 0.0..110.0);
    let mut mesh = chart.configure_mesh();
    style_mesh(&mut mesh, sizes);
    mesh.x_desc("target rate (req/s)")
        .y_desc("average latency (s)")
        .x_label_formatter(&|v| crate::render::format::plain(*v))
        .draw()
        .map_err(err)?;
    chart
        .configure_secondary_axes()
        .y_desc("success (%) · pods × 10")
        .y_label_formatter(&|v| crate::render::format::plain(*v))
        .label_style((FONT, sizes.tick).into_font().color(&INK))
        .axis_desc_style((FONT, sizes.label).into_font().color(&INK))
        .draw()
        .map_err(err)?;
    // Pods as bars on the secondary axis, scaled ×10 so 1-10 pods read against 0-100.
    if pods.iter().any(|(_, p)| p.is_some()) {
        let bar = x_max * 0.012;
        let pod_color = PALETTE[4].mix(0.35);
        chart
            .draw_secondary_series(pods.iter().filter_map(|(r, p)| {
                p.map(|p| {
                    Rectangle::new(
                        [(r - bar, 0.0), (r + bar, f64::from(p) * 10.0)],
                        pod_color.filled(),
                    )
                })
            }))
            .map_err(err)?
            .label("pods (max in step) × 10, right axis")
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 8), (x + 24, y + 8)], pod_color.filled())
            });
    }
    let stroke = (sizes.value / 6).max(2);
    let latency: Vec<(f64, f64)> = s
        .steps
        .iter()
        .filter_map(|st| st.avg.value.map(|v| (st.target_rps, v)))
        .collect();
    chart
        .draw_series(LineSeries::new(
            latency.clone(),
            PALETTE[0].stroke_width(stroke),
        ))
        .map_err(err)?
        .label("average latency")
        .legend(line_legend(PALETTE[0]));
    chart
        .draw_series(
            latency
                .iter()
                .map(|p| Circle::new(*p, stroke + 3, PALETTE[0].filled())),
        )
        .map_err(err)?;
    let success: Vec<(f64, f64)> = s
        .steps
        .iter()
        .filter_map(|st| st.success_rate.value.map(|v| (st.target_rps, v)))
        .collect();
    chart
        .draw_secondary_series(LineSeries::new(
            success.clone(),
            PALETTE[2].stroke_width(stroke),
        ))
        .map_err(err)?
        .label("success % (right axis)")
        .legend(line_legend(PALETTE[2]));
    chart
        .draw_secondary_series(
            success
                .iter()
                .map(|p| Circle::new(*p, stroke + 3, PALETTE[2].filled())),
        )
        .map_err(err)?;
    if let Some(bp) = s.breaking_point.value {
        chart
            .draw_series(DashedLineSeries::new(
                [(bp, 0.0), (bp, lat_max)],
                14,
                8,
                PALETTE[3].stroke_width(stroke),
            ))
            .map_err(err)?
            .label(format!(
                "breaking point {} req/s",
                crate::render::format::plain(bp)
            ))
            .legend(line_legend(PALETTE[3]));
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
    draw_legend_at(&mut chart, sizes, SeriesLabelPosition::LowerRight)
}

pub fn soak_stability<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    sizes: Sizes,
    s: &SoakReport,
    scaling: Option<&ScalingReport>,
) -> Result<(), String> {
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
    let first_minute = s.clock_minutes.first().map(|w| w.start);
    let memory: Vec<(f64, f64)> = match (scaling, first_minute) {
        (Some(sc), Some(first)) => sc
            .soak_memory
            .iter()
            .map(|m| {
                (
                    (m.minute - first).num_minutes() as f64 + 1.0,
                    m.bytes / (1024.0 * 1024.0 * 1024.0),
                )
            })
            .collect(),
        (Some(sc), None) => sc
            .soak_memory
            .iter()
            .enumerate()
            .map(|(i, m)| (i as f64 + 1.0, m.bytes / (1024.0 * 1024.0 * 1024.0)))
            .collect(),
        _ => Vec::new(),
    };
    let x_max = avg
        .iter()
        .chain(&memory)
        .map(|p| p.0)
        .fold(1.0_f64, f64::max)
        + 0.5;
    let y_max = p95.iter().chain(&avg).map(|p| p.1).fold(0.1_f64, f64::max) * 1.25;
    let mem_max = memory.iter().map(|p| p.1).fold(0.1_f64, f64::max) * 1.25;
    let mut chart = chart_builder(
        area,
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
    chart
        .configure_secondary_axes()
        .y_desc(if memory.is_empty() {
            "pods' memory: not recorded (report collect)"
        } else {
            "pods' memory (GiB)"
        })
        .y_labels(if memory.is_empty() { 0 } else { 8 })
        .label_style((FONT, sizes.tick).into_font().color(&INK))
        .axis_desc_style((FONT, sizes.label).into_font().color(&INK))
        .y_label_formatter(&|v| crate::render::format::plain(*v))
        .draw()
        .map_err(err)?;
    let stroke = (sizes.value / 6).max(2);
    for (name, pts, color) in [
        ("average latency", avg, PALETTE[0]),
        ("p95 latency", p95, PALETTE[1]),
    ] {
        chart
            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(stroke)))
            .map_err(err)?
            .label(name)
            .legend(line_legend(color));
        chart
            .draw_series(
                pts.iter()
                    .map(|p| Circle::new(*p, stroke + 3, color.filled())),
            )
            .map_err(err)?;
    }
    if !memory.is_empty() {
        chart
            .draw_secondary_series(LineSeries::new(
                memory.clone(),
                PALETTE[5].stroke_width(stroke),
            ))
            .map_err(err)?
            .label("pods' memory (right axis)")
            .legend(line_legend(PALETTE[5]));
    }
    draw_legend_at(&mut chart, sizes, SeriesLabelPosition::LowerRight)
}
