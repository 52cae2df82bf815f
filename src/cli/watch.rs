//! `pbuild watch`: rebuild (and flash) on every save, and what it shows. What is watched is
//! `watch::Scope`'s; how to build belongs to `build`, whether and what to flash to
//! `flash::deploy` (the same decision as `pbuild flash`).
//!
//! The loop. Directories are watched, not files, so editors that save by rename keep working and
//! new files are seen. `notify-debouncer-full` turns a burst of events (one save makes several, a
//! `git checkout` hundreds) into one batch after `--debounce-ms` of quiet. Builds run on this
//! thread, one at a time; batches that arrive during a build wait in the channel and are drained
//! together afterwards, so any number of changes during a build queue exactly one follow-up
//! build, which also covers a file saved while the compiler was reading it. Events under build
//! outputs and the build state are dropped, as are reads (`Access`): for `--target modules` the
//! compiler reads the watched tree.
//!
//! Ctrl-C sets a flag that the loop polls. The compilers get the SIGINT too, so a running build
//! ends early; the engine writes outputs to a temp file and renames, so nothing half-written is
//! left and the next run rebuilds exactly what was interrupted.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, new_debouncer};
use serde_json::json;

use super::Ctx;
use super::args::{DfuArgs, WatchArgs};
use super::flash::{Printer, platform_of};
use crate::build::Artifact;
use crate::config::{Overrides, Settings, Target};
use crate::error::{Error, Result};
use crate::flash::connect::Connection;
use crate::flash::deploy::{self, Request, Source, SystemPolicy};
use crate::flash::{self, Connected, Dfu, FlashError};
use crate::watch::Scope;

/// How often the loop looks at the Ctrl-C flag while idle.
const POLL: Duration = Duration::from_millis(50);
/// How often a flash waiting for a device looks for one.
const DEVICE_POLL: Duration = Duration::from_secs(1);

pub(crate) fn watch(ctx: &Ctx<'_>, args: &WatchArgs) -> Result<()> {
    let mut o = ctx.overrides.clone();
    o.jobs = args.jobs;
    o.target = args.target.map(Into::into);
    let settings = ctx.settings(&o)?;
    let scope = Scope::of(&settings);
    if scope.roots.is_empty() {
        return Err(Error::NoAppGiven {
            target: settings.target.name().into(),
        });
    }

    let stop = super::stop_on_ctrl_c();

    let (tx, rx) = std::sync::mpsc::channel();
    let mut debouncer = new_debouncer(Duration::from_millis(args.debounce_ms), None, tx)
        .map_err(|e| watch_error(&scope.roots[0], e))?;
    for root in &scope.roots {
        debouncer
            .watch(root, RecursiveMode::Recursive)
            .map_err(|e| watch_error(root, e))?;
    }

    let mut ui = Ui {
        json: ctx.json(),
        quiet: ctx.quiet(),
        verbose: ctx.verbose(),
    };
    ui.say(&format!(
        "Watching {} for {} {} (Ctrl-C to stop)",
        scope
            .roots
            .iter()
            .map(|r| r.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        settings.platform()?.name,
        settings.target.name()
    ));
    let mut flasher = match args.flash {
        true => Some(Flasher::new(ctx, &args.dfu)?),
        false => None,
    };
    drop(settings);
    // --monitor: the app's output in the same terminal, for the whole loop. The monitor follows
    // the device across every reset a flash makes, so it runs beside the loop, not in it.
    let monitor = match (&flasher, args.monitor) {
        (Some(f), true) => {
            let table = ctx.table()?.clone();
            let serial = f.conn.serial.clone();
            let shown = super::monitor::Shown {
                json: ui.json,
                quiet: ui.quiet,
            };
            let opts = super::args::MonitorOpts {
                baud: args.baud,
                for_seconds: None,
            };
            let stop = std::sync::Arc::clone(&stop);
            Some(std::thread::spawn(move || {
                if let Err(e) =
                    super::monitor::follow(shown, &table, serial.as_deref(), &opts, &stop)
                {
                    eprintln!("monitor: error: {e}");
                }
            }))
        }
        _ => None,
    };

    let mut cycle = 0usize;
    let mut changed: Vec<PathBuf> = Vec::new();
    loop {
        cycle += 1;
        let built = build_cycle(&mut ui, ctx, &o, cycle, &changed, &scope, &stop);
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if let (Some(f), Some((artifacts, settings))) = (flasher.as_mut(), built) {
            f.offer(&ui, ctx, &artifacts, &settings);
        }
        match wait_for_changes(&rx, &scope, &stop, &ui, ctx, flasher.as_mut())? {
            Some(paths) => changed = paths,
            None => break,
        }
    }
    if let Some(m) = monitor {
        let _ = m.join();
    }
    ui.say("Stopped watching");
    Ok(())
}

/// Block until a batch of relevant changes arrives (then take everything else already queued),
/// or Ctrl-C (`None`). While a flash waits for a device, look for one now and then.
fn wait_for_changes(
    rx: &Receiver<DebounceEventResult>,
    scope: &Scope,
    stop: &AtomicBool,
    ui: &Ui,
    ctx: &Ctx<'_>,
    mut flasher: Option<&mut Flasher>,
) -> Result<Option<Vec<PathBuf>>> {
    let mut changed: Vec<PathBuf> = Vec::new();
    let mut last_device_poll = Instant::now();
    loop {
        if stop.load(Ordering::SeqCst) {
            return Ok(None);
        }
        let batch = match rx.recv_timeout(POLL) {
            Ok(batch) => batch,
            Err(RecvTimeoutError::Timeout) => {
                if !changed.is_empty() {
                    return Ok(Some(changed));
                }
                if let Some(f) = flasher.as_deref_mut()
                    && f.waiting()
                    && last_device_poll.elapsed() >= DEVICE_POLL
                {
                    f.retry(ui, ctx);
                    last_device_poll = Instant::now();
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(Error::Other("the file watcher stopped unexpectedly".into()));
            }
        };
        match batch {
            Ok(events) => {
                for e in events {
                    for p in &e.event.paths {
                        if scope.counts(&e.event.kind, p) && !changed.contains(p) {
                            changed.push(p.clone());
                        }
                    }
                }
            }
            Err(errors) => {
                for e in errors {
                    let path = e
                        .paths
                        .first()
                        .cloned()
                        .unwrap_or_else(|| scope.base.clone());
                    let err = watch_error(&path, e);
                    if matches!(
                        &err,
                        Error::Watch {
                            limit_reached: true,
                            ..
                        }
                    ) {
                        return Err(err);
                    }
                    ui.say(&super::term::warning(&err.to_string()));
                }
            }
        }
    }
}

/// One build and its status block. Returns the artifacts (and the settings used) of a good build.
fn build_cycle(
    ui: &mut Ui,
    ctx: &Ctx<'_>,
    o: &Overrides,
    cycle: usize,
    changed: &[PathBuf],
    scope: &Scope,
    stop: &AtomicBool,
) -> Option<(Vec<Artifact>, Settings)> {
    let why = match changed.is_empty() {
        true => "start".to_string(),
        false => format!("changed: {}", scope.shown(changed)),
    };
    ui.say(&format!("[{cycle}] {why}"));
    let started = Instant::now();
    let result = ctx.settings(o).and_then(|mut s| {
        if cycle > 1 {
            s.warnings.clear();
        }
        let quiet = ui.quiet || ui.json || !std::io::stderr().is_terminal();
        let out = super::build::build_with_progress(
            &s,
            quiet,
            ui.verbose,
            false,
            ctx.cli.global.trace.as_deref(),
        )?;
        Ok((out, s))
    });
    let seconds = started.elapsed().as_secs_f64();
    if stop.load(Ordering::SeqCst) {
        ui.say(&format!("[{cycle}] interrupted"));
        return None;
    }
    let changed_json: Vec<String> = changed.iter().map(|p| p.display().to_string()).collect();
    match result {
        Ok((out, s)) if out.outcome.failed.is_empty() => {
            let o = &out.outcome;
            if ui.json {
                outln!(
                    "{}",
                    json!({"reason": "watch-build", "cycle": cycle, "changed": changed_json,
                           "success": true, "steps_run": o.ran, "steps_total": o.total,
                           "seconds": seconds, "artifacts": out.artifacts})
                );
            } else {
                ui.say(&format!(
                    "[{cycle}] ok in {seconds:.2}s: {} of {} steps ran",
                    o.ran, o.total
                ));
                for a in &out.artifacts {
                    let size = std::fs::metadata(&a.bin).map(|m| m.len()).unwrap_or(0);
                    ui.say(&format!(
                        "    {:<13} {} ({size} bytes)",
                        a.module,
                        ctx.shown(&a.bin)
                    ));
                }
            }
            Some((out.artifacts, s))
        }
        Ok((out, _)) => {
            let failed = out.outcome.failed.len();
            if ui.json {
                outln!(
                    "{}",
                    json!({"reason": "watch-build", "cycle": cycle, "changed": changed_json,
                           "success": false, "failed": out.outcome.failed, "seconds": seconds})
                );
            } else {
                ui.say(&format!(
                    "[{cycle}] FAILED in {seconds:.2}s: {failed} step(s) failed (errors above); the previous artifacts are untouched, watching for the fix"
                ));
            }
            None
        }
        Err(e) => {
            if ui.json {
                outln!(
                    "{}",
                    json!({"reason": "watch-build", "cycle": cycle, "changed": changed_json,
                           "success": false, "error": e.to_string(), "seconds": seconds})
                );
            } else {
                let text = super::term::error_lines(
                    &e.to_string(),
                    super::diagnostics::hint(&e).as_deref(),
                );
                for (n, line) in text.lines().enumerate() {
                    match n {
                        0 => ui.say(&format!("[{cycle}] {line}")),
                        _ => ui.say(line),
                    }
                }
            }
            None
        }
    }
}

struct Ui {
    json: bool,
    quiet: bool,
    verbose: bool,
}

impl Ui {
    /// A human line on stderr (JSON mode keeps stdout to JSON lines and still says it on stderr).
    fn say(&self, text: &str) {
        if !self.quiet || text.contains("error") || text.contains("FAILED") {
            eprintln!("{text}");
        }
    }
}

/// Flashes the user part when its bytes changed, with `pbuild flash`'s decision (system parts
/// are never added here: that is a refusal saying to run `pbuild flash`); waits for a device in
/// DFU mode without stopping the watch.
struct Flasher {
    conn: Connection,
    dfu_timeout: Duration,
    /// xxh3 of the user part last flashed (or found unchanged).
    flashed: Option<u64>,
    /// A user part to flash once a device shows up, the hash of its bytes, and the settings it
    /// was built with.
    pending: Option<(Artifact, u64, Settings)>,
    told_no_device: bool,
}

impl Flasher {
    fn new(ctx: &Ctx<'_>, dfu: &DfuArgs) -> Result<Flasher> {
        Ok(Flasher {
            conn: super::flash::connection(ctx, dfu)?,
            dfu_timeout: super::flash::dfu_timeout(dfu),
            flashed: None,
            pending: None,
            told_no_device: false,
        })
    }

    fn waiting(&self) -> bool {
        self.pending.is_some()
    }

    /// A good build: flash its user part if the bytes differ from the last one flashed.
    fn offer(&mut self, ui: &Ui, ctx: &Ctx<'_>, artifacts: &[Artifact], s: &Settings) {
        let Some(user) = artifacts.iter().find(|a| a.module == "user-part") else {
            return;
        };
        let hash = match std::fs::read(&user.bin) {
            Ok(bytes) => xxhash_rust::xxh3::xxh3_64(&bytes),
            Err(e) => {
                ui.say(&format!("flash: error: {}", Error::io(&user.bin, e)));
                return;
            }
        };
        if self.flashed == Some(hash) {
            ui.say("flash: the user part is unchanged: not flashed");
            self.pending = None;
            return;
        }
        self.pending = Some((user.clone(), hash, s.clone()));
        self.retry(ui, ctx);
    }

    /// Try the pending flash now; no device in DFU mode is said once and leaves it pending.
    fn retry(&mut self, ui: &Ui, ctx: &Ctx<'_>) {
        let Some((artifact, hash, settings)) = self.pending.clone() else {
            return;
        };
        match self.flash(ui, ctx, &artifact, &settings) {
            Ok(true) => {
                self.flashed = Some(hash);
                self.pending = None;
                self.told_no_device = false;
            }
            Ok(false) => {}
            Err(e) => {
                ui.say(&format!("flash: error: {e}"));
                let mut hint = super::diagnostics::hint(&e);
                if matches!(e, Error::FlashRefused { .. }) {
                    let more = "fix it and save again, or flash once with `pbuild flash` (which can add the system parts)";
                    hint = Some(hint.map_or(more.to_string(), |h| format!("{h}\n{more}")));
                }
                for line in hint.iter().flat_map(|h| h.lines()) {
                    ui.say(&format!("  hint: {line}"));
                }
                self.pending = None;
            }
        }
    }

    /// `Ok(false)`: no device in DFU mode yet.
    fn flash(&mut self, ui: &Ui, ctx: &Ctx<'_>, artifact: &Artifact, s: &Settings) -> Result<bool> {
        let printer = Printer {
            verbose: ui.verbose,
            quiet: ui.quiet || ui.json,
            json: false,
            device: String::new(),
            tree_version: s.tree.version_string.clone(),
        };
        let mut on_event = |e: flash::Event<'_>| printer.event(e);
        let mut dfu = Dfu {
            tool: &self.conn.tool,
            on_event: &mut on_event,
        };
        let found = dfu.reach(
            ctx.table()?,
            self.conn.serial.as_deref(),
            self.dfu_timeout,
            None,
        );
        let reached = match found {
            Ok(r) => r,
            Err(FlashError::NoDevice { .. }) => {
                if !self.told_no_device {
                    ui.say("flash: no device on USB; flashing when one is plugged in");
                    self.told_no_device = true;
                }
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        };
        let dev = reached.dev.clone();
        let table = ctx.table()?;
        let device_platform = platform_of(table, &dev)?;
        let build_platform = s.platform()?.clone();
        let steps = Printer {
            verbose: ui.verbose,
            quiet: ui.quiet,
            json: ui.json,
            device: dev.serial.clone(),
            tree_version: s.tree.version_string.clone(),
        };
        let request = Request {
            table,
            device_platform: &device_platform,
            source: Source::Build {
                platform: build_platform,
                target: Target::Main,
            },
            system: SystemPolicy::Never,
            force: false,
            allow_downgrade: false,
            dry_run: false,
            stop: None,
            unless_installed: true,
        };
        let result = deploy::run(
            &mut Connected {
                dfu: &mut dfu,
                dev: &dev,
                table,
            },
            &request,
            &mut |_| Ok(vec![artifact.clone()]),
            &mut |e| steps.event(e),
        );
        if reached.asked && super::flash::untouched(&result) {
            // Put in DFU mode for this flash and nothing written: back to its app.
            let _ = dfu.resume(&dev);
        }
        let done = result?;
        if ui.json {
            outln!(
                "{}",
                json!({"reason": "flash-finished", "success": true, "written": done.notes.len(), "after": done.plan.after})
            );
        } else if done.notes.is_empty() {
            ui.say(&format!(
                "flash: {} already has this user part: not flashed",
                dev.describe()
            ));
        } else {
            ui.say(&format!(
                "flash: wrote {} {} to {}",
                done.notes.len(),
                if done.notes.len() == 1 {
                    "image"
                } else {
                    "images"
                },
                dev.describe()
            ));
        }
        Ok(true)
    }
}

/// A watcher error, with how to raise the inotify limit when that is the cause.
fn watch_error(path: &Path, e: notify::Error) -> Error {
    let limit = match &e.kind {
        notify::ErrorKind::MaxFilesWatch => true,
        notify::ErrorKind::Io(io) => io.raw_os_error() == Some(28),
        _ => false,
    };
    Error::Watch {
        path: path.to_path_buf(),
        message: match limit {
            true => "the system's limit on inotify watches is reached".into(),
            false => e.to_string(),
        },
        limit_reached: limit,
    }
}
