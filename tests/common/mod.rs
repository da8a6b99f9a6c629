//! Helpers shared by the end-to-end tests of the real binary: a temporary home
//! folder with methods to run `flowdesk` on it, and waiting without timing
//! assertions.

#![allow(dead_code)]

use serde_json::Value;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-templates")
}

/// A home folder for one test, with helpers to call the binary on it.
pub struct Home {
    dir: tempfile::TempDir,
    env: Vec<(String, OsString)>,
}

impl Home {
    pub fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
            env: Vec::new(),
        }
    }

    /// Set an environment variable for every call of the binary.
    pub fn with_env(mut self, key: &str, value: impl Into<OsString>) -> Home {
        self.env.push((key.to_string(), value.into()));
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_flowdesk"));
        command
            .arg("--home")
            .arg(self.path())
            .args(args)
            .env("FLOWDESK_PYTHON", "python3")
            .env("FLOWDESK_SAMPLES", samples())
            .env_remove("FLOWSERV_API_DIR")
            .env_remove("FLOWSERV_DATABASE")
            .env_remove("FLOWSERV_SERIAL_WORKERS")
            .env_remove("FLOWDESK_STEP_TIMEOUT")
            .env_remove("FLOWDESK_RUN_TIMEOUT")
            .env_remove("FLOWDESK_DOCKER");
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "flowdesk {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut all: Vec<&str> = args.to_vec();
        all.push("--json");
        let text = self.ok(&all);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    /// The id of a bundled sample, installed on first start.
    pub fn sample(&self, name: &str) -> String {
        let workflows = self.json(&["workflows"]);
        workflows
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == name)
            .unwrap_or_else(|| panic!("sample '{name}' not installed: {workflows}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub fn install(&self, path: &Path) -> String {
        let doc = self.json(&["install", path.to_str().unwrap()]);
        doc["id"].as_str().unwrap().to_string()
    }

    /// `run … --wait --json`: the exit status and the run document.
    pub fn run_wait(&self, args: &[&str]) -> (Output, Value) {
        let mut all = vec!["run"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--wait", "--json"]);
        let output = self.run(&all);
        let doc: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
        (output, doc)
    }

    pub fn run_dir(&self, run: &Value) -> PathBuf {
        self.path().join("runs").join(run["id"].as_str().unwrap())
    }

    pub fn settings(&self, settings: Value) {
        std::fs::write(self.path().join("settings.json"), settings.to_string()).unwrap();
    }
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn wait_for(description: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < timeout,
            "timed out waiting for {description}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn pid_alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks for existence.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Start the `features/slow` sample (already installed as `id`) in the
/// background and wait until its step has written its own and its child's pid.
/// Returns the run id and the two pids.
pub fn start_slow_run(home: &Home, id: &str, what: &str) -> (String, Vec<i32>) {
    let started = home.json(&["run", id, "--arg", "seconds=120"]);
    let run_id = started["id"].as_str().unwrap().to_string();
    let pids = home.path().join("runs").join(&run_id).join("slow.pids");
    wait_for(what, Duration::from_secs(30), || {
        std::fs::read_to_string(&pids)
            .map(|t| t.lines().count() == 2)
            .unwrap_or(false)
    });
    let pids = std::fs::read_to_string(&pids)
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    (run_id, pids)
}

/// A Python that can import flowserv-core 0.9.4, the oracle of the
/// compatibility tests: `FLOWDESK_ORACLE_PYTHON`, else `target/pyenv/bin/python`
/// (made by `.ci/run`). `None` means skip — or fail under CI, where it must be
/// there.
pub fn flowserv_python(test: &str) -> Option<PathBuf> {
    let candidate = std::env::var_os("FLOWDESK_ORACLE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyenv/bin/python"));
    let works = Command::new(&candidate)
        .args(["-c", "import flowserv.client, flowserv.version as v; assert v.__version__ == '0.9.4', v.__version__"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if works {
        return Some(candidate);
    }
    let why = format!(
        "`{}` cannot import flowserv-core 0.9.4: .ci/run installs it with \
         `target/pyenv/bin/pip install flowserv-core==0.9.4 \"pyyaml-include<2\" \"SQLAlchemy<2\"`",
        candidate.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("{test}: {why}");
    }
    eprintln!("note: skipping {test}: {why}");
    None
}

/// Whether `python` can import a module called flowserv.
pub fn imports_flowserv(python: &str) -> bool {
    Command::new(python)
        .args(["-c", "import flowserv"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// A `python3` on `PATH` that cannot import flowserv (under `.ci/run`, the
/// first `python3` on `PATH` is the test virtualenv's, which has flowServ).
pub fn python_without_flowserv(test: &str) -> Option<String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/local/bin")])
        .map(|dir| dir.join("python3"))
        .filter(|candidate| candidate.is_file())
        .map(|candidate| candidate.to_string_lossy().into_owned())
        .find(|candidate| !imports_flowserv(candidate));
    if found.is_none() {
        let why = "every python3 on PATH can import flowserv";
        if std::env::var_os("CI").is_some() {
            panic!("{test}: {why}");
        }
        eprintln!("note: skipping {test}: {why}");
    }
    found
}
