//! What can go wrong when talking to a flowServ server, in words the person at
//! the keyboard can act on: which server, which submission or file, and what to
//! do next (sign in again, pick a smaller file, check the URL).

use std::path::PathBuf;

/// A failed request to a flowServ server, or a failure around it (token
/// storage, the offline cache, a local file to upload or download into).
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("`{url}` is not a valid server URL: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("cannot reach the server `{host}`: {reason}")]
    Unreachable { host: String, reason: String },
    #[error("the server `{host}` did not answer within {seconds} s")]
    Timeout { host: String, seconds: u64 },
    #[error("`{url}` is not a flowServ server: {reason}")]
    NotFlowServ { url: String, reason: String },
    #[error(
        "not signed in to `{server}`: sign in first (`flowdesk login {server} --username NAME`)"
    )]
    NotSignedIn { server: String },
    #[error("signed out of `{server}` (the sign-in expired or is no longer valid): sign in again (`flowdesk login {server} --username NAME`)")]
    SignedOut { server: String },
    #[error("wrong user name or password for `{server}`")]
    WrongPassword { server: String },
    /// 403 for a signed-in user: flowServ lets only members see and change a
    /// submission and its runs.
    #[error("you are not a member of {what}")]
    Forbidden { what: String },
    /// 404 with the server's own message ("unknown workflow 'x'").
    #[error("the server `{server}` has no such thing: {message}")]
    NotFound { server: String, message: String },
    #[error("{what} is too large for the server `{server}` ({detail})")]
    TooLarge {
        what: String,
        server: String,
        detail: String,
    },
    /// 400: the server refused the request, with its reason.
    #[error("the server refused: {message}")]
    Rejected { message: String },
    #[error("the server `{server}` failed (HTTP {status}): {message}")]
    Server {
        server: String,
        status: u16,
        message: String,
    },
    #[error("the server `{server}` sent a response this flowdesk cannot read ({url}): {message}")]
    BadResponse {
        server: String,
        url: String,
        message: String,
    },
    #[error("the server `{server}` does not offer `{route}` (it is flowServ {version})")]
    MissingRoute {
        server: String,
        route: String,
        version: String,
    },
    #[error("`{}`: {source}", crate::display::shown(path))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot keep the sign-in for `{server}`: {message}")]
    Credentials { server: String, message: String },
    #[error(
        "the server list `{}` cannot be read: {message}",
        crate::display::shown(path)
    )]
    BadServerList { path: PathBuf, message: String },
    #[error("no server `{0}` was added (see `flowdesk servers`)")]
    UnknownServer(String),
    #[error(transparent)]
    Cache(#[from] crate::error::StoreError),
    #[error("{0}")]
    Invalid(String),
}

impl RemoteError {
    /// Whether the server could not be reached at all (and cached views are
    /// the best that can be shown).
    pub fn is_offline(&self) -> bool {
        matches!(
            self,
            RemoteError::Unreachable { .. } | RemoteError::Timeout { .. }
        )
    }

    /// Whether the user has to sign in (again) before this can work.
    pub fn needs_sign_in(&self) -> bool {
        matches!(
            self,
            RemoteError::NotSignedIn { .. } | RemoteError::SignedOut { .. }
        )
    }
}
