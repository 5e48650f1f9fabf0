//! Console output in the scripts' layout (their marker lines are what `report collect` and
//! `report build` recognise), with an indicatif bar per phase when stdout is a terminal and the
//! scripts' own `Progress:` lines otherwise.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// The scripts' separator line.
pub const RULE: &str = "======================================================================";

pub struct Console {
    interactive: bool,
    quiet: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Console {
    pub fn new(quiet: bool) -> Self {
        Self {
            interactive: std::io::stdout().is_terminal(),
            quiet,
            bar: Mutex::new(None),
        }
    }

    /// Prints one line above the progress bar, if any.
    pub fn line(&self, text: impl AsRef<str>) {
        if self.quiet {
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

/// Progress of one phase: a bar on a terminal, otherwise a scripts-style line every `every`.
pub struct Progress<'a> {
    console: &'a Console,
    label: String,
    total: u64,
    every: Duration,
    next_line_at: Duration,
    bar: Option<ProgressBar>,
}

impl<'a> Progress<'a> {
    pub fn new(console: &'a Console, label: &str, total: u64, every: Duration) -> Self {
        let bar = (console.interactive && !console.quiet).then(|| {
            let bar = ProgressBar::new(total);
            let style = ProgressStyle::with_template(
                "  [{prefix}] {bar:30} {pos}/{len} sent, {msg} in flight, {elapsed}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_prefix(label.to_string());
            bar
        });
        console.show_bar(bar.clone());
        Self {
            console,
            label: label.to_string(),
            total,
            every,
            next_line_at: every,
            bar,
        }
    }

    pub fn sent(&mut self, count: u64, elapsed: Duration, in_flight: usize) {
        if let Some(bar) = &self.bar {
            bar.set_position(count);
            bar.set_message(in_flight.to_string());
            return;
        }
        if elapsed >= self.next_line_at {
            self.next_line_at = elapsed + self.every;
            let percent = if self.total == 0 {
                100.0
            } else {
                count as f64 / self.total as f64 * 100.0
            };
            self.console.line(format!(
                "  [{}] Progress: {count}/{} ({percent:.1}%) - Elapsed: {:.1}s - In flight: {in_flight}",
                self.label,
                self.total,
                elapsed.as_secs_f64()
            ));
        }
    }

    pub fn finish(self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        self.console.show_bar(None);
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
}
