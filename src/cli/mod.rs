//! The headless command line: clap definitions and one function per command,
//! each a thin face over the library. Output for people by default, `--json` for
//! scripts; failures print one line and exit non-zero.

mod commands;
mod doctor;
mod servers;
mod template;

use crate::config::Config;
use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

/// Exit code for a failure caused by the user's input (bad template, bad argument).
pub const EXIT_USER_ERROR: i32 = 1;

#[derive(Debug, Parser)]
#[command(
    name = "flowdesk",
    version,
    allow_external_subcommands = true,
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
    /// Install a benchmark from a folder, archive, git URL or repository id.
    Install(commands::InstallArgs),
    /// Remove a benchmark with all its submissions, runs and files.
    Uninstall {
        workflow: String,
        #[arg(long)]
        json: bool,
    },
    /// List installed benchmarks.
    Workflows {
        #[arg(long)]
        json: bool,
    },
    /// Edit an installed benchmark.
    #[command(subcommand)]
    Workflow(commands::WorkflowCommand),
    /// List the submissions of a benchmark.
    Submissions {
        workflow: String,
        #[arg(long)]
        json: bool,
    },
    /// Create, rename or delete a submission.
    #[command(subcommand)]
    Submission(commands::SubmissionCommand),
    /// Upload a file to a submission.
    Upload {
        submission: String,
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// List the files uploaded to a submission.
    Uploads {
        submission: String,
        #[arg(long)]
        json: bool,
    },
    /// Start a run.
    Run(commands::RunArgs),
    /// List runs.
    Runs {
        workflow: Option<String>,
        /// Only runs in this state (PENDING, RUNNING, SUCCESS, ERROR, CANCELED).
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show a run: state, arguments, messages, results, files.
    Show {
        run: String,
        #[arg(long)]
        json: bool,
    },
    /// Print a run's log.
    Logs {
        run: String,
        /// Keep printing new lines until the run ends.
        #[arg(long)]
        follow: bool,
    },
    /// Cancel a run.
    Cancel {
        run: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete a finished run and its files.
    Delete {
        run: String,
        #[arg(long)]
        json: bool,
    },
    /// Show a benchmark's leaderboard.
    Leaderboard {
        workflow: String,
        /// All runs instead of the best run per submission.
        #[arg(long)]
        all: bool,
        /// Sort column as col[:asc|desc] (repeatable; default: the template's orderBy).
        #[arg(long, value_name = "COLUMN[:asc|desc]")]
        order: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Export a run's outputs (or, with --postproc, a benchmark's latest
    /// post-processing outputs) as .tar.gz.
    Export {
        /// Run id (benchmark id with --postproc).
        run: String,
        file: PathBuf,
        #[arg(long)]
        postproc: bool,
        #[arg(long)]
        json: bool,
    },
    /// Write one output file of a run to a file (or standard output).
    Download {
        run: String,
        file: String,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Delete finished runs created before a date.
    Cleanup {
        /// YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC).
        #[arg(long)]
        before: String,
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        workflow: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List the templates of the configured template repository.
    Repo {
        #[arg(long)]
        json: bool,
    },
    /// Check the home folder: database, backup, runs left by dead processes,
    /// leftover processes, orphaned run folders, temporary folders, permissions.
    Doctor {
        /// Repair what can be repaired without losing anything.
        #[arg(long, conflicts_with = "restore")]
        fix: bool,
        /// Replace the database with its last backup.
        #[arg(long)]
        restore: bool,
        #[arg(long)]
        json: bool,
    },
    /// Sign in to a flowServ server (the token is kept; the password is not).
    Login(servers::SignInArgs),
    /// Register a user on a flowServ server and sign in.
    Register(servers::SignInArgs),
    /// Sign out of a server (default: the one signed in to).
    Logout {
        url: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List the servers added and who is signed in to each.
    Servers {
        #[arg(long)]
        json: bool,
    },
    /// Execute a run handed over by `flowdesk run` (internal).
    #[command(name = "__execute", hide = true)]
    Execute { run: String },
    /// `flowdesk <folder>`: open the app on the Template check screen for it
    /// (what a file manager does with "Open with flowdesk").
    #[command(external_subcommand)]
    Open(Vec<OsString>),
}

/// Run a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    let open = match &cli.command {
        None => None,
        Some(Command::Open(args)) => match args.as_slice() {
            [path] if std::path::Path::new(path).exists() => {
                let path = PathBuf::from(path);
                Some(path.canonicalize().unwrap_or(path))
            }
            _ => {
                return fail(format!(
                    "unknown command or missing folder '{}'; see `flowdesk --help`",
                    args.first()
                        .map(|a| a.to_string_lossy())
                        .unwrap_or_default()
                ))
            }
        },
        Some(_) => None,
    };
    if matches!(cli.command, None | Some(Command::Open(_))) {
        let config = match Config::resolve(cli.home) {
            Ok(config) => config,
            Err(e) => return fail(e),
        };
        return match crate::gui::run(config, open) {
            Ok(()) => 0,
            Err(e) => fail(format!("cannot open the window: {e}")),
        };
    }
    let Some(command) = cli.command else {
        return 0;
    };
    if let Command::Template(command) = command {
        return template::run(command, cli.home);
    }
    let config = match Config::resolve(cli.home) {
        Ok(config) => config,
        Err(e) => return fail(e),
    };
    match command {
        Command::Template(_) => 0,
        Command::Install(args) => commands::install(config, args),
        Command::Uninstall { workflow, json } => commands::uninstall(config, &workflow, json),
        Command::Workflows { json } => commands::workflows(config, json),
        Command::Workflow(command) => commands::workflow(config, command),
        Command::Submissions { workflow, json } => commands::submissions(config, &workflow, json),
        Command::Submission(command) => commands::submission(config, command),
        Command::Upload {
            submission,
            file,
            json,
        } => commands::upload(config, &submission, &file, json),
        Command::Uploads { submission, json } => commands::uploads(config, &submission, json),
        Command::Run(args) => commands::run(config, args),
        Command::Runs {
            workflow,
            state,
            json,
        } => commands::runs(config, workflow.as_deref(), state.as_deref(), json),
        Command::Show { run, json } => commands::show(config, &run, json),
        Command::Logs { run, follow } => commands::logs(config, &run, follow),
        Command::Cancel { run, json } => commands::cancel(config, &run, json),
        Command::Delete { run, json } => commands::delete(config, &run, json),
        Command::Leaderboard {
            workflow,
            all,
            order,
            json,
        } => commands::leaderboard(config, &workflow, all, &order, json),
        Command::Export {
            run,
            file,
            postproc,
            json,
        } => commands::export(config, &run, &file, postproc, json),
        Command::Download { run, file, output } => {
            commands::download(config, &run, &file, output.as_deref())
        }
        Command::Cleanup {
            before,
            state,
            workflow,
            json,
        } => commands::cleanup(config, &before, state.as_deref(), workflow.as_deref(), json),
        Command::Repo { json } => commands::repo(config, json),
        Command::Doctor { fix, restore, json } => doctor::run(config, fix, restore, json),
        Command::Login(args) => servers::login(config, args),
        Command::Register(args) => servers::register(config, args),
        Command::Logout { url, json } => servers::logout(config, url, json),
        Command::Servers { json } => servers::servers(config, json),
        Command::Execute { run } => commands::execute(config, &run),
        Command::Open(_) => 0,
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
