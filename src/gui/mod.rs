//! The desktop app: an eframe window over the service layer. One file per screen;
//! shared widgets in `widgets/`. Screens read `AppState` and push `Action`s; the
//! `backend` thread owns the `Service` and does all work off the UI thread.

pub mod app;
pub mod backend;
mod benchmarks;
mod dialogs;
pub mod leaderboard;
pub mod new_run;
mod overview;
pub mod run_detail;
pub mod runs;
mod settings;
mod template_check;
pub mod widgets;

pub use app::FlowdeskApp;

use crate::config::Config;
use std::path::PathBuf;

/// Open the window. `open` is a template folder to check at once (`flowdesk <path>`).
pub fn run(config: Config, open: Option<PathBuf>) -> Result<(), eframe::Error> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("flowdesk")
            .with_app_id("flowdesk")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([800.0, 500.0]),
        ..Default::default()
    };
    eframe::run_native(
        "flowdesk",
        options,
        Box::new(move |cc| Ok(Box::new(FlowdeskApp::new(cc, config, open)))),
    )
}
