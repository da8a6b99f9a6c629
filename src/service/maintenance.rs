//! Keeping things tidy: submissions, uploads, renaming, deleting runs, exporting
//! outputs as `.tar.gz`, and cleaning up old runs.

use super::files::{io_error, list_files, sha256_file, write_tar_gz};
use super::run_folder::{LOG_FILE, META_DIR};
use super::{new_id, Service};
use crate::error::ServiceError;
use crate::store::{
    NewSubmission, RunFilter, RunRecord, RunState, SubmissionRecord, UploadRecord, WorkflowRecord,
};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

impl Service {
    /// Rename a workflow and/or change its description and instructions.
    pub fn update_workflow(
        &self,
        key: &str,
        name: Option<&str>,
        description: Option<&str>,
        instructions: Option<&str>,
    ) -> Result<WorkflowRecord, ServiceError> {
        let workflow = self.workflow(key)?;
        if let Some(name) = name {
            crate::paths::check_name(name).map_err(ServiceError::Invalid)?;
        }
        self.shared
            .store
            .update_workflow(&workflow.id, name, description, instructions)?;
        self.workflow(&workflow.id)
    }

    /// Create a submission (a flowServ group) for a workflow.
    pub fn create_submission(
        &self,
        workflow_key: &str,
        name: &str,
    ) -> Result<SubmissionRecord, ServiceError> {
        let workflow = self.workflow(workflow_key)?;
        crate::paths::check_name(name).map_err(ServiceError::Invalid)?;
        Ok(self.shared.store.insert_submission(&NewSubmission {
            id: new_id(12),
            workflow_id: workflow.id,
            name: name.to_string(),
            parameters: serde_json::Value::Array(Vec::new()),
            engine_config: None,
        })?)
    }

    pub fn rename_submission(
        &self,
        key: &str,
        name: &str,
    ) -> Result<SubmissionRecord, ServiceError> {
        let submission = self.submission(key, None)?;
        crate::paths::check_name(name).map_err(ServiceError::Invalid)?;
        self.shared.store.rename_submission(&submission.id, name)?;
        self.submission(&submission.id, None)
    }

    /// Give a submission its own worker configuration (flowServ's engine config
    /// of a group: either form of [`crate::engine::WorkerConfig`]), used by its
    /// runs instead of the configured one; `None` goes back to that. The
    /// configuration is checked first, so a broken one is never stored.
    pub fn set_engine_config(
        &self,
        key: &str,
        config: Option<serde_json::Value>,
    ) -> Result<SubmissionRecord, ServiceError> {
        let mut submission = self.submission(key, None)?;
        submission.engine_config = config;
        super::runs::submission_workers(&submission)?;
        self.shared
            .store
            .set_engine_config(&submission.id, submission.engine_config.as_ref())?;
        self.submission(&submission.id, None)
    }

    /// Delete a submission with its runs and uploaded files.
    pub fn delete_submission(&self, key: &str) -> Result<SubmissionRecord, ServiceError> {
        let submission = self.submission(key, None)?;
        let runs = self.shared.store.runs(&RunFilter {
            submission_id: Some(submission.id.clone()),
            ..Default::default()
        })?;
        for run in &runs {
            if !run.state.is_finished() {
                self.engine.cancel(&run.id);
            }
        }
        self.shared.store.delete_submission(&submission.id)?;
        for run in &runs {
            let _ = std::fs::remove_dir_all(self.shared.run_dir(&run.id));
        }
        let _ = std::fs::remove_dir_all(self.upload_dir(&submission));
        Ok(submission)
    }

    fn upload_dir(&self, submission: &SubmissionRecord) -> PathBuf {
        self.shared
            .config
            .home
            .join("workflows")
            .join(&submission.workflow_id)
            .join("groups")
            .join(&submission.id)
            .join("files")
    }

    /// Upload a local file to a submission.
    pub fn upload(&self, submission_key: &str, file: &Path) -> Result<UploadRecord, ServiceError> {
        let submission = self.submission(submission_key, None)?;
        let meta = std::fs::metadata(file).map_err(|e| io_error(file, e))?;
        if !meta.is_file() {
            return Err(ServiceError::Invalid(format!(
                "`{}` is not a file",
                super::tree::shown(file)
            )));
        }
        let name = file.file_name().ok_or_else(|| {
            ServiceError::Invalid(format!("`{}` has no file name", super::tree::shown(file)))
        })?;
        let name = super::tree::utf8_name(name, file)?.to_string();
        if let Some(bad) = name.chars().find(|c| c.is_control()) {
            return Err(ServiceError::Invalid(format!(
                "`{}`: the file name holds the control character {bad:?}; rename the file first",
                super::tree::shown(file)
            )));
        }
        let id = new_id(12);
        let dir = self.upload_dir(&submission).join(&id);
        std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        let target = dir.join(&name);
        std::fs::copy(file, &target).map_err(|e| io_error(file, e))?;
        let (sha256, size) = sha256_file(&target)?;
        let record = UploadRecord {
            id,
            submission_id: submission.id.clone(),
            name,
            size,
            sha256,
            path: target
                .strip_prefix(&self.shared.config.home)
                .unwrap_or(&target)
                .to_string_lossy()
                .into_owned(),
            created_at: chrono::Utc::now(),
        };
        match self.shared.store.insert_upload(&record) {
            Ok(()) => Ok(self.shared.store.upload(&record.id)?.unwrap_or(record)),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                Err(e.into())
            }
        }
    }

    pub fn uploads(&self, submission_key: &str) -> Result<Vec<UploadRecord>, ServiceError> {
        let submission = self.submission(submission_key, None)?;
        Ok(self.shared.store.uploads(&submission.id)?)
    }

    pub fn delete_upload(&self, id: &str) -> Result<UploadRecord, ServiceError> {
        let upload = self
            .shared
            .store
            .upload(id)?
            .ok_or_else(|| ServiceError::UnknownUpload(id.to_string()))?;
        self.shared.store.delete_upload(&upload.id)?;
        if let Some(dir) = self.shared.config.home.join(&upload.path).parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
        Ok(upload)
    }

    /// Delete a finished run with its folder.
    pub fn delete_run(&self, key: &str) -> Result<RunRecord, ServiceError> {
        let run = self.run(key)?;
        if !run.state.is_finished() {
            return Err(ServiceError::Invalid(format!(
                "run '{}' is still {}; cancel it first",
                run.id,
                run.state.as_str()
            )));
        }
        let dir = self.shared.run_dir(&run.id);
        let store = &self.shared.store;
        match self.shared.write_with_reserve(|| store.delete_run(&run.id)) {
            Ok(()) => {}
            // Even the reserve is gone: the run's own files are what can be
            // freed, and they are to go anyway.
            Err(e) if e.is_disk_full() => {
                let _ = std::fs::remove_dir_all(&dir);
                store.delete_run(&run.id)?;
            }
            Err(e) => return Err(e.into()),
        }
        let _ = std::fs::remove_dir_all(dir);
        Ok(run)
    }

    /// The path of one output file of a run (checked to stay inside the run).
    pub fn run_file(&self, run_key: &str, file_key: &str) -> Result<PathBuf, ServiceError> {
        let run = self.run(run_key)?;
        let files = self.shared.store.run_files(&run.id)?;
        let file = files
            .iter()
            .find(|f| f.key == file_key || f.path == file_key)
            .ok_or_else(|| {
                ServiceError::Invalid(format!("run '{}' has no output file '{file_key}'", run.id))
            })?;
        crate::paths::join_inside(&self.shared.run_dir(&run.id), &file.path, false)
            .map_err(|e| ServiceError::UnsafePath(e.to_string()))
    }

    /// Pack a run's output files and log into a `.tar.gz`.
    pub fn export_run(&self, run_key: &str, out: &Path) -> Result<usize, ServiceError> {
        let run = self.run(run_key)?;
        let dir = self.shared.run_dir(&run.id);
        let mut files: Vec<String> = self
            .shared
            .store
            .run_files(&run.id)?
            .into_iter()
            .map(|f| f.path)
            .collect();
        let log = format!("{META_DIR}/{}", LOG_FILE);
        if dir.join(&log).is_file() {
            files.push(log);
        }
        if files.is_empty() {
            files = list_files(&dir, &[]);
        }
        write_tar_gz(&dir, &files, &run.id, out)?;
        Ok(files.len())
    }

    /// Pack the latest post-processing outputs of a workflow.
    pub fn export_postproc(&self, workflow_key: &str, out: &Path) -> Result<usize, ServiceError> {
        let run = self.postproc_run(workflow_key)?.ok_or_else(|| {
            ServiceError::Invalid(format!(
                "'{workflow_key}' has no post-processing results yet"
            ))
        })?;
        self.export_run(&run.id, out)
    }

    /// Delete finished runs created before `before`, optionally only in `state`.
    pub fn cleanup(
        &self,
        before: DateTime<Utc>,
        state: Option<RunState>,
        workflow_key: Option<&str>,
    ) -> Result<Vec<RunRecord>, ServiceError> {
        let workflow_id = match workflow_key {
            Some(key) => Some(self.workflow(key)?.id),
            None => None,
        };
        let runs = self
            .shared
            .store
            .runs_before(before, state, workflow_id.as_deref())?;
        let mut deleted = Vec::new();
        for run in runs {
            if run.state.is_finished() {
                self.shared.store.delete_run(&run.id)?;
                let _ = std::fs::remove_dir_all(self.shared.run_dir(&run.id));
                deleted.push(run);
            }
        }
        Ok(deleted)
    }
}
