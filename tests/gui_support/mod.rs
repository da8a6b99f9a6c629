//! Helpers for driving the app through egui_kittest, shared by the GUI test
//! files: step until a condition holds, find widgets by label, type into a
//! labelled field, click a button scrolled into view, pick a benchmark, make
//! finished runs before the window opens.

#![allow(dead_code)]

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use egui_kittest::Harness;
use flowdesk::client::{Client, LocalClient, RunRequest};
use flowdesk::config::Config;
use flowdesk::gui::FlowdeskApp;
use flowdesk::model::RunState;
use std::path::Path;
use std::time::{Duration, Instant};

/// Step the app until `done` holds; the backend works on other threads meanwhile.
pub fn step_until(
    harness: &mut Harness<'_, FlowdeskApp>,
    what: &str,
    mut done: impl FnMut(&Harness<'_, FlowdeskApp>) -> bool,
) {
    let start = Instant::now();
    loop {
        harness.step();
        if done(harness) {
            return;
        }
        if start.elapsed() > Duration::from_secs(90) {
            panic!("timed out waiting for {what}\n{:#?}", harness.root());
        }
        // Give the backend threads the processor between frames.
        std::thread::sleep(Duration::from_millis(10));
    }
}

pub fn has_label(harness: &Harness<'_, FlowdeskApp>, label: &str) -> bool {
    harness.query_all_by_label(label).next().is_some()
}

pub fn has_label_containing(harness: &Harness<'_, FlowdeskApp>, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}

pub fn set_text(harness: &mut Harness<'_, FlowdeskApp>, label: &str, text: &str) {
    harness
        .get_by_role_and_label(Role::TextInput, label)
        .set_text_value_accesskit(text);
    harness.step();
    harness.step();
}

/// Click the button `label`, scrolled into view first as a person would (a
/// click lands where the button is drawn, so it must be on screen).
pub fn click_button(harness: &mut Harness<'_, FlowdeskApp>, label: &str) {
    harness
        .get_by_role_and_label(Role::Button, label)
        .scroll_to_me();
    harness.run();
    harness.step();
    harness.get_by_role_and_label(Role::Button, label).click();
    harness.step();
}

pub fn select_benchmark(harness: &mut Harness<'_, FlowdeskApp>, name: &str) {
    step_until(harness, "the benchmark list", |h| has_label(h, name));
    harness.get_all_by_label(name).next().unwrap().click();
    harness.step();
    step_until(harness, "the benchmark to load", |h| {
        h.state()
            .state
            .detail
            .as_ref()
            .is_some_and(|d| d.benchmark.name == name)
            && has_label(h, "New run")
    });
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Whether an installed font draws `c` (flowdesk adds the system fonts as
/// fallbacks). Under CI, which installs them, a missing font fails the test
/// that needs it; elsewhere the caller skips or tolerates boxes.
pub fn font_for(c: char, test: &str) -> bool {
    let found = flowdesk::gui::fonts::SystemFonts::default()
        .font_for_char(c)
        .is_some();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: no installed font draws {c:?} (install fonts-droid-fallback and fonts-symbola)"
        );
        eprintln!("{test}: no installed font draws {c:?}");
    }
    found
}

/// A successful run of `benchmark` with `arguments` (a JSON object) in the
/// home of `config`, made before the window opens; its id.
pub fn finished_run(config: &Config, benchmark: &str, arguments: serde_json::Value) -> String {
    let client = LocalClient::open(config.clone()).unwrap();
    let serde_json::Value::Object(arguments) = arguments else {
        panic!("arguments are a JSON object: {arguments}");
    };
    let run = client
        .start_run(&RunRequest {
            benchmark: benchmark.into(),
            arguments,
            ..Default::default()
        })
        .unwrap();
    let done = client.wait(&run.id).unwrap();
    assert_eq!(done.run.state, RunState::Success, "{:?}", done.run.messages);
    run.id
}

/// `n` successful runs of the Hello World sample (no sleeping) in the home of
/// `config`, oldest first.
pub fn finished_hello_runs(config: &Config, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            finished_run(
                config,
                "hello_world_sample",
                serde_json::json!({"sleeptime": 0}),
            )
        })
        .collect()
}

/// A home of its own with the samples and `n` finished Hello World runs.
pub fn home_with_runs(n: usize) -> (tempfile::TempDir, Config, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::resolve(Some(dir.path().to_path_buf())).unwrap();
    config.python = "python3".into();
    let ids = finished_hello_runs(&config, n);
    (dir, config, ids)
}
