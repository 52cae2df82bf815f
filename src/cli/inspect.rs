//! `pbuild inspect FILE...`: what each firmware file is, as a short table or JSON lines; damaged
//! or misplaced files make it fail.

use serde_json::json;

use super::Ctx;
use super::args::InspectArgs;
use crate::error::{Error, Result};

pub(crate) fn inspect(ctx: &Ctx<'_>, args: &InspectArgs) -> Result<()> {
    let json = args.json || ctx.json();
    let mut damaged = Vec::new();
    for file in &args.files {
        let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
        let inspection = crate::inspect::inspect_bytes(&bytes, ctx.table()?);
        for p in &inspection.problems {
            damaged.push(format!("{}: {p}", file.display()));
        }
        if json {
            let mut v = serde_json::to_value(&inspection).unwrap_or_default();
            if let Some(map) = v.as_object_mut() {
                map.insert("reason".into(), json!("inspect"));
                map.insert("file".into(), json!(file));
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
