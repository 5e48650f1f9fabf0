//! Checks before drawing: plotters loops forever on an empty, inverted or infinite axis range,
//! so every chart's data and axes pass through here, and a chart that fails is listed as not
//! drawn with the reason instead.

use std::ops::Range;

use super::bars::GroupedBars;
use super::lines::LineChart;
use crate::analyze::phases::ClockPhase;
use crate::analyze::scaling::ScalingReport;
use crate::analyze::soak::SoakReport;
use crate::analyze::stress::StressReport;

/// No measured latency, rate, count, percentage or byte size of a session comes near this; a
/// value beyond it is a broken input, not data.
pub const MAX_PLOTTABLE: f64 = 1e12;

/// An axis end may reach past the data (headroom) but not where neighbouring ticks can no
/// longer be told apart in an f64 (2^53 ≈ 9e15).
const MAX_AXIS: f64 = 1e15;

/// Why a value cannot be drawn, or None when it can.
fn unplottable(value: f64, limit: f64) -> Option<String> {
    if !value.is_finite() {
        Some("is not a finite number".into())
    } else if value < 0.0 && limit == MAX_PLOTTABLE {
        // Every chart's value axis starts at 0: a point far below it would overflow the pixel
        // arithmetic, and no latency, rate, count or size is negative.
        Some("is negative".into())
    } else if value.abs() > limit {
        Some(format!("is too large to plot (beyond ±{limit:e})"))
    } else {
        None
    }
}

/// Huge values in scientific notation, so a reason never prints 300 digits.
fn shown(value: f64) -> String {
    if value.is_finite() && value.abs() < 1e6 {
        format!("{value}")
    } else {
        format!("{value:e}")
    }
}

/// The data of one chart: named values, each checked (finite, 0 to 1e12); at least one value
/// must be there.
pub fn values<'a>(
    what: &str,
    named: impl IntoIterator<Item = (&'a str, f64)>,
) -> Result<(), String> {
    let mut any = false;
    for (name, value) in named {
        any = true;
        if let Some(why) = unplottable(value, MAX_PLOTTABLE) {
            return Err(format!("{what}: {name} {} {why}", shown(value)));
        }
    }
    if any {
        Ok(())
    } else {
        Err(format!("{what}: no value to draw"))
    }
}

/// Every bar of a grouped bar chart (missing figures are gaps, not values).
pub fn bars(spec: &GroupedBars) -> Result<(), String> {
    let named = spec.series.iter().flat_map(|s| {
        s.values
            .iter()
            .zip(&spec.groups)
            .filter_map(move |(v, group)| v.map(|v| (s.name.as_str(), group.as_str(), v)))
    });
    let mut labelled = Vec::new();
    for (series, group, value) in named {
        if let Some(top) = spec.y_max
            && value > top
        {
            return Err(format!(
                "{}: {series} of {group} {} is above the axis top {top}",
                spec.title,
                shown(value)
            ));
        }
        labelled.push((format!("{series} of {group}"), value));
    }
    values(
        spec.title,
        labelled.iter().map(|(name, v)| (name.as_str(), *v)),
    )
}

/// Every point of a line chart (x and y) and its band.
pub fn lines(chart: &LineChart) -> Result<(), String> {
    let mut named: Vec<(String, f64)> = Vec::new();
    for line in &chart.lines {
        for (x, y) in &line.points {
            named.push((format!("{} x", line.name), *x));
            named.push((format!("{} y", line.name), *y));
        }
    }
    if let Some((lo, hi, name)) = &chart.band {
        named.push((format!("{name} (lower edge)"), *lo));
        named.push((format!("{name} (upper edge)"), *hi));
    }
    values(
        chart.title,
        named.iter().map(|(name, v)| (name.as_str(), *v)),
    )
}

/// The stress curve: each step's rate, latency and success, and the breaking point.
pub fn stress_curve(s: &StressReport) -> Result<(), String> {
    let mut named: Vec<(String, f64)> = Vec::new();
    for (i, step) in s.steps.iter().enumerate() {
        let step_no = i + 1;
        named.push((
            format!("the target rate of step {step_no}"),
            step.target_rps,
        ));
        if let Some(v) = step.avg.value {
            named.push((format!("the average latency of step {step_no}"), v));
        }
        // Drawn on a fixed 0-110 % axis.
        if let Some(v) = step.success_rate.value
            && !(0.0..=100.0).contains(&v)
        {
            return Err(format!(
                "stress curve: the success rate of step {step_no} {} is outside 0-100 %",
                shown(v)
            ));
        }
    }
    if let Some(bp) = s.breaking_point.value {
        named.push(("the breaking point".into(), bp));
    }
    values(
        "stress curve",
        named.iter().map(|(name, v)| (name.as_str(), *v)),
    )
}

/// The soak's stability chart: at least one minute with a latency, and the pods' memory.
pub fn soak_stability(s: &SoakReport, scaling: Option<&ScalingReport>) -> Result<(), String> {
    let block_minutes = s.minutes.iter().flat_map(|m| [m.avg.value, m.p95.value]);
    let clock_minutes = s.clock_minutes.iter().flat_map(|w| [w.avg, w.p95]);
    let latencies: Vec<f64> = block_minutes.chain(clock_minutes).flatten().collect();
    if latencies.is_empty() {
        return Err("no minute of the soak has a finite latency figure".into());
    }
    let memory = scaling.into_iter().flat_map(|sc| &sc.soak_memory);
    values(
        "soak stability",
        latencies
            .iter()
            .map(|v| ("a minute's latency", *v))
            .chain(memory.map(|m| ("the pods' memory (bytes)", m.bytes))),
    )
}

/// The scaling timeline: CPU readings and target, and a time span the axis can hold.
pub fn scaling_timeline(s: &ScalingReport, phases: &[ClockPhase]) -> Result<(), String> {
    let times = s
        .hpa
        .iter()
        .map(|p| p.t)
        .chain(phases.iter().flat_map(|p| [p.start, p.end]));
    let (Some(first), Some(last)) = (times.clone().min(), times.max()) else {
        return Err("no HPA readings".into());
    };
    let span_s = (last - first).num_milliseconds() as f64 / 1000.0;
    let cpu = s.hpa.iter().filter_map(|p| p.cpu_pct);
    values(
        "scaling timeline",
        std::iter::once(("the time span (s)", span_s))
            .chain(cpu.map(|c| ("a CPU reading (%)", c)))
            .chain(s.cpu_target_pct.map(|t| ("the CPU target (%)", t))),
    )
}

/// An axis range as a chart computed it: finite, within the plottable magnitude, not inverted;
/// a single value (lo == hi) gets a padded range so the axis has ticks.
pub fn axis(lo: f64, hi: f64) -> Result<Range<f64>, String> {
    for end in [lo, hi] {
        if let Some(why) = unplottable(end, MAX_AXIS) {
            return Err(format!("an axis end {} {why}", shown(end)));
        }
    }
    if lo > hi {
        return Err(format!(
            "the axis would run backwards, from {} to {}",
            shown(lo),
            shown(hi)
        ));
    }
    if lo == hi {
        let pad = (lo.abs() * 0.1).max(1.0);
        return Ok(lo - pad..hi + pad);
    }
    Ok(lo..hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_ranges_are_checked_and_a_single_value_is_padded() {
        assert_eq!(axis(0.0, 2.0), Ok(0.0..2.0));
        // One value: ±10 % of it, at least ±1.
        assert_eq!(axis(50.0, 50.0), Ok(45.0..55.0));
        assert_eq!(axis(0.0, 0.0), Ok(-1.0..1.0));
        assert_eq!(
            axis(3.0, 1.0),
            Err("the axis would run backwards, from 3 to 1".to_string())
        );
        assert_eq!(
            axis(0.0, f64::INFINITY),
            Err("an axis end inf is not a finite number".to_string())
        );
        assert_eq!(
            axis(f64::MAX, f64::MIN),
            Err("an axis end 1.7976931348623157e308 is too large to plot (beyond ±1e15)".into())
        );
        assert_eq!(
            axis(0.0, 2e15),
            Err("an axis end 2e15 is too large to plot (beyond ±1e15)".into())
        );
        assert!(axis(f64::NAN, 1.0).is_err());
    }

    #[test]
    fn values_name_the_first_unplottable_one_and_refuse_none() {
        assert_eq!(values("T", [("a", 1.0), ("b", 0.0)]), Ok(()));
        assert_eq!(
            values("T", [("a", 1.0), ("b", -2.5)]),
            Err("T: b -2.5 is negative".to_string())
        );
        assert_eq!(
            values("T", [("a", 1.0), ("b", 1.7e308)]),
            Err("T: b 1.7e308 is too large to plot (beyond ±1e12)".to_string())
        );
        assert_eq!(values("T", []), Err("T: no value to draw".to_string()));
    }
}
