//! How paths appear in messages meant for people.

use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;

/// A path for messages: printable text as it is, control characters escaped
/// (`\n`, `\u{1b}`) and other bytes as `\xNN`, so that a hostile file name
/// cannot break a message into lines or send terminal escapes.
pub fn shown(path: &Path) -> String {
    match path.to_str() {
        Some(text) if !text.chars().any(char::is_control) => text.to_string(),
        Some(text) => text
            .chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
        None => path.as_os_str().as_bytes().escape_ascii().to_string(),
    }
}
