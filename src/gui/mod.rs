//! The desktop app: an eframe window over the client interface. One file per
//! screen; shared widgets in `widgets/`. Screens read `AppState` and push
//! `Action`s (`state.rs`); the `backend` threads own the client and do all work
//! off the UI thread; `app.rs` connects the two.

pub mod app;
pub mod backend;
mod benchmarks;
mod dialogs;
pub mod fonts;
pub mod leaderboard;
pub mod new_run;
mod overview;
pub mod run_detail;
pub mod runs;
mod servers;
mod settings;
mod sign_in;
pub mod state;
mod submissions;
mod template_check;
mod try_runner;
pub mod widgets;

pub use app::FlowdeskApp;

use crate::config::Config;
use std::path::{Path, PathBuf};

/// The window icon, compiled in so the binary needs no file at run time (the
/// installed hicolor icons serve the desktop's menus; this one the title bar and
/// task switcher, also when flowdesk runs from a source checkout).
const ICON_PNG: &[u8] = include_bytes!("../../assets/icons/flowdesk-256.png");

/// The window icon as RGBA pixels; `None` only if the embedded PNG is broken,
/// which must not keep the window from opening.
pub fn window_icon() -> Option<egui::IconData> {
    let image = image::load_from_memory_with_format(ICON_PNG, image::ImageFormat::Png).ok()?;
    let image = image.into_rgba8();
    Some(egui::IconData {
        width: image.width(),
        height: image.height(),
        rgba: image.into_raw(),
    })
}

/// The file eframe keeps the UI state in (window size, tabs, sorts): inside
/// the home folder, so two homes (`--home`) never share or overwrite each
/// other's. For the default home this is the very file eframe used before
/// (`~/.local/share/flowdesk/app.ron`), so nothing is lost on upgrade.
pub fn ui_state_file(home: &Path) -> PathBuf {
    home.join("app.ron")
}

/// Open the window. `open` is a template folder or archive to check at once
/// (`flowdesk <path>`).
pub fn run(config: Config, open: Option<PathBuf>) -> Result<(), eframe::Error> {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("flowdesk")
        // The app id is the desktop entry's name (`flowdesk.desktop`), so Wayland
        // compositors show the installed icon and group the window with the entry.
        .with_app_id("flowdesk")
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([800.0, 500.0]);
    if let Some(icon) = window_icon() {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions {
        viewport,
        // The app adds the system fonts itself (`fonts.rs`); eframe's own
        // provider is behind a feature that is off and would only log.
        system_font_fallback: false,
        persistence_path: Some(ui_state_file(&config.home)),
        ..Default::default()
    };
    eframe::run_native(
        "flowdesk",
        options,
        Box::new(move |cc| Ok(Box::new(FlowdeskApp::new(cc, config, open)))),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_home_keeps_its_own_ui_state_file() {
        let a = super::ui_state_file(std::path::Path::new("/data/a"));
        let b = super::ui_state_file(std::path::Path::new("/data/b"));
        assert_ne!(a, b);
        assert!(a.starts_with("/data/a") && b.starts_with("/data/b"));
        // The default home keeps the file eframe wrote there before.
        let default = directories::ProjectDirs::from("org", "flowdesk", "flowdesk")
            .map(|dirs| dirs.data_dir().to_path_buf());
        if let (Some(default), Some(eframe)) = (default, eframe::storage_dir("flowdesk")) {
            assert_eq!(super::ui_state_file(&default), eframe.join("app.ron"));
        }
    }

    #[test]
    fn the_window_icon_decodes() {
        let icon = super::window_icon().expect("the embedded icon is a valid PNG");
        assert_eq!((icon.width, icon.height), (256, 256));
        assert_eq!(icon.rgba.len(), 256 * 256 * 4);
    }
}
