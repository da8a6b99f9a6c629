//! A run folder as flowdesk lays it out: the run's files at the top, flowdesk's
//! own in [`META_DIR`] (log, lock, expanded workflow, cancel request), and a
//! prepared run that holds the folder's lock. Shared by starting runs,
//! post-processing and handing runs to detached processes.

use super::io_error;
use super::lock::RunLock;
use crate::engine::WorkerConfig;
use crate::error::ServiceError;
use crate::store::RunRecord;
use crate::workflow::SerialWorkflow;
use std::path::Path;
use std::sync::Arc;

/// Folder inside each run folder for flowdesk's own files (log, lock, workflow).
pub const META_DIR: &str = ".flowdesk";
/// The run's log, inside [`META_DIR`].
pub const LOG_FILE: &str = "log.txt";
/// The expanded workflow of a run handed to another process, inside [`META_DIR`].
pub(crate) const WORKFLOW_FILE: &str = "workflow.json";
/// Left by another process to ask for a cancel, inside [`META_DIR`].
pub(crate) const CANCEL_FILE: &str = "cancel";

/// A prepared run: in the store as PENDING, its folder ready, its lock held.
pub struct PreparedRun {
    pub run: RunRecord,
    pub(crate) lock: RunLock,
    pub(crate) workflow: SerialWorkflow,
    /// The submission's own worker configuration, if it has one.
    pub(crate) workers: Option<Arc<WorkerConfig>>,
}

impl PreparedRun {
    /// The lock descriptor, for handing the run to a child process.
    pub fn lock_fd(&self) -> i32 {
        self.lock.raw_fd()
    }
}

pub(crate) fn read_expanded(run_dir: &Path) -> Option<SerialWorkflow> {
    let text = std::fs::read_to_string(run_dir.join(META_DIR).join(WORKFLOW_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Save the expanded workflow in the run folder, for a process that executes the
/// run in place of this one (runs of this process keep it in memory).
pub(crate) fn write_expanded(
    run_dir: &Path,
    workflow: &SerialWorkflow,
) -> Result<(), ServiceError> {
    let path = run_dir.join(META_DIR).join(WORKFLOW_FILE);
    let text = serde_json::to_string(workflow).unwrap_or_default();
    std::fs::write(&path, text).map_err(|e| io_error(&path, e))
}
