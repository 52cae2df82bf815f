//! Filesystem effects with crash safety: whole-file writes through a temp file and a rename (or a
//! link, where the first writer wins), temp names, and file stamps (mtime + size) with the rule for
//! when a stamp may stand for contents read. Knows no pbuild type.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A sibling temp path for `path`, unique to this process.
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.pbuild-tmp-{}", std::process::id()))
}

/// Write `bytes` to `path` so that a reader sees either the old file or the whole new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_beside(path, bytes, |tmp| std::fs::rename(tmp, path))
}

/// Write `bytes` to `path`'s temp name (its directory made first), synced, then `place` it; the
/// temp file is gone afterwards whatever happened.
fn write_beside<T>(
    path: &Path,
    bytes: &[u8],
    place: impl FnOnce(&Path) -> std::io::Result<T>,
) -> std::io::Result<T> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_data()?;
        place(&tmp)
    })();
    let _ = std::fs::remove_file(&tmp);
    result
}

/// Write `bytes` to `path` unless it exists: the first of several writers wins and the others
/// leave it as it is. Ok(false) when it was there already. Where the filesystem has no hard
/// links, the last writer wins instead.
pub fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    if path.exists() {
        return Ok(false);
    }
    write_beside(path, bytes, |tmp| match std::fs::hard_link(tmp, path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(_) => std::fs::rename(tmp, path).map(|()| true),
    })
}

/// How long after its last write a file's contents may be remembered by its stamp: more than the
/// coarsest timestamp granularity of the file systems a tree lives on (2 s on FAT). A file written
/// again within that granularity keeps its modification time (the case git calls "racily clean").
pub const SETTLED_NS: i64 = 3_000_000_000;

/// mtime value for a file that did not exist.
pub const MISSING: i64 = -1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub mtime_ns: i64,
    pub size: u64,
}

impl Stamp {
    /// Whether contents read at `read_at_ns` (a wall-clock time, as `work::now_ns`) may be
    /// remembered under this stamp: the file's last write was [`SETTLED_NS`] before it.
    pub fn settled_at(&self, read_at_ns: i64) -> bool {
        read_at_ns - self.mtime_ns >= SETTLED_NS
    }

    pub fn of(path: &Path) -> Stamp {
        match std::fs::metadata(path) {
            Ok(m) => Stamp {
                mtime_ns: m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos() as i64),
                size: m.len(),
            },
            Err(_) => Stamp {
                mtime_ns: MISSING,
                size: 0,
            },
        }
    }

    pub fn exists(&self) -> bool {
        self.mtime_ns != MISSING
    }
}
