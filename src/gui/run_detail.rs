//! The Run detail tab: arguments, state timeline, error messages in full, the live
//! log (follows the tail while the run is active), result values and output files
//! with viewers.

use super::app::{Action, AppState};
use super::backend::{result_text, Request, RunDetail};
use super::dialogs::DialogPurpose;
use super::widgets::file_view::FileView;
use super::widgets::log_view::LogView;
use super::widgets::state_badge::state_badge;
use crate::template::spec::display_value;

#[derive(Default)]
pub struct RunDetailScreen {
    run_id: Option<String>,
    log: Option<LogView>,
    file: Option<(String, FileView)>,
}

impl RunDetailScreen {
    /// A run (re)loaded: keep the log view when it is the same run.
    pub fn show(&mut self, detail: &RunDetail) {
        if self.run_id.as_ref() != Some(&detail.run.id) {
            self.run_id = Some(detail.run.id.clone());
            self.log = Some(LogView::new(detail.log_path.clone()));
            self.file = None;
        }
        if let Some(log) = &mut self.log {
            log.set_following(detail.run.state.is_active());
            log.notify_appended();
        }
    }

    /// A log line of `run_id` arrived.
    pub fn log_appended(&mut self, run_id: &str) {
        if self.run_id.as_deref() == Some(run_id) {
            if let Some(log) = &mut self.log {
                log.notify_appended();
            }
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>) {
        let Some(detail) = &state.run_detail else {
            ui.label("Open a run from the Runs tab.");
            return;
        };
        let run = &detail.run;
        if ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::F)) {
            if let Some(log) = &mut self.log {
                log.focus_search();
            }
        }
        ui.horizontal(|ui| {
            ui.heading(format!("Run {}", run.id));
            state_badge(ui, run.state);
            ui.label(format!("submission {}", detail.submission));
            if state.is_loading("run") {
                ui.spinner();
            }
        });
        ui.horizontal(|ui| {
            if run.state.is_active() && ui.button("Cancel run").clicked() {
                actions.push(Action::Backend(Request::Cancel {
                    run_id: run.id.clone(),
                }));
            }
            if ui.button("Re-run").clicked() {
                actions.push(Action::Rerun(Box::new(run.clone())));
            }
            if run.state.is_finished() && ui.button("Export…").clicked() {
                actions.push(Action::OpenDialog(DialogPurpose::ExportRun(run.id.clone())));
            }
            if ui.button("Show run folder").clicked() {
                let _ = open::that_detached(&detail.run_dir);
            }
        });
        ui.separator();
        egui::Panel::right("run_side")
            .resizable(true)
            .default_size(340.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    ui.strong("Timeline");
                    egui::Grid::new("timeline").num_columns(2).show(ui, |ui| {
                        ui.label("Created");
                        ui.label(run.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string());
                        ui.end_row();
                        ui.label("Started");
                        ui.label(
                            run.started_at
                                .map(|t| t.format("%H:%M:%S%.3f").to_string())
                                .unwrap_or_else(|| "–".into()),
                        );
                        ui.end_row();
                        ui.label("Finished");
                        ui.label(
                            run.finished_at
                                .map(|t| t.format("%H:%M:%S%.3f").to_string())
                                .unwrap_or_else(|| "–".into()),
                        );
                        ui.end_row();
                        ui.label("Duration");
                        ui.label(
                            run.duration()
                                .map(|d| format!("{:.2} s", d.as_seconds_f64()))
                                .unwrap_or_else(|| "–".into()),
                        );
                        ui.end_row();
                        if let Some(p) = &run.progress {
                            ui.label("Progress");
                            ui.label(format!(
                                "step {} of {} · {}",
                                p.step_index + 1,
                                p.step_count,
                                p.step_name
                            ));
                            ui.end_row();
                        }
                    });
                    if !run.messages.is_empty() {
                        ui.add_space(6.0);
                        ui.strong("Messages");
                        for message in &run.messages {
                            ui.add(
                                egui::Label::new(
                                    egui::RichText::new(message)
                                        .color(ui.visuals().error_fg_color)
                                        .monospace(),
                                )
                                .wrap(),
                            );
                        }
                    }
                    ui.add_space(6.0);
                    ui.strong("Arguments");
                    egui::Grid::new("arguments")
                        .striped(true)
                        .num_columns(2)
                        .show(ui, |ui| {
                            if let Some(args) = run.arguments.as_object() {
                                for (name, value) in args {
                                    ui.label(name);
                                    ui.add(egui::Label::new(display_value(value)).wrap());
                                    ui.end_row();
                                }
                            }
                        });
                    if !detail.results.is_empty() {
                        ui.add_space(6.0);
                        ui.strong("Results");
                        egui::Grid::new("results")
                            .striped(true)
                            .num_columns(2)
                            .show(ui, |ui| {
                                for (name, value) in &detail.results {
                                    ui.label(name);
                                    ui.label(result_text(value));
                                    ui.end_row();
                                }
                            });
                    }
                    ui.add_space(6.0);
                    ui.strong(format!("Output files ({})", detail.files.len()));
                    for file in &detail.files {
                        let selected = self.file.as_ref().is_some_and(|(k, _)| k == &file.path);
                        if ui
                            .selectable_label(
                                selected,
                                format!("{} ({} bytes)", file.path, file.size),
                            )
                            .clicked()
                        {
                            self.file = Some((
                                file.path.clone(),
                                FileView::new(detail.run_dir.join(&file.path), None),
                            ));
                        }
                    }
                });
            });
        egui::CentralPanel::default().show(ui, |ui| {
            let mut back = false;
            if let Some((name, view)) = &mut self.file {
                ui.horizontal(|ui| {
                    ui.strong(name.as_str());
                    if ui.button("Back to log").clicked() {
                        back = true;
                    }
                });
                view.ui(ui);
            } else if let Some(log) = &mut self.log {
                log.ui(ui);
            }
            if back {
                self.file = None;
            }
        });
    }
}
