//! The serial side of the simulated bus, run by `pbuild sim exec` for as long as its command
//! runs. The simulator runs no ARM code; for each device in normal mode it offers a
//! pseudo-terminal as the device's USB serial port (its path in `DIR/tty`, which is where
//! pbuild's port lookup finds it under the simulator) and writes what a test can assert on:
//! a boot line naming the user part it runs (module version and the CRC-32 from its suffix, 8
//! hex digits), then `tick N` every second. It watches the port's line settings: a host that
//! sets 14400 baud (the "touch" particle-cli and Device OS's `program-dfu` use) switches the
//! device to DFU mode, as `system_lineCodingBitRateHandler` does (`system/src/system_update.cpp:253-272`).
//! A device that resets (a flash, a DFU request) closes its port and opens a new one when it
//! runs again.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::usb::{Mode, mode_of, set_mode};
use super::{SimDevice, TTY};
use crate::config::Table;
use crate::device::boot::BootState;
use crate::device::installed::Content;
use crate::device::{DFU_BAUD, SlotKind};
use crate::tty::{Pty, open_pty, speed};

const POLL: Duration = Duration::from_millis(50);
const TICK: Duration = Duration::from_secs(1);

/// The serial port a simulated device offers now (while `pbuild sim exec` runs and it is in
/// normal mode).
pub fn port_of(dir: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(dir.join(TTY)).ok()?;
    let path = PathBuf::from(text.trim());
    path.exists().then_some(path)
}

/// The running serial side; stopping it (drop) closes every port.
pub struct Bus {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Bus {
    /// Opens the ports of the devices running now before it returns, then keeps them in step.
    pub fn start(dirs: Vec<PathBuf>, table: Table) -> Bus {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let mut ports: Vec<Option<Port>> = dirs.iter().map(|_| None).collect();
        for (dir, port) in dirs.iter().zip(ports.iter_mut()) {
            step(dir, &table, port);
        }
        let thread = std::thread::spawn(move || run(&dirs, &table, &flag, ports));
        Bus {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One open serial port.
struct Port {
    pty: Pty,
    file: std::fs::File,
    /// The device's start count when this port opened (a new start means a new port).
    boots: usize,
    last_tick: Instant,
    ticks: u32,
}

fn run(dirs: &[PathBuf], table: &Table, stop: &AtomicBool, mut ports: Vec<Option<Port>>) {
    while !stop.load(Ordering::SeqCst) {
        for (dir, port) in dirs.iter().zip(ports.iter_mut()) {
            step(dir, table, port);
        }
        std::thread::sleep(POLL);
    }
    for (dir, port) in dirs.iter().zip(ports.iter_mut()) {
        close(dir, port);
    }
}

fn close(dir: &Path, port: &mut Option<Port>) {
    if port.take().is_some() {
        let _ = std::fs::remove_file(dir.join(TTY));
    }
}

fn step(dir: &Path, table: &Table, port: &mut Option<Port>) {
    let Ok(dev) = SimDevice::open(dir, table) else {
        close(dir, port);
        return;
    };
    if mode_of(dir) != Mode::Normal || dev.unplugged() {
        close(dir, port);
        return;
    }
    let boots = dev.boots().len();
    if port.as_ref().is_some_and(|p| p.boots != boots) {
        close(dir, port);
    }
    if port.is_none() {
        let Ok(pty) = open_pty() else { return };
        let Ok(file) = pty.master.try_clone().map(std::fs::File::from) else {
            return;
        };
        if crate::fsutil::write_atomic(&dir.join(TTY), pty.path.to_string_lossy().as_bytes())
            .is_err()
        {
            return;
        }
        let mut p = Port {
            pty,
            file,
            boots,
            last_tick: Instant::now(),
            ticks: 0,
        };
        let line = boot_line(&dev);
        let _ = p.file.write_all(line.as_bytes());
        *port = Some(p);
    }
    let Some(p) = port.as_mut() else { return };
    // What the host writes is read and dropped (the app does not listen).
    let mut sink = [0u8; 256];
    while matches!(p.file.read(&mut sink), Ok(n) if n > 0) {}
    if speed(p.pty.master.as_raw_fd()).is_ok_and(|s| s == DFU_BAUD)
        && !dev.faults().contains(&super::Fault::NeverEntersDfu)
    {
        close(dir, port);
        set_mode(dir, Mode::Dfu);
        return;
    }
    if p.last_tick.elapsed() >= TICK {
        p.ticks += 1;
        p.last_tick = Instant::now();
        let _ = p.file.write_all(format!("tick {}\r\n", p.ticks).as_bytes());
    }
}

/// "pbuild sim: Device OS 2.3.1, running user part v6 crc 1a2b3c4d" (or the safe-mode line).
pub fn boot_line(dev: &SimDevice) -> String {
    let installed = dev.installed();
    let system = installed
        .system_version(2)
        .map(|v| {
            crate::device::versions::release_of(v)
                .map(|r| format!("Device OS {r}"))
                .unwrap_or_else(|| format!("system {v}"))
        })
        .unwrap_or_else(|| "no system".into());
    let user = match installed.slot(SlotKind::UserPart).map(|s| &s.content) {
        Some(Content::Module {
            info, stored_crc, ..
        }) => format!("user part v{} crc {stored_crc:08x}", info.version),
        _ => "no user part".into(),
    };
    let boot = crate::device::boot::boot(&installed);
    match boot.state {
        BootState::RunningUserApp => format!("pbuild sim: {system}, running {user}\r\n"),
        state => format!(
            "pbuild sim: {system}, {state}: {} (not running {user})\r\n",
            boot.reasons.join("; ")
        ),
    }
}
