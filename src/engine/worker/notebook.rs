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
use super::super::runner::{StepContext, Stop};
use super::{environment, finish_command, launch, shell_quote, WorkerSpec};
use crate::error::EngineError;
use crate::template::doc::python_str;
use crate::workflow::{Action, Step};
use indexmap::IndexMap;
use serde_json::{Map, Value};
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

/// papermill does not create the output notebook's folder.
pub(super) fn prepare_output(
    step: &Step,
    output: &str,
    context: &StepContext<'_, '_>,
) -> Result<(), Stop> {
    if let Some(parent) = context.run_dir.join(output).parent() {
        std::fs::create_dir_all(parent).map_err(|source| {
            Stop::failed(EngineError::StepFile {
                step: step.name.clone(),
                path: parent.to_path_buf(),
                source,
            })
        })?;
    }
    Ok(())
}

/// The values of the step's `params` that the workflow has, in `params` order.
pub(super) fn parameters(action: &Action, variables: &Map<String, Value>) -> Vec<(String, Value)> {
    let Action::Notebook {
        params,
        variables: names,
        ..
    } = action
    else {
        return Vec::new();
    };
    params
        .iter()
        .filter_map(|param| {
            let source = names.get(param).unwrap_or(param);
            variables.get(source).map(|v| (param.clone(), v.clone()))
        })
        .collect()
}

/// `<papermill> <in> <out> --no-progress-bar --log-output -p name value …` as a
/// shell command line. The progress bar is off because it redraws one line with
/// carriage returns, which reads badly in a log; `--log-output` puts the
/// notebook's own output into the run's log as it runs.
pub(super) fn command_line(
    papermill: &str,
    notebook: &str,
    output: &str,
    parameters: &[(String, Value)],
) -> String {
    let mut line = format!(
        "{papermill} {} {} --no-progress-bar --log-output",
        shell_quote(notebook),
        shell_quote(output)
    );
    for arg in parameter_args(parameters) {
        line.push(' ');
        line.push_str(&shell_quote(&arg));
    }
    line
}

/// papermill's `-p name value` turns `True`, `None`, `12` or `1.5` into
/// booleans, None and numbers. Values it would read back as something else (a
/// text that looks like a number, a list, null) go as `-y '{"name": <JSON>}'`
/// instead, so the notebook gets exactly the workflow's value.
pub(super) fn parameter_args(parameters: &[(String, Value)]) -> Vec<String> {
    let mut args = Vec::new();
    for (name, value) in parameters {
        let plain = match value {
            Value::Bool(_) => Some(python_str(value)),
            Value::Number(n) => {
                let text = python_str(value);
                // A float written without a point would come back as an int.
                let float_kept = !n.is_f64()
                    || text.contains(['.', 'e', 'E'])
                    || text.ends_with("inf")
                    || text == "nan";
                float_kept.then_some(text)
            }
            Value::String(s) if stays_text(s) => Some(s.clone()),
            _ => None,
        };
        match plain {
            Some(text) => args.extend(["-p".to_string(), name.clone(), text]),
            None => {
                let document = format!("{{{}: {}}}", Value::String(name.clone()), yaml(value));
                args.extend(["-y".to_string(), document]);
            }
        }
    }
    args
}

/// `value` as JSON that PyYAML (YAML 1.1) reads back the same: JSON, except that
/// floats need a point and a signed exponent (`1.0e+20`, not `1e20`).
fn yaml(value: &Value) -> String {
    match value {
        Value::Number(n) if n.is_f64() => {
            let text = n.to_string();
            match text.split_once(['e', 'E']) {
                Some((mantissa, exponent)) => {
                    let point = if mantissa.contains('.') { "" } else { ".0" };
                    let sign = if exponent.starts_with(['+', '-']) {
                        ""
                    } else {
                        "+"
                    };
                    format!("{mantissa}{point}e{sign}{exponent}")
                }
                None if text.contains('.') => text,
                None => format!("{text}.0"),
            }
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(yaml).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), yaml(v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        other => other.to_string(),
    }
}

/// Whether papermill keeps `text` a string (its `_resolve_type` tries `True`,
/// `False`, `None`, `int()` and `float()` first).
fn stays_text(text: &str) -> bool {
    if matches!(text, "True" | "False" | "None") {
        return false;
    }
    let word = text
        .trim()
        .trim_start_matches(['+', '-'])
        .to_ascii_lowercase();
    if matches!(word.as_str(), "nan" | "inf" | "infinity") {
        return false;
    }
    // int()/float() accept only digits, signs, points, underscores, exponents and
    // surrounding white space (non-ASCII digits included); anything else makes
    // the text a text.
    text.chars().any(|c| {
        c.is_ascii() && !(c.is_ascii_digit() || "+-._eE".contains(c) || c.is_ascii_whitespace())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parameters_keep_their_types() {
        let params: Vec<(String, Value)> = [
            ("n", json!(3)),
            ("x", json!(1.0)),
            ("big", json!(1e20)),
            ("flag", json!(true)),
            ("name", json!("Alice")),
            ("code", json!("007")),
            ("word", json!("None")),
            ("items", json!([1, 2.5, {"a": 1e-7}])),
            ("nothing", json!(null)),
            ("e", json!("e")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(
            parameter_args(&params),
            [
                "-p",
                "n",
                "3",
                "-p",
                "x",
                "1.0",
                "-p",
                "big",
                "1e+20",
                "-p",
                "flag",
                "True",
                "-p",
                "name",
                "Alice",
                "-y",
                "{\"code\": \"007\"}",
                "-y",
                "{\"word\": \"None\"}",
                "-y",
                "{\"items\": [1, 2.5, {\"a\": 1.0e-7}]}",
                "-y",
                "{\"nothing\": null}",
                "-y",
                "{\"e\": \"e\"}",
            ]
        );
    }

    #[test]
    fn builds_the_papermill_command_line() {
        let action = Action::Notebook {
            notebook: "notebooks/a.ipynb".into(),
            output: "results/a out.ipynb".into(),
            params: vec!["greeting".into(), "count".into(), "missing".into()],
            requirements: vec![],
            variables: [("count".to_string(), "n".to_string())]
                .into_iter()
                .collect(),
        };
        let variables = json!({"greeting": "Hi there", "n": 2})
            .as_object()
            .cloned()
            .unwrap();
        let parameters = parameters(&action, &variables);
        assert_eq!(
            command_line("papermill", "notebooks/a.ipynb", "results/a out.ipynb", &parameters),
            "papermill notebooks/a.ipynb 'results/a out.ipynb' --no-progress-bar --log-output -p greeting 'Hi there' -p count 2"
        );
    }
}
