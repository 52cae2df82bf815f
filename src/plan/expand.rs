//! A plan made concrete for one run: the app's compile templates instantiated for the sources
//! found now (with sketches preprocessed and precompiled headers where they apply), and the
//! app's objects put into the steps that take them. The result is the list of steps the engine
//! gets, in a serial make's order.

use std::path::PathBuf;

use super::template::{APP_OBJECTS, pch_header, use_pch};
use super::{AppMode, Plan, PlanStep};
use crate::error::{Error, Result};
use crate::sources::is_sketch;

impl Plan {
    /// The steps of this plan with the app sources `sources` (already in make's order); with
    /// `pch`, app sources that start by including Particle.h / application.h use a precompiled
    /// header of it.
    pub fn expand(&self, sources: &[PathBuf], pch: bool) -> Result<Vec<PlanStep>> {
        let mut steps: Vec<PlanStep> = Vec::with_capacity(self.steps.len() + sources.len());
        let mut app_objects: Vec<String> = Vec::new();
        for (i, s) in self.steps.iter().enumerate() {
            if self.app_compiles_at == Some(i) {
                add_app_compiles(self, sources, pch, &mut steps, &mut app_objects)?;
            }
            let mut s = s.clone();
            if s.takes_app_objects {
                expand_app_objects(&mut s, &app_objects);
            }
            steps.push(s);
        }
        if self.app_compiles_at == Some(self.steps.len()) {
            add_app_compiles(self, sources, pch, &mut steps, &mut app_objects)?;
        }
        Ok(steps)
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
        let mut compile = if is_sketch(src) {
            let [preprocess, compile] = template.instantiate_sketch(src);
            steps.push(preprocess);
            compile
        } else {
            template.instantiate(src)
        };
        let header = pch
            .then(|| pch_header(src))
            .flatten()
            .filter(|_| template.ext == "cpp");
        if let Some(p) = header.and_then(|h| template.pch_step(h)) {
            use_pch(&mut compile, &p.outputs[0]);
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
