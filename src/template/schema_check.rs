//! Checking a result file against the result schema column by column, for the
//! coordinator writing the scorer: where a run only says "no value for required
//! column 'x'", this shows every column with the value found at its `path`, its
//! cast and what is wrong, and points at keys of the file that look like typos
//! of a column's key (the usual reason a value is not found).

use super::doc::kind;
use super::schema::{ResultColumn, ResultSchema, ResultValue};
use serde::Serialize;
use serde_json::Value;

/// One schema column checked against a result document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnCheck {
    pub column: String,
    pub label: String,
    pub dtype: &'static str,
    pub required: bool,
    /// The keys leading to the value, joined by `/`.
    pub path: String,
    /// The value at the path, as the file holds it.
    pub found: Option<Value>,
    /// The value cast to the column's type, as a run would store it.
    pub cast: Option<ResultValue>,
    /// What is wrong with the column, if anything.
    pub problem: Option<String>,
}

/// A key of the result document that no column reads and that looks like a
/// typo of the key a column reads there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtraKey {
    /// The key's place in the document, joined by `/`.
    pub path: String,
    /// The column whose key it resembles.
    pub column: String,
}

/// The whole check: every column, and the typo-like keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchemaCheck {
    /// The schema's result file (the file a run must write).
    pub file: String,
    pub columns: Vec<ColumnCheck>,
    #[serde(rename = "extraKeys")]
    pub extra_keys: Vec<ExtraKey>,
}

impl SchemaCheck {
    /// Whether a run writing this document would get its results stored.
    pub fn passes(&self) -> bool {
        self.columns.iter().all(|c| c.problem.is_none())
    }

    /// One line per problem, naming the column.
    pub fn problems(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter_map(|c| {
                c.problem
                    .as_ref()
                    .map(|p| format!("column '{}': {p}", c.column))
            })
            .collect()
    }
}

impl ResultSchema {
    /// Check `document` (a parsed result file) against every column.
    pub fn check(&self, document: &Value) -> SchemaCheck {
        let extra_keys = typo_keys(&self.columns, document);
        let columns = self
            .columns
            .iter()
            .map(|column| check_column(column, document, &extra_keys))
            .collect();
        SchemaCheck {
            file: self.file.clone(),
            columns,
            extra_keys,
        }
    }
}

fn check_column(column: &ResultColumn, document: &Value, typos: &[ExtraKey]) -> ColumnCheck {
    let path = column.json_path().join("/");
    let found = column.lookup(document).cloned();
    let typo = typos
        .iter()
        .find(|t| t.column == column.name)
        .map(|t| format!("; the file has '{}', a typo?", t.path))
        .unwrap_or_default();
    let (cast, problem) = match &found {
        None | Some(Value::Null) => {
            let what = match (&found, missing_at(column, document)) {
                (Some(_), _) => format!("'{path}' is empty (null)"),
                (None, Some(step)) => format!("path '{path}' not found: {step}"),
                (None, None) => format!("path '{path}' not found"),
            };
            // An optional column without a value is allowed; the lint of
            // sample results says that no sample produced it.
            let problem = column
                .required
                .then(|| format!("required column missing: {what}{typo}"));
            (None, problem)
        }
        Some(value) => match column.cast(value) {
            Ok(cast) => (Some(cast), None),
            Err(e) => (
                None,
                Some(format!(
                    "wrong type: {} does not cast to {} ({e})",
                    kind(value),
                    column.dtype.name()
                )),
            ),
        },
    };
    ColumnCheck {
        column: column.name.clone(),
        label: column.label.clone(),
        dtype: column.dtype.name(),
        required: column.required,
        path,
        found: found.filter(|v| !v.is_null()),
        cast,
        problem,
    }
}

/// Where the lookup of a column's path stops: which key is missing, or what
/// is in the way of a mapping.
fn missing_at(column: &ResultColumn, document: &Value) -> Option<String> {
    let mut current = document;
    let mut walked: Vec<&str> = Vec::new();
    for key in column.json_path() {
        let place = if walked.is_empty() {
            "the file".to_string()
        } else {
            format!("'{}'", walked.join("/"))
        };
        current = match current {
            Value::Object(map) if !map.is_empty() => match map.get(key) {
                Some(next) => next,
                None => return Some(format!("{place} has no key '{key}'")),
            },
            Value::Object(_) => return Some(format!("{place} is an empty mapping")),
            other => return Some(format!("{place} is {}, not a mapping", kind(other))),
        };
        walked.push(key);
    }
    None
}

/// Keys no column reads, at the places columns look, that are close to the
/// key a column whose value is missing reads there.
fn typo_keys(columns: &[ResultColumn], document: &Value) -> Vec<ExtraKey> {
    // (distance, key path, column): each key goes to the column it is closest to.
    let mut candidates: Vec<(usize, String, String)> = Vec::new();
    for column in columns {
        if column.lookup(document).is_some() {
            continue;
        }
        let keys = column.json_path();
        let Some((last, parents)) = keys.split_last() else {
            continue;
        };
        let mut parent = document;
        let mut ok = true;
        for key in parents {
            match parent.get(key) {
                Some(next) => parent = next,
                None => {
                    ok = false;
                    break;
                }
            }
        }
        let Some(map) = parent.as_object().filter(|_| ok) else {
            continue;
        };
        let read_here = |key: &str| {
            columns.iter().any(|c| {
                let path = c.json_path();
                path.len() == keys.len()
                    && path[..parents.len()] == *parents
                    && path[parents.len()] == key
            })
        };
        for key in map
            .keys()
            .filter(|key| !read_here(key) && looks_like(key, last))
        {
            let mut path: Vec<&str> = parents.to_vec();
            path.push(key);
            candidates.push((distance(key, last), path.join("/"), column.name.clone()));
        }
    }
    candidates.sort();
    let mut found: Vec<ExtraKey> = Vec::new();
    for (_, path, column) in candidates {
        if !found.iter().any(|f| f.path == path || f.column == column) {
            found.push(ExtraKey { path, column });
        }
    }
    found
}

fn normalized(s: &str) -> String {
    s.to_lowercase().replace(['-', '_', ' '], "")
}

fn distance(a: &str, b: &str) -> usize {
    strsim::levenshtein(&normalized(a), &normalized(b))
}

/// Whether `key` is probably `wanted` mistyped: the same apart from case,
/// `-`/`_`, or a few letters (fewer for short names).
fn looks_like(key: &str, wanted: &str) -> bool {
    let allowed = match normalized(wanted).chars().count() {
        0..=3 => 1,
        4..=7 => 2,
        _ => 3,
    };
    distance(key, wanted) <= allowed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> ResultSchema {
        ResultSchema::from_value(&json!({
            "file": "results/r.json",
            "schema": [
                {"name": "accuracy", "label": "Accuracy", "type": "float", "path": "scores/accuracy"},
                {"name": "n", "label": "N", "type": "int"},
                {"name": "note", "label": "Note", "type": "string", "required": false}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn a_matching_file_passes_with_every_value_cast() {
        let check = schema().check(&json!({"scores": {"accuracy": "0.5"}, "n": 3}));
        assert!(check.passes(), "{check:?}");
        assert_eq!(check.columns[0].cast, Some(ResultValue::Float(0.5)));
        assert_eq!(check.columns[0].found, Some(json!("0.5")));
        assert_eq!(check.columns[0].path, "scores/accuracy");
        assert_eq!(check.columns[1].cast, Some(ResultValue::Int(3)));
        // An optional column without a value is no failure.
        assert_eq!(check.columns[2].problem, None);
        assert_eq!(check.columns[2].found, None);
    }

    #[test]
    fn problems_name_the_column_the_path_and_the_typo() {
        let check = schema().check(&json!({"scores": {"acuracy": 0.5}, "n": "many"}));
        assert!(!check.passes());
        let problems = check.problems();
        assert!(
            problems[0].starts_with("column 'accuracy': required column missing: path 'scores/accuracy' not found: 'scores' has no key 'accuracy'; the file has 'scores/acuracy', a typo?"),
            "{problems:?}"
        );
        assert!(
            problems[1].starts_with("column 'n': wrong type: a text value does not cast to int"),
            "{problems:?}"
        );
        assert_eq!(
            check.extra_keys,
            vec![ExtraKey {
                path: "scores/acuracy".into(),
                column: "accuracy".into()
            }]
        );
        let check = schema().check(&json!({"scores": 1, "n": 1}));
        assert!(
            check.problems()[0].contains("'scores' is a number, not a mapping"),
            "{:?}",
            check.problems()
        );
    }

    #[test]
    fn unrelated_extra_keys_are_no_typos() {
        let check =
            schema().check(&json!({"scores": {"accuracy": 1}, "n": 1, "runtime": 3, "N": 2}));
        assert!(check.passes());
        assert!(check.extra_keys.is_empty(), "{:?}", check.extra_keys);
        assert!(looks_like("Accuracy", "accuracy"));
        assert!(looks_like("max-len", "max_len"));
        assert!(!looks_like("runtime", "n"));
    }
}
