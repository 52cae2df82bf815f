//! What can go wrong with a simulated device: typed data for the front end to explain.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum SimError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a simulated device: {why}", dir.display())]
    NotADevice { dir: PathBuf, why: String },
    #[error("{} already exists and is not empty", dir.display())]
    Exists { dir: PathBuf },
    #[error("{place}: `{word}` is not a fault (known: {})", known.join(", "))]
    UnknownFault {
        place: String,
        word: String,
        known: Vec<&'static str>,
    },
    #[error(
        "no bootloader version is recorded for system version {version} (before Device OS 0.6.4)"
    )]
    NoBootloaderFor { version: u16 },
    #[error("the simulated USB library was not found (looked at {})", looked.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    NoUsbLibrary { looked: Vec<PathBuf> },
    #[error("{} is not on the simulated bus this command runs on ({})", dir.display(), on_bus.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    NotOnBus { dir: PathBuf, on_bus: Vec<PathBuf> },
    #[error("invalid serial `{serial}`: a Particle device ID is 24 hex digits")]
    BadSerial { serial: String },
}
