//! The client for this computer: every operation of [`Client`] over the local
//! [`Service`], turning its records into view models. Also what only this
//! computer has: its configuration and settings file, and the execution of a
//! run handed over by `flowdesk run` (`__execute`).

use super::capabilities::{Capabilities, Operation};
use super::error::ClientError;
use super::events::{ClientEvent, EventHub, Subscriber};
use super::templates::preview_view;
use super::view::*;
use super::Client;
use crate::config::{Config, Settings};
use crate::model::RunState;
use crate::service::{
    self, Leaderboard, RunFile, RunFilter, RunRecord, Service, ServiceEvent, SubmissionRecord,
    UploadRecord, WorkflowRecord,
};
use crate::template::{ResultColumn, ResultValue, Template};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What this computer is called in messages.
pub const BACKEND: &str = "this computer";

/// How to open this computer's backend.
#[derive(Debug, Clone, Default)]
pub struct LocalOptions {
    /// Install the bundled samples when the home folder is new.
    pub install_samples: bool,
    /// Runs that must outlive this process (post-processing set off by a short
    /// command, `detach` requests) run in `program __execute`.
    pub executor: Option<PathBuf>,
    /// End the runs dead processes left behind when opening (see
    /// [`LocalClient::recover`]). `flowdesk cancel` opens without, so that the
    /// run it cancels ends CANCELED rather than interrupted.
    pub recover: bool,
}

/// This computer's backend.
pub struct LocalClient {
    service: Service,
    hub: Arc<EventHub>,
}

impl LocalClient {
    /// Open the home folder, installing the samples on first start.
    pub fn open(config: Config) -> Result<LocalClient, ClientError> {
        Self::open_with(
            config,
            LocalOptions {
                install_samples: true,
                executor: None,
                recover: true,
            },
        )
    }

    pub fn open_with(config: Config, options: LocalOptions) -> Result<LocalClient, ClientError> {
        let service = Service::open_with_options(
            config,
            service::OpenOptions {
                install_samples: options.install_samples,
                recover: options.recover,
            },
        )?;
        if let Some(program) = options.executor {
            service.set_detached_executor(program);
        }
        let hub = Arc::new(EventHub::default());
        {
            let hub = Arc::clone(&hub);
            service.listen(move |event| hub.emit(client_event(event)));
        }
        Ok(LocalClient { service, hub })
    }

    pub fn config(&self) -> &Config {
        self.service.config()
    }

    /// End the runs dead processes left PENDING or RUNNING: kill what they
    /// left running and mark them interrupted; returns their ids. Opening does
    /// this unless told not to.
    pub fn recover(&self) -> Vec<String> {
        self.service.recover()
    }

    /// The newest post-processing run of a benchmark, in any state (the
    /// run lists leave post-processing runs out).
    pub fn latest_postproc_run(&self, benchmark: &str) -> Result<Option<String>, ClientError> {
        let workflow = self.service.workflow(benchmark)?;
        let records = self.service.runs(&RunFilter {
            workflow_id: Some(workflow.id),
            submission_id: None,
            state: None,
            include_postproc: true,
        })?;
        Ok(records
            .into_iter()
            .filter(|r| r.submission_id.is_none())
            .max_by_key(|r| r.created_at)
            .map(|r| r.id))
    }

    /// A number that changes whenever the home's database changes, from this
    /// process or another (a CLI run, another window).
    pub fn change_counter(&self) -> Option<i64> {
        self.service.data_version().ok()
    }

    /// Why the configured worker configuration cannot be used, if it cannot
    /// (runs are refused with this message).
    pub fn worker_config_error(&self) -> Option<String> {
        self.service.worker_config_error().map(|e| e.to_string())
    }

    /// Write the settings file of the home folder and apply it at once (see
    /// [`Service::apply_settings`]); the configuration as it is now.
    pub fn save_settings(&self, settings: &Settings) -> Result<Config, ClientError> {
        let home = self.config().home.clone();
        settings
            .save(&home)
            .map_err(|e| ClientError::Local(e.into()))?;
        let config = Config::resolve(Some(home)).map_err(|e| ClientError::Local(e.into()))?;
        self.service
            .apply_settings(&config)
            .map_err(ClientError::Local)?;
        Ok(self.service.current_config())
    }

    /// [`LocalClient::config`] with the settings applied since the start.
    pub fn current_config(&self) -> Config {
        self.service.current_config()
    }

    /// Execute a run that `flowdesk run` prepared and handed to this process
    /// with its lock descriptor, and wait for it. A run that cannot be executed
    /// ends in ERROR with the reason.
    ///
    /// # Safety
    /// `lock_fd` must be the inherited, locked descriptor of the run's lock that
    /// nothing else in this process owns.
    pub unsafe fn execute_handed_over(
        &self,
        run_id: &str,
        lock_fd: i32,
    ) -> Result<RunState, ClientError> {
        // SAFETY: guaranteed by the caller.
        let lock = unsafe { service::RunLock::from_inherited(lock_fd) };
        if let Err(e) = self.service.execute_handed_over(run_id, lock) {
            let message = e.to_string();
            if let Err(again) = self.service.fail_run(run_id, &message) {
                return Err(ClientError::Invalid(format!(
                    "{message}; marking run '{run_id}' failed did not work either: {again}"
                )));
            }
            return Err(e.into());
        }
        Ok(self.service.wait(run_id)?.state)
    }

    // ----- conversions --------------------------------------------------------

    fn template(&self, record: &WorkflowRecord) -> Result<Template, ClientError> {
        Ok(self.service.template(record)?)
    }

    fn columns(template: &Template) -> Arc<[ResultColumn]> {
        template
            .results
            .as_ref()
            .map(|s| s.columns.clone())
            .unwrap_or_default()
            .into()
    }

    /// The rows of `records`, with submission names and result values read in
    /// one query per benchmark.
    fn rows(&self, records: Vec<RunRecord>) -> Result<Vec<RunRow>, ClientError> {
        struct Benchmark {
            columns: Arc<[ResultColumn]>,
            names: HashMap<String, String>,
            values: HashMap<String, Vec<Option<ResultValue>>>,
        }
        let mut benchmarks: HashMap<String, Benchmark> = HashMap::new();
        let mut rows = Vec::with_capacity(records.len());
        for run in records {
            if !benchmarks.contains_key(&run.workflow_id) {
                let record = self.service.workflow(&run.workflow_id)?;
                let template = self.template(&record)?;
                let names = self
                    .service
                    .submissions(&record)?
                    .into_iter()
                    .map(|s| (s.id, s.name))
                    .collect();
                // Values of every successful run at once: the leaderboard of all
                // runs is one scan of the result table.
                let mut values = HashMap::new();
                if let Some(board) = self.service.leaderboard(&record.id, &[], true)? {
                    for entry in board.iter() {
                        values.insert(
                            entry.run_id,
                            entry.values.into_iter().map(|(_, v)| v).collect(),
                        );
                    }
                }
                benchmarks.insert(
                    run.workflow_id.clone(),
                    Benchmark {
                        columns: Self::columns(&template),
                        names,
                        values,
                    },
                );
            }
            let Some(benchmark) = benchmarks.get_mut(&run.workflow_id) else {
                continue;
            };
            let submission = submission_name(&run, |id| benchmark.names.get(id).cloned());
            let values = benchmark
                .values
                .remove(&run.id)
                .unwrap_or_else(|| vec![None; benchmark.columns.len()]);
            rows.push(row(run, submission, Arc::clone(&benchmark.columns), values));
        }
        self.place_in_queue(&mut rows);
        Ok(rows)
    }

    /// Give PENDING rows their place in the queue of runs waiting for a slot
    /// (shared by every process of the home folder).
    fn place_in_queue(&self, rows: &mut [RunRow]) {
        if !rows.iter().any(|r| r.state == RunState::Pending) {
            return;
        }
        let queue = self.service.queue();
        for row in rows.iter_mut().filter(|r| r.state == RunState::Pending) {
            row.queue_position = queue.iter().position(|id| *id == row.id).map(|i| i + 1);
        }
    }

    /// One run as a row, its values read from the store.
    fn row(&self, run: RunRecord) -> Result<RunRow, ClientError> {
        let record = self.service.workflow(&run.workflow_id)?;
        let columns = Self::columns(&self.template(&record)?);
        let results = self.service.run_results(&run.id)?;
        let values = columns
            .iter()
            .map(|c| {
                results
                    .iter()
                    .find(|(name, _)| name == &c.name)
                    .and_then(|(_, v)| v.clone())
            })
            .collect();
        let submission = submission_name(&run, |id| {
            self.service
                .submission(id, Some(&record))
                .ok()
                .map(|s| s.name)
        });
        let mut rows = [row(run, submission, columns, values)];
        self.place_in_queue(&mut rows);
        let [row] = rows;
        Ok(row)
    }

    fn detail(&self, run: RunRecord) -> Result<RunDetail, ClientError> {
        let folder = self.service.run_dir(&run.id);
        let files = self
            .service
            .run_files(&run.id)?
            .into_iter()
            .map(|f| file_view(&folder, f))
            .collect();
        let log = self.service.log_path(&run.id);
        Ok(RunDetail {
            run: self.row(run)?,
            files,
            folder: Some(folder),
            log: Some(log),
        })
    }

    fn submission_in(&self, key: &str) -> Result<SubmissionRecord, ClientError> {
        Ok(self.service.submission(key, None)?)
    }
}

fn client_event(event: &ServiceEvent) -> ClientEvent {
    match event.clone() {
        ServiceEvent::RunChanged { run_id } => ClientEvent::RunChanged { run_id },
        ServiceEvent::LogGrew { run_id } => ClientEvent::LogGrew { run_id },
        ServiceEvent::RunFinished { run_id, state } => ClientEvent::RunFinished { run_id, state },
        ServiceEvent::Problem { run_id, message } => ClientEvent::Problem { run_id, message },
        ServiceEvent::Environment(progress) => ClientEvent::Environment(EnvironmentProgressView {
            fraction: progress.fraction(),
            benchmark_id: progress.workflow_id,
            done: progress.done,
            total: progress.total,
            message: progress.message,
            finished: progress.finished,
        }),
    }
}

fn environment_view(info: service::EnvironmentInfo) -> EnvironmentView {
    use service::EnvironmentState as S;
    EnvironmentView {
        benchmark_id: info.workflow_id,
        requirements: info.requirements,
        status: match info.state {
            S::None => EnvironmentStatus::None,
            S::Missing => EnvironmentStatus::Missing,
            S::Creating { started, .. } => EnvironmentStatus::Creating { started },
            S::Ready {
                python,
                tool,
                created,
            } => EnvironmentStatus::Ready {
                python,
                tool,
                created,
            },
            S::Failed { message } => EnvironmentStatus::Failed { message },
        },
        folder: info.folder,
        log: info.log,
    }
}

fn submission_name(run: &RunRecord, name: impl FnOnce(&str) -> Option<String>) -> String {
    match &run.submission_id {
        Some(id) => name(id).unwrap_or_else(|| id.clone()),
        None => "post-processing".to_string(),
    }
}

fn row(
    run: RunRecord,
    submission: String,
    columns: Arc<[ResultColumn]>,
    values: Vec<Option<ResultValue>>,
) -> RunRow {
    RunRow {
        arguments: match run.arguments {
            Value::Object(map) => map,
            _ => Default::default(),
        },
        id: run.id,
        benchmark_id: run.workflow_id,
        submission_id: run.submission_id,
        submission,
        state: run.state,
        created_at: run.created_at,
        started_at: run.started_at,
        finished_at: run.finished_at,
        progress: run.progress,
        messages: run.messages,
        columns,
        values,
        queue_position: None,
    }
}

fn file_view(folder: &Path, file: RunFile) -> RunFileView {
    RunFileView {
        local_path: crate::paths::join_inside(folder, &file.path, false).ok(),
        id: file.key,
        name: file.path,
        size: file.size,
        sha256: Some(file.sha256),
    }
}

fn summary(record: WorkflowRecord) -> BenchmarkSummary {
    BenchmarkSummary {
        id: record.id,
        name: record.name,
        description: record.description,
        source: record.source,
        created_at: Some(record.created_at),
    }
}

fn submission(record: SubmissionRecord) -> Submission {
    Submission {
        own_workers: record.engine_config.as_ref().is_some_and(|c| !c.is_null()),
        id: record.id,
        benchmark_id: record.workflow_id,
        name: record.name,
        created_at: Some(record.created_at),
        members: Vec::new(),
    }
}

fn upload(record: UploadRecord) -> Upload {
    Upload {
        id: record.id,
        submission_id: record.submission_id,
        name: record.name,
        size: record.size,
        sha256: Some(record.sha256),
        created_at: Some(record.created_at),
    }
}

/// A run request in the service's terms.
fn service_request(request: &RunRequest) -> service::RunRequest {
    service::RunRequest {
        workflow: request.benchmark.clone(),
        submission: request.submission.clone(),
        arguments: request.arguments.clone(),
    }
}

impl InstallSource {
    /// Classify what the user typed: an existing folder, an archive file, a git
    /// URL, or else an identifier of the template repository.
    pub fn detect(text: &str) -> InstallSource {
        match service::InstallSource::detect(text) {
            service::InstallSource::Folder(path) if !path.exists() => {
                InstallSource::Repository(text.to_string())
            }
            service::InstallSource::Folder(path) => InstallSource::Folder(path),
            service::InstallSource::Archive(path) => InstallSource::Archive(path),
            service::InstallSource::Git { url, branch } => InstallSource::Git { url, branch },
        }
    }
}

/// The leaderboard as the store keeps it, rows built when asked for, with the
/// marks of the (few) imported and reproduced runs.
struct LocalRanking {
    board: Leaderboard,
    marks: HashMap<String, service::RunMarks>,
}

fn outcome_view(outcome: service::Outcome) -> ReproductionOutcome {
    match outcome {
        service::Outcome::Reproduced => ReproductionOutcome::Reproduced,
        service::Outcome::WithinTolerance => ReproductionOutcome::WithinTolerance,
        service::Outcome::Differs => ReproductionOutcome::Differs,
    }
}

fn badges(marks: Option<&service::RunMarks>) -> RunBadges {
    let Some(marks) = marks else {
        return RunBadges::default();
    };
    RunBadges {
        imported: marks.origin.is_some(),
        different_template: marks.origin.as_deref() == Some("different-template"),
        reproduction: marks.outcome.map(outcome_view),
        max_deviation: marks.max_deviation,
    }
}

fn reproduction_view(record: service::ReproductionRecord) -> Reproduction {
    let differences = match &record.details {
        Value::Array(items) => items
            .iter()
            .map(|item| Difference {
                kind: item["kind"].as_str().unwrap_or_default().to_string(),
                name: item["name"].as_str().unwrap_or_default().to_string(),
                original: item["original"].clone(),
                reproduced: item["reproduced"].clone(),
                deviation: item["deviation"].as_f64(),
                within_tolerance: item["withinTolerance"].as_bool(),
            })
            .collect(),
        _ => Vec::new(),
    };
    Reproduction {
        run_id: record.run_id,
        reproduction_id: record.reproduction_id,
        tolerance: record.tolerance,
        outcome: record.outcome.map(outcome_view),
        max_deviation: record.max_deviation,
        differences,
        created_at: record.created_at,
        finished_at: record.finished_at,
    }
}

impl RankedRows for LocalRanking {
    fn len(&self) -> usize {
        self.board.len()
    }

    fn row(&self, index: usize) -> Option<LeaderboardRow> {
        let entry = self.board.entry(index)?;
        let run_set = entry.run_set.map(|set| RunSetLine {
            id: set.id,
            runs: set.runs,
            spreads: set
                .columns
                .into_iter()
                .map(|(_, spread)| {
                    spread.map(|s| ColumnSpread {
                        mean: s.mean,
                        std: s.std,
                        n: s.n,
                    })
                })
                .collect(),
        });
        Some(LeaderboardRow {
            badges: badges(self.marks.get(&entry.run_id)),
            run_set,
            rank: entry.rank,
            run_id: entry.run_id,
            submission_id: entry.submission_id,
            submission: entry.submission_name,
            created_at: entry.created_at,
            started_at: entry.started_at,
            finished_at: entry.finished_at,
            duration: entry.duration,
            values: entry.values.into_iter().map(|(_, v)| v).collect(),
        })
    }
}

impl Client for LocalClient {
    fn capabilities(&self) -> Capabilities {
        Capabilities::without(
            BACKEND,
            [(
                Operation::Members,
                "submissions on this computer are yours alone; members belong to a server's submissions",
            )],
        )
    }

    fn subscribe(&self, subscriber: Subscriber) {
        self.hub.subscribe(subscriber);
    }

    fn activity(&self) -> Result<Activity, ClientError> {
        let (running, queued) = self.service.activity();
        Ok(Activity { running, queued })
    }

    fn benchmarks(&self) -> Result<Vec<BenchmarkSummary>, ClientError> {
        Ok(self.service.workflows()?.into_iter().map(summary).collect())
    }

    fn benchmark(&self, key: &str) -> Result<BenchmarkDetail, ClientError> {
        let record = self.service.workflow(key)?;
        let template = self.template(&record)?;
        let submissions = self
            .service
            .submissions(&record)?
            .into_iter()
            .map(submission)
            .collect();
        Ok(BenchmarkDetail {
            instructions: record.instructions.clone(),
            benchmark: summary(record),
            parameters: template.parameters,
            groups: template.groups,
            results: template.results,
            outputs: template.outputs,
            has_postproc: template.postproc.is_some(),
            submissions,
        })
    }

    fn install(&self, request: &InstallRequest) -> Result<BenchmarkSummary, ClientError> {
        let options = service::InstallOptions {
            id: request.id.clone(),
            name: request.name.clone(),
            description: request.description.clone(),
            instructions: request.instructions.clone(),
            specfile: request.specfile.clone(),
            manifest: request.manifest.clone(),
        };
        let source = match &request.source {
            Some(InstallSource::Folder(path)) => service::InstallSource::Folder(path.clone()),
            Some(InstallSource::Archive(path)) => service::InstallSource::Archive(path.clone()),
            Some(InstallSource::Git { url, branch }) => service::InstallSource::Git {
                url: url.clone(),
                branch: branch.clone(),
            },
            Some(InstallSource::Repository(id)) => {
                match self.service.install_from_repository(id, &options)? {
                    Some(record) => return Ok(summary(record)),
                    // Not in the repository either: report it as the folder it
                    // may have been meant as.
                    None => service::InstallSource::Folder(PathBuf::from(id)),
                }
            }
            None => return Err(ClientError::Invalid("nothing to install".into())),
        };
        Ok(summary(self.service.install(&source, &options)?))
    }

    fn uninstall(&self, key: &str) -> Result<BenchmarkSummary, ClientError> {
        Ok(summary(self.service.uninstall(key)?))
    }

    fn edit_benchmark(
        &self,
        key: &str,
        edit: &BenchmarkEdit,
    ) -> Result<BenchmarkSummary, ClientError> {
        Ok(summary(self.service.update_workflow(
            key,
            edit.name.as_deref(),
            edit.description.as_deref(),
            edit.instructions.as_deref(),
        )?))
    }

    fn repository(&self) -> Result<Vec<RepositoryTemplate>, ClientError> {
        Ok(self
            .service
            .repository()?
            .into_iter()
            .map(|e| RepositoryTemplate {
                id: e.id,
                description: e.description,
                url: e.url,
                manifest: e.manifest,
                args: e.args,
            })
            .collect())
    }

    fn submissions(&self, benchmark: &str) -> Result<Vec<Submission>, ClientError> {
        let record = self.service.workflow(benchmark)?;
        Ok(self
            .service
            .submissions(&record)?
            .into_iter()
            .map(submission)
            .collect())
    }

    fn create_submission(&self, benchmark: &str, name: &str) -> Result<Submission, ClientError> {
        Ok(submission(self.service.create_submission(benchmark, name)?))
    }

    fn rename_submission(&self, key: &str, name: &str) -> Result<Submission, ClientError> {
        Ok(submission(self.service.rename_submission(key, name)?))
    }

    fn delete_submission(&self, key: &str) -> Result<Submission, ClientError> {
        Ok(submission(self.service.delete_submission(key)?))
    }

    fn set_members(
        &self,
        _submission: &str,
        _members: &[String],
    ) -> Result<Submission, ClientError> {
        self.capabilities().check(Operation::Members)?;
        Err(ClientError::Invalid("members cannot be set here".into()))
    }

    fn set_submission_workers(
        &self,
        key: &str,
        config: Option<Value>,
    ) -> Result<Submission, ClientError> {
        Ok(submission(self.service.set_engine_config(key, config)?))
    }

    fn upload(&self, key: &str, file: &Path) -> Result<Upload, ClientError> {
        Ok(upload(self.service.upload(key, file)?))
    }

    fn uploads(&self, key: &str) -> Result<Vec<Upload>, ClientError> {
        Ok(self.service.uploads(key)?.into_iter().map(upload).collect())
    }

    fn delete_upload(&self, key: &str, id: &str) -> Result<Upload, ClientError> {
        let owner = self.submission_in(key)?;
        let belongs = self.service.uploads(&owner.id)?.iter().any(|u| u.id == id);
        if !belongs {
            return Err(crate::error::ServiceError::UnknownUpload(id.to_string()).into());
        }
        Ok(upload(self.service.delete_upload(id)?))
    }

    fn preview(&self, request: &RunRequest) -> Result<Preview, ClientError> {
        Ok(preview_view(
            self.service.preview(&service_request(request))?,
        ))
    }

    fn start_run(&self, request: &RunRequest) -> Result<RunRow, ClientError> {
        let detach = request.detach;
        let request = service_request(request);
        let run = if detach {
            let prepared = self.service.prepare_run(&request)?;
            let run = prepared.run.clone();
            self.service.spawn_detached(prepared)?;
            run
        } else {
            self.service.start_run(&request)?
        };
        self.row(run)
    }

    fn wait(&self, run: &str) -> Result<RunDetail, ClientError> {
        let record = self.service.wait(run)?;
        self.detail(record)
    }

    fn cancel_run(&self, run: &str) -> Result<RunRow, ClientError> {
        let record = self.service.cancel(run)?;
        self.row(record)
    }

    fn delete_run(&self, run: &str) -> Result<RunRow, ClientError> {
        // The row first: once deleted, its values are gone.
        let row = self.row(self.service.run(run)?)?;
        self.service.delete_run(&row.id)?;
        Ok(row)
    }

    fn runs(&self, query: &RunQuery) -> Result<RunList, ClientError> {
        let workflow = match &query.benchmark {
            Some(key) => Some(self.service.workflow(key)?),
            None => None,
        };
        let submission_id = match &query.submission {
            Some(key) => Some(self.service.submission(key, workflow.as_ref())?.id),
            None => None,
        };
        let records = self.service.runs(&RunFilter {
            workflow_id: workflow.map(|w| w.id),
            submission_id,
            state: query.state,
            include_postproc: false,
        })?;
        Ok(RunList {
            rows: self.rows(records)?,
        })
    }

    fn run(&self, run: &str) -> Result<RunDetail, ClientError> {
        let record = self.service.run(run)?;
        self.detail(record)
    }

    fn copy_log(&self, run: &str, offset: u64, out: &mut dyn Write) -> Result<u64, ClientError> {
        let record = self.service.run(run)?;
        let path = self.service.log_path(&record.id);
        let mut file = match std::fs::File::open(&path) {
            Ok(file) => file,
            // No line written yet.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(ClientError::io(path, e)),
        };
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| ClientError::io(&path, e))?;
        copy(&mut file, out, &path)
    }

    fn copy_run_file(
        &self,
        run: &str,
        file: &str,
        out: &mut dyn Write,
    ) -> Result<u64, ClientError> {
        let path = self.service.run_file(run, file)?;
        let mut source = std::fs::File::open(&path).map_err(|e| ClientError::io(&path, e))?;
        copy(&mut source, out, &path)
    }

    fn fetch_run_file(&self, run: &str, file: &str) -> Result<PathBuf, ClientError> {
        Ok(self.service.run_file(run, file)?)
    }

    fn export_run(&self, run: &str, out: &Path) -> Result<usize, ClientError> {
        Ok(self.service.export_run(run, out)?)
    }

    fn cleanup(&self, query: &CleanupQuery) -> Result<Vec<String>, ClientError> {
        Ok(self
            .service
            .cleanup(query.before, query.state, query.benchmark.as_deref())?
            .into_iter()
            .map(|r| r.id)
            .collect())
    }

    fn leaderboard(
        &self,
        query: &LeaderboardQuery,
    ) -> Result<Option<LeaderboardView>, ClientError> {
        let record = self.service.workflow(&query.benchmark)?;
        let template = self.template(&record)?;
        let Some(schema) = template.results else {
            return Ok(None);
        };
        let options = service::BoardOptions {
            all_runs: query.all_runs,
            reproduced_only: query.reproduced_only,
        };
        let Some(board) = self
            .service
            .leaderboard_with(&record.id, &query.order, options)?
        else {
            return Ok(None);
        };
        let marks = self.service.run_marks(&record.id)?;
        let order = if query.order.is_empty() {
            schema.effective_order()
        } else {
            query.order.clone()
        };
        Ok(Some(LeaderboardView::new(
            record.id,
            schema.columns,
            order,
            query.all_runs,
            Arc::new(LocalRanking { board, marks }),
        )))
    }

    fn postproc(&self, benchmark: &str) -> Result<Option<PostprocView>, ClientError> {
        let record = self.service.workflow(benchmark)?;
        let Some(run) = self.service.postproc_run(&record.id)? else {
            return Ok(None);
        };
        if run.state != RunState::Success {
            return Ok(None);
        }
        let template = self.template(&record)?;
        let specs = template
            .postproc
            .and_then(|p| p.outputs)
            .unwrap_or_default();
        let folder = self.service.run_dir(&run.id);
        let outputs = self
            .service
            .run_files(&run.id)?
            .into_iter()
            .map(|f| {
                let spec = specs.iter().find(|o| o.source == f.path);
                PostprocOutput {
                    title: spec.and_then(|s| s.title.clone()),
                    caption: spec.and_then(|s| s.caption.clone()),
                    format: spec.and_then(|s| s.format.clone()),
                    widget: spec.and_then(|s| s.widget.clone()),
                    file: file_view(&folder, f),
                }
            })
            .collect();
        Ok(Some(PostprocView {
            run_id: run.id,
            finished_at: run.finished_at,
            outputs,
        }))
    }

    fn export_postproc(&self, benchmark: &str, out: &Path) -> Result<usize, ClientError> {
        Ok(self.service.export_postproc(benchmark, out)?)
    }

    fn provenance(&self, run: &str) -> Result<Option<Provenance>, ClientError> {
        Ok(self.service.provenance(run)?)
    }

    fn export_bundle(&self, run: &str, out: &Path) -> Result<BundleInfo, ClientError> {
        let summary = self.service.export_bundle(run, out)?;
        Ok(BundleInfo {
            file: summary.file,
            files: summary.files,
            bytes: summary.bytes,
        })
    }

    fn import_bundle(&self, file: &Path, force: bool) -> Result<ImportedBundle, ClientError> {
        let outcome = self.service.import_bundle(file, force)?;
        Ok(ImportedBundle {
            run: self.row(outcome.run)?,
            benchmark: summary(outcome.workflow),
            submission: submission(outcome.submission),
            new_submission: outcome.new_submission,
            different_template: outcome.different_template,
            differences: outcome.differences,
        })
    }

    fn reproduce(&self, run: &str, tolerance: Option<&str>) -> Result<RunRow, ClientError> {
        let record = self.service.reproduce(run, tolerance)?;
        self.row(record)
    }

    fn reproductions(&self, run: &str) -> Result<Vec<Reproduction>, ClientError> {
        Ok(self
            .service
            .reproductions(run)?
            .into_iter()
            .map(reproduction_view)
            .collect())
    }

    fn start_run_set(&self, request: &RunRequest, count: usize) -> Result<RunSetView, ClientError> {
        let detach = request.detach;
        let request = service_request(request);
        let (id, records) = if detach {
            let (id, prepared) = self.service.prepare_run_set(&request, count)?;
            let records: Vec<RunRecord> = prepared.iter().map(|p| p.run.clone()).collect();
            for run in prepared {
                self.service.spawn_detached(run)?;
            }
            (id, records)
        } else {
            self.service.start_run_set(&request, count)?
        };
        Ok(RunSetView {
            id,
            runs: self.rows(records)?,
        })
    }

    fn environment(&self, benchmark: &str) -> Result<EnvironmentView, ClientError> {
        Ok(environment_view(self.service.environment(benchmark)?))
    }

    fn create_environment(&self, benchmark: &str) -> Result<EnvironmentView, ClientError> {
        Ok(environment_view(
            self.service.create_environment(benchmark)?,
        ))
    }

    fn remove_environment(&self, benchmark: &str) -> Result<EnvironmentView, ClientError> {
        Ok(environment_view(
            self.service.remove_environment(benchmark)?,
        ))
    }
}

/// Copy everything from `source` to `out` in blocks; a failing `out` (a pipe
/// that `head` closed) is an [`ClientError::Output`].
fn copy(source: &mut impl Read, out: &mut dyn Write, path: &Path) -> Result<u64, ClientError> {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = source
            .read(&mut buffer)
            .map_err(|e| ClientError::io(path, e))?;
        if n == 0 {
            break;
        }
        out.write_all(&buffer[..n]).map_err(ClientError::Output)?;
        total += n as u64;
    }
    out.flush().map_err(ClientError::Output)?;
    Ok(total)
}

/// Show a folder of this computer in the desktop's file manager.
pub fn reveal(path: &Path) -> Result<(), ClientError> {
    open::that_detached(path).map_err(|e| ClientError::io(path, e))
}
