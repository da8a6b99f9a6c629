//! `flowdesk template check|expand`: what a coordinator runs while writing a
//! template.

use super::{parse_assignment, table};
use crate::client::templates::{self, CheckOptions};
use crate::client::{order_text, ClientError, PreviewAction};
use crate::config::{Config, ConfigError};
use crate::template::spec::display_value;
use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Load and validate a template folder; print its parameters and result schema.
    Check {
        #[command(flatten)]
        source: Source,
        /// Print the result as JSON.
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
        TemplateCommand::Check { source, json } => check(&source, json, home),
        TemplateCommand::Expand {
            source,
            args,
            files,
            json,
        } => expand(&source, &args, &files, json, home),
    };
    match result {
        Ok(code) => code,
        Err(e) => super::report(e),
    }
}

fn check(source: &Source, as_json: bool, home: Option<PathBuf>) -> Result<i32, ClientError> {
    let config = resolve(home)?;
    let template = templates::check(&source.folder, &source.options(config.as_ref()))?;
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
        });
        super::print_json(&document)?;
        return Ok(0);
    }
    say!("{}", template.name);
    say!("  template: {}", template.spec_file);
    if let Some(description) = &template.description {
        say!("  description: {description}");
    }
    for warning in &template.warnings {
        say!("warning: {warning}");
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
