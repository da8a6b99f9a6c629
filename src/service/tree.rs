//! Walking a template's files to install (or check) them: one linear pass that
//! refuses what must not be installed before it is copied, with limits on what a
//! template may hold.
//!
//! Refused, with the path shown (non-UTF-8 bytes escaped):
//! - anything but files, folders and links to them: a FIFO would block the
//!   install forever, a device would copy whatever it yields;
//! - names that are not UTF-8 (every run of the template would fail on them);
//! - links that lead outside the template folder, and folder links that lead
//!   back into a folder they are in (a loop);
//! - a top-level `.flowdesk` (the run folder's metadata folder, see `runs`);
//! - more bytes, files and folders, or deeper nesting than the limits allow.
//!
//! Each folder is read once and each path resolved at most once, so the walk is
//! linear in the size of the tree, however deep.

use super::io_error;
use super::run_folder::META_DIR;
use crate::config::Limits;
use crate::error::ServiceError;
use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};

/// Folders never copied from a template (version control, caches).
pub(crate) const SKIPPED: [&str; 4] = [".git", "__pycache__", ".hg", ".svn"];

/// What a template may hold, and how much of it has been seen so far. One
/// budget spans every part of a template that is copied.
#[derive(Debug, Clone)]
pub struct Budget {
    pub max_bytes: Option<u64>,
    pub max_entries: Option<u64>,
    pub max_depth: Option<u64>,
    pub bytes: u64,
    pub entries: u64,
}

impl Budget {
    /// The install limits of the configuration.
    pub fn install(limits: &Limits) -> Budget {
        Budget {
            max_bytes: limits.install_bytes,
            max_entries: limits.install_entries,
            max_depth: limits.install_depth,
            bytes: 0,
            entries: 0,
        }
    }

    /// No limits (copies of what was checked at install).
    pub fn unlimited() -> Budget {
        Budget {
            max_bytes: None,
            max_entries: None,
            max_depth: None,
            bytes: 0,
            entries: 0,
        }
    }

    /// Count one entry at `depth` (1 for the top level) named `shown`.
    pub(crate) fn entry(&mut self, shown: &str, depth: u64) -> Result<(), ServiceError> {
        self.entries += 1;
        if let Some(max) = self.max_entries {
            if self.entries > max {
                return Err(ServiceError::TemplateTooLarge(format!(
                    "the template holds more than {max} files and folders \
                     (`install_entry_limit` in settings.json or FLOWDESK_INSTALL_ENTRY_LIMIT)"
                )));
            }
        }
        if let Some(max) = self.max_depth {
            if depth > max {
                return Err(ServiceError::TemplateTooLarge(format!(
                    "`{shown}` is nested {depth} folders deep, more than {max} \
                     (`install_depth_limit` in settings.json or FLOWDESK_INSTALL_DEPTH_LIMIT)"
                )));
            }
        }
        Ok(())
    }

    /// Count `size` more bytes, of the file `shown`.
    pub(crate) fn bytes(&mut self, shown: &str, size: u64) -> Result<(), ServiceError> {
        self.bytes = self.bytes.saturating_add(size);
        match self.max_bytes {
            Some(max) if self.bytes > max => Err(ServiceError::TemplateTooLarge(format!(
                "the template's files add up to more than {} MB (reached at `{shown}`; \
                 `install_limit_mb` in settings.json or FLOWDESK_INSTALL_LIMIT_MB)",
                max / (1024 * 1024)
            ))),
            _ => Ok(()),
        }
    }

    /// What is left of the byte budget, for reading an archive entry.
    pub(crate) fn bytes_left(&self) -> Option<u64> {
        self.max_bytes.map(|max| max.saturating_sub(self.bytes))
    }
}

pub use crate::display::shown;

/// Refuse a name that is not UTF-8; `path` is where it is, for the message.
pub(crate) fn utf8_name<'a>(
    name: &'a std::ffi::OsStr,
    path: &Path,
) -> Result<&'a str, ServiceError> {
    name.to_str().ok_or_else(|| {
        ServiceError::UnsafePath(format!(
            "`{}`: the name is not valid UTF-8; rename it (templates must have UTF-8 file names)",
            shown(path)
        ))
    })
}

/// What kind of thing a path is, in words, for a refusal.
pub(crate) fn special_kind(file_type: &fs::FileType) -> Option<&'static str> {
    if file_type.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if file_type.is_socket() {
        Some("a socket")
    } else if file_type.is_char_device() {
        Some("a character device")
    } else if file_type.is_block_device() {
        Some("a block device")
    } else {
        None
    }
}

fn refuse_special(shown_path: &str, kind: &str) -> ServiceError {
    ServiceError::UnsafePath(format!(
        "`{shown_path}` is {kind}; a template may hold only files, folders and links to them"
    ))
}

/// Walks one part of a template.
struct Walk<'a> {
    real_root: PathBuf,
    /// Folders being walked, by device and inode, to catch link loops.
    open: HashSet<(u64, u64)>,
    budget: &'a mut Budget,
    /// The relative target of the part, for the `.flowdesk` check.
    reserved_check: bool,
}

/// Copy (or, without `target`, only check) `source` — a file or a folder inside
/// `root` — to `target`. For a part of a template, `target_rel` is where it
/// lands relative to the template's top (an empty path for the top itself): the
/// run folder's `.flowdesk` may not be among what lands there; `None` for other
/// copies. Returns the bytes copied.
pub fn walk(
    root: &Path,
    source: &Path,
    target: Option<&Path>,
    target_rel: Option<&Path>,
    budget: &mut Budget,
) -> Result<u64, ServiceError> {
    let real_root = root.canonicalize().map_err(|e| io_error(root, e))?;
    let real = source.canonicalize().map_err(|e| io_error(source, e))?;
    if !real.starts_with(&real_root) {
        return Err(ServiceError::UnsafePath(format!(
            "`{}` leads outside the template folder through a link",
            shown(source)
        )));
    }
    let top = target_rel.is_some_and(|rel| rel.components().next().is_none());
    if target_rel
        .and_then(|rel| rel.components().next())
        .is_some_and(|c| c.as_os_str() == META_DIR)
    {
        return Err(reserved(source));
    }
    let mut walk = Walk {
        real_root,
        open: HashSet::new(),
        budget,
        reserved_check: top,
    };
    let meta = fs::metadata(&real).map_err(|e| io_error(source, e))?;
    let depth = target_rel.map_or(0, |rel| rel.components().count() as u64);
    if meta.is_dir() {
        if let Some(target) = target {
            fs::create_dir_all(target).map_err(|e| io_error(target, e))?;
        }
        walk.folder(&real, source, target.map(Path::to_path_buf), depth, &meta)
    } else if meta.is_file() {
        walk.file(&real, source, target.map(Path::to_path_buf), meta.len())
    } else {
        Err(refuse_special(
            &shown(source),
            special_kind(&meta.file_type()).unwrap_or("not a file"),
        ))
    }
}

fn reserved(path: &Path) -> ServiceError {
    ServiceError::UnsafePath(format!(
        "`{}`: `{META_DIR}` at the top of a template is reserved for flowdesk's own files in the run folder",
        shown(path)
    ))
}

impl Walk<'_> {
    /// `real` is the folder's resolved path, `shown_path` how it is named.
    fn folder(
        &mut self,
        real: &Path,
        shown_path: &Path,
        target: Option<PathBuf>,
        depth: u64,
        meta: &fs::Metadata,
    ) -> Result<u64, ServiceError> {
        let key = (meta.dev(), meta.ino());
        if !self.open.insert(key) {
            return Err(ServiceError::UnsafePath(format!(
                "`{}` is a link to a folder it is in (a loop)",
                shown(shown_path)
            )));
        }
        let top = self.reserved_check && depth == 0;
        let mut total = 0;
        let entries = fs::read_dir(real).map_err(|e| io_error(shown_path, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error(shown_path, e))?;
            let name = entry.file_name();
            let path = shown_path.join(&name);
            let name_text = utf8_name(&name, &path)?;
            if SKIPPED.contains(&name_text) {
                continue;
            }
            if top && name_text == META_DIR {
                return Err(reserved(&path));
            }
            self.budget.entry(&shown(&path), depth + 1)?;
            let file_type = entry.file_type().map_err(|e| io_error(&path, e))?;
            let child_target = target.as_ref().map(|t| t.join(&name));
            let child_real = real.join(&name);
            if file_type.is_dir() {
                if let Some(t) = &child_target {
                    fs::create_dir(t)
                        .or_else(|e| match e.kind() {
                            std::io::ErrorKind::AlreadyExists if t.is_dir() => Ok(()),
                            _ => Err(e),
                        })
                        .map_err(|e| io_error(t, e))?;
                }
                let meta = entry.metadata().map_err(|e| io_error(&path, e))?;
                total += self.folder(&child_real, &path, child_target, depth + 1, &meta)?;
            } else if file_type.is_file() {
                let size = entry.metadata().map_err(|e| io_error(&path, e))?.len();
                total += self.file(&child_real, &path, child_target, size)?;
            } else if file_type.is_symlink() {
                total += self.link(&child_real, &path, child_target, depth + 1)?;
            } else {
                return Err(refuse_special(
                    &shown(&path),
                    special_kind(&file_type).unwrap_or("not a file"),
                ));
            }
        }
        self.open.remove(&key);
        Ok(total)
    }

    fn file(
        &mut self,
        real: &Path,
        shown_path: &Path,
        target: Option<PathBuf>,
        size: u64,
    ) -> Result<u64, ServiceError> {
        self.budget.bytes(&shown(shown_path), size)?;
        match target {
            Some(target) => {
                if let Some(parent) = target.parent() {
                    if !parent.is_dir() {
                        fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
                    }
                }
                fs::copy(real, &target).map_err(|e| io_error(&target, e))
            }
            None => Ok(size),
        }
    }

    /// A link: followed when it stays inside the template folder.
    fn link(
        &mut self,
        link: &Path,
        shown_path: &Path,
        target: Option<PathBuf>,
        depth: u64,
    ) -> Result<u64, ServiceError> {
        let escapes = || {
            ServiceError::UnsafePath(format!(
                "`{}` leads outside the template folder through a link",
                shown(shown_path)
            ))
        };
        let real = link.canonicalize().map_err(|_| escapes())?;
        if !real.starts_with(&self.real_root) {
            return Err(escapes());
        }
        let meta = fs::metadata(&real).map_err(|e| io_error(shown_path, e))?;
        if meta.is_dir() {
            if let Some(t) = &target {
                fs::create_dir_all(t).map_err(|e| io_error(t, e))?;
            }
            self.folder(&real, shown_path, target, depth, &meta)
        } else if meta.is_file() {
            self.file(&real, shown_path, target, meta.len())
        } else {
            Err(refuse_special(
                &shown(shown_path),
                special_kind(&meta.file_type()).unwrap_or("not a file"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt as _;

    fn budget() -> Budget {
        Budget::install(&Limits::default())
    }

    #[test]
    fn fifos_and_non_utf8_names_are_refused_before_anything_is_copied() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "a").unwrap();
        let fifo = dir.path().join("pipe");
        let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let message = walk(
            dir.path(),
            dir.path(),
            None,
            Some(Path::new("")),
            &mut budget(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            message.contains("pipe") && message.contains("FIFO"),
            "{message}"
        );
        std::fs::remove_file(&fifo).unwrap();

        let odd = dir.path().join(std::ffi::OsStr::from_bytes(b"b\xffd.txt"));
        std::fs::write(&odd, "x").unwrap();
        let message = walk(
            dir.path(),
            dir.path(),
            None,
            Some(Path::new("")),
            &mut budget(),
        )
        .unwrap_err()
        .to_string();
        assert!(message.contains("b\\xffd.txt"), "{message}");
    }

    #[test]
    fn limits_on_depth_entries_and_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut deep = dir.path().to_path_buf();
        for _ in 0..5 {
            deep = deep.join("d");
        }
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("f"), vec![0u8; 100]).unwrap();
        let mut tight = budget();
        tight.max_depth = Some(4);
        let message = walk(
            dir.path(),
            dir.path(),
            None,
            Some(Path::new("")),
            &mut tight,
        )
        .unwrap_err()
        .to_string();
        assert!(message.contains("nested 5 folders deep"), "{message}");
        let mut tight = budget();
        tight.max_entries = Some(3);
        assert!(walk(
            dir.path(),
            dir.path(),
            None,
            Some(Path::new("")),
            &mut tight
        )
        .is_err());
        let mut tight = budget();
        tight.max_bytes = Some(99);
        assert!(walk(
            dir.path(),
            dir.path(),
            None,
            Some(Path::new("")),
            &mut tight
        )
        .is_err());
        let target = tempfile::tempdir().unwrap();
        let copied = walk(
            dir.path(),
            dir.path(),
            Some(target.path()),
            Some(Path::new("")),
            &mut budget(),
        )
        .unwrap();
        assert_eq!(copied, 100);
        assert!(target.path().join("d/d/d/d/d/f").is_file());
    }

    #[test]
    fn links_inside_are_followed_loops_and_escapes_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join("data/x"), "x").unwrap();
        std::os::unix::fs::symlink("data", dir.path().join("alias")).unwrap();
        let target = tempfile::tempdir().unwrap();
        walk(
            dir.path(),
            dir.path(),
            Some(target.path()),
            Some(Path::new("")),
            &mut budget(),
        )
        .unwrap();
        assert!(target.path().join("alias/x").is_file());

        std::os::unix::fs::symlink("..", dir.path().join("data/up")).unwrap();
        let message = walk(
            dir.path(),
            dir.path(),
            None,
            Some(Path::new("")),
            &mut budget(),
        )
        .unwrap_err()
        .to_string();
        assert!(message.contains("loop"), "{message}");
        std::fs::remove_file(dir.path().join("data/up")).unwrap();

        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
        let message = walk(
            dir.path(),
            dir.path(),
            None,
            Some(Path::new("")),
            &mut budget(),
        )
        .unwrap_err()
        .to_string();
        assert!(message.contains("outside the template folder"), "{message}");
    }

    #[test]
    fn a_top_level_flowdesk_folder_is_reserved() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(META_DIR)).unwrap();
        std::fs::write(dir.path().join(META_DIR).join("log.txt"), "fake").unwrap();
        let message = walk(
            dir.path(),
            dir.path(),
            None,
            Some(Path::new("")),
            &mut budget(),
        )
        .unwrap_err()
        .to_string();
        assert!(message.contains("reserved"), "{message}");
        // Deeper down it is an ordinary name.
        let nested = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(nested.path().join("code").join(META_DIR)).unwrap();
        assert!(walk(
            nested.path(),
            nested.path(),
            None,
            Some(Path::new("")),
            &mut budget()
        )
        .is_ok());
        // A part copied to `.flowdesk/...` is refused too.
        assert!(walk(
            nested.path(),
            &nested.path().join("code"),
            None,
            Some(Path::new(".flowdesk/x")),
            &mut budget()
        )
        .is_err());
    }
}
