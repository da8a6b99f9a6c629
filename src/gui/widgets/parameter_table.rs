//! The table of a template's parameters (label, type, required, default,
//! constraints), shown on the Overview and on the Template check.

use crate::template::spec::display_value;
use crate::template::Parameter;

/// Show `parameters` in a striped grid; `with_names` adds each parameter's name
/// to its label (what a coordinator writing the template wants to see).
pub fn parameter_table(ui: &mut egui::Ui, id: &str, parameters: &[Parameter], with_names: bool) {
    egui::Grid::new(id)
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            for h in ["Parameter", "Type", "Required", "Default", "Constraints"] {
                ui.strong(h);
            }
            ui.end_row();
            for p in parameters {
                // "Duration (seconds)" named `seconds` stays as it is, not
                // "Duration (seconds) (seconds)".
                let says_name = p.label == p.name || p.label.contains(&format!("({})", p.name));
                let label = if with_names && !says_name {
                    format!("{} ({})", p.label, p.name)
                } else {
                    p.label.clone()
                };
                ui.label(label)
                    .on_hover_text(p.help.as_deref().unwrap_or(&p.name));
                ui.label(p.dtype.name());
                ui.label(if p.required { "yes" } else { "no" });
                ui.label(
                    p.effective_default()
                        .map(|v| display_value(&v))
                        .unwrap_or_default(),
                );
                ui.label(p.constraints());
                ui.end_row();
            }
        });
}
