//! Path safety: every relative path that comes from a manifest, a template, a
//! parameter declaration or an argument must stay inside the folder it is relative
//! to. Checked lexically first (no absolute paths, no `..`), then, for paths that
//! exist, by resolving links.

use crate::error::PathError;
use std::path::{Component, Path, PathBuf};

/// Check a relative path lexically and return it normalized (`./a//b` → `a/b`).
/// An empty path or `.` is allowed only when `allow_root` is true (it means the
/// folder itself, as for a manifest `files` entry without `target`).
pub fn check_relative(value: &str, allow_root: bool) -> Result<PathBuf, PathError> {
    let path = Path::new(value);
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => normalized.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err(PathError::ParentDir(value.to_string())),
            Component::RootDir | Component::Prefix(_) => {
                return Err(PathError::Absolute(value.to_string()))
            }
        }
    }
    // A Windows-style drive or backslash path is just as absolute for our purposes.
    if value.starts_with('\\') || value.get(1..3) == Some(":\\") || value.get(1..3) == Some(":/") {
        return Err(PathError::Absolute(value.to_string()));
    }
    if value.split(['/', '\\']).any(|part| part == "..") {
        return Err(PathError::ParentDir(value.to_string()));
    }
    if normalized.as_os_str().is_empty() && !allow_root {
        return Err(PathError::Empty(value.to_string()));
    }
    Ok(normalized)
}

/// Join a relative path onto `base` after checking it, and make sure that whatever
/// already exists along the joined path does not lead outside `base` through links.
pub fn join_inside(base: &Path, value: &str, allow_root: bool) -> Result<PathBuf, PathError> {
    let relative = check_relative(value, allow_root)?;
    let joined = base.join(&relative);
    ensure_no_escape(base, &joined, value)?;
    Ok(joined)
}

/// Walk the existing prefix of `path` and check that its real location is inside the
/// real location of `base`.
fn ensure_no_escape(base: &Path, path: &Path, value: &str) -> Result<(), PathError> {
    let Ok(real_base) = base.canonicalize() else {
        // A base that does not exist yet cannot contain links.
        return Ok(());
    };
    let mut existing = path.to_path_buf();
    loop {
        if existing.symlink_metadata().is_ok() {
            break;
        }
        if !existing.pop() {
            return Ok(());
        }
    }
    match existing.canonicalize() {
        Ok(real) if real.starts_with(&real_base) => Ok(()),
        // A dangling link: where it points is not inside anything we can check.
        _ => Err(PathError::EscapingLink(value.to_string())),
    }
}

/// Identifier rule of flowServ (`validate_identifier`): 1 to 32 letters, digits or
/// underscores.
pub fn is_valid_identifier(value: &str) -> bool {
    !value.is_empty()
        && value.chars().count() <= 32
        && value.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Name rule of flowServ (`unique_name`): not empty and at most 512 characters.
pub fn check_name(value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err("name must not be empty".to_string());
    }
    if value.chars().count() > 512 {
        return Err(format!(
            "name is {} characters long; at most 512 are allowed",
            value.chars().count()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_normalized() {
        assert_eq!(
            check_relative("./a//b", false).unwrap(),
            PathBuf::from("a/b")
        );
        assert_eq!(check_relative("", true).unwrap(), PathBuf::new());
        assert_eq!(check_relative(".", true).unwrap(), PathBuf::new());
    }

    #[test]
    fn unsafe_paths_are_rejected_with_their_value() {
        assert_eq!(
            check_relative("../x", false),
            Err(PathError::ParentDir("../x".into()))
        );
        assert_eq!(
            check_relative("a/../../x", false),
            Err(PathError::ParentDir("a/../../x".into()))
        );
        assert_eq!(
            check_relative("a/..", false),
            Err(PathError::ParentDir("a/..".into()))
        );
        assert_eq!(
            check_relative("/etc/passwd", false),
            Err(PathError::Absolute("/etc/passwd".into()))
        );
        assert_eq!(
            check_relative("C:\\x", false),
            Err(PathError::Absolute("C:\\x".into()))
        );
        assert_eq!(check_relative("", false), Err(PathError::Empty("".into())));
        assert_eq!(
            check_relative("./", false),
            Err(PathError::Empty("./".into()))
        );
        let message = check_relative("../x", false).unwrap_err().to_string();
        assert!(message.contains("'../x'"), "{message}");
    }

    #[test]
    fn links_that_escape_are_rejected() {
        let outside = tempfile::tempdir().unwrap();
        let base = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), base.path().join("out")).unwrap();
        std::fs::create_dir(base.path().join("in")).unwrap();
        std::os::unix::fs::symlink(base.path().join("in"), base.path().join("alias")).unwrap();
        assert_eq!(
            join_inside(base.path(), "out/file.txt", false),
            Err(PathError::EscapingLink("out/file.txt".into()))
        );
        assert!(join_inside(base.path(), "alias/file.txt", false).is_ok());
        assert!(join_inside(base.path(), "new/dir/file.txt", false).is_ok());
        std::os::unix::fs::symlink("/nonexistent/target", base.path().join("dangling")).unwrap();
        assert!(join_inside(base.path(), "dangling", false).is_err());
    }

    #[test]
    fn identifiers_and_names() {
        assert!(is_valid_identifier("abc_123"));
        assert!(!is_valid_identifier(""));
        assert!(!is_valid_identifier("a-b"));
        assert!(!is_valid_identifier(&"a".repeat(33)));
        assert!(is_valid_identifier(&"a".repeat(32)));
        assert!(check_name("Hello").is_ok());
        assert!(check_name("  ").is_err());
        assert!(check_name(&"n".repeat(513)).is_err());
        assert!(check_name(&"n".repeat(512)).is_ok());
    }
}
