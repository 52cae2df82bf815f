//! The simulated devices as USB devices: what a host sees through libusb. The `usbsim` crate
//! exports this as a drop-in `libusb-1.0.so.0`, so the real dfu-util and pbuild's own USB code
//! run against it unchanged (`pbuild sim exec`). Pure model: descriptors, and one control
//! transfer at a time on an open [`Handle`]; the device's flash and mode live in its directory.
//!
//! **DFU mode** is the Gen 2 bootloader as `usb-facts.md` §3 reads it from Device OS v2.3.1
//! (`bootloader/src/stm32f2xx/usbd_desc.c`, `usbd_dfu_core.c`, `usbd_dfu_mal.c`): device
//! 2b04:d00x, bcdDevice 0x0250, serial = the device ID; one configuration of interface 0 with
//! alt 0 (internal flash), 1 (DCT) and, on the P1, 2 (serial flash), class FE/01/02, the DFU
//! functional descriptor (download, upload, will-detach; transfer size 4096; DfuSe 1.1a) after
//! the last alt. DfuSe commands (set address 0x21, page erase 0x41) and data blocks are carried
//! out when the next GETSTATUS comes (which answers dfuDNBUSY, then dfuDNLOAD-IDLE); erases and
//! writes below 0x08020000 stall; a zero-length DNLOAD (`:leave`) is answered dfuDNLOAD-IDLE
//! and the device then resets: it boots by `device::boot`'s rules and comes back in the mode
//! its state gives (running → normal mode).
//!
//! **Normal mode** is the running system (`usb-facts.md` §2b, §5): 2b04:c00x, class EF/02/01, a
//! CDC serial port (interfaces 0 and 1) and a vendor interface; vendor control requests of
//! Particle's service protocol (INIT, CHECK, RECV, RESET; requests 20 DEVICE_ID, 30
//! SYSTEM_VERSION, 40 RESET, 50 DFU_MODE, 90 GET_MODULE_INFO) and raw 0x50 (20, 30) on
//! firmware from 0.8.0 on; older firmware stalls them (the host then uses the 14400-baud touch
//! of the serial port, which `sim::bus` watches).

use std::path::{Path, PathBuf};

use super::{Fault, SimDevice};
use crate::config::Table;
use crate::device::boot::BootState;
use crate::device::installed::Content;
use crate::device::{ALT_DCT, ALT_FLASH, FIRST_WRITABLE, FLASH_END, SlotKind};

/// The simulated devices on the bus: their directories, separated like PATH.
pub const DEVICES_ENV: &str = "PBUILD_SIM_DEVICES";
/// wTransferSize of the bootloader (`usbd_conf.h:63`).
pub const TRANSFER_SIZE: usize = 4096;
/// The firmware version from which the service protocol answers (0.8.0-rc.2; 0.8.0 = 300).
pub const SERVICE_PROTOCOL_FROM: u16 = 300;

/// What a simulated device is doing, as stored in its `mode` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The bootloader waits in DFU mode (blinking yellow).
    Dfu,
    /// The system runs (the app, or safe mode): a CDC serial port and control requests.
    Normal,
    /// Not on the bus: it does not boot (no bootloader, a restore loop, a crash).
    Off,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Dfu => "dfu",
            Mode::Normal => "normal",
            Mode::Off => "off",
        }
    }

    pub fn parse(text: &str) -> Option<Mode> {
        match text.trim() {
            "dfu" => Some(Mode::Dfu),
            "normal" => Some(Mode::Normal),
            "off" => Some(Mode::Off),
            _ => None,
        }
    }

    /// Where a device ends up after it boots into `state`.
    pub fn after_boot(state: BootState) -> Mode {
        match state {
            BootState::RunningUserApp | BootState::SafeMode | BootState::FactoryReset => {
                Mode::Normal
            }
            BootState::DfuMode => Mode::Dfu,
            BootState::FactoryRestoreLoop | BootState::MayNotBoot | BootState::NoBootloader => {
                Mode::Off
            }
        }
    }
}

/// A device descriptor (USB 2.0 §9.6.1), field for field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceDescriptor {
    pub bcd_usb: u16,
    pub class: u8,
    pub subclass: u8,
    pub protocol: u8,
    pub max_packet_size0: u8,
    pub vendor: u16,
    pub product: u16,
    pub bcd_device: u16,
    pub i_manufacturer: u8,
    pub i_product: u8,
    pub i_serial: u8,
    pub num_configurations: u8,
}

impl DeviceDescriptor {
    /// The 18 bytes a GET_DESCRIPTOR(DEVICE) returns.
    pub fn bytes(&self) -> Vec<u8> {
        let mut b = vec![18, 1];
        b.extend(self.bcd_usb.to_le_bytes());
        b.extend([
            self.class,
            self.subclass,
            self.protocol,
            self.max_packet_size0,
        ]);
        b.extend(self.vendor.to_le_bytes());
        b.extend(self.product.to_le_bytes());
        b.extend(self.bcd_device.to_le_bytes());
        b.extend([
            self.i_manufacturer,
            self.i_product,
            self.i_serial,
            self.num_configurations,
        ]);
        b
    }
}

/// One simulated device on the bus, as libusb lists it.
#[derive(Debug, Clone)]
pub struct UsbDevice {
    pub dir: PathBuf,
    pub mode: Mode,
    pub bus: u8,
    pub address: u8,
    /// Port numbers from the root hub (`libusb_get_port_numbers`).
    pub ports: Vec<u8>,
    pub descriptor: DeviceDescriptor,
    /// The whole configuration descriptor, as GET_DESCRIPTOR(CONFIGURATION) returns it.
    pub config: Vec<u8>,
    /// String descriptors by index (index 0, the language ids, is answered separately).
    pub strings: Vec<(u8, String)>,
    /// `permission-denied`: listed, but opening it fails.
    pub denied: bool,
}

/// libusb's error codes, as the C adapter returns them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsbError {
    Io = -1,
    InvalidParam = -2,
    Access = -3,
    NoDevice = -4,
    NotFound = -5,
    Busy = -6,
    Timeout = -7,
    Overflow = -8,
    Pipe = -9,
    Interrupted = -10,
    NoMem = -11,
    NotSupported = -12,
    Other = -99,
}

/// The device directories on the bus (`PBUILD_SIM_DEVICES`).
pub fn bus_dirs() -> Vec<PathBuf> {
    std::env::var_os(DEVICES_ENV)
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The mode a device directory says it is in (a device made before modes existed waits in DFU
/// mode, as it always did).
pub fn mode_of(dir: &Path) -> Mode {
    std::fs::read_to_string(dir.join(super::MODE))
        .ok()
        .and_then(|t| Mode::parse(&t))
        .unwrap_or(Mode::Dfu)
}

/// Puts a device in `mode` (what a reset, a DFU request or the buttons do).
pub fn set_mode(dir: &Path, mode: Mode) {
    let _ = crate::fsutil::write_atomic(&dir.join(super::MODE), mode.name().as_bytes());
}

/// The devices on the bus now, in the order of `PBUILD_SIM_DEVICES`: device `i` is on bus 1,
/// port `i + 1`, address `i + 5`. Devices that are off, unplugged or unreadable are not listed.
pub fn devices(table: &Table) -> Vec<UsbDevice> {
    bus_dirs()
        .iter()
        .enumerate()
        .filter_map(|(i, dir)| {
            let dev = SimDevice::open(dir, table).ok()?;
            if dev.unplugged() {
                return None;
            }
            let mode = mode_of(dir);
            if mode == Mode::Off {
                return None;
            }
            Some(describe(&dev, mode, i))
        })
        .collect()
}

fn describe(dev: &SimDevice, mode: Mode, i: usize) -> UsbDevice {
    let (vid, dfu_pid) = dev.dfu_ids();
    let name = match dev.platform.id {
        6 => "Photon",
        8 => "P1",
        10 => "Electron",
        _ => "Particle device",
    };
    let mut strings = vec![
        (1, "Particle".to_string()),
        (3, dev.identity.serial.clone()),
    ];
    let (descriptor, config) = match mode {
        Mode::Dfu | Mode::Off => {
            strings.push((2, format!("{name} DFU Mode")));
            let mut alts = vec![
                "@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg",
                "@DCT Flash   /0x00000000/01*016Kg",
            ];
            if dev.platform.id == 8 {
                alts.push("@Serial Flash   /0x00000000/256*004Kg");
            }
            for (alt, s) in alts.iter().enumerate() {
                strings.push((6 + alt as u8, s.to_string()));
            }
            let d = DeviceDescriptor {
                bcd_usb: 0x0200,
                class: 0,
                subclass: 0,
                protocol: 0,
                max_packet_size0: 64,
                vendor: vid,
                product: dfu_pid,
                bcd_device: 0x0250,
                i_manufacturer: 1,
                i_product: 2,
                i_serial: 3,
                num_configurations: 1,
            };
            (d, dfu_config(alts.len() as u8))
        }
        Mode::Normal => {
            strings.push((2, name.to_string()));
            strings.push((4, format!("{name} Serial")));
            let d = DeviceDescriptor {
                bcd_usb: 0x0200,
                class: 0xEF,
                subclass: 0x02,
                protocol: 0x01,
                max_packet_size0: 64,
                vendor: vid,
                product: dev
                    .platform
                    .usb_ids()
                    .map_or(dfu_pid & 0x0FFF | 0xC000, |(_, p)| p),
                bcd_device: 0x0250,
                i_manufacturer: 1,
                i_product: 2,
                i_serial: 3,
                num_configurations: 1,
            };
            (d, normal_config())
        }
    };
    UsbDevice {
        dir: dev.dir.clone(),
        mode,
        bus: 1,
        address: 5 + i as u8,
        ports: vec![1 + i as u8],
        descriptor,
        config,
        strings,
        denied: dev.faults().contains(&Fault::PermissionDenied),
    }
}

/// The bootloader's configuration: interface 0 with `alts` alt settings, DFU class, and the
/// functional descriptor after the last (`usbd_dfu_core.c:227-292`).
fn dfu_config(alts: u8) -> Vec<u8> {
    let total = 9 + 9 * u16::from(alts) + 9;
    let mut c = vec![9, 2];
    c.extend(total.to_le_bytes());
    c.extend([1, 1, 2, 0xC0, 0x32]);
    for alt in 0..alts {
        c.extend([9, 4, 0, alt, 0, 0xFE, 0x01, 0x02, 6 + alt]);
    }
    // bmAttributes 0x0B, wDetachTimeOut 255, wTransferSize 4096, bcdDFUVersion 0x011A.
    c.extend([9, 0x21, 0x0B, 0xFF, 0x00, 0x00, 0x10, 0x1A, 0x01]);
    c
}

/// The running system's configuration: CDC ACM (interfaces 0 and 1, with an interface
/// association) and the vendor interface 2 (`usb_hal.c:334-345`, `usbd_mcdc.c:66-158`).
fn normal_config() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend([8, 0x0B, 0, 2, 0x02, 0x02, 0x01, 0]); // interface association
    body.extend([9, 4, 0, 0, 1, 0x02, 0x02, 0x01, 4]); // CDC communication
    body.extend([5, 0x24, 0x00, 0x10, 0x01]); // header
    body.extend([5, 0x24, 0x01, 0x00, 0x01]); // call management
    body.extend([4, 0x24, 0x02, 0x02]); // ACM
    body.extend([5, 0x24, 0x06, 0x00, 0x01]); // union
    body.extend([7, 5, 0x82, 0x03, 8, 0, 0xFF]); // notification IN
    body.extend([9, 4, 1, 0, 2, 0x0A, 0, 0, 0]); // CDC data
    body.extend([7, 5, 0x81, 0x02, 64, 0, 0]); // bulk IN
    body.extend([7, 5, 0x01, 0x02, 64, 0, 0]); // bulk OUT
    body.extend([9, 4, 2, 0, 0, 0xFF, 0xFF, 0xFF, 0]); // vendor (control requests)
    let total = 9 + body.len() as u16;
    let mut c = vec![9, 2];
    c.extend(total.to_le_bytes());
    c.extend([3, 1, 0, 0x80, 50]);
    c.extend(body);
    c
}

/// What a DNLOAD asked for, carried out at the next GETSTATUS.
#[derive(Debug, Clone)]
enum Pending {
    SetAddress(u32),
    Erase(u32),
    Write(u32, Vec<u8>),
    Leave,
}

/// Alt 2 on the P1: the external serial flash (`usbd_sflash_if.h:22-25`).
const ALT_SERIAL_FLASH: u8 = 2;
const SERIAL_FLASH: &str = "serial-flash.bin";
const SERIAL_FLASH_SIZE: usize = 0x10_0000;
const SERIAL_FLASH_SECTOR: u32 = 0x1000;

/// The bootloader's own area, refused to erase and write on every alt
/// (`usbd_conf.h`: `DFU_MAL_IS_PROTECTED_AREA(add)` is `add >= 0x08000000 && add <
/// APP_DEFAULT_ADD`, the system's start; `usbd_dfu_mal.c` `MAL_Erase`/`MAL_Write`). DCT and
/// serial-flash addresses are below 0x08000000 and so never protected.
fn protected(address: u32) -> bool {
    (crate::device::BOOTLOADER_START..FIRST_WRITABLE).contains(&address)
}

/// How long after answering a leave request the bootloader resets (`usbd_dfu_core.c:997-1016`:
/// `DFU_Reset_Count = 500`, counted by the 1 ms SysTick).
const RESET_AFTER_LEAVE: std::time::Duration = std::time::Duration::from_millis(500);

/// Whether a device is still on the bus as `dev` describes it: same mode, plugged in.
fn still_there(dev: &UsbDevice) -> bool {
    dev.dir.join(super::IDENTITY).exists()
        && !dev.dir.join(super::UNPLUGGED).exists()
        && mode_of(&dev.dir) == dev.mode
}

/// DFU states (DFU 1.1 §6.1.2).
const DFU_IDLE: u8 = 2;
const DFU_DNLOAD_SYNC: u8 = 3;
const DFU_DNBUSY: u8 = 4;
const DFU_DNLOAD_IDLE: u8 = 5;
const DFU_MANIFEST_SYNC: u8 = 6;
const DFU_MANIFEST_WAIT_RESET: u8 = 8;
const DFU_UPLOAD_IDLE: u8 = 9;

/// An open device.
pub struct Handle {
    pub dev: UsbDevice,
    table: Table,
    /// Loaded when the device is used (DFU mode writes it back at the end of a session).
    sim: Option<SimDevice>,
    dirty: bool,
    alt: u8,
    state: u8,
    pointer: u32,
    poll: u32,
    pending: Option<Pending>,
    /// The device left the bus (reset or unplugged): every transfer fails with NoDevice.
    gone: bool,
    /// When the bootloader answered a leave request: it resets 500 ms later; until then
    /// GETSTATUS answers dfuMANIFEST-WAIT-RESET.
    left: Option<std::time::Instant>,
    requests: Vec<Request>,
    next_id: u16,
}

/// A service-protocol request of a normal-mode device.
struct Request {
    id: u16,
    kind: u16,
    reply: Vec<u8>,
    result: i32,
    after: Option<Mode>,
}

impl Handle {
    pub fn open(dev: &UsbDevice, table: &Table) -> Result<Handle, UsbError> {
        if dev.denied {
            return Err(UsbError::Access);
        }
        // A device listed before it reset, or changed mode, is not there any more.
        if !still_there(dev) {
            return Err(UsbError::NoDevice);
        }
        Ok(Handle {
            dev: dev.clone(),
            table: table.clone(),
            sim: None,
            dirty: false,
            alt: 0,
            state: DFU_IDLE,
            pointer: FIRST_WRITABLE,
            poll: 0,
            pending: None,
            gone: false,
            left: None,
            requests: Vec::new(),
            next_id: 1,
        })
    }

    fn sim(&mut self) -> Result<&mut SimDevice, UsbError> {
        if self.sim.is_none() {
            self.sim =
                Some(SimDevice::open(&self.dev.dir, &self.table).map_err(|_| UsbError::NoDevice)?);
        }
        Ok(self.sim.as_mut().expect("just loaded"))
    }

    /// Writes what this session changed back to the device directory.
    pub fn close(&mut self) {
        if self.dirty
            && let Some(s) = &self.sim
        {
            let _ = s.save();
            self.dirty = false;
        }
    }

    pub fn claim_interface(&mut self, interface: i32) -> Result<(), UsbError> {
        self.alive()?;
        let count = match self.dev.mode {
            Mode::Normal => 3,
            _ => 1,
        };
        if interface < 0 || interface >= count {
            return Err(UsbError::NotFound);
        }
        Ok(())
    }

    pub fn set_alt(&mut self, interface: i32, alt: i32) -> Result<(), UsbError> {
        self.alive()?;
        let alts = self.dev.strings.iter().filter(|(i, _)| *i >= 6).count() as i32;
        if self.dev.mode != Mode::Dfu || interface != 0 || alt < 0 || alt >= alts.max(1) {
            return Err(UsbError::NotFound);
        }
        self.alt = alt as u8;
        self.state = DFU_IDLE;
        self.pending = None;
        Ok(())
    }

    /// `libusb_reset_device`: the bootloader re-enumerates as it is.
    pub fn reset(&mut self) -> Result<(), UsbError> {
        self.alive()?;
        self.state = DFU_IDLE;
        self.pending = None;
        Ok(())
    }

    fn alive(&self) -> Result<(), UsbError> {
        let reset = match self.left {
            Some(at) => at.elapsed() >= RESET_AFTER_LEAVE,
            None => !still_there(&self.dev),
        };
        if self.gone || reset {
            return Err(UsbError::NoDevice);
        }
        Ok(())
    }

    /// One control transfer. `data` is what the host sends (OUT) or the buffer it reads into
    /// (IN, its length is wLength); the result is the number of bytes transferred.
    pub fn control(
        &mut self,
        request_type: u8,
        request: u8,
        value: u16,
        index: u16,
        data: &mut [u8],
    ) -> Result<usize, UsbError> {
        self.alive()?;
        let kind = (request_type >> 5) & 3;
        match (kind, request_type & 0x80 != 0, request) {
            // Standard GET_DESCRIPTOR.
            (0, true, 6) => {
                let bytes = self.descriptor(value, index)?;
                let n = bytes.len().min(data.len());
                data[..n].copy_from_slice(&bytes[..n]);
                Ok(n)
            }
            // Standard GET_STATUS, GET_CONFIGURATION: harmless answers.
            (0, true, 0) => fill(data, &[0, 0]),
            (0, true, 8) => fill(data, &[1]),
            (0, false, _) => Ok(0),
            (1, _, _) if self.dev.mode == Mode::Dfu => self.dfu(request, value, data),
            (2, _, _) if self.dev.mode == Mode::Normal => {
                self.vendor(request_type, request, value, index, data)
            }
            _ => Err(UsbError::Pipe),
        }
    }

    fn descriptor(&self, value: u16, index: u16) -> Result<Vec<u8>, UsbError> {
        let (kind, i) = ((value >> 8) as u8, (value & 0xFF) as u8);
        match kind {
            1 => Ok(self.dev.descriptor.bytes()),
            2 if i == 0 => Ok(self.dev.config.clone()),
            3 if i == 0 => Ok(vec![4, 3, 0x09, 0x04]),
            3 => {
                let _ = index;
                let s = self
                    .dev
                    .strings
                    .iter()
                    .find(|(n, _)| *n == i)
                    .ok_or(UsbError::Pipe)?;
                let utf16: Vec<u8> = s.1.encode_utf16().flat_map(u16::to_le_bytes).collect();
                let mut b = vec![(2 + utf16.len()).min(255) as u8, 3];
                b.extend(utf16);
                b.truncate(255);
                Ok(b)
            }
            _ => Err(UsbError::Pipe),
        }
    }

    // ---------------------------------------------------------------------------------------
    // DFU mode

    fn dfu(&mut self, request: u8, value: u16, data: &mut [u8]) -> Result<usize, UsbError> {
        match request {
            // DETACH: the bootloader is already in DFU mode.
            0 => Ok(0),
            1 => self.dnload(value, data),
            2 => self.upload(value, data),
            3 => self.getstatus(data),
            4 | 6 => {
                self.state = DFU_IDLE;
                self.pending = None;
                Ok(0)
            }
            5 => fill(data, &[self.state]),
            _ => Err(UsbError::Pipe),
        }
    }

    fn dnload(&mut self, value: u16, data: &[u8]) -> Result<usize, UsbError> {
        if data.is_empty() {
            self.pending = Some(Pending::Leave);
            self.state = DFU_MANIFEST_SYNC;
            return Ok(0);
        }
        self.pending = Some(match value {
            0 => match (data[0], data.len()) {
                (0x21, 5) => Pending::SetAddress(le32(&data[1..5])),
                (0x41, 5) => Pending::Erase(le32(&data[1..5])),
                // Mass erase and read-unprotect are refused (`usbd_dfu_core.c:597-672`).
                _ => return Err(UsbError::Pipe),
            },
            1 => return Err(UsbError::Pipe),
            n => {
                let at = self
                    .pointer
                    .wrapping_add(u32::from(n - 2) * TRANSFER_SIZE as u32);
                Pending::Write(at, data.to_vec())
            }
        });
        self.state = DFU_DNLOAD_SYNC;
        Ok(data.len())
    }

    fn in_range(&self, address: u32, len: usize) -> bool {
        let end = address as u64 + len as u64;
        match self.alt {
            ALT_FLASH => address >= crate::device::BOOTLOADER_START && end <= u64::from(FLASH_END),
            ALT_DCT => end <= 0x4000,
            _ => end <= 0x10_0000,
        }
    }

    fn getstatus(&mut self, data: &mut [u8]) -> Result<usize, UsbError> {
        if let Some(p) = self.pending.take() {
            // bwPollTimeout comes from the alt's table (`usbd_dct_if.c:28-40`: DCT data 1 ms,
            // erase 500 ms; flash and serial flash 0), and only changes when the pointer the
            // command found was in range (`usbd_dfu_mal.c:284-310`).
            let poll = match (&p, self.alt) {
                (Pending::Erase(_), ALT_DCT) => 500,
                (_, ALT_DCT) => 1,
                _ => 0,
            };
            if self.in_range(self.pointer, 0) {
                self.poll = poll;
            }
            match p {
                Pending::SetAddress(a) => {
                    if !self.in_range(a, 0) {
                        return Err(UsbError::Pipe);
                    }
                    self.pointer = a;
                }
                Pending::Erase(a) => self.erase(a)?,
                Pending::Write(a, bytes) => self.write(a, &bytes)?,
                Pending::Leave => return self.leave(data),
            }
            self.state = DFU_DNBUSY;
            let r = status(data, self.poll, DFU_DNBUSY);
            self.state = DFU_DNLOAD_IDLE;
            return r;
        }
        status(data, self.poll, self.state)
    }

    fn erase(&mut self, address: u32) -> Result<(), UsbError> {
        if self.alt == ALT_DCT {
            // DCT "erase" is a no-op (`usbd_dct_if.c:47-53`).
            return if address < 0x4000 {
                Ok(())
            } else {
                Err(UsbError::Pipe)
            };
        }
        if protected(address) || !self.in_range(address, 1) {
            return Err(UsbError::Pipe);
        }
        if self.alt == ALT_SERIAL_FLASH {
            let sector = address & !(SERIAL_FLASH_SECTOR - 1);
            return self.serial_flash_write(sector, &[0xFF; SERIAL_FLASH_SECTOR as usize]);
        }
        let (start, size) = super::sectors()
            .find(|(s, size)| address >= *s && address < s + size)
            .ok_or(UsbError::Pipe)?;
        let sim = self.sim()?;
        sim.write_raw(start, &vec![0xFF; size as usize]);
        self.dirty = true;
        Ok(())
    }

    fn write(&mut self, address: u32, bytes: &[u8]) -> Result<(), UsbError> {
        if !self.in_range(address, bytes.len()) {
            return Err(UsbError::Pipe);
        }
        let faults = self.sim()?.faults();
        if self.alt == ALT_DCT {
            let sim = self.sim()?;
            if crate::device::preflight::dct_write_refused(&sim.installed()).is_some() {
                return Err(UsbError::Pipe);
            }
            sim.write_dct(address, bytes);
            self.dirty = true;
            return Ok(());
        }
        if protected(address) {
            return Err(UsbError::Pipe);
        }
        if self.alt == ALT_SERIAL_FLASH {
            return self.serial_flash_write(address, bytes);
        }
        if faults.contains(&Fault::WriteFails) {
            self.sim()?.clear_fault(Fault::WriteFails);
            return Err(UsbError::Pipe);
        }
        self.sim()?.write_raw(address, bytes);
        self.dirty = true;
        if faults.contains(&Fault::UnplugDuringDownload) {
            // This block made it; then the cable is pulled.
            self.sim()?.clear_fault(Fault::UnplugDuringDownload);
            self.close();
            if let Some(s) = &self.sim {
                s.unplug();
            }
            self.gone = true;
            return Err(UsbError::NoDevice);
        }
        Ok(())
    }

    /// The P1's serial flash (alt 2, 1 MB in 4 KB sectors), kept in `DIR/serial-flash.bin`.
    fn serial_flash_write(&mut self, address: u32, bytes: &[u8]) -> Result<(), UsbError> {
        let path = self.dev.dir.join(SERIAL_FLASH);
        let mut all = std::fs::read(&path).unwrap_or_else(|_| vec![0xFF; SERIAL_FLASH_SIZE]);
        all.resize(SERIAL_FLASH_SIZE, 0xFF);
        let at = address as usize;
        all[at..at + bytes.len()].copy_from_slice(bytes);
        crate::fsutil::write_atomic(&path, &all).map_err(|_| UsbError::Io)
    }

    /// The zero-length DNLOAD's GETSTATUS: answered dfuDNLOAD-IDLE, then the device resets
    /// (`usbd_dfu_core.c:997-1016`, ~500 ms later): it boots and comes back in the mode that
    /// gives. With the `leave-resets-at-once` fault it resets inside the request instead, as
    /// old bootloaders did (device-os #599), and dfu-util sees the transfer fail.
    fn leave(&mut self, data: &mut [u8]) -> Result<usize, UsbError> {
        let at_once = self.sim()?.faults().contains(&Fault::LeaveResetsAtOnce);
        let sim = self.sim()?;
        let boot = sim.reset();
        let _ = sim.save();
        self.dirty = false;
        set_mode(&self.dev.dir, Mode::after_boot(boot.state));
        self.state = DFU_MANIFEST_WAIT_RESET;
        self.left = Some(std::time::Instant::now());
        if at_once {
            self.gone = true;
            return Err(UsbError::Io);
        }
        status(data, self.poll, DFU_DNLOAD_IDLE)
    }

    fn upload(&mut self, value: u16, data: &mut [u8]) -> Result<usize, UsbError> {
        match value {
            0 => {
                self.state = DFU_UPLOAD_IDLE;
                fill(data, &[0x00, 0x21, 0x41])
            }
            1 => Err(UsbError::Pipe),
            n => {
                self.state = DFU_UPLOAD_IDLE;
                let at = self
                    .pointer
                    .wrapping_add(u32::from(n - 2) * TRANSFER_SIZE as u32);
                let len = data.len();
                let alt = self.alt;
                let sim = self.sim()?;
                let bytes: Vec<u8> = match alt {
                    ALT_FLASH => sim
                        .read(at, len as u32)
                        .map(<[u8]>::to_vec)
                        // Reads are only range-checked; outside, zeros (`usbd_dfu_mal.c:261-274`).
                        .unwrap_or_else(|| vec![0; len]),
                    ALT_DCT => {
                        let mut b = sim.read_dct(at, len as u32).to_vec();
                        b.resize(len, 0);
                        b
                    }
                    _ => {
                        let mut b = vec![0xFF; len];
                        if let Ok(all) = std::fs::read(self.dev.dir.join(SERIAL_FLASH)) {
                            let at = (at as usize).min(all.len());
                            let end = (at + len).min(all.len());
                            b[..end - at].copy_from_slice(&all[at..end]);
                        }
                        b
                    }
                };
                fill(data, &bytes)
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Normal mode: Particle's control requests

    fn firmware(&mut self) -> Result<u16, UsbError> {
        let installed = self.sim()?.installed();
        Ok(installed.system_version(2).unwrap_or(0))
    }

    fn vendor(
        &mut self,
        request_type: u8,
        request: u8,
        value: u16,
        index: u16,
        data: &mut [u8],
    ) -> Result<usize, UsbError> {
        let firmware = self.firmware()?;
        let device_in = request_type & 0x80 != 0;
        if request == 0x50 {
            // Raw requests (from 0.6.1): IN 20 device ID (upper case), IN 30 version.
            return match (device_in, index) {
                (true, 20) => fill(data, self.sim()?.identity.serial.to_uppercase().as_bytes()),
                (true, 30) => fill(data, version_string(firmware).as_bytes()),
                _ => Err(UsbError::Pipe),
            };
        }
        if firmware < SERVICE_PROTOCOL_FROM {
            return Err(UsbError::Pipe);
        }
        match (device_in, request) {
            // INIT: wIndex = request type, wValue = payload size (none of ours carries one).
            (true, 1) => {
                let id = self.next_id;
                self.next_id = self.next_id.wrapping_add(1).max(1);
                let (reply, result, after) = self.service(index)?;
                self.requests.push(Request {
                    id,
                    kind: index,
                    reply,
                    result,
                    after,
                });
                let _ = value;
                fill(data, &reply_header(0x02, 0, Some(id), None, None))
            }
            // CHECK: done, with the reply's size and the result. DFU_MODE and RESET take
            // effect once the host has this (1000 ms later on a device).
            (true, 2) => {
                let Some(r) = self.requests.iter().find(|r| r.id == index) else {
                    return fill(data, &reply_header(0, 5, None, None, None));
                };
                let header = reply_header(
                    0x04 | 0x08,
                    0,
                    None,
                    Some(r.reply.len() as u32),
                    Some(r.result),
                );
                let after = r.after;
                let kind = r.kind;
                let n = fill(data, &header)?;
                if let Some(mode) = after {
                    self.switch(mode, kind)?;
                }
                Ok(n)
            }
            // RECV: the reply payload.
            (true, 4) => {
                let r = self
                    .requests
                    .iter()
                    .find(|r| r.id == index)
                    .ok_or(UsbError::Pipe)?;
                fill(data, &r.reply)
            }
            // RESET: forget one request, or all (0).
            (true, 5) => {
                self.requests.retain(|r| index != 0 && r.id != index);
                fill(data, &reply_header(0, 0, None, None, None))
            }
            _ => Err(UsbError::Pipe),
        }
    }

    /// The reply payload and result of a request type, and the mode it puts the device in.
    fn service(&mut self, kind: u16) -> Result<(Vec<u8>, i32, Option<Mode>), UsbError> {
        let firmware = self.firmware()?;
        Ok(match kind {
            20 => (
                proto_string(1, &self.sim()?.identity.serial.clone()),
                0,
                None,
            ),
            30 => (proto_string(1, &version_string(firmware)), 0, None),
            40 => (Vec::new(), 0, Some(Mode::Normal)),
            50 if self.sim()?.faults().contains(&Fault::NeverEntersDfu) => (Vec::new(), 0, None),
            50 => (Vec::new(), 0, Some(Mode::Dfu)),
            90 => (self.module_info()?, 0, None),
            // Unknown request types: SYSTEM_ERROR_NOT_SUPPORTED.
            _ => (Vec::new(), -120, None),
        })
    }

    /// DFU_MODE: the system resets into the bootloader's DFU mode; RESET: it reboots.
    fn switch(&mut self, mode: Mode, kind: u16) -> Result<(), UsbError> {
        self.gone = true;
        match (mode, kind) {
            (Mode::Dfu, _) => set_mode(&self.dev.dir, Mode::Dfu),
            _ => {
                let sim = self.sim()?;
                let boot = sim.reset();
                let _ = sim.save();
                set_mode(&self.dev.dir, Mode::after_boot(boot.state));
            }
        }
        Ok(())
    }

    /// GET_MODULE_INFO's reply (`storage.pb.h`): `{1: repeated Module {1 type, 2 index,
    /// 3 version, 4 size, 5 validity, 6 repeated Dependency {1 type, 2 index, 3 version}}}`.
    fn module_info(&mut self) -> Result<Vec<u8>, UsbError> {
        let installed = self.sim()?.installed();
        let mut out = Vec::new();
        for s in &installed.slots {
            let Content::Module { info, crc_ok, .. } = &s.content else {
                continue;
            };
            let kind = match s.slot.kind {
                SlotKind::Bootloader => 1,
                SlotKind::SystemPart(_) => 2,
                SlotKind::UserPart => 3,
                SlotKind::Factory => continue,
            };
            let mut m = Vec::new();
            proto_varint_field(&mut m, 1, kind);
            proto_varint_field(&mut m, 2, u64::from(info.index));
            proto_varint_field(&mut m, 3, u64::from(info.version));
            proto_varint_field(&mut m, 4, info.image_len());
            proto_varint_field(&mut m, 5, if *crc_ok { 0 } else { 1 });
            for d in info.dependencies() {
                let mut dep = Vec::new();
                let t = match d.function {
                    crate::image::ModuleFunction::Bootloader => 1,
                    crate::image::ModuleFunction::SystemPart => 2,
                    crate::image::ModuleFunction::UserPart => 3,
                    _ => 0,
                };
                proto_varint_field(&mut dep, 1, t);
                proto_varint_field(&mut dep, 2, u64::from(d.index));
                proto_varint_field(&mut dep, 3, u64::from(d.version));
                proto_bytes_field(&mut m, 6, &dep);
            }
            proto_bytes_field(&mut out, 1, &m);
        }
        Ok(out)
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.close();
    }
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn fill(data: &mut [u8], bytes: &[u8]) -> Result<usize, UsbError> {
    let n = bytes.len().min(data.len());
    data[..n].copy_from_slice(&bytes[..n]);
    Ok(n)
}

/// GETSTATUS: bStatus 0 (the bootloader never reports an error state), bwPollTimeout, bState.
fn status(data: &mut [u8], poll: u32, state: u8) -> Result<usize, UsbError> {
    let p = poll.to_le_bytes();
    fill(data, &[0, p[0], p[1], p[2], state, 0])
}

/// "2.3.1" for a system module version that is a known release, else the number.
fn version_string(system: u16) -> String {
    crate::device::versions::release_of(system)
        .map(str::to_string)
        .unwrap_or_else(|| system.to_string())
}

/// The service protocol's reply header (`usb_control_request_channel.cpp:100-136`): u32 flags
/// (0x02 id, 0x04 size, 0x08 result), u16 status, then the fields the flags name.
fn reply_header(
    flags: u32,
    status: u16,
    id: Option<u16>,
    size: Option<u32>,
    result: Option<i32>,
) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(flags.to_le_bytes());
    b.extend(status.to_le_bytes());
    if let Some(id) = id {
        b.extend(id.to_le_bytes());
    }
    if let Some(s) = size {
        b.extend(s.to_le_bytes());
    }
    if let Some(r) = result {
        b.extend(r.to_le_bytes());
    }
    b
}

fn proto_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7F) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn proto_varint_field(out: &mut Vec<u8>, field: u32, v: u64) {
    proto_varint(out, u64::from(field << 3));
    proto_varint(out, v);
}

fn proto_bytes_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    proto_varint(out, u64::from(field << 3 | 2));
    proto_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn proto_string(field: u32, s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    proto_bytes_field(&mut out, field, s.as_bytes());
    out
}
