//! GUI performance targets from issue 4: with 100,000 runs in the Runs table and
//! 100,000 rows on the leaderboard, one frame of either screen (layout and
//! tessellation, measured headless with an `egui::Context`) costs at most 4 ms of
//! CPU, and the process stays under 300 MB.
//!
//! The screens get their data the way the app does: the database is filled,
//! then the local client lists the runs and ranks them (the real runs-list and
//! leaderboard code, not a copy).
//!
//! Run with `cargo bench --bench gui_frames`. Peak memory (VmHWM) after building
//! both screens' data and drawing them is printed before the timings.

use chrono::{TimeDelta, Utc};
use criterion::Criterion;
use flowdesk::client::local::LocalOptions;
use flowdesk::client::{Client, LeaderboardQuery, LocalClient, RunQuery};
use flowdesk::config::Config;
use flowdesk::gui::leaderboard::LeaderboardScreen;
use flowdesk::gui::runs::RunsScreen;
use flowdesk::gui::state::{AppState, LeaderboardSort, Persisted, RunsSort, Screen};
use flowdesk::store::{ImportedRun, NewSubmission, NewWorkflow, RunState, Store};
use flowdesk::template::{ResultValue, Template};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const SUBMISSIONS: usize = 1_000;
const RUNS: usize = 100_000;

fn template() -> serde_json::Value {
    json!({
        "workflow": {"steps": [{"name": "s", "action": {"commands": ["true"]}}]},
        "results": {
            "file": "results/r.json",
            "schema": [
                {"name": "score", "label": "Score", "type": "float"},
                {"name": "steps", "label": "Steps", "type": "int", "required": false},
                {"name": "note", "label": "Note", "type": "string", "required": false}
            ]
        }
    })
}

fn state(dir: &tempfile::TempDir) -> AppState {
    let store = Store::open(&dir.path().join("flowdesk.db")).expect("open");
    let template = Template::from_value(template(), "bench.yaml").expect("template");
    store
        .insert_workflow(&NewWorkflow {
            id: "bench".into(),
            name: "Bench".into(),
            description: None,
            instructions: None,
            source: None,
            template: template.document.clone(),
            result_schema: template.results.clone(),
            postproc: None,
        })
        .expect("workflow");
    for i in 0..SUBMISSIONS {
        store
            .insert_submission(&NewSubmission {
                id: format!("s{i:04}"),
                workflow_id: "bench".into(),
                name: format!("Team {i}"),
                parameters: json!([]),
                engine_config: None,
            })
            .expect("submission");
    }
    let start = Utc::now() - TimeDelta::days(30);
    let runs: Vec<ImportedRun> = (0..RUNS)
        .map(|i| {
            let created = start + TimeDelta::seconds(i as i64);
            ImportedRun {
                id: format!("run{i:07}"),
                workflow_id: "bench".into(),
                submission_id: Some(format!("s{:04}", i % SUBMISSIONS)),
                state: RunState::Success,
                arguments: json!({"greeting": "Hello"}),
                created_at: created,
                started_at: Some(created),
                finished_at: Some(created + TimeDelta::milliseconds(500 + (i % 900) as i64)),
                messages: Vec::new(),
                files: Vec::new(),
                results: vec![
                    (
                        "score".into(),
                        Some(ResultValue::Float((i * 7919 % 100_000) as f64 / 1000.0)),
                    ),
                    ("steps".into(), Some(ResultValue::Int((i % 97) as i64))),
                    (
                        "note".into(),
                        Some(ResultValue::String(format!("note {}", i % 13))),
                    ),
                ],
            }
        })
        .collect();
    store.insert_runs_bulk(&runs).expect("runs");
    drop(runs);
    drop(store);
    let config = Config::resolve(Some(dir.path().to_path_buf())).expect("config");
    let client = LocalClient::open_with(config, LocalOptions::default()).expect("client");
    let detail = client.benchmark("bench").expect("benchmark");
    let rows = client
        .runs(&RunQuery {
            benchmark: Some("bench".into()),
            ..Default::default()
        })
        .expect("runs")
        .rows;
    let board = client
        .leaderboard(&LeaderboardQuery {
            benchmark: "bench".into(),
            order: Vec::new(),
            all_runs: true,
            ..Default::default()
        })
        .expect("leaderboard")
        .expect("a ranked benchmark");
    AppState {
        persisted: Persisted {
            leaderboard: LeaderboardSort {
                column: None,
                descending: true,
                all_runs: true,
                reproduced_only: false,
            },
            ..Default::default()
        },
        detail: Some(Arc::new(detail)),
        runs: Arc::new(rows),
        leaderboard: Some(Arc::new(board)),
        ..Default::default()
    }
}

fn input() -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 800.0),
        )),
        ..Default::default()
    }
}

/// One frame: layout, then tessellation of what it painted.
fn frame(ctx: &egui::Context, mut draw: impl FnMut(&mut egui::Ui)) -> usize {
    let output = ctx.run_ui(input(), |ui| {
        egui::CentralPanel::default().show(ui, |ui| draw(ui));
    });
    ctx.tessellate(output.shapes, output.pixels_per_point).len()
}

fn peak_memory_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let setup = std::time::Instant::now();
    let state = state(&dir);
    eprintln!(
        "setup: {} runs, {} leaderboard rows in {:.1} s",
        state.runs.len(),
        state.leaderboard.as_ref().map(|b| b.len()).unwrap_or(0),
        setup.elapsed().as_secs_f64()
    );
    let ctx = egui::Context::default();
    let mut runs = RunsScreen::new(RunsSort::default());
    let mut board = LeaderboardScreen::default();
    let mut actions = Vec::new();
    // First frames: the runs table sorts its 100,000 rows once; fonts get loaded.
    let first = std::time::Instant::now();
    frame(&ctx, |ui| runs.ui(ui, &state, &mut actions));
    eprintln!(
        "runs table, first frame (sorts 100,000 rows): {:.1} ms",
        first.elapsed().as_secs_f64() * 1e3
    );
    let first = std::time::Instant::now();
    frame(&ctx, |ui| board.ui(ui, &state, &mut actions));
    eprintln!(
        "leaderboard, first frame (builds chart points): {:.1} ms",
        first.elapsed().as_secs_f64() * 1e3
    );
    for _ in 0..3 {
        frame(&ctx, |ui| runs.ui(ui, &state, &mut actions));
        frame(&ctx, |ui| board.ui(ui, &state, &mut actions));
    }
    eprintln!("peak memory (VmHWM): {:.0} MB", peak_memory_mb());

    let mut criterion = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    criterion.bench_function("runs_table_frame_100k", |b| {
        b.iter(|| frame(&ctx, |ui| runs.ui(ui, &state, &mut actions)))
    });
    criterion.bench_function("leaderboard_frame_100k", |b| {
        b.iter(|| frame(&ctx, |ui| board.ui(ui, &state, &mut actions)))
    });
    criterion.final_summary();
}
