//! The template repository: a JSON file listing installable templates as
//! flowServ's global repository does (`{id, description, url, manifest, args}`),
//! so a user can install by identifier.

use super::install::{InstallOptions, InstallSource};
use super::Service;
use crate::error::ServiceError;
use crate::store::WorkflowRecord;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One repository entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepositoryEntry {
    pub id: String,
    #[serde(default)]
    pub description: Option<String>,
    pub url: String,
    #[serde(default)]
    pub manifest: Option<String>,
    #[serde(default)]
    pub args: Map<String, Value>,
}

impl Service {
    /// The configured repository's entries (empty when none is configured).
    pub fn repository(&self) -> Result<Vec<RepositoryEntry>, ServiceError> {
        let Some(path) = &self.shared.repository() else {
            return Ok(Vec::new());
        };
        let text = std::fs::read_to_string(path).map_err(|e| super::files::io_error(path, e))?;
        serde_json::from_str(&text).map_err(|e| {
            ServiceError::Invalid(format!(
                "template repository `{}` is not a JSON list of {{id, description, url, manifest, args}}: {e}",
                path.display()
            ))
        })
    }

    /// Install a repository entry by its identifier.
    pub fn install_from_repository(
        &self,
        id: &str,
        options: &InstallOptions,
    ) -> Result<Option<WorkflowRecord>, ServiceError> {
        let Some(entry) = self.repository()?.into_iter().find(|e| e.id == id) else {
            return Ok(None);
        };
        let branch = entry
            .args
            .get("branch")
            .and_then(Value::as_str)
            .map(str::to_string);
        let source = match InstallSource::detect(&entry.url) {
            InstallSource::Git { url, .. } => InstallSource::Git { url, branch },
            other => other,
        };
        let mut options = options.clone();
        if options.manifest.is_none() {
            options.manifest = entry.manifest.map(Into::into);
        }
        self.install(&source, &options).map(Some)
    }
}
