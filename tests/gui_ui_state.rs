//! The desktop app's own state and looks, driven through egui_kittest (widgets
//! found by their labels) against real temporary homes: names in any script
//! are drawn with the system's fallback fonts, UI state stays with its
//! benchmark and its home, and the New run preview follows the form.

mod gui_support;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use egui_kittest::Harness;
use flowdesk::client::{Client, InstallRequest, InstallSource, LocalClient, RunRequest};
use flowdesk::config::Config;
use flowdesk::gui::FlowdeskApp;
use gui_support::{
    finished_hello_runs, finished_run, font_for, has_label, has_label_containing, select_benchmark,
    set_text, step_until,
};
use std::path::{Path, PathBuf};

const HELLO: &str = "Hello World (sample)";
const PREDICTOR: &str = "Predictor (sample)";
const NOISY: &str = "Noisy Estimate (sample)";

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-templates")
}

/// A home folder of its own, with the bundled samples (installed on first open).
fn home() -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::resolve(Some(dir.path().to_path_buf())).unwrap();
    config.python = "python3".into();
    drop(LocalClient::open(config.clone()).unwrap());
    (dir, config)
}

/// The app over `config`; kittest fails the test on any glyph no font has.
fn app(config: Config) -> Harness<'static, FlowdeskApp> {
    Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |cc| FlowdeskApp::new(cc, config, None))
}

#[test]
fn cjk_names_are_drawn_with_an_installed_fallback_font() {
    if !font_for('基', "cjk_names_are_drawn_with_an_installed_fallback_font") {
        return;
    }
    let (_dir, config) = home();
    LocalClient::open(config.clone())
        .unwrap()
        .install(&InstallRequest {
            source: Some(InstallSource::Folder(samples().join("helloworld"))),
            name: Some("基准测试".into()),
            ..Default::default()
        })
        .unwrap();
    // Without a fallback font, laying out the name panics (kittest's missing
    // glyph policy) before the label is ever found.
    let mut harness = app(config);
    select_benchmark(&mut harness, "基准测试");
    harness.get_by_label("New run").click();
    step_until(&mut harness, "the form of the CJK benchmark", |h| {
        has_label(h, "New run of 基准测试")
    });
}

/// Let auto-sized table columns find their widths: a click lands where a
/// widget was drawn last.
fn settle(harness: &mut Harness<'_, FlowdeskApp>) {
    for _ in 0..5 {
        harness.step();
    }
}

fn open_run(harness: &mut Harness<'_, FlowdeskApp>, run: &str) {
    harness.get_by_label("Runs").click();
    step_until(harness, "the run in the table", |h| has_label(h, run));
    harness.get_by_label(run).click();
    harness.step();
    harness.get_by_label("Open selected run").click();
    step_until(harness, "the run detail", |h| {
        has_label_containing(h, &format!("Run {run}"))
    });
}

#[test]
fn a_run_opened_in_one_benchmark_never_shows_in_another() {
    let (_dir, config) = home();
    let run = first_hello_run(&config);
    let mut harness = app(config);
    select_benchmark(&mut harness, HELLO);
    open_run(&mut harness, &run);

    // Another benchmark has no run open: no Run detail tab, nothing of A's run.
    select_benchmark(&mut harness, PREDICTOR);
    for _ in 0..20 {
        harness.step();
    }
    assert!(harness.state().state.run_detail.is_none());
    assert!(!has_label(&harness, "Run detail"));
    assert!(!has_label_containing(&harness, &format!("Run {run}")));

    // Back in A, its run is open again.
    select_benchmark(&mut harness, HELLO);
    step_until(&mut harness, "A's open run to come back", |h| {
        h.state()
            .state
            .run_detail
            .as_ref()
            .is_some_and(|d| d.run.id == run)
            && has_label(h, "Run detail")
    });
    harness.get_by_label("Run detail").click();
    step_until(&mut harness, "A's run detail", |h| {
        has_label_containing(h, &format!("Run {run}"))
    });
}

#[test]
fn sorts_stay_with_their_benchmark() {
    let (_dir, config) = home();
    let run = first_hello_run(&config);
    // The other benchmark needs a run for a table of its own.
    finished_run(
        &config,
        "noisy_estimate_sample",
        serde_json::json!({"samples": 100}),
    );
    let mut harness = app(config);
    select_benchmark(&mut harness, HELLO);

    // Runs sorted by a result column only Hello World has.
    harness.get_by_label("Runs").click();
    step_until(&mut harness, "the run in the table", |h| has_label(h, &run));
    settle(&mut harness);
    harness.get_by_label("Avg. Chars per Line").click();
    step_until(&mut harness, "the runs sort", |h| {
        has_label(h, "Avg. Chars per Line (desc)")
    });
    // And the leaderboard by another of its columns.
    harness.get_by_label("Leaderboard").click();
    step_until(&mut harness, "the leaderboard", |h| {
        has_label(h, "Max. Output Line")
    });
    settle(&mut harness);
    harness.get_by_label("Max. Output Line").click();
    step_until(&mut harness, "the leaderboard sort", |h| {
        has_label(h, "Max. Output Line (desc)")
    });

    // The other benchmark keeps its own (default) orders.
    select_benchmark(&mut harness, NOISY);
    for _ in 0..20 {
        harness.step();
    }
    let persisted = &harness.state().state.persisted;
    assert_eq!(persisted.runs.column, "created");
    assert_eq!(persisted.leaderboard.column, None);
    harness.get_by_label("Runs").click();
    step_until(&mut harness, "the runs table of the other benchmark", |h| {
        has_label(h, "Created (desc)")
    });
    assert!(!has_label_containing(&harness, "(asc)"));
    assert_eq!(
        harness.query_all_by_label_contains("(desc)").count(),
        1,
        "only the default order is marked"
    );

    // Back in Hello World, both of its orders come back.
    select_benchmark(&mut harness, HELLO);
    harness.get_by_label("Runs").click();
    step_until(&mut harness, "the runs sort to come back", |h| {
        has_label(h, "Avg. Chars per Line (desc)")
    });
    harness.get_by_label("Leaderboard").click();
    step_until(&mut harness, "the leaderboard sort to come back", |h| {
        has_label(h, "Max. Output Line (desc)")
    });
    let query = harness.state().state.persisted.leaderboard.order();
    assert_eq!(query.len(), 1);
    assert_eq!(query[0].name, "max_len");
}

#[test]
fn the_preview_follows_the_form_and_a_rerun() {
    let (_dir, config) = home();
    // A run with its own greeting, to load with Re-run later.
    let run = {
        let client = LocalClient::open(config.clone()).unwrap();
        let mut arguments = serde_json::Map::new();
        arguments.insert("sleeptime".into(), 0.into());
        arguments.insert("greeting".into(), "Salut".into());
        let run = client
            .start_run(&RunRequest {
                benchmark: "hello_world_sample".into(),
                arguments,
                ..Default::default()
            })
            .unwrap();
        client.wait(&run.id).unwrap();
        run.id
    };
    let mut harness = app(config);
    select_benchmark(&mut harness, HELLO);
    harness.get_by_label("New run").click();
    step_until(&mut harness, "the form", |h| {
        h.query_by_role_and_label(Role::TextInput, "Greeting")
            .is_some()
    });
    harness
        .get_by_role_and_label(Role::Button, "Preview")
        .click();
    step_until(&mut harness, "the preview of the defaults", |h| {
        has_label_containing(h, "--greeting \"Hello\"")
    });

    // An edit: the preview follows without another click on Preview.
    set_text(&mut harness, "Greeting", "Bonjour");
    step_until(&mut harness, "the preview of the edited greeting", |h| {
        has_label_containing(h, "--greeting \"Bonjour\"")
    });
    assert!(!has_label_containing(&harness, "--greeting \"Hello\""));

    // A Re-run loads the run's arguments, and the preview shows them.
    harness.get_by_label("Runs").click();
    step_until(&mut harness, "the run in the table", |h| has_label(h, &run));
    harness.get_by_label(&run).click();
    harness.step();
    harness
        .get_by_role_and_label(Role::Button, "Re-run")
        .click();
    step_until(&mut harness, "the preview of the re-run's arguments", |h| {
        has_label_containing(h, "--greeting \"Salut\"")
    });
    assert!(!has_label_containing(&harness, "--greeting \"Bonjour\""));
    // Once it shows the form, nothing keeps repainting.
    assert!(harness.try_run().is_ok(), "the preview keeps repainting");
}

/// A successful run of the Hello World sample, made before the window opens.
fn first_hello_run(config: &Config) -> String {
    finished_hello_runs(config, 1).remove(0)
}

#[test]
fn settings_are_saved_and_applied_as_they_change() {
    let (dir, config) = home();
    let settings_file = dir.path().join("settings.json");
    let saved = || -> serde_json::Value {
        std::fs::read_to_string(&settings_file)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    };
    let mut harness = app(config);
    select_benchmark(&mut harness, HELLO);
    harness.get_by_label("Settings").click();
    step_until(&mut harness, "the settings", |h| {
        h.query_by_role_and_label(Role::TextInput, "Python interpreter")
            .is_some()
    });
    assert!(
        harness.query_by_label("Save settings").is_none(),
        "nothing to forget to click"
    );

    // Typed, then a pause: saved, and `${python}` of the next run changes
    // without a new start.
    set_text(
        &mut harness,
        "Python interpreter",
        "/opt/elsewhere/bin/python3",
    );
    step_until(&mut harness, "the interpreter saved", |_| {
        saved()["python"] == "/opt/elsewhere/bin/python3"
    });
    step_until(&mut harness, "the saved note", |h| {
        has_label(h, "Saved and applied")
    });
    // Back from Settings through the benchmark list, as a person would.
    select_benchmark(&mut harness, HELLO);
    step_until(&mut harness, "the benchmark's tabs", |h| {
        has_label(h, "New run")
    });
    harness.get_by_label("New run").click();
    step_until(&mut harness, "the form", |h| {
        h.query_by_role_and_label(Role::TextInput, "Greeting")
            .is_some()
    });
    harness
        .get_by_role_and_label(Role::Button, "Preview")
        .click();
    step_until(&mut harness, "the preview with the new interpreter", |h| {
        has_label_containing(h, "/opt/elsewhere/bin/python3 code/helloworld.py")
    });

    // A bad worker configuration is reported where it was typed, at once.
    std::fs::write(
        dir.path().join("workers.yaml"),
        "workers:\n  - name: box\n    type: dockr\nworkflow:\n  img: box\n",
    )
    .unwrap();
    harness.get_by_label("Settings").click();
    step_until(&mut harness, "the settings again", |h| {
        h.query_by_role_and_label(Role::TextInput, "Worker configuration")
            .is_some()
    });
    let workers = dir.path().join("workers.yaml");
    set_text(
        &mut harness,
        "Worker configuration",
        &workers.to_string_lossy(),
    );
    step_until(&mut harness, "the worker configuration error", |h| {
        has_label_containing(h, "unknown type 'dockr'")
    });
    set_text(&mut harness, "Worker configuration", "");
    step_until(&mut harness, "the error gone", |h| {
        !has_label_containing(h, "unknown type 'dockr'") && saved()["worker_config"].is_null()
    });

    // The theme is in settings.json as soon as it is picked, and a new start
    // (which reads no app.ron written since) opens with it.
    let light = harness
        .get_by_role_and_label(Role::Button, "Light")
        .accesskit_node()
        .toggled()
        == Some(egui::accesskit::Toggled::True);
    let other = if light { "Dark" } else { "Light" };
    harness.get_by_label(other).click();
    step_until(&mut harness, "the theme saved", |_| {
        saved()["theme"] == other.to_lowercase()
    });
    // Saving the theme keeps what was saved before it.
    assert_eq!(saved()["python"], "/opt/elsewhere/bin/python3");
    drop(harness);
    std::fs::remove_file(dir.path().join("app.ron")).ok();
    let mut config = Config::resolve(Some(dir.path().to_path_buf())).unwrap();
    config.python = "python3".into();
    // (kittest sets its own theme on the context after the app is made, so
    // the app's choice is read off the Settings screen.)
    let mut harness = app(config);
    select_benchmark(&mut harness, HELLO);
    harness.get_by_label("Settings").click();
    step_until(&mut harness, "the settings after the new start", |h| {
        has_label(h, "Theme")
    });
    let picked = harness.get_by_role_and_label(Role::Button, other);
    assert_eq!(
        picked.accesskit_node().toggled(),
        Some(egui::accesskit::Toggled::True),
        "{other} is the theme after the new start"
    );
}
