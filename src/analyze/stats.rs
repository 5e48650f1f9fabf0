//! Statistics over per-request records, in polars. Percentiles are exact: linear interpolation
//! between the two closest ranks over the successful requests' latencies (numpy's default,
//! Hyndman & Fan type 7).

use polars::prelude::*;

use crate::ingest::records::RequestColumns;

pub const PERCENTILE_METHOD: &str = "exact, linear interpolation between closest ranks (Hyndman-Fan type 7) over successful requests";

/// Latency and count figures of a set of requests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LatencyStats {
    pub requests: u64,
    pub successful: u64,
    pub avg: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub tokens: Option<f64>,
    /// Span from the first to the last request's end time, in seconds.
    pub end_span_s: Option<f64>,
}

/// The records as a frame: `end` (UTC instant, µs), `latency`, `success`, `tokens`.
pub fn records_frame(records: &RequestColumns, utc_offset_seconds: i32) -> PolarsResult<DataFrame> {
    let offset_us = i64::from(utc_offset_seconds) * 1_000_000;
    let frame = DataFrame::new_infer_height(vec![
        Column::new("end_local".into(), &records.end_local_us),
        Column::new("latency".into(), &records.latency_s),
        Column::new("success".into(), &records.success),
        Column::new(
            "tokens".into(),
            records
                .tokens
                .iter()
                .map(|t| t.map(|v| v as f64))
                .collect::<Vec<_>>(),
        ),
    ])?;
    // Sorted once here: every window computation over the same records reuses the order.
    frame
        .lazy()
        .with_column(
            (col("end_local") - lit(offset_us))
                .cast(DataType::Datetime(TimeUnit::Microseconds, None))
                .alias("end"),
        )
        .drop(by_name(["end_local"], true, false))
        .sort(
            ["end"],
            SortMultipleOptions::default()
                .with_nulls_last(true)
                .with_maintain_order(true),
        )
        .collect()
}

/// The aggregation every table uses, so the figures agree everywhere.
pub fn stat_exprs() -> Vec<Expr> {
    let ok_latency = || col("latency").filter(col("success"));
    vec![
        len().cast(DataType::Float64).alias("requests"),
        col("success")
            .cast(DataType::Float64)
            .sum()
            .alias("successful"),
        ok_latency().mean().alias("avg"),
        ok_latency()
            .quantile(lit(0.50), QuantileMethod::Linear)
            .alias("p50"),
        ok_latency()
            .quantile(lit(0.95), QuantileMethod::Linear)
            .alias("p95"),
        ok_latency()
            .quantile(lit(0.99), QuantileMethod::Linear)
            .alias("p99"),
        ok_latency().min().alias("min"),
        ok_latency().max().alias("max"),
        col("tokens").filter(col("success")).sum().alias("tokens"),
        (col("end").max() - col("end").min())
            .dt()
            .total_microseconds(false)
            .cast(DataType::Float64)
            .alias("span_us"),
    ]
}

pub fn latency_stats(records: &RequestColumns) -> PolarsResult<LatencyStats> {
    latency_stats_of(&records_frame(records, 0)?)
}

/// [`latency_stats`] of a [`records_frame`].
pub fn latency_stats_of(frame: &DataFrame) -> PolarsResult<LatencyStats> {
    let row = frame.clone().lazy().select(stat_exprs()).collect()?;
    Ok(LatencyStats {
        requests: value(&row, "requests", 0).unwrap_or(0.0) as u64,
        successful: value(&row, "successful", 0).unwrap_or(0.0) as u64,
        avg: value(&row, "avg", 0),
        p50: value(&row, "p50", 0),
        p95: value(&row, "p95", 0),
        p99: value(&row, "p99", 0),
        min: value(&row, "min", 0),
        max: value(&row, "max", 0),
        tokens: value(&row, "tokens", 0),
        end_span_s: value(&row, "span_us", 0).map(|us| us / 1e6),
    })
}

/// One float cell; None for null or a missing column.
pub fn value(frame: &DataFrame, name: &str, row: usize) -> Option<f64> {
    let column = frame.column(name).ok()?.cast(&DataType::Float64).ok()?;
    column.f64().ok()?.get(row).filter(|v| v.is_finite())
}

/// A whole float column.
pub fn floats(frame: &DataFrame, name: &str) -> Vec<Option<f64>> {
    frame
        .column(name)
        .ok()
        .and_then(|c| c.cast(&DataType::Float64).ok())
        .and_then(|c| c.f64().ok().map(|ca| ca.iter().collect()))
        .unwrap_or_default()
}

/// The least-squares line through `points` (x, y): (slope, intercept). NaN when every x is
/// the same.
pub fn least_squares(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = points.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    let slope = sxy / sxx;
    (slope, my - slope * mx)
}

/// The `q` quantile of plain values, by the same polars linear interpolation (type 7) as
/// [`stat_exprs`]; None for no values. For resampling loops, where a frame per sample would
/// cost more than the sort.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    Float64Chunked::from_slice("v".into(), values)
        .quantile(q, QuantileMethod::Linear)
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(latencies: &[f64], success: &[bool]) -> RequestColumns {
        RequestColumns {
            end_local_us: (0..latencies.len() as i64)
                .map(|i| Some(i * 1_000_000))
                .collect(),
            latency_s: latencies.iter().map(|l| Some(*l)).collect(),
            success: success.to_vec(),
            tokens: latencies.iter().map(|_| Some(10)).collect(),
            error: success
                .iter()
                .map(|s| if *s { None } else { Some("x".into()) })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn exact_percentiles_match_hand_computed_type7_values() {
        // Successful latencies 1..=10 (the 100 s failure is excluded).
        // Type 7: h = (n-1)p; p95 → h = 8.55 → 9 + 0.55*(10-9) = 9.55; p50 → h = 4.5 → 5.5;
        // p99 → h = 8.91 → 9.91.
        let mut lat: Vec<f64> = (1..=10).map(f64::from).collect();
        lat.push(100.0);
        let mut ok = vec![true; 10];
        ok.push(false);
        let s = latency_stats(&records(&lat, &ok)).unwrap();
        assert_eq!(s.requests, 11);
        assert_eq!(s.successful, 10);
        assert_eq!(s.avg, Some(5.5));
        assert_eq!(s.p50, Some(5.5));
        assert!((s.p95.unwrap() - 9.55).abs() < 1e-12);
        assert!((s.p99.unwrap() - 9.91).abs() < 1e-12);
        assert_eq!(s.min, Some(1.0));
        assert_eq!(s.max, Some(10.0));
        assert_eq!(s.tokens, Some(100.0));
        assert_eq!(s.end_span_s, Some(10.0));
    }

    #[test]
    fn all_failed_gives_counts_and_no_latency() {
        let s = latency_stats(&records(&[1.0, 2.0], &[false, false])).unwrap();
        assert_eq!((s.requests, s.successful), (2, 0));
        assert_eq!((s.avg, s.p95), (None, None));
    }
}
