//! `flowdesk doctor`: look at a home folder the way a careful person would after
//! a crash, a full disk or a damaged file, say what is wrong, and repair what can
//! be repaired without losing anything (`--fix`), or put the last backup of the
//! database back (`--restore`).
//!
//! It works below the service: it must run on a home folder the service refuses
//! to open (an emptied database), and looking must change nothing.

use super::home::{self, LOST_DIR};
use super::lock::is_held;
use super::run_folder::{LOG_FILE, META_DIR};
use crate::config::{Config, SETTINGS_FILE};
use crate::engine::{log, reaper};
use crate::error::ServiceError;
use crate::store::backup::{self, backup_path};
use crate::store::{RunFilter, RunState, Store};
use serde::Serialize;
use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Folders younger than this may belong to a run being prepared right now.
const YOUNG: Duration = Duration::from_secs(60);
/// Check scratch folders in the system's temporary folder older than this are
/// leftovers of a `template check` that died.
const OLD_CHECK_SCRATCH: Duration = Duration::from_secs(3600);

/// One thing the doctor looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What was checked: `home`, `database`, `backup`, `permissions`, `runs`,
    /// `processes`, `benchmark folders`, `run folders`, `temporary folders`,
    /// `logs`, `reserve`.
    pub check: &'static str,
    /// False when something is wrong.
    pub ok: bool,
    pub message: String,
    /// True when `--fix` (or `--restore`) repaired it.
    pub fixed: bool,
}

/// Everything the doctor found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    fn ok(&mut self, check: &'static str, message: impl Into<String>) {
        self.findings.push(Finding {
            check,
            ok: true,
            message: message.into(),
            fixed: false,
        });
    }

    fn problem(&mut self, check: &'static str, message: impl Into<String>, fixed: bool) {
        self.findings.push(Finding {
            check,
            ok: false,
            message: message.into(),
            fixed,
        });
    }

    /// True when nothing is wrong, or everything wrong was repaired.
    pub fn healthy(&self) -> bool {
        self.findings.iter().all(|f| f.ok || f.fixed)
    }
}

fn mode(path: &Path) -> Option<u32> {
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

fn age(path: &Path) -> Duration {
    std::fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .unwrap_or_default()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Examine the home folder of `config`; with `fix`, repair what is safe.
pub fn examine(config: &Config, fix: bool) -> Result<Report, ServiceError> {
    let mut report = Report::default();
    let home = &config.home;
    if !home.is_dir() {
        report.ok("home", format!("`{}` does not exist yet", home.display()));
        return Ok(report);
    }
    check_home(config, fix, &mut report);
    let store = check_database(config, fix, &mut report)?;
    check_permissions(config, fix, &mut report);
    let known: Option<HashSet<String>> = match &store {
        Some(store) => {
            check_runs(config, store, fix, &mut report)?;
            let benchmarks: HashSet<String> =
                store.workflows()?.into_iter().map(|w| w.id).collect();
            check_benchmark_folders(config, &benchmarks, fix, &mut report);
            Some(
                store
                    .runs(&RunFilter {
                        include_postproc: true,
                        ..Default::default()
                    })?
                    .into_iter()
                    .map(|r| r.id)
                    .collect(),
            )
        }
        None => None,
    };
    check_processes(config, fix, &mut report);
    if let Some(known) = &known {
        check_run_folders(config, known, fix, &mut report);
    }
    check_temporary(config, fix, &mut report);
    check_logs(config, store.as_ref(), fix, &mut report)?;
    check_reserve(config, fix, &mut report);
    Ok(report)
}

fn check_home(config: &Config, fix: bool, report: &mut Report) {
    let home = &config.home;
    match mode(home) {
        Some(m) if m & 0o077 != 0 => {
            let fixed = fix
                && std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o700)).is_ok();
            report.problem(
                "home",
                format!(
                    "`{}` can be read by other users (mode {m:o}); it should be 700",
                    home.display()
                ),
                fixed,
            );
        }
        _ => report.ok("home", format!("`{}` is private", home.display())),
    }
}

/// The database: present, not empty where the home holds data, sound. Returns
/// the opened store when it can be used for the other checks.
fn check_database(
    config: &Config,
    fix: bool,
    report: &mut Report,
) -> Result<Option<Store>, ServiceError> {
    let database = &config.database;
    let backup = backup_path(database);
    if home::database_is_empty(database) {
        let (workflows, runs) = home::folder_counts(&config.home);
        if workflows + runs > 0 {
            let how = if backup.is_file() {
                "restore the last backup with `flowdesk doctor --restore`"
            } else {
                "there is no backup; move `workflows/` and `runs/` away to start afresh"
            };
            report.problem(
                "database",
                format!(
                    "`{}` is {} but the home folder holds {} and {}; {how}",
                    database.display(),
                    if database.exists() {
                        "empty"
                    } else {
                        "missing"
                    },
                    plural(workflows, "benchmark folder", "benchmark folders"),
                    plural(runs, "run folder", "run folders"),
                ),
                false,
            );
        } else {
            report.ok("database", "no database yet (a new home folder)");
        }
        return Ok(None);
    }
    let found = match backup::inspect(database) {
        Ok(found) => found,
        Err(e) => {
            report.problem(
                "database",
                format!("`{}` cannot be read: {e}; restore the last backup with `flowdesk doctor --restore`", database.display()),
                false,
            );
            return Ok(None);
        }
    };
    if !found.problems.is_empty() {
        report.problem(
            "database",
            format!(
                "`{}` is damaged: {}; restore the last backup with `flowdesk doctor --restore`",
                database.display(),
                found.problems.join("; ")
            ),
            false,
        );
        return Ok(None);
    }
    let store = match Store::open(database) {
        Ok(store) => store,
        Err(e) => {
            report.problem("database", e.to_string(), false);
            return Ok(None);
        }
    };
    report.ok(
        "database",
        format!(
            "`{}` is sound: {} and {}",
            database.display(),
            plural(found.workflows as usize, "benchmark", "benchmarks"),
            plural(found.runs as usize, "run", "runs"),
        ),
    );
    match std::fs::metadata(&backup).and_then(|m| m.modified()) {
        Ok(modified) => {
            let time: chrono::DateTime<chrono::Utc> = modified.into();
            report.ok(
                "backup",
                format!(
                    "`{}` taken {}",
                    backup.display(),
                    time.format("%Y-%m-%d %H:%M:%S UTC")
                ),
            );
        }
        Err(_) => {
            let fixed = fix && store.backup().is_ok();
            report.problem(
                "backup",
                "there is no backup of the database yet (one is taken when flowdesk exits after a change)",
                fixed,
            );
        }
    }
    Ok(Some(store))
}

fn check_permissions(config: &Config, fix: bool, report: &mut Report) {
    let mut files: Vec<PathBuf> = vec![
        config.home.join(SETTINGS_FILE),
        backup_path(&config.database),
    ];
    for suffix in ["", "-wal", "-shm"] {
        let mut file = config.database.as_os_str().to_owned();
        file.push(suffix);
        files.push(PathBuf::from(file));
    }
    let open: Vec<(PathBuf, u32)> = files
        .into_iter()
        .filter_map(|f| mode(&f).map(|m| (f, m)))
        .filter(|(_, m)| m & 0o077 != 0)
        .collect();
    if open.is_empty() {
        report.ok("permissions", "the database and the settings are private");
        return;
    }
    let names: Vec<String> = open
        .iter()
        .map(|(f, m)| format!("`{}` ({m:o})", f.display()))
        .collect();
    let fixed = fix
        && open.iter().all(|(f, _)| {
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o600)).is_ok()
        });
    report.problem(
        "permissions",
        format!(
            "other users can read {}; they should be 600",
            names.join(", ")
        ),
        fixed,
    );
}

/// Runs the store calls active whose owner is gone.
fn check_runs(
    config: &Config,
    store: &Store,
    fix: bool,
    report: &mut Report,
) -> Result<(), ServiceError> {
    let mut abandoned = Vec::new();
    for state in [RunState::Pending, RunState::Running] {
        for run in store.runs(&RunFilter {
            state: Some(state),
            include_postproc: true,
            ..Default::default()
        })? {
            let meta = config.home.join("runs").join(&run.id).join(META_DIR);
            if !is_held(&meta) {
                abandoned.push(run.id);
            }
        }
    }
    if abandoned.is_empty() {
        report.ok("runs", "every active run has a live process executing it");
        return Ok(());
    }
    let mut fixed = fix;
    if fix {
        let dirs: Vec<PathBuf> = abandoned
            .iter()
            .map(|id| config.home.join("runs").join(id))
            .collect();
        let pids: Vec<libc::pid_t> = reaper::find_tagged(&dirs)
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        reaper::kill_all(&pids, Duration::from_secs(3));
        for id in &abandoned {
            if store
                .finish_abandoned(id, RunState::Error, &[super::INTERRUPTED.to_string()])
                .is_err()
            {
                fixed = false;
            }
        }
    }
    report.problem(
        "runs",
        format!(
            "{} still marked active but no process executes {}: {}{}",
            plural(abandoned.len(), "run is", "runs are"),
            if abandoned.len() == 1 { "it" } else { "them" },
            abandoned.join(", "),
            if fixed { " (marked interrupted)" } else { "" }
        ),
        fixed,
    );
    Ok(())
}

/// Processes of this home's runs whose owner is gone.
fn check_processes(config: &Config, fix: bool, report: &mut Report) {
    let runs_dir = config.home.join("runs");
    let left: Vec<(libc::pid_t, PathBuf)> = reaper::find_tagged_under(&runs_dir)
        .into_iter()
        .filter(|(_, run_dir)| !is_held(&run_dir.join(META_DIR)))
        .collect();
    if left.is_empty() {
        report.ok("processes", "no process of a run outlived its owner");
        return;
    }
    let pids: Vec<libc::pid_t> = left.iter().map(|(pid, _)| *pid).collect();
    let fixed = fix && reaper::kill_all(&pids, Duration::from_secs(3)) == 0;
    let runs: HashSet<String> = left
        .iter()
        .filter_map(|(_, dir)| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let mut runs: Vec<String> = runs.into_iter().collect();
    runs.sort();
    report.problem(
        "processes",
        format!(
            "{} of dead owners still running (pids {}; runs {}){}",
            plural(pids.len(), "process", "processes"),
            pids.iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            runs.join(", "),
            if fixed { "; killed" } else { "" }
        ),
        fixed,
    );
}

/// Run folders the store does not know. A folder whose run never started (no
/// log) holds only copies of template files and is removed; one with a log is
/// moved to `lost+found/` (after a restore, its run's record is older than it).
fn check_run_folders(config: &Config, known: &HashSet<String>, fix: bool, report: &mut Report) {
    let runs_dir = config.home.join("runs");
    if !runs_dir.is_dir() {
        report.ok("run folders", "no run folders");
        return;
    }
    let orphans = unknown_folders(&runs_dir, known, |p| !is_held(&p.join(META_DIR)));
    if orphans.is_empty() {
        report.ok("run folders", "every run folder belongs to a run");
        return;
    }
    let mut removed = 0;
    let mut moved = 0;
    let mut failed = 0;
    if fix {
        let lost = config.home.join(LOST_DIR).join("runs");
        for orphan in &orphans {
            let started = orphan.join(META_DIR).join(LOG_FILE).exists();
            let done = if started {
                let target = lost.join(orphan.file_name().unwrap_or_default());
                std::fs::create_dir_all(&lost)
                    .and_then(|()| std::fs::rename(orphan, &target))
                    .map(|()| moved += 1)
            } else {
                std::fs::remove_dir_all(orphan).map(|()| removed += 1)
            };
            if done.is_err() {
                failed += 1;
            }
        }
    }
    let names: Vec<String> = orphans
        .iter()
        .take(10)
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    report.problem(
        "run folders",
        format!(
            "{} without a run in the database: {}{}{}",
            plural(orphans.len(), "run folder", "run folders"),
            names.join(", "),
            if orphans.len() > names.len() {
                ", …"
            } else {
                ""
            },
            if fix {
                format!(
                    "; removed {removed} that never ran, moved {moved} to `{}`",
                    config.home.join(LOST_DIR).join("runs").display()
                )
            } else {
                String::new()
            }
        ),
        fix && failed == 0,
    );
}

/// The entries of `dir`, sorted, whose name is not in `known`, that are not
/// young (something may be creating them right now) and that pass `also`.
fn unknown_folders(
    dir: &Path,
    known: &HashSet<String>,
    also: impl Fn(&Path) -> bool,
) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    let id = p
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    !known.contains(&id) && age(p) >= YOUNG && also(p)
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// Folders under `workflows/` that no installed benchmark owns (left by an
/// older flowdesk killed while installing, or by hand). They are moved to
/// `lost+found/workflows/`, never deleted: they may be someone's only copy.
fn check_benchmark_folders(
    config: &Config,
    known: &HashSet<String>,
    fix: bool,
    report: &mut Report,
) {
    let orphans = unknown_folders(&config.home.join("workflows"), known, Path::is_dir);
    if orphans.is_empty() {
        report.ok(
            "benchmark folders",
            "every benchmark folder belongs to a benchmark",
        );
        return;
    }
    let lost = config.home.join(LOST_DIR).join("workflows");
    let fixed = fix
        && orphans.iter().all(|orphan| {
            let target = lost.join(orphan.file_name().unwrap_or_default());
            std::fs::create_dir_all(&lost)
                .and_then(|()| std::fs::rename(orphan, &target))
                .is_ok()
        });
    let names: Vec<String> = orphans
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    report.problem(
        "benchmark folders",
        format!(
            "{} without a benchmark in the database: {}{}",
            plural(orphans.len(), "benchmark folder", "benchmark folders"),
            names.join(", "),
            if fixed {
                format!("; moved to `{}`", lost.display())
            } else {
                String::new()
            }
        ),
        fixed,
    );
}

fn check_temporary(config: &Config, fix: bool, report: &mut Report) {
    let mut leftovers = home::stale_scratch(&config.home);
    if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        leftovers.extend(entries.flatten().map(|e| e.path()).filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("flowdesk-check-"))
                && age(p) >= OLD_CHECK_SCRATCH
        }));
    }
    if leftovers.is_empty() {
        report.ok("temporary folders", "no leftover temporary folders");
        return;
    }
    let fixed = fix
        && leftovers.iter().all(|p| {
            if p.is_dir() {
                std::fs::remove_dir_all(p).is_ok()
            } else {
                std::fs::remove_file(p).is_ok()
            }
        });
    report.problem(
        "temporary folders",
        format!(
            "{} left by interrupted installs or checks: {}{}",
            plural(leftovers.len(), "folder", "folders"),
            leftovers
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", "),
            if fixed { "; removed" } else { "" }
        ),
        fixed,
    );
}

/// Truncated logs whose tail was never appended (their process died).
fn check_logs(
    config: &Config,
    store: Option<&Store>,
    fix: bool,
    report: &mut Report,
) -> Result<(), ServiceError> {
    let Some(store) = store else {
        return Ok(());
    };
    let mut unfinished = Vec::new();
    for run in store.runs(&RunFilter {
        include_postproc: true,
        ..Default::default()
    })? {
        if run.state.is_active() {
            continue;
        }
        let log_path = config
            .home
            .join("runs")
            .join(&run.id)
            .join(META_DIR)
            .join(LOG_FILE);
        let mut tail = log_path.as_os_str().to_owned();
        tail.push(".tail");
        let mut older = tail.clone();
        older.push(".old");
        if Path::new(&tail).exists() || Path::new(&older).exists() {
            unfinished.push((run.id, log_path));
        }
    }
    if unfinished.is_empty() {
        return Ok(());
    }
    let fixed = fix
        && unfinished
            .iter()
            .all(|(_, path)| log::salvage(path).is_ok());
    report.problem(
        "logs",
        format!(
            "{} truncated without their last part appended: {}{}",
            plural(unfinished.len(), "log was", "logs were"),
            unfinished
                .iter()
                .map(|(id, _)| id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if fixed { "; appended" } else { "" }
        ),
        fixed,
    );
    Ok(())
}

fn check_reserve(config: &Config, fix: bool, report: &mut Report) {
    let path = config.home.join(super::space::RESERVE_FILE);
    if path.is_file() {
        return;
    }
    if fix {
        super::space::ensure_reserve(&config.home);
    }
    report.problem(
        "reserve",
        "there is no reserve (the room kept to record the end of runs on a full disk): the disk was full, or this home folder is older than the reserve",
        fix && path.is_file(),
    );
}

/// Put the last backup of the database in place of the database, then
/// examine the home folder. Refused while another flowdesk process has the
/// home folder open.
pub fn restore(config: &Config) -> Result<Report, ServiceError> {
    let backup = backup_path(&config.database);
    if !backup.is_file() {
        return Err(ServiceError::Invalid(format!(
            "there is no backup to restore (`{}` does not exist)",
            backup.display()
        )));
    }
    let _lock = home::lock_home(&config.home, true)?
        .ok_or_else(|| ServiceError::HomeBusy(config.home.clone()))?;
    let taken = std::fs::metadata(&backup)
        .and_then(|m| m.modified())
        .map(|t| {
            chrono::DateTime::<chrono::Utc>::from(t)
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string()
        })
        .unwrap_or_default();
    let restored = backup::restore(&backup, &config.database)?;
    let mut report = Report::default();
    report.ok(
        "restore",
        format!(
            "restored the backup taken {taken}: {} and {}",
            plural(restored.workflows as usize, "benchmark", "benchmarks"),
            plural(restored.runs as usize, "run", "runs")
        ),
    );
    drop(_lock);
    let rest = examine(config, false)?;
    report.findings.extend(rest.findings);
    Ok(report)
}
