//! flowdesk's answers to the static cases (through the library: template
//! loading, casting, binding and expansion, result reading, and leaderboards
//! from a real SQLite store), and their comparison with flowServ's.

use super::generate::Case;
use super::oracle::normalize;
use flowdesk::store::{NewRun, NewSubmission, NewWorkflow, Store};
use flowdesk::template::{
    python_str, ExpandOptions, Parameter, ParameterType, ResultSchema, ResultValue, Template,
};
use flowdesk::workflow::Action;
use serde_json::{json, Map, Value};

/// How one case came out.
pub enum Outcome {
    Agree,
    /// The listed difference the case exercises showed.
    Known(&'static str),
    /// A disagreement no listed difference explains: what to print.
    Disagree(String),
}

/// The verdict for a case: agreement, the case's own known difference when
/// flowdesk and flowServ differ in the way it says (`shape_ok`), or a
/// disagreement with everything needed to see why.
fn verdict(case: &Case, same: bool, shape_ok: bool, ours: &Value, theirs: &Value) -> Outcome {
    if same {
        return Outcome::Agree;
    }
    match case.feature {
        Some(feature) if shape_ok => Outcome::Known(feature),
        _ => Outcome::Disagree(format!(
            "case {}\n  flowdesk: {ours}\n  flowServ: {theirs}",
            serde_json::to_string_pretty(&case.request).unwrap_or_default()
        )),
    }
}

fn refused(answer: &Value) -> bool {
    answer["ok"] == json!(false)
}

// ----- templates --------------------------------------------------------------------

fn bound(value: Option<f64>, infinity: &str) -> Value {
    match value {
        Some(v) => json!(v),
        None => json!(infinity),
    }
}

fn declarations(template: &Template) -> Value {
    Value::Array(
        template
            .parameters
            .iter()
            .map(|p| {
                let mut doc = json!({
                    "name": p.name,
                    "dtype": p.dtype.name(),
                    "index": p.index,
                    "required": p.required,
                    "default": p.default.clone().unwrap_or(Value::Null),
                    "group": p.group,
                    "label": p.label,
                });
                match &p.dtype {
                    ParameterType::Int { range: Some(r) }
                    | ParameterType::Float { range: Some(r) } => {
                        doc["range"] = json!([
                            bound(r.min.value, "-inf"),
                            !r.min.closed,
                            bound(r.max.value, "inf"),
                            !r.max.closed
                        ]);
                    }
                    ParameterType::File { target } => doc["target"] = json!(target),
                    ParameterType::Select { values } => {
                        doc["values"] =
                            Value::Array(values.iter().map(|o| o.value.clone()).collect())
                    }
                    _ => {}
                }
                doc
            })
            .collect(),
    )
}

fn schema_doc(schema: &ResultSchema) -> Value {
    let columns: Vec<Value> = schema
        .columns
        .iter()
        .map(|c| {
            let mut doc = json!({"name": c.name, "label": c.label, "dtype": c.dtype.name(), "required": c.required});
            if let Some(path) = &c.path {
                doc["path"] = json!(path);
            }
            doc
        })
        .collect();
    let order = |columns: &[flowdesk::template::SortColumn]| -> Value {
        Value::Array(
            columns
                .iter()
                .map(|c| json!({"name": c.name, "sortDesc": c.sort_desc}))
                .collect(),
        )
    };
    json!({
        "file": schema.file,
        "schema": columns,
        "orderBy": order(&schema.order_by),
        "defaultOrder": order(&schema.effective_order()),
    })
}

/// A template's declarations as flowdesk loads them, in the oracle's shape.
fn template_answer(doc: &Value) -> Value {
    match Template::from_value(doc.clone(), "benchmark.yaml") {
        Err(e) => json!({"ok": false, "error": e.to_string()}),
        Ok(t) => json!({
            "ok": true,
            "parameters": declarations(&t),
            "groups": if doc.get("parameterGroups").is_some() {
                Value::Array(t.groups.iter().map(|g| json!({"name": g.name, "title": g.title, "index": g.index})).collect())
            } else {
                Value::Null
            },
            "results": t.results.as_ref().map(schema_doc).unwrap_or(Value::Null),
            "outputs": t.outputs.as_ref().map(|o| Value::Array(o.iter().map(|f| {
                let mut doc = json!({"source": f.source, "key": f.key});
                if let Some(title) = &f.title { doc["title"] = json!(title); }
                doc
            }).collect())).unwrap_or(Value::Null),
        }),
    }
}

pub fn compare_template(case: &Case, theirs: &Value) -> Outcome {
    let ours = template_answer(&case.request["doc"]);
    let theirs = normalize(theirs);
    let mut theirs_cmp = theirs.clone();
    if let Some(map) = theirs_cmp.as_object_mut() {
        map.remove("id");
        if map.get("ok") == Some(&json!(false)) {
            map.remove("error");
        }
    }
    let mut ours_cmp = ours.clone();
    if ours_cmp["ok"] == json!(false) {
        ours_cmp.as_object_mut().unwrap().remove("error");
    }
    let same = ours_cmp == theirs_cmp;
    let shape_ok = match case.feature {
        // flowdesk loads what flowServ refuses.
        Some("key-aliases") | Some("nested-declarations") => refused(&theirs) && !refused(&ours),
        // flowdesk refuses what flowServ loads.
        Some("unsafe-paths") | Some("broken-steps") => !refused(&theirs) && refused(&ours),
        _ => false,
    };
    verdict(case, same, shape_ok, &ours, &theirs)
}

// ----- casting ------------------------------------------------------------------------

pub fn compare_cast(case: &Case, theirs: &Value) -> Outcome {
    let decl = &case.request["decl"];
    let ours = match Parameter::from_value(decl, "parameters[0]", 0) {
        Err(e) => json!({"ok": false, "error": e}),
        Ok(p) => match p.cast(&case.request["value"]) {
            Ok(v) => json!({"ok": true, "value": v}),
            Err(e) => json!({"ok": false, "error": e.to_string()}),
        },
    };
    let theirs = normalize(theirs);
    let same = match (refused(&ours), refused(&theirs)) {
        (true, true) => true,
        (false, false) => ours["value"] == theirs["value"],
        _ => false,
    };
    let shape_ok = refused(&theirs) && !refused(&ours);
    verdict(case, same, shape_ok, &ours, &theirs)
}

// ----- expansion ----------------------------------------------------------------------

/// The steps flowdesk runs for a template and arguments, with commands as the
/// shell worker runs them, in the oracle's shape.
fn expand_answer(doc: &Value, arguments: &Value) -> Value {
    let template = match Template::from_value(doc.clone(), "benchmark.yaml") {
        Ok(t) => t,
        Err(e) => return json!({"ok": false, "stage": "load", "error": e.to_string()}),
    };
    let arguments = arguments.as_object().cloned().unwrap_or_default();
    let bound = match template.bind(&arguments) {
        Ok(b) => b,
        Err(e) => return json!({"ok": false, "stage": "arguments", "error": e.to_string()}),
    };
    let options = ExpandOptions {
        python: "PYTHON".into(),
    };
    let workflow = match template.expand(&bound, &options) {
        Ok(w) => w.preview(),
        Err(e) => return json!({"ok": false, "stage": "parse", "error": e.to_string()}),
    };
    let steps: Vec<Value> = workflow
        .steps
        .iter()
        .map(|s| {
            let mut doc = json!({"name": s.name, "inputs": s.inputs, "outputs": s.outputs});
            match &s.action {
                Action::Container {
                    image, commands, ..
                } => {
                    doc["type"] = json!("container");
                    doc["image"] = json!(image);
                    doc["commands"] = json!(commands);
                }
                Action::Notebook {
                    notebook, output, ..
                } => {
                    doc["type"] = json!("notebook");
                    doc["notebook"] = json!(notebook);
                    doc["output"] = json!(output);
                }
                Action::Code { arg, .. } => {
                    doc["type"] = json!("code");
                    doc["arg"] = json!(arg);
                }
                Action::Actor { parameter } => doc["type"] = json!(format!("actor {parameter}")),
            }
            doc
        })
        .collect();
    let variables: Map<String, Value> = workflow
        .variables
        .iter()
        .map(|(k, v)| (k.clone(), json!(python_str(v))))
        .collect();
    json!({"ok": true, "steps": steps, "variables": variables, "outputs": workflow.outputs})
}

pub fn compare_expand(case: &Case, theirs: &Value) -> Outcome {
    let ours = expand_answer(&case.request["doc"], &case.request["arguments"]);
    let mut theirs = normalize(theirs);
    if let Some(map) = theirs.as_object_mut() {
        map.remove("id");
        // No `files.outputs`: flowServ's default is an empty mapping.
        if map.get("outputs") == Some(&json!({})) {
            map.insert("outputs".into(), json!([]));
        }
    }
    let same = match (refused(&ours), refused(&theirs)) {
        (true, true) => true,
        (false, false) => {
            ours["steps"] == theirs["steps"]
                && ours["variables"] == theirs["variables"]
                && ours["outputs"] == theirs["outputs"]
        }
        _ => false,
    };
    let shape_ok = match case.feature {
        // flowServ fails (or leaves the reference as text); flowdesk expands it.
        Some("embedded-references") => !refused(&ours),
        Some(_) => refused(&theirs) && !refused(&ours),
        None => false,
    };
    verdict(case, same, shape_ok, &ours, &theirs)
}

// ----- result files ------------------------------------------------------------------

fn result_json(value: &ResultValue) -> Value {
    match value {
        ResultValue::Int(i) => json!(i),
        ResultValue::Float(f) => json!(f),
        ResultValue::String(s) => json!(s),
    }
}

pub fn compare_results(case: &Case, theirs: &Value) -> Outcome {
    let ours = match ResultSchema::from_value(&case.request["schema"]) {
        Err(e) => json!({"ok": false, "error": e}),
        Ok(schema) => match serde_json::from_str::<Value>(case.request["text"].as_str().unwrap()) {
            Err(e) => json!({"ok": false, "error": e.to_string()}),
            Ok(document) => match schema.extract(&document) {
                Err(e) => json!({"ok": false, "error": e}),
                Ok(values) => {
                    let values: Map<String, Value> = values
                        .into_iter()
                        .filter_map(|(name, v)| v.map(|v| (name, result_json(&v))))
                        .collect();
                    json!({"ok": true, "values": values})
                }
            },
        },
    };
    let theirs = normalize(theirs);
    // A refused result file: flowServ keeps the run without results, flowdesk
    // ends it in ERROR (`result-errors`, seen in the run cases); here both
    // store no values.
    let same = match (refused(&ours), refused(&theirs)) {
        (true, true) => true,
        (false, false) => ours["values"] == theirs["values"],
        _ => false,
    };
    verdict(case, same, false, &ours, &theirs)
}

// ----- rankings ----------------------------------------------------------------------

/// Leaderboards of ranking cases from one real SQLite file.
pub struct Boards {
    store: Store,
    _dir: tempfile::TempDir,
}

impl Boards {
    pub fn new() -> Boards {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("boards.db")).unwrap();
        Boards { store, _dir: dir }
    }

    /// The order of the case's runs (indexes) in both leaderboards.
    fn answer(&self, id: usize, request: &Value) -> Value {
        let schema = match ResultSchema::from_value(&request["schema"]) {
            Ok(s) => s,
            Err(e) => return json!({"ok": false, "error": e}),
        };
        let workflow = format!("w{id}");
        self.store
            .insert_workflow(&NewWorkflow {
                id: workflow.clone(),
                name: workflow.clone(),
                description: None,
                instructions: None,
                source: None,
                template: json!({"workflow": {}}),
                result_schema: Some(schema.clone()),
                postproc: None,
            })
            .unwrap();
        let mut submissions: Vec<String> = Vec::new();
        let mut run_ids: Vec<String> = Vec::new();
        for (i, run) in request["runs"].as_array().unwrap().iter().enumerate() {
            let name = run["submission"].as_str().unwrap().to_string();
            let submission = format!("{workflow}_{name}");
            if !submissions.contains(&name) {
                self.store
                    .insert_submission(&NewSubmission {
                        id: submission.clone(),
                        workflow_id: workflow.clone(),
                        name: name.clone(),
                        parameters: json!([]),
                        engine_config: None,
                    })
                    .unwrap();
                submissions.push(name);
            }
            let run_id = format!("{workflow}_r{i}");
            self.store
                .insert_run(&NewRun {
                    id: run_id.clone(),
                    workflow_id: workflow.clone(),
                    submission_id: Some(submission),
                    arguments: json!({}),
                })
                .unwrap();
            self.store.start_run(&run_id).unwrap();
            let results: Vec<(String, Option<ResultValue>)> = schema
                .columns
                .iter()
                .map(|c| {
                    let value = run["values"].get(&c.name).map(|v| match v {
                        Value::Number(n) if n.is_i64() => ResultValue::Int(n.as_i64().unwrap()),
                        Value::Number(n) => ResultValue::Float(n.as_f64().unwrap()),
                        other => ResultValue::String(other.as_str().unwrap_or_default().into()),
                    });
                    (c.name.clone(), value)
                })
                .collect();
            self.store.finish_success(&run_id, &[], &results).unwrap();
            run_ids.push(run_id);
        }
        let mut answer = json!({"ok": true});
        for (name, all) in [("all", true), ("best", false)] {
            let board = self
                .store
                .leaderboard(&workflow, &schema, &[], all)
                .unwrap();
            answer[name] = Value::Array(
                board
                    .run_ids()
                    .map(|r| json!(run_ids.iter().position(|x| *x == r).unwrap()))
                    .collect(),
            );
        }
        answer
    }

    pub fn compare(&self, id: usize, case: &Case, theirs: &Value) -> Outcome {
        let ours = self.answer(id, &case.request);
        let theirs = normalize(theirs);
        let failed = |answer: &Value, key: &str| answer[key].get("error").is_some();
        let same = ours["all"] == theirs["all"] && ours["best"] == theirs["best"];
        // flowServ cannot compare a missing value; flowdesk sorts it last.
        let shape_ok = failed(&theirs, "all") && !failed(&ours, "all");
        verdict(case, same, shape_ok, &ours, &theirs)
    }
}
