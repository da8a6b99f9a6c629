//! The Runs tab: a virtualized table of the benchmark's runs (state badge,
//! submission, times, progress, result columns), filters, actions on the selected
//! run, and side-by-side comparison of two runs.

use super::dialogs::DialogPurpose;
use super::state::{Action, AppState, HiddenColumns, Loading, Persisted, RunsSort, Screen, Tab};
use super::widgets::buttons::{
    icon_button_widget, primary_button, ICON_COMPARE_ARROWS, ICON_DELETE, ICON_IOS_SHARE,
    ICON_OPEN_IN_NEW, ICON_PLAY_ARROW, ICON_REPLAY, ICON_STOP,
};
use super::widgets::column_chooser::{column_chooser, ChooserColumn};
use super::widgets::state_badge::state_badge;
use super::widgets::table_cells::{header_width, number_cell};
use crate::client::format::{
    argument_labels, argument_text, column_decimals, optional_duration, ordinal, time_text,
    value_text, value_text_in_column,
};
use crate::client::{LeaderboardView, RunRow, RunSetLine};
use crate::model::RunState;
use crate::template::{ColumnType, Parameter, ResultColumn, ResultValue};
use egui_extras::{Column, TableBuilder};
use std::cmp::Ordering;
use std::sync::Arc;

/// What the cached row order depends on: row count and buffer, sort, filters.
type OrderKey = (usize, usize, RunsSort, Option<RunState>, Option<String>);

const ROW_HEIGHT: f32 = 22.0;

/// A column of the Runs table.
#[derive(Clone, Copy, Debug, PartialEq)]
enum RunsColumn {
    State,
    Run,
    Submission,
    Created,
    Duration,
    Progress,
    /// Result column `index` of the benchmark.
    Value(usize),
}

impl RunsColumn {
    /// The columns every run has, in table order (result columns follow).
    const FIXED: [RunsColumn; 6] = [
        RunsColumn::State,
        RunsColumn::Run,
        RunsColumn::Submission,
        RunsColumn::Created,
        RunsColumn::Duration,
        RunsColumn::Progress,
    ];

    /// The sort and column-chooser key; result columns go by their name.
    fn key(self, columns: &[ResultColumn]) -> &str {
        match self {
            RunsColumn::State => "state",
            RunsColumn::Run => "run",
            RunsColumn::Submission => "submission",
            RunsColumn::Created => "created",
            RunsColumn::Duration => "duration",
            RunsColumn::Progress => "progress",
            RunsColumn::Value(i) => columns.get(i).map_or("", |c| c.name.as_str()),
        }
    }

    fn label(self, columns: &[ResultColumn]) -> &str {
        match self {
            RunsColumn::State => "State",
            RunsColumn::Run => "Run",
            RunsColumn::Submission => "Submission",
            RunsColumn::Created => "Created",
            RunsColumn::Duration => "Duration",
            RunsColumn::Progress => "Progress",
            RunsColumn::Value(i) => columns.get(i).map_or("", |c| c.label.as_str()),
        }
    }

    /// State and run id say which run a row is: they cannot be hidden.
    fn hideable(self) -> bool {
        !matches!(self, RunsColumn::State | RunsColumn::Run)
    }

    /// How the table sizes it, given how wide its header is; all but the badge
    /// can be resized by the user. Fixed first widths, not `Column::auto`: an
    /// auto column makes the table's first frame a sizing pass whose rows sit
    /// elsewhere than in the next frame (a click then misses its row), and the
    /// widths are kept once the user resizes anyway.
    fn sizing(self, header: f32) -> Column {
        let width = |least: f32| Column::initial(least.max(header)).at_least(60.0).clip(true);
        match self {
            RunsColumn::State => Column::exact(96.0),
            RunsColumn::Run => width(120.0),
            RunsColumn::Submission => width(110.0),
            RunsColumn::Created => width(160.0),
            RunsColumn::Duration => width(90.0),
            RunsColumn::Progress => width(200.0),
            RunsColumn::Value(_) => width(90.0),
        }
    }

    /// Every column of a benchmark with `values` result columns.
    fn all(values: usize) -> impl Iterator<Item = RunsColumn> {
        RunsColumn::FIXED
            .into_iter()
            .chain((0..values).map(RunsColumn::Value))
    }
}

pub struct RunsScreen {
    sort: RunsSort,
    state_filter: Option<RunState>,
    submission_filter: Option<String>,
    /// Selected run ids, in the order they were selected (two are compared).
    selected: Vec<String>,
    /// Where a Shift-click extends the selection from.
    anchor: Option<String>,
    comparing: bool,
    /// Row order after filtering and sorting, recomputed when inputs change.
    order: Vec<usize>,
    order_key: Option<OrderKey>,
    /// Whether a run in the list is active (computed with the order): the
    /// Progress column is shown only then.
    any_active: bool,
    /// Per result column, computed with the order: the decimals its values
    /// show for numeric columns (right-aligned), `None` for text.
    decimals: Vec<Option<usize>>,
    /// The benchmark the selection belongs to.
    benchmark: Option<String>,
    /// Runs the user asked to delete, waiting for the confirmation.
    confirm_delete: Vec<String>,
    /// The run sets of the two compared runs, looked up once per leaderboard.
    compare_sets: Option<CompareSets>,
}

/// How a click on a row changes the selection (the desktop convention).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Click {
    /// A plain click: this row only.
    Select,
    /// Ctrl-click (Cmd on macOS): add or remove this row.
    Toggle,
    /// Shift-click: every row from the last clicked one to this one.
    Extend,
}

/// What was chosen in a row's context menu.
enum MenuChoice {
    Open(String),
    Rerun(String),
    Compare(String, String),
    Export(String),
    Delete(Vec<String>),
}

/// The leaderboard's run-set lines holding the compared runs.
struct CompareSets {
    /// The leaderboard (by address) and the runs they were looked up for.
    key: (usize, Vec<String>),
    sets: [Option<RunSetLine>; 2],
    /// The leaderboard's column names, in the order of the spreads.
    columns: Vec<String>,
}

impl Screen for RunsScreen {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>) {
        let Some(detail) = &state.detail else {
            return;
        };
        if self.benchmark.as_ref() != Some(&detail.benchmark.id) {
            self.benchmark = Some(detail.benchmark.id.clone());
            self.clear_selection();
        }
        self.toolbar_ui(ui, state, detail.columns(), actions);
        if self.empty_state_ui(ui, state, &detail.benchmark.id, actions) {
            return;
        }
        ui.label(
            egui::RichText::new(format!(
                "{}; click a row to select it, Ctrl-click or Shift-click for more, right-click for actions, double-click to open",
                crate::client::format::count(state.runs.len(), "run", "runs")
            ))
            .weak(),
        );
        self.table_ui(ui, state, detail.columns(), actions);
        self.confirm_delete_ui(ui, actions);
    }

    fn persist(&self, persisted: &mut Persisted) {
        persisted.runs = self.sort.clone();
    }
}

impl RunsScreen {
    /// Deleting a run removes its folder: ask first.
    fn confirm_delete_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        if self.confirm_delete.is_empty() {
            return;
        }
        let runs = self.confirm_delete.clone();
        let modal = egui::Modal::new(egui::Id::unique("confirm_delete_run")).show(ui.ctx(), |ui| {
            match runs.as_slice() {
                [one] => {
                    ui.heading(format!("Delete run {one}?"));
                    ui.label(
                        "Its log, output files and results are removed from this computer \
                         and it leaves the leaderboard. This cannot be undone.",
                    );
                }
                many => {
                    ui.heading(format!("Delete {} runs?", many.len()));
                    ui.label(format!(
                        "Runs {}: their logs, output files and results are removed from this \
                         computer and they leave the leaderboard. This cannot be undone.",
                        many.join(", ")
                    ));
                }
            }
            ui.horizontal(|ui| {
                if ui.button("Delete").clicked() {
                    for run in &runs {
                        actions.push(Action::DeleteRun(run.clone()));
                    }
                    self.selected.retain(|id| !runs.contains(id));
                    self.confirm_delete.clear();
                }
                if ui.button("Keep it").clicked() {
                    self.confirm_delete.clear();
                }
            });
        });
        if modal.should_close() {
            self.confirm_delete.clear();
        }
    }

    pub fn new(sort: RunsSort) -> Self {
        RunsScreen {
            sort,
            state_filter: None,
            submission_filter: None,
            selected: Vec::new(),
            anchor: None,
            comparing: false,
            compare_sets: None,
            order: Vec::new(),
            order_key: None,
            any_active: false,
            decimals: Vec::new(),
            benchmark: None,
            confirm_delete: Vec::new(),
        }
    }

    /// The screen of `benchmark` as it was left there: its order and selection
    /// (the app keeps them per benchmark).
    pub fn restore(sort: RunsSort, benchmark: Option<String>, selected: Vec<String>) -> Self {
        RunsScreen {
            selected: if benchmark.is_some() {
                selected
            } else {
                Vec::new()
            },
            benchmark,
            ..RunsScreen::new(sort)
        }
    }

    /// The selected run ids, oldest selection first.
    pub fn selected(&self) -> &[String] {
        &self.selected
    }

    fn clear_selection(&mut self) {
        self.selected.clear();
        self.anchor = None;
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
            let column = rows
                .first()
                .and_then(|r| r.columns.iter().position(|c| c.name == self.sort.column));
            let mut order: Vec<usize> = (0..rows.len())
                .filter(|&i| self.state_filter.is_none_or(|s| rows[i].state == s))
                .filter(|&i| {
                    self.submission_filter
                        .as_ref()
                        .is_none_or(|s| &rows[i].submission == s)
                })
                .collect();
            order.sort_by(|&a, &b| {
                let (ra, rb) = (&rows[a], &rows[b]);
                let ordering = match (self.sort.column.as_str(), column) {
                    ("state", _) => ra.state.as_str().cmp(rb.state.as_str()),
                    ("submission", _) => ra.submission.cmp(&rb.submission),
                    ("duration", _) => ra
                        .duration()
                        .partial_cmp(&rb.duration())
                        .unwrap_or(Ordering::Equal),
                    (_, Some(index)) => compare_values(
                        ra.values.get(index).and_then(Option::as_ref),
                        rb.values.get(index).and_then(Option::as_ref),
                    ),
                    _ => ra.created_at.cmp(&rb.created_at),
                };
                if self.sort.descending {
                    ordering.reverse()
                } else {
                    ordering
                }
            });
            self.order = order;
            self.order_key = Some(key);
            self.any_active = rows.iter().any(|r| r.state.is_active());
            self.decimals = rows.first().map_or_else(Vec::new, |first| {
                first
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(index, column)| {
                        (column.dtype != ColumnType::String).then(|| {
                            column_decimals(
                                rows.iter()
                                    .map(|r| r.values.get(index).and_then(Option::as_ref)),
                            )
                        })
                    })
                    .collect()
            });
        }
        &self.order
    }

    /// What to do when there is nothing to list: start a first run, or clear
    /// filters that hide every run. True when it was shown (instead of an
    /// empty table).
    fn empty_state_ui(
        &mut self,
        ui: &mut egui::Ui,
        state: &AppState,
        benchmark: &str,
        actions: &mut Vec<Action>,
    ) -> bool {
        if state.runs_for.as_deref() != Some(benchmark) {
            return false;
        }
        if state.runs.is_empty() {
            ui.add_space(40.0);
            ui.vertical_centered(|ui| {
                ui.heading("No runs yet — start one");
                ui.label(
                    egui::RichText::new(
                        "Fill in the benchmark's form; the run shows up here while it runs.",
                    )
                    .weak(),
                );
                ui.add_space(8.0);
                if primary_button(ui, true, ICON_PLAY_ARROW, "Start a run").clicked() {
                    actions.push(Action::ShowTab(Tab::NewRun));
                }
            });
            return true;
        }
        if self.visible_rows(state).is_empty() {
            ui.add_space(40.0);
            ui.vertical_centered(|ui| {
                ui.heading("No run matches the filters");
                ui.add_space(8.0);
                if ui.button("Clear filters").clicked() {
                    self.state_filter = None;
                    self.submission_filter = None;
                }
            });
            return true;
        }
        false
    }

    /// The one selected run, if exactly one is selected.
    fn single<'a>(&self, state: &'a AppState) -> Option<&'a RunRow> {
        (self.selected.len() == 1)
            .then(|| state.runs.iter().find(|r| r.id == self.selected[0]))
            .flatten()
    }

    /// The columns shown: those not hidden, and Progress only while a run is
    /// active (it is empty otherwise and would only take room).
    fn shown_columns(&mut self, state: &AppState, columns: &[ResultColumn]) -> Vec<RunsColumn> {
        self.visible_rows(state);
        let hidden = &state.persisted.hidden_columns;
        RunsColumn::all(columns.len())
            .filter(|c| match c {
                RunsColumn::Progress if !self.any_active => false,
                c => !c.hideable() || !hidden.runs_hides(c.key(columns)),
            })
            .collect()
    }

    /// The column chooser; the choice is the benchmark's.
    fn columns_menu_ui(
        ui: &mut egui::Ui,
        state: &AppState,
        columns: &[ResultColumn],
        actions: &mut Vec<Action>,
    ) {
        let hidden = &state.persisted.hidden_columns;
        let offered = RunsColumn::all(columns.len())
            .filter(|c| c.hideable())
            .map(|column| ChooserColumn {
                key: column.key(columns),
                label: column.label(columns),
                shown: !hidden.runs_hides(column.key(columns)),
                hint: (column == RunsColumn::Progress)
                    .then_some("Shown while a run is queued or running"),
            });
        if let Some((key, shown)) = column_chooser(ui, offered) {
            let mut changed = hidden.clone();
            HiddenColumns::set(&mut changed.runs, key, shown);
            actions.push(Action::HideColumns(changed));
        }
    }

    fn toolbar_ui(
        &mut self,
        ui: &mut egui::Ui,
        state: &AppState,
        columns: &[ResultColumn],
        actions: &mut Vec<Action>,
    ) {
        // Wrapped: at 1024 px the buttons do not fit one line beside the filters.
        ui.horizontal_wrapped(|ui| {
            self.filters_ui(ui, state);
            Self::columns_menu_ui(ui, state, columns, actions);
            ui.separator();
            if ui
                .add_enabled(
                    !self.selected.is_empty(),
                    icon_button_widget(ICON_OPEN_IN_NEW, "Open selected run"),
                )
                .clicked()
            {
                actions.push(Action::OpenRun(self.selected[0].clone()));
            }
            let one = self.single(state);
            let active = one.is_some_and(|r| r.state.is_active());
            if ui
                .add_enabled(active, icon_button_widget(ICON_STOP, "Cancel run"))
                .clicked()
            {
                if let Some(r) = one {
                    actions.push(Action::CancelRun(r.id.clone()));
                }
            }
            let deletable = self.deletable(state);
            let delete_label = match self.selected.len() {
                0 | 1 => "Delete run…".to_string(),
                n => format!("Delete {n} runs…"),
            };
            if ui
                .add_enabled(
                    !deletable.is_empty(),
                    icon_button_widget(ICON_DELETE, &delete_label),
                )
                .on_disabled_hover_text("Select finished runs to delete them")
                .clicked()
            {
                self.confirm_delete = deletable;
            }
            if ui
                .add_enabled(one.is_some(), icon_button_widget(ICON_REPLAY, "Re-run"))
                .clicked()
            {
                if let Some(r) = one {
                    actions.push(Action::Rerun(Box::new(r.clone())));
                }
            }
            if ui
                .add_enabled(
                    one.is_some_and(|r| r.state.is_finished()),
                    icon_button_widget(ICON_IOS_SHARE, "Export…"),
                )
                .clicked()
            {
                if let Some(r) = one {
                    actions.push(Action::OpenDialog(DialogPurpose::ExportRun(r.id.clone())));
                }
            }
            if ui
                .add_enabled(
                    self.selected.len() == 2,
                    icon_button_widget(ICON_COMPARE_ARROWS, "Compare"),
                )
                .on_hover_text("Select two runs (Ctrl-click the second) to compare them")
                .clicked()
            {
                self.comparing = true;
            }
            if state.is_loading(Loading::Runs) {
                crate::gui::widgets::spinner::spinner(ui);
            }
        });
    }

    fn filters_ui(&mut self, ui: &mut egui::Ui, state: &AppState) {
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
                for s in state.detail.iter().flat_map(|d| &d.submissions) {
                    ui.selectable_value(&mut self.submission_filter, Some(s.name.clone()), &s.name);
                }
            })
            .response
            .labelled_by(label.id);
    }

    fn table_ui(
        &mut self,
        ui: &mut egui::Ui,
        state: &AppState,
        columns: &[ResultColumn],
        actions: &mut Vec<Action>,
    ) {
        let order = self.visible_rows(state).to_vec();
        let rows = &state.runs;
        let mut clicked: Option<(String, Click)> = None;
        let mut menu_for: Option<String> = None;
        let mut choice: Option<MenuChoice> = None;
        let mut opened: Option<String> = None;
        let mut sort_by: Option<String> = None;
        let shown = self.shown_columns(state, columns);
        let headers: Vec<(&str, &str)> = shown
            .iter()
            .map(|c| (c.key(columns), c.label(columns)))
            .collect();
        // Wider than the window (many result columns, or at 1024 px): the table
        // scrolls sideways rather than cutting columns off.
        egui::ScrollArea::horizontal()
            .id_salt("runs_table_scroll")
            .show(ui, |ui| {
                // Widths are kept per set of shown columns, so hiding one does not hand
                // its width to its neighbour.
                let widths: Vec<f32> = headers
                    .iter()
                    .map(|(_, label)| header_width(ui, label))
                    .collect();
                let mut table = TableBuilder::new(ui)
                    .id_salt(("runs_table", &headers))
                    .striped(true)
                    .resizable(true)
                    .sense(egui::Sense::click())
                    .cell_layout(egui::Layout::left_to_right(egui::Align::Center));
                for (column, width) in shown.iter().zip(&widths) {
                    table = table.column(column.sizing(*width));
                }
                table = table.column(Column::remainder());
                table
                    .header(24.0, |mut header| {
                        for (key, label) in &headers {
                            header.col(|ui| {
                                if *key == "run" || *key == "progress" {
                                    ui.strong(*label);
                                    return;
                                }
                                let arrow = match (self.sort.column == *key, self.sort.descending) {
                                    (true, true) => " (desc)",
                                    (true, false) => " (asc)",
                                    _ => "",
                                };
                                if ui.button(format!("{label}{arrow}")).clicked() {
                                    sort_by = Some(key.to_string());
                                }
                            });
                        }
                        header.col(|_| {});
                    })
                    .body(|body| {
                        body.rows(ROW_HEIGHT, order.len(), |mut row| {
                            let r = &rows[order[row.index()]];
                            row.set_selected(self.selected.contains(&r.id));
                            row_cells(&mut row, r, &shown, &self.decimals);
                            let response = row.response();
                            if response.double_clicked() {
                                opened = Some(r.id.clone());
                            } else if response.clicked() {
                                let modifiers = response.ctx.input(|i| i.modifiers);
                                let click = if modifiers.shift {
                                    Click::Extend
                                } else if modifiers.command {
                                    Click::Toggle
                                } else {
                                    Click::Select
                                };
                                clicked = Some((r.id.clone(), click));
                            }
                            if response.secondary_clicked() {
                                menu_for = Some(r.id.clone());
                            }
                            response.context_menu(|ui| {
                                if let Some(chosen) = row_menu(ui, r, &self.selected, rows, &order)
                                {
                                    choice = Some(chosen);
                                    ui.close();
                                }
                            });
                        });
                    });
            });
        // A right-click on a row outside the selection acts on that row alone.
        if let Some(id) = menu_for {
            if !self.selected.contains(&id) {
                self.click(id, Click::Select, &order, rows);
            }
        }
        match choice {
            Some(MenuChoice::Open(id)) => actions.push(Action::OpenRun(id)),
            Some(MenuChoice::Rerun(id)) => {
                if let Some(r) = rows.iter().find(|r| r.id == id) {
                    actions.push(Action::Rerun(Box::new(r.clone())));
                }
            }
            Some(MenuChoice::Compare(a, b)) => {
                self.selected = vec![a, b];
                self.comparing = true;
            }
            Some(MenuChoice::Export(id)) => {
                actions.push(Action::OpenDialog(DialogPurpose::ExportRun(id)))
            }
            Some(MenuChoice::Delete(ids)) => self.confirm_delete = ids,
            None => {}
        }
        if !self.selected.is_empty()
            && self.confirm_delete.is_empty()
            && ui.input(|i| i.key_pressed(egui::Key::Delete))
        {
            self.confirm_delete = self.deletable(state);
        }
        if let Some(key) = sort_by {
            if self.sort.column == key {
                self.sort.descending = !self.sort.descending;
            } else {
                self.sort = RunsSort {
                    column: key,
                    descending: true,
                };
            }
        }
        if let Some((id, click)) = clicked {
            self.click(id, click, &order, rows);
        }
        if let Some(id) = opened {
            actions.push(Action::OpenRun(id));
        }
        // Open the single selected run with Enter.
        if self.selected.len() == 1 && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            actions.push(Action::OpenRun(self.selected[0].clone()));
        }
    }

    /// Change the selection as desktop tables do; `order` is the visible rows.
    fn click(&mut self, id: String, click: Click, order: &[usize], rows: &[RunRow]) {
        let position = |run: &str| order.iter().position(|&i| rows[i].id == run);
        match click {
            Click::Select => {
                self.selected = vec![id.clone()];
                self.anchor = Some(id);
            }
            Click::Toggle => {
                match self.selected.iter().position(|s| s == &id) {
                    Some(at) => {
                        self.selected.remove(at);
                    }
                    None => self.selected.push(id.clone()),
                }
                self.anchor = Some(id);
            }
            Click::Extend => {
                let from = self.anchor.as_deref().and_then(position);
                match (from, position(&id)) {
                    (Some(from), Some(to)) => {
                        let (low, high) = (from.min(to), from.max(to));
                        self.selected = order[low..=high]
                            .iter()
                            .map(|&i| rows[i].id.clone())
                            .collect();
                    }
                    _ => {
                        self.selected = vec![id.clone()];
                        self.anchor = Some(id);
                    }
                }
            }
        }
    }

    /// The selected runs that can be deleted (none of them still active).
    fn deletable(&self, state: &AppState) -> Vec<String> {
        let runs: Vec<&RunRow> = self
            .selected
            .iter()
            .filter_map(|id| state.runs.iter().find(|r| &r.id == id))
            .collect();
        if runs.is_empty() || runs.iter().any(|r| r.state.is_active()) {
            return Vec::new();
        }
        runs.iter().map(|r| r.id.clone()).collect()
    }

    /// The comparison window for two selected runs (Esc closes it).
    pub fn compare_window(&mut self, ctx: &egui::Context, state: &AppState) {
        if !self.comparing || self.selected.len() != 2 {
            self.comparing = false;
            return;
        }
        let a = state.runs.iter().find(|r| r.id == self.selected[0]);
        let b = state.runs.iter().find(|r| r.id == self.selected[1]);
        let (Some(a), Some(b)) = (a, b) else {
            self.comparing = false;
            return;
        };
        if ctx.input(|i| i.key_pressed(egui::Key::Escape)) {
            self.comparing = false;
            return;
        }
        let board = state
            .leaderboard
            .as_ref()
            .filter(|board| board.benchmark_id == a.benchmark_id);
        let key = (
            board
                .map(|b| Arc::as_ptr(b) as *const () as usize)
                .unwrap_or(0),
            self.selected.clone(),
        );
        if self.compare_sets.as_ref().map(|c| &c.key) != Some(&key) {
            let sets = [
                board.and_then(|board| run_set_of(board, &a.id)),
                board.and_then(|board| run_set_of(board, &b.id)),
            ];
            let columns = board
                .map(|b| b.columns.iter().map(|c| c.name.clone()).collect())
                .unwrap_or_default();
            self.compare_sets = Some(CompareSets { key, sets, columns });
        }
        let sets = self.compare_sets.as_ref();
        let parameters = state
            .detail
            .as_ref()
            .filter(|d| d.benchmark.id == a.benchmark_id)
            .map(|d| &d.parameters[..])
            .unwrap_or_default();
        let mut open = true;
        egui::Window::new("Compare runs")
            .open(&mut open)
            .default_width(560.0)
            .show(ctx, |ui| {
                compare_ui(ui, a, b, parameters, sets);
                ui.label(egui::RichText::new("Differences are highlighted.").weak());
            });
        if !open {
            self.comparing = false;
        }
    }
}

/// The context menu of row `r`: it acts on the selection when `r` is in it.
fn row_menu(
    ui: &mut egui::Ui,
    r: &RunRow,
    selected: &[String],
    rows: &[RunRow],
    order: &[usize],
) -> Option<MenuChoice> {
    let targets: Vec<&RunRow> = if selected.contains(&r.id) {
        selected
            .iter()
            .filter_map(|id| rows.iter().find(|row| &row.id == id))
            .collect()
    } else {
        vec![r]
    };
    let mut choice = None;
    if ui.button("Open").clicked() {
        choice = Some(MenuChoice::Open(r.id.clone()));
    }
    if ui
        .add_enabled(targets.len() == 1, egui::Button::new("Re-run"))
        .clicked()
    {
        choice = Some(MenuChoice::Rerun(r.id.clone()));
    }
    if let [a, b] = targets.as_slice() {
        if ui.button("Compare").clicked() {
            choice = Some(MenuChoice::Compare(a.id.clone(), b.id.clone()));
        }
    }
    ui.menu_button("Compare with…", |ui| {
        egui::ScrollArea::vertical()
            .max_height(320.0)
            .show(ui, |ui| {
                for other in order.iter().map(|&i| &rows[i]).filter(|o| o.id != r.id) {
                    let text = format!(
                        "{} · {} · {}",
                        other.id,
                        other.submission,
                        other.state.as_str()
                    );
                    if ui.button(text).clicked() {
                        choice = Some(MenuChoice::Compare(r.id.clone(), other.id.clone()));
                    }
                }
            });
    });
    if ui
        .add_enabled(
            targets.len() == 1 && r.state.is_finished(),
            egui::Button::new("Export…"),
        )
        .clicked()
    {
        choice = Some(MenuChoice::Export(r.id.clone()));
    }
    let deletable = !targets.iter().any(|t| t.state.is_active());
    let label = match targets.len() {
        1 => "Delete…".to_string(),
        n => format!("Delete {n} runs…"),
    };
    if ui
        .add_enabled(deletable, egui::Button::new(label))
        .clicked()
    {
        choice = Some(MenuChoice::Delete(
            targets.iter().map(|t| t.id.clone()).collect(),
        ));
    }
    choice
}

fn row_cells(
    row: &mut egui_extras::TableRow<'_, '_>,
    r: &RunRow,
    shown: &[RunsColumn],
    decimals: &[Option<usize>],
) {
    let cell = |row: &mut egui_extras::TableRow<'_, '_>, text: String| {
        row.col(|ui| {
            ui.add(egui::Label::new(text).selectable(false));
        });
    };
    for column in shown {
        match *column {
            RunsColumn::State => {
                row.col(|ui| {
                    state_badge(ui, r.state);
                });
            }
            RunsColumn::Run => {
                row.col(|ui| {
                    ui.add(
                        egui::Label::new(egui::RichText::new(&r.id).monospace()).selectable(false),
                    );
                });
            }
            RunsColumn::Submission => cell(row, r.submission.clone()),
            RunsColumn::Created => cell(row, time_text(&r.created_at)),
            RunsColumn::Duration => number_cell(
                row,
                r.duration()
                    .map(|d| optional_duration(Some(d)))
                    .unwrap_or_default(),
            ),
            RunsColumn::Progress => cell(row, progress_text(r)),
            RunsColumn::Value(i) => {
                let value = r.values.get(i).and_then(Option::as_ref);
                match decimals.get(i).copied().flatten() {
                    Some(decimals) => number_cell(row, value_text_in_column(value, decimals)),
                    None => cell(row, value_text(value)),
                }
            }
        }
    }
    row.col(|_| {});
}

fn progress_text(r: &RunRow) -> String {
    match (&r.progress, r.state) {
        (Some(p), RunState::Running) => format!(
            "step {} of {} · {}",
            p.step_index + 1,
            p.step_count,
            p.step_name
        ),
        (_, RunState::Pending) => match r.queue_position {
            // Its place among the runs of every process waiting for a slot.
            Some(position) => format!("queued · {} in line", ordinal(position)),
            None => "queued".into(),
        },
        _ => String::new(),
    }
}

/// The run-set line of the leaderboard that holds `run`.
fn run_set_of(board: &LeaderboardView, run: &str) -> Option<RunSetLine> {
    board
        .rows()
        .filter_map(|row| row.run_set)
        .find(|set| set.runs.iter().any(|r| r == run))
}

/// A run's value of column `index`, followed by its run set's spread (found by
/// column name: the leaderboard's columns need not be the runs table's).
fn value_with_spread(
    run: &RunRow,
    set: Option<&RunSetLine>,
    columns: &[String],
    index: usize,
) -> String {
    let value = value_text(run.values.get(index).and_then(Option::as_ref));
    let spread = set.and_then(|set| {
        let name = &run.columns.get(index)?.name;
        let position = columns.iter().position(|c| c == name)?;
        set.spreads.get(position).copied().flatten()
    });
    match spread {
        Some(spread) => format!("{value} · set {}", spread.text()),
        None => value,
    }
}

/// Two runs side by side; arguments by their labels in form order (the name
/// on hover), then any the benchmark no longer declares, by name.
fn compare_ui(
    ui: &mut egui::Ui,
    a: &RunRow,
    b: &RunRow,
    parameters: &[Parameter],
    sets: Option<&CompareSets>,
) {
    let highlight = ui.visuals().warn_fg_color;
    egui::Grid::new("compare")
        .striped(true)
        .num_columns(3)
        .show(ui, |ui| {
            ui.strong("");
            ui.strong(format!("Run {}", a.id));
            ui.strong(format!("Run {}", b.id));
            ui.end_row();
            // A line of two values, highlighted where they differ; the row's
            // name returned so a caller can add a hover text.
            let line = |ui: &mut egui::Ui, name: &str, x: String, y: String| {
                let label = ui.label(name);
                if x != y {
                    ui.colored_label(highlight, &x);
                    ui.colored_label(highlight, &y);
                } else {
                    ui.label(&x);
                    ui.label(&y);
                }
                ui.end_row();
                label
            };
            line(
                ui,
                "State",
                a.state.as_str().into(),
                b.state.as_str().into(),
            );
            line(ui, "Submission", a.submission.clone(), b.submission.clone());
            line(
                ui,
                "Duration",
                optional_duration(a.duration()),
                optional_duration(b.duration()),
            );
            let names = a.arguments.keys().chain(b.arguments.keys());
            for (name, label) in argument_labels(names.map(String::as_str), parameters) {
                line(
                    ui,
                    label,
                    a.arguments.get(name).map(argument_text).unwrap_or_default(),
                    b.arguments.get(name).map(argument_text).unwrap_or_default(),
                )
                .on_hover_text(name);
            }
            let (set_a, set_b) = match sets {
                Some(c) => (c.sets[0].as_ref(), c.sets[1].as_ref()),
                None => (None, None),
            };
            let columns = sets.map(|c| c.columns.as_slice()).unwrap_or_default();
            for (i, column) in a.columns.iter().enumerate() {
                line(
                    ui,
                    &column.label,
                    value_with_spread(a, set_a, columns, i),
                    value_with_spread(b, set_b, columns, i),
                );
            }
            if set_a.is_some() || set_b.is_some() {
                let size = |set: Option<&RunSetLine>| {
                    set.map(|s| format!("{} runs", s.runs.len()))
                        .unwrap_or_else(|| "—".into())
                };
                line(ui, "Run set", size(set_a), size(set_b));
            }
        });
}

fn compare_values(a: Option<&ResultValue>, b: Option<&ResultValue>) -> Ordering {
    use ResultValue::*;
    match (a, b) {
        (Some(Int(x)), Some(Int(y))) => x.cmp(y),
        (Some(Float(x)), Some(Float(y))) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Some(Int(x)), Some(Float(y))) => (*x as f64).partial_cmp(y).unwrap_or(Ordering::Equal),
        (Some(Float(x)), Some(Int(y))) => x.partial_cmp(&(*y as f64)).unwrap_or(Ordering::Equal),
        (Some(String(x)), Some(String(y))) => x.cmp(y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        _ => Ordering::Equal,
    }
}
