//! Post-processing bookkeeping: which run last post-processed a benchmark, and for
//! which ranking. The service starts a new post-processing run only when the
//! ranking differs from the recorded one, as flowServ does; keeping it in the
//! database makes that decision survive restarts and agree between processes.

use super::rows::{self, Fields, FromRow};
use super::{runs, time, Store};
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};

#[derive(Debug, Clone, PartialEq)]
pub struct PostprocRecord {
    pub workflow_id: String,
    /// The last post-processing run; `None` once that run has been deleted.
    pub run_id: Option<String>,
    /// That run's state, read live from the run.
    pub state: Option<runs::RunState>,
    /// What the run was computed for, as the service encodes it (e.g. the JSON list
    /// of ranked run ids, in rank order).
    pub ranking_key: String,
    pub updated_at: DateTime<Utc>,
}

impl FromRow for PostprocRecord {
    const COLUMNS: &'static str =
        "p.workflow_id AS workflow_id, p.run_id AS run_id, r.state AS state, p.ranking_key AS ranking_key, p.updated_at AS updated_at";

    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        let f = Fields::new(row, "post-processing of benchmark", "workflow_id")?;
        Ok(PostprocRecord {
            workflow_id: f.get("workflow_id")?,
            run_id: f.get("run_id")?,
            state: f
                .get::<Option<String>>("state")?
                .map(|state| state.parse().map_err(StoreError::Corrupt))
                .transpose()?,
            ranking_key: f.get("ranking_key")?,
            updated_at: f.time("updated_at")?,
        })
    }
}

impl Store {
    pub fn postproc_state(&self, workflow_id: &str) -> Result<Option<PostprocRecord>, StoreError> {
        let conn = self.read();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {} FROM postproc p LEFT JOIN runs r ON r.id = p.run_id
             WHERE p.workflow_id = ?1",
            PostprocRecord::COLUMNS
        ))?;
        rows::one(&mut statement, [workflow_id])
    }

    /// Record that `run_id` post-processes the benchmark for `ranking_key`.
    pub fn set_postproc(
        &self,
        workflow_id: &str,
        run_id: &str,
        ranking_key: &str,
    ) -> Result<(), StoreError> {
        let conn = self.write();
        let owner: Option<String> = conn
            .query_row(
                "SELECT workflow_id FROM runs WHERE id = ?1",
                [run_id],
                |row| row.get(0),
            )
            .optional()?;
        match owner {
            None => return Err(runs::not_found(run_id)),
            Some(owner) if owner != workflow_id => {
                return Err(StoreError::Invalid {
                    what: format!("run '{run_id}'"),
                    message: format!("it belongs to benchmark '{owner}', not '{workflow_id}'"),
                })
            }
            Some(_) => {}
        }
        conn.execute(
            "INSERT INTO postproc (workflow_id, run_id, ranking_key, updated_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (workflow_id) DO UPDATE SET
                 run_id = excluded.run_id,
                 ranking_key = excluded.ranking_key,
                 updated_at = excluded.updated_at",
            params![workflow_id, run_id, ranking_key, time::format(&time::now())],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{self, WORKFLOW};
    use super::super::{NewRun, RunState};
    use serde_json::json;

    #[test]
    fn records_the_last_post_processing_run_and_its_ranking() {
        let (_dir, store) = fixture::store(&["alpha"]);
        assert!(store.postproc_state(WORKFLOW).unwrap().is_none());
        for id in ["pp1", "pp2"] {
            store
                .insert_run(&NewRun {
                    id: id.into(),
                    workflow_id: WORKFLOW.into(),
                    submission_id: None,
                    arguments: json!({}),
                })
                .unwrap();
        }
        store
            .set_postproc(WORKFLOW, "pp1", r#"["r1","r2"]"#)
            .unwrap();
        store
            .set_postproc(WORKFLOW, "pp2", r#"["r2","r1"]"#)
            .unwrap();
        let record = store.postproc_state(WORKFLOW).unwrap().unwrap();
        assert_eq!(record.run_id.as_deref(), Some("pp2"));
        assert_eq!(record.state, Some(RunState::Pending));
        assert_eq!(record.ranking_key, r#"["r2","r1"]"#);

        // Deleting the run keeps the ranking it was computed for.
        store.delete_run("pp2").unwrap();
        let record = store.postproc_state(WORKFLOW).unwrap().unwrap();
        assert_eq!((record.run_id, record.state), (None, None));
        assert_eq!(record.ranking_key, r#"["r2","r1"]"#);
        assert_eq!(
            store
                .set_postproc(WORKFLOW, "nope", "[]")
                .unwrap_err()
                .to_string(),
            "unknown run 'nope'"
        );
        store.delete_workflow(WORKFLOW).unwrap();
        assert!(store.postproc_state(WORKFLOW).unwrap().is_none());
    }
}
