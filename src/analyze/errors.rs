//! Why requests failed: counts by HTTP status and error kind per test phase, stress step and
//! whole soak (and per clock minute of the soak), from one polars group_by over `report run`'s
//! per-request records (requests.ndjson). Without such records the results files' counts give
//! the failed requests only; status, kind and timeouts are then unavailable, with the reason.

use chrono::{DateTime, Utc};
use polars::prelude::*;
use serde::Serialize;

use super::scenarios::ScenarioRow;
use super::stress::StressReport;
use crate::ingest::run_output::RequestOutcomes;
use crate::session::files;

/// The error kind `report run` records for a request that ran out of time.
pub const TIMEOUT_KIND: &str = "timeout";
/// Why status, kind and timeouts are unknown for a part without `report run`'s records.
pub const NO_RECORDS: &str = "no per-request records (requests.ndjson, written by `report run`)";
/// Why a row of a test that ran twice gets none of the records.
pub const RERUN: &str =
    "the test ran more than once and per-request records do not say which run they belong to";
/// How the breakdown is computed.
pub const METHOD: &str = "requests counted per test, phase, HTTP status and error kind";

/// Failed requests of one status and kind.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OutcomeCount {
    pub status: Option<u16>,
    /// As `report run` recorded it (`http5xx`, `timeout`, ...); empty when it recorded none.
    pub kind: String,
    pub count: u64,
}

/// Failures in one clock minute (requests counted in the minute they ended).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MinuteFailures {
    pub start: DateTime<Utc>,
    pub requests: u64,
    pub failed: u64,
    pub timed_out: u64,
}

/// The failures of one row of the report's tables: a basic-load scenario, a spike phase, a
/// stress step, a whole soak.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PartFailures {
    /// The row's test and name as the tables show them (`Spike`/`Baseline`, `Stress`/`4 req/s`,
    /// `Soak`/`Soak`).
    pub test: String,
    pub part: String,
    pub requests: Option<u64>,
    pub failed: Option<u64>,
    /// None when timeouts cannot be told apart (see `unavailable`).
    pub timed_out: Option<u64>,
    /// Failed requests by status and kind, most first; None without records.
    pub by_outcome: Option<Vec<OutcomeCount>>,
    pub source: String,
    /// Why `by_outcome` and `timed_out` are missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    /// Per clock minute, for a soak with records.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub minutes: Vec<MinuteFailures>,
}

/// The failure breakdown of a session.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ErrorsReport {
    /// `requests.ndjson (N records)`, or empty without records.
    pub source: String,
    pub method: String,
    /// Why there is no breakdown by status and kind at all (no records, or polars failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    pub parts: Vec<PartFailures>,
}

impl ErrorsReport {
    /// The failures of the table row `test` / `part`.
    pub fn part(&self, test: &str, part: &str) -> Option<&PartFailures> {
        self.parts.iter().find(|p| p.test == test && p.part == part)
    }
}

/// Which test a row belongs to, as requests.ndjson names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Basic,
    Spike,
    Stress,
    Soak,
}

impl Kind {
    fn recorded(test: &str) -> Option<Kind> {
        match test.to_ascii_lowercase().as_str() {
            "basic" => Some(Kind::Basic),
            "spike" => Some(Kind::Spike),
            "stress" => Some(Kind::Stress),
            "soak" => Some(Kind::Soak),
            _ => None,
        }
    }

    /// The kind of a table row from its test label (`Basic load`, `Spike 2 (16:41:03)`, `Soak`).
    fn of_label(test: &str) -> Option<Kind> {
        [
            ("Basic load", Kind::Basic),
            ("Spike", Kind::Spike),
            ("Stress", Kind::Stress),
            ("Soak", Kind::Soak),
        ]
        .into_iter()
        .find(|(prefix, _)| test.starts_with(prefix))
        .map(|(_, kind)| kind)
    }
}

/// A row of the tables with the counts its own source gives.
struct Row {
    test: String,
    part: String,
    kind: Option<Kind>,
    /// What a record's phase must be, lowercased (any phase for a soak).
    key: String,
    requests: Option<u64>,
    failed: Option<u64>,
    source: String,
    /// Its test ran more than once: records cannot be given to it.
    rerun: bool,
}

/// One group of the group_by: requests of one test, phase, minute, status and kind.
struct Group {
    kind: Option<Kind>,
    test: String,
    phase: String,
    minute_us: i64,
    status: Option<u16>,
    error_kind: Option<String>,
    count: u64,
}

/// Failed requests from a row's own counts: requests − successful, the latter recovered from the
/// success rate (a ratio of two counts, so the rounding gives the count back exactly).
fn failed_from(requests: &super::figure::Figure, success: &super::figure::Figure) -> Option<u64> {
    let (n, rate) = (requests.value?, success.value?);
    let ok = (n * rate / 100.0).round();
    (n >= ok && ok >= 0.0).then_some((n - ok) as u64)
}

/// The lowercased phase a record of the stress step at `rps` carries (`4.5rps`).
fn step_key(rps: f64) -> String {
    format!("{}rps", super::step_name(rps).trim_end_matches(" req/s"))
}

/// The rows of the tables in report order: basic load, spike phases, stress steps, soaks.
fn rows(scenarios: &[ScenarioRow], stresses: &[StressReport]) -> Vec<Row> {
    let scenario = |r: &ScenarioRow| {
        let kind = Kind::of_label(&r.test);
        Row {
            test: r.test.clone(),
            part: r.name.clone(),
            kind,
            key: r.name.to_lowercase(),
            requests: r.requests.value.map(|v| v as u64),
            failed: failed_from(&r.requests, &r.success_rate),
            source: r.requests.source.clone(),
            rerun: false,
        }
    };
    let mut out: Vec<Row> = scenarios
        .iter()
        .filter(|r| Kind::of_label(&r.test) != Some(Kind::Soak))
        .map(scenario)
        .collect();
    for s in stresses {
        out.extend(s.steps.iter().map(|st| Row {
            test: s.label.clone(),
            part: super::step_name(st.target_rps),
            kind: Some(Kind::Stress),
            key: step_key(st.target_rps),
            requests: st.requests.value.map(|v| v as u64),
            failed: failed_from(&st.requests, &st.success_rate),
            source: st.requests.source.clone(),
            rerun: false,
        }));
    }
    out.extend(
        scenarios
            .iter()
            .filter(|r| Kind::of_label(&r.test) == Some(Kind::Soak))
            .map(scenario),
    );
    // Records carry no run identity: a kind with reruns (two spike labels) gets none of them.
    let labels = |kind: Kind, rows: &[Row]| {
        let mut labels: Vec<&str> = rows
            .iter()
            .filter(|r| r.kind == Some(kind))
            .map(|r| if kind == Kind::Soak { &r.part } else { &r.test }.as_str())
            .collect();
        labels.sort();
        labels.dedup();
        labels.len()
    };
    let ambiguous: Vec<Kind> = [Kind::Basic, Kind::Spike, Kind::Stress, Kind::Soak]
        .into_iter()
        .filter(|k| labels(*k, &out) > 1)
        .collect();
    // Two rows of one name (a rerun of the basic test) cannot be told apart either.
    let twice: Vec<(String, String)> = out
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            out[..*i]
                .iter()
                .any(|o| o.test == r.test && o.part == r.part)
        })
        .map(|(_, r)| (r.test.clone(), r.part.clone()))
        .collect();
    for row in &mut out {
        if row.kind.is_some_and(|k| ambiguous.contains(&k))
            || twice.contains(&(row.test.clone(), row.part.clone()))
        {
            row.kind = None;
            row.rerun = true;
        }
    }
    out
}

/// The one group_by: requests per test, phase, clock minute, status and kind.
fn group(outcomes: &RequestOutcomes) -> PolarsResult<Vec<Group>> {
    let minute_us = 60_000_000_i64;
    let frame = DataFrame::new_infer_height(vec![
        Column::new("test".into(), &outcomes.test),
        Column::new("phase".into(), &outcomes.phase),
        Column::new("ended".into(), &outcomes.ended_us),
        Column::new(
            "status".into(),
            outcomes
                .status
                .iter()
                .map(|s| s.map(i32::from))
                .collect::<Vec<_>>(),
        ),
        Column::new("kind".into(), &outcomes.error_kind),
    ])?;
    let grouped = frame
        .lazy()
        .with_column((col("ended") - col("ended") % lit(minute_us)).alias("minute"))
        .group_by([
            col("test"),
            col("phase"),
            col("minute"),
            col("status"),
            col("kind"),
        ])
        .agg([
            len().cast(DataType::Int64).alias("count"),
            col("ended").min().alias("first"),
        ])
        .sort(["first"], SortMultipleOptions::default())
        .collect()?;
    let strings = |name: &str| -> PolarsResult<Vec<Option<String>>> {
        Ok(grouped
            .column(name)?
            .str()?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect())
    };
    let ints = |name: &str| -> PolarsResult<Vec<Option<i64>>> {
        Ok(grouped
            .column(name)?
            .cast(&DataType::Int64)?
            .i64()?
            .iter()
            .collect())
    };
    let (test, phase, kind) = (strings("test")?, strings("phase")?, strings("kind")?);
    let (minute, status, count) = (ints("minute")?, ints("status")?, ints("count")?);
    Ok((0..grouped.height())
        .map(|i| {
            let test = test[i].clone().unwrap_or_default();
            Group {
                kind: Kind::recorded(&test),
                test,
                phase: phase[i].clone().unwrap_or_default(),
                minute_us: minute[i].unwrap_or_default(),
                status: status[i].and_then(|s| u16::try_from(s).ok()),
                error_kind: kind[i].clone(),
                count: count[i].unwrap_or_default().unsigned_abs(),
            }
        })
        .collect())
}

impl Group {
    fn matches(&self, row: &Row) -> bool {
        row.kind.is_some()
            && self.kind == row.kind
            && (row.kind == Some(Kind::Soak) || self.phase.to_lowercase() == row.key)
    }

    fn timed_out(&self) -> bool {
        self.error_kind.as_deref() == Some(TIMEOUT_KIND)
    }
}

/// The part's figures from its groups.
fn from_groups(test: String, part: String, groups: &[&Group], source: &str) -> PartFailures {
    let sum = |keep: &dyn Fn(&Group) -> bool| -> u64 {
        groups.iter().filter(|g| keep(g)).map(|g| g.count).sum()
    };
    let mut by_outcome: Vec<OutcomeCount> = Vec::new();
    for g in groups {
        let Some(kind) = &g.error_kind else { continue };
        match by_outcome
            .iter_mut()
            .find(|o| o.status == g.status && &o.kind == kind)
        {
            Some(o) => o.count += g.count,
            None => by_outcome.push(OutcomeCount {
                status: g.status,
                kind: kind.clone(),
                count: g.count,
            }),
        }
    }
    by_outcome.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.kind.cmp(&b.kind))
            .then(a.status.cmp(&b.status))
    });
    let soak = groups.first().is_some_and(|g| g.kind == Some(Kind::Soak));
    let mut minutes: Vec<MinuteFailures> = Vec::new();
    if soak {
        let mut starts: Vec<i64> = groups.iter().map(|g| g.minute_us).collect();
        starts.sort_unstable();
        starts.dedup();
        for start in starts {
            let of_minute = |keep: &dyn Fn(&Group) -> bool| {
                groups
                    .iter()
                    .filter(|g| g.minute_us == start && keep(g))
                    .map(|g| g.count)
                    .sum()
            };
            if let Some(t) = DateTime::from_timestamp_micros(start) {
                minutes.push(MinuteFailures {
                    start: t,
                    requests: of_minute(&|_| true),
                    failed: of_minute(&|g| g.error_kind.is_some()),
                    timed_out: of_minute(&|g| g.timed_out()),
                });
            }
        }
    }
    PartFailures {
        test,
        part,
        requests: Some(sum(&|_| true)),
        failed: Some(sum(&|g| g.error_kind.is_some())),
        timed_out: Some(sum(&|g| g.timed_out())),
        by_outcome: Some(by_outcome),
        source: source.to_string(),
        unavailable: None,
        minutes,
    }
}

/// The breakdown for the report's rows (`scenarios`, which hold spike phases and soaks, and the
/// stress steps), from `outcomes` where they have records, else from the rows' own counts.
pub fn analyze(
    outcomes: &RequestOutcomes,
    scenarios: &[ScenarioRow],
    stresses: &[StressReport],
) -> ErrorsReport {
    let rows = rows(scenarios, stresses);
    let (groups, unavailable) = if outcomes.is_empty() {
        (Vec::new(), Some(NO_RECORDS.to_string()))
    } else {
        match group(outcomes) {
            Ok(groups) => (groups, None),
            Err(e) => (
                Vec::new(),
                Some(format!("the per-request records could not be grouped: {e}")),
            ),
        }
    };
    let source = if outcomes.is_empty() {
        String::new()
    } else {
        format!("{} ({} records)", files::REQUESTS, outcomes.len())
    };
    let mut used = vec![false; groups.len()];
    let mut parts = Vec::new();
    for row in rows {
        let mine: Vec<&Group> = groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.matches(&row))
            .map(|(i, g)| {
                used[i] = true;
                g
            })
            .collect();
        parts.push(if mine.is_empty() {
            PartFailures {
                test: row.test,
                part: row.part,
                requests: row.requests,
                failed: row.failed,
                timed_out: None,
                by_outcome: None,
                source: row.source,
                unavailable: Some(match (&unavailable, row.rerun) {
                    (Some(why), _) => why.clone(),
                    (None, true) => RERUN.into(),
                    (None, false) => NO_RECORDS.into(),
                }),
                minutes: Vec::new(),
            }
        } else {
            from_groups(row.test, row.part, &mine, &source)
        });
    }
    // Records of a test the tables have no row for still count, under their recorded names.
    let mut rest: Vec<(String, String)> = Vec::new();
    for (g, _) in groups.iter().zip(&used).filter(|(_, used)| !**used) {
        let key = (g.test.clone(), g.phase.clone());
        if !rest.contains(&key) {
            rest.push(key);
        }
    }
    for (test, phase) in rest {
        let mine: Vec<&Group> = groups
            .iter()
            .zip(&used)
            .filter(|(g, used)| !**used && g.test == test && g.phase == phase)
            .map(|(g, _)| g)
            .collect();
        parts.push(from_groups(test, phase, &mine, &source));
    }
    ErrorsReport {
        source,
        method: METHOD.to_string(),
        unavailable,
        parts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::figure::{Figure, PERCENT, REQUESTS};

    /// test, phase, end (s), status, error kind.
    type Line<'a> = (&'a str, &'a str, i64, Option<u16>, Option<&'a str>);

    fn outcomes(rows: &[Line]) -> RequestOutcomes {
        let mut o = RequestOutcomes::default();
        for (test, phase, ended_s, status, kind) in rows {
            o.test.push(test.to_string());
            o.phase.push(phase.to_string());
            o.ended_us.push(ended_s * 1_000_000);
            o.status.push(*status);
            o.error_kind.push(kind.map(str::to_string));
        }
        o
    }

    fn scenario(test: &str, name: &str, requests: f64, success_pct: f64) -> ScenarioRow {
        let f = Figure::unavailable("s", "x");
        ScenarioRow {
            test: test.into(),
            name: name.into(),
            source: "file.json".into(),
            requests: Figure::known(requests, REQUESTS, "file.json"),
            success_rate: Figure::known(success_pct, PERCENT, "file.json"),
            avg: f.clone(),
            p50: f.clone(),
            p95: f.clone(),
            p99: f.clone(),
            min: f.clone(),
            max: f.clone(),
            requests_per_s: f.clone(),
            tokens_per_s: f,
        }
    }

    #[test]
    fn records_are_counted_per_phase_status_kind_and_soak_minute() {
        // Soak minute 1 (t 60..119 s): 3 requests, one 503 and one timeout; minute 2 (120 s): 1 ok.
        let o = outcomes(&[
            ("spike", "spike", 10, Some(503), Some("http5xx")),
            ("spike", "baseline", 5, Some(200), None),
            ("spike", "spike", 11, Some(503), Some("http5xx")),
            ("spike", "spike", 12, None, Some("timeout")),
            ("spike", "spike", 13, Some(200), None),
            ("soak", "soak", 60, Some(200), None),
            ("soak", "soak", 61, Some(503), Some("http5xx")),
            ("soak", "soak", 119, None, Some("timeout")),
            ("soak", "soak", 120, Some(200), None),
        ]);
        let scenarios = [
            scenario("Spike", "Baseline", 1.0, 100.0),
            scenario("Spike", "Spike", 4.0, 25.0),
            scenario("Soak", "Soak", 4.0, 50.0),
        ];
        let r = analyze(&o, &scenarios, &[]);
        assert_eq!(r.unavailable, None);
        assert_eq!(r.source, "requests.ndjson (9 records)");
        let spike = r.part("Spike", "Spike").unwrap();
        assert_eq!(
            (spike.requests, spike.failed, spike.timed_out),
            (Some(4), Some(3), Some(1))
        );
        assert_eq!(
            spike.by_outcome.as_deref().unwrap(),
            [
                OutcomeCount {
                    status: Some(503),
                    kind: "http5xx".into(),
                    count: 2
                },
                OutcomeCount {
                    status: None,
                    kind: "timeout".into(),
                    count: 1
                }
            ]
        );
        let baseline = r.part("Spike", "Baseline").unwrap();
        assert_eq!((baseline.failed, baseline.timed_out), (Some(0), Some(0)));
        let soak = r.part("Soak", "Soak").unwrap();
        assert_eq!(soak.minutes.len(), 2);
        assert_eq!(soak.minutes[0].start.timestamp(), 60);
        assert_eq!(
            (
                soak.minutes[0].requests,
                soak.minutes[0].failed,
                soak.minutes[0].timed_out
            ),
            (3, 2, 1)
        );
        assert_eq!((soak.minutes[1].requests, soak.minutes[1].failed), (1, 0));
    }

    #[test]
    fn without_records_the_rows_counts_give_failed_only() {
        // 82 of 360 failed: success 278/360 = 77.22… %.
        let rows = [scenario("Spike", "Spike", 360.0, 100.0 * 278.0 / 360.0)];
        let r = analyze(&RequestOutcomes::default(), &rows, &[]);
        let p = &r.parts[0];
        assert_eq!(
            (p.requests, p.failed, p.timed_out),
            (Some(360), Some(82), None)
        );
        assert_eq!(p.by_outcome, None);
        assert_eq!(p.unavailable.as_deref(), Some(NO_RECORDS));
        assert_eq!(r.unavailable.as_deref(), Some(NO_RECORDS));
    }

    #[test]
    fn a_test_run_twice_gets_no_records_and_says_why() {
        let o = outcomes(&[("basic", "light", 1, None, Some("timeout"))]);
        let rows = [
            scenario("Basic load", "Light", 1.0, 0.0),
            scenario("Basic load", "Light", 2.0, 50.0),
        ];
        let r = analyze(&o, &rows, &[]);
        for p in &r.parts[..2] {
            assert_eq!(p.unavailable.as_deref(), Some(RERUN));
            assert_eq!(p.timed_out, None);
        }
        assert_eq!((r.parts[0].failed, r.parts[1].failed), (Some(1), Some(1)));
        // The record itself stays listed, under its recorded names.
        assert_eq!(
            (
                r.parts[2].test.as_str(),
                r.parts[2].part.as_str(),
                r.parts[2].timed_out
            ),
            ("basic", "light", Some(1))
        );
    }

    #[test]
    fn stress_records_go_to_their_step_and_unknown_tests_stay_listed() {
        assert_eq!(step_key(4.5), "4.5rps");
        assert_eq!(step_key(1.0), "1rps");
        let o = outcomes(&[
            ("stress", "4.5RPS", 1, Some(503), Some("http5xx")),
            ("stress", "1RPS", 2, Some(200), None),
            ("other", "x", 3, None, Some("refused")),
        ]);
        let rows = rows(&[], &[]);
        assert!(rows.is_empty());
        let r = analyze(&o, &[], &[]);
        // No stress rows: every group is listed under its recorded names, in time order.
        let names: Vec<(&str, &str, Option<u64>)> = r
            .parts
            .iter()
            .map(|p| (p.test.as_str(), p.part.as_str(), p.failed))
            .collect();
        assert_eq!(
            names,
            [
                ("stress", "4.5RPS", Some(1)),
                ("stress", "1RPS", Some(0)),
                ("other", "x", Some(1))
            ]
        );
    }
}
