//! `${var}` / `$var` substitution in step commands, as flowserv-core 0.9.4's
//! container workers do it: Python's `string.Template.substitute` over the
//! workflow variables, where every placeholder flowServ finds in the command
//! (its `placeholders()`) that is not a variable stands for its own name. So
//! `${HOME}` becomes `HOME`, and `$$` is a literal `$`.
//!
//! Where flowServ gives up — a `$` not followed by a name (`$(…)`, `$1`, a
//! final `$`), or a `$name` that is not a variable and is glued to more text
//! (`$HOME/x`) — flowServ fails the run (`ValueError` / `KeyError`); flowdesk
//! leaves that `$` in the command for the shell. That is one of the listed
//! differences (`compat::DIFFERENCES`, `shell-dollar`).

use crate::template::doc::python_str;
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Substitute the variables of `text`.
pub fn substitute(text: &str, variables: &Map<String, Value>) -> String {
    let own_names = placeholders(text);
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
        let value = |name: &str| -> Option<String> {
            match variables.get(name) {
                Some(value) => Some(python_str(value)),
                None if own_names.contains(name) => Some(name.to_string()),
                None => None,
            }
        };
        if rest.starts_with('$') {
            out.push('$');
            i += 2;
        } else if let Some(inner) = rest.strip_prefix('{') {
            let len = identifier_len(inner);
            let closed = len > 0 && inner[len..].starts_with('}');
            match closed.then(|| value(&inner[..len])).flatten() {
                Some(v) => {
                    out.push_str(&v);
                    i += 3 + len;
                }
                None => {
                    out.push('$');
                    i += 1;
                }
            }
        } else {
            let len = identifier_len(rest);
            match (len > 0).then(|| value(&rest[..len])).flatten() {
                Some(v) => {
                    out.push_str(&v);
                    i += 1 + len;
                }
                None => {
                    // Not substitutable: the `$` and the name stay for the shell.
                    out.push_str(&text[i..i + 1 + len]);
                    i += 1 + len;
                }
            }
        }
        literal_start = i;
    }
    out.push_str(&text[literal_start..]);
    out
}

/// The names flowServ's `placeholders()` finds in a command: after removing
/// every `$$`, the text after each `$` up to the next `}` when it starts with
/// `{`, else up to the next whitespace. A `$name` only stands for its own name
/// when the whole whitespace-delimited word is that name.
pub fn placeholders(text: &str) -> HashSet<String> {
    let text = text.replace("$$", "");
    let mut names = HashSet::new();
    let mut rest = text.as_str();
    while let Some(pos) = rest.find('$') {
        rest = &rest[pos + 1..];
        if let Some(inner) = rest.strip_prefix('{') {
            // Python's `text[1:text.find('}')]`, where -1 drops the last character.
            let name = match inner.find('}') {
                Some(end) => &inner[..end],
                None => inner.get(..inner.len().saturating_sub(1)).unwrap_or(""),
            };
            names.insert(name.to_string());
        } else if let Some(word) = rest.split_whitespace().next() {
            names.insert(word.to_string());
        } else {
            // flowServ raises an IndexError here; nothing more to find.
            break;
        }
    }
    names
}

/// Length of the Python identifier (`[_a-zA-Z][_a-zA-Z0-9]*`) at the start.
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
        json!({"python": "/usr/bin/python3", "n": 10, "f": 1.0, "b": true, "name": "x y", "l": [1, "a"]})
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
        assert_eq!(substitute("$n/x", &v), "10/x");
        assert_eq!(substitute("${l}", &v), "[1, 'a']");
    }

    #[test]
    fn unknown_placeholders_stand_for_their_name_as_in_flowserv() {
        let v = vars();
        assert_eq!(substitute("echo ${HOME} $USER", &v), "echo HOME USER");
        assert_eq!(substitute("$npx", &v), "npx");
    }

    #[test]
    fn what_flowserv_cannot_substitute_stays_for_the_shell() {
        let v = vars();
        assert_eq!(substitute("echo $HOME/x", &v), "echo $HOME/x");
        assert_eq!(substitute("a $ b $1 ${ n} ${n", &v), "a $ b $1 ${ n} ${n");
        assert_eq!(substitute("for i in $(seq 3)", &v), "for i in $(seq 3)");
        assert_eq!(substitute("trailing $", &v), "trailing $");
        assert_eq!(substitute("ünïcode $n ✓", &v), "ünïcode 10 ✓");
    }

    #[test]
    fn finds_placeholders_as_flowserv_does() {
        let found = placeholders("$a ${b} $$c $a $1 $x/y");
        let mut found: Vec<_> = found.into_iter().collect();
        found.sort();
        assert_eq!(found, vec!["1", "a", "b", "x/y"]);
    }
}
