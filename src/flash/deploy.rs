//! The one flash decision, for `pbuild flash` and `pbuild watch --flash` alike: is the build for
//! this device's platform; what does the device have; does the app need a newer system (and if
//! so, add the tree's system parts or refuse); what preflight says about the images; then the
//! writes, in order, stopping cleanly on Ctrl-C. Preflight's rules are the device's
//! (`device::preflight`); the policy around them (`--system`, `--force`, what to suggest) is here.
//! The device is behind [`Device`], so the decision is tested against a fake one.

use std::sync::atomic::{AtomicBool, Ordering};

use super::Event;
use super::error::{FlashError, Remedy};
use super::outcome::Note;
use crate::build::Artifact;
use crate::config::{Platform, Table, Target};
use crate::device::SlotMap;
use crate::device::boot::BootState;
use crate::device::installed::Installed;
use crate::device::preflight::{self, FlashPlan, Image, Problem, Write};
use crate::error::{Error, Result};

/// The device as the decision needs it: what is installed, and writing one image.
pub trait Device {
    fn read_installed(&mut self, map: &SlotMap) -> Result<Installed, FlashError>;
    fn write(&mut self, w: &Write) -> Result<Note, FlashError>;
}

/// What to do when the app needs a newer system than the device has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemPolicy {
    /// Build the tree's system parts and flash them first.
    Auto,
    /// Refuse, saying so.
    Never,
}

pub struct Request<'a> {
    pub table: &'a Table,
    /// The platform of the device (from its DFU VID:PID).
    pub device_platform: &'a Platform,
    /// The platform the build is for.
    pub build_platform: &'a Platform,
    pub target: Target,
    pub system: SystemPolicy,
    /// Flash what preflight would refuse (except what cannot be written at all).
    pub force: bool,
    /// Decide and report, write nothing.
    pub dry_run: bool,
    /// Set (by a Ctrl-C handler) to stop after the image being written.
    pub stop: Option<&'a AtomicBool>,
}

/// What was decided and done.
#[derive(Debug)]
pub struct Deployed {
    pub plan: FlashPlan,
    /// One per image written (empty on a dry run or when nothing needed writing).
    pub notes: Vec<Note>,
}

/// Build (through `build`), check and flash. `build` is asked for the request's target first,
/// and for `modules` when the system parts must be added; `on` hears every decision.
pub fn run(
    device: &mut dyn Device,
    req: &Request<'_>,
    build: &mut dyn FnMut(Target) -> Result<Vec<Artifact>>,
    on: &mut dyn FnMut(Event<'_>),
) -> Result<Deployed> {
    let (build_p, device_p) = (req.build_platform, req.device_platform);
    if build_p.id != device_p.id && !req.force {
        let (vid, pid) = device_p.dfu_ids();
        return Err(Error::FlashRefused {
            problems: vec![format!(
                "the build is for {} ({}) but the device in DFU mode is {} ({}, DFU {vid:04x}:{pid:04x}); flashing it would make the device restore its factory image (flashing green) or enter safe mode",
                build_p.name,
                build_p.id,
                article(&device_p.name),
                device_p.id,
            )],
            remedies: vec![Remedy::BuildFor {
                platform: device_p.name.clone(),
            }],
        });
    }
    let mut images = images_of(&build(req.target)?, req.force)?;
    let installed = device.read_installed(&SlotMap::of(req.table, device_p))?;

    // One preflight in the common case; a second only when the system parts are added.
    let mut plan = preflight::plan(&installed, &images);
    let mut system_note = None;
    if req.target == Target::Main {
        let needs = system_needed(&installed, &images, &plan);
        if !needs.is_empty() {
            let why = needs.join("; ");
            match req.system {
                SystemPolicy::Auto => {
                    on(Event::AddingSystem { why: &why });
                    images = images_of(&build(Target::Modules)?, req.force)?;
                    plan = preflight::plan(&installed, &images);
                }
                SystemPolicy::Never => system_note = Some(why),
            }
        }
    }

    on(Event::Planned(&plan));
    if plan.refused(req.force) {
        return Err(Error::FlashRefused {
            problems: plan.problems.iter().map(|p| p.to_string()).collect(),
            remedies: remedies(&plan, system_note),
        });
    }
    if !plan.problems.is_empty() {
        on(Event::Forced(&plan.problems));
    }
    if req.dry_run || plan.writes.is_empty() {
        return Ok(Deployed {
            plan,
            notes: Vec::new(),
        });
    }
    let notes = execute(device, &plan, &installed, &images, req.stop, on)?;
    Ok(Deployed { plan, notes })
}

/// Why the system parts must be flashed before these images: the app's unmet dependencies on
/// system parts, or (when those are met) a system on the device that does not boot as it is
/// (a flash of system parts that was stopped half way), as `plan` (preflight of these images)
/// predicts. Empty when none.
pub fn system_needed(installed: &Installed, images: &[Image], plan: &FlashPlan) -> Vec<String> {
    let mut needs = preflight::system_update_needed(installed, images);
    if needs.is_empty() {
        let trial = plan;
        if trial.after.state != BootState::RunningUserApp
            && trial
                .after
                .reasons
                .iter()
                .any(|r| r.starts_with("system part"))
        {
            needs.push(format!(
                "the system parts on the device do not boot together ({})",
                trial.after.reasons.join("; ")
            ));
        }
    }
    needs
}

/// What may be done about a refused plan, most useful first.
fn remedies(plan: &FlashPlan, system_note: Option<String>) -> Vec<Remedy> {
    let mut out = Vec::new();
    if let Some(why) = system_note {
        out.push(Remedy::AddSystem { why });
    }
    if plan
        .problems
        .iter()
        .any(|p| matches!(p, Problem::BootloaderTooOld { .. }))
    {
        out.push(Remedy::UpdateBootloader);
    }
    if plan
        .problems
        .iter()
        .any(|p| matches!(p, Problem::BadCrc { .. }))
    {
        out.push(Remedy::Rebuild);
    }
    if !plan.refused(true) {
        out.push(Remedy::Force);
    }
    out
}

/// The writes of `plan`, in order, each announced and reported through `on`. A set `stop` ends
/// the flash after the image being written; the error says what was written and what a reset
/// would do now. A failed write ends it too, naming the image.
pub fn execute(
    device: &mut dyn Device,
    plan: &FlashPlan,
    installed: &Installed,
    images: &[Image],
    stop: Option<&AtomicBool>,
    on: &mut dyn FnMut(Event<'_>),
) -> Result<Vec<Note>> {
    let total = plan.writes.len();
    let mut notes = Vec::new();
    for (i, w) in plan.writes.iter().enumerate() {
        on(Event::Writing {
            n: i + 1,
            total,
            write: w,
        });
        let started = std::time::Instant::now();
        match device.write(w) {
            Ok(note) => {
                on(Event::Written {
                    n: i + 1,
                    total,
                    write: w,
                    note,
                    seconds: started.elapsed().as_secs_f64(),
                });
                notes.push(note);
                if stop.is_some_and(|s| s.load(Ordering::SeqCst)) && i + 1 < total {
                    return Err(stopped(plan, installed, images, i + 1, on));
                }
            }
            Err(cause) => {
                return Err(FlashError::Interrupted {
                    label: w.label.clone(),
                    done: i,
                    total,
                    cause: Box::new(cause),
                }
                .into());
            }
        }
    }
    Ok(notes)
}

/// The error for a flash stopped after `done` images, naming what was and was not written and
/// what the device would do if it were reset now (preflight on what was written).
fn stopped(
    plan: &FlashPlan,
    installed: &Installed,
    images: &[Image],
    done: usize,
    on: &mut dyn FnMut(Event<'_>),
) -> Error {
    let total = plan.writes.len();
    let (written, rest) = plan.writes.split_at(done.min(total));
    let written_images: Vec<Image> = images
        .iter()
        .filter(|im| written.iter().any(|w| w.path == im.path))
        .cloned()
        .collect();
    let now = preflight::plan(installed, &written_images).after;
    on(Event::Stopped {
        done,
        total,
        now: &now,
    });
    let names = |ws: &[Write]| {
        ws.iter()
            .map(|w| w.label.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Error::FlashStopped {
        done,
        total,
        written: names(written),
        not_written: names(rest),
        if_reset: format!("{} ({})", now.state, now.state.led()),
    }
}

/// The images to flash for built artifacts: the `.dfu` file when it holds exactly the `.bin`
/// (dfu-util then also checks the VID:PID), else the `.bin`. `raw` always takes the `.bin`
/// (`--force`: dfu-util would refuse a `.dfu` made for another platform).
pub fn images_of(artifacts: &[Artifact], raw: bool) -> Result<Vec<Image>> {
    let mut images = Vec::new();
    for a in artifacts {
        let bin = std::fs::read(&a.bin).map_err(|e| Error::io(&a.bin, e))?;
        let label = a
            .bin
            .file_name()
            .map_or_else(|| a.module.clone(), |n| n.to_string_lossy().into_owned());
        let dfu = std::fs::read(&a.dfu)
            .ok()
            .filter(|d| !raw && crate::image::strip_dfu_suffix(d).0 == bin.as_slice());
        images.push(match dfu {
            Some(d) => Image::from_bytes(a.dfu.clone(), label, &d),
            None => Image::from_bytes(a.bin.clone(), label, &bin),
        });
    }
    Ok(images)
}

/// "an electron", "a photon".
fn article(name: &str) -> String {
    if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {name}")
    } else {
        format!("a {name}")
    }
}
