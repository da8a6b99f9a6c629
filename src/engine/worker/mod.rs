//! Workers decide how a step runs. flowServ picks a worker for each step from a
//! worker configuration ([`WorkerConfig`], see `config`) and falls back to a
//! default per kind of step; flowdesk does the same:
//!
//! | step | default worker | configurable |
//! |---|---|---|
//! | container (`environment` + `commands`) | `subprocess`: `sh -c` on this machine | `docker` |
//! | notebook | `notebook`: papermill on this machine | `nbdocker` |
//! | code (`func`) | `code`: the configured Python interpreter | — |
//!
//! Before the first step runs, every step's worker is resolved and what those
//! workers need is checked (Docker reachable, papermill installed), so a run
//! that cannot work fails at once instead of after its first steps. Every
//! worker runs its programs through [`process`](super::process), so output
//! streaming, cancellation and time limits behave the same everywhere.
//!
//! `${var}` in commands is expanded here, at run time, not when the run is
//! prepared: code steps add variables while the run goes on (their `arg`), and
//! a worker's `variables` depend on which worker runs the step.

mod code;
mod config;
mod docker;
pub(crate) mod helpers;
mod notebook;
mod papermill;
mod subprocess;

pub use config::{WorkerConfig, WorkerKind, WorkerSpec};
pub use docker::clean_up_after_dead_owner;

use super::process::{self, Exit, Limits};
pub(crate) use super::step::{seconds, Tools};
use super::step::{StepContext, Stop};
use crate::error::EngineError;
use crate::workflow::{vars, Action, Step};
use indexmap::IndexMap;
use serde_json::{Map, Value};

/// The worker of each step, and the tools they need; fails with the first step
/// that cannot run.
pub(crate) async fn prepare(
    steps: &[Step],
    config: &WorkerConfig,
    python: &str,
    run_dir: &std::path::Path,
    cancel: &super::CancelToken,
) -> Result<(Vec<WorkerSpec>, Tools), Stop> {
    let mut workers = Vec::with_capacity(steps.len());
    for step in steps {
        workers.push(resolve(step, config).map_err(Stop::failed)?);
    }
    let mut tools = Tools::default();
    let needs_docker = steps
        .iter()
        .zip(&workers)
        .find(|(_, w)| matches!(w.kind, WorkerKind::Docker | WorkerKind::NbDocker));
    if let Some((step, _)) = needs_docker {
        match docker::check(run_dir, cancel).await {
            Ok(program) => tools.docker = Some(program),
            Err(docker::Unavailable::Canceled) => return Err(Stop::Canceled),
            Err(docker::Unavailable::Reason(reason)) => {
                return Err(Stop::failed(EngineError::DockerUnavailable {
                    step: step.name.clone(),
                    reason,
                }))
            }
        }
    }
    let needs_papermill = steps
        .iter()
        .zip(&workers)
        .find(|(_, w)| w.kind == WorkerKind::Notebook);
    if let Some((step, _)) = needs_papermill {
        match notebook::find_papermill(python, run_dir, cancel).await {
            Some(command) => tools.papermill = Some(command),
            None if cancel.is_cancelled() => return Err(Stop::Canceled),
            None => {
                return Err(Stop::failed(EngineError::NoPapermill {
                    step: step.name.clone(),
                    python: python.to_string(),
                }))
            }
        }
    }
    tools.helpers = helpers::resolve(steps, python, run_dir, cancel).await;
    if cancel.is_cancelled() {
        return Err(Stop::Canceled);
    }
    Ok((workers, tools))
}

/// The configured worker of `step`, or the default of its kind; an error if the
/// configured one cannot run this kind of step.
fn resolve(step: &Step, config: &WorkerConfig) -> Result<WorkerSpec, EngineError> {
    let action = match &step.action {
        Action::Container { .. } => "container",
        Action::Notebook { .. } => "notebook",
        Action::Code { .. } => "code",
        Action::Actor { parameter } => {
            return Err(EngineError::UnboundActor {
                step: step.name.clone(),
                parameter: parameter.clone(),
            })
        }
    };
    match config.for_step(step) {
        Some(spec) if spec.kind.runs(&step.action) => Ok(spec.clone()),
        Some(spec) => Err(EngineError::WrongWorker {
            step: step.name.clone(),
            worker: spec.name.clone(),
            kind: spec.kind.as_str(),
            action,
        }),
        None => {
            let kind = match &step.action {
                Action::Notebook { .. } => WorkerKind::Notebook,
                Action::Code { .. } => WorkerKind::Code,
                _ => WorkerKind::Subprocess,
            };
            Ok(WorkerSpec {
                name: kind.as_str().to_string(),
                kind,
                variables: IndexMap::new(),
                env: IndexMap::new(),
                volume: None,
                timeout: None,
                image: None,
            })
        }
    }
}

/// Run one step with its worker.
pub(crate) async fn run_step(
    step: &Step,
    worker: &WorkerSpec,
    context: &mut StepContext<'_, '_>,
) -> Result<(), Stop> {
    match (&step.action, worker.kind) {
        (
            Action::Container {
                image,
                commands,
                env,
            },
            WorkerKind::Docker,
        ) => docker::run_commands(step, worker, image, commands, env, context).await,
        (Action::Container { commands, env, .. }, _) => {
            subprocess::run(step, worker, commands, env, context).await
        }
        (Action::Notebook { .. }, WorkerKind::NbDocker) => {
            docker::run_notebook(step, worker, context).await
        }
        (Action::Notebook { .. }, _) => notebook::run(step, worker, context).await,
        (Action::Code { .. }, _) => code::run(step, worker, context).await,
        (Action::Actor { parameter }, _) => Err(Stop::failed(EngineError::UnboundActor {
            step: step.name.clone(),
            parameter: parameter.clone(),
        })),
    }
}

/// The `${var}` values for a container step's commands: the workflow's
/// variables (code step results included), then `python` (the interpreter on
/// the worker) and `java`, then the worker's own `variables`, which are fixed
/// as in flowServ.
fn command_variables(
    context: &Map<String, Value>,
    worker: &WorkerSpec,
    python: &str,
) -> Map<String, Value> {
    let fixed: Vec<(String, String)> = worker
        .variables
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    crate::workflow::steps::command_variables(context, python, &fixed)
}

/// Environment variables for a step: the worker's, then the run's, then the
/// step's own (later ones win), with `${var}` expanded in the values.
fn environment(
    worker: &WorkerSpec,
    run_env: &IndexMap<String, String>,
    step_env: &IndexMap<String, String>,
    variables: &Map<String, Value>,
) -> Vec<(String, String)> {
    let mut env: IndexMap<String, String> = IndexMap::new();
    for (key, value) in worker.env.iter().chain(run_env).chain(step_env) {
        env.insert(key.clone(), vars::substitute(value, variables));
    }
    env.into_iter().collect()
}

/// Quote `text` for `sh` when it holds anything beyond plainly safe characters.
pub(crate) fn shell_quote(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-./:=@%+,".contains(&b));
    if safe {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// Start one program of a step and wait for it under the step's limits. Only a
/// failure to start it is an error here; how it ended is for [`finish`].
async fn launch(
    step: &Step,
    program: &str,
    args: &[String],
    env: &[(String, String)],
    context: &mut StepContext<'_, '_>,
) -> Result<Exit, Stop> {
    context.sink.start_command();
    context.sink.record_command(match (program, args) {
        ("sh", [flag, command]) if flag == "-c" => command.clone(),
        _ => std::iter::once(program)
            .chain(args.iter().map(String::as_str))
            .map(shell_quote)
            .collect::<Vec<_>>()
            .join(" "),
    });
    let exit = process::run_program(
        program,
        args,
        context.run_dir,
        env.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        Limits {
            cancel: context.cancel,
            deadline: context.deadline.map(|d| d.at),
            tag: Some(context.run_dir),
        },
        context.sink,
    )
    .await
    .map_err(|source| {
        Stop::failed(EngineError::Spawn {
            step: step.name.clone(),
            program: program.to_string(),
            source,
        })
    })?;
    context.sink.record_exit(exit);
    Ok(exit)
}

/// The step's result for how a program ended: success, cancel, time-out, or a
/// failure whose messages are `failed(status)` and the tail of its stderr.
fn finish(
    step: &Step,
    exit: Exit,
    context: &StepContext<'_, '_>,
    failed: impl FnOnce(process::ExitStatus) -> EngineError,
) -> Result<(), Stop> {
    match exit {
        Exit::Exited(status) if status.success() => Ok(()),
        Exit::Canceled => Err(Stop::Canceled),
        Exit::TimedOut => Err(Stop::failed(match context.deadline {
            Some(deadline) => deadline.error(step),
            // Cannot happen: only a deadline times a program out.
            None => EngineError::TimedOut {
                step: step.name.clone(),
                seconds: "?".into(),
                limit: "",
            },
        })),
        Exit::Exited(status) => {
            let mut messages = vec![failed(status).to_string()];
            messages.extend(context.sink.stderr_tail());
            Err(Stop::Failed(messages))
        }
    }
}

/// [`finish`] for a command shown as `command` in the message.
fn finish_command(
    step: &Step,
    command: &str,
    exit: Exit,
    context: &StepContext<'_, '_>,
) -> Result<(), Stop> {
    finish(step, exit, context, |status| EngineError::CommandFailed {
        step: step.name.clone(),
        command: command.to_string(),
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn quoting_and_seconds() {
        assert_eq!(shell_quote("results/a.ipynb"), "results/a.ipynb");
        assert_eq!(shell_quote("it's here"), "'it'\\''s here'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
        assert_eq!(seconds(Duration::from_secs(3)), "3");
        assert_eq!(seconds(Duration::from_millis(2500)), "2.5");
    }

    #[test]
    fn worker_variables_win_over_workflow_variables() {
        let context: Map<String, Value> = serde_json::json!({"python": "/usr/bin/python3", "n": 3})
            .as_object()
            .cloned()
            .unwrap();
        let mut worker = resolve(
            &Step {
                name: "s".into(),
                inputs: vec![],
                outputs: vec![],
                action: Action::Container {
                    image: "i".into(),
                    commands: vec![],
                    env: IndexMap::new(),
                },
            },
            &WorkerConfig::default(),
        )
        .unwrap();
        assert_eq!(worker.kind, WorkerKind::Subprocess);
        worker.variables.insert("n".into(), "7".into());
        let variables = command_variables(&context, &worker, "python");
        assert_eq!(
            vars::substitute("${python} run.py ${n} $$n", &variables),
            "python run.py 7 $n"
        );
    }
}
