//! The coordinator's workbench on the command line: `template check --result`,
//! the lint warnings, `template pack` (its archive installs with the same
//! declarations in flowdesk and in flowserv-core 0.9.4) and `template try`
//! (which leaves nothing in the home's benchmarks, runs or leaderboards).

mod common;

use common::{samples, Home};
use flowdesk::client::local::LocalOptions;
use flowdesk::client::{Client, LocalClient};
use flowdesk::config::Config;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A copy of the Hello World sample to edit, with a coordinator's note that
/// must not reach participants.
fn draft(dir: &Path) -> PathBuf {
    let folder = dir.join("hello");
    copy_dir(&samples().join("helloworld"), &folder);
    std::fs::write(folder.join("NOTES-solution.txt"), "the answer is 42").unwrap();
    folder
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn check_result_shows_every_column_and_names_what_is_wrong() {
    let home = Home::new();
    let folder = draft(home.path());
    let good = home.path().join("good.json");
    std::fs::write(
        &good,
        r#"{"avg_count": "12.5", "max_len": 17, "max_line": "Hello Alice!"}"#,
    )
    .unwrap();
    let output = home.run(&[
        "template",
        "check",
        folder.to_str().unwrap(),
        "--result",
        good.to_str().unwrap(),
    ]);
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    assert!(out.contains("Schema check of"), "{out}");
    assert!(out.contains("The result file matches the schema."), "{out}");
    // The cast is shown beside the value found: text "12.5" becomes 12.5.
    assert!(
        out.lines()
            .any(|l| l.contains("avg_count") && l.contains("\"12.5\"") && l.contains("12.5")),
        "{out}"
    );

    let broken = home.path().join("broken.json");
    std::fs::write(&broken, r#"{"avg_count": "many", "max-len": 17}"#).unwrap();
    let output = home.run(&[
        "template",
        "check",
        folder.to_str().unwrap(),
        "--result",
        broken.to_str().unwrap(),
    ]);
    let out = text(&output);
    assert!(
        !output.status.success(),
        "a broken result file fails: {out}"
    );
    assert!(
        out.contains("error: column 'avg_count': wrong type: a text value does not cast to float"),
        "{out}"
    );
    assert!(
        out.contains("error: column 'max_len': required column missing: path 'max_len' not found"),
        "{out}"
    );
    assert!(out.contains("the file has 'max-len', a typo?"), "{out}");
    assert!(
        out.contains("warning: benchmark.yaml: results.schema 'max_line': the sample result file has no value"),
        "{out}"
    );

    let output = home.run(&[
        "template",
        "check",
        folder.to_str().unwrap(),
        "--result",
        broken.to_str().unwrap(),
        "--json",
    ]);
    let doc: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["resultCheck"]["passes"], json!(false));
    assert_eq!(
        doc["resultCheck"]["extraKeys"],
        json!([{"path": "max-len", "column": "max_len"}])
    );
    assert_eq!(doc["resultCheck"]["columns"][0]["found"], json!("many"));
}

#[test]
fn lint_warnings_name_the_file_and_element_and_do_not_block() {
    let home = Home::new();
    let folder = draft(home.path());
    let spec = folder.join("benchmark.yaml");
    let text_before = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(
        &spec,
        text_before.replace(
            "parameters:\n  - name: 'names'",
            "parameters:\n  - name: 'unused'\n    label: 'Never used'\n    dtype: 'string'\n    index: 9\n  - name: 'names'",
        ),
    )
    .unwrap();
    let output = home.run(&["template", "check", folder.to_str().unwrap()]);
    let out = text(&output);
    assert!(output.status.success(), "warnings do not block: {out}");
    assert!(
        out.contains("warning: benchmark.yaml: parameters 'unused': declared but never referenced"),
        "{out}"
    );
    let clean = home.ok(&[
        "template",
        "check",
        samples().join("helloworld").to_str().unwrap(),
    ]);
    assert!(!clean.contains("warning:"), "{clean}");
}

/// The oracle's shape of a parameter declaration, from flowdesk's.
fn declaration(p: &flowdesk::template::Parameter) -> Value {
    let mut doc = json!({
        "name": p.name,
        "dtype": p.dtype.name(),
        "index": p.index,
        "required": p.required,
        "default": p.default.clone().unwrap_or(Value::Null),
        "group": p.group,
        "label": p.label,
    });
    if let flowdesk::template::ParameterType::File { target } = &p.dtype {
        doc["target"] = json!(target);
    }
    doc
}

fn files_below(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                out.push(
                    path.strip_prefix(base)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn a_packed_archive_installs_the_same_in_flowdesk_and_flowserv() {
    // Without the bundled samples: the packed Hello World keeps its name.
    let no_samples = tempfile::tempdir().unwrap();
    let home = Home::new().with_env("FLOWDESK_SAMPLES", no_samples.path());
    let folder = draft(home.path());
    let archive = home.path().join("hello-for-participants.tar.gz");
    let out = home.ok(&[
        "template",
        "pack",
        folder.to_str().unwrap(),
        archive.to_str().unwrap(),
    ]);
    assert!(out.starts_with("Packed "), "{out}");
    assert!(
        out.contains(" KB, ") || out.contains(" bytes, "),
        "the size: {out}"
    );
    for file in [
        "flowserv.yaml",
        "benchmark.yaml",
        "instructions.md",
        "code/helloworld.py",
        "data/names.txt",
        "postproc/summarize.py",
    ] {
        assert!(out.lines().any(|l| l.trim() == file), "{file} in {out}");
    }
    assert!(!out.contains("NOTES-solution"), "{out}");

    // flowdesk installs it.
    let id = home.install(&archive);
    let config = Config::resolve(Some(home.path().to_path_buf())).unwrap();
    let client = LocalClient::open_with(
        config,
        LocalOptions {
            install_samples: false,
            executor: None,
            recover: false,
        },
    )
    .unwrap();
    let detail = client.benchmark(&id).unwrap();
    let ours = json!({
        "name": detail.benchmark.name,
        "parameters": detail.parameters.iter().map(declaration).collect::<Vec<_>>(),
        "columns": detail.results.as_ref().unwrap().columns.iter()
            .map(|c| json!({"name": c.name, "label": c.label, "dtype": c.dtype.name(), "required": c.required}))
            .collect::<Vec<_>>(),
        "files": files_below(&home.path().join("workflows").join(&id).join("static")),
    });
    drop(client);

    // flowserv-core 0.9.4 installs the same archive (unpacked: it installs folders).
    let Some(python) =
        common::flowserv_python("a_packed_archive_installs_the_same_in_flowdesk_and_flowserv")
    else {
        return;
    };
    let unpacked = home.path().join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    let status = Command::new("tar")
        .arg("xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&unpacked)
        .status()
        .unwrap();
    assert!(status.success());
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/flowserv_oracle.py");
    let mut child = Command::new(&python)
        .arg(&driver)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .env_remove("PYTHONPATH")
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let case = json!({"id": 1, "op": "install", "folder": unpacked.join("hello")});
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{case}").unwrap();
    }
    let answer = child.wait_with_output().unwrap();
    let theirs: Value = serde_json::from_slice(&answer.stdout).unwrap();
    assert_eq!(theirs["ok"], json!(true), "{theirs}");
    let their_parameters: Vec<Value> = theirs["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let mut p = p.clone();
            // Ranges are compared by the conformance suite; here, what is declared.
            p.as_object_mut().unwrap().remove("range");
            p
        })
        .collect();
    let their_columns: Vec<Value> = theirs["results"]["schema"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| json!({"name": c["name"], "label": c["label"], "dtype": c["dtype"], "required": c["required"]}))
        .collect();
    assert_eq!(ours["name"], theirs["name"]);
    assert_eq!(ours["parameters"], json!(their_parameters));
    assert_eq!(ours["columns"], json!(their_columns));
    assert_eq!(ours["files"], theirs["files"]);
}

#[test]
fn pack_refuses_a_template_with_errors() {
    let home = Home::new();
    let archive = home.path().join("bad.tar.gz");
    let output = home.run(&[
        "template",
        "pack",
        samples().join("bad/undeclared-reference").to_str().unwrap(),
        archive.to_str().unwrap(),
    ]);
    let out = text(&output);
    assert!(!output.status.success(), "{out}");
    assert!(out.contains("undeclared parameter"), "{out}");
    assert!(!archive.exists());
}

fn names_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn template_try_runs_a_draft_with_post_processing_and_leaves_nothing_in_the_home() {
    let dir = tempfile::tempdir().unwrap();
    let folder = draft(dir.path());
    let home = Home::new();
    let benchmarks_before = home.json(&["workflows"]);
    // A try area whose process died is removed by the next start.
    let stale = home.path().join("tmp/workbench-deadbeef0000");
    std::fs::create_dir_all(stale.join("runs")).unwrap();

    let output = home.run(&[
        "template",
        "try",
        folder.to_str().unwrap(),
        "--arg",
        "sleeptime=0",
        "--arg",
        "greeting=Hi",
        "--postproc",
        "--json",
    ]);
    assert!(output.status.success(), "{}", text(&output));
    let tried: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(tried["run"]["state"], "SUCCESS", "{tried}");
    assert!(
        tried["log"].as_str().unwrap().contains("wrote 8 greetings"),
        "{tried}"
    );
    assert_eq!(tried["resultCheck"]["passes"], true, "{tried}");
    assert_eq!(tried["postproc"]["run"]["state"], "SUCCESS", "{tried}");
    let outputs: Vec<&str> = tried["postproc"]["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["path"].as_str().unwrap())
        .collect();
    assert!(outputs.contains(&"results/summary.json"), "{outputs:?}");

    // The same values as a real run of the installed template.
    let other = Home::new();
    let installed = other.json(&["install", folder.to_str().unwrap(), "--name", "Draft"]);
    let id = installed["id"].as_str().unwrap();
    let (run_output, run) = other.run_wait(&[id, "--arg", "sleeptime=0", "--arg", "greeting=Hi"]);
    assert!(run_output.status.success(), "{}", text(&run_output));
    assert_eq!(tried["run"]["results"], run["results"]);
    assert!(run["results"]["max_len"].as_i64().unwrap() > 0, "{run}");

    // A try on a home that did not exist yet leaves it private.
    let fresh = tempfile::tempdir().unwrap();
    let fresh_home = fresh.path().join("home");
    let output = Command::new(env!("CARGO_BIN_EXE_flowdesk"))
        .arg("--home")
        .arg(&fresh_home)
        .args([
            "template",
            "try",
            folder.to_str().unwrap(),
            "--arg",
            "sleeptime=0",
        ])
        .env("FLOWDESK_PYTHON", "python3")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&fresh_home).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);

    // Nothing reached the home: same benchmarks, no runs, no try area left.
    assert_eq!(home.json(&["workflows"]), benchmarks_before);
    assert_eq!(home.json(&["runs"]), json!([]));
    let left: Vec<String> = names_in(&home.path().join("tmp"))
        .into_iter()
        .filter(|n| n.starts_with("workbench-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn template_try_streams_the_log_and_names_the_column_a_broken_result_misses() {
    let dir = tempfile::tempdir().unwrap();
    let folder = draft(dir.path());
    // The scorer writes its result under a misspelled key.
    let analyze = folder.join("code/analyze.py");
    let code = std::fs::read_to_string(&analyze).unwrap();
    assert!(code.contains("'max_len'"), "{code}");
    std::fs::write(&analyze, code.replace("'max_len'", "'max_lne'")).unwrap();
    let home = Home::new();
    let output = home.run(&[
        "template",
        "try",
        folder.to_str().unwrap(),
        "--arg",
        "sleeptime=0",
    ]);
    assert!(!output.status.success(), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The step's output streamed to stderr while it ran.
    assert!(stderr.contains("try run"), "{stderr}");
    assert!(stderr.contains("wrote 8 greetings"), "{stderr}");
    // The run failed naming the column, and the schema check shows it with
    // the typo-like key.
    assert!(stdout.contains("ERROR"), "{stdout}");
    assert!(stdout.contains("max_len"), "{stdout}");
    assert!(stdout.contains("max_lne"), "{stdout}");
    assert!(stdout.contains("Nothing was installed"), "{stdout}");
    assert_eq!(home.json(&["runs"]), json!([]));
}
