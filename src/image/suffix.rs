//! The module suffix at the end of every module image and its integrity fields (SHA-256, CRC-32):
//! read, verify, write; knows nothing of the module header or of ELF.
//!
//! Read backwards from the end of the image (`build/arm/linker/module_end.ld`,
//! `dynalib/inc/module_info.h`, `build/module.mk`):
//!
//! | from end | size | field |
//! |---------:|-----:|-------|
//! | -4  | 4  | CRC-32 (zlib) of bytes `[0, len-4)`, stored **big-endian** |
//! | -6  | 2  | suffix size, LE: 40 (36 on Device OS before product ids moved in) |
//! | -38 | 32 | SHA-256 of bytes `[0, len-38)` |
//! | -40 | 2  | reserved |
//! | -42 | 2  | product version (LE; 0xFFFF when unset) — only when size is 40 |
//! | -44 | 2  | product id (LE; 0xFFFF when unset) — only when size is 40 |
//!
//! The compiler emits placeholders (SHA 01 02 … 20, CRC `0x12345678` i.e. bytes 78 56 34 12);
//! Device OS's `%.bin` make rule checks the last 38 bytes are that block, writes the SHA, then
//! the CRC over everything before it (`crc32 | xxd -r -p`, hence big-endian). [`write_integrity`]
//! does the same two steps in the same order.

use sha2::{Digest, Sha256};
use thiserror::Error;

use super::crc::crc32;

pub const CRC_LEN: usize = 4;
/// SHA + size + CRC: the block Device OS's make rule checks and rewrites.
pub const CRC_BLOCK_LEN: usize = 38;
/// Suffix size with product id and version (Device OS 0.5 and later).
pub const SUFFIX_SIZE: u16 = 40;
/// Suffix size without them: reserved + SHA + size.
pub const SUFFIX_SIZE_WITHOUT_PRODUCT: u16 = 36;
/// The SHA-256 placeholder the compiler emits (`module_info.inc`).
pub const SHA_PLACEHOLDER: [u8; 32] = {
    let mut sha = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        sha[i] = i as u8 + 1;
        i += 1;
    }
    sha
};
/// The CRC placeholder `0x12345678` as the little-endian target stores it.
pub const CRC_PLACEHOLDER: [u8; 4] = 0x1234_5678u32.to_le_bytes();

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SuffixError {
    #[error("image is {len} bytes, too short for a module suffix")]
    TooShort { len: usize },
    #[error("no module suffix: the size field before the CRC reads {size} (expected 40 or 36)")]
    BadSize { size: u16 },
}

/// The module suffix fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleSuffix {
    /// Size field (40 or 36).
    pub size: u16,
    pub product_id: Option<u16>,
    pub product_version: Option<u16>,
    pub reserved: u16,
    pub sha256: [u8; 32],
    /// Stored CRC (read big-endian).
    pub crc32: u32,
}

/// Result of checking the stored SHA-256 and CRC against the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Integrity {
    pub sha_ok: bool,
    pub crc_ok: bool,
}

/// Reads the suffix at the end of `image`.
pub fn parse_suffix(image: &[u8]) -> Result<ModuleSuffix, SuffixError> {
    let len = image.len();
    let from_end = |back: usize, n: usize| -> Option<&[u8]> {
        let start = len.checked_sub(back)?;
        image.get(start..start + n)
    };
    let u16_from_end = |back: usize| from_end(back, 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let too_short = SuffixError::TooShort { len };
    let size = u16_from_end(6).ok_or(too_short.clone())?;
    if size != SUFFIX_SIZE && size != SUFFIX_SIZE_WITHOUT_PRODUCT {
        return Err(SuffixError::BadSize { size });
    }
    if len < usize::from(size) + CRC_LEN {
        return Err(too_short);
    }
    let crc = from_end(4, 4).ok_or(too_short.clone())?;
    let sha = from_end(38, 32).ok_or(too_short.clone())?;
    let with_product = size == SUFFIX_SIZE;
    Ok(ModuleSuffix {
        size,
        product_id: with_product.then(|| u16_from_end(44)).flatten(),
        product_version: with_product.then(|| u16_from_end(42)).flatten(),
        reserved: u16_from_end(40).ok_or(too_short.clone())?,
        sha256: sha.try_into().map_err(|_| too_short.clone())?,
        crc32: u32::from_be_bytes(crc.try_into().map_err(|_| too_short)?),
    })
}

/// SHA-256 of `[0, len-38)`, the range the suffix's hash covers.
pub fn compute_sha256(image: &[u8]) -> Option<[u8; 32]> {
    let covered = image.get(..image.len().checked_sub(CRC_BLOCK_LEN)?)?;
    Some(Sha256::digest(covered).into())
}

/// zlib CRC-32 of `[0, len-4)`, the range the trailing CRC covers.
pub fn compute_crc32(image: &[u8]) -> Option<u32> {
    let covered = image.get(..image.len().checked_sub(CRC_LEN)?)?;
    Some(crc32(covered))
}

/// The stored CRC (big-endian, last 4 bytes), whether or not there is a suffix.
pub fn stored_crc32(image: &[u8]) -> Option<u32> {
    let tail = image.get(image.len().checked_sub(CRC_LEN)?..)?;
    Some(u32::from_be_bytes(tail.try_into().ok()?))
}

/// Checks the stored SHA-256 and CRC-32 of an image that has a suffix.
pub fn verify(image: &[u8]) -> Result<Integrity, SuffixError> {
    let suffix = parse_suffix(image)?;
    Ok(Integrity {
        sha_ok: compute_sha256(image) == Some(suffix.sha256),
        crc_ok: compute_crc32(image) == Some(suffix.crc32),
    })
}

/// Writes the SHA-256 and then the CRC-32 (big-endian) into the last 38 bytes, as Device OS's
/// make rule does. Does not look at what was there before; see `patch_module_image` for the
/// placeholder check.
pub fn write_integrity(image: &mut [u8]) -> Result<(), SuffixError> {
    let len = image.len();
    let sha = compute_sha256(image).ok_or(SuffixError::TooShort { len })?;
    image[len - CRC_BLOCK_LEN..len - CRC_BLOCK_LEN + 32].copy_from_slice(&sha);
    let crc = compute_crc32(image).ok_or(SuffixError::TooShort { len })?;
    image[len - CRC_LEN..].copy_from_slice(&crc.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 60 bytes of payload, then product id 6 / version 3, reserved, SHA placeholder, size 40,
    /// CRC placeholder.
    fn placeholder_image() -> Vec<u8> {
        let mut img: Vec<u8> = (0..60u8).collect();
        img.extend_from_slice(&6u16.to_le_bytes());
        img.extend_from_slice(&3u16.to_le_bytes());
        img.extend_from_slice(&[0, 0]);
        img.extend_from_slice(&SHA_PLACEHOLDER);
        img.extend_from_slice(&40u16.to_le_bytes());
        img.extend_from_slice(&CRC_PLACEHOLDER);
        img
    }

    #[test]
    fn reads_fields_backwards_from_the_end() {
        let img = placeholder_image();
        let s = parse_suffix(&img).unwrap();
        assert_eq!(s.size, 40);
        assert_eq!(s.product_id, Some(6));
        assert_eq!(s.product_version, Some(3));
        assert_eq!(s.reserved, 0);
        assert_eq!(s.sha256[0], 1);
        assert_eq!(s.sha256[31], 0x20);
        assert_eq!(s.crc32, 0x7856_3412, "placeholder read big-endian");
        assert_eq!(
            verify(&img).unwrap(),
            Integrity {
                sha_ok: false,
                crc_ok: false
            }
        );
    }

    #[test]
    fn written_integrity_verifies_and_breaks_on_any_flip() {
        let mut img = placeholder_image();
        write_integrity(&mut img).unwrap();
        assert_eq!(
            verify(&img).unwrap(),
            Integrity {
                sha_ok: true,
                crc_ok: true
            }
        );
        // The SHA is over everything before it, the CRC over everything before it, SHA included.
        let mut payload_flip = img.clone();
        payload_flip[10] ^= 1;
        assert_eq!(
            verify(&payload_flip).unwrap(),
            Integrity {
                sha_ok: false,
                crc_ok: false
            }
        );
        let mut sha_flip = img.clone();
        sha_flip[img.len() - 20] ^= 1;
        assert_eq!(
            verify(&sha_flip).unwrap(),
            Integrity {
                sha_ok: false,
                crc_ok: false
            }
        );
        let mut crc_flip = img.clone();
        let last = img.len() - 1;
        crc_flip[last] ^= 1;
        assert_eq!(
            verify(&crc_flip).unwrap(),
            Integrity {
                sha_ok: true,
                crc_ok: false
            }
        );
    }

    #[test]
    fn short_suffix_has_no_product_fields() {
        let mut img = vec![0u8; 10];
        img.extend_from_slice(&[0, 0]);
        img.extend_from_slice(&SHA_PLACEHOLDER);
        img.extend_from_slice(&36u16.to_le_bytes());
        img.extend_from_slice(&CRC_PLACEHOLDER);
        let s = parse_suffix(&img).unwrap();
        assert_eq!(s.size, 36);
        assert_eq!(s.product_id, None);
        assert_eq!(s.product_version, None);
    }

    #[test]
    fn truncated_and_foreign_tails_are_errors() {
        for len in 0..6 {
            assert_eq!(
                parse_suffix(&vec![0; len]),
                Err(SuffixError::TooShort { len })
            );
        }
        assert_eq!(
            parse_suffix(&[0u8; 100]),
            Err(SuffixError::BadSize { size: 0 })
        );
        // Size field says 40 but only 20 bytes exist.
        let mut short = vec![0u8; 20];
        short[14..16].copy_from_slice(&40u16.to_le_bytes());
        assert_eq!(parse_suffix(&short), Err(SuffixError::TooShort { len: 20 }));
        // Exactly 44 bytes: the smallest image that holds a 40-byte suffix and the CRC.
        let mut exact = vec![0u8; 44];
        exact[38..40].copy_from_slice(&40u16.to_le_bytes());
        assert!(parse_suffix(&exact).is_ok());
        assert!(write_integrity(&mut [0u8; 37]).is_err());
        assert_eq!(compute_crc32(&[1, 2, 3]), None);
        assert_eq!(stored_crc32(&[1, 2, 3]), None);
        assert_eq!(stored_crc32(&[1, 2, 3, 4]), Some(0x0102_0304));
    }
}
