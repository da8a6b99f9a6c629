//! The Template check screen, for coordinators: open a template folder (or an
//! archive of one) without installing it and see its form, its errors (with file
//! and element) and its result schema; the check re-runs whenever a file in the
//! folder (or the archive) changes.

use super::dialogs::DialogPurpose;
use super::state::{Action, AppState, Screen};
use super::widgets::parameter_table::parameter_table;
use crate::client::TemplateReport;
use std::path::PathBuf;

#[derive(Default)]
pub struct TemplateCheckScreen {
    path_text: String,
    /// The folder whose path is in the text field.
    shown: Option<PathBuf>,
}

impl Screen for TemplateCheckScreen {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>) {
        if state.watching != self.shown {
            self.shown = state.watching.clone();
            if let Some(path) = &self.shown {
                self.path_text = path.display().to_string();
            }
        }
        ui.heading("Template check");
        ui.label("Open a template folder you are writing, or a .zip / .tar.gz archive of one: flowdesk shows the form it generates and any error, and checks again whenever you save a file.");
        self.folder_ui(ui, actions);
        let Some(check) = &state.template_check else {
            return;
        };
        ui.label(
            egui::RichText::new(format!(
                "{} · checked at {} (watching for changes)",
                check.path.display(),
                check.checked_at.format("%H:%M:%S")
            ))
            .weak(),
        );
        ui.separator();
        match &check.result {
            Err(error) => error_ui(ui, error),
            Ok(report) => report_ui(ui, report),
        }
    }
}

impl TemplateCheckScreen {
    fn folder_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
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
    }
}

fn error_ui(ui: &mut egui::Ui, error: &str) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.colored_label(
            ui.visuals().error_fg_color,
            egui::RichText::new("The template has an error").strong(),
        );
        ui.add(egui::Label::new(egui::RichText::new(error).monospace()).wrap());
    });
}

fn report_ui(ui: &mut egui::Ui, report: &TemplateReport) {
    ui.colored_label(
        egui::Color32::from_rgb(0x2e, 0x7d, 0x32),
        format!("'{}' is valid ({})", report.name, report.spec_file),
    );
    // What flowServ accepts but is probably a mistake.
    for warning in &report.warnings {
        ui.colored_label(ui.visuals().warn_fg_color, format!("Warning: {warning}"));
    }
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.strong("Form");
        parameter_table(ui, "check_form", &report.parameters, true);
        if let Some(schema) = &report.results {
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
        if let Some(instructions) = &report.instructions {
            ui.add_space(8.0);
            egui::CollapsingHeader::new("Instructions").show(ui, |ui| {
                ui.label(instructions);
            });
        }
    });
}
