//! The collapsible "Provenance" section of a run: what produced its numbers —
//! the template by content hash, the arguments as cast, input and output files
//! by SHA-256 and size, the interpreter, packages and workers, the machine, and
//! per step the command, exit code, duration and peak memory. Hashes show
//! shortened; hovering one shows it in full.

use crate::client::format::{duration_text, short_hash, size_text, NO_VALUE};
use crate::client::Provenance;

/// Draw the section, closed until the user opens it.
pub fn provenance_ui(ui: &mut egui::Ui, provenance: &Provenance) {
    egui::CollapsingHeader::new("Provenance")
        .id_salt("provenance")
        .default_open(false)
        .show(ui, |ui| body_ui(ui, provenance));
}

/// A hash, shortened, with the full hash on hover.
pub fn hash_ui(ui: &mut egui::Ui, hash: &str) -> egui::Response {
    ui.add(egui::Label::new(
        egui::RichText::new(short_hash(hash)).monospace(),
    ))
    .on_hover_text(hash)
}

/// A file name in the last column of a grid (which gets the width left):
/// cut short with "…" rather than broken inside a word, whole on hover, with
/// where it came from (`source`) when known.
fn name_ui(ui: &mut egui::Ui, path: &str, source: Option<&str>) -> egui::Response {
    let response = ui.add(egui::Label::new(path).truncate());
    match source {
        Some(source) => response.on_hover_text(format!("{path}\n{source}")),
        None => response.on_hover_text(path),
    }
}

fn body_ui(ui: &mut egui::Ui, provenance: &Provenance) {
    let template = &provenance.template;
    ui.strong("Template");
    egui::Grid::new("provenance_template")
        .num_columns(2)
        .show(ui, |ui| {
            ui.label("Name");
            ui.label(match &template.version {
                Some(version) => format!("{} (version {version})", template.name),
                None => template.name.clone(),
            });
            ui.end_row();
            ui.label("Template hash");
            hash_ui(ui, &template.hash);
            ui.end_row();
            ui.label("Files");
            ui.label(template.files.to_string());
            ui.end_row();
        });
    if let Some(imported) = &provenance.imported {
        ui.add_space(4.0);
        ui.label(format!(
            "Imported {} from run {} of another computer",
            crate::client::format::time_text(&imported.at),
            imported.run_id
        ));
        if imported.different_template {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!("different template: {}", imported.differences.join("; ")),
            );
        }
    }

    ui.add_space(4.0);
    ui.strong("Arguments");
    if provenance.arguments.is_empty() {
        ui.label(NO_VALUE);
    }
    egui::Grid::new("provenance_arguments")
        .striped(true)
        .num_columns(2)
        .show(ui, |ui| {
            for (name, value) in &provenance.arguments {
                ui.label(name);
                ui.add(egui::Label::new(crate::client::format::argument_text(value)).wrap());
                ui.end_row();
            }
        });

    ui.add_space(4.0);
    ui.strong(format!("Input files ({})", provenance.inputs.len()));
    egui::Grid::new("provenance_inputs")
        .striped(true)
        .num_columns(3)
        .show(ui, |ui| {
            for input in &provenance.inputs {
                hash_ui(ui, &input.sha256);
                ui.label(size_text(input.size));
                let source = match &input.parameter {
                    Some(parameter) => format!("{} (argument {parameter})", input.source),
                    None => input.source.clone(),
                };
                name_ui(ui, &input.path, Some(&source));
                ui.end_row();
            }
        });

    ui.add_space(4.0);
    ui.strong(format!("Output files ({})", provenance.outputs.len()));
    egui::Grid::new("provenance_outputs")
        .striped(true)
        .num_columns(3)
        .show(ui, |ui| {
            for output in &provenance.outputs {
                hash_ui(ui, &output.sha256);
                ui.label(size_text(output.size));
                name_ui(ui, &output.path, None);
                ui.end_row();
            }
        });

    let environment = &provenance.environment;
    ui.add_space(4.0);
    ui.strong("Environment");
    egui::Grid::new("provenance_environment")
        .num_columns(2)
        .show(ui, |ui| {
            ui.label("Python");
            match &environment.python {
                Some(python) => ui.add(
                    egui::Label::new(format!(
                        "{} ({}{})",
                        python.path,
                        python.version,
                        if python.virtual_env {
                            ", virtual environment"
                        } else {
                            ""
                        }
                    ))
                    .wrap(),
                ),
                None => ui.label("could not be asked"),
            };
            ui.end_row();
            ui.label("flowdesk");
            ui.label(&environment.flowdesk);
            ui.end_row();
        });
    match &environment.packages {
        Some(packages) => {
            egui::CollapsingHeader::new(format!("Packages ({})", packages.len()))
                .id_salt("provenance_packages")
                .show(ui, |ui| {
                    for package in packages {
                        ui.label(egui::RichText::new(package).monospace());
                    }
                });
        }
        None => {
            ui.label("Packages: not a virtual environment");
        }
    }
    if !environment.workers.is_empty() {
        egui::Grid::new("provenance_workers")
            .striped(true)
            .num_columns(2)
            .show(ui, |ui| {
                for worker in &environment.workers {
                    ui.label(format!("Worker of {}", worker.step));
                    ui.label(&worker.worker);
                    ui.end_row();
                }
            });
    }

    let machine = &provenance.machine;
    ui.add_space(4.0);
    ui.strong("Machine");
    egui::Grid::new("provenance_machine")
        .num_columns(2)
        .show(ui, |ui| {
            let rows = [
                ("System", format!("{} ({})", machine.os, machine.kernel)),
                (
                    "Processor",
                    format!("{} × {} ({})", machine.cores, machine.cpu, machine.arch),
                ),
                (
                    "Memory",
                    if machine.memory == 0 {
                        NO_VALUE.to_string()
                    } else {
                        size_text(machine.memory)
                    },
                ),
            ];
            for (name, value) in rows {
                ui.label(name);
                ui.add(egui::Label::new(value).wrap());
                ui.end_row();
            }
            ui.label("Fingerprint");
            hash_ui(ui, &machine.host_hash);
            ui.end_row();
        });

    ui.add_space(4.0);
    ui.strong(format!("Steps ({})", provenance.steps.len()));
    // One block per step rather than a five-column grid: the side panel is
    // narrow, and a command squeezed into a grid's column breaks after every
    // character.
    for step in &provenance.steps {
        let exit = match (step.exit_code, step.signal) {
            (Some(code), _) => format!("exit code {code}"),
            (None, Some(signal)) => format!("signal {signal}"),
            (None, None) => format!("exit code {NO_VALUE}"),
        };
        let memory = step
            .peak_memory
            .map(size_text)
            .unwrap_or_else(|| NO_VALUE.into());
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new(&step.name).strong())
                .on_hover_text(format!("worker {}", step.worker));
            ui.label(format!(
                "{exit} · {} · peak memory {memory}",
                duration_text(step.duration)
            ));
        });
        for command in &step.commands {
            ui.add(egui::Label::new(egui::RichText::new(command).monospace()).wrap());
        }
        ui.add_space(2.0);
    }
}
