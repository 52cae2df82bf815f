//! `pbuild monitor`, and the monitor `flash --monitor` and `watch --flash --monitor` run: the
//! app's bytes on stdout as they come, what happens to the port on stderr.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use serde_json::json;

use super::Ctx;
use super::args::{MonitorArgs, MonitorOpts};
use crate::config::Table;
use crate::error::Result;
use crate::flash::connect::Connection;
use crate::usb::monitor::{Seen, Watch};
use crate::usb::port::Ports;

pub(crate) fn monitor(ctx: &Ctx<'_>, a: &MonitorArgs) -> Result<()> {
    let table = ctx.table()?;
    let conn = Connection::open(a.device.as_deref(), None, table)?;
    let stop = super::stop_on_ctrl_c();
    follow(
        Shown {
            json: ctx.json(),
            quiet: ctx.quiet(),
        },
        table,
        conn.serial.as_deref(),
        &a.opts,
        &stop,
    )
}

/// How the output is shown.
#[derive(Clone, Copy)]
pub(crate) struct Shown {
    pub json: bool,
    pub quiet: bool,
}

/// Prints the app's output until Ctrl-C (`stop`) or `--for`.
pub(crate) fn follow(
    shown: Shown,
    table: &Table,
    serial: Option<&str>,
    opts: &MonitorOpts,
    stop: &AtomicBool,
) -> Result<()> {
    let ports = Ports::here(table);
    let watch = Watch {
        table,
        ports: &ports,
        serial,
        until: opts
            .for_seconds
            .map(|s| Instant::now() + Duration::from_secs_f64(s.max(0.0))),
        stop,
    };
    let Shown { json, quiet } = shown;
    let mut on = |seen: Seen<'_>| match seen {
        Seen::Output(bytes) if json => {
            outln!(
                "{}",
                json!({"reason": "serial-output", "text": String::from_utf8_lossy(bytes)})
            );
        }
        // Nobody reads stdout any more (`| head`): stop, as the reader asked.
        Seen::Output(bytes) if !super::out::bytes(bytes) => {
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Seen::Output(_) => {}
        Seen::Waiting if !quiet && !json => {
            eprintln!("Waiting for the device to run (Ctrl-C to stop)…")
        }
        Seen::Opened { port, serial } if !quiet && !json => {
            eprintln!("--- {serial} on {} (Ctrl-C to stop) ---", port.display())
        }
        Seen::Closed if !quiet && !json => eprintln!("\n--- the device left USB (reset?) ---"),
        _ => {}
    };
    watch.run(&mut on)?;
    Ok(())
}
