//! Portable run bundles: one `.tar.gz` that carries a successful run to another
//! computer — `bundle.json` (what it is: benchmark and template hash,
//! submission, arguments, result values, every file with its hash, the
//! provenance), the input files its arguments brought in, its output files and
//! its log. Files are streamed into the archive and hashed on the way, so a file
//! that changed since the run ended is caught instead of shipped.
//!
//! Layout inside the archive: `bundle.json`, `outputs/<path in the run folder>`,
//! `inputs/<target path>`, `log.txt`. Template files are not included: the
//! importing computer has the benchmark installed, and the template hash says
//! whether it is the same one.

use super::files::{hex, io_error};
use super::gzip::{self, GzWriter};
use super::provenance::{provenance_of, template_files};
use super::run_folder::{LOG_FILE, META_DIR};
use super::{new_id, Service};
use crate::error::ServiceError;
use crate::model::provenance::Provenance;
use crate::model::RunState;
use crate::store::TemplateFile;
use chrono::{DateTime, Utc};
use flate2::Compression;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Where an imported run keeps the input files of its bundle (in its
/// `.flowdesk` folder), so that it can be reproduced and bundled again.
pub const INPUTS_DIR: &str = "inputs";

/// The description inside every bundle.
pub const BUNDLE_FILE: &str = "bundle.json";
/// `format` of [`BundleDocument`].
pub const BUNDLE_FORMAT: &str = "flowdesk run bundle";
pub const BUNDLE_VERSION: u32 = 1;

/// `bundle.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleDocument {
    pub format: String,
    pub version: u32,
    pub created_at: DateTime<Utc>,
    /// The flowdesk that wrote it.
    pub flowdesk: String,
    pub benchmark: BundleBenchmark,
    /// The submission's name (ids differ between computers).
    pub submission: String,
    pub run: BundleRun,
    /// The result values as the run stored them. For reading only: an import
    /// computes them again from the output files.
    pub results: Map<String, Value>,
    pub files: Vec<BundleFile>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleBenchmark {
    pub name: String,
    pub id: String,
    pub template_hash: String,
    /// Every template file (and the template document) with its hash, to tell
    /// which differ from an installed template.
    pub template_files: Vec<TemplateFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleRun {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub arguments: Map<String, Value>,
}

/// What a file of the bundle is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileRole {
    /// An output file of the run (one of its run files, under `key`).
    Output,
    /// The result file, when it is not one of the run files.
    Result,
    /// A file an argument brought in.
    Input,
    Log,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleFile {
    pub role: FileRole,
    /// Where it is in the archive.
    pub name: String,
    /// Where it goes in the run folder (outputs, the result file, inputs).
    pub path: String,
    /// The run file's key (outputs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub sha256: String,
    pub size: u64,
}

/// What `bundle` wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct BundleSummary {
    pub file: PathBuf,
    pub files: usize,
    /// Bytes of the files before compression.
    pub bytes: u64,
}

/// A file to pack: where it is now, and its entry.
struct Packed {
    source: PathBuf,
    entry: BundleFile,
}

impl Service {
    /// Write the bundle of a successful run to `out` (replaced only once the
    /// new one is complete).
    pub fn export_bundle(&self, run_key: &str, out: &Path) -> Result<BundleSummary, ServiceError> {
        let run = self.run(run_key)?;
        if run.state != RunState::Success {
            return Err(ServiceError::Invalid(format!(
                "run '{}' ended in {}: only a successful run has results to bundle",
                run.id, run.state
            )));
        }
        let submission_id = run.submission_id.clone().ok_or_else(|| {
            ServiceError::Invalid(format!(
                "run '{}' is a post-processing run; bundles are made of submission runs",
                run.id
            ))
        })?;
        let store = &self.shared.store;
        let workflow = self.workflow(&run.workflow_id)?;
        let template = self.template(&workflow)?;
        let submission = self.submission(&submission_id, Some(&workflow))?;
        let provenance = provenance_of(&self.shared, &run.id)?.ok_or_else(|| {
            ServiceError::Invalid(format!(
                "run '{}' has no recorded provenance (it was made by an older flowdesk), so it cannot be bundled",
                run.id
            ))
        })?;
        let (template_hash, template_files) = template_files(&self.shared, &workflow)?;
        let run_dir = self.shared.run_dir(&run.id);

        let mut packed: Vec<Packed> = Vec::new();
        let run_files = store.run_files(&run.id)?;
        for file in &run_files {
            packed.push(Packed {
                source: crate::paths::join_inside(&run_dir, &file.path, false)
                    .map_err(|e| ServiceError::UnsafePath(e.to_string()))?,
                entry: BundleFile {
                    role: FileRole::Output,
                    name: format!("outputs/{}", file.path),
                    path: file.path.clone(),
                    key: Some(file.key.clone()),
                    sha256: file.sha256.clone(),
                    size: file.size,
                },
            });
        }
        if let Some(schema) = &template.results {
            let listed = run_files.iter().any(|f| f.path == schema.file);
            let source = run_dir.join(&schema.file);
            if !listed && source.is_file() {
                let (sha256, size) = super::files::sha256_file(&source)?;
                packed.push(Packed {
                    source,
                    entry: BundleFile {
                        role: FileRole::Result,
                        name: format!("outputs/{}", schema.file),
                        path: schema.file.clone(),
                        key: None,
                        sha256,
                        size,
                    },
                });
            }
        }
        for input in provenance.inputs.iter().filter(|i| i.source != "template") {
            let source = self.input_file(&run.id, input).ok_or_else(|| {
                ServiceError::Invalid(format!(
                    "input '{}' of run '{}' (`{}`, sha256 {}) is no longer on this computer in that version, so the run cannot be bundled",
                    input.parameter.as_deref().unwrap_or(&input.path),
                    run.id,
                    input.path,
                    short(&input.sha256)
                ))
            })?;
            packed.push(Packed {
                source,
                entry: BundleFile {
                    role: FileRole::Input,
                    name: format!("inputs/{}", input.path),
                    path: input.path.clone(),
                    key: None,
                    sha256: input.sha256.clone(),
                    size: input.size,
                },
            });
        }
        let log = run_dir.join(META_DIR).join(LOG_FILE);
        if log.is_file() {
            // The log is not hashed when the run ends; it is now.
            let (sha256, size) = super::files::sha256_file(&log)?;
            packed.push(Packed {
                source: log,
                entry: BundleFile {
                    role: FileRole::Log,
                    name: "log.txt".into(),
                    path: format!("{META_DIR}/{LOG_FILE}"),
                    key: None,
                    sha256,
                    size,
                },
            });
        }

        let results = store
            .run_results(&run.id)?
            .into_iter()
            .map(|(name, value)| {
                let value = match value {
                    Some(crate::template::ResultValue::Int(i)) => Value::from(i),
                    Some(crate::template::ResultValue::Float(f)) => Value::from(f),
                    Some(crate::template::ResultValue::String(s)) => Value::from(s),
                    None => Value::Null,
                };
                (name, value)
            })
            .collect();
        let document = BundleDocument {
            format: BUNDLE_FORMAT.into(),
            version: BUNDLE_VERSION,
            created_at: Utc::now(),
            flowdesk: env!("CARGO_PKG_VERSION").into(),
            benchmark: BundleBenchmark {
                name: workflow.name.clone(),
                id: workflow.id.clone(),
                template_hash,
                template_files,
            },
            submission: submission.name.clone(),
            run: BundleRun {
                id: run.id.clone(),
                created_at: run.created_at,
                started_at: run.started_at.unwrap_or(run.created_at),
                finished_at: run.finished_at.unwrap_or(run.created_at),
                arguments: match &run.arguments {
                    Value::Object(map) => map.clone(),
                    _ => Map::new(),
                },
            },
            results,
            files: packed.iter().map(|p| p.entry.clone()).collect(),
            provenance,
        };
        let bytes = packed.iter().map(|p| p.entry.size).sum();
        write_bundle(&document, &packed, out)?;
        Ok(BundleSummary {
            file: out.to_path_buf(),
            files: packed.len(),
            bytes,
        })
    }

    /// Where an input of a run is now in the version the run used: the copy an
    /// import kept, the upload, the local file, the run folder's copy.
    pub(crate) fn input_file(
        &self,
        run_id: &str,
        input: &crate::model::provenance::InputFile,
    ) -> Option<PathBuf> {
        let run_dir = self.shared.run_dir(run_id);
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Ok(kept) =
            crate::paths::join_inside(&run_dir.join(META_DIR).join(INPUTS_DIR), &input.path, false)
        {
            candidates.push(kept);
        }
        match (input.source.as_str(), &input.origin) {
            ("upload", Some(id)) => {
                if let Ok(Some(upload)) = self.shared.store.upload(id) {
                    candidates.push(self.shared.config.home.join(upload.path));
                }
            }
            ("file", Some(path)) => candidates.push(PathBuf::from(path)),
            _ => {}
        }
        if let Ok(copy) = crate::paths::join_inside(&run_dir, &input.path, false) {
            candidates.push(copy);
        }
        candidates.into_iter().find(|candidate| {
            candidate.is_file()
                && super::files::sha256_file(candidate)
                    .is_ok_and(|(sha256, size)| sha256 == input.sha256 && size == input.size)
        })
    }
}

/// The first 12 hex digits of a hash, for messages.
pub(crate) fn short(sha256: &str) -> &str {
    &sha256[..sha256.len().min(12)]
}

/// Write the archive next to `out`, then rename it into place.
fn write_bundle(
    document: &BundleDocument,
    packed: &[Packed],
    out: &Path,
) -> Result<(), ServiceError> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle.tar.gz".into());
    let tmp = out.with_file_name(format!(".{name}.{}.partial", new_id(6)));
    let result = (|| {
        let file = std::fs::File::create(&tmp).map_err(|e| io_error(out, e))?;
        // Fast deflate for what compresses, stored as it is for what does
        // not (images, models, random data): the bundle is for carrying, not
        // for archiving.
        let encoder = GzWriter::new(
            std::io::BufWriter::with_capacity(256 * 1024, file),
            Compression::fast(),
        )
        .map_err(|e| io_error(out, e))?;
        let mut builder = tar::Builder::new(encoder);
        let json = serde_json::to_vec_pretty(document)
            .map_err(|e| ServiceError::Invalid(format!("bundle.json: {e}")))?;
        let mut header = entry_header(json.len() as u64);
        builder
            .append_data(&mut header, BUNDLE_FILE, json.as_slice())
            .map_err(|e| io_error(out, e))?;
        for file in packed {
            let mut source =
                std::fs::File::open(&file.source).map_err(|e| io_error(&file.source, e))?;
            let size = source
                .metadata()
                .map_err(|e| io_error(&file.source, e))?
                .len();
            if size != file.entry.size {
                return Err(changed(&file.entry, &file.source));
            }
            let mut sample = Vec::with_capacity(gzip::SAMPLE);
            (&mut source)
                .take(gzip::SAMPLE as u64)
                .read_to_end(&mut sample)
                .map_err(|e| io_error(&file.source, e))?;
            let level = if gzip::compresses(&sample) {
                Compression::fast()
            } else {
                Compression::none()
            };
            builder
                .get_mut()
                .set_level(level)
                .map_err(|e| io_error(out, e))?;
            let mut reader = HashingReader::new(std::io::Cursor::new(sample).chain(source));
            let mut header = entry_header(size);
            builder
                .append_data(&mut header, &file.entry.name, &mut reader)
                .map_err(|e| io_error(&file.source, e))?;
            if reader.finish() != file.entry.sha256 {
                return Err(changed(&file.entry, &file.source));
            }
        }
        let encoder = builder.into_inner().map_err(|e| io_error(out, e))?;
        let writer = encoder.finish().map_err(|e| io_error(out, e))?;
        let file = writer
            .into_inner()
            .map_err(|e| io_error(out, e.into_error()))?;
        file.sync_all().map_err(|e| io_error(out, e))?;
        std::fs::rename(&tmp, out).map_err(|e| io_error(out, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn changed(entry: &BundleFile, source: &Path) -> ServiceError {
    ServiceError::Invalid(format!(
        "`{}` changed since the run recorded it (sha256 {}), so it cannot be bundled",
        source.display(),
        short(&entry.sha256)
    ))
}

/// A plain file entry: same mode and time for every bundle, so only content
/// and names make bundles differ.
fn entry_header(size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mtime(0);
    header
}

/// Reads through, hashing what it reads.
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    pub(crate) bytes: u64,
}

impl<R: Read> HashingReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The hash of everything read, as lowercase hex.
    pub(crate) fn finish(self) -> String {
        hex(&self.hasher.finalize())
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buffer)?;
        self.hasher.update(&buffer[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Writes through, hashing what it writes.
pub(crate) struct HashingWriter<W> {
    pub(crate) inner: W,
    hasher: Sha256,
    pub(crate) bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    pub(crate) fn finish(self) -> (W, String) {
        (self.inner, hex(&self.hasher.finalize()))
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buffer: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buffer)?;
        self.hasher.update(&buffer[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
