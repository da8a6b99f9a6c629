//! The client interface over this computer's backend, as the GUI and the CLI
//! use it: real templates, real subprocesses, a real SQLite file in a temporary
//! home folder, configuration passed explicitly.

use flowdesk::client::{
    format, Client, ClientError, ClientEvent, InstallRequest, InstallSource, LeaderboardQuery,
    LocalClient, RunQuery, RunRequest, Subscriber,
};
use flowdesk::config::Config;
use flowdesk::model::RunState;
use serde_json::{json, Map};
use std::time::Duration;

fn client() -> (tempfile::TempDir, LocalClient) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::resolve(Some(dir.path().to_path_buf())).unwrap();
    config.python = "python3".into();
    let client = LocalClient::open(config).unwrap();
    (dir, client)
}

fn arguments(value: serde_json::Value) -> Map<String, serde_json::Value> {
    value.as_object().cloned().unwrap_or_default()
}

#[test]
fn the_client_is_shared_across_threads() {
    fn shareable<T: Send + Sync + ?Sized>() {}
    shareable::<dyn Client>();
    shareable::<LocalClient>();
}

#[test]
fn a_run_reports_its_progress_as_events_and_its_values_everywhere_alike() {
    let (_dir, client) = client();
    let (subscriber, events) = Subscriber::channel();
    client.subscribe(subscriber);
    let hello = client.benchmark("Hello World (sample)").unwrap();
    assert_eq!(hello.benchmark.id, "hello_world_sample");
    assert_eq!(hello.submissions[0].name, "default");
    let started = client
        .start_run(&RunRequest {
            benchmark: "hello_world_sample".into(),
            arguments: arguments(json!({"sleeptime": 0, "greeting": "Hey"})),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(started.state, RunState::Pending);
    let detail = client.wait(&started.id).unwrap();
    assert_eq!(
        detail.run.state,
        RunState::Success,
        "{:?}",
        detail.run.messages
    );

    // Events of the run (post-processing, which it sets off, has its own): a
    // change, the log growing, then the end, in that order.
    let mut seen = Vec::new();
    while let Ok(event) = events.recv_timeout(Duration::from_secs(30)) {
        if event.run_id() != Some(started.id.as_str()) {
            continue;
        }
        let done = matches!(event, ClientEvent::RunFinished { .. });
        seen.push(event);
        if done {
            break;
        }
    }
    let position = |wanted: &dyn Fn(&ClientEvent) -> bool| seen.iter().position(wanted);
    let changed = position(&|e| matches!(e, ClientEvent::RunChanged { .. })).unwrap();
    let grew = position(&|e| matches!(e, ClientEvent::LogGrew { .. })).expect("a log signal");
    let finished = position(&|e| {
        matches!(
            e,
            ClientEvent::RunFinished {
                state: RunState::Success,
                ..
            }
        )
    })
    .unwrap();
    assert!(changed < finished && grew < finished, "{seen:?}");

    // The run's values, its row in the runs list and its leaderboard row agree.
    let avg = detail.run.value("avg_count").cloned().unwrap();
    let list = client
        .runs(&RunQuery {
            benchmark: Some("Hello World (sample)".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(list.rows.len(), 1);
    assert_eq!(list.rows[0].values, detail.run.values);
    let board = client
        .leaderboard(&LeaderboardQuery {
            benchmark: "hello_world_sample".into(),
            ..Default::default()
        })
        .unwrap()
        .unwrap();
    let row = board.row(0).unwrap();
    assert_eq!(row.run_id, started.id);
    assert_eq!(row.values[board.column("avg_count").unwrap()], Some(avg));
    assert_eq!(board.order_text(), "avg_count desc, max_len asc");

    // The log streams from an offset.
    let mut log = Vec::new();
    let total = client.copy_log(&started.id, 0, &mut log).unwrap();
    assert_eq!(total as usize, log.len());
    let mut tail = Vec::new();
    client.copy_log(&started.id, total / 2, &mut tail).unwrap();
    assert_eq!(tail, log[(total / 2) as usize..]);
    // A result file streams too, and the local copy is the run folder's own.
    let file = detail
        .files
        .iter()
        .find(|f| f.name == "results/greetings.txt")
        .unwrap();
    let mut greetings = Vec::new();
    client
        .copy_run_file(&started.id, &file.id, &mut greetings)
        .unwrap();
    assert!(String::from_utf8_lossy(&greetings).contains("Hey"));
    assert_eq!(
        std::fs::read(file.local_path.as_ref().unwrap()).unwrap(),
        greetings
    );
}

#[test]
fn the_leaderboard_exports_at_full_precision_and_not_without_a_schema() {
    let (dir, client) = client();
    let run = client
        .start_run(&RunRequest {
            benchmark: "hello_world_sample".into(),
            arguments: arguments(json!({"sleeptime": 0})),
            ..Default::default()
        })
        .unwrap();
    let detail = client.wait(&run.id).unwrap();
    let query = LeaderboardQuery {
        benchmark: "hello_world_sample".into(),
        ..Default::default()
    };
    let out = dir.path().join("board.csv");
    assert_eq!(client.export_leaderboard(&query, &out).unwrap(), 1);
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "rank",
            "submission",
            "run",
            "avg_count",
            "max_len",
            "max_line",
            "duration_seconds"
        ]
    );
    let record = reader.records().next().unwrap().unwrap();
    let avg: f64 = record[3].parse().unwrap();
    let Some(flowdesk::template::ResultValue::Float(expected)) = detail.run.value("avg_count")
    else {
        panic!("a float avg_count: {:?}", detail.run.values);
    };
    assert_eq!(avg, *expected, "the CSV keeps every digit");
    assert_eq!(&record[1], "default");

    // A benchmark without a result schema has no leaderboard to export.
    let template = tempfile::tempdir().unwrap();
    std::fs::write(
        template.path().join("flowserv.yaml"),
        "name: Unranked\nworkflowSpec:\n  workflow:\n    steps:\n      - action:\n          commands: ['echo hi']\n",
    )
    .unwrap();
    client
        .install(&InstallRequest {
            source: Some(InstallSource::Folder(template.path().to_path_buf())),
            ..Default::default()
        })
        .unwrap();
    let unranked = dir.path().join("unranked.csv");
    let error = client
        .export_leaderboard(
            &LeaderboardQuery {
                benchmark: "Unranked".into(),
                ..Default::default()
            },
            &unranked,
        )
        .unwrap_err();
    assert!(matches!(error, ClientError::Invalid(_)), "{error}");
    assert!(error.to_string().contains("no result schema"), "{error}");
    assert!(!unranked.exists(), "no file is written");
}

#[test]
fn missing_things_are_named_and_bad_arguments_name_the_parameter() {
    let (_dir, client) = client();
    let error = client.benchmark("nosuch").unwrap_err();
    assert_eq!(
        error.to_string(),
        "no benchmark 'nosuch' is installed (see `flowdesk workflows`)"
    );
    assert!(matches!(
        error,
        ClientError::NotFound {
            what: "benchmark",
            ..
        }
    ));
    let error = client
        .preview(&RunRequest {
            benchmark: "hello_world_sample".into(),
            arguments: arguments(json!({"sleeptime": 99})),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "parameter 'sleeptime': 99 is outside the range [0,10]"
    );
    // The preview expands with the configured Python, as the run will.
    let preview = client
        .preview(&RunRequest {
            benchmark: "hello_world_sample".into(),
            arguments: arguments(json!({"sleeptime": 1})),
            ..Default::default()
        })
        .unwrap();
    let text = serde_json::to_value(&preview).unwrap();
    let command = text["steps"][0]["commands"][0].as_str().unwrap();
    assert!(
        command.starts_with("python3 code/helloworld.py"),
        "{command}"
    );
    assert!(command.contains("--sleeptime 1"), "{command}");
    assert_eq!(format::value_text(None), format::NO_VALUE);
}

#[test]
fn a_run_whose_outcome_cannot_be_stored_is_reported_not_dropped() {
    let (dir, client) = client();
    // A step that waits for the test: the run's record changes under it first.
    let template = tempfile::tempdir().unwrap();
    std::fs::write(
        template.path().join("flowserv.yaml"),
        "name: Waits\nworkflowSpec:\n  workflow:\n    steps:\n      - action:\n          commands: ['while [ ! -f go ]; do sleep 0.05; done']\n",
    )
    .unwrap();
    client
        .install(&InstallRequest {
            source: Some(InstallSource::Folder(template.path().to_path_buf())),
            ..Default::default()
        })
        .unwrap();
    let (subscriber, events) = Subscriber::channel();
    client.subscribe(subscriber);
    let run = client
        .start_run(&RunRequest {
            benchmark: "Waits".into(),
            ..Default::default()
        })
        .unwrap();
    // Running: another program (a careless script) ends the run in the database.
    while client.run(&run.id).unwrap().run.state != RunState::Running {
        events.recv_timeout(Duration::from_secs(30)).unwrap();
    }
    let db = rusqlite::Connection::open(dir.path().join("flowdesk.db")).unwrap();
    db.execute(
        "UPDATE runs SET state = 'CANCELED', finished_at = created_at WHERE id = ?1",
        [&run.id],
    )
    .unwrap();
    std::fs::write(dir.path().join("runs").join(&run.id).join("go"), "").unwrap();
    let detail = client.wait(&run.id).unwrap();
    assert_eq!(detail.run.state, RunState::Canceled, "what the store holds");
    // (A step that started after the change is reported too: its progress
    // could not be recorded either.)
    let problem = loop {
        match events.recv_timeout(Duration::from_secs(30)).unwrap() {
            ClientEvent::Problem { run_id, message }
                if run_id.as_deref() == Some(&run.id) && message.contains("outcome") =>
            {
                break message
            }
            _ => {}
        }
    };
    assert!(problem.contains("could not be stored"), "{problem}");
    assert!(problem.contains("CANCELED"), "{problem}");
}
