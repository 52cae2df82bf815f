//! `pbuild doctor`: one line per check, the fix under every ✗, exit 2 when `build` or `flash`
//! would fail; the same checks as JSON lines.

use std::path::{Path, PathBuf};

use crate::support::*;

/// A bin directory holding links to only the named tools from the current PATH.
fn bin_with(dir: &Path, tools: &[&str]) -> PathBuf {
    let bin = dir.join("bin-only");
    std::fs::create_dir_all(&bin).unwrap();
    for t in tools {
        let real = which(t).unwrap_or_else(|| panic!("{t} on PATH"));
        std::os::unix::fs::symlink(real, bin.join(t)).unwrap();
    }
    bin
}

/// A simulated photon in `<dir>/dev`, for a doctor that sees a device.
fn sim_device(dir: &Path) -> String {
    let dev = dir.join("dev");
    Run::of_command(
        pbuild_command()
            .args(["--platform", "photon", "sim", "create"])
            .arg(&dev),
    )
    .ok();
    format!("sim:{}", dev.display())
}

/// `pbuild --tree <example tree> doctor ARGS` with PATH and extra environment.
fn doctor(tree: &Path, path: &str, args: &[&str], envs: &[(&str, &str)]) -> Run {
    let mut cmd = pbuild_command();
    cmd.arg("--tree").arg(tree).arg("doctor").args(args);
    cmd.env("PATH", path);
    for v in [
        "DEVICE_OS_PATH",
        "PBUILD_DFU_UTIL",
        "GCC_ARM_PATH",
        "GCC_PREFIX",
        "MSYSTEM",
        "OSTYPE",
        "NO_COLOR",
    ] {
        cmd.env_remove(v);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    Run::of_command(&mut cmd)
}

fn example_tree() -> PathBuf {
    repo().join("examples/device-os-mini")
}

/// The line of check `name` and the lines under it (its fix).
fn check_block<'a>(stdout: &'a str, name: &str) -> Vec<&'a str> {
    let mut lines = stdout
        .lines()
        .skip_while(|l| l.split_whitespace().nth(1).is_none_or(|n| n != name));
    let Some(first) = lines.next() else {
        panic!("no `{name}` check in:\n{stdout}")
    };
    let mut block = vec![first];
    block.extend(lines.take_while(|l| l.starts_with(' ')));
    block
}

#[test]
fn a_missing_toolchain_and_dfu_util_are_crosses_with_the_fix_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = bin_with(tmp.path(), &["make"]);
    let r = doctor(&example_tree(), bin.to_str().unwrap(), &[], &[]).fails(2);

    let gcc = check_block(&r.stdout, "gcc");
    assert!(gcc[0].starts_with("✗ gcc"), "{}", r.stdout);
    assert!(
        gcc[0].contains("arm-none-eabi-gcc: not found on PATH"),
        "{}",
        r.stdout
    );
    assert!(
        gcc[1].contains("fix: sudo apt-get install gcc-arm-none-eabi"),
        "{}",
        r.stdout
    );
    let dfu = check_block(&r.stdout, "dfu-util");
    assert!(dfu[0].starts_with("✗ dfu-util"), "{}", r.stdout);
    assert!(
        dfu[1].contains("fix: sudo apt-get install dfu-util"),
        "{}",
        r.stdout
    );
    // What is there is still reported as fine.
    assert!(
        check_block(&r.stdout, "make")[0].starts_with("✓ make      GNU Make"),
        "{}",
        r.stdout
    );
    assert!(
        check_block(&r.stdout, "tree")[0].contains("Device OS 2.3.1"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains(
            "error: `pbuild build` and `pbuild flash` cannot work until the ✗ lines above are fixed"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn json_lines_carry_status_fix_and_what_is_blocked() {
    let tmp = tempfile::tempdir().unwrap();
    // The toolchain is here, dfu-util is not: only `flash` is blocked.
    let bin = bin_with(
        tmp.path(),
        &[
            "make",
            "arm-none-eabi-gcc",
            "arm-none-eabi-g++",
            "arm-none-eabi-gcc-ar",
            "arm-none-eabi-objcopy",
        ],
    );
    let r = doctor(
        &example_tree(),
        bin.to_str().unwrap(),
        &["--message-format", "json"],
        &[],
    )
    .fails(2);
    let lines = r.json();
    let check = |name: &str| {
        lines
            .iter()
            .find(|v| v["reason"] == "doctor-check" && v["name"] == name)
            .unwrap_or_else(|| panic!("no {name} check: {}", r.stdout))
            .clone()
    };
    assert_eq!(
        check("gcc")["status"],
        "warn",
        "gcc 12 is not Particle's 9.2.1"
    );
    let dfu = check("dfu-util");
    assert_eq!(dfu["status"], "fail");
    assert_eq!(dfu["blocks"], serde_json::json!(["flash"]));
    assert!(
        dfu["fix"]
            .as_str()
            .unwrap()
            .contains("apt-get install dfu-util"),
        "{dfu}"
    );
    // A missing udev rule is a warning: root can flash without it.
    let udev = check("udev");
    assert!(udev["status"] == "ok" || udev["status"] == "warn", "{udev}");
    let finished = lines
        .iter()
        .find(|v| v["reason"] == "doctor-finished")
        .unwrap();
    assert_eq!(finished["success"], false);
    assert_eq!(finished["blocked"], serde_json::json!(["flash"]));
    // Every stdout line is JSON; the last says why the command failed.
    assert_eq!(lines.len(), r.stdout.lines().count(), "{}", r.stdout);
    assert_eq!(lines.last().unwrap()["reason"], "error");
    assert_eq!(lines.last().unwrap()["exit_code"], 2);
}

#[test]
fn all_present_with_a_device_passes_and_warnings_do_not_fail() {
    let tmp = tempfile::tempdir().unwrap();
    let device = sim_device(tmp.path());
    let path = std::env::var("PATH").unwrap();
    let r = doctor(
        &example_tree(),
        &path,
        &["--device", &device],
        &[("MSYSTEM", "MINGW64")],
    )
    .ok();
    let gcc = check_block(&r.stdout, "gcc");
    // Debian's gcc 12 builds the tree, but Particle builds Device OS 2.3.1 with 9.2.1: a
    // warning, with where to get that one (issue 16 item 2).
    assert!(gcc[0].starts_with("! gcc"), "{}", r.stdout);
    // The minimum comes from toolchains.toml for the tree's Device OS 2.3.1.
    assert!(
        gcc[0].contains("Device OS 2.3.1 needs 9.2.1 or newer")
            && gcc[0].contains("Particle builds it with gcc 9.2.1"),
        "{}",
        gcc[0]
    );
    assert!(
        gcc[1].contains("~/.particle/toolchains/gcc-arm/9.2.1"),
        "{}",
        r.stdout
    );
    let devices = check_block(&r.stdout, "devices")[0];
    assert!(
        devices.starts_with("✓ devices")
            && devices.contains("photon")
            && devices.contains("2b04:c006, running"),
        "{}",
        r.stdout
    );
    let tree = check_block(&r.stdout, "tree")[0];
    assert!(tree.contains("photon (6), p1 (8), electron (10)"), "{tree}");
    let shell = check_block(&r.stdout, "shell");
    assert!(
        shell[0].starts_with("! shell") && shell[0].contains("MSYSTEM=MINGW64"),
        "{}",
        r.stdout
    );
    assert!(shell[1].contains("fix: "), "{}", r.stdout);
    assert!(!r.stdout.contains('✗'), "{}", r.stdout);
}

#[test]
fn a_toolchain_older_than_the_tree_needs_is_a_cross() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = bin_with(tmp.path(), &["make"]);
    write_script(
        &bin.join("arm-none-eabi-gcc"),
        "#!/bin/sh\ncase \"$1\" in\n  -dumpfullversion) echo 5.4.1 ;;\n  -print-file-name=*) echo /opt/gcc/nano.specs ;;\nesac\n",
    );
    let r = doctor(&example_tree(), bin.to_str().unwrap(), &[], &[]).fails(2);
    let gcc = check_block(&r.stdout, "gcc");
    assert!(
        gcc[0].contains("arm-none-eabi-gcc 5.4.1")
            && gcc[0].contains("too old: Device OS 2.3.1 needs 9.2.1 or newer"),
        "{}",
        r.stdout
    );
    assert!(
        gcc[0].starts_with('✗') && gcc[1].contains("fix: "),
        "{}",
        r.stdout
    );
}

#[test]
fn a_tree_path_with_a_space_is_a_cross() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("device os");
    copy_tree(&example_tree(), &tree);
    let path = std::env::var("PATH").unwrap();
    let r = doctor(&tree, &path, &[], &[]).fails(2);
    let paths = check_block(&r.stdout, "paths");
    assert!(
        paths[0].starts_with("✗ paths") && paths[0].contains("device os"),
        "{}",
        r.stdout
    );
}

#[test]
fn no_tree_is_a_cross_with_where_it_looked() {
    let tmp = tempfile::tempdir().unwrap();
    let path = std::env::var("PATH").unwrap();
    let mut cmd = pbuild_command();
    cmd.arg("doctor").current_dir(tmp.path()).env("PATH", path);
    cmd.env_remove("DEVICE_OS_PATH");
    let r = Run::of_command(&mut cmd).fails(2);
    let tree = check_block(&r.stdout, "tree");
    assert!(
        tree[0].starts_with("✗ tree") && tree[0].contains("no Device OS tree found"),
        "{}",
        r.stdout
    );
    assert!(tree[1].contains("--tree"), "{}", r.stdout);
}

/// Issue 15 item 10: doctor checks every tool a build will run, the launcher included.
#[test]
fn a_compiler_without_its_tools_and_a_missing_launcher_are_crosses() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = bin_with(tmp.path(), &["make", "arm-none-eabi-gcc", "dfu-util"]);
    let r = doctor(
        &example_tree(),
        bin.to_str().unwrap(),
        &["--launcher", "nosuchlauncher"],
        &[],
    )
    .fails(2);
    let tools = check_block(&r.stdout, "tools");
    assert!(
        tools[0].starts_with("✗ tools")
            && tools[0].contains(
                "arm-none-eabi-g++, arm-none-eabi-gcc-ar, arm-none-eabi-objcopy not found"
            ),
        "{}",
        r.stdout
    );
    let launcher = check_block(&r.stdout, "launcher");
    assert!(
        launcher[0].starts_with("✗ launcher") && launcher[0].contains("`nosuchlauncher`"),
        "{}",
        r.stdout
    );
}
