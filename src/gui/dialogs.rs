//! Native file dialogs (rfd) without blocking the UI: each dialog runs on its own
//! short-lived thread and hands the chosen path back over a channel.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, TryRecvError};

/// What the chosen path is for.
#[derive(Debug, Clone, PartialEq)]
pub enum DialogPurpose {
    InstallFolder,
    InstallArchive,
    TemplateFolder,
    ExportRun(String),
    ExportLeaderboard,
    /// A file argument of the New run form, by parameter name.
    FileArgument(String),
    /// A file argument of the workbench's form, by parameter name.
    TryFileArgument(String),
    /// A result file to check against the workbench's schema.
    ResultFile,
    /// Where the workbench packs the archive for participants.
    PackArchive,
    WorkerConfig,
}

/// An open dialog.
pub struct Dialog {
    purpose: DialogPurpose,
    result: Receiver<Option<PathBuf>>,
}

impl Dialog {
    pub fn open(purpose: DialogPurpose, ctx: egui::Context) -> Dialog {
        let (tx, rx) = mpsc::channel();
        let kind = purpose.clone();
        let spawned = std::thread::Builder::new()
            .name("flowdesk-dialog".into())
            .spawn(move || {
                let dialog = rfd::FileDialog::new();
                let path = match kind {
                    DialogPurpose::InstallFolder => dialog
                        .set_title("Install a benchmark from a folder")
                        .pick_folder(),
                    DialogPurpose::TemplateFolder => {
                        dialog.set_title("Check a template folder").pick_folder()
                    }
                    DialogPurpose::InstallArchive => dialog
                        .set_title("Install a benchmark from an archive")
                        .add_filter("Template archive", &["zip", "gz", "tgz", "tar"])
                        .pick_file(),
                    DialogPurpose::ExportRun(run) => dialog
                        .set_title("Export run outputs")
                        .set_file_name(format!("run-{run}.tar.gz"))
                        .save_file(),
                    DialogPurpose::ExportLeaderboard => dialog
                        .set_title("Export leaderboard")
                        .set_file_name("leaderboard.csv")
                        .add_filter("CSV", &["csv"])
                        .save_file(),
                    DialogPurpose::FileArgument(name) | DialogPurpose::TryFileArgument(name) => {
                        dialog.set_title(format!("File for '{name}'")).pick_file()
                    }
                    DialogPurpose::ResultFile => dialog
                        .set_title("Result file to check")
                        .add_filter("JSON or YAML", &["json", "yaml", "yml"])
                        .pick_file(),
                    DialogPurpose::PackArchive => dialog
                        .set_title("Pack for participants")
                        .set_file_name("benchmark.tar.gz")
                        .save_file(),
                    DialogPurpose::WorkerConfig => dialog
                        .set_title("Worker configuration file")
                        .add_filter("YAML or JSON", &["yaml", "yml", "json"])
                        .pick_file(),
                };
                let _ = tx.send(path);
                ctx.request_repaint();
            });
        if spawned.is_err() {
            let (tx, rx) = mpsc::channel();
            let _ = tx.send(None);
            return Dialog {
                purpose,
                result: rx,
            };
        }
        Dialog {
            purpose,
            result: rx,
        }
    }

    /// The result once the user has chosen (or cancelled: `Some((purpose, None))`).
    pub fn poll(&mut self) -> Option<(DialogPurpose, Option<PathBuf>)> {
        match self.result.try_recv() {
            Ok(path) => Some((self.purpose.clone(), path)),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some((self.purpose.clone(), None)),
        }
    }
}
