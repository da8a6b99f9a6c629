//! Viewer for a run's log file, built for logs of millions of lines that are still
//! being written.
//!
//! The file is never held in memory: a background thread scans it once and keeps
//! only the byte offset where each line starts (plus two bytes per line: its step
//! and whether it came from stderr, so the step filter needs no second pass). The
//! UI draws only the rows in view; a reader thread fetches just those lines from
//! the file into a small cache, so a frame never waits on the disk (a line not
//! read yet shows a frame later). Searching runs on its own background thread and
//! hands back line numbers. While a run is live the view polls the file length four times a second;
//! otherwise it repaints only when something arrives.
//!
//! Lines look like `<timestamp> <step> <stdout|stderr> <text>` (the run log) or
//! `<timestamp> <stdout|stderr> <text>` (a step log); anything else is shown as is.
//!
//! - `index`: line offsets and metadata (indexer thread), and the line reader;
//! - `search`: the search thread;
//! - `view`: the widget.

mod index;
mod search;
mod view;

pub use view::LogView;
