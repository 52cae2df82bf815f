//! Opt-in checks on a real Device OS checkout (issue 16 item 1): for each platform, `modules` and
//! `main` byte-identical to that tree's serial `make clean all`, a no-op runs nothing, and a comment
//! appended to one system source reruns exactly its compiles and what depends on them.
//!
//! ```text
//! DEVICE_OS_PATH=~/device-os cargo test --test cli real_tree -- --ignored --nocapture
//! PBUILD_REAL_PLATFORMS=electron   (default: photon,p1,electron)   PBUILD_REAL_APP=tinker (default)
//! ```
//! The tree's own `build/target` is used by make (as `bench/run.sh` does); pbuild writes to a
//! temporary directory. `main` is checked first. When make itself cannot build `modules` with
//! this compiler (a module that outgrows its slot with a newer gcc), pbuild must fail with the
//! same error.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::build::assert_same_as_make;
use crate::support::{PBUILD, Run};

/// A system source every Gen 2 `modules` build compiles, in each module that links wiring.
const EDITED: &str = "wiring/src/spark_wiring_string.cpp";

struct Real {
    tree: PathBuf,
    app: String,
    out: tempfile::TempDir,
}

impl Real {
    fn pbuild(&self, platform: &str, extra: &[&str], args: &[&str]) -> Run {
        let mut cmd = Command::new(PBUILD);
        cmd.arg("--tree")
            .arg(&self.tree)
            .args(["--platform", platform, "--app", &self.app, "--target-dir"])
            .arg(self.out.path())
            .args(extra)
            .args(args)
            .env("PBUILD_CACHE", "0");
        Run::of_command(&mut cmd)
    }

    fn make(&self, dir: &str, platform: &str, vars: &[&str]) -> Run {
        let mut cmd = Command::new("make");
        cmd.arg("-s")
            .arg("-C")
            .arg(self.tree.join(dir))
            .arg(format!("PLATFORM={platform}"))
            .arg(format!("APP={}", self.app))
            .args(vars)
            .args(["clean", "all"]);
        Run::of_command(&mut cmd)
    }
}

/// make's outputs for one platform: a copy of each `.bin` below the tree's `build/target` whose
/// path names `platform-<id>-` (the tree keeps other platforms' outputs beside them).
fn make_outputs(real: &Real, platform: &str) -> tempfile::TempDir {
    let id = match platform {
        "photon" => 6,
        "p1" => 8,
        "electron" => 10,
        other => panic!("not a Gen 2 platform: {other}"),
    };
    let mark = format!("platform-{id}-");
    let dir = tempfile::tempdir().unwrap();
    let found = crate::build::files_with_ext(&real.tree.join("build/target"), "bin");
    for (i, bin) in found
        .iter()
        .filter(|b| b.to_string_lossy().contains(&mark))
        .enumerate()
    {
        std::fs::copy(
            bin,
            dir.path().join(format!(
                "{i}-{}",
                bin.file_name().unwrap().to_string_lossy()
            )),
        )
        .unwrap();
    }
    dir
}

/// Puts a file's bytes and time back when dropped, also when the test fails.
struct Restore {
    path: PathBuf,
    bytes: Vec<u8>,
    time: std::time::SystemTime,
}

impl Drop for Restore {
    fn drop(&mut self) {
        std::fs::write(&self.path, &self.bytes).unwrap();
        let f = std::fs::File::options()
            .write(true)
            .open(&self.path)
            .unwrap();
        f.set_modified(self.time).unwrap();
    }
}

fn check_platform(real: &Real, platform: &str) {
    eprintln!("== {platform} ({})", real.tree.display());
    let modules = ["--message-format", "json", "build", "--target", "modules"];
    let mut extra: Vec<&str> = Vec::new();
    let mut first = real.pbuild(platform, &extra, &[&modules[..], &["-j", "2"]].concat());
    // A tree whose arm-tools.mk compares gcc versions as text: pbuild says so; take its way through,
    // and give make the same variables (`config::compiler::TEXT_CHECK_VARS`).
    let mut vars: Vec<&str> = Vec::new();
    if !first.success() && first.stdout.contains("--numeric-gcc-check") {
        extra.push("--numeric-gcc-check");
        vars.extend(["expected_version=0", "NANO_SUFFIX="]);
        first = real.pbuild(platform, &extra, &[&modules[..], &["-j", "2"]].concat());
    }
    let main = real.pbuild(
        platform,
        &extra,
        &["--message-format", "json", "build", "--target", "main"],
    );
    assert!(main.success(), "{}", main.stderr);
    let made = real.make("main", platform, &vars);
    assert!(made.success(), "make main failed:\n{}", made.stderr);
    assert_same_as_make(&main.artifacts(), make_outputs(real, platform).path());
    eprintln!("   main: identical to make's `clean all`");
    let made = real.make("modules", platform, &vars);
    if !made.success() {
        // make cannot build it with this compiler either (a module outgrows its slot, a newer
        // newlib wants syscalls an old tree lacks): pbuild must fail too, with make's first
        // linker or compiler error among what it says.
        let said = format!("{}{}", first.stdout, first.stderr);
        assert!(
            !first.success(),
            "make failed but pbuild built {platform}:\n{}",
            made.stderr
        );
        let first_error = made
            .stderr
            .lines()
            .map(str::trim)
            .find(|l| {
                l.contains("undefined reference")
                    || l.contains("overflowed")
                    || l.contains("error:")
            })
            .unwrap_or_else(|| panic!("make failed without an error line:\n{}", made.stderr));
        assert!(
            said.contains(first_error),
            "make failed with `{first_error}`, pbuild with something else:\n{said}"
        );
        eprintln!("   modules: make and pbuild both fail with `{first_error}`");
        return;
    }
    assert!(
        first.success(),
        "pbuild failed where make built:\n{}",
        first.stderr
    );
    assert_same_as_make(&first.artifacts(), make_outputs(real, platform).path());
    eprintln!("   modules: identical to make's `clean all`");

    let again = real.pbuild(platform, &extra, &modules);
    assert!(again.success(), "{}", again.stderr);
    assert_eq!(again.steps_run(), 0, "a no-op ran steps: {}", again.stderr);

    let before: Vec<(PathBuf, Vec<u8>)> = first
        .artifacts()
        .into_iter()
        .map(|(_, b)| {
            let bytes = std::fs::read(&b).unwrap();
            (b, bytes)
        })
        .collect();
    let edited = real.tree.join(EDITED);
    let _restore = Restore {
        bytes: std::fs::read(&edited).unwrap(),
        time: std::fs::metadata(&edited).unwrap().modified().unwrap(),
        path: edited.clone(),
    };
    let mut text = std::fs::read(&edited).unwrap();
    text.extend_from_slice(b"// edited by pbuild's real-tree check\n");
    std::fs::write(&edited, text).unwrap();
    let rebuilt = real.pbuild(platform, &extra, &[&modules[..], &["--explain"]].concat());
    assert!(rebuilt.success(), "{}", rebuilt.stderr);
    let label = format!("CC {EDITED}");
    let mut compiles = 0;
    for line in rebuilt
        .stderr
        .lines()
        .filter(|l| l.starts_with("explain: "))
    {
        if line.starts_with(&format!("explain: {label}: ")) {
            assert!(line.contains("input changed"), "{line}");
            compiles += 1;
        } else {
            assert!(
                line.contains("input rebuilt by"),
                "a step that does not depend on the edit ran: {line}"
            );
        }
    }
    assert!(
        compiles > 0,
        "the edited source was not compiled:\n{}",
        rebuilt.stderr
    );
    for (bin, bytes) in &before {
        assert!(
            std::fs::read(bin).unwrap() == *bytes,
            "{}: a comment at the end of a source changed the binary",
            bin.display()
        );
    }
    eprintln!(
        "   no-op: 0 steps; comment edit: {compiles} compiles of {EDITED} and {} dependants, binaries unchanged",
        rebuilt.steps_run() - compiles
    );
}

#[test]
#[ignore = "needs a real Device OS tree: DEVICE_OS_PATH=… cargo test --test cli real_tree -- --ignored"]
fn a_real_tree_builds_like_make() {
    let tree = std::env::var_os("DEVICE_OS_PATH")
        .map(PathBuf::from)
        .filter(|t| Path::new(t).join("build/version.mk").is_file())
        .expect("DEVICE_OS_PATH must name a Device OS checkout (it has build/version.mk)");
    let real = Real {
        tree,
        app: std::env::var("PBUILD_REAL_APP").unwrap_or_else(|_| "tinker".into()),
        out: tempfile::tempdir().unwrap(),
    };
    let platforms =
        std::env::var("PBUILD_REAL_PLATFORMS").unwrap_or_else(|_| "photon,p1,electron".into());
    for platform in platforms.split(',').filter(|p| !p.is_empty()) {
        check_platform(&real, platform);
    }
}
