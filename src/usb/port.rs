//! Finding a device's USB serial port from its USB serial number (the device ID), never by
//! guessing `/dev/ttyACM0`. On Linux the kernel's `cdc_acm` driver names it, and sysfs says
//! which: `/sys/bus/usb/devices/<port>/serial` is the device's serial number and
//! `/sys/bus/usb/devices/<port>:<config>.<interface>/tty/ttyACM<n>` the port of its CDC
//! interface (Particle's `Serial` is interface 0, usb-facts.md §5). Under `pbuild sim exec` the
//! simulated device's pseudo-terminal is named in its directory instead (`sim::bus`).

use std::path::{Path, PathBuf};

use crate::config::Table;

/// Where ports are looked up: the one seam between a real device's port and a simulated one's.
#[derive(Debug, Clone)]
pub enum Ports {
    /// Linux sysfs: the USB devices directory and where the device nodes are (`/sys`, `/dev`).
    Sysfs { sys: PathBuf, dev: PathBuf },
    /// The simulated bus (`PBUILD_SIM_DEVICES`): each device directory names its port.
    Sim { dirs: Vec<PathBuf>, table: Table },
}

impl Ports {
    /// The simulated bus when pbuild runs under `pbuild sim exec`, else this machine's sysfs.
    pub fn here(table: &Table) -> Ports {
        let dirs = crate::sim::usb::bus_dirs();
        if dirs.is_empty() {
            Ports::Sysfs {
                sys: PathBuf::from("/sys"),
                dev: PathBuf::from("/dev"),
            }
        } else {
            Ports::Sim {
                dirs,
                table: table.clone(),
            }
        }
    }

    /// The serial port of the device whose USB serial number is `serial` (any case), if it
    /// offers one now.
    pub fn find(&self, serial: &str) -> Option<PathBuf> {
        if serial.is_empty() {
            return None;
        }
        match self {
            Ports::Sysfs { sys, dev } => sysfs_port(sys, dev, serial),
            Ports::Sim { dirs, table } => dirs.iter().find_map(|d| {
                let sim = crate::sim::SimDevice::open(d, table).ok()?;
                if !sim.identity.serial.eq_ignore_ascii_case(serial) {
                    return None;
                }
                crate::sim::bus::port_of(d)
            }),
        }
    }
}

fn read_trimmed(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

/// The tty of the lowest-numbered interface of the USB device with `serial` that has one.
fn sysfs_port(sys: &Path, dev: &Path, serial: &str) -> Option<PathBuf> {
    let devices = sys.join("bus/usb/devices");
    let mut entries: Vec<_> = std::fs::read_dir(&devices).ok()?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in &entries {
        let name = e.file_name().to_string_lossy().into_owned();
        // Interfaces are "1-3.2:1.0"; devices have no colon (root hubs are "usb1").
        if name.contains(':') {
            continue;
        }
        if !read_trimmed(&e.path().join("serial")).is_some_and(|s| s.eq_ignore_ascii_case(serial)) {
            continue;
        }
        let prefix = format!("{name}:");
        let mut interfaces: Vec<(u32, PathBuf)> = entries
            .iter()
            .filter_map(|i| {
                let n = i.file_name().to_string_lossy().into_owned();
                let rest = n.strip_prefix(&prefix)?;
                let number = rest.split_once('.')?.1.parse().ok()?;
                Some((number, i.path()))
            })
            .collect();
        interfaces.sort();
        for (_, path) in interfaces {
            let Ok(ttys) = std::fs::read_dir(path.join("tty")) else {
                continue;
            };
            let mut names: Vec<String> = ttys
                .flatten()
                .map(|t| t.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            if let Some(tty) = names.first() {
                return Some(dev.join(tty));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sysfs tree as Linux lays it out for a Photon in normal mode on port 1-3.2 (CDC on
    /// interfaces 0 and 1, vendor interface 2) next to another USB serial adapter.
    fn fake_sysfs(root: &Path) {
        let d = root.join("sys/bus/usb/devices");
        let mk = |p: &str| std::fs::create_dir_all(d.join(p)).unwrap();
        mk("usb1");
        mk("1-3.2");
        std::fs::write(d.join("1-3.2/serial"), "3c0021000a47343432313031\n").unwrap();
        mk("1-3.2:1.0/tty/ttyACM3");
        mk("1-3.2:1.1");
        mk("1-3.2:1.2");
        mk("1-4");
        std::fs::write(d.join("1-4/serial"), "FTDI1234\n").unwrap();
        mk("1-4:1.0/tty/ttyUSB0");
    }

    #[test]
    fn sysfs_names_the_cdc_port_of_the_device_with_that_serial() {
        let tmp = tempfile::tempdir().unwrap();
        fake_sysfs(tmp.path());
        let ports = Ports::Sysfs {
            sys: tmp.path().join("sys"),
            dev: PathBuf::from("/dev"),
        };
        assert_eq!(
            ports.find("3C0021000A47343432313031"),
            Some(PathBuf::from("/dev/ttyACM3"))
        );
        assert_eq!(ports.find("ftdi1234"), Some(PathBuf::from("/dev/ttyUSB0")));
        assert_eq!(ports.find("aaaaaaaaaaaaaaaaaaaaaaaa"), None);
        assert_eq!(ports.find(""), None, "an unread serial matches nothing");
    }

    #[test]
    fn a_device_without_a_tty_interface_has_no_port() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("sys/bus/usb/devices");
        std::fs::create_dir_all(d.join("2-1:1.0")).unwrap();
        std::fs::create_dir_all(d.join("2-1")).unwrap();
        std::fs::write(d.join("2-1/serial"), "abc\n").unwrap();
        let ports = Ports::Sysfs {
            sys: tmp.path().join("sys"),
            dev: PathBuf::from("/dev"),
        };
        assert_eq!(ports.find("abc"), None);
    }
}
