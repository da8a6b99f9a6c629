//! The worker configuration: which worker runs which step. flowServ knows two
//! shapes of it, and templates written for flowServ come with either, so both
//! are read into one [`WorkerConfig`]:
//!
//! - the user guide's list (section 5.3.1), keyed by container image:
//!   `[{image, worker: subprocess|docker, args: {variables, env}}]`;
//! - the engine configuration of `flowserv.controller.worker.manager`: worker
//!   specs `workers: [{name, type, vars|variables, env, volume}]` plus
//!   `workflow: {<step name or image>: <worker name>}`.
//!
//! Parsing happens before any run starts, so a wrong entry is reported by its
//! position (`workers[1]: unknown type 'dockr'`) instead of failing a run later.
//! flowdesk adds two optional keys to a worker: `timeout` (seconds a step of that
//! worker may run) and, for `nbdocker`, `image` (a ready image with papermill,
//! instead of the one flowdesk builds).

use crate::error::EngineError;
use crate::workflow::{Action, Step};
use indexmap::IndexMap;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// The kinds of worker flowServ defines (`type` of a worker spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerKind {
    /// Container steps as shell commands on this machine.
    Subprocess,
    /// Container steps inside `docker run` of the step's image.
    Docker,
    /// Code steps (`func`) in the configured Python interpreter.
    Code,
    /// Notebook steps with papermill on this machine.
    Notebook,
    /// Notebook steps with papermill inside a container.
    NbDocker,
}

impl WorkerKind {
    pub const ALL: [WorkerKind; 5] = [
        WorkerKind::Subprocess,
        WorkerKind::Docker,
        WorkerKind::Code,
        WorkerKind::Notebook,
        WorkerKind::NbDocker,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WorkerKind::Subprocess => "subprocess",
            WorkerKind::Docker => "docker",
            WorkerKind::Code => "code",
            WorkerKind::Notebook => "notebook",
            WorkerKind::NbDocker => "nbdocker",
        }
    }

    fn parse(text: &str) -> Option<WorkerKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether a worker of this kind can run `action`.
    pub fn runs(self, action: &Action) -> bool {
        match action {
            Action::Container { .. } => {
                matches!(self, WorkerKind::Subprocess | WorkerKind::Docker)
            }
            Action::Notebook { .. } => matches!(self, WorkerKind::Notebook | WorkerKind::NbDocker),
            Action::Code { .. } => self == WorkerKind::Code,
            Action::Actor { .. } => false,
        }
    }
}

/// One configured worker.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerSpec {
    /// Its name in the `workflow` mapping; in the list form, the image.
    pub name: String,
    pub kind: WorkerKind,
    /// Extra `${var}` values for the commands of container steps. As in
    /// flowServ they are fixed: they win over workflow variables of the same name.
    pub variables: IndexMap<String, String>,
    /// Environment variables for the step's processes (or container); the run's
    /// and the step's own `env` override them.
    pub env: IndexMap<String, String>,
    /// flowServ's storage volume; flowdesk runs every step in the run folder, so
    /// it is kept only to show it.
    pub volume: Option<String>,
    /// How long one step of this worker may run; overrides the engine's limit.
    pub timeout: Option<Duration>,
    /// `nbdocker` only: run papermill in this image instead of building one.
    pub image: Option<String>,
}

impl WorkerSpec {
    fn new(name: String, kind: WorkerKind) -> Self {
        WorkerSpec {
            name,
            kind,
            variables: IndexMap::new(),
            env: IndexMap::new(),
            volume: None,
            timeout: None,
            image: None,
        }
    }
}

/// Which worker runs each step. Steps without an entry use the default worker of
/// their kind: the shell for container steps, local papermill for notebooks, the
/// Python interpreter for code.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkerConfig {
    pub workers: Vec<WorkerSpec>,
    /// Step name or container image → index into `workers`.
    pub assignments: IndexMap<String, usize>,
}

impl WorkerConfig {
    /// The configured worker of `step`: by step name first (flowServ's
    /// `workflow` mapping), then by the image of a container step. `None` means
    /// the default worker.
    pub fn for_step(&self, step: &Step) -> Option<&WorkerSpec> {
        let by_name = self.assignments.get(&step.name);
        let by_image = match &step.action {
            Action::Container { image, .. } => self.assignments.get(image),
            _ => None,
        };
        by_name.or(by_image).and_then(|i| self.workers.get(*i))
    }

    /// The worker configured for `key` (step name or image).
    pub fn assigned(&self, key: &str) -> Option<&WorkerSpec> {
        self.assignments.get(key).and_then(|i| self.workers.get(*i))
    }

    /// Read a worker configuration file (JSON or YAML), as `FLOWSERV_SERIAL_WORKERS`
    /// names it.
    pub fn load(path: &Path) -> Result<Self, EngineError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| EngineError::WorkerConfig {
            file: file.clone(),
            message: source.to_string(),
        })?;
        // YAML is a superset of JSON, so one parser reads both.
        let value: Value =
            serde_yaml::from_str(&text).map_err(|error| EngineError::WorkerConfig {
                file: file.clone(),
                message: error.to_string(),
            })?;
        Self::parse(&value, &file)
    }

    /// Parse either form; `file` names the source in error messages.
    pub fn parse(value: &Value, file: &str) -> Result<Self, EngineError> {
        let result = match value {
            Value::Null => Ok(Self::default()),
            Value::Array(entries) => parse_list(entries),
            Value::Object(map) => parse_mapping(map),
            _ => Err("expected a list of {image, worker, args} entries or a mapping with 'workers' and 'workflow'".to_string()),
        };
        result.map_err(|message| EngineError::WorkerConfig {
            file: file.to_string(),
            message,
        })
    }
}

/// The user guide's list of `{image, worker, args}`.
fn parse_list(entries: &[Value]) -> Result<WorkerConfig, String> {
    let mut config = WorkerConfig::default();
    for (i, entry) in entries.iter().enumerate() {
        let map = entry
            .as_object()
            .ok_or_else(|| format!("[{i}]: expected a mapping with 'image' and 'worker'"))?;
        let image = map
            .get("image")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("[{i}]: 'image' is missing"))?;
        let at = format!("[{i}] (image '{image}')");
        check_keys(map, &["image", "worker", "type", "args", "timeout"], &at)?;
        let kind_name = map
            .get("worker")
            .or_else(|| map.get("type"))
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| format!("{at}: 'worker' must be a text"))
            })
            .transpose()?
            .unwrap_or("subprocess");
        let kind = parse_kind(kind_name, &at)?;
        if !matches!(kind, WorkerKind::Subprocess | WorkerKind::Docker) {
            return Err(format!(
                "{at}: a '{kind_name}' worker does not run container steps; assign it to steps by name in the 'workers' + 'workflow' form"
            ));
        }
        let mut spec = WorkerSpec::new(image.to_string(), kind);
        if let Some(args) = map.get("args").filter(|a| !a.is_null()) {
            let args = args
                .as_object()
                .ok_or_else(|| format!("{at}: 'args' must be a mapping"))?;
            check_keys(
                args,
                &["variables", "vars", "env", "timeout"],
                &format!("{at}: args"),
            )?;
            spec.variables = key_values(
                args.get("variables").or_else(|| args.get("vars")),
                &format!("{at}: args.variables"),
            )?;
            spec.env = key_values(args.get("env"), &format!("{at}: args.env"))?;
            spec.timeout = timeout(args.get("timeout"), &format!("{at}: args.timeout"))?;
        }
        if let Some(t) = timeout(map.get("timeout"), &format!("{at}: timeout"))? {
            spec.timeout = Some(t);
        }
        if config.assignments.contains_key(image) {
            return Err(format!("{at}: the image is listed twice"));
        }
        config
            .assignments
            .insert(image.to_string(), config.workers.len());
        config.workers.push(spec);
    }
    Ok(config)
}

/// The engine configuration: `workers` specs and the `workflow` assignment.
fn parse_mapping(map: &serde_json::Map<String, Value>) -> Result<WorkerConfig, String> {
    // `volumes` belongs to flowServ's engine configuration too; flowdesk has one
    // run folder per run, so it is accepted and not used.
    check_keys(
        map,
        &["workers", "workflow", "volumes"],
        "the configuration",
    )?;
    let mut config = WorkerConfig::default();
    let specs = match map.get("workers") {
        None | Some(Value::Null) => &Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => return Err("'workers' must be a list of worker specs".to_string()),
    };
    for (i, item) in specs.iter().enumerate() {
        let at = format!("workers[{i}]");
        let spec = item
            .as_object()
            .ok_or_else(|| format!("{at}: expected a mapping with 'name' and 'type'"))?;
        check_keys(
            spec,
            &[
                "name",
                "type",
                "vars",
                "variables",
                "env",
                "volume",
                "timeout",
                "image",
            ],
            &at,
        )?;
        let name = spec
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{at}: 'name' is missing"))?;
        let kind_name = spec
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{at} ('{name}'): 'type' is missing"))?;
        let kind = parse_kind(kind_name, &at)?;
        if config.workers.iter().any(|w| w.name == name) {
            return Err(format!("{at}: the worker name '{name}' is used twice"));
        }
        let mut worker = WorkerSpec::new(name.to_string(), kind);
        worker.variables = key_values(
            spec.get("vars").or_else(|| spec.get("variables")),
            &format!("{at}: vars"),
        )?;
        worker.env = key_values(spec.get("env"), &format!("{at}: env"))?;
        worker.volume = optional_text(spec.get("volume"), &format!("{at}: volume"))?;
        worker.timeout = timeout(spec.get("timeout"), &format!("{at}: timeout"))?;
        worker.image = optional_text(spec.get("image"), &format!("{at}: image"))?;
        if worker.image.is_some() && kind != WorkerKind::NbDocker {
            return Err(format!(
                "{at}: 'image' is only for 'nbdocker' workers; a '{kind_name}' worker uses the step's image"
            ));
        }
        config.workers.push(worker);
    }
    let assign = |config: &mut WorkerConfig, key: &str, worker: &str, at: &str| {
        let index = config
            .workers
            .iter()
            .position(|w| w.name == worker)
            .ok_or_else(|| {
                let known: Vec<&str> = config.workers.iter().map(|w| w.name.as_str()).collect();
                if known.is_empty() {
                    format!("{at}: unknown worker '{worker}'; 'workers' defines none")
                } else {
                    format!(
                        "{at}: unknown worker '{worker}'; 'workers' defines {}",
                        known.join(", ")
                    )
                }
            })?;
        config.assignments.insert(key.to_string(), index);
        Ok::<_, String>(())
    };
    match map.get("workflow") {
        None | Some(Value::Null) => {}
        Some(Value::Object(assignments)) => {
            for (key, worker) in assignments {
                let at = format!("workflow.{key}");
                let worker = worker
                    .as_str()
                    .ok_or_else(|| format!("{at}: expected the name of a worker"))?;
                assign(&mut config, key, worker, &at)?;
            }
        }
        // A list of `{step|image, worker}` reads the same way.
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let at = format!("workflow[{i}]");
                let key = ["step", "name", "image"]
                    .iter()
                    .find_map(|k| item.get(k).and_then(Value::as_str))
                    .ok_or_else(|| format!("{at}: expected 'step' (or 'image') and 'worker'"))?;
                let worker = item
                    .get("worker")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("{at}: 'worker' is missing"))?;
                assign(&mut config, key, worker, &at)?;
            }
        }
        Some(_) => {
            return Err("'workflow' must map step names or images to worker names".to_string())
        }
    }
    Ok(config)
}

fn parse_kind(name: &str, at: &str) -> Result<WorkerKind, String> {
    WorkerKind::parse(name).ok_or_else(|| {
        let known: Vec<&str> = WorkerKind::ALL.iter().map(|k| k.as_str()).collect();
        format!(
            "{at}: unknown type '{name}'; expected one of {}",
            known.join(", ")
        )
    })
}

fn check_keys(
    map: &serde_json::Map<String, Value>,
    allowed: &[&str],
    at: &str,
) -> Result<(), String> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(format!(
            "{at}: unknown key '{key}'; expected {}",
            allowed.join(", ")
        )),
        None => Ok(()),
    }
}

fn optional_text(value: Option<&Value>, at: &str) -> Result<Option<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{at}: expected a text")),
    }
}

/// Seconds, a positive number.
fn timeout(value: Option<&Value>, at: &str) -> Result<Option<Duration>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_f64() {
            Some(seconds) if seconds > 0.0 && seconds.is_finite() => {
                Ok(Some(Duration::from_secs_f64(seconds)))
            }
            _ => Err(format!(
                "{at}: expected a number of seconds greater than 0, not {v}"
            )),
        },
    }
}

/// A mapping of names to scalar values, or flowServ's list of `{key, value}`.
fn key_values(value: Option<&Value>, at: &str) -> Result<IndexMap<String, String>, String> {
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
                let v =
                    scalar(v).ok_or_else(|| format!("{at}: '{key}' must be a text or a number"))?;
                out.insert(key.clone(), v);
            }
        }
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let key = item.get("key").and_then(Value::as_str);
                let v = item.get("value").and_then(scalar);
                match (key, v) {
                    (Some(key), Some(v)) => {
                        out.insert(key.to_string(), v);
                    }
                    _ => return Err(format!("{at}[{i}]: expected 'key' and a scalar 'value'")),
                }
            }
        }
        Some(_) => {
            return Err(format!(
                "{at}: expected a mapping or a list of {{key, value}}"
            ))
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn container(name: &str, image: &str) -> Step {
        Step {
            name: name.into(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            action: Action::Container {
                image: image.into(),
                commands: Vec::new(),
                env: IndexMap::new(),
            },
        }
    }

    fn error(value: Value) -> String {
        WorkerConfig::parse(&value, "w.yaml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn parses_the_user_guide_list() {
        let config = WorkerConfig::parse(
            &json!([
                {"image": "a:1", "worker": "docker", "args": {"env": {"X": 1}, "variables": [{"key": "jar", "value": "x.jar"}]}},
                {"image": "b:2", "timeout": 2.5}
            ]),
            "workers.yaml",
        )
        .unwrap();
        let a = config.for_step(&container("s", "a:1")).unwrap();
        assert_eq!(a.kind, WorkerKind::Docker);
        assert_eq!(a.env.get("X").map(String::as_str), Some("1"));
        assert_eq!(a.variables.get("jar").map(String::as_str), Some("x.jar"));
        let b = config.for_step(&container("s", "b:2")).unwrap();
        assert_eq!(b.kind, WorkerKind::Subprocess);
        assert_eq!(b.timeout, Some(Duration::from_millis(2500)));
        assert!(config.for_step(&container("s", "other")).is_none());
    }

    #[test]
    fn parses_the_worker_specs_and_the_workflow_mapping() {
        let config = WorkerConfig::parse(
            &json!({
                "workers": [
                    {"name": "box", "type": "docker", "vars": [{"key": "python", "value": "python3"}], "env": {"A": "b"}, "volume": "v1"},
                    {"name": "local", "type": "subprocess", "variables": {"jar": "x.jar"}, "timeout": 3},
                    {"name": "nb", "type": "nbdocker", "image": "jupyter/base"}
                ],
                "workflow": {"train": "box", "python:3.9": "local", "notebook": "nb"},
                "volumes": []
            }),
            "engine.yaml",
        )
        .unwrap();
        // The step name wins over the image.
        let train = config.for_step(&container("train", "python:3.9")).unwrap();
        assert_eq!(train.name, "box");
        assert_eq!(train.volume.as_deref(), Some("v1"));
        assert_eq!(
            train.variables.get("python").map(String::as_str),
            Some("python3")
        );
        let other = config.for_step(&container("eval", "python:3.9")).unwrap();
        assert_eq!(other.name, "local");
        assert_eq!(other.timeout, Some(Duration::from_secs(3)));
        assert_eq!(
            config.assigned("notebook").unwrap().image.as_deref(),
            Some("jupyter/base")
        );
        // The list form of the assignment reads the same.
        let listed = WorkerConfig::parse(
            &json!({"workers": [{"name": "w", "type": "code"}], "workflow": [{"step": "count", "worker": "w"}]}),
            "x",
        )
        .unwrap();
        assert_eq!(listed.assigned("count").unwrap().kind, WorkerKind::Code);
    }

    #[test]
    fn errors_name_the_entry_that_is_wrong() {
        assert_eq!(
            error(json!({"workers": [{"name": "a", "type": "docker"}, {"name": "b", "type": "dockr"}]})),
            "worker configuration `w.yaml`: workers[1]: unknown type 'dockr'; expected one of subprocess, docker, code, notebook, nbdocker"
        );
        assert_eq!(
            error(json!([{"image": "a"}, {"image": "c", "worker": "dockr"}])),
            "worker configuration `w.yaml`: [1] (image 'c'): unknown type 'dockr'; expected one of subprocess, docker, code, notebook, nbdocker"
        );
        assert!(error(json!([{"worker": "docker"}])).ends_with("[0]: 'image' is missing"));
        assert!(error(json!({"workers": [{"type": "docker"}]}))
            .ends_with("workers[0]: 'name' is missing"));
        assert!(error(
            json!({"workers": [{"name": "a", "type": "docker"}], "workflow": {"s": "b"}})
        )
        .ends_with("workflow.s: unknown worker 'b'; 'workers' defines a"));
        assert!(
            error(json!({"workers": [{"name": "a", "type": "docker", "evn": {}}]}))
                .contains("workers[0]: unknown key 'evn'")
        );
        assert!(error(
            json!({"workers": [{"name": "a", "type": "docker"}, {"name": "a", "type": "code"}]})
        )
        .contains("workers[1]: the worker name 'a' is used twice"));
        assert!(
            error(json!({"workers": [{"name": "a", "type": "docker", "timeout": 0}]}))
                .contains("workers[0]: timeout: expected a number of seconds greater than 0")
        );
        assert!(error(json!([{"image": "a", "args": {"env": {"K": [1]}}}]))
            .contains("[0] (image 'a'): args.env: 'K' must be a text or a number"));
        assert!(error(json!([{"image": "a", "worker": "notebook"}]))
            .contains("does not run container steps"));
        assert!(error(json!({"wrokers": []})).contains("unknown key 'wrokers'"));
        assert!(error(json!("x")).contains("expected a list"));
    }

    #[test]
    fn kinds_know_their_steps() {
        let code = Action::Code {
            func: "m.f".into(),
            arg: None,
            variables: IndexMap::new(),
        };
        assert!(WorkerKind::Code.runs(&code));
        assert!(!WorkerKind::Docker.runs(&code));
        assert!(WorkerKind::Docker.runs(&container("s", "i").action));
        assert!(!WorkerKind::NbDocker.runs(&container("s", "i").action));
    }
}
