//! Workers decide how a step runs. flowServ maps each container step's
//! `environment` image to a worker through a configuration file
//! (`FLOWSERV_SERIAL_WORKERS`, a list of `{image, worker, args}`), and runs
//! notebook and code steps with their own workers. This module holds that mapping
//! and dispatches a step to its worker; each worker kind lives in its own file.
//!
//! Only the subprocess worker exists so far. Adding one (docker, notebook, code)
//! means a new [`Worker`] variant or a new arm in `run_step`.

mod subprocess;

pub use subprocess::SubprocessWorker;

use super::runner::{StepContext, Stop};
use crate::error::EngineError;
use crate::workflow::{Action, Step};
use indexmap::IndexMap;
use serde_json::Value;
use std::path::Path;

/// A worker for container steps.
#[derive(Debug, Clone, PartialEq)]
pub enum Worker {
    /// Run the commands with `sh -c` on this machine (flowServ's default).
    Subprocess(SubprocessWorker),
}

impl Default for Worker {
    fn default() -> Self {
        Worker::Subprocess(SubprocessWorker::default())
    }
}

/// Which worker runs the container steps of each image.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkerConfig {
    /// For images without an entry.
    pub default: Worker,
    /// By image identifier, exactly as written in the step's `environment`.
    pub images: IndexMap<String, Worker>,
}

impl WorkerConfig {
    pub fn for_image(&self, image: &str) -> &Worker {
        self.images.get(image).unwrap_or(&self.default)
    }

    /// Read a worker configuration file (JSON or YAML), as `FLOWSERV_SERIAL_WORKERS`
    /// names it.
    pub fn load(path: &Path) -> Result<Self, EngineError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| EngineError::WorkerConfig {
            file: file.clone(),
            message: source.to_string(),
        })?;
        let value: Value =
            serde_yaml::from_str(&text).map_err(|error| EngineError::WorkerConfig {
                file: file.clone(),
                message: error.to_string(),
            })?;
        Self::parse(&value, &file)
    }

    /// Parse the user guide's format: a list of
    /// `{image, worker: subprocess, args: {env: {…}, variables: {…}}}`; `env` and
    /// `variables` may also be lists of `{key, value}`. `file` names the source in
    /// error messages.
    pub fn parse(value: &Value, file: &str) -> Result<Self, EngineError> {
        let error = |message: String| EngineError::WorkerConfig {
            file: file.to_string(),
            message,
        };
        let entries = match value {
            Value::Null => return Ok(Self::default()),
            Value::Array(entries) => entries,
            _ => {
                return Err(error(
                    "expected a list of {image, worker, args} entries".into(),
                ))
            }
        };
        let mut config = Self::default();
        for (i, entry) in entries.iter().enumerate() {
            let image = entry
                .get("image")
                .and_then(Value::as_str)
                .ok_or_else(|| error(format!("entry {}: 'image' is missing", i + 1)))?;
            let kind = entry
                .get("worker")
                .or_else(|| entry.get("type"))
                .and_then(Value::as_str)
                .unwrap_or("subprocess");
            let args = entry.get("args");
            let map = |key: &str| {
                string_map(args.and_then(|a| a.get(key)))
                    .map_err(|m| error(format!("entry {} ('{image}'): args.{key}: {m}", i + 1)))
            };
            let worker = match kind {
                "subprocess" => Worker::Subprocess(SubprocessWorker {
                    env: map("env")?,
                    variables: map("variables")?,
                }),
                other => {
                    return Err(error(format!(
                        "entry {} ('{image}'): worker type '{other}' is not supported yet; flowdesk runs steps with 'subprocess'",
                        i + 1
                    )))
                }
            };
            config.images.insert(image.to_string(), worker);
        }
        Ok(config)
    }
}

/// A mapping of names to scalar values, or a list of `{key, value}`.
fn string_map(value: Option<&Value>) -> Result<IndexMap<String, String>, String> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
        _ => None,
    };
    let mut out = IndexMap::new();
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (key, v) in map {
                let v = scalar(v).ok_or_else(|| format!("'{key}' must be a text or a number"))?;
                out.insert(key.clone(), v);
            }
        }
        Some(Value::Array(items)) => {
            for item in items {
                let key = item.get("key").and_then(Value::as_str);
                let v = item.get("value").and_then(scalar);
                match (key, v) {
                    (Some(key), Some(v)) => {
                        out.insert(key.to_string(), v);
                    }
                    _ => return Err("list entries need 'key' and 'value'".into()),
                }
            }
        }
        Some(_) => return Err("expected a mapping".into()),
    }
    Ok(out)
}

/// Run one step with the worker its action calls for.
pub(crate) async fn run_step(
    step: &Step,
    workers: &WorkerConfig,
    context: &mut StepContext<'_>,
) -> Result<(), Stop> {
    let unsupported = |kind: &'static str| {
        Err(Stop::failed(EngineError::Unsupported {
            step: step.name.clone(),
            kind,
        }))
    };
    match &step.action {
        Action::Container {
            image,
            commands,
            env,
        } => match workers.for_image(image) {
            Worker::Subprocess(worker) => worker.run(step, commands, env, context).await,
        },
        Action::Notebook { .. } => unsupported("notebook"),
        Action::Code { .. } => unsupported("code"),
        Action::Actor { parameter } => Err(Stop::failed(EngineError::UnboundActor {
            step: step.name.clone(),
            parameter: parameter.clone(),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_user_guide_format() {
        let config = WorkerConfig::parse(
            &json!([
                {"image": "a:1", "worker": "subprocess", "args": {"env": {"X": 1}, "variables": [{"key": "jar", "value": "x.jar"}]}},
                {"image": "b:2"}
            ]),
            "workers.yaml",
        )
        .unwrap();
        match config.for_image("a:1") {
            Worker::Subprocess(w) => {
                assert_eq!(w.env.get("X").map(String::as_str), Some("1"));
                assert_eq!(w.variables.get("jar").map(String::as_str), Some("x.jar"));
            }
        }
        assert_eq!(config.for_image("other"), &Worker::default());
        let error = WorkerConfig::parse(&json!([{"image": "c", "worker": "docker"}]), "w.yaml")
            .unwrap_err()
            .to_string();
        assert!(error.contains("'docker' is not supported yet"), "{error}");
        assert!(
            error.starts_with("worker configuration `w.yaml`"),
            "{error}"
        );
    }
}
