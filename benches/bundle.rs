//! Bundling and importing a run with a 100 MB output (issue 14): target ≤ 2 s
//! for the bundle. Two outputs are measured, because compression speed depends
//! on the data: random bytes (incompressible, like images or model weights) and
//! text (a CSV of numbers).
//!
//! Run with `cargo bench --bench bundle` (home folder in the system temp folder)
//! or `FLOWDESK_BENCH_DIR=/dev/shm cargo bench --bench bundle` to leave the disk
//! out. Prints the median of 5 bundles and of 5 imports, with the bundle size.

use flowdesk::config::Config;
use flowdesk::service::{InstallOptions, InstallSource, RunRequest, Service};
use flowdesk::store::RunState;
use std::time::Instant;

const ROUNDS: usize = 5;

fn main() {
    let parent = std::env::var_os("FLOWDESK_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    for (what, command) in [
        ("random bytes", "head -c 100000000 /dev/urandom > out.bin"),
        ("CSV text", "python3 gen.py"),
    ] {
        let home = tempfile::tempdir_in(&parent).expect("temp home");
        let template = tempfile::tempdir_in(&parent).expect("temp template");
        std::fs::write(
            template.path().join("flowserv.yaml"),
            format!(
                "name: Big\nworkflowSpec:\n  workflow:\n    files:\n      outputs: [out.bin]\n    steps:\n      - name: write\n        action:\n          commands:\n            - \"{command}\"\n"
            ),
        )
        .expect("manifest");
        // 100 MB of CSV rows of numbers.
        std::fs::write(
            template.path().join("gen.py"),
            "with open('out.bin', 'w') as f:\n    size, i = 0, 0\n    while size < 100_000_000:\n        line = f'{i},{i * 0.001:.6f},{(i * 7919) % 1000003}\\n'\n        size += f.write(line)\n        i += 1\n",
        )
        .expect("generator");
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
        let run = service.start_run(&request).expect("run");
        let run = service.wait(&run.id).expect("wait");
        assert_eq!(run.state, RunState::Success, "{:?}", run.messages);
        let size = std::fs::metadata(service.run_dir(&run.id).join("out.bin"))
            .expect("output")
            .len();

        let out = home.path().join("bundle.tar.gz");
        let mut bundling = Vec::new();
        for _ in 0..ROUNDS {
            let start = Instant::now();
            service.export_bundle(&run.id, &out).expect("bundle");
            bundling.push(start.elapsed().as_secs_f64());
        }
        let bundle_size = std::fs::metadata(&out).expect("bundle").len();

        // Imports go to a second home that has the same benchmark.
        let other = tempfile::tempdir_in(&parent).expect("temp home");
        let config = Config::resolve(Some(other.path().to_path_buf())).expect("config");
        let second = Service::open_with(config, false).expect("service");
        second
            .install(
                &InstallSource::Folder(template.path().to_path_buf()),
                &InstallOptions::default(),
            )
            .expect("install");
        let mut importing = Vec::new();
        for _ in 0..ROUNDS {
            let start = Instant::now();
            let imported = second.import_bundle(&out, false).expect("import");
            importing.push(start.elapsed().as_secs_f64());
            second.delete_run(&imported.run.id).expect("delete");
        }
        println!(
            "{what}: {:.0} MB output → bundle of {:.1} MB in median {:.2} s (best {:.2} s); import in median {:.2} s",
            size as f64 / 1e6,
            bundle_size as f64 / 1e6,
            median(&mut bundling),
            bundling.iter().cloned().fold(f64::INFINITY, f64::min),
            median(&mut importing),
        );
    }
}

fn median(times: &mut [f64]) -> f64 {
    times.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    times[times.len() / 2]
}
