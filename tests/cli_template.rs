//! End-to-end tests of `flowdesk template check|expand` against the real binary and
//! the bundled sample templates, including one test per kind of bad template.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-templates")
}

fn flowdesk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowdesk"))
        .args(args)
        .env("FLOWDESK_PYTHON", "python3")
        .output()
        .expect("the flowdesk binary runs")
}

fn check(folder: &str) -> Output {
    let path = samples().join(folder);
    flowdesk(&["template", "check", path.to_str().unwrap()])
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A bad template exits non-zero with exactly one line naming file and element.
fn assert_rejected(folder: &str, expected: &str) {
    let output = check(folder);
    assert!(!output.status.success(), "{folder} was accepted");
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "one line expected: {message}");
    assert_eq!(message.trim_end(), format!("error: {expected}"));
}

#[test]
fn check_prints_parameters_in_form_order_and_schema() {
    let output = check("helloworld");
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("Hello World (sample)\n"), "{text}");
    let names = text.find("  names ").unwrap();
    let sleeptime = text.find("  sleeptime ").unwrap();
    let greeting = text.find("  greeting ").unwrap();
    assert!(names < sleeptime && sleeptime < greeting, "{text}");
    assert!(text.contains("range [0,10]"), "{text}");
    assert!(
        text.contains("Result schema (results/analytics.json):"),
        "{text}"
    );
    assert!(
        text.contains("order by: avg_count desc, max_len asc"),
        "{text}"
    );
}

#[test]
fn check_json_has_parameters_groups_and_schema() {
    let path = samples().join("predictor");
    let output = flowdesk(&["template", "check", path.to_str().unwrap(), "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let doc: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["name"], "Predictor (sample)");
    let params = doc["parameters"].as_array().unwrap();
    let names: Vec<&str> = params.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["code", "method", "threshold"]);
    assert_eq!(params[0]["dtype"], "file");
    assert_eq!(params[2]["range"], "(0,1]");
    assert_eq!(doc["parameterGroups"].as_array().unwrap().len(), 2);
    let columns = doc["results"]["columns"].as_array().unwrap();
    assert_eq!(columns[0]["path"], "accuracy/mean");
    assert_eq!(doc["results"]["orderBy"][0]["name"], "accuracy");
    assert_eq!(doc["results"]["orderBy"][0]["sortDesc"], true);
}

#[test]
fn every_good_sample_passes_the_check() {
    for folder in [
        "helloworld",
        "predictor",
        "features/actor",
        "features/conditional",
        "features/failing",
        "features/include",
        "features/inline-spec",
        "features/json-spec",
        "features/slow",
        "features/notebook",
        "features/code-step",
        "features/docker",
    ] {
        let output = check(folder);
        assert!(output.status.success(), "{folder}: {}", stderr(&output));
    }
}

#[test]
fn undeclared_reference_is_rejected() {
    assert_rejected(
        "bad/undeclared-reference",
        "benchmark.yaml: workflow references undeclared parameter 'noparameter'",
    );
}

#[test]
fn duplicate_parameter_is_rejected() {
    assert_rejected(
        "bad/duplicate-parameter",
        "benchmark.yaml: parameters[1]: parameter 'sleeptime' is declared twice",
    );
}

#[test]
fn specfile_and_workflow_spec_together_are_rejected() {
    assert_rejected(
        "bad/both-specfile-and-workflowspec",
        "flowserv.yaml: the manifest has both 'specfile' and 'workflowSpec'; keep one of them",
    );
}

#[test]
fn bad_range_is_rejected() {
    assert_rejected(
        "bad/bad-range",
        "benchmark.yaml: parameters[0] 'threshold': range '[0,' is not an interval like '[0,1]', '(0,]' or '[-inf,10)'",
    );
}

#[test]
fn order_by_unknown_column_is_rejected() {
    assert_rejected(
        "bad/orderby-unknown-column",
        "benchmark.yaml: results.orderBy[0]: unknown column 'nocolumn'; the schema has 'score'",
    );
}

#[test]
fn step_without_action_is_rejected() {
    assert_rejected(
        "bad/step-without-action",
        "benchmark.yaml: workflow.steps[1] (step 'nothing'): the action has neither 'commands' nor 'notebook' nor 'func'",
    );
}

#[test]
fn escaping_manifest_path_is_rejected() {
    assert_rejected(
        "bad/escaping-path",
        "flowserv.yaml: files[0].source: path '../outside' leaves its folder ('..' is not allowed)",
    );
}

#[test]
fn folder_without_manifest_needs_and_accepts_a_specfile() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mybench.yaml"),
        "workflow:\n  steps:\n    - name: s\n      action:\n        commands: ['echo $[[n]]']\nparameters:\n  - name: n\n    dtype: int\n    defaultValue: 4\n",
    )
    .unwrap();
    let folder = dir.path().to_str().unwrap();
    let output = flowdesk(&["template", "check", folder]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("has no manifest"),
        "{}",
        stderr(&output)
    );
    let output = flowdesk(&["template", "check", folder, "--specfile", "mybench.yaml"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with("mybench\n"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn explicit_manifest_path_is_used() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("spec.yaml"),
        "workflow:\n  steps:\n    - action:\n        commands: ['true']\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("other.yaml"),
        "name: Other name\nspecfile: spec.yaml\n",
    )
    .unwrap();
    let folder = dir.path().to_str().unwrap();
    let output = flowdesk(&["template", "check", folder, "--manifest", "other.yaml"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("Other name\n"));
}

#[test]
fn expand_substitutes_references_and_variables() {
    let path = samples().join("helloworld");
    let output = flowdesk(&[
        "template",
        "expand",
        path.to_str().unwrap(),
        "--arg",
        "greeting=Hi",
        "--arg",
        "sleeptime=0",
        "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let workflow: Value = serde_json::from_slice(&output.stdout).unwrap();
    let commands = workflow["steps"][0]["commands"][0].as_str().unwrap();
    assert!(
        commands.starts_with("python3 code/helloworld.py"),
        "{commands}"
    );
    assert!(
        commands.contains("--infile \"data/names.txt\""),
        "{commands}"
    );
    assert!(commands.contains("--sleeptime 0"), "{commands}");
    assert!(commands.contains("--greeting \"Hi\""), "{commands}");
    assert_eq!(workflow["variables"]["sleeptime"], 0);
    assert_eq!(workflow["outputs"][1], "results/analytics.json");
}

#[test]
fn expand_conditional_and_actor() {
    let conditional = samples().join("features/conditional");
    let on = flowdesk(&[
        "template",
        "expand",
        conditional.to_str().unwrap(),
        "--arg",
        "verbose=true",
        "--json",
    ]);
    let off = flowdesk(&[
        "template",
        "expand",
        conditional.to_str().unwrap(),
        "--json",
    ]);
    let on: Value = serde_json::from_slice(&on.stdout).unwrap();
    let off: Value = serde_json::from_slice(&off.stdout).unwrap();
    assert_ne!(on["steps"][0]["commands"], off["steps"][0]["commands"]);
    let actor = samples().join("features/actor");
    let output = flowdesk(&[
        "template",
        "expand",
        actor.to_str().unwrap(),
        "--json",
        "--arg",
        r#"model={"environment": "img", "commands": ["echo custom > results/model.txt"]}"#,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let workflow: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        workflow["steps"][0]["commands"][0],
        "echo custom > results/model.txt"
    );
    assert_eq!(workflow["steps"][0]["image"], "img");
}

#[test]
fn expand_reports_argument_errors_by_parameter() {
    let path = samples().join("helloworld");
    let folder = path.to_str().unwrap();
    let output = flowdesk(&["template", "expand", folder, "--arg", "sleeptime=99"]);
    assert!(!output.status.success());
    assert_eq!(
        stderr(&output).trim(),
        "error: parameter 'sleeptime': 99 is outside the range [0,10]"
    );
    let output = flowdesk(&["template", "expand", folder, "--arg", "nosuch=1"]);
    assert_eq!(stderr(&output).trim(), "error: unknown parameter 'nosuch'");
    let output = flowdesk(&[
        "template",
        "expand",
        folder,
        "--file",
        "names=/tmp/x.txt:../../etc/passwd",
    ]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("'../../etc/passwd'"),
        "{}",
        stderr(&output)
    );
    let output = flowdesk(&["template", "expand", folder, "--arg", "broken"]);
    assert!(
        stderr(&output).contains("expected name=value"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn missing_required_argument_names_the_parameter() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("flowserv.yaml"),
        "name: Required\nworkflowSpec:\n  workflow:\n    steps:\n      - action:\n          commands: ['echo $[[who]]']\n  parameters:\n    - name: who\n      label: Who\n      dtype: string\n      isRequired: true\n",
    )
    .unwrap();
    let output = flowdesk(&["template", "expand", dir.path().to_str().unwrap()]);
    assert!(!output.status.success());
    assert_eq!(
        stderr(&output).trim(),
        "error: missing value for required parameter 'who'"
    );
}

#[test]
fn archives_are_checked_like_folders() {
    // What a file manager hands over for "Open with flowdesk" on a published
    // template: the archive, not a folder.
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("helloworld.tar.gz");
    let folder = samples().join("helloworld");
    flowdesk::service::files::write_tar_gz(
        &folder,
        &flowdesk::service::files::list_files(&folder, &[]),
        "helloworld",
        &archive,
    )
    .unwrap();
    let output = flowdesk(&["template", "check", archive.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("Hello World (sample)\n"));

    let bad = samples().join("bad/undeclared-reference");
    let archive = dir.path().join("draft.tar.gz");
    flowdesk::service::files::write_tar_gz(
        &bad,
        &flowdesk::service::files::list_files(&bad, &[]),
        "draft",
        &archive,
    )
    .unwrap();
    let output = flowdesk(&["template", "check", archive.to_str().unwrap()]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "one line expected: {message}");
    assert!(
        message.contains("workflow references undeclared parameter"),
        "{message}"
    );
    assert!(!message.contains("flowdesk-check-"), "{message}");
}
