//! `report compare`'s documents: compare.md through templates/compare.md.tera, compare.html
//! from that Markdown through the same sanitising path as report.html, and summary.json. Every
//! string from a session enters as [`Md`].

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::context::{ChartCtx, Table};
use super::escape::Md;
use super::format;
use super::notes::Notes;
use super::objectives::{objective_text, outcome_text};
use crate::analyze::compare::figures::{Change, FigureRow, PODS, Section};
use crate::analyze::compare::merge::MergedRow;
use crate::analyze::compare::noise::{Missing, NoiseRow, Verdict};
use crate::analyze::compare::objectives::SideBySide;
use crate::analyze::compare::settings::Settings;
use crate::analyze::compare::{Comparison, Options};
use crate::analyze::figure::{Figure, PERCENT};
use crate::analyze::objectives::FileError;
use crate::analyze::stats::PERCENTILE_METHOD;
use crate::charts::ChartOutcome;

const MD_TEMPLATE: &str = include_str!("../../templates/compare.md.tera");

/// A table whose columns depend on the number of sessions: its header and alignment lines.
#[derive(Serialize)]
pub struct WideTable {
    pub header: Md,
    pub align: Md,
    pub table: Table,
}

#[derive(Serialize)]
pub struct SectionCtx {
    pub title: Md,
    pub wide: WideTable,
}

#[derive(Serialize)]
pub struct SettingsCtx {
    pub wide: Option<WideTable>,
    pub same: usize,
    pub without_spec: Vec<Md>,
}

#[derive(Serialize)]
pub struct ObjectivesCtx {
    pub file: Md,
    pub counts: Vec<Md>,
    pub wide: WideTable,
}

#[derive(Serialize)]
pub struct CompareCtx {
    pub title: Md,
    pub first: Md,
    pub sessions: Vec<Md>,
    pub version: Md,
    pub generated_at: Md,
    pub percentile_method: Md,
    pub sections: Vec<SectionCtx>,
    pub settings: SettingsCtx,
    pub objectives: Option<ObjectivesCtx>,
    pub objectives_error: Option<Md>,
    pub noise_method: Md,
    pub noise: Table,
    pub merged: Option<Table>,
    pub charts: Vec<ChartCtx>,
}

/// The header `| fixed… | per-session… |` and its alignment line (`---` for text, `--:` for
/// numbers).
fn wide(fixed: &[&'static str], per_session: Vec<Md>, numeric: bool, table: Table) -> WideTable {
    let mut header = Md::markup("|");
    let mut align = Md::markup("|");
    for f in fixed {
        header.push_markup(" ");
        header.push_markup(f);
        header.push_markup(" |");
        align.push_markup("---|");
    }
    for name in per_session {
        header.push_markup(" ");
        header.push(&name);
        header.push_markup(" |");
        align.push_markup(if numeric { "--:|" } else { "---|" });
    }
    WideTable {
        header,
        align,
        table,
    }
}

fn delta_name(name: &str) -> Md {
    let mut md = Md::markup("Δ ");
    md.push_text(name);
    md
}

fn section_title(s: Section) -> Md {
    Md::markup(match s {
        Section::Scenario => "Scenarios and phases",
        Section::Step => "Stress steps",
        Section::Phase => "Pods and CPU per phase",
        Section::Scaling => "Scaling",
    })
}

/// The figure's name in the tables.
pub fn figure_name(key: &str) -> &'static str {
    match key {
        "requests" => "Requests",
        "success_rate" => "Success",
        "avg" => "Avg latency",
        "p50" => "p50",
        "p95" => "p95",
        "p99" => "p99",
        "min" => "Min",
        "max" => "Max",
        "requests_per_s" => "Req/s",
        "tokens_per_s" => "Tokens/s",
        "duration" => "Step duration",
        "achieved_rps" => "Sent req/s",
        "answered_rps" => "Answered req/s",
        "breaking_point" => "Breaking point",
        "max_tested" => "Max tested",
        "max_stable_target" => "Max stable target",
        "max_stable_achieved" => "Max stable achieved",
        "time_to_recover" => "Time to recover",
        "pods_at_start" => "Pods at start",
        "pods_min" => "Pods min",
        "pods_max" => "Pods max",
        "cpu_mean_pct" => "CPU mean",
        "max_pods" => "Max pods",
        "time_at_max" => "Time at max",
        "time_to_scale_up" => "Time to scale up",
        "time_to_scale_down" => "Time to scale down",
        "memory_growth_mib_per_min" => "Memory growth",
        _ => "Figure",
    }
}

fn number(v: f64, unit: &str) -> String {
    if unit == PODS {
        format::plain(v)
    } else {
        format::with_unit(v, unit)
    }
}

fn value_cell(notes: &mut Notes, f: Option<&Figure>) -> Md {
    match f {
        None => notes.missing("not in this session"),
        Some(f) => match f.value {
            Some(v) if f.unit == PODS => Md::text(number(v, PODS)),
            _ => notes.cell(f),
        },
    }
}

/// `+0.520 s (+12.0 %)`; the percentage's reason when only it is missing.
pub fn change_cell(notes: &mut Notes, c: &Change) -> Md {
    let Some(v) = c.absolute.value else {
        return notes.cell(&c.absolute);
    };
    let sign = if v > 0.0 { "+" } else { "" };
    // A difference of two percentages is in points, not in percent of anything.
    let text = if c.absolute.unit == PERCENT {
        format!("{sign}{v:.1} points")
    } else {
        format!("{sign}{}", number(v, c.absolute.unit))
    };
    let mut md = Md::text(text);
    md.push_markup(" (");
    md.push(&notes.change_cell(&c.percent));
    md.push_markup(")");
    md
}

fn figure_sections(c: &Comparison) -> Vec<SectionCtx> {
    let mut per_session: Vec<Md> = c.sessions.iter().map(Md::text).collect();
    per_session.extend(c.sessions[1..].iter().map(|s| delta_name(s)));
    [
        Section::Scenario,
        Section::Step,
        Section::Phase,
        Section::Scaling,
    ]
    .into_iter()
    .filter_map(|section| {
        let rows: Vec<&FigureRow> = c.figures.iter().filter(|r| r.section == section).collect();
        if rows.is_empty() {
            return None;
        }
        let table = Table::of(rows, |r, notes| {
            let mut row = vec![
                Md::text(&r.test),
                Md::text(&r.name),
                Md::markup(figure_name(r.figure)),
            ];
            row.extend(r.values.iter().map(|v| value_cell(notes, v.as_ref())));
            row.extend(r.changes.iter().map(|ch| change_cell(notes, ch)));
            row
        });
        Some(SectionCtx {
            title: section_title(section),
            wide: wide(
                &["Test", "Scenario / phase", "Figure"],
                per_session.clone(),
                true,
                table,
            ),
        })
    })
    .collect()
}

fn settings_ctx(c: &Comparison, s: &Settings) -> SettingsCtx {
    let table = Table::of(&s.differing, |r, _| {
        let mut row = vec![Md::code(&r.setting)];
        row.extend(r.values.iter().map(|v| match v {
            Some(v) => Md::code(v),
            None => Md::markup("not recorded"),
        }));
        row
    });
    SettingsCtx {
        wide: (!s.differing.is_empty()).then(|| {
            wide(
                &["Setting"],
                c.sessions.iter().map(Md::text).collect(),
                false,
                table,
            )
        }),
        same: s.same,
        without_spec: s.without_spec.iter().map(Md::text).collect(),
    }
}

fn objectives_ctx(c: &Comparison, o: &SideBySide) -> ObjectivesCtx {
    let table = Table::of(&o.rows, |r, notes| {
        let mut row = vec![Md::text(objective_text(&r.objective))];
        row.extend(r.results.iter().map(|res| match res {
            None => notes.missing("this session has no such run"),
            Some(res) => {
                let mut md = Md::markup(outcome_text(res.outcome));
                md.push_markup(" (");
                md.push(&notes.cell(&res.measured));
                md.push_markup(")");
                md
            }
        }));
        row
    });
    ObjectivesCtx {
        file: Md::code(&o.file),
        counts: c
            .sessions
            .iter()
            .zip(&o.counts)
            .map(|(s, n)| {
                Md::text(format!(
                    "{s}: {} met, {} failed, {} not measured",
                    n.pass, n.fail, n.not_measured
                ))
            })
            .collect(),
        wide: wide(
            &["Objective"],
            c.sessions.iter().map(Md::text).collect(),
            false,
            table,
        ),
    }
}

pub fn noise_method(o: &Options) -> String {
    format!(
        "Percentile bootstrap of the p95 difference (session − {{first}}): the successful requests' latencies of each side resampled with replacement to their own size, {} times (fastrand, seed {}); each time the p95 of each resample (type 7) and their difference; the 95 % interval runs from the 2.5th to the 97.5th percentile (type 7) of the {} differences. A difference is called larger than run-to-run noise only when its interval excludes 0.",
        o.resamples, o.seed, o.resamples
    )
}

fn missing_text(m: Missing) -> &'static str {
    match m {
        Missing::FirstHasNoRecords => {
            "the first session kept no per-request records of this phase (needs `report run` or all_results)"
        }
        Missing::OtherHasNoRecords => {
            "this session kept no per-request records of this phase (needs `report run` or all_results)"
        }
        Missing::NoSuccessfulRequest => "a side has no successful request",
        Missing::BasicLoadSummaries => {
            "basic-load scenarios are read from their results file's summaries, without per-request records"
        }
    }
}

fn noise_table(rows: &[NoiseRow]) -> Table {
    Table::of(rows, |r, notes| {
        let why = r.unavailable.map_or("no interval", missing_text);
        let side = |s: &crate::analyze::compare::noise::Side, notes: &mut Notes| match s.p95 {
            Some(v) => Md::text(format!("{} (n = {})", format::seconds(v), s.successful)),
            None => notes.missing(why),
        };
        let difference = match r.difference {
            Some(d) => Md::text(format!(
                "{}{}",
                if d > 0.0 { "+" } else { "" },
                format::seconds(d)
            )),
            None => notes.missing(why),
        };
        let interval = match r.interval {
            Some([lo, hi]) => Md::text(format!(
                "[{}, {}]",
                format::seconds(lo),
                format::seconds(hi)
            )),
            None => notes.missing(why),
        };
        let verdict = match r.verdict {
            Verdict::LargerThanNoise => {
                Md::markup("larger than run-to-run noise (interval excludes 0)")
            }
            Verdict::WithinNoise => Md::markup("within run-to-run noise (interval includes 0)"),
            Verdict::Unavailable => notes.missing(why),
        };
        vec![
            Md::text(&r.test),
            Md::text(&r.phase),
            Md::text(&r.session),
            side(&r.first, notes),
            side(&r.other, notes),
            difference,
            interval,
            verdict,
        ]
    })
}

fn merged_table(rows: &[MergedRow]) -> Table {
    Table::of(rows, |r, notes| {
        let mut row = vec![
            Md::text(&r.test),
            Md::text(&r.phase),
            Md::text(format!("merged ({} runs)", r.runs)),
        ];
        for f in [
            &r.requests,
            &r.success_rate,
            &r.avg,
            &r.p50,
            &r.p95,
            &r.p99,
            &r.max,
        ] {
            row.push(notes.cell(f));
        }
        row
    })
}

fn chart_ctx(c: &ChartOutcome) -> ChartCtx {
    ChartCtx {
        file: Md::text(&c.file),
        title: Md::text(&c.title),
        not_drawn: c.not_drawn.as_ref().map(Md::text),
        caption: Md::text(&c.caption),
    }
}

pub fn context(
    c: &Comparison,
    objectives_error: Option<&FileError>,
    charts: &[ChartOutcome],
) -> CompareCtx {
    let first = c.sessions.first().cloned().unwrap_or_default();
    CompareCtx {
        title: Md::text(c.sessions.join(" vs ")),
        first: Md::text(&first),
        sessions: c.sessions.iter().map(Md::text).collect(),
        version: Md::text(env!("CARGO_PKG_VERSION")),
        generated_at: Md::text(chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string()),
        percentile_method: Md::text(PERCENTILE_METHOD),
        sections: figure_sections(c),
        settings: settings_ctx(c, &c.settings),
        objectives: c.objectives.as_ref().map(|o| objectives_ctx(c, o)),
        objectives_error: objectives_error.map(|e| Md::text(e.to_string())),
        noise_method: Md::text(noise_method(&c.options).replace("{first}", &first)),
        noise: noise_table(&c.noise),
        merged: c.merged.as_deref().map(merged_table),
        charts: charts.iter().map(chart_ctx).collect(),
    }
}

/// Writes compare.md, compare.html and summary.json into `out_dir`; returns the paths.
pub fn write(
    c: &Comparison,
    objectives_error: Option<&FileError>,
    charts: &[ChartOutcome],
    session_dirs: &[PathBuf],
    out_dir: &Path,
) -> Result<Vec<PathBuf>> {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![]);
    for (name, text) in [
        ("compare.md.tera", MD_TEMPLATE),
        ("report.html.tera", super::HTML_TEMPLATE),
    ] {
        tera.add_raw_template(name, text)
            .map_err(|e| anyhow::anyhow!("built-in {name}: {}", super::tera_error_chain(&e)))?;
    }
    let ctx = context(c, objectives_error, charts);
    let tctx = tera::Context::from_serialize(&ctx).context("building the template context")?;
    let markdown = tera
        .render("compare.md.tera", &tctx)
        .map_err(|e| anyhow::anyhow!("rendering compare.md: {}", super::tera_error_chain(&e)))?;
    let title = format!("comparison of {}", c.sessions.join(", "));
    let page = super::html_page(&tera, &tctx, &markdown, &title, charts, out_dir)?;
    let summary = serde_json::json!({
        "generator": format!("report {}", env!("CARGO_PKG_VERSION")),
        "percentile_method": PERCENTILE_METHOD,
        "sessions": c.sessions,
        "session_dirs": session_dirs.iter().map(|d| super::paths::folder_name(d)).collect::<Vec<_>>(),
        "comparison": c,
        "objectives_error": objectives_error.map(|e| e.to_string()),
        "charts": charts,
    });
    Ok(vec![
        super::write(out_dir, "compare.md", &markdown)?,
        super::write(out_dir, "compare.html", &page)?,
        super::write(
            out_dir,
            "summary.json",
            &serde_json::to_string_pretty(&summary)?,
        )?,
    ])
}
