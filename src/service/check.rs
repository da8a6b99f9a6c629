//! Checking a template without installing it, from a folder or from a `.zip` /
//! `.tar.gz` archive. A file manager hands flowdesk whatever the user opened
//! (`flowdesk <path>`), and a coordinator often has the archive they are about to
//! publish rather than a folder, so the Template check screen and
//! `flowdesk template check` both come through here. An archive is unpacked into
//! a scratch folder that is removed again once the template is loaded: the loaded
//! template keeps everything the check shows in memory.

use super::files::{archive_kind, extract_archive, io_error, named_in_archive};
use super::install::copy_template_files;
use super::new_id;
use crate::config::Limits;
use crate::error::ServiceError;
use crate::template::{LoadOptions, TemplateFolder};
use std::path::{Path, PathBuf};

/// Whether `path` names a template archive (by its file name) rather than a folder.
pub fn is_template_archive(path: &Path) -> bool {
    archive_kind(path).is_some() && path.is_file()
}

/// Load and validate the template in a folder or in an archive, with the
/// limits of the environment (`FLOWDESK_*_LIMIT*`; see [`load_template_with`]).
pub fn load_template(path: &Path, options: &LoadOptions) -> Result<TemplateFolder, ServiceError> {
    load_template_with(path, options, &Limits::from_env()?)
}

/// Load and validate the template in a folder or in an archive, and check its
/// files exactly as an install with `limits` would copy them: `template check`
/// refuses what `install` refuses.
///
/// Errors from a template inside an archive name the file by its place in the
/// archive (`x.zip/benchmark.yaml`), not by the scratch folder it was unpacked to,
/// which is gone by the time the message is shown.
pub fn load_template_with(
    path: &Path,
    options: &LoadOptions,
    limits: &Limits,
) -> Result<TemplateFolder, ServiceError> {
    crate::template::set_document_limit(limits.document_bytes);
    let Some(kind) = archive_kind(path).filter(|_| path.is_file()) else {
        let loaded = TemplateFolder::load(path, options)?;
        copy_template_files(&loaded, None, limits)?;
        return Ok(loaded);
    };
    let scratch = scratch_folder();
    let result = std::fs::create_dir_all(&scratch)
        .map_err(|e| io_error(&scratch, e))
        .and_then(|_| extract_archive(path, kind, &scratch, limits))
        .and_then(|folder| {
            let loaded = TemplateFolder::load(&folder, options)
                .map_err(|e| named_in_archive(e.into(), &folder, path))?;
            copy_template_files(&loaded, None, limits)
                .map_err(|e| named_in_archive(e, &folder, path))?;
            Ok(loaded)
        });
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// A fresh folder under the system's temporary folder: checking needs no home
/// folder (the CLI's `template check` runs without one).
fn scratch_folder() -> PathBuf {
    std::env::temp_dir().join(format!("flowdesk-check-{}", new_id(12)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::files::{list_files, write_tar_gz};

    fn samples() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-templates")
    }

    #[test]
    fn folder_and_archive_load_the_same_template() {
        let folder = samples().join("helloworld");
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("helloworld.tar.gz");
        write_tar_gz(&folder, &list_files(&folder, &[]), "helloworld", &archive).unwrap();
        assert!(is_template_archive(&archive));
        assert!(!is_template_archive(&folder));
        let from_folder = load_template(&folder, &LoadOptions::default()).unwrap();
        let from_archive = load_template(&archive, &LoadOptions::default()).unwrap();
        assert_eq!(from_folder.name, from_archive.name);
        assert_eq!(
            from_folder.template.parameters.len(),
            from_archive.template.parameters.len()
        );
        // The scratch folder is gone again.
        assert!(!from_archive.basedir.exists());
    }

    #[test]
    fn errors_in_an_archive_name_the_archive() {
        let folder = samples().join("bad/undeclared-reference");
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("draft.tar.gz");
        write_tar_gz(&folder, &list_files(&folder, &[]), "draft", &archive).unwrap();
        let message = load_template(&archive, &LoadOptions::default())
            .err()
            .unwrap()
            .to_string();
        assert!(message.contains("benchmark.yaml"), "{message}");
        assert!(message.contains("undeclared parameter"), "{message}");
        assert!(!message.contains("flowdesk-check-"), "{message}");
    }
}
