//! Reproducible runs in the desktop app, driven as a person would through
//! egui_kittest (widgets found by their labels): a run's provenance, exporting
//! its bundle and importing it into a second home, reproducing a run, and a
//! repeated run as one leaderboard row with mean ± std. Real templates run in
//! real subprocesses against a real SQLite file in temporary home folders.

mod gui_support;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use egui_kittest::Harness;
use flowdesk::client::format::value_text;
use flowdesk::client::{Client, InstallRequest, InstallSource, LocalClient, RunRequest};
use flowdesk::config::Config;
use flowdesk::gui::FlowdeskApp;
use flowdesk::model::RunState;
use gui_support::{has_label, has_label_containing, select_benchmark, set_text, step_until};
use sha2::{Digest, Sha256};
use std::path::Path;

const HELLO: &str = "Hello World (sample)";
const NOISY: &str = "Noisy Estimate (sample)";

/// A home folder of its own, with the bundled samples (installed on first open).
fn home() -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::resolve(Some(dir.path().to_path_buf())).unwrap();
    config.python = "python3".into();
    drop(LocalClient::open(config.clone()).unwrap());
    (dir, config)
}

/// A successful run of the Hello World sample (no sleeping), made before the
/// window opens; returns its id and its result cells as the GUI shows them.
fn finished_hello_run(config: &Config) -> (String, Vec<String>) {
    let client = LocalClient::open(config.clone()).unwrap();
    let mut arguments = serde_json::Map::new();
    arguments.insert("sleeptime".into(), 0.into());
    let run = client
        .start_run(&RunRequest {
            benchmark: "hello_world_sample".into(),
            arguments,
            ..Default::default()
        })
        .unwrap();
    let done = client.wait(&run.id).unwrap();
    assert_eq!(done.run.state, RunState::Success, "{:?}", done.run.messages);
    let values = done
        .run
        .values
        .iter()
        .map(|v| value_text(v.as_ref()))
        .collect();
    (run.id, values)
}

/// The file dialogs need a display server; without one the app asks for the
/// path as text, which is what these tests type into.
fn no_display(test: &str) -> bool {
    let display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    if display {
        eprintln!(
            "note: skipping {test}: a display server is there, so a real file dialog would open"
        );
    }
    !display
}

fn app(config: Config) -> Harness<'static, FlowdeskApp> {
    Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |cc| FlowdeskApp::new(cc, config, None))
}

/// Open the Run detail of `run_id` from the Runs table.
fn open_run(harness: &mut Harness<'_, FlowdeskApp>, benchmark: &str, run_id: &str) {
    select_benchmark(harness, benchmark);
    harness.get_by_label("Runs").click();
    step_until(harness, "the run in the table", |h| has_label(h, run_id));
    harness.get_by_label(run_id).click();
    harness.step();
    harness.get_by_label("Open selected run").click();
    step_until(harness, "the run detail", |h| {
        has_label_containing(h, &format!("Run {run_id}"))
    });
}

/// A file dropped onto the window, as the windowing backend hands it over.
#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn sha256_hex(path: &Path) -> String {
    let digest = Sha256::digest(std::fs::read(path).unwrap());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_finished_runs_detail_shows_its_provenance_with_the_output_hashes() {
    let (dir, config) = home();
    let (run_id, _) = finished_hello_run(&config);
    let mut harness = app(config);
    open_run(&mut harness, HELLO, &run_id);
    step_until(&mut harness, "the provenance section", |h| {
        has_label(h, "Provenance")
    });
    harness.get_by_label("Provenance").click();
    let output = dir
        .path()
        .join("runs")
        .join(&run_id)
        .join("results/analytics.json");
    let sha = sha256_hex(&output);
    let short = &sha[..12];
    step_until(&mut harness, "the output file's hash", |h| {
        has_label(h, short)
    });
    assert!(has_label(&harness, "Template hash"));
    assert!(has_label(&harness, "Fingerprint"));
    assert!(has_label_containing(&harness, "Steps (2)"));
    // The size next to the hash is the file's.
    let size = std::fs::metadata(&output).unwrap().len();
    assert!(has_label(&harness, &format!("{size} bytes")));
    // The full hash, shown on hover (and read out as the label's
    // description), is the one sha2 computes on the file.
    let node = harness.get_by_label(short);
    assert_eq!(node.accesskit_node().description(), Some(sha.clone()));
}

#[test]
fn an_exported_bundle_imports_into_a_second_home_with_the_same_values() {
    if !no_display("an_exported_bundle_imports_into_a_second_home_with_the_same_values") {
        return;
    }
    let (first_dir, config) = home();
    let (run_id, values) = finished_hello_run(&config);
    let out = tempfile::tempdir().unwrap();
    let bundle = out.path().join("hello.bundle.tar.gz");

    // Export: no dialog can be shown here, so the path is typed.
    let mut harness = app(config);
    open_run(&mut harness, HELLO, &run_id);
    harness.get_by_label("Export bundle…").click();
    step_until(&mut harness, "the path field", |h| {
        h.query_by_role_and_label(Role::TextInput, "Bundle file")
            .is_some()
    });
    set_text(&mut harness, "Bundle file", bundle.to_str().unwrap());
    harness.get_by_label("Write bundle").click();
    step_until(&mut harness, "the bundle to be written", |h| {
        has_label_containing(h, "Wrote the bundle of run")
    });
    assert!(bundle.is_file());
    drop(harness);
    drop(first_dir);

    // Import into another home through its window.
    let (_second_dir, second) = home();
    let mut harness = app(second);
    step_until(&mut harness, "the benchmark list", |h| has_label(h, HELLO));
    harness.get_by_label("Import bundle…").click();
    step_until(&mut harness, "the path field", |h| {
        h.query_by_role_and_label(Role::TextInput, "Bundle file")
            .is_some()
    });
    set_text(&mut harness, "Bundle file", bundle.to_str().unwrap());
    harness
        .get_by_role_and_label(Role::Button, "Import")
        .click();
    step_until(&mut harness, "the imported run on the leaderboard", |h| {
        h.state().state.persisted.tab == flowdesk::gui::state::Tab::Leaderboard
            && h.state()
                .state
                .leaderboard
                .as_ref()
                .is_some_and(|b| b.len() == 1)
            && has_label(h, "imported")
    });
    let board = harness.state().state.leaderboard.clone().unwrap();
    let row = board.row(0).unwrap();
    assert!(row.badges.imported && !row.badges.different_template);
    let shown: Vec<String> = row.values.iter().map(|v| value_text(v.as_ref())).collect();
    assert_eq!(shown, values);
    for value in &values {
        assert!(has_label(&harness, value), "{value} on the leaderboard");
    }
}

#[test]
fn reproducing_a_deterministic_run_says_reproduced() {
    let (_dir, config) = home();
    let (run_id, _) = finished_hello_run(&config);
    let mut harness = app(config);
    open_run(&mut harness, HELLO, &run_id);
    harness
        .get_by_role_and_label(Role::Button, "Reproduce")
        .click();
    step_until(&mut harness, "the reproduction to start", |h| {
        has_label_containing(h, "Reproducing as run")
    });
    step_until(&mut harness, "the outcome", |h| has_label(h, "reproduced"));
    assert!(!has_label(&harness, "differs"));
    let records = harness.state().state.run_records.clone().unwrap();
    let latest = records.reproductions.last().unwrap();
    assert_eq!(
        latest.outcome,
        Some(flowdesk::client::ReproductionOutcome::Reproduced)
    );
    assert!(latest.differences.is_empty());

    // The leaderboard marks it, and keeps it with "Reproduced only".
    harness.get_by_label("Leaderboard").click();
    step_until(&mut harness, "the badge on the leaderboard", |h| {
        has_label(h, &run_id) && has_label(h, "reproduced")
    });
    harness.get_by_label("Reproduced only").click();
    step_until(&mut harness, "the filtered leaderboard", |h| {
        h.state().state.persisted.leaderboard.reproduced_only
            && h.state()
                .state
                .leaderboard
                .as_ref()
                .is_some_and(|b| b.len() == 1 && b.row(0).is_some_and(|r| r.run_id == run_id))
    });
}

#[test]
fn repeat_three_is_one_leaderboard_row_with_mean_and_std() {
    let (_dir, config) = home();
    let mut harness = app(config);
    select_benchmark(&mut harness, NOISY);
    harness.get_by_label("New run").click();
    step_until(&mut harness, "the form", |h| {
        h.query_by_role_and_label(Role::TextInput, "Repeat")
            .is_some()
    });
    set_text(&mut harness, "Samples", "100");
    set_text(&mut harness, "Repeat", "3");
    step_until(&mut harness, "the run set hint", |h| {
        has_label(h, "3 runs as one run set")
    });
    harness.get_by_role_and_label(Role::Button, "Run").click();
    step_until(&mut harness, "three runs to succeed", |h| {
        h.query_all_by_label("SUCCESS").count() == 3
    });
    harness.get_by_label("Leaderboard").click();
    step_until(&mut harness, "the run set row", |h| {
        h.state()
            .state
            .leaderboard
            .as_ref()
            .is_some_and(|b| b.len() == 1 && b.row(0).is_some_and(|r| r.run_set.is_some()))
            && has_label_containing(h, "(n=3)")
    });
    let board = harness.state().state.leaderboard.clone().unwrap();
    let row = board.row(0).unwrap();
    let set = row.run_set.unwrap();
    assert_eq!(set.runs.len(), 3);
    let estimate = board.column("estimate").unwrap();
    let spread = set.spreads[estimate].unwrap();
    assert_eq!(spread.n, 3);
    assert!(spread.std.is_some_and(|s| s > 0.0), "{spread:?}");
    let text = spread.text();
    assert!(text.contains(" ± "), "{text}");
    assert!(has_label(&harness, &text), "{text} on the leaderboard");
    assert!(has_label_containing(&harness, "(3 runs)"));
    // The chart draws the set's mean with its spread as an error bar.
    assert!(
        has_label_containing(&harness, "1 point, 1 error bar"),
        "the chart shows one error bar"
    );

    // Compare two runs of the set: each value comes with the set's spread.
    harness.get_by_label("Runs").click();
    step_until(&mut harness, "the runs table", |h| {
        set.runs.iter().all(|id| has_label(h, id))
    });
    harness.run();
    harness.step();
    harness.get_by_label(&set.runs[0]).click();
    harness.run();
    harness
        .get_by_label(&set.runs[1])
        .click_modifiers(egui::Modifiers::COMMAND);
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Compare")
        .click();
    step_until(&mut harness, "the comparison with the spread", |h| {
        h.query_all_by_label_contains(&format!("· set {text}"))
            .count()
            == 2
    });
    assert!(has_label(&harness, "3 runs"), "the run set's size");
}

#[test]
fn reproducing_with_a_tolerance_typed_in_the_run_detail() {
    let (_dir, config) = home();
    let client = LocalClient::open(config.clone()).unwrap();
    let mut arguments = serde_json::Map::new();
    arguments.insert("samples".into(), 100.into());
    let run = client
        .start_run(&RunRequest {
            benchmark: "noisy_estimate_sample".into(),
            arguments,
            ..Default::default()
        })
        .unwrap();
    let done = client.wait(&run.id).unwrap();
    assert_eq!(done.run.state, RunState::Success, "{:?}", done.run.messages);
    drop(client);
    let mut harness = app(config);
    open_run(&mut harness, NOISY, &run.id);

    // A tolerance that is not one is named at once, and cannot start anything.
    set_text(&mut harness, "within", "a lot");
    step_until(&mut harness, "the error naming the tolerance", |h| {
        has_label_containing(h, "tolerance 'a lot' is not a number")
    });
    assert!(harness
        .get_by_role_and_label(Role::Button, "Reproduce")
        .accesskit_node()
        .is_disabled());

    // The noise of 100 samples (a standard deviation of about 0.09) stays
    // well within 1 of the estimate.
    set_text(&mut harness, "within", "1");
    harness
        .get_by_role_and_label(Role::Button, "Reproduce")
        .click();
    step_until(&mut harness, "the outcome", |h| {
        has_label(h, "reproduced within tolerance")
    });
    let records = harness.state().state.run_records.clone().unwrap();
    let latest = records.reproductions.last().unwrap();
    assert_eq!(latest.tolerance.as_deref(), Some("1"));
    assert_eq!(
        latest.outcome,
        Some(flowdesk::client::ReproductionOutcome::WithinTolerance)
    );
}

#[test]
fn a_dropped_bundle_of_a_different_template_imports_only_when_the_user_says_so() {
    let (_first_dir, config) = home();
    let (run_id, values) = finished_hello_run(&config);
    let out = tempfile::tempdir().unwrap();
    let bundle = out.path().join("hello.bundle.tar.gz");
    LocalClient::open(config)
        .unwrap()
        .export_bundle(&run_id, &bundle)
        .unwrap();

    // The second home has the benchmark with its analysis script edited.
    let (_second_dir, second) = home();
    let changed = out.path().join("helloworld");
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-templates/helloworld"))
        .arg(&changed)
        .status()
        .unwrap();
    assert!(copied.success());
    let analyze = changed.join("code/analyze.py");
    let mut text = std::fs::read_to_string(&analyze).unwrap();
    text.push_str("\n# edited\n");
    std::fs::write(&analyze, text).unwrap();
    {
        let client = LocalClient::open(second.clone()).unwrap();
        client.uninstall("hello_world_sample").unwrap();
        client
            .install(&InstallRequest {
                source: Some(InstallSource::Folder(changed)),
                ..Default::default()
            })
            .unwrap();
    }

    // Dropped onto the window.
    let mut harness = app(second);
    step_until(&mut harness, "the benchmark list", |h| has_label(h, HELLO));
    harness
        .input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(bundle.clone())));
    harness.step();
    step_until(&mut harness, "the question, naming the file", |h| {
        has_label(h, "Import anyway") && has_label(h, "• changed: `code/analyze.py`")
    });
    assert!(harness
        .state()
        .state
        .leaderboard
        .as_ref()
        .is_none_or(|b| b.is_empty()));
    harness.get_by_label("Import anyway").click();
    step_until(&mut harness, "the run marked on the leaderboard", |h| {
        h.state()
            .state
            .leaderboard
            .as_ref()
            .is_some_and(|b| b.len() == 1)
            && has_label(h, "imported (different template)")
    });
    assert!(!has_label(&harness, "Import anyway"));
    let row = harness
        .state()
        .state
        .leaderboard
        .clone()
        .unwrap()
        .row(0)
        .unwrap();
    assert!(row.badges.different_template);
    let shown: Vec<String> = row.values.iter().map(|v| value_text(v.as_ref())).collect();
    assert_eq!(shown, values);
}
