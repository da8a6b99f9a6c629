//! Run locks: the process executing a run holds an exclusive `flock` on the run's
//! metadata folder (a folder, not a lock file: one file less to create per run). The kernel releases it when the process dies, however it dies,
//! so at start-up a PENDING or RUNNING run whose lock can be taken was abandoned
//! by a dead process and is marked interrupted — while runs that another live
//! flowdesk process (the GUI, a detached CLI run) is executing are left alone.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct RunLock {
    file: File,
}

impl RunLock {
    /// Take the lock on the folder `path` (created if missing), failing if another
    /// process holds it.
    pub fn try_acquire(path: &Path) -> std::io::Result<Option<RunLock>> {
        std::fs::create_dir_all(path)?;
        let file = File::open(path)?;
        // SAFETY: flock on a file descriptor we own; no memory is involved.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc == 0 {
            Ok(Some(RunLock { file }))
        } else {
            let error = std::io::Error::last_os_error();
            if error.raw_os_error() == Some(libc::EWOULDBLOCK) {
                Ok(None)
            } else {
                Err(error)
            }
        }
    }

    /// Like [`RunLock::try_acquire`] for a folder that must already exist.
    pub fn try_acquire_existing(path: &Path) -> std::io::Result<Option<RunLock>> {
        if !path.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "not a folder",
            ));
        }
        Self::try_acquire(path)
    }

    /// The descriptor, so a child process can inherit the lock.
    pub fn raw_fd(&self) -> i32 {
        self.file.as_raw_fd()
    }

    /// Adopt a descriptor inherited from the parent process (already locked).
    ///
    /// # Safety
    /// `fd` must be an open descriptor of a locked run lock file that nothing else
    /// in this process owns.
    pub unsafe fn from_inherited(fd: i32) -> RunLock {
        use std::os::fd::FromRawFd;
        // The parent cleared close-on-exec so that this process could inherit
        // the descriptor; set it again, or every step would inherit the lock and
        // keep the run "alive" after this process died.
        // SAFETY: fcntl on a descriptor the caller guarantees is open.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
            }
        }
        RunLock {
            // SAFETY: guaranteed by the caller.
            file: unsafe { File::from_raw_fd(fd) },
        }
    }
}

/// True if some live process holds the lock at `path`.
pub fn is_held(path: &Path) -> bool {
    if !path.exists() {
        return false;
    }
    matches!(RunLock::try_acquire(path), Ok(None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_cannot_be_taken_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x/lock");
        let held = RunLock::try_acquire(&path).unwrap().unwrap();
        assert!(RunLock::try_acquire(&path).unwrap().is_none());
        assert!(is_held(&path));
        drop(held);
        assert!(!is_held(&path));
        assert!(!is_held(&dir.path().join("none")));
    }
}
