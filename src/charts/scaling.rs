//! Cluster charts: the scaling timeline (replicas as steps, CPU against its target on a second
//! axis, test phases as labelled bands, scale decisions as markers), CPU per pod count, and each
//! pod's memory over time.

use chrono::{DateTime, Utc};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::bars::{GroupedBars, Series};
use super::lines::{Line, LineChart};
use super::theme::{
    FONT, GRID, INK, Layout, LegendEntry, PALETTE, Sizes, Swatch, chart_builder, legend_below,
    style_mesh,
};
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
) -> Result<Layout, String> {
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
    let (area, legend) = legend_below(area, sizes, &timeline_legend(s, !phases.is_empty()))?;
    let mut chart = chart_builder(
        &area,
        "Scaling timeline: replicas, CPU and test phases",
        sizes,
        3,
    )
    .right_y_label_area_size(sizes.label * 4)
    .build_cartesian_2d(axis(0.0, end)?, axis(0.0, max_pods)?)
    .map_err(err)?
    .set_secondary_coord(axis(0.0, end)?, axis(0.0, cpu_top)?);
    let mut mesh = chart.configure_mesh();
    style_mesh(&mut mesh, sizes);
    // Time ticks are drawn below at round clock times; plotters would put them at round offsets.
    mesh.x_desc("time (UTC)")
        .y_desc("pods")
        .disable_x_mesh()
        .x_labels(0)
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
    let (base_x, base_y) = area.get_base_pixel();
    let ticks = clock_ticks(origin, end, 10);
    let tick_style = (FONT, sizes.tick)
        .into_font()
        .color(&INK)
        .pos(Pos::new(HPos::Center, VPos::Top));
    for x in &ticks.offsets {
        chart
            .draw_series(LineSeries::new([(*x, 0.0), (*x, max_pods)], GRID))
            .map_err(err)?;
        let (px, py) = chart.backend_coord(&(*x, 0.0));
        let (px, py) = (px - base_x, py - base_y);
        area.draw(&PathElement::new(vec![(px, py), (px, py + 6)], INK))
            .map_err(err)?;
        area.draw(&Text::new(
            ticks.label(origin, *x),
            (px, py + 10),
            tick_style.clone(),
        ))
        .map_err(err)?;
    }
    for (i, p) in phases.iter().enumerate() {
        let (x0, x1) = (at(p.start, origin), at(p.end, origin));
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x0, 0.0), (x1, max_pods)],
                band_shade(i).filled(),
            )))
            .map_err(err)?;
    }
    let label_font = (FONT, sizes.value).into_font().color(&INK);
    let label_style = label_font.pos(Pos::new(HPos::Left, VPos::Top));
    // Boxes already used in the plot (phase labels, markers), in image pixels.
    let mut taken: Vec<LabelBox> = Vec::new();
    let (plot_x, plot_y) = chart.plotting_area().get_pixel_range();
    for (i, (start, label)) in phase_labels(phases).into_iter().enumerate() {
        // Labels staggered over three rows so neighbouring short spans do not overprint.
        let (w, h) = area.estimate_text_size(&label, &label_font).map_err(err)?;
        let (px, _) = chart.backend_coord(&(at(start, origin), 0.0));
        let top = plot_y.start + 4 + (i % 3) as i32 * (h as i32 + 4);
        taken.push((px, top, w as i32, h as i32));
        area.draw(&Text::new(
            label,
            (px - base_x, top - base_y),
            label_style.clone(),
        ))
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
    for (pts, color) in [
        (series(|p| p.current), PALETTE[0]),
        (series(|p| p.desired), PALETTE[1]),
    ] {
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(stroke + 1)))
            .map_err(err)?;
    }
    // A plain line: HPA readings come every few seconds, and a dot at each would hide the line.
    let cpu = s
        .hpa
        .iter()
        .filter_map(|p| p.cpu_pct.map(|c| (at(p.t, origin), c)));
    chart
        .draw_secondary_series(LineSeries::new(cpu, CPU_COLOR.stroke_width(stroke)))
        .map_err(err)?;
    if let Some(t) = s.cpu_target_pct {
        chart
            .draw_secondary_series(DashedLineSeries::new(
                [(0.0, t), (end, t)],
                14,
                8,
                TARGET_COLOR.stroke_width(stroke),
            ))
            .map_err(err)?;
    }
    let marker_px = sizes.value as i32 / 2 + 4;
    let marks: Vec<((f64, f64), String)> = s
        .decisions
        .iter()
        .map(|d| {
            (
                (at(d.at, origin), f64::from(d.to)),
                format!("{}→{}", crate::render::scaling_words::size(d.from), d.to),
            )
        })
        .collect();
    chart
        .draw_series(
            marks
                .iter()
                .map(|(p, _)| TriangleMarker::new(*p, marker_px, TARGET_COLOR.filled())),
        )
        .map_err(err)?;
    let anchors: Vec<(i32, i32)> = marks.iter().map(|(p, _)| chart.backend_coord(p)).collect();
    taken.extend(
        anchors
            .iter()
            .map(|(x, y)| (x - marker_px, y - marker_px, 2 * marker_px, 2 * marker_px)),
    );
    let label_sizes = marks
        .iter()
        .map(|(_, t)| {
            let (w, h) = area.estimate_text_size(t, &label_font).map_err(err)?;
            Ok((w as i32, h as i32))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let bounds = (
        plot_x.start,
        plot_y.start,
        plot_x.end - plot_x.start,
        plot_y.end - plot_y.start,
    );
    let places = place_labels(&anchors, &label_sizes, bounds, &taken, marker_px);
    for ((_, text), place) in marks.iter().zip(places) {
        // A label with no free place is left out; the report's decision table lists them all.
        if let Some((x, y)) = place {
            area.draw(&Text::new(
                text.clone(),
                (x - base_x, y - base_y),
                label_style.clone(),
            ))
            .map_err(err)?;
        }
    }
    Ok(Layout {
        plots: vec![(plot_x, plot_y)],
        legend,
    })
}

const CPU_COLOR: RGBColor = PALETTE[2];
const TARGET_COLOR: RGBColor = PALETTE[3];

/// The shade of the `i`-th test phase band: three alternating light colours.
fn band_shade(i: usize) -> RGBAColor {
    PALETTE[(i % 3) + 4].mix(0.12)
}

fn timeline_legend(s: &ScalingReport, has_phases: bool) -> Vec<LegendEntry> {
    let mut entries = vec![
        LegendEntry::new("current replicas", Swatch::Line(PALETTE[0])),
        LegendEntry::new("desired replicas", Swatch::Line(PALETTE[1])),
        LegendEntry::new("CPU % (right axis)", Swatch::Line(CPU_COLOR)),
    ];
    if let Some(t) = s.cpu_target_pct {
        entries.push(LegendEntry::new(
            format!("CPU target {t:.0} %"),
            Swatch::Dashed(TARGET_COLOR),
        ));
    }
    entries.push(LegendEntry::new(
        "scale decision (from→to pods)",
        Swatch::Marker(TARGET_COLOR),
    ));
    if has_phases {
        entries.push(LegendEntry::new(
            "test phase or step (shaded band)",
            Swatch::Block(band_shade(0)),
        ));
    }
    entries
}

/// Round clock times for the time axis: every `step_s` seconds, at offsets from the origin.
#[derive(Debug, PartialEq)]
pub(crate) struct ClockTicks {
    pub step_s: i64,
    pub offsets: Vec<f64>,
}

impl ClockTicks {
    pub fn label(&self, origin: DateTime<Utc>, offset: f64) -> String {
        let t = origin + chrono::TimeDelta::milliseconds((offset * 1000.0).round() as i64);
        let format = if self.step_s >= 86_400 {
            "%Y-%m-%d"
        } else {
            "%H:%M:%S"
        };
        t.format(format).to_string()
    }
}

/// At most `most` + 1 ticks over `span_s` seconds from `origin`, at multiples of the shortest of
/// 1 s … 30 s, 1, 2, 5, 10, 15, 30 min, 1, 2, 3, 6, 12 h or whole days that keeps within `most`.
pub(crate) fn clock_ticks(origin: DateTime<Utc>, span_s: f64, most: usize) -> ClockTicks {
    const STEPS: [i64; 19] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200,
        86_400, 172_800,
    ];
    if !span_s.is_finite() || span_s <= 0.0 || most == 0 {
        return ClockTicks {
            step_s: 1,
            offsets: Vec::new(),
        };
    }
    let most_f = most as f64;
    let step_s = STEPS
        .iter()
        .copied()
        .find(|s| span_s / *s as f64 <= most_f)
        .unwrap_or_else(|| 86_400 * (span_s / 86_400.0 / most_f).ceil().min(1e12) as i64);
    let step_ms = i128::from(step_s) * 1000;
    let origin_ms = i128::from(origin.timestamp_millis());
    let first = (origin_ms + step_ms - 1).div_euclid(step_ms) * step_ms;
    let offsets = (0..=most as i128)
        .map(|k| (first + k * step_ms - origin_ms) as f64 / 1000.0)
        .take_while(|x| *x <= span_s)
        .collect();
    ClockTicks { step_s, offsets }
}

/// A label's box in image pixels: left, top, width, height.
type LabelBox = (i32, i32, i32, i32);

fn overlaps(a: LabelBox, b: LabelBox) -> bool {
    a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
}

/// Top-left corners for labels of `sizes` beside the markers at `anchors` (`clearance` pixels
/// from each): inside `bounds`, clear of `taken` and of each other. Each tries right then left of
/// its marker, above then below, then rows further out; None when no place is free.
pub(crate) fn place_labels(
    anchors: &[(i32, i32)],
    sizes: &[(i32, i32)],
    bounds: LabelBox,
    taken: &[LabelBox],
    clearance: i32,
) -> Vec<Option<(i32, i32)>> {
    let mut used: Vec<LabelBox> = taken.to_vec();
    let (left, top, width, height) = bounds;
    anchors
        .iter()
        .zip(sizes)
        .map(|(&(ax, ay), &(w, h))| {
            let fits = |x: i32, y: i32| {
                x >= left && y >= top && x + w <= left + width && y + h <= top + height
            };
            let candidates = (0..6).flat_map(|row| {
                let out = clearance + row * (h + 2);
                [ay - out - h, ay + out]
                    .into_iter()
                    .flat_map(move |y| [(ax + clearance / 2, y), (ax - clearance / 2 - w, y)])
            });
            let mut candidates = candidates.filter(|&(x, y)| fits(x, y));
            let place = candidates.find(|&(x, y)| !used.iter().any(|b| overlaps(*b, (x, y, w, h))));
            if let Some((x, y)) = place {
                used.push((x, y, w, h));
            }
            place
        })
        .collect()
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
pub(crate) fn shared_prefix(names: &[&str]) -> usize {
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
pub(crate) mod tests {
    use super::super::theme::pixels::{Image, disjoint, over_white};
    use super::*;
    use crate::analyze::figure::Figure;
    use crate::analyze::scaling::{Decision, HpaPoint};

    fn t0() -> DateTime<Utc> {
        "2026-11-20T21:42:56Z".parse().unwrap()
    }

    /// A scaling report holding only `hpa` and `decisions`, for charts to draw.
    pub(crate) fn report(hpa: Vec<HpaPoint>, decisions: Vec<Decision>) -> ScalingReport {
        let none = || Figure::unavailable("s", "not in this test");
        ScalingReport {
            min_replicas: Some(1),
            max_replicas: Some(5),
            cpu_target_pct: Some(70.0),
            max_pods: none(),
            time_at_max: none(),
            spike_test: None,
            next_test: None,
            first_up: None,
            time_to_scale_up: none(),
            scale_up_pods_ready: none(),
            scale_down_pods_deleted: none(),
            time_to_scale_down: none(),
            decisions,
            chains: Vec::new(),
            cpu_by_replicas: Vec::new(),
            phase_pods: Vec::new(),
            events: Vec::new(),
            restarts: Vec::new(),
            flags: Vec::new(),
            soak_memory: Vec::new(),
            memory_growth_mib_per_min: none(),
            pod_memory: Vec::new(),
            hpa,
        }
    }

    /// A reading every 5 s for 20 min: 1 pod, then 3 from 10 min, CPU steady at 50 %.
    fn steady_hpa() -> Vec<HpaPoint> {
        (0..240)
            .map(|i| {
                let pods = if i < 120 { 1 } else { 3 };
                HpaPoint {
                    t: t0() + chrono::TimeDelta::seconds(i * 5),
                    current: Some(pods),
                    desired: Some(pods),
                    cpu_pct: Some(50.0),
                }
            })
            .collect()
    }

    fn phase(name: &str, from_s: i64, to_s: i64) -> ClockPhase {
        ClockPhase {
            test: "Spike".into(),
            name: name.into(),
            start: t0() + chrono::TimeDelta::seconds(from_s),
            end: t0() + chrono::TimeDelta::seconds(to_s),
            target_rps: None,
            source: String::new(),
        }
    }

    #[test]
    fn time_ticks_fall_on_round_clock_times() {
        // 21:42:56 + 20 min: every 2 min from 21:44:00.
        let ticks = clock_ticks(t0(), 1200.0, 10);
        assert_eq!(ticks.step_s, 120);
        assert_eq!(ticks.offsets.first(), Some(&64.0));
        assert_eq!(ticks.offsets.len(), 10);
        let labels: Vec<String> = ticks
            .offsets
            .iter()
            .map(|x| ticks.label(t0(), *x))
            .collect();
        assert_eq!(labels[0], "21:44:00");
        assert_eq!(labels[9], "22:02:00");
        // 47 min: every 5 min; 90 s: every 10 s; 3 weeks: whole days, dated.
        assert_eq!(clock_ticks(t0(), 47.0 * 60.0, 10).step_s, 300);
        assert_eq!(clock_ticks(t0(), 90.0, 10).step_s, 10);
        let weeks = clock_ticks(t0(), 21.0 * 86_400.0, 10);
        assert_eq!(weeks.step_s, 3 * 86_400);
        assert_eq!(weeks.label(t0(), weeks.offsets[0]), "2026-11-21");
        // On a round time already: the first tick is the origin.
        let round: DateTime<Utc> = "2026-11-20T21:40:00Z".parse().unwrap();
        assert_eq!(clock_ticks(round, 600.0, 10).offsets[..2], [0.0, 60.0]);
        // Absurd spans give no ticks or few ticks, never a panic.
        assert!(clock_ticks(t0(), f64::NAN, 10).offsets.is_empty());
        assert!(clock_ticks(t0(), -5.0, 10).offsets.is_empty());
        assert!(clock_ticks(t0(), 1e300, 10).offsets.len() <= 11);
    }

    #[test]
    fn decision_labels_stay_inside_the_plot_and_apart() {
        let bounds = (100, 50, 900, 500); // x 100..1000, y 50..550
        // Three decisions close together at the right edge, one at the top.
        let anchors = [(990, 300), (995, 300), (998, 290), (600, 52)];
        let sizes = [(60, 24); 4];
        let marker = (590, 42, 20, 20);
        let places = place_labels(&anchors, &sizes, bounds, &[marker], 10);
        let boxes: Vec<LabelBox> = places
            .iter()
            .zip(sizes)
            .map(|(p, (w, h))| {
                let (x, y) = p.expect("room for every label");
                (x, y, w, h)
            })
            .collect();
        for (i, b) in boxes.iter().enumerate() {
            assert!(
                b.0 >= 100 && b.0 + b.2 <= 1000,
                "label {i} {b:?} crosses a side"
            );
            assert!(
                b.1 >= 50 && b.1 + b.3 <= 550,
                "label {i} {b:?} crosses top or bottom"
            );
            assert!(!overlaps(*b, marker), "label {i} {b:?} covers a marker");
            for (j, other) in boxes.iter().enumerate().skip(i + 1) {
                assert!(!overlaps(*b, *other), "labels {i} and {j} overlap");
            }
        }
        // The first label goes left of its marker (the right side has no room), above it.
        assert_eq!(boxes[0], (990 - 5 - 60, 300 - 10 - 24, 60, 24));
        // No room at all: left out, not overprinted.
        let tiny = place_labels(&[(20, 20); 3], &[(20, 20); 3], (0, 0, 20, 40), &[], 0);
        assert_eq!(tiny, [Some((0, 0)), Some((0, 20)), None]);
    }

    #[test]
    fn the_timeline_legend_explains_the_shaded_bands_outside_the_plot() {
        let s = report(steady_hpa(), Vec::new());
        let phases = [phase("Baseline", 0, 300), phase("Spike", 300, 600)];
        let (image, layout) = Image::draw((1920, 1080), |area, sizes| {
            scaling_timeline(area, sizes, &s, &phases)
        });
        for plot in &layout.plots {
            assert!(disjoint(plot, &layout.legend), "{layout:?}");
        }
        let shade = over_white(PALETTE[4], 0.12);
        assert!(
            image.count(&layout.legend, shade, 2) > 200,
            "no band swatch in the legend"
        );
        assert!(
            image.count(&layout.legend, CPU_COLOR, 10) > 50,
            "no CPU swatch"
        );
    }

    #[test]
    fn the_cpu_line_has_no_dot_at_each_sample() {
        let s = report(steady_hpa(), Vec::new());
        let (image, layout) = Image::draw((1920, 1080), |area, sizes| {
            scaling_timeline(area, sizes, &s, &[])
        });
        let (xs, ys) = layout.plots[0].clone();
        let stroke = (Sizes::for_height(1080).value / 6).max(2) as i32;
        // CPU is flat at 50 %: each column crosses the line in a run as thick as its stroke;
        // a dot at a sample makes the run as tall as the dot.
        let near = |p: RGBColor| {
            p.0.abs_diff(CPU_COLOR.0) <= 10
                && p.1.abs_diff(CPU_COLOR.1) <= 10
                && p.2.abs_diff(CPU_COLOR.2) <= 10
        };
        let mut tallest = 0;
        let mut columns = 0;
        for x in xs {
            let run = ys.clone().filter(|&y| near(image.at(x, y))).count() as i32;
            columns += usize::from(run > 0);
            tallest = tallest.max(run);
        }
        assert!(
            columns > 1000,
            "the CPU line is missing ({columns} columns)"
        );
        assert!(
            tallest <= stroke + 2,
            "{tallest} px tall: dots on the CPU line"
        );
    }

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
