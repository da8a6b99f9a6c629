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
use super::{new_id, Service, ServiceEvent, Shared, INTERRUPTED};
use crate::engine::{Engine, EngineEvent, RunJob, RunOutcome, WorkerConfig};
use crate::error::ServiceError;
use crate::paths::join_inside;
use crate::store::{NewRun, RunFile, RunFilter, RunRecord, RunState, SubmissionRecord};
use crate::template::{ResultSchema, ResultValue, Template};
use crate::workflow::SerialWorkflow;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Weak};

/// Folder inside each run folder for flowdesk's own files (log, lock, workflow).
pub const META_DIR: &str = ".flowdesk";
/// The run's log, inside [`META_DIR`].
pub const LOG_FILE: &str = "log.txt";
const WORKFLOW_FILE: &str = "workflow.json";
const CANCEL_FILE: &str = "cancel";

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
        let bound = template.bind(&request.arguments)?;
        let workflow = template.expand(&bound, &self.shared.expand_options())?;

        // Resolve every file argument's source before anything is written.
        let uploads = self.shared.store.uploads(&submission.id)?;
        let static_dir = self.shared.static_dir(&workflow_record.id);
        let mut file_copies: Vec<(PathBuf, String)> = Vec::new();
        for (name, file) in &bound.files {
            let source = if file.from_default {
                join_inside(&static_dir, &file.source, false)
                    .map_err(|e| ServiceError::UnsafePath(format!("parameter '{name}': {e}")))?
            } else if let Some(upload) = uploads
                .iter()
                .find(|u| u.id == file.source || u.name == file.source)
            {
                self.shared.config.home.join(&upload.path)
            } else {
                let local = PathBuf::from(&file.source);
                if !local.is_file() {
                    return Err(ServiceError::MissingFileArgument {
                        name: name.clone(),
                        file: file.source.clone(),
                    });
                }
                local
            };
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
            Ok::<_, ServiceError>(self.shared.store.insert_run(&NewRun {
                id: run_id.clone(),
                workflow_id: workflow_record.id.clone(),
                submission_id: Some(submission.id.clone()),
                arguments: Value::Object(arguments),
            })?)
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
    /// cancel request in the run folder, which that process picks up.
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
                // Nobody runs it: it was abandoned.
                self.shared
                    .store
                    .finish_canceled(&run.id, &[super::CANCELED.to_string()])?;
            }
        }
        Ok(run)
    }

    /// Mark runs a dead process left PENDING or RUNNING as interrupted.
    pub(crate) fn recover_interrupted(&self) -> Result<Vec<String>, ServiceError> {
        let store = &self.shared.store;
        let mut recovered = Vec::new();
        for state in [RunState::Pending, RunState::Running] {
            let runs = store.runs(&RunFilter {
                state: Some(state),
                include_postproc: true,
                ..Default::default()
            })?;
            for run in runs {
                let lock = self.shared.run_dir(&run.id).join(META_DIR);
                if !is_held(&lock) {
                    store.finish_error(&run.id, &[INTERRUPTED.to_string()])?;
                    recovered.push(run.id);
                }
            }
        }
        Ok(recovered)
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

/// The supervisor loop: store updates for engine events, finalization of ended
/// runs, post-processing, notifications.
pub(crate) fn supervise(
    shared: Arc<Shared>,
    engine: Weak<Engine>,
    events: mpsc::Receiver<EngineEvent>,
) {
    loop {
        let event = match events.recv_timeout(std::time::Duration::from_millis(200)) {
            Ok(event) => event,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // Cancel requests other processes left for the runs we execute.
                if let Some(engine) = engine.upgrade() {
                    poll_cancel_requests(&shared, &engine);
                }
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        match event {
            EngineEvent::Started { run_id } => {
                let run_id = run_id.to_string();
                let _ = shared.store.start_run(&run_id);
                shared.emit(ServiceEvent::RunChanged { run_id });
            }
            EngineEvent::StepStarted {
                run_id,
                index,
                count,
                name,
            } => {
                let run_id = run_id.to_string();
                let _ = shared
                    .store
                    .set_progress(&run_id, index as u32, count as u32, &name);
                shared.emit(ServiceEvent::RunChanged { run_id });
            }
            EngineEvent::Log {
                run_id,
                step,
                stream,
                line,
                ..
            } => {
                shared.emit(ServiceEvent::Log {
                    run_id: run_id.to_string(),
                    step: step.to_string(),
                    stderr: matches!(stream, crate::engine::Stream::Stderr),
                    line,
                });
            }
            EngineEvent::Finished { run_id, outcome } => {
                let run_id = run_id.to_string();
                let state = finalize(&shared, &run_id, outcome);
                // Post-processing is set off before waiters hear of the end: a
                // command waiting for this run may exit right after.
                if state == RunState::Success {
                    if let Some(engine) = engine.upgrade() {
                        if let Err(e) = super::ranking::maybe_postprocess(&shared, &engine, &run_id)
                        {
                            eprintln!("flowdesk: post-processing after run {run_id} failed: {e}");
                        }
                    }
                }
                if let Ok(mut finished) = shared.finished.lock() {
                    finished.insert(run_id.clone());
                }
                if let Ok(mut locks) = shared.locks.lock() {
                    locks.remove(&run_id);
                }
                shared.finished_signal.notify_all();
                shared.emit(ServiceEvent::RunFinished {
                    run_id: run_id.clone(),
                    state,
                });
            }
        }
    }
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

/// Store the outcome of an ended run; returns the state it ended in.
fn finalize(shared: &Shared, run_id: &str, outcome: RunOutcome) -> RunState {
    let store = &shared.store;
    // First, so that "all files of the run folder" lists what the run made.
    remove_static_copies(shared, run_id);
    let result = match outcome {
        RunOutcome::Canceled => store
            .finish_canceled(run_id, &[super::CANCELED.to_string()])
            .map(|_| RunState::Canceled),
        RunOutcome::Error(messages) => store
            .finish_error(run_id, &messages)
            .map(|_| RunState::Error),
        RunOutcome::Success => match collect_success(shared, run_id) {
            Ok((files, results)) => store
                .finish_success(run_id, &files, &results)
                .map(|_| RunState::Success),
            Err(message) => store
                .finish_error(run_id, &[message])
                .map(|_| RunState::Error),
        },
    };
    let state = result.unwrap_or(RunState::Error);
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
        (Some(schema), false) => read_results(&run_dir, schema)?,
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

/// Read the result file and extract the schema's columns.
pub(crate) fn read_results(
    run_dir: &Path,
    schema: &ResultSchema,
) -> Result<Vec<(String, Option<ResultValue>)>, String> {
    let path = run_dir.join(&schema.file);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("result file '{}' cannot be read: {e}", schema.file))?;
    let is_yaml = schema.file.ends_with(".yaml") || schema.file.ends_with(".yml");
    let document: Value = if is_yaml {
        serde_yaml::from_str(&text)
            .map_err(|e| format!("result file '{}' is not valid YAML: {e}", schema.file))?
    } else {
        serde_json::from_str(&text)
            .map_err(|e| format!("result file '{}' is not valid JSON: {e}", schema.file))?
    };
    schema.extract(&document)
}

fn read_expanded(run_dir: &Path) -> Option<SerialWorkflow> {
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
    let Ok(Some(run)) = shared.store.run(run_id) else {
        return;
    };
    let static_dir = shared.static_dir(&run.workflow_id);
    let run_dir = shared.run_dir(run_id);
    let mut keep: Vec<String> = declared_outputs(shared, run_id);
    if let Ok(Some(workflow)) = shared.store.workflow(&run.workflow_id) {
        keep.extend(workflow.result_schema.map(|schema| schema.file));
    }
    for relative in list_files(&static_dir, &[]) {
        if keep.iter().any(|k| {
            relative == *k || relative.starts_with(&format!("{}/", k.trim_end_matches('/')))
        }) {
            continue;
        }
        let copy = run_dir.join(&relative);
        let original = static_dir.join(&relative);
        let same = match (std::fs::metadata(&copy), std::fs::metadata(&original)) {
            (Ok(a), Ok(b)) if a.is_file() && a.len() == b.len() => {
                std::fs::read(&copy).ok() == std::fs::read(&original).ok()
            }
            _ => false,
        };
        if same {
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
