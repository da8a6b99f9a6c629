//! Lint warnings for a template that loads: what is probably a mistake, or
//! what makes the template behave differently in flowserv-core 0.9.4. Errors
//! stay the loader's and block; these never do. Each warning names the file
//! and the element it is about, so a coordinator can go straight to it.

use super::compat::difference;
use super::manifest::TemplateFolder;
use super::parameter::ParameterType;
use super::reference::{self, Reference};
use super::schema_check::SchemaCheck;
use crate::workflow::steps;
use serde::Serialize;
use serde_json::Value;
use std::fmt;
use std::path::Path;

/// One warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lint {
    /// The file the element is in, relative to the template folder.
    pub file: String,
    /// The element: `parameters 'x'`, `outputs[1]`, `results.orderBy 'n'`…
    pub element: String,
    pub message: String,
    /// The id of the flowserv-core 0.9.4 difference this is about
    /// ([`super::compat::DIFFERENCES`]), if it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difference: Option<&'static str>,
}

impl fmt::Display for Lint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.element, self.message)?;
        if let Some(id) = self.difference {
            write!(f, " [flowserv-core 0.9.4 differs: {id}]")?;
        }
        Ok(())
    }
}

/// Every lint warning of a loaded template folder.
pub fn lint(folder: &TemplateFolder) -> Vec<Lint> {
    let mut lints = Lints {
        spec: folder.spec_name.clone(),
        found: Vec::new(),
    };
    let template = &folder.template;
    let mut referenced = Vec::new();
    let _ = reference::collect(&template.workflow, &mut referenced);
    for parameter in &template.parameters {
        if !referenced.contains(&parameter.name) {
            lints.add(
                format!("parameters '{}'", parameter.name),
                "declared but never referenced in the workflow: the form asks for a value no step uses".into(),
                None,
            );
        }
    }
    if let Ok(parsed) = steps::parse(&template.workflow, false) {
        unwritten_outputs(folder, &parsed, &mut lints);
        missing_inputs(folder, &parsed, &mut lints);
        if template.outputs.is_none() && parsed.outputs.is_empty() {
            lints.add(
                "workflow".into(),
                "declares no outputs (neither 'outputs' nor 'files.outputs'): flowdesk lists every file a run makes, flowServ none".into(),
                Some("all-files-when-undeclared"),
            );
        }
    }
    if let Some(schema) = &template.results {
        for sort in &schema.effective_order() {
            if schema.column(&sort.name).is_some_and(|c| !c.required) {
                lints.add(
                    format!("results.orderBy '{}'", sort.name),
                    "sorts by an optional column: runs without a value sort last in flowdesk; flowServ fails to build the ranking".into(),
                    Some("missing-sort-values"),
                );
            }
        }
    }
    differences(folder, &mut lints);
    missing_instruction_files(folder, &mut lints);
    lints.found
}

/// Warnings from a sample result file (a try run's, or one the coordinator
/// picked): result columns no sample produced.
pub fn lint_results(folder: &TemplateFolder, check: &SchemaCheck) -> Vec<Lint> {
    check
        .columns
        .iter()
        .filter(|c| c.found.is_none())
        .map(|c| Lint {
            file: folder.spec_name.clone(),
            element: format!("results.schema '{}'", c.column),
            message: format!("the sample result file has no value at '{}'", c.path),
            difference: None,
        })
        .collect()
}

struct Lints {
    spec: String,
    found: Vec<Lint>,
}

impl Lints {
    fn add(&mut self, element: String, message: String, id: Option<&'static str>) {
        self.add_in(self.spec.clone(), element, message, id);
    }

    fn add_in(&mut self, file: String, element: String, message: String, id: Option<&'static str>) {
        // Only ids of the table: a lint must not cite a difference README lacks.
        let difference = id.and_then(difference).map(|d| d.id);
        let lint = Lint {
            file,
            element,
            message,
            difference,
        };
        if !self.found.contains(&lint) {
            self.found.push(lint);
        }
    }
}

fn has_reference(path: &str) -> bool {
    reference::find(path).is_ok_and(|found| !found.is_empty())
}

/// `outputs` and the result file that no step lists among its outputs (only
/// when steps list outputs at all: without, nothing can be said).
fn unwritten_outputs(folder: &TemplateFolder, parsed: &steps::SerialWorkflow, lints: &mut Lints) {
    let written: Vec<&String> = parsed.steps.iter().flat_map(|s| s.outputs.iter()).collect();
    if written.is_empty() {
        return;
    }
    let is_written = |path: &str| {
        written.iter().any(|w| {
            w.as_str() == path || path.starts_with(&format!("{}/", w.trim_end_matches('/')))
        })
    };
    let template = &folder.template;
    for (i, output) in template.outputs.iter().flatten().enumerate() {
        if !has_reference(&output.source) && !is_written(&output.source) {
            lints.add(
                format!("outputs[{i}] '{}'", output.source),
                "no workflow step lists this file among its outputs".into(),
                None,
            );
        }
    }
    for path in &parsed.outputs {
        if !has_reference(path) && !is_written(path) {
            lints.add(
                format!("workflow.files.outputs '{path}'"),
                "no workflow step lists this file among its outputs".into(),
                None,
            );
        }
    }
    if let Some(schema) = &template.results {
        if !is_written(&schema.file) {
            lints.add(
                format!("results.file '{}'", schema.file),
                "no workflow step lists the result file among its outputs".into(),
                None,
            );
        }
    }
}

/// Where `path` (relative to a run folder) comes from in the template folder,
/// following the manifest's `files` (source → target); `None` when the
/// manifest copies nothing there.
fn source_of(folder: &TemplateFolder, path: &str) -> Option<std::path::PathBuf> {
    let Some(copies) = &folder.files else {
        return Some(folder.basedir.join(path));
    };
    for copy in copies {
        let target = copy.target.trim_end_matches('/');
        if target.is_empty() || target == "." {
            return Some(folder.basedir.join(&copy.source).join(path));
        }
        if path == target {
            return Some(folder.basedir.join(&copy.source));
        }
        if let Some(rest) = path.strip_prefix(&format!("{target}/")) {
            return Some(folder.basedir.join(&copy.source).join(rest));
        }
    }
    None
}

/// `files.inputs` (of the workflow and of its steps) that are neither in the
/// folder (as the manifest copies it) nor uploaded through a file parameter.
fn missing_inputs(folder: &TemplateFolder, parsed: &steps::SerialWorkflow, lints: &mut Lints) {
    let targets: Vec<&str> = folder
        .template
        .parameters
        .iter()
        .filter_map(|p| match &p.dtype {
            ParameterType::File { target } => target.as_deref(),
            _ => None,
        })
        .collect();
    let written: Vec<&String> = parsed.steps.iter().flat_map(|s| s.outputs.iter()).collect();
    let mut check = |element: String, path: &str| {
        if has_reference(path) || targets.contains(&path) || written.iter().any(|w| *w == path) {
            return;
        }
        let exists = source_of(folder, path).is_some_and(|p| p.exists());
        if !exists {
            lints.add(
                element,
                format!("'{path}' is not in the template folder (as the manifest copies it) and no file parameter uploads it"),
                None,
            );
        }
    };
    for path in &parsed.inputs {
        check(format!("workflow.files.inputs '{path}'"), path);
    }
    for step in &parsed.steps {
        for path in &step.inputs {
            check(format!("step '{}' files.inputs '{path}'", step.name), path);
        }
    }
}

/// What the template uses that flowserv-core 0.9.4 handles differently
/// (see [`super::compat::DIFFERENCES`]).
fn differences(folder: &TemplateFolder, lints: &mut Lints) {
    let template = &folder.template;
    if folder.spec_name.ends_with("(workflowSpec)") {
        lints.add(
            "workflowSpec".into(),
            "the template is inline in the manifest; flowServ needs a 'specfile'".into(),
            Some("inline-workflowspec"),
        );
    }
    if template
        .workflow
        .get("workflow")
        .is_some_and(Value::is_object)
    {
        lints.add(
            "workflow".into(),
            "is written in the REANA serial syntax, which flowserv-core 0.9.4 does not run".into(),
            Some("reana-syntax"),
        );
    }
    let mut strings = Vec::new();
    strings_in(&template.workflow, &mut strings);
    for text in strings {
        let Ok(found) = reference::find(&text) else {
            continue;
        };
        for f in &found {
            let written = &text[f.start..f.end];
            if written.contains("[[ ") || written.contains(" ]]") {
                lints.add(
                    format!("workflow '{written}'"),
                    "has spaces inside the brackets; flowServ looks the name up with them".into(),
                    Some("reference-spaces"),
                );
            }
            if let Reference::Conditional { name, .. } = &f.reference {
                let default_false = template.parameter(name).is_some_and(|p| {
                    p.default.as_ref().is_none_or(|d| {
                        matches!(d, Value::Bool(false) | Value::Null)
                            || d.as_str()
                                .is_some_and(|s| s.is_empty() || s.eq_ignore_ascii_case("false"))
                    })
                });
                if default_false {
                    lints.add(
                        format!("workflow '{written}'"),
                        format!("conditional on '{name}', whose default is false or missing; flowServ fails such a run without an argument"),
                        Some("conditional-default"),
                    );
                }
            }
        }
        let whole = found.len() == 1 && found[0].start == 0 && found[0].end == text.len();
        if !found.is_empty() && !whole {
            lints.add(
                format!("workflow '{text}'"),
                "has a reference inside a longer text; flowServ replaces only a value that is exactly one reference".into(),
                Some("embedded-references"),
            );
        }
    }
    let aliases = ["type", "datatype", "required", "description", "module"];
    if let Some(Value::Array(items)) = template.document.get("parameters") {
        for item in items {
            let Some(map) = item.as_object() else {
                continue;
            };
            let name = map.get("name").and_then(Value::as_str).unwrap_or("?");
            for key in aliases.iter().filter(|k| map.contains_key(**k)) {
                lints.add(
                    format!("parameters '{name}' key '{key}'"),
                    "is a spelling of the user guide that flowServ refuses".into(),
                    Some("key-aliases"),
                );
            }
        }
    }
    for parameter in &template.parameters {
        match &parameter.dtype {
            ParameterType::Actor if parameter.default.is_some() => lints.add(
                format!("parameters '{}' defaultValue", parameter.name),
                "an actor's default runs in flowdesk; flowServ refuses the run".into(),
                Some("actor-default"),
            ),
            ParameterType::Select { values }
                if parameter.default.is_none() && values.iter().any(|o| o.is_default) =>
            {
                lints.add(
                    format!("parameters '{}'", parameter.name),
                    "has no defaultValue; flowdesk takes the option marked isDefault, flowServ requires an argument".into(),
                    Some("select-isdefault"),
                )
            }
            _ => {}
        }
    }
}

fn strings_in(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| strings_in(i, out)),
        Value::Object(map) => map.values().for_each(|v| strings_in(v, out)),
        _ => {}
    }
}

/// Links and images in the instructions (`](path)`, `src="path"`) to files
/// the folder does not have.
fn missing_instruction_files(folder: &TemplateFolder, lints: &mut Lints) {
    let Some(text) = &folder.instructions else {
        return;
    };
    for target in linked_files(text) {
        let path = target.split(['#', '?']).next().unwrap_or_default();
        if path.is_empty() || Path::new(path).is_absolute() {
            continue;
        }
        if !folder.basedir.join(path).exists() {
            lints.add_in(
                "instructions".into(),
                format!("link '{target}'"),
                "names a file the template folder does not have".into(),
                None,
            );
        }
    }
}

/// Link targets of Markdown links and images and of HTML `src`/`href`, without
/// web addresses.
fn linked_files(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut push = |target: &str| {
        let target = target.trim().trim_matches(['<', '>']);
        let target = target.split_whitespace().next().unwrap_or_default();
        let web = target.contains("://")
            || target.starts_with("mailto:")
            || target.starts_with('#')
            || target.starts_with("data:");
        if !target.is_empty() && !web && !found.iter().any(|f| f == target) {
            found.push(target.to_string());
        }
    };
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find(')') {
            push(&rest[..end]);
        }
    }
    for attribute in ["src=\"", "href=\""] {
        let mut rest = text;
        while let Some(i) = rest.find(attribute) {
            rest = &rest[i + attribute.len()..];
            if let Some(end) = rest.find('"') {
                push(&rest[..end]);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::LoadOptions;
    use std::fs;

    fn load(dir: &Path) -> TemplateFolder {
        TemplateFolder::load(dir, &LoadOptions::default()).unwrap()
    }

    #[test]
    fn the_samples_are_clean() {
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-templates");
        let lints = lint(&load(&samples.join("helloworld")));
        assert!(lints.is_empty(), "{lints:#?}");
    }

    #[test]
    fn each_warning_names_its_file_and_element() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("flowserv.yaml"),
            "name: t\ninstructions: README.md\nspecfile: benchmark.yaml\nfiles:\n  - source: code\n",
        )
        .unwrap();
        fs::create_dir(dir.path().join("code")).unwrap();
        fs::write(dir.path().join("code/run.py"), "").unwrap();
        fs::write(
            dir.path().join("README.md"),
            "See ![plot](img/plot.png) and [site](https://x.org).\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("benchmark.yaml"),
            r#"
workflow:
  files:
    inputs: ['code/run.py', 'code/missing.txt']
  parameters:
    n: '$[[n]]'
  steps:
    - name: main
      files:
        inputs: ['code/run.py']
        outputs: ['results/r.json']
      action:
        commands: ['python code/run.py --n $[[n]]']
parameters:
  - {name: n, dtype: int, defaultValue: 1}
  - {name: unused, dtype: string, label: Unused}
outputs:
  - {source: 'results/plot.png', key: plot}
results:
  file: 'results/r.json'
  schema:
    - {name: score, label: Score, dtype: float, required: false}
"#,
        )
        .unwrap();
        let lints: Vec<String> = lint(&load(dir.path()))
            .iter()
            .map(|l| l.to_string())
            .collect();
        let has = |text: &str| lints.iter().any(|l| l.contains(text));
        assert!(
            has("benchmark.yaml: parameters 'unused': declared but never referenced"),
            "{lints:#?}"
        );
        assert!(!has("parameters 'n': declared"), "{lints:#?}");
        assert!(
            has("benchmark.yaml: outputs[0] 'results/plot.png': no workflow step"),
            "{lints:#?}"
        );
        assert!(has("benchmark.yaml: workflow.files.inputs 'code/missing.txt': 'code/missing.txt' is not in the template folder"), "{lints:#?}");
        assert!(!has("'code/run.py' is not"), "{lints:#?}");
        assert!(
            has("benchmark.yaml: results.orderBy 'score': sorts by an optional column"),
            "{lints:#?}"
        );
        assert!(
            has("[flowserv-core 0.9.4 differs: missing-sort-values]"),
            "{lints:#?}"
        );
        assert!(
            has("[flowserv-core 0.9.4 differs: embedded-references]"),
            "{lints:#?}"
        );
        assert!(
            has("instructions: link 'img/plot.png': names a file"),
            "{lints:#?}"
        );
        assert!(!has("x.org"), "{lints:#?}");
    }
}
