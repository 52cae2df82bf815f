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
    // Bytes in, bytes out: a Latin-1 string in the sketch reaches the C++ unchanged.
    let cpp = crate::ino::preprocess(&bytes, &file.display().to_string());
    match &args.output {
        Some(out) => {
            let out = ctx.cwd.join(out);
            crate::fsutil::write_atomic(&out, &cpp).map_err(|e| Error::io(&out, e))
        }
        None => {
            super::out::bytes(&cpp);
            Ok(())
        }
    }
}
