//! The coordinator's try area: run a template folder that is being written,
//! without installing it. A try area is a throwaway home folder of its own
//! under `<home>/tmp/workbench-*` (locked while in use, so start-up removes only
//! those whose process died), with the real home's settings (Python, limits,
//! workers) and no samples. The template is installed there, runs there and
//! is post-processed there, so none of it reaches the home's benchmarks, runs
//! or leaderboards; dropping the area removes the folder.
//!
//! The try runs of one template version stay in the area for the session, so
//! post-processing sees all of them; when the folder changes (`mark_stale`)
//! the next try installs the new version afresh and the old runs go with the
//! old version.

use super::local::{LocalClient, LocalOptions};
use super::templates::{self, CheckOptions};
use super::view::{
    InstallRequest, PostprocView, ResultCheck, RunDetail, RunQuery, RunRequest, RunRow,
};
use super::{Client, ClientError, InstallSource};
use crate::config::Config;
use crate::model::RunState;
use crate::service::home::TMP_DIR;
use crate::service::lock::RunLock;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How often a try run's log is read while it runs.
const LOG_INTERVAL: Duration = Duration::from_millis(100);

/// A finished try run and what it tells the coordinator.
#[derive(Debug, Clone)]
pub struct TryOutcome {
    pub run: RunDetail,
    /// The schema check of the result file the run wrote (also after a run
    /// that failed because of it); `None` without a schema or a result file.
    pub result_check: Option<ResultCheck>,
    /// The post-processing run over the try runs and its outputs, when asked
    /// for and the template has a post-processing workflow.
    pub postproc: Option<(RunDetail, Option<PostprocView>)>,
}

impl TryOutcome {
    /// The run succeeded, its result file matches the schema and the
    /// post-processing (if any) succeeded.
    pub fn passes(&self) -> bool {
        self.run.run.state == RunState::Success
            && self.result_check.as_ref().is_none_or(|c| c.check.passes())
            && self
                .postproc
                .as_ref()
                .is_none_or(|(run, _)| run.run.state == RunState::Success)
    }
}

/// Prefix of try-area folders in `<home>/tmp`.
pub const WORKBENCH_PREFIX: &str = "workbench-";

/// The benchmark a template folder is installed as in a try area.
#[derive(Debug, Clone)]
struct Installed {
    folder: PathBuf,
    specfile: Option<PathBuf>,
    manifest: Option<PathBuf>,
    benchmark: String,
}

/// A throwaway home for try runs; see the module comment.
pub struct TryArea {
    client: Arc<LocalClient>,
    dir: PathBuf,
    installed: Option<Installed>,
    _lock: RunLock,
}

impl TryArea {
    /// A new try area in the home folder `home` is configured for.
    pub fn open(home: &Config) -> Result<TryArea, ClientError> {
        let dir = home
            .home
            .join(TMP_DIR)
            .join(format!("{WORKBENCH_PREFIX}{}", crate::service::new_id(12)));
        // A home created here is private like any other (`template try` may
        // be the first command to touch it).
        crate::service::home::create_private_dir(&home.home.join(TMP_DIR))?;
        let lock = RunLock::try_acquire(&dir)
            .map_err(|source| ClientError::Io {
                path: dir.clone(),
                source,
            })?
            .ok_or_else(|| {
                ClientError::Invalid(format!("`{}` is in use", crate::display::shown(&dir)))
            })?;
        let mut config = home.clone();
        config.home = dir.clone();
        config.database = dir.join(crate::config::DATABASE_FILE);
        let opened = LocalClient::open_with(
            config,
            LocalOptions {
                install_samples: false,
                executor: None,
                recover: false,
            },
        );
        let client = match opened {
            Ok(client) => client,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
        };
        Ok(TryArea {
            client: Arc::new(client),
            dir,
            installed: None,
            _lock: lock,
        })
    }

    /// The area's own backend: runs, logs, files and post-processing of the
    /// try runs (shared, so a try run can be canceled while another thread
    /// waits for it).
    pub fn client(&self) -> Arc<LocalClient> {
        Arc::clone(&self.client)
    }

    /// The area's folder (a home folder of its own).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The folder changed: the next try installs it afresh.
    pub fn mark_stale(&mut self) {
        if let Some(installed) = self.installed.take() {
            // Its runs go with it; they ran an older version of the template.
            let _ = self.client.uninstall(&installed.benchmark);
        }
    }

    /// The id of the benchmark the folder is installed as in the area,
    /// installing it when it is new or stale.
    pub fn benchmark(
        &mut self,
        folder: &Path,
        options: &CheckOptions,
    ) -> Result<String, ClientError> {
        let same = self.installed.as_ref().is_some_and(|i| {
            i.folder == folder && i.specfile == options.specfile && i.manifest == options.manifest
        });
        if !same {
            self.mark_stale();
            let summary = self.client.install(&InstallRequest {
                source: Some(InstallSource::Folder(folder.to_path_buf())),
                specfile: options.specfile.clone(),
                manifest: options.manifest.clone(),
                ..Default::default()
            })?;
            self.installed = Some(Installed {
                folder: folder.to_path_buf(),
                specfile: options.specfile.clone(),
                manifest: options.manifest.clone(),
                benchmark: summary.id,
            });
        }
        self.installed
            .as_ref()
            .map(|i| i.benchmark.clone())
            .ok_or_else(|| ClientError::Invalid("the template is not installed".into()))
    }

    /// Start a try run of the folder with these arguments (as `RunRequest`
    /// takes them; file arguments are local paths).
    pub fn start(
        &mut self,
        folder: &Path,
        options: &CheckOptions,
        arguments: Map<String, Value>,
    ) -> Result<RunRow, ClientError> {
        let benchmark = self.benchmark(folder, options)?;
        self.client.start_run(&RunRequest {
            benchmark,
            submission: None,
            arguments,
            detach: false,
        })
    }
}

impl TryArea {
    /// Try the folder to the end: start the run (`on_start` hears of it),
    /// hand its log to `on_log` as it grows, then check the result file it
    /// wrote against the schema and, with `postproc`, wait for the
    /// post-processing over the try runs.
    pub fn try_to_end(
        &mut self,
        folder: &Path,
        options: &CheckOptions,
        arguments: Map<String, Value>,
        postproc: bool,
        on_start: impl FnOnce(&RunRow),
        mut on_log: impl FnMut(&[u8]),
    ) -> Result<TryOutcome, ClientError> {
        let template = templates::check(folder, options)?;
        let started = self.start(folder, options, arguments)?;
        on_start(&started);
        let client = self.client();
        let mut offset = 0u64;
        let mut chunk = Vec::new();
        loop {
            let finished = client.run(&started.id)?.run.state.is_finished();
            chunk.clear();
            offset += client.copy_log(&started.id, offset, &mut chunk)?;
            if !chunk.is_empty() {
                on_log(&chunk);
            }
            if finished {
                break;
            }
            std::thread::sleep(LOG_INTERVAL);
        }
        let run = client.wait(&started.id)?;
        let result_check = match (&template.results, &run.folder) {
            (Some(results), Some(run_folder)) if run_folder.join(&results.file).is_file() => {
                let file = run_folder.join(&results.file);
                let (_, mut checked) = templates::check_result(folder, options, &file)?;
                // The area goes with this session; name the file as the
                // template does.
                checked.file = PathBuf::from(format!("the try run's {}", results.file));
                Some(checked)
            }
            _ => None,
        };
        let postproc = match (postproc, &template.postproc) {
            (true, Some(_)) if run.run.state == RunState::Success => {
                match client.latest_postproc_run(&run.run.benchmark_id)? {
                    Some(post) => {
                        let post = client.wait(&post)?;
                        let view = client.postproc(&run.run.benchmark_id)?;
                        Some((post, view))
                    }
                    None => None,
                }
            }
            _ => None,
        };
        Ok(TryOutcome {
            run,
            result_check,
            postproc,
        })
    }
}

impl Drop for TryArea {
    /// Runs still going are canceled (their processes die) before the folder
    /// goes.
    fn drop(&mut self) {
        if let Ok(list) = self.client.runs(&RunQuery::default()) {
            for run in list.rows.iter().filter(|r| !r.state.is_finished()) {
                if self.client.cancel_run(&run.id).is_ok() {
                    let _ = self.client.wait(&run.id);
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
