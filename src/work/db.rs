//! The build state: what each step ran with last time (command, tool, input and output stamps).
//!
//! File format (little-endian), in `<target>/.pbuild/build/<build dir>/db`, one per build directory:
//! ```text
//! header  : b"PBUILDDB" u32 version
//! record* : u32 payload_len  u64 xxh3(payload)  payload
//! payload : str key  u64 command_hash  u64 tool_hash  u32 n  (str path  i64 mtime_ns  u64 size)*n  (inputs)
//!           u32 m  (str path  i64 mtime_ns  u64 size)*m  (outputs)
//! str     : u32 len  bytes (UTF-8 path)
//! ```
//! Records are appended after each finished step, so a crash loses at most the record being written.
//! A later record for the same key replaces an earlier one. On load, a record whose length or checksum
//! does not hold (a torn tail after `kill -9` or a full disk) ends the file: it is cut off and reported,
//! and the steps it described simply run again. When most records are stale the file is rewritten whole
//! (temp file + rename).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::fsutil::Stamp;

const MAGIC: &[u8; 8] = b"PBUILDDB";
const VERSION: u32 = 1;
const HEADER_LEN: usize = 12;
/// mtime value for a file whose state at the step's start is unknown (it changed while the step ran).
pub const UNKNOWN: i64 = -2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub command_hash: u64,
    pub tool_hash: u64,
    pub inputs: Vec<(PathBuf, Stamp)>,
    pub outputs: Vec<(PathBuf, Stamp)>,
}

pub struct Db {
    path: PathBuf,
    records: HashMap<String, Record>,
    appended: usize,
    file: Option<std::fs::File>,
    /// Set when loading found a damaged tail: a one-line description for the user.
    pub recovered: Option<String>,
}

impl Db {
    /// Open (or create) the state file. A damaged tail is cut off; a file of another version starts afresh.
    pub fn open(path: &Path) -> Result<Db> {
        let state = |message: String| Error::State {
            path: path.to_path_buf(),
            message,
        };
        let mut db = Db {
            path: path.to_path_buf(),
            records: HashMap::new(),
            appended: 0,
            file: None,
            recovered: None,
        };
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(Error::io(path, e)),
        };
        if bytes.len() >= HEADER_LEN && &bytes[..8] == MAGIC {
            let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
            if version == VERSION {
                let (good_len, count) = db.read_records(&bytes);
                db.appended = count;
                if good_len < bytes.len() {
                    db.recovered = Some(format!(
                        "build state {} was cut short at byte {good_len} of {} (interrupted write); kept {} records, the rest will rebuild",
                        path.display(),
                        bytes.len(),
                        db.records.len()
                    ));
                    let f = std::fs::OpenOptions::new()
                        .write(true)
                        .open(path)
                        .map_err(|e| Error::io(path, e))?;
                    f.set_len(good_len as u64).map_err(|e| Error::io(path, e))?;
                }
            } else {
                db.recovered = Some(format!(
                    "build state {} has format version {version} (this pbuild uses {VERSION}); starting afresh",
                    path.display()
                ));
                db.rewrite()?;
            }
        } else if !bytes.is_empty() {
            db.recovered = Some(format!(
                "build state {} is not a pbuild state file (damaged header); starting afresh",
                path.display()
            ));
            db.rewrite()?;
        } else {
            db.rewrite()?;
        }
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| state(format!("cannot open for writing: {e}")))?;
        db.file = Some(file);
        Ok(db)
    }

    /// Parse records; returns the length of the valid prefix and the number of records read.
    fn read_records(&mut self, bytes: &[u8]) -> (usize, usize) {
        let mut pos = HEADER_LEN;
        let mut count = 0;
        while let Some(head) = bytes.get(pos..pos + 12) {
            let len = u32::from_le_bytes(head[..4].try_into().expect("4")) as usize;
            let sum = u64::from_le_bytes(head[4..12].try_into().expect("8"));
            let Some(payload) = bytes.get(pos + 12..pos + 12 + len) else {
                break;
            };
            if xxhash_rust::xxh3::xxh3_64(payload) != sum {
                break;
            }
            let Some((key, rec)) = decode(payload) else {
                break;
            };
            self.records.insert(key, rec);
            pos += 12 + len;
            count += 1;
        }
        (pos, count)
    }

    pub fn get(&self, key: &str) -> Option<&Record> {
        self.records.get(key)
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Append a record (one `write` call) and remember it.
    pub fn put(&mut self, key: &str, rec: Record) -> Result<()> {
        let payload = encode(key, &rec);
        let mut buf = Vec::with_capacity(payload.len() + 12);
        buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        buf.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(&payload).to_le_bytes());
        buf.extend_from_slice(&payload);
        if let Some(f) = self.file.as_mut() {
            f.write_all(&buf).map_err(|e| Error::io(&self.path, e))?;
        }
        self.records.insert(key.to_string(), rec);
        self.appended += 1;
        Ok(())
    }

    pub fn remove(&mut self, key: &str) {
        self.records.remove(key);
    }

    /// Rewrite the file when most records are superseded.
    pub fn compact_if_worthwhile(&mut self) -> Result<()> {
        if self.appended > 2 * self.records.len() + 256 {
            self.rewrite()?;
            self.file = Some(
                std::fs::OpenOptions::new()
                    .append(true)
                    .open(&self.path)
                    .map_err(|e| Error::io(&self.path, e))?,
            );
        }
        Ok(())
    }

    fn rewrite(&mut self) -> Result<()> {
        let mut buf = Vec::new();
        buf.extend_from_slice(MAGIC);
        buf.extend_from_slice(&VERSION.to_le_bytes());
        let mut keys: Vec<&String> = self.records.keys().collect();
        keys.sort();
        for key in keys {
            let payload = encode(key, &self.records[key]);
            buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
            buf.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(&payload).to_le_bytes());
            buf.extend_from_slice(&payload);
        }
        crate::fsutil::write_atomic(&self.path, &buf).map_err(|e| Error::io(&self.path, e))?;
        self.appended = self.records.len();
        Ok(())
    }
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
    buf.extend_from_slice(s.as_bytes());
}

fn put_stamps(buf: &mut Vec<u8>, list: &[(PathBuf, Stamp)]) {
    buf.extend_from_slice(&(list.len() as u32).to_le_bytes());
    for (p, s) in list {
        put_str(buf, &p.to_string_lossy());
        buf.extend_from_slice(&s.mtime_ns.to_le_bytes());
        buf.extend_from_slice(&s.size.to_le_bytes());
    }
}

fn encode(key: &str, rec: &Record) -> Vec<u8> {
    let mut buf = Vec::new();
    put_str(&mut buf, key);
    buf.extend_from_slice(&rec.command_hash.to_le_bytes());
    buf.extend_from_slice(&rec.tool_hash.to_le_bytes());
    put_stamps(&mut buf, &rec.inputs);
    put_stamps(&mut buf, &rec.outputs);
    buf
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.bytes.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn str(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
    fn stamps(&mut self) -> Option<Vec<(PathBuf, Stamp)>> {
        let n = self.u32()? as usize;
        let mut v = Vec::with_capacity(n.min(4096));
        for _ in 0..n {
            let p = PathBuf::from(self.str()?);
            let mtime_ns = self.u64()? as i64;
            let size = self.u64()?;
            v.push((p, Stamp { mtime_ns, size }));
        }
        Some(v)
    }
}

fn decode(payload: &[u8]) -> Option<(String, Record)> {
    let mut r = Reader {
        bytes: payload,
        pos: 0,
    };
    let key = r.str()?;
    let command_hash = r.u64()?;
    let tool_hash = r.u64()?;
    let inputs = r.stamps()?;
    let outputs = r.stamps()?;
    (r.pos == payload.len()).then_some((
        key,
        Record {
            command_hash,
            tool_hash,
            inputs,
            outputs,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(n: u64) -> Record {
        Record {
            command_hash: n,
            tool_hash: 7,
            inputs: vec![(
                "/src/a.c".into(),
                Stamp {
                    mtime_ns: 5,
                    size: 10,
                },
            )],
            outputs: vec![(
                "/b/a.o".into(),
                Stamp {
                    mtime_ns: 6,
                    size: 11,
                },
            )],
        }
    }

    #[test]
    fn records_survive_reopen_and_later_ones_win() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut db = Db::open(&path).unwrap();
        db.put("/b/a.o", rec(1)).unwrap();
        db.put("/b/b.o", rec(2)).unwrap();
        db.put("/b/a.o", rec(3)).unwrap();
        drop(db);
        let db = Db::open(&path).unwrap();
        assert!(db.recovered.is_none());
        assert_eq!(db.len(), 2);
        assert_eq!(db.get("/b/a.o").unwrap().command_hash, 3);
    }

    #[test]
    fn torn_tail_is_cut_and_reported_at_every_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut db = Db::open(&path).unwrap();
        for i in 0..4 {
            db.put(&format!("/b/{i}.o"), rec(i)).unwrap();
        }
        drop(db);
        let full = std::fs::read(&path).unwrap();
        let record_len = (full.len() - HEADER_LEN) / 4;
        for cut in HEADER_LEN..full.len() {
            std::fs::write(&path, &full[..cut]).unwrap();
            let db = Db::open(&path).unwrap();
            let whole = (cut - HEADER_LEN) / record_len;
            assert_eq!(db.len(), whole, "cut at {cut}");
            assert_eq!(
                db.recovered.is_some(),
                !(cut - HEADER_LEN).is_multiple_of(record_len),
                "cut at {cut}"
            );
            drop(db);
            assert_eq!(
                std::fs::metadata(&path).unwrap().len() as usize,
                HEADER_LEN + whole * record_len
            );
        }
    }

    #[test]
    fn corrupt_byte_ends_the_valid_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut db = Db::open(&path).unwrap();
        db.put("/b/a.o", rec(1)).unwrap();
        db.put("/b/b.o", rec(2)).unwrap();
        drop(db);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 3;
        bytes[last] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let db = Db::open(&path).unwrap();
        assert_eq!(db.len(), 1);
        assert!(db.recovered.as_deref().unwrap().contains("cut short"));
    }

    #[test]
    fn garbage_file_starts_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        std::fs::write(&path, b"not a db at all").unwrap();
        let mut db = Db::open(&path).unwrap();
        assert!(db.recovered.is_some());
        db.put("k", rec(1)).unwrap();
        drop(db);
        assert_eq!(Db::open(&path).unwrap().len(), 1);
    }
}
