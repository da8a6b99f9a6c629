//! The workbench's part of the backend: one try area per app session (created
//! at the first try run, removed when the app closes — or, after a crash, by
//! the next start), a try run on a thread of
//! its own so that checks and packing are never held up by it, and the schema
//! check, expansion and packing of the folder on the workbench.

use super::state::WorkbenchAction;
use crate::client::local::LocalClient;
use crate::client::templates::{self, CheckOptions};
use crate::client::view::{PackedTemplate, ResultCheck};
use crate::client::workbench::{TryArea, TryOutcome};
use crate::client::Client;
use crate::config::Config;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// What the workbench's requests answer.
#[derive(Debug)]
pub enum WorkbenchResponse {
    TryStarted(String),
    /// More of the try run's log.
    TryLog(String),
    TryFinished(Result<Arc<TryOutcome>, String>),
    ResultChecked(Result<ResultCheck, String>),
    Packed(Result<PackedTemplate, String>),
    /// The folder's workflow expanded with these arguments.
    Expanded {
        folder: std::path::PathBuf,
        arguments: serde_json::Map<String, serde_json::Value>,
        result: Result<crate::client::Preview, String>,
    },
}

type Send = Arc<dyn Fn(WorkbenchResponse) + std::marker::Send + Sync>;

/// The try run in flight: the try area's client and the run's id.
type Running = Mutex<Option<(Arc<LocalClient>, String)>>;

/// The try area and the try run in flight.
#[derive(Default)]
pub struct TryRunner {
    area: Arc<Mutex<Option<TryArea>>>,
    /// The folder changed since the last try: install it afresh.
    stale: Arc<AtomicBool>,
    running: Arc<Running>,
}

impl TryRunner {
    /// A check after a save: the next try installs the new version.
    pub fn mark_stale(&self) {
        self.stale.store(true, Ordering::SeqCst);
    }

    /// Cancel the try run in flight and remove the try area.
    pub fn close(&self) {
        self.handle_cancel();
        let area = self
            .area
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(area);
    }

    fn handle_cancel(&self) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some((client, run)) = running {
            let _ = client.cancel_run(&run);
        }
    }

    pub fn handle(&self, config: &Config, action: WorkbenchAction, send: Send) {
        match action {
            WorkbenchAction::Try { folder, arguments } => {
                let busy = self
                    .running
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .is_some();
                if busy {
                    send(WorkbenchResponse::TryFinished(Err(
                        "a try run is still running; cancel it first".into(),
                    )));
                    return;
                }
                let area = Arc::clone(&self.area);
                let stale = Arc::clone(&self.stale);
                let running = Arc::clone(&self.running);
                let config = config.clone();
                let answer = Arc::clone(&send);
                let spawned = std::thread::Builder::new()
                    .name("flowdesk-try-run".into())
                    .spawn(move || {
                        let mut area = area.lock().unwrap_or_else(PoisonError::into_inner);
                        let result = try_run(
                            &mut area, &config, &stale, &running, &folder, arguments, &answer,
                        );
                        *running.lock().unwrap_or_else(PoisonError::into_inner) = None;
                        answer(WorkbenchResponse::TryFinished(
                            result.map(Arc::new).map_err(|e| e.to_string()),
                        ));
                    });
                if let Err(e) = spawned {
                    send(WorkbenchResponse::TryFinished(Err(format!(
                        "cannot start the try run: {e}"
                    ))));
                }
            }
            WorkbenchAction::CancelTry => self.handle_cancel(),
            WorkbenchAction::CheckResult { folder, file } => {
                let result = templates::check_result(&folder, &CheckOptions::default(), &file)
                    .map(|(_, checked)| checked)
                    .map_err(|e| e.to_string());
                send(WorkbenchResponse::ResultChecked(result));
            }
            WorkbenchAction::Pack { folder, out } => {
                let result = templates::pack(&folder, &CheckOptions::default(), &out)
                    .map_err(|e| e.to_string());
                send(WorkbenchResponse::Packed(result));
            }
            WorkbenchAction::Expand { folder, arguments } => {
                // With this home's Python, as a try run or an install would.
                let result =
                    templates::expand(&folder, &CheckOptions::default(), &arguments, Some(config))
                        .map(|(_, preview)| preview)
                        .map_err(|e| e.to_string());
                send(WorkbenchResponse::Expanded {
                    folder,
                    arguments,
                    result,
                });
            }
        }
    }
}

fn try_run(
    area: &mut Option<TryArea>,
    config: &Config,
    stale: &AtomicBool,
    running: &Running,
    folder: &std::path::Path,
    arguments: serde_json::Map<String, serde_json::Value>,
    send: &Send,
) -> Result<TryOutcome, crate::client::ClientError> {
    if area.is_none() {
        *area = Some(TryArea::open(config)?);
    }
    let Some(area) = area.as_mut() else {
        return Err(crate::client::ClientError::Invalid(
            "the try area could not be opened".into(),
        ));
    };
    if stale.swap(false, Ordering::SeqCst) {
        area.mark_stale();
    }
    let client = area.client();
    area.try_to_end(
        folder,
        &CheckOptions::default(),
        arguments,
        true,
        |run| {
            *running.lock().unwrap_or_else(PoisonError::into_inner) =
                Some((Arc::clone(&client), run.id.clone()));
            send(WorkbenchResponse::TryStarted(run.id.clone()));
        },
        |chunk| {
            send(WorkbenchResponse::TryLog(
                String::from_utf8_lossy(chunk).into_owned(),
            ))
        },
    )
}
