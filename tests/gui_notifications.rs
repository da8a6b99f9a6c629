//! Notifications as a participant reads them, driven through egui_kittest by
//! widget labels: a run that ended is named by benchmark, submission and run;
//! a failure says its first error line and opens the run; post-processing says
//! the leaderboard summary was updated; never more than three at once. Real
//! runs of the bundled samples in a temporary home folder.

mod gui_support;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use egui_kittest::Harness;
use flowdesk::client::{Client, InstallRequest, InstallSource, LocalClient};
use flowdesk::config::Config;
use flowdesk::gui::state::Tab;
use flowdesk::gui::FlowdeskApp;
use gui_support::{has_label_containing, select_benchmark, set_text, step_until};

fn app(config: Config) -> Harness<'static, FlowdeskApp> {
    Harness::builder()
        .with_size([1024.0, 700.0])
        .build_eframe(move |cc| FlowdeskApp::new(cc, config, None))
}

/// A home with the bundled samples and the failing feature template.
fn home() -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::resolve(Some(dir.path().to_path_buf())).expect("config");
    config.python = "python3".into();
    let client = LocalClient::open(config.clone()).expect("open the home");
    client
        .install(&InstallRequest {
            source: Some(InstallSource::Folder(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("sample-templates/features/failing"),
            )),
            ..Default::default()
        })
        .expect("install the failing feature sample");
    (dir, config)
}

/// A label's text (egui gives text labels a value, buttons a label).
fn text_of(node: &egui_kittest::Node<'_>) -> Option<String> {
    let node = node.accesskit_node();
    node.label().or_else(|| node.value()).map(|t| t.to_string())
}

/// The "Open" of the newest notification (they are stacked newest first).
fn open_newest(harness: &mut Harness<'_, FlowdeskApp>) {
    let open = harness
        .query_all_by_role_and_label(Role::Button, "Open")
        .next()
        .expect("Open on a notification");
    // A pointer click where the button is drawn, in the frame the
    // notification first appears (it must not move under the pointer).
    open.click();
}

fn dismiss_buttons(harness: &Harness<'_, FlowdeskApp>) -> usize {
    harness
        .query_all_by_role_and_label(Role::Button, "Dismiss")
        .count()
}

#[test]
fn notifications_name_the_run_and_a_failure_opens_it() {
    let (_dir, config) = home();
    let client = LocalClient::open(config.clone()).expect("open the home");
    let mut harness = app(config);
    select_benchmark(&mut harness, "Feature: failing step");
    harness.get_by_label("New run").click();
    step_until(&mut harness, "the form", |h| {
        h.query_by_role_and_label(Role::TextInput, "Error message")
            .is_some()
    });
    set_text(&mut harness, "Error message", "the disk is full");
    harness.get_by_role_and_label(Role::Button, "Run").click();
    step_until(&mut harness, "the failure notification", |h| {
        has_label_containing(h, "Feature: failing step · ") && has_label_containing(h, " failed: ")
    });
    // The table may not have caught up yet; the store has.
    let id = harness.state().state.runs[0].id.clone();
    let run = client.run(&id).expect("the run").run;
    let text = format!(
        "Feature: failing step · {} · run {} failed: ",
        run.submission, run.id
    );
    let toast = harness
        .query_all_by_label_contains(&text)
        .find_map(|n| text_of(&n))
        .unwrap_or_else(|| {
            let all: Vec<_> = harness
                .query_all_by_label_contains(" · ")
                .filter_map(|n| text_of(&n))
                .collect();
            panic!("no notification starting with {text:?}: {all:?}")
        });
    // The first line of what went wrong, not all of it.
    let first = run
        .messages
        .join("\n")
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string();
    assert!(!first.is_empty(), "{run:?}");
    assert_eq!(toast, format!("{text}{first}"));
    assert!(!toast.contains('\n'), "{toast}");

    // Open from the notification: the run's detail, and the notification goes.
    open_newest(&mut harness);
    step_until(&mut harness, "the run detail", |h| {
        h.state()
            .state
            .run_detail
            .as_ref()
            .is_some_and(|d| d.run.id == run.id)
    });
    assert_eq!(harness.state().state.persisted.tab, Tab::RunDetail);
    assert!(!has_label_containing(&harness, &text));
}

#[test]
fn post_processing_says_the_summary_was_updated_and_at_most_three_stack() {
    let (_dir, config) = home();
    let mut harness = app(config);
    select_benchmark(&mut harness, "Hello World (sample)");
    for greeting in ["Hi", "Hey"] {
        harness.get_by_label("New run").click();
        step_until(&mut harness, "the form", |h| {
            h.query_by_role_and_label(Role::TextInput, "Sleep period")
                .is_some()
        });
        set_text(&mut harness, "Sleep period", "0");
        set_text(&mut harness, "Greeting", greeting);
        harness.get_by_role_and_label(Role::Button, "Run").click();
        step_until(&mut harness, "the run in the table", |h| {
            h.state()
                .state
                .runs
                .iter()
                .any(|r| r.arguments["greeting"] == greeting)
        });
        let id = harness
            .state()
            .state
            .runs
            .iter()
            .find(|r| r.arguments["greeting"] == greeting)
            .map(|r| r.id.clone())
            .unwrap_or_default();
        step_until(&mut harness, "the run and its post-processing", |h| {
            has_label_containing(h, &format!("run {id} finished successfully"))
                && has_label_containing(h, "Hello World (sample): leaderboard summary updated")
        });
        assert!(dismiss_buttons(&harness) <= 3);
    }
    // Two runs started, two finished, two summaries: only the newest three.
    assert_eq!(dismiss_buttons(&harness), 3);
    step_until(&mut harness, "the table to show both runs", |h| {
        h.state().state.runs.len() >= 2
    });
    let run = harness
        .state()
        .state
        .runs
        .iter()
        .filter(|r| r.submission_id.is_some())
        .max_by_key(|r| r.created_at)
        .cloned()
        .expect("the runs");
    let text = format!(
        "Hello World (sample) · {} · run {} finished successfully",
        run.submission, run.id
    );
    let shown: Vec<_> = harness
        .query_all_by_label_contains(" · ")
        .filter_map(|n| text_of(&n))
        .collect();
    assert!(has_label_containing(&harness, &text), "{text:?} {shown:?}");
}
