//! The system's fonts as fallbacks for what egui's own fonts lack (CJK, most
//! emoji, many symbols): benchmark, submission and file names come from
//! people and must not turn into boxes. Nothing is shipped; installed fonts are
//! found with `fontdb` and handed to egui through its `FontProvider` hook,
//! which asks only when a character no font has is about to be drawn.
//!
//! Start-up stays fast: the font folders are scanned on a thread of their own
//! (only the headers of each file, memory-mapped), and a font file is read
//! only when one of its characters is first needed.

use egui::epaint::text::{FallbackRequest, FontData, FontInsert, FontPriority, InsertFontFamily};
use egui::{FontFamily, FontProvider};
use skrifa::raw::TableProvider as _;
use skrifa::MetadataProvider as _;
use std::sync::{Arc, OnceLock};

/// Families asked first, in this order, because they cover whole scripts with
/// outlines egui can draw. Anything else installed is the last resort.
const PREFERRED: &[&str] = &[
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Sans CJK KR",
    "Source Han Sans",
    "Droid Sans Fallback",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans",
    "DejaVu Sans",
    "Noto Emoji",
    "Symbola",
    "Noto Color Emoji",
];

/// Installed system fonts, scanned once.
#[derive(Clone, Default)]
pub struct SystemFonts {
    database: Arc<OnceLock<fontdb::Database>>,
}

impl SystemFonts {
    /// Start scanning the font folders in the background.
    pub fn start() -> Self {
        let fonts = SystemFonts::default();
        let database = fonts.database.clone();
        let spawned = std::thread::Builder::new()
            .name("system fonts".into())
            .spawn(move || {
                database.get_or_init(load);
            });
        // Without the thread the first missing character scans instead.
        if let Err(error) = spawned {
            eprintln!("flowdesk: cannot scan the system fonts in the background: {error}");
        }
        fonts
    }

    /// The scanned fonts; waits for the scan if it is still under way (it is
    /// asked from the UI thread only when a character needs a font).
    fn database(&self) -> &fontdb::Database {
        self.database.get_or_init(load)
    }

    /// The name and file of an installed font that can draw `c`, preferring
    /// the families of [`PREFERRED`] and regular faces.
    pub fn font_for_char(&self, c: char) -> Option<(String, FontData)> {
        let database = self.database();
        let mut candidates: Vec<&fontdb::FaceInfo> = database.faces().collect();
        candidates.sort_by_key(|face| {
            let preferred = face
                .families
                .iter()
                .filter_map(|(name, _)| PREFERRED.iter().position(|p| p == name))
                .min()
                .unwrap_or(PREFERRED.len());
            let regular = face.style == fontdb::Style::Normal;
            (preferred, !regular, face.weight.0.abs_diff(400))
        });
        let face = candidates.into_iter().find(|face| {
            database
                .with_face_data(face.id, |data, index| draws(data, index, c))
                .unwrap_or(false)
        })?;
        let bytes = match &face.source {
            fontdb::Source::Binary(data) => (**data).as_ref().to_vec(),
            fontdb::Source::File(path) | fontdb::Source::SharedFile(path, _) => {
                match std::fs::read(path) {
                    Ok(bytes) => bytes,
                    Err(error) => {
                        eprintln!(
                            "flowdesk: cannot read the font `{}`: {error}",
                            path.display()
                        );
                        return None;
                    }
                }
            }
        };
        Some((
            face.post_script_name.clone(),
            FontData::from_blob(Arc::new(bytes), face.index),
        ))
    }
}

/// Scan the system's font folders (headers only).
fn load() -> fontdb::Database {
    let mut database = fontdb::Database::new();
    database.load_system_fonts();
    database
}

/// Whether the face maps `c` to a glyph that egui can draw: an outline, not
/// only a colour bitmap (egui here draws outlines only, a bitmap-only emoji
/// font would show nothing).
fn draws(data: &[u8], index: u32, c: char) -> bool {
    let Ok(font) = skrifa::FontRef::from_index(data, index) else {
        return false;
    };
    let outlines = font.glyf().is_ok() || font.cff().is_ok() || font.cff2().is_ok();
    outlines && font.charmap().map(c).is_some()
}

impl FontProvider for SystemFonts {
    fn font_for(&self, request: &FallbackRequest<'_>) -> Option<FontInsert> {
        let c = request.cluster.chars().next()?;
        let (name, data) = self.font_for_char(c)?;
        // Both families, so a name looks the same in a label and in a log.
        let families = [FontFamily::Proportional, FontFamily::Monospace]
            .into_iter()
            .map(|family| InsertFontFamily {
                family,
                priority: FontPriority::Lowest,
            })
            .collect();
        Some(FontInsert::new(&format!("system: {name}"), data, families))
    }
}

/// Add the system fonts as fallbacks of `ctx`'s fonts.
pub fn install(ctx: &egui::Context) {
    ctx.add_font_provider(Arc::new(SystemFonts::start()));
}
