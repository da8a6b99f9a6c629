//! Badges of where a run came from and how its latest reproduction went
//! (`imported`, `imported (different template)`, `reproduced`, `reproduced
//! within tolerance`, `differs`), for the leaderboard and the Run detail:
//! colour for a quick glance, the words of the view model so that the GUI and
//! the CLI say the same.

use crate::client::{ReproductionOutcome, RunBadges};
use egui::{Color32, RichText};

/// Colour of a reproduction outcome.
pub fn outcome_color(outcome: ReproductionOutcome) -> Color32 {
    match outcome {
        ReproductionOutcome::Reproduced => Color32::from_rgb(0x2e, 0x7d, 0x32),
        ReproductionOutcome::WithinTolerance => Color32::from_rgb(0x55, 0x8b, 0x2f),
        ReproductionOutcome::Differs => Color32::from_rgb(0xc6, 0x28, 0x28),
    }
}

/// One badge.
pub fn badge(ui: &mut egui::Ui, text: &str, fill: Color32) -> egui::Response {
    let text = RichText::new(text).color(Color32::WHITE).strong().small();
    egui::Frame::new()
        .fill(fill)
        .corner_radius(4.0)
        .inner_margin(egui::Margin::symmetric(6, 1))
        .show(ui, |ui| ui.add(egui::Label::new(text).selectable(false)))
        .inner
}

/// The badge of a reproduction outcome.
pub fn outcome_badge(ui: &mut egui::Ui, outcome: ReproductionOutcome) -> egui::Response {
    badge(ui, outcome.label(), outcome_color(outcome))
}

/// Every badge of a leaderboard row, side by side.
pub fn badges_ui(ui: &mut egui::Ui, badges: &RunBadges) {
    let imported = Color32::from_rgb(0x5e, 0x35, 0xb1);
    let different = Color32::from_rgb(0xef, 0x6c, 0x00);
    for mark in badges.marks() {
        match badges.reproduction {
            Some(outcome) if mark == outcome.label() => {
                let response = outcome_badge(ui, outcome);
                if let Some(deviation) = badges.max_deviation {
                    response.on_hover_text(format!("largest deviation {deviation}"));
                }
            }
            _ => {
                let fill = if badges.different_template {
                    different
                } else {
                    imported
                };
                badge(ui, &mark, fill);
            }
        }
    }
}
