//! The headless command line: clap definitions and one function per command,
//! each a thin face over the library. Output for people by default, `--json` for
//! scripts; failures print one line and exit non-zero.

mod template;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Exit code for a failure caused by the user's input (bad template, bad argument).
pub const EXIT_USER_ERROR: i32 = 1;

#[derive(Debug, Parser)]
#[command(
    name = "flowdesk",
    version,
    about = "Reproducible Open Benchmarks on your desktop: install flowServ benchmark templates, run them locally, compare results.",
    long_about = None
)]
pub struct Cli {
    /// Home folder holding the database, installed templates and runs
    /// (default: FLOWSERV_API_DIR, else the platform data folder).
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check or expand a template folder without installing it.
    #[command(subcommand)]
    Template(template::TemplateCommand),
}

/// Run a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Some(Command::Template(command)) => template::run(command),
        None => {
            eprintln!("flowdesk: the desktop window is not part of this build yet; see `flowdesk --help` for the command line");
            2
        }
    }
}

/// Print a failure in one line.
pub(crate) fn fail(message: impl std::fmt::Display) -> i32 {
    eprintln!("error: {message}");
    EXIT_USER_ERROR
}

/// Parse `name=value`.
pub(crate) fn parse_assignment(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("expected name=value, got '{text}'")),
    }
}

/// Render rows as aligned columns.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::from("  ");
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        out.trim_end().to_string()
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push('\n');
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}
