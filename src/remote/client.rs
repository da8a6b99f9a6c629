//! The server backend of the client interface: every operation of [`Client`]
//! over a flowServ server's REST API ([`ServerApi`]), with the same view models
//! as this computer's backend, so that the GUI and the CLI show a server with
//! the same screens and commands. What a server cannot do (install
//! benchmarks, logs, worker configurations, clean-up) is declared in its
//! [`Capabilities`] with the reason.
//!
//! Events come from a [`Poller`] started when the first subscriber arrives:
//! the screens say what they show ([`Client::set_focus`]) and whether the
//! window is visible, the poller asks the server about that and about active
//! runs, and reports changes as [`ClientEvent`]s. When the server cannot be
//! reached, what was seen last is served from the offline cache and
//! [`Client::connection`] says so, with the time it was fetched.

use super::credentials::{Credentials, Session};
use super::poll::{PollEvent, Poller, Watch};
use super::wire;
use super::{Fetched, RemoteError, ServerApi, ServerUrl};
use crate::client::{
    Activity, BenchmarkDetail, BenchmarkEdit, BenchmarkSummary, Capabilities, CleanupQuery, Client,
    ClientError, ClientEvent, ConnectionStatus, EventHub, Focus, InstallRequest, LeaderboardQuery,
    LeaderboardRow, LeaderboardView, Operation, PostprocOutput, PostprocView, Preview, RankedRows,
    RepositoryTemplate, RunDetail, RunFileView, RunList, RunQuery, RunRequest, RunRow, Submission,
    Subscriber, Upload,
};
use crate::model::RunState;
use crate::template::{
    ColumnType, Parameter, ParameterGroup, ParameterType, ResultColumn, ResultSchema, ResultValue,
};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// Folder (inside the home folder) for copies of server run files that the
/// viewers open.
pub const FILES_DIR: &str = "server-files";
/// The reason given to the server when the user cancels a run (flowServ's
/// own wording for a canceled run).
const CANCEL_REASON: &str = "canceled at user request";
/// How often `wait` asks the server about a run.
const WAIT_INTERVAL: Duration = Duration::from_secs(1);

/// A flowServ server as a backend.
pub struct RemoteClient {
    api: Arc<ServerApi>,
    hub: Arc<EventHub>,
    poller: Mutex<Option<Poller>>,
    home: PathBuf,
    status: Arc<Mutex<ConnectionStatus>>,
    /// Result values of finished runs (they never change), by run id.
    values: Mutex<HashMap<String, Vec<Option<ResultValue>>>>,
    /// Result columns per benchmark id, from the last leaderboard.
    columns: Mutex<HashMap<String, Arc<[ResultColumn]>>>,
    /// Post-processing run id → benchmark id, to fetch its files by the
    /// benchmark's route.
    postproc_runs: Mutex<HashMap<String, String>>,
    /// Runs that have ended, as last fetched: they no longer change, so a
    /// list or a detail shows them without asking again.
    finished: Mutex<HashMap<String, wire::RunHandle>>,
    /// The benchmark list and when it was fetched, to resolve keys without a
    /// request each time (benchmarks are installed rarely).
    listing: Mutex<Option<(std::time::Instant, Vec<wire::WorkflowDescriptor>)>>,
}

/// How long the benchmark list resolves keys before it is fetched again.
const LISTING_TTL: Duration = Duration::from_secs(60);

impl RemoteClient {
    /// Open `url` with the sign-in kept for it (or `token`, which wins: flowServ's
    /// `FLOWSERV_ACCESS_TOKEN`). Nothing is sent yet.
    pub fn open(
        home: &Path,
        url: ServerUrl,
        credentials: &Credentials,
        token: Option<String>,
    ) -> Result<RemoteClient, ClientError> {
        let session = match token {
            Some(token) => Some(Session {
                username: String::new(),
                token,
            }),
            None => credentials.session(&url).map_err(client_error)?,
        };
        let cache = super::open_cache(home);
        let mut api = ServerApi::new(url, session.as_ref().map(|s| s.token.clone()), cache);
        if let Some(session) = session.as_ref().filter(|s| !s.username.is_empty()) {
            api = api.with_user(&session.username);
        }
        Ok(RemoteClient::with_api(home, api))
    }

    /// Over a prepared handle (tests, benches).
    pub fn with_api(home: &Path, api: ServerApi) -> RemoteClient {
        let signed_in_as = api.username().map(str::to_string);
        RemoteClient {
            status: Arc::new(Mutex::new(ConnectionStatus {
                server: api.url().key(),
                online: true,
                message: None,
                updated: None,
                data_from: None,
                signed_in_as,
            })),
            api: Arc::new(api),
            hub: Arc::new(EventHub::default()),
            poller: Mutex::new(None),
            home: home.to_path_buf(),
            values: Mutex::new(HashMap::new()),
            columns: Mutex::new(HashMap::new()),
            postproc_runs: Mutex::new(HashMap::new()),
            finished: Mutex::new(HashMap::new()),
            listing: Mutex::new(None),
        }
    }

    /// The benchmark list, fresh or from the last minute.
    fn listing(&self, fresh: bool) -> Result<Vec<wire::WorkflowDescriptor>, ClientError> {
        if !fresh {
            let listing = self.listing.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((at, list)) = listing.as_ref() {
                if at.elapsed() < LISTING_TTL {
                    return Ok(list.clone());
                }
            }
        }
        let fetched = self.api.workflows().map_err(|e| self.failed(e))?;
        let offline = fetched.is_offline();
        let list = self.seen(fetched);
        if !offline {
            *self.listing.lock().unwrap_or_else(PoisonError::into_inner) =
                Some((std::time::Instant::now(), list.clone()));
        }
        Ok(list)
    }

    /// The error for an operation a server does not offer.
    fn unsupported(&self, operation: Operation) -> ClientError {
        match self.capabilities().check(operation) {
            Err(error) => error,
            Ok(()) => ClientError::Invalid(format!(
                "{} is not implemented for `{}`",
                operation.describe(),
                self.url()
            )),
        }
    }

    pub fn api(&self) -> &ServerApi {
        &self.api
    }

    pub fn url(&self) -> &ServerUrl {
        self.api.url()
    }

    // ----- bookkeeping -----------------------------------------------------------

    /// Note how an answer came (fresh, or from the cache because the server
    /// is away) and pass its value on.
    fn seen<T>(&self, fetched: Fetched<T>) -> T {
        let mut status = self.status.lock().unwrap_or_else(PoisonError::into_inner);
        match &fetched.offline {
            None => {
                status.online = true;
                status.message = None;
                status.updated = Some(SystemTime::now());
                status.data_from = None;
            }
            Some(reason) => {
                status.online = false;
                status.message = Some(reason.clone());
                status.data_from = Some(fetched.fetched_at);
            }
        }
        fetched.value
    }

    /// A failure: note it when it means the server is away, then convert.
    fn failed(&self, error: RemoteError) -> ClientError {
        if error.is_offline() {
            let mut status = self.status.lock().unwrap_or_else(PoisonError::into_inner);
            status.online = false;
            status.message = Some(error.to_string());
        }
        client_error(error)
    }

    fn poller(&self) -> std::sync::MutexGuard<'_, Option<Poller>> {
        self.poller.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Start polling (once someone listens).
    fn ensure_poller(&self) {
        let mut poller = self.poller();
        if poller.is_some() {
            return;
        }
        let hub = Arc::clone(&self.hub);
        let status = Arc::clone(&self.status);
        *poller = Some(Poller::start(
            Arc::clone(&self.api),
            Arc::new(move |event| forward(&hub, &status, event)),
        ));
    }

    fn follow(&self, run: &str) {
        if let Some(poller) = self.poller().as_ref() {
            poller.follow_run(run);
        }
    }

    /// A benchmark by id or name.
    fn resolve_benchmark(&self, key: &str) -> Result<wire::WorkflowDescriptor, ClientError> {
        let mut workflows = self.listing(false)?;
        if !workflows.iter().any(|w| w.id == key || w.name == key) {
            // Installed since the list was read?
            workflows = self.listing(true)?;
        }
        if let Some(found) = workflows.iter().find(|w| w.id == key) {
            return Ok(found.clone());
        }
        let named: Vec<&wire::WorkflowDescriptor> =
            workflows.iter().filter(|w| w.name == key).collect();
        match named.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(ClientError::NotFound {
                what: "benchmark",
                key: key.to_string(),
                hint: format!(
                    " on `{}` (see `flowdesk workflows --server {}`)",
                    self.url(),
                    self.url()
                ),
            }),
            _ => Err(ClientError::Invalid(format!(
                "'{key}' names several benchmarks on `{}`; use the id instead",
                self.url()
            ))),
        }
    }

    fn handle(&self, workflow: &str) -> Result<wire::WorkflowHandle, ClientError> {
        let fetched = self.api.workflow(workflow).map_err(|e| self.failed(e))?;
        let handle = self.seen(fetched);
        if let Some(postproc) = &handle.postproc {
            self.postproc_runs
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(postproc.id.clone(), handle.id.clone());
        }
        Ok(handle)
    }

    /// A submission by id or name, with the benchmark it belongs to. Names are
    /// looked up among the caller's submissions (of `benchmark` if given).
    fn resolve_group(
        &self,
        key: &str,
        benchmark: Option<&str>,
    ) -> Result<wire::GroupHandle, ClientError> {
        match self.api.group(key) {
            Ok(fetched) => return Ok(self.seen(fetched)),
            Err(RemoteError::NotFound { .. }) => {}
            Err(error) => return Err(self.failed(error)),
        }
        let benchmarks = match benchmark {
            Some(key) => vec![self.resolve_benchmark(key)?],
            None => self.listing(false)?,
        };
        for workflow in benchmarks {
            let groups = self.seen(self.api.groups(&workflow.id).map_err(|e| self.failed(e))?);
            if let Some(group) = groups.iter().find(|g| g.name == key) {
                return Ok(self.seen(self.api.group(&group.id).map_err(|e| self.failed(e))?));
            }
        }
        Err(ClientError::NotFound {
            what: "submission",
            key: key.to_string(),
            hint: format!(" of yours on `{}`", self.url()),
        })
    }

    /// The result columns of a benchmark and the values of its successful
    /// runs, from the leaderboard of all runs (one request).
    fn ranking_values(&self, workflow: &str) -> Result<Arc<[ResultColumn]>, ClientError> {
        let ranking = self
            .api
            .leaderboard(workflow, &[], true)
            .map_err(|e| self.failed(e))?;
        let ranking = self.seen(ranking);
        let columns: Arc<[ResultColumn]> = columns(&ranking.schema).into();
        let mut values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        for entry in &ranking.ranking {
            values.insert(entry.run.id.clone(), entry_values(&columns, &entry.results));
        }
        drop(values);
        self.columns
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(workflow.to_string(), Arc::clone(&columns));
        Ok(columns)
    }

    fn columns_of(&self, workflow: &str) -> Result<Arc<[ResultColumn]>, ClientError> {
        let known = self
            .columns
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(workflow)
            .cloned();
        match known {
            Some(columns) => Ok(columns),
            None => self.ranking_values(workflow),
        }
    }

    /// One run as a row. A successful run's values come from the leaderboard
    /// (fetched once: they never change).
    fn row(&self, run: &wire::RunHandle) -> Result<RunRow, ClientError> {
        let workflow = run.workflow_id.clone().unwrap_or_default();
        let state = parse_state(&run.state);
        let known = self
            .values
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&run.id)
            .cloned();
        let columns = if state == RunState::Success && known.is_none() && !workflow.is_empty() {
            self.ranking_values(&workflow)?
        } else if workflow.is_empty() {
            Arc::from(Vec::new())
        } else {
            self.columns_of(&workflow)?
        };
        let values = self
            .values
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&run.id)
            .cloned()
            .unwrap_or_else(|| vec![None; columns.len()]);
        let submission = match &run.group_id {
            Some(id) => self.api.group_name(id),
            None => "post-processing".to_string(),
        };
        Ok(run_row(run, workflow, submission, columns, values))
    }

    fn detail(&self, run: &wire::RunHandle) -> Result<RunDetail, ClientError> {
        Ok(RunDetail {
            run: self.row(run)?,
            files: run.files.iter().map(file_view).collect(),
            folder: None,
            log: None,
        })
    }

    fn fetch_run(&self, run: &str) -> Result<wire::RunHandle, ClientError> {
        if let Some(handle) = self
            .finished
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(run)
        {
            return Ok(handle.clone());
        }
        match self.api.run(run) {
            Ok(fetched) => {
                let offline = fetched.is_offline();
                let handle = self.seen(fetched);
                if !offline && !handle.is_active() {
                    self.finished
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(handle.id.clone(), handle.clone());
                }
                Ok(handle)
            }
            Err(RemoteError::NotFound { .. }) => Err(ClientError::NotFound {
                what: "run",
                key: run.to_string(),
                hint: format!(" on `{}`", self.url()),
            }),
            Err(error) => Err(self.failed(error)),
        }
    }

    /// The file of a run by id or name.
    fn run_file(&self, run: &wire::RunHandle, file: &str) -> Result<wire::ResultFile, ClientError> {
        run.files
            .iter()
            .find(|f| f.id == file || f.name == file)
            .cloned()
            .ok_or_else(|| ClientError::NotFound {
                what: "file",
                key: file.to_string(),
                hint: format!(
                    " in run '{}' (its files: {})",
                    run.id,
                    run.files
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    }

    /// The arguments of a run request in the server's form, uploading local
    /// files given for file parameters first.
    fn arguments(
        &self,
        parameters: &[Parameter],
        group: &str,
        arguments: &Map<String, Value>,
    ) -> Result<Vec<wire::Argument>, ClientError> {
        let uploads = self.api.uploads(group).map_err(|e| self.failed(e))?;
        let mut out = Vec::new();
        for (name, value) in arguments {
            let parameter = parameters
                .iter()
                .find(|p| &p.name == name)
                .ok_or_else(|| crate::error::ArgumentError::Unknown(name.clone()))?;
            if let ParameterType::File { .. } = parameter.dtype {
                let file = parameter.cast_file(value)?;
                let file_id = if uploads.iter().any(|u| u.id == file.source) {
                    file.source.clone()
                } else {
                    let path = PathBuf::from(&file.source);
                    if !path.is_file() {
                        return Err(ClientError::Invalid(format!(
                            "file argument '{name}': '{}' is neither a file uploaded to this submission nor a readable local file",
                            file.source
                        )));
                    }
                    self.api
                        .upload(group, &path, &mut |_, _| {})
                        .map_err(|e| self.failed(e))?
                        .id
                };
                out.push(wire::Argument::file(name, &file_id, Some(&file.target)));
            } else {
                out.push(wire::Argument {
                    name: name.clone(),
                    value: parameter.cast(value)?,
                });
            }
        }
        Ok(out)
    }

    /// Download into `out` through a temporary file beside it.
    fn download_to(
        &self,
        out: &Path,
        download: impl FnOnce(&mut dyn Write, &Path) -> Result<u64, RemoteError>,
    ) -> Result<u64, ClientError> {
        crate::client::write_file_atomically(out, |file| {
            download(file, out).map_err(|e| self.failed(e))
        })
    }
}

/// Turn a poller event into client events and connection status.
fn forward(hub: &EventHub, status: &Mutex<ConnectionStatus>, event: PollEvent) {
    match event {
        PollEvent::Run(run) => {
            seen_now(status);
            hub.emit(ClientEvent::RunChanged { run_id: run.id })
        }
        PollEvent::RunEnded { id, state } => {
            hub.emit(ClientEvent::RunFinished {
                run_id: id,
                state: parse_state(&state),
            });
        }
        PollEvent::Changed(watch) => {
            seen_now(status);
            let benchmark_id = match watch {
                Watch::Workflow(id) => Some(id),
                Watch::Leaderboard { workflow, .. } => Some(workflow),
                Watch::Group(_) | Watch::Groups(_) | Watch::Run(_) => None,
            };
            hub.emit(ClientEvent::Changed { benchmark_id });
        }
        PollEvent::Failed { message, offline } => {
            {
                let mut status = status.lock().unwrap_or_else(PoisonError::into_inner);
                status.online = !offline;
                status.message = Some(message.clone());
            }
            hub.emit(ClientEvent::Connection {
                online: !offline,
                message: Some(message),
            });
        }
        PollEvent::Online => {
            seen_now(status);
            hub.emit(ClientEvent::Connection {
                online: true,
                message: None,
            });
        }
    }
}

fn seen_now(status: &Mutex<ConnectionStatus>) {
    let mut status = status.lock().unwrap_or_else(PoisonError::into_inner);
    status.online = true;
    status.message = None;
    status.data_from = None;
    status.updated = Some(SystemTime::now());
}

/// A REST failure as a client error, word for word where the words are ours.
pub fn client_error(error: RemoteError) -> ClientError {
    match error {
        RemoteError::Unreachable { host, reason } => ClientError::Unreachable { url: host, reason },
        RemoteError::Timeout { host, seconds } => ClientError::Unreachable {
            url: host,
            reason: format!("no answer within {seconds} s"),
        },
        RemoteError::NotFlowServ { url, reason } => ClientError::NotFlowserv { url, reason },
        RemoteError::SignedOut { server } => ClientError::SignedOut { url: server },
        error @ RemoteError::NotSignedIn { .. } => ClientError::SignedOut {
            url: match &error {
                RemoteError::NotSignedIn { server } => server.clone(),
                _ => String::new(),
            },
        },
        error @ RemoteError::Forbidden { .. } => ClientError::Forbidden(error.to_string()),
        error @ RemoteError::TooLarge { .. } => ClientError::TooLarge(error.to_string()),
        RemoteError::Io { path, source } => ClientError::Io { path, source },
        RemoteError::Rejected { message } => ClientError::Invalid(message),
        error @ (RemoteError::BadUrl { .. }
        | RemoteError::WrongPassword { .. }
        | RemoteError::Credentials { .. }
        | RemoteError::BadServerList { .. }
        | RemoteError::UnknownServer(_)
        | RemoteError::Invalid(_)) => ClientError::Invalid(error.to_string()),
        error => ClientError::Server(error.to_string()),
    }
}

fn parse_state(text: &str) -> RunState {
    text.parse().unwrap_or(RunState::Error)
}

fn parse_time(text: Option<&str>) -> Option<DateTime<Utc>> {
    let text = text?;
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            text.parse::<chrono::NaiveDateTime>()
                .ok()
                .map(|naive| naive.and_utc())
        })
}

/// The leaderboard's columns as the template language's columns.
fn columns(schema: &[wire::ResultColumn]) -> Vec<ResultColumn> {
    schema
        .iter()
        .map(|column| ResultColumn {
            name: column.name.clone(),
            label: column.label.clone().unwrap_or_else(|| column.name.clone()),
            dtype: match column.dtype.as_deref() {
                Some("int") | Some("integer") => ColumnType::Int,
                Some("float") | Some("decimal") | Some("double") => ColumnType::Float,
                _ => ColumnType::String,
            },
            required: true,
            path: None,
        })
        .collect()
}

fn result_value(column: &ResultColumn, value: &Value) -> Option<ResultValue> {
    match (column.dtype, value) {
        (_, Value::Null) => None,
        (ColumnType::Int, value) => value
            .as_i64()
            .or_else(|| {
                value
                    .as_f64()
                    .filter(|f| f.fract() == 0.0)
                    .map(|f| f as i64)
            })
            .map(ResultValue::Int),
        (ColumnType::Float, value) => value.as_f64().map(ResultValue::Float),
        (ColumnType::String, Value::String(text)) => Some(ResultValue::String(text.clone())),
        (ColumnType::String, other) => Some(ResultValue::String(other.to_string())),
    }
}

fn entry_values(
    columns: &[ResultColumn],
    results: &[wire::ResultValue],
) -> Vec<Option<ResultValue>> {
    columns
        .iter()
        .map(|column| {
            results
                .iter()
                .find(|r| r.name == column.name)
                .and_then(|r| result_value(column, &r.value))
        })
        .collect()
}

/// Server arguments as the form keeps them: `{value, as}` for a file, so that
/// re-running a server run fills the form with the uploaded file.
fn argument_map(arguments: &[wire::Argument]) -> Map<String, Value> {
    arguments
        .iter()
        .map(|argument| {
            let value = match argument.as_file() {
                Some((id, target)) => {
                    let mut file = Map::new();
                    file.insert("value".into(), Value::from(id));
                    if let Some(target) = target {
                        file.insert("as".into(), Value::from(target));
                    }
                    Value::Object(file)
                }
                None => argument.value.clone(),
            };
            (argument.name.clone(), value)
        })
        .collect()
}

fn run_row(
    run: &wire::RunHandle,
    workflow: String,
    submission: String,
    columns: Arc<[ResultColumn]>,
    values: Vec<Option<ResultValue>>,
) -> RunRow {
    RunRow {
        id: run.id.clone(),
        benchmark_id: workflow,
        submission_id: run.group_id.clone(),
        submission,
        state: parse_state(&run.state),
        created_at: parse_time(run.created_at.as_deref()).unwrap_or_else(Utc::now),
        started_at: parse_time(run.started_at.as_deref()),
        finished_at: parse_time(run.finished_at.as_deref()),
        progress: None,
        // The server queues runs its own way and does not say where.
        queue_position: None,
        arguments: argument_map(&run.arguments),
        messages: run.messages.clone(),
        columns,
        values,
    }
}

fn file_view(file: &wire::ResultFile) -> RunFileView {
    RunFileView {
        id: file.id.clone(),
        name: file.name.clone(),
        size: 0,
        sha256: None,
        local_path: None,
    }
}

fn summary(workflow: &wire::WorkflowDescriptor) -> BenchmarkSummary {
    BenchmarkSummary {
        id: workflow.id.clone(),
        name: workflow.name.clone(),
        description: workflow.description.clone(),
        source: None,
        created_at: None,
    }
}

fn submission(group: &wire::GroupHandle, benchmark: &str) -> Submission {
    Submission {
        id: group.id.clone(),
        benchmark_id: group
            .workflow
            .clone()
            .unwrap_or_else(|| benchmark.to_string()),
        name: group.name.clone(),
        created_at: None,
        members: group.members.iter().map(|m| m.username.clone()).collect(),
        own_workers: false,
    }
}

fn upload(file: &wire::UploadedFile, group: &str) -> Upload {
    Upload {
        id: file.id.clone(),
        submission_id: group.to_string(),
        name: file.name.clone(),
        size: file.size.unwrap_or(0),
        sha256: None,
        created_at: parse_time(file.created_at.as_deref()),
    }
}

/// The server's parameter declarations in form order.
fn parameters(declarations: &[Value]) -> Result<Vec<Parameter>, ClientError> {
    let mut parameters = declarations
        .iter()
        .enumerate()
        .map(|(i, value)| {
            Parameter::from_value(value, &format!("parameters[{i}]"), i).map_err(|message| {
                ClientError::Server(format!(
                    "the server sent a parameter declaration this flowdesk cannot read: {message}"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    parameters.sort_by_key(|p| p.index);
    Ok(parameters)
}

fn parameter_groups(declarations: &[Value]) -> Vec<ParameterGroup> {
    let mut groups: Vec<ParameterGroup> = declarations
        .iter()
        .filter_map(|value| {
            let name = value.get("name")?.as_str()?.to_string();
            Some(ParameterGroup {
                title: value
                    .get("title")
                    .and_then(Value::as_str)
                    .unwrap_or(&name)
                    .to_string(),
                index: value.get("index").and_then(Value::as_i64).unwrap_or(0),
                name,
            })
        })
        .collect();
    groups.sort_by_key(|g| g.index);
    groups
}

/// A file or folder name that stays one name (no separators, no `..`).
fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    match cleaned.trim() {
        "" | "." | ".." => "file".to_string(),
        other => other.to_string(),
    }
}

/// The leaderboard kept as the server sent it; rows built when asked for.
struct ServerRanking {
    columns: Vec<ResultColumn>,
    entries: Vec<wire::RankingEntry>,
}

impl RankedRows for ServerRanking {
    fn len(&self) -> usize {
        self.entries.len()
    }

    fn row(&self, index: usize) -> Option<LeaderboardRow> {
        let entry = self.entries.get(index)?;
        let created = parse_time(entry.run.created_at.as_deref()).unwrap_or_default();
        let started = parse_time(entry.run.started_at.as_deref()).unwrap_or(created);
        let finished = parse_time(entry.run.finished_at.as_deref()).unwrap_or(started);
        Some(LeaderboardRow {
            rank: index + 1,
            run_id: entry.run.id.clone(),
            submission_id: entry.group.id.clone(),
            submission: entry.group.name.clone(),
            created_at: created,
            started_at: started,
            finished_at: finished,
            duration: (finished - started).as_seconds_f64(),
            values: entry_values(&self.columns, &entry.results),
            ..Default::default()
        })
    }
}

/// Why a server cannot do what this computer can.
const SERVER_INSTALLS: &str =
    "benchmarks are installed on the server by its coordinator (`flowserv workflows create`)";
const SERVER_LOGS: &str =
    "a flowServ server keeps no log of its runs; see the run's messages and result files";
const SERVER_ENGINE: &str = "the server runs workflows on its own engine";
const SERVER_PREVIEW: &str =
    "the server does not publish the workflow; install the benchmark here to preview its steps";

impl Client for RemoteClient {
    fn capabilities(&self) -> Capabilities {
        Capabilities::without(
            self.url().key(),
            [
                (Operation::ManageBenchmarks, SERVER_INSTALLS),
                (Operation::Repository, SERVER_INSTALLS),
                (Operation::Logs, SERVER_LOGS),
                (Operation::RunFolder, "the run's folder is on the server"),
                (Operation::SubmissionWorkers, SERVER_ENGINE),
                (
                    Operation::Cleanup,
                    "only the server's coordinator can clean up runs",
                ),
                (
                    Operation::TemplateCheck,
                    "template folders are checked on this computer",
                ),
                (Operation::Settings, SERVER_ENGINE),
                (Operation::Preview, SERVER_PREVIEW),
                (
                    Operation::Environments,
                    "a server's benchmarks run in the server's own Python",
                ),
                (
                    Operation::Provenance,
                    "a flowServ server records no provenance of its runs",
                ),
                (
                    Operation::Bundles,
                    "run bundles are made from and imported into runs of this computer",
                ),
                (
                    Operation::Reproduce,
                    "a flowServ server keeps no reproductions; reproduce a run of this computer",
                ),
                (Operation::RunSets, "a flowServ server keeps no run sets"),
            ],
        )
    }

    fn subscribe(&self, subscriber: Subscriber) {
        self.hub.subscribe(subscriber);
        self.ensure_poller();
    }

    fn set_focus(&self, focus: Focus) {
        self.ensure_poller();
        let watch = match focus {
            Focus::Nothing => None,
            Focus::Benchmark(key) => Some(Watch::Workflow(key)),
            Focus::Leaderboard(query) => Some(Watch::Leaderboard {
                workflow: query.benchmark,
                order: query
                    .order
                    .iter()
                    .map(|s| (s.name.clone(), s.sort_desc))
                    .collect(),
                all: query.all_runs,
            }),
            Focus::Runs(query) => match (query.submission, query.benchmark) {
                (Some(submission), _) => Some(Watch::Group(submission)),
                (None, Some(benchmark)) => {
                    let groups = self
                        .api
                        .groups(&benchmark)
                        .map(|f| f.value.into_iter().map(|g| g.id).collect::<Vec<_>>())
                        .unwrap_or_default();
                    Some(Watch::Groups(groups))
                }
                (None, None) => None,
            },
            Focus::Run(run) => Some(Watch::Run(run)),
        };
        if let Some(poller) = self.poller().as_ref() {
            poller.set_watch(watch);
        }
    }

    fn set_visible(&self, visible: bool) {
        if let Some(poller) = self.poller().as_ref() {
            poller.set_visible(visible);
        }
    }

    fn connection(&self) -> Option<ConnectionStatus> {
        let mut status = self
            .status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(poller) = self.poller().as_ref() {
            let polled = poller.status();
            if polled.last_success > status.updated {
                status.updated = polled.last_success;
            }
        }
        Some(status)
    }

    fn activity(&self) -> Result<Activity, ClientError> {
        let running = self
            .poller()
            .as_ref()
            .map(|p| p.followed().len())
            .unwrap_or(0);
        Ok(Activity { running, queued: 0 })
    }

    fn benchmarks(&self) -> Result<Vec<BenchmarkSummary>, ClientError> {
        Ok(self.listing(true)?.iter().map(summary).collect())
    }

    fn benchmark(&self, key: &str) -> Result<BenchmarkDetail, ClientError> {
        let workflow = self.resolve_benchmark(key)?;
        let handle = self.handle(&workflow.id)?;
        let columns = self.ranking_values(&workflow.id)?;
        let results = if columns.is_empty() {
            None
        } else {
            Some(ResultSchema {
                // The server does not say which file or default order; ranking
                // happens there.
                file: String::new(),
                columns: columns.to_vec(),
                order_by: Vec::new(),
            })
        };
        let submissions = handle
            .groups
            .iter()
            .map(|g| Submission {
                id: g.id.clone(),
                benchmark_id: handle.id.clone(),
                name: g.name.clone(),
                created_at: None,
                members: Vec::new(),
                own_workers: false,
            })
            .collect();
        Ok(BenchmarkDetail {
            benchmark: BenchmarkSummary {
                id: handle.id.clone(),
                name: handle.name.clone(),
                description: handle.description.clone(),
                source: Some(self.url().key()),
                created_at: None,
            },
            instructions: handle.instructions.clone(),
            parameters: parameters(&handle.parameters)?,
            groups: parameter_groups(&handle.parameter_groups),
            results,
            outputs: None,
            has_postproc: handle.postproc.is_some(),
            submissions,
        })
    }

    fn install(&self, _request: &InstallRequest) -> Result<BenchmarkSummary, ClientError> {
        Err(self.unsupported(Operation::ManageBenchmarks))
    }

    fn uninstall(&self, _key: &str) -> Result<BenchmarkSummary, ClientError> {
        Err(self.unsupported(Operation::ManageBenchmarks))
    }

    fn edit_benchmark(
        &self,
        _key: &str,
        _edit: &BenchmarkEdit,
    ) -> Result<BenchmarkSummary, ClientError> {
        Err(self.unsupported(Operation::ManageBenchmarks))
    }

    fn repository(&self) -> Result<Vec<RepositoryTemplate>, ClientError> {
        Err(self.unsupported(Operation::Repository))
    }

    fn submissions(&self, benchmark: &str) -> Result<Vec<Submission>, ClientError> {
        let workflow = self.resolve_benchmark(benchmark)?;
        let groups = self.seen(self.api.groups(&workflow.id).map_err(|e| self.failed(e))?);
        let mut out = Vec::with_capacity(groups.len());
        for group in groups {
            // The members are in the submission's own document.
            let handle = self.seen(self.api.group(&group.id).map_err(|e| self.failed(e))?);
            out.push(submission(&handle, &workflow.id));
        }
        Ok(out)
    }

    fn create_submission(&self, benchmark: &str, name: &str) -> Result<Submission, ClientError> {
        let workflow = self.resolve_benchmark(benchmark)?;
        let group = self
            .api
            .create_group(&workflow.id, name, &[])
            .map_err(|e| self.failed(e))?;
        if let Some(poller) = self.poller().as_ref() {
            poller.refresh();
        }
        Ok(submission(&group, &workflow.id))
    }

    fn rename_submission(&self, key: &str, name: &str) -> Result<Submission, ClientError> {
        let group = self.resolve_group(key, None)?;
        let updated = self
            .api
            .update_group(&group.id, Some(name), None)
            .map_err(|e| self.failed(e))?;
        Ok(submission(
            &updated,
            group.workflow.as_deref().unwrap_or_default(),
        ))
    }

    fn delete_submission(&self, key: &str) -> Result<Submission, ClientError> {
        let group = self.resolve_group(key, None)?;
        self.api
            .delete_group(&group.id)
            .map_err(|e| self.failed(e))?;
        Ok(submission(
            &group,
            group.workflow.as_deref().unwrap_or_default(),
        ))
    }

    fn set_members(&self, key: &str, members: &[String]) -> Result<Submission, ClientError> {
        let group = self.resolve_group(key, None)?;
        // Members are named by user name; the server wants user ids.
        let mut ids = Vec::with_capacity(members.len());
        for name in members {
            let found = self
                .api
                .users(Some(name))
                .map_err(|e| self.failed(e))?
                .into_iter()
                .find(|u| &u.username == name)
                .ok_or_else(|| ClientError::NotFound {
                    what: "user",
                    key: name.clone(),
                    hint: format!(" on `{}`", self.url()),
                })?;
            ids.push(found.id);
        }
        let updated = self
            .api
            .update_group(&group.id, None, Some(&ids))
            .map_err(|e| self.failed(e))?;
        Ok(submission(
            &updated,
            group.workflow.as_deref().unwrap_or_default(),
        ))
    }

    fn set_submission_workers(
        &self,
        _submission: &str,
        _config: Option<Value>,
    ) -> Result<Submission, ClientError> {
        Err(self.unsupported(Operation::SubmissionWorkers))
    }

    fn upload(&self, submission: &str, file: &Path) -> Result<Upload, ClientError> {
        self.upload_with_progress(submission, file, &mut |_, _| {})
    }

    fn upload_with_progress(
        &self,
        key: &str,
        file: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Upload, ClientError> {
        let group = self.resolve_group(key, None)?;
        let uploaded = self
            .api
            .upload(&group.id, file, progress)
            .map_err(|e| self.failed(e))?;
        Ok(upload(&uploaded, &group.id))
    }

    fn uploads(&self, key: &str) -> Result<Vec<Upload>, ClientError> {
        let group = self.resolve_group(key, None)?;
        let files = self.api.uploads(&group.id).map_err(|e| self.failed(e))?;
        Ok(files.iter().map(|f| upload(f, &group.id)).collect())
    }

    fn delete_upload(&self, key: &str, id: &str) -> Result<Upload, ClientError> {
        let group = self.resolve_group(key, None)?;
        let files = self.api.uploads(&group.id).map_err(|e| self.failed(e))?;
        let file = files
            .iter()
            .find(|f| f.id == id || f.name == id)
            .ok_or_else(|| ClientError::NotFound {
                what: "uploaded file",
                key: id.to_string(),
                hint: format!(" in submission '{}'", group.name),
            })?;
        self.api
            .delete_upload(&group.id, &file.id)
            .map_err(|e| self.failed(e))?;
        Ok(upload(file, &group.id))
    }

    fn preview(&self, _request: &RunRequest) -> Result<Preview, ClientError> {
        Err(self.unsupported(Operation::Preview))
    }

    fn start_run(&self, request: &RunRequest) -> Result<RunRow, ClientError> {
        let workflow = self.resolve_benchmark(&request.benchmark)?;
        let handle = self.handle(&workflow.id)?;
        let group = match &request.submission {
            Some(key) => self.resolve_group(key, Some(&workflow.id))?,
            None => {
                let first = handle.groups.first().ok_or_else(|| {
                    ClientError::Invalid(format!(
                        "you have no submission to '{}' on `{}` yet; create one first (`flowdesk submission create {} NAME --server {}`)",
                        workflow.name,
                        self.url(),
                        workflow.id,
                        self.url()
                    ))
                })?;
                self.seen(self.api.group(&first.id).map_err(|e| self.failed(e))?)
            }
        };
        let parameters = parameters(&handle.parameters)?;
        let arguments = self.arguments(&parameters, &group.id, &request.arguments)?;
        let run = self
            .api
            .start_run(&group.id, &arguments)
            .map_err(|e| self.failed(e))?;
        if run.is_active() {
            self.follow(&run.id);
        }
        self.row(&run)
    }

    fn wait(&self, run: &str) -> Result<RunDetail, ClientError> {
        loop {
            let handle = self.fetch_run(run)?;
            if !handle.is_active() {
                return self.detail(&handle);
            }
            std::thread::sleep(WAIT_INTERVAL);
        }
    }

    fn cancel_run(&self, run: &str) -> Result<RunRow, ClientError> {
        let handle = self
            .api
            .cancel_run(run, Some(CANCEL_REASON))
            .map_err(|e| self.failed(e))?;
        self.row(&handle)
    }

    fn delete_run(&self, run: &str) -> Result<RunRow, ClientError> {
        let handle = self.fetch_run(run)?;
        let row = self.row(&handle)?;
        self.api
            .delete_run(&handle.id)
            .map_err(|e| self.failed(e))?;
        self.finished
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&handle.id);
        Ok(row)
    }

    fn runs(&self, query: &RunQuery) -> Result<RunList, ClientError> {
        let workflows = match &query.benchmark {
            Some(key) => vec![self.resolve_benchmark(key)?],
            None => self.listing(false)?,
        };
        let mut rows = Vec::new();
        for workflow in workflows {
            let groups: Vec<(String, String)> = match &query.submission {
                Some(key) => {
                    let group = self.resolve_group(key, Some(&workflow.id))?;
                    vec![(group.id, group.name)]
                }
                None => self
                    .seen(self.api.groups(&workflow.id).map_err(|e| self.failed(e))?)
                    .into_iter()
                    .map(|g| (g.id, g.name))
                    .collect(),
            };
            if groups.is_empty() {
                continue;
            }
            let columns = self.ranking_values(&workflow.id)?;
            for (group, name) in groups {
                let runs = self
                    .api
                    .runs(&group, query.state.map(|s| s.as_str()))
                    .map_err(|e| self.failed(e))?;
                for descriptor in self.seen(runs) {
                    let state = parse_state(&descriptor.state);
                    let values = self
                        .values
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .get(&descriptor.id)
                        .cloned();
                    // A successful run's times and values are on the
                    // leaderboard; others need their own document (messages,
                    // times), fetched once they are finished, cached after.
                    let handle = match (state, values.as_ref()) {
                        (RunState::Success, Some(_)) => wire::RunHandle {
                            id: descriptor.id.clone(),
                            state: descriptor.state.clone(),
                            workflow_id: Some(workflow.id.clone()),
                            group_id: Some(group.clone()),
                            created_at: descriptor.created_at.clone(),
                            started_at: None,
                            finished_at: None,
                            arguments: Vec::new(),
                            parameters: Vec::new(),
                            messages: Vec::new(),
                            files: Vec::new(),
                        },
                        _ => self.fetch_run(&descriptor.id)?,
                    };
                    if handle.is_active() {
                        self.follow(&handle.id);
                    }
                    let values = values.unwrap_or_else(|| vec![None; columns.len()]);
                    rows.push(run_row(
                        &handle,
                        workflow.id.clone(),
                        name.clone(),
                        Arc::clone(&columns),
                        values,
                    ));
                }
            }
        }
        // A run that succeeded after the leaderboard was read: read it again.
        let late: Vec<String> = rows
            .iter()
            .filter(|r| r.state == RunState::Success && !r.has_results() && !r.columns.is_empty())
            .map(|r| r.benchmark_id.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for workflow in late {
            self.ranking_values(&workflow)?;
        }
        let values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        for row in rows.iter_mut().filter(|r| !r.has_results()) {
            if let Some(known) = values.get(&row.id) {
                row.values = known.clone();
            }
        }
        drop(values);
        rows.sort_by_key(|row| std::cmp::Reverse(row.created_at));
        Ok(RunList { rows })
    }

    fn run(&self, run: &str) -> Result<RunDetail, ClientError> {
        let handle = self.fetch_run(run)?;
        if handle.is_active() {
            self.follow(&handle.id);
        }
        self.detail(&handle)
    }

    fn copy_log(&self, _run: &str, _offset: u64, _out: &mut dyn Write) -> Result<u64, ClientError> {
        Err(self.unsupported(Operation::Logs))
    }

    fn copy_run_file(
        &self,
        run: &str,
        file: &str,
        out: &mut dyn Write,
    ) -> Result<u64, ClientError> {
        let postproc = self
            .postproc_runs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(run)
            .cloned();
        if let Some(workflow) = postproc {
            return self
                .api
                .download_postproc_file(&workflow, file, out, Path::new("-"))
                .map_err(|e| self.failed(e));
        }
        let handle = self.fetch_run(run)?;
        let file = self.run_file(&handle, file)?;
        self.api
            .download_run_file(&handle.id, &file.id, out, Path::new("-"))
            .map_err(|e| match e {
                RemoteError::Io { source, .. } => ClientError::Output(source),
                other => self.failed(other),
            })
    }

    fn fetch_run_file(&self, run: &str, file: &str) -> Result<PathBuf, ClientError> {
        let server = format!("{:x}", sha2_digest(&self.url().key()));
        let folder = self
            .home
            .join(FILES_DIR)
            .join(&server[..16])
            .join(safe_name(run))
            .join(safe_name(file));
        // A file id names one immutable file: a copy once fetched stays good.
        if let Some(existing) = std::fs::read_dir(&folder)
            .ok()
            .and_then(|mut entries| entries.next())
            .and_then(Result::ok)
        {
            return Ok(existing.path());
        }
        let name = {
            let postproc = self
                .postproc_runs
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains_key(run);
            if postproc {
                file.to_string()
            } else {
                let handle = self.fetch_run(run)?;
                let found = self.run_file(&handle, file)?;
                found.name
            }
        };
        std::fs::create_dir_all(&folder).map_err(|e| ClientError::io(&folder, e))?;
        let path = folder.join(safe_name(&name));
        crate::client::write_file_atomically(&path, |out| {
            self.copy_run_file(run, file, out).map(|_| ())
        })?;
        Ok(path)
    }

    fn export_run(&self, run: &str, out: &Path) -> Result<usize, ClientError> {
        let handle = self.fetch_run(run)?;
        self.download_to(out, |file, name| {
            self.api.download_run_archive(&handle.id, file, name)
        })?;
        Ok(handle.files.len())
    }

    fn cleanup(&self, _query: &CleanupQuery) -> Result<Vec<String>, ClientError> {
        Err(self.unsupported(Operation::Cleanup))
    }

    fn leaderboard(
        &self,
        query: &LeaderboardQuery,
    ) -> Result<Option<LeaderboardView>, ClientError> {
        if query.reproduced_only {
            return Err(self.unsupported(Operation::Reproduce));
        }
        let workflow = self.resolve_benchmark(&query.benchmark)?;
        let order: Vec<(String, bool)> = query
            .order
            .iter()
            .map(|s| (s.name.clone(), s.sort_desc))
            .collect();
        let ranking = self
            .api
            .leaderboard(&workflow.id, &order, query.all_runs)
            .map_err(|e| self.failed(e))?;
        let ranking = self.seen(ranking);
        if ranking.schema.is_empty() {
            return Ok(None);
        }
        let columns = columns(&ranking.schema);
        if let Some(postproc) = &ranking.postproc {
            self.postproc_runs
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(postproc.id.clone(), workflow.id.clone());
        }
        Ok(Some(LeaderboardView::new(
            workflow.id,
            columns.clone(),
            query.order.clone(),
            query.all_runs,
            Arc::new(ServerRanking {
                columns,
                entries: ranking.ranking,
            }),
        )))
    }

    fn postproc(&self, benchmark: &str) -> Result<Option<PostprocView>, ClientError> {
        let workflow = self.resolve_benchmark(benchmark)?;
        let handle = self.handle(&workflow.id)?;
        let Some(run) = handle.postproc else {
            return Ok(None);
        };
        if parse_state(&run.state) != RunState::Success {
            return Ok(None);
        }
        let outputs = run
            .files
            .iter()
            .map(|file| PostprocOutput {
                file: file_view(file),
                title: file.title.clone(),
                caption: file.caption.clone(),
                format: file.format.clone(),
                widget: file.widget.clone(),
            })
            .collect();
        Ok(Some(PostprocView {
            run_id: run.id,
            finished_at: parse_time(run.finished_at.as_deref()),
            outputs,
        }))
    }

    fn export_postproc(&self, benchmark: &str, out: &Path) -> Result<usize, ClientError> {
        let workflow = self.resolve_benchmark(benchmark)?;
        let handle = self.handle(&workflow.id)?;
        let files = handle.postproc.map(|r| r.files.len()).unwrap_or(0);
        self.download_to(out, |file, name| {
            self.api.download_postproc_archive(&workflow.id, file, name)
        })?;
        Ok(files)
    }
}

fn sha2_digest(text: &str) -> sha2::digest::Output<sha2::Sha256> {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
}
