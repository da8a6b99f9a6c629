//! The coordinator's workbench (the Template check screen) driven as a person
//! would, through egui_kittest: open a draft folder, see a lint warning, fill
//! the form participants will see, try-run it without installing it, see the
//! result values and the post-processing, break the scorer's result file and
//! see the schema check name the column, pack the archive — and find nothing
//! of it in the home's benchmarks, runs or leaderboards.

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use egui_kittest::Harness;
use flowdesk::client::{Client, LeaderboardQuery, LocalClient, RunQuery};
use flowdesk::config::Config;
use flowdesk::gui::FlowdeskApp;
use std::path::{Path, PathBuf};

mod gui_support;
use gui_support::{click_button, copy_dir, has_label_containing, set_text, step_until};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-templates")
}

fn try_finished(harness: &Harness<'_, FlowdeskApp>) -> bool {
    harness
        .state()
        .state
        .workbench
        .try_run
        .as_ref()
        .is_some_and(|v| !v.running())
}

#[test]
fn a_coordinator_tries_checks_and_packs_a_draft_without_installing_it() {
    let home = tempfile::tempdir().unwrap();
    let mut config = Config::resolve(Some(home.path().to_path_buf())).unwrap();
    config.python = "python3".into();
    let before = {
        let client = LocalClient::open(config.clone()).unwrap();
        client.benchmarks().unwrap()
    };
    let drafts = tempfile::tempdir().unwrap();
    let folder = drafts.path().join("hello");
    copy_dir(&samples().join("helloworld"), &folder);
    // A parameter no step uses: a lint warning, not an error.
    let spec = folder.join("benchmark.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(
        &spec,
        text.replacen(
            "\nparameters:\n",
            "\nparameters:\n  - name: 'unused'\n    label: 'Unused knob'\n    dtype: 'int'\n    defaultValue: 1\n",
            1,
        ),
    )
    .unwrap();

    let open = folder.clone();
    let mut harness = Harness::builder()
        .with_size([1400.0, 1000.0])
        .build_eframe(move |cc| FlowdeskApp::new(cc, config, Some(open)));
    step_until(&mut harness, "the check", |h| {
        has_label_containing(h, "'Hello World (sample)' is valid")
    });
    assert!(has_label_containing(
        &harness,
        "benchmark.yaml: parameters 'unused': declared but never referenced"
    ));

    // The form participants will see, filled in, and a try run.
    set_text(&mut harness, "Sleep period", "0");
    set_text(&mut harness, "Greeting", "Hi");
    harness
        .get_by_role_and_label(Role::Button, "Try run")
        .click();
    harness.step();
    step_until(&mut harness, "the try run to end", try_finished);
    step_until(&mut harness, "the result values", |h| {
        has_label_containing(h, "Hi Dimitrios!")
    });
    assert!(has_label_containing(&harness, "SUCCESS"));
    assert!(has_label_containing(&harness, "wrote 8 greetings"));
    assert!(has_label_containing(
        &harness,
        "The result file matches the schema."
    ));
    assert!(has_label_containing(
        &harness,
        "Post-processing over the try runs"
    ));
    assert!(has_label_containing(&harness, "results/summary.json"));

    // The scorer writes the wrong shape: the save marks the try stale, the
    // next try fails and the schema check names the column.
    let analyze = folder.join("code/analyze.py");
    let code = std::fs::read_to_string(&analyze).unwrap();
    std::fs::write(&analyze, code.replace("'max_len'", "'max_lne'")).unwrap();
    step_until(&mut harness, "the try run to be marked stale", |h| {
        has_label_containing(h, "The template changed since this try run")
    });
    // The values typed stay in the form.
    assert_eq!(
        harness
            .get_by_role_and_label(Role::TextInput, "Greeting")
            .value()
            .as_deref(),
        Some("Hi")
    );
    harness
        .get_by_role_and_label(Role::Button, "Try run")
        .click();
    harness.step();
    step_until(&mut harness, "the second try run to end", |h| {
        try_finished(h) && !has_label_containing(h, "The template changed since")
    });
    step_until(&mut harness, "the schema check to name the column", |h| {
        has_label_containing(h, "the file has 'max_lne', a typo?")
    });
    assert!(has_label_containing(&harness, "ERROR"));

    // Pack it for participants.
    let archive = drafts.path().join("out/hello.tar.gz");
    std::fs::create_dir_all(archive.parent().unwrap()).unwrap();
    set_text(&mut harness, "Archive", archive.to_str().unwrap());
    click_button(&mut harness, "Pack for participants");
    step_until(&mut harness, "the packed archive", |h| {
        has_label_containing(h, "Packed ")
    });
    assert!(archive.is_file());
    drop(harness);

    // Nothing of it reached the home.
    let config = Config::resolve(Some(home.path().to_path_buf())).unwrap();
    let client = LocalClient::open(config).unwrap();
    assert_eq!(client.benchmarks().unwrap(), before);
    assert!(client.runs(&RunQuery::default()).unwrap().rows.is_empty());
    for benchmark in &before {
        let board = client
            .leaderboard(&LeaderboardQuery {
                benchmark: benchmark.id.clone(),
                ..Default::default()
            })
            .unwrap();
        assert!(board.is_none_or(|b| b.is_empty()), "{}", benchmark.name);
    }
    let left: Vec<_> = std::fs::read_dir(home.path().join("tmp"))
        .map(|entries| entries.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        !left
            .iter()
            .any(|n| n.to_string_lossy().starts_with("workbench-")),
        "{left:?}"
    );
}
