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
        &format!("flowdesk: `{python}` cannot import flowserv: flowdesk's implementation of flowServ's helper modules (flowserv.service.postproc.client, flowserv.util) is on PYTHONPATH"),
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
