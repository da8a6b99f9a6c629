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
    // 2: reproducible runs (provenance, bundles, reproductions, run sets).
    r#"
    -- The template as installed, file by file, and one hash over all of it, so a
    -- bundle from another machine finds the benchmark it was made with.
    ALTER TABLE workflows ADD COLUMN template_hash TEXT;
    CREATE TABLE template_files (
        workflow_id TEXT NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
        path        TEXT NOT NULL,   -- relative to the benchmark's static folder
        size        INTEGER NOT NULL,
        sha256      TEXT NOT NULL,
        PRIMARY KEY (workflow_id, path)
    ) WITHOUT ROWID;

    -- Runs started together with the same arguments (`run --repeat N`).
    CREATE TABLE run_sets (
        id            TEXT PRIMARY KEY,
        workflow_id   TEXT NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
        submission_id TEXT NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
        size          INTEGER NOT NULL,
        created_at    TEXT NOT NULL
    );
    ALTER TABLE runs ADD COLUMN run_set TEXT REFERENCES run_sets(id) ON DELETE SET NULL;
    CREATE INDEX runs_by_set ON runs(run_set) WHERE run_set IS NOT NULL;
    -- NULL: ran on this computer; 'imported' or 'different-template': from a
    -- bundle, whose run id is kept in origin_run.
    ALTER TABLE runs ADD COLUMN origin TEXT;
    ALTER TABLE runs ADD COLUMN origin_run TEXT;
    CREATE INDEX runs_by_origin ON runs(origin_run) WHERE origin_run IS NOT NULL;

    -- What a run was made from and with (JSON, see `model::provenance`).
    CREATE TABLE run_provenance (
        run_id   TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        document TEXT NOT NULL
    );

    -- A run run again and compared; `outcome` is NULL until the new run ended.
    CREATE TABLE reproductions (
        seq             INTEGER PRIMARY KEY,
        run_id          TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        reproduction_id TEXT UNIQUE REFERENCES runs(id) ON DELETE SET NULL,
        tolerance       TEXT,
        outcome         TEXT CHECK (outcome IN ('reproduced', 'within-tolerance', 'differs')),
        max_deviation   REAL,
        details         TEXT NOT NULL DEFAULT '[]',  -- JSON list of differences
        created_at      TEXT NOT NULL,
        finished_at     TEXT
    );
    CREATE INDEX reproductions_by_run ON reproductions(run_id, seq);

    -- Answers of slow questions about this computer (`python --version`,
    -- `pip freeze`), keyed by what makes them stale.
    CREATE TABLE environment_cache (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        checked_at TEXT NOT NULL
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
