//! Server mode: flowServ's REST API (as served by `robflask`), spoken over
//! HTTP. [`ServerApi`] is one server with one sign-in — every route the app
//! uses, typed ([`wire`]), with errors in words ([`RemoteError`]) and an
//! offline cache of what was last seen ([`crate::store::cache`]). The client
//! interface's server implementation is built on it; the GUI and the CLI never
//! call it directly.
//!
//! flowServ applies one policy everywhere: only members of a submission see
//! and change it and its runs; benchmarks, leaderboards and post-processing
//! outputs are public.

pub mod client;
pub mod credentials;
mod error;
pub mod http;
pub mod poll;
pub mod routes;
pub mod select;
pub mod wire;

pub use client::RemoteClient;
pub use credentials::{Credentials, ServerEntry, Session, TokenPlace};
pub use error::RemoteError;
pub use routes::ServerUrl;

/// The offline cache as the rest of the crate sees it.
pub type CacheHandle = CacheStore;

use crate::store::cache::CacheStore;
use chrono::{DateTime, SubsecRound, Utc};
use http::{Http, Payload};
use routes::{Descriptor, Routes};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use ureq::http::Response;
use ureq::Body;
use url::Url;

/// The offline cache as the faces name it (they never import the store).
pub type OfflineCache = CacheStore;

/// The offline cache of a home folder, or `None` if it cannot be opened (server
/// commands then work without the offline fallback).
pub fn offline_cache(home: &Path) -> Option<Arc<OfflineCache>> {
    CacheStore::open(&home.join(crate::store::cache::CACHE_FILE))
        .ok()
        .map(Arc::new)
}

/// The offline cache of a home folder (none when it cannot be opened: server
/// mode still works, only without the offline fallback).
pub fn open_cache(home: &Path) -> Option<Arc<CacheStore>> {
    CacheStore::open(&home.join(crate::store::cache::CACHE_FILE))
        .ok()
        .map(Arc::new)
}

/// Forget what the cache of `home` holds about `url` (every user's copy).
pub fn forget_cache(home: &Path, url: &ServerUrl) {
    if let Some(cache) = open_cache(home) {
        let _ = cache.clear_server(&url.key());
        let _ = cache.clear_prefix(&format!("{}#", url.key()));
    }
}

/// A value from the server, or — when the server cannot be reached — the last
/// one seen, with when it was fetched and why it is not fresh.
#[derive(Debug, Clone)]
pub struct Fetched<T> {
    pub value: T,
    pub fetched_at: DateTime<Utc>,
    /// Why this came from the cache (the server's error), `None` when fresh.
    pub offline: Option<String>,
}

impl<T> Fetched<T> {
    pub fn is_offline(&self) -> bool {
        self.offline.is_some()
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Fetched<U> {
        Fetched {
            value: f(self.value),
            fetched_at: self.fetched_at,
            offline: self.offline,
        }
    }
}

/// What a request is about, for the words of a 403, 404 or 413.
#[derive(Debug, Clone)]
enum Subject<'a> {
    Server,
    Workflow(&'a str),
    Submission(&'a str),
    Run(&'a str),
}

/// Whose copy a cache entry is: public documents (benchmarks, leaderboards)
/// are the same for everyone; the rest is what one user may see.
#[derive(Debug, Clone, Copy)]
enum Scope {
    Public,
    User,
}

/// One flowServ server, with or without a sign-in.
pub struct ServerApi {
    http: Http,
    token: Option<String>,
    routes: Mutex<Option<Arc<Routes>>>,
    cache: Option<Arc<CacheStore>>,
    /// Submission names learned from responses (id → name), so that "you are
    /// not a member of submission 'team 1'" names it as people know it.
    names: Mutex<HashMap<String, String>>,
    /// Whose sign-in the token is (scopes the offline cache).
    username: Option<String>,

    /// Requests sent (for the polling bench and the "requests per minute" figures).
    requests: std::sync::atomic::AtomicU64,
}

impl ServerApi {
    /// A handle on `url`. Nothing is sent yet: the descriptor is fetched with
    /// the first request, so an unreachable server still serves its cache.
    pub fn new(url: ServerUrl, token: Option<String>, cache: Option<Arc<CacheStore>>) -> ServerApi {
        ServerApi {
            http: Http::new(url),
            token,
            routes: Mutex::new(None),
            cache,
            names: Mutex::new(HashMap::new()),
            username: None,
            requests: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Connect now: fetch and check the descriptor (and, for a bare host, try
    /// flowServ's default API path below it). Returns the server as reached.
    pub fn connect(
        url: ServerUrl,
        token: Option<String>,
        cache: Option<Arc<CacheStore>>,
    ) -> Result<ServerApi, RemoteError> {
        let api = ServerApi::new(url.clone(), token.clone(), cache.clone());
        match api.routes() {
            Ok(_) => Ok(api),
            Err(RemoteError::NotFlowServ { .. }) if url.has_no_path() => {
                let api = ServerApi::new(url.with_default_path(), token, cache);
                api.routes().map_err(|error| match error {
                    RemoteError::NotFlowServ { reason, .. } => RemoteError::NotFlowServ {
                        url: url.key(),
                        reason: format!("{reason} (also tried {DEFAULT_PATH_NOTE})"),
                    },
                    other => other,
                })?;
                Ok(api)
            }
            Err(error) => Err(error),
        }
    }

    pub fn url(&self) -> &ServerUrl {
        self.http.server()
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    pub fn set_token(&mut self, token: Option<String>) {
        self.token = token;
    }

    /// How many HTTP requests this handle has sent.
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The flowServ version the server reports.
    pub fn version(&self) -> Result<String, RemoteError> {
        Ok(self.routes()?.version().to_string())
    }

    /// The routes, fetched once.
    fn routes(&self) -> Result<Arc<Routes>, RemoteError> {
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(routes) = routes.as_ref() {
            return Ok(routes.clone());
        }
        let fetched = Arc::new(self.fetch_descriptor()?);
        *routes = Some(fetched.clone());
        Ok(fetched)
    }

    fn fetch_descriptor(&self) -> Result<Routes, RemoteError> {
        let url = self.url().as_url().clone();
        let not_flowserv = |reason: String| RemoteError::NotFlowServ {
            url: self.url().key(),
            reason,
        };
        let mut response = self.send("GET", &url, false, Payload::None)?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(not_flowserv(format!(
                "`GET {url}` answered HTTP {status}, not a service descriptor"
            )));
        }
        let text = response
            .body_mut()
            .with_config()
            .limit(http::MAX_JSON_BYTES)
            .read_to_string()
            .map_err(|error| self.http.transport_error(error, false))?;
        let descriptor: Descriptor = serde_json::from_str(&text).map_err(|_| {
            let start: String = text.trim().chars().take(60).collect();
            not_flowserv(format!(
                "`GET {url}` did not answer with flowServ's service descriptor (it began with `{start}`)"
            ))
        })?;
        if !descriptor
            .routes
            .iter()
            .any(|route| route.id == "workflows:list")
        {
            return Err(not_flowserv(format!(
                "the descriptor at `{url}` lists no benchmarks route"
            )));
        }
        Ok(Routes::new(self.url().clone(), descriptor))
    }

    fn url_for(&self, id: &str, values: &[(&str, &str)]) -> Result<Url, RemoteError> {
        self.routes()?.url(id, values)
    }

    fn send(
        &self,
        method: &str,
        url: &Url,
        with_token: bool,
        payload: Payload<'_>,
    ) -> Result<Response<Body>, RemoteError> {
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let token = if with_token {
            self.token.as_deref()
        } else {
            None
        };
        self.http.send(method, url, token, payload)
    }

    /// Send and turn any status other than 2xx into its error.
    fn call(
        &self,
        method: &str,
        url: &Url,
        payload: Payload<'_>,
        subject: Subject<'_>,
    ) -> Result<Response<Body>, RemoteError> {
        let mut response = self.send(method, url, true, payload)?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let (message, json) = http::error_message(&mut response);
        Err(self.status_error(status, message, json, url, subject))
    }

    fn call_json<T: DeserializeOwned>(
        &self,
        method: &str,
        url: &Url,
        payload: Payload<'_>,
        subject: Subject<'_>,
    ) -> Result<T, RemoteError> {
        let mut response = self.call(method, url, payload, subject)?;
        self.http.json(url, &mut response)
    }

    fn status_error(
        &self,
        status: u16,
        message: String,
        json: bool,
        url: &Url,
        subject: Subject<'_>,
    ) -> RemoteError {
        let server = self.url().key();
        match status {
            400 => RemoteError::Rejected { message },
            401 | 403 => {
                if self.token.is_none() {
                    return RemoteError::NotSignedIn { server };
                }
                if message == "not logged in" || status == 401 {
                    return RemoteError::SignedOut { server };
                }
                // flowServ says "not authorized" both for a stale token and for
                // a non-member: ask who we are to tell them apart.
                match self.whoami() {
                    Err(error) if error.needs_sign_in() => RemoteError::SignedOut { server },
                    _ => RemoteError::Forbidden {
                        what: self.describe(&subject),
                    },
                }
            }
            404 if json => RemoteError::NotFound { server, message },
            404 => RemoteError::NotFound {
                server,
                message: format!("nothing at `{url}`"),
            },
            413 => RemoteError::TooLarge {
                what: self.describe(&subject),
                server,
                detail: if message.is_empty() {
                    "HTTP 413".into()
                } else {
                    message
                },
            },
            _ if !json && status >= 500 => RemoteError::Server {
                server,
                status,
                message: if message.is_empty() {
                    "no details".into()
                } else {
                    message
                },
            },
            _ => RemoteError::Server {
                server,
                status,
                message,
            },
        }
    }

    fn describe(&self, subject: &Subject<'_>) -> String {
        match subject {
            Subject::Server => format!("`{}`", self.url()),
            Subject::Workflow(id) => format!("benchmark '{id}'"),
            Subject::Submission(id) => format!("submission '{}'", self.group_name(id)),
            Subject::Run(id) => format!("the submission of run '{id}'"),
        }
    }

    /// A submission's name as learned from earlier answers (its id if none).
    pub fn group_name(&self, id: &str) -> String {
        let names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        names.get(id).cloned().unwrap_or_else(|| id.to_string())
    }

    fn learn_names<'a>(&self, groups: impl IntoIterator<Item = (&'a str, &'a str)>) {
        let mut names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        for (id, name) in groups {
            names.insert(id.to_string(), name.to_string());
        }
    }

    /// Fetch `key` fresh and keep a copy; when the server cannot be reached,
    /// give the copy instead (marked offline). Other errors (403, 404, …) are
    /// not hidden behind old data.
    fn cached<T: Serialize + DeserializeOwned>(
        &self,
        scope: Scope,
        key: &str,
        fetch: impl FnOnce() -> Result<T, RemoteError>,
    ) -> Result<Fetched<T>, RemoteError> {
        match fetch() {
            Ok(value) => {
                // Microseconds: what survives a round trip through the cache.
                let now = Utc::now().trunc_subsecs(6);
                if let Some(cache) = &self.cache {
                    if let Ok(text) = serde_json::to_string(&value) {
                        // A cache that cannot be written costs the offline
                        // view, never the fresh answer.
                        let _ = cache.put_at(&self.cache_scope(scope), key, &text, &now);
                    }
                }
                Ok(Fetched {
                    value,
                    fetched_at: now,
                    offline: None,
                })
            }
            Err(error) if error.is_offline() => {
                let cached = match &self.cache {
                    Some(cache) => cache.get(&self.cache_scope(scope), key)?,
                    None => None,
                };
                match cached.and_then(|entry| {
                    serde_json::from_str::<T>(&entry.body)
                        .ok()
                        .map(|value| (value, entry.fetched_at))
                }) {
                    Some((value, fetched_at)) => Ok(Fetched {
                        value,
                        fetched_at,
                        offline: Some(error.to_string()),
                    }),
                    None => Err(error),
                }
            }
            Err(error) => Err(error),
        }
    }

    /// Cache entries belong to a server and a user: what a member sees of a
    /// submission is not for whoever signs in next. The user name, not the
    /// token, so that the cache outlives a sign-in.
    fn cache_scope(&self, scope: Scope) -> String {
        match (scope, &self.token, &self.username) {
            (Scope::User, Some(_), Some(user)) => format!("{}#{user}", self.url().key()),
            _ => self.url().key(),
        }
    }

    /// Tell the handle whose sign-in it carries.
    pub fn with_user(mut self, username: &str) -> ServerApi {
        self.username = Some(username.to_string());
        self
    }

    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    // -- users ---------------------------------------------------------------

    /// Register a user (active at once: flowServ's server sends no mail).
    pub fn register(&self, username: &str, password: &str) -> Result<wire::User, RemoteError> {
        let url = self.url_for("users:register", &[])?;
        let body = json!({"username": username, "password": password, "verify": false});
        self.call_json("POST", &url, Payload::Json(&body), Subject::Server)
            .map_err(|error| match error {
                RemoteError::Rejected { message } if message.starts_with("duplicate user") => {
                    RemoteError::Rejected {
                        message: format!(
                            "the user name '{username}' is already taken on `{}`",
                            self.url()
                        ),
                    }
                }
                other => other,
            })
    }

    /// Sign in; returns the user with its token.
    pub fn login(&self, username: &str, password: &str) -> Result<wire::User, RemoteError> {
        let url = self.url_for("users:login", &[])?;
        let body = json!({"username": username, "password": password});
        let user: wire::User = self
            .call_json("POST", &url, Payload::Json(&body), Subject::Server)
            .map_err(|error| match error {
                // flowServ answers an unknown user and a wrong password alike.
                RemoteError::NotFound { server, .. } => RemoteError::WrongPassword { server },
                other => other,
            })?;
        if user.token.as_deref().is_none_or(str::is_empty) {
            return Err(RemoteError::BadResponse {
                server: self.url().key(),
                url: url.to_string(),
                message: "the sign-in answer holds no token".into(),
            });
        }
        Ok(user)
    }

    pub fn logout(&self) -> Result<(), RemoteError> {
        let url = self.url_for("users:logout", &[])?;
        self.call("POST", &url, Payload::None, Subject::Server)?;
        Ok(())
    }

    /// Who the token belongs to (`SignedOut` when it is no longer valid).
    pub fn whoami(&self) -> Result<wire::User, RemoteError> {
        let server = self.url().key();
        if self.token.is_none() {
            return Err(RemoteError::NotSignedIn { server });
        }
        let url = self.url_for("users:whoami", &[])?;
        let mut response = self.send("GET", &url, true, Payload::None)?;
        match response.status().as_u16() {
            200 => self.http.json(&url, &mut response),
            401 | 403 => Err(RemoteError::SignedOut { server }),
            status => {
                let (message, _) = http::error_message(&mut response);
                Err(RemoteError::Server {
                    server,
                    status,
                    message,
                })
            }
        }
    }

    /// Registered users whose name contains `query` (to add members).
    pub fn users(&self, query: Option<&str>) -> Result<Vec<wire::User>, RemoteError> {
        let mut url = self.url_for("users:list", &[])?;
        if let Some(query) = query {
            url.query_pairs_mut().append_pair("query", query);
        }
        let listing: wire::UserListing =
            self.call_json("GET", &url, Payload::None, Subject::Server)?;
        Ok(listing.users)
    }

    // -- benchmarks ----------------------------------------------------------

    pub fn workflows(&self) -> Result<Fetched<Vec<wire::WorkflowDescriptor>>, RemoteError> {
        self.cached(Scope::Public, "workflows", || {
            let url = self.url_for("workflows:list", &[])?;
            let listing: wire::WorkflowListing =
                self.call_json("GET", &url, Payload::None, Subject::Server)?;
            Ok(listing.workflows)
        })
    }

    pub fn workflow(&self, id: &str) -> Result<Fetched<wire::WorkflowHandle>, RemoteError> {
        let fetched = self.cached(Scope::User, &format!("workflow/{id}"), || {
            let url = self.url_for("workflows:get", &[("workflowId", id)])?;
            self.call_json::<wire::WorkflowHandle>(
                "GET",
                &url,
                Payload::None,
                Subject::Workflow(id),
            )
        })?;
        self.learn_names(
            fetched
                .value
                .groups
                .iter()
                .map(|g| (g.id.as_str(), g.name.as_str())),
        );
        Ok(fetched)
    }

    /// The ranking: best run per submission, or all runs; `order` is
    /// `(column, descending)` pairs (empty: the template's orderBy).
    pub fn leaderboard(
        &self,
        workflow: &str,
        order: &[(String, bool)],
        include_all: bool,
    ) -> Result<Fetched<wire::Ranking>, RemoteError> {
        let order_by: Vec<String> = order
            .iter()
            .map(|(column, desc)| format!("{column}:{}", if *desc { "desc" } else { "asc" }))
            .collect();
        let order_by = order_by.join(",");
        let key = format!("leaderboard/{workflow}?all={include_all}&order={order_by}");
        self.cached(Scope::Public, &key, || {
            let mut values = vec![("workflowId", workflow)];
            if !order_by.is_empty() {
                values.push(("orderBy", order_by.as_str()));
            }
            if include_all {
                values.push(("includeAll", "true"));
            }
            let url = self.url_for("leaderboard", &values)?;
            self.call_json("GET", &url, Payload::None, Subject::Workflow(workflow))
        })
    }

    /// The benchmark's post-processing outputs as a `.tar.gz`.
    pub fn download_postproc_archive(
        &self,
        workflow: &str,
        out: &mut dyn Write,
        out_name: &Path,
    ) -> Result<u64, RemoteError> {
        let url = self.url_for("workflows:download:archive", &[("workflowId", workflow)])?;
        self.download(&url, Subject::Workflow(workflow), out, out_name)
    }

    pub fn download_postproc_file(
        &self,
        workflow: &str,
        file_id: &str,
        out: &mut dyn Write,
        out_name: &Path,
    ) -> Result<u64, RemoteError> {
        let url = self.url_for(
            "workflows:download:file",
            &[("workflowId", workflow), ("fileId", file_id)],
        )?;
        self.download(&url, Subject::Workflow(workflow), out, out_name)
    }

    // -- submissions ---------------------------------------------------------

    /// The caller's submissions to a benchmark.
    pub fn groups(
        &self,
        workflow: &str,
    ) -> Result<Fetched<Vec<wire::GroupDescriptor>>, RemoteError> {
        let fetched = self.cached(Scope::User, &format!("groups/{workflow}"), || {
            let url = self.url_for("workflows:groups", &[("workflowId", workflow)])?;
            let listing: wire::GroupListing =
                self.call_json("GET", &url, Payload::None, Subject::Workflow(workflow))?;
            Ok(listing.groups)
        })?;
        self.learn_names(
            fetched
                .value
                .iter()
                .map(|g| (g.id.as_str(), g.name.as_str())),
        );
        Ok(fetched)
    }

    /// Create a submission; `members` are user ids (the caller is always one).
    pub fn create_group(
        &self,
        workflow: &str,
        name: &str,
        members: &[String],
    ) -> Result<wire::GroupHandle, RemoteError> {
        let url = self.url_for("groups:create", &[("workflowId", workflow)])?;
        let body = json!({"name": name, "members": members});
        let group: wire::GroupHandle = self.call_json(
            "POST",
            &url,
            Payload::Json(&body),
            Subject::Workflow(workflow),
        )?;
        self.learn_names([(group.id.as_str(), group.name.as_str())]);
        Ok(group)
    }

    pub fn group(&self, id: &str) -> Result<Fetched<wire::GroupHandle>, RemoteError> {
        let fetched = self.cached(Scope::User, &format!("group/{id}"), || {
            let url = self.url_for("groups:get", &[("userGroupId", id)])?;
            self.call_json::<wire::GroupHandle>("GET", &url, Payload::None, Subject::Submission(id))
        })?;
        self.learn_names([(fetched.value.id.as_str(), fetched.value.name.as_str())]);
        Ok(fetched)
    }

    /// Rename a submission and/or set its members (user ids).
    pub fn update_group(
        &self,
        id: &str,
        name: Option<&str>,
        members: Option<&[String]>,
    ) -> Result<wire::GroupHandle, RemoteError> {
        let url = self.url_for("groups:update", &[("userGroupId", id)])?;
        let mut body = serde_json::Map::new();
        if let Some(name) = name {
            body.insert("name".into(), Value::from(name));
        }
        if let Some(members) = members {
            body.insert("members".into(), json!(members));
        }
        let body = Value::Object(body);
        let group: wire::GroupHandle =
            self.call_json("PUT", &url, Payload::Json(&body), Subject::Submission(id))?;
        self.learn_names([(group.id.as_str(), group.name.as_str())]);
        Ok(group)
    }

    pub fn delete_group(&self, id: &str) -> Result<(), RemoteError> {
        let url = self.url_for("groups:delete", &[("userGroupId", id)])?;
        self.call("DELETE", &url, Payload::None, Subject::Submission(id))?;
        self.forget(&format!("group/{id}"));
        Ok(())
    }

    // -- uploads -------------------------------------------------------------

    /// Upload a file to a submission, streaming it; `progress(sent, total)`
    /// is called as bytes go out.
    pub fn upload(
        &self,
        group: &str,
        path: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<wire::UploadedFile, RemoteError> {
        let url = self.url_for("files:upload", &[("userGroupId", group)])?;
        let result = self.call_json(
            "POST",
            &url,
            Payload::File { path, progress },
            Subject::Submission(group),
        );
        match result {
            // A server that refuses a large body may close the connection
            // before it has read it, so the 413 never arrives: say what most
            // likely happened.
            Err(RemoteError::Unreachable { reason, .. })
                if reason.contains("closed the connection") || reason.contains("reset") =>
            {
                let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
                Err(RemoteError::TooLarge {
                    what: format!("`{}`", path.display()),
                    server: self.url().key(),
                    detail: format!(
                        "the server closed the connection during the upload of {size} bytes; flowServ's default limit is 16 MB (ROB_WEBAPI_CONTENTLENGTH)"
                    ),
                })
            }
            Err(RemoteError::TooLarge { server, detail, .. }) => Err(RemoteError::TooLarge {
                what: format!("`{}`", path.display()),
                server,
                detail,
            }),
            other => other,
        }
    }

    pub fn uploads(&self, group: &str) -> Result<Vec<wire::UploadedFile>, RemoteError> {
        let url = self.url_for("files:list", &[("userGroupId", group)])?;
        let listing: wire::FileListing =
            self.call_json("GET", &url, Payload::None, Subject::Submission(group))?;
        Ok(listing.files)
    }

    pub fn delete_upload(&self, group: &str, file_id: &str) -> Result<(), RemoteError> {
        let url = self.url_for(
            "files:delete",
            &[("userGroupId", group), ("fileId", file_id)],
        )?;
        self.call("DELETE", &url, Payload::None, Subject::Submission(group))?;
        Ok(())
    }

    pub fn download_upload(
        &self,
        group: &str,
        file_id: &str,
        out: &mut dyn Write,
        out_name: &Path,
    ) -> Result<u64, RemoteError> {
        let url = self.url_for(
            "files:download",
            &[("userGroupId", group), ("fileId", file_id)],
        )?;
        self.download(&url, Subject::Submission(group), out, out_name)
    }

    // -- runs ----------------------------------------------------------------

    pub fn start_run(
        &self,
        group: &str,
        arguments: &[wire::Argument],
    ) -> Result<wire::RunHandle, RemoteError> {
        let url = self.url_for("runs:start", &[("userGroupId", group)])?;
        let body = json!({"arguments": arguments});
        self.call_json(
            "POST",
            &url,
            Payload::Json(&body),
            Subject::Submission(group),
        )
    }

    /// The runs of a submission, optionally in one state.
    pub fn runs(
        &self,
        group: &str,
        state: Option<&str>,
    ) -> Result<Fetched<Vec<wire::RunDescriptor>>, RemoteError> {
        let fetched = self.cached(Scope::User, &format!("runs/{group}"), || {
            let url = self.url_for("groups:runs", &[("userGroupId", group)])?;
            let listing: wire::RunListing =
                self.call_json("GET", &url, Payload::None, Subject::Submission(group))?;
            Ok(listing.runs)
        })?;
        // flowServ 0.8 ignores `?state=`; filter here so every version agrees.
        Ok(fetched.map(|runs| match state {
            Some(state) => runs
                .into_iter()
                .filter(|run| run.state.eq_ignore_ascii_case(state))
                .collect(),
            None => runs,
        }))
    }

    pub fn run(&self, id: &str) -> Result<Fetched<wire::RunHandle>, RemoteError> {
        self.cached(Scope::User, &format!("run/{id}"), || {
            let url = self.url_for("runs:get", &[("runId", id)])?;
            self.call_json("GET", &url, Payload::None, Subject::Run(id))
        })
    }

    pub fn cancel_run(
        &self,
        id: &str,
        reason: Option<&str>,
    ) -> Result<wire::RunHandle, RemoteError> {
        let url = self.url_for("runs:cancel", &[("runId", id)])?;
        let body = match reason {
            Some(reason) => json!({"reason": reason}),
            None => json!({}),
        };
        self.call_json("PUT", &url, Payload::Json(&body), Subject::Run(id))
            .map_err(|error| match error {
                // flowServ 0.8 words this "invalid operation for run in state
                // <bound method …>".
                RemoteError::Rejected { message } if message.starts_with("invalid operation") => {
                    RemoteError::Rejected {
                        message: format!(
                            "run '{id}' is not active (it has ended); only a pending or running run can be cancelled"
                        ),
                    }
                }
                other => other,
            })
    }

    pub fn delete_run(&self, id: &str) -> Result<(), RemoteError> {
        let url = self.url_for("runs:delete", &[("runId", id)])?;
        self.call("DELETE", &url, Payload::None, Subject::Run(id))?;
        self.forget(&format!("run/{id}"));
        Ok(())
    }

    pub fn download_run_archive(
        &self,
        run: &str,
        out: &mut dyn Write,
        out_name: &Path,
    ) -> Result<u64, RemoteError> {
        let url = self.url_for("runs:download:archive", &[("runId", run)])?;
        self.download(&url, Subject::Run(run), out, out_name)
    }

    pub fn download_run_file(
        &self,
        run: &str,
        file_id: &str,
        out: &mut dyn Write,
        out_name: &Path,
    ) -> Result<u64, RemoteError> {
        let url = self.url_for("runs:download:file", &[("runId", run), ("fileId", file_id)])?;
        self.download(&url, Subject::Run(run), out, out_name)
    }

    fn download(
        &self,
        url: &Url,
        subject: Subject<'_>,
        out: &mut dyn Write,
        out_name: &Path,
    ) -> Result<u64, RemoteError> {
        let mut response = self.call("GET", url, Payload::None, subject)?;
        self.http.copy_to(&mut response, out, out_name)
    }

    fn forget(&self, key: &str) {
        if let Some(cache) = &self.cache {
            let _ = cache.remove(&self.cache_scope(Scope::User), key);
        }
    }
}

const DEFAULT_PATH_NOTE: &str = "flowServ's default path /flowserv/api/v1";
