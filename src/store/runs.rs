//! Runs and their life cycle. The state machine is enforced here, in the statement
//! that changes the state, so that two processes (or a worker and a cancel button)
//! racing on one run cannot both win: PENDING → RUNNING | ERROR | CANCELED,
//! RUNNING → SUCCESS | ERROR | CANCELED, and a finished run never changes again.

use super::results::{self, ResultTable, Timing};
use super::rows::{self, Fields, FromRow};
use super::{is_unique_violation, submissions, time, to_i64, workflows, Store};
use crate::error::StoreError;
pub use crate::model::{RunProgress, RunState};
use crate::template::ResultValue;
use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row, TransactionBehavior};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// A run to create (it starts PENDING).
#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    pub id: String,
    pub workflow_id: String,
    /// `None` for a post-processing run.
    pub submission_id: Option<String>,
    pub arguments: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub id: String,
    pub workflow_id: String,
    pub submission_id: Option<String>,
    pub state: RunState,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub arguments: Value,
    /// Error messages (ERROR, CANCELED); empty otherwise.
    pub messages: Vec<String>,
    pub progress: Option<RunProgress>,
}

impl RunRecord {
    /// From start to finish; `None` until the run has both.
    pub fn duration(&self) -> Option<TimeDelta> {
        Some(self.finished_at? - self.started_at?)
    }

    pub fn is_postproc(&self) -> bool {
        self.submission_id.is_none()
    }
}

/// An output file of a run; `path` is relative to the run folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunFile {
    pub key: String,
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// Which runs `Store::runs` lists. The default lists every submission run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunFilter {
    pub workflow_id: Option<String>,
    pub submission_id: Option<String>,
    pub state: Option<RunState>,
    /// Also list post-processing runs (they have no submission).
    pub include_postproc: bool,
}

/// A run written in one piece, whatever its state, with its own timestamps: for
/// importing and for filling a database in tests and benchmarks.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedRun {
    pub id: String,
    pub workflow_id: String,
    pub submission_id: Option<String>,
    pub state: RunState,
    pub arguments: Value,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub messages: Vec<String>,
    pub files: Vec<RunFile>,
    pub results: Vec<(String, Option<ResultValue>)>,
}

const COLUMNS: &str = "id, workflow_id, submission_id, state, created_at, started_at, \
     finished_at, arguments, messages, step_index, step_count, step_name";

impl FromRow for RunRecord {
    const COLUMNS: &'static str = COLUMNS;

    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        let f = Fields::new(row, "run", "id")?;
        let progress = match (f.get("step_index")?, f.get("step_count")?) {
            (Some(step_index), Some(step_count)) => Some(RunProgress {
                step_index,
                step_count,
                step_name: f.get::<Option<String>>("step_name")?.unwrap_or_default(),
            }),
            _ => None,
        };
        Ok(RunRecord {
            id: f.get("id")?,
            workflow_id: f.get("workflow_id")?,
            submission_id: f.get("submission_id")?,
            state: decode_state(&f.get::<String>("state")?)?,
            created_at: f.time("created_at")?,
            started_at: f.time_opt("started_at")?,
            finished_at: f.time_opt("finished_at")?,
            arguments: f.json("arguments")?,
            messages: f.json("messages")?,
            progress,
        })
    }
}

impl FromRow for RunFile {
    const COLUMNS: &'static str = "key, path, size, sha256";

    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        let f = Fields::new(row, "run file", "key")?;
        Ok(RunFile {
            key: f.get("key")?,
            path: f.get("path")?,
            size: f.size("size")?,
            sha256: f.get("sha256")?,
        })
    }
}

fn decode_state(text: &str) -> Result<RunState, StoreError> {
    text.parse().map_err(StoreError::Corrupt)
}

pub(super) fn not_found(id: &str) -> StoreError {
    rows::not_found("run", id)
}

/// Why a state change matched no row: the run is gone, or in the wrong state.
fn refused(conn: &Connection, id: &str, to: RunState) -> StoreError {
    let state: rusqlite::Result<Option<String>> = conn
        .query_row("SELECT state FROM runs WHERE id = ?1", [id], |row| {
            row.get(0)
        })
        .optional();
    match state {
        Ok(None) => not_found(id),
        Ok(Some(state)) => match decode_state(&state) {
            Ok(from) => StoreError::InvalidTransition {
                run: id.to_string(),
                from,
                to,
            },
            Err(e) => e,
        },
        Err(e) => e.into(),
    }
}

fn messages_json(messages: &[String]) -> String {
    Value::from(messages.to_vec()).to_string()
}

/// The checks that foreign keys cannot make, with messages that name the record:
/// the benchmark exists and the submission is one of its own. Returns the
/// submission's `seq`.
fn check_owner(
    conn: &Connection,
    workflow_id: &str,
    submission_id: Option<&str>,
) -> Result<Option<i64>, StoreError> {
    match submission_id {
        None => {
            conn.prepare_cached("SELECT 1 FROM workflows WHERE id = ?1")?
                .query_row([workflow_id], |_| Ok(()))
                .optional()?
                .ok_or_else(|| workflows::not_found(workflow_id))?;
            Ok(None)
        }
        Some(submission_id) => {
            let (owner, seq): (String, i64) = conn
                .prepare_cached("SELECT workflow_id, seq FROM submissions WHERE id = ?1")?
                .query_row([submission_id], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()?
                .ok_or_else(|| submissions::not_found(submission_id))?;
            if owner != workflow_id {
                return Err(StoreError::WrongWorkflow {
                    submission: submission_id.to_string(),
                    workflow: workflow_id.to_string(),
                });
            }
            Ok(Some(seq))
        }
    }
}

/// Write what a successful run leaves behind: its output files and, for a
/// submission run, its result row.
#[allow(clippy::too_many_arguments)]
fn store_outputs(
    conn: &Connection,
    workflow_id: &str,
    run_id: &str,
    submission: Option<i64>,
    table: Option<&ResultTable>,
    timing: &Timing,
    files: &[RunFile],
    values: &[(String, Option<ResultValue>)],
) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO run_files (run_id, key, path, size, sha256) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for file in files {
        let size = to_i64(file.size, &format!("run '{run_id}': file '{}'", file.key))?;
        insert
            .execute(params![run_id, file.key, file.path, size, file.sha256])
            .map_err(|e| {
                if is_unique_violation(&e, "run_files.") {
                    StoreError::Invalid {
                        what: format!("run '{run_id}'"),
                        message: format!("output file '{}' is listed twice", file.key),
                    }
                } else {
                    e.into()
                }
            })?;
    }
    match (submission, table) {
        (Some(submission), Some(table)) => {
            results::write_row(conn, table, run_id, submission, timing, values)
        }
        (None, _) if !values.is_empty() => Err(StoreError::PostprocResults {
            run: run_id.to_string(),
        }),
        (Some(_), None) if !values.is_empty() => Err(StoreError::NoResultSchema {
            workflow: workflow_id.to_string(),
        }),
        _ => Ok(()),
    }
}

impl Store {
    /// Create a PENDING run.
    pub fn insert_run(&self, run: &NewRun) -> Result<RunRecord, StoreError> {
        let created_at = time::now();
        let mut conn = self.write();
        let transaction = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        check_owner(&transaction, &run.workflow_id, run.submission_id.as_deref())?;
        transaction
            .execute(
                "INSERT INTO runs (id, workflow_id, submission_id, state, created_at, arguments)
                 VALUES (?1, ?2, ?3, 'PENDING', ?4, ?5)",
                params![
                    run.id,
                    run.workflow_id,
                    run.submission_id,
                    time::format(&created_at),
                    run.arguments.to_string(),
                ],
            )
            .map_err(|e| {
                if is_unique_violation(&e, "runs.id") {
                    StoreError::DuplicateId {
                        kind: "run",
                        id: run.id.clone(),
                    }
                } else {
                    e.into()
                }
            })?;
        transaction.commit()?;
        Ok(RunRecord {
            id: run.id.clone(),
            workflow_id: run.workflow_id.clone(),
            submission_id: run.submission_id.clone(),
            state: RunState::Pending,
            created_at,
            started_at: None,
            finished_at: None,
            arguments: run.arguments.clone(),
            messages: Vec::new(),
            progress: None,
        })
    }

    /// PENDING → RUNNING; returns the start time.
    pub fn start_run(&self, id: &str) -> Result<DateTime<Utc>, StoreError> {
        let now = time::now();
        let conn = self.write();
        let changed = conn.execute(
            "UPDATE runs SET state = 'RUNNING', started_at = ?2 WHERE id = ?1 AND state = 'PENDING'",
            params![id, time::format(&now)],
        )?;
        if changed == 0 {
            return Err(refused(&conn, id, RunState::Running));
        }
        Ok(now)
    }

    /// Record which step a RUNNING run is on.
    pub fn set_progress(
        &self,
        id: &str,
        step_index: u32,
        step_count: u32,
        step_name: &str,
    ) -> Result<(), StoreError> {
        let conn = self.write();
        let changed = conn.execute(
            "UPDATE runs SET step_index = ?2, step_count = ?3, step_name = ?4
             WHERE id = ?1 AND state = 'RUNNING'",
            params![id, step_index, step_count, step_name],
        )?;
        if changed == 0 {
            return Err(match refused(&conn, id, RunState::Running) {
                StoreError::InvalidTransition { run, from, .. } => {
                    StoreError::NotRunning { run, state: from }
                }
                other => other,
            });
        }
        Ok(())
    }

    /// RUNNING → SUCCESS, with the output files and result values, in one
    /// transaction: a run is never SUCCESS without its results, and results never
    /// exist without their run. Returns the finish time.
    pub fn finish_success(
        &self,
        id: &str,
        files: &[RunFile],
        results: &[(String, Option<ResultValue>)],
    ) -> Result<DateTime<Utc>, StoreError> {
        let now = time::now();
        let mut conn = self.write();
        let transaction = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Benchmark, submission seq, state, created, started.
        type Found = (String, Option<i64>, String, String, Option<String>);
        let found: Option<Found> = transaction
            .prepare_cached(
                "SELECT r.workflow_id, s.seq, r.state, r.created_at, r.started_at
                 FROM runs r LEFT JOIN submissions s ON s.id = r.submission_id
                 WHERE r.id = ?1",
            )?
            .query_row([id], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })
            .optional()?;
        let (workflow_id, submission, state, created_at, started_at) =
            found.ok_or_else(|| not_found(id))?;
        let state = decode_state(&state)?;
        if state != RunState::Running {
            return Err(StoreError::InvalidTransition {
                run: id.to_string(),
                from: state,
                to: RunState::Success,
            });
        }
        let created = time::parse(&created_at)?;
        let timing = Timing {
            created,
            started: time::parse_opt(started_at)?.unwrap_or(created),
            finished: now,
        };
        transaction.execute(
            "UPDATE runs SET state = 'SUCCESS', finished_at = ?2 WHERE id = ?1",
            params![id, time::format(&now)],
        )?;
        let table = match submission {
            Some(_) => results::load(&transaction, &workflow_id)?,
            None => None,
        };
        store_outputs(
            &transaction,
            &workflow_id,
            id,
            submission,
            table.as_ref(),
            &timing,
            files,
            results,
        )?;
        transaction.commit()?;
        Ok(now)
    }

    /// PENDING | RUNNING → ERROR with the messages that explain it.
    pub fn finish_error(&self, id: &str, messages: &[String]) -> Result<DateTime<Utc>, StoreError> {
        self.finish_unsuccessful(id, RunState::Error, messages)
    }

    /// PENDING | RUNNING → CANCELED.
    pub fn finish_canceled(
        &self,
        id: &str,
        messages: &[String],
    ) -> Result<DateTime<Utc>, StoreError> {
        self.finish_unsuccessful(id, RunState::Canceled, messages)
    }

    fn finish_unsuccessful(
        &self,
        id: &str,
        state: RunState,
        messages: &[String],
    ) -> Result<DateTime<Utc>, StoreError> {
        let now = time::now();
        let conn = self.write();
        let changed = conn.execute(
            "UPDATE runs SET state = ?2, finished_at = ?3, messages = ?4
             WHERE id = ?1 AND state IN ('PENDING', 'RUNNING')",
            params![
                id,
                state.as_str(),
                time::format(&now),
                messages_json(messages)
            ],
        )?;
        if changed == 0 {
            return Err(refused(&conn, id, state));
        }
        Ok(now)
    }

    /// Recovery: PENDING | RUNNING → `state` (ERROR or CANCELED) for a run whose
    /// owner is gone. Unlike [`Store::finish_error`] it loses a race quietly: if
    /// the run has ended meanwhile (its owner finished it after all), or is gone,
    /// nothing changes and the result is false.
    pub fn finish_abandoned(
        &self,
        id: &str,
        state: RunState,
        messages: &[String],
    ) -> Result<bool, StoreError> {
        let now = time::now();
        let conn = self.write();
        let changed = conn.execute(
            "UPDATE runs SET state = ?2, finished_at = ?3, messages = ?4
             WHERE id = ?1 AND state IN ('PENDING', 'RUNNING')",
            params![
                id,
                state.as_str(),
                time::format(&now),
                messages_json(messages)
            ],
        )?;
        Ok(changed > 0)
    }

    pub fn run(&self, id: &str) -> Result<Option<RunRecord>, StoreError> {
        let conn = self.read();
        let mut statement =
            conn.prepare_cached(&format!("SELECT {COLUMNS} FROM runs WHERE id = ?1"))?;
        rows::one(&mut statement, [id])
    }

    /// Runs matching the filter, newest first.
    pub fn runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, StoreError> {
        let mut sql = format!("SELECT {COLUMNS} FROM runs WHERE 1 = 1");
        let mut arguments: Vec<&str> = Vec::new();
        if let Some(workflow_id) = &filter.workflow_id {
            sql.push_str(" AND workflow_id = ?");
            arguments.push(workflow_id);
        }
        if let Some(submission_id) = &filter.submission_id {
            sql.push_str(" AND submission_id = ?");
            arguments.push(submission_id);
        } else if !filter.include_postproc {
            sql.push_str(" AND submission_id IS NOT NULL");
        }
        if let Some(state) = filter.state {
            sql.push_str(" AND state = ?");
            arguments.push(state.as_str());
        }
        sql.push_str(" ORDER BY created_at DESC, rowid DESC");
        self.query_runs(&sql, arguments)
    }

    /// Runs created before `before`, oldest first, for clean-up; post-processing
    /// runs included.
    pub fn runs_before(
        &self,
        before: DateTime<Utc>,
        state: Option<RunState>,
        workflow_id: Option<&str>,
    ) -> Result<Vec<RunRecord>, StoreError> {
        let before = time::format(&before);
        let mut sql = format!("SELECT {COLUMNS} FROM runs WHERE created_at < ?");
        let mut arguments: Vec<&str> = vec![&before];
        if let Some(workflow_id) = workflow_id {
            sql.push_str(" AND workflow_id = ?");
            arguments.push(workflow_id);
        }
        if let Some(state) = state {
            sql.push_str(" AND state = ?");
            arguments.push(state.as_str());
        }
        sql.push_str(" ORDER BY created_at, rowid");
        self.query_runs(&sql, arguments)
    }

    /// How many runs are RUNNING and how many PENDING, whichever process of
    /// the home folder owns them.
    pub fn active_counts(&self) -> Result<(usize, usize), StoreError> {
        let conn = self.read();
        let mut statement = conn.prepare_cached(
            "SELECT state, COUNT(*) FROM runs WHERE state IN ('RUNNING', 'PENDING') \
             AND submission_id IS NOT NULL GROUP BY state",
        )?;
        let mut rows = statement.query([])?;
        let (mut running, mut pending) = (0, 0);
        while let Some(row) = rows.next()? {
            let state: String = row.get(0)?;
            let count: i64 = row.get(1)?;
            let count = usize::try_from(count).unwrap_or(0);
            if state == "RUNNING" {
                running = count;
            } else {
                pending = count;
            }
        }
        Ok((running, pending))
    }

    fn query_runs(&self, sql: &str, arguments: Vec<&str>) -> Result<Vec<RunRecord>, StoreError> {
        let conn = self.read();
        let mut statement = conn.prepare_cached(sql)?;
        rows::all(&mut statement, params_from_iter(arguments))
    }

    /// A run's output files, by key.
    pub fn run_files(&self, run_id: &str) -> Result<Vec<RunFile>, StoreError> {
        let conn = self.read();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {} FROM run_files WHERE run_id = ?1 ORDER BY key",
            RunFile::COLUMNS
        ))?;
        rows::all(&mut statement, [run_id])
    }

    /// A run's result values in schema order; empty for runs without results
    /// (not successful, post-processing, or a benchmark without result schema).
    pub fn run_results(
        &self,
        run_id: &str,
    ) -> Result<Vec<(String, Option<ResultValue>)>, StoreError> {
        let mut conn = self.read();
        // One snapshot, so the benchmark cannot vanish between the two reads.
        let transaction = conn.transaction()?;
        let workflow_id: String = transaction
            .prepare_cached("SELECT workflow_id FROM runs WHERE id = ?1")?
            .query_row([run_id], |row| row.get(0))
            .optional()?
            .ok_or_else(|| not_found(run_id))?;
        match results::load(&transaction, &workflow_id)? {
            Some(table) => results::read_row(&transaction, &table, run_id),
            None => Ok(Vec::new()),
        }
    }

    /// Remove a run with its files and results. Its folder is the caller's.
    pub fn delete_run(&self, id: &str) -> Result<(), StoreError> {
        let conn = self.write();
        if conn.execute("DELETE FROM runs WHERE id = ?1", [id])? == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }

    /// Crash recovery: every PENDING or RUNNING run becomes ERROR with `message`.
    /// Returns their ids, oldest first.
    pub fn mark_interrupted(&self, message: &str) -> Result<Vec<String>, StoreError> {
        let now = time::format(&time::now());
        let mut conn = self.write();
        let transaction = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids = transaction
            .prepare(
                "SELECT id FROM runs WHERE state IN ('PENDING', 'RUNNING')
                 ORDER BY created_at, rowid",
            )?
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        transaction.execute(
            "UPDATE runs SET state = 'ERROR', finished_at = ?1, messages = ?2
             WHERE state IN ('PENDING', 'RUNNING')",
            params![now, messages_json(&[message.to_string()])],
        )?;
        transaction.commit()?;
        Ok(ids)
    }

    /// Write many runs in one transaction, each with its own state, timestamps,
    /// files and results. All or nothing.
    pub fn insert_runs_bulk(&self, runs: &[ImportedRun]) -> Result<(), StoreError> {
        let mut conn = self.write();
        let transaction = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        insert_runs(&transaction, runs)?;
        transaction.commit()?;
        Ok(())
    }
}

/// The body of [`Store::insert_runs_bulk`], for transactions that write more
/// with the runs (an imported run's origin and provenance).
pub(super) fn insert_runs(
    transaction: &Connection,
    runs: &[ImportedRun],
) -> Result<(), StoreError> {
    let mut tables: HashMap<String, Option<ResultTable>> = HashMap::new();
    // Submission id → (benchmark, seq), checked once per submission.
    let mut owners: HashMap<Option<String>, (String, Option<i64>)> = HashMap::new();
    {
        let mut insert = transaction.prepare_cached(&format!(
                "INSERT INTO runs ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, NULL, NULL)"
            ))?;
        for run in runs {
            let invalid = |message: &str| StoreError::Invalid {
                what: format!("run '{}'", run.id),
                message: message.to_string(),
            };
            let submission = match owners.get(&run.submission_id) {
                Some((workflow_id, seq)) if *workflow_id == run.workflow_id => *seq,
                _ => {
                    let seq =
                        check_owner(transaction, &run.workflow_id, run.submission_id.as_deref())?;
                    owners.insert(run.submission_id.clone(), (run.workflow_id.clone(), seq));
                    seq
                }
            };
            let round = |t: Option<DateTime<Utc>>| t.map(|t| time::round(&t));
            let created = time::round(&run.created_at);
            let (started, finished) = (round(run.started_at), round(run.finished_at));
            match (run.state, started, finished) {
                (RunState::Pending, None, None) | (RunState::Running, Some(_), None) => {}
                (RunState::Success, Some(_), Some(_)) => {}
                (RunState::Error | RunState::Canceled, _, Some(_)) => {}
                (state, ..) => {
                    return Err(invalid(&format!("the timestamps do not fit a {state} run")))
                }
            }
            insert
                .execute(params![
                    run.id,
                    run.workflow_id,
                    run.submission_id,
                    run.state.as_str(),
                    time::format(&created),
                    started.as_ref().map(time::format),
                    finished.as_ref().map(time::format),
                    run.arguments.to_string(),
                    messages_json(&run.messages),
                ])
                .map_err(|e| {
                    if is_unique_violation(&e, "runs.id") {
                        StoreError::DuplicateId {
                            kind: "run",
                            id: run.id.clone(),
                        }
                    } else {
                        e.into()
                    }
                })?;
            if run.state != RunState::Success {
                if !run.files.is_empty() || !run.results.is_empty() {
                    return Err(invalid(
                        "only a successful run has output files and results",
                    ));
                }
                continue;
            }
            if !tables.contains_key(&run.workflow_id) {
                let table = results::load(transaction, &run.workflow_id)?;
                tables.insert(run.workflow_id.clone(), table);
            }
            let table = tables.get(&run.workflow_id).and_then(Option::as_ref);
            let (Some(started), Some(finished)) = (started, finished) else {
                continue;
            };
            let timing = Timing {
                created,
                started,
                finished,
            };
            store_outputs(
                transaction,
                &run.workflow_id,
                &run.id,
                submission,
                table,
                &timing,
                &run.files,
                &run.results,
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{self, WORKFLOW};
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn new_run(id: &str, submission: Option<&str>) -> NewRun {
        NewRun {
            id: id.into(),
            workflow_id: WORKFLOW.into(),
            submission_id: submission.map(str::to_string),
            arguments: json!({"greeting": "Hello", "sleeptime": 1}),
        }
    }

    fn values(
        score: f64,
        steps: Option<i64>,
        note: Option<&str>,
    ) -> Vec<(String, Option<ResultValue>)> {
        vec![
            ("score".into(), Some(ResultValue::Float(score))),
            ("steps".into(), steps.map(ResultValue::Int)),
            ("note".into(), note.map(|n| ResultValue::String(n.into()))),
        ]
    }

    fn file(key: &str) -> RunFile {
        RunFile {
            key: key.into(),
            path: format!("results/{key}"),
            size: 42,
            sha256: "0".repeat(64),
        }
    }

    #[test]
    fn run_state_names_parse_and_print() {
        for state in RunState::ALL {
            assert_eq!(state.as_str().parse::<RunState>().unwrap(), state);
            assert_eq!(state.to_string(), state.as_str());
        }
        assert_eq!("error".parse::<RunState>().unwrap(), RunState::Error);
        let err = "DONE".parse::<RunState>().unwrap_err();
        assert!(err.contains("unknown run state 'DONE'"), "{err}");
    }

    #[test]
    fn a_run_goes_through_its_life_cycle() {
        let (_dir, store) = fixture::store(&["alpha"]);
        let created = store.insert_run(&new_run("r1", Some("alpha"))).unwrap();
        assert_eq!(created.state, RunState::Pending);
        assert_eq!(store.run("r1").unwrap().unwrap(), created);

        let started = store.start_run("r1").unwrap();
        store.set_progress("r1", 1, 3, "analyze").unwrap();
        let running = store.run("r1").unwrap().unwrap();
        assert_eq!(running.state, RunState::Running);
        assert_eq!(running.started_at, Some(started));
        assert_eq!(
            running.progress,
            Some(RunProgress {
                step_index: 1,
                step_count: 3,
                step_name: "analyze".into()
            })
        );

        let finished = store
            .finish_success(
                "r1",
                &[file("analytics.json"), file("greetings.txt")],
                &values(0.5, Some(3), None),
            )
            .unwrap();
        let done = store.run("r1").unwrap().unwrap();
        assert_eq!(done.state, RunState::Success);
        assert_eq!(done.finished_at, Some(finished));
        assert_eq!(done.duration(), Some(finished - started));
        assert_eq!(
            store.run_files("r1").unwrap(),
            vec![file("analytics.json"), file("greetings.txt")]
        );
        assert_eq!(store.run_results("r1").unwrap(), values(0.5, Some(3), None));
        assert!(store.integrity_check().unwrap());
    }

    #[test]
    fn only_legal_transitions_happen() {
        let (_dir, store) = fixture::store(&["alpha"]);
        for id in ["p", "r", "s", "e", "c"] {
            store.insert_run(&new_run(id, Some("alpha"))).unwrap();
        }
        store.start_run("r").unwrap();
        store.start_run("s").unwrap();
        store.finish_success("s", &[], &[]).unwrap();
        store.finish_error("e", &["boom".into()]).unwrap();
        store.finish_canceled("c", &[]).unwrap();

        let refused = |result: Result<DateTime<Utc>, StoreError>| match result {
            Err(StoreError::InvalidTransition { from, to, .. }) => (from, to),
            other => panic!("expected a refused transition, got {other:?}"),
        };
        use RunState::*;
        assert_eq!(
            refused(store.finish_success("p", &[], &[])),
            (Pending, Success)
        );
        assert_eq!(refused(store.start_run("r")), (Running, Running));
        for finished in ["s", "e", "c"] {
            let state = store.run(finished).unwrap().unwrap().state;
            assert_eq!(refused(store.start_run(finished)), (state, Running));
            assert_eq!(
                refused(store.finish_success(finished, &[], &[])),
                (state, Success)
            );
            assert_eq!(refused(store.finish_error(finished, &[])), (state, Error));
            assert_eq!(
                refused(store.finish_canceled(finished, &[])),
                (state, Canceled)
            );
        }
        let err = store.finish_error("s", &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "run 's' is SUCCESS; it cannot become ERROR"
        );
        let err = store.set_progress("p", 0, 1, "x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "run 'p' is PENDING, not RUNNING; its progress cannot change"
        );
        assert_eq!(
            store.start_run("nope").unwrap_err().to_string(),
            "unknown run 'nope'"
        );
        assert_eq!(
            store
                .finish_success("nope", &[], &[])
                .unwrap_err()
                .to_string(),
            "unknown run 'nope'"
        );

        // PENDING may end without starting; messages are kept.
        store
            .finish_canceled("p", &["canceled by user".into()])
            .unwrap();
        let canceled = store.run("p").unwrap().unwrap();
        assert_eq!(canceled.state, Canceled);
        assert_eq!(canceled.started_at, None);
        assert_eq!(canceled.messages, ["canceled by user"]);
        assert_eq!(store.run("e").unwrap().unwrap().messages, ["boom"]);
    }

    #[test]
    fn runs_check_their_benchmark_and_submission() {
        let (_dir, store) = fixture::store(&["alpha"]);
        store
            .insert_workflow(&fixture::workflow("wf2", "Other"))
            .unwrap();
        let err = store
            .insert_run(&NewRun {
                workflow_id: "wf2".into(),
                ..new_run("r", Some("alpha"))
            })
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "submission 'alpha' does not belong to benchmark 'wf2'"
        );
        let err = store.insert_run(&new_run("r", Some("nope"))).unwrap_err();
        assert_eq!(err.to_string(), "unknown submission 'nope'");
        let err = store
            .insert_run(&NewRun {
                workflow_id: "nope".into(),
                ..new_run("r", None)
            })
            .unwrap_err();
        assert_eq!(err.to_string(), "unknown benchmark 'nope'");
        store.insert_run(&new_run("r", Some("alpha"))).unwrap();
        assert!(matches!(
            store.insert_run(&new_run("r", Some("alpha"))).unwrap_err(),
            StoreError::DuplicateId { kind: "run", .. }
        ));
    }

    #[test]
    fn a_failed_success_leaves_nothing_behind() {
        let (_dir, store) = fixture::store(&["alpha"]);
        store.insert_run(&new_run("r", Some("alpha"))).unwrap();
        store.start_run("r").unwrap();
        type Case = (
            &'static str,
            Vec<(String, Option<ResultValue>)>,
            &'static str,
        );
        let bad_results: [Case; 4] = [
            (
                "wrong type",
                vec![("steps".into(), Some(ResultValue::String("three".into())))],
                "result column 'steps' holds int values; 'three' does not fit",
            ),
            (
                "unknown column",
                vec![("accuracy".into(), Some(ResultValue::Float(1.0)))],
                "benchmark 'wf1' has no result column 'accuracy'",
            ),
            (
                "not a number",
                vec![("score".into(), Some(ResultValue::Float(f64::NAN)))],
                "result column 'score' holds float values; NaN does not fit",
            ),
            (
                "twice",
                vec![
                    ("score".into(), Some(ResultValue::Float(1.0))),
                    ("score".into(), Some(ResultValue::Float(2.0))),
                ],
                "run 'r': result column 'score' is given twice",
            ),
        ];
        for (case, results, message) in bad_results {
            let err = store
                .finish_success("r", &[file("a"), file("b")], &results)
                .unwrap_err();
            assert_eq!(err.to_string(), message, "{case}");
            assert_eq!(
                store.run("r").unwrap().unwrap().state,
                RunState::Running,
                "{case}"
            );
            assert!(store.run_files("r").unwrap().is_empty(), "{case}");
            assert!(store.run_results("r").unwrap().is_empty(), "{case}");
        }
        let err = store
            .finish_success("r", &[file("a"), file("a")], &[])
            .unwrap_err();
        assert_eq!(err.to_string(), "run 'r': output file 'a' is listed twice");
        assert_eq!(store.run("r").unwrap().unwrap().state, RunState::Running);

        // An int is a fine float; missing columns are NULL.
        store
            .finish_success("r", &[], &[("score".into(), Some(ResultValue::Int(2)))])
            .unwrap();
        assert_eq!(
            store.run_results("r").unwrap(),
            vec![
                ("score".to_string(), Some(ResultValue::Float(2.0))),
                ("steps".to_string(), None),
                ("note".to_string(), None)
            ]
        );
    }

    #[test]
    fn post_processing_runs_have_no_results() {
        let (_dir, store) = fixture::store(&["alpha"]);
        store.insert_run(&new_run("pp", None)).unwrap();
        store.start_run("pp").unwrap();
        let err = store
            .finish_success("pp", &[], &values(1.0, None, None))
            .unwrap_err();
        assert!(matches!(err, StoreError::PostprocResults { .. }), "{err}");
        store
            .finish_success("pp", &[file("results/compare.json")], &[])
            .unwrap();
        assert!(store.run_results("pp").unwrap().is_empty());
        assert_eq!(store.run_files("pp").unwrap().len(), 1);

        store.insert_run(&new_run("r", Some("alpha"))).unwrap();
        let submission_runs = store
            .runs(&RunFilter {
                workflow_id: Some(WORKFLOW.into()),
                ..RunFilter::default()
            })
            .unwrap();
        assert_eq!(
            submission_runs
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>(),
            ["r"]
        );
        let all = store
            .runs(&RunFilter {
                include_postproc: true,
                ..RunFilter::default()
            })
            .unwrap();
        assert_eq!(
            all.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["r", "pp"]
        );
        assert!(all[1].is_postproc());
    }

    #[test]
    fn runs_are_listed_newest_first_and_filtered() {
        let (_dir, store) = fixture::store(&["alpha", "beta"]);
        for (id, submission) in [("r1", "alpha"), ("r2", "beta"), ("r3", "alpha")] {
            store.insert_run(&new_run(id, Some(submission))).unwrap();
        }
        store.finish_error("r2", &[]).unwrap();
        let ids = |filter: RunFilter| -> Vec<String> {
            store
                .runs(&filter)
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect()
        };
        assert_eq!(ids(RunFilter::default()), ["r3", "r2", "r1"]);
        assert_eq!(
            ids(RunFilter {
                submission_id: Some("alpha".into()),
                ..RunFilter::default()
            }),
            ["r3", "r1"]
        );
        assert_eq!(
            ids(RunFilter {
                workflow_id: Some(WORKFLOW.into()),
                state: Some(RunState::Pending),
                ..RunFilter::default()
            }),
            ["r3", "r1"]
        );
        assert!(ids(RunFilter {
            workflow_id: Some("other".into()),
            ..RunFilter::default()
        })
        .is_empty());

        let later = time::now() + TimeDelta::seconds(1);
        let before: Vec<String> = store
            .runs_before(later, None, None)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(before, ["r1", "r2", "r3"]);
        let errors = store
            .runs_before(later, Some(RunState::Error), Some(WORKFLOW))
            .unwrap();
        assert_eq!(errors.len(), 1);
        assert!(store
            .runs_before(later - TimeDelta::days(1), None, None)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn deleting_a_run_removes_its_files_and_results() {
        let (_dir, store) = fixture::store(&["alpha"]);
        store.insert_run(&new_run("r", Some("alpha"))).unwrap();
        store.start_run("r").unwrap();
        store
            .finish_success("r", &[file("a")], &values(1.0, None, None))
            .unwrap();
        store.delete_run("r").unwrap();
        assert!(store.run("r").unwrap().is_none());
        assert!(store.run_files("r").unwrap().is_empty());
        let board = store
            .leaderboard(WORKFLOW, &fixture::schema(), &[], true)
            .unwrap();
        assert!(board.is_empty());
        assert_eq!(
            store.delete_run("r").unwrap_err().to_string(),
            "unknown run 'r'"
        );
        assert!(store.integrity_check().unwrap());
    }

    #[test]
    fn interrupted_runs_become_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flowdesk.db");
        {
            let store = Store::open(&path).unwrap();
            store
                .insert_workflow(&fixture::workflow(WORKFLOW, "W"))
                .unwrap();
            store
                .insert_submission(&fixture::submission("alpha", "alpha"))
                .unwrap();
            for id in ["pending", "running", "done"] {
                store.insert_run(&new_run(id, Some("alpha"))).unwrap();
            }
            store.start_run("running").unwrap();
            store.start_run("done").unwrap();
            store
                .finish_success("done", &[], &values(1.0, None, None))
                .unwrap();
            // Dropped without finishing, like a process that died.
        }
        let store = Store::open(&path).unwrap();
        let message = "interrupted: flowdesk exited while the run was active";
        assert_eq!(
            store.mark_interrupted(message).unwrap(),
            ["pending", "running"]
        );
        for id in ["pending", "running"] {
            let run = store.run(id).unwrap().unwrap();
            assert_eq!(run.state, RunState::Error);
            assert_eq!(run.messages, [message]);
            assert!(run.finished_at.is_some());
        }
        assert_eq!(store.run("done").unwrap().unwrap().state, RunState::Success);
        assert!(store.mark_interrupted(message).unwrap().is_empty());
        assert!(store.integrity_check().unwrap());
    }

    /// Eight workers finishing runs at once through one shared store.
    #[test]
    fn parallel_runs_never_see_a_locked_database() {
        let (_dir, store) = fixture::store(&["alpha", "beta"]);
        let store = Arc::new(store);
        let workers: Vec<_> = (0..8)
            .map(|worker| {
                let store = Arc::clone(&store);
                std::thread::spawn(move || -> Result<(), StoreError> {
                    for i in 0..25 {
                        let id = format!("w{worker}-{i}");
                        let submission = if worker % 2 == 0 { "alpha" } else { "beta" };
                        store.insert_run(&new_run(&id, Some(submission)))?;
                        store.start_run(&id)?;
                        store.set_progress(&id, 0, 1, "main")?;
                        if i % 5 == 4 {
                            store.finish_error(&id, &["exit code 1".into()])?;
                        } else {
                            let score = (worker * 100 + i) as f64;
                            store.finish_success(
                                &id,
                                &[file("out")],
                                &values(score, Some(i), None),
                            )?;
                        }
                        store.leaderboard(WORKFLOW, &fixture::schema(), &[], false)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap().unwrap();
        }
        let success = store
            .runs(&RunFilter {
                state: Some(RunState::Success),
                ..RunFilter::default()
            })
            .unwrap();
        assert_eq!(success.len(), 8 * 20);
        let board = store
            .leaderboard(WORKFLOW, &fixture::schema(), &[], true)
            .unwrap();
        assert_eq!(board.len(), 8 * 20);
        assert!(store.integrity_check().unwrap());
    }

    /// The GUI and the CLI are two processes with their own connections to one file.
    #[test]
    fn two_handles_on_one_file_write_concurrently() {
        let (dir, first) = fixture::store(&["alpha"]);
        let second = Store::open(&dir.path().join("flowdesk.db")).unwrap();
        let handles: Vec<_> = [first, second]
            .into_iter()
            .enumerate()
            .map(|(n, store)| {
                std::thread::spawn(move || -> Result<Store, StoreError> {
                    for i in 0..40 {
                        let id = format!("h{n}-{i}");
                        store.insert_run(&new_run(&id, Some("alpha")))?;
                        store.start_run(&id)?;
                        store.finish_success(
                            &id,
                            &[file("out")],
                            &values(i as f64, None, Some("x")),
                        )?;
                        if i % 10 == 0 {
                            store.insert_submission(&fixture::submission(
                                &format!("s{n}-{i}"),
                                &format!("s{n}-{i}"),
                            ))?;
                        }
                    }
                    Ok(store)
                })
            })
            .collect();
        let stores: Vec<Store> = handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect();
        for store in &stores {
            assert_eq!(
                store
                    .runs(&RunFilter {
                        state: Some(RunState::Success),
                        ..RunFilter::default()
                    })
                    .unwrap()
                    .len(),
                80
            );
            assert_eq!(store.submissions(WORKFLOW).unwrap().len(), 9);
        }
        assert!(stores[0].integrity_check().unwrap());
    }

    #[test]
    fn bulk_insert_checks_every_run_and_is_all_or_nothing() {
        let (_dir, store) = fixture::store(&["alpha"]);
        let now = time::now();
        let run = |id: &str, state: RunState| ImportedRun {
            id: id.into(),
            workflow_id: WORKFLOW.into(),
            submission_id: Some("alpha".into()),
            state,
            arguments: json!({}),
            created_at: now,
            started_at: Some(now),
            finished_at: Some(now + TimeDelta::milliseconds(1500)),
            messages: Vec::new(),
            files: Vec::new(),
            results: Vec::new(),
        };
        let good = ImportedRun {
            results: values(2.0, Some(1), Some("bulk")),
            files: vec![file("out")],
            ..run("b1", RunState::Success)
        };
        let pending_with_times = run("b2", RunState::Pending);
        let err = store
            .insert_runs_bulk(&[good.clone(), pending_with_times])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "run 'b2': the timestamps do not fit a PENDING run"
        );
        assert!(store.run("b1").unwrap().is_none());

        let error_with_results = ImportedRun {
            messages: vec!["failed".into()],
            results: values(1.0, None, None),
            ..run("b3", RunState::Error)
        };
        let err = store.insert_runs_bulk(&[error_with_results]).unwrap_err();
        assert!(err.to_string().contains("only a successful run"), "{err}");

        store.insert_runs_bulk(std::slice::from_ref(&good)).unwrap();
        assert_eq!(store.run_results("b1").unwrap(), good.results);
        assert_eq!(store.run_files("b1").unwrap(), good.files);
        let read = store.run("b1").unwrap().unwrap();
        assert_eq!(read.duration(), Some(TimeDelta::milliseconds(1500)));
        let board = store
            .leaderboard(WORKFLOW, &fixture::schema(), &[], false)
            .unwrap();
        let entry = board.entry(0).unwrap();
        assert_eq!(entry.run_id, "b1");
        assert_eq!(entry.duration, 1.5);
        assert_eq!(entry.created_at, read.created_at);
    }
}
