//! What the screens share: the app state they read, the actions they push, the
//! tabs, and the [`Screen`] trait. Screens depend on this module and on the
//! client's view models, never on `app.rs` or on each other; the app fills the
//! state from backend responses and turns actions into requests.

use super::dialogs::DialogPurpose;
use crate::client::servers::ServerSummary;
use crate::client::view::{PackedTemplate, ResultCheck};
use crate::client::workbench::TryOutcome;
use crate::client::{
    Activity, BenchmarkDetail, BenchmarkSummary, Capabilities, ConnectionStatus, InstallSource,
    LeaderboardView, PostprocView, Preview, Provenance, Reproduction, RunDetail, RunRequest,
    RunRow, Submission, TemplateReport,
};
use crate::config::{Config, Settings};
use crate::template::SortColumn;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One screen: it draws from the state and pushes what the user asked for.
pub trait Screen {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>);

    /// Keep what should survive a restart (sort orders).
    fn persist(&self, _persisted: &mut Persisted) {}
}

/// The tabs of a selected benchmark, and the app-wide screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Tab {
    #[default]
    Overview,
    NewRun,
    Runs,
    RunDetail,
    Leaderboard,
    /// The caller's submissions to the selected benchmark (members on a server).
    Submissions,
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
            Tab::Submissions => "Submissions",
            Tab::TemplateCheck => "Template check",
            Tab::Settings => "Settings",
        }
    }

    /// Tabs that belong to the selected benchmark.
    pub fn of_benchmark(self) -> bool {
        !matches!(self, Tab::TemplateCheck | Tab::Settings)
    }
}

/// Sort order of the Runs table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsSort {
    /// `created`, `duration`, `state`, `submission` or a result column name.
    pub column: String,
    pub descending: bool,
}

impl Default for RunsSort {
    fn default() -> Self {
        RunsSort {
            column: "created".into(),
            descending: true,
        }
    }
}

/// Sort order and mode of the leaderboard. No column: the template's order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LeaderboardSort {
    pub column: Option<String>,
    pub descending: bool,
    pub all_runs: bool,
    /// Only runs whose latest reproduction reproduced them.
    pub reproduced_only: bool,
}

impl LeaderboardSort {
    /// The order to ask for (empty: the template's).
    pub fn order(&self) -> Vec<SortColumn> {
        match &self.column {
            Some(name) => vec![SortColumn {
                name: name.clone(),
                sort_desc: self.descending,
            }],
            None => Vec::new(),
        }
    }
}

/// What one benchmark's screens were left showing: it comes back when the
/// benchmark is selected again, and never shows on another benchmark (whose
/// result columns and runs differ).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BenchmarkUi {
    pub runs: RunsSort,
    pub leaderboard: LeaderboardSort,
    /// The run on the Run detail tab.
    pub open_run: Option<String>,
    /// The runs selected in the Runs table.
    pub selected_runs: Vec<String>,
    /// The columns the user hid in its tables.
    pub hidden_columns: HiddenColumns,
}

/// Columns hidden with a table's column chooser, by key: a result column's
/// name, or `submission`, `created`, … for the columns every run has. They
/// belong to one benchmark, as its result columns do.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HiddenColumns {
    pub runs: Vec<String>,
    pub leaderboard: Vec<String>,
}

impl HiddenColumns {
    /// Whether column `key` of the Runs table is hidden.
    pub fn runs_hides(&self, key: &str) -> bool {
        self.runs.iter().any(|k| k == key)
    }

    /// Whether column `key` of the leaderboard is hidden.
    pub fn leaderboard_hides(&self, key: &str) -> bool {
        self.leaderboard.iter().any(|k| k == key)
    }

    /// Hide (`shown` false) or show column `key` in `list`.
    pub fn set(list: &mut Vec<String>, key: &str, shown: bool) {
        list.retain(|k| k != key);
        if !shown {
            list.push(key.to_string());
        }
    }
}

/// Runs sort keys every benchmark has; the others are result column names.
const RUN_COLUMNS: [&str; 4] = ["state", "submission", "created", "duration"];

impl BenchmarkUi {
    /// Forget sorts on columns `columns` (the benchmark's result columns) do not
    /// have, as after its template changed; true if something was forgotten.
    pub fn keep_known_columns(&mut self, columns: &[&str]) -> bool {
        let mut changed = false;
        let runs = self.runs.column.as_str();
        if !RUN_COLUMNS.contains(&runs) && !columns.contains(&runs) {
            self.runs = RunsSort::default();
            changed = true;
        }
        if let Some(column) = &self.leaderboard.column {
            if !columns.contains(&column.as_str()) {
                self.leaderboard.column = None;
                changed = true;
            }
        }
        changed
    }
}

/// What survives a restart (eframe persistence, one file per home folder).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Persisted {
    pub selected_workflow: Option<String>,
    pub tab: Tab,
    /// The selected benchmark's leaderboard and runs order (the screens use
    /// these; [`Persisted::benchmarks`] keeps the other benchmarks').
    pub leaderboard: LeaderboardSort,
    pub runs: RunsSort,
    /// The selected benchmark's hidden table columns.
    pub hidden_columns: HiddenColumns,
    /// Every other benchmark's screen state, by [`Persisted::ui_key`].
    pub benchmarks: HashMap<String, BenchmarkUi>,
    pub dark_mode: bool,
    pub template_folder: Option<PathBuf>,
    /// The workbench's form values, per template folder: a coordinator's
    /// sample values survive a restart.
    pub workbench_values: HashMap<PathBuf, Map<String, Value>>,
}

impl Default for Persisted {
    fn default() -> Self {
        Persisted {
            selected_workflow: None,
            tab: Tab::Overview,
            leaderboard: Default::default(),
            runs: Default::default(),
            hidden_columns: Default::default(),
            benchmarks: HashMap::new(),
            dark_mode: true,
            template_folder: None,
            workbench_values: HashMap::new(),
        }
    }
}

impl Persisted {
    /// The key of benchmark `id` of `backend` (`None`: this computer) in
    /// [`Persisted::benchmarks`]: a server's benchmark may have a local one's id.
    pub fn ui_key(backend: Option<&str>, id: &str) -> String {
        match backend {
            None => id.to_string(),
            Some(server) => format!("{server}#{id}"),
        }
    }

    /// The selected benchmark's screen state, as the screens use it.
    pub fn current_ui(&self, open_run: Option<String>, selected_runs: Vec<String>) -> BenchmarkUi {
        BenchmarkUi {
            runs: self.runs.clone(),
            leaderboard: self.leaderboard.clone(),
            open_run,
            selected_runs,
            hidden_columns: self.hidden_columns.clone(),
        }
    }

    /// Make `ui` the selected benchmark's screen state.
    pub fn use_ui(&mut self, ui: &BenchmarkUi) {
        self.runs = ui.runs.clone();
        self.leaderboard = ui.leaderboard.clone();
        self.hidden_columns = ui.hidden_columns.clone();
    }
}

/// What the user is waiting for (a spinner shows after a moment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Loading {
    Benchmarks,
    Benchmark,
    Runs,
    Leaderboard,
    Run,
    Install,
    StartRun,
    Preview,
    Export,
    /// A run bundle being imported.
    Import,
}

/// A one-way message to a screen that it picks up in its next frame. Items
/// carry increasing numbers; a screen remembers the last one it applied, so
/// nothing is applied twice and nothing is lost while the screen is hidden.
#[derive(Debug, Clone)]
pub struct Inbox<T> {
    next: u64,
    items: VecDeque<(u64, T)>,
}

impl<T> Default for Inbox<T> {
    fn default() -> Self {
        Inbox {
            next: 1,
            items: VecDeque::new(),
        }
    }
}

impl<T> Inbox<T> {
    /// How many items are kept for screens that have not looked yet.
    const KEPT: usize = 32;

    pub fn push(&mut self, item: T) {
        self.items.push_back((self.next, item));
        self.next += 1;
        if self.items.len() > Self::KEPT {
            self.items.pop_front();
        }
    }

    /// Items newer than `seen`, oldest first.
    pub fn since(&self, seen: u64) -> impl Iterator<Item = (u64, &T)> + '_ {
        self.items
            .iter()
            .filter(move |(n, _)| *n > seen)
            .map(|(n, item)| (*n, item))
    }
}

/// What the New run form is told from outside.
#[derive(Debug, Clone, PartialEq)]
pub enum FormRequest {
    /// Load an earlier run's arguments (Re-run).
    Arguments {
        benchmark: String,
        arguments: Map<String, Value>,
        submission: Option<String>,
    },
    /// A submission was created: choose it.
    Submission(String),
    /// A file was chosen for a file parameter.
    File { parameter: String, path: PathBuf },
    /// A file was chosen for a file parameter of the workbench's form.
    TryFile { parameter: String, path: PathBuf },
    /// A result file was chosen for the workbench's schema check.
    ResultFile(PathBuf),
    /// An archive path was chosen for packing.
    PackArchive(PathBuf),
}

/// The backend's look at the file paths of the New run form: for each path
/// asked about, why it cannot be a run's input (`None`: a file is there, or
/// an upload of the submission has that id or name).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileChecks {
    pub benchmark: String,
    pub paths: HashMap<String, Option<String>>,
}

impl FileChecks {
    /// Why `path` cannot be used, if the backend found it cannot.
    pub fn problem(&self, path: &str) -> Option<String> {
        self.paths.get(path).cloned().flatten()
    }
}

/// What the Settings screen is told from outside.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingsRequest {
    /// A worker configuration file was chosen.
    WorkerConfig(PathBuf),
}

/// The last check of the template folder on the Template check screen.
#[derive(Debug, Clone)]
pub struct TemplateCheck {
    pub path: PathBuf,
    pub result: Result<TemplateReport, String>,
    pub checked_at: chrono::DateTime<chrono::Local>,
}

/// What the workbench (the Template check screen) asks the backend for.
#[derive(Debug, Clone)]
pub enum WorkbenchAction {
    /// Try the folder with these arguments, without installing it.
    Try {
        folder: PathBuf,
        arguments: Map<String, Value>,
    },
    CancelTry,
    /// Check a result file against the folder's result schema.
    CheckResult {
        folder: PathBuf,
        file: PathBuf,
    },
    /// Write the archive participants install.
    Pack {
        folder: PathBuf,
        out: PathBuf,
    },
    /// Expand the folder's workflow with the form's arguments (the steps and
    /// commands a run would execute).
    Expand {
        folder: PathBuf,
        arguments: Map<String, Value>,
    },
}

/// The workflow of the folder on the workbench, expanded with `arguments`.
#[derive(Debug, Clone)]
pub struct ExpandedView {
    pub folder: PathBuf,
    pub arguments: Map<String, Value>,
    pub result: Result<Preview, String>,
}

/// The try run on the workbench.
#[derive(Debug, Clone, Default)]
pub struct TryView {
    pub folder: PathBuf,
    pub run_id: Option<String>,
    /// The log so far (its last [`TryView::LOG_LIMIT`] bytes).
    pub log: String,
    pub outcome: Option<Result<Arc<TryOutcome>, String>>,
    /// The template changed since this try run started.
    pub stale: bool,
}

impl TryView {
    /// How much of a try run's log the workbench keeps.
    pub const LOG_LIMIT: usize = 512 * 1024;

    pub fn running(&self) -> bool {
        self.outcome.is_none()
    }

    /// Append to the log, keeping its tail within the limit.
    pub fn append_log(&mut self, text: &str) {
        self.log.push_str(text);
        if self.log.len() > Self::LOG_LIMIT {
            let mut cut = self.log.len() - Self::LOG_LIMIT;
            while !self.log.is_char_boundary(cut) {
                cut += 1;
            }
            self.log.drain(..cut);
        }
    }
}

/// The workbench's try run, expanded workflow, checked result file and
/// packed archive.
#[derive(Debug, Default)]
pub struct WorkbenchState {
    pub try_run: Option<TryView>,
    pub expanded: Option<ExpandedView>,
    pub result_check: Option<Result<ResultCheck, String>>,
    pub packed: Option<Result<PackedTemplate, String>>,
}

/// Data the screens show, filled from backend responses.
#[derive(Default)]
pub struct AppState {
    pub persisted: Persisted,
    pub config: Option<Config>,
    pub capabilities: Option<Capabilities>,
    /// Why the configured worker configuration cannot be used, if it cannot.
    pub worker_config_error: Option<String>,
    /// How many times the settings were saved and applied.
    pub settings_saved: u64,
    pub fatal: Option<String>,
    pub benchmarks: Vec<BenchmarkSummary>,
    pub benchmarks_loaded: bool,
    pub detail: Option<Arc<BenchmarkDetail>>,
    pub runs: Arc<Vec<RunRow>>,
    pub runs_for: Option<String>,
    pub leaderboard: Option<Arc<LeaderboardView>>,
    pub leaderboard_for: Option<String>,
    pub postproc: Option<Arc<PostprocView>>,
    pub run_detail: Option<Arc<RunDetail>>,
    pub activity: Activity,
    pub preview: Option<Result<Preview, String>>,
    /// What the backend found at the New run form's file paths.
    pub file_checks: Option<FileChecks>,
    /// The folder the Template check watches, and its latest check.
    pub watching: Option<PathBuf>,
    pub template_check: Option<TemplateCheck>,
    pub workbench: WorkbenchState,
    /// Requests in flight, by what the user waits for.
    pub loading: HashMap<Loading, Instant>,
    /// How often each run's log grew (screens compare with what they saw).
    pub log_signals: HashMap<String, u64>,
    pub form: Inbox<FormRequest>,
    pub settings: Inbox<SettingsRequest>,
    /// Run files made readable here, by run and file id.
    pub fetched: HashMap<(String, String), PathBuf>,
    /// The selected benchmark's own Python environment, and how far its
    /// creation is while one runs.
    pub environment: Option<crate::client::EnvironmentView>,
    pub environment_progress: Option<crate::client::EnvironmentProgressView>,
    /// An install whose name was taken, waiting for the user to take the
    /// suggested name (or not).
    pub name_clash: Option<NameClash>,
    /// Server mode: the servers on the list, which backend is shown (`None`:
    /// this computer), how the server is doing, and what the server screens
    /// were told.
    pub servers: Vec<ServerSummary>,
    pub backend: Option<String>,
    pub connection: Option<ConnectionStatus>,
    pub submissions: Option<(String, Vec<Submission>)>,
    /// Bytes sent and total of the upload in flight.
    pub upload: Option<(u64, u64)>,
    pub server_notices: Inbox<ServerNotice>,
    /// The provenance and reproductions of the run on the Run detail tab.
    pub run_records: Option<RunRecords>,
    /// Reproductions under way: the new run's id, and the original's.
    pub reproducing: HashMap<String, String>,
    /// A bundle refused because its template differs, waiting for the user
    /// to import it anyway (or not).
    pub template_clash: Option<TemplateClash>,
}

/// What a run was made from, and its reproductions (oldest first).
#[derive(Debug, Clone)]
pub struct RunRecords {
    pub run_id: String,
    /// `None` when nothing was recorded (or the backend keeps none).
    pub provenance: Option<Arc<Provenance>>,
    pub reproductions: Vec<Reproduction>,
}

/// A bundle import refused because the installed template differs.
#[derive(Debug, Clone)]
pub struct TemplateClash {
    pub file: PathBuf,
    pub benchmark: String,
    /// The files that differ, one line each.
    pub differences: Vec<String>,
}

/// An install refused because its name is taken.
#[derive(Debug, Clone)]
pub struct NameClash {
    pub request: crate::client::InstallRequest,
    pub name: String,
    pub suggestion: String,
}

/// What the server dialogs are told from outside.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerNotice {
    /// A server was added, or signed in to: close the dialog.
    Done(String),
    /// The dialog's request failed: show why.
    Failed(String),
}

/// What the server parts of the app ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerAction {
    /// Show this computer (`None`) or a server.
    Use(Option<String>),
    Add(String),
    SignIn {
        url: String,
        username: String,
        password: String,
        register: bool,
    },
    SignOut(String),
    Remove(String),
    /// Send a local run to a server's submission.
    Submit {
        run: String,
        server: String,
        submission: Option<String>,
        /// The benchmark there (default: the same id or name).
        benchmark: Option<String>,
    },
    LoadSubmissions(String),
    RenameSubmission {
        submission: String,
        name: String,
    },
    SetMembers {
        submission: String,
        members: Vec<String>,
    },
    DeleteSubmission(String),
    /// Open the sign-in dialog (for this server, or a new one).
    OpenSignIn(Option<String>),
    /// Open the dialog that sends a local run to a server.
    OpenSubmit(String),
}

impl AppState {
    pub fn selected_benchmark(&self) -> Option<&BenchmarkSummary> {
        self.detail.as_ref().map(|d| &d.benchmark)
    }

    /// True if `what` has been loading for long enough to show a spinner.
    pub fn is_loading(&self, what: Loading) -> bool {
        self.loading
            .get(&what)
            .is_some_and(|since| since.elapsed() > Duration::from_millis(100))
    }

    /// Whether the backend offers `operation` (everything until it said).
    pub fn supports(&self, operation: crate::client::Operation) -> bool {
        self.capabilities
            .as_ref()
            .is_none_or(|c| c.supports(operation))
    }

    /// The records of the run `run_id`, once loaded.
    pub fn records_of(&self, run_id: &str) -> Option<&RunRecords> {
        self.run_records.as_ref().filter(|r| r.run_id == run_id)
    }

    /// The run reproducing `run_id` right now, if one does.
    pub fn reproduction_of(&self, run_id: &str) -> Option<&str> {
        self.reproducing
            .iter()
            .find(|(_, original)| original.as_str() == run_id)
            .map(|(reproduction, _)| reproduction.as_str())
    }

    /// How often the log of `run_id` grew so far.
    pub fn log_signal(&self, run_id: &str) -> u64 {
        self.log_signals.get(run_id).copied().unwrap_or(0)
    }
}

/// What screens ask for.
#[derive(Debug)]
pub enum Action {
    SelectBenchmark(String),
    ShowTab(Tab),
    OpenRun(String),
    /// Load a run's arguments into the New run form.
    Rerun(Box<RunRow>),
    OpenDialog(DialogPurpose),
    Install(InstallSource),
    Uninstall(String),
    CreateSubmission {
        benchmark: String,
        name: String,
    },
    StartRun(RunRequest),
    /// Start `count` runs with the same arguments as one run set.
    StartRunSet {
        request: RunRequest,
        count: usize,
    },
    Preview(RunRequest),
    /// Look whether the New run form's file `paths` name files a run can use
    /// (a local file, or an upload of `submission`).
    CheckFiles {
        benchmark: String,
        submission: Option<String>,
        paths: Vec<String>,
    },
    CancelRun(String),
    DeleteRun(String),
    /// A new leaderboard order or mode: remember it and reload.
    SortLeaderboard(LeaderboardSort),
    /// The column chooser of a table changed: remember it for the benchmark.
    HideColumns(HiddenColumns),
    CheckTemplate(PathBuf),
    SaveSettings(Settings),
    SetDarkMode(bool),
    /// Open a file or folder with the desktop's programs.
    OpenPath(PathBuf),
    /// Make a run file readable here (download it, for a server run).
    FetchRunFile {
        run: String,
        file: String,
    },
    Notify(String),
    /// Install again under another name (after a name clash).
    InstallAs(Box<crate::client::InstallRequest>),
    /// Forget the name clash without installing.
    DismissNameClash,
    /// Create (or create again) a benchmark's Python environment.
    CreateEnvironment(String),
    RemoveEnvironment(String),
    /// Run a successful run again and compare; `tolerance` (`0.01`, `1%`)
    /// overrides the benchmark's setting.
    Reproduce {
        run: String,
        tolerance: Option<String>,
    },
    /// Import a run bundle; `force` also when its template differs.
    ImportBundle {
        file: PathBuf,
        force: bool,
    },
    /// Forget the refused bundle without importing it.
    DismissTemplateClash,
    Server(ServerAction),
    Workbench(WorkbenchAction),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sort_on_a_column_the_benchmark_lacks_is_forgotten() {
        let mut ui = BenchmarkUi {
            runs: RunsSort {
                column: "accuracy".into(),
                descending: false,
            },
            leaderboard: LeaderboardSort {
                column: Some("accuracy".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(!ui.keep_known_columns(&["accuracy", "f1"]));
        assert_eq!(ui.runs.column, "accuracy");
        assert!(ui.keep_known_columns(&["avg_count"]));
        assert_eq!(ui.runs, RunsSort::default());
        assert_eq!(ui.leaderboard.column, None);
        // The columns every run has are always there.
        ui.runs.column = "duration".into();
        assert!(!ui.keep_known_columns(&[]));
    }

    #[test]
    fn a_servers_benchmark_is_kept_apart_from_a_local_one_with_its_id() {
        assert_ne!(
            Persisted::ui_key(None, "hello"),
            Persisted::ui_key(Some("https://rob.example.org"), "hello")
        );
    }

    #[test]
    fn an_inbox_hands_out_each_item_once_per_reader() {
        let mut inbox = Inbox::default();
        inbox.push("a");
        inbox.push("b");
        let seen: Vec<_> = inbox.since(0).collect();
        assert_eq!(seen, [(1, &"a"), (2, &"b")]);
        inbox.push("c");
        assert_eq!(inbox.since(2).collect::<Vec<_>>(), [(3, &"c")]);
        for i in 0..100 {
            inbox.push("x");
            assert!(inbox.since(0).count() <= 32, "{i}");
        }
    }
}
