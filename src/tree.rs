//! The Device OS checkout: where it is, which version it is, and a fingerprint of its build description.

use crate::fsutil::Stamp;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct Tree {
    pub root: PathBuf,
    /// `VERSION_STRING` from `build/version.mk`, e.g. `2.3.1`.
    pub version_string: String,
    /// `VERSION` from `build/version.mk`, e.g. `2302`.
    pub version: Option<u32>,
}

/// Directories never searched for makefiles: VCS data and build outputs.
const PRUNED: &[&str] = &[".git", "node_modules", ".pbuild"];

impl Tree {
    /// Whether the tree's makefiles know platform `id` (`build/platform-id.mk` has its
    /// `ifeq ("$(PLATFORM_ID)","<id>")` block); `None` when that file cannot be read. Device OS
    /// 4.0 and later know only Gen 3 and 4 platforms.
    pub fn supports(&self, id: u16) -> Option<bool> {
        let text = std::fs::read_to_string(self.root.join("build/platform-id.mk")).ok()?;
        let wanted = format!("ifeq (\"$(PLATFORM_ID)\",\"{id}\")");
        Some(
            text.lines()
                .any(|l| l.split_whitespace().collect::<String>() == wanted.replace(' ', "")),
        )
    }

    /// Open a checkout at `root`, checking it looks like Device OS.
    pub fn open(root: &Path) -> Result<Tree> {
        let root = crate::paths::absolute(root);
        if !root.is_dir() {
            return Err(Error::NotATree {
                path: root,
                why: "no such directory".into(),
            });
        }
        for needed in ["build/version.mk", "modules/makefile", "main/makefile"] {
            if !root.join(needed).is_file() {
                return Err(Error::NotATree {
                    path: root.clone(),
                    why: format!("{needed} is missing"),
                });
            }
        }
        let version_mk = root.join("build/version.mk");
        let text = std::fs::read_to_string(&version_mk).map_err(|e| Error::io(&version_mk, e))?;
        let var = |name: &str| {
            text.lines().find_map(|l| {
                let (k, v) = l.split_once('=')?;
                let k = k.trim().trim_end_matches([':', '?']).trim();
                (k == name).then(|| v.trim().to_string())
            })
        };
        let version_string = var("VERSION_STRING").ok_or_else(|| Error::NotATree {
            path: root.clone(),
            why: "build/version.mk has no VERSION_STRING".into(),
        })?;
        let version = var("VERSION").and_then(|v| v.parse().ok());
        Ok(Tree {
            root,
            version_string,
            version,
        })
    }

    /// A directory is a tree root if it has the Device OS layout.
    pub fn looks_like_root(dir: &Path) -> bool {
        dir.join("build/version.mk").is_file()
            && dir.join("modules").is_dir()
            && dir.join("main").is_dir()
    }

    /// The tree that contains `dir` (an app inside `user/applications/`, or any directory below the root).
    pub fn find_above(dir: &Path) -> Option<PathBuf> {
        crate::paths::absolute(dir)
            .ancestors()
            .find(|d| Self::looks_like_root(d))
            .map(Path::to_path_buf)
    }

    /// Every makefile in the tree (`makefile`, `Makefile`, `GNUmakefile`, `*.mk`), sorted, build
    /// outputs excluded, with the directories where a new makefile could change the build: those
    /// that hold makefiles, and all of `modules/` and `build/`, where Device OS includes makefiles
    /// by wildcard (`$(call rwildcard,$(USER_PART_MODULE_PATH)/,include.mk)`). A makefile added
    /// anywhere else is read only once an existing makefile names it, and that edit is seen. A
    /// no-op build stats these (about 900 directories of the real tree's 10,000, most of them in
    /// nrf5_sdk and FreeRTOS, which Gen 2 builds never read).
    pub fn makefiles(&self) -> (Vec<PathBuf>, Vec<PathBuf>) {
        let build_target = self.root.join("build/target");
        let mut dirs = Vec::new();
        let mut found = Vec::new();
        let walk = walkdir::WalkDir::new(&self.root)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let name = e.file_name().to_string_lossy();
                !(e.file_type().is_dir()
                    && (PRUNED.contains(&name.as_ref()) || e.path() == build_target))
            });
        for e in walk.filter_map(|e| e.ok()) {
            if e.file_type().is_dir() {
                dirs.push(e.into_path());
            } else if e.file_type().is_file()
                && is_makefile(e.file_name().to_string_lossy().as_ref())
            {
                found.push(e.into_path());
            }
        }
        found.sort();
        let holding: std::collections::HashSet<&Path> =
            found.iter().filter_map(|f| f.parent()).collect();
        let wildcards = [self.root.join("modules"), self.root.join("build")];
        let dirs = dirs
            .into_iter()
            .filter(|d| {
                *d == self.root
                    || holding.contains(d.as_path())
                    || wildcards.iter().any(|w| d.starts_with(w))
            })
            .collect();
        (found, dirs)
    }

    /// Content hashes of every makefile, reusing `cache` (a file under the build state) while no walked
    /// directory changed: adding, removing or renaming a makefile changes its directory's mtime, and a
    /// makefile whose mtime and size are unchanged keeps its hash. So a no-op build stats instead of walking.
    /// Neither is remembered when it was read within `fsutil::SETTLED_NS` of its last change: a
    /// second write inside the file system's timestamp granularity would leave the same stamp.
    ///
    /// Also returns the stamps this answer rests on (each watched directory and each makefile, as
    /// stat saw them now): while they are the same, so is the answer.
    pub fn makefile_hashes(&self, cache: &Path) -> Makefiles {
        // Before any stat or read below: what is settled at this time is settled when read.
        let read_at = crate::work::now_ns();
        let previous: Option<MakefileCache> = std::fs::read(cache)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        let mut watched_dirs = Vec::new();
        let still_valid = previous.filter(|c| {
            c.version == MAKEFILE_CACHE_VERSION
                && c.root == self.root
                && c.dirs.iter().all(|(d, mtime)| {
                    let now = Stamp::of(d);
                    watched_dirs.push((d.clone(), now));
                    now.mtime_ns == *mtime
                })
        });
        let (files, dirs): (Vec<PathBuf>, Vec<(PathBuf, i64)>) = match &still_valid {
            Some(c) => (
                c.files.iter().map(|f| f.0.clone()).collect(),
                c.dirs.clone(),
            ),
            None => {
                watched_dirs.clear();
                let (files, dirs) = self.makefiles();
                let dirs = dirs.into_iter().map(|d| {
                    let now = Stamp::of(&d);
                    watched_dirs.push((d.clone(), now));
                    // Changed within the timestamp granularity of the walk: a makefile added
                    // after the walk read it could leave the same mtime, so walk again next time.
                    (d, remembered_mtime(now, read_at))
                });
                (files, dirs.collect())
            }
        };
        let known_hashes: std::collections::HashMap<&Path, (i64, u64, u64)> = still_valid
            .iter()
            .flat_map(|c| c.files.iter().map(|e| (e.0.as_path(), (e.1, e.2, e.3))))
            .collect();
        let mut entries = Vec::with_capacity(files.len());
        let mut watched_files = Vec::with_capacity(files.len());
        for f in files {
            let stamp = Stamp::of(&f);
            let known = known_hashes
                .get(f.as_path())
                .filter(|e| e.0 == stamp.mtime_ns && e.1 == stamp.size)
                .map(|e| e.2);
            let hash = known.unwrap_or_else(|| {
                xxhash_rust::xxh3::xxh3_64(&std::fs::read(&f).unwrap_or_default())
            });
            watched_files.push((f.clone(), stamp));
            // A hash is remembered only under a settled stamp: a makefile written again within
            // its timestamp granularity, at the same size, keeps its stamp (`fsutil::SETTLED_NS`).
            let mtime = match known {
                Some(_) => stamp.mtime_ns,
                None => remembered_mtime(stamp, read_at),
            };
            entries.push((f, mtime, stamp.size, hash));
        }
        let hashes = entries.iter().map(|e| (e.0.clone(), e.3)).collect();
        let fresh = MakefileCache {
            version: MAKEFILE_CACHE_VERSION,
            root: self.root.clone(),
            dirs,
            files: entries,
        };
        if still_valid.as_ref() != Some(&fresh)
            && let Ok(bytes) = serde_json::to_vec(&fresh)
        {
            let _ = crate::fsutil::write_atomic(cache, &bytes);
        }
        Makefiles {
            hashes,
            watched_dirs,
            watched_files,
        }
    }
}

/// [`Tree::makefile_hashes`]'s answer.
pub struct Makefiles {
    /// Every makefile of the tree with the hash of its contents.
    pub hashes: Vec<(PathBuf, u64)>,
    /// The directories whose stamps the answer rests on (a makefile added or removed).
    pub watched_dirs: Vec<(PathBuf, Stamp)>,
    /// The makefiles, with their stamps.
    pub watched_files: Vec<(PathBuf, Stamp)>,
}

/// 1: only directories where a new makefile could change the build are watched.
/// 2: no stamp is remembered that changed within `fsutil::SETTLED_NS` of being read.
const MAKEFILE_CACHE_VERSION: u32 = 2;

/// The mtime remembered for a file or directory read too soon after it changed: no stamp has it.
const UNSETTLED: i64 = i64::MIN;

/// The mtime to remember for `stamp`, read at `read_at`: its own once settled, else [`UNSETTLED`].
fn remembered_mtime(stamp: Stamp, read_at: i64) -> i64 {
    match stamp.settled_at(read_at) {
        true => stamp.mtime_ns,
        false => UNSETTLED,
    }
}

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct MakefileCache {
    /// [`MAKEFILE_CACHE_VERSION`] of the pbuild that wrote it (which directories it watches).
    #[serde(default)]
    version: u32,
    root: PathBuf,
    dirs: Vec<(PathBuf, i64)>,
    /// path, mtime_ns, size, xxh3 of the contents
    files: Vec<(PathBuf, i64, u64, u64)>,
}

fn is_makefile(name: &str) -> bool {
    matches!(name, "makefile" | "Makefile" | "GNUmakefile") || name.ends_with(".mk")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makefile_hashes_follow_edits_additions_and_removals_through_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("tree");
        std::fs::create_dir_all(root.join("lib/sub")).unwrap();
        std::fs::create_dir_all(root.join("modules/p/src")).unwrap();
        std::fs::create_dir_all(root.join("third_party/sdk/examples/deep")).unwrap();
        std::fs::create_dir_all(root.join("build/target/x")).unwrap();
        std::fs::write(root.join("makefile"), "all:\n").unwrap();
        std::fs::write(root.join("lib/build.mk"), "A=1\n").unwrap();
        std::fs::write(root.join("build/target/x/ignored.mk"), "\n").unwrap();
        let tree = Tree {
            root: root.clone(),
            version_string: "2.3.1".into(),
            version: Some(2302),
        };
        let cache = dir.path().join("cache.json");
        let names = |v: &[(PathBuf, u64)]| -> Vec<String> {
            v.iter()
                .map(|(p, _)| p.strip_prefix(&root).unwrap().display().to_string())
                .collect()
        };
        let first = tree.makefile_hashes(&cache).hashes;
        assert_eq!(names(&first), ["lib/build.mk", "makefile"]);
        assert!(cache.is_file());
        assert_eq!(
            tree.makefile_hashes(&cache).hashes,
            first,
            "unchanged tree, same answer from the cache"
        );

        std::fs::write(root.join("lib/build.mk"), "A=22\n").unwrap();
        let edited = tree.makefile_hashes(&cache).hashes;
        assert_ne!(edited[0].1, first[0].1, "an edit changes the hash");

        // A makefile added beside others, or anywhere below modules/ (included by wildcard).
        std::fs::write(root.join("lib/extra.mk"), "B=1\n").unwrap();
        assert_eq!(
            names(&tree.makefile_hashes(&cache).hashes),
            ["lib/build.mk", "lib/extra.mk", "makefile"]
        );
        std::fs::write(root.join("modules/p/src/include.mk"), "C=1\n").unwrap();
        assert_eq!(
            names(&tree.makefile_hashes(&cache).hashes),
            [
                "lib/build.mk",
                "lib/extra.mk",
                "makefile",
                "modules/p/src/include.mk"
            ]
        );
        std::fs::remove_file(root.join("lib/extra.mk")).unwrap();
        std::fs::remove_file(root.join("modules/p/src/include.mk")).unwrap();
        assert_eq!(
            names(&tree.makefile_hashes(&cache).hashes),
            ["lib/build.mk", "makefile"]
        );
        // A no-op stats no directory that holds no makefile outside modules/ and build/.
        let watched: MakefileCache =
            serde_json::from_slice(&std::fs::read(&cache).unwrap()).unwrap();
        let watched: Vec<String> = watched
            .dirs
            .iter()
            .map(|(d, _)| d.strip_prefix(&root).unwrap().display().to_string())
            .collect();
        assert!(watched.contains(&"lib".to_string()), "{watched:?}");
        assert!(
            watched.contains(&"modules/p/src".to_string()),
            "{watched:?}"
        );
        assert!(
            !watched.iter().any(|d| d.starts_with("third_party")),
            "{watched:?}"
        );
    }

    fn set_mtime(p: &Path, t: std::time::SystemTime) {
        // Opened to read: a directory cannot be opened to write.
        std::fs::File::open(p).unwrap().set_modified(t).unwrap();
    }

    #[test]
    fn a_makefile_rewritten_within_its_timestamp_keeps_no_old_hash() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("tree");
        std::fs::create_dir_all(root.join("lib")).unwrap();
        let mk = root.join("lib/build.mk");
        std::fs::write(root.join("makefile"), "all:\n").unwrap();
        std::fs::write(&mk, "A=1\n").unwrap();
        let tree = Tree {
            root: root.clone(),
            version_string: "2.3.1".into(),
            version: Some(2302),
        };
        let cache = dir.path().join("cache.json");
        let hash_of_mk = |t: &Tree| {
            t.makefile_hashes(&cache)
                .hashes
                .into_iter()
                .find(|(p, _)| *p == mk)
                .unwrap()
                .1
        };
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        set_mtime(&root.join("makefile"), old);
        set_mtime(&root.join("lib"), old);
        set_mtime(&root, old);
        // Read just after it was written; then written again, same size, and given the same
        // mtime (as on a file system whose timestamps are coarser than the two writes).
        let written = std::fs::metadata(&mk).unwrap().modified().unwrap();
        let first = hash_of_mk(&tree);
        std::fs::write(&mk, "A=2\n").unwrap();
        set_mtime(&mk, written);
        assert_ne!(hash_of_mk(&tree), first, "the old hash was kept");
        // A settled file is remembered: the cache holds its stamp.
        set_mtime(&mk, old);
        let settled = hash_of_mk(&tree);
        let kept: MakefileCache = serde_json::from_slice(&std::fs::read(&cache).unwrap()).unwrap();
        assert!(
            kept.files.iter().all(|e| e.1 != UNSETTLED),
            "{:?}",
            kept.files
        );
        assert_eq!(hash_of_mk(&tree), settled);
    }
}
