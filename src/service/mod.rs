//! The use cases of flowdesk — install a benchmark, create submissions, upload
//! files, start and cancel runs, rank results, post-process, export, clean up —
//! behind one `Service`. It is the only layer that combines the template
//! language, the engine and the store; the GUI and the CLI reach it through the
//! client interface (`crate::client`), whose local implementation wraps it. The
//! store itself stays private: what the service returns are its records, re-exported
//! here as the service's own vocabulary.
//!
//! Runs execute on the engine's background threads. The engine reports progress
//! as events; a supervisor thread turns them into store updates (run state,
//! progress, results) and forwards them to listeners, so a GUI can repaint when
//! something happens without polling.

mod bundle;
mod check;
mod compare;
mod detach;
pub mod doctor;
mod environments;
pub mod files;
mod gzip;
pub mod home;
mod import;
mod install;
pub(crate) mod lock;
mod maintenance;
mod pack;
mod preview;
pub(crate) mod provenance;
mod ranking;
mod recovery;
mod repeat;
mod repository;
mod reproduce;
mod results;
mod run_folder;
mod runs;
mod space;
pub mod tree;

/// The records the service hands out (defined by the store, which stays private).
pub use crate::store::{
    BoardOptions, Leaderboard, LeaderboardEntry, Outcome, ReproductionRecord, RunFile, RunFilter,
    RunMarks, RunRecord, RunSetEntry, SubmissionRecord, UploadRecord, WorkflowRecord,
};
pub use bundle::{BundleDocument, BundleSummary, BUNDLE_FILE, INPUTS_DIR};
pub use check::{is_template_archive, load_template, load_template_with};
pub use compare::{compare, Comparison, Tolerance};
pub use environments::{EnvironmentInfo, EnvironmentProgress, EnvironmentState, REQUIREMENTS_FILE};
pub use import::{template_differences, ImportOutcome};
pub use install::{sample_folders, InstallOptions, InstallSource, DEFAULT_SUBMISSION};
pub use lock::RunLock;
pub use pack::{pack_template, read_result_document, Packed};
pub use preview::preview;
pub use repeat::MAX_REPEAT;
pub use repository::RepositoryEntry;
pub use run_folder::{PreparedRun, LOG_FILE, META_DIR};
pub use runs::RunRequest;

use crate::config::Config;
use crate::engine::{Engine, EngineEvent, SlotPool, WorkerConfig};
use crate::error::{EngineError, ServiceError};
use crate::model::RunState;
use crate::store::Store;
use crate::template::{ExpandOptions, ResultValue, Template};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Condvar, Mutex, RwLock};

/// Message for runs a dead process left behind.
pub const INTERRUPTED: &str = "interrupted: flowdesk exited while the run was active";
/// Folder in the home folder for the run slots all processes share.
pub const SLOTS_DIR: &str = "slots";
/// The folder inside `workflows/<id>/` that holds the template's installed files.
pub(crate) const STATIC_DIR: &str = "static";
/// Message of a run canceled by its user (flowServ's `state.CANCELED`).
pub const CANCELED: &str = "canceled at user request";

/// What listeners (the client, and through it the GUI) hear about.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceEvent {
    /// A run changed state or progress; re-read it from the store.
    RunChanged { run_id: String },
    /// The run's log has new lines: at most one event per run per
    /// [`LOG_SIGNAL_INTERVAL`], however fast the run writes.
    LogGrew { run_id: String },
    /// A run ended (after its results were stored).
    RunFinished { run_id: String, state: RunState },
    /// Something failed in the background (a store update, post-processing).
    Problem {
        run_id: Option<String>,
        message: String,
    },
    /// A benchmark's environment is being created: how far, or how it ended.
    Environment(EnvironmentProgress),
}

/// The shortest time between two [`ServiceEvent::LogGrew`] of one run: one frame
/// of a 60 Hz display.
pub const LOG_SIGNAL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(16);

type Listener = Arc<dyn Fn(&ServiceEvent) + Send + Sync>;

/// Shared between the service handle and its supervisor thread.
pub(crate) struct Shared {
    pub config: Config,
    pub store: Arc<Store>,
    pub subscribers: Mutex<Vec<mpsc::Sender<ServiceEvent>>>,
    pub listeners: Mutex<Vec<Listener>>,
    /// Runs finalized since start, for `wait`.
    pub finished: Mutex<HashSet<String>>,
    pub finished_signal: Condvar,
    /// Run folder locks held by this process (released when the run ends).
    pub locks: Mutex<std::collections::HashMap<String, lock::RunLock>>,
    /// When set, post-processing runs go to detached processes of this program.
    pub executor: Mutex<Option<PathBuf>>,
    /// The settings that change while the service is open (Settings apply at
    /// once); `config` keeps the values it was opened with.
    pub live: RwLock<LiveSettings>,
    /// Store updates that failed for active runs, by run: they join the run's
    /// messages if it ends unsuccessfully.
    pub problems: Mutex<std::collections::HashMap<String, Vec<String>>>,
    /// Expanded workflows of the runs this process executes (until they end).
    pub workflows: Mutex<std::collections::HashMap<String, crate::workflow::SerialWorkflow>>,
    /// Steps of running runs and answers about this computer, for provenance.
    pub(crate) recorder: provenance::Recorder,
    /// Runs of this process that ended but whose end the store could not take
    /// (a full disk even without the reserve), with their messages: `wait`
    /// reports them as ERROR with these.
    pub unrecorded: Mutex<std::collections::HashMap<String, Vec<String>>>,
    /// Benchmark environments this process is creating, by workflow, with
    /// the token that stops the creation.
    pub environments: Mutex<std::collections::HashMap<String, crate::engine::CancelToken>>,
}

impl Shared {
    pub fn emit(&self, event: ServiceEvent) {
        if let Ok(mut subscribers) = self.subscribers.lock() {
            subscribers.retain(|tx| tx.send(event.clone()).is_ok());
        }
        let listeners: Vec<Listener> = self.listeners.lock().map(|l| l.clone()).unwrap_or_default();
        for listener in listeners {
            listener(&event);
        }
    }

    /// Report a background failure: to stderr (a CLI has no other place) and to
    /// listeners (the GUI shows it).
    pub fn problem(&self, run_id: Option<&str>, message: String) {
        match run_id {
            Some(id) => eprintln!("flowdesk: run {id}: {message}"),
            None => eprintln!("flowdesk: {message}"),
        }
        self.emit(ServiceEvent::Problem {
            run_id: run_id.map(str::to_string),
            message,
        });
    }

    pub fn expand_options(&self) -> ExpandOptions {
        ExpandOptions {
            python: self.python(),
        }
    }

    /// The configured interpreter for `${python}`, as the settings say now.
    pub fn python(&self) -> String {
        self.live
            .read()
            .map(|l| l.python.clone())
            .unwrap_or_else(|_| self.config.python.clone())
    }

    /// The configured template repository file, as the settings say now.
    pub fn repository(&self) -> Option<PathBuf> {
        self.live
            .read()
            .map(|l| l.repository.clone())
            .unwrap_or_else(|_| self.config.repository.clone())
    }

    /// The options for runs of one benchmark: its own environment's
    /// interpreter when it has one that is ready.
    pub fn expand_options_for(&self, workflow_id: &str) -> ExpandOptions {
        ExpandOptions {
            python: self
                .benchmark_python(workflow_id)
                .unwrap_or_else(|| self.python()),
        }
    }

    pub fn run_dir(&self, run_id: &str) -> PathBuf {
        self.config.home.join("runs").join(run_id)
    }

    /// Fail if the worker configuration file could not be read.
    pub fn check_worker_config(&self) -> Result<(), EngineError> {
        let live = self.live.read().map_err(|_| EngineError::WorkerConfig {
            file: String::new(),
            message: "the settings could not be read".into(),
        })?;
        match &live.worker_config_error {
            Some((file, message)) => Err(EngineError::WorkerConfig {
                file: file.clone(),
                message: message.clone(),
            }),
            None => Ok(()),
        }
    }

    pub fn static_dir(&self, workflow_id: &str) -> PathBuf {
        self.config
            .home
            .join("workflows")
            .join(workflow_id)
            .join(STATIC_DIR)
    }
}

/// See [`Shared::live`].
pub(crate) struct LiveSettings {
    pub python: String,
    pub repository: Option<PathBuf>,
    pub worker_config: Option<PathBuf>,
    /// The settings file as last saved.
    pub settings: crate::config::Settings,
    /// Why the configured worker configuration file cannot be used (file,
    /// message); runs are refused while it is set.
    pub worker_config_error: Option<(String, String)>,
}

/// The worker configuration in `path` (none: every step on the subprocess
/// worker). A broken file must not lock the user out of the app (the Settings
/// screen is where it gets fixed): its error is kept and reported when a run
/// is started, before anything of the run is created.
fn load_workers(
    path: Option<&std::path::Path>,
) -> Result<(WorkerConfig, Option<(String, String)>), ServiceError> {
    match path {
        Some(path) => match WorkerConfig::load(path) {
            Ok(workers) => Ok((workers, None)),
            Err(EngineError::WorkerConfig { file, message }) => {
                Ok((WorkerConfig::default(), Some((file, message))))
            }
            Err(other) => Err(other.into()),
        },
        None => Ok((WorkerConfig::default(), None)),
    }
}

/// Choices made when a home folder is opened.
#[derive(Debug, Clone, Copy)]
pub struct OpenOptions {
    /// Install the bundled samples if this home folder never had them.
    pub install_samples: bool,
    /// End the runs dead processes left behind (see [`Service::recover`]).
    /// `flowdesk cancel` opens without, so that the run it cancels ends
    /// CANCELED rather than interrupted, and recovers the others after.
    pub recover: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            install_samples: true,
            recover: true,
        }
    }
}

/// Take a backup once this many writes have gone by since the last one.
pub(crate) const BACKUP_EVERY: u64 = 500;

/// The service: open one per process.
pub struct Service {
    pub(crate) shared: Arc<Shared>,
    pub(crate) engine: Arc<Engine>,
    /// Held (shared) while the service is open; see `home`.
    _home_lock: home::HomeLock,
}

impl Drop for Service {
    /// A clean exit leaves a backup of what this process changed.
    fn drop(&mut self) {
        if self.shared.store.changes() > 0 {
            let _ = self.shared.store.backup();
        }
    }
}

impl Service {
    /// Open the home folder: create it, open the database, recover runs a dead
    /// process left behind, install the bundled samples on first start, and start
    /// the engine.
    pub fn open(config: Config) -> Result<Service, ServiceError> {
        Self::open_with(config, true)
    }

    /// Like [`Service::open`], choosing whether to install the bundled samples.
    pub fn open_with(config: Config, install_samples: bool) -> Result<Service, ServiceError> {
        Self::open_with_options(
            config,
            OpenOptions {
                install_samples,
                recover: true,
            },
        )
    }

    /// Like [`Service::open`], with every choice spelled out.
    pub fn open_with_options(
        config: Config,
        options: OpenOptions,
    ) -> Result<Service, ServiceError> {
        let install_samples = options.install_samples;
        home::create_private_dir(&config.home)?;
        if let Some(parent) = config.database.parent() {
            std::fs::create_dir_all(parent).map_err(|e| files::io_error(parent, e))?;
        }
        let home_lock = home::lock_home(&config.home, false)?
            .ok_or_else(|| ServiceError::HomeBusy(config.home.clone()))?;
        home::check_database(&config)?;
        let store = Arc::new(Store::open(&config.database)?);
        space::ensure_reserve(&config.home);
        home::clean_scratch(&config.home);
        crate::template::set_document_limit(config.limits.document_bytes);
        let (tx, rx) = mpsc::channel::<EngineEvent>();
        let (workers, worker_config_error) = load_workers(config.worker_config.as_deref())?;
        // One pool of run slots per home folder: `max_parallel` holds across
        // every process working on it.
        let slots = SlotPool::new(config.home.join(SLOTS_DIR), config.max_parallel);
        let engine = Arc::new(Engine::with_slots(
            config.max_parallel,
            workers,
            Some(slots),
            move |event| {
                let _ = tx.send(event);
            },
        )?);
        let live = LiveSettings {
            python: config.python.clone(),
            repository: config.repository.clone(),
            worker_config: config.worker_config.clone(),
            settings: config.settings.clone(),
            worker_config_error,
        };
        let shared = Arc::new(Shared {
            config,
            store,
            subscribers: Mutex::new(Vec::new()),
            listeners: Mutex::new(Vec::new()),
            finished: Mutex::new(HashSet::new()),
            finished_signal: Condvar::new(),
            locks: Mutex::new(Default::default()),
            executor: Mutex::new(None),
            workflows: Mutex::new(Default::default()),
            unrecorded: Mutex::new(Default::default()),
            environments: Mutex::new(Default::default()),
            problems: Mutex::new(Default::default()),
            live: RwLock::new(live),
            recorder: Default::default(),
        });
        let service = Service {
            shared,
            engine,
            _home_lock: home_lock,
        };
        if options.recover {
            service.recover_interrupted();
        }
        {
            let shared = Arc::clone(&service.shared);
            let engine = Arc::downgrade(&service.engine);
            std::thread::Builder::new()
                .name("flowdesk-supervisor".into())
                .spawn(move || runs::supervise(shared, engine, rx))
                .map_err(|e| {
                    ServiceError::Invalid(format!("cannot start the run supervisor: {e}"))
                })?;
        }
        if install_samples {
            service.install_samples_once()?;
        }
        Ok(service)
    }

    /// End the runs that dead processes left PENDING or RUNNING: kill what
    /// they left running and mark them interrupted. Done when the home folder
    /// is opened; never fails (what cannot be done now is left to the next
    /// process). Returns the runs it ended.
    pub fn recover(&self) -> Vec<String> {
        self.recover_interrupted()
    }

    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Receive service events on a channel.
    pub fn subscribe(&self) -> mpsc::Receiver<ServiceEvent> {
        let (tx, rx) = mpsc::channel();
        if let Ok(mut subscribers) = self.shared.subscribers.lock() {
            subscribers.push(tx);
        }
        rx
    }

    /// Call `listener` with every event, on the thread that emits it (it must
    /// return quickly: forward to a channel, request a repaint).
    pub fn listen(&self, listener: impl Fn(&ServiceEvent) + Send + Sync + 'static) {
        if let Ok(mut listeners) = self.shared.listeners.lock() {
            listeners.push(Arc::new(listener));
        }
    }

    /// Why the configured worker configuration cannot be used, if it cannot
    /// (the settings screen shows it; runs are refused with it).
    pub fn worker_config_error(&self) -> Option<EngineError> {
        self.shared.check_worker_config().err()
    }

    /// Take changed settings at once: the interpreter and the worker
    /// configuration for runs started from now on, the number of parallel runs
    /// for the queue (runs already going keep going), the template repository
    /// for the next listing. `config` is the configuration resolved again from
    /// the saved settings (environment variables still win). The rest of the
    /// configuration (home, database, limits) needs a new start.
    pub fn apply_settings(&self, config: &Config) -> Result<(), ServiceError> {
        let (workers, worker_config_error) = load_workers(config.worker_config.as_deref())?;
        self.engine.set_workers(workers);
        self.engine.set_max_parallel(config.max_parallel);
        let mut live = self
            .shared
            .live
            .write()
            .map_err(|_| ServiceError::Invalid("the settings could not be changed".into()))?;
        live.python = config.python.clone();
        live.repository = config.repository.clone();
        live.worker_config = config.worker_config.clone();
        live.settings = config.settings.clone();
        live.worker_config_error = worker_config_error;
        Ok(())
    }

    /// The configuration as it is now: [`Service::config`] with the settings
    /// applied since it was opened.
    pub fn current_config(&self) -> Config {
        let mut config = self.shared.config.clone();
        if let Ok(live) = self.shared.live.read() {
            config.python = live.python.clone();
            config.repository = live.repository.clone();
            config.worker_config = live.worker_config.clone();
            config.settings = live.settings.clone();
        }
        config.max_parallel = self.engine.max_parallel();
        config
    }

    /// The runs waiting for a slot, in every process of this home folder, first
    /// in line first: a PENDING run's position in the queue is its index plus
    /// one. A PENDING run not listed is being prepared or about to start.
    pub fn queue(&self) -> Vec<String> {
        crate::engine::slots::waiting(&self.shared.config.home.join(SLOTS_DIR))
    }

    /// Runs running and queued in this process's engine.
    /// Runs running and queued in the home folder, whichever process owns
    /// them (this process's engine when the store cannot be read).
    pub fn activity(&self) -> (usize, usize) {
        let own = (self.engine.running_count(), self.engine.queued_count());
        match self.shared.store.active_counts() {
            // The engine knows of a run a moment before the store does.
            Ok((running, pending)) => (running.max(own.0), pending.max(own.1)),
            Err(_) => own,
        }
    }

    /// Changes whenever the database changes, from any process (see
    /// `Store::data_version`).
    pub fn data_version(&self) -> Result<i64, ServiceError> {
        Ok(self.shared.store.data_version()?)
    }

    // ----- lookups by id or name -------------------------------------------------

    /// A workflow by id, or by name when no id matches.
    pub fn workflow(&self, key: &str) -> Result<WorkflowRecord, ServiceError> {
        let store = &self.shared.store;
        if let Some(w) = store.workflow(key)? {
            return Ok(w);
        }
        if let Some(w) = store.workflow_by_name(key)? {
            return Ok(w);
        }
        Err(ServiceError::UnknownWorkflow(key.to_string()))
    }

    pub fn workflows(&self) -> Result<Vec<WorkflowRecord>, ServiceError> {
        Ok(self.shared.store.workflows()?)
    }

    /// The loaded template of an installed workflow.
    pub fn template(&self, workflow: &WorkflowRecord) -> Result<Template, ServiceError> {
        Ok(Template::from_value(
            workflow.template.clone(),
            &workflow.name,
        )?)
    }

    /// A submission by id; or by name within `workflow`; or by name if unique.
    pub fn submission(
        &self,
        key: &str,
        workflow: Option<&WorkflowRecord>,
    ) -> Result<SubmissionRecord, ServiceError> {
        let store = &self.shared.store;
        if let Some(s) = store.submission(key)? {
            if workflow.is_none_or(|w| w.id == s.workflow_id) {
                return Ok(s);
            }
        }
        match workflow {
            Some(w) => store
                .submission_by_name(&w.id, key)?
                .ok_or_else(|| ServiceError::UnknownSubmission(key.to_string())),
            None => {
                let mut found = Vec::new();
                for w in store.workflows()? {
                    if let Some(s) = store.submission_by_name(&w.id, key)? {
                        found.push(s);
                    }
                }
                match found.len() {
                    0 => Err(ServiceError::UnknownSubmission(key.to_string())),
                    1 => Ok(found.remove(0)),
                    _ => Err(ServiceError::Ambiguous {
                        name: key.to_string(),
                        what: "submissions".into(),
                    }),
                }
            }
        }
    }

    pub fn submissions(
        &self,
        workflow: &WorkflowRecord,
    ) -> Result<Vec<SubmissionRecord>, ServiceError> {
        Ok(self.shared.store.submissions(&workflow.id)?)
    }

    /// A run by id.
    pub fn run(&self, key: &str) -> Result<RunRecord, ServiceError> {
        if let Some(run) = self.shared.store.run(key)? {
            return Ok(run);
        }
        Err(ServiceError::UnknownRun(key.to_string()))
    }

    /// A run's output files.
    pub fn run_files(&self, run_id: &str) -> Result<Vec<RunFile>, ServiceError> {
        Ok(self.shared.store.run_files(run_id)?)
    }

    /// A run's result values in schema order (empty unless it succeeded).
    pub fn run_results(
        &self,
        run_id: &str,
    ) -> Result<Vec<(String, Option<ResultValue>)>, ServiceError> {
        Ok(self.shared.store.run_results(run_id)?)
    }

    /// Block until the run has ended and its results are stored. For runs this
    /// process executes, that includes setting off post-processing.
    pub fn wait(&self, run_id: &str) -> Result<RunRecord, ServiceError> {
        loop {
            let owned = self
                .shared
                .locks
                .lock()
                .map(|locks| locks.contains_key(run_id))
                .unwrap_or(false);
            let finished = self
                .shared
                .finished
                .lock()
                .map_err(|_| ServiceError::Invalid("internal lock poisoned".into()))?;
            if finished.contains(run_id) {
                drop(finished);
                let mut run = self.run(run_id)?;
                let unrecorded = self
                    .shared
                    .unrecorded
                    .lock()
                    .ok()
                    .and_then(|u| u.get(run_id).cloned());
                if let Some(messages) = unrecorded {
                    if run.state.is_active() {
                        run.state = RunState::Error;
                        run.messages = messages;
                        run.finished_at = Some(chrono::Utc::now());
                    }
                }
                return Ok(run);
            }
            if !owned {
                // A run of another process (or one already done): the store tells.
                let run = self.run(run_id)?;
                if run.state.is_finished() {
                    return Ok(run);
                }
            }
            let _ = self
                .shared
                .finished_signal
                .wait_timeout(finished, std::time::Duration::from_millis(200));
        }
    }
}

/// An I/O failure on `path`, as the service reports it (a full disk says so).
pub(crate) fn io_error(path: &std::path::Path, source: std::io::Error) -> ServiceError {
    if crate::error::is_disk_full(&source) {
        return ServiceError::DiskFull {
            path: path.to_path_buf(),
        };
    }
    ServiceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A fresh id: `len` lowercase hex characters from a random UUID.
pub(crate) fn new_id(len: usize) -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    hex[..len.min(hex.len())].to_string()
}
