//! The benchmark commands of the command line: install, submissions, uploads,
//! runs, logs, leaderboards, export and cleanup. Each is a few lines over
//! `service::Service`.

use super::{fail, parse_assignment, table};
use crate::config::Config;
use crate::error::ServiceError;
use crate::service::{InstallOptions, InstallSource, RunRequest, Service};
use crate::store::{LeaderboardEntry, RunFilter, RunRecord, RunState};
use crate::template::{ParameterType, ResultValue, SortColumn, Template};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};
use std::io::{BufRead, IsTerminal, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Template folder, .zip/.tar.gz archive, git URL, or repository identifier.
    pub source: String,
    /// Name to install under (overrides the manifest).
    #[arg(long)]
    pub name: Option<String>,
    /// Description (overrides the manifest).
    #[arg(long)]
    pub description: Option<String>,
    /// Instructions file (overrides the manifest).
    #[arg(long)]
    pub instructions: Option<PathBuf>,
    /// Template file (overrides the manifest).
    #[arg(long)]
    pub specfile: Option<PathBuf>,
    /// Manifest file to read instead of flowserv.json|yaml|yml.
    #[arg(long)]
    pub manifest: Option<PathBuf>,
    /// Identifier to install under (1-32 letters, digits, underscores).
    #[arg(long)]
    pub id: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Benchmark id or name.
    pub workflow: String,
    /// Submission id or name (default: the benchmark's first submission).
    #[arg(long)]
    pub submission: Option<String>,
    /// Argument as name=value (repeatable).
    #[arg(long = "arg", value_name = "NAME=VALUE")]
    pub args: Vec<String>,
    /// File argument as name=path[:target] (path or uploaded file id; repeatable).
    #[arg(long = "file", value_name = "NAME=PATH[:TARGET]")]
    pub files: Vec<String>,
    /// Wait for the run to end; exit non-zero unless it succeeds.
    #[arg(long)]
    pub wait: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SubmissionCommand {
    /// Create a submission for a benchmark.
    Create {
        workflow: String,
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Rename a submission.
    Rename { submission: String, name: String },
    /// Delete a submission with its runs and uploaded files.
    Delete { submission: String },
    /// Give a submission its own worker configuration (YAML or JSON, either form
    /// of FLOWSERV_SERIAL_WORKERS), or remove it with --clear.
    Workers {
        submission: String,
        #[arg(required_unless_present = "clear", conflicts_with = "clear")]
        file: Option<PathBuf>,
        #[arg(long)]
        clear: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkflowCommand {
    /// Rename a benchmark or edit its description and instructions.
    Edit {
        workflow: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// Markdown file with the new instructions.
        #[arg(long)]
        instructions: Option<PathBuf>,
    },
}

fn open(config: Config) -> Result<Service, ServiceError> {
    let service = Service::open(config)?;
    // A command ends soon after its work; post-processing it starts must not.
    if let Ok(program) = std::env::current_exe() {
        service.set_detached_executor(program);
    }
    Ok(service)
}

pub fn install(config: Config, args: InstallArgs) -> i32 {
    let service = match open(config) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let options = InstallOptions {
        id: args.id,
        name: args.name,
        description: args.description,
        instructions: args.instructions,
        specfile: args.specfile,
        manifest: args.manifest,
    };
    let source = InstallSource::detect(&args.source);
    let result = match (&source, Path::new(&args.source).exists()) {
        (InstallSource::Folder(_), false) => {
            match service.install_from_repository(&args.source, &options) {
                Ok(Some(workflow)) => Ok(workflow),
                Ok(None) => service.install(&source, &options),
                Err(e) => Err(e),
            }
        }
        _ => service.install(&source, &options),
    };
    match result {
        Ok(workflow) => {
            if args.json {
                print_json(&json!({"id": workflow.id, "name": workflow.name}));
            } else {
                println!("installed '{}' as {}", workflow.name, workflow.id);
            }
            0
        }
        Err(e) => fail(e),
    }
}

pub fn uninstall(config: Config, workflow: &str, as_json: bool) -> i32 {
    with_service(config, |service| {
        let removed = service.uninstall(workflow)?;
        if as_json {
            print_json(&json!({"id": removed.id, "name": removed.name, "uninstalled": true}));
            return Ok(0);
        }
        println!("uninstalled '{}' ({})", removed.name, removed.id);
        Ok(0)
    })
}

pub fn workflows(config: Config, as_json: bool) -> i32 {
    with_service(config, |service| {
        let workflows = service.workflows()?;
        if as_json {
            print_json(&Value::Array(
                workflows
                    .iter()
                    .map(|w| json!({"id": w.id, "name": w.name, "description": w.description, "source": w.source, "createdAt": w.created_at}))
                    .collect(),
            ));
        } else if workflows.is_empty() {
            println!("no benchmarks installed; add one with `flowdesk install <folder>`");
        } else {
            let rows: Vec<Vec<String>> = workflows
                .iter()
                .map(|w| {
                    vec![
                        w.id.clone(),
                        w.name.clone(),
                        w.description.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            println!("{}", table(&["ID", "NAME", "DESCRIPTION"], &rows));
        }
        Ok(0)
    })
}

pub fn workflow(config: Config, command: WorkflowCommand) -> i32 {
    with_service(config, |service| match command {
        WorkflowCommand::Edit {
            workflow,
            name,
            description,
            instructions,
        } => {
            let text = match instructions {
                Some(path) => Some(
                    std::fs::read_to_string(&path)
                        .map_err(|e| ServiceError::Io { path, source: e })?,
                ),
                None => None,
            };
            let updated = service.update_workflow(
                &workflow,
                name.as_deref(),
                description.as_deref(),
                text.as_deref(),
            )?;
            println!("updated '{}' ({})", updated.name, updated.id);
            Ok(0)
        }
    })
}

pub fn submissions(config: Config, workflow: &str, as_json: bool) -> i32 {
    with_service(config, |service| {
        let workflow = service.workflow(workflow)?;
        let submissions = service.submissions(&workflow)?;
        if as_json {
            print_json(&Value::Array(
                submissions
                    .iter()
                    .map(|s| json!({"id": s.id, "name": s.name, "workflow": s.workflow_id, "createdAt": s.created_at}))
                    .collect(),
            ));
        } else {
            let rows: Vec<Vec<String>> = submissions
                .iter()
                .map(|s| vec![s.id.clone(), s.name.clone(), fmt_time(&s.created_at)])
                .collect();
            println!("{}", table(&["ID", "NAME", "CREATED"], &rows));
        }
        Ok(0)
    })
}

pub fn submission(config: Config, command: SubmissionCommand) -> i32 {
    with_service(config, |service| {
        match command {
            SubmissionCommand::Create {
                workflow,
                name,
                json: as_json,
            } => {
                let s = service.create_submission(&workflow, &name)?;
                if as_json {
                    print_json(&json!({"id": s.id, "name": s.name, "workflow": s.workflow_id}));
                } else {
                    println!("created submission '{}' ({})", s.name, s.id);
                }
            }
            SubmissionCommand::Rename { submission, name } => {
                let s = service.rename_submission(&submission, &name)?;
                println!("renamed submission {} to '{}'", s.id, s.name);
            }
            SubmissionCommand::Workers {
                submission,
                file,
                clear: _,
            } => {
                let config = match file {
                    Some(file) => {
                        let text = std::fs::read_to_string(&file)
                            .map_err(|e| crate::service::files::io_error(&file, e))?;
                        let value: Value = serde_yaml::from_str(&text).map_err(|e| {
                            ServiceError::Invalid(format!(
                                "worker configuration `{}`: {e}",
                                file.display()
                            ))
                        })?;
                        Some(value)
                    }
                    None => None,
                };
                let has_config = config.is_some();
                let s = service.set_engine_config(&submission, config)?;
                if has_config {
                    println!(
                        "submission '{}' ({}) runs with its own workers",
                        s.name, s.id
                    );
                } else {
                    println!(
                        "submission '{}' ({}) runs with the configured workers",
                        s.name, s.id
                    );
                }
            }
            SubmissionCommand::Delete { submission } => {
                let s = service.delete_submission(&submission)?;
                println!(
                    "deleted submission '{}' ({}) with its runs and files",
                    s.name, s.id
                );
            }
        }
        Ok(0)
    })
}

pub fn upload(config: Config, submission: &str, file: &Path, as_json: bool) -> i32 {
    with_service(config, |service| {
        let upload = service.upload(submission, file)?;
        if as_json {
            print_json(
                &json!({"id": upload.id, "name": upload.name, "size": upload.size, "sha256": upload.sha256}),
            );
        } else {
            println!(
                "uploaded '{}' as {} ({} bytes)",
                upload.name, upload.id, upload.size
            );
        }
        Ok(0)
    })
}

pub fn uploads(config: Config, submission: &str, as_json: bool) -> i32 {
    with_service(config, |service| {
        let uploads = service.uploads(submission)?;
        if as_json {
            print_json(&Value::Array(
                uploads
                    .iter()
                    .map(|u| json!({"id": u.id, "name": u.name, "size": u.size, "sha256": u.sha256, "createdAt": u.created_at}))
                    .collect(),
            ));
        } else {
            let rows: Vec<Vec<String>> = uploads
                .iter()
                .map(|u| {
                    vec![
                        u.id.clone(),
                        u.name.clone(),
                        u.size.to_string(),
                        fmt_time(&u.created_at),
                    ]
                })
                .collect();
            println!("{}", table(&["ID", "NAME", "BYTES", "UPLOADED"], &rows));
        }
        Ok(0)
    })
}

pub fn run(config: Config, args: RunArgs) -> i32 {
    with_service(config, |service| {
        let workflow = service.workflow(&args.workflow)?;
        let template = service.template(&workflow)?;
        let mut arguments = Map::new();
        for arg in &args.args {
            let (name, value) =
                parse_assignment(arg).map_err(|e| ServiceError::Invalid(format!("--arg: {e}")))?;
            arguments.insert(name, Value::String(value));
        }
        for file in &args.files {
            let (name, value) = parse_assignment(file)
                .map_err(|e| ServiceError::Invalid(format!("--file: {e}")))?;
            let value = match value.rsplit_once(':') {
                Some((path, target)) if !target.is_empty() && !Path::new(&value).exists() => {
                    json!({"value": absolute(path), "as": target})
                }
                _ => Value::String(absolute(&value)),
            };
            arguments.insert(name, value);
        }
        if std::io::stdin().is_terminal() && !args.json {
            prompt_missing(&template, &mut arguments)?;
        }
        let request = RunRequest {
            workflow: workflow.id.clone(),
            submission: args.submission.clone(),
            arguments,
        };
        if args.wait {
            let run = service.start_run(&request)?;
            if !args.json {
                eprintln!("run {} started", run.id);
            }
            let run = service.wait(&run.id)?;
            if args.json {
                print_json(&run_json(&service, &run)?);
            } else {
                print_run(&service, &run)?;
            }
            return Ok(if run.state == RunState::Success { 0 } else { 1 });
        }
        let prepared = service.prepare_run(&request)?;
        let run = prepared.run.clone();
        service.spawn_detached(prepared)?;
        if args.json {
            print_json(&json!({"id": run.id, "state": run.state.as_str()}));
        } else {
            println!(
                "run {} started; follow it with `flowdesk logs {} --follow`",
                run.id, run.id
            );
        }
        Ok(0)
    })
}

/// The hidden `__execute` command of a detached run.
pub fn execute(config: Config, run_id: &str) -> i32 {
    let service = match Service::open_with(config, false) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if let Ok(program) = std::env::current_exe() {
        service.set_detached_executor(program);
    }
    let fd = match std::env::var("FLOWDESK_LOCK_FD")
        .ok()
        .and_then(|v| v.parse::<i32>().ok())
    {
        Some(fd) => fd,
        None => return fail("__execute is started by `flowdesk run`, not by hand"),
    };
    // SAFETY: the parent passed us its locked descriptor and nothing else uses it.
    let lock = unsafe { crate::service::RunLock::from_inherited(fd) };
    if let Err(e) = service.execute_handed_over(run_id, lock) {
        let _ = service.store().finish_error(run_id, &[e.to_string()]);
        return fail(e);
    }
    match service.wait(run_id) {
        Ok(run) if run.state == RunState::Success => 0,
        Ok(_) => 1,
        Err(e) => fail(e),
    }
}

/// Ask for parameters the command line did not give, in form order.
fn prompt_missing(
    template: &Template,
    arguments: &mut Map<String, Value>,
) -> Result<(), ServiceError> {
    let stdin = std::io::stdin();
    for parameter in &template.parameters {
        if arguments.contains_key(&parameter.name)
            || matches!(parameter.dtype, ParameterType::Actor)
        {
            continue;
        }
        let default = parameter.effective_default();
        let mut prompt = format!("{} ({})", parameter.label, parameter.dtype.name());
        let constraints = parameter.constraints();
        if !constraints.is_empty() {
            prompt.push_str(&format!(" {constraints}"));
        }
        if let Some(default) = &default {
            prompt.push_str(&format!(
                " [{}]",
                crate::template::spec::display_value(default)
            ));
        }
        eprint!("{prompt}: ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| ServiceError::Invalid(format!("reading input: {e}")))?;
        let line = line.trim();
        if !line.is_empty() {
            let value = if matches!(parameter.dtype, ParameterType::File { .. }) {
                Value::String(absolute(line))
            } else {
                Value::String(line.to_string())
            };
            arguments.insert(parameter.name.clone(), value);
        }
    }
    Ok(())
}

fn absolute(path: &str) -> String {
    let p = Path::new(path);
    if p.is_absolute() || !p.exists() {
        return path.to_string();
    }
    std::env::current_dir()
        .map(|cwd| cwd.join(p).to_string_lossy().into_owned())
        .unwrap_or_else(|_| path.to_string())
}

pub fn runs(config: Config, workflow: Option<&str>, state: Option<&str>, as_json: bool) -> i32 {
    with_service(config, |service| {
        let state = match state {
            Some(s) => Some(parse_state(s)?),
            None => None,
        };
        let workflow_id = match workflow {
            Some(w) => Some(service.workflow(w)?.id),
            None => None,
        };
        let runs = service.runs(&RunFilter {
            workflow_id,
            state,
            ..Default::default()
        })?;
        if as_json {
            let items: Result<Vec<Value>, ServiceError> =
                runs.iter().map(|r| run_json(&service, r)).collect();
            print_json(&Value::Array(items?));
        } else {
            let rows: Vec<Vec<String>> = runs
                .iter()
                .map(|r| {
                    vec![
                        r.id.clone(),
                        r.workflow_id.clone(),
                        r.state.as_str().to_string(),
                        fmt_time(&r.created_at),
                        r.duration()
                            .map(|d| format!("{d:.1}s"))
                            .unwrap_or_else(|| "-".into()),
                    ]
                })
                .collect();
            println!(
                "{}",
                table(&["RUN", "BENCHMARK", "STATE", "CREATED", "DURATION"], &rows)
            );
        }
        Ok(0)
    })
}

fn parse_state(text: &str) -> Result<RunState, ServiceError> {
    text.to_ascii_uppercase().parse::<RunState>().map_err(|_| {
        ServiceError::Invalid(format!(
            "unknown state '{text}'; use PENDING, RUNNING, SUCCESS, ERROR or CANCELED"
        ))
    })
}

fn run_json(service: &Service, run: &RunRecord) -> Result<Value, ServiceError> {
    let files = service.store().run_files(&run.id)?;
    let results = service.store().run_results(&run.id)?;
    let mut values = Map::new();
    for (name, value) in results {
        values.insert(name, value.map(|v| result_json(&v)).unwrap_or(Value::Null));
    }
    Ok(json!({
        "id": run.id,
        "workflow": run.workflow_id,
        "submission": run.submission_id,
        "state": run.state.as_str(),
        "createdAt": run.created_at,
        "startedAt": run.started_at,
        "finishedAt": run.finished_at,
        "arguments": run.arguments,
        "messages": run.messages,
        "files": files.iter().map(|f| json!({"key": f.key, "path": f.path, "size": f.size, "sha256": f.sha256})).collect::<Vec<_>>(),
        "results": values,
    }))
}

fn result_json(value: &ResultValue) -> Value {
    match value {
        ResultValue::Int(i) => json!(i),
        ResultValue::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(crate::template::python_float(*f))),
        ResultValue::String(s) => json!(s),
    }
}

fn result_text(value: &Option<ResultValue>) -> String {
    match value {
        None => "-".into(),
        Some(ResultValue::Int(i)) => i.to_string(),
        Some(ResultValue::Float(f)) => format!("{f}"),
        Some(ResultValue::String(s)) => s.clone(),
    }
}

fn print_run(service: &Service, run: &RunRecord) -> Result<(), ServiceError> {
    println!("run {} ({})", run.id, run.state.as_str());
    println!("  benchmark: {}", run.workflow_id);
    if let Some(s) = &run.submission_id {
        println!("  submission: {s}");
    }
    println!("  created:  {}", run.created_at);
    if let Some(t) = &run.started_at {
        println!("  started:  {t}");
    }
    if let Some(t) = &run.finished_at {
        println!("  finished: {t}");
    }
    if let Value::Object(args) = &run.arguments {
        if !args.is_empty() {
            println!("  arguments:");
            for (k, v) in args {
                println!("    {k} = {}", crate::template::spec::display_value(v));
            }
        }
    }
    for message in &run.messages {
        println!("  ! {message}");
    }
    let results = service.store().run_results(&run.id)?;
    if !results.is_empty() {
        println!("  results:");
        for (name, value) in &results {
            println!("    {name} = {}", result_text(value));
        }
    }
    let files = service.store().run_files(&run.id)?;
    if !files.is_empty() {
        println!("  files:");
        for f in &files {
            println!("    {} ({} bytes)", f.path, f.size);
        }
    }
    Ok(())
}

pub fn show(config: Config, run: &str, as_json: bool) -> i32 {
    with_service(config, |service| {
        let run = service.run(run)?;
        if as_json {
            print_json(&run_json(&service, &run)?);
        } else {
            print_run(&service, &run)?;
        }
        Ok(0)
    })
}

pub fn logs(config: Config, run: &str, follow: bool) -> i32 {
    with_service(config, |service| {
        let run = service.run(run)?;
        let path = service.log_path(&run.id);
        let mut offset = 0u64;
        let stdout = std::io::stdout();
        loop {
            // Streamed in constant memory, however big the log.
            if let Ok(mut file) = std::fs::File::open(&path) {
                if file.seek(SeekFrom::Start(offset)).is_ok() {
                    let mut out = stdout.lock();
                    if let Ok(n) = std::io::copy(&mut file, &mut out) {
                        offset += n;
                    }
                    let _ = out.flush();
                }
            }
            if !follow {
                break;
            }
            let state = service.run(&run.id)?.state;
            if state.is_finished() {
                // One last read picks up lines written just before the end.
                if let Ok(meta) = std::fs::metadata(&path) {
                    if meta.len() > offset {
                        continue;
                    }
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(0)
    })
}

pub fn cancel(config: Config, run: &str, as_json: bool) -> i32 {
    // Without recovery at open: a run whose owner died is what this command
    // cancels (it ends CANCELED, not interrupted); the others are recovered after.
    let options = crate::service::OpenOptions {
        install_samples: true,
        recover: false,
    };
    let service = match Service::open_with_options(config, options) {
        Ok(service) => service,
        Err(e) => return fail(e),
    };
    if let Ok(program) = std::env::current_exe() {
        service.set_detached_executor(program);
    }
    let result = service.cancel(run);
    service.recover();
    with_opened(service, |_service| {
        let run = result?;
        let ended = run.state.is_finished();
        if as_json {
            print_json(&json!({"id": run.id, "canceling": !ended, "state": run.state.as_str()}));
            return Ok(0);
        }
        if ended {
            println!("canceled run {} (the process running it had died)", run.id);
        } else {
            println!("canceling run {}", run.id);
        }
        Ok(0)
    })
}

pub fn delete(config: Config, run: &str, as_json: bool) -> i32 {
    with_service(config, |service| {
        let run = service.delete_run(run)?;
        if as_json {
            print_json(&json!({"id": run.id, "deleted": true}));
            return Ok(0);
        }
        println!("deleted run {}", run.id);
        Ok(0)
    })
}

pub fn leaderboard(
    config: Config,
    workflow: &str,
    all: bool,
    order: &[String],
    as_json: bool,
) -> i32 {
    with_service(config, |service| {
        let mut sort = Vec::new();
        for spec in order {
            let (name, direction) = match spec.split_once(':') {
                Some((name, dir)) => (name, dir),
                None => (spec.as_str(), "desc"),
            };
            let sort_desc = match direction.to_ascii_lowercase().as_str() {
                "desc" | "descending" => true,
                "asc" | "ascending" => false,
                other => {
                    return Err(ServiceError::Invalid(format!(
                        "--order {spec}: '{other}' is not asc or desc"
                    )))
                }
            };
            sort.push(SortColumn {
                name: name.to_string(),
                sort_desc,
            });
        }
        let workflow = service.workflow(workflow)?;
        let template = service.template(&workflow)?;
        let entries = service
            .leaderboard(&workflow.id, &sort, all)?
            .map(|board| board.entries())
            .unwrap_or_default();
        if as_json {
            print_json(&Value::Array(entries.iter().map(entry_json).collect()));
            return Ok(0);
        }
        let Some(schema) = &template.results else {
            println!(
                "'{}' has no result schema; its runs are not ranked",
                workflow.name
            );
            return Ok(0);
        };
        let mut header: Vec<&str> = vec!["RANK", "SUBMISSION", "RUN"];
        header.extend(schema.columns.iter().map(|c| c.label.as_str()));
        header.push("DURATION");
        let rows: Vec<Vec<String>> = entries
            .iter()
            .map(|e| {
                let mut row = vec![
                    e.rank.to_string(),
                    e.submission_name.clone(),
                    e.run_id.clone(),
                ];
                row.extend(e.values.iter().map(|(_, v)| result_text(v)));
                row.push(format!("{:.1}s", e.duration));
                row
            })
            .collect();
        println!("{}", table(&header, &rows));
        Ok(0)
    })
}

fn entry_json(entry: &LeaderboardEntry) -> Value {
    let mut values = Map::new();
    for (name, value) in &entry.values {
        values.insert(
            name.clone(),
            value.as_ref().map(result_json).unwrap_or(Value::Null),
        );
    }
    json!({
        "rank": entry.rank,
        "run": entry.run_id,
        "submission": entry.submission_name,
        "submissionId": entry.submission_id,
        "createdAt": entry.created_at,
        "startedAt": entry.started_at,
        "finishedAt": entry.finished_at,
        "duration": entry.duration,
        "values": values,
    })
}

pub fn export(config: Config, run: &str, out: &Path, postproc: bool, as_json: bool) -> i32 {
    with_service(config, |service| {
        let count = if postproc {
            service.export_postproc(run, out)?
        } else {
            service.export_run(run, out)?
        };
        if as_json {
            print_json(&json!({"file": out, "files": count}));
            return Ok(0);
        }
        println!("wrote {} file(s) to {}", count, out.display());
        Ok(0)
    })
}

pub fn download(config: Config, run: &str, file: &str, out: Option<&Path>) -> i32 {
    with_service(config, |service| {
        let path = service.run_file(run, file)?;
        match out {
            Some(out) => {
                std::fs::copy(&path, out).map_err(|e| ServiceError::Io {
                    path: out.to_path_buf(),
                    source: e,
                })?;
            }
            None => {
                let mut file = std::fs::File::open(&path).map_err(|e| ServiceError::Io {
                    path: path.clone(),
                    source: e,
                })?;
                let _ = std::io::copy(&mut file, &mut std::io::stdout().lock());
            }
        }
        Ok(0)
    })
}

pub fn cleanup(
    config: Config,
    before: &str,
    state: Option<&str>,
    workflow: Option<&str>,
    as_json: bool,
) -> i32 {
    with_service(config, |service| {
        let before = parse_date(before)?;
        let state = match state {
            Some(s) => Some(parse_state(s)?),
            None => None,
        };
        let deleted = service.cleanup(before, state, workflow)?;
        if as_json {
            print_json(
                &json!({"deleted": deleted.iter().map(|r| r.id.clone()).collect::<Vec<_>>()}),
            );
            return Ok(0);
        }
        println!("deleted {} run(s)", deleted.len());
        Ok(0)
    })
}

fn parse_date(text: &str) -> Result<DateTime<Utc>, ServiceError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        if let Some(t) = d.and_hms_opt(0, 0, 0) {
            return Ok(t.and_utc());
        }
    }
    Err(ServiceError::Invalid(format!(
        "'{text}' is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC)"
    )))
}

pub fn repo(config: Config, as_json: bool) -> i32 {
    with_service(config, |service| {
        let entries = service.repository()?;
        if as_json {
            print_json(&serde_json::to_value(&entries).unwrap_or(Value::Null));
        } else if entries.is_empty() {
            println!("no template repository configured (set \"repository\" in settings.json or FLOWDESK_REPOSITORY)");
        } else {
            let rows: Vec<Vec<String>> = entries
                .iter()
                .map(|e| {
                    vec![
                        e.id.clone(),
                        e.description.clone().unwrap_or_default(),
                        e.url.clone(),
                    ]
                })
                .collect();
            println!("{}", table(&["ID", "DESCRIPTION", "URL"], &rows));
        }
        Ok(0)
    })
}

fn with_service(config: Config, body: impl FnOnce(Service) -> Result<i32, ServiceError>) -> i32 {
    match open(config) {
        Ok(service) => with_opened(service, body),
        Err(e) => fail(e),
    }
}

fn with_opened(service: Service, body: impl FnOnce(Service) -> Result<i32, ServiceError>) -> i32 {
    match body(service) {
        Ok(code) => code,
        Err(e) => fail(e),
    }
}

/// A timestamp for people: UTC, to the second.
fn fmt_time(time: &DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}
