//! The one door to flowdesk's core. The GUI and the CLI talk to a [`Client`]
//! and to nothing below it: they get view models ([`view`]) with values already
//! typed and labelled, errors as one [`ClientError`], events through a
//! [`Subscriber`], and a [`Capabilities`] description of what the backend
//! offers. Two backends implement it, the way flowServ's own API has a local
//! and a remote implementation of one service interface:
//!
//! - [`LocalClient`] (`local.rs`): this computer, over `crate::service`;
//! - the flowServ REST client in `crate::remote` (a server).
//!
//! Methods block: callers with a UI call them from a background thread (the
//! GUI's backend thread), never from the thread that draws. Keys (`benchmark`,
//! `submission`, `run`) are ids, or names where the backend can resolve them.
//!
//! Checking and previewing a template folder that is not installed needs no
//! backend: [`templates`] does it for both faces.

pub mod capabilities;
pub mod doctor;
pub mod error;
pub mod events;
pub mod export;
pub mod format;
pub mod local;
pub mod servers;
pub mod submit;
pub mod templates;
pub mod view;
pub mod workbench;

pub use capabilities::{Capabilities, Operation};
pub use error::{ClientError, ErrorKind};
pub use events::{ClientEvent, EventHub, Subscriber};
pub use export::write_file_atomically;
pub use local::LocalClient;
pub use view::*;

use std::io::Write;
use std::path::Path;

/// Every operation the GUI and the CLI perform, for one backend.
pub trait Client: Send + Sync {
    /// What this backend offers; screens hide or explain the rest.
    fn capabilities(&self) -> Capabilities;

    /// Send this backend's events to `subscriber` from now on.
    fn subscribe(&self, subscriber: Subscriber);

    /// Runs running and queued.
    fn activity(&self) -> Result<Activity, ClientError>;

    /// Whether the backend can be reached and whose sign-in it uses; `None`
    /// for this computer, which is always there.
    fn connection(&self) -> Option<ConnectionStatus> {
        None
    }

    /// What the user is looking at, so that a backend that has to ask for
    /// changes (a server) asks about that. This computer pushes its events
    /// and needs no focus.
    fn set_focus(&self, _focus: Focus) {}

    /// Whether the window is visible: a hidden window asks a server less often.
    fn set_visible(&self, _visible: bool) {}

    // ----- benchmarks ------------------------------------------------------------

    fn benchmarks(&self) -> Result<Vec<BenchmarkSummary>, ClientError>;

    /// A benchmark by id or name, with the caller's submissions.
    fn benchmark(&self, key: &str) -> Result<BenchmarkDetail, ClientError>;

    /// Install a benchmark ([`Operation::ManageBenchmarks`]).
    fn install(&self, request: &InstallRequest) -> Result<BenchmarkSummary, ClientError>;

    /// Remove a benchmark with everything it owns ([`Operation::ManageBenchmarks`]).
    fn uninstall(&self, key: &str) -> Result<BenchmarkSummary, ClientError>;

    /// Rename a benchmark or change its texts ([`Operation::ManageBenchmarks`]).
    fn edit_benchmark(
        &self,
        key: &str,
        edit: &BenchmarkEdit,
    ) -> Result<BenchmarkSummary, ClientError>;

    /// The template repository's entries ([`Operation::Repository`]).
    fn repository(&self) -> Result<Vec<RepositoryTemplate>, ClientError>;

    // ----- submissions and uploads -------------------------------------------

    fn submissions(&self, benchmark: &str) -> Result<Vec<Submission>, ClientError>;

    fn create_submission(&self, benchmark: &str, name: &str) -> Result<Submission, ClientError>;

    /// [`Operation::RenameSubmission`].
    fn rename_submission(&self, submission: &str, name: &str) -> Result<Submission, ClientError>;

    /// Delete a submission with its runs and uploaded files.
    fn delete_submission(&self, submission: &str) -> Result<Submission, ClientError>;

    /// Give a submission its own worker configuration, or take it away with
    /// `None` ([`Operation::SubmissionWorkers`]).
    fn set_submission_workers(
        &self,
        submission: &str,
        config: Option<serde_json::Value>,
    ) -> Result<Submission, ClientError>;

    /// Upload a local file to a submission.
    fn upload(&self, submission: &str, file: &Path) -> Result<Upload, ClientError>;

    /// Upload, calling `progress(sent, total)` as bytes go out (a server
    /// upload streams; a local one is a copy, reported once at the end).
    fn upload_with_progress(
        &self,
        submission: &str,
        file: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Upload, ClientError> {
        let upload = self.upload(submission, file)?;
        progress(upload.size, upload.size);
        Ok(upload)
    }

    /// Set who belongs to a submission, by user name ([`Operation::Members`]).
    fn set_members(&self, submission: &str, members: &[String]) -> Result<Submission, ClientError>;

    fn uploads(&self, submission: &str) -> Result<Vec<Upload>, ClientError>;

    fn delete_upload(&self, submission: &str, upload: &str) -> Result<Upload, ClientError>;

    // ----- runs ----------------------------------------------------------------

    /// What the run would execute, bound and expanded exactly as starting it
    /// would; argument errors name the parameter.
    fn preview(&self, request: &RunRequest) -> Result<Preview, ClientError>;

    /// Start a run; returns it as it is right after the start (usually PENDING).
    fn start_run(&self, request: &RunRequest) -> Result<RunRow, ClientError>;

    /// Block until the run has ended and its results are stored.
    fn wait(&self, run: &str) -> Result<RunDetail, ClientError>;

    /// Ask a run to stop; returns it as it was when asked.
    fn cancel_run(&self, run: &str) -> Result<RunRow, ClientError>;

    /// Delete a finished run with its files.
    fn delete_run(&self, run: &str) -> Result<RunRow, ClientError>;

    /// Runs, newest first.
    fn runs(&self, query: &RunQuery) -> Result<RunList, ClientError>;

    fn run(&self, run: &str) -> Result<RunDetail, ClientError>;

    /// Copy the run's log from byte `offset` on to `out`; returns the bytes
    /// copied ([`Operation::Logs`]).
    fn copy_log(&self, run: &str, offset: u64, out: &mut dyn Write) -> Result<u64, ClientError>;

    /// Copy one output file of a run (by id or name) to `out`, streaming.
    fn copy_run_file(&self, run: &str, file: &str, out: &mut dyn Write)
        -> Result<u64, ClientError>;

    /// A file on this computer with the run file's content, for viewers: the
    /// run folder's own file for a local run, a downloaded copy otherwise.
    fn fetch_run_file(&self, run: &str, file: &str) -> Result<std::path::PathBuf, ClientError>;

    /// Pack a run's outputs (and log, where there is one) into a `.tar.gz`;
    /// returns the number of files.
    fn export_run(&self, run: &str, out: &Path) -> Result<usize, ClientError>;

    /// Delete finished runs created before a date ([`Operation::Cleanup`]).
    fn cleanup(&self, query: &CleanupQuery) -> Result<Vec<String>, ClientError>;

    // ----- leaderboards and post-processing -----------------------------------

    /// The ranking, or `None` when the benchmark has no result schema.
    fn leaderboard(&self, query: &LeaderboardQuery)
        -> Result<Option<LeaderboardView>, ClientError>;

    /// The latest successful post-processing outputs, if there are any.
    fn postproc(&self, benchmark: &str) -> Result<Option<PostprocView>, ClientError>;

    /// Pack the latest post-processing outputs into a `.tar.gz`.
    fn export_postproc(&self, benchmark: &str, out: &Path) -> Result<usize, ClientError>;

    // ----- reproducibility --------------------------------------------------------

    /// What a run was made from and with; `None` when nothing was recorded
    /// (a post-processing run, or one made by an older flowdesk)
    /// ([`Operation::Provenance`]).
    fn provenance(&self, run: &str) -> Result<Option<Provenance>, ClientError> {
        let _ = run;
        Err(self.unsupported(Operation::Provenance))
    }

    /// Write a portable bundle of a successful run to `out` ([`Operation::Bundles`]).
    fn export_bundle(&self, run: &str, out: &Path) -> Result<BundleInfo, ClientError> {
        let _ = (run, out);
        Err(self.unsupported(Operation::Bundles))
    }

    /// Import a run bundle into the benchmark with the same template; `force`
    /// also into one of the same name whose template differs
    /// ([`Operation::Bundles`]).
    fn import_bundle(&self, file: &Path, force: bool) -> Result<ImportedBundle, ClientError> {
        let _ = (file, force);
        Err(self.unsupported(Operation::Bundles))
    }

    /// Run a successful run again with the same arguments and input files;
    /// returns the new run. The comparison is stored with the original when the
    /// new run ends (see [`Client::reproductions`]). `tolerance` (`0.01`,
    /// `1%`) overrides the benchmark's setting ([`Operation::Reproduce`]).
    fn reproduce(&self, run: &str, tolerance: Option<&str>) -> Result<RunRow, ClientError> {
        let _ = (run, tolerance);
        Err(self.unsupported(Operation::Reproduce))
    }

    /// A run's reproductions, oldest first ([`Operation::Reproduce`]).
    fn reproductions(&self, run: &str) -> Result<Vec<Reproduction>, ClientError> {
        let _ = run;
        Err(self.unsupported(Operation::Reproduce))
    }

    /// Start `count` runs with the same arguments as one run set
    /// ([`Operation::RunSets`]).
    fn start_run_set(&self, request: &RunRequest, count: usize) -> Result<RunSetView, ClientError> {
        let _ = (request, count);
        Err(self.unsupported(Operation::RunSets))
    }

    /// The error for an operation this backend does not offer.
    fn unsupported(&self, operation: Operation) -> ClientError {
        let capabilities = self.capabilities();
        capabilities
            .check(operation)
            .err()
            .unwrap_or(ClientError::Unsupported {
                operation: operation.describe(),
                backend: capabilities.backend,
                reason: "this backend does not implement it",
            })
    }

    // ----- benchmark environments ------------------------------------------------

    /// The benchmark's own Python environment ([`Operation::Environments`]).
    fn environment(&self, benchmark: &str) -> Result<EnvironmentView, ClientError> {
        let _ = benchmark;
        Err(self.no_environments())
    }

    /// Start creating the benchmark's environment from its requirements;
    /// progress comes as [`ClientEvent::Environment`] ([`Operation::Environments`]).
    fn create_environment(&self, benchmark: &str) -> Result<EnvironmentView, ClientError> {
        let _ = benchmark;
        Err(self.no_environments())
    }

    /// Remove the benchmark's environment ([`Operation::Environments`]).
    fn remove_environment(&self, benchmark: &str) -> Result<EnvironmentView, ClientError> {
        let _ = benchmark;
        Err(self.no_environments())
    }

    /// The error of a backend without environments.
    fn no_environments(&self) -> ClientError {
        let capabilities = self.capabilities();
        capabilities
            .check(Operation::Environments)
            .err()
            .unwrap_or(ClientError::Unsupported {
                operation: Operation::Environments.describe(),
                backend: capabilities.backend,
                reason: "this backend keeps no environments",
            })
    }

    /// Write the leaderboard as CSV (full precision); returns the row count. A
    /// benchmark without a result schema has no leaderboard to export: that is
    /// an error, not an empty file.
    fn export_leaderboard(
        &self,
        query: &LeaderboardQuery,
        out: &Path,
    ) -> Result<usize, ClientError> {
        let Some(board) = self.leaderboard(query)? else {
            return Err(ClientError::Invalid(format!(
                "'{}' has no result schema, so it has no leaderboard to export",
                query.benchmark
            )));
        };
        export::leaderboard_csv(&board, out)
    }
}

/// Whether `text` is a tolerance a reproduction accepts (`0.01` or `1%`), so
/// a form can say so before anything starts; the message says what is wrong.
pub fn check_tolerance(text: &str) -> Result<(), String> {
    crate::service::Tolerance::parse(text)
        .map(|_| ())
        .map_err(|e| e.to_string())
}
