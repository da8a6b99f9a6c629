//! The engine runs serial workflows: one run folder per run, each step with its
//! worker (shell, Docker, papermill, Python code) in that folder, output captured line by line to a log file
//! and to live events, cancellation that kills whole process trees, and a queue that
//! runs at most N runs at once.
//!
//! It knows nothing about SQL or templates: the service layer creates the run folder,
//! copies the files in, submits a [`RunJob`], and stores the results when it gets
//! [`EngineEvent::Finished`]. Everything is reported through one callback, so the
//! GUI can forward events to its channel and request a repaint without the engine
//! depending on egui.
//!
//! - [`process`]: one command in its own process group;
//! - `runner`: the steps of one workflow in order, their inputs, outputs and
//!   time limits;
//! - `step`: what the runner hands a worker for one step (context, stop,
//!   deadline, output sink, the run's log);
//! - [`worker`]: which worker runs a step, and the workers themselves;
//! - `queue`: the [`Engine`], its runtime and its FIFO queue.

mod cancel;
pub mod log;
pub mod process;
mod queue;
pub mod reaper;
mod runner;
pub mod slots;
mod step;
pub mod worker;

pub use cancel::CancelToken;
pub use process::{ExitStatus, OutputLine, Stream, Usage};
pub use queue::{Engine, JobState, RunHandle, INTERRUPTED};
pub use slots::SlotPool;
pub use worker::{WorkerConfig, WorkerKind, WorkerSpec};

use crate::workflow::SerialWorkflow;
use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// One run to execute.
#[derive(Debug, Clone)]
pub struct RunJob {
    /// Unique among the runs queued or running in one [`Engine`].
    pub run_id: String,
    /// The run folder: it must exist and hold the workflow's input files. Commands
    /// run here.
    pub run_dir: PathBuf,
    /// The workflow with its `$[[…]]` references expanded. `${var}` in commands
    /// and step `env` values is still to be expanded: the engine does that when
    /// the step starts, with the workflow's `variables`, the results of earlier
    /// code steps and the worker's `variables` (see [`worker`]). A literal `$` in
    /// a command is written `$$`, as in flowServ.
    pub workflow: SerialWorkflow,
    /// The run's log file, created (with its folder) when the run starts; one line
    /// per output line: `<timestamp> <step> <stdout|stderr> <line>` (one file for
    /// all steps; the step column tells them apart).
    pub log_path: PathBuf,
    /// Environment variables for every command, on top of this process's
    /// environment; a step's own `env` overrides them.
    pub env: IndexMap<String, String>,
    /// Worker configuration for this run (a submission's engine config); `None`
    /// uses the engine's.
    pub workers: Option<Arc<WorkerConfig>>,
    /// How long one step may run (a worker's `timeout` overrides it); `None`
    /// for no limit. A step past it is stopped and the run ends in ERROR.
    pub step_timeout: Option<Duration>,
    /// How long the whole run may take; `None` for no limit.
    pub run_timeout: Option<Duration>,
    /// The most bytes the log keeps (its first and last half); `None` for no
    /// limit. See [`log`].
    pub log_limit: Option<u64>,
}

impl RunJob {
    /// A job with the default log path ([`RunJob::default_log_path`]), no extra
    /// environment, the engine's worker configuration and no time limits.
    pub fn new(
        run_id: impl Into<String>,
        run_dir: impl Into<PathBuf>,
        workflow: SerialWorkflow,
    ) -> Self {
        let run_dir = run_dir.into();
        RunJob {
            run_id: run_id.into(),
            log_path: Self::default_log_path(&run_dir),
            run_dir,
            workflow,
            env: IndexMap::new(),
            workers: None,
            step_timeout: None,
            run_timeout: None,
            log_limit: None,
        }
    }

    /// `<run_dir>/.flowdesk/log.txt`.
    pub fn default_log_path(run_dir: &std::path::Path) -> PathBuf {
        run_dir.join(".flowdesk").join("log.txt")
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    Success,
    /// The messages explain the failure; the first names the step.
    Error(Vec<String>),
    Canceled,
}

/// What one step ran and used, for the run's provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    /// 0-based position in the workflow.
    pub index: usize,
    pub name: String,
    /// The worker that ran it (`subprocess`, `docker`, `notebook`, `nbdocker`,
    /// `code`, or a configured worker's name).
    pub worker: String,
    /// The worker's kind (`subprocess`, `docker`, …).
    pub kind: String,
    /// The container image, when a container runs it.
    pub image: Option<String>,
    /// The programs it started, in order: a shell command as expanded, else
    /// the program and its arguments quoted for `sh`.
    pub commands: Vec<String>,
    /// How its last program ended by itself; `None` if none did (stopped, or
    /// it failed to start).
    pub exit: Option<ExitStatus>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// The largest resident memory of any process of the step, in bytes
    /// (`wait4`'s `ru_maxrss`); `None` where the kernel did not tell.
    pub peak_memory: Option<u64>,
    /// User and system CPU time of the step's processes.
    pub cpu_time: Option<Duration>,
}

/// Progress of runs, in order per run: `Started`, then for each step `StepStarted`
/// followed by its `Log` lines and `StepFinished`, then `Finished` exactly once. A run cancelled while
/// queued gets only `Finished`.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineEvent {
    /// The run left the queue (PENDING → RUNNING).
    Started { run_id: Arc<str> },
    /// Step `index` (0-based) of `count` starts.
    StepStarted {
        run_id: Arc<str>,
        index: usize,
        count: usize,
        name: Arc<str>,
    },
    /// Step `index` ended (successfully or not); what it ran and used.
    StepFinished {
        run_id: Arc<str>,
        record: StepRecord,
    },
    /// One line of output of the named step.
    Log {
        run_id: Arc<str>,
        step: Arc<str>,
        stream: Stream,
        time: DateTime<Utc>,
        line: String,
    },
    /// The run ended. Delivered before [`RunHandle::wait`] returns and before the
    /// run's slot goes to the next queued run.
    Finished {
        run_id: Arc<str>,
        outcome: RunOutcome,
    },
}

impl EngineEvent {
    pub fn run_id(&self) -> &Arc<str> {
        match self {
            EngineEvent::Started { run_id }
            | EngineEvent::StepStarted { run_id, .. }
            | EngineEvent::StepFinished { run_id, .. }
            | EngineEvent::Log { run_id, .. }
            | EngineEvent::Finished { run_id, .. } => run_id,
        }
    }
}

/// Receives every [`EngineEvent`]. Called on the engine's threads (or, for a run
/// cancelled while queued, on the thread that cancels): it must return quickly —
/// forward to a channel, request a repaint — and never wait on the engine.
pub type EventCallback = Arc<dyn Fn(EngineEvent) + Send + Sync>;
