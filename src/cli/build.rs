//! `pbuild build` and `pbuild clean`: running a build with the live progress display, and how
//! its result is shown (a summary and the artifacts, or cargo-style JSON lines).

use std::time::Instant;

use serde_json::json;

use super::Ctx;
use super::args::{BuildArgs, CleanArgs};
use super::progress::Progress;
use crate::build::{self, BuildOptions, BuildOutput};
use crate::config::Settings;
use crate::error::{Error, Result};

/// Run a build with the live progress display (warnings from project.toml first).
pub(crate) fn build_with_progress(
    s: &Settings,
    quiet: bool,
    verbose: bool,
    explain: bool,
    trace: Option<&std::path::Path>,
) -> Result<BuildOutput> {
    let mut progress = Progress::new(quiet, verbose, explain);
    for w in &s.warnings {
        progress.line(&super::term::warning(w));
    }
    if verbose {
        progress.line(&format!(
            "Device OS {} at {} (from {})",
            s.tree.version_string,
            s.tree.root.display(),
            s.tree_origin
        ));
        if let (Some(p), Some(origin)) = (&s.platform, &s.platform_origin) {
            progress.line(&format!("platform {} (from {origin})", p.name));
        }
        progress.line(&format!(
            "compiler {} (from {})",
            s.compiler.gcc, s.compiler.origin
        ));
    }
    // -q hides what the build says (importing, waiting for the lock), but not the timings that
    // PBUILD_TIMINGS=1 asked for.
    let mut say = |m: &str| {
        if !quiet || m.starts_with("timings:") {
            eprintln!("{m}")
        }
    };
    let result = build::build(
        s,
        BuildOptions {
            reporter: &mut progress,
            say: &mut say,
            trace,
        },
    );
    progress.done();
    result
}

/// The JSON line of one artifact.
pub(crate) fn artifact_json(a: &build::Artifact) -> serde_json::Value {
    json!({"reason": "artifact", "module": a.module, "platform": a.platform,
           "bin": a.bin, "elf": a.elf, "dfu": a.dfu})
}

pub(crate) fn build(ctx: &Ctx<'_>, args: &BuildArgs) -> Result<()> {
    let mut o = ctx.overrides.clone();
    o.jobs = args.jobs;
    o.target = args.target.map(Into::into);
    let s = ctx.settings(&o)?;
    let json = ctx.json();
    let started = Instant::now();
    let result = build_with_progress(
        &s,
        ctx.quiet(),
        ctx.verbose(),
        args.explain,
        ctx.cli.global.trace.as_deref(),
    );
    let platform = s.platform()?.name.clone();
    let elapsed = started.elapsed().as_secs_f64();
    let out = match result {
        Ok(out) => out,
        Err(e) => {
            if json {
                outln!(
                    "{}",
                    json!({"reason": "build-finished", "success": false, "error": e.to_string()})
                );
            }
            return Err(e);
        }
    };
    let o = &out.outcome;
    if json && o.failed.is_empty() {
        for a in &out.artifacts {
            outln!("{}", artifact_json(a));
        }
        outln!(
            "{}",
            json!({"reason": "build-finished", "success": true,
                   "steps_run": o.ran, "steps_total": o.total, "imported": out.imported,
                   "from_cache": o.cached, "shared_variants": o.shared, "seconds": elapsed})
        );
    } else if json {
        // No artifact lines: the files there are the last good ones, not this build's.
        outln!(
            "{}",
            json!({"reason": "build-finished", "success": false,
                   "error": Error::BuildFailed { failed: o.failed.len() }.to_string(),
                   "failed": o.failed, "steps_run": o.ran, "steps_total": o.total,
                   "seconds": elapsed})
        );
    }
    if !o.failed.is_empty() {
        return Err(Error::BuildFailed {
            failed: o.failed.len(),
        });
    }
    if !json && !ctx.quiet() {
        let what = format!("{platform} {}", s.target.name());
        if o.ran == 0 {
            eprintln!(
                "Up to date ({what}): 0 of {} steps needed to run ({elapsed:.2}s)",
                o.total
            );
        } else {
            let mut notes = Vec::new();
            if o.cached > 0 {
                notes.push(format!("{} from the cache", o.cached));
            }
            if o.shared > 0 {
                notes.push(format!(
                    "{} compiled once for an equivalent variant",
                    o.shared
                ));
            }
            let cached = if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join(", "))
            };
            eprintln!(
                "Finished {what} in {elapsed:.2}s: {} of {} steps ran{cached}",
                o.ran, o.total
            );
        }
        for a in &out.artifacts {
            let size = std::fs::metadata(&a.bin).map(|m| m.len()).unwrap_or(0);
            eprintln!("  {:<13} {} ({size} bytes)", a.module, ctx.shown(&a.bin));
        }
    }
    Ok(())
}

pub(crate) fn clean(ctx: &Ctx<'_>, args: &CleanArgs) -> Result<()> {
    let s = ctx.settings(&ctx.overrides)?;
    let quiet = ctx.quiet();
    let mut say = |m: &str| {
        if !quiet {
            eprintln!("{m}");
        }
    };
    let removed = build::clean(&s, args.all, args.tree_outputs, &mut say)?;
    if ctx.json() {
        outln!(
            "{}",
            json!({"reason": "clean-finished", "removed": removed})
        );
    } else if !ctx.quiet() {
        if removed.is_empty() {
            eprintln!("Nothing to clean");
        }
        for p in removed {
            eprintln!("Removed {}", ctx.shown(&p));
        }
    }
    Ok(())
}
