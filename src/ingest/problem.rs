//! What went wrong with one input, and where: the unit of every warning `build` prints and lists
//! in the report's "Inputs skipped or repaired" section.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// How much a problem matters: a `warning` lost something of the input (a file or a value); a
/// `note` lost nothing the report could have used (a file that is not a results file, Python's
/// NaN read as missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Note,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Note => "note",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub severity: Severity,
    pub file: PathBuf,
    /// `line 3, column 7`, `$.spike.baseline_results.avg_latency`, ...; empty when it is the whole file.
    pub place: String,
    pub message: String,
    /// What happened to the input: `file skipped`, `value ignored`; `note` for notes.
    pub outcome: &'static str,
}

impl Problem {
    pub fn skipped(file: &Path, place: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, file, place, message, "file skipped")
    }

    pub fn value_ignored(
        file: &Path,
        place: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Warning, file, place, message, "value ignored")
    }

    pub fn note(file: &Path, place: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Note, file, place, message, "note")
    }

    fn new(
        severity: Severity,
        file: &Path,
        place: impl Into<String>,
        message: impl Into<String>,
        outcome: &'static str,
    ) -> Self {
        Self {
            severity,
            file: file.to_path_buf(),
            place: place.into(),
            message: message.into(),
            outcome,
        }
    }
}

/// `warning: data/x/a.json: line 3, column 7: not valid JSON ...; file skipped`, or
/// `note: data/x/b.json: ...`: the severity first, once, as cargo and rustc write it.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.severity, self.file.display())?;
        if !self.place.is_empty() {
            write!(f, ": {}", self.place)?;
        }
        write!(f, ": {}", self.message)?;
        match self.severity {
            Severity::Warning => write!(f, "; {}", self.outcome),
            Severity::Note => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_says_its_severity_once_and_first() {
        let file = Path::new("data/x/a.json");
        assert_eq!(
            Problem::skipped(file, "line 3, column 7", "not valid JSON").to_string(),
            "warning: data/x/a.json: line 3, column 7: not valid JSON; file skipped"
        );
        assert_eq!(
            Problem::value_ignored(file, "$.soak", "latency -1 is negative").to_string(),
            "warning: data/x/a.json: $.soak: latency -1 is negative; value ignored"
        );
        assert_eq!(
            Problem::note(file, "", "not a results file of the test scripts; ignored").to_string(),
            "note: data/x/a.json: not a results file of the test scripts; ignored"
        );
    }
}
