//! A busy indicator that moves twice a second. egui's own spinner asks for a
//! new frame on every frame, which kept a core 80–170 % busy while a run was
//! active; this one asks for the next frame half a second later, so an active
//! run costs two frames a second (a software-rendered frame of the whole
//! window is what the CPU goes to) and an idle window none.

use std::f32::consts::TAU;
use std::time::Duration;

/// How long each position of the indicator shows.
pub const STEP: Duration = Duration::from_millis(500);
/// Dots around the circle.
const DOTS: usize = 8;

/// Draw the indicator; it asks for its next frame only while it is visible.
pub fn spinner(ui: &mut egui::Ui) -> egui::Response {
    let size = ui.style().spacing.interact_size.y;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    if ui.is_rect_visible(rect) {
        let time = ui.input(|i| i.time);
        let current = (time / STEP.as_secs_f64()).floor() as usize % DOTS;
        let color = ui.visuals().strong_text_color();
        let center = rect.center();
        let radius = rect.height() * 0.35;
        let painter = ui.painter();
        for dot in 0..DOTS {
            // The current dot brightest, the ones behind it fading out.
            let behind = (current + DOTS - dot) % DOTS;
            let alpha = 1.0 - behind as f32 / DOTS as f32;
            let angle = dot as f32 / DOTS as f32 * TAU;
            let position = center + egui::vec2(angle.cos(), angle.sin()) * radius;
            painter.circle_filled(position, size * 0.08, color.gamma_multiply(alpha));
        }
        ui.ctx().request_repaint_after(STEP);
    }
    response
}
