//! Starting, executing, cancelling and finishing runs.
//!
//! A run is prepared in the caller's thread (arguments cast, run folder created,
//! template files and uploads copied in, expanded workflow written next to it),
//! then executed by the engine in the background. The supervisor thread turns
//! engine events into store updates; when a run ends it reads the result file
//! against the schema, records output files, removes the untouched copies of the
//! template's static files, and checks whether post-processing is due.

use super::files::{copy_tree, io_error, list_files, sha256_file};
use super::lock::{is_held, RunLock};
use super::run_folder::{
    read_expanded, PreparedRun, CANCEL_FILE, LOG_FILE, META_DIR, WORKFLOW_FILE,
};
use super::{new_id, provenance, Service, ServiceEvent, Shared, LOG_SIGNAL_INTERVAL};
use crate::engine::{Engine, EngineEvent, RunJob, RunOutcome, WorkerConfig};
use crate::error::ServiceError;
use crate::model::RunState;
use crate::paths::join_inside;
use crate::store::{NewRun, RunFile, RunFilter, RunRecord, SubmissionRecord};
use crate::template::{ResultValue, Template};
use crate::workflow::SerialWorkflow;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Weak};
use std::time::{Duration, Instant};

/// What a user asks for when starting a run.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    /// Workflow id or name.
    pub workflow: String,
    /// Submission id or name; the workflow's first submission when `None`.
    pub submission: Option<String>,
    /// Argument values by parameter name. File arguments are a path or upload id,
    /// or `{"value": path-or-id, "as": target}`.
    pub arguments: Map<String, Value>,
}

impl Service {
    /// Validate and start a run in this process. Returns once it is queued.
    pub fn start_run(&self, request: &RunRequest) -> Result<RunRecord, ServiceError> {
        let prepared = self.prepare_run(request)?;
        let run = prepared.run.clone();
        self.execute(prepared)?;
        Ok(run)
    }

    /// Everything up to execution: arguments, run folder, files, PENDING record.
    pub fn prepare_run(&self, request: &RunRequest) -> Result<PreparedRun, ServiceError> {
        let workflow_record = self.workflow(&request.workflow)?;
        let submission = match &request.submission {
            Some(key) => self.submission(key, Some(&workflow_record))?,
            None => self
                .submissions(&workflow_record)?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    ServiceError::Invalid(format!(
                        "'{}' has no submission; create one with `flowdesk submission create`",
                        workflow_record.name
                    ))
                })?,
        };
        // Worker configurations are checked before anything of the run exists.
        self.shared.check_worker_config()?;
        let workers = submission_workers(&submission)?;
        let template = self.template(&workflow_record)?;
        let (bound, workflow) = super::preview::expand(
            &template,
            &request.arguments,
            &self.shared.expand_options_for(&workflow_record.id),
        )?;

        // Resolve every file argument's source before anything is written.
        let uploads = self.shared.store.uploads(&submission.id)?;
        let static_dir = self.shared.static_dir(&workflow_record.id);
        let mut file_copies: Vec<(PathBuf, String)> = Vec::new();
        let mut sources: Vec<provenance::InputSource> = Vec::new();
        for (name, file) in &bound.files {
            let source = if file.from_default {
                sources.push(provenance::InputSource {
                    parameter: name.clone(),
                    target: file.target.clone(),
                    kind: provenance::InputKind::Template(file.source.clone()),
                });
                join_inside(&static_dir, &file.source, false)
                    .map_err(|e| ServiceError::UnsafePath(format!("parameter '{name}': {e}")))?
            } else if let Some(upload) = uploads
                .iter()
                .find(|u| u.id == file.source || u.name == file.source)
            {
                sources.push(provenance::InputSource {
                    parameter: name.clone(),
                    target: file.target.clone(),
                    kind: provenance::InputKind::Upload {
                        id: upload.id.clone(),
                        sha256: upload.sha256.clone(),
                        size: upload.size,
                    },
                });
                self.shared.config.home.join(&upload.path)
            } else {
                let local = PathBuf::from(&file.source);
                if !local.is_file() {
                    return Err(ServiceError::MissingFileArgument {
                        name: name.clone(),
                        file: file.source.clone(),
                    });
                }
                sources.push(provenance::InputSource {
                    parameter: name.clone(),
                    target: file.target.clone(),
                    kind: provenance::InputKind::Local(local.clone()),
                });
                local
            };
            // The run folder's metadata folder (log, lock, cancel requests) is
            // flowdesk's: no argument may write into it.
            let target = crate::paths::check_relative(&file.target, false)
                .map_err(|e| ServiceError::UnsafePath(format!("parameter '{name}': {e}")))?;
            if target
                .components()
                .next()
                .is_some_and(|c| c.as_os_str() == META_DIR)
            {
                return Err(ServiceError::UnsafePath(format!(
                    "parameter '{name}': target '{}' is inside `{META_DIR}/`, which is reserved for flowdesk's own files",
                    file.target
                )));
            }
            file_copies.push((source, file.target.clone()));
        }

        let run_id = new_id(12);
        let run_dir = self.shared.run_dir(&run_id);
        let lock = RunLock::try_acquire(&run_dir.join(META_DIR))
            .map_err(|e| io_error(&run_dir, e))?
            .ok_or_else(|| ServiceError::Invalid(format!("run folder of '{run_id}' is in use")))?;
        let prepared = (|| {
            if static_dir.is_dir() {
                copy_tree(&static_dir, &static_dir, &run_dir)?;
            }
            for (source, target) in &file_copies {
                let destination = join_inside(&run_dir, target, false)
                    .map_err(|e| ServiceError::UnsafePath(e.to_string()))?;
                if let Some(parent) = destination.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
                }
                if source != &destination {
                    std::fs::copy(source, &destination).map_err(|e| io_error(source, e))?;
                }
            }
            let mut arguments = request.arguments.clone();
            // Record the values used, defaults included, so a re-run can load them.
            for (name, value) in &bound.values {
                if !arguments.contains_key(name) {
                    arguments.insert(name.clone(), value.clone());
                }
            }
            let run = self.shared.store.insert_run(&NewRun {
                id: run_id.clone(),
                workflow_id: workflow_record.id.clone(),
                submission_id: Some(submission.id.clone()),
                arguments: Value::Object(arguments),
            })?;
            let recorded = provenance::record_start(
                &self.shared,
                &run_id,
                &workflow_record,
                &bound.values,
                &sources,
                &workflow.inputs,
                &workflow.interpreter(),
            );
            if let Err(e) = recorded {
                let _ = self.shared.store.delete_run(&run_id);
                return Err(e);
            }
            Ok::<_, ServiceError>(run)
        })();
        match prepared {
            Ok(run) => Ok(PreparedRun {
                run,
                lock,
                workflow,
                workers,
            }),
            Err(e) => {
                drop(lock);
                let _ = std::fs::remove_dir_all(&run_dir);
                Err(e)
            }
        }
    }

    /// Hand a prepared run to this process's engine.
    pub fn execute(&self, prepared: PreparedRun) -> Result<(), ServiceError> {
        let run_id = prepared.run.id.clone();
        if let Ok(mut locks) = self.shared.locks.lock() {
            locks.insert(run_id.clone(), prepared.lock);
        }
        // Kept until the run is finalized: its declared outputs decide what the
        // run's files are.
        if let Ok(mut workflows) = self.shared.workflows.lock() {
            workflows.insert(run_id.clone(), prepared.workflow.clone());
        }
        self.engine
            .submit(self.shared.job(run_id, prepared.workflow, prepared.workers))?;
        Ok(())
    }

    /// Execute a run another process prepared and handed over with its lock
    /// (`flowdesk run` without `--wait` detaches this way).
    pub fn execute_handed_over(&self, run_id: &str, lock: RunLock) -> Result<(), ServiceError> {
        let run = self.run(run_id)?;
        let path = self
            .shared
            .run_dir(run_id)
            .join(META_DIR)
            .join(WORKFLOW_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, e))?;
        let workflow: SerialWorkflow = serde_json::from_str(&text)
            .map_err(|e| ServiceError::Invalid(format!("`{}` is damaged: {e}", path.display())))?;
        let workers = match &run.submission_id {
            Some(id) => match self.shared.store.submission(id)? {
                Some(submission) => submission_workers(&submission)?,
                None => None,
            },
            None => None,
        };
        self.execute(PreparedRun {
            run,
            lock,
            workflow,
            workers,
        })
    }

    /// Cancel a run: in this process directly; in another process by leaving a
    /// cancel request in the run folder, which that process picks up; a run
    /// whose owner died is ended here, with whatever it left running killed.
    /// Returns the run as it is now (CANCELED when it was ended here).
    pub fn cancel(&self, key: &str) -> Result<RunRecord, ServiceError> {
        let run = self.run(key)?;
        if run.state.is_finished() {
            return Err(ServiceError::Invalid(format!(
                "run '{}' has already ended ({})",
                run.id,
                run.state.as_str()
            )));
        }
        let owned = self
            .shared
            .locks
            .lock()
            .map(|locks| locks.contains_key(&run.id))
            .unwrap_or(false);
        if owned {
            self.engine.cancel(&run.id);
        } else {
            let meta = self.shared.run_dir(&run.id).join(META_DIR);
            if is_held(&meta) {
                let path = meta.join(CANCEL_FILE);
                std::fs::write(&path, b"").map_err(|e| io_error(&path, e))?;
            } else {
                // Nobody runs it: its owner died. Kill what it left running.
                self.cancel_abandoned(&run.id)?;
                return self.run(&run.id);
            }
        }
        Ok(run)
    }

    /// End a run that could not be executed (a handed-over run whose workflow is
    /// unreadable) in ERROR with `message`.
    pub fn fail_run(&self, run_id: &str, message: &str) -> Result<(), ServiceError> {
        self.shared
            .store
            .finish_error(run_id, &[message.to_string()])?;
        Ok(())
    }

    /// The run's log file.
    pub fn log_path(&self, run_id: &str) -> PathBuf {
        self.shared.run_dir(run_id).join(META_DIR).join(LOG_FILE)
    }

    /// The run's folder.
    pub fn run_dir(&self, run_id: &str) -> PathBuf {
        self.shared.run_dir(run_id)
    }

    /// Runs, newest first.
    pub fn runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, ServiceError> {
        Ok(self.shared.store.runs(filter)?)
    }
}

impl Shared {
    /// The engine job for a prepared run, with the configured time limits.
    pub(crate) fn job(
        &self,
        run_id: String,
        workflow: SerialWorkflow,
        workers: Option<Arc<WorkerConfig>>,
    ) -> RunJob {
        let run_dir = self.run_dir(&run_id);
        let mut job = RunJob::new(run_id, &run_dir, workflow);
        job.log_path = run_dir.join(META_DIR).join(LOG_FILE);
        job.workers = workers;
        job.step_timeout = self.config.step_timeout;
        job.run_timeout = self.config.run_timeout;
        job.log_limit = self.config.limits.log_bytes;
        job
    }
}

/// The worker configuration a submission brings (its engine config), if any.
pub(crate) fn submission_workers(
    submission: &SubmissionRecord,
) -> Result<Option<Arc<WorkerConfig>>, ServiceError> {
    match &submission.engine_config {
        None | Some(Value::Null) => Ok(None),
        Some(value) => Ok(Some(Arc::new(WorkerConfig::parse(
            value,
            &format!("engine config of submission '{}'", submission.name),
        )?))),
    }
}

/// How often the supervisor looks for cancel requests other processes left.
const CANCEL_POLL: Duration = Duration::from_millis(200);

/// The supervisor loop: store updates for engine events and notifications. It
/// only forwards and records; everything slow about an ended run (hashing its
/// outputs, removing template copies, post-processing) happens on the finalizer
/// thread it starts, so events of other runs never wait behind it.
pub(crate) fn supervise(
    shared: Arc<Shared>,
    engine: Weak<Engine>,
    events: mpsc::Receiver<EngineEvent>,
) {
    let (finish_tx, finish_rx) = mpsc::channel::<(String, RunOutcome)>();
    let finalizer = {
        let shared = Arc::clone(&shared);
        let engine = engine.clone();
        std::thread::Builder::new()
            .name("flowdesk-finalizer".into())
            .spawn(move || {
                for (run_id, outcome) in finish_rx {
                    finish_run(&shared, &engine, &run_id, outcome);
                }
            })
    };
    // Without its own thread, runs are finished here: slower, still correct.
    let (finish_tx, finalizer) = match finalizer {
        Ok(handle) => (Some(finish_tx), Some(handle)),
        Err(e) => {
            shared.problem(None, format!("cannot start the run finalizer: {e}"));
            (None, None)
        }
    };
    let mut logs = LogSignals::default();
    let mut last_cancel_poll = Instant::now();
    loop {
        let timeout = logs
            .next_due()
            .map_or(CANCEL_POLL, |due| due.min(CANCEL_POLL));
        match events.recv_timeout(timeout) {
            Ok(event) => handle_event(&shared, &mut logs, finish_tx.as_ref(), &engine, event),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        logs.flush_due(&shared);
        // Cancel requests other processes left for the runs we execute; also
        // while a run floods the channel with output.
        if last_cancel_poll.elapsed() >= CANCEL_POLL {
            last_cancel_poll = Instant::now();
            if let Some(engine) = engine.upgrade() {
                poll_cancel_requests(&shared, &engine);
            }
            // A long session keeps its rolling backup fresh.
            if shared.store.changes() >= super::BACKUP_EVERY {
                let _ = shared.store.backup();
            }
        }
    }
    drop(finish_tx);
    if let Some(finalizer) = finalizer {
        let _ = finalizer.join();
    }
}

fn handle_event(
    shared: &Arc<Shared>,
    logs: &mut LogSignals,
    finish: Option<&mpsc::Sender<(String, RunOutcome)>>,
    engine: &Weak<Engine>,
    event: EngineEvent,
) {
    match event {
        EngineEvent::Started { run_id } => {
            let run_id = run_id.to_string();
            if let Err(e) = shared.store.start_run(&run_id) {
                record_problem(
                    shared,
                    &run_id,
                    format!("its start could not be recorded: {e}"),
                );
            }
            shared.emit(ServiceEvent::RunChanged { run_id });
        }
        EngineEvent::StepStarted {
            run_id,
            index,
            count,
            name,
        } => {
            let run_id = run_id.to_string();
            let (index, count) = (
                u32::try_from(index).unwrap_or(u32::MAX),
                u32::try_from(count).unwrap_or(u32::MAX),
            );
            if let Err(e) = shared.store.set_progress(&run_id, index, count, &name) {
                record_problem(
                    shared,
                    &run_id,
                    format!("the start of step '{name}' could not be recorded: {e}"),
                );
            }
            shared.emit(ServiceEvent::RunChanged { run_id });
        }
        EngineEvent::StepFinished { run_id, record } => {
            provenance::step_finished(shared, &run_id, record);
        }
        EngineEvent::Log { run_id, .. } => logs.grew(shared, &run_id),
        EngineEvent::Finished { run_id, outcome } => {
            // The log is complete: say so before the run is reported finished.
            logs.finished(shared, &run_id);
            let run_id = run_id.to_string();
            let unsent = match finish {
                Some(tx) => tx.send((run_id, outcome)).err().map(|e| e.0),
                None => Some((run_id, outcome)),
            };
            if let Some((run_id, outcome)) = unsent {
                finish_run(shared, engine, &run_id, outcome);
            }
        }
    }
}

/// A store update of an active run failed: report it now, and keep it so that
/// the run's messages carry it if the run ends unsuccessfully.
fn record_problem(shared: &Shared, run_id: &str, message: String) {
    if let Ok(mut problems) = shared.problems.lock() {
        problems
            .entry(run_id.to_string())
            .or_default()
            .push(message.clone());
    }
    shared.problem(Some(run_id), message);
}

/// Coalesces "the log grew" per run: the first line of a burst is signalled at
/// once, the rest of the burst once [`LOG_SIGNAL_INTERVAL`] has passed.
#[derive(Default)]
struct LogSignals {
    /// Per run: when the last signal went out, and whether lines came since.
    runs: HashMap<Arc<str>, (Instant, bool)>,
}

impl LogSignals {
    fn grew(&mut self, shared: &Shared, run_id: &Arc<str>) {
        let now = Instant::now();
        match self.runs.get_mut(run_id) {
            Some((last, pending)) if now.duration_since(*last) < LOG_SIGNAL_INTERVAL => {
                *pending = true;
            }
            Some((last, pending)) => {
                *last = now;
                *pending = false;
                signal(shared, run_id);
            }
            None => {
                self.runs.insert(Arc::clone(run_id), (now, false));
                signal(shared, run_id);
            }
        }
    }

    /// Time until the earliest pending signal is due.
    fn next_due(&self) -> Option<Duration> {
        let now = Instant::now();
        self.runs
            .values()
            .filter(|(_, pending)| *pending)
            .map(|(last, _)| (*last + LOG_SIGNAL_INTERVAL).saturating_duration_since(now))
            .min()
    }

    fn flush_due(&mut self, shared: &Shared) {
        let now = Instant::now();
        for (run_id, (last, pending)) in self.runs.iter_mut() {
            if *pending && now.duration_since(*last) >= LOG_SIGNAL_INTERVAL {
                *last = now;
                *pending = false;
                signal(shared, run_id);
            }
        }
    }

    fn finished(&mut self, shared: &Shared, run_id: &Arc<str>) {
        if let Some((_, true)) = self.runs.remove(run_id) {
            signal(shared, run_id);
        }
    }
}

fn signal(shared: &Shared, run_id: &str) {
    shared.emit(ServiceEvent::LogGrew {
        run_id: run_id.to_string(),
    });
}

/// Everything about an ended run: store its outcome, set off post-processing,
/// wake waiters, tell listeners.
fn finish_run(shared: &Arc<Shared>, engine: &Weak<Engine>, run_id: &str, outcome: RunOutcome) {
    let state = finalize(shared, run_id, outcome);
    provenance::record_end(shared, run_id);
    super::compare::after_run(shared, run_id, state);
    // Post-processing is set off before waiters hear of the end: a command
    // waiting for this run may exit right after.
    if state == RunState::Success {
        if let Some(engine) = engine.upgrade() {
            if let Err(e) = super::ranking::maybe_postprocess(shared, &engine, run_id) {
                shared.problem(
                    Some(run_id),
                    format!("post-processing after this run could not start: {e}"),
                );
            }
        }
    }
    if let Ok(mut finished) = shared.finished.lock() {
        finished.insert(run_id.to_string());
    }
    if let Ok(mut locks) = shared.locks.lock() {
        locks.remove(run_id);
    }
    shared.finished_signal.notify_all();
    shared.emit(ServiceEvent::RunFinished {
        run_id: run_id.to_string(),
        state,
    });
}

/// Cancel requests left for runs of this process by other processes.
fn poll_cancel_requests(shared: &Shared, engine: &Engine) {
    let ids: Vec<String> = shared
        .locks
        .lock()
        .map(|locks| locks.keys().cloned().collect())
        .unwrap_or_default();
    for id in ids {
        let request = shared.run_dir(&id).join(META_DIR).join(CANCEL_FILE);
        if request.exists() {
            let _ = std::fs::remove_file(&request);
            engine.cancel(&id);
        }
    }
}

/// Store the outcome of an ended run; returns the state it ended in. When the
/// outcome cannot be stored the run is still ended, in ERROR with the reason,
/// and the failure is reported; a run is never left looking active.
fn finalize(shared: &Shared, run_id: &str, outcome: RunOutcome) -> RunState {
    let store = &shared.store;
    // First, so that "all files of the run folder" lists what the run made.
    remove_static_copies(shared, run_id);
    let problems = shared
        .problems
        .lock()
        .ok()
        .and_then(|mut p| p.remove(run_id))
        .unwrap_or_default();
    let with_problems = |mut messages: Vec<String>| {
        messages.extend(problems.iter().cloned());
        messages
    };
    // Every write here may meet a disk the run just filled: it gets the
    // reserve (see `space`).
    let (messages, result) = match outcome {
        RunOutcome::Canceled => {
            let messages = with_problems(vec![super::CANCELED.to_string()]);
            let result = shared
                .write_with_reserve(|| store.finish_canceled(run_id, &messages))
                .map(|_| RunState::Canceled);
            (messages, result)
        }
        RunOutcome::Error(messages) => {
            let messages = with_problems(messages);
            let result = shared
                .write_with_reserve(|| store.finish_error(run_id, &messages))
                .map(|_| RunState::Error);
            (messages, result)
        }
        RunOutcome::Success => match collect_success(shared, run_id) {
            Ok((files, results)) => {
                let result = shared
                    .write_with_reserve(|| store.finish_success(run_id, &files, &results))
                    .map(|_| RunState::Success);
                (Vec::new(), result)
            }
            Err(message) => {
                let messages = with_problems(vec![message]);
                let result = shared
                    .write_with_reserve(|| store.finish_error(run_id, &messages))
                    .map(|_| RunState::Error);
                (messages, result)
            }
        },
    };
    let state = match result {
        Ok(state) => state,
        Err(error) => {
            let message = format!("its outcome could not be stored: {error}");
            let failure = with_problems(vec![message.clone()]);
            match shared.write_with_reserve(|| store.finish_error(run_id, &failure)) {
                Ok(_) => {
                    shared.problem(Some(run_id), message);
                    match store.run(run_id) {
                        Ok(Some(run)) => run.state,
                        _ => RunState::Error,
                    }
                }
                Err(again) => {
                    shared.problem(
                        Some(run_id),
                        format!("{message}; recording the failure failed too: {again}"),
                    );
                    // Not recorded at all: keep the end for whoever waits on
                    // the run here, with the reason it is not in the store.
                    let mut messages = messages;
                    messages.push(format!(
                        "the end of this run could not be recorded: {again}"
                    ));
                    if let Ok(mut unrecorded) = shared.unrecorded.lock() {
                        unrecorded.insert(run_id.to_string(), messages);
                    }
                    RunState::Error
                }
            }
        }
    };
    if let Ok(mut workflows) = shared.workflows.lock() {
        workflows.remove(run_id);
    }
    state
}

type Collected = (Vec<RunFile>, Vec<(String, Option<ResultValue>)>);

/// Read results and list output files of a successful run. An error message
/// names the file or column that is wrong.
fn collect_success(shared: &Shared, run_id: &str) -> Result<Collected, String> {
    let store = &shared.store;
    let run = store
        .run(run_id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("run {run_id} disappeared"))?;
    let workflow = store
        .workflow(&run.workflow_id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("benchmark of run {run_id} disappeared"))?;
    let template = Template::from_value(workflow.template.clone(), &workflow.name)
        .map_err(|e| e.to_string())?;
    let run_dir = shared.run_dir(run_id);
    let expanded = declared_workflow(shared, run_id);

    let is_postproc = run.submission_id.is_none();
    let results = match (&template.results, is_postproc) {
        (Some(schema), false) => {
            super::results::read_results(&run_dir, schema, shared.config.limits.result_bytes)?
        }
        _ => Vec::new(),
    };
    // The run's files are what the template lists (`outputs`, or for
    // post-processing `postproc.outputs`, each under its key), else the
    // workflow's declared outputs, as flowServ's `store_run_files`; all files of
    // the run folder only when neither is declared. A listed file the run did
    // not produce is an error (flowServ fails storing it).
    let workflow_outputs = expanded
        .as_ref()
        .map(|w| w.outputs.clone())
        .unwrap_or_default();
    let listed: Option<Vec<(String, String)>> = if is_postproc {
        template
            .postproc
            .as_ref()
            .and_then(|p| p.outputs.as_ref())
            .map(|o| {
                o.iter()
                    .map(|o| (o.source.clone(), o.key.clone()))
                    .collect()
            })
    } else {
        template.outputs.as_ref().map(|o| {
            o.iter()
                .map(|o| (o.source.clone(), o.key.clone()))
                .collect()
        })
    };
    let listed = listed.or_else(|| {
        (!workflow_outputs.is_empty()).then(|| {
            workflow_outputs
                .iter()
                .map(|o| (o.clone(), o.clone()))
                .collect()
        })
    });
    // (path, key)
    let mut paths: Vec<(String, String)> = Vec::new();
    match listed {
        Some(sources) => {
            for (source, key) in sources {
                let path = run_dir.join(&source);
                if path.is_dir() {
                    for file in list_files(&path, &[]) {
                        let file = format!("{}/{file}", source.trim_end_matches('/'));
                        paths.push((file.clone(), file));
                    }
                } else if path.is_file() {
                    paths.push((source, key));
                } else {
                    return Err(format!(
                        "the workflow did not produce its output '{source}'"
                    ));
                }
            }
        }
        None => {
            paths = list_files(&run_dir, &[META_DIR])
                .into_iter()
                .map(|p| (p.clone(), p))
                .collect()
        }
    }
    paths.sort();
    paths.dedup_by(|a, b| a.0 == b.0);
    let mut files = Vec::with_capacity(paths.len());
    for (path, key) in paths {
        let (sha256, size) = sha256_file(&run_dir.join(&path)).map_err(|e| e.to_string())?;
        files.push(RunFile {
            key,
            path,
            size,
            sha256,
        });
    }
    Ok((files, results))
}

/// The expanded workflow of a run: kept in memory for runs of this process, read
/// from the run folder for handed-over runs.
fn declared_workflow(shared: &Shared, run_id: &str) -> Option<SerialWorkflow> {
    if let Some(workflow) = shared
        .workflows
        .lock()
        .ok()
        .and_then(|w| w.get(run_id).cloned())
    {
        return Some(workflow);
    }
    read_expanded(&shared.run_dir(run_id))
}

fn declared_outputs(shared: &Shared, run_id: &str) -> Vec<String> {
    declared_workflow(shared, run_id)
        .map(|w| w.outputs)
        .unwrap_or_default()
}

/// Delete the run folder's copies of template static files that the run did not
/// change, so a finished run keeps its outputs and logs, not a second copy of the
/// template. Files the run declared as outputs, and its result file, stay.
fn remove_static_copies(shared: &Shared, run_id: &str) {
    let run = match shared.store.run(run_id) {
        Ok(Some(run)) => run,
        Ok(None) => return,
        Err(e) => {
            shared.problem(
                Some(run_id),
                format!("its copies of the template files were kept: {e}"),
            );
            return;
        }
    };
    let static_dir = shared.static_dir(&run.workflow_id);
    let run_dir = shared.run_dir(run_id);
    let mut keep: Vec<String> = declared_outputs(shared, run_id);
    match shared.store.workflow(&run.workflow_id) {
        Ok(Some(workflow)) => keep.extend(workflow.result_schema.map(|schema| schema.file)),
        Ok(None) => {}
        Err(e) => {
            // Without the schema the result file might look like a copy.
            shared.problem(
                Some(run_id),
                format!("its copies of the template files were kept: {e}"),
            );
            return;
        }
    }
    for relative in list_files(&static_dir, &[]) {
        if keep.iter().any(|k| {
            relative == *k || relative.starts_with(&format!("{}/", k.trim_end_matches('/')))
        }) {
            continue;
        }
        let copy = run_dir.join(&relative);
        let original = static_dir.join(&relative);
        // A file that cannot be compared is kept: only a proven copy goes.
        if same_contents(&copy, &original).unwrap_or(false) {
            let _ = std::fs::remove_file(&copy);
            // Remove folders the copy leaves empty.
            let mut dir = copy.parent().map(Path::to_path_buf);
            while let Some(d) = dir {
                if d == run_dir || std::fs::remove_dir(&d).is_err() {
                    break;
                }
                dir = d.parent().map(Path::to_path_buf);
            }
        }
    }
}

/// Whether two files hold the same bytes, read in blocks side by side (never
/// whole). An error reading either is an error, not a difference or a match.
fn same_contents(a: &Path, b: &Path) -> std::io::Result<bool> {
    let (meta_a, meta_b) = (std::fs::metadata(a)?, std::fs::metadata(b)?);
    if !meta_a.is_file() || !meta_b.is_file() || meta_a.len() != meta_b.len() {
        return Ok(false);
    }
    let mut a = BufReader::with_capacity(64 * 1024, std::fs::File::open(a)?);
    let mut b = BufReader::with_capacity(64 * 1024, std::fs::File::open(b)?);
    loop {
        let chunk_a = a.fill_buf()?;
        let chunk_b = b.fill_buf()?;
        if chunk_a.is_empty() || chunk_b.is_empty() {
            return Ok(chunk_a.is_empty() && chunk_b.is_empty());
        }
        let n = chunk_a.len().min(chunk_b.len());
        if chunk_a[..n] != chunk_b[..n] {
            return Ok(false);
        }
        a.consume(n);
        b.consume(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_compare_by_content_and_unreadable_files_never_match() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let mut other = big.clone();
        other[299_999] ^= 1;
        let a = write("a", &big);
        let b = write("b", &big);
        let c = write("c", &other);
        assert!(same_contents(&a, &b).unwrap());
        assert!(!same_contents(&a, &c).unwrap());
        assert!(!same_contents(&a, &write("short", b"x")).unwrap());
        let missing = dir.path().join("missing");
        assert!(same_contents(&missing, &dir.path().join("gone")).is_err());
        assert!(same_contents(&a, &missing).is_err());
    }
}
