//! The module header (`module_info_t`) of a Particle Gen 2 / Core module image: where it sits,
//! what it says, and whether it is believable; knows nothing of the suffix, CRC or `.dfu` files.
//!
//! Layout (Device OS `dynalib/inc/module_info.h`, packed, little-endian, 24 bytes):
//!
//! | off | size | field |
//! |----:|-----:|-------|
//! | 0  | 4 | module start address (first byte in flash) |
//! | 4  | 4 | module end address (exclusive; the 4-byte CRC starts here) |
//! | 8  | 1 | reserved (0 on Gen 2) |
//! | 9  | 1 | flags (0x01 drop module info, 0x02 compressed, 0x04 combined) |
//! | 10 | 2 | module version |
//! | 12 | 2 | platform id |
//! | 14 | 1 | module function (`MOD_FUNC_*`) |
//! | 15 | 1 | module index |
//! | 16 | 4 | dependency {u8 function, u8 index, u16 version} |
//! | 20 | 4 | dependency 2, same layout |
//!
//! Where it sits: the device's rule (`flash_mal.c FLASH_ModuleInfo`) is "if the first word looks
//! like an initial stack pointer (`word & 0x2FF10000 == 0x20000000`) the header follows the
//! STM32F2 vector table at +0x184, else it is at +0". The Core (STM32F1) puts it after its shorter
//! vector table, at +0x10C (`linker_stm32f10x_common.ld` includes `module_info.ld` right after
//! `.isr_vector`; binary-version-reader probes 0x10C "Core"), so when the device rule finds no
//! believable header and the image starts with a stack pointer, +0x10C is tried too.
//!
//! Believable means: end after start, both inside the STM32 internal flash window
//! 0x08000000..=0x08100000, a known non-zero function code, and (for a whole image) file length
//! equal to `end - start + 4`. Anything else is reported as "no module header" with the reasons,
//! never as a misparsed header: Core firmware from before Device OS 0.4 has none.

use std::fmt;

use thiserror::Error;

/// Size of `module_info_t`.
pub const HEADER_LEN: usize = 24;
/// Header offset after the STM32F2 vector table (97 words).
pub const VECTOR_TABLE_HEADER_OFFSET: usize = 0x184;
/// Header offset after the Core's STM32F1 vector table (67 words).
pub const CORE_HEADER_OFFSET: usize = 0x10C;
/// Mask the bootloader applies to the first word to recognise a stack pointer.
pub const APP_START_MASK: u32 = 0x2FF1_0000;
/// STM32 internal flash window that Gen 2 and Core modules live in.
pub const FLASH_START: u32 = 0x0800_0000;
pub const FLASH_END: u32 = 0x0810_0000;
/// Length of the CRC that follows `module_end_address`.
pub const CRC_LEN: u32 = 4;

/// `MOD_FUNC_*` from `module_info.h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModuleFunction {
    None,
    Resource,
    Bootloader,
    Monolithic,
    SystemPart,
    UserPart,
    Settings,
    Ncp,
    RadioStack,
    Unknown(u8),
}

impl ModuleFunction {
    pub fn from_code(code: u8) -> Self {
        match code {
            0 => Self::None,
            1 => Self::Resource,
            2 => Self::Bootloader,
            3 => Self::Monolithic,
            4 => Self::SystemPart,
            5 => Self::UserPart,
            6 => Self::Settings,
            7 => Self::Ncp,
            8 => Self::RadioStack,
            other => Self::Unknown(other),
        }
    }

    pub fn code(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Resource => 1,
            Self::Bootloader => 2,
            Self::Monolithic => 3,
            Self::SystemPart => 4,
            Self::UserPart => 5,
            Self::Settings => 6,
            Self::Ncp => 7,
            Self::RadioStack => 8,
            Self::Unknown(code) => code,
        }
    }

    /// Short kebab-case name ("system-part"); "unknown" for codes outside `MOD_FUNC_*`.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Resource => "resource",
            Self::Bootloader => "bootloader",
            Self::Monolithic => "monolithic",
            Self::SystemPart => "system-part",
            Self::UserPart => "user-part",
            Self::Settings => "settings",
            Self::Ncp => "ncp",
            Self::RadioStack => "radio-stack",
            Self::Unknown(_) => "unknown",
        }
    }
}

impl fmt::Display for ModuleFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(code) => write!(f, "function {code}"),
            known => f.write_str(known.name()),
        }
    }
}

/// One `module_dependency_t`: "needs `function` `index` at version >= `version`".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleDependency {
    pub function: ModuleFunction,
    pub index: u8,
    pub version: u16,
}

impl ModuleDependency {
    fn parse(b: [u8; 4]) -> Self {
        Self {
            function: ModuleFunction::from_code(b[0]),
            index: b[1],
            version: u16::from_le_bytes([b[2], b[3]]),
        }
    }

    /// An unused slot (function `none`).
    pub fn is_empty(&self) -> bool {
        self.function == ModuleFunction::None
    }
}

impl fmt::Display for ModuleDependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.function {
            ModuleFunction::SystemPart | ModuleFunction::UserPart => {
                write!(f, "{} {} >= {}", self.function, self.index, self.version)
            }
            _ => write!(f, "{} >= {}", self.function, self.version),
        }
    }
}

/// A parsed module header and where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleInfo {
    pub start: u32,
    pub end: u32,
    pub reserved: u8,
    pub flags: u8,
    pub version: u16,
    pub platform_id: u16,
    pub function: ModuleFunction,
    pub index: u8,
    pub dependency: ModuleDependency,
    pub dependency2: ModuleDependency,
    /// Offset of the header from the start of the image.
    pub header_offset: usize,
}

/// Why a candidate header is not believed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Implausible {
    #[error("image too short for a header at +{offset:#x} ({len} bytes)")]
    TooShort { offset: usize, len: usize },
    #[error("end {end:#010x} is not after start {start:#010x}")]
    EndNotAfterStart { start: u32, end: u32 },
    #[error("{start:#010x}..{end:#010x} is outside internal flash 0x08000000..0x08100000")]
    OutsideFlash { start: u32, end: u32 },
    #[error("module function {0} is not a known MOD_FUNC_* code")]
    UnknownFunction(u8),
    #[error("module function is `none`")]
    NoFunction,
    #[error("header says {expected} bytes (end - start + 4) but the image has {actual}")]
    LengthMismatch { expected: u64, actual: usize },
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ModuleInfoError {
    #[error("no module header ({})", describe_attempts(.attempts))]
    NoModuleHeader {
        /// Each offset tried, with the reason it was rejected.
        attempts: Vec<(usize, Implausible)>,
    },
}

fn describe_attempts(attempts: &[(usize, Implausible)]) -> String {
    attempts
        .iter()
        .map(|(offset, why)| format!("at +{offset:#x}: {why}"))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ModuleInfo {
    /// Reads the 24 header bytes at `offset` without judging them.
    pub fn parse_at(image: &[u8], offset: usize) -> Result<Self, Implausible> {
        let too_short = Implausible::TooShort {
            offset,
            len: image.len(),
        };
        let h: &[u8; HEADER_LEN] = offset
            .checked_add(HEADER_LEN)
            .and_then(|end| image.get(offset..end))
            .and_then(|s| s.try_into().ok())
            .ok_or(too_short)?;
        let u32_at = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
        let u16_at = |i: usize| u16::from_le_bytes([h[i], h[i + 1]]);
        Ok(Self {
            start: u32_at(0),
            end: u32_at(4),
            reserved: h[8],
            flags: h[9],
            version: u16_at(10),
            platform_id: u16_at(12),
            function: ModuleFunction::from_code(h[14]),
            index: h[15],
            dependency: ModuleDependency::parse([h[16], h[17], h[18], h[19]]),
            dependency2: ModuleDependency::parse([h[20], h[21], h[22], h[23]]),
            header_offset: offset,
        })
    }

    /// Checks the header against the rules in the file comment. `image_len` is the length of
    /// the whole image when known (pass `None` for a header read back from a device).
    pub fn check_plausible(&self, image_len: Option<usize>) -> Result<(), Implausible> {
        if self.end <= self.start {
            return Err(Implausible::EndNotAfterStart {
                start: self.start,
                end: self.end,
            });
        }
        if self.start < FLASH_START || self.end > FLASH_END {
            return Err(Implausible::OutsideFlash {
                start: self.start,
                end: self.end,
            });
        }
        match self.function {
            ModuleFunction::None => return Err(Implausible::NoFunction),
            ModuleFunction::Unknown(code) => return Err(Implausible::UnknownFunction(code)),
            _ => {}
        }
        if let Some(actual) = image_len {
            let expected = self.image_len();
            if expected != actual as u64 {
                return Err(Implausible::LengthMismatch { expected, actual });
            }
        }
        Ok(())
    }

    /// `end - start + 4`: the length of the module file, CRC included.
    pub fn image_len(&self) -> u64 {
        u64::from(self.end.saturating_sub(self.start)) + u64::from(CRC_LEN)
    }

    /// The dependencies that are in use (function not `none`).
    pub fn dependencies(&self) -> impl Iterator<Item = &ModuleDependency> {
        [&self.dependency, &self.dependency2]
            .into_iter()
            .filter(|d| !d.is_empty())
    }
}

/// The device's rule for where the header of a module starting with `first_word` sits.
pub fn device_header_offset(first_word: u32) -> usize {
    if first_word & APP_START_MASK == 0x2000_0000 {
        VECTOR_TABLE_HEADER_OFFSET
    } else {
        0
    }
}

/// Finds and checks the header of a whole module image (no `.dfu` suffix).
pub fn find_module_info(image: &[u8]) -> Result<ModuleInfo, ModuleInfoError> {
    let first_word = image
        .get(..4)
        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
    let mut offsets = vec![device_header_offset(first_word.unwrap_or(0))];
    if offsets[0] == VECTOR_TABLE_HEADER_OFFSET {
        offsets.push(CORE_HEADER_OFFSET);
    }
    let mut attempts = Vec::new();
    for offset in offsets {
        let verdict = ModuleInfo::parse_at(image, offset)
            .and_then(|info| info.check_plausible(Some(image.len())).map(|()| info));
        match verdict {
            Ok(info) => return Ok(info),
            Err(why) => attempts.push((offset, why)),
        }
    }
    Err(ModuleInfoError::NoModuleHeader { attempts })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A believable user-part image of `len` bytes with the header at +0.
    fn user_image(len: usize) -> Vec<u8> {
        let start = 0x080A_0000u32;
        let end = start + len as u32 - 4;
        let mut img = vec![0xAAu8; len];
        img[0..4].copy_from_slice(&start.to_le_bytes());
        img[4..8].copy_from_slice(&end.to_le_bytes());
        img[8] = 0;
        img[9] = 0;
        img[10..12].copy_from_slice(&3u16.to_le_bytes());
        img[12..14].copy_from_slice(&6u16.to_le_bytes());
        img[14] = 5;
        img[15] = 1;
        img[16..20].copy_from_slice(&[4, 2, 6, 0]);
        img[20..24].copy_from_slice(&[0, 0, 0, 0]);
        img
    }

    #[test]
    fn reads_every_field_of_a_hand_built_header() {
        let img = user_image(100);
        let info = find_module_info(&img).unwrap();
        assert_eq!(info.header_offset, 0);
        assert_eq!(info.start, 0x080A_0000);
        assert_eq!(info.end, 0x080A_0000 + 96);
        assert_eq!(info.version, 3);
        assert_eq!(info.platform_id, 6);
        assert_eq!(info.platform_id, 6, "photon");
        assert_eq!(info.function, ModuleFunction::UserPart);
        assert_eq!(info.index, 1);
        assert_eq!(
            info.dependency,
            ModuleDependency {
                function: ModuleFunction::SystemPart,
                index: 2,
                version: 6
            }
        );
        assert!(info.dependency2.is_empty());
        assert_eq!(info.dependencies().count(), 1);
        assert_eq!(info.dependency.to_string(), "system-part 2 >= 6");
    }

    #[test]
    fn stack_pointer_first_word_moves_the_header_to_0x184() {
        let mut img = vec![0u8; 0x184 + 24 + 40];
        img[0..4].copy_from_slice(&0x2002_0000u32.to_le_bytes());
        let start = 0x0802_0000u32;
        let end = start + img.len() as u32 - 4;
        img[0x184..0x188].copy_from_slice(&start.to_le_bytes());
        img[0x188..0x18C].copy_from_slice(&end.to_le_bytes());
        img[0x184 + 14] = 4;
        img[0x184 + 15] = 1;
        let info = find_module_info(&img).unwrap();
        assert_eq!(info.header_offset, 0x184);
        assert_eq!(info.function, ModuleFunction::SystemPart);
    }

    #[test]
    fn device_rule_matches_the_bootloader_mask() {
        assert_eq!(device_header_offset(0x2002_0000), 0x184);
        assert_eq!(device_header_offset(0x2000_5000), 0x184);
        // Bit 16 set (0x2001_xxxx) is not a stack pointer for the mask: header at +0.
        assert_eq!(device_header_offset(0x2001_0000), 0);
        assert_eq!(device_header_offset(0x080A_0000), 0);
        assert_eq!(device_header_offset(0xFFFF_FFFF), 0);
    }

    #[test]
    fn core_header_after_the_short_vector_table_is_found() {
        let len = 0x200;
        let mut img = vec![0u8; len];
        img[0..4].copy_from_slice(&0x2000_5000u32.to_le_bytes());
        let start = 0x0800_5000u32;
        img[0x10C..0x110].copy_from_slice(&start.to_le_bytes());
        img[0x110..0x114].copy_from_slice(&(start + len as u32 - 4).to_le_bytes());
        img[0x10C + 14] = 3;
        let info = find_module_info(&img).unwrap();
        assert_eq!(info.header_offset, 0x10C);
        assert_eq!(info.function, ModuleFunction::Monolithic);
        assert_eq!(info.platform_id, 0, "core");
    }

    #[test]
    fn each_implausibility_is_reported_not_misparsed() {
        let good = user_image(64);

        let mut swapped = good.clone();
        swapped[0..4].copy_from_slice(&0x080A_0100u32.to_le_bytes());
        swapped[4..8].copy_from_slice(&0x080A_0000u32.to_le_bytes());
        let err = find_module_info(&swapped).unwrap_err();
        assert!(
            matches!(&err, ModuleInfoError::NoModuleHeader { attempts }
                if matches!(attempts[..], [(0, Implausible::EndNotAfterStart { .. })])),
            "{err:?}"
        );

        let mut outside = good.clone();
        outside[0..4].copy_from_slice(&0x000D_4000u32.to_le_bytes());
        outside[4..8].copy_from_slice(&(0x000D_4000u32 + 60).to_le_bytes());
        let ModuleInfoError::NoModuleHeader { attempts } = find_module_info(&outside).unwrap_err();
        assert!(matches!(attempts[0].1, Implausible::OutsideFlash { .. }));

        let mut end_beyond_file = good.clone();
        end_beyond_file[4..8].copy_from_slice(&0x080A_1000u32.to_le_bytes());
        let ModuleInfoError::NoModuleHeader { attempts } =
            find_module_info(&end_beyond_file).unwrap_err();
        assert_eq!(
            attempts[0].1,
            Implausible::LengthMismatch {
                expected: 0x1004,
                actual: 64
            }
        );

        let mut no_function = good.clone();
        no_function[14] = 0;
        let ModuleInfoError::NoModuleHeader { attempts } =
            find_module_info(&no_function).unwrap_err();
        assert_eq!(attempts[0].1, Implausible::NoFunction);

        let mut odd_function = good;
        odd_function[14] = 0x80;
        let ModuleInfoError::NoModuleHeader { attempts } =
            find_module_info(&odd_function).unwrap_err();
        assert_eq!(attempts[0].1, Implausible::UnknownFunction(0x80));
    }

    #[test]
    fn short_and_empty_images_are_errors() {
        for len in [0usize, 1, 3, 4, 23] {
            let ModuleInfoError::NoModuleHeader { attempts } =
                find_module_info(&vec![0x11; len]).unwrap_err();
            assert!(
                matches!(attempts[0].1, Implausible::TooShort { .. }),
                "{len}"
            );
        }
        // Stack pointer but the file ends inside the vector table: both offsets too short.
        let mut img = vec![0u8; 0x100];
        img[0..4].copy_from_slice(&0x2002_0000u32.to_le_bytes());
        let ModuleInfoError::NoModuleHeader { attempts } = find_module_info(&img).unwrap_err();
        assert_eq!(attempts.len(), 2);
        assert_eq!(attempts[0].0, 0x184);
        assert_eq!(attempts[1].0, 0x10C);
        let message = find_module_info(&img).unwrap_err().to_string();
        assert!(
            message.starts_with("no module header (at +0x184: "),
            "{message}"
        );
        assert!(ModuleInfo::parse_at(&img, usize::MAX - 3).is_err());
    }

    #[test]
    fn function_codes_round_trip_and_have_names() {
        let names = [
            "none",
            "resource",
            "bootloader",
            "monolithic",
            "system-part",
            "user-part",
            "settings",
            "ncp",
            "radio-stack",
        ];
        for (code, name) in names.iter().enumerate() {
            let f = ModuleFunction::from_code(code as u8);
            assert_eq!(f.code(), code as u8);
            assert_eq!(f.name(), *name);
        }
        assert_eq!(ModuleFunction::from_code(9), ModuleFunction::Unknown(9));
        assert_eq!(ModuleFunction::Unknown(9).to_string(), "function 9");
    }
}
