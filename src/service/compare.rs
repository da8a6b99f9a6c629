//! Comparing a run with its reproduction, when the reproduction ends: every
//! output file by key and hash, every result value exactly or within a
//! tolerance, and storing the outcome with the original run (see `reproduce`
//! for starting one). Kept apart from starting, so that finishing a run (in
//! `runs`) can compare without the two importing each other.

use super::{ServiceEvent, Shared};
use crate::error::ServiceError;
use crate::model::RunState;
use crate::store::{Outcome, RunFile};
use crate::template::ResultValue;
use serde_json::{json, Value};

/// How far a reproduced value may be from the original.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// At most this far: `0.01`.
    Absolute(f64),
    /// At most this fraction of the original's magnitude: `1%`.
    Relative(f64),
}

impl Tolerance {
    /// `0.01` or `1%`; never negative.
    pub fn parse(text: &str) -> Result<Tolerance, ServiceError> {
        let bad = || {
            ServiceError::Invalid(format!(
                "tolerance '{text}' is not a number like 0.01 or a percentage like 1%"
            ))
        };
        let text = text.trim();
        let (number, relative) = match text.strip_suffix('%') {
            Some(number) => (number.trim(), true),
            None => (text, false),
        };
        let value: f64 = number.parse().map_err(|_| bad())?;
        if !value.is_finite() || value < 0.0 {
            return Err(bad());
        }
        Ok(if relative {
            Tolerance::Relative(value / 100.0)
        } else {
            Tolerance::Absolute(value)
        })
    }

    fn allows(&self, original: f64, reproduced: f64) -> bool {
        let deviation = (original - reproduced).abs();
        match self {
            Tolerance::Absolute(limit) => deviation <= *limit,
            Tolerance::Relative(fraction) => deviation <= fraction * original.abs(),
        }
    }
}

/// When a run ends: if it reproduces another, compare and store the outcome.
pub(crate) fn after_run(shared: &Shared, run_id: &str, state: RunState) {
    let store = &shared.store;
    let pending = match store.reproduction_by(run_id) {
        Ok(Some(record)) if record.outcome.is_none() => record,
        Ok(_) => return,
        Err(e) => {
            shared.problem(
                Some(run_id),
                format!("its reproduction could not be read: {e}"),
            );
            return;
        }
    };
    let result = (|| -> Result<(), ServiceError> {
        let tolerance = pending
            .tolerance
            .as_deref()
            .map(Tolerance::parse)
            .transpose()?;
        let comparison = if state == RunState::Success {
            compare(
                &store.run_files(&pending.run_id)?,
                &store.run_files(run_id)?,
                &store.run_results(&pending.run_id)?,
                &store.run_results(run_id)?,
                tolerance,
            )
        } else {
            let messages = store.run(run_id)?.map(|r| r.messages).unwrap_or_default();
            Comparison {
                outcome: Outcome::Differs,
                max_deviation: None,
                details: vec![json!({
                    "kind": "run",
                    "name": "state",
                    "original": "SUCCESS",
                    "reproduced": state.as_str(),
                    "message": messages.join("; "),
                })],
            }
        };
        store.finish_reproduction(
            run_id,
            comparison.outcome,
            comparison.max_deviation,
            &Value::Array(comparison.details),
        )?;
        Ok(())
    })();
    if let Err(e) = result {
        shared.problem(
            Some(run_id),
            format!(
                "the comparison with run '{}' could not be stored: {e}",
                pending.run_id
            ),
        );
    }
    shared.emit(ServiceEvent::RunChanged {
        run_id: pending.run_id,
    });
}

/// The outcome of comparing a run with its reproduction.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub outcome: Outcome,
    /// The largest deviation of a numeric value, when any deviates.
    pub max_deviation: Option<f64>,
    /// One entry per file or value that differs: `{kind, name, original,
    /// reproduced, deviation?, withinTolerance?}`.
    pub details: Vec<Value>,
}

/// Compare outputs by key and hash, and values by column.
pub fn compare(
    original_files: &[RunFile],
    new_files: &[RunFile],
    original_values: &[(String, Option<ResultValue>)],
    new_values: &[(String, Option<ResultValue>)],
    tolerance: Option<Tolerance>,
) -> Comparison {
    let mut details = Vec::new();
    let mut files_differ = false;
    let mut missing = false;
    for file in original_files {
        match new_files.iter().find(|f| f.key == file.key) {
            None => {
                missing = true;
                details.push(json!({"kind": "file", "name": file.key, "original": file.sha256, "reproduced": null}));
            }
            Some(new) if new.sha256 != file.sha256 => {
                files_differ = true;
                details.push(json!({"kind": "file", "name": file.key, "original": file.sha256, "reproduced": new.sha256}));
            }
            Some(_) => {}
        }
    }
    for new in new_files {
        if !original_files.iter().any(|f| f.key == new.key) {
            files_differ = true;
            details.push(json!({"kind": "file", "name": new.key, "original": null, "reproduced": new.sha256}));
        }
    }
    let mut max_deviation: Option<f64> = None;
    let mut values_differ = false;
    let mut outside = false;
    let number = |v: &ResultValue| match v {
        ResultValue::Int(i) => Some(*i as f64),
        ResultValue::Float(f) => Some(*f),
        ResultValue::String(_) => None,
    };
    for (name, original) in original_values {
        let new = new_values
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.clone());
        if *original == new {
            continue;
        }
        values_differ = true;
        let as_json = |v: &Option<ResultValue>| match v {
            Some(ResultValue::Int(i)) => json!(i),
            Some(ResultValue::Float(f)) => json!(f),
            Some(ResultValue::String(s)) => json!(s),
            None => Value::Null,
        };
        let mut entry = json!({"kind": "value", "name": name, "original": as_json(original), "reproduced": as_json(&new)});
        match (
            original.as_ref().and_then(number),
            new.as_ref().and_then(number),
        ) {
            (Some(a), Some(b)) => {
                let deviation = (a - b).abs();
                max_deviation = Some(max_deviation.map_or(deviation, |m| m.max(deviation)));
                let within = tolerance.is_some_and(|t| t.allows(a, b));
                outside |= !within;
                entry["deviation"] = json!(deviation);
                entry["withinTolerance"] = json!(within);
            }
            _ => outside = true,
        }
        details.push(entry);
    }
    let has_values = !original_values.is_empty();
    let outcome = if missing || outside || (files_differ && !has_values) {
        Outcome::Differs
    } else if files_differ || values_differ {
        Outcome::WithinTolerance
    } else {
        Outcome::Reproduced
    };
    Comparison {
        outcome,
        max_deviation,
        details,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(key: &str, sha: &str) -> RunFile {
        RunFile {
            key: key.into(),
            path: key.into(),
            size: 1,
            sha256: sha.into(),
        }
    }

    fn score(value: f64) -> Vec<(String, Option<ResultValue>)> {
        vec![("score".into(), Some(ResultValue::Float(value)))]
    }

    #[test]
    fn tolerances_parse_and_reject_nonsense() {
        assert_eq!(Tolerance::parse("0.01").unwrap(), Tolerance::Absolute(0.01));
        assert_eq!(
            Tolerance::parse(" 2.5% ").unwrap(),
            Tolerance::Relative(0.025)
        );
        for bad in ["", "-1", "x", "1%%", "nan", "inf"] {
            assert!(Tolerance::parse(bad).is_err(), "{bad}");
        }
        assert!(Tolerance::Relative(0.1).allows(10.0, 10.9));
        assert!(!Tolerance::Relative(0.1).allows(10.0, 11.1));
    }

    #[test]
    fn outcomes_follow_files_and_values() {
        let same = compare(
            &[file("a", "1")],
            &[file("a", "1")],
            &score(0.5),
            &score(0.5),
            None,
        );
        assert_eq!(same.outcome, Outcome::Reproduced);
        assert!(same.details.is_empty());

        let noisy = compare(
            &[file("a", "1")],
            &[file("a", "2")],
            &score(0.5),
            &score(0.52),
            None,
        );
        assert_eq!(noisy.outcome, Outcome::Differs);
        assert_eq!(noisy.details.len(), 2);
        assert!((noisy.max_deviation.unwrap() - 0.02).abs() < 1e-12);

        let close = compare(
            &[file("a", "1")],
            &[file("a", "2")],
            &score(0.5),
            &score(0.52),
            Some(Tolerance::Absolute(0.05)),
        );
        assert_eq!(close.outcome, Outcome::WithinTolerance);
        assert_eq!(close.details[1]["withinTolerance"], true);

        let gone = compare(&[file("a", "1")], &[], &score(0.5), &score(0.5), None);
        assert_eq!(gone.outcome, Outcome::Differs);
        // Same values, another file: the numbers held.
        let stamped = compare(
            &[file("a", "1")],
            &[file("a", "9")],
            &score(0.5),
            &score(0.5),
            None,
        );
        assert_eq!(stamped.outcome, Outcome::WithinTolerance);
        // Without values, a different file is a difference.
        let plain = compare(&[file("a", "1")], &[file("a", "9")], &[], &[], None);
        assert_eq!(plain.outcome, Outcome::Differs);
    }
}
