//! The Settings screen: home folder, Python interpreter, parallel runs, worker
//! configuration and theme. Saved to `settings.json` in the home folder.

use super::dialogs::DialogPurpose;
use super::state::{Action, AppState, Screen, SettingsRequest};
use crate::config::{Config, Settings};
use std::path::PathBuf;

#[derive(Default)]
pub struct SettingsScreen {
    python: String,
    max_parallel: String,
    worker_config: String,
    repository: String,
    base: Settings,
    /// The configuration was loaded into the fields.
    loaded: bool,
    /// The last settings request applied.
    seen: u64,
}

impl Screen for SettingsScreen {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>) {
        self.sync(state);
        ui.heading("Settings");
        let parallel: Result<usize, _> = self.max_parallel.trim().parse::<usize>();
        let parallel_error = match parallel {
            Ok(n) if n >= 1 => None,
            _ => Some("a whole number of at least 1"),
        };
        egui::Grid::new("settings")
            .num_columns(3)
            .spacing([12.0, 8.0])
            .show(ui, |ui| self.fields_ui(ui, state, parallel_error, actions));
        ui.add_space(8.0);
        if ui
            .add_enabled(parallel_error.is_none(), egui::Button::new("Save settings"))
            .clicked()
        {
            let settings = self.settings(parallel.ok(), state.persisted.dark_mode);
            self.base = settings.clone();
            actions.push(Action::SaveSettings(settings));
        }
    }
}

impl SettingsScreen {
    /// Fill the fields from the configuration once it is known, and take in a
    /// chosen worker configuration file.
    fn sync(&mut self, state: &AppState) {
        if let (false, Some(config)) = (self.loaded, &state.config) {
            self.load(config);
            self.loaded = true;
        }
        let requests: Vec<(u64, SettingsRequest)> = state
            .settings
            .since(self.seen)
            .map(|(n, r)| (n, r.clone()))
            .collect();
        for (n, request) in requests {
            self.seen = n;
            match request {
                SettingsRequest::WorkerConfig(path) => {
                    self.worker_config = path.to_string_lossy().into_owned()
                }
            }
        }
    }

    fn load(&mut self, config: &Config) {
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

    fn settings(&self, max_parallel: Option<usize>, dark_mode: bool) -> Settings {
        let path =
            |text: &str| Some(PathBuf::from(text.trim())).filter(|p| !p.as_os_str().is_empty());
        let mut settings = self.base.clone();
        settings.python = Some(self.python.trim().to_string()).filter(|s| !s.is_empty());
        settings.max_parallel = max_parallel;
        settings.worker_config = path(&self.worker_config);
        settings.repository = path(&self.repository);
        settings.theme = Some(if dark_mode { "dark" } else { "light" }.to_string());
        settings
    }

    fn fields_ui(
        &mut self,
        ui: &mut egui::Ui,
        state: &AppState,
        parallel_error: Option<&str>,
        actions: &mut Vec<Action>,
    ) {
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
            ui.add(egui::TextEdit::singleline(&mut self.worker_config).desired_width(220.0))
                .labelled_by(l.id);
            if ui.button("Choose…").clicked() {
                actions.push(Action::OpenDialog(DialogPurpose::WorkerConfig));
            }
        });
        match &state.worker_config_error {
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
        let dark_mode = state.persisted.dark_mode;
        ui.horizontal(|ui| {
            if ui.selectable_label(!dark_mode, "Light").clicked() {
                actions.push(Action::SetDarkMode(false));
            }
            if ui.selectable_label(dark_mode, "Dark").clicked() {
                actions.push(Action::SetDarkMode(true));
            }
        });
        ui.end_row();
    }
}
