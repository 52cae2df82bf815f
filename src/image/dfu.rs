//! The 16-byte DFU file suffix that `dfu-suffix -a` appends to make a `.dfu` file; knows nothing
//! of what the payload is.
//!
//! Format (dfu-util `dfu_file.c`, DFU 1.1 spec appendix B), all little-endian, at the very end:
//!
//! | off | size | field | what `dfu-suffix -v V -p P -a` writes |
//! |----:|-----:|-------|------|
//! | 0  | 2 | bcdDevice | 0xFFFF ("any") |
//! | 2  | 2 | idProduct | P |
//! | 4  | 2 | idVendor  | V |
//! | 6  | 2 | bcdDFU    | 0x0100 |
//! | 8  | 3 | signature | "UFD" |
//! | 11 | 1 | bLength   | 16 |
//! | 12 | 4 | dwCRC     | zlib CRC-32 register over everything before it, *without* the final xor |
//!
//! dfu-util reads `bLength` to know how much to strip, and refuses lengths under 16.

use super::crc::dfu_crc;

/// Length of the suffix `dfu-suffix` writes.
pub const DFU_SUFFIX_LEN: usize = 16;
const SIGNATURE: &[u8; 3] = b"UFD";
/// bcdDevice written by `dfu-suffix` when `-d` is not given.
pub const ANY_DEVICE: u16 = 0xFFFF;
/// bcdDFU written by `dfu-suffix` when `-S` is not given.
pub const DFU_VERSION: u16 = 0x0100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DfuSuffix {
    /// bcdDevice.
    pub device: u16,
    /// idProduct.
    pub product: u16,
    /// idVendor.
    pub vendor: u16,
    /// bcdDFU.
    pub dfu_version: u16,
    /// bLength: how many bytes the suffix occupies at the end of the file.
    pub length: u8,
    /// Stored dwCRC.
    pub crc: u32,
    /// Whether `crc` matches the file.
    pub crc_ok: bool,
}

/// `bin` with the suffix `dfu-suffix -v <vendor> -p <product> -a` appends.
pub fn add_dfu_suffix(bin: &[u8], vendor: u16, product: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(bin.len() + DFU_SUFFIX_LEN);
    out.extend_from_slice(bin);
    out.extend_from_slice(&ANY_DEVICE.to_le_bytes());
    out.extend_from_slice(&product.to_le_bytes());
    out.extend_from_slice(&vendor.to_le_bytes());
    out.extend_from_slice(&DFU_VERSION.to_le_bytes());
    out.extend_from_slice(SIGNATURE);
    out.push(DFU_SUFFIX_LEN as u8);
    let crc = dfu_crc(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The DFU suffix at the end of `bytes`, if the signature is there and the length is sane.
pub fn parse_dfu_suffix(bytes: &[u8]) -> Option<DfuSuffix> {
    let start = bytes.len().checked_sub(DFU_SUFFIX_LEN)?;
    let s: &[u8; DFU_SUFFIX_LEN] = bytes.get(start..)?.try_into().ok()?;
    if &s[8..11] != SIGNATURE {
        return None;
    }
    let length = s[11];
    if usize::from(length) < DFU_SUFFIX_LEN || usize::from(length) > bytes.len() {
        return None;
    }
    let u16_at = |i: usize| u16::from_le_bytes([s[i], s[i + 1]]);
    let crc = u32::from_le_bytes([s[12], s[13], s[14], s[15]]);
    Some(DfuSuffix {
        device: u16_at(0),
        product: u16_at(2),
        vendor: u16_at(4),
        dfu_version: u16_at(6),
        length,
        crc,
        crc_ok: dfu_crc(&bytes[..bytes.len() - 4]) == crc,
    })
}

/// Splits a file into its payload and DFU suffix (if any), the way dfu-util does before flashing.
pub fn strip_dfu_suffix(bytes: &[u8]) -> (&[u8], Option<DfuSuffix>) {
    match parse_dfu_suffix(bytes) {
        Some(suffix) => (
            &bytes[..bytes.len() - usize::from(suffix.length)],
            Some(suffix),
        ),
        None => (bytes, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_suffix_has_the_documented_bytes() {
        let out = add_dfu_suffix(b"abc", 0x2B04, 0xD006);
        assert_eq!(out.len(), 3 + 16);
        assert_eq!(
            &out[3..15],
            &[
                0xFF, 0xFF, 0x06, 0xD0, 0x04, 0x2B, 0x00, 0x01, b'U', b'F', b'D', 16
            ]
        );
        let parsed = parse_dfu_suffix(&out).unwrap();
        assert_eq!(parsed.vendor, 0x2B04);
        assert_eq!(parsed.product, 0xD006);
        assert_eq!(parsed.device, 0xFFFF);
        assert_eq!(parsed.dfu_version, 0x0100);
        assert_eq!(parsed.length, 16);
        assert!(parsed.crc_ok);
        assert_eq!(strip_dfu_suffix(&out).0, b"abc");
    }

    #[test]
    fn empty_payload_gets_a_suffix_too() {
        let out = add_dfu_suffix(&[], 0x2B04, 0xD00A);
        assert_eq!(out.len(), 16);
        let (payload, suffix) = strip_dfu_suffix(&out);
        assert!(payload.is_empty());
        assert!(suffix.unwrap().crc_ok);
    }

    #[test]
    fn damaged_or_missing_suffixes() {
        let mut out = add_dfu_suffix(&[7u8; 100], 0x2B04, 0xD008);
        out[5] ^= 0x40;
        assert!(!parse_dfu_suffix(&out).unwrap().crc_ok);

        assert_eq!(parse_dfu_suffix(&[]), None);
        assert_eq!(parse_dfu_suffix(&[0u8; 15]), None);
        assert_eq!(parse_dfu_suffix(&[0u8; 64]), None);

        let mut short_len = add_dfu_suffix(&[1, 2, 3], 1, 2);
        let n = short_len.len();
        short_len[n - 5] = 15;
        assert_eq!(parse_dfu_suffix(&short_len), None);

        let mut long_len = add_dfu_suffix(&[1, 2, 3], 1, 2);
        long_len[n - 5] = 200;
        assert_eq!(parse_dfu_suffix(&long_len), None, "longer than the file");
        let (payload, none) = strip_dfu_suffix(&long_len);
        assert_eq!(payload.len(), long_len.len());
        assert!(none.is_none());
    }
}
