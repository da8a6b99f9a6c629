//! End-to-end tests of the benchmark commands against the real binary: a real home
//! folder with a real SQLite file, the bundled sample templates, real subprocesses.

mod common;

use common::{pid_alive, samples, start_slow_run, stderr, wait_for, Home};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// What analyze.py computes for the greetings of `names` with `greeting`.
fn analytics(names: &str, greeting: &str) -> (f64, i64, String) {
    let lines: Vec<String> = names
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|name| format!("{greeting} {name}!"))
        .collect();
    let total: usize = lines.iter().map(|l| l.chars().count()).sum();
    let mut longest = String::new();
    for line in &lines {
        if line.chars().count() > longest.chars().count() {
            longest = line.clone();
        }
    }
    (
        total as f64 / lines.len() as f64,
        longest.chars().count() as i64,
        longest,
    )
}

fn wait_for_or(
    description: &str,
    timeout: Duration,
    context: impl Fn() -> String,
    mut condition: impl FnMut() -> bool,
) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < timeout,
            "timed out waiting for {description}: {}",
            context()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn helloworld_end_to_end_with_leaderboard_postproc_export_and_cleanup() {
    let home = Home::new();
    let id = home.sample("Hello World (sample)");
    assert_eq!(id, "hello_world_sample");
    let workflows = home.json(&["workflows"]);
    assert!(workflows
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["id"] == "hello_world_sample"));

    // Two submissions: the default one runs the shipped names, the other uploads its own.
    let submission = home.json(&["submission", "create", &id, "team-b"]);
    let team_b = submission["id"].as_str().unwrap().to_string();
    let names_b = home.path().join("my-names.txt");
    std::fs::write(&names_b, "Zoe\nMaximilian-Alexander\n").unwrap();
    let upload = home.json(&["upload", &team_b, names_b.to_str().unwrap()]);
    let upload_id = upload["id"].as_str().unwrap().to_string();

    let (output, run_a) = home.run_wait(&[&id, "--arg", "sleeptime=0", "--arg", "greeting=Hello"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(run_a["state"], "SUCCESS", "{run_a}");
    let (output, run_b) = home.run_wait(&[
        &id,
        "--submission",
        "team-b",
        "--arg",
        "sleeptime=0",
        "--arg",
        "greeting=Hi",
        "--file",
        &format!("names={upload_id}"),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));

    let shipped = std::fs::read_to_string(samples().join("helloworld/data/names.txt")).unwrap();
    let (avg_a, len_a, line_a) = analytics(&shipped, "Hello");
    let (avg_b, len_b, line_b) = analytics("Zoe\nMaximilian-Alexander\n", "Hi");
    assert!((run_a["results"]["avg_count"].as_f64().unwrap() - avg_a).abs() < 1e-9);
    assert_eq!(run_a["results"]["max_len"], len_a);
    assert_eq!(run_a["results"]["max_line"], line_a);

    let board = home.json(&["leaderboard", &id]);
    let board = board.as_array().unwrap();
    assert_eq!(board.len(), 2);
    // Default order: avg_count descending.
    let (first, second) = if avg_a > avg_b {
        (&run_a, &run_b)
    } else {
        (&run_b, &run_a)
    };
    assert_eq!(board[0]["run"], first["id"]);
    assert_eq!(board[1]["run"], second["id"]);
    assert_eq!(board[0]["rank"], 1);
    let b_entry = board.iter().find(|e| e["submission"] == "team-b").unwrap();
    assert!((b_entry["values"]["avg_count"].as_f64().unwrap() - avg_b).abs() < 1e-9);
    assert_eq!(b_entry["values"]["max_len"], len_b);
    assert_eq!(b_entry["values"]["max_line"], line_b);

    // Sorting by another column, ascending.
    let by_len = home.json(&["leaderboard", &id, "--order", "max_len:asc"]);
    let lens: Vec<i64> = by_len
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["values"]["max_len"].as_i64().unwrap())
        .collect();
    assert!(lens.windows(2).all(|w| w[0] <= w[1]), "{lens:?}");

    // A second, worse run of the default submission: best-per-submission keeps 2 rows, --all has 3.
    let (_, _) = home.run_wait(&[&id, "--arg", "sleeptime=0", "--arg", "greeting=Yo"]);
    assert_eq!(
        home.json(&["leaderboard", &id]).as_array().unwrap().len(),
        2
    );
    assert_eq!(
        home.json(&["leaderboard", &id, "--all"])
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // Post-processing ran on the ranking and produced its summary.
    let postproc_dir = home.path().join("postproc.tar.gz");
    wait_for_or(
        "post-processing results",
        Duration::from_secs(60),
        || {
            let runs = std::fs::read_dir(home.path().join("runs"))
                .map(|d| {
                    d.flatten()
                        .map(|e| {
                            let log = std::fs::read_to_string(e.path().join(".flowdesk/log.txt"))
                                .unwrap_or_default();
                            format!(
                                "{:?}: {}",
                                e.file_name(),
                                log.lines().rev().take(3).collect::<Vec<_>>().join(" | ")
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            format!("{runs:#?}")
        },
        || {
            home.run(&["export", &id, postproc_dir.to_str().unwrap(), "--postproc"])
                .status
                .success()
                && tar_list(&postproc_dir)
                    .iter()
                    .any(|f| f.ends_with("results/summary.json"))
        },
    );

    // Export of a run: outputs and log.
    let archive = home.path().join("run.tar.gz");
    home.ok(&[
        "export",
        run_a["id"].as_str().unwrap(),
        archive.to_str().unwrap(),
    ]);
    let entries = tar_list(&archive);
    let run_id = run_a["id"].as_str().unwrap();
    assert!(
        entries.contains(&format!("{run_id}/results/analytics.json")),
        "{entries:?}"
    );
    assert!(
        entries.contains(&format!("{run_id}/results/greetings.txt")),
        "{entries:?}"
    );
    assert!(
        entries.contains(&format!("{run_id}/.flowdesk/log.txt")),
        "{entries:?}"
    );

    // The run folder keeps outputs and logs, not a copy of the template's code.
    let run_dir = home.path().join("runs").join(run_id);
    assert!(run_dir.join("results/analytics.json").is_file());
    assert!(!run_dir.join("code/analyze.py").exists());

    // Logs hold the step output.
    let logs = home.ok(&["logs", run_id]);
    assert!(!logs.is_empty());

    // Cleanup of everything before tomorrow removes the runs and their folders.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let out = home.ok(&["cleanup", "--before", &tomorrow, "--state", "SUCCESS"]);
    assert!(out.contains("deleted"), "{out}");
    assert!(!run_dir.exists());
    assert!(home
        .json(&["leaderboard", &id])
        .as_array()
        .unwrap()
        .is_empty());
}

fn tar_list(path: &Path) -> Vec<String> {
    let Ok(file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let Ok(entries) = archive.entries() else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.path().ok().map(|p| p.to_string_lossy().into_owned()))
        .collect()
}

#[test]
fn predictor_runs_participant_code_from_a_file_argument() {
    let home = Home::new();
    let id = home.sample("Predictor (sample)");
    let better = samples().join("predictor/examples/better_predictor.py");
    let (output, run) = home.run_wait(&[&id, "--file", &format!("code={}", better.display())]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(run["results"]["accuracy"], 0.96);
    let broken = samples().join("predictor/examples/broken_predictor.py");
    let (output, run) = home.run_wait(&[&id, "--file", &format!("code={}", broken.display())]);
    assert!(!output.status.success());
    assert_eq!(run["state"], "ERROR");
    let messages = run["messages"].to_string();
    assert!(messages.contains("exited with code 2"), "{messages}");
}

#[test]
fn failing_step_ends_in_error_with_its_stderr() {
    let home = Home::new();
    let id = home.install(&samples().join("features/failing"));
    let (output, run) = home.run_wait(&[&id]);
    assert!(!output.status.success());
    assert_eq!(run["state"], "ERROR");
    let messages: Vec<String> = run["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    assert!(messages[0].contains("code 3"), "{messages:?}");
    assert!(
        messages.iter().any(|m| m.contains("something went wrong")),
        "{messages:?}"
    );
    assert!(!home
        .path()
        .join("runs")
        .join(run["id"].as_str().unwrap())
        .join("results/never.txt")
        .exists());
}

/// A small template whose result file the test controls.
fn result_template(dir: &Path, result: &str) {
    std::fs::write(
        dir.join("flowserv.yaml"),
        format!(
            "name: Result {}\nworkflowSpec:\n  workflow:\n    steps:\n      - name: write\n        action:\n          commands:\n            - mkdir -p results && cp result.txt results/r.json\n  results:\n    file: results/r.json\n    schema:\n      - name: score\n        label: Score\n        dtype: float\n        path: metrics/score\n      - name: note\n        label: Note\n        dtype: string\n        required: false\n",
            dir.file_name().unwrap().to_string_lossy(),
        ),
    )
    .unwrap();
    std::fs::write(dir.join("result.txt"), result).unwrap();
}

#[test]
fn bad_result_file_and_missing_required_column_give_error_naming_them() {
    let home = Home::new();
    let root = tempfile::tempdir().unwrap();
    for (name, content, expected) in [
        (
            "broken",
            "{not json",
            "result file 'results/r.json' is not valid JSON",
        ),
        ("missing", "{\"metrics\": {}}", "required column 'score'"),
        (
            "wrongtype",
            "{\"metrics\": {\"score\": \"high\"}}",
            "column 'score'",
        ),
    ] {
        let dir = root.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        result_template(&dir, content);
        let id = home.install(&dir);
        let (output, run) = home.run_wait(&[&id]);
        assert!(!output.status.success());
        assert_eq!(run["state"], "ERROR", "{name}");
        assert!(
            run["messages"].to_string().contains(expected),
            "{name}: {}",
            run["messages"]
        );
        assert!(run["results"].as_object().unwrap().is_empty());
    }
    let dir = root.path().join("good");
    std::fs::create_dir(&dir).unwrap();
    result_template(&dir, "{\"metrics\": {\"score\": 0.5}}");
    let id = home.install(&dir);
    let (output, run) = home.run_wait(&[&id]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(run["results"]["score"], 0.5);
    assert_eq!(run["results"]["note"], Value::Null);
}

#[test]
fn cancel_kills_the_whole_process_tree() {
    let home = Home::new();
    let id = home.install(&samples().join("features/slow"));
    let (run_id, pids) = start_slow_run(&home, &id, "the step to start its child");
    assert!(pids.iter().all(|p| pid_alive(*p)));
    home.ok(&["cancel", &run_id]);
    wait_for("the run to be canceled", Duration::from_secs(10), || {
        home.json(&["show", &run_id])["state"] == "CANCELED"
    });
    wait_for(
        "the step and its child to die",
        Duration::from_secs(3),
        || pids.iter().all(|p| !pid_alive(*p)),
    );
}

#[test]
fn killed_process_leaves_run_interrupted_and_database_intact() {
    let home = Home::new();
    let id = home.install(&samples().join("features/slow"));
    let mut child = home
        .command(&["run", &id, "--arg", "seconds=120", "--wait"])
        .spawn()
        .unwrap();
    let runs_dir = home.path().join("runs");
    wait_for("the run to start", Duration::from_secs(30), || {
        std::fs::read_dir(&runs_dir)
            .map(|entries| {
                entries
                    .flatten()
                    .any(|e| e.path().join("slow.pids").is_file())
            })
            .unwrap_or(false)
    });
    // SAFETY: killing our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let _ = child.wait();
    let runs = home.json(&["runs"]);
    let run = &runs.as_array().unwrap()[0];
    assert_eq!(run["state"], "ERROR");
    assert_eq!(
        run["messages"][0],
        "interrupted: flowdesk exited while the run was active"
    );
    let db = rusqlite::Connection::open(home.path().join("flowdesk.db")).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn eight_runs_in_parallel_without_database_locks() {
    let home = Home::new();
    let id = home.sample("Hello World (sample)");
    let children: Vec<_> = (0..8)
        .map(|i| {
            home.command(&[
                "run",
                &id,
                "--arg",
                "sleeptime=0",
                "--arg",
                &format!("greeting=G{i}"),
                "--wait",
                "--json",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        let stderr = stderr(&output);
        assert!(output.status.success(), "{stderr}");
        assert!(!stderr.contains("locked"), "{stderr}");
    }
    assert_eq!(
        home.json(&["leaderboard", &id, "--all"])
            .as_array()
            .unwrap()
            .len(),
        8
    );
}

#[test]
fn unsafe_targets_and_uploads_are_refused() {
    let home = Home::new();
    let id = home.sample("Hello World (sample)");
    let names = home.path().join("n.txt");
    std::fs::write(&names, "A\n").unwrap();
    let output = home.run(&[
        "run",
        &id,
        "--file",
        &format!("names={}:../../escape.txt", names.display()),
        "--wait",
    ]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("'../../escape.txt'"),
        "{}",
        stderr(&output)
    );
    let output = home.run(&[
        "run",
        &id,
        "--file",
        &format!("names={}:/etc/x", names.display()),
        "--wait",
    ]);
    assert!(stderr(&output).contains("absolute"), "{}", stderr(&output));
    let output = home.run(&[
        "upload",
        "default",
        home.path().join("nothere").to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let output = home.run(&["run", &id, "--file", "names=no-such-upload", "--wait"]);
    assert!(
        stderr(&output).contains("neither an uploaded file nor a readable local file"),
        "{}",
        stderr(&output)
    );
    // Nothing was left behind by the refused runs.
    assert!(home.json(&["runs"]).as_array().unwrap().is_empty());
}

#[test]
fn first_start_installs_samples_and_archives_install() {
    let home = Home::new();
    let workflows = home.json(&["workflows"]);
    let names: Vec<&str> = workflows
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Hello World (sample)"), "{names:?}");
    assert!(names.contains(&"Predictor (sample)"), "{names:?}");
    home.ok(&["uninstall", "hello_world_sample"]);
    // A second start does not bring them back.
    assert_eq!(
        home.json(&["workflows"]).as_array().unwrap().len(),
        names.len() - 1
    );

    // Install from a .tar.gz of a template folder.
    let archive = home.path().join("include.tar.gz");
    {
        let file = std::fs::File::create(&archive).unwrap();
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::fast(),
        ));
        builder
            .append_dir_all("include", samples().join("features/include"))
            .unwrap();
        builder.into_inner().unwrap().finish().unwrap();
    }
    let doc = home.json(&[
        "install",
        archive.to_str().unwrap(),
        "--name",
        "From archive",
    ]);
    assert_eq!(doc["name"], "From archive");
    let (output, run) = home.run_wait(&[doc["id"].as_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(run["state"], "SUCCESS");
    let output = home.run(&[
        "install",
        archive.to_str().unwrap(),
        "--name",
        "From archive",
    ]);
    assert!(
        stderr(&output).contains("already installed"),
        "{}",
        stderr(&output)
    );
}

/// `flowdesk runs | head`: a reader that goes away early ends the command
/// quietly, without a panic message, as other Unix tools do.
#[test]
fn a_closed_output_pipe_ends_the_command_quietly() {
    use std::os::fd::{FromRawFd, OwnedFd};
    let home = Home::new();
    let id = home.sample("Hello World (sample)");
    let (_, run) = home.run_wait(&[&id, "--arg", "sleeptime=0"]);
    let run_id = run["id"].as_str().unwrap().to_string();
    for args in [
        vec!["workflows"],
        vec!["runs", "--json"],
        vec!["show", &run_id],
        vec!["logs", &run_id],
        vec!["download", &run_id, "results/greetings.txt"],
    ] {
        let mut fds = [0; 2];
        // SAFETY: pipe writes two new descriptors into the array.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: both descriptors were just created and are owned here only.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        // The reader is gone before the command writes anything.
        drop(read);
        let output = home
            .command(&args)
            .stdout(std::process::Stdio::from(write))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "flowdesk {args:?}: {:?} {}",
            output.status,
            stderr(&output)
        );
        assert_eq!(stderr(&output), "", "flowdesk {args:?}");
    }
}
