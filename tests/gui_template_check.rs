//! The Template check screen's view of a template as participants will meet
//! it, driven through egui_kittest by labels: the instructions rendered as
//! Markdown, the outputs a run offers, the workflow the form's values expand
//! to (following each edit), and installing the checked folder into the home.

use egui_kittest::Harness;
use flowdesk::config::Config;
use flowdesk::gui::FlowdeskApp;
use std::path::{Path, PathBuf};

mod gui_support;
use gui_support::{copy_dir, has_label, has_label_containing, step_until};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-templates")
}

/// A fresh home (with the bundled samples) and the app on the Template check
/// screen with a copy of the Hello World sample, checked.
fn open_hello(
    name: &str,
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
    let open = folder.clone();
    let app_config = config.clone();
    let mut harness = Harness::builder()
        .with_size([1400.0, 1000.0])
        .build_eframe(move |cc| FlowdeskApp::new(cc, app_config, Some(open)));
    step_until(&mut harness, "the check", |h| {
        has_label_containing(h, "'Hello World (sample)' is valid")
    });
    harness.run();
    harness.step();
    (home, drafts, folder, config, harness)
}

#[test]
fn the_instructions_show_as_markdown_and_the_outputs_are_listed() {
    let (_home, _drafts, _folder, _config, harness) = open_hello("hello");

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
