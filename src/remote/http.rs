//! The transport: one `ureq` agent per server (rustls, the system's root
//! certificates, proxies from `ALL_PROXY`/`HTTPS_PROXY`/`HTTP_PROXY` and
//! `NO_PROXY`), the `api-key` header, bounded timeouts, and the translation of
//! transport failures and HTTP statuses into [`RemoteError`]s.
//!
//! The token goes in `api-key` (with a hyphen): servers that drop headers with
//! underscores (Werkzeug 3's development server, nginx by default) would lose
//! `api_key`, and WSGI maps both spellings to the same variable, so every
//! flowServ version reads it.

use super::error::RemoteError;
use super::routes::ServerUrl;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;
use ureq::http::Response;
use ureq::{Agent, Body};
use url::Url;

/// The header flowServ reads the access token from.
pub const TOKEN_HEADER: &str = "api-key";
/// How long to wait for a TCP (and TLS) connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one ordinary request may take, start to end.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// For uploads and downloads, which may take longer than a request: how long
/// the connection may stall without a byte moving.
pub const TRANSFER_STALL_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest JSON document read from a server (a 10,000-run leaderboard is
/// a few MB).
pub const MAX_JSON_BYTES: u64 = 256 * 1024 * 1024;

/// What goes into a request.
pub enum Payload<'a> {
    None,
    Json(&'a Value),
    /// A `multipart/form-data` upload of one file in the field `file`.
    File {
        path: &'a Path,
        progress: &'a mut dyn FnMut(u64, u64),
    },
}

/// The HTTP side of one server.
#[derive(Clone)]
pub struct Http {
    server: ServerUrl,
    agent: Agent,
}

impl Http {
    pub fn new(server: ServerUrl) -> Http {
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(REQUEST_TIMEOUT))
            .proxy(ureq::Proxy::try_from_env())
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                    .build(),
            )
            .user_agent(concat!("flowdesk/", env!("CARGO_PKG_VERSION")))
            .build();
        Http {
            server,
            agent: config.into(),
        }
    }

    pub fn server(&self) -> &ServerUrl {
        &self.server
    }

    /// Send a request; a response with any status comes back (the caller
    /// decides what a status means for its resource), transport failures
    /// become `Unreachable`/`Timeout`.
    pub fn send(
        &self,
        method: &str,
        url: &Url,
        token: Option<&str>,
        payload: Payload<'_>,
    ) -> Result<Response<Body>, RemoteError> {
        let transfer = matches!(payload, Payload::File { .. });
        let builder = ureq::http::Request::builder()
            .method(method)
            .uri(url.as_str());
        let builder = match token {
            Some(token) => builder.header(TOKEN_HEADER, token),
            None => builder,
        };
        let result = match payload {
            Payload::None => {
                let request = builder.body(()).map_err(|e| self.invalid(e))?;
                let request = if method == "GET" && is_download(url) {
                    self.transfer_config(request)
                } else {
                    request
                };
                self.agent.run(request)
            }
            Payload::Json(value) => {
                let bytes = serde_json::to_vec(value).map_err(|e| self.invalid(e))?;
                builder
                    .header("content-type", "application/json")
                    .body(bytes)
                    .map(|request| self.agent.run(request))
                    .map_err(|e| self.invalid(e))?
            }
            Payload::File { path, progress } => {
                let mut body = Multipart::open(path, progress)?;
                let length = body.len();
                let content_type = format!("multipart/form-data; boundary={}", body.boundary);
                builder
                    .header("content-type", content_type)
                    .header("content-length", length)
                    .body(ureq::SendBody::from_reader(&mut body))
                    .map(|request| self.agent.run(self.transfer_config(request)))
                    .map_err(|e| self.invalid(e))?
            }
        };
        result.map_err(|error| self.transport_error(error, transfer))
    }

    /// Longer transfers: no overall limit, but a stall limit per read and
    /// write, so a dead connection still ends.
    fn transfer_config<B: ureq::AsSendBody>(
        &self,
        request: ureq::http::Request<B>,
    ) -> ureq::http::Request<B> {
        self.agent
            .configure_request(request)
            .timeout_global(None)
            .timeout_per_read(Some(TRANSFER_STALL_TIMEOUT))
            .timeout_per_write(Some(TRANSFER_STALL_TIMEOUT))
            .build()
    }

    fn invalid(&self, error: impl std::fmt::Display) -> RemoteError {
        RemoteError::Invalid(format!(
            "cannot build a request to `{}`: {error}",
            self.server
        ))
    }

    pub fn transport_error(&self, error: ureq::Error, transfer: bool) -> RemoteError {
        let host = self.server.host();
        match error {
            ureq::Error::Timeout(kind) => {
                let seconds = match kind {
                    ureq::Timeout::Connect | ureq::Timeout::Resolve => CONNECT_TIMEOUT,
                    _ if transfer => TRANSFER_STALL_TIMEOUT,
                    _ => REQUEST_TIMEOUT,
                };
                RemoteError::Timeout {
                    host,
                    seconds: seconds.as_secs(),
                }
            }
            ureq::Error::HostNotFound => RemoteError::Unreachable {
                host,
                reason: "no such host (check the address)".into(),
            },
            ureq::Error::Io(error) => RemoteError::Unreachable {
                host,
                reason: io_reason(&error),
            },
            ureq::Error::ConnectionFailed => RemoteError::Unreachable {
                host,
                reason: "the connection failed".into(),
            },
            ureq::Error::ConnectProxyFailed(reason) => RemoteError::Unreachable {
                host,
                reason: format!("the proxy refused the connection: {reason}"),
            },
            ureq::Error::InvalidProxyUrl => RemoteError::Unreachable {
                host,
                reason: "the proxy in HTTPS_PROXY/HTTP_PROXY/ALL_PROXY is not a valid URL".into(),
            },
            ureq::Error::Tls(reason) => RemoteError::Unreachable {
                host,
                reason: format!("TLS failed: {reason}"),
            },
            ureq::Error::Rustls(error) => RemoteError::Unreachable {
                host,
                reason: format!("TLS failed: {error}"),
            },
            ureq::Error::BodyExceedsLimit(limit) => RemoteError::BadResponse {
                server: self.server.key(),
                url: String::new(),
                message: format!("the response is larger than {} MB", limit / 1_000_000),
            },
            other => RemoteError::Unreachable {
                host,
                reason: other.to_string(),
            },
        }
    }

    /// Read a JSON document from a successful response.
    pub fn json<T: DeserializeOwned>(
        &self,
        url: &Url,
        response: &mut Response<Body>,
    ) -> Result<T, RemoteError> {
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_JSON_BYTES)
            .read_to_string()
            .map_err(|error| match error {
                ureq::Error::BodyExceedsLimit(_) => RemoteError::BadResponse {
                    server: self.server.key(),
                    url: url.to_string(),
                    message: format!("the response is larger than {MAX_JSON_BYTES} bytes"),
                },
                other => self.transport_error(other, false),
            })?;
        serde_json::from_str(&text).map_err(|error| RemoteError::BadResponse {
            server: self.server.key(),
            url: url.to_string(),
            message: error.to_string(),
        })
    }

    /// Copy a successful response's body into `out`, returning the bytes
    /// written.
    pub fn copy_to(
        &self,
        response: &mut Response<Body>,
        out: &mut dyn Write,
        out_name: &Path,
    ) -> Result<u64, RemoteError> {
        let mut reader = response.body_mut().as_reader();
        let mut buffer = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    return Err(RemoteError::Unreachable {
                        host: self.server.host(),
                        reason: format!("the download broke off: {}", io_reason(&error)),
                    })
                }
            };
            out.write_all(&buffer[..n])
                .map_err(|source| RemoteError::Io {
                    path: out_name.to_path_buf(),
                    source,
                })?;
            total += n as u64;
        }
        out.flush().map_err(|source| RemoteError::Io {
            path: out_name.to_path_buf(),
            source,
        })?;
        Ok(total)
    }
}

/// Downloads get the transfer limits instead of the request limit.
fn is_download(url: &Url) -> bool {
    url.path().contains("/downloads/") || url.path().contains("/uploads/")
}

/// The server's message from an error response: flowServ sends `{message}`
/// (400, 403, 404) or `{error}` (413, 500); anything else is shown cut short.
pub fn error_message(response: &mut Response<Body>) -> (String, bool) {
    let text = response
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_string()
        .unwrap_or_default();
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(object)) => {
            let message = object
                .get("message")
                .or_else(|| object.get("error"))
                .and_then(Value::as_str)
                .map(str::to_string);
            match message {
                Some(message) => (message, true),
                None => (Value::Object(object).to_string(), true),
            }
        }
        _ => {
            let short: String = text.trim().chars().take(200).collect();
            (short, false)
        }
    }
}

fn io_reason(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::ConnectionRefused => "connection refused (is the server running?)".into(),
        ErrorKind::ConnectionReset => "the connection was reset".into(),
        ErrorKind::ConnectionAborted => "the connection was aborted".into(),
        ErrorKind::BrokenPipe => "the server closed the connection".into(),
        ErrorKind::UnexpectedEof => "the server closed the connection".into(),
        ErrorKind::TimedOut => "timed out".into(),
        _ => error.to_string(),
    }
}

/// A one-file `multipart/form-data` body streamed from disk with an exact
/// `Content-Length`, counting bytes for a progress bar. Hand-framed (a header,
/// the file, a closing boundary) because a generic form builder can neither
/// report progress nor give a length for a streamed part, and without a
/// length a server that limits uploads cannot refuse early with 413.
struct Multipart<'a> {
    boundary: String,
    head: std::io::Cursor<Vec<u8>>,
    file: std::fs::File,
    tail: std::io::Cursor<Vec<u8>>,
    size: u64,
    sent: u64,
    progress: &'a mut dyn FnMut(u64, u64),
}

impl<'a> Multipart<'a> {
    fn open(path: &Path, progress: &'a mut dyn FnMut(u64, u64)) -> Result<Self, RemoteError> {
        let io = |source| RemoteError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "upload".to_string());
        // Quotes and line breaks cannot be escaped in this header; the server
        // makes the name safe anyway (werkzeug's secure_filename).
        let name: String = name
            .chars()
            .map(|c| {
                if matches!(c, '"' | '\r' | '\n' | '\\') {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        let boundary = format!("flowdesk-{}", uuid::Uuid::new_v4().simple());
        let head = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        );
        let tail = format!("\r\n--{boundary}--\r\n");
        Ok(Multipart {
            boundary,
            head: std::io::Cursor::new(head.into_bytes()),
            file,
            tail: std::io::Cursor::new(tail.into_bytes()),
            size,
            sent: 0,
            progress,
        })
    }

    fn len(&self) -> u64 {
        self.head.get_ref().len() as u64 + self.size + self.tail.get_ref().len() as u64
    }
}

impl Read for Multipart<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.head.read(buf)?;
        if n > 0 {
            return Ok(n);
        }
        if self.sent < self.size {
            let want = buf.len().min((self.size - self.sent) as usize);
            let n = self.file.read(&mut buf[..want])?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the file became shorter while it was being uploaded",
                ));
            }
            self.sent += n as u64;
            (self.progress)(self.sent, self.size);
            return Ok(n);
        }
        self.tail.read(buf)
    }
}
