//! `flowdesk template check|expand|pack|try`: what a coordinator runs while
//! writing a template, checking its scorer's result file and shipping it.

use super::{parse_assignment, table, EXIT_USER_ERROR};
use crate::client::templates::{self, CheckOptions};
use crate::client::view::ResultCheck;
use crate::client::workbench::TryArea;
use crate::client::{order_text, ClientError, PreviewAction};
use crate::config::{Config, ConfigError};
use crate::template::spec::display_value;
use crate::template::ResultValue;
use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Load and validate a template folder; print its parameters and result schema.
    Check {
        #[command(flatten)]
        source: Source,
        /// Also check this result file (JSON or YAML) against the result schema:
        /// every column with the value at its path, its cast and what is wrong.
        #[arg(long, value_name = "FILE")]
        result: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the archive participants install: what the manifest copies, the
    /// manifest, template, instructions and requirements.txt. Refuses a
    /// template with errors.
    Pack {
        /// The template folder.
        folder: PathBuf,
        /// The archive to write (.tar.gz).
        out: PathBuf,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run the template without installing it, in a throwaway area of the home
    /// folder (nothing reaches its benchmarks, runs or leaderboards): the live
    /// log, then the result values, the run's files and the schema check of
    /// its result file.
    Try {
        #[command(flatten)]
        source: Source,
        /// Argument for a parameter, as name=value (repeatable). Lists, records and
        /// actors take JSON values.
        #[arg(long = "arg", value_name = "NAME=VALUE")]
        args: Vec<String>,
        /// File argument as name=path[:target] (repeatable).
        #[arg(long = "file", value_name = "NAME=PATH[:TARGET]")]
        files: Vec<String>,
        /// Also run the post-processing workflow over the try run and show
        /// its outputs.
        #[arg(long)]
        postproc: bool,
        /// Print the result as JSON (the log is included instead of streamed).
        #[arg(long)]
        json: bool,
    },
    /// Print the workflow steps with all references and variables expanded.
    Expand {
        #[command(flatten)]
        source: Source,
        /// Argument for a parameter, as name=value (repeatable). Lists, records and
        /// actors take JSON values.
        #[arg(long = "arg", value_name = "NAME=VALUE")]
        args: Vec<String>,
        /// File argument as name=path[:target] (repeatable).
        #[arg(long = "file", value_name = "NAME=PATH[:TARGET]")]
        files: Vec<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct Source {
    /// The template folder (or a .zip / .tar.gz archive of it).
    pub folder: PathBuf,
    /// Template file to use instead of the manifest's.
    #[arg(long)]
    pub specfile: Option<PathBuf>,
    /// Manifest file to use instead of flowserv.json|yaml|yml.
    #[arg(long)]
    pub manifest: Option<PathBuf>,
}

impl Source {
    fn options(&self, config: Option<&Config>) -> CheckOptions {
        CheckOptions {
            manifest: self.manifest.clone(),
            specfile: self.specfile.clone(),
            limits: config.map(|c| c.limits),
        }
    }
}

/// `home` is `--home`: its settings say which Python `${python}` is, and the
/// limits an install there checks the template's files against.
pub fn run(command: TemplateCommand, home: Option<PathBuf>) -> i32 {
    let result = match command {
        TemplateCommand::Check {
            source,
            result,
            json,
        } => check(&source, result.as_deref(), json, home),
        TemplateCommand::Pack { folder, out, json } => pack(&folder, &out, json, home),
        TemplateCommand::Expand {
            source,
            args,
            files,
            json,
        } => expand(&source, &args, &files, json, home),
        TemplateCommand::Try {
            source,
            args,
            files,
            postproc,
            json,
        } => try_run(&source, &args, &files, postproc, json, home),
    };
    match result {
        Ok(code) => code,
        Err(e) => super::report(e),
    }
}

fn check(
    source: &Source,
    result: Option<&Path>,
    as_json: bool,
    home: Option<PathBuf>,
) -> Result<i32, ClientError> {
    let config = resolve(home)?;
    let options = source.options(config.as_ref());
    let (template, result_check) = match result {
        Some(file) => {
            let (template, checked) = templates::check_result(&source.folder, &options, file)?;
            (template, Some(checked))
        }
        None => (templates::check(&source.folder, &options)?, None),
    };
    let code = match &result_check {
        Some(checked) if !checked.check.passes() => EXIT_USER_ERROR,
        _ => 0,
    };
    if as_json {
        let document = json!({
            "name": template.name,
            "description": template.description,
            "specfile": template.spec_file,
            "instructions": template.instructions,
            "parameters": template.parameters,
            "parameterGroups": template.groups,
            "outputs": template.outputs,
            "results": template.results.as_ref().map(|r| json!({
                "file": r.file,
                "columns": r.columns,
                "orderBy": r.effective_order(),
            })),
            "postproc": template.postproc,
            "warnings": template.warnings,
            "lints": template.lints.iter().map(|l| json!({
                "file": l.file,
                "element": l.element,
                "message": l.message,
                "difference": l.difference,
                "text": l.to_string(),
            })).collect::<Vec<_>>(),
            "resultCheck": result_check.as_ref().map(|r| json!({
                "file": r.file,
                "passes": r.check.passes(),
                "columns": r.check.columns,
                "extraKeys": r.check.extra_keys,
                "problems": r.check.problems(),
                "lints": r.lints.iter().map(|l| l.to_string()).collect::<Vec<_>>(),
            })),
        });
        super::print_json(&document)?;
        return Ok(code);
    }
    say!("{}", template.name);
    say!("  template: {}", template.spec_file);
    if let Some(description) = &template.description {
        say!("  description: {description}");
    }
    for warning in &template.warnings {
        say!("warning: {warning}");
    }
    for lint in &template.lints {
        say!("warning: {lint}");
    }
    say!("");
    if template.parameters.is_empty() {
        say!("Parameters: none");
    } else {
        say!("Parameters (form order):");
        let rows: Vec<Vec<String>> = template
            .parameters
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    p.dtype.name().to_string(),
                    if p.required { "yes" } else { "no" }.to_string(),
                    p.effective_default()
                        .map(|v| display_value(&v))
                        .unwrap_or_else(|| "-".into()),
                    non_empty(p.constraints()),
                    p.group
                        .as_ref()
                        .map(|g| {
                            template
                                .groups
                                .iter()
                                .find(|x| &x.name == g)
                                .map(|x| x.title.clone())
                                .unwrap_or_else(|| g.clone())
                        })
                        .unwrap_or_else(|| "-".into()),
                    p.label.clone(),
                ]
            })
            .collect();
        say!(
            "{}",
            table(
                &[
                    "NAME",
                    "TYPE",
                    "REQUIRED",
                    "DEFAULT",
                    "CONSTRAINTS",
                    "GROUP",
                    "LABEL"
                ],
                &rows
            )
        );
    }
    say!("");
    match &template.results {
        None => say!("Result schema: none (runs are not ranked)"),
        Some(schema) => {
            say!("Result schema ({}):", schema.file);
            let rows: Vec<Vec<String>> = schema
                .columns
                .iter()
                .map(|c| {
                    vec![
                        c.name.clone(),
                        c.dtype.name().to_string(),
                        if c.required { "yes" } else { "no" }.to_string(),
                        c.path.clone().unwrap_or_else(|| "-".into()),
                        c.label.clone(),
                    ]
                })
                .collect();
            say!(
                "{}",
                table(&["NAME", "TYPE", "REQUIRED", "PATH", "LABEL"], &rows)
            );
            say!("  order by: {}", order_text(&schema.effective_order()));
        }
    }
    if let Some(postproc) = &template.postproc {
        say!("");
        say!(
            "Post-processing: runs folder '{}', files per run: {}",
            postproc.runs,
            if postproc.input_files.is_empty() {
                "none".to_string()
            } else {
                postproc.input_files.join(", ")
            }
        );
    }
    if let Some(checked) = &result_check {
        say!("");
        print_result_check(checked)?;
    }
    Ok(code)
}

fn print_result_check(checked: &ResultCheck) -> Result<(), ClientError> {
    say!(
        "Schema check of {} (the template's result file is {}):",
        checked.file.display(),
        checked.check.file
    );
    let rows: Vec<Vec<String>> = checked
        .check
        .columns
        .iter()
        .map(|c| {
            vec![
                c.column.clone(),
                c.dtype.to_string(),
                if c.required { "yes" } else { "no" }.to_string(),
                c.path.clone(),
                // As JSON, so that text "1.5" and the number 1.5 differ.
                c.found
                    .as_ref()
                    .map(Value::to_string)
                    .unwrap_or_else(|| "-".into()),
                c.cast
                    .as_ref()
                    .map(format_result)
                    .unwrap_or_else(|| "-".into()),
                c.problem.clone().unwrap_or_else(|| "ok".into()),
            ]
        })
        .collect();
    say!(
        "{}",
        table(
            &["COLUMN", "TYPE", "REQUIRED", "PATH", "FOUND", "CAST", "PROBLEM"],
            &rows
        )
    );
    for lint in &checked.lints {
        say!("warning: {lint}");
    }
    if checked.check.passes() {
        say!("The result file matches the schema.");
    } else {
        for problem in checked.check.problems() {
            say!("error: {problem}");
        }
    }
    Ok(())
}

fn format_result(value: &ResultValue) -> String {
    match value {
        ResultValue::Int(i) => i.to_string(),
        ResultValue::Float(f) => format!("{f}"),
        ResultValue::String(s) => s.clone(),
    }
}

fn pack(
    folder: &Path,
    out: &Path,
    as_json: bool,
    home: Option<PathBuf>,
) -> Result<i32, ClientError> {
    let config = resolve(home)?;
    let options = CheckOptions {
        limits: config.as_ref().map(|c| c.limits),
        ..CheckOptions::default()
    };
    let packed = templates::pack(folder, &options, out)?;
    if as_json {
        super::print_json(&json!({
            "file": packed.file,
            "size": packed.size,
            "files": packed.files,
        }))?;
        return Ok(0);
    }
    say!(
        "Packed {} ({}, {} file(s)):",
        packed.file.display(),
        crate::client::format::size_text(packed.size),
        packed.files.len()
    );
    for file in &packed.files {
        say!("  {file}");
    }
    Ok(0)
}

fn non_empty(text: String) -> String {
    if text.is_empty() {
        "-".into()
    } else {
        text
    }
}

fn expand(
    source: &Source,
    args: &[String],
    files: &[String],
    as_json: bool,
    home: Option<PathBuf>,
) -> Result<i32, ClientError> {
    let mut arguments = Map::new();
    for arg in args {
        let (name, value) =
            parse_assignment(arg).map_err(|e| ClientError::Invalid(format!("--arg: {e}")))?;
        arguments.insert(name, Value::String(value));
    }
    for file in files {
        let (name, value) =
            parse_assignment(file).map_err(|e| ClientError::Invalid(format!("--file: {e}")))?;
        let value = match value.split_once(':') {
            Some((path, target)) => json!({"value": path, "as": target}),
            None => Value::String(value),
        };
        arguments.insert(name, value);
    }
    // The configured Python, as a run of the installed template would get it;
    // without any home folder, the default interpreter.
    let config = resolve(home)?;
    let (name, workflow) = templates::expand(
        &source.folder,
        &source.options(config.as_ref()),
        &arguments,
        config.as_ref(),
    )?;
    if as_json {
        super::print_json(&serde_json::to_value(&workflow).unwrap_or_default())?;
        return Ok(0);
    }
    say!("{}: {} step(s)", name, workflow.steps.len());
    if !workflow.inputs.is_empty() {
        say!("Inputs: {}", workflow.inputs.join(", "));
    }
    say!("Variables:");
    for (name, value) in &workflow.variables {
        say!("  {name} = {}", display_value(value));
    }
    say!("Steps:");
    for (i, step) in workflow.steps.iter().enumerate() {
        say!("  {}", step.summary(i + 1));
        match &step.action {
            PreviewAction::Container { commands, env, .. } => {
                for (key, value) in env {
                    say!("       env {key}={value}");
                }
                for command in commands {
                    say!("       $ {command}");
                }
            }
            PreviewAction::Notebook { params, .. } if !params.is_empty() => {
                say!("       params: {}", params.join(", "));
            }
            _ => {}
        }
        if !step.inputs.is_empty() {
            say!("       inputs: {}", step.inputs.join(", "));
        }
        if !step.outputs.is_empty() {
            say!("       outputs: {}", step.outputs.join(", "));
        }
    }
    if !workflow.outputs.is_empty() {
        say!("Outputs: {}", workflow.outputs.join(", "));
    }
    Ok(0)
}

/// The configuration of `--home` (or the default home folder); `None` when
/// there is no home folder at all.
fn resolve(home: Option<PathBuf>) -> Result<Option<Config>, ClientError> {
    match Config::resolve(home) {
        Ok(config) => Ok(Some(config)),
        Err(ConfigError::NoHome) => Ok(None),
        Err(e) => Err(ClientError::Invalid(e.to_string())),
    }
}

/// `template try`: see [`TemplateCommand::Try`].
fn try_run(
    source: &Source,
    args: &[String],
    files: &[String],
    postproc: bool,
    as_json: bool,
    home: Option<PathBuf>,
) -> Result<i32, ClientError> {
    let config = resolve(home)?.ok_or_else(|| {
        ClientError::Invalid(
            "no home folder for the try area: give --home or set FLOWSERV_API_DIR".into(),
        )
    })?;
    let options = source.options(Some(&config));
    let arguments = super::commands::run_arguments(args, files)?;
    let mut area = TryArea::open(&config)?;
    let mut log = Vec::new();
    let outcome = area.try_to_end(
        &source.folder,
        &options,
        arguments,
        postproc,
        |run| {
            if !as_json {
                eprintln!("try run {} started (not installed, not ranked)", run.id);
            }
        },
        |chunk| {
            if as_json {
                log.extend_from_slice(chunk);
            } else {
                use std::io::Write as _;
                let _ = std::io::stderr().write_all(chunk);
            }
        },
    )?;
    let code = if outcome.passes() { 0 } else { 1 };
    if as_json {
        let document = json!({
            "run": super::commands::run_json(&outcome.run),
            "log": String::from_utf8_lossy(&log),
            "resultCheck": outcome.result_check.as_ref().map(|r| json!({
                "passes": r.check.passes(),
                "columns": r.check.columns,
                "extraKeys": r.check.extra_keys,
                "problems": r.check.problems(),
            })),
            "postproc": outcome.postproc.as_ref().map(|(run, view)| json!({
                "run": super::commands::run_json(run),
                "outputs": view.as_ref().map(|v| v.outputs.iter().map(|o| json!({
                    "key": o.file.id,
                    "path": o.file.name,
                    "size": o.file.size,
                    "title": o.title,
                })).collect::<Vec<_>>()),
            })),
        });
        super::print_json(&document)?;
        return Ok(code);
    }
    say!("");
    for line in super::commands::run_text(&outcome.run) {
        say!("{line}");
    }
    if let Some(checked) = &outcome.result_check {
        say!("");
        print_result_check(checked)?;
    }
    match &outcome.postproc {
        Some((post, view)) => {
            say!("");
            say!(
                "post-processing run {} ({})",
                post.run.id,
                post.run.state_text()
            );
            for message in &post.run.messages {
                say!("  ! {message}");
            }
            for output in view.iter().flat_map(|v| &v.outputs) {
                say!(
                    "    {} ({} bytes){}",
                    output.file.name,
                    output.file.size,
                    output
                        .title
                        .as_ref()
                        .map(|t| format!(" — {t}"))
                        .unwrap_or_default()
                );
            }
        }
        None if postproc => {
            say!("note: no post-processing ran (the template has none, or the run failed)")
        }
        None => {}
    }
    say!("");
    say!("Nothing was installed; the try area is removed now.");
    Ok(code)
}
