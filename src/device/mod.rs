//! A Gen 2 device as its bootloader sees it: the flash slots of a platform ([`SlotMap`]), what is
//! installed in them ([`installed`]), what it would do at boot ([`boot`]) and whether a set of
//! images may be flashed ([`preflight`]). Pure functions over data; no USB, no files.

pub mod boot;
pub mod installed;
pub mod preflight;
pub mod versions;

use crate::config::{Platform, Table};

/// Start of internal flash; the bootloader lives here.
pub const BOOTLOADER_START: u32 = 0x0800_0000;
pub const BOOTLOADER_SIZE: u32 = 0x4000;
/// The bootloader refuses DFU writes below this address (`usbd_conf.h` `DFU_MAL_IS_PROTECTED_AREA`).
pub const FIRST_WRITABLE: u32 = 0x0802_0000;
/// End of the 1 MB internal flash (exclusive).
pub const FLASH_END: u32 = 0x0810_0000;
/// Size of the factory reset slot (a user part).
pub const FACTORY_SIZE: u32 = 0x2_0000;
/// Where a module is staged for the system to apply at its next boot: the OTA region, reached
/// over DFU alt 0 (`module_ota` in `hal/src/{photon,electron}/ota_module_bounds.c:11/12`, v2.3.1;
/// particle-cli 2.16 `specifications.js` `otaRegion`). A bootloader goes here, never to 0x08000000.
pub const OTA_START: u32 = 0x080C_0000;
/// The DCT's `ota_update_flag`: its offset in `application_dct_t`, which is the address DFU alt 1
/// takes (`SPARK_Firmware_Driver/inc/dct.h:84,192`, `usbd_dct_if.c:51-57`).
pub const OTA_FLAG_OFFSET: u32 = 1753;
/// The flag's values: apply the staged module at the next boot, or nothing to do (`dct.h:237-238`).
pub const OTA_FLAG_SET: u8 = 0xA5;
pub const OTA_FLAG_CLEAR: u8 = 0xFF;
/// DFU alt settings of the Gen 2 bootloader: internal flash, and the DCT (particle-facts.md §2).
/// The serial-port bit rate that asks a running Gen 2 system to reset into DFU mode
/// (`build/module-defaults.mk:2`; `system/src/system_update.cpp:253-272`, usb-facts.md §2a).
pub const DFU_BAUD: u32 = 14400;
pub const ALT_FLASH: u8 = 0;
pub const ALT_DCT: u8 = 1;

/// End of the OTA region (exclusive): 0x08100000 on Photon/P1 (256 K, over the factory slot's
/// address range), 0x080E0000 on the Electron (128 K) (`ota_module_bounds.c`, v2.3.1).
pub fn ota_end(platform_id: u16) -> u32 {
    if platform_id == ELECTRON {
        0x080E_0000
    } else {
        0x0810_0000
    }
}

/// Platform id of the Electron, whose system firmware differs in the rules below: it does not
/// validate the bootloader or system part 2 at boot, and it carries a bootloader image of its own.
pub const ELECTRON: u16 = 10;

/// What a slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "index")]
pub enum SlotKind {
    Bootloader,
    SystemPart(u8),
    UserPart,
    Factory,
}

impl std::fmt::Display for SlotKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SlotKind::Bootloader => f.write_str("bootloader"),
            SlotKind::SystemPart(i) => write!(f, "system part {i}"),
            SlotKind::UserPart => f.write_str("user part"),
            SlotKind::Factory => f.write_str("factory image"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotDef {
    pub kind: SlotKind,
    pub start: u32,
    pub size: u32,
}

impl SlotDef {
    pub fn end(&self) -> u32 {
        self.start.saturating_add(self.size)
    }

    pub fn overlaps(&self, start: u32, len: u32) -> bool {
        let end = start.saturating_add(len);
        start < self.end() && self.start < end
    }
}

/// The slots of one platform, bootloader first, factory last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotMap {
    pub platform_id: u16,
    pub platform: String,
    pub slots: Vec<SlotDef>,
    /// Every platform name the table knows, by id: for naming the platform of a module found
    /// in a slot (which may be another platform's).
    pub names: Vec<(u16, String)>,
}

impl SlotMap {
    /// From the platform table (`toolchains.toml`), plus the bootloader and factory slots, which
    /// are the same for every Gen 2 platform of a kind (particle-facts.md §2).
    pub fn of(table: &Table, platform: &Platform) -> SlotMap {
        let mut slots = vec![SlotDef {
            kind: SlotKind::Bootloader,
            start: BOOTLOADER_START,
            size: BOOTLOADER_SIZE,
        }];
        let mut system: Vec<SlotDef> = platform
            .slots
            .iter()
            .filter(|s| s.function == "system-part")
            .map(|s| SlotDef {
                kind: SlotKind::SystemPart(s.index),
                start: s.start,
                size: s.size,
            })
            .collect();
        system.sort_by_key(|s| s.start);
        slots.extend(system);
        let user = platform
            .slots
            .iter()
            .find(|s| s.function == "user-part")
            .map(|s| (s.start, s.size))
            .unwrap_or((platform.user_slot, 0x2_0000));
        slots.push(SlotDef {
            kind: SlotKind::UserPart,
            start: user.0,
            size: user.1,
        });
        if let Some(start) = factory_slot(platform.id) {
            slots.push(SlotDef {
                kind: SlotKind::Factory,
                start,
                size: FACTORY_SIZE,
            });
        }
        let names = table
            .platforms
            .iter()
            .map(|p| (p.id, p.name.clone()))
            .chain(table.other_platforms.iter().map(|p| (p.id, p.name.clone())))
            .collect();
        SlotMap {
            platform_id: platform.id,
            platform: platform.name.clone(),
            slots,
            names,
        }
    }

    pub fn slot(&self, kind: SlotKind) -> Option<&SlotDef> {
        self.slots.iter().find(|s| s.kind == kind)
    }

    pub fn user(&self) -> Option<&SlotDef> {
        self.slot(SlotKind::UserPart)
    }

    pub fn system_parts(&self) -> impl Iterator<Item = &SlotDef> {
        self.slots
            .iter()
            .filter(|s| matches!(s.kind, SlotKind::SystemPart(_)))
    }

    /// The name of platform `id`, if the table knows it.
    pub fn name_of(&self, id: u16) -> Option<&str> {
        self.names
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, n)| n.as_str())
    }

    /// "photon (6)", "platform 99".
    pub fn describe_id(&self, id: u16) -> String {
        match self.name_of(id) {
            Some(n) => format!("{n} ({id})"),
            None => format!("platform {id}"),
        }
    }

    /// The slot that starts exactly at `address`.
    pub fn slot_at(&self, address: u32) -> Option<&SlotDef> {
        self.slots.iter().find(|s| s.start == address)
    }
}

/// Factory reset image address: 0x080E0000 on Photon/P1, 0x080A0000 on the Electron
/// (`ota_module_bounds.c`, particle-facts.md §2).
pub fn factory_slot(platform_id: u16) -> Option<u32> {
    match platform_id {
        6 | 8 => Some(0x080E_0000),
        10 => Some(0x080A_0000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Table;

    #[test]
    fn electron_layout_has_the_factory_slot_at_the_photon_user_address() {
        let t = Table::embedded();
        let e = SlotMap::of(&t, t.find("electron").unwrap());
        assert_eq!(e.user().unwrap().start, 0x0808_0000);
        assert_eq!(e.slot_at(0x080A_0000).unwrap().kind, SlotKind::Factory);
        assert_eq!(
            e.slot_at(0x0806_0000).unwrap().kind,
            SlotKind::SystemPart(3)
        );
        let p = SlotMap::of(&t, t.find("p1").unwrap());
        assert_eq!(p.slot_at(0x080A_0000).unwrap().kind, SlotKind::UserPart);
        assert_eq!(p.slot(SlotKind::Factory).unwrap().start, 0x080E_0000);
        assert_eq!(p.system_parts().count(), 2);
    }
}
