//! `project.properties`, the project file of `particle project create`: `key=value` lines.
//! pbuild reads the app's `name` and the libraries it depends on (`dependencies.<name>=<version>`);
//! everything else in it is for the Particle cloud and is left alone.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    pub path: PathBuf,
    /// `name=`, if given and not empty.
    pub name: Option<String>,
    /// `(library, version, line)` for each `dependencies.<library>=<version>`.
    pub dependencies: Vec<(String, String, usize)>,
}

impl Properties {
    pub fn load(path: &Path) -> Result<Properties> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::unreadable(path, e))?;
        Self::parse(path, &text)
    }

    /// Blank lines and lines starting with `#` or `!` are comments; every other line is `key=value`.
    pub fn parse(path: &Path, text: &str) -> Result<Properties> {
        let mut p = Properties {
            path: path.to_path_buf(),
            ..Properties::default()
        };
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(Error::Config {
                    location: format!("{}:{}", path.display(), i + 1),
                    message: format!("expected `key=value`, found `{line}`"),
                    suggestion: Some(
                        "project.properties holds lines like `name=blink` and `dependencies.neopixel=1.0.3`"
                            .into(),
                    ),
                });
            };
            let (key, value) = (key.trim(), value.trim());
            if key == "name" && !value.is_empty() {
                p.name = Some(value.to_string());
            } else if let Some(lib) = key.strip_prefix("dependencies.") {
                p.dependencies
                    .push((lib.to_string(), value.to_string(), i + 1));
            }
        }
        Ok(p)
    }

    /// Each dependency must be vendored in `lib/<name>/`: pbuild builds offline, from the project.
    pub fn check_libraries(&self, project_dir: &Path) -> Result<()> {
        let missing: Vec<&(String, String, usize)> = self
            .dependencies
            .iter()
            .filter(|(lib, _, _)| !project_dir.join("lib").join(lib).is_dir())
            .collect();
        let Some((lib, version, line)) = missing.first() else {
            return Ok(());
        };
        let names: Vec<&str> = missing.iter().map(|(l, _, _)| l.as_str()).collect();
        Err(Error::Config {
            location: format!("{}:{line}", self.path.display()),
            message: format!(
                "library `{lib}` ({version}) is a dependency but {} does not exist{}",
                project_dir.join("lib").join(lib).display(),
                if names.len() > 1 {
                    format!(" (also missing: {})", names[1..].join(", "))
                } else {
                    String::new()
                }
            ),
            suggestion: Some(format!(
                "pbuild builds the libraries vendored in lib/: in {} run {}, or remove the dependency line",
                project_dir.display(),
                names
                    .iter()
                    .map(|n| format!("`particle library copy {n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_name_and_dependencies() {
        let p = Properties::parse(
            Path::new("/p/project.properties"),
            "# made by particle\nname=blinky\n\ndependencies.neopixel=1.0.3\nassetOtaDir=assets\n",
        )
        .unwrap();
        assert_eq!(p.name.as_deref(), Some("blinky"));
        assert_eq!(
            p.dependencies,
            [("neopixel".to_string(), "1.0.3".to_string(), 4)]
        );
    }

    #[test]
    fn a_line_without_equals_names_file_and_line() {
        let err =
            Properties::parse(Path::new("/p/project.properties"), "name=a\nbroken\n").unwrap_err();
        assert!(
            err.to_string().starts_with("/p/project.properties:2: "),
            "{err}"
        );
    }

    #[test]
    fn missing_library_says_what_to_do() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("lib/present")).unwrap();
        let p = Properties::parse(
            &t.path().join("project.properties"),
            "dependencies.present=1\ndependencies.absent=2.0.0\n",
        )
        .unwrap();
        let err = p.check_libraries(t.path()).unwrap_err();
        assert!(
            err.to_string().contains("library `absent` (2.0.0)"),
            "{err}"
        );
        assert!(err.to_string().contains(":2: "), "{err}");
        let crate::error::Error::Config { suggestion, .. } = &err else {
            panic!("{err:?}")
        };
        assert!(
            suggestion
                .as_deref()
                .unwrap()
                .contains("particle library copy absent"),
            "{suggestion:?}"
        );
    }
}
