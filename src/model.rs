//! The shared vocabulary of runs that every layer speaks: the states of a run and
//! how far it has got. It sits below the store, the service, the client and the
//! error types so that none of them has to import another just to name a state.

pub mod provenance;

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// The states of the reference (`flowserv.model.workflow.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RunState {
    Pending,
    Running,
    Success,
    Error,
    Canceled,
}

impl RunState {
    pub const ALL: [RunState; 5] = [
        RunState::Pending,
        RunState::Running,
        RunState::Success,
        RunState::Error,
        RunState::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Pending => "PENDING",
            RunState::Running => "RUNNING",
            RunState::Success => "SUCCESS",
            RunState::Error => "ERROR",
            RunState::Canceled => "CANCELED",
        }
    }

    /// PENDING or RUNNING: the run may still change.
    pub fn is_active(self) -> bool {
        matches!(self, RunState::Pending | RunState::Running)
    }

    /// SUCCESS, ERROR or CANCELED: the run has ended for good.
    pub fn is_finished(self) -> bool {
        !self.is_active()
    }
}

impl fmt::Display for RunState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Case-insensitive, so that `--state error` works on the command line.
impl FromStr for RunState {
    type Err = String;

    fn from_str(text: &str) -> Result<RunState, String> {
        RunState::ALL
            .into_iter()
            .find(|state| state.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                format!("unknown run state '{text}'; expected PENDING, RUNNING, SUCCESS, ERROR or CANCELED")
            })
    }
}

/// Which step of the workflow a run is executing (0-based index).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunProgress {
    pub step_index: u32,
    pub step_count: u32,
    pub step_name: String,
}
