//! The terminal: the one-line live status (only when stderr is a terminal) and the printing
//! that must not tear it (the wrapped command's output, warnings).

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::records::Record;

/// Shared by the writer (status, warnings) and the command forwarders (output).
#[derive(Clone)]
pub struct Terminal {
    bar: ProgressBar,
}

impl Terminal {
    /// `live`: draw the status line (pass whether stderr is a terminal).
    pub fn new(live: bool) -> Self {
        if !live {
            return Self {
                bar: ProgressBar::hidden(),
            };
        }
        let bar = ProgressBar::new_spinner();
        // `wide_msg` is cut at the terminal's width (read at each redraw), so the line never
        // wraps: a wrapped line is redrawn below itself and the screen fills with copies.
        if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed} {prefix}{wide_msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_secs(1));
        Self { bar }
    }

    pub fn set_status(&self, text: String) {
        self.bar.set_message(text);
    }

    /// The linger's time left, shown before the status (`None`: not lingering).
    pub fn set_countdown(&self, left: Option<Duration>) {
        self.bar
            .set_prefix(left.map_or(String::new(), countdown_text));
    }

    /// Prints a message line on stderr above the status line.
    pub fn message(&self, text: &str) {
        self.bar.suspend(|| eprintln!("{text}"));
    }

    /// Passes the wrapped command's output through unchanged.
    pub fn pass_through(&self, bytes: &[u8], to_stderr: bool) {
        self.bar.suspend(|| {
            // A closed stdout (e.g. piped into `head`) must not stop the recording.
            let _ = if to_stderr {
                let mut err = std::io::stderr().lock();
                err.write_all(bytes).and_then(|_| err.flush())
            } else {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes).and_then(|_| out.flush())
            };
        });
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `linger 4m5s left · `, in whole seconds (rounded up, so it never shows 0 while waiting).
fn countdown_text(left: Duration) -> String {
    let seconds = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    format!(
        "linger {} left · ",
        crate::units::duration_text(Duration::from_secs(seconds))
    )
}

/// What the status line shows, kept up to date from the records as they are written.
#[derive(Debug, Default)]
pub struct StatusModel {
    current: Option<i64>,
    desired: Option<i64>,
    cpu: Option<i64>,
    cpu_target: Option<i64>,
    ready: BTreeMap<String, bool>,
    last_event: Option<String>,
    pub records: u64,
}

impl StatusModel {
    pub fn observe(&mut self, record: &Record) {
        self.records += 1;
        match record {
            Record::Hpa(hpa) => {
                self.current = hpa.status["currentReplicas"].as_i64();
                self.desired = hpa.status["desiredReplicas"].as_i64();
                self.cpu = cpu_metric(&hpa.status["currentMetrics"], "current");
                self.cpu_target = cpu_metric(&hpa.spec["metrics"], "target");
            }
            Record::Pod(pod) if pod.change == "deleted" => {
                self.ready.remove(&pod.summary.name);
            }
            Record::Pod(pod) => {
                self.ready
                    .insert(pod.summary.name.clone(), pod.summary.ready);
            }
            Record::Event(event) => {
                self.last_event = Some(event_text(&event.reason, &event.message, event.count))
            }
            _ => {}
        }
    }

    pub fn line(&self) -> String {
        let show = |v: Option<i64>| v.map_or("?".to_string(), |v| v.to_string());
        let ready = self.ready.values().filter(|r| **r).count();
        let mut line = format!(
            "replicas {}/{} · cpu {}%/{}% · ready {ready}/{} · {} records",
            show(self.current),
            show(self.desired),
            show(self.cpu),
            show(self.cpu_target),
            self.ready.len(),
            self.records
        );
        if let Some(event) = &self.last_event {
            line.push_str(&format!(" · last: {event}"));
        }
        line
    }
}

/// `Reason: message (×count)` on one line; the reason is left out when the message already
/// says it, and a repeat shows its count instead of the same text again.
fn event_text(reason: &str, message: &str, count: i32) -> String {
    let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut text = if reason.is_empty()
        || message
            .to_ascii_lowercase()
            .contains(&reason.to_ascii_lowercase())
    {
        message
    } else if message.is_empty() {
        reason.to_string()
    } else {
        format!("{reason}: {message}")
    };
    if count > 1 {
        text.push_str(&format!(" (×{count})"));
    }
    text
}

/// The CPU utilization in an HPA's `metrics` (spec, `target`) or `currentMetrics` (status,
/// `current`) list.
fn cpu_metric(metrics: &serde_json::Value, field: &str) -> Option<i64> {
    metrics.as_array()?.iter().find_map(|m| {
        let resource = m.get("resource")?;
        (resource.get("name")?.as_str()? == "cpu").then_some(())?;
        resource.get(field)?.get("averageUtilization")?.as_i64()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::records::HpaRecord;
    use serde_json::json;

    #[test]
    fn status_line_shows_replicas_and_cpu_against_target() {
        let mut model = StatusModel::default();
        model.observe(&Record::Hpa(HpaRecord {
            t: chrono::Utc::now(),
            via: "watch".into(),
            name: "web".into(),
            spec: json!({"metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}),
            status: json!({"currentReplicas": 3, "desiredReplicas": 5,
                           "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 95, "averageValue": "475m"}}}]}),
        }));
        assert_eq!(
            model.line(),
            "replicas 3/5 · cpu 95%/70% · ready 0/0 · 1 records"
        );
    }

    #[test]
    fn an_event_is_shown_once_on_one_line_with_its_count() {
        assert_eq!(
            event_text(
                "SuccessfulRescale",
                "New size: 3; reason: cpu resource utilization\n(percentage of request) above target",
                1
            ),
            "SuccessfulRescale: New size: 3; reason: cpu resource utilization (percentage of request) above target"
        );
        assert_eq!(
            event_text("Killing", "Killing container with id docker://app", 4),
            "Killing container with id docker://app (×4)",
            "the message already says the reason"
        );
        assert_eq!(event_text("Killing", "", 1), "Killing");
    }

    #[test]
    fn the_countdown_rounds_up_to_whole_seconds() {
        assert_eq!(
            countdown_text(Duration::from_millis(64_200)),
            "linger 1m5s left · "
        );
        assert_eq!(countdown_text(Duration::from_secs(3)), "linger 3s left · ");
    }
}
