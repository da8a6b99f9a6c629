//! The application along eframe's hooks: `logic()` drains the backend's
//! answers and events into [`AppState`] (bounded in time) and applies the
//! actions screens pushed; `ui()` only draws. Screens never call the backend
//! and the app never writes into a screen: everything a screen learns comes
//! through the state.

use super::backend::{Backend, Password, Refresh, Request, Response};
use super::dialogs::{Dialog, DialogPurpose, PathPrompt};
use super::state::{
    Action, AppState, BenchmarkUi, ExpandedView, FileChecks, FormRequest, Loading, NameClash,
    Persisted, Screen, ServerAction, SettingsRequest, Tab, TemplateCheck, TemplateClash, TryView,
    WorkbenchAction,
};
use super::try_runner::WorkbenchResponse;
use super::widgets::buttons::{ICON_FACT_CHECK, ICON_SETTINGS};
use super::widgets::toasts::{ToastLink, Toasts};
use super::{
    benchmarks, leaderboard, new_run, overview, run_detail, runs, servers, settings, sign_in,
    submissions, template_check,
};
use crate::client::{
    ClientEvent, Focus, InstallRequest, InstallSource, LeaderboardQuery, Operation, RunQuery,
    RunRow,
};
use crate::config::Config;
use crate::model::RunState;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long `logic()` may spend on answers per frame, so a burst never stalls one.
const DRAIN_BUDGET: Duration = Duration::from_millis(8);
/// Run lists are refreshed at most this often while events arrive in bursts.
const RUNS_REFRESH: Duration = Duration::from_millis(200);

pub struct FlowdeskApp {
    backend: Backend,
    pub state: AppState,
    actions: Vec<Action>,
    toasts: Toasts,
    dialogs: Vec<Dialog>,
    /// Use the in-app file dialog even where a native one may answer.
    in_app_dialogs: bool,
    /// A path asked for as text, where no file dialog can be shown.
    path_prompt: Option<PathPrompt>,
    benchmarks: benchmarks::BenchmarksPanel,
    overview: overview::OverviewScreen,
    new_run: new_run::NewRunScreen,
    runs: runs::RunsScreen,
    run_detail: run_detail::RunDetailScreen,
    leaderboard: leaderboard::LeaderboardScreen,
    template_check: template_check::TemplateCheckScreen,
    settings: settings::SettingsScreen,
    server_mode: ServerMode,
    title: String,
    /// A run list refresh is due.
    refresh_runs_at: Option<Instant>,
    /// What the store watch was last told the window shows.
    shown_locally: Option<Refresh>,
    /// `FLOWDESK_EXIT_AFTER_FIRST_FRAME`: close after the first frame that shows
    /// the benchmarks, so `time flowdesk` measures the cold start.
    exit_after_first_frame: bool,
    /// The window was checked against the screen it opened on.
    fitted: bool,
}

const PERSIST_KEY: &str = "flowdesk";
/// See `FlowdeskApp::new`.
const WAKE_COALESCE: Duration = Duration::from_millis(40);
/// How often the server line asks how the server is doing (from memory; the
/// poller is what talks to the server).
const CONNECTION_REFRESH: Duration = Duration::from_secs(1);

/// The server parts of the app (see `servers.rs`, `sign_in.rs`, `submissions.rs`).
#[derive(Default)]
struct ServerMode {
    panel: servers::ServersPanel,
    submissions: submissions::SubmissionsScreen,
    sign_in: Option<sign_in::SignInDialog>,
    submit: Option<servers::SubmitDialog>,
    /// What the server was last told is on screen, and whether it is visible.
    focus: Option<Focus>,
    visible: Option<bool>,
    asked_connection: Option<Instant>,
}

impl FlowdeskApp {
    /// Create the app; `open` is a template folder or archive to check at once.
    pub fn new(cc: &eframe::CreationContext<'_>, config: Config, open: Option<PathBuf>) -> Self {
        let persisted: Persisted = cc
            .storage
            .and_then(|storage| eframe::get_value(storage, PERSIST_KEY))
            .unwrap_or_default();
        // Before the first frame, so no name is ever drawn as boxes.
        super::fonts::install(&cc.egui_ctx);
        super::widgets::buttons::install_icon_font(&cc.egui_ctx);
        let config_theme = config.settings.theme.clone();
        let ctx = cc.egui_ctx.clone();
        let mut app = FlowdeskApp::with_backend(
            // Answers and run events come in bursts (a run starting brings
            // its state, progress, first log lines and a new runs list at
            // once): one frame for a burst, at most 40 ms after its first
            // answer, rather than a frame for each.
            Backend::start(config, move || ctx.request_repaint_after(WAKE_COALESCE)),
            persisted,
        );
        // settings.json is written when the theme changes; app.ron only on
        // exit and every half minute, so the settings win.
        if let Some(name) = &config_theme {
            app.state.persisted.dark_mode = name != theme_name(false);
        }
        outline_light_fields(&cc.egui_ctx);
        cc.egui_ctx.set_theme(theme(app.state.persisted.dark_mode));
        if let Some(folder) = open {
            app.actions.push(Action::CheckTemplate(folder));
        } else if let Some(folder) = app.state.persisted.template_folder.clone() {
            if app.state.persisted.tab == Tab::TemplateCheck {
                app.actions.push(Action::CheckTemplate(folder));
            }
        }
        app
    }

    /// Run ids selected in the Runs table.
    /// Use the in-app file dialog even where a native one may answer (as
    /// `FLOWDESK_FILE_DIALOG=builtin` does).
    pub fn use_in_app_file_dialogs(&mut self) {
        self.in_app_dialogs = true;
    }

    pub fn selected_runs(&self) -> &[String] {
        self.runs.selected()
    }

    fn with_backend(backend: Backend, persisted: Persisted) -> Self {
        let mut app = FlowdeskApp {
            backend,
            runs: runs::RunsScreen::new(persisted.runs.clone()),
            leaderboard: leaderboard::LeaderboardScreen::default(),
            state: AppState {
                persisted,
                ..Default::default()
            },
            actions: Vec::new(),
            toasts: Toasts::default(),
            dialogs: Vec::new(),
            in_app_dialogs: false,
            path_prompt: None,
            benchmarks: Default::default(),
            overview: Default::default(),
            new_run: Default::default(),
            run_detail: Default::default(),
            template_check: Default::default(),
            settings: Default::default(),
            server_mode: Default::default(),
            title: String::new(),
            refresh_runs_at: None,
            shown_locally: None,
            exit_after_first_frame: std::env::var_os("FLOWDESK_EXIT_AFTER_FIRST_FRAME").is_some(),
            fitted: false,
        };
        app.request(Request::Benchmarks);
        app
    }

    fn request(&mut self, request: Request) {
        if let Some(what) = request.loading() {
            self.state.loading.entry(what).or_insert_with(Instant::now);
        }
        self.backend.send(request);
    }

    fn notify(&mut self, text: impl Into<String>, error: bool, detail: Option<String>) {
        self.toasts.push(text, error, detail, None);
    }

    /// What ended, named by benchmark, submission and run, with an "Open".
    fn notify_run_ended(&mut self, run_id: String, state: RunState, row: Option<&RunRow>) {
        let Some(row) = row else {
            let text = match state {
                RunState::Success => format!("Run {run_id} finished successfully"),
                RunState::Canceled => format!("Run {run_id} was canceled"),
                _ => format!("Run {run_id} failed"),
            };
            self.notify(text, state == RunState::Error, None);
            return;
        };
        let benchmark = self
            .state
            .benchmarks
            .iter()
            .find(|b| b.id == row.benchmark_id)
            .map_or(row.benchmark_id.as_str(), |b| b.name.as_str());
        let (text, detail, link) =
            run_ended_text(benchmark, row.submission_id.is_none(), row, state);
        self.toasts
            .push(text, state == RunState::Error, detail, Some(link));
    }

    fn selected(&self) -> Option<String> {
        self.state.persisted.selected_workflow.clone()
    }

    fn is_selected(&self, id: &str) -> bool {
        self.state.persisted.selected_workflow.as_deref() == Some(id)
    }

    fn reload_selected(&mut self) {
        if let Some(id) = self.selected() {
            // The run this benchmark had open comes back on its Run detail tab.
            if self.state.run_detail.is_none() {
                if let Some(run) = self.benchmark_ui(&id).and_then(|ui| ui.open_run.clone()) {
                    self.request(Request::Run(run));
                }
            }
            self.request(Request::Benchmark(id.clone()));
            self.request(Request::Runs(id.clone()));
            self.request_leaderboard(&id);
            if self.state.supports(Operation::Environments) {
                self.request(Request::Environment(id));
            }
        }
    }

    /// What benchmark `id`'s screens were left showing, when it was not selected.
    fn benchmark_ui(&self, id: &str) -> Option<&BenchmarkUi> {
        let key = Persisted::ui_key(self.state.backend.as_deref(), id);
        self.state.persisted.benchmarks.get(&key)
    }

    /// Keep the selected benchmark's screen state (sorts, selection, open run)
    /// under its key.
    fn stash_benchmark_ui(&mut self) {
        self.persist_screens();
        let Some(id) = self.selected() else {
            return;
        };
        let open_run = self
            .state
            .run_detail
            .as_ref()
            .filter(|d| d.run.benchmark_id == id)
            .map(|d| d.run.id.clone());
        let ui = self
            .state
            .persisted
            .current_ui(open_run, self.runs.selected().to_vec());
        let key = Persisted::ui_key(self.state.backend.as_deref(), &id);
        self.state.persisted.benchmarks.insert(key, ui);
    }

    /// Leave the selected benchmark for `id` (`None`: none). Its screen state is
    /// kept and `id`'s own comes back, so a sort, a selection or an open run of
    /// one benchmark never shows on another.
    fn switch_benchmark(&mut self, id: Option<String>) {
        if self.state.persisted.selected_workflow == id {
            return;
        }
        self.stash_benchmark_ui();
        let ui = id
            .as_deref()
            .and_then(|id| self.benchmark_ui(id))
            .cloned()
            .unwrap_or_default();
        self.state.persisted.use_ui(&ui);
        self.runs = runs::RunsScreen::restore(ui.runs, id.clone(), ui.selected_runs);
        self.state.persisted.selected_workflow = id;
        self.state.run_detail = None;
        self.state.run_records = None;
    }

    /// The selected benchmark's detail arrived: a sort on a column it does not
    /// have (its template changed since) is forgotten rather than applied.
    fn check_sorts(&mut self, columns: &[&str]) {
        let mut ui = self.state.persisted.current_ui(None, Vec::new());
        if ui.keep_known_columns(columns) {
            self.state.persisted.use_ui(&ui);
            self.runs =
                runs::RunsScreen::restore(ui.runs, self.selected(), self.runs.selected().to_vec());
            if let Some(id) = self.selected() {
                self.request_leaderboard(&id);
            }
        }
    }

    fn request_leaderboard(&mut self, benchmark: &str) {
        let query = self.leaderboard_query(benchmark);
        self.request(Request::Leaderboard(query));
    }

    /// The leaderboard of `benchmark` as the Leaderboard screen sorts it.
    fn leaderboard_query(&self, benchmark: &str) -> LeaderboardQuery {
        let sort = &self.state.persisted.leaderboard;
        LeaderboardQuery {
            benchmark: benchmark.to_string(),
            order: sort.order(),
            all_runs: sort.all_runs,
            reproduced_only: sort.reproduced_only,
        }
    }

    // ----- answers and events ---------------------------------------------------

    fn handle_response(&mut self, response: Response) {
        let state = &mut self.state;
        match response {
            Response::Fatal(message) => state.fatal = Some(message),
            Response::Ready {
                config,
                capabilities,
                worker_config_error,
            } => {
                state.config = Some(*config);
                state.capabilities = Some(capabilities);
                state.worker_config_error = worker_config_error.clone();
                if let Some(error) = worker_config_error {
                    self.notify("The worker configuration cannot be used", true, Some(error));
                }
            }
            Response::Benchmarks(list) => {
                state.loading.remove(&Loading::Benchmarks);
                state.benchmarks_loaded = true;
                state.benchmarks = list;
                let still_there = state
                    .persisted
                    .selected_workflow
                    .as_ref()
                    .is_some_and(|id| state.benchmarks.iter().any(|w| &w.id == id));
                if !still_there {
                    let first = state.benchmarks.first().map(|w| w.id.clone());
                    state.detail = None;
                    self.switch_benchmark(first);
                }
                if self.state.detail.is_none() {
                    self.reload_selected();
                }
            }
            Response::Benchmark(detail) => {
                state.loading.remove(&Loading::Benchmark);
                if self.is_selected(&detail.benchmark.id) {
                    let columns: Vec<&str> =
                        detail.columns().iter().map(|c| c.name.as_str()).collect();
                    self.check_sorts(&columns);
                    self.state.detail = Some(detail);
                }
            }
            Response::Runs { benchmark, rows } => {
                state.loading.remove(&Loading::Runs);
                if self.is_selected(&benchmark) {
                    self.state.runs = rows;
                    self.state.runs_for = Some(benchmark);
                }
            }
            Response::Leaderboard {
                benchmark,
                board,
                postproc,
            } => {
                state.loading.remove(&Loading::Leaderboard);
                if self.is_selected(&benchmark) {
                    self.state.leaderboard = board;
                    self.state.leaderboard_for = Some(benchmark);
                    self.state.postproc = postproc;
                }
            }
            Response::RunEnded { run_id, state, row } => {
                self.notify_run_ended(run_id, state, row.as_deref());
            }
            Response::Run(detail) => {
                state.loading.remove(&Loading::Run);
                // A run asked for before the user chose another benchmark
                // belongs to that one, not to what is on screen now.
                if self.is_selected(&detail.run.benchmark_id) {
                    self.state.run_detail = Some(detail);
                }
            }
            Response::RunRecords(records) => {
                let shown = state
                    .run_detail
                    .as_ref()
                    .is_some_and(|d| d.run.id == records.run_id);
                if shown {
                    state.run_records = Some(records);
                }
            }
            Response::RunSetStarted(set) => {
                state.loading.remove(&Loading::StartRun);
                state.persisted.tab = Tab::Runs;
                self.notify(
                    format!("Run set {} started: {} runs", set.id, set.runs.len()),
                    false,
                    None,
                );
                if let Some(id) = self.selected() {
                    self.request(Request::Runs(id));
                }
            }
            Response::ReproduceStarted { original, run } => {
                self.notify(
                    format!("Reproducing run {original} as run {}", run.id),
                    false,
                    None,
                );
                self.state.reproducing.insert(run.id, original);
                self.schedule_runs_refresh();
            }
            Response::Imported(imported) => {
                state.loading.remove(&Loading::Import);
                state.template_clash = None;
                self.select_benchmark(imported.benchmark.id.clone());
                self.state.persisted.tab = Tab::Leaderboard;
            }
            Response::DifferentTemplate {
                file,
                benchmark,
                differences,
            } => {
                state.loading.remove(&Loading::Import);
                state.template_clash = Some(TemplateClash {
                    file,
                    benchmark,
                    differences,
                });
            }
            Response::Installed(benchmark) => {
                state.loading.remove(&Loading::Install);
                self.select_benchmark(benchmark.id);
            }
            Response::Uninstalled(id) => {
                if self.is_selected(&id) {
                    self.switch_benchmark(None);
                    self.state.detail = None;
                }
                let key = Persisted::ui_key(self.state.backend.as_deref(), &id);
                self.state.persisted.benchmarks.remove(&key);
            }
            Response::SubmissionCreated(submission) => {
                state
                    .form
                    .push(FormRequest::Submission(submission.id.clone()));
                self.notify(
                    format!("Created submission '{}'", submission.name),
                    false,
                    None,
                );
                self.reload_selected();
            }
            Response::RunStarted(run) => {
                state.loading.remove(&Loading::StartRun);
                state.persisted.tab = Tab::Runs;
                self.notify(format!("Run {} started", run.id), false, None);
                if let Some(id) = self.selected() {
                    self.request(Request::Runs(id));
                }
            }
            Response::Preview { benchmark, result } => {
                state.loading.remove(&Loading::Preview);
                if self.is_selected(&benchmark) {
                    self.state.preview = Some(result);
                }
            }
            Response::FilesChecked { benchmark, paths } => {
                if self.is_selected(&benchmark) {
                    self.state.file_checks = Some(FileChecks { benchmark, paths });
                }
            }
            Response::Workbench(response) => {
                let workbench = &mut state.workbench;
                match response {
                    WorkbenchResponse::TryStarted(run_id) => {
                        if let Some(view) = &mut workbench.try_run {
                            view.run_id = Some(run_id);
                        }
                    }
                    WorkbenchResponse::TryLog(text) => {
                        if let Some(view) = &mut workbench.try_run {
                            view.append_log(&text);
                        }
                    }
                    WorkbenchResponse::TryFinished(outcome) => {
                        if let Some(view) = &mut workbench.try_run {
                            view.outcome = Some(outcome);
                        }
                    }
                    WorkbenchResponse::ResultChecked(result) => {
                        workbench.result_check = Some(result)
                    }
                    WorkbenchResponse::Packed(result) => workbench.packed = Some(result),
                    WorkbenchResponse::Expanded {
                        folder,
                        arguments,
                        result,
                    } => {
                        workbench.expanded = Some(ExpandedView {
                            folder,
                            arguments,
                            result,
                        })
                    }
                }
            }
            Response::TemplateChecked { path, result } => {
                // A save re-checks: the try run no longer shows this version.
                if let Some(view) = &mut state.workbench.try_run {
                    if view.folder == path && !view.running() {
                        view.stale = true;
                    }
                }
                if state.watching.as_ref().is_none_or(|w| w == &path) {
                    state.template_check = Some(TemplateCheck {
                        path,
                        result,
                        checked_at: chrono::Local::now(),
                    });
                }
            }
            Response::RunFile { run, file, path } => {
                state.fetched.insert((run, file), path);
            }
            Response::SettingsApplied {
                config,
                worker_config_error,
            } => {
                // No notification for a bad worker configuration: the
                // Settings screen, where it was just typed, shows it.
                state.config = Some(*config);
                state.settings_saved += 1;
                state.worker_config_error = worker_config_error;
            }
            Response::Notice(text) => {
                state.loading.remove(&Loading::Export);
                self.notify(text, false, None);
                self.reload_selected();
            }
            Response::Failed {
                action,
                message,
                loading,
            } => {
                if let Some(what) = loading {
                    state.loading.remove(&what);
                }
                // The first line says what went wrong; the rest (if any)
                // stays under Details.
                let first = message.lines().next().unwrap_or_default().trim();
                let more = message.trim() != first;
                self.notify(
                    format!("{action} failed: {first}"),
                    true,
                    more.then_some(message),
                );
            }
            Response::Activity(activity) => state.activity = activity,
            Response::Environment(view) => {
                if self.is_selected(&view.benchmark_id) {
                    self.state.environment = Some(view);
                }
            }
            Response::NameTaken {
                request,
                name,
                suggestion,
            } => {
                state.loading.remove(&Loading::Install);
                self.state.name_clash = Some(NameClash {
                    request,
                    name,
                    suggestion,
                });
            }
            Response::Servers(list) => state.servers = list,
            Response::BackendChanged {
                backend,
                capabilities,
            } => {
                // Kept under the old backend's key before it changes.
                self.switch_benchmark(None);
                let state = &mut self.state;
                state.backend = backend;
                state.capabilities = Some(capabilities);
                state.connection = None;
                // Another backend: nothing shown so far belongs to it.
                state.benchmarks = Vec::new();
                state.benchmarks_loaded = false;
                state.persisted.selected_workflow = None;
                state.detail = None;
                state.runs = Default::default();
                state.runs_for = None;
                state.leaderboard = None;
                state.leaderboard_for = None;
                state.postproc = None;
                state.run_detail = None;
                state.preview = None;
                state.submissions = None;
                state.environment = None;
                state.environment_progress = None;
                state.run_records = None;
                state.reproducing.clear();
                state.template_clash = None;
                self.server_mode.focus = None;
                self.server_mode.visible = None;
                if !state.persisted.tab.of_benchmark() {
                    state.persisted.tab = Tab::Overview;
                }
                if state.persisted.tab == Tab::RunDetail {
                    state.persisted.tab = Tab::Runs;
                }
            }
            Response::Connection(connection) => state.connection = connection,
            Response::Submissions { benchmark, list } => {
                state.submissions = Some((benchmark, list));
            }
            Response::Upload(progress) => state.upload = progress,
            Response::ServerNotice(notice) => state.server_notices.push(notice),
        }
    }

    fn handle_event(&mut self, event: ClientEvent) {
        let shown = |state: &AppState, run_id: &str| {
            state
                .run_detail
                .as_ref()
                .is_some_and(|d| d.run.id == run_id)
        };
        match event {
            ClientEvent::LogGrew { run_id } => {
                *self.state.log_signals.entry(run_id).or_default() += 1;
            }
            ClientEvent::RunChanged { run_id } => {
                self.schedule_runs_refresh();
                if shown(&self.state, &run_id) {
                    self.request(Request::Run(run_id));
                }
            }
            ClientEvent::RunFinished { run_id, state } => {
                self.request(Request::RunEnded {
                    run_id: run_id.clone(),
                    state,
                });
                // A reproduction ended: its comparison is stored with the original.
                if let Some(original) = self.state.reproducing.remove(&run_id) {
                    if shown(&self.state, &original) {
                        self.request(Request::Run(original));
                    }
                }
                self.schedule_runs_refresh();
                if let Some(id) = self.selected() {
                    self.request_leaderboard(&id);
                }
                if shown(&self.state, &run_id) {
                    self.request(Request::Run(run_id));
                }
            }
            ClientEvent::Problem { run_id, message } => {
                let text = match run_id {
                    Some(id) => format!("Run {id}: a problem in the background"),
                    None => "A problem in the background".to_string(),
                };
                self.notify(text, true, Some(message));
            }
            // A server: what is on screen changed there, or the server went
            // away or came back (the status line reads the client's state).
            ClientEvent::Changed { benchmark_id } => {
                self.schedule_runs_refresh();
                if let Some(id) = self.selected() {
                    if benchmark_id.as_deref().is_none_or(|b| b == id) {
                        self.request_leaderboard(&id);
                    }
                }
            }
            ClientEvent::Connection { .. } => {}
            ClientEvent::Environment(progress) => {
                let id = progress.benchmark_id.clone();
                if let Some(finished) = &progress.finished {
                    match finished {
                        Ok(python) => self.notify(
                            format!("The Python environment of {id} is ready: runs use {python}"),
                            false,
                            None,
                        ),
                        Err(message) => self.notify(
                            format!("Creating the Python environment of {id} failed"),
                            true,
                            Some(message.clone()),
                        ),
                    }
                    if self.is_selected(&id) {
                        self.state.environment_progress = None;
                        self.request(Request::Environment(id));
                    }
                } else if self.is_selected(&id) {
                    self.state.environment_progress = Some(progress);
                }
            }
        }
    }

    fn schedule_runs_refresh(&mut self) {
        if self.refresh_runs_at.is_none() {
            self.refresh_runs_at = Some(Instant::now() + RUNS_REFRESH);
        }
    }

    fn select_benchmark(&mut self, id: String) {
        if !self.is_selected(&id) {
            self.switch_benchmark(Some(id.clone()));
            let state = &mut self.state;
            state.detail = None;
            state.runs = Default::default();
            state.runs_for = None;
            state.leaderboard = None;
            state.leaderboard_for = None;
            state.postproc = None;
            state.preview = None;
            state.environment = None;
            state.environment_progress = None;
        }
        if matches!(
            self.state.persisted.tab,
            Tab::TemplateCheck | Tab::Settings | Tab::RunDetail
        ) {
            self.state.persisted.tab = Tab::Overview;
        }
        self.reload_selected();
    }

    // ----- actions -------------------------------------------------------------

    fn apply(&mut self, action: Action, ctx: &egui::Context) {
        match action {
            Action::SelectBenchmark(id) => self.select_benchmark(id),
            Action::ShowTab(tab) => {
                self.state.persisted.tab = tab;
                if tab == Tab::Leaderboard {
                    if let Some(id) = self.selected() {
                        self.request_leaderboard(&id);
                    }
                }
            }
            Action::OpenRun(run_id) => {
                self.state.persisted.tab = Tab::RunDetail;
                self.request(Request::Run(run_id));
            }
            Action::Rerun(run) => {
                self.state.form.push(FormRequest::Arguments {
                    benchmark: run.benchmark_id.clone(),
                    arguments: run.arguments.clone(),
                    submission: run.submission_id.clone(),
                });
                self.state.persisted.tab = Tab::NewRun;
            }
            Action::OpenDialog(purpose) => {
                if purpose.has_path_prompt() && !super::dialogs::can_show() {
                    self.path_prompt = Some(PathPrompt::new(purpose));
                } else {
                    self.dialogs
                        .push(Dialog::open(purpose, ctx.clone(), self.in_app_dialogs));
                }
            }
            Action::Install(source) => self.request(Request::Install(InstallRequest {
                source: Some(source),
                ..Default::default()
            })),
            Action::Uninstall(id) => self.request(Request::Uninstall(id)),
            Action::CreateSubmission { benchmark, name } => {
                self.request(Request::CreateSubmission { benchmark, name })
            }
            Action::StartRun(request) => self.request(Request::StartRun(request)),
            Action::StartRunSet { request, count } => {
                self.request(Request::StartRunSet { request, count })
            }
            Action::Reproduce { run, tolerance } => {
                self.request(Request::Reproduce { run, tolerance })
            }
            Action::ImportBundle { file, force } => {
                self.state.template_clash = None;
                self.request(Request::ImportBundle { file, force });
            }
            Action::DismissTemplateClash => self.state.template_clash = None,
            Action::Preview(request) => self.request(Request::Preview(request)),
            Action::CheckFiles {
                benchmark,
                submission,
                paths,
            } => self.request(Request::CheckFiles {
                benchmark,
                submission,
                paths,
            }),
            Action::CancelRun(run) => self.request(Request::Cancel(run)),
            Action::DeleteRun(run) => {
                // A deleted run is no benchmark's open run any more.
                for ui in self.state.persisted.benchmarks.values_mut() {
                    if ui.open_run.as_ref() == Some(&run) {
                        ui.open_run = None;
                    }
                }
                self.request(Request::DeleteRun(run));
            }
            Action::HideColumns(hidden) => self.state.persisted.hidden_columns = hidden,
            Action::SortLeaderboard(sort) => {
                self.state.persisted.leaderboard = sort;
                if let Some(id) = self.selected() {
                    self.request_leaderboard(&id);
                }
            }
            Action::CheckTemplate(path) => {
                self.state.persisted.template_folder = Some(path.clone());
                self.state.persisted.tab = Tab::TemplateCheck;
                self.state.watching = Some(path.clone());
                self.request(Request::WatchTemplate(Some(path)));
            }
            Action::Workbench(action) => {
                match &action {
                    WorkbenchAction::Try { folder, arguments } => {
                        // The coordinator's sample values, remembered per folder.
                        self.state
                            .persisted
                            .workbench_values
                            .insert(folder.clone(), arguments.clone());
                        self.state.workbench.try_run = Some(TryView {
                            folder: folder.clone(),
                            ..Default::default()
                        });
                    }
                    WorkbenchAction::CheckResult { .. } => {
                        self.state.workbench.result_check = None;
                    }
                    WorkbenchAction::Pack { .. } => self.state.workbench.packed = None,
                    WorkbenchAction::CancelTry | WorkbenchAction::Expand { .. } => {}
                }
                self.request(Request::Workbench(action));
            }
            Action::SaveSettings(settings) => self.request(Request::SaveSettings(settings)),
            Action::SetDarkMode(dark) => {
                self.state.persisted.dark_mode = dark;
                ctx.set_theme(theme(dark));
                // Into settings.json at once, not only into app.ron (which is
                // written on exit and every half minute).
                if let Some(config) = &self.state.config {
                    let mut settings = config.settings.clone();
                    settings.theme = Some(theme_name(dark).to_string());
                    self.request(Request::SaveSettings(settings));
                }
            }
            Action::OpenPath(path) => self.request(Request::OpenPath(path)),
            Action::FetchRunFile { run, file } => self.request(Request::FetchRunFile { run, file }),
            Action::Notify(text) => self.notify(text, false, None),
            Action::InstallAs(request) => {
                self.state.name_clash = None;
                self.request(Request::Install(*request));
            }
            Action::DismissNameClash => self.state.name_clash = None,
            Action::CreateEnvironment(id) => self.request(Request::CreateEnvironment(id)),
            Action::RemoveEnvironment(id) => self.request(Request::RemoveEnvironment(id)),
            Action::Server(action) => self.server_action(action),
        }
    }

    fn server_action(&mut self, action: ServerAction) {
        match action {
            ServerAction::Use(backend) => self.request(Request::UseBackend(backend)),
            ServerAction::Add(url) => self.request(Request::AddServer(url)),
            ServerAction::SignIn {
                url,
                username,
                password,
                register,
            } => self.request(Request::SignIn {
                url,
                username,
                password: Password(password),
                register,
            }),
            ServerAction::SignOut(url) => self.request(Request::SignOut(url)),
            ServerAction::Remove(url) => self.request(Request::RemoveServer(url)),
            ServerAction::Submit {
                run,
                server,
                submission,
                benchmark,
            } => self.request(Request::Submit {
                run,
                server,
                submission,
                benchmark,
            }),
            ServerAction::LoadSubmissions(benchmark) => {
                self.request(Request::Submissions(benchmark))
            }
            ServerAction::RenameSubmission { submission, name } => {
                self.request(Request::RenameSubmission { submission, name })
            }
            ServerAction::SetMembers {
                submission,
                members,
            } => self.request(Request::SetMembers {
                submission,
                members,
            }),
            ServerAction::DeleteSubmission(submission) => {
                self.request(Request::DeleteSubmission(submission))
            }
            ServerAction::OpenSignIn(url) => {
                self.server_mode.sign_in = Some(sign_in::SignInDialog::new(url, &self.state))
            }
            ServerAction::OpenSubmit(run) => {
                self.server_mode.submit = Some(servers::SubmitDialog::new(run, &self.state))
            }
        }
    }

    /// What the window shows of this computer's database, for the store
    /// watch to read again after an outside change (a CLI run, another
    /// window); nothing while a server is shown.
    fn shown_locally(&self) -> Option<Refresh> {
        if self.state.backend.is_some() {
            return None;
        }
        let selected = self.selected();
        let run = self
            .state
            .run_detail
            .as_ref()
            .filter(|d| !d.run.state.is_finished())
            .map(|d| d.run.id.clone());
        Some(Refresh {
            leaderboard: selected.as_deref().map(|id| self.leaderboard_query(id)),
            runs: selected,
            run,
        })
    }

    /// Tell the store watch, or a server, what is on screen and whether the
    /// window is visible, so that it watches or polls that; refresh the
    /// server line.
    fn server_logic(&mut self, ctx: &egui::Context) {
        let visible = ctx.input(|i| !i.viewport().minimized.unwrap_or(false));
        if self.server_mode.visible != Some(visible) {
            self.server_mode.visible = Some(visible);
            // The watch of this computer's database and a server's polling
            // both rest while the window is minimized.
            self.backend.set_visible(visible);
            self.request(Request::Visible(visible));
        }
        let shown = self.shown_locally();
        if self.shown_locally != shown {
            self.backend.show(shown.clone());
            self.shown_locally = shown;
        }
        if self.state.backend.is_none() {
            return;
        }
        let benchmark = self.selected();
        let focus = match (self.state.persisted.tab, benchmark) {
            (_, None) => Focus::Nothing,
            (Tab::Leaderboard, Some(benchmark)) => {
                let sort = &self.state.persisted.leaderboard;
                Focus::Leaderboard(LeaderboardQuery {
                    benchmark,
                    order: sort.order(),
                    all_runs: sort.all_runs,
                    reproduced_only: sort.reproduced_only,
                })
            }
            (Tab::Runs, Some(benchmark)) => Focus::Runs(RunQuery {
                benchmark: Some(benchmark),
                ..Default::default()
            }),
            (Tab::RunDetail, Some(benchmark)) => match &self.state.run_detail {
                Some(detail) => Focus::Run(detail.run.id.clone()),
                None => Focus::Benchmark(benchmark),
            },
            (Tab::TemplateCheck | Tab::Settings, _) => Focus::Nothing,
            (_, Some(benchmark)) => Focus::Benchmark(benchmark),
        };
        if self.server_mode.focus.as_ref() != Some(&focus) {
            self.server_mode.focus = Some(focus.clone());
            self.request(Request::Focus(focus));
        }
        let due = self
            .server_mode
            .asked_connection
            .is_none_or(|at| at.elapsed() >= CONNECTION_REFRESH);
        if due {
            self.server_mode.asked_connection = Some(Instant::now());
            self.request(Request::Connection);
        }
        // "updated 3 s ago" counts up: one repaint a second while a server is
        // shown (this computer repaints only when something happens).
        ctx.request_repaint_after(CONNECTION_REFRESH);
    }

    fn poll_dialogs(&mut self) {
        let mut finished = Vec::new();
        self.dialogs.retain_mut(|dialog| match dialog.poll() {
            Some(result) => {
                finished.push(result);
                false
            }
            None => true,
        });
        for (purpose, path) in finished {
            self.finish_dialog(purpose, path);
        }
    }

    /// A dialog (or the path prompt standing in for one) was closed.
    fn finish_dialog(&mut self, purpose: DialogPurpose, path: Option<PathBuf>) {
        {
            let Some(path) = path else { return };
            match purpose {
                DialogPurpose::InstallFolder | DialogPurpose::InstallArchive => self.actions.push(
                    Action::Install(InstallSource::detect(&path.to_string_lossy())),
                ),
                DialogPurpose::TemplateFolder => self.actions.push(Action::CheckTemplate(path)),
                DialogPurpose::ExportRun(run) => self.request(Request::ExportRun { run, path }),
                DialogPurpose::ExportLeaderboard => {
                    if let Some(benchmark) = self.selected() {
                        let sort = &self.state.persisted.leaderboard;
                        let query = LeaderboardQuery {
                            benchmark,
                            order: sort.order(),
                            all_runs: sort.all_runs,
                            reproduced_only: sort.reproduced_only,
                        };
                        self.request(Request::ExportLeaderboard { query, path });
                    }
                }
                DialogPurpose::FileArgument(parameter) => {
                    self.state.form.push(FormRequest::File { parameter, path })
                }
                DialogPurpose::TryFileArgument(parameter) => self
                    .state
                    .form
                    .push(FormRequest::TryFile { parameter, path }),
                DialogPurpose::ResultFile => self.state.form.push(FormRequest::ResultFile(path)),
                DialogPurpose::PackArchive => self.state.form.push(FormRequest::PackArchive(path)),
                DialogPurpose::WorkerConfig => self
                    .state
                    .settings
                    .push(SettingsRequest::WorkerConfig(path)),
                DialogPurpose::ExportBundle(run) => {
                    self.request(Request::ExportBundle { run, path })
                }
                DialogPurpose::ImportBundle => {
                    self.actions.push(Action::ImportBundle {
                        file: path,
                        force: false,
                    });
                }
            }
        }
    }

    /// A run bundle (`.tar.gz`) dropped onto the window is imported.
    fn dropped_bundles(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        for file in dropped {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
                self.actions
                    .push(Action::ImportBundle { file, force: false });
            } else {
                self.notify(
                    format!(
                        "`{}` is not a run bundle (a .tar.gz file)",
                        crate::display::shown(&file)
                    ),
                    true,
                    None,
                );
            }
        }
    }

    // ----- drawing -------------------------------------------------------------

    fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading("flowdesk");
            ui.separator();
            for (tab, icon) in [
                (Tab::TemplateCheck, ICON_FACT_CHECK),
                (Tab::Settings, ICON_SETTINGS),
            ] {
                let selected = self.state.persisted.tab == tab;
                let response = ui.add(egui::Button::selectable(
                    selected,
                    (icon.rich_text(), tab.title()),
                ));
                // Named by its text alone (see widgets::buttons).
                response.widget_info(|| {
                    egui::WidgetInfo::selected(egui::Role::Button, true, selected, tab.title())
                });
                if response.clicked() {
                    self.actions.push(Action::ShowTab(tab));
                }
            }
        });
    }

    fn status_bar_ui(&self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let activity = self.state.activity;
            if activity.running + activity.queued > 0 {
                crate::gui::widgets::spinner::spinner(ui);
            }
            ui.label(format!(
                "{} running, {} queued",
                activity.running, activity.queued
            ));
            ui.separator();
            if let Some(config) = &self.state.config {
                ui.label(egui::RichText::new(format!("Home: {}", config.home.display())).weak());
            }
            servers::status_ui(ui, &self.state);
        });
    }

    /// Ctrl+1…6 open the benchmark's tabs in the order they are shown, Ctrl+,
    /// the settings (Cmd on macOS), as in other desktop apps.
    fn shortcuts(&mut self, ctx: &egui::Context) {
        let chosen = ctx.input_mut(|i| {
            TAB_KEYS
                .iter()
                .find(|(key, _)| i.consume_key(egui::Modifiers::COMMAND, *key))
                .map(|(_, tab)| *tab)
                .or_else(|| {
                    i.consume_key(egui::Modifiers::COMMAND, egui::Key::Comma)
                        .then_some(Tab::Settings)
                })
        });
        let Some(tab) = chosen else {
            return;
        };
        let unavailable = (tab.of_benchmark() && self.state.detail.is_none())
            || (tab == Tab::RunDetail && self.state.run_detail.is_none());
        if !unavailable {
            self.actions.push(Action::ShowTab(tab));
        }
    }

    /// The tabs of the selected benchmark; false when there is none to show.
    fn benchmark_tabs_ui(&mut self, ui: &mut egui::Ui) -> bool {
        if self.state.detail.is_none() {
            if self.state.benchmarks_loaded && self.state.benchmarks.is_empty() {
                ui.heading("No benchmarks installed");
                ui.label(
                    "Install one from a folder, an archive or a git URL with the buttons on the left.",
                );
            } else {
                crate::gui::widgets::spinner::spinner(ui);
            }
            return false;
        }
        let current = self.state.persisted.tab;
        ui.horizontal(|ui| {
            for tab in [
                Tab::Overview,
                Tab::NewRun,
                Tab::Runs,
                Tab::RunDetail,
                Tab::Leaderboard,
                Tab::Submissions,
            ] {
                if tab == Tab::RunDetail && self.state.run_detail.is_none() {
                    continue;
                }
                let key = TAB_KEYS
                    .iter()
                    .find(|(_, t)| *t == tab)
                    .map(|(key, _)| key.name())
                    .unwrap_or_default();
                if ui
                    .selectable_label(current == tab, tab.title())
                    .on_hover_text(format!("{}+{key}", shortcut_modifier(ui.ctx())))
                    .clicked()
                {
                    self.actions.push(Action::ShowTab(tab));
                }
            }
        });
        ui.separator();
        true
    }

    fn central_ui(&mut self, ui: &mut egui::Ui) {
        let tab = self.state.persisted.tab;
        if tab.of_benchmark() && !self.benchmark_tabs_ui(ui) {
            return;
        }
        let screen: &mut dyn Screen = match tab {
            Tab::Overview => &mut self.overview,
            Tab::NewRun => &mut self.new_run,
            Tab::Runs => &mut self.runs,
            Tab::RunDetail => &mut self.run_detail,
            Tab::Leaderboard => &mut self.leaderboard,
            Tab::Submissions => &mut self.server_mode.submissions,
            Tab::TemplateCheck => &mut self.template_check,
            Tab::Settings => &mut self.settings,
        };
        screen.ui(ui, &self.state, &mut self.actions);
    }

    fn toasts_ui(&mut self, ctx: &egui::Context) {
        match self.toasts.ui(ctx) {
            Some(ToastLink::Run { benchmark, run }) => {
                if !self.is_selected(&benchmark) {
                    self.select_benchmark(benchmark);
                }
                self.actions.push(Action::OpenRun(run));
            }
            Some(ToastLink::Leaderboard { benchmark }) => {
                if !self.is_selected(&benchmark) {
                    self.select_benchmark(benchmark);
                }
                self.state.persisted.tab = Tab::Leaderboard;
            }
            None => {}
        }
    }

    fn persist_screens(&mut self) {
        let persisted = &mut self.state.persisted;
        self.runs.persist(persisted);
        self.leaderboard.persist(persisted);
    }
}

/// A notification's text, details and link for a run that ended: the
/// benchmark, the submission and the run by name; a failure's first error
/// line (the rest under Details); post-processing as the leaderboard summary.
fn run_ended_text(
    benchmark: &str,
    postproc: bool,
    row: &RunRow,
    state: RunState,
) -> (String, Option<String>, ToastLink) {
    let run_link = ToastLink::Run {
        benchmark: row.benchmark_id.clone(),
        run: row.id.clone(),
    };
    let messages = row.messages.join("\n");
    let first = messages
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string();
    let detail = (messages.trim() != first).then(|| messages.clone());
    if postproc {
        return match state {
            RunState::Success => (
                format!("{benchmark}: leaderboard summary updated"),
                None,
                ToastLink::Leaderboard {
                    benchmark: row.benchmark_id.clone(),
                },
            ),
            RunState::Canceled => (
                format!("{benchmark}: post-processing was canceled"),
                None,
                run_link,
            ),
            _ if first.is_empty() => (
                format!("{benchmark}: post-processing failed"),
                detail,
                run_link,
            ),
            _ => (
                format!("{benchmark}: post-processing failed: {first}"),
                detail,
                run_link,
            ),
        };
    }
    let who = format!("{benchmark} · {} · run {}", row.submission, row.id);
    let text = match state {
        RunState::Success => format!("{who} finished successfully"),
        RunState::Canceled => format!("{who} was canceled"),
        _ if first.is_empty() => format!("{who} failed"),
        _ => format!("{who} failed: {first}"),
    };
    (text, detail, run_link)
}

/// egui's light theme draws text fields and buttons without an outline, white
/// on an almost white panel: the fields of a form cannot be seen. Outline them
/// (buttons too, as desktop toolkits do) and keep fields white.
fn outline_light_fields(ctx: &egui::Context) {
    ctx.style_mut_of(egui::Theme::Light, |style| {
        style.visuals.widgets.inactive.bg_stroke =
            egui::Stroke::new(1.0, egui::Color32::from_gray(185));
        style.visuals.text_edit_bg_color = Some(egui::Color32::WHITE);
    });
}

/// The theme's name in settings.json.
fn theme_name(dark: bool) -> &'static str {
    if dark {
        "dark"
    } else {
        "light"
    }
}

fn theme(dark: bool) -> egui::Theme {
    if dark {
        egui::Theme::Dark
    } else {
        egui::Theme::Light
    }
}

impl FlowdeskApp {
    /// The window opens at 1280×800, or at the size it had (app.ron): on a
    /// smaller screen (1024×700, a projector) that is partly off-screen. Once
    /// the screen's size is known, shrink and centre the window to fit.
    fn fit_to_screen(&mut self, ctx: &egui::Context) {
        if self.fitted {
            return;
        }
        let (monitor, inner) = ctx.input(|i| (i.viewport().monitor_size, i.viewport().inner_rect));
        let (Some(monitor), Some(inner)) = (monitor, inner) else {
            return;
        };
        self.fitted = true;
        if let Some(size) = fitted_size(inner.size(), monitor) {
            ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(size));
            let corner = ((monitor - size) / 2.0).max(egui::Vec2::ZERO);
            ctx.send_viewport_cmd(egui::ViewportCommand::OuterPosition(corner.to_pos2()));
        }
    }
}

/// The window size that fits a screen of `monitor` points, if `window` does
/// not: room is left for panels and title bars.
fn fitted_size(window: egui::Vec2, monitor: egui::Vec2) -> Option<egui::Vec2> {
    let room = egui::vec2(monitor.x * 0.96, monitor.y * 0.92);
    if window.x <= room.x && window.y <= room.y {
        return None;
    }
    Some(window.min(room))
}

impl eframe::App for FlowdeskApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        let start = Instant::now();
        while start.elapsed() < DRAIN_BUDGET {
            if let Some(response) = self.backend.try_recv() {
                self.handle_response(response);
            } else if let Some(event) = self.backend.try_event() {
                self.handle_event(event);
            } else {
                break;
            }
        }
        if start.elapsed() >= DRAIN_BUDGET {
            ctx.request_repaint();
        }
        if let Some(at) = self.refresh_runs_at {
            let now = Instant::now();
            if now >= at {
                self.refresh_runs_at = None;
                if let Some(id) = self.selected() {
                    self.request(Request::Runs(id));
                }
            } else {
                ctx.request_repaint_after(at - now);
            }
        }
        self.fit_to_screen(ctx);
        self.poll_dialogs();
        self.dropped_bundles(ctx);
        for action in std::mem::take(&mut self.actions) {
            self.apply(action, ctx);
        }
        self.server_logic(ctx);
        let title = match self.state.selected_benchmark() {
            Some(w) if self.state.persisted.tab.of_benchmark() => format!("flowdesk — {}", w.name),
            _ => "flowdesk".to_string(),
        };
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        if let Some(message) = &self.state.fatal {
            egui::CentralPanel::default().show(ui, |ui| {
                ui.heading("flowdesk cannot start");
                ui.label(message);
            });
            return;
        }
        self.shortcuts(&ctx);
        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar_ui(ui));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar_ui(ui));
        egui::Panel::left("benchmarks")
            .resizable(true)
            .default_size(250.0)
            .show(ui, |ui| {
                self.server_mode
                    .panel
                    .ui(ui, &self.state, &mut self.actions);
                self.benchmarks.ui(ui, &self.state, &mut self.actions)
            });
        egui::CentralPanel::default().show(ui, |ui| self.central_ui(ui));
        self.runs.compare_window(&ctx, &self.state);
        name_clash_ui(&ctx, &self.state, &mut self.actions);
        template_clash_ui(&ctx, &self.state, &mut self.actions);
        if let Some(prompt) = self.path_prompt.as_mut() {
            if let Some((purpose, path)) = prompt.ui(&ctx) {
                self.path_prompt = None;
                self.finish_dialog(purpose, path);
            }
        }
        if let Some(dialog) = self.server_mode.sign_in.as_mut() {
            if !dialog.ui(&ctx, &self.state, &mut self.actions) {
                self.server_mode.sign_in = None;
            }
        }
        if let Some(dialog) = self.server_mode.submit.as_mut() {
            if !dialog.ui(&ctx, &self.state, &mut self.actions) {
                self.server_mode.submit = None;
            }
        }
        if self.exit_after_first_frame && self.state.benchmarks_loaded {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        for dialog in &mut self.dialogs {
            dialog.show(&ctx);
        }
        self.toasts_ui(&ctx);
        self.persist_screens();
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        // The selected benchmark's open run and selection are kept with it.
        self.stash_benchmark_ui();
        eframe::set_value(storage, PERSIST_KEY, &self.state.persisted);
    }
}

/// The keys (with Ctrl, Cmd on macOS) of the benchmark's tabs.
const TAB_KEYS: [(egui::Key, Tab); 6] = [
    (egui::Key::Num1, Tab::Overview),
    (egui::Key::Num2, Tab::NewRun),
    (egui::Key::Num3, Tab::Runs),
    (egui::Key::Num4, Tab::RunDetail),
    (egui::Key::Num5, Tab::Leaderboard),
    (egui::Key::Num6, Tab::Submissions),
];

/// How the platform names the command modifier.
fn shortcut_modifier(ctx: &egui::Context) -> &'static str {
    if ctx.os() == egui::os::OperatingSystem::Mac {
        "Cmd"
    } else {
        "Ctrl"
    }
}

/// An install refused because its name is taken: the next free name, as
/// flowServ would give it, one click away.
fn name_clash_ui(ctx: &egui::Context, state: &AppState, actions: &mut Vec<Action>) {
    let Some(clash) = &state.name_clash else {
        return;
    };
    egui::Window::new("Name taken")
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| {
            ui.label(format!(
                "A benchmark named '{}' is already installed.",
                clash.name
            ));
            ui.label(format!(
                "Install this one as '{}'? (You can rename it later.)",
                clash.suggestion
            ));
            ui.horizontal(|ui| {
                if ui
                    .button(format!("Install as '{}'", clash.suggestion))
                    .clicked()
                {
                    let mut request = clash.request.clone();
                    request.name = Some(clash.suggestion.clone());
                    actions.push(Action::InstallAs(Box::new(request)));
                }
                if ui.button("Cancel").clicked() {
                    actions.push(Action::DismissNameClash);
                }
            });
        });
}

/// A bundle refused because the installed benchmark's template differs: the
/// differing files listed, and importing it anyway one click away.
fn template_clash_ui(ctx: &egui::Context, state: &AppState, actions: &mut Vec<Action>) {
    let Some(clash) = &state.template_clash else {
        return;
    };
    let modal = egui::Modal::new(egui::Id::unique("template_clash")).show(ctx, |ui| {
        ui.heading("A different template");
        ui.label(format!(
            "The bundle `{}` was made with a different template of '{}':",
            crate::display::shown(&clash.file),
            clash.benchmark
        ));
        for difference in &clash.differences {
            ui.label(format!("• {difference}"));
        }
        ui.label("Imported anyway, the run is marked 'different template' on the leaderboard.");
        ui.horizontal(|ui| {
            if ui.button("Import anyway").clicked() {
                actions.push(Action::ImportBundle {
                    file: clash.file.clone(),
                    force: true,
                });
            }
            if ui.button("Cancel").clicked() {
                actions.push(Action::DismissTemplateClash);
            }
        });
    });
    if modal.should_close() {
        actions.push(Action::DismissTemplateClash);
    }
}

#[cfg(test)]
mod tests {
    use super::fitted_size;
    use egui::vec2;

    #[test]
    fn a_window_larger_than_the_screen_is_shrunk_to_fit_it() {
        // The default 1280×800 on a 1024×768 screen.
        let fitted = fitted_size(vec2(1280.0, 800.0), vec2(1024.0, 768.0)).unwrap();
        assert!(fitted.x <= 1024.0 && fitted.y <= 768.0 * 0.92, "{fitted:?}");
        // Only the side that does not fit changes.
        let fitted = fitted_size(vec2(900.0, 1000.0), vec2(1920.0, 1080.0)).unwrap();
        assert_eq!(fitted.x, 900.0);
        assert!(fitted.y < 1000.0);
        // A window that fits stays as it is.
        assert_eq!(fitted_size(vec2(1280.0, 800.0), vec2(1920.0, 1080.0)), None);
    }
}
