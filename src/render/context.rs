//! The template context: every table pre-formatted into strings (templates stay logic-free),
//! with its notes.

use std::path::Path;

use serde::Serialize;

use super::escape::Md;
use super::format;
use super::notes::Notes;
use super::paths::in_session;
use crate::analyze::Analysis;
use crate::analyze::scaling::ScalingReport;
use crate::analyze::stats::PERCENTILE_METHOD;
use crate::charts::ChartOutcome;

pub const NEEDS_COLLECT: &str =
    "needs a cluster recording (`report collect`); this session has none";

#[derive(Serialize)]
pub struct Table {
    pub rows: Vec<Vec<Md>>,
    pub notes: Md,
}

impl Table {
    /// One row per item; the footnotes its cells collect go under the table.
    pub fn of<T>(
        items: impl IntoIterator<Item = T>,
        row: impl FnMut(T, &mut Notes) -> Vec<Md>,
    ) -> Self {
        let mut notes = Notes::default();
        let mut table = Self::sharing(items, &mut notes, row);
        table.notes = notes.markdown();
        table
    }

    /// One row per item, the footnotes going to `notes`, shared with other tables and printed
    /// once after them.
    pub fn sharing<T>(
        items: impl IntoIterator<Item = T>,
        notes: &mut Notes,
        mut row: impl FnMut(T, &mut Notes) -> Vec<Md>,
    ) -> Self {
        Self {
            rows: items.into_iter().map(|item| row(item, notes)).collect(),
            notes: Md::default(),
        }
    }

    /// A table of plain texts (no footnotes).
    pub fn plain(rows: impl IntoIterator<Item = Vec<String>>) -> Self {
        Self {
            rows: rows
                .into_iter()
                .map(|r| r.into_iter().map(Md::text).collect())
                .collect(),
            notes: Md::default(),
        }
    }
}

/// A chart as the report lists it.
#[derive(Serialize)]
pub struct ChartCtx {
    pub file: Md,
    pub title: Md,
    pub not_drawn: Option<Md>,
    pub caption: Md,
}

#[derive(Serialize)]
pub struct SpikeCtx {
    pub label: Md,
    pub source: Md,
    pub headline: Md,
    pub crash: Option<Md>,
    pub table: Table,
    pub recover: Md,
}

#[derive(Serialize)]
pub struct StressCtx {
    pub label: Md,
    pub source: Md,
    pub headline: Md,
    pub table: Table,
    pub thresholds: Md,
    pub facts: Table,
    pub notes: Vec<Md>,
}

#[derive(Serialize)]
pub struct SoakCtx {
    pub label: Md,
    pub source: Md,
    pub verdict: Md,
    pub interrupted: bool,
    pub minutes_source: Md,
    pub table: Table,
    pub clock_table: Option<Table>,
}

#[derive(Serialize)]
pub struct ProblemCtx {
    pub file: Md,
    pub place: Md,
    pub message: Md,
    pub outcome: Md,
}

#[derive(Serialize)]
pub struct Context {
    pub session: Md,
    pub session_dir: Md,
    pub version: Md,
    pub generated_at: Md,
    pub clock: Md,
    pub headlines: Vec<Md>,
    pub scenarios: Table,
    pub percentile_method: Md,
    pub spikes: Vec<SpikeCtx>,
    pub stresses: Vec<StressCtx>,
    pub soaks: Vec<SoakCtx>,
    pub charts: Vec<ChartCtx>,
    pub autoscaling: Vec<(Md, Md)>,
    pub phases: Table,
    pub failures: Table,
    pub failures_intro: Md,
    pub scaling: Option<super::scaling_ctx::ScalingCtx>,
    pub problems: Vec<ProblemCtx>,
    pub files_used: Vec<Md>,
    pub missing_tests: Vec<Md>,
    pub streaming: super::tokens::StreamingCtx,
}

pub fn build_context(a: &Analysis, charts: &[ChartOutcome], session_dir: &Path) -> Context {
    let mut headlines: Vec<String> = Vec::new();
    if let Some(speed) = a.sim_speed.filter(|s| *s != 1.0) {
        let x = super::format::plain(speed);
        headlines.push(format!(
            "The cluster was `report sim` running at {x}× speed: durations here are wall seconds; \
             wall seconds × {x} = simulated seconds."
        ));
    }
    headlines.extend(
        a.spikes
            .iter()
            .map(|s| format!("{}: {}", s.label, super::spike_words::headline(s))),
    );
    headlines.extend(
        a.stresses
            .iter()
            .map(|s| format!("{}: {}", s.label, super::stress_words::headline(s))),
    );
    headlines.extend(
        a.soaks
            .iter()
            .map(|s| format!("{}: {}", s.label, super::soak_words::verdict(&s.verdict))),
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
    .map(|(_, name)| Md::text(name))
    .collect();
    Context {
        session: Md::text(&a.session),
        session_dir: Md::code(super::paths::folder_name(session_dir)),
        version: Md::text(env!("CARGO_PKG_VERSION")),
        generated_at: Md::text(chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string()),
        clock: Md::text(format!(
            "The scripts' zone-less timestamps were read as UTC{:+} h ({}).",
            f64::from(a.clock.utc_offset_seconds) / 3600.0,
            a.clock.source
        )),
        headlines: headlines.iter().map(Md::text).collect(),
        scenarios: scenario_table(a),
        percentile_method: Md::text(PERCENTILE_METHOD),
        spikes: a
            .spikes
            .iter()
            .map(|s| spike_ctx(s, a.scaling.as_ref()))
            .collect(),
        stresses: a
            .stresses
            .iter()
            .map(|s| stress_ctx(s, a.scaling.as_ref(), &a.errors))
            .collect(),
        soaks: a
            .soaks
            .iter()
            .map(|s| soak_ctx(s, a.scaling.as_ref(), &a.errors))
            .collect(),
        charts: charts
            .iter()
            .map(|c| ChartCtx {
                file: Md::text(&c.file),
                title: Md::text(&c.title),
                not_drawn: c.not_drawn.as_ref().map(Md::text),
                caption: Md::text(&c.caption),
            })
            .collect(),
        autoscaling: super::scaling_ctx::checklist(a.scaling.as_ref()),
        phases: phases_table(a),
        failures: super::errors::failures_table(&a.errors),
        failures_intro: super::errors::failures_intro(&a.errors),
        scaling: a.scaling.as_ref().map(super::scaling_ctx::scaling_ctx),
        problems: a
            .problems
            .iter()
            .map(|p| ProblemCtx {
                file: Md::code(in_session(&p.file, session_dir)),
                place: Md::text(&p.place),
                message: Md::text(&p.message),
                outcome: Md::text(p.outcome),
            })
            .collect(),
        files_used: a
            .files_used
            .iter()
            .map(|f| Md::code(in_session(Path::new(f), session_dir)))
            .collect(),
        missing_tests,
        streaming: super::tokens::streaming_ctx(&a.streaming, a.dispatch.as_ref()),
    }
}

fn scenario_table(a: &Analysis) -> Table {
    Table::of(&a.scenarios, |r, notes| {
        let mut row = vec![Md::text(&r.test), Md::text(&r.name)];
        for f in [&r.requests, &r.success_rate, &r.avg, &r.p50, &r.p95, &r.p99] {
            row.push(notes.cell(f));
        }
        row.extend(super::errors::share_cells(
            &a.errors, &r.test, &r.name, notes,
        ));
        for f in [&r.min, &r.max, &r.requests_per_s, &r.tokens_per_s] {
            row.push(notes.cell(f));
        }
        row.push(Md::text(&r.source));
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
                Md::text(&p.name),
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
                    Md::markup("—")
                } else {
                    notes.change_cell(&p.avg_change_pct)
                },
                if p.name == "Baseline" {
                    Md::markup("—")
                } else {
                    notes.change_cell(&p.p95_change_pct)
                },
                pods_cell(scaling, &s.label, &p.name, &mut notes),
                cpu_cell(scaling, &s.label, &p.name, &mut notes),
            ]
        })
        .collect();
    SpikeCtx {
        label: Md::text(&s.label),
        source: Md::text(&s.source),
        headline: Md::text(super::spike_words::headline(s)),
        crash: s.crash.as_ref().map(Md::code),
        recover: match &s.time_to_recover.value {
            Some(v) => {
                let mut text = if *v == 0.0 {
                    Md::text("recovered in the first window")
                } else {
                    notes.cell(&s.time_to_recover)
                };
                text.push_markup(" (");
                text.push_text(s.time_to_recover.method.as_deref().unwrap_or_default());
                text.push_markup(")");
                text
            }
            None => Md::text(format!(
                "n/a: {}",
                s.time_to_recover.unavailable.clone().unwrap_or_default()
            )),
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
    errors: &crate::analyze::errors::ErrorsReport,
) -> StressCtx {
    let table = Table::of(&s.steps, |st, notes| {
        let [failed, timed_out] = super::errors::share_cells(
            errors,
            &s.label,
            &crate::analyze::step_name(st.target_rps),
            notes,
        );
        vec![
            Md::text(format::significant(st.target_rps)),
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
            failed,
            timed_out,
            Md::text(super::stress_words::status_cell(st.status, &st.rules)),
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
        |(name, figure), notes| vec![Md::text(name), notes.cell(figure)],
    );
    StressCtx {
        label: Md::text(&s.label),
        source: Md::text(&s.source),
        headline: Md::text(super::stress_words::headline(s)),
        table,
        thresholds: Md::text(super::stress_words::thresholds(&s.criteria)),
        facts,
        notes: s.notes.iter().map(super::stress_words::note).collect(),
    }
}

fn soak_ctx(
    s: &crate::analyze::soak::SoakReport,
    scaling: Option<&ScalingReport>,
    errors: &crate::analyze::errors::ErrorsReport,
) -> SoakCtx {
    let table = Table::of(&s.minutes, |m, notes| {
        vec![
            Md::text(m.minute.to_string()),
            notes.cell(&m.requests),
            notes.cell(&m.avg),
            notes.cell(&m.p95),
            notes.cell(&m.success_rate),
            notes.change_cell(&m.avg_vs_median_pct),
        ]
    });
    let clock_table = (!s.clock_minutes.is_empty()).then(|| {
        let rows = s
            .clock_minutes
            .iter()
            .map(|w| {
                let opt = |v: Option<f64>| v.map_or("n/a".to_string(), format::seconds);
                let [failed, timed_out] = super::errors::minute_cells(
                    errors,
                    &s.label,
                    w.start,
                    w.requests,
                    w.successful,
                );
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
                    failed,
                    timed_out,
                    memory_cell(scaling, w.start),
                ]
            })
            .collect::<Vec<Vec<String>>>();
        Table::plain(rows)
    });
    SoakCtx {
        label: Md::text(&s.label),
        source: Md::text(&s.source),
        verdict: Md::text(super::soak_words::verdict(&s.verdict)),
        interrupted: s.interrupted,
        minutes_source: Md::text(&s.minutes_source),
        table,
        clock_table,
    }
}

/// `1→3` (min→max over the phase), `2`, or `n/a [k]` with the missing recording.
fn pods_cell(scaling: Option<&ScalingReport>, test: &str, phase: &str, notes: &mut Notes) -> Md {
    let Some(sc) = scaling else {
        return notes.missing(NEEDS_COLLECT);
    };
    match sc.during(test, phase) {
        Some(p) => match (p.pods_min, p.pods_max) {
            (Some(a), Some(b)) if a == b => Md::text(a.to_string()),
            (Some(a), Some(b)) => Md::text(format!("{a}→{b}")),
            _ => notes.missing("no HPA reading during this phase"),
        },
        None => notes
            .missing("this phase has no times on the clock (needs its time-stamped console log)"),
    }
}

/// Mean CPU (% of request) the HPA read during the phase.
fn cpu_cell(scaling: Option<&ScalingReport>, test: &str, phase: &str, notes: &mut Notes) -> Md {
    let Some(sc) = scaling else {
        return notes.missing(NEEDS_COLLECT);
    };
    match sc.during(test, phase).and_then(|p| p.cpu_mean_pct) {
        Some(c) => Md::text(format!("{c:.0} %")),
        None => notes.missing("no HPA CPU reading during this phase"),
    }
}

/// The pods' mean memory in the clock minute starting at `minute`.
fn memory_cell(scaling: Option<&ScalingReport>, minute: chrono::DateTime<chrono::Utc>) -> String {
    scaling
        .and_then(|s| s.soak_memory.iter().find(|m| m.minute == minute))
        .map_or_else(
            || "n/a".to_string(),
            |m| format::bytes(m.mean_bytes_per_pod),
        )
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
        .collect::<Vec<_>>();
    Table::plain(rows)
}
