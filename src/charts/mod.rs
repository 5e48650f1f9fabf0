//! Charts: PNG files (default 1920×1080, for slides) drawn with plotters from the analysis. A
//! chart without data is not drawn; its outcome says why, and the report repeats it.

pub mod bars;
pub mod curves;
pub mod lines;
pub mod overlay;
pub mod scaling;
pub mod theme;
pub mod timeline;
pub mod ttft;
pub mod validate;

use std::path::Path;

use plotters::prelude::*;
use serde::Serialize;

use crate::analyze::Analysis;
use crate::analyze::figure::Figure;
use crate::analyze::scenarios::ScenarioRow;
use crate::render::format;
use bars::{GroupedBars, Series};
use lines::{Line, LineChart};
use theme::Sizes;

#[cfg(test)]
mod tests {

    #[test]
    fn replicas_are_steps_from_the_reading_in_force_at_the_origin() {
        use crate::analyze::scaling::HpaPoint;
        let t0: chrono::DateTime<chrono::Utc> = "2026-11-20T14:00:00Z".parse().unwrap();
        let point = |s: i64, c: u32| HpaPoint {
            t: t0 + chrono::TimeDelta::seconds(s),
            current: Some(c),
            desired: Some(c),
            cpu_pct: None,
        };
        let hpa = [point(-20, 1), point(-5, 2), point(10, 3), point(60, 1)];
        // At the origin 2 pods were in force (reading at −5 s); 3 from 10 s; the 60 s reading is past the end.
        assert_eq!(
            super::replicas_between(&hpa, t0, 30.0),
            vec![(0.0, 2.0), (10.0, 2.0), (10.0, 3.0), (30.0, 3.0)]
        );
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChartOutcome {
    pub file: String,
    pub title: String,
    /// None when drawn; else why not.
    pub not_drawn: Option<String>,
    pub caption: String,
}

fn secs(v: f64) -> String {
    format::seconds(v)
}
fn pct1(v: f64) -> String {
    format::percent(v)
}
fn rate(v: f64) -> String {
    format::significant(v)
}

/// Draws every chart the analysis supports into `dir`.
pub fn draw_all(analysis: &Analysis, dir: &Path, size: (u32, u32)) -> Vec<ChartOutcome> {
    theme::register_fonts();
    let mut out = vec![
        latency_comparison(analysis, dir, size),
        throughput(analysis, dir, size),
        success(analysis, dir, size),
    ];
    out.push(spike_phases(analysis, dir, size));
    out.push(stress_steps(analysis, dir, size));
    out.push(soak_minutes(analysis, dir, size));
    out.extend(latency_over_time(analysis, dir, size));
    // Sessions without streamed requests have no such chart (the streaming section says why).
    if !analysis.streaming.rows().is_empty() {
        out.push(ttft::ttft_over_time(analysis, dir, size));
    }
    out.extend(cluster_charts(analysis, dir, size));
    out.push(stress_curve(analysis, dir, size));
    out.push(soak_stability(analysis, dir, size));
    out
}

fn outcome(
    file: &str,
    title: &str,
    result: Result<(), String>,
    caption: String,
    not_drawn: Option<String>,
) -> ChartOutcome {
    let not_drawn = match (not_drawn, result) {
        (Some(why), _) => Some(why),
        (None, Err(e)) => Some(format!("drawing failed: {e}")),
        (None, Ok(())) => None,
    };
    ChartOutcome {
        file: file.into(),
        title: title.into(),
        not_drawn,
        caption,
    }
}

fn png<F>(dir: &Path, file: &str, size: (u32, u32), draw: F) -> Result<(), String>
where
    F: FnOnce(&DrawingArea<BitMapBackend, plotters::coord::Shift>, Sizes) -> Result<(), String>,
{
    let path = dir.join(file);
    let drawn = {
        let root = BitMapBackend::new(&path, size).into_drawing_area();
        root.fill(&theme::BACKGROUND)
            .map_err(|e| e.to_string())
            .and_then(|()| draw(&root, Sizes::for_height(size.1)))
            .and_then(|()| {
                root.present()
                    .map_err(|e| format!("{}: {e}", path.display()))
            })
    };
    // A chart that failed halfway is not left behind looking like a drawn one.
    if drawn.is_err() {
        let _ = std::fs::remove_file(&path);
    }
    drawn
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

/// A chart drawn from `subject` when there is one and its data pass `check`, else listed as
/// not drawn with `missing` or the check's reason.
fn chart_of<T>(
    (dir, size): (&Path, (u32, u32)),
    (file, title): (&str, &str),
    (subject, missing): (Option<T>, &str),
    check: impl FnOnce(&T) -> Result<(), String>,
    caption: impl FnOnce(&T) -> String,
    draw: impl FnOnce(&Area, Sizes, &T) -> Result<(), String>,
) -> ChartOutcome {
    let Some(subject) = subject else {
        return outcome(file, title, Ok(()), String::new(), Some(missing.into()));
    };
    if let Err(why) = check(&subject) {
        return outcome(file, title, Ok(()), caption(&subject), Some(why));
    }
    let result = png(dir, file, size, |area, sizes| draw(area, sizes, &subject));
    outcome(file, title, result, caption(&subject), None)
}

fn bar_chart(
    dir: &Path,
    file: &str,
    size: (u32, u32),
    spec: GroupedBars,
    caption: String,
    missing: &str,
) -> ChartOutcome {
    let title = spec.title.to_string();
    if !spec.has_data() {
        return outcome(file, &title, Ok(()), caption, Some(missing.to_string()));
    }
    if let Err(why) = validate::bars(&spec) {
        return outcome(file, &title, Ok(()), caption, Some(why));
    }
    let result = png(dir, file, size, |area, sizes| spec.draw(area, sizes));
    outcome(file, &title, result, caption, None)
}

/// One figure of every scenario row as a bar series.
fn scenario_series(a: &Analysis, name: &str, pick: fn(&ScenarioRow) -> &Figure) -> Series {
    Series {
        name: name.into(),
        values: a.scenarios.iter().map(|r| pick(r).value).collect(),
    }
}

fn scenario_groups(a: &Analysis) -> Vec<String> {
    a.scenarios
        .iter()
        .map(|r| format!("{}: {}", r.test, r.name))
        .collect()
}

fn latency_comparison(a: &Analysis, dir: &Path, size: (u32, u32)) -> ChartOutcome {
    let spec = GroupedBars {
        title: "Latency by scenario",
        y_label: "latency (s)",
        groups: scenario_groups(a),
        series: vec![
            scenario_series(a, "average", |r| &r.avg),
            scenario_series(a, "p50", |r| &r.p50),
            scenario_series(a, "p95", |r| &r.p95),
            scenario_series(a, "p99", |r| &r.p99),
        ],
        format: secs,
        y_max: None,
    };
    let caption = "Average, p50, p95 and p99 latency of successful requests per scenario; missing bars are figures the inputs do not hold (see the table).".into();
    bar_chart(
        dir,
        "latency_comparison.png",
        size,
        spec,
        caption,
        "no scenario has latency figures",
    )
}

fn throughput(a: &Analysis, dir: &Path, size: (u32, u32)) -> ChartOutcome {
    let spec = GroupedBars {
        title: "Throughput by scenario",
        y_label: "successful requests per second",
        groups: scenario_groups(a),
        series: vec![scenario_series(a, "req/s", |r| &r.requests_per_s)],
        format: rate,
        y_max: None,
    };
    bar_chart(
        dir,
        "throughput_comparison.png",
        size,
        spec,
        "Successful requests per second of each scenario.".into(),
        "no scenario has a measured duration",
    )
}

fn success(a: &Analysis, dir: &Path, size: (u32, u32)) -> ChartOutcome {
    let spec = GroupedBars {
        title: "Success rate by scenario",
        y_label: "successful requests (%)",
        groups: scenario_groups(a),
        series: vec![scenario_series(a, "success", |r| &r.success_rate)],
        format: pct1,
        y_max: Some(112.0),
    };
    bar_chart(
        dir,
        "success_rate.png",
        size,
        spec,
        "Share of requests that succeeded, per scenario.".into(),
        "no scenario has request counts",
    )
}

fn spike_phases(a: &Analysis, dir: &Path, size: (u32, u32)) -> ChartOutcome {
    let phases: Vec<(String, &crate::analyze::spike::SpikePhase)> = a
        .spikes
        .iter()
        .flat_map(|s| {
            s.phases
                .iter()
                .map(move |p| (format!("{}: {}", s.label, p.name), p))
        })
        .collect();
    let spec = GroupedBars {
        title: "Spike test: latency per phase",
        y_label: "latency (s)",
        groups: phases.iter().map(|(n, _)| n.clone()).collect(),
        series: vec![
            Series {
                name: "average".into(),
                values: phases.iter().map(|(_, p)| p.row.avg.value).collect(),
            },
            Series {
                name: "p95".into(),
                values: phases.iter().map(|(_, p)| p.row.p95.value).collect(),
            },
        ],
        format: secs,
        y_max: None,
    };
    let caption = a
        .spikes
        .first()
        .map(crate::render::spike_words::headline)
        .unwrap_or_default();
    bar_chart(
        dir,
        "spike_phases.png",
        size,
        spec,
        caption,
        "no spike test in this session",
    )
}

fn stress_steps(a: &Analysis, dir: &Path, size: (u32, u32)) -> ChartOutcome {
    let file = "stress_steps.png";
    let title = "Stress test: target vs achieved rate, and latency per step";
    let Some(stress) = a.stresses.iter().find(|s| !s.steps.is_empty()) else {
        let why = if a.stresses.is_empty() {
            "no stress test in this session"
        } else {
            "the stress test's per-step figures are only in its console log, which is missing"
        };
        return outcome(file, title, Ok(()), String::new(), Some(why.into()));
    };
    let groups: Vec<String> = stress
        .steps
        .iter()
        .map(|s| bars::rate_label(s.target_rps))
        .collect();
    let rates = GroupedBars {
        title: &format!("{}: requests per second, target vs achieved", stress.label),
        y_label: "req/s",
        groups: groups.clone(),
        series: vec![
            Series {
                name: "target".into(),
                values: stress.steps.iter().map(|s| Some(s.target_rps)).collect(),
            },
            Series {
                name: "achieved (sent / step duration)".into(),
                values: stress.steps.iter().map(|s| s.achieved_rps.value).collect(),
            },
        ],
        format: rate,
        y_max: None,
    };
    let latency = GroupedBars {
        title: "average latency and success rate per step",
        y_label: "latency (s)",
        groups: stress
            .steps
            .iter()
            .map(|s| bars::rate_and_success_label(s.target_rps, s.success_rate.value))
            .collect(),
        series: vec![Series {
            name: "average latency".into(),
            values: stress.steps.iter().map(|s| s.avg.value).collect(),
        }],
        format: secs,
        y_max: None,
    };
    if let Err(why) = validate::bars(&rates).and_then(|()| validate::bars(&latency)) {
        return outcome(
            file,
            title,
            Ok(()),
            crate::render::stress_words::headline(stress),
            Some(why),
        );
    }
    let result = png(dir, file, size, |area, sizes| {
        let (top, bottom) = area.split_vertically(size.1 / 2);
        rates.draw(&top, sizes)?;
        latency.draw(&bottom, sizes)
    });
    outcome(
        file,
        title,
        result,
        crate::render::stress_words::headline(stress),
        None,
    )
}

fn soak_minutes(a: &Analysis, dir: &Path, size: (u32, u32)) -> ChartOutcome {
    let file = "soak_per_minute.png";
    let title = "Soak test: latency per minute";
    let Some(soak) = a.soaks.iter().find(|s| !s.minutes.is_empty()) else {
        let why = if a.soaks.is_empty() {
            "no soak test in this session"
        } else {
            "the soak test has no per-minute figures (interrupted, or no file)"
        };
        return outcome(file, title, Ok(()), String::new(), Some(why.into()));
    };
    let points = |f: fn(&crate::analyze::soak::SoakMinute) -> &Figure| {
        soak.minutes
            .iter()
            .filter_map(|m| f(m).value.map(|v| (f64::from(m.minute), v)))
            .collect()
    };
    let mean = soak.overall.as_ref().and_then(|o| o.avg.value);
    let chart = LineChart {
        title: &format!(
            "{}: latency per minute (blocks of requests, as the script counts them)",
            soak.label
        ),
        x_label: "minute",
        y_label: "latency (s)",
        lines: vec![
            Line {
                name: "average".into(),
                points: points(|m| &m.avg),
                dashed: false,
            },
            Line {
                name: "p95".into(),
                points: points(|m| &m.p95),
                dashed: true,
            },
        ],
        band: mean.map(|m| (m * 0.9, m * 1.1, "±10 % of the overall average".to_string())),
    };
    if let Err(why) = validate::lines(&chart) {
        return outcome(
            file,
            title,
            Ok(()),
            crate::render::soak_words::verdict(&soak.verdict),
            Some(why),
        );
    }
    let result = png(dir, file, size, |area, sizes| chart.draw(area, sizes));
    outcome(
        file,
        title,
        result,
        crate::render::soak_words::verdict(&soak.verdict),
        None,
    )
}

fn latency_over_time(a: &Analysis, dir: &Path, size: (u32, u32)) -> Vec<ChartOutcome> {
    let title = "Latency over time";
    if a.timelines.is_empty() {
        return vec![outcome(
            "latency_over_time.png",
            title,
            Ok(()),
            String::new(),
            Some(
                "no per-request records: the scripts strip all_results unless told to keep them"
                    .into(),
            ),
        )];
    }
    let files = timeline::timeline_files(a.timelines.iter().map(|t| t.label.as_str()));
    a.timelines
        .iter()
        .zip(files)
        .map(|(t, file)| {
            let boundaries = timeline::phase_boundaries(t, &a.phases);
            let pts = |f: fn(&crate::analyze::windows::WindowRow) -> Option<f64>| {
                t.windows
                    .iter()
                    .filter_map(|w| f(w).map(|v| (w.offset_s, v)))
                    .collect()
            };
            let latency = LineChart {
                title: &format!(
                    "{}: latency per {} s window (by request end time)",
                    t.label, t.window_s
                ),
                x_label: "seconds from the first window",
                y_label: "latency (s)",
                lines: vec![
                    Line {
                        name: "p50".into(),
                        points: pts(|w| w.p50),
                        dashed: false,
                    },
                    Line {
                        name: "p95".into(),
                        points: pts(|w| w.p95),
                        dashed: false,
                    },
                    Line {
                        name: "p99".into(),
                        points: pts(|w| w.p99),
                        dashed: true,
                    },
                ],
                band: None,
            };
            let mut lower = vec![Line {
                name: "completed/s".into(),
                points: t
                    .windows
                    .iter()
                    .map(|w| (w.offset_s, w.completed_per_s))
                    .collect(),
                dashed: false,
            }];
            let replicas = replica_steps(a, t);
            if !replicas.is_empty() {
                lower.push(Line {
                    name: "pods (HPA currentReplicas)".into(),
                    points: replicas,
                    dashed: true,
                });
            }
            let completed = LineChart {
                title: "requests completed per second, and pods",
                x_label: "seconds from the first window",
                y_label: "req/s · pods",
                lines: lower,
                band: None,
            };
            let checked = validate::lines(&latency).and_then(|()| validate::lines(&completed));
            let result = checked.and_then(|()| {
                png(dir, &file, size, |area, sizes| {
                    let (top, bottom) = area.split_vertically(size.1 * 3 / 5);
                    latency.draw_marked(&top, sizes, &boundaries, true)?;
                    completed.draw_marked(&bottom, sizes, &boundaries, false)
                })
            });
            let caption = format!(
                "Exact p50/p95/p99 per {} s window from {} per-request records ({}).",
                t.window_s,
                t.windows.iter().map(|w| w.requests).sum::<u64>(),
                t.source
            );
            outcome(
                &file,
                &format!("{title}: {}", t.label),
                result,
                caption,
                None,
            )
        })
        .collect()
}

const NO_CLUSTER: &str = "needs a cluster recording (`report collect`); this session has none";

fn cluster_charts(a: &Analysis, dir: &Path, size: (u32, u32)) -> Vec<ChartOutcome> {
    let Some(s) = a.scaling.as_ref() else {
        return [
            "scaling_timeline.png",
            "cpu_by_replicas.png",
            "pod_memory.png",
        ]
        .iter()
        .map(|f| outcome(f, f, Ok(()), String::new(), Some(NO_CLUSTER.into())))
        .collect();
    };
    let timeline = chart_of(
        (dir, size),
        ("scaling_timeline.png", "Scaling timeline"),
        (
            (!s.hpa.is_empty()).then_some(s),
            "no HPA readings (hpa.jsonl)",
        ),
        |s| validate::scaling_timeline(s, &a.phases),
        |s| crate::render::scaling_words::headline(s),
        |area, sizes, s| scaling::scaling_timeline(area, sizes, s, &a.phases).map(drop),
    );
    let cpu = bar_chart(
        dir,
        "cpu_by_replicas.png",
        size,
        scaling::cpu_by_replicas(s),
        "Mean and p95 of the HPA's CPU reading at each replica count.".into(),
        "no HPA reading with a CPU metric",
    );
    let memory = chart_of(
        (dir, size),
        ("pod_memory.png", "Memory per pod"),
        (scaling::pod_memory(s), "no pod metrics (pod_metrics.jsonl)"),
        validate::lines,
        |_| "Each pod's memory as metrics-server reported it.".into(),
        |area, sizes, chart| chart.draw(area, sizes),
    );
    vec![timeline, cpu, memory]
}

fn stress_curve(a: &Analysis, dir: &Path, size: (u32, u32)) -> ChartOutcome {
    chart_of(
        (dir, size),
        ("stress_curve.png", "Stress test: degradation curve"),
        (
            a.stresses
                .iter()
                .find(|s| s.steps.iter().any(|st| st.avg.is_known())),
            "no stress step with latency figures (they are only in the console log)",
        ),
        |stress| validate::stress_curve(stress),
        |stress| crate::render::stress_words::headline(stress),
        |area, sizes, stress| {
            curves::stress_curve(area, sizes, stress, a.scaling.as_ref()).map(drop)
        },
    )
}

fn soak_stability(a: &Analysis, dir: &Path, size: (u32, u32)) -> ChartOutcome {
    chart_of(
        (dir, size),
        ("soak_stability.png", "Soak test: stability per minute"),
        (
            a.soaks
                .iter()
                .find(|s| !s.minutes.is_empty() || !s.clock_minutes.is_empty()),
            "no soak test with per-minute figures",
        ),
        |soak| validate::soak_stability(soak, a.scaling.as_ref()),
        |soak| crate::render::soak_words::verdict(&soak.verdict),
        |area, sizes, soak| {
            let phase = a.phases.iter().find(|p| p.test == soak.label);
            curves::soak_stability(area, sizes, soak, a.scaling.as_ref(), phase).map(drop)
        },
    )
}

/// The HPA's current replicas as steps over a timeline's span, when the session recorded the
/// cluster during it.
fn replica_steps(a: &Analysis, t: &crate::analyze::Timeline) -> Vec<(f64, f64)> {
    let (Some(s), Some(first), Some(last)) =
        (a.scaling.as_ref(), t.windows.first(), t.windows.last())
    else {
        return Vec::new();
    };
    replicas_between(&s.hpa, first.start, last.offset_s + t.window_s as f64)
}

/// Replicas as steps with x in seconds from `origin` up to `end_s`: the reading in force at the
/// origin, then every reading inside the span.
fn replicas_between(
    hpa: &[crate::analyze::scaling::HpaPoint],
    origin: chrono::DateTime<chrono::Utc>,
    end_s: f64,
) -> Vec<(f64, f64)> {
    let points = crate::analyze::compare::overlay::readings_between(hpa, origin, end_s, |p| {
        p.current.map(f64::from)
    });
    scaling::steps(&points, end_s)
}
