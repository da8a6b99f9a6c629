//! Submissions (flowServ's groups): a named entry on a benchmark's leaderboard that
//! owns its runs and the files its members uploaded. Names are unique within a
//! benchmark because the leaderboard shows them as the only handle users see.

use super::rows::{self, Fields, FromRow};
use super::{is_unique_violation, time, to_i64, workflows, Store};
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};
use serde_json::Value;

/// A submission to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSubmission {
    pub id: String,
    pub workflow_id: String,
    pub name: String,
    /// Variant parameters (flowServ's group parameters); `[]` when none.
    pub parameters: Value,
    pub engine_config: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SubmissionRecord {
    pub id: String,
    pub workflow_id: String,
    pub name: String,
    pub parameters: Value,
    pub engine_config: Option<Value>,
    pub created_at: DateTime<Utc>,
}

/// A file uploaded to a submission; `path` is where it lies, relative to the home
/// folder.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadRecord {
    pub id: String,
    pub submission_id: String,
    pub name: String,
    pub size: u64,
    pub sha256: String,
    pub path: String,
    pub created_at: DateTime<Utc>,
}

const SUBMISSION_COLUMNS: &str = "id, workflow_id, name, parameters, engine_config, created_at";
const UPLOAD_COLUMNS: &str = "id, submission_id, name, size, sha256, path, created_at";

impl FromRow for SubmissionRecord {
    const COLUMNS: &'static str = SUBMISSION_COLUMNS;

    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        let f = Fields::new(row, "submission", "id")?;
        Ok(SubmissionRecord {
            id: f.get("id")?,
            workflow_id: f.get("workflow_id")?,
            name: f.get("name")?,
            parameters: f.json("parameters")?,
            engine_config: f.json_opt("engine_config")?,
            created_at: f.time("created_at")?,
        })
    }
}

impl FromRow for UploadRecord {
    const COLUMNS: &'static str = UPLOAD_COLUMNS;

    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        let f = Fields::new(row, "upload", "id")?;
        Ok(UploadRecord {
            id: f.get("id")?,
            submission_id: f.get("submission_id")?,
            name: f.get("name")?,
            size: f.size("size")?,
            sha256: f.get("sha256")?,
            path: f.get("path")?,
            created_at: f.time("created_at")?,
        })
    }
}

fn duplicate_name(name: &str) -> StoreError {
    StoreError::Duplicate {
        kind: "submission",
        name: name.to_string(),
        scope: " for this benchmark",
    }
}

pub(super) fn not_found(id: &str) -> StoreError {
    rows::not_found("submission", id)
}

impl Store {
    pub fn insert_submission(
        &self,
        submission: &NewSubmission,
    ) -> Result<SubmissionRecord, StoreError> {
        let created_at = time::now();
        let mut conn = self.write();
        let transaction = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Checked first so that the error names the benchmark rather than a
        // nameless foreign key.
        let exists = transaction
            .query_row(
                "SELECT 1 FROM workflows WHERE id = ?1",
                [&submission.workflow_id],
                |_| Ok(()),
            )
            .optional()?;
        if exists.is_none() {
            return Err(workflows::not_found(&submission.workflow_id));
        }
        transaction
            .execute(
                &format!(
                    "INSERT INTO submissions ({SUBMISSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                ),
                params![
                    submission.id,
                    submission.workflow_id,
                    submission.name,
                    submission.parameters.to_string(),
                    submission.engine_config.as_ref().map(Value::to_string),
                    time::format(&created_at),
                ],
            )
            .map_err(|e| {
                if is_unique_violation(&e, "submissions.name") {
                    duplicate_name(&submission.name)
                } else if is_unique_violation(&e, "submissions.id") {
                    StoreError::DuplicateId {
                        kind: "submission",
                        id: submission.id.clone(),
                    }
                } else {
                    e.into()
                }
            })?;
        transaction.commit()?;
        Ok(SubmissionRecord {
            id: submission.id.clone(),
            workflow_id: submission.workflow_id.clone(),
            name: submission.name.clone(),
            parameters: submission.parameters.clone(),
            engine_config: submission.engine_config.clone(),
            created_at,
        })
    }

    /// The benchmark's submissions, oldest first.
    pub fn submissions(&self, workflow_id: &str) -> Result<Vec<SubmissionRecord>, StoreError> {
        let conn = self.read();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE workflow_id = ?1
             ORDER BY created_at, name"
        ))?;
        rows::all(&mut statement, [workflow_id])
    }

    pub fn submission(&self, id: &str) -> Result<Option<SubmissionRecord>, StoreError> {
        let conn = self.read();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id = ?1"
        ))?;
        rows::one(&mut statement, [id])
    }

    pub fn submission_by_name(
        &self,
        workflow_id: &str,
        name: &str,
    ) -> Result<Option<SubmissionRecord>, StoreError> {
        let conn = self.read();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE workflow_id = ?1 AND name = ?2"
        ))?;
        rows::one(&mut statement, [workflow_id, name])
    }

    pub fn rename_submission(&self, id: &str, name: &str) -> Result<(), StoreError> {
        let conn = self.write();
        let changed = conn
            .execute("UPDATE submissions SET name = ?2 WHERE id = ?1", [id, name])
            .map_err(|e| {
                if is_unique_violation(&e, "submissions.name") {
                    duplicate_name(name)
                } else {
                    e.into()
                }
            })?;
        if changed == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }

    /// Set or clear the submission's engine config (its worker configuration).
    pub fn set_engine_config(&self, id: &str, config: Option<&Value>) -> Result<(), StoreError> {
        let conn = self.write();
        let changed = conn.execute(
            "UPDATE submissions SET engine_config = ?2 WHERE id = ?1",
            params![id, config.map(Value::to_string)],
        )?;
        if changed == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }

    /// Remove a submission with its runs (and their files and results) and uploads.
    pub fn delete_submission(&self, id: &str) -> Result<(), StoreError> {
        let conn = self.write();
        if conn.execute("DELETE FROM submissions WHERE id = ?1", [id])? == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }

    pub fn insert_upload(&self, upload: &UploadRecord) -> Result<(), StoreError> {
        let size = to_i64(upload.size, &format!("upload '{}': size", upload.name))?;
        let mut conn = self.write();
        let transaction = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists = transaction
            .query_row(
                "SELECT 1 FROM submissions WHERE id = ?1",
                [&upload.submission_id],
                |_| Ok(()),
            )
            .optional()?;
        if exists.is_none() {
            return Err(not_found(&upload.submission_id));
        }
        transaction
            .execute(
                &format!(
                    "INSERT INTO uploads ({UPLOAD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                ),
                params![
                    upload.id,
                    upload.submission_id,
                    upload.name,
                    size,
                    upload.sha256,
                    upload.path,
                    time::format(&upload.created_at),
                ],
            )
            .map_err(|e| {
                if is_unique_violation(&e, "uploads.id") {
                    StoreError::DuplicateId {
                        kind: "upload",
                        id: upload.id.clone(),
                    }
                } else {
                    e.into()
                }
            })?;
        transaction.commit()?;
        Ok(())
    }

    /// A submission's uploaded files, oldest first.
    pub fn uploads(&self, submission_id: &str) -> Result<Vec<UploadRecord>, StoreError> {
        let conn = self.read();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE submission_id = ?1 ORDER BY created_at, name"
        ))?;
        rows::all(&mut statement, [submission_id])
    }

    pub fn upload(&self, id: &str) -> Result<Option<UploadRecord>, StoreError> {
        let conn = self.read();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = ?1"
        ))?;
        rows::one(&mut statement, [id])
    }

    pub fn delete_upload(&self, id: &str) -> Result<(), StoreError> {
        let conn = self.write();
        if conn.execute("DELETE FROM uploads WHERE id = ?1", [id])? == 0 {
            return Err(StoreError::NotFound {
                kind: "upload",
                id: id.to_string(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{self, WORKFLOW};
    use super::*;
    use serde_json::json;

    fn upload(id: &str, submission: &str) -> UploadRecord {
        UploadRecord {
            id: id.into(),
            submission_id: submission.into(),
            name: "names.txt".into(),
            size: 12,
            sha256: "ab".repeat(32),
            path: format!("workflows/{WORKFLOW}/groups/{submission}/files/{id}/names.txt"),
            created_at: time::now(),
        }
    }

    #[test]
    fn names_are_unique_per_benchmark() {
        let (_dir, store) = fixture::store(&["alpha", "beta"]);
        let err = store
            .insert_submission(&fixture::submission("other", "alpha"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "a submission named 'alpha' already exists for this benchmark"
        );
        assert!(matches!(err, StoreError::Duplicate { .. }));
        let err = store.rename_submission("beta", "alpha").unwrap_err();
        assert_eq!(
            err.to_string(),
            "a submission named 'alpha' already exists for this benchmark"
        );

        // The same name is fine on another benchmark.
        store
            .insert_workflow(&fixture::workflow("wf2", "Second"))
            .unwrap();
        let mut elsewhere = fixture::submission("alpha2", "alpha");
        elsewhere.workflow_id = "wf2".into();
        elsewhere.parameters = json!([{"name": "n", "dtype": "int"}]);
        elsewhere.engine_config = Some(json!({"workers": {"default": "docker"}}));
        store.insert_submission(&elsewhere).unwrap();
        let read = store.submission("alpha2").unwrap().unwrap();
        assert_eq!(read.parameters, elsewhere.parameters);
        assert_eq!(read.engine_config, elsewhere.engine_config);

        store.rename_submission("beta", "gamma").unwrap();
        assert_eq!(
            store
                .submission_by_name(WORKFLOW, "gamma")
                .unwrap()
                .unwrap()
                .id,
            "beta"
        );
        let names: Vec<String> = store
            .submissions(WORKFLOW)
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["alpha", "gamma"]);

        let err = store
            .insert_submission(&NewSubmission {
                workflow_id: "nope".into(),
                ..fixture::submission("x", "x")
            })
            .unwrap_err();
        assert_eq!(err.to_string(), "unknown benchmark 'nope'");
        assert_eq!(
            store
                .rename_submission("nope", "x")
                .unwrap_err()
                .to_string(),
            "unknown submission 'nope'"
        );
    }

    #[test]
    fn uploads_are_stored_listed_and_deleted() {
        let (_dir, store) = fixture::store(&["alpha"]);
        let first = upload("f1", "alpha");
        store.insert_upload(&first).unwrap();
        store.insert_upload(&upload("f2", "alpha")).unwrap();
        assert_eq!(store.upload("f1").unwrap().unwrap(), first);
        assert_eq!(store.uploads("alpha").unwrap().len(), 2);
        assert!(matches!(
            store.insert_upload(&first).unwrap_err(),
            StoreError::DuplicateId { .. }
        ));
        assert_eq!(
            store
                .insert_upload(&upload("f3", "nope"))
                .unwrap_err()
                .to_string(),
            "unknown submission 'nope'"
        );
        store.delete_upload("f1").unwrap();
        assert!(store.upload("f1").unwrap().is_none());
        assert!(store.delete_upload("f1").is_err());
    }

    #[test]
    fn deleting_a_submission_removes_its_uploads() {
        let (_dir, store) = fixture::store(&["alpha", "beta"]);
        store.insert_upload(&upload("f1", "alpha")).unwrap();
        store.insert_upload(&upload("f2", "beta")).unwrap();
        store.delete_submission("alpha").unwrap();
        assert!(store.submission("alpha").unwrap().is_none());
        assert!(store.upload("f1").unwrap().is_none());
        assert!(store.upload("f2").unwrap().is_some());
        assert!(store.integrity_check().unwrap());
    }
}
