//! Recording the provenance of runs (see `model::provenance`): when a run is
//! prepared, what it starts from (template hash, arguments as cast, input files
//! by hash, interpreter and packages, machine); while it runs, each step as the
//! engine reports it; when it ends, its output files. One store write at each
//! end of the run, and nothing slow on the way: the machine is read once per
//! process, the interpreter once per program file (and kept in the store, so
//! the next command does not ask again), packages from the environment's own
//! metadata instead of by starting `pip`.

use super::files::{hex, list_files, sha256_file};
use super::Shared;
use crate::engine::{ExitStatus, StepRecord};
use crate::error::ServiceError;
use crate::model::provenance::{
    Environment, InputFile, Interpreter, Machine, OutputFile, Provenance, StepInfo, StepWorker,
    TemplateInfo, FORMAT,
};
use crate::store::{TemplateFile, WorkflowRecord};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The pseudo file name the template document has among a template's files.
pub const TEMPLATE_DOCUMENT: &str = ":template";

/// What the service keeps between the events of runs, and answers it must not
/// ask twice.
#[derive(Default)]
pub(crate) struct Recorder {
    /// Steps of the runs this process executes, until they end.
    steps: Mutex<HashMap<String, Vec<StepRecord>>>,
    /// Interpreter answers by program file (path, size, modification time).
    interpreters: Mutex<HashMap<String, Option<Probe>>>,
    /// The provenance recorded at the start of the runs this process prepared,
    /// so that completing it at the end need not read and parse it back. At
    /// most [`MAX_OPEN_DOCUMENTS`]; a run missing here is read from the store.
    open: Mutex<HashMap<String, Provenance>>,
    /// Template hash and files by benchmark id: recorded once at install and
    /// never changed after, so every run need not read them again.
    templates: Mutex<HashMap<String, (String, Vec<TemplateFile>)>>,
    /// Where a command name was found on `PATH`, checked again by each use.
    programs: Mutex<HashMap<String, PathBuf>>,
    /// `pip freeze` of a `site-packages` folder, with the folder's
    /// modification time (installing or removing a package changes it).
    packages: Mutex<HashMap<PathBuf, (std::time::SystemTime, Vec<String>)>>,
}

/// Bounds what [`Recorder::open`] keeps for runs prepared here but executed
/// elsewhere (a detached process) or never.
const MAX_OPEN_DOCUMENTS: usize = 256;

/// What one question to an interpreter tells.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Probe {
    executable: String,
    version: String,
    virtual_env: bool,
    /// The folder its packages are installed in.
    purelib: String,
}

/// Where a file argument of a run came from, as the run was prepared.
pub(crate) struct InputSource {
    pub parameter: String,
    pub target: String,
    pub kind: InputKind,
}

pub(crate) enum InputKind {
    /// An uploaded file, whose hash the store has.
    Upload {
        id: String,
        sha256: String,
        size: u64,
    },
    /// A file of this computer, hashed now.
    Local(PathBuf),
    /// The parameter's default: a template file.
    Template(String),
}

// ----- templates -----------------------------------------------------------------

/// The files of a benchmark's static folder with their hashes, and one hash
/// over them and the template document. File order, modification times and
/// where the folder is do not enter it, so the same template installed on two
/// computers has the same hash.
pub fn template_hash(
    static_dir: &Path,
    document: &Value,
) -> Result<(String, Vec<TemplateFile>), ServiceError> {
    let mut files = Vec::new();
    if static_dir.is_dir() {
        for path in list_files(static_dir, &[]) {
            let (sha256, size) = sha256_file(&static_dir.join(&path))?;
            files.push(TemplateFile { path, size, sha256 });
        }
    }
    let text = canonical_json(document);
    files.push(TemplateFile {
        path: TEMPLATE_DOCUMENT.to_string(),
        size: text.len() as u64,
        sha256: hex(&Sha256::digest(text.as_bytes())),
    });
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((combined_hash(&files), files))
}

/// The hash of a template from its files' hashes.
pub fn combined_hash(files: &[TemplateFile]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"flowdesk template 1\n");
    for file in files {
        hasher.update(format!("{} {} {}\n", file.sha256, file.size, file.path).as_bytes());
    }
    hex(&hasher.finalize())
}

/// JSON with every object's keys sorted, so that equal documents are equal text.
pub fn canonical_json(value: &Value) -> String {
    fn write(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, key) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String((*key).clone()).to_string());
                    out.push(':');
                    write(&map[*key], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// Compute and store a benchmark's template files and hash.
pub(crate) fn record_template(
    shared: &Shared,
    workflow: &WorkflowRecord,
) -> Result<(String, Vec<TemplateFile>), ServiceError> {
    let (hash, files) = template_hash(&shared.static_dir(&workflow.id), &workflow.template)?;
    shared
        .store
        .set_template_files(&workflow.id, &hash, &files)?;
    if let Ok(mut templates) = shared.recorder.templates.lock() {
        templates.insert(workflow.id.clone(), (hash.clone(), files.clone()));
    }
    Ok((hash, files))
}

/// A benchmark's template files and hash, recorded now if it was installed
/// before flowdesk recorded them.
pub(crate) fn template_files(
    shared: &Shared,
    workflow: &WorkflowRecord,
) -> Result<(String, Vec<TemplateFile>), ServiceError> {
    let remembered = shared
        .recorder
        .templates
        .lock()
        .ok()
        .and_then(|templates| templates.get(&workflow.id).cloned());
    if let Some(found) = remembered {
        return Ok(found);
    }
    match shared.store.template_files(&workflow.id)? {
        Some(found) => {
            if let Ok(mut templates) = shared.recorder.templates.lock() {
                templates.insert(workflow.id.clone(), found.clone());
            }
            Ok(found)
        }
        None => record_template(shared, workflow),
    }
}

/// Forget what was remembered of an uninstalled benchmark's template.
pub(crate) fn forget_template(shared: &Shared, workflow_id: &str) {
    if let Ok(mut templates) = shared.recorder.templates.lock() {
        templates.remove(workflow_id);
    }
}

// ----- runs ----------------------------------------------------------------------

/// The provenance of a run being prepared, written to the store.
pub(crate) fn record_start(
    shared: &Shared,
    run_id: &str,
    workflow: &WorkflowRecord,
    arguments: &serde_json::Map<String, Value>,
    sources: &[InputSource],
    declared_inputs: &[String],
    python: &str,
) -> Result<(), ServiceError> {
    let (hash, files) = template_files(shared, workflow)?;
    let by_path: HashMap<&str, &TemplateFile> =
        files.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut inputs = Vec::with_capacity(sources.len() + declared_inputs.len());
    for source in sources {
        let (source_kind, origin, sha256, size) = match &source.kind {
            InputKind::Upload { id, sha256, size } => {
                ("upload", Some(id.clone()), sha256.clone(), *size)
            }
            InputKind::Local(path) => {
                let (sha256, size) = sha256_file(path)?;
                ("file", Some(path.display().to_string()), sha256, size)
            }
            InputKind::Template(path) => match by_path.get(path.as_str()) {
                Some(file) => ("template", None, file.sha256.clone(), file.size),
                None => {
                    let (sha256, size) = sha256_file(&shared.static_dir(&workflow.id).join(path))?;
                    ("template", None, sha256, size)
                }
            },
        };
        inputs.push(InputFile {
            parameter: Some(source.parameter.clone()),
            path: source.target.clone(),
            sha256,
            size,
            source: source_kind.to_string(),
            origin,
        });
    }
    // Template files the workflow lists as its inputs (a folder stands for the
    // files in it), unless an argument put something else there.
    for declared in declared_inputs {
        let declared = declared.trim_end_matches('/');
        let prefix = format!("{declared}/");
        for file in files
            .iter()
            .filter(|f| f.path == declared || f.path.starts_with(&prefix))
        {
            if inputs.iter().any(|i| i.path == file.path) {
                continue;
            }
            inputs.push(InputFile {
                parameter: None,
                path: file.path.clone(),
                sha256: file.sha256.clone(),
                size: file.size,
                source: "template".into(),
                origin: None,
            });
        }
    }
    let (python, packages) = environment(shared, python);
    let document = Provenance {
        format: FORMAT,
        template: TemplateInfo {
            benchmark_id: workflow.id.clone(),
            name: workflow.name.clone(),
            version: workflow
                .template
                .get("version")
                .and_then(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .or_else(|| Some(v.to_string()))
                })
                .filter(|v| v != "null"),
            hash,
            files: files.len().saturating_sub(1),
        },
        arguments: arguments.clone(),
        inputs,
        outputs: Vec::new(),
        environment: Environment {
            python,
            packages,
            workers: Vec::new(),
            flowdesk: env!("CARGO_PKG_VERSION").to_string(),
        },
        machine: machine().clone(),
        steps: Vec::new(),
        imported: None,
    };
    let text = serde_json::to_string(&document)
        .map_err(|e| ServiceError::Invalid(format!("provenance of run '{run_id}': {e}")))?;
    shared.store.set_provenance_json(run_id, &text)?;
    if let Ok(mut open) = shared.recorder.open.lock() {
        if open.len() >= MAX_OPEN_DOCUMENTS {
            open.clear();
        }
        open.insert(run_id.to_string(), document);
    }
    Ok(())
}

/// A step of a run of this process ended.
pub(crate) fn step_finished(shared: &Shared, run_id: &str, record: StepRecord) {
    if let Ok(mut steps) = shared.recorder.steps.lock() {
        steps.entry(run_id.to_string()).or_default().push(record);
    }
}

/// Complete a run's provenance when it has ended: its steps and output files.
/// Runs without a recorded start (post-processing) get none. A failure is
/// reported, never fatal: the run's outcome is already stored.
pub(crate) fn record_end(shared: &Shared, run_id: &str) {
    let steps = shared
        .recorder
        .steps
        .lock()
        .ok()
        .and_then(|mut steps| steps.remove(run_id))
        .unwrap_or_default();
    let kept = shared
        .recorder
        .open
        .lock()
        .ok()
        .and_then(|mut open| open.remove(run_id));
    let result = (|| -> Result<(), ServiceError> {
        let mut document = match kept {
            Some(document) => document,
            None => {
                let Some(value) = shared.store.provenance(run_id)? else {
                    return Ok(());
                };
                serde_json::from_value(value).map_err(|e| {
                    ServiceError::Invalid(format!("the recorded provenance is damaged: {e}"))
                })?
            }
        };
        document.outputs = shared
            .store
            .run_files(run_id)?
            .into_iter()
            .map(|f| OutputFile {
                key: f.key,
                path: f.path,
                sha256: f.sha256,
                size: f.size,
            })
            .collect();
        document.environment.workers = steps
            .iter()
            .map(|s| StepWorker {
                step: s.name.clone(),
                worker: worker_text(s),
            })
            .collect();
        document.steps = steps.iter().map(step_info).collect();
        let text = serde_json::to_string(&document)
            .map_err(|e| ServiceError::Invalid(format!("provenance: {e}")))?;
        shared.store.set_provenance_json(run_id, &text)?;
        Ok(())
    })();
    if let Err(e) = result {
        shared.problem(
            Some(run_id),
            format!("its provenance could not be completed: {e}"),
        );
    }
}

/// How people name a step's worker.
fn worker_text(step: &StepRecord) -> String {
    let image = step.image.as_deref().unwrap_or("?");
    let what = match step.kind.as_str() {
        "subprocess" => "shell".to_string(),
        "docker" => format!("docker {image}"),
        "notebook" => "papermill".to_string(),
        "nbdocker" => format!("papermill in docker {image}"),
        "code" => "python code".to_string(),
        other => other.to_string(),
    };
    if step.worker == step.kind {
        what
    } else {
        format!("{what} (worker '{}')", step.worker)
    }
}

fn step_info(step: &StepRecord) -> StepInfo {
    let (exit_code, signal) = match step.exit {
        Some(ExitStatus::Code(code)) => (Some(code), None),
        Some(ExitStatus::Signal(signal)) => (None, Some(signal)),
        None => (None, None),
    };
    StepInfo {
        name: step.name.clone(),
        worker: worker_text(step),
        commands: step.commands.clone(),
        exit_code,
        signal,
        started_at: step.started_at,
        finished_at: step.finished_at,
        duration: (step.finished_at - step.started_at).as_seconds_f64(),
        peak_memory: step.peak_memory,
        cpu_time: step.cpu_time.map(|t| t.as_secs_f64()),
    }
}

// ----- the environment -------------------------------------------------------------

/// The interpreter `python` stands for and, for a virtual environment, its
/// packages. `None` for what cannot be found out (no such interpreter).
fn environment(shared: &Shared, python: &str) -> (Option<Interpreter>, Option<Vec<String>>) {
    let remembered = shared
        .recorder
        .programs
        .lock()
        .ok()
        .and_then(|programs| programs.get(python).cloned())
        .filter(|path| path.is_file());
    let Some(program) = remembered.or_else(|| {
        let found = find_program(python)?;
        if let Ok(mut programs) = shared.recorder.programs.lock() {
            programs.insert(python.to_string(), found.clone());
        }
        Some(found)
    }) else {
        return (None, None);
    };
    let key = match std::fs::metadata(&program) {
        Ok(meta) => {
            use std::os::unix::fs::MetadataExt as _;
            format!(
                "python {} {} {}.{}",
                program.display(),
                meta.len(),
                meta.mtime(),
                meta.mtime_nsec()
            )
        }
        Err(_) => return (None, None),
    };
    let probe = probe(shared, &key, &program);
    let interpreter = probe.as_ref().map(|p| Interpreter {
        command: python.to_string(),
        path: p.executable.clone(),
        version: p.version.clone(),
        virtual_env: p.virtual_env,
    });
    let packages = probe
        .filter(|p| p.virtual_env)
        .map(|p| packages_of(shared, Path::new(&p.purelib)));
    (interpreter, packages)
}

/// [`installed_packages`], read again only when the folder changed.
fn packages_of(shared: &Shared, site_packages: &Path) -> Vec<String> {
    let Ok(modified) = std::fs::metadata(site_packages).and_then(|m| m.modified()) else {
        return installed_packages(site_packages);
    };
    let remembered = shared.recorder.packages.lock().ok().and_then(|memo| {
        memo.get(site_packages)
            .filter(|(time, _)| *time == modified)
            .map(|(_, list)| list.clone())
    });
    if let Some(list) = remembered {
        return list;
    }
    let list = installed_packages(site_packages);
    if let Ok(mut memo) = shared.recorder.packages.lock() {
        memo.insert(site_packages.to_path_buf(), (modified, list.clone()));
    }
    list
}

/// Ask the interpreter about itself, once per program file: remembered in
/// this process and in the store.
fn probe(shared: &Shared, key: &str, program: &Path) -> Option<Probe> {
    if let Some(found) = shared
        .recorder
        .interpreters
        .lock()
        .ok()
        .and_then(|memo| memo.get(key).cloned())
    {
        return found;
    }
    let stored = shared
        .store
        .cached(key)
        .ok()
        .flatten()
        .and_then(|text| serde_json::from_str::<Option<Probe>>(&text).ok());
    let found = match stored {
        Some(found) => found,
        None => {
            let found = ask(program);
            if let Ok(text) = serde_json::to_string(&found) {
                let _ = shared.store.cache(key, &text);
            }
            found
        }
    };
    if let Ok(mut memo) = shared.recorder.interpreters.lock() {
        memo.insert(key.to_string(), found.clone());
    }
    found
}

fn ask(program: &Path) -> Option<Probe> {
    const SCRIPT: &str = "import sys, sysconfig, platform\n\
        print(sys.executable)\n\
        print('Python ' + platform.python_version())\n\
        print(sys.prefix != getattr(sys, 'base_prefix', sys.prefix))\n\
        print(sysconfig.get_paths()['purelib'])\n";
    let output = std::process::Command::new(program)
        .args(["-c", SCRIPT])
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut lines = text.lines();
    Some(Probe {
        executable: lines.next()?.to_string(),
        version: lines.next()?.to_string(),
        virtual_env: lines.next()? == "True",
        purelib: lines.next()?.to_string(),
    })
}

/// `command` as the shell would find it: a path as it is, a name on `PATH`.
fn find_program(command: &str) -> Option<PathBuf> {
    if command.contains('/') {
        let path = PathBuf::from(command);
        return path.is_file().then_some(path);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(command))
        .find(|candidate| candidate.is_file())
}

/// The distributions installed in a `site-packages` folder, as `pip freeze
/// --all` prints them (`Name==version`), sorted case-insensitively as pip
/// sorts them; read from their `*.dist-info/METADATA`, which is what pip reads.
pub fn installed_packages(site_packages: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(site_packages) else {
        return Vec::new();
    };
    let mut packages: Vec<(String, String)> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".dist-info"))
        .filter_map(|e| {
            let text = std::fs::read_to_string(e.path().join("METADATA")).ok()?;
            let mut name = None;
            let mut version = None;
            // The headers end at the first empty line.
            for line in text.lines().take_while(|l| !l.is_empty()) {
                if let Some(v) = line.strip_prefix("Name:") {
                    name = Some(v.trim().to_string());
                } else if let Some(v) = line.strip_prefix("Version:") {
                    version = Some(v.trim().to_string());
                }
            }
            let name = name?;
            let direct = std::fs::read_to_string(e.path().join("direct_url.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok());
            let line = match direct {
                Some(url) if url["dir_info"]["editable"] == Value::Bool(true) => {
                    format!("-e {}", url["url"].as_str().unwrap_or_default())
                }
                Some(url) if url.get("archive_info").is_some() || url.get("vcs_info").is_some() => {
                    format!("{name} @ {}", url["url"].as_str().unwrap_or_default())
                }
                _ => format!("{name}=={}", version?),
            };
            Some((name.to_lowercase(), line))
        })
        .collect();
    // pip sorts by project name, case-insensitively.
    packages.sort();
    packages.dedup();
    packages.into_iter().map(|(_, line)| line).collect()
}

/// This computer, read once per process.
pub fn machine() -> &'static Machine {
    static MACHINE: OnceLock<Machine> = OnceLock::new();
    MACHINE.get_or_init(|| {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let os_release = read("/etc/os-release");
        let distribution = os_release
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_string());
        let system = match std::env::consts::OS {
            "linux" => "Linux",
            "macos" => "macOS",
            other => other,
        };
        let os = match distribution {
            Some(d) => format!("{system} ({d})"),
            None => system.to_string(),
        };
        let cpu = read("/proc/cpuinfo")
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name")
                    .and_then(|rest| rest.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        let memory = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024);
        let host = read("/proc/sys/kernel/hostname");
        Machine {
            os,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
            arch: std::env::consts::ARCH.to_string(),
            cpu,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory,
            host_hash: hex(&Sha256::digest(host.trim().as_bytes())),
        }
    })
}

impl super::Service {
    /// What run `run_key` was made from and with; `None` for a run that has no
    /// provenance (post-processing, or made before flowdesk recorded it).
    pub fn provenance(&self, run_key: &str) -> Result<Option<Provenance>, ServiceError> {
        let run = self.run(run_key)?;
        provenance_of(&self.shared, &run.id)
    }
}

/// The recorded provenance of a run, if it has one.
pub(crate) fn provenance_of(
    shared: &Shared,
    run_id: &str,
) -> Result<Option<Provenance>, ServiceError> {
    match shared.store.provenance(run_id)? {
        None => Ok(None),
        Some(value) => serde_json::from_value(value).map(Some).map_err(|e| {
            ServiceError::Invalid(format!("the provenance of run '{run_id}' is damaged: {e}"))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn template_hash_ignores_key_order_and_where_the_folder_is() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        for dir in [a.path(), b.path()] {
            std::fs::create_dir_all(dir.join("code")).unwrap();
            std::fs::write(dir.join("code/x.py"), "print(1)\n").unwrap();
            std::fs::write(dir.join("data.csv"), "a,b\n").unwrap();
        }
        let one = json!({"workflow": {"a": 1, "b": [1, {"y": 2, "x": 1}]}, "parameters": []});
        let other = json!({"parameters": [], "workflow": {"b": [1, {"x": 1, "y": 2}], "a": 1}});
        let (hash_a, files) = template_hash(a.path(), &one).unwrap();
        let (hash_b, _) = template_hash(b.path(), &other).unwrap();
        assert_eq!(hash_a, hash_b);
        assert_eq!(
            files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
            [TEMPLATE_DOCUMENT, "code/x.py", "data.csv"]
        );
        std::fs::write(b.path().join("data.csv"), "a,c\n").unwrap();
        assert_ne!(template_hash(b.path(), &other).unwrap().0, hash_a);
        assert_ne!(
            template_hash(a.path(), &json!({"parameters": [1]}))
                .unwrap()
                .0,
            hash_a
        );
    }

    #[test]
    fn the_machine_is_described_without_its_name() {
        let machine = machine();
        assert!(machine.cores >= 1);
        assert_eq!(machine.host_hash.len(), 64);
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        let host = host.trim();
        assert_eq!(machine.host_hash, hex(&Sha256::digest(host.as_bytes())));
        let json = serde_json::to_value(machine).unwrap();
        for (field, value) in json.as_object().unwrap() {
            assert_ne!(value.as_str(), Some(host), "{field} names the host");
        }
    }
}
