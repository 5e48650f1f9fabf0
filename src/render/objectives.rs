//! The "Objectives" section: each objective, what was measured, pass / fail / not measured, and
//! the input and rule it came from; then goodput per phase.

use serde::Serialize;

use super::context::Table;
use super::escape::Md;
use super::format;
use crate::analyze::objectives::{Direction, Metric, ObjectiveResult, ObjectivesReport, Outcome};

#[derive(Serialize)]
pub struct ObjectivesCtx {
    pub file: Md,
    pub verdict: Md,
    pub table: Table,
    pub goodput_rule: Option<Md>,
    pub goodput: Option<Table>,
}

pub fn outcome_text(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "✅ pass",
        Outcome::Fail => "❌ fail",
        Outcome::NotMeasured => "⚪ not measured",
    }
}

/// `Spike · Spike: p95 ≤ 10.0 s`.
pub fn objective_text(r: &ObjectiveResult) -> String {
    let scope = match (&r.run, &r.phase) {
        (Some(run), Some(p)) => format!("{run} · {p}"),
        (Some(run), None) => run.clone(),
        (None, Some(p)) => format!("{} · {p}", r.test),
        (None, None) => r.test.clone(),
    };
    format!(
        "{scope}: {} {} {}",
        metric_name(r.metric),
        sign(r.direction),
        limit_text(r)
    )
}

fn sign(d: Direction) -> &'static str {
    match d {
        Direction::AtMost => "≤",
        Direction::AtLeast => "≥",
    }
}

pub fn limit_text(r: &ObjectiveResult) -> String {
    match r.metric.kind() {
        crate::analyze::objectives::file::Kind::Seconds => format::seconds(r.limit),
        crate::analyze::objectives::file::Kind::Percent => format::percent(r.limit),
        crate::analyze::objectives::file::Kind::Count => format!("{:.0}", r.limit),
        crate::analyze::objectives::file::Kind::MibPerMin => {
            format!("{} MiB/min", format::significant(r.limit))
        }
    }
}

pub fn metric_name(m: Metric) -> &'static str {
    match m {
        Metric::Avg => "average latency",
        Metric::P50 => "p50 latency",
        Metric::P95 => "p95 latency",
        Metric::P99 => "p99 latency",
        Metric::Success => "success",
        Metric::AchievedShare => "achieved rate / target",
        Metric::Goodput => "goodput",
        Metric::TimeToScaleUp => "time to scale up",
        Metric::TimeToScaleDown => "time to scale down",
        Metric::MaxPods => "max pods",
        Metric::MemoryGrowth => "memory growth",
        Metric::SoakDrift => "latency drift",
        Metric::TtftP50 => "TTFT p50",
        Metric::TtftP95 => "TTFT p95",
        Metric::TtftP99 => "TTFT p99",
        Metric::ItlP50 => "ITL p50",
        Metric::ItlP95 => "ITL p95",
        Metric::ItlP99 => "ITL p99",
        Metric::TpotP50 => "TPOT p50",
        Metric::TpotP95 => "TPOT p95",
        Metric::TpotP99 => "TPOT p99",
    }
}

pub fn objectives_ctx(report: &ObjectivesReport) -> ObjectivesCtx {
    let table = Table::of(&report.results, |r, notes| {
        let source = match (&r.measured.method, r.measured.source.is_empty()) {
            (Some(m), false) => format!("{} ({m})", r.measured.source),
            (Some(m), true) => m.clone(),
            (None, _) => r.measured.source.clone(),
        };
        let mut rule = Md::code(&report.file);
        rule.push_text(&format!(" line {}: ", r.line));
        rule.push(&Md::code(r.key));
        vec![
            Md::text(objective_text(r)),
            notes.cell(&r.measured),
            Md::text(outcome_text(r.outcome)),
            Md::text(&source),
            rule,
        ]
    });
    let goodput_rule = (!report.goodput_rule.is_empty()).then(|| {
        let g = &report.goodput_rule;
        let rule = [
            ("latency", g.latency_max_s),
            ("time to first token", g.ttft_max_s),
            ("inter-token latency", g.itl_max_s),
            ("time per output token", g.tpot_max_s),
        ]
        .iter()
        .filter_map(|(what, v)| v.map(|v| format!("{what} ≤ {}", format::seconds(v))))
        .collect::<Vec<_>>()
        .join(" and ");
        Md::text(rule)
    });
    let goodput = (!report.goodput.is_empty()).then(|| {
        Table::of(&report.goodput, |g, notes| {
            let share = match g.share_pct() {
                Some(v) => Md::text(format::percent(v)),
                None => notes.missing(g.unmeasured.as_deref().unwrap_or("not measured")),
            };
            vec![
                Md::text(&g.test),
                Md::text(&g.phase),
                Md::text(g.requests.to_string()),
                Md::text(g.good.map_or_else(|| "n/a".into(), |n| n.to_string())),
                share,
                Md::text(&g.source),
            ]
        })
    });
    ObjectivesCtx {
        file: Md::code(&report.file),
        verdict: Md::text(verdict(report)),
        table,
        goodput_rule,
        goodput,
    }
}

/// `2 of 5 objectives failed, 1 not measured; the gate (report build --check) fails.`
pub fn verdict(report: &ObjectivesReport) -> String {
    let total = report.results.len();
    let failed = report.count(Outcome::Fail);
    let unmeasured = report.count(Outcome::NotMeasured);
    if total == 0 {
        return "The objectives file names no objective.".into();
    }
    if failed == 0 && unmeasured == 0 {
        return format!("All {total} objectives met.");
    }
    let mut parts = Vec::new();
    if failed > 0 {
        parts.push(format!("{failed} of {total} objectives failed"));
    }
    if unmeasured > 0 {
        parts.push(format!(
            "{unmeasured} of {total} not measured (the inputs cannot answer them)"
        ));
    }
    format!(
        "{}: the gate (`report build --check`) fails, since an objective that is not measured is not met.",
        parts.join(", ")
    )
}
