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
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The folder has neither a manifest nor a given spec file.
    #[error("`{}` has no manifest (flowserv.json, flowserv.yaml or flowserv.yml); give the template file with --specfile", folder.display())]
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

/// A run the engine cannot execute, or an engine setting it cannot use. The
/// step-level variants become the messages of a run that ends in ERROR.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot start the run engine: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("run '{0}' is already queued or running")]
    AlreadySubmitted(String),
    #[error("the run folder `{}` does not exist", .0.display())]
    NoRunFolder(PathBuf),
    #[error("cannot write the run log `{}`: {source}", path.display())]
    Log {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("step '{step}': input file `{path}` does not exist in the run folder")]
    MissingInput { step: String, path: String },
    #[error("step '{step}': output file `{path}` was not created by the step")]
    MissingOutput { step: String, path: String },
    #[error("step '{step}': {source}")]
    BadPath {
        step: String,
        #[source]
        source: PathError,
    },
    #[error("step '{step}': {kind} steps are not supported yet")]
    Unsupported { step: String, kind: &'static str },
    #[error("step '{step}': the action is still the parameter reference '$[[{parameter}]]'; bind its argument before running")]
    UnboundActor { step: String, parameter: String },
    #[error("step '{step}': cannot start the shell: {source}: {command}")]
    Spawn {
        step: String,
        command: String,
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
    #[error("worker configuration `{file}`: {message}")]
    WorkerConfig { file: String, message: String },
}
