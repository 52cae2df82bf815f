//! Test helpers: a private copy of the example tree, running pbuild and make in it, reading results.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const PBUILD: &str = env!("CARGO_BIN_EXE_pbuild");

/// The simulated libusb (`usbsim`), built next to pbuild from the current sources. `cargo test`
/// builds the workspace's binaries but not its cdylib, so the first test that needs it asks cargo
/// (once per test run).
pub fn usbsim() -> &'static Path {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let bin_dir = Path::new(PBUILD).parent().unwrap();
        let target = bin_dir.parent().unwrap();
        let mut cmd = Command::new(option_env!("CARGO").unwrap_or("cargo"));
        cmd.args(["build", "--quiet", "-p", "usbsim"])
            .env("CARGO_TARGET_DIR", target)
            .current_dir(repo());
        if bin_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let out = cmd.output().expect("cargo runs");
        assert!(
            out.status.success(),
            "building usbsim: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lib = bin_dir.join("libusbsim.so");
        assert!(lib.is_file(), "{} was not built", lib.display());
        lib
    })
}

/// The pbuild binary, with its content cache in the test build's temp dir rather than the user's
/// (a `Fixture` gives each test its own), and the simulated libusb built.
pub fn pbuild_command() -> Command {
    usbsim();
    let mut cmd = Command::new(PBUILD);
    cmd.env(
        "PBUILD_CACHE_DIR",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("pbuild-cache"),
    );
    cmd
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copy `src` to `dst` recursively, skipping build outputs.
pub fn copy_tree(src: &Path, dst: &Path) {
    for entry in walkdir::WalkDir::new(src).into_iter().filter_entry(|e| {
        let rel = e.path().strip_prefix(src).unwrap();
        !(rel.starts_with("build/target") || e.file_name() == "target")
    }) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(src).unwrap();
        let to = dst.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
}

/// A temp dir holding a copy of the example tree at `<tmp>/tree` (and room for more).
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub tree: PathBuf,
    /// A directory put first on PATH: a `make` wrapper that logs each call to `make.log`.
    pub bin: PathBuf,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("tree");
        copy_tree(&repo().join("examples/device-os-mini"), &tree);
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let real_make = which("make").expect("make on PATH");
        write_script(
            &bin.join("make"),
            &format!(
                "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}/make.log'\nexec '{}' \"$@\"\n",
                dir.path().display(),
                real_make.display()
            ),
        );
        Fixture { dir, tree, bin }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// This fixture's own content cache.
    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    pub fn target_dir(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    /// How many times make has been run by pbuild so far.
    pub fn make_calls(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("make.log"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    pub fn path_env(&self) -> String {
        format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    /// `pbuild --tree <tree> --target-dir <out> ARGS` in `cwd` (default: the temp dir).
    pub fn pbuild(&self, args: &[&str]) -> Run {
        self.pbuild_in(self.dir.path(), args)
    }

    /// pbuild on this fixture's tree and cache, writing to `target_dir`, in the fixture's dir
    /// (with the make wrapper first on PATH); add arguments, run it.
    pub fn command_at(&self, target_dir: &Path) -> Command {
        let mut cmd = pbuild_command();
        cmd.env("PBUILD_CACHE_DIR", self.cache_dir())
            .env("PATH", self.path_env())
            .env_remove("DEVICE_OS_PATH")
            .env_remove("PBUILD_TARGET_DIR")
            .arg("--tree")
            .arg(&self.tree)
            .arg("--target-dir")
            .arg(target_dir)
            .current_dir(self.path());
        cmd
    }

    pub fn pbuild_in(&self, cwd: &Path, args: &[&str]) -> Run {
        let mut cmd = pbuild_command();
        cmd.env("PBUILD_CACHE_DIR", self.cache_dir());
        cmd.arg("--tree")
            .arg(&self.tree)
            .arg("--target-dir")
            .arg(self.target_dir());
        cmd.args(args).current_dir(cwd).env("PATH", self.path_env());
        cmd.env_remove("DEVICE_OS_PATH")
            .env_remove("PBUILD_TARGET_DIR");
        Run::of(cmd.output().unwrap())
    }

    /// Run the tree's own make (serially) in `dir` relative to the tree.
    pub fn make(&self, dir: &str, args: &[&str]) -> Output {
        let out = Command::new("make")
            .arg("-C")
            .arg(self.tree.join(dir))
            .args(args)
            .env_remove("MAKEFLAGS")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "make {dir} {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

pub fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

pub fn write_script(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn of(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "pbuild failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn fails(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// JSON lines on stdout.
    pub fn json(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
            .collect()
    }

    pub fn finished(&self) -> serde_json::Value {
        self.json()
            .into_iter()
            .find(|v| v["reason"] == "build-finished")
            .unwrap_or_else(|| panic!("no build-finished line:\n{}\n{}", self.stdout, self.stderr))
    }

    pub fn steps_run(&self) -> u64 {
        self.finished()["steps_run"].as_u64().unwrap()
    }

    /// `module → bin path` from the artifact lines.
    pub fn artifacts(&self) -> Vec<(String, PathBuf)> {
        self.json()
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

    /// Labels of the steps that ran, from `--explain` lines: `explain: LABEL: reason`.
    pub fn explained(&self) -> Vec<String> {
        self.stderr
            .lines()
            .filter_map(|l| l.strip_prefix("explain: "))
            .map(|l| l.split_once(": ").map_or(l, |(label, _)| label).to_string())
            .collect()
    }
}

impl Run {
    pub fn of_output(o: Output) -> Run {
        Run::of(o)
    }

    /// The command exited 0.
    pub fn success(&self) -> bool {
        self.code == 0
    }

    pub fn of_command(cmd: &mut Command) -> Run {
        Run::of(cmd.output().unwrap())
    }
}
