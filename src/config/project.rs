//! `project.toml`: reading it with positions, so every value can say `project.toml:line:col`.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Result};

pub const FILE_NAME: &str = "project.toml";
const KEYS: &[&str] = &[
    "platform",
    "app",
    "appdir",
    "tree",
    "jobs",
    "target",
    "cache",
    "cache_size",
    "launcher",
    "pch",
    "compile_commands",
    "device_os",
    "toolchain",
    "numeric_gcc_check",
    "exact_elf",
];

#[derive(Debug, Default, Deserialize)]
struct Raw {
    platform: Option<Spanned<toml::Value>>,
    app: Option<Spanned<String>>,
    appdir: Option<Spanned<String>>,
    tree: Option<Spanned<String>>,
    jobs: Option<Spanned<u32>>,
    target: Option<Spanned<String>>,
    cache: Option<Spanned<bool>>,
    cache_size: Option<Spanned<toml::Value>>,
    launcher: Option<Spanned<String>>,
    pch: Option<Spanned<bool>>,
    compile_commands: Option<Spanned<bool>>,
    device_os: Option<Spanned<String>>,
    toolchain: Option<Spanned<String>>,
    numeric_gcc_check: Option<Spanned<bool>>,
    exact_elf: Option<Spanned<bool>>,
    #[serde(flatten)]
    unknown: std::collections::BTreeMap<String, toml::Value>,
}

/// A value from project.toml and where it stood.
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub value: T,
    pub location: String,
}

#[derive(Debug, Clone, Default)]
pub struct ProjectFile {
    pub path: PathBuf,
    pub platform: Option<Located<String>>,
    pub app: Option<Located<String>>,
    pub appdir: Option<Located<PathBuf>>,
    pub tree: Option<Located<PathBuf>>,
    pub jobs: Option<Located<u32>>,
    pub target: Option<Located<String>>,
    /// `cache = false` turns the content cache off for this project.
    pub cache: Option<Located<bool>>,
    /// `cache_size = "5G"` (or bytes): the cache's limit.
    pub cache_size: Option<Located<u64>>,
    /// `launcher = "ccache"`: a command put before every compile.
    pub launcher: Option<Located<String>>,
    /// `pch = false` turns precompiled headers off.
    pub pch: Option<Located<bool>>,
    /// `compile_commands = false`: no compile_commands.json; `true`: also inside the tree.
    pub compile_commands: Option<Located<bool>>,
    /// `device_os = "2.3.1"`: the tree Workbench installed for that version.
    pub device_os: Option<Located<String>>,
    /// `toolchain = "9.2.1"` (a compiler Workbench installed) or a toolchain directory.
    pub toolchain: Option<Located<String>>,
    /// `numeric_gcc_check = true`: let a tree whose arm-tools.mk compares gcc versions as
    /// text through; pbuild checks the version as numbers instead.
    pub numeric_gcc_check: Option<Located<bool>>,
    /// `exact_elf = true`: compile every variant of a source itself, so each `.elf` equals make's
    /// to the byte (else equivalent variants are compiled once; the `.bin` files are the same).
    pub exact_elf: Option<Located<bool>>,
    /// `file:line:col: unknown key … (did you mean …?)`
    pub warnings: Vec<String>,
}

impl ProjectFile {
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// Find `project.toml` in `start` or a parent directory.
    pub fn find(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .map(|d| d.join(FILE_NAME))
            .find(|p| p.is_file())
    }

    pub fn load(path: &Path) -> Result<ProjectFile> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::unreadable(path, e))?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<ProjectFile> {
        let shown = path.display().to_string();
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let location = match e.span() {
                Some(span) => format!("{shown}:{}", line_col(text, span.start)),
                None => shown.clone(),
            };
            Error::Config {
                location,
                message: e.message().trim().to_string(),
                suggestion: Some(format!("known keys: {}", KEYS.join(", "))),
            }
        })?;
        let at = |span: std::ops::Range<usize>| format!("{shown}:{}", line_col(text, span.start));
        let dir = path.parent().unwrap_or(Path::new("."));
        let platform = match raw.platform {
            None => None,
            Some(v) => {
                let location = at(v.span());
                let value = match v.into_inner() {
                    toml::Value::String(s) => s,
                    toml::Value::Integer(i) => i.to_string(),
                    other => {
                        return Err(Error::Config {
                            location,
                            message: format!(
                                "`platform` must be a name or an id, not a {}",
                                other.type_str()
                            ),
                            suggestion: Some("e.g. platform = \"p1\" or platform = 8".into()),
                        });
                    }
                };
                Some(Located { value, location })
            }
        };
        let path_value = |v: Spanned<String>| Located {
            location: at(v.span()),
            value: dir.join(v.into_inner()),
        };
        let plain = |v: Spanned<String>| Located {
            location: at(v.span()),
            value: v.into_inner(),
        };
        // `app` names a directory of the tree's user/applications: one plain name.
        if let Some(v) = &raw.app {
            let name = v.get_ref();
            if !is_app_name(name) {
                return Err(Error::Config {
                    location: at(v.span()),
                    message: format!(
                        "`app = {name:?}`: an app's name is the name of a directory in the tree's user/applications"
                    ),
                    suggestion: Some(
                        "e.g. app = \"blink\"; for a directory anywhere use appdir = \"path\""
                            .into(),
                    ),
                });
            }
            if raw.appdir.is_some() {
                return Err(Error::Config {
                    location: at(v.span()),
                    message: "`app` and `appdir` both given: `app` names an app in the tree, `appdir` a directory".into(),
                    suggestion: Some("keep the one you mean".into()),
                });
            }
        }
        if let Some(v) = &raw.appdir
            && v.get_ref().trim().is_empty()
        {
            return Err(Error::Config {
                location: at(v.span()),
                message: "`appdir` is empty".into(),
                suggestion: Some("e.g. appdir = \".\" for the directory of project.toml".into()),
            });
        }
        if let Some(v) = &raw.jobs
            && *v.get_ref() == 0
        {
            return Err(Error::Config {
                location: at(v.span()),
                message: "`jobs = 0`: at least one job runs".into(),
                suggestion: Some("leave `jobs` out to use every core".into()),
            });
        }
        let cache_size = match raw.cache_size {
            None => None,
            Some(v) => {
                let location = at(v.span());
                let value = match v.into_inner() {
                    toml::Value::String(s) => parse_size(&s),
                    toml::Value::Integer(i) => u64::try_from(i).ok(),
                    _ => None,
                };
                match value {
                    Some(value) => Some(Located { value, location }),
                    None => {
                        return Err(Error::Config {
                            location,
                            message: "`cache_size` must be a size such as \"5G\", \"500M\" or a number of bytes".into(),
                            suggestion: Some("e.g. cache_size = \"10G\"".into()),
                        });
                    }
                }
            }
        };
        let warnings = raw
            .unknown
            .keys()
            .map(|key| {
                let pos = key_position(text, key)
                    .map(|p| format!("{shown}:{p}"))
                    .unwrap_or_else(|| shown.clone());
                match crate::config::platform::nearest(key, KEYS.iter().copied()) {
                    Some(near) => format!("{pos}: unknown key `{key}` (did you mean `{near}`?)"),
                    None => format!(
                        "{pos}: unknown key `{key}` (known keys: {})",
                        KEYS.join(", ")
                    ),
                }
            })
            .collect();
        Ok(ProjectFile {
            path: path.to_path_buf(),
            platform,
            app: raw.app.map(plain),
            appdir: raw.appdir.map(path_value),
            tree: raw.tree.map(path_value),
            jobs: raw.jobs.map(|v| Located {
                location: at(v.span()),
                value: v.into_inner(),
            }),
            target: raw.target.map(plain),
            cache: raw.cache.map(|v| Located {
                location: at(v.span()),
                value: v.into_inner(),
            }),
            cache_size,
            launcher: raw.launcher.map(plain),
            pch: raw.pch.map(|v| Located {
                location: at(v.span()),
                value: v.into_inner(),
            }),
            compile_commands: raw.compile_commands.map(|v| Located {
                location: at(v.span()),
                value: v.into_inner(),
            }),
            device_os: raw.device_os.map(plain),
            // A directory is relative to project.toml; a version stays as written.
            toolchain: raw.toolchain.map(|v| {
                let location = at(v.span());
                let value = v.into_inner();
                match value.contains('/') {
                    true => Located {
                        value: dir.join(&value).display().to_string(),
                        location,
                    },
                    false => Located { value, location },
                }
            }),
            numeric_gcc_check: raw.numeric_gcc_check.map(|v| Located {
                location: at(v.span()),
                value: v.into_inner(),
            }),
            exact_elf: raw.exact_elf.map(|v| Located {
                location: at(v.span()),
                value: v.into_inner(),
            }),
            warnings,
        })
    }
}

/// A name `app` may have: one non-empty path component, not `.` or `..`.
pub fn is_app_name(name: &str) -> bool {
    !name.trim().is_empty()
        && name != "."
        && name != ".."
        && !name.contains('/')
        && !name.contains('\\')
}

/// `500M`, `5G`, `1.5GB`, `123456` (bytes).
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim().to_ascii_uppercase();
    let t = t.trim_end_matches("IB").trim_end_matches('B');
    let (num, mult) = match t.chars().last()? {
        'K' => (&t[..t.len() - 1], 1u64 << 10),
        'M' => (&t[..t.len() - 1], 1 << 20),
        'G' => (&t[..t.len() - 1], 1 << 30),
        'T' => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    let n: f64 = num.trim().parse().ok()?;
    (n >= 0.0 && n.is_finite()).then_some((n * mult as f64) as u64)
}

/// 1-based `line:col` of a byte offset.
pub fn line_col(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{line}:{col}")
}

fn key_position(text: &str, key: &str) -> Option<String> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            return Some(line_col(text, offset + line.len() - trimmed.len()));
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("5G"), Some(5 << 30));
        assert_eq!(parse_size("500 MB"), Some(500 << 20));
        assert_eq!(parse_size("1.5GiB"), Some(3 << 29));
        assert_eq!(parse_size("1234"), Some(1234));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("-1G"), None);
    }

    use super::*;

    fn parse(text: &str) -> Result<ProjectFile> {
        ProjectFile::parse(Path::new("/p/project.toml"), text)
    }

    #[test]
    fn reads_values_with_locations() {
        let p = parse("platform = \"p1\"\napp = \"blink\"\njobs = 3\ntree = \"../dos\"\n").unwrap();
        let platform = p.platform.unwrap();
        assert_eq!(platform.value, "p1");
        assert_eq!(platform.location, "/p/project.toml:1:12");
        assert_eq!(p.jobs.unwrap().location, "/p/project.toml:3:8");
        assert_eq!(p.tree.unwrap().value, Path::new("/p/../dos"));
    }

    #[test]
    fn platform_may_be_an_id() {
        assert_eq!(
            parse("platform = 10").unwrap().platform.unwrap().value,
            "10"
        );
    }

    #[test]
    fn wrong_type_points_at_line_and_column() {
        let err = parse("platform = \"p1\"\njobs = \"many\"\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("/p/project.toml:2:8:"), "{text}");
        assert!(text.contains("invalid type"), "{text}");
    }

    #[test]
    fn syntax_error_points_at_line() {
        let err = parse("platform = \"p1\nother = 1\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/p/project.toml:1:"), "{err}");
    }

    #[test]
    fn unknown_key_warns_with_nearest() {
        let p = parse("platfrom = \"p1\"\n").unwrap();
        assert_eq!(
            p.warnings,
            vec!["/p/project.toml:1:1: unknown key `platfrom` (did you mean `platform`?)"]
        );
    }
}
