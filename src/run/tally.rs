//! Running counts of the requests that ended, per phase, kept as they end: the live progress
//! line reads them, and the end of the run prints them (failures by kind, achieved rate).

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::record::{ErrorKind, RequestRecord};

/// Failed requests by kind and, for HTTP answers, status: `http4xx 404` apart from `http4xx 429`.
pub type Failures = BTreeMap<(ErrorKind, Option<u16>), u64>;

/// One phase (or step, or scenario) so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhaseTally {
    pub phase: String,
    /// Requests started (ended or not).
    pub sent: u64,
    pub ok: u64,
    pub failures: Failures,
    /// Earliest and latest `sent` stamp of the requests that ended.
    pub first_sent: Option<DateTime<Utc>>,
    pub last_sent: Option<DateTime<Utc>>,
}

impl PhaseTally {
    pub fn ended(&self) -> u64 {
        self.ok + self.failed()
    }

    pub fn failed(&self) -> u64 {
        self.failures.values().sum()
    }

    fn add(&mut self, record: &RequestRecord) {
        if record.ok {
            self.ok += 1;
        } else {
            let kind = record.error_kind.unwrap_or(ErrorKind::Other);
            let status = record.status.filter(|_| kind.has_status());
            *self.failures.entry((kind, status)).or_default() += 1;
        }
        self.first_sent = Some(self.first_sent.map_or(record.sent, |t| t.min(record.sent)));
        self.last_sent = Some(self.last_sent.map_or(record.sent, |t| t.max(record.sent)));
    }

    /// Folds several phases into one (the whole run).
    pub fn total<'a>(name: &str, phases: impl IntoIterator<Item = &'a PhaseTally>) -> Self {
        let mut total = PhaseTally {
            phase: name.to_string(),
            ..Self::default()
        };
        for p in phases {
            total.sent += p.sent;
            total.ok += p.ok;
            for (key, count) in &p.failures {
                *total.failures.entry(*key).or_default() += count;
            }
            total.first_sent = [total.first_sent, p.first_sent].into_iter().flatten().min();
            total.last_sent = [total.last_sent, p.last_sent].into_iter().flatten().max();
        }
        total
    }

    /// Requests per second actually sent: the gaps between the first and the last `sent` stamp
    /// of the requests that ended, `(n - 1) / span`. `None` with fewer than two requests or
    /// every one sent at the same instant.
    pub fn achieved_rate(&self) -> Option<AchievedRate> {
        let (first, last) = (self.first_sent?, self.last_sent?);
        let span_s = (last - first).num_microseconds()? as f64 / 1e6;
        let requests = self.ended();
        (requests >= 2 && span_s > 0.0).then(|| AchievedRate {
            rate: (requests - 1) as f64 / span_s,
            requests,
            span_s,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AchievedRate {
    pub rate: f64,
    pub requests: u64,
    pub span_s: f64,
}

/// The latencies of successes and the failure count since the last look, for the live line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recent {
    pub ok_latencies: Vec<f64>,
    pub failed: u64,
}

#[derive(Default)]
pub struct Tallies {
    phases: Mutex<Vec<PhaseTally>>,
    recent: Mutex<Recent>,
}

impl Tallies {
    pub fn sent(&self, phase: &str) {
        self.with_phase(phase, |p| p.sent += 1);
    }

    pub fn ended(&self, record: &RequestRecord) {
        self.with_phase(&record.phase, |p| p.add(record));
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if record.ok {
            recent.ok_latencies.push(record.latency_s);
        } else {
            recent.failed += 1;
        }
    }

    /// Every phase in the order it first sent.
    pub fn snapshot(&self) -> Vec<PhaseTally> {
        self.phases
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn phase(&self, phase: &str) -> PhaseTally {
        self.snapshot()
            .into_iter()
            .find(|p| p.phase == phase)
            .unwrap_or_default()
    }

    /// What ended since the previous call.
    pub fn take_recent(&self) -> Recent {
        std::mem::take(&mut *self.recent.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn with_phase(&self, phase: &str, change: impl FnOnce(&mut PhaseTally)) {
        let mut phases = self.phases.lock().unwrap_or_else(|e| e.into_inner());
        let index = match phases.iter().position(|p| p.phase == phase) {
            Some(index) => index,
            None => {
                phases.push(PhaseTally {
                    phase: phase.to_string(),
                    ..PhaseTally::default()
                });
                phases.len() - 1
            }
        };
        change(&mut phases[index]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(phase: &str, sent_ms: i64, kind: Option<ErrorKind>, status: u16) -> RequestRecord {
        let t: DateTime<Utc> = "2026-11-26T16:00:00Z".parse().unwrap();
        let sent = t + chrono::TimeDelta::milliseconds(sent_ms);
        RequestRecord {
            test: "spike".into(),
            phase: phase.into(),
            scheduled: sent,
            sent,
            ended: sent,
            latency_s: 0.1,
            latency_from_send_s: 0.1,
            status: Some(status),
            ok: kind.is_none(),
            tokens: None,
            server_latency_s: None,
            error_kind: kind,
            error: None,
            stream: Default::default(),
        }
    }

    #[test]
    fn failures_count_by_kind_and_status_and_the_rate_comes_from_sent_stamps() {
        let tallies = Tallies::default();
        for (ms, kind, status) in [
            (0, None, 200),
            (250, Some(ErrorKind::Http4xx), 404),
            (500, Some(ErrorKind::Http4xx), 429),
            (750, Some(ErrorKind::Http4xx), 404),
            (1000, Some(ErrorKind::Timeout), 0),
        ] {
            tallies.sent("spike");
            tallies.ended(&record("spike", ms, kind, status));
        }
        let spike = tallies.phase("spike");
        assert_eq!((spike.sent, spike.ok, spike.failed()), (5, 1, 4));
        let failures: Vec<_> = spike.failures.into_iter().collect();
        assert_eq!(
            failures,
            [
                ((ErrorKind::Timeout, None), 1),
                ((ErrorKind::Http4xx, Some(404)), 2),
                ((ErrorKind::Http4xx, Some(429)), 1),
            ]
        );
        // 5 sends over 1 s: 4 gaps of 250 ms, 4 req/s.
        let rate = tallies.phase("spike").achieved_rate().unwrap();
        assert_eq!((rate.rate, rate.requests, rate.span_s), (4.0, 5, 1.0));
        assert_eq!(tallies.take_recent().failed, 4);
        assert_eq!(tallies.take_recent(), Recent::default());
        assert_eq!(Tallies::default().phase("none").achieved_rate(), None);
    }
}
