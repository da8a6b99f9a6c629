//! Reproducible runs through the real binary (issue 14): provenance with hashes
//! checked against `sha256sum`, bundles carried to a second home, tampered and
//! foreign bundles refused, reproduction outcomes, and run sets whose mean and
//! standard deviation are what Python's `statistics` computes.

mod common;

use common::{samples, stderr, Home};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `sha256sum` of a file.
fn sha256sum(path: &Path) -> String {
    let output = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(output.status.success(), "sha256sum {}", path.display());
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn run_id(run: &Value) -> String {
    run["id"].as_str().unwrap().to_string()
}

fn provenance(home: &Home, run: &str) -> Value {
    let shown = home.json(&["show", run]);
    assert!(shown["provenance"].is_object(), "no provenance: {shown}");
    shown["provenance"].clone()
}

fn tar(args: &[&str], dir: &Path) {
    let output = Command::new("tar")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "tar {args:?}: {}", stderr(&output));
}

/// The id of a benchmark's `default` submission.
fn default_submission(home: &Home, workflow: &str) -> String {
    home.json(&["submissions", workflow])[0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn leaderboard(home: &Home, workflow: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["leaderboard", workflow];
    args.extend_from_slice(extra);
    home.json(&args).as_array().unwrap().clone()
}

#[test]
fn provenance_records_template_inputs_outputs_environment_machine_and_steps() {
    let home = Home::new();
    let id = home.sample("Hello World (sample)");
    let names = home.path().join("my-names.txt");
    std::fs::write(&names, "Alice\nBob\n").unwrap();
    let submission = default_submission(&home, &id);
    let upload = home.json(&["upload", &submission, names.to_str().unwrap()]);
    let upload_id = upload["id"].as_str().unwrap();
    let (output, run) = home.run_wait(&[&id, "--file", &format!("names={upload_id}")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let doc = provenance(&home, &run_id(&run));

    // Template: a hash, and the benchmark.
    assert_eq!(doc["template"]["name"], "Hello World (sample)");
    assert_eq!(doc["template"]["hash"].as_str().unwrap().len(), 64);
    assert_eq!(doc["arguments"]["greeting"], "Hello");
    assert_eq!(doc["arguments"]["sleeptime"], 1);

    // Inputs: the upload and the template files the workflow lists.
    let inputs = doc["inputs"].as_array().unwrap();
    let input = |path: &str| {
        inputs
            .iter()
            .find(|i| i["path"] == path)
            .unwrap_or_else(|| panic!("no input {path}: {inputs:?}"))
    };
    let names_input = input("data/names.txt");
    assert_eq!(names_input["source"], "upload");
    assert_eq!(names_input["origin"], upload_id);
    assert_eq!(names_input["parameter"], "names");
    assert_eq!(names_input["sha256"], sha256sum(&names));
    assert_eq!(names_input["size"], 10);
    let script = samples().join("helloworld/code/helloworld.py");
    assert_eq!(input("code/helloworld.py")["sha256"], sha256sum(&script));
    assert_eq!(input("code/helloworld.py")["source"], "template");

    // Outputs: what is in the run folder.
    let outputs = doc["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 2);
    for output in outputs {
        let file = home.run_dir(&run).join(output["path"].as_str().unwrap());
        assert_eq!(output["sha256"], sha256sum(&file), "{output}");
        assert_eq!(output["size"], std::fs::metadata(&file).unwrap().len());
    }

    // Environment: the interpreter as it answers itself, flowdesk's version.
    let version = Command::new("python3").arg("--version").output().unwrap();
    let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
    let python = &doc["environment"]["python"];
    assert_eq!(python["version"], version);
    assert_eq!(python["command"], "python3");
    assert!(Path::new(python["path"].as_str().unwrap()).is_file());
    assert_eq!(doc["environment"]["flowdesk"], env!("CARGO_PKG_VERSION"));
    let workers: Vec<&str> = doc["environment"]["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["worker"].as_str().unwrap())
        .collect();
    assert_eq!(workers, ["shell", "shell"]);

    // Machine: cores and memory of this computer, the host name only hashed.
    let machine = &doc["machine"];
    let nproc = Command::new("nproc").output().unwrap();
    let nproc: u64 = String::from_utf8_lossy(&nproc.stdout)
        .trim()
        .parse()
        .unwrap();
    assert_eq!(machine["cores"], nproc);
    assert!(machine["memory"].as_u64().unwrap() > 0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    assert_eq!(machine["kernel"], kernel.trim());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let host_file = home.path().join("host");
    std::fs::write(&host_file, host.trim()).unwrap();
    assert_eq!(machine["hostHash"], sha256sum(&host_file));
    assert!(!doc.to_string().contains(&format!("\"{}\"", host.trim())));

    // Steps: the commands as run, how they ended, time and memory.
    let steps = doc["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0]["name"], "helloworld");
    let command = steps[0]["commands"][0].as_str().unwrap();
    assert!(
        command.starts_with("python3 code/helloworld.py --infile \"data/names.txt\""),
        "{command}"
    );
    for step in steps {
        assert_eq!(step["exitCode"], 0, "{step}");
        assert!(step["duration"].as_f64().unwrap() > 0.0);
        // A Python process takes megabytes.
        assert!(step["peakMemory"].as_u64().unwrap() > 1_000_000, "{step}");
    }

    // The text view says the same.
    let text = home.ok(&["show", &run_id(&run)]);
    assert!(
        text.contains(&format!(
            "input data/names.txt sha256 {}",
            sha256sum(&names)
        )),
        "{text}"
    );
    assert!(text.contains("step helloworld: shell, exit 0"), "{text}");
}

#[test]
fn peak_memory_is_that_of_the_steps_processes() {
    let home = Home::new();
    let template = tempfile::tempdir().unwrap();
    std::fs::write(
        template.path().join("flowserv.yaml"),
        r#"name: Memory
workflowSpec:
  workflow:
    steps:
      - name: small
        action:
          commands:
            - "true"
      - name: big
        action:
          commands:
            - ${python} -c "b = bytearray(96 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); print(len(b))"
            - echo done
"#,
    )
    .unwrap();
    let id = home.install(template.path());
    let (output, run) = home.run_wait(&[&id]);
    assert!(output.status.success(), "{}", stderr(&output));
    let doc = provenance(&home, &run_id(&run));
    let steps = doc["steps"].as_array().unwrap();
    let small = steps[0]["peakMemory"].as_u64().unwrap();
    let big = steps[1]["peakMemory"].as_u64().unwrap();
    assert!(big >= 96 * 1024 * 1024, "big step peaked at {big}");
    assert!(small < 32 * 1024 * 1024, "`true` peaked at {small}");
    assert_eq!(steps[1]["commands"].as_array().unwrap().len(), 2);
}

#[test]
fn a_virtual_environment_lists_its_packages_as_pip_freeze_does() {
    let Some(python) = common::flowserv_python("a_virtual_environment_lists_its_packages") else {
        return;
    };
    let home = Home::new().with_env("FLOWDESK_PYTHON", &python);
    let id = home.sample("Noisy Estimate (sample)");
    let (output, run) = home.run_wait(&[&id, "--arg", "samples=100"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let doc = provenance(&home, &run_id(&run));
    assert_eq!(doc["environment"]["python"]["virtualEnv"], true);
    let listed: Vec<String> = doc["environment"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    let pip = Command::new(&python)
        .args(["-m", "pip", "freeze", "--all"])
        .output()
        .unwrap();
    assert!(pip.status.success(), "{}", stderr(&pip));
    let frozen: Vec<String> = String::from_utf8_lossy(&pip.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert!(frozen.iter().any(|p| p.starts_with("flowserv-core==0.9.4")));
    assert_eq!(listed, frozen);
}

/// A bundle of a predictor run with an uploaded predictor, and that run.
fn predictor_bundle(home: &Home, dir: &Path) -> (PathBuf, Value) {
    let id = home.sample("Predictor (sample)");
    let better = samples().join("predictor/examples/better_predictor.py");
    let submission = default_submission(home, &id);
    let upload = home.json(&["upload", &submission, better.to_str().unwrap()]);
    let (output, run) = home.run_wait(&[
        &id,
        "--file",
        &format!("code={}", upload["id"].as_str().unwrap()),
        "--arg",
        "threshold=0.4",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let bundle = dir.join("run.tar.gz");
    let written = home.json(&["bundle", &run_id(&run), bundle.to_str().unwrap()]);
    assert_eq!(written["files"], 4, "{written}");
    (bundle, run)
}

#[test]
fn a_bundle_imported_into_a_second_home_ranks_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let first = Home::new();
    let (bundle, run) = predictor_bundle(&first, dir.path());
    let id = first.sample("Predictor (sample)");

    // What is inside: the description, the uploaded input, outputs and log.
    let unpacked = dir.path().join("unpacked");
    std::fs::create_dir(&unpacked).unwrap();
    tar(&["xzf", bundle.to_str().unwrap()], &unpacked);
    let document: Value =
        serde_json::from_str(&std::fs::read_to_string(unpacked.join("bundle.json")).unwrap())
            .unwrap();
    assert_eq!(document["benchmark"]["name"], "Predictor (sample)");
    assert_eq!(document["submission"], "default");
    assert_eq!(
        sha256sum(&unpacked.join("inputs/code/predictor.py")),
        sha256sum(&samples().join("predictor/examples/better_predictor.py"))
    );
    for file in document["files"].as_array().unwrap() {
        let path = unpacked.join(file["name"].as_str().unwrap());
        assert_eq!(file["sha256"], sha256sum(&path), "{file}");
    }

    // A second home: a new submission of that name, the same values.
    let second = Home::new();
    second.json(&["workflows"]);
    let imported = second.json(&["import", bundle.to_str().unwrap()]);
    assert_eq!(imported["workflow"], id);
    assert_eq!(imported["differentTemplate"], false);
    let board_first = leaderboard(&first, &id, &[]);
    let board_second = leaderboard(&second, &id, &[]);
    assert_eq!(board_second.len(), 1);
    assert_eq!(board_second[0]["values"], board_first[0]["values"]);
    assert!(board_second[0]["values"]["accuracy"].as_f64().unwrap() > 0.5);
    assert_eq!(board_second[0]["badges"]["imported"], true);
    let shown = second.json(&["show", imported["run"].as_str().unwrap()]);
    assert_eq!(shown["provenance"]["imported"]["runId"], run["id"]);
    assert_eq!(
        shown["provenance"]["imported"]["bundle"],
        sha256sum(&bundle)
    );
    for file in shown["files"].as_array().unwrap() {
        let path = second
            .path()
            .join("runs")
            .join(imported["run"].as_str().unwrap())
            .join(file["path"].as_str().unwrap());
        assert_eq!(file["sha256"], sha256sum(&path));
    }
    // Once is enough.
    let again = second.run(&["import", bundle.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already here"),
        "{}",
        stderr(&again)
    );

    // The imported run can itself be reproduced with the bundled input.
    let reproduced = second.json(&["reproduce", imported["run"].as_str().unwrap()]);
    assert_eq!(reproduced["outcome"], "reproduced", "{reproduced}");
}

#[test]
fn a_tampered_bundle_is_refused_naming_the_file_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let first = Home::new();
    let (bundle, _) = predictor_bundle(&first, dir.path());
    let unpacked = dir.path().join("unpacked");
    std::fs::create_dir(&unpacked).unwrap();
    tar(&["xzf", bundle.to_str().unwrap()], &unpacked);
    let eval = unpacked.join("outputs/results/eval.json");
    let text = std::fs::read_to_string(&eval).unwrap();
    let mut better: Value = serde_json::from_str(&text).unwrap();
    better["accuracy"]["mean"] = serde_json::json!(0.999);
    std::fs::write(&eval, better.to_string()).unwrap();
    let tampered = dir.path().join("tampered.tar.gz");
    tar(
        &[
            "czf",
            tampered.to_str().unwrap(),
            "bundle.json",
            "outputs",
            "inputs",
            "log.txt",
        ],
        &unpacked,
    );

    let second = Home::new();
    let id = second.sample("Predictor (sample)");
    let output = second.run(&["import", tampered.to_str().unwrap()]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("`outputs/results/eval.json` does not match its recorded sha256"),
        "{message}"
    );
    assert!(leaderboard(&second, &id, &["--all"]).is_empty());
    assert_eq!(second.json(&["runs"]).as_array().unwrap().len(), 0);
    let tmp = second.path().join("tmp");
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");

    // A file that bundle.json does not list is refused too.
    std::fs::write(&eval, text).unwrap();
    std::fs::write(unpacked.join("outputs/extra.txt"), "x").unwrap();
    let smuggled = dir.path().join("smuggled.tar.gz");
    tar(
        &[
            "czf",
            smuggled.to_str().unwrap(),
            "bundle.json",
            "outputs",
            "inputs",
            "log.txt",
        ],
        &unpacked,
    );
    let output = second.run(&["import", smuggled.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("holds `outputs/extra.txt`, which its bundle.json does not list"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_bundle_of_a_different_template_is_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let first = Home::new();
    let id = first.sample("Hello World (sample)");
    let (output, run) = first.run_wait(&[&id, "--arg", "sleeptime=0"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let bundle = dir.path().join("hello.tar.gz");
    first.json(&["bundle", &run_id(&run), bundle.to_str().unwrap()]);

    // The same benchmark, but its analysis script edited.
    let changed = dir.path().join("helloworld");
    let copy = Command::new("cp")
        .args(["-r", samples().join("helloworld").to_str().unwrap()])
        .arg(&changed)
        .output()
        .unwrap();
    assert!(copy.status.success());
    let analyze = changed.join("code/analyze.py");
    let mut text = std::fs::read_to_string(&analyze).unwrap();
    text.push_str("\n# edited\n");
    std::fs::write(&analyze, text).unwrap();
    let second = Home::new();
    second.ok(&["uninstall", &second.sample("Hello World (sample)")]);
    let installed = second.install(&changed);

    let output = second.run(&["import", bundle.to_str().unwrap()]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("was made with a different template of 'Hello World (sample)': changed: `code/analyze.py`"),
        "{message}"
    );
    assert!(message.contains("--force"), "{message}");

    let forced = second.json(&["import", bundle.to_str().unwrap(), "--force"]);
    assert_eq!(forced["workflow"], installed);
    assert_eq!(forced["differentTemplate"], true);
    assert_eq!(forced["differences"][0], "changed: `code/analyze.py`");
    let board = leaderboard(&second, &installed, &[]);
    assert_eq!(board[0]["badges"]["differentTemplate"], true);
    assert_eq!(board[0]["values"]["avg_count"], 12.375);
    let shown = second.json(&["show", forced["run"].as_str().unwrap()]);
    assert_eq!(shown["provenance"]["imported"]["differentTemplate"], true);
}

#[test]
fn reproduce_tells_reproduced_differs_and_within_tolerance() {
    let home = Home::new();
    let hello = home.sample("Hello World (sample)");
    let noisy = home.sample("Noisy Estimate (sample)");

    // Deterministic: reproduced, exit 0.
    let (_, run) = home.run_wait(&[&hello, "--arg", "sleeptime=0"]);
    let hello_run = run_id(&run);
    let outcome = home.json(&["reproduce", &hello_run]);
    assert_eq!(outcome["outcome"], "reproduced", "{outcome}");
    assert_eq!(outcome["differences"], Value::Array(vec![]));

    // Random noise: differs, with the values listed; exit 1.
    let (_, run) = home.run_wait(&[&noisy, "--arg", "samples=2000"]);
    let noisy_run = run_id(&run);
    let output = home.run(&["reproduce", &noisy_run, "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let outcome: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(outcome["outcome"], "differs");
    let differences = outcome["differences"].as_array().unwrap();
    let values: Vec<&str> = differences
        .iter()
        .filter(|d| d["kind"] == "value")
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["abs_error", "estimate"]);
    let estimate = differences
        .iter()
        .find(|d| d["name"] == "estimate")
        .unwrap();
    assert_eq!(estimate["original"], run["results"]["estimate"]);
    assert!(differences
        .iter()
        .any(|d| d["kind"] == "file" && d["name"] == "results/estimate.json"));

    // The same within a tolerance an estimate of pi cannot miss (|π̂| ≤ 4).
    let outcome = home.json(&["reproduce", &noisy_run, "--tolerance", "4"]);
    assert_eq!(outcome["outcome"], "within-tolerance", "{outcome}");
    assert_eq!(outcome["tolerance"], "4");
    let deviation = outcome["maxDeviation"].as_f64().unwrap();
    assert!(deviation > 0.0 && deviation <= 4.0, "{deviation}");
    let text = home.ok(&["reproduce", &noisy_run, "--tolerance", "4"]);
    assert!(
        text.contains("reproduced within tolerance (largest deviation"),
        "{text}"
    );

    // A fixed seed repeats exactly.
    let (_, run) = home.run_wait(&[&noisy, "--arg", "samples=2000", "--arg", "seed=7"]);
    let seeded = home.json(&["reproduce", &run_id(&run)]);
    assert_eq!(seeded["outcome"], "reproduced", "{seeded}");

    // Badges, and the filter to reproduced runs: the seeded run and the noisy
    // one, whose latest reproduction held within tolerance.
    let all = leaderboard(&home, &noisy, &["--all"]);
    let badge = |run: &str| {
        all.iter()
            .find(|r| r["run"] == run)
            .map(|r| r["badges"]["reproduction"].clone())
            .unwrap()
    };
    assert_eq!(badge(&noisy_run), "within-tolerance");
    assert_eq!(badge(&run_id(&run)), "reproduced");
    let reproduced: Vec<String> = leaderboard(&home, &noisy, &["--all", "--reproduced"])
        .iter()
        .map(|r| r["run"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(reproduced.len(), 2, "{reproduced:?}");
    assert!(reproduced.contains(&noisy_run) && reproduced.contains(&run_id(&run)));
    let history = home.json(&["show", &noisy_run])["reproductions"].clone();
    assert_eq!(history.as_array().unwrap().len(), 3);
    // A relative tolerance relates to each value's original: each value is
    // within 1% of its own original or not, and the outcome follows. The
    // noise is random (now and then two estimates agree to 1e-5), so the
    // rule is checked on whatever this reproduction drew.
    let output = home.run(&["reproduce", &noisy_run, "--tolerance", "1%", "--json"]);
    let outcome: Value = serde_json::from_slice(&output.stdout).unwrap();
    let values: Vec<&Value> = outcome["differences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "value")
        .collect();
    assert_eq!(values.len(), 2, "{outcome}");
    let mut all_within = true;
    for value in values {
        let original = value["original"].as_f64().unwrap();
        let reproduced = value["reproduced"].as_f64().unwrap();
        let within = (original - reproduced).abs() <= 0.01 * original.abs();
        assert_eq!(value["withinTolerance"], within, "{outcome}");
        all_within &= within;
    }
    let expected = if all_within {
        "within-tolerance"
    } else {
        "differs"
    };
    assert_eq!(outcome["outcome"], expected, "{outcome}");
    assert_eq!(
        output.status.code(),
        Some(i32::from(!all_within)),
        "{outcome}"
    );

    // Nonsense is refused before anything runs.
    let bad = home.run(&["reproduce", &noisy_run, "--tolerance", "lots"]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("tolerance 'lots' is not a number"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn a_run_set_is_one_row_with_the_mean_and_stdev_python_computes() {
    let home = Home::new();
    let noisy = home.sample("Noisy Estimate (sample)");
    let output = home.run(&[
        "run",
        &noisy,
        "--arg",
        "samples=500",
        "--repeat",
        "5",
        "--wait",
        "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let set: Value = serde_json::from_slice(&output.stdout).unwrap();
    let runs = set["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 5);

    let board = leaderboard(&home, &noisy, &[]);
    assert_eq!(board.len(), 1, "{board:?}");
    let row = &board[0];
    assert_eq!(row["runSet"], set["runSet"]);
    assert_eq!(row["runs"].as_array().unwrap().len(), 5);
    // Python reads both documents (its JSON parser rounds correctly) and
    // compares the leaderboard's numbers with its own.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("set.json"), &output.stdout).unwrap();
    let board_json = home.ok(&["leaderboard", &noisy, "--json"]);
    std::fs::write(dir.path().join("board.json"), board_json).unwrap();
    let script = r#"
import json, statistics, sys
runs = json.load(open(sys.argv[1]))["runs"]
row = json.load(open(sys.argv[2]))[0]
for column in ["estimate", "abs_error", "samples"]:
    values = [r["results"][column] for r in runs]
    stats = row["stats"][column]
    want = (float(statistics.mean(values)), statistics.stdev(values), 5)
    got = (stats["mean"], stats["std"], stats["n"])
    if got != want or row["values"][column] != want[0]:
        print(column, "flowdesk", got, "python", want)
print("checked")
"#;
    let checked = Command::new("python3")
        .args(["-c", script])
        .arg(dir.path().join("set.json"))
        .arg(dir.path().join("board.json"))
        .output()
        .unwrap();
    assert!(checked.status.success(), "{}", stderr(&checked));
    assert_eq!(String::from_utf8_lossy(&checked.stdout), "checked\n");
    // The runs keep their own rows among all runs.
    assert_eq!(leaderboard(&home, &noisy, &["--all"]).len(), 5);
    let text = home.ok(&["leaderboard", &noisy]);
    assert!(
        text.contains("(5 runs)") && text.contains("(n=5)"),
        "{text}"
    );

    // Detached: the command returns at once with the set's runs.
    let started = home.json(&["run", &noisy, "--arg", "samples=100", "--repeat", "2"]);
    assert_eq!(started["runs"].as_array().unwrap().len(), 2);
    let bad = home.run(&["run", &noisy, "--repeat", "0", "--wait"]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("a run set has 1 to 1000 runs"),
        "{}",
        stderr(&bad)
    );
}
