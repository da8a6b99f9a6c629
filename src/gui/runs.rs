//! The Runs tab: a virtualized table of the benchmark's runs (state badge,
//! submission, times, progress, result columns), filters, actions on the selected
//! run, and side-by-side comparison of two runs.

use super::app::{Action, AppState};
use super::backend::{result_text, Request, RunRow};
use super::dialogs::DialogPurpose;
use super::widgets::state_badge::state_badge;
use crate::model::RunState;
use crate::template::spec::display_value;
use egui_extras::{Column, TableBuilder};
use serde::{Deserialize, Serialize};

/// Sort order of the table (persisted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sort {
    /// `created`, `duration`, `state`, `submission` or a result column name.
    pub column: String,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            column: "created".into(),
            descending: true,
        }
    }
}

/// What the cached row order depends on: row count and buffer, sort, filters.
type OrderKey = (usize, usize, Sort, Option<RunState>, Option<String>);

pub struct RunsScreen {
    pub sort: Sort,
    state_filter: Option<RunState>,
    submission_filter: Option<String>,
    /// Selected run ids (at most two are compared).
    selected: Vec<String>,
    comparing: bool,
    /// Row order after filtering and sorting, recomputed when inputs change.
    order: Vec<usize>,
    order_key: Option<OrderKey>,
}

impl RunsScreen {
    pub fn new(sort: Sort) -> Self {
        RunsScreen {
            sort,
            state_filter: None,
            submission_filter: None,
            selected: Vec::new(),
            comparing: false,
            order: Vec::new(),
            order_key: None,
        }
    }

    /// The selected run ids, oldest selection first.
    pub fn selected(&self) -> &[String] {
        &self.selected
    }

    pub fn clear_selection(&mut self) {
        self.selected.clear();
        self.comparing = false;
    }

    /// Indices of the rows to show, filtered and sorted; cached between frames.
    fn visible_rows(&mut self, state: &AppState) -> &[usize] {
        let rows = &state.runs;
        let key = (
            rows.len(),
            rows.as_ptr() as usize,
            self.sort.clone(),
            self.state_filter,
            self.submission_filter.clone(),
        );
        if self.order_key.as_ref() != Some(&key) {
            let schema_index = state
                .detail
                .as_ref()
                .and_then(|d| d.template.results.as_ref())
                .and_then(|s| s.columns.iter().position(|c| c.name == self.sort.column));
            let mut order: Vec<usize> = (0..rows.len())
                .filter(|&i| self.state_filter.is_none_or(|s| rows[i].run.state == s))
                .filter(|&i| {
                    self.submission_filter
                        .as_ref()
                        .is_none_or(|s| &rows[i].submission == s)
                })
                .collect();
            let column = self.sort.column.clone();
            order.sort_by(|&a, &b| {
                let (ra, rb) = (&rows[a], &rows[b]);
                let ordering = match (column.as_str(), schema_index) {
                    ("state", _) => ra.run.state.as_str().cmp(rb.run.state.as_str()),
                    ("submission", _) => ra.submission.cmp(&rb.submission),
                    ("duration", _) => duration(ra)
                        .partial_cmp(&duration(rb))
                        .unwrap_or(std::cmp::Ordering::Equal),
                    (_, Some(index)) => compare_values(ra.values.get(index), rb.values.get(index)),
                    _ => ra.run.created_at.cmp(&rb.run.created_at),
                };
                if self.sort.descending {
                    ordering.reverse()
                } else {
                    ordering
                }
            });
            self.order = order;
            self.order_key = Some(key);
        }
        &self.order
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>) {
        let Some(detail) = &state.detail else {
            return;
        };
        let columns: Vec<(String, String)> = detail
            .template
            .results
            .as_ref()
            .map(|s| {
                s.columns
                    .iter()
                    .map(|c| (c.name.clone(), c.label.clone()))
                    .collect()
            })
            .unwrap_or_default();
        // Toolbar.
        ui.horizontal(|ui| {
            let label = ui.label("State");
            egui::ComboBox::from_id_salt("state_filter")
                .selected_text(self.state_filter.map(|s| s.as_str()).unwrap_or("all"))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.state_filter, None, "all");
                    for s in RunState::ALL {
                        ui.selectable_value(&mut self.state_filter, Some(s), s.as_str());
                    }
                })
                .response
                .labelled_by(label.id);
            let label = ui.label("Submission");
            egui::ComboBox::from_id_salt("submission_filter")
                .selected_text(
                    self.submission_filter
                        .clone()
                        .unwrap_or_else(|| "all".into()),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.submission_filter, None, "all");
                    for s in &detail.submissions {
                        ui.selectable_value(
                            &mut self.submission_filter,
                            Some(s.name.clone()),
                            &s.name,
                        );
                    }
                })
                .response
                .labelled_by(label.id);
            ui.separator();
            if ui
                .add_enabled(
                    !self.selected.is_empty(),
                    egui::Button::new("Open selected run"),
                )
                .clicked()
            {
                actions.push(Action::OpenRun(self.selected[0].clone()));
            }
            let one = (self.selected.len() == 1)
                .then(|| state.runs.iter().find(|r| r.run.id == self.selected[0]))
                .flatten();
            let active = one.is_some_and(|r| r.run.state.is_active());
            if ui
                .add_enabled(active, egui::Button::new("Cancel run"))
                .clicked()
            {
                if let Some(r) = one {
                    actions.push(Action::Backend(Request::Cancel {
                        run_id: r.run.id.clone(),
                    }));
                }
            }
            if ui
                .add_enabled(one.is_some() && !active, egui::Button::new("Delete run"))
                .clicked()
            {
                if let Some(r) = one {
                    actions.push(Action::Backend(Request::DeleteRun {
                        run_id: r.run.id.clone(),
                    }));
                    self.selected.clear();
                }
            }
            if ui
                .add_enabled(one.is_some(), egui::Button::new("Re-run"))
                .clicked()
            {
                if let Some(r) = one {
                    actions.push(Action::Rerun(Box::new(r.run.clone())));
                }
            }
            if ui
                .add_enabled(
                    one.is_some_and(|r| r.run.state.is_finished()),
                    egui::Button::new("Export…"),
                )
                .clicked()
            {
                if let Some(r) = one {
                    actions.push(Action::OpenDialog(DialogPurpose::ExportRun(
                        r.run.id.clone(),
                    )));
                }
            }
            if ui
                .add_enabled(self.selected.len() == 2, egui::Button::new("Compare"))
                .on_hover_text("Select two runs to compare them")
                .clicked()
            {
                self.comparing = true;
            }
            if state.is_loading("runs") {
                ui.spinner();
            }
        });
        ui.label(
            egui::RichText::new(format!(
                "{} run(s); select a row to act on it, two to compare, double-click to open",
                state.runs.len()
            ))
            .weak(),
        );

        let order = self.visible_rows(state).to_vec();
        let rows = &state.runs;
        let mut clicked: Option<(String, bool)> = None;
        let mut opened: Option<String> = None;
        let mut sort_by: Option<String> = None;
        let row_height = 22.0;
        let mut table = TableBuilder::new(ui)
            .id_salt("runs_table")
            .striped(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::exact(96.0))
            .column(Column::auto().at_least(110.0))
            .column(Column::auto().at_least(90.0))
            .column(Column::auto().at_least(140.0))
            .column(Column::auto().at_least(70.0))
            .column(Column::auto().at_least(120.0));
        for _ in &columns {
            table = table.column(Column::auto().at_least(80.0));
        }
        table = table.column(Column::remainder());
        let header_names: Vec<(String, String)> = [
            ("state", "State"),
            ("run", "Run"),
            ("submission", "Submission"),
            ("created", "Created"),
            ("duration", "Duration"),
            ("progress", "Progress"),
        ]
        .iter()
        .map(|(k, l)| (k.to_string(), l.to_string()))
        .chain(columns.iter().cloned())
        .collect();
        table
            .header(24.0, |mut header| {
                for (key, label) in &header_names {
                    header.col(|ui| {
                        let sortable = key != "run" && key != "progress";
                        let arrow = if &self.sort.column == key {
                            if self.sort.descending {
                                " (desc)"
                            } else {
                                " (asc)"
                            }
                        } else {
                            ""
                        };
                        if sortable {
                            if ui.button(format!("{label}{arrow}")).clicked() {
                                sort_by = Some(key.clone());
                            }
                        } else {
                            ui.strong(label);
                        }
                    });
                }
                header.col(|_| {});
            })
            .body(|body| {
                body.rows(row_height, order.len(), |mut row| {
                    let r = &rows[order[row.index()]];
                    row.set_selected(self.selected.contains(&r.run.id));
                    row.col(|ui| {
                        state_badge(ui, r.run.state);
                    });
                    row.col(|ui| {
                        ui.add(
                            egui::Label::new(egui::RichText::new(&r.run.id).monospace())
                                .selectable(false),
                        );
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(&r.submission).selectable(false));
                    });
                    row.col(|ui| {
                        ui.add(
                            egui::Label::new(
                                r.run.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                            )
                            .selectable(false),
                        );
                    });
                    row.col(|ui| {
                        let text = duration(r).map(|d| format!("{d:.1} s")).unwrap_or_default();
                        ui.add(egui::Label::new(text).selectable(false));
                    });
                    row.col(|ui| {
                        let text = match (&r.run.progress, r.run.state) {
                            (Some(p), RunState::Running) => format!(
                                "step {} of {} · {}",
                                p.step_index + 1,
                                p.step_count,
                                p.step_name
                            ),
                            (_, RunState::Pending) => "queued".into(),
                            _ => String::new(),
                        };
                        ui.add(egui::Label::new(text).selectable(false));
                    });
                    for i in 0..columns.len() {
                        row.col(|ui| {
                            ui.add(
                                egui::Label::new(result_text(&r.values.get(i).cloned().flatten()))
                                    .selectable(false),
                            );
                        });
                    }
                    row.col(|_| {});
                    let response = row.response();
                    if response.double_clicked() {
                        opened = Some(r.run.id.clone());
                    } else if response.clicked() {
                        let additive = response
                            .ctx
                            .input(|i| i.modifiers.command || i.modifiers.shift);
                        clicked = Some((r.run.id.clone(), additive));
                    }
                });
            });
        if let Some(key) = sort_by {
            if self.sort.column == key {
                self.sort.descending = !self.sort.descending;
            } else {
                self.sort = Sort {
                    column: key,
                    descending: true,
                };
            }
        }
        if let Some((id, additive)) = clicked {
            if let Some(pos) = self.selected.iter().position(|s| s == &id) {
                self.selected.remove(pos);
            } else {
                if !additive && self.selected.len() >= 2 {
                    self.selected.clear();
                }
                self.selected.push(id);
                if self.selected.len() > 2 {
                    self.selected.remove(0);
                }
            }
        }
        if let Some(id) = opened {
            actions.push(Action::OpenRun(id));
        }
        // Open the single selected run with Enter.
        if self.selected.len() == 1 && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            actions.push(Action::OpenRun(self.selected[0].clone()));
        }
    }

    /// The comparison window for two selected runs (Esc closes it).
    pub fn compare_window(&mut self, ctx: &egui::Context, state: &AppState) {
        if !self.comparing || self.selected.len() != 2 {
            self.comparing = false;
            return;
        }
        let a = state.runs.iter().find(|r| r.run.id == self.selected[0]);
        let b = state.runs.iter().find(|r| r.run.id == self.selected[1]);
        let (Some(a), Some(b)) = (a, b) else {
            self.comparing = false;
            return;
        };
        if ctx.input(|i| i.key_pressed(egui::Key::Escape)) {
            self.comparing = false;
            return;
        }
        let columns: Vec<String> = state
            .detail
            .as_ref()
            .and_then(|d| d.template.results.as_ref())
            .map(|s| s.columns.iter().map(|c| c.label.clone()).collect())
            .unwrap_or_default();
        let mut open = true;
        egui::Window::new("Compare runs")
            .open(&mut open)
            .default_width(560.0)
            .show(ctx, |ui| {
                let highlight = ui.visuals().warn_fg_color;
                egui::Grid::new("compare")
                    .striped(true)
                    .num_columns(3)
                    .show(ui, |ui| {
                        ui.strong("");
                        ui.strong(format!("Run {}", a.run.id));
                        ui.strong(format!("Run {}", b.run.id));
                        ui.end_row();
                        let line = |ui: &mut egui::Ui, name: &str, x: String, y: String| {
                            ui.label(name);
                            if x != y {
                                ui.colored_label(highlight, &x);
                                ui.colored_label(highlight, &y);
                            } else {
                                ui.label(&x);
                                ui.label(&y);
                            }
                            ui.end_row();
                        };
                        line(
                            ui,
                            "State",
                            a.run.state.as_str().into(),
                            b.run.state.as_str().into(),
                        );
                        line(ui, "Submission", a.submission.clone(), b.submission.clone());
                        line(
                            ui,
                            "Duration",
                            duration(a).map(|d| format!("{d:.1} s")).unwrap_or_default(),
                            duration(b).map(|d| format!("{d:.1} s")).unwrap_or_default(),
                        );
                        let args_a = a.run.arguments.as_object().cloned().unwrap_or_default();
                        let args_b = b.run.arguments.as_object().cloned().unwrap_or_default();
                        let mut names: Vec<&String> = args_a.keys().chain(args_b.keys()).collect();
                        names.sort();
                        names.dedup();
                        for name in names {
                            line(
                                ui,
                                &format!("argument {name}"),
                                args_a.get(name).map(display_value).unwrap_or_default(),
                                args_b.get(name).map(display_value).unwrap_or_default(),
                            );
                        }
                        for (i, label) in columns.iter().enumerate() {
                            line(
                                ui,
                                label,
                                result_text(&a.values.get(i).cloned().flatten()),
                                result_text(&b.values.get(i).cloned().flatten()),
                            );
                        }
                    });
                ui.label(egui::RichText::new("Differences are highlighted.").weak());
            });
        if !open {
            self.comparing = false;
        }
    }
}

fn duration(row: &RunRow) -> Option<f64> {
    row.run.duration().map(|d| d.as_seconds_f64())
}

fn compare_values(
    a: Option<&Option<crate::template::ResultValue>>,
    b: Option<&Option<crate::template::ResultValue>>,
) -> std::cmp::Ordering {
    use crate::template::ResultValue::*;
    use std::cmp::Ordering;
    match (a.cloned().flatten(), b.cloned().flatten()) {
        (Some(Int(x)), Some(Int(y))) => x.cmp(&y),
        (Some(Float(x)), Some(Float(y))) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        (Some(Int(x)), Some(Float(y))) => (x as f64).partial_cmp(&y).unwrap_or(Ordering::Equal),
        (Some(Float(x)), Some(Int(y))) => x.partial_cmp(&(y as f64)).unwrap_or(Ordering::Equal),
        (Some(String(x)), Some(String(y))) => x.cmp(&y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        _ => Ordering::Equal,
    }
}
