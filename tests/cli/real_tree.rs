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
use crate::support::PBUILD;

/// A system source every Gen 2 `modules` build compiles, in each module that links wiring.
const EDITED: &str = "wiring/src/spark_wiring_string.cpp";

struct Real {
    tree: PathBuf,
    app: String,
    out: tempfile::TempDir,
}

struct Output {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Output {
    let o = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    Output {
        ok: o.status.success(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

impl Real {
    fn pbuild(&self, platform: &str, extra: &[&str], args: &[&str]) -> Output {
        let mut cmd = Command::new(PBUILD);
        cmd.arg("--tree")
            .arg(&self.tree)
            .args(["--platform", platform, "--app", &self.app, "--target-dir"])
            .arg(self.out.path())
            .args(extra)
            .args(args)
            .env("PBUILD_CACHE", "0");
        run(&mut cmd)
    }

    fn make(&self, dir: &str, platform: &str, vars: &[&str]) -> Output {
        let mut cmd = Command::new("make");
        cmd.arg("-s")
            .arg("-C")
            .arg(self.tree.join(dir))
            .arg(format!("PLATFORM={platform}"))
            .arg(format!("APP={}", self.app))
            .args(vars)
            .args(["clean", "all"]);
        run(&mut cmd)
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

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    o.stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn artifacts(o: &Output) -> Vec<(String, PathBuf)> {
    json_lines(o)
        .into_iter()
        .filter(|v| v["reason"] == "artifact")
        .map(|v| {
            (
                v["module"].as_str().unwrap().to_string(),
                PathBuf::from(v["bin"].as_str().unwrap()),
            )
        })
        .collect()
}

fn steps_run(o: &Output) -> u64 {
    json_lines(o)
        .into_iter()
        .find(|v| v["reason"] == "build-finished")
        .and_then(|v| v["steps_run"].as_u64())
        .unwrap_or_else(|| panic!("no build-finished line:\n{}\n{}", o.stdout, o.stderr))
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
    if !first.ok && first.stdout.contains("--numeric-gcc-check") {
        extra.push("--numeric-gcc-check");
        vars.extend(["expected_version=0", "NANO_SUFFIX="]);
        first = real.pbuild(platform, &extra, &[&modules[..], &["-j", "2"]].concat());
    }
    let main = real.pbuild(
        platform,
        &extra,
        &["--message-format", "json", "build", "--target", "main"],
    );
    assert!(main.ok, "{}", main.stderr);
    let made = real.make("main", platform, &vars);
    assert!(made.ok, "make main failed:\n{}", made.stderr);
    assert_same_as_make(&artifacts(&main), make_outputs(real, platform).path());
    eprintln!("   main: identical to make's `clean all`");
    let made = real.make("modules", platform, &vars);
    if !made.ok {
        // make cannot build it with this compiler either (a module outgrows its slot, a newer
        // newlib wants syscalls an old tree lacks): pbuild must fail too, with make's first
        // linker or compiler error among what it says.
        let said = format!("{}{}", first.stdout, first.stderr);
        assert!(
            !first.ok,
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
        first.ok,
        "pbuild failed where make built:\n{}",
        first.stderr
    );
    assert_same_as_make(&artifacts(&first), make_outputs(real, platform).path());
    eprintln!("   modules: identical to make's `clean all`");

    let again = real.pbuild(platform, &extra, &modules);
    assert!(again.ok, "{}", again.stderr);
    assert_eq!(steps_run(&again), 0, "a no-op ran steps: {}", again.stderr);

    let before: Vec<(PathBuf, Vec<u8>)> = artifacts(&first)
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
    assert!(rebuilt.ok, "{}", rebuilt.stderr);
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
        steps_run(&rebuilt) - compiles
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
