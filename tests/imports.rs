//! The import check: the layering of `src/` as a test. It reads every source
//! file, resolves the paths it names (`use` trees and `crate::`/`super::`/
//! `self::` paths in code) to the files that define them, and checks:
//!
//! - no import circles between files (a module's root file — `mod.rs`,
//!   `lib.rs` — is its interface: its children may use what it defines and it
//!   may re-export or call them; every other circle is an error);
//! - only the backends (`service/`, and `remote/` for its offline cache) import
//!   `store`, the one place with SQL;
//! - the faces (`gui/`, `cli/`) reach the core only through `client`: they
//!   import neither `service`, `store`, `engine` nor `workflow`, use the
//!   template module only for its domain types (no loaders), and start no
//!   processes;
//! - every source file opens with a `//!` comment saying what it is for.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A source file and the module path it defines.
struct SourceFile {
    /// Relative to `src/`, with `/`.
    name: String,
    module: Vec<String>,
    /// Whether the file is a module root (`mod.rs`, `lib.rs`, `main.rs`).
    root: bool,
    text: String,
}

fn source_files() -> Vec<SourceFile> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|path: PathBuf| {
            let name = path
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let mut module: Vec<String> = name
                .trim_end_matches(".rs")
                .split('/')
                .map(str::to_string)
                .collect();
            let last = module.last().cloned().unwrap_or_default();
            let root = matches!(last.as_str(), "mod" | "lib" | "main");
            if root {
                module.pop();
            }
            SourceFile {
                text: std::fs::read_to_string(&path).unwrap(),
                name,
                module,
                root,
            }
        })
        .collect()
}

/// The code without comments and string literals (so paths in docs and
/// messages do not count), and without `#[cfg(test)]` modules (tests may
/// reach anywhere).
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            i += end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(rest.len(), |e| e + 2);
            i += end;
        } else if rest.starts_with("r#\"") || rest.starts_with("r\"") {
            let hashes = rest[1..].chars().take_while(|&c| c == '#').count();
            let close = format!("\"{}", "#".repeat(hashes));
            let start = 2 + hashes;
            let end = rest[start..]
                .find(&close)
                .map_or(rest.len(), |e| start + e + close.len());
            out.push_str("\"\"");
            i += end;
        } else if rest.starts_with('"') {
            let mut j = 1;
            let b = rest.as_bytes();
            while j < b.len() && b[j] != b'"' {
                if b[j] == b'\\' {
                    j += 1;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i += (j + 1).min(rest.len());
        } else if rest.starts_with("'") && rest.len() > 3 && rest.as_bytes()[2] == b'\'' {
            // A char literal such as '"'.
            out.push_str("' '");
            i += 3;
        } else if let Some(escaped) = rest.strip_prefix("'\\") {
            let end = escaped.find('\'').map_or(rest.len(), |e| e + 3);
            out.push_str("' '");
            i += end;
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Every path a `use` item names, expanded (`a::{b, c::d}` → `a::b`, `a::c::d`).
fn use_paths(code: &str) -> Vec<(Vec<String>, bool)> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = find_keyword(rest, "use ") {
        let is_pub = rest[..at].trim_end().ends_with("pub")
            || rest[..at].trim_end().ends_with(')') && rest[..at].contains("pub(");
        let after = &rest[at + 4..];
        let end = after.find(';').unwrap_or(after.len());
        let tree: String = after[..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace(" as ", "@")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        for path in expand(&tree) {
            out.push((path, is_pub));
        }
        rest = &after[end..];
    }
    out
}

fn find_keyword(text: &str, keyword: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = text[from..].find(keyword) {
        let at = from + found;
        let before = text[..at].chars().last();
        if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
            return Some(at);
        }
        from = at + keyword.len();
    }
    None
}

fn expand(tree: &str) -> Vec<Vec<String>> {
    let Some(open) = tree.find('{') else {
        let path = tree.split('@').next().unwrap_or(tree);
        return vec![path
            .split("::")
            .filter(|s| !s.is_empty() && *s != "*")
            .map(str::to_string)
            .collect()];
    };
    let prefix: Vec<String> = tree[..open]
        .split("::")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    let mut out = Vec::new();
    for part in parts.into_iter().filter(|p| !p.is_empty()) {
        for mut tail in expand(part) {
            if tail.first().is_some_and(|s| s == "self") {
                tail.remove(0);
            }
            let mut path = prefix.clone();
            path.append(&mut tail);
            out.push(path);
        }
    }
    out
}

/// The code without its `use` items.
fn without_uses(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = find_keyword(rest, "use ") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let end = after.find(';').map_or(after.len(), |e| e + 1);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// `crate::…`, `super::…` and `self::…` paths written in code (outside `use`).
fn code_paths(code: &str) -> Vec<Vec<String>> {
    let code = &without_uses(code);
    let mut out = Vec::new();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(found) = code[from..].find(start) {
            let at = from + found;
            from = at + start.len();
            let before = code[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: String = code[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            out.push(
                path.split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            );
        }
    }
    out
}

/// The absolute module path a path of `file` names.
fn absolute(file: &SourceFile, path: &[String]) -> Option<Vec<String>> {
    let mut base: Vec<String> = match path.first().map(String::as_str) {
        Some("crate") => Vec::new(),
        Some("self") => file.module.clone(),
        Some("super") => {
            let mut m = file.module.clone();
            m.pop()?;
            m
        }
        _ => return None,
    };
    let mut rest = &path[1..];
    while rest.first().is_some_and(|s| s == "super") {
        base.pop()?;
        rest = &rest[1..];
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

struct Project {
    files: Vec<SourceFile>,
    /// Module path → index of the file defining it.
    modules: BTreeMap<Vec<String>, usize>,
}

impl Project {
    fn load() -> Project {
        let files = source_files();
        let modules = files
            .iter()
            .enumerate()
            .filter(|(_, f)| f.name != "main.rs")
            .map(|(i, f)| (f.module.clone(), i))
            .collect();
        Project { files, modules }
    }

    /// The file that defines what `path` names: its longest module prefix.
    fn resolve(&self, path: &[String]) -> Option<usize> {
        (0..=path.len())
            .rev()
            .find_map(|n| self.modules.get(&path[..n]).copied())
    }

    /// Edges: file → (file it uses, the path, whether through `pub use`).
    fn edges(&self) -> Vec<(usize, usize, String, bool)> {
        let mut edges = Vec::new();
        for (i, file) in self.files.iter().enumerate() {
            let code = code_of(&file.text);
            let mut paths: Vec<(Vec<String>, bool)> = use_paths(&code);
            paths.extend(code_paths(&code).into_iter().map(|p| (p, false)));
            for (path, is_pub) in paths {
                let Some(target) = absolute(file, &path) else {
                    continue;
                };
                if let Some(j) = self.resolve(&target) {
                    if j != i {
                        edges.push((i, j, target.join("::"), is_pub));
                    }
                }
            }
        }
        edges
    }
}

/// Whether `a` lies inside the module whose root file is `root`.
fn inside(a: &SourceFile, root: &SourceFile) -> bool {
    root.root && a.module.len() > root.module.len() && a.module.starts_with(&root.module)
}

#[test]
fn there_are_no_import_circles_between_files() {
    let project = Project::load();
    let mut graph: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for (from, to, _, _) in project.edges() {
        let (a, b) = (&project.files[from], &project.files[to]);
        // A module root and its own files are one unit: children use the root's
        // items, the root re-exports and calls its children.
        if inside(a, b) || inside(b, a) {
            continue;
        }
        graph.entry(from).or_default().insert(to);
    }
    // Tarjan's strongly connected components.
    struct State {
        index: usize,
        indices: BTreeMap<usize, usize>,
        low: BTreeMap<usize, usize>,
        stack: Vec<usize>,
        on_stack: BTreeSet<usize>,
        components: Vec<Vec<usize>>,
    }
    fn visit(v: usize, graph: &BTreeMap<usize, BTreeSet<usize>>, s: &mut State) {
        s.indices.insert(v, s.index);
        s.low.insert(v, s.index);
        s.index += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for &w in graph.get(&v).into_iter().flatten() {
            if !s.indices.contains_key(&w) {
                visit(w, graph, s);
                let low = s.low[&v].min(s.low[&w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(&w) {
                let low = s.low[&v].min(s.indices[&w]);
                s.low.insert(v, low);
            }
        }
        if s.low[&v] == s.indices[&v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(&w);
                component.push(w);
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                s.components.push(component);
            }
        }
    }
    let mut state = State {
        index: 0,
        indices: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for v in 0..project.files.len() {
        if !state.indices.contains_key(&v) {
            visit(v, &graph, &mut state);
        }
    }
    let circles: Vec<String> = state
        .components
        .iter()
        .map(|c| {
            let mut names: Vec<&str> = c.iter().map(|&i| project.files[i].name.as_str()).collect();
            names.sort();
            names.join(" ⇄ ")
        })
        .collect();
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

/// Files of `dir/` that import any of `modules`, with the path.
fn importers(project: &Project, dir: &str, modules: &[&str]) -> Vec<String> {
    project
        .edges()
        .into_iter()
        .filter(|(from, _, _, _)| project.files[*from].name.starts_with(dir))
        .filter(|(_, _, path, _)| {
            modules
                .iter()
                .any(|m| path == m || path.starts_with(&format!("{m}::")))
        })
        .map(|(from, _, path, _)| format!("{} uses {path}", project.files[from].name))
        .collect()
}

#[test]
fn only_the_backends_import_the_store() {
    let project = Project::load();
    let offenders: Vec<String> = project
        .edges()
        .into_iter()
        .filter(|(from, _, path, _)| {
            let name = &project.files[*from].name;
            (path == "store" || path.starts_with("store::"))
                && !["store/", "service/", "remote/", "lib.rs"]
                    .iter()
                    .any(|allowed| name.starts_with(allowed))
        })
        .map(|(from, _, path, _)| format!("{} uses {path}", project.files[from].name))
        .collect();
    assert!(offenders.is_empty(), "{offenders:#?}");
}

#[test]
fn the_faces_reach_the_core_only_through_the_client() {
    let project = Project::load();
    for face in ["gui/", "cli/"] {
        let mut offenders = importers(
            &project,
            face,
            &[
                "service",
                "store",
                "engine",
                "workflow",
                "template::manifest",
                "template::include",
            ],
        );
        for file in project.files.iter().filter(|f| f.name.starts_with(face)) {
            let code = code_of(&file.text);
            for forbidden in [
                "std::process",
                "Command::new",
                "Template::from_value",
                "rusqlite",
                "open::that",
            ] {
                if code.contains(forbidden) {
                    offenders.push(format!("{} uses {forbidden}", file.name));
                }
            }
        }
        assert!(offenders.is_empty(), "{offenders:#?}");
    }
}

#[test]
fn every_file_says_what_it_is_for() {
    let project = Project::load();
    let missing: Vec<&str> = project
        .files
        .iter()
        .filter(|f| !f.text.trim_start().starts_with("//!"))
        .map(|f| f.name.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "no `//!` comment at the top: {missing:?}"
    );
}

#[test]
fn the_check_sees_circles_and_forbidden_imports() {
    // The parser itself: a `use` tree, comments and strings ignored.
    let code = code_of(
        "//! x\nuse crate::a::{b, c::{d, e as f}, self};\n// use crate::hidden;\nfn g() { let s = \"crate::nope\"; crate::h::i(); }\n",
    );
    let mut paths: Vec<String> = use_paths(&code)
        .into_iter()
        .map(|(p, _)| p.join("::"))
        .collect();
    paths.extend(code_paths(&code).into_iter().map(|p| p.join("::")));
    assert_eq!(
        paths,
        [
            "crate::a::b",
            "crate::a::c::d",
            "crate::a::c::e",
            "crate::a",
            "crate::h::i"
        ]
    );
}
