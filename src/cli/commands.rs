//! The benchmark commands of the command line: install, submissions, uploads,
//! runs, logs, leaderboards, export and cleanup. Each is a few lines over the
//! [`Client`] interface, so the same commands work with any backend.

use super::{parse_assignment, print_json, table};
use crate::client::format::{optional_duration, time_text, value_json, value_text};
use crate::client::{
    BenchmarkEdit, CleanupQuery, Client, ClientError, InstallRequest, InstallSource,
    LeaderboardQuery, LeaderboardRow, Operation, ReproductionOutcome, RunBadges, RunDetail,
    RunQuery, RunRequest,
};
use crate::model::RunState;
use crate::template::spec::display_value;
use crate::template::{Parameter, ParameterType, SortColumn};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

type Outcome = Result<i32, ClientError>;

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
    /// Start N runs with the same arguments as one run set (the leaderboard
    /// shows their mean, standard deviation and n).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub repeat: usize,
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

pub fn install(client: &dyn Client, args: InstallArgs) -> Outcome {
    let request = InstallRequest {
        source: Some(InstallSource::detect(&args.source)),
        id: args.id,
        name: args.name,
        description: args.description,
        instructions: args.instructions,
        specfile: args.specfile,
        manifest: args.manifest,
    };
    let workflow = client.install(&request)?;
    if args.json {
        print_json(&json!({"id": workflow.id, "name": workflow.name}))?;
    } else {
        say!("installed '{}' as {}", workflow.name, workflow.id);
    }
    Ok(0)
}

pub fn uninstall(client: &dyn Client, workflow: &str, as_json: bool) -> Outcome {
    let removed = client.uninstall(workflow)?;
    if as_json {
        print_json(&json!({"id": removed.id, "name": removed.name, "uninstalled": true}))?;
    } else {
        say!("uninstalled '{}' ({})", removed.name, removed.id);
    }
    Ok(0)
}

pub fn workflows(client: &dyn Client, as_json: bool) -> Outcome {
    let workflows = client.benchmarks()?;
    if as_json {
        print_json(&Value::Array(
            workflows
                .iter()
                .map(|w| json!({"id": w.id, "name": w.name, "description": w.description, "source": w.source, "createdAt": w.created_at}))
                .collect(),
        ))?;
    } else if workflows.is_empty() {
        say!("no benchmarks installed; add one with `flowdesk install <folder>`");
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
        say!("{}", table(&["ID", "NAME", "DESCRIPTION"], &rows));
    }
    Ok(0)
}

pub fn workflow(client: &dyn Client, command: WorkflowCommand) -> Outcome {
    match command {
        WorkflowCommand::Edit {
            workflow,
            name,
            description,
            instructions,
        } => {
            let instructions = match instructions {
                Some(path) => Some(
                    std::fs::read_to_string(&path)
                        .map_err(|e| ClientError::Io { path, source: e })?,
                ),
                None => None,
            };
            let updated = client.edit_benchmark(
                &workflow,
                &BenchmarkEdit {
                    name,
                    description,
                    instructions,
                },
            )?;
            say!("updated '{}' ({})", updated.name, updated.id);
            Ok(0)
        }
    }
}

pub fn submissions(client: &dyn Client, workflow: &str, as_json: bool) -> Outcome {
    let submissions = client.submissions(workflow)?;
    if as_json {
        print_json(&Value::Array(
            submissions
                .iter()
                .map(|s| {
                    let mut doc = json!({"id": s.id, "name": s.name, "workflow": s.benchmark_id, "createdAt": s.created_at});
                    // A server's submissions have members; this computer's do not.
                    if !s.members.is_empty() {
                        doc["members"] = json!(s.members);
                    }
                    doc
                })
                .collect(),
        ))?;
    } else {
        let rows: Vec<Vec<String>> = submissions
            .iter()
            .map(|s| {
                vec![
                    s.id.clone(),
                    s.name.clone(),
                    s.created_at.as_ref().map(time_text).unwrap_or_default(),
                ]
            })
            .collect();
        say!("{}", table(&["ID", "NAME", "CREATED"], &rows));
    }
    Ok(0)
}

pub fn submission(client: &dyn Client, command: SubmissionCommand) -> Outcome {
    match command {
        SubmissionCommand::Create {
            workflow,
            name,
            json: as_json,
        } => {
            let s = client.create_submission(&workflow, &name)?;
            if as_json {
                print_json(&json!({"id": s.id, "name": s.name, "workflow": s.benchmark_id}))?;
            } else {
                say!("created submission '{}' ({})", s.name, s.id);
            }
        }
        SubmissionCommand::Rename { submission, name } => {
            let s = client.rename_submission(&submission, &name)?;
            say!("renamed submission {} to '{}'", s.id, s.name);
        }
        SubmissionCommand::Workers {
            submission,
            file,
            clear: _,
        } => {
            let config = match file {
                Some(file) => {
                    let text = std::fs::read_to_string(&file).map_err(|e| ClientError::Io {
                        path: file.clone(),
                        source: e,
                    })?;
                    let value: Value = serde_yaml::from_str(&text).map_err(|e| {
                        ClientError::Invalid(format!(
                            "worker configuration `{}`: {e}",
                            file.display()
                        ))
                    })?;
                    Some(value)
                }
                None => None,
            };
            let has_config = config.is_some();
            let s = client.set_submission_workers(&submission, config)?;
            if has_config {
                say!(
                    "submission '{}' ({}) runs with its own workers",
                    s.name,
                    s.id
                );
            } else {
                say!(
                    "submission '{}' ({}) runs with the configured workers",
                    s.name,
                    s.id
                );
            }
        }
        SubmissionCommand::Delete { submission } => {
            let s = client.delete_submission(&submission)?;
            say!(
                "deleted submission '{}' ({}) with its runs and files",
                s.name,
                s.id
            );
        }
    }
    Ok(0)
}

pub fn upload(client: &dyn Client, submission: &str, file: &Path, as_json: bool) -> Outcome {
    let upload = client.upload(submission, file)?;
    if as_json {
        print_json(
            &json!({"id": upload.id, "name": upload.name, "size": upload.size, "sha256": upload.sha256}),
        )?;
    } else {
        say!(
            "uploaded '{}' as {} ({} bytes)",
            upload.name,
            upload.id,
            upload.size
        );
    }
    Ok(0)
}

pub fn uploads(client: &dyn Client, submission: &str, as_json: bool) -> Outcome {
    let uploads = client.uploads(submission)?;
    if as_json {
        print_json(&Value::Array(
            uploads
                .iter()
                .map(|u| json!({"id": u.id, "name": u.name, "size": u.size, "sha256": u.sha256, "createdAt": u.created_at}))
                .collect(),
        ))?;
    } else {
        let rows: Vec<Vec<String>> = uploads
            .iter()
            .map(|u| {
                vec![
                    u.id.clone(),
                    u.name.clone(),
                    u.size.to_string(),
                    u.created_at.as_ref().map(time_text).unwrap_or_default(),
                ]
            })
            .collect();
        say!("{}", table(&["ID", "NAME", "BYTES", "UPLOADED"], &rows));
    }
    Ok(0)
}

pub fn run(client: &dyn Client, args: RunArgs) -> Outcome {
    let detail = client.benchmark(&args.workflow)?;
    let mut arguments = run_arguments(&args.args, &args.files)?;
    if std::io::stdin().is_terminal() && !args.json {
        prompt_missing(&detail.parameters, &mut arguments)?;
    }
    let request = RunRequest {
        benchmark: detail.benchmark.id.clone(),
        submission: args.submission.clone(),
        arguments,
        detach: !args.wait,
    };
    if args.repeat != 1 {
        return run_set(client, &request, &args);
    }
    let run = client.start_run(&request)?;
    if args.wait {
        if !args.json {
            eprintln!("run {} started", run.id);
        }
        let run = client.wait(&run.id)?;
        if args.json {
            print_json(&run_json(&run))?;
        } else {
            print_run(&run)?;
        }
        return Ok(if run.run.state == RunState::Success {
            0
        } else {
            1
        });
    }
    if args.json {
        print_json(&json!({"id": run.id, "state": run.state.as_str()}))?;
    } else {
        let capabilities = client.capabilities();
        if capabilities.supports(Operation::Logs) {
            say!(
                "run {} started; follow it with `flowdesk logs {} --follow`",
                run.id,
                run.id
            );
        } else {
            say!(
                "run {} started on {}; see it with `flowdesk show {} --server {}`",
                run.id,
                capabilities.backend,
                run.id,
                capabilities.backend
            );
        }
    }
    Ok(0)
}

/// The arguments of `--arg name=value` and `--file name=path[:target]`, as a
/// run request takes them (file paths made absolute).
pub(crate) fn run_arguments(
    args: &[String],
    files: &[String],
) -> Result<Map<String, Value>, ClientError> {
    let mut arguments = Map::new();
    for arg in args {
        let (name, value) =
            parse_assignment(arg).map_err(|e| ClientError::Invalid(format!("--arg: {e}")))?;
        arguments.insert(name, Value::String(value));
    }
    for file in files {
        let (name, value) =
            parse_assignment(file).map_err(|e| ClientError::Invalid(format!("--file: {e}")))?;
        let value = match value.rsplit_once(':') {
            Some((path, target)) if !target.is_empty() && !Path::new(&value).exists() => {
                json!({"value": absolute(path), "as": target})
            }
            _ => Value::String(absolute(&value)),
        };
        arguments.insert(name, value);
    }
    Ok(arguments)
}

/// `run --repeat N`: the runs of one run set.
fn run_set(client: &dyn Client, request: &RunRequest, args: &RunArgs) -> Outcome {
    let set = client.start_run_set(request, args.repeat)?;
    if !args.wait {
        if args.json {
            print_json(&json!({
                "runSet": set.id,
                "runs": set.runs.iter().map(|r| json!({"id": r.id, "state": r.state.as_str()})).collect::<Vec<_>>(),
            }))?;
        } else {
            say!(
                "run set {} started: {} runs ({})",
                set.id,
                set.runs.len(),
                set.runs
                    .iter()
                    .map(|r| r.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        return Ok(0);
    }
    if !args.json {
        eprintln!("run set {} started: {} runs", set.id, set.runs.len());
    }
    let mut details = Vec::with_capacity(set.runs.len());
    for run in &set.runs {
        details.push(client.wait(&run.id)?);
    }
    let all_succeeded = details.iter().all(|d| d.run.state == RunState::Success);
    if args.json {
        print_json(&json!({
            "runSet": set.id,
            "runs": details.iter().map(run_json).collect::<Vec<_>>(),
        }))?;
    } else {
        for detail in &details {
            print_run(detail)?;
        }
        say!(
            "run set {}: {} of {} runs succeeded",
            set.id,
            details
                .iter()
                .filter(|d| d.run.state == RunState::Success)
                .count(),
            details.len()
        );
    }
    Ok(if all_succeeded { 0 } else { 1 })
}

/// Ask for parameters the command line did not give, in form order.
fn prompt_missing(
    parameters: &[Parameter],
    arguments: &mut Map<String, Value>,
) -> Result<(), ClientError> {
    let stdin = std::io::stdin();
    for parameter in parameters {
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
            prompt.push_str(&format!(" [{}]", display_value(default)));
        }
        eprint!("{prompt}: ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| ClientError::Invalid(format!("reading input: {e}")))?;
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

pub fn runs(
    client: &dyn Client,
    workflow: Option<&str>,
    state: Option<&str>,
    as_json: bool,
) -> Outcome {
    let state = match state {
        Some(s) => Some(parse_state(s)?),
        None => None,
    };
    let runs = client.runs(&RunQuery {
        benchmark: workflow.map(str::to_string),
        submission: None,
        state,
    })?;
    if as_json {
        let mut items = Vec::with_capacity(runs.rows.len());
        for row in &runs.rows {
            match client.run(&row.id) {
                Ok(detail) => items.push(run_json(&detail)),
                // Deleted by another process since it was listed.
                Err(ClientError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        print_json(&Value::Array(items))?;
    } else {
        let rows: Vec<Vec<String>> = runs
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.id.clone(),
                    r.benchmark_id.clone(),
                    r.state_text(),
                    time_text(&r.created_at),
                    optional_duration(r.duration()),
                ]
            })
            .collect();
        say!(
            "{}",
            table(&["RUN", "BENCHMARK", "STATE", "CREATED", "DURATION"], &rows)
        );
    }
    Ok(0)
}

fn parse_state(text: &str) -> Result<RunState, ClientError> {
    text.parse::<RunState>().map_err(|_| {
        ClientError::Invalid(format!(
            "unknown state '{text}'; use PENDING, RUNNING, SUCCESS, ERROR or CANCELED"
        ))
    })
}

/// A run as `show --json` and `run --wait --json` print it.
pub(crate) fn run_json(detail: &RunDetail) -> Value {
    let run = &detail.run;
    let mut values = Map::new();
    if run.has_results() {
        for (column, value) in run.results() {
            values.insert(
                column.name.clone(),
                value.map(value_json).unwrap_or(Value::Null),
            );
        }
    }
    json!({
        "id": run.id,
        "workflow": run.benchmark_id,
        "submission": run.submission_id,
        "state": run.state.as_str(),
        "queuePosition": run.queue_position,
        "createdAt": run.created_at,
        "startedAt": run.started_at,
        "finishedAt": run.finished_at,
        "arguments": run.arguments,
        "messages": run.messages,
        "files": detail.files.iter().map(|f| json!({"key": f.id, "path": f.name, "size": f.size, "sha256": f.sha256})).collect::<Vec<_>>(),
        "results": values,
    })
}

/// A run as `show` prints it.
pub(crate) fn run_text(detail: &RunDetail) -> Vec<String> {
    let run = &detail.run;
    let mut lines = vec![format!("run {} ({})", run.id, run.state_text())];
    lines.push(format!("  benchmark: {}", run.benchmark_id));
    if run.submission_id.is_some() {
        lines.push(format!("  submission: {}", run.submission));
    }
    lines.push(format!("  created:  {}", time_text(&run.created_at)));
    if let Some(t) = &run.started_at {
        lines.push(format!("  started:  {}", time_text(t)));
    }
    if let Some(t) = &run.finished_at {
        lines.push(format!("  finished: {}", time_text(t)));
    }
    if let Some(duration) = run.duration() {
        lines.push(format!("  duration: {}", optional_duration(Some(duration))));
    }
    if !run.arguments.is_empty() {
        lines.push("  arguments:".into());
        for (k, v) in &run.arguments {
            lines.push(format!("    {k} = {}", display_value(v)));
        }
    }
    for message in &run.messages {
        lines.push(format!("  ! {message}"));
    }
    if run.has_results() {
        lines.push("  results:".into());
        for (column, value) in run.results() {
            lines.push(format!("    {} = {}", column.name, value_text(value)));
        }
    }
    if !detail.files.is_empty() {
        lines.push("  files:".into());
        for f in &detail.files {
            lines.push(format!("    {} ({} bytes)", f.name, f.size));
        }
    }
    lines
}

fn print_run(detail: &RunDetail) -> Result<(), ClientError> {
    for line in run_text(detail) {
        say!("{line}");
    }
    Ok(())
}

/// `flowdesk submit`: send a local run to a server and start it there.
pub fn submit(
    local: &dyn Client,
    server: &dyn Client,
    run: &str,
    options: &crate::client::submit::SubmitOptions,
    wait: bool,
    as_json: bool,
) -> Outcome {
    let submitted = crate::client::submit::submit(local, server, run, options)?;
    let backend = server.capabilities().backend;
    if !wait {
        if as_json {
            print_json(&json!({
                "id": submitted.run.id,
                "state": submitted.run.state.as_str(),
                "server": backend,
                "workflow": submitted.benchmark_id,
                "submission": submitted.submission,
            }))?;
        } else {
            say!(
                "run {} of submission '{}' started on {backend}; see it with `flowdesk show {} --server {backend}`",
                submitted.run.id,
                submitted.submission,
                submitted.run.id
            );
        }
        return Ok(0);
    }
    if !as_json {
        eprintln!(
            "run {} of submission '{}' started on {backend}",
            submitted.run.id, submitted.submission
        );
    }
    let run = server.wait(&submitted.run.id)?;
    if as_json {
        print_json(&run_json(&run))?;
    } else {
        print_run(&run)?;
    }
    Ok(if run.run.state == RunState::Success {
        0
    } else {
        1
    })
}

pub fn show(client: &dyn Client, run: &str, as_json: bool) -> Outcome {
    let run = client.run(run)?;
    let supports = client.capabilities();
    let provenance = if supports.supports(Operation::Provenance) {
        client.provenance(&run.run.id)?
    } else {
        None
    };
    let reproductions = if supports.supports(Operation::Reproduce) {
        client.reproductions(&run.run.id)?
    } else {
        Vec::new()
    };
    if as_json {
        let mut doc = run_json(&run);
        doc["provenance"] = serde_json::to_value(&provenance).unwrap_or(Value::Null);
        doc["reproductions"] = Value::Array(reproductions.iter().map(reproduction_json).collect());
        print_json(&doc)?;
    } else {
        print_run(&run)?;
        if let Some(provenance) = &provenance {
            for line in provenance_text(provenance) {
                say!("{line}");
            }
        }
        for reproduction in &reproductions {
            say!("  {}", reproduction_line(reproduction));
        }
    }
    Ok(0)
}

/// The lines of `show` about provenance.
fn provenance_text(provenance: &crate::client::Provenance) -> Vec<String> {
    let mut lines = vec!["  provenance:".to_string()];
    lines.push(format!(
        "    template: {} ({})",
        provenance.template.name, provenance.template.hash
    ));
    if let Some(python) = &provenance.environment.python {
        lines.push(format!("    python: {} ({})", python.version, python.path));
    }
    if let Some(packages) = &provenance.environment.packages {
        lines.push(format!("    packages: {}", packages.len()));
    }
    let machine = &provenance.machine;
    lines.push(format!(
        "    machine: {} {}, {} ({} cores), {}",
        machine.os,
        machine.kernel,
        machine.cpu,
        machine.cores,
        bytes_text(machine.memory)
    ));
    for input in &provenance.inputs {
        lines.push(format!("    input {} sha256 {}", input.path, input.sha256));
    }
    for output in &provenance.outputs {
        lines.push(format!(
            "    output {} sha256 {}",
            output.path, output.sha256
        ));
    }
    for step in &provenance.steps {
        lines.push(format!(
            "    step {}: {}, exit {}, {:.3} s, peak memory {}",
            step.name,
            step.worker,
            step.exit_code
                .map(|c| c.to_string())
                .or(step.signal.map(|s| format!("signal {s}")))
                .unwrap_or_else(|| "—".into()),
            step.duration,
            step.peak_memory
                .map(bytes_text)
                .unwrap_or_else(|| "—".into())
        ));
    }
    if let Some(imported) = &provenance.imported {
        lines.push(format!(
            "    imported from run {} (bundle sha256 {}){}",
            imported.run_id,
            imported.bundle,
            if imported.different_template {
                ", different template"
            } else {
                ""
            }
        ));
    }
    lines
}

fn bytes_text(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if bytes as f64 >= 1024.0 * MIB {
        format!("{:.1} GiB", bytes as f64 / (1024.0 * MIB))
    } else {
        format!("{:.1} MiB", bytes as f64 / MIB)
    }
}

fn reproduction_json(reproduction: &crate::client::Reproduction) -> Value {
    json!({
        "run": reproduction.run_id,
        "reproduction": reproduction.reproduction_id,
        "tolerance": reproduction.tolerance,
        "outcome": reproduction.outcome.map(|o| o.as_str()),
        "maxDeviation": reproduction.max_deviation,
        "differences": reproduction.differences,
        "createdAt": reproduction.created_at,
        "finishedAt": reproduction.finished_at,
    })
}

fn reproduction_line(reproduction: &crate::client::Reproduction) -> String {
    let by = reproduction
        .reproduction_id
        .as_deref()
        .unwrap_or("a deleted run");
    match reproduction.outcome {
        None => format!("reproduction by run {by}: not finished"),
        Some(outcome) => {
            let mut line = format!("reproduction by run {by}: {}", outcome.label());
            if let Some(deviation) = reproduction.max_deviation {
                line.push_str(&format!(" (largest deviation {deviation})"));
            }
            line
        }
    }
}

pub fn bundle(client: &dyn Client, run: &str, out: &Path, as_json: bool) -> Outcome {
    let info = client.export_bundle(run, out)?;
    if as_json {
        print_json(&json!({"file": info.file, "files": info.files, "bytes": info.bytes}))?;
    } else {
        say!(
            "wrote the bundle of run {run} to {} ({} files, {})",
            info.file.display(),
            info.files,
            bytes_text(info.bytes)
        );
    }
    Ok(0)
}

pub fn import(client: &dyn Client, file: &Path, force: bool, as_json: bool) -> Outcome {
    let imported = client.import_bundle(file, force)?;
    if as_json {
        print_json(&json!({
            "run": imported.run.id,
            "workflow": imported.benchmark.id,
            "submission": imported.submission.name,
            "submissionId": imported.submission.id,
            "newSubmission": imported.new_submission,
            "differentTemplate": imported.different_template,
            "differences": imported.differences,
            "results": run_json(&client.run(&imported.run.id)?)["results"],
        }))?;
    } else {
        say!(
            "imported run {} into '{}' (submission '{}'{})",
            imported.run.id,
            imported.benchmark.name,
            imported.submission.name,
            if imported.new_submission { ", new" } else { "" }
        );
        if imported.different_template {
            say!(
                "  marked 'different template': {}",
                imported.differences.join("; ")
            );
        }
    }
    Ok(0)
}

pub fn reproduce(
    client: &dyn Client,
    run: &str,
    tolerance: Option<&str>,
    as_json: bool,
) -> Outcome {
    let original = client.run(run)?.run.id;
    let again = client.reproduce(&original, tolerance)?;
    if !as_json {
        eprintln!("reproducing run {original} as run {}", again.id);
    }
    client.wait(&again.id)?;
    let reproduction = client
        .reproductions(&original)?
        .into_iter()
        .rfind(|r| r.reproduction_id.as_deref() == Some(again.id.as_str()))
        .ok_or_else(|| {
            ClientError::Invalid(format!(
                "the comparison of run {original} with run {} was not stored",
                again.id
            ))
        })?;
    if as_json {
        print_json(&reproduction_json(&reproduction))?;
    } else {
        say!("{}", reproduction_line(&reproduction));
        for difference in &reproduction.differences {
            say!("  {}", difference.text());
        }
    }
    Ok(match reproduction.outcome {
        Some(ReproductionOutcome::Reproduced | ReproductionOutcome::WithinTolerance) => 0,
        _ => 1,
    })
}

pub fn logs(client: &dyn Client, run: &str, follow: bool) -> Outcome {
    let run_id = client.run(run)?.run.id;
    let stdout = std::io::stdout();
    let mut offset = 0u64;
    loop {
        offset += client.copy_log(&run_id, offset, &mut stdout.lock())?;
        if !follow {
            break;
        }
        if client.run(&run_id)?.run.state.is_finished() {
            // One last read picks up lines written just before the end.
            client.copy_log(&run_id, offset, &mut stdout.lock())?;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(0)
}

pub fn cancel(client: &dyn Client, run: &str, as_json: bool) -> Outcome {
    let run = client.cancel_run(run)?;
    // A run whose owner had died is canceled at once.
    let ended = run.state.is_finished();
    if as_json {
        print_json(&json!({"id": run.id, "canceling": !ended, "state": run.state.as_str()}))?;
    } else if ended && !client.capabilities().supports(Operation::RunFolder) {
        // A server cancels at once.
        say!("canceled run {}", run.id);
    } else if ended {
        say!("canceled run {} (the process running it had died)", run.id);
    } else {
        say!("canceling run {}", run.id);
    }
    Ok(0)
}

pub fn delete(client: &dyn Client, run: &str, as_json: bool) -> Outcome {
    let run = client.delete_run(run)?;
    if as_json {
        print_json(&json!({"id": run.id, "deleted": true}))?;
    } else {
        say!("deleted run {}", run.id);
    }
    Ok(0)
}

/// Parse `--order col[:asc|desc]`.
fn parse_order(order: &[String]) -> Result<Vec<SortColumn>, ClientError> {
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
                return Err(ClientError::Invalid(format!(
                    "--order {spec}: '{other}' is not asc or desc"
                )))
            }
        };
        sort.push(SortColumn {
            name: name.to_string(),
            sort_desc,
        });
    }
    Ok(sort)
}

pub fn leaderboard(
    client: &dyn Client,
    workflow: &str,
    all: bool,
    reproduced_only: bool,
    order: &[String],
    as_json: bool,
) -> Outcome {
    let query = LeaderboardQuery {
        benchmark: workflow.to_string(),
        order: parse_order(order)?,
        all_runs: all,
        reproduced_only,
    };
    let board = client.leaderboard(&query)?;
    if as_json {
        let rows: Vec<Value> = match &board {
            Some(board) => board.rows().map(|row| row_json(board, &row)).collect(),
            None => Vec::new(),
        };
        print_json(&Value::Array(rows))?;
        return Ok(0);
    }
    let Some(board) = board else {
        let name = client.benchmark(workflow)?.benchmark.name;
        say!("'{name}' has no result schema; its runs are not ranked");
        return Ok(0);
    };
    let mut header: Vec<&str> = vec!["RANK", "SUBMISSION", "RUN"];
    header.extend(board.columns.iter().map(|c| c.label.as_str()));
    header.push("DURATION");
    header.push("");
    let rows: Vec<Vec<String>> = board
        .rows()
        .map(|e| {
            let run = match &e.run_set {
                Some(set) => format!("set {} ({} runs)", set.id, set.runs.len()),
                None => e.run_id.clone(),
            };
            let mut row = vec![e.rank.to_string(), e.submission.clone(), run];
            for (index, value) in e.values.iter().enumerate() {
                let spread = e
                    .run_set
                    .as_ref()
                    .and_then(|set| set.spreads.get(index).copied().flatten());
                row.push(match spread {
                    Some(spread) => spread.text(),
                    None => value_text(value.as_ref()),
                });
            }
            row.push(optional_duration(Some(e.duration)));
            row.push(badge_text(&e.badges));
            row
        })
        .collect();
    say!("{}", table(&header, &rows));
    Ok(0)
}

fn badge_text(badges: &RunBadges) -> String {
    badges.marks().join(", ")
}

fn row_json(board: &crate::client::LeaderboardView, row: &LeaderboardRow) -> Value {
    let mut values = Map::new();
    for (column, value) in board.columns.iter().zip(&row.values) {
        values.insert(
            column.name.clone(),
            value.as_ref().map(value_json).unwrap_or(Value::Null),
        );
    }
    let mut doc = json!({
        "rank": row.rank,
        "run": row.run_id,
        "submission": row.submission,
        "submissionId": row.submission_id,
        "createdAt": row.created_at,
        "startedAt": row.started_at,
        "finishedAt": row.finished_at,
        "duration": row.duration,
        "values": values,
    });
    if let Some(set) = &row.run_set {
        let mut stats = Map::new();
        for (column, spread) in board.columns.iter().zip(&set.spreads) {
            if let Some(spread) = spread {
                stats.insert(
                    column.name.clone(),
                    json!({"mean": spread.mean, "std": spread.std, "n": spread.n}),
                );
            }
        }
        doc["runSet"] = json!(set.id);
        doc["runs"] = json!(set.runs);
        doc["stats"] = Value::Object(stats);
    }
    let badges = &row.badges;
    if badges.imported || badges.reproduction.is_some() {
        doc["badges"] = json!({
            "imported": badges.imported,
            "differentTemplate": badges.different_template,
            "reproduction": badges.reproduction.map(|o| o.as_str()),
            "maxDeviation": badges.max_deviation,
        });
    }
    doc
}

pub fn export(
    client: &dyn Client,
    run: &str,
    out: &Path,
    postproc: bool,
    as_json: bool,
) -> Outcome {
    let count = if postproc {
        client.export_postproc(run, out)?
    } else {
        client.export_run(run, out)?
    };
    if as_json {
        print_json(&json!({"file": out, "files": count}))?;
    } else {
        say!("wrote {} file(s) to {}", count, out.display());
    }
    Ok(0)
}

pub fn download(client: &dyn Client, run: &str, file: &str, out: Option<&Path>) -> Outcome {
    match out {
        Some(out) => {
            crate::client::write_file_atomically(out, |writer| {
                client.copy_run_file(run, file, writer)
            })?;
        }
        None => {
            client.copy_run_file(run, file, &mut std::io::stdout().lock())?;
        }
    }
    Ok(0)
}

pub fn cleanup(
    client: &dyn Client,
    before: &str,
    state: Option<&str>,
    workflow: Option<&str>,
    as_json: bool,
) -> Outcome {
    let query = CleanupQuery {
        before: parse_date(before)?,
        state: match state {
            Some(s) => Some(parse_state(s)?),
            None => None,
        },
        benchmark: workflow.map(str::to_string),
    };
    let deleted = client.cleanup(&query)?;
    if as_json {
        print_json(&json!({ "deleted": deleted }))?;
    } else {
        say!("deleted {} run(s)", deleted.len());
    }
    Ok(0)
}

fn parse_date(text: &str) -> Result<DateTime<Utc>, ClientError> {
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
    Err(ClientError::Invalid(format!(
        "'{text}' is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC)"
    )))
}

pub fn repo(client: &dyn Client, as_json: bool) -> Outcome {
    let entries = client.repository()?;
    if as_json {
        print_json(&serde_json::to_value(&entries).unwrap_or(Value::Null))?;
    } else if entries.is_empty() {
        say!("no template repository configured (set \"repository\" in settings.json or FLOWDESK_REPOSITORY)");
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
        say!("{}", table(&["ID", "DESCRIPTION", "URL"], &rows));
    }
    Ok(0)
}
