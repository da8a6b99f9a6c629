//! Runs that outlive the command that started them. `flowdesk run` without
//! `--wait`, and post-processing started by a short-lived command, are handed to a
//! detached `flowdesk __execute <run>` process. The child inherits the run's lock
//! descriptor, so at no moment is the run unlocked (which start-up recovery would
//! take for a dead process).

use super::run_folder::{write_expanded, PreparedRun};
use super::Service;
use crate::error::ServiceError;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

impl Service {
    /// Execute runs this service prepares (post-processing included) in detached
    /// `program __execute` processes instead of this process's engine. The CLI sets
    /// this; the GUI, which stays open, does not.
    pub fn set_detached_executor(&self, program: PathBuf) {
        if let Ok(mut slot) = self.shared.executor.lock() {
            *slot = Some(program);
        }
    }

    /// Hand a prepared run to a detached process.
    pub fn spawn_detached(&self, prepared: PreparedRun) -> Result<(), ServiceError> {
        let program = self
            .shared
            .executor
            .lock()
            .ok()
            .and_then(|p| p.clone())
            .map(Ok)
            .unwrap_or_else(std::env::current_exe)
            .map_err(|e| ServiceError::Invalid(format!("cannot find the flowdesk program: {e}")))?;
        write_expanded(&self.shared.run_dir(&prepared.run.id), &prepared.workflow)?;
        spawn(
            &program,
            &self.shared.config.home,
            &prepared.run.id,
            prepared.lock_fd(),
        )
    }
}

pub(crate) fn spawn(
    program: &Path,
    home: &Path,
    run_id: &str,
    lock_fd: i32,
) -> Result<(), ServiceError> {
    let mut command = std::process::Command::new(program);
    command
        .arg("--home")
        .arg(home)
        .arg("__execute")
        .arg(run_id)
        .env("FLOWDESK_LOCK_FD", lock_fd.to_string())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // SAFETY: only async-signal-safe calls (setsid, fcntl) between fork and exec.
    unsafe {
        command.pre_exec(move || {
            libc::setsid();
            let flags = libc::fcntl(lock_fd, libc::F_GETFD);
            if flags >= 0 {
                libc::fcntl(lock_fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC);
            }
            Ok(())
        });
    }
    let mut child = command.spawn().map_err(|e| {
        ServiceError::Invalid(format!("cannot start the run in the background: {e}"))
    })?;
    // Reap the child when it ends so it does not linger as a zombie of a
    // long-lived process.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}
