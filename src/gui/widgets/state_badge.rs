//! The coloured run-state badge used in tables and headers: colour for a quick
//! glance, text so it does not depend on colour alone.

use crate::model::RunState;
use egui::{Color32, RichText};

/// Colour of a state.
pub fn color(state: RunState) -> Color32 {
    match state {
        RunState::Pending => Color32::from_rgb(0x9e, 0x9e, 0x9e),
        RunState::Running => Color32::from_rgb(0x1e, 0x88, 0xe5),
        RunState::Success => Color32::from_rgb(0x2e, 0x7d, 0x32),
        RunState::Error => Color32::from_rgb(0xc6, 0x28, 0x28),
        RunState::Canceled => Color32::from_rgb(0xef, 0x6c, 0x00),
    }
}

/// Show the badge.
pub fn state_badge(ui: &mut egui::Ui, state: RunState) -> egui::Response {
    let text = RichText::new(state.as_str())
        .color(Color32::WHITE)
        .strong()
        .small();
    egui::Frame::new()
        .fill(color(state))
        .corner_radius(4.0)
        .inner_margin(egui::Margin::symmetric(6, 1))
        .show(ui, |ui| ui.add(egui::Label::new(text).selectable(false)))
        .inner
}
