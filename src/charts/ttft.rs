//! `ttft_over_time.png`: time to first token (p95 per clock window) of the streamed test with the
//! most requests, with the requests completed per second and the HPA's pods underneath, so
//! queueing while the autoscaler lags shows against the replicas.

use std::path::Path;

use super::lines::{Line, LineChart};
use super::{ChartOutcome, outcome, png, replicas_between, validate};
use crate::analyze::Analysis;
use crate::analyze::tokens::{StreamingReport, TtftTimeline};

pub const FILE: &str = "ttft_over_time.png";
const TITLE: &str = "Time to first token over time";

pub fn ttft_over_time(a: &Analysis, dir: &Path, size: (u32, u32)) -> ChartOutcome {
    let StreamingReport::Measured { timelines, .. } = &a.streaming else {
        let why = "no streamed requests (record with `report run --api openai-chat|openai-completions|tgi`)";
        return outcome(FILE, TITLE, Ok(()), String::new(), Some(why.into()));
    };
    let Some(t) = timelines
        .iter()
        .max_by_key(|t| t.windows.iter().map(|w| w.requests).sum::<u64>())
    else {
        return outcome(
            FILE,
            TITLE,
            Ok(()),
            String::new(),
            Some("no streamed requests".into()),
        );
    };
    let origin = t.windows.first().map_or(0, |w| w.start_us);
    let x = |start_us: i64| (start_us - origin) as f64 / 1e6;
    let top = LineChart {
        title: &format!(
            "{}: TTFT p95 per {} s window (by request end time)",
            t.test, t.window_s
        ),
        x_label: "seconds from the first window",
        y_label: "time to first token (s)",
        lines: vec![Line {
            name: "TTFT p95".into(),
            points: t
                .windows
                .iter()
                .filter_map(|w| w.p95_s.map(|v| (x(w.start_us), v)))
                .collect(),
            dashed: false,
        }],
        band: None,
    };
    let mut lower = vec![Line {
        name: "completed/s".into(),
        points: t
            .windows
            .iter()
            .map(|w| (x(w.start_us), w.requests as f64 / t.window_s as f64))
            .collect(),
        dashed: false,
    }];
    let pods = pods(a, t, origin);
    if !pods.is_empty() {
        lower.push(Line {
            name: "pods (HPA currentReplicas)".into(),
            points: pods,
            dashed: true,
        });
    }
    let bottom = LineChart {
        title: "requests completed per second, and pods",
        x_label: "seconds from the first window",
        y_label: "req/s · pods",
        lines: lower,
        band: None,
    };
    let checked = validate::lines(&top).and_then(|()| validate::lines(&bottom));
    let caption = format!(
        "TTFT p95 (type 7) of successful streamed requests of the {} test per {} s window, from {} records (requests.ndjson).",
        t.test,
        t.window_s,
        t.windows.iter().map(|w| w.requests).sum::<u64>()
    );
    if let Err(why) = checked {
        return outcome(FILE, TITLE, Ok(()), caption, Some(why));
    }
    let result = png(dir, FILE, size, |area, sizes| {
        let (upper, under) = area.split_vertically(size.1 * 3 / 5);
        top.draw(&upper, sizes)?;
        bottom.draw(&under, sizes)
    });
    outcome(FILE, TITLE, result, caption, None)
}

/// The HPA's replicas over the timeline's span, when the session recorded the cluster.
fn pods(a: &Analysis, t: &TtftTimeline, origin_us: i64) -> Vec<(f64, f64)> {
    let (Some(s), Some(last), Some(origin)) = (
        a.scaling.as_ref(),
        t.windows.last(),
        chrono::DateTime::from_timestamp_micros(origin_us),
    ) else {
        return Vec::new();
    };
    let end_s = (last.start_us - origin_us) as f64 / 1e6 + t.window_s as f64;
    replicas_between(&s.hpa, origin, end_s)
}
