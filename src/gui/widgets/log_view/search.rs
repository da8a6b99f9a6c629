//! Searching the log on a background thread: case-insensitive, over the lines
//! indexed so far, continued as more are indexed, handing back line numbers.

use super::index::READ_CHUNK;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;

/// Search stops collecting after this many matching lines.
const MAX_MATCHES: usize = 1_000_000;

/// Matching lines found by a search thread.
pub(super) struct SearchEvent {
    pub(super) generation: u64,
    pub(super) matches: Vec<u32>,
    /// Lines searched so far (the next line to search) and its byte offset.
    pub(super) upto_line: usize,
    pub(super) upto_offset: u64,
    pub(super) done: bool,
    /// The match limit was hit; nothing after `upto_line` was searched.
    pub(super) truncated: bool,
    pub(super) error: Option<String>,
}

/// One search over the complete lines in `from_offset..to_offset` (which must start
/// at line `from_line` and end just after a newline).
pub(super) struct SearchJob {
    pub(super) path: PathBuf,
    pub(super) needle: Vec<u8>,
    pub(super) generation: u64,
    pub(super) from_line: usize,
    pub(super) from_offset: u64,
    pub(super) to_offset: u64,
    /// Matches already found by earlier jobs of this search.
    pub(super) found_before: usize,
    pub(super) cancel: Arc<AtomicBool>,
    pub(super) tx: Sender<SearchEvent>,
    pub(super) ctx: egui::Context,
}

impl SearchJob {
    pub(super) fn run(self) {
        let result = self.search();
        let (upto_line, upto_offset, truncated, error) = match result {
            Ok((line, offset, truncated)) => (line, offset, truncated, None),
            Err(error) => (
                self.from_line,
                self.from_offset,
                false,
                Some(format!(
                    "Cannot search the log `{}`: {error}",
                    self.path.display()
                )),
            ),
        };
        self.send(SearchEvent {
            generation: self.generation,
            matches: Vec::new(),
            upto_line,
            upto_offset,
            done: true,
            truncated,
            error,
        });
    }

    fn send(&self, event: SearchEvent) {
        if !self.cancel.load(Ordering::Relaxed) {
            let _ = self.tx.send(event);
            self.ctx.request_repaint();
        }
    }

    /// Case-insensitive (ASCII) substring search; returns where it stopped and
    /// whether the match limit cut it short.
    fn search(&self) -> io::Result<(usize, u64, bool)> {
        let mut file = File::open(&self.path)?;
        file.seek(SeekFrom::Start(self.from_offset))?;
        let mut reader = file.take(self.to_offset.saturating_sub(self.from_offset));
        let finder = memchr::memmem::Finder::new(&self.needle);
        let mut buf: Vec<u8> = Vec::with_capacity(READ_CHUNK * 2);
        let mut line = self.from_line;
        let mut offset = self.from_offset;
        let mut matches = Vec::new();
        let mut found = self.found_before;
        loop {
            if self.cancel.load(Ordering::Relaxed) {
                return Ok((line, offset, false));
            }
            let kept = buf.len();
            buf.resize(kept + READ_CHUNK, 0);
            let n = reader.read(&mut buf[kept..])?;
            buf.truncate(kept + n);
            if n == 0 {
                break;
            }
            // Only whole lines are searched; a line cut by the chunk waits for the rest.
            let Some(last_newline) = memchr::memrchr(b'\n', &buf) else {
                continue;
            };
            let region = &mut buf[..=last_newline];
            region.make_ascii_lowercase();
            let mut pos = 0;
            while let Some(at) = finder.find(&region[pos..]) {
                let hit = pos + at;
                line += memchr::memchr_iter(b'\n', &region[pos..hit]).count();
                matches.push(line as u32);
                found += 1;
                // Region ends with a newline, so there is one after every hit.
                let end =
                    memchr::memchr(b'\n', &region[hit..]).map_or(region.len() - 1, |e| hit + e);
                line += 1;
                pos = end + 1;
                if found >= MAX_MATCHES {
                    let consumed = offset + pos as u64;
                    self.send_matches(&mut matches, line, consumed);
                    return Ok((line, consumed, true));
                }
            }
            line += memchr::memchr_iter(b'\n', &region[pos..]).count();
            offset += last_newline as u64 + 1;
            buf.drain(..=last_newline);
            if !matches.is_empty() {
                self.send_matches(&mut matches, line, offset);
            }
        }
        Ok((line, offset, false))
    }

    fn send_matches(&self, matches: &mut Vec<u32>, upto_line: usize, upto_offset: u64) {
        self.send(SearchEvent {
            generation: self.generation,
            matches: std::mem::take(matches),
            upto_line,
            upto_offset,
            done: false,
            truncated: false,
            error: None,
        });
    }
}

/// The search box and what it found.
#[derive(Default)]
pub(super) struct Search {
    /// What is typed in the box.
    pub(super) query: String,
    /// The query the current results belong to (lower-cased).
    pub(super) active: String,
    pub(super) generation: u64,
    pub(super) matches: Vec<u32>,
    /// Index into `matches` of the match last jumped to.
    pub(super) current: Option<usize>,
    pub(super) running: bool,
    pub(super) truncated: bool,
    /// Lines `0..upto_line` (bytes `0..upto_offset`) have been searched.
    pub(super) upto_line: usize,
    pub(super) upto_offset: u64,
    /// Jump to the first match once results arrive.
    pub(super) jump_pending: bool,
    pub(super) cancel: Option<Arc<AtomicBool>>,
    pub(super) error: Option<String>,
}

impl Search {
    pub(super) fn cancel(&mut self) {
        if let Some(cancel) = self.cancel.take() {
            cancel.store(true, Ordering::Relaxed);
        }
        self.running = false;
    }
}
