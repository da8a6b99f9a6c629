//! The server commands: `login`, `register`, `logout`, `servers`. They manage
//! the list of flowServ servers and the sign-in to each (the token in the OS
//! keyring or a private file; the password is never stored).

use super::{fail, table};
use crate::config::Config;
use crate::remote::select::{choose_server_from_env, keyring_enabled};
use crate::remote::{Credentials, RemoteError, ServerApi, ServerUrl, TokenPlace};
use clap::Args;
use serde_json::json;
use std::io::{BufRead, IsTerminal};
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct SignInArgs {
    /// The server's address, e.g. https://bench.example.org/flowserv/api/v1
    /// (a bare host gets flowServ's default path).
    pub url: String,
    #[arg(long)]
    pub username: String,
    /// Read the password from the first line of standard input instead of
    /// asking for it.
    #[arg(long)]
    pub password_stdin: bool,
    #[arg(long)]
    pub json: bool,
}

/// The credentials of this home folder, honouring `FLOWDESK_KEYRING`.
pub fn credentials(config: &Config) -> Credentials {
    Credentials::new(
        &config.home,
        keyring_enabled(|name| std::env::var(name).ok()),
    )
}

/// The offline cache of this home folder (none if it cannot be opened: the
/// commands still work, only without the offline fallback).
pub fn cache(config: &Config) -> Option<Arc<crate::remote::OfflineCache>> {
    crate::remote::offline_cache(&config.home)
}

pub fn login(config: Config, args: SignInArgs) -> i32 {
    match sign_in(&config, &args, false) {
        Ok(code) => code,
        Err(error) => fail(error),
    }
}

pub fn register(config: Config, args: SignInArgs) -> i32 {
    match sign_in(&config, &args, true) {
        Ok(code) => code,
        Err(error) => fail(error),
    }
}

fn sign_in(config: &Config, args: &SignInArgs, register: bool) -> Result<i32, RemoteError> {
    let username = args.username.trim();
    if username.is_empty() {
        return Err(RemoteError::Invalid("the user name is empty".into()));
    }
    let url = ServerUrl::parse(&args.url)?;
    let api = ServerApi::connect(url, None, cache(config))?;
    let password = read_password(args.password_stdin, register)?;
    if register {
        api.register(username, &password)?;
    }
    let user = api.login(username, &password)?;
    let token = user.token.unwrap_or_default();
    let place = credentials(config).sign_in(api.url(), username, &token)?;
    if args.json {
        print_json(&json!({
            "server": api.url().key(),
            "username": username,
            "registered": register,
            "token": match place { TokenPlace::Keyring => "keyring", TokenPlace::File => "file" },
        }));
    } else {
        let verb = if register {
            "registered and signed in"
        } else {
            "signed in"
        };
        say(format!(
            "{verb} to `{}` as {username} (the token is kept in {place})",
            api.url()
        ));
    }
    Ok(0)
}

/// The password: from standard input's first line, or asked for without
/// echo (twice when registering).
fn read_password(from_stdin: bool, confirm: bool) -> Result<String, RemoteError> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| RemoteError::Invalid(format!("cannot read the password: {e}")))?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else if std::io::stdin().is_terminal() {
        let ask = |prompt: &str| {
            rpassword::prompt_password(prompt)
                .map_err(|e| RemoteError::Invalid(format!("cannot read the password: {e}")))
        };
        let first = ask("Password: ")?;
        if confirm && ask("Password again: ")? != first {
            return Err(RemoteError::Invalid("the passwords differ".into()));
        }
        first
    } else {
        return Err(RemoteError::Invalid(
            "no password: standard input is not a terminal; give --password-stdin and pipe it in"
                .into(),
        ));
    };
    if password.trim().is_empty() {
        return Err(RemoteError::Invalid("the password is empty".into()));
    }
    Ok(password)
}

pub fn logout(config: Config, url: Option<String>, json: bool) -> i32 {
    match sign_out(&config, url) {
        Ok((server, note)) => {
            if json {
                print_json(&json!({"server": server, "signed_out": true, "note": note}));
            } else {
                say(format!("signed out of `{server}`"));
                if let Some(note) = note {
                    eprintln!("note: {note}");
                }
            }
            0
        }
        Err(error) => fail(error),
    }
}

fn sign_out(config: &Config, url: Option<String>) -> Result<(String, Option<String>), RemoteError> {
    let credentials = credentials(config);
    let url = match url {
        Some(url) => ServerUrl::parse(&url)?,
        None => match choose_server_from_env(None)? {
            Some(choice) => choice.url,
            None => {
                let signed_in: Vec<String> = credentials
                    .servers()?
                    .into_iter()
                    .filter(|entry| entry.signed_in())
                    .map(|entry| entry.url)
                    .collect();
                match signed_in.as_slice() {
                    [only] => ServerUrl::parse(only)?,
                    [] => return Err(RemoteError::Invalid("not signed in to any server".into())),
                    many => {
                        return Err(RemoteError::Invalid(format!(
                            "signed in to several servers ({}); say which: `flowdesk logout <url>`",
                            many.join(", ")
                        )))
                    }
                }
            }
        },
    };
    let Some(session) = credentials.session(&url)? else {
        if credentials.server(&url)?.is_none() {
            return Err(RemoteError::UnknownServer(url.key()));
        }
        return Err(RemoteError::Invalid(format!("not signed in to `{url}`")));
    };
    // Tell the server, so that the token dies there too; if it cannot be
    // told, the token is forgotten here all the same.
    let api = ServerApi::new(url.clone(), Some(session.token), None);
    let note = match api.logout() {
        Ok(()) => None,
        Err(error) if error.needs_sign_in() => None,
        Err(error) => Some(format!(
            "the server was not told ({error}); the token is forgotten here"
        )),
    };
    credentials.sign_out(&url)?;
    Ok((url.key(), note))
}

pub fn servers(config: Config, json: bool) -> i32 {
    let list = match credentials(&config).servers() {
        Ok(list) => list,
        Err(error) => return fail(error),
    };
    if json {
        let rows: Vec<_> = list
            .iter()
            .map(|entry| {
                json!({
                    "url": entry.url,
                    "username": entry.username,
                    "signed_in": entry.signed_in(),
                    "token": entry.token_place.map(|p| match p {
                        TokenPlace::Keyring => "keyring",
                        TokenPlace::File => "file",
                    }),
                })
            })
            .collect();
        print_json(&json!(rows));
    } else if list.is_empty() {
        say("no servers; add one with `flowdesk login <url> --username NAME`".into());
    } else {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|entry| {
                vec![
                    entry.url.clone(),
                    entry.username.clone().unwrap_or_else(|| "–".into()),
                    match entry.token_place {
                        Some(TokenPlace::Keyring) => "keyring".into(),
                        Some(TokenPlace::File) => "file".into(),
                        None => "signed out".into(),
                    },
                ]
            })
            .collect();
        say(table(&["SERVER", "USER", "SIGN-IN"], &rows));
    }
    0
}

/// Output goes through the CLI's writer: a closed pipe ends quietly.
fn print_json(value: &serde_json::Value) {
    let _ = super::print_json(value);
}

fn say(text: String) {
    let _ = super::print_line(format_args!("{text}"));
}
