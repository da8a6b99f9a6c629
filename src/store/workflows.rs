//! Installed benchmarks (flowServ's workflows): the template as installed, kept as
//! its normalized document so that a run never has to find the template folder
//! again, and its result schema, which also shapes the benchmark's result table.

use super::rows::{self, Fields, FromRow};
use super::{is_unique_violation, results, time, Store};
use crate::error::StoreError;
use crate::template::ResultSchema;
use chrono::{DateTime, Utc};
use rusqlite::{params, Row, TransactionBehavior};
use serde_json::Value;

/// A benchmark to install.
#[derive(Debug, Clone, PartialEq)]
pub struct NewWorkflow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub instructions: Option<String>,
    /// Where it was installed from (folder, archive, URL), for the user's benefit.
    pub source: Option<String>,
    /// The normalized template document.
    pub template: Value,
    pub result_schema: Option<ResultSchema>,
    pub postproc: Option<Value>,
}

/// An installed benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowRecord {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub instructions: Option<String>,
    pub source: Option<String>,
    pub template: Value,
    pub result_schema: Option<ResultSchema>,
    pub postproc: Option<Value>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, name, description, instructions, source, template, result_schema, postproc, created_at";

impl FromRow for WorkflowRecord {
    const COLUMNS: &'static str = COLUMNS;

    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        let f = Fields::new(row, "benchmark", "id")?;
        Ok(WorkflowRecord {
            id: f.get("id")?,
            name: f.get("name")?,
            description: f.get("description")?,
            instructions: f.get("instructions")?,
            source: f.get("source")?,
            template: f.json("template")?,
            result_schema: f.schema_opt("result_schema")?,
            postproc: f.json_opt("postproc")?,
            created_at: f.time("created_at")?,
        })
    }
}

impl Store {
    /// Record an installed benchmark and create its result table.
    pub fn insert_workflow(&self, workflow: &NewWorkflow) -> Result<WorkflowRecord, StoreError> {
        let schema = workflow
            .result_schema
            .as_ref()
            .map(|schema| {
                serde_json::to_string(schema).map_err(|e| StoreError::Invalid {
                    what: format!("benchmark '{}': result schema", workflow.name),
                    message: e.to_string(),
                })
            })
            .transpose()?;
        let created_at = time::now();
        let mut conn = self.write();
        let transaction = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        transaction
            .execute(
                &format!(
                    "INSERT INTO workflows ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                ),
                params![
                    workflow.id,
                    workflow.name,
                    workflow.description,
                    workflow.instructions,
                    workflow.source,
                    workflow.template.to_string(),
                    schema,
                    workflow.postproc.as_ref().map(Value::to_string),
                    time::format(&created_at),
                ],
            )
            .map_err(|e| {
                if is_unique_violation(&e, "workflows.name") {
                    StoreError::Duplicate {
                        kind: "benchmark",
                        name: workflow.name.clone(),
                        scope: "",
                    }
                } else if is_unique_violation(&e, "workflows.id") {
                    StoreError::DuplicateId {
                        kind: "benchmark",
                        id: workflow.id.clone(),
                    }
                } else {
                    e.into()
                }
            })?;
        if let Some(schema) = &workflow.result_schema {
            results::create_table(&transaction, &workflow.id, schema)?;
        }
        transaction.commit()?;
        Ok(WorkflowRecord {
            id: workflow.id.clone(),
            name: workflow.name.clone(),
            description: workflow.description.clone(),
            instructions: workflow.instructions.clone(),
            source: workflow.source.clone(),
            template: workflow.template.clone(),
            result_schema: workflow.result_schema.clone(),
            postproc: workflow.postproc.clone(),
            created_at,
        })
    }

    /// All installed benchmarks, by name.
    pub fn workflows(&self) -> Result<Vec<WorkflowRecord>, StoreError> {
        let conn = self.read();
        let mut statement =
            conn.prepare_cached(&format!("SELECT {COLUMNS} FROM workflows ORDER BY name"))?;
        rows::all(&mut statement, [])
    }

    pub fn workflow(&self, id: &str) -> Result<Option<WorkflowRecord>, StoreError> {
        self.workflow_where("id", id)
    }

    pub fn workflow_by_name(&self, name: &str) -> Result<Option<WorkflowRecord>, StoreError> {
        self.workflow_where("name", name)
    }

    fn workflow_where(
        &self,
        column: &str,
        value: &str,
    ) -> Result<Option<WorkflowRecord>, StoreError> {
        let conn = self.read();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM workflows WHERE {column} = ?1"
        ))?;
        rows::one(&mut statement, [value])
    }

    /// Rename a benchmark or edit its texts; `None` leaves a field as it is.
    pub fn update_workflow(
        &self,
        id: &str,
        name: Option<&str>,
        description: Option<&str>,
        instructions: Option<&str>,
    ) -> Result<WorkflowRecord, StoreError> {
        {
            let conn = self.write();
            let changed = conn
                .execute(
                    "UPDATE workflows SET name = coalesce(?2, name),
                         description = coalesce(?3, description),
                         instructions = coalesce(?4, instructions)
                     WHERE id = ?1",
                    params![id, name, description, instructions],
                )
                .map_err(|e| match name {
                    Some(name) if is_unique_violation(&e, "workflows.name") => {
                        StoreError::Duplicate {
                            kind: "benchmark",
                            name: name.to_string(),
                            scope: "",
                        }
                    }
                    _ => e.into(),
                })?;
            if changed == 0 {
                return Err(not_found(id));
            }
        }
        self.workflow(id)?.ok_or_else(|| not_found(id))
    }

    /// Remove a benchmark with its submissions, uploads, runs, results and
    /// post-processing record. Files on disk are the caller's to remove.
    pub fn delete_workflow(&self, id: &str) -> Result<(), StoreError> {
        let mut conn = self.write();
        let transaction = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Dropping the result table first spares the cascade from deleting its rows
        // one run at a time.
        results::drop_table(&transaction, id)?;
        if transaction.execute("DELETE FROM workflows WHERE id = ?1", [id])? == 0 {
            return Err(not_found(id));
        }
        transaction.commit()?;
        Ok(())
    }
}

pub(super) fn not_found(id: &str) -> StoreError {
    rows::not_found("benchmark", id)
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{self, WORKFLOW};
    use super::*;

    #[test]
    fn insert_read_update_and_unique_names() {
        let (_dir, store) = fixture::store(&[]);
        let record = store.workflow(WORKFLOW).unwrap().unwrap();
        assert_eq!(record.name, "Hello World");
        assert_eq!(record.result_schema, Some(fixture::schema()));
        assert_eq!(
            record.template,
            serde_json::json!({"workflow": {"files": {}}})
        );
        assert_eq!(
            store.workflow_by_name("Hello World").unwrap().unwrap().id,
            WORKFLOW
        );
        assert!(store.workflow("nope").unwrap().is_none());

        let err = store
            .insert_workflow(&fixture::workflow("wf2", "Hello World"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "a benchmark named 'Hello World' already exists"
        );
        let err = store
            .insert_workflow(&fixture::workflow(WORKFLOW, "Other"))
            .unwrap_err();
        assert!(matches!(err, StoreError::DuplicateId { .. }), "{err}");

        store
            .insert_workflow(&fixture::workflow("wf2", "Second"))
            .unwrap();
        let err = store
            .update_workflow("wf2", Some("Hello World"), None, None)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "a benchmark named 'Hello World' already exists"
        );
        let updated = store
            .update_workflow("wf2", Some("Renamed"), None, Some("New instructions"))
            .unwrap();
        assert_eq!(updated.name, "Renamed");
        assert_eq!(updated.description.as_deref(), Some("A test benchmark"));
        assert_eq!(updated.instructions.as_deref(), Some("New instructions"));
        let names: Vec<String> = store
            .workflows()
            .unwrap()
            .into_iter()
            .map(|w| w.name)
            .collect();
        assert_eq!(names, ["Hello World", "Renamed"]);
        let err = store
            .update_workflow("nope", Some("x"), None, None)
            .unwrap_err();
        assert_eq!(err.to_string(), "unknown benchmark 'nope'");
    }

    #[test]
    fn workflow_without_schema_has_no_result_table() {
        let (_dir, store) = fixture::store(&[]);
        let mut plain = fixture::workflow("plain", "Plain");
        plain.result_schema = None;
        store.insert_workflow(&plain).unwrap();
        assert_eq!(
            store.workflow("plain").unwrap().unwrap().result_schema,
            None
        );
        store.delete_workflow("plain").unwrap();
        assert!(store.workflow("plain").unwrap().is_none());
        assert_eq!(
            store.delete_workflow("plain").unwrap_err().to_string(),
            "unknown benchmark 'plain'"
        );
    }
}
