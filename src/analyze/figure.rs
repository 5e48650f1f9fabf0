//! A number in the report: its value (or why it is unavailable), unit, where it came from and
//! how it was computed. Nothing reaches the report as a bare float.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub value: Option<f64>,
    pub unit: &'static str,
    /// The input file(s) the value was read or computed from.
    pub source: String,
    /// How it was computed, when not read as is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Why there is no value: which input was missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    /// A caveat printed next to the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
}

impl Figure {
    pub fn known(value: f64, unit: &'static str, source: impl Into<String>) -> Self {
        Self {
            value: Some(value),
            unit,
            source: source.into(),
            method: None,
            unavailable: None,
            flag: None,
        }
    }

    pub fn unavailable(unit: &'static str, why: impl Into<String>) -> Self {
        Self {
            value: None,
            unit,
            source: String::new(),
            method: None,
            unavailable: Some(why.into()),
            flag: None,
        }
    }

    /// `known` when there is a value, else unavailable for `why`.
    pub fn from_option(
        value: Option<f64>,
        unit: &'static str,
        source: impl Into<String>,
        why: impl Into<String>,
    ) -> Self {
        match value {
            Some(v) if v.is_finite() => Self::known(v, unit, source),
            _ => Self::unavailable(unit, why),
        }
    }

    pub fn method(mut self, method: impl Into<String>) -> Self {
        if self.value.is_some() {
            self.method = Some(method.into());
        }
        self
    }

    pub fn flag(mut self, flag: impl Into<String>) -> Self {
        if self.value.is_some() {
            self.flag = Some(flag.into());
        }
        self
    }

    pub fn is_known(&self) -> bool {
        self.value.is_some()
    }

    /// The first figure that has a value, else the last one (whose reason then stands).
    pub fn first_known(candidates: impl IntoIterator<Item = Figure>) -> Figure {
        let mut last = None;
        for f in candidates {
            if f.is_known() {
                return f;
            }
            last = Some(f);
        }
        last.unwrap_or_else(|| Figure::unavailable("", "no input"))
    }
}

pub const SECONDS: &str = "s";
pub const PERCENT: &str = "%";
pub const REQ_PER_S: &str = "req/s";
pub const TOKENS_PER_S: &str = "tokens/s";
pub const REQUESTS: &str = "requests";
