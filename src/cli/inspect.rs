//! `pbuild inspect FILE...`: what each firmware file is, as a short table or JSON lines; damaged
//! or misplaced files make it fail.

use serde_json::json;

use super::Ctx;
use super::args::InspectArgs;
use crate::error::{Error, Result};

/// The bytes of a file that may be a module: a regular file no bigger than any module can be
/// (`inspect::MAX_FILE`); else why it is none (`Ok(Err(why))`). A file that cannot be read is
/// an error.
fn read_module_file(file: &std::path::Path) -> Result<std::result::Result<Vec<u8>, String>> {
    use std::io::Read;
    let meta = std::fs::metadata(file).map_err(|e| Error::io(file, e))?;
    if !meta.is_file() {
        return Ok(Err(
            "not a regular file (a directory or a device): give a .bin or .dfu file".into(),
        ));
    }
    if meta.len() > crate::inspect::MAX_FILE {
        return Ok(Err(format!(
            "{} bytes: bigger than any module (the internal flash is 1 MB)",
            meta.len()
        )));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(crate::inspect::MAX_FILE).read_to_end(&mut bytes))
        .map_err(|e| Error::io(file, e))?;
    Ok(Ok(bytes))
}

pub(crate) fn inspect(ctx: &Ctx<'_>, args: &InspectArgs) -> Result<()> {
    let json = args.json || ctx.json();
    let mut damaged = Vec::new();
    for file in &args.files {
        let bytes = match read_module_file(file)? {
            Ok(b) => b,
            Err(problem) => {
                damaged.push(format!("{}: {problem}", file.display()));
                if json {
                    outln!(
                        "{}",
                        json!({"reason": "inspect", "file": crate::paths::absolute(file), "module": null, "problems": [problem]})
                    );
                }
                continue;
            }
        };
        let inspection = crate::inspect::inspect_bytes(&bytes, ctx.table()?);
        for p in &inspection.problems {
            damaged.push(format!("{}: {p}", file.display()));
        }
        if json {
            let mut v = serde_json::to_value(&inspection).unwrap_or_default();
            if let Some(map) = v.as_object_mut() {
                map.insert("reason".into(), json!("inspect"));
                map.insert("file".into(), json!(crate::paths::absolute(file)));
            }
            outln!("{v}");
        } else {
            out!("{}", crate::inspect::render_text(&inspection, file));
        }
    }
    if damaged.is_empty() {
        Ok(())
    } else {
        Err(Error::Damaged { problems: damaged })
    }
}
