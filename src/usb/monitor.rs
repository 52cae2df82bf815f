//! The app's output on the device's USB serial port, across resets: wait until the device runs
//! (normal mode), find its port ([`super::port`]), read until the port goes away (a reset, a
//! flash, an unplug), then wait for it again. The bit rate of a USB CDC port means nothing to
//! the device (except the 14400 and 28800 "touches"), so the port is opened as it is.

use std::io::Read;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::port::Ports;
use super::{UsbMode, pick};
use crate::config::Table;
use crate::flash::error::FlashError;

/// What the monitor sees.
#[derive(Debug)]
pub enum Seen<'a> {
    /// No running device (yet): waiting for one.
    Waiting,
    /// The port of device `serial` is open.
    Opened { port: &'a Path, serial: &'a str },
    /// Bytes the device wrote.
    Output(&'a [u8]),
    /// The port went away (the device reset or was unplugged); not said when the monitor stops.
    Closed,
}

/// How long to look, and for which device.
pub struct Watch<'a> {
    pub table: &'a Table,
    pub ports: &'a Ports,
    /// The device's serial; `None`: the only Particle device attached.
    pub serial: Option<&'a str>,
    /// Stop at this moment (`--for`), or on `stop`.
    pub until: Option<Instant>,
    pub stop: &'a AtomicBool,
}

const POLL: Duration = Duration::from_millis(200);

impl Watch<'_> {
    fn done(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || self.until.is_some_and(|u| Instant::now() >= u)
    }

    /// Runs until stopped (Ctrl-C or `until`), calling `on` for what it sees.
    pub fn run(&self, on: &mut dyn FnMut(Seen<'_>)) -> Result<(), FlashError> {
        let mut waiting_said = false;
        while !self.done() {
            let Some((serial, port)) = self.running_port()? else {
                if !waiting_said {
                    on(Seen::Waiting);
                    waiting_said = true;
                }
                std::thread::sleep(POLL);
                continue;
            };
            let Ok(mut file) = crate::tty::open_port(&port) else {
                std::thread::sleep(POLL);
                continue;
            };
            // Raw, reads return within 200 ms: Ctrl-C and the end are noticed.
            let _ = crate::tty::make_raw(file.as_raw_fd());
            waiting_said = false;
            on(Seen::Opened {
                port: &port,
                serial: &serial,
            });
            if self.read_until_gone(&mut file, &serial, &port, on) {
                on(Seen::Closed);
            }
        }
        Ok(())
    }

    /// The running device's serial and port, once both are there.
    fn running_port(&self) -> Result<Option<(String, PathBuf)>, FlashError> {
        let running: Vec<_> = super::attached(self.table)?
            .into_iter()
            .filter(|d| d.mode == UsbMode::Normal)
            .collect();
        let Some(dev) = pick(&running, self.serial)? else {
            return Ok(None);
        };
        if dev.denied {
            return Err(FlashError::UsbAccess {
                device: dev.describe(),
            });
        }
        Ok(self
            .ports
            .find(&dev.serial)
            .map(|p| (dev.serial.clone(), p)))
    }

    fn read_until_gone(
        &self,
        file: &mut std::fs::File,
        serial: &str,
        port: &Path,
        on: &mut dyn FnMut(Seen<'_>),
    ) -> bool {
        let mut buf = [0u8; 1024];
        let mut checked = Instant::now();
        while !self.done() {
            match file.read(&mut buf) {
                Ok(n) if n > 0 => on(Seen::Output(&buf[..n])),
                // Nothing within the read timeout. A port whose device left stays readable on
                // some systems: look the device's port up again every second.
                Ok(_) => {
                    if checked.elapsed() >= Duration::from_secs(1) {
                        checked = Instant::now();
                        if self.ports.find(serial).as_deref() != Some(port) {
                            return true;
                        }
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // EIO: the device is gone.
                Err(_) => return true,
            }
        }
        false
    }
}
