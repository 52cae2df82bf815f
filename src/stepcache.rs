//! The content-addressed step cache: the outputs of compile, archive and link steps, stored under a
//! key of everything that determines them and restored instead of running the tool. Unaware of the
//! graph and of dirtiness: `build::runner` asks it before running a step and tells it after.
//!
//! The key of a step (`StepKey`) hashes: the tool's identity (resolved path, size, mtime), the
//! working directory and every argument with pbuild's target directory replaced by a marker (so a
//! moved project, or one whose build directory was removed, still hits), the content of every input
//! the plan names, and the environment variables gcc reads. A compile also reads headers that only
//! its depfile names, after the fact, so a key leads to a manifest (as in ccache's direct mode): a
//! list of header sets seen with that key, each with the content hash of every header and the
//! result it gave. A lookup re-hashes the headers of each entry; the first whose hashes all match
//! is the hit.
//!
//! On disk (`$PBUILD_CACHE_DIR`, else `$XDG_CACHE_HOME/pbuild`, else `~/.cache/pbuild`):
//! ```text
//! CACHEDIR.TAG
//! m/<2 hex>/<key>            manifest, JSON: [{"result": hex, "deps": [[path, hash], …]}, …] (newest first)
//! o/<2 hex>/<result>.<i>     output i of the step (depfiles with the target dir as a marker);
//!                            also imported plans (`<blob key>.0`), so `clean --all` does not re-run make
//! stats                      JSON counters: hits, misses, stores
//! lock                       taken while evicting or updating the counters
//! ```
//! Every file is written to a temp name and renamed, so two pbuild processes can share a cache: a
//! reader sees a whole file or none. An entry whose output files are not all there is a miss. A
//! hit touches output 0, and eviction (oldest first, down to 90 % of the limit) goes by that time.
//! Headers that changed while their compile ran are not stored (their content may not be what the
//! compiler read). An entry is never replaced: a step that made a result already stored (another
//! build stored it meanwhile) takes the stored outputs, so builds that share a cache agree on the
//! bytes of every step even where gcc's output is not reproducible.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::fsutil::Stamp;
use crate::hashmemo::HashMemo;
use crate::plan::{PlanStep, StepKind};

/// Stands for pbuild's target directory in keys and stored depfiles.
const TARGET_MARK: &str = "@PBUILD_TARGET_DIR@";
const KEY_VERSION: &str = "pbuild-cache-3";
/// gcc options with which an object's bytes name the object's own path (coverage data files,
/// split DWARF, dump files): a compile with one of them keeps its output paths in its key.
const NAMES_ITS_OUTPUT: &[&str] = &[
    "-fprofile-arcs",
    "-ftest-coverage",
    "--coverage",
    "-fprofile-generate",
    "-fprofile-update",
    "-fprofile-info-section",
    "-gsplit-dwarf",
    "-save-temps",
    "-dumpbase",
    "-dumpdir",
    "-aux-info",
];
/// Header sets kept per key.
const MANIFEST_ENTRIES: usize = 8;
/// Environment variables that change what gcc or ld do.
const TOOL_ENV: &[&str] = &[
    "CPATH",
    "C_INCLUDE_PATH",
    "CPLUS_INCLUDE_PATH",
    "LIBRARY_PATH",
    "GCC_EXEC_PREFIX",
    "COMPILER_PATH",
    "SOURCE_DATE_EPOCH",
];

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Counters {
    pub hits: u64,
    pub misses: u64,
    pub stores: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct ManifestEntry {
    result: String,
    deps: Vec<(String, String)>,
}

pub struct Cache {
    dir: PathBuf,
    limit: u64,
    target_dir: String,
    /// Content hashes by path, valid while the file's stamp is the same.
    hashes: HashMemo,
    tools: Mutex<HashMap<String, u128>>,
    counters: Mutex<Counters>,
}

/// A step's key, computed before it runs.
pub struct StepKey {
    key: String,
}

pub fn cacheable(step: &PlanStep) -> bool {
    matches!(
        step.kind,
        StepKind::Compile | StepKind::Archive | StepKind::Link
    ) && !step.argv.is_empty()
}

fn hex(h: u128) -> String {
    format!("{h:032x}")
}

impl Cache {
    /// The cache in `dir`; `memo`: where this target directory keeps the content hashes of
    /// files it read before ([`HashMemo`]).
    pub fn open(dir: &Path, limit: u64, target_dir: &Path, memo: Option<PathBuf>) -> Cache {
        Cache {
            dir: dir.to_path_buf(),
            limit,
            target_dir: target_dir.display().to_string(),
            hashes: HashMemo::new(memo),
            tools: Mutex::new(HashMap::new()),
            counters: Mutex::new(Counters::default()),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn norm(&self, s: &str) -> String {
        if self.target_dir.is_empty() {
            s.to_string()
        } else {
            s.replace(&self.target_dir, TARGET_MARK)
        }
    }

    /// Where a compile's own files are, each with the marker that stands for it in keys and stored
    /// depfiles: its outputs (object, depfile) and the directory of a precompiled header it uses.
    /// gcc's object does not depend on where it is written or where that `.gch` sits, so one
    /// compile in two build directories (`main` and `modules`) is one key. Longest first, so
    /// `x.o.d` is replaced before `x.o`.
    fn placements(step: &PlanStep) -> Vec<(String, String)> {
        if step.kind == StepKind::Archive {
            return Self::archive_place(step).into_iter().collect();
        }
        if step.kind != StepKind::Compile
            || step
                .argv
                .iter()
                .any(|w| NAMES_ITS_OUTPUT.iter().any(|f| w.starts_with(f)))
        {
            return Vec::new();
        }
        let mut places: Vec<(String, String)> = step
            .outputs
            .iter()
            .enumerate()
            .map(|(i, o)| (o.display().to_string(), format!("@PBUILD_OUT{i}@")))
            .collect();
        if let Some(dir) = step
            .inputs
            .iter()
            .find(|i| i.extension().is_some_and(|e| e == "gch"))
            .and_then(|g| g.parent())
        {
            places.push((dir.display().to_string(), "@PBUILD_PCH_DIR@".into()));
        }
        places.sort_by_key(|(real, _)| std::cmp::Reverse(real.len()));
        places
    }

    /// An archive's directory: the deepest directory holding its output and every member. `ar`
    /// stores each member under its file name alone, so the archive's bytes do not depend on that
    /// directory, and one library archived in each app's build directory (Device OS's wiring,
    /// hal-dynalib, …, megabytes each with `-g3`) is one entry. Keyed by their paths, 20 apps
    /// for two platforms stored 94 archives of 840 MB in all, which pushed every app's own
    /// entries out of a 1 GiB cache (issue 14 item 7). Not for `ar`'s `P` (full paths) and `T`
    /// (thin archives, which name their members' paths).
    fn archive_place(step: &PlanStep) -> Option<(String, String)> {
        let modifiers = step.argv.get(1)?;
        if modifiers.contains(['P', 'T']) {
            return None;
        }
        let mut dir = step.outputs.first()?.parent()?.to_path_buf();
        for p in step.outputs.iter().chain(&step.inputs) {
            while !p.starts_with(&dir) {
                dir = dir.parent()?.to_path_buf();
            }
        }
        (dir.components().count() > 3)
            .then(|| (dir.display().to_string(), "@PBUILD_ARCHIVE_DIR@".into()))
    }

    /// `s` with a step's own places ([`Cache::placements`]) replaced by their markers.
    fn unplace(places: &[(String, String)], s: &str) -> String {
        let mut s = s.to_string();
        for (real, marker) in places {
            s = s.replace(real, marker);
        }
        s
    }

    /// The inverse of [`Cache::unplace`].
    fn place(places: &[(String, String)], s: &str) -> String {
        let mut s = s.to_string();
        for (real, marker) in places {
            s = s.replace(marker, real);
        }
        s
    }

    fn denorm(&self, s: &str) -> String {
        s.replace(TARGET_MARK, &self.target_dir)
    }

    /// Content hash of `path` (None when it cannot be read).
    fn content(&self, path: &Path) -> Option<u128> {
        self.hashes.hash(path)
    }

    /// What a precompiled header stands for in the key of a compile that uses it: the headers
    /// it was made from (its depfile `<gch>.d`), each with its content. Not the `.gch` bytes:
    /// gcc writes different ones for the same headers and flags (they name the temp file they
    /// were written to), while the objects made with either are the same. Keyed by its bytes,
    /// every compile of an app missed after its `.gch` had been evicted and made again (issue 14
    /// item 7). The flags it was made with are the using compile's own (`template::pch_step`),
    /// which its key holds.
    fn pch_identity(&self, gch: &Path, cwd: &Path, places: &[(String, String)]) -> Option<u128> {
        self.content(gch)?;
        let depfile = PathBuf::from(format!("{}.d", gch.display()));
        let deps = crate::work::depfile::parse(&std::fs::read_to_string(&depfile).ok()?, cwd)?;
        let mut text = String::from("pch\0");
        for d in &deps {
            text.push_str(&self.norm(&Self::unplace(places, &d.display().to_string())));
            text.push('\0');
            text.push_str(&hex(self.content(d)?));
            text.push('\0');
        }
        Some(xxhash_rust::xxh3::xxh3_128(text.as_bytes()))
    }

    fn tool(&self, name: &str) -> u128 {
        if let Some(h) = self.tools.lock().ok().and_then(|t| t.get(name).copied()) {
            return h;
        }
        let h = xxhash_rust::xxh3::xxh3_128(crate::tool::identity(name).as_bytes());
        if let Ok(mut t) = self.tools.lock() {
            t.insert(name.to_string(), h);
        }
        h
    }

    /// The key of `step` as its inputs are now; None when an input cannot be read (the step then
    /// runs and fails or succeeds on its own).
    pub fn key(&self, step: &PlanStep) -> Option<StepKey> {
        if !cacheable(step) {
            return None;
        }
        let mut text = String::new();
        let mut add = |s: &str| {
            text.push_str(s);
            text.push('\0');
        };
        add(KEY_VERSION);
        add(&format!("{:?}", step.kind));
        add(&hex(self.tool(&step.argv[0])));
        add(&self.norm(&step.cwd.display().to_string()));
        let places = Self::placements(step);
        for w in &step.argv {
            add(&self.norm(&Self::unplace(&places, w)));
        }
        add("inputs");
        for i in &step.inputs {
            add(&self.norm(&Self::unplace(&places, &i.display().to_string())));
            let id = match i.extension().is_some_and(|e| e == "gch") {
                true => self.pch_identity(i, &step.cwd, &places)?,
                false => self.content(i)?,
            };
            add(&hex(id));
        }
        add("env");
        for v in TOOL_ENV {
            add(&std::env::var(v).unwrap_or_default());
        }
        Some(StepKey {
            key: hex(xxhash_rust::xxh3::xxh3_128(text.as_bytes())),
        })
    }

    fn manifest_path(&self, key: &str) -> PathBuf {
        self.dir.join("m").join(&key[..2]).join(key)
    }

    fn output_path(&self, result: &str, i: usize) -> PathBuf {
        self.dir
            .join("o")
            .join(&result[..2])
            .join(format!("{result}.{i}"))
    }

    fn read_manifest(&self, key: &str) -> Vec<ManifestEntry> {
        std::fs::read(self.manifest_path(key))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Restore the outputs of `step` if the cache has them. True on a hit.
    pub fn restore(&self, key: &StepKey, step: &PlanStep) -> bool {
        let hit = self.read_manifest(&key.key).into_iter().find(|e| {
            e.deps.iter().all(|(p, h)| {
                self.content(Path::new(&self.denorm(p)))
                    .is_some_and(|c| hex(c) == *h)
            })
        });
        let restored = hit.is_some_and(|e| self.restore_outputs(&e.result, step));
        if let Ok(mut c) = self.counters.lock() {
            if restored {
                c.hits += 1;
            } else {
                c.misses += 1;
            }
        }
        restored
    }

    fn restore_outputs(&self, result: &str, step: &PlanStep) -> bool {
        let mut staged = Vec::new();
        let ok = step.outputs.iter().enumerate().all(|(i, out)| {
            let Ok(bytes) = std::fs::read(self.output_path(result, i)) else {
                return false;
            };
            let bytes = if Some(out) == step.depfile.as_ref() {
                let text = Self::place(&Self::placements(step), &String::from_utf8_lossy(&bytes));
                self.denorm(&text).into_bytes()
            } else {
                bytes
            };
            let tmp = crate::fsutil::temp_path(out);
            let written = out
                .parent()
                .is_none_or(|d| std::fs::create_dir_all(d).is_ok())
                && std::fs::write(&tmp, &bytes).is_ok();
            staged.push((tmp, out.clone()));
            written
        });
        let ok = ok
            && staged
                .iter()
                .all(|(tmp, out)| std::fs::rename(tmp, out).is_ok());
        for (tmp, _) in &staged {
            let _ = std::fs::remove_file(tmp);
        }
        if ok {
            touch(&self.output_path(result, 0));
        }
        ok
    }

    /// Remember the outputs `step` just wrote. `started_ns`: when it started; a header modified
    /// after that is not trusted, and nothing is stored.
    pub fn store(&self, key: &StepKey, step: &PlanStep, started_ns: i64) {
        let _ = self.try_store(key, step, started_ns);
    }

    fn try_store(&self, key: &StepKey, step: &PlanStep, started_ns: i64) -> Option<()> {
        let mut deps = Vec::new();
        if let Some(d) = &step.depfile {
            let text = std::fs::read_to_string(d).ok()?;
            for h in crate::work::depfile::parse(&text, &step.cwd)? {
                if step.inputs.contains(&h) {
                    continue;
                }
                let s = Stamp::of(&h);
                if !s.exists() || s.mtime_ns > started_ns {
                    return None;
                }
                deps.push((self.norm(&h.display().to_string()), hex(self.content(&h)?)));
            }
        }
        let mut text = key.key.clone();
        for (p, h) in &deps {
            text.push('\0');
            text.push_str(p);
            text.push('\0');
            text.push_str(h);
        }
        let result = hex(xxhash_rust::xxh3::xxh3_128(text.as_bytes()));
        // The first result stored stays, and a step that made the same result meanwhile takes
        // its outputs: gcc's bytes are not always the same for the same command (an LTO object
        // names its sections after a random seed; a shared variant carries the macros of the
        // variant that ran first), and two builds at once that each kept their own would store
        // archives and links over objects no other build has, which then never hit.
        let there = self.output_path(&result, 0).exists();
        let stored = if there && self.restore_outputs(&result, step) {
            false
        } else if self.write_outputs(&result, step, there)? {
            // (Over an entry whose outputs could not all be read, if `there`.)
            true
        } else if self.restore_outputs(&result, step) {
            // Another process stored it between the look and the write.
            false
        } else {
            return None;
        };
        let mut entries = self.read_manifest(&key.key);
        entries.retain(|e| e.result != result);
        entries.insert(0, ManifestEntry { result, deps });
        entries.truncate(MANIFEST_ENTRIES);
        let bytes = serde_json::to_vec(&entries).ok()?;
        crate::fsutil::write_atomic(&self.manifest_path(&key.key), &bytes).ok()?;
        if stored && let Ok(mut c) = self.counters.lock() {
            c.stores += 1;
        }
        Some(())
    }

    /// Write the outputs of `step` as the entry `result`, output 0 last: its presence (and time)
    /// stands for the entry. With `replace` false, output 0 is only written if no other process
    /// wrote it meanwhile: Some(false) when one did.
    fn write_outputs(&self, result: &str, step: &PlanStep, replace: bool) -> Option<bool> {
        for (i, out) in step.outputs.iter().enumerate().rev() {
            let bytes = std::fs::read(out).ok()?;
            let bytes = if Some(out) == step.depfile.as_ref() {
                let text = Self::unplace(&Self::placements(step), &String::from_utf8_lossy(&bytes));
                self.norm(&text).into_bytes()
            } else {
                bytes
            };
            let path = self.output_path(result, i);
            if i == 0 && !replace {
                return crate::fsutil::write_new(&path, &bytes).ok();
            }
            crate::fsutil::write_atomic(&path, &bytes).ok()?;
        }
        Some(true)
    }

    /// A blob stored under `name` (a plan, by its fingerprint), if the cache has it.
    pub fn get_blob(&self, name: &str) -> Option<Vec<u8>> {
        let path = self.output_path(&blob_key(name), 0);
        let bytes = std::fs::read(&path).ok()?;
        touch(&path);
        Some(bytes)
    }

    /// Store `bytes` under `name`; it counts towards the size limit like any output.
    pub fn put_blob(&self, name: &str, bytes: &[u8]) {
        let _ = crate::fsutil::write_atomic(&self.output_path(&blob_key(name), 0), bytes);
    }

    /// This run's counters.
    pub fn counters(&self) -> Counters {
        self.counters.lock().map(|c| *c).unwrap_or_default()
    }

    /// Add this run's counters to the totals on disk and evict down to the limit if it stored
    /// anything. Errors are ignored: the cache is an optimisation.
    pub fn finish(&self) {
        self.hashes.save();
        let run = self.counters();
        if run == Counters::default() {
            return;
        }
        let _ = std::fs::create_dir_all(&self.dir);
        let tag = self.dir.join("CACHEDIR.TAG");
        if !tag.exists() {
            let _ = crate::fsutil::write_atomic(
                &tag,
                b"Signature: 8a477f597d28d172789f06886806bc55\n# pbuild's object cache: `pbuild cache clear` empties it.\n",
            );
        }
        let Some(_lock) = self.lock() else { return };
        let mut total = read_counters(&self.dir);
        total.hits += run.hits;
        total.misses += run.misses;
        total.stores += run.stores;
        if let Ok(b) = serde_json::to_vec(&total) {
            let _ = crate::fsutil::write_atomic(&self.dir.join("stats"), &b);
        }
        if run.stores > 0 {
            evict(&self.dir, self.limit);
        }
    }

    fn lock(&self) -> Option<std::fs::File> {
        let f = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join("lock"))
            .ok()?;
        f.lock().ok()?;
        Some(f)
    }
}

/// Mark a stored output as just used: eviction goes by output 0's modification time.
fn touch(path: &Path) {
    let _ = std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(std::time::SystemTime::now()));
}

fn blob_key(name: &str) -> String {
    hex(xxhash_rust::xxh3::xxh3_128(
        format!("{KEY_VERSION}\0blob\0{name}").as_bytes(),
    ))
}

fn read_counters(dir: &Path) -> Counters {
    std::fs::read(dir.join("stats"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// One stored result: its output files, their total size, when it was last used, and whether
/// it is a precompiled header.
struct Stored {
    files: Vec<PathBuf>,
    size: u64,
    used: std::time::SystemTime,
    pch: bool,
}

/// gcc's precompiled header files start with these bytes (`gcc/c-family/c-pch.cc`).
const PCH_MAGIC: &[u8] = b"gpch";

fn is_pch_file(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == PCH_MAGIC
}

fn stored(dir: &Path) -> Vec<Stored> {
    let mut by_result: HashMap<String, Stored> = HashMap::new();
    for e in walkdir::WalkDir::new(dir.join("o"))
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
    {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some((result, index)) = name.rsplit_once('.') else {
            continue;
        };
        let Ok(meta) = e.metadata() else { continue };
        let s = by_result.entry(result.to_string()).or_insert(Stored {
            files: Vec::new(),
            size: 0,
            used: std::time::UNIX_EPOCH,
            pch: false,
        });
        if index == "0" {
            s.used = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
            s.pch = is_pch_file(e.path());
        }
        s.files.push(e.into_path());
        s.size += meta.len();
    }
    by_result.into_values().collect()
}

/// Remove results until the cache is at most 90 % of `limit`: precompiled headers first, then
/// the least recently used. A precompiled header is tens of MiB on a real tree (62 MiB for
/// Device OS 2.3.1's Particle.h) for a few seconds of compile and serves one project; the same
/// space holds about a thousand objects, each a hit for every project that shares the tree.
/// Evicted in plain LRU order, 46 of them filled 2 of the default 5 GiB and a repeated run of
/// 20 projects hit 23 % of its steps (issue 14 item 7).
/// Manifests that point at removed results stay; a lookup that finds no outputs is a miss.
fn evict(dir: &Path, limit: u64) -> usize {
    let mut all = stored(dir);
    let mut size: u64 = all.iter().map(|s| s.size).sum();
    if size <= limit {
        return 0;
    }
    all.sort_by_key(|s| (!s.pch, s.used));
    let goal = limit / 10 * 9;
    let mut removed = 0;
    for s in all {
        if size <= goal {
            break;
        }
        for f in &s.files {
            let _ = std::fs::remove_file(f);
        }
        size = size.saturating_sub(s.size);
        removed += 1;
    }
    removed
}

/// What `pbuild cache stats` shows.
#[derive(Debug, Serialize)]
pub struct Stats {
    pub dir: PathBuf,
    pub entries: usize,
    pub bytes: u64,
    pub limit: u64,
    pub hits: u64,
    pub misses: u64,
    pub stores: u64,
}

pub fn stats(dir: &Path, limit: u64) -> Stats {
    let all = stored(dir);
    let c = read_counters(dir);
    Stats {
        dir: dir.to_path_buf(),
        entries: all.len(),
        bytes: all.iter().map(|s| s.size).sum(),
        limit,
        hits: c.hits,
        misses: c.misses,
        stores: c.stores,
    }
}

/// Empty the cache (outputs, manifests, counters); the directory stays. Returns the bytes freed.
pub fn clear(dir: &Path) -> crate::Result<u64> {
    let bytes = stored(dir).iter().map(|s| s.size).sum();
    for sub in ["o", "m"] {
        let p = dir.join(sub);
        if p.exists() {
            std::fs::remove_dir_all(&p).map_err(|e| crate::Error::io(&p, e))?;
        }
    }
    let _ = std::fs::remove_file(dir.join("stats"));
    Ok(bytes)
}

#[cfg(test)]
#[path = "stepcache_tests.rs"]
mod tests;
