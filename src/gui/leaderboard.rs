//! The Leaderboard tab: ranked runs with the schema's column labels, best run per
//! submission or all runs, sorting by clicking a header, the selected submission's
//! rows highlighted, a chart of a chosen column over the ranking, CSV export, and
//! the post-processing outputs below it.

use super::app::{Action, AppState};
use super::backend::{result_text, PostprocOutputs};
use super::dialogs::DialogPurpose;
use super::widgets::file_view::FileView;
use super::widgets::plot::ColumnChart;
use crate::template::{ResultValue, SortColumn};
use egui_extras::{Column, TableBuilder};
use serde::{Deserialize, Serialize};

/// Sort order and mode (persisted). No column means the template's default order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sort {
    pub column: Option<String>,
    pub descending: bool,
    pub all_runs: bool,
}

pub struct LeaderboardScreen {
    pub sort: Sort,
    chart_column: Option<String>,
    chart: ColumnChart,
    postproc: Vec<(String, Option<String>, FileView)>,
    postproc_run: Option<String>,
    highlight: Option<String>,
}

impl LeaderboardScreen {
    pub fn new(sort: Sort) -> Self {
        LeaderboardScreen {
            sort,
            chart_column: None,
            chart: ColumnChart,
            postproc: Vec::new(),
            postproc_run: None,
            highlight: None,
        }
    }

    /// The query for the backend: order and all-runs flag.
    pub fn query(&self) -> (Vec<SortColumn>, bool) {
        let order = match &self.sort.column {
            Some(name) => vec![SortColumn {
                name: name.clone(),
                sort_desc: self.sort.descending,
            }],
            None => Vec::new(),
        };
        (order, self.sort.all_runs)
    }

    /// New post-processing outputs: build their viewers once.
    pub fn set_postproc(&mut self, outputs: Option<&PostprocOutputs>) {
        let Some(outputs) = outputs else {
            self.postproc.clear();
            self.postproc_run = None;
            return;
        };
        if self.postproc_run.as_ref() == Some(&outputs.run.id) {
            return;
        }
        self.postproc_run = Some(outputs.run.id.clone());
        self.postproc = outputs
            .files
            .iter()
            .map(|f| {
                (
                    f.path.clone(),
                    None,
                    FileView::new(outputs.run_dir.join(&f.path), None),
                )
            })
            .collect();
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>) {
        let Some(detail) = &state.detail else {
            return;
        };
        let Some(schema) = &detail.template.results else {
            ui.label("This benchmark has no result schema, so its runs are not ranked.");
            return;
        };
        // Post-processing outputs may declare viewers through `format`/`widget`.
        if let Some(specs) = detail
            .template
            .postproc
            .as_ref()
            .and_then(|p| p.outputs.as_ref())
        {
            for (path, title, view) in &mut self.postproc {
                if title.is_none() {
                    if let Some(spec) = specs.iter().find(|o| &o.source == path) {
                        *title = Some(spec.title.clone().unwrap_or_else(|| path.clone()));
                        if let Some(run_dir) = state.postproc.as_ref().map(|p| p.run_dir.clone()) {
                            *view = FileView::from_output_spec(
                                spec.format.as_ref(),
                                spec.widget.as_ref(),
                                run_dir.join(path),
                            );
                        }
                    }
                }
            }
        }
        let mut changed = false;
        ui.horizontal(|ui| {
            let mut all = self.sort.all_runs;
            ui.radio_value(&mut all, false, "Best run per submission");
            ui.radio_value(&mut all, true, "All runs");
            if all != self.sort.all_runs {
                self.sort.all_runs = all;
                changed = true;
            }
            if self.sort.column.is_some() && ui.button("Default order").clicked() {
                self.sort.column = None;
                changed = true;
            }
            ui.separator();
            ui.label("Highlight");
            egui::ComboBox::from_id_salt("highlight")
                .selected_text(self.highlight.clone().unwrap_or_else(|| "none".into()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.highlight, None, "none");
                    for s in &detail.submissions {
                        ui.selectable_value(&mut self.highlight, Some(s.name.clone()), &s.name);
                    }
                });
            if ui.button("Export CSV…").clicked() {
                actions.push(Action::OpenDialog(DialogPurpose::ExportLeaderboard));
            }
            if state.is_loading("leaderboard") {
                ui.spinner();
            }
        });
        let Some(board) = state.leaderboard.clone() else {
            ui.spinner();
            return;
        };
        let order_text: Vec<String> = match &self.sort.column {
            Some(c) => vec![format!(
                "{c} {}",
                if self.sort.descending { "desc" } else { "asc" }
            )],
            None => schema
                .effective_order()
                .iter()
                .map(|s| format!("{} {}", s.name, if s.sort_desc { "desc" } else { "asc" }))
                .collect(),
        };
        ui.label(
            egui::RichText::new(format!(
                "{} entr(ies), ranked by {}",
                board.len(),
                order_text.join(", ")
            ))
            .weak(),
        );
        if board.is_empty() {
            ui.label("No successful runs yet. Start one in the New run tab.");
        }
        let highlight_color = ui.visuals().selection.bg_fill.gamma_multiply(0.5);
        let table_height = (ui.available_height() * 0.55).max(160.0);
        let mut sort_by: Option<String> = None;
        egui::Frame::new().show(ui, |ui| {
            ui.set_max_height(table_height);
            let mut table = TableBuilder::new(ui)
                .id_salt("leaderboard_table")
                .striped(true)
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
                .column(Column::exact(48.0))
                .column(Column::auto().at_least(120.0))
                .column(Column::auto().at_least(110.0));
            for _ in &schema.columns {
                table = table.column(Column::auto().at_least(90.0));
            }
            table
                .column(Column::auto().at_least(70.0))
                .column(Column::remainder())
                .header(24.0, |mut header| {
                    header.col(|ui| {
                        ui.strong("Rank");
                    });
                    header.col(|ui| {
                        ui.strong("Submission");
                    });
                    header.col(|ui| {
                        ui.strong("Run");
                    });
                    for column in &schema.columns {
                        header.col(|ui| {
                            let arrow = if self.sort.column.as_ref() == Some(&column.name) {
                                if self.sort.descending {
                                    " (desc)"
                                } else {
                                    " (asc)"
                                }
                            } else {
                                ""
                            };
                            if ui
                                .button(format!("{}{arrow}", column.label))
                                .on_hover_text(format!("Sort by {}", column.name))
                                .clicked()
                            {
                                sort_by = Some(column.name.clone());
                            }
                        });
                    }
                    header.col(|ui| {
                        ui.strong("Duration");
                    });
                    header.col(|_| {});
                })
                .body(|body| {
                    body.rows(22.0, board.len(), |mut row| {
                        let Some(entry) = board.entry(row.index()) else {
                            return;
                        };
                        let highlighted = self.highlight.as_ref() == Some(&entry.submission_name);
                        let paint = |ui: &mut egui::Ui| {
                            if highlighted {
                                ui.painter()
                                    .rect_filled(ui.max_rect(), 0.0, highlight_color);
                            }
                        };
                        row.col(|ui| {
                            paint(ui);
                            ui.strong(entry.rank.to_string());
                        });
                        row.col(|ui| {
                            paint(ui);
                            ui.add(egui::Label::new(&entry.submission_name).selectable(false));
                        });
                        row.col(|ui| {
                            paint(ui);
                            ui.add(
                                egui::Label::new(egui::RichText::new(&entry.run_id).monospace())
                                    .selectable(false),
                            );
                        });
                        for (_, value) in &entry.values {
                            row.col(|ui| {
                                paint(ui);
                                ui.add(egui::Label::new(result_text(value)).selectable(false));
                            });
                        }
                        row.col(|ui| {
                            paint(ui);
                            ui.add(
                                egui::Label::new(format!("{:.1} s", entry.duration))
                                    .selectable(false),
                            );
                        });
                        row.col(|ui| paint(ui));
                    });
                });
        });
        if let Some(name) = sort_by {
            if self.sort.column.as_ref() == Some(&name) {
                self.sort.descending = !self.sort.descending;
            } else {
                self.sort.column = Some(name);
                self.sort.descending = true;
            }
            changed = true;
        }
        if changed {
            actions.push(Action::ReloadLeaderboard);
        }
        ui.separator();
        // Chart of a numeric column over the ranking.
        let numeric: Vec<(&str, &str)> = schema
            .columns
            .iter()
            .filter(|c| c.dtype != crate::template::ColumnType::String)
            .map(|c| (c.name.as_str(), c.label.as_str()))
            .collect();
        egui::ScrollArea::vertical().id_salt("leaderboard_lower").show(ui, |ui| {
            if !numeric.is_empty() {
                egui::CollapsingHeader::new("Chart").default_open(true).show(ui, |ui| {
                    let chosen = self
                        .chart_column
                        .clone()
                        .filter(|c| numeric.iter().any(|(n, _)| n == c))
                        .unwrap_or_else(|| numeric[0].0.to_string());
                    ui.horizontal(|ui| {
                        ui.label("Column");
                        egui::ComboBox::from_id_salt("chart_column")
                            .selected_text(chosen.clone())
                            .show_ui(ui, |ui| {
                                for (name, label) in &numeric {
                                    ui.selectable_value(&mut self.chart_column, Some(name.to_string()), *label);
                                }
                            });
                    });
                    // A chart over 100,000 ranks is a blur; cap the points it draws.
                    let step = (board.len() / 2000).max(1);
                    let points: Vec<[f64; 2]> = (0..board.len())
                        .step_by(step)
                        .filter_map(|i| board.entry(i))
                        .filter_map(|e| match e.value(&chosen) {
                            Some(ResultValue::Float(f)) => Some([e.rank as f64, *f]),
                            Some(ResultValue::Int(n)) => Some([e.rank as f64, *n as f64]),
                            _ => None,
                        })
                        .collect();
                    let label = numeric.iter().find(|(n, _)| *n == chosen).map(|(_, l)| *l).unwrap_or("");
                    self.chart.ui(ui, "Value by rank", &points, label);
                });
            }
            if detail.template.postproc.is_some() {
                egui::CollapsingHeader::new("Post-processing results").default_open(true).show(ui, |ui| {
                    if self.postproc.is_empty() {
                        ui.label("No post-processing results yet; they appear after the ranking changes.");
                    }
                    for (path, title, view) in &mut self.postproc {
                        egui::CollapsingHeader::new(title.clone().unwrap_or_else(|| path.clone()))
                            .id_salt(("postproc", path.as_str()))
                            .default_open(true)
                            .show(ui, |ui| {
                                ui.set_min_height(200.0);
                                view.ui(ui);
                            });
                    }
                });
            }
        });
    }
}
