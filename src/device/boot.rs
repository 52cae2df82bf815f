//! What a Gen 2 device does when it resets, from what is installed: the bootloader's and the
//! system's start-up checks of particle-facts.md §6, as one pure function ([`boot`]). The
//! simulator reports it (`pbuild sim status`) and preflight runs it on the predicted flash.
//!
//! Order of the checks, and where pbuild is stricter than the device:
//! 0. No valid bootloader: nothing starts. No stack pointer at 0x08020000: the bootloader has no
//!    system firmware to start and stays in DFU mode (blinking yellow).
//! 1. `HAL_Core_Validate_Modules`: bootloader integrity and system part 2 (range, platform,
//!    CRC, dependencies). pbuild checks every system part this way, on the Electron too (whose
//!    Device OS skips the check): a system part that fails it would fault there instead, which
//!    is no better.
//! 2. `HAL_Core_Validate_User_Module`: a plausible user header (start = user slot, end inside
//!    flash, this platform) is valid iff its CRC matches and its dependencies are installed at
//!    the required versions (not transitive).
//! 3. An implausible user header with a plausible factory image → factory reset (green).
//! 4. Otherwise a failure in 1 or 2 → safe mode (breathing magenta): the system runs, the app
//!    does not. All passed → the app runs (breathing cyan once connected).

use serde::Serialize;

use super::installed::{Content, Installed, describe_module};
use super::{FIRST_WRITABLE, FLASH_END, SlotKind};
use crate::image::ModuleFunction;
use crate::image::module_info::APP_START_MASK;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BootState {
    RunningUserApp,
    SafeMode,
    FactoryReset,
    DfuMode,
    NoBootloader,
}

impl BootState {
    pub fn name(self) -> &'static str {
        match self {
            BootState::RunningUserApp => "running-user-app",
            BootState::SafeMode => "safe-mode",
            BootState::FactoryReset => "factory-reset",
            BootState::DfuMode => "dfu-mode",
            BootState::NoBootloader => "no-bootloader",
        }
    }

    /// What the RGB LED shows.
    pub fn led(self) -> &'static str {
        match self {
            BootState::RunningUserApp => "breathing cyan",
            BootState::SafeMode => "breathing magenta",
            BootState::FactoryReset => "flashing green",
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

/// The outcome of a reset and every reason that led to it (empty when the app runs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Boot {
    pub state: BootState,
    pub led: &'static str,
    pub reasons: Vec<String>,
}

impl Boot {
    fn new(state: BootState, reasons: Vec<String>) -> Boot {
        Boot {
            state,
            led: state.led(),
            reasons,
        }
    }

    pub fn runs_app(&self) -> bool {
        self.state == BootState::RunningUserApp
    }

    /// "safe-mode (breathing magenta): reason; reason".
    pub fn summary(&self) -> String {
        let mut s = format!("{} ({})", self.state, self.led);
        if !self.reasons.is_empty() {
            s.push_str(": ");
            s.push_str(&self.reasons.join("; "));
        }
        s
    }
}

pub fn boot(installed: &Installed) -> Boot {
    let layout = &installed.map;
    let platform = layout.platform.as_str();

    let bootloader_ok = installed.slot(SlotKind::Bootloader).is_some_and(|s| {
        matches!(&s.content, Content::Module { crc_ok: true, .. })
            && installed.proper_module(SlotKind::Bootloader).is_some()
    });
    if !bootloader_ok {
        return Boot::new(
            BootState::NoBootloader,
            vec!["no valid bootloader at 0x08000000".into()],
        );
    }
    let app_at_system = installed
        .slots
        .iter()
        .find(|s| s.slot.start == FIRST_WRITABLE)
        .is_some_and(|s| s.first_word & APP_START_MASK == 0x2000_0000);
    if !app_at_system {
        return Boot::new(
            BootState::DfuMode,
            vec!["no system firmware at 0x08020000, so the bootloader stays in DFU mode".into()],
        );
    }

    // Step 1: system parts.
    let mut system_failures = Vec::new();
    for s in installed.slots.iter() {
        let SlotKind::SystemPart(index) = s.slot.kind else {
            continue;
        };
        let name = format!("system part {index}");
        match &s.content {
            Content::Blank => system_failures.push(format!("{name} is missing")),
            Content::NoHeader { why } => {
                system_failures.push(format!("{name} has no module header ({why})"))
            }
            Content::Overwritten { by } => {
                system_failures.push(format!("{name} was overwritten by {by}"))
            }
            Content::Module { info, crc_ok, .. } => {
                if installed.proper_module(s.slot.kind).is_none() {
                    system_failures.push(format!(
                        "the {name} slot ({:#010x}) holds {} starting at {:#010x}, not {platform}'s {name}",
                        s.slot.start,
                        describe_module(info, &installed.map),
                        info.start
                    ));
                    continue;
                }
                if !crc_ok {
                    system_failures.push(format!("{name} fails its CRC-32 check"));
                }
                system_failures.extend(unmet_dependencies(installed, &name, info));
            }
        }
    }

    // Step 2: the user part.
    let user_slot = layout.user();
    let user = installed.slot(SlotKind::UserPart);
    let plausible_user = |info: &crate::image::ModuleInfo| {
        user_slot.is_some_and(|u| info.start == u.start)
            && info.end > info.start
            && info.end <= FLASH_END
            && info.platform_id == layout.platform_id
    };
    let user_info = user.and_then(|u| u.module()).filter(|i| plausible_user(i));
    let mut user_failures = Vec::new();
    match (user_info, user) {
        (Some(info), Some(u)) => {
            if let Content::Module { crc_ok: false, .. } = u.content {
                user_failures.push("the user app fails its CRC-32 check".to_string());
            }
            if info.function != ModuleFunction::UserPart {
                user_failures.push(format!(
                    "the user slot holds a {}, not a user part",
                    info.function
                ));
            }
            user_failures.extend(unmet_dependencies(installed, "the user app", info));
        }
        _ => {
            // Step 3: implausible user header; factory image?
            let factory_ok = installed
                .slot(SlotKind::Factory)
                .and_then(|f| f.module())
                .is_some_and(|i| plausible_user(i) && i.function == ModuleFunction::UserPart);
            let why = match user {
                None => "this platform has no user slot".to_string(),
                Some(u) => match (&u.content, u.module()) {
                    (Content::Blank, _) => "the user slot is blank".to_string(),
                    (_, Some(info)) => format!(
                        "the user slot holds {} starting at {:#010x}, not a {platform} user app at {:#010x}",
                        describe_module(info, &installed.map),
                        info.start,
                        u.slot.start
                    ),
                    _ => format!("the user slot holds {}", u.describe(&installed.map)),
                },
            };
            if factory_ok {
                let mut reasons = vec![format!(
                    "{why}, so the bootloader restores the factory image"
                )];
                reasons.extend(system_failures);
                return Boot::new(BootState::FactoryReset, reasons);
            }
            user_failures.push(format!("{why} (and there is no factory image to restore)"));
        }
    }

    if system_failures.is_empty() && user_failures.is_empty() {
        return Boot::new(BootState::RunningUserApp, Vec::new());
    }
    let mut reasons = system_failures;
    reasons.extend(user_failures);
    Boot::new(BootState::SafeMode, reasons)
}

/// "the user app needs system part 2 >= 2302, the device has 1512".
fn unmet_dependencies(
    installed: &Installed,
    who: &str,
    info: &crate::image::ModuleInfo,
) -> Vec<String> {
    info.dependencies()
        .filter_map(|dep| {
            let needed = dep_name(dep);
            match installed.version_for(dep) {
                Some(v) if v >= dep.version => None,
                Some(v) => Some(format!(
                    "{who} needs {needed} >= {}, the device has {v}",
                    dep.version
                )),
                None => Some(format!(
                    "{who} needs {needed} >= {}, which is not installed",
                    dep.version
                )),
            }
        })
        .collect()
}

fn dep_name(dep: &crate::image::ModuleDependency) -> String {
    match dep.function {
        ModuleFunction::SystemPart => format!("system part {}", dep.index),
        ModuleFunction::UserPart => "the user part".into(),
        f => f.to_string(),
    }
}
