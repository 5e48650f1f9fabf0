//! `session.json`: what the session is, who wrote it and the cluster context it was recorded in.

use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::FORMAT_VERSION;

/// Marker that tells a session manifest from any other `session.json`.
pub const FORMAT_NAME: &str = "report-session";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub name: String,
    /// `report collect 0.1.0`, `report run 0.1.0`, `report sim 0.1.0`, or `hand` for crafted sessions.
    pub created_by: String,
    pub started_at: DateTime<Utc>,
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
    /// Why the recording ended: `command exited`, `interrupted`, `duration reached`, ...
    #[serde(default)]
    pub end_reason: Option<String>,
    /// Offset of the local clock of the machine that ran the tests, in seconds east of UTC. The
    /// test scripts write zone-less local timestamps; this turns them into instants.
    #[serde(default)]
    pub utc_offset_seconds: Option<i32>,
    #[serde(default)]
    pub cluster: Option<ClusterInfo>,
    #[serde(default)]
    pub command: Option<CommandInfo>,
    /// Anything a writer wants to keep (unknown to this version's reader, kept verbatim).
    #[serde(default, flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ClusterInfo {
    #[serde(default)]
    pub context: Option<String>,
    pub namespace: String,
    #[serde(default)]
    pub hpa_name: Option<String>,
    /// The HPA's `spec` as the API returned it (minReplicas, maxReplicas, metrics, behavior).
    #[serde(default)]
    pub hpa_spec: Option<serde_json::Value>,
    /// The scale target, e.g. `Deployment/llm-inference`.
    #[serde(default)]
    pub target: Option<String>,
    /// The target's pod label selector, e.g. `app=llm-inference`.
    #[serde(default)]
    pub pod_selector: Option<String>,
    /// Simulated seconds per wall second when the cluster is `report sim` (its HPA carries the
    /// annotation [`SIM_SPEED_ANNOTATION`]); absent for a real cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sim_speed: Option<f64>,
}

/// Annotation `report sim` puts on its HPA, so a recording knows which clock it ran on.
pub const SIM_SPEED_ANNOTATION: &str = "report.sim/speed";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct CommandInfo {
    pub argv: Vec<String>,
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// When the wrapped command was started and when it exited (`report collect -- COMMAND`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
}

impl Manifest {
    pub fn new(name: &str, created_by: &str, started_at: DateTime<Utc>) -> Self {
        Self {
            format: FORMAT_NAME.to_string(),
            version: FORMAT_VERSION,
            name: name.to_string(),
            created_by: created_by.to_string(),
            started_at,
            ended_at: None,
            end_reason: None,
            utc_offset_seconds: None,
            cluster: None,
            command: None,
            extra: serde_json::Map::new(),
        }
    }

    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let manifest: Manifest = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a valid session manifest", path.display()))?;
        if manifest.format != FORMAT_NAME {
            bail!(
                "{}: format is {:?}, expected {:?}",
                path.display(),
                manifest.format,
                FORMAT_NAME
            );
        }
        if manifest.version > FORMAT_VERSION {
            bail!(
                "{}: session format version {} is newer than this report understands ({}); update report",
                path.display(),
                manifest.version,
                FORMAT_VERSION
            );
        }
        Ok(manifest)
    }

    /// Writes the manifest atomically (temp file + rename) so a crash never leaves half a manifest.
    pub fn write(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(&tmp, text + "\n")
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot move {} into place", tmp.display()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trips_and_keeps_unknown_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.json");
        let mut m = Manifest::new("s1", "hand", "2026-11-26T16:00:00Z".parse().unwrap());
        m.extra
            .insert("future_field".into(), serde_json::json!([1, 2]));
        m.write(&path).unwrap();
        let back = Manifest::read(&path).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.extra["future_field"], serde_json::json!([1, 2]));
    }

    #[test]
    fn newer_format_version_is_refused_with_the_file_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.json");
        let mut m = Manifest::new("s1", "hand", "2026-11-26T16:00:00Z".parse().unwrap());
        m.version = FORMAT_VERSION + 1;
        m.write(&path).unwrap();
        let err = Manifest::read(&path).unwrap_err().to_string();
        assert!(err.contains("session.json"), "{err}");
        assert!(err.contains("newer"), "{err}");
    }
}
