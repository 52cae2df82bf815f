//! Errors as the user sees them: the `error:` line, the `hint:` lines that say what to do next,
//! the JSON `error` line, and the exit code (as probe-rs' `diagnostics.rs` and just's error
//! rendering do). The library's errors are typed data; every piece of advice lives here.

use serde_json::json;

use crate::error::{Error, ToolKind};
use crate::flash::{FlashError, Remedy, UDEV_RULE};
use crate::sim::SimError;

/// The last hint line of errors about the machine rather than the input.
const DOCTOR: &str = "`pbuild doctor` checks everything build and flash need";

const DFU_MODE_HOWTO: &str = "put the device in DFU mode: hold MODE (SETUP), tap RESET, keep holding MODE until the LED blinks yellow, then release";

/// Show an error: `error:` and `hint:` lines on stderr; with `--message-format json` also an
/// `error` object on stdout, so a tool reading JSON lines learns why a command failed.
pub fn report(e: &Error, json: bool) {
    let hint = hint(e);
    eprint!(
        "{}",
        super::term::error_lines(&e.to_string(), hint.as_deref())
    );
    if json {
        outln!(
            "{}",
            json!({"reason": "error", "message": e.to_string(), "hint": hint, "exit_code": exit_code(e)})
        );
    }
}

/// Exit code: 1 for a failed build or flash, 2 for bad input or environment, 3 for a flash
/// refused by preflight, 130 for a flash stopped by Ctrl-C.
pub fn exit_code(e: &Error) -> i32 {
    match e {
        Error::BuildFailed { .. } => 1,
        Error::Flash(e) => flash_exit_code(e),
        Error::FlashRefused { .. } => 3,
        Error::FlashStopped { .. } => 130,
        _ => 2,
    }
}

fn flash_exit_code(e: &FlashError) -> i32 {
    match e {
        FlashError::Stopped { .. } => 130,
        FlashError::Interrupted { .. }
        | FlashError::Unplugged { .. }
        | FlashError::Failed { .. }
        | FlashError::NotWritable { .. } => 1,
        _ => 2,
    }
}

/// What the user can do about it, printed as `hint:` lines.
pub fn hint(e: &Error) -> Option<String> {
    match e {
        Error::Config { suggestion, .. } => suggestion.clone(),
        Error::UnknownPlatform {
            other: Some(generation),
            name,
            origin,
            ..
        } => Some(format!(
            "{name} is a Gen {generation} platform: pbuild builds the Gen 2 Photon, P1 and Electron only; use Particle Workbench or `particle compile` for it (from {origin})"
        )),
        Error::UnknownPlatform {
            suggestion, known, origin, ..
        } => Some(match suggestion {
            Some(s) => format!("did you mean `{s}`? (from {origin})"),
            None => format!("known platforms: {} (from {origin})", known.join(", ")),
        }),
        Error::TreeLacksPlatform { tree, .. } => Some(format!(
            "its build/platform-id.mk has no such platform: Device OS 4.0 and later build Gen 3 and 4 devices only; check out a 2.x or 3.x release there (`git -C {} checkout v2.3.1`) or give another tree with --tree",
            tree.display()
        )),
        Error::NoPlatform { properties_only: true } => Some(
            "project.properties does not name a platform: pass --platform photon|p1|electron, or put `platform = \"photon\"` in a project.toml next to it".into(),
        ),
        Error::NoPlatform { .. } => Some(
            "pass --platform photon|p1|electron, or set `platform = \"p1\"` in project.toml (`pbuild new NAME --platform P` writes one)".into(),
        ),
        Error::NoTree { .. } => Some(
            "pass --tree <path to a Device OS checkout>, set DEVICE_OS_PATH, or set `tree = \"…\"` in project.toml"
                .into(),
        ),
        Error::NoApp { .. } => Some(
            "apps given with --app live in <tree>/user/applications/<name>; use --appdir <dir> for an app elsewhere"
                .into(),
        ),
        Error::NoAppGiven { .. } => Some(
            "pass --app <name> or --appdir <dir>, or set `app`/`appdir` in project.toml".into(),
        ),
        Error::NoSources { .. } => Some("add a .cpp file with setup() and loop()".into()),
        Error::LinkLoop { link, .. } => Some(format!(
            "make would follow it forever too: point {} somewhere outside the directory that holds it, or remove it",
            link.display()
        )),
        Error::DanglingLink { link, .. } => Some(format!(
            "make would try to compile it and fail: fix or remove {}",
            link.display()
        )),
        Error::ToolMissing { kind, .. } => Some(format!("{}\n{DOCTOR}", install(*kind))),
        Error::ToolTooOld { .. } => Some(format!(
            "install a newer GNU Arm toolchain and put its bin/ first on PATH (Debian: apt-get install gcc-arm-none-eabi)\n{DOCTOR}"
        )),
        Error::TreeGccCheck {
            device_os,
            found,
            particle,
            ..
        } => Some(format!(
            "{}or build with gcc {found} anyway: --numeric-gcc-check (or `numeric_gcc_check = true` in project.toml) lets the tree's check through without changing the tree, and pbuild compares the versions as numbers",
            match particle {
                Some(p) => format!(
                    "with gcc {p}, the version Particle builds Device OS {device_os} with, the check passes: {};\n",
                    crate::config::compiler::how_to_get(p)
                ),
                None => String::new(),
            }
        )),
        Error::Import { output, .. } if !output.is_empty() => {
            Some(format!("make said:\n{}", tail_lines(output, 15)))
        }
        Error::BuildFailed { .. } => Some(
            "the previous good artifacts are untouched; fix the error above and run the build again".into(),
        ),
        Error::UnsafeTreePath { .. } => Some(
            "move or clone the tree to a path without one (e.g. ~/device-os); a symbolic link does not help, make resolves it. Apps and projects may have spaces in their paths".into(),
        ),
        Error::Unreadable { path, source } => Some(match source.kind() {
            std::io::ErrorKind::PermissionDenied => format!(
                "your user may not read it: `ls -l {0}` shows who may; `chmod a+r {0}` lets everyone read it",
                path.display()
            ),
            std::io::ErrorKind::InvalidData => {
                "it is not UTF-8 text: save it as UTF-8 (most editors have an encoding setting)".into()
            }
            _ => format!("check that {} is a readable file", path.display()),
        }),
        Error::Io { path, source } => match source.kind() {
            std::io::ErrorKind::StorageFull => Some(format!(
                "the disk holding {} is full: free some space (`df -h`), or put the build elsewhere with --target-dir / PBUILD_TARGET_DIR; nothing already built was lost",
                path.display()
            )),
            std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => {
                Some(format!(
                    "pbuild cannot write {}: build with --target-dir / PBUILD_TARGET_DIR on a writable disk",
                    path.display()
                ))
            }
            _ => None,
        },
        Error::FlashStopped { if_reset, .. } => Some(format!(
            "no leave request was sent: the device is still in DFU mode (blinking yellow); reset now, it would be {if_reset}\nrun `pbuild flash` again to finish: it writes only what is still missing"
        )),
        Error::Damaged { .. } => Some(
            "do not flash it: rebuild it (`pbuild build`), or download it again if it came from elsewhere".into(),
        ),
        Error::Busy { .. } => Some(
            "wait for it to finish (run again without --no-wait to wait), or stop it (a `pbuild watch` in another terminal?)".into(),
        ),
        Error::State { .. } => Some("remove the build state with `pbuild clean` if this persists".into()),
        Error::Flash(e) => flash_hint(e),
        Error::FlashRefused { remedies, .. } => {
            Some(remedies.iter().map(remedy).collect::<Vec<_>>().join("\n")).filter(|h| !h.is_empty())
        }
        Error::Sim(e) => sim_hint(e),
        Error::Watch { limit_reached: true, .. } => Some(
            "each watched directory takes one inotify watch; raise the limit:\n  \
             sudo sysctl fs.inotify.max_user_watches=524288\n\
             and keep it across reboots:\n  \
             echo fs.inotify.max_user_watches=524288 | sudo tee /etc/sysctl.d/90-inotify.conf"
                .into(),
        ),
        _ => None,
    }
}

/// How to get a missing program.
fn install(kind: ToolKind) -> &'static str {
    match kind {
        ToolKind::Compiler => {
            "install the GNU Arm toolchain: on Debian/Ubuntu `apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib`; or put its bin/ directory on PATH (or set GCC_ARM_PATH)"
        }
        ToolKind::Make => {
            "pbuild reads the build description from Device OS's makefiles: install GNU make (Debian: apt-get install make)"
        }
    }
}

/// One remedy for a refused flash, as a hint line.
pub fn remedy(r: &Remedy) -> String {
    match r {
        Remedy::BuildFor { platform } => format!(
            "build for the device with --platform {platform}, or select another device with --device"
        ),
        Remedy::AddSystem { why } => format!(
            "{why}: flash with --system auto (the default) to flash the tree's system parts first, or --target modules"
        ),
        Remedy::UpdateBootloader => "update the bootloader first: with the device in listening mode (blinking blue), `particle flash --serial bootloader-<version>-<platform>.bin` or `particle update` writes it in normal mode; then flash again".into(),
        Remedy::GiveBootloader { needs, why } => format!(
            "the system parts need bootloader >= {needs}, which pbuild stages for the system to apply, but {why}: give a bootloader file with them, e.g. `pbuild flash <system parts…> bootloader@<version>+lto.bin` (particle-cli's assets/updates, or a Device OS release)"
        ),
        Remedy::AllowDowngrade => "--allow-downgrade writes them anyway (an app built for the newer system then stays in safe mode until the system matches it)".into(),
        Remedy::Rebuild => "the binary is corrupt: rebuild it (`pbuild clean`, then flash again)".into(),
        Remedy::Force => "--force flashes it anyway".into(),
    }
}

fn udev_howto() -> String {
    format!(
        "on Linux, let your user open the device with a udev rule:\n  echo '{UDEV_RULE}' | sudo tee {}\n  sudo udevadm control --reload, then unplug and replug the device",
        crate::doctor::UDEV_RULE_PATH
    )
}

/// Hints for flashing errors.
pub fn flash_hint(e: &FlashError) -> Option<String> {
    Some(match e {
        FlashError::DfuUtilMissing { .. } => "install dfu-util (Debian/Ubuntu: sudo apt-get install dfu-util; Fedora: sudo dnf install dfu-util; macOS: brew install dfu-util), or name one with --dfu-util PATH or PBUILD_DFU_UTIL\nno hardware? `pbuild sim create dev --platform photon` and flash with --device sim:dev\n`pbuild doctor` checks everything build and flash need".into(),
        FlashError::NoDevice { .. } => format!(
            "plug it in with a data cable (some USB cables only charge); pbuild finds it running or in DFU mode\nif it is plugged in and still not found, it may be a permissions problem; {}\nif its LED is off or it does not start, {DFU_MODE_HOWTO}",
            udev_howto()
        ),
        FlashError::CannotOpen { .. } => format!("{}\n`pbuild doctor` checks the udev rule", udev_howto()),
        FlashError::SeveralDevices { devices } if !devices.is_empty() => format!(
            "choose one with --device SERIAL:{}",
            devices.iter().map(|d| format!("\n  {d}")).collect::<String>()
        ),
        FlashError::SeveralDevices { .. } | FlashError::NotFound { .. } => {
            "`pbuild device` lists the devices and their serials".into()
        }
        FlashError::Interrupted { label, cause, done, .. } => {
            let mut h = if *done == 0 && !cause.may_have_written() {
                format!("nothing was written: dfu-util stopped before touching the flash for {label}")
            } else {
                format!(
                    "no leave request was sent: the device is still in DFU mode (blinking yellow), with {label} incomplete{}; it cannot run the app like this, so run `pbuild flash` again to finish (do not reset it first)",
                    if *done > 0 { format!(" and {done} {} before it written", if *done == 1 { "image" } else { "images" }) } else { String::new() }
                )
            };
            if let Some(more) = flash_hint(cause) {
                h.push('\n');
                h.push_str(&more);
            }
            h
        }
        FlashError::Unplugged { label, written, not_written, when_back, .. } => format!(
            "the device is no longer on USB (unplugged, or it lost power): written: {written}; cut short: {label}; not written: {not_written}\nwhen it is powered again it will be {when_back}\nto finish, put it in DFU mode (hold MODE, tap RESET, release MODE when it blinks yellow) and run `pbuild flash` again: it writes only what is still missing"
        ),
        FlashError::NotWritable { .. } => "the Gen 2 bootloader only accepts DFU writes from 0x08020000 up; check the image with `pbuild inspect`".into(),
        FlashError::WrongDevice { .. } => "the .dfu file was made for another platform; rebuild for this device's platform".into(),
        FlashError::Failed { .. } | FlashError::ShortRead { .. } => {
            "run again with -v to see dfu-util's command lines and full output; a loose USB cable or hub is a common cause".into()
        }
        FlashError::ListFailed { exe, .. } => format!(
            "dfu-util lists with exit status 0, devices or none: check that {} is dfu-util (`{} -V`), or name the right one with --dfu-util PATH / PBUILD_DFU_UTIL",
            exe.display(),
            exe.display()
        ),
        FlashError::Stopped { .. } => "no leave request was sent: the device stays in DFU mode (blinking yellow). Run `pbuild flash` again to finish: it writes only what is still missing".into(),
        FlashError::UsbAccess { .. } => format!("{}\n`pbuild doctor` checks the udev rule", udev_howto()),
        FlashError::CannotEnterDfu { .. } => DFU_MODE_HOWTO.to_string(),
        FlashError::DfuTimeout { mode: "DFU mode", .. } => format!(
            "it was asked to reset into DFU mode and did not come back on USB: an app that blocks the system loop, or a hub that drops it, can do that\n{DFU_MODE_HOWTO}\nor give it longer with --dfu-timeout SECONDS"
        ),
        FlashError::DfuTimeout { .. } => "check the cable, then `pbuild device` to see what it is doing".into(),
        FlashError::Usb { .. } | FlashError::Spawn { .. } | FlashError::Io { .. } => return None,
    })
}

fn sim_hint(e: &SimError) -> Option<String> {
    match e {
        SimError::Exists { .. } => Some("choose a new or empty directory".into()),
        SimError::UnknownFault { .. } => Some("fix the word or remove the line (README: Simulated devices)".into()),
        SimError::NoBootloaderFor { .. } => Some("pass --bootloader-version".into()),
        SimError::NotADevice { .. } => {
            Some("make one with `pbuild sim create DIR --platform photon`".into())
        }
        SimError::NoUsbLibrary { .. } => Some(format!(
            "`cargo build` in pbuild's repository builds it next to pbuild (target/debug or target/release); or name it with {}",
            crate::sim::exec::USBSIM_ENV
        )),
        SimError::NotOnBus { .. } => Some(
            "name the directory with --device when starting `pbuild sim exec`, or run without `sim exec`".into(),
        ),
        _ => None,
    }
}

fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    lines[start..]
        .iter()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_say_what_to_do_in_order_and_exit_3() {
        let e = Error::FlashRefused {
            problems: vec!["x".into()],
            remedies: vec![Remedy::Rebuild, Remedy::Force],
        };
        assert_eq!(
            hint(&e).unwrap(),
            "the binary is corrupt: rebuild it (`pbuild clean`, then flash again)\n--force flashes it anyway"
        );
        assert_eq!(exit_code(&e), 3);
        let none = Error::FlashRefused {
            problems: vec![],
            remedies: vec![],
        };
        assert_eq!(hint(&none), None);
    }

    #[test]
    fn a_missing_tool_says_how_to_install_it_and_points_at_doctor() {
        let h = hint(&Error::ToolMissing {
            tool: "make".into(),
            kind: ToolKind::Make,
        })
        .unwrap();
        assert!(
            h.contains("apt-get install make") && h.ends_with(DOCTOR),
            "{h}"
        );
        assert_eq!(exit_code(&Error::BuildFailed { failed: 1 }), 1);
    }

    #[test]
    fn an_unreadable_settings_file_is_not_a_write_problem() {
        // Root reads any file, so the tests (run as root in CI) cannot make one unreadable:
        // the error is built here as reading it would make it.
        let e = Error::unreadable(
            "/p/project.toml",
            std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        );
        assert!(
            e.to_string().starts_with("cannot read /p/project.toml: "),
            "{e}"
        );
        let h = hint(&e).unwrap();
        assert!(
            h.contains("may not read") && h.contains("chmod a+r /p/project.toml"),
            "{h}"
        );
        assert!(!h.contains("write"), "{h}");
        assert_eq!(exit_code(&e), 2);
    }
}
