//! Path helpers: lexical normalisation (no symlink resolution) and display relative to a base.

use std::path::{Component, Path, PathBuf};

/// `path` made absolute against the current directory and normalised lexically.
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        normalize(path)
    } else {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        normalize(&cwd.join(path))
    }
}

/// `path` joined onto `base` (if relative) and normalised.
pub fn resolve(base: &Path, path: &str) -> PathBuf {
    normalize(&base.join(path))
}

/// Remove `.` and resolve `..` without touching the filesystem.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `path` shown relative to `base` when it lies below it.
pub fn shown(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.display().to_string())
}

/// `path` relative to `base`, lexically (both absolute).
pub fn relative(path: &Path, base: &Path) -> PathBuf {
    let p: Vec<Component> = path.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c.as_os_str());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative(Path::new("/t/user/app/a.cpp"), Path::new("/t/main")),
            Path::new("../user/app/a.cpp")
        );
        assert_eq!(
            relative(Path::new("/t/main/a"), Path::new("/t/main")),
            Path::new("a")
        );
    }
}
