//! Throughput and latency percentiles per clock window, from per-request records (end times).

use chrono::{DateTime, Utc};
use polars::prelude::*;
use serde::Serialize;

use super::stats::{floats, records_frame, stat_exprs};
use crate::ingest::records::RequestColumns;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WindowRow {
    pub start: DateTime<Utc>,
    /// Seconds from the first window's start.
    pub offset_s: f64,
    pub requests: u64,
    pub successful: u64,
    /// Requests completed per second in the window.
    pub completed_per_s: f64,
    pub avg: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
}

/// Window length giving about 30-120 windows: 5 s, 10 s, 30 s, 1 min, 5 min.
pub fn window_seconds(span_s: f64) -> i64 {
    [5, 10, 30, 60, 300]
        .into_iter()
        .find(|w| span_s / *w as f64 <= 120.0)
        .unwrap_or(600)
}

/// Windows aligned to the clock (a 60 s window is a clock minute). Requests count in the window
/// in which they ended; the statistics are those of [`stat_exprs`].
pub fn windows(
    records: &RequestColumns,
    utc_offset_seconds: i32,
    every_s: i64,
) -> PolarsResult<Vec<WindowRow>> {
    windows_of(&records_frame(records, utc_offset_seconds)?, every_s)
}

/// [`windows`] of a [`records_frame`] (sorted by end time).
pub fn windows_of(frame: &DataFrame, every_s: i64) -> PolarsResult<Vec<WindowRow>> {
    let every = Duration::parse(&format!("{every_s}s"));
    let exprs: Vec<Expr> = stat_exprs()
        .into_iter()
        .filter(|e| !matches!(e, Expr::Alias(_, name) if name == "span_us"))
        .collect();
    let grouped = frame
        .clone()
        .lazy()
        .filter(col("end").is_not_null())
        .group_by_dynamic(
            col("end"),
            [],
            DynamicGroupOptions {
                every,
                period: every,
                offset: Duration::parse("0s"),
                ..Default::default()
            },
        )
        .agg(exprs)
        .with_column(col("end").cast(DataType::Int64).alias("start_us"))
        .collect()?;
    let starts = floats(&grouped, "start_us");
    let requests = floats(&grouped, "requests");
    let successful = floats(&grouped, "successful");
    let (avg, p50, p95, p99) = (
        floats(&grouped, "avg"),
        floats(&grouped, "p50"),
        floats(&grouped, "p95"),
        floats(&grouped, "p99"),
    );
    let first = starts.first().copied().flatten().unwrap_or(0.0);
    Ok((0..grouped.height())
        .map(|i| {
            let start_us = starts[i].unwrap_or(0.0);
            let n = requests[i].unwrap_or(0.0);
            WindowRow {
                start: DateTime::from_timestamp_micros(start_us as i64).unwrap_or_default(),
                offset_s: (start_us - first) / 1e6,
                requests: n as u64,
                successful: successful[i].unwrap_or(0.0) as u64,
                completed_per_s: n / every_s as f64,
                avg: avg[i],
                p50: p50[i],
                p95: p95[i],
                p99: p99[i],
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_fall_into_clock_aligned_windows() {
        // Ends at :00.5, :03, :09.9 (window :00-:10) and :10, :25 (windows :10 and :20).
        let secs = [0.5, 3.0, 9.9, 10.0, 25.0];
        let base = 1_764_115_800_000_000_i64; // a whole minute
        let records = RequestColumns {
            end_local_us: secs.iter().map(|s| Some(base + (s * 1e6) as i64)).collect(),
            latency_s: vec![Some(1.0), Some(2.0), Some(3.0), Some(4.0), Some(5.0)],
            success: vec![true, true, false, true, true],
            tokens: vec![None; 5],
            error: vec![None; 5],
            ..Default::default()
        };
        let w = windows(&records, 0, 10).unwrap();
        assert_eq!(w.len(), 3);
        assert_eq!((w[0].requests, w[0].successful), (3, 2));
        assert_eq!(w[0].avg, Some(1.5));
        assert_eq!(w[0].completed_per_s, 0.3);
        assert_eq!(w[1].offset_s, 10.0);
        assert_eq!(w[2].offset_s, 20.0);
        assert_eq!(w[2].p95, Some(5.0));
        assert_eq!(w[0].start.timestamp_micros(), base);
    }

    #[test]
    fn window_size_keeps_the_count_readable() {
        assert_eq!(window_seconds(90.0), 5);
        assert_eq!(window_seconds(1000.0), 10);
        assert_eq!(window_seconds(3600.0), 30);
        assert_eq!(window_seconds(36_000.0), 300);
    }
}
