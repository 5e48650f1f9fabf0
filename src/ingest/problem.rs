//! What went wrong with one input, and where: the unit of every warning `build` prints and lists
//! in the report's "Inputs skipped or repaired" section.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub file: PathBuf,
    /// `line 3, column 7`, `$.spike.baseline_results.avg_latency`, ...; empty when it is the whole file.
    pub place: String,
    pub message: String,
    /// What happened to the input: `skipped` (file not used), `value ignored`, `repaired`.
    pub outcome: &'static str,
}

impl Problem {
    pub fn skipped(file: &Path, place: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(file, place, message, "file skipped")
    }

    pub fn value_ignored(
        file: &Path,
        place: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(file, place, message, "value ignored")
    }

    pub fn note(file: &Path, place: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(file, place, message, "note")
    }

    fn new(
        file: &Path,
        place: impl Into<String>,
        message: impl Into<String>,
        outcome: &'static str,
    ) -> Self {
        Self {
            file: file.to_path_buf(),
            place: place.into(),
            message: message.into(),
            outcome,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if !self.place.is_empty() {
            write!(f, ": {}", self.place)?;
        }
        write!(f, ": {} ({})", self.message, self.outcome)
    }
}
