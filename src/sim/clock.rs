//! Simulated time: `speed` simulated seconds pass per real second. Every duration of the
//! simulation (pod start-up, generation time, scrape and sync periods, windows) is divided by the
//! speed in real time, while timestamps stay the wall clock's, so the recorders (`report collect`,
//! `report run`), which stamp with the wall clock, agree with what the API says.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct SimClock {
    speed: f64,
    started: Instant,
    started_wall: DateTime<Utc>,
}

impl SimClock {
    /// Starts now; `speed` must be positive and finite (checked where the user gives it).
    pub fn start(speed: f64) -> Self {
        Self {
            speed,
            started: Instant::now(),
            started_wall: Utc::now(),
        }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Real time for a simulated duration.
    pub fn real(&self, sim_s: f64) -> Duration {
        Duration::from_secs_f64((sim_s / self.speed).max(0.0))
    }

    /// Simulated seconds since the start.
    pub fn now_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * self.speed
    }

    /// The real instant at which simulated second `sim_s` falls.
    pub fn instant_at(&self, sim_s: f64) -> Instant {
        self.started + self.real(sim_s)
    }

    /// The wall-clock time of simulated second `sim_s`.
    pub fn wall_at(&self, sim_s: f64) -> DateTime<Utc> {
        let real = chrono::TimeDelta::from_std(self.real(sim_s)).unwrap_or_default();
        self.started_wall + real
    }

    /// Kubernetes' text for a time, with milliseconds so fast runs keep their order.
    pub fn text_at(&self, sim_s: f64) -> String {
        self.wall_at(sim_s)
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}
