//! Which dfu-util to run and which device to ask for: a serial, or `sim:DIR` for a simulated
//! device (with the dfu-util stand-in installed next to pbuild).

use std::path::{Path, PathBuf};

use super::tool::Process;
use crate::config::Table;
use crate::error::{Error, Result};
use crate::sim::SimDevice;

/// The dfu-util to run and the device asked for.
pub struct Connection {
    pub tool: Process,
    pub serial: Option<String>,
}

impl Connection {
    /// `device`: a serial, `sim:DIR`, or none (the only device attached); `dfu_util`: the
    /// executable named by the user, if any; `table` to check a simulated device's platform.
    pub fn open(
        device: Option<&str>,
        dfu_util: Option<PathBuf>,
        table: &Table,
    ) -> Result<Connection> {
        match device.and_then(|d| d.strip_prefix("sim:")) {
            Some(dir) => {
                let exe = match dfu_util {
                    Some(p) => p,
                    None => std::env::current_exe()
                        .map_err(|e| Error::io("pbuild executable", e))?
                        .with_file_name(format!("dfu-util-sim{}", std::env::consts::EXE_SUFFIX)),
                };
                let dir = crate::paths::absolute(Path::new(dir));
                SimDevice::open(&dir, table)?;
                let mut tool = Process {
                    exe,
                    envs: Vec::new(),
                };
                tool.envs
                    .push(("PBUILD_SIM_DEVICES".into(), dir.into_os_string()));
                Ok(Connection { tool, serial: None })
            }
            None => Ok(Connection {
                tool: Process::choose(dfu_util),
                serial: device.map(str::to_string),
            }),
        }
    }
}
