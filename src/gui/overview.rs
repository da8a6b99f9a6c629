//! The Overview tab: what the benchmark is, its instructions (Markdown), the
//! parameters a run takes and the result schema the leaderboard ranks by.

use super::state::{Action, AppState, Screen};
use super::widgets::markdown::Markdown;
use super::widgets::parameter_table::parameter_table;
use crate::client::{order_text, BenchmarkDetail};
use crate::template::ResultSchema;

#[derive(Default)]
pub struct OverviewScreen {
    markdown: Markdown,
}

impl Screen for OverviewScreen {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, _actions: &mut Vec<Action>) {
        let Some(detail) = &state.detail else {
            return;
        };
        egui::ScrollArea::vertical()
            .auto_shrink(false)
            .show(ui, |ui| {
                self.header_ui(ui, detail);
                ui.add_space(8.0);
                egui::CollapsingHeader::new(format!("Parameters ({})", detail.parameters.len()))
                    .default_open(true)
                    .show(ui, |ui| {
                        parameter_table(ui, "parameters", &detail.parameters, false);
                    });
                ui.add_space(8.0);
                match &detail.results {
                    None => {
                        ui.label("This template has no result schema: runs are not ranked.");
                    }
                    Some(schema) => schema_ui(ui, schema),
                }
            });
    }
}

impl OverviewScreen {
    fn header_ui(&mut self, ui: &mut egui::Ui, detail: &BenchmarkDetail) {
        let benchmark = &detail.benchmark;
        ui.heading(&benchmark.name);
        if let Some(description) = &benchmark.description {
            ui.label(description);
        }
        ui.label(
            egui::RichText::new(format!(
                "Id {} · installed from {}",
                benchmark.id,
                benchmark.source.as_deref().unwrap_or("?")
            ))
            .weak()
            .small(),
        );
        ui.add_space(8.0);
        if let Some(instructions) = &detail.instructions {
            egui::CollapsingHeader::new("Instructions")
                .default_open(true)
                .show(ui, |ui| self.markdown.ui(ui, instructions));
        }
    }
}

fn schema_ui(ui: &mut egui::Ui, schema: &ResultSchema) {
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
            ui.label(format!(
                "Ranked by {}",
                order_text(&schema.effective_order())
            ));
        });
}
