//! The corpus of bad inputs in `tests/bad-inputs/`: each directory is a case, `case.toml` says how
//! pbuild is run on it and what it must say. Every case must end with the expected exit code and
//! messages, never a panic, and with every file of the case still there, byte for byte.
//!
//! `case.toml`:
//! ```text
//! args = [...]        pbuild's arguments; {work} is the case's copy, {tree} the example tree's
//!                     copy, {target} the mounted target dir
//! exit = N            the exit code
//! stderr = [...]      text that must appear on stderr
//! absent = [...]      files that must not exist afterwards (relative to {work} unless absolute)
//! cwd = "..."         where pbuild runs (default {work})
//! tree = true | "dir name"   a copy of examples/device-os-mini ({tree})
//! copy = [[from, to]] files copied to other names (names git should not carry); a `from` of
//!                     `repo:PATH` is a file of the repository (the example app, say)
//! setup = [[...]]     pbuild runs before the case (each must succeed)
//! toolchain = "crash" GCC_ARM_PATH: a gcc that dies of SIGSEGV on every compile
//! mount = "full" | "readonly"   {target} is a 64 KiB tmpfs, or a read-only one (needs root)
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::support::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    args: Vec<String>,
    exit: i32,
    #[serde(default)]
    stderr: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
    cwd: Option<String>,
    tree: Option<toml::Value>,
    #[serde(default)]
    copy: Vec<(String, String)>,
    #[serde(default)]
    setup: Vec<Vec<String>>,
    toolchain: Option<String>,
    mount: Option<String>,
}

/// A tmpfs mounted for one case, unmounted when the case ends (pass or fail).
struct Mount(PathBuf);

impl Mount {
    fn new(at: &Path, kind: &str) -> Mount {
        std::fs::create_dir_all(at).unwrap();
        let ok = |c: &mut Command| c.status().is_ok_and(|s| s.success());
        assert!(
            ok(Command::new("mount")
                .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
                .arg(at)),
            "the {kind} case mounts a tmpfs: it needs root (CI runs as root)"
        );
        let m = Mount(at.to_path_buf());
        if kind == "readonly" {
            assert!(ok(Command::new("mount").args(["-o", "remount,ro"]).arg(at)));
        }
        m
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().to_path_buf(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// A GCC_ARM_PATH whose gcc dies of SIGSEGV when it compiles, and runs the real one otherwise.
fn crashing_toolchain(dir: &Path) -> PathBuf {
    let tc = dir.join("crash-toolchain");
    std::fs::create_dir_all(&tc).unwrap();
    let gcc = which("arm-none-eabi-gcc").unwrap();
    write_script(
        &tc.join("arm-none-eabi-gcc"),
        &format!(
            "#!/bin/sh\nfor a; do [ \"$a\" = -c ] && kill -SEGV $$; done\nexec '{}' \"$@\"\n",
            gcc.display()
        ),
    );
    tc
}

fn run_case(name: &str, dir: &Path) -> Result<(), String> {
    let case: Case = toml::from_str(&std::fs::read_to_string(dir.join("case.toml")).unwrap())
        .map_err(|e| format!("case.toml: {e}"))?;
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    copy_tree(dir, &work);
    for (from, to) in &case.copy {
        let to = work.join(to);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        let from = match from.strip_prefix("repo:") {
            Some(p) => repo().join(p),
            None => work.join(from),
        };
        std::fs::copy(from, to).unwrap();
    }
    let before = files(&work);
    let tree = match &case.tree {
        None | Some(toml::Value::Boolean(false)) => tmp.path().join("no-tree"),
        Some(toml::Value::String(name)) => tmp.path().join(name),
        Some(_) => tmp.path().join("tree"),
    };
    if case.tree.is_some() {
        copy_tree(&repo().join("examples/device-os-mini"), &tree);
    }
    let target = tmp.path().join("mnt");
    let _mount = case.mount.as_deref().map(|kind| Mount::new(&target, kind));
    let fill = |s: &str| {
        s.replace("{work}", &work.display().to_string())
            .replace("{tree}", &tree.display().to_string())
            .replace("{target}", &target.display().to_string())
    };
    let pbuild = |args: &[String]| {
        let mut cmd = pbuild_command();
        cmd.env("PBUILD_CACHE_DIR", tmp.path().join("cache"))
            .env_remove("DEVICE_OS_PATH")
            .env_remove("PBUILD_TARGET_DIR")
            .env_remove("GCC_ARM_PATH")
            .current_dir(
                case.cwd
                    .as_deref()
                    .map(fill)
                    .unwrap_or(work.display().to_string()),
            )
            .args(args.iter().map(|a| fill(a)));
        if case.toolchain.as_deref() == Some("crash") {
            cmd.env(
                "GCC_ARM_PATH",
                format!("{}/", crashing_toolchain(tmp.path()).display()),
            );
        }
        Run::of_command(&mut cmd)
    };
    for s in &case.setup {
        let r = pbuild(s);
        if r.code != 0 {
            return Err(format!("setup {s:?} failed:\n{}", r.stderr));
        }
    }
    let r = pbuild(&case.args);
    let mut wrong = Vec::new();
    if r.code != case.exit {
        wrong.push(format!("exit {} (expected {})", r.code, case.exit));
    }
    if r.stderr.contains("panicked") {
        wrong.push("pbuild panicked".into());
    }
    for want in &case.stderr {
        let want = fill(want);
        if !r.stderr.contains(&want) {
            wrong.push(format!("no `{want}` on stderr"));
        }
    }
    for gone in &case.absent {
        let p = PathBuf::from(fill(gone));
        let p = if p.is_absolute() { p } else { work.join(p) };
        if p.exists() {
            wrong.push(format!("{} exists", p.display()));
        }
    }
    let after: Vec<(PathBuf, Vec<u8>)> = files(&work)
        .into_iter()
        .filter(|(p, _)| before.iter().any(|(q, _)| q == p))
        .collect();
    if after != before {
        wrong.push("a file of the case was removed or changed".into());
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{name}: {}\nstderr:\n{}",
            wrong.join("; "),
            r.stderr
        ))
    }
}

#[test]
fn every_bad_input_gets_a_clear_error_and_loses_nothing() {
    let root = repo().join("tests/bad-inputs");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.toml").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "only {} cases", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| run_case(&c.file_name().unwrap().to_string_lossy(), c).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
