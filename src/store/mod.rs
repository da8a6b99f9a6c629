//! The one SQLite file that holds installed benchmarks, submissions, uploads, runs
//! and their results, and the only module that writes SQL.
//!
//! The GUI and the CLI are separate processes that may open the same file at once,
//! and a run's worker threads finish runs in parallel. So the file is in WAL mode
//! (readers never block the writer), every connection waits up to five seconds for
//! a lock instead of failing, and every read-modify-write runs in an IMMEDIATE
//! transaction (a deferred one that later wants to write fails at once with
//! `SQLITE_BUSY_SNAPSHOT`, which the busy timeout cannot help with). Inside one
//! process all writes go through one connection behind a mutex, and reads through a
//! second, read-only one, so a long leaderboard query never delays a run that is
//! finishing.

pub mod backup;
pub mod cache;
mod leaderboard;
mod migrations;
mod postproc;
mod repro;
mod results;
mod rows;
mod runs;
mod submissions;
mod workflows;

pub use leaderboard::{BoardOptions, Leaderboard, LeaderboardEntry, RunSetEntry};
pub use postproc::PostprocRecord;
pub use repro::{NewRunSet, Outcome, ReproductionRecord, RunMarks, RunOrigin, TemplateFile};
pub use runs::{ImportedRun, NewRun, RunFile, RunFilter, RunProgress, RunRecord, RunState};
pub use submissions::{NewSubmission, SubmissionRecord, UploadRecord};
pub use workflows::{NewWorkflow, WorkflowRecord};

use crate::error::StoreError;
use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use rusqlite::{Connection, ErrorCode, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long a connection waits for another process's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Handle on the database; cheap to share through an `Arc`.
pub struct Store {
    /// `None` for an in-memory database, where a second connection would see a
    /// different, empty database; reads then share the writer. Declared before
    /// `writer` so that it closes first and the writer, closing last, checkpoints
    /// the WAL back into the main file.
    reader: Option<Mutex<Connection>>,
    writer: Mutex<Connection>,
    path: Option<PathBuf>,
    /// Writes since open or the last backup (see `backup`).
    changes: AtomicU64,
}

impl Store {
    /// Open (creating if needed) the database file and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_error = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut writer = Connection::open(path).map_err(open_error)?;
        configure(&writer, true).map_err(open_error)?;
        migrations::migrate(&mut writer, path)?;
        // Opened read-write but made `query_only`: a truly read-only connection to a
        // WAL file cannot recover the WAL index if it finds it stale.
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_error)?;
        configure(&reader, false).map_err(open_error)?;
        // SQLite creates the file with the process's umask; a lab machine is
        // shared, and the database holds everything: owner only.
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            make_private(Path::new(&file));
        }
        Ok(Store {
            writer: Mutex::new(writer),
            reader: Some(Mutex::new(reader)),
            path: Some(path.to_path_buf()),
            changes: AtomicU64::new(0),
        })
    }

    /// A private database that lives as long as this handle (tests, previews).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let path = Path::new(":memory:");
        let open_error = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut writer = Connection::open_in_memory().map_err(open_error)?;
        configure(&writer, true).map_err(open_error)?;
        migrations::migrate(&mut writer, path)?;
        Ok(Store {
            writer: Mutex::new(writer),
            reader: None,
            path: None,
            changes: AtomicU64::new(0),
        })
    }

    /// The database file, `None` when in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// `PRAGMA integrity_check` (b-trees, indexes) plus `foreign_key_check`: true
    /// when the file is sound and no row points to a record that is gone.
    pub fn integrity_check(&self) -> Result<bool, StoreError> {
        let conn = self.read();
        let verdict: String = conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
        let mut statement = conn.prepare("PRAGMA foreign_key_check")?;
        let dangling = statement.query([])?.next()?.is_some();
        Ok(verdict == "ok" && !dangling)
    }

    /// The connection for writes. A panic in another thread while it held the lock
    /// cannot have left a half-done change behind (an open transaction is rolled
    /// back when dropped), so a poisoned lock is still safe to use.
    fn write(&self) -> MutexGuard<'_, Connection> {
        self.changes.fetch_add(1, Ordering::Relaxed);
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A number that changes whenever a commit reaches the database file —
    /// from this process or any other (SQLite's `PRAGMA data_version` on the
    /// reading connection). Cheap: no table is read.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        let conn = self.read();
        Ok(conn.query_row("PRAGMA data_version", [], |row| row.get(0))?)
    }

    fn read(&self) -> MutexGuard<'_, Connection> {
        match &self.reader {
            Some(reader) => reader.lock().unwrap_or_else(PoisonError::into_inner),
            None => self.write(),
        }
    }
}

/// Owner-only permissions for a file that exists (quietly nothing otherwise).
fn make_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
    }
}

/// Connection settings that are not stored in the file and so must be set on every
/// connection.
fn configure(conn: &Connection, writer: bool) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(64);
    if writer {
        use_wal(conn)?;
        // With WAL, NORMAL loses at most the last commits on power loss, never
        // consistency, and saves an fsync per commit.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
    } else {
        conn.pragma_update(None, "query_only", "ON")?;
    }
    Ok(())
}

/// Switch the file to WAL (stored in the file, so a no-op once done). Switching
/// needs the file to itself, and SQLite reports a busy file at once rather than
/// through the busy handler, so when two processes open a new file together the
/// later one waits here.
fn use_wal(conn: &Connection) -> rusqlite::Result<()> {
    let deadline = Instant::now() + BUSY_TIMEOUT;
    loop {
        // Returns the mode now in effect: "wal", or "memory" for an in-memory file.
        match conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
        {
            Err(rusqlite::Error::SqliteFailure(failure, _))
                if failure.code == ErrorCode::DatabaseBusy && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            result => return result.map(|_| ()),
        }
    }
}

/// Timestamps are stored the way flowServ writes them: UTC, ISO 8601, six digits
/// of fraction (`2026-11-26T19:30:00.123456`). That text sorts chronologically, so
/// SQL can compare it directly.
pub(crate) mod time {
    use super::*;

    /// Now, cut to the microseconds that survive a round trip through the file.
    pub fn now() -> DateTime<Utc> {
        round(&Utc::now())
    }

    pub fn round(time: &DateTime<Utc>) -> DateTime<Utc> {
        time.trunc_subsecs(6)
    }

    pub fn format(time: &DateTime<Utc>) -> String {
        time.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
    }

    pub fn parse(text: &str) -> Result<DateTime<Utc>, StoreError> {
        text.parse::<NaiveDateTime>()
            .map(|naive| naive.and_utc())
            .map_err(|e| StoreError::Corrupt(format!("timestamp '{text}': {e}")))
    }

    pub fn parse_opt(text: Option<String>) -> Result<Option<DateTime<Utc>>, StoreError> {
        text.as_deref().map(parse).transpose()
    }
}

/// JSON text columns: written from values, read back with an error naming the row.
fn parse_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Whether an error is a UNIQUE or PRIMARY KEY violation; `constraint` is a
/// column named in SQLite's message (`UNIQUE constraint failed: runs.id`).
fn is_unique_violation(error: &rusqlite::Error, constraint: &str) -> bool {
    match error {
        rusqlite::Error::SqliteFailure(failure, Some(message)) => {
            failure.code == ErrorCode::ConstraintViolation
                && (failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
                && message.contains(constraint)
        }
        _ => false,
    }
}

fn to_i64(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Invalid {
        what: what.to_string(),
        message: format!("{value} is too large to store"),
    })
}

fn to_u64(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what}: negative value {value}")))
}

#[cfg(test)]
pub(crate) mod fixture {
    //! A store in a real file with one benchmark (float `score`, int `steps`,
    //! string `note`, ranked by score descending) and named submissions.
    use super::*;
    use crate::template::ResultSchema;
    use serde_json::json;

    pub const WORKFLOW: &str = "wf1";

    pub fn schema() -> ResultSchema {
        ResultSchema::from_value(&json!({
            "file": "results/analytics.json",
            "schema": [
                {"name": "score", "label": "Score", "type": "float"},
                {"name": "steps", "label": "Steps", "type": "int", "required": false},
                {"name": "note", "label": "Note", "type": "string", "required": false}
            ],
            "orderBy": [{"name": "score", "sortDesc": true}]
        }))
        .unwrap()
    }

    pub fn workflow(id: &str, name: &str) -> NewWorkflow {
        NewWorkflow {
            id: id.into(),
            name: name.into(),
            description: Some("A test benchmark".into()),
            instructions: Some("Run it.".into()),
            source: Some("sample-templates/helloworld".into()),
            template: json!({"workflow": {"files": {}}}),
            result_schema: Some(schema()),
            postproc: None,
        }
    }

    pub fn submission(id: &str, name: &str) -> NewSubmission {
        NewSubmission {
            id: id.into(),
            workflow_id: WORKFLOW.into(),
            name: name.into(),
            parameters: json!([]),
            engine_config: None,
        }
    }

    /// A file-backed store (the directory must outlive it) with the benchmark and
    /// the given submissions (id = name).
    pub fn store(submissions: &[&str]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("flowdesk.db")).unwrap();
        store
            .insert_workflow(&workflow(WORKFLOW, "Hello World"))
            .unwrap();
        for name in submissions {
            store.insert_submission(&submission(name, name)).unwrap();
        }
        (dir, store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn store_is_send_and_sync() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Store>();
        shareable::<Arc<Store>>();
    }

    #[test]
    fn fresh_file_is_migrated_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flowdesk.db");
        {
            let store = Store::open(&path).unwrap();
            store
                .insert_workflow(&fixture::workflow("w", "Kept"))
                .unwrap();
            let conn = store.read();
            let version: i64 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(version, migrations::MIGRATIONS.len() as i64);
            let mode: String = conn
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap();
            assert_eq!(mode, "wal");
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.workflows().unwrap()[0].name, "Kept");
        assert!(store.integrity_check().unwrap());
        let conn = store.write();
        let foreign_keys: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(foreign_keys, 1);
    }

    #[test]
    fn two_processes_may_create_the_file_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flowdesk.db");
        let openers: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || Store::open(&path).map(|_| ()))
            })
            .collect();
        for opener in openers {
            opener.join().unwrap().unwrap();
        }
        assert!(Store::open(&path).unwrap().integrity_check().unwrap());
    }

    #[test]
    fn in_memory_store_works_on_one_connection() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.path(), None);
        store
            .insert_workflow(&fixture::workflow(fixture::WORKFLOW, "Memory"))
            .unwrap();
        store
            .insert_submission(&fixture::submission("alpha", "alpha"))
            .unwrap();
        store
            .insert_run(&NewRun {
                id: "r".into(),
                workflow_id: fixture::WORKFLOW.into(),
                submission_id: Some("alpha".into()),
                arguments: serde_json::json!({}),
            })
            .unwrap();
        store.start_run("r").unwrap();
        let score = crate::template::ResultValue::Float(3.0);
        store
            .finish_success("r", &[], &[("score".into(), Some(score))])
            .unwrap();
        let board = store
            .leaderboard(fixture::WORKFLOW, &fixture::schema(), &[], false)
            .unwrap();
        assert_eq!(board.run_id(0).as_deref(), Some("r"));
        assert!(store.integrity_check().unwrap());
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flowdesk.db");
        drop(Store::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Store::open(&path).err().unwrap();
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
        assert!(err.to_string().contains("schema version 99"), "{err}");
    }

    #[test]
    fn deleting_a_benchmark_removes_everything_it_owns() {
        let (_dir, store) = fixture::store(&["alpha", "beta"]);
        store
            .insert_workflow(&fixture::workflow("other", "Other"))
            .unwrap();
        store
            .insert_submission(&NewSubmission {
                workflow_id: "other".into(),
                ..fixture::submission("kept", "kept")
            })
            .unwrap();
        store
            .insert_upload(&UploadRecord {
                id: "u1".into(),
                submission_id: "alpha".into(),
                name: "a.txt".into(),
                size: 1,
                sha256: String::new(),
                path: "a.txt".into(),
                created_at: time::now(),
            })
            .unwrap();
        for (id, workflow, submission) in [
            ("r1", fixture::WORKFLOW, Some("alpha")),
            ("r2", fixture::WORKFLOW, Some("beta")),
            ("pp", fixture::WORKFLOW, None),
            ("k1", "other", Some("kept")),
        ] {
            store
                .insert_run(&NewRun {
                    id: id.into(),
                    workflow_id: workflow.into(),
                    submission_id: submission.map(str::to_string),
                    arguments: serde_json::json!({}),
                })
                .unwrap();
            store.start_run(id).unwrap();
            let results = match submission {
                Some(_) => vec![(
                    "score".to_string(),
                    Some(crate::template::ResultValue::Float(1.0)),
                )],
                None => Vec::new(),
            };
            let file = RunFile {
                key: "out".into(),
                path: "out".into(),
                size: 1,
                sha256: String::new(),
            };
            store.finish_success(id, &[file], &results).unwrap();
        }
        store.set_postproc(fixture::WORKFLOW, "pp", "[]").unwrap();

        // A submission takes its runs (and their results) and uploads along.
        store.delete_submission("beta").unwrap();
        assert!(store.run("r2").unwrap().is_none());
        let schema = fixture::schema();
        let board = store
            .leaderboard(fixture::WORKFLOW, &schema, &[], true)
            .unwrap();
        assert_eq!(board.run_ids().collect::<Vec<_>>(), ["r1"]);

        store.delete_workflow(fixture::WORKFLOW).unwrap();
        assert!(store.submission("alpha").unwrap().is_none());
        assert!(store.upload("u1").unwrap().is_none());
        for id in ["r1", "pp"] {
            assert!(store.run(id).unwrap().is_none());
            assert!(store.run_files(id).unwrap().is_empty());
        }
        assert!(store.postproc_state(fixture::WORKFLOW).unwrap().is_none());
        let conn = store.read();
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name LIKE 'results_%'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(tables, 1, "only the other benchmark's result table is left");
        drop(conn);
        // The other benchmark is untouched.
        assert_eq!(store.run_results("k1").unwrap().len(), 3);
        assert_eq!(store.run_files("k1").unwrap().len(), 1);
        assert!(store.integrity_check().unwrap());
    }

    #[test]
    fn timestamps_round_trip_in_flowserv_format() {
        let now = time::now();
        let text = time::format(&now);
        assert_eq!(text.len(), "2026-11-26T19:30:00.123456".len());
        assert_eq!(time::parse(&text).unwrap(), now);
        assert_eq!(
            time::parse("2026-11-26T19:30:00.123456")
                .unwrap()
                .timestamp_subsec_micros(),
            123456
        );
        assert!(time::parse("yesterday").is_err());
    }
}
