//! Time to scale up and time to scale down, measured from the spike.

use chrono::{DateTime, Utc};

use super::{Decision, NO_HPA, NO_PHASE, secs};
use crate::analyze::figure::{Figure, SECONDS};
use crate::analyze::phases::ClockPhase;
use crate::ingest::cluster::HpaSample;

pub struct Timing {
    pub measured_from: String,
    pub first_up: Option<Decision>,
    pub up: Figure,
    pub down: Figure,
}

pub fn timing(
    samples: &[&HpaSample],
    decisions: &[Decision],
    phases: &[ClockPhase],
    min: Option<u32>,
) -> Timing {
    let spike = phases.iter().find(|p| p.name.eq_ignore_ascii_case("spike"));
    let load_start = spike.or(phases.first());
    let load_end = spike.map(|s| s.end).or(phases.iter().map(|p| p.end).max());
    let first_up = decisions
        .iter()
        .find(|d| d.to > d.from && load_start.is_some_and(|p| d.at >= p.start));
    let up = match (load_start, first_up) {
        (None, _) => Figure::unavailable(SECONDS, NO_PHASE),
        (_, None) if samples.is_empty() => Figure::unavailable(SECONDS, NO_HPA),
        (Some(p), None) => Figure::unavailable(
            SECONDS,
            format!("no scale-up after the {} phase began", p.name),
        ),
        (Some(p), Some(d)) => Figure::known(secs(d.at - p.start), SECONDS, d.source.clone())
            .method(format!(
                "first replica increase − start of {} {} ({})",
                p.test, p.name, p.source
            )),
    };
    Timing {
        measured_from: if spike.is_some() { "spike" } else { "load" }.into(),
        first_up: first_up.cloned(),
        up,
        down: scale_down(samples, load_start.map(|p| p.start), load_end, min),
    }
}

fn scale_down(
    samples: &[&HpaSample],
    load_start: Option<DateTime<Utc>>,
    load_end: Option<DateTime<Utc>>,
    min: Option<u32>,
) -> Figure {
    let (Some(start), Some(end)) = (load_start, load_end) else {
        return Figure::unavailable(SECONDS, NO_PHASE);
    };
    if samples.is_empty() {
        return Figure::unavailable(SECONDS, NO_HPA);
    }
    let min = min.unwrap_or(1);
    // The return to minReplicas after the load ended, once the load had scaled the deployment up.
    let mut was_above = false;
    let mut back = None;
    for s in samples.iter().filter(|s| s.t >= start) {
        if s.current.is_some_and(|c| c > min) {
            was_above = true;
        } else if was_above && s.t >= end && s.current == Some(min) {
            back = Some(s);
            break;
        }
    }
    match back {
        Some(s) => Figure::known(secs(s.t - end), SECONDS, "hpa.jsonl").method(format!(
            "first reading back at minReplicas ({min}) − end of load"
        )),
        None if !was_above => Figure::unavailable(
            SECONDS,
            "the load did not scale the deployment above minReplicas",
        ),
        None => {
            let last = samples.last().map(|s| secs(s.t - end)).unwrap_or(0.0);
            Figure::unavailable(
                SECONDS,
                format!(
                    "not back at minReplicas ({min}) when the recording ended, {last:.0} s after the load ended: record longer (--linger 6m)"
                ),
            )
        }
    }
}
