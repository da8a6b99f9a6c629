//! The subprocess worker, flowServ's default: a container step's commands run one
//! after the other with `sh -c` in the run folder on this machine, ignoring the
//! image. The first command that fails ends the step.

use super::super::process::{self, Exit};
use super::super::runner::{StepContext, Stop};
use crate::error::EngineError;
use crate::workflow::Step;
use indexmap::IndexMap;

/// Settings of the subprocess worker (`args` of a worker configuration entry).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubprocessWorker {
    /// Environment variables for the commands; the run's and the step's own
    /// `env` override them.
    pub env: IndexMap<String, String>,
    /// Default values for `${var}` in commands. Commands reach the engine already
    /// expanded, so the caller applies these when it expands the workflow.
    pub variables: IndexMap<String, String>,
}

impl SubprocessWorker {
    pub(crate) async fn run(
        &self,
        step: &Step,
        commands: &[String],
        step_env: &IndexMap<String, String>,
        context: &mut StepContext<'_>,
    ) -> Result<(), Stop> {
        // Later entries win: worker < run < step.
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .chain(context.run_env.iter())
            .chain(step_env.iter())
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        for command in commands {
            context.sink.start_command();
            let exit = process::run_command(
                command,
                context.run_dir,
                env.iter().copied(),
                context.cancel,
                context.sink,
            )
            .await
            .map_err(|source| {
                Stop::failed(EngineError::Spawn {
                    step: step.name.clone(),
                    command: command.clone(),
                    source,
                })
            })?;
            match exit {
                Exit::Canceled => return Err(Stop::Canceled),
                Exit::Exited(status) if status.success() => {}
                Exit::Exited(status) => {
                    let mut messages = vec![EngineError::CommandFailed {
                        step: step.name.clone(),
                        command: command.clone(),
                        status,
                    }
                    .to_string()];
                    messages.extend(context.sink.stderr_tail());
                    return Err(Stop::Failed(messages));
                }
            }
        }
        Ok(())
    }
}
