//! The open-loop scheduler: request `i` of a phase starts at `phase start + i / rate`, whatever
//! the number already in flight, so a slow service shows as growing latency and in-flight count
//! instead of silently lowering the rate sent (the scripts' thread pools did the latter).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::client::{ChatClient, Outcome};
use super::console::{Console, LiveView, Progress};
use super::record::{Boundary, Clock, RecorderHandle, RequestRecord, RunEvent};
use super::tally::Tallies;

/// A stretch of constant target rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    /// Name in the records and events: `baseline`, `spike`, `4RPS`, `soak`.
    pub name: String,
    /// Label of the progress line, as the scripts print it: `Baseline`, `Spike`, `4RPS`, `Soak`.
    pub label: String,
    pub rate: f64,
    pub duration: Duration,
}

impl Phase {
    /// Requests the phase sends: rate x duration, rounded (2 req/s for 1 s is exactly 2).
    pub fn request_count(&self) -> u64 {
        (self.rate * self.duration.as_secs_f64()).round() as u64
    }

    /// When request `index` is due, counted from the phase's start.
    pub fn offset(&self, index: u64) -> Duration {
        Duration::from_secs_f64(index as f64 / self.rate)
    }
}

/// Why scheduling stopped before the plan's end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StopReason {
    Interrupted,
    BreakingPoint(f64),
}

/// Shared by every phase of one test run.
pub struct Engine {
    pub test: String,
    pub clock: Clock,
    pub console: Arc<Console>,
    client: ChatClient,
    bodies: Arc<Vec<Vec<u8>>>,
    next_body: AtomicUsize,
    recorder: RecorderHandle,
    stop_tx: watch::Sender<Option<StopReason>>,
    in_flight: Arc<AtomicUsize>,
    pub tallies: Arc<Tallies>,
}

/// What scheduling one phase left behind: the requests still running or done.
pub struct PhaseRun {
    pub phase: Phase,
    pub requests: Vec<JoinHandle<RequestRecord>>,
    pub stopped: bool,
}

impl Engine {
    pub fn new(
        test: &str,
        client: ChatClient,
        bodies: Vec<Vec<u8>>,
        recorder: RecorderHandle,
        console: Arc<Console>,
    ) -> Self {
        Self {
            test: test.to_string(),
            clock: Clock::start(),
            console,
            client,
            bodies: Arc::new(bodies),
            next_body: AtomicUsize::new(0),
            recorder,
            stop_tx: watch::channel(None).0,
            in_flight: Arc::new(AtomicUsize::new(0)),
            tallies: Arc::new(Tallies::default()),
        }
    }

    /// Stops all scheduling; the first reason given is kept.
    pub fn stop(&self, reason: StopReason) {
        self.stop_tx.send_if_modified(|current| {
            let first = current.is_none();
            if first {
                *current = Some(reason);
            }
            first
        });
    }

    pub fn stop_reason(&self) -> Option<StopReason> {
        *self.stop_tx.borrow()
    }

    /// Writes the records queued so far and stops recording (a second Ctrl-C).
    pub fn close_recorder(&self) {
        self.recorder.close();
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    pub fn event(&self, phase: &str, event: Boundary, target_rps: Option<f64>) {
        self.event_at(phase, event, target_rps, Instant::now());
    }

    fn event_at(&self, phase: &str, event: Boundary, target_rps: Option<f64>, at: Instant) {
        self.recorder.event(RunEvent {
            t: self.clock.wall(at),
            test: self.test.clone(),
            phase: phase.to_string(),
            event,
            target_rps,
        });
    }

    /// Waits until `deadline`; false when a stop came first.
    pub async fn sleep_until(&self, deadline: Instant) -> bool {
        let mut stop = self.stop_tx.subscribe();
        if stop.borrow().is_some() {
            return false;
        }
        let stopped = tokio::select! {
            _ = tokio::time::sleep_until(deadline.into()) => false,
            _ = stop.wait_for(Option::is_some) => true,
        };
        !stopped && self.stop_reason().is_none()
    }

    /// Sends a phase's requests on schedule from `start`, then waits out the phase's end.
    pub async fn run_phase(
        &self,
        phase: &Phase,
        start: Instant,
        progress_every: Duration,
    ) -> PhaseRun {
        let total = phase.request_count();
        let progress = Progress::start(
            self.console.clone(),
            &phase.label,
            total,
            progress_every,
            start,
            self.live_view(&phase.name),
        );
        // Reserve for a while, not for a whole huge phase (6e8 handles would exhaust memory at once).
        let mut requests = Vec::with_capacity(total.min(1 << 16) as usize);
        let mut stopped = !self.sleep_until(start).await;
        // Boundaries carry the schedule's times, the same clock as the requests' `scheduled`.
        self.event_at(&phase.name, Boundary::Start, Some(phase.rate), start);
        for index in 0..total {
            if stopped {
                break;
            }
            let due = start + phase.offset(index);
            if due > Instant::now() && !self.sleep_until(due).await {
                stopped = true;
                break;
            }
            requests.push(self.spawn_request(&phase.name, due));
        }
        if !stopped {
            stopped = !self.sleep_until(start + phase.duration).await;
        }
        progress.finish();
        let end = if stopped {
            Instant::now()
        } else {
            start + phase.duration
        };
        self.event_at(&phase.name, Boundary::End, Some(phase.rate), end);
        PhaseRun {
            phase: phase.clone(),
            requests,
            stopped,
        }
    }

    /// What the progress of `phase` shows, read when it is drawn.
    fn live_view(&self, phase: &str) -> impl Fn() -> LiveView + Send + 'static {
        let (tallies, in_flight, phase) = (
            self.tallies.clone(),
            self.in_flight.clone(),
            phase.to_string(),
        );
        move || {
            let tally = tallies.phase(&phase);
            LiveView {
                sent: tally.sent,
                in_flight: in_flight.load(Ordering::SeqCst),
                ok: tally.ok,
                failed: tally.failed(),
                recent_ok_latencies: tallies.take_recent().ok_latencies,
            }
        }
    }

    /// Starts one request now; its record says when it was due.
    pub fn spawn_request(&self, phase: &str, scheduled: Instant) -> JoinHandle<RequestRecord> {
        let body = self.next_body();
        let client = self.client.clone();
        let recorder = self.recorder.clone();
        let clock = self.clock;
        let labels = (self.test.clone(), phase.to_string());
        let in_flight = self.in_flight.clone();
        let tallies = self.tallies.clone();
        in_flight.fetch_add(1, Ordering::SeqCst);
        tallies.sent(phase);
        tokio::spawn(async move {
            let sent = Instant::now();
            let outcome = client.chat(body).await;
            let ended = Instant::now();
            let record = to_record(labels, &clock, [scheduled, sent, ended], outcome);
            in_flight.fetch_sub(1, Ordering::SeqCst);
            tallies.ended(&record);
            recorder.request(record.clone());
            record
        })
    }

    /// Sends one request and waits for it (the closed-loop basic test).
    pub async fn request_now(&self, phase: &str) -> RequestRecord {
        match self.spawn_request(phase, Instant::now()).await {
            Ok(record) => record,
            Err(e) => record_for_failed_task(&self.test, phase, &self.clock, e),
        }
    }

    fn next_body(&self) -> Vec<u8> {
        let index = self.next_body.fetch_add(1, Ordering::Relaxed);
        self.bodies[index % self.bodies.len()].clone()
    }
}

/// Waits for every request of a phase; a request task cannot fail, but a join error (runtime
/// shutting down) still yields a record instead of a panic.
pub async fn finish_phase(run: PhaseRun, engine: &Engine) -> (Phase, Vec<RequestRecord>) {
    let mut records = Vec::with_capacity(run.requests.len());
    for handle in run.requests {
        match handle.await {
            Ok(record) => records.push(record),
            Err(e) => records.push(record_for_failed_task(
                &engine.test,
                &run.phase.name,
                &engine.clock,
                e,
            )),
        }
    }
    (run.phase, records)
}

fn record_for_failed_task(
    test: &str,
    phase: &str,
    clock: &Clock,
    error: tokio::task::JoinError,
) -> RequestRecord {
    let now = Instant::now();
    let outcome = Outcome {
        status: None,
        tokens: None,
        server_latency_s: None,
        error: Some((
            super::record::ErrorKind::Other,
            format!("request task failed: {error}"),
        )),
        stream: None,
    };
    to_record(
        (test.to_string(), phase.to_string()),
        clock,
        [now, now, now],
        outcome,
    )
}

fn to_record(
    (test, phase): (String, String),
    clock: &Clock,
    [scheduled, sent, ended]: [Instant; 3],
    outcome: Outcome,
) -> RequestRecord {
    let (error_kind, error) = match outcome.error {
        Some((kind, text)) => (Some(kind), Some(text)),
        None => (None, None),
    };
    let stream = outcome
        .stream
        .map(|tally| tally.fields(sent, ended))
        .unwrap_or_default();
    RequestRecord {
        test,
        phase,
        scheduled: clock.wall(scheduled),
        sent: clock.wall(sent),
        ended: clock.wall(ended),
        latency_s: ended.saturating_duration_since(scheduled).as_secs_f64(),
        latency_from_send_s: ended.saturating_duration_since(sent).as_secs_f64(),
        status: outcome.status,
        ok: error_kind.is_none(),
        tokens: outcome.tokens.or(stream.output_tokens),
        server_latency_s: outcome.server_latency_s,
        error_kind,
        error,
        stream,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_send_rate_times_duration_requests_evenly() {
        let phase = Phase {
            name: "baseline".into(),
            label: "Baseline".into(),
            rate: 2.0,
            duration: Duration::from_secs(1),
        };
        assert_eq!(phase.request_count(), 2);
        assert_eq!(phase.offset(1), Duration::from_millis(500));
    }
}
