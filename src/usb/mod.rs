//! Particle devices on USB, through the system's libusb (the `rusb` crate): which are attached
//! and in which mode (DFU: the bootloader, 2b04:d00x; normal: the running system, 2b04:c00x;
//! usb-facts.md §2b), the control requests a running device answers ([`control`]), asking it to
//! enter DFU mode without buttons ([`enter_dfu`]), its USB serial port ([`port`]) and the app's
//! output on it ([`monitor`]).
//!
//! libusb is linked dynamically, so `pbuild sim exec` can put the simulated bus (the `usbsim`
//! crate's `libusb-1.0.so.0`) under pbuild exactly as under dfu-util. Writing flash stays
//! dfu-util's job (`flash`).

pub mod control;
pub mod monitor;
pub mod port;

use std::time::{Duration, Instant};

use crate::config::Table;
use crate::flash::error::FlashError;

/// How long one control transfer may take (particle-usb uses 5 s: `usb-device-node.js:32`).
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// What a device on the bus is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UsbMode {
    /// The bootloader, in DFU mode (blinking yellow).
    Dfu,
    /// The system runs (the app, safe mode or listening mode).
    Normal,
}

/// A Particle device as the bus shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    pub vid: u16,
    pub pid: u16,
    pub mode: UsbMode,
    /// The USB serial number: the device ID (24 hex digits); empty when it could not be read.
    pub serial: String,
    /// Platform id and name, from the VID:PID.
    pub platform: (u16, String),
    pub bus: u8,
    pub address: u8,
    /// "1-3.2", as sysfs and dfu-util name the port.
    pub path: String,
    /// Why it could not be opened (LIBUSB_ERROR_ACCESS: the udev rule is missing), if it could not.
    pub denied: bool,
}

impl Attached {
    /// "photon 3c0021000a47343432313031 (2b04:c006, running)".
    pub fn describe(&self) -> String {
        format!(
            "{} {} ({:04x}:{:04x}, {})",
            self.platform.1,
            if self.serial.is_empty() {
                "(serial unreadable)"
            } else {
                &self.serial
            },
            self.vid,
            self.pid,
            match self.mode {
                UsbMode::Dfu => "DFU mode",
                UsbMode::Normal => "running",
            }
        )
    }

    pub fn is(&self, serial: &str) -> bool {
        !self.serial.is_empty() && self.serial.eq_ignore_ascii_case(serial)
    }
}

fn usb_error(what: &str, e: rusb::Error) -> FlashError {
    match e {
        rusb::Error::Access => FlashError::UsbAccess {
            device: what.to_string(),
        },
        e => FlashError::Usb {
            what: what.to_string(),
            error: e.to_string(),
        },
    }
}

/// The Particle Gen 2 devices attached now, in both modes, in bus order.
pub fn attached(table: &Table) -> Result<Vec<Attached>, FlashError> {
    let ctx = rusb::Context::new().map_err(|e| usb_error("libusb", e))?;
    attached_in(&ctx, table)
}

fn attached_in(ctx: &rusb::Context, table: &Table) -> Result<Vec<Attached>, FlashError> {
    use rusb::UsbContext;
    let list = ctx
        .devices()
        .map_err(|e| usb_error("the USB device list", e))?;
    let mut out = Vec::new();
    for dev in list.iter() {
        let Ok(desc) = dev.device_descriptor() else {
            continue;
        };
        let (vid, pid) = (desc.vendor_id(), desc.product_id());
        let (mode, platform) = if let Some(p) = table.by_dfu_ids(vid, pid) {
            (UsbMode::Dfu, p)
        } else if let Some(p) = table.by_usb_ids(vid, pid) {
            (UsbMode::Normal, p)
        } else {
            continue;
        };
        let (serial, denied) = match dev.open() {
            Ok(h) => (
                h.read_serial_number_string_ascii(&desc).unwrap_or_default(),
                false,
            ),
            Err(rusb::Error::Access) => (String::new(), true),
            Err(_) => (String::new(), false),
        };
        let ports = dev.port_numbers().unwrap_or_default();
        let path = format!(
            "{}-{}",
            dev.bus_number(),
            ports
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(".")
        );
        out.push(Attached {
            vid,
            pid,
            mode,
            serial,
            platform: (platform.id, platform.name.clone()),
            bus: dev.bus_number(),
            address: dev.address(),
            path,
            denied,
        });
    }
    Ok(out)
}

/// Picks the device meant: the one with `serial`, else the only one; `None` when none is attached.
pub fn pick<'a>(
    devices: &'a [Attached],
    serial: Option<&str>,
) -> Result<Option<&'a Attached>, FlashError> {
    match serial {
        Some(s) => Ok(devices.iter().find(|d| d.is(s))),
        None => match devices {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            many => Err(FlashError::SeveralDevices {
                devices: many.iter().map(Attached::describe).collect(),
            }),
        },
    }
}

/// How a running device was asked to enter DFU mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    /// The DFU_MODE control request (type 50), as particle-cli asks.
    ControlRequest,
    /// Its USB serial port was set to 14400 baud (firmware without the request).
    Touch { port: std::path::PathBuf },
}

/// Asks the running device `dev` to reset into DFU mode: the DFU_MODE control request, else
/// the 14400-baud touch of its serial port (found by `ports`).
pub fn enter_dfu(dev: &Attached, ports: &port::Ports) -> Result<Asked, FlashError> {
    if dev.denied {
        return Err(FlashError::UsbAccess {
            device: dev.describe(),
        });
    }
    match control::Session::open(dev).and_then(|mut s| s.request_dfu()) {
        Ok(()) => return Ok(Asked::ControlRequest),
        Err(control::ControlError::Unsupported) | Err(control::ControlError::Refused(_)) => {}
        Err(control::ControlError::Usb(e)) => return Err(usb_error(&dev.describe(), e)),
    }
    let port = ports
        .find(&dev.serial)
        .ok_or_else(|| FlashError::CannotEnterDfu {
            device: dev.describe(),
            why: "it does not answer the DFU_MODE control request, and its USB serial port was not found".into(),
        })?;
    crate::tty::touch(&port, crate::device::DFU_BAUD).map_err(|source| FlashError::Io {
        path: port.clone(),
        source,
    })?;
    Ok(Asked::Touch { port })
}

/// Waits until a device with `serial` shows up in `mode`, polling every 250 ms, for at most
/// `timeout`; `stop` cuts the wait short (Ctrl-C).
pub fn wait_for(
    table: &Table,
    serial: &str,
    mode: UsbMode,
    timeout: Duration,
    stop: Option<&std::sync::atomic::AtomicBool>,
) -> Result<Attached, FlashError> {
    let ctx = rusb::Context::new().map_err(|e| usb_error("libusb", e))?;
    let started = Instant::now();
    loop {
        if let Some(d) = attached_in(&ctx, table)?
            .into_iter()
            .find(|d| d.mode == mode && d.is(serial))
        {
            return Ok(d);
        }
        if stop.is_some_and(|s| s.load(std::sync::atomic::Ordering::SeqCst)) {
            return Err(FlashError::Stopped { done: 0, total: 0 });
        }
        if started.elapsed() >= timeout {
            return Err(FlashError::DfuTimeout {
                device: serial.to_string(),
                seconds: timeout.as_secs_f64(),
                mode: mode_name(mode),
            });
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn mode_name(mode: UsbMode) -> &'static str {
    match mode {
        UsbMode::Dfu => "DFU mode",
        UsbMode::Normal => "normal mode",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(serial: &str, mode: UsbMode) -> Attached {
        Attached {
            vid: 0x2b04,
            pid: 0xc006,
            mode,
            serial: serial.into(),
            platform: (6, "photon".into()),
            bus: 1,
            address: 5,
            path: "1-1".into(),
            denied: false,
        }
    }

    #[test]
    fn pick_by_serial_ignores_case_and_wants_one_when_none_is_named() {
        let two = [
            dev("3c0021000a47343432313031", UsbMode::Normal),
            dev("aaaaaaaaaaaaaaaaaaaaaaaa", UsbMode::Dfu),
        ];
        assert_eq!(
            pick(&two, Some("AAAAAAAAAAAAAAAAAAAAAAAA"))
                .unwrap()
                .unwrap()
                .mode,
            UsbMode::Dfu
        );
        assert!(pick(&two, Some("bb")).unwrap().is_none());
        assert!(matches!(
            pick(&two, None),
            Err(FlashError::SeveralDevices { devices }) if devices.len() == 2
        ));
        assert!(pick(&[], None).unwrap().is_none());
        assert_eq!(
            two[0].describe(),
            "photon 3c0021000a47343432313031 (2b04:c006, running)"
        );
        assert!(
            !dev("", UsbMode::Dfu).is(""),
            "an unread serial matches nothing"
        );
    }
}
