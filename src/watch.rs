//! `pbuild watch`: rebuild (and flash) on every save. Knows what to watch and when to build;
//! how to build belongs to `build`, how to flash to `commands_flash`.
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
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, new_debouncer};
use serde_json::json;

use crate::build::Artifact;
use crate::cli::{Cli, MessageFormat, TargetArg, WatchArgs};
use crate::commands_flash::{Connection, event_printer, images_of, platform_of, show_plan};
use crate::config::{Overrides, Settings, Target};
use crate::device::Layout;
use crate::device::preflight;
use crate::error::{Error, Result};
use crate::flash::{self, Dfu, FlashError};

/// How often the loop looks at the Ctrl-C flag while idle.
const POLL: Duration = Duration::from_millis(50);
/// How often a flash waiting for a device looks for one.
const DEVICE_POLL: Duration = Duration::from_secs(1);

pub fn watch(cli: &Cli, args: &WatchArgs, mut o: Overrides, cwd: &Path) -> Result<()> {
    o.jobs = args.jobs;
    o.target = args.target.map(|t| match t {
        TargetArg::Main => Target::Main,
        TargetArg::Modules => Target::Modules,
    });
    let settings = Settings::load(&o, cwd)?;
    let scope = Scope::of(&settings);
    if scope.roots.is_empty() {
        return Err(Error::NoAppGiven {
            target: settings.target.name().into(),
        });
    }

    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .map_err(|e| Error::io("signal handler", e))?;
    }

    let (tx, rx) = std::sync::mpsc::channel();
    let mut debouncer = new_debouncer(Duration::from_millis(args.debounce_ms), None, tx)
        .map_err(|e| watch_error(&scope.roots[0], e))?;
    for root in &scope.roots {
        debouncer
            .watch(root, RecursiveMode::Recursive)
            .map_err(|e| watch_error(root, e))?;
    }

    let mut ui = Ui {
        json: cli.global.message_format == MessageFormat::Json,
        quiet: cli.global.quiet,
        verbose: cli.global.verbose,
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
        true => Some(Flasher::new(&args.dfu)?),
        false => None,
    };
    drop(settings);

    let mut cycle = 0usize;
    let mut changed: Vec<PathBuf> = Vec::new();
    loop {
        cycle += 1;
        let built = build_cycle(&mut ui, &o, cwd, cycle, &changed, &scope, &stop);
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if let (Some(f), Some((artifacts, settings))) = (flasher.as_mut(), built) {
            f.offer(&ui, &artifacts, &settings);
        }
        match wait_for_changes(&rx, &scope, &stop, &ui, flasher.as_mut())? {
            Some(paths) => changed = paths,
            None => break,
        }
    }
    ui.say("Stopped watching");
    Ok(())
}

/// What is watched and which events count.
struct Scope {
    roots: Vec<PathBuf>,
    /// Build outputs and state: events below these are the build's own.
    ignored: Vec<PathBuf>,
    /// Where changed paths are shown relative to.
    base: PathBuf,
}

impl Scope {
    fn of(s: &Settings) -> Scope {
        let tree = crate::paths::absolute(&s.tree.root);
        let mut roots = Vec::new();
        if s.target == Target::Modules {
            roots.push(tree.clone());
        }
        if let Some(app) = &s.app {
            let dir = crate::paths::absolute(&app.dir);
            if !roots.iter().any(|r| dir.starts_with(r)) {
                roots.push(dir);
            }
        }
        let base = match (&s.app, s.target) {
            (Some(app), Target::Main) => crate::paths::absolute(&app.dir),
            _ => tree.clone(),
        };
        Scope {
            roots,
            ignored: vec![
                crate::paths::absolute(&s.target_dir),
                crate::paths::absolute(&s.state_dir()),
                tree.join("build").join("target"),
            ],
            base,
        }
    }

    fn counts(&self, kind: &EventKind, path: &Path) -> bool {
        if matches!(kind, EventKind::Access(_) | EventKind::Other) {
            return false;
        }
        if self.ignored.iter().any(|i| path.starts_with(i)) {
            return false;
        }
        if path
            .components()
            .any(|c| c.as_os_str() == ".pbuild" || c.as_os_str() == ".git")
        {
            return false;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        // pbuild's own compile_commands.json (and its temp file) is written by every changed build.
        // So is the import's probe beside sketches (`layout::SKETCH_PROBE`).
        if name == crate::compdb::FILE_NAME
            || name.starts_with(&format!(".{}.pbuild-tmp", crate::compdb::FILE_NAME))
            || name == crate::layout::SKETCH_PROBE
        {
            return false;
        }
        // Editor scratch files: vim's swap files and its `4913` write test, emacs lock files.
        !(name.ends_with(".swp")
            || name.ends_with(".swx")
            || name.ends_with('~')
            || name.starts_with(".#")
            || name == "4913")
    }

    fn shown(&self, changed: &[PathBuf]) -> String {
        const LIST: usize = 3;
        let mut names: Vec<String> = changed
            .iter()
            .map(|p| crate::paths::shown(p, &self.base))
            .collect();
        let more = names.len().saturating_sub(LIST);
        names.truncate(LIST);
        let mut text = names.join(", ");
        if more > 0 {
            text.push_str(&format!(" (+{more} more)"));
        }
        text
    }
}

/// Block until a batch of relevant changes arrives (then take everything else already queued),
/// or Ctrl-C (`None`). While a flash waits for a device, look for one now and then.
fn wait_for_changes(
    rx: &Receiver<DebounceEventResult>,
    scope: &Scope,
    stop: &AtomicBool,
    ui: &Ui,
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
                    f.retry(ui);
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
                    if matches!(&err, Error::Watch { hint: Some(_), .. }) {
                        return Err(err);
                    }
                    ui.say(&crate::term::warning(&err.to_string()));
                }
            }
        }
    }
}

/// One build and its status block. Returns the artifacts (and the settings used) of a good build.
fn build_cycle(
    ui: &mut Ui,
    o: &Overrides,
    cwd: &Path,
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
    let result = Settings::load(o, cwd).and_then(|mut s| {
        if cycle > 1 {
            s.warnings.clear();
        }
        let quiet = ui.quiet || ui.json || !std::io::stderr().is_terminal();
        let out = crate::commands::build_with_progress(&s, quiet, ui.verbose, false)?;
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
                println!(
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
                        crate::paths::shown(&a.bin, cwd)
                    ));
                }
            }
            Some((out.artifacts, s))
        }
        Ok((out, _)) => {
            let failed = out.outcome.failed.len();
            if ui.json {
                println!(
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
                println!(
                    "{}",
                    json!({"reason": "watch-build", "cycle": cycle, "changed": changed_json,
                           "success": false, "error": e.to_string(), "seconds": seconds})
                );
            } else {
                let text = crate::term::error_lines(&e.to_string(), e.hint().as_deref());
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

/// Flashes the user part when its bytes changed, with `pbuild flash`'s preflight; waits for a
/// device in DFU mode without stopping the watch.
struct Flasher {
    conn: Connection,
    /// xxh3 of the user part last flashed (or found unchanged).
    flashed: Option<u64>,
    /// A user part to flash once a device shows up.
    pending: Option<(Artifact, u64, u16)>,
    told_no_device: bool,
}

impl Flasher {
    fn new(dfu: &crate::cli_flash::DfuArgs) -> Result<Flasher> {
        Ok(Flasher {
            conn: Connection::from_args(dfu)?,
            flashed: None,
            pending: None,
            told_no_device: false,
        })
    }

    fn waiting(&self) -> bool {
        self.pending.is_some()
    }

    /// A good build: flash its user part if the bytes differ from the last one flashed.
    fn offer(&mut self, ui: &Ui, artifacts: &[Artifact], s: &Settings) {
        let Some(user) = artifacts.iter().find(|a| a.module == "user-part") else {
            return;
        };
        let Ok(platform) = s.platform() else { return };
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
        self.pending = Some((user.clone(), hash, platform.id));
        self.retry(ui);
    }

    /// Try the pending flash now; no device in DFU mode is said once and leaves it pending.
    fn retry(&mut self, ui: &Ui) {
        let Some((artifact, hash, platform_id)) = self.pending.clone() else {
            return;
        };
        match self.flash(ui, &artifact, platform_id) {
            Ok(true) => {
                self.flashed = Some(hash);
                self.pending = None;
                self.told_no_device = false;
            }
            Ok(false) => {}
            Err(e) => {
                ui.say(&format!("flash: error: {e}"));
                if let Some(hint) = e.hint() {
                    for line in hint.lines() {
                        ui.say(&format!("  hint: {line}"));
                    }
                }
                self.pending = None;
            }
        }
    }

    /// `Ok(false)`: no device in DFU mode yet.
    fn flash(&mut self, ui: &Ui, artifact: &Artifact, platform_id: u16) -> Result<bool> {
        let mut printer = event_printer(ui.verbose, ui.quiet || ui.json);
        let mut dfu = Dfu {
            tool: &self.conn.tool,
            on_event: &mut printer,
            stop: None,
        };
        let listing = dfu.list()?;
        let dev = match flash::select(&listing, self.conn.serial.as_deref()) {
            Ok(d) => d.clone(),
            Err(FlashError::NoDevice { .. }) => {
                if !self.told_no_device {
                    ui.say("flash: no device in DFU mode; flashing when one appears (hold SETUP, tap RESET, release SETUP when it blinks yellow)");
                    self.told_no_device = true;
                }
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        };
        let device_platform = platform_of(&dev).ok_or_else(|| {
            Error::Other(format!("{} is not a Particle Gen 2 device", dev.describe()))
        })?;
        if device_platform.id != platform_id {
            return Err(Error::FlashRefused {
                problems: vec![format!(
                    "the build is for platform {platform_id} but the device in DFU mode is a {} ({})",
                    device_platform.name, device_platform.id
                )],
                hint: format!(
                    "restart the watch with --platform {}, or select another device with --device",
                    device_platform.name
                ),
            });
        }
        let images = images_of(std::slice::from_ref(artifact), false)?;
        let installed = dfu.read_installed(&dev, &Layout::of(&device_platform))?;
        let plan = preflight::plan(&installed, &images);
        show_plan(&plan, ui.json, ui.quiet, &dev);
        if plan.refused(false) {
            return Err(Error::FlashRefused {
                problems: plan.problems.iter().map(|p| p.to_string()).collect(),
                hint: "fix it and save again, or flash once with `pbuild flash` (which can add the system parts)".into(),
            });
        }
        let notes = dfu.execute(&dev, &plan)?;
        if ui.json {
            println!(
                "{}",
                json!({"reason": "flash-finished", "success": true, "written": notes.len(), "after": plan.after})
            );
        } else {
            ui.say(&format!(
                "flash: wrote {} image(s) to {}",
                notes.len(),
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
        hint: limit.then(|| {
            "each watched directory takes one inotify watch; raise the limit:\n  \
             sudo sysctl fs.inotify.max_user_watches=524288\n\
             and keep it across reboots:\n  \
             echo fs.inotify.max_user_watches=524288 | sudo tee /etc/sysctl.d/90-inotify.conf"
                .into()
        }),
    }
}
