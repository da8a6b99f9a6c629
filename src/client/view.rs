//! The view models the client hands out: plain structs with values already typed
//! and labelled, the same whichever backend produced them. Nothing here is a
//! store record or a template internal; parameter declarations and result columns
//! are the template language's own domain types, so a form validates exactly as
//! a run will.

use crate::model::{RunProgress, RunState};
use crate::template::{
    Lint, OutputFile, Parameter, ParameterGroup, ResultColumn, ResultSchema, ResultValue,
    SchemaCheck, SortColumn,
};
use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::sync::Arc;

/// What a run was made from and with (see [`crate::model::provenance`]).
pub use crate::model::provenance::Provenance;

/// A benchmark in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchmarkSummary {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// Where it was installed from (folder, archive, URL), when the backend knows.
    pub source: Option<String>,
    #[serde(rename = "createdAt")]
    pub created_at: Option<DateTime<Utc>>,
}

/// A benchmark with everything its screens show.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchmarkDetail {
    pub benchmark: BenchmarkSummary,
    /// Markdown.
    pub instructions: Option<String>,
    /// Parameters in form order.
    pub parameters: Vec<Parameter>,
    pub groups: Vec<ParameterGroup>,
    /// How runs are ranked; `None` when they are not.
    pub results: Option<ResultSchema>,
    /// Run files the template presents to users (`outputs`).
    pub outputs: Option<Vec<OutputFile>>,
    /// Whether the benchmark post-processes its ranking.
    pub has_postproc: bool,
    /// The caller's submissions.
    pub submissions: Vec<Submission>,
}

impl BenchmarkDetail {
    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.name == name)
    }

    /// The result columns, empty when runs are not ranked.
    pub fn columns(&self) -> &[ResultColumn] {
        self.results
            .as_ref()
            .map(|s| s.columns.as_slice())
            .unwrap_or_default()
    }
}

/// A submission (flowServ's group): the entry on the leaderboard that owns runs
/// and uploaded files.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Submission {
    pub id: String,
    #[serde(rename = "workflow")]
    pub benchmark_id: String,
    pub name: String,
    #[serde(rename = "createdAt")]
    pub created_at: Option<DateTime<Utc>>,
    /// User names (a server's submissions have members).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    /// Runs use the submission's own worker configuration.
    #[serde(skip)]
    pub own_workers: bool,
}

/// A file uploaded to a submission.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Upload {
    pub id: String,
    #[serde(skip)]
    pub submission_id: String,
    pub name: String,
    pub size: u64,
    /// Known when the backend computed it.
    pub sha256: Option<String>,
    #[serde(rename = "createdAt")]
    pub created_at: Option<DateTime<Utc>>,
}

/// A run to start.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunRequest {
    /// Benchmark id or name.
    pub benchmark: String,
    /// Submission id or name; the benchmark's first submission when `None`.
    pub submission: Option<String>,
    /// Argument values by parameter name, as the template's casting accepts them.
    /// A file argument is a local path or an upload id, or
    /// `{"value": path-or-id, "as": target}`.
    pub arguments: Map<String, Value>,
    /// The run must go on after the caller exits (a command that returns at
    /// once). A server's runs always do.
    pub detach: bool,
}

/// Which runs to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunQuery {
    /// Benchmark id or name; every benchmark when `None`.
    pub benchmark: Option<String>,
    pub submission: Option<String>,
    pub state: Option<RunState>,
}

/// One run as a row: its state, times, arguments and result cells.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub id: String,
    pub benchmark_id: String,
    pub submission_id: Option<String>,
    /// The submission's name; "post-processing" for a post-processing run.
    pub submission: String,
    pub state: RunState,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub progress: Option<RunProgress>,
    pub arguments: Map<String, Value>,
    /// Why it failed or was canceled.
    pub messages: Vec<String>,
    /// The benchmark's result columns, shared by all rows of one benchmark.
    pub columns: Arc<[ResultColumn]>,
    /// One value per column (all `None` unless the run succeeded).
    pub values: Vec<Option<ResultValue>>,
    /// For a PENDING run waiting for a free run slot: its place in the queue
    /// (1 = next), across every process of the home folder; `None` otherwise.
    pub queue_position: Option<usize>,
}

impl RunRow {
    /// The state as people read it: a queued run says where it is in line
    /// (`PENDING (2nd in queue)`).
    pub fn state_text(&self) -> String {
        match self.queue_position {
            Some(position) => format!(
                "{} ({} in queue)",
                self.state.as_str(),
                super::format::ordinal(position)
            ),
            None => self.state.as_str().to_string(),
        }
    }

    /// Seconds from start to finish, once the run has both.
    pub fn duration(&self) -> Option<f64> {
        let started = self.started_at?;
        let finished = self.finished_at?;
        Some((finished - started).as_seconds_f64())
    }

    /// The cell of result column `name`.
    pub fn value(&self, name: &str) -> Option<&ResultValue> {
        let index = self.columns.iter().position(|c| c.name == name)?;
        self.values.get(index)?.as_ref()
    }

    /// Labelled result cells in column order.
    pub fn results(&self) -> impl Iterator<Item = (&ResultColumn, Option<&ResultValue>)> + '_ {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c, self.values.get(i).and_then(Option::as_ref)))
    }

    /// Whether any result value was stored.
    pub fn has_results(&self) -> bool {
        self.values.iter().any(Option::is_some)
    }
}

/// A list of runs, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunList {
    pub rows: Vec<RunRow>,
}

/// An output file of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunFileView {
    /// What to ask the backend for (the file key locally, the file id on a server).
    pub id: String,
    /// The relative path inside the run.
    pub name: String,
    pub size: u64,
    /// Known when the backend computed it.
    pub sha256: Option<String>,
    /// Where the file is on this computer, when it is (a local run's folder).
    pub local_path: Option<PathBuf>,
}

/// A run with its files.
#[derive(Debug, Clone, PartialEq)]
pub struct RunDetail {
    pub run: RunRow,
    pub files: Vec<RunFileView>,
    /// The run folder, for a run on this computer.
    pub folder: Option<PathBuf>,
    /// The log file, for a backend that keeps logs.
    pub log: Option<PathBuf>,
}

/// How to rank.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeaderboardQuery {
    /// Benchmark id or name.
    pub benchmark: String,
    /// Empty: the template's own order.
    pub order: Vec<SortColumn>,
    /// Every successful run instead of the best per submission.
    pub all_runs: bool,
    /// Only runs whose latest reproduction reproduced them
    /// ([`Operation::Reproduce`](super::Operation::Reproduce)).
    pub reproduced_only: bool,
}

/// One ranked run (or run set).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeaderboardRow {
    /// 1-based.
    pub rank: usize,
    pub run_id: String,
    pub submission_id: String,
    pub submission: String,
    pub created_at: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// Seconds from start to finish.
    pub duration: f64,
    /// One value per column of the leaderboard; for a run set the mean of
    /// each numeric column.
    pub values: Vec<Option<ResultValue>>,
    /// Set when the row stands for a run set (`run_id` is its newest run).
    pub run_set: Option<RunSetLine>,
    /// Where the run came from and how its latest reproduction went.
    pub badges: RunBadges,
}

/// A run set on the leaderboard: its runs and the spread of each column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSetLine {
    pub id: String,
    /// Its successful runs, oldest first.
    pub runs: Vec<String>,
    /// One per column of the leaderboard; `None` for text columns and columns
    /// without values.
    pub spreads: Vec<Option<ColumnSpread>>,
}

/// Mean, sample standard deviation (as Python's `statistics.stdev`) and count
/// of a column's values in a run set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ColumnSpread {
    pub mean: f64,
    /// `None` for a single value.
    pub std: Option<f64>,
    pub n: usize,
}

impl ColumnSpread {
    /// `mean ± std (n=5)`, as both faces show it.
    pub fn text(&self) -> String {
        super::format::spread_text(self.mean, self.std, self.n)
    }
}

/// What a row is marked with.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RunBadges {
    /// Imported from a bundle.
    pub imported: bool,
    /// Imported with `--force` from a bundle of a different template.
    pub different_template: bool,
    /// How its latest finished reproduction came out.
    pub reproduction: Option<ReproductionOutcome>,
    /// That reproduction's largest deviation of a value.
    pub max_deviation: Option<f64>,
}

impl RunBadges {
    /// The marks in words, as both faces show them: `imported` or `imported
    /// (different template)`, then the latest reproduction's outcome.
    pub fn marks(&self) -> Vec<String> {
        let mut marks = Vec::new();
        if self.different_template {
            marks.push("imported (different template)".to_string());
        } else if self.imported {
            marks.push("imported".to_string());
        }
        if let Some(outcome) = self.reproduction {
            marks.push(outcome.label().to_string());
        }
        marks
    }
}

/// How a reproduction came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReproductionOutcome {
    /// Every output file and result value the same.
    Reproduced,
    /// Every value within the tolerance; something differs.
    WithinTolerance,
    Differs,
}

impl ReproductionOutcome {
    /// As a badge and a message say it.
    pub fn label(self) -> &'static str {
        match self {
            ReproductionOutcome::Reproduced => "reproduced",
            ReproductionOutcome::WithinTolerance => "reproduced within tolerance",
            ReproductionOutcome::Differs => "differs",
        }
    }

    /// As JSON says it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReproductionOutcome::Reproduced => "reproduced",
            ReproductionOutcome::WithinTolerance => "within-tolerance",
            ReproductionOutcome::Differs => "differs",
        }
    }
}

/// A run run again and compared with the original.
#[derive(Debug, Clone, PartialEq)]
pub struct Reproduction {
    /// The run reproduced.
    pub run_id: String,
    /// The new run; `None` once deleted.
    pub reproduction_id: Option<String>,
    /// As given (`0.01`, `1%`).
    pub tolerance: Option<String>,
    /// `None` while the new run has not ended.
    pub outcome: Option<ReproductionOutcome>,
    pub max_deviation: Option<f64>,
    pub differences: Vec<Difference>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// One thing a reproduction found different.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    /// `file`, `value` or `run` (the reproduction did not succeed).
    pub kind: String,
    /// The file's key, the column, or `state`.
    pub name: String,
    pub original: Value,
    pub reproduced: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deviation: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_tolerance: Option<bool>,
}

impl Difference {
    /// One line for people.
    pub fn text(&self) -> String {
        let show = |v: &Value| match v {
            Value::Null => "—".to_string(),
            Value::String(s) if self.kind == "file" => s.chars().take(12).collect(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match self.kind.as_str() {
            "file" => match (&self.original, &self.reproduced) {
                (Value::Null, _) => format!("output `{}` is new", self.name),
                (_, Value::Null) => format!("output `{}` is missing", self.name),
                (a, b) => format!(
                    "output `{}` differs (original {}, reproduced {})",
                    self.name,
                    show(a),
                    show(b)
                ),
            },
            "value" => {
                let mut text = format!(
                    "{}: original {}, reproduced {}",
                    self.name,
                    show(&self.original),
                    show(&self.reproduced)
                );
                if let Some(deviation) = self.deviation {
                    text.push_str(&format!(" (deviation {deviation}"));
                    text.push_str(match self.within_tolerance {
                        Some(true) => ", within tolerance)",
                        _ => ")",
                    });
                }
                text
            }
            _ => format!("the reproduction ended in {}", show(&self.reproduced)),
        }
    }
}

/// A bundle written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BundleInfo {
    pub file: PathBuf,
    pub files: usize,
    /// Bytes of its files before compression.
    pub bytes: u64,
}

/// A bundle imported.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedBundle {
    pub run: RunRow,
    pub benchmark: BenchmarkSummary,
    pub submission: Submission,
    /// The submission was created for it.
    pub new_submission: bool,
    /// Imported with `force` although its template differs.
    pub different_template: bool,
    /// What differs from the installed template, when it does.
    pub differences: Vec<String>,
}

/// Runs started together as one run set.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSetView {
    pub id: String,
    pub runs: Vec<RunRow>,
}

/// Ranked rows, built on demand: a backend may keep 100,000 rows compactly and
/// build only those on screen.
pub trait RankedRows: Send + Sync {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The row at `index` (rank `index + 1`).
    fn row(&self, index: usize) -> Option<LeaderboardRow>;
}

impl RankedRows for Vec<LeaderboardRow> {
    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn row(&self, index: usize) -> Option<LeaderboardRow> {
        self.get(index).cloned()
    }
}

/// A benchmark's leaderboard.
#[derive(Clone)]
pub struct LeaderboardView {
    pub benchmark_id: String,
    pub columns: Vec<ResultColumn>,
    /// The order in effect (the template's when none was asked for).
    pub order: Vec<SortColumn>,
    pub all_runs: bool,
    rows: Arc<dyn RankedRows>,
}

impl std::fmt::Debug for LeaderboardView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaderboardView")
            .field("benchmark_id", &self.benchmark_id)
            .field("columns", &self.columns)
            .field("order", &self.order)
            .field("all_runs", &self.all_runs)
            .field("rows", &self.rows.len())
            .finish()
    }
}

impl LeaderboardView {
    pub fn new(
        benchmark_id: String,
        columns: Vec<ResultColumn>,
        order: Vec<SortColumn>,
        all_runs: bool,
        rows: Arc<dyn RankedRows>,
    ) -> Self {
        LeaderboardView {
            benchmark_id,
            columns,
            order,
            all_runs,
            rows,
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.len() == 0
    }

    pub fn row(&self, index: usize) -> Option<LeaderboardRow> {
        self.rows.row(index)
    }

    /// All rows in rank order, built one at a time.
    pub fn rows(&self) -> impl Iterator<Item = LeaderboardRow> + '_ {
        (0..self.len()).filter_map(|i| self.row(i))
    }

    /// The position of column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The order as people read it: `avg_count desc, max_len asc`.
    pub fn order_text(&self) -> String {
        order_text(&self.order)
    }
}

/// `name desc, other asc`.
pub fn order_text(order: &[SortColumn]) -> String {
    order
        .iter()
        .map(|s| format!("{} {}", s.name, if s.sort_desc { "desc" } else { "asc" }))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One output of post-processing, with how the template wants it shown.
#[derive(Debug, Clone, PartialEq)]
pub struct PostprocOutput {
    pub file: RunFileView,
    pub title: Option<String>,
    pub caption: Option<String>,
    /// flowServ's `format` and `widget` hints for the viewer.
    pub format: Option<Value>,
    pub widget: Option<Value>,
}

/// The latest successful post-processing of a benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct PostprocView {
    pub run_id: String,
    pub finished_at: Option<DateTime<Utc>>,
    pub outputs: Vec<PostprocOutput>,
}

/// What a run would execute: the steps with references and variables expanded.
/// Serializes like the expanded workflow flowdesk stores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    pub variables: Map<String, Value>,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub steps: Vec<PreviewStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviewStep {
    pub name: String,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    #[serde(flatten)]
    pub action: PreviewAction,
}

/// What one step does, as it will run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum PreviewAction {
    Container {
        image: String,
        commands: Vec<String>,
        env: IndexMap<String, String>,
    },
    Notebook {
        notebook: String,
        output: String,
        params: Vec<String>,
        requirements: Vec<String>,
        variables: IndexMap<String, String>,
    },
    Code {
        func: String,
        arg: Option<String>,
        variables: IndexMap<String, String>,
    },
    Actor {
        parameter: String,
    },
}

impl PreviewStep {
    /// The step's headline: `greet — environment python:3.9`.
    pub fn summary(&self, position: usize) -> String {
        let what = match &self.action {
            PreviewAction::Container { image, .. } => {
                format!("environment {}", if image.is_empty() { "-" } else { image })
            }
            PreviewAction::Notebook {
                notebook, output, ..
            } => format!("notebook {notebook} -> {output}"),
            PreviewAction::Code { func, arg, .. } => format!(
                "code {func}{}",
                arg.as_ref().map(|a| format!(" -> {a}")).unwrap_or_default()
            ),
            PreviewAction::Actor { parameter } => format!("actor {parameter}"),
        };
        format!("{position}. {} — {what}", self.name)
    }
}

/// A template folder (or archive) checked without installing it.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateReport {
    pub name: String,
    pub description: Option<String>,
    pub instructions: Option<String>,
    /// The template file, relative to the folder.
    pub spec_file: String,
    pub parameters: Vec<Parameter>,
    pub groups: Vec<ParameterGroup>,
    pub outputs: Option<Vec<OutputFile>>,
    pub results: Option<ResultSchema>,
    pub postproc: Option<PostprocInputs>,
    /// What flowServ accepts but is probably a mistake, one message each
    /// naming the file and element (the template loads all the same).
    pub warnings: Vec<String>,
    /// The lint warnings: probable mistakes and what flowserv-core 0.9.4 does
    /// differently, each naming its file and element.
    pub lints: Vec<Lint>,
}

/// A result file checked against a template's result schema.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultCheck {
    /// The file that was checked.
    pub file: PathBuf,
    pub check: SchemaCheck,
    /// Result columns the file has no value for, as lint warnings.
    pub lints: Vec<Lint>,
}

/// An archive packed for participants.
#[derive(Debug, Clone, PartialEq)]
pub struct PackedTemplate {
    pub file: PathBuf,
    pub size: u64,
    /// Its files, relative to the template folder.
    pub files: Vec<String>,
}

/// What post-processing takes from each ranked run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostprocInputs {
    #[serde(rename = "inputs")]
    pub input_files: Vec<String>,
    pub runs: String,
}

/// Where a benchmark to install comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum InstallSource {
    Folder(PathBuf),
    Archive(PathBuf),
    Git {
        url: String,
        branch: Option<String>,
    },
    /// An identifier of the configured template repository.
    Repository(String),
}

/// A benchmark to install, with overrides for its manifest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InstallRequest {
    pub source: Option<InstallSource>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub instructions: Option<PathBuf>,
    pub specfile: Option<PathBuf>,
    pub manifest: Option<PathBuf>,
}

/// Changes to an installed benchmark; `None` keeps a field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BenchmarkEdit {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Markdown text.
    pub instructions: Option<String>,
}

/// An entry of the template repository.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RepositoryTemplate {
    pub id: String,
    pub description: Option<String>,
    pub url: String,
    pub manifest: Option<String>,
    pub args: Map<String, Value>,
}

/// Runs running and waiting in the backend.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    pub running: usize,
    pub queued: usize,
}

/// Which runs a clean-up removes.
#[derive(Debug, Clone, PartialEq)]
pub struct CleanupQuery {
    pub before: DateTime<Utc>,
    pub state: Option<RunState>,
    pub benchmark: Option<String>,
}

/// What the user is looking at (see [`crate::client::Client::set_focus`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Focus {
    Nothing,
    /// A benchmark's overview or its New run form.
    Benchmark(String),
    Leaderboard(LeaderboardQuery),
    Runs(RunQuery),
    Run(String),
}

/// How a backend that lives elsewhere (a server) is doing.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionStatus {
    /// The server's address.
    pub server: String,
    /// False while the server cannot be reached.
    pub online: bool,
    /// Why it is offline (or why the last request failed).
    pub message: Option<String>,
    /// When the server last answered.
    pub updated: Option<std::time::SystemTime>,
    /// When what is shown was fetched, if it came from the offline cache.
    pub data_from: Option<DateTime<Utc>>,
    /// Who is signed in, if anyone.
    pub signed_in_as: Option<String>,
}

/// A benchmark's own Python environment (made from its `requirements.txt`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvironmentView {
    #[serde(rename = "benchmark")]
    pub benchmark_id: String,
    /// The requirement lines.
    pub requirements: Vec<String>,
    #[serde(flatten)]
    pub status: EnvironmentStatus,
    /// Where the environment is (or will be).
    pub folder: PathBuf,
    /// pip's (or uv's) output of the last creation.
    pub log: PathBuf,
}

/// Where an environment stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum EnvironmentStatus {
    /// The benchmark lists no requirements: runs use the configured Python.
    None,
    /// It lists requirements and has no environment: runs use the configured
    /// Python (and flowdesk's flowServ helper modules).
    Missing,
    /// Being created.
    Creating { started: String },
    /// Runs use `python`, made with `tool` (`uv` or `pip`).
    Ready {
        python: String,
        tool: String,
        created: String,
    },
    /// The last creation failed, and why; runs use the configured Python.
    Failed { message: String },
}

/// How far the creation of an environment is (in [`crate::client::ClientEvent::Environment`]).
#[derive(Debug, Clone, PartialEq)]
pub struct EnvironmentProgressView {
    pub benchmark_id: String,
    /// Requirements collected so far, of `total`.
    pub done: usize,
    pub total: usize,
    /// Share done, for a progress bar.
    pub fraction: f32,
    /// What happens now, in words.
    pub message: String,
    /// Set when it ended: the interpreter, or why it failed.
    pub finished: Option<Result<String, String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badges_and_spreads_read_as_both_faces_show_them() {
        let badges = RunBadges {
            imported: true,
            reproduction: Some(ReproductionOutcome::Reproduced),
            ..Default::default()
        };
        assert_eq!(badges.marks(), ["imported", "reproduced"]);
        let forced = RunBadges {
            imported: true,
            different_template: true,
            ..Default::default()
        };
        assert_eq!(forced.marks(), ["imported (different template)"]);
        let spread = ColumnSpread {
            mean: 3.25,
            std: Some(0.01),
            n: 3,
        };
        assert_eq!(spread.text(), "3.25 ± 0.01 (n=3)");
    }
}
