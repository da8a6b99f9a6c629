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
use super::templates::CheckOptions;
use super::view::{InstallRequest, RunQuery, RunRequest, RunRow};
use super::{Client, ClientError, InstallSource};
use crate::config::Config;
use crate::service::home::TMP_DIR;
use crate::service::lock::RunLock;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

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
    // Declared first so it is dropped (and its runs' threads stopped) before
    // the folder goes.
    client: LocalClient,
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
            client,
            dir,
            installed: None,
            _lock: lock,
        })
    }

    /// The area's own backend: runs, logs, files and post-processing of the
    /// try runs.
    pub fn client(&self) -> &LocalClient {
        &self.client
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
