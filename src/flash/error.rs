//! What can go wrong while reaching or flashing a device, and what may be done about a refused
//! flash: typed data for the front end to explain. Knows nothing else of pbuild.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum FlashError {
    #[error("dfu-util not found ({})", exe.display())]
    DfuUtilMissing { exe: PathBuf },
    #[error("running {}: {source}", exe.display())]
    Spawn {
        exe: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no Particle device found on USB{}", match wanted { Some(w) => format!(" with serial {w}"), None => String::new() })]
    NoDevice { wanted: Option<String> },
    #[error("dfu-util found a device but cannot open it: {line}")]
    CannotOpen { line: String },
    #[error("{} devices attached: {}", devices.len(), devices.join(", "))]
    SeveralDevices { devices: Vec<String> },
    #[error("no device with serial {serial} (found: {})", if found.is_empty() { "none".to_string() } else { found.join(", ") })]
    NotFound { serial: String, found: Vec<String> },
    #[error("the device refused to write at {address:#010x}: {message}")]
    NotWritable { address: u32, message: String },
    #[error("dfu-util refused the file: {message}")]
    WrongDevice { message: String },
    #[error("dfu-util failed ({status}): {message}")]
    Failed { status: String, message: String },
    /// `dfu-util -l` did not end with status 0 (it does, devices or none).
    #[error("`{} -l` failed ({status}): {message}", exe.display())]
    ListFailed {
        exe: PathBuf,
        status: String,
        message: String,
    },
    #[error("flashing stopped at {label} ({done} of {total} images written): {cause}")]
    Interrupted {
        label: String,
        done: usize,
        total: usize,
        cause: Box<FlashError>,
    },
    /// The device went away while `label` was written (unplugged, or it reset).
    #[error("the device disconnected while {label} was being written ({cause})")]
    Unplugged {
        label: String,
        /// The images written before it.
        written: String,
        not_written: String,
        /// What the device will do when it is powered again, as `Boot::summary` says.
        when_back: String,
        cause: Box<FlashError>,
    },
    /// Ctrl-C (or SIGTERM) during a flash: the image being written was finished first.
    #[error("flashing stopped by Ctrl-C after {done} of {total} images")]
    Stopped { done: usize, total: usize },
    #[error("reading {len} bytes at {address:#010x} from the device returned {got}")]
    ShortRead { address: u32, len: u32, got: usize },
    /// libusb may not open the device (LIBUSB_ERROR_ACCESS): no udev rule.
    #[error("no permission to open {device} over USB")]
    UsbAccess { device: String },
    #[error("USB: {what}: {error}")]
    Usb { what: String, error: String },
    /// A running device could not be asked to enter DFU mode.
    #[error("cannot ask {device} to enter DFU mode: {why}")]
    CannotEnterDfu { device: String, why: String },
    /// The device did not show up in `mode` within the time given.
    #[error("{device} did not appear in {mode} within {seconds:.0} s")]
    DfuTimeout {
        device: String,
        seconds: f64,
        mode: &'static str,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl FlashError {
    /// Whether the device's flash may have changed before this error: false for the errors
    /// dfu-util reports before it erases anything.
    pub fn may_have_written(&self) -> bool {
        !matches!(
            self.root(),
            FlashError::DfuUtilMissing { .. }
                | FlashError::Spawn { .. }
                | FlashError::NoDevice { .. }
                | FlashError::CannotOpen { .. }
                | FlashError::SeveralDevices { .. }
                | FlashError::NotFound { .. }
                | FlashError::NotWritable { .. }
                | FlashError::WrongDevice { .. }
                | FlashError::UsbAccess { .. }
                | FlashError::Usb { .. }
                | FlashError::CannotEnterDfu { .. }
                | FlashError::DfuTimeout { .. }
                | FlashError::ListFailed { .. }
        )
    }

    /// The error behind an interruption, or this one.
    pub fn root(&self) -> &FlashError {
        match self {
            FlashError::Interrupted { cause, .. } | FlashError::Unplugged { cause, .. } => {
                cause.root()
            }
            other => other,
        }
    }
}

/// What the user can do about a flash that preflight refused (the front end words it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remedy {
    /// The build is for another platform than the device's.
    BuildFor { platform: String },
    /// The app needs a newer system, and system parts were not to be added (`--system never`).
    AddSystem { why: String },
    /// A system part needs a newer bootloader than the device has.
    UpdateBootloader,
    /// An image's CRC does not match: rebuild it.
    Rebuild,
    /// `--force` would flash it anyway.
    Force,
    /// The system parts need bootloader `needs`, and no bootloader image could be had (`why`).
    GiveBootloader { needs: u16, why: String },
    /// Something is older than what the device has: `--allow-downgrade` writes it anyway.
    AllowDowngrade,
}
