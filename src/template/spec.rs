//! The template document: `workflow`, `parameters`, `parameterGroups`, `outputs`,
//! `results` and `postproc` (`flowserv.model.template.base`). Loading validates
//! everything that can be checked without arguments — declarations, references,
//! result schema, step structure, paths — so that a broken template is refused when
//! it is loaded, not when someone runs it. Binding arguments and expanding the
//! workflow happen later, per run.

use super::doc::{kind, python_str, python_truthy, Element};
use super::parameter::{FileArgument, Parameter, ParameterType};
use super::reference;
use super::schema::ResultSchema;
use crate::error::{ArgumentError, TemplateError};
use crate::paths::check_relative;
use crate::workflow::steps::{self, Action, SerialWorkflow};
use serde::Serialize;
use serde_json::{Map, Value};

/// A display group of parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParameterGroup {
    pub name: String,
    pub title: String,
    pub index: i64,
}

/// An entry of `outputs`: a run file shown to users.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputFile {
    pub source: String,
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub widget: Option<Value>,
}

/// The `postproc` section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostProcSpec {
    pub workflow: Value,
    /// Files of each ranked run copied into the runs folder.
    pub input_files: Vec<String>,
    /// Where the runs folder goes in the post-processing run folder.
    pub runs: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Vec<OutputFile>>,
}

/// A loaded, validated template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Template {
    /// The whole document as loaded (includes resolved); what gets stored.
    #[serde(skip)]
    pub document: Value,
    #[serde(skip)]
    pub workflow: Value,
    /// Parameters in form order (ascending `index`, then declaration order).
    pub parameters: Vec<Parameter>,
    #[serde(rename = "parameterGroups")]
    pub groups: Vec<ParameterGroup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Vec<OutputFile>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<ResultSchema>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postproc: Option<PostProcSpec>,
    /// What flowServ accepts but flowdesk thinks is a mistake, one message each
    /// (naming the element); never a reason to refuse the template.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Arguments bound to a template: cast values, defaults filled in.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BoundArguments {
    /// Value of each parameter that has one; for file parameters the target path.
    pub values: Map<String, Value>,
    /// File arguments: parameter name and where the file comes from and goes.
    pub files: Vec<(String, FileArgument)>,
}

/// Settings the expansion needs from outside the template.
#[derive(Debug, Clone)]
pub struct ExpandOptions {
    /// What `${python}` stands for.
    pub python: String,
}

impl Default for ExpandOptions {
    fn default() -> Self {
        ExpandOptions {
            python: crate::config::default_python(),
        }
    }
}

/// Names the post-processing workflow may reference.
pub const POSTPROC_RUNS: &str = "runs";
const POSTPROC_RESULTS_FILE: &str = "runResultsFile";

impl Template {
    /// Validate a template document. `file` names it in messages.
    pub fn from_value(document: Value, file: &str) -> Result<Template, TemplateError> {
        let fail = |message: String| TemplateError::invalid(file, message);
        let mut warnings: Vec<String> = Vec::new();
        let doc = Element::new(&document, "template").map_err(fail)?;
        let workflow = doc
            .get(&["workflow"])
            .cloned()
            .ok_or_else(|| fail("the template has no 'workflow' element".to_string()))?;

        let mut parameters: Vec<Parameter> = Vec::new();
        if let Some(items) = doc.list(&["parameters"]).map_err(fail)? {
            for (i, item) in items.iter().enumerate() {
                let element = format!("parameters[{i}]");
                let parameter = Parameter::from_value(item, &element, i).map_err(fail)?;
                if parameters.iter().any(|p| p.name == parameter.name) {
                    return Err(fail(format!(
                        "{element}: parameter '{}' is declared twice",
                        parameter.name
                    )));
                }
                if let Some(problem) = parameter.default_problem() {
                    warnings.push(format!("{file}: {element} '{}': {problem}", parameter.name));
                }
                parameters.push(parameter);
            }
        }
        parameters.sort_by_key(|p| p.index);

        let mut groups: Vec<ParameterGroup> = Vec::new();
        if let Some(items) = doc.list(&["parameterGroups", "modules"]).map_err(fail)? {
            for (i, item) in items.iter().enumerate() {
                let group = Element::new(item, format!("parameterGroups[{i}]")).map_err(fail)?;
                let name = group.required_string(&["name", "id"]).map_err(fail)?;
                if groups.iter().any(|g| g.name == name) {
                    return Err(fail(format!(
                        "parameterGroups[{i}]: group '{name}' is declared twice"
                    )));
                }
                groups.push(ParameterGroup {
                    title: group
                        .string(&["title"])
                        .map_err(fail)?
                        .unwrap_or_else(|| name.clone()),
                    index: group.int(&["index"]).map_err(fail)?.unwrap_or(i as i64),
                    name,
                });
            }
        }
        groups.sort_by_key(|g| g.index);
        // flowServ does not check group names; the form shows such a parameter
        // without a group.
        for parameter in &parameters {
            if let Some(group) = &parameter.group {
                if !groups.iter().any(|g| &g.name == group) {
                    warnings.push(format!(
                        "{file}: parameter '{}' belongs to group '{group}', which parameterGroups does not declare",
                        parameter.name
                    ));
                }
            }
        }

        let outputs = match doc.get(&["outputs"]) {
            None => None,
            Some(value) => Some(parse_outputs(value, "outputs").map_err(fail)?),
        };
        let results = match doc.get(&["results"]) {
            None => None,
            Some(value) => Some(ResultSchema::from_value(value).map_err(fail)?),
        };
        if results.as_ref().is_some_and(|r| r.columns.is_empty()) {
            warnings.push(format!(
                "{file}: results.schema lists no columns, so the leaderboard has nothing to rank by"
            ));
        }
        let postproc = match doc.get(&["postproc"]) {
            None => None,
            Some(value) => Some(parse_postproc(value).map_err(fail)?),
        };

        // References must name declared parameters.
        let mut referenced = Vec::new();
        reference::collect(&workflow, &mut referenced)
            .map_err(|e| fail(format!("workflow: {e}")))?;
        for name in &referenced {
            if !parameters.iter().any(|p| &p.name == name) {
                return Err(fail(format!(
                    "workflow references undeclared parameter '{name}'"
                )));
            }
        }
        // The structure of the workflow, with references still in place.
        let parsed = steps::parse(&workflow, false).map_err(fail)?;
        for step in &parsed.steps {
            if let Action::Actor { parameter } = &step.action {
                let declared = parameters.iter().find(|p| &p.name == parameter);
                if !matches!(declared.map(|p| &p.dtype), Some(ParameterType::Actor)) {
                    return Err(fail(format!(
                        "workflow step '{}' uses parameter '{parameter}' as its action, but it is not an actor parameter",
                        step.name
                    )));
                }
            }
        }
        if let Some(postproc) = &postproc {
            let mut names = Vec::new();
            reference::collect(&postproc.workflow, &mut names)
                .map_err(|e| fail(format!("postproc.workflow: {e}")))?;
            // flowServ installs such a template; only its post-processing fails.
            for name in &names {
                if name != POSTPROC_RUNS && name != POSTPROC_RESULTS_FILE {
                    warnings.push(format!(
                        "{file}: postproc.workflow references '{name}'; post-processing workflows can only reference $[[runs]], so post-processing will fail"
                    ));
                }
            }
            steps::parse(&postproc.workflow, false).map_err(|e| fail(format!("postproc.{e}")))?;
        }

        Ok(Template {
            document: document.clone(),
            workflow,
            parameters,
            groups,
            outputs,
            results,
            postproc,
            warnings,
        })
    }

    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.name == name)
    }

    /// Cast the given arguments, fill in defaults, and check required parameters
    /// (`validate_arguments` + `set_defaults` of the reference).
    pub fn bind(&self, arguments: &Map<String, Value>) -> Result<BoundArguments, ArgumentError> {
        for name in arguments.keys() {
            if self.parameter(name).is_none() {
                return Err(ArgumentError::Unknown(name.clone()));
            }
        }
        let mut bound = BoundArguments::default();
        for parameter in &self.parameters {
            let given = arguments.get(&parameter.name).filter(|v| !v.is_null());
            let is_file = matches!(parameter.dtype, ParameterType::File { .. });
            match (given, is_file) {
                (Some(value), true) => {
                    let file = parameter.cast_file(value)?;
                    bound
                        .values
                        .insert(parameter.name.clone(), Value::String(file.target.clone()));
                    bound.files.push((parameter.name.clone(), file));
                }
                (Some(value), false) => {
                    bound
                        .values
                        .insert(parameter.name.clone(), parameter.cast(value)?);
                }
                (None, _) => match parameter.effective_default() {
                    // flowServ's client fills in only defaults Python finds true
                    // (and casts them); a false one (0, '', false) reaches the
                    // workflow as written (for a file: no file at all).
                    Some(default) if !python_truthy(&default) => {
                        bound.values.insert(parameter.name.clone(), default);
                    }
                    Some(default) if is_file => {
                        // The default names a file of the template; it is already in
                        // place in the run folder, at the target (or its own path).
                        let mut file = parameter.cast_file(&default)?;
                        file.from_default = true;
                        bound
                            .values
                            .insert(parameter.name.clone(), Value::String(file.target.clone()));
                        bound.files.push((parameter.name.clone(), file));
                    }
                    Some(default) => {
                        let cast = parameter.cast_declared(&default).map_err(|e| {
                            ArgumentError::invalid(
                                &parameter.name,
                                format!("its defaultValue is not valid: {}", error_message(&e)),
                            )
                        })?;
                        bound.values.insert(parameter.name.clone(), cast);
                    }
                    None if parameter.required => {
                        return Err(ArgumentError::Missing(parameter.name.clone()))
                    }
                    None => {}
                },
            }
        }
        Ok(bound)
    }

    /// Expand the workflow for bound arguments: references replaced and workflow
    /// variables collected (`python`, the arguments, the workflow's own
    /// parameters). `${var}` in commands is left for the engine, which knows the
    /// results of code steps and the worker's variables; see
    /// [`SerialWorkflow::preview`] for the commands as they will most likely run.
    pub fn expand(
        &self,
        arguments: &BoundArguments,
        options: &ExpandOptions,
    ) -> Result<SerialWorkflow, ArgumentError> {
        let workflow = self.without_unset_actor_steps(arguments);
        let expanded = reference::expand(&workflow, &arguments.values)?;
        finish_expansion(&expanded, options)
    }

    /// The workflow without the steps whose action is an optional actor
    /// parameter that has no value: flowServ skips them.
    fn without_unset_actor_steps(&self, arguments: &BoundArguments) -> Value {
        let mut workflow = self.workflow.clone();
        let unset = |action: &Value| -> bool {
            let Some(text) = action.as_str() else {
                return false;
            };
            let Ok(found) = reference::find(text) else {
                return false;
            };
            match found.as_slice() {
                [only] if only.start == 0 && only.end == text.len() => {
                    let name = only.reference.name();
                    self.parameter(name).is_some_and(|p| {
                        matches!(p.dtype, ParameterType::Actor)
                            && !p.required
                            && !arguments.values.contains_key(name)
                    })
                }
                _ => false,
            }
        };
        let steps = match &mut workflow {
            Value::Object(map) if map.get("workflow").is_some_and(Value::is_object) => map
                .get_mut("workflow")
                .and_then(|w| w.get_mut("specification"))
                .and_then(|s| s.get_mut("steps")),
            Value::Object(map) => map.get_mut("steps"),
            _ => None,
        };
        if let Some(Value::Array(steps)) = steps {
            steps.retain(|step| {
                let action = step.get("action").unwrap_or(&Value::Null);
                !unset(action)
            });
        }
        workflow
    }

    /// Expand the post-processing workflow with `$[[runs]]` bound to `runs_folder`.
    pub fn expand_postproc(
        &self,
        options: &ExpandOptions,
    ) -> Option<Result<SerialWorkflow, ArgumentError>> {
        let postproc = self.postproc.as_ref()?;
        let mut values = Map::new();
        values.insert(POSTPROC_RUNS.into(), Value::String(postproc.runs.clone()));
        values.insert(
            POSTPROC_RESULTS_FILE.into(),
            Value::String(format!("{}/runs.json", postproc.runs)),
        );
        Some(
            reference::expand(&postproc.workflow, &values)
                .and_then(|expanded| finish_expansion(&expanded, options)),
        )
    }

    /// The output files users see: `outputs` sources, else the workflow's outputs.
    pub fn output_files(&self) -> Option<Vec<String>> {
        self.outputs
            .as_ref()
            .map(|outputs| outputs.iter().map(|o| o.source.clone()).collect())
    }
}

fn finish_expansion(
    expanded: &Value,
    options: &ExpandOptions,
) -> Result<SerialWorkflow, ArgumentError> {
    let mut workflow = steps::parse(expanded, true).map_err(|message| ArgumentError::Invalid {
        name: "workflow".into(),
        message,
    })?;
    for path in workflow.inputs.iter().chain(workflow.outputs.iter()) {
        check_relative(path, false)
            .map_err(|e| ArgumentError::invalid("workflow", e.to_string()))?;
    }
    for step in &mut workflow.steps {
        for path in step.inputs.iter().chain(step.outputs.iter()) {
            check_relative(path, false).map_err(|e| ArgumentError::Step {
                step: step.name.clone(),
                message: e.to_string(),
            })?;
        }
        // `${var}` in commands stays for the engine to expand when the step
        // starts: earlier code steps and the step's worker add variables.
        if let Action::Actor { parameter } = &step.action {
            return Err(ArgumentError::NoValue {
                name: parameter.clone(),
            });
        }
    }
    // The variables commands see are the workflow's own `parameters` (flowServ's
    // run context); `${python}` is the worker's, not one of them.
    workflow.python = Some(options.python.clone());
    Ok(workflow)
}

/// An argument error's message without the parameter name in front.
fn error_message(error: &ArgumentError) -> String {
    match error {
        ArgumentError::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

fn parse_outputs(value: &Value, element: &str) -> Result<Vec<OutputFile>, String> {
    let items = match value {
        Value::Array(items) => items,
        other => return Err(format!("{element} must be a list, not {}", kind(other))),
    };
    let mut outputs: Vec<OutputFile> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let doc = Element::new(item, format!("{element}[{i}]"))?;
        let source = doc.required_string(&["source"])?;
        check_relative(&source, false).map_err(|e| doc.error(format!("'source': {e}")))?;
        let key = doc.string(&["key"])?.unwrap_or_else(|| source.clone());
        if outputs.iter().any(|o| o.key == key) {
            return Err(doc.error(format!("key '{key}' is used twice")));
        }
        outputs.push(OutputFile {
            source,
            key,
            title: doc.string(&["title"])?,
            caption: doc.string(&["caption"])?,
            format: doc.get(&["format"]).cloned(),
            widget: doc.get(&["widget"]).cloned(),
        });
    }
    Ok(outputs)
}

fn parse_postproc(value: &Value) -> Result<PostProcSpec, String> {
    let doc = Element::new(value, "postproc")?;
    let workflow = doc
        .get(&["workflow"])
        .cloned()
        .ok_or_else(|| doc.error("'workflow' is missing"))?;
    let (input_files, runs) = match doc.get(&["inputs"]) {
        None => (Vec::new(), POSTPROC_RUNS.to_string()),
        Some(inputs) => {
            let inputs = Element::new(inputs, "postproc.inputs")?;
            let files = inputs.string_list(&["files"])?;
            for file in &files {
                check_relative(file, false).map_err(|e| inputs.error(format!("'files': {e}")))?;
            }
            // flowserv-core 0.9.4 puts the runs folder at `runs/` whatever
            // `inputs.runs` says, and `$[[runs]]` stands for that.
            if let Some(runs) = inputs.string(&["runs"])? {
                check_relative(&runs, false).map_err(|e| inputs.error(format!("'runs': {e}")))?;
            }
            (files, POSTPROC_RUNS.to_string())
        }
    };
    let outputs = match doc.get(&["outputs"]) {
        None => None,
        Some(Value::Object(map)) if map.contains_key("files") => {
            // A REANA-style `{files: [...]}` list of paths.
            let element = Element::new(
                doc.get(&["outputs"]).unwrap_or(&Value::Null),
                "postproc.outputs",
            )?;
            Some(
                element
                    .string_list(&["files"])?
                    .into_iter()
                    .map(|source| OutputFile {
                        key: source.clone(),
                        source,
                        title: None,
                        caption: None,
                        format: None,
                        widget: None,
                    })
                    .collect(),
            )
        }
        Some(value) => Some(parse_outputs(value, "postproc.outputs")?),
    };
    Ok(PostProcSpec {
        workflow,
        input_files,
        runs,
        outputs,
    })
}

/// Render a value for one-line display (defaults in `template check`).
pub fn display_value(value: &Value) -> String {
    match value {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => python_str(value),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn load(v: Value) -> Result<Template, String> {
        Template::from_value(v, "t.yaml").map_err(|e| e.to_string())
    }

    fn options() -> ExpandOptions {
        ExpandOptions {
            python: "/opt/py".into(),
        }
    }

    #[test]
    fn parameters_are_in_index_order_and_defaults_fill_in() {
        let t = load(json!({
            "workflow": {"steps": [{"action": {"commands": ["run $[[a]] $[[b]] ${python}"]}}]},
            "parameters": [
                {"name": "b", "dtype": "int", "index": 2, "defaultValue": 5},
                {"name": "a", "dtype": "string", "index": 1, "isRequired": true}
            ]
        }))
        .unwrap();
        let names: Vec<_> = t.parameters.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["a", "b"]);
        assert_eq!(
            t.bind(&Map::new()).unwrap_err(),
            ArgumentError::Missing("a".into())
        );
        let bound = t.bind(json!({"a": "x"}).as_object().unwrap()).unwrap();
        let wf = t.expand(&bound, &options()).unwrap();
        // `${python}` is left for the engine; the preview shows it expanded.
        assert_eq!(
            wf.steps[0].action,
            Action::Container {
                image: String::new(),
                commands: vec!["run x 5 ${python}".into()],
                env: Default::default()
            }
        );
        assert_eq!(
            wf.preview().steps[0].action,
            Action::Container {
                image: String::new(),
                commands: vec!["run x 5 /opt/py".into()],
                env: Default::default()
            }
        );
    }

    #[test]
    fn groups_outputs_and_references_are_validated() {
        let base = json!({"steps": [{"action": {"commands": ["x"]}}]});
        // flowServ does not check group names: a warning, not a refusal.
        let t = load(json!({"workflow": base, "parameters": [{"name": "a", "dtype": "int", "group": "nogroup"}]})).unwrap();
        assert_eq!(
            t.warnings,
            vec!["t.yaml: parameter 'a' belongs to group 'nogroup', which parameterGroups does not declare"]
        );
        let t = load(json!({
            "workflow": base,
            "parameterGroups": [{"name": "g2", "title": "Second", "index": 2}, {"name": "g1", "title": "First", "index": 1}],
            "parameters": [{"name": "a", "dtype": "int", "group": "g1"}],
            "outputs": [{"source": "results/a.png", "title": "Plot", "widget": {"type": "image"}}]
        }))
        .unwrap();
        assert_eq!(t.groups[0].title, "First");
        assert_eq!(t.outputs.as_ref().unwrap()[0].key, "results/a.png");
        assert_eq!(t.output_files(), Some(vec!["results/a.png".to_string()]));
        let err =
            load(json!({"workflow": base, "outputs": [{"source": "/etc/passwd"}]})).unwrap_err();
        assert!(
            err.contains("outputs[0]") && err.contains("'/etc/passwd'"),
            "{err}"
        );
        let err = load(json!({"parameters": []})).unwrap_err();
        assert_eq!(err, "t.yaml: the template has no 'workflow' element");
        let err = load(json!({"workflow": {"steps": [{"name": "s", "action": "$[[a]]"}]}, "parameters": [{"name": "a", "dtype": "int"}]})).unwrap_err();
        assert!(err.contains("not an actor parameter"), "{err}");
    }

    #[test]
    fn reana_and_flowserv_syntax_expand_to_the_same_steps() {
        let params = json!([{"name": "n", "dtype": "int", "defaultValue": 3}]);
        let reana = load(json!({
            "workflow": {
                "inputs": {"files": ["code/a.py"], "parameters": {"count": "$[[n]]"}},
                "workflow": {"type": "serial", "specification": {"steps": [
                    {"name": "main", "environment": "py", "commands": ["${python} code/a.py ${count}"]}
                ]}},
                "outputs": {"files": ["out.txt"]}
            },
            "parameters": params
        }))
        .unwrap();
        let flowserv = load(json!({
            "workflow": {
                "files": {"inputs": ["code/a.py"], "outputs": ["out.txt"]},
                "parameters": {"count": "$[[n]]"},
                "steps": [{"name": "main", "action": {"environment": "py", "commands": ["${python} code/a.py ${count}"]}}]
            },
            "parameters": params
        }))
        .unwrap();
        let a = reana
            .expand(&reana.bind(&Map::new()).unwrap(), &options())
            .unwrap()
            .preview();
        let b = flowserv
            .expand(&flowserv.bind(&Map::new()).unwrap(), &options())
            .unwrap()
            .preview();
        assert_eq!(a, b);
        assert_eq!(a.variables.get("count"), Some(&json!(3)));
        assert_eq!(a.inputs, vec!["code/a.py"]);
        match &a.steps[0].action {
            Action::Container { commands, .. } => assert_eq!(commands[0], "/opt/py code/a.py 3"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn postproc_references_only_runs() {
        let workflow = json!({"steps": [{"action": {"commands": ["x"]}}]});
        let t = load(json!({
            "workflow": workflow,
            "postproc": {
                "workflow": {"steps": [{"name": "p", "action": {"commands": ["${python} plot.py $[[runs]] out"]}}]},
                "inputs": {"files": ["results/a.json"], "runs": ".runs"},
                "outputs": [{"source": "out/plot.png"}]
            }
        }))
        .unwrap();
        let postproc = t.postproc.as_ref().unwrap();
        // flowServ 0.9.4 always uses `runs/`, whatever `inputs.runs` says.
        assert_eq!(postproc.runs, "runs");
        assert_eq!(postproc.input_files, vec!["results/a.json"]);
        let wf = t.expand_postproc(&options()).unwrap().unwrap().preview();
        match &wf.steps[0].action {
            Action::Container { commands, .. } => {
                assert_eq!(commands[0], "/opt/py plot.py runs out")
            }
            other => panic!("{other:?}"),
        }
        let t = load(json!({
            "workflow": workflow,
            "postproc": {"workflow": {"steps": [{"action": {"commands": ["x $[[other]]"]}}]}}
        }))
        .unwrap();
        assert!(
            t.warnings[0].contains("can only reference $[[runs]]"),
            "{:?}",
            t.warnings
        );
        let err = load(json!({
            "workflow": workflow,
            "postproc": {"workflow": {"steps": []}, "inputs": {"runs": "../runs"}}
        }))
        .unwrap_err();
        assert!(err.contains("'../runs'"), "{err}");
        let default_runs =
            load(json!({"workflow": workflow, "postproc": {"workflow": workflow}})).unwrap();
        assert_eq!(default_runs.postproc.unwrap().runs, "runs");
    }

    #[test]
    fn file_arguments_bind_to_their_target() {
        let t = load(json!({
            "workflow": {"steps": [{"action": {"commands": ["cat $[[f]] $[[g]]"]}}]},
            "parameters": [
                {"name": "f", "dtype": "file", "target": "data/in.txt", "isRequired": true},
                {"name": "g", "dtype": "file", "defaultValue": "data/default.txt"}
            ]
        }))
        .unwrap();
        let bound = t
            .bind(
                json!({"f": {"value": "/home/me/x.txt", "as": "data/mine.txt"}})
                    .as_object()
                    .unwrap(),
            )
            .unwrap();
        assert_eq!(bound.files.len(), 2);
        assert_eq!(bound.files[0].1.target, "data/mine.txt");
        assert!(!bound.files[0].1.from_default);
        assert!(bound.files[1].1.from_default);
        let wf = t.expand(&bound, &options()).unwrap();
        match &wf.steps[0].action {
            Action::Container { commands, .. } => {
                assert_eq!(commands[0], "cat data/mine.txt data/default.txt")
            }
            other => panic!("{other:?}"),
        }
    }
}
