//! The provenance of a run: everything a reviewer needs to know what produced
//! its numbers — the template (by content hash), the arguments as cast, every
//! input and output file by hash, the interpreter and packages, the workers,
//! the machine, and per step the command as run, how it ended, how long it took
//! and how much memory it used. The service records it when a run starts and
//! completes it when the run ends; bundles carry it to other computers; the
//! client shows it as it is (it is already a view: plain, typed, labelled).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Version of this document's layout, for bundles read by later flowdesks.
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    pub format: u32,
    pub template: TemplateInfo,
    /// The arguments after casting, defaults included; a file argument is its
    /// target path in the run folder.
    pub arguments: Map<String, Value>,
    pub inputs: Vec<InputFile>,
    /// Empty until the run has ended successfully.
    pub outputs: Vec<OutputFile>,
    pub environment: Environment,
    pub machine: Machine,
    /// In order; only steps that started.
    pub steps: Vec<StepInfo>,
    /// Set for a run imported from a bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<ImportInfo>,
}

/// The benchmark's template, identified by content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateInfo {
    pub benchmark_id: String,
    pub name: String,
    /// `version` of the template document or manifest, if it declares one.
    #[serde(default)]
    pub version: Option<String>,
    /// SHA-256 over the installed files and the template document, the same
    /// on every computer that installed the same template.
    pub hash: String,
    /// How many installed files went into it.
    pub files: usize,
}

/// A file the run started with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputFile {
    /// The parameter it is the argument of; `None` for a template file the
    /// workflow lists as input.
    pub parameter: Option<String>,
    /// Where the run found it, relative to the run folder.
    pub path: String,
    pub sha256: String,
    pub size: u64,
    /// `upload`, `file` (a file of this computer) or `template`.
    pub source: String,
    /// The uploaded file's id, or the local path it was copied from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// A file the run produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputFile {
    pub key: String,
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// What the run ran with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    /// The interpreter `${python}` stands for; `None` if it could not be asked.
    pub python: Option<Interpreter>,
    /// The interpreter's environment's packages as `pip freeze` lists them
    /// (`name==version`), when it is a virtual environment.
    pub packages: Option<Vec<String>>,
    /// The worker of each step that ran.
    pub workers: Vec<StepWorker>,
    /// flowdesk's version.
    pub flowdesk: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Interpreter {
    /// As configured (`python3`, a path).
    pub command: String,
    /// The program it resolves to (`sys.executable`).
    pub path: String,
    /// `python --version`, e.g. `Python 3.11.7`.
    pub version: String,
    /// Whether it runs in a virtual environment (`sys.prefix != sys.base_prefix`).
    pub virtual_env: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepWorker {
    pub step: String,
    /// `shell`, `docker <image>`, `papermill`, `papermill in docker <image>`,
    /// `python code`.
    pub worker: String,
}

/// The computer, without anything that names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Machine {
    /// `Linux`, with the distribution when known.
    pub os: String,
    pub kernel: String,
    pub arch: String,
    pub cpu: String,
    pub cores: usize,
    /// Physical memory in bytes (0 if unknown).
    pub memory: u64,
    /// SHA-256 of the host name: tells runs of one machine apart without
    /// telling which machine.
    pub host_hash: String,
}

/// One step as it ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepInfo {
    pub name: String,
    /// As in [`StepWorker::worker`].
    pub worker: String,
    /// The programs it started, as run.
    pub commands: Vec<String>,
    /// Exit code of its last program; `None` if it was stopped or killed.
    pub exit_code: Option<i32>,
    /// The signal that killed its last program, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// Seconds.
    pub duration: f64,
    /// The largest resident memory of any of its processes, in bytes.
    pub peak_memory: Option<u64>,
    /// CPU seconds (user and system) of its processes.
    pub cpu_time: Option<f64>,
}

/// Where an imported run came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportInfo {
    pub at: DateTime<Utc>,
    /// The run's id where it ran.
    pub run_id: String,
    /// SHA-256 of the bundle file.
    pub bundle: String,
    /// Imported with `--force` into a benchmark whose template differs.
    pub different_template: bool,
    /// What differs, when it does.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<String>,
}
