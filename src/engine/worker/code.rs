//! The code worker: a code step (`func: module.function`) calls a Python
//! function with workflow variables. flowServ calls it inside its own Python
//! process; flowdesk has none, so it starts the configured interpreter with a
//! small driver script in the run folder, with the run folder on `PYTHONPATH`
//! (the template's files are copied there, so the template's modules import).
//!
//! The driver gets the workflow variables as JSON in a file, keeps those the
//! function's signature names (`variables` maps an argument to a differently
//! named variable), calls the function with them as keyword arguments, and
//! writes the JSON-encoded return value to another file. With `arg`, the value
//! becomes a workflow variable for the later steps (`${arg}` in commands).
//! Both files live in the run's `.flowdesk` folder, named after the step index.

use super::super::step::{StepContext, Stop};
use super::{environment, finish, launch, shell_quote, WorkerSpec};
use crate::error::EngineError;
use crate::workflow::{Action, Step};
use indexmap::IndexMap;
use serde_json::{json, Value};

/// Imports the function, picks its arguments, calls it, writes the result.
/// Exit code 1 with a one-line reason on stderr when the function cannot be
/// found; a failing function prints its traceback.
const DRIVER: &str = r#"import importlib, inspect, json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    spec = json.load(f)
name = spec["func"]
module_name, _, function_name = name.rpartition(".")
try:
    function = getattr(importlib.import_module(module_name), function_name)
except (ImportError, AttributeError) as error:
    print(f"cannot import {name}: {error}", file=sys.stderr)
    sys.exit(1)
context = spec["variables"]
names = spec["varnames"]
kwargs = {}
try:
    parameters = inspect.signature(function).parameters.values()
except (TypeError, ValueError):
    parameters = []
for p in parameters:
    if p.kind in (p.POSITIONAL_ONLY, p.VAR_POSITIONAL, p.VAR_KEYWORD):
        continue
    source = names.get(p.name, p.name)
    if source in context:
        kwargs[p.name] = context[source]
result = function(**kwargs)
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump({"result": result}, f, default=str)
"#;

pub(super) async fn run(
    step: &Step,
    worker: &WorkerSpec,
    context: &mut StepContext<'_, '_>,
) -> Result<(), Stop> {
    let Action::Code {
        func,
        arg,
        variables: names,
    } = &step.action
    else {
        return Ok(());
    };
    let input = context
        .meta_dir
        .join(format!("code-{}.json", context.index + 1));
    let output = context
        .meta_dir
        .join(format!("code-{}.out.json", context.index + 1));
    let spec = json!({"func": func, "variables": context.variables, "varnames": names});
    let write_error = |path: &std::path::Path, source| {
        Stop::failed(EngineError::StepFile {
            step: step.name.clone(),
            path: path.to_path_buf(),
            source,
        })
    };
    std::fs::write(&input, spec.to_string()).map_err(|e| write_error(&input, e))?;
    match std::fs::remove_file(&output) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(write_error(&output, e)),
        _ => {}
    }

    let python = context.python.to_string();
    let command = format!(
        "{python} -c {} {} {}",
        shell_quote(DRIVER),
        shell_quote(&input.to_string_lossy()),
        shell_quote(&output.to_string_lossy())
    );
    // The run folder comes first on the module path, then flowdesk's flowServ
    // helper modules (when used), then anything inherited.
    let path = super::helpers::python_path(Some(context.run_dir), &context.tools.helpers)
        .unwrap_or_default();
    // Unbuffered output, so the function's prints reach the log as they happen;
    // no bytecode, so the run folder keeps no compiled copies of the template's
    // modules. A worker or run `env` can still set them otherwise.
    let mut env = vec![
        ("PYTHONUNBUFFERED".to_string(), "1".to_string()),
        ("PYTHONDONTWRITEBYTECODE".to_string(), "1".to_string()),
    ];
    env.extend(environment(
        worker,
        context.run_env,
        &IndexMap::new(),
        context.variables,
    ));
    env.push(("PYTHONPATH".to_string(), path));
    let args = ["-c".to_string(), command];
    let exit = launch(step, "sh", &args, &env, context).await?;
    finish(step, exit, context, |status| EngineError::Code {
        step: step.name.clone(),
        func: func.clone(),
        message: format!("Python {status}"),
    })?;

    let code_error = |message: String| {
        Stop::failed(EngineError::Code {
            step: step.name.clone(),
            func: func.clone(),
            message,
        })
    };
    let text = std::fs::read_to_string(&output)
        .map_err(|e| code_error(format!("no result was written: {e}")))?;
    let document: Value = serde_json::from_str(&text)
        .map_err(|e| code_error(format!("the result is not valid JSON: {e}")))?;
    if let Some(arg) = arg {
        let result = document.get("result").cloned().unwrap_or(Value::Null);
        context.variables.insert(arg.clone(), result);
    }
    Ok(())
}
