//! The error type of the library: what went wrong, where, and (via `hint`) what to do next.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A config file value or syntax problem, already formatted as `file:line:col: message`.
    #[error("{location}: {message}")]
    Config {
        location: String,
        message: String,
        hint: Option<String>,
    },
    #[error("unknown platform `{name}`")]
    UnknownPlatform {
        name: String,
        origin: String,
        suggestion: Option<String>,
        known: Vec<String>,
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
    /// `x.ino` and `x.cpp` side by side would both compile to `x.o`.
    #[error("{} and {} would both compile to the same object", sketch.display(), cpp.display())]
    SketchClash { sketch: PathBuf, cpp: PathBuf },
    #[error("`{tool}` not found on PATH")]
    ToolMissing { tool: String, hint: String },
    #[error("{tool} {found} is too old: Device OS {device_os} needs {needed} or newer")]
    ToolTooOld {
        tool: String,
        found: String,
        needed: String,
        device_os: String,
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
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Image(#[from] crate::image::ImageError),
    #[error(transparent)]
    Flash(#[from] crate::flash::FlashError),
    #[error(transparent)]
    Sim(#[from] crate::sim::SimError),
    /// Preflight found images the device would reject, or that would stop it running the app.
    #[error("flash refused, nothing was written:{}", problems.iter().map(|p| format!("\n  - {p}")).collect::<String>())]
    FlashRefused { problems: Vec<String>, hint: String },
    /// The file watcher (`pbuild watch`) could not start or keep watching.
    #[error("watching {}: {message}", path.display())]
    Watch {
        path: PathBuf,
        message: String,
        hint: Option<String>,
    },
    /// `pbuild doctor` found something `build` or `flash` needs missing (the checks say what).
    #[error("{} cannot work until the ✗ lines above are fixed", blocked.iter().map(|b| format!("`pbuild {b}`")).collect::<Vec<_>>().join(" and "))]
    DoctorFailed { blocked: Vec<String> },
    #[error("{0}")]
    Other(String),
}

/// The last hint line of errors about the machine rather than the input.
const DOCTOR: &str = "`pbuild doctor` checks everything build and flash need";

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// What the user can do about it, printed by the CLI as `hint:` lines.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Config { hint, .. } => hint.clone(),
            Error::UnknownPlatform {
                suggestion, known, origin, ..
            } => Some(match suggestion {
                Some(s) => format!("did you mean `{s}`? (from {origin})"),
                None => format!("known platforms: {} (from {origin})", known.join(", ")),
            }),
            Error::NoPlatform { properties_only: true } => Some(
                "project.properties does not name a platform: pass --platform photon|p1|electron, or put `platform = \"photon\"` in a project.toml next to it".into(),
            ),
            Error::NoPlatform { .. } => Some(
                "pass --platform photon|p1|electron, or set `platform = \"p1\"` in project.toml (`pbuild new NAME --platform P` writes one)".into(),
            ),
            Error::NoTree { .. } => Some(
                "pass --tree <path to a Device OS checkout>, set DEVICE_OS_PATH, or set `tree = \"…\"` in project.toml"
                    .into(),
            ),
            Error::NoApp { .. } => Some(
                "apps given with --app live in <tree>/user/applications/<name>; use --appdir <dir> for an app elsewhere"
                    .into(),
            ),
            Error::NoAppGiven { .. } => Some(
                "pass --app <name> or --appdir <dir>, or set `app`/`appdir` in project.toml".into(),
            ),
            Error::NoSources { .. } => Some("add a .cpp file with setup() and loop()".into()),
            Error::SketchClash { cpp, .. } => Some(format!(
                "pbuild preprocesses the sketch itself: remove {} if `particle preprocess` or Workbench made it, else rename one of the two",
                cpp.display()
            )),
            Error::ToolMissing { hint, .. } => Some(format!("{hint}\n{DOCTOR}")),
            Error::ToolTooOld { .. } => Some(format!(
                "install a newer GNU Arm toolchain and put its bin/ first on PATH (Debian: apt-get install gcc-arm-none-eabi)\n{DOCTOR}"
            )),
            Error::Import { output, .. } if !output.is_empty() => {
                Some(format!("make said:\n{}", tail_lines(output, 15)))
            }
            Error::BuildFailed { .. } => Some(
                "the previous good artifacts are untouched; fix the error above and run the build again".into(),
            ),
            Error::UnsafeTreePath { .. } => Some(
                "move or clone the tree to a path without one (e.g. ~/device-os); a symbolic link does not help, make resolves it. Apps and projects may have spaces in their paths".into(),
            ),
            Error::Io { path, source } => match source.kind() {
                std::io::ErrorKind::StorageFull => Some(format!(
                    "the disk holding {} is full: free some space (`df -h`), or put the build elsewhere with --target-dir / PBUILD_TARGET_DIR; nothing already built was lost",
                    path.display()
                )),
                std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => {
                    Some(format!(
                        "pbuild cannot write {}: build with --target-dir / PBUILD_TARGET_DIR on a writable disk",
                        path.display()
                    ))
                }
                _ => None,
            },
            Error::FlashStopped { if_reset, .. } => Some(format!(
                "no leave request was sent: the device is still in DFU mode (blinking yellow); reset now, it would be {if_reset}\nrun `pbuild flash` again to finish: it writes only what is still missing"
            )),
            Error::Damaged { .. } => Some(
                "do not flash it: rebuild it (`pbuild build`), or download it again if it came from elsewhere".into(),
            ),
            Error::Busy { .. } => Some(
                "wait for it to finish (run again without --no-wait to wait), or stop it (a `pbuild watch` in another terminal?)".into(),
            ),
            Error::State { .. } => Some("remove the build state with `pbuild clean` if this persists".into()),
            Error::Flash(e) => crate::commands_flash::flash_hint(e),
            Error::FlashRefused { hint, .. } => Some(hint.clone()),
            Error::Sim(e) => crate::commands_flash::sim_hint(e),
            Error::Watch { hint, .. } => hint.clone(),
            _ => None,
        }
    }

    /// Exit code: 1 for a failed build or flash, 2 for bad input or environment, 3 for a flash
    /// refused by preflight.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::BuildFailed { .. } => 1,
            Error::Flash(e) => crate::commands_flash::flash_exit_code(e),
            Error::FlashRefused { .. } => 3,
            Error::FlashStopped { .. } => 130,
            _ => 2,
        }
    }
}

fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    lines[start..]
        .iter()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
