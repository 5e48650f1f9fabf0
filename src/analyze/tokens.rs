//! Per-token figures of streamed requests: time to first token (TTFT), inter-token latency
//! (ITL), time per output token (TPOT) and output tokens/s, per spike phase, stress step, soak
//! minute and whole test, plus TTFT per clock window for the chart. Definitions are those of
//! `run/api/chunks.rs`; percentiles are type 7 over successful streamed requests.

use polars::prelude::*;
use serde::Serialize;

use super::stats::floats;
use crate::ingest::streaming::{StreamColumns, Streaming};

/// A distribution over requests.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Dist {
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
}

/// Which requests a row covers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Group {
    Whole,
    /// A phase as the run named it (`baseline`, `spike`, `4RPS`).
    Phase(String),
    /// A soak's clock minute, numbered from 1 at the run's first.
    Minute(u32),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenRow {
    /// `spike`, `stress`, `soak`, `basic`, as the run recorded.
    pub test: String,
    pub group: Group,
    pub requests: u64,
    pub successful: u64,
    pub ttft_s: Dist,
    pub itl_s: Dist,
    pub tpot_s: Dist,
    /// Mean over requests of output tokens / (end-to-end − TTFT).
    pub request_tokens_per_s: Option<f64>,
    /// All output tokens / (last end − first send) of the group.
    pub output_tokens_per_s: Option<f64>,
    pub output_tokens: u64,
    /// Successful requests whose token count is the server's (`usage`); the rest were counted.
    pub tokens_from_usage: u64,
}

/// TTFT p95 per clock window of one test, for the chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TtftWindow {
    pub start_us: i64,
    pub requests: u64,
    pub p95_s: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TtftTimeline {
    pub test: String,
    pub window_s: i64,
    pub windows: Vec<TtftWindow>,
}

/// Why the report has no streaming section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Absent {
    /// The session has no requests.ndjson.
    NoRecords,
    /// Its records carry no per-token timings (the /chat API, or session format 1).
    NotStreamed,
    /// The records could not be analysed.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StreamingReport {
    Absent {
        reason: Absent,
    },
    Measured {
        rows: Vec<TokenRow>,
        timelines: Vec<TtftTimeline>,
    },
}

impl StreamingReport {
    pub fn rows(&self) -> &[TokenRow] {
        match self {
            Self::Measured { rows, .. } => rows,
            Self::Absent { .. } => &[],
        }
    }

    /// The row of `test` (a kind: `spike`) for `group`.
    pub fn row(&self, test: &str, group: &Group) -> Option<&TokenRow> {
        self.rows()
            .iter()
            .find(|r| r.test.eq_ignore_ascii_case(test) && &r.group == group)
    }
}

pub fn analyze(streaming: &Streaming) -> StreamingReport {
    let columns = match streaming {
        Streaming::NoRecords => return absent(Absent::NoRecords),
        Streaming::NotStreamed { .. } => return absent(Absent::NotStreamed),
        Streaming::Streamed(c) => c,
    };
    match measured(columns) {
        Ok(report) => report,
        Err(_) => absent(Absent::Failed),
    }
}

fn absent(reason: Absent) -> StreamingReport {
    StreamingReport::Absent { reason }
}

fn measured(c: &StreamColumns) -> PolarsResult<StreamingReport> {
    let frame = frame(c)?;
    let mut rows = Vec::new();
    let tests = frame
        .clone()
        .lazy()
        .group_by([col("test")])
        .agg([col("ended").min().alias("first")])
        .sort(["first"], Default::default())
        .collect()?;
    let tests: Vec<String> = strings(&tests, "test");
    for test in &tests {
        let of_test = frame
            .clone()
            .lazy()
            .filter(col("test").eq(lit(test.as_str())));
        rows.extend(grouped(of_test.clone(), &[], test, |_| Group::Whole)?);
        if test == "soak" {
            let minutes = of_test.with_column(
                ((col("ended") / lit(60_000_000i64)) - (col("ended").min() / lit(60_000_000i64)))
                    .alias("minute"),
            );
            rows.extend(grouped(minutes, &["minute"], test, |f| {
                Group::Minute(f.minute as u32 + 1)
            })?);
        } else {
            rows.extend(grouped(of_test, &["phase"], test, |f| {
                Group::Phase(f.phase.clone())
            })?);
        }
    }
    let timelines = tests
        .iter()
        .map(|t| ttft_timeline(&frame, t))
        .collect::<PolarsResult<Vec<_>>>()?;
    Ok(StreamingReport::Measured { rows, timelines })
}

fn frame(c: &StreamColumns) -> PolarsResult<DataFrame> {
    let tokens: Vec<Option<f64>> = c
        .output_tokens
        .iter()
        .map(|t| t.map(|v| v as f64))
        .collect();
    let usage: Vec<bool> = c
        .token_source
        .iter()
        .map(|s| s.as_deref() == Some("usage"))
        .collect();
    DataFrame::new_infer_height(vec![
        Column::new("test".into(), &c.test),
        Column::new("phase".into(), &c.phase),
        Column::new("sent".into(), &c.sent_us),
        Column::new("ended".into(), &c.ended_us),
        Column::new("ok".into(), &c.ok),
        Column::new("e2e".into(), &c.e2e_s),
        Column::new("ttft".into(), &c.ttft_s),
        Column::new("itl".into(), &c.itl_s),
        Column::new("tpot".into(), &c.tpot_s),
        Column::new("tokens".into(), tokens),
        Column::new("usage".into(), usage),
    ])
}

/// What a group's key columns held, for naming its row.
struct Key {
    phase: String,
    minute: i64,
}

fn dist_exprs(name: &str) -> [Expr; 4] {
    let ok = || col(name).filter(col("ok"));
    [
        ok().mean().alias(format!("{name}_mean")),
        ok().quantile(lit(0.50), QuantileMethod::Linear)
            .alias(format!("{name}_p50")),
        ok().quantile(lit(0.95), QuantileMethod::Linear)
            .alias(format!("{name}_p95")),
        ok().quantile(lit(0.99), QuantileMethod::Linear)
            .alias(format!("{name}_p99")),
    ]
}

fn grouped(
    frame: LazyFrame,
    by: &[&str],
    test: &str,
    group: impl Fn(&Key) -> Group,
) -> PolarsResult<Vec<TokenRow>> {
    let ok_tokens = || col("tokens").filter(col("ok"));
    let decode = col("e2e") - col("ttft");
    let mut aggs = vec![
        len().cast(DataType::Float64).alias("requests"),
        col("ok").cast(DataType::Float64).sum().alias("successful"),
        ok_tokens().sum().alias("tokens_sum"),
        col("usage")
            .and(col("ok"))
            .cast(DataType::Float64)
            .sum()
            .alias("usage_n"),
        (col("tokens") / decode.clone())
            .filter(col("ok").and(decode.gt(lit(0.0))))
            .mean()
            .alias("req_tps"),
        ((col("ended").max() - col("sent").min()).cast(DataType::Float64) / lit(1e6))
            .alias("span_s"),
        col("ended").min().alias("first_end"),
    ];
    for name in ["ttft", "itl", "tpot"] {
        aggs.extend(dist_exprs(name));
    }
    let keys: Vec<Expr> = by.iter().map(|k| col(*k)).collect();
    let out = if keys.is_empty() {
        frame.select(aggs).collect()?
    } else {
        frame
            .group_by(keys)
            .agg(aggs)
            .sort(["first_end"], Default::default())
            .collect()?
    };
    let phases = if by.contains(&"phase") {
        strings(&out, "phase")
    } else {
        vec![String::new(); out.height()]
    };
    let minutes = floats(&out, "minute");
    let get = |name: &str| floats(&out, name);
    let dist = |name: &str, i: usize| Dist {
        mean: get(&format!("{name}_mean"))[i],
        p50: get(&format!("{name}_p50"))[i],
        p95: get(&format!("{name}_p95"))[i],
        p99: get(&format!("{name}_p99"))[i],
    };
    let (requests, successful, tokens, usage, req_tps, span) = (
        get("requests"),
        get("successful"),
        get("tokens_sum"),
        get("usage_n"),
        get("req_tps"),
        get("span_s"),
    );
    Ok((0..out.height())
        .map(|i| {
            let key = Key {
                phase: phases[i].clone(),
                minute: minutes.get(i).copied().flatten().unwrap_or(0.0) as i64,
            };
            let output_tokens = tokens[i].unwrap_or(0.0);
            TokenRow {
                test: test.to_string(),
                group: group(&key),
                requests: requests[i].unwrap_or(0.0) as u64,
                successful: successful[i].unwrap_or(0.0) as u64,
                ttft_s: dist("ttft", i),
                itl_s: dist("itl", i),
                tpot_s: dist("tpot", i),
                request_tokens_per_s: req_tps[i],
                output_tokens_per_s: span[i].filter(|s| *s > 0.0).map(|s| output_tokens / s),
                output_tokens: output_tokens as u64,
                tokens_from_usage: usage[i].unwrap_or(0.0) as u64,
            }
        })
        .collect())
}

/// TTFT p95 of successful requests per clock window (by end time), the window chosen as for the
/// latency timelines.
fn ttft_timeline(frame: &DataFrame, test: &str) -> PolarsResult<TtftTimeline> {
    let of_test = frame
        .clone()
        .lazy()
        .filter(col("test").eq(lit(test)))
        .collect()?;
    let ended = floats(&of_test, "ended");
    let known = ended.iter().flatten();
    let span_s = known.clone().fold(f64::NEG_INFINITY, |a, b| a.max(*b))
        - known.fold(f64::INFINITY, |a, b| a.min(*b));
    let window_s = ttft_window_seconds(span_s.max(0.0) / 1e6);
    let every_us = window_s * 1_000_000;
    let out = of_test
        .lazy()
        .with_column(((col("ended") / lit(every_us)) * lit(every_us)).alias("window"))
        .group_by([col("window")])
        .agg([
            len().cast(DataType::Float64).alias("requests"),
            col("ttft")
                .filter(col("ok"))
                .quantile(lit(0.95), QuantileMethod::Linear)
                .alias("p95"),
        ])
        .sort(["window"], Default::default())
        .collect()?;
    let (starts, requests, p95) = (
        floats(&out, "window"),
        floats(&out, "requests"),
        floats(&out, "p95"),
    );
    Ok(TtftTimeline {
        test: test.to_string(),
        window_s,
        windows: (0..out.height())
            .map(|i| TtftWindow {
                start_us: starts[i].unwrap_or(0.0) as i64,
                requests: requests[i].unwrap_or(0.0) as u64,
                p95_s: p95[i],
            })
            .collect(),
    })
}

/// 1 s or 2 s windows for runs short enough to keep 120 of them or fewer (streamed rehearsals
/// against `report sim` last seconds), else the latency timelines' windows.
fn ttft_window_seconds(span_s: f64) -> i64 {
    [1, 2]
        .into_iter()
        .find(|w| span_s / *w as f64 <= 120.0)
        .unwrap_or_else(|| super::windows::window_seconds(span_s))
}

fn strings(frame: &DataFrame, name: &str) -> Vec<String> {
    frame
        .column(name)
        .ok()
        .and_then(|c| {
            c.str()
                .ok()
                .map(|s| s.iter().map(|v| v.unwrap_or("").to_string()).collect())
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> StreamColumns {
        let base = 1_764_115_800_000_000_i64; // a whole minute
        let n = 5;
        StreamColumns {
            test: vec!["spike".into(); n],
            phase: ["baseline", "baseline", "spike", "spike", "spike"]
                .map(String::from)
                .to_vec(),
            sent_us: (0..n as i64).map(|i| Some(base + i * 1_000_000)).collect(),
            ended_us: (0..n as i64)
                .map(|i| base + i * 1_000_000 + 2_000_000)
                .collect(),
            ok: vec![true, true, true, true, false],
            e2e_s: vec![Some(2.0); n],
            ttft_s: [0.1, 0.3, 1.0, 2.0, 0.5].map(Some).to_vec(),
            itl_s: vec![Some(0.05); n],
            tpot_s: vec![Some(0.06); n],
            output_tokens: vec![Some(20); n],
            token_source: vec![Some("usage".into()); n],
        }
    }

    #[test]
    fn phases_get_type7_percentiles_over_successful_requests() {
        let report = analyze(&Streaming::Streamed(Box::new(columns())));
        let spike = report
            .row("spike", &Group::Phase("spike".into()))
            .expect("spike row");
        // successful TTFTs 1.0 and 2.0: p95 = 1.0 + 0.95 × (2.0 − 1.0)
        assert_eq!(spike.ttft_s.p95, Some(1.95));
        assert_eq!((spike.requests, spike.successful), (3, 2));
        // 40 tokens of successful requests over first send (+2 s) to last end (+6 s)
        assert_eq!(spike.output_tokens_per_s, Some(10.0));
        let whole = report.row("spike", &Group::Whole).expect("whole row");
        // successful TTFTs 0.1, 0.3, 1.0, 2.0: h = 1.5 → 0.3 + 0.5 × 0.7
        assert!((whole.ttft_s.p50.unwrap() - 0.65).abs() < 1e-12);
        // per request: 20 tokens / (2.0 − ttft), mean over the four successes
        let expected = [0.1, 0.3, 1.0, 2.0]
            .iter()
            .filter(|t| **t < 2.0)
            .map(|t| 20.0 / (2.0 - t))
            .sum::<f64>()
            / 3.0;
        assert!((whole.request_tokens_per_s.unwrap() - expected).abs() < 1e-9);
    }

    #[test]
    fn short_runs_get_second_windows() {
        assert_eq!(ttft_window_seconds(6.0), 1);
        assert_eq!(ttft_window_seconds(200.0), 2);
        assert_eq!(ttft_window_seconds(1000.0), 10);
    }

    #[test]
    fn sessions_without_streamed_records_say_why() {
        assert_eq!(
            analyze(&Streaming::NotStreamed { requests: 3 }),
            StreamingReport::Absent {
                reason: Absent::NotStreamed
            }
        );
    }
}
