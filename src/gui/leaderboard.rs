//! The Leaderboard tab: ranked runs with the schema's column labels, best run per
//! submission or all runs, sorting by clicking a header, the selected submission's
//! rows highlighted, a chart of a chosen column over the ranking, CSV export, and
//! the post-processing outputs below it. A run set is one row with each
//! column's mean ± std (n); badges mark imported runs and how a run's latest
//! reproduction went, and a filter keeps only reproduced runs.

use super::dialogs::DialogPurpose;
use super::state::{Action, AppState, HiddenColumns, LeaderboardSort, Loading, Screen, Tab};
use super::widgets::buttons::{icon_button, primary_button, ICON_DOWNLOAD, ICON_PLAY_ARROW};
use super::widgets::column_chooser::{column_chooser, ChooserColumn};
use super::widgets::file_view::FileView;
use super::widgets::plot::ColumnChart;
use super::widgets::repro_badge::badges_ui;
use super::widgets::table_cells::{header_width, number_cell};
use crate::client::format::{column_decimals, duration_text, value_text, value_text_in_column};
use crate::client::{order_text, LeaderboardView, Operation, PostprocView};
use crate::template::{ColumnType, ResultColumn, ResultValue};
use egui_extras::{Column, TableBuilder};
use std::sync::Arc;

/// A column of the leaderboard table.
#[derive(Clone, Copy, Debug, PartialEq)]
enum BoardColumn {
    Rank,
    Submission,
    Run,
    /// Result column `index` of the leaderboard.
    Value(usize),
    Duration,
    Badges,
}

impl BoardColumn {
    /// Every column of a leaderboard with `values` result columns, in order.
    fn all(values: usize) -> impl Iterator<Item = BoardColumn> {
        [BoardColumn::Rank, BoardColumn::Submission, BoardColumn::Run]
            .into_iter()
            .chain((0..values).map(BoardColumn::Value))
            .chain([BoardColumn::Duration, BoardColumn::Badges])
    }

    /// The column-chooser key; result columns go by their name.
    fn key(self, columns: &[ResultColumn]) -> &str {
        match self {
            BoardColumn::Rank => "rank",
            BoardColumn::Submission => "submission",
            BoardColumn::Run => "run",
            BoardColumn::Value(i) => columns.get(i).map_or("", |c| c.name.as_str()),
            BoardColumn::Duration => "duration",
            BoardColumn::Badges => "badges",
        }
    }

    fn label(self, columns: &[ResultColumn]) -> &str {
        match self {
            BoardColumn::Rank => "Rank",
            BoardColumn::Submission => "Submission",
            BoardColumn::Run => "Run",
            BoardColumn::Value(i) => columns.get(i).map_or("", |c| c.label.as_str()),
            BoardColumn::Duration => "Duration",
            BoardColumn::Badges => "Badges",
        }
    }

    /// The rank says where a row stands: it cannot be hidden.
    fn hideable(self) -> bool {
        self != BoardColumn::Rank
    }

    /// How the table sizes it, given how wide its header is. Fixed first
    /// widths, not `Column::auto`, whose sizing pass draws the first frame's
    /// rows elsewhere (see the Runs table).
    fn sizing(self, header: f32) -> Column {
        let width = |least: f32| Column::initial(least.max(header)).at_least(48.0).clip(true);
        match self {
            BoardColumn::Rank => Column::exact(48.0),
            BoardColumn::Submission => width(120.0),
            BoardColumn::Run => width(120.0),
            BoardColumn::Value(_) => width(100.0),
            BoardColumn::Duration => width(80.0),
            BoardColumn::Badges => width(90.0),
        }
    }
}

/// Viewers of the post-processing outputs, built once per post-processing run.
struct PostprocViewers {
    run_id: String,
    /// Title and viewer per output file.
    views: Vec<(String, FileView)>,
}

pub struct LeaderboardScreen {
    chart_column: Option<String>,
    chart: ColumnChart,
    /// Chart points for (leaderboard, column): building them visits thousands of
    /// entries, far too many to redo every frame.
    chart_points: Option<(usize, String, ChartData)>,
    postproc: Option<PostprocViewers>,
    highlight: Option<String>,
    /// For the leaderboard (by address): per column the decimals its values
    /// show when numeric (right-aligned), `None` for text. Visiting every
    /// entry is done once per leaderboard, not per frame.
    /// (Holding the leaderboard keeps its address from being reused.)
    decimals: Option<(Arc<LeaderboardView>, Vec<Option<usize>>)>,
}

impl Default for LeaderboardScreen {
    fn default() -> Self {
        LeaderboardScreen {
            chart_column: None,
            chart: ColumnChart::new().with_x_label("Rank"),
            chart_points: None,
            postproc: None,
            highlight: None,
            decimals: None,
        }
    }
}

impl Screen for LeaderboardScreen {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>) {
        let Some(detail) = &state.detail else {
            return;
        };
        if detail.results.is_none() {
            ui.label("This benchmark has no result schema, so its runs are not ranked.");
            return;
        }
        self.sync(state.postproc.as_deref());
        let mut sort = state.persisted.leaderboard.clone();
        self.toolbar_ui(ui, state, &mut sort, actions);
        let Some(board) = state.leaderboard.clone() else {
            crate::gui::widgets::spinner::spinner(ui);
            return;
        };
        ui.label(
            egui::RichText::new(format!(
                "{} {}, ranked by {}",
                board.len(),
                if board.len() == 1 { "entry" } else { "entries" },
                order_text(&board.order)
            ))
            .weak(),
        );
        if board.is_empty() {
            ui.add_space(40.0);
            ui.vertical_centered(|ui| {
                ui.heading("Nothing ranked yet");
                ui.label(
                    egui::RichText::new(
                        "A run is ranked here once it succeeds with results that match the schema.",
                    )
                    .weak(),
                );
                ui.add_space(8.0);
                if primary_button(ui, true, ICON_PLAY_ARROW, "Start a run").clicked() {
                    actions.push(Action::ShowTab(Tab::NewRun));
                }
            });
            return;
        }
        self.update_decimals(&board);
        self.table_ui(ui, &board, &state.persisted.hidden_columns, &mut sort);
        if sort != state.persisted.leaderboard {
            actions.push(Action::SortLeaderboard(sort));
        }
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("leaderboard_lower")
            .show(ui, |ui| {
                self.chart_ui(ui, &board);
                if detail.has_postproc {
                    self.postproc_ui(ui, actions);
                }
            });
    }
}

impl LeaderboardScreen {
    /// New post-processing outputs: build their viewers once.
    fn sync(&mut self, postproc: Option<&PostprocView>) {
        let Some(postproc) = postproc else {
            self.postproc = None;
            return;
        };
        if self
            .postproc
            .as_ref()
            .is_some_and(|p| p.run_id == postproc.run_id)
        {
            return;
        }
        let views = postproc
            .outputs
            .iter()
            .filter_map(|output| {
                let path = output.file.local_path.clone()?;
                let title = output
                    .title
                    .clone()
                    .unwrap_or_else(|| output.file.name.clone());
                let view = FileView::from_output_spec(
                    output.format.as_ref(),
                    output.widget.as_ref(),
                    path,
                );
                Some((title, view))
            })
            .collect();
        self.postproc = Some(PostprocViewers {
            run_id: postproc.run_id.clone(),
            views,
        });
    }

    fn toolbar_ui(
        &mut self,
        ui: &mut egui::Ui,
        state: &AppState,
        sort: &mut LeaderboardSort,
        actions: &mut Vec<Action>,
    ) {
        // Wrapped, so every control stays reachable in a narrow window.
        ui.horizontal_wrapped(|ui| {
            ui.radio_value(&mut sort.all_runs, false, "Best run per submission");
            ui.radio_value(&mut sort.all_runs, true, "All runs");
            if state.supports(Operation::Reproduce) {
                ui.checkbox(&mut sort.reproduced_only, "Reproduced only")
                    .on_hover_text("Only runs whose latest reproduction reproduced them");
            }
            if sort.column.is_some() && ui.button("Default order").clicked() {
                sort.column = None;
            }
            ui.separator();
            let label = ui.label("Highlight");
            egui::ComboBox::from_id_salt("highlight")
                .selected_text(self.highlight.clone().unwrap_or_else(|| "none".into()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.highlight, None, "none");
                    for s in state.detail.iter().flat_map(|d| &d.submissions) {
                        ui.selectable_value(&mut self.highlight, Some(s.name.clone()), &s.name);
                    }
                })
                .response
                .labelled_by(label.id);
            if let Some(board) = &state.leaderboard {
                columns_menu_ui(ui, state, &board.columns, actions);
            }
            if icon_button(ui, ICON_DOWNLOAD, "Export CSV…").clicked() {
                actions.push(Action::OpenDialog(DialogPurpose::ExportLeaderboard));
            }
            if state.is_loading(Loading::Leaderboard) {
                crate::gui::widgets::spinner::spinner(ui);
            }
        });
    }

    fn table_ui(
        &mut self,
        ui: &mut egui::Ui,
        board: &LeaderboardView,
        hidden: &HiddenColumns,
        sort: &mut LeaderboardSort,
    ) {
        let decimals = self
            .decimals
            .as_ref()
            .map(|(_, decimals)| decimals.clone())
            .unwrap_or_default();
        let table_height = (ui.available_height() * 0.55).max(160.0);
        let mut sort_by: Option<String> = None;
        let columns = &board.columns;
        let shown: Vec<BoardColumn> = BoardColumn::all(columns.len())
            .filter(|c| !c.hideable() || !hidden.leaderboard_hides(c.key(columns)))
            .collect();
        let keys: Vec<&str> = shown.iter().map(|c| c.key(columns)).collect();
        egui::Frame::new().show(ui, |ui| {
            ui.set_max_height(table_height);
            // Wider than the window: scroll sideways rather than cut columns off.
            egui::ScrollArea::horizontal()
                .id_salt("leaderboard_table_scroll")
                .show(ui, |ui| {
                    // Widths are kept per set of shown columns.
                    let widths: Vec<f32> = shown
                        .iter()
                        .map(|c| header_width(ui, c.label(columns)))
                        .collect();
                    let mut table = TableBuilder::new(ui)
                        .id_salt(("leaderboard_table", &keys))
                        .striped(true)
                        .resizable(true)
                        .cell_layout(egui::Layout::left_to_right(egui::Align::Center));
                    for (column, width) in shown.iter().zip(&widths) {
                        table = table.column(column.sizing(*width));
                    }
                    table
                        .column(Column::remainder())
                        .header(24.0, |mut header| {
                            for column in &shown {
                                header.col(|ui| {
                                    let BoardColumn::Value(i) = *column else {
                                        ui.strong(column.label(columns));
                                        return;
                                    };
                                    let Some(column) = columns.get(i) else {
                                        return;
                                    };
                                    let arrow = match (
                                        sort.column.as_ref() == Some(&column.name),
                                        sort.descending,
                                    ) {
                                        (true, true) => " (desc)",
                                        (true, false) => " (asc)",
                                        _ => "",
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
                            header.col(|_| {});
                        })
                        .body(|body| {
                            body.rows(22.0, board.len(), |mut row| {
                                let Some(entry) = board.row(row.index()) else {
                                    return;
                                };
                                // The whole row as one band, as a selection is.
                                row.set_selected(
                                    self.highlight.as_ref() == Some(&entry.submission),
                                );
                                let cell =
                                    |row: &mut egui_extras::TableRow<'_, '_>,
                                     text: egui::RichText| {
                                        row.col(|ui| {
                                            ui.add(egui::Label::new(text).selectable(false));
                                        });
                                    };
                                for column in &shown {
                                    match *column {
                                        BoardColumn::Rank => {
                                            row.col(|ui| {
                                                ui.with_layout(
                                                    egui::Layout::right_to_left(
                                                        egui::Align::Center,
                                                    ),
                                                    |ui| ui.strong(entry.rank.to_string()),
                                                );
                                            });
                                        }
                                        BoardColumn::Submission => {
                                            cell(&mut row, egui::RichText::new(&entry.submission))
                                        }
                                        BoardColumn::Run => {
                                            let run = match &entry.run_set {
                                                Some(set) => format!(
                                                    "set {} ({} runs)",
                                                    set.id,
                                                    set.runs.len()
                                                ),
                                                None => entry.run_id.clone(),
                                            };
                                            cell(&mut row, egui::RichText::new(run).monospace());
                                        }
                                        BoardColumn::Value(index) => {
                                            let spread = entry.run_set.as_ref().and_then(|set| {
                                                set.spreads.get(index).copied().flatten()
                                            });
                                            let value =
                                                entry.values.get(index).and_then(Option::as_ref);
                                            match (spread, decimals.get(index).copied().flatten()) {
                                                (Some(spread), _) => {
                                                    number_cell(&mut row, spread.text())
                                                }
                                                (None, Some(decimals)) => number_cell(
                                                    &mut row,
                                                    value_text_in_column(value, decimals),
                                                ),
                                                (None, None) => cell(
                                                    &mut row,
                                                    egui::RichText::new(value_text(value)),
                                                ),
                                            }
                                        }
                                        BoardColumn::Duration => {
                                            number_cell(&mut row, duration_text(entry.duration))
                                        }
                                        BoardColumn::Badges => {
                                            row.col(|ui| {
                                                badges_ui(ui, &entry.badges);
                                            });
                                        }
                                    }
                                }
                                row.col(|_| {});
                            });
                        });
                });
        });
        if let Some(name) = sort_by {
            if sort.column.as_ref() == Some(&name) {
                sort.descending = !sort.descending;
            } else {
                sort.column = Some(name);
                sort.descending = true;
            }
        }
    }

    /// See [`LeaderboardScreen::decimals`] (the field).
    fn update_decimals(&mut self, board: &Arc<LeaderboardView>) {
        if let Some((seen, _)) = &self.decimals {
            if Arc::ptr_eq(seen, board) {
                return;
            }
        }
        let decimals: Vec<Option<usize>> = board
            .columns
            .iter()
            .enumerate()
            .map(|(index, column)| {
                (column.dtype != ColumnType::String).then(|| {
                    let values: Vec<Option<ResultValue>> = board
                        .rows()
                        .map(|row| row.values.get(index).cloned().flatten())
                        .collect();
                    column_decimals(values.iter().map(Option::as_ref))
                })
            })
            .collect();
        self.decimals = Some((Arc::clone(board), decimals));
    }

    /// Chart of a numeric column over the ranking.
    fn chart_ui(&mut self, ui: &mut egui::Ui, board: &Arc<LeaderboardView>) {
        let numeric: Vec<(usize, &str, &str)> = board
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.dtype != ColumnType::String)
            .map(|(i, c)| (i, c.name.as_str(), c.label.as_str()))
            .collect();
        let Some(first) = numeric.first() else {
            return;
        };
        egui::CollapsingHeader::new("Chart")
            .default_open(true)
            .show(ui, |ui| {
                let chosen = self
                    .chart_column
                    .clone()
                    .filter(|c| numeric.iter().any(|(_, n, _)| n == c))
                    .unwrap_or_else(|| first.1.to_string());
                ui.horizontal(|ui| {
                    let column_label = ui.label("Column");
                    egui::ComboBox::from_id_salt("chart_column")
                        .selected_text(chosen.clone())
                        .show_ui(ui, |ui| {
                            for (_, name, label) in &numeric {
                                ui.selectable_value(
                                    &mut self.chart_column,
                                    Some(name.to_string()),
                                    *label,
                                );
                            }
                        })
                        .response
                        .labelled_by(column_label.id);
                });
                let (index, _, label) = numeric
                    .iter()
                    .find(|(_, n, _)| *n == chosen)
                    .copied()
                    .unwrap_or(*first);
                let key = Arc::as_ptr(board) as usize;
                let fresh = self
                    .chart_points
                    .as_ref()
                    .is_some_and(|(k, c, _)| *k == key && *c == chosen);
                if !fresh {
                    self.chart_points = Some((key, chosen.clone(), chart_points(board, index)));
                }
                let (points, bars) = self
                    .chart_points
                    .as_ref()
                    .map(|(_, _, c)| (c.points.as_slice(), c.error_bars.as_slice()))
                    .unwrap_or_default();
                self.chart
                    .ui_with_labels(ui, "Value by rank", points, &[], bars, label);
            });
    }

    fn postproc_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        egui::CollapsingHeader::new("Post-processing results")
            .default_open(true)
            .show(ui, |ui| {
                let views = self.postproc.as_mut().map(|p| &mut p.views);
                let Some(views) = views.filter(|v| !v.is_empty()) else {
                    ui.label(
                        "No post-processing results yet; they appear after the ranking changes.",
                    );
                    return;
                };
                for (i, (title, view)) in views.iter_mut().enumerate() {
                    egui::CollapsingHeader::new(title.as_str())
                        .id_salt(("postproc", i))
                        .default_open(true)
                        .show(ui, |ui| {
                            ui.set_min_height(200.0);
                            view.ui(ui);
                            if let Some(path) = view.take_open_request() {
                                actions.push(Action::OpenPath(path));
                            }
                        });
                }
            });
    }
}

/// The leaderboard's column chooser (every column but the rank); the choice
/// is the benchmark's.
fn columns_menu_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    columns: &[ResultColumn],
    actions: &mut Vec<Action>,
) {
    let hidden = &state.persisted.hidden_columns;
    let offered = BoardColumn::all(columns.len())
        .filter(|c| c.hideable())
        .map(|column| ChooserColumn {
            key: column.key(columns),
            label: column.label(columns),
            shown: !hidden.leaderboard_hides(column.key(columns)),
            hint: None,
        });
    if let Some((key, shown)) = column_chooser(ui, offered) {
        let mut changed = hidden.clone();
        HiddenColumns::set(&mut changed.leaderboard, key, shown);
        actions.push(Action::HideColumns(changed));
    }
}

/// What the chart of one column draws.
#[derive(Default)]
struct ChartData {
    /// (rank, value); a run set's mean.
    points: Vec<[f64; 2]>,
    /// (rank, mean - std, mean + std) of run sets with more than one value.
    error_bars: Vec<[f64; 3]>,
}

/// Points (rank, value) of column `index`; a chart over 100,000 ranks is a
/// blur, so at most about 2,000 are drawn.
fn chart_points(board: &LeaderboardView, index: usize) -> ChartData {
    let step = (board.len() / 2000).max(1);
    let mut data = ChartData::default();
    for row in (0..board.len()).step_by(step).filter_map(|i| board.row(i)) {
        let rank = row.rank as f64;
        let value = match row.values.get(index) {
            Some(Some(ResultValue::Float(f))) => *f,
            Some(Some(ResultValue::Int(n))) => *n as f64,
            _ => continue,
        };
        data.points.push([rank, value]);
        let spread = row
            .run_set
            .as_ref()
            .and_then(|set| set.spreads.get(index).copied().flatten());
        if let Some((mean, std)) = spread.and_then(|s| Some((s.mean, s.std?))) {
            data.error_bars.push([rank, mean - std, mean + std]);
        }
    }
    data
}
