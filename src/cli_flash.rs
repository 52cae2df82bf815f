//! Command-line arguments of the flashing commands: `flash`, `device`, `inspect`, `sim`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::cli::TargetArg;

/// How to reach the device.
#[derive(Debug, Clone, Args)]
pub struct DfuArgs {
    /// The device: its serial (the 24-hex device ID, see `pbuild device`), needed when several
    /// are in DFU mode; or `sim:DIR`, a simulated device made by `pbuild sim create`.
    #[arg(long, value_name = "SERIAL|sim:DIR")]
    pub device: Option<String>,
    /// The dfu-util executable [default: PBUILD_DFU_UTIL, else `dfu-util` on PATH; with
    /// `--device sim:DIR`, the dfu-util stand-in installed next to pbuild].
    #[arg(long, value_name = "PATH")]
    pub dfu_util: Option<PathBuf>,
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
pub struct FlashArgs {
    #[command(flatten)]
    pub dfu: DfuArgs,
    /// Build, read the device and print the plan and what the device would do after it;
    /// write nothing.
    #[arg(long)]
    pub dry_run: bool,
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
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
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
}

#[derive(Debug, Args)]
pub struct SimStatusArgs {
    pub dir: PathBuf,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}
