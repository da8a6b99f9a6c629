//! A rolling backup of the database, with SQLite's online backup API (a
//! consistent copy taken while other processes go on writing), and the checks
//! `flowdesk doctor` makes on a file it must not change.
//!
//! The backup sits next to the database (`flowdesk.db.backup`); it is written
//! to a temporary file and renamed over the old one, so there is always one
//! complete backup. [`Store::changes`] counts the writes since the last backup,
//! for the service to decide when to take the next one.

use super::{migrations, Store};
use crate::error::StoreError;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

/// Where the backup of the database at `database` is.
pub fn backup_path(database: &Path) -> PathBuf {
    let name = database
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "flowdesk.db".into());
    database.with_file_name(format!("{name}.backup"))
}

/// What a look at a database file without changing it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// The schema version (`PRAGMA user_version`).
    pub version: i64,
    /// Problems `PRAGMA integrity_check` and `foreign_key_check` report; empty
    /// when the file is sound.
    pub problems: Vec<String>,
    pub workflows: u64,
    pub runs: u64,
}

fn copy_all(source: &Connection, target: &mut Connection) -> Result<(), StoreError> {
    let backup = Backup::new(source, target)?;
    // One step: the copy is one consistent snapshot of the source.
    match backup.step(-1)? {
        StepResult::Done => Ok(()),
        _ => Err(StoreError::Corrupt(
            "the database was busy for too long to be copied".into(),
        )),
    }
}

/// Make a file readable by its owner only.
fn private(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}

impl Store {
    /// Writes since this handle was opened or last backed up.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Relaxed)
    }

    /// Copy the database to its backup file ([`backup_path`]). Nothing for an
    /// in-memory store.
    pub fn backup(&self) -> Result<(), StoreError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let target = backup_path(path);
        let temporary = target.with_file_name(format!(
            "{}.{}.tmp",
            target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        let seen = self.changes();
        let result = (|| {
            let _ = std::fs::remove_file(&temporary);
            let mut copy = Connection::open(&temporary)?;
            {
                let source = self.read();
                copy_all(&source, &mut copy)?;
            }
            // A backup is read rarely and must be one self-contained file.
            copy.pragma_update(None, "journal_mode", "DELETE")?;
            drop(copy);
            private(&temporary);
            std::fs::rename(&temporary, &target).map_err(|e| {
                StoreError::Corrupt(format!(
                    "cannot save the backup `{}`: {e}",
                    target.display()
                ))
            })
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temporary);
        } else {
            self.changes.fetch_sub(seen, Ordering::Relaxed);
        }
        result
    }
}

/// Look at a database file read-only: schema version, integrity, how many
/// benchmarks and runs it holds.
pub fn inspect(path: &Path) -> Result<Inspection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let mut problems = Vec::new();
    {
        let mut statement = conn.prepare("PRAGMA integrity_check")?;
        let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
        for row in rows {
            let row = row?;
            if row != "ok" {
                problems.push(row);
            }
        }
        let mut statement = conn.prepare("PRAGMA foreign_key_check")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let table: String = row.get(0)?;
            problems.push(format!(
                "a row of `{table}` points to a record that is gone"
            ));
        }
    }
    let count = |table: &str| -> Result<u64, StoreError> {
        let exists: bool = conn.query_row(
            "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            [table],
            |row| row.get(0),
        )?;
        if !exists {
            return Ok(0);
        }
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get(0)
        })?;
        Ok(n.max(0) as u64)
    };
    Ok(Inspection {
        version,
        problems,
        workflows: count("workflows")?,
        runs: count("runs")?,
    })
}

/// The ids of every run in a database file, read-only.
pub fn run_ids(path: &Path) -> Result<Vec<String>, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut statement = conn.prepare("SELECT id FROM runs")?;
    let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
}

/// Replace the database at `database` with the backup at `backup`, after
/// checking that the backup is sound and not newer than this flowdesk. The
/// caller makes sure no other process has the database open.
pub fn restore(backup: &Path, database: &Path) -> Result<Inspection, StoreError> {
    let found = inspect(backup)?;
    if !found.problems.is_empty() {
        return Err(StoreError::Corrupt(format!(
            "the backup `{}` is damaged too: {}",
            backup.display(),
            found.problems.join("; ")
        )));
    }
    if found.version > migrations::MIGRATIONS.len() as i64 {
        return Err(StoreError::TooNew {
            path: backup.to_path_buf(),
            found: found.version,
            supported: migrations::MIGRATIONS.len(),
        });
    }
    // The old file's write-ahead log belongs to the old file.
    for suffix in ["-wal", "-shm"] {
        let mut side = database.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    let temporary = database.with_file_name(format!(
        "{}.restore.tmp",
        database
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    let _ = std::fs::remove_file(&temporary);
    let result = (|| {
        let source = Connection::open_with_flags(backup, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let mut target = Connection::open(&temporary)?;
        copy_all(&source, &mut target)?;
        drop(target);
        private(&temporary);
        std::fs::rename(&temporary, database).map_err(|e| {
            StoreError::Corrupt(format!("cannot replace `{}`: {e}", database.display()))
        })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result.map(|()| found)
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    #[test]
    fn a_backup_restores_what_was_there_and_counts_reset() {
        let (dir, store) = fixture::store(&["alpha", "beta"]);
        assert!(store.changes() > 0);
        store.backup().unwrap();
        assert_eq!(store.changes(), 0);
        let database = dir.path().join("flowdesk.db");
        let backup = backup_path(&database);
        assert!(backup.is_file());
        let found = inspect(&backup).unwrap();
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        assert_eq!(found.workflows, 1);
        drop(store);

        // The file is emptied; the backup brings it back.
        std::fs::write(&database, b"").unwrap();
        let empty = inspect(&database).unwrap();
        assert_eq!((empty.version, empty.workflows), (0, 0));
        restore(&backup, &database).unwrap();
        let store = Store::open(&database).unwrap();
        assert_eq!(store.submissions(fixture::WORKFLOW).unwrap().len(), 2);
        assert!(store.integrity_check().unwrap());
    }

    #[test]
    fn a_damaged_backup_is_not_restored() {
        let dir = tempfile::tempdir().unwrap();
        let backup = dir.path().join("x.backup");
        std::fs::write(&backup, b"this is not a database").unwrap();
        let database = dir.path().join("flowdesk.db");
        assert!(restore(&backup, &database).is_err());
        assert!(!database.exists());
    }
}
