//! A source's health: when reading fails it records a gap (once), retries with a growing delay,
//! and records the gap's end as soon as reading works again. Also turns API errors into
//! messages that say what failed and what to do.

use std::time::{Duration, Instant};

use kube::runtime::watcher;

use super::writer::Sink;

/// Retry delays: start small so short outages leave short gaps, grow so a long outage does not
/// hammer the API server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retry {
    pub first: Duration,
    pub max: Duration,
}

impl Retry {
    /// Scaled to the sampling interval: the first retry within a quarter interval, then at most
    /// two intervals apart (between 1 s and 30 s).
    pub fn for_interval(interval: Duration) -> Self {
        Self {
            first: (interval / 4).clamp(Duration::from_millis(100), Duration::from_secs(1)),
            max: (interval * 2).clamp(Duration::from_secs(1), Duration::from_secs(30)),
        }
    }
}

pub struct Health {
    source: &'static str,
    retry: Retry,
    failures: u32,
    gap_since: Option<Instant>,
}

impl Health {
    pub fn new(source: &'static str, retry: Retry) -> Self {
        Self {
            source,
            retry,
            failures: 0,
            gap_since: None,
        }
    }

    pub fn in_gap(&self) -> bool {
        self.gap_since.is_some()
    }

    pub fn failed(&mut self, sink: &Sink, message: String) {
        self.failures = self.failures.saturating_add(1);
        if self.gap_since.is_none() {
            self.gap_since = Some(Instant::now());
            sink.log("gap_start", self.source, message);
        }
    }

    pub fn succeeded(&mut self, sink: &Sink) {
        self.failures = 0;
        if let Some(since) = self.gap_since.take() {
            let seconds = since.elapsed().as_secs_f64();
            sink.log(
                "gap_end",
                self.source,
                format!("reading again after {seconds:.1} s without data"),
            );
        }
    }

    /// How long to wait before the next attempt after the failures so far.
    pub fn delay(&self) -> Duration {
        let doublings = self.failures.saturating_sub(1).min(16);
        (self.retry.first * 2u32.pow(doublings)).min(self.retry.max)
    }
}

/// One API error as a sentence naming the verb and resource, and what to do about a 403.
pub fn describe_kube_error(
    err: &kube::Error,
    verb: &str,
    resource: &str,
    namespace: &str,
) -> String {
    match err {
        kube::Error::Api(status) if status.is_forbidden() => {
            forbidden_message(verb, resource, namespace)
        }
        kube::Error::Api(status) => format!(
            "{verb} {resource}: the API server answered {} {}: {}",
            status.code, status.reason, status.message
        ),
        other => match credential_failure(other) {
            Some(failure) => format!("{verb} {resource}: {failure}"),
            None => format!(
                "{verb} {resource}: API server unreachable: {}",
                error_chain(other)
            ),
        },
    }
}

/// A failed exec credential plugin, described without its output: kube's own message carries
/// the plugin's stdout and stderr, which may hold a token, and this text is recorded.
pub fn credential_failure(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    use kube::client::AuthError;
    let mut cause = Some(err);
    while let Some(current) = cause {
        if let Some(auth) = current.downcast_ref::<AuthError>() {
            return Some(match auth {
                // `cmd` is left out too: kube writes it with the plugin's whole environment.
                AuthError::AuthExecRun { out, .. } => format!(
                    "the credential plugin failed ({}); its output is not recorded (it may hold a secret): run it by hand to see why",
                    out.status
                ),
                AuthError::AuthExecParse(_) | AuthError::ExecPluginFailed => {
                    "the credential plugin's answer is not a valid ExecCredential; it is not recorded (it may hold a secret): run the plugin by hand to see it".to_string()
                }
                AuthError::AuthExecStart(e) => {
                    format!("the credential plugin could not be started: {e}")
                }
                _ => "the credentials could not be obtained (details not recorded: they may hold a secret); check them with kubectl".to_string(),
            });
        }
        cause = current.source();
    }
    None
}

pub fn forbidden_message(verb: &str, resource: &str, namespace: &str) -> String {
    format!(
        "permission denied: cannot {verb} {resource} in namespace {namespace}; grant the verb \
         `{verb}` on `{resource}` to this user or service account (see deploy/rbac.yaml)"
    )
}

pub fn describe_watch_error(err: &watcher::Error, resource: &str, namespace: &str) -> String {
    match err {
        watcher::Error::InitialListFailed(e) => describe_kube_error(e, "list", resource, namespace),
        watcher::Error::WatchStartFailed(e) | watcher::Error::WatchFailed(e) => {
            describe_kube_error(e, "watch", resource, namespace)
        }
        watcher::Error::WatchError(status) if status.code == 403 => {
            forbidden_message("watch", resource, namespace)
        }
        watcher::Error::WatchError(status) => {
            format!(
                "watch {resource}: the API server answered {} {}",
                status.code, status.message
            )
        }
        watcher::Error::NoResourceVersion => format!("watch {resource}: {err}"),
    }
}

/// A 410 Gone during a watch only means the watch must list again; the watcher does that.
pub fn is_expired(err: &watcher::Error) -> bool {
    matches!(err, watcher::Error::WatchError(status) if status.code == 410)
}

/// The error and its causes on one line (hyper's errors say little at the top level).
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let next = c.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_maximum() {
        let retry = Retry {
            first: Duration::from_millis(100),
            max: Duration::from_millis(500),
        };
        let mut health = Health::new("x", retry);
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let sink = Sink::for_test(tx);
        let delays: Vec<u128> = (0..5)
            .map(|_| {
                health.failed(&sink, "down".into());
                health.delay().as_millis()
            })
            .collect();
        assert_eq!(delays, vec![100, 200, 400, 500, 500]);
        assert!(health.in_gap());
        health.succeeded(&sink);
        assert!(!health.in_gap());
    }

    #[test]
    fn retry_scales_with_the_interval() {
        let r = Retry::for_interval(Duration::from_secs(5));
        assert_eq!(
            (r.first, r.max),
            (Duration::from_secs(1), Duration::from_secs(10))
        );
        let r = Retry::for_interval(Duration::from_millis(200));
        assert_eq!(
            (r.first, r.max),
            (Duration::from_millis(100), Duration::from_secs(1))
        );
    }
}
