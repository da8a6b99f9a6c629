//! The Settings screen: home folder, Python interpreter, parallel runs, worker
//! configuration and theme. Like a desktop app's preferences, a change is
//! saved to `settings.json` in the home folder and applied at once: a text
//! field when it loses focus (or on Enter), a choice when it is made. There is
//! no Save button to forget.

use super::dialogs::DialogPurpose;
use super::state::{Action, AppState, Screen, SettingsRequest};
use super::widgets::buttons::ICON_CHECK;
use crate::config::{Config, Settings};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long typing pauses before a text field's value is saved.
const TYPING_PAUSE: Duration = Duration::from_millis(700);

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
    /// A change waits to be saved (set by a field, taken by `ui`).
    dirty: bool,
    /// When a field was last typed in: it is saved once typing pauses (or
    /// when it loses focus), not at every key.
    typed_at: Option<Instant>,
    /// The settings were saved this many times when the last change was sent.
    sent_at: Option<u64>,
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
        ui.label(
            egui::RichText::new(
                "Changes are saved and take effect at once, for runs started from now on.",
            )
            .weak(),
        );
        ui.add_space(6.0);
        egui::Grid::new("settings")
            .num_columns(3)
            .spacing([12.0, 8.0])
            .show(ui, |ui| self.fields_ui(ui, state, parallel_error, actions));
        ui.add_space(8.0);
        if let Some(at) = self.typed_at {
            let waited = at.elapsed();
            if waited >= TYPING_PAUSE {
                self.dirty = true;
            } else {
                ui.ctx().request_repaint_after(TYPING_PAUSE - waited);
            }
        }
        if self.dirty && parallel_error.is_none() {
            self.typed_at = None;
            self.dirty = false;
            let settings = self.settings(parallel.ok(), state.persisted.dark_mode);
            if settings != self.base {
                self.base = settings.clone();
                self.sent_at = Some(state.settings_saved);
                actions.push(Action::SaveSettings(settings));
            }
        }
        match self.sent_at {
            Some(sent) if state.settings_saved > sent => {
                ui.horizontal(|ui| {
                    ui.label(ICON_CHECK.rich_text().weak());
                    ui.label(egui::RichText::new("Saved and applied").weak());
                });
            }
            Some(_) => {
                ui.label(egui::RichText::new("Saving…").weak());
            }
            None => {}
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
                    self.worker_config = path.to_string_lossy().into_owned();
                    self.dirty = true;
                }
            }
        }
    }

    /// Note what a text field's frame did: typing starts the pause, leaving
    /// the field saves at once.
    fn edited(&mut self, edit: &egui::Response) {
        if edit.changed() {
            self.typed_at = Some(Instant::now());
        }
        self.dirty |= edit.lost_focus();
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
        let edit = ui
            .add(egui::TextEdit::singleline(&mut self.python).desired_width(260.0))
            .labelled_by(l.id);
        self.edited(&edit);
        ui.label(egui::RichText::new("what ${python} runs in commands").weak());
        ui.end_row();

        let l = ui.label("Max parallel runs");
        let edit = ui
            .add(egui::TextEdit::singleline(&mut self.max_parallel).desired_width(60.0))
            .labelled_by(l.id);
        self.edited(&edit);
        match parallel_error {
            Some(e) => ui.colored_label(ui.visuals().error_fg_color, e),
            None => ui.label(""),
        };
        ui.end_row();

        let l = ui.label("Worker configuration");
        ui.horizontal(|ui| {
            let edit = ui
                .add(egui::TextEdit::singleline(&mut self.worker_config).desired_width(220.0))
                .labelled_by(l.id);
            self.edited(&edit);
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
        let edit = ui
            .add(egui::TextEdit::singleline(&mut self.repository).desired_width(260.0))
            .labelled_by(l.id);
        self.edited(&edit);
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
