//! Benchmark Python environments through the real binary: a benchmark with a
//! `requirements.txt` (not copied by its manifest) gets an environment of its
//! own with `flowdesk env create`, its runs use that interpreter, a
//! requirement that cannot be installed ends as a message naming it while the
//! benchmark keeps running with the configured Python, and `env remove` goes
//! back to it. Offline: the requirement is a wheel built here, and pip is told
//! not to look at an index (`PIP_NO_INDEX`).

mod common;

use common::Home;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A pure-Python wheel `tinypkg-0.1` whose module says `VALUE = 42`.
fn tiny_wheel(dir: &Path) -> PathBuf {
    let path = dir.join("tinypkg-0.1-py3-none-any.whl");
    let file = fs::File::create(&path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default();
    let files = [
        ("tinypkg/__init__.py", "VALUE = 42\n"),
        (
            "tinypkg-0.1.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: tinypkg\nVersion: 0.1\n",
        ),
        (
            "tinypkg-0.1.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: flowdesk-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ),
        (
            "tinypkg-0.1.dist-info/RECORD",
            "tinypkg/__init__.py,,\ntinypkg-0.1.dist-info/METADATA,,\ntinypkg-0.1.dist-info/WHEEL,,\ntinypkg-0.1.dist-info/RECORD,,\n",
        ),
    ];
    for (name, text) in files {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    path
}

/// A benchmark whose one step prints what `import tinypkg` gives (or
/// `missing`) into `out.txt`.
fn benchmark(root: &Path, requirements: &str) {
    fs::write(
        root.join("flowserv.yaml"),
        "name: 'Needs tinypkg'\nspecfile: benchmark.yaml\nfiles:\n  - source: code\n",
    )
    .unwrap();
    fs::write(root.join("requirements.txt"), requirements).unwrap();
    fs::create_dir_all(root.join("code")).unwrap();
    fs::write(
        root.join("code/check.py"),
        "try:\n    import tinypkg\n    print(tinypkg.VALUE)\nexcept ImportError:\n    print('missing')\n",
    )
    .unwrap();
    fs::write(
        root.join("benchmark.yaml"),
        "workflow:\n  files:\n    outputs: [out.txt]\n  steps:\n    - name: main\n      action:\n        environment: 'python:3.9'\n        commands:\n          - ${python} code/check.py > out.txt\n",
    )
    .unwrap();
}

fn out(home: &Home, run: &serde_json::Value) -> String {
    fs::read_to_string(home.run_dir(run).join("out.txt"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

#[test]
fn a_benchmark_gets_its_own_environment_from_its_requirements() {
    let Some(python) = common::python_without_flowserv("environments") else {
        return;
    };
    let files = tempfile::tempdir().unwrap();
    let wheel = tiny_wheel(files.path());
    let template = tempfile::tempdir().unwrap();
    benchmark(
        template.path(),
        &format!("# the one requirement\n{}\n", wheel.display()),
    );
    let home = Home::new()
        .with_env("FLOWDESK_PYTHON", &python)
        .with_env("PIP_NO_INDEX", "1")
        // Always venv and pip here, even where uv is installed.
        .with_env("PATH", "/usr/bin:/bin");
    let id = home.install(template.path());
    // The requirements were kept although the manifest does not copy them.
    let shown = home.json(&["env", "show", &id]);
    assert_eq!(shown["state"], "missing", "{shown}");
    assert_eq!(
        shown["requirements"],
        serde_json::json!([wheel.to_str().unwrap()])
    );
    assert!(!home
        .path()
        .join("workflows")
        .join(&id)
        .join("static/requirements.txt")
        .exists());
    let (_, run) = home.run_wait(&[&id]);
    assert_eq!(out(&home, &run), "missing");

    let created = home.run(&["env", "create", &id]);
    let stderr = common::stderr(&created);
    assert!(created.status.success(), "{stderr}");
    assert!(
        stderr.contains("creating the environment with venv"),
        "{stderr}"
    );
    assert!(stderr.contains("collecting"), "{stderr}");
    let shown = home.json(&["env", "show", &id]);
    assert_eq!(shown["state"], "ready", "{shown}");
    assert_eq!(shown["tool"], "pip");
    let env_python = shown["python"].as_str().unwrap().to_string();
    assert!(
        env_python.ends_with("workflows/needs_tinypkg/env/bin/python"),
        "{env_python}"
    );
    let (_, run) = home.run_wait(&[&id]);
    assert_eq!(run["state"], "SUCCESS", "{run}");
    assert_eq!(out(&home, &run), "42");
    let log = home.ok(&["logs", run["id"].as_str().unwrap()]);
    assert!(log.contains(&format!("`{env_python}`")), "{log}");

    let removed = home.json(&["env", "remove", &id]);
    assert_eq!(removed["state"], "missing");
    assert!(!home.path().join("workflows").join(&id).join("env").exists());
    let (_, run) = home.run_wait(&[&id]);
    assert_eq!(out(&home, &run), "missing");
}

#[test]
fn a_requirement_that_cannot_be_installed_is_named_and_the_benchmark_keeps_working() {
    let Some(python) = common::python_without_flowserv("environments") else {
        return;
    };
    let template = tempfile::tempdir().unwrap();
    benchmark(template.path(), "no-such-package-for-flowdesk==1.0\n");
    let home = Home::new()
        .with_env("FLOWDESK_PYTHON", &python)
        .with_env("PIP_NO_INDEX", "1")
        .with_env("PATH", "/usr/bin:/bin");
    let id = home.install(template.path());
    let created = home.run(&["env", "create", &id]);
    assert!(!created.status.success());
    let stderr = common::stderr(&created);
    assert!(
        stderr.contains("no package matches the requirement `no-such-package-for-flowdesk==1.0`"),
        "{stderr}"
    );
    let shown = home.json(&["env", "show", &id]);
    assert_eq!(shown["state"], "failed", "{shown}");
    assert!(shown["message"]
        .as_str()
        .unwrap()
        .contains("no-such-package-for-flowdesk==1.0"));
    // Nothing half-made is left; runs use the configured Python.
    assert!(!home.path().join("workflows").join(&id).join("env").exists());
    let (_, run) = home.run_wait(&[&id]);
    assert_eq!(run["state"], "SUCCESS", "{run}");
    assert_eq!(out(&home, &run), "missing");

    // A benchmark without requirements has nothing to create.
    let sample = home.sample("Predictor (sample)");
    assert_eq!(home.json(&["env", "show", &sample])["state"], "none");
    let refused = home.run(&["env", "create", &sample]);
    assert!(!refused.status.success());
    assert!(
        common::stderr(&refused).contains("has no requirements.txt"),
        "{}",
        common::stderr(&refused)
    );
}
