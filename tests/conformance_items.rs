//! One end-to-end test of the real binary for each compatibility fix of issue 9:
//! benchmarks written for flowserv-core 0.9.4 install and run unchanged. The
//! differential suite (`tests/conformance.rs`) compares flowdesk with flowServ
//! itself; these tests pin each behaviour down on its own, with a template
//! written in the shape that shows it.

mod common;

use common::Home;
use std::fs;
use std::path::Path;

fn write(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// flowServ's own Hello World lists `files: - source: code` without a target;
/// 0.9.4 copies the folder to `code/` (target defaults to source).
#[test]
fn manifest_files_without_target_keep_their_path() {
    let home = Home::new();
    let template = tempfile::tempdir().unwrap();
    let root = template.path();
    write(
        root,
        "flowserv.yaml",
        "name: Targetless\nspecfile: benchmark.yaml\nfiles:\n  - source: code\n  - source: data/names.txt\n",
    );
    write(
        root,
        "benchmark.yaml",
        "workflow:\n  files:\n    outputs: [out.txt]\n  steps:\n    - name: main\n      action:\n        environment: 'python:3.9'\n        commands:\n          - ${python} code/hello.py data/names.txt out.txt\n",
    );
    write(
        root,
        "code/hello.py",
        "import sys\nnames = open(sys.argv[1]).read().split()\nopen(sys.argv[2], 'w').write(' '.join('Hi ' + n for n in names))\n",
    );
    write(root, "data/names.txt", "Ada\nAlan\n");
    write(root, "data/unused.txt", "not copied\n");
    let id = home.install(root);
    let static_dir = home.path().join("workflows").join(&id).join("static");
    assert!(static_dir.join("code/hello.py").is_file());
    assert!(static_dir.join("data/names.txt").is_file());
    assert!(!static_dir.join("hello.py").exists());
    assert!(!static_dir.join("data/unused.txt").exists());
    let (output, run) = home.run_wait(&[&id]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    assert_eq!(run["state"], "SUCCESS", "{run}");
    let text = fs::read_to_string(home.run_dir(&run).join("out.txt")).unwrap();
    assert_eq!(text, "Hi Ada Hi Alan");
}

/// flowServ's Hello World, in its own layout: a manifest whose `files` have
/// no `target`, a `requirements.txt` flowServ ignores, and a post-processing
/// script that reads the runs folder with `flowserv.service.postproc.client`
/// and writes with `flowserv.util`.
fn flowserv_hello_world(root: &Path) {
    write(
        root,
        "flowserv.yaml",
        "name: 'Hello World Demo'\ndescription: 'Hello World Demo for ROB'\ninstructions: 'instructions.md'\nfiles:\n    - source: code\n    - source: data\nspecfile: benchmark.yaml\n",
    );
    write(root, "instructions.md", "Say hello.\n");
    write(root, "requirements.txt", "flowserv-core>=0.8.0\n");
    write(root, "data/names.txt", "Alice\nBob\nClaire\n");
    write(
        root,
        "benchmark.yaml",
        r#"workflow:
    files:
        inputs:
        - code/helloworld.py
        - code/analyze.py
        - data/names.txt
        outputs:
        - results/greetings.txt
        - results/analytics.json
    parameters:
        inputfile: data/names.txt
        outputfile: results/greetings.txt
        greeting: $[[greeting]]
    steps:
        - name: helloworld
          files:
            inputs:
            - code/helloworld.py
            - data/names.txt
            outputs:
            - results/greetings.txt
          action:
            environment: 'python:3.9'
            commands:
                - ${python} code/helloworld.py
                    --inputfile "${inputfile}"
                    --outputfile "${outputfile}"
                    --greeting ${greeting}
                - ${python} code/analyze.py
                    --inputfile "${outputfile}"
                    --outputfile results/analytics.json
parameters:
    - name: greeting
      label: 'Greeting'
      dtype: string
      defaultValue: 'Hello'
results:
    file: results/analytics.json
    schema:
        - name: avg_count
          label: 'Avg. Chars per Line'
          dtype: float
        - name: max_len
          label: 'Max. Output Line'
          dtype: int
    orderBy:
        - name: avg_count
          sortDesc: true
postproc:
    workflow:
        files:
            inputs:
            - code/postproc.py
            outputs:
            - results/ranking.json
        parameters:
            runs: $[[runs]]
        steps:
            - name: postproc
              action:
                environment: 'python:3.9'
                commands:
                    - ${python} code/postproc.py --runs ${runs} --outputfile results/ranking.json
    inputs:
        files:
            - results/analytics.json
    outputs:
        - source: results/ranking.json
          key: ranking
          title: 'Ranking'
"#,
    );
    write(
        root,
        "code/helloworld.py",
        r#"import argparse, os
parser = argparse.ArgumentParser()
parser.add_argument('--inputfile')
parser.add_argument('--outputfile')
parser.add_argument('--greeting')
args = parser.parse_args()
os.makedirs(os.path.dirname(args.outputfile), exist_ok=True)
with open(args.inputfile) as f, open(args.outputfile, 'w') as out:
    for name in f.read().split():
        out.write('{} {}!\n'.format(args.greeting, name))
"#,
    );
    write(
        root,
        "code/analyze.py",
        r#"import argparse
from flowserv.util import write_object
parser = argparse.ArgumentParser()
parser.add_argument('--inputfile')
parser.add_argument('--outputfile')
args = parser.parse_args()
lines = [l.strip() for l in open(args.inputfile) if l.strip()]
write_object(args.outputfile, {
    'avg_count': sum(len(l) for l in lines) / len(lines),
    'max_len': max(len(l) for l in lines),
})
"#,
    );
    write(
        root,
        "code/postproc.py",
        r#"import argparse, os
from flowserv.service.postproc.client import Runs
import flowserv.util as util
parser = argparse.ArgumentParser()
parser.add_argument('--runs')
parser.add_argument('--outputfile')
args = parser.parse_args()
os.makedirs(os.path.dirname(args.outputfile), exist_ok=True)
ranking = list()
for run in Runs(args.runs):
    values = util.read_object(run.get_file('results/analytics.json'))
    ranking.append({'run': run.run_id, 'submission': run.name, 'avg_count': values['avg_count']})
util.write_object(args.outputfile, ranking)
"#,
    );
}

/// The post-processing run whose `ranking` file lists `count` runs, once it
/// is there: its run document and the parsed ranking.
fn wait_for_postproc(home: &Home, count: usize) -> (serde_json::Value, serde_json::Value) {
    let mut found = None;
    common::wait_for(
        "the post-processing run over all runs",
        std::time::Duration::from_secs(60),
        || {
            let Ok(entries) = fs::read_dir(home.path().join("runs")) else {
                return false;
            };
            for entry in entries.flatten() {
                let id = entry.file_name().to_string_lossy().into_owned();
                let output = home.run(&["show", &id, "--json"]);
                let Ok(run) = serde_json::from_slice::<serde_json::Value>(&output.stdout) else {
                    continue;
                };
                if !run["submission"].is_null() || run["state"] != "SUCCESS" {
                    continue;
                }
                let Some(file) = run["files"]
                    .as_array()
                    .and_then(|f| f.iter().find(|f| f["key"] == "ranking"))
                else {
                    continue;
                };
                let path = home.run_dir(&run).join(file["path"].as_str().unwrap());
                let Ok(text) = fs::read_to_string(path) else {
                    continue;
                };
                let ranking: serde_json::Value = serde_json::from_str(&text).unwrap();
                if ranking.as_array().map(Vec::len) == Some(count) {
                    found = Some((run, ranking));
                    return true;
                }
            }
            false
        },
    );
    found.unwrap()
}

fn hello_world_runs_with(python: &str, expected_note: &str) {
    let template = tempfile::tempdir().unwrap();
    flowserv_hello_world(template.path());
    let home = Home::new().with_env("FLOWDESK_PYTHON", python);
    let id = home.install(template.path());
    let static_dir = home.path().join("workflows").join(&id).join("static");
    assert!(static_dir.join("code/postproc.py").is_file());
    assert!(static_dir.join("data/names.txt").is_file());
    home.ok(&["submission", "create", &id, "team-b"]);
    let (output, first) = home.run_wait(&[&id, "--arg", "greeting=Hi"]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    assert_eq!(first["state"], "SUCCESS", "{first}");
    let (_, second) = home.run_wait(&[&id, "--submission", "team-b", "--arg", "greeting=Welcome"]);
    assert_eq!(second["state"], "SUCCESS", "{second}");
    let log = home.ok(&["logs", first["id"].as_str().unwrap()]);
    assert!(log.contains(expected_note), "{log}");

    let (postproc, ranking) = wait_for_postproc(&home, 2);
    // Rank order: the longer greeting first; submission names from runs.json.
    assert_eq!(ranking[0]["run"], second["id"]);
    assert_eq!(ranking[0]["submission"], "team-b");
    assert_eq!(ranking[1]["run"], first["id"]);
    assert_eq!(ranking[1]["submission"], "default");
    // "Hi Alice!", "Hi Bob!", "Hi Claire!"
    assert!(
        (ranking[1]["avg_count"].as_f64().unwrap() - 26.0 / 3.0).abs() < 1e-9,
        "{ranking}"
    );
    let log = home.ok(&["logs", postproc["id"].as_str().unwrap()]);
    assert!(log.contains(expected_note), "{log}");
    // The file is listed and downloadable under its key.
    let out = home.path().join("ranking.json");
    home.ok(&[
        "download",
        postproc["id"].as_str().unwrap(),
        "ranking",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&fs::read_to_string(out).unwrap()).unwrap(),
        ranking
    );
}

/// With a Python that has no flowServ, flowdesk's helper modules stand in.
#[test]
fn flowserv_hello_world_layout_runs_with_flowdesks_helper_modules() {
    let Some(python) = common::python_without_flowserv(
        "flowserv_hello_world_layout_runs_with_flowdesks_helper_modules",
    ) else {
        return;
    };
    hello_world_runs_with(
        &python,
        &format!("flowdesk: `{python}` has no flowServ package, so steps that import flowserv use flowdesk's own helper modules (flowserv.service.postproc.client, flowserv.util) from"),
    );
}

/// With a Python that has flowServ installed, flowdesk leaves it alone.
#[test]
fn flowserv_hello_world_layout_runs_with_flowservs_own_modules() {
    let Some(python) =
        common::flowserv_python("flowserv_hello_world_layout_runs_with_flowservs_own_modules")
    else {
        return;
    };
    let python = python.to_string_lossy().into_owned();
    hello_world_runs_with(
        &python,
        &format!("flowdesk: `{python}` has flowServ installed: steps that import flowserv use it"),
    );
}

/// A template folder from (relative path, text) pairs.
fn template(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    dir
}

/// An actor's default runs in either form 0.9.4 accepts for it (a step, or
/// flowServ GUI's `['container', {image, commands}]`); an optional actor with
/// no value and no default skips its step, as flowServ does.
#[test]
fn actor_defaults_in_both_forms_run_and_an_unset_optional_actor_skips_its_step() {
    let t = template(&[
        ("flowserv.yaml", "name: Actors\nspecfile: benchmark.yaml\n"),
        (
            "benchmark.yaml",
            r#"workflow:
  files:
    outputs: [model.txt, extra.txt]
  steps:
    - name: model
      action: $[[model]]
    - name: extra
      action: $[[extra]]
    - name: optional
      action: $[[optional]]
parameters:
  - name: model
    dtype: actor
    defaultValue:
      environment: 'python:3.9'
      commands: ['echo model > model.txt']
  - name: extra
    dtype: actor
    defaultValue: ['container', {image: 'python:3.9', commands: ['echo extra > extra.txt']}]
  - name: optional
    dtype: actor
    isRequired: false
"#,
        ),
    ]);
    let home = Home::new();
    let id = home.install(t.path());
    let (output, run) = home.run_wait(&[&id]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    assert_eq!(run["state"], "SUCCESS", "{run}");
    let dir = home.run_dir(&run);
    assert_eq!(
        fs::read_to_string(dir.join("model.txt")).unwrap(),
        "model\n"
    );
    assert_eq!(
        fs::read_to_string(dir.join("extra.txt")).unwrap(),
        "extra\n"
    );
    let log = home.ok(&["logs", run["id"].as_str().unwrap()]);
    assert!(!log.contains(" optional "), "{log}");
    // Given a value, the optional step runs.
    let (_, run) = home.run_wait(&[
        &id,
        "--arg",
        r#"optional={"environment": "python:3.9", "commands": ["echo opt > opt.txt"]}"#,
    ]);
    assert_eq!(run["state"], "SUCCESS", "{run}");
    assert!(home.run_dir(&run).join("opt.txt").is_file());
}

/// 0.9.4's defaults: a parameter without `defaultValue` is required unless it
/// says otherwise, and one without `index` takes its place in the list.
#[test]
fn parameters_without_default_are_required_and_keep_their_list_position() {
    let t = template(&[
        ("flowserv.yaml", "name: Defaults\nspecfile: benchmark.yaml\n"),
        (
            "benchmark.yaml",
            "workflow:\n  parameters:\n    a: $[[a]]\n    b: $[[b]]\n  steps:\n    - name: s\n      action:\n        environment: e\n        commands: ['echo ${a} ${b} > out.txt']\nparameters:\n  - name: a\n    dtype: int\n  - name: b\n    dtype: string\n    defaultValue: x\n  - name: c\n    dtype: int\n    index: 0\n    isRequired: false\n",
        ),
    ]);
    let home = Home::new();
    let report = home.json(&["template", "check", t.path().to_str().unwrap()]);
    let shown: Vec<(String, i64, bool)> = report["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["index"].as_i64().unwrap(),
                p["required"].as_bool().unwrap(),
            )
        })
        .collect();
    // Form order by index, ties in list order: a (position 0), c (index 0),
    // b (position 1).
    assert_eq!(
        shown,
        [
            ("a".to_string(), 0, true),
            ("c".to_string(), 0, false),
            ("b".to_string(), 1, false)
        ]
    );
    let id = home.install(t.path());
    let (output, _) = home.run_wait(&[&id]);
    assert!(!output.status.success());
    assert!(
        common::stderr(&output).contains("'a'"),
        "{}",
        common::stderr(&output)
    );
    let (_, run) = home.run_wait(&[&id, "--arg", "a=3"]);
    assert_eq!(run["state"], "SUCCESS", "{run}");
    assert_eq!(
        fs::read_to_string(home.run_dir(&run).join("out.txt")).unwrap(),
        "3 x\n"
    );
}

fn result_template(document: &str) -> tempfile::TempDir {
    template(&[
        ("flowserv.yaml", "name: Results\nspecfile: benchmark.yaml\n"),
        (
            "benchmark.yaml",
            &format!(
                "workflow:\n  files:\n    outputs: [r.json]\n  steps:\n    - name: s\n      action:\n        environment: e\n        commands:\n          - |\n            cat > r.json <<'END'\n            {document}\n            END\nresults:\n  file: r.json\n  schema:\n    - name: n\n      label: N\n      dtype: int\n    - name: flag\n      label: Flag\n      dtype: int\n    - name: x\n      label: X\n      dtype: float\n    - name: note\n      label: Note\n      dtype: string\n      required: false\n"
            ),
        ),
    ])
}

/// Result values are cast as flowServ casts them (Python's int(), float(),
/// str()); a missing required column ends the run in ERROR naming it
/// (flowdesk's listed difference `result-errors`).
#[test]
fn result_values_cast_as_python_and_a_missing_column_is_named() {
    let home = Home::new();
    let t = result_template(r#"{"n": 2.7, "flag": true, "x": "1_5", "note": {"a": [1, "b"]}}"#);
    let id = home.install(t.path());
    let (_, run) = home.run_wait(&[&id]);
    assert_eq!(run["state"], "SUCCESS", "{run}");
    assert_eq!(run["results"]["n"], 2);
    assert_eq!(run["results"]["flag"], 1);
    assert_eq!(run["results"]["x"], 15.0);
    assert_eq!(run["results"]["note"], "{'a': [1, 'b']}");
    let t = result_template(r#"{"n": 1, "x": 0.5}"#);
    let home = Home::new();
    let id = home.install(t.path());
    let (_, run) = home.run_wait(&[&id]);
    assert_eq!(run["state"], "ERROR", "{run}");
    assert!(
        run["messages"][0]
            .as_str()
            .unwrap()
            .contains("no value for required column 'flag'"),
        "{run}"
    );
}

/// A run lists the files the template declares (not the inputs copied into
/// its folder), each under its `key`, and downloads by that key.
#[test]
fn run_files_are_the_declared_outputs_under_their_keys() {
    let home = Home::new();
    let id = home.sample("Hello World (sample)");
    let (_, run) = home.run_wait(&[&id, "--arg", "sleeptime=0"]);
    assert_eq!(run["state"], "SUCCESS", "{run}");
    let mut keys: Vec<(&str, &str)> = run["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["key"].as_str().unwrap(), f["path"].as_str().unwrap()))
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            ("analytics", "results/analytics.json"),
            ("greetings", "results/greetings.txt")
        ]
    );
    let out = home.path().join("greetings.txt");
    home.ok(&[
        "download",
        run["id"].as_str().unwrap(),
        "greetings",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(fs::read_to_string(&out)
        .unwrap()
        .starts_with("Hello Alice!"));
    // Without declared outputs, every file the run made is listed.
    let t = template(&[
        ("flowserv.yaml", "name: Undeclared\nspecfile: benchmark.yaml\nfiles:\n  - source: data\n"),
        ("data/in.txt", "input\n"),
        (
            "benchmark.yaml",
            "workflow:\n  steps:\n    - name: s\n      action:\n        environment: e\n        commands: ['mkdir -p out && cp data/in.txt out/copy.txt']\n",
        ),
    ]);
    let id = home.install(t.path());
    let (_, run) = home.run_wait(&[&id]);
    let paths: Vec<&str> = run["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["out/copy.txt"], "{run}");
}

/// Commands are expanded as flowServ expands them: only workflow parameters
/// are variables, a name that is not one stands for itself, `$$` is a `$`,
/// lists and records print as Python prints them, and `$[[b ? x]]` without an
/// else branch is `None`. Instructions may include with spaces in the braces.
#[test]
fn commands_follow_flowservs_placeholder_rules() {
    let t = template(&[
        (
            "flowserv.yaml",
            "name: Placeholders\ninstructions: instructions.md\nspecfile: benchmark.yaml\n",
        ),
        ("instructions.md", "# Title\n{{ part.md }}\n"),
        ("part.md", "Included part."),
        (
            "benchmark.yaml",
            r#"workflow:
  files:
    outputs: [out.txt]
  parameters:
    items: $[[items]]
    rec: $[[rec]]
    opt: $[[flag ? on]]
  steps:
    - name: s
      action:
        environment: e
        commands:
          - echo "${HOME} $${HOME} ${items} ${rec} ${opt} ${greeting}" > out.txt
parameters:
  - name: items
    dtype: list
    defaultValue: [1, 'a']
    para: {name: item, dtype: string, index: 0, isRequired: true}
  - name: rec
    dtype: record
    defaultValue: [{name: a, value: 1}]
    fields:
      - {name: a, dtype: int, index: 0, isRequired: true}
  - name: flag
    dtype: bool
    defaultValue: true
  - name: greeting
    dtype: string
    defaultValue: Hello
"#,
        ),
    ]);
    let home = Home::new();
    let report = home.json(&["template", "check", t.path().to_str().unwrap()]);
    assert_eq!(report["warnings"], serde_json::json!([]));
    let id = home.install(t.path());
    let (_, run) = home.run_wait(&[&id, "--arg", "flag=false"]);
    assert_eq!(run["state"], "SUCCESS", "{run}");
    let home_dir = std::env::var("HOME").unwrap_or_default();
    assert_eq!(
        fs::read_to_string(home.run_dir(&run).join("out.txt")).unwrap(),
        format!("HOME {home_dir} ['1', 'a'] {{'a': 1}} None greeting\n")
    );
    assert_eq!(report["instructions"], "# Title\nIncluded part.\n");
}

/// A benchmark whose name is taken is refused with the next free name, which
/// installs.
#[test]
fn a_taken_name_is_refused_with_the_next_free_name() {
    let home = Home::new();
    let folder = common::samples().join("predictor");
    home.sample("Predictor (sample)");
    let output = home.run(&["install", folder.to_str().unwrap()]);
    assert!(!output.status.success());
    assert_eq!(
        common::stderr(&output).trim(),
        "error: a benchmark named 'Predictor (sample)' is already installed; install this one as 'Predictor (sample) (1)' (`--name 'Predictor (sample) (1)'`)"
    );
    let installed = home.json(&[
        "install",
        folder.to_str().unwrap(),
        "--name",
        "Predictor (sample) (1)",
    ]);
    assert_eq!(installed["name"], "Predictor (sample) (1)");
    let output = home.run(&["install", folder.to_str().unwrap()]);
    assert!(common::stderr(&output).contains("'Predictor (sample) (2)'"));
}

/// What flowServ accepts but is probably a mistake loads with a warning that
/// `template check` shows.
#[test]
fn template_check_shows_warnings_for_what_flowserv_accepts() {
    let t = template(&[
        (
            "flowserv.yaml",
            "name: Warnings\nspecfile: benchmark.yaml\nfiles:\n  - source: gone\n",
        ),
        (
            "benchmark.yaml",
            "workflow:\n  steps:\n    - name: s\n      action:\n        environment: e\n        commands: ['true']\nparameters:\n  - name: n\n    dtype: int\n    defaultValue: many\n    group: nogroup\n",
        ),
    ]);
    let home = Home::new();
    let report = home.json(&["template", "check", t.path().to_str().unwrap()]);
    let warnings: Vec<&str> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(
        warnings,
        [
            "flowserv.yaml: files[0].source: 'gone' does not exist; nothing is copied for it",
            "benchmark.yaml: parameters[0] 'n': 'defaultValue' is not valid: 'many' is not an integer; a run without a value for 'n' fails",
            "benchmark.yaml: parameter 'n' belongs to group 'nogroup', which parameterGroups does not declare",
        ]
    );
    let text = home.ok(&["template", "check", t.path().to_str().unwrap()]);
    assert!(
        text.contains("warning: flowserv.yaml: files[0].source: 'gone' does not exist"),
        "{text}"
    );
}
