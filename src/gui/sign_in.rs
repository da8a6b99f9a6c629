//! The dialog that adds a server and signs in or registers: the server's
//! address, a user name and a password (masked, sent once, never kept — the
//! server's token is what the app keeps). Errors from the server are shown in
//! the dialog in its own words, and the dialog stays open until it worked.

use super::state::{Action, AppState, ServerAction, ServerNotice};

pub struct SignInDialog {
    url: String,
    /// The server is already on the list: only sign in.
    known: bool,
    username: String,
    password: String,
    register: bool,
    /// Waiting for the server's answer.
    busy: bool,
    error: Option<String>,
    /// The last server notice seen.
    seen: u64,
}

impl SignInDialog {
    /// For a server on the list, or (`None`) a new one.
    pub fn new(url: Option<String>, state: &AppState) -> SignInDialog {
        let seen = state
            .server_notices
            .since(0)
            .last()
            .map(|(n, _)| n)
            .unwrap_or(0);
        SignInDialog {
            known: url.is_some(),
            url: url.unwrap_or_default(),
            username: String::new(),
            password: String::new(),
            register: false,
            busy: false,
            error: None,
            seen,
        }
    }

    /// Draw; false once it is closed.
    pub fn ui(&mut self, ctx: &egui::Context, state: &AppState, actions: &mut Vec<Action>) -> bool {
        for (n, notice) in state.server_notices.since(self.seen) {
            self.seen = n;
            match notice {
                ServerNotice::Done(_) if self.busy => {
                    self.password.clear();
                    return false;
                }
                ServerNotice::Failed(message) if self.busy => {
                    self.busy = false;
                    self.error = Some(message.clone());
                }
                _ => {}
            }
        }
        let mut open = true;
        egui::Window::new(if self.known {
            "Sign in"
        } else {
            "Add a server"
        })
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .show(ctx, |ui| {
            egui::Grid::new("sign-in").num_columns(2).show(ui, |ui| {
                let label = ui.label("Server URL");
                ui.add_enabled(
                    !self.known,
                    egui::TextEdit::singleline(&mut self.url)
                        .hint_text("https://bench.example.org/flowserv/api/v1"),
                )
                .labelled_by(label.id);
                ui.end_row();
                let label = ui.label("User name");
                ui.text_edit_singleline(&mut self.username)
                    .labelled_by(label.id);
                ui.end_row();
                let label = ui.label("Password");
                ui.add(egui::TextEdit::singleline(&mut self.password).password(true))
                    .labelled_by(label.id);
                ui.end_row();
            });
            ui.checkbox(&mut self.register, "Register a new user");
            if let Some(error) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            ui.horizontal(|ui| {
                let url = self.url.trim().to_string();
                let can_sign_in = !url.is_empty()
                    && !self.username.trim().is_empty()
                    && !self.password.is_empty();
                let verb = if self.register { "Register" } else { "Sign in" };
                if ui
                    .add_enabled(can_sign_in && !self.busy, egui::Button::new(verb))
                    .clicked()
                {
                    self.busy = true;
                    self.error = None;
                    actions.push(Action::Server(ServerAction::SignIn {
                        url: url.clone(),
                        username: self.username.trim().to_string(),
                        password: std::mem::take(&mut self.password),
                        register: self.register,
                    }));
                }
                if !self.known
                    && ui
                        .add_enabled(
                            !url.is_empty() && !self.busy,
                            egui::Button::new("Add without signing in"),
                        )
                        .on_hover_text(
                            "Benchmarks and leaderboards are public; runs need a sign-in",
                        )
                        .clicked()
                {
                    self.busy = true;
                    self.error = None;
                    actions.push(Action::Server(ServerAction::Add(url)));
                }
                if self.busy {
                    crate::gui::widgets::spinner::spinner(ui);
                }
            });
        });
        open
    }
}
