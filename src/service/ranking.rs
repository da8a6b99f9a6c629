//! Leaderboards and post-processing. The leaderboard ranks successful runs by the
//! result schema (best run per submission by default). Post-processing re-runs
//! the template's `postproc` workflow whenever the ordered list of ranked runs
//! changes, with the runs folder laid out exactly as flowServ lays it out:
//! `<runs>/<run id>/<file>` for each requested file plus `<runs>/runs.json`, a list
//! in rank order of `{"id", "name", "files"}`.

use super::files::{copy_tree, io_error};
use super::lock::RunLock;
use super::run_folder::{write_expanded, PreparedRun, META_DIR};
use super::{new_id, Service, Shared};
use crate::engine::Engine;
use crate::error::ServiceError;
use crate::paths::join_inside;
use crate::store::{BoardOptions, Leaderboard, NewRun};
use crate::template::{SortColumn, Template};
use serde_json::{json, Value};
use std::sync::Arc;

impl Service {
    /// The leaderboard of a workflow: `order` empty means the template's default.
    pub fn leaderboard(
        &self,
        workflow_key: &str,
        order: &[SortColumn],
        all_runs: bool,
    ) -> Result<Option<Leaderboard>, ServiceError> {
        let options = BoardOptions {
            all_runs,
            reproduced_only: false,
        };
        self.leaderboard_with(workflow_key, order, options)
    }

    /// [`Service::leaderboard`] with every option (reproduced runs only).
    pub fn leaderboard_with(
        &self,
        workflow_key: &str,
        order: &[SortColumn],
        options: BoardOptions,
    ) -> Result<Option<Leaderboard>, ServiceError> {
        let workflow = self.workflow(workflow_key)?;
        let template = self.template(&workflow)?;
        let Some(schema) = &template.results else {
            return Ok(None);
        };
        for sort in order {
            if schema.column(&sort.name).is_none() {
                return Err(ServiceError::Invalid(format!(
                    "'{}' has no result column '{}'; columns are {}",
                    workflow.name,
                    sort.name,
                    schema
                        .columns
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        let order = if order.is_empty() {
            schema.effective_order()
        } else {
            order.to_vec()
        };
        Ok(Some(self.shared.store.leaderboard_with(
            &workflow.id,
            schema,
            &order,
            options,
        )?))
    }

    /// The latest post-processing run of a workflow, if any.
    pub fn postproc_run(
        &self,
        workflow_key: &str,
    ) -> Result<Option<crate::store::RunRecord>, ServiceError> {
        let workflow = self.workflow(workflow_key)?;
        match self.shared.store.postproc_state(&workflow.id)? {
            Some(crate::store::PostprocRecord {
                run_id: Some(run_id),
                ..
            }) => Ok(self.shared.store.run(&run_id)?),
            Some(_) => Ok(None),
            None => Ok(None),
        }
    }
}

/// Start post-processing for the workflow of `run_id` if its ranking changed.
pub(crate) fn maybe_postprocess(
    shared: &Arc<Shared>,
    engine: &Engine,
    run_id: &str,
) -> Result<(), ServiceError> {
    let store = &shared.store;
    let Some(run) = store.run(run_id)? else {
        return Ok(());
    };
    if run.submission_id.is_none() {
        return Ok(());
    }
    let Some(workflow) = store.workflow(&run.workflow_id)? else {
        return Ok(());
    };
    let template = Template::from_value(workflow.template.clone(), &workflow.name)?;
    let (Some(postproc), Some(schema)) = (&template.postproc, &template.results) else {
        return Ok(());
    };
    let ranking = store.leaderboard(&workflow.id, schema, &schema.effective_order(), false)?;
    if ranking.is_empty() {
        return Ok(());
    }
    let key = ranking.run_ids().collect::<Vec<_>>().join(",");
    if store
        .postproc_state(&workflow.id)?
        .is_some_and(|p| p.ranking_key == key)
    {
        return Ok(());
    }
    let expanded = match template.expand_postproc(&shared.expand_options_for(&workflow.id)) {
        Some(result) => result?,
        None => return Ok(()),
    };

    let pp_id = new_id(12);
    let run_dir = shared.run_dir(&pp_id);
    let lock = RunLock::try_acquire(&run_dir.join(META_DIR))
        .map_err(|e| io_error(&run_dir, e))?
        .ok_or_else(|| ServiceError::Invalid("post-processing run folder is in use".into()))?;
    let static_dir = shared.static_dir(&workflow.id);
    if static_dir.is_dir() {
        copy_tree(&static_dir, &static_dir, &run_dir)?;
    }
    let runs_dir = join_inside(&run_dir, &postproc.runs, false)
        .map_err(|e| ServiceError::UnsafePath(format!("postproc.inputs.runs: {e}")))?;
    std::fs::create_dir_all(&runs_dir).map_err(|e| io_error(&runs_dir, e))?;
    let mut listing = Vec::with_capacity(ranking.len());
    for entry in ranking.iter() {
        let source_dir = shared.run_dir(&entry.run_id);
        let target_dir = runs_dir.join(&entry.run_id);
        std::fs::create_dir_all(&target_dir).map_err(|e| io_error(&target_dir, e))?;
        for file in &postproc.input_files {
            let source = source_dir.join(file);
            if source.exists() {
                copy_tree(&source_dir, &source, &target_dir.join(file))?;
            }
        }
        listing.push(json!({
            "id": entry.run_id,
            "name": entry.submission_name,
            "files": postproc.input_files,
        }));
    }
    let runs_json = runs_dir.join("runs.json");
    std::fs::write(
        &runs_json,
        serde_json::to_string_pretty(&Value::Array(listing)).unwrap_or_default(),
    )
    .map_err(|e| io_error(&runs_json, e))?;
    let workflow_path = run_dir.join(META_DIR).join("workflow.json");
    std::fs::write(
        &workflow_path,
        serde_json::to_string(&expanded).unwrap_or_default(),
    )
    .map_err(|e| io_error(&workflow_path, e))?;
    let record = store.insert_run(&NewRun {
        id: pp_id.clone(),
        workflow_id: workflow.id.clone(),
        submission_id: None,
        arguments: json!({"runs": postproc.runs}),
    })?;
    store.set_postproc(&workflow.id, &pp_id, &key)?;
    let prepared = PreparedRun {
        run: record,
        lock,
        workflow: expanded,
        workers: None,
    };
    let executor = shared.executor.lock().ok().and_then(|e| e.clone());
    if let Some(program) = executor {
        // This process may exit soon (a CLI command): let the run outlive it.
        write_expanded(&run_dir, &prepared.workflow)?;
        return super::detach::spawn(&program, &shared.config.home, &pp_id, prepared.lock_fd());
    }
    if let Ok(mut workflows) = shared.workflows.lock() {
        workflows.insert(pp_id.clone(), prepared.workflow.clone());
    }
    if let Ok(mut locks) = shared.locks.lock() {
        locks.insert(pp_id.clone(), prepared.lock);
    }
    engine.submit(shared.job(pp_id, prepared.workflow, None))?;
    Ok(())
}
