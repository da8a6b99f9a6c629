//! A gzip writer whose compression level can change between files, for run
//! bundles: text outputs shrink with fast deflate, while outputs that are
//! already compressed or random (images, model weights) are stored as they are
//! instead of costing a second per 100 MB for nothing. A change of level starts
//! a new gzip member (RFC 1952 allows several, one after the other; zlib cannot
//! change between storing and deflating inside a stream once data went in).
//! `flate2`'s `MultiGzDecoder`, `gzip -d`, `tar xzf` and Python's `tarfile`
//! read the members as one stream.

use flate2::{Compress, Compression, Crc, FlushCompress};
use std::io::{self, Write};

/// Output buffer of one call into the compressor.
const CHUNK: usize = 256 * 1024;

/// How much of a file is tried to tell whether it compresses.
pub const SAMPLE: usize = 64 * 1024;

pub struct GzWriter<W: Write> {
    inner: W,
    compress: Compress,
    crc: Crc,
    level: Compression,
    out: Vec<u8>,
}

impl<W: Write> GzWriter<W> {
    /// Start a gzip stream (header written at once) at `level`.
    pub fn new(mut inner: W, level: Compression) -> io::Result<Self> {
        write_header(&mut inner)?;
        Ok(GzWriter {
            inner,
            compress: Compress::new(level, false),
            crc: Crc::new(),
            level,
            out: Vec::with_capacity(CHUNK),
        })
    }

    /// Use `level` for what is written from now on.
    pub fn set_level(&mut self, level: Compression) -> io::Result<()> {
        if level == self.level {
            return Ok(());
        }
        if self.compress.total_in() > 0 {
            self.end_member()?;
            write_header(&mut self.inner)?;
            self.crc = Crc::new();
        }
        self.compress = Compress::new(level, false);
        self.level = level;
        Ok(())
    }

    /// End the stream and hand back the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.end_member()?;
        self.inner.flush()?;
        Ok(self.inner)
    }

    /// Finish the deflate stream of this member and write its trailer (CRC-32
    /// and size of what went in).
    fn end_member(&mut self) -> io::Result<()> {
        self.run(&[], FlushCompress::Finish)?;
        self.inner.write_all(&self.crc.sum().to_le_bytes())?;
        self.inner.write_all(&self.crc.amount().to_le_bytes())
    }

    /// Compress `input` (all of it) with `flush`, writing what comes out.
    fn run(&mut self, mut input: &[u8], flush: FlushCompress) -> io::Result<()> {
        loop {
            self.out.clear();
            let before_in = self.compress.total_in();
            let status = self
                .compress
                .compress_vec(input, &mut self.out, flush)
                .map_err(io::Error::other)?;
            let consumed = (self.compress.total_in() - before_in) as usize;
            self.crc.update(&input[..consumed]);
            input = &input[consumed..];
            self.inner.write_all(&self.out)?;
            let drained = self.out.len() < self.out.capacity();
            let done = match flush {
                FlushCompress::Finish => status == flate2::Status::StreamEnd,
                _ => input.is_empty() && drained,
            };
            if done {
                return Ok(());
            }
        }
    }
}

/// ID1 ID2, CM = deflate, no flags, no time, XFL 0, OS 255 (unknown): bundles
/// of the same files are the same bytes on every machine.
fn write_header(out: &mut impl Write) -> io::Result<()> {
    out.write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255])
}

impl<W: Write> Write for GzWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.run(data, FlushCompress::None)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.run(&[], FlushCompress::Sync)?;
        self.inner.flush()
    }
}

/// Whether a file starting with `sample` is worth deflating: fast deflate
/// must save at least 5 % of it.
pub fn compresses(sample: &[u8]) -> bool {
    if sample.is_empty() {
        return true;
    }
    let mut compress = Compress::new(Compression::fast(), false);
    let mut out = Vec::with_capacity(sample.len() + 1024);
    if compress
        .compress_vec(sample, &mut out, FlushCompress::Finish)
        .is_err()
    {
        return true;
    }
    (out.len() as f64) < sample.len() as f64 * 0.95
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn noise(n: usize) -> Vec<u8> {
        // xorshift: incompressible enough, and the same every time.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn a_stream_switching_levels_reads_back_as_one_stream() {
        let text: Vec<u8> = b"0.001,1,2\n".repeat(50_000);
        let random = noise(700_000);
        let mut writer = GzWriter::new(Vec::new(), Compression::fast()).unwrap();
        writer.write_all(&text).unwrap();
        writer.set_level(Compression::none()).unwrap();
        writer.write_all(&random).unwrap();
        writer.set_level(Compression::fast()).unwrap();
        writer.write_all(&text).unwrap();
        let bytes = writer.finish().unwrap();
        let mut back = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes.as_slice())
            .read_to_end(&mut back)
            .unwrap();
        let expected: Vec<u8> = [text.as_slice(), &random, &text].concat();
        assert_eq!(back.len(), expected.len());
        assert!(back == expected);
        // Fast deflate makes 700 kB of noise 749 kB; stored it stays 700 kB
        // plus framing, and the text adds a few kB.
        assert!(bytes.len() < random.len() + 20_000, "{}", bytes.len());
        // gzip itself reads the members as one file.
        let mut gunzip = std::process::Command::new("gzip")
            .args(["-d", "-c"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = gunzip.stdin.take().unwrap();
        let feeder = std::thread::spawn(move || stdin.write_all(&bytes));
        let output = gunzip.wait_with_output().unwrap();
        feeder.join().unwrap().unwrap();
        assert!(output.status.success());
        assert!(output.stdout == expected);
    }

    #[test]
    fn stored_noise_costs_only_framing() {
        let random = noise(700_000);
        let mut writer = GzWriter::new(Vec::new(), Compression::none()).unwrap();
        writer.write_all(&random).unwrap();
        let bytes = writer.finish().unwrap();
        // Header, trailer and 5 bytes per stored block of at most 64 KiB.
        assert!(bytes.len() <= random.len() + 18 + 5 * 12, "{}", bytes.len());
    }

    #[test]
    fn text_compresses_and_noise_does_not() {
        assert!(compresses(&b"name,value\n".repeat(6000)));
        assert!(!compresses(&noise(SAMPLE)));
        assert!(compresses(&[]));
    }
}
