//! Module images: ELF to flashable binary, module header/suffix, CRC/SHA patching, `.dfu` suffix.
