//! The ground truth: every HPA decision and pod transition as the simulation made it, one JSON
//! line each, with the wall-clock time (`t`, what the recorders see) and simulated seconds.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::clock::SimClock;
use super::cluster::Stage;
use super::hpa::{Decision, Proposal};

pub struct Truth {
    file: Mutex<File>,
}

impl Truth {
    pub fn create(path: &Path) -> Result<Self> {
        let file = File::create(path)
            .with_context(|| format!("cannot write the ground-truth log {}", path.display()))?;
        Ok(Self {
            file: Mutex::new(file),
        })
    }

    fn write(&self, clock: &SimClock, sim_s: f64, mut line: Value) {
        line["t"] = json!(clock.text_at(sim_s.max(0.0)));
        line["sim_s"] = json!(sim_s);
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        // One write per line, so a reader never sees half of one; a full disk only loses truth.
        let _ = file.write_all(format!("{line}\n").as_bytes());
    }

    pub fn decision(
        &self,
        sim_s: f64,
        clock: &SimClock,
        proposal: &Proposal,
        current: i32,
        decision: &Decision,
        rescale_reason: Option<&str>,
    ) {
        self.write(
            clock,
            sim_s,
            json!({"kind": "hpa_sync", "cpu_utilization": proposal.utilization,
                   "cpu_average_m": proposal.average_m, "proposed": proposal.replicas,
                   "current": current, "desired": decision.desired, "limit": decision.limit,
                   "stabilized": decision.stabilized, "rescaled": rescale_reason.is_some(),
                   "reason": rescale_reason}),
        );
    }

    pub fn missing(&self, sim_s: f64, clock: &SimClock, current: i32) {
        self.write(
            clock,
            sim_s,
            json!({"kind": "hpa_sync", "cpu_utilization": null, "current": current,
                   "desired": current, "rescaled": false, "reason": "FailedGetResourceMetric"}),
        );
    }

    pub fn pod(&self, sim_s: f64, clock: &SimClock, pod: &str, from: Option<Stage>, to: Stage) {
        self.write(
            clock,
            sim_s,
            json!({"kind": "pod", "pod": pod, "from": from, "to": to}),
        );
    }

    pub fn pod_deleted(&self, sim_s: f64, clock: &SimClock, pod: &str, from: Stage) {
        self.write(
            clock,
            sim_s,
            json!({"kind": "pod", "pod": pod, "from": from, "to": "deleted"}),
        );
    }
}
