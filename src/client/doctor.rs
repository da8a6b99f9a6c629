//! Checking and repairing this computer's home folder (`flowdesk doctor`). No
//! backend is opened: the doctor must work on a home folder the backend refuses
//! (an emptied database), so these are functions over the configuration, like
//! [`templates`](super::templates). A server has no doctor here.

use super::error::ClientError;
use crate::config::Config;
use crate::service::doctor;
use serde::Serialize;

/// One thing the doctor looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// `home`, `database`, `backup`, `permissions`, `runs`, `processes`,
    /// `run folders`, `temporary folders`, `logs`, `reserve`, `restore`.
    pub name: &'static str,
    /// False when something is wrong.
    pub ok: bool,
    /// True when it was wrong and has been repaired.
    pub fixed: bool,
    pub detail: String,
}

/// Everything the doctor found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DoctorReport {
    pub checks: Vec<Check>,
}

impl DoctorReport {
    /// Nothing wrong, or everything wrong repaired.
    pub fn healthy(&self) -> bool {
        self.checks.iter().all(|c| c.ok || c.fixed)
    }
}

fn view(report: doctor::Report) -> DoctorReport {
    DoctorReport {
        checks: report
            .findings
            .into_iter()
            .map(|f| Check {
                name: f.check,
                ok: f.ok,
                fixed: f.fixed,
                detail: f.message,
            })
            .collect(),
    }
}

/// Examine the home folder of `config`; with `fix`, repair what is safe:
/// kill processes of dead owners, end their runs as interrupted, remove
/// leftover temporary folders and never-started run folders, move other
/// orphaned run folders to `lost+found/`, append lost log tails, make the
/// database and settings private again, take a missing backup.
pub fn examine(config: &Config, fix: bool) -> Result<DoctorReport, ClientError> {
    Ok(view(doctor::examine(config, fix)?))
}

/// Replace the database with its last backup, then examine the home folder.
/// Refused while another flowdesk process has the home folder open.
pub fn restore(config: &Config) -> Result<DoctorReport, ClientError> {
    Ok(view(doctor::restore(config)?))
}
