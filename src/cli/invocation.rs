//! How to call this program again from where the user is: the lines `report` prints for the
//! next step (`report build ...`, `report collect ... -- report run ...`) must work when pasted.

use std::path::{Path, PathBuf};

/// The prefix that runs this program: `cargo run --release --` under cargo, the bare name when
/// the name on `PATH` is this very executable, else the executable's absolute path.
pub fn self_command() -> String {
    let exe = std::env::current_exe().ok();
    let on_path = exe
        .as_deref()
        .and_then(Path::file_name)
        .and_then(|name| find_on_path(Path::new(name)));
    command_for(
        exe.as_deref(),
        std::env::var_os("CARGO").is_some(),
        on_path.as_deref(),
    )
}

/// The rule of [`self_command`] on its inputs: the running executable, whether cargo started it
/// (cargo sets `CARGO` for `cargo run`), and what its file name resolves to on `PATH`.
pub fn command_for(exe: Option<&Path>, under_cargo: bool, on_path: Option<&Path>) -> String {
    let Some(exe) = exe else {
        return "report".into();
    };
    let in_profile = |profile: &str| {
        exe.parent()
            .and_then(Path::file_name)
            .is_some_and(|p| p == profile)
    };
    if under_cargo && in_profile("release") {
        return "cargo run --release --".into();
    }
    if under_cargo && in_profile("debug") {
        return "cargo run --".into();
    }
    let same_file = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b))
    {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    match (exe.file_name(), on_path) {
        (Some(name), Some(found)) if same_file(found, exe) => name.to_string_lossy().into_owned(),
        _ => shell_word(&exe.to_string_lossy()),
    }
}

fn find_on_path(name: &Path) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// A word the shell reads back as is: quoted when it holds anything but safe characters.
pub fn shell_word(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+=:@%,".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_command_runs_from_where_the_user_is() {
        let release = Path::new("/home/u/report/target/release/report");
        assert_eq!(
            command_for(Some(release), true, None),
            "cargo run --release --"
        );
        assert_eq!(
            command_for(Some(Path::new("/w/target/debug/report")), true, None),
            "cargo run --"
        );
        // Not installed: the absolute path, quoted when it must be.
        assert_eq!(
            command_for(Some(release), false, None),
            release.to_str().unwrap()
        );
        assert_eq!(
            command_for(Some(Path::new("/my tools/report")), false, None),
            "'/my tools/report'"
        );
        // Installed: the name on PATH is this executable.
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("report");
        std::fs::write(&exe, "").unwrap();
        assert_eq!(command_for(Some(&exe), false, Some(&exe)), "report");
        let other = dir.path().join("other");
        std::fs::write(&other, "").unwrap();
        assert_eq!(
            command_for(Some(&exe), false, Some(&other)),
            exe.to_str().unwrap()
        );
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
