//! Paths as the report shows them: relative to the session folder, so a mailed report does not
//! reveal the machine's folders (and reads the same wherever the session was built).

use std::path::{Component, Path};

/// `results/x.json` for `<session>/results/x.json`; a path outside the session is shown by its
/// file name alone.
pub fn in_session(path: &Path, session_dir: &Path) -> String {
    let relative = path
        .strip_prefix(session_dir)
        .ok()
        .filter(|r| !r.as_os_str().is_empty());
    match relative {
        Some(r) => r.to_string_lossy().into_owned(),
        None => path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
    }
}

/// The session folder's own name (`2026-11-20-plan` for `/home/u/data/2026-11-20-plan`).
pub fn folder_name(session_dir: &Path) -> String {
    let resolved = session_dir.canonicalize();
    resolved
        .as_deref()
        .unwrap_or(session_dir)
        .components()
        .rev()
        .find_map(|c| match c {
            Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
            _ => None,
        })
        .unwrap_or_else(|| ".".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_shown_relative_to_the_session() {
        let session = Path::new("/home/u/data/plan");
        assert_eq!(
            in_session(Path::new("/home/u/data/plan/results/a.json"), session),
            "results/a.json"
        );
        assert_eq!(
            in_session(Path::new("/home/u/data/plan/x.log"), session),
            "x.log"
        );
        assert_eq!(in_session(Path::new("/etc/other/y.log"), session), "y.log");
        assert_eq!(
            in_session(Path::new("plan/z.log"), Path::new("plan")),
            "z.log"
        );
        assert_eq!(folder_name(session), "plan");
        assert_eq!(folder_name(Path::new("data/plan/")), "plan");
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("plan")).unwrap();
        let up = tmp.path().join("plan/..");
        assert_eq!(folder_name(&up), folder_name(tmp.path()));
    }
}
