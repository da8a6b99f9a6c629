//! The one error type of the client interface. Every backend (this computer, a
//! flowServ server) reports failures as a [`ClientError`] whose message is written
//! for the person at the screen: it names the benchmark, submission, run, file or
//! URL concerned, and says what to do when there is something to do.

use crate::error::{ArgumentError, ServiceError};
use std::path::PathBuf;

/// What went wrong, as one enum for every backend.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A benchmark, submission, run, upload or file that does not exist (or that
    /// the caller may not see). `hint` completes the sentence.
    #[error("no {what} '{key}'{hint}")]
    NotFound {
        what: &'static str,
        key: String,
        hint: String,
    },
    /// Arguments that do not fit the parameter declarations.
    #[error(transparent)]
    Argument(#[from] ArgumentError),
    /// Input that cannot be used, with the reason.
    #[error("{0}")]
    Invalid(String),
    /// An operation this backend does not offer (installing on a server, logs of
    /// a server run).
    #[error("{operation} is not possible on {backend}: {reason}")]
    Unsupported {
        operation: &'static str,
        backend: String,
        reason: &'static str,
    },
    /// A local file that cannot be read or written.
    #[error("`{}`: {source}", crate::display::shown(path))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// What the caller gave to write to cannot take it (a closed pipe, a full
    /// disk).
    #[error("cannot write the output: {0}")]
    Output(#[source] std::io::Error),
    /// The server does not answer.
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The server no longer accepts the sign-in.
    #[error("signed out of {url}: sign in again")]
    SignedOut { url: String },
    /// The server refuses the caller (not a member of the submission, say).
    #[error("{0}")]
    Forbidden(String),
    /// More than the server accepts (an upload too large).
    #[error("{0}")]
    TooLarge(String),
    /// Something at the URL answers, but not as a flowServ server does.
    #[error("{url} is not a flowServ server: {reason}")]
    NotFlowserv { url: String, reason: String },
    /// The server failed and said why.
    #[error("{0}")]
    Server(String),
    /// A benchmark of that name is installed already; `suggestion` is the
    /// next free name (flowServ's `name (1)`), which the caller can offer.
    #[error("a benchmark named '{name}' is already installed; install this one as '{suggestion}' (`--name '{suggestion}'`)")]
    NameTaken { name: String, suggestion: String },
    /// A run bundle made with another template of the benchmark of its name:
    /// importing it needs `force`; `differences` name the files that differ.
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
    /// Any other failure of this computer's service (template, store, engine).
    #[error(transparent)]
    Local(ServiceError),
}

/// The broad kind of an error, for exit codes and for deciding what to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The caller asked for something wrong or missing: fix the input.
    User,
    /// The backend cannot do it at all.
    Unsupported,
    /// The server is unreachable or the sign-in expired: try again later.
    Connection,
    /// The backend failed.
    Internal,
}

impl ClientError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ClientError::NotFound { .. }
            | ClientError::Argument(_)
            | ClientError::Invalid(_)
            | ClientError::Io { .. }
            | ClientError::Output(_)
            | ClientError::Forbidden(_)
            | ClientError::TooLarge(_)
            | ClientError::NameTaken { .. }
            | ClientError::DifferentTemplate { .. } => ErrorKind::User,
            ClientError::Unsupported { .. } => ErrorKind::Unsupported,
            ClientError::Unreachable { .. }
            | ClientError::SignedOut { .. }
            | ClientError::NotFlowserv { .. } => ErrorKind::Connection,
            ClientError::Server(_) => ErrorKind::Internal,
            ClientError::Local(e) => match e {
                ServiceError::Store(_) | ServiceError::Engine(_) => ErrorKind::Internal,
                _ => ErrorKind::User,
            },
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ClientError::Io {
            path: path.into(),
            source,
        }
    }
}

/// The service's own messages already name what is missing; the typed variants
/// keep them word for word.
impl From<ServiceError> for ClientError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::UnknownWorkflow(key) => ClientError::NotFound {
                what: "benchmark",
                key,
                hint: " is installed (see `flowdesk workflows`)".into(),
            },
            ServiceError::UnknownSubmission(key) => ClientError::NotFound {
                what: "submission",
                key,
                hint: " (see `flowdesk submissions <workflow>`)".into(),
            },
            ServiceError::UnknownRun(key) => ClientError::NotFound {
                what: "run",
                key,
                hint: " (see `flowdesk runs`)".into(),
            },
            ServiceError::UnknownUpload(key) => ClientError::NotFound {
                what: "uploaded file",
                key,
                hint: String::new(),
            },
            ServiceError::Argument(e) => ClientError::Argument(e),
            ServiceError::Invalid(message) => ClientError::Invalid(message),
            ServiceError::NameTaken { name, suggestion } => {
                ClientError::NameTaken { name, suggestion }
            }
            ServiceError::Io { path, source } => ClientError::Io { path, source },
            ServiceError::DifferentTemplate {
                bundle,
                benchmark,
                differences,
            } => ClientError::DifferentTemplate {
                bundle,
                benchmark,
                differences,
            },
            other => ClientError::Local(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_messages_survive_the_conversion_word_for_word() {
        for error in [
            ServiceError::UnknownWorkflow("x".into()),
            ServiceError::UnknownSubmission("s".into()),
            ServiceError::UnknownRun("r".into()),
            ServiceError::UnknownUpload("u".into()),
            ServiceError::Invalid("bad".into()),
            ServiceError::Argument(ArgumentError::Missing("who".into())),
        ] {
            let text = error.to_string();
            let converted = ClientError::from(error);
            assert_eq!(converted.to_string(), text);
            assert_eq!(converted.kind(), ErrorKind::User);
        }
    }
}
