//! `pbuild device`: the Particle devices on USB: in DFU mode, what each has installed (read back
//! over DFU) and would do at reset; running, what its control requests report. Also the slot and
//! boot renderings `sim status` and `flash` share.

use serde_json::json;

use super::Ctx;
use super::args::DeviceArgs;
use crate::device::SlotMap;
use crate::device::boot::Boot;
use crate::device::installed::Installed;
use crate::error::Result;
use crate::flash::{self, Dfu, DfuDevice, Event};
use crate::usb::control::Session;
use crate::usb::{self, Attached, UsbMode};

pub(crate) fn device(ctx: &Ctx<'_>, args: &DeviceArgs) -> Result<()> {
    let json = args.json || ctx.json();
    let table = ctx.table()?;
    let conn = super::flash::connection(ctx, &args.dfu)?;
    let printer = super::flash::Printer {
        verbose: ctx.verbose(),
        quiet: ctx.quiet(),
        json: false,
        device: String::new(),
        tree_version: String::new(),
    };
    let mut on_event = |e: Event<'_>| printer.event(e);
    let mut dfu = Dfu {
        tool: &conn.tool,
        on_event: &mut on_event,
    };
    let serial = conn.serial.as_deref();
    let listing = dfu.list(table)?;
    let in_dfu: Vec<DfuDevice> = listing
        .devices
        .iter()
        .filter(|d| d.platform_id().is_some())
        .filter(|d| serial.is_none_or(|s| d.serial.eq_ignore_ascii_case(s)))
        .cloned()
        .collect();
    // Running devices (libusb); without it, the DFU ones are all there is to show.
    let running: Vec<Attached> = usb::attached(table)
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d.mode == UsbMode::Normal)
        .filter(|d| serial.is_none_or(|s| d.is(s)))
        .collect();
    if in_dfu.is_empty() && running.is_empty() {
        // The error dfu-util's listing gives (no device, not that serial, no permission).
        flash::select(&listing, serial)?;
    }
    for dev in &in_dfu {
        let Ok(platform) = super::flash::platform_of(table, dev) else {
            continue;
        };
        let installed = dfu.read_installed(dev, &SlotMap::of(table, &platform))?;
        let b = crate::device::boot::boot(&installed);
        if json {
            outln!(
                "{}",
                json!({
                    "reason": "device",
                    "mode": UsbMode::Dfu,
                    "platform": platform.name,
                    "platform_id": platform.id,
                    "serial": dev.serial,
                    "usb": format!("{:04x}:{:04x}", dev.vid, dev.pid),
                    "path": dev.path,
                    "slots": installed.slots.iter().map(|s| s.report(&installed.map)).collect::<Vec<_>>(),
                    "at_reset": b,
                })
            );
        } else {
            outln!(
                "{}, in DFU mode{}",
                dev.describe(),
                if dev.path.is_empty() {
                    String::new()
                } else {
                    format!(", USB path {}", dev.path)
                }
            );
            out!("{}", render_slots(&installed));
            out!("{}", render_boot("at reset", &b));
        }
    }
    let ports = usb::port::Ports::here(table);
    for dev in &running {
        show_running(dev, &ports, json);
    }
    Ok(())
}

/// A running device: what its control requests say (system version, modules) and its port.
fn show_running(dev: &Attached, ports: &usb::port::Ports, json: bool) {
    let mut session = match dev.denied {
        true => None,
        false => Session::open(dev).ok(),
    };
    let version = session.as_mut().and_then(|s| s.system_version().ok());
    let modules = session.as_mut().and_then(|s| s.modules().ok());
    let port = ports.find(&dev.serial);
    if json {
        outln!(
            "{}",
            json!({
                "reason": "device",
                "mode": UsbMode::Normal,
                "platform": dev.platform.1,
                "platform_id": dev.platform.0,
                "serial": dev.serial,
                "usb": format!("{:04x}:{:04x}", dev.vid, dev.pid),
                "path": dev.path,
                "no_permission": dev.denied,
                "system_version": version,
                "modules": modules,
                "port": port,
            })
        );
        return;
    }
    outln!("{}, USB path {}", dev.describe(), dev.path);
    if dev.denied {
        outln!("  cannot open it: no permission (`pbuild doctor` shows the udev rule)");
        return;
    }
    match &version {
        Some(v) => outln!("  Device OS {v}"),
        None => outln!("  its system does not say its version over USB"),
    }
    match &modules {
        Some(mods) => {
            for m in mods {
                outln!("  {}", m.describe());
            }
        }
        None => outln!(
            "  modules: not reported (Device OS before 0.8.0); `pbuild flash` puts it in DFU mode to read them"
        ),
    }
    if let Some(p) = port {
        outln!("  serial port {}", p.display());
    }
}

pub(crate) fn render_slots(installed: &Installed) -> String {
    let mut out = String::new();
    for s in &installed.slots {
        let mut line = format!(
            "  {:<14} {:#010x}  {}",
            s.slot.kind.to_string(),
            s.slot.start,
            s.describe(&installed.map)
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
pub(crate) fn render_boot(when: &str, b: &Boot) -> String {
    let mut out = String::new();
    for e in &b.events {
        out.push_str(&format!("{when}: {e}\n"));
    }
    if b.boots > 1 {
        out.push_str(&format!(
            "{when}: it starts {} times (it resets by itself to apply an update)\n",
            b.boots
        ));
    }
    out.push_str(&format!("{when}: {} ({})\n", b.state, b.led));
    for r in &b.reasons {
        out.push_str(&format!("  because {r}\n"));
    }
    out
}
