//! Running one step: spawn the tool with its output redirected to a temp file, then rename it into
//! place; or make the module image natively. Unaware of the graph and of dirtiness.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cache::Cache;
use crate::fsutil::{temp_path, write_atomic};
use crate::plan::{ImageSpec, PlanStep, StepKind};
use crate::work::{Runner, StepResult};

/// Runs steps for real: through the content cache when there is one, compiles through the
/// launcher (ccache, sccache, distcc, icecc) when one is set. pbuild's cache is asked first; the
/// launcher only sees the compiles it misses.
#[derive(Default)]
pub struct RealRunner {
    pub cache: Option<Cache>,
    pub launcher: Vec<String>,
}

impl RealRunner {
    pub fn for_settings(s: &crate::config::Settings) -> RealRunner {
        RealRunner {
            cache: s
                .cache
                .as_ref()
                .map(|(dir, limit)| Cache::open(dir, *limit, &s.target_dir)),
            launcher: s.launcher.clone(),
        }
    }
}

impl Runner for RealRunner {
    fn run(&self, step: &PlanStep) -> StepResult {
        let started = crate::work::now_ns();
        let key = self.cache.as_ref().and_then(|c| c.key(step));
        if let (Some(c), Some(k)) = (&self.cache, &key)
            && c.restore(k, step)
        {
            return StepResult {
                ok: true,
                output: String::new(),
                cached: true,
            };
        }
        let result = match step.kind {
            StepKind::Image => match &step.image {
                Some(spec) => make_image(spec),
                None => Err("image step without a spec".to_string()),
            },
            StepKind::Sketch => preprocess_sketch(step),
            StepKind::Compile if crate::plan::app::is_pch(step) => {
                run_command(step, &self.launcher).map(|t| drop_pragma_once_warning(&t))
            }
            StepKind::Compile => run_command(step, &self.launcher),
            _ => run_command(step, &[]),
        };
        if let (Ok(_), Some(c), Some(k)) = (&result, &self.cache, &key) {
            c.store(k, step, started);
        }
        match result {
            Ok(output) => StepResult {
                ok: true,
                output,
                cached: false,
            },
            Err(output) => StepResult {
                ok: false,
                output,
                cached: false,
            },
        }
    }
}

fn fail(msg: impl Into<String>) -> Result<String, String> {
    Err(msg.into())
}

fn run_command(step: &PlanStep, launcher: &[String]) -> Result<String, String> {
    for out in &step.outputs {
        if let Some(dir) = out.parent()
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            return fail(format!("pbuild: cannot create {}: {e}", dir.display()));
        }
    }
    // Every output the command names (the object and gcc's depfile) is written under a temp name
    // of this process and renamed when the tool succeeds: a killed build, or a compiler it left
    // running, can never leave a half-written file where a later build looks.
    let primary = &step.outputs[0];
    let tmp = temp_path(primary);
    let mut renames: Vec<(String, PathBuf, PathBuf)> = Vec::new();
    for out in &step.outputs {
        let t = temp_path(out);
        let _ = std::fs::remove_file(&t);
        renames.push((out.display().to_string(), t, out.clone()));
    }
    let argv: Vec<String> = launcher
        .iter()
        .cloned()
        .chain(step.argv.iter().map(|w| {
            let named = renames.iter().find(|(word, _, out)| {
                w == word || (!w.starts_with('-') && crate::paths::resolve(&step.cwd, w) == *out)
            });
            match named {
                Some((_, t, _)) => t.display().to_string(),
                None => w.clone(),
            }
        }))
        .collect();
    let Some((program, args)) = argv.split_first() else {
        return fail("pbuild: empty command");
    };
    let out = Command::new(program)
        .args(args)
        .current_dir(&step.cwd)
        .stdin(Stdio::null())
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return fail(format!(
                "pbuild: cannot run `{program}`: not found on PATH\n  hint: run `pbuild doctor`; on Debian: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib"
            ));
        }
        Err(e) => return fail(format!("pbuild: cannot run `{program}`: {e}")),
    };
    let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    if !out.status.success() {
        for (_, t, _) in &renames {
            let _ = std::fs::remove_file(t);
        }
        text.push_str(&describe_failure(program, &out.status));
        return Err(text);
    }
    if let Err(e) = std::fs::rename(&tmp, primary) {
        let _ = std::fs::remove_file(&tmp);
        return fail(format!(
            "{text}pbuild: `{program}` did not write {}: {e}",
            primary.display()
        ));
    }
    for (_, t, out) in renames.iter().skip(1) {
        if t.exists() {
            let _ = std::fs::rename(t, out);
        }
    }
    Ok(text)
}

/// gcc warns "#pragma once in main file" when the header it precompiles has `#pragma once`,
/// although that is exactly how a header is meant to be precompiled. Drop that warning and its
/// source-context lines; everything else gcc says stays.
fn drop_pragma_once_warning(text: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in text.split_inclusive('\n') {
        if line
            .trim_end()
            .ends_with("warning: #pragma once in main file")
        {
            skipping = true;
            continue;
        }
        if skipping && line.starts_with(' ') {
            continue;
        }
        skipping = false;
        out.push_str(line);
    }
    out
}

fn describe_failure(program: &str, status: &std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let name = match sig {
                4 => " (SIGILL)",
                6 => " (SIGABRT)",
                9 => " (SIGKILL)",
                11 => " (SIGSEGV)",
                15 => " (SIGTERM)",
                _ => "",
            };
            return format!("pbuild: `{program}` was killed by signal {sig}{name}\n");
        }
    }
    match status.code() {
        Some(c) => format!("pbuild: `{program}` exited with status {c}\n"),
        None => format!("pbuild: `{program}` failed\n"),
    }
}

/// `.ino` → `.cpp` in the build directory; the sketch itself is never touched.
fn preprocess_sketch(step: &PlanStep) -> Result<String, String> {
    let (Some(ino), Some(cpp)) = (step.inputs.first(), step.outputs.first()) else {
        return fail("pbuild: sketch step without input or output");
    };
    let bytes =
        std::fs::read(ino).map_err(|e| format!("pbuild: cannot read {}: {e}", ino.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let out = crate::ino::preprocess(&text, &ino.display().to_string());
    write_atomic(cpp, out.as_bytes()).map_err(|e| format!("pbuild: {e}"))?;
    Ok(String::new())
}

/// The native replacement for Device OS's `%.bin` and `%.dfu` recipes, plus a copy of the ELF.
fn make_image(spec: &ImageSpec) -> Result<String, String> {
    let elf = std::fs::read(&spec.elf)
        .map_err(|e| format!("pbuild: cannot read {}: {e}", spec.elf.display()))?;
    let bin = crate::image::make_module_image(&elf)
        .map_err(|e| format!("pbuild: {}: {e}", spec.elf.display()))?;
    let dfu = crate::image::dfu::add_dfu_suffix(&bin, spec.vid, spec.pid);
    let write =
        |path: &Path, bytes: &[u8]| write_atomic(path, bytes).map_err(|e| format!("pbuild: {e}"));
    write(&spec.elf_copy, &elf)?;
    write(&spec.dfu, &dfu)?;
    write(&spec.bin, &bin)?;
    Ok(String::new())
}
