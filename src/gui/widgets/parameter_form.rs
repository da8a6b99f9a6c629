//! The form generated from a template's parameter declarations (ordered by
//! `index`, grouped by `parameterGroups`), validated as the user types with the
//! same casting the engine uses. The New run tab and the coordinator's
//! workbench show the same form, so a coordinator sees exactly what
//! participants will. Each field shows its declaration's help under it, and
//! a file field whose path the backend found no file at says so there (the
//! form never looks at the disk itself; see [`form_ui_with_files`]).

use crate::gui::dialogs::DialogPurpose;
use crate::gui::state::Action;
use crate::template::{python_str, Parameter, ParameterGroup, ParameterType};
use serde_json::{json, Map, Value};

/// The value being edited for one parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// int, float, string: what the user typed.
    Text(String),
    Bool(bool),
    /// Index into the select's values.
    Select(usize),
    File {
        path: String,
        target: String,
    },
    List(Vec<Field>),
    Record(Vec<(String, Field)>),
    Actor {
        image: String,
        commands: String,
    },
}

impl Field {
    /// The form's starting value: the declared default, or empty.
    pub fn initial(parameter: &Parameter) -> Field {
        let default = parameter.effective_default();
        Self::from_value(parameter, default.as_ref())
    }

    pub fn from_value(parameter: &Parameter, value: Option<&Value>) -> Field {
        match &parameter.dtype {
            ParameterType::Bool => Field::Bool(
                value
                    .and_then(|v| parameter.cast(v).ok())
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false),
            ),
            ParameterType::Select { values } => {
                let index = value
                    .and_then(|v| {
                        let text = python_str(v);
                        values.iter().position(|o| python_str(&o.value) == text)
                    })
                    .unwrap_or(0);
                Field::Select(index)
            }
            ParameterType::File { target } => {
                let (path, given_target) = match value {
                    Some(Value::Object(map)) => (
                        map.get("value").map(python_str).unwrap_or_default(),
                        map.get("as").map(python_str),
                    ),
                    _ => (String::new(), None),
                };
                Field::File {
                    path,
                    target: given_target
                        .or_else(|| target.clone())
                        .or_else(|| parameter.default.as_ref().map(python_str))
                        .unwrap_or_default(),
                }
            }
            ParameterType::List { para } => {
                let items = match value.and_then(|v| parameter.cast(v).ok()) {
                    Some(Value::Array(items)) => items,
                    _ => Vec::new(),
                };
                Field::List(
                    items
                        .iter()
                        .map(|item| Field::from_value(para, Some(item)))
                        .collect(),
                )
            }
            ParameterType::Record { fields } => {
                let values = value.and_then(|v| parameter.cast(v).ok());
                Field::Record(
                    fields
                        .iter()
                        .map(|f| {
                            let v = values
                                .as_ref()
                                .and_then(|m| m.get(&f.name))
                                .cloned()
                                .or_else(|| f.effective_default());
                            (f.name.clone(), Field::from_value(f, v.as_ref()))
                        })
                        .collect(),
                )
            }
            ParameterType::Actor => {
                let step = value
                    .and_then(|v| parameter.cast(v).ok())
                    .unwrap_or(Value::Null);
                let image = step
                    .get("environment")
                    .or_else(|| step.get("image"))
                    .map(python_str)
                    .unwrap_or_default();
                let commands = step
                    .get("commands")
                    .and_then(Value::as_array)
                    .map(|c| c.iter().map(python_str).collect::<Vec<_>>().join("\n"))
                    .unwrap_or_default();
                Field::Actor { image, commands }
            }
            _ => Field::Text(value.map(python_str).unwrap_or_default()),
        }
    }

    /// The argument value, or `None` for "not given".
    pub fn to_value(&self, parameter: &Parameter) -> Option<Value> {
        match (self, &parameter.dtype) {
            (Field::Text(text), _) => {
                if text.trim().is_empty() {
                    None
                } else {
                    Some(Value::String(text.clone()))
                }
            }
            (Field::Bool(b), _) => Some(Value::Bool(*b)),
            (Field::Select(i), ParameterType::Select { values }) => {
                values.get(*i).map(|o| o.value.clone())
            }
            (Field::File { path, target }, _) => {
                if path.trim().is_empty() {
                    None
                } else if target.trim().is_empty() {
                    Some(Value::String(path.clone()))
                } else {
                    Some(json!({"value": path, "as": target}))
                }
            }
            (Field::List(items), ParameterType::List { para }) => Some(Value::Array(
                items
                    .iter()
                    .map(|f| f.to_value(para).unwrap_or(Value::Null))
                    .collect(),
            )),
            (Field::Record(fields), ParameterType::Record { fields: declared }) => {
                let mut map = Map::new();
                for (name, field) in fields {
                    if let Some(p) = declared.iter().find(|p| &p.name == name) {
                        if let Some(v) = field.to_value(p) {
                            map.insert(name.clone(), v);
                        }
                    }
                }
                Some(Value::Object(map))
            }
            (Field::Actor { image, commands }, _) => {
                let commands: Vec<&str> =
                    commands.lines().filter(|l| !l.trim().is_empty()).collect();
                if commands.is_empty() {
                    None
                } else {
                    Some(json!({"environment": image, "commands": commands}))
                }
            }
            _ => None,
        }
    }

    /// The error for this value, if it is not valid.
    pub fn error(&self, parameter: &Parameter) -> Option<String> {
        match self.to_value(parameter) {
            None => {
                if parameter.required && parameter.effective_default().is_none() {
                    Some("required".to_string())
                } else {
                    None
                }
            }
            Some(value) => {
                let result = match parameter.dtype {
                    ParameterType::File { .. } => parameter.cast_file(&value).map(|_| Value::Null),
                    _ => parameter.cast(&value),
                };
                result.err().map(|e| match e {
                    crate::error::ArgumentError::Invalid { message, .. } => message,
                    other => other.to_string(),
                })
            }
        }
    }
}

/// The form's fields with the declared defaults.
pub fn initial_fields(parameters: &[Parameter]) -> Vec<(String, Field)> {
    parameters
        .iter()
        .map(|p| (p.name.clone(), Field::initial(p)))
        .collect()
}

/// The form's fields with these values (the declared default where one is
/// missing).
pub fn fields_with(parameters: &[Parameter], values: &Map<String, Value>) -> Vec<(String, Field)> {
    parameters
        .iter()
        .map(|p| {
            let field = match values.get(&p.name) {
                Some(v) => Field::from_value(p, Some(v)),
                None => Field::initial(p),
            };
            (p.name.clone(), field)
        })
        .collect()
}

/// The arguments the fields hold, as a run request takes them.
pub fn arguments(parameters: &[Parameter], fields: &[(String, Field)]) -> Map<String, Value> {
    let mut arguments = Map::new();
    for (name, field) in fields {
        if let Some(parameter) = parameters.iter().find(|p| &p.name == name) {
            if let Some(value) = field.to_value(parameter) {
                arguments.insert(name.clone(), value);
            }
        }
    }
    arguments
}

/// Why the file at a path cannot be used ("no file at …"), or `None` when it
/// can or nobody looked yet: the backend's answer for the form's file paths.
pub type FileProblem<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The paths the file fields name (in lists and records too), sorted and
/// without repeats; empty paths (the template's default file) are left out.
pub fn file_paths(fields: &[(String, Field)]) -> Vec<String> {
    fn collect(field: &Field, paths: &mut Vec<String>) {
        match field {
            Field::File { path, .. } if !path.trim().is_empty() => paths.push(path.clone()),
            Field::List(items) => items.iter().for_each(|f| collect(f, paths)),
            Field::Record(fields) => fields.iter().for_each(|(_, f)| collect(f, paths)),
            _ => {}
        }
    }
    let mut paths = Vec::new();
    for (_, field) in fields {
        collect(field, &mut paths);
    }
    paths.sort();
    paths.dedup();
    paths
}

/// The first file of `field` (itself, or an item or record field) that
/// cannot be used, as `files` says.
fn missing_file(field: &Field, files: FileProblem<'_>) -> Option<String> {
    match field {
        Field::File { path, .. } if !path.trim().is_empty() => files(path),
        Field::List(items) => items.iter().find_map(|f| missing_file(f, files)),
        Field::Record(fields) => fields.iter().find_map(|(_, f)| missing_file(f, files)),
        _ => None,
    }
}

/// The problem of a field: its value does not cast, or a file it names is
/// not there.
fn problem(field: &Field, parameter: &Parameter, files: FileProblem<'_>) -> Option<String> {
    field
        .error(parameter)
        .or_else(|| missing_file(field, files))
}

/// [`form_ui_with_files`] for a form whose file paths nobody checks.
pub fn form_ui(
    ui: &mut egui::Ui,
    salt: &str,
    parameters: &[Parameter],
    groups: &[ParameterGroup],
    fields: &mut [(String, Field)],
    file_dialog: &dyn Fn(String) -> DialogPurpose,
    actions: &mut Vec<Action>,
) -> usize {
    form_ui_with_files(
        ui,
        salt,
        parameters,
        groups,
        fields,
        file_dialog,
        &|_| None,
        actions,
    )
}

/// The form: ungrouped parameters first, then one collapsible section per
/// `parameterGroups` entry; returns how many fields are invalid (a file
/// `files` says is missing counts). `file_dialog` says which dialog a file
/// field's "Choose file…" opens.
#[allow(clippy::too_many_arguments)]
pub fn form_ui_with_files(
    ui: &mut egui::Ui,
    salt: &str,
    parameters: &[Parameter],
    groups: &[ParameterGroup],
    fields: &mut [(String, Field)],
    file_dialog: &dyn Fn(String) -> DialogPurpose,
    files: FileProblem<'_>,
    actions: &mut Vec<Action>,
) -> usize {
    let mut errors = 0;
    let mut groups: Vec<(Option<&str>, String)> = groups
        .iter()
        .map(|g| (Some(g.name.as_str()), g.title.clone()))
        .collect();
    groups.insert(0, (None, String::new()));
    for (group, title) in groups {
        let members: Vec<&Parameter> = parameters
            .iter()
            .filter(|p| p.group.as_deref() == group)
            .collect();
        if members.is_empty() {
            continue;
        }
        let body = |ui: &mut egui::Ui| {
            egui::Grid::new((salt, group.unwrap_or("")))
                .num_columns(3)
                .spacing([12.0, 8.0])
                .show(ui, |ui| {
                    for parameter in members {
                        if let Some((_, field)) =
                            fields.iter_mut().find(|(n, _)| n == &parameter.name)
                        {
                            if !parameter_row_ui(ui, parameter, field, file_dialog, files, actions)
                            {
                                errors += 1;
                            }
                            ui.end_row();
                        }
                    }
                });
        };
        match group {
            None => body(ui),
            Some(name) => {
                egui::CollapsingHeader::new(&title)
                    .id_salt((salt, "group", name))
                    .default_open(true)
                    .show(ui, body);
            }
        }
    }
    errors
}

/// One parameter's label; its field with the error (if any) and the help
/// under it; and the type hint. False when it is invalid.
fn parameter_row_ui(
    ui: &mut egui::Ui,
    parameter: &Parameter,
    field: &mut Field,
    file_dialog: &dyn Fn(String) -> DialogPurpose,
    files: FileProblem<'_>,
    actions: &mut Vec<Action>,
) -> bool {
    let label = ui.label(&parameter.label);
    if let Some(help) = &parameter.help {
        label.clone().on_hover_text(help);
    }
    let mut valid = true;
    ui.vertical(|ui| {
        field_ui(ui, parameter, field, label.id, file_dialog, files, actions);
        // The texts under the field wrap at its width (or a readable minimum),
        // so a long help text never widens the form past the window.
        let width = ui.min_rect().width().max(UNDER_FIELD_WIDTH);
        ui.set_max_width(width);
        if let Some(error) = problem(field, parameter, files) {
            valid = false;
            ui.add(
                egui::Label::new(egui::RichText::new(error).color(ui.visuals().error_fg_color))
                    .wrap(),
            );
        }
        if let Some(help) = &parameter.help {
            ui.add(egui::Label::new(egui::RichText::new(help).small().weak()).wrap());
        }
    });
    ui.label(egui::RichText::new(hint(parameter)).weak());
    valid
}

/// The narrowest the error and help under a field wrap at.
const UNDER_FIELD_WIDTH: f32 = 260.0;

fn hint(parameter: &Parameter) -> String {
    let mut parts = vec![parameter.dtype.name().to_string()];
    let constraints = parameter.constraints();
    if !constraints.is_empty() {
        parts.push(constraints);
    }
    if parameter.required {
        parts.push("required".into());
    }
    parts.join(" · ")
}

fn field_ui(
    ui: &mut egui::Ui,
    parameter: &Parameter,
    field: &mut Field,
    label: egui::Id,
    file_dialog: &dyn Fn(String) -> DialogPurpose,
    files: FileProblem<'_>,
    actions: &mut Vec<Action>,
) {
    match (&parameter.dtype, field) {
        (ParameterType::Bool, Field::Bool(value)) => {
            ui.checkbox(value, "").labelled_by(label);
        }
        (ParameterType::Select { values }, Field::Select(index)) => {
            let selected = values
                .get(*index)
                .map(|o| o.name.clone())
                .unwrap_or_default();
            egui::ComboBox::from_id_salt(("select", &parameter.name))
                .selected_text(selected)
                .show_ui(ui, |ui| {
                    for (i, option) in values.iter().enumerate() {
                        ui.selectable_value(index, i, &option.name);
                    }
                })
                .response
                .labelled_by(label);
        }
        (ParameterType::File { .. }, Field::File { path, target }) => {
            ui.vertical(|ui| {
                ui.horizontal(|ui| {
                    ui.add(
                        egui::TextEdit::singleline(path)
                            .hint_text("default file of the template")
                            .desired_width(220.0),
                    )
                    .labelled_by(label);
                    if ui.button("Choose file…").clicked() {
                        actions.push(Action::OpenDialog(file_dialog(parameter.name.clone())));
                    }
                });
                ui.horizontal(|ui| {
                    let t = ui.label("Target path");
                    ui.add(egui::TextEdit::singleline(target).desired_width(160.0))
                        .labelled_by(t.id);
                });
            });
        }
        (ParameterType::List { para }, Field::List(items)) => {
            ui.vertical(|ui| {
                let mut remove = None;
                for (i, item) in items.iter_mut().enumerate() {
                    ui.horizontal(|ui| {
                        let l = ui.label(format!("{} {}", para.label, i + 1));
                        field_ui(ui, para, item, l.id, file_dialog, files, actions);
                        if let Some(error) = problem(item, para, files) {
                            ui.colored_label(ui.visuals().error_fg_color, error);
                        }
                        if ui.small_button("Remove").clicked() {
                            remove = Some(i);
                        }
                    });
                }
                if let Some(i) = remove {
                    items.remove(i);
                }
                if ui.small_button(format!("Add {}", para.label)).clicked() {
                    items.push(Field::initial(para));
                }
            });
        }
        (ParameterType::Record { fields: declared }, Field::Record(fields)) => {
            ui.vertical(|ui| {
                for (name, value) in fields.iter_mut() {
                    if let Some(p) = declared.iter().find(|p| &p.name == name) {
                        ui.horizontal(|ui| {
                            let l = ui.label(&p.label);
                            field_ui(ui, p, value, l.id, file_dialog, files, actions);
                            if let Some(error) = problem(value, p, files) {
                                ui.colored_label(ui.visuals().error_fg_color, error);
                            }
                        });
                    }
                }
            });
        }
        (ParameterType::Actor, Field::Actor { image, commands }) => {
            ui.vertical(|ui| {
                ui.horizontal(|ui| {
                    let l = ui.label("Image");
                    ui.add(egui::TextEdit::singleline(image).desired_width(200.0))
                        .labelled_by(l.id);
                });
                let l = ui.label("Commands (one per line)");
                ui.add(
                    egui::TextEdit::multiline(commands)
                        .code_editor()
                        .desired_rows(3)
                        .desired_width(320.0),
                )
                .labelled_by(l.id);
            });
        }
        (_, Field::Text(text)) => {
            let range_hint = match &parameter.dtype {
                ParameterType::Int { range: Some(r) } | ParameterType::Float { range: Some(r) } => {
                    format!("{r}")
                }
                _ => String::new(),
            };
            ui.add(
                egui::TextEdit::singleline(text)
                    .hint_text(range_hint)
                    .desired_width(220.0),
            )
            .labelled_by(label);
        }
        (_, other) => {
            // The field does not match its declaration (template changed): reset it.
            *other = Field::initial(parameter);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> Field {
        Field::File {
            path: path.into(),
            target: "data/in.txt".into(),
        }
    }

    #[test]
    fn file_paths_are_collected_from_lists_and_records_once_each() {
        let fields = vec![
            ("a".to_string(), file("/x/b.csv")),
            ("default".to_string(), file("  ")),
            ("n".to_string(), Field::Text("3".into())),
            (
                "list".to_string(),
                Field::List(vec![file("/x/a.csv"), file("/x/b.csv")]),
            ),
            (
                "record".to_string(),
                Field::Record(vec![("f".to_string(), file("rel/c.csv"))]),
            ),
        ];
        assert_eq!(file_paths(&fields), ["/x/a.csv", "/x/b.csv", "rel/c.csv"]);
        let missing = |path: &str| (path == "/x/b.csv").then(|| format!("no file at {path}"));
        assert_eq!(
            missing_file(&fields[3].1, &missing).as_deref(),
            Some("no file at /x/b.csv")
        );
        assert_eq!(missing_file(&fields[1].1, &missing), None);
    }
}
