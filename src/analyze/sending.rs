//! The rate a phase really sent, and how long its answers took to drain after the last send.
//! Sent = requests handed out between two points of the sending window (progress lines, or
//! `report run`'s `sent` stamps) / the time between them; the time until the last answer is not
//! part of it (a slow service must not make the client look slow).

use serde::Serialize;

use super::figure::{Figure, REQ_PER_S, SECONDS};
use crate::ingest::console::{Sends, Stamp};

/// Steps below this share of their target rate did not test what they claim.
pub const ACHIEVED_RATE_FLOOR: f64 = 0.95;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Sending {
    /// Requests sent per second over the sending window.
    pub achieved_rps: Figure,
    /// Requests per second from the phase's start to its last answer.
    pub answered_rps: Figure,
    /// Last answer − last send.
    pub drain: Figure,
}

/// What is known of one phase: its sends, how many requests it had, its start, and when its
/// last answer came (`answers_end`; the scripts print their verdict line then).
pub struct PhaseSends<'a> {
    pub sends: &'a Sends,
    pub requests: Option<f64>,
    pub start: Option<Stamp>,
    pub answers_end: Option<Stamp>,
    pub target_rps: Option<f64>,
    pub source: &'a str,
}

fn seconds(d: chrono::TimeDelta) -> Option<f64> {
    Some(d.num_microseconds()? as f64 / 1e6)
}

impl PhaseSends<'_> {
    pub fn sending(&self) -> Sending {
        let achieved = self.achieved();
        let last_answer = self.sends.last_answer.or(self.answers_end);
        let answered = match (self.requests, self.start, last_answer) {
            (Some(n), Some(s), Some(e)) => seconds(e - s).filter(|d| *d > 0.0).map(|d| n / d),
            _ => None,
        };
        let answered_rps = Figure::from_option(
            answered,
            REQ_PER_S,
            self.source,
            "needs the phase's time-stamped start and its last answer",
        )
        .method("requests / time from the phase's start to its last answer");
        let drain = match (self.last_send(achieved.value), last_answer) {
            (Some((sent, how)), Some(answer)) => Figure::from_option(
                seconds(answer - sent).map(|d| d.max(0.0)),
                SECONDS,
                self.source,
                "",
            )
            .method(format!("last answer − last send ({how})")),
            _ => Figure::unavailable(
                SECONDS,
                "needs the last send and the last answer on the clock",
            ),
        };
        Sending {
            achieved_rps: achieved,
            answered_rps,
            drain,
        }
    }

    fn achieved(&self) -> Figure {
        let points = &self.sends.points;
        let rate = match (points.first(), points.last()) {
            (Some(a), Some(b)) if b.0 > a.0 => seconds(b.0 - a.0)
                .map(|d| (b.1.saturating_sub(a.1)) as f64 / d)
                .map(|r| (r, "requests sent between the first and the last send point / the time between them")),
            (Some(b), _) => self
                .start
                .and_then(|s| seconds(b.0 - s))
                .filter(|d| *d > 0.0)
                .map(|d| (b.1 as f64 / d, "requests sent by the progress line / its time since the phase's start")),
            _ => None,
        };
        let points_are = if self.sends.last_is_final {
            "the records' `sent` stamps"
        } else {
            "the progress lines"
        };
        match rate {
            Some((r, how)) => flag_short(
                r,
                self.target_rps,
                Figure::known(r, REQ_PER_S, self.source).method(format!("{how} ({points_are})")),
            ),
            None => Figure::unavailable(
                REQ_PER_S,
                "needs two time-stamped progress lines (or one and the phase's start) or report run's records",
            ),
        }
    }

    /// The last send: recorded, or extrapolated from the last progress line at the achieved
    /// rate to the phase's request count.
    fn last_send(&self, rate: Option<f64>) -> Option<(Stamp, &'static str)> {
        let (t, sent) = *self.sends.points.last()?;
        if self.sends.last_is_final {
            return Some((t, "recorded"));
        }
        let left = self.requests? - sent as f64;
        let rate = rate.filter(|r| *r > 0.0)?;
        let extra = chrono::TimeDelta::microseconds((left.max(0.0) / rate * 1e6) as i64);
        Some((
            t + extra,
            "extrapolated from the last progress line at the rate sent",
        ))
    }
}

/// Flags an achieved rate below [`ACHIEVED_RATE_FLOOR`] of its target: the load that was
/// claimed was not the load that was sent.
pub fn flag_short(rate: f64, target: Option<f64>, figure: Figure) -> Figure {
    match target {
        Some(t) if t > 0.0 && rate < ACHIEVED_RATE_FLOOR * t => figure.flag(format!(
            "{:.0} % of the {} req/s target: the client could not send the planned load",
            100.0 * rate / t,
            t
        )),
        _ => figure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: f64) -> Stamp {
        chrono::DateTime::from_timestamp_micros((s * 1e6) as i64)
            .unwrap()
            .fixed_offset()
    }

    /// The case: 60 requests at exactly 1 req/s (sends at 0..59 s) to a service that
    /// answers in 10 s, so the last answer comes at 69 s. Progress lines every 11 s as the
    /// scripts print them (11 sent at 10 s, ... 55 at 54 s).
    #[test]
    fn a_slow_service_does_not_lower_the_rate_sent() {
        let sends = Sends {
            points: [(10.0, 11), (21.0, 22), (32.0, 33), (43.0, 44), (54.0, 55)]
                .into_iter()
                .map(|(t, k)| (at(t), k))
                .collect(),
            ..Default::default()
        };
        let s = PhaseSends {
            sends: &sends,
            requests: Some(60.0),
            start: Some(at(0.0)),
            answers_end: Some(at(69.0)),
            target_rps: Some(1.0),
            source: "log",
        }
        .sending();
        // (55 − 11) / (54 − 10) = 1.0; the answered rate 60 / 69 = 0.8696.
        assert_eq!(s.achieved_rps.value, Some(1.0));
        assert!(s.achieved_rps.flag.is_none());
        assert!((s.answered_rps.value.unwrap() - 60.0 / 69.0).abs() < 1e-12);
        // Last send extrapolated: 54 s + 5 requests / 1 req/s = 59 s; drain 69 − 59 = 10 s.
        assert_eq!(s.drain.value, Some(10.0));
    }

    #[test]
    fn recorded_sends_give_the_rate_between_first_and_last_send() {
        // 12 sends from 100 s to 102.75 s (4 req/s), last answer at 103.5 s.
        let sends = Sends {
            points: vec![(at(100.0), 1), (at(102.75), 12)],
            last_is_final: true,
            last_answer: Some(at(103.5)),
        };
        let s = PhaseSends {
            sends: &sends,
            requests: Some(12.0),
            start: Some(at(100.0)),
            answers_end: Some(at(103.0)),
            target_rps: Some(8.0),
            source: "requests.ndjson",
        }
        .sending();
        assert_eq!(s.achieved_rps.value, Some(4.0));
        assert!(
            s.achieved_rps
                .flag
                .as_deref()
                .unwrap()
                .starts_with("50 % of the 8 req/s")
        );
        assert_eq!(s.drain.value, Some(0.75));
        assert_eq!(s.answered_rps.value, Some(12.0 / 3.5));
    }
}
