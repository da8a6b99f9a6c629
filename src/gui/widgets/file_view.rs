//! Viewer for one output file of a run or of post-processing: text, JSON tree, CSV
//! table with a plot, or image, chosen from the template's `format`/`widget` hints or
//! the file extension.
//!
//! Output files can be large and the disk can be slow, so the file is read and
//! parsed on a background thread; the UI shows a spinner until it is ready, then
//! draws only what is on screen (virtualized rows, collapsed JSON subtrees, paged
//! arrays). A file that cannot be shown ends as a message naming the file, never a
//! panic.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver};

use crate::client::format::size_text;
use egui::{Color32, RichText, TextStyle, TextureHandle, TextureOptions};
use egui_extras::{Column, TableBuilder};
use egui_plot::{Line, Plot, PlotPoints, Points};
use serde_json::Value;

/// Text files larger than this show only their beginning.
const TEXT_CAP: u64 = 16 << 20;
/// CSV files larger than this show only their first rows.
const CSV_CAP: u64 = 128 << 20;
/// JSON files larger than this are not turned into a tree (it would need several
/// times the file size in memory).
const JSON_CAP: u64 = 64 << 20;
/// Images with a side longer than this are refused before decoding.
const IMAGE_MAX_SIDE: u32 = 20_000;
/// Children of a JSON object or array shown before "Show more".
const JSON_PAGE: usize = 100;
/// Characters of one text line or table cell laid out; a giant line (a minified
/// file, say) would otherwise cost a huge galley every frame.
const MAX_SHOWN_CHARS: usize = 10_000;
/// A plot draws at most this many points; longer columns are sampled evenly.
const PLOT_MAX_POINTS: usize = 20_000;

/// Gives every view its own egui ids.
static NEXT_VIEW_ID: AtomicU64 = AtomicU64::new(0);

/// Which viewer shows a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViewerKind {
    Text,
    Json,
    Csv,
    Image,
}

impl ViewerKind {
    /// The viewer for a file extension; text for anything unknown.
    pub fn from_path(path: &Path) -> Self {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match extension.as_str() {
            "json" | "geojson" => Self::Json,
            "csv" | "tsv" => Self::Csv,
            "png" | "jpg" | "jpeg" => Self::Image,
            _ => Self::Text,
        }
    }

    /// The viewer named by a flowServ `format` or `widget` type (`csv`, `json`,
    /// `image`, `plaintext`, `vega`, …); `None` if the name says nothing we know.
    fn from_type_name(name: &str, path: &Path) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "csv" | "tsv" | "table" => Some(Self::Csv),
            "json" | "tree" => Some(Self::Json),
            "image" | "img" | "png" | "jpg" | "jpeg" => Some(Self::Image),
            "text" | "txt" | "plaintext" | "plain" | "markdown" | "md" | "log" => Some(Self::Text),
            // A chart: its data is shown as a table with a plot if it is tabular,
            // else as what its extension says.
            "vega" | "vega-lite" | "vega_lite" | "vegalite" | "chart" | "plot" => {
                Some(match Self::from_path(path) {
                    Self::Text => Self::Csv,
                    other => other,
                })
            }
            _ => None,
        }
    }
}

/// How a CSV file is split into cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CsvOptions {
    delimiter: u8,
    /// The first row names the columns.
    header: bool,
}

impl CsvOptions {
    fn for_path(path: &Path) -> Self {
        let tsv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
        Self {
            delimiter: if tsv { b'\t' } else { b',' },
            header: true,
        }
    }
}

/// The `type` of a `format`/`widget` element: a plain string or `{type: …}`.
fn spec_type(spec: Option<&Value>) -> Option<&str> {
    match spec? {
        Value::String(name) => Some(name),
        Value::Object(map) => map.get("type").and_then(Value::as_str),
        _ => None,
    }
}

/// CSV settings from a `format` element (`delim`/`delimiter`/`separator`, `header`).
fn csv_options(format: Option<&Value>, path: &Path) -> CsvOptions {
    let mut options = CsvOptions::for_path(path);
    if let Some(Value::Object(map)) = format {
        let delimiter = ["delim", "delimiter", "separator", "sep"]
            .iter()
            .find_map(|key| map.get(*key).and_then(Value::as_str));
        if let Some(delimiter) = delimiter {
            let delimiter = if delimiter == "\\t" { "\t" } else { delimiter };
            if let [byte] = delimiter.as_bytes() {
                options.delimiter = *byte;
            }
        }
        if let Some(header) = map.get("header").and_then(Value::as_bool) {
            options.header = header;
        }
    }
    options
}

// ---------------------------------------------------------------------------
// Loading (background thread)

/// A loaded file, ready to show.
enum Loaded {
    Text(TextDoc),
    Json(JsonDoc),
    Csv(CsvDoc),
    Image(ImageDoc),
}

enum Load {
    NotStarted,
    Loading(Receiver<Result<Loaded, String>>),
    Ready(Box<Loaded>),
    Failed(String),
}

/// Read at most `cap` bytes; also returns the file size.
fn read_head(path: &Path, cap: u64) -> io::Result<(Vec<u8>, u64)> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    let mut bytes = Vec::with_capacity(size.min(cap) as usize);
    file.take(cap).read_to_end(&mut bytes)?;
    Ok((bytes, size))
}

fn describe_io(path: &Path, error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => format!("The file `{}` does not exist.", path.display()),
        _ => format!("Cannot read `{}`: {error}", path.display()),
    }
}

fn load(
    path: &Path,
    kind: ViewerKind,
    csv: CsvOptions,
    max_texture_side: usize,
) -> Result<Loaded, String> {
    match kind {
        ViewerKind::Text => load_text(path).map(Loaded::Text),
        ViewerKind::Json => load_json(path).map(Loaded::Json),
        ViewerKind::Csv => load_csv(path, csv).map(Loaded::Csv),
        ViewerKind::Image => load_image(path, max_texture_side).map(Loaded::Image),
    }
}

/// `text`, cut to [`MAX_SHOWN_CHARS`] characters with a note.
fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_SHOWN_CHARS) {
        Some((cut, _)) => format!("{} … (cut)", &text[..cut]).into(),
        None => text.into(),
    }
}

// -- text ---------------------------------------------------------------------

struct TextDoc {
    text: String,
    /// Byte offset where each line starts.
    line_starts: Vec<usize>,
    /// Shown when only the beginning of the file is loaded.
    note: Option<String>,
}

impl TextDoc {
    fn new(text: String, note: Option<String>) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        if line_starts.last() == Some(&text.len()) && line_starts.len() > 1 {
            line_starts.pop();
        }
        Self {
            text,
            line_starts,
            note,
        }
    }

    fn line(&self, index: usize) -> &str {
        let start = self.line_starts[index];
        let end = self
            .line_starts
            .get(index + 1)
            .map_or(self.text.len(), |next| next - 1);
        let line = &self.text[start..end.max(start)];
        line.strip_suffix('\r').unwrap_or(line)
    }
}

fn load_text(path: &Path) -> Result<TextDoc, String> {
    let (bytes, size) = read_head(path, TEXT_CAP).map_err(|e| describe_io(path, &e))?;
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err(format!(
            "`{}` looks like a binary file; use Open to view it with another program.",
            path.display()
        ));
    }
    let note = (size > TEXT_CAP).then(|| {
        format!(
            "The file is too large ({}); showing the first {}.",
            size_text(size),
            size_text(TEXT_CAP)
        )
    });
    Ok(TextDoc::new(
        String::from_utf8_lossy(&bytes).into_owned(),
        note,
    ))
}

// -- JSON ---------------------------------------------------------------------

struct JsonDoc {
    value: Value,
    /// How many children are shown, per object/array that has "Show more"d.
    shown: HashMap<egui::Id, usize>,
}

fn load_json(path: &Path) -> Result<JsonDoc, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| describe_io(path, &e))?
        .len();
    if size > JSON_CAP {
        return Err(format!(
            "`{}` is too large ({}) to show as a tree; use Open to view it with another program.",
            path.display(),
            size_text(size)
        ));
    }
    let (bytes, _) = read_head(path, JSON_CAP).map_err(|e| describe_io(path, &e))?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("`{}` is not valid JSON: {e}", path.display()))?;
    Ok(JsonDoc {
        value,
        shown: HashMap::new(),
    })
}

// -- CSV ----------------------------------------------------------------------

/// A parsed CSV file: all cell texts in one string, so a million-cell table costs
/// about its file size plus four bytes per cell.
struct CsvDoc {
    headers: Vec<String>,
    text: String,
    /// End offset (in `text`) of each cell, row after row.
    cell_ends: Vec<u32>,
    /// Index in `cell_ends` of each row's first cell, plus one past the last row.
    row_starts: Vec<u32>,
    /// Columns whose non-empty cells are all numbers (at least one).
    numeric: Vec<bool>,
    note: Option<String>,
    plot: CsvPlot,
}

/// The plot settings of a CSV view.
struct CsvPlot {
    /// `None`: the row number.
    x: Option<usize>,
    y: Option<usize>,
    line: bool,
    /// Points for the current columns, computed when they change.
    points: Option<SampledPoints>,
}

/// Plot points of one (x, y) column pair.
struct SampledPoints {
    columns: (Option<usize>, usize),
    points: Vec<[f64; 2]>,
    /// Every `step`th row is plotted.
    step: usize,
}

impl CsvDoc {
    fn rows(&self) -> usize {
        self.row_starts.len().saturating_sub(1)
    }

    fn columns(&self) -> usize {
        self.headers.len()
    }

    fn cell(&self, row: usize, column: usize) -> &str {
        let first = self.row_starts[row] as usize;
        let end = self.row_starts[row + 1] as usize;
        let index = first + column;
        if index >= end {
            return "";
        }
        let start = if index == 0 {
            0
        } else {
            self.cell_ends[index - 1] as usize
        };
        &self.text[start..self.cell_ends[index] as usize]
    }

    fn number(&self, row: usize, column: usize) -> Option<f64> {
        self.cell(row, column).trim().parse().ok()
    }

    /// Points of the chosen columns, sampled to at most [`PLOT_MAX_POINTS`]; also
    /// the sampling step.
    fn points(&self, x: Option<usize>, y: usize) -> (Vec<[f64; 2]>, usize) {
        let rows = self.rows();
        let step = rows.div_ceil(PLOT_MAX_POINTS).max(1);
        let points = (0..rows)
            .step_by(step)
            .filter_map(|row| {
                let x = match x {
                    Some(column) => self.number(row, column)?,
                    None => (row + 1) as f64,
                };
                Some([x, self.number(row, y)?])
            })
            .collect();
        (points, step)
    }
}

/// Split CSV text into cells with the `csv` crate: `delimiter`-separated, fields
/// in double quotes may hold delimiters, newlines and doubled quotes, rows may
/// differ in length. Blank lines are skipped. Returns the headers, all cell text
/// in one string, where each cell ends, and where each row's cells start.
fn parse_csv(data: &str, options: CsvOptions) -> (Vec<String>, String, Vec<u32>, Vec<u32>) {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(options.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(data.as_bytes());
    let mut text = String::with_capacity(data.len());
    let mut cell_ends: Vec<u32> = Vec::new();
    let mut row_starts: Vec<u32> = vec![0];
    let mut record = csv::StringRecord::new();
    // The data is valid UTF-8 (it is a `str`), so reading cannot fail on
    // encoding; a malformed quote ends the table where it is.
    while let Ok(true) = reader.read_record(&mut record) {
        if record.len() == 1 && record[0].is_empty() {
            continue;
        }
        for field in record.iter() {
            text.push_str(field.trim_end_matches('\r'));
            cell_ends.push(text.len() as u32);
        }
        row_starts.push(cell_ends.len() as u32);
    }
    let columns = row_starts
        .windows(2)
        .map(|w| (w[1] - w[0]) as usize)
        .max()
        .unwrap_or(0);
    let cell = |index: usize| {
        let start = if index == 0 {
            0
        } else {
            cell_ends[index - 1] as usize
        };
        &text[start..cell_ends[index] as usize]
    };
    let headers = if options.header && row_starts.len() > 1 {
        let end = row_starts[1] as usize;
        let mut headers: Vec<String> = (0..end).map(|i| cell(i).trim().to_owned()).collect();
        for (k, header) in headers.iter_mut().enumerate() {
            if header.is_empty() {
                *header = format!("Column {}", k + 1);
            }
        }
        while headers.len() < columns {
            headers.push(format!("Column {}", headers.len() + 1));
        }
        row_starts.remove(0);
        headers
    } else {
        (1..=columns).map(|k| format!("Column {k}")).collect()
    };
    (headers, text, cell_ends, row_starts)
}

fn load_csv(path: &Path, options: CsvOptions) -> Result<CsvDoc, String> {
    let (mut bytes, size) = read_head(path, CSV_CAP).map_err(|e| describe_io(path, &e))?;
    let mut note = None;
    if size > CSV_CAP {
        // Drop the row cut in half.
        if let Some(last) = memchr::memrchr(b'\n', &bytes) {
            bytes.truncate(last + 1);
        }
        note = Some(format!(
            "The file is too large ({}); showing the rows in its first {}.",
            size_text(size),
            size_text(CSV_CAP)
        ));
    }
    let data = String::from_utf8_lossy(&bytes);
    if data.len() > u32::MAX as usize {
        return Err(format!(
            "`{}` is too large to show as a table.",
            path.display()
        ));
    }
    let (headers, text, cell_ends, row_starts) = parse_csv(&data, options);
    let mut doc = CsvDoc {
        headers,
        text,
        cell_ends,
        row_starts,
        numeric: Vec::new(),
        note,
        plot: CsvPlot {
            x: None,
            y: None,
            line: true,
            points: None,
        },
    };
    doc.numeric = (0..doc.columns())
        .map(|column| {
            let mut any = false;
            let all = (0..doc.rows()).all(|row| {
                let cell = doc.cell(row, column).trim();
                if cell.is_empty() {
                    return true;
                }
                any = true;
                cell.parse::<f64>().is_ok()
            });
            all && any
        })
        .collect();
    // Plot the first two numeric columns against each other, or the only one over
    // the row number.
    let numeric: Vec<usize> = (0..doc.columns()).filter(|&c| doc.numeric[c]).collect();
    match numeric.as_slice() {
        [] => {}
        [only] => doc.plot.y = Some(*only),
        [x, y, ..] => {
            doc.plot.x = Some(*x);
            doc.plot.y = Some(*y);
        }
    }
    Ok(doc)
}

// -- images ---------------------------------------------------------------------

struct ImageDoc {
    /// Decoded pixels, until they are uploaded as a texture.
    pixels: Option<egui::ColorImage>,
    texture: Option<TextureHandle>,
    /// Size of the file's image (the texture may be scaled down).
    original: [u32; 2],
    /// `None`: fit the available space.
    zoom: Option<f32>,
}

fn load_image(path: &Path, max_texture_side: usize) -> Result<ImageDoc, String> {
    let not_image =
        |e: &dyn std::fmt::Display| format!("`{}` is not a PNG or JPEG image: {e}", path.display());
    let mut reader = image::ImageReader::open(path)
        .map_err(|e| describe_io(path, &e))?
        .with_guessed_format()
        .map_err(|e| describe_io(path, &e))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(IMAGE_MAX_SIDE);
    limits.max_image_height = Some(IMAGE_MAX_SIDE);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => format!(
            "`{}` is too large to show (more than {IMAGE_MAX_SIDE} pixels on a side); use Open.",
            path.display()
        ),
        other => not_image(&other),
    })?;
    let original = [decoded.width(), decoded.height()];
    let mut rgba = decoded.to_rgba8();
    let max_side = max_texture_side.max(1) as u32;
    if rgba.width() > max_side || rgba.height() > max_side {
        // Too big for one texture: scale down, keeping the aspect ratio.
        let scale = max_side as f64 / rgba.width().max(rgba.height()) as f64;
        let width = ((rgba.width() as f64 * scale) as u32).max(1);
        let height = ((rgba.height() as f64 * scale) as u32).max(1);
        rgba = image::imageops::thumbnail(&rgba, width, height);
    }
    let size = [rgba.width() as usize, rgba.height() as usize];
    let pixels = egui::ColorImage::from_rgba_unmultiplied(size, rgba.as_raw());
    Ok(ImageDoc {
        pixels: Some(pixels),
        texture: None,
        original,
        zoom: None,
    })
}

// ---------------------------------------------------------------------------
// The widget

/// Shows one file with the viewer its kind asks for. See the module docs.
///
/// Call [`FileView::ui`] every frame it is on screen; loading starts at the first
/// call. Call [`FileView::reload`] when the file changed.
pub struct FileView {
    path: PathBuf,
    kind: ViewerKind,
    csv: CsvOptions,
    id: egui::Id,
    load: Load,
    /// Result of the last Open / Show in folder.
    status: Option<String>,
    /// A file or folder the user asked to open with the desktop's programs.
    open_request: Option<PathBuf>,
}

impl FileView {
    /// A view of `path`, with the viewer `hint` or else the one its extension suggests.
    pub fn new(path: PathBuf, hint: Option<ViewerKind>) -> Self {
        let kind = hint.unwrap_or_else(|| ViewerKind::from_path(&path));
        let csv = CsvOptions::for_path(&path);
        Self::with_options(path, kind, csv)
    }

    /// A view for a template output (`outputs` or post-processing): the `widget`
    /// type decides if it names a viewer, then the `format` type, then the extension.
    /// CSV `format` settings (`delim`, `header`) are honoured.
    pub fn from_output_spec(format: Option<&Value>, widget: Option<&Value>, path: PathBuf) -> Self {
        let kind = spec_type(widget)
            .and_then(|name| ViewerKind::from_type_name(name, &path))
            .or_else(|| spec_type(format).and_then(|name| ViewerKind::from_type_name(name, &path)))
            .unwrap_or_else(|| ViewerKind::from_path(&path));
        let csv = csv_options(format, &path);
        Self::with_options(path, kind, csv)
    }

    fn with_options(path: PathBuf, kind: ViewerKind, csv: CsvOptions) -> Self {
        Self {
            path,
            kind,
            csv,
            id: egui::Id::unique((
                "flowdesk_file_view",
                NEXT_VIEW_ID.fetch_add(1, Ordering::Relaxed),
            )),
            load: Load::NotStarted,
            status: None,
            open_request: None,
        }
    }

    /// The file shown.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The viewer used.
    pub fn kind(&self) -> ViewerKind {
        self.kind
    }

    /// Whether the file is still being read.
    pub fn is_loading(&self) -> bool {
        matches!(self.load, Load::NotStarted | Load::Loading(_))
    }

    /// The message shown if the file could not be shown.
    pub fn error(&self) -> Option<&str> {
        match &self.load {
            Load::Failed(message) => Some(message),
            _ => None,
        }
    }

    /// Read the file again (at the next frame).
    /// What the user asked to open with the desktop's programs since the last
    /// call (the screen hands it to the backend; a widget starts no process).
    pub fn take_open_request(&mut self) -> Option<PathBuf> {
        self.open_request.take()
    }

    pub fn reload(&mut self) {
        self.load = Load::NotStarted;
    }

    fn start(&mut self, ctx: &egui::Context) {
        let (tx, rx) = mpsc::channel();
        let path = self.path.clone();
        let (kind, csv) = (self.kind, self.csv);
        let max_texture_side = ctx.input(|i| i.max_texture_side);
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("file-view".into())
            .spawn(move || {
                let _ = tx.send(load(&path, kind, csv, max_texture_side));
                ctx.request_repaint();
            });
        self.load = match spawned {
            Ok(_) => Load::Loading(rx),
            Err(error) => Load::Failed(format!(
                "Cannot start reading `{}`: {error}",
                self.path.display()
            )),
        };
    }

    /// Show the view. Call every frame it is on screen.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        if matches!(self.load, Load::NotStarted) {
            self.start(ui.ctx());
        }
        if let Load::Loading(rx) = &self.load {
            match rx.try_recv() {
                Ok(Ok(loaded)) => self.load = Load::Ready(Box::new(loaded)),
                Ok(Err(message)) => self.load = Load::Failed(message),
                Err(mpsc::TryRecvError::Empty) => {}
                Err(mpsc::TryRecvError::Disconnected) => {
                    self.load = Load::Failed(format!(
                        "Reading `{}` stopped unexpectedly.",
                        self.path.display()
                    ));
                }
            }
        }
        self.header_ui(ui);
        ui.separator();
        let id = self.id;
        let name = self.file_name();
        match &mut self.load {
            Load::NotStarted | Load::Loading(_) => {
                ui.horizontal(|ui| {
                    crate::gui::widgets::spinner::spinner(ui);
                    ui.label(format!("Loading `{name}`…"));
                });
            }
            Load::Failed(message) => {
                ui.colored_label(ui.visuals().error_fg_color, message.as_str());
            }
            Load::Ready(loaded) => match loaded.as_mut() {
                Loaded::Text(doc) => text_ui(ui, id, doc),
                Loaded::Json(doc) => json_doc_ui(ui, id, doc),
                Loaded::Csv(doc) => csv_ui(ui, id, doc),
                Loaded::Image(doc) => image_ui(ui, id, &name, doc),
            },
        }
    }

    fn file_name(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    fn header_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(self.file_name()).strong())
                .on_hover_text(self.path.display().to_string());
            if ui
                .button("Open")
                .on_hover_text("Open the file with the program your system uses for it")
                .clicked()
            {
                self.open_request = Some(self.path.clone());
            }
            if ui
                .button("Show in folder")
                .on_hover_text("Open the folder that holds the file")
                .clicked()
            {
                let folder = self.path.parent().unwrap_or(Path::new("."));
                self.open_request = Some(folder.to_path_buf());
            }
            if ui
                .button("Reload")
                .on_hover_text("Read the file again")
                .clicked()
            {
                self.reload();
            }
            if let Some(status) = &self.status {
                ui.colored_label(ui.visuals().error_fg_color, status);
            }
        });
    }
}

// -- text view --------------------------------------------------------------------

fn text_ui(ui: &mut egui::Ui, id: egui::Id, doc: &TextDoc) {
    if let Some(note) = &doc.note {
        ui.colored_label(ui.visuals().warn_fg_color, note);
    }
    let row_height = ui.text_style_height(&TextStyle::Monospace);
    egui::ScrollArea::both()
        .id_salt(id.with("text"))
        .auto_shrink([false, false])
        .show_rows(ui, row_height, doc.line_starts.len(), |ui, rows| {
            for row in rows {
                ui.add(egui::Label::new(RichText::new(shown(doc.line(row))).monospace()).extend());
            }
        });
}

// -- JSON view --------------------------------------------------------------------

fn json_doc_ui(ui: &mut egui::Ui, id: egui::Id, doc: &mut JsonDoc) {
    let JsonDoc { value, shown } = doc;
    egui::ScrollArea::vertical()
        .id_salt(id.with("json"))
        .auto_shrink([false, false])
        .show(ui, |ui| match &*value {
            Value::Object(_) | Value::Array(_) => json_children_ui(ui, shown, id, value, 0),
            scalar => {
                ui.add(egui::Label::new(scalar_text(ui, scalar)));
            }
        });
}

/// The children of an object or array, paged.
fn json_children_ui(
    ui: &mut egui::Ui,
    shown: &mut HashMap<egui::Id, usize>,
    id: egui::Id,
    value: &Value,
    depth: usize,
) {
    let limit = shown.get(&id).copied().unwrap_or(JSON_PAGE);
    let total = match value {
        Value::Object(map) => {
            for (key, child) in map.iter().take(limit) {
                json_node_ui(ui, shown, id.with(key), key, child, depth);
            }
            map.len()
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate().take(limit) {
                json_node_ui(
                    ui,
                    shown,
                    id.with(index),
                    &format!("[{index}]"),
                    child,
                    depth,
                );
            }
            items.len()
        }
        _ => 0,
    };
    if total > limit {
        ui.horizontal(|ui| {
            ui.weak(format!("{} of {total} shown", limit));
            let more = (total - limit).min(JSON_PAGE * 10);
            if ui.button(format!("Show {more} more")).clicked() {
                shown.insert(id, limit + more);
            }
        });
    }
}

fn json_node_ui(
    ui: &mut egui::Ui,
    shown: &mut HashMap<egui::Id, usize>,
    id: egui::Id,
    key: &str,
    value: &Value,
    depth: usize,
) {
    let summary = match value {
        Value::Object(map) => Some(format!(
            "{key}  {{{} key{}}}",
            map.len(),
            if map.len() == 1 { "" } else { "s" }
        )),
        Value::Array(items) => Some(format!(
            "{key}  [{} item{}]",
            items.len(),
            if items.len() == 1 { "" } else { "s" }
        )),
        _ => None,
    };
    match summary {
        Some(summary) => {
            egui::CollapsingHeader::new(summary)
                .id_salt(id)
                .default_open(depth < 1)
                .show(ui, |ui| json_children_ui(ui, shown, id, value, depth + 1));
        }
        None => {
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!("{key}:")).strong());
                ui.add(egui::Label::new(scalar_text(ui, value)).wrap());
            });
        }
    }
}

fn scalar_text(ui: &egui::Ui, value: &Value) -> RichText {
    let dark = ui.visuals().dark_mode;
    let (text, color) = match value {
        Value::String(s) => (
            format!("\"{s}\""),
            if dark {
                Color32::from_rgb(0xce, 0x91, 0x78)
            } else {
                Color32::from_rgb(0xa3, 0x15, 0x15)
            },
        ),
        Value::Number(n) => (
            n.to_string(),
            if dark {
                Color32::from_rgb(0xb5, 0xce, 0xa8)
            } else {
                Color32::from_rgb(0x09, 0x86, 0x58)
            },
        ),
        Value::Bool(b) => (b.to_string(), ui.visuals().hyperlink_color),
        Value::Null => ("null".to_owned(), ui.visuals().weak_text_color()),
        Value::Object(_) | Value::Array(_) => (value.to_string(), ui.visuals().text_color()),
    };
    RichText::new(text).monospace().color(color)
}

// -- CSV view ---------------------------------------------------------------------

fn csv_ui(ui: &mut egui::Ui, id: egui::Id, doc: &mut CsvDoc) {
    if let Some(note) = &doc.note {
        ui.colored_label(ui.visuals().warn_fg_color, note);
    }
    ui.weak(format!("{} rows × {} columns", doc.rows(), doc.columns()));
    if doc.numeric.iter().any(|&n| n) {
        egui::CollapsingHeader::new("Plot")
            .id_salt(id.with("plot_section"))
            .default_open(true)
            .show(ui, |ui| csv_plot_ui(ui, id, doc));
    }
    if doc.columns() == 0 {
        ui.weak("The file has no rows.");
        return;
    }
    let row_height = ui.text_style_height(&TextStyle::Body) + 4.0;
    egui::ScrollArea::horizontal()
        .id_salt(id.with("table_h"))
        .show(ui, |ui| {
            TableBuilder::new(ui)
                .id_salt(id.with("table"))
                .striped(true)
                .resizable(true)
                .columns(Column::auto().at_least(40.0).clip(true), doc.columns())
                .auto_shrink([false, false])
                .header(row_height, |mut header| {
                    for name in &doc.headers {
                        header.col(|ui| {
                            ui.strong(name);
                        });
                    }
                })
                .body(|body| {
                    body.rows(row_height, doc.rows(), |mut row| {
                        let index = row.index();
                        for column in 0..doc.columns() {
                            row.col(|ui| {
                                let cell = shown(doc.cell(index, column));
                                let text = RichText::new(cell);
                                let text = if doc.numeric[column] {
                                    text.monospace()
                                } else {
                                    text
                                };
                                ui.add(egui::Label::new(text).truncate());
                            });
                        }
                    });
                });
        });
}

fn csv_plot_ui(ui: &mut egui::Ui, id: egui::Id, doc: &mut CsvDoc) {
    let numeric: Vec<usize> = (0..doc.columns()).filter(|&c| doc.numeric[c]).collect();
    let name = |column: Option<usize>| match column {
        Some(c) => doc.headers[c].clone(),
        None => "Row number".to_owned(),
    };
    let mut x = doc.plot.x;
    let mut y = doc.plot.y;
    let mut line = doc.plot.line;
    ui.horizontal_wrapped(|ui| {
        // Labels go before their drop-downs, as everywhere else.
        let label = ui.label("X column");
        egui::ComboBox::from_id_salt(id.with("x"))
            .selected_text(name(x))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut x, None, "Row number");
                for &column in &numeric {
                    ui.selectable_value(&mut x, Some(column), &doc.headers[column]);
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Y column");
        egui::ComboBox::from_id_salt(id.with("y"))
            .selected_text(y.map_or_else(|| "(none)".to_owned(), |c| doc.headers[c].clone()))
            .show_ui(ui, |ui| {
                for &column in &numeric {
                    ui.selectable_value(&mut y, Some(column), &doc.headers[column]);
                }
            })
            .response
            .labelled_by(label.id);
        ui.radio_value(&mut line, true, "Line");
        ui.radio_value(&mut line, false, "Scatter");
    });
    doc.plot.x = x;
    doc.plot.y = y;
    doc.plot.line = line;
    let Some(y) = y else {
        return;
    };
    let stale = doc
        .plot
        .points
        .as_ref()
        .is_none_or(|sampled| sampled.columns != (x, y));
    if stale {
        let (points, step) = doc.points(x, y);
        doc.plot.points = Some(SampledPoints {
            columns: (x, y),
            points,
            step,
        });
    }
    let Some(SampledPoints { points, step, .. }) = &doc.plot.points else {
        return;
    };
    if *step > 1 {
        ui.weak(format!("Plotting every {step}th row."));
    }
    let x_name = name(x);
    let y_name = doc.headers[y].clone();
    let series: PlotPoints<'_> = points.iter().copied().collect();
    Plot::new(id.with("plot_area"))
        .height(220.0)
        .x_axis_label(x_name)
        .y_axis_label(y_name.clone())
        .show(ui, |plot_ui| {
            if line {
                plot_ui.line(Line::new(y_name, series));
            } else {
                plot_ui.points(Points::new(y_name, series).radius(2.5));
            }
        });
}

// -- image view -------------------------------------------------------------------

fn image_ui(ui: &mut egui::Ui, id: egui::Id, name: &str, doc: &mut ImageDoc) {
    if let Some(pixels) = doc.pixels.take() {
        // Uploaded once; the handle frees the texture when the view is dropped.
        doc.texture = Some(ui.ctx().load_texture(
            format!("file_view_{name}"),
            pixels,
            TextureOptions::LINEAR,
        ));
    }
    let Some(texture) = &doc.texture else {
        return;
    };
    let [width, height] = doc.original;
    let available = ui.available_size() - egui::vec2(0.0, ui.spacing().interact_size.y + 8.0);
    let fit = (available.x / width as f32)
        .min(available.y / height as f32)
        .clamp(0.01, 1.0);
    let zoom = doc.zoom.unwrap_or(fit);
    ui.horizontal(|ui| {
        ui.weak(format!("{width}×{height} px, {:.0}%", zoom * 100.0));
        if ui
            .button("Fit")
            .on_hover_text("Scale the image to fit")
            .clicked()
        {
            doc.zoom = None;
        }
        if ui.button("Actual size").clicked() {
            doc.zoom = Some(1.0);
        }
        if ui.button("Zoom in").clicked() {
            doc.zoom = Some((zoom * 1.25).min(16.0));
        }
        if ui.button("Zoom out").clicked() {
            doc.zoom = Some((zoom / 1.25).max(0.01));
        }
    });
    // The texture may be smaller than the file's image; size it as the original.
    let size = egui::vec2(width as f32, height as f32) * zoom;
    let image = egui::Image::from_texture((texture.id(), size)).alt_text(name);
    egui::ScrollArea::both()
        .id_salt(id.with("image"))
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.add(image);
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::accesskit::Role;
    use egui_kittest::kittest::Queryable as _;
    use egui_kittest::Harness;
    use serde_json::json;
    use std::time::{Duration, Instant};

    fn step_until<S>(
        harness: &mut Harness<'_, S>,
        what: &str,
        done: impl Fn(&Harness<'_, S>) -> bool,
    ) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            harness.step();
            if done(harness) {
                harness.run();
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn harness(view: FileView) -> Harness<'static, FileView> {
        Harness::builder()
            .with_size(egui::vec2(900.0, 700.0))
            .build_ui_state(|ui, view: &mut FileView| view.ui(ui), view)
    }

    fn loaded(harness: &Harness<'_, FileView>) -> bool {
        !harness.state().is_loading()
    }

    #[test]
    fn chooses_the_viewer_from_spec_then_extension() {
        let kind = |format: Option<Value>, widget: Option<Value>, path: &str| {
            FileView::from_output_spec(format.as_ref(), widget.as_ref(), PathBuf::from(path)).kind()
        };
        assert_eq!(
            kind(None, Some(json!({"type": "image"})), "plot.bin"),
            ViewerKind::Image
        );
        assert_eq!(
            kind(None, Some(json!({"type": "vega"})), "results.csv"),
            ViewerKind::Csv
        );
        assert_eq!(
            kind(None, Some(json!({"type": "vega"})), "data.json"),
            ViewerKind::Json
        );
        assert_eq!(
            kind(Some(json!({"type": "csv"})), None, "out.txt"),
            ViewerKind::Csv
        );
        assert_eq!(kind(Some(json!("json")), None, "out.dat"), ViewerKind::Json);
        assert_eq!(
            kind(Some(json!({"type": "plaintext"})), None, "a.json"),
            ViewerKind::Text
        );
        assert_eq!(kind(None, None, "picture.JPG"), ViewerKind::Image);
        assert_eq!(kind(None, None, "notes"), ViewerKind::Text);
        let view = FileView::from_output_spec(
            Some(&json!({"type": "csv", "delim": "\\t", "header": false})),
            None,
            PathBuf::from("x.csv"),
        );
        assert_eq!(
            view.csv,
            CsvOptions {
                delimiter: b'\t',
                header: false
            }
        );
    }

    #[test]
    fn parses_quoted_csv_fields() {
        let data = "name,score,note\r\n\"Smith, J\",0.5,\"said \"\"hi\"\"\"\n\nLee,1.5,\"two\nlines\"\nshort\n";
        let (headers, text, cell_ends, row_starts) = parse_csv(
            data,
            CsvOptions {
                delimiter: b',',
                header: true,
            },
        );
        let doc = CsvDoc {
            headers,
            text,
            cell_ends,
            row_starts,
            numeric: Vec::new(),
            note: None,
            plot: CsvPlot {
                x: None,
                y: None,
                line: true,
                points: None,
            },
        };
        assert_eq!(doc.headers, ["name", "score", "note"]);
        assert_eq!(doc.rows(), 3);
        assert_eq!(doc.cell(0, 0), "Smith, J");
        assert_eq!(doc.cell(0, 2), "said \"hi\"");
        assert_eq!(doc.cell(1, 2), "two\nlines");
        assert_eq!(doc.cell(2, 0), "short");
        assert_eq!(doc.cell(2, 1), "");
    }

    #[test]
    fn json_viewer_shows_nested_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("analytics.json");
        std::fs::write(
            &path,
            json!({"results": {"accuracy": 0.93, "details": {"deepest_key": "x"}}, "runs": [1, 2, 3]})
                .to_string(),
        )
        .unwrap();
        let mut harness = harness(FileView::new(path, None));
        step_until(&mut harness, "the JSON", loaded);
        assert!(harness.query_by_label_contains("results").is_some());
        assert!(harness.query_by_label("accuracy:").is_some());
        assert!(harness.query_by_label("0.93").is_some());
        assert!(harness.query_by_label_contains("runs").is_some());
        // Deeper levels start collapsed and open on a click.
        assert!(harness.query_by_label("deepest_key:").is_none());
        harness.get_by_label_contains("details").click();
        harness.run();
        assert!(harness.query_by_label("deepest_key:").is_some());
    }

    #[test]
    fn broken_json_shows_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.json");
        std::fs::write(&path, "{\"a\": 1,").unwrap();
        let mut harness = harness(FileView::new(path, None));
        step_until(&mut harness, "the error", loaded);
        let message = harness.state().error().unwrap().to_owned();
        assert!(
            message.contains("broken.json") && message.contains("not valid JSON"),
            "{message}"
        );
        assert!(harness
            .query_by_label_contains("broken.json` is not valid JSON")
            .is_some());
    }

    #[test]
    fn missing_file_shows_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut harness = harness(FileView::new(dir.path().join("absent.txt"), None));
        step_until(&mut harness, "the error", loaded);
        assert!(harness
            .query_by_label_contains("absent.txt` does not exist")
            .is_some());
    }

    #[test]
    fn csv_viewer_shows_header_cells_and_plot_controls() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scores.csv");
        let mut data = String::from("epoch,loss,label\n");
        for i in 0..5000 {
            data.push_str(&format!("{i},{},run {i}\n", 1.0 / (i + 1) as f64));
        }
        std::fs::write(&path, data).unwrap();
        let mut harness = harness(FileView::new(path, None));
        step_until(&mut harness, "the table", loaded);
        assert!(harness.query_by_label("epoch").is_some());
        assert!(harness.query_by_label("label").is_some());
        assert!(harness.query_by_label("run 3").is_some());
        // Rows far down are not laid out.
        assert!(harness.query_by_label("run 4999").is_none());
        // Each drop-down is named by the label before it.
        for name in ["X column", "Y column"] {
            let label = harness.get_by_role_and_label(Role::Label, name).rect();
            let combo = harness.get_by_role_and_label(Role::ComboBox, name).rect();
            assert!(
                label.max.x <= combo.min.x,
                "{name}: label {label:?} should be left of its drop-down {combo:?}"
            );
        }
        harness.get_by_label("Scatter").click();
        harness.run();
        assert!(!harness.state().is_loading());
        let Load::Ready(loaded) = &harness.state().load else {
            panic!("not loaded");
        };
        let Loaded::Csv(doc) = loaded.as_ref() else {
            panic!("not a table");
        };
        assert_eq!(doc.numeric, [true, true, false]);
        assert!(!doc.plot.line);
        assert_eq!((doc.plot.x, doc.plot.y), (Some(0), Some(1)));
    }

    #[test]
    fn big_text_files_are_cut_with_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.txt");
        let line = "x".repeat(99) + "\n";
        std::fs::write(&path, line.repeat((TEXT_CAP / 100 + 1000) as usize)).unwrap();
        let mut harness = harness(FileView::new(path, Some(ViewerKind::Text)));
        step_until(&mut harness, "the text", loaded);
        assert!(harness
            .query_by_label_contains("showing the first 16.8 MB")
            .is_some());
    }

    #[test]
    fn an_image_loads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plot.png");
        let picture = image::RgbaImage::from_fn(4, 3, |x, y| {
            image::Rgba([x as u8 * 60, y as u8 * 80, 0, 255])
        });
        picture.save(&path).unwrap();
        let mut harness = harness(FileView::from_output_spec(
            None,
            Some(&json!({"type": "image"})),
            path,
        ));
        step_until(&mut harness, "the image", loaded);
        assert!(
            harness.state().error().is_none(),
            "{:?}",
            harness.state().error()
        );
        assert!(harness.query_by_label("4×3 px, 100%").is_some());
        let Load::Ready(loaded) = &harness.state().load else {
            panic!("not loaded");
        };
        let Loaded::Image(doc) = loaded.as_ref() else {
            panic!("not an image");
        };
        assert!(doc.texture.as_ref().is_some_and(|t| t.size() == [4, 3]));
        harness.get_by_label("Zoom in").click();
        harness.run();
        assert!(harness.query_by_label("4×3 px, 125%").is_some());
    }

    #[test]
    fn a_file_that_is_not_an_image_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fake.png");
        std::fs::write(&path, "not pixels").unwrap();
        let mut harness = harness(FileView::new(path, None));
        step_until(&mut harness, "the error", loaded);
        assert!(harness
            .query_by_label_contains("fake.png` is not a PNG or JPEG image")
            .is_some());
    }
}
