//! The notebook worker: a notebook step runs `papermill <in> <out> -p name value …`
//! in the run folder, like flowServ's `NotebookStep`, and the executed notebook
//! stays in the run folder as one of the run's files.
//!
//! papermill is not part of flowdesk, so it is looked for once per run, before
//! the first step: next to the configured Python interpreter (a virtualenv),
//! on `PATH`, or as `${python} -m papermill`. Parameters are the step's `params`
//! looked up in the workflow variables (with `variables` mapping a parameter to
//! a differently named variable); a parameter without a value is left to the
//! notebook's default, as flowServ does. `requirements` are installed only by
//! the `nbdocker` worker (into its image), as in flowServ; here the interpreter
//! papermill starts must already have them.

use super::super::process::{self, Exit, Limits};
use super::super::step::{StepContext, Stop};
use super::papermill::{command_line, parameters, prepare_output};
use super::{environment, finish_command, launch, shell_quote, WorkerSpec};
use crate::error::EngineError;
use crate::workflow::{Action, Step};
use indexmap::IndexMap;
use std::path::Path;
use std::time::Duration;

/// How long the check whether `${python}` has papermill may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);

/// The start of a shell command that runs papermill, or `None` if there is none.
pub(super) async fn find_papermill(
    python: &str,
    cwd: &Path,
    cancel: &super::super::CancelToken,
) -> Option<String> {
    // A virtualenv's interpreter has its papermill next to it.
    if !python.contains(char::is_whitespace) && python.contains('/') {
        if let Some(dir) = Path::new(python).parent() {
            let sibling = dir.join("papermill");
            if sibling.is_file() {
                return Some(shell_quote(&sibling.to_string_lossy()));
            }
        }
    }
    if let Some(found) = crate::config::find_on_path("papermill") {
        return Some(shell_quote(&found.to_string_lossy()));
    }
    // `${python}` is a shell snippet (it may carry options), so probe through sh.
    let probe = format!("{python} -c 'import papermill'");
    let mut discard = |_line: process::OutputLine| {};
    let exit = process::run_program(
        "sh",
        &["-c", probe.as_str()],
        cwd,
        [],
        Limits {
            cancel,
            deadline: Some(tokio::time::Instant::now() + PROBE_TIMEOUT),
            tag: Some(cwd),
        },
        &mut discard,
    )
    .await;
    match exit {
        Ok(Exit::Exited(status)) if status.success() => Some(format!("{python} -m papermill")),
        _ => None,
    }
}

/// Run a notebook step with papermill on this machine.
pub(super) async fn run(
    step: &Step,
    worker: &WorkerSpec,
    context: &mut StepContext<'_, '_>,
) -> Result<(), Stop> {
    let Action::Notebook {
        notebook, output, ..
    } = &step.action
    else {
        return Ok(());
    };
    let papermill = context.tools.papermill.clone().ok_or_else(|| {
        Stop::failed(EngineError::NoPapermill {
            step: step.name.clone(),
            python: context.python.to_string(),
        })
    })?;
    prepare_output(step, output, context)?;
    let parameters = parameters(&step.action, context.variables);
    let command = command_line(&papermill, notebook, output, &parameters);
    let mut env: Vec<(String, String)> = Vec::new();
    if let Some(path) = super::helpers::python_path(None, &context.tools.helpers) {
        env.push(("PYTHONPATH".to_string(), path));
    }
    env.extend(environment(
        worker,
        context.run_env,
        &IndexMap::new(),
        context.variables,
    ));
    let args = ["-c".to_string(), command.clone()];
    let exit = launch(step, "sh", &args, &env, context).await?;
    finish_command(step, &command, exit, context)
}
