//! Notifications in a corner of the window: what finished, started or failed.
//! Successes fade after a few seconds, failures stay until dismissed; at most
//! three are stacked (the newest; a failure outlasts newer successes), and the stack moves to the other corner
//! when it would cover the field someone is typing in.

use std::time::{Duration, Instant};

/// How long a success stays.
const TOAST_TIME: Duration = Duration::from_secs(6);
/// How long a success takes to fade out at the end of its time.
const FADE_TIME: Duration = Duration::from_millis(600);
/// Frames per second while one fades: enough to look smooth, cheap to draw.
const FADE_STEP: Duration = Duration::from_millis(100);
/// How wide a notification is.
const TOAST_WIDTH: f32 = 360.0;
/// More than this many and the oldest goes.
const MAX_SHOWN: usize = 3;

/// Where a notification leads when its "Open" is clicked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToastLink {
    Run { benchmark: String, run: String },
    Leaderboard { benchmark: String },
}

struct Toast {
    text: String,
    error: bool,
    detail: Option<String>,
    link: Option<ToastLink>,
    shown: Instant,
}

#[derive(Default)]
pub struct Toasts {
    toasts: Vec<Toast>,
    /// Where the stack was drawn last frame, to keep it off a focused field.
    last_rect: Option<egui::Rect>,
    at_top: bool,
}

impl Toasts {
    pub fn push(
        &mut self,
        text: impl Into<String>,
        error: bool,
        detail: Option<String>,
        link: Option<ToastLink>,
    ) {
        self.toasts.push(Toast {
            text: text.into(),
            error,
            detail,
            link,
            shown: Instant::now(),
        });
        // Over the limit the oldest success goes first: a failure stays
        // until it was seen and dismissed, unless only failures are left.
        while self.toasts.len() > MAX_SHOWN {
            let oldest = self.toasts.iter().position(|t| !t.error).unwrap_or(0);
            self.toasts.remove(oldest);
        }
    }

    /// Draws the stack; returns the link of a clicked "Open".
    pub fn ui(&mut self, ctx: &egui::Context) -> Option<ToastLink> {
        self.toasts
            .retain(|t| t.error || t.shown.elapsed() < TOAST_TIME);
        if self.toasts.is_empty() {
            self.last_rect = None;
            return None;
        }
        // Repaint only when something changes: the next fade step, or when
        // the next success starts to fade.
        if let Some(next) = self
            .toasts
            .iter()
            .filter(|t| !t.error)
            .map(|t| {
                let left = TOAST_TIME.saturating_sub(t.shown.elapsed());
                if left <= FADE_TIME {
                    FADE_STEP.min(left)
                } else {
                    left - FADE_TIME
                }
            })
            .min()
        {
            ctx.request_repaint_after(next);
        }
        // Only a field being typed in counts: a focused button is done with.
        let focused = ctx
            .memory(|m| m.focused())
            .filter(|id| egui::TextEdit::load_state(ctx, *id).is_some())
            .and_then(|id| ctx.read_response(id))
            .map(|r| r.rect);
        // Never while the pointer is on the stack: a press on its "Open"
        // takes the focus from the field, and a stack that jumped away then
        // would let the release land elsewhere, losing the click.
        let pointer_on_stack = ctx
            .pointer_latest_pos()
            .zip(self.last_rect)
            .is_some_and(|(pointer, stack)| stack.contains(pointer));
        if !pointer_on_stack {
            self.at_top = place_at_top(self.last_rect, focused, self.at_top);
        }
        let (align, offset) = if self.at_top {
            (egui::Align2::RIGHT_TOP, egui::vec2(-12.0, 64.0))
        } else {
            (egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -48.0))
        };
        let mut dismiss = None;
        let mut open = None;
        let area = egui::Area::new(egui::Id::unique("toasts"))
            .anchor(align, offset)
            .show(ctx, |ui| {
                for (i, toast) in self.toasts.iter().enumerate().rev() {
                    // One id scope per toast: two with "Details" must not clash.
                    ui.push_id(i, |ui| {
                        ui.set_opacity(opacity(toast));
                        egui::Frame::popup(ui.style()).show(ui, |ui| {
                            // One width from the first frame: a stack that grew
                            // as its text wrapped would slide left under the
                            // pointer (it is anchored at the right).
                            ui.set_width(TOAST_WIDTH);
                            toast_ui(ui, toast, || dismiss = Some(i), &mut open);
                        })
                    });
                }
            });
        // The area is placed by the size it had last frame: when a toast came
        // or went, lay the frame out again so no toast is ever shown (or
        // clicked) where it does not stay.
        if self.last_rect.map(|r| r.size()) != Some(area.response.rect.size()) {
            ctx.request_discard("the notification stack changed size");
        }
        self.last_rect = Some(area.response.rect);
        if let Some(i) = dismiss {
            self.toasts.remove(i);
        }
        if open.is_some() {
            // Followed: it did its job.
            self.toasts.retain(|t| t.link.is_none() || t.link != open);
        }
        open
    }
}

fn toast_ui(
    ui: &mut egui::Ui,
    toast: &Toast,
    mut dismiss: impl FnMut(),
    open: &mut Option<ToastLink>,
) {
    let color = if toast.error {
        ui.visuals().error_fg_color
    } else {
        ui.visuals().text_color()
    };
    ui.add(egui::Label::new(egui::RichText::new(&toast.text).color(color)).wrap());
    ui.horizontal(|ui| {
        if let Some(link) = &toast.link {
            if ui.small_button("Open").clicked() {
                *open = Some(link.clone());
            }
        }
        if ui.small_button("Dismiss").clicked() {
            dismiss();
        }
    });
    if let Some(detail) = &toast.detail {
        ui.collapsing("Details", |ui| {
            ui.add(egui::Label::new(detail).wrap());
        });
    }
}

/// Fully visible until the last [`FADE_TIME`] of a success.
fn opacity(toast: &Toast) -> f32 {
    if toast.error {
        return 1.0;
    }
    let left = TOAST_TIME.saturating_sub(toast.shown.elapsed());
    (left.as_secs_f32() / FADE_TIME.as_secs_f32()).clamp(0.0, 1.0)
}

/// Whether the stack goes to the top corner: when at the bottom it would
/// cover the focused field; it stays there while that field keeps focus, so
/// it does not jump back and forth.
fn place_at_top(stack: Option<egui::Rect>, focused: Option<egui::Rect>, at_top: bool) -> bool {
    match (stack, focused) {
        (_, None) => false,
        (Some(stack), Some(field)) if !at_top => stack.intersects(field),
        _ => at_top,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x: f32, y: f32, w: f32, h: f32) -> egui::Rect {
        egui::Rect::from_min_size(egui::pos2(x, y), egui::vec2(w, h))
    }

    #[test]
    fn the_stack_leaves_a_focused_field_it_would_cover() {
        let stack = Some(rect(600.0, 500.0, 380.0, 120.0));
        assert!(place_at_top(
            stack,
            Some(rect(650.0, 560.0, 200.0, 20.0)),
            false
        ));
        assert!(!place_at_top(
            stack,
            Some(rect(10.0, 100.0, 200.0, 20.0)),
            false
        ));
        // Stays at the top while something has focus, returns when nothing has.
        assert!(place_at_top(
            stack,
            Some(rect(10.0, 100.0, 200.0, 20.0)),
            true
        ));
        assert!(!place_at_top(stack, None, true));
    }

    #[test]
    fn at_most_three_are_kept_and_a_failure_outlasts_successes() {
        let mut toasts = Toasts::default();
        for i in 0..5 {
            toasts.push(format!("n{i}"), i == 0, None, None);
        }
        let texts: Vec<_> = toasts.toasts.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["n0", "n3", "n4"]);
        for i in 5..9 {
            toasts.push(format!("n{i}"), true, None, None);
        }
        let texts: Vec<_> = toasts.toasts.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["n6", "n7", "n8"]);
    }
}
