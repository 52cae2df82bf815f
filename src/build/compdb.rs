//! `compile_commands.json` (the JSON compilation database clangd and VS Code read) for a build.
//!
//! One file per project root: the directory of `project.toml` / `project.properties` when the app is
//! below it, else the app's directory, where clangd finds it by walking up from a source. It lists the app's compiles (its
//! libraries' too) and, for `--target modules`, every compile of the tree: the exact command pbuild
//! runs for each, `{directory, arguments, file, output}`. It is rewritten (atomically) only when its
//! content changes, so an editor does not re-index after a no-op build.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::plan::{PlanStep, StepKind};

pub const FILE_NAME: &str = "compile_commands.json";

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Entry {
    pub directory: PathBuf,
    pub arguments: Vec<String>,
    pub file: PathBuf,
    pub output: PathBuf,
}

/// The compile steps among `steps`, those of the app only (sources below `app_dir`) unless `all`.
pub fn entries(steps: &[PlanStep], app_dir: Option<&Path>, all: bool) -> Vec<Entry> {
    steps
        .iter()
        .filter(|p| p.kind == StepKind::Compile && !p.inputs.is_empty() && !p.outputs.is_empty())
        .filter(|p| all || app_dir.is_some_and(|d| p.inputs[0].starts_with(d)))
        .map(|p| Entry {
            directory: p.cwd.clone(),
            arguments: p.argv.clone(),
            file: p.inputs[0].clone(),
            output: p.outputs[0].clone(),
        })
        .collect()
}

/// Write `entries` to `<dir>/compile_commands.json` unless it already says exactly that.
/// Returns whether the file was written.
pub fn write(dir: &Path, entries: &[Entry]) -> Result<bool> {
    let path = dir.join(FILE_NAME);
    let mut bytes = serde_json::to_vec_pretty(entries)
        .map_err(|e| Error::Other(format!("serialising {FILE_NAME}: {e}")))?;
    bytes.push(b'\n');
    if std::fs::read(&path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    crate::fsutil::write_atomic(&path, &bytes).map_err(|e| Error::io(&path, e))?;
    Ok(true)
}
