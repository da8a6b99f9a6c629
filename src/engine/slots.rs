//! Run slots shared by every flowdesk process of one home folder, so that
//! `max_parallel` holds across processes (the GUI, `run --wait`, detached runs),
//! not per process.
//!
//! The scheme uses nothing but files and `flock`, which the kernel releases when
//! a process dies, however it dies:
//!
//! - `slot-<i>` for i in 0..N: a run executes while it holds the lock of one;
//! - `queue/<time>-<run>`: a ticket per run waiting for a slot, locked by its
//!   process while it waits. A run may take a free slot only when fewer live
//!   tickets are ahead of it than there are free slots, so the queue is first in,
//!   first out across processes, and a reader can tell each waiting run's
//!   position. Tickets of dead processes are unlocked and are removed by whoever
//!   finds them.
//!
//! Tickets are created under a temporary name, locked, and renamed into place, so
//! a ticket is never seen unlocked while its owner lives.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

const QUEUE_DIR: &str = "queue";

/// The slots of one home folder.
#[derive(Debug, Clone)]
pub struct SlotPool {
    dir: PathBuf,
    /// Shared by the pool's clones, so a change of setting reaches them all.
    count: Arc<AtomicUsize>,
}

/// A run's place in the queue; dropping it leaves the queue.
#[derive(Debug)]
pub struct Ticket {
    path: PathBuf,
    _file: File,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        // Removed while still locked, so nobody takes it for a dead one first.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A held slot; dropping it frees the slot.
#[derive(Debug)]
pub struct Slot {
    _file: File,
}

/// Try to take an exclusive lock; `Ok(false)` if someone else holds it.
fn try_lock(file: &File) -> io::Result<bool> {
    // SAFETY: flock on a descriptor we own; no memory is involved.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let error = io::Error::last_os_error();
    if error.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(error)
    }
}

impl SlotPool {
    /// The pool in `dir` (created when first used) with `count` slots (at
    /// least one).
    pub fn new(dir: impl Into<PathBuf>, count: usize) -> SlotPool {
        SlotPool {
            dir: dir.into(),
            count: Arc::new(AtomicUsize::new(count.max(1))),
        }
    }

    pub fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Use `count` slots (at least one) from now on: runs holding a slot above
    /// it keep it until they end.
    pub fn set_count(&self, count: usize) {
        self.count.store(count.max(1), Ordering::Relaxed);
    }

    /// Join the queue.
    pub fn enqueue(&self, run_id: &str) -> io::Result<Ticket> {
        let queue = self.dir.join(QUEUE_DIR);
        std::fs::create_dir_all(&queue)?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name: String = run_id
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let path = queue.join(format!("{nanos:024}-{name}"));
        let temporary = queue.join(format!(".new-{nanos}-{}-{name}", std::process::id()));
        let file = File::create(&temporary)?;
        try_lock(&file)?;
        std::fs::rename(&temporary, &path)?;
        Ok(Ticket { path, _file: file })
    }

    /// Take a free slot for the run holding `ticket`, if it is its turn.
    pub fn try_take(&self, ticket: &Ticket) -> io::Result<Option<Slot>> {
        let ahead = live_tickets(&self.dir)?
            .iter()
            .take_while(|(path, _)| *path != ticket.path)
            .count();
        let count = self.count();
        if ahead >= count {
            return Ok(None);
        }
        let mut free = Vec::new();
        for index in 0..count {
            let path = self.dir.join(format!("slot-{index}"));
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)?;
            if try_lock(&file)? {
                free.push(file);
                if free.len() > ahead {
                    break;
                }
            }
        }
        if free.len() > ahead {
            // The others (if any) are released when dropped here.
            let file = free.swap_remove(free.len() - 1);
            return Ok(Some(Slot { _file: file }));
        }
        Ok(None)
    }
}

/// The live tickets in queue order, as (path, run id); dead ones are removed.
fn live_tickets(dir: &Path) -> io::Result<Vec<(PathBuf, String)>> {
    let queue = dir.join(QUEUE_DIR);
    let entries = match std::fs::read_dir(&queue) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut tickets: Vec<(String, PathBuf)> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            (!name.starts_with('.')).then(|| (name, entry.path()))
        })
        .collect();
    tickets.sort();
    let mut live = Vec::with_capacity(tickets.len());
    for (name, path) in tickets {
        let Ok(file) = File::open(&path) else {
            continue;
        };
        if try_lock(&file)? {
            // Nobody holds it: its process died while waiting.
            let _ = std::fs::remove_file(&path);
            continue;
        }
        let run_id = name.split_once('-').map(|(_, id)| id).unwrap_or_default();
        live.push((path, run_id.to_string()));
    }
    Ok(live)
}

/// The runs waiting for a slot in the pool folder `dir`, first in line first
/// (a run's position is its index plus one).
pub fn waiting(dir: &Path) -> Vec<String> {
    live_tickets(dir)
        .map(|tickets| tickets.into_iter().map(|(_, id)| id).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_go_in_queue_order_and_dead_tickets_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let pool = SlotPool::new(dir.path(), 2);
        let a = pool.enqueue("a").unwrap();
        let b = pool.enqueue("b").unwrap();
        let c = pool.enqueue("c").unwrap();
        assert_eq!(waiting(dir.path()), ["a", "b", "c"]);
        // Two slots, two runs ahead of c: c waits.
        assert!(pool.try_take(&c).unwrap().is_none());
        let slot_a = pool.try_take(&a).unwrap().unwrap();
        drop(a);
        let slot_b = pool.try_take(&b).unwrap().unwrap();
        drop(b);
        assert_eq!(waiting(dir.path()), ["c"]);
        // Both slots are taken.
        assert!(pool.try_take(&c).unwrap().is_none());
        drop(slot_a);
        let slot_c = pool.try_take(&c).unwrap().unwrap();
        drop(c);
        assert!(waiting(dir.path()).is_empty());
        drop((slot_b, slot_c));

        // A ticket whose owner died is not locked any more: it no longer
        // counts and is removed by whoever finds it.
        let dead = dir.path().join(QUEUE_DIR).join(format!("{:024}-dead", 0));
        std::fs::write(&dead, b"").unwrap();
        let pool = SlotPool::new(dir.path(), 1);
        let d = pool.enqueue("d").unwrap();
        assert_eq!(waiting(dir.path()), ["d"]);
        assert!(!dead.exists());
        assert!(pool.try_take(&d).unwrap().is_some());
    }
}
