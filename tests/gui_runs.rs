//! The Runs table as a desktop user expects it, driven through egui_kittest by
//! widget labels at 1024×700: a click selects one run, Ctrl-click toggles,
//! Shift-click extends; a right-click opens a context menu acting on the row or
//! the selection; deleting several runs asks once, naming how many. Real runs of
//! the Hello World sample in a temporary home folder.

mod gui_support;

use egui::accesskit::Role;
use egui::Modifiers;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use egui_kittest::Harness;
use flowdesk::client::{Client, LocalClient};
use flowdesk::config::Config;
use flowdesk::gui::FlowdeskApp;
use gui_support::{has_label, has_label_containing, home_with_runs, select_benchmark, step_until};

const HELLO: &str = "Hello World (sample)";

fn app(config: Config) -> Harness<'static, FlowdeskApp> {
    Harness::builder()
        .with_size([1024.0, 700.0])
        .build_eframe(move |cc| FlowdeskApp::new(cc, config, None))
}

fn runs_table(harness: &mut Harness<'_, FlowdeskApp>, ids: &[String]) {
    select_benchmark(harness, HELLO);
    harness.get_by_label("Runs").click();
    step_until(harness, "every run in the table", |h| {
        ids.iter().all(|id| has_label(h, id))
    });
    // The table's first frame only measures its columns; let the laid-out
    // frame follow before clicking rows by their position.
    harness.run();
    harness.step();
}

fn selected(harness: &Harness<'_, FlowdeskApp>) -> Vec<String> {
    let mut ids = harness.state().selected_runs().to_vec();
    ids.sort();
    ids
}

fn sorted(ids: &[&String]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    ids.sort();
    ids
}

#[test]
fn clicks_select_ctrl_toggles_and_shift_extends() {
    let (_dir, config, ids) = home_with_runs(3);
    let mut harness = app(config);
    runs_table(&mut harness, &ids);

    harness.get_by_label(&ids[0]).click();
    harness.run();
    assert_eq!(selected(&harness), sorted(&[&ids[0]]));
    // A plain click replaces the selection: Re-run acts on the clicked run.
    harness.get_by_label(&ids[1]).click();
    harness.run();
    assert_eq!(selected(&harness), sorted(&[&ids[1]]));
    assert!(!harness
        .get_by_role_and_label(Role::Button, "Re-run")
        .accesskit_node()
        .is_disabled());

    // Ctrl-click adds, and Compare becomes possible; Ctrl-click again removes.
    harness
        .get_by_label(&ids[0])
        .click_modifiers(Modifiers::COMMAND);
    harness.run();
    assert_eq!(selected(&harness), sorted(&[&ids[0], &ids[1]]));
    assert!(!harness
        .get_by_role_and_label(Role::Button, "Compare")
        .accesskit_node()
        .is_disabled());
    harness
        .get_by_label(&ids[0])
        .click_modifiers(Modifiers::COMMAND);
    harness.run();
    assert_eq!(selected(&harness), sorted(&[&ids[1]]));

    // Shift-click selects the whole range between the last click and this one.
    harness.get_by_label(&ids[0]).click();
    harness.run();
    harness
        .get_by_label(&ids[2])
        .click_modifiers(Modifiers::SHIFT);
    harness.run();
    assert_eq!(selected(&harness), sorted(&[&ids[0], &ids[1], &ids[2]]));
    assert!(has_label(&harness, "Delete 3 runs…"));
}

#[test]
fn the_context_menu_acts_on_the_selection_and_delete_asks_once() {
    let (_dir, config, ids) = home_with_runs(3);
    let client_config = config.clone();
    let mut harness = app(config);
    runs_table(&mut harness, &ids);

    // Right-click on an unselected row selects it alone and offers its actions.
    harness.get_by_label(&ids[2]).click_secondary();
    harness.run();
    assert_eq!(selected(&harness), sorted(&[&ids[2]]));
    for item in ["Open", "Re-run", "Compare with…", "Export…", "Delete…"] {
        assert!(has_label(&harness, item), "context menu item {item}");
    }
    harness.key_press(egui::Key::Escape);
    harness.run();

    // With two selected, the menu compares them and deletes both.
    harness.get_by_label(&ids[0]).click();
    harness.run();
    harness
        .get_by_label(&ids[1])
        .click_modifiers(Modifiers::COMMAND);
    harness.run();
    harness.get_by_label(&ids[1]).click_secondary();
    harness.run();
    assert_eq!(selected(&harness), sorted(&[&ids[0], &ids[1]]));
    // The menu's Compare (the toolbar has one too).
    harness
        .query_all_by_role_and_label(Role::Button, "Compare")
        .last()
        .unwrap()
        .click();
    step_until(&mut harness, "the comparison", |h| {
        has_label(h, "Differences are highlighted.")
    });
    harness.key_press(egui::Key::Escape);
    harness.run();
    harness.get_by_label(&ids[1]).click_secondary();
    harness.run();
    // The menu's item (the toolbar's button says the same).
    harness
        .query_all_by_role_and_label(Role::Button, "Delete 2 runs…")
        .last()
        .unwrap()
        .click();
    step_until(&mut harness, "one confirmation for both", |h| {
        has_label(h, "Delete 2 runs?")
    });
    assert!(has_label_containing(&harness, &ids[0]));
    harness
        .get_by_role_and_label(Role::Button, "Delete")
        .click();
    step_until(&mut harness, "both runs to leave the table", |h| {
        !has_label(h, &ids[0]) && !has_label(h, &ids[1]) && has_label(h, &ids[2])
    });
    let client = LocalClient::open(client_config).unwrap();
    assert!(client.run(&ids[0]).is_err());
    assert!(client.run(&ids[1]).is_err());
    assert!(client.run(&ids[2]).is_ok());
}

#[test]
fn ctrl_and_a_number_open_the_benchmarks_tabs() {
    let (_dir, config, ids) = home_with_runs(1);
    let mut harness = app(config);
    select_benchmark(&mut harness, HELLO);
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::Num3);
    step_until(&mut harness, "the Runs tab", |h| {
        has_label(h, "Open selected run") && has_label(h, &ids[0])
    });
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::Num5);
    step_until(&mut harness, "the Leaderboard tab", |h| {
        h.state().state.persisted.tab == flowdesk::gui::state::Tab::Leaderboard
    });
    // No run is open: Ctrl+4 (Run detail) has nothing to show and does nothing.
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::Num4);
    harness.run();
    assert_eq!(
        harness.state().state.persisted.tab,
        flowdesk::gui::state::Tab::Leaderboard
    );
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::Comma);
    step_until(&mut harness, "the settings", |h| {
        h.state().state.persisted.tab == flowdesk::gui::state::Tab::Settings
    });
}
