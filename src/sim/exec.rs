//! The simulated bus for a command (`pbuild sim exec`): a directory whose `libusb-1.0.so.0` is
//! the `usbsim` crate's library, put first on the command's `LD_LIBRARY_PATH`, the device
//! directories in `PBUILD_SIM_DEVICES`, and the serial side ([`super::bus`]) running beside it.
//! The command (the real dfu-util, pbuild, a script running both) links libusb as usual and
//! finds the simulated devices there; nothing about its command line changes.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::SimDevice;
use super::bus::Bus;
use super::error::SimError;
use super::usb::DEVICES_ENV;
use crate::config::Table;

/// Names the simulated libusb when it is not next to the pbuild executable.
pub const USBSIM_ENV: &str = "PBUILD_USBSIM";
const LIBRARY: &str = "libusbsim.so";

/// The bus, up while this value lives.
pub struct OnBus {
    shim: PathBuf,
    _bus: Bus,
    /// The environment the command needs.
    pub env: Vec<(OsString, OsString)>,
}

/// Where the simulated libusb is: `PBUILD_USBSIM`, else `libusbsim.so` next to pbuild (where
/// `cargo build` puts both), else one directory up (pbuild run as a test from `deps/`).
pub fn library() -> Result<PathBuf, SimError> {
    if let Some(p) = std::env::var_os(USBSIM_ENV).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return match p.is_file() {
            true => Ok(p),
            false => Err(SimError::NoUsbLibrary { looked: vec![p] }),
        };
    }
    let exe = std::env::current_exe().map_err(|source| SimError::Io {
        path: PathBuf::from("pbuild executable"),
        source,
    })?;
    let dir = exe.parent().unwrap_or(Path::new("."));
    let looked = vec![dir.join(LIBRARY), dir.join("..").join(LIBRARY)];
    looked
        .iter()
        .find(|p| p.is_file())
        .map(|p| crate::paths::absolute(p))
        .ok_or(SimError::NoUsbLibrary { looked })
}

/// What a command on the bus needs: the library directory (kept until [`remove_shim`]) and
/// its environment.
pub struct Prepared {
    pub dirs: Vec<PathBuf>,
    pub shim: PathBuf,
    pub env: Vec<(OsString, OsString)>,
}

/// Checks every directory is a simulated device and makes the library directory.
pub fn prepare(dirs: &[PathBuf], table: &Table) -> Result<Prepared, SimError> {
    let dirs: Vec<PathBuf> = dirs.iter().map(|d| crate::paths::absolute(d)).collect();
    for d in &dirs {
        let dev = SimDevice::open(d, table)?;
        if let Some((place, word)) = dev.unknown_faults().into_iter().next() {
            return Err(SimError::UnknownFault {
                place,
                word,
                known: super::Fault::ALL.iter().map(|f| f.name()).collect(),
            });
        }
    }
    let lib = library()?;
    let shim = tempfile::Builder::new()
        .prefix("pbuild-usbsim-")
        .tempdir()
        .map_err(|source| SimError::Io {
            path: std::env::temp_dir(),
            source,
        })?
        .keep();
    let link = shim.join("libusb-1.0.so.0");
    if let Err(source) = std::os::unix::fs::symlink(&lib, &link) {
        remove_shim(&shim);
        return Err(SimError::Io { path: link, source });
    }
    let mut path = vec![shim.clone()];
    if let Some(old) = std::env::var_os("LD_LIBRARY_PATH") {
        path.extend(std::env::split_paths(&old));
    }
    let join = |paths: &[PathBuf]| {
        std::env::join_paths(paths).map_err(|_| SimError::Io {
            path: paths.iter().collect(),
            source: std::io::Error::other("a directory name contains ':'"),
        })
    };
    let env = match (join(&path), join(&dirs)) {
        (Ok(lib_path), Ok(devices)) => vec![
            (OsString::from("LD_LIBRARY_PATH"), lib_path),
            (OsString::from(DEVICES_ENV), devices),
        ],
        (Err(e), _) | (_, Err(e)) => {
            remove_shim(&shim);
            return Err(e);
        }
    };
    Ok(Prepared { dirs, shim, env })
}

/// Removes a library directory [`prepare`] made (only the link and the directory).
pub fn remove_shim(shim: &Path) {
    let _ = std::fs::remove_file(shim.join("libusb-1.0.so.0"));
    let _ = std::fs::remove_dir(shim);
}

impl OnBus {
    /// The bus in this process, for as long as the value lives (a test driving dfu-util).
    pub fn start(dirs: &[PathBuf], table: &Table) -> Result<OnBus, SimError> {
        let p = prepare(dirs, table)?;
        Ok(OnBus {
            _bus: Bus::start(p.dirs, table.clone()),
            shim: p.shim,
            env: p.env,
        })
    }
}

impl Drop for OnBus {
    fn drop(&mut self) {
        remove_shim(&self.shim);
    }
}
