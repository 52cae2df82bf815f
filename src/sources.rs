//! Where an app's sources are, as Device OS's `user/build.mk` sees it: the layout of the app
//! directory, the source roots (the app's own, then each vendored library's), the sources in
//! them, the order make lists them in, and which are sketches. It knows nothing of compile
//! commands (`plan::template` turns make's commands into templates).
//!
//! Layouts (Device OS `APPLAYOUT`):
//! - **legacy**: no `project.properties`: every source below the app directory.
//! - **simple**: `project.properties` but no `src/`: the same.
//! - **extended** (`particle project create`): `project.properties` and `src/`: the app's sources are
//!   in `src/` (recursively), and every directory in `lib/` is a library. make treats them all as
//!   v2 libraries (sources and headers below `lib/<name>/src`). A directory without `src/` is a v1
//!   library (all its sources, headers at its top); make learns of those from `APPLIBSV1=`.
//!
//! Only an app given by directory (`APPDIR=`) can have the extended layout: with `APP=<name>`,
//! Device OS's `user/build.mk` never finds the app's `project.properties`.
//!
//! Within one extension, make lists the app's sources first, then the v1 libraries' (in
//! `APPLIBSV1` order), then the v2 libraries' (in `$(wildcard lib/*)` order: sorted by name).

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use crate::error::Error;

pub const PROPERTIES: &str = "project.properties";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Legacy,
    Simple,
    Extended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LibKind {
    /// `lib/<name>/` without `src/`: every source below it.
    V1,
    /// `lib/<name>/src/`.
    V2,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Library {
    pub name: String,
    pub dir: PathBuf,
    pub kind: LibKind,
}

impl Library {
    /// The directory its sources are collected from (and that is on the include path).
    pub fn root(&self) -> PathBuf {
        match self.kind {
            LibKind::V1 => self.dir.clone(),
            LibKind::V2 => self.dir.join("src"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppLayout {
    pub kind: Kind,
    pub dir: PathBuf,
    /// v1 libraries first, then v2, each sorted by name: make's order.
    pub libraries: Vec<Library>,
    /// Every entry of `lib/` (files too: make's `$(wildcard lib/*)` puts them on the include path).
    lib_entries: Vec<String>,
}

impl AppLayout {
    /// The layout of the app in `dir`; `by_name` for an app given with `--app` (Device OS `APP=`).
    pub fn of(dir: &Path, by_name: bool) -> AppLayout {
        let kind = if by_name || !dir.join(PROPERTIES).is_file() {
            Kind::Legacy
        } else if dir.join("src").is_dir() {
            Kind::Extended
        } else {
            Kind::Simple
        };
        let mut libraries = Vec::new();
        let mut lib_entries = Vec::new();
        if kind == Kind::Extended {
            let mut entries: Vec<(String, PathBuf)> = std::fs::read_dir(dir.join("lib"))
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                        .filter(|(n, _)| !n.starts_with('.'))
                        .collect()
                })
                .unwrap_or_default();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            for (name, path) in entries {
                lib_entries.push(name.clone());
                if path.is_dir() {
                    let kind = if path.join("src").is_dir() {
                        LibKind::V2
                    } else {
                        LibKind::V1
                    };
                    libraries.push(Library {
                        name,
                        dir: path,
                        kind,
                    });
                }
            }
            libraries.sort_by_key(|l| l.kind == LibKind::V2);
        }
        AppLayout {
            kind,
            dir: dir.to_path_buf(),
            libraries,
            lib_entries,
        }
    }

    /// Where the app's own sources are.
    pub fn app_root(&self) -> PathBuf {
        match self.kind {
            Kind::Extended => self.dir.join("src"),
            Kind::Legacy | Kind::Simple => self.dir.clone(),
        }
    }

    /// Source roots in make's order: the app's, then each library's.
    pub fn roots(&self) -> Vec<PathBuf> {
        std::iter::once(self.app_root())
            .chain(self.libraries.iter().map(Library::root))
            .collect()
    }

    /// The library a path belongs to, if any.
    pub fn library_of(&self, path: &Path) -> Option<&Library> {
        self.libraries.iter().find(|l| path.starts_with(&l.dir))
    }

    /// Variables make needs beyond `APPDIR=` to see this layout as pbuild does.
    pub fn make_vars(&self) -> Vec<String> {
        let v1: Vec<String> = self
            .libraries
            .iter()
            .filter(|l| l.kind == LibKind::V1)
            .map(|l| l.dir.display().to_string())
            .collect();
        if v1.is_empty() {
            Vec::new()
        } else {
            vec![format!("APPLIBSV1={}", v1.join(" "))]
        }
    }

    /// Every source make would compile for the app, root by root (not yet in make's order).
    pub fn discover(&self) -> Result<Vec<PathBuf>, Error> {
        let mut all = Vec::new();
        for r in self.roots() {
            all.extend(discover(&r)?);
        }
        Ok(all)
    }

    /// Roots that hold `.ino` sketches but no `.cpp`: make lists no C++ compile there, so the
    /// import gets an empty `.cpp` to see one (`import::ImportContext::probes`).
    pub fn sketch_probes(&self, sources: &[PathBuf]) -> Vec<PathBuf> {
        self.roots()
            .into_iter()
            .filter(|r| {
                let mine = |s: &&PathBuf| {
                    s.starts_with(r)
                        && !self
                            .roots()
                            .iter()
                            .any(|o| o != r && o.starts_with(r) && s.starts_with(o))
                };
                let sketches = sources.iter().filter(mine).any(|s| is_sketch(s));
                let cpp = sources
                    .iter()
                    .filter(mine)
                    .any(|s| s.extension().is_some_and(|e| e == "cpp"));
                sketches && !cpp
            })
            .map(|r| r.join(SKETCH_PROBE))
            .collect()
    }

    /// Each sketch with a `.cpp` of the same name beside it: `(x.ino, x.cpp)`. make compiles the
    /// `.cpp` (it knows no `.ino`: particle-facts.md §9), which is often what an older
    /// `particle preprocess` wrote and was committed.
    pub fn sketch_clashes(sources: &[PathBuf]) -> Vec<(PathBuf, PathBuf)> {
        sources
            .iter()
            .filter(|s| is_sketch(s))
            .filter_map(|s| {
                let cpp = compiled_as(s);
                sources.contains(&cpp).then(|| (s.clone(), cpp))
            })
            .collect()
    }

    /// What about the layout changes make's commands: the layout, `lib/`'s entries and the
    /// (root, extension) pairs that have sources. Part of the plan's fingerprint.
    pub fn fingerprint_words(&self, sources: &[PathBuf]) -> Vec<String> {
        let roots = self.roots();
        let mut words = vec![format!("layout {:?}", self.kind)];
        words.extend(self.lib_entries.iter().map(|e| format!("lib {e}")));
        for l in &self.libraries {
            words.push(format!("lib {} {:?}", l.name, l.kind));
        }
        let mut pairs: Vec<String> = sources
            .iter()
            .map(|s| {
                let root = roots
                    .iter()
                    .position(|r| s.starts_with(r))
                    .unwrap_or(usize::MAX);
                let ext = compiled_as(s)
                    .extension()
                    .map(|e| e.to_string_lossy().into_owned())
                    .unwrap_or_default();
                format!("src {root} {ext}")
            })
            .collect();
        pairs.sort();
        pairs.dedup();
        words.extend(pairs);
        words
    }
}

/// The empty file `sketch_probes` names; it exists only during an import.
pub const SKETCH_PROBE: &str = "pbuild-sketch-probe.cpp";

/// Source extensions pbuild collects from an app directory. A `.ino` sketch is preprocessed into
/// the build directory and compiled as the `.cpp` beside it would be (`compiled_as`).
pub const APP_EXTS: &[&str] = &["cpp", "c", "ino"];

/// The name make would compile `src` under: `x.ino` → `x.cpp` (what `particle preprocess` and
/// Workbench write next to it), anything else itself.
pub fn compiled_as(src: &Path) -> PathBuf {
    if is_sketch(src) {
        src.with_extension("cpp")
    } else {
        src.to_path_buf()
    }
}

pub fn is_sketch(src: &Path) -> bool {
    src.extension().is_some_and(|e| e == "ino")
}

/// Make's recursive-wildcard order: per directory level, files before subdirectories, names sorted.
fn wildcard_order(a: &Path, b: &Path) -> Ordering {
    let a: Vec<_> = a.components().collect();
    let b: Vec<_> = b.components().collect();
    for k in 0..a.len().min(b.len()) {
        if a[k] != b[k] {
            let a_file = k + 1 == a.len();
            let b_file = k + 1 == b.len();
            return match (a_file, b_file) {
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                _ => a[k]
                    .as_os_str()
                    .as_encoded_bytes()
                    .cmp(b[k].as_os_str().as_encoded_bytes()),
            };
        }
    }
    a.len().cmp(&b.len())
}

pub fn ext_of(p: &Path) -> String {
    p.extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The root of `roots` that holds `p` (the deepest), as an index.
pub fn root_of(roots: &[PathBuf], p: &Path) -> Option<usize> {
    roots
        .iter()
        .enumerate()
        .filter(|(_, r)| p.starts_with(r))
        .max_by_key(|(_, r)| r.components().count())
        .map(|(i, _)| i)
}

/// Order app sources as make lists them: by extension group (`ext_order`), then by root, then in
/// wildcard order below the root.
pub fn order_sources(roots: &[PathBuf], sources: &mut [PathBuf], ext_order: &[String]) {
    let group = |p: &Path| {
        let e = ext_of(&compiled_as(p));
        let ext = ext_order
            .iter()
            .position(|x| *x == e)
            .unwrap_or(ext_order.len());
        (ext, root_of(roots, p).unwrap_or(roots.len()))
    };
    let below = |p: &'_ Path| -> PathBuf {
        let p = compiled_as(p);
        root_of(roots, &p)
            .and_then(|i| p.strip_prefix(&roots[i]).ok())
            .unwrap_or(&p)
            .to_path_buf()
    };
    sources.sort_by(|a, b| {
        group(a)
            .cmp(&group(b))
            .then_with(|| wildcard_order(&below(a), &below(b)))
    });
}

/// All app sources (`*.cpp`, `*.c`, recursively; build outputs and hidden directories skipped).
/// Symbolic links are followed, files and directories alike, as make's wildcards do (Device OS
/// `build/macros.mk` `rwildcard`); each source keeps the path through the link, which is the one
/// make compiles. A link that loops or leads nowhere is an error naming it.
pub fn discover(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let target = dir.join("target");
    let mut found = Vec::new();
    for e in walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let hidden = e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.');
            !hidden && e.path() != target
        })
    {
        let e = match e {
            Ok(e) => e,
            Err(err) => return Err(walk_error(err)),
        };
        if e.file_type().is_file() && APP_EXTS.contains(&ext_of(e.path()).as_str()) {
            found.push(e.into_path());
        }
    }
    Ok(found)
}

fn walk_error(err: walkdir::Error) -> Error {
    let path = err.path().map(Path::to_path_buf).unwrap_or_default();
    if let Some(ancestor) = err.loop_ancestor() {
        return Error::LinkLoop {
            link: path,
            target: ancestor.to_path_buf(),
        };
    }
    let dangling = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink())
        && !path.exists();
    if dangling {
        return Error::DanglingLink {
            target: std::fs::read_link(&path).unwrap_or_default(),
            link: path,
        };
    }
    let io = err
        .into_io_error()
        .unwrap_or_else(|| std::io::Error::other("cannot read the directory"));
    Error::io(path, io)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(p: &Path) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "").unwrap();
    }

    #[test]
    fn layouts_follow_project_properties_and_src() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        touch(&d.join("a.cpp"));
        assert_eq!(AppLayout::of(d, false).kind, Kind::Legacy);
        touch(&d.join(PROPERTIES));
        assert_eq!(AppLayout::of(d, false).kind, Kind::Simple);
        touch(&d.join("src/app.cpp"));
        assert_eq!(AppLayout::of(d, false).kind, Kind::Extended);
        assert_eq!(
            AppLayout::of(d, true).kind,
            Kind::Legacy,
            "APP= apps are legacy"
        );
    }

    #[test]
    fn libraries_v1_then_v2_sorted_and_their_sources() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        touch(&d.join(PROPERTIES));
        touch(&d.join("src/app.cpp"));
        touch(&d.join("lib/zeta/src/z.cpp"));
        touch(&d.join("lib/alpha/src/sub/a.c"));
        touch(&d.join("lib/alpha/examples/ex/ex.cpp"));
        touch(&d.join("lib/old/old.cpp"));
        touch(&d.join("lib/README.md"));
        let l = AppLayout::of(d, false);
        let names: Vec<(&str, LibKind)> = l
            .libraries
            .iter()
            .map(|l| (l.name.as_str(), l.kind))
            .collect();
        assert_eq!(
            names,
            [
                ("old", LibKind::V1),
                ("alpha", LibKind::V2),
                ("zeta", LibKind::V2)
            ]
        );
        let rel: Vec<PathBuf> = l
            .discover()
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(d).unwrap().to_path_buf())
            .collect();
        assert_eq!(
            rel,
            [
                "src/app.cpp",
                "lib/old/old.cpp",
                "lib/alpha/src/sub/a.c",
                "lib/zeta/src/z.cpp"
            ]
            .map(PathBuf::from)
        );
        assert_eq!(
            l.make_vars(),
            [format!("APPLIBSV1={}", d.join("lib/old").display())]
        );
        assert!(
            l.fingerprint_words(&l.discover().unwrap())
                .contains(&"lib README.md".to_string())
        );
    }
}
