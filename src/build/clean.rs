//! `pbuild clean`: removing pbuild's outputs and build state for a platform (or all of them),
//! after waiting for a build that is using them; the Device OS tree's own make outputs only when
//! asked (`--tree-outputs`): a shared tree's builds are not pbuild's to remove.

use std::path::{Path, PathBuf};

use crate::config::Settings;
use crate::error::{Error, Result};

/// What `pbuild clean` removed. `all`: every platform and all build state; `tree_outputs`: also
/// make's outputs in the tree (for the platform, or all of `<tree>/build/target` with `all`).
/// Waits for a build holding the build state's lock, as a build does (`say` tells the user).
pub fn clean(
    s: &Settings,
    all: bool,
    tree_outputs: bool,
    say: &mut dyn FnMut(&str),
) -> Result<Vec<PathBuf>> {
    let _lock = match s.state_dir().exists() {
        true => Some(super::lock::lock_state(&s.state_dir(), s.no_wait, say)?),
        false => None,
    };
    let mut removed = Vec::new();
    let mut remove = |p: PathBuf| -> Result<()> {
        if p.exists() {
            std::fs::remove_dir_all(&p).map_err(|e| Error::io(&p, e))?;
            removed.push(p);
        }
        Ok(())
    };
    let tree_target = s.tree.root.join("build/target");
    if all || s.platform.is_none() {
        // The state directory holds the lock: everything in it but that goes.
        for dir in list_dirs(&s.state_dir()) {
            remove(dir)?;
        }
        for p in &s.table.platforms {
            remove(s.target_dir.join(&p.name))?;
        }
        if tree_outputs {
            remove(tree_target)?;
        }
        return Ok(removed);
    }
    let platform = s.platform()?;
    remove(s.target_dir.join(&platform.name))?;
    let build = s.state_dir().join("build");
    for dir in list_dirs(&build) {
        if dir.file_name().is_some_and(|n| {
            n.to_string_lossy()
                .starts_with(&format!("{}-", platform.name))
        }) {
            remove(dir)?;
        }
    }
    if !tree_outputs {
        return Ok(removed);
    }
    // Device OS's own outputs for this platform: build/target/<lib>/platform-<id>-…
    let marker = format!("platform-{}", platform.id);
    for lib in list_dirs(&tree_target) {
        for dir in list_dirs(&lib) {
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name == marker || name.starts_with(&format!("{marker}-")) {
                remove(dir)?;
            }
        }
    }
    Ok(removed)
}

fn list_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}
