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

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use egui_kittest::Harness;
use flowdesk::client::{Client, LeaderboardQuery};
use flowdesk::config::Config;
use flowdesk::gui::leaderboard::LeaderboardScreen;
use flowdesk::gui::state::{AppState, LeaderboardSort, Persisted, Screen as _};
use flowdesk::gui::FlowdeskApp;
use flowdesk::remote::{RemoteClient, ServerApi, ServerUrl};
use std::process::Command;
use std::sync::Arc;
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

    // The same through the client interface, and one frame of the Leaderboard
    // screen drawing it (headless egui context, as `gui_frames` measures).
    let home = tempfile::tempdir().expect("home");
    let before = rss_kib();
    let client = RemoteClient::with_api(
        home.path(),
        ServerApi::new(url.clone(), api.token().map(str::to_string), None),
    );
    let start = Instant::now();
    let board = client
        .leaderboard(&LeaderboardQuery {
            benchmark: WORKFLOW.into(),
            order: Vec::new(),
            all_runs: true,
            ..Default::default()
        })
        .expect("leaderboard")
        .expect("a ranked benchmark");
    let fetched = start.elapsed();
    // The screen draws only for a selected benchmark with a result schema.
    let detail = client.benchmark(WORKFLOW).expect("benchmark");
    let state = AppState {
        detail: Some(Arc::new(detail)),
        persisted: Persisted {
            leaderboard: LeaderboardSort {
                column: None,
                descending: true,
                all_runs: true,
                reproduced_only: false,
            },
            ..Default::default()
        },
        leaderboard: Some(Arc::new(board)),
        ..Default::default()
    };
    let ctx = egui::Context::default();
    let mut screen = LeaderboardScreen::default();
    let mut actions = Vec::new();
    let start = Instant::now();
    frame(&ctx, |ui| screen.ui(ui, &state, &mut actions));
    let first = start.elapsed();
    let mut frames = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        frame(&ctx, |ui| screen.ui(ui, &state, &mut actions));
        frames.push(start.elapsed());
    }
    println!(
        "server leaderboard through the client: {} rows fetched and turned into the view in {:.0} ms; first frame {:.1} ms, then median {:.2} ms of 20; RSS +{} KiB, peak {} MiB",
        state.leaderboard.as_ref().map(|b| b.len()).unwrap_or(0),
        fetched.as_secs_f64() * 1000.0,
        first.as_secs_f64() * 1000.0,
        median(frames).as_secs_f64() * 1000.0,
        rss_kib().saturating_sub(before),
        peak_kib() / 1024
    );
    drop(state);

    // 2. Requests per minute of the real app: idle on the leaderboard, then
    //    with one active run it started, on the Runs screen.
    requests_per_minute();
}

fn frame(ctx: &egui::Context, mut draw: impl FnMut(&mut egui::Ui)) -> usize {
    let input = egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 800.0),
        )),
        ..Default::default()
    };
    let output = ctx.run_ui(input, |ui| {
        egui::CentralPanel::default().show(ui, |ui| draw(ui));
    });
    ctx.tessellate(output.shapes, output.pixels_per_point).len()
}

fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

/// Requests the server logged (werkzeug prints one line per request).
fn logged_requests(server: &server::Server) -> usize {
    server
        .log()
        .lines()
        .filter(|line| {
            line.contains("\"GET ")
                || line.contains("\"POST ")
                || line.contains("\"PUT ")
                || line.contains("\"DELETE ")
        })
        .count()
}

type App = Harness<'static, FlowdeskApp>;

fn step_until(harness: &mut App, what: &str, mut done: impl FnMut(&App) -> bool) {
    let start = Instant::now();
    while !done(harness) {
        harness.step();
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Frames for `window` at about 30 per second (more than the app draws when
/// idle; frames do not send requests, only what they show changes).
fn run_for(harness: &mut App, window: Duration) {
    let start = Instant::now();
    while start.elapsed() < window {
        harness.step();
        std::thread::sleep(Duration::from_millis(33));
    }
}

fn set_text(harness: &mut App, role: Role, label: &str, text: &str) {
    harness
        .get_by_role_and_label(role, label)
        .set_text_value_accesskit(text);
    harness.step();
    harness.step();
}

fn requests_per_minute() {
    let server = server::Server::start();
    let dir = tempfile::tempdir().expect("home");
    let mut config = Config::resolve(Some(dir.path().to_path_buf())).expect("config");
    config.python = "python3".into();
    let mut harness: App = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |cc| FlowdeskApp::new(cc, config, None));
    step_until(&mut harness, "the app", |h| {
        h.query_by_label("This computer").is_some()
    });
    harness.get_by_label("Add server…").click();
    step_until(&mut harness, "the dialog", |h| {
        h.query_by_role_and_label(Role::TextInput, "Server URL")
            .is_some()
    });
    set_text(&mut harness, Role::TextInput, "Server URL", &server.url());
    set_text(&mut harness, Role::TextInput, "User name", "rpm");
    set_text(&mut harness, Role::PasswordInput, "Password", "rpm pw");
    harness.get_by_label("Register a new user").click();
    harness.step();
    harness
        .get_by_role_and_label(Role::Button, "Register")
        .click();
    step_until(&mut harness, "the benchmark", |h| {
        h.state()
            .state
            .detail
            .as_ref()
            .is_some_and(|d| d.benchmark.name == "Hello World")
    });
    harness.get_by_label("New run").click();
    step_until(&mut harness, "the form", |h| {
        h.query_by_role_and_label(Role::TextInput, "New submission")
            .is_some()
    });
    set_text(&mut harness, Role::TextInput, "New submission", "team rpm");
    harness
        .get_by_role_and_label(Role::Button, "Create")
        .click();
    step_until(&mut harness, "the submission", |h| {
        h.state()
            .state
            .detail
            .as_ref()
            .is_some_and(|d| !d.submissions.is_empty())
    });

    // Idle: the leaderboard on screen, nothing running.
    harness.get_by_label("Leaderboard").click();
    run_for(&mut harness, Duration::from_secs(5));
    let before = logged_requests(&server);
    run_for(&mut harness, Duration::from_secs(60));
    let idle = logged_requests(&server) - before;
    println!("requests per minute, idle app (leaderboard on screen): {idle}");

    // One active run (about five minutes long), started from the form, with
    // the Runs screen open.
    harness.get_by_label("New run").click();
    step_until(&mut harness, "the form", |h| {
        h.query_by_role_and_label(Role::TextInput, "Sleep period")
            .is_some()
    });
    let names = server::slow_names(dir.path(), 300);
    harness
        .state_mut()
        .state
        .form
        .push(flowdesk::gui::state::FormRequest::File {
            parameter: "names".into(),
            path: names,
        });
    harness.step();
    set_text(&mut harness, Role::TextInput, "Sleep period", "10");
    harness.get_by_role_and_label(Role::Button, "Run").click();
    step_until(&mut harness, "the run to start", |h| {
        !h.state().state.runs.is_empty()
    });
    run_for(&mut harness, Duration::from_secs(5));
    let before = logged_requests(&server);
    run_for(&mut harness, Duration::from_secs(60));
    let active = logged_requests(&server) - before;
    let still_active = harness
        .state()
        .state
        .runs
        .iter()
        .any(|r| r.state.is_active());
    println!(
        "requests per minute, one active run (Runs screen): {active}{}",
        if still_active {
            ""
        } else {
            " (the run ended during the minute!)"
        }
    );
}
