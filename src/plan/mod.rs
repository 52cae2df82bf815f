//! The plan: every step of a target, imported once from the tree's makefiles and cached per fingerprint.
//!
//! A plan holds steps in the order a serial make would run them, with each output already mapped into
//! pbuild's own build directory. App sources are not frozen into it: the app's compiles are kept as
//! templates, so a plan serves any set of files in the app directory (see `app`).

pub mod expand;
pub mod import;
pub mod shell;
pub mod store;
pub mod template;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Bumped whenever the plan format or the import logic changes, so old cached plans are re-imported.
/// 5: plans list the directories their tree sources were found in (`source_dirs`).
/// 6: and the makefiles make read (`makefiles_read`).
pub const PLAN_VERSION: u32 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepKind {
    Compile,
    Archive,
    Link,
    /// ELF → module `.bin` (+ `.dfu`, + a copy of the ELF), done natively.
    Image,
    /// `.ino` → `.cpp` (the wiring preprocessor, `ino`), done natively.
    Sketch,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PlanStep {
    pub kind: StepKind,
    pub cwd: PathBuf,
    /// The command; for `Image`, empty.
    pub argv: Vec<String>,
    /// Files read, known before the step runs (more come from the depfile).
    pub inputs: Vec<PathBuf>,
    /// Files written; the first is the one the step is named after.
    pub outputs: Vec<PathBuf>,
    pub depfile: Option<PathBuf>,
    pub label: String,
    /// True when `argv` holds the `{app_objs}` placeholder: the app's objects go there, in app order.
    #[serde(default)]
    pub takes_app_objects: bool,
    #[serde(default)]
    pub image: Option<ImageSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ImageSpec {
    /// `system-part1`, `user-part`, … (the module's directory name in the tree).
    pub module: String,
    pub elf: PathBuf,
    pub bin: PathBuf,
    pub dfu: PathBuf,
    pub elf_copy: PathBuf,
    pub vid: u16,
    pub pid: u16,
}

/// How the app's sources enter the plan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum AppMode {
    /// No app involved (or the makefiles chose one pbuild does not manage).
    None,
    /// Compiles are templates per extension; any set of app sources can be instantiated.
    Templated(template::AppTemplate),
    /// The app's steps could not be turned into templates; the plan is valid only for exactly these sources.
    Fixed { sources: Vec<PathBuf> },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub version: u32,
    pub fingerprint: String,
    pub steps: Vec<PlanStep>,
    /// Where the app's compiles go in `steps` (templated mode).
    pub app_compiles_at: Option<usize>,
    pub app: AppMode,
    /// Commands from the dry run that pbuild does not run (echo, mkdir, the shell `.bin` recipe, …).
    pub ignored: Vec<String>,
    /// Compile commands make listed in the dry run vs distinct ones kept.
    pub compiles_listed: usize,
    /// Where the tree's sources were found: Device OS lists them by wildcard
    /// (`$(call target_files,src/,*.cpp)`), so a file added to or removed from one of these
    /// directories changes what make builds, with no makefile changed. The plan holds for the
    /// listings it was imported with (`SourceDir::holds`).
    #[serde(default)]
    pub source_dirs: Vec<SourceDir>,
    /// Every makefile the dry run's makes read (`import::split_makefile_list`); `None` when that
    /// could not be told for sure. An edit to a makefile none of them read cannot change the plan.
    #[serde(default)]
    pub makefiles_read: Option<Vec<PathBuf>>,
}

/// A directory of the tree whose listing a plan depends on, as it was at import.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SourceDir {
    pub path: PathBuf,
    pub mtime_ns: i64,
    /// xxh3 of the sorted entry names.
    pub listing: u64,
}

impl SourceDir {
    /// The directories holding a compiled source of the tree (not the app's, not an output)
    /// and every directory below them (make's `rwildcard` descends), as they are now.
    pub fn of_sources<'a>(
        sources: impl Iterator<Item = &'a std::path::Path>,
        tree_root: &std::path::Path,
        outside: &[&std::path::Path],
    ) -> Vec<SourceDir> {
        let mut tops: Vec<PathBuf> = sources
            .filter(|s| s.starts_with(tree_root) && !outside.iter().any(|o| s.starts_with(o)))
            .filter_map(|s| s.parent().map(PathBuf::from))
            .collect();
        tops.sort();
        tops.dedup();
        let mut dirs: Vec<PathBuf> = Vec::new();
        for top in &tops {
            if dirs.last().is_some_and(|d| top.starts_with(d)) {
                continue; // below a directory already walked
            }
            dirs.extend(
                walkdir::WalkDir::new(top)
                    .follow_links(true)
                    .into_iter()
                    .filter_map(|e| e.ok())
                    .filter(|e| e.file_type().is_dir())
                    .map(|e| e.into_path())
                    .filter(|d| !outside.iter().any(|o| d.starts_with(o))),
            );
        }
        dirs.sort();
        dirs.dedup();
        dirs.into_iter()
            .filter_map(|path| {
                let listing = listing(&path)?;
                let mtime_ns = crate::fsutil::Stamp::of(&path).mtime_ns;
                Some(SourceDir {
                    path,
                    mtime_ns,
                    listing,
                })
            })
            .collect()
    }

    /// Whether the directory still lists what it did: the same time, or else the same names.
    /// Returns the stamp seen now as well.
    pub fn holds(&self) -> (bool, crate::fsutil::Stamp) {
        let now = crate::fsutil::Stamp::of(&self.path);
        let same = now.mtime_ns == self.mtime_ns || listing(&self.path) == Some(self.listing);
        (same, now)
    }
}

/// What make's source wildcards can match: files with these extensions, and directories.
const SOURCE_EXTENSIONS: &[&str] = &["c", "cc", "cpp", "cxx", "s", "S", "asm"];

/// xxh3 of the sorted names of a directory's subdirectories and source files (an editor's temp
/// file or a new header does not change what make compiles); `None` if it cannot be read.
fn listing(dir: &std::path::Path) -> Option<u64> {
    let mut names: Vec<std::ffi::OsString> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| {
            let p = e.path();
            p.is_dir()
                || p.extension()
                    .is_some_and(|x| SOURCE_EXTENSIONS.iter().any(|s| x == *s))
        })
        .map(|e| e.file_name())
        .collect();
    names.sort();
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for n in &names {
        h.update(n.as_encoded_bytes());
        h.update(b"\0");
    }
    Some(h.digest())
}

impl PlanStep {
    /// The step as the engine sees it; what only this plan knows (the kind, an image's
    /// description) goes into the salt, so a change of it reruns the step.
    pub fn spec(&self) -> crate::work::StepSpec {
        crate::work::StepSpec {
            label: self.label.clone(),
            cwd: self.cwd.clone(),
            argv: self.argv.clone(),
            inputs: self.inputs.clone(),
            outputs: self.outputs.clone(),
            depfile: self.depfile.clone(),
            salt: match &self.image {
                Some(img) => format!("{:?} {img:?}", self.kind),
                None => format!("{:?}", self.kind),
            },
        }
    }

    /// A step that runs a command (compile, archive, link); images are built with their `ImageSpec`.
    pub fn command(
        kind: StepKind,
        cwd: PathBuf,
        argv: Vec<String>,
        inputs: Vec<PathBuf>,
        outputs: Vec<PathBuf>,
        depfile: Option<PathBuf>,
        label: String,
    ) -> PlanStep {
        PlanStep {
            kind,
            cwd,
            argv,
            inputs,
            outputs,
            depfile,
            label,
            takes_app_objects: false,
            image: None,
        }
    }
}

#[cfg(test)]
mod source_dir_tests {
    use super::*;

    #[test]
    fn source_directories_hold_until_a_source_or_directory_is_added_or_removed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("tree");
        let src = root.join("hal/src/photon");
        std::fs::create_dir_all(src.join("deep")).unwrap();
        std::fs::create_dir_all(root.join("build/target/hal")).unwrap();
        std::fs::create_dir_all(root.join("app")).unwrap();
        std::fs::write(src.join("a.c"), "").unwrap();
        let sources = [
            src.join("a.c"),
            root.join("app/x.cpp"),
            root.join("build/target/hal/gen.c"),
            PathBuf::from("/elsewhere/y.c"),
        ];
        let outside = [root.join("build/target"), root.join("app")];
        let outside: Vec<&std::path::Path> = outside.iter().map(PathBuf::as_path).collect();
        let dirs = SourceDir::of_sources(sources.iter().map(PathBuf::as_path), &root, &outside);
        let names: Vec<&std::path::Path> = dirs.iter().map(|d| d.path.as_path()).collect();
        assert_eq!(names, [src.as_path(), src.join("deep").as_path()]);
        let holds = |dirs: &[SourceDir]| dirs.iter().all(|d| d.holds().0);
        assert!(holds(&dirs));

        // Not what a source wildcard matches: a header, an editor's temp file.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(src.join("a.h"), "").unwrap();
        std::fs::write(src.join("deep/.a.c.swp"), "").unwrap();
        assert!(holds(&dirs), "a header or a temp file changed the listing");
        // A source in a subdirectory, a new directory, a removed source.
        let changes: [&dyn Fn(); 3] = [
            &|| std::fs::write(src.join("deep/b.c"), "").unwrap(),
            &|| std::fs::create_dir(src.join("new")).unwrap(),
            &|| std::fs::remove_file(src.join("a.c")).unwrap(),
        ];
        for change in changes {
            let dirs = SourceDir::of_sources(
                [src.join("a.c")].iter().map(PathBuf::as_path),
                &root,
                &outside,
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
            change();
            assert!(!holds(&dirs), "a change of the sources was not seen");
        }
    }
}
