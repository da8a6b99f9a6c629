//! The Runs and Leaderboard tables as a participant reads them, driven through
//! egui_kittest at 1024×700 against real homes and runs: empty states that say
//! what to do next, numbers right-aligned with the decimals their column needs,
//! and parameter labels that do not repeat their unit.

mod gui_support;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use egui_kittest::Harness;
use flowdesk::client::LocalClient;
use flowdesk::config::Config;
use flowdesk::gui::FlowdeskApp;
use gui_support::{click_button, finished_run, has_label, select_benchmark, step_until};
use std::path::Path;

const HELLO: &str = "Hello World (sample)";

fn app(config: Config, open: Option<std::path::PathBuf>) -> Harness<'static, FlowdeskApp> {
    Harness::builder()
        .with_size([1024.0, 700.0])
        .build_eframe(move |cc| FlowdeskApp::new(cc, config, open))
}

fn fresh_home() -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::resolve(Some(dir.path().to_path_buf())).unwrap();
    config.python = "python3".into();
    drop(LocalClient::open(config.clone()).unwrap());
    (dir, config)
}

#[test]
fn empty_runs_and_leaderboard_say_how_to_start_a_run() {
    let (_dir, config) = fresh_home();
    let mut harness = app(config, None);
    select_benchmark(&mut harness, HELLO);
    harness.get_by_label("Runs").click();
    step_until(&mut harness, "the empty Runs tab", |h| {
        has_label(h, "No runs yet — start one")
    });
    click_button(&mut harness, "Start a run");
    step_until(&mut harness, "the New run form", |h| {
        h.query_by_role_and_label(Role::TextInput, "Greeting")
            .is_some()
    });

    harness.get_by_label("Leaderboard").click();
    step_until(&mut harness, "the empty leaderboard", |h| {
        has_label(h, "Nothing ranked yet")
    });
    click_button(&mut harness, "Start a run");
    step_until(&mut harness, "the New run form again", |h| {
        h.query_by_role_and_label(Role::TextInput, "Greeting")
            .is_some()
    });
}

/// Labels of the table cells that hold a decimal number, with their rects.
fn decimal_cells(harness: &Harness<'_, FlowdeskApp>) -> Vec<(String, egui::Rect)> {
    harness
        .query_all_by_role(Role::Label)
        .filter_map(|node| {
            let text = node.accesskit_node().value()?.to_string();
            let (whole, fraction) = text.split_once('.')?;
            let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
            (digits(whole) && digits(fraction)).then(|| (text, node.rect()))
        })
        .collect()
}

#[test]
fn numbers_are_right_aligned_with_the_decimals_their_column_needs() {
    let (_dir, config) = fresh_home();
    // Greetings of different lengths give averages with different decimals.
    for greeting in ["Hi", "Good morning"] {
        finished_run(
            &config,
            "hello_world_sample",
            serde_json::json!({"sleeptime": 0, "greeting": greeting}),
        );
    }
    let mut harness = app(config, None);
    select_benchmark(&mut harness, HELLO);
    for tab in ["Leaderboard", "Runs"] {
        harness.get_by_label(tab).click();
        if tab == "Leaderboard" {
            // Both runs are of one submission: rank them all.
            step_until(&mut harness, "the leaderboard", |h| {
                has_label(h, "All runs")
            });
            harness.get_by_label("All runs").click();
        }
        step_until(&mut harness, "two averages in the table", |h| {
            decimal_cells(h).len() >= 2
        });
        harness.run();
        harness.step();
        let cells = decimal_cells(&harness);
        let decimals: Vec<usize> = cells
            .iter()
            .map(|(text, _)| text.split_once('.').map_or(0, |(_, f)| f.len()))
            .collect();
        assert!(
            decimals.windows(2).all(|w| w[0] == w[1]),
            "{tab}: one number of decimals per column: {cells:?}"
        );
        let right: Vec<f32> = cells.iter().map(|(_, rect)| rect.max.x).collect();
        assert!(
            right.windows(2).all(|w| (w[0] - w[1]).abs() < 1.0),
            "{tab}: the averages end at the same x: {cells:?}"
        );
    }
}

#[test]
fn a_label_that_names_its_unit_is_not_repeated_in_the_template_check() {
    let (_dir, config) = fresh_home();
    let slow = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-templates/features/slow");
    let mut harness = app(config, Some(slow));
    step_until(&mut harness, "the checked template's parameters", |h| {
        has_label(h, "Duration (seconds)")
    });
    assert!(!has_label(&harness, "Duration (seconds) (seconds)"));
}

#[test]
fn the_light_theme_outlines_text_fields() {
    let (_dir, config) = fresh_home();
    let harness = app(config, None);
    let light = harness.ctx.style_of(egui::Theme::Light);
    let visuals = &light.visuals;
    let stroke = visuals.widgets.inactive.bg_stroke;
    assert!(stroke.width >= 1.0, "{stroke:?}");
    // The outline stands out from the panel the form is on.
    let panel = visuals.panel_fill;
    let gap = |a: u8, b: u8| (i16::from(a) - i16::from(b)).abs();
    assert!(
        gap(stroke.color.r(), panel.r()) >= 40,
        "outline {:?} on panel {panel:?}",
        stroke.color
    );
    assert_ne!(visuals.text_edit_bg_color(), panel);
}

#[test]
fn the_run_detail_shows_arguments_by_label_and_a_file_by_its_name() {
    let (dir, config) = fresh_home();
    let names = dir.path().join("my names.txt");
    std::fs::write(&names, "Ana\nBo\n").unwrap();
    let run = finished_run(
        &config,
        "hello_world_sample",
        serde_json::json!({
            "sleeptime": 0,
            "names": {"value": names.to_string_lossy(), "as": "data/names.txt"},
        }),
    );
    let mut harness = app(config, None);
    select_benchmark(&mut harness, HELLO);
    harness.get_by_label("Runs").click();
    step_until(&mut harness, "the run", |h| has_label(h, &run));
    harness.run();
    harness.step();
    harness.get_by_label(&run).click();
    harness.step();
    click_button(&mut harness, "Open selected run");
    step_until(&mut harness, "the run detail", |h| {
        has_label(h, "my names.txt as data/names.txt")
    });
    assert!(has_label(&harness, "Input file"), "the parameter's label");
    assert!(has_label(&harness, "Sleep period"));
    assert!(!has_label(&harness, "sleeptime"), "not its name");
    // In the form's order: names, then the sleep period (the run's arguments
    // came the other way round).
    // A grid sizes its rows from the frame before: let the layout settle.
    harness.run();
    let top = |label: &str| harness.get_by_label(label).rect().top();
    assert!(top("Input file") < top("Sleep period"));
}
