//! Template parameter references: `$[[name]]` and `$[[name ? a : b]]`, anywhere in a
//! workflow specification. A string that is exactly one reference is replaced by the
//! typed argument value (a number stays a number, an actor stays a step); a
//! reference inside a longer string is replaced by the value's text.
//!
//! The user guide also prints references as `${[[name]]}`; that spelling is
//! accepted as the same reference.
//!
//! Conditionals follow flowserv-core 0.9.4: the branches are taken as written
//! (trimmed, quotes kept), a missing `: b` branch is `None`, and the condition
//! holds when the argument's text is `true` in any case.

use super::doc::python_str;
use crate::error::ArgumentError;
use serde_json::{Map, Value};

/// One parsed reference.
#[derive(Debug, Clone, PartialEq)]
pub enum Reference {
    /// `$[[name]]`
    Value(String),
    /// `$[[name ? then : otherwise]]`: `then` if the argument is true;
    /// `otherwise` is `None` for `$[[name ? then]]`.
    Conditional {
        name: String,
        then: String,
        otherwise: Option<String>,
    },
}

impl Reference {
    pub fn name(&self) -> &str {
        match self {
            Reference::Value(name) | Reference::Conditional { name, .. } => name,
        }
    }
}

/// A reference found in a string, with its byte span.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub start: usize,
    pub end: usize,
    pub reference: Reference,
}

/// Find all references in `text`. An opening `$[[` without `]]` is an error.
pub fn find(text: &str) -> Result<Vec<Found>, String> {
    let mut found = Vec::new();
    let mut pos = 0;
    while let Some(offset) = text[pos..].find("[[") {
        let open = pos + offset;
        let (start, braced) = if text[..open].ends_with("${") {
            (open - 2, true)
        } else if text[..open].ends_with('$') {
            (open - 1, false)
        } else {
            pos = open + 2;
            continue;
        };
        let body_start = open + 2;
        let close = text[body_start..]
            .find("]]")
            .map(|i| body_start + i)
            .ok_or_else(|| format!("unterminated parameter reference in '{text}'"))?;
        let mut end = close + 2;
        if braced {
            if text[end..].starts_with('}') {
                end += 1;
            } else {
                return Err(format!("unterminated parameter reference in '{text}'"));
            }
        }
        let reference =
            parse_body(&text[body_start..close]).map_err(|e| format!("{e} in '{text}'"))?;
        found.push(Found {
            start,
            end,
            reference,
        });
        pos = end;
    }
    Ok(found)
}

fn parse_body(body: &str) -> Result<Reference, String> {
    match body.split_once('?') {
        None => {
            let name = body.trim();
            if name.is_empty() {
                return Err("empty parameter reference '$[[]]'".to_string());
            }
            Ok(Reference::Value(name.to_string()))
        }
        Some((name, branches)) => {
            let name = name.trim();
            if name.is_empty() {
                return Err(format!(
                    "conditional reference '$[[{body}]]' has no parameter name"
                ));
            }
            let (then, otherwise) = match branches.split_once(':') {
                Some((then, otherwise)) => (then, Some(otherwise.trim().to_string())),
                None => (branches, None),
            };
            Ok(Reference::Conditional {
                name: name.to_string(),
                then: then.trim().to_string(),
                otherwise,
            })
        }
    }
}

/// Collect the names of all parameters referenced anywhere in `value`, in order of
/// appearance (with repeats removed).
pub fn collect(value: &Value, names: &mut Vec<String>) -> Result<(), String> {
    match value {
        Value::String(s) => {
            for found in find(s)? {
                let name = found.reference.name().to_string();
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                collect(item, names)?;
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                collect(&Value::String(key.clone()), names)?;
                collect(item, names)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Replace every reference in `value` by the argument values. `arguments` holds
/// the cast value of each parameter that has one (file parameters: their target
/// path). A conditional on a parameter without a value takes the `else` branch; a
/// plain reference to one is an error.
pub fn expand(value: &Value, arguments: &Map<String, Value>) -> Result<Value, ArgumentError> {
    Ok(match value {
        Value::String(s) => expand_string(s, arguments)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| expand(item, arguments))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, item) in map {
                let key = match expand_string(key, arguments)? {
                    Value::String(s) => s,
                    other => python_str(&other),
                };
                out.insert(key, expand(item, arguments)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

fn expand_string(text: &str, arguments: &Map<String, Value>) -> Result<Value, ArgumentError> {
    let found = find(text).map_err(|message| ArgumentError::Invalid {
        name: "workflow".to_string(),
        message,
    })?;
    if found.is_empty() {
        return Ok(Value::String(text.to_string()));
    }
    let resolve = |reference: &Reference| -> Result<Value, ArgumentError> {
        match reference {
            Reference::Value(name) => arguments
                .get(name)
                .cloned()
                .ok_or_else(|| ArgumentError::NoValue { name: name.clone() }),
            Reference::Conditional {
                name,
                then,
                otherwise,
            } => {
                // flowServ: `str(value).lower() == 'true'`; no value is an error.
                let value = arguments
                    .get(name)
                    .ok_or_else(|| ArgumentError::NoValue { name: name.clone() })?;
                let branch = if python_str(value).to_lowercase() == "true" {
                    Some(then)
                } else {
                    otherwise.as_ref()
                };
                Ok(branch.map_or(Value::Null, |b| Value::String(b.clone())))
            }
        }
    };
    if found.len() == 1 && found[0].start == 0 && found[0].end == text.len() {
        return resolve(&found[0].reference);
    }
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for f in &found {
        out.push_str(&text[pos..f.start]);
        out.push_str(&python_str(&resolve(&f.reference)?));
        pos = f.end;
    }
    out.push_str(&text[pos..]);
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn finds_plain_conditional_and_braced_references() {
        let found = find("a $[[x]] b $[[flag ? on : 'off']] ${[[y]]} $[[f ? only]]").unwrap();
        assert_eq!(found.len(), 4);
        assert_eq!(found[0].reference, Reference::Value("x".into()));
        // Branches are taken as written: trimmed, quotes kept (flowServ).
        assert_eq!(
            found[1].reference,
            Reference::Conditional {
                name: "flag".into(),
                then: "on".into(),
                otherwise: Some("'off'".into())
            }
        );
        assert_eq!(found[2].reference, Reference::Value("y".into()));
        assert_eq!(
            found[3].reference,
            Reference::Conditional {
                name: "f".into(),
                then: "only".into(),
                otherwise: None
            }
        );
        assert!(find("[[not a ref]] $ [[x]]").unwrap().is_empty());
    }

    #[test]
    fn malformed_references_are_errors() {
        assert!(find("$[[x").unwrap_err().contains("unterminated"));
        assert!(find("$[[]]").unwrap_err().contains("empty"));
        assert!(find("$[[ ? a]]").unwrap_err().contains("no parameter name"));
        assert!(find("${[[x]]").unwrap_err().contains("unterminated"));
    }

    #[test]
    fn whole_string_reference_keeps_the_type() {
        let a = args(json!({"n": 10, "step": {"commands": ["ls"]}}));
        assert_eq!(expand(&json!("$[[n]]"), &a).unwrap(), json!(10));
        assert_eq!(
            expand(&json!({"action": "$[[step]]"}), &a).unwrap(),
            json!({"action": {"commands": ["ls"]}})
        );
        assert_eq!(expand(&json!("--n $[[n]]"), &a).unwrap(), json!("--n 10"));
    }

    #[test]
    fn conditionals_follow_the_text_of_the_argument() {
        let spec = json!(["$[[v ? --verbose : --quiet]]", "x $[[v ? 'a b' : c]]"]);
        assert_eq!(
            expand(&spec, &args(json!({"v": true}))).unwrap(),
            json!(["--verbose", "x 'a b'"])
        );
        assert_eq!(
            expand(&spec, &args(json!({"v": false}))).unwrap(),
            json!(["--quiet", "x c"])
        );
        // `str(value).lower() == 'true'`: only a true value or the text true.
        for (value, branch) in [
            (json!("TRUE"), "y"),
            (json!("yes"), "n"),
            (json!(1), "n"),
            (json!(0), "n"),
        ] {
            assert_eq!(
                expand(&json!("$[[v ? y : n]]"), &args(json!({ "v": value }))).unwrap(),
                json!(branch)
            );
        }
        // No else branch: None, which a longer string shows as `None`.
        assert_eq!(
            expand(&json!("$[[v ? on]]"), &args(json!({"v": false}))).unwrap(),
            Value::Null
        );
        assert_eq!(
            expand(&json!("-x $[[v ? on]]"), &args(json!({"v": false}))).unwrap(),
            json!("-x None")
        );
        // A conditional on a parameter without a value is an error, as in flowServ.
        assert_eq!(
            expand(&json!("$[[v ? a : b]]"), &args(json!({}))),
            Err(ArgumentError::NoValue { name: "v".into() })
        );
    }

    #[test]
    fn missing_values_name_the_parameter() {
        assert_eq!(
            expand(&json!("$[[gone]]"), &args(json!({}))),
            Err(ArgumentError::NoValue {
                name: "gone".into()
            })
        );
    }

    #[test]
    fn collects_names_in_keys_and_values() {
        let mut names = Vec::new();
        collect(
            &json!({"a": ["$[[x]]", {"$[[k]]": "$[[x]] $[[y ? 1 : 2]]"}]}),
            &mut names,
        )
        .unwrap();
        assert_eq!(names, vec!["x", "k", "y"]);
    }
}
