//! Repeating a run: N runs with the same arguments, grouped as one run set, so
//! that the leaderboard can show how much a result varies (mean, standard
//! deviation, n) instead of the luckiest of N tries.

use super::run_folder::PreparedRun;
use super::runs::RunRequest;
use super::{new_id, Service};
use crate::error::ServiceError;
use crate::store::NewRunSet;

/// The most runs one run set may have.
pub const MAX_REPEAT: usize = 1000;

impl Service {
    /// Prepare `count` runs of `request` (PENDING, folders ready) and group
    /// them as a run set; the caller executes or hands over each. All or
    /// nothing: if one cannot be prepared, none is left behind.
    pub fn prepare_run_set(
        &self,
        request: &RunRequest,
        count: usize,
    ) -> Result<(String, Vec<PreparedRun>), ServiceError> {
        if !(1..=MAX_REPEAT).contains(&count) {
            return Err(ServiceError::Invalid(format!(
                "--repeat {count}: a run set has 1 to {MAX_REPEAT} runs"
            )));
        }
        let mut prepared: Vec<PreparedRun> = Vec::with_capacity(count);
        let abandon = |prepared: Vec<PreparedRun>| {
            for run in prepared {
                let id = run.run.id.clone();
                drop(run);
                let _ = self.shared.store.delete_run(&id);
                let _ = std::fs::remove_dir_all(self.shared.run_dir(&id));
            }
        };
        for _ in 0..count {
            match self.prepare_run(request) {
                Ok(run) => prepared.push(run),
                Err(e) => {
                    abandon(prepared);
                    return Err(e);
                }
            }
        }
        let first = &prepared[0].run;
        let set = NewRunSet {
            id: new_id(12),
            workflow_id: first.workflow_id.clone(),
            submission_id: first.submission_id.clone().unwrap_or_default(),
            run_ids: prepared.iter().map(|p| p.run.id.clone()).collect(),
        };
        if let Err(e) = self.shared.store.create_run_set(&set) {
            abandon(prepared);
            return Err(e.into());
        }
        Ok((set.id, prepared))
    }

    /// Start `count` runs of `request` in this process as one run set.
    pub fn start_run_set(
        &self,
        request: &RunRequest,
        count: usize,
    ) -> Result<(String, Vec<crate::store::RunRecord>), ServiceError> {
        let (set, prepared) = self.prepare_run_set(request, count)?;
        let runs = prepared.iter().map(|p| p.run.clone()).collect();
        for run in prepared {
            self.execute(run)?;
        }
        Ok((set, runs))
    }

    /// The run set a run belongs to, with all its runs.
    pub fn run_set_of(&self, run_key: &str) -> Result<Option<(String, Vec<String>)>, ServiceError> {
        let run = self.run(run_key)?;
        Ok(self.shared.store.run_set_of(&run.id)?)
    }
}
