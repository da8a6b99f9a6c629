//! The backend thread: owns the `Service` and does everything that touches the
//! disk, the database or processes, so the UI thread never waits. Screens send
//! `Request`s; answers and service events come back as `Response`s, and each one
//! wakes the UI with a repaint request (no polling while idle).

use crate::config::{Config, Settings};
use crate::service::{InstallOptions, InstallSource, RunRequest, Service, ServiceEvent};
use crate::service::{
    Leaderboard, RunFile, RunFilter, RunRecord, SubmissionRecord, WorkflowRecord,
};
use crate::template::{LoadOptions, ResultValue, SortColumn, Template, TemplateFolder};
use crate::workflow::SerialWorkflow;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;

/// Work for the backend.
#[derive(Debug)]
pub enum Request {
    Workflows,
    Workflow {
        id: String,
    },
    Runs {
        workflow_id: String,
    },
    Leaderboard {
        workflow_id: String,
        order: Vec<SortColumn>,
        all: bool,
    },
    RunDetail {
        run_id: String,
    },
    Install {
        source: InstallSource,
        options: InstallOptions,
    },
    Uninstall {
        workflow_id: String,
    },
    CreateSubmission {
        workflow_id: String,
        name: String,
    },
    StartRun(RunRequest),
    Cancel {
        run_id: String,
    },
    DeleteRun {
        run_id: String,
    },
    ExportRun {
        run_id: String,
        path: PathBuf,
    },
    ExportLeaderboard {
        workflow_id: String,
        order: Vec<SortColumn>,
        all: bool,
        path: PathBuf,
    },
    Preview {
        workflow_id: String,
        arguments: Map<String, Value>,
    },
    CheckTemplate {
        folder: PathBuf,
    },
    WatchTemplate {
        folder: Option<PathBuf>,
    },
    SaveSettings(Settings),
}

/// A workflow with what its screens need.
#[derive(Debug, Clone)]
pub struct WorkflowDetail {
    pub record: WorkflowRecord,
    pub template: Template,
    pub submissions: Vec<SubmissionRecord>,
}

/// One row of the runs table.
#[derive(Debug, Clone)]
pub struct RunRow {
    pub run: RunRecord,
    pub submission: String,
    /// Result values in schema order (empty unless SUCCESS).
    pub values: Vec<Option<ResultValue>>,
}

/// A run with its files and results.
#[derive(Debug, Clone)]
pub struct RunDetail {
    pub run: RunRecord,
    pub submission: String,
    pub files: Vec<RunFile>,
    pub results: Vec<(String, Option<ResultValue>)>,
    pub run_dir: PathBuf,
    pub log_path: PathBuf,
}

/// The post-processing outputs shown under a leaderboard.
#[derive(Debug, Clone)]
pub struct PostprocOutputs {
    pub run: RunRecord,
    pub run_dir: PathBuf,
    pub files: Vec<RunFile>,
}

/// Answers and events.
pub enum Response {
    /// The service could not be opened; the app cannot work.
    Fatal(String),
    Ready {
        config: Config,
        /// Why the configured worker configuration cannot be used, if it cannot.
        worker_config_error: Option<String>,
    },
    Workflows(Vec<WorkflowRecord>),
    Workflow(Box<WorkflowDetail>),
    Runs {
        workflow_id: String,
        rows: Vec<RunRow>,
    },
    Leaderboard {
        workflow_id: String,
        board: Option<Arc<Leaderboard>>,
        postproc: Option<PostprocOutputs>,
    },
    RunDetail(Box<RunDetail>),
    Installed(WorkflowRecord),
    Uninstalled(String),
    SubmissionCreated(SubmissionRecord),
    RunStarted(RunRecord),
    Preview {
        workflow_id: String,
        result: Result<SerialWorkflow, String>,
    },
    TemplateChecked {
        folder: PathBuf,
        result: Result<Box<TemplateFolder>, String>,
    },
    /// Something worth a short notification.
    Notice(String),
    /// A failed action: what was attempted and why it failed.
    Error {
        action: String,
        message: String,
    },
    Event(ServiceEvent),
    Activity {
        running: usize,
        queued: usize,
    },
}

/// The UI's handle on the backend thread.
pub struct Backend {
    requests: Sender<Request>,
    responses: Receiver<Response>,
}

impl Backend {
    /// Start the backend thread; `wake` is called after every response.
    pub fn start(config: Config, wake: impl Fn() + Send + Sync + 'static) -> Backend {
        let (request_tx, request_rx) = mpsc::channel::<Request>();
        let (response_tx, response_rx) = mpsc::channel::<Response>();
        let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(wake);
        let watch_tx = request_tx.clone();
        let spawned = std::thread::Builder::new()
            .name("flowdesk-backend".into())
            .spawn(move || serve(config, request_rx, response_tx, wake, watch_tx));
        if let Err(e) = spawned {
            let (tx, rx) = mpsc::channel();
            let _ = tx.send(Response::Fatal(format!(
                "cannot start the background worker: {e}"
            )));
            return Backend {
                requests: mpsc::channel().0,
                responses: rx,
            };
        }
        Backend {
            requests: request_tx,
            responses: response_rx,
        }
    }

    pub fn send(&self, request: Request) {
        let _ = self.requests.send(request);
    }

    pub fn try_recv(&self) -> Option<Response> {
        self.responses.try_recv().ok()
    }
}

struct Context {
    service: Service,
    out: Sender<Response>,
    wake: Arc<dyn Fn() + Send + Sync>,
    watcher: Option<notify::RecommendedWatcher>,
    watch_tx: Sender<Request>,
}

impl Context {
    fn send(&self, response: Response) {
        let _ = self.out.send(response);
        (self.wake)();
    }

    fn fail(&self, action: &str, error: impl std::fmt::Display) {
        self.send(Response::Error {
            action: action.to_string(),
            message: error.to_string(),
        });
    }
}

fn serve(
    config: Config,
    requests: Receiver<Request>,
    out: Sender<Response>,
    wake: Arc<dyn Fn() + Send + Sync>,
    watch_tx: Sender<Request>,
) {
    let service = match Service::open(config) {
        Ok(service) => service,
        Err(e) => {
            let _ = out.send(Response::Fatal(e.to_string()));
            wake();
            return;
        }
    };
    // Service events wake the UI too; they travel through the same channel.
    let events = service.subscribe();
    {
        let out = out.clone();
        let wake = Arc::clone(&wake);
        std::thread::Builder::new()
            .name("flowdesk-events".into())
            .spawn(move || {
                for event in events {
                    if out.send(Response::Event(event)).is_err() {
                        break;
                    }
                    wake();
                }
            })
            .ok();
    }
    let ctx = Context {
        out,
        wake,
        watcher: None,
        watch_tx,
        service,
    };
    ctx.send(Response::Ready {
        config: ctx.service.config().clone(),
        worker_config_error: ctx.service.worker_config_error().map(|e| e.to_string()),
    });
    let mut ctx = ctx;
    for request in requests {
        handle(&mut ctx, request);
    }
}

fn handle(ctx: &mut Context, request: Request) {
    let service = &ctx.service;
    match request {
        Request::Workflows => match service.workflows() {
            Ok(list) => ctx.send(Response::Workflows(list)),
            Err(e) => ctx.fail("Loading benchmarks", e),
        },
        Request::Workflow { id } => {
            let detail = service.workflow(&id).and_then(|record| {
                let template = service.template(&record)?;
                let submissions = service.submissions(&record)?;
                Ok(WorkflowDetail {
                    record,
                    template,
                    submissions,
                })
            });
            match detail {
                Ok(detail) => ctx.send(Response::Workflow(Box::new(detail))),
                Err(e) => ctx.fail("Loading the benchmark", e),
            }
        }
        Request::Runs { workflow_id } => match load_runs(service, &workflow_id) {
            Ok(rows) => {
                ctx.send(Response::Runs { workflow_id, rows });
                let (running, queued) = service.activity();
                ctx.send(Response::Activity { running, queued });
            }
            Err(e) => ctx.fail("Loading runs", e),
        },
        Request::Leaderboard {
            workflow_id,
            order,
            all,
        } => {
            let result = service
                .leaderboard(&workflow_id, &order, all)
                .and_then(|board| {
                    let postproc = match service.postproc_run(&workflow_id)? {
                        Some(run) if run.state == crate::model::RunState::Success => {
                            Some(PostprocOutputs {
                                files: service.run_files(&run.id)?,
                                run_dir: service.run_dir(&run.id),
                                run,
                            })
                        }
                        _ => None,
                    };
                    Ok((board, postproc))
                });
            match result {
                Ok((board, postproc)) => ctx.send(Response::Leaderboard {
                    workflow_id,
                    board: board.map(Arc::new),
                    postproc,
                }),
                Err(e) => ctx.fail("Loading the leaderboard", e),
            }
        }
        Request::RunDetail { run_id } => {
            let detail = service.run(&run_id).and_then(|run| {
                let submission = match &run.submission_id {
                    Some(id) => service
                        .submission(id, None)
                        .map(|s| s.name)
                        .unwrap_or_else(|_| id.clone()),
                    None => "post-processing".to_string(),
                };
                Ok(RunDetail {
                    files: service.run_files(&run.id)?,
                    results: service.run_results(&run.id)?,
                    run_dir: service.run_dir(&run.id),
                    log_path: service.log_path(&run.id),
                    submission,
                    run,
                })
            });
            match detail {
                Ok(detail) => ctx.send(Response::RunDetail(Box::new(detail))),
                Err(e) => ctx.fail("Loading the run", e),
            }
        }
        Request::Install { source, options } => match service.install(&source, &options) {
            Ok(record) => {
                ctx.send(Response::Notice(format!("Installed '{}'", record.name)));
                ctx.send(Response::Installed(record));
                if let Ok(list) = ctx.service.workflows() {
                    ctx.send(Response::Workflows(list));
                }
            }
            Err(e) => ctx.fail("Installing the benchmark", e),
        },
        Request::Uninstall { workflow_id } => match service.uninstall(&workflow_id) {
            Ok(record) => {
                ctx.send(Response::Notice(format!("Uninstalled '{}'", record.name)));
                ctx.send(Response::Uninstalled(record.id));
                if let Ok(list) = ctx.service.workflows() {
                    ctx.send(Response::Workflows(list));
                }
            }
            Err(e) => ctx.fail("Uninstalling the benchmark", e),
        },
        Request::CreateSubmission { workflow_id, name } => {
            match service.create_submission(&workflow_id, &name) {
                Ok(submission) => ctx.send(Response::SubmissionCreated(submission)),
                Err(e) => ctx.fail("Creating the submission", e),
            }
        }
        Request::StartRun(request) => match service.start_run(&request) {
            Ok(run) => {
                ctx.send(Response::RunStarted(run));
                let (running, queued) = ctx.service.activity();
                ctx.send(Response::Activity { running, queued });
            }
            Err(e) => ctx.fail("Starting the run", e),
        },
        Request::Cancel { run_id } => {
            if let Err(e) = service.cancel(&run_id) {
                ctx.fail("Canceling the run", e);
            }
        }
        Request::DeleteRun { run_id } => match service.delete_run(&run_id) {
            Ok(run) => ctx.send(Response::Notice(format!("Deleted run {}", run.id))),
            Err(e) => ctx.fail("Deleting the run", e),
        },
        Request::ExportRun { run_id, path } => match service.export_run(&run_id, &path) {
            Ok(count) => ctx.send(Response::Notice(format!(
                "Exported {count} file(s) to {}",
                path.display()
            ))),
            Err(e) => ctx.fail("Exporting the run", e),
        },
        Request::ExportLeaderboard {
            workflow_id,
            order,
            all,
            path,
        } => match export_leaderboard_csv(service, &workflow_id, &order, all, &path) {
            Ok(rows) => ctx.send(Response::Notice(format!(
                "Wrote {rows} row(s) to {}",
                path.display()
            ))),
            Err(e) => ctx.fail("Exporting the leaderboard", e),
        },
        Request::Preview {
            workflow_id,
            arguments,
        } => {
            let result = service
                .workflow(&workflow_id)
                .and_then(|record| service.template(&record))
                .map_err(|e| e.to_string())
                .and_then(|template| {
                    crate::service::preview(&template, &arguments, &service.expand_options())
                        .map_err(|e| e.to_string())
                });
            ctx.send(Response::Preview {
                workflow_id,
                result,
            });
        }
        Request::CheckTemplate { folder } => {
            let result = check_template(&folder);
            ctx.send(Response::TemplateChecked { folder, result });
        }
        Request::WatchTemplate { folder } => {
            ctx.watcher = None;
            if let Some(folder) = folder {
                match watch(&folder, ctx.watch_tx.clone()) {
                    Ok(watcher) => ctx.watcher = Some(watcher),
                    Err(e) => ctx.fail("Watching the template folder", e),
                }
                let result = check_template(&folder);
                ctx.send(Response::TemplateChecked { folder, result });
            }
        }
        Request::SaveSettings(settings) => match settings.save(&service.config().home) {
            Ok(()) => ctx.send(Response::Notice(
                "Settings saved; they apply from the next start".to_string(),
            )),
            Err(e) => ctx.fail("Saving the settings", e),
        },
    }
}

/// Load a template folder or archive (unpacked by the service) for the Template
/// check screen.
fn check_template(path: &std::path::Path) -> Result<Box<TemplateFolder>, String> {
    crate::service::load_template(path, &LoadOptions::default())
        .map(Box::new)
        .map_err(|e| e.to_string())
}

/// Re-check the template whenever a file in its folder changes, or — for an
/// archive — whenever the archive itself is rewritten.
fn watch(
    folder: &std::path::Path,
    requests: Sender<Request>,
) -> notify::Result<notify::RecommendedWatcher> {
    use notify::Watcher;
    let target = folder.to_path_buf();
    // An archive is watched through its parent folder, so a tool that replaces
    // the file (write to a temp file, then rename) is noticed too; events for
    // the archive's neighbours are ignored.
    let archive = crate::service::is_template_archive(folder).then(|| {
        let name = folder.file_name().map(|n| n.to_os_string());
        let parent = folder
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."))
            .to_path_buf();
        (parent, name)
    });
    let only = archive.as_ref().map(|(_, name)| name.clone());
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
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
                let _ = requests.send(Request::CheckTemplate {
                    folder: target.clone(),
                });
            }
        }
    })?;
    match &archive {
        Some((parent, _)) => watcher.watch(parent, notify::RecursiveMode::NonRecursive)?,
        None => watcher.watch(folder, notify::RecursiveMode::Recursive)?,
    }
    Ok(watcher)
}

fn load_runs(
    service: &Service,
    workflow_id: &str,
) -> Result<Vec<RunRow>, crate::error::ServiceError> {
    let runs = service.runs(&RunFilter {
        workflow_id: Some(workflow_id.to_string()),
        ..Default::default()
    })?;
    let record = service.workflow(workflow_id)?;
    let names: HashMap<String, String> = service
        .submissions(&record)?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    // Result values of all successful runs in one query.
    let mut values: HashMap<String, Vec<Option<ResultValue>>> = HashMap::new();
    if let Some(board) = service.leaderboard(workflow_id, &[], true)? {
        for entry in board.iter() {
            values.insert(
                entry.run_id,
                entry.values.into_iter().map(|(_, v)| v).collect(),
            );
        }
    }
    Ok(runs
        .into_iter()
        .map(|run| RunRow {
            submission: run
                .submission_id
                .as_ref()
                .and_then(|id| names.get(id).cloned())
                .unwrap_or_default(),
            values: values.remove(&run.id).unwrap_or_default(),
            run,
        })
        .collect())
}

fn export_leaderboard_csv(
    service: &Service,
    workflow_id: &str,
    order: &[SortColumn],
    all: bool,
    path: &std::path::Path,
) -> Result<usize, crate::error::ServiceError> {
    let record = service.workflow(workflow_id)?;
    let template = service.template(&record)?;
    let Some(board) = service.leaderboard(workflow_id, order, all)? else {
        return Ok(0);
    };
    let mut text = String::new();
    let mut header = vec!["rank".to_string(), "submission".into(), "run".into()];
    if let Some(schema) = &template.results {
        header.extend(schema.columns.iter().map(|c| c.name.clone()));
    }
    header.push("duration_seconds".into());
    text.push_str(&csv_line(&header));
    for entry in board.iter() {
        let mut row = vec![
            entry.rank.to_string(),
            entry.submission_name.clone(),
            entry.run_id.clone(),
        ];
        row.extend(entry.values.iter().map(|(_, v)| result_text(v)));
        row.push(format!("{:.3}", entry.duration));
        text.push_str(&csv_line(&row));
    }
    std::fs::write(path, text).map_err(|e| crate::error::ServiceError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    Ok(board.len())
}

fn csv_line(cells: &[String]) -> String {
    let mut line = cells
        .iter()
        .map(|cell| {
            if cell.contains([',', '"', '\n']) {
                format!("\"{}\"", cell.replace('"', "\"\""))
            } else {
                cell.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// A result value as text for tables.
pub fn result_text(value: &Option<ResultValue>) -> String {
    match value {
        None => "–".into(),
        Some(ResultValue::Int(i)) => i.to_string(),
        Some(ResultValue::Float(f)) => format_float(*f),
        Some(ResultValue::String(s)) => s.clone(),
    }
}

/// Floats with up to 4 decimals, no trailing zeros.
pub fn format_float(value: f64) -> String {
    if value.is_finite() && value.fract() != 0.0 {
        let text = format!("{value:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{value}")
    }
}
