//! Module images: ELF to flashable binary, module header/suffix, CRC/SHA patching, `.dfu` suffix.
//!
//! Everything here is a pure function over bytes; reading and writing files is the caller's job.
//! [`make_module_image`] is Device OS's `%.bin` make rule (`build/module.mk`): `objcopy -O
//! binary`, check the placeholder block at the end, write the SHA-256, then the CRC-32.

pub mod crc;
pub mod dfu;
pub mod elf;
pub mod module_info;
pub mod suffix;

#[cfg(test)]
mod toolchain_tests;

use thiserror::Error;

pub use dfu::{DfuSuffix, add_dfu_suffix, parse_dfu_suffix, strip_dfu_suffix};
pub use elf::{Binary, ElfError, to_binary};
pub use module_info::{
    ModuleDependency, ModuleFunction, ModuleInfo, ModuleInfoError, find_module_info,
};
pub use suffix::{Integrity, ModuleSuffix, SuffixError, parse_suffix};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ImageError {
    #[error(transparent)]
    Elf(#[from] ElfError),
    #[error(
        "no module suffix placeholder at the end of the image ({len} bytes; the last 38 bytes are {tail}): \
         the linker script must place module_info_suffix and module_info_crc last (Device OS build/arm/linker/module_end.ld)"
    )]
    NoSuffixPlaceholder { len: usize, tail: String },
}

/// The flashable module image for an ELF: what `make` leaves in `<target>.bin`.
pub fn make_module_image(elf_bytes: &[u8]) -> Result<Vec<u8>, ImageError> {
    let mut bin = elf::to_binary(elf_bytes)?.bytes;
    patch_module_image(&mut bin)?;
    Ok(bin)
}

/// Fills in SHA-256 and CRC-32 of an already objcopied binary whose last 38 bytes are the
/// compiler's placeholder block (SHA 01..20, size, CRC 78 56 34 12).
///
/// Device OS's rule compares the whole block textually with size `28 00`; older trees emitted a
/// 36-byte suffix (`24 00`), so any size this crate can parse back is accepted. An empty binary
/// is an error here, where make would silently leave it empty.
pub fn patch_module_image(bin: &mut [u8]) -> Result<(), ImageError> {
    if !has_suffix_placeholder(bin) {
        let tail_start = bin.len().saturating_sub(suffix::CRC_BLOCK_LEN);
        return Err(ImageError::NoSuffixPlaceholder {
            len: bin.len(),
            tail: hex(&bin[tail_start..]),
        });
    }
    suffix::write_integrity(bin).map_err(|_| ImageError::NoSuffixPlaceholder {
        len: bin.len(),
        tail: hex(bin),
    })
}

/// Whether the image ends with the placeholder block the compiler emits.
pub fn has_suffix_placeholder(bin: &[u8]) -> bool {
    let Some(block_start) = bin.len().checked_sub(suffix::CRC_BLOCK_LEN) else {
        return false;
    };
    let block = &bin[block_start..];
    let size = u16::from_le_bytes([block[32], block[33]]);
    block[..32] == suffix::SHA_PLACEHOLDER
        && (size == suffix::SUFFIX_SIZE || size == suffix::SUFFIX_SIZE_WITHOUT_PRODUCT)
        && usize::from(size) + suffix::CRC_LEN <= bin.len()
        && block[34..] == suffix::CRC_PLACEHOLDER
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholder_block() -> Vec<u8> {
        let mut block = suffix::SHA_PLACEHOLDER.to_vec();
        block.extend_from_slice(&[0x28, 0x00]);
        block.extend_from_slice(&[0x78, 0x56, 0x34, 0x12]);
        block
    }

    #[test]
    fn patches_a_binary_ending_in_the_placeholder() {
        let mut bin = vec![0x5Au8; 50];
        bin.extend(placeholder_block());
        let len = bin.len();
        patch_module_image(&mut bin).unwrap();
        assert_eq!(bin.len(), len);
        assert_eq!(&bin[..50], &[0x5A; 50]);
        assert_eq!(
            &bin[len - 6..len - 4],
            &[0x28, 0x00],
            "size field untouched"
        );
        assert_eq!(
            suffix::verify(&bin).unwrap(),
            Integrity {
                sha_ok: true,
                crc_ok: true
            }
        );
    }

    #[test]
    fn refuses_binaries_without_the_placeholder() {
        for bin in [vec![], vec![0u8; 10], vec![0u8; 200]] {
            let mut copy = bin.clone();
            let err = patch_module_image(&mut copy).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with("no module suffix placeholder at the end of the image"),
                "{err}"
            );
            assert_eq!(copy, bin, "left untouched");
        }
        // Already patched: the SHA is no longer the placeholder.
        let mut bin = vec![1u8; 20];
        bin.extend(placeholder_block());
        patch_module_image(&mut bin).unwrap();
        assert!(patch_module_image(&mut bin).is_err());
        // Placeholder with a size that cannot be a suffix.
        let mut odd = vec![1u8; 20];
        let mut block = placeholder_block();
        block[32] = 0x30;
        odd.extend(block);
        assert!(patch_module_image(&mut odd).is_err());
        // Exactly the 38-byte block: size 40 does not fit.
        let mut bare = placeholder_block();
        assert!(patch_module_image(&mut bare).is_err());
    }

    #[test]
    fn elf_errors_pass_through() {
        assert_eq!(
            make_module_image(b"not an elf"),
            Err(ImageError::Elf(ElfError::NotElf))
        );
    }
}
