//! One build: settings → sources → build directories and fingerprint → plan (stored, cached or
//! imported) → the steps of this run → the engine → artifacts. The orchestration only; each
//! concern is a file of its own (directories and keys, the lock, getting a plan, the runner,
//! make-safe links, compile_commands.json, clean, timings).

pub mod clean;
pub mod compdb;
pub mod dirs;
pub mod links;
pub mod lock;
pub mod noop;
pub mod plans;
pub mod runner;
pub mod timings;
pub mod variants;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use clean::clean;
use dirs::BuildDirs;
use links::Unaliasing;
use timings::Phases;

use crate::config::{Settings, Target};
use crate::error::{Error, Result, ToolKind};
use crate::plan::{AppMode, PlanStep};
use crate::sources::AppLayout;
use crate::stepcache::Cache;
use crate::tool::which;
use crate::work::db::Db;
use crate::work::{self, Graph, Reporter, ToolIds};

/// Copies each image of a successful build from its build directory to `dir` (`target/<platform>`),
/// where the user and `flash` find it; a file already there with the same bytes is left alone.
/// A copy carries the time of the file it copies, so a no-op compares two stamps instead of
/// reading both files (the ELFs of a real tree's modules are megabytes each).
fn publish(images: &[noop::Image], platform: &str, dir: &Path) -> Result<Vec<Artifact>> {
    use crate::fsutil::Stamp;
    let artifacts = artifacts_of(images, platform, dir);
    for (img, art) in images.iter().zip(&artifacts) {
        for (built, shown) in [
            (&img.bin, &art.bin),
            (&img.elf, &art.elf),
            (&img.dfu, &art.dfu),
        ] {
            let stamp = Stamp::of(built);
            if stamp.exists() && Stamp::of(shown) == stamp {
                continue;
            }
            let bytes = std::fs::read(built).map_err(|e| Error::io(built, e))?;
            if std::fs::read(shown).ok().as_deref() != Some(&bytes[..]) {
                crate::fsutil::write_atomic(shown, &bytes).map_err(|e| Error::io(shown, e))?;
                let copied_time = std::fs::metadata(built).and_then(|m| m.modified());
                if let Ok(t) = copied_time {
                    let _ = std::fs::File::options()
                        .write(true)
                        .open(shown)
                        .and_then(|f| f.set_modified(t));
                }
            }
        }
    }
    Ok(artifacts)
}

/// Where `publish` puts each image: `dir` and the built file's name.
fn artifacts_of(images: &[noop::Image], platform: &str, dir: &Path) -> Vec<Artifact> {
    let shown = |built: &Path| dir.join(built.file_name().unwrap_or(built.as_os_str()));
    images
        .iter()
        .map(|img| Artifact {
            module: img.module.clone(),
            platform: platform.to_string(),
            bin: shown(&img.bin),
            elf: shown(&img.elf),
            dfu: shown(&img.dfu),
        })
        .collect()
}

/// The images the image steps of a build write.
fn images_of(steps: &[PlanStep]) -> Vec<noop::Image> {
    steps
        .iter()
        .filter_map(|st| st.image.as_ref())
        .map(|img| noop::Image {
            module: img.module.clone(),
            bin: img.bin.clone(),
            elf: img.elf_copy.clone(),
            dfu: img.dfu.clone(),
        })
        .collect()
}

/// A produced flashable module.
#[derive(Debug, Clone, Serialize)]
pub struct Artifact {
    pub module: String,
    pub platform: String,
    pub bin: PathBuf,
    pub elf: PathBuf,
    pub dfu: PathBuf,
}

#[derive(Debug)]
pub struct BuildOutput {
    pub outcome: work::Outcome,
    pub artifacts: Vec<Artifact>,
    /// The plan was imported from the makefiles in this run (make ran).
    pub imported: bool,
}

/// Says `text` unless it was said before for this build state (`<state>/said`).
fn say_once(state_dir: &Path, text: &str, say: &mut dyn FnMut(&str)) {
    let path = state_dir.join("said");
    let said = std::fs::read_to_string(&path).unwrap_or_default();
    if said.lines().any(|l| l == text) {
        return;
    }
    say(text);
    let _ = std::fs::create_dir_all(state_dir);
    let _ = crate::fsutil::write_atomic(&path, format!("{said}{text}\n").as_bytes());
}

pub struct BuildOptions<'a> {
    /// What the user sees of the steps.
    pub reporter: &'a mut dyn Reporter,
    /// Lines about the build itself (importing, waiting for the lock, a repaired db, timings).
    pub say: &'a mut dyn FnMut(&str),
    /// `--trace FILE`: write a Chrome trace of the phases and steps there.
    pub trace: Option<&'a Path>,
}

pub fn build(s: &Settings, opts: BuildOptions<'_>) -> Result<BuildOutput> {
    let started = std::time::Instant::now();
    // A tree or app path with a space goes to make through a link (see `links`).
    let app = s.app.as_ref().filter(|_| s.target.has_app());
    let (app, aliases) = links::make_safe(&s.tree.root, app, &s.state_dir())?;
    let app = app.as_ref();
    let mut reporter = Unaliasing {
        inner: opts.reporter,
        aliases: &aliases,
    };
    let platform = s.platform()?.clone();
    let gcc_name = s.compiler.gcc.clone();
    let gcc = which(&gcc_name).ok_or_else(|| Error::ToolMissing {
        tool: gcc_name.clone(),
        kind: ToolKind::Compiler,
    })?;
    let make = which("make");
    if make.is_none() {
        return Err(Error::ToolMissing {
            tool: "make".into(),
            kind: ToolKind::Make,
        });
    }
    if s.target == Target::Main && app.is_none() {
        return Err(Error::NoAppGiven {
            target: "main".into(),
        });
    }
    let mut sources = match app {
        Some(a) => {
            let found = a.layout.discover()?;
            if !found.iter().any(|f| a.layout.library_of(f).is_none()) {
                return Err(Error::NoSources {
                    dir: a.layout.app_root(),
                });
            }
            // x.ino beside x.cpp: build what make builds, the .cpp, and say so once.
            let clashes = AppLayout::sketch_clashes(&found);
            for (sketch, cpp) in &clashes {
                let newer = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
                let stale = match (newer(sketch), newer(cpp)) {
                    (Some(i), Some(c)) => i > c,
                    _ => false,
                };
                let text = format!(
                    "note: {} is not built: {} beside it is, as make builds it{}",
                    crate::paths::shown(sketch, &a.dir),
                    crate::paths::shown(cpp, &a.dir),
                    if stale {
                        "; the sketch is newer: if the .cpp is an old `particle preprocess` output, remove it and pbuild builds the sketch"
                    } else {
                        ""
                    }
                );
                say_once(&s.state_dir(), &text, opts.say);
            }
            found
                .into_iter()
                .filter(|f| !clashes.iter().any(|(sketch, _)| sketch == f))
                .collect()
        }
        None => Vec::new(),
    };
    let exts: Vec<String> = match app {
        Some(a) => a.layout.fingerprint_words(&sources),
        None => Vec::new(),
    };

    let mut phases = Phases::start();
    let dirs = BuildDirs::of(s, app, &gcc)?;
    let _lock = lock::lock_state(&s.state_dir(), s.no_wait, opts.say)?;
    phases.mark("lock");
    let base = dirs.fingerprint_base(s, app, &gcc, make.as_deref(), &exts);
    let noop_key = noop::key(base, &sources, s.pch, s.compile_commands.as_deref());
    let noop_path = dirs.noop_path();
    // Nothing to do, known from stat calls alone (a trace wants every phase: it takes the full path).
    if opts.trace.is_none()
        && let Some(record) = noop::Record::check(&noop_path, noop_key)
    {
        phases.mark("no-op check");
        reporter.planned(0, record.total);
        // The record holds the published copies' stamps too: they are still what was built.
        let artifacts = artifacts_of(&record.images, &platform.name, &dirs.artifacts_dir);
        phases.report(opts.say);
        return Ok(BuildOutput {
            outcome: work::Outcome {
                total: record.total,
                ..work::Outcome::default()
            },
            artifacts,
            imported: false,
        });
    }
    noop::Record::forget(&noop_path);
    let makefiles = s
        .tree
        .makefile_hashes(&s.state_dir().join("makefiles.json"));
    let fp = BuildDirs::fingerprint(base, &makefiles);
    phases.mark("fingerprint");
    let cache = s.cache.as_ref().map(|(dir, limit)| {
        let memo = s.state_dir().join("hashes");
        Cache::open(dir, *limit, &s.target_dir, Some(memo))
    });
    let wanted = plans::Wanted {
        settings: s,
        app,
        dirs: &dirs,
        fingerprint: &fp,
        gcc: &gcc_name,
        sources: &sources,
    };
    let plans::Obtained {
        plan,
        imported,
        source_dirs,
    } = plans::obtain(&wanted, cache.as_ref(), opts.say)?;
    phases.mark(if imported { "import" } else { "plan cache" });
    if let AppMode::Templated(t) = &plan.app {
        t.order(&mut sources);
    }
    let steps = plan.expand(&sources, s.pch)?;
    let graph = Graph::new(steps.iter().map(|p| p.spec()))?;
    phases.mark("graph");
    if let Some(root) = &s.compile_commands {
        let app_dir = app.map(|a| a.dir.as_path());
        let mut entries = compdb::entries(&steps, app_dir, s.target == Target::Modules);
        if !aliases.is_empty() {
            for e in &mut entries {
                let un = |p: &Path| PathBuf::from(links::unalias(&p.to_string_lossy(), &aliases));
                e.directory = un(&e.directory);
                e.file = un(&e.file);
                e.output = un(&e.output);
                for a in &mut e.arguments {
                    *a = links::unalias(a, &aliases);
                }
            }
        }
        // For the editor only: a file that cannot be written is a warning, never a failed build.
        if !entries.is_empty()
            && let Err(e) = compdb::write(root, &entries)
        {
            (opts.say)(&format!(
                "warning: {e} (compile_commands.json is for editors; `compile_commands = false` in project.toml turns it off)"
            ));
        }
    }
    phases.mark("compile_commands");
    // One db per build directory: a no-op reads the records of this build only, not those of
    // every platform and target built into this target dir (8 MB, 44 ms on the real tree).
    let mut db = Db::open(&dirs.db_path())?;
    if let Some(r) = db.recovered.take() {
        (opts.say)(&r);
    }
    phases.mark("db");
    let runner = runner::RealRunner {
        steps: &steps,
        cache: cache.as_ref(),
        launcher: &s.launcher,
        slots: &platform.slots,
        compiler: &gcc_name,
        particle_gcc: s
            .table
            .gcc_for(&s.tree.version_string)
            .map(|g| (s.tree.version_string.as_str(), g)),
        share_variants: s.share_variants,
        variants: std::sync::OnceLock::new(),
    };
    let options = work::Options {
        jobs: s.jobs,
        keep_going: false,
    };
    let mut trace = timings::Trace::new(started);
    let mut tools = ToolIds::default();
    let mut slots = 0;
    let outcome = match opts.trace {
        None => work::run(
            &graph,
            &mut db,
            &mut tools,
            &runner,
            &options,
            &mut reporter,
        ),
        Some(_) => {
            let mut tracing = timings::Tracing::new(&mut reporter, &mut trace);
            let outcome = work::run(&graph, &mut db, &mut tools, &runner, &options, &mut tracing);
            slots = tracing.slots();
            outcome
        }
    };
    if let Some(c) = &cache {
        c.finish();
    }
    let outcome = outcome?;
    phases.mark("work");
    phases.report(opts.say);
    if let Some(v) = runner.variants.get().filter(|_| phases.enabled()) {
        (opts.say)(&v.spent().summary());
    }
    if let Some(path) = opts.trace {
        phases.into_trace(&mut trace);
        trace.write(path, slots)?;
    }
    if !outcome.failed.is_empty() {
        return Ok(BuildOutput {
            outcome,
            artifacts: Vec::new(),
            imported,
        });
    }
    let images = images_of(&steps);
    let artifacts = publish(&images, &platform.name, &dirs.artifacts_dir)?;
    // Leave a no-op record when every step is up to date now.
    if let Some(e) = work::expectations(&graph, &db, &mut tools) {
        let mut files = e.files;
        // Every directory where a new makefile could matter, but of the makefiles only those
        // make read (when the import could tell): an edit to another cannot change the plan.
        files.extend(makefiles.watched_dirs);
        let read: Option<std::collections::HashSet<&PathBuf>> =
            plan.makefiles_read.as_ref().map(|r| r.iter().collect());
        files.extend(
            makefiles
                .watched_files
                .into_iter()
                .filter(|(p, _)| read.as_ref().is_none_or(|r| r.contains(p))),
        );
        files.extend(source_dirs);
        for a in &artifacts {
            for p in [&a.bin, &a.elf, &a.dfu] {
                files.push((p.clone(), crate::fsutil::Stamp::of(p)));
            }
        }
        let db_path = dirs.db_path();
        let db_stamp = crate::fsutil::Stamp::of(&db_path);
        files.push((db_path, db_stamp));
        if let Some(root) = &s.compile_commands {
            let path = root.join(compdb::FILE_NAME);
            let stamp = crate::fsutil::Stamp::of(&path);
            files.push((path, stamp));
        }
        // Sorted by path, so the record does not depend on the order steps finished in. (Stat'ing
        // each file relative to its directory, opened once, was tried: no faster on a real tree.)
        files.sort_by(|a, b| a.0.cmp(&b.0));
        noop::Record {
            key: noop_key,
            total: outcome.total,
            images,
            tools: e.tools,
            files,
        }
        .write(&noop_path);
    }
    Ok(BuildOutput {
        outcome,
        artifacts,
        imported,
    })
}
