//! Running a dfu-util executable: the one OS effect of flashing, behind [`DfuTool`] so the flash
//! logic can be driven by a fake in tests.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use super::FlashError;

#[derive(Debug, Clone, Default)]
pub struct ToolRun {
    /// Exit status; `None` when killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

pub trait DfuTool {
    fn run(&self, args: &[String]) -> Result<ToolRun, FlashError>;
    /// The executable, for messages.
    fn exe(&self) -> PathBuf {
        PathBuf::from("dfu-util")
    }
}

/// A real dfu-util executable, with extra environment.
#[derive(Debug, Clone)]
pub struct Process {
    pub exe: PathBuf,
    pub envs: Vec<(String, OsString)>,
}

impl Process {
    /// `--dfu-util PATH`, else `PBUILD_DFU_UTIL`, else `dfu-util` on PATH.
    pub fn choose(explicit: Option<PathBuf>) -> Process {
        let exe = explicit
            .or_else(|| {
                std::env::var_os("PBUILD_DFU_UTIL")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(|| PathBuf::from("dfu-util"));
        Process {
            exe,
            envs: Vec::new(),
        }
    }
}

impl DfuTool for Process {
    fn exe(&self) -> PathBuf {
        self.exe.clone()
    }

    fn run(&self, args: &[String]) -> Result<ToolRun, FlashError> {
        let mut cmd = Command::new(&self.exe);
        cmd.args(args).envs(self.envs.iter().map(|(k, v)| (k, v)));
        // Its own process group: a Ctrl-C in the terminal reaches pbuild, which lets the image
        // being written finish, instead of killing dfu-util in the middle of it.
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let output = cmd.output().map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => FlashError::DfuUtilMissing {
                exe: self.exe.clone(),
            },
            _ => FlashError::Spawn {
                exe: self.exe.clone(),
                source,
            },
        })?;
        Ok(ToolRun {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}
