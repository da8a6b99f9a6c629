//! One way to show values, shared by the GUI and the CLI so that both show the
//! same run the same way: result values for display (short floats, "–" for a
//! missing value), human durations (`0.2 s`, `1 min 12 s`), timestamps, and the
//! full-precision forms that exports write (CSV cells, JSON numbers; the files
//! themselves are written in `export.rs`).

use crate::template::{python_float, Parameter, ResultValue};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// Shown for a value that is missing.
pub const NO_VALUE: &str = "–";

/// A result value for a table cell or a line of text.
pub fn value_text(value: Option<&ResultValue>) -> String {
    match value {
        None => NO_VALUE.to_string(),
        Some(ResultValue::Int(i)) => i.to_string(),
        Some(ResultValue::Float(f)) => float_text(*f),
        Some(ResultValue::String(s)) => s.clone(),
    }
}

/// A float for display: up to four decimals without trailing zeros; very small
/// and very large magnitudes in scientific notation, so that 1e-7 does not show
/// as 0.
pub fn float_text(value: f64) -> String {
    if !value.is_finite() {
        return python_float(value);
    }
    let magnitude = value.abs();
    if magnitude != 0.0 && !(1e-3..1e15).contains(&magnitude) {
        let text = format!("{value:.3e}");
        return match text.split_once('e') {
            Some((mantissa, exponent)) if mantissa.contains('.') => format!(
                "{}e{exponent}",
                mantissa.trim_end_matches('0').trim_end_matches('.')
            ),
            _ => text,
        };
    }
    if value.fract() == 0.0 {
        return format!("{value:.0}");
    }
    let text = format!("{value:.4}");
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Argument names as (name, label), in the order of the form: the declared
/// parameters first, then any names the template does not declare (any
/// more), sorted, labelled by their name.
pub fn argument_labels<'a>(
    names: impl IntoIterator<Item = &'a str>,
    parameters: &'a [Parameter],
) -> Vec<(&'a str, &'a str)> {
    let mut names: Vec<&str> = names.into_iter().collect();
    names.sort_unstable();
    names.dedup();
    let mut lines: Vec<(&str, &str)> = parameters
        .iter()
        .filter(|p| names.binary_search(&p.name.as_str()).is_ok())
        .map(|p| (p.name.as_str(), p.label.as_str()))
        .collect();
    lines.extend(
        names
            .into_iter()
            .filter(|name| !parameters.iter().any(|p| p.name == *name))
            .map(|name| (name, name)),
    );
    lines
}

/// An argument of a run for people: a file argument (`{"value": path-or-id,
/// "as": target}`) as its file name and where it goes, not as JSON; anything
/// else as the template language shows values.
pub fn argument_text(value: &Value) -> String {
    if let Some(file) = value.get("value").and_then(Value::as_str) {
        let name = std::path::Path::new(file)
            .file_name()
            .map_or_else(|| file.to_string(), |n| n.to_string_lossy().into_owned());
        return match value.get("as").and_then(Value::as_str) {
            Some(target) if !target.is_empty() && target != name => format!("{name} as {target}"),
            _ => name,
        };
    }
    crate::template::spec::display_value(value)
}

/// How many decimals a table column of these values needs so that every
/// value keeps what [`float_text`] would show of it (at most four), and all of
/// them line up at the decimal point when right-aligned. Values shown in
/// scientific notation, integers and text need none.
pub fn column_decimals<'a>(values: impl IntoIterator<Item = Option<&'a ResultValue>>) -> usize {
    values
        .into_iter()
        .filter_map(|value| match value {
            Some(ResultValue::Float(f)) => Some(float_text(*f)),
            _ => None,
        })
        .filter(|text| !text.contains('e'))
        .map(|text| {
            text.split_once('.')
                .map_or(0, |(_, fraction)| fraction.len())
        })
        .max()
        .unwrap_or(0)
}

/// A result value for a column whose values show `decimals` decimals (see
/// [`column_decimals`]): a float in fixed notation is padded to them, the
/// rest shows as [`value_text`] does.
pub fn value_text_in_column(value: Option<&ResultValue>, decimals: usize) -> String {
    match value {
        Some(ResultValue::Float(f)) => {
            let text = float_text(*f);
            if text.contains('e') || !f.is_finite() {
                text
            } else {
                format!("{f:.decimals$}")
            }
        }
        other => value_text(other),
    }
}

/// A duration in seconds for people: `0.2 s`, `12.0 s`, `1 min 12 s`, `2 h 5 min`.
pub fn duration_text(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return NO_VALUE.to_string();
    }
    if seconds < 60.0 {
        return format!("{seconds:.1} s");
    }
    let whole = seconds.round() as u64;
    let (hours, minutes, secs) = (whole / 3600, (whole % 3600) / 60, whole % 60);
    if hours > 0 {
        format!("{hours} h {minutes} min")
    } else {
        format!("{minutes} min {secs} s")
    }
}

/// An optional duration; `NO_VALUE` when the run has not finished.
pub fn optional_duration(seconds: Option<f64>) -> String {
    seconds
        .map(duration_text)
        .unwrap_or_else(|| NO_VALUE.into())
}

/// A file size for people: `512 bytes`, `3.4 KB`, `1.2 MB` (powers of 1000).
pub fn size_text(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `1 run`, `3 runs`: a count with its noun, never "run(s)".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `1st`, `2nd`, `3rd`, `4th`, … `11th`, `12th`, `13th`, `21st`.
pub fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// A timestamp for people: UTC, to the second.
pub fn time_text(time: &DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A run set's column: `mean ± std (n=5)`; `mean (n=1)` without a standard
/// deviation (a single value).
pub fn spread_text(mean: f64, std: Option<f64>, n: usize) -> String {
    match std {
        Some(std) => format!("{} ± {} (n={n})", float_text(mean), float_text(std)),
        None => format!("{} (n={n})", float_text(mean)),
    }
}

/// A SHA-256 (or any hash) for a table cell: its first 12 characters.
pub fn short_hash(hash: &str) -> &str {
    match hash.char_indices().nth(12) {
        Some((end, _)) => &hash[..end],
        None => hash,
    }
}

/// A result value as JSON, at full precision (a float that JSON cannot hold,
/// such as infinity, as Python writes it).
pub fn value_json(value: &ResultValue) -> Value {
    match value {
        ResultValue::Int(i) => Value::from(*i),
        ResultValue::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(python_float(*f))),
        ResultValue::String(s) => Value::String(s.clone()),
    }
}

/// A result value as a CSV cell, at full precision; empty when missing.
pub fn value_csv(value: Option<&ResultValue>) -> String {
    match value {
        None => String::new(),
        Some(ResultValue::Int(i)) => i.to_string(),
        Some(ResultValue::Float(f)) => python_float(*f),
        Some(ResultValue::String(s)) => s.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_come_in_form_order_then_undeclared_ones_by_name() {
        let parameters: Vec<Parameter> = [("names", "Input file"), ("sleeptime", "Sleep period")]
            .iter()
            .enumerate()
            .map(|(i, (name, label))| {
                let doc = serde_json::json!({"name": name, "label": label, "dtype": "string"});
                Parameter::from_value(&doc, "parameters", i).unwrap()
            })
            .collect();
        let names = ["zeta", "sleeptime", "names", "alpha", "sleeptime"];
        assert_eq!(
            argument_labels(names, &parameters),
            [
                ("names", "Input file"),
                ("sleeptime", "Sleep period"),
                ("alpha", "alpha"),
                ("zeta", "zeta"),
            ]
        );
    }

    #[test]
    fn a_file_argument_shows_as_its_file_name() {
        let file =
            serde_json::json!({"value": "/home/ana/data/my names.txt", "as": "data/names.txt"});
        assert_eq!(argument_text(&file), "my names.txt as data/names.txt");
        let same = serde_json::json!({"value": "/tmp/names.txt", "as": "names.txt"});
        assert_eq!(argument_text(&same), "names.txt");
        assert_eq!(
            argument_text(&serde_json::json!("data/names.txt")),
            "data/names.txt"
        );
        assert_eq!(argument_text(&serde_json::json!(3)), "3");
    }

    #[test]
    fn a_column_shows_the_decimals_its_values_need_and_lines_them_up() {
        let values = [
            ResultValue::Float(0.5),
            ResultValue::Float(12.25),
            ResultValue::Float(3.0),
            ResultValue::Float(1.5e-7),
            ResultValue::Int(7),
        ];
        let decimals = column_decimals(values.iter().map(Some).chain([None]));
        assert_eq!(decimals, 2);
        let shown: Vec<String> = values
            .iter()
            .map(|v| value_text_in_column(Some(v), decimals))
            .collect();
        assert_eq!(shown, ["0.50", "12.25", "3.00", "1.5e-7", "7"]);
        assert_eq!(value_text_in_column(None, decimals), NO_VALUE);
        // Never more than float_text shows.
        assert_eq!(column_decimals([Some(&ResultValue::Float(1.0 / 3.0))]), 4);
        assert_eq!(column_decimals([Some(&ResultValue::Int(3))]), 0);
    }

    #[test]
    fn floats_show_short_but_never_lose_a_small_value() {
        assert_eq!(float_text(12.375), "12.375");
        assert_eq!(float_text(0.96), "0.96");
        assert_eq!(float_text(1.0 / 3.0), "0.3333");
        assert_eq!(float_text(5.0), "5");
        assert_eq!(float_text(1e-7), "1e-7");
        assert_eq!(float_text(-2.5e-5), "-2.5e-5");
        assert_eq!(float_text(0.0), "0");
        assert_eq!(float_text(f64::INFINITY), "inf");
        assert_eq!(value_text(None), NO_VALUE);
        assert_eq!(value_text(Some(&ResultValue::Int(16))), "16");
    }

    #[test]
    fn run_set_spreads_read_as_mean_std_and_count() {
        assert_eq!(spread_text(3.25, Some(0.01), 3), "3.25 ± 0.01 (n=3)");
        assert_eq!(spread_text(2.0, None, 1), "2 (n=1)");
        assert_eq!(short_hash("0123456789abcdef"), "0123456789ab");
        assert_eq!(short_hash("abc"), "abc");
    }

    #[test]
    fn durations_read_like_people_say_them() {
        assert_eq!(duration_text(0.219674), "0.2 s");
        assert_eq!(duration_text(12.04), "12.0 s");
        assert_eq!(duration_text(72.0), "1 min 12 s");
        assert_eq!(duration_text(7500.0), "2 h 5 min");
        assert_eq!(optional_duration(None), NO_VALUE);
    }
}
