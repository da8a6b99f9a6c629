//! "Try here, submit there": send a run of one backend (this computer) to
//! another (a server) — the same benchmark, the same arguments, the same input
//! files — as a new run of a submission there. Written over the [`Client`]
//! interface only, so it works between any two backends.
//!
//! The benchmark on the server is the one with the same id or name (or the
//! one named explicitly); its parameters must fit the run's: every argument
//! the run was given must exist on the server with the same type, and every
//! parameter the server requires must have a value. Otherwise nothing is sent
//! and the error lists every difference.

use super::{BenchmarkDetail, Client, ClientError, RunDetail, RunRequest, RunRow};
use crate::template::{Parameter, ParameterType};
use serde_json::{json, Map, Value};
use std::path::PathBuf;

/// Where to send the run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubmitOptions {
    /// The submission on the target (id or name); the caller's only one when
    /// `None`.
    pub submission: Option<String>,
    /// The benchmark on the target (id or name); the one with the run's
    /// benchmark id or name when `None`.
    pub benchmark: Option<String>,
}

/// What was sent where.
#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    /// The new run on the target.
    pub run: RunRow,
    /// The target benchmark's id.
    pub benchmark_id: String,
    /// The target submission's name.
    pub submission: String,
}

/// Send run `run` of `from` to `to`.
pub fn submit(
    from: &dyn Client,
    to: &dyn Client,
    run: &str,
    options: &SubmitOptions,
) -> Result<Submitted, ClientError> {
    let detail = from.run(run)?;
    let source = from.benchmark(&detail.run.benchmark_id)?;
    let target = find_benchmark(to, &source, options.benchmark.as_deref())?;
    let differences = differences(&source, &target, &detail.run.arguments);
    if !differences.is_empty() {
        return Err(ClientError::Invalid(format!(
            "the benchmark '{}' on {} does not fit run '{}' of '{}': {}",
            target.benchmark.name,
            to.capabilities().backend,
            detail.run.id,
            source.benchmark.name,
            differences.join("; ")
        )));
    }
    let submission = match &options.submission {
        Some(key) => target
            .submissions
            .iter()
            .find(|s| &s.id == key || &s.name == key)
            .cloned()
            .ok_or_else(|| ClientError::NotFound {
                what: "submission",
                key: key.clone(),
                hint: format!(
                    " of yours to '{}' on {} (yours: {})",
                    target.benchmark.name,
                    to.capabilities().backend,
                    names(&target)
                ),
            })?,
        None => match target.submissions.as_slice() {
            [only] => only.clone(),
            [] => {
                return Err(ClientError::Invalid(format!(
                    "you have no submission to '{}' on {} yet; create one first",
                    target.benchmark.name,
                    to.capabilities().backend
                )))
            }
            _ => {
                return Err(ClientError::Invalid(format!(
                    "you have several submissions to '{}' on {} ({}); say which with --submission",
                    target.benchmark.name,
                    to.capabilities().backend,
                    names(&target)
                )))
            }
        },
    };
    let arguments = arguments(&source, &detail)?;
    let run = to.start_run(&RunRequest {
        benchmark: target.benchmark.id.clone(),
        submission: Some(submission.id.clone()),
        arguments,
        detach: true,
    })?;
    Ok(Submitted {
        run,
        benchmark_id: target.benchmark.id,
        submission: submission.name,
    })
}

fn names(benchmark: &BenchmarkDetail) -> String {
    benchmark
        .submissions
        .iter()
        .map(|s| format!("'{}'", s.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn find_benchmark(
    to: &dyn Client,
    source: &BenchmarkDetail,
    named: Option<&str>,
) -> Result<BenchmarkDetail, ClientError> {
    if let Some(key) = named {
        return to.benchmark(key);
    }
    let benchmarks = to.benchmarks()?;
    let found = benchmarks
        .iter()
        .find(|b| b.id == source.benchmark.id)
        .or_else(|| benchmarks.iter().find(|b| b.name == source.benchmark.name));
    match found {
        Some(found) => to.benchmark(&found.id),
        None => Err(ClientError::NotFound {
            what: "benchmark",
            key: source.benchmark.name.clone(),
            hint: format!(
                " (or with id '{}') on {}; it has {} — name one with --benchmark",
                source.benchmark.id,
                to.capabilities().backend,
                if benchmarks.is_empty() {
                    "none".to_string()
                } else {
                    benchmarks
                        .iter()
                        .map(|b| format!("'{}' ({})", b.name, b.id))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        }),
    }
}

/// Why `target` cannot take the run's arguments, one sentence per problem.
fn differences(
    source: &BenchmarkDetail,
    target: &BenchmarkDetail,
    arguments: &Map<String, Value>,
) -> Vec<String> {
    let mut out = Vec::new();
    for name in arguments.keys() {
        let here = source.parameter(name);
        match (here, target.parameter(name)) {
            (_, None) => out.push(format!("parameter '{name}' does not exist there")),
            (Some(here), Some(there)) if here.dtype.name() != there.dtype.name() => {
                out.push(format!(
                    "parameter '{name}' is {} here and {} there",
                    here.dtype.name(),
                    there.dtype.name()
                ))
            }
            _ => {}
        }
    }
    for there in &target.parameters {
        let given = arguments.contains_key(&there.name);
        if there.required && there.effective_default().is_none() && !given {
            out.push(format!(
                "parameter '{}' is required there and the run has no value for it",
                there.name
            ));
        }
    }
    out
}

/// The run's arguments as a request: plain values as they were, files as the
/// file that run used (its copy in the run folder, else the original path).
fn arguments(source: &BenchmarkDetail, run: &RunDetail) -> Result<Map<String, Value>, ClientError> {
    let mut out = Map::new();
    for (name, value) in &run.run.arguments {
        match source.parameter(name) {
            Some(
                parameter @ Parameter {
                    dtype: ParameterType::File { .. },
                    ..
                },
            ) => {
                // The template's own file: the target has it too.
                if parameter.default.as_ref() == Some(value) {
                    continue;
                }
                let file = parameter.cast_file(value)?;
                let path = input_file(run, &file.source, &file.target).ok_or_else(|| {
                    ClientError::Invalid(format!(
                        "file argument '{name}': the file the run used ('{}', at `{}` in the run) is no longer there",
                        file.source, file.target
                    ))
                })?;
                out.insert(
                    name.clone(),
                    json!({"value": path.to_string_lossy(), "as": file.target}),
                );
            }
            _ => {
                out.insert(name.clone(), value.clone());
            }
        }
    }
    Ok(out)
}

fn input_file(run: &RunDetail, source: &str, target: &str) -> Option<PathBuf> {
    if let Some(folder) = &run.folder {
        if let Ok(path) = crate::paths::join_inside(folder, target, false) {
            if path.is_file() {
                return Some(path);
            }
        }
    }
    let original = PathBuf::from(source);
    original.is_file().then_some(original)
}
