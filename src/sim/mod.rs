//! A simulated Gen 2 device in a directory: its identity (`device.json`), its 1 MB internal flash
//! (`flash.bin`, 0x08000000..0x08100000, the app DCT modelled flat at 0x08004000), what it is
//! doing (`mode`: `dfu`, `normal` or `off`), injected faults (`fault`) and a log of its starts
//! (`boots.log`). [`usb`] is how it looks on USB (the `usbsim` crate makes that a drop-in
//! libusb for the real dfu-util and for pbuild), [`bus`] its USB serial port while
//! `pbuild sim exec` runs. At a reset it boots by the rules of [`crate::device::boot`], the
//! same code preflight predicts with, and applies what they change in flash (a bootloader
//! rewritten or applied from the OTA region); it then runs (normal mode) or, if nothing it
//! can run is there, waits in DFU mode as the bootloader does.
//!
//! Faults, one per line in `DIR/fault` or comma-separated in `PBUILD_SIM_FAULT` (all devices):
//! `permission-denied` (found but cannot be opened: no udev rule), `unplug-during-download`
//! (once: one block is written, then the device is gone from the bus until `DIR/unplugged` is
//! removed), `write-fails` (once: a write stalls, as a failed flash write does),
//! `leave-resets-at-once` (the bootloader resets inside the leave request's GETSTATUS, as
//! before Device OS 0.4.5, so dfu-util reports "Error during download get_status"),
//! `never-enters-dfu` (a running device answers the DFU request and the 14400-baud touch but
//! stays running).

pub mod bus;
pub mod error;
pub mod exec;
pub mod modules;
#[cfg(test)]
mod preflight_tests;
pub mod usb;

pub use error::SimError;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{Platform, Table};
use crate::device::boot::{Boot, Effect, boot};
use crate::device::installed::{FlashReader, Installed, read_installed};
use crate::device::{
    BOOTLOADER_START, FLASH_END, OTA_FLAG_CLEAR, OTA_FLAG_OFFSET, SlotMap, versions,
};

pub const FLASH_SIZE: usize = (FLASH_END - BOOTLOADER_START) as usize;
const IDENTITY: &str = "device.json";
/// What the device is doing: `dfu`, `normal` or `off` ([`usb::Mode`]).
const MODE: &str = "mode";
/// The path of the serial port a normal-mode device offers while `pbuild sim exec` runs.
pub(crate) const TTY: &str = "tty";
const FLASH: &str = "flash.bin";
const FAULT: &str = "fault";
const BOOTS: &str = "boots.log";
const UNPLUGGED: &str = "unplugged";
/// Where the simulated app DCT starts (DCT1), and where it ends, as an offset into `flash`.
const DCT_START: u32 = 0x0800_4000;
const DCT_END_OFFSET: usize = 0x8000;
const FORMAT: u32 = 1;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SimError + '_ {
    move |source| SimError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Identity {
    pub format: u32,
    /// Platform id (6, 8, 10).
    pub platform: u16,
    /// USB serial in DFU mode: the device ID, 24 lower-case hex digits.
    pub serial: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    PermissionDenied,
    UnplugDuringDownload,
    WriteFails,
    LeaveResetsAtOnce,
    NeverEntersDfu,
}

impl Fault {
    pub fn parse(word: &str) -> Option<Fault> {
        Some(match word.trim() {
            "permission-denied" => Fault::PermissionDenied,
            "unplug-during-download" => Fault::UnplugDuringDownload,
            "write-fails" => Fault::WriteFails,
            "leave-resets-at-once" => Fault::LeaveResetsAtOnce,
            "never-enters-dfu" => Fault::NeverEntersDfu,
            _ => return None,
        })
    }

    pub const ALL: [Fault; 5] = [
        Fault::PermissionDenied,
        Fault::UnplugDuringDownload,
        Fault::WriteFails,
        Fault::LeaveResetsAtOnce,
        Fault::NeverEntersDfu,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::PermissionDenied => "permission-denied",
            Fault::UnplugDuringDownload => "unplug-during-download",
            Fault::WriteFails => "write-fails",
            Fault::LeaveResetsAtOnce => "leave-resets-at-once",
            Fault::NeverEntersDfu => "never-enters-dfu",
        }
    }

    /// Faults that happen once and are then cleared from the `fault` file.
    pub fn one_shot(self) -> bool {
        matches!(self, Fault::UnplugDuringDownload | Fault::WriteFails)
    }
}

pub struct CreateOptions<'a> {
    pub table: &'a Table,
    pub platform: &'a Platform,
    pub system_version: u16,
    pub bootloader_version: Option<u16>,
    pub serial: Option<String>,
    /// Only the bootloader (which DFU cannot write); every other slot erased.
    pub empty: bool,
    /// Waiting in DFU mode (MODE held at power-up), not running.
    pub dfu: bool,
}

impl<'a> CreateOptions<'a> {
    /// A device as shipped with `system_version`: its bootloader, system parts and an app.
    pub fn release(table: &'a Table, platform: &'a Platform, system_version: u16) -> Self {
        CreateOptions {
            table,
            platform,
            system_version,
            bootloader_version: None,
            serial: None,
            empty: false,
            dfu: false,
        }
    }
}

pub struct SimDevice {
    pub dir: PathBuf,
    pub identity: Identity,
    pub platform: Platform,
    /// The platform's slots (and the table's platform names).
    pub map: SlotMap,
    pub flash: Vec<u8>,
}

impl SimDevice {
    pub fn create(dir: &Path, o: &CreateOptions<'_>) -> Result<SimDevice, SimError> {
        let has_files = std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
        if dir.join(IDENTITY).exists() || has_files {
            return Err(SimError::Exists {
                dir: dir.to_path_buf(),
            });
        }
        let bootloader_version = match o.bootloader_version {
            Some(b) => b,
            None => versions::shipped_bootloader(o.system_version)
                .map(|(b, _)| b)
                .ok_or(SimError::NoBootloaderFor {
                    version: o.system_version,
                })?,
        };
        let serial = match &o.serial {
            Some(s) => {
                let s = s.to_ascii_lowercase();
                if s.len() != 24 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(SimError::BadSerial { serial: s });
                }
                s
            }
            None => default_serial(dir),
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let mut dev = SimDevice {
            dir: dir.to_path_buf(),
            identity: Identity {
                format: FORMAT,
                platform: o.platform.id,
                serial,
            },
            platform: o.platform.clone(),
            map: SlotMap::of(o.table, o.platform),
            flash: vec![0xFF; FLASH_SIZE],
        };
        let (at, img) = modules::bootloader(o.platform.id, bootloader_version);
        dev.write(at, &img);
        if !o.empty {
            for (at, img) in modules::system_parts(&dev.map, o.system_version) {
                dev.write(at, &img);
            }
            let (at, app) = modules::user_app(&dev.map, o.system_version);
            dev.write(at, &app);
            if let Some(factory) = crate::device::factory_slot(o.platform.id) {
                dev.write(factory, &app);
            }
        }
        let text = serde_json::to_string_pretty(&dev.identity).unwrap_or_default();
        write_atomic(&dir.join(IDENTITY), text.as_bytes())?;
        dev.save()?;
        // Plugged in: it boots and runs what it has, unless MODE was held.
        let mode = match o.dfu {
            true => usb::Mode::Dfu,
            false => usb::Mode::after_boot(dev.boot().state),
        };
        usb::set_mode(dir, mode);
        Ok(dev)
    }

    /// The device in `dir`; `table` names its platform (by the id it was made with).
    pub fn open(dir: &Path, table: &Table) -> Result<SimDevice, SimError> {
        let not = |why: String| SimError::NotADevice {
            dir: dir.to_path_buf(),
            why,
        };
        let id_path = dir.join(IDENTITY);
        let text = std::fs::read_to_string(&id_path)
            .map_err(|e| not(format!("cannot read {IDENTITY}: {e}")))?;
        let identity: Identity =
            serde_json::from_str(&text).map_err(|e| not(format!("{IDENTITY}: {e}")))?;
        if identity.format != FORMAT {
            return Err(not(format!(
                "{IDENTITY} has format {}, this pbuild reads {FORMAT}",
                identity.format
            )));
        }
        let platform = table
            .by_id(identity.platform)
            .cloned()
            .ok_or_else(|| not(format!("unknown platform id {}", identity.platform)))?;
        let flash_path = dir.join(FLASH);
        let flash = std::fs::read(&flash_path).map_err(io(&flash_path))?;
        if flash.len() != FLASH_SIZE {
            return Err(not(format!(
                "{FLASH} is {} bytes, expected {FLASH_SIZE}",
                flash.len()
            )));
        }
        Ok(SimDevice {
            dir: dir.to_path_buf(),
            identity,
            map: SlotMap::of(table, &platform),
            platform,
            flash,
        })
    }

    pub fn save(&self) -> Result<(), SimError> {
        write_atomic(&self.dir.join(FLASH), &self.flash)
    }

    pub fn dfu_ids(&self) -> (u16, u16) {
        self.platform.dfu_ids()
    }

    pub fn slot_map(&self) -> SlotMap {
        self.map.clone()
    }

    /// Flash bytes at an absolute address; `None` outside internal flash.
    pub fn read(&self, address: u32, len: u32) -> Option<&[u8]> {
        let from = address.checked_sub(BOOTLOADER_START)? as usize;
        let to = from.checked_add(len as usize)?;
        self.flash.get(from..to)
    }

    /// Erases the sectors `bytes` touches and writes them, like a DfuSe download. Bytes
    /// outside internal flash are dropped.
    pub fn write(&mut self, address: u32, bytes: &[u8]) {
        let end = u64::from(address) + bytes.len() as u64;
        for (start, size) in sectors() {
            if u64::from(start) < end && address < start + size {
                let from = (start - BOOTLOADER_START) as usize;
                self.flash[from..from + size as usize].fill(0xFF);
            }
        }
        for (i, b) in bytes.iter().enumerate() {
            let Some(at) = (address as usize + i).checked_sub(BOOTLOADER_START as usize) else {
                continue;
            };
            if let Some(slot) = self.flash.get_mut(at) {
                *slot = *b;
            }
        }
    }

    pub fn installed(&self) -> Installed {
        struct Reader<'a>(&'a SimDevice);
        impl FlashReader for Reader<'_> {
            type Error = std::convert::Infallible;
            fn read(&mut self, address: u32, len: u32) -> Result<Vec<u8>, Self::Error> {
                Ok(self
                    .0
                    .read(address, len)
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default())
            }
            fn read_dct(&mut self, offset: u32, len: u32) -> Result<Vec<u8>, Self::Error> {
                Ok(self.0.read_dct(offset, len).to_vec())
            }
        }
        match read_installed(&self.slot_map(), &mut Reader(self)) {
            Ok(i) => i,
            Err(never) => match never {},
        }
    }

    pub fn boot(&self) -> Boot {
        boot(&self.installed())
    }

    /// The words of `DIR/fault` (and `PBUILD_SIM_FAULT`) that name no fault: `(where, word)`,
    /// `where` being `DIR/fault:LINE` or the variable.
    pub fn unknown_faults(&self) -> Vec<(String, String)> {
        let path = self.dir.join(FAULT);
        let mut out = Vec::new();
        for (i, line) in std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .enumerate()
        {
            if !line.trim().is_empty() && Fault::parse(line).is_none() {
                out.push((
                    format!("{}:{}", path.display(), i + 1),
                    line.trim().to_string(),
                ));
            }
        }
        if let Ok(env) = std::env::var("PBUILD_SIM_FAULT") {
            for w in env.split(',').filter(|w| !w.trim().is_empty()) {
                if Fault::parse(w).is_none() {
                    out.push(("PBUILD_SIM_FAULT".into(), w.trim().to_string()));
                }
            }
        }
        out
    }

    /// Faults from `DIR/fault` and `PBUILD_SIM_FAULT`.
    pub fn faults(&self) -> Vec<Fault> {
        let mut words: Vec<String> = std::fs::read_to_string(self.dir.join(FAULT))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect();
        if let Ok(env) = std::env::var("PBUILD_SIM_FAULT") {
            words.extend(env.split(',').map(str::to_string));
        }
        words.iter().filter_map(|w| Fault::parse(w)).collect()
    }

    /// Removes a one-shot fault from `DIR/fault` once it has happened.
    pub fn clear_fault(&self, fault: Fault) {
        let path = self.dir.join(FAULT);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return;
        };
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| Fault::parse(l) != Some(fault))
            .collect();
        let _ = std::fs::write(&path, kept.join("\n"));
    }

    /// Bytes into flash as they are, without the sector erase a DFU write does (to damage a
    /// module in tests).
    pub fn write_raw(&mut self, address: u32, bytes: &[u8]) {
        for (i, b) in bytes.iter().enumerate() {
            if let Some(at) = (address as usize + i).checked_sub(BOOTLOADER_START as usize)
                && let Some(slot) = self.flash.get_mut(at)
            {
                *slot = *b;
            }
        }
    }

    /// The app DCT, as DFU alt 1 sees it (offsets into `application_dct_t`). Modelled as a flat
    /// copy at the start of DCT1 (0x08004000); Device OS keeps it in two sectors with a
    /// header, which nothing here depends on.
    pub fn read_dct(&self, offset: u32, len: u32) -> &[u8] {
        let from = (DCT_START - BOOTLOADER_START + offset) as usize;
        let to = (from + len as usize).min(from.max(DCT_END_OFFSET));
        &self.flash[from.min(DCT_END_OFFSET)..to]
    }

    /// Writes into the app DCT (alt 1).
    pub fn write_dct(&mut self, offset: u32, bytes: &[u8]) {
        let from = (DCT_START - BOOTLOADER_START + offset) as usize;
        for (i, b) in bytes.iter().enumerate() {
            if from + i < DCT_END_OFFSET {
                self.flash[from + i] = *b;
            }
        }
    }

    /// A reset (after `:leave`, or a power-up): the device boots by the rules of
    /// [`crate::device::boot`], changing its own flash as they say (a bootloader rewritten from
    /// the image a system part carries, a staged bootloader applied) and resetting again when
    /// they say so. Every start is logged; the last one is returned. The caller saves the flash.
    pub fn reset(&mut self) -> Boot {
        let mut last = None;
        for _ in 0..4 {
            let r = crate::device::boot::boot_once(&self.installed());
            for e in &r.effects {
                match e {
                    Effect::ClearOtaFlag => self.write_dct(OTA_FLAG_OFFSET, &[OTA_FLAG_CLEAR]),
                    Effect::WriteBootloader(found) => {
                        let image = self
                            .read(found.at, found.len)
                            .map(<[u8]>::to_vec)
                            .unwrap_or_default();
                        self.write(BOOTLOADER_START, &image);
                    }
                }
            }
            self.log(&r.boot);
            let again = r.again;
            last = Some(r.boot);
            if !again {
                break;
            }
        }
        last.expect("at least one boot")
    }

    fn log(&self, b: &Boot) {
        let mut line = b.summary();
        for e in &b.events {
            line.push_str(&format!(" [{e}]"));
        }
        line.push('\n');
        let path = self.dir.join(BOOTS);
        let mut log = std::fs::read_to_string(&path).unwrap_or_default();
        log.push_str(&line);
        let _ = write_atomic(&path, log.as_bytes());
    }

    /// Whether the device was pulled off the bus (an `unplug-during-download` fault): it is not
    /// listed until the `unplugged` file in its directory is removed, which plugs it back in,
    /// in DFU mode (as if MODE were held while it powered up).
    pub fn unplugged(&self) -> bool {
        self.dir.join(UNPLUGGED).exists()
    }

    /// Takes the device off the bus.
    pub fn unplug(&self) {
        usb::set_mode(&self.dir, usb::Mode::Dfu);
        let _ = std::fs::write(self.dir.join(UNPLUGGED), "");
    }

    /// The boots logged so far, oldest first.
    pub fn boots(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join(BOOTS))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// STM32F2 sectors: 4 × 16 K, 1 × 64 K, 7 × 128 K.
pub fn sectors() -> impl Iterator<Item = (u32, u32)> {
    let sizes = [0x4000u32, 0x4000, 0x4000, 0x4000, 0x10000]
        .into_iter()
        .chain(std::iter::repeat_n(0x20000u32, 7));
    let mut at = BOOTLOADER_START;
    sizes.map(move |size| {
        let s = (at, size);
        at += size;
        s
    })
}

fn default_serial(dir: &Path) -> String {
    let abs = crate::paths::absolute(dir);
    let text = abs.to_string_lossy();
    let a = xxhash_rust::xxh3::xxh3_64(text.as_bytes());
    let b = xxhash_rust::xxh3::xxh3_64_with_seed(text.as_bytes(), 1);
    format!("{a:016x}{:08x}", b as u32)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SimError> {
    crate::fsutil::write_atomic(path, bytes).map_err(|source| SimError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::boot::BootState;

    fn create(
        platform: &str,
        version: u16,
        bootloader: Option<u16>,
        empty: bool,
    ) -> (tempfile::TempDir, SimDevice) {
        let dir = tempfile::tempdir().unwrap();
        let t = Table::embedded();
        let dev = SimDevice::create(
            &dir.path().join("dev"),
            &CreateOptions {
                bootloader_version: bootloader,
                empty,
                ..CreateOptions::release(&t, t.find(platform).unwrap(), version)
            },
        )
        .unwrap();
        (dir, dev)
    }

    #[test]
    fn a_new_device_runs_its_app_and_survives_a_reopen() {
        for p in ["photon", "p1", "electron"] {
            let (_d, dev) = create(p, 1512, None, false);
            assert_eq!(
                dev.boot().state,
                BootState::RunningUserApp,
                "{p}: {:?}",
                dev.boot()
            );
            let again = SimDevice::open(&dev.dir, &Table::embedded()).unwrap();
            assert_eq!(again.identity, dev.identity);
            assert_eq!(again.installed().bootloader_version(), Some(502));
            assert_eq!(again.installed().system_version(2), Some(1512));
            assert_eq!(again.identity.serial.len(), 24);
        }
    }

    #[test]
    fn boot_rules_on_simulated_flash() {
        // Empty: bootloader only → DFU mode.
        let (_d, dev) = create("photon", 2302, None, true);
        assert_eq!(dev.boot().state, BootState::DfuMode);

        // Bootloader too old for 2.x part 2 → safe mode, with the reason.
        let (_d, dev) = create("photon", 2302, Some(502), false);
        let b = dev.boot();
        assert_eq!(b.state, BootState::SafeMode);
        assert!(
            b.reasons
                .iter()
                .any(|r| r.contains("needs bootloader >= 1003, the device has 502")),
            "{b:?}"
        );

        // App needing a newer system → safe mode.
        let (_d, mut dev) = create("p1", 1512, None, false);
        let (at, app) = modules::user_app(&dev.map.clone(), 2302);
        dev.write(at, &app);
        let b = dev.boot();
        assert_eq!(b.state, BootState::SafeMode);
        assert_eq!(
            b.reasons,
            vec!["the user app needs system part 2 >= 2302, the device has 1512"]
        );

        // Wrong-platform app → factory reset (factory image present), safe mode without one.
        let (_d, mut dev) = create("photon", 2302, None, false);
        let t = Table::embedded();
        let electron = SlotMap::of(&t, t.find("electron").unwrap());
        let (_, foreign) = modules::user_app(&electron, 2302);
        dev.write(0x080A_0000, &foreign);
        assert_eq!(dev.boot().state, BootState::FactoryReset);
        dev.write(0x080E_0000, &[0xFF; 16]);
        assert_eq!(dev.boot().state, BootState::SafeMode);

        // Corrupt CRC in the app → safe mode.
        let (_d, mut dev) = create("electron", 2302, None, false);
        let (at, mut app) = modules::user_app(&dev.map.clone(), 2302);
        app[40] ^= 0xFF;
        dev.write(at, &app);
        let b = dev.boot();
        assert_eq!(b.state, BootState::SafeMode);
        assert!(b.reasons[0].contains("CRC-32"), "{b:?}");
    }

    #[test]
    fn sectors_cover_the_flash() {
        let total: u32 = sectors().map(|(_, s)| s).sum();
        assert_eq!(total as usize, FLASH_SIZE);
        assert_eq!(sectors().nth(5), Some((0x0802_0000, 0x20000)));
    }
}
