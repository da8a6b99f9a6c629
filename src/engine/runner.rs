//! Executes one workflow in its run folder: the steps in order, each step's declared
//! inputs checked before it and declared outputs after it, every output line
//! written to the run's log (and the step's log) and sent as an event. The first
//! failure ends the run with messages that name the step.
//!
//! The runner owns the run's variables (the workflow's, plus what code steps
//! return) and its time limits: each step gets a deadline, the earlier of its own
//! limit and what is left of the run's.

use super::cancel::CancelToken;
use super::process::{Exit, ExitStatus, OutputLine, OutputSink, Stream, Usage};
use super::worker::{self, Deadline, Tools, WorkerConfig, WorkerKind, WorkerSpec};
use super::{EngineEvent, EventCallback, RunJob, RunOutcome, StepRecord};
use crate::error::EngineError;
use crate::paths::check_relative;
use crate::workflow::Step;
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How many stderr lines of a failing command end up in the run's messages.
const STDERR_TAIL: usize = 10;

/// Why a step (and so the run) stopped early.
#[derive(Debug)]
pub(crate) enum Stop {
    Canceled,
    Failed(Vec<String>),
}

impl Stop {
    pub(crate) fn failed(error: EngineError) -> Self {
        Stop::Failed(vec![error.to_string()])
    }
}

/// What a worker gets to run one step.
pub(crate) struct StepContext<'a, 's> {
    pub run_id: &'a str,
    pub run_dir: &'a Path,
    /// flowdesk's folder in the run folder (where the log is), for files the
    /// engine writes for a step.
    pub meta_dir: &'a Path,
    /// The step's position (0-based).
    pub index: usize,
    /// The run's environment variables (the step's own come on top).
    pub run_env: &'a IndexMap<String, String>,
    /// The workflow variables so far; code steps add their results.
    pub variables: &'a mut Map<String, Value>,
    /// The interpreter `${python}` stands for, and code and notebook steps use.
    pub python: &'a str,
    pub cancel: &'a CancelToken,
    /// When the step must stop, if it has a time limit.
    pub deadline: Option<Deadline>,
    pub tools: &'a Tools,
    /// Containers started in this run so far (for unique container names).
    pub containers: &'a mut usize,
    pub sink: &'a mut StepSink<'s>,
}

/// Run every step of `job`; never fails, the outcome says how it went.
pub(crate) async fn run_workflow(
    job: &RunJob,
    run_id: &Arc<str>,
    workers: &WorkerConfig,
    cancel: &CancelToken,
    on_event: &EventCallback,
) -> RunOutcome {
    match run_steps(job, run_id, workers, cancel, on_event).await {
        Ok(()) => RunOutcome::Success,
        Err(Stop::Canceled) => RunOutcome::Canceled,
        Err(Stop::Failed(messages)) => RunOutcome::Error(messages),
    }
}

async fn run_steps(
    job: &RunJob,
    run_id: &Arc<str>,
    workers: &WorkerConfig,
    cancel: &CancelToken,
    on_event: &EventCallback,
) -> Result<(), Stop> {
    if !job.run_dir.is_dir() {
        return Err(Stop::failed(EngineError::NoRunFolder(job.run_dir.clone())));
    }
    let mut log = RunLog::create(&job.log_path).map_err(Stop::failed)?;
    let run_deadline = job.run_timeout.map(|limit| Deadline {
        at: tokio::time::Instant::now() + limit,
        limit,
        run_wide: true,
    });
    let meta_dir = job
        .log_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| job.run_dir.join(".flowdesk"));
    let mut variables = job.workflow.variables.clone();
    let python = job.workflow.interpreter();
    let steps = &job.workflow.steps;
    // Every step's worker, and what those workers need, before anything runs.
    let (step_workers, tools) =
        worker::prepare(steps, workers, &python, &job.run_dir, cancel).await?;
    if let (Some(note), Some(first)) = (&tools.helpers.note, steps.first()) {
        log.note(run_id, &Arc::from(first.name.as_str()), on_event, note);
    }
    let mut containers = 0;
    for (index, (step, step_worker)) in steps.iter().zip(&step_workers).enumerate() {
        if cancel.is_cancelled() {
            return Err(Stop::Canceled);
        }
        let name: Arc<str> = Arc::from(step.name.as_str());
        on_event(EngineEvent::StepStarted {
            run_id: run_id.clone(),
            index,
            count: steps.len(),
            name: name.clone(),
        });
        // flowServ checks neither a step's inputs nor its outputs, and
        // benchmarks in the wild list stale names: a warning in the log, not a
        // failure. (The workflow's declared outputs are checked when it ends.)
        let missing_inputs: Vec<String> = step
            .inputs
            .iter()
            .filter_map(|input| match exists(&job.run_dir, step, input) {
                Ok(true) => None,
                Ok(false) => Some(Ok(input.clone())),
                Err(stop) => Some(Err(stop)),
            })
            .collect::<Result<_, _>>()?;
        for input in &missing_inputs {
            log.warning(
                run_id,
                &name,
                on_event,
                &format!(
                    "input file `{input}` does not exist in the run folder; the step runs anyway"
                ),
            );
        }
        let deadline = Deadline::earliest(step_worker.timeout.or(job.step_timeout), run_deadline);
        if let Some(deadline) = deadline.filter(|d| d.at <= tokio::time::Instant::now()) {
            return Err(Stop::failed(deadline.error(step)));
        }
        let started_at = chrono::Utc::now();
        let mut measured = Measured::default();
        let result = {
            let mut sink = StepSink {
                run_id,
                step: name.clone(),
                on_event,
                log: &mut log,
                stderr_tail: VecDeque::new(),
                measured: &mut measured,
            };
            let mut context = StepContext {
                run_id,
                run_dir: &job.run_dir,
                meta_dir: &meta_dir,
                index,
                run_env: &job.env,
                variables: &mut variables,
                python: &python,
                cancel,
                deadline,
                tools: &tools,
                containers: &mut containers,
                sink: &mut sink,
            };
            worker::run_step(step, step_worker, &mut context).await
        };
        on_event(EngineEvent::StepFinished {
            run_id: run_id.clone(),
            record: measured.record(index, step, step_worker, started_at),
        });
        log.close_step().map_err(Stop::failed)?;
        result?;
        for output in &step.outputs {
            if !exists(&job.run_dir, step, output)? {
                log.warning(
                    run_id,
                    &name,
                    on_event,
                    &format!("the step did not create its output `{output}`"),
                );
            }
        }
    }
    log.finish().map_err(Stop::failed)
}

/// Whether a step's declared file exists in the run folder.
fn exists(run_dir: &Path, step: &Step, path: &str) -> Result<bool, Stop> {
    let relative = check_relative(path, false).map_err(|source| {
        Stop::failed(EngineError::BadPath {
            step: step.name.clone(),
            source,
        })
    })?;
    Ok(run_dir.join(relative).exists())
}

/// The run's log file: one file for all steps (each line names its step), so a
/// run creates as few files as possible. A write error is kept and reported when
/// the step ends; the command itself is not disturbed by it.
struct RunLog {
    path: PathBuf,
    run: BufWriter<File>,
    error: Option<EngineError>,
}

impl RunLog {
    fn create(path: &Path) -> Result<Self, EngineError> {
        let error = |source| EngineError::Log {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(error)?;
        }
        let file = File::create(path).map_err(error)?;
        Ok(RunLog {
            path: path.to_path_buf(),
            run: BufWriter::with_capacity(32 * 1024, file),
            error: None,
        })
    }

    fn write(&mut self, step: &str, stream: Stream, time: &str, text: &str) {
        if self.error.is_some() {
            return;
        }
        if let Err(source) = writeln!(self.run, "{time} {step} {stream} {text}") {
            self.error = Some(EngineError::Log {
                path: self.path.clone(),
                source,
            });
        }
    }

    /// A warning of flowdesk's own in the step's log and the live log (on
    /// stderr, marked as ours).
    fn warning(
        &mut self,
        run_id: &Arc<str>,
        step: &Arc<str>,
        on_event: &EventCallback,
        text: &str,
    ) {
        self.line(
            run_id,
            step,
            on_event,
            Stream::Stderr,
            format!("flowdesk: warning: {text}"),
        );
    }

    /// A note of flowdesk's own (on stdout, marked as ours).
    fn note(&mut self, run_id: &Arc<str>, step: &Arc<str>, on_event: &EventCallback, text: &str) {
        self.line(
            run_id,
            step,
            on_event,
            Stream::Stdout,
            format!("flowdesk: {text}"),
        );
    }

    fn line(
        &mut self,
        run_id: &Arc<str>,
        step: &Arc<str>,
        on_event: &EventCallback,
        stream: Stream,
        line: String,
    ) {
        let now = chrono::Utc::now();
        let time = now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        self.write(step, stream, &time, &line);
        on_event(EngineEvent::Log {
            run_id: run_id.clone(),
            step: step.clone(),
            stream,
            time: now,
            line,
        });
    }

    fn flush(&mut self) {
        if self.error.is_some() {
            return;
        }
        if let Err(source) = self.run.flush() {
            self.error = Some(EngineError::Log {
                path: self.path.clone(),
                source,
            });
        }
    }

    fn close_step(&mut self) -> Result<(), EngineError> {
        self.flush();
        self.error.take().map_or(Ok(()), Err)
    }

    fn finish(mut self) -> Result<(), EngineError> {
        self.flush();
        self.error.take().map_or(Ok(()), Err)
    }
}

/// What a step's programs were and used, gathered as they run.
#[derive(Default)]
struct Measured {
    commands: Vec<String>,
    exit: Option<ExitStatus>,
    peak_memory: Option<u64>,
    cpu_time: Option<std::time::Duration>,
}

impl Measured {
    fn record(
        self,
        index: usize,
        step: &crate::workflow::Step,
        worker: &WorkerSpec,
        started_at: chrono::DateTime<chrono::Utc>,
    ) -> StepRecord {
        let image = match (&step.action, worker.kind) {
            (_, WorkerKind::NbDocker) => worker.image.clone(),
            (crate::workflow::Action::Container { image, .. }, WorkerKind::Docker) => {
                Some(worker.image.clone().unwrap_or_else(|| image.clone()))
            }
            _ => None,
        };
        StepRecord {
            index,
            name: step.name.clone(),
            worker: worker.name.clone(),
            kind: worker.kind.as_str().to_string(),
            image,
            commands: self.commands,
            exit: self.exit,
            started_at,
            finished_at: chrono::Utc::now(),
            peak_memory: self.peak_memory,
            cpu_time: self.cpu_time,
        }
    }
}

/// Where a step's output lines go: the logs, the event callback, and a tail of
/// stderr for the error message; and what its programs were and used.
pub(crate) struct StepSink<'a> {
    run_id: &'a Arc<str>,
    step: Arc<str>,
    on_event: &'a EventCallback,
    log: &'a mut RunLog,
    stderr_tail: VecDeque<String>,
    measured: &'a mut Measured,
}

impl StepSink<'_> {
    /// Forget the previous command's stderr.
    pub(crate) fn start_command(&mut self) {
        self.stderr_tail.clear();
    }

    /// A program of the step, as it is started.
    pub(crate) fn record_command(&mut self, command: String) {
        self.measured.commands.push(command);
    }

    /// How the step's latest program ended.
    pub(crate) fn record_exit(&mut self, exit: Exit) {
        self.measured.exit = match exit {
            Exit::Exited(status) => Some(status),
            Exit::Canceled | Exit::TimedOut => None,
        };
    }

    /// The last stderr lines of the current command, oldest first.
    pub(crate) fn stderr_tail(&self) -> impl Iterator<Item = String> + '_ {
        self.stderr_tail.iter().cloned()
    }
}

impl OutputSink for StepSink<'_> {
    fn line(&mut self, line: OutputLine) {
        let time = line
            .time
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        self.log.write(&self.step, line.stream, &time, &line.text);
        if line.stream == Stream::Stderr {
            if self.stderr_tail.len() == STDERR_TAIL {
                self.stderr_tail.pop_front();
            }
            self.stderr_tail.push_back(line.text.clone());
        }
        (self.on_event)(EngineEvent::Log {
            run_id: self.run_id.clone(),
            step: self.step.clone(),
            stream: line.stream,
            time: line.time,
            line: line.text,
        });
    }

    fn idle(&mut self) {
        self.log.flush();
    }

    fn usage(&mut self, usage: Usage) {
        let measured = &mut self.measured;
        measured.peak_memory = Some(measured.peak_memory.unwrap_or(0).max(usage.peak_memory));
        let cpu = usage.user_time + usage.system_time;
        measured.cpu_time = Some(measured.cpu_time.unwrap_or_default() + cpu);
    }
}
