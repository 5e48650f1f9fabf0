//! The template context: every table pre-formatted into strings (templates stay logic-free),
//! with its notes.

use serde::Serialize;

use super::format;
use super::notes::Notes;
use crate::analyze::Analysis;
use crate::analyze::scaling::ScalingReport;
use crate::analyze::stats::PERCENTILE_METHOD;
use crate::charts::ChartOutcome;

pub const NEEDS_COLLECT: &str =
    "needs a cluster recording (`report collect`); this session has none";

#[derive(Serialize)]
pub struct Table {
    pub rows: Vec<Vec<String>>,
    pub notes: String,
}

impl Table {
    /// One row per item; the footnotes its cells collect go under the table.
    pub fn of<T>(
        items: impl IntoIterator<Item = T>,
        mut row: impl FnMut(T, &mut Notes) -> Vec<String>,
    ) -> Self {
        let mut notes = Notes::default();
        let rows = items
            .into_iter()
            .map(|item| row(item, &mut notes))
            .collect();
        Self {
            rows,
            notes: notes.markdown(),
        }
    }
}

#[derive(Serialize)]
pub struct SpikeCtx {
    pub label: String,
    pub source: String,
    pub headline: String,
    pub crash: Option<String>,
    pub table: Table,
    pub recover: String,
}

#[derive(Serialize)]
pub struct StressCtx {
    pub label: String,
    pub source: String,
    pub headline: String,
    pub table: Table,
    pub thresholds: String,
    pub facts: Table,
    pub notes: Vec<String>,
}

#[derive(Serialize)]
pub struct SoakCtx {
    pub label: String,
    pub source: String,
    pub verdict: String,
    pub interrupted: bool,
    pub minutes_source: String,
    pub table: Table,
    pub clock_table: Option<Table>,
}

#[derive(Serialize)]
pub struct ProblemCtx {
    pub file: String,
    pub place: String,
    pub message: String,
    pub outcome: String,
}

#[derive(Serialize)]
pub struct Context {
    pub session: String,
    pub session_dir: String,
    pub version: String,
    pub generated_at: String,
    pub clock: String,
    pub headlines: Vec<String>,
    pub scenarios: Table,
    pub percentile_method: String,
    pub spikes: Vec<SpikeCtx>,
    pub stresses: Vec<StressCtx>,
    pub soaks: Vec<SoakCtx>,
    pub charts: Vec<ChartOutcome>,
    pub autoscaling: Vec<(String, String)>,
    pub phases: Table,
    pub scaling: Option<super::scaling_ctx::ScalingCtx>,
    pub problems: Vec<ProblemCtx>,
    pub files_used: Vec<String>,
    pub missing_tests: Vec<String>,
}

pub fn build_context(a: &Analysis, charts: &[ChartOutcome], session_dir: &str) -> Context {
    let mut headlines: Vec<String> = Vec::new();
    headlines.extend(
        a.spikes
            .iter()
            .map(|s| format!("{}: {}", s.label, s.headline)),
    );
    headlines.extend(
        a.stresses
            .iter()
            .map(|s| format!("{}: {}", s.label, s.headline)),
    );
    headlines.extend(
        a.soaks
            .iter()
            .map(|s| format!("{}: {}", s.label, s.verdict)),
    );
    let missing_tests = [
        (
            a.scenarios.iter().all(|r| r.test != "Basic load"),
            "basic load test (benchmark_results.json)",
        ),
        (a.spikes.is_empty(), "spike test"),
        (a.stresses.is_empty(), "stress test"),
        (a.soaks.is_empty(), "soak test"),
    ]
    .into_iter()
    .filter(|(missing, _)| *missing)
    .map(|(_, name)| name.to_string())
    .collect();
    Context {
        session: a.session.clone(),
        session_dir: session_dir.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        generated_at: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        clock: format!(
            "The scripts' zone-less timestamps were read as UTC{:+} h ({}).",
            f64::from(a.clock.utc_offset_seconds) / 3600.0,
            a.clock.source
        ),
        headlines,
        scenarios: scenario_table(a),
        percentile_method: PERCENTILE_METHOD.to_string(),
        spikes: a
            .spikes
            .iter()
            .map(|s| spike_ctx(s, a.scaling.as_ref()))
            .collect(),
        stresses: a
            .stresses
            .iter()
            .map(|s| stress_ctx(s, a.scaling.as_ref()))
            .collect(),
        soaks: a
            .soaks
            .iter()
            .map(|s| soak_ctx(s, a.scaling.as_ref()))
            .collect(),
        charts: charts.to_vec(),
        autoscaling: super::scaling_ctx::checklist(a.scaling.as_ref()),
        phases: phases_table(a),
        scaling: a.scaling.as_ref().map(super::scaling_ctx::scaling_ctx),
        problems: a
            .problems
            .iter()
            .map(|p| ProblemCtx {
                file: p.file.display().to_string(),
                place: p.place.clone(),
                message: p.message.clone(),
                outcome: p.outcome.to_string(),
            })
            .collect(),
        files_used: a.files_used.clone(),
        missing_tests,
    }
}

fn scenario_table(a: &Analysis) -> Table {
    Table::of(&a.scenarios, |r, notes| {
        let mut row = vec![r.test.clone(), r.name.clone()];
        for f in [
            &r.requests,
            &r.success_rate,
            &r.avg,
            &r.p50,
            &r.p95,
            &r.p99,
            &r.min,
            &r.max,
            &r.requests_per_s,
            &r.tokens_per_s,
        ] {
            row.push(notes.cell(f));
        }
        row.push(r.source.clone());
        row
    })
}

fn spike_ctx(s: &crate::analyze::spike::SpikeReport, scaling: Option<&ScalingReport>) -> SpikeCtx {
    let mut notes = Notes::default();
    let rows = s
        .phases
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                notes.cell(&p.target_rps),
                notes.cell(&p.achieved_rps),
                notes.cell(&p.answered_rps),
                notes.cell(&p.drain),
                notes.cell(&p.duration),
                notes.cell(&p.row.requests),
                notes.cell(&p.row.success_rate),
                notes.cell(&p.row.avg),
                notes.cell(&p.row.p95),
                if p.name == "Baseline" {
                    "—".into()
                } else {
                    notes.change_cell(&p.avg_change_pct)
                },
                if p.name == "Baseline" {
                    "—".into()
                } else {
                    notes.change_cell(&p.p95_change_pct)
                },
                pods_cell(scaling, &s.label, &p.name, &mut notes),
                cpu_cell(scaling, &s.label, &p.name, &mut notes),
            ]
        })
        .collect();
    SpikeCtx {
        label: s.label.clone(),
        source: s.source.clone(),
        headline: s.headline.clone(),
        crash: s.crash.clone(),
        recover: match &s.time_to_recover.value {
            Some(_) => format!(
                "{} ({})",
                notes.cell(&s.time_to_recover),
                s.time_to_recover.method.clone().unwrap_or_default()
            ),
            None => format!(
                "n/a: {}",
                s.time_to_recover.unavailable.clone().unwrap_or_default()
            ),
        },
        table: Table {
            rows,
            notes: notes.markdown(),
        },
    }
}

fn stress_ctx(
    s: &crate::analyze::stress::StressReport,
    scaling: Option<&ScalingReport>,
) -> StressCtx {
    let table = Table::of(&s.steps, |st, notes| {
        vec![
            format::significant(st.target_rps),
            notes.cell(&st.achieved_rps),
            notes.cell(&st.answered_rps),
            notes.cell(&st.drain),
            notes.cell(&st.requests),
            notes.cell(&st.duration),
            pods_cell(
                scaling,
                &s.label,
                &crate::analyze::step_name(st.target_rps),
                notes,
            ),
            notes.cell(&st.success_rate),
            notes.cell(&st.avg),
            super::stress_words::status_cell(st.status, &st.rules),
        ]
    });
    let facts = Table::of(
        [
            ("Breaking point", &s.breaking_point),
            ("Maximum rate tested", &s.max_tested),
            ("Highest stable step (target)", &s.max_stable_target),
            (
                "Maximum stable throughput (achieved)",
                &s.max_stable_achieved,
            ),
        ],
        |(name, figure), notes| vec![name.to_string(), notes.cell(figure)],
    );
    StressCtx {
        label: s.label.clone(),
        source: s.source.clone(),
        headline: s.headline.clone(),
        table,
        thresholds: super::stress_words::thresholds(&s.criteria),
        facts,
        notes: s.notes.clone(),
    }
}

fn soak_ctx(s: &crate::analyze::soak::SoakReport, scaling: Option<&ScalingReport>) -> SoakCtx {
    let table = Table::of(&s.minutes, |m, notes| {
        vec![
            m.minute.to_string(),
            notes.cell(&m.requests),
            notes.cell(&m.avg),
            notes.cell(&m.p95),
            notes.cell(&m.success_rate),
            notes.change_cell(&m.avg_vs_mean_pct),
        ]
    });
    let clock_table = (!s.clock_minutes.is_empty()).then(|| {
        let rows = s
            .clock_minutes
            .iter()
            .map(|w| {
                let opt = |v: Option<f64>| v.map_or("n/a".to_string(), format::seconds);
                vec![
                    w.start.format("%H:%M").to_string(),
                    w.requests.to_string(),
                    format::percent(if w.requests > 0 {
                        100.0 * w.successful as f64 / w.requests as f64
                    } else {
                        0.0
                    }),
                    opt(w.avg),
                    opt(w.p50),
                    opt(w.p95),
                    opt(w.p99),
                    memory_cell(scaling, w.start),
                ]
            })
            .collect();
        Table {
            rows,
            notes: String::new(),
        }
    });
    SoakCtx {
        label: s.label.clone(),
        source: s.source.clone(),
        verdict: s.verdict.clone(),
        interrupted: s.interrupted,
        minutes_source: s.minutes_source.clone(),
        table,
        clock_table,
    }
}

/// `1→3` (min→max over the phase), `2`, or `n/a [k]` with the missing recording.
fn pods_cell(
    scaling: Option<&ScalingReport>,
    test: &str,
    phase: &str,
    notes: &mut Notes,
) -> String {
    let Some(sc) = scaling else {
        return notes.missing(NEEDS_COLLECT);
    };
    match sc.during(test, phase) {
        Some(p) => match (p.pods_min, p.pods_max) {
            (Some(a), Some(b)) if a == b => a.to_string(),
            (Some(a), Some(b)) => format!("{a}→{b}"),
            _ => notes.missing("no HPA reading during this phase"),
        },
        None => notes
            .missing("this phase has no times on the clock (needs its time-stamped console log)"),
    }
}

/// Mean CPU (% of request) the HPA read during the phase.
fn cpu_cell(scaling: Option<&ScalingReport>, test: &str, phase: &str, notes: &mut Notes) -> String {
    let Some(sc) = scaling else {
        return notes.missing(NEEDS_COLLECT);
    };
    match sc.during(test, phase).and_then(|p| p.cpu_mean_pct) {
        Some(c) => format!("{c:.0} %"),
        None => notes.missing("no HPA CPU reading during this phase"),
    }
}

/// The pods' summed memory in the clock minute starting at `minute`.
fn memory_cell(scaling: Option<&ScalingReport>, minute: chrono::DateTime<chrono::Utc>) -> String {
    scaling
        .and_then(|s| s.soak_memory.iter().find(|m| m.minute == minute))
        .map_or_else(|| "n/a".to_string(), |m| format::bytes(m.bytes))
}

/// Test phases on the clock, with where their boundaries came from.
fn phases_table(a: &Analysis) -> Table {
    let rows = a
        .phases
        .iter()
        .map(|p| {
            vec![
                p.test.clone(),
                p.name.clone(),
                p.start.format("%H:%M:%S%.3f").to_string(),
                p.end.format("%H:%M:%S%.3f").to_string(),
                format::seconds((p.end - p.start).num_milliseconds() as f64 / 1000.0),
                p.target_rps.map_or("—".to_string(), |r| {
                    format!("{} req/s", format::significant(r))
                }),
                p.source.clone(),
            ]
        })
        .collect();
    Table {
        rows,
        notes: String::new(),
    }
}
