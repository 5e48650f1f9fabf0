//! The load generator's own delay: for every request `report run` recorded, sent − scheduled.
//! When its p99 is above [`CLIENT_LIMIT_S`] the client, not the service, limited the test (the
//! rate it claims was not offered on time), as GuideLLM reports it.

use polars::prelude::*;
use serde::Serialize;

use super::stats::value;

/// Dispatch delay p99 above which the report says the client limited the test.
pub const CLIENT_LIMIT_S: f64 = 0.005;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DispatchDelay {
    pub requests: u64,
    pub p50_s: Option<f64>,
    pub p99_s: Option<f64>,
    pub max_s: Option<f64>,
    /// p99 above [`CLIENT_LIMIT_S`].
    pub client_limited: bool,
}

/// None without records carrying both times.
pub fn analyze(delays: &[f64]) -> Option<DispatchDelay> {
    if delays.is_empty() {
        return None;
    }
    let frame = df!("d" => delays).ok()?;
    let row = frame
        .lazy()
        .select([
            col("d")
                .quantile(lit(0.50), QuantileMethod::Linear)
                .alias("p50"),
            col("d")
                .quantile(lit(0.99), QuantileMethod::Linear)
                .alias("p99"),
            col("d").max().alias("max"),
        ])
        .collect()
        .ok()?;
    let p99_s = value(&row, "p99", 0);
    Some(DispatchDelay {
        requests: delays.len() as u64,
        p50_s: value(&row, "p50", 0),
        p99_s,
        max_s: value(&row, "max", 0),
        client_limited: p99_s.is_some_and(|p| p > CLIENT_LIMIT_S),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p99_by_type7_and_the_client_limit() {
        // 0..=100 ms: p99 = 99 ms (h = 99), far above 5 ms.
        let delays: Vec<f64> = (0..=100).map(|i| f64::from(i) / 1000.0).collect();
        let d = analyze(&delays).unwrap();
        assert!((d.p99_s.unwrap() - 0.099).abs() < 1e-12);
        assert!(d.client_limited);
        let on_time = analyze(&[0.001, 0.002]).unwrap();
        // h = 0.99 → 0.001 + 0.99 × 0.001
        assert!((on_time.p99_s.unwrap() - 0.00199).abs() < 1e-12);
        assert!(!on_time.client_limited);
        assert_eq!(analyze(&[]), None);
    }
}
