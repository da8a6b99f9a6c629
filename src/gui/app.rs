//! The application: state shared by the screens, the actions they push, and the
//! eframe hooks. `logic()` drains the backend channel (bounded in time) and
//! applies actions; `ui()` only draws. Screens never call the service: they read
//! `AppState` and push `Action`s, which become backend `Request`s here.

use super::backend::{
    Backend, PostprocOutputs, Request, Response, RunDetail, RunRow, WorkflowDetail,
};
use super::dialogs::{Dialog, DialogPurpose};
use super::{
    benchmarks, leaderboard, new_run, overview, run_detail, runs, settings, template_check,
};
use crate::config::Config;
use crate::model::RunState;
use crate::service::{InstallOptions, InstallSource, ServiceEvent};
use crate::service::{Leaderboard, RunRecord, WorkflowRecord};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The tabs of a selected benchmark, and the app-wide screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Tab {
    #[default]
    Overview,
    NewRun,
    Runs,
    RunDetail,
    Leaderboard,
    TemplateCheck,
    Settings,
}

impl Tab {
    pub fn title(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::NewRun => "New run",
            Tab::Runs => "Runs",
            Tab::RunDetail => "Run detail",
            Tab::Leaderboard => "Leaderboard",
            Tab::TemplateCheck => "Template check",
            Tab::Settings => "Settings",
        }
    }
}

/// What survives a restart (eframe persistence).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Persisted {
    pub selected_workflow: Option<String>,
    pub tab: Tab,
    pub leaderboard: leaderboard::Sort,
    pub runs: runs::Sort,
    pub dark_mode: bool,
    pub template_folder: Option<PathBuf>,
}

impl Default for Persisted {
    fn default() -> Self {
        Persisted {
            selected_workflow: None,
            tab: Tab::Overview,
            leaderboard: Default::default(),
            runs: Default::default(),
            dark_mode: true,
            template_folder: None,
        }
    }
}

/// Data the screens show, filled from backend responses.
#[derive(Default)]
pub struct AppState {
    pub config: Option<Config>,
    pub fatal: Option<String>,
    pub workflows: Vec<WorkflowRecord>,
    pub workflows_loaded: bool,
    pub detail: Option<WorkflowDetail>,
    pub runs: Vec<RunRow>,
    pub runs_loaded_for: Option<String>,
    pub leaderboard: Option<Arc<Leaderboard>>,
    pub leaderboard_for: Option<String>,
    pub postproc: Option<PostprocOutputs>,
    pub run_detail: Option<RunDetail>,
    pub activity: (usize, usize),
    pub preview: Option<Result<crate::workflow::SerialWorkflow, String>>,
    pub template_check: Option<(
        PathBuf,
        Result<Box<crate::template::TemplateFolder>, String>,
    )>,
    /// Requests in flight, by what the user is waiting for (spinners).
    pub loading: std::collections::HashMap<&'static str, Instant>,
}

impl AppState {
    pub fn selected_workflow(&self) -> Option<&WorkflowRecord> {
        self.detail.as_ref().map(|d| &d.record)
    }

    /// True if `what` has been loading for long enough to show a spinner.
    pub fn is_loading(&self, what: &str) -> bool {
        self.loading
            .get(what)
            .is_some_and(|since| since.elapsed() > Duration::from_millis(100))
    }
}

/// What screens ask for.
#[derive(Debug)]
pub enum Action {
    SelectWorkflow(String),
    ShowTab(Tab),
    OpenRun(String),
    Backend(Request),
    /// Load a run's arguments into the New run form.
    Rerun(Box<RunRecord>),
    OpenDialog(DialogPurpose),
    InstallFrom(InstallSource),
    Notify(String),
    SetDarkMode(bool),
    CheckTemplate(PathBuf),
    ReloadLeaderboard,
}

/// A short message in the corner.
struct Toast {
    text: String,
    error: bool,
    detail: Option<String>,
    shown: Instant,
}

pub struct FlowdeskApp {
    backend: Backend,
    pub persisted: Persisted,
    pub state: AppState,
    actions: Vec<Action>,
    toasts: Vec<Toast>,
    dialogs: Vec<Dialog>,
    benchmarks: benchmarks::BenchmarksPanel,
    overview: overview::OverviewScreen,
    new_run: new_run::NewRunScreen,
    runs: runs::RunsScreen,
    run_detail: run_detail::RunDetailScreen,
    leaderboard: leaderboard::LeaderboardScreen,
    template_check: template_check::TemplateCheckScreen,
    settings: settings::SettingsScreen,
    title: String,
    /// A run list refresh is due (events arrive in bursts; refresh at most ~5/s).
    refresh_runs_at: Option<Instant>,
    /// `FLOWDESK_EXIT_AFTER_FIRST_FRAME`: close after the first frame that shows
    /// the benchmarks, so `time flowdesk` measures the cold start.
    exit_after_first_frame: bool,
}

const PERSIST_KEY: &str = "flowdesk";

impl FlowdeskApp {
    /// Create the app; `open` is a template folder or archive to check at once.
    pub fn new(cc: &eframe::CreationContext<'_>, config: Config, open: Option<PathBuf>) -> Self {
        let persisted: Persisted = cc
            .storage
            .and_then(|storage| eframe::get_value(storage, PERSIST_KEY))
            .unwrap_or_default();
        let ctx = cc.egui_ctx.clone();
        let mut app = FlowdeskApp::with_backend(
            Backend::start(config, move || ctx.request_repaint()),
            persisted,
        );
        cc.egui_ctx.set_theme(if app.persisted.dark_mode {
            egui::Theme::Dark
        } else {
            egui::Theme::Light
        });
        if let Some(folder) = open {
            app.actions.push(Action::CheckTemplate(folder));
        } else if let Some(folder) = app.persisted.template_folder.clone() {
            if app.persisted.tab == Tab::TemplateCheck {
                app.actions.push(Action::CheckTemplate(folder));
            }
        }
        app
    }

    /// Run ids selected in the Runs table.
    pub fn selected_runs(&self) -> &[String] {
        self.runs.selected()
    }

    fn with_backend(backend: Backend, persisted: Persisted) -> Self {
        backend.send(Request::Workflows);
        let mut state = AppState::default();
        state.loading.insert("workflows", Instant::now());
        FlowdeskApp {
            backend,
            runs: runs::RunsScreen::new(persisted.runs.clone()),
            leaderboard: leaderboard::LeaderboardScreen::new(persisted.leaderboard.clone()),
            persisted,
            state,
            actions: Vec::new(),
            toasts: Vec::new(),
            dialogs: Vec::new(),
            benchmarks: Default::default(),
            overview: Default::default(),
            new_run: Default::default(),
            run_detail: Default::default(),
            template_check: Default::default(),
            settings: Default::default(),
            title: String::new(),
            refresh_runs_at: None,
            exit_after_first_frame: std::env::var_os("FLOWDESK_EXIT_AFTER_FIRST_FRAME").is_some(),
        }
    }

    fn request(&mut self, request: Request) {
        let what = match &request {
            Request::Workflow { .. } => Some("workflow"),
            Request::Runs { .. } => Some("runs"),
            Request::Leaderboard { .. } => Some("leaderboard"),
            Request::RunDetail { .. } => Some("run"),
            Request::Install { .. } => Some("install"),
            Request::StartRun(_) => Some("start"),
            Request::Preview { .. } => Some("preview"),
            _ => None,
        };
        if let Some(what) = what {
            self.state.loading.entry(what).or_insert_with(Instant::now);
        }
        self.backend.send(request);
    }

    fn notify(&mut self, text: impl Into<String>, error: bool, detail: Option<String>) {
        self.toasts.push(Toast {
            text: text.into(),
            error,
            detail,
            shown: Instant::now(),
        });
    }

    fn reload_selected(&mut self) {
        if let Some(id) = self.persisted.selected_workflow.clone() {
            self.request(Request::Workflow { id: id.clone() });
            self.request(Request::Runs {
                workflow_id: id.clone(),
            });
            self.request_leaderboard(&id);
        }
    }

    fn request_leaderboard(&mut self, workflow_id: &str) {
        let (order, all) = self.leaderboard.query();
        self.request(Request::Leaderboard {
            workflow_id: workflow_id.to_string(),
            order,
            all,
        });
    }

    fn handle_response(&mut self, response: Response) {
        match response {
            Response::Fatal(message) => self.state.fatal = Some(message),
            Response::Ready {
                config,
                worker_config_error,
            } => {
                self.settings.load(&config);
                self.settings.worker_config_error = worker_config_error.clone();
                if let Some(error) = worker_config_error {
                    self.notify("The worker configuration cannot be used", true, Some(error));
                }
                self.state.config = Some(config);
            }
            Response::Workflows(list) => {
                self.state.loading.remove("workflows");
                self.state.workflows_loaded = true;
                self.state.workflows = list;
                let selected = self.persisted.selected_workflow.clone();
                let still_there = selected
                    .as_ref()
                    .is_some_and(|id| self.state.workflows.iter().any(|w| &w.id == id));
                if !still_there {
                    self.persisted.selected_workflow =
                        self.state.workflows.first().map(|w| w.id.clone());
                    self.state.detail = None;
                }
                if self.state.detail.is_none() {
                    self.reload_selected();
                }
            }
            Response::Workflow(detail) => {
                self.state.loading.remove("workflow");
                if Some(&detail.record.id) == self.persisted.selected_workflow.as_ref() {
                    self.new_run.set_template(&detail);
                    self.state.detail = Some(*detail);
                }
            }
            Response::Runs { workflow_id, rows } => {
                self.state.loading.remove("runs");
                if Some(&workflow_id) == self.persisted.selected_workflow.as_ref() {
                    self.state.runs = rows;
                    self.state.runs_loaded_for = Some(workflow_id);
                }
            }
            Response::Leaderboard {
                workflow_id,
                board,
                postproc,
            } => {
                self.state.loading.remove("leaderboard");
                if Some(&workflow_id) == self.persisted.selected_workflow.as_ref() {
                    self.state.leaderboard = board;
                    self.state.leaderboard_for = Some(workflow_id);
                    self.leaderboard.set_postproc(postproc.as_ref());
                    self.state.postproc = postproc;
                }
            }
            Response::RunDetail(detail) => {
                self.state.loading.remove("run");
                self.run_detail.show(&detail);
                self.state.run_detail = Some(*detail);
            }
            Response::Installed(record) => {
                self.state.loading.remove("install");
                self.select_workflow(record.id);
            }
            Response::Uninstalled(id) => {
                if self.persisted.selected_workflow.as_ref() == Some(&id) {
                    self.persisted.selected_workflow = None;
                    self.state.detail = None;
                }
            }
            Response::SubmissionCreated(submission) => {
                self.new_run.submission = Some(submission.id.clone());
                self.notify(
                    format!("Created submission '{}'", submission.name),
                    false,
                    None,
                );
                self.reload_selected();
            }
            Response::RunStarted(run) => {
                self.state.loading.remove("start");
                self.notify(format!("Run {} started", run.id), false, None);
                self.persisted.tab = Tab::Runs;
                if let Some(id) = &self.persisted.selected_workflow {
                    let id = id.clone();
                    self.request(Request::Runs { workflow_id: id });
                }
            }
            Response::Preview {
                workflow_id,
                result,
            } => {
                self.state.loading.remove("preview");
                if Some(&workflow_id) == self.persisted.selected_workflow.as_ref() {
                    self.state.preview = Some(result);
                }
            }
            Response::TemplateChecked { folder, result } => {
                self.template_check.loaded(&folder, &result);
                self.state.template_check = Some((folder, result));
            }
            Response::Notice(text) => {
                self.notify(text, false, None);
                self.reload_selected();
            }
            Response::Error { action, message } => {
                for what in [
                    "install",
                    "start",
                    "preview",
                    "run",
                    "runs",
                    "leaderboard",
                    "workflow",
                ] {
                    self.state.loading.remove(what);
                }
                self.notify(format!("{action} failed"), true, Some(message));
            }
            Response::Activity { running, queued } => self.state.activity = (running, queued),
            Response::Event(event) => self.handle_event(event),
        }
    }

    fn handle_event(&mut self, event: ServiceEvent) {
        match event {
            ServiceEvent::LogGrew { run_id } => {
                self.run_detail.log_appended(&run_id);
            }
            ServiceEvent::Problem { run_id, message } => {
                let text = match run_id {
                    Some(id) => format!("Run {id}: a problem in the background"),
                    None => "A problem in the background".to_string(),
                };
                self.notify(text, true, Some(message));
            }
            ServiceEvent::RunChanged { run_id } => {
                self.schedule_runs_refresh();
                if self
                    .state
                    .run_detail
                    .as_ref()
                    .is_some_and(|d| d.run.id == run_id)
                {
                    self.request(Request::RunDetail { run_id });
                }
            }
            ServiceEvent::RunFinished { run_id, state } => {
                let text = match state {
                    RunState::Success => format!("Run {run_id} finished successfully"),
                    RunState::Canceled => format!("Run {run_id} was canceled"),
                    _ => format!("Run {run_id} failed"),
                };
                self.notify(text, state == RunState::Error, None);
                self.schedule_runs_refresh();
                if let Some(id) = self.persisted.selected_workflow.clone() {
                    self.request_leaderboard(&id);
                }
                if self
                    .state
                    .run_detail
                    .as_ref()
                    .is_some_and(|d| d.run.id == run_id)
                {
                    self.request(Request::RunDetail { run_id });
                }
            }
        }
    }

    fn schedule_runs_refresh(&mut self) {
        if self.refresh_runs_at.is_none() {
            self.refresh_runs_at = Some(Instant::now() + Duration::from_millis(200));
        }
    }

    fn select_workflow(&mut self, id: String) {
        if self.persisted.selected_workflow.as_ref() != Some(&id) {
            self.state.detail = None;
            self.state.runs.clear();
            self.state.runs_loaded_for = None;
            self.state.leaderboard = None;
            self.state.leaderboard_for = None;
            self.state.postproc = None;
            self.state.preview = None;
            self.runs.clear_selection();
        }
        self.persisted.selected_workflow = Some(id);
        if matches!(
            self.persisted.tab,
            Tab::TemplateCheck | Tab::Settings | Tab::RunDetail
        ) {
            self.persisted.tab = Tab::Overview;
        }
        self.reload_selected();
    }

    fn apply(&mut self, action: Action, ctx: &egui::Context) {
        match action {
            Action::SelectWorkflow(id) => self.select_workflow(id),
            Action::ShowTab(tab) => {
                self.persisted.tab = tab;
                if tab == Tab::Leaderboard {
                    if let Some(id) = self.persisted.selected_workflow.clone() {
                        self.request_leaderboard(&id);
                    }
                }
            }
            Action::OpenRun(run_id) => {
                self.persisted.tab = Tab::RunDetail;
                self.request(Request::RunDetail { run_id });
            }
            Action::Backend(request) => self.request(request),
            Action::Rerun(run) => {
                if let Some(detail) = &self.state.detail {
                    self.new_run.load_arguments(detail, &run);
                }
                self.persisted.tab = Tab::NewRun;
            }
            Action::OpenDialog(purpose) => self.dialogs.push(Dialog::open(purpose, ctx.clone())),
            Action::InstallFrom(source) => self.request(Request::Install {
                source,
                options: InstallOptions::default(),
            }),
            Action::Notify(text) => self.notify(text, false, None),
            Action::SetDarkMode(dark) => {
                self.persisted.dark_mode = dark;
                ctx.set_theme(if dark {
                    egui::Theme::Dark
                } else {
                    egui::Theme::Light
                });
            }
            Action::CheckTemplate(folder) => {
                self.persisted.template_folder = Some(folder.clone());
                self.persisted.tab = Tab::TemplateCheck;
                self.template_check.watching(&folder);
                self.backend.send(Request::WatchTemplate {
                    folder: Some(folder),
                });
            }
            Action::ReloadLeaderboard => {
                if let Some(id) = self.persisted.selected_workflow.clone() {
                    self.request_leaderboard(&id);
                }
            }
        }
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
            let Some(path) = path else { continue };
            let action = match purpose {
                DialogPurpose::InstallFolder | DialogPurpose::InstallArchive => {
                    Action::InstallFrom(InstallSource::detect(&path.to_string_lossy()))
                }
                DialogPurpose::TemplateFolder => Action::CheckTemplate(path),
                DialogPurpose::ExportRun(run_id) => {
                    Action::Backend(Request::ExportRun { run_id, path })
                }
                DialogPurpose::ExportLeaderboard => {
                    match self.persisted.selected_workflow.clone() {
                        Some(workflow_id) => {
                            let (order, all) = self.leaderboard.query();
                            Action::Backend(Request::ExportLeaderboard {
                                workflow_id,
                                order,
                                all,
                                path,
                            })
                        }
                        None => continue,
                    }
                }
                DialogPurpose::FileArgument(name) => {
                    self.new_run.set_file(&name, path);
                    continue;
                }
                DialogPurpose::WorkerConfig => {
                    self.settings.worker_config = path.to_string_lossy().into_owned();
                    continue;
                }
            };
            self.actions.push(action);
        }
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let (running, queued) = self.state.activity;
            if running + queued > 0 {
                ui.spinner();
            }
            ui.label(format!("{running} running, {queued} queued"));
            ui.separator();
            if let Some(config) = &self.state.config {
                ui.label(egui::RichText::new(format!("Home: {}", config.home.display())).weak());
            }
        });
    }

    fn toasts_ui(&mut self, ctx: &egui::Context) {
        self.toasts
            .retain(|t| t.error || t.shown.elapsed() < Duration::from_secs(6));
        if self.toasts.is_empty() {
            return;
        }
        // Fade out without repainting continuously: one repaint when the next toast expires.
        if let Some(next) = self
            .toasts
            .iter()
            .filter(|t| !t.error)
            .map(|t| Duration::from_secs(6).saturating_sub(t.shown.elapsed()))
            .min()
        {
            ctx.request_repaint_after(next);
        }
        let mut dismiss = None;
        egui::Area::new(egui::Id::unique("toasts"))
            .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -36.0))
            .show(ctx, |ui| {
                for (i, toast) in self.toasts.iter().enumerate().rev().take(4) {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.set_max_width(360.0);
                        let text = egui::RichText::new(&toast.text);
                        ui.horizontal(|ui| {
                            if toast.error {
                                ui.colored_label(ui.visuals().error_fg_color, text.strong());
                            } else {
                                ui.label(text);
                            }
                            if ui.small_button("Dismiss").clicked() {
                                dismiss = Some(i);
                            }
                        });
                        if let Some(detail) = &toast.detail {
                            ui.collapsing("Details", |ui| {
                                ui.add(egui::Label::new(detail).wrap());
                            });
                        }
                    });
                }
            });
        if let Some(i) = dismiss {
            self.toasts.remove(i);
        }
    }
}

impl eframe::App for FlowdeskApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        // Drain responses for at most ~8 ms so a burst of log events never stalls a frame.
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(8) {
            match self.backend.try_recv() {
                Some(response) => self.handle_response(response),
                None => break,
            }
        }
        if start.elapsed() >= Duration::from_millis(8) {
            ctx.request_repaint();
        }
        if let Some(at) = self.refresh_runs_at {
            let now = Instant::now();
            if now >= at {
                self.refresh_runs_at = None;
                if let Some(id) = self.persisted.selected_workflow.clone() {
                    self.request(Request::Runs { workflow_id: id });
                }
            } else {
                ctx.request_repaint_after(at - now);
            }
        }
        self.poll_dialogs();
        let actions = std::mem::take(&mut self.actions);
        for action in actions {
            self.apply(action, ctx);
        }
        let title = match self.state.selected_workflow() {
            Some(w) if !matches!(self.persisted.tab, Tab::TemplateCheck | Tab::Settings) => {
                format!("flowdesk — {}", w.name)
            }
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
        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading("flowdesk");
                ui.separator();
                if ui
                    .selectable_label(self.persisted.tab == Tab::TemplateCheck, "Template check")
                    .clicked()
                {
                    self.actions.push(Action::ShowTab(Tab::TemplateCheck));
                }
                if ui
                    .selectable_label(self.persisted.tab == Tab::Settings, "Settings")
                    .clicked()
                {
                    self.actions.push(Action::ShowTab(Tab::Settings));
                }
            });
        });
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar(ui));
        egui::Panel::left("benchmarks")
            .resizable(true)
            .default_size(250.0)
            .show(ui, |ui| {
                self.benchmarks.ui(
                    ui,
                    &self.state,
                    self.persisted.selected_workflow.as_deref(),
                    &mut self.actions,
                )
            });
        egui::CentralPanel::default().show(ui, |ui| {
            let tab = self.persisted.tab;
            if !matches!(tab, Tab::TemplateCheck | Tab::Settings) {
                if self.state.detail.is_none() {
                    if self.state.workflows_loaded && self.state.workflows.is_empty() {
                        ui.heading("No benchmarks installed");
                        ui.label("Install one from a folder, an archive or a git URL with the buttons on the left.");
                    } else {
                        ui.spinner();
                    }
                    return;
                }
                ui.horizontal(|ui| {
                    for t in [Tab::Overview, Tab::NewRun, Tab::Runs, Tab::RunDetail, Tab::Leaderboard] {
                        if t == Tab::RunDetail && self.state.run_detail.is_none() {
                            continue;
                        }
                        if ui.selectable_label(tab == t, t.title()).clicked() {
                            self.actions.push(Action::ShowTab(t));
                        }
                    }
                });
                ui.separator();
            }
            match tab {
                Tab::Overview => self.overview.ui(ui, &self.state),
                Tab::NewRun => self.new_run.ui(ui, &self.state, &mut self.actions),
                Tab::Runs => self.runs.ui(ui, &self.state, &mut self.actions),
                Tab::RunDetail => self.run_detail.ui(ui, &self.state, &mut self.actions),
                Tab::Leaderboard => self.leaderboard.ui(ui, &self.state, &mut self.actions),
                Tab::TemplateCheck => self.template_check.ui(ui, &self.state, &mut self.actions),
                Tab::Settings => self.settings.ui(ui, &self.state, self.persisted.dark_mode, &mut self.actions),
            }
        });
        self.runs.compare_window(&ctx, &self.state);
        if self.exit_after_first_frame && self.state.workflows_loaded {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        self.toasts_ui(&ctx);
        self.persisted.runs = self.runs.sort.clone();
        self.persisted.leaderboard = self.leaderboard.sort.clone();
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, PERSIST_KEY, &self.persisted);
    }
}
