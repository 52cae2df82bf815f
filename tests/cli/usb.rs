//! The device over USB without buttons: a running device is put in DFU mode by the control
//! request or, on old systems, by the 14400-baud touch of its serial port; a device that does
//! not come back is reported; the app's serial output follows a flash and survives resets; and
//! `pbuild sim exec` itself (exit status, bad input). Everything through the simulated libusb,
//! with the real dfu-util.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::flash::{modules, pbuild, pbuild_on_bus, sim, sim_status};
use crate::support::*;

fn mode(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("mode")).unwrap()
}

fn boots(dir: &Path) -> usize {
    sim_status(dir)["boots"].as_array().unwrap().len()
}

/// The CRC-32 a module stores in its last 4 bytes (big-endian), as 8 hex digits.
fn stored_crc(bin: &Path) -> String {
    let b = std::fs::read(bin).unwrap();
    let crc = u32::from_be_bytes(b[b.len() - 4..].try_into().unwrap());
    format!("{crc:08x}")
}

#[test]
fn a_running_device_is_asked_into_dfu_mode_and_runs_the_new_app_after() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = tmp.path().join("dev");
    sim(&dev, "photon", 2302, None);
    assert_eq!(mode(&dev), "normal", "sim create makes a running device");
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
            "--monitor",
            "--for",
            "2.5",
        ],
        &[],
    )
    .ok();
    assert!(
        r.stderr.contains(
            "is running: asked it to enter DFU mode (USB control request); waiting for it in DFU mode"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("Flashed 1 image"), "{}", r.stderr);
    assert_eq!(sim_status(&dev)["state"], "running-user-app");
    assert_eq!(mode(&dev), "normal");
    // The monitor: the boot line names the image now running, then the ticks.
    let blink = modules("photon")
        .iter()
        .find(|(m, _)| m == "user-part")
        .unwrap()
        .1
        .clone();
    let line = format!(
        "pbuild sim: Device OS 2.3.1, running user part v6 crc {}",
        stored_crc(&blink)
    );
    assert!(r.stdout.contains(&line), "{line}\n{}", r.stdout);
    assert!(r.stdout.contains("tick 1"), "{}", r.stdout);
    assert!(r.stderr.contains("--- "), "{}", r.stderr);
}

#[test]
fn an_old_system_without_the_request_goes_through_the_14400_baud_touch() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = tmp.path().join("dev");
    // Device OS 0.7.0 (system 207): no service protocol, so the DFU_MODE request stalls.
    sim(&dev, "photon", 207, None);
    let r = pbuild_on_bus(tmp.path(), &[&dev], &["device", "--json"]).ok();
    let line = &r.json()[0];
    assert_eq!(line["mode"], "normal");
    assert_eq!(line["system_version"], "0.7.0", "the raw 0x50 request");
    assert!(line["modules"].is_null(), "{line}");

    // The app needs a newer system and `--system never` refuses: the device was put in DFU mode
    // to be read, so pbuild sends it back to its app.
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
            "--system",
            "never",
        ],
        &[],
    )
    .fails(3);
    assert!(
        r.stderr
            .contains("was set to 14400 baud; waiting for it in DFU mode"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("flash refused"), "{}", r.stderr);
    assert_eq!(mode(&dev), "normal", "back to its app");
    assert_eq!(boots(&dev), 1, "one reset: the leave that sent it back");
    assert_eq!(sim_status(&dev)["state"], "running-user-app");
}

#[test]
fn a_device_that_does_not_come_back_in_dfu_mode_gets_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = tmp.path().join("dev");
    sim(&dev, "p1", 2302, None);
    std::fs::write(dev.join("fault"), "never-enters-dfu\n").unwrap();
    let started = Instant::now();
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
            "--dfu-timeout",
            "1",
        ],
        &[],
    )
    .fails(2);
    assert!(
        r.stderr.contains("did not appear in DFU mode within 1 s"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("hold MODE (SETUP), tap RESET"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--dfu-timeout"), "{}", r.stderr);
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(mode(&dev), "normal");
}

#[test]
fn monitor_follows_the_app_across_a_reset() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = tmp.path().join("dev");
    sim(&dev, "electron", 2302, None);
    let serial = sim_status(&dev)["serial"].as_str().unwrap().to_string();
    // A monitor and a flash on the same bus, as in two terminals.
    let script = tmp.path().join("both.sh");
    write_script(
        &script,
        &format!(
            "#!/bin/sh\n'{pb}' monitor --device {serial} --for 8 > '{out}' 2> '{err}' &\nsleep 2\n'{pb}' --tree '{tree}' --target-dir '{target}' --platform electron --app blink flash --device {serial} > /dev/null 2>&1 || exit 9\nwait\n",
            pb = PBUILD,
            out = tmp.path().join("out").display(),
            err = tmp.path().join("err").display(),
            tree = crate::flash::shared_tree().display(),
            target = crate::flash::shared_out().display(),
        ),
    );
    let r = Run::of_command(
        pbuild_command()
            .args(["sim", "exec", "--device"])
            .arg(&dev)
            .arg("--")
            .arg(&script)
            .current_dir(tmp.path()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = std::fs::read_to_string(tmp.path().join("out")).unwrap();
    let err = std::fs::read_to_string(tmp.path().join("err")).unwrap();
    assert_eq!(
        out.matches("pbuild sim: Device OS 2.3.1, running user part")
            .count(),
        2,
        "a boot line before and after the flash:\n{out}\n{err}"
    );
    assert!(err.contains("the device left USB"), "{err}");
    assert!(err.matches("--- ").count() >= 2, "{err}");
}

#[test]
fn sim_exec_passes_on_the_exit_status_and_refuses_what_is_not_a_device() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = tmp.path().join("dev");
    sim(&dev, "photon", 2302, None);
    let r = Run::of_command(
        pbuild_command()
            .args(["sim", "exec", "--device"])
            .arg(&dev)
            .args([
                "--",
                "sh",
                "-c",
                "test -n \"$PBUILD_SIM_DEVICES\" && cat \"$PBUILD_SIM_DEVICES/tty\"; exit 7",
            ]),
    );
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("/dev/"),
        "the serial port: {}",
        r.stdout
    );
    assert!(
        !dev.join("tty").exists(),
        "the bus is gone with the command"
    );

    let r = Run::of_command(
        pbuild_command()
            .args(["sim", "exec", "--device"])
            .arg(tmp.path().join("nothing"))
            .args(["--", "true"]),
    )
    .fails(2);
    assert!(
        r.stderr.contains("is not a simulated device"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("pbuild sim create"), "{}", r.stderr);

    let r = Run::of_command(
        pbuild_command()
            .args(["sim", "exec", "--device"])
            .arg(&dev)
            .args(["--", "no-such-command-here"]),
    )
    .fails(2);
    assert!(r.stderr.contains("command not found"), "{}", r.stderr);

    // A command that is killed: the status says so (128 + signal, as a shell reports it).
    let mut child = pbuild_command()
        .args(["sim", "exec", "--device"])
        .arg(&dev)
        .args(["--", "sleep", "30"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        status.signal(),
        Some(15),
        "the command itself got the signal"
    );
}

#[test]
fn sim_create_makes_a_running_device_or_one_in_dfu_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let r = pbuild(tmp.path(), &["--platform", "p1", "sim", "create", "a"], &[]).ok();
    assert!(r.stdout.contains("It is running."), "{}", r.stdout);
    assert_eq!(mode(&tmp.path().join("a")), "normal");
    let r = pbuild(
        tmp.path(),
        &["--platform", "p1", "sim", "create", "b", "--dfu"],
        &[],
    )
    .ok();
    assert!(
        r.stdout.contains("in DFU mode (blinking yellow)"),
        "{}",
        r.stdout
    );
    let r = pbuild(
        tmp.path(),
        &["--platform", "p1", "sim", "create", "c", "--empty"],
        &[],
    )
    .ok();
    assert!(
        r.stdout.contains("in DFU mode"),
        "nothing to run: {}",
        r.stdout
    );
    // On the bus: dfu-util sees b and c, not the running a.
    let l = crate::flash::dfu_util(
        &["-l"],
        &[
            &tmp.path().join("a"),
            &tmp.path().join("b"),
            &tmp.path().join("c"),
        ],
    );
    let serials: Vec<&str> = l
        .stdout
        .lines()
        .filter(|x| x.starts_with("Found DFU") && x.contains("alt=0"))
        .collect();
    assert_eq!(serials.len(), 2, "{}", l.stdout);
    assert!(
        l.stdout.contains("devnum=6") && l.stdout.contains("devnum=7"),
        "{}",
        l.stdout
    );
}

fn dynamic_symbols(file: &Path, which: &str) -> Vec<String> {
    let out = Command::new("nm")
        .args(["-D", which])
        .arg(file)
        .output()
        .expect("nm (binutils) runs");
    assert!(out.status.success(), "nm {}", file.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .filter(|s| s.starts_with("libusb_"))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_simulated_libusb_exports_every_function_pbuild_and_dfu_util_import() {
    let have = dynamic_symbols(usbsim(), "--defined-only");
    let dfu_util = which("dfu-util").expect("dfu-util is installed (scripts/setup.sh)");
    for exe in [Path::new(PBUILD), dfu_util.as_path()] {
        let need = dynamic_symbols(exe, "--undefined-only");
        assert!(!need.is_empty(), "{} links libusb", exe.display());
        let missing: Vec<&String> = need.iter().filter(|n| !have.contains(n)).collect();
        assert!(missing.is_empty(), "{}: {missing:?}", exe.display());
    }
}

#[test]
fn sim_create_reads_the_platform_from_project_toml_and_unknown_faults_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("project.toml"), "platform = \"electron\"\n").unwrap();
    let r = pbuild(tmp.path(), &["sim", "create", "dev"], &[]).ok();
    assert!(r.stdout.contains("simulated electron"), "{}", r.stdout);
    let dev = tmp.path().join("dev");
    assert_eq!(sim_status(&dev)["platform"], "electron");

    std::fs::write(dev.join("fault"), "write-fails\nleave-okk\n").unwrap();
    let r = Run::of_command(
        pbuild_command()
            .args(["sim", "exec", "--device"])
            .arg(&dev)
            .args(["--", "true"]),
    )
    .fails(2);
    assert!(
        r.stderr
            .contains("fault:2: `leave-okk` is not a fault (known: permission-denied"),
        "{}",
        r.stderr
    );
    let r = pbuild(tmp.path(), &["sim", "status", "dev"], &[]).ok();
    assert!(
        r.stderr.contains("`leave-okk` is not a fault"),
        "{}",
        r.stderr
    );
}
