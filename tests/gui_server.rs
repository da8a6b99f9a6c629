//! The desktop app in server mode, driven through egui_kittest by widget
//! labels against the real flowServ server (started on 127.0.0.1 by the
//! tests): add the server, register and sign in, start a run, watch it end,
//! see it on the leaderboard; then the server dies and the last leaderboard
//! stays on screen, marked offline.

mod server;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use egui_kittest::Harness;
use flowdesk::config::Config;
use flowdesk::gui::FlowdeskApp;
use std::time::{Duration, Instant};

fn home() -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::resolve(Some(dir.path().to_path_buf())).unwrap();
    config.python = "python3".into();
    (dir, config)
}

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
        if start.elapsed() > Duration::from_secs(90) {
            panic!("timed out waiting for {what}\n{:#?}", harness.root());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn has_label(harness: &Harness<'_, FlowdeskApp>, label: &str) -> bool {
    harness.query_all_by_label(label).next().is_some()
}

fn has_label_containing(harness: &Harness<'_, FlowdeskApp>, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}

fn set_text(harness: &mut Harness<'_, FlowdeskApp>, label: &str, text: &str) {
    harness
        .get_by_role_and_label(Role::TextInput, label)
        .set_text_value_accesskit(text);
    harness.step();
    harness.step();
}

/// Add `server` through the dialog, registering `user`, and wait until its
/// benchmarks are shown.
fn register(harness: &mut Harness<'_, FlowdeskApp>, server: &server::Server, user: &str) {
    step_until(harness, "the app", |h| has_label(h, "This computer"));
    harness.get_by_label("Add server…").click();
    step_until(harness, "the dialog", |h| {
        h.query_by_role_and_label(Role::TextInput, "Server URL")
            .is_some()
    });
    set_text(harness, "Server URL", &server.url());
    set_text(harness, "User name", user);
    harness
        .get_by_role_and_label(Role::PasswordInput, "Password")
        .set_text_value_accesskit("secret pw");
    harness.step();
    harness.step();
    harness.get_by_label("Register a new user").click();
    harness.step();
    harness
        .get_by_role_and_label(Role::Button, "Register")
        .click();
    step_until(harness, "the server on the list, signed in", |h| {
        has_label(h, &format!("{} ({user})", server.url()))
    });
    step_until(harness, "the server's benchmark", |h| {
        h.state()
            .state
            .detail
            .as_ref()
            .is_some_and(|d| d.benchmark.name == "Hello World")
            && has_label(h, "New run")
    });
}

fn start_run_in_new_submission(harness: &mut Harness<'_, FlowdeskApp>, submission: &str) {
    harness.get_by_label("New run").click();
    step_until(harness, "the form", |h| {
        h.query_by_role_and_label(Role::TextInput, "Sleep period")
            .is_some()
    });
    set_text(harness, "New submission", submission);
    harness
        .get_by_role_and_label(Role::Button, "Create")
        .click();
    step_until(harness, "the submission", |h| {
        h.state()
            .state
            .detail
            .as_ref()
            .is_some_and(|d| d.submissions.iter().any(|s| s.name == submission))
    });
    set_text(harness, "Sleep period", "0");
    step_until(harness, "Run to be enabled", |h| {
        !h.get_by_role_and_label(Role::Button, "Run")
            .accesskit_node()
            .is_disabled()
    });
    harness.get_by_role_and_label(Role::Button, "Run").click();
    harness.step();
}

#[test]
fn sign_in_run_and_leaderboard_on_a_server() {
    let server = server::shared();
    let (_dir, config) = home();
    let mut harness = app(config);
    let user = format!("gui-{}", uuid::Uuid::new_v4().simple());
    register(&mut harness, server, &user);
    assert!(
        has_label_containing(&harness, &format!("signed in as {user}")),
        "the status bar says who is signed in"
    );
    // What only this computer can do is explained, not offered.
    assert!(has_label_containing(
        &harness,
        "installed on the server by its coordinator"
    ));

    // A names file chosen in the form is uploaded to the submission.
    let names = _dir.path().join("gui-names.txt");
    std::fs::write(&names, "Zed\nMaximiliano\n").unwrap();
    harness
        .state_mut()
        .state
        .form
        .push(flowdesk::gui::state::FormRequest::File {
            parameter: "names".into(),
            path: names,
        });
    start_run_in_new_submission(&mut harness, "team gui");
    step_until(&mut harness, "the server run to succeed", |h| {
        has_label(h, "SUCCESS")
    });
    let run = harness.state().state.runs[0].clone();
    assert_eq!(run.submission, "team gui");
    assert_eq!(
        run.value("max_line").map(|v| format!("{v:?}")),
        Some("String(\"Hello Maximiliano!\")".to_string())
    );

    // The run's result file opens in the same viewer, downloaded from the server.
    harness.get_by_label(&run.id).click();
    harness.step();
    harness.get_by_label("Open selected run").click();
    step_until(&mut harness, "the run detail", |h| {
        has_label_containing(h, &format!("Run {}", run.id))
    });
    step_until(&mut harness, "the file list", |h| has_label(h, "greetings"));
    harness.get_by_label("greetings").click();
    step_until(&mut harness, "the downloaded file", |h| {
        has_label_containing(h, "Hello Maximiliano!")
    });

    harness.get_by_label("Leaderboard").click();
    step_until(&mut harness, "the run on the leaderboard", |h| {
        h.state()
            .state
            .leaderboard
            .as_ref()
            .is_some_and(|b| b.rows().any(|r| r.run_id == run.id))
            && has_label(h, "team gui")
    });

    // The Submissions screen shows the members.
    harness.get_by_label("Submissions").click();
    step_until(&mut harness, "the submission with its member", |h| {
        h.query_by_role_and_label(Role::TextInput, "Members of team gui")
            .is_some()
    });

    // Back to this computer: its own benchmarks again.
    harness.get_by_label("This computer").click();
    step_until(&mut harness, "the local samples", |h| {
        has_label(h, "Hello World (sample)")
    });
}

#[test]
fn a_server_that_goes_away_leaves_its_leaderboard_on_screen_marked_offline() {
    let mut server = server::Server::start();
    let (_dir, config) = home();
    let mut harness = app(config);
    register(&mut harness, &server, "olga");
    start_run_in_new_submission(&mut harness, "team olga");
    step_until(&mut harness, "the server run to succeed", |h| {
        has_label(h, "SUCCESS")
    });
    harness.get_by_label("Leaderboard").click();
    step_until(&mut harness, "the leaderboard", |h| {
        has_label(h, "team olga")
    });
    step_until(&mut harness, "the server line", |h| {
        has_label_containing(h, "updated")
    });
    // Right after a new run the server's ranking sometimes comes back empty
    // once (seen in 1 of 4 runs; cause on the server side not found yet):
    // stop it only after a later poll showed the run again, so that what is
    // cached, and shown offline, is the ranking with the run.
    let first = harness.state().state.leaderboard.clone().unwrap();
    step_until(&mut harness, "a later poll of the leaderboard", |h| {
        h.state()
            .state
            .leaderboard
            .as_ref()
            .is_some_and(|b| !std::sync::Arc::ptr_eq(b, &first))
            && has_label(h, "team olga")
    });

    server.stop();
    step_until(&mut harness, "the offline mark", |h| {
        has_label_containing(h, "Offline:")
    });
    assert!(
        has_label(&harness, "team olga"),
        "the last leaderboard is still shown; leaderboard {:?} detail {:?} tab {:?}",
        harness.state().state.leaderboard.as_ref().map(|b| b.len()),
        harness
            .state()
            .state
            .detail
            .as_ref()
            .map(|d| d.benchmark.name.clone()),
        harness.state().state.persisted.tab
    );
}

#[test]
fn a_local_run_is_submitted_to_the_server_from_its_detail() {
    let server = server::shared();
    let (_dir, config) = home();
    let mut harness = app(config);
    let user = format!("gui-submit-{}", uuid::Uuid::new_v4().simple());
    register(&mut harness, server, &user);
    harness.get_by_label("New run").click();
    step_until(&mut harness, "the form", |h| {
        h.query_by_role_and_label(Role::TextInput, "New submission")
            .is_some()
    });
    set_text(&mut harness, "New submission", "team try-here");
    harness
        .get_by_role_and_label(Role::Button, "Create")
        .click();
    step_until(&mut harness, "the submission", |h| {
        h.state()
            .state
            .detail
            .as_ref()
            .is_some_and(|d| !d.submissions.is_empty())
    });

    // Try here.
    harness.get_by_label("This computer").click();
    step_until(&mut harness, "the local samples", |h| {
        has_label(h, "Hello World (sample)")
    });
    harness
        .get_all_by_label("Hello World (sample)")
        .next()
        .unwrap()
        .click();
    step_until(&mut harness, "the local benchmark", |h| {
        h.state()
            .state
            .detail
            .as_ref()
            .is_some_and(|d| d.benchmark.name == "Hello World (sample)")
    });
    harness.get_by_label("New run").click();
    step_until(&mut harness, "the form", |h| {
        h.query_by_role_and_label(Role::TextInput, "Greeting")
            .is_some()
    });
    set_text(&mut harness, "Greeting", "Servus");
    set_text(&mut harness, "Sleep period", "0");
    harness.get_by_role_and_label(Role::Button, "Run").click();
    step_until(&mut harness, "the local run", |h| has_label(h, "SUCCESS"));
    let local = harness.state().state.runs[0].clone();
    harness.get_by_label(&local.id).click();
    harness.step();
    harness.get_by_label("Open selected run").click();
    step_until(&mut harness, "the local run detail", |h| {
        has_label(h, "Submit to server…")
    });

    // Submit there.
    harness.get_by_label("Submit to server…").click();
    step_until(&mut harness, "the submit dialog", |h| {
        h.query_by_role_and_label(
            Role::TextInput,
            "Benchmark there (empty: the same id or name)",
        )
        .is_some()
    });
    set_text(
        &mut harness,
        "Benchmark there (empty: the same id or name)",
        "helloworld",
    );
    harness
        .get_by_role_and_label(Role::Button, "Submit")
        .click();
    step_until(&mut harness, "the server run to succeed", |h| {
        h.state().state.backend.as_deref() == Some(server.url().as_str())
            && h.state().state.runs.iter().any(|r| {
                r.submission == "team try-here" && r.state == flowdesk::model::RunState::Success
            })
    });
    let remote = harness
        .state()
        .state
        .runs
        .iter()
        .find(|r| r.submission == "team try-here")
        .unwrap()
        .clone();
    assert_eq!(
        remote.values, local.values,
        "the same run gives the same results there"
    );
}
