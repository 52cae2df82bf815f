//! The plan for a build's fingerprint: from the plan store under the build state, else from the
//! content cache (so `clean --all` does not mean running make again), else imported from the
//! tree's makefiles now (`plan::import`) after checking the compiler is new enough for the tree.

use std::path::{Path, PathBuf};

use super::dirs::BuildDirs;
use crate::config::{App, Settings};
use crate::error::{Error, Result, ToolKind};
use crate::fsutil::Stamp;
use crate::plan::import::{self, ImportContext};
use crate::plan::{AppMode, PLAN_VERSION, Plan, SourceDir, StepKind, store, template};
use crate::stepcache::Cache;

/// What a plan is wanted for.
pub struct Wanted<'a> {
    pub settings: &'a Settings,
    /// The app as make sees it (perhaps behind a make-safe link).
    pub app: Option<&'a App>,
    pub dirs: &'a BuildDirs,
    pub fingerprint: &'a str,
    /// The compiler make will call, as named.
    pub gcc: &'a str,
    /// The app's sources now (a fixed plan is valid only for these).
    pub sources: &'a [PathBuf],
}

/// The plan; whether it was imported in this run (make ran); and the stamps of its source
/// directories as seen now (the plan holds while they are the same).
pub struct Obtained {
    pub plan: Plan,
    pub imported: bool,
    pub source_dirs: Vec<(PathBuf, Stamp)>,
}

pub fn obtain(
    w: &Wanted<'_>,
    cache: Option<&Cache>,
    say: &mut dyn FnMut(&str),
) -> Result<Obtained> {
    let (s, app, dirs, fp, gcc, sources) =
        (w.settings, w.app, w.dirs, w.fingerprint, w.gcc, w.sources);
    let mut sorted = sources.to_vec();
    sorted.sort();
    let cached = store::load(&dirs.plans_dir, fp)
        .or_else(|| {
            let bytes = cache?.get_blob(&store::blob_name(fp))?;
            let p = store::from_bytes(&bytes, fp)?;
            store::store(&dirs.plans_dir, &p).ok()?;
            Some(p)
        })
        .filter(|p| match &p.app {
            AppMode::Fixed { sources } => *sources == sorted,
            _ => true,
        });
    let mut seen = Vec::new();
    // A source added to or removed from one of the tree's source directories: make would
    // compile another list, so the plan is imported again.
    let cached = cached.filter(|p| {
        p.source_dirs.iter().all(|d| {
            let (holds, now) = d.holds();
            seen.push((d.path.clone(), now));
            holds
        })
    });
    if let Some(plan) = cached {
        return Ok(Obtained {
            plan,
            imported: false,
            source_dirs: seen,
        });
    }
    say(&format!(
        "importing build steps from {} (make -n -B {})",
        dirs.make_dir.display(),
        dirs.make_vars.join(" ")
    ));
    if let Some(note) = check_gcc_version(s, gcc)? {
        say(&note);
    }
    let p = import_plan(s, app, dirs, fp, sources)?;
    store::store(&dirs.plans_dir, &p)?;
    if let (Some(c), Ok(bytes)) = (cache, std::fs::read(store::path_for(&dirs.plans_dir, fp))) {
        c.put_blob(&store::blob_name(fp), &bytes);
    }
    let source_dirs = p
        .source_dirs
        .iter()
        .map(|d| {
            let stamp = Stamp {
                mtime_ns: d.mtime_ns,
                size: Stamp::of(&d.path).size,
            };
            (d.path.clone(), stamp)
        })
        .collect();
    Ok(Obtained {
        plan: p,
        imported: true,
        source_dirs,
    })
}

/// The compiler's version judged for this tree (`compiler::judge`): an error, or a note to say.
fn check_gcc_version(s: &Settings, gcc: &str) -> Result<Option<String>> {
    let found = crate::tool::compiler_version(gcc).ok_or_else(|| Error::ToolMissing {
        tool: gcc.to_string(),
        kind: ToolKind::Compiler,
    })?;
    crate::config::compiler::judge(s, &found)
}

fn import_plan(
    s: &Settings,
    app: Option<&App>,
    dirs: &BuildDirs,
    fp: &str,
    sources: &[PathBuf],
) -> Result<Plan> {
    let platform = s.platform()?;
    let ctx = ImportContext {
        tree_root: s.tree.root.clone(),
        make_dir: dirs.make_dir.clone(),
        make_vars: dirs.make_vars.clone(),
        build_dir: dirs.build_dir.clone(),
        artifacts_dir: dirs.images_dir(),
        app_dir: app.map(|a| a.dir.clone()),
        app_name: app.map(|a| a.name.clone()),
        probes: app
            .map(|a| a.layout.sketch_probes(sources))
            .unwrap_or_default(),
        dfu_ids: platform.dfu_ids(),
        make: "make".into(),
    };
    let (text, makefiles_read) = import::split_makefile_list(&import::dry_run(&ctx)?);
    let parsed = import::parse(&ctx, &text)?;
    if !parsed.steps.iter().any(|st| st.kind == StepKind::Image) {
        return Err(Error::Import {
            message: format!(
                "the dry run of {} listed no `objcopy -O binary` step, so there is no module image to make",
                dirs.make_dir.display()
            ),
            output: text,
        });
    }
    let tree_target = s.tree.root.join("build").join("target");
    let mut outside: Vec<&Path> = vec![&tree_target, &dirs.build_dir];
    if let Some(a) = app {
        outside.push(&a.dir);
    }
    let source_dirs = SourceDir::of_sources(
        parsed
            .steps
            .iter()
            .filter(|st| st.kind == StepKind::Compile)
            .filter_map(|st| st.inputs.first().map(PathBuf::as_path)),
        &s.tree.root,
        &outside,
    );
    let roots = app.map(|a| a.layout.roots()).unwrap_or_default();
    let (steps, app_compiles_at, app) =
        template::templatize(parsed.steps, ctx.app_dir.as_deref(), &roots, &s.tree.root);
    // The probes existed only during the dry run: a plan that still names one would fail on
    // every later build (the sketch compiles are templated from them).
    if let Some(step) = steps
        .iter()
        .find(|st| st.inputs.iter().any(|i| ctx.probes.contains(i)))
    {
        return Err(Error::Import {
            message: format!(
                "the dry run's compile of the sketch probe could not be turned into a template ({}): pbuild cannot build these sketches with this tree; report this with the output below",
                step.label
            ),
            output: text,
        });
    }
    Ok(Plan {
        version: PLAN_VERSION,
        fingerprint: fp.to_string(),
        steps,
        app_compiles_at,
        app,
        ignored: parsed.ignored,
        compiles_listed: parsed.compiles_listed,
        source_dirs,
        makefiles_read,
    })
}
