//! `pbuild sim create|status|exec`: simulated devices, made, shown, and put on a simulated USB
//! bus for a command; and `--device sim:DIR`, which runs pbuild itself on that bus.

use serde_json::json;

use super::Ctx;
use super::args::{Command, SimCommand, SimCreateArgs, SimExecArgs, SimServeArgs, SimStatusArgs};
use super::device::{render_boot, render_slots};
use crate::config::{Platform, Table};
use crate::device::versions;
use crate::error::{Error, Result};
use crate::sim::{CreateOptions, SimDevice};

pub(crate) fn sim(ctx: &Ctx<'_>, cmd: &SimCommand) -> Result<()> {
    match cmd {
        SimCommand::Create(a) => sim_create(ctx, a),
        SimCommand::Status(a) => sim_status(ctx, a),
        SimCommand::Exec(_) | SimCommand::Serve(_) => {
            unreachable!("`sim exec` and `sim serve` run before the command is dispatched")
        }
    }
}

/// `pbuild sim exec`: becomes the command (its exit status is pbuild's).
pub(crate) fn exec(a: &SimExecArgs) -> Result<i32> {
    let table = table_here()?;
    let (program, args) = a.command.split_first().expect("clap requires a command");
    run_on_bus(&a.device, &table, program, args)
}

/// Puts `devices` on a simulated bus and becomes `program` (exec): a `pbuild sim serve` beside
/// it keeps the serial side up and cleans up when it ends. Signals reach the command directly
/// and its exit status is this process's. Returns only if it could not start.
fn run_on_bus(
    devices: &[std::path::PathBuf],
    table: &Table,
    program: &std::ffi::OsStr,
    args: &[std::ffi::OsString],
) -> Result<i32> {
    use std::io::BufRead;
    use std::os::unix::process::CommandExt;
    let prep = crate::sim::exec::prepare(devices, table)?;
    let started = (|| -> Result<std::process::Child> {
        let exe = std::env::current_exe().map_err(|e| Error::io("pbuild executable", e))?;
        let mut serve = std::process::Command::new(&exe);
        serve
            .args(["sim", "serve", "--parent"])
            .arg(std::process::id().to_string())
            .arg("--shim")
            .arg(&prep.shim);
        for d in &prep.dirs {
            serve.arg("--device").arg(d);
        }
        let mut child = serve
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| Error::io(&exe, e))?;
        // "ready" once the running devices' ports are open.
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = std::io::BufReader::new(out).read_line(&mut line);
        }
        Ok(child)
    })();
    let mut server = match started {
        Ok(c) => c,
        Err(e) => {
            crate::sim::exec::remove_shim(&prep.shim);
            return Err(e);
        }
    };
    let err = std::process::Command::new(program)
        .args(args)
        .envs(prep.env.iter().map(|(k, v)| (k, v)))
        .exec();
    let _ = server.kill();
    let _ = server.wait();
    crate::sim::exec::remove_shim(&prep.shim);
    Err(match err.kind() {
        std::io::ErrorKind::NotFound => {
            Error::Other(format!("{}: command not found", program.to_string_lossy()))
        }
        _ => Error::io(program, err),
    })
}

/// `pbuild sim serve`: the serial side of the bus, until the command (its parent) ends.
pub(crate) fn serve(a: &SimServeArgs) -> Result<i32> {
    use std::io::Write;
    let table = table_here()?;
    // Ctrl-C in the terminal reaches this process too: the command decides when to stop (a
    // flash finishes the image it is writing), so the bus stays until the command is gone.
    let ignored = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register(sig, ignored.clone());
    }
    let bus = crate::sim::bus::Bus::start(a.device.clone(), table);
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "ready");
        let _ = out.flush();
    }
    // SAFETY: getppid has no preconditions.
    while unsafe { libc::getppid() } == a.parent as libc::pid_t {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    drop(bus);
    crate::sim::exec::remove_shim(&a.shim);
    Ok(0)
}

/// The platform table of the project around the current directory (else pbuild's own).
fn table_here() -> Result<Table> {
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    Ok(crate::config::Project::find(&cwd)?.table)
}

/// The `sim:DIR` device of the command, when pbuild is not yet on a simulated bus.
pub(crate) fn off_bus_device(cmd: &Command) -> Option<std::path::PathBuf> {
    let device = match cmd {
        Command::Flash(a) => a.dfu.device.as_deref(),
        Command::Device(a) => a.dfu.device.as_deref(),
        Command::Watch(a) => a.dfu.device.as_deref(),
        Command::Doctor(a) => a.dfu.device.as_deref(),
        Command::Monitor(a) => a.device.as_deref(),
        _ => None,
    };
    let dir = crate::flash::connect::sim_dir(device)?;
    crate::sim::usb::bus_dirs()
        .is_empty()
        .then(|| dir.to_path_buf())
}

/// Runs this same pbuild command again on a simulated bus with `dir` attached.
pub(crate) fn rerun_on_bus(dir: &std::path::Path) -> Result<i32> {
    let table = table_here()?;
    let exe = std::env::current_exe().map_err(|e| Error::io("pbuild executable", e))?;
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    run_on_bus(&[dir.to_path_buf()], &table, exe.as_os_str(), &args)
}

fn platform_named(table: &Table, name: Option<&str>) -> Result<Platform> {
    let name = name.ok_or(Error::NoPlatform {
        properties_only: false,
    })?;
    table.platform(name, "--platform").cloned()
}

fn sim_create(ctx: &Ctx<'_>, a: &SimCreateArgs) -> Result<()> {
    // --platform, else project.toml's `platform`.
    let from_file = ctx
        .project()?
        .file
        .as_ref()
        .and_then(|f| f.platform.as_ref())
        .map(|p| p.value.clone());
    let name = ctx.cli.global.platform.clone().or(from_file);
    let platform = platform_named(ctx.table()?, name.as_deref())?;
    let dev = SimDevice::create(
        &a.dir,
        &CreateOptions {
            table: ctx.table()?,
            platform: &platform,
            system_version: a.system_version,
            bootloader_version: a.bootloader_version,
            serial: a.serial.clone(),
            empty: a.empty,
            dfu: a.dfu,
        },
    )?;
    if ctx.json() {
        outln!("{}", sim_json(&dev));
    } else if !ctx.quiet() {
        let installed = dev.installed();
        outln!(
            "Created a simulated {} in {}: serial {}, bootloader {}, {}",
            platform.name,
            ctx.shown(&a.dir),
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
        outln!(
            "It is {}. Flash it with: pbuild flash --device sim:{}",
            mode_words(&a.dir),
            ctx.shown(&a.dir)
        );
    }
    Ok(())
}

/// What a simulated device is doing, in words.
fn mode_words(dir: &std::path::Path) -> &'static str {
    match crate::sim::usb::mode_of(dir) {
        crate::sim::usb::Mode::Dfu => "in DFU mode (blinking yellow)",
        crate::sim::usb::Mode::Normal => "running",
        crate::sim::usb::Mode::Off => "not starting",
    }
}

fn sim_json(dev: &SimDevice) -> serde_json::Value {
    let installed = dev.installed();
    let b = crate::device::boot::boot(&installed);
    let mode = crate::sim::usb::mode_of(&dev.dir);
    let (vid, pid) = match mode {
        crate::sim::usb::Mode::Normal => dev.platform.usb_ids().unwrap_or(dev.dfu_ids()),
        _ => dev.dfu_ids(),
    };
    json!({
        "reason": "sim-status",
        "dir": dev.dir,
        "platform": dev.platform.name,
        "platform_id": dev.platform.id,
        "serial": dev.identity.serial,
        "usb": format!("{vid:04x}:{pid:04x}"),
        "mode": mode.name(),
        "state": b.state,
        "led": b.led,
        "reasons": b.reasons,
        "slots": installed.slots.iter().map(|s| s.report(&installed.map)).collect::<Vec<_>>(),
        "boots": dev.boots(),
    })
}

fn sim_status(ctx: &Ctx<'_>, a: &SimStatusArgs) -> Result<()> {
    let dev = SimDevice::open(&a.dir, ctx.table()?)?;
    for (place, word) in dev.unknown_faults() {
        eprintln!(
            "{}",
            super::term::warning(&format!(
                "{place}: `{word}` is not a fault (known: {})",
                crate::sim::Fault::ALL.map(|f| f.name()).join(", ")
            ))
        );
    }
    if a.json || ctx.json() {
        outln!("{}", sim_json(&dev));
        return Ok(());
    }
    let (vid, pid) = dev.dfu_ids();
    outln!(
        "simulated {} ({}), serial {}, DFU {vid:04x}:{pid:04x}, {}{}",
        dev.platform.name,
        dev.platform.id,
        dev.identity.serial,
        mode_words(&dev.dir),
        if dev.unplugged() { " (unplugged)" } else { "" }
    );
    let installed = dev.installed();
    out!("{}", render_slots(&installed));
    out!(
        "{}",
        render_boot("at reset", &crate::device::boot::boot(&installed))
    );
    let boots = dev.boots();
    if !boots.is_empty() {
        outln!(
            "resets logged: {} (last: {})",
            boots.len(),
            boots[boots.len() - 1]
        );
    }
    Ok(())
}
