//! Spike test: baseline, spike, recovery, back to back on one open-loop timeline.

use std::time::{Duration, Instant};

use super::console::{RULE, rate_text, seconds_text};
use super::engine::{Engine, Phase, finish_phase};
use super::record::RequestRecord;
use super::results::{GENERATOR_NOTE, SpikeResults, all_results};
use super::stats::Analysis;
use crate::cli::SpikeArgs;

pub fn phases(args: &SpikeArgs) -> [Phase; 3] {
    let phase = |name: &str, label: &str, rate, duration| Phase {
        name: name.to_string(),
        label: label.to_string(),
        rate,
        duration,
    };
    [
        phase(
            "baseline",
            "Baseline",
            args.baseline,
            args.baseline_duration,
        ),
        phase("spike", "Spike", args.rps, args.duration),
        phase(
            "recovery",
            "Recovery",
            args.baseline,
            args.recovery_duration,
        ),
    ]
}

fn marker(index: usize, phase: &Phase) -> String {
    let secs = seconds_text(phase.duration);
    match index {
        0 => format!("📊 Phase 1: Baseline load ({secs})..."),
        1 => format!(
            "⚡ Phase 2: SPIKE! {} req/s ({secs})...",
            rate_text(phase.rate)
        ),
        _ => format!("🔄 Phase 3: Recovery to baseline ({secs})..."),
    }
}

fn print_header(engine: &Engine, phases: &[Phase; 3]) {
    let c = &engine.console;
    c.lines(["", RULE, "🔥 SPIKE TEST", RULE]);
    for (title, phase) in ["Baseline", "Spike", "Recovery"].iter().zip(phases) {
        c.line(format!(
            "{title}: {} req/s for {}",
            rate_text(phase.rate),
            seconds_text(phase.duration)
        ));
    }
    c.lines([RULE, ""]);
}

/// Runs the three phases and returns the `spike` object of the advanced results file.
pub async fn run(engine: &Engine, args: &SpikeArgs, keep_all: bool) -> SpikeResults {
    let phases = phases(args);
    print_header(engine, &phases);
    let mut runs = Vec::new();
    let mut start = Instant::now();
    for (index, phase) in phases.iter().enumerate() {
        if index > 0 {
            engine.console.line("");
        }
        engine.console.line(marker(index, phase));
        let run = engine
            .run_phase(phase, start, Duration::from_secs(10))
            .await;
        start += phase.duration;
        let stopped = run.stopped;
        runs.push(run);
        if stopped {
            break;
        }
    }
    let mut by_phase: Vec<Vec<RequestRecord>> = Vec::new();
    for run in runs {
        by_phase.push(finish_phase(run, engine).await.1);
    }
    by_phase.resize(3, Vec::new());
    print_summaries(engine, &by_phase);
    let everything: Vec<RequestRecord> = by_phase.concat();
    SpikeResults {
        test_type: "spike",
        baseline_results: Analysis::of(&by_phase[0]),
        spike_results: Analysis::of(&by_phase[1]),
        recovery_results: Analysis::of(&by_phase[2]),
        all_results: all_results(&everything, keep_all),
        generator: GENERATOR_NOTE,
    }
}

fn print_summaries(engine: &Engine, by_phase: &[Vec<RequestRecord>]) {
    for (title, records) in ["Baseline", "Spike", "Recovery"].iter().zip(by_phase) {
        engine.console.line("");
        engine.console.line(format!("📊 {title} Phase Summary:"));
        for line in phase_summary_lines(&Analysis::of(records)) {
            engine.console.line(line);
        }
    }
}

/// The scripts' per-phase summary block.
pub fn phase_summary_lines(a: &Analysis) -> Vec<String> {
    let mut lines = vec![
        format!("  Total Requests: {}", a.total.unwrap_or(0)),
        format!(
            "  Successful: {} ({:.1}%)",
            a.successful.unwrap_or(0),
            a.success_percent()
        ),
        format!("  Failed: {}", a.failed.unwrap_or(0)),
    ];
    if let Some(l) = &a.latency {
        lines.push(format!("  Avg Latency: {:.3}s", l.avg_latency));
        lines.push(format!("  P95 Latency: {:.3}s", l.p95_latency));
    }
    lines
}
