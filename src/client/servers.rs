//! The servers a person works with, next to this computer: the list kept in
//! the home folder, signing in and out (tokens in the OS keyring or a private
//! file, passwords never kept), and opening a server as a [`Client`] backend.
//! The faces choose backends through this; the REST details stay in
//! `crate::remote`.

use super::{Client, ClientError};
use crate::remote::client::client_error;
use crate::remote::select::keyring_enabled;
use crate::remote::{Credentials, RemoteClient, ServerApi, ServerUrl, TokenPlace};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One server on the list.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerSummary {
    /// The server's address as kept (the key for every other call).
    pub url: String,
    /// Who is signed in, if anyone.
    pub username: Option<String>,
    /// Where the token is kept: "keyring" or "file".
    pub token_place: Option<&'static str>,
}

impl ServerSummary {
    pub fn signed_in(&self) -> bool {
        self.username.is_some() && self.token_place.is_some()
    }
}

/// The server list of one home folder.
#[derive(Debug, Clone)]
pub struct Servers {
    home: PathBuf,
    credentials: Credentials,
}

impl Servers {
    /// The list of `home`; `FLOWDESK_KEYRING=off` keeps tokens in the file.
    pub fn new(home: &Path) -> Servers {
        Servers::with_keyring(home, keyring_enabled(|name| std::env::var(name).ok()))
    }

    pub fn with_keyring(home: &Path, use_keyring: bool) -> Servers {
        Servers {
            home: home.to_path_buf(),
            credentials: Credentials::new(home, use_keyring),
        }
    }

    pub fn list(&self) -> Result<Vec<ServerSummary>, ClientError> {
        Ok(self
            .credentials
            .servers()
            .map_err(client_error)?
            .into_iter()
            .map(|entry| ServerSummary {
                url: entry.url,
                username: entry.username,
                token_place: entry.token_place.map(place_name),
            })
            .collect())
    }

    fn find(&self, url: &str) -> Result<ServerSummary, ClientError> {
        let key = ServerUrl::parse(url).map_err(client_error)?.key();
        self.list()?
            .into_iter()
            .find(|s| s.url == key)
            .ok_or_else(|| ClientError::NotFound {
                what: "server",
                key,
                hint: " on the list".into(),
            })
    }

    fn cache(&self) -> Option<Arc<crate::remote::CacheHandle>> {
        crate::remote::open_cache(&self.home)
    }

    /// Check that `url` is a flowServ server (a bare host finds flowServ's
    /// default path below it) and put it on the list.
    pub fn add(&self, url: &str) -> Result<ServerSummary, ClientError> {
        let url = ServerUrl::parse(url).map_err(client_error)?;
        let api = ServerApi::connect(url, None, None).map_err(client_error)?;
        self.credentials
            .add_server(api.url())
            .map_err(client_error)?;
        self.find(&api.url().key())
    }

    /// Sign in (registering first when asked) and keep the token.
    pub fn sign_in(
        &self,
        url: &str,
        username: &str,
        password: &str,
        register: bool,
    ) -> Result<ServerSummary, ClientError> {
        let username = username.trim();
        if username.is_empty() {
            return Err(ClientError::Invalid("the user name is empty".into()));
        }
        if password.is_empty() {
            return Err(ClientError::Invalid("the password is empty".into()));
        }
        let url = ServerUrl::parse(url).map_err(client_error)?;
        let api = ServerApi::connect(url, None, self.cache()).map_err(client_error)?;
        if register {
            api.register(username, password).map_err(client_error)?;
        }
        let user = api.login(username, password).map_err(client_error)?;
        self.credentials
            .sign_in(api.url(), username, &user.token.unwrap_or_default())
            .map_err(client_error)?;
        self.find(&api.url().key())
    }

    /// Sign out: tell the server (when it can be told) and forget the token.
    /// Returns a note when the server could not be told.
    pub fn sign_out(&self, url: &str) -> Result<Option<String>, ClientError> {
        let url = ServerUrl::parse(url).map_err(client_error)?;
        let session = self.credentials.session(&url).map_err(client_error)?;
        let note = match session {
            Some(session) => {
                match ServerApi::new(url.clone(), Some(session.token), None).logout() {
                    Ok(()) => None,
                    Err(error) if error.needs_sign_in() => None,
                    Err(error) => Some(format!(
                        "the server was not told ({error}); the token is forgotten here"
                    )),
                }
            }
            None => None,
        };
        self.credentials.sign_out(&url).map_err(client_error)?;
        Ok(note)
    }

    /// Take a server off the list (signing out first) and drop its cache.
    pub fn remove(&self, url: &str) -> Result<(), ClientError> {
        let note = self.sign_out(url)?;
        drop(note);
        let url = ServerUrl::parse(url).map_err(client_error)?;
        self.credentials.remove_server(&url).map_err(client_error)?;
        crate::remote::forget_cache(&self.home, &url);
        Ok(())
    }

    /// The server as a backend, with its kept sign-in (or `token`).
    pub fn open(&self, url: &str, token: Option<String>) -> Result<RemoteClient, ClientError> {
        let url = ServerUrl::parse(url).map_err(client_error)?;
        RemoteClient::open(&self.home, url, &self.credentials, token)
    }

    /// [`Servers::open`] behind the interface.
    pub fn open_client(&self, url: &str) -> Result<Arc<dyn Client>, ClientError> {
        Ok(Arc::new(self.open(url, None)?))
    }
}

fn place_name(place: TokenPlace) -> &'static str {
    match place {
        TokenPlace::Keyring => "keyring",
        TokenPlace::File => "file",
    }
}
