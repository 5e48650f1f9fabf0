//! The objectives file (`slo.toml`): what the user promised, read with the place of every
//! mistake (file, line, column) so a typo never turns into a silently missing objective.

use std::path::{Path, PathBuf};

use toml::Spanned;

use crate::units;
use toml::de::{DeString, DeTable, DeValue};

/// One bound as the user wrote it, converted to the unit the analysis uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub value: f64,
    /// Byte range of the value in the file, for messages.
    pub span: (usize, usize),
}

/// A `[[objective]]` table: a scope (test, optional phase) and its bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeEntry {
    pub test: String,
    pub phase: Option<String>,
    pub bounds: Vec<(Metric, Limit)>,
    /// Line of the table in the file, for the report.
    pub line: usize,
}

/// Per-request objectives: a request is good when it succeeded and meets every one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GoodputEntry {
    pub latency_max_s: Option<f64>,
    pub ttft_max_s: Option<f64>,
    pub itl_max_s: Option<f64>,
    pub tpot_max_s: Option<f64>,
}

impl GoodputEntry {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectivesFile {
    pub path: PathBuf,
    pub scopes: Vec<ScopeEntry>,
    pub goodput: GoodputEntry,
}

/// What an objective bounds. The name is the key the user writes without `_max`/`_min`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Avg,
    P50,
    P95,
    P99,
    Success,
    AchievedShare,
    Goodput,
    TimeToScaleUp,
    TimeToScaleDown,
    MaxPods,
    MemoryGrowth,
    SoakDrift,
    TtftP50,
    TtftP95,
    TtftP99,
    ItlP50,
    ItlP95,
    ItlP99,
    TpotP50,
    TpotP95,
    TpotP99,
}

/// Whether the measured value must stay at or below the limit (`_max`) or at or above (`_min`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    AtMost,
    AtLeast,
}

/// How a metric's limit is written and in which unit it is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Seconds,
    Percent,
    Count,
    MibPerMin,
}

impl Metric {
    /// Every metric with its key stem, its direction and its kind, in the order of the report.
    pub const ALL: [(Metric, &'static str, Direction, Kind); 21] = [
        (Metric::Avg, "avg_max", Direction::AtMost, Kind::Seconds),
        (Metric::P50, "p50_max", Direction::AtMost, Kind::Seconds),
        (Metric::P95, "p95_max", Direction::AtMost, Kind::Seconds),
        (Metric::P99, "p99_max", Direction::AtMost, Kind::Seconds),
        (
            Metric::Success,
            "success_min",
            Direction::AtLeast,
            Kind::Percent,
        ),
        (
            Metric::AchievedShare,
            "achieved_share_min",
            Direction::AtLeast,
            Kind::Percent,
        ),
        (
            Metric::Goodput,
            "goodput_min",
            Direction::AtLeast,
            Kind::Percent,
        ),
        (
            Metric::TimeToScaleUp,
            "time_to_scale_up_max",
            Direction::AtMost,
            Kind::Seconds,
        ),
        (
            Metric::TimeToScaleDown,
            "time_to_scale_down_max",
            Direction::AtMost,
            Kind::Seconds,
        ),
        (
            Metric::MaxPods,
            "max_pods_max",
            Direction::AtMost,
            Kind::Count,
        ),
        (
            Metric::MemoryGrowth,
            "memory_growth_max",
            Direction::AtMost,
            Kind::MibPerMin,
        ),
        (
            Metric::SoakDrift,
            "drift_max",
            Direction::AtMost,
            Kind::Percent,
        ),
        (
            Metric::TtftP50,
            "ttft_p50_max",
            Direction::AtMost,
            Kind::Seconds,
        ),
        (
            Metric::TtftP95,
            "ttft_p95_max",
            Direction::AtMost,
            Kind::Seconds,
        ),
        (
            Metric::TtftP99,
            "ttft_p99_max",
            Direction::AtMost,
            Kind::Seconds,
        ),
        (
            Metric::ItlP50,
            "itl_p50_max",
            Direction::AtMost,
            Kind::Seconds,
        ),
        (
            Metric::ItlP95,
            "itl_p95_max",
            Direction::AtMost,
            Kind::Seconds,
        ),
        (
            Metric::ItlP99,
            "itl_p99_max",
            Direction::AtMost,
            Kind::Seconds,
        ),
        (
            Metric::TpotP50,
            "tpot_p50_max",
            Direction::AtMost,
            Kind::Seconds,
        ),
        (
            Metric::TpotP95,
            "tpot_p95_max",
            Direction::AtMost,
            Kind::Seconds,
        ),
        (
            Metric::TpotP99,
            "tpot_p99_max",
            Direction::AtMost,
            Kind::Seconds,
        ),
    ];

    fn entry(self) -> (Metric, &'static str, Direction, Kind) {
        Self::ALL
            .into_iter()
            .find(|e| e.0 == self)
            .expect("every metric is listed in ALL")
    }

    pub fn key(self) -> &'static str {
        self.entry().1
    }

    pub fn direction(self) -> Direction {
        self.entry().2
    }

    pub fn kind(self) -> Kind {
        self.entry().3
    }
}

/// A bad objectives file: where and what.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", path.display())]
pub struct FileError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Reads and checks an objectives file.
pub fn read(path: &Path) -> Result<ObjectivesFile, FileError> {
    let text = std::fs::read_to_string(path).map_err(|e| FileError {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read: {e}"),
    })?;
    parse(path, &text)
}

/// Parses the text of an objectives file.
pub fn parse(path: &Path, text: &str) -> Result<ObjectivesFile, FileError> {
    let error_at = |span: std::ops::Range<usize>, message: String| {
        let (line, column) = line_column(text, span.start);
        FileError {
            path: path.to_path_buf(),
            line,
            column,
            message,
        }
    };
    let root = DeTable::parse(text)
        .map_err(|e| error_at(e.span().unwrap_or(0..0), e.message().trim_end().to_string()))?;
    let mut scopes = Vec::new();
    let mut goodput = GoodputEntry::default();
    for (key, value) in in_file_order(root.get_ref()) {
        match key.get_ref().as_ref() {
            "objective" => {
                let Some(tables) = value.get_ref().as_array() else {
                    return Err(error_at(
                        value.span(),
                        "`objective` must be tables: write [[objective]]".into(),
                    ));
                };
                for table in tables.iter() {
                    scopes.push(scope(table, text, &error_at)?);
                }
            }
            "goodput" => {
                let Some(table) = value.get_ref().as_table() else {
                    return Err(error_at(
                        value.span(),
                        "`goodput` must be a table: write [goodput]".into(),
                    ));
                };
                for (k, v) in in_file_order(table) {
                    let seconds = Some(limit(v, Kind::Seconds, &error_at)?.value);
                    match k.get_ref().as_ref() {
                        "latency_max" => goodput.latency_max_s = seconds,
                        "ttft_max" => goodput.ttft_max_s = seconds,
                        "itl_max" => goodput.itl_max_s = seconds,
                        "tpot_max" => goodput.tpot_max_s = seconds,
                        other => {
                            return Err(error_at(
                                k.span(),
                                format!(
                                    "unknown goodput bound `{other}`; known: latency_max, ttft_max, itl_max, tpot_max"
                                ),
                            ));
                        }
                    }
                }
            }
            other => {
                return Err(error_at(
                    key.span(),
                    format!(
                        "unknown table `{other}`; an objectives file holds [[objective]] tables and one [goodput] table"
                    ),
                ));
            }
        }
    }
    Ok(ObjectivesFile {
        path: path.to_path_buf(),
        scopes,
        goodput,
    })
}

type Entry<'a, 'i> = (&'a Spanned<DeString<'i>>, &'a Spanned<DeValue<'i>>);

/// A table's entries in the order the file wrote them (the parser's map is sorted by key).
fn in_file_order<'a, 'i>(table: &'a DeTable<'i>) -> Vec<Entry<'a, 'i>> {
    let mut entries: Vec<Entry> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

fn scope(
    table: &Spanned<DeValue>,
    text: &str,
    error_at: &impl Fn(std::ops::Range<usize>, String) -> FileError,
) -> Result<ScopeEntry, FileError> {
    let Some(entries) = table.get_ref().as_table() else {
        return Err(error_at(
            table.span(),
            "an objective must be a table".into(),
        ));
    };
    let entries = in_file_order(entries);
    let first = entries
        .first()
        .map_or(table.span().start, |(k, _)| k.span().start);
    // The line of the `[[objective]]` header: the last header line before the first key.
    let header = text[..first.min(text.len())].rfind("[[").unwrap_or(first);
    let mut test = None;
    let mut phase = None;
    let mut bounds = Vec::new();
    for (key, value) in entries {
        let name = key.get_ref().as_ref();
        let as_text = || {
            value
                .get_ref()
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| error_at(value.span(), format!("`{name}` must be a string")))
        };
        match name {
            "test" => test = Some(as_text()?),
            "phase" => phase = Some(as_text()?),
            _ => {
                let Some(&(metric, _, _, kind)) = Metric::ALL.iter().find(|e| e.1 == name) else {
                    return Err(error_at(
                        key.span(),
                        format!(
                            "unknown objective `{name}`; known: test, phase, {}",
                            Metric::ALL.map(|e| e.1).join(", ")
                        ),
                    ));
                };
                bounds.push((metric, limit(value, kind, error_at)?));
            }
        }
    }
    let Some(test) = test else {
        return Err(error_at(
            header..header,
            "this objective names no test (test = \"spike\", \"basic\", \"stress\", \"soak\" or a run's label)".into(),
        ));
    };
    if bounds.is_empty() {
        return Err(error_at(
            header..header,
            "this objective names no bound (e.g. p95_max = \"10s\")".into(),
        ));
    }
    bounds.sort_by_key(|(m, _)| Metric::ALL.iter().position(|e| e.0 == *m));
    Ok(ScopeEntry {
        test,
        phase,
        bounds,
        line: line_column(text, header).0,
    })
}

fn limit(
    value: &Spanned<DeValue>,
    kind: Kind,
    error_at: &impl Fn(std::ops::Range<usize>, String) -> FileError,
) -> Result<Limit, FileError> {
    let span = value.span();
    let v = convert(value.get_ref(), kind).map_err(|m| error_at(span.clone(), m))?;
    Ok(Limit {
        value: v,
        span: (span.start, span.end),
    })
}

/// A limit in the metric's unit, read as the command line reads it (crate::units): seconds from
/// `"10s"`, `"1.5s"`, `"1m30s"` or a number of seconds; percent from `95` or `"95%"` (a bare 0.95
/// is refused: it could mean 95 % or 0.95 %); a whole count;
/// MiB/min from `"5MiB/min"` or a number.
fn convert(value: &DeValue, kind: Kind) -> Result<f64, String> {
    let number = match value {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .ok()
            .map(|i| i as f64),
        DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
        _ => None,
    };
    let text = value.as_str().map(str::trim);
    let v = match (kind, number, text) {
        (Kind::Seconds, Some(n), _) => n,
        (Kind::Seconds, None, Some(t)) => units::parse_duration(t)?.as_secs_f64(),
        (Kind::Percent, Some(n), _) => units::parse_percent(&n.to_string(), "this bound")?,
        (Kind::Percent, None, Some(t)) => units::parse_percent(t, "this bound")?,
        (Kind::Count, Some(n), _) if n.fract() == 0.0 => n,
        (Kind::MibPerMin, Some(n), _) => n,
        (Kind::MibPerMin, None, Some(t)) => t
            .strip_suffix("MiB/min")
            .and_then(|n| n.trim().parse::<f64>().ok())
            .ok_or_else(|| format!("`{t}` is not a memory growth; write e.g. \"5MiB/min\""))?,
        (Kind::Count, _, _) => return Err("expected a whole number, e.g. 5".into()),
        _ => return Err(format!("expected {}", expected(kind))),
    };
    if !v.is_finite() || v < 0.0 {
        return Err(format!(
            "expected {} (a finite value, not negative)",
            expected(kind)
        ));
    }
    Ok(v)
}

fn expected(kind: Kind) -> &'static str {
    match kind {
        Kind::Seconds => "a duration such as \"10s\" or a number of seconds",
        Kind::Percent => "a percentage such as \"95%\"",
        Kind::Count => "a whole number",
        Kind::MibPerMin => "a growth such as \"5MiB/min\"",
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<ObjectivesFile, FileError> {
        parse(Path::new("slo.toml"), text)
    }

    #[test]
    fn reads_scopes_bounds_and_goodput_in_their_units() {
        let f = parse_text(
            "[goodput]\nlatency_max = \"10s\"\nttft_max = \"2s\"\n\n\
             [[objective]]\ntest = \"spike\"\nphase = \"Spike\"\nsuccess_min = \"95%\"\np95_max = \"1m30s\"\n\n\
             [[objective]]\ntest = \"soak\"\nmemory_growth_max = \"5MiB/min\"\nsuccess_min = \"99%\"\n",
        )
        .unwrap();
        assert_eq!(f.goodput.latency_max_s, Some(10.0));
        assert_eq!(f.goodput.ttft_max_s, Some(2.0));
        assert_eq!(f.scopes.len(), 2);
        let spike = &f.scopes[0];
        assert_eq!(
            (spike.test.as_str(), spike.phase.as_deref()),
            ("spike", Some("Spike"))
        );
        assert_eq!(spike.line, 5);
        // In the report's order (p95 before success), whatever the file's order.
        let bounds: Vec<_> = spike.bounds.iter().map(|(m, l)| (*m, l.value)).collect();
        assert_eq!(bounds, vec![(Metric::P95, 90.0), (Metric::Success, 95.0)]);
        let soak: Vec<_> = f.scopes[1]
            .bounds
            .iter()
            .map(|(m, l)| (*m, l.value))
            .collect();
        assert_eq!(
            soak,
            vec![(Metric::Success, 99.0), (Metric::MemoryGrowth, 5.0)]
        );
    }

    #[test]
    fn a_mistake_is_named_with_its_line_and_column() {
        let e = parse_text("[[objective]]\ntest = \"spike\"\np96_max = \"10s\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 1));
        assert!(
            e.message.starts_with("unknown objective `p96_max`"),
            "{}",
            e.message
        );
        assert_eq!(e.to_string().split(": ").next(), Some("slo.toml:3:1"));

        let e =
            parse_text("[[objective]]\ntest = \"spike\"\np95_max = \"ten seconds\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 11));
        assert!(e.message.contains("is not a duration"), "{}", e.message);

        let e = parse_text("[[objective]]\ntest = \"soak\"\nsuccess_min = 0.95\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 15));
        let e = parse_text("[[objective]]\ntest = \"soak\"\nsuccess_min = \"150%\"\n").unwrap_err();
        assert_eq!(
            e.message,
            "150% is outside 0-100; this bound is a percentage, e.g. 95 for 95 %"
        );

        let e = parse_text("[[objective]]\ntest = \"spike\"\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("names no bound"), "{}", e.message);

        let e = parse_text("[goodput]\nlatency = \"10s\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 1));

        let e = parse_text("[[objective]\n").unwrap_err();
        assert_eq!(e.line, 1);
    }

    #[test]
    fn bounds_are_written_as_on_the_command_line() {
        let file = parse_text(
            "[[objective]]\ntest = \"spike\"\np95_max = \"1.5s\"\nsuccess_min = 95\n\n\
             [[objective]]\ntest = \"soak\"\np99_max = \"1m30s\"\nsuccess_min = \"99.5%\"\n",
        )
        .unwrap();
        let limits: Vec<f64> = file
            .scopes
            .iter()
            .flat_map(|scope| scope.bounds.iter().map(|(_, limit)| limit.value))
            .collect();
        assert_eq!(limits, vec![1.5, 95.0, 90.0, 99.5]);
    }
}
