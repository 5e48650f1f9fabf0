//! The HPA's replica decisions: from `lastScaleTime` in its status, else its
//! `SuccessfulRescale` events.

use chrono::{DateTime, Utc};

use super::Decision;
use crate::ingest::cluster::ClusterRecording;

/// Replica decisions: each new `lastScaleTime` in the HPA status (the controller's own time),
/// else each `SuccessfulRescale` event. An event's from-size is the latest recorded size before
/// it (an HPA reading or the previous event), else unknown.
pub fn decisions(rec: &ClusterRecording) -> Vec<Decision> {
    let mut out: Vec<Decision> = Vec::new();
    // A lastScaleTime from before the recording began is not a decision we saw.
    let mut last_seen: Option<DateTime<Utc>> = rec
        .hpa
        .first()
        .map(|s| s.t - chrono::TimeDelta::microseconds(1));
    let mut previous_desired: Option<u32> = rec.hpa.first().and_then(|s| s.current);
    for s in &rec.hpa {
        if let (Some(at), Some(to)) = (s.last_scale_time, s.desired)
            && last_seen.is_some_and(|l| at > l)
            && let Some(from) = previous_desired
            && from != to
        {
            out.push(Decision {
                at,
                from: Some(from),
                to,
                source: "hpa.jsonl lastScaleTime".into(),
            });
        }
        if s.last_scale_time.is_some() {
            last_seen = last_seen.max(s.last_scale_time).or(s.last_scale_time);
        }
        previous_desired = s.desired.or(previous_desired);
    }
    if !out.is_empty() {
        return out;
    }
    let mut previous: Option<(DateTime<Utc>, u32)> = None;
    for e in rec
        .events
        .iter()
        .filter(|e| e.reason == "SuccessfulRescale")
    {
        let Some(to) = new_size(&e.message) else {
            continue;
        };
        let at = e.at();
        let from = [reading_before(rec, at), previous]
            .into_iter()
            .flatten()
            .max_by_key(|(t, _)| *t)
            .map(|(_, n)| n);
        if from != Some(to) {
            out.push(Decision {
                at,
                from,
                to,
                source: "events.jsonl SuccessfulRescale".into(),
            });
        }
        previous = Some((at, to));
    }
    out
}

/// The last HPA reading of `currentReplicas` at or before `at` (readings are in time order).
fn reading_before(rec: &ClusterRecording, at: DateTime<Utc>) -> Option<(DateTime<Utc>, u32)> {
    let before = rec.hpa.partition_point(|s| s.t <= at);
    rec.hpa[..before]
        .iter()
        .rev()
        .find_map(|s| Some((s.t, s.current?)))
}

/// `New size: 3; reason: ...` → 3 (also behind `(combined from similar events): `).
pub fn new_size(message: &str) -> Option<u32> {
    let rest = message.split("New size:").nth(1)?;
    rest.trim()
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_size_reads_plain_and_combined_messages() {
        assert_eq!(
            new_size(
                "New size: 3; reason: cpu resource utilization (percentage of request) above target"
            ),
            Some(3)
        );
        assert_eq!(
            new_size(
                "(combined from similar events): New size: 1; reason: All metrics below target"
            ),
            Some(1)
        );
        assert_eq!(new_size("something else"), None);
    }
}
