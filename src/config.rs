//! Settings: where the home folder is, which database, which Python, how many runs
//! at once, which workers, how long steps and runs may take. Resolved in this order: command-line flag, environment (`FLOWSERV_*`
//! as in the reference, `FLOWDESK_*` for what is ours), the settings file
//! `settings.json` in the home folder, built-in default.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Name of the settings file inside the home folder.
pub const SETTINGS_FILE: &str = "settings.json";
/// Name of the database file inside the home folder.
pub const DATABASE_FILE: &str = "flowdesk.db";

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("FLOWSERV_DATABASE is '{0}'; flowdesk only supports SQLite URLs like sqlite:///absolute/path/flowdesk.db")]
    UnsupportedDatabase(String),
    #[error("the settings file `{}` is not valid JSON: {source}", path.display())]
    BadSettings {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no home folder: give one with --home or FLOWSERV_API_DIR")]
    NoHome,
    #[error("{variable} is '{value}'; expected a whole number of at least 1")]
    BadNumber { variable: String, value: String },
    #[error("{variable} is '{value}'; expected a whole number of seconds (0 for no limit)")]
    BadSeconds { variable: String, value: String },
    #[error("{variable} is '{value}'; expected a whole number (0 for no limit)")]
    BadLimit { variable: String, value: String },
    #[error("the settings file `{}` is not valid UTF-8; fix or remove it", path.display())]
    SettingsNotUtf8 { path: PathBuf },
    #[error("cannot read the settings file `{}`: {source}", path.display())]
    ReadSettings {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The user-editable settings file (everything optional; missing = default).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Python interpreter for `${python}`.
    pub python: Option<String>,
    /// At most this many runs at once.
    pub max_parallel: Option<usize>,
    /// Worker configuration file (flowServ's `FLOWSERV_SERIAL_WORKERS`).
    pub worker_config: Option<PathBuf>,
    /// Seconds one step may run before it is stopped (`FLOWDESK_STEP_TIMEOUT`);
    /// none or 0 for no limit.
    pub step_timeout: Option<u64>,
    /// Seconds a whole run may take (`FLOWDESK_RUN_TIMEOUT`); none or 0 for no
    /// limit.
    pub run_timeout: Option<u64>,
    /// Template repository file: a JSON list of `{id, description, url, manifest, args}`.
    pub repository: Option<PathBuf>,
    /// `light` or `dark` (the desktop app).
    pub theme: Option<String>,
    /// Set once the bundled samples were installed, so deleting them sticks.
    pub samples_installed: bool,
    /// Megabytes a run's log keeps (its first and last half); 0 for no limit.
    pub log_limit_mb: Option<u64>,
    /// Megabytes a result file may have; 0 for no limit.
    pub result_limit_mb: Option<u64>,
    /// Megabytes a template may unpack or copy to at install; 0 for no limit.
    pub install_limit_mb: Option<u64>,
    /// Files and folders a template may have; 0 for no limit.
    pub install_entry_limit: Option<u64>,
    /// How deep a template's folders may nest; 0 for no limit.
    pub install_depth_limit: Option<u64>,
    /// Megabytes one template document (manifest, template, include) may
    /// have; 0 for no limit.
    pub document_limit_mb: Option<u64>,
    /// How far a reproduced result value may be from the original, per
    /// benchmark (id or name): `0.01` (absolute) or `1%` (relative).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub reproduce_tolerance: std::collections::BTreeMap<String, String>,
}

impl Settings {
    /// Read the settings file; a missing one (or a missing home folder) is
    /// the defaults, anything else that cannot be read is an error naming it.
    pub fn load(home: &Path) -> Result<Settings, ConfigError> {
        let path = home.join(SETTINGS_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes)
                    .map_err(|_| ConfigError::SettingsNotUtf8 { path: path.clone() })?;
                serde_json::from_str(&text)
                    .map_err(|source| ConfigError::BadSettings { path, source })
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                Ok(Settings::default())
            }
            Err(source) => Err(ConfigError::ReadSettings { path, source }),
        }
    }

    /// Write atomically (temp file + rename), so a crash never leaves half a
    /// file; readable by its owner only (it may name private paths).
    pub fn save(&self, home: &Path) -> Result<(), ConfigError> {
        use std::os::unix::fs::OpenOptionsExt as _;
        let path = home.join(SETTINGS_FILE);
        let tmp = home.join(format!("{SETTINGS_FILE}.{}.tmp", std::process::id()));
        let text = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_string());
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut file| std::io::Write::write_all(&mut file, text.as_bytes()))
            .and_then(|_| std::fs::rename(&tmp, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written.map_err(|source| ConfigError::Write { path, source })
    }
}

/// Sizes flowdesk refuses to go beyond, so that a hostile or broken template,
/// step or result file cannot fill the disk or the memory. `None` is no limit.
/// The defaults are far beyond any real benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes a run's log keeps.
    pub log_bytes: Option<u64>,
    /// Bytes a result file may have.
    pub result_bytes: Option<u64>,
    /// Bytes a template may unpack (an archive) or copy (a folder) at install.
    pub install_bytes: Option<u64>,
    /// Files and folders in a template.
    pub install_entries: Option<u64>,
    /// Nesting of a template's folders.
    pub install_depth: Option<u64>,
    /// Bytes of one template document.
    pub document_bytes: Option<u64>,
}

const MB: u64 = 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            log_bytes: Some(100 * MB),
            result_bytes: Some(16 * MB),
            install_bytes: Some(512 * MB),
            install_entries: Some(100_000),
            install_depth: Some(64),
            document_bytes: Some(4 * MB),
        }
    }
}

/// The deepest a template's folders may nest whatever the settings say (0,
/// "no limit", means this).
pub const MAX_INSTALL_DEPTH: u64 = 1000;

impl Limits {
    /// The defaults, overridden by the settings file, overridden by the
    /// environment (`FLOWDESK_LOG_LIMIT_MB`, `FLOWDESK_RESULT_LIMIT_MB`,
    /// `FLOWDESK_INSTALL_LIMIT_MB`, `FLOWDESK_INSTALL_ENTRY_LIMIT`,
    /// `FLOWDESK_INSTALL_DEPTH_LIMIT`, `FLOWDESK_DOCUMENT_LIMIT_MB`).
    pub fn resolve(settings: &Settings) -> Result<Limits, ConfigError> {
        let defaults = Limits::default();
        let pick = |variable: &str, setting: Option<u64>, default: Option<u64>, unit: u64| {
            let value = match std::env::var(variable) {
                Ok(value) if !value.trim().is_empty() => Some(
                    value
                        .trim()
                        .parse::<u64>()
                        .map_err(|_| ConfigError::BadLimit {
                            variable: variable.to_string(),
                            value: value.clone(),
                        })?,
                ),
                _ => setting,
            };
            Ok::<_, ConfigError>(match value {
                None => default,
                Some(0) => None,
                Some(n) => Some(n.saturating_mul(unit)),
            })
        };
        Ok(Limits {
            log_bytes: pick(
                "FLOWDESK_LOG_LIMIT_MB",
                settings.log_limit_mb,
                defaults.log_bytes,
                MB,
            )?,
            result_bytes: pick(
                "FLOWDESK_RESULT_LIMIT_MB",
                settings.result_limit_mb,
                defaults.result_bytes,
                MB,
            )?,
            install_bytes: pick(
                "FLOWDESK_INSTALL_LIMIT_MB",
                settings.install_limit_mb,
                defaults.install_bytes,
                MB,
            )?,
            install_entries: pick(
                "FLOWDESK_INSTALL_ENTRY_LIMIT",
                settings.install_entry_limit,
                defaults.install_entries,
                1,
            )?,
            // Never unbounded: the folder walks recurse, and a path nested
            // deeper than this cannot be opened by its full path on Linux
            // (PATH_MAX) anyway.
            install_depth: Some(
                pick(
                    "FLOWDESK_INSTALL_DEPTH_LIMIT",
                    settings.install_depth_limit,
                    defaults.install_depth,
                    1,
                )?
                .map_or(MAX_INSTALL_DEPTH, |d| d.min(MAX_INSTALL_DEPTH)),
            ),
            document_bytes: pick(
                "FLOWDESK_DOCUMENT_LIMIT_MB",
                settings.document_limit_mb,
                defaults.document_bytes,
                MB,
            )?,
        })
    }

    /// From the environment alone, for commands that have no home folder
    /// (`template check`).
    pub fn from_env() -> Result<Limits, ConfigError> {
        Self::resolve(&Settings::default())
    }
}

/// The resolved configuration a service runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub home: PathBuf,
    pub database: PathBuf,
    pub python: String,
    pub max_parallel: usize,
    pub worker_config: Option<PathBuf>,
    /// How long one step may run; `None` for no limit.
    pub step_timeout: Option<Duration>,
    /// How long a whole run may take; `None` for no limit.
    pub run_timeout: Option<Duration>,
    pub repository: Option<PathBuf>,
    /// Size limits for logs, results and templates.
    pub limits: Limits,
    pub settings: Settings,
}

impl Config {
    /// Resolve the configuration; `home` is the `--home` flag.
    pub fn resolve(home: Option<PathBuf>) -> Result<Config, ConfigError> {
        let home = match home.or_else(|| env_path("FLOWSERV_API_DIR")) {
            Some(home) => home,
            None => directories::ProjectDirs::from("org", "flowdesk", "flowdesk")
                .map(|dirs| dirs.data_dir().to_path_buf())
                .ok_or(ConfigError::NoHome)?,
        };
        let home = absolute(&home);
        let settings = Settings::load(&home)?;
        let database = match std::env::var("FLOWSERV_DATABASE") {
            Ok(url) if !url.trim().is_empty() => {
                let path = url
                    .strip_prefix("sqlite:///")
                    .map(|p| PathBuf::from(format!("/{p}")))
                    .or_else(|| url.strip_prefix("sqlite://").map(PathBuf::from))
                    .ok_or_else(|| ConfigError::UnsupportedDatabase(url.clone()))?;
                if path.as_os_str().is_empty() || path == Path::new("/") {
                    return Err(ConfigError::UnsupportedDatabase(url));
                }
                path
            }
            _ => home.join(DATABASE_FILE),
        };
        let python = std::env::var("FLOWDESK_PYTHON")
            .ok()
            .filter(|p| !p.trim().is_empty())
            .or_else(|| settings.python.clone())
            .unwrap_or_else(default_python);
        let max_parallel = match std::env::var("FLOWDESK_MAX_PARALLEL") {
            Ok(value) if !value.trim().is_empty() => match value.trim().parse::<usize>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    return Err(ConfigError::BadNumber {
                        variable: "FLOWDESK_MAX_PARALLEL".into(),
                        value,
                    })
                }
            },
            _ => settings
                .max_parallel
                .filter(|n| *n >= 1)
                .unwrap_or_else(default_parallelism),
        };
        let step_timeout = seconds("FLOWDESK_STEP_TIMEOUT", settings.step_timeout)?;
        let run_timeout = seconds("FLOWDESK_RUN_TIMEOUT", settings.run_timeout)?;
        let limits = Limits::resolve(&settings)?;
        Ok(Config {
            database,
            python,
            max_parallel,
            worker_config: env_path("FLOWSERV_SERIAL_WORKERS")
                .or_else(|| settings.worker_config.clone()),
            step_timeout,
            run_timeout,
            repository: env_path("FLOWDESK_REPOSITORY").or_else(|| settings.repository.clone()),
            limits,
            settings,
            home,
        })
    }
}

/// A time limit in whole seconds from `variable`, else from the settings file;
/// 0 means no limit.
fn seconds(variable: &str, setting: Option<u64>) -> Result<Option<Duration>, ConfigError> {
    let value = match std::env::var(variable) {
        Ok(value) if !value.trim().is_empty() => {
            value
                .trim()
                .parse::<u64>()
                .map_err(|_| ConfigError::BadSeconds {
                    variable: variable.to_string(),
                    value: value.clone(),
                })?
        }
        _ => setting.unwrap_or(0),
    };
    Ok((value > 0).then(|| Duration::from_secs(value)))
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// Number of cores: the default for parallel runs.
pub fn default_parallelism() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

/// The Python interpreter that `${python}` stands for when nothing is configured:
/// `python3`, else `python`, whichever is found on `PATH` first.
pub fn default_python() -> String {
    if let Ok(python) = std::env::var("FLOWDESK_PYTHON") {
        if !python.trim().is_empty() {
            return python;
        }
    }
    for candidate in ["python3", "python"] {
        if find_on_path(candidate).is_some() {
            return candidate.to_string();
        }
    }
    "python3".to_string()
}

/// The first executable called `program` on `PATH`.
pub fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Where the bundled sample templates are: `FLOWDESK_SAMPLES`, the installed
/// package's share folder, or — when run from a source checkout with `cargo run` —
/// the `sample-templates` folder found by walking up from the executable.
pub fn samples_dir() -> Option<PathBuf> {
    if let Some(dir) = env_path("FLOWDESK_SAMPLES") {
        return Some(dir);
    }
    let exe = std::env::current_exe().ok()?;
    let exe_dir = exe.parent()?;
    let mut candidates = vec![
        exe_dir.join("../share/flowdesk/sample-templates"),
        PathBuf::from("/usr/share/flowdesk/sample-templates"),
    ];
    let mut dir = Some(exe_dir);
    while let Some(d) = dir {
        candidates.push(d.join("sample-templates"));
        dir = d.parent();
    }
    candidates
        .into_iter()
        .find(|c| c.join("README.md").is_file() || c.is_dir() && c.join("helloworld").is_dir())
}

/// Where flowdesk's implementation of flowServ's helper modules is (the folder
/// that holds the `flowserv` package, for `PYTHONPATH`): `FLOWDESK_HELPERS`, the
/// installed package's share folder, or `assets/python` of a source checkout,
/// found the way [`samples_dir`] finds the samples.
pub fn helpers_dir() -> Option<PathBuf> {
    let is_helpers = |dir: &Path| dir.join("flowserv").join("__init__.py").is_file();
    if let Some(dir) = env_path("FLOWDESK_HELPERS") {
        return is_helpers(&dir).then_some(dir);
    }
    let exe = std::env::current_exe().ok()?;
    let exe_dir = exe.parent()?;
    let mut candidates = vec![
        exe_dir.join("../share/flowdesk/python"),
        PathBuf::from("/usr/share/flowdesk/python"),
    ];
    let mut dir = Some(exe_dir);
    while let Some(d) = dir {
        candidates.push(d.join("assets").join("python"));
        dir = d.parent();
    }
    candidates
        .into_iter()
        .find(|c| is_helpers(c))
        .map(|c| c.canonicalize().unwrap_or(c))
}
