//! The measured value an objective is checked against: a run of the session (by kind or by its
//! report label), optionally one phase, scenario or stress step of it, and one metric.

use super::file::Metric;
use super::goodput::GoodputRow;
use crate::analyze::Analysis;
use crate::analyze::figure::{self, Figure};
use crate::analyze::scenarios::ScenarioRow;
use crate::analyze::soak::SoakVerdict;
use crate::analyze::stats;
use crate::ingest::SessionInputs;
use crate::ingest::records::RequestColumns;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    Basic,
    Spike(usize),
    Stress(usize),
    Soak(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub label: String,
    pub kind: RunKind,
}

const BASIC_LABEL: &str = "Basic load";
const PODS: &str = "pods";
const MIB_PER_MIN: &str = "MiB/min";

fn all_runs(a: &Analysis) -> Vec<Run> {
    let basic = a.scenarios.iter().any(|s| s.test == BASIC_LABEL);
    let run = |label: &str, kind| Run {
        label: label.to_string(),
        kind,
    };
    basic
        .then(|| run(BASIC_LABEL, RunKind::Basic))
        .into_iter()
        .chain(
            a.spikes
                .iter()
                .enumerate()
                .map(|(i, s)| run(&s.label, RunKind::Spike(i))),
        )
        .chain(
            a.stresses
                .iter()
                .enumerate()
                .map(|(i, s)| run(&s.label, RunKind::Stress(i))),
        )
        .chain(
            a.soaks
                .iter()
                .enumerate()
                .map(|(i, s)| run(&s.label, RunKind::Soak(i))),
        )
        .collect()
}

pub fn run_labels(a: &Analysis) -> Vec<String> {
    let labels: Vec<String> = all_runs(a).into_iter().map(|r| r.label).collect();
    if labels.is_empty() {
        vec!["no test".into()]
    } else {
        labels
    }
}

/// The runs a scope names: every run of a kind (`spike`, `basic`, `stress`, `soak`) or the one
/// run whose report label it is (`Spike 2 (16:41:03)`).
pub fn runs_named(a: &Analysis, name: &str) -> Vec<Run> {
    let wanted = name.trim().to_lowercase();
    all_runs(a)
        .into_iter()
        .filter(|r| {
            let kind = match r.kind {
                RunKind::Basic => "basic",
                RunKind::Spike(_) => "spike",
                RunKind::Stress(_) => "stress",
                RunKind::Soak(_) => "soak",
            };
            wanted == kind
                || wanted == r.label.to_lowercase()
                || (kind == "basic" && wanted == "basic load")
        })
        .collect()
}

pub struct Scope<'a> {
    pub inputs: &'a SessionInputs,
    pub analysis: &'a Analysis,
    pub run: &'a Run,
    pub phase: Option<&'a str>,
    pub goodput: &'a [GoodputRow],
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

pub fn measure(s: &Scope, metric: Metric) -> Figure {
    use Metric::*;
    match metric {
        Avg | P50 | P95 | P99 | Success => latency_or_success(s, metric),
        AchievedShare => achieved_share(s),
        Goodput => goodput(s),
        TimeToScaleUp | TimeToScaleDown => scale_time(s, metric),
        MaxPods => max_pods(s),
        MemoryGrowth => memory_growth(s),
        SoakDrift => soak_drift(s),
        TtftP50 | TtftP95 | TtftP99 | ItlP50 | ItlP95 | ItlP99 | TpotP50 | TpotP95 | TpotP99 => {
            per_token(s, metric)
        }
    }
}

/// A per-token percentile from the streaming rows of `analyze::tokens` (requests.ndjson): the
/// run's whole-test row, or the row of the phase or step named.
fn per_token(s: &Scope, metric: Metric) -> Figure {
    use crate::analyze::tokens::Group;
    use Metric::*;
    let streaming = &s.analysis.streaming;
    if streaming.rows().is_empty() {
        return Figure::unavailable(
            figure::SECONDS,
            "the session's requests carry no per-token timings (time to first token, inter-token latency): they were not streamed",
        );
    }
    let test = match s.run.kind {
        RunKind::Basic => "basic",
        RunKind::Spike(_) => "spike",
        RunKind::Stress(_) => "stress",
        RunKind::Soak(_) => "soak",
    };
    let group = match (s.run.kind, s.phase) {
        (_, None) => Group::Whole,
        (RunKind::Stress(_), Some(p)) => streaming
            .rows()
            .iter()
            .filter_map(|r| match &r.group {
                Group::Phase(name) if r.test == test => Some(name),
                _ => None,
            })
            .find(|name| {
                name.to_uppercase()
                    .strip_suffix("RPS")
                    .and_then(|rate| rate.parse::<f64>().ok())
                    .is_some_and(|rate| step_matches(rate, p))
            })
            .map_or_else(
                || Group::Phase(p.to_lowercase()),
                |n| Group::Phase(n.clone()),
            ),
        (_, Some(p)) => Group::Phase(p.trim().to_lowercase()),
    };
    let Some(row) = streaming.row(test, &group) else {
        return Figure::unavailable(
            figure::SECONDS,
            format!("no streamed requests of {} in that phase", s.run.label),
        );
    };
    let (dist, what) = match metric {
        TtftP50 | TtftP95 | TtftP99 => (&row.ttft_s, "time to first token"),
        ItlP50 | ItlP95 | ItlP99 => (
            &row.itl_s,
            "inter-token latency (mean chunk gap per request)",
        ),
        _ => (&row.tpot_s, "time per output token"),
    };
    let (value, p) = match metric {
        TtftP50 | ItlP50 | TpotP50 => (dist.p50, "p50"),
        TtftP95 | ItlP95 | TpotP95 => (dist.p95, "p95"),
        _ => (dist.p99, "p99"),
    };
    Figure::from_option(
        value,
        figure::SECONDS,
        crate::session::files::REQUESTS,
        format!("no successful streamed request with a {what}"),
    )
    .method(format!(
        "{p} of the {what} per streamed request; {}",
        stats::PERCENTILE_METHOD
    ))
}

fn from_row(row: &ScenarioRow, metric: Metric) -> Figure {
    match metric {
        Metric::Avg => row.avg.clone(),
        Metric::P50 => row.p50.clone(),
        Metric::P95 => row.p95.clone(),
        Metric::P99 => row.p99.clone(),
        _ => row.success_rate.clone(),
    }
}

fn no_phase(s: &Scope, phase: &str, have: Vec<String>) -> Figure {
    Figure::unavailable(
        "",
        format!(
            "{} has no phase, scenario or step named `{phase}` (it has: {})",
            s.run.label,
            have.join(", ")
        ),
    )
}

/// Latency and success of one phase, or of the whole run: success pooled exactly from counts,
/// percentiles pooled exactly from per-request records (never averaged across phases).
fn latency_or_success(s: &Scope, metric: Metric) -> Figure {
    let a = s.analysis;
    match (s.run.kind, s.phase) {
        (RunKind::Basic, phase) => {
            let rows: Vec<&ScenarioRow> = a
                .scenarios
                .iter()
                .filter(|r| r.test == BASIC_LABEL)
                .collect();
            match phase {
                Some(p) => rows.iter().find(|r| same(&r.name, p)).map_or_else(
                    || no_phase(s, p, rows.iter().map(|r| r.name.clone()).collect()),
                    |r| from_row(r, metric),
                ),
                None if rows.len() == 1 => from_row(rows[0], metric),
                None => pooled_from_rows(&rows, metric, "the basic test's scenarios"),
            }
        }
        (RunKind::Spike(i), Some(p)) => {
            let spike = &a.spikes[i];
            spike
                .phases
                .iter()
                .find(|ph| same(&ph.name, p))
                .map_or_else(
                    || {
                        no_phase(
                            s,
                            p,
                            spike.phases.iter().map(|ph| ph.name.clone()).collect(),
                        )
                    },
                    |ph| from_row(&ph.row, metric),
                )
        }
        (RunKind::Spike(i), None) => {
            let run = &s.inputs.spikes[i];
            let records: Option<Vec<&RequestColumns>> =
                run.phases.iter().map(|p| p.records.as_ref()).collect();
            let rows: Vec<&ScenarioRow> = a.spikes[i].phases.iter().map(|p| &p.row).collect();
            match records {
                Some(parts) if !parts.is_empty() => {
                    pooled_from_records(&parts, metric, &a.spikes[i].source)
                }
                _ => pooled_from_rows(&rows, metric, "the spike's phases"),
            }
        }
        (RunKind::Stress(i), Some(p)) => {
            let stress = &a.stresses[i];
            let step = stress
                .steps
                .iter()
                .find(|st| step_matches(st.target_rps, p));
            match (step, metric) {
                (None, _) => no_phase(
                    s,
                    p,
                    stress
                        .steps
                        .iter()
                        .map(|st| crate::analyze::step_name(st.target_rps))
                        .collect(),
                ),
                (Some(st), Metric::Success) => st.success_rate.clone(),
                (Some(st), Metric::Avg) => st.avg.clone(),
                (Some(_), _) => Figure::unavailable(
                    figure::SECONDS,
                    "the report has no percentiles per stress step (the step's records are not separated); bound the step's avg_max, or the whole stress test's percentiles",
                ),
            }
        }
        (RunKind::Stress(i), None) => {
            let records = &s.inputs.stresses[i].records;
            if records.is_empty() {
                Figure::unavailable("", "the stress test kept no per-request records")
            } else {
                pooled_from_records(&[records], metric, &a.stresses[i].source)
            }
        }
        (RunKind::Soak(_), Some(p)) => no_phase(s, p, vec!["none: a soak is judged whole".into()]),
        (RunKind::Soak(i), None) => a.soaks[i].overall.as_ref().map_or_else(
            || Figure::unavailable("", "the soak file holds no overall figures"),
            |row| from_row(row, metric),
        ),
    }
}

fn step_matches(target: f64, name: &str) -> bool {
    let number = name.trim().trim_end_matches("req/s").trim();
    number
        .parse::<f64>()
        .is_ok_and(|v| (v - target).abs() < 1e-9)
}

/// Success pooled from each row's requests and success share; latency only from one row.
fn pooled_from_rows(rows: &[&ScenarioRow], metric: Metric, what: &str) -> Figure {
    if metric != Metric::Success {
        return Figure::unavailable(
            figure::SECONDS,
            format!(
                "percentiles of {what} cannot be pooled without per-request records; name one with `phase`"
            ),
        );
    }
    let mut requests = 0.0;
    let mut ok = 0.0;
    for r in rows {
        match (r.requests.value, r.success_rate.value) {
            (Some(n), Some(pct)) => {
                requests += n;
                ok += n * pct / 100.0;
            }
            _ => {
                return Figure::unavailable(
                    figure::PERCENT,
                    format!("{} has no request count or success rate", r.name),
                );
            }
        }
    }
    Figure::from_option(
        (requests > 0.0).then(|| 100.0 * ok / requests),
        figure::PERCENT,
        rows.iter()
            .map(|r| r.source.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        "no requests",
    )
    .method(format!("successful / all requests over {what}"))
}

fn pooled_from_records(parts: &[&RequestColumns], metric: Metric, source: &str) -> Figure {
    let mut all = RequestColumns::default();
    for p in parts {
        all.append((*p).clone());
    }
    let Ok(st) = stats::latency_stats(&all) else {
        return Figure::unavailable("", "the records could not be analysed");
    };
    let n = all.len();
    let (value, unit) = match metric {
        Metric::Avg => (st.avg, figure::SECONDS),
        Metric::P50 => (st.p50, figure::SECONDS),
        Metric::P95 => (st.p95, figure::SECONDS),
        Metric::P99 => (st.p99, figure::SECONDS),
        _ => (
            (st.requests > 0).then(|| 100.0 * st.successful as f64 / st.requests as f64),
            figure::PERCENT,
        ),
    };
    let method = if metric == Metric::Success {
        format!("successful / all of {n} per-request records of the whole test")
    } else {
        format!(
            "over the {} successful of {n} per-request records of the whole test, {}",
            st.successful,
            stats::PERCENTILE_METHOD
        )
    };
    Figure::from_option(value, unit, source, "no successful request").method(method)
}

fn achieved_share(s: &Scope) -> Figure {
    let a = s.analysis;
    let share =
        |achieved: &Figure, target: Option<f64>, name: String| match (achieved.value, target) {
            (Some(v), Some(t)) if t > 0.0 => Some((100.0 * v / t, name, achieved.source.clone())),
            _ => None,
        };
    let candidates: Vec<Option<(f64, String, String)>> = match s.run.kind {
        RunKind::Spike(i) => a.spikes[i]
            .phases
            .iter()
            .filter(|p| s.phase.is_none_or(|want| same(&p.name, want)))
            .map(|p| share(&p.achieved_rps, p.target_rps.value, p.name.clone()))
            .collect(),
        RunKind::Stress(i) => a.stresses[i]
            .steps
            .iter()
            .filter(|st| s.phase.is_none_or(|want| step_matches(st.target_rps, want)))
            .map(|st| {
                share(
                    &st.achieved_rps,
                    Some(st.target_rps),
                    crate::analyze::step_name(st.target_rps),
                )
            })
            .collect(),
        RunKind::Soak(i) => {
            let soak = &a.soaks[i];
            let achieved = soak.overall.as_ref().map(|r| &r.requests_per_s);
            vec![achieved.and_then(|f| share(f, soak.target_rps.value, soak.label.clone()))]
        }
        RunKind::Basic => {
            return Figure::unavailable(
                figure::PERCENT,
                "the basic test runs a fixed number of requests, not a target rate",
            );
        }
    };
    if candidates.is_empty() {
        return Figure::unavailable(figure::PERCENT, "no phase or step matched");
    }
    let Some(known) = candidates.into_iter().collect::<Option<Vec<_>>>() else {
        return Figure::unavailable(
            figure::PERCENT,
            "a phase or step has no achieved rate or no target",
        );
    };
    let (lowest, name, source) = known
        .into_iter()
        .min_by(|x, y| x.0.total_cmp(&y.0))
        .expect("not empty");
    Figure::known(lowest, figure::PERCENT, source)
        .method(format!("achieved rate / target rate; lowest: {name}"))
}

fn goodput(s: &Scope) -> Figure {
    let rows: Vec<&GoodputRow> = s.goodput.iter().filter(|g| g.test == s.run.label).collect();
    if rows.is_empty() {
        return Figure::unavailable(
            figure::PERCENT,
            "no goodput: the objectives file has no [goodput] per-request bounds, or the test kept no per-request records",
        );
    }
    let chosen: Vec<&GoodputRow> = match s.phase {
        Some(p) => rows.into_iter().filter(|g| same(&g.phase, p)).collect(),
        None => rows,
    };
    let mut good = 0u64;
    let mut all = 0u64;
    for row in &chosen {
        match row.good {
            Some(g) => {
                good += g;
                all += row.requests;
            }
            None => {
                return Figure::unavailable(
                    figure::PERCENT,
                    row.unmeasured.clone().unwrap_or_default(),
                );
            }
        }
    }
    Figure::from_option(
        (all > 0).then(|| 100.0 * good as f64 / all as f64),
        figure::PERCENT,
        chosen.first().map(|r| r.source.clone()).unwrap_or_default(),
        "no phase matched or no requests",
    )
    .method(format!(
        "{good} of {all} requests met every per-request objective"
    ))
}

fn scale_time(s: &Scope, metric: Metric) -> Figure {
    let Some(scaling) = &s.analysis.scaling else {
        return Figure::unavailable(
            figure::SECONDS,
            "the session has no cluster recording (report collect)",
        );
    };
    if !matches!(s.run.kind, RunKind::Spike(0)) {
        return Figure::unavailable(
            figure::SECONDS,
            "time to scale up and down are measured on the session's (first) spike test",
        );
    }
    if metric == Metric::TimeToScaleUp {
        scaling.time_to_scale_up.clone()
    } else {
        scaling.time_to_scale_down.clone()
    }
}

fn max_pods(s: &Scope) -> Figure {
    let Some(scaling) = &s.analysis.scaling else {
        return Figure::unavailable(
            PODS,
            "the session has no cluster recording (report collect)",
        );
    };
    let during: Vec<_> = scaling
        .phase_pods
        .iter()
        .filter(|p| p.test == s.run.label && s.phase.is_none_or(|want| same(&p.phase, want)))
        .collect();
    let most = during.iter().filter_map(|p| p.pods_max).max();
    Figure::from_option(
        most.map(f64::from),
        PODS,
        "hpa.jsonl",
        format!("no HPA reading during {}", s.run.label),
    )
    .method(format!(
        "most replicas the HPA reported during {}",
        s.run.label
    ))
}

/// The soak's latency drift, signed (a soak getting faster passes any bound): the same
/// least-squares trend as the soak verdict, warm-up minutes left out.
fn soak_drift(s: &Scope) -> Figure {
    let RunKind::Soak(i) = s.run.kind else {
        return Figure::unavailable(figure::PERCENT, "drift is measured on a soak test");
    };
    let soak = &s.analysis.soaks[i];
    let drift = match &soak.verdict {
        SoakVerdict::Judged(stability) => stability.drift_pct,
        _ => None,
    };
    Figure::from_option(
        drift,
        figure::PERCENT,
        soak.minutes_source.clone(),
        "the soak has fewer than two minutes after its warm-up minutes: no trend to fit",
    )
    .method(
        "least-squares trend of the minutes' average latency after the warm-up minutes, as its \
         change over the soak in % of the fitted start (negative: getting faster)",
    )
}

fn memory_growth(s: &Scope) -> Figure {
    let RunKind::Soak(_) = s.run.kind else {
        return Figure::unavailable(MIB_PER_MIN, "memory growth is measured on a soak test");
    };
    match &s.analysis.scaling {
        Some(scaling) => scaling.memory_growth_mib_per_min.clone(),
        None => Figure::unavailable(
            MIB_PER_MIN,
            "the session has no cluster recording (report collect)",
        ),
    }
}
