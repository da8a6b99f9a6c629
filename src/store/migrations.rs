//! The database schema as a list of migration scripts. `PRAGMA user_version` holds
//! how many have been applied, so a file written by an older flowdesk is brought up
//! to date on open, and one written by a newer flowdesk is refused rather than
//! misread. Scripts are append-only: a released script never changes.
//!
//! Per-benchmark result tables are not here: their columns come from each
//! template's result schema, so they are created when a benchmark is installed
//! (see `results.rs`).

use crate::error::StoreError;
use rusqlite::{Connection, TransactionBehavior};
use std::path::Path;

pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
    CREATE TABLE workflows (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        description   TEXT,
        instructions  TEXT,
        source        TEXT,             -- folder, archive or URL it was installed from
        template      TEXT NOT NULL,    -- normalized template document (JSON)
        result_schema TEXT,             -- JSON; NULL when the template ranks nothing
        postproc      TEXT,             -- post-processing spec (JSON)
        created_at    TEXT NOT NULL
    );

    -- flowServ calls these "groups". `seq` is a compact, stable key for the
    -- per-benchmark result tables, which the leaderboard reads by the 100,000.
    CREATE TABLE submissions (
        seq           INTEGER PRIMARY KEY,
        id            TEXT NOT NULL UNIQUE,
        workflow_id   TEXT NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
        name          TEXT NOT NULL,
        parameters    TEXT NOT NULL DEFAULT '[]',  -- variant parameters (JSON)
        engine_config TEXT,                        -- JSON
        created_at    TEXT NOT NULL,
        UNIQUE (workflow_id, name)
    );

    CREATE TABLE uploads (
        id            TEXT PRIMARY KEY,
        submission_id TEXT NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
        name          TEXT NOT NULL,
        size          INTEGER NOT NULL,
        sha256        TEXT NOT NULL,
        path          TEXT NOT NULL,
        created_at    TEXT NOT NULL
    );
    CREATE INDEX uploads_by_submission ON uploads(submission_id);

    CREATE TABLE runs (
        id            TEXT PRIMARY KEY,
        workflow_id   TEXT NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
        -- NULL for a post-processing run, which belongs to the benchmark as a whole.
        submission_id TEXT REFERENCES submissions(id) ON DELETE CASCADE,
        state         TEXT NOT NULL
                      CHECK (state IN ('PENDING', 'RUNNING', 'SUCCESS', 'ERROR', 'CANCELED')),
        created_at    TEXT NOT NULL,
        started_at    TEXT,
        finished_at   TEXT,
        arguments     TEXT NOT NULL,              -- JSON
        messages      TEXT NOT NULL DEFAULT '[]', -- JSON list of strings
        step_index    INTEGER,
        step_count    INTEGER,
        step_name     TEXT
    );
    CREATE INDEX runs_by_workflow ON runs(workflow_id, created_at);
    CREATE INDEX runs_by_submission ON runs(submission_id, created_at);
    CREATE INDEX runs_by_created ON runs(created_at);
    -- Crash recovery looks for active runs, which are few among many finished.
    CREATE INDEX runs_active ON runs(state) WHERE state IN ('PENDING', 'RUNNING');

    CREATE TABLE run_files (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key    TEXT NOT NULL,
        path   TEXT NOT NULL,   -- relative to the run folder
        size   INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
    ) WITHOUT ROWID;

    -- What the last post-processing of a benchmark was computed for, so it runs
    -- again only when the ranking changes.
    CREATE TABLE postproc (
        workflow_id TEXT PRIMARY KEY REFERENCES workflows(id) ON DELETE CASCADE,
        run_id      TEXT REFERENCES runs(id) ON DELETE SET NULL,
        ranking_key TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    );
    "#,
];

/// Apply the scripts the file has not seen yet, all in one IMMEDIATE transaction so
/// that two processes opening a fresh file at once cannot both migrate it: the
/// second waits, then finds the version already current.
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let supported = MIGRATIONS.len();
    let current = |conn: &Connection| -> Result<i64, StoreError> {
        let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if version > supported as i64 {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found: version,
                supported,
            });
        }
        if version < 0 {
            return Err(StoreError::Corrupt(format!(
                "negative schema version {version}"
            )));
        }
        Ok(version)
    };
    // The common case, an up-to-date file, takes no write lock.
    if current(conn)? == supported as i64 {
        return Ok(());
    }
    let transaction = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version = current(&transaction)?;
    for (index, script) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        transaction.execute_batch(script)?;
        transaction.pragma_update(None, "user_version", (index + 1) as i64)?;
    }
    transaction.commit()?;
    Ok(())
}
