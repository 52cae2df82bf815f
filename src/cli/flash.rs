//! `pbuild flash`: find the device, then let the one flash decision (`flash::deploy`) build,
//! check and write; here is how each of its steps is shown (human lines or JSON) and how Ctrl-C
//! is caught. Also the printers `device` and `watch --flash` share.

use std::time::Instant;

use serde_json::json;

use super::Ctx;
use super::args::{DfuArgs, FlashArgs, SystemPolicy};
use super::device::render_boot;
use crate::build::Artifact;
use crate::config::{Platform, Settings, Table, Target};
use crate::device::preflight::FlashPlan;
use crate::error::{Error, Result};
use crate::flash::connect::Connection;
use crate::flash::deploy::{self, Request, Source};
use crate::flash::{Connected, Dfu, DfuDevice, Event, Note};

impl From<SystemPolicy> for deploy::SystemPolicy {
    fn from(p: SystemPolicy) -> Self {
        match p {
            SystemPolicy::Auto => deploy::SystemPolicy::Auto,
            SystemPolicy::Never => deploy::SystemPolicy::Never,
        }
    }
}

pub(crate) fn connection(ctx: &Ctx<'_>, a: &DfuArgs) -> Result<Connection> {
    Connection::open(a.device.as_deref(), a.dfu_util.clone(), ctx.table()?)
}

pub(crate) fn dfu_timeout(a: &DfuArgs) -> std::time::Duration {
    std::time::Duration::from_secs_f64(a.dfu_timeout.clamp(0.0, 86_400.0))
}

/// Shows what flashing does: dfu-util command lines and reads (verbose), each write, the plan,
/// warnings; with `json`, the JSON lines for the plan, each write and a stop.
pub(crate) struct Printer {
    pub verbose: bool,
    pub quiet: bool,
    pub json: bool,
    /// The device, as the plan's JSON line names it.
    pub device: String,
    /// Device OS version of the tree, for the line that says system parts are added.
    pub tree_version: String,
}

impl Printer {
    pub fn event(&self, e: Event<'_>) {
        let human = !self.quiet && !self.json;
        match e {
            Event::Command(args) if self.verbose => {
                eprintln!("  $ dfu-util {}", args.join(" "))
            }
            Event::Reading { address, len } if self.verbose => {
                eprintln!("  reading {len} bytes at {address:#010x}")
            }
            Event::Writing { n, total, write } if human => eprintln!(
                "Flashing [{n}/{total}] {} ({}, {} byte{}) {}{}",
                write.label,
                write.what,
                write.len,
                if write.len == 1 { "" } else { "s" },
                at(write),
                if write.leave { ", then reset" } else { "" }
            ),
            Event::Written {
                n,
                total,
                write,
                note,
                seconds,
            } => {
                if self.json {
                    outln!(
                        "{}",
                        json!({"reason": "flash-written", "n": n, "total": total, "file": write.path(), "alt": write.alt,
                               "what": write.what, "address": write.address, "len": write.len,
                               "leave": write.leave, "seconds": seconds,
                               "reset_status_error": note == Note::LeftWithStatusError})
                    );
                } else if !self.quiet {
                    eprintln!("  done in {seconds:.1}s");
                    if note == Note::LeftWithStatusError {
                        eprintln!(
                            "  (dfu-util's \"Error during download get_status\" after the leave request is the device resetting, as asked: not an error)"
                        );
                    }
                }
            }
            Event::AddingSystem { why } if human => eprintln!(
                "The device's system is older than the app needs ({why}): building the system parts of the tree (Device OS {}) to flash first",
                self.tree_version
            ),
            Event::AddingBootloader { needs, has } if human => eprintln!(
                "The system parts need bootloader >= {needs} and the device has {}: building the tree's bootloader to stage for the system to apply",
                has.map_or("none".to_string(), |h| h.to_string())
            ),
            Event::Downgrading(lines) if !self.quiet => {
                for l in lines {
                    eprintln!("{}", super::term::warning(l));
                }
                eprintln!(
                    "{}",
                    super::term::warning("--allow-downgrade: writing the older modules")
                );
            }
            Event::EnteringDfu { device, asked } if human => eprintln!(
                "{device} is running: {}; waiting for it in DFU mode",
                match asked {
                    crate::usb::Asked::ControlRequest =>
                        "asked it to enter DFU mode (USB control request)".to_string(),
                    crate::usb::Asked::Touch { port } => format!(
                        "its system does not take the DFU request, so {} was set to 14400 baud",
                        port.display()
                    ),
                }
            ),
            Event::Planned(plan) => show_plan(plan, self.json, self.quiet, &self.device),
            Event::Forced(problems) if !self.quiet => {
                for p in problems {
                    eprintln!("{}", super::term::warning(&p.to_string()));
                }
                eprintln!(
                    "{}",
                    super::term::warning("--force: flashing despite these problems")
                );
            }
            Event::Stopped { done, total, now } if self.json => outln!(
                "{}",
                json!({"reason": "flash-finished", "success": false, "stopped": true,
                       "written": done, "total": total, "if_reset_now": now})
            ),
            _ => {}
        }
    }
}

/// The device's platform, from its DFU VID:PID.
pub(crate) fn platform_of(table: &Table, dev: &DfuDevice) -> Result<Platform> {
    dev.platform_id()
        .and_then(|id| table.by_id(id).cloned())
        .ok_or_else(|| Error::Other(format!("{} is not a Particle Gen 2 device", dev.describe())))
}

/// Builds `s`; the artifact JSON lines of a file already said in this run (`said`) are not
/// repeated (the user part of `main` comes again with `modules`).
fn build_target(
    ctx: &Ctx<'_>,
    s: &Settings,
    said: &std::cell::RefCell<Vec<std::path::PathBuf>>,
) -> Result<Vec<Artifact>> {
    let started = Instant::now();
    let out = super::build::build_with_progress(
        s,
        ctx.quiet(),
        ctx.verbose(),
        false,
        ctx.cli.global.trace.as_deref(),
    )?;
    if !out.outcome.failed.is_empty() {
        return Err(Error::BuildFailed {
            failed: out.outcome.failed.len(),
        });
    }
    if ctx.json() {
        for a in &out.artifacts {
            if !said.borrow().contains(&a.bin) {
                said.borrow_mut().push(a.bin.clone());
                outln!("{}", super::build::artifact_json(a));
            }
        }
    } else if !ctx.quiet() {
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

pub(crate) fn flash(ctx: &Ctx<'_>, args: &FlashArgs) -> Result<()> {
    let result = flash_run(ctx, args);
    // Every flash that fails ends its JSON lines with a flash-finished line (a stop by Ctrl-C
    // has printed its own, with `stopped`).
    if let Err(e) = &result
        && ctx.json()
        && !matches!(e, Error::FlashStopped { .. })
    {
        outln!(
            "{}",
            match e {
                Error::FlashRefused { .. } => json!({"reason": "flash-finished", "success": false,
                                                      "refused": true, "error": e.to_string()}),
                _ => json!({"reason": "flash-finished", "success": false, "error": e.to_string()}),
            }
        );
    }
    result
}

fn flash_run(ctx: &Ctx<'_>, args: &FlashArgs) -> Result<()> {
    let json = ctx.json();
    let said = std::cell::RefCell::new(Vec::new());
    let mut o = ctx.overrides.clone();
    o.jobs = args.jobs;
    if let Some(t) = args.target {
        o.target = Some(t.into());
    }
    let table = ctx.table()?;
    // Given files are read first: a missing one is said before any device is looked for.
    let files = match args.files.is_empty() {
        true => None,
        false => Some(deploy::images_of_files(&args.files)?),
    };
    let conn = connection(ctx, &args.dfu)?;
    let printer = Printer {
        verbose: ctx.verbose(),
        quiet: ctx.quiet() || json,
        json: false,
        device: String::new(),
        tree_version: String::new(),
    };
    let mut on_dfu = |e: Event<'_>| printer.event(e);
    // Ctrl-C or SIGTERM while images are written: finish the one being written, then stop and
    // say where the device stands. Another Ctrl-C does not cut the image short: it says so.
    let stop = super::stop_patiently(
        "Ctrl-C again: still finishing the image being written (a device left with half an image does not start); pbuild stops right after it. Ctrl-\\ quits at once.",
    );
    let mut dfu = Dfu {
        tool: &conn.tool,
        on_event: &mut on_dfu,
    };
    let reached = dfu.reach(
        table,
        conn.serial.as_deref(),
        dfu_timeout(&args.dfu),
        Some(&stop),
    )?;
    let dev = reached.dev.clone();
    let device_platform = platform_of(table, &dev)?;
    if !ctx.quiet() && !json {
        eprintln!("Device: {}", dev.describe());
    }

    // What to flash: the files, or a build for the configured platform, else the device's.
    let settings = match &files {
        Some(_) => None,
        None => {
            let mut s = ctx.settings(&o)?;
            if s.platform.is_none() {
                o.platform = Some(device_platform.name.clone());
                s = ctx.settings(&o)?;
            }
            Some(s)
        }
    };
    let source = match (files, &settings) {
        (Some(images), _) => Source::Files(images),
        (None, Some(s)) => Source::Build {
            platform: s.platform()?.clone(),
            target: s.target,
        },
        (None, None) => unreachable!("settings are loaded when there are no files"),
    };
    let request = Request {
        table,
        device_platform: &device_platform,
        source,
        system: args.system.into(),
        force: args.force,
        allow_downgrade: args.allow_downgrade,
        dry_run: args.dry_run,
        stop: Some(&stop),
        unless_installed: false,
    };
    let steps = Printer {
        verbose: ctx.verbose(),
        quiet: ctx.quiet(),
        json,
        device: dev.serial.clone(),
        tree_version: settings
            .as_ref()
            .map(|s| s.tree.version_string.clone())
            .unwrap_or_default(),
    };
    let mut build = |target: Target| {
        let s = settings
            .as_ref()
            .expect("deploy builds only for a build source");
        if target == s.target {
            build_target(ctx, s, &said)
        } else {
            let mut o = o.clone();
            o.target = Some(target);
            build_target(ctx, &ctx.settings(&o)?, &said)
        }
    };
    let result = deploy::run(
        &mut Connected {
            dfu: &mut dfu,
            dev: &dev,
            table,
        },
        &request,
        &mut build,
        &mut |e| steps.event(e),
    );
    if reached.asked && untouched(&result) {
        // pbuild put it in DFU mode and wrote nothing: back to its app.
        let _ = dfu.resume(&dev);
    }
    let done = result?;
    let plan = &done.plan;
    let after_flash = || -> Result<()> {
        if args.monitor && !args.dry_run {
            let shown = super::monitor::Shown {
                json,
                quiet: ctx.quiet(),
            };
            super::monitor::follow(shown, table, Some(&dev.serial), &args.monitor_opts, &stop)?;
        }
        Ok(())
    };
    if args.dry_run {
        if json {
            outln!(
                "{}",
                json!({"reason": "flash-finished", "success": true, "dry_run": true})
            );
        } else if !ctx.quiet() {
            eprintln!("Dry run: nothing was written");
        }
        return Ok(());
    }
    if json {
        outln!(
            "{}",
            json!({"reason": "flash-finished", "success": true, "written": done.notes.len(), "after": plan.after})
        );
    } else if !ctx.quiet() && !plan.writes.is_empty() {
        let n = done.notes.len();
        eprintln!(
            "Flashed {n} {} to {}; it reset and should now be {}",
            if n == 1 { "image" } else { "images" },
            dev.describe(),
            match plan.after.state {
                crate::device::boot::BootState::RunningUserApp =>
                    "running the app: breathing cyan once connected".to_string(),
                other => format!("{}: {}", other.words(), other.led()),
            }
        );
    }
    after_flash()
}

/// Whether a flash that ended like this left the device's flash as it was (refused, a dry run,
/// nothing to write, a build that failed, an error before any write).
pub(crate) fn untouched(result: &Result<deploy::Deployed>) -> bool {
    match result {
        Ok(d) => d.notes.is_empty(),
        Err(Error::Flash(e)) => !e.may_have_written(),
        Err(Error::FlashStopped { .. }) => false,
        Err(_) => true,
    }
}

/// Where a write goes: "at 0x080a0000", or "at DCT offset 1753 (alt 1)".
fn at(w: &crate::device::preflight::Write) -> String {
    match w.alt {
        0 => format!("at {:#010x}", w.address),
        alt => format!("at DCT offset {} (alt {alt})", w.address),
    }
}

/// The plan as a JSON line, or (unless quiet) what the device does now, what is skipped, the
/// writes, and what it will do after them.
pub(crate) fn show_plan(plan: &FlashPlan, json: bool, quiet: bool, device: &str) {
    if json {
        outln!(
            "{}",
            json!({
                "reason": "flash-plan",
                "device": device,
                "writes": plan.writes.iter().map(|w| json!({
                    "file": w.path(), "alt": w.alt, "what": w.what, "address": w.address, "len": w.len, "leave": w.leave,
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
            "  {}. {} ({}) {}{}",
            i + 1,
            w.label,
            w.what,
            at(w),
            if w.leave { ":leave" } else { "" }
        );
    }
    if plan.writes.is_empty() {
        eprintln!("  nothing to write");
    }
    eprint!("{}", render_boot("After the flash", &plan.after));
}
