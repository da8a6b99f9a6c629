//! The Submissions screen: the caller's submissions to the selected benchmark
//! — create one, rename it, and on a server choose its members (by user name;
//! only members see and change a submission and its runs) or delete it with
//! its runs.

use super::state::{Action, AppState, Screen, ServerAction};
use crate::client::Operation;
use std::collections::HashMap;

#[derive(Default)]
pub struct SubmissionsScreen {
    new_name: String,
    /// Edits in progress, by submission id: (name, members as typed).
    edits: HashMap<String, (String, String)>,
    /// The benchmark whose list was asked for last.
    asked_for: Option<String>,
    /// A delete waiting for its confirmation.
    confirm_delete: Option<String>,
}

impl Screen for SubmissionsScreen {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>) {
        let Some(detail) = state.detail.as_ref() else {
            return;
        };
        let benchmark = detail.benchmark.id.clone();
        if self.asked_for.as_deref() != Some(benchmark.as_str()) {
            self.asked_for = Some(benchmark.clone());
            self.edits.clear();
            actions.push(Action::Server(ServerAction::LoadSubmissions(
                benchmark.clone(),
            )));
        }
        ui.heading("Submissions");
        let members = state.supports(Operation::Members);
        ui.label(if members {
            "Your submissions to this benchmark on the server. Only members see and change a submission and its runs; the leaderboard shows everyone's best run."
        } else {
            "The submissions of this benchmark on this computer. Each ranks with its best run."
        });
        ui.horizontal(|ui| {
            let label = ui.label("New submission");
            ui.text_edit_singleline(&mut self.new_name)
                .labelled_by(label.id);
            let name = self.new_name.trim().to_string();
            if ui
                .add_enabled(!name.is_empty(), egui::Button::new("Create submission"))
                .clicked()
            {
                actions.push(Action::CreateSubmission {
                    benchmark: benchmark.clone(),
                    name,
                });
                self.new_name.clear();
                self.asked_for = None;
            }
        });
        ui.separator();
        let list = match &state.submissions {
            Some((of, list)) if *of == benchmark => list,
            _ => {
                crate::gui::widgets::spinner::spinner(ui);
                return;
            }
        };
        if list.is_empty() {
            ui.label("No submissions yet: create one to start runs.");
            return;
        }
        let rename = state.supports(Operation::RenameSubmission);
        egui::ScrollArea::vertical().show(ui, |ui| {
            for submission in list {
                let (name, typed) = self
                    .edits
                    .entry(submission.id.clone())
                    .or_insert_with(|| (submission.name.clone(), submission.members.join(", ")));
                ui.group(|ui| {
                    ui.horizontal(|ui| {
                        ui.strong(&submission.name);
                        ui.label(egui::RichText::new(&submission.id).weak());
                    });
                    if rename {
                        ui.horizontal(|ui| {
                            let label = ui.label(format!("Name of {}", submission.name));
                            ui.text_edit_singleline(name).labelled_by(label.id);
                            let changed = name.trim() != submission.name && !name.trim().is_empty();
                            if ui
                                .add_enabled(changed, egui::Button::new("Rename"))
                                .clicked()
                            {
                                actions.push(Action::Server(ServerAction::RenameSubmission {
                                    submission: submission.id.clone(),
                                    name: name.trim().to_string(),
                                }));
                            }
                        });
                    }
                    if members {
                        ui.horizontal(|ui| {
                            let label = ui.label(format!("Members of {}", submission.name));
                            ui.text_edit_singleline(typed)
                                .labelled_by(label.id)
                                .on_hover_text(
                                    "User names, separated by commas; you stay a member",
                                );
                            let wanted: Vec<String> = typed
                                .split(',')
                                .map(|m| m.trim().to_string())
                                .filter(|m| !m.is_empty())
                                .collect();
                            if ui
                                .add_enabled(
                                    wanted != submission.members,
                                    egui::Button::new("Save members"),
                                )
                                .clicked()
                            {
                                actions.push(Action::Server(ServerAction::SetMembers {
                                    submission: submission.id.clone(),
                                    members: wanted,
                                }));
                            }
                        });
                    }
                    ui.horizontal(|ui| {
                        if self.confirm_delete.as_deref() == Some(submission.id.as_str()) {
                            ui.label("Delete it with all its runs and files?");
                            if ui.button("Yes, delete").clicked() {
                                actions.push(Action::Server(ServerAction::DeleteSubmission(
                                    submission.id.clone(),
                                )));
                                self.confirm_delete = None;
                            }
                            if ui.button("Keep it").clicked() {
                                self.confirm_delete = None;
                            }
                        } else if ui.button(format!("Delete {}", submission.name)).clicked() {
                            self.confirm_delete = Some(submission.id.clone());
                        }
                    });
                });
            }
        });
    }
}
