//! Reading a run's result file: size-limited, and streaming. The file is parsed
//! into a document that holds only what the result schema's columns point at
//! (their `path`s); everything else is skipped as it is read, so a result file
//! with a huge array beside its scores costs no memory for that array. The
//! columns are then typed by the schema itself, exactly as from the whole file.

use crate::error::is_disk_full;
use crate::template::{ResultSchema, ResultValue};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufReader, Read};
use std::path::Path;

/// Read the result file in `run_dir` and extract the schema's columns. `limit`
/// is the largest file accepted, in bytes. Messages name the file.
pub(crate) fn read_results(
    run_dir: &Path,
    schema: &ResultSchema,
    limit: Option<u64>,
) -> Result<Vec<(String, Option<ResultValue>)>, String> {
    let path = run_dir.join(&schema.file);
    let cannot_read = |e: std::io::Error| {
        if is_disk_full(&e) {
            format!(
                "result file '{}' cannot be read: no space left on device",
                schema.file
            )
        } else {
            format!("result file '{}' cannot be read: {e}", schema.file)
        }
    };
    let file = std::fs::File::open(&path).map_err(cannot_read)?;
    let size = file.metadata().map_err(cannot_read)?.len();
    if let Some(limit) = limit {
        if size > limit {
            return Err(too_large(&schema.file, size, limit));
        }
    }
    // Read at most one byte more than the limit: a file growing while it is read
    // is still caught.
    let reader = BufReader::with_capacity(64 * 1024, file.take(limit.map_or(u64::MAX, |l| l + 1)));
    let paths = Paths::of(schema);
    let is_yaml = schema.file.ends_with(".yaml") || schema.file.ends_with(".yml");
    let document = if is_yaml {
        // serde_yaml reads the whole (size-limited) text first anyway.
        let mut text = String::new();
        let mut reader = reader;
        reader
            .read_to_string(&mut text)
            .map_err(|e| format!("result file '{}' is not valid YAML: {e}", schema.file))?;
        check_read(&schema.file, text.len() as u64, limit)?;
        Prune(&paths)
            .deserialize(serde_yaml::Deserializer::from_str(&text))
            .map_err(|e| format!("result file '{}' is not valid YAML: {e}", schema.file))?
    } else {
        let mut counted = Counted {
            inner: reader,
            read: 0,
        };
        let mut deserializer = serde_json::Deserializer::from_reader(&mut counted);
        let parsed = Prune(&paths)
            .deserialize(&mut deserializer)
            .and_then(|document| deserializer.end().map(|()| document));
        drop(deserializer);
        // Past the limit, the reader ran dry: the file grew while it was read.
        check_read(&schema.file, counted.read, limit)?;
        parsed.map_err(|e| format!("result file '{}' is not valid JSON: {e}", schema.file))?
    };
    schema.extract(&document)
}

fn too_large(file: &str, size: u64, limit: u64) -> String {
    format!(
        "result file '{file}' is {} bytes, more than the limit of {} bytes \
         (`result_limit_mb` in settings.json or FLOWDESK_RESULT_LIMIT_MB)",
        size, limit
    )
}

fn check_read(file: &str, read: u64, limit: Option<u64>) -> Result<(), String> {
    match limit {
        Some(limit) if read > limit => Err(too_large(file, read, limit)),
        _ => Ok(()),
    }
}

/// Counts the bytes read through it.
struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// The keys the schema's columns follow, as a tree: a node is a leaf when a
/// column's path ends there (its whole value is kept).
#[derive(Debug, Default)]
struct Paths {
    leaf: bool,
    children: BTreeMap<String, Paths>,
}

impl Paths {
    fn of(schema: &ResultSchema) -> Paths {
        let mut root = Paths::default();
        for column in &schema.columns {
            let mut node = &mut root;
            for key in column.json_path() {
                node = node.children.entry(key.to_string()).or_default();
            }
            node.leaf = true;
        }
        root
    }
}

/// Deserializes a document keeping only what [`Paths`] leads to.
struct Prune<'a>(&'a Paths);

impl<'de> DeserializeSeed<'de> for Prune<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        if self.0.leaf {
            return Value::deserialize(deserializer);
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Prune<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a result document")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        let last_wanted = self
            .0
            .children
            .keys()
            .filter_map(|k| k.parse::<usize>().ok())
            .max();
        let mut index = 0usize;
        loop {
            let wanted = self.0.children.get(&index.to_string());
            let more = match wanted {
                Some(child) => match seq.next_element_seed(Prune(child))? {
                    Some(value) => {
                        items.push(value);
                        true
                    }
                    None => false,
                },
                None => {
                    let more = seq.next_element::<IgnoredAny>()?.is_some();
                    if more && last_wanted.is_some_and(|last| index < last) {
                        items.push(Value::Null);
                    }
                    more
                }
            };
            if !more {
                break;
            }
            index += 1;
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match self.0.children.get(&key) {
                Some(child) => {
                    let value = map.next_value_seed(Prune(child))?;
                    out.insert(key, value);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema_of(file: &str) -> ResultSchema {
        ResultSchema::from_value(&json!({
            "file": file,
            "schema": [
                {"name": "score", "label": "Score", "type": "float"},
                {"name": "mean", "label": "Mean", "type": "float", "path": "accuracy/mean"},
                {"name": "second", "label": "Second", "type": "int", "path": "runs/1/n", "required": false}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn only_the_schema_paths_are_kept_and_cast_as_from_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let document = json!({
            "score": 0.5,
            "noise": (0..1000).collect::<Vec<_>>(),
            "accuracy": {"mean": 3, "all": [1, 2, 3]},
            "runs": [{"n": 1}, {"n": 2}, {"n": 3}]
        });
        std::fs::write(dir.path().join("r.json"), document.to_string()).unwrap();
        let schema = schema_of("r.json");
        let values = read_results(dir.path(), &schema, Some(1 << 20)).unwrap();
        assert_eq!(values, schema.extract(&document).unwrap());
        // flowServ looks through mappings only: the path into the list finds nothing.
        assert_eq!(values[2].1, None);

        let paths = Paths::of(&schema);
        let pruned = Prune(&paths)
            .deserialize(&mut serde_json::Deserializer::from_str(
                &document.to_string(),
            ))
            .unwrap();
        assert_eq!(
            pruned,
            json!({"score": 0.5, "accuracy": {"mean": 3}, "runs": [null, {"n": 2}]})
        );

        std::fs::write(
            dir.path().join("r.yaml"),
            "score: 0.5\nnoise: [1, 2]\naccuracy:\n  mean: 3\n",
        )
        .unwrap();
        let values = read_results(dir.path(), &schema_of("r.yaml"), None).unwrap();
        assert_eq!(values[1].1, Some(ResultValue::Float(3.0)));
    }

    #[test]
    fn a_result_file_over_the_limit_is_refused_with_the_limit_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("r.json"),
            format!("{{\"score\": 1, \"x\": \"{}\"}}", "a".repeat(2000)),
        )
        .unwrap();
        let message = read_results(dir.path(), &schema_of("r.json"), Some(1000)).unwrap_err();
        assert!(message.contains("'r.json'"), "{message}");
        assert!(message.contains("limit of 1000 bytes"), "{message}");
        let message = read_results(dir.path(), &schema_of("missing.json"), Some(1000)).unwrap_err();
        assert!(message.contains("cannot be read"), "{message}");
        std::fs::write(dir.path().join("bad.json"), "{\"score\": ").unwrap();
        let message = read_results(dir.path(), &schema_of("bad.json"), Some(1000)).unwrap_err();
        assert!(message.contains("not valid JSON"), "{message}");
    }
}
