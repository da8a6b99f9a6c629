//! The Run detail tab: arguments, state timeline, error messages in full, the live
//! log (follows the tail while the run is active), result values and output files
//! with viewers, the run's provenance, and its bundle and reproduction: export a
//! portable bundle, run it again and see whether it reproduced. A backend that
//! keeps no logs (a server) shows the run's messages and files only.

use super::dialogs::DialogPurpose;
use super::state::{Action, AppState, Loading, Screen, ServerAction};
use super::widgets::buttons::{
    icon_button, icon_button_widget, ICON_FACT_CHECK, ICON_FOLDER_OPEN, ICON_IOS_SHARE,
    ICON_PACKAGE_2, ICON_REPLAY, ICON_STOP,
};
use super::widgets::file_view::FileView;
use super::widgets::log_view::LogView;
use super::widgets::provenance::provenance_ui;
use super::widgets::repro_badge::outcome_badge;
use super::widgets::state_badge::state_badge;
use crate::client::format::{argument_labels, argument_text, optional_duration, value_text};
use crate::client::{Operation, Reproduction, RunDetail, RunFileView};
use crate::model::RunState;
use crate::template::spec::display_value;

/// The file shown instead of the log.
struct OpenFile {
    id: String,
    name: String,
    /// `None` until the file is readable here.
    view: Option<FileView>,
}

#[derive(Default)]
pub struct RunDetailScreen {
    run_id: Option<String>,
    log: Option<LogView>,
    /// The log signal last passed to the log view.
    log_signal: u64,
    file: Option<OpenFile>,
    /// What the user typed as the tolerance of the next reproduction.
    tolerance: String,
}

impl Screen for RunDetailScreen {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>) {
        let Some(detail) = state.run_detail.clone() else {
            ui.label("Open a run from the Runs tab.");
            return;
        };
        self.sync(&detail, state);
        if ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::F)) {
            if let Some(log) = &mut self.log {
                log.focus_search();
            }
        }
        header_ui(ui, state, &detail);
        actions_ui(ui, state, &detail, &mut self.tolerance, actions);
        reproduction_ui(ui, state, &detail);
        ui.separator();
        // Bounded: wide contents (provenance) must not push the log aside. The
        // user may drag it between 200 px and 45 % of the tab's width.
        let widest = (ui.available_width() * 0.45).max(200.0);
        egui::Panel::right("run_side")
            .resizable(true)
            .default_size(340.0_f32.min(widest))
            .size_range(200.0..=widest)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .show(ui, |ui| self.side_ui(ui, state, &detail, actions));
            });
        egui::CentralPanel::default().show(ui, |ui| self.content_ui(ui, &detail, actions));
    }
}

impl RunDetailScreen {
    /// Follow the state: another run (a fresh log view), the run starting or
    /// ending (follow the tail or not), its log growing, a fetched file.
    fn sync(&mut self, detail: &RunDetail, state: &AppState) {
        let run = &detail.run;
        if self.run_id.as_ref() != Some(&run.id) {
            self.run_id = Some(run.id.clone());
            self.log = detail.log.clone().map(LogView::new);
            self.log_signal = state.log_signal(&run.id);
            self.file = None;
        }
        if let Some(log) = &mut self.log {
            if log.is_live() != run.state.is_active() {
                log.set_following(run.state.is_active());
            }
            let signal = state.log_signal(&run.id);
            if signal != self.log_signal {
                self.log_signal = signal;
                log.notify_appended();
            }
        }
        if let Some(file) = &mut self.file {
            if file.view.is_none() {
                if let Some(path) = state.fetched.get(&(run.id.clone(), file.id.clone())) {
                    file.view = Some(FileView::new(path.clone(), None));
                }
            }
        }
    }

    fn side_ui(
        &mut self,
        ui: &mut egui::Ui,
        state: &AppState,
        detail: &RunDetail,
        actions: &mut Vec<Action>,
    ) {
        let run = &detail.run;
        ui.strong("Timeline");
        timeline_ui(ui, detail);
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
                // By their labels, as the form shows them; the name on hover.
                let parameters = state
                    .detail
                    .as_ref()
                    .map(|d| &d.parameters[..])
                    .unwrap_or_default();
                let names = run.arguments.keys().map(String::as_str);
                for (name, label) in argument_labels(names, parameters) {
                    let Some(value) = run.arguments.get(name) else {
                        continue;
                    };
                    ui.label(label).on_hover_text(name);
                    ui.add(egui::Label::new(argument_text(value)).wrap())
                        .on_hover_text(display_value(value));
                    ui.end_row();
                }
            });
        if run.has_results() {
            ui.add_space(6.0);
            ui.strong("Results");
            egui::Grid::new("results")
                .striped(true)
                .num_columns(2)
                .show(ui, |ui| {
                    for (column, value) in run.results() {
                        ui.label(&column.label).on_hover_text(&column.name);
                        ui.label(value_text(value));
                        ui.end_row();
                    }
                });
        }
        ui.add_space(6.0);
        ui.strong(format!("Output files ({})", detail.files.len()));
        for file in &detail.files {
            self.file_entry_ui(ui, &run.id, file, actions);
        }
        if let Some(provenance) = state
            .records_of(&run.id)
            .and_then(|r| r.provenance.as_deref())
        {
            ui.add_space(6.0);
            provenance_ui(ui, provenance);
        }
    }

    fn file_entry_ui(
        &mut self,
        ui: &mut egui::Ui,
        run_id: &str,
        file: &RunFileView,
        actions: &mut Vec<Action>,
    ) {
        let selected = self.file.as_ref().is_some_and(|f| f.id == file.id);
        // A server does not say how large its files are.
        let label = if file.local_path.is_none() && file.sha256.is_none() && file.size == 0 {
            file.name.clone()
        } else {
            format!("{} ({} bytes)", file.name, file.size)
        };
        if !ui.selectable_label(selected, label).clicked() {
            return;
        }
        let view = file
            .local_path
            .clone()
            .map(|path| FileView::new(path, None));
        if view.is_none() {
            actions.push(Action::FetchRunFile {
                run: run_id.to_string(),
                file: file.id.clone(),
            });
        }
        self.file = Some(OpenFile {
            id: file.id.clone(),
            name: file.name.clone(),
            view,
        });
    }

    fn content_ui(&mut self, ui: &mut egui::Ui, detail: &RunDetail, actions: &mut Vec<Action>) {
        let mut back = false;
        if let Some(file) = &mut self.file {
            ui.horizontal(|ui| {
                ui.strong(file.name.as_str());
                if ui.button("Back to log").clicked() {
                    back = true;
                }
            });
            match &mut file.view {
                Some(view) => {
                    view.ui(ui);
                    if let Some(path) = view.take_open_request() {
                        actions.push(Action::OpenPath(path));
                    }
                }
                None => {
                    crate::gui::widgets::spinner::spinner(ui);
                }
            }
        } else if let Some(log) = &mut self.log {
            log.ui(ui);
        } else if detail.log.is_none() {
            ui.label("This backend keeps no log of its runs; see the messages and files.");
        }
        if back {
            self.file = None;
        }
    }
}

fn header_ui(ui: &mut egui::Ui, state: &AppState, detail: &RunDetail) {
    let run = &detail.run;
    // Wrapped: with its queue place the header is wider than a narrow window.
    ui.horizontal_wrapped(|ui| {
        ui.heading(format!("Run {}", run.id));
        state_badge(ui, run.state);
        if let Some(position) = run.queue_position {
            ui.label(format!(
                "{} in the queue of runs waiting for a slot",
                crate::client::format::ordinal(position)
            ));
        }
        ui.label(format!("submission {}", run.submission));
        if state.is_loading(Loading::Run) {
            crate::gui::widgets::spinner::spinner(ui);
        }
    });
}

fn actions_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    detail: &RunDetail,
    tolerance: &mut String,
    actions: &mut Vec<Action>,
) {
    let run = &detail.run;
    ui.horizontal_wrapped(|ui| {
        if run.state.is_active() && icon_button(ui, ICON_STOP, "Cancel run").clicked() {
            actions.push(Action::CancelRun(run.id.clone()));
        }
        if icon_button(ui, ICON_REPLAY, "Re-run").clicked() {
            actions.push(Action::Rerun(Box::new(run.clone())));
        }
        if run.state.is_finished() && icon_button(ui, ICON_IOS_SHARE, "Export…").clicked() {
            actions.push(Action::OpenDialog(DialogPurpose::ExportRun(run.id.clone())));
        }
        if run.state == RunState::Success
            && state.supports(Operation::Bundles)
            && icon_button(ui, ICON_PACKAGE_2, "Export bundle…")
                .on_hover_text(
                    "Write a portable bundle of this run (provenance, inputs, outputs) that another computer can import and reproduce",
                )
                .clicked()
        {
            actions.push(Action::OpenDialog(DialogPurpose::ExportBundle(
                run.id.clone(),
            )));
        }
        if run.state == RunState::Success && state.supports(Operation::Reproduce) {
            let busy = state.reproduction_of(&run.id).is_some();
            let typed = tolerance.trim().to_string();
            let invalid = (!typed.is_empty())
                .then(|| crate::client::check_tolerance(&typed).err())
                .flatten();
            if ui
                .add_enabled(
                    !busy && invalid.is_none(),
                    icon_button_widget(ICON_FACT_CHECK, "Reproduce"),
                )
                .on_hover_text(
                    "Run it again with the same arguments and input files, and compare the outputs",
                )
                .clicked()
            {
                actions.push(Action::Reproduce {
                    run: run.id.clone(),
                    tolerance: (!typed.is_empty()).then_some(typed),
                });
            }
            let label = ui.label("within");
            ui.add(
                egui::TextEdit::singleline(tolerance)
                    .hint_text("exact")
                    .desired_width(64.0),
            )
            .labelled_by(label.id)
            .on_hover_text(
                "How far a reproduced result value may be from this run's: an amount (0.01) or a percentage (1%). Empty: the benchmark's reproduce_tolerance setting, else exact.",
            );
            if let Some(problem) = invalid {
                ui.colored_label(ui.visuals().error_fg_color, problem);
            }
        }
        if let Some(folder) = &detail.folder {
            if state.supports(Operation::RunFolder)
                && icon_button(ui, ICON_FOLDER_OPEN, "Show run folder").clicked()
            {
                actions.push(Action::OpenPath(folder.clone()));
            }
        }
        // Try here, submit there.
        if state.backend.is_none()
            && run.state == crate::model::RunState::Success
            && state.servers.iter().any(|s| s.signed_in())
            && ui
                .button("Submit to server…")
                .on_hover_text(
                    "Start the same run (arguments and input files) in a submission on a server",
                )
                .clicked()
        {
            actions.push(Action::Server(ServerAction::OpenSubmit(run.id.clone())));
        }
    });
}

fn timeline_ui(ui: &mut egui::Ui, detail: &RunDetail) {
    let run = &detail.run;
    let clock = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%H:%M:%S%.3f").to_string())
            .unwrap_or_else(|| crate::client::format::NO_VALUE.into())
    };
    egui::Grid::new("timeline").num_columns(2).show(ui, |ui| {
        ui.label("Created");
        ui.label(run.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string());
        ui.end_row();
        ui.label("Started");
        ui.label(clock(run.started_at));
        ui.end_row();
        ui.label("Finished");
        ui.label(clock(run.finished_at));
        ui.end_row();
        ui.label("Duration");
        ui.label(optional_duration(run.duration()));
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
}

/// How reproducing the run goes: the run doing it, or the latest outcome —
/// reproduced, reproduced within tolerance (with the largest deviation), or
/// differs, with the files and values that do.
fn reproduction_ui(ui: &mut egui::Ui, state: &AppState, detail: &RunDetail) {
    let run = &detail.run;
    if let Some(again) = state.reproduction_of(&run.id) {
        ui.horizontal(|ui| {
            crate::gui::widgets::spinner::spinner(ui);
            ui.label(format!("Reproducing as run {again}…"));
        });
        return;
    }
    let latest: Option<&Reproduction> = state
        .records_of(&run.id)
        .and_then(|r| r.reproductions.iter().rev().find(|r| r.outcome.is_some()));
    let Some(reproduction) = latest else {
        return;
    };
    let Some(outcome) = reproduction.outcome else {
        return;
    };
    ui.horizontal_wrapped(|ui| {
        ui.label("Reproduction");
        outcome_badge(ui, outcome);
        if let Some(by) = &reproduction.reproduction_id {
            ui.label(format!("by run {by}"));
        }
        if outcome != crate::client::ReproductionOutcome::Reproduced {
            if let Some(deviation) = reproduction.max_deviation {
                ui.label(format!("largest deviation {deviation}"));
            }
        }
    });
    for difference in &reproduction.differences {
        ui.add(egui::Label::new(format!("• {}", difference.text())).wrap());
    }
}
