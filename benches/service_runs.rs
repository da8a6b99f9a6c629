//! Engine overhead per run through the service layer (issue 3): a template whose
//! single step is `echo` writing a one-value result file, installed once, then 500
//! sequential runs, each to SUCCESS with its result stored. Target: median ≤ 3 ms.
//!
//! Run with `cargo bench --bench service_runs` (home folder in the system temp
//! folder) or `FLOWDESK_BENCH_DIR=/dev/shm cargo bench --bench service_runs` (in
//! memory, to tell the engine's overhead from the file system's). Prints median,
//! 90th percentile and mean per run, and the disk left behind per run folder.

use flowdesk::config::Config;
use flowdesk::service::{InstallOptions, InstallSource, RunRequest, Service};
use flowdesk::store::RunState;
use std::time::Instant;

const RUNS: usize = 500;

fn main() {
    // FLOWDESK_BENCH_DIR picks the file system (e.g. /dev/shm to leave the disk out).
    let parent = std::env::var_os("FLOWDESK_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let home = tempfile::tempdir_in(&parent).expect("temp home");
    let template = tempfile::tempdir_in(&parent).expect("temp template");
    std::fs::write(
        template.path().join("flowserv.yaml"),
        "name: Echo\nworkflowSpec:\n  workflow:\n    steps:\n      - name: echo\n        action:\n          commands:\n            - \"echo '{\\\"value\\\": 1}' > result.json\"\n  results:\n    file: result.json\n    schema:\n      - name: value\n        label: Value\n        dtype: int\n",
    )
    .expect("manifest");
    let config = Config::resolve(Some(home.path().to_path_buf())).expect("config");
    let service = Service::open_with(config, false).expect("service");
    let workflow = service
        .install(
            &InstallSource::Folder(template.path().to_path_buf()),
            &InstallOptions::default(),
        )
        .expect("install");
    let request = RunRequest {
        workflow: workflow.id.clone(),
        ..Default::default()
    };
    // Warm up.
    for _ in 0..20 {
        let run = service.start_run(&request).expect("run");
        service.wait(&run.id).expect("wait");
    }
    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let run = service.start_run(&request).expect("run");
        let run = service.wait(&run.id).expect("wait");
        times.push(start.elapsed().as_secs_f64() * 1e3);
        assert_eq!(run.state, RunState::Success, "{:?}", run.messages);
        last = Some(run.id);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let median = times[RUNS / 2];
    let p90 = times[RUNS * 9 / 10];
    let mean = times.iter().sum::<f64>() / RUNS as f64;
    println!("{RUNS} sequential runs through the service: median {median:.2} ms, p90 {p90:.2} ms, mean {mean:.2} ms per run");
    if let Some(id) = last {
        let dir = service.run_dir(&id);
        let mut bytes = 0u64;
        for entry in walk(&dir) {
            bytes += std::fs::metadata(&entry).map(|m| m.len()).unwrap_or(0);
        }
        println!(
            "disk left in one run folder: {bytes} bytes (outputs and logs; template files removed)"
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}
