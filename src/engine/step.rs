//! The workers' shared vocabulary, below the runner and every worker: what a
//! worker gets to run one step ([`StepContext`]), how a step stops early
//! ([`Stop`]), its time limit ([`Deadline`]), what the preflight found
//! ([`Tools`]), and where its output lines go ([`StepSink`], into the run's
//! log) with what its programs were and used ([`Measured`]). The runner
//! creates these; workers only use them.

use super::cancel::CancelToken;
use super::log::RunLog;
use super::process::{Exit, ExitStatus, OutputLine, OutputSink, Stream, Usage};
use super::worker::helpers::Helpers;
use super::{EngineEvent, EventCallback};
use crate::error::EngineError;
use crate::workflow::Step;
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How many stderr lines of a failing command end up in the run's messages.
const STDERR_TAIL: usize = 10;

/// Why a step (and so the run) stopped early.
#[derive(Debug)]
pub(crate) enum Stop {
    Canceled,
    Failed(Vec<String>),
}

impl Stop {
    pub(crate) fn failed(error: EngineError) -> Self {
        Stop::Failed(vec![error.to_string()])
    }
}

/// What a worker gets to run one step.
pub(crate) struct StepContext<'a, 's> {
    pub run_id: &'a str,
    pub run_dir: &'a Path,
    /// flowdesk's folder in the run folder (where the log is), for files the
    /// engine writes for a step.
    pub meta_dir: &'a Path,
    /// The step's position (0-based).
    pub index: usize,
    /// The run's environment variables (the step's own come on top).
    pub run_env: &'a IndexMap<String, String>,
    /// The workflow variables so far; code steps add their results.
    pub variables: &'a mut Map<String, Value>,
    /// The interpreter `${python}` stands for, and code and notebook steps use.
    pub python: &'a str,
    pub cancel: &'a CancelToken,
    /// When the step must stop, if it has a time limit.
    pub deadline: Option<Deadline>,
    pub tools: &'a Tools,
    /// Containers started in this run so far (for unique container names).
    pub containers: &'a mut usize,
    pub sink: &'a mut StepSink<'s>,
}

/// What the preflight found for the run's workers.
#[derive(Debug, Default)]
pub(crate) struct Tools {
    /// The `docker` program, checked to reach its daemon.
    pub docker: Option<PathBuf>,
    /// How to call papermill, as the start of a shell command.
    pub papermill: Option<String>,
    /// Where `import flowserv` comes from (see `helpers`).
    pub helpers: Helpers,
}

/// When a step must be stopped, and which limit that is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    pub at: Instant,
    pub limit: Duration,
    /// True if it is the run's limit rather than the step's.
    pub run_wide: bool,
}

impl Deadline {
    /// The earlier of the step's limit (from now) and the run's.
    pub fn earliest(step: Option<Duration>, run: Option<Deadline>) -> Option<Deadline> {
        let step = step.map(|limit| Deadline {
            at: Instant::now() + limit,
            limit,
            run_wide: false,
        });
        match (step, run) {
            (Some(s), Some(r)) => Some(if r.at < s.at { r } else { s }),
            (s, r) => s.or(r),
        }
    }

    pub fn error(&self, step: &Step) -> EngineError {
        EngineError::TimedOut {
            step: step.name.clone(),
            seconds: seconds(self.limit),
            limit: if self.run_wide {
                " (the run's time limit)"
            } else {
                ""
            },
        }
    }
}

/// Seconds as people write them: `3`, `2.5`.
pub(crate) fn seconds(duration: Duration) -> String {
    format!("{}", duration.as_secs_f64())
}

/// Where a step's output lines go: the logs, the event callback, and a tail of
/// stderr for the error message.
pub(crate) struct StepSink<'a> {
    pub(crate) run_id: &'a Arc<str>,
    pub(crate) step: Arc<str>,
    pub(crate) on_event: &'a EventCallback,
    pub(crate) log: &'a mut RunLog,
    pub(crate) stderr_tail: VecDeque<String>,
    /// What the step's programs were and used, for its provenance.
    pub(crate) measured: &'a mut Measured,
}

/// What a step's programs were and used, gathered as they run.
#[derive(Debug, Default)]
pub(crate) struct Measured {
    pub commands: Vec<String>,
    pub exit: Option<ExitStatus>,
    pub peak_memory: Option<u64>,
    pub cpu_time: Option<Duration>,
}

impl StepSink<'_> {
    /// Forget the previous command's stderr.
    pub(crate) fn start_command(&mut self) {
        self.stderr_tail.clear();
    }

    /// A program of the step, as it is started.
    pub(crate) fn record_command(&mut self, command: String) {
        self.measured.commands.push(command);
    }

    /// How the step's latest program ended.
    pub(crate) fn record_exit(&mut self, exit: Exit) {
        self.measured.exit = match exit {
            Exit::Exited(status) => Some(status),
            Exit::Canceled | Exit::TimedOut => None,
        };
    }

    /// The last stderr lines of the current command, oldest first.
    pub(crate) fn stderr_tail(&self) -> impl Iterator<Item = String> + '_ {
        self.stderr_tail.iter().cloned()
    }
}

impl OutputSink for StepSink<'_> {
    fn line(&mut self, line: OutputLine) {
        let time = line
            .time
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        self.log
            .write(&self.step, line.stream.as_str(), &time, &line.text);
        if line.stream == Stream::Stderr {
            if self.stderr_tail.len() == STDERR_TAIL {
                self.stderr_tail.pop_front();
            }
            self.stderr_tail.push_back(line.text.clone());
        }
        (self.on_event)(EngineEvent::Log {
            run_id: self.run_id.clone(),
            step: self.step.clone(),
            stream: line.stream,
            time: line.time,
            line: line.text,
        });
    }

    fn idle(&mut self) {
        self.log.flush();
    }

    fn usage(&mut self, usage: Usage) {
        let measured = &mut self.measured;
        measured.peak_memory = Some(measured.peak_memory.unwrap_or(0).max(usage.peak_memory));
        let cpu = usage.user_time + usage.system_time;
        measured.cpu_time = Some(measured.cpu_time.unwrap_or_default() + cpu);
    }
}
