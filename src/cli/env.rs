//! `flowdesk env`: a benchmark's own Python environment, made from the
//! `requirements.txt` it brings (`create`, with pip's progress as it goes),
//! shown (`show`) and removed (`remove`). Runs of a benchmark with a ready
//! environment use its interpreter as `${python}`.

use crate::client::{
    Client, ClientError, ClientEvent, EnvironmentStatus, EnvironmentView, Subscriber,
};
use clap::Subcommand;
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// Create (or create again) the environment from the benchmark's
    /// requirements.txt, with `uv` when it is on PATH, else venv and pip.
    Create {
        workflow: String,
        #[arg(long)]
        json: bool,
    },
    /// Show the benchmark's requirements and environment.
    Show {
        workflow: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove the environment; runs use the configured Python again.
    Remove {
        workflow: String,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(client: &dyn Client, command: EnvCommand) -> Result<i32, ClientError> {
    match command {
        EnvCommand::Show { workflow, json } => {
            let view = client.environment(&workflow)?;
            print(&view, json)?;
            Ok(0)
        }
        EnvCommand::Remove { workflow, json } => {
            let view = client.remove_environment(&workflow)?;
            print(&view, json)?;
            Ok(0)
        }
        EnvCommand::Create { workflow, json } => create(client, &workflow, json),
    }
}

/// Start the creation and follow its progress to the end (on stderr, so that
/// stdout keeps only the result).
fn create(client: &dyn Client, workflow: &str, json: bool) -> Result<i32, ClientError> {
    let (subscriber, events) = Subscriber::channel();
    client.subscribe(subscriber);
    let started = client.create_environment(workflow)?;
    let id = started.benchmark_id.clone();
    let mut stderr = std::io::stderr();
    let mut last = String::new();
    let outcome = loop {
        let Ok(event) = events.recv() else {
            break Err("the backend stopped before the environment was made".to_string());
        };
        let ClientEvent::Environment(progress) = event else {
            continue;
        };
        if progress.benchmark_id != id {
            continue;
        }
        if let Some(finished) = progress.finished {
            break finished;
        }
        if !json && progress.message != last {
            let count = if progress.total > 0 {
                format!(
                    " ({}/{})",
                    progress.done.min(progress.total),
                    progress.total
                )
            } else {
                String::new()
            };
            let _ = writeln!(stderr, "{}{count}", progress.message);
            last = progress.message;
        }
    };
    let view = client.environment(&id)?;
    print(&view, json)?;
    match outcome {
        Ok(_) => Ok(0),
        Err(message) => {
            if !json {
                let _ = writeln!(stderr, "error: {message}");
            }
            Ok(super::EXIT_USER_ERROR)
        }
    }
}

fn print(view: &EnvironmentView, json: bool) -> Result<(), ClientError> {
    if json {
        return super::print_json(&serde_json::to_value(view).unwrap_or_default());
    }
    match &view.status {
        EnvironmentStatus::None => {
            say!("{} has no requirements.txt: its runs use the configured Python.", view.benchmark_id);
            return Ok(());
        }
        EnvironmentStatus::Missing => say!(
            "{}: no environment yet; runs use the configured Python (create one with `flowdesk env create {}`)",
            view.benchmark_id,
            view.benchmark_id
        ),
        EnvironmentStatus::Creating { started } => {
            say!("{}: being created (since {started})", view.benchmark_id)
        }
        EnvironmentStatus::Ready {
            python,
            tool,
            created,
        } => say!(
            "{}: ready (made with {tool} on {created}); runs use `{python}`",
            view.benchmark_id
        ),
        EnvironmentStatus::Failed { message } => say!(
            "{}: the last creation failed; runs use the configured Python. {message}",
            view.benchmark_id
        ),
    }
    say!("requirements ({}):", view.requirements.len());
    for requirement in &view.requirements {
        say!("  {requirement}");
    }
    say!("folder: {}", view.folder.display());
    say!("log: {}", view.log.display());
    Ok(())
}
