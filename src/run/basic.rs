//! Basic load test: per scenario, N requests sent by C workers that each wait for their answer
//! before sending the next (closed loop by definition: it measures a concurrency level, not a
//! rate). A record's scheduled time is when its worker took it up.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::console::{Console, RULE};
use super::engine::Engine;
use super::record::{Boundary, RequestRecord};
use super::results::ScenarioResult;
use super::stats::Summary;
use crate::cli::BasicArgs;

/// A scenario's name as the scripts spell the three defaults; later ones are numbered.
pub fn scenario_name(index: usize, concurrency: u32) -> String {
    let size = match index {
        0 => "Light Load".to_string(),
        1 => "Medium Load".to_string(),
        2 => "Heavy Load".to_string(),
        n => format!("Load {}", n + 1),
    };
    if concurrency == 1 {
        format!("{size} (Sequential)")
    } else {
        format!("{size} ({concurrency} Concurrent)")
    }
}

/// A finished scenario: every record and its entry for `benchmark_results.json`, if any success.
pub struct ScenarioRun {
    pub name: String,
    pub records: Vec<RequestRecord>,
    pub result: Option<ScenarioResult>,
}

pub fn print_plan(engine: &Engine, args: &BasicArgs) {
    engine.console.lines(["", "📋 Test Plan:"]);
    for (index, (requests, workers)) in args.scenarios.iter().enumerate() {
        let short = scenario_name(index, *workers);
        let short = short.split(" Load").next().unwrap_or("Load");
        engine.console.line(format!(
            "  - {short}: {requests} requests, {workers} at a time"
        ));
    }
    engine.console.lines(["", ""]);
}

/// Runs every scenario in order with the pause between them; stops early on Ctrl-C.
pub async fn run(engine: &Arc<Engine>, args: &BasicArgs) -> Vec<ScenarioRun> {
    print_plan(engine, args);
    let mut runs = Vec::new();
    for (index, (requests, workers)) in args.scenarios.iter().copied().enumerate() {
        if index > 0 {
            engine.console.lines([
                "",
                &format!(
                    "⏸️  Waiting {} seconds before next scenario...",
                    args.pause.as_secs_f64()
                ),
            ]);
            if !engine.sleep_until(Instant::now() + args.pause).await {
                break;
            }
            engine.console.line("");
        }
        let name = scenario_name(index, workers);
        runs.push(run_scenario(engine, &name, requests, workers).await);
        if engine.stop_reason().is_some() {
            break;
        }
    }
    runs
}

async fn run_scenario(
    engine: &Arc<Engine>,
    name: &str,
    requests: u32,
    workers: u32,
) -> ScenarioRun {
    let c = &engine.console;
    c.lines([RULE, &format!("🎯 Scenario: {name}"), RULE, "", RULE]);
    c.lines([
        &format!("🔥 Load Test: {requests} requests, {workers} concurrent workers") as &str,
        RULE,
    ]);
    engine.event(name, Boundary::Start, None);
    let started = Instant::now();
    let records = drive_workers(engine, name, u64::from(requests), workers).await;
    let total_time = started.elapsed().as_secs_f64();
    engine.event(name, Boundary::End, None);
    print_results(engine, name, total_time, &records);
    let result = ScenarioResult::of(name, workers, total_time, &records);
    ScenarioRun {
        name: name.to_string(),
        records,
        result,
    }
}

/// `workers` tasks take request numbers from one counter until all are taken.
async fn drive_workers(
    engine: &Arc<Engine>,
    name: &str,
    requests: u64,
    workers: u32,
) -> Vec<RequestRecord> {
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let records = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers {
        let (engine, next, done, records, name) = (
            engine.clone(),
            next.clone(),
            done.clone(),
            records.clone(),
            name.to_string(),
        );
        tasks.spawn(async move {
            while next.fetch_add(1, Ordering::SeqCst) < requests && engine.stop_reason().is_none() {
                let record = engine.request_now(&name).await;
                if let Some(error) = record.error.as_deref().filter(|_| !record.ok) {
                    engine.console.line(format!("❌ Request failed: {error}"));
                }
                records
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(record);
                let finished = done.fetch_add(1, Ordering::SeqCst) + 1;
                if finished % 5 == 0 || finished == requests {
                    engine
                        .console
                        .line(format!("  Progress: {finished}/{requests} completed..."));
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let mut records = std::mem::take(&mut *records.lock().unwrap_or_else(|e| e.into_inner()));
    records.sort_by_key(|r| r.sent);
    records
}

fn print_results(engine: &Engine, name: &str, total_time: f64, records: &[RequestRecord]) {
    let ok: Vec<&RequestRecord> = records.iter().filter(|r| r.ok).collect();
    let total = records.len();
    let percent = if total == 0 {
        0.0
    } else {
        ok.len() as f64 / total as f64 * 100.0
    };
    let c = &engine.console;
    c.lines(["", "📊 Results:"]);
    c.line(format!("  Total Requests:     {total}"));
    c.line(format!(
        "  Successful:         {} ({percent:.1}%)",
        ok.len()
    ));
    c.line(format!("  Failed:             {}", total - ok.len()));
    c.line(format!("  Total Time:         {total_time:.2}s"));
    let latencies: Vec<f64> = ok.iter().map(|r| r.latency_s).collect();
    let Some(s) = Summary::of(&latencies) else {
        c.lines([
            "",
            &format!("❌ {name}: every request failed; left out of the results file"),
        ]);
        return;
    };
    c.lines(["", "⏱️  Latency Statistics:"]);
    for (label, value) in [
        ("Average:", s.mean),
        ("Median (P50):", s.p50),
        ("P95:", s.p95),
        ("P99:", s.p99),
        ("Min:", s.min),
        ("Max:", s.max),
    ] {
        c.line(format!("  {label:<20}{value:.3}s"));
    }
    let tokens: u64 = ok.iter().filter_map(|r| r.tokens).sum();
    let per_second = |n: f64| {
        if total_time > 0.0 {
            n / total_time
        } else {
            0.0
        }
    };
    c.lines(["", "🚀 Throughput:"]);
    c.line(format!(
        "  Requests/sec:       {:.2}",
        per_second(ok.len() as f64)
    ));
    c.line(format!(
        "  Tokens/sec:         {:.2}",
        per_second(tokens as f64)
    ));
    c.lines(["", &format!("✅ {name} completed successfully!")]);
}

/// The script's closing summary, printed after the results file is saved.
pub fn print_summary(c: &Console, runs: &[ScenarioRun]) {
    c.lines(["", "📈 Summary:"]);
    for run in runs {
        let total = run.records.len();
        let ok = run.records.iter().filter(|r| r.ok).count();
        let percent = if total == 0 {
            0.0
        } else {
            ok as f64 / total as f64 * 100.0
        };
        c.lines(["", &format!("  {}:", run.name)]);
        c.line(format!("    Success Rate: {ok}/{total} ({percent:.1}%)"));
        if let Some(result) = &run.result {
            c.line(format!("    Avg Latency:  {:.2}s", result.avg_latency));
            c.line(format!("    Throughput:   {:.2} req/s", result.throughput));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::scenario_name;

    #[test]
    fn default_scenarios_carry_the_scripts_names() {
        assert_eq!(scenario_name(0, 1), "Light Load (Sequential)");
        assert_eq!(scenario_name(1, 2), "Medium Load (2 Concurrent)");
        assert_eq!(scenario_name(2, 3), "Heavy Load (3 Concurrent)");
        assert_eq!(scenario_name(3, 4), "Load 4 (4 Concurrent)");
    }
}
