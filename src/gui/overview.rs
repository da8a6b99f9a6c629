//! The Overview tab: what the benchmark is, its instructions (Markdown), the
//! parameters a run takes and the result schema the leaderboard ranks by.

use super::app::AppState;
use super::widgets::markdown::Markdown;
use super::widgets::parameter_table::parameter_table;

#[derive(Default)]
pub struct OverviewScreen {
    markdown: Markdown,
}

impl OverviewScreen {
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &AppState) {
        ui_with(ui, state, &mut self.markdown);
    }
}

fn ui_with(ui: &mut egui::Ui, state: &AppState, markdown: &mut Markdown) {
    let Some(detail) = &state.detail else {
        return;
    };
    let record = &detail.record;
    let template = &detail.template;
    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .show(ui, |ui| {
            ui.heading(&record.name);
            if let Some(description) = &record.description {
                ui.label(description);
            }
            ui.label(
                egui::RichText::new(format!(
                    "Id {} · installed from {}",
                    record.id,
                    record.source.as_deref().unwrap_or("?")
                ))
                .weak()
                .small(),
            );
            ui.add_space(8.0);
            if let Some(instructions) = &record.instructions {
                egui::CollapsingHeader::new("Instructions")
                    .default_open(true)
                    .show(ui, |ui| markdown.ui(ui, instructions));
            }
            ui.add_space(8.0);
            egui::CollapsingHeader::new(format!("Parameters ({})", template.parameters.len()))
                .default_open(true)
                .show(ui, |ui| {
                    parameter_table(ui, "parameters", &template.parameters, false);
                });
            ui.add_space(8.0);
            match &template.results {
                None => {
                    ui.label("This template has no result schema: runs are not ranked.");
                }
                Some(schema) => {
                    egui::CollapsingHeader::new("Result schema")
                        .default_open(true)
                        .show(ui, |ui| {
                            ui.label(format!("Results are read from {}", schema.file));
                            egui::Grid::new("schema")
                                .striped(true)
                                .num_columns(4)
                                .show(ui, |ui| {
                                    for h in ["Column", "Label", "Type", "Required"] {
                                        ui.strong(h);
                                    }
                                    ui.end_row();
                                    for c in &schema.columns {
                                        ui.label(&c.name);
                                        ui.label(&c.label);
                                        ui.label(c.dtype.name());
                                        ui.label(if c.required { "yes" } else { "no" });
                                        ui.end_row();
                                    }
                                });
                            let order: Vec<String> = schema
                                .effective_order()
                                .iter()
                                .map(|s| {
                                    format!(
                                        "{} {}",
                                        s.name,
                                        if s.sort_desc { "desc" } else { "asc" }
                                    )
                                })
                                .collect();
                            ui.label(format!("Ranked by {}", order.join(", ")));
                        });
                }
            }
        });
}
