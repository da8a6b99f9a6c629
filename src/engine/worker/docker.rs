//! The Docker workers: `docker` runs a container step's commands in the step's
//! image, `nbdocker` runs a notebook step's papermill in a container. Both use
//! the `docker` command line (found on `PATH`, or `FLOWDESK_DOCKER`) rather than
//! the Docker API, so a stand-in script can take its place in tests and users
//! with Podman's `docker` shim work too.
//!
//! Each command becomes one container:
//! `docker run --rm --name flowdesk-<run>-<n> -v <run folder>:/flowdesk/run
//! -w /flowdesk/run [--env-file <file>] <image> sh -c '<command>'`. The
//! environment goes through a file only the user can read (removed after the
//! command), never onto the command line, which every user can see. Its output streams like
//! the shell worker's. On cancel or time-out the client's process group is killed
//! (as for any command) and the container is stopped with `docker kill`, since
//! killing the client alone leaves the container running. While a container
//! runs, its name is kept in the run's metadata folder, so that the recovery of
//! a run whose owner died stops the container and removes its env files
//! (`clean_up_after_dead_owner`).
//!
//! Whether Docker answers is checked once before the run's first step
//! (`docker version`, remembered for a few seconds), so a machine without Docker
//! fails the run at once with the reason instead of hanging in `docker run`.

use super::super::process::{self, Exit, Limits, OutputLine};
use super::super::step::{StepContext, Stop};
use super::{
    command_variables, environment, finish_command, launch, papermill, shell_quote, WorkerSpec,
};
use crate::error::EngineError;
use crate::workflow::{vars, Action, Step};
use indexmap::IndexMap;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Where the run folder is mounted inside containers, and their working folder.
pub const WORKDIR: &str = "/flowdesk/run";
/// The image papermill containers are built from (flowServ's choice).
const PAPERMILL_BASE: &str = "python:3.9";
/// How long `docker version` may take before Docker counts as unreachable.
const CHECK_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a check result is reused: long enough for a burst of runs, short
/// enough that starting the daemon is noticed.
const CHECK_CACHE: Duration = Duration::from_secs(10);
/// The file in a run's metadata folder naming its running container.
const CONTAINER_RECORD: &str = "container";
/// How long `docker kill` and `docker image inspect` may take.
const HELPER_TIMEOUT: Duration = Duration::from_secs(20);

/// Why Docker cannot be used.
pub(super) enum Unavailable {
    Reason(String),
    Canceled,
}

type Check = (PathBuf, std::time::Instant, Result<(), String>);

static LAST_CHECK: Mutex<Option<Check>> = Mutex::new(None);

/// The `docker` program to call.
fn program() -> Result<PathBuf, String> {
    let configured = std::env::var("FLOWDESK_DOCKER")
        .ok()
        .filter(|p| !p.trim().is_empty());
    match configured {
        Some(name) if name.contains('/') => {
            let path = PathBuf::from(&name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(format!("`{name}` (FLOWDESK_DOCKER) does not exist"))
            }
        }
        Some(name) => crate::config::find_on_path(&name)
            .ok_or_else(|| format!("`{name}` (FLOWDESK_DOCKER) was not found on PATH")),
        None => crate::config::find_on_path("docker").ok_or_else(|| {
            "`docker` was not found on PATH; install Docker or set FLOWDESK_DOCKER".to_string()
        }),
    }
}

/// The `docker` program, if it reaches its daemon.
pub(super) async fn check(
    cwd: &Path,
    cancel: &super::super::CancelToken,
) -> Result<PathBuf, Unavailable> {
    let program = program().map_err(Unavailable::Reason)?;
    let cached = LAST_CHECK
        .lock()
        .ok()
        .and_then(|last| last.clone())
        .filter(|(p, at, _)| *p == program && at.elapsed() < CHECK_CACHE);
    if let Some((_, _, result)) = cached {
        return result.map(|()| program).map_err(Unavailable::Reason);
    }
    let mut stderr = Vec::new();
    let mut sink = |line: OutputLine| {
        if line.stream == process::Stream::Stderr && !line.text.trim().is_empty() {
            stderr.push(line.text);
        }
    };
    let exit = process::run_program(
        &program.to_string_lossy(),
        &["version", "--format", "{{.Server.Version}}"],
        cwd,
        [],
        Limits {
            cancel,
            deadline: Some(Instant::now() + CHECK_TIMEOUT),
            tag: Some(cwd),
        },
        &mut sink,
    )
    .await;
    let result = match exit {
        Ok(Exit::Exited(status)) if status.success() => Ok(()),
        Ok(Exit::Canceled) => return Err(Unavailable::Canceled),
        Ok(Exit::TimedOut) => Err(format!(
            "`docker version` did not answer within {} s",
            super::seconds(CHECK_TIMEOUT)
        )),
        Ok(Exit::Exited(status)) => Err(match stderr.last() {
            Some(line) => line.trim().to_string(),
            None => format!("`docker version` {status}"),
        }),
        Err(error) => Err(format!("cannot start `{}`: {error}", program.display())),
    };
    if let Ok(mut last) = LAST_CHECK.lock() {
        *last = Some((program.clone(), std::time::Instant::now(), result.clone()));
    }
    result.map(|()| program).map_err(Unavailable::Reason)
}

/// How a container gets its environment without the values showing on a
/// command line that every user of the machine can read (`ps`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ContainerEnv {
    /// A file of `KEY=VALUE` lines, readable by its owner only (`--env-file`).
    pub file: Option<PathBuf>,
    /// Variables whose value cannot be a line of that file (it has a line
    /// break): passed as `-e KEY`, which takes the value from the environment of
    /// the `docker` client.
    pub inherited: Vec<String>,
}

/// The arguments of `docker` for one command in a container.
pub fn run_args(
    name: &str,
    run_dir: &Path,
    env: &ContainerEnv,
    image: &str,
    command: &str,
) -> Vec<String> {
    let mut args: Vec<String> = [
        "run",
        "--rm",
        "--name",
        name,
        "-v",
        &format!("{}:{WORKDIR}", run_dir.display()),
        "-w",
        WORKDIR,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Some(file) = &env.file {
        args.push("--env-file".to_string());
        args.push(file.display().to_string());
    }
    for key in &env.inherited {
        args.push("-e".to_string());
        args.push(key.clone());
    }
    args.extend([
        image.to_string(),
        "sh".into(),
        "-c".into(),
        command.to_string(),
    ]);
    args
}

/// A container name that is unique per run and command and valid for Docker
/// (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`).
pub fn container_name(run_id: &str, n: usize) -> String {
    let id: String = run_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("flowdesk-{id}-{n}")
}

/// The run folder as an absolute path, since `-v` needs one.
fn host_dir(run_dir: &Path) -> PathBuf {
    if run_dir.is_absolute() {
        run_dir.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(run_dir))
            .unwrap_or_else(|_| run_dir.to_path_buf())
    }
}

fn docker_program(step: &Step, context: &StepContext<'_, '_>) -> Result<String, Stop> {
    context
        .tools
        .docker
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned())
        .ok_or_else(|| {
            Stop::failed(EngineError::DockerUnavailable {
                step: step.name.clone(),
                reason: "it was not checked before the run".into(),
            })
        })
}

/// Run a container step's commands, each in a fresh container of `image`.
pub(super) async fn run_commands(
    step: &Step,
    worker: &WorkerSpec,
    image: &str,
    commands: &[String],
    step_env: &IndexMap<String, String>,
    context: &mut StepContext<'_, '_>,
) -> Result<(), Stop> {
    let docker = docker_program(step, context)?;
    // `${python}` is the container's interpreter, not this machine's.
    let variables = command_variables(context.variables, worker, "python");
    let env = environment(worker, context.run_env, step_env, &variables);
    for command in commands {
        let command = vars::substitute(command, &variables).trim().to_string();
        in_container(step, &docker, image, &command, &env, context).await?;
    }
    Ok(())
}

/// Run a notebook step's papermill in a container: the worker's `image`, or one
/// built from `python:3.9` with papermill, ipykernel and the step's
/// `requirements` (built once per set of requirements, then reused).
pub(super) async fn run_notebook(
    step: &Step,
    worker: &WorkerSpec,
    context: &mut StepContext<'_, '_>,
) -> Result<(), Stop> {
    let Action::Notebook {
        notebook,
        output,
        requirements,
        ..
    } = &step.action
    else {
        return Ok(());
    };
    let docker = docker_program(step, context)?;
    let image = match &worker.image {
        Some(image) => image.clone(),
        None => papermill_image(step, &docker, requirements, context).await?,
    };
    papermill::prepare_output(step, output, context)?;
    let parameters = papermill::parameters(&step.action, context.variables);
    let command = papermill::command_line("papermill", notebook, output, &parameters);
    let env = environment(worker, context.run_env, &IndexMap::new(), context.variables);
    in_container(step, &docker, &image, &command, &env, context).await
}

/// One command in one container; on cancel or time-out the container is killed.
async fn in_container(
    step: &Step,
    docker: &str,
    image: &str,
    command: &str,
    env: &[(String, String)],
    context: &mut StepContext<'_, '_>,
) -> Result<(), Stop> {
    *context.containers += 1;
    let name = container_name(context.run_id, *context.containers);
    let (container_env, client_env) = write_env_file(step, env, *context.containers, context)?;
    // Named in the run's metadata folder while it runs, so that whoever
    // recovers the run after this process died can stop it (a container does
    // not die with its client).
    let record = host_dir(context.meta_dir).join(CONTAINER_RECORD);
    if let Err(source) = std::fs::write(&record, &name) {
        if let Some(file) = &container_env.file {
            let _ = std::fs::remove_file(file);
        }
        return Err(Stop::failed(EngineError::StepFile {
            step: step.name.clone(),
            path: record,
            source,
        }));
    }
    let args = run_args(
        &name,
        &host_dir(context.run_dir),
        &container_env,
        image,
        command,
    );
    let exit = launch(step, docker, &args, &client_env, context).await;
    if let Some(file) = &container_env.file {
        let _ = std::fs::remove_file(file);
    }
    let exit = exit?;
    if matches!(exit, Exit::Canceled | Exit::TimedOut) {
        helper(docker, &["kill", &name], context.run_dir).await;
    }
    let _ = std::fs::remove_file(&record);
    finish_command(step, command, exit, context)
}

/// What a dead owner's container step leaves in the run's metadata folder:
/// the running container's name (and its environment files, which may hold
/// secrets). Stops that container with `docker kill` (bounded in time; a
/// container that is already gone is fine) and removes the files. Returns the
/// container it stopped, if one was recorded.
pub fn clean_up_after_dead_owner(meta_dir: &Path) -> Option<String> {
    let record = meta_dir.join(CONTAINER_RECORD);
    let name = std::fs::read_to_string(&record)
        .ok()
        .map(|name| name.trim().to_string())
        // A name we wrote ourselves; anything else is not passed to docker.
        .filter(|name| {
            name.starts_with("flowdesk-")
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        });
    if let (Some(name), Ok(docker)) = (&name, program()) {
        kill_blocking(&docker, name, meta_dir);
    }
    let _ = std::fs::remove_file(&record);
    if let Ok(entries) = std::fs::read_dir(meta_dir) {
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let file_name = file_name.to_string_lossy();
            if file_name.starts_with("docker-") && file_name.ends_with(".env") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    name
}

/// `docker kill <name>` from a thread without a runtime, given
/// `HELPER_TIMEOUT` to answer.
fn kill_blocking(docker: &Path, name: &str, cwd: &Path) {
    let child = std::process::Command::new(docker)
        .args(["kill", name])
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return;
    };
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = child.wait();
        let _ = done.send(());
    });
    if finished.recv_timeout(HELPER_TIMEOUT).is_err() {
        // Not reaped yet, so the pid is still this child's.
        if let Ok(pid) = libc::pid_t::try_from(pid) {
            // SAFETY: kill(2) with a pid of our own unreaped child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
    let _ = waiter.join();
}

/// Write the container's environment to a file only the user can read, next
/// to the run's log; values with a line break go through the client's own
/// environment instead. Returns how to pass them, and the client's extra
/// environment.
fn write_env_file(
    step: &Step,
    env: &[(String, String)],
    n: usize,
    context: &StepContext<'_, '_>,
) -> Result<(ContainerEnv, Vec<(String, String)>), Stop> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut container = ContainerEnv::default();
    let mut client = Vec::new();
    let mut lines = String::new();
    for (key, value) in env {
        if value.contains(['\n', '\r']) {
            container.inherited.push(key.clone());
            client.push((key.clone(), value.clone()));
        } else {
            lines.push_str(&format!("{key}={value}\n"));
        }
    }
    if !lines.is_empty() {
        let path = host_dir(context.meta_dir).join(format!("docker-{n}.env"));
        let written = std::fs::create_dir_all(context.meta_dir)
            .and_then(|()| {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .mode(0o600)
                    .open(&path)
            })
            .and_then(|mut file| file.write_all(lines.as_bytes()));
        if let Err(source) = written {
            let _ = std::fs::remove_file(&path);
            return Err(Stop::failed(EngineError::StepFile {
                step: step.name.clone(),
                path,
                source,
            }));
        }
        container.file = Some(path);
    }
    Ok((container, client))
}

/// Run a short `docker` command whose output does not matter; true on success.
async fn helper(docker: &str, args: &[&str], cwd: &Path) -> bool {
    let mut discard = |_line: OutputLine| {};
    let exit = process::run_program(
        docker,
        args,
        cwd,
        [],
        Limits {
            // Not the run's token: this must run after the run was cancelled.
            cancel: &super::super::CancelToken::new(),
            deadline: Some(Instant::now() + HELPER_TIMEOUT),
            tag: None,
        },
        &mut discard,
    )
    .await;
    matches!(exit, Ok(Exit::Exited(status)) if status.success())
}

/// The tag of the papermill image for `requirements`, built if it is missing.
async fn papermill_image(
    step: &Step,
    docker: &str,
    requirements: &[String],
    context: &mut StepContext<'_, '_>,
) -> Result<String, Stop> {
    let dockerfile = dockerfile(requirements);
    let digest = Sha256::digest(dockerfile.as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    let tag = format!("flowdesk-papermill:{hex}");
    if helper(docker, &["image", "inspect", &tag], context.run_dir).await {
        return Ok(tag);
    }
    let folder = context
        .meta_dir
        .join(format!("nbdocker-{}", context.index + 1));
    let path = folder.join("Dockerfile");
    std::fs::create_dir_all(&folder)
        .and_then(|()| std::fs::write(&path, &dockerfile))
        .map_err(|source| {
            Stop::failed(EngineError::StepFile {
                step: step.name.clone(),
                path: path.clone(),
                source,
            })
        })?;
    let args = vec![
        "build".to_string(),
        "-t".to_string(),
        tag.clone(),
        folder.to_string_lossy().into_owned(),
    ];
    let exit = launch(step, docker, &args, &[], context).await?;
    let shown = format!("docker build -t {tag} {}", folder.display());
    finish_command(step, &shown, exit, context)?;
    Ok(tag)
}

/// flowServ's papermill image, with ipykernel so the notebook's kernel exists.
fn dockerfile(requirements: &[String]) -> String {
    let mut packages = vec!["papermill".to_string(), "ipykernel".to_string()];
    packages.extend(requirements.iter().map(|r| shell_quote(r)));
    format!(
        "FROM {PAPERMILL_BASE}\nRUN pip install --no-cache-dir {}\n",
        packages.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_run_invocation() {
        let env = ContainerEnv {
            file: Some(PathBuf::from("/home/u/runs/ab12/.flowdesk/docker-3.env")),
            inherited: vec!["MULTI".into()],
        };
        assert_eq!(
            run_args(
                &container_name("ab12", 3),
                Path::new("/home/u/runs/ab12"),
                &env,
                "python:3.9-slim",
                "python code/a.py > out.txt"
            ),
            [
                "run",
                "--rm",
                "--name",
                "flowdesk-ab12-3",
                "-v",
                "/home/u/runs/ab12:/flowdesk/run",
                "-w",
                "/flowdesk/run",
                "--env-file",
                "/home/u/runs/ab12/.flowdesk/docker-3.env",
                "-e",
                "MULTI",
                "python:3.9-slim",
                "sh",
                "-c",
                "python code/a.py > out.txt"
            ]
        );
        assert_eq!(container_name("run 1/x", 1), "flowdesk-run_1_x-1");
    }

    #[test]
    fn papermill_dockerfile() {
        assert_eq!(
            dockerfile(&["pandas>=2".to_string()]),
            "FROM python:3.9\nRUN pip install --no-cache-dir papermill ipykernel 'pandas>=2'\n"
        );
    }
}
