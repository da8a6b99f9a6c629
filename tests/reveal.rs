//! "Open" / "Show run folder" hands the path to the desktop's opener
//! (`xdg-open`) and leaves nothing behind: no zombie child in flowdesk's
//! process for each click. Its own test binary, because it puts a stand-in
//! `xdg-open` first on PATH.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

/// This process's children that have exited but were not reaped.
fn zombie_children() -> Vec<String> {
    let mut zombies = Vec::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return zombies;
    };
    for task in tasks.flatten() {
        let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        for child in children.split_whitespace() {
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
            // `pid (comm) S …`: the state follows the closing parenthesis.
            let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
            if state.is_some_and(|s| s.starts_with('Z')) {
                zombies.push(stat);
            }
        }
    }
    zombies
}

#[test]
fn opening_a_folder_leaves_no_zombie_process() {
    let bin = tempfile::tempdir().unwrap();
    let opened = bin.path().join("opened");
    let opener = bin.path().join("xdg-open");
    std::fs::write(
        &opener,
        format!("#!/bin/sh\necho \"$1\" >> '{}'\n", opened.display()),
    )
    .unwrap();
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = std::env::var("PATH").unwrap_or_default();
    // SAFETY: set before any other thread of this test binary reads it.
    unsafe { std::env::set_var("PATH", format!("{}:{path}", bin.path().display())) };

    // Without this file (a kernel without CONFIG_PROC_CHILDREN) no zombie
    // would ever be seen.
    let own = format!("/proc/self/task/{}/children", std::process::id());
    assert!(std::fs::metadata(&own).is_ok(), "{own} is missing");

    let folder = tempfile::tempdir().unwrap();
    for _ in 0..3 {
        flowdesk::client::local::reveal(folder.path()).unwrap();
    }
    let start = Instant::now();
    loop {
        let lines = std::fs::read_to_string(&opened).unwrap_or_default();
        let zombies = zombie_children();
        if lines.lines().count() == 3 && zombies.is_empty() {
            assert!(lines.contains(&folder.path().display().to_string()));
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "opened {lines:?}; zombies left: {zombies:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
