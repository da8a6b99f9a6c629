//! The Settings screen: home folder, Python interpreter, parallel runs, worker
//! configuration and theme. Saved to `settings.json` in the home folder.

use super::app::{Action, AppState};
use super::backend::Request;
use super::dialogs::DialogPurpose;
use crate::config::{Config, Settings};

#[derive(Default)]
pub struct SettingsScreen {
    python: String,
    max_parallel: String,
    pub worker_config: String,
    repository: String,
    base: Settings,
    /// Why the worker configuration in use cannot be used (runs are refused).
    pub worker_config_error: Option<String>,
}

impl SettingsScreen {
    pub fn load(&mut self, config: &Config) {
        self.base = config.settings.clone();
        self.python = config.python.clone();
        self.max_parallel = config.max_parallel.to_string();
        self.worker_config = config
            .worker_config
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        self.repository = config
            .repository
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        state: &AppState,
        dark_mode: bool,
        actions: &mut Vec<Action>,
    ) {
        ui.heading("Settings");
        let parallel: Result<usize, _> = self.max_parallel.trim().parse::<usize>();
        let parallel_error = match parallel {
            Ok(n) if n >= 1 => None,
            _ => Some("a whole number of at least 1"),
        };
        egui::Grid::new("settings")
            .num_columns(3)
            .spacing([12.0, 8.0])
            .show(ui, |ui| {
                ui.label("Home folder");
                ui.label(
                    state
                        .config
                        .as_ref()
                        .map(|c| c.home.display().to_string())
                        .unwrap_or_default(),
                );
                ui.label(egui::RichText::new("start with --home DIR to use another").weak());
                ui.end_row();

                let l = ui.label("Python interpreter");
                ui.add(egui::TextEdit::singleline(&mut self.python).desired_width(260.0))
                    .labelled_by(l.id);
                ui.label(egui::RichText::new("what ${python} runs in commands").weak());
                ui.end_row();

                let l = ui.label("Max parallel runs");
                ui.add(egui::TextEdit::singleline(&mut self.max_parallel).desired_width(60.0))
                    .labelled_by(l.id);
                match parallel_error {
                    Some(e) => ui.colored_label(ui.visuals().error_fg_color, e),
                    None => ui.label(""),
                };
                ui.end_row();

                let l = ui.label("Worker configuration");
                ui.horizontal(|ui| {
                    ui.add(
                        egui::TextEdit::singleline(&mut self.worker_config).desired_width(220.0),
                    )
                    .labelled_by(l.id);
                    if ui.button("Choose…").clicked() {
                        actions.push(Action::OpenDialog(DialogPurpose::WorkerConfig));
                    }
                });
                match &self.worker_config_error {
                    Some(error) => ui.colored_label(ui.visuals().error_fg_color, error),
                    None => ui.label(egui::RichText::new("FLOWSERV_SERIAL_WORKERS file").weak()),
                };
                ui.end_row();

                let l = ui.label("Template repository");
                ui.add(egui::TextEdit::singleline(&mut self.repository).desired_width(260.0))
                    .labelled_by(l.id);
                ui.label(egui::RichText::new("JSON list of installable templates").weak());
                ui.end_row();

                ui.label("Theme");
                ui.horizontal(|ui| {
                    if ui.selectable_label(!dark_mode, "Light").clicked() {
                        actions.push(Action::SetDarkMode(false));
                    }
                    if ui.selectable_label(dark_mode, "Dark").clicked() {
                        actions.push(Action::SetDarkMode(true));
                    }
                });
                ui.end_row();
            });
        ui.add_space(8.0);
        if ui
            .add_enabled(parallel_error.is_none(), egui::Button::new("Save settings"))
            .clicked()
        {
            let mut settings = self.base.clone();
            settings.python = Some(self.python.trim().to_string()).filter(|s| !s.is_empty());
            settings.max_parallel = parallel.ok();
            settings.worker_config = Some(self.worker_config.trim().into())
                .filter(|p: &std::path::PathBuf| !p.as_os_str().is_empty());
            settings.repository = Some(self.repository.trim().into())
                .filter(|p: &std::path::PathBuf| !p.as_os_str().is_empty());
            settings.theme = Some(if dark_mode { "dark" } else { "light" }.to_string());
            self.base = settings.clone();
            actions.push(Action::Backend(Request::SaveSettings(settings)));
        }
    }
}
