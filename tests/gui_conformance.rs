//! The desktop app's parts of the flowServ compatibility work, driven through
//! egui_kittest by widget labels against a real home folder: installing a
//! benchmark whose name is taken offers the next free name as one click, and
//! the Overview of a benchmark with a `requirements.txt` creates its own
//! Python environment with a progress bar.

mod common;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use egui_kittest::Harness;
use flowdesk::client::{Client, InstallRequest, InstallSource, LocalClient};
use flowdesk::config::Config;
use flowdesk::gui::FlowdeskApp;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn app(config: Config) -> Harness<'static, FlowdeskApp> {
    Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |cc| FlowdeskApp::new(cc, config, None))
}

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
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "timed out waiting for {what}\n{:#?}",
            harness.root()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn has_label(harness: &Harness<'_, FlowdeskApp>, label: &str) -> bool {
    harness.query_all_by_label(label).next().is_some()
}

fn has_label_containing(harness: &Harness<'_, FlowdeskApp>, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.org")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.org")
        .status()
        .expect("git");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn a_taken_name_is_offered_as_the_next_free_name_in_one_click() {
    // A git repository holding the predictor sample, whose name the bundled
    // one already has.
    let repo = tempfile::tempdir().unwrap();
    let copy = Command::new("cp")
        .arg("-r")
        .arg(common::samples().join("predictor/."))
        .arg(repo.path())
        .status()
        .unwrap();
    assert!(copy.success());
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "template"]);
    let dir = tempfile::tempdir().unwrap();
    let config = Config::resolve(Some(dir.path().to_path_buf())).unwrap();
    let mut harness = app(config);
    step_until(&mut harness, "the bundled samples", |h| {
        has_label(h, "Predictor (sample)")
    });
    harness.get_by_label("From git URL…").click();
    harness.step();
    harness
        .get_by_role_and_label(Role::TextInput, "Git URL")
        .set_text_value_accesskit(&format!("file://{}", repo.path().display()));
    harness.step();
    harness.get_by_label("Clone and install").click();
    step_until(&mut harness, "the offer of the next free name", |h| {
        has_label_containing(
            h,
            "A benchmark named 'Predictor (sample)' is already installed",
        )
    });
    harness
        .get_by_label("Install as 'Predictor (sample) (1)'")
        .click();
    step_until(&mut harness, "the second install", |h| {
        has_label(h, "Predictor (sample) (1)") && !has_label(h, "Name taken")
    });
}

#[test]
fn the_overview_creates_a_benchmarks_environment_with_a_progress_bar() {
    let Some(python) = common::python_without_flowserv("gui environments") else {
        return;
    };
    let files = tempfile::tempdir().unwrap();
    let wheel = files.path().join("tinypkg-0.1-py3-none-any.whl");
    {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&wheel).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        for (name, text) in [
            ("tinypkg/__init__.py", "VALUE = 42\n"),
            (
                "tinypkg-0.1.dist-info/METADATA",
                "Metadata-Version: 2.1\nName: tinypkg\nVersion: 0.1\n",
            ),
            (
                "tinypkg-0.1.dist-info/WHEEL",
                "Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
            ),
            ("tinypkg-0.1.dist-info/RECORD", ""),
        ] {
            zip.start_file(name, options).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
    }
    let template = tempfile::tempdir().unwrap();
    let root = template.path();
    std::fs::write(
        root.join("flowserv.yaml"),
        "name: 'With requirements'\nspecfile: benchmark.yaml\n",
    )
    .unwrap();
    std::fs::write(
        root.join("requirements.txt"),
        // Offline: pip looks at no index; the requirement is a local wheel.
        format!("--no-index\n{}\n", wheel.display()),
    )
    .unwrap();
    std::fs::write(
        root.join("benchmark.yaml"),
        "workflow:\n  steps:\n    - name: main\n      action:\n        environment: e\n        commands: ['${python} -c \"import tinypkg\"']\n",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::resolve(Some(dir.path().to_path_buf())).unwrap();
    config.python = python;
    {
        let client = LocalClient::open(config.clone()).unwrap();
        client
            .install(&InstallRequest {
                source: Some(InstallSource::Folder(root.to_path_buf())),
                ..Default::default()
            })
            .unwrap();
    }
    let mut harness = app(config);
    step_until(&mut harness, "the benchmark list", |h| {
        has_label(h, "With requirements")
    });
    harness
        .get_all_by_label("With requirements")
        .next()
        .unwrap()
        .click();
    step_until(&mut harness, "the environment offer", |h| {
        has_label(h, "Create environment")
    });
    assert!(has_label_containing(
        &harness,
        "This benchmark lists 1 Python requirement (requirements.txt)"
    ));
    harness.get_by_label("Create environment").click();
    let mut saw_progress = false;
    step_until(&mut harness, "the environment to be ready", |h| {
        saw_progress |= h.query_by_role(Role::ProgressIndicator).is_some()
            || has_label(h, "Creating the environment…");
        has_label_containing(h, "Runs use ") && has_label_containing(h, "/env/bin/python")
    });
    assert!(
        saw_progress,
        "no progress was shown while the environment was made"
    );
    assert!(has_label(&harness, "Remove environment"));
}

#[test]
fn the_template_check_shows_what_flowserv_accepts_as_warnings() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("flowserv.yaml"),
        "name: Warned\nspecfile: benchmark.yaml\nfiles:\n  - source: gone\n",
    )
    .unwrap();
    std::fs::write(
        folder.path().join("benchmark.yaml"),
        "workflow:\n  steps:\n    - name: s\n      action: {environment: e, commands: ['true']}\n",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = Config::resolve(Some(dir.path().to_path_buf())).unwrap();
    let path = folder.path().to_path_buf();
    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |cc| FlowdeskApp::new(cc, config, Some(path)));
    step_until(&mut harness, "the check", |h| {
        has_label_containing(h, "'Warned' is valid")
    });
    assert!(has_label(
        &harness,
        "Warning: flowserv.yaml: files[0].source: 'gone' does not exist; nothing is copied for it"
    ));
}
