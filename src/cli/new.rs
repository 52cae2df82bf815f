//! `pbuild new`: create a project and say what to do next.

use serde_json::json;

use super::Ctx;
use super::args::NewArgs;
use crate::error::Result;

pub(crate) fn new(ctx: &Ctx<'_>, args: &NewArgs) -> Result<()> {
    let g = &ctx.cli.global;
    let platform = match &g.platform {
        Some(name) => Some(crate::new::platform(ctx.table()?, name)?),
        None => None,
    };
    if let Some(tree) = &g.tree {
        crate::tree::Tree::open(tree)?;
    }
    let dir = crate::new::create(&crate::new::NewProject {
        path: &args.path,
        platform: platform.as_ref(),
        tree: g.tree.as_deref(),
        ino: args.ino,
    })?;
    if ctx.json() {
        outln!(
            "{}",
            json!({"reason": "project-created", "path": dir,
                   "platform": platform.as_ref().map(|p| p.name.clone())})
        );
        return Ok(());
    }
    if ctx.quiet() {
        return Ok(());
    }
    let shown_dir = ctx.shown(&dir);
    eprintln!(
        "Created project `{}` in {shown_dir}{}",
        dir.file_name().unwrap_or_default().to_string_lossy(),
        platform
            .as_ref()
            .map(|p| format!(" for {}", p.name))
            .unwrap_or_default()
    );
    if platform.is_none() {
        eprintln!(
            "  set `platform` in {shown_dir}/project.toml (or pass --platform to each command)"
        );
    }
    let tree_known = g.tree.is_some()
        || std::env::var_os("DEVICE_OS_PATH").is_some_and(|v| !v.is_empty())
        || crate::tree::Tree::find_above(&dir).is_some();
    if !tree_known {
        eprintln!(
            "  set `tree` in {shown_dir}/project.toml to your Device OS checkout (or set DEVICE_OS_PATH)"
        );
    }
    eprintln!("Next: cd {shown_dir} && pbuild build");
    Ok(())
}
