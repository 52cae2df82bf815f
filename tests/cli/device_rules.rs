//! The device as Device OS really is (issue 12), end to end with the real pbuild and simulated
//! devices: upgrade paths from 0.6.4, 1.5.2 and 2.2.0 to the tree's release in one
//! `pbuild flash` (the tree's bootloader staged where the system needs it), Particle's release
//! binaries flashed as files, and each corrected boot rule, read back with `pbuild sim status`.

use std::path::{Path, PathBuf};

use pbuild::config::Table;
use pbuild::image::ModuleFunction;
use pbuild::sim::modules;

use crate::flash::{assets, flash_bytes, pbuild, sim_status};
use crate::support::*;

/// A simulated device of `platform` running `system` (with the bootloader of that release).
fn device(tmp: &Path, name: &str, platform: &str, system: u16, extra: &[&str]) -> PathBuf {
    let v = system.to_string();
    let mut args = vec![
        "--platform",
        platform,
        "sim",
        "create",
        name,
        "--system-version",
        &v,
    ];
    args.extend_from_slice(extra);
    pbuild(tmp, &args, &[]).ok();
    tmp.join(name)
}

fn flash_app(tmp: &Path, platform: &str, dev: &Path, extra: &[&str]) -> Run {
    let sim = format!("sim:{}", dev.display());
    let mut args = vec![
        "--platform",
        platform,
        "--app",
        "blink",
        "flash",
        "--device",
        &sim,
    ];
    args.extend_from_slice(extra);
    pbuild(tmp, &args, &[])
}

fn bootloader_version(status: &serde_json::Value) -> u64 {
    status["slots"][0]["module"]["version"].as_u64().unwrap()
}

/// Offset of an address in a simulated device's `flash.bin`.
fn at(address: u32) -> usize {
    (address - 0x0800_0000) as usize
}

fn patch_flash(dev: &Path, address: u32, bytes: &[u8]) {
    let path = dev.join("flash.bin");
    let mut flash = std::fs::read(&path).unwrap();
    flash[at(address)..at(address) + bytes.len()].copy_from_slice(bytes);
    std::fs::write(&path, flash).unwrap();
}

#[test]
fn upgrade_paths_end_running_with_the_bootloader_staged_where_needed() {
    let tmp = tempfile::tempdir().unwrap();
    for platform in ["photon", "p1", "electron"] {
        for (from, bootloader) in [(110u16, 11u64), (1512, 502), (2202, 1006)] {
            let name = format!("{platform}-{from}");
            let dev = device(tmp.path(), &name, platform, from, &[]);
            assert_eq!(bootloader_version(&sim_status(&dev)), bootloader, "{name}");
            let r = flash_app(tmp.path(), platform, &dev, &[]).ok();
            let s = sim_status(&dev);
            assert_eq!(s["state"], "running-user-app", "{name}: {s}\n{}", r.stderr);
            // Photon/P1 below 2.0 have a bootloader older than 2.x's system needs (1003): the
            // tree's is staged and applied. The Electron's system does not check it.
            let staged = platform != "electron" && bootloader < 1003;
            assert_eq!(
                r.stderr.contains("staged for the system to apply"),
                staged,
                "{name}: {}",
                r.stderr
            );
            if staged {
                assert_eq!(bootloader_version(&s), 1006, "{name}: {s}");
                assert_eq!(s["boots"].as_array().unwrap().len(), 2, "{name}: {s}");
            }
        }
    }
}

#[test]
fn downgrades_are_refused_unless_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = device(tmp.path(), "dev", "photon", 3005, &[]);
    let before = flash_bytes(&dev);
    let r = flash_app(tmp.path(), "photon", &dev, &["--target", "modules"]).fails(3);
    assert!(
        r.stderr.contains(
            "system-part1.bin is version 2302, older than the 3005 on the device: a downgrade"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--allow-downgrade"), "{}", r.stderr);
    assert_eq!(flash_bytes(&dev), before, "nothing written");
    let r = flash_app(
        tmp.path(),
        "photon",
        &dev,
        &["--target", "modules", "--allow-downgrade"],
    )
    .ok();
    assert!(
        r.stderr.contains("a downgrade"),
        "said before writing: {}",
        r.stderr
    );
    assert_eq!(sim_status(&dev)["state"], "running-user-app");
    // The app alone on a newer system is no downgrade.
    let dev = device(tmp.path(), "newer", "photon", 3005, &[]);
    flash_app(tmp.path(), "photon", &dev, &[]).ok();
}

#[test]
fn particle_release_binaries_flash_as_files_onto_1_5_2_devices() {
    let tmp = tempfile::tempdir().unwrap();
    let updates = assets().join("updates");
    for platform in ["photon", "p1", "electron"] {
        let dev = device(tmp.path(), platform, platform, 1512, &[]);
        let mut files: Vec<String> = std::fs::read_dir(&updates)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let n = p.file_name().unwrap().to_string_lossy().into_owned();
                n.starts_with(&format!("{platform}-")) && n.contains("@2.2.0")
            })
            .map(|p| p.display().to_string())
            .collect();
        files.sort();
        assert_eq!(
            files.len(),
            if platform == "electron" { 4 } else { 3 },
            "{files:?}"
        );
        let sim = format!("sim:{}", dev.display());
        let mut args: Vec<&str> = vec!["flash"];
        args.extend(files.iter().map(String::as_str));
        args.extend(["--device", &sim]);
        let dry: Vec<&str> = args.iter().copied().chain(["--dry-run"]).collect();
        let r = pbuild(tmp.path(), &dry, &[]).ok();
        assert!(
            r.stderr.contains("staged for the system to apply"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("it starts 2 times"), "{}", r.stderr);
        let before = sim_status(&dev)["boots"].as_array().unwrap().len();
        let r = pbuild(tmp.path(), &args, &[]).ok();
        let s = sim_status(&dev);
        assert_eq!(
            s["state"], "running-user-app",
            "{platform}: {s}\n{}",
            r.stderr
        );
        assert_eq!(bootloader_version(&s), 1006, "{platform}: {s}");
        assert_eq!(s["slots"][2]["module"]["version"], 2202, "{platform}: {s}");
        if platform == "electron" {
            // Its system-part1 carries bootloader 1004 and rewrites 502 with it at boot, before
            // the staged 1006 is applied.
            let log = s["boots"][before].as_str().unwrap();
            assert!(
                log.contains("rewrites bootloader 502 with the v1004 image"),
                "{log}"
            );
        }
    }
}

/// Item 1: an Electron on 1.5.2 (bootloader 502) takes a 2.x system and app in one flash.
#[test]
fn an_electron_goes_from_1_5_2_to_the_tree_s_release() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = device(tmp.path(), "dev", "electron", 1512, &[]);
    let r = flash_app(tmp.path(), "electron", &dev, &[]).ok();
    assert!(!r.stderr.contains("needs bootloader"), "{}", r.stderr);
    assert_eq!(sim_status(&dev)["state"], "running-user-app");
}

/// Item 3: what the bootloader and the system really do with a broken flash.
#[test]
fn the_labels_follow_the_real_boot_order() {
    let tmp = tempfile::tempdir().unwrap();
    // A failed system validation (bootloader 502 under a 2.x system) with a user slot holding
    // another platform's app: the user part is never looked at, so safe mode, not a factory reset.
    let electron = device(tmp.path(), "e", "electron", 2302, &[]);
    let foreign = std::fs::read(electron.join("flash.bin")).unwrap()
        [at(0x0808_0000)..at(0x0808_0000) + 0x200]
        .to_vec();
    let dev = device(
        tmp.path(),
        "a",
        "photon",
        2302,
        &["--bootloader-version", "502"],
    );
    patch_flash(&dev, 0x080A_0000, &foreign);
    let s = sim_status(&dev);
    assert_eq!(s["state"], "safe-mode", "{s}");

    // 0x08020000 erased, factory image present: the bootloader restores the factory app (and
    // does so at every reset, since the system slot stays empty) rather than waiting in DFU mode.
    let dev = device(tmp.path(), "b", "photon", 2302, &[]);
    patch_flash(&dev, 0x0802_0000, &vec![0xFF; 0x40000]);
    let s = sim_status(&dev);
    assert_eq!(s["state"], "factory-restore-loop", "{s}");
    // Without a factory image, DFU mode.
    patch_flash(&dev, 0x080E_0000, &vec![0xFF; 0x20000]);
    assert_eq!(sim_status(&dev)["state"], "dfu-mode");

    // A CRC-bad system part (an interrupted system update): it may not boot at all, since the
    // safe-mode decision runs only after the system parts have started.
    let dev = device(tmp.path(), "c", "photon", 2302, &[]);
    let flash = std::fs::read(dev.join("flash.bin")).unwrap();
    let byte = flash[at(0x0802_0000) + 0x1A0];
    patch_flash(&dev, 0x0802_0000 + 0x1A0, &[byte ^ 0xFF]);
    let s = sim_status(&dev);
    assert_eq!(s["state"], "may-not-boot", "{s}");
    assert!(s["led"].as_str().unwrap().contains("hold MODE"), "{s}");
}

/// A user app for a photon on 2.3.1 whose dependencies are `deps` (header at +0, CRC patched).
fn app_with(deps: [(u8, u8, u16); 2]) -> Vec<u8> {
    let t = Table::embedded();
    let map = pbuild::device::SlotMap::of(&t, t.find("photon").unwrap());
    let (_, mut app) = modules::user_app(&map, 2302);
    for (k, (f, i, v)) in deps.iter().enumerate() {
        let at = 16 + 4 * k;
        app[at] = *f;
        app[at + 1] = *i;
        app[at + 2..at + 4].copy_from_slice(&v.to_le_bytes());
    }
    pbuild::image::suffix::write_integrity(&mut app).unwrap();
    app
}

/// Item 4: Device OS looks at the second dependency only when the first is set, and a
/// dependency on a module the platform has no slot for (bootloader index 1) fails.
#[test]
fn dependency_edge_cases_follow_device_os() {
    let tmp = tempfile::tempdir().unwrap();
    let sp = ModuleFunction::SystemPart.code();
    let bl = ModuleFunction::Bootloader.code();
    let dev = device(tmp.path(), "a", "photon", 2302, &[]);
    patch_flash(&dev, 0x080A_0000, &app_with([(0, 0, 0), (sp, 2, 9999)]));
    assert_eq!(sim_status(&dev)["state"], "running-user-app");

    let dev = device(tmp.path(), "b", "photon", 2302, &[]);
    patch_flash(&dev, 0x080A_0000, &app_with([(bl, 1, 1), (0, 0, 0)]));
    let s = sim_status(&dev);
    assert_eq!(s["state"], "safe-mode", "{s}");
    assert!(
        s["reasons"][0].as_str().unwrap().contains("no slot for"),
        "{s}"
    );
}

/// Item 5: monolithic firmware can be flashed (as a file), and a device running one runs it.
#[test]
fn monolithic_firmware_flashes_and_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let mono = modules::module(
        6,
        ModuleFunction::Monolithic,
        0,
        2302,
        0x0802_0000,
        [None, None],
        true,
        (0xFFFF, 0xFFFF),
        "monolithic firmware",
        &[],
    );
    let file = tmp.path().join("mono.bin");
    std::fs::write(&file, &mono).unwrap();

    let dev = device(tmp.path(), "a", "photon", 2302, &[]);
    patch_flash(&dev, 0x0802_0000, &mono);
    assert_eq!(sim_status(&dev)["state"], "running-user-app");

    let dev = device(tmp.path(), "b", "photon", 2302, &[]);
    let sim = format!("sim:{}", dev.display());
    let r = pbuild(
        tmp.path(),
        &["flash", file.to_str().unwrap(), "--device", &sim],
        &[],
    )
    .ok();
    assert!(
        r.stderr.contains("monolithic firmware v2302"),
        "{}",
        r.stderr
    );
    let s = sim_status(&dev);
    assert_eq!(s["state"], "running-user-app", "{s}");
    assert_eq!(s["slots"][1]["module"]["function"], "monolithic", "{s}");
    // A monolithic image that does not start at 0x08020000 is refused, even with --force.
    let low = modules::module(
        6,
        ModuleFunction::Monolithic,
        0,
        2302,
        0x0806_0000,
        [None, None],
        true,
        (0xFFFF, 0xFFFF),
        "misplaced",
        &[],
    );
    std::fs::write(&file, &low).unwrap();
    let r = pbuild(
        tmp.path(),
        &["flash", file.to_str().unwrap(), "--device", &sim],
        &[],
    )
    .fails(3);
    assert!(r.stderr.contains("starts at 0x08060000"), "{}", r.stderr);
}

/// Flashing files: a user part built for another platform is refused as a build is.
#[test]
fn given_files_get_the_same_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = device(tmp.path(), "dev", "photon", 2302, &[]);
    let t = Table::embedded();
    let electron = pbuild::device::SlotMap::of(&t, t.find("electron").unwrap());
    let file = tmp.path().join("electron-app.bin");
    std::fs::write(&file, modules::user_app(&electron, 2302).1).unwrap();
    let sim = format!("sim:{}", dev.display());
    let before = flash_bytes(&dev);
    let r = pbuild(
        tmp.path(),
        &["flash", file.to_str().unwrap(), "--device", &sim],
        &[],
    )
    .fails(3);
    assert!(
        r.stderr
            .contains("electron-app.bin is built for electron (10) but the device is a photon (6)"),
        "{}",
        r.stderr
    );
    assert_eq!(flash_bytes(&dev), before);
    let r = pbuild(
        tmp.path(),
        &["flash", "/nonexistent/x.bin", "--device", &sim],
        &[],
    )
    .fails(2);
    assert!(r.stderr.contains("/nonexistent/x.bin"), "{}", r.stderr);
}
