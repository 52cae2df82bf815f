//! `pbuild preprocess x.ino`: the C++ pbuild compiles for a sketch, on stdout or into a file.

use super::Ctx;
use super::args::PreprocessArgs;
use crate::error::{Error, Result};

pub(crate) fn preprocess(ctx: &Ctx<'_>, args: &PreprocessArgs) -> Result<()> {
    let file = ctx.cwd.join(&args.file);
    if let Some(out) = &args.output
        && std::fs::canonicalize(ctx.cwd.join(out)).ok() == std::fs::canonicalize(&file).ok()
    {
        return Err(Error::Other(format!(
            "{}: the output would overwrite the sketch; give another -o",
            out.display()
        )));
    }
    let bytes = std::fs::read(&file).map_err(|e| Error::io(&file, e))?;
    let text = crate::ino::preprocess(
        &String::from_utf8_lossy(&bytes),
        &file.display().to_string(),
    );
    match &args.output {
        Some(out) => {
            let out = ctx.cwd.join(out);
            crate::fsutil::write_atomic(&out, text.as_bytes()).map_err(|e| Error::io(&out, e))
        }
        None => {
            out!("{text}");
            Ok(())
        }
    }
}
