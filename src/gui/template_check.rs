//! The Template check screen, for coordinators: open a template folder (or an
//! archive of one, unpacked by the service) without installing it and see its
//! form, its errors (with file and element) and its result schema; the check
//! re-runs whenever a file in the folder (or the archive) changes.

use super::app::{Action, AppState};
use super::dialogs::DialogPurpose;
use super::widgets::parameter_table::parameter_table;
use crate::template::TemplateFolder;
use std::path::{Path, PathBuf};

#[derive(Default)]
pub struct TemplateCheckScreen {
    folder: Option<PathBuf>,
    path_text: String,
    checks: usize,
    last_checked: Option<chrono::DateTime<chrono::Local>>,
}

impl TemplateCheckScreen {
    pub fn watching(&mut self, folder: &Path) {
        self.folder = Some(folder.to_path_buf());
        self.path_text = folder.display().to_string();
    }

    pub fn loaded(&mut self, folder: &Path, _result: &Result<Box<TemplateFolder>, String>) {
        if self.folder.as_deref() == Some(folder) {
            self.checks += 1;
            self.last_checked = Some(chrono::Local::now());
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>) {
        ui.heading("Template check");
        ui.label("Open a template folder you are writing, or a .zip / .tar.gz archive of one: flowdesk shows the form it generates and any error, and checks again whenever you save a file.");
        ui.horizontal(|ui| {
            let label = ui.label("Folder");
            let response = ui
                .add(egui::TextEdit::singleline(&mut self.path_text).desired_width(420.0))
                .labelled_by(label.id);
            let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button("Check").clicked() || enter) && !self.path_text.trim().is_empty() {
                actions.push(Action::CheckTemplate(PathBuf::from(self.path_text.trim())));
            }
            if ui.button("Choose folder…").clicked() {
                actions.push(Action::OpenDialog(DialogPurpose::TemplateFolder));
            }
        });
        let Some((folder, result)) = &state.template_check else {
            return;
        };
        if let Some(at) = self.last_checked {
            ui.label(
                egui::RichText::new(format!(
                    "{} · checked at {} (watching for changes)",
                    folder.display(),
                    at.format("%H:%M:%S")
                ))
                .weak(),
            );
        }
        ui.separator();
        match result {
            Err(error) => {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.colored_label(
                        ui.visuals().error_fg_color,
                        egui::RichText::new("The template has an error").strong(),
                    );
                    ui.add(egui::Label::new(egui::RichText::new(error).monospace()).wrap());
                });
            }
            Ok(loaded) => {
                ui.colored_label(
                    egui::Color32::from_rgb(0x2e, 0x7d, 0x32),
                    format!("'{}' is valid ({})", loaded.name, loaded.spec_name),
                );
                egui::ScrollArea::vertical().show(ui, |ui| {
                    ui.strong("Form");
                    parameter_table(ui, "check_form", &loaded.template.parameters, true);
                    if let Some(schema) = &loaded.template.results {
                        ui.add_space(8.0);
                        ui.strong(format!("Result schema ({})", schema.file));
                        for c in &schema.columns {
                            ui.label(format!(
                                "{} — {} ({}){}",
                                c.name,
                                c.label,
                                c.dtype.name(),
                                if c.required { "" } else { ", optional" }
                            ));
                        }
                    }
                    if let Some(instructions) = &loaded.instructions {
                        ui.add_space(8.0);
                        egui::CollapsingHeader::new("Instructions").show(ui, |ui| {
                            ui.label(instructions);
                        });
                    }
                });
            }
        }
    }
}
