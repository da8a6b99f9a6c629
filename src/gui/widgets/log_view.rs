//! Placeholder log view (replaced by the widgets branch).
use std::path::PathBuf;
pub struct LogView {
    path: PathBuf,
}
impl LogView {
    pub fn new(path: PathBuf) -> Self {
        LogView { path }
    }
    pub fn set_following(&mut self, _following: bool) {}
    pub fn notify_appended(&mut self) {}
    pub fn focus_search(&mut self) {}
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        egui::ScrollArea::vertical().show(ui, |ui| {
            for line in text.lines() {
                ui.label(line);
            }
        });
    }
}
