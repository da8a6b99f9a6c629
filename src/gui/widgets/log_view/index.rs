//! The log's index: where each line starts, which step wrote it and whether it
//! went to stderr, built by a background thread that scans the file once and
//! then only what is appended; and the reader thread that fetches the lines a
//! frame wants to show, so no frame waits on the disk.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender};

/// Bytes read per system call while indexing, searching and copying.
pub(super) const READ_CHUNK: usize = 1 << 20;
/// Lines handed to the UI per message while indexing, so a big file shows up early.
const BATCH_LINES: usize = 1 << 16;
/// Bytes of one line shown in a row; the rest of a giant line is cut.
pub(super) const MAX_LINE_BYTES: usize = 4096;
/// Contiguous rows are read with one call when they span at most this many bytes.
const MAX_BLOCK_READ: u64 = 1 << 20;
/// Start of a line kept while indexing: enough to read its timestamp, step and stream.
const HEAD_BYTES: usize = 512;
/// Per-line metadata: the low 15 bits are the step id, the top bit marks stderr.
pub(super) const STDERR_BIT: u16 = 0x8000;
pub(super) const STEP_MASK: u16 = 0x7FFF;
/// Step id of lines without a (recognised) step.
const NO_STEP: u16 = STEP_MASK;

/// The parts of one log line, as byte ranges into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LineParts {
    pub(super) timestamp: Range<usize>,
    pub(super) step: Option<Range<usize>>,
    pub(super) stderr: bool,
    /// Where the text written by the command starts.
    pub(super) text_start: usize,
}

/// Split a log line into timestamp, step, stream and text; `None` if it does not
/// look like a log line (then it is shown unstyled).
pub(super) fn parse_line(line: &[u8]) -> Option<LineParts> {
    if !line.first()?.is_ascii_digit() {
        return None;
    }
    let ts_end = line.iter().position(|&b| b == b' ')?;
    let rest_start = ts_end + 1;
    let rest = &line[rest_start..];
    // The stream token, at `at` in `rest`: `stdout`/`stderr` followed by a space or
    // the end of the line.
    let stream_at = |at: usize| -> Option<bool> {
        let token = rest.get(at..at + 6)?;
        let stderr = match token {
            b"stdout" => false,
            b"stderr" => true,
            _ => return None,
        };
        match rest.get(at + 6) {
            None | Some(b' ') => Some(stderr),
            _ => None,
        }
    };
    let text_after = |at: usize| (rest_start + at + 7).min(line.len());
    if let Some(stderr) = stream_at(0) {
        return Some(LineParts {
            timestamp: 0..ts_end,
            step: None,
            stderr,
            text_start: text_after(0),
        });
    }
    // Step names may contain spaces: the step ends at the first stream token.
    let mut from = 0;
    while let Some(found) = memchr::memmem::find(&rest[from..], b" std") {
        let space = from + found;
        if space > 0 {
            if let Some(stderr) = stream_at(space + 1) {
                return Some(LineParts {
                    timestamp: 0..ts_end,
                    step: Some(rest_start..rest_start + space),
                    stderr,
                    text_start: text_after(space + 1),
                });
            }
        }
        from = space + 1;
    }
    None
}

/// What the indexer hands to the UI.
pub(super) enum IndexEvent {
    Batch(Batch),
    /// The file does not exist (yet).
    Missing,
    Error(String),
}

/// New lines found by the indexer. `reset` means the file shrank (it was replaced or
/// truncated) and everything known about it must be forgotten first.
#[derive(Default)]
pub(super) struct Batch {
    pub(super) reset: bool,
    pub(super) starts: Vec<u64>,
    pub(super) meta: Vec<u16>,
    /// Names of steps seen for the first time, in id order.
    pub(super) new_steps: Vec<String>,
    /// Offset just past the last complete line.
    pub(super) complete_end: u64,
    /// File length: bytes past `complete_end` are a line still being written.
    pub(super) file_len: u64,
    /// The scan reached the end of the file.
    pub(super) done: bool,
}

/// State of the background indexing thread.
pub(super) struct Indexer {
    pub(super) path: PathBuf,
    pub(super) file: Option<File>,
    pub(super) complete_end: u64,
    pub(super) file_len: u64,
    pub(super) step_ids: HashMap<Vec<u8>, u16>,
    pub(super) tx: Sender<IndexEvent>,
    pub(super) ctx: egui::Context,
}

impl Indexer {
    /// Serve scan requests until the view is dropped.
    pub(super) fn run(mut self, requests: Receiver<()>) {
        while requests.recv().is_ok() {
            // Requests that piled up while scanning are served by one scan.
            while requests.try_recv().is_ok() {}
            if let Err(error) = self.scan() {
                self.file = None;
                self.send(IndexEvent::Error(format!(
                    "Cannot read the log `{}`: {error}",
                    self.path.display()
                )));
            }
        }
    }

    fn send(&self, event: IndexEvent) {
        // A closed channel means the view is gone; the next `recv` ends the thread.
        let _ = self.tx.send(event);
        self.ctx.request_repaint();
    }

    /// Index the bytes appended since the last scan.
    fn scan(&mut self) -> io::Result<()> {
        let file = match self.file.take() {
            Some(file) => file,
            None => match File::open(&self.path) {
                Ok(file) => file,
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    self.send(IndexEvent::Missing);
                    return Ok(());
                }
                Err(error) => return Err(error),
            },
        };
        let result = self.scan_file(&file);
        // Keep the file open for the next scan unless reading it failed.
        if result.is_ok() {
            self.file = Some(file);
        }
        result
    }

    fn scan_file(&mut self, file: &File) -> io::Result<()> {
        let mut handle = file;
        let len = handle.metadata()?.len();
        let mut batch = Batch::default();
        if len < self.complete_end {
            // Truncated or replaced: start over.
            batch.reset = true;
            self.complete_end = 0;
            self.step_ids.clear();
        } else if len == self.file_len {
            return Ok(());
        }
        handle.seek(SeekFrom::Start(self.complete_end))?;
        let mut reader = handle.take(len - self.complete_end);
        let mut buf = vec![0u8; READ_CHUNK];
        let mut pos = self.complete_end;
        let mut line_start = self.complete_end;
        let mut head: Vec<u8> = Vec::with_capacity(HEAD_BYTES);
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            let chunk = &buf[..n];
            let mut i = 0;
            for newline in memchr::memchr_iter(b'\n', chunk) {
                let room = HEAD_BYTES - head.len();
                head.extend_from_slice(&chunk[i..newline.min(i + room)]);
                batch.starts.push(line_start);
                batch.meta.push(self.meta_of(&head, &mut batch.new_steps));
                head.clear();
                line_start = pos + newline as u64 + 1;
                i = newline + 1;
                if batch.starts.len() >= BATCH_LINES {
                    batch.complete_end = line_start;
                    batch.file_len = line_start;
                    self.send(IndexEvent::Batch(std::mem::take(&mut batch)));
                }
            }
            let room = HEAD_BYTES - head.len();
            head.extend_from_slice(&chunk[i..n.min(i + room)]);
            pos += n as u64;
        }
        self.complete_end = line_start;
        self.file_len = pos;
        batch.complete_end = line_start;
        batch.file_len = pos;
        batch.done = true;
        self.send(IndexEvent::Batch(batch));
        Ok(())
    }

    /// Step id and stream bit of a line, from its first bytes.
    fn meta_of(&mut self, head: &[u8], new_steps: &mut Vec<String>) -> u16 {
        let Some(parts) = parse_line(head) else {
            return NO_STEP;
        };
        let stream = if parts.stderr { STDERR_BIT } else { 0 };
        let Some(step) = parts.step else {
            return NO_STEP | stream;
        };
        let name = &head[step];
        if let Some(&id) = self.step_ids.get(name) {
            return id | stream;
        }
        let id = self.step_ids.len() as u16;
        if id >= NO_STEP {
            return NO_STEP | stream;
        }
        self.step_ids.insert(name.to_vec(), id);
        new_steps.push(String::from_utf8_lossy(name).into_owned());
        id | stream
    }
}

/// Line offsets and metadata received from the indexer.
#[derive(Default)]
pub(super) struct LineIndex {
    pub(super) starts: Vec<u64>,
    pub(super) meta: Vec<u16>,
    pub(super) complete_end: u64,
    pub(super) file_len: u64,
    pub(super) steps: Vec<String>,
}

impl LineIndex {
    /// Complete lines, plus the line still being written if there is one.
    pub(super) fn line_count(&self) -> usize {
        self.starts.len() + usize::from(self.file_len > self.complete_end)
    }

    pub(super) fn complete_lines(&self) -> usize {
        self.starts.len()
    }

    /// Bytes of `line`, without its newline.
    pub(super) fn byte_range(&self, line: usize) -> Range<u64> {
        if line >= self.starts.len() {
            return self.complete_end..self.file_len;
        }
        let start = self.starts[line];
        let end = self
            .starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.complete_end);
        start..end.saturating_sub(1).max(start)
    }
}

/// One line as displayed: its text (possibly cut), and where the bytes it was
/// read from ended (a line still being written is read again once it grew).
pub(super) struct CachedLine {
    pub(super) text: String,
    pub(super) end: u64,
}

/// Turn raw bytes of a line into display text: lossy UTF-8, no trailing `\r`, tabs
/// as spaces, giant lines cut.
pub(super) fn display_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    let cut = bytes.len() > MAX_LINE_BYTES;
    let bytes = &bytes[..bytes.len().min(MAX_LINE_BYTES)];
    let mut text = String::from_utf8_lossy(bytes).replace('\t', "    ");
    if cut {
        text.push_str(" … (line cut)");
    }
    text
}

/// Read `range` of `file` (at most `limit` bytes).
pub(super) fn read_range(file: &File, range: Range<u64>, limit: u64) -> io::Result<Vec<u8>> {
    let mut file = file;
    file.seek(SeekFrom::Start(range.start))?;
    let len = (range.end - range.start).min(limit);
    let mut buf = Vec::with_capacity(len as usize);
    file.take(len).read_to_end(&mut buf)?;
    Ok(buf)
}

// ---------------------------------------------------------------------------
// Reading the lines in view

/// Lines a frame wants to show that are not in the cache, with their bytes.
pub(super) struct ReadRequest {
    /// Which version of the file the ranges belong to (a truncated file starts
    /// a new one).
    pub(super) generation: u64,
    pub(super) lines: Vec<(usize, Range<u64>)>,
}

/// What the reader found for a request.
pub(super) struct ReadResult {
    pub(super) generation: u64,
    pub(super) lines: Vec<(usize, CachedLine)>,
    pub(super) error: Option<String>,
}

/// The thread that reads lines for the view, so that no frame waits on the disk.
pub(super) struct LineReader {
    pub(super) path: PathBuf,
    pub(super) file: Option<File>,
    /// The generation `file` was opened for: a new one (the file was replaced
    /// or truncated) opens it again.
    pub(super) generation: u64,
    pub(super) tx: Sender<ReadResult>,
    pub(super) ctx: egui::Context,
}

impl LineReader {
    /// Serve requests until the view is dropped.
    pub(super) fn run(mut self, requests: Receiver<ReadRequest>) {
        while let Ok(request) = requests.recv() {
            let result = self.read(request);
            if self.tx.send(result).is_err() {
                return;
            }
            self.ctx.request_repaint();
        }
    }

    fn read(&mut self, request: ReadRequest) -> ReadResult {
        let mut result = ReadResult {
            generation: request.generation,
            lines: Vec::with_capacity(request.lines.len()),
            error: None,
        };
        if request.generation != self.generation {
            self.generation = request.generation;
            self.file = None;
        }
        if self.file.is_none() {
            match File::open(&self.path) {
                Ok(file) => self.file = Some(file),
                Err(error) => {
                    result.error = Some(self.describe(&error));
                    return result;
                }
            }
        }
        let Some(file) = &self.file else {
            return result;
        };
        let lines = &request.lines;
        let mut error = None;
        let mut i = 0;
        while i < lines.len() {
            // Neighbouring lines are read with one call.
            let mut j = i + 1;
            while j < lines.len() && lines[j].0 == lines[j - 1].0 + 1 {
                j += 1;
            }
            let block = lines[i].1.start..lines[j - 1].1.end;
            if block.end - block.start <= MAX_BLOCK_READ {
                match read_range(file, block.clone(), MAX_BLOCK_READ) {
                    Ok(bytes) => {
                        for (line, range) in &lines[i..j] {
                            let from = ((range.start - block.start) as usize).min(bytes.len());
                            let to = ((range.end - block.start) as usize).clamp(from, bytes.len());
                            result.lines.push((
                                *line,
                                CachedLine {
                                    text: display_text(&bytes[from..to]),
                                    end: range.end,
                                },
                            ));
                        }
                    }
                    Err(e) => error = Some(e),
                }
            } else {
                for (line, range) in &lines[i..j] {
                    match read_range(file, range.clone(), MAX_LINE_BYTES as u64 + 1) {
                        Ok(bytes) => result.lines.push((
                            *line,
                            CachedLine {
                                text: display_text(&bytes),
                                end: range.end,
                            },
                        )),
                        Err(e) => error = Some(e),
                    }
                }
            }
            i = j;
        }
        if let Some(e) = error {
            // Open the file again next time: it may have been replaced.
            self.file = None;
            result.error = Some(self.describe(&e));
        }
        result
    }

    fn describe(&self, error: &io::Error) -> String {
        format!("Cannot read the log `{}`: {error}", self.path.display())
    }
}
