//! Reproducing a run: run it again with the same arguments and the same input
//! files (found by their recorded hashes, wherever they are now), then compare
//! every output file's hash and every result value, exactly or within a
//! tolerance. The outcome is stored with the original run: *reproduced* (every
//! file and value the same), *reproduced within tolerance* (every value within
//! the tolerance; the largest deviation and what differs are kept), or
//! *differs* (what differs is listed).
//!
//! The comparison (`compare`) happens when the new run ends, on the finalizer
//! thread, so it is the same whether a command waits for it or the GUI moves
//! on.

use super::bundle::short;
use super::compare::Tolerance;
use super::provenance::provenance_of;
use super::runs::RunRequest;
use super::{Service, ServiceEvent};
use crate::error::ServiceError;
use crate::model::RunState;
use crate::store::RunRecord;
use serde_json::{json, Map, Value};

impl Service {
    /// Start reproducing a successful run; returns the new run (queued). Its
    /// outcome is stored with the original when the new run ends. `tolerance`
    /// overrides the benchmark's setting (`reproduce_tolerance` in settings).
    pub fn reproduce(
        &self,
        run_key: &str,
        tolerance: Option<&str>,
    ) -> Result<RunRecord, ServiceError> {
        let original = self.run(run_key)?;
        if original.state != RunState::Success {
            return Err(ServiceError::Invalid(format!(
                "run '{}' ended in {}: only a successful run can be reproduced",
                original.id, original.state
            )));
        }
        let submission_id = original.submission_id.clone().ok_or_else(|| {
            ServiceError::Invalid(format!(
                "run '{}' is a post-processing run; reproduce the runs it ranked",
                original.id
            ))
        })?;
        let workflow = self.workflow(&original.workflow_id)?;
        let tolerance = match tolerance {
            Some(text) => Some(text.to_string()),
            None => self.tolerance_setting(&workflow),
        };
        if let Some(text) = &tolerance {
            Tolerance::parse(text)?;
        }
        let provenance = provenance_of(&self.shared, &original.id)?.ok_or_else(|| {
            ServiceError::Invalid(format!(
                "run '{}' has no recorded provenance (it was made by an older flowdesk), so its inputs cannot be verified",
                original.id
            ))
        })?;
        let mut arguments: Map<String, Value> = match &original.arguments {
            Value::Object(map) => map.clone(),
            _ => Map::new(),
        };
        for input in &provenance.inputs {
            let Some(parameter) = &input.parameter else {
                continue;
            };
            if input.source == "template" {
                // The parameter's default, a template file: it applies again.
                arguments.remove(parameter);
                continue;
            }
            let file = self.input_file(&original.id, input).ok_or_else(|| {
                ServiceError::Invalid(format!(
                    "input '{parameter}' of run '{}' (`{}`, sha256 {}) is no longer on this computer in that version: the upload or file changed or is gone, and so is the run folder's copy",
                    original.id,
                    input.path,
                    short(&input.sha256)
                ))
            })?;
            arguments.insert(
                parameter.clone(),
                json!({"value": file.to_string_lossy(), "as": input.path}),
            );
        }
        // Arguments as recorded include defaults and cast values; a file
        // parameter's recorded value is its target, replaced above.
        let request = RunRequest {
            workflow: workflow.id.clone(),
            submission: Some(submission_id),
            arguments,
        };
        let prepared = self.prepare_run(&request)?;
        let run = prepared.run.clone();
        if let Err(e) =
            self.shared
                .store
                .start_reproduction(&original.id, &run.id, tolerance.as_deref())
        {
            drop(prepared);
            let _ = self.delete_run(&run.id);
            return Err(e.into());
        }
        self.execute(prepared)?;
        self.shared.emit(ServiceEvent::RunChanged {
            run_id: original.id.clone(),
        });
        Ok(run)
    }

    /// The benchmark's tolerance from the settings file (by id or name).
    fn tolerance_setting(&self, workflow: &crate::store::WorkflowRecord) -> Option<String> {
        let tolerances = &self.shared.config.settings.reproduce_tolerance;
        tolerances
            .get(&workflow.id)
            .or_else(|| tolerances.get(&workflow.name))
            .cloned()
    }

    /// A run's reproductions, oldest first.
    pub fn reproductions(
        &self,
        run_key: &str,
    ) -> Result<Vec<crate::store::ReproductionRecord>, ServiceError> {
        let run = self.run(run_key)?;
        Ok(self.shared.store.reproductions(&run.id)?)
    }

    /// Where the benchmark's imported runs came from and how reproductions of
    /// its runs went, by run.
    pub fn run_marks(
        &self,
        workflow_key: &str,
    ) -> Result<std::collections::HashMap<String, crate::store::RunMarks>, ServiceError> {
        let workflow = self.workflow(workflow_key)?;
        Ok(self.shared.store.run_marks(&workflow.id)?)
    }

    /// The reproduction run `run_key` is, if it is one.
    pub fn reproduction_by(
        &self,
        run_key: &str,
    ) -> Result<Option<crate::store::ReproductionRecord>, ServiceError> {
        Ok(self.shared.store.reproduction_by(run_key)?)
    }
}
