//! Markdown rendering for benchmark descriptions and instructions, so every screen
//! shows them the same way and the parsed-document cache lives in one place.

use std::path::Path;

use egui_commonmark::{CommonMarkCache, CommonMarkViewer};

/// Renders Markdown text; keep one per place it is shown (the cache holds per-text
/// state such as image sizes).
#[derive(Default)]
pub struct Markdown {
    cache: CommonMarkCache,
    /// Prefix for relative image paths (`file:///…/`).
    base_uri: Option<String>,
}

impl Markdown {
    pub fn new() -> Self {
        Self::default()
    }

    /// Resolve relative image paths against `folder` (e.g. the
    /// benchmark's template folder). Images load only if the app installed egui
    /// image loaders.
    pub fn with_base_dir(mut self, folder: &Path) -> Self {
        let mut uri = format!("file://{}", folder.display());
        if !uri.ends_with('/') {
            uri.push('/');
        }
        self.base_uri = Some(uri);
        self
    }

    /// Show `text`. Call every frame it is on screen.
    pub fn ui(&mut self, ui: &mut egui::Ui, text: &str) {
        let mut viewer = CommonMarkViewer::new();
        if let Some(base) = &self.base_uri {
            viewer = viewer.default_implicit_uri_scheme(base.clone());
        }
        viewer.show(ui, &mut self.cache, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::kittest::Queryable as _;
    use egui_kittest::Harness;

    #[test]
    fn renders_headings_lists_and_links() {
        let mut markdown = Markdown::new();
        let text = "# Hello World\n\nRun `code/helloworld.py` with:\n\n- a **names** file\n- a greeting\n\nSee [flowServ](https://github.com/scailfin/flowserv-core).";
        let mut harness = Harness::new_ui(move |ui| markdown.ui(ui, text));
        harness.run();
        assert!(harness.query_by_label("Hello World").is_some());
        assert!(harness.query_by_label_contains("a greeting").is_some());
        assert!(harness.query_by_label("flowServ").is_some());
    }
}
