//! Live server views without hammering the server. A flowServ server pushes
//! nothing, so one background thread per server polls: every active run once
//! a second while the window is visible, and the document on screen (a
//! leaderboard, a submission with its runs, a run) every ten seconds. A
//! hidden window polls only its active runs, every ten seconds. Only changes
//! are reported, through a callback (the GUI repaints on it), so an idle app
//! costs the server six small requests a minute and the UI thread nothing.

use super::wire::RunHandle;
use super::{Fetched, RemoteError, ServerApi};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// How often an active run is polled while the window is visible.
pub const ACTIVE_INTERVAL: Duration = Duration::from_secs(1);
/// How often everything else is polled (and active runs in a hidden window).
pub const IDLE_INTERVAL: Duration = Duration::from_secs(10);

/// The document on screen, refreshed every [`IDLE_INTERVAL`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Watch {
    /// A benchmark (its description, the caller's submissions, post-processing).
    Workflow(String),
    Leaderboard {
        workflow: String,
        order: Vec<(String, bool)>,
        all: bool,
    },
    /// A submission with its members, uploads and runs.
    Group(String),
    /// Several submissions (a benchmark's runs screen): one of them per poll,
    /// in turn, so that the rate stays that of one document.
    Groups(Vec<String>),
    Run(String),
}

/// What the poller reports.
#[derive(Debug, Clone)]
pub enum PollEvent {
    /// The watched document changed (or was fetched for the first time).
    Changed(Watch),
    /// A followed run changed state or files.
    Run(Box<RunHandle>),
    /// A followed run ended; leaderboards may have changed.
    RunEnded { id: String, state: String },
    /// The server cannot be reached (or refuses the sign-in); polling goes on.
    Failed { message: String, offline: bool },
    /// The server answers again after a failure.
    Online,
}

/// When the last poll succeeded, and why the last one failed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollStatus {
    pub last_success: Option<SystemTime>,
    pub failure: Option<String>,
}

/// Which interval applies to followed runs.
pub fn run_interval(visible: bool) -> Duration {
    if visible {
        ACTIVE_INTERVAL
    } else {
        IDLE_INTERVAL
    }
}

type Sink = Arc<dyn Fn(PollEvent) + Send + Sync>;

#[derive(Default)]
struct State {
    stop: bool,
    visible: bool,
    watch: Option<Watch>,
    /// Poll the watch at the next wake-up regardless of its schedule.
    watch_due: bool,
    followed: BTreeSet<String>,
    next_watch: Option<Instant>,
    next_runs: Option<Instant>,
    /// Last answer per document, to report only changes.
    seen: BTreeMap<String, String>,
    /// Which of `Watch::Groups` comes next.
    turn: usize,
    status: PollStatus,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The polling thread of one server; stops when dropped.
pub struct Poller {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Poller {
    pub fn start(api: Arc<ServerApi>, sink: Sink) -> Poller {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                visible: true,
                ..State::default()
            }),
            wake: Condvar::new(),
        });
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("poll {}", api.url().host()))
                .spawn(move || poll_loop(&api, &shared, &sink))
                .ok()
        };
        Poller { shared, thread }
    }

    /// Show `watch` (fetched now, then every ten seconds); `None` for none.
    pub fn set_watch(&self, watch: Option<Watch>) {
        let mut state = self.shared.lock();
        if state.watch != watch {
            state.watch = watch;
            state.watch_due = true;
            self.shared.wake.notify_all();
        }
    }

    /// Follow a run until it ends (polled every second while visible).
    pub fn follow_run(&self, id: &str) {
        let mut state = self.shared.lock();
        if state.followed.insert(id.to_string()) {
            state.next_runs = Some(Instant::now());
            self.shared.wake.notify_all();
        }
    }

    pub fn unfollow_run(&self, id: &str) {
        self.shared.lock().followed.remove(id);
    }

    pub fn followed(&self) -> Vec<String> {
        self.shared.lock().followed.iter().cloned().collect()
    }

    /// The window became visible (poll now) or hidden (slow down).
    pub fn set_visible(&self, visible: bool) {
        let mut state = self.shared.lock();
        if state.visible != visible {
            state.visible = visible;
            if visible {
                state.watch_due = true;
                state.next_runs = Some(Instant::now());
            }
            self.shared.wake.notify_all();
        }
    }

    /// Poll the watched document now (after a change the user made).
    pub fn refresh(&self) {
        let mut state = self.shared.lock();
        state.watch_due = true;
        self.shared.wake.notify_all();
    }

    pub fn status(&self) -> PollStatus {
        self.shared.lock().status.clone()
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What the thread does next, decided under the lock.
enum Step {
    Stop,
    Wait(Option<Duration>),
    Poll {
        watch: Option<Watch>,
        runs: Vec<String>,
    },
}

fn next_step(state: &mut State, now: Instant) -> Step {
    if state.stop {
        return Step::Stop;
    }
    let watch_at = match (&state.watch, state.visible) {
        (Some(_), true) if state.watch_due => Some(now),
        (Some(_), true) => state.next_watch.or(Some(now)),
        _ => None,
    };
    let runs_at = if state.followed.is_empty() {
        None
    } else {
        state.next_runs.or(Some(now))
    };
    let watch_now = watch_at.is_some_and(|at| at <= now);
    let runs_now = runs_at.is_some_and(|at| at <= now);
    if watch_now || runs_now {
        state.watch_due = false;
        return Step::Poll {
            watch: if watch_now { state.watch.clone() } else { None },
            runs: if runs_now {
                state.followed.iter().cloned().collect()
            } else {
                Vec::new()
            },
        };
    }
    let next = [watch_at, runs_at].into_iter().flatten().min();
    Step::Wait(next.map(|at| at.saturating_duration_since(now)))
}

fn poll_loop(api: &ServerApi, shared: &Shared, sink: &Sink) {
    loop {
        // Decide and wait under one lock, so that a change made meanwhile
        // (a new watch, a run to follow) cannot slip past the wait.
        let mut state = shared.lock();
        match next_step(&mut state, Instant::now()) {
            Step::Stop => return,
            // The guard comes back only to be dropped: the loop decides again.
            Step::Wait(Some(timeout)) => {
                drop(shared.wake.wait_timeout(state, timeout));
            }
            Step::Wait(None) => {
                drop(shared.wake.wait(state));
            }
            Step::Poll { watch, runs } => {
                drop(state);
                let started = Instant::now();
                if !runs.is_empty() {
                    poll_runs(api, shared, sink, &runs);
                    let mut state = shared.lock();
                    let interval = run_interval(state.visible);
                    state.next_runs = Some(started + interval);
                }
                if let Some(watch) = watch {
                    poll_watch(api, shared, sink, &watch);
                    shared.lock().next_watch = Some(started + IDLE_INTERVAL);
                }
            }
        }
    }
}

fn poll_runs(api: &ServerApi, shared: &Shared, sink: &Sink, runs: &[String]) {
    for id in runs {
        match api.run(id) {
            Ok(fetched) if !fetched.is_offline() => {
                succeeded(shared, sink);
                let run = fetched.value;
                let text = serde_json::to_string(&run).unwrap_or_default();
                let changed = remember(shared, &format!("run/{id}"), text);
                if !run.is_active() {
                    let mut state = shared.lock();
                    state.followed.remove(id);
                    // A finished run moves leaderboards and run lists.
                    state.watch_due = true;
                    drop(state);
                    sink(PollEvent::Run(Box::new(run.clone())));
                    sink(PollEvent::RunEnded {
                        id: id.clone(),
                        state: run.state,
                    });
                } else if changed {
                    sink(PollEvent::Run(Box::new(run)));
                }
            }
            Ok(fetched) => failed(shared, sink, fetched.offline.unwrap_or_default(), true),
            Err(RemoteError::NotFound { .. }) => {
                // Deleted meanwhile (here or elsewhere): nothing to follow.
                shared.lock().followed.remove(id);
                sink(PollEvent::RunEnded {
                    id: id.clone(),
                    state: "DELETED".into(),
                });
            }
            Err(error) => failed(shared, sink, error.to_string(), error.is_offline()),
        }
    }
}

fn poll_watch(api: &ServerApi, shared: &Shared, sink: &Sink, watch: &Watch) {
    let group_now = match watch {
        Watch::Groups(ids) if !ids.is_empty() => {
            let mut state = shared.lock();
            let id = ids[state.turn % ids.len()].clone();
            state.turn = state.turn.wrapping_add(1);
            Some(id)
        }
        _ => None,
    };
    let group_poll = |id: &str| {
        api.group(id).map(|f| {
            let active = f
                .value
                .runs
                .iter()
                .filter(|run| matches!(run.state.as_str(), "PENDING" | "RUNNING"))
                .map(|run| run.id.clone())
                .collect();
            (fingerprint(f), active)
        })
    };
    let result: Result<(Fetched<String>, Vec<String>), RemoteError> = match watch {
        Watch::Workflow(id) => api.workflow(id).map(|f| (fingerprint(f), Vec::new())),
        Watch::Leaderboard {
            workflow,
            order,
            all,
        } => api
            .leaderboard(workflow, order, *all)
            .map(|f| (fingerprint(f), Vec::new())),
        Watch::Group(id) => group_poll(id),
        Watch::Groups(_) => match &group_now {
            Some(id) => group_poll(id),
            None => return,
        },
        Watch::Run(id) => api.run(id).map(|f| {
            let active = if f.value.is_active() {
                vec![f.value.id.clone()]
            } else {
                Vec::new()
            };
            (fingerprint(f), active)
        }),
    };
    match result {
        Ok((fetched, _)) if fetched.is_offline() => {
            failed(shared, sink, fetched.offline.unwrap_or_default(), true)
        }
        Ok((fetched, active)) => {
            succeeded(shared, sink);
            for id in active {
                let mut state = shared.lock();
                if state.followed.insert(id) && state.next_runs.is_none() {
                    state.next_runs = Some(Instant::now());
                }
            }
            let key = match &group_now {
                Some(id) => format!("{:?}", Watch::Group(id.clone())),
                None => format!("{watch:?}"),
            };
            if remember(shared, &key, fetched.value) {
                sink(PollEvent::Changed(watch.clone()));
            }
        }
        Err(error) => failed(shared, sink, error.to_string(), error.is_offline()),
    }
}

fn fingerprint<T: serde::Serialize>(fetched: Fetched<T>) -> Fetched<String> {
    fetched.map(|value| serde_json::to_string(&value).unwrap_or_default())
}

/// Keep the latest answer for `key`; true when it differs from the last.
fn remember(shared: &Shared, key: &str, text: String) -> bool {
    let mut state = shared.lock();
    match state.seen.get(key) {
        Some(previous) if *previous == text => false,
        _ => {
            state.seen.insert(key.to_string(), text);
            true
        }
    }
}

fn succeeded(shared: &Shared, sink: &Sink) {
    let mut state = shared.lock();
    state.status.last_success = Some(SystemTime::now());
    if state.status.failure.take().is_some() {
        drop(state);
        sink(PollEvent::Online);
    }
}

fn failed(shared: &Shared, sink: &Sink, message: String, offline: bool) {
    let mut state = shared.lock();
    let repeated = state.status.failure.as_deref() == Some(message.as_str());
    state.status.failure = Some(message.clone());
    drop(state);
    if !repeated {
        sink(PollEvent::Failed { message, offline });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State {
            visible: true,
            ..State::default()
        }
    }

    #[test]
    fn nothing_to_watch_means_sleeping_until_woken() {
        let mut state = state();
        assert!(matches!(
            next_step(&mut state, Instant::now()),
            Step::Wait(None)
        ));
    }

    #[test]
    fn a_new_watch_is_polled_at_once_then_every_ten_seconds() {
        let mut state = state();
        let now = Instant::now();
        state.watch = Some(Watch::Run("r".into()));
        state.watch_due = true;
        assert!(matches!(
            next_step(&mut state, now),
            Step::Poll { watch: Some(_), .. }
        ));
        state.next_watch = Some(now + IDLE_INTERVAL);
        match next_step(&mut state, now) {
            Step::Wait(Some(wait)) => assert_eq!(wait, IDLE_INTERVAL),
            _ => panic!("expected a wait of ten seconds"),
        }
    }

    #[test]
    fn followed_runs_are_polled_every_second_when_visible_else_every_ten() {
        assert_eq!(run_interval(true), Duration::from_secs(1));
        assert_eq!(run_interval(false), Duration::from_secs(10));
        let mut state = state();
        let now = Instant::now();
        state.followed.insert("r1".into());
        match next_step(&mut state, now) {
            Step::Poll { watch: None, runs } => assert_eq!(runs, ["r1"]),
            _ => panic!("a followed run is polled at once"),
        }
        state.next_runs = Some(now + ACTIVE_INTERVAL);
        state.watch = Some(Watch::Group("g".into()));
        state.next_watch = Some(now + IDLE_INTERVAL);
        match next_step(&mut state, now) {
            Step::Wait(Some(wait)) => assert_eq!(wait, ACTIVE_INTERVAL),
            _ => panic!("the run comes first"),
        }
    }

    #[test]
    fn a_hidden_window_does_not_poll_the_watch() {
        let mut state = state();
        state.visible = false;
        state.watch = Some(Watch::Group("g".into()));
        state.watch_due = true;
        assert!(matches!(
            next_step(&mut state, Instant::now()),
            Step::Wait(None)
        ));
    }

    #[test]
    fn stop_wins() {
        let mut state = state();
        state.followed.insert("r".into());
        state.stop = true;
        assert!(matches!(next_step(&mut state, Instant::now()), Step::Stop));
    }
}
