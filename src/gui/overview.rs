//! The Overview tab: what the benchmark is, its instructions (Markdown), its
//! own Python environment (when it lists requirements), the parameters a run
//! takes and the result schema the leaderboard ranks by. A benchmark with no
//! runs yet offers New run as the thing to do first.

use super::state::{Action, AppState, Screen, Tab};
use super::widgets::buttons::{primary_button, ICON_PLAY_ARROW};
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
                if state.runs_for.as_deref() == Some(detail.benchmark.id.as_str())
                    && state.runs.is_empty()
                {
                    first_run_ui(ui, actions);
                }
                self.instructions_ui(ui, detail);
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
    }

    fn instructions_ui(&mut self, ui: &mut egui::Ui, detail: &BenchmarkDetail) {
        if let Some(instructions) = &detail.instructions {
            egui::CollapsingHeader::new("Instructions")
                .default_open(true)
                .show(ui, |ui| self.markdown.ui(ui, instructions));
        }
    }
}

/// The empty state of a benchmark nobody ran yet: what to do, and the
/// button that does it.
fn first_run_ui(ui: &mut egui::Ui, actions: &mut Vec<Action>) {
    egui::Frame::group(ui.style())
        .inner_margin(12.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(egui::RichText::new("No runs yet").strong());
            ui.label(
                "Fill in the form — the defaults work — and start the first run; \
                 it shows up under Runs and, once it succeeds, on the leaderboard.",
            );
            ui.add_space(6.0);
            // Not just "New run": that names the tab, and a person (or a
            // test) looking for the tab should find one thing.
            if primary_button(ui, true, ICON_PLAY_ARROW, "New run…").clicked() {
                actions.push(Action::ShowTab(Tab::NewRun));
            }
        });
    ui.add_space(8.0);
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
