//! Executes one workflow in its run folder: the steps in order, each step's declared
//! inputs checked before it and declared outputs after it, every output line
//! written to the run's log (and the step's log) and sent as an event. The first
//! failure ends the run with messages that name the step.
//!
//! The runner owns the run's variables (the workflow's, plus what code steps
//! return) and its time limits: each step gets a deadline, the earlier of its own
//! limit and what is left of the run's.

use super::cancel::CancelToken;
use super::log::RunLog;
use super::step::{Deadline, Measured, StepContext, StepSink, Stop};
use super::worker::{self, WorkerConfig, WorkerKind, WorkerSpec};
use super::{EngineEvent, EventCallback, RunJob, RunOutcome, StepRecord};
use crate::error::EngineError;
use crate::paths::check_relative;
use crate::workflow::Step;
use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;

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
    let mut log = RunLog::create(&job.log_path, job.log_limit).map_err(Stop::failed)?;
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
            record: step_record(measured, index, step, step_worker, started_at),
        });
        // A log that could not be written (a full disk) is the first thing to
        // tell; how the step itself went follows.
        match (log.close_step(), result) {
            (Ok(()), result) => result?,
            (Err(error), Err(Stop::Failed(messages))) => {
                let mut all = vec![error.to_string()];
                all.extend(messages);
                return Err(Stop::Failed(all));
            }
            (Err(error), _) => return Err(Stop::failed(error)),
        }
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

/// What a step ran and used, from what its sink gathered.
fn step_record(
    measured: Measured,
    index: usize,
    step: &Step,
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
        commands: measured.commands,
        exit: measured.exit,
        started_at,
        finished_at: chrono::Utc::now(),
        peak_memory: measured.peak_memory,
        cpu_time: measured.cpu_time,
    }
}
