//! The build graph for one run: files and steps with dense ids, and which step produces which
//! file. Knows nothing of plans, apps or make: steps come in as [`StepSpec`]s, in the order they
//! should run when nothing else decides.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StepId(pub u32);

/// A step as its producer describes it: a command (or, with an empty `argv`, work done by this
/// process) that reads `inputs` and writes `outputs`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepSpec {
    /// How the step is shown: `CC src/app.cpp`.
    pub label: String,
    pub cwd: PathBuf,
    /// The command; empty for a step this process does itself.
    pub argv: Vec<String>,
    /// Files read, known before the step runs (more come from the depfile).
    pub inputs: Vec<PathBuf>,
    /// Files written; the first is the one the step is remembered by.
    pub outputs: Vec<PathBuf>,
    /// The make-syntax dependency file the command writes (`gcc -MD -MF`).
    pub depfile: Option<PathBuf>,
    /// Whatever else decides what the step does (for a step without a command, its whole
    /// description): part of the command hash, so a change reruns it.
    pub salt: String,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub label: String,
    pub cwd: PathBuf,
    pub argv: Vec<String>,
    pub depfile: Option<PathBuf>,
    pub salt: String,
    pub inputs: Vec<FileId>,
    pub outputs: Vec<FileId>,
    /// Steps that produce one of `inputs`.
    pub deps: Vec<StepId>,
}

#[derive(Debug, Default)]
pub struct Graph {
    pub files: Vec<PathBuf>,
    index: HashMap<PathBuf, FileId>,
    pub steps: Vec<Step>,
    pub producer: Vec<Option<StepId>>,
}

impl Graph {
    /// The graph of `specs`, in their order. A step may depend only on steps before it.
    pub fn new(specs: impl IntoIterator<Item = StepSpec>) -> Result<Graph> {
        let mut g = Graph::default();
        for s in specs {
            g.add(s)?;
        }
        Ok(g)
    }

    pub fn file(&mut self, path: &Path) -> FileId {
        if let Some(&id) = self.index.get(path) {
            return id;
        }
        let id = FileId(self.files.len() as u32);
        self.files.push(path.to_path_buf());
        self.index.insert(path.to_path_buf(), id);
        self.producer.push(None);
        id
    }

    pub fn path(&self, id: FileId) -> &Path {
        &self.files[id.0 as usize]
    }

    pub fn step(&self, id: StepId) -> &Step {
        &self.steps[id.0 as usize]
    }

    /// Add a step after the others; two steps may not write one file.
    pub fn add(&mut self, s: StepSpec) -> Result<StepId> {
        let id = StepId(self.steps.len() as u32);
        let inputs: Vec<FileId> = s.inputs.iter().map(|p| self.file(p)).collect();
        let outputs: Vec<FileId> = s.outputs.iter().map(|p| self.file(p)).collect();
        if outputs.is_empty() {
            return Err(Error::Other(format!("step `{}` writes no file", s.label)));
        }
        for &o in &outputs {
            if let Some(other) = self.producer[o.0 as usize] {
                return Err(Error::Other(format!(
                    "two steps write {}: `{}` and `{}`",
                    self.path(o).display(),
                    self.step(other).label,
                    s.label
                )));
            }
        }
        for &o in &outputs {
            self.producer[o.0 as usize] = Some(id);
        }
        let mut deps: Vec<StepId> = inputs
            .iter()
            .filter_map(|i| self.producer[i.0 as usize])
            .collect();
        deps.sort();
        deps.dedup();
        self.steps.push(Step {
            label: s.label,
            cwd: s.cwd,
            argv: s.argv,
            depfile: s.depfile,
            salt: s.salt,
            inputs,
            outputs,
            deps,
        });
        Ok(id)
    }

    /// The file a step is remembered by: its first output.
    pub fn key_of(&self, step: &Step) -> &Path {
        self.path(step.outputs[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(label: &str, inputs: &[&str], outputs: &[&str]) -> StepSpec {
        StepSpec {
            label: label.into(),
            inputs: inputs.iter().map(PathBuf::from).collect(),
            outputs: outputs.iter().map(PathBuf::from).collect(),
            ..StepSpec::default()
        }
    }

    #[test]
    fn dependencies_follow_producers_and_files_get_one_id() {
        let g = Graph::new([
            spec("CC a", &["a.c", "h.h"], &["a.o", "a.d"]),
            spec("CC b", &["b.c", "h.h"], &["b.o"]),
            spec("AR", &["a.o", "b.o"], &["lib.a"]),
            spec("LD", &["lib.a", "a.o"], &["app.elf"]),
        ])
        .unwrap();
        assert_eq!(g.steps[2].deps, [StepId(0), StepId(1)]);
        assert_eq!(g.steps[3].deps, [StepId(0), StepId(2)]);
        assert!(g.steps[0].deps.is_empty());
        assert_eq!(g.files.iter().filter(|f| f.ends_with("h.h")).count(), 1);
        assert_eq!(g.key_of(&g.steps[0]), Path::new("a.o"));
        assert_eq!(g.producer[g.steps[0].inputs[0].0 as usize], None);
    }

    #[test]
    fn two_writers_of_one_file_are_an_error_naming_both() {
        let e = Graph::new([spec("CC a", &[], &["x.o"]), spec("CC b", &[], &["x.o"])])
            .unwrap_err()
            .to_string();
        assert!(e.contains("two steps write x.o: `CC a` and `CC b`"), "{e}");
        assert!(Graph::new([spec("nothing", &["a"], &[])]).is_err());
    }
}
