//! The home folder as a whole: creating it private, refusing an empty database
//! in a home that holds benchmarks or runs, the home lock, and the scratch
//! folders an interrupted install leaves.
//!
//! Every process that opens a home folder holds a shared `flock` on
//! `<home>/.lock`; `flowdesk doctor --restore`, which replaces the database,
//! takes it exclusively, so it never pulls the file from under a running GUI.
//! Scratch folders (`<home>/tmp/install-*`, and the try areas
//! `<home>/tmp/workbench-*` of `template try` and the workbench) are locked by
//! the process using them, so start-up removes only those whose process died.

use super::files::io_error;
use super::lock::RunLock;
use crate::config::Config;
use crate::error::ServiceError;
use crate::store::backup::backup_path;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// The home lock file.
pub const LOCK_FILE: &str = ".lock";
/// Scratch folders of installs.
pub const TMP_DIR: &str = "tmp";
/// Where orphaned run folders are moved by `flowdesk doctor --fix`.
pub const LOST_DIR: &str = "lost+found";

/// Create a folder (and its parents) readable by its owner only.
pub(crate) fn create_private_dir(path: &Path) -> Result<(), ServiceError> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|e| io_error(path, e))
}

/// A held home lock; dropping it releases it.
#[derive(Debug)]
pub struct HomeLock {
    _file: File,
}

/// Take the home lock, shared (any number of processes) or exclusive; `None`
/// if that is not possible now.
pub(crate) fn lock_home(home: &Path, exclusive: bool) -> Result<Option<HomeLock>, ServiceError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let path = home.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(|e| io_error(&path, e))?;
    let mode = if exclusive {
        libc::LOCK_EX
    } else {
        libc::LOCK_SH
    };
    // SAFETY: flock on a descriptor we own.
    let rc = unsafe { libc::flock(file.as_raw_fd(), mode | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(Some(HomeLock { _file: file }));
    }
    let error = std::io::Error::last_os_error();
    if error.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(None)
    } else {
        Err(io_error(&path, error))
    }
}

/// How many benchmark and run folders a home folder holds.
pub(crate) fn folder_counts(home: &Path) -> (usize, usize) {
    let count = |dir: &str| {
        std::fs::read_dir(home.join(dir))
            .map(|entries| entries.flatten().filter(|e| e.path().is_dir()).count())
            .unwrap_or(0)
    };
    (count("workflows"), count("runs"))
}

/// Whether the database file is missing or empty (0 bytes): SQLite would take
/// either for a new database.
pub(crate) fn database_is_empty(database: &Path) -> bool {
    match std::fs::metadata(database) {
        Ok(meta) => meta.len() == 0,
        Err(_) => true,
    }
}

/// Refuse a missing or empty database in a home folder that holds benchmarks
/// or runs: opening it would silently show an empty app and orphan every
/// folder. The message says how to recover.
pub(crate) fn check_database(config: &Config) -> Result<(), ServiceError> {
    if !database_is_empty(&config.database) {
        return Ok(());
    }
    let (workflows, runs) = folder_counts(&config.home);
    if workflows == 0 && runs == 0 {
        return Ok(());
    }
    let backup = backup_path(&config.database);
    let backup = std::fs::metadata(&backup)
        .ok()
        .and_then(|meta| meta.modified().ok())
        .map(|modified| {
            let time: chrono::DateTime<chrono::Utc> = modified.into();
            time.format("%Y-%m-%d %H:%M:%S UTC").to_string()
        });
    Err(ServiceError::EmptyDatabase {
        path: config.database.clone(),
        state: if config.database.exists() {
            "empty"
        } else {
            "missing"
        },
        workflows,
        runs,
        backup,
    })
}

/// The install scratch folders in the home folder whose install is gone
/// (their lock is free).
pub(crate) fn stale_scratch(home: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(home.join(TMP_DIR)) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|path| {
            path.file_name().is_some_and(|n| {
                let name = n.to_string_lossy();
                name.starts_with("install-") || name.starts_with("workbench-")
            })
        })
        .filter(|path| match RunLock::try_acquire_existing(path) {
            Ok(Some(_)) => true,
            Ok(None) => false,
            // Not a folder, or unreadable: a leftover all the same.
            Err(_) => true,
        })
        .collect()
}

/// Remove what interrupted installs left; returns how many folders.
pub(crate) fn clean_scratch(home: &Path) -> usize {
    let mut removed = 0;
    for path in stale_scratch(home) {
        let gone = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        if gone.is_ok() {
            removed += 1;
        }
    }
    removed
}
