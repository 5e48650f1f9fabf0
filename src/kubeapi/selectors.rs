//! Field and label selectors as the API server understands them in list and watch requests.

use std::collections::BTreeSet;

use serde_json::Value;

/// `a=b,c!=d`: every requirement must hold. Paths are dotted JSON paths such as
/// `involvedObject.name` or `metadata.name`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector {
    requirements: Vec<(String, bool, String)>,
}

impl FieldSelector {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut requirements = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (path, equal, value) = if let Some((p, v)) = part.split_once("!=") {
                (p, false, v)
            } else if let Some((p, v)) = part.split_once("==") {
                (p, true, v)
            } else if let Some((p, v)) = part.split_once('=') {
                (p, true, v)
            } else {
                return Err(format!(
                    "invalid field selector {part:?}: expected field=value"
                ));
            };
            requirements.push((path.trim().to_string(), equal, value.trim().to_string()));
        }
        Ok(Self { requirements })
    }

    pub fn matches(&self, object: &Value) -> bool {
        self.requirements.iter().all(|(path, equal, expected)| {
            let actual = lookup(object, path).map(scalar_text).unwrap_or_default();
            (actual == *expected) == *equal
        })
    }
}

fn lookup<'a>(object: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(object, |v, key| v.get(key))
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum LabelRequirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, BTreeSet<String>),
    NotIn(String, BTreeSet<String>),
    Exists(String),
    Absent(String),
}

/// `app=x,tier!=db,env in (a,b),!legacy`: equality-based and set-based requirements.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector {
    requirements: Vec<LabelRequirement>,
}

impl LabelSelector {
    pub fn parse(text: &str) -> Result<Self, String> {
        let requirements = split_outside_parens(text)
            .into_iter()
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .map(|p| parse_label_requirement(&p))
            .collect::<Result<_, _>>()?;
        Ok(Self { requirements })
    }

    pub fn matches(&self, object: &Value) -> bool {
        let labels = object.pointer("/metadata/labels");
        let label = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
        self.requirements.iter().all(|req| match req {
            LabelRequirement::Equals(k, v) => label(k) == Some(v.as_str()),
            LabelRequirement::NotEquals(k, v) => label(k) != Some(v.as_str()),
            LabelRequirement::In(k, set) => label(k).is_some_and(|v| set.contains(v)),
            LabelRequirement::NotIn(k, set) => label(k).is_none_or(|v| !set.contains(v)),
            LabelRequirement::Exists(k) => label(k).is_some(),
            LabelRequirement::Absent(k) => label(k).is_none(),
        })
    }
}

/// Commas separate requirements except inside the parentheses of `in (a,b)`.
fn split_outside_parens(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn parse_label_requirement(part: &str) -> Result<LabelRequirement, String> {
    if let Some(key) = part.strip_prefix('!') {
        return Ok(LabelRequirement::Absent(key.trim().to_string()));
    }
    if let Some((k, v)) = part.split_once("!=") {
        return Ok(LabelRequirement::NotEquals(
            k.trim().into(),
            v.trim().into(),
        ));
    }
    if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
        return Ok(LabelRequirement::Equals(k.trim().into(), v.trim().into()));
    }
    let words: Vec<&str> = part.splitn(3, char::is_whitespace).collect();
    match words.as_slice() {
        [key] => Ok(LabelRequirement::Exists(key.to_string())),
        [key, op, values] => {
            let set = parse_value_set(values).ok_or_else(|| {
                format!("invalid label selector {part:?}: expected `key {op} (a,b)`")
            })?;
            match *op {
                "in" => Ok(LabelRequirement::In(key.to_string(), set)),
                "notin" => Ok(LabelRequirement::NotIn(key.to_string(), set)),
                _ => Err(format!(
                    "invalid label selector {part:?}: unknown operator {op:?}"
                )),
            }
        }
        _ => Err(format!("invalid label selector {part:?}")),
    }
}

fn parse_value_set(text: &str) -> Option<BTreeSet<String>> {
    let inner = text.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(
        inner
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_selector_matches_nested_paths_and_negation() {
        let event = json!({"involvedObject": {"kind": "HorizontalPodAutoscaler", "name": "web"}});
        let sel = FieldSelector::parse(
            "involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name==web",
        )
        .unwrap();
        assert!(sel.matches(&event));
        assert!(
            !FieldSelector::parse("involvedObject.name!=web")
                .unwrap()
                .matches(&event)
        );
        assert!(
            !FieldSelector::parse("involvedObject.uid=abc")
                .unwrap()
                .matches(&event)
        );
        assert!(FieldSelector::parse("nonsense").is_err());
    }

    #[test]
    fn label_selector_supports_equality_sets_and_existence() {
        let pod = json!({"metadata": {"labels": {"app": "web", "tier": "front"}}});
        let ok = |s: &str| LabelSelector::parse(s).unwrap().matches(&pod);
        assert!(ok("app=web"));
        assert!(ok("app=web,tier in (front, back)"));
        assert!(!ok("app=web,tier notin (front)"));
        assert!(ok("tier"));
        assert!(!ok("!tier"));
        assert!(ok("!legacy"));
        assert!(!ok("app!=web"));
        assert!(ok(""));
        assert!(LabelSelector::parse("app ~ (x)").is_err());
    }
}
