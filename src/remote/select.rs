//! Which server a command talks to, and with which token: `--server`, else
//! `FLOWDESK_SERVER`, else flowServ's own client settings — `FLOWSERV_CLIENT=remote`
//! with the URL from `FLOWSERV_API_PROTOCOL`, `FLOWSERV_API_HOST`,
//! `FLOWSERV_API_PORT` and `FLOWSERV_API_PATH` (defaults `http`, `localhost`,
//! `5000`, `/flowserv/api/v1`, as flowServ's `API_URL`) and the token from
//! `FLOWSERV_ACCESS_TOKEN`. The environment is passed in, so that tests need
//! not change the process's own.

use super::error::RemoteError;
use super::routes::ServerUrl;

/// The server chosen, and a token given through the environment (which wins
/// over a kept sign-in).
#[derive(Debug, Clone, PartialEq)]
pub struct ServerChoice {
    pub url: ServerUrl,
    pub token: Option<String>,
    /// Where the choice came from, for messages.
    pub source: &'static str,
}

/// Pick the server; `None` means this computer.
pub fn choose_server(
    flag: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<ServerChoice>, RemoteError> {
    let get = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    let token = get("FLOWSERV_ACCESS_TOKEN");
    if let Some(flag) = flag.filter(|flag| !flag.trim().is_empty()) {
        return Ok(Some(ServerChoice {
            url: ServerUrl::parse(flag)?,
            token,
            source: "--server",
        }));
    }
    if let Some(server) = get("FLOWDESK_SERVER") {
        return Ok(Some(ServerChoice {
            url: ServerUrl::parse(&server)?,
            token,
            source: "FLOWDESK_SERVER",
        }));
    }
    match get("FLOWSERV_CLIENT").map(|client| client.trim().to_ascii_lowercase()) {
        Some(client) if client == "remote" => {}
        Some(client) if client == "local" => return Ok(None),
        Some(client) => {
            return Err(RemoteError::Invalid(format!(
                "FLOWSERV_CLIENT is '{client}'; expected 'local' or 'remote'"
            )))
        }
        None => return Ok(None),
    }
    let protocol = get("FLOWSERV_API_PROTOCOL").unwrap_or_else(|| "http".into());
    let host = get("FLOWSERV_API_HOST").unwrap_or_else(|| "localhost".into());
    let port = match get("FLOWSERV_API_PORT") {
        Some(port) => port.trim().parse::<u16>().map_err(|_| {
            RemoteError::Invalid(format!(
                "FLOWSERV_API_PORT is '{port}'; expected a port number"
            ))
        })?,
        None => 5000,
    };
    let mut path = get("FLOWSERV_API_PATH").unwrap_or_else(|| "/flowserv/api/v1".into());
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    // flowServ leaves out port 80 whatever the protocol; so do we.
    let authority = if port == 80 {
        host
    } else {
        format!("{host}:{port}")
    };
    let url = format!("{}://{authority}{path}", protocol.trim());
    Ok(Some(ServerChoice {
        url: ServerUrl::parse(&url)?,
        token,
        source: "FLOWSERV_CLIENT=remote",
    }))
}

/// [`choose_server`] over the process environment.
pub fn choose_server_from_env(flag: Option<&str>) -> Result<Option<ServerChoice>, RemoteError> {
    choose_server(flag, |name| std::env::var(name).ok())
}

/// Whether tokens may go to the OS keyring (`FLOWDESK_KEYRING=off` keeps them
/// in the private file, for machines whose keyring prompts or hangs).
pub fn keyring_enabled(env: impl Fn(&str) -> Option<String>) -> bool {
    !matches!(
        env("FLOWDESK_KEYRING")
            .map(|value| value.trim().to_ascii_lowercase())
            .as_deref(),
        Some("off" | "0" | "false" | "no" | "file")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn the_flag_wins_then_flowdesk_server_then_flowserv_client() {
        let all = env(&[
            ("FLOWDESK_SERVER", "http://b.example/api"),
            ("FLOWSERV_CLIENT", "remote"),
            ("FLOWSERV_API_HOST", "c.example"),
            ("FLOWSERV_ACCESS_TOKEN", "t0k"),
        ]);
        let choice = choose_server(Some("https://a.example/x"), &all)
            .unwrap()
            .unwrap();
        assert_eq!(
            (choice.url.key().as_str(), choice.source),
            ("https://a.example/x", "--server")
        );
        assert_eq!(choice.token.as_deref(), Some("t0k"));
        let choice = choose_server(None, &all).unwrap().unwrap();
        assert_eq!(choice.url.key(), "http://b.example/api");
        let choice = choose_server(
            None,
            env(&[
                ("FLOWSERV_CLIENT", "remote"),
                ("FLOWSERV_API_HOST", "c.example"),
            ]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(choice.url.key(), "http://c.example:5000/flowserv/api/v1");
        assert_eq!(choice.token, None);
    }

    #[test]
    fn flowserv_client_settings_build_the_url_like_flowserv() {
        let choice = choose_server(
            None,
            env(&[
                ("FLOWSERV_CLIENT", "REMOTE"),
                ("FLOWSERV_API_PROTOCOL", "https"),
                ("FLOWSERV_API_HOST", "rob.example.org"),
                ("FLOWSERV_API_PORT", "80"),
                ("FLOWSERV_API_PATH", "rob/api"),
            ]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(choice.url.key(), "https://rob.example.org/rob/api");
        assert_eq!(choice.source, "FLOWSERV_CLIENT=remote");
    }

    #[test]
    fn local_or_nothing_means_this_computer_and_nonsense_is_named() {
        assert_eq!(choose_server(None, env(&[])).unwrap(), None);
        assert_eq!(
            choose_server(None, env(&[("FLOWSERV_CLIENT", "local")])).unwrap(),
            None
        );
        let error = choose_server(None, env(&[("FLOWSERV_CLIENT", "cloud")]))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("FLOWSERV_CLIENT") && error.contains("cloud"),
            "{error}"
        );
        let error = choose_server(
            None,
            env(&[
                ("FLOWSERV_CLIENT", "remote"),
                ("FLOWSERV_API_PORT", "eighty"),
            ]),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("FLOWSERV_API_PORT"), "{error}");
        let error = choose_server(Some("not a url"), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("not a url"), "{error}");
    }

    #[test]
    fn the_keyring_can_be_turned_off() {
        assert!(keyring_enabled(env(&[])));
        assert!(!keyring_enabled(env(&[("FLOWDESK_KEYRING", "off")])));
        assert!(!keyring_enabled(env(&[("FLOWDESK_KEYRING", "File")])));
        assert!(keyring_enabled(env(&[("FLOWDESK_KEYRING", "on")])));
    }
}
