//! The coloured run-state badge used in tables and headers: colour for a quick
//! glance, text so it does not depend on colour alone.

use crate::model::RunState;
use egui::{Color32, RichText};

/// Colour of a state: dark enough that the badge's small white text reads at
/// a contrast of at least 4.5:1 (WCAG AA), on the light and the dark theme.
pub fn color(state: RunState) -> Color32 {
    match state {
        RunState::Pending => Color32::from_rgb(0x61, 0x61, 0x61),
        RunState::Running => Color32::from_rgb(0x15, 0x65, 0xc0),
        RunState::Success => Color32::from_rgb(0x2e, 0x7d, 0x32),
        RunState::Error => Color32::from_rgb(0xc6, 0x28, 0x28),
        RunState::Canceled => Color32::from_rgb(0xb4, 0x53, 0x09),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG relative luminance.
    fn luminance(c: Color32) -> f64 {
        let channel = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.039_28 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(c.r()) + 0.7152 * channel(c.g()) + 0.0722 * channel(c.b())
    }

    #[test]
    fn white_badge_text_reads_on_every_state() {
        for state in [
            RunState::Pending,
            RunState::Running,
            RunState::Success,
            RunState::Error,
            RunState::Canceled,
        ] {
            let contrast = (1.0 + 0.05) / (luminance(color(state)) + 0.05);
            assert!(contrast >= 4.5, "{state:?}: {contrast:.2}:1");
        }
    }
}
