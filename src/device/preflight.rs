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
        /// "photon (6)": the image's platform, as named by the table.
        image_platform: String,
        /// "photon (6)": the device's.
        device_platform: String,
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
fn a_platform(described: &str) -> String {
    let article = if described.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {described}")
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NoHeader { label, why } => {
                write!(f, "{label} is not a flashable module: {why}")
            }
            Problem::WrongPlatform {
                label,
                image_platform,
                device_platform,
                ..
            } => write!(
                f,
                "{label} is built for {image_platform} but the device is {}",
                a_platform(device_platform)
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
pub struct FlashPlan {
    pub writes: Vec<Write>,
    pub skipped: Vec<Skip>,
    pub problems: Vec<Problem>,
    /// What the device would do at a reset now, and after the writes.
    pub before: Boot,
    pub after: Boot,
    /// The flash as it will be after the writes.
    pub predicted: Installed,
}

impl FlashPlan {
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
            out.push(format!(
                "{} on the device is {}",
                s.slot.kind,
                s.describe(&installed.map)
            ));
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

pub fn plan(installed: &Installed, images: &[Image]) -> FlashPlan {
    let layout = &installed.map;
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
                image_platform: layout.describe_id(info.platform_id),
                device_platform: layout.describe_id(layout.platform_id),
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
        let what = super::installed::describe_module(&info, layout);
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
    FlashPlan {
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
