//! The headless command line: clap definitions and one function per command,
//! each a thin face over the [`Client`] interface. Output for people by default,
//! `--json` for scripts; failures print one line and exit non-zero. Output to a
//! pipe that closes early (`flowdesk runs | head`) ends the command quietly, as
//! other Unix tools do.

/// Print a line to standard output, returning a [`ClientError::Output`] from
/// the enclosing function when it cannot be written.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::print_line(format_args!($($arg)*))?
    };
}

mod commands;
mod doctor;
mod env;
mod servers;
mod template;

use crate::client::local::LocalOptions;
use crate::client::{Client, ClientError, LocalClient};
use crate::config::Config;
use crate::remote::select::choose_server_from_env;
use crate::remote::RemoteClient;
use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::io::Write;
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

    /// Work on this flowServ server instead of this computer (default:
    /// FLOWDESK_SERVER, else flowServ's FLOWSERV_CLIENT=remote with
    /// FLOWSERV_API_PROTOCOL/HOST/PORT/PATH and FLOWSERV_ACCESS_TOKEN).
    #[arg(long, global = true, value_name = "URL")]
    pub server: Option<String>,

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
    /// A benchmark's own Python environment from its requirements.txt.
    #[command(subcommand)]
    Env(env::EnvCommand),
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
        /// Only runs whose latest reproduction reproduced them.
        #[arg(long)]
        reproduced: bool,
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
    /// Write a portable bundle of a successful run (.tar.gz): its provenance,
    /// input and output files and log, for `flowdesk import` elsewhere.
    Bundle {
        run: String,
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Import a run bundle into the benchmark installed with the same template.
    Import {
        file: PathBuf,
        /// Import it even into a benchmark of the same name whose template
        /// differs (the run is marked "different template").
        #[arg(long)]
        force: bool,
        #[arg(long)]
        json: bool,
    },
    /// Run a run again with the same arguments and input files and compare
    /// its output files and result values.
    Reproduce {
        run: String,
        /// How far a value may deviate: 0.01 (absolute) or 1% (relative);
        /// default: the benchmark's `reproduce_tolerance` setting, else exact.
        #[arg(long)]
        tolerance: Option<String>,
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
    /// Send a run of this computer to a server: the same arguments and files,
    /// to a submission there (`--server` says which server).
    Submit {
        /// The local run.
        run: String,
        /// The submission on the server (default: your only one).
        #[arg(long)]
        submission: Option<String>,
        /// The benchmark on the server (default: the one with the same id or name).
        #[arg(long)]
        benchmark: Option<String>,
        /// Wait for the server run to end.
        #[arg(long)]
        wait: bool,
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
    let server = match choose_server_from_env(cli.server.as_deref()) {
        Ok(server) => server,
        Err(e) => return fail(e),
    };
    // Commands that need no backend of this computer.
    match command {
        Command::Execute { run } => return execute(config, &run),
        Command::Doctor { fix, restore, json } => return doctor::run(config, fix, restore, json),
        Command::Login(args) => return servers::login(config, args),
        Command::Register(args) => return servers::register(config, args),
        Command::Logout { url, json } => {
            return servers::logout(config, url.or(server.map(|s| s.url.key())), json)
        }
        Command::Servers { json } => return servers::servers(config, json),
        _ => {}
    }
    let remote = match &server {
        Some(choice) => match RemoteClient::open(
            &config.home,
            choice.url.clone(),
            &servers::credentials(&config),
            choice.token.clone(),
        ) {
            Ok(client) => Some(client),
            Err(e) => return report(e),
        },
        None => None,
    };
    if let Command::Submit {
        run,
        submission,
        benchmark,
        wait,
        json,
    } = &command
    {
        let Some(remote) = remote.as_ref() else {
            return fail("`flowdesk submit` sends a run to a server: say which with --server URL (or FLOWDESK_SERVER)");
        };
        let local = match LocalClient::open_with(config, LocalOptions::default()) {
            Ok(client) => client,
            Err(e) => return report(e),
        };
        let options = crate::client::submit::SubmitOptions {
            submission: submission.clone(),
            benchmark: benchmark.clone(),
        };
        return match commands::submit(&local, remote, run, &options, *wait, *json) {
            Ok(code) => code,
            Err(e) => report(e),
        };
    }
    if let Some(remote) = remote.as_ref() {
        return match dispatch(remote, command) {
            Ok(code) => code,
            Err(e) => report(e),
        };
    }
    // A command ends soon after its work; post-processing it starts must not.
    // `cancel` recovers after it acted: a run whose owner died is what it
    // cancels, and it ends CANCELED, not interrupted.
    let cancels = matches!(command, Command::Cancel { .. });
    let local = match LocalClient::open_with(
        config,
        LocalOptions {
            install_samples: true,
            executor: std::env::current_exe().ok(),
            recover: !cancels,
        },
    ) {
        Ok(client) => client,
        Err(e) => return report(e),
    };
    let outcome = dispatch(&local, command);
    if cancels {
        local.recover();
    }
    match outcome {
        Ok(code) => code,
        Err(e) => report(e),
    }
}

/// Run a benchmark command on a backend (this computer or a server).
fn dispatch(client: &dyn Client, command: Command) -> Result<i32, ClientError> {
    match command {
        Command::Template(_)
        | Command::Execute { .. }
        | Command::Doctor { .. }
        | Command::Login(_)
        | Command::Register(_)
        | Command::Logout { .. }
        | Command::Servers { .. }
        | Command::Submit { .. }
        | Command::Open(_) => Ok(0),
        Command::Install(args) => commands::install(client, args),
        Command::Uninstall { workflow, json } => commands::uninstall(client, &workflow, json),
        Command::Workflows { json } => commands::workflows(client, json),
        Command::Workflow(command) => commands::workflow(client, command),
        Command::Submissions { workflow, json } => commands::submissions(client, &workflow, json),
        Command::Submission(command) => commands::submission(client, command),
        Command::Env(command) => env::run(client, command),
        Command::Upload {
            submission,
            file,
            json,
        } => commands::upload(client, &submission, &file, json),
        Command::Uploads { submission, json } => commands::uploads(client, &submission, json),
        Command::Run(args) => commands::run(client, args),
        Command::Runs {
            workflow,
            state,
            json,
        } => commands::runs(client, workflow.as_deref(), state.as_deref(), json),
        Command::Show { run, json } => commands::show(client, &run, json),
        Command::Logs { run, follow } => commands::logs(client, &run, follow),
        Command::Cancel { run, json } => commands::cancel(client, &run, json),
        Command::Delete { run, json } => commands::delete(client, &run, json),
        Command::Leaderboard {
            workflow,
            all,
            order,
            reproduced,
            json,
        } => commands::leaderboard(client, &workflow, all, reproduced, &order, json),
        Command::Export {
            run,
            file,
            postproc,
            json,
        } => commands::export(client, &run, &file, postproc, json),
        Command::Bundle { run, file, json } => commands::bundle(client, &run, &file, json),
        Command::Import { file, force, json } => commands::import(client, &file, force, json),
        Command::Reproduce {
            run,
            tolerance,
            json,
        } => commands::reproduce(client, &run, tolerance.as_deref(), json),
        Command::Download { run, file, output } => {
            commands::download(client, &run, &file, output.as_deref())
        }
        Command::Cleanup {
            before,
            state,
            workflow,
            json,
        } => commands::cleanup(client, &before, state.as_deref(), workflow.as_deref(), json),
        Command::Repo { json } => commands::repo(client, json),
    }
}

/// The hidden `__execute` command: run what `flowdesk run` handed over.
fn execute(config: Config, run_id: &str) -> i32 {
    let client = match LocalClient::open_with(
        config,
        LocalOptions {
            install_samples: false,
            executor: std::env::current_exe().ok(),
            recover: true,
        },
    ) {
        Ok(client) => client,
        Err(e) => return report(e),
    };
    let fd = match std::env::var("FLOWDESK_LOCK_FD")
        .ok()
        .and_then(|v| v.parse::<i32>().ok())
    {
        Some(fd) => fd,
        None => return fail("__execute is started by `flowdesk run`, not by hand"),
    };
    // SAFETY: the parent passed us its locked descriptor and nothing else uses it.
    match unsafe { client.execute_handed_over(run_id, fd) } {
        Ok(crate::model::RunState::Success) => 0,
        Ok(_) => 1,
        Err(e) => report(e),
    }
}

/// Report a failed command in one line; a closed output pipe is no failure.
fn report(error: ClientError) -> i32 {
    match &error {
        ClientError::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        _ => fail(error),
    }
}

/// Write one line to standard output.
pub(crate) fn print_line(args: std::fmt::Arguments<'_>) -> Result<(), ClientError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{args}").map_err(ClientError::Output)
}

/// Print a JSON document for scripts.
pub(crate) fn print_json(value: &serde_json::Value) -> Result<(), ClientError> {
    print_line(format_args!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    ))
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
