//! Benchmark Python environments. flowServ benchmarks state their Python needs
//! in a `requirements.txt` at the root of the folder that is installed (whether
//! or not the manifest copies it); installing keeps a copy next to the
//! benchmark's static files. On request flowdesk creates a virtual environment
//! for the benchmark in its folder of the home (`workflows/<id>/env`) — with
//! `uv` when it is on `PATH` (much faster), else with `python -m venv` and pip
//! — and from then on that environment's interpreter is `${python}` (and runs
//! the code steps) for the benchmark's runs and post-processing.
//!
//! Creation runs on a background thread and reports progress as
//! [`ServiceEvent::Environment`]; pip's output goes to `workflows/<id>/env.log`.
//! A failure (no network, a package that does not build) ends with a message
//! naming the requirement, the half-made environment is removed, and the
//! benchmark keeps running with the configured interpreter (and flowdesk's
//! flowServ helper modules).

use super::files::io_error;
use super::{Service, ServiceEvent, Shared};
use crate::engine::process::{self, Exit, Limits, OutputLine};
use crate::engine::CancelToken;
use crate::error::ServiceError;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The requirements file flowServ benchmarks bring.
pub const REQUIREMENTS_FILE: &str = "requirements.txt";
const ENV_DIR: &str = "env";
const STATE_FILE: &str = "env.json";
const LOG_NAME: &str = "env.log";

/// Where a benchmark's environment stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum EnvironmentState {
    /// The benchmark has no `requirements.txt`.
    None,
    /// It has requirements and no environment (or one was removed).
    Missing,
    /// Being created, by this process or another one.
    Creating { pid: u32, started: String },
    /// Ready: runs use `python`. `tool` is `uv` or `pip`.
    Ready {
        python: String,
        tool: String,
        created: String,
    },
    /// The last attempt failed, with the reason.
    Failed { message: String },
}

/// A benchmark's environment: its requirements, state, log and folder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvironmentInfo {
    pub workflow_id: String,
    /// The requirement lines (comments and blank lines left out).
    pub requirements: Vec<String>,
    #[serde(flatten)]
    pub state: EnvironmentState,
    pub folder: PathBuf,
    pub log: PathBuf,
}

/// How far a creation is.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvironmentProgress {
    pub workflow_id: String,
    /// Requirements collected so far, of `total`.
    pub done: usize,
    pub total: usize,
    /// What happens now, in words (`collecting numpy`).
    pub message: String,
    /// Set once it ended: `Ok` with the interpreter, or the failure.
    pub finished: Option<Result<String, String>>,
}

impl EnvironmentProgress {
    /// The share done, for a progress bar: the environment itself is the
    /// first tenth, collecting the requirements the next seven, installing
    /// the rest.
    pub fn fraction(&self) -> f32 {
        if self.finished.is_some() {
            return 1.0;
        }
        let collected = if self.total == 0 {
            0.0
        } else {
            self.done.min(self.total) as f32 / self.total as f32
        };
        if self.message.starts_with("installing") {
            0.9
        } else if self.message.starts_with("creating") {
            0.05
        } else {
            0.1 + 0.7 * collected
        }
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The requirement lines of a requirements file. Global options
/// (`--no-index`, `--index-url …`) are pip's business, not requirements; lines
/// that bring requirements (`-r other.txt`, `-e .`) stay.
fn requirement_lines(text: &str) -> Vec<String> {
    let global_option = |line: &str| {
        line.starts_with("--")
            && !["--requirement", "--editable", "--constraint"]
                .iter()
                .any(|o| line.starts_with(o))
    };
    text.lines()
        .map(|line| line.split(" #").next().unwrap_or("").trim())
        .filter(|line| !line.is_empty() && !line.starts_with('#') && !global_option(line))
        .map(String::from)
        .collect()
}

impl Shared {
    fn workflow_dir(&self, workflow_id: &str) -> PathBuf {
        self.config.home.join("workflows").join(workflow_id)
    }

    /// The benchmark's requirements file: the copy made at install, else one
    /// the manifest copied into the static files.
    fn requirements_path(&self, workflow_id: &str) -> Option<PathBuf> {
        let dir = self.workflow_dir(workflow_id);
        [
            dir.join(REQUIREMENTS_FILE),
            dir.join(super::STATIC_DIR).join(REQUIREMENTS_FILE),
        ]
        .into_iter()
        .find(|p| p.is_file())
    }

    fn read_state(&self, workflow_id: &str) -> Option<EnvironmentState> {
        let text = std::fs::read_to_string(self.workflow_dir(workflow_id).join(STATE_FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }

    fn write_state(&self, workflow_id: &str, state: &EnvironmentState) -> Result<(), ServiceError> {
        let path = self.workflow_dir(workflow_id).join(STATE_FILE);
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(state).unwrap_or_default();
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| io_error(&path, e))
    }

    /// The interpreter of the benchmark's environment, when it is ready.
    pub(crate) fn benchmark_python(&self, workflow_id: &str) -> Option<String> {
        match self.read_state(workflow_id)? {
            EnvironmentState::Ready { python, .. } if Path::new(&python).is_file() => {
                Some(crate::engine::worker::shell_quote(&python))
            }
            _ => None,
        }
    }

    /// The state, with a creation whose process is gone turned into a failure.
    fn state(&self, workflow_id: &str) -> EnvironmentState {
        if self.requirements_path(workflow_id).is_none() {
            return EnvironmentState::None;
        }
        match self.read_state(workflow_id) {
            None => EnvironmentState::Missing,
            Some(EnvironmentState::Creating { pid, .. }) if !process_alive(pid) => {
                EnvironmentState::Failed {
                    message:
                        "the environment was being created when flowdesk stopped; create it again"
                            .into(),
                }
            }
            Some(EnvironmentState::Ready { python, .. }) if !Path::new(&python).is_file() => {
                EnvironmentState::Missing
            }
            Some(state) => state,
        }
    }
}

fn process_alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks whether the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

impl Service {
    /// Keep the benchmark's `requirements.txt` (from the root of the folder it
    /// was installed from) next to its static files.
    pub(crate) fn keep_requirements(
        &self,
        workflow_dir: &Path,
        basedir: &Path,
    ) -> Result<(), ServiceError> {
        let source = basedir.join(REQUIREMENTS_FILE);
        if !source.is_file() {
            return Ok(());
        }
        let target = workflow_dir.join(REQUIREMENTS_FILE);
        std::fs::copy(&source, &target).map_err(|e| io_error(&source, e))?;
        Ok(())
    }

    /// The environment of a benchmark (by id or name).
    pub fn environment(&self, key: &str) -> Result<EnvironmentInfo, ServiceError> {
        let workflow = self.workflow(key)?;
        let shared = &self.shared;
        let requirements = match shared.requirements_path(&workflow.id) {
            Some(path) => {
                requirement_lines(&std::fs::read_to_string(&path).map_err(|e| io_error(&path, e))?)
            }
            None => Vec::new(),
        };
        let dir = shared.workflow_dir(&workflow.id);
        Ok(EnvironmentInfo {
            state: shared.state(&workflow.id),
            requirements,
            folder: dir.join(ENV_DIR),
            log: dir.join(LOG_NAME),
            workflow_id: workflow.id,
        })
    }

    /// Start creating the benchmark's environment on a background thread;
    /// progress and the end come as [`ServiceEvent::Environment`]. An existing
    /// environment is replaced.
    pub fn create_environment(&self, key: &str) -> Result<EnvironmentInfo, ServiceError> {
        let info = self.environment(key)?;
        let workflow = self.workflow(key)?;
        match &info.state {
            EnvironmentState::None => {
                return Err(ServiceError::Invalid(format!(
                    "'{}' has no {REQUIREMENTS_FILE}, so it needs no environment of its own",
                    workflow.name
                )))
            }
            EnvironmentState::Creating { .. } => {
                return Err(ServiceError::Invalid(format!(
                    "the environment of '{}' is being created already",
                    workflow.name
                )))
            }
            _ => {}
        }
        let requirements = self.shared.requirements_path(&workflow.id).ok_or_else(|| {
            ServiceError::Invalid(format!("'{}' has no {REQUIREMENTS_FILE}", workflow.name))
        })?;
        let cancel = CancelToken::new();
        if let Ok(mut creating) = self.shared.environments.lock() {
            if creating.contains_key(&workflow.id) {
                return Err(ServiceError::Invalid(format!(
                    "the environment of '{}' is being created already",
                    workflow.name
                )));
            }
            creating.insert(workflow.id.clone(), cancel.clone());
        }
        let state = EnvironmentState::Creating {
            pid: std::process::id(),
            started: now(),
        };
        self.shared.write_state(&workflow.id, &state)?;
        let job = Creation {
            shared: Arc::clone(&self.shared),
            workflow_id: workflow.id.clone(),
            name: workflow.name.clone(),
            requirements,
            total: info.requirements.len(),
            folder: info.folder.clone(),
            log: info.log.clone(),
            cancel,
        };
        std::thread::Builder::new()
            .name(format!("flowdesk-env-{}", workflow.id))
            .spawn(move || job.run())
            .map_err(|e| {
                ServiceError::Invalid(format!("cannot start creating the environment: {e}"))
            })?;
        Ok(EnvironmentInfo { state, ..info })
    }

    /// Remove the benchmark's environment (stopping a creation in progress);
    /// its runs use the configured interpreter again.
    pub fn remove_environment(&self, key: &str) -> Result<EnvironmentInfo, ServiceError> {
        let workflow = self.workflow(key)?;
        if let Ok(creating) = self.shared.environments.lock() {
            if let Some(cancel) = creating.get(&workflow.id) {
                cancel.cancel();
            }
        }
        let dir = self.shared.workflow_dir(&workflow.id);
        let folder = dir.join(ENV_DIR);
        match std::fs::remove_dir_all(&folder) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_error(&folder, e)),
            _ => {}
        }
        match std::fs::remove_file(dir.join(STATE_FILE)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(io_error(&dir.join(STATE_FILE), e))
            }
            _ => {}
        }
        self.environment(&workflow.id)
    }
}

/// One creation, on its own thread.
struct Creation {
    shared: Arc<Shared>,
    workflow_id: String,
    name: String,
    requirements: PathBuf,
    total: usize,
    folder: PathBuf,
    log: PathBuf,
    cancel: CancelToken,
}

impl Creation {
    fn run(self) {
        let result = self.create();
        let finished = match &result {
            Ok(python) => {
                let state = EnvironmentState::Ready {
                    python: python.clone(),
                    tool: if uv().is_some() { "uv" } else { "pip" }.to_string(),
                    created: now(),
                };
                self.shared
                    .write_state(&self.workflow_id, &state)
                    .map(|_| python.clone())
                    .map_err(|e| e.to_string())
            }
            Err(message) => {
                // Nothing half-made stays behind.
                let _ = std::fs::remove_dir_all(&self.folder);
                let state = EnvironmentState::Failed {
                    message: message.clone(),
                };
                let _ = self.shared.write_state(&self.workflow_id, &state);
                Err(message.clone())
            }
        };
        if let Ok(mut creating) = self.shared.environments.lock() {
            creating.remove(&self.workflow_id);
        }
        self.shared
            .emit(ServiceEvent::Environment(EnvironmentProgress {
                workflow_id: self.workflow_id.clone(),
                done: self.total,
                total: self.total,
                message: match &finished {
                    Ok(_) => "ready".to_string(),
                    Err(_) => "failed".to_string(),
                },
                finished: Some(finished),
            }));
    }

    fn progress(&self, done: usize, message: String) {
        self.shared
            .emit(ServiceEvent::Environment(EnvironmentProgress {
                workflow_id: self.workflow_id.clone(),
                done,
                total: self.total,
                message,
                finished: None,
            }));
    }

    /// Create the environment and install the requirements; the interpreter,
    /// or why it failed.
    fn create(&self) -> Result<String, String> {
        let mut log = std::fs::File::create(&self.log)
            .map_err(|e| format!("cannot write `{}`: {e}", self.log.display()))?;
        let _ = std::fs::remove_dir_all(&self.folder);
        let python = self.folder.join("bin").join("python");
        let configured = self.shared.python();
        let folder = self.folder.to_string_lossy().into_owned();
        let requirements = self.requirements.to_string_lossy().into_owned();
        let python_text = python.to_string_lossy().into_owned();
        let cwd = self
            .requirements
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.shared.config.home.clone());
        let (create, install): (Vec<String>, Vec<String>) = match uv() {
            Some(uv) => {
                let uv = uv.to_string_lossy().into_owned();
                (
                    vec![
                        uv.clone(),
                        "venv".into(),
                        "--python".into(),
                        configured.clone(),
                        folder.clone(),
                    ],
                    vec![
                        uv,
                        "pip".into(),
                        "install".into(),
                        "--python".into(),
                        python_text.clone(),
                        "-r".into(),
                        requirements,
                    ],
                )
            }
            None => (
                // `configured` may be a shell snippet with options: through sh.
                vec![
                    "sh".into(),
                    "-c".into(),
                    format!(
                        "{configured} -m venv {}",
                        crate::engine::worker::shell_quote(&folder)
                    ),
                ],
                vec![
                    python_text.clone(),
                    "-m".into(),
                    "pip".into(),
                    "install".into(),
                    "--disable-pip-version-check".into(),
                    "--no-input".into(),
                    "--progress-bar".into(),
                    "off".into(),
                    "-r".into(),
                    requirements,
                ],
            ),
        };
        self.progress(
            0,
            format!(
                "creating the environment with {}",
                if create[0] == "sh" { "venv" } else { "uv" }
            ),
        );
        let _ = writeln!(log, "$ {}", create.join(" "));
        let mut lines: Vec<String> = Vec::new();
        self.command(&create, &cwd, &mut log, &mut lines, &mut |_, _| {})
            .map_err(|reason| {
                format!(
                    "creating the environment of '{}' with `{configured}` failed: {reason} (log: `{}`)",
                    self.name,
                    self.log.display()
                )
            })?;
        let _ = writeln!(log, "$ {}", install.join(" "));
        let mut done = 0;
        let mut lines: Vec<String> = Vec::new();
        self.command(
            &install,
            &cwd,
            &mut log,
            &mut lines,
            &mut |creation, line| {
                if let Some(what) = collecting(line) {
                    done += 1;
                    creation.progress(done, format!("collecting {what}"));
                } else if let Some(what) =
                    line.trim().strip_prefix("Installing collected packages:")
                {
                    creation.progress(done, format!("installing {}", what.trim()));
                }
            },
        )
        .map_err(|reason| {
            format!(
                "installing the requirements of '{}' failed: {} (log: `{}`)",
                self.name,
                failure(&lines).unwrap_or(reason),
                self.log.display()
            )
        })?;
        if !python.is_file() {
            return Err(format!(
                "the environment has no interpreter at `{}`",
                python.display()
            ));
        }
        Ok(python_text)
    }

    /// Run one program, its output to the log (and `lines`); the reason when
    /// it does not end well.
    fn command(
        &self,
        argv: &[String],
        cwd: &Path,
        log: &mut std::fs::File,
        lines: &mut Vec<String>,
        on_line: &mut (dyn FnMut(&Creation, &str) + Send),
    ) -> Result<(), String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start: {e}"))?;
        let exit = {
            let mut sink = |line: OutputLine| {
                let _ = writeln!(log, "{}", line.text);
                on_line(self, &line.text);
                lines.push(line.text);
            };
            runtime.block_on(process::run_program(
                &argv[0],
                &argv[1..],
                cwd,
                [("PIP_NO_WARN_SCRIPT_LOCATION", "0")],
                Limits {
                    cancel: &self.cancel,
                    deadline: None,
                    tag: None,
                },
                &mut sink,
            ))
        };
        match exit {
            Ok(Exit::Exited(status)) if status.success() => Ok(()),
            Ok(Exit::Exited(status)) => Err(format!("`{}` {status}", argv[0])),
            Ok(Exit::Canceled) => Err("stopped (the environment was removed)".to_string()),
            Ok(Exit::TimedOut) => Err("timed out".to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(format!("`{}` is not installed", argv[0]))
            }
            Err(e) => Err(format!("`{}` cannot start: {e}", argv[0])),
        }
    }
}

/// `uv` on `PATH`, if any.
fn uv() -> Option<PathBuf> {
    crate::config::find_on_path("uv")
}

/// The requirement a pip or uv line says it collects.
fn collecting(line: &str) -> Option<&str> {
    let line = line.trim();
    for prefix in [
        "Collecting ",
        "Processing ",
        "Requirement already satisfied: ",
    ] {
        if let Some(rest) = line.strip_prefix(prefix) {
            return rest.split_whitespace().next();
        }
    }
    None
}

/// Why pip (or uv) failed, naming the requirement, from its output.
fn failure(lines: &[String]) -> Option<String> {
    for line in lines.iter().rev() {
        let text = line.trim();
        for marker in [
            "No matching distribution found for ",
            "Could not find a version that satisfies the requirement ",
        ] {
            if let Some(rest) = text.split(marker).nth(1) {
                let requirement = rest.split(" (").next().unwrap_or(rest).trim();
                return Some(format!(
                    "no package matches the requirement `{requirement}` (is the network reachable, and is the name right for this Python?)"
                ));
            }
        }
        for marker in ["Failed building wheel for ", "Failed to build "] {
            if let Some(rest) = text.split(marker).nth(1) {
                return Some(format!("the requirement `{}` does not build", rest.trim()));
            }
        }
        if let Some(rest) = text.strip_prefix("ERROR: Invalid requirement: ") {
            return Some(format!("invalid requirement {rest}"));
        }
        if text.contains("was not found in the package registry") {
            return Some(text.trim_start_matches(['╰', '─', '▶', ' ']).to_string());
        }
    }
    lines
        .iter()
        .rev()
        .find(|l| l.trim_start().starts_with("ERROR:") || l.trim_start().starts_with("error:"))
        .map(|l| l.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_lines_leave_out_comments() {
        assert_eq!(
            requirement_lines(
                "# pinned\n--no-index\nnumpy>=1.0  # math\n\n-r other.txt\nflowserv-core>=0.8.0\n"
            ),
            vec!["numpy>=1.0", "-r other.txt", "flowserv-core>=0.8.0"]
        );
    }

    #[test]
    fn failures_name_the_requirement() {
        let pip = [
            "Processing ./tiny.whl".to_string(),
            "ERROR: Could not find a version that satisfies the requirement nopkg==1.0 (from versions: none)".to_string(),
            "ERROR: No matching distribution found for nopkg==1.0".to_string(),
        ];
        assert_eq!(
            failure(&pip).unwrap(),
            "no package matches the requirement `nopkg==1.0` (is the network reachable, and is the name right for this Python?)"
        );
        let build = ["  ERROR: Failed building wheel for badpkg".to_string(), "ERROR: Failed to build installable wheels for some pyproject.toml based projects (badpkg)".to_string()];
        assert!(failure(&build).unwrap().contains("badpkg"));
        assert_eq!(collecting("Collecting numpy>=1.0"), Some("numpy>=1.0"));
        let progress = EnvironmentProgress {
            workflow_id: "w".into(),
            done: 1,
            total: 2,
            message: "collecting x".into(),
            finished: None,
        };
        assert!((progress.fraction() - 0.45).abs() < 1e-6);
    }
}
