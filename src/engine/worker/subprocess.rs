//! The subprocess worker, flowServ's default for container steps: the commands
//! run one after the other with `sh -c` in the run folder on this machine,
//! ignoring the image. The first command that fails ends the step.

use super::super::step::{StepContext, Stop};
use super::{command_variables, environment, finish_command, helpers, launch, WorkerSpec};
use crate::workflow::{vars, Step};
use indexmap::IndexMap;

pub(super) async fn run(
    step: &Step,
    worker: &WorkerSpec,
    commands: &[String],
    step_env: &IndexMap<String, String>,
    context: &mut StepContext<'_, '_>,
) -> Result<(), Stop> {
    let variables = command_variables(context.variables, worker, context.python);
    let mut env: Vec<(String, String)> = Vec::new();
    // Before the configured environment, so that an explicit PYTHONPATH wins.
    if let Some(path) = helpers::python_path(None, &context.tools.helpers) {
        env.push(("PYTHONPATH".to_string(), path));
    }
    env.extend(environment(worker, context.run_env, step_env, &variables));
    for command in commands {
        // flowServ strips each expanded command.
        let command = vars::substitute(command, &variables).trim().to_string();
        let args = ["-c".to_string(), command.clone()];
        let exit = launch(step, "sh", &args, &env, context).await?;
        finish_command(step, &command, exit, context)?;
    }
    Ok(())
}
