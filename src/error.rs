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
