//! The engine end to end with real shell processes: events and logs, failures,
//! cancellation of process trees, the queue's limit and order, step checks, time
//! limits, variables expanded at run time, and code steps in real Python.
//! Waits poll for files or outcomes with generous timeouts; nothing asserts on
//! how long something took.

use flowdesk::engine::{Engine, EngineEvent, JobState, RunJob, RunOutcome, Stream, WorkerConfig};
use flowdesk::workflow::{Action, SerialWorkflow, Step};
use indexmap::IndexMap;
use serde_json::{json, Map};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);

fn step(name: &str, commands: &[&str]) -> Step {
    Step {
        name: name.to_string(),
        inputs: Vec::new(),
        outputs: Vec::new(),
        action: Action::Container {
            image: "python:3.9".to_string(),
            commands: commands.iter().map(|c| c.to_string()).collect(),
            env: IndexMap::new(),
        },
    }
}

fn workflow(steps: Vec<Step>) -> SerialWorkflow {
    SerialWorkflow {
        variables: Map::new(),
        python: None,
        inputs: Vec::new(),
        outputs: Vec::new(),
        steps,
    }
}

/// An engine whose events are collected in order.
fn engine(max_parallel: usize) -> (Engine, Arc<Mutex<Vec<EngineEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let engine = Engine::new(max_parallel, move |event| sink.lock().unwrap().push(event)).unwrap();
    (engine, events)
}

fn events_of(events: &Mutex<Vec<EngineEvent>>, run_id: &str) -> Vec<EngineEvent> {
    events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| &**e.run_id() == run_id)
        .cloned()
        .collect()
}

fn run_dir(root: &Path, name: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Poll until `condition` holds; panic with `what` after [`TIMEOUT`].
fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < TIMEOUT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn process_exists(pid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks for existence.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[test]
fn output_lines_arrive_in_order_with_stream_tags_and_are_logged() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(root.path(), "r1");
    let (engine, events) = engine(2);
    let job = RunJob::new(
        "r1",
        &dir,
        workflow(vec![
            step(
                "first",
                &["for i in 1 2 3 4 5 6 7 8 9 10; do echo out$$i; echo err$$i >&2; done"],
            ),
            step("second", &["echo done > result.json", "cat result.json"]),
        ]),
    );
    let log_path = job.log_path.clone();
    let outcome = engine.submit(job).unwrap().wait_timeout(TIMEOUT);
    assert_eq!(outcome, Some(RunOutcome::Success));

    let events = events_of(&events, "r1");
    assert!(matches!(&events[0], EngineEvent::Started { .. }));
    assert!(matches!(
        &events[1],
        EngineEvent::StepStarted { index: 0, count: 2, name, .. } if &**name == "first"
    ));
    assert!(matches!(
        events.last(),
        Some(EngineEvent::Finished {
            outcome: RunOutcome::Success,
            ..
        })
    ));
    let lines = |wanted: Stream, wanted_step: &str| -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e {
                EngineEvent::Log {
                    step, stream, line, ..
                } if *stream == wanted && &**step == wanted_step => Some(line.clone()),
                _ => None,
            })
            .collect()
    };
    let expected = |prefix: &str| (1..=10).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>();
    assert_eq!(lines(Stream::Stdout, "first"), expected("out"));
    assert_eq!(lines(Stream::Stderr, "first"), expected("err"));
    assert_eq!(lines(Stream::Stdout, "second"), ["done"]);
    // The second step starts after every line of the first.
    let second = events
        .iter()
        .position(|e| matches!(e, EngineEvent::StepStarted { index: 1, .. }))
        .unwrap();
    assert!(events[second..]
        .iter()
        .all(|e| !matches!(e, EngineEvent::Log { step, .. } if &**step == "first")));

    let log = std::fs::read_to_string(&log_path).unwrap();
    let log_lines: Vec<&str> = log.lines().collect();
    assert_eq!(log_lines.len(), 21);
    let stdout_lines: Vec<&str> = log_lines
        .iter()
        .filter(|l| l.contains(" first stdout "))
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect();
    assert_eq!(stdout_lines, expected("out"));
    let last: Vec<&str> = log_lines[20].splitn(4, ' ').collect();
    assert!(
        last[0].ends_with('Z') && last[0].contains('T'),
        "{}",
        last[0]
    );
    assert_eq!(&last[1..], ["second", "stdout", "done"]);
}

#[test]
fn a_failing_command_reports_exit_code_and_stderr_tail_and_stops_the_run() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(root.path(), "r");
    let (engine, events) = engine(1);
    // A `$` for the shell is written `$$`, as flowServ requires.
    let written = "for i in $$(seq 1 12); do echo problem $$i >&2; done; exit 3";
    let failing = "for i in $(seq 1 12); do echo problem $i >&2; done; exit 3";
    let outcome = engine
        .submit(RunJob::new(
            "r",
            &dir,
            workflow(vec![
                step("prepare", &["echo ok", written, "touch not-reached"]),
                step("later", &["touch later-ran"]),
            ]),
        ))
        .unwrap()
        .wait_timeout(TIMEOUT);
    let mut expected = vec![format!(
        "step 'prepare': command exited with code 3: {failing}"
    )];
    expected.extend((3..=12).map(|i| format!("problem {i}")));
    assert_eq!(outcome, Some(RunOutcome::Error(expected)));
    assert!(!dir.join("not-reached").exists());
    assert!(!dir.join("later-ran").exists());
    assert!(!events_of(&events, "r")
        .iter()
        .any(|e| matches!(e, EngineEvent::StepStarted { index: 1, .. })));
}

fn cancel_kills_the_grandchild(run_id: &str, command: &str) {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(root.path(), run_id);
    let (engine, events) = engine(1);
    let handle = engine
        .submit(RunJob::new(
            run_id,
            &dir,
            workflow(vec![
                step("wait", &[command]),
                step("after", &["touch after"]),
            ]),
        ))
        .unwrap();
    let pid_file = dir.join("child.pid");
    let mut pid: libc::pid_t = 0;
    wait_until("child.pid", || {
        match std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            Some(found) => {
                pid = found;
                true
            }
            None => false,
        }
    });
    assert!(process_exists(pid));
    assert_eq!(engine.state(run_id), Some(JobState::Running));
    let start = Instant::now();
    assert!(engine.cancel(run_id));
    assert_eq!(handle.wait_timeout(TIMEOUT), Some(RunOutcome::Canceled));
    eprintln!("{run_id}: canceled in {:?}", start.elapsed());
    let deadline = Instant::now() + Duration::from_secs(2);
    while process_exists(pid) {
        assert!(
            Instant::now() < deadline,
            "grandchild {pid} survived the cancel"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!dir.join("after").exists());
    assert_eq!(engine.state(run_id), None);
    assert_eq!(engine.running_count(), 0);
    assert!(matches!(
        events_of(&events, run_id).last(),
        Some(EngineEvent::Finished {
            outcome: RunOutcome::Canceled,
            ..
        })
    ));
}

#[test]
fn cancel_kills_a_grandchild() {
    cancel_kills_the_grandchild("polite", "sh -c 'sleep 60 & echo $! > child.pid; wait'");
}

#[test]
fn cancel_kills_a_grandchild_that_ignores_sigterm() {
    cancel_kills_the_grandchild(
        "stubborn",
        "trap '' TERM; sh -c 'sleep 60 & echo $! > child.pid; wait'",
    );
}

#[test]
fn the_queue_runs_at_most_max_parallel_in_fifo_order() {
    let root = tempfile::tempdir().unwrap();
    let running = Arc::new(Mutex::new((0usize, 0usize, Vec::<String>::new())));
    let seen = running.clone();
    let engine = Engine::new(2, move |event| {
        let mut seen = seen.lock().unwrap();
        match event {
            EngineEvent::Started { run_id } => {
                seen.0 += 1;
                seen.1 = seen.1.max(seen.0);
                seen.2.push(run_id.to_string());
            }
            EngineEvent::Finished { .. } => seen.0 -= 1,
            _ => {}
        }
    })
    .unwrap();
    let marker = |name: &str| root.path().join(name);
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let dir = run_dir(root.path(), &format!("job{i}"));
            let command =
                format!("touch ../started-{i}; while [ ! -e ../release-{i} ]; do sleep 0.01; done");
            engine
                .submit(RunJob::new(
                    format!("job{i}"),
                    dir,
                    workflow(vec![step("s", &[&command])]),
                ))
                .unwrap()
        })
        .collect();
    wait_until("two jobs to start", || {
        marker("started-0").exists() && marker("started-1").exists()
    });
    assert_eq!(engine.running_count(), 2);
    assert_eq!(engine.queued_count(), 2);
    assert_eq!(engine.state("job2"), Some(JobState::Queued));
    assert!(!marker("started-2").exists() && !marker("started-3").exists());

    std::fs::write(marker("release-0"), "").unwrap();
    assert_eq!(handles[0].wait_timeout(TIMEOUT), Some(RunOutcome::Success));
    wait_until("job2 to start", || marker("started-2").exists());
    // job1 and job2 hold both slots.
    assert!(!marker("started-3").exists());
    assert_eq!(engine.queued_count(), 1);

    for i in 1..4 {
        std::fs::write(marker(&format!("release-{i}")), "").unwrap();
    }
    assert!(engine.wait_idle_timeout(TIMEOUT));
    for handle in &handles {
        assert_eq!(handle.outcome(), Some(RunOutcome::Success));
    }
    let seen = running.lock().unwrap();
    assert_eq!(seen.1, 2, "at most two runs at once");
    // The first two start together on the two slots (their Started events
    // come from their own threads, in either order); the queue then hands
    // out the rest first in, first out.
    let mut first_two = seen.2[..2].to_vec();
    first_two.sort();
    assert_eq!(first_two, ["job0", "job1"]);
    assert_eq!(seen.2[2..], ["job2", "job3"]);
}

#[test]
fn raising_max_parallel_starts_queued_runs_at_once() {
    let root = tempfile::tempdir().unwrap();
    let (engine, _events) = engine(1);
    let marker = |name: &str| root.path().join(name);
    let handles: Vec<_> = (0..3)
        .map(|i| {
            let command =
                format!("touch ../started-{i}; while [ ! -e ../release ]; do sleep 0.01; done");
            engine
                .submit(RunJob::new(
                    format!("job{i}"),
                    run_dir(root.path(), &format!("job{i}")),
                    workflow(vec![step("s", &[&command])]),
                ))
                .unwrap()
        })
        .collect();
    wait_until("the first job to start", || marker("started-0").exists());
    assert_eq!(engine.queued_count(), 2);

    // The Settings screen changed "Max parallel runs" to 3: both waiting runs
    // start without anything else finishing.
    engine.set_max_parallel(3);
    assert_eq!(engine.max_parallel(), 3);
    wait_until("the queued jobs to start", || {
        marker("started-1").exists() && marker("started-2").exists()
    });
    assert_eq!(engine.running_count(), 3);

    // Lowered again, running runs go on; the next one waits for a free slot.
    engine.set_max_parallel(1);
    let late = engine
        .submit(RunJob::new(
            "late",
            run_dir(root.path(), "late"),
            workflow(vec![step("s", &["touch ../started-late"])]),
        ))
        .unwrap();
    assert_eq!(engine.state("late"), Some(JobState::Queued));
    assert_eq!(engine.running_count(), 3);
    std::fs::write(marker("release"), "").unwrap();
    assert_eq!(late.wait_timeout(TIMEOUT), Some(RunOutcome::Success));
    for handle in &handles {
        assert_eq!(handle.wait_timeout(TIMEOUT), Some(RunOutcome::Success));
    }
}

#[test]
fn cancel_of_a_queued_run_removes_it_at_once() {
    let root = tempfile::tempdir().unwrap();
    let (engine, events) = engine(1);
    let blocker = engine
        .submit(RunJob::new(
            "blocker",
            run_dir(root.path(), "blocker"),
            workflow(vec![step("s", &["while [ ! -e go ]; do sleep 0.01; done"])]),
        ))
        .unwrap();
    let queued_dir = run_dir(root.path(), "queued");
    let queued = engine
        .submit(RunJob::new(
            "queued",
            &queued_dir,
            workflow(vec![step("s", &["touch ran"])]),
        ))
        .unwrap();
    assert_eq!(engine.state("queued"), Some(JobState::Queued));
    assert!(engine.cancel("queued"));
    assert_eq!(queued.outcome(), Some(RunOutcome::Canceled));
    assert_eq!(engine.queued_count(), 0);
    assert!(!engine.cancel("queued"), "already gone");
    assert_eq!(
        events_of(&events, "queued"),
        [EngineEvent::Finished {
            run_id: "queued".into(),
            outcome: RunOutcome::Canceled
        }]
    );

    std::fs::write(root.path().join("blocker/go"), "").unwrap();
    assert_eq!(blocker.wait_timeout(TIMEOUT), Some(RunOutcome::Success));
    assert!(engine.wait_idle_timeout(TIMEOUT));
    assert!(!queued_dir.join("ran").exists());
}

/// flowServ checks neither a step's declared inputs nor its outputs: a missing
/// one is a warning in the step's log, and the run goes on.
#[test]
fn missing_declared_inputs_and_outputs_are_logged_warnings() {
    let root = tempfile::tempdir().unwrap();
    let (engine, events) = engine(2);

    let dir = run_dir(root.path(), "in");
    let mut needs_input = step("analyze", &["touch ran"]);
    needs_input.inputs = vec!["data/names.txt".to_string()];
    let mut makes_output = step("train", &["echo 1 > results.json"]);
    makes_output.outputs = vec!["results.json".to_string(), "model.bin".to_string()];
    let job = RunJob::new(
        "in",
        &dir,
        workflow(vec![
            needs_input,
            makes_output,
            step("next", &["touch next-ran"]),
        ]),
    );
    let log_path = job.log_path.clone();
    let outcome = engine.submit(job).unwrap().wait_timeout(TIMEOUT);
    assert_eq!(outcome, Some(RunOutcome::Success));
    assert!(dir.join("ran").exists() && dir.join("next-ran").exists());
    let warnings: Vec<(String, String)> = events_of(&events, "in")
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Log {
                step, stream, line, ..
            } if *stream == Stream::Stderr => Some((step.to_string(), line.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        warnings,
        [
            (
                "analyze".to_string(),
                "flowdesk: warning: input file `data/names.txt` does not exist in the run folder; the step runs anyway".to_string()
            ),
            (
                "train".to_string(),
                "flowdesk: warning: the step did not create its output `model.bin`".to_string()
            )
        ]
    );
    let log = std::fs::read_to_string(log_path).unwrap();
    assert!(
        log.contains(
            "train stderr flowdesk: warning: the step did not create its output `model.bin`"
        ),
        "{log}"
    );
}

#[test]
fn env_vars_reach_the_command() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(root.path(), "env");
    let (engine, _events) = engine(1);
    let mut with_env = step(
        "env",
        &["printf '%s|%s|%s|%s' \"$RUN_VAR\" \"$STEP_VAR\" \"$SHARED\" \"${PATH:+path}\" > env.txt"],
    );
    if let Action::Container { env, .. } = &mut with_env.action {
        env.insert("STEP_VAR".into(), "step value".into());
        env.insert("SHARED".into(), "from step".into());
    }
    let mut job = RunJob::new("env", &dir, workflow(vec![with_env]));
    job.env.insert("RUN_VAR".into(), "run value".into());
    job.env.insert("SHARED".into(), "from run".into());
    assert_eq!(
        engine.submit(job).unwrap().wait_timeout(TIMEOUT),
        Some(RunOutcome::Success)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("env.txt")).unwrap(),
        "run value|step value|from step|path"
    );
}

/// Run one job to its end on a fresh engine.
fn run_job(job: RunJob) -> RunOutcome {
    let (engine, _events) = engine(1);
    engine
        .submit(job)
        .unwrap()
        .wait_timeout(TIMEOUT)
        .expect("the run did not end")
}

fn error_messages(outcome: RunOutcome) -> Vec<String> {
    match outcome {
        RunOutcome::Error(messages) => messages,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn commands_expand_variables_at_run_time_with_worker_variables_fixed() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(root.path(), "vars");
    let mut wf = workflow(vec![step(
        "s",
        &["printf '%s|%s|%s|%s' ${n} ${jar} '$$n' \"$HOME_SET\" > out.txt"],
    )]);
    wf.variables = json!({"n": 3, "jar": "from-workflow.jar"})
        .as_object()
        .cloned()
        .unwrap();
    if let Action::Container { env, .. } = &mut wf.steps[0].action {
        env.insert("HOME_SET".into(), "n=${n}".into());
    }
    let mut job = RunJob::new("vars", &dir, wf);
    job.workers = Some(Arc::new(
        WorkerConfig::parse(
            &json!([{"image": "python:3.9", "worker": "subprocess", "args": {"variables": {"jar": "lib/x.jar"}}}]),
            "test",
        )
        .unwrap(),
    ));
    assert_eq!(run_job(job), RunOutcome::Success);
    // Worker variables are fixed (they win), `$$` is a literal `$`, env values
    // are expanded too.
    assert_eq!(
        std::fs::read_to_string(dir.join("out.txt")).unwrap(),
        "3|lib/x.jar|$n|n=3"
    );
}

#[test]
fn a_step_past_its_time_limit_is_stopped_and_the_run_fails() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(root.path(), "slow");
    let mut job = RunJob::new(
        "slow",
        &dir,
        workflow(vec![
            step("wait", &["sh -c 'echo $$$$ > child.pid; sleep 30' & wait"]),
            step("never", &["touch never"]),
        ]),
    );
    job.step_timeout = Some(Duration::from_secs(1));
    let start = Instant::now();
    assert_eq!(
        error_messages(run_job(job)),
        ["step 'wait': timed out after 1 s"]
    );
    assert!(start.elapsed() < Duration::from_secs(15));
    assert!(!dir.join("never").exists());
    let child: libc::pid_t = std::fs::read_to_string(dir.join("child.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    wait_until("the timed-out child to die", || {
        !process_exists(child) || is_zombie(child)
    });
}

#[test]
fn the_run_time_limit_covers_all_steps_and_a_worker_limit_wins_over_the_step_limit() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(root.path(), "run-limit");
    let mut job = RunJob::new(
        "run-limit",
        &dir,
        workflow(vec![
            step("first", &["sleep 0.6"]),
            step("second", &["sleep 30"]),
        ]),
    );
    job.step_timeout = Some(Duration::from_secs(20));
    job.run_timeout = Some(Duration::from_secs(1));
    assert_eq!(
        error_messages(run_job(job)),
        ["step 'second': timed out after 1 s (the run's time limit)"]
    );

    let dir = run_dir(root.path(), "worker-limit");
    let mut job = RunJob::new(
        "worker-limit",
        &dir,
        workflow(vec![step("s", &["sleep 30"])]),
    );
    job.step_timeout = Some(Duration::from_secs(20));
    job.workers = Some(Arc::new(
        WorkerConfig::parse(
            &json!({"workers": [{"name": "quick", "type": "subprocess", "timeout": 0.5}], "workflow": {"s": "quick"}}),
            "test",
        )
        .unwrap(),
    ));
    assert_eq!(
        error_messages(run_job(job)),
        ["step 's': timed out after 0.5 s"]
    );
}

fn code_step(name: &str, func: &str, arg: Option<&str>, variables: &[(&str, &str)]) -> Step {
    Step {
        name: name.to_string(),
        inputs: Vec::new(),
        outputs: Vec::new(),
        action: Action::Code {
            func: func.to_string(),
            arg: arg.map(str::to_string),
            variables: variables
                .iter()
                .map(|(a, v)| (a.to_string(), v.to_string()))
                .collect(),
        },
    }
}

#[test]
fn a_code_step_result_becomes_a_variable_for_later_commands() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(root.path(), "code");
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("pkg/__init__.py"), "").unwrap();
    std::fs::write(
        dir.join("pkg/calc.py"),
        "def scale(values, factor=2, *, note='x', **rest):\n    print('scaling', values)\n    return {'sum': sum(values) * factor, 'note': note}\n",
    )
    .unwrap();
    let mut wf = workflow(vec![
        code_step(
            "calc",
            "pkg.calc.scale",
            Some("total"),
            &[("factor", "times")],
        ),
        step("use", &["printf '%s' \"${total}\" > total.txt"]),
    ]);
    wf.variables = json!({"values": [1, 2, 3], "times": 10, "note": "kw", "python": "python3"})
        .as_object()
        .cloned()
        .unwrap();
    let (engine, events) = engine(1);
    let outcome = engine
        .submit(RunJob::new("code", &dir, wf))
        .unwrap()
        .wait_timeout(TIMEOUT);
    assert_eq!(outcome, Some(RunOutcome::Success));
    // The value reaches later commands as `${total}`, as Python's str() prints
    // it (flowServ substitutes `str(value)`). The function's output is logged
    // like any step's.
    assert_eq!(
        std::fs::read_to_string(dir.join("total.txt")).unwrap(),
        "{'sum': 60, 'note': 'kw'}"
    );
    assert!(events_of(&events, "code").iter().any(|e| matches!(
        e,
        EngineEvent::Log { line, .. } if line == "scaling [1, 2, 3]"
    )));
}

#[test]
fn a_failing_or_missing_code_function_names_the_step_and_function() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(root.path(), "nofunc");
    std::fs::write(
        dir.join("broken.py"),
        "def fail():\n    raise ValueError('bad input')\n",
    )
    .unwrap();
    let mut wf = workflow(vec![code_step("calc", "nosuch.module.fn", None, &[])]);
    wf.variables = json!({"python": "python3"}).as_object().cloned().unwrap();
    let messages = error_messages(run_job(RunJob::new("nofunc", &dir, wf.clone())));
    assert_eq!(
        messages[0],
        "step 'calc': code step `nosuch.module.fn`: Python exited with code 1"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("cannot import nosuch.module.fn")),
        "{messages:?}"
    );

    wf.steps = vec![code_step("calc", "broken.fail", Some("x"), &[])];
    let messages = error_messages(run_job(RunJob::new("fails", &dir, wf)));
    assert!(
        messages[0].contains("code step `broken.fail`"),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("ValueError: bad input")),
        "{messages:?}"
    );
}

#[test]
fn a_worker_that_cannot_run_a_step_fails_the_run_before_any_step() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(root.path(), "wrong");
    let mut job = RunJob::new(
        "wrong",
        &dir,
        workflow(vec![
            step("before", &["touch before-ran"]),
            code_step("calc", "m.f", None, &[]),
        ]),
    );
    job.workers = Some(Arc::new(
        WorkerConfig::parse(
            &json!({"workers": [{"name": "box", "type": "docker"}], "workflow": {"calc": "box"}}),
            "test",
        )
        .unwrap(),
    ));
    assert_eq!(
        error_messages(run_job(job)),
        ["step 'calc': worker 'box' is a docker worker; it cannot run code steps"]
    );
    assert!(!dir.join("before-ran").exists());
}

#[test]
fn a_run_id_cannot_be_submitted_twice_while_active_and_a_missing_folder_is_an_error() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(root.path(), "dup");
    let (engine, _events) = engine(1);
    let job = RunJob::new(
        "dup",
        &dir,
        workflow(vec![step("s", &["while [ ! -e go ]; do sleep 0.01; done"])]),
    );
    let handle = engine.submit(job.clone()).unwrap();
    let error = engine.submit(job.clone()).unwrap_err().to_string();
    assert_eq!(error, "run 'dup' is already queued or running");
    std::fs::write(dir.join("go"), "").unwrap();
    assert_eq!(handle.wait_timeout(TIMEOUT), Some(RunOutcome::Success));
    // Finished runs may be submitted again (a re-run of the same folder).
    assert_eq!(
        engine.submit(job).unwrap().wait_timeout(TIMEOUT),
        Some(RunOutcome::Success)
    );

    let missing = root.path().join("missing");
    let outcome = engine
        .submit(RunJob::new(
            "missing",
            &missing,
            workflow(vec![step("s", &["true"])]),
        ))
        .unwrap()
        .wait_timeout(TIMEOUT);
    assert_eq!(
        outcome,
        Some(RunOutcome::Error(vec![format!(
            "the run folder `{}` does not exist",
            missing.display()
        )]))
    );
}

#[test]
fn dropping_the_engine_interrupts_queued_and_running_runs() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(root.path(), "long");
    let (engine, events) = engine(1);
    let running = engine
        .submit(RunJob::new(
            "long",
            &dir,
            // `$$` is flowServ's escape for `$`: the shell sees `$$`, its pid.
            workflow(vec![step("s", &["echo $$$$ > shell.pid; sleep 60"])]),
        ))
        .unwrap();
    let queued = engine
        .submit(RunJob::new(
            "later",
            run_dir(root.path(), "later"),
            workflow(vec![step("s", &["true"])]),
        ))
        .unwrap();
    let pid_file = dir.join("shell.pid");
    let mut pid: libc::pid_t = 0;
    wait_until("shell.pid", || {
        match std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            Some(found) => {
                pid = found;
                true
            }
            None => false,
        }
    });
    drop(engine);
    let interrupted = RunOutcome::Error(vec![
        "interrupted: flowdesk exited while the run was active".to_string(),
    ]);
    assert_eq!(running.outcome(), Some(interrupted.clone()));
    assert_eq!(queued.outcome(), Some(interrupted));
    assert_eq!(
        events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| matches!(e, EngineEvent::Finished { .. }))
            .count(),
        2
    );
    let deadline = Instant::now() + Duration::from_secs(2);
    // The shell was killed; it is a zombie at worst (nobody reaps after shutdown).
    while process_exists(pid) && !is_zombie(pid) {
        assert!(Instant::now() < deadline, "shell {pid} survived the engine");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn is_zombie(pid: libc::pid_t) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            stat.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

/// Read a pid a command wrote to `file` in `dir`, waiting for it.
fn read_pid(dir: &Path, file: &str) -> libc::pid_t {
    let path = dir.join(file);
    let mut pid = 0;
    wait_until(file, || {
        match std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            Some(found) => {
                pid = found;
                true
            }
            None => false,
        }
    });
    pid
}

fn gone(pid: libc::pid_t) -> bool {
    !process_exists(pid) || is_zombie(pid)
}

#[test]
fn descendants_that_leave_the_process_group_die_when_the_command_ends() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(root.path(), "escape");
    let (engine, _events) = engine(1);
    // One descendant starts a session of its own, another a process group of
    // its own; both outlive the command's shell unless something kills them.
    let command = "setsid sh -c 'echo $$$$ > session.pid; exec sleep 60' & \
                   perl -e 'setpgrp(0, 0); open(F, \">group.pid\"); print F $$$$; close F; exec(\"sleep\", \"60\")' & \
                   while [ ! -s session.pid ] || [ ! -s group.pid ]; do sleep 0.01; done; echo started";
    let outcome = engine
        .submit(RunJob::new(
            "escape",
            &dir,
            workflow(vec![step("s", &[command])]),
        ))
        .unwrap()
        .wait_timeout(TIMEOUT);
    assert_eq!(outcome, Some(RunOutcome::Success));
    for file in ["session.pid", "group.pid"] {
        let pid = read_pid(&dir, file);
        assert!(gone(pid), "{file}: process {pid} outlived its command");
    }
}

#[test]
fn cancel_kills_descendants_that_left_the_process_group() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(root.path(), "escape-cancel");
    let (engine, _events) = engine(1);
    let handle = engine
        .submit(RunJob::new(
            "escape-cancel",
            &dir,
            workflow(vec![step(
                "s",
                &["setsid sh -c 'echo $$$$ > session.pid; exec sleep 60' & sleep 60"],
            )]),
        ))
        .unwrap();
    let pid = read_pid(&dir, "session.pid");
    assert!(engine.cancel("escape-cancel"));
    assert_eq!(handle.wait_timeout(TIMEOUT), Some(RunOutcome::Canceled));
    assert!(gone(pid), "the escaped process {pid} survived the cancel");
}

#[test]
fn every_process_of_a_run_carries_its_run_folder_as_tag() {
    let root = tempfile::tempdir().unwrap();
    let dir = run_dir(root.path(), "tagged");
    let (engine, _events) = engine(1);
    let outcome = engine
        .submit(RunJob::new(
            "tagged",
            &dir,
            workflow(vec![step(
                "s",
                &["sh -c 'echo \"$FLOWDESK_RUN_DIR\"' > tag.txt"],
            )]),
        ))
        .unwrap()
        .wait_timeout(TIMEOUT);
    assert_eq!(outcome, Some(RunOutcome::Success));
    let tag = std::fs::read_to_string(dir.join("tag.txt")).unwrap();
    assert_eq!(tag.trim(), dir.to_str().unwrap());
}

#[test]
fn engines_sharing_a_slot_pool_run_no_more_runs_at_once_than_it_has_slots() {
    use flowdesk::engine::SlotPool;
    let root = tempfile::tempdir().unwrap();
    let pool = SlotPool::new(root.path().join("slots"), 1);
    // Two engines stand for two processes; each would run two runs at once on
    // its own. `mkdir` fails if another run holds the folder at that moment.
    let engines: Vec<Engine> = (0..2)
        .map(|_| {
            Engine::with_slots(2, WorkerConfig::default(), Some(pool.clone()), |_| {}).unwrap()
        })
        .collect();
    let busy = root.path().join("busy");
    let command = format!("mkdir {0} && sleep 0.05 && rmdir {0}", busy.display());
    let mut handles = Vec::new();
    for i in 0..6 {
        let id = format!("r{i}");
        let dir = run_dir(root.path(), &id);
        let engine = &engines[i % 2];
        handles.push(
            engine
                .submit(RunJob::new(
                    id,
                    &dir,
                    workflow(vec![step("s", &[&command])]),
                ))
                .unwrap(),
        );
    }
    for handle in &handles {
        assert_eq!(
            handle.wait_timeout(TIMEOUT),
            Some(RunOutcome::Success),
            "{handle:?}"
        );
    }
    assert!(flowdesk::engine::slots::waiting(&root.path().join("slots")).is_empty());
}
