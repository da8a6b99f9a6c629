//! The layout at 1024×700, driven through egui_kittest by widget labels: every
//! toolbar button of Runs is inside the window and works, wide tables scroll
//! sideways, columns can be hidden (and stay hidden for their benchmark only),
//! the empty Progress column takes no room, and Run detail's side panel stays
//! bounded when Provenance opens, with the log toolbar on one line. Real runs
//! of the Hello World sample in a temporary home folder.

mod gui_support;

use egui::accesskit::Role;
use egui::Modifiers;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use egui_kittest::Harness;
use flowdesk::config::Config;
use flowdesk::gui::FlowdeskApp;
use gui_support::{
    finished_run, has_label, has_label_containing, home_with_runs, select_benchmark, set_text,
    step_until,
};

const HELLO: &str = "Hello World (sample)";
const NOISY: &str = "Noisy Estimate (sample)";
const WIDTH: f32 = 1024.0;
const HEIGHT: f32 = 700.0;

fn app(config: Config) -> Harness<'static, FlowdeskApp> {
    Harness::builder()
        .with_size([WIDTH, HEIGHT])
        .build_eframe(move |cc| FlowdeskApp::new(cc, config, None))
}

/// Let a table that just appeared lay itself out: its first frame only
/// measures columns, so rects seen then are stale.
fn settle(harness: &mut Harness<'_, FlowdeskApp>) {
    harness.run();
    harness.step();
}

fn runs_table(harness: &mut Harness<'_, FlowdeskApp>, ids: &[String]) {
    select_benchmark(harness, HELLO);
    harness.get_by_label("Runs").click();
    step_until(harness, "every run in the table", |h| {
        ids.iter().all(|id| has_label(h, id))
    });
    settle(harness);
}

fn inside_window(rect: egui::Rect) -> bool {
    rect.min.x >= 0.0 && rect.min.y >= 0.0 && rect.max.x <= WIDTH && rect.max.y <= HEIGHT
}

/// The header button of a table column (its label, maybe with a sort arrow).
fn header_rect(harness: &Harness<'_, FlowdeskApp>, label: &str) -> Option<egui::Rect> {
    harness
        .query_all_by_role_and_label(Role::Button, label)
        .next()
        .map(|node| node.rect())
}

#[test]
fn every_runs_toolbar_button_is_inside_the_window_and_works() {
    let (_dir, config, ids) = home_with_runs(2);
    let mut harness = app(config);
    runs_table(&mut harness, &ids);
    harness.get_by_label(&ids[0]).click();
    harness.run();
    harness
        .get_by_label(&ids[1])
        .click_modifiers(Modifiers::COMMAND);
    harness.run();

    for label in [
        "Open selected run",
        "Cancel run",
        "Delete 2 runs…",
        "Re-run",
        "Export…",
        "Compare",
        "Columns",
    ] {
        let rect = harness.get_by_role_and_label(Role::Button, label).rect();
        assert!(
            inside_window(rect),
            "{label} at {rect:?} is outside the {WIDTH}×{HEIGHT} window"
        );
    }
    // The last ones, off-screen before, do what they say.
    harness
        .get_by_role_and_label(Role::Button, "Compare")
        .click();
    step_until(&mut harness, "the comparison", |h| {
        has_label(h, "Differences are highlighted.")
    });
    harness.key_press(egui::Key::Escape);
    harness.run();
    harness.get_by_label(&ids[0]).click();
    harness.run();
    assert!(!harness
        .get_by_role_and_label(Role::Button, "Export…")
        .accesskit_node()
        .is_disabled());
}

#[test]
fn the_runs_table_scrolls_sideways_to_its_last_column() {
    let (_dir, config, ids) = home_with_runs(1);
    let mut harness = app(config);
    runs_table(&mut harness, &ids);
    // Hello World's last result column does not fit beside the others at 1024 px.
    let before = header_rect(&harness, "Longest Output").unwrap();
    assert!(before.max.x > WIDTH, "{before:?} fits already");
    harness
        .get_by_role_and_label(Role::Button, "Longest Output")
        .scroll_to_me();
    settle(&mut harness);
    let after = header_rect(&harness, "Longest Output").unwrap();
    assert!(inside_window(after), "{after:?} is still cut off");
    // The run's row scrolled with its header.
    assert!(has_label(&harness, "Hello Dimitrios!"));
}

#[test]
fn hidden_columns_stay_hidden_for_their_benchmark_only() {
    let (_dir, config, ids) = home_with_runs(1);
    // A run of another benchmark, for a table of its own.
    finished_run(
        &config,
        "noisy_estimate_sample",
        serde_json::json!({"samples": 100}),
    );
    let mut harness = app(config);
    runs_table(&mut harness, &ids);
    assert!(header_rect(&harness, "Created (desc)").is_some());
    harness.get_by_label("Columns").click();
    harness.run();
    // One box per column but state and run id, which say what a row is.
    assert!(has_label(&harness, "Avg. Chars per Line"));
    assert!(!harness
        .query_all_by_role_and_label(Role::CheckBox, "State")
        .any(|_| true));
    harness
        .get_by_role_and_label(Role::CheckBox, "Created")
        .click();
    settle(&mut harness);
    // The menu stays open for more boxes; the column is gone.
    assert!(has_label(&harness, "Avg. Chars per Line"));
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);
    assert!(header_rect(&harness, "Created (desc)").is_none());
    assert!(has_label(&harness, &ids[0]));

    // Another benchmark shows all its columns.
    select_benchmark(&mut harness, NOISY);
    harness.get_by_label("Runs").click();
    step_until(&mut harness, "the other benchmark's table", |h| {
        header_rect(h, "Created (desc)").is_some()
    });

    // Back: the column is hidden again, and the choice is in the state kept
    // for a restart.
    select_benchmark(&mut harness, HELLO);
    harness.get_by_label("Runs").click();
    step_until(&mut harness, "the run in the table", |h| {
        has_label(h, &ids[0])
    });
    settle(&mut harness);
    assert!(header_rect(&harness, "Created (desc)").is_none());
    let persisted = &harness.state().state.persisted;
    assert_eq!(persisted.hidden_columns.runs, ["created"]);
}

#[test]
fn leaderboard_columns_can_be_hidden_and_it_scrolls_sideways() {
    let (_dir, config, _ids) = home_with_runs(1);
    let mut harness = app(config);
    select_benchmark(&mut harness, HELLO);
    harness.get_by_label("Leaderboard").click();
    step_until(&mut harness, "the leaderboard's entry", |h| {
        has_label(h, "Hello Dimitrios!")
    });
    settle(&mut harness);
    // Its last column does not fit at 1024 px: scroll to it.
    let before = harness.get_by_label("Badges").rect();
    assert!(before.max.x > WIDTH, "{before:?} fits already");
    harness.get_by_label("Badges").scroll_to_me();
    settle(&mut harness);
    let after = harness.get_by_label("Badges").rect();
    assert!(inside_window(after), "{after:?} is still cut off");
    let rect = harness
        .get_by_role_and_label(Role::Button, "Columns")
        .rect();
    assert!(inside_window(rect), "{rect:?}");
    harness
        .get_by_role_and_label(Role::Button, "Columns")
        .click();
    harness.run();
    harness
        .get_by_role_and_label(Role::CheckBox, "Longest Output")
        .click();
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);
    assert!(!has_label(&harness, "Hello Dimitrios!"));
    assert_eq!(
        harness.state().state.persisted.hidden_columns.leaderboard,
        ["max_line"]
    );
}

#[test]
fn the_progress_column_takes_room_only_while_a_run_is_active() {
    let (_dir, config, ids) = home_with_runs(1);
    let mut harness = app(config);
    runs_table(&mut harness, &ids);
    assert!(!has_label(&harness, "Progress"), "no run is active");

    // A slow run (a second per greeting) from New run.
    harness.get_by_label("New run").click();
    step_until(&mut harness, "the form", |h| has_label(h, "Sleep period"));
    set_text(&mut harness, "Sleep period", "10");
    harness.get_by_role_and_label(Role::Button, "Run").click();
    step_until(&mut harness, "the run to start", |h| {
        h.state().state.runs.iter().any(|r| r.state.is_active())
    });
    harness.get_by_label("Runs").click();
    step_until(&mut harness, "the Progress column", |h| {
        has_label(h, "Progress")
    });
    let active = harness
        .state()
        .state
        .runs
        .iter()
        .find(|r| r.state.is_active())
        .map(|r| r.id.clone())
        .unwrap();
    // A spinner repaints while the run is active: step, not run to rest.
    for _ in 0..3 {
        harness.step();
    }
    harness.get_by_label(&active).click();
    harness.step();
    harness.step();
    harness
        .get_by_role_and_label(Role::Button, "Cancel run")
        .click();
    step_until(&mut harness, "the Progress column to go", |h| {
        !h.state().state.runs.iter().any(|r| r.state.is_active()) && !has_label(h, "Progress")
    });
}

#[test]
fn provenance_keeps_the_side_panel_bounded_and_the_log_toolbar_on_one_line() {
    let (_dir, config, ids) = home_with_runs(1);
    let mut harness = app(config);
    runs_table(&mut harness, &ids);
    harness.get_by_label(&ids[0]).click();
    harness.run();
    harness.get_by_label("Open selected run").click();
    step_until(&mut harness, "the provenance section", |h| {
        has_label(h, "Provenance") && has_label(h, "Search log")
    });
    harness.get_by_label("Provenance").click();
    step_until(&mut harness, "the provenance", |h| {
        has_label(h, "Template hash")
    });
    settle(&mut harness);

    // The side panel starts at its Timeline heading: at most 45 % of the
    // window, and clear of the log toolbar.
    let panel_left = harness.get_by_label("Timeline").rect().min.x;
    assert!(
        WIDTH - panel_left <= 0.45 * WIDTH,
        "the side panel is {} wide",
        WIDTH - panel_left
    );
    let search = harness.get_by_label("Search log").rect();
    let follow = harness.get_by_label("Follow").rect();
    let next = harness.get_by_label("Next match").rect();
    // One line: "Search log" is not broken, and the last control sits on
    // the row of the first.
    let line = harness.get_by_label("Follow").rect().height() + 4.0;
    assert!(search.height() <= line, "Search log is {search:?}");
    // The menu that holds the rest (timestamps, step filter, copy).
    let options = harness
        .query_by_label("Log options")
        .map(|n| n.rect())
        .unwrap_or(egui::Rect::NOTHING);
    for (name, rect) in [("Next match", next), ("Log options", options)] {
        assert!(
            (rect.center().y - follow.center().y).abs() < 4.0,
            "{name} at {rect:?}, Follow at {follow:?}"
        );
        assert!(
            rect.max.x <= panel_left,
            "{name} at {rect:?} under the panel"
        );
    }
    // A provenance file name is one line: cut short, whole on hover.
    let names: Vec<egui::Rect> = harness
        .query_all_by_label("data/names.txt")
        .map(|n| n.rect())
        .collect();
    assert!(
        names.iter().all(|r| r.height() <= line),
        "file names broken over lines: {names:?}"
    );
    assert!(has_label_containing(&harness, "Steps (2)"));
}
