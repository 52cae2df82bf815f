//! The real [`Runner`]: what each kind of plan step means when it runs. Compiles go through the
//! content cache and then the launcher (ccache, sccache, distcc, icecc); archives and links
//! through the cache; images and sketches are made natively (`image`, `ino`). The engine hands
//! over a step id; the plan step with that index says what to do.

use std::path::Path;

use super::variants::Variants;
use crate::fsutil::write_atomic;
use crate::plan::{ImageSpec, PlanStep, StepKind};
use crate::stepcache::Cache;
use crate::work::jobserver::Jobserver;
use crate::work::task::{Failed, run_command};
use crate::work::{Runner, Step, StepId, StepResult, now_ns};

/// Runs the steps of one expanded plan for real.
pub struct RealRunner<'a> {
    /// The plan steps, index for index with the graph's steps.
    pub steps: &'a [PlanStep],
    pub cache: Option<&'a Cache>,
    pub launcher: &'a [String],
    /// The platform's slots (`toolchains.toml`): an image that does not fit its slot fails its step.
    pub slots: &'a [crate::config::platform::Slot],
    /// The compiler, named in a size failure (a newer gcc makes bigger code).
    pub compiler: &'a str,
    /// The gcc Particle builds this Device OS with (`toolchains.toml`; Workbench pins the same),
    /// and that version, for a size failure: `("2.3.1", "9.2.1")`.
    pub particle_gcc: Option<(&'a str, &'a str)>,
    /// Compile a source once for its equivalent variants (`variants`); off with `--exact-elf`.
    pub share_variants: bool,
    /// The plan's groups of variants, found when the first compile runs (a no-op needs none).
    pub variants: std::sync::OnceLock<Variants<'a>>,
}

impl RealRunner<'_> {
    /// What to say about code too big for its place: the compiler that made it and the one
    /// Particle uses for this Device OS.
    fn size_advice(&self) -> String {
        let used = match crate::tool::compiler_version(self.compiler) {
            Some(v) => format!("{} {v}", self.compiler),
            None => self.compiler.to_string(),
        };
        match self.particle_gcc {
            Some((dos, gcc)) => format!(
                "It was built with {used}; Particle builds Device OS {dos} with gcc {gcc}, and a newer gcc makes bigger code: use that version (`pbuild doctor` says which one pbuild found)"
            ),
            None => format!("It was built with {used}"),
        }
    }

    /// ld's "region `X' overflowed by N bytes", followed by what it means.
    fn explain_overflow(&self, output: String) -> String {
        match output.lines().find(|l| l.contains("overflowed by")) {
            Some(_) => format!(
                "{output}  hint: the module does not fit the flash region its linker script gives it. {}\n",
                self.size_advice()
            ),
            None => output,
        }
    }
}

impl Runner for RealRunner<'_> {
    /// A link that gcc runs with whole-program LTO (`-flto` as the last LTO word, no job count):
    /// its LTRANS jobs use lent slots through a make jobserver (`work::jobserver`).
    fn spreads(&self, id: StepId, _: &Step) -> bool {
        self.steps
            .get(id.0 as usize)
            .is_some_and(|p| p.kind == StepKind::Link && uses_lto_jobserver(&p.argv))
    }

    fn run(&self, id: StepId, _: &Step, slots: Option<&Jobserver>) -> StepResult {
        let Some(step) = self.steps.get(id.0 as usize) else {
            return StepResult::failed(format!(
                "pbuild: no plan step {}: this is a pbuild bug",
                id.0
            ));
        };
        let started = now_ns();
        // A precompiled header, made or used: the header file beside its `.gch` must be there.
        for gch in step.outputs.iter().chain(&step.inputs) {
            if gch.extension().is_some_and(|x| x == "gch")
                && let Err(e) = ensure_pch_wrapper(gch)
            {
                return StepResult::failed(e);
            }
        }
        let key = self.cache.and_then(|c| c.key(step));
        if let (Some(c), Some(k)) = (self.cache, &key)
            && c.restore(k, step)
        {
            return StepResult {
                cached: true,
                ..StepResult::done(String::new())
            };
        }
        let piped = piped(step);
        let command = |prefix: &[String]| {
            run_command(&step.cwd, &piped, &step.outputs, prefix, slots)
                .map_err(|f| describe(f, self.launcher))
        };
        let mut shared_from = None;
        let result = match step.kind {
            StepKind::Image => match &step.image {
                Some(spec) => make_image(spec, self.slots, &self.size_advice()),
                None => Err("image step without a spec".to_string()),
            },
            StepKind::Sketch => preprocess_sketch(step),
            StepKind::Compile if crate::plan::template::is_pch(step) => {
                command(self.launcher).map(|t| drop_pragma_once_warning(&t))
            }
            StepKind::Compile if self.share_variants => {
                let variants = self.variants.get_or_init(|| Variants::new(self.steps));
                let ran = variants.run(id.0 as usize, || command(self.launcher));
                shared_from = ran.shared_from.map(|i| where_else(&self.steps[i], step));
                ran.result
            }
            StepKind::Compile => command(self.launcher),
            _ => command(&[]).map_err(|out| self.explain_overflow(out)),
        };
        if let (Ok(_), Some(c), Some(k)) = (&result, self.cache, &key) {
            c.store(k, step, started);
        }
        match result {
            Ok(output) => StepResult {
                shared_from,
                ..StepResult::done(output)
            },
            Err(output) => StepResult::failed(output),
        }
    }
}

/// Whether gcc, given `argv`, would run LTRANS jobs through a make jobserver: the last of its
/// `-flto…`/`-fno-lto` words is `-flto`, `-flto=auto` or `-flto=jobserver` (a count, `-flto=4`,
/// fixes the jobs itself).
fn uses_lto_jobserver(argv: &[String]) -> bool {
    argv.iter()
        .rev()
        .find(|w| (w.starts_with("-flto") && !w.starts_with("-flto-")) || *w == "-fno-lto")
        .is_some_and(|w| matches!(w.as_str(), "-flto" | "-flto=auto" | "-flto=jobserver"))
}

/// The command as it runs: a compile gets gcc's `-pipe`, so the compiler hands its assembly to
/// the assembler through a pipe instead of a temp file. The object is the same (the driver does
/// not pass the option on, so it is not in the debug info's producer string either); the
/// compiles of a cold Device OS build took 13 % less time (16 real-tree compiles, 4.71 s → 4.09 s).
/// The cache key and the command shown with `-v` stay make's.
fn piped(step: &PlanStep) -> std::borrow::Cow<'_, [String]> {
    let compiles = step.kind == StepKind::Compile
        && step.argv.len() > 1
        && !step.argv.iter().any(|w| w == "-pipe" || w == "-E");
    if !compiles {
        return std::borrow::Cow::Borrowed(&step.argv);
    }
    let mut argv = step.argv.clone();
    argv.insert(1, "-pipe".into());
    std::borrow::Cow::Owned(argv)
}

/// Where `other`'s object is, shown from where it and `step`'s part ways
/// (`platform-6-m-prod-6/src/hw_config.o` for `platform-6-m/src/hw_config.o`).
fn where_else(other: &PlanStep, step: &PlanStep) -> String {
    let (Some(theirs), Some(mine)) = (other.outputs.first(), step.outputs.first()) else {
        return other.label.clone();
    };
    let common = theirs
        .components()
        .zip(mine.components())
        .take_while(|(a, b)| a == b)
        .count();
    theirs
        .components()
        .skip(common)
        .collect::<std::path::PathBuf>()
        .display()
        .to_string()
}

/// Writes the header beside a precompiled `.gch` unless it is there already
/// (`plan::template::pch_wrapper`).
fn ensure_pch_wrapper(gch: &Path) -> Result<(), String> {
    let Some((path, text)) = crate::plan::template::pch_wrapper(gch) else {
        return Ok(());
    };
    if std::fs::read(&path).is_ok_and(|b| b == text.as_bytes()) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("pbuild: cannot create {}: {e}\n", dir.display()))?;
    }
    crate::fsutil::write_atomic(&path, text.as_bytes())
        .map_err(|e| format!("pbuild: cannot write {}: {e}\n", path.display()))
}

/// A failed command's output, with what to do when the program itself is missing.
fn describe(f: Failed, launcher: &[String]) -> String {
    match f.missing_program {
        Some(p) if launcher.first() == Some(&p) => format!(
            "{}  hint: `{p}` is the launcher put before every compile (project.toml `launcher`, --launcher or PBUILD_LAUNCHER): install it or remove that setting\n",
            f.output
        ),
        Some(_) => format!(
            "{}  hint: run `pbuild doctor`; on Debian: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib",
            f.output
        ),
        None => f.output,
    }
}

/// Why `bin` (module `module`) does not fit the slot its header puts it in, if it does not.
fn too_big(
    bin: &[u8],
    module: &str,
    slots: &[crate::config::platform::Slot],
    advice: &str,
) -> Option<String> {
    let info = crate::image::find_module_info(bin).ok()?;
    let slot = slots.iter().find(|s| s.start == info.start)?;
    let end = u64::from(slot.start) + u64::from(slot.size);
    let len = bin.len() as u64;
    (u64::from(info.start) + len > end).then(|| {
        format!(
            "pbuild: {module} is {len} bytes from {:#010x}, but its slot ({} {}) ends at {end:#010x}: {} bytes too many. {advice}\n",
            info.start,
            slot.function,
            slot.index,
            u64::from(info.start) + len - end,
        )
    })
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

/// `.ino` → `.cpp` in the build directory; the sketch itself is never touched.
fn preprocess_sketch(step: &PlanStep) -> Result<String, String> {
    let (Some(ino), Some(cpp)) = (step.inputs.first(), step.outputs.first()) else {
        return Err("pbuild: sketch step without input or output".into());
    };
    let bytes =
        std::fs::read(ino).map_err(|e| format!("pbuild: cannot read {}: {e}", ino.display()))?;
    let out = crate::ino::preprocess(&bytes, &ino.display().to_string());
    write_atomic(cpp, &out).map_err(|e| format!("pbuild: {}: {e}", cpp.display()))?;
    Ok(String::new())
}

/// The native replacement for Device OS's `%.bin` and `%.dfu` recipes, plus a copy of the ELF.
fn make_image(
    spec: &ImageSpec,
    slots: &[crate::config::platform::Slot],
    advice: &str,
) -> Result<String, String> {
    let elf = std::fs::read(&spec.elf)
        .map_err(|e| format!("pbuild: cannot read {}: {e}", spec.elf.display()))?;
    let bin = crate::image::make_module_image(&elf)
        .map_err(|e| format!("pbuild: {}: {e}", spec.elf.display()))?;
    // Before anything is written: a module that does not fit its slot is never "built".
    if let Some(why) = too_big(&bin, &spec.module, slots, advice) {
        return Err(why);
    }
    let dfu = crate::image::dfu::add_dfu_suffix(&bin, spec.vid, spec.pid);
    let write = |path: &Path, bytes: &[u8]| {
        write_atomic(path, bytes).map_err(|e| format!("pbuild: {}: {e}", path.display()))
    };
    write(&spec.elf_copy, &elf)?;
    write(&spec.dfu, &dfu)?;
    write(&spec.bin, &bin)?;
    Ok(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_lto_link_without_a_job_count_uses_a_jobserver() {
        let w = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert!(uses_lto_jobserver(&w("g++ -Os -flto -o a.elf")));
        assert!(uses_lto_jobserver(&w("g++ -fno-lto -flto=auto -o a.elf")));
        assert!(uses_lto_jobserver(&w(
            "g++ -flto -flto-partition=one -o a.elf"
        )));
        assert!(!uses_lto_jobserver(&w("g++ -flto -fno-lto -o a.elf")));
        assert!(!uses_lto_jobserver(&w("g++ -flto=4 -o a.elf")));
        assert!(!uses_lto_jobserver(&w("g++ -Os -o a.elf")));
    }

    #[test]
    fn only_the_pragma_once_warning_and_its_context_are_dropped() {
        let text = "a.h:1:9: warning: #pragma once in main file\n    1 | #pragma once\n      |         ^~~~\nb.h:2: warning: other\n";
        assert_eq!(drop_pragma_once_warning(text), "b.h:2: warning: other\n");
    }
}
