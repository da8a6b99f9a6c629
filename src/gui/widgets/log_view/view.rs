//! The widget: a one-line toolbar (follow, search; timestamps, step filter and
//! copy in its "⋯" menu) and the rows in view, drawn from the index and the
//! line cache; everything that reads the file happens on the threads of `index`
//! and `search`. Every row is one line high — the scroll area places row `n` by
//! arithmetic, which is what keeps a million-line log cheap — so a long line
//! ends in "…" and shows whole on hover rather than wrapping.

use super::index::{
    parse_line, read_range, CachedLine, IndexEvent, Indexer, LineIndex, LineReader, ReadRequest,
    ReadResult, READ_CHUNK, STEP_MASK,
};
use super::search::{Search, SearchEvent, SearchJob};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::text::{LayoutJob, TextWrapping};
use egui::{Color32, FontId, Key, Modifiers, Sense, TextFormat, TextStyle, Vec2, WidgetInfo};

/// How often a live log is checked for new bytes.
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// Lines kept in the visible-line cache before it is emptied.
const CACHE_LINES: usize = 4096;
/// Copying stops after this many bytes: the clipboard is not a file transfer.
const MAX_COPY_BYTES: usize = 64 << 20;

/// Gives every view its own egui ids, so two logs on one screen keep their scroll
/// positions apart.
static NEXT_VIEW_ID: AtomicU64 = AtomicU64::new(0);

/// Background threads and channels, started at the first frame (they need the
/// `egui::Context` to wake the UI).
struct Workers {
    ctx: egui::Context,
    scan_tx: Sender<()>,
    index_rx: Receiver<IndexEvent>,
    search_tx: Sender<SearchEvent>,
    search_rx: Receiver<SearchEvent>,
    read_tx: Sender<ReadRequest>,
    read_rx: Receiver<ReadResult>,
    copy_rx: Option<Receiver<Result<(String, usize), String>>>,
}

/// A live, searchable, filterable view of one log file. See the module docs.
///
/// Call [`LogView::ui`] every frame the log is on screen; call
/// [`LogView::notify_appended`] when the run reports new output and
/// [`LogView::set_following`] when it starts or stops.
pub struct LogView {
    path: PathBuf,
    id: egui::Id,
    workers: Option<Workers>,
    index: LineIndex,
    /// The last scan has not reached the end of the file yet.
    indexing: bool,
    missing: bool,
    index_error: Option<String>,
    /// A scan was asked for before the workers existed.
    scan_pending: bool,
    /// The run is live: poll the file for growth.
    live: bool,
    /// Keep the last line in view ("Follow" checkbox).
    follow: bool,
    last_poll: Option<Instant>,
    show_timestamps: bool,
    step_filter: Option<u16>,
    /// With a step filter: the lines shown, in order; lines `0..filtered_upto` checked.
    filtered: Vec<u32>,
    filtered_upto: usize,
    search: Search,
    /// Selected lines (anchor, end), inclusive, as line numbers.
    selection: Option<(usize, usize)>,
    /// Rows on screen in the last frame.
    visible_rows: Range<usize>,
    scroll_to_row: Option<usize>,
    focus_search: bool,
    /// Lines asked of the reader and not answered yet.
    pending: HashSet<usize>,
    /// Bumped when the file is read from the start again.
    read_generation: u64,
    read_error: Option<String>,
    cache: HashMap<usize, CachedLine>,
    status: Option<String>,
}

impl LogView {
    /// A view of the log at `path`. Nothing is read until the first [`Self::ui`].
    pub fn new(path: PathBuf) -> Self {
        let id = egui::Id::unique((
            "flowdesk_log_view",
            NEXT_VIEW_ID.fetch_add(1, Ordering::Relaxed),
        ));
        Self {
            path,
            id,
            workers: None,
            index: LineIndex::default(),
            indexing: true,
            missing: false,
            index_error: None,
            scan_pending: true,
            live: false,
            follow: false,
            last_poll: None,
            show_timestamps: true,
            step_filter: None,
            filtered: Vec::new(),
            filtered_upto: 0,
            search: Search::default(),
            selection: None,
            visible_rows: 0..0,
            scroll_to_row: None,
            focus_search: false,
            pending: HashSet::new(),
            read_generation: 0,
            read_error: None,
            cache: HashMap::new(),
            status: None,
        }
    }

    /// The file shown.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the run is live. While it is, the view polls the file for new lines
    /// every 250 ms and keeps the last line in view (until the user scrolls up or
    /// unticks "Follow"). Call with `false` when the run ends.
    pub fn set_following(&mut self, following: bool) {
        if following && !self.live {
            self.follow = true;
            self.selection = None;
        }
        if !following {
            self.follow = false;
            // One last look, so output written just before the end is shown.
            self.notify_appended();
        }
        self.live = following;
    }

    /// Whether the view treats the run as live (see [`Self::set_following`]).
    pub fn is_live(&self) -> bool {
        self.live
    }

    /// Whether the view is keeping the last line in view.
    pub fn is_following(&self) -> bool {
        self.follow
    }

    /// New output was written to the file: index it (in the background).
    pub fn notify_appended(&mut self) {
        match &self.workers {
            Some(workers) => {
                let _ = workers.scan_tx.send(());
            }
            None => self.scan_pending = true,
        }
    }

    /// Lines known so far (including a last line still being written).
    pub fn line_count(&self) -> usize {
        self.index.line_count()
    }

    /// Whether the background scan is still catching up with the file.
    pub fn is_indexing(&self) -> bool {
        self.indexing
    }

    /// Put the keyboard focus in the search box (the view does this on Ctrl+F).
    pub fn focus_search(&mut self) {
        self.focus_search = true;
    }

    /// Scroll so that `line` (0-based) is in view; stops following.
    pub fn scroll_to_line(&mut self, line: usize) {
        self.follow = false;
        self.scroll_to_row = Some(self.row_of_line(line));
    }

    /// Line numbers of the search matches found so far.
    pub fn search_matches(&self) -> &[u32] {
        &self.search.matches
    }

    /// Start the background threads on first use.
    fn start(&mut self, ctx: &egui::Context) {
        if self.workers.is_some() {
            return;
        }
        let (scan_tx, scan_rx) = mpsc::channel();
        let (index_tx, index_rx) = mpsc::channel();
        let (search_tx, search_rx) = mpsc::channel();
        let indexer = Indexer {
            path: self.path.clone(),
            file: None,
            complete_end: 0,
            file_len: 0,
            step_ids: HashMap::new(),
            tx: index_tx,
            ctx: ctx.clone(),
        };
        let spawned = std::thread::Builder::new()
            .name("log-index".into())
            .spawn(move || indexer.run(scan_rx));
        if let Err(error) = spawned {
            self.index_error = Some(format!("Cannot start reading the log: {error}"));
            self.indexing = false;
        }
        if self.scan_pending {
            let _ = scan_tx.send(());
            self.scan_pending = false;
        }
        let (read_tx, read_requests) = mpsc::channel();
        let (read_results, read_rx) = mpsc::channel();
        let reader = LineReader {
            path: self.path.clone(),
            file: None,
            generation: 0,
            tx: read_results,
            ctx: ctx.clone(),
        };
        if let Err(error) = std::thread::Builder::new()
            .name("log-read".into())
            .spawn(move || reader.run(read_requests))
        {
            self.read_error = Some(format!("Cannot start reading the log: {error}"));
        }
        self.workers = Some(Workers {
            ctx: ctx.clone(),
            scan_tx,
            index_rx,
            search_tx,
            search_rx,
            read_tx,
            read_rx,
            copy_rx: None,
        });
    }

    /// Take in what the background threads sent since the last frame.
    fn drain(&mut self) {
        let Some(workers) = &self.workers else {
            return;
        };
        let mut events = Vec::new();
        while let Ok(event) = workers.index_rx.try_recv() {
            events.push(event);
        }
        let mut searches = Vec::new();
        while let Ok(event) = workers.search_rx.try_recv() {
            searches.push(event);
        }
        let mut reads = Vec::new();
        while let Ok(result) = workers.read_rx.try_recv() {
            reads.push(result);
        }
        let copied = match &workers.copy_rx {
            Some(rx) => rx.try_recv().ok(),
            None => None,
        };
        for event in events {
            self.apply_index_event(event);
        }
        for event in searches {
            self.apply_search_event(event);
        }
        for result in reads {
            self.apply_read(result);
        }
        if let Some(copied) = copied {
            if let Some(workers) = &mut self.workers {
                workers.copy_rx = None;
                match copied {
                    Ok((text, lines)) => {
                        workers.ctx.copy_text(text);
                        self.status = Some(format!(
                            "Copied {lines} line{}",
                            if lines == 1 { "" } else { "s" }
                        ));
                    }
                    Err(error) => self.status = Some(error),
                }
            }
        }
        self.continue_search();
    }

    fn apply_index_event(&mut self, event: IndexEvent) {
        match event {
            IndexEvent::Missing => {
                self.missing = true;
                self.indexing = false;
            }
            IndexEvent::Error(message) => {
                self.index_error = Some(message);
                self.indexing = false;
            }
            IndexEvent::Batch(batch) => {
                self.missing = false;
                self.index_error = None;
                if batch.reset {
                    self.index = LineIndex::default();
                    self.filtered.clear();
                    self.filtered_upto = 0;
                    self.cache.clear();
                    self.pending.clear();
                    self.read_generation += 1;
                    self.selection = None;
                    self.restart_search();
                }
                // The line that was still being written may have changed.
                self.cache.remove(&self.index.starts.len());
                self.index.starts.extend_from_slice(&batch.starts);
                self.index.meta.extend_from_slice(&batch.meta);
                self.index.steps.extend(batch.new_steps);
                self.index.complete_end = batch.complete_end;
                self.index.file_len = batch.file_len;
                self.indexing = !batch.done;
                self.update_filter();
            }
        }
    }

    fn apply_search_event(&mut self, event: SearchEvent) {
        if event.generation != self.search.generation {
            return;
        }
        self.search.matches.extend_from_slice(&event.matches);
        self.search.upto_line = event.upto_line;
        self.search.upto_offset = event.upto_offset;
        if event.done {
            self.search.running = false;
            self.search.cancel = None;
            self.search.truncated |= event.truncated;
            self.search.error = event.error;
        }
        // Like a browser's find: show the first match below the view as soon as it is
        // found, or the first one above once the whole file was searched.
        if (self.search.jump_pending && self.jump_to_first_match(event.done)) || event.done {
            self.search.jump_pending = false;
        }
    }

    /// Extend the filtered line list with newly indexed lines.
    fn update_filter(&mut self) {
        let Some(step) = self.step_filter else {
            return;
        };
        let end = self.index.complete_lines();
        for line in self.filtered_upto..end {
            if self.index.meta[line] & STEP_MASK == step {
                self.filtered.push(line as u32);
            }
        }
        self.filtered_upto = end;
    }

    fn set_step_filter(&mut self, step: Option<u16>) {
        if step == self.step_filter {
            return;
        }
        let keep = self.visible_rows.start;
        let top_line = self.line_of_row(keep);
        self.step_filter = step;
        self.filtered.clear();
        self.filtered_upto = 0;
        self.update_filter();
        if !self.follow {
            if let Some(line) = top_line {
                self.scroll_to_row = Some(self.row_of_line(line));
            }
        }
    }

    fn total_rows(&self) -> usize {
        match self.step_filter {
            Some(_) => self.filtered.len(),
            None => self.index.line_count(),
        }
    }

    fn line_of_row(&self, row: usize) -> Option<usize> {
        match self.step_filter {
            Some(_) => self.filtered.get(row).map(|&line| line as usize),
            None => (row < self.index.line_count()).then_some(row),
        }
    }

    /// The row showing `line`, or the row of the next line shown if it is filtered out.
    fn row_of_line(&self, line: usize) -> usize {
        match self.step_filter {
            Some(_) => self.filtered.partition_point(|&l| (l as usize) < line),
            None => line,
        }
    }

    fn line_visible(&self, line: usize) -> bool {
        match self.step_filter {
            Some(step) => self
                .index
                .meta
                .get(line)
                .is_some_and(|meta| meta & STEP_MASK == step),
            None => true,
        }
    }

    // -- search --------------------------------------------------------------

    /// Start searching for the typed query from scratch.
    fn restart_search(&mut self) {
        self.search.cancel();
        self.search.generation += 1;
        self.search.matches.clear();
        self.search.current = None;
        self.search.truncated = false;
        self.search.error = None;
        self.search.upto_line = 0;
        self.search.upto_offset = 0;
        self.search.active = self.search.query.trim().to_ascii_lowercase();
        self.search.jump_pending = !self.search.active.is_empty();
        self.continue_search();
    }

    /// Search lines indexed since the search last ran (or start it).
    fn continue_search(&mut self) {
        let search = &mut self.search;
        if search.running
            || search.active.is_empty()
            || search.truncated
            || search.error.is_some()
            || search.upto_line >= self.index.complete_lines()
        {
            return;
        }
        let Some(workers) = &self.workers else {
            return;
        };
        let cancel = Arc::new(AtomicBool::new(false));
        let job = SearchJob {
            path: self.path.clone(),
            needle: search.active.as_bytes().to_vec(),
            generation: search.generation,
            from_line: search.upto_line,
            from_offset: search.upto_offset,
            to_offset: self.index.complete_end,
            found_before: search.matches.len(),
            cancel: cancel.clone(),
            tx: workers.search_tx.clone(),
            ctx: workers.ctx.clone(),
        };
        match std::thread::Builder::new()
            .name("log-search".into())
            .spawn(move || job.run())
        {
            Ok(_) => {
                search.running = true;
                search.cancel = Some(cancel);
            }
            Err(error) => search.error = Some(format!("Cannot start the search: {error}")),
        }
    }

    /// Matches that pass the step filter, as indices into `search.matches`.
    fn shown_match(&self, index: usize) -> bool {
        self.search
            .matches
            .get(index)
            .is_some_and(|&line| self.line_visible(line as usize))
    }

    /// Jump to the first match at or below the top of the view; with `wrap`, to the
    /// first match above it if there is none below.
    fn jump_to_first_match(&mut self, wrap: bool) -> bool {
        let top = self.line_of_row(self.visible_rows.start).unwrap_or(0);
        let start = self.search.matches.partition_point(|&l| (l as usize) < top);
        let count = self.search.matches.len();
        let below = (start..count).find(|&index| self.shown_match(index));
        let found = below.or_else(|| {
            wrap.then(|| (0..start).find(|&index| self.shown_match(index)))
                .flatten()
        });
        match found {
            Some(index) => {
                self.go_to_match(index);
                true
            }
            None => false,
        }
    }

    /// Jump to the next (or previous) match, wrapping around.
    pub fn next_match(&mut self, forward: bool) {
        let count = self.search.matches.len();
        if count == 0 {
            return;
        }
        let start = match self.search.current {
            Some(current) if forward => current + 1,
            Some(current) => current + count - 1,
            None => {
                let top = self.line_of_row(self.visible_rows.start).unwrap_or(0);
                let at = self.search.matches.partition_point(|&l| (l as usize) < top);
                if forward {
                    at
                } else {
                    at + count - 1
                }
            }
        };
        let found = (0..count)
            .map(|k| {
                if forward {
                    (start + k) % count
                } else {
                    (start + count * 2 - k) % count
                }
            })
            .find(|&index| self.shown_match(index));
        if let Some(index) = found {
            self.go_to_match(index);
        }
    }

    fn go_to_match(&mut self, index: usize) {
        self.search.current = Some(index);
        let line = self.search.matches[index] as usize;
        self.scroll_to_line(line);
    }

    // -- reading lines ---------------------------------------------------------

    /// Lines read for the view: into the cache (unless the file was replaced
    /// since they were asked for).
    fn apply_read(&mut self, result: ReadResult) {
        if result.generation != self.read_generation {
            return;
        }
        for (line, cached) in result.lines {
            self.pending.remove(&line);
            self.cache.insert(line, cached);
        }
        self.read_error = result.error;
        if self.read_error.is_some() {
            // Lines that failed are asked for again on a later frame.
            self.pending.clear();
        }
    }

    /// Whether `line` must be read (again): not cached, or the line still being
    /// written grew since it was read.
    fn needs_read(&self, line: usize) -> bool {
        match self.cache.get(&line) {
            None => true,
            Some(cached) => {
                line >= self.index.complete_lines() && cached.end != self.index.byte_range(line).end
            }
        }
    }

    /// Ask the reader for the given lines that are not in the cache; they show
    /// in a later frame. Nothing is read here.
    fn request_lines(&mut self, lines: &[usize]) {
        let mut missing: Vec<usize> = lines
            .iter()
            .copied()
            .filter(|line| !self.pending.contains(line) && self.needs_read(*line))
            .collect();
        if missing.is_empty() {
            return;
        }
        missing.sort_unstable();
        if self.cache.len() + missing.len() > CACHE_LINES {
            // Keep what is on screen; the rest is read again when it comes back.
            let (first, last) = (lines.iter().min(), lines.iter().max());
            if let (Some(&first), Some(&last)) = (first, last) {
                self.cache.retain(|line, _| (first..=last).contains(line));
            }
        }
        let Some(workers) = &self.workers else {
            return;
        };
        let request = ReadRequest {
            generation: self.read_generation,
            lines: missing
                .iter()
                .map(|&line| (line, self.index.byte_range(line)))
                .collect(),
        };
        if workers.read_tx.send(request).is_ok() {
            self.pending.extend(missing);
        }
    }

    /// Copy the selected lines, or the lines in view, to the clipboard (read in the
    /// background: a selection can span millions of lines).
    fn copy(&mut self) {
        let lines: Vec<usize> = match self.selection {
            Some((a, b)) => {
                let (from, to) = (a.min(b), a.max(b));
                match self.step_filter {
                    Some(_) => {
                        let start = self.row_of_line(from);
                        self.filtered[start..]
                            .iter()
                            .map(|&l| l as usize)
                            .take_while(|&l| l <= to)
                            .collect()
                    }
                    None => (from..=to.min(self.index.line_count().saturating_sub(1))).collect(),
                }
            }
            None => self
                .visible_rows
                .clone()
                .filter_map(|row| self.line_of_row(row))
                .collect(),
        };
        let ranges: Vec<Range<u64>> = lines.iter().map(|&l| self.index.byte_range(l)).collect();
        let Some(workers) = &mut self.workers else {
            return;
        };
        let (tx, rx) = mpsc::channel();
        let path = self.path.clone();
        let ctx = workers.ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("log-copy".into())
            .spawn(move || {
                let _ = tx.send(copy_lines(&path, &ranges));
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => {
                workers.copy_rx = Some(rx);
                self.status = Some("Copying…".into());
            }
            Err(error) => self.status = Some(format!("Cannot copy: {error}")),
        }
    }

    // -- drawing ---------------------------------------------------------------

    /// Show the view. Call every frame it is on screen.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.start(ui.ctx());
        self.drain();
        if self.live {
            let due = self
                .last_poll
                .is_none_or(|last| last.elapsed() >= POLL_INTERVAL);
            if due {
                self.last_poll = Some(Instant::now());
                self.notify_appended();
            }
            ui.ctx().request_repaint_after(POLL_INTERVAL);
        }
        if ui.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::F)) {
            self.focus_search = true;
        }
        // Ctrl+C copies selected lines, unless a text field has the keyboard
        // (the search box copies its own text then).
        let copy_asked = ui.input(|i| i.events.iter().any(|e| matches!(e, egui::Event::Copy)));
        let copying = self.workers.as_ref().is_some_and(|w| w.copy_rx.is_some());
        if copy_asked
            && !copying
            && self.selection.is_some()
            && ui.memory(|m| m.focused().is_none())
        {
            self.copy();
        }
        self.toolbar_ui(ui);
        ui.separator();
        // A scope, so the row spacing set there does not leak into the caller's `ui`.
        ui.scope(|ui| self.rows_ui(ui));
    }

    /// One line, also beside Run detail's side panel at 1024 px: follow and
    /// search stay in view, the rest (timestamps, step filter, copy) folds into
    /// the "⋯" menu, and counts show only where there is room.
    fn toolbar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let mut follow = self.follow;
            if ui
                .checkbox(&mut follow, "Follow")
                .on_hover_text("Keep the last line in view")
                .changed()
            {
                self.follow = follow;
                if follow {
                    self.scroll_to_row = None;
                }
            }

            ui.separator();
            let label = ui.label("Search log");
            let search_id = self.id.with("search");
            // The field takes what the buttons after it leave, within bounds.
            let width = (ui.available_width() - 170.0).clamp(80.0, 180.0);
            let response = ui
                .add(
                    egui::TextEdit::singleline(&mut self.search.query)
                        .id(search_id)
                        .desired_width(width)
                        .hint_text("Ctrl+F"),
                )
                .labelled_by(label.id);
            if self.focus_search {
                response.request_focus();
                self.focus_search = false;
            }
            if response.changed() {
                self.restart_search();
            }
            if response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
                let forward = !ui.input(|i| i.modifiers.shift);
                self.next_match(forward);
                response.request_focus();
            }
            let has_matches = !self.search.matches.is_empty();
            // Arrows from the monospace font (which has them); screen readers and
            // tests still get the words.
            let arrow = |ui: &mut egui::Ui, glyph: &str, name: &str, tip: &str| {
                let response = ui
                    .add_enabled(
                        has_matches,
                        egui::Button::new(egui::RichText::new(glyph).monospace()),
                    )
                    .on_hover_text(tip);
                response.widget_info(|| {
                    WidgetInfo::labeled(egui::accesskit::Role::Button, has_matches, name)
                });
                response.clicked()
            };
            if arrow(ui, "▲", "Previous match", "Previous match (Shift+Enter)") {
                self.next_match(false);
            }
            if arrow(ui, "▼", "Next match", "Next match (Enter)") {
                self.next_match(true);
            }
            if !self.search.active.is_empty() {
                let more = if self.search.truncated { "+" } else { "" };
                let text = match self.search.current {
                    Some(current) => {
                        format!("{}/{}{more}", current + 1, self.search.matches.len())
                    }
                    None => format!("0/{}{more}", self.search.matches.len()),
                };
                ui.label(text).on_hover_text("Match shown / matches found");
                if self.search.running {
                    crate::gui::widgets::spinner::spinner(ui);
                }
            }
            if let Some(error) = &self.search.error {
                ui.colored_label(ui.visuals().error_fg_color, "!")
                    .on_hover_text(error);
            }

            ui.separator();
            self.more_menu_ui(ui);
            if let Some(step) = self.step_filter {
                let name = self
                    .index
                    .steps
                    .get(step as usize)
                    .map_or("(no step)", String::as_str)
                    .to_owned();
                if ui
                    .button(format!("{name} ×"))
                    .on_hover_text("Only this step's lines are shown; click to show all steps")
                    .clicked()
                {
                    self.set_step_filter(None);
                }
            }
            if self.indexing && !self.missing {
                crate::gui::widgets::spinner::spinner(ui);
            }
            // Counts and messages only where they fit; the menu has them too.
            let lines = self.index.line_count();
            let count = format!("{lines} line{}", if lines == 1 { "" } else { "s" });
            let text = match &self.status {
                Some(status) => format!("{count} · {status}"),
                None => count,
            };
            let font = TextStyle::Body.resolve(ui.style());
            let needed = ui.fonts_mut(|f| {
                f.layout_no_wrap(text.clone(), font, Color32::PLACEHOLDER)
                    .size()
                    .x
            });
            if needed <= ui.available_width() {
                ui.weak(text);
            }
        });
    }

    /// The "⋯" menu: what is used less often than search and follow.
    fn more_menu_ui(&mut self, ui: &mut egui::Ui) {
        let button = egui::Button::new(egui::RichText::new("⋯").monospace().strong());
        let (response, _) = egui::containers::menu::MenuButton::from_button(button).ui(ui, |ui| {
            ui.checkbox(&mut self.show_timestamps, "Show timestamps");
            if !self.index.steps.is_empty() {
                let mut choice = self.step_filter;
                ui.menu_button("Step", |ui| {
                    ui.selectable_value(&mut choice, None, "All steps");
                    for (id, name) in self.index.steps.iter().enumerate() {
                        ui.selectable_value(&mut choice, Some(id as u16), name);
                    }
                });
                self.set_step_filter(choice);
            }
            ui.separator();
            let copy_tip = if self.selection.is_some() {
                "Copy the selected lines (Ctrl+C)"
            } else {
                "Copy the lines in view"
            };
            let copying = self.workers.as_ref().is_some_and(|w| w.copy_rx.is_some());
            if ui
                .add_enabled(!copying, egui::Button::new("Copy"))
                .on_hover_text(copy_tip)
                .clicked()
            {
                self.copy();
                ui.close();
            }
            if ui
                .add_enabled(
                    self.selection.is_some(),
                    egui::Button::new("Clear selection"),
                )
                .clicked()
            {
                self.selection = None;
                ui.close();
            }
            ui.separator();
            let lines = self.index.line_count();
            ui.weak(format!("{lines} line{}", if lines == 1 { "" } else { "s" }));
            if let Some(status) = &self.status {
                ui.weak(status);
            }
        });
        response.widget_info(|| {
            WidgetInfo::labeled(egui::accesskit::Role::Button, true, "Log options")
        });
        response.on_hover_text("Timestamps, step filter, copy");
    }

    fn rows_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(error) = self.index_error.as_ref().or(self.read_error.as_ref()) {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        let total_rows = self.total_rows();
        if total_rows == 0 {
            let message = if self.missing && self.live {
                "Waiting for log output…".to_owned()
            } else if self.missing {
                format!("No log file `{}`.", self.path.display())
            } else if self.indexing {
                "Reading the log…".to_owned()
            } else if self.step_filter.is_some() {
                "No lines from this step.".to_owned()
            } else {
                "The log is empty.".to_owned()
            };
            ui.weak(message);
            return;
        }

        let font_id = TextStyle::Monospace.resolve(ui.style());
        let row_height = ui.text_style_height(&TextStyle::Monospace).ceil();
        // Rows touch: the row height alone decides where row `n` is.
        ui.spacing_mut().item_spacing.y = 0.0;
        let available = ui.available_height();
        let content_height = row_height * total_rows as f32;
        let bottom = (content_height - available).max(0.0);

        let mut area = egui::ScrollArea::vertical()
            .id_salt(self.id.with("rows"))
            .auto_shrink([false, false])
            .content_margin(0.0)
            .animated(false);
        let jumped = self.scroll_to_row.take();
        let target = match jumped {
            Some(row) => {
                let centre = row as f32 * row_height - (available - row_height) / 2.0;
                Some(centre.clamp(0.0, bottom))
            }
            None if self.follow => Some(bottom),
            None => None,
        };
        if let Some(offset) = target {
            area = area.vertical_scroll_offset(offset);
        }
        let current_match_line = self
            .search
            .current
            .and_then(|i| self.search.matches.get(i))
            .map(|&line| line as usize);

        let output = area.show_rows(ui, row_height, total_rows, |ui, rows| {
            let lines: Vec<usize> = rows
                .clone()
                .filter_map(|row| self.line_of_row(row))
                .collect();
            self.request_lines(&lines);
            let width = ui.available_width();
            let mut clicked = None;
            for &line in &lines {
                let (rect, response) =
                    ui.allocate_exact_size(Vec2::new(width, row_height), Sense::click());
                if !ui.is_rect_visible(rect) {
                    continue;
                }
                let Some(cached) = self.cache.get(&line) else {
                    continue;
                };
                let selected = self
                    .selection
                    .is_some_and(|(a, b)| (a.min(b)..=a.max(b)).contains(&line));
                if selected {
                    ui.painter()
                        .rect_filled(rect, 0.0, ui.visuals().selection.bg_fill);
                } else if current_match_line == Some(line) {
                    ui.painter()
                        .rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
                }
                let job = row_job(
                    ui.visuals(),
                    &font_id,
                    &cached.text,
                    self.show_timestamps,
                    &self.search.active,
                    width,
                );
                let galley = ui.painter().layout_job(job);
                let elided = galley.elided;
                let text = galley.text().to_owned();
                ui.painter()
                    .galley(rect.left_top(), galley, ui.visuals().text_color());
                response
                    .widget_info(|| WidgetInfo::labeled(egui::accesskit::Role::Label, true, &text));
                let response = if elided {
                    response.on_hover_text(&cached.text)
                } else {
                    response
                };
                if response.clicked() {
                    clicked = Some(line);
                }
            }
            if let Some(line) = clicked {
                let shift = ui.input(|i| i.modifiers.shift);
                self.selection = match self.selection {
                    Some((anchor, _)) if shift => Some((anchor, line)),
                    Some((a, b)) if a == line && b == line => None,
                    _ => Some((line, line)),
                };
            }
            rows
        });
        self.visible_rows = output.inner;

        // Scrolling up (wheel, drag, scroll bar) pauses following.
        let max_offset = (output.content_size.y - output.inner_rect.height()).max(0.0);
        if self.follow
            && jumped.is_none()
            && output.state.clamped_offset().y + row_height < max_offset
        {
            self.follow = false;
        }
    }
}

impl Drop for LogView {
    fn drop(&mut self) {
        self.search.cancel();
    }
}

/// Build one row: dimmed timestamp, step, stderr marker, text; search hits highlighted.
fn row_job(
    visuals: &egui::Visuals,
    font_id: &FontId,
    line: &str,
    show_timestamps: bool,
    needle: &str,
    width: f32,
) -> LayoutJob {
    let mut job = LayoutJob {
        wrap: TextWrapping::truncate_at_width(width),
        ..Default::default()
    };
    let plain = visuals.text_color();
    let highlight = visuals.selection.bg_fill;
    let push = |job: &mut LayoutJob, text: &str, color: Color32| {
        append_highlighted(job, text, needle, font_id, color, highlight);
    };
    match parse_line(line.as_bytes()) {
        Some(parts) => {
            let text_color = if parts.stderr {
                visuals.error_fg_color
            } else {
                plain
            };
            if show_timestamps {
                push(
                    &mut job,
                    &line[parts.timestamp.clone()],
                    visuals.weak_text_color(),
                );
                push(&mut job, " ", plain);
            }
            if let Some(step) = parts.step {
                push(&mut job, &line[step], step_color(visuals));
                push(&mut job, " ", plain);
            }
            if parts.stderr {
                push(&mut job, "stderr ", visuals.error_fg_color);
            }
            push(&mut job, &line[parts.text_start..], text_color);
        }
        None => push(&mut job, line, plain),
    }
    job
}

fn step_color(visuals: &egui::Visuals) -> Color32 {
    if visuals.dark_mode {
        Color32::from_rgb(0x80, 0xb4, 0xff)
    } else {
        Color32::from_rgb(0x1a, 0x5f, 0xb4)
    }
}

/// Append `text`, giving case-insensitive occurrences of `needle` a background.
fn append_highlighted(
    job: &mut LayoutJob,
    text: &str,
    needle: &str,
    font_id: &FontId,
    color: Color32,
    highlight: Color32,
) {
    let format = TextFormat::simple(font_id.clone(), color);
    if needle.is_empty() || text.is_empty() {
        job.append(text, 0.0, format);
        return;
    }
    let lower = text.to_ascii_lowercase();
    let mut pos = 0;
    for (at, _) in lower.match_indices(needle) {
        if at < pos {
            continue;
        }
        job.append(&text[pos..at], 0.0, format.clone());
        let end = at + needle.len();
        job.append(
            &text[at..end],
            0.0,
            TextFormat {
                background: highlight,
                ..format.clone()
            },
        );
        pos = end;
    }
    job.append(&text[pos..], 0.0, format);
}

/// Read the given byte ranges and join them as lines, up to [`MAX_COPY_BYTES`].
fn copy_lines(path: &Path, ranges: &[Range<u64>]) -> Result<(String, usize), String> {
    let describe = |e: io::Error| format!("Cannot copy from the log `{}`: {e}", path.display());
    let file = File::open(path).map_err(describe)?;
    let mut out: Vec<u8> = Vec::new();
    let mut copied = 0;
    let mut i = 0;
    while i < ranges.len() && out.len() < MAX_COPY_BYTES {
        // Neighbouring lines are read in one go.
        let mut j = i + 1;
        while j < ranges.len()
            && ranges[j].start <= ranges[j - 1].end + 1
            && ranges[j].end - ranges[i].start <= READ_CHUNK as u64
        {
            j += 1;
        }
        let block = ranges[i].start..ranges[j - 1].end;
        let bytes = read_range(&file, block.clone(), u64::MAX).map_err(describe)?;
        for range in &ranges[i..j] {
            let from = ((range.start - block.start) as usize).min(bytes.len());
            let to = ((range.end - block.start) as usize).clamp(from, bytes.len());
            let line = &bytes[from..to];
            out.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
            out.push(b'\n');
            copied += 1;
        }
        i = j;
    }
    Ok((String::from_utf8_lossy(&out).into_owned(), copied))
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::kittest::{NodeT as _, Queryable as _};
    use egui_kittest::Harness;
    use std::io::Write as _;
    use std::time::Duration;

    fn write_lines(path: &Path, lines: &[String]) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        for line in lines {
            writeln!(file, "{line}").unwrap();
        }
    }

    fn log_line(i: usize, step: &str, stream: &str, text: &str) -> String {
        format!(
            "2026-11-26T19:25:{:02}.{i:06}Z {step} {stream} {text}",
            i % 60
        )
    }

    /// Step the harness until `done` holds, for at most five seconds.
    fn step_until<S>(
        harness: &mut Harness<'_, S>,
        what: &str,
        done: impl Fn(&Harness<'_, S>) -> bool,
    ) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            harness.step();
            if done(harness) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn harness(view: LogView) -> Harness<'static, LogView> {
        Harness::builder()
            .with_size(Vec2::new(900.0, 400.0))
            .build_ui_state(|ui, view: &mut LogView| view.ui(ui), view)
    }

    #[test]
    fn parses_run_and_step_log_lines() {
        let line = b"2026-11-26T19:25:38.360980Z train model stderr oops: stdout here";
        let parts = parse_line(line).unwrap();
        assert_eq!(&line[parts.step.clone().unwrap()], b"train model");
        assert!(parts.stderr);
        assert_eq!(&line[parts.text_start..], b"oops: stdout here");

        let line = b"2026-11-26T19:25:38.360980Z stdout hello";
        let parts = parse_line(line).unwrap();
        assert_eq!(parts.step, None);
        assert!(!parts.stderr);
        assert_eq!(&line[parts.text_start..], b"hello");

        let line = b"2026-11-26T19:25:38Z s1 stdout";
        assert_eq!(parse_line(line).unwrap().text_start, line.len());
        assert_eq!(parse_line(b"just some text"), None);
    }

    #[test]
    fn follows_a_growing_file_to_its_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.log");
        let lines: Vec<String> = (0..500)
            .map(|i| log_line(i, "step1", "stdout", &format!("early line {i}")))
            .collect();
        write_lines(&path, &lines);

        let mut view = LogView::new(path.clone());
        view.set_following(true);
        let mut harness = harness(view);
        step_until(&mut harness, "the first lines", |h| {
            h.state().line_count() == 500
        });
        step_until(&mut harness, "the last early line", |h| {
            h.query_by_label_contains("early line 499").is_some()
        });
        assert!(harness.query_by_label_contains("early line 0 ").is_none());

        write_lines(
            &path,
            &[log_line(500, "step2", "stdout", "brand new output")],
        );
        harness.state_mut().notify_appended();
        step_until(&mut harness, "the appended line", |h| {
            h.query_by_label_contains("brand new output").is_some()
        });
        assert_eq!(harness.state().line_count(), 501);
        assert!(harness.state().is_following());
    }

    #[test]
    fn scrolling_up_pauses_following() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.log");
        let lines: Vec<String> = (0..1000)
            .map(|i| log_line(i, "main", "stdout", &format!("line {i}")))
            .collect();
        write_lines(&path, &lines);
        let mut view = LogView::new(path.clone());
        view.set_following(true);
        let mut harness = harness(view);
        step_until(&mut harness, "the last line", |h| {
            h.query_by_label_contains("line 999").is_some()
        });
        let row = harness.get_by_label_contains("line 999").rect();
        harness.hover_at(row.center());
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: Vec2::new(0.0, 300.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
            modifiers: Modifiers::NONE,
        });
        step_until(&mut harness, "following to pause", |h| {
            !h.state().is_following()
        });
        harness.run();
        assert_eq!(
            harness.get_by_label("Follow").accesskit_node().toggled(),
            Some(egui::accesskit::Toggled::False)
        );

        // New output no longer moves the view.
        write_lines(
            &path,
            &[log_line(1000, "main", "stdout", "after the pause")],
        );
        harness.state_mut().notify_appended();
        step_until(&mut harness, "the new line to be indexed", |h| {
            h.state().line_count() == 1001
        });
        harness.run();
        assert!(harness.query_by_label_contains("after the pause").is_none());

        // Ticking "Follow" jumps back to the end.
        harness.get_by_label("Follow").click();
        step_until(&mut harness, "the end", |h| {
            h.query_by_label_contains("after the pause").is_some()
        });
    }

    #[test]
    fn polls_a_live_file_without_being_told() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.log");
        let mut view = LogView::new(path.clone());
        view.set_following(true);
        let mut harness = harness(view);
        step_until(&mut harness, "the waiting message", |h| {
            h.query_by_label("Waiting for log output…").is_some()
        });
        write_lines(&path, &[log_line(1, "main", "stdout", "late arrival")]);
        step_until(&mut harness, "the polled line", |h| {
            h.query_by_label_contains("late arrival").is_some()
        });
    }

    #[test]
    fn search_finds_and_scrolls_to_a_match() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.log");
        let lines: Vec<String> = (0..5000)
            .map(|i| {
                let text = if i == 3737 {
                    "the Needle is here".to_owned()
                } else {
                    format!("hay {i}")
                };
                log_line(i, "main", "stdout", &text)
            })
            .collect();
        write_lines(&path, &lines);
        let mut harness = harness(LogView::new(path));
        step_until(&mut harness, "the index", |h| {
            h.state().line_count() == 5000 && !h.state().is_indexing()
        });
        assert!(harness.query_by_label_contains("Needle").is_none());

        harness.get_by_label("Search log").focus();
        harness.run();
        harness.get_by_label("Search log").type_text("needle");
        step_until(&mut harness, "the match", |h| {
            h.state().search_matches() == [3737]
        });
        harness.get_by_label("Next match").click();
        step_until(&mut harness, "the matching row in view", |h| {
            h.query_by_label_contains("the Needle is here").is_some()
        });
        // Shown compactly, the toolbar being one line: match 1 of 1.
        assert!(harness.query_by_label("1/1").is_some());
        assert!(harness.query_by_label_contains("hay 0 ").is_none());
    }

    #[test]
    fn ctrl_f_focuses_the_search_box() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.log");
        write_lines(&path, &[log_line(1, "main", "stdout", "x")]);
        let mut harness = harness(LogView::new(path));
        harness.run();
        harness.key_press_modifiers(Modifiers::COMMAND, Key::F);
        harness.run();
        assert!(harness.get_by_label("Search log").is_focused());
    }

    #[test]
    fn stderr_lines_are_marked_and_coloured() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.log");
        write_lines(
            &path,
            &[
                log_line(1, "main", "stdout", "all good"),
                log_line(2, "main", "stderr", "something failed"),
            ],
        );
        let mut harness = harness(LogView::new(path));
        step_until(&mut harness, "both lines", |h| {
            h.query_by_label_contains("something failed").is_some()
        });
        let error_row = harness.get_by_label_contains("something failed");
        assert!(error_row.value().unwrap_or_default().contains("stderr"));
        let ok_row = harness.get_by_label_contains("all good");
        assert!(!ok_row.value().unwrap_or_default().contains("stdout"));

        // The failing text is painted in the error colour, the other in the normal one.
        let error_color = harness.ctx.global_style().visuals.error_fg_color;
        let color_of = |needle: &str| {
            harness
                .output()
                .shapes
                .iter()
                .find_map(|clipped| match &clipped.shape {
                    egui::Shape::Text(text) if text.galley.text().contains(needle) => text
                        .galley
                        .job
                        .sections
                        .iter()
                        .find(|s| {
                            text.galley.job.text[s.byte_range.start.0..s.byte_range.end.0]
                                .contains(needle)
                        })
                        .map(|s| s.format.color),
                    _ => None,
                })
                .unwrap()
        };
        assert_eq!(color_of("something failed"), error_color);
        assert_ne!(color_of("all good"), error_color);
    }

    #[test]
    fn step_filter_shows_only_that_step() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.log");
        write_lines(
            &path,
            &[
                log_line(1, "prepare data", "stdout", "from prepare"),
                log_line(2, "train", "stdout", "from train"),
            ],
        );
        let mut harness = harness(LogView::new(path));
        step_until(&mut harness, "both lines", |h| {
            h.query_by_label_contains("from train").is_some()
        });
        harness.state_mut().set_step_filter(Some(0));
        harness.run();
        assert!(harness.query_by_label_contains("from prepare").is_some());
        assert!(harness.query_by_label_contains("from train").is_none());
        assert_eq!(harness.state().index.steps, ["prepare data", "train"]);
    }

    #[test]
    fn copy_puts_the_selected_line_on_the_clipboard() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.log");
        write_lines(
            &path,
            &[
                log_line(1, "main", "stdout", "first"),
                log_line(2, "main", "stdout", "second"),
            ],
        );
        let mut harness = harness(LogView::new(path));
        step_until(&mut harness, "the lines", |h| {
            h.query_by_label_contains("second").is_some()
        });
        harness.get_by_label_contains("second").click();
        harness.run();
        // Copy is in the "⋯" menu.
        harness.get_by_label("Log options").click();
        harness.run();
        harness.get_by_label("Copy").click();
        let expected = format!("{}\n", log_line(2, "main", "stdout", "second"));
        step_until(&mut harness, "the copy", |h| {
            h.output()
                .platform_output
                .commands
                .iter()
                .any(|c| matches!(c, egui::OutputCommand::CopyText(text) if *text == expected))
        });
    }

    #[test]
    fn a_truncated_file_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.log");
        write_lines(
            &path,
            &[log_line(1, "main", "stdout", "old content that is long")],
        );
        let mut harness = harness(LogView::new(path.clone()));
        step_until(&mut harness, "the old line", |h| {
            h.query_by_label_contains("old content").is_some()
        });
        std::fs::write(
            &path,
            format!("{}\n", log_line(1, "main", "stdout", "fresh")),
        )
        .unwrap();
        harness.state_mut().notify_appended();
        step_until(&mut harness, "the new line", |h| {
            h.query_by_label_contains("fresh").is_some()
        });
        assert!(harness.query_by_label_contains("old content").is_none());
    }
}
