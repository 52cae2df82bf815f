//! The command line (clap): every command's arguments. The `--help` text is the user's
//! documentation: keep it true.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "pbuild",
    version,
    about = "Build Particle Photon, P1 and Electron firmware from a local Device OS checkout, fast and never stale",
    long_about = "Build Particle Photon, P1 and Electron firmware from a local Device OS checkout.\n\n\
pbuild reads the build steps from Device OS's own makefiles once (a dry run, cached until a makefile, \
the toolchain or a variable changes), then runs them itself: in parallel, rebuilding only what changed, \
in build directories keyed by platform, Device OS version and toolchain so nothing stale is ever reused.\n\n\
Settings come from flags, then project.toml (in the current directory or a parent: platform, app or appdir, \
tree, jobs, target), then the environment (DEVICE_OS_PATH). In a Particle project (project.properties, src/, \
lib/) the project is the app and project.toml is optional. Every build writes compile_commands.json at the \
project root for clangd / VS Code (not inside the Device OS tree).",
    after_help = "Examples:\n  pbuild new blink --platform p1 --tree ~/device-os\n  pbuild --platform p1 --app blink build\n  pbuild build --platform photon --target modules\n  pbuild build --platform electron --appdir ~/myapp --explain"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Platform: photon, p1 (P1), electron, or a platform id (6, 8, 10).
    #[arg(long, global = true, value_name = "NAME|ID")]
    pub platform: Option<String>,
    /// App by name: <tree>/user/applications/<NAME> (Device OS APP=).
    #[arg(long, global = true, value_name = "NAME", conflicts_with = "appdir", value_parser = app_name)]
    pub app: Option<String>,
    /// App by directory, anywhere (Device OS APPDIR=).
    #[arg(long, global = true, value_name = "DIR")]
    pub appdir: Option<PathBuf>,
    /// Device OS checkout [default: project.toml `tree`, else DEVICE_OS_PATH, else the tree above the app or the current directory; `-v` says which].
    #[arg(long, global = true, value_name = "DIR")]
    pub tree: Option<PathBuf>,
    /// Where pbuild puts artifacts and its build state [default: PBUILD_TARGET_DIR, else target/ next to project.toml].
    #[arg(long, global = true, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,
    /// Print machine-readable JSON lines on stdout (cargo-style `reason` objects).
    #[arg(long, global = true, value_enum, default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
    /// Print less: no progress, only errors and results.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more: every command line as it runs.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Do not use the content cache for this run (else: PBUILD_CACHE_DIR, $XDG_CACHE_HOME/pbuild or
    /// ~/.cache/pbuild; PBUILD_CACHE=0 or project.toml `cache = false` turn it off too).
    #[arg(long, global = true)]
    pub no_cache: bool,
    /// Put this command before every compile, like CMake's CMAKE_C_COMPILER_LAUNCHER: ccache,
    /// sccache, distcc, icecc [default: PBUILD_LAUNCHER, project.toml `launcher`]. pbuild's own
    /// cache is asked first; the launcher sees only the compiles it misses.
    #[arg(long, global = true, value_name = "CMD")]
    pub launcher: Option<String>,
    /// Compile the app without a precompiled Particle.h / application.h (else: on for app sources
    /// that include one of them first; PBUILD_PCH=0 or project.toml `pch = false` turn it off).
    #[arg(long, global = true)]
    pub no_pch: bool,
    /// When another pbuild (a `pbuild watch`, say) is using the same build directory, fail at once
    /// instead of waiting for it.
    #[arg(long, global = true)]
    pub no_wait: bool,
    /// Let a tree whose build/arm-tools.mk compares gcc versions as text (Device OS 0.4.4–2.0.x
    /// and 3.0.0, which refuse gcc 10 to 19) through; pbuild checks the version as numbers
    /// instead [project.toml `numeric_gcc_check = true`]. Nothing in the tree changes.
    #[arg(long, global = true)]
    pub numeric_gcc_check: bool,
    /// Compile every variant of a source itself, so each module's `.elf` equals make's to the
    /// byte [PBUILD_EXACT_ELF=1, project.toml `exact_elf = true`]. Without it, variants whose
    /// preprocessed code is proven the same are compiled once: the `.bin` files are identical,
    /// only the macro debug info of those objects in the `.elf` names the first variant's `-D`s.
    #[arg(long, global = true)]
    pub exact_elf: bool,
    /// Write a Chrome trace of each build to FILE: pbuild's phases and every step with its job
    /// slot (open it in ui.perfetto.dev or chrome://tracing).
    #[arg(long, global = true, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Colour: on a terminal only, and never when NO_COLOR is set (auto); always; never.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = super::term::ColorChoice::Auto)]
    pub color: super::term::ColorChoice,
}

/// `--app NAME`: a directory name in the tree's user/applications.
fn app_name(text: &str) -> Result<String, String> {
    match crate::config::project::is_app_name(text) {
        true => Ok(text.to_string()),
        false => Err("the name of a directory in the tree's user/applications (for a directory anywhere: --appdir DIR)".into()),
    }
}

/// `-j N`: at least 1, as cargo asks.
fn jobs(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("at least one job runs; leave -j out to use every core".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetArg {
    /// The user part (your app), like `make -C main`.
    Main,
    /// System parts and the user part, like `make -C modules`.
    Modules,
    /// The bootloader, like `make -C bootloader` (flash stages it for the system to apply).
    Bootloader,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build what is stale for the target (default: main, the user part).
    Build(BuildArgs),
    /// Remove pbuild's outputs and build state for a platform (or all); the tree's own make outputs only with --tree-outputs.
    Clean(CleanArgs),
    /// Build, check against the device, and flash over DFU: system parts first when the app needs them.
    ///
    /// A running device is asked to enter DFU mode over USB (no buttons); with --monitor its
    /// serial output follows once the app runs.
    Flash(FlashArgs),
    /// The Particle devices on USB, running or in DFU mode, and what each has installed.
    Device(DeviceArgs),
    /// Print what the app writes to its USB serial port, across resets (Ctrl-C to stop).
    Monitor(MonitorArgs),
    /// What a module binary is: platform, function, version, addresses, dependencies, CRC/SHA.
    Inspect(InspectArgs),
    /// Simulated devices on a simulated USB bus, for flashing without hardware (with the real dfu-util).
    #[command(subcommand)]
    Sim(SimCommand),
    /// Rebuild on every save of the app (and flash with --flash); Ctrl-C stops.
    Watch(WatchArgs),
    /// Check the toolchain, make, dfu-util, the udev rule, the tree and DFU devices, with the fix for what is missing
    ///
    /// One line per check: ✓ fine, ! worth fixing, ✗ broken, with the fix under it. Exits 2 when
    /// something `build` (compiler, newlib, make, tree) or `flash` (dfu-util, device permissions)
    /// needs is broken; warnings do not fail.
    Doctor(DoctorArgs),
    /// Print a shell completion script for bash, zsh, fish, elvish or PowerShell
    ///
    /// Install it where the shell looks:
    ///   bash: pbuild completions bash > ~/.local/share/bash-completion/completions/pbuild
    ///   zsh:  pbuild completions zsh > ~/.zfunc/_pbuild
    ///         (and `fpath+=~/.zfunc` before `compinit` in ~/.zshrc)
    ///   fish: pbuild completions fish > ~/.config/fish/completions/pbuild.fish
    #[command(verbatim_doc_comment)]
    Completions(CompletionsArgs),
    /// Create a project: project.toml, project.properties, src/NAME.cpp, .gitignore, README.md.
    New(NewArgs),
    /// Print the C++ pbuild compiles for a .ino sketch (what `particle preprocess` makes)
    ///
    /// Adds `#include "Particle.h"` unless the sketch includes Particle.h, application.h or
    /// Arduino.h; a prototype for every function defined at file level (below the types and
    /// constants its signature names; default arguments move into the prototype); and `#line`
    /// directives so that compiler errors name the sketch's own lines. A sketch with
    /// `#pragma PARTICLE_NO_PREPROCESSOR` is left as it is. Builds do this by themselves, into
    /// the build directory: the sketch's directory never gets a generated file.
    #[command(verbatim_doc_comment)]
    Preprocess(PreprocessArgs),
    /// The content cache of compiled objects, archives and ELFs shared by all builds of this user
    #[command(subcommand)]
    Cache(CacheCommand),
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Where the cache is, its size and limit, entries, and hits/misses so far.
    Stats,
    /// Remove everything in the cache (the next builds refill it).
    Clear,
}

#[derive(Debug, Args)]
pub struct PreprocessArgs {
    /// The sketch.
    pub file: PathBuf,
    /// Write here instead of to standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub dfu: DfuArgs,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// What to build [default: project.toml `target`, else main].
    #[arg(long, value_enum)]
    pub target: Option<TargetArg>,
    /// Parallel jobs [default: project.toml `jobs`, else the number of cores]. Unlike Device OS's make, any -j is safe.
    #[arg(short, long, value_name = "N", value_parser = jobs)]
    pub jobs: Option<usize>,
    /// For every step that runs, print why (new, command changed, which input changed, toolchain changed).
    #[arg(long)]
    pub explain: bool,
}

#[derive(Debug, Args)]
pub struct CleanArgs {
    /// Remove the outputs and build state of every platform.
    #[arg(long)]
    pub all: bool,
    /// Also remove Device OS's own make outputs in the tree for the platform
    /// (`<tree>/build/target/*/platform-<id>*`, what `make clean` removes); with --all, all of
    /// `<tree>/build/target`, whoever built it.
    #[arg(long)]
    pub tree_outputs: bool,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// What to build [default: project.toml `target`, else main; `modules` also watches the tree's sources].
    #[arg(long, value_enum)]
    pub target: Option<TargetArg>,
    /// Parallel jobs [default: project.toml `jobs`, else the number of cores].
    #[arg(short, long, value_name = "N", value_parser = jobs)]
    pub jobs: Option<usize>,
    /// After each build whose user part changed, flash it (same preflight as `pbuild flash`; a
    /// running device is put in DFU mode over USB); without a device, keep watching and flash
    /// when one is plugged in.
    #[arg(long)]
    pub flash: bool,
    #[command(flatten)]
    pub dfu: DfuArgs,
    /// With --flash: print the app's USB serial output between builds, in the same terminal.
    #[arg(long, requires = "flash")]
    pub monitor: bool,
    /// Accepted for habit with --monitor; a USB serial port has no real bit rate.
    #[arg(long, value_name = "RATE", default_value_t = 9600)]
    pub baud: u32,
    /// Quiet time after the last change before a build starts. One save makes several events within
    /// a few ms; a burst longer than this (a big `git checkout`) costs at most one extra build, since
    /// builds never overlap and changes during a build queue a single follow-up. Kept short because
    /// it adds to every save-to-binary time.
    #[arg(long, value_name = "MS", default_value_t = 30)]
    pub debounce_ms: u64,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  pbuild new blink --platform p1 --tree ~/device-os\n  pbuild new apps/sensor --ino"
)]
pub struct NewArgs {
    /// The project directory to create; its name names the app (letters, digits, `-`, `_`).
    /// With --platform and --tree, those go into its project.toml.
    #[arg(value_name = "NAME")]
    pub path: PathBuf,
    /// Write src/NAME.ino (Arduino-style: no #include, no prototypes needed) instead of src/NAME.cpp.
    #[arg(long)]
    pub ino: bool,
}

/// How to reach the device.
#[derive(Debug, Clone, Args)]
pub struct DfuArgs {
    /// The device: its serial (the 24-hex device ID, see `pbuild device`), needed when several
    /// are attached; or `sim:DIR`, a simulated device made by `pbuild sim create` (pbuild then
    /// runs itself on the simulated bus, as `pbuild sim exec --device DIR` does).
    #[arg(long, value_name = "SERIAL|sim:DIR")]
    pub device: Option<String>,
    /// The dfu-util executable [default: PBUILD_DFU_UTIL, else `dfu-util` on PATH].
    #[arg(long, value_name = "PATH")]
    pub dfu_util: Option<PathBuf>,
    /// How long a running device, asked to enter DFU mode, may take to show up in it.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub dfu_timeout: f64,
}

/// The app's serial output.
#[derive(Debug, Clone, Args)]
pub struct MonitorOpts {
    /// Accepted for habit; a USB serial port has no real bit rate (the device ignores it).
    #[arg(long, value_name = "RATE", default_value_t = 9600)]
    pub baud: u32,
    /// Stop after this many seconds [default: at Ctrl-C].
    #[arg(long = "for", value_name = "SECONDS")]
    pub for_seconds: Option<f64>,
}

#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// The device: its serial (see `pbuild device`), needed when several run; or `sim:DIR`.
    #[arg(long, value_name = "SERIAL|sim:DIR")]
    pub device: Option<String>,
    #[command(flatten)]
    pub opts: MonitorOpts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SystemPolicy {
    /// When the app needs a newer system than the device has, build the tree's system parts
    /// and flash them first.
    Auto,
    /// Never flash system parts unless `--target modules`; refuse an app the device's system
    /// cannot run.
    Never,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  pbuild flash                                  build what is stale and flash it\n  pbuild flash --dry-run                        the plan, and what the device does after it\n  pbuild flash --target modules                 the system parts too (skipping those on the device)\n  pbuild flash system-part1@2.2.0.bin system-part2@2.2.0.bin bootloader@2.2.0.bin\n                                                release binaries, each to its address; a bootloader\n                                                is staged for the system to apply (as `particle update`)"
)]
pub struct FlashArgs {
    /// Module files to flash instead of building: `.bin` or `.dfu` system parts, a user part,
    /// monolithic firmware, a bootloader. Each goes to the address its header names, in a safe
    /// order, with the same checks; a bootloader is staged in the OTA region for the system to
    /// apply at its next boot.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub dfu: DfuArgs,
    /// Build, read the device and print the plan (a staged bootloader and the resets it takes
    /// included) and what the device would do after it; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write system parts (or a bootloader) older than the device's. Without it such a flash
    /// is refused, saying what is older.
    #[arg(long)]
    pub allow_downgrade: bool,
    /// System parts: `auto` adds them when the app needs a newer system than the device has
    /// (the safe-mode trap); `never` refuses instead.
    #[arg(long, value_enum, default_value_t = SystemPolicy::Auto)]
    pub system: SystemPolicy,
    /// Flash even what preflight predicts would put the device in safe mode or factory reset.
    #[arg(long)]
    pub force: bool,
    /// What to build and flash [default: project.toml `target`, else main; `modules` flashes
    /// the system parts too, skipping those already on the device].
    #[arg(long, value_enum)]
    pub target: Option<TargetArg>,
    /// Parallel build jobs [default: the number of cores].
    #[arg(short, long, value_name = "N", value_parser = jobs)]
    pub jobs: Option<usize>,
    /// After the flash, print the app's USB serial output (as `pbuild monitor`; Ctrl-C stops).
    #[arg(long)]
    pub monitor: bool,
    #[command(flatten)]
    pub monitor_opts: MonitorOpts,
}

#[derive(Debug, Args)]
pub struct DeviceArgs {
    #[command(flatten)]
    pub dfu: DfuArgs,
    /// JSON lines on stdout, one per device.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Module files: `.bin` as built, or `.dfu` (the DFU suffix is reported and stripped).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// JSON lines on stdout, one per file.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Make a simulated device in DIR (use --platform): flash image and identity, with the
    /// bootloader, system parts and a user app of a Device OS version, as shipped.
    Create(SimCreateArgs),
    /// What is installed on a simulated device and what it would do at reset.
    Status(SimStatusArgs),
    /// Run a command with simulated devices on a simulated USB bus: the real dfu-util, pbuild,
    /// or a script using both find them through libusb as if plugged in.
    ///
    /// The command gets LD_LIBRARY_PATH with pbuild's simulated libusb-1.0.so.0 first and
    /// PBUILD_SIM_DEVICES naming the devices; while it runs, each running device offers a
    /// serial port (a pseudo-terminal) that prints a boot line and a tick every second, and
    /// enters DFU mode when set to 14400 baud. Exits with the command's exit status.
    #[command(
        after_help = "Examples:\n  pbuild sim exec --device dev -- dfu-util -l\n  pbuild sim exec --device a --device b -- pbuild flash --device <serial of b>"
    )]
    Exec(SimExecArgs),
    /// The serial side of a bus `sim exec` started: runs until the process `--parent` ends.
    #[command(hide = true)]
    Serve(SimServeArgs),
}

#[derive(Debug, Args)]
pub struct SimServeArgs {
    #[arg(long, required = true)]
    pub device: Vec<PathBuf>,
    /// The library directory to remove at the end.
    #[arg(long)]
    pub shim: PathBuf,
    #[arg(long)]
    pub parent: u32,
}

#[derive(Debug, Args)]
pub struct SimExecArgs {
    /// A simulated device directory to attach (repeat for several; none: an empty bus).
    #[arg(long, value_name = "DIR")]
    pub device: Vec<PathBuf>,
    /// The command and its arguments.
    #[arg(required = true, last = true, value_name = "COMMAND")]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub struct SimCreateArgs {
    /// Directory for the device (created).
    pub dir: PathBuf,
    /// System module version installed (e.g. 1512 = Device OS 1.5.2, 2302 = 2.3.1).
    #[arg(long, default_value_t = 2302, value_name = "VERSION")]
    pub system_version: u16,
    /// Bootloader version [default: the one that shipped with the system version].
    #[arg(long, value_name = "VERSION")]
    pub bootloader_version: Option<u16>,
    /// USB serial = device ID, 24 hex digits [default: derived from DIR].
    #[arg(long, value_name = "ID")]
    pub serial: Option<String>,
    /// Only the bootloader: no system firmware, no app (the device stays in DFU mode).
    #[arg(long)]
    pub empty: bool,
    /// Waiting in DFU mode (blinking yellow), as when MODE is held at power-up [default: it
    /// runs what it has, as a device does when plugged in].
    #[arg(long)]
    pub dfu: bool,
}

#[derive(Debug, Args)]
pub struct SimStatusArgs {
    pub dir: PathBuf,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

impl From<TargetArg> for crate::config::Target {
    fn from(t: TargetArg) -> Self {
        match t {
            TargetArg::Main => crate::config::Target::Main,
            TargetArg::Modules => crate::config::Target::Modules,
            TargetArg::Bootloader => crate::config::Target::Bootloader,
        }
    }
}
