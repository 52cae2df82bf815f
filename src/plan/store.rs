//! The plan store: one JSON file per fingerprint under the build state directory (the newest
//! few kept), and the name a plan has in the content cache.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::plan::{PLAN_VERSION, Plan};

/// How many plans are kept (one per platform/target/app combination in use).
const KEEP: usize = 12;

pub fn path_for(dir: &Path, fingerprint: &str) -> PathBuf {
    dir.join(format!("{fingerprint}.json"))
}

/// The cached plan for `fingerprint`, if there is a readable one of the current format.
pub fn load(dir: &Path, fingerprint: &str) -> Option<Plan> {
    from_bytes(
        &std::fs::read(path_for(dir, fingerprint)).ok()?,
        fingerprint,
    )
}

/// A plan from its JSON, if it is of the current format and for `fingerprint`.
pub fn from_bytes(bytes: &[u8], fingerprint: &str) -> Option<Plan> {
    let plan: Plan = serde_json::from_slice(bytes).ok()?;
    (plan.version == PLAN_VERSION && plan.fingerprint == fingerprint).then_some(plan)
}

/// The name a plan has in the content cache.
pub fn blob_name(fingerprint: &str) -> String {
    format!("plan {PLAN_VERSION} {fingerprint}")
}

pub fn store(dir: &Path, plan: &Plan) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let path = path_for(dir, &plan.fingerprint);
    let bytes =
        serde_json::to_vec(plan).map_err(|e| Error::Other(format!("serialising the plan: {e}")))?;
    crate::fsutil::write_atomic(&path, &bytes).map_err(|e| Error::io(&path, e))?;
    prune(dir);
    Ok(())
}

/// Drop the least recently written plans beyond `KEEP`.
fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut plans: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if plans.len() <= KEEP {
        return;
    }
    plans.sort();
    for (_, p) in &plans[..plans.len() - KEEP] {
        let _ = std::fs::remove_file(p);
    }
}
