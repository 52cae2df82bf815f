//! The app's part of a plan: compile templates per (source root, extension), made from make's
//! commands, and precompiled headers for them.
//!
//! pbuild discovers the app's sources itself and orders them as make would (`sources`), so a new
//! file in the app needs no re-import: each is compiled by instantiating its template. Where the
//! imported commands do not fit that model, the app is frozen into the plan instead (`AppMode::Fixed`).
//!
//! An app has source roots (`sources`): its own sources, and each vendored library's. make names a
//! source and its object by the root: `<app>//src/a.cpp` → `…/src/a.o`, `<app>/lib/x/src/b.cpp` →
//! `…/x/src/b.o`. So there is one template per (root, extension), holding the literal text make puts
//! before the path below the root, for the source and for the object.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::plan::{AppMode, PlanStep, StepKind};
use crate::sources::{compiled_as, ext_of, is_sketch, order_sources, root_of};

pub const APP_OBJECTS: &str = "{app_objs}";
const SRC: &str = "{src}";
const OBJ: &str = "{obj}";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AppTemplate {
    pub dir: PathBuf,
    /// Source roots in make's order (the app's, then each library's).
    pub roots: Vec<PathBuf>,
    /// Extensions in make's order (`CSRC` before `CPPSRC`).
    pub exts: Vec<String>,
    pub compiles: Vec<CompileTemplate>,
}

impl AppTemplate {
    /// The template that compiles `src`: its root (the deepest that holds it) and its extension.
    pub fn template_for(&self, src: &Path) -> Option<&CompileTemplate> {
        let ext = ext_of(&compiled_as(src));
        self.compiles
            .iter()
            .filter(|c| c.ext == ext && src.starts_with(&c.root))
            .max_by_key(|c| c.root.components().count())
    }

    /// Put `sources` in the order make lists them.
    pub fn order(&self, sources: &mut [PathBuf]) {
        order_sources(&self.roots, sources, &self.exts);
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CompileTemplate {
    pub ext: String,
    /// The source root this template is for; sources are named by their path below it.
    pub root: PathBuf,
    pub cwd: PathBuf,
    pub argv: Vec<String>,
    /// What make writes before the path below `root` to name the source (`/app//src/`, `../app/`).
    pub src_prefix: String,
    pub obj_base: PathBuf,
    /// `a/b.cpp` → `a/b.o` (true) or `a/b.cpp.o` (false).
    pub obj_replaces_ext: bool,
    pub label_base: PathBuf,
}

impl CompileTemplate {
    pub fn instantiate(&self, src: &Path) -> PlanStep {
        self.instantiate_reading(src, None)
    }

    /// The two steps of a `.ino` sketch: the preprocessor writes `<object>.ino.cpp`, and the
    /// compile reads it where make would read the `.cpp` beside the sketch, with the same object.
    /// `-iquote <sketch dir>` keeps `#include "x.h"` finding headers next to the sketch.
    pub fn instantiate_sketch(&self, ino: &Path) -> [PlanStep; 2] {
        let probe = self.instantiate(&compiled_as(ino));
        let generated = probe.outputs[0].with_extension("ino.cpp");
        let shown = crate::paths::shown(ino, &self.label_base);
        let preprocess = PlanStep::command(
            StepKind::Sketch,
            ino.parent().unwrap_or(ino).to_path_buf(),
            Vec::new(),
            vec![ino.to_path_buf()],
            vec![generated.clone()],
            None,
            format!("INO {shown}"),
        );
        let mut compile = self.instantiate_reading(ino, Some(&generated));
        compile.label = format!("CC {shown}");
        [preprocess, compile]
    }

    /// The step that precompiles `header` (looked up on this template's `-I` path) with exactly
    /// this template's flags into `<objects>/.pch/<flags hash>/<header>.gch`. gcc looks for
    /// `<dir>/<header>.gch` in each include directory before `<dir>/<header>`, so a compile with
    /// `-I<that dir>` first uses it, and silently falls back to the header when it cannot.
    pub fn pch_step(&self, header: &str) -> Option<PlanStep> {
        let found = self
            .include_dirs()
            .into_iter()
            .map(|d| d.join(header))
            .find(|p| p.is_file())?;
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for w in &self.argv {
            h.update(w.as_bytes());
            h.update(b"\0");
        }
        h.update(header.as_bytes());
        let gch = self
            .obj_base
            .join(".pch")
            .join(format!("{:016x}", h.digest()))
            .join(format!("{header}.gch"));
        let obj_word = gch.display().to_string();
        let argv: Vec<String> = self
            .argv
            .iter()
            .flat_map(|w| {
                if w == SRC {
                    vec![
                        "-x".to_string(),
                        "c++-header".to_string(),
                        found.display().to_string(),
                    ]
                } else {
                    vec![w.replace(OBJ, &obj_word)]
                }
            })
            .collect();
        Some(self.compile_step(argv, found, gch, format!("PCH {header}")))
    }

    /// A compile step of this template: `argv` writes `primary` from `input`, and the depfile
    /// `-MF` names.
    fn compile_step(
        &self,
        argv: Vec<String>,
        input: PathBuf,
        primary: PathBuf,
        label: String,
    ) -> PlanStep {
        let dep = argv
            .iter()
            .position(|w| w == "-MF")
            .and_then(|i| argv.get(i + 1))
            .map(|d| crate::paths::resolve(&self.cwd, d));
        let mut outputs = vec![primary];
        outputs.extend(dep.clone());
        PlanStep::command(
            StepKind::Compile,
            self.cwd.clone(),
            argv,
            vec![input],
            outputs,
            dep,
            label,
        )
    }

    /// The `-I` directories of the template, resolved against its working directory.
    fn include_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        let mut it = self.argv.iter();
        while let Some(w) = it.next() {
            if w == "-I" {
                dirs.extend(it.next().map(|d| crate::paths::resolve(&self.cwd, d)));
            } else if let Some(d) = w.strip_prefix("-I") {
                dirs.push(crate::paths::resolve(&self.cwd, d));
            }
        }
        dirs
    }

    fn instantiate_reading(&self, src: &Path, generated: Option<&Path>) -> PlanStep {
        let named = compiled_as(src);
        let src = named.as_path();
        let rel = src.strip_prefix(&self.root).unwrap_or(src);
        let obj_rel = if self.obj_replaces_ext {
            rel.with_extension("o")
        } else {
            PathBuf::from(format!("{}.o", rel.display()))
        };
        let obj = self.obj_base.join(obj_rel);
        let src_word = format!("{}{}", self.src_prefix, rel.display());
        let obj_word = obj.display().to_string();
        let argv: Vec<String> = self
            .argv
            .iter()
            .flat_map(|w| match generated {
                Some(g) if w == SRC => {
                    let dir = src.parent().unwrap_or(src).display().to_string();
                    vec!["-iquote".to_string(), dir, g.display().to_string()]
                }
                _ => vec![w.replace(OBJ, &obj_word).replace(SRC, &src_word)],
            })
            .collect();
        self.compile_step(
            argv,
            generated.unwrap_or(src).to_path_buf(),
            obj,
            format!("CC {}", crate::paths::shown(src, &self.label_base)),
        )
    }
}

/// The header a source starts with when it is one a precompiled header can stand for: the first
/// preprocessor line of the file is `#include "Particle.h"` or `<application.h>` (either quoting).
/// A sketch that includes none of Particle.h, application.h, Arduino.h qualifies too: the
/// preprocessor puts `#include "Particle.h"` first.
pub fn pch_header(src: &Path) -> Option<&'static str> {
    let text = std::fs::read_to_string(src).ok()?;
    let first = first_directive(&text);
    let named = |d: &str| {
        ["Particle.h", "application.h"]
            .into_iter()
            .find(|h| d == format!("include \"{h}\"") || d == format!("include <{h}>"))
    };
    match first.as_deref().and_then(named) {
        Some(h) => Some(h),
        None if is_sketch(src)
            && !["Particle.h", "application.h", "Arduino.h"]
                .iter()
                .any(|h| text.contains(h)) =>
        {
            Some("Particle.h")
        }
        None => None,
    }
}

/// The first preprocessor line, `#` and spaces squeezed out (`include "Particle.h"`); None when
/// code comes before any.
fn first_directive(text: &str) -> Option<String> {
    let mut in_comment = false;
    for line in text.lines() {
        let mut l = line.trim();
        if in_comment {
            match l.find("*/") {
                Some(e) => {
                    in_comment = false;
                    l = l[e + 2..].trim();
                }
                None => continue,
            }
        }
        while let Some(rest) = l.strip_prefix("/*") {
            match rest.find("*/") {
                Some(e) => l = rest[e + 2..].trim(),
                None => {
                    in_comment = true;
                    l = "";
                }
            }
        }
        if l.is_empty() || l.starts_with("//") {
            continue;
        }
        let d = l.strip_prefix('#')?.trim();
        let (word, rest) = d.split_at(d.find([' ', '\t', '"', '<']).unwrap_or(d.len()));
        return Some(format!("{word} {}", rest.trim()));
    }
    None
}

/// The header to put next to a precompiled `<dir>/<H>.gch`, and what it says. gcc uses the
/// `.gch` only for the first include of `H` in a compile; every later include (a library header
/// that includes Particle.h again, as nearly all do) finds `<dir>/<H>` instead. That file passes
/// on to the real `H` further along the include path (`#include_next`), whose include guard then
/// makes it empty, exactly as without precompiled headers.
pub fn pch_wrapper(gch: &Path) -> Option<(PathBuf, String)> {
    let header = gch.file_name()?.to_str()?.strip_suffix(".gch")?;
    let text = format!(
        "/* pbuild: every include of {header} after the first, when the precompiled {header}.gch \
         next to this file cannot be used: the real {header}, further along the include path. */\n\
         #include_next <{header}>\n"
    );
    Some((gch.with_file_name(header), text))
}

/// True for the step `CompileTemplate::pch_step` makes.
pub fn is_pch(step: &PlanStep) -> bool {
    step.kind == StepKind::Compile && step.argv.iter().any(|w| w == "c++-header")
}

/// Make `compile` use the precompiled header `gch`: its directory first on the include path, and
/// the `.gch` an input (it stands for the headers it holds: gcc's depfile then names none of them).
pub fn use_pch(compile: &mut PlanStep, gch: &Path) {
    let dir = gch.parent().unwrap_or(gch);
    compile.argv.insert(1, format!("-I{}", dir.display()));
    compile.inputs.push(gch.to_path_buf());
}

/// Turn the app's compiles into templates. Returns the remaining steps, where the app compiles go, and the mode.
/// `roots` are the app's source roots in make's order (see `layout`); all lie below `app_dir`'s
/// app, or are `app_dir` itself.
pub fn templatize(
    steps: Vec<PlanStep>,
    app_dir: Option<&Path>,
    roots: &[PathBuf],
    label_base: &Path,
) -> (Vec<PlanStep>, Option<usize>, AppMode) {
    let Some(dir) = app_dir else {
        return (steps, None, AppMode::None);
    };
    let default_roots = [dir.to_path_buf()];
    let roots = if roots.is_empty() {
        &default_roots[..]
    } else {
        roots
    };
    let is_app = |s: &PlanStep| {
        s.kind == StepKind::Compile && s.inputs.first().is_some_and(|i| i.starts_with(dir))
    };
    let app_steps: Vec<&PlanStep> = steps.iter().filter(|s| is_app(s)).collect();
    if app_steps.is_empty() {
        return (steps, None, AppMode::None);
    }
    let sources: Vec<PathBuf> = app_steps.iter().map(|s| s.inputs[0].clone()).collect();
    let fixed = |steps: Vec<PlanStep>| {
        let mut sorted = sources.clone();
        sorted.sort();
        (steps, None, AppMode::Fixed { sources: sorted })
    };
    let mut ext_order: Vec<String> = Vec::new();
    let mut compiles: Vec<CompileTemplate> = Vec::new();
    for s in &app_steps {
        let ext = ext_of(&s.inputs[0]);
        let Some(root) = root_of(roots, &s.inputs[0]).map(|i| &roots[i]) else {
            return fixed(steps);
        };
        if !ext_order.contains(&ext) {
            ext_order.push(ext.clone());
        }
        if !compiles.iter().any(|t| t.ext == ext && t.root == *root) {
            match make_template(s, root, &ext, label_base) {
                Some(t) => compiles.push(t),
                None => return fixed(steps),
            }
        }
        let t = compiles
            .iter()
            .find(|t| t.ext == ext && t.root == *root)
            .expect("template for root and ext");
        if t.instantiate(&s.inputs[0]) != **s {
            return fixed(steps);
        }
    }
    let mut ordered = sources.clone();
    order_sources(roots, &mut ordered, &ext_order);
    if ordered != sources {
        return fixed(steps);
    }
    let objects: Vec<String> = app_steps
        .iter()
        .map(|s| s.outputs[0].display().to_string())
        .collect();
    let first_app = steps.iter().position(is_app).expect("an app step");
    let mut out = Vec::with_capacity(steps.len());
    for mut s in steps.into_iter().filter(|s| !is_app(s)) {
        if let Some(start) = s.argv.iter().position(|w| objects.contains(w)) {
            let run = &s.argv[start..];
            if run.len() < objects.len() || run[..objects.len()] != objects[..] {
                return fixed(out.into_iter().chain(std::iter::once(s)).collect());
            }
            s.argv
                .splice(start..start + objects.len(), [APP_OBJECTS.to_string()]);
            if s.argv.iter().any(|w| objects.contains(w)) {
                return fixed(out);
            }
            s.inputs
                .retain(|i| !objects.contains(&i.display().to_string()));
            s.takes_app_objects = true;
        }
        out.push(s);
    }
    let template = AppTemplate {
        dir: dir.to_path_buf(),
        roots: roots.to_vec(),
        exts: ext_order,
        compiles,
    };
    (out, Some(first_app), AppMode::Templated(template))
}

fn make_template(
    s: &PlanStep,
    root: &Path,
    ext: &str,
    label_base: &Path,
) -> Option<CompileTemplate> {
    let src = &s.inputs[0];
    let obj = &s.outputs[0];
    let rel = src.strip_prefix(root).ok()?;
    let rel_noext = rel.with_extension("");
    let obj_s = obj.display().to_string();
    let (obj_base, replaces) =
        if let Some(base) = obj_s.strip_suffix(&format!("{}.o", rel_noext.display())) {
            (base, true)
        } else if let Some(base) = obj_s.strip_suffix(&format!("{}.o", rel.display())) {
            (base, false)
        } else {
            return None;
        };
    // The source word: the one word that names the source (`-I` words are values, not sources).
    let rel_s = rel.display().to_string();
    let names_src = |w: &str| {
        w.strip_suffix(&rel_s)
            .filter(|p| p.is_empty() || p.ends_with('/'))
            .is_some_and(|_| crate::paths::resolve(&s.cwd, w) == *src)
    };
    let mut src_prefix = None;
    let argv = s
        .argv
        .iter()
        .map(|w| {
            if src_prefix.is_none() && names_src(w) {
                src_prefix = Some(w[..w.len() - rel_s.len()].to_string());
                SRC.to_string()
            } else {
                w.replace(&obj_s, OBJ)
            }
        })
        .collect();
    Some(CompileTemplate {
        ext: ext.to_string(),
        root: root.to_path_buf(),
        cwd: s.cwd.clone(),
        argv,
        src_prefix: src_prefix?,
        obj_base: PathBuf::from(obj_base),
        obj_replaces_ext: replaces,
        label_base: label_base.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_order_puts_files_before_subdirectories() {
        let dir = [PathBuf::from("/app")];
        let mut v: Vec<PathBuf> = [
            "/app/b/a.cpp",
            "/app/z.cpp",
            "/app/a.c",
            "/app/b.cpp",
            "/app/a/x.cpp",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        order_sources(&dir, &mut v, &["c".into(), "cpp".into()]);
        let got: Vec<&str> = v.iter().map(|p| p.to_str().unwrap()).collect();
        assert_eq!(
            got,
            [
                "/app/a.c",
                "/app/b.cpp",
                "/app/z.cpp",
                "/app/a/x.cpp",
                "/app/b/a.cpp"
            ]
        );
    }

    fn compile(src: &str, obj: &str) -> PlanStep {
        PlanStep {
            kind: StepKind::Compile,
            cwd: "/t/main".into(),
            argv: vec![
                "gcc".into(),
                "-c".into(),
                "-o".into(),
                obj.into(),
                format!("../{}", src.trim_start_matches("/t/")),
                "-MF".into(),
                format!("{obj}.d"),
            ],
            inputs: vec![src.into()],
            outputs: vec![obj.into(), format!("{obj}.d").into()],
            depfile: Some(format!("{obj}.d").into()),
            label: format!("CC {}", src.trim_start_matches("/t/")),
            takes_app_objects: false,
            image: None,
        }
    }

    #[test]
    fn templates_reproduce_the_imported_compiles_and_archive() {
        let a = compile("/t/app/a.cpp", "/b/obj/a.o");
        let b = compile("/t/app/sub/b.cpp", "/b/obj/sub/b.o");
        let ar = PlanStep {
            kind: StepKind::Archive,
            cwd: "/t/main".into(),
            argv: vec![
                "ar".into(),
                "-cr".into(),
                "/b/libuser.a".into(),
                "/b/obj/a.o".into(),
                "/b/obj/sub/b.o".into(),
            ],
            inputs: vec!["/b/obj/a.o".into(), "/b/obj/sub/b.o".into()],
            outputs: vec!["/b/libuser.a".into()],
            depfile: None,
            label: "AR libuser.a".into(),
            takes_app_objects: false,
            image: None,
        };
        let (steps, at, mode) = templatize(
            vec![a, b.clone(), ar],
            Some(Path::new("/t/app")),
            &[],
            Path::new("/t"),
        );
        assert_eq!(at, Some(0));
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].argv, ["ar", "-cr", "/b/libuser.a", APP_OBJECTS]);
        assert!(steps[0].inputs.is_empty());
        let AppMode::Templated(t) = mode else {
            panic!("not templated: {mode:?}")
        };
        assert_eq!(
            t.template_for(Path::new("/t/app/sub/b.cpp"))
                .unwrap()
                .instantiate(Path::new("/t/app/sub/b.cpp")),
            b
        );
    }

    #[test]
    fn unexpected_order_freezes_the_app() {
        let a = compile("/t/app/sub/b.cpp", "/b/obj/sub/b.o");
        let b = compile("/t/app/a.cpp", "/b/obj/a.o");
        let (steps, _, mode) =
            templatize(vec![a, b], Some(Path::new("/t/app")), &[], Path::new("/t"));
        assert_eq!(steps.len(), 2);
        assert!(matches!(mode, AppMode::Fixed { .. }));
    }
}
