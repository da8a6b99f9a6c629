//! What a process that died leaves behind, and how the next one cleans it up.
//!
//! A run is owned by the process holding its lock (see `lock`). When that
//! process dies, the kernel frees the lock, the run's step leaders die with it
//! (parent-death signal) and its sentinel kills their groups; what may still be
//! left are descendants that left their group and a store that still says
//! PENDING or RUNNING. Whoever opens the home folder next finds such runs by
//! their free lock, kills every process still tagged with their run folder,
//! stops the container a container step left running (a container does not
//! die with its `docker` client) and removes its env files, and
//! marks them ended — with a conditional update that quietly loses the race
//! against an owner that finished the run after all, so that a reading command
//! never fails because of another process's run.

use super::lock::is_held;
use super::run_folder::META_DIR;
use super::Service;
use crate::engine::{reaper, worker};
use crate::error::ServiceError;
use crate::store::{RunFilter, RunRecord, RunState};
use std::path::PathBuf;
use std::time::Duration;

/// How long killed leftovers get to disappear.
const KILL_PATIENCE: Duration = Duration::from_secs(3);

impl Service {
    /// PENDING or RUNNING runs whose owner is gone (their lock is free).
    pub(crate) fn abandoned_runs(&self) -> Result<Vec<RunRecord>, ServiceError> {
        let store = &self.shared.store;
        let mut abandoned = Vec::new();
        for state in [RunState::Pending, RunState::Running] {
            let runs = store.runs(&RunFilter {
                state: Some(state),
                include_postproc: true,
                ..Default::default()
            })?;
            for run in runs {
                if !self.is_owned_here(&run.id)
                    && !is_held(&self.shared.run_dir(&run.id).join(META_DIR))
                {
                    abandoned.push(run);
                }
            }
        }
        Ok(abandoned)
    }

    /// Whether this process executes the run.
    pub(crate) fn is_owned_here(&self, run_id: &str) -> bool {
        self.shared
            .locks
            .lock()
            .map(|locks| locks.contains_key(run_id))
            .unwrap_or(false)
    }

    /// Kill every process still tagged with one of the runs' folders (anywhere
    /// on the machine, as far as this user can see), stop the container a
    /// container step left running and remove its env files; returns how many
    /// processes and containers there were.
    pub(crate) fn kill_leftovers(&self, run_ids: &[String]) -> usize {
        let dirs: Vec<PathBuf> = run_ids.iter().map(|id| self.shared.run_dir(id)).collect();
        let found: Vec<libc::pid_t> = reaper::find_tagged(&dirs)
            .into_iter()
            .map(|(pid, _)| pid)
            .collect();
        if !found.is_empty() {
            reaper::kill_all(&found, KILL_PATIENCE);
        }
        let containers = dirs
            .iter()
            .filter_map(|dir| worker::clean_up_after_dead_owner(&dir.join(META_DIR)))
            .count();
        found.len() + containers
    }

    /// End runs a dead process left PENDING or RUNNING: kill what they left
    /// running, then mark them interrupted. Best effort and quiet: a run that
    /// ended meanwhile is left as it is, and a store that cannot be written now
    /// is tried again by the next process. Returns the runs it ended.
    pub(crate) fn recover_interrupted(&self) -> Vec<String> {
        let Ok(abandoned) = self.abandoned_runs() else {
            return Vec::new();
        };
        if abandoned.is_empty() {
            return Vec::new();
        }
        let ids: Vec<String> = abandoned.into_iter().map(|run| run.id).collect();
        self.kill_leftovers(&ids);
        let mut ended = Vec::new();
        for id in ids {
            let message = [super::INTERRUPTED.to_string()];
            if let Ok(true) = self
                .shared
                .store
                .finish_abandoned(&id, RunState::Error, &message)
            {
                ended.push(id);
            }
        }
        ended
    }

    /// Cancel a run whose owner is gone: kill what it left running and mark it
    /// CANCELED (unless it ended meanwhile).
    pub(crate) fn cancel_abandoned(&self, run_id: &str) -> Result<(), ServiceError> {
        self.kill_leftovers(&[run_id.to_string()]);
        self.shared.store.finish_abandoned(
            run_id,
            RunState::Canceled,
            &[super::CANCELED.to_string()],
        )?;
        Ok(())
    }
}
