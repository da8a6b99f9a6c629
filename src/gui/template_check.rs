//! The Template check screen, the coordinator's workbench: open a template
//! folder (or an archive of one) without installing it and see its errors
//! (with file and element) and lint warnings, the form exactly as participants
//! will see it, a try run of it with those values (live log, result values,
//! the schema check of the result file it wrote, the post-processing outputs),
//! the schema check of any result file, "Pack for participants", and
//! "Install" into this computer's benchmarks once it is ready. The
//! instructions show as participants will read them (Markdown), the outputs
//! as they will be offered to view, and the workflow expanded with the form's
//! values, following the form a moment after the last edit. Every save
//! re-checks, re-renders the form and expansion and marks the try run stale.

use super::dialogs::DialogPurpose;
use super::state::{Action, AppState, FormRequest, Loading, Screen, TryView, WorkbenchAction};
use super::widgets::buttons::{
    icon_button_widget, primary_button_widget, ICON_INSTALL_DESKTOP, ICON_PLAY_ARROW,
};
use super::widgets::markdown::Markdown;
use super::widgets::parameter_form::{self, Field};
use super::widgets::parameter_table::parameter_table;
use super::widgets::preview::preview_ui;
use super::widgets::state_badge::state_badge;
use crate::client::format::{size_text, value_text};
use crate::client::view::{PackedTemplate, ResultCheck};
use crate::client::{InstallSource, Operation, TemplateReport};
use crate::template::{OutputFile, Parameter};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long the form must stay unchanged before the workflow is expanded
/// again: typing a value expands once, not once per key (as New run's preview).
const EXPAND_DEBOUNCE: Duration = Duration::from_millis(300);

/// The most height the instructions take before they scroll.
const INSTRUCTIONS_HEIGHT: f32 = 240.0;

/// What an expansion was asked for: the folder, the form's arguments and the
/// check it followed (a save re-checks, and the template may expand anew).
type ExpandKey = (PathBuf, Map<String, Value>, chrono::DateTime<chrono::Local>);

#[derive(Default)]
pub struct TemplateCheckScreen {
    path_text: String,
    /// The folder whose path is in the text field.
    shown: Option<PathBuf>,
    /// The form: for which folder and parameter declarations, and its fields.
    form_for: Option<(PathBuf, Vec<Parameter>)>,
    fields: Vec<(String, Field)>,
    result_text: String,
    pack_text: String,
    /// The instructions' renderer, and the folder its relative images are
    /// resolved against (a new folder starts it afresh).
    instructions: Markdown,
    instructions_for: Option<PathBuf>,
    /// The expansion last asked for.
    expanded_for: Option<ExpandKey>,
    /// The form as last seen, and since when, while it differs from
    /// `expanded_for`.
    expand_edited: Option<(ExpandKey, Instant)>,
    /// The last form request applied.
    seen: u64,
}

impl Screen for TemplateCheckScreen {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>) {
        if state.watching != self.shown {
            self.shown = state.watching.clone();
            if let Some(path) = &self.shown {
                self.path_text = path.display().to_string();
                self.pack_text = default_archive(path).display().to_string();
                self.result_text.clear();
            }
        }
        self.take_requests(state);
        ui.heading("Template check");
        ui.label("Open a template folder you are writing, or a .zip / .tar.gz archive of one: flowdesk shows the form participants will see and any error, tries it without installing it, and checks again whenever you save a file.");
        self.folder_ui(ui, actions);
        let Some(check) = &state.template_check else {
            return;
        };
        ui.label(
            egui::RichText::new(format!(
                "{} · checked at {} (watching for changes)",
                check.path.display(),
                check.checked_at.format("%H:%M:%S")
            ))
            .weak(),
        );
        ui.separator();
        match &check.result {
            Err(error) => error_ui(ui, error),
            Ok(report) => {
                let path = check.path.clone();
                self.sync_form(&path, report, state);
                egui::ScrollArea::vertical()
                    .auto_shrink(false)
                    .show(ui, |ui| self.report_ui(ui, &path, report, state, actions));
            }
        }
    }
}

/// Each invalid field of the form, as "Label: why".
fn form_problems(report: &TemplateReport, fields: &[(String, Field)]) -> Vec<String> {
    fields
        .iter()
        .filter_map(|(name, field)| {
            let parameter = report.parameters.iter().find(|p| &p.name == name)?;
            let error = field.error(parameter)?;
            Some(format!("{}: {error}", parameter.label))
        })
        .collect()
}

/// Where "Pack for participants" writes by default: next to the folder.
fn default_archive(folder: &Path) -> PathBuf {
    let name = folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "benchmark".into());
    folder
        .parent()
        .unwrap_or(folder)
        .join(format!("{name}.tar.gz"))
}

impl TemplateCheckScreen {
    fn take_requests(&mut self, state: &AppState) {
        let requests: Vec<(u64, FormRequest)> = state
            .form
            .since(self.seen)
            .map(|(n, r)| (n, r.clone()))
            .collect();
        for (n, request) in requests {
            self.seen = n;
            match request {
                FormRequest::TryFile { parameter, path } => {
                    if let Some((_, Field::File { path: p, .. })) =
                        self.fields.iter_mut().find(|(n, _)| n == &parameter)
                    {
                        *p = path.to_string_lossy().into_owned();
                    }
                }
                FormRequest::ResultFile(path) => {
                    self.result_text = path.to_string_lossy().into_owned()
                }
                FormRequest::PackArchive(path) => {
                    self.pack_text = path.to_string_lossy().into_owned()
                }
                _ => {}
            }
        }
    }

    /// A new folder or new declarations: the form keeps what was typed for
    /// parameters that are still there, else starts from the values last
    /// tried with this folder, else from the declared defaults.
    fn sync_form(&mut self, path: &Path, report: &TemplateReport, state: &AppState) {
        let same = self
            .form_for
            .as_ref()
            .is_some_and(|(p, params)| p == path && params == &report.parameters);
        if same {
            return;
        }
        let values = match &self.form_for {
            Some((p, params)) if p == path => parameter_form::arguments(params, &self.fields),
            _ => state
                .persisted
                .workbench_values
                .get(path)
                .cloned()
                .unwrap_or_default(),
        };
        self.fields = parameter_form::fields_with(&report.parameters, &values);
        self.form_for = Some((path.to_path_buf(), report.parameters.clone()));
    }

    fn folder_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        ui.horizontal(|ui| {
            let label = ui.label("Folder");
            let response = ui
                .add(egui::TextEdit::singleline(&mut self.path_text).desired_width(420.0))
                .labelled_by(label.id);
            let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button("Check").clicked() || enter) && !self.path_text.trim().is_empty() {
                actions.push(Action::CheckTemplate(PathBuf::from(self.path_text.trim())));
            }
            if ui.button("Choose folder…").clicked() {
                actions.push(Action::OpenDialog(DialogPurpose::TemplateFolder));
            }
        });
    }

    fn report_ui(
        &mut self,
        ui: &mut egui::Ui,
        path: &Path,
        report: &TemplateReport,
        state: &AppState,
        actions: &mut Vec<Action>,
    ) {
        ui.colored_label(
            egui::Color32::from_rgb(0x2e, 0x7d, 0x32),
            format!("'{}' is valid ({})", report.name, report.spec_file),
        );
        // What flowServ accepts but is probably a mistake.
        for warning in &report.warnings {
            ui.colored_label(ui.visuals().warn_fg_color, format!("Warning: {warning}"));
        }
        for lint in &report.lints {
            ui.colored_label(ui.visuals().warn_fg_color, format!("Warning: {lint}"));
        }
        self.instructions_ui(ui, path, report);
        ui.add_space(8.0);
        ui.strong("Form (as participants will see it)");
        let errors = parameter_form::form_ui(
            ui,
            "workbench_form",
            &report.parameters,
            &report.groups,
            &mut self.fields,
            &DialogPurpose::TryFileArgument,
            actions,
        );
        self.try_buttons_ui(ui, path, report, state, errors, actions);
        self.expanded_ui(ui, path, report, state, actions);
        egui::CollapsingHeader::new("Declarations")
            .id_salt("declarations")
            .default_open(true)
            .show(ui, |ui| {
                parameter_table(ui, "check_form", &report.parameters, true);
            });
        if let Some(view) = state
            .workbench
            .try_run
            .as_ref()
            .filter(|v| v.folder == path)
        {
            ui.separator();
            try_ui(ui, view);
        }
        if let Some(outputs) = &report.outputs {
            ui.separator();
            outputs_ui(ui, outputs);
        }
        if let Some(schema) = &report.results {
            ui.separator();
            ui.strong(format!("Result schema ({})", schema.file));
            for c in &schema.columns {
                ui.label(format!(
                    "{} — {} ({}){}",
                    c.name,
                    c.label,
                    c.dtype.name(),
                    if c.required { "" } else { ", optional" }
                ));
            }
            self.result_file_ui(ui, path, state, actions);
        }
        ui.separator();
        self.pack_ui(ui, path, state, actions);
    }

    /// The instructions as participants will read them, open by default: a
    /// coordinator writes them alongside the template and checks both.
    fn instructions_ui(&mut self, ui: &mut egui::Ui, path: &Path, report: &TemplateReport) {
        let Some(instructions) = &report.instructions else {
            return;
        };
        if self.instructions_for.as_deref() != Some(path) {
            self.instructions = Markdown::new().with_base_dir(path);
            self.instructions_for = Some(path.to_path_buf());
        }
        ui.add_space(8.0);
        egui::CollapsingHeader::new("Instructions")
            .id_salt("instructions")
            .default_open(true)
            .show(ui, |ui| {
                // Bounded, so the form stays in view below long instructions.
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .id_salt("instructions_scroll")
                        .max_height(INSTRUCTIONS_HEIGHT)
                        .auto_shrink([false, true])
                        .show(ui, |ui| self.instructions.ui(ui, instructions));
                });
            });
    }

    /// The steps and commands a run with the form's values would execute,
    /// or what in the form keeps it from expanding; never a command for
    /// other values than the form's.
    fn expanded_ui(
        &mut self,
        ui: &mut egui::Ui,
        path: &Path,
        report: &TemplateReport,
        state: &AppState,
        actions: &mut Vec<Action>,
    ) {
        let Some(checked_at) = state.template_check.as_ref().map(|c| c.checked_at) else {
            return;
        };
        egui::CollapsingHeader::new("Expanded workflow")
            .id_salt("expanded_workflow")
            .default_open(true)
            .show(ui, |ui| {
                let problems = form_problems(report, &self.fields);
                if !problems.is_empty() {
                    self.expand_edited = None;
                    ui.colored_label(
                        ui.visuals().error_fg_color,
                        "The form has errors, so there is no workflow to show:",
                    );
                    for problem in problems {
                        ui.colored_label(ui.visuals().error_fg_color, problem);
                    }
                    return;
                }
                let arguments = parameter_form::arguments(&report.parameters, &self.fields);
                let key = (path.to_path_buf(), arguments.clone(), checked_at);
                self.follow_form(ui.ctx(), key, actions);
                // Only an expansion of the values in the form, never of
                // earlier ones.
                let shown = state
                    .workbench
                    .expanded
                    .as_ref()
                    .filter(|e| e.folder == path && e.arguments == arguments);
                match shown {
                    None => {
                        ui.horizontal(|ui| {
                            crate::gui::widgets::spinner::spinner(ui);
                            ui.label(egui::RichText::new("expanding…").weak());
                        });
                    }
                    Some(expanded) => match &expanded.result {
                        Ok(preview) => preview_ui(ui, preview),
                        Err(error) => {
                            ui.colored_label(ui.visuals().error_fg_color, error);
                        }
                    },
                }
            });
    }

    /// Ask for the expansion of `key` once the form has stayed unchanged for
    /// [`EXPAND_DEBOUNCE`] (at once for a folder not expanded yet); until then
    /// one repaint is requested for the moment it is due, nothing repaints
    /// while waiting.
    fn follow_form(&mut self, ctx: &egui::Context, key: ExpandKey, actions: &mut Vec<Action>) {
        if self.expanded_for.as_ref() == Some(&key) {
            self.expand_edited = None;
            return;
        }
        let first = self
            .expanded_for
            .as_ref()
            .is_none_or(|(folder, _, _)| folder != &key.0);
        let since = match &self.expand_edited {
            Some((seen, since)) if *seen == key => *since,
            _ => {
                let now = Instant::now();
                self.expand_edited = Some((key.clone(), now));
                now
            }
        };
        let waited = since.elapsed();
        if first || waited >= EXPAND_DEBOUNCE {
            let (folder, arguments, _) = &key;
            actions.push(Action::Workbench(WorkbenchAction::Expand {
                folder: folder.clone(),
                arguments: arguments.clone(),
            }));
            self.expanded_for = Some(key);
            self.expand_edited = None;
        } else {
            ctx.request_repaint_after(EXPAND_DEBOUNCE - waited);
        }
    }

    fn try_buttons_ui(
        &mut self,
        ui: &mut egui::Ui,
        path: &Path,
        report: &TemplateReport,
        state: &AppState,
        errors: usize,
        actions: &mut Vec<Action>,
    ) {
        let running = state
            .workbench
            .try_run
            .as_ref()
            .is_some_and(TryView::running);
        ui.horizontal(|ui| {
            let can_try = errors == 0 && !running;
            let button = ui
                .add_enabled(can_try, icon_button_widget(ICON_PLAY_ARROW, "Try run"))
                .on_hover_text(
                    "Run the template with these values without installing it: \
                     nothing reaches your benchmarks, runs or leaderboards",
                )
                .on_disabled_hover_text(if running {
                    "A try run is running"
                } else {
                    "Fix the fields marked in red first"
                });
            if button.clicked() {
                actions.push(Action::Workbench(WorkbenchAction::Try {
                    folder: path.to_path_buf(),
                    arguments: parameter_form::arguments(&report.parameters, &self.fields),
                }));
            }
            if running {
                crate::gui::widgets::spinner::spinner(ui);
                if ui.button("Cancel try run").clicked() {
                    actions.push(Action::Workbench(WorkbenchAction::CancelTry));
                }
            }
            if ui.button("Reset to defaults").clicked() {
                self.fields = parameter_form::initial_fields(&report.parameters);
            }
            if errors > 0 {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!(
                        "{} need attention",
                        crate::client::format::count(errors, "field", "fields")
                    ),
                );
            }
        });
    }

    fn result_file_ui(
        &mut self,
        ui: &mut egui::Ui,
        path: &Path,
        state: &AppState,
        actions: &mut Vec<Action>,
    ) {
        ui.horizontal(|ui| {
            let label = ui.label("Result file");
            ui.add(
                egui::TextEdit::singleline(&mut self.result_text)
                    .hint_text("a JSON or YAML file your scorer wrote")
                    .desired_width(360.0),
            )
            .labelled_by(label.id);
            if ui.button("Choose result file…").clicked() {
                actions.push(Action::OpenDialog(DialogPurpose::ResultFile));
            }
            let text = self.result_text.trim();
            if ui
                .add_enabled(!text.is_empty(), egui::Button::new("Check result file"))
                .clicked()
            {
                actions.push(Action::Workbench(WorkbenchAction::CheckResult {
                    folder: path.to_path_buf(),
                    file: PathBuf::from(text),
                }));
            }
        });
        match &state.workbench.result_check {
            Some(Ok(checked)) => result_check_ui(ui, "result_file_check", checked),
            Some(Err(error)) => {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            None => {}
        }
    }

    fn pack_ui(
        &mut self,
        ui: &mut egui::Ui,
        path: &Path,
        state: &AppState,
        actions: &mut Vec<Action>,
    ) {
        ui.strong("Ship it");
        install_ui(ui, path, state, actions);
        ui.horizontal(|ui| {
            let label = ui.label("Archive");
            ui.add(egui::TextEdit::singleline(&mut self.pack_text).desired_width(360.0))
                .labelled_by(label.id);
            if ui.button("Choose where…").clicked() {
                actions.push(Action::OpenDialog(DialogPurpose::PackArchive));
            }
            let text = self.pack_text.trim();
            if ui
                .add_enabled(!text.is_empty(), egui::Button::new("Pack for participants"))
                .on_hover_text(
                    "Write the archive participants install: what the manifest copies, \
                     the manifest, template, instructions and requirements.txt",
                )
                .clicked()
            {
                actions.push(Action::Workbench(WorkbenchAction::Pack {
                    folder: path.to_path_buf(),
                    out: PathBuf::from(text),
                }));
            }
        });
        match &state.workbench.packed {
            Some(Ok(packed)) => packed_ui(ui, packed),
            Some(Err(error)) => {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            None => {}
        }
    }
}

/// The files a run offers participants to view, as the template declares them.
fn outputs_ui(ui: &mut egui::Ui, outputs: &[OutputFile]) {
    ui.strong("Outputs (offered to participants to view after a run)");
    if outputs.is_empty() {
        ui.label(egui::RichText::new("(none declared)").weak());
        return;
    }
    egui::Grid::new("template_outputs")
        .num_columns(4)
        .striped(true)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            for heading in ["File", "Title", "Format", "Caption"] {
                ui.strong(heading);
            }
            ui.end_row();
            for output in outputs {
                ui.monospace(&output.source);
                ui.label(output.title.as_deref().unwrap_or(&output.key));
                ui.label(output.format.as_ref().map(format_text).unwrap_or_default());
                ui.label(output.caption.as_deref().unwrap_or_default());
                ui.end_row();
            }
        });
}

/// An output's `format`: its `type` (`json`, `csv`, …), or the value itself
/// when it has none.
fn format_text(format: &Value) -> String {
    match format.get("type").and_then(Value::as_str) {
        Some(kind) => kind.to_string(),
        None => format.to_string(),
    }
}

/// Install the checked folder (or archive) as a benchmark here, the way the
/// Benchmarks panel's "From folder…" does: the same action, so a taken name
/// offers the next free one and the new benchmark is selected.
fn install_ui(ui: &mut egui::Ui, path: &Path, state: &AppState, actions: &mut Vec<Action>) {
    let installing = state.loading.contains_key(&Loading::Install);
    let reason = state
        .capabilities
        .as_ref()
        .and_then(|c| c.reason(Operation::ManageBenchmarks));
    ui.horizontal(|ui| {
        let button = ui
            .add_enabled(
                reason.is_none() && !installing,
                primary_button_widget(ICON_INSTALL_DESKTOP, "Install"),
            )
            .on_hover_text(
                "Install this template as a benchmark on this computer, \
                 for runs and a leaderboard of their own",
            )
            .on_disabled_hover_text(reason.unwrap_or("An install is under way"));
        if button.clicked() {
            actions.push(Action::Install(InstallSource::detect(
                &path.to_string_lossy(),
            )));
        }
        if state.is_loading(Loading::Install) {
            crate::gui::widgets::spinner::spinner(ui);
            ui.label(egui::RichText::new("installing…").weak());
        } else {
            ui.label(egui::RichText::new("into this computer's benchmarks").weak());
        }
    });
}

fn try_ui(ui: &mut egui::Ui, view: &TryView) {
    ui.horizontal(|ui| {
        ui.strong("Try run");
        match &view.outcome {
            None => {
                crate::gui::widgets::spinner::spinner(ui);
                ui.label("running…");
            }
            Some(Ok(outcome)) => {
                state_badge(ui, outcome.run.run.state);
            }
            Some(Err(_)) => {
                ui.colored_label(ui.visuals().error_fg_color, "could not run");
            }
        }
        if view.stale {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "The template changed since this try run: try again",
            );
        }
    });
    ui.label(
        egui::RichText::new("Not installed, not ranked: the try area goes when flowdesk closes.")
            .weak(),
    );
    egui::CollapsingHeader::new("Log")
        .id_salt("try_log")
        .default_open(true)
        .show(ui, |ui| log_ui(ui, &view.log));
    let outcome = match &view.outcome {
        Some(Ok(outcome)) => outcome,
        Some(Err(error)) => {
            ui.colored_label(ui.visuals().error_fg_color, error);
            return;
        }
        None => return,
    };
    let run = &outcome.run.run;
    for message in &run.messages {
        ui.colored_label(ui.visuals().error_fg_color, message);
    }
    if run.has_results() {
        ui.strong("Result values");
        egui::Grid::new("try_results")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                for (column, value) in run.results() {
                    ui.label(&column.label);
                    ui.monospace(value_text(value));
                    ui.end_row();
                }
            });
    }
    if !outcome.run.files.is_empty() {
        ui.strong("Files");
        for file in &outcome.run.files {
            ui.label(format!("{} ({})", file.name, size_text(file.size)));
        }
    }
    if let Some(checked) = &outcome.result_check {
        result_check_ui(ui, "try_result_check", checked);
    }
    if let Some((post, view)) = &outcome.postproc {
        ui.horizontal(|ui| {
            ui.strong("Post-processing over the try runs");
            state_badge(ui, post.run.state);
        });
        for message in &post.run.messages {
            ui.colored_label(ui.visuals().error_fg_color, message);
        }
        for output in view.iter().flat_map(|v| &v.outputs) {
            let title = output.title.as_deref().unwrap_or(&output.file.name);
            ui.label(format!(
                "{title}: {} ({})",
                output.file.name,
                size_text(output.file.size)
            ));
        }
    }
}

/// The log, virtualized: only the visible lines are laid out.
fn log_ui(ui: &mut egui::Ui, log: &str) {
    if log.is_empty() {
        ui.label(egui::RichText::new("(nothing written yet)").weak());
        return;
    }
    let lines: Vec<&str> = log.lines().collect();
    let height = ui.text_style_height(&egui::TextStyle::Monospace);
    egui::ScrollArea::vertical()
        .id_salt("try_log_scroll")
        .max_height(220.0)
        .stick_to_bottom(true)
        .auto_shrink([false, true])
        .show_rows(ui, height, lines.len(), |ui, rows| {
            for line in &lines[rows] {
                ui.add(egui::Label::new(egui::RichText::new(*line).monospace()).extend());
            }
        });
}

fn result_check_ui(ui: &mut egui::Ui, id: &str, checked: &ResultCheck) {
    ui.strong(format!("Schema check of {}", checked.file.display()));
    egui::Grid::new(id)
        .num_columns(5)
        .striped(true)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            for heading in ["Column", "Path", "Found", "Cast", "Problem"] {
                ui.strong(heading);
            }
            ui.end_row();
            for column in &checked.check.columns {
                ui.label(format!("{} ({})", column.column, column.dtype));
                ui.monospace(&column.path);
                ui.monospace(
                    column
                        .found
                        .as_ref()
                        .map(Value::to_string)
                        .unwrap_or_else(|| "–".into()),
                );
                ui.monospace(value_text(column.cast.as_ref()));
                match &column.problem {
                    Some(problem) => ui.colored_label(ui.visuals().error_fg_color, problem),
                    None => ui.label("ok"),
                };
                ui.end_row();
            }
        });
    for lint in &checked.lints {
        ui.colored_label(ui.visuals().warn_fg_color, format!("Warning: {lint}"));
    }
    if checked.check.passes() {
        ui.colored_label(
            egui::Color32::from_rgb(0x2e, 0x7d, 0x32),
            "The result file matches the schema.",
        );
    }
}

fn packed_ui(ui: &mut egui::Ui, packed: &PackedTemplate) {
    ui.colored_label(
        egui::Color32::from_rgb(0x2e, 0x7d, 0x32),
        format!(
            "Packed {} ({}, {} files)",
            packed.file.display(),
            size_text(packed.size),
            packed.files.len()
        ),
    );
    egui::CollapsingHeader::new("Files in the archive")
        .id_salt("packed_files")
        .show(ui, |ui| {
            for file in &packed.files {
                ui.monospace(file);
            }
        });
}

fn error_ui(ui: &mut egui::Ui, error: &str) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.colored_label(
            ui.visuals().error_fg_color,
            egui::RichText::new("The template has an error").strong(),
        );
        ui.add(egui::Label::new(egui::RichText::new(error).monospace()).wrap());
    });
}
