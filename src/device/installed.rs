//! What is in each slot of a device's flash, read through any [`FlashReader`] (dfu-util `-U`, a
//! simulated flash image) the way the bootloader reads it: header at +0x184 when the first word
//! looks like a stack pointer, else at +0 (particle-facts.md §3, §8b); CRC-32 over
//! `start..end`, stored big-endian at `end`. Also what the device will apply at its next boot:
//! the module staged in the OTA region and the DCT's OTA flag; and the bootloader image a system
//! part may carry inside it (the Electron's, and every Gen 2 platform's in 0.6.x).

use serde::Serialize;

use super::{ELECTRON, FLASH_END, OTA_FLAG_OFFSET, OTA_START, SlotDef, SlotKind, SlotMap, ota_end};
use crate::image::module_info::{self, HEADER_LEN, ModuleFunction, ModuleInfo};
use crate::image::{ModuleDependency, crc::crc32};

/// Bytes to read at a slot start to be sure to get the header: vector table + header.
pub const HEADER_READ_LEN: u32 = (module_info::VECTOR_TABLE_HEADER_OFFSET + HEADER_LEN) as u32;

/// Reads device flash by absolute address (DFU alt 0), and the DCT by offset (alt 1).
pub trait FlashReader {
    type Error;
    fn read(&mut self, address: u32, len: u32) -> Result<Vec<u8>, Self::Error>;
    fn read_dct(&mut self, offset: u32, len: u32) -> Result<Vec<u8>, Self::Error>;
}

/// A module image found in flash: its header, where it starts, its length and CRC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub info: ModuleInfo,
    /// Absolute address of the image's first byte (its vector table, when it has one).
    pub at: u32,
    pub len: u32,
    pub crc_ok: bool,
    pub stored_crc: u32,
}

/// What one slot holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Erased flash (all 0xFF).
    Blank,
    /// Bytes without a believable module header.
    NoHeader { why: String },
    /// A module: its header, and whether its CRC-32 matches.
    Module {
        info: ModuleInfo,
        crc_ok: bool,
        stored_crc: u32,
        /// A bootloader image carried inside this module (a system part's
        /// `bootloader_platform_N.c` array), if there is one.
        embedded: Option<Box<Found>>,
    },
    /// (Predicted) partly overwritten by a write that did not start at this slot.
    Overwritten { by: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotContent {
    pub slot: SlotDef,
    /// The first word at the slot start: the bootloader's "is there an app" test.
    pub first_word: u32,
    pub content: Content,
}

impl SlotContent {
    pub fn module(&self) -> Option<&ModuleInfo> {
        match &self.content {
            Content::Module { info, .. } => Some(info),
            _ => None,
        }
    }

    /// A short description for people: "system-part 2 v2302 (photon)", "blank", …; `map`
    /// names the platforms.
    pub fn describe(&self, map: &SlotMap) -> String {
        match &self.content {
            Content::Blank => "blank".into(),
            Content::NoHeader { why } => format!("no module header ({why})"),
            Content::Overwritten { by } => format!("overwritten by {by}"),
            Content::Module { info, crc_ok, .. } => {
                let mut s = describe_module(info, map);
                if !crc_ok {
                    s.push_str(", CRC MISMATCH");
                }
                s
            }
        }
    }
}

/// "system-part 2 v2302 (photon)".
pub fn describe_module(info: &ModuleInfo, map: &SlotMap) -> String {
    let platform = map
        .name_of(info.platform_id)
        .map(str::to_string)
        .unwrap_or_else(|| format!("platform {}", info.platform_id));
    match info.function {
        ModuleFunction::Bootloader => format!("bootloader v{} ({platform})", info.version),
        f => format!("{} {} v{} ({platform})", f, info.index, info.version),
    }
}

/// Everything installed on a device, slot by slot in layout order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub map: SlotMap,
    pub slots: Vec<SlotContent>,
    /// What the OTA region at [`OTA_START`] holds (a module staged there, or not).
    pub staged: Content,
    /// The DCT's `ota_update_flag` ([`OTA_FLAG_SET`]: apply the staged module at the next boot).
    pub ota_flag: u8,
}

impl Installed {
    pub fn slot(&self, kind: SlotKind) -> Option<&SlotContent> {
        self.slots.iter().find(|s| s.slot.kind == kind)
    }

    /// The module in `kind`'s slot when it is what that slot should hold on this platform:
    /// right function and index, this platform, starting at the slot. This is what the device's
    /// dependency checks look up.
    pub fn proper_module(&self, kind: SlotKind) -> Option<&ModuleInfo> {
        let s = self.slot(kind)?;
        let info = s.module()?;
        let (function, index) = match kind {
            SlotKind::Bootloader => (ModuleFunction::Bootloader, None),
            SlotKind::SystemPart(i) => (ModuleFunction::SystemPart, Some(i)),
            SlotKind::UserPart | SlotKind::Factory => (ModuleFunction::UserPart, None),
        };
        let start_ok = match kind {
            SlotKind::Factory => self.map.user().is_some_and(|u| u.start == info.start),
            _ => info.start == s.slot.start,
        };
        (info.function == function
            && index.is_none_or(|i| i == info.index)
            && info.platform_id == self.map.platform_id
            && start_ok)
            .then_some(info)
    }

    pub fn bootloader_version(&self) -> Option<u16> {
        self.proper_module(SlotKind::Bootloader).map(|m| m.version)
    }

    pub fn system_version(&self, index: u8) -> Option<u16> {
        self.proper_module(SlotKind::SystemPart(index))
            .map(|m| m.version)
    }

    /// The version installed that a dependency refers to, if any.
    pub fn version_for(&self, dep: &ModuleDependency) -> Option<u16> {
        match dep.function {
            ModuleFunction::Bootloader => self.bootloader_version(),
            ModuleFunction::SystemPart => self.system_version(dep.index),
            ModuleFunction::UserPart => self.proper_module(SlotKind::UserPart).map(|m| m.version),
            _ => None,
        }
    }

    /// The lowest system part version installed (the "system version" people talk about).
    pub fn system_summary(&self) -> Option<u16> {
        self.map
            .system_parts()
            .map(|s| match s.kind {
                SlotKind::SystemPart(i) => self.system_version(i),
                _ => None,
            })
            .collect::<Option<Vec<u16>>>()
            .and_then(|v| v.into_iter().min())
    }
}

/// Reads every slot of `layout` through `reader` (the header first, then the whole module to
/// check its CRC and find a bootloader image inside a system part), the OTA region and the
/// DCT's OTA flag.
pub fn read_installed<R: FlashReader>(
    layout: &SlotMap,
    reader: &mut R,
) -> Result<Installed, R::Error> {
    let mut slots = Vec::new();
    for slot in &layout.slots {
        let scan = matches!(slot.kind, SlotKind::SystemPart(_));
        let (first_word, content) = read_content(reader, slot.start, slot.size, scan, layout)?;
        slots.push(SlotContent {
            slot: *slot,
            first_word,
            content,
        });
    }
    let ota = ota_end(layout.platform_id) - OTA_START;
    let (_, staged) = read_content(reader, OTA_START, ota, false, layout)?;
    let flag = reader.read_dct(OTA_FLAG_OFFSET, 1)?;
    Ok(Installed {
        map: layout.clone(),
        slots,
        staged,
        ota_flag: flag.first().copied().unwrap_or(super::OTA_FLAG_CLEAR),
    })
}

/// The first word and content of `size` bytes at `start`; with `scan`, also a bootloader image
/// inside the module.
fn read_content<R: FlashReader>(
    reader: &mut R,
    start: u32,
    size: u32,
    scan: bool,
    layout: &SlotMap,
) -> Result<(u32, Content), R::Error> {
    let head = reader.read(start, HEADER_READ_LEN.min(size))?;
    let first_word = word(&head);
    if head.iter().all(|&b| b == 0xFF) {
        return Ok((first_word, Content::Blank));
    }
    let info = match header_in(&head) {
        Err(why) => return Ok((first_word, Content::NoHeader { why })),
        Ok(info) => info,
    };
    let len = info.image_len();
    let fits = u64::from(start) + len <= u64::from(FLASH_END);
    let (crc_ok, stored_crc, embedded) = if fits {
        let bytes = reader.read(start, len as u32)?;
        let (ok, crc) = crc_of(&bytes);
        let embedded = scan
            .then(|| embedded_bootloader(&bytes, start, layout.platform_id))
            .flatten()
            .map(Box::new);
        (ok, crc, embedded)
    } else {
        (false, 0, None)
    };
    Ok((
        first_word,
        Content::Module {
            info,
            crc_ok,
            stored_crc,
            embedded,
        },
    ))
}

/// A bootloader image for `platform_id` inside `bytes` (a module loaded at `base`): a vector
/// table whose header at +0x184 says function bootloader, this platform, start 0x08000000,
/// within the 16 K bootloader slot. Device OS links it as a byte array
/// (`hal/src/stm32f2xx/bootloader_platform_10.c`, into the Electron's index-3 system part via
/// `modules/electron/system-part1/src/bootloader_hal.c`), at no fixed offset (2-byte aligned in
/// the 2.2.0 release), so every offset is tried.
pub fn embedded_bootloader(bytes: &[u8], base: u32, platform_id: u16) -> Option<Found> {
    let vt = module_info::VECTOR_TABLE_HEADER_OFFSET;
    (0..bytes.len().saturating_sub(vt + HEADER_LEN)).find_map(|at| {
        let info = ModuleInfo::parse_at(bytes, at + vt).ok()?;
        let plausible = info.function == ModuleFunction::Bootloader
            && info.platform_id == platform_id
            && info.start == super::BOOTLOADER_START
            && info.end > info.start
            && info.end <= super::BOOTLOADER_START + super::BOOTLOADER_SIZE
            && word(&bytes[at..]) & module_info::APP_START_MASK == 0x2000_0000;
        if !plausible {
            return None;
        }
        let len = info.image_len() as usize;
        let image = bytes.get(at..at + len)?;
        let (crc_ok, stored_crc) = crc_of(image);
        Some(Found {
            info,
            at: base + at as u32,
            len: len as u32,
            crc_ok,
            stored_crc,
        })
    })
}

/// The embedded bootloader image a platform's system firmware rewrites an older bootloader
/// with, from `installed`'s system parts (the first one found).
pub fn carried_bootloader(installed: &Installed) -> Option<&Found> {
    installed.slots.iter().find_map(|s| match &s.content {
        Content::Module {
            embedded: Some(e), ..
        } if matches!(s.slot.kind, SlotKind::SystemPart(_)) => Some(e.as_ref()),
        _ => None,
    })
}

/// Whether this is the Electron (see [`ELECTRON`]).
pub fn is_electron(installed: &Installed) -> bool {
    installed.map.platform_id == ELECTRON
}

/// The header in the first bytes of a slot, by the device's rule, judged without a file length.
pub fn header_in(head: &[u8]) -> Result<ModuleInfo, String> {
    let offset = module_info::device_header_offset(word(head));
    let info = ModuleInfo::parse_at(head, offset).map_err(|e| e.to_string())?;
    info.check_plausible(None).map_err(|e| e.to_string())?;
    Ok(info)
}

/// (CRC matches, stored CRC) for a whole module image.
pub fn crc_of(image: &[u8]) -> (bool, u32) {
    match image.len().checked_sub(4) {
        Some(n) => {
            let stored = u32::from_be_bytes([image[n], image[n + 1], image[n + 2], image[n + 3]]);
            (crc32(&image[..n]) == stored, stored)
        }
        None => (false, 0),
    }
}

fn word(bytes: &[u8]) -> u32 {
    match bytes.get(..4) {
        Some(w) => u32::from_le_bytes([w[0], w[1], w[2], w[3]]),
        None => 0xFFFF_FFFF,
    }
}

/// JSON shape of one slot for `pbuild device --json` and `pbuild sim status --json`.
#[derive(Debug, Clone, Serialize)]
pub struct SlotReport {
    pub slot: String,
    pub address: u32,
    pub size: u32,
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<crate::inspect::ModuleReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crc_ok: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

impl SlotContent {
    pub fn report(&self, map: &SlotMap) -> SlotReport {
        let (state, module, crc_ok, why) = match &self.content {
            Content::Blank => ("blank", None, None, None),
            Content::NoHeader { why } => ("no-header", None, None, Some(why.clone())),
            Content::Overwritten { by } => ("overwritten", None, None, Some(by.clone())),
            Content::Module { info, crc_ok, .. } => (
                "module",
                Some(crate::inspect::module_report(
                    info,
                    map.name_of(info.platform_id),
                )),
                Some(*crc_ok),
                None,
            ),
        };
        SlotReport {
            slot: self.slot.kind.to_string(),
            address: self.slot.start,
            size: self.slot.size,
            state,
            module,
            crc_ok,
            why,
        }
    }
}
