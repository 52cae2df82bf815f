//! `pbuild new`: a project from `templates/` (embedded in the binary): `project.toml`,
//! `project.properties`, `src/NAME.cpp` (or `.ino`), `.gitignore` and a README.
//!
//! The project is the Particle layout (`particle project create`), so `particle compile`, Workbench
//! and vendored libraries in `lib/` work with it too. The files are written into a temp directory
//! next to the destination and renamed into place (into an existing empty directory, file by
//! file, so that directory stays the same one): a failed `new` leaves nothing behind.

use std::path::{Path, PathBuf};

use crate::config::{Platform, Table};
use crate::error::{Error, Result};

const PROJECT_TOML: &str = include_str!("../templates/project.toml");
const PROJECT_PROPERTIES: &str = include_str!("../templates/project.properties");
const APP_CPP: &str = include_str!("../templates/app.cpp");
const APP_INO: &str = include_str!("../templates/app.ino");
const GITIGNORE: &str = include_str!("../templates/gitignore");
const README: &str = include_str!("../templates/README.md");

pub struct NewProject<'a> {
    /// Where the project goes; its last component is the app's name.
    pub path: &'a Path,
    pub platform: Option<&'a Platform>,
    /// The Device OS tree to write into `project.toml` (made relative to the project).
    pub tree: Option<&'a Path>,
    /// `src/NAME.ino` instead of `src/NAME.cpp`.
    pub ino: bool,
}

/// Platform by name or id, as `--platform` takes it.
pub fn platform(table: &Table, name: &str) -> Result<Platform> {
    table.platform(name, "--platform").cloned()
}

/// Letters, digits, `-` and `_`: what a Particle project name and a file name both allow.
fn check_name(name: &str, path: &Path) -> Result<()> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.starts_with('-');
    if ok {
        return Ok(());
    }
    Err(Error::Config {
        location: path.display().to_string(),
        message: format!("`{name}` is not a usable project name"),
        suggestion: Some(
            "use letters, digits, `-` and `_` (it names the app, its source file and its .bin)"
                .into(),
        ),
    })
}

/// The files of the project, relative to its directory.
pub fn files(name: &str, p: &NewProject<'_>, dir: &Path) -> Vec<(PathBuf, String)> {
    let platform = match p.platform {
        Some(pl) => format!("platform = \"{}\"", pl.name),
        None => {
            "# platform = \"photon\"   # photon, p1 or electron (or 6, 8, 10); else pass --platform"
                .to_string()
        }
    };
    let tree = match p.tree {
        Some(t) => {
            let t = crate::paths::absolute(t);
            let rel = crate::paths::relative(&t, dir);
            format!(
                "tree = \"{}\"",
                rel.display().to_string().replace('\\', "/")
            )
        }
        None => {
            "# tree = \"../device-os\"  # the Device OS checkout; else DEVICE_OS_PATH or --tree"
                .to_string()
        }
    };
    let fill = |t: &str| {
        t.replace("{{name}}", name)
            .replace("{{platform}}", &platform)
            .replace("{{tree}}", &tree)
    };
    let (src, body) = if p.ino {
        (format!("src/{name}.ino"), APP_INO)
    } else {
        (format!("src/{name}.cpp"), APP_CPP)
    };
    vec![
        (PathBuf::from("project.toml"), fill(PROJECT_TOML)),
        (
            PathBuf::from("project.properties"),
            fill(PROJECT_PROPERTIES),
        ),
        (PathBuf::from(src), fill(body)),
        (PathBuf::from(".gitignore"), fill(GITIGNORE)),
        (PathBuf::from("README.md"), fill(README)),
    ]
}

/// Create the project; returns its directory. Refuses to touch a directory that has files in it.
pub fn create(p: &NewProject<'_>) -> Result<PathBuf> {
    let dir = crate::paths::normalize(&crate::paths::absolute(p.path));
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    check_name(&name, p.path)?;
    if dir.exists() {
        let empty = std::fs::read_dir(&dir)
            .map(|mut rd| rd.next().is_none())
            .unwrap_or(false);
        if !empty {
            return Err(Error::Config {
                location: dir.display().to_string(),
                message: "already exists and is not empty".into(),
                suggestion: Some("choose another name, or remove the directory first".into()),
            });
        }
    }
    let tmp = crate::fsutil::temp_path(&dir);
    let result = (|| {
        for (rel, text) in files(&name, p, &dir) {
            let path = tmp.join(&rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
        }
        if !dir.exists() {
            return std::fs::rename(&tmp, &dir).map_err(|e| Error::io(&dir, e));
        }
        // An existing (empty) directory stays what it is (owner, mode, the shell standing in
        // it): the files move into it, and on a failure the ones moved go again.
        let mut moved: Vec<PathBuf> = Vec::new();
        let entries = std::fs::read_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&tmp, e))?;
            let to = dir.join(entry.file_name());
            if let Err(e) = std::fs::rename(entry.path(), &to) {
                for m in &moved {
                    let _ = std::fs::remove_dir_all(m).or_else(|_| std::fs::remove_file(m));
                }
                return Err(Error::io(&to, e));
            }
            moved.push(to);
        }
        let _ = std::fs::remove_dir(&tmp);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_project_and_refuses_a_non_empty_directory() {
        let t = tempfile::tempdir().unwrap();
        let table = Table::embedded();
        let p1 = platform(&table, "P1").unwrap();
        let tree = t.path().join("device-os");
        let dir = create(&NewProject {
            path: &t.path().join("apps/blinky"),
            platform: Some(&p1),
            tree: Some(&tree),
            ino: false,
        })
        .unwrap();
        let toml = std::fs::read_to_string(dir.join("project.toml")).unwrap();
        assert!(toml.contains("platform = \"p1\""), "{toml}");
        assert!(toml.contains("tree = \"../../device-os\""), "{toml}");
        let parsed = crate::config::ProjectFile::parse(&dir.join("project.toml"), &toml).unwrap();
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        assert!(dir.join("src/blinky.cpp").is_file());
        assert_eq!(
            std::fs::read_to_string(dir.join("project.properties")).unwrap(),
            "name=blinky\n"
        );
        assert!(
            std::fs::read_to_string(dir.join(".gitignore"))
                .unwrap()
                .contains("/target/")
        );
        let err = create(&NewProject {
            path: &dir,
            platform: None,
            tree: None,
            ino: true,
        })
        .unwrap_err();
        assert!(err.to_string().contains("not empty"), "{err}");
        let names: Vec<_> = std::fs::read_dir(t.path().join("apps"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["blinky"], "no temp directory left behind");
    }

    #[test]
    fn an_existing_empty_directory_is_written_into_not_replaced() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("here");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o750)).unwrap();
        let before = std::fs::metadata(&dir).unwrap();
        create(&NewProject {
            path: &dir,
            platform: None,
            tree: None,
            ino: false,
        })
        .unwrap();
        let after = std::fs::metadata(&dir).unwrap();
        assert_eq!(
            after.ino(),
            before.ino(),
            "the same directory, not a new one"
        );
        assert_eq!(after.mode() & 0o7777, 0o750);
        assert!(dir.join("src/here.cpp").is_file());
        let names: Vec<_> = std::fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["here"], "no temp directory left behind");
    }

    #[test]
    fn ino_and_bad_names() {
        let t = tempfile::tempdir().unwrap();
        let dir = create(&NewProject {
            path: &t.path().join("sketch"),
            platform: None,
            tree: None,
            ino: true,
        })
        .unwrap();
        assert!(dir.join("src/sketch.ino").is_file());
        assert!(!dir.join("src/sketch.cpp").exists());
        let toml = std::fs::read_to_string(dir.join("project.toml")).unwrap();
        assert!(toml.contains("# platform ="), "{toml}");
        let err = create(&NewProject {
            path: &t.path().join("bad name"),
            platform: None,
            tree: None,
            ino: false,
        })
        .unwrap_err();
        assert!(
            err.to_string().contains("not a usable project name"),
            "{err}"
        );
    }
}
