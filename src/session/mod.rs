//! The session folder: the contract between `report collect` / `report run` (writers) and
//! `report build` (reader). The layout is documented in `docs/SESSION_FORMAT.md`; bump
//! [`FORMAT_VERSION`] whenever a file's meaning changes.

pub mod jsonl;
pub mod manifest;
pub mod redact;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

pub use manifest::Manifest;

/// Version of the session folder format written by this build of `report`.
pub const FORMAT_VERSION: u32 = 2;

/// File names inside a session folder, in one place so writers and readers cannot drift apart.
pub mod files {
    pub const MANIFEST: &str = "session.json";
    pub const HPA: &str = "hpa.jsonl";
    pub const EVENTS: &str = "events.jsonl";
    pub const PODS: &str = "pods.jsonl";
    pub const POD_METRICS: &str = "pod_metrics.jsonl";
    pub const NODE_METRICS: &str = "node_metrics.jsonl";
    pub const COLLECTOR_LOG: &str = "collector.jsonl";
    pub const CONSOLE_LOG: &str = "console.log";
    pub const RESULTS_DIR: &str = "results";
    pub const RESULTS_INDEX: &str = "results.jsonl";
    pub const REQUESTS: &str = "requests.ndjson";
    pub const RUN_EVENTS: &str = "run_events.jsonl";
}

/// A session folder on disk.
#[derive(Debug, Clone)]
pub struct SessionDir {
    pub path: PathBuf,
}

impl SessionDir {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Creates `root/name` (and `results/`) for a new recording; refuses to reuse a folder that
    /// already holds a manifest so that two recordings never mix.
    pub fn create(root: &Path, name: &str) -> Result<Self> {
        let path = root.join(name);
        if path.join(files::MANIFEST).exists() {
            bail!(
                "session folder {} already holds a recording; choose another --session name",
                path.display()
            );
        }
        std::fs::create_dir_all(path.join(files::RESULTS_DIR))
            .with_context(|| format!("cannot create session folder {}", path.display()))?;
        Ok(Self { path })
    }

    /// Undoes [`Self::create`] for a recording that never began: removes the manifest and the
    /// empty `results/`, then the folder if nothing else is in it (files someone else put
    /// there stay).
    pub fn discard(&self) -> Result<()> {
        let manifest = self.file(files::MANIFEST);
        if manifest.exists() {
            std::fs::remove_file(&manifest)
                .with_context(|| format!("cannot remove {}", manifest.display()))?;
        }
        // Not empty means something else was written there: then it stays, and so does the folder.
        let _ = std::fs::remove_dir(self.file(files::RESULTS_DIR));
        let _ = std::fs::remove_dir(&self.path);
        Ok(())
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// The session's name: the folder's last component.
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "session".to_string())
    }

    pub fn read_manifest(&self) -> Result<Option<Manifest>> {
        let path = self.file(files::MANIFEST);
        if !path.exists() {
            return Ok(None);
        }
        Manifest::read(&path).map(Some)
    }
}

/// The folder `report build` reads for `arg`: the folder itself when it exists, else, when `arg` is
/// a bare name (no `/`), the session of that name under `data_root`. Anything else is an error
/// that lists the sessions there.
pub fn resolve(arg: &Path, data_root: &Path) -> Result<PathBuf> {
    if arg.is_dir() {
        return Ok(arg.to_path_buf());
    }
    let bare = arg.components().count() == 1
        && matches!(
            arg.components().next(),
            Some(std::path::Component::Normal(_))
        );
    if bare && data_root.join(arg).is_dir() {
        return Ok(data_root.join(arg));
    }
    let mut names: Vec<String> = std::fs::read_dir(data_root)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let available = if names.is_empty() {
        format!("there is no session under {}", data_root.display())
    } else {
        format!(
            "sessions under {}: {}",
            data_root.display(),
            names.join(", ")
        )
    };
    let what = if bare {
        format!(
            "session folder {} does not exist: not a folder here nor a session under {}",
            arg.display(),
            data_root.display()
        )
    } else {
        format!(
            "session folder {} does not exist or is not a folder",
            arg.display()
        )
    };
    bail!("{what}; {available}")
}

/// The session folders under `data_root`, newest first (ties by name, last first). `report
/// build` with no folder takes the first of them that holds something usable.
pub fn sessions_newest_first(data_root: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(data_root).with_context(|| {
        format!(
            "no session folder given and {} cannot be read; pass a folder: report build PATH",
            data_root.display()
        )
    })?;
    let mut sessions: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .map(|path| (session_mtime(&path), path))
        .collect();
    sessions.sort_by(|a, b| b.cmp(a));
    if sessions.is_empty() {
        anyhow::bail!(
            "no session folder under {}; record one with `report collect` or pass a folder",
            data_root.display()
        );
    }
    Ok(sessions.into_iter().map(|(_, path)| path).collect())
}

/// A session's age is that of its manifest when it has one (a git checkout gives every folder the
/// checkout time, the manifest's content does not change that, but a live recording touches it).
fn session_mtime(path: &Path) -> std::time::SystemTime {
    let manifest = path.join(files::MANIFEST);
    let probe = if manifest.exists() {
        manifest
    } else {
        path.to_path_buf()
    };
    std::fs::metadata(probe)
        .and_then(|m| m.modified())
        .unwrap_or(std::time::UNIX_EPOCH)
}
