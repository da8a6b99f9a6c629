//! Placeholder file view (replaced by the widgets branch).
use std::path::PathBuf;
pub struct FileView {
    path: PathBuf,
}
impl FileView {
    pub fn new(path: PathBuf, _hint: Option<()>) -> Self {
        FileView { path }
    }
    pub fn from_output_spec(
        _f: Option<&serde_json::Value>,
        _w: Option<&serde_json::Value>,
        path: PathBuf,
    ) -> Self {
        FileView { path }
    }
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        ui.label(std::fs::read_to_string(&self.path).unwrap_or_default());
    }
}
