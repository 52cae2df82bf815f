//! The error type of the library: what went wrong and where, as typed data. What to do about it
//! (the `hint:` lines) and the exit code are the front end's (`cli::diagnostics`); a variant may
//! carry a suggestion that only the code which found the problem can make (a nearest name, the
//! valid values).

use std::path::PathBuf;

/// A program pbuild needs, for saying how to get it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolKind {
    /// The GNU Arm compiler (`arm-none-eabi-gcc`).
    Compiler,
    /// GNU make, which pbuild reads the build description from.
    Make,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A config file value or syntax problem, already formatted as `file:line:col: message`.
    #[error("{location}: {message}")]
    Config {
        location: String,
        message: String,
        /// What would be valid (the known keys, an example value).
        suggestion: Option<String>,
    },
    #[error("unknown platform `{name}`")]
    UnknownPlatform {
        name: String,
        origin: String,
        suggestion: Option<String>,
        known: Vec<String>,
        /// The generation of a platform the table knows but pbuild does not build for.
        other: Option<u8>,
    },
    /// The tree's makefiles do not know the platform (Device OS 4.0+ builds Gen 3/4 only).
    #[error("Device OS {version} at {} does not build for {platform}", tree.display())]
    TreeLacksPlatform {
        tree: PathBuf,
        version: String,
        platform: String,
    },
    #[error("no platform given")]
    NoPlatform {
        /// The project has a project.properties (which has no platform) but no project.toml.
        properties_only: bool,
    },
    #[error("no Device OS tree found{}", searched.iter().map(|p| format!("\n  looked in {}", p.display())).collect::<String>())]
    NoTree { searched: Vec<PathBuf> },
    #[error("{path} is not a Device OS tree: {why}")]
    NotATree { path: PathBuf, why: String },
    #[error("app `{name}` not found: {} does not exist", looked.display())]
    NoApp { name: String, looked: PathBuf },
    #[error("no app given for the `{target}` target")]
    NoAppGiven { target: String },
    #[error("no sources (*.cpp, *.c, *.ino) found in {}", dir.display())]
    NoSources { dir: PathBuf },
    /// A symbolic link below the app leads back to a directory that holds it.
    #[error("{} is a symbolic link back to {}: a loop", link.display(), target.display())]
    LinkLoop { link: PathBuf, target: PathBuf },
    /// A symbolic link below the app points at nothing.
    #[error("{} is a symbolic link to nothing ({})", link.display(), target.display())]
    DanglingLink { link: PathBuf, target: PathBuf },
    #[error("`{tool}` not found on PATH")]
    ToolMissing { tool: String, kind: ToolKind },
    #[error("{tool} {found} is too old: Device OS {device_os} needs {needed} or newer")]
    ToolTooOld {
        tool: String,
        found: String,
        needed: String,
        device_os: String,
    },
    /// The tree's own compiler check compares versions as text and would stop make.
    #[error(
        "Device OS {device_os}'s {} compares gcc versions as text, so it takes gcc {found} for older than {expected} and stops the build",
        file.display()
    )]
    TreeGccCheck {
        file: PathBuf,
        device_os: String,
        found: String,
        expected: String,
        /// The version Particle builds this Device OS with.
        particle: Option<String>,
    },
    #[error("importing the build steps from the makefiles failed: {message}")]
    Import { message: String, output: String },
    #[error("build failed: {failed} step(s) failed")]
    BuildFailed { failed: usize },
    /// Device OS's makefiles resolve their own directory, so a space in it breaks them.
    #[error("the Device OS tree {} has a space (or another character such as #, :, $, ;, a quote) in its path, which its makefiles cannot handle", path.display())]
    UnsafeTreePath { path: PathBuf },
    /// Ctrl-C during `pbuild flash`: what was written, and where the device stands.
    #[error(
        "flashing stopped by Ctrl-C after {done} of {total} images (written: {written}; not written: {not_written})"
    )]
    FlashStopped {
        done: usize,
        total: usize,
        written: String,
        not_written: String,
        if_reset: String,
    },
    /// `pbuild inspect` found files that are cut short, corrupt or meant for another address.
    #[error("{}", problems.join("\n"))]
    Damaged { problems: Vec<String> },
    /// Another pbuild holds the build directory and `--no-wait` was given.
    #[error("another pbuild{holder} is using {}", dir.display())]
    Busy { dir: PathBuf, holder: String },
    #[error("build state {}: {message}", path.display())]
    State { path: PathBuf, message: String },
    /// A settings file (project.toml, project.properties, toolchains.toml) that cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Image(#[from] crate::image::ImageError),
    #[error(transparent)]
    Flash(#[from] crate::flash::error::FlashError),
    #[error(transparent)]
    Sim(#[from] crate::sim::error::SimError),
    /// Preflight found images the device would reject, or that would stop it running the app.
    #[error("flash refused, nothing was written:{}", problems.iter().map(|p| format!("\n  - {p}")).collect::<String>())]
    FlashRefused {
        problems: Vec<String>,
        remedies: Vec<crate::flash::error::Remedy>,
    },
    /// The file watcher (`pbuild watch`) could not start or keep watching.
    #[error("watching {}: {message}", path.display())]
    Watch {
        path: PathBuf,
        message: String,
        /// The system's limit on inotify watches was reached.
        limit_reached: bool,
    },
    /// `pbuild doctor` found something `build` or `flash` needs missing (the checks say what).
    #[error("{} cannot work until the ✗ lines above are fixed", blocked.iter().map(|b| format!("`pbuild {b}`")).collect::<Vec<_>>().join(" and "))]
    DoctorFailed { blocked: Vec<String> },
    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A settings file that could not be read (not written: the hint differs).
    pub fn unreadable(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Unreadable {
            path: path.into(),
            source,
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
