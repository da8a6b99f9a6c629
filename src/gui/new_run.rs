//! The New run tab: a form generated from the template's parameter declarations
//! (ordered by `index`, grouped by `parameterGroups`), validated as the user types
//! with the same casting the engine uses, a submission chooser, a preview of the
//! expanded steps, and Run (also Ctrl+Enter) once the form is valid. The preview
//! follows the form: the backend expands it again a moment after the last edit
//! (or a Re-run's arguments), so it shows what Run would start. File paths
//! are followed the same way: the backend looks whether each names a file a
//! run can use, and a path that does not is marked under its field and keeps
//! Run disabled.

use super::dialogs::DialogPurpose;
use super::state::{Action, AppState, FormRequest, Loading, Screen};
use super::widgets::buttons::{
    icon_button, primary_button_widget, ICON_PLAY_ARROW, ICON_VISIBILITY,
};
use super::widgets::parameter_form::{self, Field};
use super::widgets::preview::preview_ui;
use crate::client::{BenchmarkDetail, RunRequest};
use serde_json::{Map, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long the form must stay unchanged before the preview (or the check
/// of its file paths) is asked for again: typing a value asks once, not once
/// per key.
const PREVIEW_DEBOUNCE: Duration = Duration::from_millis(300);

/// How often paths found missing are looked at again while the form shows
/// them: the user may make the file meanwhile, and Run should follow.
const FILE_RECHECK: Duration = Duration::from_secs(2);

/// The submission and file paths the backend was asked about (uploads of
/// the submission count as files).
type FilesQuery = (Option<String>, Vec<String>);

#[derive(Default)]
pub struct NewRunScreen {
    workflow_id: Option<String>,
    fields: Vec<(String, Field)>,
    submission: Option<String>,
    new_submission: String,
    show_preview: bool,
    /// The request the shown preview was asked for.
    previewed: Option<RunRequest>,
    /// The form as last seen, and since when, while it differs from `previewed`.
    edited: Option<(RunRequest, Instant)>,
    /// How many runs to start as one run set (1: a single run), as typed.
    repeat: String,
    /// The last form request applied.
    seen: u64,
    /// The file paths last asked about, and when.
    files_asked: Option<(FilesQuery, Instant)>,
    /// The file paths as last seen, and since when, while they differ from
    /// `files_asked`.
    files_edited: Option<(FilesQuery, Instant)>,
}

/// The most runs one run set may have.
const MAX_REPEAT: usize = 100;

/// The Repeat field: a count of runs from 1 to [`MAX_REPEAT`], or why not.
fn repeat_count(text: &str) -> Result<usize, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(1);
    }
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_REPEAT).contains(&n) => Ok(n),
        _ => Err(format!(
            "Repeat: '{text}' is not a whole number from 1 to {MAX_REPEAT}"
        )),
    }
}

impl Screen for NewRunScreen {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>) {
        let Some(detail) = &state.detail else {
            return;
        };
        self.sync(detail, state);
        let checks = state
            .file_checks
            .as_ref()
            .filter(|c| c.benchmark == detail.benchmark.id);
        let files = |path: &str| checks.and_then(|c| c.problem(path));
        self.follow_files(ui.ctx(), detail, &files, actions);
        egui::ScrollArea::vertical()
            .auto_shrink(false)
            .show(ui, |ui| {
                ui.heading(format!("New run of {}", detail.benchmark.name));
                ui.add_space(6.0);
                self.submission_ui(ui, detail, actions);
                ui.separator();
                let errors = self.form_ui(ui, detail, &files, actions);
                ui.separator();
                self.buttons_ui(ui, state, detail, errors, actions);
                if self.show_preview {
                    let current = self.follow_form(ui.ctx(), detail, actions);
                    ui.separator();
                    ui.horizontal(|ui| {
                        ui.heading("Preview");
                        if !current || state.is_loading(Loading::Preview) {
                            ui.label(egui::RichText::new("updating…").weak());
                        }
                    });
                    match &state.preview {
                        None => {
                            crate::gui::widgets::spinner::spinner(ui);
                        }
                        Some(Err(error)) => {
                            ui.colored_label(ui.visuals().error_fg_color, error);
                        }
                        Some(Ok(preview)) => preview_ui(ui, preview),
                    }
                }
            });
    }
}

impl NewRunScreen {
    /// Follow the state: a benchmark (re)loaded, and requests from elsewhere
    /// (Re-run, a created submission, a chosen file).
    fn sync(&mut self, detail: &BenchmarkDetail, state: &AppState) {
        if self.workflow_id.as_ref() != Some(&detail.benchmark.id) {
            self.reset(detail);
        }
        let requests: Vec<(u64, FormRequest)> = state
            .form
            .since(self.seen)
            .map(|(n, r)| (n, r.clone()))
            .collect();
        for (n, request) in requests {
            self.seen = n;
            match request {
                FormRequest::Arguments {
                    benchmark,
                    arguments,
                    submission,
                } if benchmark == detail.benchmark.id => {
                    self.load_arguments(detail, &arguments);
                    if submission.is_some() {
                        self.submission = submission;
                    }
                }
                FormRequest::Arguments { .. } => {}
                FormRequest::Submission(id) => self.submission = Some(id),
                FormRequest::File { parameter, path } => self.set_file(&parameter, &path),
                FormRequest::TryFile { .. }
                | FormRequest::ResultFile(_)
                | FormRequest::PackArchive(_) => {}
            }
        }
        if self
            .submission
            .as_ref()
            .is_none_or(|id| !detail.submissions.iter().any(|s| &s.id == id))
        {
            self.submission = detail.submissions.first().map(|s| s.id.clone());
        }
    }

    /// Ask for the preview again once the form has stayed unchanged for
    /// [`PREVIEW_DEBOUNCE`]; until then one repaint is requested for the moment
    /// it is due (nothing repaints while waiting). True if the preview asked
    /// for is the form's.
    fn follow_form(
        &mut self,
        ctx: &egui::Context,
        detail: &BenchmarkDetail,
        actions: &mut Vec<Action>,
    ) -> bool {
        let request = self.request(detail);
        if self.previewed.as_ref() == Some(&request) {
            self.edited = None;
            return true;
        }
        let since = match &self.edited {
            Some((seen, since)) if *seen == request => *since,
            _ => {
                let now = Instant::now();
                self.edited = Some((request.clone(), now));
                now
            }
        };
        let waited = since.elapsed();
        if waited >= PREVIEW_DEBOUNCE {
            self.ask_preview(request, actions);
            true
        } else {
            ctx.request_repaint_after(PREVIEW_DEBOUNCE - waited);
            false
        }
    }

    /// Ask the backend about the form's file paths once they have stayed
    /// unchanged for [`PREVIEW_DEBOUNCE`], and again every [`FILE_RECHECK`]
    /// while one of them is missing; as with the preview, a repaint is
    /// requested for the moment the next question is due.
    fn follow_files(
        &mut self,
        ctx: &egui::Context,
        detail: &BenchmarkDetail,
        files: parameter_form::FileProblem<'_>,
        actions: &mut Vec<Action>,
    ) {
        let paths = parameter_form::file_paths(&self.fields);
        if paths.is_empty() {
            self.files_asked = None;
            self.files_edited = None;
            return;
        }
        let query = (self.submission.clone(), paths);
        let (due, wait) = match &self.files_asked {
            Some((asked, at)) if *asked == query => {
                self.files_edited = None;
                if !query.1.iter().any(|p| files(p).is_some()) {
                    return;
                }
                (*at, FILE_RECHECK)
            }
            _ => match &self.files_edited {
                Some((seen, since)) if *seen == query => (*since, PREVIEW_DEBOUNCE),
                _ => {
                    let now = Instant::now();
                    self.files_edited = Some((query.clone(), now));
                    (now, PREVIEW_DEBOUNCE)
                }
            },
        };
        let waited = due.elapsed();
        if waited < wait {
            ctx.request_repaint_after(wait - waited);
            return;
        }
        self.files_asked = Some((query.clone(), Instant::now()));
        self.files_edited = None;
        let (submission, paths) = query;
        actions.push(Action::CheckFiles {
            benchmark: detail.benchmark.id.clone(),
            submission,
            paths,
        });
    }

    fn ask_preview(&mut self, request: RunRequest, actions: &mut Vec<Action>) {
        self.previewed = Some(request.clone());
        self.edited = None;
        actions.push(Action::Preview(request));
    }

    /// The form with the declared defaults.
    fn reset(&mut self, detail: &BenchmarkDetail) {
        self.workflow_id = Some(detail.benchmark.id.clone());
        self.fields = detail
            .parameters
            .iter()
            .map(|p| (p.name.clone(), Field::initial(p)))
            .collect();
        self.submission = detail.submissions.first().map(|s| s.id.clone());
        self.show_preview = false;
        self.previewed = None;
        self.edited = None;
        self.repeat = "1".into();
        self.files_asked = None;
        self.files_edited = None;
    }

    /// Fill the form with an earlier run's arguments (Re-run), and show what
    /// they expand to (the preview follows, see [`Self::follow_form`]).
    fn load_arguments(&mut self, detail: &BenchmarkDetail, arguments: &Map<String, Value>) {
        self.show_preview = true;
        self.fields = detail
            .parameters
            .iter()
            .map(|p| {
                let field = match arguments.get(&p.name) {
                    Some(v) => Field::from_value(p, Some(v)),
                    None => Field::initial(p),
                };
                (p.name.clone(), field)
            })
            .collect();
    }

    /// A file chosen in the dialog for parameter `name`.
    fn set_file(&mut self, name: &str, path: &Path) {
        if let Some((_, Field::File { path: p, .. })) =
            self.fields.iter_mut().find(|(n, _)| n == name)
        {
            *p = path.to_string_lossy().into_owned();
        }
    }

    fn arguments(&self, detail: &BenchmarkDetail) -> Map<String, Value> {
        let mut arguments = Map::new();
        for (name, field) in &self.fields {
            if let Some(parameter) = detail.parameter(name) {
                if let Some(value) = field.to_value(parameter) {
                    arguments.insert(name.clone(), value);
                }
            }
        }
        arguments
    }

    fn request(&self, detail: &BenchmarkDetail) -> RunRequest {
        RunRequest {
            benchmark: detail.benchmark.id.clone(),
            submission: self.submission.clone(),
            arguments: self.arguments(detail),
            detach: false,
        }
    }

    fn submission_ui(
        &mut self,
        ui: &mut egui::Ui,
        detail: &BenchmarkDetail,
        actions: &mut Vec<Action>,
    ) {
        ui.horizontal(|ui| {
            let label = ui.label("Submission");
            let current = detail
                .submissions
                .iter()
                .find(|s| Some(&s.id) == self.submission.as_ref())
                .map(|s| s.name.clone())
                .unwrap_or_else(|| "choose…".into());
            egui::ComboBox::from_id_salt("submission")
                .selected_text(current)
                .show_ui(ui, |ui| {
                    for s in &detail.submissions {
                        ui.selectable_value(&mut self.submission, Some(s.id.clone()), &s.name);
                    }
                })
                .response
                .labelled_by(label.id);
            let label = ui.label("New submission");
            ui.add(egui::TextEdit::singleline(&mut self.new_submission).desired_width(120.0))
                .labelled_by(label.id);
            if ui
                .add_enabled(
                    !self.new_submission.trim().is_empty(),
                    egui::Button::new("Create"),
                )
                .clicked()
            {
                actions.push(Action::CreateSubmission {
                    benchmark: detail.benchmark.id.clone(),
                    name: self.new_submission.trim().to_string(),
                });
                self.new_submission.clear();
            }
        });
    }

    /// The parameters, grouped; returns how many fields are invalid (a
    /// missing file counts).
    fn form_ui(
        &mut self,
        ui: &mut egui::Ui,
        detail: &BenchmarkDetail,
        files: parameter_form::FileProblem<'_>,
        actions: &mut Vec<Action>,
    ) -> usize {
        parameter_form::form_ui_with_files(
            ui,
            "form",
            &detail.parameters,
            &detail.groups,
            &mut self.fields,
            &DialogPurpose::FileArgument,
            files,
            actions,
        )
    }

    fn buttons_ui(
        &mut self,
        ui: &mut egui::Ui,
        state: &AppState,
        detail: &BenchmarkDetail,
        errors: usize,
        actions: &mut Vec<Action>,
    ) {
        let starting = state.is_loading(Loading::StartRun);
        let run_sets = state.supports(crate::client::Operation::RunSets);
        let repeat = if run_sets {
            repeat_count(&self.repeat)
        } else {
            Ok(1)
        };
        if run_sets {
            ui.horizontal(|ui| {
                let label = ui.label("Repeat");
                ui.add(egui::TextEdit::singleline(&mut self.repeat).desired_width(48.0))
                    .labelled_by(label.id)
                    .on_hover_text(format!(
                        "Start this many runs with the same arguments as one run set (1 to {MAX_REPEAT}); the leaderboard shows their mean ± std"
                    ));
                match &repeat {
                    Ok(1) => {}
                    Ok(n) => {
                        ui.label(egui::RichText::new(format!("{n} runs as one run set")).weak());
                    }
                    Err(error) => {
                        ui.colored_label(ui.visuals().error_fg_color, error);
                    }
                }
            });
        }
        let errors = errors + usize::from(repeat.is_err());
        let can_run = errors == 0 && self.submission.is_some() && !starting;
        let ctrl_enter =
            ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Enter));
        ui.horizontal(|ui| {
            let run = ui
                .add_enabled(can_run, primary_button_widget(ICON_PLAY_ARROW, "Run"))
                .on_hover_text("Start the run (Ctrl+Enter)")
                .on_disabled_hover_text("Fix the fields marked in red first");
            if can_run && (run.clicked() || ctrl_enter) {
                match repeat {
                    Ok(count) if count > 1 => actions.push(Action::StartRunSet {
                        request: self.request(detail),
                        count,
                    }),
                    _ => actions.push(Action::StartRun(self.request(detail))),
                }
            }
            let no_preview = state
                .capabilities
                .as_ref()
                .and_then(|c| c.reason(crate::client::Operation::Preview));
            if let Some(reason) = no_preview {
                ui.add_enabled(false, egui::Button::new("Preview"))
                    .on_disabled_hover_text(reason);
            } else if icon_button(ui, ICON_VISIBILITY, "Preview")
                .on_hover_text("Show the steps these arguments expand to")
                .clicked()
            {
                self.show_preview = true;
                self.ask_preview(self.request(detail), actions);
            }
            if ui.button("Reset to defaults").clicked() {
                self.reset(detail);
            }
            if errors > 0 {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("{errors} field(s) need attention"),
                );
            }
            if starting {
                crate::gui::widgets::spinner::spinner(ui);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeat_takes_one_to_a_hundred() {
        assert_eq!(repeat_count("1"), Ok(1));
        assert_eq!(repeat_count(" 3 "), Ok(3));
        assert_eq!(repeat_count(""), Ok(1));
        assert_eq!(repeat_count("100"), Ok(100));
        assert!(repeat_count("0").is_err());
        assert!(repeat_count("101").is_err());
        assert!(repeat_count("2.5").is_err());
    }
}
