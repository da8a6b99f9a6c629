//! The result schema of a benchmark template (`results`): the result file, its
//! columns (typed, optionally nested via `path`) and the default leaderboard order.
//! Follows `flowserv.model.template.schema`.

use super::doc::{kind, python_float_text, python_int, python_str, Element};
use crate::paths::check_relative;
use serde::Serialize;
use serde_json::Value;

/// Type of a result column. `decimal` in templates is `float`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    Int,
    Float,
    String,
}

impl ColumnType {
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Int => "int",
            ColumnType::Float => "float",
            ColumnType::String => "string",
        }
    }
}

/// One column of the result schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultColumn {
    pub name: String,
    pub label: String,
    #[serde(rename = "dtype")]
    pub dtype: ColumnType,
    pub required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// One entry of `orderBy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SortColumn {
    pub name: String,
    #[serde(rename = "sortDesc")]
    pub sort_desc: bool,
}

/// The `results` section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultSchema {
    pub file: String,
    pub columns: Vec<ResultColumn>,
    #[serde(rename = "orderBy")]
    pub order_by: Vec<SortColumn>,
}

/// A typed result value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ResultValue {
    Int(i64),
    Float(f64),
    String(String),
}

impl ResultSchema {
    pub fn from_value(value: &Value) -> Result<ResultSchema, String> {
        let doc = Element::new(value, "results")?;
        let file = doc.required_string(&["file"])?;
        check_relative(&file, false).map_err(|e| doc.error(format!("'file': {e}")))?;
        let columns_doc = doc
            .list(&["schema", "columns"])?
            .ok_or_else(|| doc.error("'schema' (the list of result columns) is missing"))?;
        let mut columns: Vec<ResultColumn> = Vec::new();
        for (i, column) in columns_doc.iter().enumerate() {
            let col = Element::new(column, format!("results.schema[{i}]"))?;
            let name = col.required_string(&["name", "id"])?;
            let col = Element {
                map: col.map,
                name: format!("results.schema[{i}] '{name}'"),
            };
            let type_name = col
                .string(&["type", "dtype", "datatype"])?
                .ok_or_else(|| col.error("'type' is missing (int, float/decimal or string)"))?;
            let dtype = match type_name.to_ascii_lowercase().as_str() {
                "int" | "integer" => ColumnType::Int,
                "float" | "decimal" | "double" | "real" | "number" => ColumnType::Float,
                "string" | "str" | "text" => ColumnType::String,
                other => {
                    return Err(col.error(format!(
                        "unknown type '{other}'; expected int, float (decimal) or string"
                    )))
                }
            };
            if columns.iter().any(|c| c.name == name) {
                return Err(col.error(format!("column '{name}' is declared twice")));
            }
            let label = col
                .string(&["label", "title"])?
                .unwrap_or_else(|| name.clone());
            // flowServ refuses two columns with one label (`not unique column name`).
            if let Some(other) = columns.iter().find(|c| c.label == label) {
                return Err(col.error(format!(
                    "label '{label}' is also the label of column '{}'",
                    other.name
                )));
            }
            columns.push(ResultColumn {
                label,
                dtype,
                required: col.bool(&["required", "isRequired"])?.unwrap_or(true),
                path: col.string(&["path"])?,
                name,
            });
        }
        let mut order_by = Vec::new();
        if let Some(items) = doc.list(&["orderBy", "order_by"])? {
            for (i, item) in items.iter().enumerate() {
                let (name, sort_desc) = match item {
                    Value::String(name) => (name.clone(), true),
                    _ => {
                        let entry = Element::new(item, format!("results.orderBy[{i}]"))?;
                        (
                            entry.required_string(&["name", "id"])?,
                            entry.bool(&["sortDesc", "sort_desc"])?.unwrap_or(true),
                        )
                    }
                };
                if !columns.iter().any(|c| c.name == name) {
                    return Err(format!(
                        "results.orderBy[{i}]: unknown column '{name}'; the schema has {}",
                        columns
                            .iter()
                            .map(|c| format!("'{}'", c.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                order_by.push(SortColumn { name, sort_desc });
            }
        }
        Ok(ResultSchema {
            file,
            columns,
            order_by,
        })
    }

    /// `orderBy`, or the first column descending when none is given.
    pub fn effective_order(&self) -> Vec<SortColumn> {
        if !self.order_by.is_empty() {
            return self.order_by.clone();
        }
        self.columns
            .first()
            .map(|c| {
                vec![SortColumn {
                    name: c.name.clone(),
                    sort_desc: true,
                }]
            })
            .unwrap_or_default()
    }

    pub fn column(&self, name: &str) -> Option<&ResultColumn> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Extract and type every column from a parsed result document. A missing or
    /// uncastable required value is an error naming the column.
    pub fn extract(&self, document: &Value) -> Result<Vec<(String, Option<ResultValue>)>, String> {
        self.columns
            .iter()
            .map(|column| {
                let found = column.lookup(document);
                match found {
                    None | Some(Value::Null) if column.required => Err(format!(
                        "result file '{}' has no value for required column '{}'{}",
                        self.file,
                        column.name,
                        column
                            .path
                            .as_ref()
                            .map(|p| format!(" (path '{p}')"))
                            .unwrap_or_default()
                    )),
                    None | Some(Value::Null) => Ok((column.name.clone(), None)),
                    Some(value) => column
                        .cast(value)
                        .map(|v| (column.name.clone(), Some(v)))
                        .map_err(|e| {
                            format!("result file '{}': column '{}': {e}", self.file, column.name)
                        }),
                }
            })
            .collect()
    }
}

impl ResultColumn {
    /// The keys leading to the value: `path` split on `/` (every part, empty
    /// ones too, as flowServ's `jpath`), or the column name.
    pub fn json_path(&self) -> Vec<&str> {
        match &self.path {
            Some(path) => path.split('/').collect(),
            None => vec![self.name.as_str()],
        }
    }

    /// The value at the column's path, as flowServ's `util.jquery` finds it:
    /// through mappings only, and an empty mapping holds nothing.
    pub fn lookup<'a>(&self, document: &'a Value) -> Option<&'a Value> {
        let mut current = document;
        for key in self.json_path() {
            current = match current {
                Value::Object(map) if !map.is_empty() => map.get(key)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// Cast a result value to the column type as `ResultColumn.cast` does:
    /// Python's `int()` (a float loses its fraction, a boolean is 0 or 1),
    /// `float()` and `str()`.
    pub fn cast(&self, value: &Value) -> Result<ResultValue, String> {
        match self.dtype {
            ColumnType::Int => match value {
                Value::Bool(b) => Ok(ResultValue::Int(*b as i64)),
                Value::Number(n) if n.is_i64() => Ok(ResultValue::Int(n.as_i64().unwrap_or(0))),
                Value::Number(n) => match n.as_f64() {
                    Some(f) if f.is_finite() && f.abs() < 9.2e18 => {
                        Ok(ResultValue::Int(f.trunc() as i64))
                    }
                    _ => Err(format!("{n} is too large for an integer")),
                },
                Value::String(s) => python_int(s)
                    .map(ResultValue::Int)
                    .ok_or_else(|| format!("'{s}' is not an integer")),
                other => Err(format!("expected an integer, found {}", kind(other))),
            },
            ColumnType::Float => match value {
                Value::Bool(b) => Ok(ResultValue::Float(*b as i64 as f64)),
                Value::Number(n) => n
                    .as_f64()
                    .map(ResultValue::Float)
                    .ok_or_else(|| format!("{n} is not a number")),
                Value::String(s) => match python_float_text(s) {
                    Some(f) if f.is_nan() => {
                        Err(format!("'{s}' is not a number that can be ranked"))
                    }
                    Some(f) => Ok(ResultValue::Float(f)),
                    None => Err(format!("'{s}' is not a number")),
                },
                other => Err(format!("expected a number, found {}", kind(other))),
            },
            ColumnType::String => Ok(ResultValue::String(python_str(value))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(v: Value) -> Result<ResultSchema, String> {
        ResultSchema::from_value(&v)
    }

    #[test]
    fn parses_columns_with_aliases_and_defaults() {
        let s = schema(json!({
            "file": "results/a.json",
            "schema": [
                {"name": "avg", "label": "Avg", "type": "decimal"},
                {"name": "n", "label": "N", "dtype": "int", "required": false},
                {"name": "acc", "label": "Acc", "type": "float", "path": "accuracy/mean"}
            ]
        }))
        .unwrap();
        assert_eq!(s.columns[0].dtype, ColumnType::Float);
        assert!(s.columns[0].required);
        assert!(!s.columns[1].required);
        assert_eq!(s.columns[2].json_path(), vec!["accuracy", "mean"]);
        assert_eq!(
            s.effective_order(),
            vec![SortColumn {
                name: "avg".into(),
                sort_desc: true
            }]
        );
    }

    #[test]
    fn order_by_defaults_to_descending_and_checks_columns() {
        let s = schema(json!({
            "file": "r.json",
            "schema": [{"name": "a", "label": "A", "type": "int"}, {"name": "b", "label": "B", "type": "int"}],
            "orderBy": [{"name": "b"}, {"name": "a", "sortDesc": false}]
        }))
        .unwrap();
        assert_eq!(
            s.effective_order(),
            vec![
                SortColumn {
                    name: "b".into(),
                    sort_desc: true
                },
                SortColumn {
                    name: "a".into(),
                    sort_desc: false
                }
            ]
        );
        let err = schema(json!({
            "file": "r.json",
            "schema": [{"name": "a", "label": "A", "type": "int"}],
            "orderBy": [{"name": "nocolumn"}]
        }))
        .unwrap_err();
        assert!(
            err.contains("results.orderBy[0]: unknown column 'nocolumn'"),
            "{err}"
        );
    }

    #[test]
    fn bad_schemas_are_rejected() {
        let err = schema(json!({"file": "r.json", "schema": [{"name": "a", "type": "bool"}]}))
            .unwrap_err();
        assert!(err.contains("unknown type 'bool'"), "{err}");
        let err = schema(json!({"file": "r.json", "schema": [{"name": "a", "type": "int"}, {"name": "a", "type": "int"}]})).unwrap_err();
        assert!(err.contains("declared twice"), "{err}");
        let err = schema(json!({"file": "../r.json", "schema": [{"name": "a", "type": "int"}]}))
            .unwrap_err();
        assert!(err.contains("'../r.json'"), "{err}");
        assert!(schema(json!({"schema": [{"name": "a", "type": "int"}]})).is_err());
    }

    #[test]
    fn extracts_nested_values_and_enforces_required() {
        let s = schema(json!({
            "file": "r.json",
            "schema": [
                {"name": "acc", "label": "A", "type": "float", "path": "accuracy/mean"},
                {"name": "n", "label": "N", "type": "int"},
                {"name": "note", "label": "Note", "type": "string", "required": false}
            ]
        }))
        .unwrap();
        let values = s
            .extract(&json!({"accuracy": {"mean": 0.75}, "n": "3"}))
            .unwrap();
        assert_eq!(
            values,
            vec![
                ("acc".into(), Some(ResultValue::Float(0.75))),
                ("n".into(), Some(ResultValue::Int(3))),
                ("note".into(), None)
            ]
        );
        let err = s.extract(&json!({"n": 1})).unwrap_err();
        assert!(
            err.contains("required column 'acc'") && err.contains("accuracy/mean"),
            "{err}"
        );
        let err = s
            .extract(&json!({"accuracy": {"mean": 0.5}, "n": "1.5"}))
            .unwrap_err();
        assert!(err.contains("column 'n'"), "{err}");
        // Python's int() and str(): 2.7 is 2, True is 1, a mapping prints as Python.
        let values = s
            .extract(&json!({"accuracy": {"mean": true}, "n": 2.7, "note": {"a": [1]}}))
            .unwrap();
        assert_eq!(
            values,
            vec![
                ("acc".into(), Some(ResultValue::Float(1.0))),
                ("n".into(), Some(ResultValue::Int(2))),
                (
                    "note".into(),
                    Some(ResultValue::String("{'a': [1]}".into()))
                )
            ]
        );
        // flowServ's jquery: mappings only; a list is not indexed.
        let listed = schema(json!({"file": "r.json", "schema": [
            {"name": "x", "label": "X", "type": "int", "path": "a/0", "required": false}
        ]}))
        .unwrap();
        assert_eq!(
            listed.extract(&json!({"a": [5]})).unwrap(),
            vec![("x".into(), None)]
        );
    }

    #[test]
    fn labels_are_unique_and_an_empty_schema_loads() {
        let err = schema(json!({"file": "r.json", "schema": [
            {"name": "a", "label": "Same", "type": "int"},
            {"name": "b", "label": "Same", "type": "int"}
        ]}))
        .unwrap_err();
        assert!(err.contains("label 'Same'"), "{err}");
        let empty = schema(json!({"file": "r.json", "schema": []})).unwrap();
        assert!(empty.effective_order().is_empty());
    }
}
