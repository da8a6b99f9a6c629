//! The crash test of issue 11: twenty SIGKILLs of the process that executes a
//! run — `run --wait` and the detached `__execute` in turn — at random moments
//! (preparing the run, starting it, between and inside steps, while it records
//! its end). After each kill the next command recovers, and the test asserts:
//! the database is intact, no process of any run is left, no run is half
//! finished (SUCCESS with all its results and files, or ended without any), and
//! the runs that had finished before are exactly as they were.
//!
//! The moments come from a seeded generator; the seed is printed, and
//! `FLOWDESK_CRASH_SEED` replays a failure.

mod common;

use common::*;
use serde_json::Value;
use std::collections::HashSet;
use std::process::Stdio;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(30);
const KILLS: usize = 20;

/// xorshift64*: enough randomness for kill moments, reproducible by seed.
struct Moments(u64);

impl Moments {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

fn runs(home: &Home) -> Vec<Value> {
    home.json(&["runs"]).as_array().unwrap().clone()
}

fn ids(runs: &[Value]) -> HashSet<String> {
    runs.iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// A run is whole: SUCCESS with its result and its files on disk, or ended
/// some other way with no results at all.
fn assert_whole(home: &Home, run: &Value) {
    let state = run["state"].as_str().unwrap();
    let results = run["results"].as_object().unwrap();
    match state {
        "SUCCESS" => {
            assert_eq!(run["results"]["value"], 1, "half a result: {run}");
            let dir = home.run_dir(run);
            for file in run["files"].as_array().unwrap() {
                let path = dir.join(file["path"].as_str().unwrap());
                let size = std::fs::metadata(&path)
                    .unwrap_or_else(|e| panic!("{}: {e} ({run})", path.display()))
                    .len();
                assert_eq!(size, file["size"].as_u64().unwrap(), "{run}");
            }
        }
        "ERROR" | "CANCELED" => {
            assert!(
                results.values().all(Value::is_null),
                "results on a run that did not succeed: {run}"
            );
        }
        other => panic!(
            "run left {other} after recovery: {run}; its lock is held by {:?}",
            lock_holders(&home.run_dir(run))
        ),
    }
}

#[test]
fn twenty_kills_at_random_moments_lose_nothing() {
    let home = Home::new();
    let root = tempfile::tempdir().unwrap();
    let id = home.install(&process_tree_template(root.path()));
    // Runs that finished before the crashes and must come through untouched.
    for _ in 0..2 {
        let (output, run) = home.run_wait(&[&id, "--arg", "seconds=0"]);
        assert!(output.status.success(), "{} {run}", stderr(&output));
    }
    let kept = runs(&home);
    let seed = std::env::var("FLOWDESK_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    eprintln!("crash test seed: {seed} (FLOWDESK_CRASH_SEED={seed} replays it)");
    let mut moments = Moments(seed);
    let runs_dir = home.path().join("runs");
    let (mut interrupted, mut finished_first, mut before_any_run) = (0, 0, 0);

    for kill in 0..KILLS {
        let seconds = format!("seconds={}", moments.below(400) as f64 / 1000.0);
        let delay = Duration::from_millis(moments.below(900));
        let known = ids(&runs(&home));
        let detached = kill % 2 == 1;
        if detached {
            let started = home.json(&["run", &id, "--arg", &seconds]);
            let run = started["id"].as_str().unwrap().to_string();
            std::thread::sleep(delay);
            // The owner is whoever holds the run's lock (the detached
            // `__execute`, with any child it is forking right then).
            let mut owners = lock_holders(&runs_dir.join(&run));
            owners.extend(execute_process(&run));
            owners.sort();
            owners.dedup();
            for &owner in &owners {
                kill9(owner);
            }
            wait_until_gone("the killed owner", &owners, PATIENCE);
        } else {
            let mut owner = home
                .command(&["run", &id, "--arg", &seconds, "--wait"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(delay);
            kill9(owner.id() as i32);
            let _ = owner.wait();
        }

        // The next command recovers whatever the dead owner left.
        let after = runs(&home);
        let left = tagged_processes(&runs_dir);
        assert!(
            left.is_empty(),
            "kill {kill}: processes outlived their owner: {left:?}"
        );
        let db = flowdesk::store::backup::inspect(&home.path().join("flowdesk.db")).unwrap();
        assert!(db.problems.is_empty(), "kill {kill}: {:?}", db.problems);
        for run in &after {
            assert_whole(&home, run);
        }
        for run in &kept {
            let now = after
                .iter()
                .find(|r| r["id"] == run["id"])
                .unwrap_or_else(|| panic!("kill {kill}: run {} is gone", run["id"]));
            assert_eq!(now, run, "kill {kill}: a finished run changed");
        }
        match after
            .iter()
            .find(|r| !known.contains(r["id"].as_str().unwrap()))
        {
            None => before_any_run += 1,
            Some(run) if run["state"] == "SUCCESS" => finished_first += 1,
            Some(run) => {
                assert_eq!(
                    run["messages"][0], "interrupted: flowdesk exited while the run was active",
                    "kill {kill}: {run}"
                );
                interrupted += 1;
            }
        }
    }
    eprintln!(
        "crash test: {KILLS} kills: {interrupted} interrupted a run, {finished_first} came after \
         the run had ended, {before_any_run} before the run existed; 0 lost"
    );
    // Whatever the kills left beyond the runs (folders of runs killed while
    // being prepared) the doctor deals with; the home folder is then healthy.
    let fixed = home.run(&["doctor", "--fix"]);
    let report = String::from_utf8_lossy(&fixed.stdout);
    assert!(!report.contains("PROBLEM database"), "{report}");
    assert!(!report.contains("PROBLEM processes"), "{report}");
    assert!(!report.contains("PROBLEM runs"), "{report}");
}
