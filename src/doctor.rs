//! `pbuild doctor`: what `build` and `flash` need from this machine — the GNU Arm toolchain and
//! newlib, make, dfu-util, the udev rule for vendor 2b04, a Device OS tree whose paths make can
//! handle, a device in DFU mode, a native shell — one [`Check`] each, with the fix for what is
//! wrong. Runs tools and reads files; prints nothing.
//!
//! A `fail` blocks `build` or `flash` (see [`Check::blocks`]); a `warn` is worth fixing but does
//! not stop either.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use crate::config::platform::parse_version;
use crate::config::{Settings, Table};
use crate::error::Error;
use crate::flash::{Dfu, DfuTool, Event, FlashError, UDEV_RULE};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable id: `gcc`, `newlib`, `make`, `dfu-util`, `udev`, `tree` (or `config` when the
    /// settings around it are wrong), `paths`, `devices`, `shell`.
    pub name: &'static str,
    pub status: Status,
    /// One line: what was found.
    pub message: String,
    /// What to do about a `warn` or `fail` (may span lines: commands to run).
    pub fix: Option<String>,
    /// The commands that cannot work while this check fails (`build`, `flash`); empty for a warning.
    pub blocks: Vec<&'static str>,
}

impl Check {
    fn ok(name: &'static str, message: String) -> Check {
        Check {
            name,
            status: Status::Ok,
            message,
            fix: None,
            blocks: Vec::new(),
        }
    }

    fn warn(name: &'static str, message: String, fix: String) -> Check {
        Check {
            name,
            status: Status::Warn,
            message,
            fix: Some(fix),
            blocks: Vec::new(),
        }
    }

    fn fail(name: &'static str, message: String, fix: String, blocks: &'static str) -> Check {
        Check {
            name,
            status: Status::Fail,
            message,
            fix: Some(fix),
            blocks: vec![blocks],
        }
    }
}

/// Where the udev rule belongs.
pub const UDEV_RULE_PATH: &str = "/etc/udev/rules.d/50-particle.rules";

/// The directories udev reads rules from, local ones first.
pub const UDEV_DIRS: &[&str] = &[
    "/etc/udev/rules.d",
    "/run/udev/rules.d",
    "/lib/udev/rules.d",
    "/usr/lib/udev/rules.d",
];

/// What the checks look at; the command fills it from the real machine, tests from fakes.
pub struct Inputs<'a> {
    /// The settings as `build` would load them (with the tree), or why they could not be loaded.
    pub settings: Result<&'a Settings, &'a Error>,
    /// The compiler `build` would call (`arm-none-eabi-gcc`, with GCC_ARM_PATH/GCC_PREFIX).
    pub gcc: String,
    pub dfu_util: &'a dyn DfuTool,
    /// How the dfu-util executable was named (for messages).
    pub dfu_util_name: String,
    pub udev_dirs: Vec<PathBuf>,
    /// `std::env::consts::OS`.
    pub os: &'a str,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The platform table (none when project.toml or toolchains.toml cannot be read).
    pub table: Option<&'a Table>,
    /// What to do about an error (the front end's hints), for the fix of a failed check.
    pub hint: &'a dyn Fn(&Error) -> Option<String>,
}

/// Every check, in the order a person fixes them.
pub fn run(i: &Inputs<'_>, on_command: &mut dyn FnMut(&[String])) -> Vec<Check> {
    let mut checks = Vec::new();
    checks.extend(gcc(i, on_command));
    checks.push(make(i, on_command));
    if let Some(c) = launcher(i) {
        checks.push(c);
    }
    let (dfu_check, dfu_ok) = dfu_util(i, on_command);
    checks.push(dfu_check);
    if i.os == "linux" {
        checks.push(udev(&i.udev_dirs));
    }
    checks.push(tree(i));
    if let Ok(s) = i.settings {
        checks.extend(paths(s));
    }
    if dfu_ok {
        checks.push(devices(i, on_command));
    }
    checks.push(shell(i));
    checks
}

/// The exit code of `pbuild doctor`: 2 when something `build` or `flash` needs is missing.
pub fn exit_code(checks: &[Check]) -> i32 {
    if checks.iter().any(|c| c.status == Status::Fail) {
        2
    } else {
        0
    }
}

fn output(cmd: &str, args: &[&str], on_command: &mut dyn FnMut(&[String])) -> Option<String> {
    let mut argv = vec![cmd.to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    on_command(&argv);
    let out = Command::new(cmd)
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .ok()?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Some(text)
}

fn gcc_fix(os: &str) -> String {
    match os {
        "linux" => "sudo apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib   (Debian/Ubuntu)\nor unpack Arm's GNU toolchain (developer.arm.com) and put its bin/ on PATH, or set GCC_ARM_PATH to it".into(),
        "macos" => "brew install --cask gcc-arm-embedded\nor unpack Arm's GNU toolchain (developer.arm.com) and put its bin/ on PATH, or set GCC_ARM_PATH to it".into(),
        _ => "install Arm's GNU toolchain (developer.arm.com) and put its bin/ on PATH, or set GCC_ARM_PATH to it".into(),
    }
}

/// What Particle Workbench installed (`~/.particle/toolchains`), when it is there.
fn workbench() -> Option<Check> {
    use crate::config::workbench;
    let dir = workbench::toolchains_dir().filter(|d| d.is_dir())?;
    let list = |v: Vec<(String, PathBuf)>| match v.is_empty() {
        true => "none".to_string(),
        false => v.into_iter().map(|(v, _)| v).collect::<Vec<_>>().join(", "),
    };
    Some(Check::ok(
        "workbench",
        format!(
            "{}: Device OS {}; gcc {}",
            dir.display(),
            list(workbench::device_os_trees()),
            list(workbench::compilers(&crate::tool::gcc_prefix()))
        ),
    ))
}

fn gcc(i: &Inputs<'_>, on_command: &mut dyn FnMut(&[String])) -> Vec<Check> {
    let Some(path) = crate::tool::which(&i.gcc) else {
        return vec![Check::fail(
            "gcc",
            format!("{}: not found on PATH", i.gcc),
            gcc_fix(i.os),
            "build",
        )];
    };
    let exe = path.to_string_lossy().into_owned();
    let version = output(&exe, &["-dumpfullversion", "-dumpversion"], on_command)
        .map(|v| v.trim().to_string())
        .filter(|v| parse_version(v).is_some());
    let Some(version) = version else {
        return vec![Check::fail(
            "gcc",
            format!("{}: does not run or print a version", path.display()),
            gcc_fix(i.os),
            "build",
        )];
    };
    let found = match i.gcc.contains('/') {
        true => format!("{} {version}", i.gcc),
        false => format!("{} {version} ({})", i.gcc, path.display()),
    };
    // The build's own judgement (`compiler::judge`), so doctor says what the build will do.
    let mut checks = vec![match i.settings {
        Err(_) => Check::ok(
            "gcc",
            format!("{found}; no tree to check its version against"),
        ),
        Ok(s) => {
            let dos = &s.tree.version_string;
            let chosen = format!("{found}, from {}", s.compiler.origin);
            match crate::config::compiler::judge(s, &version) {
                Err(e @ Error::ToolTooOld { .. }) => {
                    Check::fail("gcc", format!("{chosen}: {e}"), gcc_fix(i.os), "build")
                }
                Err(e) => Check::fail(
                    "gcc",
                    format!("{chosen}: {e}"),
                    (i.hint)(&e).unwrap_or_else(|| gcc_fix(i.os)),
                    "build",
                ),
                Ok(Some(_)) => Check::warn(
                    "gcc",
                    format!(
                        "{chosen}; Device OS {dos} needs {} or newer, and Particle builds it with gcc {}: code from another gcc differs in size",
                        s.table.gcc_min_for(dos).unwrap_or("?"),
                        s.compiler.particle.as_deref().unwrap_or("?")
                    ),
                    format!(
                        "for the same code as Particle's: {}",
                        crate::config::compiler::how_to_get(
                            s.compiler.particle.as_deref().unwrap_or("?")
                        )
                    ),
                ),
                Ok(None) => Check::ok(
                    "gcc",
                    match s.table.gcc_min_for(dos) {
                        Some(n) => format!("{chosen}; Device OS {dos} needs {n} or newer"),
                        None => chosen,
                    },
                ),
            }
        }
    }];
    if let Some(c) = workbench() {
        checks.push(c);
    }
    // The rest of the toolchain the build runs, beside the compiler (Device OS `arm-tools.mk`:
    // `$(GCC_PREFIX)g++`, `gcc-ar`, `objcopy`).
    let gcc_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = gcc_name.strip_suffix("gcc").unwrap_or(&gcc_name);
    let missing: Vec<String> = ["g++", "gcc-ar", "objcopy"]
        .iter()
        .map(|tool| format!("{prefix}{tool}"))
        .filter(|name| !path.with_file_name(name).is_file())
        .collect();
    if !missing.is_empty() {
        checks.push(Check::fail(
            "tools",
            format!(
                "{} not found beside {}: the build runs {}",
                missing.join(", "),
                path.display(),
                if missing.len() == 1 { "it" } else { "them" }
            ),
            gcc_fix(i.os),
            "build",
        ));
    }
    // Debian's gcc-arm-none-eabi without libnewlib-arm-none-eabi links nothing: `nano.specs`
    // (which Device OS passes) is missing. gcc prints the bare name when it has no such file.
    let specs = output(&exe, &["-print-file-name=nano.specs"], on_command).unwrap_or_default();
    let specs = specs.trim();
    checks.push(if Path::new(specs).is_absolute() {
        Check::ok("newlib", format!("newlib-nano: {specs}"))
    } else {
        Check::fail(
            "newlib",
            format!("{}: no newlib (nano.specs not found), so nothing links", i.gcc),
            match i.os {
                "linux" => "sudo apt-get install libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib   (Debian/Ubuntu)\nor use Arm's GNU toolchain, which includes newlib".into(),
                _ => "use Arm's GNU toolchain (developer.arm.com), which includes newlib".into(),
            },
            "build",
        )
    });
    checks
}

/// The launcher put before every compile (`launcher`, --launcher, PBUILD_LAUNCHER), if one is set.
fn launcher(i: &Inputs<'_>) -> Option<Check> {
    let s = i.settings.ok()?;
    let first = s.launcher.first()?;
    Some(match crate::tool::which(first) {
        Some(p) => Check::ok(
            "launcher",
            format!("{} ({})", s.launcher.join(" "), p.display()),
        ),
        None => Check::fail(
            "launcher",
            format!("the launcher `{first}` is not found on PATH: every compile would fail"),
            "install it, or remove `launcher` from project.toml (or --launcher / PBUILD_LAUNCHER)"
                .into(),
            "build",
        ),
    })
}

fn make(i: &Inputs<'_>, on_command: &mut dyn FnMut(&[String])) -> Check {
    let fix = match i.os {
        "linux" => "sudo apt-get install make   (Debian/Ubuntu)",
        "macos" => "xcode-select --install   (or brew install make)",
        _ => "install GNU make and put it on PATH",
    }
    .to_string();
    let Some(path) = crate::tool::which("make") else {
        return Check::fail(
            "make",
            "make: not found on PATH (pbuild reads the build steps from Device OS's makefiles)"
                .into(),
            fix,
            "build",
        );
    };
    let version = output(&path.to_string_lossy(), &["--version"], on_command)
        .and_then(|v| v.lines().next().map(str::to_string))
        .unwrap_or_default();
    if !version.starts_with("GNU Make") {
        return Check::fail(
            "make",
            format!(
                "{} is not GNU make ({}); Device OS's makefiles need GNU make",
                path.display(),
                if version.is_empty() {
                    "no --version"
                } else {
                    &version
                }
            ),
            fix,
            "build",
        );
    }
    Check::ok("make", format!("{version} ({})", path.display()))
}

fn dfu_util_fix(os: &str) -> String {
    let install = match os {
        "linux" => {
            "sudo apt-get install dfu-util   (Debian/Ubuntu; Fedora: sudo dnf install dfu-util)"
        }
        "macos" => "brew install dfu-util",
        _ => "install dfu-util (dfu-util.sourceforge.net) and put it on PATH",
    };
    format!(
        "{install}\nor name one with --dfu-util PATH or PBUILD_DFU_UTIL; no hardware? `pbuild sim create dev --platform photon`, then --device sim:dev"
    )
}

/// The dfu-util check, and whether dfu-util can be run for the device listing.
fn dfu_util(i: &Inputs<'_>, on_command: &mut dyn FnMut(&[String])) -> (Check, bool) {
    let args = vec!["-V".to_string()];
    let mut argv = vec![i.dfu_util_name.clone()];
    argv.extend(args.iter().cloned());
    on_command(&argv);
    let run = match i.dfu_util.run(&args) {
        Ok(r) => r,
        Err(FlashError::DfuUtilMissing { exe }) => {
            return (
                Check::fail(
                    "dfu-util",
                    format!("{}: not found", exe.display()),
                    dfu_util_fix(i.os),
                    "flash",
                ),
                false,
            );
        }
        Err(e) => {
            return (
                Check::fail("dfu-util", e.to_string(), dfu_util_fix(i.os), "flash"),
                false,
            );
        }
    };
    let first = run
        .stdout
        .lines()
        .chain(run.stderr.lines())
        .find(|l| l.starts_with("dfu-util "))
        .unwrap_or("")
        .trim()
        .to_string();
    let version = first.strip_prefix("dfu-util ").unwrap_or("").to_string();
    let shown = match crate::tool::which(&i.dfu_util_name) {
        Some(p) => format!("{first} ({})", p.display()),
        None => format!("{first} ({})", i.dfu_util_name),
    };
    match parse_version(&version) {
        None => (
            Check::fail(
                "dfu-util",
                format!(
                    "{}: -V printed no `dfu-util <version>` line",
                    i.dfu_util_name
                ),
                dfu_util_fix(i.os),
                "flash",
            ),
            false,
        ),
        Some(v) if v < (0, 9, 0) => (
            Check::warn(
                "dfu-util",
                format!(
                    "{shown}: before 0.9, listings have no USB path, so devices are told apart only by serial"
                ),
                "install dfu-util 0.9 or newer (0.11 is current)".into(),
            ),
            true,
        ),
        Some(_) => (Check::ok("dfu-util", shown), true),
    }
}

/// A rules file line (not a comment) that matches USB vendor 2b04.
fn rule_for_particle(line: &str) -> bool {
    let l = line.trim();
    !l.starts_with('#') && l.contains("idVendor}==\"2b04\"")
}

fn udev(dirs: &[PathBuf]) -> Check {
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "rules"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            if text.lines().any(rule_for_particle) {
                return Check::ok(
                    "udev",
                    format!(
                        "udev rule for Particle devices (USB vendor 2b04): {}",
                        f.display()
                    ),
                );
            }
        }
    }
    let looked: Vec<String> = dirs
        .iter()
        .filter(|d| d.is_dir())
        .map(|d| d.display().to_string())
        .collect();
    Check::warn(
        "udev",
        format!(
            "no udev rule for USB vendor 2b04 (Particle){}: only root can open a device in DFU mode",
            if looked.is_empty() {
                String::new()
            } else {
                format!(" in {}", looked.join(", "))
            }
        ),
        format!(
            "add particle-cli's rule as {UDEV_RULE_PATH}, reload udev, replug the device:\n  echo '{UDEV_RULE}' | sudo tee {UDEV_RULE_PATH}\n  sudo udevadm control --reload"
        ),
    )
}

fn tree(i: &Inputs<'_>) -> Check {
    let s = match i.settings {
        Ok(s) => s,
        Err(e) => {
            let name = match e {
                Error::NoTree { .. } | Error::NotATree { .. } => "tree",
                _ => "config",
            };
            return Check::fail(
                name,
                e.to_string().replace("\n  ", "; ").replace('\n', "; "),
                (i.hint)(e).unwrap_or_else(|| "pass --tree <Device OS checkout>".into()),
                "build",
            );
        }
    };
    let supported: Vec<String> = s
        .table
        .platforms
        .iter()
        .filter(|p| s.tree.root.join("modules").join(&p.modules).is_dir())
        .map(|p| format!("{} ({})", p.name, p.id))
        .collect();
    let at = format!(
        "Device OS {} at {} (from {}){}",
        s.tree.version_string,
        s.tree.root.display(),
        s.tree_origin,
        match (&s.platform, &s.platform_origin) {
            (Some(p), Some(o)) => format!("; platform {} (from {o})", p.name),
            _ => String::new(),
        }
    );
    if supported.is_empty() {
        return Check::fail(
            "tree",
            format!("{at}: no modules/<platform> directory for photon, p1 or electron"),
            "use a Device OS checkout with Gen 2 support (a release before 4.0.0, e.g. v2.3.1)"
                .into(),
            "build",
        );
    }
    if let Some(p) = &s.platform
        && !s.tree.root.join("modules").join(&p.modules).is_dir()
    {
        return Check::fail(
            "tree",
            format!(
                "{at} has no modules/{} for the platform {}",
                p.modules, p.name
            ),
            format!("build for one of: {}", supported.join(", ")),
            "build",
        );
    }
    Check::ok("tree", format!("{at}, platforms {}", supported.join(", ")))
}

/// Device OS's makefiles split paths at spaces; pbuild's own target directory may have them.
fn paths(s: &Settings) -> Option<Check> {
    let mut bad: Vec<String> = Vec::new();
    let root = s.tree.root.display().to_string();
    if root.contains(' ') {
        bad.push(format!("the tree `{root}`"));
    }
    if let Some(a) = &s.app {
        let dir = a.dir.display().to_string();
        if dir.contains(' ') && !a.dir.starts_with(&s.tree.root) {
            bad.push(format!("the app directory `{dir}`"));
        }
    }
    if bad.is_empty() {
        return Some(Check::ok(
            "paths",
            "no spaces in the tree or app paths".into(),
        ));
    }
    Some(Check::fail(
        "paths",
        format!(
            "{} contains a space: Device OS's makefiles split paths at spaces, so make cannot build it",
            bad.join(" and ")
        ),
        "move or symlink it to a path without spaces (e.g. `ln -s \"<path>\" ~/device-os`) and use that path".into(),
        "build",
    ))
}

fn devices(i: &Inputs<'_>, on_command: &mut dyn FnMut(&[String])) -> Check {
    let mut events = |e: Event<'_>| {
        if let Event::Command(args) = e {
            let mut argv = vec![i.dfu_util_name.clone()];
            argv.extend(args.iter().cloned());
            on_command(&argv);
        }
    };
    let Some(table) = i.table else {
        return Check::warn(
            "devices",
            "not looked for: the platform table could not be read (see the check above)".into(),
            "fix project.toml / toolchains.toml first".into(),
        );
    };
    let mut dfu = Dfu {
        tool: i.dfu_util,
        on_event: &mut events,
    };
    let listing = match dfu.list(table) {
        Ok(l) => l,
        Err(e) => {
            return Check::warn(
                "devices",
                format!("`{} -l` failed: {e}", i.dfu_util_name),
                "run `pbuild -v device` to see dfu-util's output".into(),
            );
        }
    };
    let particle: Vec<String> = listing
        .devices
        .iter()
        .filter(|d| d.platform_id().is_some())
        .map(|d| d.describe())
        .collect();
    if !listing.cannot_open.is_empty() {
        return Check::fail(
            "devices",
            format!(
                "dfu-util sees a device but may not open it: {}",
                listing.cannot_open.join("; ")
            ),
            format!(
                "add particle-cli's rule as {UDEV_RULE_PATH}, reload udev, replug the device:\n  echo '{UDEV_RULE}' | sudo tee {UDEV_RULE_PATH}\n  sudo udevadm control --reload"
            ),
            "flash",
        );
    }
    // Running devices, through libusb as `pbuild flash` reaches them.
    let running: Vec<crate::usb::Attached> = crate::usb::attached(table)
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d.mode == crate::usb::UsbMode::Normal)
        .collect();
    if let Some(d) = running.iter().find(|d| d.denied) {
        return Check::fail(
            "devices",
            format!("{} is attached but may not be opened", d.describe()),
            format!(
                "add particle-cli's rule as {UDEV_RULE_PATH}, reload udev, replug the device:\n  echo '{UDEV_RULE}' | sudo tee {UDEV_RULE_PATH}\n  sudo udevadm control --reload"
            ),
            "flash",
        );
    }
    if particle.is_empty() && running.is_empty() {
        return Check::warn(
            "devices",
            "no Particle device on USB (needed only to flash or read a device)".into(),
            "plug it in with a data cable; pbuild finds it running or in DFU mode".into(),
        );
    }
    let mut found = Vec::new();
    if !particle.is_empty() {
        found.push(format!("in DFU mode: {}", particle.join(", ")));
    }
    if !running.is_empty() {
        found.push(format!(
            "running: {}",
            running
                .iter()
                .map(crate::usb::Attached::describe)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Check::ok("devices", found.join("; "))
}

fn shell(i: &Inputs<'_>) -> Check {
    let msystem = (i.env)("MSYSTEM").filter(|v| !v.is_empty());
    let ostype = (i.env)("OSTYPE").filter(|v| {
        let v = v.to_ascii_lowercase();
        v.contains("cygwin") || v.contains("msys")
    });
    let under = match (msystem, ostype) {
        (Some(m), _) => Some(format!("MSYS2 (MSYSTEM={m})")),
        (None, Some(o)) => Some(format!("Cygwin/MSYS (OSTYPE={o})")),
        (None, None) => None,
    };
    match under {
        Some(what) => Check::warn(
            "shell",
            format!("running under {what}: dfu-util and the DFU driver are known to misbehave there (devices not found, paths mangled)"),
            "run pbuild and dfu-util from a native Windows shell (cmd or PowerShell) with the native Windows dfu-util, or use WSL2 with usbipd-win".into(),
        ),
        None => Check::ok("shell", format!("native {} shell", i.os)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udev_rule_found_only_when_a_live_line_names_vendor_2b04() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("60-dfu-util.rules"),
            "# ATTRS{idVendor}==\"2b04\"\nACTION==\"add\", SUBSYSTEM==\"usb\", ATTRS{idVendor}==\"1d50\", TAG+=\"uaccess\"\n",
        )
        .unwrap();
        let c = udev(&[dir.path().to_path_buf()]);
        assert_eq!(c.status, Status::Warn);
        let fix = c.fix.unwrap();
        assert!(
            fix.contains(UDEV_RULE) && fix.contains(UDEV_RULE_PATH),
            "{fix}"
        );

        std::fs::write(
            dir.path().join("50-particle.rules"),
            format!("{UDEV_RULE}\n"),
        )
        .unwrap();
        let c = udev(&[dir.path().to_path_buf()]);
        assert_eq!(c.status, Status::Ok, "{}", c.message);
        assert!(c.message.contains("50-particle.rules"), "{}", c.message);
    }

    #[test]
    fn particle_cli_rules_file_counts_as_installed() {
        let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/testdata/particle-cli-2.16.0/assets/50-particle.rules");
        let Ok(text) = std::fs::read_to_string(&rules) else {
            eprintln!("skipped: {} not fetched", rules.display());
            return;
        };
        assert!(text.lines().any(rule_for_particle));
        // pbuild's rule is particle-cli's Gen 2/3 line, verbatim.
        assert!(text.lines().any(|l| l == UDEV_RULE));
    }

    fn shell_with(vars: &[(&str, &str)]) -> Check {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let env = move |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let err = Error::NoPlatform {
            properties_only: false,
        };
        let i = Inputs {
            settings: Err(&err),
            gcc: String::new(),
            dfu_util: &crate::flash::Process::choose(None),
            dfu_util_name: "dfu-util".into(),
            udev_dirs: Vec::new(),
            os: "windows",
            env: &env,
            table: None,
            hint: &|_| None,
        };
        shell(&i)
    }

    #[test]
    fn msys_and_cygwin_are_warned_about() {
        let c = shell_with(&[("MSYSTEM", "MINGW64")]);
        assert_eq!(c.status, Status::Warn);
        assert!(c.message.contains("MSYSTEM=MINGW64"), "{}", c.message);
        assert_eq!(shell_with(&[("OSTYPE", "cygwin")]).status, Status::Warn);
        assert_eq!(shell_with(&[("OSTYPE", "linux-gnu")]).status, Status::Ok);
        assert_eq!(shell_with(&[]).status, Status::Ok);
    }
}
