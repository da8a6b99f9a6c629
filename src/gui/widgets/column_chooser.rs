//! The "Columns" menu of the Runs and Leaderboard tables: a check box per
//! column that can be hidden, staying open while boxes are ticked. Which
//! columns a benchmark hides is the caller's (it is remembered per benchmark).

use super::buttons::ICON_VIEW_COLUMN;

/// One column the menu offers.
pub struct ChooserColumn<'a> {
    pub key: &'a str,
    pub label: &'a str,
    pub shown: bool,
    /// Said on hover, when showing the column depends on more than the box.
    pub hint: Option<&'a str>,
}

/// Show the menu button; returns the column whose box was ticked or cleared
/// in this frame, with whether it is now shown.
pub fn column_chooser<'a>(
    ui: &mut egui::Ui,
    columns: impl IntoIterator<Item = ChooserColumn<'a>>,
) -> Option<(&'a str, bool)> {
    let config = egui::containers::menu::MenuConfig::new()
        .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside);
    let mut changed = None;
    let (response, _) =
        egui::containers::menu::MenuButton::new((ICON_VIEW_COLUMN.rich_text(), "Columns"))
            .config(config)
            .ui(ui, |ui| {
                for column in columns {
                    let mut shown = column.shown;
                    let response = ui.checkbox(&mut shown, column.label);
                    let response = match column.hint {
                        Some(hint) => response.on_hover_text(hint),
                        None => response,
                    };
                    if response.changed() {
                        changed = Some((column.key, shown));
                    }
                }
            });
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, "Columns"));
    changed
}
