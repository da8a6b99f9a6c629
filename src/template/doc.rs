//! Reading fields out of a parsed template document (a JSON value, whatever the file
//! format was) with the key aliases the reference accepts, and with error messages
//! that name the element: `parameters[2] 'sleeptime': 'index' must be an integer`.

use serde_json::{Map, Value};

/// A JSON object together with the name of the element it is, for messages.
pub(crate) struct Element<'a> {
    pub map: &'a Map<String, Value>,
    pub name: String,
}

impl<'a> Element<'a> {
    pub fn new(value: &'a Value, name: impl Into<String>) -> Result<Self, String> {
        let name = name.into();
        match value {
            Value::Object(map) => Ok(Element { map, name }),
            other => Err(format!("{name} must be a mapping, not {}", kind(other))),
        }
    }

    /// The first present key of `keys` (aliases), with its value.
    pub fn get(&self, keys: &[&str]) -> Option<&'a Value> {
        keys.iter()
            .find_map(|key| self.map.get(*key))
            .filter(|value| !value.is_null())
    }

    pub fn error(&self, message: impl std::fmt::Display) -> String {
        format!("{}: {message}", self.name)
    }

    pub fn string(&self, keys: &[&str]) -> Result<Option<String>, String> {
        match self.get(keys) {
            None => Ok(None),
            Some(value) => scalar_string(value)
                .map(Some)
                .ok_or_else(|| self.error(format!("'{}' must be a text value", keys[0]))),
        }
    }

    pub fn required_string(&self, keys: &[&str]) -> Result<String, String> {
        self.string(keys)?
            .ok_or_else(|| self.error(format!("'{}' is missing", keys[0])))
    }

    pub fn bool(&self, keys: &[&str]) -> Result<Option<bool>, String> {
        match self.get(keys) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => parse_bool(s)
                .map(Some)
                .ok_or_else(|| self.error(format!("'{}' must be true or false", keys[0]))),
            Some(Value::Number(n)) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => {
                Ok(Some(n.as_i64() == Some(1)))
            }
            Some(_) => Err(self.error(format!("'{}' must be true or false", keys[0]))),
        }
    }

    pub fn int(&self, keys: &[&str]) -> Result<Option<i64>, String> {
        match self.get(keys) {
            None => Ok(None),
            Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
            Some(Value::String(s)) if s.trim().parse::<i64>().is_ok() => {
                Ok(s.trim().parse::<i64>().ok())
            }
            Some(_) => Err(self.error(format!("'{}' must be an integer", keys[0]))),
        }
    }

    pub fn list(&self, keys: &[&str]) -> Result<Option<&'a Vec<Value>>, String> {
        match self.get(keys) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(other) => {
                Err(self.error(format!("'{}' must be a list, not {}", keys[0], kind(other))))
            }
        }
    }

    /// A list of text values (file lists).
    pub fn string_list(&self, keys: &[&str]) -> Result<Vec<String>, String> {
        let Some(items) = self.list(keys)? else {
            return Ok(Vec::new());
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                scalar_string(item)
                    .ok_or_else(|| self.error(format!("'{}[{i}]' must be a text value", keys[0])))
            })
            .collect()
    }
}

/// A scalar (string, number, bool) as text the way Python's `str()` prints it.
pub(crate) fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) => Some(python_str(value)),
        _ => None,
    }
}

/// Python's `str()` of a JSON value, so that `${var}` expands to what flowServ would
/// substitute: `True`, `0.5`, `10`, `1.0`, `inf`.
pub fn python_str(value: &Value) -> String {
    match value {
        Value::Null => "None".to_string(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) => {
            if n.is_f64() {
                python_float(n.as_f64().unwrap_or(f64::NAN))
            } else {
                n.to_string()
            }
        }
        other => other.to_string(),
    }
}

/// Python's `str(float)`: integral values keep a `.0`.
pub fn python_float(value: f64) -> String {
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if value.is_nan() {
        return "nan".to_string();
    }
    if value.fract() == 0.0 && value.abs() < 1e16 {
        format!("{value:.1}")
    } else {
        format!("{value}")
    }
}

/// Boolean spellings accepted by flowServ's `Bool.cast`, plus yes/no.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "t" | "true" | "y" | "yes" | "on" => Some(true),
        "" | "0" | "f" | "false" | "n" | "no" | "off" | "none" => Some(false),
        _ => None,
    }
}

/// "a mapping", "a list", … for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "empty",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a text value",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}
