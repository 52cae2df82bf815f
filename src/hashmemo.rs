//! Content hashes remembered across runs, by file stamp (issue 14 item 4).
//!
//! The content cache keys a step by the contents of its inputs. For an app edit on the real
//! tree that meant reading and hashing every archive the user part links (tens of megabytes
//! with `-g3`) and every header of the precompiled one, in each run: about 150 ms of a 0.95 s
//! edit. A file whose stamp (modification time, size) is what it was when it was hashed has the
//! same hash, as make and the step db already assume of stamps.
//!
//! One exception, the one git calls "racily clean": a file written again within the timestamp
//! granularity of its first write keeps its modification time. So a hash is remembered only for
//! a file whose modification time was at least `fsutil::SETTLED_NS` older than the moment it was read;
//! a file read sooner than that after a write is hashed again next time.

use std::collections::HashMap;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::fsutil::Stamp;

const MAGIC: &[u8; 8] = b"PBHASH01";

/// Above this many entries, a save forgets the files that are gone.
const PRUNE_ABOVE: usize = 50_000;

/// Hashes of file contents by path, valid while the stamp is the same; kept in a file of the
/// target directory's state.
pub struct HashMemo {
    path: Option<PathBuf>,
    /// What the file held when first asked.
    remembered: OnceLock<HashMap<PathBuf, (Stamp, u128)>>,
    /// This run's hashes: (stamp, hash, may be remembered).
    fresh: Mutex<HashMap<PathBuf, (Stamp, u128, bool)>>,
}

impl HashMemo {
    /// A memo kept in `path` (None: this run only).
    pub fn new(path: Option<PathBuf>) -> HashMemo {
        HashMemo {
            path,
            remembered: OnceLock::new(),
            fresh: Mutex::new(HashMap::new()),
        }
    }

    /// The xxh3-128 of the file's contents; None when it cannot be read.
    pub fn hash(&self, path: &Path) -> Option<u128> {
        let stamp = Stamp::of(path);
        if !stamp.exists() {
            return None;
        }
        if let Some((s, h, _)) = self.fresh.lock().ok()?.get(path)
            && *s == stamp
        {
            return Some(*h);
        }
        let known = self
            .remembered
            .get_or_init(|| self.path.as_deref().map(load).unwrap_or_default())
            .get(path)
            .filter(|(s, _)| *s == stamp)
            .map(|(_, h)| *h);
        let (h, settled) = match known {
            Some(h) => (h, true),
            None => {
                let read_at = crate::work::now_ns();
                let h = hash_file(path)?;
                // Changed while it was read: not this stamp's contents for sure.
                if Stamp::of(path) != stamp {
                    return Some(h);
                }
                (h, stamp.settled_at(read_at))
            }
        };
        self.fresh
            .lock()
            .ok()?
            .insert(path.to_path_buf(), (stamp, h, settled));
        Some(h)
    }

    /// Keep the settled hashes of this run with those remembered before (of files whose stamp
    /// is still the one remembered). Errors are ignored: the memo only saves time.
    pub fn save(&self) {
        let Some(path) = &self.path else { return };
        let Ok(fresh) = self.fresh.lock() else { return };
        if !fresh.values().any(|(_, _, settled)| *settled) {
            return;
        }
        let mut all: HashMap<&Path, (Stamp, u128)> = self
            .remembered
            .get()
            .into_iter()
            .flatten()
            .filter(|(p, _)| !fresh.contains_key(*p))
            .map(|(p, e)| (p.as_path(), *e))
            .collect();
        all.extend(
            fresh
                .iter()
                .filter(|(_, e)| e.2)
                .map(|(p, e)| (p.as_path(), (e.0, e.1))),
        );
        // Files of build directories removed since: forgotten once there are many.
        if all.len() > PRUNE_ABOVE {
            all.retain(|p, _| Stamp::of(p).exists());
        }
        let mut bytes = Vec::with_capacity(16 + all.len() * 100);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&(all.len() as u64).to_le_bytes());
        for (p, (s, h)) in all {
            let name = p.as_os_str().as_bytes();
            bytes.extend_from_slice(&(name.len() as u32).to_le_bytes());
            bytes.extend_from_slice(name);
            bytes.extend_from_slice(&s.mtime_ns.to_le_bytes());
            bytes.extend_from_slice(&s.size.to_le_bytes());
            bytes.extend_from_slice(&h.to_le_bytes());
        }
        let _ = crate::fsutil::write_atomic(path, &bytes);
    }
}

/// xxh3-128 of a file, read in pieces (no buffer the size of a 30 MB archive).
fn hash_file(path: &Path) -> Option<u128> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match f.read(&mut buf) {
            Ok(0) => return Some(hasher.digest128()),
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
}

/// The memo file's entries; empty when it is missing or not one (a torn write included).
fn load(path: &Path) -> HashMap<PathBuf, (Stamp, u128)> {
    let Ok(bytes) = std::fs::read(path) else {
        return HashMap::new();
    };
    parse(&bytes).unwrap_or_default()
}

fn parse(bytes: &[u8]) -> Option<HashMap<PathBuf, (Stamp, u128)>> {
    let mut r = bytes.strip_prefix(MAGIC.as_slice())?;
    let mut take = |n: usize| -> Option<&[u8]> {
        let (head, rest) = r.split_at_checked(n)?;
        r = rest;
        Some(head)
    };
    let count = u64::from_le_bytes(take(8)?.try_into().ok()?);
    let mut out = HashMap::new();
    for _ in 0..count {
        let len = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
        let name = PathBuf::from(std::ffi::OsStr::from_bytes(take(len)?));
        let mtime_ns = i64::from_le_bytes(take(8)?.try_into().ok()?);
        let size = u64::from_le_bytes(take(8)?.try_into().ok()?);
        let h = u128::from_le_bytes(take(16)?.try_into().ok()?);
        out.insert(name, (Stamp { mtime_ns, size }, h));
    }
    r.is_empty().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsutil::SETTLED_NS;

    fn set_mtime(p: &Path, ns_ago: i64) {
        let t = std::time::SystemTime::now() - std::time::Duration::from_nanos(ns_ago as u64);
        std::fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(t)
            .unwrap();
    }

    #[test]
    fn a_settled_hash_is_remembered_and_any_new_stamp_hashes_again() {
        let dir = tempfile::tempdir().unwrap();
        let memo_path = dir.path().join("hashes");
        let old = dir.path().join("old.a");
        let new = dir.path().join("new.o");
        std::fs::write(&old, b"archive one").unwrap();
        std::fs::write(&new, b"object one").unwrap();
        set_mtime(&old, 10 * SETTLED_NS);

        let m = HashMemo::new(Some(memo_path.clone()));
        let h_old = m.hash(&old).unwrap();
        let h_new = m.hash(&new).unwrap();
        assert_eq!(h_old, xxhash_rust::xxh3::xxh3_128(b"archive one"));
        assert_eq!(h_new, xxhash_rust::xxh3::xxh3_128(b"object one"));
        m.save();
        let kept = load(&memo_path);
        assert!(kept.contains_key(&old), "an old file's hash is remembered");
        assert!(
            !kept.contains_key(&new),
            "a file written just now may be written again with the same stamp"
        );

        // The next run answers from the memo: shown by a memo entry for a stamp the file has
        // but with another hash (what no real file would do).
        let mut planted = kept.clone();
        planted.get_mut(&old).unwrap().1 = 42;
        let m = HashMemo::new(Some(memo_path.clone()));
        m.remembered.set(planted).unwrap();
        assert_eq!(m.hash(&old), Some(42));

        // Same size, other contents, other time: hashed again.
        std::fs::write(&old, b"archive two").unwrap();
        set_mtime(&old, 9 * SETTLED_NS);
        let m = HashMemo::new(Some(memo_path.clone()));
        assert_eq!(
            m.hash(&old),
            Some(xxhash_rust::xxh3::xxh3_128(b"archive two"))
        );
        m.save();
        assert_eq!(
            load(&memo_path)[&old].1,
            xxhash_rust::xxh3::xxh3_128(b"archive two")
        );
        assert_eq!(HashMemo::new(None).hash(&dir.path().join("gone")), None);
    }

    #[test]
    fn a_torn_or_foreign_memo_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("hashes");
        let f = dir.path().join("f");
        std::fs::write(&f, b"x").unwrap();
        set_mtime(&f, 10 * SETTLED_NS);
        let m = HashMemo::new(Some(p.clone()));
        m.hash(&f).unwrap();
        m.save();
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(load(&p).len(), 1);
        for cut in [bytes.len() - 1, 20, 9, 3] {
            std::fs::write(&p, &bytes[..cut]).unwrap();
            assert!(load(&p).is_empty(), "cut at {cut}");
        }
        std::fs::write(&p, b"{\"not\": \"a memo\"}").unwrap();
        assert!(load(&p).is_empty());
    }

    #[test]
    fn hashing_in_pieces_is_the_one_shot_hash() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("big");
        let bytes: Vec<u8> = (0..3_000_017u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&f, &bytes).unwrap();
        assert_eq!(hash_file(&f), Some(xxhash_rust::xxh3::xxh3_128(&bytes)));
    }
}
