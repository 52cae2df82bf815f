//! Flashing through dfu-util: the command lines (`-d VID:PID -a 0 -s ADDR[:leave] -S SERIAL -D
//! FILE`, `-s ADDR:LEN -U FILE`), reading `dfu-util -l`, choosing a device, and what dfu-util's
//! output and exit status really mean (particle-facts.md §7). What to write, in which order, and
//! whether to write at all is [`deploy`]'s decision; this module only carries it out.

pub mod connect;
pub mod deploy;
#[cfg(test)]
mod deploy_tests;
pub mod error;
pub mod list;
pub mod outcome;
pub mod tool;

use std::path::{Path, PathBuf};

pub use error::{FlashError, Remedy};
pub use list::{DfuDevice, Listing, parse_list};
pub use outcome::Note;
pub use tool::{DfuTool, Process, ToolRun};

use crate::config::Table;
use crate::device::SlotMap;
use crate::device::boot::Boot;
use crate::device::installed::{FlashReader, Installed, read_installed};
use crate::device::preflight::{FlashPlan, Problem, Write, WriteData};
use crate::device::{ALT_DCT, ALT_FLASH};

/// The one-line udev rule for Gen 2 devices (particle-facts.md §7).
pub const UDEV_RULE: &str = r#"SUBSYSTEMS=="usb", ATTRS{idVendor}=="2b04", ATTRS{idProduct}=="[cd]0??", GROUP="plugdev", MODE="0666", ENV{ID_MM_DEVICE_IGNORE}="1""#;

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
    /// The device's system is older than the app needs: the system parts are built and added.
    AddingSystem {
        why: &'a str,
    },
    /// What will be written and what the device will do after it (also on `--dry-run`).
    Planned(&'a FlashPlan),
    /// `--force`: flashing despite these problems.
    Forced(&'a [Problem]),
    /// The system parts need bootloader `needs` (the device has `has`): the tree's is built and
    /// staged with them.
    AddingBootloader {
        needs: u16,
        has: Option<u16>,
    },
    /// `--allow-downgrade`: writing these older modules.
    Downgrading(&'a [String]),
    /// A running device was asked to enter DFU mode (and is waited for).
    EnteringDfu {
        device: &'a str,
        asked: &'a crate::usb::Asked,
    },
    /// Ctrl-C stopped the flash after `done` images; `now` is what a reset would do.
    Stopped {
        done: usize,
        total: usize,
        now: &'a Boot,
    },
}

/// Devices driven through a dfu-util executable.
pub struct Dfu<'a> {
    pub tool: &'a dyn DfuTool,
    pub on_event: &'a mut dyn FnMut(Event<'_>),
}

/// One device reached through dfu-util: what [`deploy`] reads and writes.
pub struct Connected<'a, 'b> {
    pub dfu: &'a mut Dfu<'b>,
    pub dev: &'a DfuDevice,
    /// The platform table, to list devices again.
    pub table: &'a Table,
}

impl deploy::Device for Connected<'_, '_> {
    fn read_installed(&mut self, map: &SlotMap) -> Result<Installed, FlashError> {
        self.dfu.read_installed(self.dev, map)
    }

    fn present(&mut self) -> bool {
        self.dfu.list(self.table).is_ok_and(|l| {
            l.devices.iter().any(|d| {
                d.vid == self.dev.vid && d.pid == self.dev.pid && d.serial == self.dev.serial
            })
        })
    }

    fn write(&mut self, w: &Write) -> Result<Note, FlashError> {
        match &w.data {
            WriteData::File(path) => self.dfu.download(self.dev, w.alt, w.address, w.leave, path),
            WriteData::Byte(b) => {
                // dfu-util writes files: the byte goes through a scratch file of its own.
                let (scratch, file) = scratch_file()?;
                std::fs::write(&file, [*b]).map_err(|source| FlashError::Io {
                    path: file.clone(),
                    source,
                })?;
                let note = self
                    .dfu
                    .download(self.dev, w.alt, w.address, w.leave, &file);
                drop(scratch);
                note
            }
        }
    }
}

impl Dfu<'_> {
    fn run(&mut self, args: Vec<String>) -> Result<ToolRun, FlashError> {
        (self.on_event)(Event::Command(&args));
        self.tool.run(&args)
    }

    /// `dfu-util -l`, with each device's platform named from `table`.
    pub fn list(&mut self, table: &Table) -> Result<Listing, FlashError> {
        let run = self.run(vec!["-l".into()])?;
        // dfu-util lists with exit status 0, devices or none: anything else is not a listing.
        if run.code != Some(0) {
            return Err(outcome::listing_failed(&run, &self.tool.exe()));
        }
        let mut listing = parse_list(&run.stdout, &run.stderr);
        listing.identify(table);
        Ok(listing)
    }

    /// Reads `len` bytes at `address` of alt setting `alt` (`-a ALT -s ADDR:LEN -U FILE`).
    pub fn upload(
        &mut self,
        dev: &DfuDevice,
        alt: u8,
        address: u32,
        len: u32,
    ) -> Result<Vec<u8>, FlashError> {
        (self.on_event)(Event::Reading { address, len });
        let (scratch, file) = scratch_file()?;
        let mut args = target_args(dev, alt);
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

    /// Writes `file` at `address` of alt setting `alt` (`-a ALT -s ADDR[:leave] -D FILE`).
    pub fn download(
        &mut self,
        dev: &DfuDevice,
        alt: u8,
        address: u32,
        leave: bool,
        file: &Path,
    ) -> Result<Note, FlashError> {
        let mut args = target_args(dev, alt);
        let leave = if leave { ":leave" } else { "" };
        args.extend(["-s".into(), format!("{address:#010x}{leave}"), "-D".into()]);
        args.push(file.display().to_string());
        let run = self.run(args)?;
        outcome::download(&run, address)
    }

    /// Leaves DFU mode without writing anything: the bootloader resets and runs what is
    /// installed (a zero-length download with `:leave`; dfu-util erases no page for it).
    pub fn resume(&mut self, dev: &DfuDevice) -> Result<Note, FlashError> {
        let (scratch, file) = scratch_file()?;
        std::fs::write(&file, []).map_err(|source| FlashError::Io {
            path: file.clone(),
            source,
        })?;
        let note = self.download(dev, ALT_FLASH, crate::device::FIRST_WRITABLE, true, &file);
        drop(scratch);
        note
    }

    /// Everything installed, slot by slot (§8b).
    pub fn read_installed(
        &mut self,
        dev: &DfuDevice,
        map: &SlotMap,
    ) -> Result<Installed, FlashError> {
        struct Reader<'x, 'y> {
            dfu: &'x mut Dfu<'y>,
            dev: &'x DfuDevice,
        }
        impl FlashReader for Reader<'_, '_> {
            type Error = FlashError;
            fn read(&mut self, address: u32, len: u32) -> Result<Vec<u8>, FlashError> {
                self.dfu.upload(self.dev, ALT_FLASH, address, len)
            }
            fn read_dct(&mut self, offset: u32, len: u32) -> Result<Vec<u8>, FlashError> {
                self.dfu.upload(self.dev, ALT_DCT, offset, len)
            }
        }
        read_installed(map, &mut Reader { dfu: self, dev })
    }
}

/// `-d ,VID:PID -a ALT [-S SERIAL]`: this device; alt 0 its internal flash, alt 1 its DCT.
/// The comma matters: dfu-util reads a lone `VID:PID` as the *run-time* id and then accepts any
/// device already in DFU mode (usb-facts.md §3, "dfu-util pitfalls"; dfu-util 0.11
/// `main.c:85-128`): `-d 2b04:d006` flashes a P1 (2b04:d008) just as well.
pub fn target_args(dev: &DfuDevice, alt: u8) -> Vec<String> {
    let mut args = vec![
        "-d".to_string(),
        format!(",{:04x}:{:04x}", dev.vid, dev.pid),
        "-a".into(),
        alt.to_string(),
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
        let found = particle.iter().find(|d| d.serial.eq_ignore_ascii_case(s));
        return match (found, listing.cannot_open.first()) {
            (Some(d), _) => Ok(d),
            // A device dfu-util may not open may be the one asked for.
            (None, Some(line)) => Err(FlashError::CannotOpen { line: line.clone() }),
            (None, None) if particle.is_empty() => Err(FlashError::NoDevice {
                wanted: Some(s.to_string()),
            }),
            (None, None) => Err(FlashError::NotFound {
                serial: s.to_string(),
                found: particle.iter().map(|d| d.describe()).collect(),
            }),
        };
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Records every command line and answers with a canned run; for `-U FILE`, writes
    /// `upload` into FILE as dfu-util would.
    struct Recorder {
        calls: RefCell<Vec<Vec<String>>>,
        answer: ToolRun,
        upload: Vec<u8>,
    }

    impl DfuTool for Recorder {
        fn run(&self, args: &[String]) -> Result<ToolRun, FlashError> {
            self.calls.borrow_mut().push(args.to_vec());
            if let Some(i) = args.iter().position(|a| a == "-U") {
                std::fs::write(&args[i + 1], &self.upload).unwrap();
            }
            Ok(self.answer.clone())
        }
    }

    fn photon() -> DfuDevice {
        DfuDevice {
            vid: 0x2b04,
            pid: 0xd006,
            serial: "3c0021000a47343432313031".into(),
            path: "1-2".into(),
            devnum: "5".into(),
            alts: vec![(0, "@Internal Flash".into())],
            platform: Some((6, "photon".into())),
        }
    }

    #[test]
    fn a_download_names_the_device_address_and_leave_and_reads_the_outcome() {
        // dfu-util 0.11's lines after a write with :leave to a Particle device (§7).
        let tool = Recorder {
            calls: RefCell::new(Vec::new()),
            answer: ToolRun {
                code: Some(74),
                stdout: "Download done.\nFile downloaded successfully\n".into(),
                stderr: "dfu-util: Error during download get_status\n".into(),
            },
            upload: Vec::new(),
        };
        let mut seen = Vec::new();
        let mut on = |e: Event<'_>| {
            if let Event::Command(a) = e {
                seen.push(a.join(" "))
            }
        };
        let mut dfu = Dfu {
            tool: &tool,
            on_event: &mut on,
        };
        let note = dfu
            .download(&photon(), 0, 0x080A_0000, true, Path::new("/x/app.dfu"))
            .unwrap();
        assert_eq!(note, Note::LeftWithStatusError);
        assert_eq!(
            tool.calls.borrow()[0].join(" "),
            "-d ,2b04:d006 -a 0 -S 3c0021000a47343432313031 -s 0x080a0000:leave -D /x/app.dfu"
        );
        assert_eq!(seen.len(), 1, "each command line is announced");
    }

    #[test]
    fn an_upload_reads_the_bytes_back_and_a_short_one_is_an_error() {
        let ok = ToolRun {
            code: Some(0),
            stdout: "Upload done.\n".into(),
            stderr: String::new(),
        };
        let tool = Recorder {
            calls: RefCell::new(Vec::new()),
            answer: ok,
            upload: vec![1, 2, 3, 4],
        };
        let mut on = |_: Event<'_>| {};
        let mut dfu = Dfu {
            tool: &tool,
            on_event: &mut on,
        };
        assert_eq!(
            dfu.upload(&photon(), 0, 0x0802_0000, 4).unwrap(),
            [1, 2, 3, 4]
        );
        let args = tool.calls.borrow()[0].clone();
        assert!(args.join(" ").contains("-s 0x08020000:4 -U"), "{args:?}");
        assert!(matches!(
            dfu.upload(&photon(), 0, 0x0802_0000, 8),
            Err(FlashError::ShortRead { got: 4, .. })
        ));
    }

    #[test]
    fn select_wants_a_serial_when_several_devices_are_there() {
        let mut second = photon();
        second.serial = "aaaaaaaaaaaaaaaaaaaaaaaa".into();
        let listing = Listing {
            devices: vec![photon(), second],
            ..Listing::default()
        };
        assert!(matches!(
            select(&listing, None),
            Err(FlashError::SeveralDevices { devices }) if devices.len() == 2
        ));
        assert_eq!(
            select(&listing, Some("AAAAAAAAAAAAAAAAAAAAAAAA"))
                .unwrap()
                .serial,
            "aaaaaaaaaaaaaaaaaaaaaaaa"
        );
        assert!(matches!(
            select(&listing, Some("b")),
            Err(FlashError::NotFound { .. })
        ));
        assert!(matches!(
            select(&Listing::default(), None),
            Err(FlashError::NoDevice { .. })
        ));
    }
}
