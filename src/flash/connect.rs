//! Which dfu-util to run and which device is meant (a serial, or `sim:DIR`: the simulated device
//! in DIR, on the simulated bus of `pbuild sim exec`), and reaching that device in DFU mode:
//! one that is running is asked to enter it (`usb::enter_dfu`) and waited for.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::tool::Process;
use super::{Dfu, DfuDevice, Event, FlashError, select};
use crate::config::Table;
use crate::error::Result;
use crate::sim::SimDevice;
use crate::sim::error::SimError;
use crate::usb::{self, UsbMode};

/// The dfu-util to run and the device asked for.
pub struct Connection {
    pub tool: Process,
    pub serial: Option<String>,
}

/// `Some(DIR)` for `sim:DIR`.
pub fn sim_dir(device: Option<&str>) -> Option<&Path> {
    device.and_then(|d| d.strip_prefix("sim:")).map(Path::new)
}

impl Connection {
    /// `device`: a serial, `sim:DIR` (which must be on the simulated bus pbuild runs on), or
    /// none (the only device attached); `dfu_util`: the executable named by the user, if any.
    pub fn open(
        device: Option<&str>,
        dfu_util: Option<PathBuf>,
        table: &Table,
    ) -> Result<Connection> {
        let serial = match sim_dir(device) {
            Some(dir) => {
                let dir = crate::paths::absolute(dir);
                let sim = SimDevice::open(&dir, table)?;
                let on_bus = crate::sim::usb::bus_dirs();
                let same = |d: &PathBuf| {
                    d.canonicalize()
                        .ok()
                        .is_some_and(|c| Some(c) == dir.canonicalize().ok())
                };
                if !on_bus.iter().any(same) {
                    return Err(SimError::NotOnBus { dir, on_bus }.into());
                }
                Some(sim.identity.serial)
            }
            None => device.map(str::to_string),
        };
        Ok(Connection {
            tool: Process::choose(dfu_util),
            serial,
        })
    }
}

/// The device in DFU mode, and whether pbuild put it there (then, if nothing is written, it
/// should be sent back to its app: [`Dfu::resume`]).
pub struct Reached {
    pub dev: DfuDevice,
    pub asked: bool,
}

impl Dfu<'_> {
    /// The device in DFU mode: the one with `serial` (else the only one); when it is running
    /// instead, it is asked to enter DFU mode and waited for, at most `wait`.
    pub fn reach(
        &mut self,
        table: &Table,
        serial: Option<&str>,
        wait: Duration,
        stop: Option<&AtomicBool>,
    ) -> Result<Reached, FlashError> {
        let listing = self.list(table)?;
        // Every Particle device on USB, in either mode (without libusb: what dfu-util found).
        let attached = usb::attached(table).ok();
        if serial.is_none()
            && let Some(all) = &attached
            && all.len() > 1
        {
            return Err(FlashError::SeveralDevices {
                devices: all.iter().map(usb::Attached::describe).collect(),
            });
        }
        let not_in_dfu = match select(&listing, serial) {
            Ok(d) => {
                return Ok(Reached {
                    dev: d.clone(),
                    asked: false,
                });
            }
            Err(e @ (FlashError::NoDevice { .. } | FlashError::NotFound { .. })) => e,
            Err(e) => return Err(e),
        };
        // Not in DFU mode: is it running?
        let Some(attached) = attached else {
            return Err(not_in_dfu);
        };
        let running: Vec<_> = attached
            .into_iter()
            .filter(|d| d.mode == UsbMode::Normal)
            .collect();
        let Some(dev) = usb::pick(&running, serial)? else {
            // A device libusb may not open hides its serial: it may be the one asked for.
            if let Some(d) = running.iter().find(|d| d.denied) {
                return Err(FlashError::UsbAccess {
                    device: d.describe(),
                });
            }
            // Nothing on USB at all, or not the device asked for (then say what is there).
            let found: Vec<String> = listing
                .devices
                .iter()
                .filter(|d| d.platform_id().is_some())
                .map(DfuDevice::describe)
                .chain(running.iter().map(usb::Attached::describe))
                .collect();
            return Err(match (not_in_dfu, serial) {
                (FlashError::CannotOpen { line }, _) => FlashError::CannotOpen { line },
                (_, Some(s)) if !found.is_empty() => FlashError::NotFound {
                    serial: s.to_string(),
                    found,
                },
                _ => FlashError::NoDevice {
                    wanted: serial.map(str::to_string),
                },
            });
        };
        let asked = usb::enter_dfu(dev, &usb::port::Ports::here(table))?;
        (self.on_event)(Event::EnteringDfu {
            device: &dev.describe(),
            asked: &asked,
        });
        usb::wait_for(table, &dev.serial, UsbMode::Dfu, wait, stop)?;
        let listing = self.list(table)?;
        Ok(Reached {
            dev: select(&listing, Some(&dev.serial))?.clone(),
            asked: true,
        })
    }
}
