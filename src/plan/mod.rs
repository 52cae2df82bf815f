//! The plan: every step of a target, imported once from the tree's makefiles and cached per fingerprint.
//!
//! A plan holds steps in the order a serial make would run them, with each output already mapped into
//! pbuild's own build directory. App sources are not frozen into it: the app's compiles are kept as
//! templates, so a plan serves any set of files in the app directory (see `app`).

pub mod expand;
pub mod import;
pub mod shell;
pub mod store;
pub mod template;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Bumped whenever the plan format or the import logic changes, so old cached plans are re-imported.
pub const PLAN_VERSION: u32 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepKind {
    Compile,
    Archive,
    Link,
    /// ELF → module `.bin` (+ `.dfu`, + a copy of the ELF), done natively.
    Image,
    /// `.ino` → `.cpp` (the wiring preprocessor, `ino`), done natively.
    Sketch,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PlanStep {
    pub kind: StepKind,
    pub cwd: PathBuf,
    /// The command; for `Image`, empty.
    pub argv: Vec<String>,
    /// Files read, known before the step runs (more come from the depfile).
    pub inputs: Vec<PathBuf>,
    /// Files written; the first is the one the step is named after.
    pub outputs: Vec<PathBuf>,
    pub depfile: Option<PathBuf>,
    pub label: String,
    /// True when `argv` holds the `{app_objs}` placeholder: the app's objects go there, in app order.
    #[serde(default)]
    pub takes_app_objects: bool,
    #[serde(default)]
    pub image: Option<ImageSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ImageSpec {
    /// `system-part1`, `user-part`, … (the module's directory name in the tree).
    pub module: String,
    pub elf: PathBuf,
    pub bin: PathBuf,
    pub dfu: PathBuf,
    pub elf_copy: PathBuf,
    pub vid: u16,
    pub pid: u16,
}

/// How the app's sources enter the plan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum AppMode {
    /// No app involved (or the makefiles chose one pbuild does not manage).
    None,
    /// Compiles are templates per extension; any set of app sources can be instantiated.
    Templated(template::AppTemplate),
    /// The app's steps could not be turned into templates; the plan is valid only for exactly these sources.
    Fixed { sources: Vec<PathBuf> },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub version: u32,
    pub fingerprint: String,
    pub steps: Vec<PlanStep>,
    /// Where the app's compiles go in `steps` (templated mode).
    pub app_compiles_at: Option<usize>,
    pub app: AppMode,
    /// Commands from the dry run that pbuild does not run (echo, mkdir, the shell `.bin` recipe, …).
    pub ignored: Vec<String>,
    /// Compile commands make listed in the dry run vs distinct ones kept.
    pub compiles_listed: usize,
}

impl PlanStep {
    /// The step as the engine sees it; what only this plan knows (the kind, an image's
    /// description) goes into the salt, so a change of it reruns the step.
    pub fn spec(&self) -> crate::work::StepSpec {
        crate::work::StepSpec {
            label: self.label.clone(),
            cwd: self.cwd.clone(),
            argv: self.argv.clone(),
            inputs: self.inputs.clone(),
            outputs: self.outputs.clone(),
            depfile: self.depfile.clone(),
            salt: match &self.image {
                Some(img) => format!("{:?} {img:?}", self.kind),
                None => format!("{:?}", self.kind),
            },
        }
    }

    /// A step that runs a command (compile, archive, link); images are built with their `ImageSpec`.
    pub fn command(
        kind: StepKind,
        cwd: PathBuf,
        argv: Vec<String>,
        inputs: Vec<PathBuf>,
        outputs: Vec<PathBuf>,
        depfile: Option<PathBuf>,
        label: String,
    ) -> PlanStep {
        PlanStep {
            kind,
            cwd,
            argv,
            inputs,
            outputs,
            depfile,
            label,
            takes_app_objects: false,
            image: None,
        }
    }
}
