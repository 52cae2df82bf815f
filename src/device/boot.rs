//! What a Gen 2 device does when it resets, from what is installed: the bootloader's and the
//! system's start-up rules, as Device OS codes them, as pure functions. [`boot_once`] is one
//! reset: the state it ends in, what the device changes in its own flash on the way
//! ([`Effect`]), and whether it resets again by itself; [`boot`] follows the resets to the end.
//! The simulator applies the same effects to its flash; preflight runs [`boot`] on the predicted
//! flash. Device rules only: what pbuild allows or suggests is `flash::deploy`'s.
//!
//! The rules, in the order the device applies them (Device OS v2.3.1 unless a tag is named;
//! paths below `hal/src/stm32f2xx/` unless absolute):
//! 0. A bootloader must be there (the MCU starts at 0x08000000).
//! 1. The bootloader starts the module at 0x08020000 when its header is plausible: start
//!    0x08020000, end inside flash, this platform. No CRC, no function check
//!    (`bootloader/src/main.c:450`, `is_application_valid` in `bootloader/src/stm32f2xx/dfu_usb.c:45-52`,
//!    `FLASH_isUserModuleInfoValid` in `platform/MCU/STM32F2xx/SPARK_Firmware_Driver/src/flash_mal.c:723-731`).
//!    Otherwise it restores the factory app into the user slot and resets (red), which leaves
//!    0x08020000 empty, so it does that at every reset; without a factory image it stays in DFU
//!    mode (`bootloader/src/main.c:474-501`).
//! 2. A monolithic image (function 3) is the whole firmware: it runs, with no module checks
//!    (`core_hal_stm32f2xx.c:423-425`; `HAL_Core_Validate_*` exist only under `MODULAR_FIRMWARE`, `:439-506`).
//! 3. A modular system starts in system part 2 (`modules/shared/stm32f2xx/inc/system_part2_loader.c`),
//!    after the other parts' `pre_init`: a system part that is missing, CRC-bad or older than
//!    another part needs (an interrupted system update) may crash before any check runs. pbuild
//!    says "may not boot"; the bootloader's DFU mode stays reachable with the buttons.
//! 4. The system rewrites the bootloader with the image it carries (`HAL_Core_Setup`,
//!    `core_hal_stm32f2xx.c:414`; `bootloader.cpp:25-48`): on the Electron when the installed one is
//!    older (`hal/inc/bootloader_hal.h:30-34`), without a reset (the copy's 0 = OK lands in a
//!    `bool`); in 0.6.x on every Gen 2 platform, to its own version 11 even from a newer one,
//!    then resets (v0.6.4 `bootloader.cpp:10-15`, `core_hal_stm32f2xx.c:379`).
//! 5. Photon/P1 only: `HAL_Core_Validate_Modules` checks system part 2's dependencies, the
//!    bootloader version among them; the Electron skips it (`system_part2_loader.c:50-56`).
//!    A failure is safe mode.
//! 6. Then the user part (`HAL_Core_Validate_User_Module`): plausible header (start = user slot,
//!    end inside flash, this platform) → valid iff its CRC matches and its dependencies are met;
//!    an implausible one with a plausible factory image → factory reset (the bootloader restores
//!    it, `core_hal_stm32f2xx.c:559-564`); otherwise safe mode.
//!    Dependencies (`ota_flash_hal_stm32f2xx.cpp:161-202`): none when the first is NONE, and then
//!    the second is not looked at either (`:167`); a dependency on a module the platform has no
//!    bounds for (bootloader index 1, say) fails (`:175-177,189-191`, from v2.1.0); otherwise the
//!    version in the header at the dependency's slot must be high enough, whatever that module
//!    is, and an erased slot reads 0xFFFF, which passes (`hal/src/stm32/ota_module.cpp`
//!    `locate_module`, `flash_mal.c:675-697`).
//! 7. A running system (safe mode included) from 1.2.1 on applies a module staged in the OTA
//!    region when the DCT's flag says so (`system/src/main.cpp:791`,
//!    `ota_flash_hal_stm32f2xx.cpp:350-397`): the flag is cleared first (one try), a bootloader
//!    that passes the checks (platform, start 0x08000000, inside its 16 K, CRC) is copied over
//!    the old one, and the device resets (`main.cpp:792-796`).
//!
//! Safe mode shows as breathing magenta only once the device is connected to the cloud
//! (`system/src/system_task.cpp:386-393`); offline it shows the network colours.

use serde::Serialize;

use super::installed::{
    Content, Found, Installed, carried_bootloader, describe_module, is_electron,
};
use super::{
    BOOTLOADER_SIZE, BOOTLOADER_START, FIRST_WRITABLE, FLASH_END, OTA_FLAG_CLEAR, OTA_FLAG_SET,
    SlotKind,
};
use crate::image::{ModuleDependency, ModuleFunction, ModuleInfo};

/// System firmware from this version on applies a module staged in the OTA region
/// (`HAL_FLASH_ApplyPendingUpdate`, PR #1788, first released in 1.2.1 = module version 1213).
pub const APPLIES_STAGED_FROM: u16 = 1213;
/// System firmware below this version (0.6.x) puts its own bootloader back
/// (`BOOTLOADER_0_7_0` = 100 in v0.6.4 `bootloader.cpp`).
pub const SYSTEM_070: u16 = 200;
const BOOTLOADER_070: u16 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BootState {
    RunningUserApp,
    SafeMode,
    FactoryReset,
    /// 0x08020000 is empty and a factory image exists: the bootloader restores it and resets,
    /// at every reset.
    FactoryRestoreLoop,
    /// The system parts do not fit together (or one is damaged): it may crash before any check.
    MayNotBoot,
    DfuMode,
    NoBootloader,
}

impl BootState {
    pub fn name(self) -> &'static str {
        match self {
            BootState::RunningUserApp => "running-user-app",
            BootState::SafeMode => "safe-mode",
            BootState::FactoryReset => "factory-reset",
            BootState::FactoryRestoreLoop => "factory-restore-loop",
            BootState::MayNotBoot => "may-not-boot",
            BootState::DfuMode => "dfu-mode",
            BootState::NoBootloader => "no-bootloader",
        }
    }

    /// What the RGB LED shows.
    /// What the device is doing, for a sentence: "running the app", "in safe mode", ….
    pub fn words(self) -> &'static str {
        match self {
            BootState::RunningUserApp => "running the app",
            BootState::SafeMode => "in safe mode",
            BootState::FactoryReset => "restoring its factory app",
            BootState::FactoryRestoreLoop => "restoring its factory app at every reset",
            BootState::MayNotBoot => "perhaps not starting at all",
            BootState::DfuMode => "in DFU mode",
            BootState::NoBootloader => "without a bootloader",
        }
    }

    pub fn led(self) -> &'static str {
        match self {
            BootState::RunningUserApp => "breathing cyan",
            BootState::SafeMode => "breathing magenta",
            BootState::FactoryReset => "flashing green",
            BootState::FactoryRestoreLoop => "red, then flashing green, at every reset",
            BootState::MayNotBoot => {
                "unknown: it may stay dark or blink red (SOS); hold MODE, tap RESET for DFU mode"
            }
            BootState::DfuMode => "blinking yellow",
            BootState::NoBootloader => "dark",
        }
    }
}

impl std::fmt::Display for BootState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The outcome of a reset (and of the resets the device makes by itself after it), every reason
/// that led to it (empty when the app runs), and what the device did on the way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Boot {
    pub state: BootState,
    pub led: &'static str,
    pub reasons: Vec<String>,
    /// What the device changed by itself ("rewrote the bootloader …"), in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    /// How many times it starts: 1, or more when it resets by itself (to apply an update).
    pub boots: u32,
}

impl Boot {
    fn new(state: BootState, reasons: Vec<String>) -> Boot {
        Boot {
            state,
            led: state.led(),
            reasons,
            events: Vec::new(),
            boots: 1,
        }
    }

    pub fn runs_app(&self) -> bool {
        self.state == BootState::RunningUserApp
    }

    /// "safe-mode (breathing magenta once connected): reason; reason".
    pub fn summary(&self) -> String {
        let mut s = format!("{} ({})", self.state, self.led);
        if !self.reasons.is_empty() {
            s.push_str(": ");
            s.push_str(&self.reasons.join("; "));
        }
        s
    }
}

/// What the device writes into its own flash while it boots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The image (carried in a system part, or staged in the OTA region) is copied over the
    /// bootloader.
    WriteBootloader(Found),
    /// The DCT's OTA flag is set back to [`OTA_FLAG_CLEAR`].
    ClearOtaFlag,
}

/// One reset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reset {
    pub boot: Boot,
    pub effects: Vec<Effect>,
    /// The device resets again by itself (after applying an update).
    pub again: bool,
}

/// The whole start-up after a reset: resets the device makes by itself are followed (at most a
/// few; more would be a loop, reported as such).
pub fn boot(installed: &Installed) -> Boot {
    let mut now = installed.clone();
    let mut events = Vec::new();
    for n in 1..=4 {
        let r = boot_once(&now);
        events.extend(r.boot.events.iter().cloned());
        apply(&mut now, &r.effects);
        if !r.again {
            let mut b = r.boot;
            b.events = events;
            b.boots = n;
            return b;
        }
    }
    let mut b = Boot::new(
        BootState::MayNotBoot,
        vec!["it resets again and again while applying an update".into()],
    );
    b.events = events;
    b.boots = 4;
    b
}

/// The effects of a boot on the flash as pbuild summarises it.
pub fn apply(installed: &mut Installed, effects: &[Effect]) {
    for e in effects {
        match e {
            Effect::ClearOtaFlag => installed.ota_flag = OTA_FLAG_CLEAR,
            Effect::WriteBootloader(f) => {
                if let Some(s) = installed
                    .slots
                    .iter_mut()
                    .find(|s| s.slot.kind == SlotKind::Bootloader)
                {
                    s.content = Content::Module {
                        info: f.info,
                        crc_ok: f.crc_ok,
                        stored_crc: f.stored_crc,
                        embedded: None,
                    };
                }
            }
        }
    }
}

fn stop(state: BootState, reasons: Vec<String>) -> Reset {
    Reset {
        boot: Boot::new(state, reasons),
        effects: Vec::new(),
        again: false,
    }
}

/// One reset: rules 0 to 7 of the module comment.
pub fn boot_once(installed: &Installed) -> Reset {
    let map = &installed.map;
    let platform = map.platform.as_str();

    // 0. The bootloader.
    let bootloader = installed.proper_module(SlotKind::Bootloader).filter(|_| {
        matches!(
            installed.slot(SlotKind::Bootloader).map(|s| &s.content),
            Some(Content::Module { crc_ok: true, .. })
        )
    });
    let Some(bootloader) = bootloader.cloned() else {
        return stop(
            BootState::NoBootloader,
            vec!["no valid bootloader at 0x08000000".into()],
        );
    };

    // 1. The bootloader looks at the header at 0x08020000 only.
    let main = installed
        .slots
        .iter()
        .find(|s| s.slot.start == FIRST_WRITABLE);
    let main_info = main.and_then(|s| s.module()).filter(|i| {
        i.start == FIRST_WRITABLE
            && i.end > i.start
            && i.end <= FLASH_END
            && i.platform_id == map.platform_id
    });
    let Some(main_info) = main_info.cloned() else {
        let why = match main.map(|s| (&s.content, s.module())) {
            Some((Content::Blank, _)) | None => "0x08020000 is blank".to_string(),
            Some((_, Some(info))) => format!(
                "0x08020000 holds {} starting at {:#010x}, not this {platform}'s system firmware",
                describe_module(info, map),
                info.start
            ),
            Some(_) => format!(
                "0x08020000 holds {}",
                main.map(|s| s.describe(map)).unwrap_or_default()
            ),
        };
        return match factory_image(installed) {
            Some(_) => stop(
                BootState::FactoryRestoreLoop,
                vec![
                    why,
                    "the bootloader restores the factory app into the user slot and resets, which leaves 0x08020000 as it is, so it does that at every reset".into(),
                ],
            ),
            None => stop(
                BootState::DfuMode,
                vec![format!(
                    "{why} and there is no factory image to restore, so the bootloader stays in DFU mode"
                )],
            ),
        };
    };

    // 2. Monolithic firmware runs as it is.
    if main_info.function == ModuleFunction::Monolithic {
        let mut b = Boot::new(BootState::RunningUserApp, Vec::new());
        b.events.push(format!(
            "the bootloader starts the monolithic firmware at 0x08020000 (v{})",
            main_info.version
        ));
        return Reset {
            boot: b,
            effects: Vec::new(),
            again: false,
        };
    }

    // 3. The system parts must fit together.
    let broken = system_faults(installed);
    if !broken.is_empty() {
        let mut reasons = broken;
        reasons.push(
            "system part 2 decides about safe mode only after the other parts have started, so a mixed or damaged system may crash first".into(),
        );
        return stop(BootState::MayNotBoot, reasons);
    }
    let system = installed
        .system_version(2)
        .expect("system part 2 is there: checked above");

    let mut effects = Vec::new();
    let mut events = Vec::new();
    let mut bootloader_now = bootloader.version;

    // 4. The bootloader image the system carries.
    if let Some(image) = carried_bootloader(installed) {
        let old_system = system < SYSTEM_070;
        let rewrite = if old_system {
            (bootloader_now < image.info.version || bootloader_now >= BOOTLOADER_070)
                && image.info.version < BOOTLOADER_070
        } else {
            is_electron(installed) && bootloader_now < image.info.version
        };
        if rewrite {
            if !image.crc_ok {
                return stop(
                    BootState::MayNotBoot,
                    vec![format!(
                        "the system tries to rewrite bootloader {bootloader_now} with the image it carries (v{}), whose CRC does not match, and resets at every boot",
                        image.info.version
                    )],
                );
            }
            events.push(format!(
                "the system rewrites bootloader {bootloader_now} with the v{} image it carries",
                image.info.version
            ));
            effects.push(Effect::WriteBootloader(image.clone()));
            bootloader_now = image.info.version;
            if old_system {
                let mut b = Boot::new(BootState::RunningUserApp, Vec::new());
                b.events = events;
                return Reset {
                    boot: b,
                    effects,
                    again: true,
                };
            }
        }
    }

    // 5. Photon/P1: system part 2's dependencies, the bootloader among them.
    let mut failures = Vec::new();
    if !is_electron(installed)
        && let Some(part2) = installed.proper_module(SlotKind::SystemPart(2))
    {
        failures.extend(unmet(
            installed,
            "system part 2",
            part2,
            Some(bootloader_now),
        ));
    }

    // 6. The user part, when the system passed.
    let mut state = BootState::RunningUserApp;
    if !failures.is_empty() {
        state = BootState::SafeMode;
    } else {
        let user_slot = map.user();
        let user = installed.slot(SlotKind::UserPart);
        let plausible = |i: &ModuleInfo| {
            user_slot.is_some_and(|u| i.start == u.start)
                && i.end > i.start
                && i.end <= FLASH_END
                && i.platform_id == map.platform_id
        };
        match user.and_then(|u| u.module().filter(|i| plausible(i)).map(|i| (u, i))) {
            Some((u, info)) => {
                if let Content::Module { crc_ok: false, .. } = u.content {
                    failures.push("the user app fails its CRC-32 check".to_string());
                }
                failures.extend(unmet(installed, "the user app", info, Some(bootloader_now)));
                if !failures.is_empty() {
                    state = BootState::SafeMode;
                }
            }
            None => {
                let why = match user {
                    None => "this platform has no user slot".to_string(),
                    Some(u) => match (&u.content, u.module()) {
                        (Content::Blank, _) => "the user slot is blank".to_string(),
                        (_, Some(info)) => format!(
                            "the user slot holds {} starting at {:#010x}, not a {platform} user app at {:#010x}",
                            describe_module(info, map),
                            info.start,
                            u.slot.start
                        ),
                        _ => format!("the user slot holds {}", u.describe(map)),
                    },
                };
                if factory_image(installed).is_some() {
                    let mut b = Boot::new(
                        BootState::FactoryReset,
                        vec![format!(
                            "{why}, so the bootloader restores the factory image"
                        )],
                    );
                    b.events = events;
                    return Reset {
                        boot: b,
                        effects,
                        again: false,
                    };
                }
                failures.push(format!("{why} (and there is no factory image to restore)"));
                state = BootState::SafeMode;
            }
        }
    }

    // 7. A staged update, applied by a running system (safe mode too).
    let mut again = false;
    if installed.ota_flag == OTA_FLAG_SET {
        if system < APPLIES_STAGED_FROM {
            events.push(format!(
                "the OTA flag stays set: system firmware {system} does not apply staged modules (1.2.1 and later do)"
            ));
        } else {
            effects.push(Effect::ClearOtaFlag);
            match staged_bootloader(installed) {
                Ok(found) => {
                    events.push(format!(
                        "the system applies the bootloader v{} staged at 0x080c0000 over bootloader {bootloader_now}, and resets",
                        found.info.version
                    ));
                    effects.push(Effect::WriteBootloader(found));
                    again = true;
                }
                Err(why) => events.push(format!(
                    "the system clears the OTA flag without applying anything: {why}"
                )),
            }
        }
    }
    let mut b = Boot::new(state, failures);
    b.events = events;
    Reset {
        boot: b,
        effects,
        again,
    }
}

/// The factory image, when the factory slot holds one the bootloader's restore accepts: a
/// plausible user-part header linked for the user slot (`FLASH_isUserModuleInfoValid(factory,
/// user)`, `core_hal_stm32f2xx.c:559-564`) whose CRC matches (`FLASH_CopyMemory`).
fn factory_image(installed: &Installed) -> Option<&ModuleInfo> {
    let user = installed.map.user()?;
    let f = installed.slot(SlotKind::Factory)?;
    let Content::Module {
        info, crc_ok: true, ..
    } = &f.content
    else {
        return None;
    };
    (info.start == user.start
        && info.end > info.start
        && info.end <= FLASH_END
        && info.platform_id == installed.map.platform_id)
        .then_some(info)
}

/// What is wrong with the system parts as a set: one missing or damaged, or one older than
/// another needs (their dependencies on each other).
fn system_faults(installed: &Installed) -> Vec<String> {
    let mut out = Vec::new();
    for s in &installed.slots {
        let SlotKind::SystemPart(index) = s.slot.kind else {
            continue;
        };
        let name = format!("system part {index}");
        match &s.content {
            Content::Blank => out.push(format!("{name} is missing")),
            Content::NoHeader { why } => out.push(format!("{name} has no module header ({why})")),
            Content::Overwritten { by } => out.push(format!("{name} was overwritten by {by}")),
            Content::Module { info, crc_ok, .. } => {
                if installed.proper_module(s.slot.kind).is_none() {
                    out.push(format!(
                        "the {name} slot ({:#010x}) holds {} starting at {:#010x}, not {}'s {name}",
                        s.slot.start,
                        describe_module(info, &installed.map),
                        info.start,
                        installed.map.platform
                    ));
                    continue;
                }
                if !crc_ok {
                    out.push(format!("{name} fails its CRC-32 check"));
                }
                for dep in info.dependencies() {
                    if dep.function == ModuleFunction::SystemPart
                        && let Err(why) = dependency_met(installed, &name, dep, None)
                    {
                        out.push(why);
                    }
                }
            }
        }
    }
    out
}

/// The dependencies of `info` that the device finds unmet, by Device OS's rule (rule 6 of the
/// module comment). `bootloader` is the bootloader version at this point of the boot.
fn unmet(
    installed: &Installed,
    who: &str,
    info: &ModuleInfo,
    bootloader: Option<u16>,
) -> Vec<String> {
    if info.dependency.function == ModuleFunction::None {
        return Vec::new();
    }
    [&info.dependency, &info.dependency2]
        .into_iter()
        .filter(|d| d.function != ModuleFunction::None)
        .filter_map(|d| dependency_met(installed, who, d, bootloader).err())
        .collect()
}

/// One dependency: the platform must have bounds for the module it names, and the version in
/// the header at that slot (0xFFFF when erased) must be high enough.
fn dependency_met(
    installed: &Installed,
    who: &str,
    dep: &ModuleDependency,
    bootloader: Option<u16>,
) -> Result<(), String> {
    let needed = dep_name(dep);
    let kind = match (dep.function, dep.index) {
        (ModuleFunction::Bootloader, 0) => SlotKind::Bootloader,
        (ModuleFunction::SystemPart, i) if installed.slot(SlotKind::SystemPart(i)).is_some() => {
            SlotKind::SystemPart(i)
        }
        (ModuleFunction::UserPart, 1) => SlotKind::UserPart,
        _ => {
            return Err(format!(
                "{who} needs {needed} >= {}, which this platform has no slot for, so the check fails",
                dep.version
            ));
        }
    };
    let found = match (kind, bootloader) {
        (SlotKind::Bootloader, Some(v)) => Some(v),
        _ => installed.slot(kind).and_then(|s| match &s.content {
            Content::Blank => Some(0xFFFF),
            Content::Module { info, .. } => Some(info.version),
            _ => None,
        }),
    };
    match found {
        Some(v) if v >= dep.version => Ok(()),
        Some(v) => Err(format!(
            "{who} needs {needed} >= {}, the device has {v}",
            dep.version
        )),
        None => Err(format!(
            "{who} needs {needed} >= {}, and that slot holds no module",
            dep.version
        )),
    }
}

fn dep_name(dep: &ModuleDependency) -> String {
    match dep.function {
        ModuleFunction::SystemPart => format!("system part {}", dep.index),
        ModuleFunction::UserPart => "the user part".into(),
        ModuleFunction::Bootloader if dep.index == 0 => "bootloader".into(),
        f => format!("{f} {}", dep.index),
    }
}

/// The staged module, when it is a bootloader the system would copy (`fetch_module`,
/// `hal/src/stm32/ota_module.cpp:65-96`; `FLASH_CheckCopyMemory`, `flash_mal.c:264-312`).
fn staged_bootloader(installed: &Installed) -> Result<Found, String> {
    let Content::Module {
        info,
        crc_ok,
        stored_crc,
        ..
    } = &installed.staged
    else {
        return Err("nothing is staged".into());
    };
    if info.function != ModuleFunction::Bootloader {
        return Err(format!(
            "the staged {} is not a bootloader, which is all pbuild stages",
            info.function
        ));
    }
    if info.platform_id != installed.map.platform_id {
        return Err(format!(
            "the staged bootloader is for {}",
            installed.map.describe_id(info.platform_id)
        ));
    }
    if info.start != BOOTLOADER_START || info.end > BOOTLOADER_START + BOOTLOADER_SIZE {
        return Err("the staged bootloader is not linked for 0x08000000..0x08004000".into());
    }
    if !crc_ok {
        return Err("the staged bootloader fails its CRC-32 check".into());
    }
    Ok(Found {
        info: *info,
        at: super::OTA_START,
        len: info.image_len() as u32,
        crc_ok: true,
        stored_crc: *stored_crc,
    })
}
