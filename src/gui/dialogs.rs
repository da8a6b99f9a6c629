//! File dialogs that always work. The native dialog (rfd, through the
//! desktop's xdg-desktop-portal) runs on its own short-lived thread and hands
//! the chosen path back over a channel, so the UI never blocks. Where there is
//! no portal (XFCE, i3, many lab machines: no session bus, or a native dialog
//! that "returns" before a person could have clicked), an in-app dialog
//! (egui_file) opens instead, so choosing a file never fails silently.

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
        }
    }

    /// The file name a save dialog suggests.
    fn file_name(&self) -> Option<String> {
        match self {
            DialogPurpose::ExportRun(run) => Some(format!("run-{run}.tar.gz")),
            DialogPurpose::ExportLeaderboard => Some("leaderboard.csv".into()),
            DialogPurpose::PackArchive => Some("benchmark.tar.gz".into()),
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
