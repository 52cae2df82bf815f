//! The Device OS checkout: where it is, which version it is, and a fingerprint of its build description.

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

    /// Every makefile in the tree (`makefile`, `Makefile`, `GNUmakefile`, `*.mk`), sorted, build outputs excluded.
    pub fn makefiles(&self) -> Vec<PathBuf> {
        let build_target = self.root.join("build/target");
        let mut found: Vec<PathBuf> = walkdir::WalkDir::new(&self.root)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let name = e.file_name().to_string_lossy();
                !(e.file_type().is_dir()
                    && (PRUNED.contains(&name.as_ref()) || e.path() == build_target))
            })
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_type().is_file() && is_makefile(e.file_name().to_string_lossy().as_ref())
            })
            .map(|e| e.into_path())
            .collect();
        found.sort();
        found
    }
}

fn is_makefile(name: &str) -> bool {
    matches!(name, "makefile" | "Makefile" | "GNUmakefile") || name.ends_with(".mk")
}
