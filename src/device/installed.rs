//! What is in each slot of a device's flash, read through any [`FlashReader`] (dfu-util `-U`, a
//! simulated flash image) the way the bootloader reads it: header at +0x184 when the first word
//! looks like a stack pointer, else at +0 (particle-facts.md §3, §8b); CRC-32 over
//! `start..end`, stored big-endian at `end`.

use serde::Serialize;

use super::{FLASH_END, SlotDef, SlotKind, SlotMap};
use crate::image::module_info::{self, HEADER_LEN, ModuleFunction, ModuleInfo};
use crate::image::{ModuleDependency, crc::crc32};

/// Bytes to read at a slot start to be sure to get the header: vector table + header.
pub const HEADER_READ_LEN: u32 = (module_info::VECTOR_TABLE_HEADER_OFFSET + HEADER_LEN) as u32;

/// Reads device flash by absolute address.
pub trait FlashReader {
    type Error;
    fn read(&mut self, address: u32, len: u32) -> Result<Vec<u8>, Self::Error>;
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

/// Reads every slot of `layout` through `reader`: the header first, then the whole module to
/// check its CRC.
pub fn read_installed<R: FlashReader>(
    layout: &SlotMap,
    reader: &mut R,
) -> Result<Installed, R::Error> {
    let mut slots = Vec::new();
    for slot in &layout.slots {
        let head = reader.read(slot.start, HEADER_READ_LEN.min(slot.size))?;
        let first_word = word(&head);
        let content = if head.iter().all(|&b| b == 0xFF) {
            Content::Blank
        } else {
            match header_in(&head) {
                Err(why) => Content::NoHeader { why },
                Ok(info) => {
                    let len = info.image_len();
                    let fits = u64::from(slot.start) + len <= u64::from(FLASH_END);
                    let (crc_ok, stored_crc) = if fits {
                        let bytes = reader.read(slot.start, len as u32)?;
                        crc_of(&bytes)
                    } else {
                        (false, 0)
                    };
                    Content::Module {
                        info,
                        crc_ok,
                        stored_crc,
                    }
                }
            }
        };
        slots.push(SlotContent {
            slot: *slot,
            first_word,
            content,
        });
    }
    Ok(Installed {
        map: layout.clone(),
        slots,
    })
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
