//! One end-to-end test of the real binary for each compatibility fix of issue 9:
//! benchmarks written for flowserv-core 0.9.4 install and run unchanged. The
//! differential suite (`tests/conformance.rs`) compares flowdesk with flowServ
//! itself; these tests pin each behaviour down on its own, with a template
//! written in the shape that shows it.

mod common;

use common::Home;
use std::fs;
use std::path::Path;

fn write(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// flowServ's own Hello World lists `files: - source: code` without a target;
/// 0.9.4 copies the folder to `code/` (target defaults to source).
#[test]
fn manifest_files_without_target_keep_their_path() {
    let home = Home::new();
    let template = tempfile::tempdir().unwrap();
    let root = template.path();
    write(
        root,
        "flowserv.yaml",
        "name: Targetless\nspecfile: benchmark.yaml\nfiles:\n  - source: code\n  - source: data/names.txt\n",
    );
    write(
        root,
        "benchmark.yaml",
        "workflow:\n  files:\n    outputs: [out.txt]\n  steps:\n    - name: main\n      action:\n        environment: 'python:3.9'\n        commands:\n          - ${python} code/hello.py data/names.txt out.txt\n",
    );
    write(
        root,
        "code/hello.py",
        "import sys\nnames = open(sys.argv[1]).read().split()\nopen(sys.argv[2], 'w').write(' '.join('Hi ' + n for n in names))\n",
    );
    write(root, "data/names.txt", "Ada\nAlan\n");
    write(root, "data/unused.txt", "not copied\n");
    let id = home.install(root);
    let static_dir = home.path().join("workflows").join(&id).join("static");
    assert!(static_dir.join("code/hello.py").is_file());
    assert!(static_dir.join("data/names.txt").is_file());
    assert!(!static_dir.join("hello.py").exists());
    assert!(!static_dir.join("data/unused.txt").exists());
    let (output, run) = home.run_wait(&[&id]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    assert_eq!(run["state"], "SUCCESS", "{run}");
    let text = fs::read_to_string(home.run_dir(&run).join("out.txt")).unwrap();
    assert_eq!(text, "Hi Ada Hi Alan");
}
