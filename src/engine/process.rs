//! One command as a child process: the single place where the engine talks to
//! the operating system about processes. Shell commands (`sh -c`) and programs
//! started directly (`docker`, `papermill`) go through the same code, so every
//! worker gets the same streaming, cancellation and time limits.
//!
//! Why it is more than `Command::output()`:
//! - each command runs in its own process group, so a cancel (or the end of the
//!   command) can signal everything it started, children of children included;
//! - stdout and stderr are read concurrently, line by line, and handed out as they
//!   arrive (with a UTC timestamp) instead of being collected at the end;
//! - everything the command started is reaped. On Linux the process becomes a
//!   "child subreaper", so orphaned grandchildren are re-parented to us instead of
//!   to PID 1 (which, in containers, often never reaps them) and are reaped here;
//! - nothing outlives the command, or flowdesk: every process it starts carries
//!   the run's tag, descendants that left the group are found by it and killed
//!   when the command ends, and the leader dies with flowdesk (see [`reaper`]).
//!
//! [`reaper`]: super::reaper
//! - what the program used (peak memory, CPU time) is read from the kernel when
//!   it exits, before it is reaped: `wait4`'s resource usage, taken through a
//!   pidfd with `WNOWAIT` so that tokio still reaps it as usual.

use super::cancel::CancelToken;
use super::reaper::{self, Sweeper, RUN_TAG_VAR};
use chrono::{DateTime, Utc};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long a process group gets between SIGTERM and SIGKILL.
pub const TERMINATE_GRACE: Duration = Duration::from_millis(300);
/// How long to keep waiting after SIGKILL before giving up on stragglers (a process
/// stuck in uninterruptible I/O cannot die sooner).
const KILL_WAIT: Duration = Duration::from_secs(2);
/// How often a dying group is checked.
const POLL: Duration = Duration::from_millis(5);
/// How long to wait for the pipes to close once the group is gone; a process that
/// left the group (`setsid`) may still hold them.
const DRAIN_WAIT: Duration = Duration::from_secs(1);
/// Lines longer than this are handed out in pieces of this size.
pub const MAX_LINE: usize = 1024 * 1024;
/// Lines buffered between the pipe readers and the sink.
const LINE_BUFFER: usize = 256;

/// Which output stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of output, without its line ending, decoded as lossy UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputLine {
    pub stream: Stream,
    /// When the line was read (UTC).
    pub time: DateTime<Utc>,
    pub text: String,
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// The program (the shell, for a command) exited with this code.
    Code(i32),
    /// The program was killed by this signal.
    Signal(i32),
}

impl ExitStatus {
    pub fn success(self) -> bool {
        self == ExitStatus::Code(0)
    }

    fn from_std(status: std::process::ExitStatus) -> Self {
        use std::os::unix::process::ExitStatusExt as _;
        match (status.code(), status.signal()) {
            (Some(code), _) => ExitStatus::Code(code),
            (None, Some(signal)) => ExitStatus::Signal(signal),
            // Neither code nor signal cannot happen for a terminated process.
            (None, None) => ExitStatus::Code(-1),
        }
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitStatus::Code(code) => write!(f, "exited with code {code}"),
            ExitStatus::Signal(signal) => write!(f, "was killed by signal {signal}"),
        }
    }
}

/// The result of [`run_command`] and [`run_program`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The command ran to its end.
    Exited(ExitStatus),
    /// The command was cancelled; its whole process group is gone.
    Canceled,
    /// The deadline passed first; the command's whole process group is gone.
    TimedOut,
}

/// What a program used, as the kernel accounts it when it exits: the program
/// and the descendants it waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// The largest resident set of any one of those processes, in bytes.
    pub peak_memory: u64,
    pub user_time: Duration,
    pub system_time: Duration,
}

/// Receives the output of a command. Called from the task that runs the command,
/// one line at a time, in the order each stream produced them.
pub trait OutputSink: Send {
    fn line(&mut self, line: OutputLine);
    /// Called when no more output is waiting: a good moment to flush buffers.
    fn idle(&mut self) {}
    /// What the program used, once it has exited by itself (not for a program
    /// that was stopped, nor where the kernel cannot tell).
    fn usage(&mut self, _usage: Usage) {}
}

impl<F: FnMut(OutputLine) + Send> OutputSink for F {
    fn line(&mut self, line: OutputLine) {
        self(line)
    }
}

/// Run `sh -c <command>` in `cwd` with `env` added to this process's environment.
/// See [`run_program`]; this is the same without a deadline.
///
/// Returns an error only when the shell cannot be started.
pub async fn run_command<'a, I>(
    command: &str,
    cwd: &Path,
    env: I,
    cancel: &CancelToken,
    sink: &mut dyn OutputSink,
) -> io::Result<Exit>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    run_program(
        "sh",
        &["-c", command],
        cwd,
        env,
        Limits {
            cancel,
            deadline: None,
            tag: None,
        },
        sink,
    )
    .await
}

/// What may stop a command before it ends by itself.
#[derive(Clone, Copy)]
pub struct Limits<'a> {
    pub cancel: &'a CancelToken,
    /// When the command is stopped as [`Exit::TimedOut`]; `None` for no limit.
    pub deadline: Option<Instant>,
    /// The run folder every process of the command is tagged with
    /// ([`RUN_TAG_VAR`]), so that it can be found after flowdesk died; `None`
    /// tags it with a value of its own.
    pub tag: Option<&'a Path>,
}

/// Run `program` with `args` in `cwd` with `env` added to this process's
/// environment. `program` is looked up on `PATH` unless it contains a `/`.
///
/// The program gets its own process group and a null stdin. Lines of stdout and
/// stderr go to `sink` as they arrive. When it has exited, anything it left
/// running in its group (background jobs) is terminated, so a step never leaks
/// processes and the pipes close. When `limits.cancel` fires or the deadline
/// passes, the whole group gets SIGTERM, then SIGKILL after [`TERMINATE_GRACE`]
/// if anything is still alive, and the result is [`Exit::Canceled`] or
/// [`Exit::TimedOut`].
///
/// Returns an error only when the program cannot be started.
pub async fn run_program<'a, I, A>(
    program: &str,
    args: &[A],
    cwd: &Path,
    env: I,
    limits: Limits<'_>,
    sink: &mut dyn OutputSink,
) -> io::Result<Exit>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
    A: AsRef<std::ffi::OsStr>,
{
    become_subreaper();
    let cancel = limits.cancel;
    if cancel.is_cancelled() {
        return Ok(Exit::Canceled);
    }
    if limits.deadline.is_some_and(|d| d <= Instant::now()) {
        return Ok(Exit::TimedOut);
    }
    let tag: PathBuf = match limits.tag {
        Some(tag) => tag.to_path_buf(),
        None => reaper::unique_tag(),
    };
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(cwd)
        .envs(env)
        .env(RUN_TAG_VAR, &tag)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    die_with_parent(&mut command);
    let mut child = command.spawn()?;
    let pid = child
        .id()
        .ok_or_else(|| io::Error::other("the program exited before it could be watched"))?;
    reaper::register(pid as libc::pid_t);
    let mut group = ProcessGroup {
        pgid: pid as libc::pid_t,
        armed: true,
        tag,
    };
    let watch = ExitWatch::open(pid as libc::pid_t);
    let mut usage = None;

    let (sender, mut lines) = mpsc::channel(LINE_BUFFER);
    let mut readers = Vec::with_capacity(2);
    if let Some(stdout) = child.stdout.take() {
        readers.push(tokio::spawn(read_lines(
            stdout,
            Stream::Stdout,
            sender.clone(),
        )));
    }
    if let Some(stderr) = child.stderr.take() {
        readers.push(tokio::spawn(read_lines(
            stderr,
            Stream::Stderr,
            sender.clone(),
        )));
    }
    drop(sender);

    let mut output = Output {
        lines: &mut lines,
        open: true,
        sink,
    };
    let mut stop = Stop::default();
    // Without a deadline, wait "forever" (a century) so the select stays simple.
    let deadline = limits
        .deadline
        .unwrap_or_else(|| Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600));

    // Phase 1: until the program exits, a cancel arrives or the deadline passes.
    let status = loop {
        tokio::select! {
            status = wait_exit(&mut child, watch.as_ref(), &mut usage) => break Some(status),
            _ = cancel.cancelled(), if !stop.canceled => {
                stop.canceled = true;
                break None;
            }
            _ = tokio::time::sleep_until(deadline), if limits.deadline.is_some() => {
                stop.timed_out = true;
                break None;
            }
            line = output.lines.recv(), if output.open => output.deliver(line),
        }
    };
    let status = match status {
        Some(status) => Some(status?),
        None => None,
    };

    // Phase 2: make sure nothing of the group is left, then collect the last lines.
    let status = group
        .shut_down(&mut child, status, &mut stop, &mut output)
        .await;
    // What left the group may still hold the pipes: kill it before draining.
    group.sweep().await;
    output.drain(&readers).await;
    if let (Some(usage), false, false) = (usage, stop.canceled, stop.timed_out) {
        output.sink.usage(usage);
    }

    match (stop.canceled, stop.timed_out, status) {
        (true, _, _) => Ok(Exit::Canceled),
        (false, true, _) => Ok(Exit::TimedOut),
        (false, false, Some(status)) => Ok(Exit::Exited(ExitStatus::from_std(status))),
        (false, false, None) => Err(io::Error::other("lost track of the program's exit status")),
    }
}

/// Wait for the program to exit; with a pidfd, read what it used before it
/// is reaped. Cancel-safe: the pidfd stays readable and the zombie stays until
/// `child.wait()` reaps it.
async fn wait_exit(
    child: &mut Child,
    watch: Option<&ExitWatch>,
    usage: &mut Option<Usage>,
) -> io::Result<std::process::ExitStatus> {
    if let Some(watch) = watch {
        if watch.exited().await {
            *usage = watch.usage();
        }
    }
    child.wait().await
}

/// A pidfd of the program (Linux 5.4+), readable once it has exited.
struct ExitWatch {
    fd: tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>,
}

impl ExitWatch {
    /// `None` where pidfds are not available; then no usage is read.
    fn open(pid: libc::pid_t) -> Option<ExitWatch> {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::FromRawFd as _;
            // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor
            // (or -1); the child is ours and not reaped yet, so the pid is its own.
            let raw = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
            if raw < 0 {
                return None;
            }
            // SAFETY: `raw` is a descriptor we just opened and nothing else owns.
            let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(raw as i32) };
            // SAFETY: an `OwnedFd` keeps its one descriptor open for as long as
            // the `AsyncFd` owns it.
            unsafe {
                tokio::io::unix::AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE)
            }
            .ok()
            .map(|fd| ExitWatch { fd })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = pid;
            None
        }
    }

    /// Wait until the program has exited; false if the pidfd cannot tell.
    async fn exited(&self) -> bool {
        self.fd.readable().await.is_ok()
    }

    /// The exited program's resource usage, read without reaping it.
    fn usage(&self) -> Option<Usage> {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd as _;
            const P_PIDFD: libc::c_int = 3;
            // SAFETY: all-zero is a valid siginfo_t and rusage.
            let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
            let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
            // SAFETY: the raw waitid system call (the libc wrapper has no rusage
            // argument) with valid out pointers; WNOWAIT leaves the zombie for
            // tokio to reap, WNOHANG never blocks.
            let result = unsafe {
                libc::syscall(
                    libc::SYS_waitid,
                    P_PIDFD,
                    self.fd.get_ref().as_raw_fd(),
                    &mut info as *mut libc::siginfo_t,
                    libc::WEXITED | libc::WNOWAIT | libc::WNOHANG,
                    &mut rusage as *mut libc::rusage,
                )
            };
            // SAFETY: reading the pid of a siginfo that waitid filled (or zeroed).
            if result != 0 || unsafe { info.si_pid() } == 0 {
                return None;
            }
            let time = |t: libc::timeval| {
                Duration::from_secs(t.tv_sec.max(0) as u64)
                    + Duration::from_micros(t.tv_usec.max(0) as u64)
            };
            Some(Usage {
                // Kilobytes on Linux.
                peak_memory: (rusage.ru_maxrss.max(0) as u64) * 1024,
                user_time: time(rusage.ru_utime),
                system_time: time(rusage.ru_stime),
            })
        }
        #[cfg(not(target_os = "linux"))]
        None
    }
}

/// Lines on their way from the pipe readers to the sink.
struct Output<'a> {
    lines: &'a mut mpsc::Receiver<OutputLine>,
    /// False once both readers have finished.
    open: bool,
    sink: &'a mut dyn OutputSink,
}

impl Output<'_> {
    fn deliver(&mut self, line: Option<OutputLine>) {
        match line {
            Some(line) => {
                self.sink.line(line);
                if self.lines.is_empty() {
                    self.sink.idle();
                }
            }
            None => self.open = false,
        }
    }

    /// Hand out everything still buffered, waiting for the pipes to close.
    async fn drain(&mut self, readers: &[tokio::task::JoinHandle<()>]) {
        let deadline = Instant::now() + DRAIN_WAIT;
        while self.open {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(line) => self.deliver(line),
                Err(_) => {
                    // Someone outside the group still holds a pipe: stop reading.
                    for reader in readers {
                        reader.abort();
                    }
                    while let Ok(line) = self.lines.try_recv() {
                        self.sink.line(line);
                    }
                    break;
                }
            }
        }
        self.sink.idle();
    }
}

/// What has been done to stop a group.
#[derive(Default)]
struct Stop {
    canceled: bool,
    timed_out: bool,
    /// When SIGTERM was sent.
    terminated: Option<Instant>,
    /// When SIGKILL was sent.
    killed: Option<Instant>,
}

/// The process group of one command. Dropping it while armed (the task running the
/// command was dropped, e.g. at engine shutdown) kills the whole group.
struct ProcessGroup {
    pgid: libc::pid_t,
    armed: bool,
    /// What every process of the command carries in its environment.
    tag: PathBuf,
}

impl ProcessGroup {
    fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) with a negative pid signals a process group; no memory is
        // involved. Failure (ESRCH: the group is gone) is fine.
        unsafe {
            libc::kill(-self.pgid, signal);
        }
    }

    /// Whether any process (zombies included) is still in the group.
    fn alive(&self) -> bool {
        // SAFETY: signal 0 only checks for existence.
        let result = unsafe { libc::kill(-self.pgid, 0) };
        result == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }

    /// Reap group members re-parented to us (we are a subreaper). Only called after
    /// the program itself has been reaped through tokio, so its status is never taken
    /// from under tokio.
    fn reap_orphans(&self) {
        loop {
            let mut status = 0;
            // SAFETY: waitpid with -pgid waits for any child in that group; WNOHANG
            // never blocks. `status` is a valid out pointer.
            let pid = unsafe { libc::waitpid(-self.pgid, &mut status, libc::WNOHANG) };
            if pid <= 0 {
                return;
            }
        }
    }

    /// Stop whatever is left of the group and reap it. `status` is the program's exit
    /// status if it has already exited; the returned status is the program's, or
    /// `None` if it could not be obtained.
    async fn shut_down(
        &mut self,
        child: &mut Child,
        mut status: Option<std::process::ExitStatus>,
        stop: &mut Stop,
        output: &mut Output<'_>,
    ) -> Option<std::process::ExitStatus> {
        // Fast path: the program exited and took everything with it.
        if status.is_some() && !stop.canceled && !stop.timed_out && !self.alive() {
            self.armed = false;
            return status;
        }
        self.signal(libc::SIGTERM);
        stop.terminated = Some(Instant::now());
        let mut leader_error = false;
        loop {
            if status.is_some() || leader_error {
                self.reap_orphans();
                if !self.alive() {
                    self.armed = false;
                    break;
                }
            }
            let now = Instant::now();
            match (stop.terminated, stop.killed) {
                (Some(at), None) if now >= at + TERMINATE_GRACE => {
                    self.signal(libc::SIGKILL);
                    stop.killed = Some(now);
                }
                (_, Some(at)) if now >= at + KILL_WAIT => break,
                _ => {}
            }
            tokio::select! {
                result = child.wait(), if status.is_none() && !leader_error => match result {
                    Ok(s) => status = Some(s),
                    Err(_) => leader_error = true,
                },
                line = output.lines.recv(), if output.open => output.deliver(line),
                _ = tokio::time::sleep(POLL) => {}
            }
        }
        if status.is_none() && !leader_error {
            // Killed but not reaped yet (stuck in the kernel); wait for it.
            status = child.wait().await.ok();
        }
        status
    }
}

impl ProcessGroup {
    /// Kill what left the group (`setsid`, `setpgid`) and was re-parented to us,
    /// then forget the group.
    async fn sweep(&mut self) {
        let deadline = Instant::now() + KILL_WAIT;
        let mut sweeper = Sweeper::new(&self.tag);
        while !sweeper.pass() && Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
        }
        reaper::unregister(self.pgid);
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        if self.armed {
            self.signal(libc::SIGKILL);
            reaper::sweep(&self.tag, TERMINATE_GRACE);
            reaper::unregister(self.pgid);
        }
    }
}

/// Make the command's first process die (SIGKILL) when the thread that started
/// it dies — with flowdesk, however it dies. The processes it starts in turn are
/// covered by the sentinel and by recovery (see [`reaper`](super::reaper)).
fn die_with_parent(command: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: getpid is async-signal-safe and takes no arguments.
        let parent = unsafe { libc::getpid() };
        // SAFETY: only async-signal-safe calls (prctl, getppid) run between fork
        // and exec; no memory is allocated.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                    return Err(io::Error::last_os_error());
                }
                // The parent died between fork and prctl: the signal was missed.
                if libc::getppid() != parent {
                    return Err(io::Error::other(
                        "flowdesk exited while starting the command",
                    ));
                }
                Ok(())
            });
        }
    }
}

/// Read one pipe and send its lines; long lines are split at [`MAX_LINE`] bytes.
async fn read_lines<R: AsyncRead + Unpin>(
    pipe: R,
    stream: Stream,
    sender: mpsc::Sender<OutputLine>,
) {
    let mut reader = BufReader::with_capacity(64 * 1024, pipe);
    let mut line: Vec<u8> = Vec::new();
    loop {
        let buffer = match reader.fill_buf().await {
            Ok([]) | Err(_) => break,
            Ok(buffer) => buffer,
        };
        let complete = match buffer.iter().position(|&b| b == b'\n') {
            Some(end) if line.len() + end <= MAX_LINE => {
                line.extend_from_slice(&buffer[..end]);
                reader.consume(end + 1);
                true
            }
            found => {
                let take = found.unwrap_or(buffer.len()).min(MAX_LINE - line.len());
                line.extend_from_slice(&buffer[..take]);
                reader.consume(take);
                line.len() >= MAX_LINE
            }
        };
        if complete && !send(&sender, stream, &mut line).await {
            return;
        }
    }
    if !line.is_empty() {
        send(&sender, stream, &mut line).await;
    }
}

/// Send a line (taking the bytes out of `line`); false if nobody listens any more.
async fn send(sender: &mpsc::Sender<OutputLine>, stream: Stream, line: &mut Vec<u8>) -> bool {
    let time = Utc::now();
    let mut bytes = std::mem::take(line);
    if bytes.last() == Some(&b'\r') {
        bytes.pop();
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    };
    sender.send(OutputLine { stream, time, text }).await.is_ok()
}

/// Make this process adopt orphaned descendants (Linux), so processes a command
/// started and abandoned are reaped here rather than left as zombies.
fn become_subreaper() {
    #[cfg(target_os = "linux")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes a plain integer.
            unsafe {
                libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn run(command: &str, cancel: &CancelToken) -> (Exit, Vec<OutputLine>) {
        let dir = tempfile::tempdir().unwrap();
        let mut lines = Vec::new();
        let mut sink = |line: OutputLine| lines.push(line);
        let exit = run_command(command, dir.path(), [("FD_TEST", "v 1")], cancel, &mut sink)
            .await
            .unwrap();
        (exit, lines)
    }

    fn texts(lines: &[OutputLine], stream: Stream) -> Vec<&str> {
        lines
            .iter()
            .filter(|l| l.stream == stream)
            .map(|l| l.text.as_str())
            .collect()
    }

    #[tokio::test]
    async fn lines_keep_their_order_and_stream() {
        let (exit, lines) = run(
            "for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done; printf 'crlf\\r\\nlast'",
            &CancelToken::new(),
        )
        .await;
        assert_eq!(exit, Exit::Exited(ExitStatus::Code(0)));
        assert_eq!(
            texts(&lines, Stream::Stdout),
            ["out1", "out2", "out3", "out4", "out5", "crlf", "last"]
        );
        assert_eq!(
            texts(&lines, Stream::Stderr),
            ["err1", "err2", "err3", "err4", "err5"]
        );
        let times: Vec<_> = lines
            .iter()
            .filter(|l| l.stream == Stream::Stdout)
            .map(|l| l.time)
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
    }

    #[tokio::test]
    async fn env_exit_code_signal_long_and_invalid_lines() {
        let (exit, lines) = run("echo \"$FD_TEST\"; exit 3", &CancelToken::new()).await;
        assert_eq!(exit, Exit::Exited(ExitStatus::Code(3)));
        assert_eq!(texts(&lines, Stream::Stdout), ["v 1"]);

        let (exit, _) = run("kill -9 $$", &CancelToken::new()).await;
        assert_eq!(exit, Exit::Exited(ExitStatus::Signal(9)));

        let (_, lines) = run(
            "head -c 2500000 /dev/zero | tr '\\0' a; echo; printf 'x\\377y\\n'",
            &CancelToken::new(),
        )
        .await;
        let out = texts(&lines, Stream::Stdout);
        assert_eq!(
            out.len(),
            4,
            "2.5 MB line in 1 MiB pieces, then one more line"
        );
        assert_eq!(out[0].len(), MAX_LINE);
        assert_eq!(out[2].len(), 2_500_000 - 2 * MAX_LINE);
        assert_eq!(out[3], "x\u{fffd}y");
    }

    #[tokio::test]
    async fn background_jobs_do_not_outlive_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = |_line: OutputLine| {};
        let exit = run_command(
            "sleep 60 & echo $! > bg.pid",
            dir.path(),
            [],
            &CancelToken::new(),
            &mut sink,
        )
        .await
        .unwrap();
        assert_eq!(exit, Exit::Exited(ExitStatus::Code(0)));
        let pid: libc::pid_t = std::fs::read_to_string(dir.path().join("bg.pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // SAFETY: existence check only.
        let result = unsafe { libc::kill(pid, 0) };
        assert_eq!(result, -1, "background job {pid} still exists");
        assert_eq!(io::Error::last_os_error().raw_os_error(), Some(libc::ESRCH));
    }

    #[tokio::test]
    async fn programs_get_their_arguments_verbatim_and_deadlines_stop_them() {
        let dir = tempfile::tempdir().unwrap();
        let cancel = CancelToken::new();
        let no_deadline = Limits {
            cancel: &cancel,
            deadline: None,
            tag: None,
        };
        let mut lines = Vec::new();
        let mut sink = |line: OutputLine| lines.push(line);
        let exit = run_program(
            "printf",
            &["%s|", "a b", "$HOME"],
            dir.path(),
            [],
            no_deadline,
            &mut sink,
        )
        .await
        .unwrap();
        assert_eq!(exit, Exit::Exited(ExitStatus::Code(0)));
        assert_eq!(texts(&lines, Stream::Stdout), ["a b|$HOME|"]);

        let start = Instant::now();
        let mut sink = |_line: OutputLine| {};
        let exit = run_program(
            "sh",
            &["-c", "sleep 30 & sleep 30"],
            dir.path(),
            [],
            Limits {
                cancel: &cancel,
                deadline: Some(Instant::now() + Duration::from_millis(200)),
                tag: None,
            },
            &mut sink,
        )
        .await
        .unwrap();
        assert_eq!(exit, Exit::TimedOut);
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn the_peak_memory_of_a_command_is_measured() {
        struct Sink(Option<Usage>);
        impl OutputSink for Sink {
            fn line(&mut self, _line: OutputLine) {}
            fn usage(&mut self, usage: Usage) {
                self.0 = Some(usage);
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let measure = |command: &str| {
            let mut sink = Sink(None);
            let cancel = CancelToken::new();
            let command = command.to_string();
            let dir = dir.path().to_path_buf();
            async move {
                let exit = run_command(&command, &dir, [], &cancel, &mut sink)
                    .await
                    .unwrap();
                assert_eq!(exit, Exit::Exited(ExitStatus::Code(0)));
                sink.0.expect("usage is reported").peak_memory
            }
        };
        // A child of the shell that touches 64 MiB: the shell waited for it, so
        // its peak counts.
        let big = measure(
            "python3 -c 'b = bytearray(64 * 1024 * 1024); b[::4096] = b\"x\" * len(b[::4096])'",
        )
        .await;
        let small = measure("true").await;
        assert!(big >= 64 * 1024 * 1024, "{big}");
        assert!(small < big / 4, "{small} vs {big}");
    }

    #[tokio::test]
    async fn a_cancel_before_start_spawns_nothing() {
        let cancel = CancelToken::new();
        cancel.cancel();
        let (exit, lines) = run("echo never", &cancel).await;
        assert_eq!(exit, Exit::Canceled);
        assert!(lines.is_empty());
    }
}
