//! The run's log file: one file for all steps (each line names its step), so a
//! run creates as few files as possible, and a size limit so that a step
//! printing without end cannot fill the disk.
//!
//! Past the limit the log keeps its first half and its last half: lines up to
//! half the limit go to the log as they come; after that a marker line says the
//! log is truncated, and lines go to two rotating tail files next to it, each a
//! quarter of the limit, so the last quarter to half of the limit is always
//! kept. When the run ends the tail files are appended after a second marker
//! that says how much was dropped. A run whose process died before that has its
//! tail appended by recovery ([`salvage`]).
//!
//! A write error (a full disk) is kept and reported when the step ends; the
//! command itself is not disturbed by it.

use super::process::Stream;
use super::{EngineEvent, EventCallback};
use crate::error::EngineError;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the two markers start with, so readers can find them.
pub const TRUNCATED: &str = "[flowdesk] log truncated:";

/// The log of one run.
pub(crate) struct RunLog {
    path: PathBuf,
    main: BufWriter<File>,
    /// Bytes written to the main file.
    written: u64,
    /// Half the limit: what the main file keeps before truncating.
    head_limit: u64,
    /// A quarter of the limit: the size of one tail file.
    segment_limit: u64,
    tail: Option<Tail>,
    error: Option<EngineError>,
    finished: bool,
}

/// The rotating tail files, once the log is truncated.
struct Tail {
    current: BufWriter<File>,
    current_bytes: u64,
    /// Whether the older tail file holds lines.
    has_older: bool,
    older_bytes: u64,
    /// Bytes rotated out for good.
    dropped: u64,
}

/// Where the tail files of a log are.
fn tail_paths(log: &Path) -> (PathBuf, PathBuf) {
    let name = log
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "log.txt".into());
    (
        log.with_file_name(format!("{name}.tail")),
        log.with_file_name(format!("{name}.tail.old")),
    )
}

/// Create a file only its owner may read (logs hold whatever a step prints).
fn create_private(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

fn megabytes(bytes: u64) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if mb >= 10.0 {
        format!("{mb:.0} MB")
    } else {
        format!("{mb:.1} MB")
    }
}

fn timestamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl RunLog {
    /// Create the log (and its folder); `limit` is the most bytes it keeps,
    /// `None` for no limit.
    pub(crate) fn create(path: &Path, limit: Option<u64>) -> Result<Self, EngineError> {
        let error = |source| EngineError::log(path, source);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(error)?;
        }
        let file = create_private(path).map_err(error)?;
        let limit = limit.unwrap_or(u64::MAX);
        Ok(RunLog {
            path: path.to_path_buf(),
            main: BufWriter::with_capacity(32 * 1024, file),
            written: 0,
            head_limit: limit / 2,
            segment_limit: (limit / 4).max(1),
            tail: None,
            error: None,
            finished: false,
        })
    }

    pub(crate) fn write(&mut self, step: &str, stream: &str, time: &str, text: &str) {
        if self.error.is_some() {
            return;
        }
        // `<time> <step> <stream> <text>\n`
        let size = (time.len() + step.len() + stream.len() + text.len() + 4) as u64;
        let result = if self.tail.is_none() && self.written + size <= self.head_limit {
            self.written += size;
            writeln!(self.main, "{time} {step} {stream} {text}")
        } else {
            self.write_tail(step, stream, time, text, size)
        };
        if let Err(source) = result {
            self.error = Some(EngineError::log(&self.path, source));
        }
    }

    fn write_tail(
        &mut self,
        step: &str,
        stream: &str,
        time: &str,
        text: &str,
        size: u64,
    ) -> io::Result<()> {
        let (current_path, older_path) = tail_paths(&self.path);
        if self.tail.is_none() {
            writeln!(
                self.main,
                "{} {step} stderr {TRUNCATED} the log reached its limit; the first {} are kept above, \
                 and of the rest only the last {} to {}, appended when the run ends",
                timestamp(),
                megabytes(self.head_limit),
                megabytes(self.segment_limit),
                megabytes(2 * self.segment_limit),
            )?;
            self.main.flush()?;
            self.tail = Some(Tail {
                current: BufWriter::with_capacity(32 * 1024, create_private(&current_path)?),
                current_bytes: 0,
                has_older: false,
                older_bytes: 0,
                dropped: 0,
            });
        }
        let Some(tail) = self.tail.as_mut() else {
            return Ok(());
        };
        if tail.current_bytes > 0 && tail.current_bytes + size > self.segment_limit {
            tail.current.flush()?;
            std::fs::rename(&current_path, &older_path)?;
            tail.dropped += tail.older_bytes;
            tail.older_bytes = tail.current_bytes;
            tail.has_older = true;
            tail.current = BufWriter::with_capacity(32 * 1024, create_private(&current_path)?);
            tail.current_bytes = 0;
        }
        tail.current_bytes += size;
        writeln!(tail.current, "{time} {step} {stream} {text}")
    }

    /// A warning of flowdesk's own in the step's log and the live log (on
    /// stderr, marked as ours).
    pub(crate) fn warning(
        &mut self,
        run_id: &Arc<str>,
        step: &Arc<str>,
        on_event: &EventCallback,
        text: &str,
    ) {
        self.line(
            run_id,
            step,
            on_event,
            Stream::Stderr,
            format!("flowdesk: warning: {text}"),
        );
    }

    /// A note of flowdesk's own (on stdout, marked as ours).
    pub(crate) fn note(
        &mut self,
        run_id: &Arc<str>,
        step: &Arc<str>,
        on_event: &EventCallback,
        text: &str,
    ) {
        self.line(
            run_id,
            step,
            on_event,
            Stream::Stdout,
            format!("flowdesk: {text}"),
        );
    }

    fn line(
        &mut self,
        run_id: &Arc<str>,
        step: &Arc<str>,
        on_event: &EventCallback,
        stream: Stream,
        line: String,
    ) {
        let now = chrono::Utc::now();
        let time = now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        self.write(step, stream.as_str(), &time, &line);
        on_event(EngineEvent::Log {
            run_id: run_id.clone(),
            step: step.clone(),
            stream,
            time: now,
            line,
        });
    }

    pub(crate) fn flush(&mut self) {
        if self.error.is_some() {
            return;
        }
        let result = self.main.flush().and_then(|()| match self.tail.as_mut() {
            Some(tail) => tail.current.flush(),
            None => Ok(()),
        });
        if let Err(source) = result {
            self.error = Some(EngineError::log(&self.path, source));
        }
    }

    /// The end of a step: flush, and report a write error if there was one.
    pub(crate) fn close_step(&mut self) -> Result<(), EngineError> {
        self.flush();
        self.error.take().map_or(Ok(()), Err)
    }

    /// The end of the run: append the kept tail, if the log was truncated.
    pub(crate) fn finish(mut self) -> Result<(), EngineError> {
        self.finish_inner()
    }

    fn finish_inner(&mut self) -> Result<(), EngineError> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        self.flush();
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        let Some(tail) = self.tail.take() else {
            return Ok(());
        };
        drop(tail.current);
        let result = self
            .main
            .flush()
            .and_then(|()| append_tail(&self.path, self.head_limit, tail.dropped));
        result.map_err(|source| EngineError::log(&self.path, source))
    }
}

impl Drop for RunLog {
    fn drop(&mut self) {
        // A run that stopped early (failed, canceled) keeps its tail too.
        let _ = self.finish_inner();
    }
}

/// Append the tail files of a truncated log to it, after a marker saying how
/// much was dropped (besides `dropped`, whatever the older tail file had rotated
/// out is unknown here and not counted), and remove them.
fn append_tail(log: &Path, kept_head: u64, dropped: u64) -> io::Result<()> {
    let (current, older) = tail_paths(log);
    let mut out = std::fs::OpenOptions::new().append(true).open(log)?;
    let mut kept = 0;
    for part in [&older, &current] {
        if let Ok(meta) = std::fs::metadata(part) {
            kept += meta.len();
        }
    }
    writeln!(
        out,
        "{} flowdesk stderr {TRUNCATED} first {} and last {} kept; {} dropped here",
        timestamp(),
        megabytes(kept_head),
        megabytes(kept),
        if dropped > 0 {
            megabytes(dropped)
        } else {
            "the output in between was".to_string()
        },
    )?;
    for part in [&older, &current] {
        if let Ok(mut file) = File::open(part) {
            io::copy(&mut file, &mut out)?;
        }
    }
    out.flush()?;
    for part in [&older, &current] {
        let _ = std::fs::remove_file(part);
    }
    Ok(())
}

/// Append the tail of a truncated log whose run ended without doing it (its
/// process died). Nothing happens for a log without tail files.
pub fn salvage(log: &Path) -> io::Result<()> {
    let (current, older) = tail_paths(log);
    if !current.exists() && !older.exists() {
        return Ok(());
    }
    let head = std::fs::metadata(log).map(|m| m.len()).unwrap_or(0);
    append_tail(log, head, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn a_log_past_its_limit_keeps_its_head_and_tail_with_markers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.txt");
        let mut log = RunLog::create(&path, Some(4000)).unwrap();
        for i in 0..1000 {
            log.write(
                "s",
                "stdout",
                "2026-01-01T00:00:00Z",
                &format!("line {i:04}"),
            );
        }
        log.finish().unwrap();
        let all = lines(&path);
        assert!(all[0].ends_with("line 0000"), "{}", all[0]);
        let markers: Vec<&String> = all.iter().filter(|l| l.contains(TRUNCATED)).collect();
        assert_eq!(markers.len(), 2, "{all:?}");
        assert!(all.last().unwrap().ends_with("line 0999"));
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size < 4000 + 1000, "{size} bytes kept");
        assert!(!tail_paths(&path).0.exists() && !tail_paths(&path).1.exists());
        // Kept lines are whole and in order.
        let numbers: Vec<u32> = all
            .iter()
            .filter(|l| !l.contains(TRUNCATED))
            .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
            .collect();
        assert!(numbers.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn a_dropped_log_still_appends_its_tail_and_salvage_finishes_a_dead_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.txt");
        {
            let mut log = RunLog::create(&path, Some(400)).unwrap();
            for i in 0..100 {
                log.write("s", "stderr", "t", &format!("{i}"));
            }
        }
        assert_eq!(lines(&path).last().unwrap(), "t s stderr 99");

        // A process that died mid-run left its tail files behind.
        let path = dir.path().join("dead.txt");
        let mut log = RunLog::create(&path, Some(400)).unwrap();
        for i in 0..100 {
            log.write("s", "stdout", "t", &format!("{i}"));
        }
        log.flush();
        std::mem::forget(log);
        salvage(&path).unwrap();
        let all = lines(&path);
        assert_eq!(all.last().unwrap(), "t s stdout 99");
        assert!(!tail_paths(&path).0.exists());
        salvage(&path).unwrap();
        assert_eq!(
            lines(&path),
            all,
            "salvage of a complete log changes nothing"
        );
    }
}
