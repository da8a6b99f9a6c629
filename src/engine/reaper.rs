//! What a command may leave behind, and how it is found and killed.
//!
//! A command runs in its own process group, but a group kill is not the end of
//! the story: a descendant can leave the group (`setsid`, `setpgid`), and when
//! flowdesk itself dies (kill -9, a crash, the OOM killer) nobody is left to
//! kill the group at all. Three mechanisms close those holes:
//!
//! - **Tags.** Every process a command starts carries [`RUN_TAG_VAR`] in its
//!   environment (children inherit it, whatever group or session they move to):
//!   the run folder it belongs to. After a command ends, [`sweep`] kills the
//!   tagged processes that were re-parented to this process (it is a child
//!   subreaper, so escaped descendants land here when their parents die). After
//!   an owner died, [`find_tagged`] finds a run's leftovers anywhere on the
//!   machine, so recovery and `flowdesk doctor` can kill them.
//! - **Parent-death signal.** Each command's leader gets `PR_SET_PDEATHSIG`
//!   (SIGKILL) before it executes (see `process`), so it dies with the thread that
//!   started it.
//! - **The sentinel.** One small `sh` process per flowdesk process, started with
//!   the first command, in its own process group and deaf to terminal signals. It
//!   is told each command's process group as it starts and ends; when flowdesk's
//!   end of its pipe closes — however flowdesk died — it kills the groups still
//!   registered. So the members of a dead owner's groups die at once, not at the
//!   next start-up.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// The environment variable that tags every process of a run's commands with
/// the run folder (also useful to the benchmark's own code).
pub const RUN_TAG_VAR: &str = "FLOWDESK_RUN_DIR";

/// The sentinel: reads `+ <pgid>` / `- <pgid>` lines and, at end of input (its
/// owner died or exited), kills the groups still registered. It ignores the
/// terminal's signals, so a Ctrl-C that kills flowdesk does not kill it first.
const SENTINEL_SCRIPT: &str = r#"trap '' INT TERM HUP QUIT PIPE
g=' '
while read -r op id; do
  case $op in
    +) g="$g$id " ;;
    -) case $g in *" $id "*) g="${g%%" $id "*} ${g#*" $id "}" ;; esac ;;
  esac
done
for id in $g; do kill -9 "-$id" 2>/dev/null; done
"#;

/// Process groups of commands that are running, and the sentinel that kills
/// them if this process dies.
#[derive(Default)]
struct Registry {
    active: HashSet<libc::pid_t>,
    sentinel: Option<(Child, ChildStdin)>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

fn registry() -> MutexGuard<'static, Option<Registry>> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// A tag for a command that belongs to no run: unique in this process.
pub fn unique_tag() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    PathBuf::from(format!(
        "flowdesk-command:{}:{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Register a command's process group (its leader's pid) as running.
pub fn register(pgid: libc::pid_t) {
    let mut guard = registry();
    let registry = guard.get_or_insert_with(Registry::default);
    registry.active.insert(pgid);
    tell_sentinel(registry, &format!("+ {pgid}\n"));
}

/// The group is gone (or its remains were swept): forget it.
pub fn unregister(pgid: libc::pid_t) {
    let mut guard = registry();
    let Some(registry) = guard.as_mut() else {
        return;
    };
    registry.active.remove(&pgid);
    tell_sentinel(registry, &format!("- {pgid}\n"));
}

/// Send a line to the sentinel, starting it (again) if it is not there. A
/// sentinel that cannot be started leaves the other mechanisms in place.
fn tell_sentinel(registry: &mut Registry, line: &str) {
    if let Some((_, stdin)) = registry.sentinel.as_mut() {
        if stdin.write_all(line.as_bytes()).is_ok() {
            return;
        }
    }
    // Gone (killed from outside) or never started: start one and tell it
    // everything still running.
    if let Some((mut child, stdin)) = registry.sentinel.take() {
        drop(stdin);
        let _ = child.try_wait();
    }
    let Ok(mut child) = Command::new("sh")
        .arg("-c")
        .arg(SENTINEL_SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
    else {
        return;
    };
    let Some(mut stdin) = child.stdin.take() else {
        return;
    };
    let mut all = String::new();
    for pgid in &registry.active {
        all.push_str(&format!("+ {pgid}\n"));
    }
    if stdin.write_all(all.as_bytes()).is_ok() {
        registry.sentinel = Some((child, stdin));
    }
}

/// The pid of the sentinel, if one is running (for tests).
pub fn sentinel_pid() -> Option<u32> {
    registry()
        .as_ref()
        .and_then(|r| r.sentinel.as_ref())
        .map(|(child, _)| child.id())
}

/// Whether `pid` is the leader of a command that is still running here.
fn is_active_leader(pid: libc::pid_t) -> bool {
    registry().as_ref().is_some_and(|r| r.active.contains(&pid))
}

/// The value of [`RUN_TAG_VAR`] in a process's environment, if it has one (and
/// its environment is readable: a process of another user's is not).
pub fn tag_of(pid: libc::pid_t) -> Option<PathBuf> {
    let environ = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    let prefix = format!("{RUN_TAG_VAR}=");
    environ
        .split(|&b| b == 0)
        .find_map(|entry| entry.strip_prefix(prefix.as_bytes()))
        .map(|value| PathBuf::from(OsStr::from_bytes(value)))
}

/// A process's state letter and process group, from `/proc/<pid>/stat`; `None`
/// if it does not exist.
fn stat(pid: libc::pid_t) -> Option<(u8, libc::pid_t)> {
    let text = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid pgrp …`; comm may hold spaces and parentheses.
    let close = text.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(text.get(close + 2..)?).ok()?;
    let mut fields = rest.split(' ');
    let state = fields.next()?.bytes().next()?;
    let _ppid = fields.next()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some((state, pgrp))
}

/// Whether a process exists and is not a zombie (a zombie has done all its
/// harm; it only waits to be reaped).
pub fn is_alive(pid: libc::pid_t) -> bool {
    matches!(stat(pid), Some((state, _)) if state != b'Z' && state != b'X')
}

/// This process's children (all threads'), from `/proc/self/task/*/children`;
/// falls back to scanning every process's parent where that file is missing.
fn own_children() -> Vec<libc::pid_t> {
    let mut children = Vec::new();
    let mut found_file = false;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            if let Ok(text) = std::fs::read_to_string(task.path().join("children")) {
                found_file = true;
                children.extend(
                    text.split_whitespace()
                        .filter_map(|p| p.parse::<libc::pid_t>().ok()),
                );
            }
        }
    }
    if found_file {
        return children;
    }
    let me = std::process::id() as libc::pid_t;
    all_pids()
        .into_iter()
        .filter(|&pid| parent_of(pid) == Some(me))
        .collect()
}

fn parent_of(pid: libc::pid_t) -> Option<libc::pid_t> {
    let text = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let close = text.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(text.get(close + 2..)?).ok()?;
    rest.split(' ').nth(1)?.parse().ok()
}

fn all_pids() -> Vec<libc::pid_t> {
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Kill a process and, if it leads a process group, that group.
fn kill_process(pid: libc::pid_t) {
    // SAFETY: kill(2) takes plain integers; failure (ESRCH) is fine.
    unsafe {
        if stat(pid).is_some_and(|(_, pgrp)| pgrp == pid) {
            libc::kill(-pid, libc::SIGKILL);
        }
        libc::kill(pid, libc::SIGKILL);
    }
}

/// Kills the processes tagged with one tag that were re-parented to this
/// process, pass by pass: escaped descendants arrive one generation at a time,
/// as their parents die.
pub struct Sweeper<'a> {
    tag: &'a Path,
    /// Killed, not yet reaped.
    killed: Vec<libc::pid_t>,
}

impl<'a> Sweeper<'a> {
    pub fn new(tag: &'a Path) -> Self {
        Sweeper {
            tag,
            killed: Vec::new(),
        }
    }

    /// One pass: kill the tagged children that are alive (except the leaders of
    /// commands still running), reap the ones killed before. True when nothing
    /// tagged is left.
    pub fn pass(&mut self) -> bool {
        let mut found = false;
        for pid in own_children() {
            // Zombies are left alone unless killed here: their tag cannot be
            // read any more, and one may be the child of some other part of
            // this process that is about to collect its status.
            if is_active_leader(pid) || !is_alive(pid) {
                continue;
            }
            if tag_of(pid).as_deref() == Some(self.tag) {
                found = true;
                kill_process(pid);
                if !self.killed.contains(&pid) {
                    self.killed.push(pid);
                }
            }
        }
        self.killed.retain(|&pid| !reap(pid));
        !found && self.killed.is_empty()
    }
}

/// Reap a killed child; true once it is reaped (or is no child of ours).
fn reap(pid: libc::pid_t) -> bool {
    let mut status = 0;
    // SAFETY: waitpid on one pid with WNOHANG never blocks; `status` is a valid
    // out pointer. Only tagged processes that are not tokio's get here.
    let rc = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    rc != 0
}

/// [`Sweeper`] until nothing tagged `tag` is left or `patience` has passed.
pub fn sweep(tag: &Path, patience: std::time::Duration) {
    let deadline = std::time::Instant::now() + patience;
    let mut sweeper = Sweeper::new(tag);
    while !sweeper.pass() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// Every live process on the machine (readable by this user) whose tag is one
/// of `tags`, compared as given and after resolving links, with the tag it has.
pub fn find_tagged(tags: &[PathBuf]) -> Vec<(libc::pid_t, PathBuf)> {
    if tags.is_empty() {
        return Vec::new();
    }
    let wanted: Vec<(PathBuf, Option<PathBuf>)> = tags
        .iter()
        .map(|t| (t.clone(), t.canonicalize().ok()))
        .collect();
    let me = std::process::id() as libc::pid_t;
    let mut found = Vec::new();
    for pid in all_pids() {
        if pid == me || !is_alive(pid) {
            continue;
        }
        let Some(tag) = tag_of(pid) else {
            continue;
        };
        let matched = wanted.iter().find(|(plain, real)| {
            *plain == tag || real.is_some() && tag.canonicalize().ok() == *real
        });
        if let Some((plain, _)) = matched {
            found.push((pid, plain.clone()));
        }
    }
    found
}

/// Every live process tagged with a run folder under `runs_dir`, with the run
/// folder (as given in its tag).
pub fn find_tagged_under(runs_dir: &Path) -> Vec<(libc::pid_t, PathBuf)> {
    let real = runs_dir.canonicalize().ok();
    let me = std::process::id() as libc::pid_t;
    let mut found = Vec::new();
    for pid in all_pids() {
        if pid == me || !is_alive(pid) {
            continue;
        }
        let Some(tag) = tag_of(pid) else {
            continue;
        };
        let inside = tag.parent() == Some(runs_dir)
            || real.is_some()
                && tag
                    .parent()
                    .and_then(|p| p.canonicalize().ok())
                    .is_some_and(|p| Some(p) == real);
        if inside {
            found.push((pid, tag));
        }
    }
    found
}

/// Kill the given processes (and the groups they lead) and wait until they are
/// gone or `patience` has passed; returns how many are still alive.
pub fn kill_all(pids: &[libc::pid_t], patience: std::time::Duration) -> usize {
    for &pid in pids {
        kill_process(pid);
    }
    let deadline = std::time::Instant::now() + patience;
    loop {
        let left = pids.iter().filter(|&&pid| is_alive(pid)).count();
        if left == 0 || std::time::Instant::now() >= deadline {
            return left;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_read_from_the_environment_of_a_process() {
        let mut child = Command::new("sleep")
            .arg("30")
            .env(RUN_TAG_VAR, "/some/run dir")
            .spawn()
            .unwrap();
        let pid = child.id() as libc::pid_t;
        // Until it executes, the child still has this process's environment.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while tag_of(pid).is_none() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(tag_of(pid), Some(PathBuf::from("/some/run dir")));
        let found = find_tagged(&[PathBuf::from("/some/run dir")]);
        assert_eq!(found, [(pid, PathBuf::from("/some/run dir"))]);
        assert_eq!(kill_all(&[pid], std::time::Duration::from_secs(5)), 0);
        child.wait().unwrap();
        assert!(!is_alive(pid));
    }
}
