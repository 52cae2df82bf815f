//! Flashing through dfu-util: the command lines (`-d VID:PID -a 0 -s ADDR[:leave] -S SERIAL -D
//! FILE`, `-s ADDR:LEN -U FILE`), reading `dfu-util -l`, choosing a device, and what dfu-util's
//! output and exit status really mean (particle-facts.md §7). Knows nothing of builds; the plan
//! of what to write comes from [`crate::device::preflight`].

pub mod list;
pub mod outcome;
pub mod tool;

use std::path::{Path, PathBuf};

use thiserror::Error;

pub use list::{DfuDevice, Listing, parse_list};
pub use outcome::Note;
pub use tool::{DfuTool, Process, ToolRun};

use crate::device::Layout;
use crate::device::installed::{FlashReader, Installed, read_installed};
use crate::device::preflight::{Plan, Write};

/// The one-line udev rule for Gen 2 devices (particle-facts.md §7).
pub const UDEV_RULE: &str = r#"SUBSYSTEMS=="usb", ATTRS{idVendor}=="2b04", ATTRS{idProduct}=="[cd]0??", GROUP="plugdev", MODE="0666", ENV{ID_MM_DEVICE_IGNORE}="1""#;

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
    #[error("no device in DFU mode found{}", match wanted { Some(w) => format!(" ({w})"), None => String::new() })]
    NoDevice { wanted: Option<String> },
    #[error("dfu-util found a device but cannot open it: {line}")]
    CannotOpen { line: String },
    #[error("{} devices in DFU mode: {}", devices.len(), devices.join(", "))]
    SeveralDevices { devices: Vec<String> },
    #[error("no device with serial {serial} in DFU mode (found: {})", if found.is_empty() { "none".to_string() } else { found.join(", ") })]
    NotFound { serial: String, found: Vec<String> },
    #[error("the device refused to write at {address:#010x}: {message}")]
    NotWritable { address: u32, message: String },
    #[error("dfu-util refused the file: {message}")]
    WrongDevice { message: String },
    #[error("dfu-util failed ({status}): {message}")]
    Failed { status: String, message: String },
    #[error("flashing stopped at {label} ({done} of {total} images written): {cause}")]
    Interrupted {
        label: String,
        done: usize,
        total: usize,
        cause: Box<FlashError>,
    },
    /// Ctrl-C (or SIGTERM) during a flash: the image being written was finished first.
    #[error("flashing stopped by Ctrl-C after {done} of {total} images")]
    Stopped { done: usize, total: usize },
    #[error("reading {len} bytes at {address:#010x} from the device returned {got}")]
    ShortRead { address: u32, len: u32, got: usize },
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
        )
    }

    /// The error behind an interruption, or this one.
    pub fn root(&self) -> &FlashError {
        match self {
            FlashError::Interrupted { cause, .. } => cause.root(),
            other => other,
        }
    }
}

/// What happened while flashing, for progress display.
#[derive(Debug, Clone)]
pub enum Event<'a> {
    /// A dfu-util command line is about to run.
    Command(&'a [String]),
    Writing {
        n: usize,
        total: usize,
        write: &'a Write,
    },
    Written {
        n: usize,
        total: usize,
        write: &'a Write,
        note: Note,
        seconds: f64,
    },
    Reading {
        address: u32,
        len: u32,
    },
}

/// A device driven through a dfu-util executable.
pub struct Dfu<'a> {
    pub tool: &'a dyn DfuTool,
    pub on_event: &'a mut dyn FnMut(Event<'_>),
    /// Set (by a Ctrl-C handler) to stop after the image being written.
    pub stop: Option<&'a std::sync::atomic::AtomicBool>,
}

impl Dfu<'_> {
    fn run(&mut self, args: Vec<String>) -> Result<ToolRun, FlashError> {
        (self.on_event)(Event::Command(&args));
        self.tool.run(&args)
    }

    /// `dfu-util -l`.
    pub fn list(&mut self) -> Result<Listing, FlashError> {
        let run = self.run(vec!["-l".into()])?;
        Ok(parse_list(&run.stdout, &run.stderr))
    }

    /// Reads `len` bytes at `address` (`-s ADDR:LEN -U FILE`).
    pub fn upload(
        &mut self,
        dev: &DfuDevice,
        address: u32,
        len: u32,
    ) -> Result<Vec<u8>, FlashError> {
        (self.on_event)(Event::Reading { address, len });
        let (scratch, file) = scratch_file()?;
        let mut args = target_args(dev);
        args.extend(["-s".into(), format!("{address:#010x}:{len}"), "-U".into()]);
        args.push(file.display().to_string());
        let run = self.run(args);
        let bytes = std::fs::read(&file);
        drop(scratch);
        let run = run?;
        outcome::upload(&run)?;
        let bytes = bytes.map_err(|source| FlashError::Io { path: file, source })?;
        if bytes.len() != len as usize {
            return Err(FlashError::ShortRead {
                address,
                len,
                got: bytes.len(),
            });
        }
        Ok(bytes)
    }

    /// Writes `file` at `address` (`-s ADDR[:leave] -D FILE`).
    pub fn download(
        &mut self,
        dev: &DfuDevice,
        address: u32,
        leave: bool,
        file: &Path,
    ) -> Result<Note, FlashError> {
        let mut args = target_args(dev);
        let leave = if leave { ":leave" } else { "" };
        args.extend(["-s".into(), format!("{address:#010x}{leave}"), "-D".into()]);
        args.push(file.display().to_string());
        let run = self.run(args)?;
        outcome::download(&run, address)
    }

    /// Everything installed, slot by slot (§8b).
    pub fn read_installed(
        &mut self,
        dev: &DfuDevice,
        layout: &Layout,
    ) -> Result<Installed, FlashError> {
        struct Reader<'x, 'y> {
            dfu: &'x mut Dfu<'y>,
            dev: &'x DfuDevice,
        }
        impl FlashReader for Reader<'_, '_> {
            type Error = FlashError;
            fn read(&mut self, address: u32, len: u32) -> Result<Vec<u8>, FlashError> {
                self.dfu.upload(self.dev, address, len)
            }
        }
        read_installed(layout, &mut Reader { dfu: self, dev })
    }

    /// Runs the writes of `plan` in order; stops at the first failure.
    pub fn execute(&mut self, dev: &DfuDevice, plan: &Plan) -> Result<Vec<Note>, FlashError> {
        let total = plan.writes.len();
        let mut notes = Vec::new();
        for (i, w) in plan.writes.iter().enumerate() {
            (self.on_event)(Event::Writing {
                n: i + 1,
                total,
                write: w,
            });
            let started = std::time::Instant::now();
            match self.download(dev, w.address, w.leave, &w.path) {
                Ok(note) => {
                    (self.on_event)(Event::Written {
                        n: i + 1,
                        total,
                        write: w,
                        note,
                        seconds: started.elapsed().as_secs_f64(),
                    });
                    notes.push(note);
                    let stopping = self
                        .stop
                        .is_some_and(|s| s.load(std::sync::atomic::Ordering::SeqCst));
                    if stopping && i + 1 < total {
                        return Err(FlashError::Stopped { done: i + 1, total });
                    }
                }
                Err(cause) => {
                    return Err(FlashError::Interrupted {
                        label: w.label.clone(),
                        done: i,
                        total,
                        cause: Box::new(cause),
                    });
                }
            }
        }
        Ok(notes)
    }
}

/// `-d VID:PID -a 0 [-S SERIAL]`: this device, its internal flash.
pub fn target_args(dev: &DfuDevice) -> Vec<String> {
    let mut args = vec![
        "-d".to_string(),
        format!("{:04x}:{:04x}", dev.vid, dev.pid),
        "-a".into(),
        "0".into(),
    ];
    if !dev.serial.is_empty() {
        args.extend(["-S".into(), dev.serial.clone()]);
    }
    args
}

/// A file for dfu-util to upload into, in a new directory with a random name and mode 0700
/// (never a predictable name in the shared temp dir); the directory goes when the guard drops.
fn scratch_file() -> Result<(tempfile::TempDir, PathBuf), FlashError> {
    let dir = tempfile::Builder::new()
        .prefix("pbuild-dfu-")
        .tempdir()
        .map_err(|source| FlashError::Io {
            path: std::env::temp_dir(),
            source,
        })?;
    let file = dir.path().join("upload.bin");
    Ok((dir, file))
}

/// Picks the device to flash: by serial when given, else the only one.
pub fn select<'a>(listing: &'a Listing, serial: Option<&str>) -> Result<&'a DfuDevice, FlashError> {
    let particle: Vec<&DfuDevice> = listing
        .devices
        .iter()
        .filter(|d| d.platform_id().is_some())
        .collect();
    if let Some(s) = serial {
        return particle
            .iter()
            .find(|d| d.serial.eq_ignore_ascii_case(s))
            .copied()
            .ok_or_else(|| FlashError::NotFound {
                serial: s.to_string(),
                found: particle.iter().map(|d| d.describe()).collect(),
            });
    }
    match particle.as_slice() {
        [one] => Ok(one),
        [] => match listing.cannot_open.first() {
            Some(line) => Err(FlashError::CannotOpen { line: line.clone() }),
            None => Err(FlashError::NoDevice { wanted: None }),
        },
        many => Err(FlashError::SeveralDevices {
            devices: many.iter().map(|d| d.describe()).collect(),
        }),
    }
}
