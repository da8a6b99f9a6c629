//! Template parameter references: `$[[name]]` and `$[[name ? a : b]]`, anywhere in a
//! workflow specification. A string that is exactly one reference is replaced by the
//! typed argument value (a number stays a number, an actor stays a step); a
//! reference inside a longer string is replaced by the value's text.
//!
//! The user guide also prints references as `${[[name]]}`; that spelling is
//! accepted as the same reference.

use super::doc::{parse_bool, python_str};
use crate::error::ArgumentError;
use serde_json::{Map, Value};

/// One parsed reference.
#[derive(Debug, Clone, PartialEq)]
pub enum Reference {
    /// `$[[name]]`
    Value(String),
    /// `$[[name ? then : otherwise]]`: `then` if the argument is true.
    Conditional {
        name: String,
        then: String,
        otherwise: String,
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
    let unquote = |s: &str| {
        let s = s.trim();
        for q in ['\'', '"'] {
            if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
                return s[1..s.len() - 1].to_string();
            }
        }
        s.to_string()
    };
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
            let (then, otherwise) = branches.split_once(':').ok_or_else(|| {
                format!("conditional reference '$[[{body}]]' needs the form 'name ? a : b'")
            })?;
            if name.is_empty() {
                return Err(format!(
                    "conditional reference '$[[{body}]]' has no parameter name"
                ));
            }
            Ok(Reference::Conditional {
                name: name.to_string(),
                then: unquote(then),
                otherwise: unquote(otherwise),
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
                let flag = match arguments.get(name) {
                    None | Some(Value::Null) => false,
                    Some(Value::Bool(b)) => *b,
                    Some(Value::String(s)) => parse_bool(s).unwrap_or(!s.is_empty()),
                    Some(Value::Number(n)) => n.as_f64() != Some(0.0),
                    Some(_) => true,
                };
                Ok(Value::String(if flag { then } else { otherwise }.clone()))
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
        let found = find("a $[[x]] b $[[flag ? on : 'off']] ${[[y]]}").unwrap();
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].reference, Reference::Value("x".into()));
        assert_eq!(
            found[1].reference,
            Reference::Conditional {
                name: "flag".into(),
                then: "on".into(),
                otherwise: "off".into()
            }
        );
        assert_eq!(found[2].reference, Reference::Value("y".into()));
        assert!(find("[[not a ref]] $ [[x]]").unwrap().is_empty());
    }

    #[test]
    fn malformed_references_are_errors() {
        assert!(find("$[[x").unwrap_err().contains("unterminated"));
        assert!(find("$[[]]").unwrap_err().contains("empty"));
        assert!(find("$[[x ? a]]").unwrap_err().contains("name ? a : b"));
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
    fn conditionals_follow_the_boolean_argument() {
        let spec = json!(["$[[v ? --verbose : --quiet]]", "x $[[v ? 'a b' : \"c\"]]"]);
        assert_eq!(
            expand(&spec, &args(json!({"v": true}))).unwrap(),
            json!(["--verbose", "x a b"])
        );
        assert_eq!(
            expand(&spec, &args(json!({"v": false}))).unwrap(),
            json!(["--quiet", "x c"])
        );
        assert_eq!(
            expand(&spec, &args(json!({}))).unwrap(),
            json!(["--quiet", "x c"])
        );
        assert_eq!(
            expand(&json!("$[[v ? y : n]]"), &args(json!({"v": "true"}))).unwrap(),
            json!("y")
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
