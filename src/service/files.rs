//! File helpers for the service layer: copying template files safely, extracting
//! archives without letting entries escape, hashing, and packing run outputs.

use crate::error::ServiceError;
use crate::paths::check_relative;
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

pub(crate) use super::io_error;

/// Copy a file or a folder tree. Links are followed only when they stay inside
/// `root`; links that escape are refused (a template cannot smuggle in
/// `/etc/passwd` through a symlink), and so is anything but files and folders.
/// See [`tree`](super::tree).
pub fn copy_tree(root: &Path, source: &Path, target: &Path) -> Result<u64, ServiceError> {
    super::tree::walk(
        root,
        source,
        Some(target),
        None,
        &mut super::tree::Budget::unlimited(),
    )
}

/// SHA-256 of a file as lowercase hex, and its size.
pub fn sha256_file(path: &Path) -> Result<(String, u64), ServiceError> {
    let mut file = fs::File::open(path).map_err(|e| io_error(path, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = [0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buffer).map_err(|e| io_error(path, e))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buffer[..n]);
    }
    Ok((hex(&hasher.finalize()), size))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// All regular files below `dir`, as sorted relative paths, skipping `skip` folders.
pub fn list_files(dir: &Path, skip: &[&str]) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, skip: &[&str], out: &mut Vec<String>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(relative) = path.strip_prefix(base) else {
                continue;
            };
            let relative = relative.to_string_lossy().replace('\\', "/");
            if skip.iter().any(|s| relative == *s) {
                continue;
            }
            match entry.file_type() {
                Ok(t) if t.is_dir() => walk(base, &path, skip, out),
                Ok(t) if t.is_file() => out.push(relative),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, skip, &mut out);
    out.sort();
    out
}

/// Kind of template archive, by file name.
pub fn archive_kind(path: &Path) -> Option<ArchiveKind> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".zip") {
        Some(ArchiveKind::Zip)
    } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        Some(ArchiveKind::TarGz)
    } else if name.ends_with(".tar") {
        Some(ArchiveKind::Tar)
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    Zip,
    TarGz,
    Tar,
}

/// Extract an archive into `target`, refusing entries that would land outside it
/// (absolute paths, `..`), links, devices, FIFOs and non-UTF-8 names, within the
/// install limits (unpacked bytes as actually written, not as the archive
/// claims; entries; depth). Returns the folder holding the template: the single
/// top-level folder if the archive has exactly one, else `target`.
pub fn extract_archive(
    archive: &Path,
    kind: ArchiveKind,
    target: &Path,
    limits: &crate::config::Limits,
) -> Result<PathBuf, ServiceError> {
    use super::tree::{shown, Budget};
    let bad = |entry: &str, why: String| {
        ServiceError::UnsafePath(format!(
            "archive `{}`: entry '{entry}' {why}",
            archive.display()
        ))
    };
    let unreadable = |e: &dyn std::fmt::Display| ServiceError::BadArchive {
        path: archive.to_path_buf(),
        message: e.to_string(),
    };
    let mut budget = Budget::install(limits);
    // Write one entry's bytes, counting what is really written against the
    // budget (a zip bomb's headers lie).
    let write_entry = |budget: &mut Budget,
                       name: &str,
                       out: &Path,
                       reader: &mut dyn Read|
     -> Result<(), ServiceError> {
        if let Some(parent) = out.parent() {
            if !parent.is_dir() {
                fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
            }
        }
        let mut writer = fs::File::create(out).map_err(|e| io_error(out, e))?;
        let allowed = budget
            .bytes_left()
            .map_or(u64::MAX, |left| left.saturating_add(1));
        let written = io::copy(&mut reader.take(allowed), &mut writer).map_err(|e| {
            if crate::error::is_disk_full(&e) {
                io_error(out, e)
            } else {
                unreadable(&format!("entry '{name}': {e}"))
            }
        })?;
        budget.bytes(name, written)
    };
    let file = fs::File::open(archive).map_err(|e| io_error(archive, e))?;
    match kind {
        ArchiveKind::Zip => {
            let mut zip = zip::ZipArchive::new(file).map_err(|e| unreadable(&e))?;
            for i in 0..zip.len() {
                let mut entry = zip.by_index(i).map_err(|e| unreadable(&e))?;
                let name = entry.name().to_string();
                if entry.is_symlink() {
                    return Err(bad(
                        &name,
                        "is a link; archives with links are not installed".into(),
                    ));
                }
                if let Some(mode) = entry.unix_mode() {
                    let kind = match mode & libc::S_IFMT {
                        libc::S_IFIFO => Some("a FIFO (named pipe)"),
                        libc::S_IFCHR => Some("a character device"),
                        libc::S_IFBLK => Some("a block device"),
                        libc::S_IFSOCK => Some("a socket"),
                        _ => None,
                    };
                    if let Some(kind) = kind {
                        return Err(bad(
                            &name,
                            format!("is {kind}; archives may hold only files and folders"),
                        ));
                    }
                }
                let relative =
                    check_relative(&name, true).map_err(|e| bad(&name, e.to_string()))?;
                budget.entry(&name, relative.components().count() as u64)?;
                let out = target.join(&relative);
                if entry.is_dir() {
                    fs::create_dir_all(&out).map_err(|e| io_error(&out, e))?;
                } else {
                    write_entry(&mut budget, &name, &out, &mut entry)?;
                }
            }
        }
        ArchiveKind::TarGz | ArchiveKind::Tar => {
            let reader: Box<dyn Read> = if kind == ArchiveKind::TarGz {
                Box::new(flate2::read::MultiGzDecoder::new(file))
            } else {
                Box::new(file)
            };
            let mut tar = tar::Archive::new(reader);
            let entries = tar.entries().map_err(|e| unreadable(&e))?;
            for entry in entries {
                let mut entry = entry.map_err(|e| unreadable(&e))?;
                let raw = entry.path_bytes().into_owned();
                let name = match std::str::from_utf8(&raw) {
                    Ok(name) => name.to_string(),
                    Err(_) => {
                        let escaped = shown(Path::new(std::ffi::OsStr::from_bytes(&raw)));
                        return Err(bad(
                            &escaped,
                            "has a name that is not valid UTF-8; templates must have UTF-8 file names"
                                .into(),
                        ));
                    }
                };
                let kind = entry.header().entry_type();
                if kind.is_symlink() || kind.is_hard_link() {
                    return Err(bad(
                        &name,
                        "is a link; archives with links are not installed".into(),
                    ));
                }
                let special = if kind.is_fifo() {
                    Some("a FIFO (named pipe)")
                } else if kind.is_character_special() {
                    Some("a character device")
                } else if kind.is_block_special() {
                    Some("a block device")
                } else {
                    None
                };
                if let Some(special) = special {
                    return Err(bad(
                        &name,
                        format!("is {special}; archives may hold only files and folders"),
                    ));
                }
                let relative =
                    check_relative(&name, true).map_err(|e| bad(&name, e.to_string()))?;
                let out = target.join(&relative);
                if kind.is_dir() {
                    budget.entry(&name, relative.components().count() as u64)?;
                    fs::create_dir_all(&out).map_err(|e| io_error(&out, e))?;
                } else if kind.is_file() || kind.is_contiguous() {
                    budget.entry(&name, relative.components().count() as u64)?;
                    write_entry(&mut budget, &name, &out, &mut entry)?;
                }
                // Other entries (PAX and GNU metadata) describe the entries
                // around them and hold no file.
            }
        }
    }
    // A single top-level folder is the template folder (the usual `zip -r x.zip x/`).
    let top: Vec<PathBuf> = fs::read_dir(target)
        .map_err(|e| io_error(target, e))?
        .flatten()
        .map(|e| e.path())
        .collect();
    if top.len() == 1 && top[0].is_dir() {
        return Ok(top[0].clone());
    }
    Ok(target.to_path_buf())
}

/// Pack files of `dir` (relative paths) into a `.tar.gz` at `out`.
pub fn write_tar_gz(
    dir: &Path,
    files: &[String],
    prefix: &str,
    out: &Path,
) -> Result<(), ServiceError> {
    let file = fs::File::create(out).map_err(|e| io_error(out, e))?;
    let encoder = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut builder = tar::Builder::new(encoder);
    for relative in files {
        let source = dir.join(relative);
        let name = if prefix.is_empty() {
            relative.clone()
        } else {
            format!("{prefix}/{relative}")
        };
        builder
            .append_path_with_name(&source, &name)
            .map_err(|e| io_error(&source, e))?;
    }
    builder
        .into_inner()
        .and_then(|encoder| encoder.finish())
        .map_err(|e| io_error(out, e))?;
    Ok(())
}

/// An error about files under the folder an archive was unpacked to, naming
/// them under the archive instead (the folder is gone when it is shown).
pub(crate) fn named_in_archive(error: ServiceError, folder: &Path, archive: &Path) -> ServiceError {
    let shown = archive.display().to_string();
    let mut message = error.to_string();
    if let Ok(real) = folder.canonicalize() {
        message = message.replace(&real.display().to_string(), &shown);
    }
    let message = message.replace(&folder.display().to_string(), &shown);
    if message == error.to_string() {
        return error;
    }
    match error {
        ServiceError::TemplateTooLarge(_) => ServiceError::TemplateTooLarge(message),
        ServiceError::UnsafePath(_) => ServiceError::UnsafePath(message),
        _ => ServiceError::Invalid(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tar_entries_that_escape_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("evil.tar");
        {
            let file = fs::File::create(&archive).unwrap();
            let mut builder = tar::Builder::new(file);
            let data = b"x";
            let mut header = tar::Header::new_gnu();
            header.set_size(1);
            header.set_mode(0o644);
            // `append_data` refuses `..`, so write the raw name the way an attacker would.
            let name = b"../escape.txt";
            header.as_old_mut().name[..name.len()].copy_from_slice(name);
            header.set_cksum();
            builder.append(&header, &data[..]).unwrap();
            builder.finish().unwrap();
        }
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        let err = extract_archive(
            &archive,
            ArchiveKind::Tar,
            &out,
            &crate::config::Limits::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("'../escape.txt'"), "{err}");
        assert!(!dir.path().join("escape.txt").exists());
    }

    #[test]
    fn zip_with_single_folder_yields_that_folder() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("t.zip");
        {
            let file = fs::File::create(&archive).unwrap();
            let mut zip = zip::ZipWriter::new(file);
            let options = zip::write::SimpleFileOptions::default();
            zip.start_file("bench/flowserv.yaml", options).unwrap();
            io::Write::write_all(&mut zip, b"name: x\n").unwrap();
            zip.finish().unwrap();
        }
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        let root = extract_archive(
            &archive,
            ArchiveKind::Zip,
            &out,
            &crate::config::Limits::default(),
        )
        .unwrap();
        assert_eq!(root, out.join("bench"));
        assert!(root.join("flowserv.yaml").is_file());
    }

    #[test]
    fn copy_refuses_links_leaving_the_root() {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret"), "s").unwrap();
        let root = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.path().join("link"))
            .unwrap();
        let target = tempfile::tempdir().unwrap();
        let err = copy_tree(root.path(), root.path(), target.path()).unwrap_err();
        assert!(err.to_string().contains("through a link"), "{err}");
    }
}
