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
        self.command_in(self.path(), args)
    }

    /// [`Home::command`] on another home folder (one the test made elsewhere),
    /// with this home's environment.
    pub fn command_in(&self, home: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_flowdesk"));
        command
            .arg("--home")
            .arg(home)
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

// ----- processes -----------------------------------------------------------------

/// Whether a process exists and is not a zombie (a zombie has done all its harm;
/// when its parent is PID 1 in a container it may never be reaped).
pub fn process_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !(state.starts_with('Z') || state.starts_with('X'))
        }
        Err(_) => false,
    }
}

/// Wait until none of `pids` is alive; panics naming the survivors.
pub fn wait_until_gone(what: &str, pids: &[i32], timeout: Duration) {
    let start = Instant::now();
    loop {
        let alive: Vec<i32> = pids.iter().copied().filter(|&p| process_alive(p)).collect();
        if alive.is_empty() {
            return;
        }
        assert!(
            start.elapsed() < timeout,
            "{what}: processes {alive:?} are still alive"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Live processes whose environment tags them with a run folder under
/// `runs_dir` (`FLOWDESK_RUN_DIR`), with the tag.
pub fn tagged_processes(runs_dir: &Path) -> Vec<(i32, PathBuf)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if !process_alive(pid) {
            continue;
        }
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        for variable in environ.split(|&b| b == 0) {
            if let Some(value) = variable.strip_prefix(b"FLOWDESK_RUN_DIR=") {
                let tag = PathBuf::from(String::from_utf8_lossy(value).into_owned());
                if tag.starts_with(runs_dir) {
                    found.push((pid, tag));
                }
            }
        }
    }
    found
}

/// The pid of the detached `flowdesk __execute <run>` process, if it runs.
pub fn execute_process(run_id: &str) -> Option<i32> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
            let is_it = args
                .windows(2)
                .any(|w| w[0] == b"__execute" && w[1] == run_id.as_bytes());
            (is_it && process_alive(pid)).then_some(pid)
        })
}

/// The processes holding a run's lock (its `.flowdesk` folder open): the
/// process executing it, and any child it is forking at that moment.
pub fn lock_holders(run_dir: &Path) -> Vec<i32> {
    let meta = run_dir.join(".flowdesk");
    let mut holders = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return holders;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        if fds
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target == meta))
            && process_alive(pid)
        {
            holders.push(pid);
        }
    }
    holders
}

/// The children of a process (all its threads').
pub fn children_of(pid: i32) -> Vec<i32> {
    let mut children = Vec::new();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for task in tasks.flatten() {
            if let Ok(text) = std::fs::read_to_string(task.path().join("children")) {
                children.extend(
                    text.split_whitespace()
                        .filter_map(|p| p.parse::<i32>().ok()),
                );
            }
        }
    }
    children
}

/// Send SIGKILL to a process this test started (or found by its pid).
pub fn kill9(pid: i32) {
    // SAFETY: kill(2) with plain integers.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
}

// ----- templates written by tests --------------------------------------------------

/// Write a file, creating its folder.
pub fn write_file(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

/// A benchmark whose one step runs `code/tree.py`: it starts a child, and a
/// grandchild in a session of its own (which a group kill misses), writes
/// `pids.txt` (its own pid, the child's, the escaped one's), waits `seconds`,
/// and writes `results/out.json`. A first step writes `results/partial.txt`, so
/// a run killed between steps has half its files.
pub fn process_tree_template(dir: &Path) -> PathBuf {
    let folder = dir.join("tree");
    write_file(
        &folder.join("flowserv.yaml"),
        "name: 'Process tree'\nspecfile: benchmark.yaml\n",
    );
    write_file(
        &folder.join("benchmark.yaml"),
        r#"workflow:
  files:
    inputs: ['code/tree.py']
    outputs: ['results/out.json']
  parameters:
    seconds: '$[[seconds]]'
  steps:
    - name: 'prepare'
      action:
        environment: 'python:3.9'
        commands:
          - mkdir -p results
          - echo started > results/partial.txt
    - name: 'tree'
      action:
        environment: 'python:3.9'
        commands:
          - ${python} code/tree.py ${seconds} results/out.json
parameters:
  - name: seconds
    dtype: float
    defaultValue: 60
results:
  file: results/out.json
  schema:
    - name: value
      label: Value
      dtype: int
"#,
    );
    write_file(
        &folder.join("code/tree.py"),
        r#"import json, os, subprocess, sys, time
seconds, out = float(sys.argv[1]), sys.argv[2]
child = subprocess.Popen(['sleep', str(seconds + 30)])
escaped = subprocess.Popen(['sleep', str(seconds + 30)], start_new_session=True)
with open('pids.tmp', 'w') as f:
    f.write(f"{os.getpid()} {child.pid} {escaped.pid}\n")
os.replace('pids.tmp', 'pids.txt')
print('started', flush=True)
time.sleep(seconds)
child.kill()
escaped.kill()
with open(out, 'w') as f:
    json.dump({'value': 1}, f)
print('done', flush=True)
"#,
    );
    folder
}

/// The three pids `code/tree.py` wrote in `run_dir`, once it has.
pub fn tree_pids(run_dir: &Path, timeout: Duration) -> Vec<i32> {
    let file = run_dir.join("pids.txt");
    wait_for("the step's pids", timeout, || file.is_file());
    std::fs::read_to_string(&file)
        .unwrap()
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect()
}
