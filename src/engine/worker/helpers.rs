//! flowServ's helper modules for benchmark code. In flowServ, `${python}` is
//! flowServ's own interpreter, so post-processing scripts and code steps can
//! `import flowserv.service.postproc.client` or `flowserv.util`. flowdesk runs
//! them with the configured interpreter (or the benchmark's environment): when
//! that one can import flowServ, nothing changes; when it cannot, flowdesk's
//! own pure-Python implementation of those modules (`assets/python`, installed
//! with the package) goes on every step's `PYTHONPATH`. The run log says which.

use super::super::process::{self, Exit, Limits};
use super::super::CancelToken;
use crate::workflow::{Action, Step};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// How long the check whether the interpreter has flowServ may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);

/// Which interpreters can import flowServ, checked once per process.
static IMPORTABLE: Mutex<Option<HashMap<String, bool>>> = Mutex::new(None);

/// What a run uses for `import flowserv`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Helpers {
    /// The folder to put on `PYTHONPATH`, when flowdesk's modules are used.
    pub path: Option<PathBuf>,
    /// The line for the run's log.
    pub note: Option<String>,
}

/// Decide for a run. Nothing is checked for a workflow that never starts
/// Python.
pub(crate) async fn resolve(
    steps: &[Step],
    python: &str,
    cwd: &Path,
    cancel: &CancelToken,
) -> Helpers {
    if !steps.iter().any(uses_python) {
        return Helpers::default();
    }
    let importable = match cached(python) {
        Some(known) => known,
        None => {
            let known = probe(python, cwd, cancel).await;
            if let Ok(mut cache) = IMPORTABLE.lock() {
                cache
                    .get_or_insert_with(HashMap::new)
                    .insert(python.to_string(), known);
            }
            known
        }
    };
    if importable {
        return Helpers {
            path: None,
            note: Some(format!(
                "`{python}` has flowServ installed: steps that import flowserv use it"
            )),
        };
    }
    match crate::config::helpers_dir() {
        Some(dir) => Helpers {
            note: Some(format!(
                "`{python}` has no flowServ package, so steps that import flowserv use flowdesk's own helper modules (flowserv.service.postproc.client, flowserv.util) from `{}`",
                dir.display()
            )),
            path: Some(dir),
        },
        None => Helpers {
            path: None,
            note: Some(format!(
                "warning: `{python}` cannot import flowserv and flowdesk's helper modules were not found; steps that import flowserv will fail"
            )),
        },
    }
}

/// `PYTHONPATH` for a step: `first` (if any), the helpers (if used), then
/// what this process inherited.
pub(crate) fn python_path(first: Option<&Path>, helpers: &Helpers) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    if let Some(first) = first {
        parts.push(first.to_string_lossy().into_owned());
    }
    if let Some(path) = &helpers.path {
        parts.push(path.to_string_lossy().into_owned());
    }
    if parts.is_empty() {
        return None;
    }
    if let Some(inherited) = std::env::var_os("PYTHONPATH").filter(|p| !p.is_empty()) {
        parts.push(inherited.to_string_lossy().into_owned());
    }
    Some(parts.join(":"))
}

fn cached(python: &str) -> Option<bool> {
    IMPORTABLE
        .lock()
        .ok()
        .and_then(|cache| cache.as_ref().and_then(|c| c.get(python).copied()))
}

/// Code and notebook steps run Python; a command probably does when it says so.
fn uses_python(step: &Step) -> bool {
    match &step.action {
        Action::Code { .. } | Action::Notebook { .. } => true,
        Action::Container { commands, .. } => commands
            .iter()
            .any(|c| c.to_ascii_lowercase().contains("python")),
        Action::Actor { .. } => false,
    }
}

/// Whether `python -c 'import flowserv'` works, without flowdesk's modules on
/// the path (an inherited `PYTHONPATH` counts: that is the user's setup).
async fn probe(python: &str, cwd: &Path, cancel: &CancelToken) -> bool {
    // `${python}` is a shell snippet (it may carry options), so probe through sh.
    let probe = format!("{python} -c 'import flowserv' 2>/dev/null");
    let mut discard = |_line: process::OutputLine| {};
    let exit = process::run_program(
        "sh",
        &["-c", probe.as_str()],
        cwd,
        [],
        Limits {
            cancel,
            deadline: Some(tokio::time::Instant::now() + PROBE_TIMEOUT),
            tag: Some(cwd),
        },
        &mut discard,
    )
    .await;
    matches!(exit, Ok(Exit::Exited(status)) if status.success())
}
