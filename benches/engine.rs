//! Engine overhead per run: one workflow whose single step is `echo 1 > result.json`,
//! submitted to the [`Engine`] and waited for, end to end (runtime hand-off, process
//! group spawn, pipes, log files, events).

use criterion::{criterion_group, criterion_main, Criterion};
use flowdesk::engine::{Engine, RunJob, RunOutcome};
use flowdesk::workflow::{Action, SerialWorkflow, Step};
use indexmap::IndexMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn echo_run(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let events = Arc::new(AtomicUsize::new(0));
    let counter = events.clone();
    let engine = Engine::new(0, move |_event| {
        counter.fetch_add(1, Ordering::Relaxed);
    })
    .expect("engine");
    let workflow = SerialWorkflow {
        variables: serde_json::Map::new(),
        python: None,
        inputs: Vec::new(),
        outputs: vec!["result.json".to_string()],
        steps: vec![Step {
            name: "main".to_string(),
            inputs: Vec::new(),
            outputs: vec!["result.json".to_string()],
            action: Action::Container {
                image: "python:3.9".to_string(),
                commands: vec!["echo 1 > result.json".to_string()],
                env: IndexMap::new(),
            },
        }],
    };
    let mut n = 0u64;
    c.bench_function("engine: one `echo 1 > result.json` run end to end", |b| {
        b.iter(|| {
            n += 1;
            let job = RunJob::new(format!("run{n}"), dir.path(), workflow.clone());
            let outcome = engine.submit(job).expect("submit").wait();
            assert_eq!(outcome, RunOutcome::Success);
        })
    });
    assert!(events.load(Ordering::Relaxed) > 0);
}

criterion_group!(benches, echo_run);
criterion_main!(benches);
