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
