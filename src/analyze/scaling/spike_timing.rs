//! Time to scale up and time to scale down, both bound to the spike and both measured at the
//! HPA's decision (lastScaleTime, else the SuccessfulRescale event): up from the start of the
//! spike phase to the first scale-up while the spike's load is on; down from the end of the
//! spike phase to the decision back at minReplicas, before the next test begins. Beside each,
//! when the replicas were really there: the new pods Ready, the removed pods deleted.

use chrono::{DateTime, Utc};

use super::chain::{first_seen_after, ready_time_of_all};
use super::{Decision, NO_HPA, secs};
use crate::analyze::figure::{Figure, SECONDS};
use crate::analyze::phases::ClockPhase;
use crate::ingest::cluster::{ClusterRecording, HpaSample};

const NO_SPIKE: &str =
    "no spike phase on the clock: needs a spike test with a time-stamped console log or run events";

pub struct Timing {
    /// The spike run the times are measured on.
    pub spike_test: Option<String>,
    /// The test after the spike, which bounds the scale-down: (label, start).
    pub next_test: Option<(String, DateTime<Utc>)>,
    pub first_up: Option<Decision>,
    pub up: Figure,
    pub up_pods_ready: Figure,
    pub down: Figure,
    pub down_pods_deleted: Figure,
}

pub fn timing(
    rec: &ClusterRecording,
    samples: &[&HpaSample],
    decisions: &[Decision],
    phases: &[ClockPhase],
    min: Option<u32>,
) -> Timing {
    let none = |why: &str| Figure::unavailable(SECONDS, why);
    let spike = phases.iter().find(|p| p.name.eq_ignore_ascii_case("spike"));
    let Some(spike) = spike else {
        return Timing {
            spike_test: None,
            next_test: None,
            first_up: None,
            up: none(NO_SPIKE),
            up_pods_ready: none(NO_SPIKE),
            down: none(NO_SPIKE),
            down_pods_deleted: none(NO_SPIKE),
        };
    };
    let no_hpa = samples.is_empty() && decisions.is_empty();
    let next_test = phases
        .iter()
        .filter(|p| p.test != spike.test && p.start >= spike.end)
        .min_by_key(|p| p.start)
        .map(|p| (p.test.clone(), p.start));
    let during: Vec<&Decision> = decisions.iter().filter(|d| spike.contains(d.at)).collect();
    let first_up = during.iter().copied().find(|d| d.is_up());
    let (up, up_pods_ready) = match first_up {
        _ if no_hpa => (none(NO_HPA), none(NO_HPA)),
        Some(d) => scale_up(rec, spike, d),
        None => {
            let why = match during.iter().find(|d| d.from.is_none()) {
                Some(d) => format!(
                    "the decision to {} pods at {} has no recorded size before it (events only, no HPA reading before it): not known to be a scale-up",
                    d.to,
                    d.at.format("%H:%M:%S")
                ),
                None => format!(
                    "no scale-up during the spike (the spike phase of {}, {}–{})",
                    spike.test,
                    spike.start.format("%H:%M:%S"),
                    spike.end.format("%H:%M:%S")
                ),
            };
            (none(&why), none(&why))
        }
    };
    let (down, down_pods_deleted) = if no_hpa {
        (none(NO_HPA), none(NO_HPA))
    } else {
        let horizon = next_test.as_ref().map(|(_, t)| *t);
        let min = min.unwrap_or(1);
        scale_down(rec, samples, decisions, spike, horizon, min)
            .unwrap_or_else(|why| (none(&why), none(&why)))
    };
    Timing {
        spike_test: Some(spike.test.clone()),
        next_test,
        first_up: first_up.cloned(),
        up,
        up_pods_ready,
        down,
        down_pods_deleted,
    }
}

fn scale_up(rec: &ClusterRecording, spike: &ClockPhase, d: &Decision) -> (Figure, Figure) {
    let up = Figure::known(secs(d.at - spike.start), SECONDS, d.source.clone()).method(format!(
        "HPA decision ({}) − start of the spike phase ({})",
        d.source, spike.source
    ));
    let new_pods = first_seen_after(rec, d.at, (d.to - d.from.unwrap_or(d.to)) as usize);
    let ready = match ready_time_of_all(rec, &new_pods) {
        Some(r) => Figure::known(secs(r - spike.start), SECONDS, "pods.jsonl")
            .method("the last of the new pods Ready − start of the spike phase"),
        None => Figure::unavailable(
            SECONDS,
            "the new pods' Ready transition was not recorded (pods.jsonl)",
        ),
    };
    (up, ready)
}

/// The decision back at `min` after the spike phase ended and before `horizon` (the next
/// test's start); Err with the reason when there is none.
fn scale_down(
    rec: &ClusterRecording,
    samples: &[&HpaSample],
    decisions: &[Decision],
    spike: &ClockPhase,
    horizon: Option<DateTime<Utc>>,
    min: u32,
) -> Result<(Figure, Figure), String> {
    let before_horizon = |t: DateTime<Utc>| horizon.is_none_or(|h| t < h);
    let back = decisions
        .iter()
        .find(|d| d.at >= spike.end && d.to == min && d.is_down());
    let not_before_next = || match horizon {
        Some(h) => format!(
            "not back at minimum ({min}) before the next test began at {}, {:.0} s after the spike phase ended",
            h.format("%H:%M:%S"),
            secs(h - spike.end)
        ),
        None => String::new(),
    };
    match back {
        Some(d) if before_horizon(d.at) => {
            let down =
                Figure::known(secs(d.at - spike.end), SECONDS, d.source.clone()).method(format!(
                    "HPA decision back at minReplicas ({min}) ({}) − end of the spike phase ({})",
                    d.source, spike.source
                ));
            let removed = d.from.unwrap_or(d.to).saturating_sub(d.to) as usize;
            let deleted = match deleted_after(rec, d.at, removed) {
                Some(t) => Figure::known(secs(t - spike.end), SECONDS, "pods.jsonl")
                    .method("the last removed pod deleted − end of the spike phase"),
                None => Figure::unavailable(
                    SECONDS,
                    "the removed pods' deletion was not recorded (pods.jsonl)",
                ),
            };
            Ok((down, deleted))
        }
        Some(_) => Err(not_before_next()),
        None => {
            let was_above = samples
                .iter()
                .filter(|s| s.t >= spike.start && before_horizon(s.t))
                .any(|s| s.current.is_some_and(|c| c > min))
                || decisions
                    .iter()
                    .any(|d| d.at >= spike.start && before_horizon(d.at) && d.to > min);
            if !was_above {
                Err("the spike did not scale the deployment above minReplicas".into())
            } else if horizon.is_some() {
                Err(not_before_next())
            } else {
                let last = samples.last().map(|s| secs(s.t - spike.end)).unwrap_or(0.0);
                Err(format!(
                    "not back at minReplicas ({min}) when the recording ended, {last:.0} s after the spike phase ended: record longer (--linger 6m)"
                ))
            }
        }
    }
}

/// When the last of the first `n` pods deleted at or after `t` was deleted (None unless `n`
/// deletions were recorded).
fn deleted_after(rec: &ClusterRecording, t: DateTime<Utc>, n: usize) -> Option<DateTime<Utc>> {
    let mut gone: Vec<DateTime<Utc>> = rec
        .pods
        .iter()
        .filter(|p| p.change == "deleted" && p.t >= t)
        .map(|p| p.t)
        .collect();
    gone.sort_unstable();
    (n > 0 && gone.len() >= n).then(|| gone[n - 1])
}
