//! Workers end to end through the real binary: worker configurations in both
//! forms (file, settings, a submission's own), the Docker workers against a
//! stand-in `docker` on PATH (and against a real daemon where one answers),
//! notebooks through a real papermill, code steps in real Python, time limits
//! and missing step files.
//!
//! The notebook tests need papermill and ipykernel. `.ci/run` installs them in
//! `target/pyenv`; elsewhere a papermill on PATH is used, and without one the
//! tests print a note and skip — except under CI (`CI` set), where a missing
//! papermill is a failure.

mod common;

use common::{kill9, pid_alive, samples, start_slow_run, stderr, wait_for, wait_until_gone, Home};
use serde_json::Value;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn messages(run: &Value) -> Vec<String> {
    run["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| m.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

fn executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    write(path, text);
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `dirs` in front of this process's PATH.
fn path_with(dirs: &[&Path]) -> OsString {
    let mut paths: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(paths).unwrap()
}

// ----- papermill ---------------------------------------------------------------

/// The folder with papermill: `target/pyenv/bin` (made by `.ci/run`) or the one
/// on PATH. `None` means skip — or fail under CI, where it must be there.
fn papermill_bin(test: &str) -> Option<PathBuf> {
    let pyenv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyenv/bin");
    if pyenv.join("papermill").is_file() {
        return Some(pyenv);
    }
    let on_path = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).find(|dir| dir.join("papermill").is_file()));
    if on_path.is_some() {
        return on_path;
    }
    let why = "papermill is not installed: .ci/run creates target/pyenv with \
               `python3 -m venv target/pyenv && target/pyenv/bin/pip install papermill ipykernel`";
    if std::env::var_os("CI").is_some() {
        panic!("{test}: {why}");
    }
    eprintln!("note: skipping {test}: {why}");
    None
}

/// The Python next to papermill (a virtualenv's), else `python3`.
fn python_of(bin: &Path) -> OsString {
    for name in ["python3", "python"] {
        if bin.join(name).is_file() {
            return bin.join(name).into_os_string();
        }
    }
    "python3".into()
}

#[test]
fn notebook_benchmark_runs_through_papermill() {
    let Some(bin) = papermill_bin("notebook_benchmark_runs_through_papermill") else {
        return;
    };
    let home = Home::new()
        .with_env("FLOWDESK_PYTHON", python_of(&bin))
        .with_env("PATH", path_with(&[&bin]));
    let id = home.install(&samples().join("features/notebook"));
    let (output, run) = home.run_wait(&[&id]);
    assert!(output.status.success(), "{} {run}", stderr(&output));
    assert_eq!(run["results"]["text"], "Hello Hello Hello");
    assert_eq!(run["results"]["length"], 17);

    // Parameters of every type reach the notebook; the executed notebook is a
    // run file holding the injected parameters and the cell output.
    let (output, run) = home.run_wait(&[&id, "--arg", "greeting=007", "--arg", "repeat=2"]);
    assert!(output.status.success(), "{} {run}", stderr(&output));
    assert_eq!(run["results"]["text"], "007 007");
    let files: Vec<&str> = run["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert!(files.contains(&"results/greet.out.ipynb"), "{files:?}");
    let executed =
        std::fs::read_to_string(home.run_dir(&run).join("results/greet.out.ipynb")).unwrap();
    assert!(executed.contains("injected-parameters"), "{executed}");
    assert!(executed.contains("007 007"), "{executed}");
    let log = home.ok(&["logs", run["id"].as_str().unwrap()]);
    assert!(log.contains("007 007"), "{log}");
}

#[test]
fn missing_papermill_fails_the_run_at_once_and_says_how_to_install_it() {
    // A Python that has no papermill, and a PATH without one.
    let tools = tempfile::tempdir().unwrap();
    let python = tools.path().join("python3");
    executable(&python, "#!/bin/sh\nexit 1\n");
    let home = Home::new()
        .with_env("FLOWDESK_PYTHON", &python)
        .with_env("PATH", "/usr/bin:/bin");
    if Path::new("/usr/bin/papermill").exists() || Path::new("/bin/papermill").exists() {
        eprintln!("note: skipping: papermill is installed system-wide");
        return;
    }
    let id = home.install(&samples().join("features/notebook"));
    let (output, run) = home.run_wait(&[&id]);
    assert!(!output.status.success());
    assert_eq!(run["state"], "ERROR");
    assert_eq!(
        messages(&run),
        [format!(
            "step 'greet': papermill is not installed: install it with `{} -m pip install papermill ipykernel`",
            python.display()
        )]
    );
}

// ----- code steps --------------------------------------------------------------

#[test]
fn code_step_benchmark_feeds_the_function_result_to_a_later_command() {
    let home = Home::new();
    let id = home.install(&samples().join("features/code-step"));
    let (output, run) = home.run_wait(&[&id]);
    assert!(output.status.success(), "{} {run}", stderr(&output));
    assert_eq!(run["results"]["words"], 15);
    assert_eq!(run["results"]["minlen"], 4);
    let (_, run) = home.run_wait(&[&id, "--arg", "minlen=6"]);
    assert_eq!(run["results"]["words"], 8, "{run}");
    // Nothing compiled is left behind in the run folder.
    assert!(!home.run_dir(&run).join("wordstats").exists());
    let log = home.ok(&["logs", run["id"].as_str().unwrap()]);
    assert!(
        log.contains("8 words of at least 6 letters in data/text.txt"),
        "{log}"
    );
}

// ----- worker configuration ----------------------------------------------------

/// Three container steps that print the `${jar}` they get and `$WENV`.
fn echo_template(dir: &Path) {
    write(
        &dir.join("flowserv.yaml"),
        "name: Echo workers\nworkflowSpec:\n  workflow:\n    steps:\n\
         \x20     - name: a\n        action:\n          environment: 'img:1'\n          commands:\n            - printf '%s|%s' \"${jar}\" \"$WENV\" > a.txt\n\
         \x20     - name: b\n        action:\n          environment: 'img:2'\n          commands:\n            - printf '%s|%s' \"${jar}\" \"$WENV\" > b.txt\n\
         \x20     - name: special\n        action:\n          environment: 'img:1'\n          commands:\n            - printf '%s|%s' \"${jar}\" \"$WENV\" > special.txt\n",
    );
}

fn outputs(home: &Home, run: &Value) -> Vec<String> {
    ["a.txt", "b.txt", "special.txt"]
        .iter()
        .map(|f| std::fs::read_to_string(home.run_dir(run).join(f)).unwrap_or_default())
        .collect()
}

#[test]
fn worker_configuration_maps_images_and_step_names_to_workers() {
    let root = tempfile::tempdir().unwrap();
    echo_template(&root.path().join("echo"));
    // The user guide's list, keyed by image.
    let list = root.path().join("list.yaml");
    write(
        &list,
        "- image: 'img:1'\n  worker: 'subprocess'\n  args:\n    variables:\n      jar: 'one.jar'\n    env:\n      WENV: 'e1'\n",
    );
    // The engine configuration: worker specs and a mapping by step name or image.
    let mapping = root.path().join("mapping.json");
    write(
        &mapping,
        r#"{"workers": [
              {"name": "w1", "type": "subprocess", "vars": [{"key": "jar", "value": "two.jar"}]},
              {"name": "w2", "type": "subprocess", "variables": {"jar": "special.jar"}, "env": [{"key": "WENV", "value": "e2"}]}
           ],
           "workflow": {"img:1": "w1", "special": "w2"}}"#,
    );

    let home = Home::new().with_env("FLOWSERV_SERIAL_WORKERS", &list);
    let id = home.install(&root.path().join("echo"));
    let (output, run) = home.run_wait(&[&id]);
    assert!(output.status.success(), "{} {run}", stderr(&output));
    // Unmatched steps use the shell worker, which has no `jar`: as in flowServ,
    // `${jar}` then stands for its own name.
    assert_eq!(outputs(&home, &run), ["one.jar|e1", "jar|", "one.jar|e1"]);

    // The same from the settings file.
    let home = Home::new();
    home.settings(serde_json::json!({ "worker_config": mapping }));
    let id = home.install(&root.path().join("echo"));
    let (output, run) = home.run_wait(&[&id]);
    assert!(output.status.success(), "{} {run}", stderr(&output));
    assert_eq!(outputs(&home, &run), ["two.jar|", "jar|", "special.jar|e2"]);

    // A submission's own configuration wins over the configured one, until cleared.
    let created = home.json(&["submission", "create", &id, "team"]);
    let team = created["id"].as_str().unwrap();
    home.ok(&["submission", "workers", team, list.to_str().unwrap()]);
    let (_, run) = home.run_wait(&[&id, "--submission", team]);
    assert_eq!(outputs(&home, &run), ["one.jar|e1", "jar|", "one.jar|e1"]);
    // Detached runs (`run` without --wait) read it too.
    let started = home.json(&["run", &id, "--submission", team]);
    let run_id = started["id"].as_str().unwrap().to_string();
    wait_for("the detached run", Duration::from_secs(30), || {
        home.json(&["show", &run_id])["state"] == "SUCCESS"
    });
    assert_eq!(
        outputs(&home, &home.json(&["show", &run_id])),
        ["one.jar|e1", "jar|", "one.jar|e1"]
    );
    home.ok(&["submission", "workers", team, "--clear"]);
    let (_, run) = home.run_wait(&[&id, "--submission", team]);
    assert_eq!(outputs(&home, &run), ["two.jar|", "jar|", "special.jar|e2"]);
}

#[test]
fn a_bad_worker_configuration_is_reported_before_any_run_starts() {
    let root = tempfile::tempdir().unwrap();
    echo_template(&root.path().join("echo"));
    let bad = root.path().join("w.yaml");
    write(
        &bad,
        "workers:\n  - name: ok\n    type: docker\n  - name: typo\n    type: dockr\n",
    );
    let home = Home::new().with_env("FLOWSERV_SERIAL_WORKERS", &bad);
    // Everything else still works.
    let id = home.install(&root.path().join("echo"));
    let output = home.run(&["run", &id, "--wait"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains(&format!(
            "worker configuration `{}`: workers[1]: unknown type 'dockr'",
            bad.display()
        )),
        "{}",
        stderr(&output)
    );
    assert_eq!(home.json(&["runs"]), serde_json::json!([]));

    // A submission's configuration is checked when it is set.
    let home = Home::new();
    let id = home.install(&root.path().join("echo"));
    let team = home.json(&["submission", "create", &id, "team"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let output = home.run(&["submission", "workers", &team, bad.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains(
            "worker configuration `engine config of submission 'team'`: workers[1]: unknown type 'dockr'"
        ),
        "{}",
        stderr(&output)
    );
}

// ----- Docker ------------------------------------------------------------------

/// A stand-in for `docker` first on PATH: records every call (arguments
/// separated by \x1f, one call per line), answers `version` (or fails it when
/// `DOCKER_STANDIN_DOWN` is set), and runs `run`'s `sh -c` locally in the host
/// folder that `-v` maps to the `-w` folder, with the `-e` and `--env-file`
/// variables (keeping a copy of the env file and its mode). A
/// `python` next to it stands for the container's interpreter.
struct StandIn {
    dir: tempfile::TempDir,
}

impl StandIn {
    fn new() -> StandIn {
        let dir = tempfile::tempdir().unwrap();
        executable(
            &dir.path().join("docker"),
            r#"#!/bin/sh
{ for a in "$@"; do printf '%s\037' "$a"; done; printf '\n'; } >> "$DOCKER_STANDIN_LOG"
case "$1" in
  version)
    if [ -n "$DOCKER_STANDIN_DOWN" ]; then
      echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2
      exit 1
    fi
    echo 27.0.0 ;;
  kill) echo "$2" ;;
  image) exit 1 ;;
  build) echo "built $3" ;;
  run)
    shift
    while [ $# -gt 0 ]; do
      case "$1" in
        --rm) shift ;;
        --name) shift 2 ;;
        -v) mount=$2; shift 2 ;;
        -w) workdir=$2; shift 2 ;;
        -e) export "$2"; shift 2 ;;
        --env-file)
          stat -c '%a' "$2" > "$DOCKER_STANDIN_LOG.mode"
          cp "$2" "$DOCKER_STANDIN_LOG.env"
          while IFS= read -r line; do export "$line"; done < "$2"
          shift 2 ;;
        *) break ;;
      esac
    done
    shift
    [ "$workdir" = "${mount#*:}" ] || { echo "-w $workdir is not the mount" >&2; exit 125; }
    cd "${mount%%:*}" || exit 125
    exec "$@" ;;
  *) echo "unexpected docker $*" >&2; exit 2 ;;
esac
"#,
        );
        executable(
            &dir.path().join("python"),
            "#!/bin/sh\nexec python3 \"$@\"\n",
        );
        StandIn { dir }
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("calls.log")
    }

    /// A home whose flowdesk finds this stand-in as `docker`.
    fn home(&self) -> Home {
        Home::new()
            .with_env("PATH", path_with(&[self.dir.path()]))
            .with_env("DOCKER_STANDIN_LOG", self.log())
    }

    fn calls(&self) -> Vec<Vec<String>> {
        std::fs::read_to_string(self.log())
            .unwrap_or_default()
            .lines()
            .map(|line| {
                line.split('\u{1f}')
                    .filter(|a| !a.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .collect()
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn docker_worker_runs_each_command_in_a_container_with_mount_and_env() {
    let docker = StandIn::new();
    let workers = samples().join("features/docker/workers.yaml");
    let home = docker.home().with_env("FLOWSERV_SERIAL_WORKERS", &workers);
    let id = home.install(&samples().join("features/docker"));
    let (output, run) = home.run_wait(&[&id, "--arg", "name=Ada Lovelace"]);
    assert!(output.status.success(), "{} {run}", stderr(&output));
    // The worker's env and variables reached the command in the container.
    assert_eq!(run["results"]["message"], "Hello, Ada Lovelace!");
    let run_id = run["id"].as_str().unwrap();
    let run_dir = home.run_dir(&run);
    assert_eq!(
        docker.calls(),
        [
            strings(&["version", "--format", "{{.Server.Version}}"]),
            strings(&[
                "run",
                "--rm",
                "--name",
                &format!("flowdesk-{run_id}-1"),
                "-v",
                &format!("{}:/flowdesk/run", run_dir.display()),
                "-w",
                "/flowdesk/run",
                "--env-file",
                &format!("{}/.flowdesk/docker-1.env", run_dir.display()),
                "python:3.12-slim",
                "sh",
                "-c",
                // `${python}` is the container's interpreter.
                "python code/greet.py --name \"Ada Lovelace\" --punctuation \"!\" --outfile results/greeting.json",
            ]),
        ]
    );
    // The environment went through a file only the user could read, not the
    // command line, and the file is gone.
    let mut env_file = docker.log().into_os_string();
    env_file.push(".env");
    assert_eq!(
        std::fs::read_to_string(&env_file).unwrap(),
        "GREETING=Hello\n"
    );
    let mut mode = docker.log().into_os_string();
    mode.push(".mode");
    assert_eq!(std::fs::read_to_string(&mode).unwrap().trim(), "600");
    assert!(!run_dir.join(".flowdesk/docker-1.env").exists());
    // The output streamed into the log like the shell worker's.
    let log = home.ok(&["logs", run_id]);
    assert!(log.contains("Hello, Ada Lovelace!"), "{log}");
}

#[test]
fn cancel_kills_the_container_and_the_docker_client() {
    let docker = StandIn::new();
    let root = tempfile::tempdir().unwrap();
    let workers = root.path().join("workers.yaml");
    write(&workers, "- image: 'python:3.9'\n  worker: 'docker'\n");
    let home = docker.home().with_env("FLOWSERV_SERIAL_WORKERS", &workers);
    let id = home.install(&samples().join("features/slow"));
    let (run_id, pids) = start_slow_run(&home, &id, "the container's step to start");
    home.ok(&["cancel", &run_id]);
    wait_for("the run to be canceled", Duration::from_secs(10), || {
        home.json(&["show", &run_id])["state"] == "CANCELED"
    });
    let name = format!("flowdesk-{run_id}-1");
    assert!(
        docker.calls().contains(&strings(&["kill", &name])),
        "{:?}",
        docker.calls()
    );
    wait_for(
        "the client's processes to die",
        Duration::from_secs(3),
        || pids.iter().all(|p| !pid_alive(*p)),
    );
}

#[test]
fn a_dead_owners_container_is_stopped_and_its_env_file_removed_by_recovery() {
    let docker = StandIn::new();
    let root = tempfile::tempdir().unwrap();
    let workers = root.path().join("workers.yaml");
    write(
        &workers,
        "workers:\n  - name: c\n    type: docker\n    env:\n      - key: TOKEN\n        value: s3cret\nworkflow:\n  'python:3.9': c\n",
    );
    let home = docker.home().with_env("FLOWSERV_SERIAL_WORKERS", &workers);
    let id = home.install(&samples().join("features/slow"));
    let mut owner = home
        .command(&["run", &id, "--arg", "seconds=120", "--wait"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let runs_dir = home.path().join("runs");
    let pids_file = || {
        std::fs::read_dir(&runs_dir)
            .ok()?
            .flatten()
            .map(|e| e.path().join("slow.pids"))
            .find(|p| p.exists())
    };
    wait_for(
        "the container's step to start",
        Duration::from_secs(30),
        || {
            pids_file()
                .and_then(|p| std::fs::read_to_string(p).ok())
                .is_some_and(|t| t.lines().count() == 2)
        },
    );
    let run_dir = pids_file().unwrap().parent().unwrap().to_path_buf();
    let run_id = run_dir.file_name().unwrap().to_string_lossy().into_owned();
    let meta = run_dir.join(".flowdesk");
    // The secret sits in a file while the container runs.
    assert_eq!(
        std::fs::read_to_string(meta.join("docker-1.env")).unwrap(),
        "TOKEN=s3cret\n"
    );
    kill9(owner.id() as i32);
    let _ = owner.wait();
    let step: Vec<i32> = std::fs::read_to_string(run_dir.join("slow.pids"))
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    wait_until_gone("the docker client", &step, Duration::from_secs(10));
    let name = format!("flowdesk-{run_id}-1");
    assert!(!docker.calls().contains(&strings(&["kill", &name])));

    // The next command recovers the run: the container (which does not die
    // with its client) is stopped and no file holds the secret any more.
    let runs = home.json(&["runs"]);
    assert_eq!(runs[0]["state"], "ERROR", "{runs}");
    assert!(
        docker.calls().contains(&strings(&["kill", &name])),
        "{:?}",
        docker.calls()
    );
    let left: Vec<String> = std::fs::read_dir(&meta)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("docker-") || n == "container")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // Only once: a second command has nothing left to stop.
    home.ok(&["runs"]);
    let kills = docker.calls().iter().filter(|c| c[0] == "kill").count();
    assert_eq!(kills, 1);
}

#[test]
fn docker_not_available_fails_the_run_at_once() {
    let docker = StandIn::new();
    let workers = samples().join("features/docker/workers.yaml");
    let home = docker
        .home()
        .with_env("FLOWSERV_SERIAL_WORKERS", &workers)
        .with_env("DOCKER_STANDIN_DOWN", "1");
    let id = home.install(&samples().join("features/docker"));
    let start = Instant::now();
    let (output, run) = home.run_wait(&[&id]);
    assert!(!output.status.success());
    assert!(start.elapsed() < Duration::from_secs(20));
    assert_eq!(run["state"], "ERROR");
    assert_eq!(
        messages(&run),
        ["step 'greet': Docker is not available: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"]
    );
    // Only the check ran: no container.
    assert!(docker.calls().iter().all(|call| call[0] == "version"));

    // No docker program at all.
    let home = Home::new()
        .with_env("FLOWSERV_SERIAL_WORKERS", &workers)
        .with_env("FLOWDESK_DOCKER", "/nonexistent/docker");
    let id = home.install(&samples().join("features/docker"));
    let (_, run) = home.run_wait(&[&id]);
    assert_eq!(
        messages(&run),
        ["step 'greet': Docker is not available: `/nonexistent/docker` (FLOWDESK_DOCKER) does not exist"]
    );
}

#[test]
fn nbdocker_builds_a_papermill_image_and_runs_the_notebook_in_it() {
    let docker = StandIn::new();
    // The container's papermill: records its arguments and writes a result.
    executable(
        &docker.dir.path().join("papermill"),
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > papermill.args\ncp \"$1\" \"$2\"\nmkdir -p results\necho '{\"text\": \"in a container\", \"length\": 14}' > results/greeting.json\n",
    );
    let root = tempfile::tempdir().unwrap();
    let workers = root.path().join("workers.yaml");
    write(
        &workers,
        "workers:\n  - name: nb\n    type: nbdocker\n    env:\n      MODE: docker\nworkflow:\n  greet: nb\n",
    );
    let home = docker.home().with_env("FLOWSERV_SERIAL_WORKERS", &workers);
    let id = home.install(&samples().join("features/notebook"));
    let (output, run) = home.run_wait(&[&id, "--arg", "greeting=Hi there"]);
    assert!(output.status.success(), "{} {run}", stderr(&output));
    assert_eq!(run["results"]["text"], "in a container");
    let run_id = run["id"].as_str().unwrap();
    let run_dir = home.run_dir(&run);
    let calls = docker.calls();
    assert_eq!(calls[0][0], "version");
    assert_eq!(calls[1][..2], strings(&["image", "inspect"]));
    let image = calls[1][2].clone();
    assert!(image.starts_with("flowdesk-papermill:"), "{image}");
    let build_dir = run_dir.join(".flowdesk/nbdocker-1");
    assert_eq!(
        calls[2],
        strings(&["build", "-t", &image, build_dir.to_str().unwrap()])
    );
    assert_eq!(
        std::fs::read_to_string(build_dir.join("Dockerfile")).unwrap(),
        "FROM python:3.9\nRUN pip install --no-cache-dir papermill ipykernel\n"
    );
    assert_eq!(
        calls[3],
        strings(&[
            "run",
            "--rm",
            "--name",
            &format!("flowdesk-{run_id}-1"),
            "-v",
            &format!("{}:/flowdesk/run", run_dir.display()),
            "-w",
            "/flowdesk/run",
            "--env-file",
            &format!("{}/.flowdesk/docker-1.env", run_dir.display()),
            &image,
            "sh",
            "-c",
            "papermill notebooks/greet.ipynb results/greet.out.ipynb --no-progress-bar --log-output -p greeting 'Hi there' -p times 3",
        ])
    );
    assert_eq!(calls.len(), 4);
}

/// Whether a real Docker daemon answers (the machine's own `docker`).
fn real_docker() -> bool {
    Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn real_docker_runs_the_docker_sample_and_cancel_stops_its_container() {
    if !real_docker() {
        eprintln!("note: skipping real_docker_runs_the_docker_sample_and_cancel_stops_its_container: no Docker daemon answers");
        return;
    }
    let workers = samples().join("features/docker/workers.yaml");
    let home = Home::new().with_env("FLOWSERV_SERIAL_WORKERS", &workers);
    let id = home.install(&samples().join("features/docker"));
    let (output, run) = home.run_wait(&[&id]);
    assert!(output.status.success(), "{} {run}", stderr(&output));
    assert_eq!(run["results"]["message"], "Hello, World!");

    let root = tempfile::tempdir().unwrap();
    let slow_workers = root.path().join("workers.yaml");
    write(&slow_workers, "- image: 'python:3.9'\n  worker: 'docker'\n");
    let home = Home::new().with_env("FLOWSERV_SERIAL_WORKERS", &slow_workers);
    let id = home.install(&samples().join("features/slow"));
    let started = home.json(&["run", &id, "--arg", "seconds=300"]);
    let run_id = started["id"].as_str().unwrap().to_string();
    let pids = home.path().join("runs").join(&run_id).join("slow.pids");
    wait_for("the container to start", Duration::from_secs(600), || {
        pids.exists()
    });
    home.ok(&["cancel", &run_id]);
    wait_for("the run to be canceled", Duration::from_secs(30), || {
        home.json(&["show", &run_id])["state"] == "CANCELED"
    });
    let name = format!("flowdesk-{run_id}-1");
    wait_for("the container to go", Duration::from_secs(30), || {
        let output = Command::new("docker")
            .args(["ps", "-q", "--filter", &format!("name={name}")])
            .output()
            .unwrap();
        output.stdout.is_empty()
    });
}

// ----- time limits and step files --------------------------------------------

#[test]
fn a_step_past_the_step_time_limit_ends_the_run_in_error_and_dies() {
    let home = Home::new().with_env("FLOWDESK_STEP_TIMEOUT", "1");
    let id = home.install(&samples().join("features/slow"));
    let start = Instant::now();
    let (output, run) = home.run_wait(&[&id, "--arg", "seconds=60"]);
    assert!(!output.status.success());
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_eq!(run["state"], "ERROR");
    assert_eq!(messages(&run), ["step 'wait': timed out after 1 s"]);
    let pids: Vec<i32> = std::fs::read_to_string(home.run_dir(&run).join("slow.pids"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    wait_for(
        "the step's processes to die",
        Duration::from_secs(3),
        || pids.iter().all(|p| !pid_alive(*p)),
    );

    // The run's limit, from the settings file.
    let home = Home::new();
    home.settings(serde_json::json!({"run_timeout": 1, "step_timeout": 30}));
    let id = home.install(&samples().join("features/slow"));
    let (_, run) = home.run_wait(&[&id, "--arg", "seconds=60"]);
    assert_eq!(
        messages(&run),
        ["step 'wait': timed out after 1 s (the run's time limit)"]
    );

    let home = Home::new().with_env("FLOWDESK_STEP_TIMEOUT", "soon");
    let output = home.run(&["workflows"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("FLOWDESK_STEP_TIMEOUT is 'soon'"),
        "{}",
        stderr(&output)
    );
}

/// flowServ checks neither a step's inputs nor its outputs (benchmarks in the
/// wild list stale names): the run goes on, and the log says what is missing.
#[test]
fn missing_step_inputs_and_outputs_are_warnings_in_the_log() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("files");
    write(
        &dir.join("flowserv.yaml"),
        "name: Step files\nworkflowSpec:\n  workflow:\n    steps:\n\
         \x20     - name: make\n        files:\n          outputs: ['$[[made]]']\n        action:\n          commands: ['mkdir -p results && touch results/made.txt']\n\
         \x20     - name: use\n        files:\n          inputs: ['data/needed.txt']\n        action:\n          commands: ['touch used.txt']\n\
         \x20 parameters:\n    - name: made\n      dtype: string\n      defaultValue: results/made.txt\n",
    );
    let home = Home::new();
    let id = home.install(&dir);
    let (_, run) = home.run_wait(&[&id, "--arg", "made=results/other.txt"]);
    assert_eq!(run["state"], "SUCCESS", "{run}");
    assert!(home.run_dir(&run).join("used.txt").exists());
    let log = home.ok(&["logs", run["id"].as_str().unwrap()]);
    assert!(
        log.contains("flowdesk: warning: the step did not create its output `results/other.txt`"),
        "{log}"
    );
    assert!(
        log.contains("flowdesk: warning: input file `data/needed.txt` does not exist in the run folder; the step runs anyway"),
        "{log}"
    );
}
