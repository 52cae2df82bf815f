//! Preflight: may these images be written to this device over DFU, in which order, and what
//! will it do after the reset? Every image is checked (platform, address, size, CRC), unchanged
//! modules are skipped, a bootloader is staged (OTA region + DCT flag) instead of written, and
//! the boot rules ([`super::boot`]) are run on the flash as it will be afterwards. Device rules
//! and facts only; what pbuild then allows is `flash::deploy`'s policy.
//!
//! **What goes where.** System and user parts go to the address their header names, which must
//! be their slot's. A monolithic image (function 3) goes to 0x08020000, over the system slots
//! (`module_user_mono` bounds 0x08020000..0x08080000, `ota_module_bounds.c:14/15`). A
//! bootloader cannot be written at 0x08000000 over DFU (`DFU_MAL_IS_PROTECTED_AREA`,
//! `usbd_conf.h:85`): it is staged in the OTA region (alt 0, 0x080C0000) and the DCT's
//! `ota_update_flag` is set (alt 1, offset 1753, 0xA5), which the system applies at its next
//! boot (boot rule 7): how `particle update` does it (particle-cli 2.16 `src/cmd/update.js`).
//!
//! **Order.** Nothing runs until the last write's `:leave`, so the order matters only when a
//! flash is cut short, and for the DCT:
//! - Photon/P1: the staged bootloader and the flag first. Their bootloader (from 0.7.0) serves
//!   DFU alt 1 with DCT functions of the installed system part 2, which must be intact
//!   (`bootloader/src/photon/bootloader_dct.c:27-70`); after new system parts, with no reset in
//!   between, such a write locked devices (particle-cli PR #499). particle-cli's order.
//! - Electron: its bootloader keeps its own DCT code; particle-cli writes the bootloader and the
//!   flag after the system parts.
//! - System parts each after the parts it depends on: their dependencies are `>=` a version, so
//!   a newer part meets an older part's dependency, and written in that order every state in
//!   between still boots by the rules (Photon/P1: part 1, then part 2; Electron: index 3, 1, 2).
//!   A cut then leaves only the image being written damaged (boot rule 3: may not boot when it is
//!   a system part); no `:leave` was sent, so the device stays in DFU mode and the same flash
//!   finishes it.
//! - The user part last, so it never runs against the old system; `:leave` on the last write only.

use std::fmt;
use std::path::{Path, PathBuf};

use super::boot::{Boot, boot};
use super::installed::{Content, Installed, crc_of};
use super::{
    ALT_DCT, ALT_FLASH, BOOTLOADER_SIZE, BOOTLOADER_START, ELECTRON, FIRST_WRITABLE, FLASH_END,
    OTA_FLAG_OFFSET, OTA_FLAG_SET, OTA_START, SlotKind,
};
use crate::image::module_info::{ModuleFunction, ModuleInfo, find_module_info};
use crate::image::{DfuSuffix, strip_dfu_suffix};

/// The end of the bounds a monolithic image may use (`module_user_mono`).
pub const MONOLITHIC_END: u32 = 0x0808_0000;

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

/// What a write puts on the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteData {
    /// A file, as it is.
    File(PathBuf),
    /// One byte (the DCT's OTA flag).
    Byte(u8),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// Index into the images given to [`plan`] (none for the OTA flag).
    pub image: Option<usize>,
    pub label: String,
    pub data: WriteData,
    /// DFU alt setting: 0 internal flash, 1 the DCT.
    pub alt: u8,
    /// An address in flash (alt 0) or an offset in the DCT (alt 1).
    pub address: u32,
    pub len: u32,
    /// Add `:leave` (reset after this write): the last write only.
    pub leave: bool,
    /// "system part 2 v2302", "bootloader v1006, staged for the system to apply".
    pub what: String,
}

impl Write {
    /// The file written, if this write is a file.
    pub fn path(&self) -> Option<&Path> {
        match &self.data {
            WriteData::File(p) => Some(p),
            WriteData::Byte(_) => None,
        }
    }
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
    /// A system part needs a newer bootloader than the device has, and none is staged with it
    /// (Photon/P1; the Electron does not check, boot rule 5).
    NeedsBootloader {
        label: String,
        needs: u16,
        has: Option<u16>,
    },
    /// The OTA flag cannot be written through DFU alt 1 on this device as it is.
    FlagNotWritable {
        why: String,
    },
    WouldNotRun {
        after: Boot,
    },
}

impl Problem {
    /// Problems `--force` cannot override: the device would not take the write at all.
    pub fn fatal(&self) -> bool {
        matches!(
            self,
            Problem::NoHeader { .. }
                | Problem::Protected { .. }
                | Problem::NotFlashable { .. }
                | Problem::FlagNotWritable { .. }
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
            Problem::NeedsBootloader { label, needs, has } => write!(
                f,
                "{label} needs bootloader >= {needs} but the device has {}, and no bootloader is flashed with it",
                has.map_or("none".to_string(), |h| h.to_string())
            ),
            Problem::FlagNotWritable { why } => write!(
                f,
                "the bootloader cannot be staged now: the OTA flag goes through DFU alt 1, which this device's bootloader serves with the DCT code of system part 2, and {why}"
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
    /// The flash as it will be after the writes (before the device's own changes at boot).
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

    /// The bootloader staged by this plan, if any.
    pub fn staged_bootloader(&self) -> Option<&Write> {
        self.writes
            .iter()
            .find(|w| w.alt == ALT_FLASH && w.address == OTA_START)
    }
}

/// What the user images need from the system that the device does not have: one line per
/// unmet dependency on a system part ("system part 2 is 1512, app.bin needs 2302"), and every
/// system part that is not intact.
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

/// The bootloader version the system parts among `images` need that the device does not have:
/// `(needed, installed)`. None on the Electron, whose system does not check it (boot rule 5)
/// and carries its own bootloader image (boot rule 4).
pub fn bootloader_needed(installed: &Installed, images: &[Image]) -> Option<(u16, Option<u16>)> {
    if installed.map.platform_id == ELECTRON {
        return None;
    }
    let has = installed.bootloader_version();
    let needs = images
        .iter()
        .filter_map(Image::header)
        .filter(|i| i.function == ModuleFunction::SystemPart)
        .flat_map(|i| {
            i.dependencies()
                .filter(|d| d.function == ModuleFunction::Bootloader)
                .map(|d| d.version)
                .collect::<Vec<_>>()
        })
        .max()?;
    has.is_none_or(|h| h < needs).then_some((needs, has))
}

/// The slot kinds and bounds an image goes to, by its header.
enum Target {
    Slot(SlotKind),
    Monolithic,
    Staged,
}

pub fn plan(installed: &Installed, images: &[Image]) -> FlashPlan {
    let map = &installed.map;
    let electron = map.platform_id == ELECTRON;
    let mut problems = Vec::new();
    let mut skipped = Vec::new();
    // (image index, header, order key)
    let mut candidates: Vec<(usize, ModuleInfo, (u8, u32))> = Vec::new();
    let mut staged_version = None;

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
        if info.platform_id != map.platform_id {
            problems.push(Problem::WrongPlatform {
                label: label.clone(),
                image: info.platform_id,
                device: map.platform_id,
                image_platform: map.describe_id(info.platform_id),
                device_platform: map.describe_id(map.platform_id),
            });
        }
        let target = match info.function {
            ModuleFunction::SystemPart => Target::Slot(SlotKind::SystemPart(info.index)),
            ModuleFunction::UserPart => Target::Slot(SlotKind::UserPart),
            ModuleFunction::Monolithic => Target::Monolithic,
            ModuleFunction::Bootloader => Target::Staged,
            _ => {
                problems.push(Problem::NotFlashable {
                    label,
                    what: info.function.to_string(),
                });
                continue;
            }
        };
        let what = super::installed::describe_module(&info, map);
        let same_platform = info.platform_id == map.platform_id;
        // An image that must start at `start` and fit in `size` bytes.
        let bounds = |start: u32, size: u32| -> Option<Problem> {
            if info.start != start {
                Some(Problem::WrongAddress {
                    label: label.clone(),
                    what: what.clone(),
                    address: info.start,
                    expected: Some(start),
                })
            } else {
                (info.image_len() > u64::from(size)).then(|| Problem::TooBig {
                    label: label.clone(),
                    len: info.image_len(),
                    slot: size,
                })
            }
        };
        match &target {
            Target::Staged => problems.extend(bounds(BOOTLOADER_START, BOOTLOADER_SIZE)),
            _ if info.start < FIRST_WRITABLE || info.end > FLASH_END => {
                problems.push(Problem::Protected {
                    label,
                    address: info.start,
                });
                continue;
            }
            Target::Monolithic => {
                problems.extend(bounds(FIRST_WRITABLE, MONOLITHIC_END - FIRST_WRITABLE))
            }
            Target::Slot(kind) => match map.slot_at(info.start) {
                Some(slot) if slot.kind == *kind && info.image_len() > u64::from(slot.size) => {
                    problems.push(Problem::TooBig {
                        label: label.clone(),
                        len: info.image_len(),
                        slot: slot.size,
                    });
                }
                Some(slot) if slot.kind == *kind => {}
                // A wrong-platform image is already reported; its address is a consequence.
                _ if same_platform => problems.push(Problem::WrongAddress {
                    label: label.clone(),
                    what,
                    address: info.start,
                    expected: map.slot(*kind).map(|s| s.start),
                }),
                _ => {}
            },
        }
        let (crc_ok, crc) = crc_of(&img.payload);
        if !crc_ok {
            problems.push(Problem::BadCrc {
                label: label.clone(),
            });
        }
        // Unchanged modules are skipped (the user part is always written: it is what changed).
        let installed_here = match target {
            Target::Slot(kind @ SlotKind::SystemPart(_)) => {
                installed.slot(kind).map(|s| &s.content)
            }
            Target::Staged => installed.slot(SlotKind::Bootloader).map(|s| &s.content),
            _ => None,
        };
        if crc_ok
            && let Some(Content::Module {
                info: on,
                crc_ok: true,
                stored_crc,
                ..
            }) = installed_here
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
        let key = match (&target, electron) {
            (Target::Staged, false) => (0, 0),
            (Target::Staged, true) => (2, 0),
            (Target::Slot(SlotKind::UserPart), _) => (3, info.start),
            (_, false) => (1, info.start),
            (_, true) => (0, info.start),
        };
        if matches!(target, Target::Staged) {
            staged_version = Some(info.version);
        }
        candidates.push((i, info, key));
    }

    candidates.sort_by_key(|(_, _, key)| *key);
    order_by_dependencies(installed, images, &mut candidates);
    let mut writes: Vec<Write> = Vec::new();
    for (i, info, _) in &candidates {
        let img = &images[*i];
        if info.function == ModuleFunction::Bootloader {
            writes.push(Write {
                image: Some(*i),
                label: img.label.clone(),
                data: WriteData::File(img.path.clone()),
                alt: ALT_FLASH,
                address: OTA_START,
                len: img.payload.len() as u32,
                leave: false,
                what: format!(
                    "bootloader v{}, staged for the system to apply",
                    info.version
                ),
            });
            writes.push(Write {
                image: None,
                label: "OTA flag".into(),
                data: WriteData::Byte(OTA_FLAG_SET),
                alt: ALT_DCT,
                address: OTA_FLAG_OFFSET,
                len: 1,
                leave: false,
                what: "DCT ota_update_flag = 0xA5: apply the staged bootloader at the next boot"
                    .into(),
            });
            continue;
        }
        writes.push(Write {
            image: Some(*i),
            label: img.label.clone(),
            data: WriteData::File(img.path.clone()),
            alt: ALT_FLASH,
            address: info.start,
            len: img.payload.len() as u32,
            leave: false,
            what: describe_short(info),
        });
    }
    if let Some(last) = writes.last_mut() {
        last.leave = true;
    }

    if staged_version.is_some()
        && let Some(why) = dct_write_refused(installed)
    {
        problems.push(Problem::FlagNotWritable { why });
    }
    if !electron {
        let has = staged_version.or(installed.bootloader_version());
        for (i, info, _) in &candidates {
            if info.function != ModuleFunction::SystemPart {
                continue;
            }
            for dep in info.dependencies() {
                if dep.function == ModuleFunction::Bootloader && has.is_none_or(|h| h < dep.version)
                {
                    problems.push(Problem::NeedsBootloader {
                        label: images[*i].label.clone(),
                        needs: dep.version,
                        has: installed.bootloader_version(),
                    });
                }
            }
        }
    }

    let before = boot(installed);
    let predicted = apply_writes(installed, &writes, images);
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

/// Within the system parts (and monolithic firmware), the write order that keeps every state in
/// between bootable: each image goes after the ones it depends on are in place (its
/// dependencies are `>=` a version, and a newer part meets an older one's, which is how Device
/// OS's parts are meant to be updated one at a time). On a Photon/P1 that is part 1, then part 2;
/// on an Electron index 3 (whose dependency on index 2 the old one meets), then 1, then 2. A part
/// whose dependencies cannot be met before it goes at the address order's place.
fn order_by_dependencies(
    installed: &Installed,
    images: &[Image],
    candidates: &mut [(usize, ModuleInfo, (u8, u32))],
) {
    let is_system = |info: &ModuleInfo| {
        matches!(
            info.function,
            ModuleFunction::SystemPart | ModuleFunction::Monolithic
        )
    };
    let Some(first) = candidates.iter().position(|(_, i, _)| is_system(i)) else {
        return;
    };
    let end = first
        + candidates[first..]
            .iter()
            .take_while(|(_, i, _)| is_system(i))
            .count();
    let mut now = installed.clone();
    for k in first..end {
        let met = |info: &ModuleInfo, now: &Installed| {
            info.dependencies()
                .filter(|d| d.function == ModuleFunction::SystemPart)
                .all(|d| now.version_for(d).is_some_and(|v| v >= d.version))
        };
        if let Some(j) = (k..end).find(|&j| met(&candidates[j].1, &now)) {
            candidates[k..=j].rotate_right(1);
        }
        let (i, info, _) = &candidates[k];
        let w = Write {
            image: Some(*i),
            label: String::new(),
            data: WriteData::File(PathBuf::new()),
            alt: ALT_FLASH,
            address: info.start,
            len: images[*i].payload.len() as u32,
            leave: false,
            what: String::new(),
        };
        apply_write(&mut now, &w, &images[*i].payload);
    }
}

/// Why a DCT write through DFU alt 1 fails on this device as it is, if it does: on Photon/P1 a
/// bootloader from 0.7.0 on (version 100 and later) reaches the DCT through system part 2, which
/// must be intact, of 0.7.0 or later, with system part 1 as new as it needs
/// (`bootloader/src/photon/bootloader_dct.c:27-70`, `module.c` `verify_module`; else
/// `dct_write_app_data` returns -1 and the write fails). Older bootloaders (their WICED library,
/// v0.6.4 `bootloader/src/photon/include.mk`) and the Electron's keep their own DCT code.
/// Whether `image` is exactly what the device holds in the slot it goes to: same header, a good
/// CRC on both sides, the same CRC. (`watch --flash` does not write an app the device runs.)
pub fn already_installed(installed: &Installed, image: &Image) -> bool {
    let Some(info) = image.header() else {
        return false;
    };
    let (crc_ok, crc) = crc_of(&image.payload);
    let Some(slot) = installed.map.slot_at(info.start) else {
        return false;
    };
    crc_ok
        && matches!(
            installed.slot(slot.kind).map(|s| &s.content),
            Some(Content::Module { info: on, crc_ok: true, stored_crc, .. })
                if *on == info && *stored_crc == crc
        )
}

pub fn dct_write_refused(installed: &Installed) -> Option<String> {
    if installed.map.platform_id == ELECTRON {
        return None;
    }
    let bootloader = installed.bootloader_version()?;
    if bootloader < 100 {
        return None;
    }
    let intact = |kind| {
        installed.proper_module(kind).filter(|_| {
            matches!(
                installed.slot(kind).map(|s| &s.content),
                Some(Content::Module { crc_ok: true, .. })
            )
        })
    };
    let Some(part2) = intact(SlotKind::SystemPart(2)) else {
        return Some("system part 2 on the device is not intact".into());
    };
    if part2.version < super::boot::SYSTEM_070 {
        return Some(format!(
            "system part 2 on the device is {}, older than 0.7.0",
            part2.version
        ));
    }
    let needs1 = part2
        .dependencies()
        .find(|d| d.function == ModuleFunction::SystemPart && d.index == 1)
        .map_or(0, |d| d.version);
    match intact(SlotKind::SystemPart(1)) {
        Some(p1) if p1.version >= needs1 => None,
        _ => Some("system part 1 on the device is not the one system part 2 needs".into()),
    }
}

/// "system part 2 v2302" / "user part v6".
pub fn describe_short(info: &ModuleInfo) -> String {
    match info.function {
        ModuleFunction::SystemPart => format!("system part {} v{}", info.index, info.version),
        ModuleFunction::UserPart => format!("user part v{}", info.version),
        ModuleFunction::Monolithic => format!("monolithic firmware v{}", info.version),
        f => format!("{f} v{}", info.version),
    }
}

/// The flash as it is after `writes` (the writes of a plan of `images`, or the first of them).
pub fn apply_writes(installed: &Installed, writes: &[Write], images: &[Image]) -> Installed {
    let mut now = installed.clone();
    for w in writes {
        let payload: &[u8] = match (&w.data, w.image) {
            (WriteData::Byte(b), _) => std::slice::from_ref(b),
            (WriteData::File(_), Some(i)) => &images[i].payload,
            (WriteData::File(_), None) => &[],
        };
        apply_write(&mut now, w, payload);
    }
    now
}

/// The effect of a write on the flash as pbuild summarises it: the slots it lands in, the
/// staged module (OTA region) or the OTA flag (DCT).
pub fn apply_write(installed: &mut Installed, w: &Write, payload: &[u8]) {
    if w.alt == ALT_DCT {
        if w.address == OTA_FLAG_OFFSET
            && let Some(b) = payload.first()
        {
            installed.ota_flag = *b;
        }
        return;
    }
    if w.address == OTA_START {
        installed.staged = content_of(payload);
        return;
    }
    for s in installed.slots.iter_mut() {
        if !s.slot.overlaps(w.address, w.len) {
            continue;
        }
        if s.slot.start == w.address {
            s.first_word = first_word(payload);
            s.content = content_of(payload);
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

fn content_of(payload: &[u8]) -> Content {
    match find_module_info(payload) {
        Ok(info) => {
            let (crc_ok, stored_crc) = crc_of(payload);
            let embedded = (info.function == ModuleFunction::SystemPart)
                .then(|| {
                    super::installed::embedded_bootloader(payload, info.start, info.platform_id)
                })
                .flatten()
                .map(Box::new);
            Content::Module {
                info,
                crc_ok,
                stored_crc,
                embedded,
            }
        }
        Err(e) => Content::NoHeader { why: e.to_string() },
    }
}

fn first_word(bytes: &[u8]) -> u32 {
    match bytes.get(..4) {
        Some(w) => u32::from_le_bytes([w[0], w[1], w[2], w[3]]),
        None => 0xFFFF_FFFF,
    }
}
