//! Console output in the scripts' layout (their marker lines are what `report collect` and
//! `report build` recognise), with an indicatif bar per phase when stdout is a terminal and the
//! scripts' own `Progress:` lines otherwise.

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::stats::Summary;
use crate::units::duration_text;

/// The scripts' separator line.
pub const RULE: &str = "======================================================================";

pub struct Console {
    interactive: bool,
    quiet: bool,
    bar: Mutex<Option<ProgressBar>>,
    /// Lines kept instead of printed (tests).
    captured: Option<Mutex<Vec<String>>>,
}

impl Console {
    pub fn new(quiet: bool) -> Self {
        Self {
            interactive: std::io::stdout().is_terminal(),
            quiet,
            bar: Mutex::new(None),
            captured: None,
        }
    }

    /// A console that keeps its lines, as a pipe would receive them.
    pub fn capturing() -> Self {
        Self {
            interactive: false,
            quiet: false,
            bar: Mutex::new(None),
            captured: Some(Mutex::new(Vec::new())),
        }
    }

    pub fn captured(&self) -> Vec<String> {
        self.captured.as_ref().map_or_else(Vec::new, |lines| {
            lines.lock().unwrap_or_else(|e| e.into_inner()).clone()
        })
    }

    /// Prints one line above the progress bar, if any.
    pub fn line(&self, text: impl AsRef<str>) {
        if self.quiet {
            return;
        }
        if let Some(lines) = &self.captured {
            let mut lines = lines.lock().unwrap_or_else(|e| e.into_inner());
            lines.push(text.as_ref().to_string());
            return;
        }
        let bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        match bar.as_ref() {
            Some(bar) => bar.println(text.as_ref()),
            // A closed stdout (`report run ... | head`) must not stop the run: ignore the error.
            None => {
                let _ = writeln!(std::io::stdout(), "{}", text.as_ref());
            }
        }
    }

    pub fn lines<'a>(&self, lines: impl IntoIterator<Item = &'a str>) {
        for line in lines {
            self.line(line);
        }
    }

    fn show_bar(&self, bar: Option<ProgressBar>) {
        *self.bar.lock().unwrap_or_else(|e| e.into_inner()) = bar;
    }
}

/// What the live progress shows besides the count sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveView {
    pub sent: u64,
    pub in_flight: usize,
    pub ok: u64,
    pub failed: u64,
    /// Latencies of the successes that ended since the previous look.
    pub recent_ok_latencies: Vec<f64>,
}

/// How often the bar on a terminal is redrawn, and the window its p50 covers.
const BAR_TICK: Duration = Duration::from_millis(200);
const BAR_WINDOW: Duration = Duration::from_secs(10);

/// Progress of one phase, on a timer: a bar on a terminal, otherwise a plain line every `every`
/// (a pipe, e.g. under `report collect`), both with the failures and the recent median latency.
pub struct Progress {
    console: Arc<Console>,
    bar: Option<ProgressBar>,
    ticker: tokio::task::JoinHandle<()>,
}

impl Progress {
    pub fn start(
        console: Arc<Console>,
        label: &str,
        total: u64,
        every: Duration,
        start: Instant,
        view: impl Fn() -> LiveView + Send + 'static,
    ) -> Self {
        let bar = (console.interactive && !console.quiet).then(|| {
            let bar = ProgressBar::new(total);
            let style = ProgressStyle::with_template(
                "  [{prefix}] {bar:30} {pos}/{len} sent, {msg}, {elapsed}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_prefix(label.to_string());
            bar
        });
        console.show_bar(bar.clone());
        let ticker = {
            let (console, bar, label) = (console.clone(), bar.clone(), label.to_string());
            let (tick, window) = match &bar {
                Some(_) => (BAR_TICK, BAR_WINDOW),
                None => (every, every),
            };
            // tokio's clock, not std's: the same one the scheduler sleeps on (and tests pause).
            let start = tokio::time::Instant::from_std(start);
            tokio::spawn(async move {
                let mut recent = RecentLatencies::new(window);
                let mut next = start + tick;
                loop {
                    tokio::time::sleep_until(next).await;
                    let live = view();
                    // Stamped with the tick's time, so the window is exact however late it woke.
                    recent.add(next, &live.recent_ok_latencies);
                    next += tick;
                    let p50 = recent.median();
                    match &bar {
                        Some(bar) => {
                            bar.set_position(live.sent);
                            bar.set_message(live_text(&live, p50, None));
                        }
                        None => console.line(progress_line(
                            &label,
                            total,
                            start.elapsed(),
                            &live,
                            p50,
                            window,
                        )),
                    }
                }
            })
        };
        Self {
            console,
            bar,
            ticker,
        }
    }

    pub fn finish(self) {
        self.ticker.abort();
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        self.console.show_bar(None);
    }
}

/// The scripts' `Progress:` line (what `report build` reads stays first), then the live figures.
pub fn progress_line(
    label: &str,
    total: u64,
    elapsed: Duration,
    live: &LiveView,
    p50: Option<f64>,
    window: Duration,
) -> String {
    let percent = if total == 0 {
        100.0
    } else {
        live.sent as f64 / total as f64 * 100.0
    };
    format!(
        "  [{label}] Progress: {}/{total} ({percent:.1}%) - Elapsed: {:.1}s - {}",
        live.sent,
        elapsed.as_secs_f64(),
        live_text(live, p50, Some(window))
    )
}

fn live_text(live: &LiveView, p50: Option<f64>, window: Option<Duration>) -> String {
    let over = window.map_or_else(
        || format!("last {}", duration_text(BAR_WINDOW)),
        |w| format!("last {}", duration_text(w)),
    );
    let p50 = p50.map_or_else(|| "n/a".to_string(), |v| format!("{v:.3}s"));
    format!(
        "In flight: {} - OK: {} - Failed: {} - p50 ({over}): {p50}",
        live.in_flight, live.ok, live.failed
    )
}

/// Latencies of successes that ended within the last `window`.
struct RecentLatencies {
    window: Duration,
    values: VecDeque<(tokio::time::Instant, f64)>,
}

impl RecentLatencies {
    fn new(window: Duration) -> Self {
        Self {
            window,
            values: VecDeque::new(),
        }
    }

    fn add(&mut self, now: tokio::time::Instant, latencies: &[f64]) {
        self.values.extend(latencies.iter().map(|&l| (now, l)));
        while self
            .values
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) >= self.window)
        {
            self.values.pop_front();
        }
    }

    fn median(&self) -> Option<f64> {
        let values: Vec<f64> = self.values.iter().map(|(_, l)| *l).collect();
        Summary::of(&values).map(|s| s.p50)
    }
}

/// A rate as the scripts print it: `2`, or `2.5` when not whole (at most 3 decimals).
pub fn rate_text(rate: f64) -> String {
    short_number(rate)
}

/// Seconds as the scripts print a duration: `30s`, or `0.5s`.
pub fn seconds_text(duration: Duration) -> String {
    format!("{}s", short_number(duration.as_secs_f64()))
}

/// `10`, `2.5`, `0.3`: at most 3 decimals, no trailing zeros.
fn short_number(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_durations_print_like_the_scripts() {
        assert_eq!(rate_text(15.0), "15");
        assert_eq!(rate_text(2.5), "2.5");
        assert_eq!(rate_text(0.30000000000000004), "0.3");
        assert_eq!(rate_text(10.0), "10");
        assert_eq!(seconds_text(Duration::from_secs(30)), "30s");
        assert_eq!(seconds_text(Duration::from_millis(500)), "0.5s");
    }

    #[tokio::test]
    async fn without_a_terminal_progress_lines_come_on_a_timer_with_failures_and_latency() {
        let console = Arc::new(Console::capturing());
        let looks = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = looks.clone();
        // Nothing is sent after the start (a slow rate): the lines still come, every 400 ms.
        let progress = Progress::start(
            console.clone(),
            "Spike",
            40,
            Duration::from_millis(400),
            Instant::now(),
            move || {
                let look = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                LiveView {
                    sent: 10 * (look + 1),
                    in_flight: 3,
                    ok: 5,
                    failed: 2,
                    recent_ok_latencies: if look == 0 {
                        vec![1.0, 2.0, 4.0]
                    } else {
                        vec![]
                    },
                }
            },
        );
        tokio::time::sleep(Duration::from_millis(1000)).await;
        progress.finish();
        // The elapsed time depends on how busy the machine is; the rest is exact.
        let lines: Vec<String> = console
            .captured()
            .iter()
            .map(|l| {
                let (head, tail) = l.split_once(" - Elapsed: ").unwrap();
                format!("{head} - {}", tail.split_once(" - ").unwrap().1)
            })
            .collect();
        assert_eq!(
            lines,
            [
                "  [Spike] Progress: 10/40 (25.0%) - In flight: 3 - OK: 5 - Failed: 2 - p50 (last 400ms): 2.000s",
                "  [Spike] Progress: 20/40 (50.0%) - In flight: 3 - OK: 5 - Failed: 2 - p50 (last 400ms): n/a",
            ]
        );
    }
}
