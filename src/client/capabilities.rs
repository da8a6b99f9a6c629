//! What a backend can do. This computer can do everything; a flowServ server has
//! no route for installing benchmarks, for logs or for worker configurations, so
//! its client says so here and the screens hide those actions or explain why
//! they are missing, instead of offering buttons that can only fail.

use super::ClientError;

/// The operations that not every backend offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Install, uninstall or edit a benchmark.
    ManageBenchmarks,
    /// Install from the template repository.
    Repository,
    /// Read a run's log.
    Logs,
    /// Open a run's folder on this computer.
    RunFolder,
    /// Give a submission its own worker configuration.
    SubmissionWorkers,
    /// Rename a submission.
    RenameSubmission,
    /// Delete old runs in bulk.
    Cleanup,
    /// Check a template folder that is not installed.
    TemplateCheck,
    /// Settings of this computer (Python, parallel runs, workers).
    Settings,
    /// Show the expanded steps of a run before starting it.
    Preview,
    /// Choose who belongs to a submission (a server's submissions have members).
    Members,
    /// Give a benchmark its own Python environment from its requirements.
    Environments,
    /// A run's provenance (what made it: template hash, inputs, environment).
    Provenance,
    /// Writing and importing run bundles.
    Bundles,
    /// Running a run again and comparing.
    Reproduce,
    /// Several runs with the same arguments as one run set.
    RunSets,
}

impl Operation {
    /// The operation as the subject of a sentence.
    pub fn describe(self) -> &'static str {
        match self {
            Operation::ManageBenchmarks => "installing, removing or editing benchmarks",
            Operation::Repository => "installing from the template repository",
            Operation::Logs => "reading a run's log",
            Operation::RunFolder => "opening a run's folder",
            Operation::SubmissionWorkers => "a submission's own worker configuration",
            Operation::RenameSubmission => "renaming a submission",
            Operation::Cleanup => "cleaning up old runs",
            Operation::TemplateCheck => "checking a template folder",
            Operation::Settings => "changing settings",
            Operation::Preview => "previewing a run's steps",
            Operation::Members => "choosing a submission's members",
            Operation::Environments => "a benchmark's own Python environment",
            Operation::Provenance => "a run's provenance",
            Operation::Bundles => "run bundles",
            Operation::Reproduce => "reproducing a run",
            Operation::RunSets => "repeating a run as a run set",
        }
    }
}

/// What one backend offers.
#[derive(Debug, Clone, PartialEq)]
pub struct Capabilities {
    /// The backend as people call it: "this computer", or the server's URL.
    pub backend: String,
    /// Operations not offered, each with the reason shown to the user.
    missing: Vec<(Operation, &'static str)>,
}

impl Capabilities {
    /// Everything: this computer.
    pub fn everything(backend: impl Into<String>) -> Self {
        Capabilities {
            backend: backend.into(),
            missing: Vec::new(),
        }
    }

    /// Everything except `missing`, each with its reason.
    pub fn without(
        backend: impl Into<String>,
        missing: impl IntoIterator<Item = (Operation, &'static str)>,
    ) -> Self {
        Capabilities {
            backend: backend.into(),
            missing: missing.into_iter().collect(),
        }
    }

    pub fn supports(&self, operation: Operation) -> bool {
        self.reason(operation).is_none()
    }

    /// Why `operation` is not offered, if it is not.
    pub fn reason(&self, operation: Operation) -> Option<&'static str> {
        self.missing
            .iter()
            .find(|(o, _)| *o == operation)
            .map(|(_, reason)| *reason)
    }

    /// `Ok` if offered, else the error to report.
    pub fn check(&self, operation: Operation) -> Result<(), ClientError> {
        match self.reason(operation) {
            None => Ok(()),
            Some(reason) => Err(ClientError::Unsupported {
                operation: operation.describe(),
                backend: self.backend.clone(),
                reason,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_operation_explains_itself() {
        let server = Capabilities::without(
            "https://bench.example.org",
            [(Operation::Logs, "a server keeps no logs of its runs")],
        );
        assert!(server.supports(Operation::ManageBenchmarks));
        assert!(!server.supports(Operation::Logs));
        let message = server.check(Operation::Logs).unwrap_err().to_string();
        assert_eq!(
            message,
            "reading a run's log is not possible on https://bench.example.org: a server keeps no logs of its runs"
        );
        assert!(Capabilities::everything("this computer")
            .check(Operation::Logs)
            .is_ok());
    }
}
