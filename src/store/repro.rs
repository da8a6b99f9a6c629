//! What makes runs reproducible, as stored: each benchmark's template file by
//! file with one hash over it, each run's provenance document, runs imported
//! from bundles (and where from), reproductions and their outcomes, run sets,
//! and a small cache for answers about this computer that are slow to get.
//!
//! Provenance is one JSON document per run, written when the run starts and
//! again when it ends: it is read whole (Run detail, `show --json`, bundles)
//! and never queried by field, so a document costs one row write each time.

use super::runs::{insert_runs, ImportedRun};
use super::{parse_json, time, to_i64, to_u64, Store};
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde_json::Value;
use std::collections::HashMap;

/// One installed template file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TemplateFile {
    /// Relative to the benchmark's static folder, `/`-separated.
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// Where an imported run came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOrigin {
    /// `imported`, or `different-template` when imported with `--force`.
    pub origin: String,
    /// The run's id on the computer that made the bundle.
    pub origin_run: String,
}

/// How a reproduction came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Reproduced,
    WithinTolerance,
    Differs,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Reproduced => "reproduced",
            Outcome::WithinTolerance => "within-tolerance",
            Outcome::Differs => "differs",
        }
    }

    fn parse(text: &str) -> Result<Outcome, StoreError> {
        match text {
            "reproduced" => Ok(Outcome::Reproduced),
            "within-tolerance" => Ok(Outcome::WithinTolerance),
            "differs" => Ok(Outcome::Differs),
            other => Err(StoreError::Corrupt(format!(
                "unknown reproduction outcome '{other}'"
            ))),
        }
    }
}

/// A reproduction of a run: pending until its run ends.
#[derive(Debug, Clone, PartialEq)]
pub struct ReproductionRecord {
    /// The run that was reproduced.
    pub run_id: String,
    /// The new run; `None` once it has been deleted.
    pub reproduction_id: Option<String>,
    /// As the user wrote it (`0.01`, `1%`).
    pub tolerance: Option<String>,
    pub outcome: Option<Outcome>,
    pub max_deviation: Option<f64>,
    /// What differs, one entry per file or value (JSON).
    pub details: Value,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// What a leaderboard marks about runs: where they came from and how their
/// latest finished reproduction came out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunMarks {
    pub origin: Option<String>,
    pub outcome: Option<Outcome>,
    pub max_deviation: Option<f64>,
}

/// A run set to create: its runs exist already (PENDING).
#[derive(Debug, Clone, PartialEq)]
pub struct NewRunSet {
    pub id: String,
    pub workflow_id: String,
    pub submission_id: String,
    pub run_ids: Vec<String>,
}

const REPRODUCTION_COLUMNS: &str = "run_id, reproduction_id, tolerance, outcome, max_deviation, \
     details, created_at, finished_at";

type RawReproduction = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<f64>,
    String,
    String,
    Option<String>,
);

fn raw_reproduction(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawReproduction> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
    ))
}

fn decode_reproduction(raw: RawReproduction) -> Result<ReproductionRecord, StoreError> {
    let (run_id, reproduction_id, tolerance, outcome, max_deviation, details, created, finished) =
        raw;
    Ok(ReproductionRecord {
        details: parse_json(&details, &format!("reproduction of run '{run_id}'"))?,
        outcome: outcome.as_deref().map(Outcome::parse).transpose()?,
        created_at: time::parse(&created)?,
        finished_at: time::parse_opt(finished)?,
        run_id,
        reproduction_id,
        tolerance,
        max_deviation,
    })
}

impl Store {
    // ----- templates -------------------------------------------------------------

    /// Record a benchmark's template files and their combined hash, replacing
    /// what was recorded before.
    pub fn set_template_files(
        &self,
        workflow_id: &str,
        hash: &str,
        files: &[TemplateFile],
    ) -> Result<(), StoreError> {
        let mut conn = self.write();
        let transaction = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let changed = transaction.execute(
            "UPDATE workflows SET template_hash = ?2 WHERE id = ?1",
            params![workflow_id, hash],
        )?;
        if changed == 0 {
            return Err(super::workflows::not_found(workflow_id));
        }
        transaction.execute(
            "DELETE FROM template_files WHERE workflow_id = ?1",
            [workflow_id],
        )?;
        {
            let mut insert = transaction.prepare_cached(
                "INSERT INTO template_files (workflow_id, path, size, sha256) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for file in files {
                let size = to_i64(file.size, &format!("template file '{}'", file.path))?;
                insert.execute(params![workflow_id, file.path, size, file.sha256])?;
            }
        }
        transaction.commit()?;
        Ok(())
    }

    /// A benchmark's template hash and files, sorted by path; `None` when they
    /// were never recorded (installed before flowdesk recorded them).
    pub fn template_files(
        &self,
        workflow_id: &str,
    ) -> Result<Option<(String, Vec<TemplateFile>)>, StoreError> {
        let mut conn = self.read();
        let transaction = conn.transaction()?;
        let hash: Option<String> = transaction
            .prepare_cached("SELECT template_hash FROM workflows WHERE id = ?1")?
            .query_row([workflow_id], |row| row.get(0))
            .optional()?
            .ok_or_else(|| super::workflows::not_found(workflow_id))?;
        let Some(hash) = hash else {
            return Ok(None);
        };
        let mut statement = transaction.prepare_cached(
            "SELECT path, size, sha256 FROM template_files WHERE workflow_id = ?1 ORDER BY path",
        )?;
        let rows = statement.query_map([workflow_id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
            ))
        })?;
        let files = rows
            .map(|row| {
                let (path, size, sha256) = row?;
                Ok(TemplateFile {
                    size: to_u64(size, &format!("template file '{path}'"))?,
                    path,
                    sha256,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some((hash, files)))
    }

    /// The benchmarks installed with this template hash.
    pub fn workflows_with_template(&self, hash: &str) -> Result<Vec<String>, StoreError> {
        let conn = self.read();
        let mut statement = conn.prepare_cached(
            "SELECT id FROM workflows WHERE template_hash = ?1 ORDER BY created_at",
        )?;
        let ids = statement
            .query_map([hash], |row| row.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(ids)
    }

    // ----- provenance ------------------------------------------------------------

    /// Write a run's provenance document (replacing an earlier one).
    pub fn set_provenance(&self, run_id: &str, document: &Value) -> Result<(), StoreError> {
        self.set_provenance_json(run_id, &document.to_string())
    }

    /// [`Self::set_provenance`] of a document already written as JSON.
    pub fn set_provenance_json(&self, run_id: &str, document: &str) -> Result<(), StoreError> {
        let conn = self.write();
        conn.prepare_cached(
            "INSERT INTO run_provenance (run_id, document) VALUES (?1, ?2)
             ON CONFLICT (run_id) DO UPDATE SET document = excluded.document",
        )?
        .execute(params![run_id, document])
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
            {
                super::runs::not_found(run_id)
            }
            other => other.into(),
        })?;
        Ok(())
    }

    pub fn provenance(&self, run_id: &str) -> Result<Option<Value>, StoreError> {
        let conn = self.read();
        let text: Option<String> = conn
            .prepare_cached("SELECT document FROM run_provenance WHERE run_id = ?1")?
            .query_row([run_id], |row| row.get(0))
            .optional()?;
        text.map(|t| parse_json(&t, &format!("provenance of run '{run_id}'")))
            .transpose()
    }

    // ----- imported runs ---------------------------------------------------------

    /// Write an imported run (SUCCESS, with its files and results), where it
    /// came from and its provenance, all in one transaction.
    pub fn import_run(
        &self,
        run: &ImportedRun,
        origin: &RunOrigin,
        provenance: &Value,
    ) -> Result<(), StoreError> {
        let mut conn = self.write();
        let transaction = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        insert_runs(&transaction, std::slice::from_ref(run))?;
        transaction.execute(
            "UPDATE runs SET origin = ?2, origin_run = ?3 WHERE id = ?1",
            params![run.id, origin.origin, origin.origin_run],
        )?;
        transaction.execute(
            "INSERT INTO run_provenance (run_id, document) VALUES (?1, ?2)",
            params![run.id, provenance.to_string()],
        )?;
        transaction.commit()?;
        Ok(())
    }

    pub fn run_origin(&self, run_id: &str) -> Result<Option<RunOrigin>, StoreError> {
        let conn = self.read();
        let found: Option<(Option<String>, Option<String>)> = conn
            .prepare_cached("SELECT origin, origin_run FROM runs WHERE id = ?1")?
            .query_row([run_id], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        Ok(match found {
            Some((Some(origin), Some(origin_run))) => Some(RunOrigin { origin, origin_run }),
            _ => None,
        })
    }

    /// The run of `workflow_id` that is, or was imported from, run `origin_run`.
    pub fn run_from(
        &self,
        workflow_id: &str,
        origin_run: &str,
    ) -> Result<Option<String>, StoreError> {
        let conn = self.read();
        let found = conn
            .prepare_cached(
                "SELECT id FROM runs WHERE workflow_id = ?1 AND (origin_run = ?2 OR id = ?2)
                 ORDER BY created_at LIMIT 1",
            )?
            .query_row(params![workflow_id, origin_run], |row| row.get(0))
            .optional()?;
        Ok(found)
    }

    // ----- reproductions ---------------------------------------------------------

    /// Record that `reproduction_id` reproduces `run_id` (pending until it ends).
    pub fn start_reproduction(
        &self,
        run_id: &str,
        reproduction_id: &str,
        tolerance: Option<&str>,
    ) -> Result<(), StoreError> {
        let conn = self.write();
        conn.execute(
            "INSERT INTO reproductions (run_id, reproduction_id, tolerance, created_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                run_id,
                reproduction_id,
                tolerance,
                time::format(&time::now())
            ],
        )?;
        Ok(())
    }

    /// The reproduction that run `reproduction_id` is, if it is one.
    pub fn reproduction_by(
        &self,
        reproduction_id: &str,
    ) -> Result<Option<ReproductionRecord>, StoreError> {
        let conn = self.read();
        let raw = conn
            .prepare_cached(&format!(
                "SELECT {REPRODUCTION_COLUMNS} FROM reproductions WHERE reproduction_id = ?1"
            ))?
            .query_row([reproduction_id], raw_reproduction)
            .optional()?;
        raw.map(decode_reproduction).transpose()
    }

    /// Store how the reproduction by `reproduction_id` came out.
    pub fn finish_reproduction(
        &self,
        reproduction_id: &str,
        outcome: Outcome,
        max_deviation: Option<f64>,
        details: &Value,
    ) -> Result<(), StoreError> {
        let conn = self.write();
        let changed = conn.execute(
            "UPDATE reproductions SET outcome = ?2, max_deviation = ?3, details = ?4, finished_at = ?5
             WHERE reproduction_id = ?1 AND outcome IS NULL",
            params![
                reproduction_id,
                outcome.as_str(),
                max_deviation,
                details.to_string(),
                time::format(&time::now())
            ],
        )?;
        if changed == 0 {
            return Err(StoreError::Invalid {
                what: format!("run '{reproduction_id}'"),
                message: "is no pending reproduction".into(),
            });
        }
        Ok(())
    }

    /// A run's reproductions, oldest first.
    pub fn reproductions(&self, run_id: &str) -> Result<Vec<ReproductionRecord>, StoreError> {
        let conn = self.read();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {REPRODUCTION_COLUMNS} FROM reproductions WHERE run_id = ?1 ORDER BY seq"
        ))?;
        let rows = statement.query_map([run_id], raw_reproduction)?;
        rows.map(|row| decode_reproduction(row?)).collect()
    }

    /// Origins and latest reproduction outcomes of a benchmark's runs that have
    /// either: a few rows, whatever the number of runs.
    pub fn run_marks(&self, workflow_id: &str) -> Result<HashMap<String, RunMarks>, StoreError> {
        let mut conn = self.read();
        let transaction = conn.transaction()?;
        let mut marks: HashMap<String, RunMarks> = HashMap::new();
        {
            let mut statement = transaction.prepare_cached(
                "SELECT id, origin FROM runs WHERE workflow_id = ?1 AND origin IS NOT NULL",
            )?;
            let mut rows = statement.query([workflow_id])?;
            while let Some(row) = rows.next()? {
                marks.entry(row.get(0)?).or_default().origin = Some(row.get(1)?);
            }
        }
        {
            // In `seq` order, so the latest finished reproduction wins.
            let mut statement = transaction.prepare_cached(
                "SELECT p.run_id, p.outcome, p.max_deviation FROM reproductions p
                 JOIN runs r ON r.id = p.run_id
                 WHERE r.workflow_id = ?1 AND p.outcome IS NOT NULL ORDER BY p.seq",
            )?;
            let mut rows = statement.query([workflow_id])?;
            while let Some(row) = rows.next()? {
                let outcome: String = row.get(1)?;
                let mark = marks.entry(row.get(0)?).or_default();
                mark.outcome = Some(Outcome::parse(&outcome)?);
                mark.max_deviation = row.get(2)?;
            }
        }
        Ok(marks)
    }

    // ----- run sets --------------------------------------------------------------

    /// Group existing runs of one submission as a run set.
    pub fn create_run_set(&self, set: &NewRunSet) -> Result<(), StoreError> {
        let mut conn = self.write();
        let transaction = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        transaction.execute(
            "INSERT INTO run_sets (id, workflow_id, submission_id, size, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                set.id,
                set.workflow_id,
                set.submission_id,
                set.run_ids.len() as i64,
                time::format(&time::now())
            ],
        )?;
        {
            let mut update = transaction.prepare_cached(
                "UPDATE runs SET run_set = ?2
                 WHERE id = ?1 AND workflow_id = ?3 AND submission_id = ?4",
            )?;
            for id in &set.run_ids {
                let changed =
                    update.execute(params![id, set.id, set.workflow_id, set.submission_id])?;
                if changed == 0 {
                    return Err(StoreError::Invalid {
                        what: format!("run set '{}'", set.id),
                        message: format!(
                            "run '{id}' is not a run of submission '{}'",
                            set.submission_id
                        ),
                    });
                }
            }
        }
        transaction.commit()?;
        Ok(())
    }

    /// The run set a run belongs to and all its runs (creation order).
    pub fn run_set_of(&self, run_id: &str) -> Result<Option<(String, Vec<String>)>, StoreError> {
        let mut conn = self.read();
        let transaction = conn.transaction()?;
        let set: Option<Option<String>> = transaction
            .prepare_cached("SELECT run_set FROM runs WHERE id = ?1")?
            .query_row([run_id], |row| row.get(0))
            .optional()?;
        let Some(Some(set)) = set else {
            return Ok(None);
        };
        let mut statement = transaction
            .prepare_cached("SELECT id FROM runs WHERE run_set = ?1 ORDER BY created_at, rowid")?;
        let runs = statement
            .query_map([&set], |row| row.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(Some((set, runs)))
    }

    // ----- cache -----------------------------------------------------------------

    pub fn cached(&self, key: &str) -> Result<Option<String>, StoreError> {
        let conn = self.read();
        let found = conn
            .prepare_cached("SELECT value FROM environment_cache WHERE key = ?1")?
            .query_row([key], |row| row.get(0))
            .optional()?;
        Ok(found)
    }

    pub fn cache(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let conn = self.write();
        conn.prepare_cached(
            "INSERT INTO environment_cache (key, value, checked_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, checked_at = excluded.checked_at",
        )?
        .execute(params![key, value, time::format(&time::now())])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{self, WORKFLOW};
    use super::super::{NewRun, RunState};
    use super::*;
    use serde_json::json;

    fn pending(store: &Store, id: &str, submission: &str) {
        store
            .insert_run(&NewRun {
                id: id.into(),
                workflow_id: WORKFLOW.into(),
                submission_id: Some(submission.into()),
                arguments: json!({}),
            })
            .unwrap();
    }

    #[test]
    fn template_files_and_hash_round_trip_and_find_the_benchmark() {
        let (_dir, store) = fixture::store(&[]);
        assert_eq!(store.template_files(WORKFLOW).unwrap(), None);
        let files = vec![
            TemplateFile {
                path: "a.py".into(),
                size: 3,
                sha256: "aa".into(),
            },
            TemplateFile {
                path: "data/b.csv".into(),
                size: 5,
                sha256: "bb".into(),
            },
        ];
        store.set_template_files(WORKFLOW, "h1", &files).unwrap();
        store.set_template_files(WORKFLOW, "h2", &files).unwrap();
        assert_eq!(
            store.template_files(WORKFLOW).unwrap(),
            Some(("h2".into(), files))
        );
        assert_eq!(store.workflows_with_template("h2").unwrap(), [WORKFLOW]);
        assert!(store.workflows_with_template("h1").unwrap().is_empty());
        assert!(store.set_template_files("nope", "h", &[]).is_err());
    }

    #[test]
    fn provenance_is_replaced_and_goes_with_its_run() {
        let (_dir, store) = fixture::store(&["alpha"]);
        pending(&store, "r1", "alpha");
        store.set_provenance("r1", &json!({"a": 1})).unwrap();
        store.set_provenance("r1", &json!({"a": 2})).unwrap();
        assert_eq!(store.provenance("r1").unwrap(), Some(json!({"a": 2})));
        let err = store.set_provenance("gone", &json!({})).unwrap_err();
        assert_eq!(err.to_string(), "unknown run 'gone'");
        store.delete_run("r1").unwrap();
        assert_eq!(store.provenance("r1").unwrap(), None);
    }

    #[test]
    fn reproductions_are_pending_until_finished_and_mark_the_run() {
        let (_dir, store) = fixture::store(&["alpha"]);
        pending(&store, "orig", "alpha");
        pending(&store, "again", "alpha");
        pending(&store, "third", "alpha");
        store
            .start_reproduction("orig", "again", Some("1%"))
            .unwrap();
        let pending_one = store.reproduction_by("again").unwrap().unwrap();
        assert_eq!(pending_one.outcome, None);
        assert_eq!(pending_one.tolerance.as_deref(), Some("1%"));
        assert!(store.run_marks(WORKFLOW).unwrap().is_empty());
        store
            .finish_reproduction("again", Outcome::Differs, Some(0.5), &json!(["x"]))
            .unwrap();
        assert!(store
            .finish_reproduction("again", Outcome::Reproduced, None, &json!([]))
            .is_err());
        store.start_reproduction("orig", "third", None).unwrap();
        store
            .finish_reproduction("third", Outcome::WithinTolerance, Some(0.01), &json!([]))
            .unwrap();
        let marks = store.run_marks(WORKFLOW).unwrap();
        assert_eq!(marks["orig"].outcome, Some(Outcome::WithinTolerance));
        assert_eq!(marks["orig"].max_deviation, Some(0.01));
        let all = store.reproductions("orig").unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].details, json!(["x"]));
        // Deleting the new run keeps the outcome.
        store.delete_run("again").unwrap();
        assert_eq!(
            store.reproductions("orig").unwrap()[0].reproduction_id,
            None
        );
    }

    #[test]
    fn run_sets_take_only_runs_of_their_submission() {
        let (_dir, store) = fixture::store(&["alpha", "beta"]);
        for id in ["a1", "a2"] {
            pending(&store, id, "alpha");
        }
        pending(&store, "b1", "beta");
        let set = NewRunSet {
            id: "s1".into(),
            workflow_id: WORKFLOW.into(),
            submission_id: "alpha".into(),
            run_ids: vec!["a1".into(), "a2".into()],
        };
        store.create_run_set(&set).unwrap();
        assert_eq!(
            store.run_set_of("a2").unwrap(),
            Some(("s1".into(), vec!["a1".into(), "a2".into()]))
        );
        assert_eq!(store.run_set_of("b1").unwrap(), None);
        let wrong = NewRunSet {
            id: "s2".into(),
            run_ids: vec!["b1".into()],
            ..set
        };
        let err = store.create_run_set(&wrong).unwrap_err().to_string();
        assert!(
            err.contains("'b1' is not a run of submission 'alpha'"),
            "{err}"
        );
        assert_eq!(store.run_set_of("b1").unwrap(), None, "rolled back");
    }

    #[test]
    fn imported_runs_keep_their_origin() {
        let (_dir, store) = fixture::store(&["alpha"]);
        let now = time::now();
        let run = ImportedRun {
            id: "imp".into(),
            workflow_id: WORKFLOW.into(),
            submission_id: Some("alpha".into()),
            state: RunState::Success,
            arguments: json!({}),
            created_at: now,
            started_at: Some(now),
            finished_at: Some(now),
            messages: vec![],
            files: vec![],
            results: vec![(
                "score".into(),
                Some(crate::template::ResultValue::Float(0.5)),
            )],
        };
        let origin = RunOrigin {
            origin: "imported".into(),
            origin_run: "far".into(),
        };
        store.import_run(&run, &origin, &json!({"p": 1})).unwrap();
        assert_eq!(store.run_origin("imp").unwrap(), Some(origin.clone()));
        assert_eq!(
            store.run_from(WORKFLOW, "far").unwrap().as_deref(),
            Some("imp")
        );
        assert_eq!(
            store.run_from(WORKFLOW, "imp").unwrap().as_deref(),
            Some("imp")
        );
        assert_eq!(store.provenance("imp").unwrap(), Some(json!({"p": 1})));
        assert_eq!(
            store.run_marks(WORKFLOW).unwrap()["imp"].origin.as_deref(),
            Some("imported")
        );
        // All or nothing: a second import of the same id changes nothing.
        assert!(store.import_run(&run, &origin, &json!({"p": 2})).is_err());
        assert_eq!(store.provenance("imp").unwrap(), Some(json!({"p": 1})));
    }

    #[test]
    fn cache_entries_are_replaced() {
        let (_dir, store) = fixture::store(&[]);
        assert_eq!(store.cached("k").unwrap(), None);
        store.cache("k", "1").unwrap();
        store.cache("k", "2").unwrap();
        assert_eq!(store.cached("k").unwrap().as_deref(), Some("2"));
    }
}
