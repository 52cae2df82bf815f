//! Make-safe names for paths make cannot handle. GNU make splits words on spaces, so an app
//! directory whose path has one cannot be built by make (or imported from it). pbuild then works
//! through a symbolic link to it whose path has none, and maps the link back to the real path in
//! what it shows (compiler messages, compile_commands.json).
//!
//! A Device OS tree cannot be helped that way: make resolves its working directory (`CURDIR`,
//! `$(abspath …)` in the tree's makefiles) to the real path, space included. That is a clear error.
//!
//! The links live in a directory only this user can write: `<state dir>/links` when that path is
//! make-safe, else `$XDG_RUNTIME_DIR/pbuild-links`, else `<cache dir>/links`. A link's name is a
//! hash of the path it stands for, so it is stable from run to run (and cached plans stay valid).

use std::path::{Path, PathBuf};

use crate::config::App;
use crate::error::{Error, Result};
use crate::work::{Reason, Reporter, Step, StepResult};

/// Characters in a path that break make's word splitting or its rules, or that a shell would
/// act on if a makefile passed the path to `$(shell …)` (`;`, `|`, `` ` ``, …).
pub fn make_unsafe(p: &Path) -> bool {
    p.to_string_lossy().chars().any(|c| {
        c.is_whitespace()
            || matches!(
                c,
                '#' | ':'
                    | '%'
                    | '$'
                    | '\\'
                    | '"'
                    | '\''
                    | ';'
                    | '&'
                    | '|'
                    | '<'
                    | '>'
                    | '('
                    | ')'
                    | '`'
                    | '*'
                    | '?'
                    | '['
                    | ']'
                    | '!'
                    | '{'
                    | '}'
            )
    })
}

/// One real path and the link that stands for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    pub link: PathBuf,
    pub real: PathBuf,
}

/// Where links go: the first make-safe candidate.
fn link_dir(state_dir: &Path) -> Option<PathBuf> {
    let mut candidates = vec![state_dir.join("links")];
    if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        candidates.push(PathBuf::from(d).join("pbuild-links"));
    }
    if let Some(d) = crate::config::cache_dir() {
        candidates.push(d.join("links"));
    }
    candidates
        .into_iter()
        .find(|c| c.is_absolute() && !make_unsafe(c))
}

/// A link to `real` under a make-safe directory, made (or refreshed) now.
pub fn link_for(real: &Path, state_dir: &Path) -> Result<Alias> {
    let dir = link_dir(state_dir).ok_or_else(|| Error::Other(format!(
        "{} has a space or a character make cannot handle, and there is no make-safe directory for a link to it",
        real.display()
    )))?;
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
    }
    let name = format!(
        "{:016x}",
        xxhash_rust::xxh3::xxh3_64(real.as_os_str().as_encoded_bytes())
    );
    let link = dir.join(name);
    if std::fs::read_link(&link).ok().as_deref() != Some(real) {
        // Replace atomically: a new link under a temp name, renamed over the old one.
        let tmp = crate::fsutil::temp_path(&link);
        let _ = std::fs::remove_file(&tmp);
        #[cfg(unix)]
        std::os::unix::fs::symlink(real, &tmp).map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, &link).map_err(|e| Error::io(&link, e))?;
    }
    Ok(Alias {
        link,
        real: real.to_path_buf(),
    })
}

/// `text` with every link path written as the real one.
pub fn unalias(text: &str, aliases: &[Alias]) -> String {
    let mut out = text.to_string();
    for a in aliases {
        out = out.replace(&a.link.display().to_string(), &a.real.display().to_string());
    }
    out
}

/// The app a build works with: behind a make-safe link when its path has a character make cannot
/// handle. A tree with one is an error (make resolves links).
pub fn make_safe(
    tree_root: &Path,
    app: Option<&App>,
    state_dir: &Path,
) -> Result<(Option<App>, Vec<Alias>)> {
    if make_unsafe(tree_root) {
        return Err(Error::UnsafeTreePath {
            path: tree_root.to_path_buf(),
        });
    }
    let mut app = app.cloned();
    let mut aliases = Vec::new();
    if let Some(app) = app.as_mut()
        && make_unsafe(&app.dir)
    {
        let a = link_for(&app.dir, state_dir)?;
        app.dir = a.link.clone();
        app.layout = crate::sources::AppLayout::of(&app.dir, app.by_name);
        aliases.push(a);
    }
    Ok((app, aliases))
}

/// Shows what the build says with links written as the real paths they stand for.
pub struct Unaliasing<'a> {
    pub inner: &'a mut dyn Reporter,
    pub aliases: &'a [Alias],
}

impl Unaliasing<'_> {
    /// `step` as the user knows it: label, command and directory with the real paths.
    fn shown(&self, step: &Step) -> Step {
        let un = |t: &str| unalias(t, self.aliases);
        let mut step = step.clone();
        step.label = un(&step.label);
        for w in &mut step.argv {
            *w = un(w);
        }
        step.cwd = PathBuf::from(un(&step.cwd.to_string_lossy()));
        step
    }
}

impl Reporter for Unaliasing<'_> {
    fn planned(&mut self, to_run: usize, total: usize) {
        self.inner.planned(to_run, total);
    }

    fn started(&mut self, step: &Step, reason: &Reason, started: usize, to_run: usize) {
        if self.aliases.is_empty() {
            return self.inner.started(step, reason, started, to_run);
        }
        self.inner
            .started(&self.shown(step), reason, started, to_run);
    }

    fn finished(&mut self, step: &Step, result: &StepResult) {
        if self.aliases.is_empty() {
            return self.inner.finished(step, result);
        }
        let mut shown = result.clone();
        shown.output = unalias(&result.output, self.aliases);
        self.inner.finished(&self.shown(step), &shown);
    }
}
