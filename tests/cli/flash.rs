//! `pbuild flash`, `device`, `inspect` and `sim`, end to end: the real pbuild and the real
//! dfu-util (`/usr/bin/dfu-util`, Debian 0.11) against simulated devices on the simulated USB
//! bus (`pbuild sim exec`, the `usbsim` libusb), with images from real builds of the example
//! tree (each platform built once per test run and shared).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use pbuild::config::Table;
use pbuild::device::preflight::{self, Image, Problem};
use pbuild::flash::{Connected, Dfu, Process};
use pbuild::image::ModuleFunction;
use pbuild::sim::{CreateOptions, SimDevice};

use crate::support::*;

/// One copy of the example tree and one target dir for every test in this file.
struct Shared {
    tree: PathBuf,
    out: PathBuf,
}

fn shared() -> &'static Shared {
    static S: OnceLock<Shared> = OnceLock::new();
    S.get_or_init(|| {
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("flash-shared-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let tree = base.join("tree");
        copy_tree(&repo().join("examples/device-os-mini"), &tree);
        Shared {
            tree,
            out: base.join("out"),
        }
    })
}

/// The example tree's copy every flash test builds from.
pub(crate) fn shared_tree() -> &'static Path {
    &shared().tree
}

/// The target dir every flash test shares.
pub(crate) fn shared_out() -> &'static Path {
    &shared().out
}

/// pbuild with the shared tree and target dir, in `cwd`, with extra environment.
pub(crate) fn pbuild(cwd: &Path, args: &[&str], envs: &[(&str, &str)]) -> Run {
    let s = shared();
    let mut cmd = pbuild_command();
    cmd.arg("--tree")
        .arg(&s.tree)
        .arg("--target-dir")
        .arg(&s.out);
    cmd.args(args).current_dir(cwd);
    cmd.env_remove("DEVICE_OS_PATH")
        .env_remove("PBUILD_TARGET_DIR")
        .env_remove("PBUILD_DFU_UTIL");
    cmd.env_remove("PBUILD_SIM_FAULT")
        .env_remove("PBUILD_SIM_DEVICES");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    Run::of_command(&mut cmd)
}

/// The real dfu-util with `devices` on the simulated bus (`pbuild sim exec`).
pub(crate) fn dfu_util(args: &[&str], devices: &[&Path]) -> Run {
    let mut cmd = pbuild_command();
    cmd.args(["sim", "exec"]);
    for d in devices {
        cmd.arg("--device").arg(d);
    }
    cmd.args(["--", "dfu-util"]).args(args);
    cmd.env_remove("PBUILD_SIM_FAULT")
        .env_remove("PBUILD_SIM_DEVICES");
    Run::of_command(&mut cmd)
}

/// Artifacts as (module, bin path).
pub(crate) type Artifacts = &'static [(String, PathBuf)];

/// The modules target of `platform` (system parts + blink), built once: module → bin.
pub(crate) fn modules(platform: &str) -> Artifacts {
    static BUILT: OnceLock<std::sync::Mutex<Vec<(String, Artifacts)>>> = OnceLock::new();
    let lock = BUILT.get_or_init(Default::default);
    let mut built = lock.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, a)) = built.iter().find(|(p, _)| p == platform) {
        return a;
    }
    let tmp = tempfile::tempdir().unwrap();
    let r = pbuild(
        tmp.path(),
        &[
            "--platform",
            platform,
            "--app",
            "blink",
            "--message-format",
            "json",
            "build",
            "--target",
            "modules",
        ],
        &[],
    )
    .ok();
    let artifacts: Artifacts = Box::leak(r.artifacts().into_boxed_slice());
    assert!(artifacts.len() >= 3, "{platform}: {artifacts:?}");
    built.push((platform.to_string(), artifacts));
    artifacts
}

/// A simulated device as plugged in: running what it has (normal mode).
pub(crate) fn sim(dir: &Path, platform: &str, system: u16, bootloader: Option<u16>) -> SimDevice {
    sim_in_mode(dir, platform, system, bootloader, false)
}

/// A simulated device waiting in DFU mode (MODE held at power-up).
pub(crate) fn sim_dfu(dir: &Path, platform: &str, system: u16) -> SimDevice {
    sim_in_mode(dir, platform, system, None, true)
}

fn sim_in_mode(
    dir: &Path,
    platform: &str,
    system: u16,
    bootloader: Option<u16>,
    dfu: bool,
) -> SimDevice {
    let t = Table::embedded();
    SimDevice::create(
        dir,
        &CreateOptions {
            bootloader_version: bootloader,
            dfu,
            ..CreateOptions::release(&t, t.find(platform).unwrap(), system)
        },
    )
    .unwrap()
}

pub(crate) fn flash_bytes(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join("flash.bin")).unwrap()
}

pub(crate) fn sim_status(dir: &Path) -> serde_json::Value {
    let r = pbuild(
        dir.parent().unwrap(),
        &["sim", "status", dir.to_str().unwrap(), "--json"],
        &[],
    )
    .ok();
    serde_json::from_str(r.stdout.trim()).unwrap()
}

fn with_article(platform: &str) -> String {
    match platform {
        "electron" => "an electron".into(),
        other => format!("a {other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The matrix: platform × (right, wrong platform) × (device system older, equal, newer) ×
// (good, corrupt CRC). Planned by preflight as `pbuild flash --system auto` does, written with the
// real dfu-util on the simulated bus, through the same driver code pbuild uses.

#[test]
fn matrix_never_leaves_a_device_in_safe_mode_or_factory_reset() {
    let platforms = ["photon", "p1", "electron"];
    let tmp = tempfile::tempdir().unwrap();
    let mut cases = 0;
    for (pi, device_platform) in platforms.iter().enumerate() {
        for wrong in [false, true] {
            let image_platform = if wrong {
                platforms[(pi + 1) % 3]
            } else {
                device_platform
            };
            let artifacts = modules(image_platform);
            for (age, system) in [("older", 2202u16), ("equal", 2302), ("newer", 3005)] {
                for corrupt in [false, true] {
                    cases += 1;
                    let name = format!(
                        "{device_platform}-{image_platform}-{age}-{}",
                        if corrupt { "corrupt" } else { "good" }
                    );
                    let dir = tmp.path().join(&name);
                    sim_dfu(&dir, device_platform, system);
                    let before = flash_bytes(&dir);

                    let mut all = Vec::new();
                    for (module, bin) in artifacts {
                        let mut bytes = std::fs::read(bin).unwrap();
                        if corrupt {
                            let mid = bytes.len() / 2;
                            bytes[mid] ^= 0x55;
                        }
                        let file = tmp.path().join(format!("{name}-{module}.bin"));
                        std::fs::write(&file, &bytes).unwrap();
                        all.push(Image::from_bytes(file, format!("{module}.bin"), &bytes));
                    }
                    let user: Vec<Image> = all
                        .iter()
                        .filter(|i| {
                            i.header()
                                .is_some_and(|h| h.function == ModuleFunction::UserPart)
                        })
                        .cloned()
                        .collect();
                    assert_eq!(user.len(), 1, "{name}: one user part among {:?}", artifacts);

                    let dev = SimDevice::open(&dir, &Table::embedded()).unwrap();
                    let installed = dev.installed();
                    let images = if preflight::system_update_needed(&installed, &user).is_empty() {
                        user
                    } else {
                        all
                    };
                    let plan = preflight::plan(&installed, &images);

                    if plan.refused(false) {
                        assert!(!plan.problems.is_empty());
                        let text: Vec<String> =
                            plan.problems.iter().map(|p| p.to_string()).collect();
                        if wrong {
                            assert!(
                                plan.problems
                                    .iter()
                                    .any(|p| matches!(p, Problem::WrongPlatform { .. })),
                                "{name}: {text:?}"
                            );
                            assert!(
                                text.iter().any(|t| t.contains(&format!(
                                    "but the device is {}",
                                    with_article(device_platform)
                                ))),
                                "{name}: {text:?}"
                            );
                        }
                        if corrupt {
                            assert!(
                                plan.problems
                                    .iter()
                                    .any(|p| matches!(p, Problem::BadCrc { .. })),
                                "{name}: {text:?}"
                            );
                        }
                        assert_eq!(
                            flash_bytes(&dir),
                            before,
                            "{name}: refused, device must be unchanged"
                        );
                        continue;
                    }
                    assert!(
                        !wrong && !corrupt,
                        "{name}: must be refused, plan {:?}",
                        plan.writes
                    );
                    // The real dfu-util on the simulated bus, driven by pbuild's own code.
                    let table = Table::embedded();
                    usbsim();
                    let bus = pbuild::sim::exec::OnBus::start(std::slice::from_ref(&dir), &table)
                        .unwrap();
                    let tool = Process {
                        exe: PathBuf::from("dfu-util"),
                        envs: bus
                            .env
                            .iter()
                            .map(|(k, v)| (k.to_string_lossy().into_owned(), v.clone()))
                            .collect(),
                    };
                    let mut ignore = |_: pbuild::flash::Event<'_>| {};
                    let mut dfu = Dfu {
                        tool: &tool,
                        on_event: &mut ignore,
                    };
                    let listing = dfu.list(&table).unwrap();
                    let d = pbuild::flash::select(&listing, None).unwrap().clone();
                    pbuild::flash::deploy::execute(
                        &mut Connected {
                            dfu: &mut dfu,
                            dev: &d,
                            table: &table,
                        },
                        &plan,
                        &installed,
                        &images,
                        None,
                        &mut |_| {},
                    )
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                    let status = sim_status(&dir);
                    assert_eq!(status["state"], "running-user-app", "{name}: {status}");
                    assert_eq!(
                        status["boots"].as_array().unwrap().len(),
                        1,
                        "{name}: one reset, after the last image"
                    );
                    let expect_system = age == "older";
                    assert_eq!(
                        plan.writes.len(),
                        if expect_system { artifacts.len() } else { 1 },
                        "{name}: {:?}",
                        plan.writes
                    );
                    assert!(
                        plan.writes.last().unwrap().leave
                            && plan.writes.iter().filter(|w| w.leave).count() == 1
                    );
                }
            }
        }
    }
    assert_eq!(cases, 36);
}

// ---------------------------------------------------------------------------------------------
// pbuild flash through the CLI

#[test]
fn flash_updates_an_old_system_first_then_skips_unchanged_parts() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = tmp.path().join("dev");
    pbuild(
        tmp.path(),
        &[
            "--platform",
            "photon",
            "sim",
            "create",
            "dev",
            "--system-version",
            "2202",
        ],
        &[],
    )
    .ok();
    assert_eq!(sim_status(&dev)["state"], "running-user-app");

    let dry = pbuild(
        tmp.path(),
        &[
            "--platform",
            "photon",
            "--app",
            "blink",
            "flash",
            "--device",
            "sim:dev",
            "--dry-run",
        ],
        &[],
    )
    .ok();
    assert!(
        dry.stderr
            .contains("system part 2 is 2202, blink.bin needs 2302"),
        "{}",
        dry.stderr
    );
    assert!(
        dry.stderr.contains("Dry run: nothing was written"),
        "{}",
        dry.stderr
    );
    // Put in DFU mode to be read, nothing written, sent back to its app: one reset, same flash.
    let s = sim_status(&dev);
    assert_eq!(s["boots"].as_array().unwrap().len(), 1, "{s}");
    assert_eq!(s["state"], "running-user-app");
    assert_eq!(std::fs::read_to_string(dev.join("mode")).unwrap(), "normal");

    let r = pbuild(
        tmp.path(),
        &[
            "--platform",
            "photon",
            "--app",
            "blink",
            "flash",
            "--device",
            "sim:dev",
        ],
        &[],
    )
    .ok();
    let order: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("Flashing ["))
        .collect();
    assert_eq!(order.len(), 3, "{}", r.stderr);
    // System parts by address, the app last (issue 12: the order from the real rules).
    assert!(
        order[0].contains("system part 1")
            && order[1].contains("system part 2")
            && order[2].contains("user part"),
        "{order:?}"
    );
    assert!(
        order[2].ends_with("then reset") && !order[0].contains("reset"),
        "{order:?}"
    );
    // A current bootloader answers the leave request before it resets: dfu-util ends cleanly.
    assert!(!r.stderr.contains("Error during download"), "{}", r.stderr);
    assert!(!r.stderr.contains("error:"), "{}", r.stderr);
    let s = sim_status(&dev);
    assert_eq!(s["state"], "running-user-app", "{s}");
    let part2 = s["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["slot"] == "system part 2")
        .unwrap()
        .clone();
    assert_eq!(part2["module"]["version"], 2302);

    // A bootloader that resets inside the leave request (before Device OS 0.4.5) makes dfu-util
    // end with "Error during download get_status" after the success line: not a failure.
    std::fs::write(dev.join("fault"), "leave-resets-at-once\n").unwrap();
    let again = pbuild(
        tmp.path(),
        &[
            "--platform",
            "photon",
            "--app",
            "blink",
            "flash",
            "--device",
            "sim:dev",
            "--target",
            "modules",
        ],
        &[],
    )
    .ok();
    assert_eq!(
        again.stderr.matches("(same version and CRC)").count(),
        2,
        "{}",
        again.stderr
    );
    assert_eq!(
        again.stderr.matches("Flashing [").count(),
        1,
        "{}",
        again.stderr
    );
    assert!(
        again
            .stderr
            .contains("is the device resetting, as asked: not an error"),
        "{}",
        again.stderr
    );
    assert_eq!(sim_status(&dev)["state"], "running-user-app");
}

#[test]
fn system_never_refuses_and_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = tmp.path().join("dev");
    pbuild(
        tmp.path(),
        &[
            "--platform",
            "p1",
            "sim",
            "create",
            "dev",
            "--system-version",
            "2202",
        ],
        &[],
    )
    .ok();
    let before = flash_bytes(&dev);
    let r = pbuild(
        tmp.path(),
        &[
            "--platform",
            "p1",
            "--app",
            "blink",
            "flash",
            "--device",
            "sim:dev",
            "--system",
            "never",
        ],
        &[],
    )
    .fails(3);
    assert!(
        r.stderr.contains("safe-mode (breathing magenta)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("the user app needs system part 2 >= 2302, the device has 2202"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--system auto"), "{}", r.stderr);
    assert_eq!(flash_bytes(&dev), before);
}

#[test]
fn a_device_of_another_platform_is_refused_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = tmp.path().join("dev");
    pbuild(
        tmp.path(),
        &["--platform", "photon", "sim", "create", "dev"],
        &[],
    )
    .ok();
    let before = flash_bytes(&dev);
    let r = pbuild(
        tmp.path(),
        &[
            "--platform",
            "p1",
            "--app",
            "blink",
            "flash",
            "--device",
            "sim:dev",
        ],
        &[],
    )
    .fails(3);
    assert!(
        r.stderr
            .contains("the build is for p1 (8) but the device in DFU mode is a photon (6"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--platform photon"), "{}", r.stderr);
    assert_eq!(flash_bytes(&dev), before);

    let forced = pbuild(
        tmp.path(),
        &[
            "--platform",
            "p1",
            "--app",
            "blink",
            "flash",
            "--device",
            "sim:dev",
            "--force",
        ],
        &[],
    )
    .ok();
    assert!(
        forced
            .stderr
            .contains("is built for p1 (8) but the device is a photon (6)"),
        "{}",
        forced.stderr
    );
    let s = sim_status(&dev);
    assert_eq!(s["state"], "factory-reset", "--force really flashes: {s}");
}

#[test]
fn no_platform_given_uses_the_devices() {
    let tmp = tempfile::tempdir().unwrap();
    pbuild(
        tmp.path(),
        &["--platform", "electron", "sim", "create", "dev"],
        &[],
    )
    .ok();
    let r = pbuild(
        tmp.path(),
        &["--app", "blink", "flash", "--device", "sim:dev"],
        &[],
    )
    .ok();
    assert!(r.stderr.contains("Built electron main"), "{}", r.stderr);
    assert_eq!(
        sim_status(&tmp.path().join("dev"))["state"],
        "running-user-app"
    );
}

// ---------------------------------------------------------------------------------------------
// Devices on the bus, and faults, seen by pbuild

/// pbuild (with the shared tree and target dir) on the simulated bus with `devices` attached.
pub(crate) fn pbuild_on_bus(cwd: &Path, devices: &[&Path], args: &[&str]) -> Run {
    let s = shared();
    let mut cmd = pbuild_command();
    cmd.args(["sim", "exec"]);
    for d in devices {
        cmd.arg("--device").arg(d);
    }
    cmd.arg("--")
        .arg(PBUILD)
        .arg("--tree")
        .arg(&s.tree)
        .arg("--target-dir")
        .arg(&s.out)
        .args(args)
        .current_dir(cwd);
    cmd.env_remove("DEVICE_OS_PATH")
        .env_remove("PBUILD_TARGET_DIR")
        .env_remove("PBUILD_DFU_UTIL")
        .env_remove("PBUILD_SIM_FAULT")
        .env_remove("PBUILD_SIM_DEVICES");
    Run::of_command(&mut cmd)
}

#[test]
fn device_lists_devices_in_both_modes_and_flash_asks_which_one() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    sim_dfu(&a, "photon", 1512);
    let b_dev = sim(&b, "electron", 2302, None);

    let r = pbuild_on_bus(tmp.path(), &[&a, &b], &["device", "--json"]).ok();
    let lines = r.json();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    // In DFU mode: read back over DFU by the real dfu-util.
    assert_eq!(lines[0]["platform"], "photon");
    assert_eq!(lines[0]["mode"], "dfu");
    assert_eq!(lines[0]["usb"], "2b04:d006");
    let slots = lines[0]["slots"].as_array().unwrap();
    assert_eq!(slots[0]["module"]["function"], "bootloader");
    assert_eq!(slots[0]["module"]["version"], 502);
    assert_eq!(slots[2]["module"]["version"], 1512);
    // Running: what the control requests report.
    assert_eq!(lines[1]["platform"], "electron");
    assert_eq!(lines[1]["mode"], "normal");
    assert_eq!(lines[1]["usb"], "2b04:c00a");
    assert_eq!(lines[1]["serial"], b_dev.identity.serial.as_str());
    assert_eq!(lines[1]["system_version"], "2.3.1");
    let modules = lines[1]["modules"].as_array().unwrap();
    let versions: Vec<(u64, u64)> = modules
        .iter()
        .map(|m| (m["kind"].as_u64().unwrap(), m["version"].as_u64().unwrap()))
        .collect();
    assert!(versions.contains(&(2, 2302)), "{versions:?}");
    assert!(versions.contains(&(3, 6)), "{versions:?}");
    assert!(lines[1]["port"].as_str().is_some(), "{}", lines[1]);

    let r = pbuild_on_bus(tmp.path(), &[&a, &b], &["device"]).ok();
    assert!(r.stdout.contains("in DFU mode"), "{}", r.stdout);
    assert!(r.stdout.contains("running"), "{}", r.stdout);
    assert!(r.stdout.contains("Device OS 2.3.1"), "{}", r.stdout);
    assert!(r.stdout.contains("system part 1 v2302"), "{}", r.stdout);

    // Several devices: flash asks which one, whatever mode each is in.
    let r = pbuild_on_bus(tmp.path(), &[&a, &b], &["--app", "blink", "flash"]).fails(2);
    assert!(r.stderr.contains("2 devices attached"), "{}", r.stderr);
    assert!(
        r.stderr.contains("--device SERIAL") && r.stderr.contains(&b_dev.identity.serial),
        "{}",
        r.stderr
    );
    // The running one, by serial: asked into DFU mode over USB, flashed, running again.
    let r = pbuild_on_bus(
        tmp.path(),
        &[&a, &b],
        &[
            "--app",
            "blink",
            "flash",
            "--device",
            &b_dev.identity.serial,
        ],
    )
    .ok();
    assert!(r.stderr.contains("Built electron main"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("asked it to enter DFU mode (USB control request)"),
        "{}",
        r.stderr
    );
    assert_eq!(sim_status(&b)["state"], "running-user-app");
    assert_eq!(std::fs::read_to_string(b.join("mode")).unwrap(), "normal");
    assert_eq!(
        std::fs::read_to_string(a.join("mode")).unwrap(),
        "dfu",
        "a untouched"
    );
}

#[test]
fn no_device_and_permission_problems_say_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = tmp.path().join("dev");
    sim(&dev, "p1", 2302, None);
    // Off the bus.
    std::fs::write(dev.join("unplugged"), "").unwrap();
    let r = pbuild(tmp.path(), &["device", "--device", "sim:dev"], &[]).fails(2);
    assert!(
        r.stderr.contains("no Particle device found on USB"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("data cable"), "{}", r.stderr);
    std::fs::remove_file(dev.join("unplugged")).unwrap();

    // Running, but libusb may not open it: pbuild's own USB code says so.
    std::fs::write(dev.join("mode"), "normal").unwrap();
    std::fs::write(dev.join("fault"), "permission-denied\n").unwrap();
    let r = pbuild(
        tmp.path(),
        &[
            "--app",
            "blink",
            "flash",
            "--device",
            "sim:dev",
            "--dry-run",
        ],
        &[],
    )
    .fails(2);
    assert!(
        r.stderr.contains("no permission to open p1"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(r#"ATTRS{idVendor}=="2b04", ATTRS{idProduct}=="[cd]0??""#),
        "{}",
        r.stderr
    );
    // In DFU mode: the real dfu-util's warning.
    std::fs::write(dev.join("mode"), "dfu").unwrap();
    let r = pbuild(tmp.path(), &["device", "--device", "sim:dev"], &[]).fails(2);
    assert!(
        r.stderr
            .contains("Cannot open DFU device 2b04:d008 found on devnum 5 (LIBUSB_ERROR_ACCESS)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(r#"ATTRS{idVendor}=="2b04", ATTRS{idProduct}=="[cd]0??""#),
        "{}",
        r.stderr
    );
}

#[test]
fn a_missing_dfu_util_says_how_to_install_it() {
    let tmp = tempfile::tempdir().unwrap();
    let r = pbuild(
        tmp.path(),
        &["device", "--dfu-util", "/nonexistent/dfu-util"],
        &[],
    )
    .fails(2);
    assert!(r.stderr.contains("dfu-util not found"), "{}", r.stderr);
    assert!(
        r.stderr.contains("apt-get install dfu-util"),
        "{}",
        r.stderr
    );
    let r = pbuild(
        tmp.path(),
        &["device"],
        &[("PBUILD_DFU_UTIL", "/nonexistent/x")],
    )
    .fails(2);
    assert!(r.stderr.contains("/nonexistent/x"), "{}", r.stderr);
}

#[test]
fn an_unplug_mid_flash_is_a_failure_and_a_second_run_finishes() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = tmp.path().join("dev");
    pbuild(
        tmp.path(),
        &[
            "--platform",
            "photon",
            "sim",
            "create",
            "dev",
            "--system-version",
            "2202",
        ],
        &[],
    )
    .ok();
    std::fs::write(dev.join("fault"), "unplug-during-download\n").unwrap();
    let args = [
        "--platform",
        "photon",
        "--app",
        "blink",
        "flash",
        "--device",
        "sim:dev",
    ];
    let r = pbuild(tmp.path(), &args, &[]).fails(1);
    // Issue 12 item 6: the device is gone, so the message says what is true of it, never
    // "still in DFU mode".
    assert!(
        r.stderr
            .contains("the device disconnected while system-part1.bin was being written"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("Error during download"), "{}", r.stderr);
    assert!(!r.stderr.contains("still in DFU mode"), "{}", r.stderr);
    assert!(r.stderr.contains("no longer on USB"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("not written: system-part2.bin, blink.bin"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("when it is powered again it will be may-not-boot"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("put it in DFU mode"), "{}", r.stderr);
    assert!(
        sim_status(&dev)["boots"].as_array().unwrap().is_empty(),
        "no reset after a failure"
    );
    assert_ne!(sim_status(&dev)["state"], "running-user-app");

    // Plugged back in, in DFU mode: the same flash finishes it.
    std::fs::remove_file(dev.join("unplugged")).unwrap();
    pbuild(tmp.path(), &args, &[]).ok();
    assert_eq!(sim_status(&dev)["state"], "running-user-app");
}

#[test]
fn a_write_error_is_never_taken_for_the_harmless_one() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = tmp.path().join("dev");
    pbuild(
        tmp.path(),
        &["--platform", "photon", "sim", "create", "dev"],
        &[],
    )
    .ok();
    std::fs::write(dev.join("fault"), "write-fails\n").unwrap();
    let r = pbuild(
        tmp.path(),
        &[
            "--platform",
            "photon",
            "--app",
            "blink",
            "flash",
            "--device",
            "sim:dev",
        ],
        &[],
    )
    .fails(1);
    assert!(
        r.stderr
            .contains("dfu-util failed (exit status 74): Error during download get_status"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("not an error"), "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------------
// The real dfu-util on the simulated bus, by hand

fn last_error(r: &Run) -> Option<&str> {
    r.stderr.lines().last()
}

#[test]
fn real_dfu_util_lists_reads_and_writes_simulated_devices() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let dev = sim_dfu(&a, "photon", 2302);
    let serial = dev.identity.serial.clone();

    // The line format of usb-facts.md §3 / particle-facts.md §7, alt 1 listed first as on hardware.
    let l = dfu_util(&["-l"], &[&a]);
    assert_eq!(l.code, 0, "{}", l.stderr);
    let found: Vec<&str> = l
        .stdout
        .lines()
        .filter(|x| x.starts_with("Found"))
        .collect();
    assert_eq!(
        found,
        [
            format!(
                r#"Found DFU: [2b04:d006] ver=0250, devnum=5, cfg=1, intf=0, path="1-1", alt=1, name="@DCT Flash   /0x00000000/01*016Kg", serial="{serial}""#
            ),
            format!(
                r#"Found DFU: [2b04:d006] ver=0250, devnum=5, cfg=1, intf=0, path="1-1", alt=0, name="@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg", serial="{serial}""#
            ),
        ]
    );
    // A running device is not a DFU device: dfu-util does not see it.
    let running = tmp.path().join("running");
    sim(&running, "photon", 2302, None);
    let l = dfu_util(&["-l"], &[&running]);
    assert!(!l.stdout.contains("Found"), "{}", l.stdout);

    // Upload reads the flash; an existing file is refused (O_EXCL).
    let up = tmp.path().join("head.bin");
    let upload = [
        "-d",
        ",2b04:d006",
        "-a",
        "0",
        "-s",
        "0x08060000:412",
        "-U",
        up.to_str().unwrap(),
    ];
    let r = dfu_util(&upload, &[&a]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read(&up).unwrap(),
        dev.read(0x0806_0000, 412).unwrap()
    );
    let r = dfu_util(&upload, &[&a]);
    assert_eq!(r.code, 73);
    assert!(r.stderr.contains("Cannot open file"), "{}", r.stderr);

    // No device / another VID:PID / another serial.
    let img = tmp.path().join("x.bin");
    std::fs::write(&img, vec![0x42u8; 1000]).unwrap();
    let f = img.to_str().unwrap();
    for (args, devices) in [
        (vec!["-a", "0", "-s", "0x080a0000", "-D", f], vec![]),
        (
            vec!["-d", ",2b04:d00a", "-a", "0", "-s", "0x080a0000", "-D", f],
            vec![a.as_path()],
        ),
        (
            vec![
                "-S",
                "000000000000000000000000",
                "-a",
                "0",
                "-s",
                "0x080a0000",
                "-D",
                f,
            ],
            vec![a.as_path()],
        ),
    ] {
        let r = dfu_util(&args, &devices);
        assert_eq!(r.code, 74, "{args:?}");
        assert_eq!(
            last_error(&r),
            Some("dfu-util: No DFU capable USB device available"),
            "{args:?}"
        );
    }

    // The bootloader's own sectors: nothing changes.
    let before = flash_bytes(&a);
    let r = dfu_util(&["-a", "0", "-s", "0x08000000", "-D", f], &[&a]);
    assert_eq!(
        (r.code, last_error(&r)),
        (
            64,
            Some("dfu-util: Last page at 0x080003e7 is not writeable")
        )
    );
    let r = dfu_util(&["-a", "0", "-s", "0x08010000", "-D", f], &[&a]);
    assert_eq!(
        (r.code, last_error(&r)),
        (
            74,
            Some(r#"dfu-util: Error during special command "ERASE_PAGE" get_status"#)
        )
    );
    assert_eq!(flash_bytes(&a), before);

    // A raw write with :leave: the bootloader answers the leave request, then resets ~500 ms
    // later, so dfu-util 0.11 ends cleanly (exit 0) and the device boots and runs.
    let r = dfu_util(
        &["-a", "0", "-s", "0x080a0000:leave", "-S", &serial, "-D", f],
        &[&a],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("dfu-util: Warning: Invalid DFU suffix signature\n"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout
            .contains("Downloading element to address = 0x080a0000, size = 1000\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("File downloaded successfully\nSubmitting leave request...\n"),
        "{}",
        r.stdout
    );
    let after = SimDevice::open(&a, &Table::embedded()).unwrap();
    assert_eq!(after.read(0x080A_0000, 1000).unwrap(), &[0x42u8; 1000][..]);
    assert_eq!(after.boots().len(), 1);
    assert_eq!(std::fs::read_to_string(a.join("mode")).unwrap(), "normal");

    // A bootloader from before Device OS 0.4.5 reset inside the leave request's GETSTATUS: the
    // "Error during download get_status" of particle-facts.md §7, after the success line.
    std::fs::write(a.join("mode"), "dfu").unwrap();
    std::fs::write(a.join("fault"), "leave-resets-at-once\n").unwrap();
    let r = dfu_util(&["-a", "0", "-s", "0x080a0000:leave", "-D", f], &[&a]);
    assert_eq!(r.code, 74, "{}", r.stderr);
    assert!(
        r.stdout.contains("File downloaded successfully"),
        "{}",
        r.stdout
    );
    assert_eq!(
        last_error(&r),
        Some("dfu-util: Error during download get_status")
    );
    std::fs::remove_file(a.join("fault")).unwrap();

    // A .dfu for another platform: refused by the file's VID:PID when -d names the device
    // (which pbuild always does); without -d dfu-util 0.11 does not compare and writes it.
    std::fs::write(a.join("mode"), "dfu").unwrap();
    let dfu = tmp.path().join("x.dfu");
    std::fs::write(
        &dfu,
        pbuild::image::add_dfu_suffix(&[0x42u8; 1000], 0x2b04, 0xd00a),
    )
    .unwrap();
    let d = dfu.to_str().unwrap();
    let r = dfu_util(
        &["-d", ",2b04:d006", "-a", "0", "-s", "0x080a0000", "-D", d],
        &[&a],
    );
    assert_eq!(r.code, 64);
    assert!(
        r.stderr
            .contains("Error: File ID 2b04:d00a does not match device (0000:0000 or 2b04:d006)"),
        "{}",
        r.stderr
    );
    let r = dfu_util(&["-a", "0", "-s", "0x080a0000", "-D", d], &[&a]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Several devices, and -S to pick one.
    let b = tmp.path().join("b");
    let other = sim_dfu(&b, "photon", 2302);
    let r = dfu_util(&["-a", "0", "-s", "0x080a0000", "-D", f], &[&a, &b]);
    assert_eq!(r.code, 74);
    assert!(r.stderr.contains("More than one DFU capable USB device found! Try `--list' and specify the serial number or disconnect all but one device"), "{}", r.stderr);
    let r = dfu_util(
        &[
            "-a",
            "0",
            "-s",
            "0x080a0000",
            "-S",
            &other.identity.serial,
            "-D",
            f,
        ],
        &[&a, &b],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);

    // The pitfall: `-d 2b04:d006` alone is a run-time id, and any device in DFU mode matches,
    // a P1 too; `-d ,2b04:d006` (what pbuild passes) matches only a Photon in DFU mode.
    let p1 = tmp.path().join("p1");
    sim_dfu(&p1, "p1", 2302);
    let r = dfu_util(
        &["-d", "2b04:d006", "-a", "0", "-s", "0x080a0000", "-D", f],
        &[&p1],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Device ID 2b04:d008"), "{}", r.stdout);
    let r = dfu_util(
        &["-d", ",2b04:d006", "-a", "0", "-s", "0x080a0000", "-D", f],
        &[&p1],
    );
    assert_eq!(r.code, 74, "{}", r.stderr);

    // Unplugged mid-download: the erase and one block happened, once.
    std::fs::write(b.join("fault"), "unplug-during-download\n").unwrap();
    let big = tmp.path().join("big.bin");
    std::fs::write(&big, vec![0x24u8; 20000]).unwrap();
    let r = dfu_util(
        &[
            "-a",
            "0",
            "-s",
            "0x080a0000",
            "-S",
            &other.identity.serial,
            "-D",
            big.to_str().unwrap(),
        ],
        &[&a, &b],
    );
    assert_eq!(r.code, 74);
    assert_eq!(
        last_error(&r),
        Some("dfu-util: Error during download get_status")
    );
    let after = SimDevice::open(&b, &Table::embedded()).unwrap();
    assert_eq!(after.read(0x080A_0000, 4096).unwrap(), &[0x24u8; 4096][..]);
    assert_eq!(after.read(0x080A_0000 + 19996, 4).unwrap(), &[0xFF; 4][..]);
    assert!(after.faults().is_empty(), "one-shot fault cleared");
    assert!(b.join("unplugged").exists());
    let l = dfu_util(&["-l"], &[&b]);
    assert!(
        !l.stdout.contains("Found"),
        "gone from the bus: {}",
        l.stdout
    );
}

// ---------------------------------------------------------------------------------------------
// inspect and sim status on their own

/// Particle's release binaries (particle-cli@2.16.0 assets), fetched once by the script.
pub(crate) fn assets() -> PathBuf {
    let root = std::env::var_os("PBUILD_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/testdata"));
    let dir = root.join("particle-cli-2.16.0");
    if !dir.join(".complete").is_file() {
        let out = Command::new("bash")
            .arg(repo().join("tests/support/release-binaries.sh"))
            .env("PBUILD_TESTDATA", &root)
            .current_dir(repo())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "fetching release binaries: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    dir.join("assets")
}

#[test]
fn inspect_reads_every_release_binary() {
    let assets = assets();
    let mut files: Vec<PathBuf> = ["updates", "binaries"]
        .iter()
        .flat_map(|d| {
            std::fs::read_dir(assets.join(d))
                .unwrap()
                .map(|e| e.unwrap().path())
        })
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    files.sort();
    assert!(files.len() >= 14, "{files:?}");
    let mut args = vec!["inspect", "--json"];
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let tmp = tempfile::tempdir().unwrap();
    // Among them are pre-module Core tools (the CC3000 patch programmer, the 2014 deep update):
    // no Particle module header, so inspect says so and fails (issue 15 item 8).
    let r = pbuild(tmp.path(), &args, &[]).fails(2);
    let lines = r.json();
    assert_eq!(lines.len(), files.len());
    for l in &lines {
        let problems = l["problems"].as_array().unwrap();
        assert_eq!(
            l["module"].is_null(),
            problems
                .iter()
                .any(|p| p.as_str().unwrap().starts_with("no Particle module header")),
            "{l}"
        );
    }
    assert!(
        r.stderr
            .contains("cc3000-patch-programmer.bin: no Particle module header"),
        "{}",
        r.stderr
    );
    let by_name = |n: &str| {
        lines
            .iter()
            .find(|l| l["file"].as_str().unwrap().ends_with(n))
            .unwrap_or_else(|| panic!("{n}"))
    };
    let p1 = by_name("photon-system-part1@2.2.0.bin");
    assert_eq!(p1["module"]["platform_id"], 6);
    assert_eq!(p1["module"]["function"], "system-part");
    assert_eq!(p1["module"]["index"], 1);
    assert_eq!(p1["module"]["version"], 2202);
    assert_eq!(p1["module"]["dependencies"][0]["function"], "system-part");
    assert_eq!(p1["module"]["dependencies"][0]["index"], 2);
    assert_eq!(p1["module"]["dependencies"][0]["version"], 207);
    assert_eq!(p1["crc_ok"], true);
    let e1 = by_name("electron-system-part1@2.2.0.bin");
    assert_eq!(
        (
            e1["module"]["index"].as_u64(),
            e1["module"]["start"].as_u64()
        ),
        (Some(3), Some(0x0806_0000))
    );
    let core = by_name("core_tinker.bin");
    assert!(
        core["module"].is_null() || core["module"]["platform_id"] == 0,
        "{core}"
    );
    for l in &lines {
        let name = l["file"].as_str().unwrap();
        let gen2 = ["photon", "p1", "electron"]
            .iter()
            .any(|p| name.contains(&format!("/{p}-")) || name.contains(&format!("/{p}_")));
        if gen2 {
            assert!(!l["module"].is_null(), "{name}: {l}");
            assert_eq!(l["crc_ok"], true, "{name}");
        }
    }

    let first = names.iter().find(|n| n.contains("photon-")).unwrap();
    let text = pbuild(tmp.path(), &["inspect", first], &[]).ok();
    assert!(text.stdout.starts_with(first.as_str()), "{}", text.stdout);
}

#[test]
fn sim_create_and_status() {
    let tmp = tempfile::tempdir().unwrap();
    let r = pbuild(
        tmp.path(),
        &[
            "--platform",
            "electron",
            "sim",
            "create",
            "e",
            "--system-version",
            "1512",
            "--serial",
            "3C0021000A47343432313031",
        ],
        &[],
    )
    .ok();
    assert!(
        r.stdout.contains(
            "serial 3c0021000a47343432313031, bootloader 502, system 1512 (Device OS 1.5.2)"
        ),
        "{}",
        r.stdout
    );
    let s = sim_status(&tmp.path().join("e"));
    assert_eq!(s["platform"], "electron");
    // Created running: it is on the bus as 2b04:c00a (its DFU id is d00a).
    assert_eq!(s["usb"], "2b04:c00a");
    assert_eq!(s["state"], "running-user-app");
    let slots = s["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 6, "bootloader, 3 system parts, user, factory");
    assert_eq!(slots[3]["module"]["index"], 3);
    assert_eq!(slots[3]["address"], 0x0806_0000);

    pbuild(
        tmp.path(),
        &["--platform", "photon", "sim", "create", "empty", "--empty"],
        &[],
    )
    .ok();
    let s = sim_status(&tmp.path().join("empty"));
    assert_eq!(s["state"], "dfu-mode", "{s}");

    let r = pbuild(
        tmp.path(),
        &["--platform", "photon", "sim", "create", "e"],
        &[],
    )
    .fails(2);
    assert!(
        r.stderr.contains("e already exists and is not empty"),
        "{}",
        r.stderr
    );
    let r = pbuild(
        tmp.path(),
        &[
            "--platform",
            "photon",
            "sim",
            "create",
            "old",
            "--system-version",
            // 0.6.1: below 0.6.4, the oldest release whose bootloader (11) is recorded.
            "105",
        ],
        &[],
    )
    .fails(2);
    assert!(r.stderr.contains("--bootloader-version"), "{}", r.stderr);
    let r = pbuild(tmp.path(), &["sim", "status", "nowhere"], &[]).fails(2);
    assert!(
        r.stderr.contains("is not a simulated device"),
        "{}",
        r.stderr
    );

    let text = pbuild(tmp.path(), &["sim", "status", "e"], &[]).ok();
    assert!(
        text.stdout
            .contains("at reset: running-user-app (breathing cyan)"),
        "{}",
        text.stdout
    );
}
