//! The flashing commands — `flash`, `device`, `inspect`, `sim` — and how their results and errors
//! are shown: build, find the device, read what it has, preflight, flash; hints for every
//! dfu-util failure.

use std::path::Path;
use std::time::Instant;

use serde_json::json;

use crate::build::Artifact;
use crate::cli::{Cli, MessageFormat, TargetArg};
use crate::cli_flash::{
    DeviceArgs, DfuArgs, FlashArgs, InspectArgs, SimCommand, SimCreateArgs, SimStatusArgs,
    SystemPolicy,
};
use crate::config::{Overrides, Platform, Settings, Table, Target};
use crate::device::boot::Boot;
use crate::device::installed::Installed;
use crate::device::preflight::{self, Image, Plan};
use crate::device::{Layout, versions};
use crate::error::{Error, Result};
use crate::flash::{self, Dfu, DfuDevice, Event, FlashError, Note, Process, UDEV_RULE};
use crate::sim::{CreateOptions, SimDevice, SimError};

const DFU_MODE_HOWTO: &str = "put the device in DFU mode: hold MODE (SETUP), tap RESET, keep holding MODE until the LED blinks yellow, then release";

fn udev_howto() -> String {
    format!(
        "on Linux, let your user open the device with a udev rule:\n  echo '{UDEV_RULE}' | sudo tee {}\n  sudo udevadm control --reload, then unplug and replug the device",
        crate::doctor::UDEV_RULE_PATH
    )
}

/// Hints for flashing errors, shown by the CLI.
pub fn flash_hint(e: &FlashError) -> Option<String> {
    Some(match e {
        FlashError::DfuUtilMissing { exe } if exe.file_name().is_some_and(|n| n == "dfu-util-sim") => format!(
            "the dfu-util stand-in is built and installed with pbuild (`cargo build` builds both binaries); expected it at {}",
            exe.display()
        ),
        FlashError::DfuUtilMissing { .. } => "install dfu-util (Debian/Ubuntu: sudo apt-get install dfu-util; Fedora: sudo dnf install dfu-util; macOS: brew install dfu-util), or name one with --dfu-util PATH or PBUILD_DFU_UTIL\nno hardware? `pbuild sim create dev --platform photon` and flash with --device sim:dev\n`pbuild doctor` checks everything build and flash need".into(),
        FlashError::NoDevice { .. } => format!(
            "{DFU_MODE_HOWTO}\nif it blinks yellow and is still not found, it may be a permissions problem; {}",
            udev_howto()
        ),
        FlashError::CannotOpen { .. } => format!("{}\n`pbuild doctor` checks the udev rule", udev_howto()),
        FlashError::SeveralDevices { devices } if !devices.is_empty() => format!(
            "choose one with --device SERIAL:{}",
            devices.iter().map(|d| format!("\n  {d}")).collect::<String>()
        ),
        FlashError::SeveralDevices { .. } | FlashError::NotFound { .. } => {
            "`pbuild device` lists the devices in DFU mode and their serials".into()
        }
        FlashError::Interrupted { label, cause, done, .. } => {
            let mut h = if *done == 0 && !cause.may_have_written() {
                format!("nothing was written: dfu-util stopped before touching the flash for {label}")
            } else {
                format!(
                    "no leave request was sent: the device is still in DFU mode (blinking yellow), with {label} incomplete{}; it cannot run the app like this, so run `pbuild flash` again to finish (do not reset it first)",
                    if *done > 0 { format!(" and {done} image(s) before it written") } else { String::new() }
                )
            };
            if let Some(more) = flash_hint(cause) {
                h.push('\n');
                h.push_str(&more);
            }
            h
        }
        FlashError::NotWritable { .. } => "the Gen 2 bootloader only accepts DFU writes from 0x08020000 up; check the image with `pbuild inspect`".into(),
        FlashError::WrongDevice { .. } => "the .dfu file was made for another platform; rebuild for this device's platform".into(),
        FlashError::Failed { .. } | FlashError::ShortRead { .. } => {
            "run again with -v to see dfu-util's command lines and full output; a loose USB cable or hub is a common cause".into()
        }
        FlashError::Stopped { .. } => "no leave request was sent: the device stays in DFU mode (blinking yellow). Run `pbuild flash` again to finish: it writes only what is still missing".into(),
        FlashError::Spawn { .. } | FlashError::Io { .. } => return None,
    })
}

pub fn flash_exit_code(e: &FlashError) -> i32 {
    match e {
        FlashError::Stopped { .. } => 130,
        FlashError::Interrupted { .. }
        | FlashError::Failed { .. }
        | FlashError::NotWritable { .. } => 1,
        _ => 2,
    }
}

pub fn sim_hint(e: &SimError) -> Option<String> {
    match e {
        SimError::Exists { .. } => Some("remove the directory or choose another one".into()),
        SimError::NoBootloaderFor { .. } => Some("pass --bootloader-version".into()),
        SimError::NotADevice { .. } => {
            Some("make one with `pbuild sim create DIR --platform photon`".into())
        }
        _ => None,
    }
}

fn json_mode(cli: &Cli, flag: bool) -> bool {
    flag || cli.global.message_format == MessageFormat::Json
}

fn shown(p: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    crate::paths::shown(p, &cwd)
}

// ---------------------------------------------------------------------------------------------
// inspect

pub fn inspect(cli: &Cli, args: &InspectArgs) -> Result<()> {
    let json = json_mode(cli, args.json);
    let mut damaged = Vec::new();
    for file in &args.files {
        let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
        let inspection = crate::inspect::inspect_bytes(&bytes);
        for p in &inspection.problems {
            damaged.push(format!("{}: {p}", file.display()));
        }
        if json {
            let mut v = serde_json::to_value(&inspection).unwrap_or_default();
            if let Some(map) = v.as_object_mut() {
                map.insert("reason".into(), json!("inspect"));
                map.insert("file".into(), json!(file));
            }
            println!("{v}");
        } else {
            print!("{}", crate::inspect::render_text(&inspection, file));
        }
    }
    if damaged.is_empty() {
        Ok(())
    } else {
        Err(Error::Damaged { problems: damaged })
    }
}

// ---------------------------------------------------------------------------------------------
// sim

pub fn sim(cli: &Cli, cmd: &SimCommand) -> Result<()> {
    match cmd {
        SimCommand::Create(a) => sim_create(cli, a),
        SimCommand::Status(a) => sim_status(cli, a),
    }
}

fn platform_named(name: Option<&str>) -> Result<Platform> {
    let table = Table::embedded();
    let name = name.ok_or(Error::NoPlatform {
        properties_only: false,
    })?;
    table
        .find(name)
        .cloned()
        .ok_or_else(|| Error::UnknownPlatform {
            name: name.to_string(),
            origin: "--platform".into(),
            suggestion: table.nearest(name).map(str::to_string),
            known: table.names(),
        })
}

fn sim_create(cli: &Cli, a: &SimCreateArgs) -> Result<()> {
    let platform = platform_named(cli.global.platform.as_deref())?;
    let dev = SimDevice::create(
        &a.dir,
        &CreateOptions {
            platform: &platform,
            system_version: a.system_version,
            bootloader_version: a.bootloader_version,
            serial: a.serial.clone(),
            empty: a.empty,
        },
    )?;
    if cli.global.message_format == MessageFormat::Json {
        println!("{}", sim_json(&dev));
    } else if !cli.global.quiet {
        let installed = dev.installed();
        println!(
            "Created a simulated {} in {}: serial {}, bootloader {}, {}",
            platform.name,
            shown(&a.dir),
            dev.identity.serial,
            installed
                .bootloader_version()
                .map_or("none".into(), |b| b.to_string()),
            if a.empty {
                "no system firmware, no app".to_string()
            } else {
                format!("system {} and an app", versions::describe(a.system_version))
            }
        );
        println!("Flash it with: pbuild flash --device sim:{}", shown(&a.dir));
    }
    Ok(())
}

fn sim_json(dev: &SimDevice) -> serde_json::Value {
    let installed = dev.installed();
    let b = crate::device::boot::boot(&installed);
    let (vid, pid) = dev.dfu_ids();
    json!({
        "reason": "sim-status",
        "dir": dev.dir,
        "platform": dev.platform.name,
        "platform_id": dev.platform.id,
        "serial": dev.identity.serial,
        "dfu": format!("{vid:04x}:{pid:04x}"),
        "state": b.state,
        "led": b.led,
        "reasons": b.reasons,
        "slots": installed.slots.iter().map(|s| s.report()).collect::<Vec<_>>(),
        "boots": dev.boots(),
    })
}

fn sim_status(cli: &Cli, a: &SimStatusArgs) -> Result<()> {
    let dev = SimDevice::open(&a.dir)?;
    if json_mode(cli, a.json) {
        println!("{}", sim_json(&dev));
        return Ok(());
    }
    let (vid, pid) = dev.dfu_ids();
    println!(
        "simulated {} ({}), serial {}, DFU {vid:04x}:{pid:04x}",
        dev.platform.name, dev.platform.id, dev.identity.serial
    );
    let installed = dev.installed();
    print!("{}", render_slots(&installed));
    print!(
        "{}",
        render_boot("at reset", &crate::device::boot::boot(&installed))
    );
    let boots = dev.boots();
    if !boots.is_empty() {
        println!(
            "resets logged: {} (last: {})",
            boots.len(),
            boots[boots.len() - 1]
        );
    }
    Ok(())
}

fn render_slots(installed: &Installed) -> String {
    let mut out = String::new();
    for s in &installed.slots {
        let mut line = format!(
            "  {:<14} {:#010x}  {}",
            s.slot.kind.to_string(),
            s.slot.start,
            s.describe()
        );
        if let Some(m) = s.module() {
            let deps: Vec<String> = m.dependencies().map(|d| d.to_string()).collect();
            if !deps.is_empty() {
                line.push_str(&format!(", needs {}", deps.join(", ")));
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn render_boot(when: &str, b: &Boot) -> String {
    let mut out = format!("{when}: {} ({})\n", b.state, b.led);
    for r in &b.reasons {
        out.push_str(&format!("  because {r}\n"));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// reaching devices

/// The dfu-util to run and the device asked for.
pub(crate) struct Connection {
    pub(crate) tool: Process,
    pub(crate) serial: Option<String>,
}

impl Connection {
    pub(crate) fn from_args(a: &DfuArgs) -> Result<Connection> {
        match a.device.as_deref().and_then(|d| d.strip_prefix("sim:")) {
            Some(dir) => {
                let exe = match &a.dfu_util {
                    Some(p) => p.clone(),
                    None => std::env::current_exe()
                        .map_err(|e| Error::io("pbuild executable", e))?
                        .with_file_name(format!("dfu-util-sim{}", std::env::consts::EXE_SUFFIX)),
                };
                let dir = crate::paths::absolute(Path::new(dir));
                SimDevice::open(&dir)?;
                let mut tool = Process {
                    exe,
                    envs: Vec::new(),
                };
                tool.envs
                    .push(("PBUILD_SIM_DEVICES".into(), dir.into_os_string()));
                Ok(Connection { tool, serial: None })
            }
            None => Ok(Connection {
                tool: Process::choose(a.dfu_util.clone()),
                serial: a.device.clone(),
            }),
        }
    }
}

/// Prints dfu-util command lines (verbose) and reads (verbose).
pub(crate) fn event_printer(verbose: bool, quiet: bool) -> impl FnMut(Event<'_>) {
    move |e| match e {
        Event::Command(args) if verbose => eprintln!("  $ dfu-util {}", args.join(" ")),
        Event::Reading { address, len } if verbose => {
            eprintln!("  reading {len} bytes at {address:#010x}")
        }
        Event::Writing { n, total, write } if !quiet => eprintln!(
            "Flashing [{n}/{total}] {} ({}, {} bytes) at {:#010x}{}",
            write.label,
            write.what,
            write.len,
            write.address,
            if write.leave { ", then reset" } else { "" }
        ),
        Event::Written { note, seconds, .. } if !quiet => {
            eprintln!("  done in {seconds:.1}s");
            if note == Note::LeftWithStatusError {
                eprintln!(
                    "  (dfu-util's \"Error during download get_status\" after the leave request is the device resetting, as asked: not an error)"
                );
            }
        }
        _ => {}
    }
}

pub(crate) fn platform_of(dev: &DfuDevice) -> Option<Platform> {
    dev.platform_id()
        .and_then(|id| Table::embedded().by_id(id).cloned())
}

// ---------------------------------------------------------------------------------------------
// device

pub fn device(cli: &Cli, args: &DeviceArgs) -> Result<()> {
    let g = &cli.global;
    let json = json_mode(cli, args.json);
    let conn = Connection::from_args(&args.dfu)?;
    let mut printer = event_printer(g.verbose, g.quiet);
    let mut dfu = Dfu {
        tool: &conn.tool,
        on_event: &mut printer,
        stop: None,
    };
    let listing = dfu.list()?;
    let chosen: Vec<DfuDevice> = match &conn.serial {
        Some(_) => vec![flash::select(&listing, conn.serial.as_deref())?.clone()],
        None => {
            let all: Vec<DfuDevice> = listing
                .devices
                .iter()
                .filter(|d| d.platform_id().is_some())
                .cloned()
                .collect();
            if all.is_empty() {
                flash::select(&listing, None)?;
            }
            all
        }
    };
    for dev in &chosen {
        let Some(platform) = platform_of(dev) else {
            continue;
        };
        let installed = dfu.read_installed(dev, &Layout::of(&platform))?;
        let b = crate::device::boot::boot(&installed);
        if json {
            println!(
                "{}",
                json!({
                    "reason": "device",
                    "platform": platform.name,
                    "platform_id": platform.id,
                    "serial": dev.serial,
                    "dfu": format!("{:04x}:{:04x}", dev.vid, dev.pid),
                    "path": dev.path,
                    "slots": installed.slots.iter().map(|s| s.report()).collect::<Vec<_>>(),
                    "at_reset": b,
                })
            );
        } else {
            println!(
                "{}{}",
                dev.describe(),
                if dev.path.is_empty() {
                    String::new()
                } else {
                    format!(", USB path {}", dev.path)
                }
            );
            print!("{}", render_slots(&installed));
            print!("{}", render_boot("at reset", &b));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// flash

fn build_target(s: &Settings, cli: &Cli) -> Result<Vec<Artifact>> {
    let g = &cli.global;
    let started = Instant::now();
    let out = crate::commands::build_with_progress(s, g.quiet, g.verbose, false)?;
    if !out.outcome.failed.is_empty() {
        return Err(Error::BuildFailed {
            failed: out.outcome.failed.len(),
        });
    }
    if g.message_format == MessageFormat::Json {
        for a in &out.artifacts {
            println!(
                "{}",
                json!({"reason": "artifact", "module": a.module, "platform": a.platform,
                       "bin": a.bin, "elf": a.elf, "dfu": a.dfu})
            );
        }
    } else if !g.quiet {
        eprintln!(
            "Built {} {} in {:.2}s: {} of {} steps ran",
            s.platform()?.name,
            s.target.name(),
            started.elapsed().as_secs_f64(),
            out.outcome.ran,
            out.outcome.total
        );
    }
    Ok(out.artifacts)
}

/// The images to flash for built artifacts: the `.dfu` file when it holds exactly the `.bin`
/// (dfu-util then also checks the VID:PID), else the `.bin`. `raw` always takes the `.bin`
/// (`--force`: dfu-util would refuse a `.dfu` made for another platform).
pub fn images_of(artifacts: &[Artifact], raw: bool) -> Result<Vec<Image>> {
    let mut images = Vec::new();
    for a in artifacts {
        let bin = std::fs::read(&a.bin).map_err(|e| Error::io(&a.bin, e))?;
        let label = a
            .bin
            .file_name()
            .map_or_else(|| a.module.clone(), |n| n.to_string_lossy().into_owned());
        let dfu = std::fs::read(&a.dfu)
            .ok()
            .filter(|d| !raw && crate::image::strip_dfu_suffix(d).0 == bin.as_slice());
        images.push(match dfu {
            Some(d) => Image::from_bytes(a.dfu.clone(), label, &d),
            None => Image::from_bytes(a.bin.clone(), label, &bin),
        });
    }
    Ok(images)
}

fn settings_for(mut o: Overrides, cwd: &Path, target: Option<Target>) -> Result<Settings> {
    if target.is_some() {
        o.target = target;
    }
    Settings::load(&o, cwd)
}

pub fn flash(cli: &Cli, args: &FlashArgs, mut o: Overrides, cwd: &Path) -> Result<()> {
    let g = &cli.global;
    let json = g.message_format == MessageFormat::Json;
    o.jobs = args.jobs;
    let target = args.target.map(|t| match t {
        TargetArg::Main => Target::Main,
        TargetArg::Modules => Target::Modules,
    });

    let conn = Connection::from_args(&args.dfu)?;
    let mut human = event_printer(g.verbose, g.quiet || json);
    let mut printer = |e: Event<'_>| {
        if let (
            true,
            Event::Written {
                n,
                total,
                write,
                note,
                seconds,
            },
        ) = (json, &e)
        {
            println!(
                "{}",
                json!({"reason": "flash-written", "n": n, "total": total, "file": write.path,
                       "what": write.what, "address": write.address, "len": write.len,
                       "leave": write.leave, "seconds": seconds,
                       "reset_status_error": *note == Note::LeftWithStatusError})
            );
        }
        human(e)
    };
    // Ctrl-C or SIGTERM while images are written: finish the one being written, then stop and
    // say where the device stands. A second Ctrl-C quits at once.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register_conditional_shutdown(sig, 130, stop.clone());
        let _ = signal_hook::flag::register(sig, stop.clone());
    }
    let mut dfu = Dfu {
        tool: &conn.tool,
        on_event: &mut printer,
        stop: Some(&stop),
    };
    let listing = dfu.list()?;
    let dev = flash::select(&listing, conn.serial.as_deref())?.clone();
    let device_platform = platform_of(&dev).ok_or_else(|| {
        Error::Other(format!("{} is not a Particle Gen 2 device", dev.describe()))
    })?;
    if !g.quiet && !json {
        eprintln!("Device: {}", dev.describe());
    }

    // The platform: as configured, else the device's.
    let mut settings = settings_for(o.clone(), cwd, target)?;
    if settings.platform.is_none() {
        o.platform = Some(device_platform.name.clone());
        settings = settings_for(o.clone(), cwd, target)?;
    }
    let build_platform = settings.platform()?.clone();
    if build_platform.id != device_platform.id && !args.force {
        return Err(Error::FlashRefused {
            problems: vec![format!(
                "the build is for {} ({}) but the device in DFU mode is {} ({}, DFU {:04x}:{:04x}); flashing it would make the device restore its factory image (flashing green) or enter safe mode",
                build_platform.name,
                build_platform.id,
                if device_platform.name.starts_with('e') {
                    format!("an {}", device_platform.name)
                } else {
                    format!("a {}", device_platform.name)
                },
                device_platform.id,
                dev.vid,
                dev.pid
            )],
            hint: format!(
                "build for the device with --platform {}, or select another device with --device",
                device_platform.name
            ),
        });
    }

    let mut artifacts = build_target(&settings, cli)?;
    let mut images = images_of(&artifacts, args.force)?;
    let layout = Layout::of(&device_platform);
    let installed = dfu.read_installed(&dev, &layout)?;

    let mut needs = preflight::system_update_needed(&installed, &images);
    if needs.is_empty() && settings.target == Target::Main {
        // The app's own needs are met, but the system on the device may not boot as it is (a
        // flash of system parts that was stopped half way): the tree's system parts fix that.
        let trial = preflight::plan(&installed, &images);
        if trial.after.state != crate::device::boot::BootState::RunningUserApp
            && trial
                .after
                .reasons
                .iter()
                .any(|r| r.starts_with("system part"))
        {
            needs.push(format!(
                "the system parts on the device do not boot together ({})",
                trial.after.reasons.join("; ")
            ));
        }
    }
    let mut system_note = None;
    if !needs.is_empty() && settings.target == Target::Main {
        let why = needs.join("; ");
        match args.system {
            SystemPolicy::Auto => {
                if !g.quiet && !json {
                    eprintln!(
                        "The device's system is older than the app needs ({why}): building the system parts of the tree (Device OS {}) to flash first",
                        settings.tree.version_string
                    );
                }
                settings = settings_for(o.clone(), cwd, Some(Target::Modules))?;
                artifacts = build_target(&settings, cli)?;
                images = images_of(&artifacts, args.force)?;
            }
            SystemPolicy::Never => system_note = Some(why),
        }
    }

    let plan = preflight::plan(&installed, &images);
    show_plan(&plan, json, g.quiet, &dev);
    if plan.refused(args.force) {
        let mut hints = Vec::new();
        if let Some(why) = &system_note {
            hints.push(format!(
                "{why}: flash with --system auto (the default) to flash the tree's system parts first, or --target modules"
            ));
        }
        if plan
            .problems
            .iter()
            .any(|p| matches!(p, preflight::Problem::BootloaderTooOld { .. }))
        {
            hints.push("update the bootloader first: with the device in listening mode (blinking blue), `particle flash --serial bootloader-<version>-<platform>.bin` or `particle update` writes it in normal mode; then flash again".into());
        }
        if plan
            .problems
            .iter()
            .any(|p| matches!(p, preflight::Problem::BadCrc { .. }))
        {
            hints.push(
                "the binary is corrupt: rebuild it (`pbuild clean`, then flash again)".into(),
            );
        }
        if !plan.refused(true) {
            hints.push("--force flashes it anyway".into());
        }
        if json {
            println!(
                "{}",
                json!({"reason": "flash-finished", "success": false, "refused": true})
            );
        }
        return Err(Error::FlashRefused {
            problems: plan.problems.iter().map(|p| p.to_string()).collect(),
            hint: hints.join("\n"),
        });
    }
    if !plan.problems.is_empty() && !g.quiet {
        for p in &plan.problems {
            eprintln!("{}", crate::term::warning(&p.to_string()));
        }
        eprintln!(
            "{}",
            crate::term::warning("--force: flashing despite these problems")
        );
    }
    if args.dry_run {
        if json {
            println!(
                "{}",
                json!({"reason": "flash-finished", "success": true, "dry_run": true})
            );
        } else if !g.quiet {
            eprintln!("Dry run: nothing was written");
        }
        return Ok(());
    }
    if plan.writes.is_empty() {
        if json {
            println!(
                "{}",
                json!({"reason": "flash-finished", "success": true, "written": 0, "after": plan.after})
            );
        }
        return Ok(());
    }
    let notes = dfu.execute(&dev, &plan);
    let notes = match notes {
        Ok(n) => n,
        Err(FlashError::Stopped { done, total }) => {
            return Err(stopped(&plan, &installed, &images, done, total, json));
        }
        Err(e) => {
            if json {
                println!(
                    "{}",
                    json!({"reason": "flash-finished", "success": false, "error": e.to_string()})
                );
            }
            return Err(e.into());
        }
    };
    if json {
        println!(
            "{}",
            json!({"reason": "flash-finished", "success": true, "written": notes.len(), "after": plan.after})
        );
    } else if !g.quiet {
        eprintln!(
            "Flashed {} image(s) to {}; it reset and should now be {}",
            notes.len(),
            dev.describe(),
            match plan.after.state {
                crate::device::boot::BootState::RunningUserApp =>
                    "running the app (breathing cyan once connected)".to_string(),
                other => format!("{other} ({})", other.led()),
            }
        );
    }
    Ok(())
}

/// The error for a flash stopped after `done` of `total` images, naming what was and was not
/// written and what the device would do if it were reset now (preflight on what was written).
fn stopped(
    plan: &Plan,
    installed: &crate::device::installed::Installed,
    images: &[Image],
    done: usize,
    total: usize,
    json: bool,
) -> Error {
    let (written, rest) = plan.writes.split_at(done.min(plan.writes.len()));
    let written_images: Vec<Image> = images
        .iter()
        .filter(|im| written.iter().any(|w| w.path == im.path))
        .cloned()
        .collect();
    let now = preflight::plan(installed, &written_images).after;
    let names = |ws: &[crate::device::preflight::Write]| {
        ws.iter()
            .map(|w| w.label.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if json {
        println!(
            "{}",
            json!({"reason": "flash-finished", "success": false, "stopped": true,
                   "written": done, "total": total, "if_reset_now": now})
        );
    }
    Error::FlashStopped {
        done,
        total,
        written: names(written),
        not_written: names(rest),
        if_reset: format!("{} ({})", now.state, now.state.led()),
    }
}

pub(crate) fn show_plan(plan: &Plan, json: bool, quiet: bool, dev: &DfuDevice) {
    if json {
        println!(
            "{}",
            json!({
                "reason": "flash-plan",
                "device": dev.serial,
                "writes": plan.writes.iter().map(|w| json!({
                    "file": w.path, "what": w.what, "address": w.address, "len": w.len, "leave": w.leave,
                })).collect::<Vec<_>>(),
                "skipped": plan.skipped.iter().map(|s| json!({"file": s.label, "why": s.why})).collect::<Vec<_>>(),
                "problems": plan.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
                "before": plan.before,
                "after": plan.after,
            })
        );
        return;
    }
    if quiet {
        return;
    }
    eprint!("{}", render_boot("Now, at reset", &plan.before));
    for s in &plan.skipped {
        eprintln!("Skip {}: {}", s.label, s.why);
    }
    eprintln!("Plan:");
    for (i, w) in plan.writes.iter().enumerate() {
        eprintln!(
            "  {}. {} ({}) at {:#010x}{}",
            i + 1,
            w.label,
            w.what,
            w.address,
            if w.leave { ":leave" } else { "" }
        );
    }
    if plan.writes.is_empty() {
        eprintln!("  nothing to write");
    }
    eprint!("{}", render_boot("After the flash", &plan.after));
}
