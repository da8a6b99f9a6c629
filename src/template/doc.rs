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

/// Python's `str()` of a JSON value, so that `${var}` expands to what flowServ
/// would substitute: `True`, `0.5`, `10`, `1.0`, `inf`, and for lists and
/// mappings their Python form (`[1, 'a']`, `{'a': True}`).
pub fn python_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => python_repr(other),
    }
}

/// Python's `repr()` of a JSON value (strings quoted as Python quotes them).
pub fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".to_string(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::String(s) => python_string_repr(s),
        Value::Number(n) => {
            if n.is_f64() {
                python_float(n.as_f64().unwrap_or(f64::NAN))
            } else {
                n.to_string()
            }
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(python_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", python_string_repr(k), python_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Python's `repr()` of a string: single quotes unless the text holds a single
/// quote and no double quote; backslash escapes for the quote, `\\` and
/// control characters.
fn python_string_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr(float)`: the shortest text that reads back as the same
/// number, in positional notation for exponents from -4 to 15 (integral values
/// keep a `.0`) and in scientific notation (`1e+16`, `1.5e-05`) outside.
pub fn python_float(value: f64) -> String {
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if value.is_nan() {
        return "nan".to_string();
    }
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0"
        } else {
            "0.0"
        }
        .to_string();
    }
    // `{:e}` is Rust's shortest round-trip form: `-1.2345e-7`.
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exponent) {
        let point = exponent + 1;
        let text = if point <= 0 {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        } else if point as usize >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            let (whole, fraction) = digits.split_at(point as usize);
            format!("{whole}.{fraction}")
        };
        format!("{sign}{text}")
    } else {
        let (first, rest) = digits.split_at(1);
        let mantissa = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exponent.abs())
    }
}

/// Python's truth value of a JSON value (`bool(x)`): false for `None`, `False`,
/// zero, the empty string, list and mapping.
pub fn python_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// Boolean spellings accepted for template keys (`isRequired`, `sortDesc`):
/// flowServ's `Bool.cast` spellings plus yes/no.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "t" | "true" | "y" | "yes" | "on" => Some(true),
        "" | "0" | "f" | "false" | "n" | "no" | "off" | "none" => Some(false),
        _ => None,
    }
}

/// Python's `int()` of a text: surrounding whitespace, a sign, decimal digits
/// with single underscores between them.
pub fn python_int(text: &str) -> Option<i64> {
    let t = text.trim();
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if !python_digits(digits) {
        return None;
    }
    let plain: String = digits.chars().filter(|c| *c != '_').collect();
    let magnitude: i64 = plain.parse().ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

/// Python's `float()` of a text: what Rust parses, plus underscores between
/// digits; `inf`, `infinity` and `nan` in any case, with a sign.
pub fn python_float_text(text: &str) -> Option<f64> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if lower.len() - unsigned.len() > 1 {
        return None;
    }
    let negative = lower.starts_with('-');
    match unsigned {
        "inf" | "infinity" => {
            return Some(if negative {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            })
        }
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    // Underscores only between digits; Rust's parser knows no underscores.
    let bytes = unsigned.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'_' {
            let before = i > 0 && bytes[i - 1].is_ascii_digit();
            let after = bytes.get(i + 1).is_some_and(|c| c.is_ascii_digit());
            if !before || !after {
                return None;
            }
        }
    }
    if !unsigned.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let plain: String = lower.chars().filter(|c| *c != '_').collect();
    plain.parse::<f64>().ok()
}

fn python_digits(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes[0].is_ascii_digit()
        && bytes[bytes.len() - 1].is_ascii_digit()
        && bytes.iter().all(|b| b.is_ascii_digit() || *b == b'_')
        && !text.contains("__")
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_print_as_python_prints_them() {
        for (value, text) in [
            (1.0, "1.0"),
            (0.5, "0.5"),
            (-2.25, "-2.25"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345.6, "123456789012345.6"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e100, "1e+100"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-0.0, "-0.0"),
            (f64::INFINITY, "inf"),
            (f64::NAN, "nan"),
        ] {
            assert_eq!(python_float(value), text, "{value}");
        }
    }

    #[test]
    fn values_print_as_python_str_and_repr() {
        let value = json!({"a": [1, 2.0, true, null], "b": "it's", "c": "x\"y'z\n"});
        assert_eq!(
            python_str(&value),
            r#"{'a': [1, 2.0, True, None], 'b': "it's", 'c': 'x"y\'z\n'}"#
        );
        assert_eq!(python_str(&json!("plain")), "plain");
        assert_eq!(python_repr(&json!("plain")), "'plain'");
    }

    #[test]
    fn numbers_parse_as_python_int_and_float() {
        assert_eq!(python_int(" -1_000 "), Some(-1000));
        assert_eq!(python_int("+7"), Some(7));
        for bad in ["1.0", "1_", "_1", "1__0", "", "-", "0x1"] {
            assert_eq!(python_int(bad), None, "{bad}");
        }
        assert_eq!(python_float_text("1_0.5e1"), Some(105.0));
        assert_eq!(python_float_text(" -Infinity"), Some(f64::NEG_INFINITY));
        assert!(python_float_text("NaN").unwrap().is_nan());
        assert_eq!(python_float_text(".5"), Some(0.5));
        for bad in ["1,5", "--1", "e5", "1_.5", "inf_", ""] {
            assert_eq!(python_float_text(bad), None, "{bad}");
        }
        assert!(!python_truthy(&json!(0.0)) && python_truthy(&json!([0])));
    }
}
