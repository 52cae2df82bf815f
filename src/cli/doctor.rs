//! `pbuild doctor` and `pbuild completions`: how the checks are shown (a line each, human or JSON)
//! and the shell scripts clap generates.

use serde_json::json;

use super::Ctx;
use super::args::{Cli, CompletionsArgs, DoctorArgs};
use super::term::{Stream, Style, paint};
use crate::doctor::{self, Check, Inputs, Status};
use crate::error::{Error, Result};

pub(crate) fn doctor(ctx: &Ctx<'_>, args: &DoctorArgs) -> Result<()> {
    let g = &ctx.cli.global;
    let json = ctx.json();
    let settings = ctx.settings(&ctx.overrides);
    let conn = super::flash::connection(ctx, &args.dfu)?;
    let env = |k: &str| std::env::var(k).ok();
    let inputs = Inputs {
        settings: settings.as_ref(),
        gcc: match &settings {
            Ok(s) => s.compiler.gcc.clone(),
            Err(_) => crate::tool::compiler(),
        },
        dfu_util: &conn.tool,
        dfu_util_name: conn.tool.exe.display().to_string(),
        udev_dirs: doctor::UDEV_DIRS.iter().map(Into::into).collect(),
        os: std::env::consts::OS,
        env: &env,
        table: ctx.table().ok(),
        hint: &super::diagnostics::hint,
    };
    let verbose = g.verbose;
    let checks = doctor::run(&inputs, &mut |argv| {
        if verbose {
            eprintln!("  $ {}", crate::plan::shell::join(argv));
        }
    });
    let blocked = blocked(&checks);
    if json {
        for c in &checks {
            let mut v = serde_json::to_value(c).unwrap_or_default();
            if let Some(map) = v.as_object_mut() {
                map.insert("reason".into(), json!("doctor-check"));
            }
            outln!("{v}");
        }
        outln!(
            "{}",
            json!({"reason": "doctor-finished", "success": blocked.is_empty(), "blocked": blocked})
        );
    } else {
        out!("{}", render(&checks));
        if blocked.is_empty() && !g.quiet {
            let warnings = checks.iter().filter(|c| c.status == Status::Warn).count();
            outln!(
                "{}",
                match warnings {
                    0 => "Everything `pbuild build` and `pbuild flash` need is here.".to_string(),
                    n => format!(
                        "`pbuild build` and `pbuild flash` have what they need ({n} warning{} above).",
                        if n == 1 { "" } else { "s" }
                    ),
                }
            );
        }
    }
    if blocked.is_empty() {
        Ok(())
    } else {
        Err(Error::DoctorFailed {
            blocked: blocked.iter().map(|b| b.to_string()).collect(),
        })
    }
}

/// The commands some failed check blocks, in a fixed order.
fn blocked(checks: &[Check]) -> Vec<&'static str> {
    ["build", "flash"]
        .into_iter()
        .filter(|cmd| {
            checks
                .iter()
                .any(|c| c.status == Status::Fail && c.blocks.contains(cmd))
        })
        .collect()
}

/// `✓ name  message`, and for a warning or failure the fix, indented under it.
fn render(checks: &[Check]) -> String {
    let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in checks {
        let (mark, style) = match c.status {
            Status::Ok => ("✓", Style::Good),
            Status::Warn => ("!", Style::Warning),
            Status::Fail => ("✗", Style::Error),
        };
        out.push_str(&format!(
            "{} {:<width$}  {}\n",
            paint(Stream::Stdout, style, mark),
            c.name,
            c.message
        ));
        if let Some(fix) = &c.fix {
            let pad = " ".repeat(width + 4);
            for (n, line) in fix.lines().enumerate() {
                let label = if n == 0 {
                    paint(Stream::Stdout, Style::Hint, "fix:")
                } else {
                    "    ".to_string()
                };
                out.push_str(&format!("{pad}{label} {line}\n"));
            }
        }
    }
    out
}

pub(crate) fn completions(args: &CompletionsArgs) -> Result<()> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "pbuild", &mut script);
    super::out::bytes(&script);
    Ok(())
}
