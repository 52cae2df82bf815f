//! Settings for a run: CLI flags over environment over `project.toml` over defaults, each value
//! with the place it came from; and the project they start from ([`Project`]: its root,
//! project.toml and the platform table, read once per command).

pub mod compiler;
pub mod platform;
pub mod project;
pub mod properties;
pub mod workbench;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::tree::Tree;
pub use platform::{Platform, Table};
pub use project::ProjectFile;
pub use properties::Properties;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The user part only (Device OS `main/`).
    Main,
    /// System parts and the user part (Device OS `modules/`).
    Modules,
    /// The bootloader (Device OS `bootloader/`); no app.
    Bootloader,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Main => "main",
            Target::Modules => "modules",
            Target::Bootloader => "bootloader",
        }
    }

    pub fn parse(text: &str) -> Option<Target> {
        match text {
            "main" => Some(Target::Main),
            "modules" => Some(Target::Modules),
            "bootloader" => Some(Target::Bootloader),
            _ => None,
        }
    }

    /// Whether the target builds the app (the bootloader has none).
    pub fn has_app(self) -> bool {
        self != Target::Bootloader
    }
}

/// What the command line says; `None` means "not given".
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub platform: Option<String>,
    pub app: Option<String>,
    pub appdir: Option<PathBuf>,
    pub tree: Option<PathBuf>,
    pub jobs: Option<usize>,
    pub target: Option<Target>,
    pub target_dir: Option<PathBuf>,
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--launcher CMD`.
    pub launcher: Option<String>,
    /// `--no-pch`.
    pub no_pch: bool,
    /// `--no-wait`.
    pub no_wait: bool,
    /// `--numeric-gcc-check`.
    pub numeric_gcc_check: bool,
    /// `--exact-elf`.
    pub exact_elf: bool,
}

#[derive(Debug, Clone)]
pub struct App {
    /// The artifact name: `name=` of project.properties, else the directory's name.
    pub name: String,
    pub dir: PathBuf,
    /// Given by name (`APP=`, inside the tree) rather than by directory (`APPDIR=`).
    pub by_name: bool,
    /// Where its sources are: the app's own and its vendored libraries'.
    pub layout: crate::sources::AppLayout,
}

/// What Workbench installed, for a hint.
fn workbench_trees_hint() -> String {
    let found: Vec<String> = workbench::device_os_trees()
        .into_iter()
        .map(|(v, _)| v)
        .collect();
    match found.is_empty() {
        true => "install it with Workbench (Particle: Install Local Compiler), or give the tree: --tree, `tree = \"…\"` in project.toml or DEVICE_OS_PATH".into(),
        false => format!(
            "installed: {}; install it with Workbench (Particle: Install Local Compiler), or give the tree with --tree",
            found.join(", ")
        ),
    }
}

/// The nearest directory at or above `start` with a `project.toml` or a `project.properties`.
fn project_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| {
            d.join(project::FILE_NAME).is_file() || d.join(crate::sources::PROPERTIES).is_file()
        })
        .map(Path::to_path_buf)
}

/// The project around the current directory, read once per command: its root (the nearest
/// directory with a project.toml or project.properties), its project.toml, and the platform
/// table (the project's own toolchains.toml, else the one built into pbuild).
#[derive(Debug, Clone)]
pub struct Project {
    pub root: Option<PathBuf>,
    pub file: Option<ProjectFile>,
    pub table: Table,
    /// What project.toml says that pbuild ignores (unknown keys): shown by the front end.
    pub warnings: Vec<String>,
}

impl Project {
    pub fn find(cwd: &Path) -> Result<Project> {
        let root = project_root(cwd);
        let file = match root.as_ref().map(|r| r.join(project::FILE_NAME)) {
            Some(p) if p.is_file() => Some(ProjectFile::load(&p)?),
            _ => None,
        };
        let warnings = file
            .as_ref()
            .map(|p| p.warnings.clone())
            .unwrap_or_default();
        let table = match file.as_ref().map(|p| p.dir().join("toolchains.toml")) {
            Some(path) if path.is_file() => {
                let text =
                    std::fs::read_to_string(&path).map_err(|e| Error::unreadable(&path, e))?;
                Table::parse(&text).map_err(|e| Error::Config {
                    location: match e.span() {
                        Some(s) => {
                            format!("{}:{}", path.display(), project::line_col(&text, s.start))
                        }
                        None => path.display().to_string(),
                    },
                    message: e.message().trim().to_string(),
                    suggestion: Some(
                        "compare with the toolchains.toml in pbuild's repository".into(),
                    ),
                })?
            }
            _ => Table::embedded(),
        };
        Ok(Project {
            root,
            file,
            table,
            warnings,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub table: Table,
    pub project: Option<ProjectFile>,
    pub platform: Option<Platform>,
    /// Where the platform came from: `--platform`, `project.toml:L:C`, `.vscode/settings.json (…)`.
    pub platform_origin: Option<String>,
    pub tree: Tree,
    pub app: Option<App>,
    pub target: Target,
    pub jobs: usize,
    pub target_dir: PathBuf,
    /// The directory of project.toml / project.properties when the app is below it, else the
    /// app's directory.
    pub project_root: Option<PathBuf>,
    /// Where the tree came from: `--tree`, `project.toml:L:C`, `DEVICE_OS_PATH`, or found above.
    pub tree_origin: String,
    /// Where `compile_commands.json` goes: the project root; never inside the Device OS tree
    /// unless `compile_commands = true` (or PBUILD_COMPILE_COMMANDS=1); none when turned off.
    pub compile_commands: Option<PathBuf>,
    /// The content cache's directory and size limit; None when it is off.
    pub cache: Option<(PathBuf, u64)>,
    /// Words put before every compile command (`launcher`), e.g. `["ccache"]`.
    pub launcher: Vec<String>,
    /// Precompile Particle.h / application.h for the app's compiles.
    pub pch: bool,
    /// Fail instead of waiting when another pbuild holds the build directory.
    pub no_wait: bool,
    /// The compiler this build runs, and why that one.
    pub compiler: compiler::Compiler,
    /// Let a tree's text comparison of gcc versions through (`compiler::TEXT_CHECK_VARS`).
    pub numeric_gcc_check: bool,
    /// Compile a source once when its variants (the same command up to `-D`/`-U`) are proven
    /// equivalent (`build::variants`); off with `exact_elf`, which keeps every `.elf` make's.
    pub share_variants: bool,
    pub warnings: Vec<String>,
}

impl Settings {
    pub fn platform(&self) -> Result<&Platform> {
        self.platform.as_ref().ok_or_else(|| Error::NoPlatform {
            properties_only: self.project.is_none()
                && self
                    .project_root
                    .as_ref()
                    .is_some_and(|r| r.join(crate::sources::PROPERTIES).is_file()),
        })
    }

    /// Merge flags, environment and the project found around `cwd` (`Project::find`).
    pub fn load(o: &Overrides, cwd: &Path, p: &Project) -> Result<Settings> {
        let root = p.root.clone();
        let project = p.file.clone();
        let table = p.table.clone();
        let warnings = p.warnings.clone();
        // A Particle project (project.properties) is the app, unless flags or project.toml say otherwise.
        let properties_dir = root
            .as_ref()
            .filter(|r| r.join(crate::sources::PROPERTIES).is_file())
            .cloned();

        // A Workbench project without a project.toml: its .vscode/settings.json says the
        // platform and the Device OS version (whose tree Workbench keeps in ~/.particle).
        let vscode = match (&project, &properties_dir) {
            (None, Some(dir)) => workbench::VsCode::load(dir)?.unwrap_or_default(),
            _ => workbench::VsCode::default(),
        };
        let (platform, platform_origin) = {
            let given = match (
                &o.platform,
                project.as_ref().and_then(|p| p.platform.clone()),
                vscode.platform.clone(),
            ) {
                (Some(p), _, _) => Some((p.clone(), "--platform".to_string())),
                (None, Some(l), _) | (None, None, Some(l)) => Some((l.value, l.location)),
                (None, None, None) => None,
            };
            match given {
                None => (None, None),
                Some((name, origin)) => {
                    (Some(table.platform(&name, &origin)?.clone()), Some(origin))
                }
            }
        };

        // The app as given (name or directory), before the tree is known.
        let from_file = project.as_ref();
        let (app_name, appdir) = match (&o.app, &o.appdir) {
            (Some(a), _) => (Some(a.clone()), None),
            (None, Some(d)) => (None, Some(crate::paths::absolute(d))),
            (None, None) => match (
                from_file.and_then(|p| p.app.clone()),
                from_file.and_then(|p| p.appdir.clone()),
            ) {
                (Some(a), _) => (Some(a.value), None),
                (None, Some(d)) => (None, Some(crate::paths::absolute(&d.value))),
                (None, None) => (None, properties_dir.clone()),
            },
        };

        // An app directory that is not there is said as such, before any tree is looked for.
        if let Some(dir) = appdir.as_ref().filter(|d| !d.is_dir()) {
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Err(Error::NoApp {
                name,
                looked: dir.clone(),
            });
        }
        // The tree: the flag, then project.toml, then DEVICE_OS_PATH (the more specific setting
        // wins, as in cargo: a flag beats the project's file, which beats the environment), then
        // a checkout above the app or the current directory.
        let mut searched = Vec::new();
        let (tree_root, tree_origin) = o
            .tree
            .clone()
            .map(|t| (t, "--tree".to_string()))
            .or_else(|| {
                from_file.and_then(|p| {
                    p.tree
                        .as_ref()
                        .map(|t| (t.value.clone(), t.location.clone()))
                })
            })
            .map(Ok)
            .or_else(|| {
                // `device_os = "2.3.1"`, or Workbench's `particle.firmwareVersion`: the tree
                // Workbench installed for that version.
                from_file
                    .and_then(|p| p.device_os.as_ref())
                    .or(vscode.device_os.as_ref())
                    .map(|v| match workbench::device_os_tree(&v.value) {
                        Ok(tree) => Ok((tree, v.location.clone())),
                        Err(place) => Err(Error::Config {
                            location: v.location.clone(),
                            message: format!(
                                "Device OS {} is not installed where Particle Workbench keeps it ({})",
                                v.value,
                                place.display()
                            ),
                            suggestion: Some(workbench_trees_hint()),
                        }),
                    })
            })
            .transpose()?
            .or_else(|| {
                std::env::var_os("DEVICE_OS_PATH")
                    .filter(|v| !v.is_empty())
                    .map(|v| (PathBuf::from(v), "DEVICE_OS_PATH".to_string()))
            })
            .or_else(|| {
                let found = appdir.as_deref().and_then(Tree::find_above);
                if found.is_none() {
                    searched.extend(appdir.clone());
                }
                found.map(|t| (t, "the checkout above the app".to_string()))
            })
            .or_else(|| {
                searched.push(cwd.to_path_buf());
                Tree::find_above(cwd)
                    .map(|t| (t, "the checkout above the current directory".to_string()))
            })
            .ok_or(Error::NoTree { searched })?;
        let tree = Tree::open(&tree_root)?;
        if let Some(p) = &platform
            && tree.supports(p.id) == Some(false)
        {
            return Err(Error::TreeLacksPlatform {
                tree: tree.root.clone(),
                version: tree.version_string.clone(),
                platform: p.name.clone(),
            });
        }

        let app = match (app_name, appdir) {
            (Some(name), _) => {
                let dir = tree.root.join("user/applications").join(&name);
                if !dir.is_dir() {
                    return Err(Error::NoApp { name, looked: dir });
                }
                Some(App {
                    name,
                    layout: crate::sources::AppLayout::of(&dir, true),
                    dir,
                    by_name: true,
                })
            }
            (None, Some(dir)) => {
                if !dir.is_dir() {
                    let name = dir
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    return Err(Error::NoApp { name, looked: dir });
                }
                let dir = crate::paths::normalize(&dir);
                let mut name = dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "app".into());
                let properties = dir.join(crate::sources::PROPERTIES);
                if properties.is_file() {
                    let props = Properties::load(&properties)?;
                    props.check_libraries(&dir)?;
                    if let Some(n) = props.name.filter(|n| is_file_name(n)) {
                        name = n;
                    }
                }
                Some(App {
                    name,
                    layout: crate::sources::AppLayout::of(&dir, false),
                    dir,
                    by_name: false,
                })
            }
            (None, None) => None,
        };

        let target = match (o.target, from_file.and_then(|p| p.target.clone())) {
            (Some(t), _) => t,
            (None, Some(l)) => Target::parse(&l.value).ok_or_else(|| Error::Config {
                location: l.location,
                message: format!("unknown target `{}`", l.value),
                suggestion: Some(
                    "target is \"main\" (the user part) or \"modules\" (system parts + user part)"
                        .into(),
                ),
            })?,
            (None, None) => Target::Main,
        };

        let jobs = o
            .jobs
            .or_else(|| {
                from_file
                    .and_then(|p| p.jobs.as_ref())
                    .map(|j| j.value as usize)
            })
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);

        let target_dir = o
            .target_dir
            .clone()
            .or_else(|| {
                std::env::var_os("PBUILD_TARGET_DIR")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .map(|d| crate::paths::absolute(&d))
            .or_else(|| from_file.map(|p| p.dir().join("target")))
            .or_else(|| {
                app.as_ref()
                    .filter(|a| !a.by_name)
                    .map(|a| a.dir.join("target"))
            })
            .unwrap_or_else(|| tree.root.join("build/pbuild"));

        // clangd looks for compile_commands.json in the sources' parent directories: the project
        // root when the app is inside it, else the app's own directory.
        let project_root = root
            .map(|r| crate::paths::normalize(&crate::paths::absolute(&r)))
            .filter(|r| app.as_ref().is_none_or(|a| a.dir.starts_with(r)))
            .or_else(|| app.as_ref().map(|a| a.dir.clone()));
        let wanted = match std::env::var("PBUILD_COMPILE_COMMANDS").as_deref() {
            Ok("0") | Ok("false") => Some(false),
            Ok("1") | Ok("true") => Some(true),
            _ => from_file
                .and_then(|p| p.compile_commands.as_ref())
                .map(|c| c.value),
        };
        let in_tree = |r: &PathBuf| {
            r.starts_with(crate::paths::normalize(&crate::paths::absolute(&tree.root)))
        };
        let compile_commands = match wanted {
            Some(false) => None,
            Some(true) => project_root.clone(),
            None => project_root.clone().filter(|r| !in_tree(r)),
        };
        let cache = cache_settings(o, from_file)?;
        let launcher = o
            .launcher
            .clone()
            .or_else(|| {
                std::env::var("PBUILD_LAUNCHER")
                    .ok()
                    .filter(|v| !v.is_empty())
            })
            .or_else(|| {
                from_file
                    .and_then(|p| p.launcher.as_ref())
                    .map(|l| l.value.clone())
            })
            .map(|l| l.split_whitespace().map(String::from).collect())
            .unwrap_or_default();
        let pch = !(o.no_pch
            || std::env::var("PBUILD_PCH").is_ok_and(|v| v == "0" || v == "false")
            || from_file
                .and_then(|p| p.pch.as_ref())
                .is_some_and(|p| !p.value));
        let compiler = compiler::choose(
            from_file.and_then(|p| p.toolchain.as_ref()),
            table.gcc_for(&tree.version_string),
        )?;
        let share_variants = !(o.exact_elf
            || std::env::var("PBUILD_EXACT_ELF").is_ok_and(|v| v == "1" || v == "true")
            || from_file
                .and_then(|p| p.exact_elf.as_ref())
                .is_some_and(|v| v.value));
        let numeric_gcc_check = o.numeric_gcc_check
            || from_file
                .and_then(|p| p.numeric_gcc_check.as_ref())
                .is_some_and(|v| v.value);
        Ok(Settings {
            table,
            project,
            platform,
            platform_origin,
            tree,
            app,
            target,
            jobs,
            target_dir,
            project_root,
            tree_origin,
            compile_commands,
            cache,
            launcher,
            pch,
            compiler,
            numeric_gcc_check,
            share_variants,
            no_wait: o.no_wait,
            warnings,
        })
    }

    /// `<target>/.pbuild`: plans, the db, compiled objects.
    pub fn state_dir(&self) -> PathBuf {
        self.target_dir.join(".pbuild")
    }
}

/// The content cache's limit when nothing says otherwise.
pub const DEFAULT_CACHE_LIMIT: u64 = 5 << 30;

/// Where the cache lives when nothing says otherwise.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("PBUILD_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("pbuild"));
    }
    std::env::var_os("HOME")
        .filter(|d| !d.is_empty())
        .map(|h| PathBuf::from(h).join(".cache/pbuild"))
}

/// The cache directory and limit, or None when the cache is off (`--no-cache`, `PBUILD_CACHE=0`,
/// `cache = false`, or no directory to put it in).
pub fn cache_settings(o: &Overrides, file: Option<&ProjectFile>) -> Result<Option<(PathBuf, u64)>> {
    let env_off = std::env::var("PBUILD_CACHE").is_ok_and(|v| v == "0" || v == "false");
    let file_off = file
        .and_then(|p| p.cache.as_ref())
        .is_some_and(|c| !c.value);
    if o.no_cache || env_off || file_off {
        return Ok(None);
    }
    let limit = match std::env::var("PBUILD_CACHE_SIZE")
        .ok()
        .filter(|v| !v.is_empty())
    {
        Some(v) => project::parse_size(&v).ok_or_else(|| Error::Config {
            location: "PBUILD_CACHE_SIZE".into(),
            message: format!("`{v}` is not a size"),
            suggestion: Some("e.g. PBUILD_CACHE_SIZE=10G (K, M, G, T or bytes)".into()),
        })?,
        None => file
            .and_then(|p| p.cache_size.as_ref())
            .map(|c| c.value)
            .unwrap_or(DEFAULT_CACHE_LIMIT),
    };
    Ok(cache_dir().map(|d| (crate::paths::absolute(&d), limit)))
}

/// A name usable as a file name for the artifacts (`<name>.bin`).
fn is_file_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}
