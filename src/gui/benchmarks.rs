//! The benchmarks side panel: installed benchmarks with a filter, install from a
//! folder, an archive or a git URL, uninstall with confirmation, and import a
//! run bundle (also by dropping it onto the window). A backend that cannot
//! install (a server) says why instead of offering the buttons.

use super::dialogs::DialogPurpose;
use super::state::{Action, AppState, Loading, Screen};
use super::widgets::buttons::{
    icon_button, ICON_CLOUD_DOWNLOAD, ICON_DELETE, ICON_FOLDER_OPEN, ICON_PACKAGE_2, ICON_UNARCHIVE,
};
use crate::client::{InstallSource, Operation};

#[derive(Default)]
pub struct BenchmarksPanel {
    filter: String,
    git_url: String,
    show_git: bool,
    confirm_uninstall: Option<(String, String)>,
}

impl Screen for BenchmarksPanel {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>) {
        ui.add_space(4.0);
        ui.heading("Benchmarks");
        self.filter_ui(ui);
        ui.add_space(4.0);
        if state.is_loading(Loading::Benchmarks) {
            crate::gui::widgets::spinner::spinner(ui);
        }
        self.list_ui(ui, state, actions);
        ui.separator();
        if state.supports(Operation::ManageBenchmarks) {
            self.install_ui(ui, state, actions);
            self.uninstall_ui(ui, state, actions);
        }
        if state.supports(Operation::Bundles) {
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                if icon_button(ui, ICON_PACKAGE_2, "Import bundle…")
                    .on_hover_text(
                        "Import a run bundle (.tar.gz) made by `flowdesk bundle` or Export bundle; dropping one onto the window does the same",
                    )
                    .clicked()
                {
                    actions.push(Action::OpenDialog(DialogPurpose::ImportBundle));
                }
                if state.is_loading(Loading::Import) {
                    super::widgets::spinner::spinner(ui);
                }
            });
        } else if let Some(reason) = state
            .capabilities
            .as_ref()
            .and_then(|c| c.reason(Operation::ManageBenchmarks))
        {
            ui.label(egui::RichText::new(reason).weak());
        }
    }
}

impl BenchmarksPanel {
    fn filter_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let label = ui.label("Filter");
            ui.add(
                egui::TextEdit::singleline(&mut self.filter)
                    .hint_text("name or description")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        });
    }

    fn list_ui(&mut self, ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>) {
        let filter = self.filter.trim().to_lowercase();
        let selected = state.persisted.selected_workflow.as_deref();
        let shown: Vec<_> = state
            .benchmarks
            .iter()
            .filter(|benchmark| {
                let description = benchmark.description.as_deref().unwrap_or_default();
                filter.is_empty()
                    || benchmark.name.to_lowercase().contains(&filter)
                    || description.to_lowercase().contains(&filter)
            })
            .collect();
        if state.benchmarks_loaded && shown.is_empty() {
            empty_list_ui(ui, state, self.filter.trim());
        }
        egui::ScrollArea::vertical()
            .max_height(ui.available_height() - 150.0)
            .show(ui, |ui| {
                for benchmark in shown {
                    let is_selected = selected == Some(benchmark.id.as_str());
                    let response = ui
                        .selectable_label(is_selected, &benchmark.name)
                        .on_hover_text(benchmark.description.as_deref().unwrap_or(&benchmark.id));
                    if response.clicked() {
                        actions.push(Action::SelectBenchmark(benchmark.id.clone()));
                    }
                }
            });
    }

    fn install_ui(&mut self, ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>) {
        ui.label(egui::RichText::new("Install").strong());
        ui.horizontal_wrapped(|ui| {
            if icon_button(ui, ICON_FOLDER_OPEN, "From folder…").clicked() {
                actions.push(Action::OpenDialog(DialogPurpose::InstallFolder));
            }
            if icon_button(ui, ICON_UNARCHIVE, "From archive…").clicked() {
                actions.push(Action::OpenDialog(DialogPurpose::InstallArchive));
            }
            if icon_button(ui, ICON_CLOUD_DOWNLOAD, "From git URL…").clicked() {
                self.show_git = !self.show_git;
            }
        });
        if state.is_loading(Loading::Install) {
            ui.horizontal(|ui| {
                crate::gui::widgets::spinner::spinner(ui);
                ui.label("Installing…");
            });
        }
        if self.show_git {
            ui.horizontal(|ui| {
                let label = ui.label("Git URL");
                let response = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.git_url)
                            .hint_text("https://…/template.git")
                            .desired_width(150.0),
                    )
                    .labelled_by(label.id);
                let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if (ui.button("Clone and install").clicked() || enter)
                    && !self.git_url.trim().is_empty()
                {
                    actions.push(Action::Install(InstallSource::Git {
                        url: self.git_url.trim().to_string(),
                        branch: None,
                    }));
                    self.show_git = false;
                }
            });
        }
    }

    fn uninstall_ui(&mut self, ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>) {
        if let Some(benchmark) = state.selected_benchmark() {
            ui.add_space(4.0);
            if icon_button(ui, ICON_DELETE, "Uninstall…").clicked() {
                self.confirm_uninstall = Some((benchmark.id.clone(), benchmark.name.clone()));
            }
        }
        let Some((id, name)) = self.confirm_uninstall.clone() else {
            return;
        };
        let modal = egui::Modal::new(egui::Id::unique("confirm_uninstall")).show(ui.ctx(), |ui| {
            ui.heading(format!("Uninstall '{name}'?"));
            ui.label("All its submissions, runs and files are deleted. This cannot be undone.");
            ui.horizontal(|ui| {
                if ui.button("Uninstall").clicked() {
                    actions.push(Action::Uninstall(id.clone()));
                    self.confirm_uninstall = None;
                }
                if ui.button("Keep it").clicked() {
                    self.confirm_uninstall = None;
                }
            });
        });
        if modal.should_close() {
            self.confirm_uninstall = None;
        }
    }
}

/// Why the list is empty: nothing matches the filter, or nothing is
/// installed (and how to install something).
fn empty_list_ui(ui: &mut egui::Ui, state: &AppState, filter: &str) {
    let text = if !state.benchmarks.is_empty() {
        format!("No benchmark matches '{filter}'")
    } else if state.supports(Operation::ManageBenchmarks) {
        "No benchmarks installed yet. Install one below from a folder, an archive or a git URL \
         (or with `flowdesk install <folder>` in a terminal)."
            .to_string()
    } else {
        "This server offers no benchmarks yet.".to_string()
    };
    ui.add(egui::Label::new(egui::RichText::new(text).weak()).wrap());
}
