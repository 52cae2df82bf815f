//! Importing steps from the tree's makefiles: run a forced dry run (`make -n -B … all`) and turn its
//! output into plan steps.
//!
//! The dry run prints every command of a `clean all` in serial order, with paths relative to the
//! directory of the most recent `make[N]: Entering directory '…'` line. Commands are recognised by
//! their tool: compiles (`gcc -c`), archives (`ar`), links (`gcc -o` without `-c`) and the image step
//! (`objcopy -O binary`, whose shell recipe for SHA/CRC pbuild replaces natively). Recursive `make`
//! lines, `echo`, `mkdir` and the rest of the `.bin` shell recipe are recorded as ignored.
//!
//! Make compiles a shared library into one directory for every module that needs it, with that
//! module's defines, so one output path can be written by different commands. Each distinct
//! command for a path becomes its own variant, written under `v<N>/` of the build directory, and a
//! later step reads whichever variant was most recently produced when make would have run it — the
//! result a serial `make clean all` gives. Identical commands are kept once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::paths::{normalize, resolve};
use crate::plan::shell;
use crate::plan::{ImageSpec, PlanStep, StepKind};

/// What an import needs to know besides the dry-run text.
#[derive(Debug, Clone)]
pub struct ImportContext {
    pub tree_root: PathBuf,
    /// The directory make runs in (`<tree>/modules` or `<tree>/main`).
    pub make_dir: PathBuf,
    /// `VAR=value` arguments for make.
    pub make_vars: Vec<String>,
    /// Where compiled outputs go (keyed by platform, version, toolchain, flags).
    pub build_dir: PathBuf,
    /// Where the flashable artifacts go (`target/<platform>`).
    pub artifacts_dir: PathBuf,
    pub app_dir: Option<PathBuf>,
    pub app_name: Option<String>,
    pub dfu_ids: (u16, u16),
    pub make: String,
    /// Empty `.cpp` files to create for the dry run only (in source roots that hold nothing but
    /// `.ino` sketches), so that make lists the compile command pbuild templates sketches from.
    pub probes: Vec<PathBuf>,
}

/// Steps parsed from a dry run, before the app's compiles are turned into templates.
#[derive(Debug, Default)]
pub struct Parsed {
    pub steps: Vec<PlanStep>,
    pub ignored: Vec<String>,
    pub compiles_listed: usize,
}

/// Run make's forced dry run and return what it printed (stdout and stderr merged, in order).
///
/// On an empty build directory even a forced dry run stops: a link needs `lib*.a` files that only a
/// recursive sub-make would create, and in a dry run nothing is created ("No rule to make target
/// '…/libservices.a'"). So a first `-k` pass collects those names, pbuild creates empty placeholders
/// for them (only below the tree or the app directory, only where no file exists), runs the dry run
/// again, and removes exactly the files and directories it created.
///
/// make's build directory is a new empty one (`BUILD_PATH_BASE`), not `<tree>/build/target`: what
/// make left there (its `.o.d` files are read by `-include`) changes what a dry run lists, and an
/// import must not depend on it. The dry run's text then names `<tree>/build/target` again, where
/// make would have put those files, and which the plan maps into pbuild's build directory.
pub fn dry_run(ctx: &ImportContext) -> Result<String> {
    let scratch = tempfile::Builder::new()
        .prefix("pbuild-import-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let base = scratch.path().join("target");
    let mut ctx = ctx.clone();
    ctx.make_vars
        .push(format!("BUILD_PATH_BASE={}", base.display()));
    let mut created = Placeholders::default();
    let result = ctx
        .probes
        .iter()
        .try_for_each(|p| created.create(p))
        .and_then(|()| dry_run_with_placeholders(&ctx, &mut created, scratch.path()));
    created.remove();
    let tree_target = ctx.tree_root.join("build").join("target");
    result.map(|text| {
        text.replace(
            &base.display().to_string(),
            &tree_target.display().to_string(),
        )
    })
}

fn dry_run_with_placeholders(
    ctx: &ImportContext,
    created: &mut Placeholders,
    scratch: &Path,
) -> Result<String> {
    for _round in 0..4 {
        let (ok, text) = run_make(ctx, &["-k"])?;
        if ok {
            return Ok(text);
        }
        let missing: Vec<PathBuf> = missing_targets(ctx, &text)
            .into_iter()
            .filter(|p| !p.exists())
            .filter(|p| {
                p.starts_with(scratch)
                    || p.starts_with(&ctx.tree_root)
                    || ctx.app_dir.as_ref().is_some_and(|a| p.starts_with(a))
            })
            .collect();
        if missing.is_empty() {
            return Err(import_failure(ctx, &text));
        }
        for p in missing {
            created.create(&p)?;
        }
    }
    let (_, text) = run_make(ctx, &[])?;
    Err(import_failure(ctx, &text))
}

fn import_failure(ctx: &ImportContext, text: &str) -> Error {
    let (text, _) = split_makefile_list(text);
    let first = text
        .lines()
        .find(|l| l.contains("***"))
        .unwrap_or("make exited with an error")
        .trim()
        .to_string();
    Error::Import {
        message: format!(
            "`{} -n -B -C {} {} all`: {first}",
            ctx.make,
            ctx.make_dir.display(),
            ctx.make_vars.join(" ")
        ),
        output: text.to_string(),
    }
}

/// Printed by every make of the dry run as it starts, with its directory (an `--eval`, which
/// make passes on to the makes it starts).
const MAKE_START: &str = "PBUILD-MAKE-START ";
/// Printed by every make once it has read all its makefiles: its directory and `MAKEFILE_LIST`.
/// make expands `VPATH` right after reading the makefiles (GNU make's `build_vpath_lists`), so a
/// recursive `VPATH` set by `--eval` prints then and is empty afterwards, as it was. A makefile
/// that sets `VPATH` itself silences it; `split_makefile_list` then knows the list is incomplete.
const MAKE_READ: &str = "PBUILD-MAKEFILES ";

fn run_make(ctx: &ImportContext, extra: &[&str]) -> Result<(bool, String)> {
    let mut args: Vec<String> = vec!["-n".into(), "-B".into()];
    args.push(format!("--eval=$(info {MAKE_START}$(CURDIR))"));
    args.push(format!(
        "--eval=VPATH = $(info {MAKE_READ}$(CURDIR) $(MAKEFILE_LIST))"
    ));
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push("-C".into());
    args.push(ctx.make_dir.display().to_string());
    args.extend(ctx.make_vars.iter().cloned());
    args.push("all".into());
    let out = duct::cmd(&ctx.make, &args)
        .env("LC_ALL", "C")
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .stderr_to_stdout()
        .stdout_capture()
        .unchecked()
        .run()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::ToolMissing {
                tool: ctx.make.clone(),
                kind: crate::error::ToolKind::Make,
            },
            _ => Error::Import {
                message: format!("could not run {}: {e}", ctx.make),
                output: String::new(),
            },
        })?;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

/// The dry run's output without the lines pbuild's `--eval`s printed, and the makefiles the makes
/// read (each resolved against its make's directory), or `None` when that list may be incomplete:
/// a make that started but did not print its list, a name that is not a file.
pub fn split_makefile_list(text: &str) -> (String, Option<Vec<PathBuf>>) {
    let mut rest = String::with_capacity(text.len());
    let mut started = 0usize;
    let mut read = 0usize;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut complete = true;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if bare.starts_with(MAKE_START) {
            started += 1;
        } else if let Some(list) = bare.strip_prefix(MAKE_READ) {
            read += 1;
            let mut words = list.split_whitespace();
            let Some(dir) = words.next() else {
                complete = false;
                continue;
            };
            for w in words {
                let p = normalize(&resolve(Path::new(dir), w));
                if !p.is_file() {
                    complete = false;
                }
                if !files.contains(&p) {
                    files.push(p);
                }
            }
        } else {
            rest.push_str(line);
        }
    }
    files.sort();
    let complete = complete && started > 0 && started == read;
    (rest, complete.then_some(files))
}

/// Files make said it has no rule for, resolved against the directory make was in.
fn missing_targets(ctx: &ImportContext, text: &str) -> Vec<PathBuf> {
    let mut dirs = vec![ctx.make_dir.clone()];
    let mut found = Vec::new();
    for line in text.lines() {
        if let Some((entering, dir)) = directory_change(line) {
            if entering {
                dirs.push(normalize(&dir));
            } else if dirs.len() > 1 {
                dirs.pop();
            }
            continue;
        }
        let Some(rest) = line.split("No rule to make target ").nth(1) else {
            continue;
        };
        let name = rest
            .trim_start_matches(['\'', '`'])
            .split(['\'', '`'])
            .next()
            .unwrap_or("");
        if !name.is_empty() {
            let cwd = dirs.last().cloned().unwrap_or_else(|| ctx.make_dir.clone());
            let p = resolve(&cwd, name);
            if !found.contains(&p) {
                found.push(p);
            }
        }
    }
    found
}

/// Empty files (and their new directories) created so that a dry run can get through; removed afterwards.
#[derive(Default)]
struct Placeholders {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl Placeholders {
    fn create(&mut self, path: &Path) -> Result<()> {
        let mut new_dirs = Vec::new();
        let mut d = path.parent();
        while let Some(dir) = d {
            if dir.exists() {
                break;
            }
            new_dirs.push(dir.to_path_buf());
            d = dir.parent();
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        self.dirs.extend(new_dirs);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        self.files.push(path.to_path_buf());
        Ok(())
    }

    fn remove(&mut self) {
        for f in self.files.drain(..) {
            let _ = std::fs::remove_file(f);
        }
        // Deepest first; only directories that are empty again.
        self.dirs
            .sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        for d in self.dirs.drain(..) {
            let _ = std::fs::remove_dir(d);
        }
    }
}

/// Join backslash-continued lines into logical command lines.
fn logical_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        if let Some(stripped) = line.strip_suffix('\\') {
            cur.push_str(stripped);
            cur.push_str("\\\n");
        } else {
            cur.push_str(line);
            lines.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

fn directory_change(line: &str) -> Option<(bool, PathBuf)> {
    let rest = line.strip_prefix("make")?;
    let rest = rest.split_once(": ")?.1;
    let (entering, rest) = if let Some(r) = rest.strip_prefix("Entering directory ") {
        (true, r)
    } else if let Some(r) = rest.strip_prefix("Leaving directory ") {
        (false, r)
    } else {
        return None;
    };
    let path = rest
        .trim()
        .trim_matches(|c| c == '\'' || c == '`' || c == '"');
    Some((entering, PathBuf::from(path)))
}

/// gcc options whose value is the next word.
const VALUE_OPTIONS: &[&str] = &[
    "-o",
    "-MF",
    "-MT",
    "-MQ",
    "-include",
    "-imacros",
    "-isystem",
    "-iquote",
    "-idirafter",
    "-iprefix",
    "-iwithprefix",
    "-I",
    "-D",
    "-U",
    "-x",
    "-T",
    "-L",
    "-l",
    "-e",
    "-u",
    "-Xlinker",
    "-Xassembler",
    "-Xpreprocessor",
    "--param",
    "-aux-info",
    "-z",
    "-wrapper",
];
const SOURCE_EXTS: &[&str] = &["c", "cc", "cpp", "cxx", "c++", "C", "S", "s", "sx"];
const LAUNCHERS: &[&str] = &["ccache", "sccache", "distcc", "icecc"];

/// What makes two commands the same step: the directory and every word (inputs already resolved).
fn command_key(cwd: &Path, argv: &[String]) -> String {
    format!("{}\0{}", cwd.display(), argv.join("\0"))
}

/// `KIND file-name`, how archive and link steps are shown.
fn file_label(kind: &str, path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{kind} {name}")
}

fn tool_name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

fn is_compiler(tool: &str) -> bool {
    !is_archiver(tool)
        && (tool.ends_with("gcc")
            || tool.ends_with("g++")
            || tool.ends_with("clang")
            || tool.ends_with("clang++")
            || matches!(tool, "cc" | "c++")
            || tool.contains("gcc-")
            || tool.contains("g++-"))
}

fn is_archiver(tool: &str) -> bool {
    tool == "ar" || tool.ends_with("-ar") || tool.ends_with("gcc-ar")
}

/// Split `-oFILE`, `--output=FILE` and `-MFFILE` into two words and spell `--output` as `-o`, so
/// outputs are always the word after `-o`/`-MF`.
fn separate_joined(argv: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    for (i, w) in argv.into_iter().enumerate() {
        if i > 0 {
            if w == "--output" {
                out.push("-o".into());
                continue;
            }
            if let Some(rest) = w.strip_prefix("--output=") {
                out.push("-o".into());
                out.push(rest.to_string());
                continue;
            }
            if let Some(rest) = w.strip_prefix("-MF").filter(|r| !r.is_empty()) {
                out.push("-MF".into());
                out.push(rest.to_string());
                continue;
            }
            if let Some(rest) = w.strip_prefix("-o").filter(|r| !r.is_empty()) {
                out.push("-o".into());
                out.push(rest.to_string());
                continue;
            }
        }
        out.push(w);
    }
    out
}

/// Indexes of words that are option values (the word after `-o`, `-I`, …).
fn value_positions(argv: &[String], first: usize) -> Vec<bool> {
    let mut is_value = vec![false; argv.len()];
    let mut i = first;
    while i < argv.len() {
        if VALUE_OPTIONS.contains(&argv[i].as_str()) && i + 1 < argv.len() {
            is_value[i + 1] = true;
            i += 2;
        } else {
            i += 1;
        }
    }
    is_value
}

fn option_value(argv: &[String], name: &str) -> Option<usize> {
    argv.iter()
        .position(|w| w == name)
        .map(|i| i + 1)
        .filter(|&i| i < argv.len())
}

struct Produced {
    mapped: PathBuf,
}

struct Importer<'a> {
    ctx: &'a ImportContext,
    producer: HashMap<PathBuf, Produced>,
    seen: HashMap<(PathBuf, String), usize>,
    variants: HashMap<PathBuf, u32>,
    parsed: Parsed,
}

pub fn parse(ctx: &ImportContext, text: &str) -> Result<Parsed> {
    let mut imp = Importer {
        ctx,
        producer: HashMap::new(),
        seen: HashMap::new(),
        variants: HashMap::new(),
        parsed: Parsed::default(),
    };
    let mut dirs: Vec<PathBuf> = vec![ctx.make_dir.clone()];
    for line in logical_lines(text) {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some((entering, dir)) = directory_change(trimmed) {
            if entering {
                dirs.push(normalize(&dir));
            } else if dirs.len() > 1 {
                dirs.pop();
            }
            continue;
        }
        if trimmed.starts_with("make:") || trimmed.starts_with("make[") {
            continue;
        }
        let cwd = dirs.last().cloned().unwrap_or_else(|| ctx.make_dir.clone());
        imp.command(trimmed, &cwd);
    }
    Ok(imp.parsed)
}

impl Importer<'_> {
    fn ignore(&mut self, line: &str) {
        self.parsed.ignored.push(line.to_string());
    }

    fn command(&mut self, line: &str, cwd: &Path) {
        let Some(argv) = shell::split(line) else {
            return self.ignore(line);
        };
        if argv.is_empty() {
            return;
        }
        let first = usize::from(LAUNCHERS.contains(&tool_name(&argv[0])) && argv.len() > 1);
        let tool = tool_name(&argv[first]).to_string();
        if matches!(tool.as_str(), "make" | "gmake") {
            return;
        }
        let argv = separate_joined(argv);
        if is_archiver(&tool) {
            return self.archive(line, argv, first, cwd);
        } else if is_compiler(&tool) {
            if argv.iter().any(|w| w == "-c") {
                self.parsed.compiles_listed += 1;
                return self.compile(line, argv, first, cwd);
            }
            if argv.iter().any(|w| w == "-o") {
                return self.link(line, argv, first, cwd);
            }
        } else if tool.ends_with("objcopy") {
            let binary = argv.windows(2).any(|w| w[0] == "-O" && w[1] == "binary")
                || argv.iter().any(|w| w == "--output-target=binary");
            if binary {
                return self.image(line, argv, cwd);
            }
        }
        self.ignore(line)
    }

    fn map_output(&self, orig: &Path, variant: u32) -> PathBuf {
        let rel = if let Ok(r) = orig.strip_prefix(&self.ctx.tree_root) {
            Path::new("tree").join(r)
        } else if let Some(r) = self
            .ctx
            .app_dir
            .as_ref()
            .and_then(|a| orig.strip_prefix(a).ok())
        {
            Path::new("app").join(r)
        } else {
            Path::new("abs").join(orig.strip_prefix("/").unwrap_or(orig))
        };
        let base = if variant == 0 {
            self.ctx.build_dir.clone()
        } else {
            self.ctx.build_dir.join(format!("v{variant}"))
        };
        base.join(rel)
    }

    /// If `path` was produced by an earlier step: its mapped location.
    fn produced(&self, path: &Path) -> Option<&Produced> {
        self.producer.get(path)
    }

    /// Register a step (or find the identical one already registered); returns the variant to use.
    /// `key` identifies the command with its inputs resolved; `outputs` are original paths.
    fn add_step(
        &mut self,
        key: String,
        outputs: &[PathBuf],
        build: impl FnOnce(&Self, u32) -> PlanStep,
    ) {
        let primary = outputs[0].clone();
        if let Some(&idx) = self.seen.get(&(primary.clone(), key.clone())) {
            let mapped = self.parsed.steps[idx].outputs.clone();
            for (orig, m) in outputs.iter().zip(mapped) {
                self.producer.insert(orig.clone(), Produced { mapped: m });
            }
            return;
        }
        let variant = {
            let n = self.variants.entry(primary.clone()).or_insert(0);
            let v = *n;
            *n += 1;
            v
        };
        let step = build(self, variant);
        let idx = self.parsed.steps.len();
        for (orig, mapped) in outputs.iter().zip(step.outputs.iter()) {
            self.producer.insert(
                orig.clone(),
                Produced {
                    mapped: mapped.clone(),
                },
            );
        }
        self.parsed.steps.push(step);
        self.seen.insert((primary, key), idx);
    }

    fn compile(&mut self, line: &str, mut argv: Vec<String>, first: usize, cwd: &Path) {
        let is_value = value_positions(&argv, first + 1);
        let Some(out_i) = option_value(&argv, "-o") else {
            return self.ignore(line);
        };
        let src_i = (first + 1..argv.len()).rev().find(|&i| {
            !is_value[i]
                && !argv[i].starts_with('-')
                && Path::new(&argv[i])
                    .extension()
                    .is_some_and(|e| SOURCE_EXTS.contains(&e.to_string_lossy().as_ref()))
        });
        let Some(src_i) = src_i else {
            return self.ignore(line);
        };
        let out = resolve(cwd, &argv[out_i]);
        let src = resolve(cwd, &argv[src_i]);
        // Make the depfile explicit, so it is known where gcc writes it.
        let dep_i = match option_value(&argv, "-MF") {
            Some(i) => i,
            None => {
                if !argv.iter().any(|w| w == "-MD" || w == "-MMD") {
                    argv.push("-MD".into());
                }
                argv.push("-MF".into());
                argv.push(format!("{}.d", argv[out_i].trim_end_matches(".o")));
                argv.len() - 1
            }
        };
        let dep = resolve(cwd, &argv[dep_i]);
        let src_mapped = self.produced(&src).map(|p| p.mapped.clone());
        if let Some(m) = &src_mapped {
            argv[src_i] = m.display().to_string();
        }
        let key = command_key(cwd, &argv);
        let label = format!("CC {}", crate::paths::shown(&src, &self.ctx.tree_root));
        let cwd = cwd.to_path_buf();
        self.add_step(key, &[out.clone(), dep.clone()], |imp, variant| {
            let out_m = imp.map_output(&out, variant);
            let dep_m = imp.map_output(&dep, variant);
            argv[out_i] = out_m.display().to_string();
            argv[dep_i] = dep_m.display().to_string();
            PlanStep::command(
                StepKind::Compile,
                cwd,
                argv,
                vec![src_mapped.unwrap_or(src)],
                vec![out_m, dep_m.clone()],
                Some(dep_m),
                label,
            )
        });
    }

    fn archive(&mut self, line: &str, mut argv: Vec<String>, first: usize, cwd: &Path) {
        // ar OPERATION ARCHIVE MEMBER...
        let ops = first + 1;
        let ar_i = ops + 1;
        if argv.len() <= ar_i {
            return self.ignore(line);
        }
        let out = resolve(cwd, &argv[ar_i]);
        let mut inputs = Vec::new();
        for w in argv.iter_mut().skip(ar_i + 1) {
            let p = resolve(cwd, w);
            match self.produced(&p) {
                Some(prod) => {
                    *w = prod.mapped.display().to_string();
                    inputs.push(prod.mapped.clone());
                }
                None => inputs.push(p),
            }
        }
        let key = command_key(cwd, &argv);
        let label = file_label("AR", &out);
        let cwd = cwd.to_path_buf();
        self.add_step(key, std::slice::from_ref(&out), |imp, variant| {
            let out_m = imp.map_output(&out, variant);
            argv[ar_i] = out_m.display().to_string();
            PlanStep::command(
                StepKind::Archive,
                cwd,
                argv,
                inputs,
                vec![out_m],
                None,
                label,
            )
        });
    }

    fn link(&mut self, line: &str, mut argv: Vec<String>, first: usize, cwd: &Path) {
        let Some(out_i) = option_value(&argv, "-o") else {
            return self.ignore(line);
        };
        let out = resolve(cwd, &argv[out_i]);
        let is_value = value_positions(&argv, first + 1);
        let mut lib_dirs: Vec<PathBuf> = Vec::new();
        for (i, w) in argv.iter().enumerate() {
            if let Some(d) = w.strip_prefix("-L") {
                let d = if d.is_empty() {
                    argv.get(i + 1).map(String::as_str).unwrap_or("")
                } else {
                    d
                };
                lib_dirs.push(resolve(cwd, d));
            }
        }
        let mut inputs = Vec::new();
        let mut map_arg = None;
        // `-L` dirs where earlier steps produce archives point at pbuild's copies of them: ld may pick
        // archives up implicitly (a `--specs` file adding `-lnewlib_nano`, say).
        let mut expanded_l: Vec<(usize, Vec<String>)> = Vec::new();
        for (i, w) in argv.iter().enumerate().skip(first + 1) {
            let Some(d) = w.strip_prefix("-L").filter(|d| !d.is_empty()) else {
                continue;
            };
            let dir = resolve(cwd, d);
            let mut archives: Vec<&PathBuf> = self
                .producer
                .iter()
                .filter(|(orig, _)| {
                    orig.parent() == Some(dir.as_path())
                        && orig.extension().is_some_and(|e| e == "a")
                })
                .map(|(_, prod)| &prod.mapped)
                .collect();
            archives.sort();
            let mut dirs: Vec<String> = Vec::new();
            for a in archives {
                inputs.push(a.clone());
                let parent = format!("-L{}", a.parent().unwrap_or(Path::new("/")).display());
                if !dirs.contains(&parent) {
                    dirs.push(parent);
                }
            }
            if !dirs.is_empty() {
                expanded_l.push((i, dirs));
            }
        }
        for i in first + 1..argv.len() {
            let w = argv[i].clone();
            if i == out_i {
                continue;
            }
            if let Some(name) = w.strip_prefix("-l").filter(|n| !n.is_empty()) {
                let file = format!("lib{name}.a");
                for d in &lib_dirs {
                    let cand = d.join(&file);
                    if let Some(prod) = self.produced(&cand) {
                        argv[i] = prod.mapped.display().to_string();
                        inputs.push(prod.mapped.clone());
                        break;
                    }
                    if cand.is_file() {
                        inputs.push(cand);
                        break;
                    }
                }
                continue;
            }
            let script = match w.strip_prefix("-T") {
                Some("") => None,
                Some(s) => Some(s.to_string()),
                None if i > 0 && argv[i - 1] == "-T" => Some(w.clone()),
                None => None,
            };
            if let Some(s) = script {
                let p = resolve(cwd, &s);
                inputs.extend(linker_script_inputs(&p, cwd, &lib_dirs));
                continue;
            }
            if let Some(rest) = w.strip_prefix("-Wl,") {
                let parts: Vec<&str> = rest.split(',').collect();
                if let Some(pos) = parts
                    .iter()
                    .position(|p| *p == "-Map" || p.starts_with("-Map="))
                {
                    map_arg = Some((w.clone(), pos));
                }
                continue;
            }
            if is_value[i] || w.starts_with('-') {
                continue;
            }
            let p = resolve(cwd, &w);
            if let Some(prod) = self.produced(&p) {
                argv[i] = prod.mapped.display().to_string();
                inputs.push(prod.mapped.clone());
            } else if p.is_file() {
                inputs.push(p);
            }
        }
        for (i, dirs) in expanded_l.into_iter().rev() {
            argv.splice(i..=i, dirs);
        }
        let out_i = option_value(&argv, "-o").expect("-o is still there");
        let map_arg = map_arg.and_then(|(word, pos): (String, usize)| {
            Some((argv.iter().position(|w| *w == word)?, pos))
        });
        let key = command_key(cwd, &argv);
        let label = file_label("LINK", &out);
        let cwd = cwd.to_path_buf();
        self.add_step(key, std::slice::from_ref(&out), |imp, variant| {
            let out_m = imp.map_output(&out, variant);
            argv[out_i] = out_m.display().to_string();
            if let Some((i, pos)) = map_arg {
                let rest = argv[i].trim_start_matches("-Wl,").to_string();
                let mut parts: Vec<String> = rest.split(',').map(String::from).collect();
                let map_file = out_m.with_extension("map").display().to_string();
                if parts[pos] == "-Map" && pos + 1 < parts.len() {
                    parts[pos + 1] = map_file;
                } else {
                    parts[pos] = format!("-Map={map_file}");
                }
                argv[i] = format!("-Wl,{}", parts.join(","));
            }
            PlanStep::command(StepKind::Link, cwd, argv, inputs, vec![out_m], None, label)
        });
    }

    fn image(&mut self, line: &str, argv: Vec<String>, cwd: &Path) {
        let files: Vec<&String> = argv
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(i, w)| {
                !(w.starts_with('-') || ["-O", "-j", "-R"].contains(&argv[i - 1].as_str()))
            })
            .map(|(_, w)| w)
            .collect();
        let [input, output] = files.as_slice() else {
            return self.ignore(line);
        };
        let elf_orig = resolve(cwd, input);
        let Some(elf) = self.produced(&elf_orig).map(|p| p.mapped.clone()) else {
            return self.ignore(line);
        };
        let bin_orig = resolve(cwd, output.trim_end_matches(".pre_crc"));
        let stem = bin_orig
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "module".into());
        let module = self.module_name(cwd, &stem);
        let name = if module == "user-part" {
            self.ctx.app_name.clone().unwrap_or(stem)
        } else {
            module.clone()
        };
        let dir = &self.ctx.artifacts_dir;
        let spec = ImageSpec {
            module: module.clone(),
            elf: elf.clone(),
            bin: dir.join(format!("{name}.bin")),
            dfu: dir.join(format!("{name}.dfu")),
            elf_copy: dir.join(format!("{name}.elf")),
            vid: self.ctx.dfu_ids.0,
            pid: self.ctx.dfu_ids.1,
        };
        let key = format!("image\0{}", elf.display());
        let outputs = [bin_orig];
        self.add_step(key, &outputs, |_, _| PlanStep {
            kind: StepKind::Image,
            cwd: cwd.to_path_buf(),
            argv: Vec::new(),
            inputs: vec![elf],
            outputs: vec![spec.bin.clone(), spec.dfu.clone(), spec.elf_copy.clone()],
            depfile: None,
            label: format!("IMAGE {module}"),
            takes_app_objects: false,
            image: Some(spec),
        });
    }

    /// The module a step belongs to: the directory under `modules/<platform>/`, or `user-part` for `main/`.
    fn module_name(&self, cwd: &Path, stem: &str) -> String {
        let modules = self.ctx.tree_root.join("modules");
        if let Ok(rel) = cwd.strip_prefix(&modules)
            && let Some(dir) = rel.components().nth(1)
        {
            return dir.as_os_str().to_string_lossy().into_owned();
        }
        if cwd.starts_with(self.ctx.tree_root.join("main"))
            || self.ctx.app_name.as_deref() == Some(stem)
        {
            return "user-part".into();
        }
        stem.to_string()
    }
}

/// A linker script and the scripts it `INCLUDE`s (searched in its directory, the cwd and `-L` dirs).
fn linker_script_inputs(script: &Path, cwd: &Path, lib_dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![script.to_path_buf()];
    while let Some(path) = todo.pop() {
        if found.contains(&path) || found.len() > 64 {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        found.push(path.clone());
        for line in text.lines() {
            let Some(rest) = line.trim().strip_prefix("INCLUDE") else {
                continue;
            };
            let name = rest.trim().trim_end_matches(';').trim().trim_matches('"');
            if name.is_empty() {
                continue;
            }
            let dirs = std::iter::once(path.parent().unwrap_or(cwd).to_path_buf())
                .chain(std::iter::once(cwd.to_path_buf()))
                .chain(lib_dirs.iter().cloned());
            if let Some(p) = dirs.map(|d| resolve(&d, name)).find(|p| p.is_file()) {
                todo.push(p);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_makefile_lists_are_taken_out_of_the_dry_run_and_resolved() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("main")).unwrap();
        std::fs::create_dir_all(d.join("build")).unwrap();
        for f in ["main/makefile", "build/a.mk", "build/b.mk"] {
            std::fs::write(d.join(f), "").unwrap();
        }
        let main = d.join("main").display().to_string();
        let build = d.join("build").display().to_string();
        let text = format!(
            "{MAKE_START}{main}\nmake: Entering directory '{main}'\n{MAKE_READ}{main} makefile ../build/a.mk\n\
             gcc -c x.c\n{MAKE_START}{build}\n{MAKE_READ}{build} makefile\n{MAKE_READ}{build} a.mk b.mk {main}/makefile\n"
        );
        // Three lists for two starts: a make that printed twice (restarted after remaking a
        // makefile) is fine only if the counts match; here they do not.
        let (rest, files) = split_makefile_list(&text);
        assert_eq!(
            rest,
            format!("make: Entering directory '{main}'\ngcc -c x.c\n")
        );
        assert_eq!(files, None, "more lists than makes");

        let text = format!(
            "{MAKE_START}{main}\n{MAKE_READ}{main} makefile ../build/a.mk\ngcc -c x.c\n\
             {MAKE_START}{build}\n{MAKE_READ}{build} a.mk b.mk {main}/makefile\n"
        );
        let (rest, files) = split_makefile_list(&text);
        assert_eq!(rest, "gcc -c x.c\n");
        assert_eq!(
            files.unwrap(),
            [
                d.join("build/a.mk"),
                d.join("build/b.mk"),
                d.join("main/makefile")
            ]
        );

        // A make that set VPATH itself never printed its list: not complete.
        let silent = format!("{MAKE_START}{main}\n{MAKE_START}{build}\n{MAKE_READ}{build} a.mk\n");
        assert_eq!(split_makefile_list(&silent).1, None);
        // A name that is not a file (a path with a space, split in two): not complete.
        let odd = format!("{MAKE_START}{build}\n{MAKE_READ}{build} a.mk no such.mk\n");
        assert_eq!(split_makefile_list(&odd).1, None);
        // No make printed anything (another make, not GNU make): not complete.
        assert_eq!(split_makefile_list("gcc -c x.c\n").1, None);
    }

    fn ctx() -> ImportContext {
        ImportContext {
            tree_root: "/t".into(),
            make_dir: "/t/modules".into(),
            make_vars: vec![],
            build_dir: "/b".into(),
            artifacts_dir: "/a/photon".into(),
            app_dir: Some("/t/user/applications/blink".into()),
            app_name: Some("blink".into()),
            probes: Vec::new(),
            dfu_ids: (0x2b04, 0xd006),
            make: "make".into(),
        }
    }

    const DRY: &str = "\
make: Entering directory '/t/modules'
make[1]: Entering directory '/t/modules/photon/system-part1'
make[2]: Entering directory '/t/wiring'
arm-none-eabi-gcc -DMODULE_INDEX=1 -c -o ../build/target/wiring/a.o src/a.c -MD -MP -MF ../build/target/wiring/a.o.d
arm-none-eabi-ar -cr ../build/target/wiring/libwiring.a ../build/target/wiring/a.o
make[2]: Leaving directory '/t/wiring'
arm-none-eabi-gcc -T ../../../build/none.ld -o ../../../build/target/p1/p1.elf ../../../build/target/p1/start.o -L../../../build/target/wiring -lwiring -Wl,-Map,../../../build/target/p1/p1.map
echo ok
arm-none-eabi-objcopy -O binary ../../../build/target/p1/p1.elf ../../../build/target/p1/p1.bin.pre_crc
if [ -s x ]; then \\
  crc32 x | xxd -r -p; \\
fi
make[1]: Leaving directory '/t/modules/photon/system-part1'
make[1]: Entering directory '/t/modules/photon/system-part2'
make[2]: Entering directory '/t/wiring'
arm-none-eabi-gcc -DMODULE_INDEX=2 -c -o ../build/target/wiring/a.o src/a.c -MD -MP -MF ../build/target/wiring/a.o.d
arm-none-eabi-ar -cr ../build/target/wiring/libwiring.a ../build/target/wiring/a.o
make[2]: Leaving directory '/t/wiring'
make[2]: Entering directory '/t/wiring'
arm-none-eabi-gcc -DMODULE_INDEX=2 -c -o ../build/target/wiring/a.o src/a.c -MD -MP -MF ../build/target/wiring/a.o.d
arm-none-eabi-ar -cr ../build/target/wiring/libwiring.a ../build/target/wiring/a.o
make[2]: Leaving directory '/t/wiring'
arm-none-eabi-gcc -o ../../../build/target/p2/p2.elf -L../../../build/target/wiring -lwiring
make[1]: Leaving directory '/t/modules/photon/system-part2'
";

    #[test]
    fn variants_per_command_and_links_use_the_latest() {
        let p = parse(&ctx(), DRY).unwrap();
        let kinds: Vec<StepKind> = p.steps.iter().map(|s| s.kind).collect();
        use StepKind::*;
        // The third wiring compile is identical to the second and is kept once.
        assert_eq!(
            kinds,
            vec![Compile, Archive, Link, Image, Compile, Archive, Link]
        );
        assert_eq!(p.compiles_listed, 3);
        assert_eq!(
            p.steps[0].outputs[0],
            Path::new("/b/tree/build/target/wiring/a.o")
        );
        assert_eq!(
            p.steps[4].outputs[0],
            Path::new("/b/v1/tree/build/target/wiring/a.o")
        );
        assert_eq!(p.steps[0].cwd, Path::new("/t/wiring"));
        // Each link reads the archive variant built for its own module.
        assert!(
            p.steps[2]
                .argv
                .contains(&"/b/tree/build/target/wiring/libwiring.a".to_string())
        );
        assert!(
            p.steps[6]
                .argv
                .contains(&"/b/v1/tree/build/target/wiring/libwiring.a".to_string())
        );
        assert!(
            p.steps[2]
                .argv
                .contains(&"-Wl,-Map,/b/tree/build/target/p1/p1.map".to_string())
        );
        let img = p.steps[3].image.as_ref().unwrap();
        assert_eq!(img.module, "system-part1");
        assert_eq!(img.bin, Path::new("/a/photon/system-part1.bin"));
        assert_eq!(img.elf, Path::new("/b/tree/build/target/p1/p1.elf"));
        assert!(p.ignored.iter().any(|l| l.starts_with("if [ -s x ]")));
        assert!(p.ignored.iter().any(|l| l == "echo ok"));
    }
}
