//! Stress test: steps of growing rate, back to back on one open-loop timeline. A step's verdict
//! is known once its last request ends (possibly during the next step); a broken step stops all
//! scheduling at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use super::console::{RULE, rate_text, seconds_text};
use super::engine::{Engine, Phase, PhaseRun, StopReason, finish_phase};
use super::record::RequestRecord;
use super::results::{GENERATOR_NOTE, StepFigures, StressResults, all_results, script_number};
use super::stats::Analysis;
use crate::cli::StressArgs;

/// When a step counts as the breaking point; recorded in the results file so that `report
/// build` judges the steps by the criteria the run used.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Criteria {
    pub min_success_percent: f64,
    pub max_avg_latency_s: f64,
}

impl Criteria {
    pub fn from_args(args: &StressArgs) -> Self {
        Self {
            min_success_percent: args.min_success,
            max_avg_latency_s: args.max_avg_latency.as_secs_f64(),
        }
    }

    /// Broken when too few succeeded or the average latency of successes is too high; a step
    /// without requests cannot break.
    pub fn breaks(&self, step: &Analysis) -> bool {
        if step.total.unwrap_or(0) == 0 {
            return false;
        }
        let too_slow = step
            .latency
            .as_ref()
            .is_some_and(|l| l.avg_latency > self.max_avg_latency_s);
        step.success_percent() < self.min_success_percent || too_slow
    }
}

pub fn steps(args: &StressArgs) -> Vec<Phase> {
    let mut steps = Vec::new();
    let mut index = 0u32;
    loop {
        // Rates from the index, not by repeated addition, and rounded to a millionth, so that
        // 0.1 steps give 0.3 and not 0.30000000000000004.
        let rate = ((args.start + args.step * f64::from(index)) * 1e6).round() / 1e6;
        if rate > args.max + 1e-9 {
            return steps;
        }
        let name = format!("{}RPS", rate_text(rate));
        steps.push(Phase {
            name: name.clone(),
            label: name,
            rate,
            duration: args.step_duration,
        });
        index += 1;
    }
}

/// One step's outcome, known once all its requests ended.
pub struct StepResult {
    pub phase: Phase,
    pub records: Vec<RequestRecord>,
    pub analysis: Analysis,
    /// Scheduling stopped before the step's end (Ctrl-C or an earlier step's breaking point).
    pub partial: bool,
    pub broken: bool,
}

fn judge(engine: Arc<Engine>, run: PhaseRun, criteria: Criteria) -> JoinHandle<StepResult> {
    tokio::spawn(async move {
        let partial = run.stopped;
        let (phase, records) = finish_phase(run, &engine).await;
        let analysis = Analysis::of(&records);
        let broken = !partial && criteria.breaks(&analysis);
        print_verdict(&engine, &phase, &analysis);
        if broken {
            engine.stop(StopReason::BreakingPoint(phase.rate));
        }
        StepResult {
            phase,
            records,
            analysis,
            partial,
            broken,
        }
    })
}

/// The scripts' two lines, tagged with the step since they may follow the next step's marker.
fn print_verdict(engine: &Engine, phase: &Phase, analysis: &Analysis) {
    let tag = format!("({} req/s step)", rate_text(phase.rate));
    engine.console.line(format!(
        "  Success rate: {:.1}% {tag}",
        analysis.success_percent()
    ));
    match &analysis.latency {
        Some(l) => engine
            .console
            .line(format!("  Avg latency: {:.3}s {tag}", l.avg_latency)),
        None => engine
            .console
            .line(format!("  Avg latency: n/a, no request succeeded {tag}")),
    }
}

fn print_header(engine: &Engine, args: &StressArgs) {
    let c = &engine.console;
    c.lines(["", RULE, "💪 STRESS TEST", RULE]);
    c.line(format!("Start: {} req/s", rate_text(args.start)));
    c.line(format!("Max: {} req/s", rate_text(args.max)));
    c.line(format!(
        "Step: +{} req/s every {}",
        rate_text(args.step),
        seconds_text(args.step_duration)
    ));
    c.lines([RULE, ""]);
}

/// Runs the steps and returns the `stress` object of the advanced results file.
pub async fn run(engine: &Arc<Engine>, args: &StressArgs, keep_all: bool) -> StressResults {
    print_header(engine, args);
    let criteria = Criteria::from_args(args);
    let mut verdicts = Vec::new();
    let mut start = Instant::now();
    for step in steps(args) {
        engine.console.lines([
            "",
            &format!(
                "📈 Testing {} req/s for {}...",
                rate_text(step.rate),
                seconds_text(step.duration)
            ),
        ]);
        let run = engine
            .run_phase(&step, start, Duration::from_secs(10))
            .await;
        start += step.duration;
        let stopped = run.stopped;
        verdicts.push(judge(engine.clone(), run, criteria));
        if stopped {
            break;
        }
    }
    let mut results = Vec::new();
    for verdict in verdicts {
        if let Ok(result) = verdict.await {
            results.push(result);
        }
    }
    conclude(engine, &results);
    stress_object(&results, criteria, keep_all)
}

fn breaking_point(results: &[StepResult]) -> Option<f64> {
    results.iter().find(|s| s.broken).map(|s| s.phase.rate)
}

fn max_tested(results: &[StepResult]) -> Option<f64> {
    breaking_point(results).or_else(|| {
        results
            .iter()
            .rev()
            .find(|s| !s.partial)
            .map(|s| s.phase.rate)
    })
}

fn conclude(engine: &Engine, results: &[StepResult]) {
    engine.console.line("");
    match (breaking_point(results), max_tested(results)) {
        (Some(rate), _) => engine.console.line(format!(
            "⚠️  BREAKING POINT REACHED at {} req/s!",
            rate_text(rate)
        )),
        (None, Some(rate)) if engine.stop_reason().is_none() => engine.console.line(format!(
            "✅ System handled max load of {} req/s successfully!",
            rate_text(rate)
        )),
        _ => engine
            .console
            .line("⚠️  Stopped before the last step ended; no breaking point seen."),
    }
}

fn stress_object(results: &[StepResult], criteria: Criteria, keep_all: bool) -> StressResults {
    let steps = results
        .iter()
        .map(|s| StepFigures {
            target_rps: script_number(s.phase.rate),
            partial: s.partial,
            figures: s.analysis.clone(),
        })
        .collect();
    let everything: Vec<RequestRecord> = results
        .iter()
        .flat_map(|s| s.records.iter().cloned())
        .collect();
    let or_null = |rate: Option<f64>| rate.map_or(serde_json::Value::Null, script_number);
    StressResults {
        test_type: "stress",
        breaking_point: or_null(breaking_point(results)),
        max_tested: or_null(max_tested(results)),
        all_results: all_results(&everything, keep_all),
        steps,
        criteria,
        generator: GENERATOR_NOTE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn steps_grow_from_start_to_max_inclusive_without_drift() {
        let cli = crate::cli::Cli::try_parse_from([
            "report", "run", "stress", "--url", "http://h", "--start", "0.1", "--step", "0.1",
            "--max", "0.3",
        ])
        .unwrap();
        let crate::cli::Command::Run(crate::cli::RunArgs {
            test: crate::cli::RunTest::Stress(args),
        }) = cli.command
        else {
            panic!("not a stress command")
        };
        let names: Vec<String> = steps(&args).into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["0.1RPS", "0.2RPS", "0.3RPS"]);
    }

    #[test]
    fn criteria_break_on_success_or_latency() {
        let c = Criteria {
            min_success_percent: 95.0,
            max_avg_latency_s: 10.0,
        };
        let analysis = |total, ok, avg: Option<f64>| Analysis {
            total: Some(total),
            successful: Some(ok),
            failed: Some(total - ok),
            success_rate: Some(ok as f64 / total as f64 * 100.0),
            latency: avg.map(|a| crate::run::stats::LatencyFigures {
                avg_latency: a,
                median_latency: a,
                p95_latency: a,
                p99_latency: a,
                min_latency: a,
                max_latency: a,
                total_tokens: 0,
            }),
        };
        assert!(!c.breaks(&analysis(100, 95, Some(1.0))));
        assert!(c.breaks(&analysis(100, 94, Some(1.0))));
        assert!(c.breaks(&analysis(100, 100, Some(10.5))));
        assert!(c.breaks(&analysis(10, 0, None)));
        assert!(!c.breaks(&Analysis::default()));
    }
}
