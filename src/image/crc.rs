//! CRC-32 as zlib computes it (ISO-HDLC, reflected polynomial 0xEDB88320), plus the unfinished
//! form dfu-util stores in a `.dfu` suffix; knows nothing about where either is stored.
//!
//! `crc32` is zlib's `crc32()`: init 0xFFFFFFFF, final xor 0xFFFFFFFF. It is what Device OS writes
//! (big-endian) at the end of every module. dfu-util's `dwCRC` uses the same table and init but
//! skips the final xor, so `dfu_crc(d) == !crc32(d)`.

const POLY: u32 = 0xEDB8_8320;

const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { POLY ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

/// Feeds `data` into a running (not yet finalised) CRC register.
fn update(mut register: u32, data: &[u8]) -> u32 {
    for &byte in data {
        register = TABLE[((register ^ u32::from(byte)) & 0xFF) as usize] ^ (register >> 8);
    }
    register
}

/// zlib `crc32(0, data, len)`.
pub fn crc32(data: &[u8]) -> u32 {
    !update(0xFFFF_FFFF, data)
}

/// dfu-util's suffix CRC: same register, no final xor.
pub fn dfu_crc(data: &[u8]) -> u32 {
    update(0xFFFF_FFFF, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values_from_the_crc_catalogue() {
        // CRC-32/ISO-HDLC check value for "123456789" (reveng catalogue).
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        // JAMCRC (same register, no xorout) check value.
        assert_eq!(dfu_crc(b"123456789"), 0x340B_C6D9);
    }
}
