//! The [`Engine`]: a tokio runtime of its own plus a FIFO queue that runs at most N
//! runs at once. It exists so that non-async code (the GUI thread, the CLI's
//! `main`) can start, cancel and watch runs without ever blocking, except in the
//! explicit `wait` calls. With a [`SlotPool`] the limit of N holds across every
//! process sharing the pool: a queued run also waits for a slot, and the queue
//! is polled while another process holds them all.

use super::cancel::CancelToken;
use super::runner;
use super::slots::{Slot, SlotPool, Ticket};
use super::worker::WorkerConfig;
use super::{EngineEvent, EventCallback, RunJob, RunOutcome};
use crate::error::EngineError;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How often queued runs look for a slot another process freed.
const SLOT_POLL: Duration = Duration::from_millis(100);

/// The message of runs the engine drops because it is shut down.
pub const INTERRUPTED: &str = "interrupted: flowdesk exited while the run was active";

/// Where a submitted run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for a free slot (PENDING).
    Queued,
    /// Executing (RUNNING).
    Running,
}

/// Runs workflows in the background. Dropping it kills the process groups of the
/// runs still executing and ends them, and the queued ones, with an error
/// ([`INTERRUPTED`]).
pub struct Engine {
    shared: Arc<Shared>,
    /// Dropped last (see `Drop`), which stops the remaining tasks.
    runtime: Option<tokio::runtime::Runtime>,
}

struct Shared {
    runtime: tokio::runtime::Handle,
    on_event: EventCallback,
    /// For runs that bring no worker configuration; replaced when the
    /// settings change (runs already started keep theirs).
    workers: Mutex<Arc<WorkerConfig>>,
    max_parallel: AtomicUsize,
    /// Slots shared with other processes, if any.
    slots: Option<SlotPool>,
    state: Mutex<State>,
    /// Signalled whenever a run finishes.
    changed: Condvar,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Queued>,
    running: HashMap<Arc<str>, Running>,
    shut_down: bool,
    /// A task will look for a free slot shortly.
    poll_armed: bool,
}

struct Queued {
    run_id: Arc<str>,
    job: RunJob,
    done: Arc<Completion>,
    /// The run's place in the shared queue (with a slot pool).
    ticket: Option<Ticket>,
}

struct Running {
    cancel: CancelToken,
    done: Arc<Completion>,
    /// Freed (for every process) when the run leaves the running set.
    _slot: Option<Slot>,
}

/// The outcome of one run, once it is known.
#[derive(Default)]
struct Completion {
    outcome: Mutex<Option<RunOutcome>>,
    ready: Condvar,
}

impl Completion {
    fn complete(&self, outcome: RunOutcome) {
        *lock(&self.outcome) = Some(outcome);
        self.ready.notify_all();
    }
}

/// A submitted run: lets a caller wait for its outcome. Cheap to clone.
#[derive(Clone)]
pub struct RunHandle {
    run_id: Arc<str>,
    done: Arc<Completion>,
}

impl std::fmt::Debug for RunHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunHandle")
            .field("run_id", &self.run_id)
            .field("outcome", &self.outcome())
            .finish()
    }
}

impl RunHandle {
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The outcome if the run has finished; never blocks.
    pub fn outcome(&self) -> Option<RunOutcome> {
        lock(&self.done.outcome).clone()
    }

    /// Block until the run has finished.
    pub fn wait(&self) -> RunOutcome {
        let mut outcome = lock(&self.done.outcome);
        loop {
            if let Some(outcome) = outcome.as_ref() {
                return outcome.clone();
            }
            outcome = self
                .done
                .ready
                .wait(outcome)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Block until the run has finished or `timeout` has passed.
    pub fn wait_timeout(&self, timeout: Duration) -> Option<RunOutcome> {
        let deadline = Instant::now() + timeout;
        let mut outcome = lock(&self.done.outcome);
        loop {
            if let Some(outcome) = outcome.as_ref() {
                return Some(outcome.clone());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            outcome = self
                .done
                .ready
                .wait_timeout(outcome, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

impl Engine {
    /// An engine running at most `max_parallel` runs at once (0 means
    /// [`Engine::default_parallelism`]), every step on the subprocess worker.
    pub fn new(
        max_parallel: usize,
        on_event: impl Fn(EngineEvent) + Send + Sync + 'static,
    ) -> Result<Self, EngineError> {
        Self::with_workers(max_parallel, WorkerConfig::default(), on_event)
    }

    /// Like [`Engine::new`], with a worker configuration for runs that bring none.
    pub fn with_workers(
        max_parallel: usize,
        workers: WorkerConfig,
        on_event: impl Fn(EngineEvent) + Send + Sync + 'static,
    ) -> Result<Self, EngineError> {
        Self::with_slots(max_parallel, workers, None, on_event)
    }

    /// Like [`Engine::with_workers`], with run slots shared with other
    /// processes: a run starts only once it holds one of the pool's slots.
    pub fn with_slots(
        max_parallel: usize,
        workers: WorkerConfig,
        slots: Option<SlotPool>,
        on_event: impl Fn(EngineEvent) + Send + Sync + 'static,
    ) -> Result<Self, EngineError> {
        let max_parallel = if max_parallel == 0 {
            Self::default_parallelism()
        } else {
            max_parallel
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(Self::default_parallelism().clamp(2, 4))
            .thread_name("flowdesk-engine")
            .enable_all()
            .build()
            .map_err(EngineError::Runtime)?;
        let shared = Arc::new(Shared {
            runtime: runtime.handle().clone(),
            on_event: Arc::new(on_event),
            workers: Mutex::new(Arc::new(workers)),
            max_parallel: AtomicUsize::new(max_parallel),
            slots,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        });
        Ok(Engine {
            shared,
            runtime: Some(runtime),
        })
    }

    /// The number of CPU cores (1 if unknown).
    pub fn default_parallelism() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }

    pub fn max_parallel(&self) -> usize {
        self.shared.max_parallel.load(Ordering::Relaxed)
    }

    /// Run at most `max_parallel` runs at once from now on (0 means
    /// [`Engine::default_parallelism`]): more queued runs start at once when it
    /// grows; when it shrinks, running runs go on and no new one starts until
    /// fewer run.
    pub fn set_max_parallel(&self, max_parallel: usize) {
        let max_parallel = if max_parallel == 0 {
            Self::default_parallelism()
        } else {
            max_parallel
        };
        self.shared
            .max_parallel
            .store(max_parallel, Ordering::Relaxed);
        if let Some(slots) = &self.shared.slots {
            slots.set_count(max_parallel);
        }
        if let Ok(mut state) = self.shared.state.lock() {
            self.shared.pump(&mut state);
        }
    }

    /// The worker configuration for runs started from now on that bring none.
    pub fn set_workers(&self, workers: WorkerConfig) {
        if let Ok(mut current) = self.shared.workers.lock() {
            *current = Arc::new(workers);
        }
    }

    /// Queue a run; it starts at once if a slot is free. Never blocks.
    pub fn submit(&self, job: RunJob) -> Result<RunHandle, EngineError> {
        let run_id: Arc<str> = Arc::from(job.run_id.as_str());
        let mut state = lock(&self.shared.state);
        if state.running.contains_key(&run_id) || state.queue.iter().any(|q| q.run_id == run_id) {
            return Err(EngineError::AlreadySubmitted(job.run_id));
        }
        let ticket = match &self.shared.slots {
            Some(slots) => Some(
                slots
                    .enqueue(&job.run_id)
                    .map_err(|e| EngineError::Slots(e.to_string()))?,
            ),
            None => None,
        };
        let done = Arc::new(Completion::default());
        let handle = RunHandle {
            run_id: run_id.clone(),
            done: done.clone(),
        };
        state.queue.push_back(Queued {
            run_id,
            job,
            done,
            ticket,
        });
        self.shared.pump(&mut state);
        Ok(handle)
    }

    /// Cancel a run. A queued run is removed and finishes as
    /// [`RunOutcome::Canceled`] before this returns; a running one has its process
    /// group killed and finishes as `Canceled` shortly after (well within a second).
    /// Returns false if the run is neither queued nor running.
    pub fn cancel(&self, run_id: &str) -> bool {
        let mut state = lock(&self.shared.state);
        if let Some(running) = state.running.get(run_id) {
            running.cancel.cancel();
            return true;
        }
        let Some(position) = state.queue.iter().position(|q| &*q.run_id == run_id) else {
            return false;
        };
        let queued = state.queue.remove(position);
        drop(state);
        if let Some(queued) = queued {
            self.shared.finish_unstarted(queued, RunOutcome::Canceled);
        }
        true
    }

    /// Cancel every queued and running run.
    pub fn cancel_all(&self) {
        let queued: Vec<Queued> = {
            let mut state = lock(&self.shared.state);
            for running in state.running.values() {
                running.cancel.cancel();
            }
            state.queue.drain(..).collect()
        };
        for queued in queued {
            self.shared.finish_unstarted(queued, RunOutcome::Canceled);
        }
    }

    pub fn state(&self, run_id: &str) -> Option<JobState> {
        let state = lock(&self.shared.state);
        if state.running.contains_key(run_id) {
            Some(JobState::Running)
        } else if state.queue.iter().any(|q| &*q.run_id == run_id) {
            Some(JobState::Queued)
        } else {
            None
        }
    }

    /// A handle on a queued or running run.
    pub fn handle(&self, run_id: &str) -> Option<RunHandle> {
        let state = lock(&self.shared.state);
        let (run_id, done) = match state.running.get_key_value(run_id) {
            Some((id, running)) => (id.clone(), running.done.clone()),
            None => {
                let queued = state.queue.iter().find(|q| &*q.run_id == run_id)?;
                (queued.run_id.clone(), queued.done.clone())
            }
        };
        Some(RunHandle { run_id, done })
    }

    pub fn running_count(&self) -> usize {
        lock(&self.shared.state).running.len()
    }

    pub fn queued_count(&self) -> usize {
        lock(&self.shared.state).queue.len()
    }

    /// Block until nothing is queued or running.
    pub fn wait_idle(&self) {
        let mut state = lock(&self.shared.state);
        while !(state.running.is_empty() && state.queue.is_empty()) {
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Block until nothing is queued or running, or `timeout` has passed; true if
    /// the engine is idle.
    pub fn wait_idle_timeout(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = lock(&self.shared.state);
        while !(state.running.is_empty() && state.queue.is_empty()) {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let queued: Vec<Queued> = {
            let mut state = lock(&self.shared.state);
            state.shut_down = true;
            state.queue.drain(..).collect()
        };
        for queued in queued {
            self.shared
                .finish_unstarted(queued, RunOutcome::Error(vec![INTERRUPTED.to_string()]));
        }
        // Dropping the runtime drops the running tasks: their process groups are
        // killed and their guards report them as interrupted.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

impl Shared {
    /// Start queued runs, first in first out, while this engine and the slot
    /// pool have room; if the pool is full, look again shortly. Called with the
    /// lock held.
    fn pump(self: &Arc<Self>, state: &mut State) {
        while !state.shut_down && state.running.len() < self.max_parallel.load(Ordering::Relaxed) {
            let Some(head) = state.queue.front() else {
                return;
            };
            let slot = match (&self.slots, &head.ticket) {
                (Some(slots), Some(ticket)) => match slots.try_take(ticket) {
                    Ok(Some(slot)) => Some(slot),
                    Ok(None) => {
                        self.poll_later(state);
                        return;
                    }
                    // A pool that cannot be used (its folder is gone or not
                    // writable) must not keep runs from starting.
                    Err(_) => None,
                },
                _ => None,
            };
            if let Some(queued) = state.queue.pop_front() {
                self.start(state, queued, slot);
            }
        }
    }

    /// Pump again after [`SLOT_POLL`], once, however many runs wait.
    fn poll_later(self: &Arc<Self>, state: &mut State) {
        if state.poll_armed {
            return;
        }
        state.poll_armed = true;
        let shared = Arc::clone(self);
        self.runtime.spawn(async move {
            tokio::time::sleep(SLOT_POLL).await;
            let mut state = lock(&shared.state);
            state.poll_armed = false;
            shared.pump(&mut state);
        });
    }

    /// Move a run to the running set and spawn its task. Called with the lock held.
    fn start(self: &Arc<Self>, state: &mut State, queued: Queued, slot: Option<Slot>) {
        let Queued {
            run_id, job, done, ..
        } = queued;
        let cancel = CancelToken::new();
        state.running.insert(
            run_id.clone(),
            Running {
                cancel: cancel.clone(),
                done: done.clone(),
                _slot: slot,
            },
        );
        let mut guard = RunGuard {
            shared: self.clone(),
            run_id,
            done,
            finished: false,
        };
        self.runtime.spawn(async move {
            let shared = guard.shared.clone();
            (shared.on_event)(EngineEvent::Started {
                run_id: guard.run_id.clone(),
            });
            let workers = match &job.workers {
                Some(workers) => Arc::clone(workers),
                None => shared
                    .workers
                    .lock()
                    .map(|w| Arc::clone(&w))
                    .unwrap_or_default(),
            };
            let outcome =
                runner::run_workflow(&job, &guard.run_id, &workers, &cancel, &shared.on_event)
                    .await;
            guard.finish(outcome);
        });
    }

    /// Report a run that never started and wake waiters.
    fn finish_unstarted(&self, queued: Queued, outcome: RunOutcome) {
        (self.on_event)(EngineEvent::Finished {
            run_id: queued.run_id,
            outcome: outcome.clone(),
        });
        queued.done.complete(outcome);
        self.changed.notify_all();
    }
}

/// Owned by a run's task: reports the outcome, frees the slot and starts the next
/// queued run. If the task is dropped before finishing (runtime shut down, panic),
/// the drop reports the run as interrupted so nobody waits forever.
struct RunGuard {
    shared: Arc<Shared>,
    run_id: Arc<str>,
    done: Arc<Completion>,
    finished: bool,
}

impl RunGuard {
    fn finish(&mut self, outcome: RunOutcome) {
        (self.shared.on_event)(EngineEvent::Finished {
            run_id: self.run_id.clone(),
            outcome: outcome.clone(),
        });
        self.finished = true;
        self.release(outcome);
    }

    /// Free the slot, start the next queued run and complete the handle (in that
    /// order, so a waiter that wakes up sees the run gone from the engine).
    fn release(&self, outcome: RunOutcome) {
        let mut state = lock(&self.shared.state);
        state.running.remove(&self.run_id);
        self.shared.pump(&mut state);
        drop(state);
        self.done.complete(outcome);
        self.shared.changed.notify_all();
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        if std::thread::panicking() {
            // The runner or the event callback panicked: do not call it again.
            self.release(RunOutcome::Error(vec![
                "internal error: the run stopped unexpectedly".to_string(),
            ]));
        } else {
            self.finish(RunOutcome::Error(vec![INTERRUPTED.to_string()]));
        }
    }
}

/// Lock a mutex, recovering from poisoning: the state stays consistent because
/// every critical section only moves entries between collections.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
