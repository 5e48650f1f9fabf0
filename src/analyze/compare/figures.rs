//! Every scenario, phase, stress step and scaling figure of each session, matched by test,
//! name and figure, with its difference to the first session (absolute and in percent). A
//! figure missing on either side gives an unavailable difference, never 0.

use serde::Serialize;

use crate::analyze::figure::{Figure, PERCENT};
use crate::analyze::scenarios::ScenarioRow;
use crate::analyze::{Analysis, step_name};

/// Which table of the comparison a figure belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// Basic-load scenarios, spike phases and soak runs (the report's scenario table).
    Scenario,
    /// Stress steps, and the stress test's breaking point.
    Step,
    /// Pods and CPU during each phase (cluster recording).
    Phase,
    /// The scaling story's figures.
    Scaling,
}

/// Unit of pod counts.
pub const PODS: &str = "pods";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// This session's value minus the first session's.
    pub absolute: Figure,
    /// `absolute` / |first| × 100.
    pub percent: Figure,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureRow {
    pub section: Section,
    pub test: String,
    /// Scenario, phase or step (empty for the session-wide scaling figures).
    pub name: String,
    /// The figure's key: `p95`, `max_pods`, ….
    pub figure: &'static str,
    /// One per session; `None` when the session has no such figure.
    pub values: Vec<Option<Figure>>,
    /// One per session after the first.
    pub changes: Vec<Change>,
}

type Keyed = (Section, String, String, &'static str, Figure);

/// The figures of every session side by side, in the first session's order, then those only
/// later sessions have.
pub fn side_by_side(analyses: &[&Analysis]) -> Vec<FigureRow> {
    let mut rows: Vec<FigureRow> = Vec::new();
    let n = analyses.len();
    for (i, a) in analyses.iter().enumerate() {
        for (section, test, name, figure, value) in figures_of(a) {
            let at = rows.iter().position(|r| {
                r.section == section && r.test == test && r.name == name && r.figure == figure
            });
            let row = match at {
                Some(at) => &mut rows[at],
                None => {
                    rows.push(FigureRow {
                        section,
                        test,
                        name,
                        figure,
                        values: vec![None; n],
                        changes: Vec::new(),
                    });
                    rows.last_mut().expect("just pushed")
                }
            };
            row.values[i].get_or_insert(value);
        }
    }
    for row in &mut rows {
        row.changes = row.values[1..]
            .iter()
            .map(|v| change(row.values[0].as_ref(), v.as_ref()))
            .collect();
    }
    rows
}

/// `b` − `a`, absolute and relative; unavailable with the side that lacks a value.
pub fn change(a: Option<&Figure>, b: Option<&Figure>) -> Change {
    let unit = a.or(b).map_or("", |f| f.unit);
    let value = |f: Option<&Figure>| f.and_then(|f| f.value);
    match (value(a), value(b)) {
        (Some(x), Some(y)) => {
            let method = "this session's value minus the first session's";
            let percent = if x == 0.0 {
                Figure::unavailable(PERCENT, "the first session's value is 0")
            } else {
                Figure::known(100.0 * (y - x) / x.abs(), PERCENT, "")
                    .method("difference / |first session's value|")
            };
            Change {
                absolute: Figure::known(y - x, unit, "").method(method),
                percent,
            }
        }
        (None, _) => {
            let why = "the first session has no value for this figure";
            Change {
                absolute: Figure::unavailable(unit, why),
                percent: Figure::unavailable(PERCENT, why),
            }
        }
        (Some(_), None) => {
            let why = "this session has no value for this figure";
            Change {
                absolute: Figure::unavailable(unit, why),
                percent: Figure::unavailable(PERCENT, why),
            }
        }
    }
}

fn scenario_figures(r: &ScenarioRow) -> [(&'static str, &Figure); 10] {
    [
        ("requests", &r.requests),
        ("success_rate", &r.success_rate),
        ("avg", &r.avg),
        ("p50", &r.p50),
        ("p95", &r.p95),
        ("p99", &r.p99),
        ("min", &r.min),
        ("max", &r.max),
        ("requests_per_s", &r.requests_per_s),
        ("tokens_per_s", &r.tokens_per_s),
    ]
}

fn figures_of(a: &Analysis) -> Vec<Keyed> {
    let mut out: Vec<Keyed> = Vec::new();
    for r in &a.scenarios {
        out.extend(scenario_figures(r).into_iter().map(|(key, f)| {
            (
                Section::Scenario,
                r.test.clone(),
                r.name.clone(),
                key,
                f.clone(),
            )
        }));
    }
    for s in &a.stresses {
        for step in &s.steps {
            let name = step_name(step.target_rps);
            out.extend(
                [
                    ("requests", &step.requests),
                    ("duration", &step.duration),
                    ("achieved_rps", &step.achieved_rps),
                    ("answered_rps", &step.answered_rps),
                    ("success_rate", &step.success_rate),
                    ("avg", &step.avg),
                ]
                .into_iter()
                .map(|(key, f)| (Section::Step, s.label.clone(), name.clone(), key, f.clone())),
            );
        }
        out.extend(
            [
                ("breaking_point", &s.breaking_point),
                ("max_tested", &s.max_tested),
                ("max_stable_target", &s.max_stable_target),
                ("max_stable_achieved", &s.max_stable_achieved),
            ]
            .into_iter()
            .map(|(key, f)| {
                let name = crate::analyze::record_sets::WHOLE_TEST.to_string();
                (Section::Step, s.label.clone(), name, key, f.clone())
            }),
        );
    }
    for s in &a.spikes {
        out.push((
            Section::Scaling,
            s.label.clone(),
            String::new(),
            "time_to_recover",
            s.time_to_recover.clone(),
        ));
    }
    if let Some(s) = &a.scaling {
        let why = "no HPA reading during the phase";
        for p in &s.phase_pods {
            let pods =
                |v: Option<u32>| Figure::from_option(v.map(f64::from), PODS, "hpa.jsonl", why);
            out.extend(
                [
                    ("pods_at_start", pods(p.pods_at_start)),
                    ("pods_min", pods(p.pods_min)),
                    ("pods_max", pods(p.pods_max)),
                    (
                        "cpu_mean_pct",
                        Figure::from_option(p.cpu_mean_pct, PERCENT, "hpa.jsonl", why),
                    ),
                ]
                .into_iter()
                .map(|(key, f)| (Section::Phase, p.test.clone(), p.phase.clone(), key, f)),
            );
        }
        out.extend(
            [
                ("max_pods", &s.max_pods),
                ("time_at_max", &s.time_at_max),
                ("time_to_scale_up", &s.time_to_scale_up),
                ("time_to_scale_down", &s.time_to_scale_down),
                ("memory_growth_mib_per_min", &s.memory_growth_mib_per_min),
            ]
            .into_iter()
            .map(|(key, f)| {
                (
                    Section::Scaling,
                    String::new(),
                    String::new(),
                    key,
                    f.clone(),
                )
            }),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::figure::SECONDS;

    #[test]
    fn differences_are_absolute_and_relative_and_never_zero_when_missing() {
        let s = |v| Figure::known(v, SECONDS, "x");
        let c = change(Some(&s(2.0)), Some(&s(2.5)));
        assert_eq!(c.absolute.value, Some(0.5));
        assert_eq!(c.percent.value, Some(25.0));
        assert_eq!(c.absolute.unit, SECONDS);
        let missing = Figure::unavailable(SECONDS, "no records");
        let c = change(Some(&s(2.0)), Some(&missing));
        assert_eq!((c.absolute.value, c.percent.value), (None, None));
        let c = change(None, Some(&s(1.0)));
        assert_eq!(c.absolute.value, None);
        let c = change(Some(&s(0.0)), Some(&s(1.0)));
        assert_eq!((c.absolute.value, c.percent.value), (Some(1.0), None));
    }
}
