//! Packing a template folder into the archive participants install
//! (`flowdesk template pack`, the workbench's "Pack for participants…"):
//! exactly what the manifest copies, plus the manifest, the template file, the
//! files they include, the instructions and `requirements.txt` — nothing of a
//! coordinator's drafts, notes or solutions. A template with errors is refused,
//! and the archive is loaded again before it is kept, so what it holds installs
//! with the declarations of the folder.

use super::check::load_template_with;
use super::environments::REQUIREMENTS_FILE;
use super::files::{io_error, list_files, write_tar_gz};
use crate::config::Limits;
use crate::error::ServiceError;
use crate::template::include::load_document;
use crate::template::manifest::MANIFEST_FILES;
use crate::template::{LoadOptions, TemplateFolder};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A written archive.
#[derive(Debug, Clone, PartialEq)]
pub struct Packed {
    pub file: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// The files in it, relative to the template folder, sorted.
    pub files: Vec<String>,
}

/// Pack the template folder `folder` into the `.tar.gz` `out`.
pub fn pack_template(
    folder: &Path,
    options: &LoadOptions,
    limits: &Limits,
    out: &Path,
) -> Result<Packed, ServiceError> {
    if !folder.is_dir() {
        return Err(ServiceError::Invalid(format!(
            "`{}` is not a template folder; pack the folder the archive is made from",
            folder.display()
        )));
    }
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if !(name.ends_with(".tar.gz") || name.ends_with(".tgz")) {
        return Err(ServiceError::Invalid(format!(
            "`{}`: the archive must be a .tar.gz (or .tgz) file",
            out.display()
        )));
    }
    let loaded = load_template_with(folder, options, limits)?;
    let mut files = packed_files(&loaded, options)?;
    // An archive written into the folder must not pack an earlier one.
    if let Some(parent) = out.parent().and_then(|p| {
        let p = if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        };
        p.canonicalize().ok()
    }) {
        let own = parent.join(out.file_name().unwrap_or_default());
        files.retain(|f| loaded.basedir.join(f) != own);
    }
    let prefix = loaded
        .basedir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "template".into());
    write_tar_gz(&loaded.basedir, &files, &prefix, out)?;
    // What participants install must be what the coordinator checked.
    let again = load_template_with(out, &LoadOptions::default(), limits).and_then(|packed| {
        if packed.template.parameters == loaded.template.parameters
            && packed.template.results == loaded.template.results
            && packed.name == loaded.name
        {
            Ok(())
        } else {
            Err(ServiceError::Invalid(
                "the packed template declares other parameters or results than the folder".into(),
            ))
        }
    });
    if let Err(e) = again {
        let _ = std::fs::remove_file(out);
        return Err(ServiceError::Invalid(format!(
            "`{}` was not kept: installing it fails: {e}",
            out.display()
        )));
    }
    let size = std::fs::metadata(out).map_err(|e| io_error(out, e))?.len();
    Ok(Packed {
        file: out.to_path_buf(),
        size,
        files,
    })
}

/// The files an install of `loaded` reads or copies.
fn packed_files(
    loaded: &TemplateFolder,
    options: &LoadOptions,
) -> Result<Vec<String>, ServiceError> {
    let base = &loaded.basedir;
    let mut files: Vec<String> = Vec::new();
    let add = |files: &mut Vec<String>, relative: String| {
        if !files.contains(&relative) {
            files.push(relative);
        }
    };
    let manifest = match &options.manifest {
        Some(path) => Some(path.clone()),
        None => MANIFEST_FILES
            .iter()
            .map(|n| base.join(n))
            .find(|p| p.is_file()),
    };
    let manifest_doc = match &manifest {
        Some(path) => Some(load_document(base, path)?),
        None => None,
    };
    if let Some(path) = &manifest {
        add(&mut files, relative_to(base, path)?);
        includes(base, path, &mut files)?;
    }
    if !loaded.spec_name.ends_with("(workflowSpec)") {
        let spec = base.join(&loaded.spec_name);
        add(&mut files, relative_to(base, &spec)?);
        includes(base, &spec, &mut files)?;
    }
    if let Some(Value::String(instructions)) =
        manifest_doc.as_ref().and_then(|d| d.get("instructions"))
    {
        let path = base.join(instructions);
        add(&mut files, relative_to(base, &path)?);
        includes(base, &path, &mut files)?;
    }
    if base.join(REQUIREMENTS_FILE).is_file() {
        add(&mut files, REQUIREMENTS_FILE.to_string());
    }
    match &loaded.files {
        None => {
            for file in list_files(base, &[".git"]) {
                add(&mut files, file);
            }
        }
        Some(copies) => {
            for copy in copies {
                let source = base.join(&copy.source);
                if source.is_file() {
                    add(&mut files, relative_to(base, &source)?);
                } else {
                    let prefix = copy.source.trim_end_matches('/');
                    for file in list_files(&source, &[]) {
                        let joined = if prefix.is_empty() || prefix == "." {
                            file
                        } else {
                            format!("{prefix}/{file}")
                        };
                        add(&mut files, joined);
                    }
                }
            }
        }
    }
    files.sort();
    Ok(files)
}

fn relative_to(base: &Path, path: &Path) -> Result<String, ServiceError> {
    let real = path.canonicalize().map_err(|e| io_error(path, e))?;
    real.strip_prefix(base)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .map_err(|_| {
            ServiceError::UnsafePath(format!(
                "`{}` is outside the template folder; it cannot be packed",
                path.display()
            ))
        })
}

/// Files a YAML document (`!include x.yaml`) or instructions (`{{x.md}}`)
/// include, and what those include, relative to the including file.
fn includes(base: &Path, path: &Path, files: &mut Vec<String>) -> Result<(), ServiceError> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(());
    };
    let dir = path.parent().unwrap_or(base);
    let mut named: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(i) = line.find("!include") {
            let rest = line[i + "!include".len()..].trim();
            let name = rest
                .trim_matches(|c| c == '\'' || c == '"')
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .trim_matches(|c| c == '\'' || c == '"');
            if !name.is_empty() {
                named.push(name.to_string());
            }
        }
    }
    let mut rest = text.as_str();
    while let Some(i) = rest.find("{{") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find("}}") {
            named.push(rest[..end].trim().to_string());
            rest = &rest[end + 2..];
        }
    }
    for name in named {
        let included = dir.join(&name);
        if !included.is_file() {
            continue;
        }
        let relative = relative_to(base, &included)?;
        if !files.contains(&relative) {
            files.push(relative);
            includes(base, &included, files)?;
        }
    }
    Ok(())
}

/// Read a result file a coordinator picked (JSON, or YAML by its name) into
/// a document, refusing files over `limit` bytes.
pub fn read_result_document(path: &Path, limit: Option<u64>) -> Result<Value, ServiceError> {
    let size = std::fs::metadata(path)
        .map_err(|e| io_error(path, e))?
        .len();
    if let Some(limit) = limit.filter(|l| size > *l) {
        return Err(ServiceError::Invalid(format!(
            "`{}` has {size} bytes, more than the result file limit of {limit}",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, e))?;
    let name = path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".yaml") || name.ends_with(".yml") {
        serde_yaml::from_str::<Value>(&text).map_err(|e| {
            ServiceError::Invalid(format!("`{}` is not valid YAML: {e}", path.display()))
        })
    } else {
        serde_json::from_str::<Value>(&text).map_err(|e| {
            ServiceError::Invalid(format!("`{}` is not valid JSON: {e}", path.display()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_what_the_manifest_copies_and_nothing_else() {
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-templates");
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("hello");
        crate::service::files::copy_tree(
            &samples.join("helloworld"),
            &samples.join("helloworld"),
            &folder,
        )
        .unwrap();
        std::fs::write(folder.join("solution-notes.txt"), "secret").unwrap();
        let out = dir.path().join("hello.tar.gz");
        let packed =
            pack_template(&folder, &LoadOptions::default(), &Limits::default(), &out).unwrap();
        assert!(packed.size > 0);
        assert!(
            packed.files.contains(&"flowserv.yaml".to_string()),
            "{:?}",
            packed.files
        );
        assert!(packed.files.contains(&"benchmark.yaml".to_string()));
        assert!(packed.files.contains(&"instructions.md".to_string()));
        assert!(packed.files.contains(&"code/helloworld.py".to_string()));
        assert!(
            !packed.files.iter().any(|f| f.contains("solution")),
            "{:?}",
            packed.files
        );
        let bad = samples.join("bad/undeclared-reference");
        let err = pack_template(
            &bad,
            &LoadOptions::default(),
            &Limits::default(),
            &dir.path().join("bad.tar.gz"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("undeclared parameter"), "{err}");
        assert!(!dir.path().join("bad.tar.gz").exists());
    }
}
