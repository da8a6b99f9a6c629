//! The New run form and the empty states at 1024×700, driven through
//! egui_kittest by widget labels: help texts under their fields, a file path
//! with no file flagged before Run (and the flag gone once the file is
//! there), the Submission label before its drop-down, New run offered on the
//! Overview of a benchmark nobody ran yet, a benchmark filter that matches
//! nothing saying so, and an empty home saying how to install something. Real sample templates in a temporary home.

mod gui_support;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use egui_kittest::Harness;
use flowdesk::client::{Client as _, LocalClient};
use flowdesk::config::Config;
use flowdesk::gui::state::Tab;
use flowdesk::gui::FlowdeskApp;
use gui_support::{
    has_label, has_label_containing, home_with_runs, select_benchmark, set_text, step_until,
};

const HELLO: &str = "Hello World (sample)";
const WIDTH: f32 = 1024.0;
const HEIGHT: f32 = 700.0;

/// A home folder nobody used yet: the app installs the samples on start.
fn fresh_home() -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::resolve(Some(dir.path().to_path_buf())).unwrap();
    config.python = "python3".into();
    (dir, config)
}

fn app(config: Config) -> Harness<'static, FlowdeskApp> {
    Harness::builder()
        .with_size([WIDTH, HEIGHT])
        .build_eframe(move |cc| FlowdeskApp::new(cc, config, None))
}

/// The New run form of the Hello World sample.
fn new_run_form(harness: &mut Harness<'_, FlowdeskApp>) {
    select_benchmark(harness, HELLO);
    harness.get_by_label("New run").click();
    step_until(harness, "the form", |h| {
        h.query_by_role_and_label(Role::TextInput, "Sleep period")
            .is_some()
    });
    harness.run();
    harness.step();
}

fn run_disabled(harness: &Harness<'_, FlowdeskApp>) -> bool {
    harness
        .get_by_role_and_label(Role::Button, "Run")
        .accesskit_node()
        .is_disabled()
}

#[test]
fn help_texts_show_under_their_fields() {
    let (_dir, config) = fresh_home();
    let mut harness = app(config);
    new_run_form(&mut harness);
    for (field, help) in [
        (
            "Sleep period",
            "Delay after each greeting, in tenths of a second.",
        ),
        (
            "Input file",
            "Text file with one person name per line (default: the names file shipped with the benchmark).",
        ),
    ] {
        let input = harness.get_by_role_and_label(Role::TextInput, field).rect();
        let text = harness.get_by_role_and_label(Role::Label, help).rect();
        assert!(
            text.min.y >= input.max.y && text.min.y - input.max.y < 40.0,
            "{field}: the help {text:?} should be right under the field {input:?}"
        );
        assert!(
            (text.min.x - input.min.x).abs() < 2.0,
            "{field}: the help {text:?} should start where the field {input:?} does"
        );
        assert!(
            text.max.x <= WIDTH,
            "{field}: the help {text:?} should wrap inside the window"
        );
    }
}

#[test]
fn a_path_with_no_file_is_flagged_and_keeps_run_disabled() {
    let (dir, config) = fresh_home();
    let mut harness = app(config);
    new_run_form(&mut harness);
    assert!(!run_disabled(&harness), "the defaults are a valid form");

    let absent = dir.path().join("absent").join("names.csv");
    let absent = absent.to_string_lossy().into_owned();
    set_text(&mut harness, "Input file", &absent);
    let error = format!("no file at {absent}");
    step_until(&mut harness, "the missing-file error", |h| {
        has_label(h, &error)
    });
    assert!(
        run_disabled(&harness),
        "Run must wait for a file that is there"
    );
    let input = harness
        .get_by_role_and_label(Role::TextInput, "Input file")
        .rect();
    let shown = harness.get_by_role_and_label(Role::Label, &error).rect();
    assert!(
        shown.min.y >= input.max.y,
        "the error {shown:?} should be under its field {input:?}"
    );

    // A folder is no file either.
    let folder = dir.path().to_string_lossy().into_owned();
    set_text(&mut harness, "Input file", &folder);
    step_until(&mut harness, "the folder error", |h| {
        has_label(h, &format!("{folder} is a folder, not a file"))
    });
    assert!(run_disabled(&harness));

    // A real file: the error goes and Run is offered again.
    let names = dir.path().join("names.txt");
    std::fs::write(&names, "Alice\nBob\n").unwrap();
    set_text(&mut harness, "Input file", &names.to_string_lossy());
    step_until(&mut harness, "the error to go", |h| {
        !has_label_containing(h, "is a folder, not a file")
            && !has_label_containing(h, "no file at")
            && !run_disabled(h)
    });
}

#[test]
fn the_file_made_after_the_error_clears_it() {
    let (dir, config) = fresh_home();
    let mut harness = app(config);
    new_run_form(&mut harness);
    let later = dir.path().join("later.txt");
    let later_text = later.to_string_lossy().into_owned();
    set_text(&mut harness, "Input file", &later_text);
    step_until(&mut harness, "the missing-file error", |h| {
        has_label(h, &format!("no file at {later_text}"))
    });
    // The user writes the file without touching the form.
    std::fs::write(&later, "Carol\n").unwrap();
    step_until(&mut harness, "the error to go", |h| {
        !has_label_containing(h, "no file at") && !run_disabled(h)
    });
}

#[test]
fn the_submission_label_comes_before_its_drop_down() {
    let (_dir, config) = fresh_home();
    let mut harness = app(config);
    new_run_form(&mut harness);
    let label = harness
        .get_by_role_and_label(Role::Label, "Submission")
        .rect();
    let combo = harness
        .get_by_role_and_label(Role::ComboBox, "Submission")
        .rect();
    assert!(
        label.max.x <= combo.min.x,
        "the label {label:?} should be left of the drop-down {combo:?}"
    );
    assert!(
        label.center().y > combo.min.y && label.center().y < combo.max.y,
        "the label {label:?} should be on the drop-down's line {combo:?}"
    );
}

/// The Overview's own "New run…" button (the tab is "New run").
const FIRST_RUN: &str = "New run…";

#[test]
fn a_fresh_overview_offers_new_run_and_it_opens_the_form() {
    let (_dir, config) = fresh_home();
    let mut harness = app(config);
    select_benchmark(&mut harness, HELLO);
    assert_eq!(harness.state().state.persisted.tab, Tab::Overview);
    step_until(&mut harness, "the first-run button", |h| {
        h.query_by_role_and_label(Role::Button, FIRST_RUN).is_some()
    });
    assert!(has_label(&harness, "No runs yet"));
    let button = harness.get_by_role_and_label(Role::Button, FIRST_RUN);
    let rect = button.rect();
    assert!(
        rect.max.y <= HEIGHT && rect.max.x <= WIDTH,
        "the button {rect:?} should be on screen without scrolling"
    );
    button.click();
    step_until(&mut harness, "the New run form", |h| {
        h.state().state.persisted.tab == Tab::NewRun
            && h.query_by_role_and_label(Role::TextInput, "Sleep period")
                .is_some()
    });
}

#[test]
fn an_overview_with_runs_offers_no_first_run() {
    let (_dir, config, _ids) = home_with_runs(1);
    let mut harness = app(config);
    select_benchmark(&mut harness, HELLO);
    step_until(&mut harness, "the runs to load", |h| {
        h.state().state.runs_for.as_deref() == Some("hello_world_sample")
    });
    harness.run();
    assert!(harness
        .query_by_role_and_label(Role::Button, FIRST_RUN)
        .is_none());
    assert!(!has_label(&harness, "No runs yet"));
}

#[test]
fn a_filter_that_matches_nothing_says_so() {
    let (_dir, config) = fresh_home();
    let mut harness = app(config);
    step_until(&mut harness, "the benchmark list", |h| has_label(h, HELLO));
    set_text(&mut harness, "Filter", "xyz");
    step_until(&mut harness, "the empty-filter text", |h| {
        has_label(h, "No benchmark matches 'xyz'")
    });
    assert!(
        harness
            .query_by_role_and_label(Role::Button, HELLO)
            .is_none(),
        "the list should hide what does not match"
    );
    // Back to a filter that matches: the list, and no such text.
    set_text(&mut harness, "Filter", "hello");
    step_until(&mut harness, "the list again", |h| {
        h.query_by_role_and_label(Role::Button, HELLO).is_some()
    });
    assert!(!has_label_containing(&harness, "No benchmark matches"));
}

#[test]
fn with_nothing_installed_the_list_says_how_to_install_one() {
    let (_dir, config) = fresh_home();
    {
        // The samples are installed once; uninstalled, they stay away.
        let client = LocalClient::open(config.clone()).unwrap();
        for benchmark in client.benchmarks().unwrap() {
            client.uninstall(&benchmark.id).unwrap();
        }
    }
    let mut harness = app(config);
    step_until(&mut harness, "the empty list", |h| {
        has_label_containing(h, "No benchmarks installed yet")
    });
    assert!(!has_label_containing(&harness, "No benchmark matches"));
    // The way out is on screen.
    for button in ["From folder…", "From archive…", "From git URL…"] {
        assert!(
            harness
                .query_by_role_and_label(Role::Button, button)
                .is_some(),
            "{button} should be offered"
        );
    }
}
