//! Append-only JSON Lines: one record per line, flushed as written, so a killed writer loses at
//! most the line it was writing and readers skip that torn last line.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Appends one JSON document per line and flushes each line to the OS at once.
pub struct JsonlWriter {
    path: PathBuf,
    file: File,
    written: u64,
}

impl JsonlWriter {
    pub fn open(path: &Path) -> Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open {} for appending", path.display()))?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            written: 0,
        })
    }

    pub fn append<T: Serialize>(&mut self, record: &T) -> Result<()> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        // One write call per record: appends of a whole line are not interleaved with others.
        self.file
            .write_all(&line)
            .with_context(|| format!("cannot append to {}", self.path.display()))?;
        self.written += 1;
        Ok(())
    }

    pub fn records_written(&self) -> u64 {
        self.written
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A line that could not be read, with its place.
#[derive(Debug, Clone, PartialEq)]
pub struct BadLine {
    pub line: usize,
    pub message: String,
}

/// Reads every well-formed record; malformed lines are returned with their line number instead of
/// stopping the read (a torn last line after `kill -9` is the common case).
pub fn read_jsonl<T: DeserializeOwned>(path: &Path) -> Result<(Vec<T>, Vec<BadLine>)> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut records = Vec::new();
    let mut bad = Vec::new();
    for (index, line) in BufReader::new(file).split(b'\n').enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<T>(&line) {
            Ok(record) => records.push(record),
            Err(e) => bad.push(BadLine {
                line: index + 1,
                message: e.to_string(),
            }),
        }
    }
    Ok((records, bad))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Rec {
        n: u32,
    }

    #[test]
    fn torn_last_line_is_reported_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.jsonl");
        let mut w = JsonlWriter::open(&path).unwrap();
        w.append(&Rec { n: 1 }).unwrap();
        w.append(&Rec { n: 2 }).unwrap();
        assert_eq!(w.records_written(), 2);
        drop(w);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"n\": 3").unwrap();
        let (recs, bad) = read_jsonl::<Rec>(&path).unwrap();
        assert_eq!(recs, vec![Rec { n: 1 }, Rec { n: 2 }]);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, 3);
    }
}
