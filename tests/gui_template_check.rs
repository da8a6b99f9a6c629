//! The Template check screen's view of a template as participants will meet
//! it, driven through egui_kittest by labels: the instructions rendered as
//! Markdown, the outputs a run offers, the workflow the form's values expand
//! to (following each edit), and installing the checked folder into the home.

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use egui_kittest::Harness;
use flowdesk::client::{Client, LocalClient};
use flowdesk::config::Config;
use flowdesk::gui::FlowdeskApp;
use std::path::{Path, PathBuf};

mod gui_support;
use gui_support::{click_button, copy_dir, has_label, has_label_containing, set_text, step_until};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-templates")
}

/// A fresh home (with the bundled samples) and the app on the Template check
/// screen with a copy of the Hello World sample in folder `name`, checked;
/// `rename` gives the copy another benchmark name.
fn open_hello(
    name: &str,
    rename: Option<&str>,
) -> (
    tempfile::TempDir,
    tempfile::TempDir,
    PathBuf,
    Config,
    Harness<'static, FlowdeskApp>,
) {
    let home = tempfile::tempdir().unwrap();
    let mut config = Config::resolve(Some(home.path().to_path_buf())).unwrap();
    config.python = "python3".into();
    let drafts = tempfile::tempdir().unwrap();
    let folder = drafts.path().join(name);
    copy_dir(&samples().join("helloworld"), &folder);
    if let Some(rename) = rename {
        let manifest = folder.join("flowserv.yaml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        let renamed = text.replace("name: 'Hello World (sample)'", &format!("name: '{rename}'"));
        std::fs::write(&manifest, renamed).unwrap();
    }
    let open = folder.clone();
    let app_config = config.clone();
    let mut harness = Harness::builder()
        .with_size([1400.0, 1000.0])
        .build_eframe(move |cc| FlowdeskApp::new(cc, app_config, Some(open)));
    let valid = format!("'{}' is valid", rename.unwrap_or("Hello World (sample)"));
    step_until(&mut harness, "the check", |h| {
        has_label_containing(h, &valid)
    });
    harness.run();
    harness.step();
    (home, drafts, folder, config, harness)
}

#[test]
fn the_instructions_show_as_markdown_and_the_outputs_are_listed() {
    let (_home, _drafts, _folder, _config, harness) = open_hello("hello", None);

    // Headings and emphasis are rendered, not shown as their markers.
    assert!(has_label(&harness, "Hello World"));
    assert!(has_label(&harness, "What the workflow does"));
    assert!(!has_label_containing(&harness, "# Hello World"));
    assert!(has_label_containing(&harness, "names file"));
    assert!(!has_label_containing(&harness, "**names file**"));

    // What a run offers participants to view, with title, format and caption.
    assert!(has_label_containing(
        &harness,
        "Outputs (offered to participants"
    ));
    for text in [
        "results/greetings.txt",
        "Greetings",
        "plaintext",
        "One greeting per name in the input file.",
        "results/analytics.json",
        "Analytics",
        "json",
    ] {
        assert!(has_label(&harness, text), "no label {text:?}");
    }
}

#[test]
fn the_expanded_workflow_follows_the_form() {
    let (_home, _drafts, _folder, _config, mut harness) = open_hello("hello", None);

    // The declared defaults, with this home's Python.
    step_until(&mut harness, "the expansion of the defaults", |h| {
        has_label_containing(h, "$ python3 code/helloworld.py")
            && has_label_containing(h, "--greeting \"Hello\"")
    });
    assert!(has_label_containing(&harness, "--sleeptime 1 "));
    assert!(has_label_containing(&harness, "1. helloworld"));
    assert!(has_label_containing(
        &harness,
        "$ python3 code/analyze.py --inputfile \"results/greetings.txt\""
    ));

    // An edit: the old command goes at once, the new one follows.
    set_text(&mut harness, "Greeting", "Bonjour");
    assert!(!has_label_containing(&harness, "--greeting \"Hello\""));
    step_until(&mut harness, "the expansion of the edit", |h| {
        has_label_containing(h, "--greeting \"Bonjour\"")
    });
    set_text(&mut harness, "Sleep period", "3");
    step_until(&mut harness, "the expansion of the second edit", |h| {
        has_label_containing(h, "--sleeptime 3 --greeting \"Bonjour\"")
    });

    // A value out of range: what is wrong, and no command.
    set_text(&mut harness, "Sleep period", "42");
    step_until(&mut harness, "the form's error", |h| {
        has_label_containing(h, "The form has errors")
    });
    assert!(has_label_containing(&harness, "Sleep period: "));
    assert!(!has_label_containing(
        &harness,
        "$ python3 code/helloworld.py"
    ));

    // Fixed again, the workflow is back.
    set_text(&mut harness, "Sleep period", "0");
    step_until(&mut harness, "the expansion after the fix", |h| {
        has_label_containing(h, "--sleeptime 0 --greeting \"Bonjour\"")
    });
    assert!(!has_label_containing(&harness, "The form has errors"));
}

/// Whether the benchmark list on the left shows a benchmark named `name`.
fn listed(harness: &Harness<'_, FlowdeskApp>, name: &str) -> bool {
    harness
        .state()
        .state
        .benchmarks
        .iter()
        .any(|b| b.name == name)
        && has_label(harness, name)
}

#[test]
fn install_puts_the_checked_folder_into_the_home_and_a_taken_name_offers_the_next() {
    let (home, _drafts, _folder, _config, mut harness) = open_hello("draft", Some("Hello Draft"));
    step_until(&mut harness, "the bundled samples", |h| {
        listed(h, "Hello World (sample)")
    });
    assert!(!listed(&harness, "Hello Draft"));

    click_button(&mut harness, "Install");
    step_until(&mut harness, "the installed draft in the list", |h| {
        listed(h, "Hello Draft")
    });
    step_until(&mut harness, "the success notification", |h| {
        has_label_containing(h, "Installed 'Hello Draft'")
    });

    // Installed again from the Template check: the name is taken, and the
    // next free one is one click away.
    harness
        .get_by_role_and_label(Role::Button, "Template check")
        .click();
    harness.step();
    step_until(&mut harness, "the Template check screen", |h| {
        h.query_by_role_and_label(Role::Button, "Install").is_some()
    });
    click_button(&mut harness, "Install");
    step_until(&mut harness, "the name clash", |h| {
        has_label_containing(h, "A benchmark named 'Hello Draft' is already installed")
    });
    harness.run();
    harness.step();
    let name = harness
        .state()
        .state
        .name_clash
        .as_ref()
        .map(|c| c.suggestion.clone())
        .unwrap();
    assert_ne!(name, "Hello Draft");
    harness
        .get_by_role_and_label(Role::Button, &format!("Install as '{name}'"))
        .click();
    harness.step();
    step_until(&mut harness, "the second install in the list", |h| {
        listed(h, &name)
    });
    drop(harness);

    // Both are in the home, installed from the draft folder.
    let config = Config::resolve(Some(home.path().to_path_buf())).unwrap();
    let client = LocalClient::open(config).unwrap();
    let names: Vec<String> = client
        .benchmarks()
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert!(names.iter().any(|n| n == "Hello Draft"), "{names:?}");
    assert!(names.iter().any(|n| n == &name), "{names:?}");
}
