//! The one flash decision, for `pbuild flash` (a build or the files given) and
//! `pbuild watch --flash` alike: is the build for this device's platform; what does the device
//! have; does the app need a newer system (add the tree's system parts, or refuse); do the
//! system parts need a newer bootloader (stage the tree's or the given one for the system to
//! apply); is anything older than what is installed (refuse unless allowed); what preflight says
//! about the images; then the writes, in order, stopping cleanly on Ctrl-C and saying what is
//! true when the device disappears. Preflight's rules are the device's (`device::preflight`,
//! `device::boot`); the policy around them is here. The device is behind [`Device`], so the
//! decision is tested against a fake one.

use std::sync::atomic::{AtomicBool, Ordering};

use super::Event;
use super::error::{FlashError, Remedy};
use super::outcome::Note;
use crate::build::Artifact;
use crate::config::{Platform, Table, Target};
use crate::device::SlotMap;
use crate::device::boot::{BootState, boot};
use crate::device::installed::{Content, Installed};
use crate::device::preflight::{self, FlashPlan, Image, Problem, Write};
use crate::error::{Error, Result};
use crate::image::ModuleFunction;

/// The device as the decision needs it: what is installed, writing one image, and whether it
/// is still attached (after a failed write).
pub trait Device {
    fn read_installed(&mut self, map: &SlotMap) -> Result<Installed, FlashError>;
    fn write(&mut self, w: &Write) -> Result<Note, FlashError>;
    fn present(&mut self) -> bool;
}

/// What to do when the app needs a newer system than the device has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemPolicy {
    /// Build the tree's system parts and flash them first.
    Auto,
    /// Refuse, saying so.
    Never,
}

/// What is flashed: a build of the project (asked for through the `build` callback of [`run`]),
/// or module files as they are.
#[derive(Debug, Clone)]
pub enum Source {
    Build {
        /// The platform the build is for.
        platform: Platform,
        target: Target,
    },
    Files(Vec<Image>),
}

pub struct Request<'a> {
    pub table: &'a Table,
    /// The platform of the device (from its DFU VID:PID).
    pub device_platform: &'a Platform,
    pub source: Source,
    pub system: SystemPolicy,
    /// Flash what preflight would refuse (except what cannot be written at all).
    pub force: bool,
    /// Write system parts or a bootloader older than the device's.
    pub allow_downgrade: bool,
    /// Decide and report, write nothing.
    pub dry_run: bool,
    /// Set (by a Ctrl-C handler) to stop after the image being written.
    pub stop: Option<&'a AtomicBool>,
    /// Write nothing when the device already holds every image exactly (`watch --flash` at
    /// start-up); `pbuild flash` writes the app again when asked.
    pub unless_installed: bool,
}

/// What was decided and done.
#[derive(Debug)]
pub struct Deployed {
    pub plan: FlashPlan,
    /// One per image written (empty on a dry run or when nothing needed writing).
    pub notes: Vec<Note>,
}

/// Decide, then flash. `build` is asked for what the request needs: its target first, `modules`
/// when the system parts must be added, `bootloader` when one must be staged; `on` hears every
/// decision.
pub fn run(
    device: &mut dyn Device,
    req: &Request<'_>,
    build: &mut dyn FnMut(Target) -> Result<Vec<Artifact>>,
    on: &mut dyn FnMut(Event<'_>),
) -> Result<Deployed> {
    let device_p = req.device_platform;
    let mut images = match &req.source {
        Source::Build { platform, target } => {
            if platform.id != device_p.id && !req.force {
                let (vid, pid) = device_p.dfu_ids();
                return Err(Error::FlashRefused {
                    problems: vec![format!(
                        "the build is for {} ({}) but the device in DFU mode is {} ({}, DFU {vid:04x}:{pid:04x}); flashing it would make the device restore its factory image (flashing green) or enter safe mode",
                        platform.name,
                        platform.id,
                        article(&device_p.name),
                        device_p.id,
                    )],
                    remedies: vec![Remedy::BuildFor {
                        platform: device_p.name.clone(),
                    }],
                });
            }
            images_of(&build(*target)?, req.force)?
        }
        Source::Files(images) => images.clone(),
    };
    let installed = device.read_installed(&SlotMap::of(req.table, device_p))?;
    if req.unless_installed
        && !images.is_empty()
        && images
            .iter()
            .all(|i| preflight::already_installed(&installed, i))
    {
        return Ok(Deployed {
            plan: preflight::plan(&installed, &[]),
            notes: Vec::new(),
        });
    }
    let building = matches!(req.source, Source::Build { .. });

    // One preflight in the common case; again only when modules are added.
    let mut plan = preflight::plan(&installed, &images);
    let mut remedies = Vec::new();
    if let Source::Build {
        target: Target::Main,
        ..
    } = req.source
    {
        let needs = system_needed(&installed, &images, &plan);
        if !needs.is_empty() {
            let why = needs.join("; ");
            match req.system {
                SystemPolicy::Auto => {
                    on(Event::AddingSystem { why: &why });
                    images = images_of(&build(Target::Modules)?, req.force)?;
                    plan = preflight::plan(&installed, &images);
                }
                SystemPolicy::Never => remedies.push(Remedy::AddSystem { why }),
            }
        }
    }

    // The system parts need a newer bootloader: stage one with them.
    let has_bootloader = images.iter().any(|i| {
        i.header()
            .is_some_and(|h| h.function == ModuleFunction::Bootloader)
    });
    if let Some((needs, has)) = preflight::bootloader_needed(&installed, &images)
        && !has_bootloader
    {
        if building {
            on(Event::AddingBootloader { needs, has });
            match build(Target::Bootloader) {
                Ok(a) => {
                    images.extend(images_of(&a, req.force)?);
                    plan = preflight::plan(&installed, &images);
                }
                Err(e) => remedies.push(Remedy::GiveBootloader {
                    needs,
                    why: e.to_string(),
                }),
            }
        } else {
            remedies.push(Remedy::GiveBootloader {
                needs,
                why: "none of the files is a bootloader".into(),
            });
        }
    }

    on(Event::Planned(&plan));
    let downgrades = downgrades(&installed, &images, &plan);
    if plan.refused(req.force) || (!downgrades.is_empty() && !req.allow_downgrade) {
        let mut problems: Vec<String> = plan.problems.iter().map(|p| p.to_string()).collect();
        if !req.allow_downgrade {
            problems.extend(downgrades.iter().cloned());
        }
        remedies.extend(plan_remedies(&plan));
        if !downgrades.is_empty() && !req.allow_downgrade {
            remedies.push(Remedy::AllowDowngrade);
        }
        return Err(Error::FlashRefused { problems, remedies });
    }
    if !downgrades.is_empty() {
        on(Event::Downgrading(&downgrades));
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
    if needs.is_empty()
        && matches!(
            plan.after.state,
            BootState::MayNotBoot | BootState::SafeMode
        )
        && plan
            .after
            .reasons
            .iter()
            .any(|r| r.starts_with("system part"))
    {
        needs.push(format!(
            "the system parts on the device do not boot together ({})",
            plan.after.reasons.join("; ")
        ));
    }
    needs
}

/// System parts, monolithic firmware or a bootloader in the plan that are older than what the
/// device has, one line each.
pub fn downgrades(installed: &Installed, images: &[Image], plan: &FlashPlan) -> Vec<String> {
    let mut out = Vec::new();
    for w in &plan.writes {
        let Some(info) = w.image.and_then(|i| images[i].header()) else {
            continue;
        };
        let on_device = match info.function {
            ModuleFunction::SystemPart => installed.system_version(info.index),
            ModuleFunction::Monolithic => installed.system_summary(),
            ModuleFunction::Bootloader => installed.bootloader_version(),
            _ => None,
        };
        if let Some(v) = on_device.filter(|v| *v > info.version) {
            out.push(format!(
                "{} is version {}, older than the {v} on the device: a downgrade",
                w.label, info.version
            ));
        }
    }
    out
}

/// What may be done about a refused plan, most useful first.
fn plan_remedies(plan: &FlashPlan) -> Vec<Remedy> {
    let mut out = Vec::new();
    if plan
        .problems
        .iter()
        .any(|p| matches!(p, Problem::BadCrc { .. }))
    {
        out.push(Remedy::Rebuild);
    }
    if !plan.problems.is_empty() && !plan.refused(true) {
        out.push(Remedy::Force);
    }
    out
}

/// The writes of `plan`, in order, each announced and reported through `on`. A set `stop` ends
/// the flash after the image being written; the error says what was written and what a reset
/// would do now. A failed write ends it too, naming the image; when the device is gone after it
/// (unplugged), the error says what it will do when it comes back.
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
                if cause.may_have_written() && !device.present() {
                    return Err(unplugged(plan, installed, images, i, cause));
                }
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

/// The flash as it is after the first `done` writes of `plan`.
fn after_writes(
    plan: &FlashPlan,
    installed: &Installed,
    images: &[Image],
    done: usize,
) -> Installed {
    preflight::apply_writes(
        installed,
        &plan.writes[..done.min(plan.writes.len())],
        images,
    )
}

fn names(ws: &[Write]) -> String {
    if ws.is_empty() {
        return "nothing".into();
    }
    ws.iter()
        .map(|w| w.label.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error for a flash stopped after `done` images, naming what was and was not written and
/// what the device would do if it were reset now.
fn stopped(
    plan: &FlashPlan,
    installed: &Installed,
    images: &[Image],
    done: usize,
    on: &mut dyn FnMut(Event<'_>),
) -> Error {
    let total = plan.writes.len();
    let (written, rest) = plan.writes.split_at(done.min(total));
    let now = boot(&after_writes(plan, installed, images, done));
    on(Event::Stopped {
        done,
        total,
        now: &now,
    });
    Error::FlashStopped {
        done,
        total,
        written: names(written),
        not_written: names(rest),
        if_reset: format!("{} ({})", now.state, now.state.led()),
    }
}

/// The error for a device that went away during write `failed`: what was written, what was cut
/// short, and what it will do when it is powered again (the cut image counted as CRC-bad).
fn unplugged(
    plan: &FlashPlan,
    installed: &Installed,
    images: &[Image],
    failed: usize,
    cause: FlashError,
) -> Error {
    let w = &plan.writes[failed];
    // DFU erases, then writes from the start: the image's beginning (its header) is there, the
    // rest is not, so its CRC fails.
    let mut now = after_writes(plan, installed, images, failed + 1);
    if w.alt == crate::device::ALT_FLASH {
        for s in now.slots.iter_mut().filter(|s| s.slot.start == w.address) {
            if let Content::Module { crc_ok, .. } = &mut s.content {
                *crc_ok = false;
            }
        }
    }
    let back = boot(&now);
    FlashError::Unplugged {
        label: w.label.clone(),
        written: names(&plan.writes[..failed]),
        not_written: names(&plan.writes[failed + 1..]),
        when_back: back.summary(),
        cause: Box::new(cause),
    }
    .into()
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

/// Module files given by the user, read as they are (`.bin` or `.dfu`).
pub fn images_of_files(files: &[std::path::PathBuf]) -> Result<Vec<Image>> {
    files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(f).map_err(|e| Error::io(f, e))?;
            let label = f.file_name().map_or_else(
                || f.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            Ok(Image::from_bytes(f.clone(), label, &bytes))
        })
        .collect()
}

/// "an electron", "a photon".
fn article(name: &str) -> String {
    if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {name}")
    } else {
        format!("a {name}")
    }
}
