//! The programs pbuild runs: finding them on PATH, the compiler Device OS's makefiles call, and
//! what identifies a program (one function, [`identity`], used by the dirty check, the content
//! cache and the build-directory keys). Knows nothing of steps or builds.

use std::path::{Path, PathBuf};

use crate::fsutil::Stamp;

/// Find a program on PATH (or return it as is when it contains a slash and exists).
pub fn which(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        let p = PathBuf::from(name);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// What identifies the program `name` runs: its resolved path, mtime and size (or the bare name
/// when it is not found). Two runs with the same identity run the same program.
pub fn identity(name: &str) -> String {
    match which(name) {
        Some(p) => identity_of(&p),
        None => name.to_string(),
    }
}

/// The identity of the program at `path`: path, mtime and size.
pub fn identity_of(path: &Path) -> String {
    let s = Stamp::of(path);
    format!("{}\0{}\0{}", path.display(), s.mtime_ns, s.size)
}

/// The identity of this pbuild executable (it is the tool of the steps it does itself, and what
/// it imports from makefiles may change with it).
pub fn own_identity() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let exe = std::env::current_exe().unwrap_or_default();
        format!(
            "pbuild {}\0{}",
            env!("CARGO_PKG_VERSION"),
            identity_of(&exe)
        )
    })
}

/// `gcc -dumpfullversion -dumpversion` ("12.2.1"); `None` when it does not run.
pub fn compiler_version(gcc: &str) -> Option<String> {
    let out = std::process::Command::new(gcc)
        .args(["-dumpfullversion", "-dumpversion"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !v.is_empty()).then_some(v)
}

/// `GCC_PREFIX`, as Device OS's makefiles read it (`arm-none-eabi-` when unset).
pub fn gcc_prefix() -> String {
    std::env::var("GCC_PREFIX").unwrap_or_else(|_| "arm-none-eabi-".into())
}

/// The C compiler Device OS's makefiles will call (`$(GCC_ARM_PATH)arm-none-eabi-gcc`).
pub fn compiler() -> String {
    let prefix = gcc_prefix();
    match std::env::var("GCC_ARM_PATH") {
        Ok(dir) if !dir.is_empty() => format!("{}/{prefix}gcc", dir.trim_end_matches('/')),
        _ => format!("{prefix}gcc"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_changes_with_the_file_and_names_a_missing_tool_as_is() {
        let d = tempfile::tempdir().unwrap();
        let exe = d.path().join("tool");
        std::fs::write(&exe, "one").unwrap();
        let before = identity(&exe.display().to_string());
        assert!(before.starts_with(&exe.display().to_string()));
        std::fs::write(&exe, "three").unwrap();
        assert_ne!(identity(&exe.display().to_string()), before);
        assert_eq!(identity("/no/such/tool"), "/no/such/tool");
        assert_eq!(which("/no/such/tool"), None);
    }
}
