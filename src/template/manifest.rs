//! The project manifest (`flowserv.json`, `flowserv.yaml`, `flowserv.yml`, looked
//! up in that order): name, description, instructions, the files to copy and the
//! template (`specfile` or inline `workflowSpec`). Every field can be overridden by
//! the caller. Follows `flowserv.model.workflow.manifest`, with one extension: a
//! folder without a manifest loads when a spec file is given, so coordinators can
//! preview a template before they write one.

use super::doc::Element;
use super::include::{display_name, load_document, read_instructions};
use super::spec::Template;
use crate::error::TemplateError;
use crate::paths::{check_name, check_relative, join_inside};
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Manifest file names, in lookup order.
pub const MANIFEST_FILES: [&str; 3] = ["flowserv.json", "flowserv.yaml", "flowserv.yml"];

/// Spec file names tried when a manifest names none.
const DEFAULT_SPEC_FILES: [&str; 4] = [
    "benchmark.yaml",
    "benchmark.yml",
    "benchmark.json",
    "workflow.yaml",
];

/// Caller overrides for the manifest (command-line options, install dialog).
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub manifest: Option<PathBuf>,
    pub specfile: Option<PathBuf>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub instructions: Option<PathBuf>,
}

/// A `files` entry: copy `source` (file or folder) to `target` in the workflow's
/// static folder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopySpec {
    pub source: String,
    pub target: String,
}

/// A loaded template folder: metadata plus the validated template.
#[derive(Debug, Clone)]
pub struct TemplateFolder {
    pub basedir: PathBuf,
    pub name: String,
    pub description: Option<String>,
    /// Instruction text with includes resolved.
    pub instructions: Option<String>,
    /// Files to copy; `None` means the whole folder.
    pub files: Option<Vec<CopySpec>>,
    /// The file the template came from, relative to `basedir` (or the manifest for
    /// an inline `workflowSpec`).
    pub spec_name: String,
    pub template: Template,
    /// What flowServ accepts but is probably a mistake (a `files` source that
    /// does not exist, a step input nothing provides): shown by `template
    /// check` and at install, never a reason to refuse the template.
    pub warnings: Vec<String>,
}

impl TemplateFolder {
    /// Load and validate the template in `basedir`.
    pub fn load(basedir: &Path, options: &LoadOptions) -> Result<TemplateFolder, TemplateError> {
        if !basedir.is_dir() {
            return Err(TemplateError::Io {
                path: basedir.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a folder"),
            });
        }
        let basedir = basedir.canonicalize().map_err(|source| TemplateError::Io {
            path: basedir.to_path_buf(),
            source,
        })?;
        let manifest_path = match &options.manifest {
            Some(path) => Some(user_file(&basedir, path)),
            None => MANIFEST_FILES
                .iter()
                .map(|name| basedir.join(name))
                .find(|path| path.is_file()),
        };
        let manifest_doc = match &manifest_path {
            Some(path) => Some((load_document(&basedir, path)?, display_name(&basedir, path))),
            None => None,
        };

        let mut name = options.name.clone();
        let mut description = options.description.clone();
        let mut instructions = None;
        let mut files = None;
        let mut spec: Option<(Value, String, PathBuf)> = None;
        let mut warnings: Vec<String> = Vec::new();

        if let Some((doc, manifest_name)) = &manifest_doc {
            let fail = |m: String| TemplateError::invalid(manifest_name.clone(), m);
            let manifest = Element::new(doc, "manifest").map_err(fail)?;
            if name.is_none() {
                name = manifest.string(&["name"]).map_err(fail)?;
            }
            if description.is_none() {
                description = manifest.string(&["description"]).map_err(fail)?;
            }
            if options.instructions.is_none() {
                if let Some(file) = manifest.string(&["instructions"]).map_err(fail)? {
                    let path = join_inside(&basedir, &file, false)
                        .map_err(|e| fail(format!("instructions: {e}")))?;
                    if !path.is_file() {
                        return Err(fail(format!("instructions file '{file}' not found")));
                    }
                    instructions = Some(read_instructions(&basedir, &path)?);
                }
            }
            if let Some(items) = manifest.list(&["files"]).map_err(fail)? {
                let mut copies = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let entry = Element::new(item, format!("files[{i}]")).map_err(fail)?;
                    let source = entry.required_string(&["source"]).map_err(fail)?;
                    // flowserv-core 0.9.4 copies to `target = source` when no
                    // target is given (the user guide's "empty string" default
                    // describes an older release).
                    let target = entry
                        .string(&["target"])
                        .map_err(fail)?
                        .unwrap_or_else(|| source.clone());
                    let source_path = join_inside(&basedir, &source, true)
                        .map_err(|e| fail(format!("files[{i}].source: {e}")))?;
                    check_relative(&target, true)
                        .map_err(|e| fail(format!("files[{i}].target: {e}")))?;
                    if !source_path.exists() {
                        // flowServ copies nothing for it and installs anyway.
                        warnings.push(format!(
                            "{manifest_name}: files[{i}].source: '{source}' does not exist; nothing is copied for it"
                        ));
                        continue;
                    }
                    copies.push(CopySpec { source, target });
                }
                files = Some(copies);
            }
            let specfile = manifest.string(&["specfile", "specFile"]).map_err(fail)?;
            let inline = manifest.get(&["workflowSpec", "workflow_spec"]);
            if options.specfile.is_none() {
                match (specfile, inline) {
                    (Some(_), Some(_)) => {
                        return Err(fail(
                            "the manifest has both 'specfile' and 'workflowSpec'; keep one of them"
                                .to_string(),
                        ))
                    }
                    (Some(file), None) => {
                        let path = join_inside(&basedir, &file, false)
                            .map_err(|e| fail(format!("specfile: {e}")))?;
                        if !path.is_file() {
                            return Err(fail(format!("specfile '{file}' not found")));
                        }
                        spec = Some((
                            load_document(&basedir, &path)?,
                            display_name(&basedir, &path),
                            path,
                        ));
                    }
                    (None, Some(inline)) => {
                        spec = Some((
                            inline.clone(),
                            format!("{manifest_name} (workflowSpec)"),
                            manifest_path.clone().unwrap_or_default(),
                        ));
                    }
                    (None, None) => {}
                }
            }
        }
        if let Some(path) = &options.instructions {
            let path = user_file(&basedir, path);
            instructions = Some(read_instructions(&basedir, &path)?);
        }
        if let Some(path) = &options.specfile {
            let path = user_file(&basedir, path);
            if !path.is_file() {
                return Err(TemplateError::Io {
                    source: std::io::Error::new(std::io::ErrorKind::NotFound, "file not found"),
                    path,
                });
            }
            spec = Some((
                load_document(&basedir, &path)?,
                display_name(&basedir, &path),
                path,
            ));
        }
        let (document, spec_name, spec_path) = match spec {
            Some(spec) => spec,
            None => {
                let Some((_, manifest_name)) = &manifest_doc else {
                    return Err(TemplateError::NoManifest { folder: basedir });
                };
                let path = DEFAULT_SPEC_FILES
                    .iter()
                    .map(|name| basedir.join(name))
                    .find(|path| path.is_file())
                    .ok_or_else(|| {
                        TemplateError::invalid(
                            manifest_name.clone(),
                            "the manifest names no template: add 'specfile' or 'workflowSpec'",
                        )
                    })?;
                (
                    load_document(&basedir, &path)?,
                    display_name(&basedir, &path),
                    path,
                )
            }
        };
        let template = Template::from_value(document, &spec_name)?;
        let name = match name {
            Some(name) => name,
            None => spec_path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_else(|| "template".to_string()),
        };
        let name_source = manifest_doc
            .as_ref()
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| spec_name.clone());
        check_name(&name).map_err(|e| TemplateError::invalid(name_source, e))?;
        warnings.extend(template.warnings.iter().cloned());
        Ok(TemplateFolder {
            basedir,
            name,
            description,
            instructions,
            files,
            spec_name,
            template,
            warnings,
        })
    }
}

/// A file named by the user: absolute, relative to the working directory, or else
/// relative to the template folder (as `getfile` of the reference).
fn user_file(basedir: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() || path.exists() {
        path.to_path_buf()
    } else {
        basedir.join(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn samples() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-templates")
    }

    #[test]
    fn manifest_lookup_order_and_overrides() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("spec.yaml"),
            "workflow:\n  steps:\n    - action: {commands: ['true']}\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("flowserv.yml"),
            "name: from yml\nspecfile: spec.yaml\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("flowserv.yaml"),
            "name: from yaml\nspecfile: spec.yaml\n",
        )
        .unwrap();
        let loaded = TemplateFolder::load(dir.path(), &LoadOptions::default()).unwrap();
        assert_eq!(loaded.name, "from yaml");
        fs::write(
            dir.path().join("flowserv.json"),
            r#"{"name": "from json", "specfile": "spec.yaml", "description": "d"}"#,
        )
        .unwrap();
        let loaded = TemplateFolder::load(dir.path(), &LoadOptions::default()).unwrap();
        assert_eq!(loaded.name, "from json");
        assert_eq!(loaded.description.as_deref(), Some("d"));
        assert!(loaded.files.is_none());
        let options = LoadOptions {
            name: Some("Mine".into()),
            description: Some("other".into()),
            ..LoadOptions::default()
        };
        let loaded = TemplateFolder::load(dir.path(), &options).unwrap();
        assert_eq!(
            (loaded.name.as_str(), loaded.description.as_deref()),
            ("Mine", Some("other"))
        );
        let long = LoadOptions {
            name: Some("n".repeat(513)),
            ..LoadOptions::default()
        };
        let err = TemplateFolder::load(dir.path(), &long)
            .unwrap_err()
            .to_string();
        assert!(err.contains("at most 512"), "{err}");
    }

    #[test]
    fn includes_sample_resolves_yaml_and_markdown_includes() {
        let loaded =
            TemplateFolder::load(&samples().join("features/include"), &LoadOptions::default())
                .unwrap();
        assert!(loaded.template.parameters.len() >= 2);
        let instructions = loaded.instructions.unwrap();
        assert!(!instructions.contains("{{"), "{instructions}");
    }

    #[test]
    fn manifest_files_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("spec.yaml"),
            "workflow:\n  steps:\n    - action: {commands: ['true']}\n",
        )
        .unwrap();
        fs::create_dir(dir.path().join("code")).unwrap();
        fs::write(dir.path().join("flowserv.yaml"), "name: x\nspecfile: spec.yaml\nfiles:\n  - source: code\n    target: code\n  - source: spec.yaml\n").unwrap();
        let loaded = TemplateFolder::load(dir.path(), &LoadOptions::default()).unwrap();
        assert_eq!(
            loaded.files.unwrap(),
            vec![
                CopySpec {
                    source: "code".into(),
                    target: "code".into()
                },
                CopySpec {
                    source: "spec.yaml".into(),
                    target: "spec.yaml".into()
                }
            ]
        );
        fs::write(
            dir.path().join("flowserv.yaml"),
            "name: x\nspecfile: spec.yaml\nfiles:\n  - source: code\n    target: /abs\n",
        )
        .unwrap();
        let err = TemplateFolder::load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(err, "flowserv.yaml: files[0].target: path '/abs' is absolute; use a path relative to the template folder");
        fs::write(
            dir.path().join("flowserv.yaml"),
            "name: x\nspecfile: spec.yaml\nfiles:\n  - source: nothere\n",
        )
        .unwrap();
        let loaded = TemplateFolder::load(dir.path(), &LoadOptions::default()).unwrap();
        assert_eq!(loaded.files, Some(vec![]));
        assert_eq!(
            loaded.warnings,
            vec!["flowserv.yaml: files[0].source: 'nothere' does not exist; nothing is copied for it"]
        );
        fs::write(
            dir.path().join("flowserv.yaml"),
            "name: x\nspecfile: ../spec.yaml\n",
        )
        .unwrap();
        let err = TemplateFolder::load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("specfile: path '../spec.yaml'"), "{err}");
        fs::write(
            dir.path().join("flowserv.yaml"),
            "name: x\ninstructions: missing.md\nspecfile: spec.yaml\n",
        )
        .unwrap();
        let err = TemplateFolder::load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("instructions file 'missing.md' not found"),
            "{err}"
        );
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        fs::write(
            dir.path().join("flowserv.yaml"),
            "name: x\nspecfile: spec.yaml\nfiles:\n  - source: link\n",
        )
        .unwrap();
        let err = TemplateFolder::load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("through a link"), "{err}");
    }
}
