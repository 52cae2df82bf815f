//! `pbuild cache stats|clear`: the content cache's figures, for people or as JSON.

use serde_json::json;

use super::Ctx;
use super::args::CacheCommand;
use crate::error::{Error, Result};

pub(crate) fn cache(ctx: &Ctx<'_>, c: &CacheCommand) -> Result<()> {
    let json = ctx.json();
    // The limit may come from project.toml; without a project the defaults serve.
    let file = ctx.project()?.file.as_ref();
    let Some((dir, limit)) = crate::config::cache_settings(&ctx.overrides, file)? else {
        return Err(Error::Other(
            "the content cache is off (--no-cache, PBUILD_CACHE=0 or `cache = false`), or there is no HOME to put it in: set PBUILD_CACHE_DIR".into(),
        ));
    };
    match c {
        CacheCommand::Stats => {
            let st = crate::stepcache::stats(&dir, limit);
            if json {
                outln!(
                    "{}",
                    json!({"reason": "cache-stats", "dir": st.dir, "entries": st.entries,
                           "bytes": st.bytes, "limit": st.limit, "hits": st.hits,
                           "misses": st.misses, "stores": st.stores})
                );
            } else {
                let lookups = st.hits + st.misses;
                let rate = if lookups > 0 {
                    format!(" ({:.0}% hits)", 100.0 * st.hits as f64 / lookups as f64)
                } else {
                    String::new()
                };
                outln!("cache dir   {}", st.dir.display());
                outln!(
                    "size        {} of {} ({} entries)",
                    human_bytes(st.bytes),
                    human_bytes(st.limit),
                    st.entries
                );
                outln!(
                    "lookups     {} hits, {} misses{rate}; {} stored",
                    st.hits,
                    st.misses,
                    st.stores
                );
            }
        }
        CacheCommand::Clear => {
            let freed = crate::stepcache::clear(&dir)?;
            if json {
                outln!(
                    "{}",
                    json!({"reason": "cache-cleared", "dir": dir, "bytes": freed})
                );
            } else if !ctx.quiet() {
                eprintln!("Cleared {} ({})", dir.display(), human_bytes(freed));
            }
        }
    }
    Ok(())
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
