//! The papermill command line, built in one place for both notebook workers:
//! `notebook` runs it on this machine, `nbdocker` inside a container. The
//! parameters are the step's `params` looked up in the workflow variables and
//! passed so that the notebook gets exactly the workflow's values.

use super::super::step::{StepContext, Stop};
use super::shell_quote;
use crate::error::EngineError;
use crate::template::doc::python_str;
use crate::workflow::{Action, Step};
use serde_json::{Map, Value};

/// papermill does not create the output notebook's folder.
pub(super) fn prepare_output(
    step: &Step,
    output: &str,
    context: &StepContext<'_, '_>,
) -> Result<(), Stop> {
    if let Some(parent) = context.run_dir.join(output).parent() {
        std::fs::create_dir_all(parent).map_err(|source| {
            Stop::failed(EngineError::StepFile {
                step: step.name.clone(),
                path: parent.to_path_buf(),
                source,
            })
        })?;
    }
    Ok(())
}

/// The values of the step's `params` that the workflow has, in `params` order.
pub(super) fn parameters(action: &Action, variables: &Map<String, Value>) -> Vec<(String, Value)> {
    let Action::Notebook {
        params,
        variables: names,
        ..
    } = action
    else {
        return Vec::new();
    };
    params
        .iter()
        .filter_map(|param| {
            let source = names.get(param).unwrap_or(param);
            variables.get(source).map(|v| (param.clone(), v.clone()))
        })
        .collect()
}

/// `<papermill> <in> <out> --no-progress-bar --log-output -p name value …` as a
/// shell command line. The progress bar is off because it redraws one line with
/// carriage returns, which reads badly in a log; `--log-output` puts the
/// notebook's own output into the run's log as it runs.
pub(super) fn command_line(
    papermill: &str,
    notebook: &str,
    output: &str,
    parameters: &[(String, Value)],
) -> String {
    let mut line = format!(
        "{papermill} {} {} --no-progress-bar --log-output",
        shell_quote(notebook),
        shell_quote(output)
    );
    for arg in parameter_args(parameters) {
        line.push(' ');
        line.push_str(&shell_quote(&arg));
    }
    line
}

/// papermill's `-p name value` turns `True`, `None`, `12` or `1.5` into
/// booleans, None and numbers. Values it would read back as something else (a
/// text that looks like a number, a list, null) go as `-y '{"name": <JSON>}'`
/// instead, so the notebook gets exactly the workflow's value.
pub(super) fn parameter_args(parameters: &[(String, Value)]) -> Vec<String> {
    let mut args = Vec::new();
    for (name, value) in parameters {
        let plain = match value {
            Value::Bool(_) => Some(python_str(value)),
            Value::Number(n) => {
                let text = python_str(value);
                // A float written without a point would come back as an int.
                let float_kept = !n.is_f64()
                    || text.contains(['.', 'e', 'E'])
                    || text.ends_with("inf")
                    || text == "nan";
                float_kept.then_some(text)
            }
            Value::String(s) if stays_text(s) => Some(s.clone()),
            _ => None,
        };
        match plain {
            Some(text) => args.extend(["-p".to_string(), name.clone(), text]),
            None => {
                let document = format!("{{{}: {}}}", Value::String(name.clone()), yaml(value));
                args.extend(["-y".to_string(), document]);
            }
        }
    }
    args
}

/// `value` as JSON that PyYAML (YAML 1.1) reads back the same: JSON, except that
/// floats need a point and a signed exponent (`1.0e+20`, not `1e20`).
fn yaml(value: &Value) -> String {
    match value {
        Value::Number(n) if n.is_f64() => {
            let text = n.to_string();
            match text.split_once(['e', 'E']) {
                Some((mantissa, exponent)) => {
                    let point = if mantissa.contains('.') { "" } else { ".0" };
                    let sign = if exponent.starts_with(['+', '-']) {
                        ""
                    } else {
                        "+"
                    };
                    format!("{mantissa}{point}e{sign}{exponent}")
                }
                None if text.contains('.') => text,
                None => format!("{text}.0"),
            }
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(yaml).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), yaml(v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        other => other.to_string(),
    }
}

/// Whether papermill keeps `text` a string (its `_resolve_type` tries `True`,
/// `False`, `None`, `int()` and `float()` first).
fn stays_text(text: &str) -> bool {
    if matches!(text, "True" | "False" | "None") {
        return false;
    }
    let word = text
        .trim()
        .trim_start_matches(['+', '-'])
        .to_ascii_lowercase();
    if matches!(word.as_str(), "nan" | "inf" | "infinity") {
        return false;
    }
    // int()/float() accept only digits, signs, points, underscores, exponents and
    // surrounding white space (non-ASCII digits included); anything else makes
    // the text a text.
    text.chars().any(|c| {
        c.is_ascii() && !(c.is_ascii_digit() || "+-._eE".contains(c) || c.is_ascii_whitespace())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parameters_keep_their_types() {
        let params: Vec<(String, Value)> = [
            ("n", json!(3)),
            ("x", json!(1.0)),
            ("big", json!(1e20)),
            ("flag", json!(true)),
            ("name", json!("Alice")),
            ("code", json!("007")),
            ("word", json!("None")),
            ("items", json!([1, 2.5, {"a": 1e-7}])),
            ("nothing", json!(null)),
            ("e", json!("e")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(
            parameter_args(&params),
            [
                "-p",
                "n",
                "3",
                "-p",
                "x",
                "1.0",
                "-p",
                "big",
                "1e+20",
                "-p",
                "flag",
                "True",
                "-p",
                "name",
                "Alice",
                "-y",
                "{\"code\": \"007\"}",
                "-y",
                "{\"word\": \"None\"}",
                "-y",
                "{\"items\": [1, 2.5, {\"a\": 1.0e-7}]}",
                "-y",
                "{\"nothing\": null}",
                "-y",
                "{\"e\": \"e\"}",
            ]
        );
    }

    #[test]
    fn builds_the_papermill_command_line() {
        let action = Action::Notebook {
            notebook: "notebooks/a.ipynb".into(),
            output: "results/a out.ipynb".into(),
            params: vec!["greeting".into(), "count".into(), "missing".into()],
            requirements: vec![],
            variables: [("count".to_string(), "n".to_string())]
                .into_iter()
                .collect(),
        };
        let variables = json!({"greeting": "Hi there", "n": 2})
            .as_object()
            .cloned()
            .unwrap();
        let parameters = parameters(&action, &variables);
        assert_eq!(
            command_line("papermill", "notebooks/a.ipynb", "results/a out.ipynb", &parameters),
            "papermill notebooks/a.ipynb 'results/a out.ipynb' --no-progress-bar --log-output -p greeting 'Hi there' -p count 2"
        );
    }
}
