//! Importing run bundles (see `bundle`): the run joins the benchmark installed
//! with the same template, under its submission's name, marked imported. Nothing
//! in the bundle is taken on trust: every file must match the hash
//! `bundle.json` records for it (and nothing unlisted may ride along), paths
//! stay inside the run folder, sizes are bounded, and the result values are
//! computed again from the output files with the installed benchmark's schema.
//! A bundle made with a different template is refused, naming the files that
//! differ, unless forced — then the run is marked "different template".
//!
//! The archive is unpacked into the home's `tmp/` folder (which start-up cleans)
//! and moved into the run folder only once everything checked out, so a refused
//! bundle leaves nothing behind.

use super::bundle::{short, BundleDocument, FileRole, HashingReader, HashingWriter, BUNDLE_FILE};
use super::bundle::{BUNDLE_FORMAT, BUNDLE_VERSION, INPUTS_DIR};
use super::files::io_error;
use super::provenance::{template_files, TEMPLATE_DOCUMENT};
use super::run_folder::{LOG_FILE, META_DIR};
use super::{new_id, Service, ServiceEvent};
use crate::error::ServiceError;
use crate::model::provenance::ImportInfo;
use crate::model::RunState;
use crate::paths::check_relative;
use crate::store::{
    ImportedRun, NewSubmission, RunFile, RunOrigin, RunRecord, SubmissionRecord, TemplateFile,
    WorkflowRecord,
};
use chrono::Utc;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

/// The most entries a bundle may have.
const MAX_ENTRIES: usize = 100_000;
/// The most bytes a bundle may unpack to.
const MAX_BYTES: u64 = 64 * 1024 * 1024 * 1024;
/// The most bytes `bundle.json` may have.
const MAX_DOCUMENT: u64 = 64 * 1024 * 1024;

/// What an import did.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOutcome {
    pub run: RunRecord,
    pub workflow: WorkflowRecord,
    pub submission: SubmissionRecord,
    /// Imported with `force` into a benchmark whose template differs.
    pub different_template: bool,
    /// What differs from the installed template, when it does.
    pub differences: Vec<String>,
    /// A new submission was created for it.
    pub new_submission: bool,
}

impl Service {
    /// Import a run bundle. With `force`, a bundle made with a different
    /// template of an installed benchmark of the same name is imported too.
    pub fn import_bundle(&self, file: &Path, force: bool) -> Result<ImportOutcome, ServiceError> {
        let scratch = self
            .shared
            .config
            .home
            .join("tmp")
            .join(format!("import-{}", new_id(12)));
        // Locked while in use, like an install's scratch folder, so that
        // start-up cleaning tells a live import from a dead one.
        let lock =
            super::lock::RunLock::try_acquire(&scratch).map_err(|e| io_error(&scratch, e))?;
        let result = self.import_unpacked(file, force, &scratch);
        drop(lock);
        let _ = std::fs::remove_dir_all(&scratch);
        result
    }

    fn import_unpacked(
        &self,
        file: &Path,
        force: bool,
        scratch: &Path,
    ) -> Result<ImportOutcome, ServiceError> {
        let unpacked = unpack(file, scratch)?;
        let refused = |message: String| {
            ServiceError::Invalid(format!("bundle `{}` {message}", file.display()))
        };
        let document_path = scratch.join(BUNDLE_FILE);
        let document: BundleDocument = {
            let (_, size) = unpacked.files.get(BUNDLE_FILE).ok_or_else(|| {
                refused(format!(
                    "is not a flowdesk run bundle: it has no {BUNDLE_FILE}"
                ))
            })?;
            if *size > MAX_DOCUMENT {
                return Err(refused(format!(
                    "has a {BUNDLE_FILE} of {size} bytes, more than flowdesk reads"
                )));
            }
            let text =
                std::fs::read_to_string(&document_path).map_err(|e| io_error(&document_path, e))?;
            serde_json::from_str(&text).map_err(|e| {
                refused(format!(
                    "has a {BUNDLE_FILE} that flowdesk cannot read: {e}"
                ))
            })?
        };
        if document.format != BUNDLE_FORMAT {
            return Err(refused(format!(
                "is not a flowdesk run bundle ({BUNDLE_FILE} says format '{}')",
                document.format
            )));
        }
        if document.version > BUNDLE_VERSION {
            return Err(refused(format!(
                "was written by a newer flowdesk (bundle version {}; this one reads up to {BUNDLE_VERSION})",
                document.version
            )));
        }

        // Every file as recorded, and nothing else.
        let mut listed: HashMap<&str, &super::bundle::BundleFile> = HashMap::new();
        for entry in &document.files {
            check_relative(&entry.name, false)
                .map_err(|e| refused(format!("lists `{}`: {e}", entry.name)))?;
            check_relative(&entry.path, false)
                .map_err(|e| refused(format!("lists `{}`: {e}", entry.path)))?;
            match unpacked.files.get(entry.name.as_str()) {
                None => return Err(refused(format!("lacks `{}`, which its {BUNDLE_FILE} lists", entry.name))),
                Some((sha256, size)) if *sha256 != entry.sha256 || *size != entry.size => {
                    return Err(refused(format!(
                        "has been changed: `{}` does not match its recorded sha256 (recorded {}, {} bytes; found {}, {} bytes)",
                        entry.name,
                        short(&entry.sha256),
                        entry.size,
                        short(sha256),
                        size
                    )))
                }
                Some(_) => {}
            }
            if listed.insert(entry.name.as_str(), entry).is_some() {
                return Err(refused(format!("lists `{}` twice", entry.name)));
            }
        }
        if let Some(extra) = unpacked
            .files
            .keys()
            .find(|name| name.as_str() != BUNDLE_FILE && !listed.contains_key(name.as_str()))
        {
            return Err(refused(format!(
                "holds `{extra}`, which its {BUNDLE_FILE} does not list"
            )));
        }

        // The benchmark with this template, else one of the same name.
        let (workflow, differences) = self.benchmark_for(&document, file)?;
        let different_template = !differences.is_empty();
        if different_template && !force {
            return Err(ServiceError::DifferentTemplate {
                bundle: file.to_path_buf(),
                benchmark: workflow.name.clone(),
                differences,
            });
        }
        let store = &self.shared.store;
        if let Some(existing) = store.run_from(&workflow.id, &document.run.id)? {
            return Err(refused(format!(
                "holds run '{}', which is already here as run '{existing}'",
                document.run.id
            )));
        }

        // The results, from the files, with this computer's schema.
        let template = self.template(&workflow)?;
        let outputs = scratch.join("outputs");
        let results = match &template.results {
            Some(schema) => super::results::read_results(
                &outputs,
                schema,
                self.shared.config.limits.result_bytes,
            )
            .map_err(|e| refused(format!("cannot be imported: {e}")))?,
            None => Vec::new(),
        };
        let files: Vec<RunFile> = document
            .files
            .iter()
            .filter(|f| f.role == FileRole::Output)
            .map(|f| RunFile {
                key: f.key.clone().unwrap_or_else(|| f.path.clone()),
                path: f.path.clone(),
                size: f.size,
                sha256: f.sha256.clone(),
            })
            .collect();

        let (submission, new_submission) =
            match store.submission_by_name(&workflow.id, &document.submission)? {
                Some(found) => (found, false),
                None => {
                    let created = store.insert_submission(&NewSubmission {
                        id: new_id(12),
                        workflow_id: workflow.id.clone(),
                        name: document.submission.clone(),
                        parameters: serde_json::Value::Array(Vec::new()),
                        engine_config: None,
                    })?;
                    (created, true)
                }
            };

        let run_id = match store.run(&document.run.id)? {
            None if crate::paths::is_valid_identifier(&document.run.id) => document.run.id.clone(),
            _ => new_id(12),
        };
        let run_dir = self.shared.run_dir(&run_id);
        let moved = (|| {
            std::fs::create_dir_all(run_dir.join(META_DIR)).map_err(|e| io_error(&run_dir, e))?;
            for entry in &document.files {
                let source = scratch.join(&entry.name);
                let target = match entry.role {
                    FileRole::Output | FileRole::Result => run_dir.join(&entry.path),
                    FileRole::Input => run_dir.join(META_DIR).join(INPUTS_DIR).join(&entry.path),
                    FileRole::Log => run_dir.join(META_DIR).join(LOG_FILE),
                };
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
                }
                std::fs::rename(&source, &target).map_err(|e| io_error(&target, e))?;
            }
            let mut provenance = document.provenance.clone();
            provenance.imported = Some(ImportInfo {
                at: Utc::now(),
                run_id: document.run.id.clone(),
                bundle: unpacked.sha256.clone(),
                different_template,
                differences: differences.clone(),
            });
            let provenance = serde_json::to_value(&provenance)
                .map_err(|e| ServiceError::Invalid(format!("provenance: {e}")))?;
            store.import_run(
                &ImportedRun {
                    id: run_id.clone(),
                    workflow_id: workflow.id.clone(),
                    submission_id: Some(submission.id.clone()),
                    state: RunState::Success,
                    arguments: serde_json::Value::Object(document.run.arguments.clone()),
                    created_at: document.run.created_at,
                    started_at: Some(document.run.started_at),
                    finished_at: Some(document.run.finished_at),
                    messages: Vec::new(),
                    files,
                    results,
                },
                &RunOrigin {
                    origin: if different_template {
                        "different-template"
                    } else {
                        "imported"
                    }
                    .into(),
                    origin_run: document.run.id.clone(),
                },
                &provenance,
            )?;
            Ok::<_, ServiceError>(())
        })();
        if let Err(e) = moved {
            let _ = std::fs::remove_dir_all(&run_dir);
            if new_submission {
                let _ = store.delete_submission(&submission.id);
            }
            return Err(e);
        }
        let run = self.run(&run_id)?;
        if let Err(e) = super::ranking::maybe_postprocess(&self.shared, &self.engine, &run_id) {
            self.shared.problem(
                Some(&run_id),
                format!("post-processing after this import could not start: {e}"),
            );
        }
        self.shared.emit(ServiceEvent::RunFinished {
            run_id: run_id.clone(),
            state: RunState::Success,
        });
        Ok(ImportOutcome {
            run,
            workflow,
            submission,
            different_template,
            differences,
            new_submission,
        })
    }

    /// The installed benchmark a bundle belongs to, and what differs between
    /// its template and the bundle's (nothing when the hashes agree).
    fn benchmark_for(
        &self,
        document: &BundleDocument,
        file: &Path,
    ) -> Result<(WorkflowRecord, Vec<String>), ServiceError> {
        let wanted = &document.benchmark;
        // Benchmarks installed before hashes were recorded get theirs now.
        let mut by_name = None;
        for workflow in self.workflows()? {
            let (hash, files) = template_files(&self.shared, &workflow)?;
            if hash == wanted.template_hash {
                return Ok((workflow, Vec::new()));
            }
            if workflow.name == wanted.name {
                by_name = Some((workflow, files));
            }
        }
        let Some((workflow, files)) = by_name else {
            return Err(ServiceError::Invalid(format!(
                "bundle `{}` is a run of '{}' (template {}), and no installed benchmark has that template; install '{}' first",
                file.display(),
                wanted.name,
                short(&wanted.template_hash),
                wanted.name
            )));
        };
        Ok((
            workflow,
            template_differences(&wanted.template_files, &files),
        ))
    }
}

/// What differs between a bundle's template files and an installed
/// template's, in words.
pub fn template_differences(bundle: &[TemplateFile], installed: &[TemplateFile]) -> Vec<String> {
    let name = |path: &str| {
        if path == TEMPLATE_DOCUMENT {
            "the template document (parameters, workflow, results)".to_string()
        } else {
            format!("`{path}`")
        }
    };
    let installed: BTreeMap<&str, &TemplateFile> =
        installed.iter().map(|f| (f.path.as_str(), f)).collect();
    let bundled: BTreeMap<&str, &TemplateFile> =
        bundle.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut differ = Vec::new();
    let mut only_bundle = Vec::new();
    let mut only_here = Vec::new();
    for (path, file) in &bundled {
        match installed.get(path) {
            Some(here) if here.sha256 == file.sha256 => {}
            Some(_) => differ.push(name(path)),
            None => only_bundle.push(name(path)),
        }
    }
    for path in installed.keys() {
        if !bundled.contains_key(path) {
            only_here.push(name(path));
        }
    }
    let mut out = Vec::new();
    if !differ.is_empty() {
        out.push(format!("changed: {}", differ.join(", ")));
    }
    if !only_bundle.is_empty() {
        out.push(format!("only in the bundle: {}", only_bundle.join(", ")));
    }
    if !only_here.is_empty() {
        out.push(format!(
            "only in the installed template: {}",
            only_here.join(", ")
        ));
    }
    if out.is_empty() {
        // Same files, yet another hash: the bundle's own list does not add up.
        out.push("its template hash does not match its template files".into());
    }
    out
}

/// What an archive unpacked to: each file's hash and size by entry name, and
/// the hash of the archive file itself.
struct Unpacked {
    files: HashMap<String, (String, u64)>,
    sha256: String,
}

/// Unpack a `.tar.gz` into `target`, hashing every file as it is written;
/// refuse links, devices, paths that leave `target`, and more entries or bytes
/// than a bundle may have. Errors name the archive and the entry.
fn unpack(archive: &Path, target: &Path) -> Result<Unpacked, ServiceError> {
    let bad = |message: String| ServiceError::BadArchive {
        path: archive.to_path_buf(),
        message,
    };
    let file = std::fs::File::open(archive).map_err(|e| io_error(archive, e))?;
    let mut whole = HashingReader::new(std::io::BufReader::with_capacity(256 * 1024, file));
    let mut files = HashMap::new();
    {
        let gz = flate2::read::MultiGzDecoder::new(&mut whole);
        let mut tar = tar::Archive::new(gz);
        let entries = tar
            .entries()
            .map_err(|e| bad(format!("not a .tar.gz run bundle: {e}")))?;
        let mut total: u64 = 0;
        for entry in entries {
            let mut entry = entry.map_err(|e| bad(format!("not a .tar.gz run bundle: {e}")))?;
            let name = entry
                .path()
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .map_err(|e| bad(format!("an entry has an unreadable name: {e}")))?;
            let kind = entry.header().entry_type();
            if kind.is_dir() {
                continue;
            }
            if !kind.is_file() {
                return Err(bad(format!(
                    "entry '{name}' is not a plain file; bundles hold only files"
                )));
            }
            let relative =
                check_relative(&name, false).map_err(|e| bad(format!("entry '{name}': {e}")))?;
            if files.len() >= MAX_ENTRIES {
                return Err(bad(format!("has more than {MAX_ENTRIES} files")));
            }
            let size = entry
                .header()
                .size()
                .map_err(|e| bad(format!("entry '{name}': {e}")))?;
            total = total.saturating_add(size);
            if total > MAX_BYTES {
                return Err(bad(format!("unpacks to more than {} GiB", MAX_BYTES >> 30)));
            }
            let out = target.join(&relative);
            if let Some(parent) = out.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
            }
            let writer = std::fs::File::create(&out).map_err(|e| io_error(&out, e))?;
            let mut writer =
                HashingWriter::new(std::io::BufWriter::with_capacity(256 * 1024, writer));
            // At most the size the header declares.
            std::io::copy(&mut (&mut entry).take(size), &mut writer)
                .map_err(|e| bad(format!("entry '{name}': {e}")))?;
            let written = writer.bytes;
            let (inner, sha256) = writer.finish();
            inner
                .into_inner()
                .map_err(|e| io_error(&out, e.into_error()))?;
            if files.insert(name.clone(), (sha256, written)).is_some() {
                return Err(bad(format!("holds '{name}' twice")));
            }
        }
    }
    // The rest of the file (gzip trailer, padding) belongs to its hash too.
    std::io::copy(&mut whole, &mut std::io::sink()).map_err(|e| io_error(archive, e))?;
    Ok(Unpacked {
        files,
        sha256: whole.finish(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, sha256: &str) -> TemplateFile {
        TemplateFile {
            path: path.into(),
            size: 1,
            sha256: sha256.into(),
        }
    }

    #[test]
    fn differences_name_the_files() {
        let bundle = [
            file(TEMPLATE_DOCUMENT, "t1"),
            file("a.py", "a"),
            file("b.py", "b"),
        ];
        let here = [
            file(TEMPLATE_DOCUMENT, "t2"),
            file("a.py", "a"),
            file("c.py", "c"),
        ];
        assert_eq!(
            template_differences(&bundle, &here),
            [
                "changed: the template document (parameters, workflow, results)",
                "only in the bundle: `b.py`",
                "only in the installed template: `c.py`"
            ]
        );
    }

    #[test]
    fn archives_with_links_or_escaping_paths_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("evil.tar.gz");
        {
            let file = std::fs::File::create(&archive).unwrap();
            let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
            let mut builder = tar::Builder::new(gz);
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_size(0);
            builder
                .append_link(&mut header, "outputs/link", "/etc/passwd")
                .unwrap();
            builder.into_inner().unwrap().finish().unwrap();
        }
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let err = unpack(&archive, &out).err().unwrap().to_string();
        assert!(err.contains("'outputs/link' is not a plain file"), "{err}");
        assert!(!out.join("outputs/link").exists());
    }
}
