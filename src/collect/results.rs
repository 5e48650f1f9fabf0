//! Results files of the test scripts: every complete version of every file matching the globs
//! is copied into `results/` when it appears or changes. A JSON file caught half-written does
//! not parse and is read again at the next look; other files must look the same twice in a row.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};
use chrono::Utc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::records::{Record, ResultsRecord};
use super::writer::Sink;
use crate::session::{SessionDir, files};

/// What the user's scripts write into the working directory.
pub const DEFAULT_PATTERNS: [&str; 2] = ["benchmark_results.json", "advanced_test_results_*.json"];

#[derive(Default)]
struct Seen {
    /// Length and modification time at the last look.
    signature: Option<(u64, SystemTime)>,
    /// Hash of the content last stored (or present before the recording started).
    stored: Option<u64>,
    /// Changed but not yet complete: look again even if the signature stays the same.
    pending: bool,
}

pub struct ResultsFiles {
    patterns: Vec<String>,
    session: SessionDir,
    sink: Sink,
    seen: HashMap<PathBuf, Seen>,
}

impl ResultsFiles {
    pub fn new(patterns: Vec<String>, session: SessionDir, sink: Sink) -> Result<Self> {
        check_patterns(&patterns)?;
        Ok(Self {
            patterns,
            session,
            sink,
            seen: HashMap::new(),
        })
    }

    /// Files present before the recording belong to an earlier run: remember their content so
    /// that only a new version is stored.
    pub fn note_existing(&mut self) {
        for path in self.matching_files() {
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            self.sink.info(
                "results",
                format!(
                    "{} existed before the recording; it is stored only when it changes",
                    path.display()
                ),
            );
            let seen = self.seen.entry(path.clone()).or_default();
            seen.signature = signature(&path);
            seen.stored = Some(hash(&bytes));
        }
    }

    fn matching_files(&self) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = self
            .patterns
            .iter()
            .filter_map(|p| glob::glob(p).ok())
            .flat_map(|paths| paths.flatten())
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        paths.dedup();
        paths
    }

    pub fn poll(&mut self) {
        for path in self.matching_files() {
            if let Err(e) = self.look_at(&path) {
                self.sink.warning("results", format!("{e:#}"));
            }
        }
    }

    fn look_at(&mut self, path: &Path) -> Result<()> {
        let now = signature(path);
        let seen = self.seen.entry(path.to_path_buf()).or_default();
        let before = std::mem::replace(&mut seen.signature, now);
        if before == now && !seen.pending {
            return Ok(());
        }
        // Vanished between the glob and the read: it will be seen again if it comes back.
        let Ok(bytes) = std::fs::read(path) else {
            return Ok(());
        };
        let digest = hash(&bytes);
        if seen.stored == Some(digest) {
            seen.pending = false;
            return Ok(());
        }
        let complete = if is_json(path) {
            serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok()
        } else {
            before == now
        };
        if !complete {
            seen.pending = true;
            return Ok(());
        }
        seen.pending = false;
        seen.stored = Some(digest);
        self.store(path, &bytes)
    }

    fn store(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        let t = Utc::now();
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stamp = t.format("%Y%m%dT%H%M%S%.3fZ");
        let dir = self.session.file(files::RESULTS_DIR);
        let mut stored = format!("{stamp}__{file_name}");
        let mut n = 1;
        while dir.join(&stored).exists() {
            n += 1;
            stored = format!("{stamp}-{n}__{file_name}");
        }
        // Written beside `results/` (where `build` looks) and renamed in, so neither a reader
        // nor a `kill -9` ever meets a torn copy there.
        let partial = self.session.file(&format!(".{stored}.partial"));
        std::fs::write(&partial, bytes)
            .with_context(|| format!("cannot write {}", partial.display()))?;
        std::fs::rename(&partial, dir.join(&stored))
            .with_context(|| format!("cannot move {} into place", partial.display()))?;
        self.sink.send(Record::Results(ResultsRecord {
            t,
            source: path.display().to_string(),
            stored,
            bytes: bytes.len() as u64,
        }));
        Ok(())
    }
}

/// Refuses a malformed glob before anything is recorded.
pub fn check_patterns(patterns: &[String]) -> Result<()> {
    for pattern in patterns {
        if let Err(e) = glob::Pattern::new(pattern) {
            bail!(
                "--results {pattern:?} is not a valid glob ({e}); quote it and use *, ? or [...]"
            );
        }
    }
    Ok(())
}

fn signature(path: &Path) -> Option<(u64, SystemTime)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

fn hash(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

fn is_json(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// The polling task; `finish` makes it look one last time and stop.
pub struct ResultsTask {
    finish: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl ResultsTask {
    pub fn start(mut files: ResultsFiles, every: Duration) -> Self {
        let (finish, mut finished) = oneshot::channel();
        let task = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = ticker.tick() => files.poll(),
                    _ = &mut finished => {
                        files.poll();
                        return;
                    }
                }
            }
        });
        Self { finish, task }
    }

    pub async fn finish(self) {
        let _ = self.finish.send(());
        let _ = self.task.await;
    }
}
