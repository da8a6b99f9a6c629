//! `${var}` / `$var` substitution in step commands, with the rules of Python's
//! `string.Template.safe_substitute` that flowServ's workers use: `$$` is a literal
//! `$`, identifiers are ASCII letters, digits and underscores not starting with a
//! digit, and a placeholder without a value is left as written (so the shell can
//! still expand its own variables such as `$HOME`).

use crate::template::doc::python_str;
use serde_json::{Map, Value};

/// Substitute the variables of `text`.
pub fn substitute(text: &str, variables: &Map<String, Value>) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut literal_start = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        out.push_str(&text[literal_start..i]);
        let rest = &text[i + 1..];
        if rest.starts_with('$') {
            out.push('$');
            i += 2;
        } else if let Some(inner) = rest.strip_prefix('{') {
            let len = identifier_len(inner);
            if len > 0 && inner[len..].starts_with('}') {
                let name = &inner[..len];
                match variables.get(name) {
                    Some(value) => out.push_str(&python_str(value)),
                    None => out.push_str(&text[i..i + 3 + len]),
                }
                i += 3 + len;
            } else {
                out.push('$');
                i += 1;
            }
        } else {
            let len = identifier_len(rest);
            if len > 0 {
                let name = &rest[..len];
                match variables.get(name) {
                    Some(value) => out.push_str(&python_str(value)),
                    None => out.push_str(&text[i..i + 1 + len]),
                }
                i += 1 + len;
            } else {
                out.push('$');
                i += 1;
            }
        }
        literal_start = i;
    }
    out.push_str(&text[literal_start..]);
    out
}

/// The names of all placeholders in `text` (flowServ's `placeholders`).
pub fn placeholders(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        let rest = &text[i + 1..];
        if rest.starts_with('$') {
            i += 2;
            continue;
        }
        let (inner, skip) = match rest.strip_prefix('{') {
            Some(inner) => (inner, 2),
            None => (rest, 1),
        };
        let len = identifier_len(inner);
        if len > 0 && (skip == 1 || inner[len..].starts_with('}')) {
            let name = inner[..len].to_string();
            if !names.contains(&name) {
                names.push(name);
            }
        }
        i += if len > 0 { skip + len } else { 1 };
    }
    names
}

fn identifier_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    match bytes.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {}
        _ => return 0,
    }
    bytes
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars() -> Map<String, Value> {
        json!({"python": "/usr/bin/python3", "n": 10, "f": 1.0, "b": true, "name": "x y"})
            .as_object()
            .cloned()
            .unwrap()
    }

    #[test]
    fn substitutes_like_python_string_template() {
        let v = vars();
        assert_eq!(
            substitute("${python} run.py", &v),
            "/usr/bin/python3 run.py"
        );
        assert_eq!(substitute("$python -n $n", &v), "/usr/bin/python3 -n 10");
        assert_eq!(substitute("--f ${f} --b $b", &v), "--f 1.0 --b True");
        assert_eq!(substitute("cost $$5 and $$n", &v), "cost $5 and $n");
        assert_eq!(substitute("\"${name}\"", &v), "\"x y\"");
        assert_eq!(substitute("${n}px", &v), "10px");
        assert_eq!(substitute("$npx", &v), "$npx");
    }

    #[test]
    fn unknown_and_invalid_placeholders_stay() {
        let v = vars();
        assert_eq!(substitute("echo $HOME ${USER}", &v), "echo $HOME ${USER}");
        assert_eq!(substitute("a $ b $1 ${ n} ${n", &v), "a $ b $1 ${ n} ${n");
        assert_eq!(substitute("trailing $", &v), "trailing $");
        assert_eq!(substitute("ünïcode $n ✓", &v), "ünïcode 10 ✓");
    }

    #[test]
    fn lists_placeholders() {
        assert_eq!(placeholders("$a ${b} $$c $a $1"), vec!["a", "b"]);
    }
}
