//! Room to record the end of a run on a full disk.
//!
//! A run that fills the disk (its outputs, its log) leaves no room for the
//! database to record that it ended, and why; the run would later show up as
//! "interrupted" with the cause lost. So the home folder keeps a small reserve
//! file: when a write that records an outcome fails for lack of space, the
//! reserve is given up and the write tried again. The reserve is made again by
//! the next process that opens the home folder with space to spare.

use super::Shared;
use crate::error::StoreError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The reserve file in the home folder.
pub const RESERVE_FILE: &str = ".reserve";
/// Enough for the few database pages that end a run, many times over.
const RESERVE_BYTES: usize = 512 * 1024;

fn reserve_path(home: &Path) -> PathBuf {
    home.join(RESERVE_FILE)
}

/// Make the reserve if it is missing; quietly does nothing on a full disk.
pub(crate) fn ensure_reserve(home: &Path) {
    let path = reserve_path(home);
    if std::fs::metadata(&path).is_ok_and(|m| m.len() >= RESERVE_BYTES as u64) {
        return;
    }
    let temporary = home.join(format!("{RESERVE_FILE}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&temporary).and_then(|mut file| {
        // Real bytes, not a sparse file: the point is to hold the blocks.
        let chunk = vec![0u8; 64 * 1024];
        for _ in 0..RESERVE_BYTES / chunk.len() {
            file.write_all(&chunk)?;
        }
        file.sync_all()
    });
    match written {
        Ok(()) => {
            if std::fs::rename(&temporary, &path).is_err() {
                let _ = std::fs::remove_file(&temporary);
            }
        }
        Err(_) => {
            let _ = std::fs::remove_file(&temporary);
        }
    }
}

/// Give up the reserve; true if there was one.
pub(crate) fn release_reserve(home: &Path) -> bool {
    std::fs::remove_file(reserve_path(home)).is_ok()
}

impl Shared {
    /// Run a store write; if it fails for lack of space, give up the reserve and
    /// try once more.
    pub(crate) fn write_with_reserve<T>(
        &self,
        mut write: impl FnMut() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match write() {
            Err(e) if e.is_disk_full() && release_reserve(&self.config.home) => write(),
            other => other,
        }
    }
}
