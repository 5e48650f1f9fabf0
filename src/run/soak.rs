//! Soak test: one constant rate; the scripts' "minutes" are blocks of 60 x rate results in
//! completion order, kept as is for their file.

use std::time::{Duration, Instant};

use super::console::{RULE, rate_text};
use super::engine::{Engine, Phase, finish_phase};
use super::record::RequestRecord;
use super::results::{GENERATOR_NOTE, SoakResults, all_results, script_number};
use super::stats::Analysis;
use crate::cli::SoakArgs;

pub fn phase(args: &SoakArgs) -> Phase {
    Phase {
        name: "soak".into(),
        label: "Soak".into(),
        rate: args.rps,
        duration: args.duration,
    }
}

/// Results per "minute" chunk: 60 x rate results each, in the order they ended.
pub fn minute_chunks(records: &[RequestRecord], rate: f64) -> Vec<Analysis> {
    let size = ((60.0 * rate).round() as usize).max(1);
    let mut by_end: Vec<&RequestRecord> = records.iter().collect();
    by_end.sort_by_key(|r| r.ended);
    by_end
        .chunks(size)
        .map(|chunk| Analysis::of(chunk.iter().copied()))
        .collect()
}

fn print_header(engine: &Engine, phase: &Phase) {
    let secs = phase.duration.as_secs_f64();
    let c = &engine.console;
    c.lines(["", RULE, "⏱️  SOAK TEST (ENDURANCE)", RULE]);
    c.line(format!("Load: {} req/s", rate_text(phase.rate)));
    c.line(format!(
        "Duration: {} minutes ({secs:.0}s)",
        minutes_text(secs)
    ));
    c.line(format!("Total requests: ~{}", phase.request_count()));
    c.lines([
        RULE,
        "",
        "This will take a while... Monitor for memory leaks and degradation.",
    ]);
    c.lines(["Press Ctrl+C to stop early.", ""]);
}

fn minutes_text(secs: f64) -> String {
    let minutes = secs / 60.0;
    if minutes.fract() == 0.0 {
        format!("{minutes:.0}")
    } else {
        format!("{minutes:.2}")
    }
}

fn print_table(engine: &Engine, chunks: &[Analysis]) {
    let c = &engine.console;
    c.lines(["", "📊 Degradation Analysis (per minute):"]);
    c.line(format!(
        "{:<10} {:<15} {:<15} {:<15}",
        "Minute", "Avg Latency", "P95 Latency", "Success Rate"
    ));
    c.line("-".repeat(60));
    for (index, chunk) in chunks.iter().enumerate() {
        let (avg, p95) = chunk
            .latency
            .as_ref()
            .map_or((0.0, 0.0), |l| (l.avg_latency, l.p95_latency));
        c.line(format!(
            "{:<10} {avg:<15.3} {p95:<15.3} {:<15.1}%",
            index + 1,
            chunk.success_percent()
        ));
    }
}

/// Runs the soak and returns the `soak` object of the advanced results file.
pub async fn run(engine: &Engine, args: &SoakArgs, keep_all: bool) -> SoakResults {
    let phase = phase(args);
    print_header(engine, &phase);
    let run = engine
        .run_phase(&phase, Instant::now(), Duration::from_secs(30))
        .await;
    let interrupted = run.stopped;
    let (_, records) = finish_phase(run, engine).await;
    let chunks = minute_chunks(&records, phase.rate);
    print_table(engine, &chunks);
    SoakResults {
        test_type: "soak",
        // The scripts write only this key when stopped; here the figures come with it.
        status: interrupted.then_some("interrupted"),
        duration_minutes: script_number(phase.duration.as_secs_f64() / 60.0),
        target_rps: script_number(phase.rate),
        overall_analysis: Analysis::of(&records),
        per_minute_chunks: chunks,
        all_results: all_results(&records, keep_all),
        generator: GENERATOR_NOTE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn ended_at(second: u32, latency: f64) -> RequestRecord {
        let t = Utc.with_ymd_and_hms(2026, 11, 26, 16, 0, second).unwrap();
        RequestRecord {
            test: "soak".into(),
            phase: "soak".into(),
            scheduled: t,
            sent: t,
            ended: t,
            latency_s: latency,
            latency_from_send_s: latency,
            status: Some(200),
            ok: true,
            tokens: Some(1),
            server_latency_s: None,
            error_kind: None,
            error: None,
            stream: Default::default(),
        }
    }

    #[test]
    fn minutes_are_blocks_of_sixty_times_rate_in_completion_order() {
        // At 0.05 req/s a "minute" is 3 results; the third result to end belongs to the first.
        let records = [
            ended_at(5, 1.0),
            ended_at(1, 2.0),
            ended_at(9, 3.0),
            ended_at(3, 4.0),
            ended_at(7, 5.0),
        ];
        let chunks = minute_chunks(&records, 0.05);
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].total, Some(3));
        assert_eq!(
            chunks[0].latency.as_ref().unwrap().avg_latency,
            (2.0 + 4.0 + 1.0) / 3.0
        );
        assert_eq!(chunks[1].total, Some(2));
    }
}
