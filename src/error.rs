//! Error enums, one per layer, with messages written for the person who has to fix
//! the problem: every message names the file, element, parameter or step concerned.

use std::path::PathBuf;

/// A template folder, manifest or template document that cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// Something in a file is wrong; `message` names the element.
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    /// A file the template needs cannot be read.
    #[error("cannot read `{}`: {source}", crate::display::shown(path))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A template document larger than the configured limit.
    #[error("`{}` is {size} bytes, more than the limit of {limit} bytes for a template document (`document_limit_mb` in settings.json or FLOWDESK_DOCUMENT_LIMIT_MB)", crate::display::shown(path))]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    /// The folder has neither a manifest nor a given spec file.
    #[error("`{}` has no manifest (flowserv.json, flowserv.yaml or flowserv.yml); give the template file with --specfile", crate::display::shown(folder))]
    NoManifest { folder: PathBuf },
}

impl TemplateError {
    pub(crate) fn invalid(file: impl Into<String>, message: impl Into<String>) -> Self {
        TemplateError::Invalid {
            file: file.into(),
            message: message.into(),
        }
    }
}

/// User-provided arguments that do not fit the template's parameter declarations.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ArgumentError {
    #[error("missing value for required parameter '{0}'")]
    Missing(String),
    #[error("unknown parameter '{0}'")]
    Unknown(String),
    #[error("parameter '{name}': {message}")]
    Invalid { name: String, message: String },
    #[error("parameter '{name}' is referenced by the workflow but has no value and no default")]
    NoValue { name: String },
    #[error("step '{step}': {message}")]
    Step { step: String, message: String },
}

impl ArgumentError {
    pub(crate) fn invalid(name: &str, message: impl Into<String>) -> Self {
        ArgumentError::Invalid {
            name: name.to_string(),
            message: message.into(),
        }
    }
}

/// A relative path that would leave the folder it must stay in.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PathError {
    #[error("path '{0}' is empty")]
    Empty(String),
    #[error("path '{0}' is absolute; use a path relative to the template folder")]
    Absolute(String),
    #[error("path '{0}' leaves its folder ('..' is not allowed)")]
    ParentDir(String),
    #[error("path '{0}' leads outside its folder through a link")]
    EscapingLink(String),
}

/// A database operation that cannot be done. Messages speak the user's vocabulary
/// (benchmark, submission, run) and name the record concerned, because the GUI and
/// the CLI show them as they are.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database `{}`: {source}", crate::display::shown(path))]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the database `{}` has schema version {found}, newer than this flowdesk understands (up to {supported}); update flowdesk", crate::display::shown(path))]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: usize,
    },
    /// `kind` is "benchmark", "submission", "upload" or "run".
    #[error("unknown {kind} '{id}'")]
    NotFound { kind: &'static str, id: String },
    /// `scope` completes the sentence, e.g. " for this benchmark".
    #[error("a {kind} named '{name}' already exists{scope}")]
    Duplicate {
        kind: &'static str,
        name: String,
        scope: &'static str,
    },
    #[error("a {kind} with id '{id}' already exists")]
    DuplicateId { kind: &'static str, id: String },
    #[error("submission '{submission}' does not belong to benchmark '{workflow}'")]
    WrongWorkflow {
        submission: String,
        workflow: String,
    },
    #[error("run '{run}' is {from}; it cannot become {to}")]
    InvalidTransition {
        run: String,
        from: crate::model::RunState,
        to: crate::model::RunState,
    },
    #[error("run '{run}' is {state}, not RUNNING; its progress cannot change")]
    NotRunning {
        run: String,
        state: crate::model::RunState,
    },
    #[error("benchmark '{workflow}' has no result schema, so its runs have no results to rank")]
    NoResultSchema { workflow: String },
    #[error("benchmark '{workflow}' has no result column '{column}'")]
    UnknownColumn { workflow: String, column: String },
    #[error("result column '{column}' holds {expected} values; {value} does not fit")]
    ResultType {
        column: String,
        expected: &'static str,
        value: String,
    },
    #[error("run '{run}' is a post-processing run; it has no place for result values")]
    PostprocResults { run: String },
    #[error("{what}: {message}")]
    Invalid { what: String, message: String },
    /// Data in the file that this code did not write, or a file damaged outside it.
    #[error("the database holds unreadable data: {0}")]
    Corrupt(String),
    /// SQLite could not grow its files (`SQLITE_FULL`).
    #[error("no space left on device while writing the database")]
    DiskFull,
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        match &error {
            rusqlite::Error::SqliteFailure(failure, _)
                if failure.code == rusqlite::ErrorCode::DiskFull =>
            {
                StoreError::DiskFull
            }
            _ => StoreError::Sqlite(error),
        }
    }
}

impl StoreError {
    /// Whether the error is a full disk (which freeing space can cure).
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::DiskFull => true,
            StoreError::Open { source, .. } => matches!(
                source,
                rusqlite::Error::SqliteFailure(failure, _)
                    if failure.code == rusqlite::ErrorCode::DiskFull
            ),
            _ => false,
        }
    }
}

/// A run the engine cannot execute, or an engine setting it cannot use. The
/// step-level variants become the messages of a run that ends in ERROR.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot start the run engine: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("run '{0}' is already queued or running")]
    AlreadySubmitted(String),
    #[error("cannot join the queue of runs: {0}")]
    Slots(String),
    #[error("the run folder `{}` does not exist", crate::display::shown(.0))]
    NoRunFolder(PathBuf),
    #[error("cannot write the run log `{}`: {source}", crate::display::shown(path))]
    Log {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "no space left on device while writing `{}`",
        crate::display::shown(path)
    )]
    DiskFull { path: PathBuf },
    #[error("step '{step}': {source}")]
    BadPath {
        step: String,
        #[source]
        source: PathError,
    },
    #[error("step '{step}': the action is still the parameter reference '$[[{parameter}]]'; bind its argument before running")]
    UnboundActor { step: String, parameter: String },
    #[error("step '{step}': cannot start `{program}`: {source}")]
    Spawn {
        step: String,
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// The first message of a failed run; the stderr tail follows it.
    #[error("step '{step}': command {status}: {command}")]
    CommandFailed {
        step: String,
        command: String,
        status: crate::engine::ExitStatus,
    },
    /// `limit` says which limit it was ("" for the step's own, or a note such
    /// as " (the run's time limit)").
    #[error("step '{step}': timed out after {seconds} s{limit}")]
    TimedOut {
        step: String,
        seconds: String,
        limit: &'static str,
    },
    /// A step's worker (from the worker configuration) cannot run that kind of step.
    #[error("step '{step}': worker '{worker}' is a {kind} worker; it cannot run {action} steps")]
    WrongWorker {
        step: String,
        worker: String,
        kind: &'static str,
        action: &'static str,
    },
    #[error("step '{step}': Docker is not available: {reason}")]
    DockerUnavailable { step: String, reason: String },
    #[error("step '{step}': papermill is not installed: install it with `{python} -m pip install papermill ipykernel`")]
    NoPapermill { step: String, python: String },
    /// A code step whose function could not be called or whose result is unreadable.
    #[error("step '{step}': code step `{func}`: {message}")]
    Code {
        step: String,
        func: String,
        message: String,
    },
    /// Files the engine writes next to a step (driver input, Dockerfile) cannot be written.
    #[error(
        "step '{step}': cannot write `{}`: {source}",
        crate::display::shown(path)
    )]
    StepFile {
        step: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("worker configuration `{file}`: {message}")]
    WorkerConfig { file: String, message: String },
}

impl EngineError {
    /// A failed write of the run log; a full disk says so.
    pub(crate) fn log(path: &std::path::Path, source: std::io::Error) -> Self {
        if is_disk_full(&source) {
            EngineError::DiskFull {
                path: path.to_path_buf(),
            }
        } else {
            EngineError::Log {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

/// Whether an I/O error means the disk (or the user's quota) is full.
pub fn is_disk_full(error: &std::io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(libc::ENOSPC) | Some(libc::EDQUOT)
    ) || error.kind() == std::io::ErrorKind::StorageFull
}

/// A use case that failed. Wraps the layer errors and adds what only the service
/// knows (which workflow, submission or run was meant).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Argument(#[from] ArgumentError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("`{}`: {source}", crate::display::shown(path))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "no space left on device while writing `{}`",
        crate::display::shown(path)
    )]
    DiskFull { path: PathBuf },
    #[error("{0}")]
    UnsafePath(String),
    /// A template beyond the install limits; the message names the limit.
    #[error("{0}")]
    TemplateTooLarge(String),
    #[error("archive `{}` cannot be read: {message}", crate::display::shown(path))]
    BadArchive { path: PathBuf, message: String },
    #[error("no benchmark '{0}' is installed (see `flowdesk workflows`)")]
    UnknownWorkflow(String),
    #[error("no submission '{0}' (see `flowdesk submissions <workflow>`)")]
    UnknownSubmission(String),
    #[error("no run '{0}' (see `flowdesk runs`)")]
    UnknownRun(String),
    #[error("no uploaded file '{0}'")]
    UnknownUpload(String),
    #[error("'{name}' matches several {what}; use the id instead")]
    Ambiguous { name: String, what: String },
    #[error("git clone of `{url}` failed: {message}")]
    Git { url: String, message: String },
    #[error(
        "file argument '{name}': '{file}' is neither an uploaded file nor a readable local file"
    )]
    MissingFileArgument { name: String, file: String },
    #[error("a benchmark named '{name}' is already installed; install this one as '{suggestion}' (`--name '{suggestion}'`)")]
    NameTaken { name: String, suggestion: String },
    /// A run bundle made with another template of the benchmark of its name;
    /// `differences` name the files that differ.
    #[error(
        "bundle `{}` was made with a different template of '{benchmark}': {}. Import it anyway with --force; it is then marked 'different template'",
        bundle.display(),
        differences.join("; ")
    )]
    DifferentTemplate {
        bundle: PathBuf,
        benchmark: String,
        differences: Vec<String>,
    },
    #[error(
        "the database `{}` is {state}, but the home folder holds {workflows} benchmark folder(s) and {runs} run folder(s): it was damaged or removed. {}",
        crate::display::shown(path),
        match backup {
            Some(time) => format!("Restore the last backup (taken {time}) with `flowdesk doctor --restore`, or move `workflows/` and `runs/` away to start afresh."),
            None => "There is no backup to restore; move `workflows/` and `runs/` away to start afresh.".to_string(),
        }
    )]
    EmptyDatabase {
        path: PathBuf,
        /// "empty" or "missing".
        state: &'static str,
        workflows: usize,
        runs: usize,
        /// When the backup was taken, if there is one.
        backup: Option<String>,
    },
    #[error("another flowdesk process is using `{}`; close it first", crate::display::shown(.0))]
    HomeBusy(PathBuf),
    #[error("{0}")]
    Invalid(String),
}
