//! Installing and uninstalling benchmarks: from a folder, a `.zip`/`.tar.gz`
//! archive, a git URL (cloned with the `git` program) or a template repository
//! identifier. The manifest's files are copied into the workflow's `static/`
//! folder; a default submission is created so a single user can run at once.

use super::files::{archive_kind, extract_archive, io_error};
use super::tree::{walk, Budget};
use super::{new_id, Service, STATIC_DIR};
use crate::config::Limits;
use crate::error::ServiceError;
use crate::paths::{check_relative, is_valid_identifier, join_inside};
use crate::store::{NewSubmission, NewWorkflow, WorkflowRecord};
use crate::template::{LoadOptions, TemplateFolder};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where a template comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum InstallSource {
    Folder(PathBuf),
    Archive(PathBuf),
    Git { url: String, branch: Option<String> },
}

impl InstallSource {
    /// Classify what the user typed: an existing folder, an archive file, or a git
    /// URL.
    pub fn detect(text: &str) -> InstallSource {
        let path = PathBuf::from(text);
        if path.is_dir() {
            return InstallSource::Folder(path);
        }
        if archive_kind(&path).is_some() && path.is_file() {
            return InstallSource::Archive(path);
        }
        let looks_like_git = text.starts_with("https://")
            || text.starts_with("http://")
            || text.starts_with("git@")
            || text.starts_with("ssh://")
            || text.starts_with("git://")
            || text.starts_with("file://")
            || text.ends_with(".git");
        if looks_like_git {
            return InstallSource::Git {
                url: text.to_string(),
                branch: None,
            };
        }
        InstallSource::Folder(path)
    }

    fn describe(&self) -> String {
        match self {
            InstallSource::Folder(p) | InstallSource::Archive(p) => p
                .canonicalize()
                .unwrap_or_else(|_| p.clone())
                .display()
                .to_string(),
            InstallSource::Git { url, .. } => url.clone(),
        }
    }
}

/// Overrides for the manifest, and the id to install under.
#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    pub id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub instructions: Option<PathBuf>,
    pub specfile: Option<PathBuf>,
    pub manifest: Option<PathBuf>,
}

/// Name of the submission every install starts with.
pub const DEFAULT_SUBMISSION: &str = "default";

impl Service {
    /// Install a template. Nothing is left behind when it fails.
    pub fn install(
        &self,
        source: &InstallSource,
        options: &InstallOptions,
    ) -> Result<WorkflowRecord, ServiceError> {
        let scratch = self
            .shared
            .config
            .home
            .join(super::home::TMP_DIR)
            .join(format!("install-{}", new_id(12)));
        // Locked while in use: start-up removes only the scratch folders of
        // installs that died (see `home`).
        let lock =
            super::lock::RunLock::try_acquire(&scratch).map_err(|e| io_error(&scratch, e))?;
        let result = self
            .install_inner(source, options, &scratch)
            .map_err(|e| match source {
                InstallSource::Archive(archive) => {
                    super::files::named_in_archive(e, &scratch, archive)
                }
                _ => e,
            });
        let _ = std::fs::remove_dir_all(&scratch);
        drop(lock);
        result
    }

    fn install_inner(
        &self,
        source: &InstallSource,
        options: &InstallOptions,
        scratch: &Path,
    ) -> Result<WorkflowRecord, ServiceError> {
        let folder = match source {
            InstallSource::Folder(path) => path.clone(),
            InstallSource::Archive(path) => {
                let kind = archive_kind(path).ok_or_else(|| ServiceError::BadArchive {
                    path: path.clone(),
                    message: "not a .zip, .tar.gz, .tgz or .tar file".into(),
                })?;
                std::fs::create_dir_all(scratch).map_err(|e| io_error(scratch, e))?;
                extract_archive(path, kind, scratch, &self.shared.config.limits)?
            }
            InstallSource::Git { url, branch } => {
                std::fs::create_dir_all(scratch).map_err(|e| io_error(scratch, e))?;
                let target = scratch.join("clone");
                git_clone(url, branch.as_deref(), &target)?;
                target
            }
        };
        let loaded = TemplateFolder::load(
            &folder,
            &LoadOptions {
                manifest: options.manifest.clone(),
                specfile: options.specfile.clone(),
                name: options.name.clone(),
                description: options.description.clone(),
                instructions: options.instructions.clone(),
            },
        )?;
        let store = &self.shared.store;
        if store.workflow_by_name(&loaded.name)?.is_some() {
            return Err(ServiceError::NameTaken {
                suggestion: self.free_name(&loaded.name)?,
                name: loaded.name.clone(),
            });
        }
        let id = match &options.id {
            Some(id) => {
                if !is_valid_identifier(id) {
                    return Err(ServiceError::Invalid(format!(
                        "'{id}' is not a valid identifier: use 1 to 32 letters, digits or underscores"
                    )));
                }
                if store.workflow(id)?.is_some() {
                    return Err(ServiceError::Invalid(format!(
                        "a benchmark with id '{id}' is already installed"
                    )));
                }
                id.clone()
            }
            None => self.fresh_workflow_id(&loaded.name)?,
        };
        let workflow_dir = self
            .shared
            .static_dir(&id)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        // The files are copied into the scratch folder and moved into place in
        // one rename, so an install killed while copying leaves only scratch
        // (removed at the next start), never a half `workflows/<id>`.
        let staged = scratch.join("workflow");
        copy_template_files(
            &loaded,
            Some(&staged.join(STATIC_DIR)),
            &self.shared.config.limits,
        )?;
        self.keep_requirements(&staged, &loaded.basedir)?;
        if let Some(parent) = workflow_dir.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
        }
        std::fs::rename(&staged, &workflow_dir).map_err(|e| io_error(&workflow_dir, e))?;
        let stored = (|| {
            let template = &loaded.template;
            let record = store.insert_workflow(&NewWorkflow {
                id: id.clone(),
                name: loaded.name.clone(),
                description: loaded.description.clone(),
                instructions: loaded.instructions.clone(),
                source: Some(source.describe()),
                template: template.document.clone(),
                result_schema: template.results.clone(),
                postproc: template
                    .postproc
                    .as_ref()
                    .and_then(|p| serde_json::to_value(p).ok()),
            })?;
            super::provenance::record_template(&self.shared, &record)?;
            store.insert_submission(&NewSubmission {
                id: new_id(12),
                workflow_id: id.clone(),
                name: DEFAULT_SUBMISSION.to_string(),
                parameters: serde_json::Value::Array(Vec::new()),
                engine_config: None,
            })?;
            Ok(record)
        })();
        if stored.is_err() {
            let _ = std::fs::remove_dir_all(&workflow_dir);
        }
        stored
    }

    /// The name flowServ would give a benchmark whose name is taken (its
    /// `unique_name`): `name (1)`, `name (2)`, … whichever is free first.
    pub fn free_name(&self, name: &str) -> Result<String, ServiceError> {
        let store = &self.shared.store;
        if store.workflow_by_name(name)?.is_none() {
            return Ok(name.to_string());
        }
        let mut n = 1;
        loop {
            let candidate = format!("{name} ({n})");
            if store.workflow_by_name(&candidate)?.is_none() {
                return Ok(candidate);
            }
            n += 1;
        }
    }

    /// An id derived from the name (`Hello World` → `hello_world`), made unique.
    fn fresh_workflow_id(&self, name: &str) -> Result<String, ServiceError> {
        let mut slug: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        while slug.contains("__") {
            slug = slug.replace("__", "_");
        }
        let slug = slug.trim_matches('_').chars().take(28).collect::<String>();
        let base = if slug.is_empty() { new_id(8) } else { slug };
        let mut candidate = base.clone();
        let mut n = 2;
        while self.shared.store.workflow(&candidate)?.is_some()
            || self.shared.static_dir(&candidate).exists()
        {
            candidate = format!("{base}_{n}");
            n += 1;
        }
        Ok(candidate)
    }

    /// Remove a workflow with all its submissions, runs and files.
    pub fn uninstall(&self, key: &str) -> Result<WorkflowRecord, ServiceError> {
        let workflow = self.workflow(key)?;
        let runs = self.shared.store.runs(&crate::store::RunFilter {
            workflow_id: Some(workflow.id.clone()),
            include_postproc: true,
            ..Default::default()
        })?;
        for run in &runs {
            if !run.state.is_finished() {
                self.engine.cancel(&run.id);
            }
        }
        self.shared.store.delete_workflow(&workflow.id)?;
        super::provenance::forget_template(&self.shared, &workflow.id);
        for run in &runs {
            let _ = std::fs::remove_dir_all(self.shared.run_dir(&run.id));
        }
        let dir = self.shared.config.home.join("workflows").join(&workflow.id);
        std::fs::remove_dir_all(&dir).or_else(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Ok(())
            } else {
                Err(io_error(&dir, e))
            }
        })?;
        Ok(workflow)
    }

    /// Install the bundled samples the first time a home folder is opened.
    pub(crate) fn install_samples_once(&self) -> Result<(), ServiceError> {
        let home = &self.shared.config.home;
        let mut settings = crate::config::Settings::load(home)?;
        if settings.samples_installed || !self.shared.store.workflows()?.is_empty() {
            return Ok(());
        }
        if let Some(dir) = crate::config::samples_dir() {
            for folder in sample_folders(&dir) {
                // One broken sample must not keep the others (or the app) from starting.
                let _ = self.install(&InstallSource::Folder(folder), &InstallOptions::default());
            }
        }
        settings.samples_installed = true;
        settings.save(home)?;
        Ok(())
    }
}

/// The sample benchmarks: folders directly inside the samples folder that have a
/// manifest (not the `bad/` test fixtures, not the `features/` demos).
pub fn sample_folders(dir: &Path) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    crate::template::manifest::MANIFEST_FILES
                        .iter()
                        .any(|m| p.join(m).is_file())
                })
                .collect()
        })
        .unwrap_or_default();
    folders.sort();
    folders
}

/// Copy the template's files (the manifest's `files`, else the whole folder)
/// into `static_dir`; without `static_dir`, only check them exactly as the copy
/// would (what `template check` does). Refuses what [`tree`](super::tree)
/// refuses, within the install limits.
pub(crate) fn copy_template_files(
    loaded: &TemplateFolder,
    static_dir: Option<&Path>,
    limits: &Limits,
) -> Result<(), ServiceError> {
    let mut budget = Budget::install(limits);
    if let Some(static_dir) = static_dir {
        if static_dir.exists() {
            std::fs::remove_dir_all(static_dir).map_err(|e| io_error(static_dir, e))?;
        }
        std::fs::create_dir_all(static_dir).map_err(|e| io_error(static_dir, e))?;
    }
    match &loaded.files {
        None => {
            walk(
                &loaded.basedir,
                &loaded.basedir,
                static_dir,
                Some(Path::new("")),
                &mut budget,
            )?;
        }
        Some(copies) => {
            for copy in copies {
                let source = join_inside(&loaded.basedir, &copy.source, true)
                    .map_err(|e| ServiceError::UnsafePath(format!("manifest files: {e}")))?;
                let mut target_rel = check_relative(&copy.target, true)
                    .map_err(|e| ServiceError::UnsafePath(format!("manifest files: {e}")))?;
                // A file copied to a folder target keeps its name.
                if source.is_file() && (copy.target.is_empty() || copy.target.ends_with('/')) {
                    if let Some(name) = source.file_name() {
                        target_rel.push(name);
                    }
                }
                let target = static_dir.map(|dir| dir.join(&target_rel));
                walk(
                    &loaded.basedir,
                    &source,
                    target.as_deref(),
                    Some(&target_rel),
                    &mut budget,
                )?;
            }
        }
    }
    Ok(())
}

fn git_clone(url: &str, branch: Option<&str>, target: &Path) -> Result<(), ServiceError> {
    let mut command = Command::new("git");
    command.arg("clone").arg("--depth").arg("1").arg("--quiet");
    if let Some(branch) = branch {
        command.arg("--branch").arg(branch);
    }
    command
        .arg("--")
        .arg(url)
        .arg(target)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null());
    let output = command.output().map_err(|e| ServiceError::Git {
        url: url.to_string(),
        message: if e.kind() == std::io::ErrorKind::NotFound {
            "the `git` program is not installed".to_string()
        } else {
            e.to_string()
        },
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(ServiceError::Git {
            url: url.to_string(),
            message: stderr
                .lines()
                .last()
                .unwrap_or("unknown error")
                .trim()
                .to_string(),
        });
    }
    Ok(())
}
