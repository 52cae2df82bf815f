//! What `pbuild watch` watches and which file events count: the app's directory (and the tree
//! for `--target modules`), without the build's own outputs, its state, VCS metadata and editor
//! scratch files. The loop that reacts to the events is the front end's (`cli::watch`).

use std::path::{Path, PathBuf};

use notify::EventKind;

use crate::config::{Settings, Target};

/// What is watched and which events count.
pub struct Scope {
    pub roots: Vec<PathBuf>,
    /// Build outputs and state: events below these are the build's own.
    pub ignored: Vec<PathBuf>,
    /// Where changed paths are shown relative to.
    pub base: PathBuf,
}

/// Where the symbolic links below `dir` lead, outside it: directories as they are, a linked
/// file's directory. Loops and dangling links are left to the build to report.
fn link_targets(dir: &Path, ignored: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let skip = |p: &Path| ignored.iter().any(|i| p.starts_with(i)) || p == dir.join("target");
    for e in walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0 || !(e.file_name().to_string_lossy().starts_with('.') || skip(e.path()))
        })
        .flatten()
    {
        if !e.path_is_symlink() {
            continue;
        }
        let Ok(real) = e.path().canonicalize() else {
            continue;
        };
        let watched = if real.is_dir() {
            real
        } else {
            match real.parent() {
                Some(p) => p.to_path_buf(),
                None => continue,
            }
        };
        if !watched.starts_with(&canonical) {
            out.push(watched);
        }
    }
    // Each once, and none below another (sorted, a parent comes before what it holds).
    out.sort();
    let mut kept: Vec<PathBuf> = Vec::new();
    for p in out {
        if !kept.iter().any(|k| p.starts_with(k)) {
            kept.push(p);
        }
    }
    kept
}

impl Scope {
    pub fn of(s: &Settings) -> Scope {
        let tree = crate::paths::absolute(&s.tree.root);
        let ignored = vec![
            crate::paths::absolute(&s.target_dir),
            crate::paths::absolute(&s.state_dir()),
            tree.join("build").join("target"),
        ];
        let mut roots = Vec::new();
        if s.target == Target::Modules {
            roots.push(tree.clone());
        }
        if let Some(app) = &s.app {
            let dir = crate::paths::absolute(&app.dir);
            if !roots.iter().any(|r| dir.starts_with(r)) {
                roots.push(dir.clone());
            }
            // Sources reached through symbolic links are built (`sources::discover`), so what
            // the links lead to is watched too.
            for target in link_targets(&dir, &ignored) {
                if !roots.iter().any(|r| target.starts_with(r)) {
                    roots.push(target);
                }
            }
        }
        let base = match (&s.app, s.target) {
            (Some(app), Target::Main) => crate::paths::absolute(&app.dir),
            _ => tree.clone(),
        };
        Scope {
            roots,
            ignored,
            base,
        }
    }

    pub fn counts(&self, kind: &EventKind, path: &Path) -> bool {
        if matches!(kind, EventKind::Access(_) | EventKind::Other) {
            return false;
        }
        if self.ignored.iter().any(|i| path.starts_with(i)) {
            return false;
        }
        if path
            .components()
            .any(|c| c.as_os_str() == ".pbuild" || c.as_os_str() == ".git")
        {
            return false;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        // pbuild's own compile_commands.json (and its temp file) is written by every changed build.
        // So is the import's probe beside sketches (`sources::SKETCH_PROBE`).
        if name == crate::build::compdb::FILE_NAME
            || name.starts_with(&format!(".{}.pbuild-tmp", crate::build::compdb::FILE_NAME))
            || name == crate::sources::SKETCH_PROBE
        {
            return false;
        }
        // Editor scratch files: vim's swap files and its `4913` write test, emacs lock files.
        !(name.ends_with(".swp")
            || name.ends_with(".swx")
            || name.ends_with('~')
            || name.starts_with(".#")
            || name == "4913")
    }

    pub fn shown(&self, changed: &[PathBuf]) -> String {
        const LIST: usize = 3;
        let mut names: Vec<String> = changed
            .iter()
            .map(|p| crate::paths::shown(p, &self.base))
            .collect();
        let more = names.len().saturating_sub(LIST);
        names.truncate(LIST);
        let mut text = names.join(", ");
        if more > 0 {
            text.push_str(&format!(" (+{more} more)"));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_links_below_the_app_lead_to_is_watched_once() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let app = root.join("app");
        for d in ["app/src", "shared/lib", "other", "app/target"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::write(root.join("other/one.cpp"), "").unwrap();
        let link = |to: &Path, at: &str| std::os::unix::fs::symlink(to, app.join(at)).unwrap();
        link(&root.join("shared"), "src/shared");
        link(&root.join("shared/lib"), "src/lib");
        link(&root.join("other/one.cpp"), "src/one.cpp");
        link(&app.join("src"), "inside");
        link(&root.join("elsewhere-ignored"), "target/x");
        let mut found = link_targets(&app, &[]);
        found.sort();
        assert_eq!(found, [root.join("other"), root.join("shared")]);
    }
}
