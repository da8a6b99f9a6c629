//! `flowdesk template check|expand`: what a coordinator runs while writing a
//! template.

use super::{fail, parse_assignment, table};
use crate::config::{Config, Limits};
use crate::template::spec::display_value;
use crate::template::{ExpandOptions, LoadOptions, TemplateFolder};
use crate::workflow::Action;
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
    /// Load the folder, or the archive unpacked by the service, checking its
    /// files with the install limits.
    fn load(&self, limits: &Limits) -> Result<TemplateFolder, crate::error::ServiceError> {
        crate::service::load_template_with(
            &self.folder,
            &LoadOptions {
                manifest: self.manifest.clone(),
                specfile: self.specfile.clone(),
                ..LoadOptions::default()
            },
            limits,
        )
    }
}

/// `home` is the `--home` flag: its settings give the limits an install there
/// would use.
pub fn run(command: TemplateCommand, home: Option<PathBuf>) -> i32 {
    let limits = match Config::resolve(home) {
        Ok(config) => config.limits,
        Err(_) => match Limits::from_env() {
            Ok(limits) => limits,
            Err(e) => return fail(e),
        },
    };
    match command {
        TemplateCommand::Check { source, json } => check(&source, json, &limits),
        TemplateCommand::Expand {
            source,
            args,
            files,
            json,
        } => expand(&source, &args, &files, json, &limits),
    }
}

fn check(source: &Source, as_json: bool, limits: &Limits) -> i32 {
    let folder = match source.load(limits) {
        Ok(folder) => folder,
        Err(e) => return fail(e),
    };
    let template = &folder.template;
    if as_json {
        let document = json!({
            "name": folder.name,
            "description": folder.description,
            "specfile": folder.spec_name,
            "parameters": template.parameters,
            "parameterGroups": template.groups,
            "outputs": template.outputs,
            "results": template.results.as_ref().map(|r| json!({
                "file": r.file,
                "columns": r.columns,
                "orderBy": r.effective_order(),
            })),
            "postproc": template.postproc.as_ref().map(|p| json!({
                "inputs": p.input_files,
                "runs": p.runs,
            })),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&document).unwrap_or_default()
        );
        return 0;
    }
    println!("{}", folder.name);
    println!("  template: {}", folder.spec_name);
    if let Some(description) = &folder.description {
        println!("  description: {description}");
    }
    println!();
    if template.parameters.is_empty() {
        println!("Parameters: none");
    } else {
        println!("Parameters (form order):");
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
        println!(
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
    println!();
    match &template.results {
        None => println!("Result schema: none (runs are not ranked)"),
        Some(schema) => {
            println!("Result schema ({}):", schema.file);
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
            println!(
                "{}",
                table(&["NAME", "TYPE", "REQUIRED", "PATH", "LABEL"], &rows)
            );
            let order: Vec<String> = schema
                .effective_order()
                .iter()
                .map(|s| format!("{} {}", s.name, if s.sort_desc { "desc" } else { "asc" }))
                .collect();
            println!("  order by: {}", order.join(", "));
        }
    }
    if let Some(postproc) = &template.postproc {
        println!();
        println!(
            "Post-processing: runs folder '{}', files per run: {}",
            postproc.runs,
            if postproc.input_files.is_empty() {
                "none".to_string()
            } else {
                postproc.input_files.join(", ")
            }
        );
    }
    0
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
    limits: &Limits,
) -> i32 {
    let folder = match source.load(limits) {
        Ok(folder) => folder,
        Err(e) => return fail(e),
    };
    let mut arguments = Map::new();
    for arg in args {
        match parse_assignment(arg) {
            Ok((name, value)) => {
                arguments.insert(name, Value::String(value));
            }
            Err(e) => return fail(format!("--arg: {e}")),
        }
    }
    for file in files {
        match parse_assignment(file) {
            Ok((name, value)) => {
                let value = match value.split_once(':') {
                    Some((path, target)) => json!({"value": path, "as": target}),
                    None => Value::String(value),
                };
                arguments.insert(name, value);
            }
            Err(e) => return fail(format!("--file: {e}")),
        }
    }
    let template = &folder.template;
    let workflow = match template
        .bind(&arguments)
        .and_then(|bound| template.expand(&bound, &ExpandOptions::default()))
    {
        // Show the commands with `${var}` expanded, as they will run.
        Ok(workflow) => workflow.preview(),
        Err(e) => return fail(e),
    };
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&workflow).unwrap_or_default()
        );
        return 0;
    }
    println!("{}: {} step(s)", folder.name, workflow.steps.len());
    if !workflow.inputs.is_empty() {
        println!("Inputs: {}", workflow.inputs.join(", "));
    }
    println!("Variables:");
    for (name, value) in &workflow.variables {
        println!("  {name} = {}", display_value(value));
    }
    println!("Steps:");
    for (i, step) in workflow.steps.iter().enumerate() {
        match &step.action {
            Action::Container {
                image,
                commands,
                env,
            } => {
                let image = if image.is_empty() {
                    "-"
                } else {
                    image.as_str()
                };
                println!("  {}. {} (environment {image})", i + 1, step.name);
                for (key, value) in env {
                    println!("       env {key}={value}");
                }
                for command in commands {
                    println!("       $ {command}");
                }
            }
            Action::Notebook {
                notebook,
                output,
                params,
                ..
            } => {
                println!(
                    "  {}. {} (notebook {notebook} -> {output})",
                    i + 1,
                    step.name
                );
                if !params.is_empty() {
                    println!("       params: {}", params.join(", "));
                }
            }
            Action::Code { func, arg, .. } => {
                println!(
                    "  {}. {} (code {func}{})",
                    i + 1,
                    step.name,
                    arg.as_ref().map(|a| format!(" -> {a}")).unwrap_or_default()
                );
            }
            Action::Actor { parameter } => {
                println!("  {}. {} (actor {parameter})", i + 1, step.name)
            }
        }
        if !step.inputs.is_empty() {
            println!("       inputs: {}", step.inputs.join(", "));
        }
        if !step.outputs.is_empty() {
            println!("       outputs: {}", step.outputs.join(", "));
        }
    }
    if !workflow.outputs.is_empty() {
        println!("Outputs: {}", workflow.outputs.join(", "));
    }
    0
}
