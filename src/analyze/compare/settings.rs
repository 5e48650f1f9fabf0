//! The autoscaler settings that differ between the sessions, read from each session.json (the
//! HPA spec `report collect` saved, and the cluster it recorded). Nested fields are flattened
//! into paths such as `hpa.metrics[0].resource.target.averageUtilization`.

use serde::Serialize;
use serde_json::Value;

use super::Session;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettingRow {
    pub setting: String,
    /// One per session; None when that session.json does not hold the setting.
    pub values: Vec<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    /// Settings whose value is not the same in every session.
    pub differing: Vec<SettingRow>,
    /// How many settings are the same in every session.
    pub same: usize,
    /// Sessions without an HPA spec in session.json (named as the comparison names them).
    pub without_spec: Vec<String>,
}

/// Compares the settings of every session.
pub fn differing(sessions: &[Session]) -> Settings {
    let flat: Vec<Vec<(String, String)>> = sessions.iter().map(settings_of).collect();
    let mut names: Vec<&String> = Vec::new();
    for (name, _) in flat.iter().flatten() {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let mut rows = Vec::new();
    let mut same = 0;
    for name in names {
        let values: Vec<Option<String>> = flat
            .iter()
            .map(|f| f.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()))
            .collect();
        if values.iter().all(|v| *v == values[0]) {
            same += 1;
        } else {
            rows.push(SettingRow {
                setting: name.clone(),
                values,
            });
        }
    }
    let without_spec = sessions
        .iter()
        .filter(|s| spec_of(s).is_none())
        .map(|s| s.analysis.session.clone())
        .collect();
    Settings {
        differing: rows,
        same,
        without_spec,
    }
}

fn spec_of<'a>(s: &'a Session) -> Option<&'a Value> {
    s.inputs
        .manifest
        .as_ref()?
        .cluster
        .as_ref()?
        .hpa_spec
        .as_ref()
}

/// The session's settings as (path, value) pairs, in session.json's order.
fn settings_of(s: &Session) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(cluster) = s.inputs.manifest.as_ref().and_then(|m| m.cluster.as_ref()) else {
        return out;
    };
    let mut put = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            out.push((name.to_string(), v));
        }
    };
    put("namespace", Some(cluster.namespace.clone()));
    put("hpa name", cluster.hpa_name.clone());
    put("scale target", cluster.target.clone());
    put("sim speed", cluster.sim_speed.map(|v| v.to_string()));
    if let Some(spec) = &cluster.hpa_spec {
        flatten("hpa", spec, &mut out);
    }
    out
}

/// Leaves of a JSON value as `path = value`.
pub fn flatten(path: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(fields) => {
            for (k, v) in fields {
                flatten(&format!("{path}.{k}"), v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{path}[{i}]"), v, out);
            }
        }
        Value::String(s) => out.push((path.to_string(), s.clone())),
        Value::Null => {}
        other => out.push((path.to_string(), other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_fields_become_paths() {
        let spec = serde_json::json!({
            "minReplicas": 1,
            "metrics": [{"resource": {"name": "cpu", "target": {"averageUtilization": 80}}}]
        });
        let mut out = Vec::new();
        flatten("hpa", &spec, &mut out);
        assert_eq!(
            out,
            vec![
                ("hpa.metrics[0].resource.name".into(), "cpu".into()),
                (
                    "hpa.metrics[0].resource.target.averageUtilization".into(),
                    "80".into()
                ),
                ("hpa.minReplicas".into(), "1".into()),
            ]
        );
    }
}
