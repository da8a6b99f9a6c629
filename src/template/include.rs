//! Reading template documents: YAML (with `!include other.yaml`, relative to the
//! including file) or JSON, both turned into one JSON value; and instruction files
//! with `{{file.md}}` includes. Included files must stay inside the template folder.

use crate::error::TemplateError;
use crate::paths::join_inside;
use serde_json::{Map, Number, Value};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// How deep includes may nest before we call it a cycle.
const MAX_INCLUDE_DEPTH: usize = 16;

/// Display name of `path` relative to `root`, for messages.
pub fn display_name(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// The largest template document read (manifest, template file, include,
/// instructions), in bytes; `u64::MAX` for no limit. A process-wide setting, like
/// a resource limit: the service sets it from the configuration when it opens.
static DOCUMENT_LIMIT: AtomicU64 = AtomicU64::new(DEFAULT_DOCUMENT_LIMIT);
const DEFAULT_DOCUMENT_LIMIT: u64 = 4 * 1024 * 1024;
/// How deeply `[...]` and `{...}` may nest in a YAML document. The YAML parser
/// takes time quadratic in this nesting before its own limit (128) refuses the
/// document, so deeper documents are refused before it sees them; none that it
/// would accept is refused here.
const MAX_FLOW_DEPTH: usize = 128;

/// Set the largest template document read, in bytes (`None`: no limit).
pub fn set_document_limit(limit: Option<u64>) {
    DOCUMENT_LIMIT.store(limit.unwrap_or(u64::MAX), Ordering::Relaxed);
}

pub(crate) fn read_text(path: &Path) -> Result<String, TemplateError> {
    let io = |source| TemplateError::Io {
        path: path.to_path_buf(),
        source,
    };
    let limit = DOCUMENT_LIMIT.load(Ordering::Relaxed);
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let too_large = |size: u64| TemplateError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit,
    };
    if size > limit {
        return Err(too_large(size));
    }
    let mut text = String::new();
    // One byte past the limit shows a file that grew while it was read.
    file.take(limit.saturating_add(1))
        .read_to_string(&mut text)
        .map_err(io)?;
    if text.len() as u64 > limit {
        return Err(too_large(text.len() as u64));
    }
    Ok(text)
}

/// The deepest nesting of flow collections (`[`, `{`) in YAML text, counting
/// only brackets that open a collection (not those inside quoted or plain
/// scalars such as `$[[name]]`); stops counting once past `stop`.
fn flow_depth(text: &str, stop: usize) -> usize {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut quote: Option<u8> = None;
    // The last character that was not a space: a collection starts after
    // these (or at the start of a line).
    let mut previous = b'\n';
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == q {
                    if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                        i += 1;
                    } else {
                        quote = None;
                        previous = b;
                    }
                } else if q == b'"' && b == b'\\' {
                    i += 1;
                }
            }
            None => match b {
                b'#' if matches!(previous, b'\n' | b' ' | b'\t') || i == 0 => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                    previous = b'\n';
                    continue;
                }
                b'\'' | b'"'
                    if matches!(previous, b'\n' | b':' | b'-' | b'[' | b'{' | b',' | b'?') =>
                {
                    quote = Some(b);
                }
                b'[' | b'{'
                    if matches!(previous, b'\n' | b':' | b'-' | b'[' | b'{' | b',' | b'?') =>
                {
                    depth += 1;
                    deepest = deepest.max(depth);
                    if deepest > stop {
                        return deepest;
                    }
                    previous = b;
                }
                b']' | b'}' if depth > 0 => {
                    depth -= 1;
                    previous = b;
                }
                b' ' | b'\t' | b'\r' => {}
                b'\n' => {
                    // Outside flow collections a line starts afresh.
                    previous = b'\n';
                }
                _ => previous = b,
            },
        }
        i += 1;
    }
    deepest
}

/// Load a YAML or JSON document, resolving `!include` tags. `root` is the folder
/// includes must stay inside.
pub fn load_document(root: &Path, path: &Path) -> Result<Value, TemplateError> {
    load_nested(root, path, 0)
}

fn load_nested(root: &Path, path: &Path, depth: usize) -> Result<Value, TemplateError> {
    let name = display_name(root, path);
    let text = read_text(path)?;
    parse_document(&text, path, &name, root, depth)
}

/// Parse document text; `path` decides the format (`.json` is JSON, all else YAML)
/// and where includes are looked up.
pub fn parse_document(
    text: &str,
    path: &Path,
    name: &str,
    root: &Path,
    depth: usize,
) -> Result<Value, TemplateError> {
    let is_json = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
    if is_json {
        return serde_json::from_str(text)
            .map_err(|e| TemplateError::invalid(name, format!("invalid JSON: {e}")));
    }
    if flow_depth(text, MAX_FLOW_DEPTH) > MAX_FLOW_DEPTH {
        return Err(TemplateError::invalid(
            name,
            format!("invalid YAML: `[` and `{{` nest more than {MAX_FLOW_DEPTH} deep"),
        ));
    }
    let yaml: serde_yaml::Value = serde_yaml::from_str(text)
        .map_err(|e| TemplateError::invalid(name, format!("invalid YAML: {e}")))?;
    let base = path.parent().unwrap_or(root).to_path_buf();
    yaml_to_json(
        yaml,
        &Includes {
            root,
            base,
            name,
            depth,
        },
    )
}

struct Includes<'a> {
    root: &'a Path,
    base: PathBuf,
    name: &'a str,
    depth: usize,
}

fn yaml_to_json(value: serde_yaml::Value, ctx: &Includes<'_>) -> Result<Value, TemplateError> {
    use serde_yaml::Value as Y;
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                Number::from_f64(f)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(super::doc::python_float(f)))
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(|item| yaml_to_json(item, ctx))
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (key, item) in map {
                let key = match key {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    Y::Null => "null".to_string(),
                    _ => {
                        return Err(TemplateError::invalid(
                            ctx.name,
                            "mapping keys must be plain values",
                        ))
                    }
                };
                out.insert(key, yaml_to_json(item, ctx)?);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => {
            if tagged.tag == "include" {
                let Y::String(target) = tagged.value else {
                    return Err(TemplateError::invalid(
                        ctx.name,
                        "!include needs a file name, e.g. `!include parameters.yaml`",
                    ));
                };
                if ctx.depth >= MAX_INCLUDE_DEPTH {
                    return Err(TemplateError::invalid(
                        ctx.name,
                        format!("!include {target}: includes nest too deep (is there a cycle?)"),
                    ));
                }
                let path = join_inside(&ctx.base, &target, false)
                    .map_err(|e| TemplateError::invalid(ctx.name, format!("!include: {e}")))?;
                // The included file must also stay inside the template folder.
                join_inside(ctx.root, &display_name(ctx.root, &path), false).map_err(|_| {
                    TemplateError::invalid(
                        ctx.name,
                        format!("!include: path '{target}' leaves the template folder"),
                    )
                })?;
                if !path.is_file() {
                    return Err(TemplateError::invalid(
                        ctx.name,
                        format!("!include: file '{target}' not found"),
                    ));
                }
                load_nested(ctx.root, &path, ctx.depth + 1)?
            } else {
                yaml_to_json(tagged.value, ctx)?
            }
        }
    })
}

/// Read an instructions file and replace each `{{ file }}` by that file's content
/// (relative to the instructions file), recursively.
pub fn read_instructions(root: &Path, path: &Path) -> Result<String, TemplateError> {
    expand_includes(root, path, 0)
}

fn expand_includes(root: &Path, path: &Path, depth: usize) -> Result<String, TemplateError> {
    let name = display_name(root, path);
    let text = read_text(path)?;
    let base = path.parent().unwrap_or(root);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        let target = rest[start + 2..start + 2 + len].trim();
        out.push_str(&rest[..start]);
        if depth >= MAX_INCLUDE_DEPTH {
            return Err(TemplateError::invalid(
                &name,
                format!("{{{{{target}}}}}: includes nest too deep (is there a cycle?)"),
            ));
        }
        let included = join_inside(base, target, false)
            .map_err(|e| TemplateError::invalid(&name, format!("include {{{{{target}}}}}: {e}")))?;
        if !included.is_file() {
            return Err(TemplateError::invalid(
                &name,
                format!("included file '{target}' not found"),
            ));
        }
        out.push_str(&expand_includes(root, &included, depth + 1)?);
        rest = &rest[start + 2 + len + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::fs;

    #[test]
    fn yaml_include_is_relative_to_the_including_file() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(
            dir.path().join("spec.yaml"),
            "parameters: !include sub/params.yaml\nworkflow: {}\n",
        )
        .unwrap();
        fs::write(dir.path().join("sub/params.yaml"), "- !include one.yaml\n").unwrap();
        fs::write(dir.path().join("sub/one.yaml"), "name: x\ndtype: int\n").unwrap();
        let doc = load_document(dir.path(), &dir.path().join("spec.yaml")).unwrap();
        assert_eq!(
            doc,
            json!({"parameters": [{"name": "x", "dtype": "int"}], "workflow": {}})
        );
    }

    #[test]
    fn include_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("spec.yaml"), "a: !include missing.yaml\n").unwrap();
        let err = load_document(dir.path(), &dir.path().join("spec.yaml"))
            .unwrap_err()
            .to_string();
        assert_eq!(err, "spec.yaml: !include: file 'missing.yaml' not found");
        fs::write(dir.path().join("spec.yaml"), "a: !include ../x.yaml\n").unwrap();
        let err = load_document(dir.path(), &dir.path().join("spec.yaml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("'../x.yaml'"), "{err}");
        fs::write(dir.path().join("spec.yaml"), "a: !include spec.yaml\n").unwrap();
        let err = load_document(dir.path(), &dir.path().join("spec.yaml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("too deep"), "{err}");
        fs::write(dir.path().join("spec.yaml"), "a: [1\n").unwrap();
        let err = load_document(dir.path(), &dir.path().join("spec.yaml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("spec.yaml: invalid YAML"), "{err}");
    }

    #[test]
    fn instructions_include_other_files() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("instructions.md"),
            "# Title\n{{ details.md }}\nend\n",
        )
        .unwrap();
        fs::write(dir.path().join("details.md"), "Details {{more.md}}").unwrap();
        fs::write(dir.path().join("more.md"), "here").unwrap();
        let text = read_instructions(dir.path(), &dir.path().join("instructions.md")).unwrap();
        assert_eq!(text, "# Title\nDetails here\nend\n");
        fs::write(dir.path().join("instructions.md"), "{{nothere.md}}").unwrap();
        let err = read_instructions(dir.path(), &dir.path().join("instructions.md")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "instructions.md: included file 'nothere.md' not found"
        );
    }
}
