//! Buttons with an icon from the Material Symbols font (the
//! `egui_material_icons` crate) and the primary style for the one action a
//! screen is for (Run, New run, Install).
//!
//! The icon is decoration: the button's accessible name is its text alone, so
//! screen readers (and the kittest tests, which find widgets by that name) read
//! "Run", not a private-use code point followed by "Run".

use egui::{Button, Color32, Response, RichText, Role, Ui, WidgetInfo};
pub use egui_material_icons::icons::*;
use egui_material_icons::MaterialIcon;

/// The accent of primary buttons, readable with white text on the light and
/// the dark theme alike.
const PRIMARY: Color32 = Color32::from_rgb(0x1f, 0x6f, 0xeb);
const PRIMARY_HOVER: Color32 = Color32::from_rgb(0x38, 0x84, 0xf4);

/// Registers the icon font. Call once when the window starts.
pub fn install_icon_font(ctx: &egui::Context) {
    egui_material_icons::initialize(ctx);
}

/// A button showing `icon` before `text`.
pub fn icon_button(ui: &mut Ui, icon: MaterialIcon, text: &str) -> Response {
    icon_button_enabled(ui, true, icon, text)
}

/// [`icon_button`], greyed out and inert unless `enabled`.
pub fn icon_button_enabled(ui: &mut Ui, enabled: bool, icon: MaterialIcon, text: &str) -> Response {
    let response = ui.add_enabled(enabled, Button::new((icon.rich_text(), text)));
    name_it(&response, enabled, text);
    response
}

/// [`icon_button`] as a widget, for `ui.add_enabled(…)`, `ui.add_sized(…)`.
pub fn icon_button_widget(icon: MaterialIcon, text: &str) -> impl egui::Widget + '_ {
    move |ui: &mut Ui| {
        let response = ui.add(Button::new((icon.rich_text(), text)));
        name_it(&response, ui.is_enabled(), text);
        response
    }
}

/// The screen's main action: white text on the accent colour.
pub fn primary_button(ui: &mut Ui, enabled: bool, icon: MaterialIcon, text: &str) -> Response {
    ui.add_enabled(enabled, primary_button_widget(icon, text))
}

/// [`primary_button`] as a widget, for `ui.add_enabled(…)`.
pub fn primary_button_widget(icon: MaterialIcon, text: &str) -> impl egui::Widget + '_ {
    move |ui: &mut Ui| {
        let enabled = ui.is_enabled();
        let hovered = ui
            .ctx()
            .read_response(ui.next_auto_id())
            .is_some_and(|r| r.hovered());
        let fill = if hovered && enabled {
            PRIMARY_HOVER
        } else {
            PRIMARY
        };
        let button = Button::new((
            icon.rich_text().color(Color32::WHITE),
            RichText::new(text).color(Color32::WHITE).strong(),
        ))
        .fill(fill);
        let response = ui.add(button);
        name_it(&response, enabled, text);
        response
    }
}

/// Gives the button its text as accessible name, without the icon.
fn name_it(response: &Response, enabled: bool, text: &str) {
    response.widget_info(|| WidgetInfo::labeled(Role::Button, enabled, text));
}
