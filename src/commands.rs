//! What each subcommand does with the library, and how its results are shown (human or JSON lines).

use std::path::Path;
use std::time::Instant;

use serde_json::json;

use crate::build::{self, BuildOptions};
use crate::cli::{BuildArgs, CleanArgs, Cli, Command, MessageFormat, TargetArg};
use crate::config::{Overrides, Settings, Target};
use crate::error::{Error, Result};
use crate::progress::Progress;

pub fn run(cli: Cli) -> Result<()> {
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    let g = &cli.global;
    let mut o = Overrides {
        platform: g.platform.clone(),
        app: g.app.clone(),
        appdir: g.appdir.clone(),
        tree: g.tree.clone(),
        target_dir: g.target_dir.clone(),
        no_cache: g.no_cache,
        launcher: g.launcher.clone(),
        no_pch: g.no_pch,
        no_wait: g.no_wait,
        ..Overrides::default()
    };
    match &cli.command {
        Command::Build(args) => {
            o.jobs = args.jobs;
            o.target = args.target.map(|t| match t {
                TargetArg::Main => Target::Main,
                TargetArg::Modules => Target::Modules,
            });
            let settings = Settings::load(&o, &cwd)?;
            build_cmd(&cli, args, &settings)
        }
        Command::Clean(args) => {
            let settings = Settings::load(&o, &cwd)?;
            clean_cmd(&cli, args, &settings)
        }
        Command::Flash(args) => crate::commands_flash::flash(&cli, args, o, &cwd),
        Command::Device(args) => crate::commands_flash::device(&cli, args),
        Command::Inspect(args) => crate::commands_flash::inspect(&cli, args),
        Command::Sim(sim) => crate::commands_flash::sim(&cli, sim),
        Command::Watch(args) => crate::watch::watch(&cli, args, o, &cwd),
        Command::Doctor(args) => crate::commands_doctor::doctor(&cli, args, o, &cwd),
        Command::Completions(args) => crate::commands_doctor::completions(args),
        Command::New(args) => new_cmd(&cli, args),
        Command::Preprocess(args) => preprocess_cmd(args, &cwd),
        Command::Cache(c) => cache_cmd(&cli, c, &o, &cwd),
    }
}

fn cache_cmd(
    cli: &Cli,
    c: &crate::cli::CacheCommand,
    o: &Overrides,
    cwd: &std::path::Path,
) -> Result<()> {
    let json = cli.global.message_format == MessageFormat::Json;
    // The limit may come from project.toml; without a project the defaults serve.
    let file = crate::config::ProjectFile::find(cwd)
        .map(|p| crate::config::ProjectFile::load(&p))
        .transpose()?;
    let Some((dir, limit)) = crate::config::cache_settings(o, file.as_ref())? else {
        return Err(Error::Other(
            "the content cache is off (--no-cache, PBUILD_CACHE=0 or `cache = false`), or there is no HOME to put it in: set PBUILD_CACHE_DIR".into(),
        ));
    };
    match c {
        crate::cli::CacheCommand::Stats => {
            let st = crate::cache::stats(&dir, limit);
            if json {
                println!(
                    "{}",
                    json!({"reason": "cache-stats", "dir": st.dir, "entries": st.entries,
                           "bytes": st.bytes, "limit": st.limit, "hits": st.hits,
                           "misses": st.misses, "stores": st.stores})
                );
            } else {
                let lookups = st.hits + st.misses;
                let rate = if lookups > 0 {
                    format!(" ({:.0}% hits)", 100.0 * st.hits as f64 / lookups as f64)
                } else {
                    String::new()
                };
                println!("cache dir   {}", st.dir.display());
                println!(
                    "size        {} of {} ({} entries)",
                    human_bytes(st.bytes),
                    human_bytes(st.limit),
                    st.entries
                );
                println!(
                    "lookups     {} hits, {} misses{rate}; {} stored",
                    st.hits, st.misses, st.stores
                );
            }
        }
        crate::cli::CacheCommand::Clear => {
            let freed = crate::cache::clear(&dir)?;
            if json {
                println!(
                    "{}",
                    json!({"reason": "cache-cleared", "dir": dir, "bytes": freed})
                );
            } else if !cli.global.quiet {
                eprintln!("Cleared {} ({})", dir.display(), human_bytes(freed));
            }
        }
    }
    Ok(())
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn preprocess_cmd(args: &crate::cli::PreprocessArgs, cwd: &std::path::Path) -> Result<()> {
    let file = cwd.join(&args.file);
    if let Some(out) = &args.output
        && std::fs::canonicalize(cwd.join(out)).ok() == std::fs::canonicalize(&file).ok()
    {
        return Err(Error::Other(format!(
            "{}: the output would overwrite the sketch; give another -o",
            out.display()
        )));
    }
    let bytes = std::fs::read(&file).map_err(|e| Error::io(&file, e))?;
    let text = crate::ino::preprocess(
        &String::from_utf8_lossy(&bytes),
        &file.display().to_string(),
    );
    match &args.output {
        Some(out) => crate::fsutil::write_atomic(&cwd.join(out), text.as_bytes()),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// Show an error: `error:` and `hint:` lines on stderr; with `--message-format json` also an
/// `error` object on stdout, so a tool reading JSON lines learns why a command failed.
pub fn report_error(e: &Error, json: bool) {
    let hint = e.hint();
    eprint!(
        "{}",
        crate::term::error_lines(&e.to_string(), hint.as_deref())
    );
    if json {
        println!(
            "{}",
            json!({"reason": "error", "message": e.to_string(), "hint": hint, "exit_code": e.exit_code()})
        );
    }
}

fn new_cmd(cli: &Cli, args: &crate::cli::NewArgs) -> Result<()> {
    let g = &cli.global;
    let table = crate::config::Table::embedded();
    let platform = match &g.platform {
        Some(name) => Some(crate::new::platform(&table, name)?),
        None => None,
    };
    if let Some(tree) = &g.tree {
        crate::tree::Tree::open(tree)?;
    }
    let dir = crate::new::create(&crate::new::NewProject {
        path: &args.path,
        platform: platform.as_ref(),
        tree: g.tree.as_deref(),
        ino: args.ino,
    })?;
    if g.message_format == MessageFormat::Json {
        println!(
            "{}",
            json!({"reason": "project-created", "path": dir,
                   "platform": platform.as_ref().map(|p| p.name.clone())})
        );
        return Ok(());
    }
    if g.quiet {
        return Ok(());
    }
    let shown_dir = shown(&dir);
    eprintln!(
        "Created project `{}` in {shown_dir}{}",
        dir.file_name().unwrap_or_default().to_string_lossy(),
        platform
            .as_ref()
            .map(|p| format!(" for {}", p.name))
            .unwrap_or_default()
    );
    if platform.is_none() {
        eprintln!(
            "  set `platform` in {shown_dir}/project.toml (or pass --platform to each command)"
        );
    }
    let tree_known = g.tree.is_some()
        || std::env::var_os("DEVICE_OS_PATH").is_some_and(|v| !v.is_empty())
        || crate::tree::Tree::find_above(&dir).is_some();
    if !tree_known {
        eprintln!(
            "  set `tree` in {shown_dir}/project.toml to your Device OS checkout (or set DEVICE_OS_PATH)"
        );
    }
    eprintln!("Next: cd {shown_dir} && pbuild build");
    Ok(())
}

/// Run a build with the live progress display (warnings from project.toml first).
pub fn build_with_progress(
    s: &Settings,
    quiet: bool,
    verbose: bool,
    explain: bool,
) -> Result<build::BuildOutput> {
    let mut progress = Progress::new(quiet, verbose, explain);
    for w in &s.warnings {
        progress.line(&crate::term::warning(w));
    }
    // -q hides what the build says (importing, waiting for the lock), but not the timings that
    // PBUILD_TIMINGS=1 asked for.
    let mut say = |m: &str| {
        if !quiet || m.starts_with("timings:") {
            eprintln!("{m}")
        }
    };
    let runner = crate::task::RealRunner::for_settings(s);
    let result = build::build(
        s,
        BuildOptions {
            runner: &runner,
            reporter: &mut progress,
            say: &mut say,
        },
    );
    progress.done();
    if let Some(c) = &runner.cache {
        c.finish();
    }
    result
}

fn shown(p: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    crate::paths::shown(p, &cwd)
}

fn build_cmd(cli: &Cli, args: &BuildArgs, s: &Settings) -> Result<()> {
    let g = &cli.global;
    let json = g.message_format == MessageFormat::Json;
    let started = Instant::now();
    let result = build_with_progress(s, g.quiet, g.verbose, args.explain);
    let platform = s.platform()?.name.clone();
    let elapsed = started.elapsed().as_secs_f64();
    let out = match result {
        Ok(out) => out,
        Err(e) => {
            if json {
                println!(
                    "{}",
                    json!({"reason": "build-finished", "success": false, "error": e.to_string()})
                );
            }
            return Err(e);
        }
    };
    let o = &out.outcome;
    if json {
        for a in &out.artifacts {
            println!(
                "{}",
                json!({"reason": "artifact", "module": a.module, "platform": a.platform,
                       "bin": a.bin, "elf": a.elf, "dfu": a.dfu})
            );
        }
        println!(
            "{}",
            json!({"reason": "build-finished", "success": o.failed.is_empty(),
                   "steps_run": o.ran, "steps_total": o.total, "imported": out.imported,
                   "from_cache": o.cached, "seconds": elapsed})
        );
    }
    if !o.failed.is_empty() {
        return Err(Error::BuildFailed {
            failed: o.failed.len(),
        });
    }
    if !json && !g.quiet {
        let what = format!("{platform} {}", s.target.name());
        if o.ran == 0 {
            eprintln!(
                "Up to date ({what}): 0 of {} steps needed to run ({elapsed:.2}s)",
                o.total
            );
        } else {
            let cached = if o.cached > 0 {
                format!(" ({} from the cache)", o.cached)
            } else {
                String::new()
            };
            eprintln!(
                "Finished {what} in {elapsed:.2}s: {} of {} steps ran{cached}",
                o.ran, o.total
            );
        }
        for a in &out.artifacts {
            let size = std::fs::metadata(&a.bin).map(|m| m.len()).unwrap_or(0);
            eprintln!("  {:<13} {} ({size} bytes)", a.module, shown(&a.bin));
        }
    }
    Ok(())
}

fn clean_cmd(cli: &Cli, args: &CleanArgs, s: &Settings) -> Result<()> {
    let removed = build::clean(s, args.all)?;
    if cli.global.message_format == MessageFormat::Json {
        println!(
            "{}",
            json!({"reason": "clean-finished", "removed": removed})
        );
    } else if !cli.global.quiet {
        if removed.is_empty() {
            eprintln!("Nothing to clean");
        }
        for p in removed {
            eprintln!("Removed {}", shown(&p));
        }
    }
    Ok(())
}
