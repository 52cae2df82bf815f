//! The front end: the only place that knows clap, stdout and stderr, colour, JSON lines, hints and
//! exit codes. It turns arguments into library calls (one file per command) and shows what they
//! return; the library below it returns data and typed errors and prints nothing.

/// `outln!` that does not panic on a closed or full stdout (see `out`).
macro_rules! outln {
    () => { $crate::cli::out::args(format_args!(""), true) };
    ($($t:tt)*) => { $crate::cli::out::args(format_args!($($t)*), true) };
}

/// `out!` that does not panic on a closed or full stdout (see `out`).
macro_rules! out {
    ($($t:tt)*) => { $crate::cli::out::args(format_args!($($t)*), false) };
}

pub mod args;
mod build;
mod cache;
mod device;
pub mod diagnostics;
mod doctor;
mod flash;
mod inspect;
mod monitor;
mod new;
pub mod out;
mod preprocess;
pub mod progress;
mod sim;
pub mod term;
mod watch;

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use clap::Parser;

use args::Command;
pub use args::{Cli, MessageFormat};

use crate::config::{Overrides, Project, Settings, Table};
use crate::error::{Error, Result};

/// Parse the command line, run it, show any error; the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => usage_error(e),
    };
    term::init(cli.global.color);
    let json = cli.global.message_format == MessageFormat::Json;
    // `sim exec`, and `--device sim:DIR` off the simulated bus: run a command on the bus.
    let on_bus = match &cli.command {
        Command::Sim(args::SimCommand::Exec(a)) => Some(sim::exec(a)),
        Command::Sim(args::SimCommand::Serve(a)) => Some(sim::serve(a)),
        cmd => sim::off_bus_device(cmd).map(|dir| sim::rerun_on_bus(&dir)),
    };
    if let Some(r) = on_bus {
        return r.unwrap_or_else(|e| {
            diagnostics::report(&e, json);
            diagnostics::exit_code(&e)
        });
    }
    match run(&cli) {
        Ok(()) if out::failed() => 1,
        Ok(()) => 0,
        Err(e) => {
            diagnostics::report(&e, json);
            diagnostics::exit_code(&e)
        }
    }
}

/// A command line clap refused (or `--help`): shown as clap shows it, and with
/// `--message-format json` also as an `error` line on stdout, as every other failure is.
fn usage_error(e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    let args: Vec<String> = std::env::args().collect();
    let json = args.iter().any(|a| a == "--message-format=json")
        || args
            .windows(2)
            .any(|w| w[0] == "--message-format" && w[1] == "json");
    let shown_only = matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if json && !shown_only {
        let text = e.to_string();
        let message = text
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("error: ")
            .to_string();
        outln!(
            "{}",
            serde_json::json!({"reason": "error", "message": message, "hint": null, "exit_code": e.exit_code()})
        );
    }
    e.exit()
}

/// What every command starts from: the arguments, the current directory, the flags that become
/// settings, and the project around the current directory (read once, when first needed).
pub(crate) struct Ctx<'a> {
    pub cli: &'a Cli,
    pub cwd: PathBuf,
    pub overrides: Overrides,
    project: OnceCell<Project>,
}

impl Ctx<'_> {
    pub fn json(&self) -> bool {
        self.cli.global.message_format == MessageFormat::Json
    }

    pub fn quiet(&self) -> bool {
        self.cli.global.quiet
    }

    pub fn verbose(&self) -> bool {
        self.cli.global.verbose
    }

    pub fn project(&self) -> Result<&Project> {
        if let Some(p) = self.project.get() {
            return Ok(p);
        }
        let p = Project::find(&self.cwd)?;
        Ok(self.project.get_or_init(|| p))
    }

    /// The platform table: the project's toolchains.toml, else pbuild's own.
    pub fn table(&self) -> Result<&Table> {
        Ok(&self.project()?.table)
    }

    /// Settings for `o` (the flags, perhaps adjusted by the command). When they cannot be made,
    /// project.toml's warnings are shown first: a misspelt key may be the very cause.
    pub fn settings(&self, o: &Overrides) -> Result<Settings> {
        let project = self.project()?;
        Settings::load(o, &self.cwd, project).inspect_err(|_| {
            for w in &project.warnings {
                eprintln!("{}", term::warning(w));
            }
        })
    }

    /// `p` relative to the current directory when it lies below it.
    pub fn shown(&self, p: &Path) -> String {
        crate::paths::shown(p, &self.cwd)
    }
}

/// A flag Ctrl-C (or SIGTERM) sets, for long work to stop at a safe point; a second Ctrl-C
/// exits at once (status 130).
pub(crate) fn stop_on_ctrl_c() -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register_conditional_shutdown(sig, 130, stop.clone());
        let _ = signal_hook::flag::register(sig, stop.clone());
    }
    stop
}

/// Like [`stop_on_ctrl_c`] for work that must not be cut in the middle (a flash: dfu-util writing
/// an image): every later Ctrl-C only says `busy`, and pbuild goes on to the safe point.
pub(crate) fn stop_patiently(busy: &'static str) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    use std::sync::atomic::Ordering;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
    ]);
    match signals {
        Ok(mut signals) => {
            let flag = stop.clone();
            std::thread::spawn(move || {
                for _ in signals.forever() {
                    if flag.swap(true, Ordering::SeqCst) {
                        eprintln!("{busy}");
                    }
                }
            });
            stop
        }
        Err(_) => stop_on_ctrl_c(),
    }
}

pub fn run(cli: &Cli) -> Result<()> {
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    let g = &cli.global;
    let overrides = Overrides {
        platform: g.platform.clone(),
        app: g.app.clone(),
        appdir: g.appdir.clone(),
        tree: g.tree.clone(),
        target_dir: g.target_dir.clone(),
        no_cache: g.no_cache,
        launcher: g.launcher.clone(),
        no_pch: g.no_pch,
        no_wait: g.no_wait,
        numeric_gcc_check: g.numeric_gcc_check,
        exact_elf: g.exact_elf,
        ..Overrides::default()
    };
    let ctx = Ctx {
        cli,
        cwd,
        overrides,
        project: OnceCell::new(),
    };
    // These print a script or C++, never JSON lines: a JSON reader asked for the wrong thing.
    if ctx.json() {
        let text_only = match &cli.command {
            Command::Completions(_) => Some("completions"),
            Command::Preprocess(_) => Some("preprocess"),
            _ => None,
        };
        if let Some(command) = text_only {
            return Err(Error::Other(format!(
                "`{command}` prints text, not JSON lines: run it without --message-format json"
            )));
        }
    }
    match &cli.command {
        Command::Build(args) => build::build(&ctx, args),
        Command::Clean(args) => build::clean(&ctx, args),
        Command::Flash(args) => flash::flash(&ctx, args),
        Command::Device(args) => device::device(&ctx, args),
        Command::Monitor(args) => monitor::monitor(&ctx, args),
        Command::Inspect(args) => inspect::inspect(&ctx, args),
        Command::Sim(sim) => sim::sim(&ctx, sim),
        Command::Watch(args) => watch::watch(&ctx, args),
        Command::Doctor(args) => doctor::doctor(&ctx, args),
        Command::Completions(args) => doctor::completions(args),
        Command::New(args) => new::new(&ctx, args),
        Command::Preprocess(args) => preprocess::preprocess(&ctx, args),
        Command::Cache(c) => cache::cache(&ctx, c),
    }
}
