//! Serial workflows in both syntaxes flowServ accepts, normalized to one list of
//! steps:
//!
//! - the flowServ syntax: `files.inputs` / `files.outputs`, `parameters`, and
//!   `steps` with `name`, `files` and an `action`;
//! - the REANA serial syntax of the user guide: `inputs.files`,
//!   `inputs.parameters`, `workflow.type: serial`,
//!   `workflow.specification.steps` with `environment` / `commands`, and
//!   `outputs.files`.
//!
//! An action is a container step (`environment` + `commands`), a notebook step
//! (`notebook`), a code step (`func`), or — before arguments are bound — a
//! reference to an actor parameter.

use super::vars;
use crate::paths::check_relative;
use crate::template::doc::{kind, python_str, scalar_string, Element};
use crate::template::reference;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A normalized serial workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SerialWorkflow {
    /// Workflow variables: the workflow's own `parameters` after reference
    /// expansion (flowServ's run context; template arguments reach commands
    /// only through them). Commands see these as `${name}`.
    pub variables: Map<String, Value>,
    /// The interpreter `${python}` stands for (the worker's variable, so it wins
    /// over a workflow parameter of that name); the configured one when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<String>,
    /// Files the workflow needs (relative to the run folder).
    pub inputs: Vec<String>,
    /// Files the workflow produces.
    pub outputs: Vec<String>,
    pub steps: Vec<Step>,
}

impl SerialWorkflow {
    /// The workflow with `${var}` in container commands and `env` values
    /// substituted from [`SerialWorkflow::variables`], for showing it. The engine
    /// does the same substitution when a step starts, with the results of earlier
    /// code steps and the worker's variables added, so variables those provide
    /// stay as written here.
    pub fn preview(&self) -> SerialWorkflow {
        let mut workflow = self.clone();
        let variables = self.command_variables(&self.variables, &[]);
        for step in &mut workflow.steps {
            if let Action::Container { commands, env, .. } = &mut step.action {
                for command in commands.iter_mut() {
                    *command = vars::substitute(command, &variables).trim().to_string();
                }
                for value in env.values_mut() {
                    *value = vars::substitute(value, &variables);
                }
            }
        }
        workflow
    }

    /// The interpreter `${python}` stands for.
    pub fn interpreter(&self) -> String {
        self.python
            .clone()
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(crate::config::default_python)
    }

    /// What container commands see: `context` (the workflow variables, with
    /// the results of earlier code steps), then the default worker's `python`
    /// and `java` (which win, as in flowServ), then `fixed` (a configured
    /// worker's own variables).
    pub fn command_variables(
        &self,
        context: &Map<String, Value>,
        fixed: &[(String, String)],
    ) -> Map<String, Value> {
        command_variables(context, &self.interpreter(), fixed)
    }
}

/// See [`SerialWorkflow::command_variables`]; `python` is what `${python}`
/// stands for on the worker that runs the step.
pub fn command_variables(
    context: &Map<String, Value>,
    python: &str,
    fixed: &[(String, String)],
) -> Map<String, Value> {
    let mut variables = context.clone();
    variables.insert("python".into(), Value::String(python.to_string()));
    variables.insert("java".into(), Value::String(java()));
    for (key, value) in fixed {
        variables.insert(key.clone(), Value::String(value.clone()));
    }
    variables
}

/// flowServ's `java_jvm()`: `$JAVA_HOME/bin/java`, else `java`.
fn java() -> String {
    match std::env::var_os("JAVA_HOME").filter(|v| !v.is_empty()) {
        Some(home) => std::path::Path::new(&home)
            .join("bin")
            .join("java")
            .to_string_lossy()
            .into_owned(),
        None => "java".to_string(),
    }
}

/// One step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    #[serde(flatten)]
    pub action: Action,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Action {
    /// Commands run in an environment (a container image name; the worker
    /// configuration decides how it runs).
    Container {
        image: String,
        commands: Vec<String>,
        env: IndexMap<String, String>,
    },
    /// A Jupyter notebook run with papermill.
    Notebook {
        notebook: String,
        output: String,
        params: Vec<String>,
        requirements: Vec<String>,
        variables: IndexMap<String, String>,
    },
    /// A Python function `module.function` called with workflow variables.
    Code {
        func: String,
        arg: Option<String>,
        variables: IndexMap<String, String>,
    },
    /// An actor parameter that supplies the step at run time (unbound templates only).
    Actor { parameter: String },
}

/// Parse a workflow specification. With `bound == false` the specification may
/// still hold `$[[…]]` references (template check); actions that are references
/// become [`Action::Actor`]. With `bound == true` every action must be concrete.
pub fn parse(spec: &Value, bound: bool) -> Result<SerialWorkflow, String> {
    let doc = Element::new(spec, "workflow")?;
    let reana = doc.get(&["workflow"]).filter(|w| w.is_object()).is_some();
    if reana {
        parse_reana(&doc, bound)
    } else if doc.get(&["steps"]).is_some() {
        parse_flowserv(&doc, bound)
    } else {
        Err("workflow: no steps; expected 'steps' (flowServ syntax) or 'workflow.specification.steps' (REANA serial syntax)".to_string())
    }
}

fn parse_flowserv(doc: &Element<'_>, bound: bool) -> Result<SerialWorkflow, String> {
    let (inputs, outputs) = match doc.get(&["files"]) {
        Some(files) => {
            let files = Element::new(files, "workflow.files")?;
            (
                path_list(&files, &["inputs"])?,
                path_list(&files, &["outputs"])?,
            )
        }
        None => (Vec::new(), Vec::new()),
    };
    let variables = parameters_map(doc.get(&["parameters"]), "workflow.parameters")?;
    let items = doc.list(&["steps"])?.cloned().unwrap_or_default();
    let mut steps = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        steps.push(parse_step(item, i, bound, "workflow.steps")?);
    }
    finish(SerialWorkflow {
        variables,
        python: None,
        inputs,
        outputs,
        steps,
    })
}

fn parse_reana(doc: &Element<'_>, bound: bool) -> Result<SerialWorkflow, String> {
    let (inputs, mut variables) = match doc.get(&["inputs"]) {
        Some(value) => {
            let inputs = Element::new(value, "workflow.inputs")?;
            (
                path_list(&inputs, &["files", "directories"])?,
                parameters_map(inputs.get(&["parameters"]), "workflow.inputs.parameters")?,
            )
        }
        None => (Vec::new(), Map::new()),
    };
    // Some templates put `parameters` beside `inputs` (as REANA's own examples do).
    for (key, value) in parameters_map(doc.get(&["parameters"]), "workflow.parameters")? {
        variables.entry(key).or_insert(value);
    }
    let body = Element::new(
        doc.get(&["workflow"]).unwrap_or(&Value::Null),
        "workflow.workflow",
    )?;
    if let Some(kind) = body.string(&["type"])? {
        if !kind.eq_ignore_ascii_case("serial") {
            return Err(format!(
                "workflow.workflow.type: '{kind}' workflows are not supported; flowdesk runs serial workflows"
            ));
        }
    }
    let specification = Element::new(
        body.get(&["specification"])
            .ok_or_else(|| body.error("'specification' is missing"))?,
        "workflow.workflow.specification",
    )?;
    let items = specification.list(&["steps"])?.cloned().unwrap_or_default();
    let mut steps = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        steps.push(parse_step(
            item,
            i,
            bound,
            "workflow.workflow.specification.steps",
        )?);
    }
    // `outputs` sits beside `inputs`; the user guide also shows it inside `workflow`.
    let mut outputs = Vec::new();
    for (value, name) in [
        (doc.get(&["outputs"]), "workflow.outputs"),
        (body.get(&["outputs"]), "workflow.workflow.outputs"),
    ] {
        if let Some(value) = value {
            let element = Element::new(value, name)?;
            for path in path_list(&element, &["files", "directories"])? {
                if !outputs.contains(&path) {
                    outputs.push(path);
                }
            }
        }
    }
    finish(SerialWorkflow {
        variables,
        python: None,
        inputs,
        outputs,
        steps,
    })
}

fn finish(workflow: SerialWorkflow) -> Result<SerialWorkflow, String> {
    if workflow.steps.is_empty() {
        return Err("workflow: the workflow has no steps".to_string());
    }
    let mut seen: Vec<&str> = Vec::new();
    for step in &workflow.steps {
        if seen.contains(&step.name.as_str()) {
            return Err(format!("workflow: step name '{}' is used twice", step.name));
        }
        seen.push(&step.name);
    }
    Ok(workflow)
}

fn parse_step(item: &Value, i: usize, bound: bool, list: &str) -> Result<Step, String> {
    let element = Element::new(item, format!("{list}[{i}]"))?;
    let name = element
        .string(&["name", "id"])?
        .unwrap_or_else(|| format!("step{}", i + 1));
    let label = format!("{list}[{i}] (step '{name}')");
    let element = Element {
        map: element.map,
        name: label.clone(),
    };
    let (inputs, outputs) = match element.get(&["files"]) {
        Some(files) => {
            let files = Element::new(files, format!("{label}.files"))?;
            (
                path_list(&files, &["inputs"])?,
                path_list(&files, &["outputs"])?,
            )
        }
        None => (Vec::new(), Vec::new()),
    };
    // flowServ syntax nests the action; REANA puts environment/commands on the step.
    let action_value = element.map.get("action").unwrap_or(item);
    let action = parse_action(action_value, bound).map_err(|e| format!("{label}: {e}"))?;
    Ok(Step {
        name,
        inputs,
        outputs,
        action,
    })
}

/// Parse an action; also used to validate actor arguments.
fn parse_action(value: &Value, bound: bool) -> Result<Action, String> {
    if let Value::String(text) = value {
        let found = reference::find(text)?;
        if !bound && found.len() == 1 && found[0].start == 0 && found[0].end == text.len() {
            return Ok(Action::Actor {
                parameter: found[0].reference.name().to_string(),
            });
        }
        return Err(format!(
            "the action '{text}' is not a step; expected 'commands', 'notebook' or 'func'"
        ));
    }
    // The form flowServ's own GUI gives actor values: `['container', {image, commands}]`.
    if let Value::Array(items) = value {
        return match items.as_slice() {
            [Value::String(kind), config] if kind == "container" => {
                let config = Element::new(config, "action")?;
                Ok(Action::Container {
                    image: config
                        .string(&["image", "environment"])?
                        .unwrap_or_default(),
                    commands: command_list(config.get(&["commands"]))?,
                    env: string_map(config.get(&["env"]), "env")?,
                })
            }
            _ => {
                Err("an actor value as a list must be ['container', {image, commands}]".to_string())
            }
        };
    }
    let doc = Element::new(value, "action")?;
    if let Some(commands) = doc.get(&["commands"]) {
        let commands = command_list(Some(commands))?;
        return Ok(Action::Container {
            image: doc.string(&["environment", "image"])?.unwrap_or_default(),
            commands,
            env: string_map(doc.get(&["env"]), "env")?,
        });
    }
    if let Some(notebook) = doc.string(&["notebook"])? {
        check_relative(&notebook, false).map_err(|e| format!("'notebook': {e}"))?;
        let output = match doc.string(&["output"])? {
            Some(output) => output,
            None => output_notebook(&notebook),
        };
        check_relative(&output, false).map_err(|e| format!("'output': {e}"))?;
        return Ok(Action::Notebook {
            notebook,
            output,
            params: doc.string_list(&["params"])?,
            requirements: doc.string_list(&["requirements"])?,
            variables: varnames(doc.get(&["variables", "varnames"]))?,
        });
    }
    if let Some(func) = doc.string(&["func"])? {
        if !func.contains('.') {
            return Err(format!(
                "'func' must name a function as module.function, not '{func}'"
            ));
        }
        return Ok(Action::Code {
            func,
            arg: doc.string(&["arg"])?,
            variables: varnames(doc.get(&["variables", "varnames"]))?,
        });
    }
    Err("the action has neither 'commands' nor 'notebook' nor 'func'".to_string())
}

/// The step an actor value (argument or default) stands for: a step
/// serialization (`environment` + `commands`, `notebook` or `func`), or
/// `['container', {image, commands}]`.
pub fn actor_step(value: &Value) -> Result<Action, String> {
    parse_action(value, true)
}

fn command_list(value: Option<&Value>) -> Result<Vec<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|c| {
                scalar_string(c)
                    .ok_or_else(|| "'commands' must be a list of text lines".to_string())
            })
            .collect(),
        Some(other) => Err(format!("'commands' must be a list, not {}", kind(other))),
    }
}

/// flowServ's `output_notebook`: `x.ipynb` → `x.out.ipynb`.
fn output_notebook(input: &str) -> String {
    match input.strip_suffix(".ipynb") {
        Some(stem) => format!("{stem}.out.ipynb"),
        None => format!("{input}.out.ipynb"),
    }
}

/// Mapping of function (or notebook) argument names to workflow variable names:
/// a mapping, or flowServ's list of `{arg, var}`.
fn varnames(value: Option<&Value>) -> Result<IndexMap<String, String>, String> {
    let mut out = IndexMap::new();
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                out.insert(
                    k.clone(),
                    scalar_string(v)
                        .ok_or_else(|| format!("'variables.{k}' must be a variable name"))?,
                );
            }
        }
        Some(Value::Array(items)) => {
            for item in items {
                let arg = item.get("arg").and_then(scalar_string);
                let var = item.get("var").and_then(scalar_string);
                match (arg, var) {
                    (Some(arg), Some(var)) => {
                        out.insert(arg, var);
                    }
                    _ => return Err("'variables' entries need 'arg' and 'var'".to_string()),
                }
            }
        }
        Some(other) => {
            return Err(format!(
                "'variables' must be a mapping, not {}",
                kind(other)
            ))
        }
    }
    Ok(out)
}

fn string_map(value: Option<&Value>, key: &str) -> Result<IndexMap<String, String>, String> {
    let mut out = IndexMap::new();
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                out.insert(k.clone(), python_str(v));
            }
        }
        Some(other) => return Err(format!("'{key}' must be a mapping, not {}", kind(other))),
    }
    Ok(out)
}

/// The workflow `parameters`: a mapping, or a list of `{name, value}`.
fn parameters_map(value: Option<&Value>, element: &str) -> Result<Map<String, Value>, String> {
    match value {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(Value::Array(items)) => {
            let mut out = Map::new();
            for (i, item) in items.iter().enumerate() {
                let entry = Element::new(item, format!("{element}[{i}]"))?;
                let name = entry.required_string(&["name"])?;
                out.insert(name, entry.get(&["value"]).cloned().unwrap_or(Value::Null));
            }
            Ok(out)
        }
        Some(other) => Err(format!("{element} must be a mapping, not {}", kind(other))),
    }
}

/// A list of relative file paths, each checked to stay inside the run folder.
/// Entries still holding references are checked after expansion.
fn path_list(doc: &Element<'_>, keys: &[&str]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for key in keys {
        for path in doc.string_list(&[key])? {
            if !path.contains("[[") {
                check_relative(&path, false).map_err(|e| doc.error(format!("'{key}': {e}")))?;
            }
            out.push(path);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reana_serial_syntax() {
        let wf = parse(
            &json!({
                "inputs": {"files": ["code/a.py", "data/n.txt"], "parameters": {"x": 1}},
                "workflow": {"type": "serial", "specification": {"steps": [
                    {"environment": "python:3.9", "commands": ["python a.py ${x}"]},
                    {"name": "two", "environment": "python:3.9", "commands": "echo hi"}
                ]}},
                "outputs": {"files": ["results/r.json"]}
            }),
            true,
        )
        .unwrap();
        assert_eq!(wf.inputs, vec!["code/a.py", "data/n.txt"]);
        assert_eq!(wf.outputs, vec!["results/r.json"]);
        assert_eq!(wf.variables.get("x"), Some(&json!(1)));
        assert_eq!(wf.steps[0].name, "step1");
        assert_eq!(wf.steps[1].name, "two");
        assert_eq!(
            wf.steps[1].action,
            Action::Container {
                image: "python:3.9".into(),
                commands: vec!["echo hi".into()],
                env: IndexMap::new()
            }
        );
    }

    #[test]
    fn flowserv_syntax_with_every_action() {
        let wf = parse(
            &json!({
                "files": {"inputs": ["a.txt"], "outputs": ["b.txt"]},
                "parameters": [{"name": "x", "value": "1"}],
                "steps": [
                    {"name": "s1", "files": {"inputs": ["a.txt"], "outputs": ["c.txt"]},
                     "action": {"environment": "img", "commands": ["cp a.txt c.txt"], "env": {"K": 1}}},
                    {"name": "s2", "action": {"notebook": "nb.ipynb", "params": ["x"], "requirements": ["pandas"]}},
                    {"name": "s3", "action": {"func": "mod.fn", "arg": "out", "variables": [{"arg": "a", "var": "x"}]}},
                    {"name": "s4", "action": "$[[model]]"}
                ]
            }),
            false,
        )
        .unwrap();
        assert_eq!(wf.steps.len(), 4);
        assert_eq!(wf.steps[0].outputs, vec!["c.txt"]);
        match &wf.steps[1].action {
            Action::Notebook { output, .. } => assert_eq!(output, "nb.out.ipynb"),
            other => panic!("{other:?}"),
        }
        match &wf.steps[2].action {
            Action::Code { variables, arg, .. } => {
                assert_eq!(variables.get("a").map(String::as_str), Some("x"));
                assert_eq!(arg.as_deref(), Some("out"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            wf.steps[3].action,
            Action::Actor {
                parameter: "model".into()
            }
        );
    }

    #[test]
    fn step_errors_name_the_step() {
        let err = parse(
            &json!({"steps": [{"name": "bad", "action": {"environment": "x"}}]}),
            false,
        )
        .unwrap_err();
        assert_eq!(
            err,
            "workflow.steps[0] (step 'bad'): the action has neither 'commands' nor 'notebook' nor 'func'"
        );
        let err = parse(&json!({"steps": [{"name": "a", "action": "$[[m]]"}]}), true).unwrap_err();
        assert!(err.contains("not a step"), "{err}");
        let err = parse(
            &json!({"workflow": {"type": "cwl", "specification": {}}}),
            false,
        )
        .unwrap_err();
        assert!(err.contains("'cwl'"), "{err}");
        let err = parse(&json!({"steps": [{"name": "a", "action": {"commands": []}}, {"name": "a", "action": {"commands": []}}]}), false).unwrap_err();
        assert!(err.contains("used twice"), "{err}");
        let err = parse(
            &json!({"files": {"inputs": ["../x"]}, "steps": [{"action": {"commands": []}}]}),
            false,
        )
        .unwrap_err();
        assert!(err.contains("'../x'"), "{err}");
        assert!(parse(&json!({}), false).unwrap_err().contains("no steps"));
    }
}
