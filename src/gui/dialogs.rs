//! Native file dialogs (rfd) without blocking the UI: each dialog runs on its own
//! short-lived thread and hands the chosen path back over a channel. Where no
//! dialog can be shown (no display server), a [`PathPrompt`] asks for the path
//! as text instead.

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
    /// Where to write the bundle of a run, by run id.
    ExportBundle(String),
    ImportBundle,
}

impl DialogPurpose {
    /// Whether a typed path stands in for this dialog where none can be shown.
    pub fn has_path_prompt(&self) -> bool {
        matches!(
            self,
            DialogPurpose::ExportBundle(_) | DialogPurpose::ImportBundle
        )
    }
}

/// Whether a native dialog can be shown: on Linux and the BSDs it needs a
/// display server (the portal's dialogs open on it).
pub fn can_show() -> bool {
    if cfg!(any(target_os = "windows", target_os = "macos")) {
        return true;
    }
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

/// A path typed in a small window, for a dialog that cannot be shown.
pub struct PathPrompt {
    purpose: DialogPurpose,
    path: String,
}

impl PathPrompt {
    pub fn new(purpose: DialogPurpose) -> PathPrompt {
        let path = match &purpose {
            DialogPurpose::ExportBundle(run) => format!("run-{run}.bundle.tar.gz"),
            _ => String::new(),
        };
        PathPrompt { purpose, path }
    }

    /// Draw the window; once the user is done, what they chose: the purpose
    /// and the path, or `None` when they cancelled.
    pub fn ui(&mut self, ctx: &egui::Context) -> Option<(DialogPurpose, Option<PathBuf>)> {
        let (title, confirm) = match &self.purpose {
            DialogPurpose::ExportBundle(_) => ("Export bundle", "Write bundle"),
            DialogPurpose::ImportBundle => ("Import bundle", "Import"),
            _ => ("Choose a file", "OK"),
        };
        let mut done = None;
        let modal = egui::Modal::new(egui::Id::unique("path_prompt")).show(ctx, |ui| {
            ui.heading(title);
            ui.label("No file dialog can be shown here; type the path of the file.");
            ui.horizontal(|ui| {
                let label = ui.label("Bundle file");
                let response = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.path)
                            .hint_text("/path/to/run.bundle.tar.gz")
                            .desired_width(320.0),
                    )
                    .labelled_by(label.id);
                let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                let path = self.path.trim();
                let ok = ui
                    .add_enabled(!path.is_empty(), egui::Button::new(confirm))
                    .clicked();
                if (ok || enter) && !path.is_empty() {
                    done = Some(Some(PathBuf::from(path)));
                }
            });
            if ui.button("Cancel").clicked() {
                done = Some(None);
            }
        });
        if done.is_none() && modal.should_close() {
            done = Some(None);
        }
        done.map(|path| (self.purpose.clone(), path))
    }
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
                    DialogPurpose::ExportBundle(run) => dialog
                        .set_title("Export a run bundle")
                        .set_file_name(format!("run-{run}.bundle.tar.gz"))
                        .add_filter("Run bundle", &["gz", "tgz"])
                        .save_file(),
                    DialogPurpose::ImportBundle => dialog
                        .set_title("Import a run bundle")
                        .add_filter("Run bundle", &["gz", "tgz"])
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
