//! Which servers the user added and how they are signed in to each. The list
//! (`servers.json` in the home folder) holds addresses and user names only.
//! Tokens go to the OS keyring (Secret Service, macOS Keychain, Windows
//! Credential Manager) through the `keyring` crate; where there is none — a
//! headless machine, CI, a locked or missing Secret Service — they go to
//! `server-tokens.json`, a file only its owner can read (mode 0600).
//! Passwords are never stored.

use super::error::RemoteError;
use super::routes::ServerUrl;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const SERVERS_FILE: &str = "servers.json";
pub const TOKENS_FILE: &str = "server-tokens.json";
/// The keyring's service name for flowdesk's entries.
const KEYRING_SERVICE: &str = "flowdesk";
/// A keyring that does not answer in this time (a hung Secret Service) counts
/// as unavailable.
const KEYRING_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a server's token is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenPlace {
    Keyring,
    File,
}

impl std::fmt::Display for TokenPlace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenPlace::Keyring => "the system keyring",
            TokenPlace::File => "a file only you can read",
        })
    }
}

/// One added server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerEntry {
    pub url: String,
    /// Who is signed in, if anyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_place: Option<TokenPlace>,
}

impl ServerEntry {
    pub fn signed_in(&self) -> bool {
        self.username.is_some() && self.token_place.is_some()
    }
}

/// A sign-in: who, and the token to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub username: String,
    pub token: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ServerList {
    #[serde(default)]
    servers: Vec<ServerEntry>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct TokenFile {
    #[serde(default)]
    tokens: BTreeMap<String, String>,
}

/// The server list and the tokens of one home folder.
#[derive(Debug, Clone)]
pub struct Credentials {
    home: PathBuf,
    use_keyring: bool,
}

impl Credentials {
    /// `use_keyring: false` keeps tokens in the file only (`FLOWDESK_KEYRING=off`).
    pub fn new(home: &Path, use_keyring: bool) -> Credentials {
        Credentials {
            home: home.to_path_buf(),
            use_keyring,
        }
    }

    pub fn servers_file(&self) -> PathBuf {
        self.home.join(SERVERS_FILE)
    }

    pub fn tokens_file(&self) -> PathBuf {
        self.home.join(TOKENS_FILE)
    }

    pub fn servers(&self) -> Result<Vec<ServerEntry>, RemoteError> {
        Ok(self.load_list()?.servers)
    }

    pub fn server(&self, url: &ServerUrl) -> Result<Option<ServerEntry>, RemoteError> {
        let key = url.key();
        Ok(self.servers()?.into_iter().find(|entry| entry.url == key))
    }

    /// Add a server to the list (no-op if it is there).
    pub fn add_server(&self, url: &ServerUrl) -> Result<(), RemoteError> {
        self.update_list(|list| {
            let key = url.key();
            if !list.servers.iter().any(|entry| entry.url == key) {
                list.servers.push(ServerEntry {
                    url: key,
                    username: None,
                    token_place: None,
                });
            }
        })
    }

    /// Sign out and take the server off the list.
    pub fn remove_server(&self, url: &ServerUrl) -> Result<(), RemoteError> {
        self.forget_token(url)?;
        let key = url.key();
        self.update_list(|list| list.servers.retain(|entry| entry.url != key))
    }

    /// Keep the token of a fresh sign-in; says where it went.
    pub fn sign_in(
        &self,
        url: &ServerUrl,
        username: &str,
        token: &str,
    ) -> Result<TokenPlace, RemoteError> {
        // Drop a token of an earlier sign-in wherever it is, so that exactly
        // one place holds the current one.
        self.forget_token(url)?;
        let place = if self.use_keyring && keyring_set(&url.key(), token).is_ok() {
            TokenPlace::Keyring
        } else {
            self.file_set(url, Some(token))?;
            TokenPlace::File
        };
        let key = url.key();
        self.update_list(|list| {
            let index = match list.servers.iter().position(|entry| entry.url == key) {
                Some(index) => index,
                None => {
                    list.servers.push(ServerEntry {
                        url: key.clone(),
                        username: None,
                        token_place: None,
                    });
                    list.servers.len() - 1
                }
            };
            let entry = &mut list.servers[index];
            entry.username = Some(username.to_string());
            entry.token_place = Some(place);
        })?;
        Ok(place)
    }

    /// The current sign-in, if there is one and its token can be read.
    pub fn session(&self, url: &ServerUrl) -> Result<Option<Session>, RemoteError> {
        let Some(entry) = self.server(url)? else {
            return Ok(None);
        };
        let (Some(username), Some(place)) = (entry.username, entry.token_place) else {
            return Ok(None);
        };
        let token = match place {
            TokenPlace::Keyring => keyring_get(&url.key()).map_err(|message| {
                RemoteError::Credentials {
                    server: url.key(),
                    message: format!(
                        "the token cannot be read from the system keyring ({message}); sign in again"
                    ),
                }
            })?,
            TokenPlace::File => self.load_tokens()?.tokens.get(&url.key()).cloned(),
        };
        Ok(token.map(|token| Session { username, token }))
    }

    /// Forget the token (the server stays on the list).
    pub fn sign_out(&self, url: &ServerUrl) -> Result<(), RemoteError> {
        self.forget_token(url)?;
        let key = url.key();
        self.update_list(|list| {
            if let Some(entry) = list.servers.iter_mut().find(|entry| entry.url == key) {
                entry.username = None;
                entry.token_place = None;
            }
        })
    }

    fn forget_token(&self, url: &ServerUrl) -> Result<(), RemoteError> {
        let entry = self.server(url)?;
        if self.use_keyring || entry.and_then(|e| e.token_place) == Some(TokenPlace::Keyring) {
            // A missing entry or an unavailable keyring both mean nothing is
            // kept there.
            let _ = keyring_delete(&url.key());
        }
        if self.tokens_file().exists() {
            self.file_set(url, None)?;
        }
        Ok(())
    }

    fn load_list(&self) -> Result<ServerList, RemoteError> {
        let path = self.servers_file();
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| RemoteError::BadServerList {
                path,
                message: e.to_string(),
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(ServerList::default()),
            Err(source) => Err(RemoteError::Io { path, source }),
        }
    }

    fn update_list(&self, change: impl FnOnce(&mut ServerList)) -> Result<(), RemoteError> {
        let mut list = self.load_list()?;
        change(&mut list);
        let text = serde_json::to_string_pretty(&list)
            .map_err(|e| RemoteError::Invalid(format!("cannot write the server list: {e}")))?;
        write_private(&self.servers_file(), text.as_bytes(), false)
    }

    fn load_tokens(&self) -> Result<TokenFile, RemoteError> {
        let path = self.tokens_file();
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                // Someone widened the mode: narrow it again before trusting it.
                restrict(&path)?;
                serde_json::from_str(&text).map_err(|e| RemoteError::Credentials {
                    server: String::new(),
                    message: format!("`{}` is damaged ({e}); sign in again", path.display()),
                })
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(TokenFile::default()),
            Err(source) => Err(RemoteError::Io { path, source }),
        }
    }

    fn file_set(&self, url: &ServerUrl, token: Option<&str>) -> Result<(), RemoteError> {
        let mut tokens = self.load_tokens().unwrap_or_default();
        match token {
            Some(token) => {
                tokens.tokens.insert(url.key(), token.to_string());
            }
            None => {
                tokens.tokens.remove(&url.key());
            }
        }
        let text = serde_json::to_string_pretty(&tokens)
            .map_err(|e| RemoteError::Invalid(format!("cannot write the token file: {e}")))?;
        write_private(&self.tokens_file(), text.as_bytes(), true)
    }
}

/// Write a file atomically (temp file + rename); `secret` files are created
/// with mode 0600 before a byte is written, so the token is never readable by
/// others, not even for a moment.
fn write_private(path: &Path, bytes: &[u8], secret: bool) -> Result<(), RemoteError> {
    use std::io::Write;
    let io = |source| RemoteError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = options
        .open(&tmp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|_| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

#[cfg(unix)]
fn restrict(path: &Path) -> Result<(), RemoteError> {
    use std::os::unix::fs::PermissionsExt;
    let io = |source| RemoteError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mode = std::fs::metadata(path).map_err(io)?.permissions().mode();
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_path: &Path) -> Result<(), RemoteError> {
    Ok(())
}

/// Run a keyring call on its own thread with a time limit: the Secret Service
/// client must not run on a thread that drives an async runtime, and a
/// keyring daemon that hangs must not hang the app.
fn with_keyring<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, keyring::Error> + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("keyring".into())
        .spawn(move || {
            let _ = tx.send(call());
        })
        .map_err(|e| e.to_string())?;
    match rx.recv_timeout(KEYRING_TIMEOUT) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!(
            "the keyring did not answer within {} s",
            KEYRING_TIMEOUT.as_secs()
        )),
    }
}

fn keyring_set(server: &str, token: &str) -> Result<(), String> {
    let server = server.to_string();
    let token = token.to_string();
    with_keyring(move || {
        let entry = keyring::Entry::new(KEYRING_SERVICE, &server)?;
        entry.set_password(&token)?;
        // Some stores accept a write they cannot give back (a mock or a
        // session-less keyring); only a token that reads back counts.
        match entry.get_password() {
            Ok(read) if read == token => Ok(()),
            Ok(_) => Err(keyring::Error::NoEntry),
            Err(error) => Err(error),
        }
    })
}

fn keyring_get(server: &str) -> Result<Option<String>, String> {
    let server = server.to_string();
    with_keyring(move || {
        let entry = keyring::Entry::new(KEYRING_SERVICE, &server)?;
        match entry.get_password() {
            Ok(token) => Ok(Some(token)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(error),
        }
    })
}

fn keyring_delete(server: &str) -> Result<(), String> {
    let server = server.to_string();
    with_keyring(move || {
        let entry = keyring::Entry::new(KEYRING_SERVICE, &server)?;
        match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(error),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> ServerUrl {
        ServerUrl::parse(text).unwrap()
    }

    #[test]
    fn file_fallback_keeps_tokens_private_and_forgets_them_on_sign_out() {
        let home = tempfile::tempdir().unwrap();
        let credentials = Credentials::new(home.path(), false);
        let server = url("http://127.0.0.1:5000/flowserv/api/v1");
        assert_eq!(credentials.session(&server).unwrap(), None);

        let place = credentials.sign_in(&server, "alice", "tok-1").unwrap();
        assert_eq!(place, TokenPlace::File);
        assert_eq!(
            credentials.session(&server).unwrap(),
            Some(Session {
                username: "alice".into(),
                token: "tok-1".into()
            })
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(credentials.tokens_file())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // The server list holds no secret.
        let list = std::fs::read_to_string(credentials.servers_file()).unwrap();
        assert!(list.contains("alice") && !list.contains("tok-1"), "{list}");

        // A second sign-in replaces the token; another server is separate.
        credentials.sign_in(&server, "alice", "tok-2").unwrap();
        let other = url("https://bench.example.org/api");
        credentials.sign_in(&other, "bob", "tok-3").unwrap();
        assert_eq!(
            credentials.session(&server).unwrap().unwrap().token,
            "tok-2"
        );
        assert_eq!(
            credentials.session(&other).unwrap().unwrap().username,
            "bob"
        );

        credentials.sign_out(&server).unwrap();
        assert_eq!(credentials.session(&server).unwrap(), None);
        let tokens = std::fs::read_to_string(credentials.tokens_file()).unwrap();
        assert!(
            !tokens.contains("tok-2") && tokens.contains("tok-3"),
            "{tokens}"
        );
        let servers = credentials.servers().unwrap();
        assert_eq!(servers.len(), 2, "sign-out keeps the server on the list");
        assert!(!servers[0].signed_in() && servers[1].signed_in());

        credentials.remove_server(&other).unwrap();
        assert_eq!(credentials.servers().unwrap().len(), 1);
        assert_eq!(credentials.session(&other).unwrap(), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_token_file_made_readable_by_others_is_narrowed_again() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let credentials = Credentials::new(home.path(), false);
        let server = url("http://127.0.0.1:5000/flowserv/api/v1");
        credentials.sign_in(&server, "alice", "tok").unwrap();
        let file = credentials.tokens_file();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(credentials.session(&server).unwrap().is_some());
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn with_the_keyring_enabled_a_token_is_kept_somewhere_that_reads_back() {
        // On a desktop the token lands in the keyring; on CI (no Secret
        // Service) the keyring fails and the file takes it. Either way the
        // sign-in must read back, and sign-out must leave nothing behind.
        let home = tempfile::tempdir().unwrap();
        let credentials = Credentials::new(home.path(), true);
        let server = url(&format!(
            "http://127.0.0.1:9/flowdesk-test-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let place = credentials.sign_in(&server, "carol", "tok-k").unwrap();
        assert_eq!(
            credentials.session(&server).unwrap().unwrap().token,
            "tok-k"
        );
        let in_file = std::fs::read_to_string(credentials.tokens_file()).unwrap_or_default();
        assert_eq!(in_file.contains("tok-k"), place == TokenPlace::File);
        credentials.sign_out(&server).unwrap();
        assert_eq!(credentials.session(&server).unwrap(), None);
        if place == TokenPlace::Keyring {
            assert_eq!(keyring_get(&server.key()), Ok(None));
        }
    }

    #[test]
    fn a_damaged_server_list_is_named() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join(SERVERS_FILE), "{not json").unwrap();
        let error = Credentials::new(home.path(), false)
            .servers()
            .unwrap_err()
            .to_string();
        assert!(error.contains(SERVERS_FILE), "{error}");
    }
}
