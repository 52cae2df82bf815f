//! Where one build works: the directory make describes (`<tree>/main` or `<tree>/modules`), the
//! variables it gets, and pbuild's own directories — the build directory keyed by platform,
//! Device OS version, target, compiler and variables (so switching any of them never reuses a
//! stale object), the artifacts directory and the plan store. Also the fingerprint of
//! everything the build description depends on, which names the plan.

use std::path::{Path, PathBuf};

use crate::config::{App, Settings};
use crate::error::Result;
use crate::plan::PLAN_VERSION;
use crate::tree::Makefiles;

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

pub struct BuildDirs {
    pub make_dir: PathBuf,
    pub make_vars: Vec<String>,
    pub build_dir: PathBuf,
    /// Where the user finds the images (`target/<platform>`): copies of the ones in
    /// [`BuildDirs::images_dir`], published after a successful build.
    pub artifacts_dir: PathBuf,
    pub plans_dir: PathBuf,
}

impl BuildDirs {
    /// Where this build's image steps write: one per build directory, so that `main` and
    /// `modules` (two build directories) never take turns rewriting one file, which made each
    /// switch between them rerun the image step (cargo's `deps/` and uplifting, for the same reason).
    pub fn images_dir(&self) -> PathBuf {
        self.build_dir.join("images")
    }

    /// The build log of this build directory (`work::db`).
    pub fn db_path(&self) -> PathBuf {
        self.build_dir.join("db")
    }

    /// The directories of a build of `s` with the app `app` (the settings' app, perhaps behind a
    /// make-safe link) and the compiler at `gcc`.
    pub fn of(s: &Settings, app: Option<&App>, gcc: &Path) -> Result<BuildDirs> {
        let platform = s.platform()?;
        let mut make_vars = vec![format!("PLATFORM_ID={}", platform.id)];
        if let Some(a) = app {
            make_vars.push(if a.by_name {
                format!("APP={}", a.name)
            } else {
                format!("APPDIR={}", a.dir.display())
            });
            make_vars.extend(a.layout.make_vars());
        }
        // The compiler pbuild chose (a `toolchain` setting, Workbench's copy): make runs it too.
        if let Some(dir) = &s.compiler.make_dir {
            make_vars.push(format!("GCC_ARM_PATH={}/", dir.display()));
        }
        // Asked for: the tree's text comparison of gcc versions let through (pbuild compares).
        if s.numeric_gcc_check
            && matches!(
                crate::config::compiler::TreeCheck::of(&s.tree.root),
                crate::config::compiler::TreeCheck::Text { .. }
            )
        {
            make_vars.extend(crate::config::compiler::TEXT_CHECK_VARS.map(String::from));
        }
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(s.tree.root.as_os_str().as_encoded_bytes());
        h.update(s.tree.version_string.as_bytes());
        // main and modules number their variants differently: separate directories keep them
        // from trading files.
        h.update(s.target.name().as_bytes());
        h.update(crate::tool::identity_of(gcc).as_bytes());
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
        Ok(BuildDirs {
            make_dir: s.tree.root.join(s.target.name()),
            make_vars,
            build_dir: state.join("build").join(key),
            artifacts_dir: s.target_dir.join(&platform.name),
            plans_dir: state.join("plans"),
        })
    }

    /// The fingerprint of what the build description depends on, but for the tree's makefiles:
    /// pbuild itself, these directories and variables, the app's own makefiles, the compiler,
    /// make, and the app's layout (`exts`).
    pub fn fingerprint_base(
        &self,
        s: &Settings,
        app: Option<&App>,
        gcc: &Path,
        make: Option<&Path>,
        exts: &[String],
    ) -> u64 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(&PLAN_VERSION.to_le_bytes());
        // A rebuilt pbuild may import differently: its own identity is part of the fingerprint.
        h.update(crate::tool::own_identity().as_bytes());
        for p in [&self.make_dir, &self.build_dir, &self.artifacts_dir] {
            h.update(p.as_os_str().as_encoded_bytes());
            h.update(b"\0");
        }
        for v in &self.make_vars {
            h.update(v.as_bytes());
            h.update(b"\0");
        }
        if let Some(a) = app.filter(|a| !a.dir.starts_with(&s.tree.root)) {
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
        h.update(crate::tool::identity_of(gcc).as_bytes());
        if let Some(m) = make {
            h.update(crate::tool::identity_of(m).as_bytes());
        }
        for e in exts {
            h.update(e.as_bytes());
            h.update(b"\0");
        }
        h.digest()
    }

    /// The fingerprint of what the build description depends on: the base above and every
    /// makefile of the tree (`Tree::makefile_hashes`). A plan is valid for one fingerprint.
    pub fn fingerprint(base: u64, makefiles: &Makefiles) -> String {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(&base.to_le_bytes());
        for (m, hash) in &makefiles.hashes {
            h.update(m.as_os_str().as_encoded_bytes());
            h.update(&hash.to_le_bytes());
        }
        format!("{:016x}", h.digest())
    }

    /// The no-op record of this build directory (`build::noop`).
    pub fn noop_path(&self) -> PathBuf {
        self.build_dir.join("noop")
    }
}
