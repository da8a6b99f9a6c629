//! Store performance targets from issue 3: 100,000 successful runs across 1,000
//! submissions of one benchmark (result schema: float, int, string) insert within
//! 5 s, and both leaderboards (best per submission, all runs) take at most 50 ms
//! for any sort column and direction, with the process staying under 100 MB.
//!
//! Run with `cargo bench --bench store`. The peak-memory figure is measured in a
//! child process of this bench that only opens the database and ranks, so the
//! bench's own test data does not count, and is printed first.

use chrono::{TimeDelta, Utc};
use criterion::{BatchSize, Criterion};
use flowdesk::store::{ImportedRun, NewSubmission, NewWorkflow, RunState, Store};
use flowdesk::template::{ResultSchema, ResultValue, SortColumn};
use serde_json::json;
use std::hint::black_box;
use std::time::Duration;

const SUBMISSIONS: usize = 1_000;
const RUNS: usize = 100_000;
const WORKFLOW: &str = "bench";

fn schema() -> ResultSchema {
    ResultSchema::from_value(&json!({
        "file": "results/analytics.json",
        "schema": [
            {"name": "score", "label": "Score", "type": "float"},
            {"name": "steps", "label": "Steps", "type": "int", "required": false},
            {"name": "note", "label": "Note", "type": "string", "required": false}
        ]
    }))
    .expect("the bench schema is valid")
}

/// A store with the benchmark and its submissions, no runs.
fn empty_store(dir: &tempfile::TempDir) -> Store {
    let store = Store::open(&dir.path().join("flowdesk.db")).expect("open");
    store
        .insert_workflow(&NewWorkflow {
            id: WORKFLOW.into(),
            name: "Bench".into(),
            description: None,
            instructions: None,
            source: None,
            template: json!({"workflow": {}}),
            result_schema: Some(schema()),
            postproc: None,
        })
        .expect("workflow");
    for i in 0..SUBMISSIONS {
        store
            .insert_submission(&NewSubmission {
                id: format!("s{i:04}"),
                workflow_id: WORKFLOW.into(),
                name: format!("Team {i}"),
                parameters: json!([]),
                engine_config: None,
            })
            .expect("submission");
    }
    store
}

/// Deterministic pseudo-random runs; a tenth miss `steps`, a fifth miss `note`.
fn runs() -> Vec<ImportedRun> {
    let start = Utc::now() - TimeDelta::days(30);
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..RUNS)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let created = start + TimeDelta::milliseconds(i as i64 * 20);
            let started = created + TimeDelta::milliseconds(2);
            let finished = started + TimeDelta::microseconds((x % 5_000_000) as i64);
            ImportedRun {
                id: uuid::Uuid::new_v4().simple().to_string(),
                workflow_id: WORKFLOW.into(),
                submission_id: Some(format!("s{:04}", i % SUBMISSIONS)),
                state: RunState::Success,
                arguments: json!({"sleeptime": 1, "greeting": "Hello"}),
                created_at: created,
                started_at: Some(started),
                finished_at: Some(finished),
                messages: Vec::new(),
                files: Vec::new(),
                results: vec![
                    (
                        "score".into(),
                        Some(ResultValue::Float((x % 1_000_000) as f64 / 1e4)),
                    ),
                    (
                        "steps".into(),
                        (i % 10 != 0).then_some(ResultValue::Int((x >> 20) as i64 % 10_000)),
                    ),
                    (
                        "note".into(),
                        (i % 5 != 0).then(|| ResultValue::String(format!("run-{:x}", x >> 40))),
                    ),
                ],
            }
        })
        .collect()
}

fn vm_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with(field))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse().ok())
        })
        .unwrap_or(0)
}

fn orders() -> Vec<(String, Vec<SortColumn>)> {
    let mut orders = Vec::new();
    for column in ["score", "steps", "note"] {
        for descending in [true, false] {
            orders.push((
                format!("{column}_{}", if descending { "desc" } else { "asc" }),
                vec![SortColumn {
                    name: column.into(),
                    sort_desc: descending,
                }],
            ));
        }
    }
    orders
}

/// Child-process mode: rank every way once and print the peak resident memory.
const MEMORY_PROBE: &str = "FLOWDESK_BENCH_MEMORY_PROBE";

fn memory_probe(path: &str) {
    let store = Store::open(std::path::Path::new(path)).expect("open");
    let schema = schema();
    for (_, order) in orders() {
        for all in [false, true] {
            let board = store
                .leaderboard(WORKFLOW, &schema, &order, all)
                .expect("leaderboard");
            assert_eq!(board.len(), if all { RUNS } else { SUBMISSIONS });
            // What a table showing every row would build, one entry at a time.
            black_box(board.iter().map(|entry| entry.values.len()).sum::<usize>());
        }
    }
    println!("{}", vm_kb("VmHWM:"));
}

fn bench_store(c: &mut Criterion) {
    let runs = runs();

    let mut group = c.benchmark_group("store");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("insert_100k_runs", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let store = empty_store(&dir);
                (dir, store)
            },
            |(dir, store)| {
                store.insert_runs_bulk(&runs).expect("insert");
                (dir, store)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("flowdesk.db");
    {
        let store = empty_store(&dir);
        store.insert_runs_bulk(&runs).expect("insert");
    }
    drop(runs);

    let probe = std::process::Command::new(std::env::current_exe().expect("bench executable"))
        .env(MEMORY_PROBE, &path)
        .output()
        .expect("memory probe");
    let peak_kb: u64 = String::from_utf8_lossy(&probe.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    eprintln!(
        "leaderboard peak memory (process that opens the store and ranks 12 ways): {:.1} MB",
        peak_kb as f64 / 1024.0
    );

    let store = Store::open(&path).expect("reopen");
    let schema = schema();
    let mut group = c.benchmark_group("leaderboard");
    group.sample_size(30);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    for (name, order) in orders() {
        for (mode, all) in [("best", false), ("all", true)] {
            group.bench_function(format!("{mode}_{name}"), |b| {
                b.iter(|| {
                    black_box(
                        store
                            .leaderboard(WORKFLOW, &schema, &order, all)
                            .expect("leaderboard"),
                    )
                })
            });
        }
    }
    // Building every entry of the all-runs board, for scale (a table builds only
    // the rows it shows).
    group.bench_function("all_score_desc_with_100k_entries", |b| {
        let order = &orders()[0].1;
        b.iter(|| {
            let board = store
                .leaderboard(WORKFLOW, &schema, order, true)
                .expect("leaderboard");
            black_box(board.entries())
        })
    });
    group.finish();
}

fn main() {
    if let Ok(path) = std::env::var(MEMORY_PROBE) {
        memory_probe(&path);
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    bench_store(&mut criterion);
    criterion.final_summary();
}
