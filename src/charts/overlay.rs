//! `report compare`'s overlay charts: per test, each session's latency p95 per window, pods
//! and CPU, aligned at the test's start. Session i has colour i of the palette in every chart
//! (a session without data keeps its colour and its place in the legend).

use std::path::Path;

use super::lines::{Line, LineChart};
use super::{ChartOutcome, outcome, png, scaling, timeline, validate};
use crate::analyze::compare::overlay::{Overlay, Series};

/// File of each test's overlay chart: `overlay_<test>.png`.
pub fn files(overlays: &[Overlay]) -> Vec<String> {
    timeline::timeline_files(overlays.iter().map(|o| o.test.as_str()))
        .into_iter()
        .map(|f| f.replacen("latency_over_time_", "overlay_", 1))
        .collect()
}

/// One chart per test.
pub fn draw_all(overlays: &[Overlay], dir: &Path, size: (u32, u32)) -> Vec<ChartOutcome> {
    super::theme::register_fonts();
    overlays
        .iter()
        .zip(files(overlays))
        .map(|(o, file)| draw(o, &file, dir, size))
        .collect()
}

fn panel<'a>(
    o: &Overlay,
    title: &'a str,
    y_label: &'a str,
    pick: impl Fn(&Series) -> Vec<(f64, f64)>,
) -> LineChart<'a> {
    LineChart {
        title,
        x_label: "seconds since the test's start",
        y_label,
        lines: o
            .series
            .iter()
            .map(|s| {
                let points = pick(s);
                let name = if points.is_empty() {
                    format!("{} (no data)", s.session)
                } else {
                    s.session.clone()
                };
                Line {
                    name,
                    points,
                    dashed: false,
                }
            })
            .collect(),
        band: None,
    }
}

fn draw(o: &Overlay, file: &str, dir: &Path, size: (u32, u32)) -> ChartOutcome {
    let title = format!("Compared: {}", o.test);
    let latency_title = format!("{}: latency p95 per window (window end)", o.test);
    let panels: Vec<LineChart> = [
        panel(o, &latency_title, "p95 latency (s)", |s| s.p95.clone()),
        panel(o, "pods (HPA currentReplicas)", "pods", |s| {
            let end = s.replicas.last().map_or(0.0, |p| p.0);
            scaling::steps(&s.replicas, end)
        }),
        panel(o, "CPU (HPA reading, % of request)", "CPU %", |s| {
            s.cpu.clone()
        }),
    ]
    .into_iter()
    .filter(LineChart::has_data)
    .collect();
    let caption = format!(
        "{}: each session's exact p95 per window, pods and CPU, in seconds since that session's start of the test; one colour per session in every chart.",
        o.test
    );
    if panels.is_empty() {
        let why = "no session has per-request records or HPA readings for this test";
        return outcome(file, &title, Ok(()), caption, Some(why.into()));
    }
    if let Err(why) = panels.iter().try_for_each(validate::lines) {
        return outcome(file, &title, Ok(()), caption, Some(why));
    }
    let result = png(dir, file, size, |area, sizes| {
        let parts = area.split_evenly((panels.len(), 1));
        panels
            .iter()
            .zip(&parts)
            .try_for_each(|(chart, part)| chart.draw(part, sizes))
    });
    outcome(file, &title, result, caption, None)
}
