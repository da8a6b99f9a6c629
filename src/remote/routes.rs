//! Where a request goes. The server's descriptor (`GET <base>/`) lists every
//! route as an id and a pattern relative to the API base; URLs are built from
//! those patterns joined to the URL the user typed. The descriptor's own `url`
//! comes from the server's environment and is often wrong behind a proxy, so it
//! is never used.

use super::error::RemoteError;
use serde::Deserialize;
use std::collections::HashMap;
use url::Url;

/// The API base path of a default flowServ installation (`FLOWSERV_API_PATH`).
pub const DEFAULT_API_PATH: &str = "flowserv/api/v1/";

/// A server address as the user typed it, normalized: scheme and host kept,
/// the path ending in `/` so that relative patterns join below it, no query or
/// fragment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerUrl(Url);

impl ServerUrl {
    pub fn parse(text: &str) -> Result<ServerUrl, RemoteError> {
        let text = text.trim();
        let bad = |reason: &str| RemoteError::BadUrl {
            url: text.to_string(),
            reason: reason.to_string(),
        };
        if !text.contains("://") {
            return Err(bad(
                "give the whole address with http:// or https://, e.g. https://example.org/flowserv/api/v1",
            ));
        }
        let mut url = Url::parse(text).map_err(|e| bad(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("only http:// and https:// addresses are supported"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("the address has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "leave the user name out of the address; sign in with --username",
            ));
        }
        url.set_query(None);
        url.set_fragment(None);
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(ServerUrl(url))
    }

    /// The key under which tokens, cache entries and the server list know this
    /// server: the URL without its trailing slash.
    pub fn key(&self) -> String {
        self.0.as_str().trim_end_matches('/').to_string()
    }

    /// `host[:port]`, for messages.
    pub fn host(&self) -> String {
        match (self.0.host_str(), self.0.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_string(),
            _ => self.key(),
        }
    }

    pub fn as_url(&self) -> &Url {
        &self.0
    }

    /// Whether the user typed only a host (no API path), so that the default
    /// API path is worth a try.
    pub fn has_no_path(&self) -> bool {
        self.0.path() == "/"
    }

    /// This address with flowServ's default API path below it.
    pub fn with_default_path(&self) -> ServerUrl {
        let mut url = self.0.clone();
        url.set_path(&format!("/{DEFAULT_API_PATH}"));
        ServerUrl(url)
    }
}

impl std::fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key())
    }
}

/// The service descriptor as the server sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct Descriptor {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub version: String,
    pub routes: Vec<Route>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Route {
    pub id: String,
    pub pattern: String,
}

/// Routes by id, ready to expand.
#[derive(Debug, Clone)]
pub struct Routes {
    base: ServerUrl,
    version: String,
    name: String,
    patterns: HashMap<String, String>,
}

impl Routes {
    pub fn new(base: ServerUrl, descriptor: Descriptor) -> Routes {
        Routes {
            base,
            version: descriptor.version,
            name: descriptor.name,
            patterns: descriptor
                .routes
                .into_iter()
                .map(|route| (route.id, route.pattern))
                .collect(),
        }
    }

    pub fn base(&self) -> &ServerUrl {
        &self.base
    }

    /// flowServ's version as the server reports it.
    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL of route `id` with its `{placeholders}` filled in. Path
    /// placeholders must all be given; query parameters whose placeholder has
    /// no value are left out (so `?orderBy={orderBy}` disappears when no order
    /// is asked for).
    pub fn url(&self, id: &str, values: &[(&str, &str)]) -> Result<Url, RemoteError> {
        let pattern = self
            .patterns
            .get(id)
            .ok_or_else(|| RemoteError::MissingRoute {
                server: self.base.key(),
                route: id.to_string(),
                version: self.version.clone(),
            })?;
        let lookup = |name: &str| {
            values
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| *value)
        };
        let (path, query) = match pattern.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (pattern.as_str(), None),
        };
        let mut relative = String::new();
        let mut rest = path;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            relative.push_str(&rest[..start]);
            let name = &rest[start + 1..start + len];
            let value = lookup(name).ok_or_else(|| {
                RemoteError::Invalid(format!("route '{id}' needs a value for '{name}'"))
            })?;
            relative.push_str(&encode_segment(value));
            rest = &rest[start + len + 1..];
        }
        relative.push_str(rest);
        let mut url = self.base.as_url().join(&relative).map_err(|e| {
            RemoteError::Invalid(format!("route '{id}' ({pattern}) gives no URL: {e}"))
        })?;
        if let Some(query) = query {
            let mut pairs: Vec<(String, String)> = Vec::new();
            for pair in query.split('&') {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                let value = match value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                    Some(name) => match lookup(name) {
                        Some(value) => value.to_string(),
                        None => continue,
                    },
                    None => value.to_string(),
                };
                pairs.push((key.to_string(), value));
            }
            if !pairs.is_empty() {
                url.query_pairs_mut().extend_pairs(pairs);
            }
        }
        Ok(url)
    }
}

/// Percent-encode one path segment (ids are hex, but names typed by people
/// may hold anything).
fn encode_segment(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes(base: &str) -> Routes {
        let descriptor: Descriptor = serde_json::from_value(serde_json::json!({
            "name": "flowServ",
            "version": "0.8.1",
            "url": "http://localhost:5000/wrong/behind/proxy",
            "routes": [
                {"id": "workflows:get", "pattern": "workflows/{workflowId}"},
                {"id": "leaderboard", "pattern": "workflows/{workflowId}/leaderboard?orderBy={orderBy}&includeAll={includeAll}"},
                {"id": "service", "pattern": ""}
            ]
        }))
        .unwrap();
        Routes::new(ServerUrl::parse(base).unwrap(), descriptor)
    }

    #[test]
    fn patterns_join_below_the_typed_url_not_the_descriptor_url() {
        let routes = routes("https://bench.example.org/proxy/api");
        let url = routes
            .url("workflows:get", &[("workflowId", "hello")])
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://bench.example.org/proxy/api/workflows/hello"
        );
        assert_eq!(
            routes.url("service", &[]).unwrap().as_str(),
            "https://bench.example.org/proxy/api/"
        );
    }

    #[test]
    fn query_parameters_without_value_are_left_out() {
        let routes = routes("http://127.0.0.1:5000/flowserv/api/v1/");
        let url = routes
            .url(
                "leaderboard",
                &[("workflowId", "hw"), ("includeAll", "true")],
            )
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:5000/flowserv/api/v1/workflows/hw/leaderboard?includeAll=true"
        );
        let url = routes
            .url(
                "leaderboard",
                &[("workflowId", "hw"), ("orderBy", "max_len:asc,avg_count")],
            )
            .unwrap();
        assert_eq!(url.query(), Some("orderBy=max_len%3Aasc%2Cavg_count"));
    }

    #[test]
    fn values_are_encoded_and_missing_ones_named() {
        let routes = routes("http://127.0.0.1:5000/flowserv/api/v1");
        let url = routes
            .url("workflows:get", &[("workflowId", "a b/../c")])
            .unwrap();
        assert_eq!(url.path(), "/flowserv/api/v1/workflows/a%20b%2F..%2Fc");
        let error = routes.url("workflows:get", &[]).unwrap_err().to_string();
        assert!(error.contains("workflowId"), "{error}");
        let error = routes.url("runs:get", &[]).unwrap_err().to_string();
        assert!(
            error.contains("runs:get") && error.contains("0.8.1"),
            "{error}"
        );
    }

    #[test]
    fn server_urls_are_checked_and_normalized() {
        let url = ServerUrl::parse(" http://127.0.0.1:5000/flowserv/api/v1?x=1#top ").unwrap();
        assert_eq!(url.key(), "http://127.0.0.1:5000/flowserv/api/v1");
        assert_eq!(url.host(), "127.0.0.1:5000");
        assert!(!url.has_no_path());
        let bare = ServerUrl::parse("https://bench.example.org").unwrap();
        assert!(bare.has_no_path());
        assert_eq!(
            bare.with_default_path().key(),
            "https://bench.example.org/flowserv/api/v1"
        );
        for bad in [
            "bench.example.org",
            "ftp://bench.example.org",
            "http://",
            "https://me:secret@bench.example.org",
        ] {
            let error = ServerUrl::parse(bad).unwrap_err().to_string();
            assert!(error.contains(bad.trim()), "{bad}: {error}");
        }
    }
}
