//! The backend threads: they own the client and make every call that touches
//! the disk, the database, processes or the network, so the UI thread never
//! waits. Screens push actions; the app turns them into [`Request`]s; answers
//! come back as [`Response`]s and client events on their own channel, and each
//! wakes the UI with a repaint request (no polling while idle).
//!
//! Two lanes: quick requests (lists, a run, a preview) and slow ones (install
//! from a git URL, exports, template checks of big archives), each on its own
//! thread, so a clone that takes a minute never holds up the runs table.

use super::state::{Loading, RunRecords, ServerNotice, WorkbenchAction};
use super::try_runner::{TryRunner, WorkbenchResponse};
use crate::client::local::LocalClient;
use crate::client::servers::{ServerSummary, Servers};
use crate::client::templates::{self, CheckOptions, TemplateWatcher};
use crate::client::{
    Activity, BenchmarkDetail, BenchmarkSummary, Capabilities, Client, ClientError, ClientEvent,
    ConnectionStatus, EnvironmentView, Focus, ImportedBundle, InstallRequest, LeaderboardQuery,
    LeaderboardView, Operation, PostprocView, Preview, RunDetail, RunQuery, RunRequest, RunRow,
    RunSetView, Submission, Subscriber, TemplateReport,
};
use crate::config::{Config, Settings};
use crate::model::RunState;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Work for the backend.
#[derive(Debug, Clone)]
pub enum Request {
    Benchmarks,
    Benchmark(String),
    Runs(String),
    Leaderboard(LeaderboardQuery),
    Run(String),
    /// Another process changed the database: read again what is on screen,
    /// and answer in one burst (one frame) rather than one frame per answer.
    /// The store watch sends it itself, with what [`Backend::show`] said.
    Refresh(Refresh),
    /// A run ended: load it once more to say what ended and how.
    RunEnded {
        run_id: String,
        state: RunState,
    },
    Install(InstallRequest),
    Uninstall(String),
    CreateSubmission {
        benchmark: String,
        name: String,
    },
    StartRun(RunRequest),
    Cancel(String),
    DeleteRun(String),
    ExportRun {
        run: String,
        path: PathBuf,
    },
    ExportLeaderboard {
        query: LeaderboardQuery,
        path: PathBuf,
    },
    Preview(RunRequest),
    /// Whether the New run form's file paths name files a run can use.
    CheckFiles {
        benchmark: String,
        submission: Option<String>,
        paths: Vec<String>,
    },
    /// Check the template again (the watcher asks after each burst of changes).
    CheckTemplate(PathBuf),
    /// Watch this folder (and check it now), or stop watching.
    WatchTemplate(Option<PathBuf>),
    SaveSettings(Settings),
    OpenPath(PathBuf),
    FetchRunFile {
        run: String,
        file: String,
    },
    Environment(String),
    CreateEnvironment(String),
    RemoveEnvironment(String),
    /// The coordinator's workbench: try runs, result checks, packing.
    Workbench(WorkbenchAction),
    StartRunSet {
        request: RunRequest,
        count: usize,
    },
    ExportBundle {
        run: String,
        path: PathBuf,
    },
    ImportBundle {
        file: PathBuf,
        force: bool,
    },
    Reproduce {
        run: String,
        tolerance: Option<String>,
    },
    // ----- server mode ---------------------------------------------------------
    /// Work on this computer (`None`) or on a server from now on.
    UseBackend(Option<String>),
    Servers,
    AddServer(String),
    SignIn {
        url: String,
        username: String,
        password: Password,
        register: bool,
    },
    SignOut(String),
    RemoveServer(String),
    /// What is on screen, and whether the window is visible (a server polls that).
    Focus(Focus),
    Visible(bool),
    /// How the server is doing (read from memory, no request to it).
    Connection,
    Submissions(String),
    RenameSubmission {
        submission: String,
        name: String,
    },
    SetMembers {
        submission: String,
        members: Vec<String>,
    },
    DeleteSubmission(String),
    /// Send a run of this computer to a server.
    Submit {
        run: String,
        server: String,
        submission: Option<String>,
        benchmark: Option<String>,
    },
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// What a [`Request::Refresh`] reads again besides the benchmark list and
/// the status bar's run counts, which it always reads: what the window shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Refresh {
    /// The runs of this benchmark.
    pub runs: Option<String>,
    pub leaderboard: Option<LeaderboardQuery>,
    /// An open run that has not finished.
    pub run: Option<String>,
}

/// A password on its way to the server, never printed.
#[derive(Clone)]
pub struct Password(pub String);

impl Request {
    /// Requests that may take seconds to minutes.
    fn is_slow(&self) -> bool {
        matches!(
            self,
            Request::Install(_)
                | Request::Uninstall(_)
                | Request::ExportRun { .. }
                | Request::ExportLeaderboard { .. }
                | Request::ExportBundle { .. }
                | Request::ImportBundle { .. }
                | Request::CheckTemplate(_)
                | Request::WatchTemplate(_)
                | Request::Workbench(_)
                | Request::FetchRunFile { .. }
                | Request::RemoveEnvironment(_)
                | Request::Submit { .. }
        )
    }

    /// What the user waits for while this request is in flight.
    pub fn loading(&self) -> Option<Loading> {
        Some(match self {
            Request::Benchmarks => Loading::Benchmarks,
            Request::Benchmark(_) => Loading::Benchmark,
            Request::Runs(_) => Loading::Runs,
            Request::Leaderboard(_) => Loading::Leaderboard,
            Request::Run(_) => Loading::Run,
            Request::Install(_) => Loading::Install,
            Request::StartRun(_) | Request::StartRunSet { .. } => Loading::StartRun,
            Request::Preview(_) => Loading::Preview,
            Request::ExportRun { .. }
            | Request::ExportLeaderboard { .. }
            | Request::ExportBundle { .. } => Loading::Export,
            Request::ImportBundle { .. } => Loading::Import,
            _ => return None,
        })
    }
}

/// Answers.
pub enum Response {
    /// The backend could not be opened; the app cannot work.
    Fatal(String),
    Ready {
        config: Box<Config>,
        capabilities: Capabilities,
        /// Why the configured worker configuration cannot be used, if it cannot.
        worker_config_error: Option<String>,
    },
    Benchmarks(Vec<BenchmarkSummary>),
    Benchmark(Arc<BenchmarkDetail>),
    Runs {
        benchmark: String,
        rows: Arc<Vec<RunRow>>,
    },
    Leaderboard {
        benchmark: String,
        board: Option<Arc<LeaderboardView>>,
        postproc: Option<Arc<PostprocView>>,
    },
    Run(Arc<RunDetail>),
    /// A run that ended (answer to [`Request::RunEnded`]); `None` when it
    /// could no longer be read (deleted meanwhile).
    RunEnded {
        run_id: String,
        state: RunState,
        row: Option<Box<RunRow>>,
    },
    /// The provenance and reproductions of a run (after its [`Response::Run`]).
    RunRecords(RunRecords),
    Installed(BenchmarkSummary),
    Uninstalled(String),
    SubmissionCreated(Submission),
    RunStarted(RunRow),
    RunSetStarted(RunSetView),
    /// A reproduction started: the original run's id and the new run.
    ReproduceStarted {
        original: String,
        run: RunRow,
    },
    Imported(Box<ImportedBundle>),
    /// A bundle refused because the installed template differs.
    DifferentTemplate {
        file: PathBuf,
        benchmark: String,
        differences: Vec<String>,
    },
    Preview {
        benchmark: String,
        result: Result<Preview, String>,
    },
    /// The answer to [`Request::CheckFiles`]: per path, why it cannot be used.
    FilesChecked {
        benchmark: String,
        paths: HashMap<String, Option<String>>,
    },
    TemplateChecked {
        path: PathBuf,
        result: Result<TemplateReport, String>,
    },
    Workbench(WorkbenchResponse),
    RunFile {
        run: String,
        file: String,
        path: PathBuf,
    },
    /// Something worth a short notification; what is shown may have changed.
    Notice(String),
    /// The settings were saved and applied; the configuration as it is now.
    SettingsApplied {
        config: Box<Config>,
        worker_config_error: Option<String>,
    },
    /// A failed request: what was attempted, why it failed, and what is no
    /// longer loading.
    Failed {
        action: &'static str,
        message: String,
        loading: Option<Loading>,
    },
    Activity(Activity),
    Environment(EnvironmentView),
    /// An install refused because the name is taken, with the next free name.
    NameTaken {
        request: InstallRequest,
        name: String,
        suggestion: String,
    },
    // ----- server mode ---------------------------------------------------------
    Servers(Vec<ServerSummary>),
    /// The backend now shown, and what it can do.
    BackendChanged {
        backend: Option<String>,
        capabilities: Capabilities,
    },
    Connection(Option<ConnectionStatus>),
    Submissions {
        benchmark: String,
        list: Vec<Submission>,
    },
    /// Bytes sent of the upload in flight, and its size; `None` when done.
    Upload(Option<(u64, u64)>),
    ServerNotice(ServerNotice),
}

type Wake = Arc<dyn Fn() + Send + Sync>;

/// The UI's handle on the backend threads.
pub struct Backend {
    quick: Sender<Request>,
    slow: Sender<Request>,
    responses: Receiver<Response>,
    events: Receiver<ClientEvent>,
    try_runner: Arc<TryRunner>,
    watch: Arc<StoreWatch>,
}

impl Drop for Backend {
    /// The app is closing: the workbench's try area goes with it (its run
    /// canceled first), rather than waiting for the next start to clean it.
    fn drop(&mut self) {
        self.watch.stop.store(true, Ordering::SeqCst);
        self.try_runner.close();
    }
}

impl Backend {
    /// Start the backend for this computer; `wake` is called after every
    /// response and event.
    pub fn start(config: Config, wake: impl Fn() + Send + Sync + 'static) -> Backend {
        let (quick, quick_rx) = mpsc::channel::<Request>();
        let (slow, slow_rx) = mpsc::channel::<Request>();
        let (out, responses) = mpsc::channel::<Response>();
        let wake: Wake = Arc::new(wake);
        let (subscriber, events) = Subscriber::channel();
        let subscriber = {
            let wake = Arc::clone(&wake);
            subscriber.with_waker(move || wake())
        };
        let slow_tx = slow.clone();
        let failed = out.clone();
        let try_runner = Arc::new(TryRunner::default());
        let lane_try_runner = Arc::clone(&try_runner);
        let watch = Arc::new(StoreWatch::default());
        let lane_watch = Arc::clone(&watch);
        let watch_tx = quick.clone();
        let spawned = std::thread::Builder::new()
            .name("flowdesk-backend".into())
            .spawn(move || {
                let client = match LocalClient::open(config) {
                    Ok(client) => Arc::new(client),
                    Err(e) => {
                        let _ = out.send(Response::Fatal(e.to_string()));
                        wake();
                        return;
                    }
                };
                client.subscribe(subscriber.clone());
                watch_store(Arc::clone(&client), watch_tx, Arc::clone(&lane_watch));
                let servers = Servers::new(&client.config().home);
                let current: Arc<dyn Client> = client.clone();
                let ctx = Context {
                    shared: Arc::new(Mutex::new(Shared {
                        backend: None,
                        current,
                        remotes: HashMap::new(),
                    })),
                    local: client,
                    servers,
                    subscriber,
                    out,
                    wake,
                    watcher: None,
                    slow: slow_tx,
                    try_runner: Arc::clone(&lane_try_runner),
                    batching: false,
                };
                ctx.send(Response::Ready {
                    config: Box::new(ctx.local.current_config()),
                    capabilities: ctx.local.capabilities(),
                    worker_config_error: ctx.local.worker_config_error(),
                });
                ctx.servers();
                let slow_ctx = Context {
                    shared: Arc::clone(&ctx.shared),
                    local: Arc::clone(&ctx.local),
                    servers: ctx.servers.clone(),
                    subscriber: ctx.subscriber.clone(),
                    out: ctx.out.clone(),
                    wake: Arc::clone(&ctx.wake),
                    watcher: None,
                    slow: ctx.slow.clone(),
                    try_runner: Arc::clone(&ctx.try_runner),
                    batching: false,
                };
                let lane = std::thread::Builder::new()
                    .name("flowdesk-backend-slow".into())
                    .spawn(move || serve(slow_ctx, slow_rx));
                if let Err(e) = lane {
                    ctx.send(Response::Fatal(format!(
                        "cannot start the background worker: {e}"
                    )));
                    return;
                }
                serve(ctx, quick_rx);
            });
        if let Err(e) = spawned {
            let _ = failed.send(Response::Fatal(format!(
                "cannot start the background worker: {e}"
            )));
        }
        Backend {
            quick,
            slow,
            responses,
            events,
            try_runner,
            watch,
        }
    }

    /// Whether the window is visible: the store is watched only then.
    pub fn set_visible(&self, visible: bool) {
        self.watch.hidden.store(!visible, Ordering::SeqCst);
    }

    /// What the window shows of this computer's database, read again when
    /// another process changes it; `None` while a server is shown.
    pub fn show(&self, shown: Option<Refresh>) {
        if let Ok(mut current) = self.watch.shown.lock() {
            *current = shown;
        }
    }

    pub fn send(&self, request: Request) {
        let lane = if request.is_slow() {
            &self.slow
        } else {
            &self.quick
        };
        let _ = lane.send(request);
    }

    pub fn try_recv(&self) -> Option<Response> {
        self.responses.try_recv().ok()
    }

    pub fn try_event(&self) -> Option<ClientEvent> {
        self.events.try_recv().ok()
    }
}

/// How often the watch looks for changes other processes made.
const STORE_WATCH: Duration = Duration::from_secs(1);

/// The watch of this computer's database for changes made outside this
/// window (a CLI run, a benchmark installed from the terminal, another window).
#[derive(Default)]
struct StoreWatch {
    hidden: AtomicBool,
    stop: AtomicBool,
    shown: Mutex<Option<Refresh>>,
}

/// Once a second while the window is visible, read the database's change
/// counter (one cheap pragma); when it moved, ask the quick lane to read
/// again what the window shows. The lane answers in one burst, so an outside
/// change costs the window one frame.
fn watch_store(client: Arc<LocalClient>, requests: Sender<Request>, watch: Arc<StoreWatch>) {
    let spawned = std::thread::Builder::new()
        .name("flowdesk-store-watch".into())
        .spawn(move || {
            let mut last = client.change_counter();
            while !watch.stop.load(Ordering::SeqCst) {
                std::thread::sleep(STORE_WATCH);
                if watch.hidden.load(Ordering::SeqCst) {
                    continue;
                }
                let now = client.change_counter();
                if now == last {
                    continue;
                }
                last = now;
                let shown = watch.shown.lock().ok().and_then(|shown| shown.clone());
                if let Some(refresh) = shown {
                    if requests.send(Request::Refresh(refresh)).is_err() {
                        return;
                    }
                }
            }
        });
    // Without the watch the app still works; it only misses outside changes.
    drop(spawned);
}

/// Which backend the screens show, shared by both lanes.
struct Shared {
    /// `None`: this computer; else the server's URL.
    backend: Option<String>,
    current: Arc<dyn Client>,
    /// Servers opened so far (each keeps its poller and cache while the app runs).
    remotes: HashMap<String, Arc<dyn Client>>,
}

struct Context {
    shared: Arc<Mutex<Shared>>,
    /// This computer, for what only it has (settings, folders).
    local: Arc<LocalClient>,
    servers: Servers,
    subscriber: Subscriber,
    out: Sender<Response>,
    wake: Wake,
    watcher: Option<TemplateWatcher>,
    /// For the watcher, which asks for checks on the slow lane.
    slow: Sender<Request>,
    /// The workbench's try area (shared with the app's handle, which closes
    /// it on exit).
    try_runner: Arc<TryRunner>,
    /// While answers are batched, the GUI is woken once at the end of the
    /// batch instead of at each answer.
    batching: bool,
}

impl Context {
    fn send(&self, response: Response) {
        let _ = self.out.send(response);
        if !self.batching {
            (self.wake)();
        }
    }

    fn fail(&self, action: &'static str, loading: Option<Loading>, error: impl std::fmt::Display) {
        self.send(Response::Failed {
            action,
            message: error.to_string(),
            loading,
        });
    }

    fn current(&self) -> Arc<dyn Client> {
        Arc::clone(
            &self
                .shared
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .current,
        )
    }

    fn backend(&self) -> Option<String> {
        self.shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .backend
            .clone()
    }

    fn servers(&self) {
        match self.servers.list() {
            Ok(list) => self.send(Response::Servers(list)),
            Err(e) => self.fail("Loading the server list", None, e),
        }
    }

    fn connection(&self) {
        if self.backend().is_some() {
            self.send(Response::Connection(self.current().connection()));
        }
    }

    fn activity(&self) {
        if let Ok(activity) = self.current().activity() {
            self.send(Response::Activity(activity));
        }
    }

    fn benchmarks(&self) {
        match self.current().benchmarks() {
            Ok(list) => self.send(Response::Benchmarks(list)),
            Err(e) => self.fail("Loading benchmarks", Some(Loading::Benchmarks), e),
        }
    }
}

fn serve(mut ctx: Context, requests: Receiver<Request>) {
    for request in requests {
        handle(&mut ctx, request);
    }
}

fn handle(ctx: &mut Context, request: Request) {
    let loading = request.loading();
    let client = ctx.current();
    match request {
        Request::Benchmarks => ctx.benchmarks(),
        Request::Benchmark(key) => match client.benchmark(&key) {
            Ok(detail) => ctx.send(Response::Benchmark(Arc::new(detail))),
            Err(e) => ctx.fail("Loading the benchmark", loading, e),
        },
        Request::Runs(benchmark) => {
            let query = RunQuery {
                benchmark: Some(benchmark.clone()),
                ..Default::default()
            };
            match client.runs(&query) {
                Ok(list) => {
                    ctx.send(Response::Runs {
                        benchmark,
                        rows: Arc::new(list.rows),
                    });
                    ctx.activity();
                }
                Err(e) => ctx.fail("Loading runs", loading, e),
            }
        }
        Request::Leaderboard(query) => {
            let result = client.leaderboard(&query).and_then(|board| {
                let postproc = client.postproc(&query.benchmark)?;
                Ok((board, postproc))
            });
            match result {
                Ok((board, postproc)) => ctx.send(Response::Leaderboard {
                    benchmark: query.benchmark,
                    board: board.map(Arc::new),
                    postproc: postproc.map(Arc::new),
                }),
                Err(e) => ctx.fail("Loading the leaderboard", loading, e),
            }
        }
        Request::Run(run) => match client.run(&run) {
            Ok(detail) => {
                let id = detail.run.id.clone();
                ctx.send(Response::Run(Arc::new(detail)));
                run_records(ctx, client.as_ref(), id);
            }
            Err(e) => ctx.fail("Loading the run", loading, e),
        },
        Request::Refresh(refresh) => {
            ctx.batching = true;
            // The runs' answer brings the counts along.
            if refresh.runs.is_none() {
                ctx.activity();
            }
            let requests = [
                Some(Request::Benchmarks),
                refresh.runs.map(Request::Runs),
                refresh.leaderboard.map(Request::Leaderboard),
                refresh.run.map(Request::Run),
            ];
            for request in requests.into_iter().flatten() {
                handle(ctx, request);
            }
            ctx.batching = false;
            (ctx.wake)();
        }
        Request::RunEnded { run_id, state } => {
            let row = client.run(&run_id).ok().map(|detail| Box::new(detail.run));
            ctx.send(Response::RunEnded { run_id, state, row });
        }
        Request::Install(request) => match client.install(&request) {
            Ok(benchmark) => {
                ctx.send(Response::Notice(format!("Installed '{}'", benchmark.name)));
                ctx.send(Response::Installed(benchmark));
                ctx.benchmarks();
            }
            // The next free name is one click away.
            Err(ClientError::NameTaken { name, suggestion }) => ctx.send(Response::NameTaken {
                request,
                name,
                suggestion,
            }),
            Err(e) => ctx.fail("Installing the benchmark", loading, e),
        },
        Request::Uninstall(key) => match client.uninstall(&key) {
            Ok(benchmark) => {
                ctx.send(Response::Notice(format!(
                    "Uninstalled '{}'",
                    benchmark.name
                )));
                ctx.send(Response::Uninstalled(benchmark.id));
                ctx.benchmarks();
            }
            Err(e) => ctx.fail("Uninstalling the benchmark", loading, e),
        },
        Request::CreateSubmission { benchmark, name } => {
            match client.create_submission(&benchmark, &name) {
                Ok(submission) => ctx.send(Response::SubmissionCreated(submission)),
                Err(e) => ctx.fail("Creating the submission", loading, e),
            }
        }
        Request::StartRun(mut request) => match upload_files(ctx, client.as_ref(), &mut request)
            .and_then(|()| client.start_run(&request))
        {
            Ok(run) => {
                ctx.send(Response::RunStarted(run));
                ctx.activity();
            }
            Err(e) => ctx.fail("Starting the run", loading, e),
        },
        Request::Cancel(run) => {
            if let Err(e) = client.cancel_run(&run) {
                ctx.fail("Canceling the run", loading, e);
            }
        }
        Request::DeleteRun(run) => match client.delete_run(&run) {
            Ok(run) => ctx.send(Response::Notice(format!("Deleted run {}", run.id))),
            Err(e) => ctx.fail("Deleting the run", loading, e),
        },
        Request::ExportRun { run, path } => match client.export_run(&run, &path) {
            Ok(count) => ctx.send(Response::Notice(format!(
                "Exported {} to {}",
                crate::client::format::count(count, "file", "files"),
                path.display()
            ))),
            Err(e) => ctx.fail("Exporting the run", loading, e),
        },
        Request::ExportLeaderboard { query, path } => {
            match client.export_leaderboard(&query, &path) {
                Ok(rows) => ctx.send(Response::Notice(format!(
                    "Wrote {} to {}",
                    crate::client::format::count(rows, "row", "rows"),
                    path.display()
                ))),
                Err(e) => ctx.fail("Exporting the leaderboard", loading, e),
            }
        }
        Request::Preview(request) => {
            let result = client.preview(&request).map_err(|e| e.to_string());
            ctx.send(Response::Preview {
                benchmark: request.benchmark,
                result,
            });
        }
        Request::CheckFiles {
            benchmark,
            submission,
            paths,
        } => {
            let paths = check_files(client.as_ref(), submission.as_deref(), paths);
            ctx.send(Response::FilesChecked { benchmark, paths });
        }
        Request::CheckTemplate(path) => {
            ctx.try_runner.mark_stale();
            check_template(ctx, path)
        }
        Request::Workbench(action) => {
            let out = ctx.out.clone();
            let wake = Arc::clone(&ctx.wake);
            let send = Arc::new(move |response| {
                let _ = out.send(Response::Workbench(response));
                wake();
            });
            ctx.try_runner
                .handle(&ctx.local.current_config(), action, send);
        }
        Request::WatchTemplate(path) => {
            ctx.watcher = None;
            if let Some(path) = path {
                let slow = ctx.slow.clone();
                let watched = path.clone();
                match templates::watch(&path, move || {
                    let _ = slow.send(Request::CheckTemplate(watched.clone()));
                }) {
                    Ok(watcher) => ctx.watcher = Some(watcher),
                    Err(e) => ctx.fail("Watching the template folder", None, e),
                }
                check_template(ctx, path);
            }
        }
        Request::SaveSettings(settings) => match ctx.local.save_settings(&settings) {
            Ok(config) => ctx.send(Response::SettingsApplied {
                config: Box::new(config),
                worker_config_error: ctx.local.worker_config_error(),
            }),
            Err(e) => ctx.fail("Saving the settings", None, e),
        },
        Request::OpenPath(path) => {
            if let Err(e) = crate::client::local::reveal(&path) {
                ctx.fail("Opening the folder", None, e);
            }
        }
        Request::FetchRunFile { run, file } => match client.fetch_run_file(&run, &file) {
            Ok(path) => ctx.send(Response::RunFile { run, file, path }),
            Err(e) => ctx.fail("Fetching the file", None, e),
        },
        Request::Environment(benchmark) => match client.environment(&benchmark) {
            Ok(view) => ctx.send(Response::Environment(view)),
            Err(e) => ctx.fail("Reading the benchmark's environment", None, e),
        },
        // Returns at once; progress comes as events.
        Request::CreateEnvironment(benchmark) => match client.create_environment(&benchmark) {
            Ok(view) => ctx.send(Response::Environment(view)),
            Err(e) => ctx.fail("Creating the environment", None, e),
        },
        Request::RemoveEnvironment(benchmark) => match client.remove_environment(&benchmark) {
            Ok(view) => ctx.send(Response::Environment(view)),
            Err(e) => ctx.fail("Removing the environment", None, e),
        },
        Request::StartRunSet { mut request, count } => {
            match upload_files(ctx, client.as_ref(), &mut request)
                .and_then(|()| client.start_run_set(&request, count))
            {
                Ok(set) => {
                    ctx.send(Response::RunSetStarted(set));
                    ctx.activity();
                }
                Err(e) => ctx.fail("Starting the run set", loading, e),
            }
        }
        Request::ExportBundle { run, path } => match client.export_bundle(&run, &path) {
            Ok(info) => ctx.send(Response::Notice(format!(
                "Wrote the bundle of run {run} to {} ({} files, {})",
                info.file.display(),
                info.files,
                crate::client::format::size_text(info.bytes)
            ))),
            Err(e) => ctx.fail("Exporting the bundle", loading, e),
        },
        Request::ImportBundle { file, force } => match client.import_bundle(&file, force) {
            Ok(imported) => {
                ctx.send(Response::Notice(format!(
                    "Imported run {} into '{}' (submission '{}')",
                    imported.run.id, imported.benchmark.name, imported.submission.name
                )));
                ctx.send(Response::Imported(Box::new(imported)));
            }
            Err(ClientError::DifferentTemplate {
                bundle,
                benchmark,
                differences,
            }) => ctx.send(Response::DifferentTemplate {
                file: bundle,
                benchmark,
                differences,
            }),
            Err(e) => ctx.fail("Importing the bundle", loading, e),
        },
        Request::Reproduce { run, tolerance } => match client.reproduce(&run, tolerance.as_deref())
        {
            Ok(again) => {
                ctx.send(Response::ReproduceStarted {
                    original: run,
                    run: again,
                });
                ctx.activity();
            }
            Err(e) => ctx.fail("Reproducing the run", loading, e),
        },
        server => handle_server(ctx, server),
    }
    ctx.connection();
}

/// The provenance and reproductions of a run, as far as the backend keeps them.
fn run_records(ctx: &Context, client: &dyn Client, run_id: String) {
    let capabilities = client.capabilities();
    let provenance = if capabilities.supports(Operation::Provenance) {
        match client.provenance(&run_id) {
            Ok(provenance) => provenance.map(Arc::new),
            Err(e) => return ctx.fail("Loading the run's provenance", None, e),
        }
    } else {
        None
    };
    let reproductions = if capabilities.supports(Operation::Reproduce) {
        match client.reproductions(&run_id) {
            Ok(list) => list,
            Err(e) => return ctx.fail("Loading the run's reproductions", None, e),
        }
    } else {
        Vec::new()
    };
    ctx.send(Response::RunRecords(RunRecords {
        run_id,
        provenance,
        reproductions,
    }));
}

/// The server-mode requests: choosing the backend, the server list, signing
/// in and out, submissions with members, submitting a local run.
fn handle_server(ctx: &mut Context, request: Request) {
    let client = ctx.current();
    match request {
        Request::UseBackend(backend) => use_backend(ctx, backend),
        Request::Servers => ctx.servers(),
        Request::AddServer(url) => match ctx.servers.add(&url) {
            Ok(server) => {
                ctx.servers();
                ctx.send(Response::ServerNotice(ServerNotice::Done(
                    server.url.clone(),
                )));
                use_backend(ctx, Some(server.url));
            }
            Err(e) => ctx.send(Response::ServerNotice(ServerNotice::Failed(e.to_string()))),
        },
        Request::SignIn {
            url,
            username,
            password,
            register,
        } => match ctx.servers.sign_in(&url, &username, &password.0, register) {
            Ok(server) => {
                // A fresh sign-in: open the server again with its new token.
                ctx.shared
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remotes
                    .remove(&server.url);
                ctx.servers();
                ctx.send(Response::ServerNotice(ServerNotice::Done(
                    server.url.clone(),
                )));
                use_backend(ctx, Some(server.url));
            }
            Err(e) => ctx.send(Response::ServerNotice(ServerNotice::Failed(e.to_string()))),
        },
        Request::SignOut(url) => {
            match ctx.servers.sign_out(&url) {
                Ok(note) => ctx.send(Response::Notice(
                    note.unwrap_or_else(|| format!("Signed out of {url}")),
                )),
                Err(e) => ctx.fail("Signing out", None, e),
            }
            let showing = {
                let mut shared = ctx.shared.lock().unwrap_or_else(PoisonError::into_inner);
                shared.remotes.remove(&url);
                shared.backend.as_deref() == Some(url.as_str())
            };
            ctx.servers();
            if showing {
                // Still the server, now without a sign-in: public pages only.
                use_backend(ctx, Some(url));
            }
        }
        Request::RemoveServer(url) => {
            if let Err(e) = ctx.servers.remove(&url) {
                ctx.fail("Removing the server", None, e);
            }
            let showing = {
                let mut shared = ctx.shared.lock().unwrap_or_else(PoisonError::into_inner);
                shared.remotes.remove(&url);
                shared.backend.as_deref() == Some(url.as_str())
            };
            ctx.servers();
            if showing {
                use_backend(ctx, None);
            }
        }
        Request::Focus(focus) => client.set_focus(focus),
        Request::Visible(visible) => client.set_visible(visible),
        Request::Connection => {}
        Request::Submissions(benchmark) => match client.submissions(&benchmark) {
            Ok(list) => ctx.send(Response::Submissions { benchmark, list }),
            Err(e) => ctx.fail("Loading the submissions", None, e),
        },
        Request::RenameSubmission { submission, name } => {
            match client.rename_submission(&submission, &name) {
                Ok(s) => {
                    ctx.send(Response::Notice(format!(
                        "Renamed the submission to '{}'",
                        s.name
                    )));
                    reload_submissions(ctx, &s.benchmark_id);
                }
                Err(e) => ctx.fail("Renaming the submission", None, e),
            }
        }
        Request::SetMembers {
            submission,
            members,
        } => match client.set_members(&submission, &members) {
            Ok(s) => {
                ctx.send(Response::Notice(format!(
                    "Submission '{}' has {}",
                    s.name,
                    crate::client::format::count(s.members.len(), "member", "members")
                )));
                reload_submissions(ctx, &s.benchmark_id);
            }
            Err(e) => ctx.fail("Changing the members", None, e),
        },
        Request::DeleteSubmission(submission) => match client.delete_submission(&submission) {
            Ok(s) => {
                ctx.send(Response::Notice(format!("Deleted submission '{}'", s.name)));
                reload_submissions(ctx, &s.benchmark_id);
            }
            Err(e) => ctx.fail("Deleting the submission", None, e),
        },
        Request::Submit {
            run,
            server,
            submission,
            benchmark,
        } => {
            let target = match remote(ctx, &server) {
                Ok(target) => target,
                Err(e) => return ctx.fail("Submitting the run", None, e),
            };
            let options = crate::client::submit::SubmitOptions {
                submission,
                benchmark,
            };
            match crate::client::submit::submit(ctx.local.as_ref(), target.as_ref(), &run, &options)
            {
                Ok(submitted) => {
                    ctx.send(Response::Notice(format!(
                        "Run {} started on {server} in submission '{}'",
                        submitted.run.id, submitted.submission
                    )));
                    use_backend(ctx, Some(server));
                    ctx.send(Response::RunStarted(submitted.run));
                }
                Err(e) => ctx.fail("Submitting the run", None, e),
            }
        }
        // Handled by `handle`.
        _ => {}
    }
}

/// On a server, upload the local files of a run request first, with a
/// progress bar, and start the run with the uploaded files (this computer
/// copies them itself while preparing the run).
fn upload_files(
    ctx: &Context,
    client: &dyn Client,
    request: &mut RunRequest,
) -> Result<(), ClientError> {
    if ctx.backend().is_none() {
        return Ok(());
    }
    let detail = client.benchmark(&request.benchmark)?;
    let Some(submission) = request
        .submission
        .clone()
        .or_else(|| detail.submissions.first().map(|s| s.id.clone()))
    else {
        // `start_run` says that there is no submission.
        return Ok(());
    };
    for (name, value) in request.arguments.iter_mut() {
        let Some(parameter) = detail.parameter(name) else {
            continue;
        };
        if !matches!(parameter.dtype, crate::template::ParameterType::File { .. }) {
            continue;
        }
        let file = parameter.cast_file(value)?;
        let path = PathBuf::from(&file.source);
        if !path.is_file() {
            continue;
        }
        let mut shown = u64::MAX;
        let upload = client.upload_with_progress(&submission, &path, &mut |sent, total| {
            // One message per percent, not per block.
            let percent = (sent * 100).checked_div(total).unwrap_or(100);
            if percent != shown {
                shown = percent;
                ctx.send(Response::Upload(Some((sent, total))));
            }
        });
        ctx.send(Response::Upload(None));
        let upload = upload?;
        *value = serde_json::json!({"value": upload.id, "as": file.target});
    }
    Ok(())
}

/// Why each of `paths` cannot be a run's file argument, as starting the run
/// would find: a local file is used as is, and otherwise an upload of the
/// submission with that id or name (asked for only when some path is not a
/// local file; when they cannot be listed, such a path is not flagged).
fn check_files(
    client: &dyn Client,
    submission: Option<&str>,
    paths: Vec<String>,
) -> HashMap<String, Option<String>> {
    // `Some(None)`: the uploads could not be listed.
    let mut uploads: Option<Option<Vec<String>>> = None;
    paths
        .into_iter()
        .map(|path| {
            let local = std::path::Path::new(&path);
            if local.is_file() {
                return (path, None);
            }
            let uploaded = uploads.get_or_insert_with(|| match submission {
                None => Some(Vec::new()),
                Some(s) => client
                    .uploads(s)
                    .ok()
                    .map(|list| list.into_iter().flat_map(|u| [u.id, u.name]).collect()),
            });
            let problem = if uploaded.as_ref().is_none_or(|names| names.contains(&path)) {
                None
            } else if local.is_dir() {
                Some(format!("{path} is a folder, not a file"))
            } else {
                Some(format!("no file at {path}"))
            };
            (path, problem)
        })
        .collect()
}

fn reload_submissions(ctx: &Context, benchmark: &str) {
    if let Ok(list) = ctx.current().submissions(benchmark) {
        ctx.send(Response::Submissions {
            benchmark: benchmark.to_string(),
            list,
        });
    }
}

/// The client of a server, opened once and then kept (with its poller).
fn remote(ctx: &Context, url: &str) -> Result<Arc<dyn Client>, ClientError> {
    let mut shared = ctx.shared.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(client) = shared.remotes.get(url) {
        return Ok(Arc::clone(client));
    }
    let client = ctx.servers.open_client(url)?;
    client.subscribe(ctx.subscriber.clone());
    shared.remotes.insert(url.to_string(), Arc::clone(&client));
    Ok(client)
}

/// Show this computer or a server from now on.
fn use_backend(ctx: &Context, backend: Option<String>) {
    let client: Arc<dyn Client> = match &backend {
        None => ctx.local.clone(),
        Some(url) => match remote(ctx, url) {
            Ok(client) => client,
            Err(e) => return ctx.fail("Opening the server", None, e),
        },
    };
    {
        let mut shared = ctx.shared.lock().unwrap_or_else(PoisonError::into_inner);
        // The server left behind stops polling what is no longer on screen.
        shared.current.set_focus(Focus::Nothing);
        shared.current = Arc::clone(&client);
        shared.backend = backend.clone();
    }
    ctx.send(Response::BackendChanged {
        backend,
        capabilities: client.capabilities(),
    });
    ctx.benchmarks();
}

fn check_template(ctx: &Context, path: PathBuf) {
    let result =
        templates::check(&path, &CheckOptions::default()).map_err(|e: ClientError| e.to_string());
    ctx.send(Response::TemplateChecked { path, result });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::InstallSource;
    use std::sync::atomic::AtomicUsize;

    /// An outside change is read again in one burst: every answer is in the
    /// channel before the window is woken, and it is woken once (one frame).
    #[test]
    fn a_refresh_answers_everything_with_one_wake() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::resolve(Some(dir.path().to_path_buf())).unwrap();
        let local = Arc::new(LocalClient::open(config).unwrap());
        let folder =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-templates/features/slow");
        let benchmark = local
            .install(&InstallRequest {
                source: Some(InstallSource::Folder(folder)),
                ..Default::default()
            })
            .unwrap()
            .id;
        let installed = benchmark.clone();
        let (out, responses) = mpsc::channel();
        let (slow, _slow_requests) = mpsc::channel();
        let (subscriber, _events) = Subscriber::channel();
        let wakes = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&wakes);
        let current: Arc<dyn Client> = local.clone();
        let mut ctx = Context {
            shared: Arc::new(Mutex::new(Shared {
                backend: None,
                current,
                remotes: HashMap::new(),
            })),
            servers: Servers::new(&local.config().home),
            local,
            subscriber,
            out,
            wake: Arc::new(move || {
                counted.fetch_add(1, Ordering::SeqCst);
            }),
            watcher: None,
            slow,
            try_runner: Arc::new(TryRunner::default()),
            batching: false,
        };
        handle(
            &mut ctx,
            Request::Refresh(Refresh {
                runs: Some(benchmark.clone()),
                leaderboard: Some(LeaderboardQuery {
                    benchmark,
                    ..Default::default()
                }),
                run: None,
            }),
        );
        let answers: Vec<Response> = responses.try_iter().collect();
        assert_eq!(wakes.load(Ordering::SeqCst), 1);
        assert!(
            matches!(
                answers.as_slice(),
                [
                    Response::Benchmarks(list),
                    Response::Runs { .. },
                    Response::Activity(_),
                    Response::Leaderboard { .. },
                ] if list.iter().any(|b| b.id == installed)
            ),
            "{} answers",
            answers.len()
        );
        // Outside a refresh each answer wakes the window at once.
        handle(&mut ctx, Request::Benchmarks);
        assert_eq!(wakes.load(Ordering::SeqCst), 2);
    }

    /// A path the New run form flags: a local file and an upload of the
    /// chosen submission (by id or by name) are files; anything else is not.
    #[test]
    fn an_upload_of_the_submission_counts_as_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::resolve(Some(dir.path().to_path_buf())).unwrap();
        let client = LocalClient::open(config).unwrap();
        let benchmark = client.benchmarks().unwrap().remove(0).id;
        let submission = client.create_submission(&benchmark, "team").unwrap().id;
        let local = dir.path().join("names.txt");
        std::fs::write(&local, "Alice\n").unwrap();
        let upload = client.upload(&submission, &local).unwrap();
        let local = local.display().to_string();
        let folder = dir.path().display().to_string();
        let missing = dir.path().join("nothing.txt").display().to_string();
        let paths = vec![
            local.clone(),
            upload.id.clone(),
            upload.name.clone(),
            folder.clone(),
            missing.clone(),
        ];
        let checks = check_files(&client, Some(&submission), paths.clone());
        assert_eq!(checks[&local], None);
        assert_eq!(checks[&upload.id], None);
        assert_eq!(checks[&upload.name], None);
        assert_eq!(
            checks[&folder],
            Some(format!("{folder} is a folder, not a file"))
        );
        assert_eq!(checks[&missing], Some(format!("no file at {missing}")));
        // Without a submission an upload id is not a file.
        let checks = check_files(&client, None, paths);
        assert_eq!(
            checks[&upload.id],
            Some(format!("no file at {}", upload.id))
        );
    }
}
