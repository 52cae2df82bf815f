//! The concrete build graph for one run: files and steps with dense ids, instantiated from a plan
//! and the app's current sources.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::plan::app::APP_OBJECTS;
use crate::plan::{AppMode, Plan, PlanStep};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StepId(pub u32);

#[derive(Debug, Clone)]
pub struct Step {
    pub plan: PlanStep,
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

    /// Build the graph of `plan` with the app sources `sources` (already in make's order);
    /// with `pch`, app sources that start by including Particle.h / application.h use a
    /// precompiled header of it.
    pub fn from_plan(plan: &Plan, sources: &[PathBuf], pch: bool) -> Result<Graph> {
        let mut steps: Vec<PlanStep> = Vec::with_capacity(plan.steps.len() + sources.len());
        let mut app_objects: Vec<String> = Vec::new();
        for (i, s) in plan.steps.iter().enumerate() {
            if plan.app_compiles_at == Some(i) {
                add_app_compiles(plan, sources, pch, &mut steps, &mut app_objects)?;
            }
            let mut s = s.clone();
            if s.takes_app_objects {
                expand_app_objects(&mut s, &app_objects);
            }
            steps.push(s);
        }
        if plan.app_compiles_at == Some(plan.steps.len()) {
            add_app_compiles(plan, sources, pch, &mut steps, &mut app_objects)?;
        }
        let mut g = Graph::default();
        for s in steps {
            let id = StepId(g.steps.len() as u32);
            let inputs: Vec<FileId> = s.inputs.iter().map(|p| g.file(p)).collect();
            let outputs: Vec<FileId> = s.outputs.iter().map(|p| g.file(p)).collect();
            for &o in &outputs {
                if let Some(other) = g.producer[o.0 as usize] {
                    return Err(Error::Other(format!(
                        "two steps write {}: `{}` and `{}`",
                        g.path(o).display(),
                        g.step(other).plan.label,
                        s.label
                    )));
                }
                g.producer[o.0 as usize] = Some(id);
            }
            let mut deps: Vec<StepId> = inputs
                .iter()
                .filter_map(|i| g.producer[i.0 as usize])
                .collect();
            deps.sort();
            deps.dedup();
            g.steps.push(Step {
                plan: s,
                inputs,
                outputs,
                deps,
            });
        }
        Ok(g)
    }
}

fn add_app_compiles(
    plan: &Plan,
    sources: &[PathBuf],
    pch: bool,
    steps: &mut Vec<PlanStep>,
    objects: &mut Vec<String>,
) -> Result<()> {
    let AppMode::Templated(t) = &plan.app else {
        return Ok(());
    };
    for src in sources {
        let ext = src
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(template) = t.template_for(src) else {
            return Err(Error::Other(format!(
                "no compile rule for .{ext} files imported from the makefiles ({}); this is a pbuild bug",
                src.display()
            )));
        };
        let mut compile = if crate::plan::app::is_sketch(src) {
            let [preprocess, compile] = template.instantiate_sketch(src);
            steps.push(preprocess);
            compile
        } else {
            template.instantiate(src)
        };
        let header = pch
            .then(|| crate::plan::app::pch_header(src))
            .flatten()
            .filter(|_| template.ext == "cpp");
        if let Some(p) = header.and_then(|h| template.pch_step(h)) {
            crate::plan::app::use_pch(&mut compile, &p.outputs[0]);
            if !steps.iter().any(|s| s.outputs[0] == p.outputs[0]) {
                steps.push(p);
            }
        }
        objects.push(compile.outputs[0].display().to_string());
        steps.push(compile);
    }
    Ok(())
}

fn expand_app_objects(step: &mut PlanStep, objects: &[String]) {
    if let Some(i) = step.argv.iter().position(|w| w == APP_OBJECTS) {
        step.argv.splice(i..i + 1, objects.iter().cloned());
    }
    step.inputs.extend(objects.iter().map(PathBuf::from));
    step.takes_app_objects = false;
}
