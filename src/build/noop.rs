//! The no-op record: what a finished build left behind, so that the next run with nothing to do
//! can say so from stat calls alone, without reading the makefile list, the plan or the db, or
//! building the graph (on a real tree those took 140 ms of a 150 ms no-op; issue 14 item 2).
//!
//! A record is written at the end of a build only when the engine finds every step up to date
//! (`work::expectations`). It holds:
//! - a key of everything that chose this build's steps besides the files below: the fingerprint
//!   base (pbuild, directories, variables, compiler, make, the app's makefiles and layout), the
//!   app's sources, the precompiled-header choice and where compile_commands.json goes;
//! - the stamp of every file the answer rests on: the watched directories and makefiles of the
//!   tree (what the plan's fingerprint was computed from), every output and recorded input of
//!   every step as the db holds them, the db itself, and compile_commands.json;
//! - the identity of every program the steps run;
//! - the step count and the images to publish.
//!
//! The next run uses it when the key is the same and every stamp and identity still is: then the
//! plan would be the same (same fingerprint), so would the commands, and `work::decide` would find
//! every output and input as the db recorded them, so it would run nothing. Anything else — a
//! difference, a missing or unreadable record — takes the full path, which removes the record
//! before it starts, so a record only ever describes the state a completed build left.
//!
//! Format (little-endian): magic, key (u128), step count (u64), then lists of u32 length:
//! images (module, bin, elf, dfu), tools (name, identity u64), files (path, mtime i64, size u64).
//! Strings are u32 length + UTF-8; a path that is not UTF-8 means no record is written.

use std::path::{Path, PathBuf};

use crate::fsutil::Stamp;
use crate::work::ToolIds;

const MAGIC: &[u8; 8] = b"PBNOOP01";

/// The images a build publishes (`build::publish`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub module: String,
    pub bin: PathBuf,
    pub elf: PathBuf,
    pub dfu: PathBuf,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Record {
    pub key: u128,
    pub total: usize,
    pub images: Vec<Image>,
    pub tools: Vec<(String, u64)>,
    pub files: Vec<(PathBuf, Stamp)>,
}

/// The key of a build's record (see the module doc).
pub fn key(
    fingerprint_base: u64,
    sources: &[PathBuf],
    pch: bool,
    compile_commands: Option<&Path>,
) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(MAGIC);
    h.update(&fingerprint_base.to_le_bytes());
    for s in sources {
        h.update(s.as_os_str().as_encoded_bytes());
        h.update(b"\0");
    }
    h.update(&[u8::from(pch)]);
    if let Some(c) = compile_commands {
        h.update(c.as_os_str().as_encoded_bytes());
    }
    h.digest128()
}

impl Record {
    /// The record at `path` if it has this key and the world still matches it.
    pub fn check(path: &Path, key: u128) -> Option<Record> {
        let bytes = std::fs::read(path).ok()?;
        let record = Record::decode(&bytes)?;
        (record.key == key
            && record
                .tools
                .iter()
                .all(|(name, id)| ToolIds::identity(name) == *id)
            && all_match(&record.files))
        .then_some(record)
    }

    /// Write the record atomically; a record that cannot be written is just not there (the next
    /// run takes the full path).
    pub fn write(&self, path: &Path) {
        if let Some(bytes) = self.encode() {
            let _ = crate::fsutil::write_atomic(path, &bytes);
        }
    }

    /// Remove the record at `path` (before a build that may change what it describes).
    pub fn forget(path: &Path) {
        let _ = std::fs::remove_file(path);
    }

    fn encode(&self) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(64 + self.files.len() * 96);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.key.to_le_bytes());
        out.extend_from_slice(&(self.total as u64).to_le_bytes());
        let put_str = |out: &mut Vec<u8>, s: &str| {
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        };
        let put_path = |out: &mut Vec<u8>, p: &Path| -> Option<()> {
            put_str(out, p.to_str()?);
            Some(())
        };
        out.extend_from_slice(&(self.images.len() as u32).to_le_bytes());
        for i in &self.images {
            put_str(&mut out, &i.module);
            for p in [&i.bin, &i.elf, &i.dfu] {
                put_path(&mut out, p)?;
            }
        }
        out.extend_from_slice(&(self.tools.len() as u32).to_le_bytes());
        for (name, id) in &self.tools {
            put_str(&mut out, name);
            out.extend_from_slice(&id.to_le_bytes());
        }
        out.extend_from_slice(&(self.files.len() as u32).to_le_bytes());
        for (p, s) in &self.files {
            put_path(&mut out, p)?;
            out.extend_from_slice(&s.mtime_ns.to_le_bytes());
            out.extend_from_slice(&s.size.to_le_bytes());
        }
        Some(out)
    }

    fn decode(bytes: &[u8]) -> Option<Record> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(MAGIC.len())? != MAGIC {
            return None;
        }
        let key = u128::from_le_bytes(r.take(16)?.try_into().ok()?);
        let total = usize::try_from(r.u64()?).ok()?;
        let images = (0..r.u32()?)
            .map(|_| {
                Some(Image {
                    module: r.string()?,
                    bin: r.string()?.into(),
                    elf: r.string()?.into(),
                    dfu: r.string()?.into(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let tools = (0..r.u32()?)
            .map(|_| Some((r.string()?, r.u64()?)))
            .collect::<Option<Vec<_>>>()?;
        let files = (0..r.u32()?)
            .map(|_| {
                let p = PathBuf::from(r.string()?);
                let mtime_ns = r.u64()? as i64;
                let size = r.u64()?;
                Some((p, Stamp { mtime_ns, size }))
            })
            .collect::<Option<Vec<_>>>()?;
        (r.at == bytes.len()).then_some(Record {
            key,
            total,
            images,
            tools,
            files,
        })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn string(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

/// Whether every file still has its stamp, stat'ing in parallel (a real tree's `modules` has
/// thousands) and stopping early at the first difference.
fn all_match(files: &[(PathBuf, Stamp)]) -> bool {
    use std::sync::atomic::{AtomicBool, Ordering};
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    if files.len() < 512 || threads == 1 {
        return files.iter().all(|(p, s)| Stamp::of(p) == *s);
    }
    let differs = AtomicBool::new(false);
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for part in files.chunks(chunk) {
            let differs = &differs;
            scope.spawn(move || {
                for (p, s) in part {
                    if differs.load(Ordering::Relaxed) {
                        return;
                    }
                    if Stamp::of(p) != *s {
                        differs.store(true, Ordering::Relaxed);
                        return;
                    }
                }
            });
        }
    });
    !differs.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(dir: &Path) -> Record {
        let a = dir.join("a.o");
        let b = dir.join("b.h");
        std::fs::write(&a, "object").unwrap();
        std::fs::write(&b, "header").unwrap();
        Record {
            key: 7,
            total: 3,
            images: vec![Image {
                module: "user-part".into(),
                bin: dir.join("x.bin"),
                elf: dir.join("x.elf"),
                dfu: dir.join("x.dfu"),
            }],
            tools: vec![("sh".into(), ToolIds::identity("sh"))],
            files: vec![
                (a.clone(), Stamp::of(&a)),
                (b.clone(), Stamp::of(&b)),
                (dir.join("gone"), Stamp::of(&dir.join("gone"))),
            ],
        }
    }

    #[test]
    fn a_record_holds_while_nothing_changed_and_no_longer_after_any_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("noop");
        let r = record(dir.path());
        r.write(&path);
        assert_eq!(Record::check(&path, 7).as_ref(), Some(&r), "round trip");
        assert!(Record::check(&path, 8).is_none(), "another key");

        // A file rewritten with the same length but a new time.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(dir.path().join("b.h"), "HEADER").unwrap();
        assert!(Record::check(&path, 7).is_none(), "an edited input");
        let r = record(dir.path());
        r.write(&path);
        assert!(Record::check(&path, 7).is_some());
        // A file that was missing appears.
        std::fs::write(dir.path().join("gone"), "").unwrap();
        assert!(Record::check(&path, 7).is_none(), "a file that appeared");
        std::fs::remove_file(dir.path().join("gone")).unwrap();
        assert!(Record::check(&path, 7).is_some());
        // A removed output.
        std::fs::remove_file(dir.path().join("a.o")).unwrap();
        assert!(Record::check(&path, 7).is_none(), "a removed output");

        Record::forget(&path);
        assert!(!path.exists());
        assert!(Record::check(&path, 7).is_none());
    }

    #[test]
    fn a_changed_tool_or_a_damaged_record_is_no_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("noop");
        let mut r = record(dir.path());
        r.tools[0].1 ^= 1;
        r.write(&path);
        assert!(
            Record::check(&path, 7).is_none(),
            "a tool with another identity"
        );

        let r = record(dir.path());
        r.write(&path);
        let bytes = std::fs::read(&path).unwrap();
        for cut in [0, 7, 8, 30, bytes.len() - 1] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            assert!(Record::check(&path, 7).is_none(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        std::fs::write(&path, &longer).unwrap();
        assert!(Record::check(&path, 7).is_none(), "trailing bytes");
    }

    #[test]
    fn many_files_are_checked_in_parallel_and_one_difference_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for i in 0..2000 {
            let p = dir.path().join(format!("f{i}"));
            std::fs::write(&p, format!("{i}")).unwrap();
            let s = Stamp::of(&p);
            files.push((p, s));
        }
        assert!(all_match(&files));
        for i in [0, 999, 1999] {
            let mut changed = files.clone();
            changed[i].1.size += 1;
            assert!(!all_match(&changed), "difference at {i} not found");
        }
    }

    #[test]
    fn the_key_names_sources_pch_and_compile_commands() {
        let srcs = [PathBuf::from("a.cpp"), PathBuf::from("b.cpp")];
        let k = key(1, &srcs, true, None);
        assert_eq!(k, key(1, &srcs, true, None));
        assert_ne!(k, key(2, &srcs, true, None));
        assert_ne!(k, key(1, &srcs[..1], true, None));
        assert_ne!(k, key(1, &srcs, false, None));
        assert_ne!(k, key(1, &srcs, true, Some(Path::new("/p"))));
    }
}
