//! Placeholder chart (replaced by the widgets branch).
#[derive(Default)]
pub struct ColumnChart;
impl ColumnChart {
    pub fn ui(&mut self, ui: &mut egui::Ui, title: &str, points: &[[f64; 2]], _y: &str) {
        ui.label(format!("{title}: {} points", points.len()));
    }
}
