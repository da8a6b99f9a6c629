//! The Overview tab: what the benchmark is, its instructions (Markdown), its
//! own Python environment (when it lists requirements), the parameters a run
//! takes and the result schema the leaderboard ranks by.

use super::state::{Action, AppState, Screen};
use super::widgets::markdown::Markdown;
use super::widgets::parameter_table::parameter_table;
use crate::client::{order_text, BenchmarkDetail, EnvironmentStatus};
use crate::template::ResultSchema;

#[derive(Default)]
pub struct OverviewScreen {
    markdown: Markdown,
}

impl Screen for OverviewScreen {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>) {
        let Some(detail) = &state.detail else {
            return;
        };
        egui::ScrollArea::vertical()
            .auto_shrink(false)
            .show(ui, |ui| {
                self.header_ui(ui, detail);
                ui.add_space(8.0);
                environment_ui(ui, state, actions);
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

/// The benchmark's own Python environment: offered when it lists
/// requirements, with pip's progress while it is made.
fn environment_ui(ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>) {
    let Some(environment) = &state.environment else {
        return;
    };
    if environment.status == EnvironmentStatus::None {
        return;
    }
    let id = environment.benchmark_id.clone();
    egui::CollapsingHeader::new("Python environment")
        .default_open(true)
        .show(ui, |ui| {
            ui.label(format!(
                "This benchmark lists {} Python requirement{} (requirements.txt): {}",
                environment.requirements.len(),
                if environment.requirements.len() == 1 { "" } else { "s" },
                environment.requirements.join(", ")
            ));
            match &environment.status {
                EnvironmentStatus::None => {}
                EnvironmentStatus::Missing => {
                    ui.label(
                        "Runs use the configured Python (flowdesk provides flowServ's helper modules). \
                         An environment of its own gives this benchmark exactly what it asks for.",
                    );
                    if ui.button("Create environment").clicked() {
                        actions.push(Action::CreateEnvironment(id));
                    }
                }
                EnvironmentStatus::Creating { .. } => match &state.environment_progress {
                    Some(progress) => {
                        let text = if progress.total > 0 {
                            format!(
                                "{} ({} of {} requirements)",
                                progress.message,
                                progress.done.min(progress.total),
                                progress.total
                            )
                        } else {
                            progress.message.clone()
                        };
                        ui.add(egui::ProgressBar::new(progress.fraction).text(text));
                    }
                    None => {
                        ui.horizontal(|ui| {
                            crate::gui::widgets::spinner::spinner(ui);
                            ui.label("Creating the environment…");
                        });
                    }
                },
                EnvironmentStatus::Ready {
                    python,
                    tool,
                    created,
                } => {
                    ui.label(format!(
                        "Runs use {python} (made with {tool} on {created})."
                    ));
                    ui.horizontal(|ui| {
                        if ui.button("Create environment again").clicked() {
                            actions.push(Action::CreateEnvironment(id.clone()));
                        }
                        if ui.button("Remove environment").clicked() {
                            actions.push(Action::RemoveEnvironment(id.clone()));
                        }
                    });
                }
                EnvironmentStatus::Failed { message } => {
                    ui.colored_label(ui.visuals().error_fg_color, message);
                    ui.label("Runs use the configured Python until an environment is made.");
                    if ui.button("Try again").clicked() {
                        actions.push(Action::CreateEnvironment(id));
                    }
                }
            }
            // The log exists once a creation ended.
            if matches!(
                environment.status,
                EnvironmentStatus::Ready { .. } | EnvironmentStatus::Failed { .. }
            ) && ui.link("Show pip's log").clicked()
            {
                actions.push(Action::OpenPath(environment.log.clone()));
            }
        });
    ui.add_space(8.0);
}
