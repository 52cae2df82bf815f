//! `pbuild device`: the devices in DFU mode and what each has installed (read back over DFU), and
//! the slot and boot renderings `sim status` and `flash` share.

use serde_json::json;

use super::Ctx;
use super::args::DeviceArgs;
use crate::device::SlotMap;
use crate::device::boot::Boot;
use crate::device::installed::Installed;
use crate::error::Result;
use crate::flash::{self, Dfu, DfuDevice, Event};

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
    let listing = dfu.list(table)?;
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
        let Ok(platform) = super::flash::platform_of(table, dev) else {
            continue;
        };
        let installed = dfu.read_installed(dev, &SlotMap::of(table, &platform))?;
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
                    "slots": installed.slots.iter().map(|s| s.report(&installed.map)).collect::<Vec<_>>(),
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
