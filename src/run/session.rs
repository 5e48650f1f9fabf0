//! Where a run writes: its own new session folder, or one `report collect` already owns (then
//! `collect` keeps the manifest and `run` only adds its files).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{Local, Utc};

use crate::cli::CommonRunArgs;
use crate::ingest::cluster::RunEventRecord;
use crate::session::jsonl::read_jsonl;
use crate::session::manifest::CommandInfo;
use crate::session::redact::{redact_text, redact_url};
use crate::session::{Manifest, SessionDir, files};

/// Environment variable naming the session folder to write into; `report collect` sets it for
/// the command it wraps so both recorders fill one folder.
pub const SESSION_ENV: &str = "REPORT_SESSION";

/// Folder where default sessions are created.
const DATA_ROOT: &str = "data";

pub struct RunSession {
    pub dir: SessionDir,
    pub results_dir: PathBuf,
    /// `None` when another recorder owns the manifest.
    manifest: Option<Manifest>,
}

impl RunSession {
    pub fn open(common: &CommonRunArgs, test: &str) -> Result<Self> {
        let started = Utc::now();
        let path = match (&common.session, std::env::var_os(SESSION_ENV)) {
            (Some(path), _) => session_path(path, Path::new(DATA_ROOT)),
            (None, Some(path)) if !path.is_empty() => PathBuf::from(path),
            _ => Path::new(DATA_ROOT).join(format!("{}-{test}", started.format("%Y%m%dT%H%M%SZ"))),
        };
        let dir = SessionDir::new(path);
        let manifest = claim(&dir, test, common, started)?;
        let results_dir = common
            .results_dir
            .clone()
            .unwrap_or_else(|| dir.path.clone());
        Ok(Self {
            dir,
            results_dir,
            manifest,
        })
    }

    pub fn requests_path(&self) -> PathBuf {
        self.dir.file(files::REQUESTS)
    }

    pub fn events_path(&self) -> PathBuf {
        self.dir.file(files::RUN_EVENTS)
    }

    /// Records the end in the manifest this run owns.
    /// Whether another recorder (`report collect`) owns the session.
    pub fn joined(&self) -> bool {
        self.manifest.is_none()
    }

    pub fn finish(&mut self, end_reason: String, exit_code: i32) -> Result<()> {
        let Some(manifest) = self.manifest.as_mut() else {
            return Ok(());
        };
        manifest.ended_at = Some(Utc::now());
        manifest.end_reason = Some(end_reason);
        if let Some(command) = manifest.command.as_mut() {
            command.exit_code = Some(exit_code);
        }
        manifest.write(&self.dir.file(files::MANIFEST))
    }
}

/// The one spelling of every command that records: `--session DIR` is the session folder; a
/// bare name (no `/`) is a folder under `data_root`, as `report collect --session NAME` has it.
pub fn session_path(given: &Path, data_root: &Path) -> PathBuf {
    let bare_name = given.components().count() == 1
        && matches!(
            given.components().next(),
            Some(std::path::Component::Normal(_))
        );
    if bare_name {
        data_root.join(given)
    } else {
        given.to_path_buf()
    }
}

/// Creates the folder and its manifest, or joins a folder whose manifest `report collect` wrote.
fn claim(
    dir: &SessionDir,
    test: &str,
    common: &CommonRunArgs,
    started: chrono::DateTime<Utc>,
) -> Result<Option<Manifest>> {
    let manifest_path = dir.file(files::MANIFEST);
    if manifest_path.exists() {
        let existing = Manifest::read(&manifest_path)?;
        if !existing.created_by.starts_with("report collect") {
            bail!(
                "session folder {} already holds a recording ({}); choose another --session folder",
                dir.path.display(),
                existing.created_by
            );
        }
        if holds_run_of(dir, test) {
            bail!(
                "session folder {} already holds a {test} run: records carry the test, not the run, \
                 so a second {test} run would mix with the first; record it in another session",
                dir.path.display()
            );
        }
        return Ok(None);
    }
    std::fs::create_dir_all(&dir.path).with_context(|| {
        format!(
            "cannot create session folder {}; check --session",
            dir.path.display()
        )
    })?;
    let mut manifest = Manifest::new(
        &dir.name(),
        &format!("report run {}", env!("CARGO_PKG_VERSION")),
        started,
    );
    manifest.utc_offset_seconds = Some(Local::now().offset().local_minus_utc());
    manifest.command = Some(CommandInfo {
        argv: std::env::args().map(|a| redact_text(&a)).collect(),
        ..Default::default()
    });
    manifest.extra.insert(
        "run".into(),
        serde_json::json!({"test": test, "url": redact_url(&common.url), "api": common.api.name(), "path": common.path, "model": common.model, "max_tokens": common.max_tokens, "timeout_s": common.timeout.as_secs_f64()}),
    );
    manifest.write(&manifest_path)?;
    Ok(Some(manifest))
}

/// Whether a run of `test` already wrote into this session (its events name the test). A
/// collect session may hold one run of each test, as a whole test plan recorded at once does.
fn holds_run_of(dir: &SessionDir, test: &str) -> bool {
    let Ok((events, _)) = read_jsonl::<RunEventRecord>(&dir.file(files::RUN_EVENTS)) else {
        return false;
    };
    events.iter().any(|e| e.test.eq_ignore_ascii_case(test))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_session_name_goes_under_the_data_folder_and_a_path_is_kept() {
        let data = Path::new("data");
        assert_eq!(
            session_path(Path::new("rehearsal"), data),
            Path::new("data/rehearsal")
        );
        assert_eq!(
            session_path(Path::new("./rehearsal"), data),
            Path::new("./rehearsal")
        );
        assert_eq!(session_path(Path::new("data/x"), data), Path::new("data/x"));
        assert_eq!(session_path(Path::new("/tmp/s"), data), Path::new("/tmp/s"));
        assert_eq!(session_path(Path::new(".."), data), Path::new(".."));
    }
}
