//! Preflight: may these images be flashed onto this device, in which order, and what will it do
//! after the reset? Every image is checked (platform, slot address, size, CRC, bootloader
//! dependency), unchanged system parts are skipped, and the boot rules ([`super::boot`]) are run
//! on the flash as it will be afterwards. The same code answers `pbuild flash --dry-run`.
//!
//! Order: system part 2 first (the part the bootloader validates; it carries the dependencies on
//! system part 1 and on the bootloader, so if the sequence is cut short the device sees unmet
//! dependencies rather than starting a mixed system), then the other system parts by index,
//! then the user part. Only the last write gets `:leave`: the device stays in DFU mode until
//! every image is written, so no half-updated system ever runs.

use std::fmt;
use std::path::PathBuf;

use super::boot::{Boot, boot};
use super::installed::{Content, Installed, crc_of};
use super::{FIRST_WRITABLE, FLASH_END, SlotKind};
use crate::image::module_info::{ModuleFunction, ModuleInfo, find_module_info};
use crate::image::{DfuSuffix, strip_dfu_suffix};

/// One file to flash.
#[derive(Debug, Clone)]
pub struct Image {
    /// The file handed to dfu-util.
    pub path: PathBuf,
    /// How it is named to people (usually the file name).
    pub label: String,
    /// The module image: the file less any `.dfu` suffix.
    pub payload: Vec<u8>,
    pub dfu: Option<DfuSuffix>,
}

impl Image {
    pub fn from_bytes(path: PathBuf, label: impl Into<String>, bytes: &[u8]) -> Image {
        let (payload, dfu) = strip_dfu_suffix(bytes);
        Image {
            path,
            label: label.into(),
            payload: payload.to_vec(),
            dfu,
        }
    }

    pub fn header(&self) -> Option<ModuleInfo> {
        find_module_info(&self.payload).ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// Index into the images given to [`plan`].
    pub image: usize,
    pub label: String,
    pub path: PathBuf,
    pub address: u32,
    pub len: u32,
    /// Add `:leave` (reset after this write): the last write only.
    pub leave: bool,
    /// "system-part 2 v2302".
    pub what: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub image: usize,
    pub label: String,
    pub why: String,
}

/// Why a flash is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NoHeader {
        label: String,
        why: String,
    },
    WrongPlatform {
        label: String,
        image: u16,
        device: u16,
    },
    NotFlashable {
        label: String,
        what: String,
    },
    Protected {
        label: String,
        address: u32,
    },
    WrongAddress {
        label: String,
        what: String,
        address: u32,
        expected: Option<u32>,
    },
    TooBig {
        label: String,
        len: u64,
        slot: u32,
    },
    BadCrc {
        label: String,
    },
    BootloaderTooOld {
        label: String,
        needs: u16,
        has: Option<u16>,
    },
    WouldNotRun {
        after: Boot,
    },
}

impl Problem {
    /// Problems `--force` cannot override: dfu-util could not write the image at all.
    pub fn fatal(&self) -> bool {
        matches!(
            self,
            Problem::NoHeader { .. } | Problem::Protected { .. } | Problem::NotFlashable { .. }
        )
    }
}

/// "an electron (10)", "a photon (6)".
fn a_platform(id: u16) -> String {
    let p = platform(id);
    let article = if p.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {p}")
}

fn platform(id: u16) -> String {
    match crate::image::platform_name(id) {
        Some(n) => format!("{n} ({id})"),
        None => format!("platform {id}"),
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NoHeader { label, why } => {
                write!(f, "{label} is not a flashable module: {why}")
            }
            Problem::WrongPlatform {
                label,
                image,
                device,
            } => write!(
                f,
                "{label} is built for {} but the device is {}",
                platform(*image),
                a_platform(*device)
            ),
            Problem::NotFlashable { label, what } => {
                write!(f, "{label} is a {what}, which cannot be written over DFU")
            }
            Problem::Protected { label, address } => write!(
                f,
                "{label} starts at {address:#010x}: the bootloader refuses DFU writes below 0x08020000"
            ),
            Problem::WrongAddress {
                label,
                what,
                address,
                expected,
            } => {
                write!(f, "{label} ({what}) starts at {address:#010x}, ")?;
                match expected {
                    Some(e) => write!(f, "but that module's slot on this device is at {e:#010x}"),
                    None => write!(f, "which is not a slot for it on this device"),
                }
            }
            Problem::TooBig { label, len, slot } => {
                write!(
                    f,
                    "{label} is {len} bytes, larger than its {slot}-byte slot"
                )
            }
            Problem::BadCrc { label } => write!(
                f,
                "{label} has a CRC-32 that does not match its contents: the device would reject it"
            ),
            Problem::BootloaderTooOld { label, needs, has } => write!(
                f,
                "{label} needs bootloader >= {needs} but the device has {}, and a Gen 2 bootloader cannot be written over DFU",
                has.map_or("none".to_string(), |h| h.to_string())
            ),
            Problem::WouldNotRun { after } => {
                write!(
                    f,
                    "after this flash the device would boot into {}",
                    after.summary()
                )
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub writes: Vec<Write>,
    pub skipped: Vec<Skip>,
    pub problems: Vec<Problem>,
    /// What the device would do at a reset now, and after the writes.
    pub before: Boot,
    pub after: Boot,
    /// The flash as it will be after the writes.
    pub predicted: Installed,
}

impl Plan {
    /// Whether the flash must not go ahead (with `force`, only fatal problems refuse).
    pub fn refused(&self, force: bool) -> bool {
        if force {
            self.problems.iter().any(Problem::fatal)
        } else {
            !self.problems.is_empty()
        }
    }
}

/// What the user images need from the system that the device does not have: one line per
/// unmet dependency on a system part ("the app needs system part 2 >= 2302, the device has 1512").
pub fn system_update_needed(installed: &Installed, images: &[Image]) -> Vec<String> {
    let mut out = Vec::new();
    for s in &installed.slots {
        if !matches!(s.slot.kind, SlotKind::SystemPart(_)) {
            continue;
        }
        let intact = installed.proper_module(s.slot.kind).is_some()
            && matches!(s.content, Content::Module { crc_ok: true, .. });
        if !intact {
            out.push(format!("{} on the device is {}", s.slot.kind, s.describe()));
        }
    }
    for img in images {
        let Some(info) = img.header() else { continue };
        if info.function != ModuleFunction::UserPart {
            continue;
        }
        for dep in info.dependencies() {
            if dep.function != ModuleFunction::SystemPart {
                continue;
            }
            match installed.version_for(dep) {
                Some(v) if v >= dep.version => {}
                Some(v) => out.push(format!(
                    "system part {} is {v}, {} needs {}",
                    dep.index, img.label, dep.version
                )),
                None => out.push(format!(
                    "system part {} is not installed, {} needs {}",
                    dep.index, img.label, dep.version
                )),
            }
        }
    }
    out
}

pub fn plan(installed: &Installed, images: &[Image]) -> Plan {
    let layout = &installed.layout;
    let mut problems = Vec::new();
    let mut skipped = Vec::new();
    let mut candidates: Vec<(usize, ModuleInfo, bool, u32)> = Vec::new();

    for (i, img) in images.iter().enumerate() {
        let label = img.label.clone();
        let info = match find_module_info(&img.payload) {
            Ok(info) => info,
            Err(e) => {
                problems.push(Problem::NoHeader {
                    label,
                    why: e.to_string(),
                });
                continue;
            }
        };
        if info.platform_id != layout.platform_id {
            problems.push(Problem::WrongPlatform {
                label: label.clone(),
                image: info.platform_id,
                device: layout.platform_id,
            });
        }
        let wanted_kind = match info.function {
            ModuleFunction::SystemPart => Some(SlotKind::SystemPart(info.index)),
            ModuleFunction::UserPart => Some(SlotKind::UserPart),
            _ => None,
        };
        if info.start < FIRST_WRITABLE || info.end > FLASH_END {
            problems.push(Problem::Protected {
                label,
                address: info.start,
            });
            continue;
        }
        let Some(kind) = wanted_kind else {
            problems.push(Problem::NotFlashable {
                label,
                what: info.function.to_string(),
            });
            continue;
        };
        let what = super::installed::describe_module(&info);
        match layout.slot_at(info.start) {
            Some(slot) if slot.kind == kind => {
                if info.image_len() > u64::from(slot.size) {
                    problems.push(Problem::TooBig {
                        label: label.clone(),
                        len: info.image_len(),
                        slot: slot.size,
                    });
                }
            }
            _ => {
                // A wrong-platform image is already reported; its address is a consequence.
                if info.platform_id == layout.platform_id {
                    problems.push(Problem::WrongAddress {
                        label: label.clone(),
                        what,
                        address: info.start,
                        expected: layout.slot(kind).map(|s| s.start),
                    });
                }
            }
        }
        let (crc_ok, crc) = crc_of(&img.payload);
        if !crc_ok {
            problems.push(Problem::BadCrc {
                label: label.clone(),
            });
        }
        for dep in info.dependencies() {
            if dep.function == ModuleFunction::Bootloader {
                let has = installed.bootloader_version();
                if has.is_none_or(|h| h < dep.version) {
                    problems.push(Problem::BootloaderTooOld {
                        label: label.clone(),
                        needs: dep.version,
                        has,
                    });
                }
            }
        }
        if kind != SlotKind::UserPart
            && crc_ok
            && let Some(Content::Module {
                info: on,
                crc_ok: true,
                stored_crc,
            }) = installed.slot(kind).map(|s| &s.content)
            && *on == info
            && *stored_crc == crc
        {
            skipped.push(Skip {
                image: i,
                label,
                why: format!(
                    "{} is already on the device (same version and CRC)",
                    describe_short(&info)
                ),
            });
            continue;
        }
        candidates.push((i, info, crc_ok, crc));
    }

    candidates.sort_by_key(|(_, info, _, _)| order_key(info));
    let mut writes: Vec<Write> = candidates
        .iter()
        .map(|(i, info, _, _)| Write {
            image: *i,
            label: images[*i].label.clone(),
            path: images[*i].path.clone(),
            address: info.start,
            len: images[*i].payload.len() as u32,
            leave: false,
            what: describe_short(info),
        })
        .collect();
    if let Some(last) = writes.last_mut() {
        last.leave = true;
    }

    let before = boot(installed);
    let mut predicted = installed.clone();
    for w in &writes {
        apply_write(&mut predicted, w, &images[w.image].payload);
    }
    let after = boot(&predicted);
    if !after.runs_app() && !writes.is_empty() {
        problems.push(Problem::WouldNotRun {
            after: after.clone(),
        });
    }
    Plan {
        writes,
        skipped,
        problems,
        before,
        after,
        predicted,
    }
}

/// "system part 2 v2302" / "user part v6".
pub fn describe_short(info: &ModuleInfo) -> String {
    match info.function {
        ModuleFunction::SystemPart => format!("system part {} v{}", info.index, info.version),
        ModuleFunction::UserPart => format!("user part v{}", info.version),
        f => format!("{f} v{}", info.version),
    }
}

fn order_key(info: &ModuleInfo) -> (u8, u8, u32) {
    match info.function {
        ModuleFunction::SystemPart if info.index == 2 => (0, 0, info.start),
        ModuleFunction::SystemPart => (1, info.index, info.start),
        ModuleFunction::UserPart => (2, 0, info.start),
        _ => (3, 0, info.start),
    }
}

/// The slot-level effect of writing `payload` at `w.address`.
pub fn apply_write(installed: &mut Installed, w: &Write, payload: &[u8]) {
    for s in installed.slots.iter_mut() {
        if !s.slot.overlaps(w.address, w.len) {
            continue;
        }
        if s.slot.start == w.address {
            s.first_word = first_word(payload);
            s.content = match find_module_info(payload) {
                Ok(info) => {
                    let (crc_ok, stored_crc) = crc_of(payload);
                    Content::Module {
                        info,
                        crc_ok,
                        stored_crc,
                    }
                }
                Err(e) => Content::NoHeader { why: e.to_string() },
            };
        } else {
            if s.slot.start > w.address {
                let offset = (s.slot.start - w.address) as usize;
                s.first_word = payload
                    .get(offset..)
                    .map(first_word)
                    .unwrap_or(s.first_word);
            }
            s.content = Content::Overwritten {
                by: format!("{} written at {:#010x}", w.label, w.address),
            };
        }
    }
}

fn first_word(bytes: &[u8]) -> u32 {
    match bytes.get(..4) {
        Some(w) => u32::from_le_bytes([w[0], w[1], w[2], w[3]]),
        None => 0xFFFF_FFFF,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Table;
    use crate::device::boot::BootState;
    use crate::sim::modules;
    use crate::sim::{CreateOptions, SimDevice};

    fn device(
        platform: &str,
        system: u16,
        bootloader: Option<u16>,
    ) -> (tempfile::TempDir, SimDevice) {
        let dir = tempfile::tempdir().unwrap();
        let t = Table::embedded();
        let dev = SimDevice::create(
            &dir.path().join("d"),
            &CreateOptions {
                platform: t.find(platform).unwrap(),
                system_version: system,
                bootloader_version: bootloader,
                serial: None,
                empty: false,
            },
        )
        .unwrap();
        (dir, dev)
    }

    fn image(label: &str, bytes: Vec<u8>) -> Image {
        Image::from_bytes(PathBuf::from(label), label, &bytes)
    }

    fn release(platform: &str, version: u16) -> Vec<Image> {
        let p = Table::embedded().find(platform).unwrap().clone();
        let mut images: Vec<Image> = modules::system_parts(&p, version)
            .into_iter()
            .map(|(at, img)| image(&format!("part@{at:x}"), img))
            .collect();
        images.push(image("app", modules::user_app(&p, version).1));
        images
    }

    #[test]
    fn system_update_order_and_leave() {
        let (_d, dev) = device("electron", 2202, None);
        let images = release("electron", 2302);
        assert_eq!(
            system_update_needed(&dev.installed(), &images[3..]).len(),
            1
        );
        let plan = plan(&dev.installed(), &images);
        assert!(plan.problems.is_empty(), "{:?}", plan.problems);
        let order: Vec<&str> = plan.writes.iter().map(|w| w.what.as_str()).collect();
        assert_eq!(
            order,
            [
                "system part 2 v2302",
                "system part 1 v2302",
                "system part 3 v2302",
                "user part v6"
            ]
        );
        assert_eq!(plan.writes.iter().filter(|w| w.leave).count(), 1);
        assert!(plan.writes[3].leave);
        assert_eq!(plan.after.state, BootState::RunningUserApp);
    }

    #[test]
    fn only_the_app_with_a_too_old_system_predicts_safe_mode() {
        let (_d, dev) = device("photon", 1512, Some(1006));
        let images = release("photon", 2302);
        let plan = plan(&dev.installed(), &images[2..]);
        assert!(plan.refused(false));
        assert!(!plan.refused(true));
        assert_eq!(plan.after.state, BootState::SafeMode);
        assert_eq!(
            plan.problems.last().unwrap().to_string(),
            "after this flash the device would boot into safe-mode (breathing magenta): the user app needs system part 2 >= 2302, the device has 1512"
        );
    }

    #[test]
    fn unchanged_system_parts_are_skipped() {
        let (_d, dev) = device("p1", 2302, None);
        let images = release("p1", 2302);
        let plan = plan(&dev.installed(), &images);
        assert_eq!(plan.skipped.len(), 2);
        assert_eq!(plan.writes.len(), 1);
        assert!(plan.problems.is_empty());
    }

    #[test]
    fn a_photon_app_on_an_electron_is_refused_and_would_hit_the_factory_slot() {
        let (_d, dev) = device("electron", 2302, None);
        let photon = release("photon", 2302);
        let plan = plan(&dev.installed(), &photon[2..]);
        assert_eq!(
            plan.problems[0].to_string(),
            "app is built for photon (6) but the device is an electron (10)"
        );
        assert_eq!(plan.writes[0].address, 0x080A_0000);
        let factory = plan.predicted.slot(SlotKind::Factory).unwrap();
        assert!(factory.module().is_some_and(|m| m.platform_id == 6));
    }

    #[test]
    fn bootloaders_headerless_and_corrupt_images_are_refused() {
        let (_d, dev) = device("photon", 2302, None);
        let (_, boot) = modules::bootloader(6, 1100);
        let plan1 = plan(&dev.installed(), &[image("bl", boot)]);
        assert!(matches!(
            plan1.problems[0],
            Problem::Protected {
                address: 0x0800_0000,
                ..
            }
        ));
        assert!(plan1.refused(true), "not even --force");
        let plan2 = plan(&dev.installed(), &[image("junk", vec![0x12; 300])]);
        assert!(matches!(plan2.problems[0], Problem::NoHeader { .. }));
        let mut app = release("photon", 2302).pop().unwrap();
        let mid = app.payload.len() / 2;
        app.payload[mid] ^= 1;
        let plan3 = plan(&dev.installed(), &[app]);
        assert!(
            plan3
                .problems
                .iter()
                .any(|p| matches!(p, Problem::BadCrc { .. }))
        );
        assert_eq!(plan3.after.state, BootState::SafeMode);
        assert_eq!(plan3.before.state, BootState::RunningUserApp);
    }
}
