//! Where the work happens: the top of the left panel lists "This computer" and
//! the flowServ servers added, with who is signed in to each; choosing one
//! shows its benchmarks with the same screens. Also the server line of the
//! status bar ("updated 3 s ago", or offline with the time of what is shown)
//! and the dialog that sends a local run to a server.

use super::state::{Action, AppState, ServerAction};
use crate::client::format::time_text;
use std::time::SystemTime;

/// The backend chooser at the top of the left panel.
#[derive(Default)]
pub struct ServersPanel;

impl ServersPanel {
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, actions: &mut Vec<Action>) {
        ui.heading("Where");
        let local = state.backend.is_none();
        if ui
            .selectable_label(local, "This computer")
            .on_hover_text("Benchmarks installed here; runs on this computer")
            .clicked()
            && !local
        {
            actions.push(Action::Server(ServerAction::Use(None)));
        }
        for server in &state.servers {
            let shown = state.backend.as_deref() == Some(server.url.as_str());
            ui.horizontal(|ui| {
                let label = match &server.username {
                    Some(user) if server.signed_in() => format!("{} ({user})", server.url),
                    _ => server.url.clone(),
                };
                if ui
                    .selectable_label(shown, label)
                    .on_hover_text(if server.signed_in() {
                        "A flowServ server: its benchmarks, your submissions and runs there"
                    } else {
                        "A flowServ server (not signed in: benchmarks and leaderboards only)"
                    })
                    .clicked()
                    && !shown
                {
                    actions.push(Action::Server(ServerAction::Use(Some(server.url.clone()))));
                }
            });
            if shown {
                ui.horizontal(|ui| {
                    if server.signed_in() {
                        if ui.small_button("Sign out").clicked() {
                            actions.push(Action::Server(ServerAction::SignOut(server.url.clone())));
                        }
                    } else if ui.small_button("Sign in").clicked() {
                        actions.push(Action::Server(ServerAction::OpenSignIn(Some(
                            server.url.clone(),
                        ))));
                    }
                    if ui
                        .small_button("Remove server")
                        .on_hover_text("Take it off the list (signs out; runs stay on the server)")
                        .clicked()
                    {
                        actions.push(Action::Server(ServerAction::Remove(server.url.clone())));
                    }
                });
            }
        }
        if ui
            .button("Add server…")
            .on_hover_text("Connect to a flowServ server: its URL, then sign in or register")
            .clicked()
        {
            actions.push(Action::Server(ServerAction::OpenSignIn(None)));
        }
        ui.separator();
    }
}

/// "12 s ago", "3 min ago".
pub fn ago(when: SystemTime) -> String {
    let seconds = SystemTime::now()
        .duration_since(when)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    match seconds {
        0..=59 => format!("{seconds} s ago"),
        60..=3599 => format!("{} min ago", seconds / 60),
        _ => format!("{} h ago", seconds / 3600),
    }
}

/// The server part of the status bar; nothing for this computer.
pub fn status_ui(ui: &mut egui::Ui, state: &AppState) {
    let Some(server) = &state.backend else {
        return;
    };
    if let Some((sent, total)) = state.upload {
        let fraction = if total == 0 {
            1.0
        } else {
            sent as f32 / total as f32
        };
        ui.add(
            egui::ProgressBar::new(fraction)
                .desired_width(160.0)
                .text(format!(
                    "Uploading {} of {} KB",
                    sent / 1024,
                    total.max(1) / 1024
                )),
        );
    }
    let status = state.connection.as_ref();
    let who = status
        .and_then(|s| s.signed_in_as.clone())
        .map(|user| format!("signed in as {user}"))
        .unwrap_or_else(|| "not signed in".into());
    match status {
        Some(status) if !status.online => {
            let from = status
                .data_from
                .map(|at| format!("; showing what was seen at {}", time_text(&at)))
                .unwrap_or_default();
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!("Offline: {server}{from}"),
            )
            .on_hover_text(status.message.clone().unwrap_or_default());
        }
        _ => {
            let updated = status
                .and_then(|s| s.updated)
                .map(|at| format!(", updated {}", ago(at)))
                .unwrap_or_default();
            ui.label(format!("Server {server} — {who}{updated}"));
        }
    }
}

/// The dialog that sends a local run to a server's submission.
pub struct SubmitDialog {
    run: String,
    server: Option<String>,
    submission: String,
    benchmark: String,
}

impl SubmitDialog {
    pub fn new(run: String, state: &AppState) -> SubmitDialog {
        SubmitDialog {
            run,
            server: state
                .servers
                .iter()
                .find(|s| s.signed_in())
                .map(|s| s.url.clone()),
            submission: String::new(),
            benchmark: String::new(),
        }
    }

    /// Draw; false once it is closed.
    pub fn ui(&mut self, ctx: &egui::Context, state: &AppState, actions: &mut Vec<Action>) -> bool {
        let mut open = true;
        let mut close = false;
        egui::Window::new("Submit to a server")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                ui.label(format!(
                    "Run {} goes to the server with the same arguments and input files.",
                    self.run
                ));
                let signed_in: Vec<&str> = state
                    .servers
                    .iter()
                    .filter(|s| s.signed_in())
                    .map(|s| s.url.as_str())
                    .collect();
                if signed_in.is_empty() {
                    ui.label("Sign in to a server first (Add server… on the left).");
                    return;
                }
                let label = ui.label("Server");
                egui::ComboBox::from_id_salt("submit-server")
                    .selected_text(self.server.clone().unwrap_or_default())
                    .show_ui(ui, |ui| {
                        for url in &signed_in {
                            ui.selectable_value(&mut self.server, Some(url.to_string()), *url);
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.horizontal(|ui| {
                    let label = ui.label("Submission there (empty: your only one)");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.submission)
                            .id_salt("submit-submission"),
                    )
                    .labelled_by(label.id);
                });
                ui.horizontal(|ui| {
                    let label = ui.label("Benchmark there (empty: the same id or name)");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.benchmark).id_salt("submit-benchmark"),
                    )
                    .labelled_by(label.id);
                });
                if ui.button("Submit").clicked() {
                    if let Some(server) = self.server.clone() {
                        let given = |text: &str| {
                            let text = text.trim();
                            (!text.is_empty()).then(|| text.to_string())
                        };
                        actions.push(Action::Server(ServerAction::Submit {
                            run: self.run.clone(),
                            server,
                            submission: given(&self.submission),
                            benchmark: given(&self.benchmark),
                        }));
                        close = true;
                    }
                }
            });
        open && !close
    }
}
