//! The expanded steps of a workflow, drawn the same way wherever they are
//! shown: New run's preview of an installed benchmark, and the Template
//! check's expanded workflow of a folder that is not installed.

use crate::client::{Preview, PreviewAction};

/// The inputs, each step with its commands, and the outputs.
pub fn preview_ui(ui: &mut egui::Ui, preview: &Preview) {
    if !preview.inputs.is_empty() {
        ui.label(format!("Inputs: {}", preview.inputs.join(", ")));
    }
    for (i, step) in preview.steps.iter().enumerate() {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.strong(step.summary(i + 1));
            if let PreviewAction::Container { commands, .. } = &step.action {
                for command in commands {
                    ui.add(
                        egui::Label::new(egui::RichText::new(format!("$ {command}")).monospace())
                            .wrap(),
                    );
                }
            }
        });
    }
    if !preview.outputs.is_empty() {
        ui.label(format!("Outputs: {}", preview.outputs.join(", ")));
    }
}
