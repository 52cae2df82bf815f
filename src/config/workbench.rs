//! What Particle Workbench leaves on a machine, read so a Workbench project builds with no flags:
//! its Device OS trees and compilers under `~/.particle/toolchains/` (`deviceOS/<version>`,
//! `gcc-arm/<version>/bin`, the layout neopo uses too), and a project's `.vscode/settings.json`
//! (`particle.targetPlatform`, `particle.firmwareVersion`).

use std::path::{Path, PathBuf};

use super::platform::parse_version;
use super::project::Located;
use crate::error::{Error, Result};

/// The settings file Workbench writes into a project.
pub const VSCODE_SETTINGS: &str = ".vscode/settings.json";

/// `~/.particle/toolchains`, where Workbench installs Device OS trees and compilers.
pub fn toolchains_dir() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(".particle/toolchains"))
}

/// `<toolchains>/<kind>/<version>` directories, oldest version first.
fn versions(kind: &str) -> Vec<(String, PathBuf)> {
    let Some(dir) = toolchains_dir().map(|d| d.join(kind)) else {
        return Vec::new();
    };
    let mut found: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            parse_version(&name).map(|_| (name, e.path()))
        })
        .collect();
    found.sort_by_key(|(v, _)| parse_version(v));
    found
}

/// Device OS trees Workbench installed: (version, tree).
pub fn device_os_trees() -> Vec<(String, PathBuf)> {
    versions("deviceOS")
}

/// The tree Workbench keeps for Device OS `version`, and where it would be when it is missing.
pub fn device_os_tree(version: &str) -> std::result::Result<PathBuf, PathBuf> {
    let place = toolchains_dir()
        .unwrap_or_else(|| PathBuf::from("~/.particle/toolchains"))
        .join("deviceOS")
        .join(version);
    match place.is_dir() {
        true => Ok(place),
        false => Err(place),
    }
}

/// Compilers Workbench installed: (version, its `bin/` holding `<prefix>gcc`).
pub fn compilers(prefix: &str) -> Vec<(String, PathBuf)> {
    versions("gcc-arm")
        .into_iter()
        .map(|(v, d)| (v, d.join("bin")))
        .filter(|(_, bin)| bin.join(format!("{prefix}gcc")).is_file())
        .collect()
}

/// What a project's `.vscode/settings.json` says for Workbench.
#[derive(Debug, Clone, Default)]
pub struct VsCode {
    pub platform: Option<Located<String>>,
    pub device_os: Option<Located<String>>,
}

impl VsCode {
    /// Reads `<root>/.vscode/settings.json` (JSON with comments and trailing commas, as VS Code
    /// writes and reads it); `None` when there is none.
    pub fn load(root: &Path) -> Result<Option<VsCode>> {
        let path = root.join(VSCODE_SETTINGS);
        if !path.is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|e| Error::unreadable(&path, e))?;
        Self::parse(&path, &text).map(Some)
    }

    pub fn parse(path: &Path, text: &str) -> Result<VsCode> {
        let value: serde_json::Value =
            serde_json::from_str(&strip_jsonc(text)).map_err(|e| Error::Config {
                location: format!("{}:{}:{}", path.display(), e.line(), e.column()),
                message: format!("not valid JSON: {e}"),
                suggestion: Some(
                    "fix the file in VS Code (it marks the error), or pass --platform and --tree"
                        .into(),
                ),
            })?;
        let get = |key: &str| -> Result<Option<Located<String>>> {
            let location = format!("{} ({key})", path.display());
            match value.get(key) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(Some(Located {
                    value: s.trim().to_string(),
                    location,
                })),
                Some(serde_json::Value::Number(n)) => Ok(Some(Located {
                    value: n.to_string(),
                    location,
                })),
                Some(other) => Err(Error::Config {
                    location,
                    message: format!("`{key}` is {other}, not a name"),
                    suggestion: Some(
                        "choose it again in Workbench (Particle: Configure Project for Device)"
                            .into(),
                    ),
                }),
            }
        };
        Ok(VsCode {
            platform: get("particle.targetPlatform")?,
            device_os: get("particle.firmwareVersion")?,
        })
    }
}

/// JSON with comments (`//`, `/* */`) and trailing commas made plain JSON; strings untouched.
fn strip_jsonc(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
                out.extend_from_slice(&b[start..i]);
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    // Keep line breaks, so serde_json's line numbers stay the file's.
                    if b[i] == b'\n' {
                        out.push(b'\n');
                    }
                    i += 1;
                }
                i = (i + 2).min(b.len());
            }
            b',' => {
                let next = b[i + 1..].iter().find(|c| !c.is_ascii_whitespace());
                if !matches!(next, Some(b'}') | Some(b']')) {
                    out.push(b',');
                }
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_with_comments_and_trailing_commas_are_read() {
        let text = r#"{
    // Workbench's own comment
    "particle.targetPlatform": "p1", /* inline */
    "files.associations": { "*.ino": "cpp", },
    "particle.firmwareVersion": "2.3.1",
    "url": "http://example.com/a//b",
}
"#;
        let v = VsCode::parse(Path::new("/p/.vscode/settings.json"), text).unwrap();
        let p = v.platform.unwrap();
        assert_eq!(p.value, "p1");
        assert_eq!(
            p.location,
            "/p/.vscode/settings.json (particle.targetPlatform)"
        );
        assert_eq!(v.device_os.unwrap().value, "2.3.1");
        let none = VsCode::parse(Path::new("s.json"), "{}").unwrap();
        assert!(none.platform.is_none() && none.device_os.is_none());
    }

    #[test]
    fn a_broken_settings_file_names_its_line() {
        let e = VsCode::parse(
            Path::new("/p/.vscode/settings.json"),
            "{\n  /* a\n  comment */\n  \"particle.targetPlatform\": p1\n}\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("/p/.vscode/settings.json:4:"), "{e}");
        let e = VsCode::parse(
            Path::new("s.json"),
            r#"{"particle.targetPlatform": ["p1"]}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("not a name"), "{e}");
    }
}
