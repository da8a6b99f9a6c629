//! The REST layer against the real flowServ server (`rob-flask` 0.6.0 with
//! flowserv-core 0.8.1, started by the tests on 127.0.0.1): sign-up and
//! sign-in, benchmarks, submissions, uploads, runs with a file argument,
//! leaderboards equal to a local run's, downloads, cancel, delete, and every
//! failure a person can meet — wrong password, stale token, not a member, a
//! file too large, a server that dies, a URL that is not flowServ.

mod common;
mod server;

use common::{wait_for, Home};
use flowdesk::remote::wire::{Argument, RunHandle};
use flowdesk::remote::{RemoteError, ServerApi, ServerUrl};
use flowdesk::store::cache::CacheStore;
use serde_json::Value;
use server::Server;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

fn url(server: &Server) -> ServerUrl {
    ServerUrl::parse(&server.url()).unwrap()
}

/// A fresh user on `server`, signed in.
fn signed_in(server: &Server, name: &str) -> ServerApi {
    let anonymous = ServerApi::new(url(server), None, None);
    let username = format!("{name}-{}", uuid::Uuid::new_v4().simple());
    anonymous.register(&username, "secret pw").unwrap();
    let user = anonymous.login(&username, "secret pw").unwrap();
    ServerApi::new(url(server), user.token, None).with_user(&username)
}

fn wait_for_end(api: &ServerApi, run: &str, timeout: Duration) -> RunHandle {
    let mut last = None;
    wait_for(&format!("run {run} to end"), timeout, || {
        let handle = api.run(run).unwrap().value;
        let done = !handle.is_active();
        last = Some(handle);
        done
    });
    last.unwrap()
}

#[test]
fn register_login_whoami_logout_and_wrong_credentials() {
    let server = server::shared();
    let anonymous = ServerApi::new(url(server), None, None);
    let username = format!("alice-{}", uuid::Uuid::new_v4().simple());
    let user = anonymous.register(&username, "pw 1").unwrap();
    assert_eq!(user.username, username);

    let taken = anonymous
        .register(&username, "other")
        .unwrap_err()
        .to_string();
    assert!(
        taken.contains("already taken") && taken.contains(&username),
        "{taken}"
    );

    let wrong = anonymous.login(&username, "not it").unwrap_err();
    assert!(
        matches!(wrong, RemoteError::WrongPassword { .. }),
        "{wrong:?}"
    );
    assert!(wrong.to_string().contains("wrong user name or password"));
    let unknown = anonymous.login("nobody-here", "pw").unwrap_err();
    assert!(
        matches!(unknown, RemoteError::WrongPassword { .. }),
        "{unknown:?}"
    );

    let token = anonymous.login(&username, "pw 1").unwrap().token.unwrap();
    let api = ServerApi::new(url(server), Some(token.clone()), None);
    assert_eq!(api.whoami().unwrap().username, username);

    // A token the server never issued, and one it has revoked.
    let bogus = ServerApi::new(url(server), Some("0123456789abcdef".into()), None);
    let error = bogus.whoami().unwrap_err();
    assert!(matches!(error, RemoteError::SignedOut { .. }), "{error:?}");
    assert!(error.to_string().contains("sign in again"), "{error}");
    api.logout().unwrap();
    let error = api.whoami().unwrap_err();
    assert!(error.needs_sign_in(), "{error:?}");
    // Also on a route that answers "not authorized" for stale tokens.
    let error = api.create_group("helloworld", "x", &[]).unwrap_err();
    assert!(matches!(error, RemoteError::SignedOut { .. }), "{error:?}");

    // Signed out altogether.
    let error = anonymous.create_group("helloworld", "x", &[]).unwrap_err();
    assert!(
        matches!(error, RemoteError::NotSignedIn { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("flowdesk login"), "{error}");
}

#[test]
fn benchmarks_are_listed_with_parameters_the_form_can_use() {
    let server = server::shared();
    let api = ServerApi::new(url(server), None, None);
    assert_eq!(api.version().unwrap(), "0.8.1");
    let workflows = api.workflows().unwrap();
    assert!(!workflows.is_offline());
    let ids: Vec<&str> = workflows.value.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(ids, ["helloworld"]);
    let hello = api.workflow("helloworld").unwrap().value;
    assert_eq!(hello.name, "Hello World");
    assert!(hello
        .instructions
        .unwrap_or_default()
        .contains("# Hello World"));
    let parameters: Vec<flowdesk::template::Parameter> = hello
        .parameters
        .iter()
        .enumerate()
        .map(|(i, p)| {
            flowdesk::template::Parameter::from_value(p, &format!("parameters[{i}]"), i).unwrap()
        })
        .collect();
    let names: Vec<&str> = parameters.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["names", "sleeptime", "greeting"]);
    // The server's range text ("[0.0,10.0]") casts like the template's.
    assert!(parameters[1].cast(&Value::from(11)).is_err());
    assert!(parameters[1].cast(&Value::from(3)).is_ok());

    let missing = api.workflow("no_such_benchmark").unwrap_err();
    assert!(
        matches!(missing, RemoteError::NotFound { .. }),
        "{missing:?}"
    );
    assert!(
        missing.to_string().contains("no_such_benchmark"),
        "{missing}"
    );
}

#[test]
fn a_run_with_an_uploaded_names_file_ranks_like_the_same_run_here() {
    let server = server::shared();
    let api = signed_in(server, "runner");
    let group = api.create_group("helloworld", "team rest", &[]).unwrap();
    assert_eq!(group.members.len(), 1);

    let dir = tempfile::tempdir().unwrap();
    let names = dir.path().join("names.txt");
    std::fs::write(&names, "Alice\nBob\nMaximilian\n").unwrap();
    let mut reported = Vec::new();
    let upload = api
        .upload(&group.id, &names, &mut |sent, total| {
            reported.push((sent, total))
        })
        .unwrap();
    assert_eq!(upload.name, "names.txt");
    assert_eq!(reported.last(), Some(&(21, 21)), "progress reached the end");
    let uploads = api.uploads(&group.id).unwrap();
    assert_eq!(uploads.len(), 1);

    let arguments = vec![
        Argument::file("names", &upload.id, Some("data/names.txt")),
        Argument {
            name: "sleeptime".into(),
            value: Value::from(0),
        },
        Argument {
            name: "greeting".into(),
            value: Value::from("Howdy"),
        },
    ];
    let run = api.start_run(&group.id, &arguments).unwrap();
    let run = wait_for_end(&api, &run.id, Duration::from_secs(60));
    assert_eq!(run.state, "SUCCESS", "{:?}", run.messages);
    assert!(run.finished_at.is_some());
    let files: Vec<&str> = run.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(files, ["greetings", "analytics"]);
    let runs = api.runs(&group.id, Some("success")).unwrap().value;
    assert_eq!(runs.len(), 1);
    assert!(api
        .runs(&group.id, Some("RUNNING"))
        .unwrap()
        .value
        .is_empty());

    // The same template, arguments and file, run here.
    let home = Home::new();
    let id = home.sample("Hello World (sample)");
    let (output, local) = home.run_wait(&[
        &id,
        "--arg",
        "sleeptime=0",
        "--arg",
        "greeting=Howdy",
        "--file",
        &format!("names={}", names.display()),
    ]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let ranking = api.leaderboard("helloworld", &[], true).unwrap().value;
    let columns: Vec<&str> = ranking.schema.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(columns, ["avg_count", "max_len", "max_line"]);
    let entry = ranking
        .ranking
        .iter()
        .find(|e| e.run.id == run.id)
        .expect("the run is on the leaderboard");
    assert_eq!(entry.group.name, "team rest");
    for value in &entry.results {
        assert_eq!(
            value.value, local["results"][&value.name],
            "column {} differs from the local run",
            value.name
        );
    }
    assert_eq!(entry.results.len(), 3);

    // Result files and the archive.
    let greetings = run.files.iter().find(|f| f.name == "greetings").unwrap();
    let mut text = Vec::new();
    api.download_run_file(&run.id, &greetings.id, &mut text, dir.path())
        .unwrap();
    assert_eq!(
        String::from_utf8(text).unwrap(),
        "Howdy Alice!\nHowdy Bob!\nHowdy Maximilian!\n"
    );
    let mut archive = Vec::new();
    let bytes = api
        .download_run_archive(&run.id, &mut archive, dir.path())
        .unwrap();
    assert_eq!(bytes as usize, archive.len());
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&archive[..]));
    let mut entries = Vec::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut body = String::new();
        entry.read_to_string(&mut body).unwrap();
        entries.push((path, body));
    }
    assert!(
        entries
            .iter()
            .any(|(path, body)| path.ends_with("greetings.txt") && body.contains("Howdy Bob!")),
        "{entries:?}"
    );

    // Delete: gone from the server.
    api.delete_run(&run.id).unwrap();
    let gone = api.run(&run.id).unwrap_err();
    assert!(matches!(gone, RemoteError::NotFound { .. }), "{gone:?}");
    api.delete_upload(&group.id, &upload.id).unwrap();
    assert!(api.uploads(&group.id).unwrap().is_empty());
}

#[test]
fn a_slow_run_can_be_cancelled() {
    let server = server::shared();
    let api = signed_in(server, "canceller");
    let group = api.create_group("helloworld", "team slow", &[]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let names = server::slow_names(dir.path(), 300);
    let upload = api.upload(&group.id, &names, &mut |_, _| {}).unwrap();
    let run = api
        .start_run(
            &group.id,
            &[
                Argument::file("names", &upload.id, Some("data/names.txt")),
                Argument {
                    name: "sleeptime".into(),
                    value: Value::from(10),
                },
            ],
        )
        .unwrap();
    assert!(run.is_active(), "{}", run.state);
    let running = api.run(&run.id).unwrap().value;
    assert!(
        running.is_active(),
        "{} {:?}",
        running.state,
        running.messages
    );
    let canceled = api.cancel_run(&run.id, Some("changed my mind")).unwrap();
    assert_eq!(canceled.state, "CANCELED");
    let run = api.run(&run.id).unwrap().value;
    assert_eq!(run.state, "CANCELED");
    assert!(
        run.messages.iter().any(|m| m.contains("changed my mind")),
        "{:?}",
        run.messages
    );
    // A finished run cannot be cancelled again; the server says why.
    let error = api.cancel_run(&run.id, None).unwrap_err();
    assert!(matches!(error, RemoteError::Rejected { .. }), "{error:?}");
    assert!(error.to_string().contains("is not active"), "{error}");
}

#[test]
fn only_members_see_a_submission_and_the_error_names_it() {
    let server = server::shared();
    let owner = signed_in(server, "owner");
    let group = owner
        .create_group("helloworld", "private team", &[])
        .unwrap();
    let stranger = signed_in(server, "stranger");
    // The stranger learns the name from the owner's listing in real use; here
    // through the leaderboard-free path: the error still names the id.
    let error = stranger.runs(&group.id, None).unwrap_err();
    assert!(matches!(error, RemoteError::Forbidden { .. }), "{error:?}");
    assert!(
        error.to_string().contains("not a member of submission"),
        "{error}"
    );
    let error = stranger.start_run(&group.id, &[]).unwrap_err().to_string();
    assert!(error.contains("not a member"), "{error}");

    // Members are added by id; then the stranger may see it, by name.
    let stranger_id = stranger.whoami().unwrap().id;
    let owner_id = owner.whoami().unwrap().id;
    let updated = owner
        .update_group(&group.id, None, Some(&[owner_id, stranger_id]))
        .unwrap();
    assert_eq!(updated.members.len(), 2);
    assert_eq!(
        stranger.group(&group.id).unwrap().value.name,
        "private team"
    );
    owner.delete_group(&group.id).unwrap();
    let gone = owner.group(&group.id).unwrap_err();
    assert!(matches!(gone, RemoteError::NotFound { .. }), "{gone:?}");
}

#[test]
fn bad_arguments_and_large_files_are_refused_in_words() {
    let server = server::shared();
    let api = signed_in(server, "limits");
    let group = api.create_group("helloworld", "team limits", &[]).unwrap();
    let error = api
        .start_run(
            &group.id,
            &[Argument {
                name: "sleeptime".into(),
                value: Value::from(99),
            }],
        )
        .unwrap_err();
    assert!(matches!(error, RemoteError::Rejected { .. }), "{error:?}");
    assert!(error.to_string().contains("99 not in"), "{error}");

    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.txt");
    let mut file = std::fs::File::create(&big).unwrap();
    let chunk = vec![b'x'; 1024 * 1024];
    for _ in 0..(server::UPLOAD_LIMIT_MB + 1) {
        file.write_all(&chunk).unwrap();
    }
    drop(file);
    let error = api.upload(&group.id, &big, &mut |_, _| {}).unwrap_err();
    assert!(matches!(error, RemoteError::TooLarge { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("big.txt") && message.contains("too large"),
        "{message}"
    );
}

#[test]
fn a_server_that_dies_leaves_the_last_leaderboard_and_says_why_it_is_old() {
    let mut server = Server::start();
    let home = tempfile::tempdir().unwrap();
    let cache = Arc::new(CacheStore::open(&home.path().join("server-cache.db")).unwrap());
    let anonymous = ServerApi::new(url(&server), None, None);
    anonymous.register("dora", "pw").unwrap();
    let token = anonymous.login("dora", "pw").unwrap().token;
    let api = ServerApi::new(url(&server), token, Some(cache.clone())).with_user("dora");
    let group = api.create_group("helloworld", "team dora", &[]).unwrap();
    let run = api.start_run(&group.id, &[]).unwrap();
    let run = wait_for_end(&api, &run.id, Duration::from_secs(60));
    assert_eq!(run.state, "SUCCESS", "{:?}", run.messages);
    let fresh = api.leaderboard("helloworld", &[], false).unwrap();
    assert!(!fresh.is_offline());
    assert_eq!(fresh.value.ranking.len(), 1);

    server.stop();
    let old = api.leaderboard("helloworld", &[], false).unwrap();
    let reason = old.offline.clone().expect("served from the cache");
    assert!(
        reason.contains("cannot reach") && reason.contains(&format!("127.0.0.1:{}", server.port())),
        "{reason}"
    );
    assert_eq!(old.fetched_at, fresh.fetched_at);
    assert_eq!(old.value.ranking[0].run.id, run.id);
    assert_eq!(
        old.value.ranking[0].results[1].value,
        fresh.value.ranking[0].results[1].value
    );
    let cached_run = api.run(&run.id).unwrap();
    assert!(cached_run.is_offline());
    assert_eq!(cached_run.value.state, "SUCCESS");

    // What needs the server says so.
    let error = api.start_run(&group.id, &[]).unwrap_err();
    assert!(error.is_offline(), "{error:?}");
    assert!(error.to_string().contains("connection refused"), "{error}");
    // A leaderboard never fetched has nothing to fall back on.
    let error = api
        .leaderboard("helloworld", &[("max_len".into(), false)], true)
        .unwrap_err();
    assert!(error.is_offline(), "{error:?}");
}

#[test]
fn a_url_that_is_not_flowserv_or_not_there_is_named() {
    // Something that speaks HTTP but is not flowServ.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { continue };
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let body = "<html><body>Welcome to nginx!</body></html>";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let typed = format!("http://127.0.0.1:{port}/");
    let error = ServerApi::connect(ServerUrl::parse(&typed).unwrap(), None, None)
        .err()
        .expect("not flowServ");
    assert!(
        matches!(error, RemoteError::NotFlowServ { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("is not a flowServ server") && message.contains(&port.to_string()),
        "{message}"
    );

    let closed = server::free_port();
    let error = ServerApi::connect(
        ServerUrl::parse(&format!("http://127.0.0.1:{closed}/flowserv/api/v1")).unwrap(),
        None,
        None,
    )
    .err()
    .expect("nothing listens");
    assert!(error.is_offline(), "{error:?}");
    assert!(
        error.to_string().contains(&format!("127.0.0.1:{closed}")),
        "{error}"
    );

    // The real server, typed without its API path, is found below it.
    let server = server::shared();
    let api = ServerApi::connect(ServerUrl::parse(&server.root()).unwrap(), None, None).unwrap();
    assert_eq!(api.url().key(), server.url());
}

#[test]
fn the_poller_follows_a_run_to_its_end_and_reports_only_changes() {
    use flowdesk::remote::poll::{PollEvent, Poller, Watch};
    let server = server::shared();
    let api = Arc::new(signed_in(server, "poller"));
    let group = api.create_group("helloworld", "team poll", &[]).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let poller = Poller::start(
        api.clone(),
        Arc::new(move |event| {
            let _ = tx.send(event);
        }),
    );
    poller.set_watch(Some(Watch::Group(group.id.clone())));
    let next = || rx.recv_timeout(Duration::from_secs(60)).expect("an event");
    match next() {
        PollEvent::Changed(Watch::Group(id)) => assert_eq!(id, group.id),
        other => panic!("first the watched submission: {other:?}"),
    }
    let run = api.start_run(&group.id, &[]).unwrap();
    poller.follow_run(&run.id);
    // The run is followed to its end; the submission's run list changes.
    let mut ended = None;
    let mut group_changed = false;
    while ended.is_none() || !group_changed {
        match next() {
            PollEvent::RunEnded { id, state } => {
                assert_eq!(id, run.id);
                ended = Some(state);
            }
            PollEvent::Changed(Watch::Group(_)) => group_changed = ended.is_some() || group_changed,
            PollEvent::Run(handle) => assert_eq!(handle.id, run.id),
            PollEvent::Failed { message, .. } => panic!("{message}"),
            PollEvent::Changed(_) | PollEvent::Online => {}
        }
    }
    assert_eq!(ended.as_deref(), Some("SUCCESS"));
    assert!(
        poller.followed().is_empty(),
        "an ended run is no longer polled"
    );
    let status = poller.status();
    assert!(status.last_success.is_some() && status.failure.is_none());
}

#[test]
fn through_the_client_interface_an_unreachable_server_shows_its_last_leaderboard_marked_offline() {
    use flowdesk::client::{Client, ClientError, LeaderboardQuery, RunRequest};
    use flowdesk::remote::RemoteClient;
    let mut server = Server::start();
    let home = tempfile::tempdir().unwrap();
    let credentials = flowdesk::remote::Credentials::new(home.path(), false);
    let anonymous = ServerApi::new(url(&server), None, None);
    anonymous.register("erin", "pw").unwrap();
    let token = anonymous.login("erin", "pw").unwrap().token.unwrap();
    credentials.sign_in(&url(&server), "erin", &token).unwrap();
    let client = RemoteClient::open(home.path(), url(&server), &credentials, None).unwrap();
    assert_eq!(
        client.connection().unwrap().signed_in_as.as_deref(),
        Some("erin")
    );
    client.create_submission("helloworld", "team erin").unwrap();
    let run = client
        .start_run(&RunRequest {
            benchmark: "Hello World".into(),
            arguments: serde_json::from_value(serde_json::json!({"sleeptime": "0"})).unwrap(),
            ..RunRequest::default()
        })
        .unwrap();
    let done = client.wait(&run.id).unwrap();
    assert_eq!(done.run.state, flowdesk::model::RunState::Success);
    assert_eq!(done.run.submission, "team erin");
    assert!(done.run.has_results());
    let query = LeaderboardQuery {
        benchmark: "helloworld".into(),
        ..LeaderboardQuery::default()
    };
    let fresh = client.leaderboard(&query).unwrap().unwrap();
    assert_eq!(fresh.len(), 1);
    assert!(client.connection().unwrap().online);

    server.stop();
    let old = client.leaderboard(&query).unwrap().unwrap();
    assert_eq!(old.row(0).unwrap().run_id, run.id);
    assert_eq!(old.row(0).unwrap().values, fresh.row(0).unwrap().values);
    let status = client.connection().unwrap();
    assert!(!status.online, "{status:?}");
    assert!(status.data_from.is_some(), "the time of what is shown");
    assert!(
        status.message.unwrap_or_default().contains("cannot reach"),
        "the reason"
    );
    let error = client
        .create_submission("helloworld", "another")
        .unwrap_err();
    assert!(
        matches!(error, ClientError::Unreachable { .. }),
        "{error:?}"
    );
}
