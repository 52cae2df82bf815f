//! `pbuild sim create|status`: simulated devices, made and shown.

use serde_json::json;

use super::Ctx;
use super::args::{SimCommand, SimCreateArgs, SimStatusArgs};
use super::device::{render_boot, render_slots};
use crate::config::{Platform, Table};
use crate::device::versions;
use crate::error::{Error, Result};
use crate::sim::{CreateOptions, SimDevice};

pub(crate) fn sim(ctx: &Ctx<'_>, cmd: &SimCommand) -> Result<()> {
    match cmd {
        SimCommand::Create(a) => sim_create(ctx, a),
        SimCommand::Status(a) => sim_status(ctx, a),
    }
}

fn platform_named(table: &Table, name: Option<&str>) -> Result<Platform> {
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

fn sim_create(ctx: &Ctx<'_>, a: &SimCreateArgs) -> Result<()> {
    let platform = platform_named(ctx.table()?, ctx.cli.global.platform.as_deref())?;
    let dev = SimDevice::create(
        &a.dir,
        &CreateOptions {
            table: ctx.table()?,
            platform: &platform,
            system_version: a.system_version,
            bootloader_version: a.bootloader_version,
            serial: a.serial.clone(),
            empty: a.empty,
        },
    )?;
    if ctx.json() {
        println!("{}", sim_json(&dev));
    } else if !ctx.quiet() {
        let installed = dev.installed();
        println!(
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
        println!(
            "Flash it with: pbuild flash --device sim:{}",
            ctx.shown(&a.dir)
        );
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
        "slots": installed.slots.iter().map(|s| s.report(&installed.map)).collect::<Vec<_>>(),
        "boots": dev.boots(),
    })
}

fn sim_status(ctx: &Ctx<'_>, a: &SimStatusArgs) -> Result<()> {
    let dev = SimDevice::open(&a.dir, ctx.table()?)?;
    if a.json || ctx.json() {
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
