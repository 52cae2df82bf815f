//! Which arm-none-eabi-gcc builds a tree: the one Particle builds that Device OS version with
//! (toolchains.toml `gcc`) when it can be found, else what is on PATH; and how that tree's own
//! compiler check in `build/arm-tools.mk` will judge it.
//!
//! Deciding costs no process: a compiler is chosen by where it is (the Workbench directory
//! is named by its version); versions are asked of gcc only when a plan is imported.

use std::path::{Path, PathBuf};

use super::platform::parse_version;
use super::project::Located;
use super::workbench;
use crate::error::{Error, Result};

/// The compiler a build runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiler {
    /// What runs: `arm-none-eabi-gcc` (found on PATH) or `<dir>/arm-none-eabi-gcc`.
    pub gcc: String,
    /// The directory make is given as `GCC_ARM_PATH` when pbuild chose it (a `toolchain`
    /// setting or Workbench's copy); `None` when make finds the same compiler by itself.
    pub make_dir: Option<PathBuf>,
    /// Where the choice came from: `PATH`, `GCC_ARM_PATH`, `project.toml:L:C (toolchain)`,
    /// `Workbench (~/.particle/toolchains/gcc-arm/9.2.1)`.
    pub origin: String,
    /// The version Particle builds this Device OS with (toolchains.toml), if the table knows it.
    pub particle: Option<String>,
}

/// Chooses the compiler: `GCC_ARM_PATH` (make reads it by itself), then a `toolchain` setting (a
/// version Workbench installed, or a directory), then Particle's version for the tree from
/// Workbench, then PATH.
pub fn choose(toolchain: Option<&Located<String>>, particle: Option<&str>) -> Result<Compiler> {
    let prefix = crate::tool::gcc_prefix();
    let particle = particle.map(str::to_string);
    if std::env::var_os("GCC_ARM_PATH").is_some_and(|d| !d.is_empty()) {
        return Ok(Compiler {
            gcc: crate::tool::compiler(),
            make_dir: None,
            origin: "GCC_ARM_PATH".into(),
            particle,
        });
    }
    if let Some(t) = toolchain {
        let bin = setting_dir(&t.value, &prefix).map_err(|looked| Error::Config {
            location: t.location.clone(),
            message: format!(
                "`toolchain = {:?}`: no {prefix}gcc in {}",
                t.value,
                looked.display()
            ),
            suggestion: Some(installed_hint(&prefix)),
        })?;
        return Ok(chosen(
            bin,
            &prefix,
            format!("{} (toolchain)", t.location),
            particle,
        ));
    }
    if let Some(v) = &particle
        && let Some((_, bin)) = workbench::compilers(&prefix)
            .into_iter()
            .find(|(have, _)| have == v)
    {
        let origin = format!("Workbench ({})", bin.parent().unwrap_or(&bin).display());
        return Ok(chosen(bin, &prefix, origin, particle));
    }
    Ok(Compiler {
        gcc: crate::tool::compiler(),
        make_dir: None,
        origin: "PATH".into(),
        particle,
    })
}

fn chosen(bin: PathBuf, prefix: &str, origin: String, particle: Option<String>) -> Compiler {
    Compiler {
        gcc: bin.join(format!("{prefix}gcc")).display().to_string(),
        make_dir: Some(bin),
        origin,
        particle,
    }
}

/// `toolchain = "9.2.1"` (Workbench's `gcc-arm/9.2.1/bin`) or a directory (its `bin/`, or
/// itself); the place looked at when there is no compiler.
fn setting_dir(value: &str, prefix: &str) -> std::result::Result<PathBuf, PathBuf> {
    let has = |d: &Path| d.join(format!("{prefix}gcc")).is_file();
    if parse_version(value).is_some() && !value.contains('/') {
        let bin = workbench::toolchains_dir()
            .unwrap_or_else(|| PathBuf::from("~/.particle/toolchains"))
            .join("gcc-arm")
            .join(value)
            .join("bin");
        return if has(&bin) { Ok(bin) } else { Err(bin) };
    }
    let dir = crate::paths::absolute(Path::new(value));
    [dir.join("bin"), dir.clone()]
        .into_iter()
        .find(|d| has(d))
        .ok_or(dir)
}

/// What Workbench has installed, for a hint.
pub fn installed_hint(prefix: &str) -> String {
    let found: Vec<String> = workbench::compilers(prefix)
        .into_iter()
        .map(|(v, _)| v)
        .collect();
    match found.is_empty() {
        true => "give a compiler version Particle Workbench installed (~/.particle/toolchains/gcc-arm/<version>), or the directory of a GNU Arm toolchain".into(),
        false => format!("installed by Workbench: {}", found.join(", ")),
    }
}

/// How a tree's `build/arm-tools.mk` checks the compiler version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeCheck {
    /// As numbers (v2.1+ except 3.0.0, and trees without a check): it agrees with pbuild's.
    Numeric,
    /// As text (`test "$(arm_gcc_version_str)" \< "$(expected_version)"`, v0.4.4–v2.0.x and
    /// v3.0.0): "12.2.1" is then older than "5.3.1". `expected` is the version it asks for.
    Text { file: PathBuf, expected: String },
}

/// The make variables that let a text check through without touching the tree: `expected_version`
/// below every version as text, and `NANO_SUFFIX` empty (the same file's text test against 4.9.0
/// would pick the newlib-nano names of gcc 4.8).
pub const TEXT_CHECK_VARS: [&str; 2] = ["expected_version=0", "NANO_SUFFIX="];

impl TreeCheck {
    pub fn of(tree: &Path) -> TreeCheck {
        let file = tree.join("build/arm-tools.mk");
        let Ok(text) = std::fs::read_to_string(&file) else {
            return TreeCheck::Numeric;
        };
        if !text.contains("$(lt) $(quote)$(expected_version)$(quote)") {
            return TreeCheck::Numeric;
        }
        let expected = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("expected_version:="))
            .map(|v| v.trim().to_string())
            .unwrap_or_default();
        TreeCheck::Text { file, expected }
    }

    /// True when this check refuses `found` although it is not older than what it asks for.
    pub fn wrongly_refuses(&self, found: &str) -> bool {
        match self {
            TreeCheck::Numeric => false,
            // `test a \< b` compares bytes (digits sort alike in every locale).
            TreeCheck::Text { expected, .. } => {
                found < expected.as_str()
                    && matches!((parse_version(found), parse_version(expected)), (Some(f), Some(e)) if f >= e)
            }
        }
    }
}

/// Where to get gcc `version` so that pbuild uses it: the one piece of advice the build's note,
/// doctor and the text-check hint all give.
pub fn how_to_get(version: &str) -> String {
    format!(
        "Particle Workbench installs gcc {version} in ~/.particle/toolchains/gcc-arm/{version}, where pbuild finds it; or set `toolchain = \"<its directory>\"` in project.toml"
    )
}

/// What a compiler of version `found` means for a tree: refused by pbuild (too old), stopped by
/// the tree's own check, or fine; and a note when it is not the one Particle uses. Shared by the
/// build and `doctor`, so doctor predicts what the build does.
pub fn judge(s: &super::Settings, found: &str) -> Result<Option<String>> {
    let device_os = &s.tree.version_string;
    if let Some(needed) = s.table.gcc_min_for(device_os)
        && let (Some(f), Some(n)) = (parse_version(found), parse_version(needed))
        && f < n
    {
        return Err(Error::ToolTooOld {
            tool: s.compiler.gcc.clone(),
            found: found.to_string(),
            needed: needed.to_string(),
            device_os: device_os.clone(),
        });
    }
    let check = TreeCheck::of(&s.tree.root);
    if !s.numeric_gcc_check
        && check.wrongly_refuses(found)
        && let TreeCheck::Text { file, expected } = check
    {
        return Err(Error::TreeGccCheck {
            file,
            device_os: device_os.clone(),
            found: found.to_string(),
            expected,
            particle: s.compiler.particle.clone(),
        });
    }
    Ok(match &s.compiler.particle {
        Some(p) if parse_version(p) != parse_version(found) => Some(format!(
            "note: Particle builds Device OS {device_os} with gcc {p}; this build uses gcc {found} ({}, from {}), whose code differs in size and bytes from Particle's. {}",
            s.compiler.gcc,
            s.compiler.origin,
            how_to_get(p)
        )),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_check_refuses_gcc_10_to_19_and_not_the_compiler_particle_uses() {
        let dir = tempfile::tempdir().unwrap();
        let mk = dir.path().join("build/arm-tools.mk");
        std::fs::create_dir_all(mk.parent().unwrap()).unwrap();
        // The lines of Device OS v1.5.2's build/arm-tools.mk.
        std::fs::write(
            &mk,
            "arm_gcc_version_str:=$(strip $(shell $(CC) -dumpversion))\nexpected_version:=5.3.1\nifeq ($(shell test $(quote)$(arm_gcc_version_str)$(quote) $(lt) $(quote)$(expected_version)$(quote); echo $$?),0)\n",
        )
        .unwrap();
        let check = TreeCheck::of(dir.path());
        assert_eq!(
            check,
            TreeCheck::Text {
                file: mk.clone(),
                expected: "5.3.1".into()
            }
        );
        assert!(check.wrongly_refuses("12.2.1"));
        assert!(check.wrongly_refuses("10.3.1"));
        assert!(!check.wrongly_refuses("5.3.1"));
        assert!(!check.wrongly_refuses("9.2.1"));
        assert!(
            !check.wrongly_refuses("4.9.3"),
            "really older: refused rightly"
        );
        // v2.3.1's numeric check.
        std::fs::write(&mk, "expected_version_str:=9.2.1\nifeq ($(shell test $(arm_gcc_version) -lt $(call version_to_number,$(expected_version_str)); echo $$?),0)\n").unwrap();
        assert_eq!(TreeCheck::of(dir.path()), TreeCheck::Numeric);
        assert!(!TreeCheck::of(dir.path()).wrongly_refuses("12.2.1"));
    }
}
