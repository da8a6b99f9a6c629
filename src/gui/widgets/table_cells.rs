//! Pieces the Runs and Leaderboard tables share: right-aligned number cells
//! and the first width of a sortable column.

/// A cell of a number, right-aligned so that the column's values line up.
pub fn number_cell(row: &mut egui_extras::TableRow<'_, '_>, text: String) {
    row.col(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.add(egui::Label::new(text).selectable(false));
        });
    });
}

/// How wide the header button of a column labelled `label` is, with room for
/// a sort arrow.
pub fn header_width(ui: &egui::Ui, label: &str) -> f32 {
    let font = egui::TextStyle::Button.resolve(ui.style());
    let text = ui.fonts_mut(|f| {
        f.layout_no_wrap(format!("{label} (desc)"), font, egui::Color32::PLACEHOLDER)
            .size()
            .x
    });
    text + 2.0 * ui.spacing().button_padding.x + ui.spacing().item_spacing.x
}
