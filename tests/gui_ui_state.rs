//! The desktop app's own state and looks, driven through egui_kittest (widgets
//! found by their labels) against real temporary homes: names in any script
//! are drawn with the system's fallback fonts, UI state stays with its
//! benchmark and its home, and the New run preview follows the form.

mod gui_support;

use egui_kittest::kittest::Queryable as _;
use egui_kittest::Harness;
use flowdesk::client::{Client, InstallRequest, InstallSource, LocalClient};
use flowdesk::config::Config;
use flowdesk::gui::FlowdeskApp;
use gui_support::{font_for, has_label, select_benchmark, step_until};
use std::path::{Path, PathBuf};

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
