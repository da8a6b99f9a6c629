//! Real runs on both sides: a template folder is installed and run with the
//! same arguments by the `flowdesk` binary and by flowServ's client; states,
//! result values, file lists, both rankings and the post-processing run are
//! compared. Cases are every sample template and a generated set.

use super::common::Home;
use super::compare::Outcome;
use super::oracle::normalize;
use super::rng::Rng;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

/// An argument as a command line gives it.
#[derive(Clone, Debug)]
pub enum Arg {
    Text(String),
    /// A file, relative to the template folder.
    File(String),
}

#[derive(Clone, Debug)]
pub struct RunSpec {
    pub submission: Option<String>,
    pub arguments: Vec<(String, Arg)>,
}

pub struct RunCase {
    pub name: String,
    pub folder: PathBuf,
    pub runs: Vec<RunSpec>,
    pub feature: Option<&'static str>,
    /// A generated template's folder, removed with the case.
    pub _dir: Option<tempfile::TempDir>,
}

impl RunCase {
    pub fn request(&self, id: usize) -> Value {
        let runs: Vec<Value> = self
            .runs
            .iter()
            .map(|r| {
                let arguments: serde_json::Map<String, Value> = r
                    .arguments
                    .iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Arg::Text(t) | Arg::File(t) => json!(t),
                        };
                        (k.clone(), v)
                    })
                    .collect();
                json!({"submission": r.submission, "arguments": arguments})
            })
            .collect();
        json!({"id": id, "op": "run", "folder": self.folder, "runs": runs})
    }
}

fn run(name: &str, folder: PathBuf, runs: Vec<RunSpec>, feature: Option<&'static str>) -> RunCase {
    RunCase {
        name: name.to_string(),
        folder,
        runs,
        feature,
        _dir: None,
    }
}

fn spec(submission: Option<&str>, arguments: &[(&str, &str)]) -> RunSpec {
    RunSpec {
        submission: submission.map(String::from),
        arguments: arguments
            .iter()
            .map(|(k, v)| (k.to_string(), Arg::Text(v.to_string())))
            .collect(),
    }
}

/// Every sample template, with arguments that show its features, and the
/// known difference each exercises (the samples that use an extension on
/// purpose).
pub fn sample_cases(samples: &Path) -> Vec<RunCase> {
    let s = |p: &str| samples.join(p);
    let team = Some("team-b");
    vec![
        run(
            "helloworld",
            s("helloworld"),
            vec![
                spec(None, &[("sleeptime", "0")]),
                spec(team, &[("sleeptime", "0"), ("greeting", "Hi")]),
                RunSpec {
                    submission: team.map(String::from),
                    arguments: vec![
                        ("sleeptime".into(), Arg::Text("0".into())),
                        ("greeting".into(), Arg::Text("Welcome".into())),
                        ("names".into(), Arg::File("data/names.txt".into())),
                    ],
                },
                spec(None, &[("sleeptime", "11")]),
            ],
            None,
        ),
        run(
            "predictor",
            s("predictor"),
            vec![
                spec(None, &[]),
                spec(None, &[("method", "majority")]),
                spec(team, &[("threshold", "0.3")]),
                spec(team, &[("threshold", "0")]),
            ],
            None,
        ),
        run(
            "features/actor",
            s("features/actor"),
            vec![spec(None, &[])],
            Some("actor-default"),
        ),
        run(
            "features/code-step",
            s("features/code-step"),
            vec![spec(None, &[]), spec(None, &[("minlen", "6")])],
            None,
        ),
        run(
            "features/conditional",
            s("features/conditional"),
            vec![spec(None, &[])],
            Some("conditional-default"),
        ),
        run(
            "features/conditional (every value given)",
            s("features/conditional"),
            vec![spec(
                None,
                &[
                    ("verbose", "true"),
                    ("items", "[4, 5]"),
                    (
                        "record",
                        "[{\"name\": \"a\", \"value\": 1}, {\"name\": \"b\", \"value\": \"x\"}]",
                    ),
                ],
            )],
            Some("list-record-text"),
        ),
        run(
            "features/docker",
            s("features/docker"),
            vec![spec(None, &[])],
            None,
        ),
        run(
            "features/failing",
            s("features/failing"),
            vec![spec(None, &[])],
            None,
        ),
        run(
            "features/include",
            s("features/include"),
            vec![spec(None, &[])],
            Some("include-whitespace"),
        ),
        run(
            "features/inline-spec",
            s("features/inline-spec"),
            vec![spec(None, &[])],
            Some("inline-workflowspec"),
        ),
        run(
            "features/json-spec",
            s("features/json-spec"),
            vec![spec(None, &[])],
            Some("key-aliases"),
        ),
        run(
            "features/notebook",
            s("features/notebook"),
            vec![spec(None, &[("repeat", "2")])],
            None,
        ),
        run(
            "features/slow",
            s("features/slow"),
            vec![spec(None, &[("seconds", "1")])],
            None,
        ),
        run(
            "features/reana-serial",
            s("features/reana-serial"),
            vec![spec(None, &[("sleeptime", "0")])],
            Some("reana-syntax"),
        ),
        run(
            "bad/escaping-path",
            s("bad/escaping-path"),
            vec![spec(None, &[])],
            Some("unsafe-paths"),
        ),
        run(
            "bad/step-without-action",
            s("bad/step-without-action"),
            vec![spec(None, &[])],
            Some("broken-steps"),
        ),
        run(
            "bad/undeclared-reference",
            s("bad/undeclared-reference"),
            vec![],
            None,
        ),
        run(
            "bad/duplicate-parameter",
            s("bad/duplicate-parameter"),
            vec![],
            None,
        ),
        run("bad/bad-range", s("bad/bad-range"), vec![], None),
        run(
            "bad/orderby-unknown-column",
            s("bad/orderby-unknown-column"),
            vec![],
            None,
        ),
        run(
            "bad/both-specfile-and-workflowspec",
            s("bad/both-specfile-and-workflowspec"),
            vec![],
            Some("inline-workflowspec"),
        ),
    ]
}

/// A template whose instructions include a file with spaces inside the braces
/// (`{{ part.md }}`).
pub fn spaced_include_case() -> RunCase {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("flowserv.yaml"),
        "name: 'Spaced include'\ninstructions: instructions.md\nspecfile: benchmark.yaml\n",
    )
    .unwrap();
    std::fs::write(
        root.join("instructions.md"),
        "# Read this\n\n{{ part.md }}\n",
    )
    .unwrap();
    std::fs::write(root.join("part.md"), "The included part.\n").unwrap();
    std::fs::write(
        root.join("benchmark.yaml"),
        "workflow:\n  files:\n    outputs: [out.txt]\n  steps:\n    - name: main\n      action:\n        environment: 'python:3.9'\n        commands:\n          - echo included > out.txt\n",
    )
    .unwrap();
    RunCase {
        name: "spaced include".into(),
        folder: root.to_path_buf(),
        runs: vec![spec(None, &[])],
        feature: Some("include-whitespace"),
        _dir: Some(dir),
    }
}

/// A generated benchmark: a few typed parameters (some with defaults, a
/// conditional on the flag), one step whose script writes a result document
/// from the arguments, a schema with nested paths and an `orderBy` that ties,
/// and runs of two submissions.
pub fn generated_case(rng: &mut Rng, i: usize) -> RunCase {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // The first two show their difference whatever the seed.
    let roll = match i {
        0 => 0,
        1 => 20,
        _ => rng.below(100),
    };
    let mut feature = None;
    // What the script writes for the second column.
    let mode = if roll < 15 {
        feature = Some("result-errors");
        rng.pick(&["missing", "mistyped"])
    } else {
        rng.pick(&["plain", "float", "bool", "text-number"])
    };
    let declare_outputs = if (15..25).contains(&roll) {
        feature = Some("all-files-when-undeclared");
        false
    } else {
        true
    };
    let a_default = rng.pick(&["1", "0", "2"]);
    let b_default = rng.pick(&["0.5", "0", "1.5"]);
    let with_flag_default = rng.chance(0.5);
    let flag_default = if with_flag_default && rng.chance(0.5) {
        "true"
    } else {
        "false"
    };
    let conditional = rng.chance(0.5);
    let mut parameters = format!(
        "parameters:\n  - name: a\n    dtype: int\n    defaultValue: {a_default}\n    range: '[0,5]'\n  - name: b\n    dtype: float\n    defaultValue: {b_default}\n  - name: s\n    dtype: string\n    defaultValue: 'abc'\n  - name: m\n    dtype: select\n    defaultValue: 'x'\n    values:\n      - {{name: X, value: x}}\n      - {{name: Y, value: y}}\n"
    );
    if with_flag_default {
        parameters.push_str(&format!(
            "  - name: f\n    dtype: bool\n    defaultValue: {flag_default}\n"
        ));
    } else {
        parameters.push_str("  - name: f\n    dtype: bool\n    isRequired: false\n");
    }
    let flag = if conditional {
        "'$[[f ? on : off]]'"
    } else {
        "'$[[f]]'"
    };
    let outputs = if declare_outputs {
        "  files:\n    inputs: [code/run.py]\n    outputs: [results/r.json]\n"
    } else {
        ""
    };
    let order = rng.pick(&[
        "  orderBy:\n    - name: total\n      sortDesc: true\n    - name: size\n      sortDesc: false\n",
        "  orderBy:\n    - name: size\n",
        "",
    ]);
    let benchmark = format!(
        "workflow:\n{outputs}  parameters:\n    a: '$[[a]]'\n    b: '$[[b]]'\n    s: '$[[s]]'\n    m: '$[[m]]'\n    flag: {flag}\n  steps:\n    - name: run\n      action:\n        environment: 'python:3.9'\n        commands:\n          - ${{python}} code/run.py results/r.json ${{a}} ${{b}} \"${{s}}\" ${{m}} ${{flag}}\n{parameters}results:\n  file: results/r.json\n  schema:\n    - name: total\n      label: Total\n      dtype: float\n    - name: size\n      label: Size\n      dtype: int\n      path: nested/size\n    - name: choice\n      label: Choice\n      dtype: string\n      required: false\n{order}"
    );
    let script = format!(
        r#"import json, os, sys
out, a, b, s, m, flag = sys.argv[1:7]
mode = {mode:?}
size = {{'plain': len(s), 'float': len(s) + 0.7, 'bool': len(s) > 2, 'text-number': str(len(s)), 'mistyped': 'many', 'missing': None}}[mode]
doc = {{'total': int(a) + float(b), 'nested': {{}}, 'flag': flag}}
if size is not None:
    doc['nested']['size'] = size
if m == 'y':
    doc['choice'] = m + '-' + flag
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, 'w') as f:
    json.dump(doc, f)
"#
    );
    std::fs::create_dir_all(root.join("code")).unwrap();
    std::fs::write(root.join("code/run.py"), script).unwrap();
    std::fs::write(root.join("benchmark.yaml"), benchmark).unwrap();
    std::fs::write(
        root.join("flowserv.yaml"),
        format!("name: 'Generated {i}'\nspecfile: benchmark.yaml\nfiles:\n  - source: code\n"),
    )
    .unwrap();
    let mut runs = Vec::new();
    for _ in 0..2 + rng.below(3) {
        let mut arguments = Vec::new();
        for (name, pool) in [
            ("a", &["0", "1", "3", "9", "x"][..]),
            ("b", &["0.5", "1", "-1.5"][..]),
            ("s", &["ab", "abcd", "a b"][..]),
            ("m", &["x", "y"][..]),
            ("f", &["true", "false"][..]),
        ] {
            if rng.chance(0.5) {
                arguments.push((name.to_string(), Arg::Text(rng.pick(pool).to_string())));
            }
        }
        // Without a true value for the conditional's flag, flowServ's client
        // fails the run (`conditional-default`); keep one feature per case.
        if conditional
            && !arguments.iter().any(|(n, _)| n == "f")
            && (flag_default == "false" || !with_flag_default)
        {
            arguments.push(("f".into(), Arg::Text(rng.pick(&["true", "false"]).into())));
        }
        runs.push(RunSpec {
            submission: rng.chance(0.5).then(|| "team-b".to_string()),
            arguments,
        });
    }
    RunCase {
        name: format!(
            "generated {i} (mode {mode}, outputs {declare_outputs}, conditional {conditional})"
        ),
        folder: root.to_path_buf(),
        runs,
        feature,
        _dir: Some(dir),
    }
}

// ----- flowdesk's side ------------------------------------------------------------------

fn run_state(output: &Output, doc: &Value) -> String {
    match doc["state"].as_str() {
        Some(state) => state.to_string(),
        None if !output.status.success() => "REFUSED".to_string(),
        None => "UNKNOWN".to_string(),
    }
}

/// Run the case with the binary; the answer has the oracle's shape.
pub fn flowdesk_answer(case: &RunCase, python: &str, tools: &Path) -> Value {
    // `tools` (the oracle's virtualenv) is on PATH for papermill, after this
    // process's own entries; `${python}` stays the interpreter without flowServ.
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    dirs.push(tools.to_path_buf());
    let home = Home::new()
        .with_env("FLOWDESK_PYTHON", python)
        .with_env("PATH", std::env::join_paths(dirs).unwrap());
    // A home without the bundled samples, so that their names are free.
    home.settings(json!({"samples_installed": true}));
    let install = home.run(&["install", case.folder.to_str().unwrap(), "--json"]);
    if !install.status.success() {
        return json!({"ok": false, "error": String::from_utf8_lossy(&install.stderr)});
    }
    let installed: Value = serde_json::from_slice(&install.stdout).unwrap();
    let id = installed["id"].as_str().unwrap().to_string();
    let mut created: Vec<String> = Vec::new();
    let mut runs = Vec::new();
    let mut run_ids: Vec<Option<String>> = Vec::new();
    for spec in &case.runs {
        let mut args: Vec<String> = vec![id.clone()];
        if let Some(submission) = &spec.submission {
            if !created.contains(submission) {
                home.ok(&["submission", "create", &id, submission]);
                created.push(submission.clone());
            }
            args.extend(["--submission".to_string(), submission.clone()]);
        }
        for (name, value) in &spec.arguments {
            match value {
                Arg::Text(text) => args.extend(["--arg".to_string(), format!("{name}={text}")]),
                Arg::File(path) => args.extend([
                    "--file".to_string(),
                    format!("{name}={}", case.folder.join(path).display()),
                ]),
            }
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (output, doc) = home.run_wait(&refs);
        let state = run_state(&output, &doc);
        let mut files: Vec<String> = doc["files"]
            .as_array()
            .map(|f| {
                f.iter()
                    .map(|f| f["key"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        let results: serde_json::Map<String, Value> = doc["results"]
            .as_object()
            .map(|r| {
                r.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        runs.push(json!({"state": state, "files": files, "results": results, "stderr": String::from_utf8_lossy(&output.stderr), "messages": doc["messages"]}));
        run_ids.push(doc["id"].as_str().map(String::from));
    }
    let position = |run: &str| run_ids.iter().position(|r| r.as_deref() == Some(run));
    let mut ranking = json!({});
    for (name, flag) in [("all", Some("--all")), ("best", None)] {
        let mut args = vec!["leaderboard", id.as_str()];
        args.extend(flag);
        args.push("--json");
        let output = home.run(&args);
        let board: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
        ranking[name] = match board.as_array() {
            Some(entries) if !entries.is_empty() => Value::Array(
                entries
                    .iter()
                    .map(|e| {
                        let values: serde_json::Map<String, Value> = e["values"]
                            .as_object()
                            .map(|v| {
                                v.iter()
                                    .filter(|(_, v)| !v.is_null())
                                    .map(|(k, v)| (k.clone(), v.clone()))
                                    .collect()
                            })
                            .unwrap_or_default();
                        json!({"run": position(e["run"].as_str().unwrap()), "results": values})
                    })
                    .collect(),
            ),
            _ => json!([]),
        };
    }
    json!({"ok": true, "runs": runs, "ranking": ranking, "postproc": postproc(&home, &run_ids)})
}

/// The latest post-processing run, once every post-processing run has ended.
fn postproc(home: &Home, runs: &[Option<String>]) -> Value {
    let mut latest = Value::Null;
    super::common::wait_for(
        "post-processing runs to end",
        Duration::from_secs(120),
        || {
            let Ok(entries) = std::fs::read_dir(home.path().join("runs")) else {
                return true;
            };
            let mut found: Vec<Value> = Vec::new();
            for entry in entries.flatten() {
                let id = entry.file_name().to_string_lossy().into_owned();
                if runs.iter().any(|r| r.as_deref() == Some(id.as_str())) {
                    continue;
                }
                let output = home.run(&["show", &id, "--json"]);
                let Ok(doc) = serde_json::from_slice::<Value>(&output.stdout) else {
                    continue;
                };
                if !doc["submission"].is_null() {
                    continue;
                }
                if matches!(doc["state"].as_str(), Some("PENDING") | Some("RUNNING")) {
                    return false;
                }
                found.push(doc);
            }
            found.sort_by(|a, b| a["createdAt"].as_str().cmp(&b["createdAt"].as_str()));
            latest = found.pop().unwrap_or(Value::Null);
            true
        },
    );
    if latest.is_null() {
        return Value::Null;
    }
    let mut files: Vec<String> = latest["files"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|f| f["key"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    json!({"state": latest["state"], "files": files})
}

// ----- comparison -----------------------------------------------------------------------

fn failed(state: &str) -> bool {
    matches!(state, "ERROR" | "REFUSED")
}

/// Results of flowServ's runs, from its ranking of all runs.
fn oracle_results(theirs: &Value) -> BTreeMap<usize, Value> {
    theirs["ranking"]["all"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter_map(|e| Some((e["run"].as_u64()? as usize, e["results"].clone())))
                .collect()
        })
        .unwrap_or_default()
}

fn order(ranking: &Value) -> Value {
    match ranking.as_array() {
        Some(entries) => Value::Array(entries.iter().map(|e| e["run"].clone()).collect()),
        None => ranking.clone(),
    }
}

/// Compare both answers; every difference found is described.
pub fn compare(case: &RunCase, ours: &Value, theirs: &Value) -> Outcome {
    let theirs = normalize(theirs);
    let mut differences: Vec<String> = Vec::new();
    let mut shapes: Vec<bool> = Vec::new();
    match (ours["ok"].as_bool(), theirs["ok"].as_bool()) {
        (Some(false), Some(false)) => return Outcome::Agree,
        (Some(true), Some(false)) => {
            differences.push(format!(
                "flowServ refused to install it: {}",
                theirs["error"]
            ));
            shapes.push(matches!(
                case.feature,
                Some("key-aliases") | Some("inline-workflowspec") | Some("include-whitespace")
            ));
        }
        (Some(false), Some(true)) => {
            differences.push(format!("flowdesk refused to install it: {}", ours["error"]));
            shapes.push(matches!(
                case.feature,
                Some("unsafe-paths") | Some("broken-steps")
            ));
        }
        _ => {
            let results = oracle_results(&theirs);
            let mut states_differ = false;
            let runs_ours = ours["runs"].as_array().unwrap();
            let runs_theirs = theirs["runs"].as_array().unwrap();
            for (i, (a, b)) in runs_ours.iter().zip(runs_theirs).enumerate() {
                let (sa, sb) = (a["state"].as_str().unwrap(), b["state"].as_str().unwrap());
                if sa != sb && !(failed(sa) && failed(sb)) {
                    states_differ = true;
                    differences.push(format!(
                        "run {i}: flowdesk {sa}, flowServ {sb} ({})",
                        b["messages"]
                    ));
                    shapes.push(match case.feature {
                        Some("reana-syntax") => sa == "SUCCESS" && sb == "ERROR",
                        Some("result-errors") => {
                            sa == "ERROR" && sb == "SUCCESS" && !results.contains_key(&i)
                        }
                        Some("conditional-default")
                        | Some("actor-default")
                        | Some("select-isdefault")
                        | Some("list-record-text") => sa == "SUCCESS" && failed(sb),
                        _ => false,
                    });
                    continue;
                }
                if sa != "SUCCESS" {
                    continue;
                }
                if a["files"] != b["files"] {
                    differences.push(format!("run {i}: files {} vs {}", a["files"], b["files"]));
                    shapes.push(
                        case.feature == Some("all-files-when-undeclared")
                            && b["files"] == json!([])
                            && a["files"].as_array().is_some_and(|f| !f.is_empty()),
                    );
                }
                let theirs_values = results.get(&i).cloned().unwrap_or(json!({}));
                if a["results"] != theirs_values {
                    differences.push(format!(
                        "run {i}: results {} vs {}",
                        a["results"], theirs_values
                    ));
                    shapes.push(false);
                }
            }
            // A run that ended differently ranks differently and sets off
            // other post-processing: those follow from the state difference.
            for name in ["all", "best"] {
                if states_differ {
                    break;
                }
                let (a, b) = (
                    order(&ours["ranking"][name]),
                    order(&theirs["ranking"][name]),
                );
                if a != b {
                    differences.push(format!("ranking ({name}): {a} vs {b}"));
                    shapes.push(false);
                }
            }
            let postproc = |answer: &Value| match &answer["postproc"] {
                Value::Null => Value::Null,
                pp => json!({"state": pp["state"], "files": pp["files"]}),
            };
            if !states_differ && postproc(ours) != postproc(&theirs) {
                let theirs_pp = theirs["postproc"].clone();
                let ours_pp = ours["postproc"].clone();
                differences.push(format!("post-processing: {ours_pp} vs {theirs_pp}"));
                shapes.push(false);
            }
        }
    }
    if differences.is_empty() {
        return Outcome::Agree;
    }
    match case.feature {
        Some(feature) if shapes.iter().all(|s| *s) => Outcome::Known(feature),
        _ => Outcome::Disagree(format!(
            "run case {} ({})\n  {}\n  flowdesk: {ours}\n  flowServ: {theirs}",
            case.name,
            case.folder.display(),
            differences.join("\n  ")
        )),
    }
}

/// A second install under a taken name: flowServ renames it silently
/// (`name (1)`); flowdesk refuses and suggests that name.
pub fn duplicate_name(oracle_python: &Path, samples: &Path, python: &str) -> Outcome {
    let folder = samples.join("predictor");
    let request = json!({"id": 0, "op": "install_twice", "folder": folder});
    let theirs = super::oracle::ask(oracle_python, std::slice::from_ref(&request)).remove(0);
    let home = Home::new().with_env("FLOWDESK_PYTHON", python);
    home.settings(json!({"samples_installed": true}));
    let first = home.json(&["install", folder.to_str().unwrap()]);
    let second = home.run(&["install", folder.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&second.stderr).into_owned();
    let name = first["name"].as_str().unwrap_or_default().to_string();
    let suggested = format!("{name} (1)");
    let theirs_second = theirs["names"][1].as_str().unwrap_or_default();
    if theirs_second == suggested
        && !second.status.success()
        && stderr.contains(&format!("'{suggested}'"))
    {
        return Outcome::Known("duplicate-name");
    }
    Outcome::Disagree(format!(
        "installing {} twice\n  flowdesk: first '{name}', second: {stderr}\n  flowServ: {theirs}",
        folder.display()
    ))
}
