//! The desktop app driven as a person would, through egui_kittest: widgets are
//! found by their labels, the backend runs real templates in real subprocesses
//! against a real SQLite file in a temporary home folder.

mod gui_support;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use egui_kittest::Harness;
use flowdesk::client::{Client, InstallRequest, InstallSource, LocalClient};
use flowdesk::config::Config;
use flowdesk::gui::FlowdeskApp;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-templates")
}

/// A home folder with the bundled samples and the slow feature template installed.
fn home() -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::resolve(Some(dir.path().to_path_buf())).unwrap();
    config.python = "python3".into();
    {
        let client = LocalClient::open(config.clone()).unwrap();
        client
            .install(&InstallRequest {
                source: Some(InstallSource::Folder(samples().join("features/slow"))),
                ..Default::default()
            })
            .unwrap();
    }
    (dir, config)
}

fn app(config: Config) -> Harness<'static, FlowdeskApp> {
    Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |cc| FlowdeskApp::new(cc, config, None))
}

/// Step the app until `done` holds; the backend works on other threads meanwhile.
fn step_until(
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
            let app = harness.state();
            let board = app.state.leaderboard.as_ref().map(|b| b.len());
            let selected = app.state.persisted.selected_workflow.clone();
            let detail = app.state.detail.as_ref().map(|d| d.benchmark.name.clone());
            panic!(
                "timed out waiting for {what}; leaderboard rows {board:?}, selected {selected:?}, detail {detail:?}\n{:#?}",
                harness.root()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn has_label(harness: &Harness<'_, FlowdeskApp>, label: &str) -> bool {
    harness.query_all_by_label(label).next().is_some()
}

fn has_label_containing(harness: &Harness<'_, FlowdeskApp>, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}

fn select_benchmark(harness: &mut Harness<'_, FlowdeskApp>, name: &str) {
    step_until(harness, "the benchmark list", |h| has_label(h, name));
    // The side panel comes first in the tree; the heading of a selected benchmark repeats the name.
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

fn set_text(harness: &mut Harness<'_, FlowdeskApp>, label: &str, text: &str) {
    harness
        .get_by_role_and_label(Role::TextInput, label)
        .set_text_value_accesskit(text);
    harness.step();
    harness.step();
}

fn start_run(harness: &mut Harness<'_, FlowdeskApp>) {
    harness.get_by_role_and_label(Role::Button, "Run").click();
    harness.step();
}

#[test]
fn participant_runs_a_benchmark_and_sees_it_ranked() {
    let (_dir, config) = home();
    let mut harness = app(config);
    select_benchmark(&mut harness, "Hello World (sample)");

    // The form: an invalid value shows its error and keeps Run disabled.
    harness.get_by_label("New run").click();
    step_until(&mut harness, "the form", |h| {
        h.query_by_role_and_label(Role::TextInput, "Sleep period")
            .is_some()
    });
    set_text(&mut harness, "Sleep period", "99");
    step_until(&mut harness, "the range error", |h| {
        has_label(h, "99 is outside the range [0,10]")
    });
    assert!(harness
        .get_by_role_and_label(Role::Button, "Run")
        .accesskit_node()
        .is_disabled());
    set_text(&mut harness, "Sleep period", "0");
    step_until(&mut harness, "the error to go", |h| {
        !has_label_containing(h, "outside the range")
    });
    assert!(!harness
        .get_by_role_and_label(Role::Button, "Run")
        .accesskit_node()
        .is_disabled());

    // First run with the default greeting, second with another one.
    start_run(&mut harness);
    step_until(&mut harness, "the first run to succeed", |h| {
        has_label(h, "SUCCESS")
    });
    harness.get_by_label("New run").click();
    step_until(&mut harness, "the form", |h| {
        h.query_by_role_and_label(Role::TextInput, "Greeting")
            .is_some()
    });
    set_text(&mut harness, "Greeting", "Hi");
    set_text(&mut harness, "Sleep period", "0");
    start_run(&mut harness);
    step_until(&mut harness, "both runs to succeed", |h| {
        h.query_all_by_label("SUCCESS").count() == 2
    });

    // Run detail with its log.
    let run_ids: Vec<String> = harness
        .state()
        .state
        .runs
        .iter()
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(run_ids.len(), 2);
    harness.get_by_label(&run_ids[0]).click();
    harness.step();
    harness.get_by_label("Open selected run").click();
    step_until(&mut harness, "the run detail", |h| {
        has_label_containing(h, &format!("Run {}", run_ids[0]))
    });
    step_until(&mut harness, "the log", |h| {
        has_label_containing(h, "greetings to results/greetings.txt")
    });
    assert!(
        has_label(&harness, "results/analytics.json (104 bytes)")
            || has_label_containing(&harness, "results/analytics.json")
    );

    // The leaderboard: values computed by the analyze script, ranked by avg_count.
    harness.get_by_label("Leaderboard").click();
    // Both runs belong to the default submission: best-per-submission shows one of them.
    step_until(&mut harness, "the best run", |h| {
        has_label(h, "12.375") && !has_label(h, "9.375")
    });
    harness.get_by_label("All runs").click();
    step_until(&mut harness, "the leaderboard rows", |h| {
        has_label(h, "12.375") && has_label(h, "9.375")
    });
    // The table comes first; the post-processing summary below repeats the values.
    let hello = harness
        .get_all_by_label("12.375")
        .next()
        .unwrap()
        .rect()
        .top();
    let hi = harness
        .get_all_by_label("9.375")
        .next()
        .unwrap()
        .rect()
        .top();
    assert!(hello < hi, "avg_count descending puts 'Hello' first");
    assert!(has_label(&harness, "Hello Dimitrios!"));
    // Sort by the longest line, then flip to ascending: 'Hi' (13) above 'Hello' (16).
    harness.get_by_label("Max. Output Line").click();
    step_until(&mut harness, "the sort to apply", |h| {
        has_label(h, "Max. Output Line (desc)")
    });
    harness.get_by_label("Max. Output Line (desc)").click();
    step_until(&mut harness, "ascending order", |h| {
        has_label(h, "Max. Output Line (asc)")
            && h.query_all_by_label("9.375")
                .next()
                .zip(h.query_all_by_label("12.375").next())
                .is_some_and(|(a, b)| a.rect().top() < b.rect().top())
    });

    // Compare the two runs: the greeting differs.
    harness.get_by_label("Runs").click();
    step_until(&mut harness, "the runs table", |h| {
        has_label(h, "Open selected run") && h.query_all_by_label(&run_ids[1]).count() == 1
    });
    // Select the first run, Ctrl-click the second.
    harness.get_by_label(&run_ids[0]).click();
    harness.step();
    harness
        .get_by_label(&run_ids[1])
        .click_modifiers(egui::Modifiers::COMMAND);
    harness.step();
    harness.step();
    assert_eq!(
        harness.state().selected_runs(),
        &run_ids[..],
        "both runs selected"
    );
    assert!(!harness
        .get_by_role_and_label(Role::Button, "Compare")
        .accesskit_node()
        .is_disabled());
    harness
        .get_by_role_and_label(Role::Button, "Compare")
        .click();
    // Arguments by their labels, in form order.
    step_until(&mut harness, "the comparison", |h| {
        has_label(h, "Differences are highlighted.")
    });
    let top = |label: &str| harness.get_by_label(label).rect().top();
    assert!(top("Input file") < top("Sleep period"));
    assert!(top("Sleep period") < top("Greeting"));
    assert!(!has_label_containing(&harness, "argument "));
    assert!(has_label(&harness, "Hi"));
    assert!(has_label(&harness, "Differences are highlighted."));
}

#[test]
fn a_long_run_can_be_canceled_from_the_runs_table() {
    let (_dir, config) = home();
    let mut harness = app(config);
    select_benchmark(&mut harness, "Feature: slow run");
    harness.get_by_label("New run").click();
    step_until(&mut harness, "the form", |h| {
        h.query_by_role_and_label(Role::TextInput, "Duration (seconds)")
            .is_some()
    });
    set_text(&mut harness, "Duration (seconds)", "120");
    start_run(&mut harness);
    step_until(&mut harness, "the run to be running", |h| {
        has_label(h, "RUNNING")
    });
    let run_id = harness.state().state.runs[0].id.clone();
    harness.get_by_label(&run_id).click();
    harness.step();
    harness
        .get_by_role_and_label(Role::Button, "Cancel run")
        .click();
    step_until(&mut harness, "the run to be canceled", |h| {
        has_label(h, "CANCELED")
    });
}

#[test]
fn runs_and_benchmarks_from_the_cli_show_up_by_themselves() {
    let (dir, config) = home();
    let mut harness = app(config);
    select_benchmark(&mut harness, "Feature: slow run");
    harness.get_by_label("Runs").click();
    harness.step();
    let cli = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_flowdesk"))
            .arg("--home")
            .arg(dir.path())
            .args(args)
            .env("FLOWDESK_PYTHON", "python3")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    // A run started in a terminal: the table and the status bar follow it.
    let started: serde_json::Value = serde_json::from_str(&cli(&[
        "run",
        "feature_slow_run",
        "--arg",
        "seconds=120",
        "--json",
    ]))
    .unwrap();
    let run_id = started["id"].as_str().unwrap().to_string();
    step_until(&mut harness, "the CLI's run in the table", |h| {
        has_label(h, &run_id) && has_label(h, "RUNNING")
    });
    step_until(&mut harness, "the status bar to count it", |h| {
        has_label(h, "1 running, 0 queued")
    });
    cli(&["cancel", &run_id]);
    step_until(&mut harness, "the cancel to show", |h| {
        has_label(h, "CANCELED")
    });
    step_until(&mut harness, "the status bar to count nothing", |h| {
        has_label(h, "0 running, 0 queued")
    });
    // A benchmark installed in a terminal appears in the list.
    cli(&[
        "install",
        samples().join("features/failing").to_str().unwrap(),
        "--name",
        "Installed from the terminal",
    ]);
    step_until(&mut harness, "the new benchmark in the list", |h| {
        has_label(h, "Installed from the terminal")
    });
}

#[test]
fn without_a_portal_the_in_app_file_dialog_opens_and_its_choice_is_used() {
    let (_dir, config) = home();
    // egui_file marks folders with U+1F4C1, which egui's own fonts lack: an
    // installed system font draws it (CI installs fonts-symbola); without
    // one the test still checks the dialog, with a box for the glyph.
    let mut builder = Harness::builder().with_size([1400.0, 900.0]);
    if !gui_support::font_for('\u{1F4C1}', "in-app file dialog") {
        builder = builder.allow_missing_glyphs();
    }
    let mut harness = builder.build_eframe(move |cc| FlowdeskApp::new(cc, config, None));
    harness.state_mut().use_in_app_file_dialogs();
    step_until(&mut harness, "the benchmark list", |h| {
        has_label(h, "From folder…")
    });
    harness.get_by_label("From folder…").click();
    // The dialog shows the folder it is in, with its buttons.
    let cwd = std::env::current_dir().unwrap();
    step_until(&mut harness, "the in-app dialog", |h| {
        h.query_by_role_and_label(Role::Button, "New Folder")
            .is_some()
            && h.query_all_by_value(&cwd.display().to_string())
                .next()
                .is_some()
    });
    // It starts in the working folder (the crate, which is no template) and
    // hands the chosen folder to the install, which names it.
    harness.get_by_role_and_label(Role::Button, "Open").click();
    step_until(&mut harness, "the install of the chosen folder", |h| {
        has_label_containing(h, "Installing the benchmark failed")
    });
    // The toast says the first line of the reason; Details has the rest.
    if let Some(details) = harness.query_by_label("Details") {
        details.click();
    }
    step_until(&mut harness, "the reason, naming the folder", |h| {
        has_label_containing(h, &format!("`{}` has no manifest", cwd.display()))
    });
    assert!(harness
        .query_by_role_and_label(Role::Button, "New Folder")
        .is_none());
}

#[test]
fn deleting_a_run_asks_first() {
    let (_dir, config) = home();
    let client_config = config.clone();
    let mut harness = app(config);
    select_benchmark(&mut harness, "Hello World (sample)");
    harness.get_by_label("New run").click();
    step_until(&mut harness, "the form", |h| {
        h.query_by_role_and_label(Role::TextInput, "Sleep period")
            .is_some()
    });
    set_text(&mut harness, "Sleep period", "0");
    start_run(&mut harness);
    step_until(&mut harness, "the run to succeed", |h| {
        has_label(h, "SUCCESS")
    });
    let run_id = harness.state().state.runs[0].id.clone();
    harness.get_by_label(&run_id).click();
    harness.step();
    harness
        .get_by_role_and_label(Role::Button, "Delete run…")
        .click();
    step_until(&mut harness, "the confirmation", |h| {
        has_label(h, &format!("Delete run {run_id}?"))
    });
    // Keeping it keeps it.
    harness
        .get_by_role_and_label(Role::Button, "Keep it")
        .click();
    step_until(&mut harness, "the confirmation to close", |h| {
        !has_label(h, &format!("Delete run {run_id}?"))
    });
    let client = LocalClient::open(client_config).unwrap();
    assert!(client.run(&run_id).is_ok());
    harness
        .get_by_role_and_label(Role::Button, "Delete run…")
        .click();
    step_until(&mut harness, "the confirmation", |h| {
        has_label(h, &format!("Delete run {run_id}?"))
    });
    harness
        .get_by_role_and_label(Role::Button, "Delete")
        .click();
    step_until(&mut harness, "the run to go", |h| {
        h.state().state.runs.iter().all(|r| r.id != run_id)
    });
    assert!(client.run(&run_id).is_err());
}

#[test]
fn template_check_shows_errors_and_reloads_on_change() {
    let (_dir, config) = home();
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("flowserv.yaml"),
        "name: Draft\nspecfile: benchmark.yaml\n",
    )
    .unwrap();
    std::fs::write(
        folder.path().join("benchmark.yaml"),
        "workflow:\n  steps:\n    - action: {commands: ['echo $[[noparameter]]']}\n",
    )
    .unwrap();
    let path = folder.path().to_path_buf();
    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |cc| FlowdeskApp::new(cc, config, Some(path)));
    step_until(&mut harness, "the error", |h| {
        has_label_containing(
            h,
            "benchmark.yaml: workflow references undeclared parameter 'noparameter'",
        )
    });
    // Fix the template: the screen re-checks by itself.
    std::fs::write(
        folder.path().join("benchmark.yaml"),
        "workflow:\n  steps:\n    - action: {commands: ['echo $[[noparameter]]']}\nparameters:\n  - name: noparameter\n    label: Now declared\n    dtype: int\n",
    )
    .unwrap();
    step_until(&mut harness, "the fixed template", |h| {
        has_label_containing(h, "'Draft' is valid")
    });
    // The form participants will see has the new field.
    step_until(&mut harness, "the new field in the form", |h| {
        h.query_by_role_and_label(Role::TextInput, "Now declared")
            .is_some()
    });
}

#[test]
fn an_idle_app_stops_repainting() {
    let (_dir, config) = home();
    // egui_commonmark draws its code-block copy button with a glyph (U+1F5D0)
    // that egui's default fonts lack: an installed system font draws it.
    let mut builder = Harness::builder().with_size([1400.0, 900.0]);
    if !gui_support::font_for('\u{1F5D0}', "idle app") {
        builder = builder.allow_missing_glyphs();
    }
    let mut harness = builder.build_eframe(move |cc| FlowdeskApp::new(cc, config, None));
    select_benchmark(&mut harness, "Hello World (sample)");
    harness.get_by_label("Leaderboard").click();
    step_until(&mut harness, "the leaderboard", |h| {
        has_label_containing(h, "ranked by")
    });
    // Let late answers of the backend arrive, then nothing may ask for another frame.
    for _ in 0..50 {
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    let steps = harness.try_run();
    assert!(
        steps.is_ok(),
        "the app keeps requesting repaints while idle: {steps:?}"
    );
    // Every screen settles too, and every widget on it has an accessible name
    // (`run` checks both).
    select_benchmark(&mut harness, "Predictor (sample)");
    for tab in [
        "Overview",
        "New run",
        "Runs",
        "Leaderboard",
        "Settings",
        "Template check",
    ] {
        harness.get_by_label(tab).click();
        for _ in 0..20 {
            harness.step();
            std::thread::sleep(Duration::from_millis(10));
        }
        let steps = harness.try_run();
        assert!(steps.is_ok(), "{tab} keeps repainting: {steps:?}");
    }
}

#[test]
fn an_archive_opens_on_the_template_check_screen() {
    // `flowdesk x.tar.gz` from a file manager: the archive is unpacked and
    // checked like a folder.
    let (_dir, config) = home();
    let scratch = tempfile::tempdir().unwrap();
    let archive = scratch.path().join("helloworld.tar.gz");
    let folder = samples().join("helloworld");
    flowdesk::service::files::write_tar_gz(
        &folder,
        &flowdesk::service::files::list_files(&folder, &[]),
        "helloworld",
        &archive,
    )
    .unwrap();
    let opened = archive.clone();
    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |cc| FlowdeskApp::new(cc, config, Some(opened)));
    step_until(&mut harness, "the checked archive", |h| {
        has_label_containing(h, "'Hello World (sample)' is valid")
    });
    assert!(has_label(&harness, "Greeting (greeting)"));
    // Rewriting the archive re-checks it, as saving a file does for a folder.
    let bad = samples().join("bad/undeclared-reference");
    flowdesk::service::files::write_tar_gz(
        &bad,
        &flowdesk::service::files::list_files(&bad, &[]),
        "draft",
        &archive,
    )
    .unwrap();
    step_until(&mut harness, "the error in the rewritten archive", |h| {
        has_label_containing(
            h,
            "benchmark.yaml: workflow references undeclared parameter 'noparameter'",
        )
    });
}

#[test]
fn a_bad_worker_configuration_is_shown_in_settings() {
    let (dir, _) = home();
    std::fs::write(
        dir.path().join("workers.yaml"),
        "workers:\n  - name: box\n    type: dockr\nworkflow:\n  img: box\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("settings.json"),
        serde_json::json!({"worker_config": dir.path().join("workers.yaml"), "samples_installed": true}).to_string(),
    )
    .unwrap();
    let config = Config::resolve(Some(dir.path().to_path_buf())).unwrap();
    let mut harness = app(config);
    step_until(&mut harness, "the benchmark list", |h| {
        has_label(h, "Hello World (sample)")
    });
    harness.get_by_label("Settings").click();
    step_until(&mut harness, "the worker configuration error", |h| {
        has_label_containing(h, "unknown type 'dockr'")
    });
}

/// `flowdesk <args> --home <home>`: its standard output.
fn cli(home: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_flowdesk"))
        .arg("--home")
        .arg(home)
        .args(args)
        .env("FLOWDESK_PYTHON", "python3")
        .env_remove("FLOWSERV_API_DIR")
        .env_remove("FLOWSERV_DATABASE")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "flowdesk {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_cli_and_the_gui_show_the_same_values_for_a_run() {
    let (dir, config) = home();
    let run = cli(
        dir.path(),
        &[
            "run",
            "hello_world_sample",
            "--arg",
            "sleeptime=0",
            "--arg",
            "greeting=Hey",
            "--wait",
            "--json",
        ],
    );
    let run: serde_json::Value = serde_json::from_str(&run).unwrap();
    let run_id = run["id"].as_str().unwrap().to_string();

    // What the CLI shows: the run's result lines, its duration in the runs
    // list, its leaderboard row.
    let show = cli(dir.path(), &["show", &run_id]);
    let results: Vec<(String, String)> = show
        .lines()
        .skip_while(|l| l.trim() != "results:")
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .filter_map(|l| l.trim().split_once(" = "))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    assert_eq!(results.len(), 3, "{show}");
    let duration = show
        .lines()
        .find_map(|l| l.trim().strip_prefix("duration: "))
        .unwrap()
        .to_string();
    let runs = cli(dir.path(), &["runs", "hello_world_sample"]);
    let row = runs.lines().find(|l| l.contains(&run_id)).unwrap();
    assert!(row.ends_with(&duration), "{row} / {duration}");
    let board = cli(dir.path(), &["leaderboard", "hello_world_sample"]);
    let board_row = board.lines().find(|l| l.contains(&run_id)).unwrap();
    for (_, value) in &results {
        assert!(board_row.contains(value.as_str()), "{board_row} / {value}");
    }

    // The GUI shows the same texts: run detail, runs table, leaderboard.
    let mut harness = app(config);
    select_benchmark(&mut harness, "Hello World (sample)");
    harness.get_by_label("Runs").click();
    step_until(&mut harness, "the run in the table", |h| {
        has_label(h, &run_id)
    });
    assert!(
        has_label(&harness, &duration),
        "duration {duration} in the table"
    );
    for (_, value) in &results {
        assert!(has_label(&harness, value), "{value} in the runs table");
    }
    harness.get_by_label(&run_id).click();
    harness.step();
    harness.get_by_label("Open selected run").click();
    step_until(&mut harness, "the run detail", |h| {
        has_label_containing(h, &format!("Run {run_id}"))
    });
    // Results by their labels in the schema (the CLI's JSON has the names).
    let label_of = |name: &str| match name {
        "avg_count" => "Avg. Chars per Line",
        "max_len" => "Max. Output Line",
        "max_line" => "Longest Output",
        other => panic!("a result column {other} the schema does not have"),
    };
    for (name, value) in &results {
        let label = label_of(name);
        assert!(has_label(&harness, label), "{label} in the run detail");
        assert!(has_label(&harness, value), "{value} in the run detail");
    }
    assert!(has_label(&harness, &duration), "duration in the run detail");
    harness.get_by_label("Leaderboard").click();
    step_until(&mut harness, "the leaderboard row", |h| {
        h.query_all_by_label(&run_id).next().is_some() && has_label_containing(h, "ranked by")
    });
    for (_, value) in &results {
        assert!(has_label(&harness, value), "{value} on the leaderboard");
    }
}
