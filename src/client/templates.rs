//! Templates that are not installed: what a coordinator checks while writing one
//! (`flowdesk template check|expand`, the Template check screen). No backend is
//! needed, so these are functions rather than [`Client`](super::Client)
//! methods; the loading itself, archives included, is the service's, and the
//! expansion is the same [`crate::service::preview`] a run uses.

use super::error::ClientError;
use super::view::{
    PackedTemplate, PostprocInputs, Preview, PreviewAction, PreviewStep, ResultCheck,
    TemplateReport,
};
use crate::config::{Config, Limits};
use crate::template::{ExpandOptions, LoadOptions, TemplateFolder};
use crate::workflow::{Action, SerialWorkflow};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// Which files of the folder to read, when not the manifest's, and the limits
/// an install would check the template's files against.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckOptions {
    pub specfile: Option<PathBuf>,
    pub manifest: Option<PathBuf>,
    /// The install limits of the home folder the template is meant for;
    /// `None` for those of the environment (`FLOWDESK_*_LIMIT*`).
    pub limits: Option<Limits>,
}

fn limits(options: &CheckOptions) -> Result<Limits, ClientError> {
    match options.limits {
        Some(limits) => Ok(limits),
        None => Limits::from_env().map_err(|e| ClientError::Invalid(e.to_string())),
    }
}

fn load_options(options: &CheckOptions) -> LoadOptions {
    LoadOptions {
        manifest: options.manifest.clone(),
        specfile: options.specfile.clone(),
        ..LoadOptions::default()
    }
}

fn load(path: &Path, options: &CheckOptions) -> Result<TemplateFolder, ClientError> {
    Ok(crate::service::load_template_with(
        path,
        &load_options(options),
        &limits(options)?,
    )?)
}

/// Check the result file `result` against the result schema of the template
/// in `path`: every column with the value at its path, its cast and what is
/// wrong. A template without a result schema is an error.
pub fn check_result(
    path: &Path,
    options: &CheckOptions,
    result: &Path,
) -> Result<(TemplateReport, ResultCheck), ClientError> {
    let folder = load(path, options)?;
    let Some(schema) = &folder.template.results else {
        return Err(ClientError::Invalid(format!(
            "{}: the template declares no result schema ('results'), so there is nothing to check `{}` against",
            folder.spec_name,
            result.display()
        )));
    };
    let document = crate::service::read_result_document(result, limits(options)?.result_bytes)?;
    let check = schema.check(&document);
    let lints = crate::template::lint_results(&folder, &check);
    Ok((
        report(&folder),
        ResultCheck {
            file: result.to_path_buf(),
            check,
            lints,
        },
    ))
}

/// Pack the template folder `path` into the `.tar.gz` participants install,
/// refusing a template with errors.
pub fn pack(
    path: &Path,
    options: &CheckOptions,
    out: &Path,
) -> Result<PackedTemplate, ClientError> {
    let packed =
        crate::service::pack_template(path, &load_options(options), &limits(options)?, out)?;
    Ok(PackedTemplate {
        file: packed.file,
        size: packed.size,
        files: packed.files,
    })
}

/// Load and validate the template in a folder or archive.
pub fn check(path: &Path, options: &CheckOptions) -> Result<TemplateReport, ClientError> {
    load(path, options).map(|folder| report(&folder))
}

/// The template's name and what a run of the template in `path` would execute
/// with `arguments`, with `${python}` as `config` sets it (the default
/// interpreter without one).
pub fn expand(
    path: &Path,
    options: &CheckOptions,
    arguments: &Map<String, Value>,
    config: Option<&Config>,
) -> Result<(String, Preview), ClientError> {
    let folder = load(path, options)?;
    let options = match config {
        Some(config) => ExpandOptions {
            python: config.python.clone(),
        },
        None => ExpandOptions::default(),
    };
    let workflow = crate::service::preview(&folder.template, arguments, &options)?;
    Ok((folder.name, preview_view(workflow)))
}

fn report(folder: &TemplateFolder) -> TemplateReport {
    let template = &folder.template;
    TemplateReport {
        name: folder.name.clone(),
        description: folder.description.clone(),
        instructions: folder.instructions.clone(),
        spec_file: folder.spec_name.clone(),
        parameters: template.parameters.clone(),
        groups: template.groups.clone(),
        outputs: template.outputs.clone(),
        results: template.results.clone(),
        postproc: template.postproc.as_ref().map(|p| PostprocInputs {
            input_files: p.input_files.clone(),
            runs: p.runs.clone(),
        }),
        warnings: folder.warnings.clone(),
        lints: crate::template::lint(folder),
    }
}

/// The view of an expanded workflow.
pub(crate) fn preview_view(workflow: SerialWorkflow) -> Preview {
    Preview {
        variables: workflow.variables,
        inputs: workflow.inputs,
        outputs: workflow.outputs,
        steps: workflow
            .steps
            .into_iter()
            .map(|step| PreviewStep {
                name: step.name,
                inputs: step.inputs,
                outputs: step.outputs,
                action: match step.action {
                    Action::Container {
                        image,
                        commands,
                        env,
                    } => PreviewAction::Container {
                        image,
                        commands,
                        env,
                    },
                    Action::Notebook {
                        notebook,
                        output,
                        params,
                        requirements,
                        variables,
                    } => PreviewAction::Notebook {
                        notebook,
                        output,
                        params,
                        requirements,
                        variables,
                    },
                    Action::Code {
                        func,
                        arg,
                        variables,
                    } => PreviewAction::Code {
                        func,
                        arg,
                        variables,
                    },
                    Action::Actor { parameter } => PreviewAction::Actor { parameter },
                },
            })
            .collect(),
    }
}

/// How long a folder must be quiet after a change before it is checked again:
/// an editor's save (write, rename, touch) or a `git checkout` is one burst.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// Watches a template folder (or archive) while it lives.
pub struct TemplateWatcher {
    _watcher: notify::RecommendedWatcher,
}

/// Call `on_change` once per burst of changes to the folder's files, or to the
/// archive (watched through its folder, so a tool that replaces the file is
/// noticed too). Nothing is read here; `on_change` decides what to do.
pub fn watch(
    path: &Path,
    on_change: impl Fn() + Send + 'static,
) -> Result<TemplateWatcher, ClientError> {
    use notify::Watcher;
    let (tx, rx) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("flowdesk-template-watch".into())
        .spawn(move || debounce(rx, DEBOUNCE, on_change))
        .map_err(|e| ClientError::Invalid(format!("cannot watch `{}`: {e}", path.display())))?;
    let archive = crate::service::is_template_archive(path).then(|| {
        let name = path.file_name().map(|n| n.to_os_string());
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        (parent, name)
    });
    let only = archive.as_ref().map(|(_, name)| name.clone());
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        let relevant = match &only {
            None => true,
            Some(name) => event
                .paths
                .iter()
                .any(|p| p.file_name().map(|n| n.to_os_string()) == *name),
        };
        if relevant
            && matches!(
                event.kind,
                notify::EventKind::Create(_)
                    | notify::EventKind::Modify(_)
                    | notify::EventKind::Remove(_)
            )
        {
            let _ = tx.send(());
        }
    })
    .map_err(|e| watch_error(path, e))?;
    match &archive {
        Some((parent, _)) => watcher
            .watch(parent, notify::RecursiveMode::NonRecursive)
            .map_err(|e| watch_error(path, e))?,
        None => watcher
            .watch(path, notify::RecursiveMode::Recursive)
            .map_err(|e| watch_error(path, e))?,
    }
    Ok(TemplateWatcher { _watcher: watcher })
}

fn watch_error(path: &Path, error: notify::Error) -> ClientError {
    ClientError::Invalid(format!("cannot watch `{}`: {error}", path.display()))
}

/// One call of `on_change` per burst: after a signal, wait until `quiet` has
/// passed without another. Ends when the sender is gone.
fn debounce(signals: mpsc::Receiver<()>, quiet: Duration, on_change: impl Fn()) {
    while signals.recv().is_ok() {
        loop {
            match signals.recv_timeout(quiet) {
                Ok(()) => continue,
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
        on_change();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn a_burst_of_changes_is_one_check() {
        let (tx, rx) = mpsc::channel();
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let (done_tx, done_rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            debounce(rx, Duration::from_millis(50), move || {
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = done_tx.send(());
            })
        });
        for _ in 0..20 {
            tx.send(()).unwrap();
        }
        done_rx.recv().unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // A later change is checked again.
        tx.send(()).unwrap();
        done_rx.recv().unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        drop(tx);
        thread.join().unwrap();
    }

    #[test]
    fn expand_uses_the_configured_python() {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-templates/helloworld");
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::resolve(Some(dir.path().to_path_buf())).unwrap();
        config.python = "/opt/custom/python".into();
        let (name, preview) = expand(
            &folder,
            &CheckOptions::default(),
            &Map::new(),
            Some(&config),
        )
        .unwrap();
        assert_eq!(name, "Hello World (sample)");
        let PreviewAction::Container { commands, .. } = &preview.steps[0].action else {
            panic!("a container step: {preview:?}");
        };
        assert!(
            commands[0].starts_with("/opt/custom/python code/helloworld.py"),
            "{commands:?}"
        );
    }
}
