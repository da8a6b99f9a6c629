//! A real flowServ server for the server-mode tests: the pinned `rob-flask`
//! set from `target/serverenv` (installed by `.ci/run`), started on 127.0.0.1
//! on a free port with its own `FLOWSERV_API_DIR` and database, with the
//! benchmarks installed by `flowserv workflows create` as a coordinator would.
//!
//! The server runs in its own process group, so stopping it also stops the
//! workflow processes it started. A `Server` stops it when dropped — also when
//! the test panics, because unwinding drops it; `PR_SET_PDEATHSIG` covers a
//! test process that is killed outright. `shared()` hands out one server per
//! test binary (starting the Python server costs seconds), stopped at exit.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The API path flowServ serves by default (`FLOWSERV_API_PATH`).
pub const API_PATH: &str = "/flowserv/api/v1";

/// Benchmarks every test server has: (id, name, sample folder). flowserv-core
/// 0.8.1 runs only the REANA serial syntax (the Hello World of
/// `features/reana-serial`), so a slow run is Hello World with a long names
/// file and the longest sleep (see `slow_names`).
pub const BENCHMARKS: &[(&str, &str, &str)] =
    &[("helloworld", "Hello World", "features/reana-serial")];

/// A names file that keeps a Hello World run with `sleeptime=10` busy for
/// about `seconds` seconds (one second per name).
pub fn slow_names(dir: &Path, seconds: usize) -> PathBuf {
    let path = dir.join("many-names.txt");
    let names: String = (0..seconds).map(|i| format!("Name{i}\n")).collect();
    std::fs::write(&path, names).expect("write the names file");
    path
}

/// The upload limit of the test servers (`ROB_WEBAPI_CONTENTLENGTH`), small so
/// that the "too large" test need not write 16 MB.
pub const UPLOAD_LIMIT_MB: usize = 2;

/// How long the server may take to answer after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(90);

pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-templates")
}

/// The server virtualenv's `bin` folder, or a failure that says how to make it.
pub fn serverenv() -> PathBuf {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/serverenv/bin");
    if !bin.join("flask").exists() || !bin.join("flowserv").exists() {
        panic!(
            "the flowServ server is not installed in `{}`: run `.ci/run` or \
             `python3 -m venv target/serverenv && target/serverenv/bin/pip install \
             rob-flask==0.6.0 flowserv-core==0.8.1 'flask<2.2' 'werkzeug<2.2'`",
            bin.display()
        );
    }
    bin
}

/// A running flowServ server.
pub struct Server {
    child: Option<Child>,
    dir: tempfile::TempDir,
    port: u16,
}

impl Server {
    /// Start a server with the standard benchmarks installed.
    pub fn start() -> Server {
        Server::start_with(BENCHMARKS)
    }

    pub fn start_with(benchmarks: &[(&str, &str, &str)]) -> Server {
        let bin = serverenv();
        let dir = tempfile::tempdir().expect("temporary folder for the server");
        let mut server = Server {
            child: None,
            dir,
            port: 0,
        };
        server.flowserv(&bin, &["init", "-f"]);
        for (id, name, folder) in benchmarks {
            let source = samples().join(folder);
            server.flowserv(
                &bin,
                &[
                    "workflows",
                    "create",
                    "-k",
                    id,
                    "-n",
                    name,
                    &source.to_string_lossy(),
                ],
            );
        }
        server.port = free_port();
        let log = std::fs::File::create(server.dir.path().join("server.log")).expect("server log");
        let err = log.try_clone().expect("server log");
        let mut command = Command::new(bin.join("flask"));
        command
            .args(["run", "--host", "127.0.0.1", "--port"])
            .arg(server.port.to_string())
            .env("FLASK_APP", "robflask.api")
            .env("PATH", path_with(&bin))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .process_group(0);
        server.environment(&mut command);
        // SAFETY: prctl is async-signal-safe and touches nothing of the parent.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        server.child = Some(command.spawn().expect("start `flask run`"));
        server.wait_until_ready();
        server
    }

    /// The URL a user types: the server's address with the API path.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}{API_PATH}", self.port)
    }

    /// The address without the API path.
    pub fn root(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's base folder (`FLOWSERV_API_DIR`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What the server printed (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Stop the server and every process it started.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // The group id is the child's pid (process_group(0)).
            let pid = child.id() as libc::pid_t;
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn environment(&self, command: &mut Command) {
        let dir = self.dir.path();
        command
            .env("FLOWSERV_API_DIR", dir)
            .env(
                "FLOWSERV_DATABASE",
                format!("sqlite:///{}", dir.join("flowserv.db").display()),
            )
            .env("FLOWSERV_API_PATH", API_PATH)
            .env("ROB_WEBAPI_LOG", dir.join("log"))
            .env(
                "ROB_WEBAPI_CONTENTLENGTH",
                (UPLOAD_LIMIT_MB * 1024 * 1024).to_string(),
            )
            .env_remove("FLOWSERV_SERIAL_WORKERS")
            .env_remove("FLOWSERV_ACCESS_TOKEN")
            .env_remove("FLOWSERV_CLIENT")
            .env_remove("ROB_UI_PATH");
    }

    fn flowserv(&self, bin: &Path, args: &[&str]) {
        let mut command = Command::new(bin.join("flowserv"));
        command
            .args(args)
            .env("PATH", path_with(bin))
            .stdin(Stdio::null());
        self.environment(&mut command);
        let output = command.output().expect("run `flowserv`");
        assert!(
            output.status.success(),
            "`flowserv {}` failed: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Wait until the service descriptor answers (or the process died).
    fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("the flowServ server exited ({status}): {}", self.log());
                }
            }
            if descriptor_answers(self.port) {
                return;
            }
            if Instant::now() > deadline {
                let log = self.log();
                self.stop();
                panic!("the flowServ server did not answer within {START_TIMEOUT:?}: {log}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One server for the whole test binary, for tests that only need a server and
/// do not stop it. Stopped when the test binary exits.
pub fn shared() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    static PIDS: Mutex<Vec<i32>> = Mutex::new(Vec::new());
    extern "C" fn stop_shared() {
        if let Ok(pids) = PIDS.lock() {
            for pid in pids.iter() {
                unsafe {
                    libc::kill(-pid, libc::SIGKILL);
                }
            }
        }
    }
    SERVER.get_or_init(|| {
        // PR_SET_PDEATHSIG fires when the *thread* that started the server
        // ends, so the shared one is started by a thread that never does.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let started = std::panic::catch_unwind(Server::start);
            let _ = tx.send(started);
            loop {
                std::thread::park();
            }
        });
        let server = match rx.recv() {
            Ok(Ok(server)) => server,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => panic!("the thread starting the shared server died"),
        };
        if let Some(child) = server.child.as_ref() {
            if let Ok(mut pids) = PIDS.lock() {
                pids.push(child.id() as i32);
            }
        }
        // The test harness leaves through `exit`, which runs atexit handlers;
        // statics are never dropped.
        unsafe {
            libc::atexit(stop_shared);
        }
        server
    })
}

fn path_with(bin: &Path) -> std::ffi::OsString {
    let mut paths = vec![bin.to_path_buf()];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(paths).unwrap_or_default()
}

/// A port nobody listens on now (the OS picks it; the tiny race with another
/// process taking it first would show as a start-up failure, not a wrong pass).
pub fn free_port() -> u16 {
    TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port on 127.0.0.1")
}

fn descriptor_answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(
        &SocketAddrV4::new(Ipv4Addr::LOCALHOST, port).into(),
        Duration::from_secs(1),
    ) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET {API_PATH}/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200")
}
