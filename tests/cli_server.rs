//! The command line in server mode, end to end: the real `flowdesk` binary
//! against the real flowServ server (started on 127.0.0.1 by the tests).

mod common;
mod server;

use common::Home;
use std::io::Write;
use std::process::{Output, Stdio};

/// Run `flowdesk` with `input` on standard input.
fn with_stdin(home: &Home, args: &[&str], input: &str) -> Output {
    let mut child = home
        .command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn out(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn unique(name: &str) -> String {
    format!("{name}-{}", uuid::Uuid::new_v4().simple())
}

#[test]
fn register_login_servers_and_logout() {
    let server = server::shared();
    let home = Home::new().with_env("FLOWDESK_KEYRING", "off");
    let user = unique("carla");
    let url = server.url();

    let output = with_stdin(
        &home,
        &["register", &url, "--username", &user, "--password-stdin"],
        "s3cret pw\n",
    );
    assert!(output.status.success(), "{}", common::stderr(&output));
    let text = out(&output);
    assert!(
        text.contains("registered and signed in") && text.contains(&user),
        "{text}"
    );
    assert!(text.contains("a file only you can read"), "{text}");

    let servers = home.json(&["servers"]);
    assert_eq!(servers[0]["url"], url.as_str());
    assert_eq!(servers[0]["username"], user.as_str());
    assert_eq!(servers[0]["token"], "file");
    let tokens = std::fs::read_to_string(home.path().join("server-tokens.json")).unwrap();
    assert!(!tokens.contains("s3cret"), "the password is never stored");

    // A wrong password changes nothing and says so.
    let output = with_stdin(
        &home,
        &["login", &url, "--username", &user, "--password-stdin"],
        "wrong\n",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        common::stderr(&output).contains("wrong user name or password"),
        "{}",
        common::stderr(&output)
    );
    assert_eq!(home.json(&["servers"])[0]["username"], user.as_str());

    let output = home.run(&["logout"]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    assert!(out(&output).contains("signed out of"), "{}", out(&output));
    let servers = home.json(&["servers"]);
    assert_eq!(servers[0]["signed_in"], false);
    let tokens: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(home.path().join("server-tokens.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(tokens["tokens"], serde_json::json!({}), "the token is gone");

    let output = with_stdin(
        &home,
        &[
            "login",
            &url,
            "--username",
            &user,
            "--password-stdin",
            "--json",
        ],
        "s3cret pw\n",
    );
    assert!(output.status.success(), "{}", common::stderr(&output));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["username"], user.as_str());
    assert_eq!(doc["registered"], false);
}

#[test]
fn login_finds_the_api_below_a_bare_host_and_refuses_what_is_not_flowserv() {
    let server = server::shared();
    let home = Home::new().with_env("FLOWDESK_KEYRING", "off");
    let user = unique("dan");
    let output = with_stdin(
        &home,
        &[
            "register",
            &server.root(),
            "--username",
            &user,
            "--password-stdin",
            "--json",
        ],
        "pw\n",
    );
    assert!(output.status.success(), "{}", common::stderr(&output));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["server"], server.url().as_str());

    let closed = server::free_port();
    let output = with_stdin(
        &home,
        &[
            "login",
            &format!("http://127.0.0.1:{closed}/flowserv/api/v1"),
            "--username",
            &user,
            "--password-stdin",
        ],
        "pw\n",
    );
    assert_eq!(output.status.code(), Some(1));
    let message = common::stderr(&output);
    assert!(
        message.contains(&format!("cannot reach the server `127.0.0.1:{closed}`"))
            && message.contains("connection refused"),
        "{message}"
    );

    // Without --password-stdin and without a terminal there is no password.
    let output = home.run(&["login", &server.url(), "--username", &user]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        common::stderr(&output).contains("--password-stdin"),
        "{}",
        common::stderr(&output)
    );
}

#[test]
fn the_default_keyring_setting_falls_back_to_the_file_where_there_is_no_keyring() {
    // CI has no Secret Service: the token must land in the private file. On a
    // desktop it lands in the keyring; either way sign-in and sign-out work.
    let server = server::shared();
    let home = Home::new();
    let user = unique("erin");
    let output = with_stdin(
        &home,
        &[
            "register",
            &server.url(),
            "--username",
            &user,
            "--password-stdin",
            "--json",
        ],
        "pw\n",
    );
    assert!(output.status.success(), "{}", common::stderr(&output));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let place = doc["token"].as_str().unwrap().to_string();
    if std::env::var_os("CI").is_some() {
        assert_eq!(place, "file", "CI has no keyring");
    }
    if place == "file" {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.path().join("server-tokens.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let output = home.run(&["logout", &server.url()]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    assert_eq!(home.json(&["servers"])[0]["signed_in"], false);
}

/// A home signed in to `server` as a fresh user (token in the file).
fn signed_in_home(server: &server::Server, name: &str) -> (Home, String) {
    let home = Home::new().with_env("FLOWDESK_KEYRING", "off");
    let user = unique(name);
    let output = with_stdin(
        &home,
        &[
            "register",
            &server.url(),
            "--username",
            &user,
            "--password-stdin",
        ],
        "pw\n",
    );
    assert!(output.status.success(), "{}", common::stderr(&output));
    (home, user)
}

#[test]
fn the_benchmark_commands_work_on_a_server_with_the_same_output_shape() {
    let server = server::shared();
    let (home, _) = signed_in_home(server, "cli");
    let url = server.url();

    // --server before or after the command.
    let before = home.json(&["--server", &url, "workflows"]);
    let after = home.json(&["workflows", "--server", &url]);
    assert_eq!(before, after);
    assert_eq!(before[0]["id"], "helloworld");

    let created = home.json(&[
        "submission",
        "create",
        "helloworld",
        "team cli",
        "--server",
        &url,
    ]);
    let submission = created["id"].as_str().unwrap().to_string();
    let listed = home.json(&["submissions", "helloworld", "--server", &url]);
    assert_eq!(listed[0]["name"], "team cli");

    let names = home.path().join("names.txt");
    std::fs::write(&names, "Ann\nBo\n").unwrap();
    let upload = home.json(&[
        "upload",
        &submission,
        names.to_str().unwrap(),
        "--server",
        &url,
    ]);
    assert_eq!(upload["name"], "names.txt");
    let uploads = home.json(&["uploads", "team cli", "--server", &url]);
    assert_eq!(uploads.as_array().unwrap().len(), 1);

    let (output, run) = home.run_wait(&[
        "helloworld",
        "--server",
        &url,
        "--submission",
        "team cli",
        "--arg",
        "sleeptime=0",
        "--arg",
        "greeting=Hey",
        "--file",
        &format!("names={}", upload["id"].as_str().unwrap()),
    ]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    assert_eq!(run["state"], "SUCCESS", "{run}");
    assert_eq!(run["results"]["max_line"], "Hey Ann!");
    assert_eq!(run["results"]["max_len"], 8);

    // The same keys as a local run document.
    let local = Home::new();
    let sample = local.sample("Hello World (sample)");
    let (_, local_run) = local.run_wait(&[&sample, "--arg", "sleeptime=0"]);
    let keys = |doc: &serde_json::Value| {
        let mut keys: Vec<String> = doc.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&run), keys(&local_run));

    let id = run["id"].as_str().unwrap().to_string();
    let shown = home.json(&["show", &id, "--server", &url]);
    assert_eq!(shown["results"], run["results"]);
    let runs = home.json(&["runs", "helloworld", "--server", &url]);
    assert!(
        runs.as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == id.as_str()),
        "{runs}"
    );
    let board = home.json(&["leaderboard", "helloworld", "--all", "--server", &url]);
    let entry = board
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["run"] == id.as_str())
        .unwrap();
    assert_eq!(entry["submission"], "team cli");
    assert_eq!(entry["values"]["max_line"], "Hey Ann!");

    let out = home.path().join("greetings.txt");
    let output = home.run(&[
        "download",
        &id,
        "greetings",
        "-o",
        out.to_str().unwrap(),
        "--server",
        &url,
    ]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "Hey Ann!\nHey Bo!\n"
    );
    let archive = home.path().join("run.tar.gz");
    let exported = home.json(&["export", &id, archive.to_str().unwrap(), "--server", &url]);
    assert!(archive.metadata().unwrap().len() > 0, "{exported}");

    // What a server cannot do says why, with the exit code of a local refusal.
    let output = home.run(&["logs", &id, "--server", &url]);
    assert_eq!(output.status.code(), Some(1));
    let message = common::stderr(&output);
    assert!(
        message.contains("reading a run's log is not possible on")
            && message.contains("keeps no log"),
        "{message}"
    );
    let output = home.run(&["install", "whatever", "--server", &url]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        common::stderr(&output).contains("coordinator"),
        "{}",
        common::stderr(&output)
    );

    let deleted = home.json(&["delete", &id, "--server", &url]);
    assert_eq!(deleted["deleted"], true);
    let output = home.run(&["show", &id, "--server", &url]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        common::stderr(&output).contains(&id),
        "{}",
        common::stderr(&output)
    );
}

#[test]
fn flowserv_client_settings_and_an_access_token_select_the_server() {
    let server = server::shared();
    let (home, user) = signed_in_home(server, "env");
    // The token flowServ's own client would use, given through the environment
    // to a home that has no sign-in of its own.
    let tokens: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(home.path().join("server-tokens.json")).unwrap(),
    )
    .unwrap();
    let token = tokens["tokens"][server.url()].as_str().unwrap().to_string();
    let other = Home::new()
        .with_env("FLOWSERV_CLIENT", "remote")
        .with_env("FLOWSERV_API_HOST", "127.0.0.1")
        .with_env("FLOWSERV_API_PORT", server.port().to_string())
        .with_env("FLOWSERV_API_PATH", server::API_PATH)
        .with_env("FLOWSERV_ACCESS_TOKEN", &token);
    let created = other.json(&["submission", "create", "helloworld", "team env"]);
    assert_eq!(created["name"], "team env");
    let listed = other.json(&["submissions", "helloworld"]);
    let mine = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "team env")
        .unwrap();
    assert_eq!(mine["members"], serde_json::json!([user]));
    let workflows = other.json(&["workflows"]);
    assert_eq!(workflows[0]["id"], "helloworld");

    // FLOWDESK_SERVER works too; a bad token is a sign-in problem, in words.
    let stale = Home::new()
        .with_env("FLOWDESK_SERVER", server.url())
        .with_env("FLOWSERV_ACCESS_TOKEN", "not-a-token");
    let output = stale.run(&["submission", "create", "helloworld", "x"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        common::stderr(&output).contains("sign in again"),
        "{}",
        common::stderr(&output)
    );
}

#[test]
fn a_local_run_is_submitted_to_the_server_with_its_file() {
    let server = server::shared();
    let (home, _) = signed_in_home(server, "submitter");
    let url = server.url();
    let sample = home.sample("Hello World (sample)");
    let names = home.path().join("mine.txt");
    std::fs::write(&names, "Xavier\nYolanda\nZed\n").unwrap();
    let (output, local) = home.run_wait(&[
        &sample,
        "--arg",
        "sleeptime=0",
        "--arg",
        "greeting=Hola",
        "--file",
        &format!("names={}", names.display()),
    ]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let local_id = local["id"].as_str().unwrap().to_string();

    // The sample's name differs from the server's benchmark: say what is there.
    let output = home.run(&["submit", &local_id, "--server", &url]);
    assert_eq!(output.status.code(), Some(1));
    let message = common::stderr(&output);
    assert!(
        message.contains("Hello World (sample)") && message.contains("'Hello World' (helloworld)"),
        "{message}"
    );
    // No submission there yet.
    let output = home.run(&[
        "submit",
        &local_id,
        "--server",
        &url,
        "--benchmark",
        "helloworld",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        common::stderr(&output).contains("no submission"),
        "{}",
        common::stderr(&output)
    );

    home.json(&[
        "submission",
        "create",
        "helloworld",
        "team submit",
        "--server",
        &url,
    ]);
    let output = home.run(&[
        "submit",
        &local_id,
        "--server",
        &url,
        "--benchmark",
        "helloworld",
        "--wait",
        "--json",
    ]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let remote: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(remote["state"], "SUCCESS", "{remote}");
    assert_eq!(
        remote["results"], local["results"],
        "the same run gives the same results there"
    );
    assert_eq!(remote["results"]["max_line"], "Hola Yolanda!");
    let board = home.json(&["leaderboard", "helloworld", "--all", "--server", &url]);
    assert!(board
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["run"] == remote["id"] && e["submission"] == "team submit"));
}

#[test]
fn a_run_on_the_server_can_be_cancelled_from_the_command_line() {
    let server = server::shared();
    let (home, _) = signed_in_home(server, "cancel");
    let url = server.url();
    home.json(&[
        "submission",
        "create",
        "helloworld",
        "team cancel",
        "--server",
        &url,
    ]);
    let names = server::slow_names(home.path(), 300);
    let started = home.json(&[
        "run",
        "helloworld",
        "--server",
        &url,
        "--arg",
        "sleeptime=10",
        "--file",
        &format!("names={}", names.display()),
    ]);
    let id = started["id"].as_str().unwrap().to_string();
    let canceled = home.json(&["cancel", &id, "--server", &url]);
    // The server cancels at once.
    assert_eq!(canceled["state"], "CANCELED", "{canceled}");
    let shown = home.json(&["show", &id, "--server", &url]);
    assert_eq!(shown["state"], "CANCELED");
    assert_eq!(shown["messages"][0], "canceled at user request");
}
