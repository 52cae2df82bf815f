//! One build: settings → tree fingerprint → plan (cached or imported) → graph → work → artifacts.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::compdb;
use crate::config::{Settings, Target};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::plan::import::{self, ImportContext};
use crate::plan::{AppMode, PLAN_VERSION, Plan, StepKind, app, cache};
use crate::work::{self, Reporter, Runner, ToolIds, which};

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

/// The C compiler Device OS's makefiles will call (`$(GCC_ARM_PATH)arm-none-eabi-gcc`).
pub fn compiler() -> String {
    let prefix = std::env::var("GCC_PREFIX").unwrap_or_else(|_| "arm-none-eabi-".into());
    match std::env::var("GCC_ARM_PATH") {
        Ok(dir) if !dir.is_empty() => format!("{}/{prefix}gcc", dir.trim_end_matches('/')),
        _ => format!("{prefix}gcc"),
    }
}

pub fn missing_compiler(name: &str) -> Error {
    Error::ToolMissing {
        tool: name.to_string(),
        hint: "install the GNU Arm toolchain: on Debian/Ubuntu `apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib`; or put its bin/ directory on PATH (or set GCC_ARM_PATH)".into(),
    }
}

/// Environment variables Device OS's makefiles read; part of the fingerprint.
const MAKE_ENV: &[&str] = &[
    "GCC_ARM_PATH",
    "GCC_PREFIX",
    "DEBUG_BUILD",
    "USE_SWD",
    "USE_SWD_JTAG",
    "COMPILE_LTO",
    "MODULAR",
    "EXTRA_CFLAGS",
    "APPLIBS",
    "USER_MAKEFILE",
    "PRODUCT_ID",
    "TARGET_DIR",
    "TARGET_FILE",
    "PARTICLE_DEVELOP",
];

fn stamp_hash(h: &mut xxhash_rust::xxh3::Xxh3, path: &Path) {
    let s = crate::db::Stamp::of(path);
    h.update(path.as_os_str().as_encoded_bytes());
    h.update(&s.mtime_ns.to_le_bytes());
    h.update(&s.size.to_le_bytes());
}

struct Layout {
    make_dir: PathBuf,
    make_vars: Vec<String>,
    build_dir: PathBuf,
    artifacts_dir: PathBuf,
    plans_dir: PathBuf,
}

fn layout(s: &Settings, gcc: &Path) -> Result<Layout> {
    let platform = s.platform()?;
    let mut make_vars = vec![format!("PLATFORM_ID={}", platform.id)];
    if let Some(a) = &s.app {
        make_vars.push(if a.by_name {
            format!("APP={}", a.name)
        } else {
            format!("APPDIR={}", a.dir.display())
        });
        make_vars.extend(a.layout.make_vars());
    }
    // Build directories are keyed by platform, Device OS version, toolchain and variables.
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(s.tree.root.as_os_str().as_encoded_bytes());
    h.update(s.tree.version_string.as_bytes());
    // main and modules number their variants differently: separate directories keep them from trading files.
    h.update(s.target.name().as_bytes());
    stamp_hash(&mut h, gcc);
    for v in &make_vars {
        h.update(v.as_bytes());
    }
    for name in MAKE_ENV {
        h.update(name.as_bytes());
        h.update(std::env::var(name).unwrap_or_default().as_bytes());
    }
    let key = format!(
        "{}-{}-{:016x}",
        platform.name,
        s.tree.version_string,
        h.digest()
    );
    let state = s.state_dir();
    Ok(Layout {
        make_dir: s.tree.root.join(s.target.name()),
        make_vars,
        build_dir: state.join("build").join(key),
        artifacts_dir: s.target_dir.join(&platform.name),
        plans_dir: state.join("plans"),
    })
}

fn fingerprint(
    s: &Settings,
    l: &Layout,
    gcc: &Path,
    make: Option<&Path>,
    exts: &[String],
) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&PLAN_VERSION.to_le_bytes());
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    // A rebuilt pbuild may import differently: its own identity is part of the fingerprint.
    if let Ok(exe) = std::env::current_exe() {
        stamp_hash(&mut h, &exe);
    }
    for p in [&l.make_dir, &l.build_dir, &l.artifacts_dir] {
        h.update(p.as_os_str().as_encoded_bytes());
        h.update(b"\0");
    }
    for v in &l.make_vars {
        h.update(v.as_bytes());
        h.update(b"\0");
    }
    for (m, hash) in s
        .tree
        .makefile_hashes(&s.state_dir().join("makefiles.json"))
    {
        h.update(m.as_os_str().as_encoded_bytes());
        h.update(&hash.to_le_bytes());
    }
    if let Some(a) = s.app.as_ref().filter(|a| !a.dir.starts_with(&s.tree.root)) {
        let dirs = [a.dir.clone(), a.layout.app_root()];
        for m in ["build.mk", "makefile", "Makefile"]
            .iter()
            .flat_map(|n| dirs.iter().map(move |d| d.join(n)))
            .filter(|p| p.is_file())
        {
            h.update(m.as_os_str().as_encoded_bytes());
            h.update(&std::fs::read(&m).unwrap_or_default());
        }
    }
    stamp_hash(&mut h, gcc);
    if let Some(m) = make {
        stamp_hash(&mut h, m);
    }
    for e in exts {
        h.update(e.as_bytes());
        h.update(b"\0");
    }
    format!("{:016x}", h.digest())
}

fn check_gcc_version(s: &Settings, gcc: &str) -> Result<()> {
    let Some(needed) = s.table.gcc_min_for(&s.tree.version_string) else {
        return Ok(());
    };
    let out = duct::cmd(gcc, ["-dumpfullversion", "-dumpversion"])
        .stdout_capture()
        .stderr_null()
        .unchecked()
        .run()
        .map_err(|_| missing_compiler(gcc))?;
    let found = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let parse = crate::config::platform::parse_version;
    match (parse(&found), parse(needed)) {
        (Some(f), Some(n)) if f < n => Err(Error::ToolTooOld {
            tool: gcc.to_string(),
            found,
            needed: needed.to_string(),
            device_os: s.tree.version_string.clone(),
        }),
        _ => Ok(()),
    }
}

fn import_plan(s: &Settings, l: &Layout, fp: &str, gcc: &str, sources: &[PathBuf]) -> Result<Plan> {
    check_gcc_version(s, gcc)?;
    let platform = s.platform()?;
    let ctx = ImportContext {
        tree_root: s.tree.root.clone(),
        make_dir: l.make_dir.clone(),
        make_vars: l.make_vars.clone(),
        build_dir: l.build_dir.clone(),
        artifacts_dir: l.artifacts_dir.clone(),
        app_dir: s.app.as_ref().map(|a| a.dir.clone()),
        app_name: s.app.as_ref().map(|a| a.name.clone()),
        probes: s
            .app
            .as_ref()
            .map(|a| a.layout.sketch_probes(sources))
            .unwrap_or_default(),
        dfu_ids: platform.dfu_ids(),
        make: "make".into(),
    };
    let text = import::dry_run(&ctx)?;
    let parsed = import::parse(&ctx, &text)?;
    if !parsed.steps.iter().any(|st| st.kind == StepKind::Image) {
        return Err(Error::Import {
            message: format!(
                "the dry run of {} listed no `objcopy -O binary` step, so there is no module image to make",
                l.make_dir.display()
            ),
            output: text,
        });
    }
    let roots = s.app.as_ref().map(|a| a.layout.roots()).unwrap_or_default();
    let (steps, app_compiles_at, app) =
        app::templatize(parsed.steps, ctx.app_dir.as_deref(), &roots, &s.tree.root);
    Ok(Plan {
        version: PLAN_VERSION,
        fingerprint: fp.to_string(),
        steps,
        app_compiles_at,
        app,
        ignored: parsed.ignored,
        compiles_listed: parsed.compiles_listed,
    })
}

/// Take the build-directory lock, waiting (with a message) while another pbuild holds it, or
/// failing at once with `no_wait` (`--no-wait`). The holder writes its pid into the lock file, so
/// the message can name it.
pub fn lock_state(
    state_dir: &Path,
    no_wait: bool,
    say: &mut dyn FnMut(&str),
) -> Result<std::fs::File> {
    use std::io::{Seek, Write};
    std::fs::create_dir_all(state_dir).map_err(|e| Error::io(state_dir, e))?;
    let path = state_dir.join("lock");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| t.trim().parse::<u32>().ok())
                .map(|pid| format!(" (pid {pid})"))
                .unwrap_or_default();
            if no_wait {
                return Err(Error::Busy {
                    dir: state_dir.to_path_buf(),
                    holder,
                });
            }
            say(&format!(
                "waiting for another pbuild{holder} using {} to finish…",
                state_dir.display()
            ));
            file.lock().map_err(|e| Error::io(&path, e))?;
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
    }
    let _ = file
        .set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| write!(file, "{}", std::process::id()));
    Ok(file)
}

/// Shows what the build says with links written as the real paths they stand for.
struct Unaliasing<'a> {
    inner: &'a mut dyn Reporter,
    aliases: &'a [crate::alias::Alias],
}

impl Unaliasing<'_> {
    /// `step` as the user knows it: label, command and directory with the real paths.
    fn shown(&self, step: &crate::graph::Step) -> crate::graph::Step {
        let un = |t: &str| crate::alias::unalias(t, self.aliases);
        let mut step = step.clone();
        step.plan.label = un(&step.plan.label);
        for w in &mut step.plan.argv {
            *w = un(w);
        }
        step.plan.cwd = std::path::PathBuf::from(un(&step.plan.cwd.to_string_lossy()));
        step
    }
}

impl Reporter for Unaliasing<'_> {
    fn planned(&mut self, to_run: usize, total: usize) {
        self.inner.planned(to_run, total);
    }

    fn started(
        &mut self,
        step: &crate::graph::Step,
        reason: &work::Reason,
        started: usize,
        to_run: usize,
    ) {
        if self.aliases.is_empty() {
            return self.inner.started(step, reason, started, to_run);
        }
        self.inner
            .started(&self.shown(step), reason, started, to_run);
    }

    fn finished(&mut self, step: &crate::graph::Step, result: &work::StepResult) {
        if self.aliases.is_empty() {
            return self.inner.finished(step, result);
        }
        let mut shown = result.clone();
        shown.output = crate::alias::unalias(&result.output, self.aliases);
        self.inner.finished(&self.shown(step), &shown);
    }
}

pub struct BuildOptions<'a> {
    pub runner: &'a dyn Runner,
    pub reporter: &'a mut dyn Reporter,
    pub say: &'a mut dyn FnMut(&str),
}

pub fn build(s: &Settings, opts: BuildOptions<'_>) -> Result<BuildOutput> {
    // A tree or app path with a space goes to make through a link (see `alias`).
    let (s, aliases) = crate::alias::make_safe(s)?;
    let s = &s;
    let mut reporter = Unaliasing {
        inner: opts.reporter,
        aliases: &aliases,
    };
    let platform = s.platform()?.clone();
    let gcc_name = compiler();
    let gcc = which(&gcc_name).ok_or_else(|| missing_compiler(&gcc_name))?;
    let make = which("make");
    if make.is_none() {
        return Err(Error::ToolMissing {
            tool: "make".into(),
            hint: "pbuild reads the build description from Device OS's makefiles: install GNU make (Debian: apt-get install make)".into(),
        });
    }
    if s.target == Target::Main && s.app.is_none() {
        return Err(Error::NoAppGiven {
            target: "main".into(),
        });
    }
    let mut sources = match &s.app {
        Some(a) => {
            let found = a.layout.discover();
            if !found.iter().any(|f| a.layout.library_of(f).is_none()) {
                return Err(Error::NoSources {
                    dir: a.layout.app_root(),
                });
            }
            if let Some((sketch, cpp)) = crate::layout::AppLayout::sketch_clash(&found) {
                return Err(Error::SketchClash { sketch, cpp });
            }
            found
        }
        None => Vec::new(),
    };
    let exts: Vec<String> = match &s.app {
        Some(a) => a.layout.fingerprint_words(&sources),
        None => Vec::new(),
    };

    let mut phases = Phases::start();
    let l = layout(s, &gcc)?;
    let _lock = lock_state(&s.state_dir(), s.no_wait, opts.say)?;
    phases.mark("lock");
    let fp = fingerprint(s, &l, &gcc, make.as_deref(), &exts);
    phases.mark("fingerprint");
    let mut sorted = sources.clone();
    sorted.sort();
    // The content cache keeps plans too, so a `clean --all` does not mean running make again.
    let shared = s
        .cache
        .as_ref()
        .map(|(dir, limit)| crate::cache::Cache::open(dir, *limit, &s.target_dir));
    let cached = cache::load(&l.plans_dir, &fp)
        .or_else(|| {
            let bytes = shared.as_ref()?.get_blob(&cache::blob_name(&fp))?;
            let p = cache::from_bytes(&bytes, &fp)?;
            cache::store(&l.plans_dir, &p).ok()?;
            Some(p)
        })
        .filter(|p| match &p.app {
            AppMode::Fixed { sources } => *sources == sorted,
            _ => true,
        });
    let imported = cached.is_none();
    let plan = match cached {
        Some(p) => p,
        None => {
            (opts.say)(&format!(
                "importing build steps from {} (make -n -B {})",
                l.make_dir.display(),
                l.make_vars.join(" ")
            ));
            let p = import_plan(s, &l, &fp, &gcc_name, &sources)?;
            cache::store(&l.plans_dir, &p)?;
            if let (Some(c), Ok(bytes)) =
                (&shared, std::fs::read(cache::path_for(&l.plans_dir, &fp)))
            {
                c.put_blob(&cache::blob_name(&fp), &bytes);
            }
            p
        }
    };
    phases.mark(if imported { "import" } else { "plan cache" });
    if let AppMode::Templated(t) = &plan.app {
        t.order(&mut sources);
    }
    let graph = Graph::from_plan(&plan, &sources, s.pch)?;
    phases.mark("graph");
    if let Some(root) = &s.project_root {
        let app_dir = s.app.as_ref().map(|a| a.dir.as_path());
        let mut entries = compdb::entries(&graph, app_dir, s.target == Target::Modules);
        if !aliases.is_empty() {
            for e in &mut entries {
                let un =
                    |p: &Path| PathBuf::from(crate::alias::unalias(&p.to_string_lossy(), &aliases));
                e.directory = un(&e.directory);
                e.file = un(&e.file);
                e.output = un(&e.output);
                for a in &mut e.arguments {
                    *a = crate::alias::unalias(a, &aliases);
                }
            }
        }
        if !entries.is_empty() {
            compdb::write(root, &entries)?;
        }
    }
    phases.mark("compile_commands");
    let mut db = Db::open(&s.state_dir().join("db"))?;
    if let Some(r) = db.recovered.take() {
        (opts.say)(&r);
    }
    phases.mark("db");
    let mut tools = ToolIds::default();
    let outcome = work::run(
        &graph,
        &mut db,
        &mut tools,
        opts.runner,
        &work::Options { jobs: s.jobs },
        &mut reporter,
    )?;
    phases.mark("work");
    phases.report(opts.say);
    let artifacts = graph
        .steps
        .iter()
        .filter_map(|st| st.plan.image.as_ref())
        .map(|img| Artifact {
            module: img.module.clone(),
            platform: platform.name.clone(),
            bin: img.bin.clone(),
            elf: img.elf_copy.clone(),
            dfu: img.dfu.clone(),
        })
        .collect();
    Ok(BuildOutput {
        outcome,
        artifacts,
        imported,
    })
}

/// What `pbuild clean` removed.
pub fn clean(s: &Settings, all: bool) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let mut remove = |p: PathBuf| -> Result<()> {
        if p.exists() {
            std::fs::remove_dir_all(&p).map_err(|e| Error::io(&p, e))?;
            removed.push(p);
        }
        Ok(())
    };
    let tree_target = s.tree.root.join("build/target");
    if all || s.platform.is_none() {
        remove(s.state_dir())?;
        for p in &s.table.platforms {
            remove(s.target_dir.join(&p.name))?;
        }
        remove(tree_target)?;
        return Ok(removed);
    }
    let platform = s.platform()?;
    remove(s.target_dir.join(&platform.name))?;
    let build = s.state_dir().join("build");
    for dir in list_dirs(&build) {
        if dir.file_name().is_some_and(|n| {
            n.to_string_lossy()
                .starts_with(&format!("{}-", platform.name))
        }) {
            remove(dir)?;
        }
    }
    // Device OS's own outputs for this platform: build/target/<lib>/platform-<id>-…
    let marker = format!("platform-{}", platform.id);
    for lib in list_dirs(&tree_target) {
        for dir in list_dirs(&lib) {
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name == marker || name.starts_with(&format!("{marker}-")) {
                remove(dir)?;
            }
        }
    }
    Ok(removed)
}

fn list_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Per-phase wall times, printed when `PBUILD_TIMINGS` is set.
struct Phases {
    enabled: bool,
    last: std::time::Instant,
    done: Vec<(&'static str, std::time::Duration)>,
}

impl Phases {
    fn start() -> Phases {
        Phases {
            enabled: std::env::var_os("PBUILD_TIMINGS").is_some_and(|v| !v.is_empty()),
            last: std::time::Instant::now(),
            done: Vec::new(),
        }
    }

    fn mark(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        self.done.push((name, now - self.last));
        self.last = now;
    }

    fn report(&self, say: &mut dyn FnMut(&str)) {
        if self.enabled {
            let parts: Vec<String> = self
                .done
                .iter()
                .map(|(n, d)| format!("{n} {:.1} ms", d.as_secs_f64() * 1000.0))
                .collect();
            say(&format!("timings: {}", parts.join(", ")));
        }
    }
}
