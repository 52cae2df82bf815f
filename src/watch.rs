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

impl Scope {
    pub fn of(s: &Settings) -> Scope {
        let tree = crate::paths::absolute(&s.tree.root);
        let mut roots = Vec::new();
        if s.target == Target::Modules {
            roots.push(tree.clone());
        }
        if let Some(app) = &s.app {
            let dir = crate::paths::absolute(&app.dir);
            if !roots.iter().any(|r| dir.starts_with(r)) {
                roots.push(dir);
            }
        }
        let base = match (&s.app, s.target) {
            (Some(app), Target::Main) => crate::paths::absolute(&app.dir),
            _ => tree.clone(),
        };
        Scope {
            roots,
            ignored: vec![
                crate::paths::absolute(&s.target_dir),
                crate::paths::absolute(&s.state_dir()),
                tree.join("build").join("target"),
            ],
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
