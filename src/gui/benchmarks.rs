//! The benchmarks side panel: installed benchmarks with a filter, install from a
//! folder, an archive or a git URL, and uninstall with confirmation.

use super::app::{Action, AppState};
use super::backend::Request;
use super::dialogs::DialogPurpose;
use crate::service::InstallSource;

#[derive(Default)]
pub struct BenchmarksPanel {
    filter: String,
    git_url: String,
    show_git: bool,
    confirm_uninstall: Option<(String, String)>,
}

impl BenchmarksPanel {
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        state: &AppState,
        selected: Option<&str>,
        actions: &mut Vec<Action>,
    ) {
        ui.add_space(4.0);
        ui.heading("Benchmarks");
        ui.horizontal(|ui| {
            let label = ui.label("Filter");
            ui.add(
                egui::TextEdit::singleline(&mut self.filter)
                    .hint_text("name or description")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        });
        ui.add_space(4.0);
        if state.is_loading("workflows") {
            ui.spinner();
        }
        let filter = self.filter.to_lowercase();
        egui::ScrollArea::vertical()
            .max_height(ui.available_height() - 150.0)
            .show(ui, |ui| {
                for workflow in &state.workflows {
                    if !filter.is_empty()
                        && !workflow.name.to_lowercase().contains(&filter)
                        && !workflow
                            .description
                            .as_deref()
                            .unwrap_or_default()
                            .to_lowercase()
                            .contains(&filter)
                    {
                        continue;
                    }
                    let is_selected = selected == Some(workflow.id.as_str());
                    let response = ui
                        .selectable_label(is_selected, &workflow.name)
                        .on_hover_text(workflow.description.as_deref().unwrap_or(&workflow.id));
                    if response.clicked() {
                        actions.push(Action::SelectWorkflow(workflow.id.clone()));
                    }
                }
            });
        ui.separator();
        ui.label(egui::RichText::new("Install").strong());
        ui.horizontal_wrapped(|ui| {
            if ui.button("From folder…").clicked() {
                actions.push(Action::OpenDialog(DialogPurpose::InstallFolder));
            }
            if ui.button("From archive…").clicked() {
                actions.push(Action::OpenDialog(DialogPurpose::InstallArchive));
            }
            if ui.button("From git URL…").clicked() {
                self.show_git = !self.show_git;
            }
        });
        if state.is_loading("install") {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Installing…");
            });
        }
        if self.show_git {
            ui.horizontal(|ui| {
                let response = ui.add(
                    egui::TextEdit::singleline(&mut self.git_url)
                        .hint_text("https://…/template.git")
                        .desired_width(150.0),
                );
                let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if (ui.button("Clone and install").clicked() || enter)
                    && !self.git_url.trim().is_empty()
                {
                    actions.push(Action::InstallFrom(InstallSource::Git {
                        url: self.git_url.trim().to_string(),
                        branch: None,
                    }));
                    self.show_git = false;
                }
            });
        }
        if let Some(workflow) = state.selected_workflow() {
            ui.add_space(4.0);
            if ui.button("Uninstall…").clicked() {
                self.confirm_uninstall = Some((workflow.id.clone(), workflow.name.clone()));
            }
        }
        if let Some((id, name)) = self.confirm_uninstall.clone() {
            let modal =
                egui::Modal::new(egui::Id::unique("confirm_uninstall")).show(ui.ctx(), |ui| {
                    ui.heading(format!("Uninstall '{name}'?"));
                    ui.label(
                        "All its submissions, runs and files are deleted. This cannot be undone.",
                    );
                    ui.horizontal(|ui| {
                        if ui.button("Uninstall").clicked() {
                            actions.push(Action::Backend(Request::Uninstall {
                                workflow_id: id.clone(),
                            }));
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
}
