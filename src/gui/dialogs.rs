//! File dialogs that always work. The native dialog (rfd, through the
//! desktop's xdg-desktop-portal) runs on its own short-lived thread and hands
//! the chosen path back over a channel, so the UI never blocks. Where there is
//! no portal (XFCE, i3, many lab machines: no session bus, or a native dialog
//! that "returns" before a person could have clicked), an in-app dialog
//! (egui_file) opens instead, so choosing a file never fails silently. For
//! bundles, where no display server is found, a [`PathPrompt`] asks for the
//! path as text.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// A native dialog that answers faster than this could not be shown: nobody
/// cancels a dialog within a fifth of a second.
const TOO_FAST: Duration = Duration::from_millis(200);

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
    kind: Kind,
}

enum Kind {
    /// The native dialog's thread: the path chosen and how long it took.
    Native(Receiver<(Option<PathBuf>, Duration)>),
    InApp(Box<egui_file::FileDialog>),
}

/// Whether a native dialog can be tried: `FLOWDESK_FILE_DIALOG=builtin`
/// forces the in-app one, and without a session bus there is no portal.
fn native_available() -> bool {
    match std::env::var("FLOWDESK_FILE_DIALOG").as_deref() {
        Ok("builtin") => false,
        Ok("native") => true,
        _ => std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
    }
}

impl DialogPurpose {
    fn title(&self) -> String {
        match self {
            DialogPurpose::InstallFolder => "Install a benchmark from a folder".into(),
            DialogPurpose::TemplateFolder => "Check a template folder".into(),
            DialogPurpose::InstallArchive => "Install a benchmark from an archive".into(),
            DialogPurpose::ExportRun(_) => "Export run outputs".into(),
            DialogPurpose::ExportLeaderboard => "Export leaderboard".into(),
            DialogPurpose::FileArgument(name) | DialogPurpose::TryFileArgument(name) => {
                format!("File for '{name}'")
            }
            DialogPurpose::ResultFile => "Result file to check".into(),
            DialogPurpose::PackArchive => "Pack for participants".into(),
            DialogPurpose::WorkerConfig => "Worker configuration file".into(),
            DialogPurpose::ExportBundle(_) => "Export a run bundle".into(),
            DialogPurpose::ImportBundle => "Import a run bundle".into(),
        }
    }

    /// The file name a save dialog suggests.
    fn file_name(&self) -> Option<String> {
        match self {
            DialogPurpose::ExportRun(run) => Some(format!("run-{run}.tar.gz")),
            DialogPurpose::ExportLeaderboard => Some("leaderboard.csv".into()),
            DialogPurpose::PackArchive => Some("benchmark.tar.gz".into()),
            DialogPurpose::ExportBundle(run) => Some(format!("run-{run}.bundle.tar.gz")),
            _ => None,
        }
    }

    fn picks_folder(&self) -> bool {
        matches!(
            self,
            DialogPurpose::InstallFolder | DialogPurpose::TemplateFolder
        )
    }
}

impl Dialog {
    /// Open the dialog for `purpose`: native where a portal may answer, else
    /// (or after `force_in_app`) in the app.
    pub fn open(purpose: DialogPurpose, ctx: egui::Context, force_in_app: bool) -> Dialog {
        if force_in_app || !native_available() {
            return Self::in_app(purpose);
        }
        let (tx, rx) = mpsc::channel();
        let kind = purpose.clone();
        let spawned = std::thread::Builder::new()
            .name("flowdesk-dialog".into())
            .spawn(move || {
                let started = Instant::now();
                let dialog = rfd::FileDialog::new().set_title(kind.title());
                let path = match &kind {
                    DialogPurpose::InstallFolder | DialogPurpose::TemplateFolder => {
                        dialog.pick_folder()
                    }
                    DialogPurpose::InstallArchive => dialog
                        .add_filter("Template archive", &["zip", "gz", "tgz", "tar"])
                        .pick_file(),
                    DialogPurpose::ExportRun(_)
                    | DialogPurpose::ExportLeaderboard
                    | DialogPurpose::PackArchive => dialog
                        .set_file_name(kind.file_name().unwrap_or_default())
                        .save_file(),
                    DialogPurpose::ResultFile => dialog
                        .add_filter("JSON or YAML", &["json", "yaml", "yml"])
                        .pick_file(),
                    DialogPurpose::WorkerConfig => dialog
                        .add_filter("YAML or JSON", &["yaml", "yml", "json"])
                        .pick_file(),
                    DialogPurpose::FileArgument(_) | DialogPurpose::TryFileArgument(_) => {
                        dialog.pick_file()
                    }
                    DialogPurpose::ExportBundle(_) => dialog
                        .set_file_name(kind.file_name().unwrap_or_default())
                        .add_filter("Run bundle", &["gz", "tgz"])
                        .save_file(),
                    DialogPurpose::ImportBundle => {
                        dialog.add_filter("Run bundle", &["gz", "tgz"]).pick_file()
                    }
                };
                let _ = tx.send((path, started.elapsed()));
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => Dialog {
                purpose,
                kind: Kind::Native(rx),
            },
            Err(_) => Self::in_app(purpose),
        }
    }

    fn in_app(purpose: DialogPurpose) -> Dialog {
        let mut dialog = if purpose.picks_folder() {
            egui_file::FileDialog::select_folder()
        } else if let Some(name) = purpose.file_name() {
            egui_file::FileDialog::save_file().default_filename(name)
        } else {
            egui_file::FileDialog::open_file()
        };
        if let Ok(start) = std::env::current_dir() {
            dialog = dialog.initial_path(start);
        }
        dialog = dialog
            .title(&purpose.title())
            .id(egui::Id::unique(("file_dialog", purpose.title())));
        dialog.open();
        Dialog {
            purpose,
            kind: Kind::InApp(Box::new(dialog)),
        }
    }

    /// Draw an in-app dialog (a native one draws itself).
    pub fn show(&mut self, ctx: &egui::Context) {
        if let Kind::InApp(dialog) = &mut self.kind {
            dialog.show(ctx);
        }
    }

    /// The result once the user has chosen (or cancelled: `Some((purpose,
    /// None))`). A native dialog that could not be shown turns into an in-app
    /// one here.
    pub fn poll(&mut self) -> Option<(DialogPurpose, Option<PathBuf>)> {
        match &mut self.kind {
            Kind::Native(result) => match result.try_recv() {
                Ok((None, took)) if took < TOO_FAST => {
                    *self = Self::in_app(self.purpose.clone());
                    None
                }
                Ok((path, _)) => Some((self.purpose.clone(), path)),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => Some((self.purpose.clone(), None)),
            },
            Kind::InApp(dialog) => match dialog.state() {
                egui_file::State::Selected => {
                    Some((self.purpose.clone(), dialog.path().map(|p| p.to_path_buf())))
                }
                egui_file::State::Cancelled | egui_file::State::Closed => {
                    Some((self.purpose.clone(), None))
                }
                egui_file::State::Open => None,
            },
        }
    }
}
