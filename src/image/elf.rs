//! ELF to flat binary, byte for byte what `arm-none-eabi-objcopy -O binary` writes; knows nothing
//! of Particle modules, suffixes or the flash map.
//!
//! How objcopy (BFD) decides, reproduced here (binutils `bfd/elf.c`
//! `_bfd_elf_make_section_from_shdr`, `include/elf/internal.h` `ELF_SECTION_IN_SEGMENT`,
//! `bfd/binary.c` `binary_set_section_contents`):
//!
//! 1. A section is *loaded* when it has `SHF_ALLOC`, is not `SHT_NOBITS` (so `.bss` and `NOLOAD`
//!    sections never count) and is not one of the tables BFD keeps for itself (`SHT_NULL`, the
//!    static symbol table, its string table, the section-name table).
//! 2. Its load address (LMA) comes from the program headers, not from the section: the first
//!    `PT_LOAD` (or `PT_TLS` for `SHF_TLS` sections) whose file range and memory range both hold
//!    the section gives `lma = p_paddr + (sh_offset - p_offset)` — *file-offset* based, so
//!    sections packed into one segment with unrelated VMAs (a `.data` with `AT> FLASH`) land
//!    contiguously. Later matching segments override, until one also holds the section's VMA
//!    range. No matching segment: `lma = vma`. If every program header has `p_paddr == 0` and
//!    there is more than one non-empty `PT_LOAD`, BFD distrusts the paddrs and uses `lma = vma`.
//! 3. The file starts at the lowest LMA of the loaded, non-empty sections; each is written at
//!    `lma - low` in section-header order (a later section overwrites an overlapping earlier one);
//!    the file ends at the highest end; gaps are zeros.
//!
//! Not reproduced: objcopy's options (`--gap-fill`, `--pad-to`, `-j`, …), 64-bit and big-endian
//! ELF (refused with an error), and BFD's exotic cases for `SHF_ALLOC` symbol tables in shared
//! objects beyond the `ET_DYN` rule below. Every read is bounds-checked: no input panics.

use thiserror::Error;

/// Refuse to build a flat image larger than this. Gen 2 internal flash is 1 MiB; a larger image
/// almost always means a section was given a RAM load address (`AT>` forgotten), which objcopy
/// would happily turn into a file of hundreds of megabytes.
pub const MAX_BINARY_LEN: u64 = 64 << 20;

const ELF_HEADER_LEN: u64 = 52;
const PHDR_LEN: u16 = 32;
const SHDR_LEN: u16 = 40;

const ET_DYN: u16 = 3;
const PT_LOAD: u32 = 1;
const PT_TLS: u32 = 7;
const SHT_NULL: u32 = 0;
const SHT_SYMTAB: u32 = 2;
const SHT_STRTAB: u32 = 3;
const SHT_NOBITS: u32 = 8;
const SHF_ALLOC: u32 = 0x2;
const SHF_TLS: u32 = 0x400;
const SHN_XINDEX: u16 = 0xFFFF;
const PN_XNUM: u16 = 0xFFFF;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ElfError {
    #[error("not an ELF file (it does not start with \\x7fELF)")]
    NotElf,
    #[error("ELF class {0} is not supported: firmware must be a 32-bit ELF (ELFCLASS32)")]
    WrongClass(u8),
    #[error("ELF data encoding {0} is not supported: firmware must be little-endian (ELFDATA2LSB)")]
    WrongEndianness(u8),
    #[error("truncated ELF file: the {what} needs bytes {start:#x}..{end:#x}, the file has {len}")]
    Truncated {
        what: &'static str,
        start: u64,
        end: u64,
        len: usize,
    },
    #[error("ELF {table} entries are {size} bytes, smaller than the {min} bytes of an ELF32 entry")]
    BadEntrySize {
        table: &'static str,
        size: u16,
        min: u16,
    },
    #[error(
        "section {name}: contents at file offset {offset:#x} ({size} bytes) go past the end of the file ({len} bytes)"
    )]
    SectionOutOfFile {
        name: String,
        offset: u32,
        size: u32,
        len: usize,
    },
    #[error(
        "the flat binary would be {len} bytes, from {low_section} at {low:#010x} to the end of {high_section} at {high:#010x}; \
         a loadable section has a load address far from the others (a section placed in RAM without `AT> FLASH` in the linker script?)"
    )]
    TooLarge {
        len: u64,
        low: u64,
        low_section: String,
        high: u64,
        high_section: String,
    },
}

/// A section that objcopy writes into the flat binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedSection {
    /// Index in the section header table.
    pub index: usize,
    pub name: String,
    /// Load address, where the bytes go in flash.
    pub lma: u64,
    /// Run-time address (`sh_addr`).
    pub vma: u32,
    pub file_offset: u32,
    pub size: u32,
}

/// The flat image: `bytes[0]` belongs at `load_address` (0 when `bytes` is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary {
    pub load_address: u64,
    pub bytes: Vec<u8>,
}

/// The loaded, non-empty sections in section-header order, each with its load address.
pub fn loaded_sections(elf: &[u8]) -> Result<Vec<LoadedSection>, ElfError> {
    let file = ElfFile::parse(elf)?;
    let mut loaded = Vec::new();
    for (index, sh) in file.sections.iter().enumerate() {
        if !file.is_loaded(index, sh) || sh.size == 0 {
            continue;
        }
        let name = file.section_name(index);
        let in_file = u64::from(sh.offset) + u64::from(sh.size) <= elf.len() as u64;
        if !in_file {
            return Err(ElfError::SectionOutOfFile {
                name,
                offset: sh.offset,
                size: sh.size,
                len: elf.len(),
            });
        }
        loaded.push(LoadedSection {
            index,
            name,
            lma: file.load_address(sh),
            vma: sh.addr,
            file_offset: sh.offset,
            size: sh.size,
        });
    }
    Ok(loaded)
}

/// What `objcopy -O binary` writes for this ELF.
pub fn to_binary(elf: &[u8]) -> Result<Binary, ElfError> {
    let sections = loaded_sections(elf)?;
    let (Some(lowest), Some(highest)) = (
        sections.iter().min_by_key(|s| s.lma),
        sections.iter().max_by_key(|s| s.lma + u64::from(s.size)),
    ) else {
        return Ok(Binary {
            load_address: 0,
            bytes: Vec::new(),
        });
    };
    let low = lowest.lma;
    let high = highest.lma + u64::from(highest.size);
    let len = high - low;
    if len > MAX_BINARY_LEN {
        return Err(ElfError::TooLarge {
            len,
            low,
            low_section: lowest.name.clone(),
            high,
            high_section: highest.name.clone(),
        });
    }
    let mut bytes = vec![0u8; len as usize];
    for s in &sections {
        let at = (s.lma - low) as usize;
        let from = s.file_offset as usize;
        let size = s.size as usize;
        // Both ranges were checked: the contents against the file in `loaded_sections`, the
        // destination against `len` by construction of `high`.
        bytes[at..at + size].copy_from_slice(&elf[from..from + size]);
    }
    Ok(Binary {
        load_address: low,
        bytes,
    })
}

struct ProgramHeader {
    p_type: u32,
    offset: u32,
    vaddr: u32,
    paddr: u32,
    filesz: u32,
    memsz: u32,
}

struct SectionHeader {
    name: u32,
    sh_type: u32,
    flags: u32,
    addr: u32,
    offset: u32,
    size: u32,
    link: u32,
}

struct ElfFile<'a> {
    bytes: &'a [u8],
    e_type: u16,
    shstrndx: u32,
    programs: Vec<ProgramHeader>,
    sections: Vec<SectionHeader>,
    /// Indexes of the string tables that hold symbol names (`sh_link` of a `SHT_SYMTAB`).
    symbol_name_tables: Vec<usize>,
}

impl<'a> ElfFile<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Self, ElfError> {
        if bytes.get(..4) != Some(b"\x7fELF".as_slice()) {
            return Err(ElfError::NotElf);
        }
        // Class and encoding first: a 64-bit ELF deserves that message, not "truncated".
        let class = *bytes.get(4).ok_or(ElfError::NotElf)?;
        if class != 1 {
            return Err(ElfError::WrongClass(class));
        }
        let data = *bytes.get(5).ok_or(ElfError::NotElf)?;
        if data != 1 {
            return Err(ElfError::WrongEndianness(data));
        }
        range(bytes, "ELF header", 0, ELF_HEADER_LEN)?;
        let r = Reader(bytes);
        let e_type = r.u16(16);
        let phoff = r.u32(28);
        let shoff = r.u32(32);
        let phentsize = r.u16(42);
        let e_phnum = r.u16(44);
        let shentsize = r.u16(46);
        let e_shnum = r.u16(48);
        let e_shstrndx = r.u16(50);

        // Extended numbering (ELF gABI): counts that do not fit live in section header 0.
        let mut shnum = u32::from(e_shnum);
        let mut phnum = u32::from(e_phnum);
        let mut shstrndx = u32::from(e_shstrndx);
        if shoff != 0 && (e_shnum == 0 || e_shstrndx == SHN_XINDEX || e_phnum == PN_XNUM) {
            check_entry_size("section header", shentsize, SHDR_LEN)?;
            let at = range(
                bytes,
                "section header table",
                u64::from(shoff),
                u64::from(SHDR_LEN),
            )?;
            let first = read_section(&r, at);
            if e_shnum == 0 {
                shnum = first.size;
            }
            if e_shstrndx == SHN_XINDEX {
                shstrndx = first.link;
            }
            if e_phnum == PN_XNUM {
                phnum = r.u32(at + 28);
            }
        }
        if shoff == 0 {
            shnum = 0;
        }

        let mut programs = Vec::new();
        if phnum > 0 {
            check_entry_size("program header", phentsize, PHDR_LEN)?;
            let table = range(
                bytes,
                "program header table",
                u64::from(phoff),
                u64::from(phnum) * u64::from(phentsize),
            )?;
            for i in 0..phnum as usize {
                let at = table + i * usize::from(phentsize);
                programs.push(ProgramHeader {
                    p_type: r.u32(at),
                    offset: r.u32(at + 4),
                    vaddr: r.u32(at + 8),
                    paddr: r.u32(at + 12),
                    filesz: r.u32(at + 16),
                    memsz: r.u32(at + 20),
                });
            }
        }

        let mut sections = Vec::new();
        if shnum > 0 {
            check_entry_size("section header", shentsize, SHDR_LEN)?;
            let table = range(
                bytes,
                "section header table",
                u64::from(shoff),
                u64::from(shnum) * u64::from(shentsize),
            )?;
            for i in 0..shnum as usize {
                sections.push(read_section(&r, table + i * usize::from(shentsize)));
            }
        }

        let mut symbol_name_tables: Vec<usize> = sections
            .iter()
            .filter(|s| s.sh_type == SHT_SYMTAB)
            .map(|s| s.link as usize)
            .collect();
        symbol_name_tables.sort_unstable();
        symbol_name_tables.dedup();

        Ok(ElfFile {
            bytes,
            e_type,
            shstrndx,
            programs,
            sections,
            symbol_name_tables,
        })
    }

    /// Whether BFD makes this a section with `SEC_LOAD | SEC_ALLOC | SEC_HAS_CONTENTS`.
    fn is_loaded(&self, index: usize, sh: &SectionHeader) -> bool {
        if index == 0 || sh.flags & SHF_ALLOC == 0 {
            return false;
        }
        match sh.sh_type {
            SHT_NULL | SHT_NOBITS => false,
            // BFD keeps the static symbol table for itself, except in shared objects.
            SHT_SYMTAB => self.e_type == ET_DYN,
            SHT_STRTAB => {
                let is_names = index as u64 == u64::from(self.shstrndx);
                let is_symbol_names = self.symbol_name_tables.binary_search(&index).is_ok();
                !is_names && !is_symbol_names
            }
            _ => true,
        }
    }

    /// BFD's LMA for a loaded (`SEC_LOAD`) section.
    fn load_address(&self, sh: &SectionHeader) -> u64 {
        let vma = u64::from(sh.addr);
        let all_paddr_zero = self.programs.iter().all(|p| p.paddr == 0);
        let nonempty_loads = self
            .programs
            .iter()
            .filter(|p| p.p_type == PT_LOAD && p.memsz != 0)
            .count();
        if all_paddr_zero && nonempty_loads > 1 {
            return vma;
        }
        let tls = sh.flags & SHF_TLS != 0;
        let (offset, size) = (u64::from(sh.offset), u64::from(sh.size));
        let mut lma = vma;
        for p in &self.programs {
            let kind_matches = (p.p_type == PT_LOAD && !tls) || (p.p_type == PT_TLS && tls);
            let (p_offset, p_vaddr) = (u64::from(p.offset), u64::from(p.vaddr));
            let in_file = offset >= p_offset && offset - p_offset + size <= u64::from(p.filesz);
            let in_memory = vma >= p_vaddr && vma - p_vaddr + size <= u64::from(p.memsz);
            if kind_matches && in_file && in_memory {
                lma = u64::from(p.paddr) + (offset - p_offset);
                // BFD's tie-break between contiguous segments ("decide based on vaddr"); with
                // `in_memory` already required it always holds, so the first match wins.
                break;
            }
        }
        lma
    }

    fn section_name(&self, index: usize) -> String {
        let fallback = || format!("#{index}");
        let Some(names) = self.sections.get(self.shstrndx as usize) else {
            return fallback();
        };
        let Some(sh) = self.sections.get(index) else {
            return fallback();
        };
        let start = u64::from(names.offset) + u64::from(sh.name);
        let end = u64::from(names.offset) + u64::from(names.size);
        let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end)) else {
            return fallback();
        };
        let Some(table) = self.bytes.get(start..end.min(self.bytes.len())) else {
            return fallback();
        };
        let Some(nul) = table.iter().position(|&b| b == 0) else {
            return fallback();
        };
        if nul == 0 {
            return fallback();
        }
        String::from_utf8_lossy(&table[..nul]).into_owned()
    }
}

/// Little-endian reads at offsets already checked by [`range`].
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn u16(&self, at: usize) -> u16 {
        u16::from_le_bytes([self.0[at], self.0[at + 1]])
    }
    fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes([self.0[at], self.0[at + 1], self.0[at + 2], self.0[at + 3]])
    }
}

fn read_section(r: &Reader<'_>, at: usize) -> SectionHeader {
    SectionHeader {
        name: r.u32(at),
        sh_type: r.u32(at + 4),
        flags: r.u32(at + 8),
        addr: r.u32(at + 12),
        offset: r.u32(at + 16),
        size: r.u32(at + 20),
        link: r.u32(at + 24),
    }
}

/// Checks that `start..start + len` lies in `bytes`; returns `start` as an index.
fn range(bytes: &[u8], what: &'static str, start: u64, len: u64) -> Result<usize, ElfError> {
    let end = start.saturating_add(len);
    if end > bytes.len() as u64 {
        return Err(ElfError::Truncated {
            what,
            start,
            end,
            len: bytes.len(),
        });
    }
    Ok(start as usize)
}

fn check_entry_size(table: &'static str, size: u16, min: u16) -> Result<(), ElfError> {
    if size < min {
        return Err(ElfError::BadEntrySize { table, size, min });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sec {
        name: &'static str,
        sh_type: u32,
        flags: u32,
        addr: u32,
        offset: u32,
        data: Vec<u8>,
        /// For NOBITS sections: the size without file bytes.
        nobits_size: u32,
    }

    fn progbits(name: &'static str, addr: u32, offset: u32, data: &[u8]) -> Sec {
        Sec {
            name,
            sh_type: 1,
            flags: SHF_ALLOC,
            addr,
            offset,
            data: data.to_vec(),
            nobits_size: 0,
        }
    }

    /// (p_type, offset, vaddr, paddr, filesz, memsz)
    type Seg = (u32, u32, u32, u32, u32, u32);

    /// A minimal ELF32 LE: header, program headers at 52, section contents at their given
    /// offsets, then the section-name table and the section headers.
    fn build(segs: &[Seg], secs: &[Sec]) -> Vec<u8> {
        let mut file = vec![0u8; 52 + 32 * segs.len()];
        for s in secs {
            let end = s.offset as usize + s.data.len();
            if file.len() < end {
                file.resize(end, 0);
            }
            file[s.offset as usize..end].copy_from_slice(&s.data);
        }
        let mut names = vec![0u8];
        let mut name_offsets = Vec::new();
        for s in secs.iter().map(|s| s.name).chain([".shstrtab"]) {
            name_offsets.push(names.len() as u32);
            names.extend_from_slice(s.as_bytes());
            names.push(0);
        }
        let names_offset = file.len() as u32;
        file.extend_from_slice(&names);
        let shoff = file.len() as u32;
        file.extend_from_slice(&[0u8; 40]);
        let mut push_shdr = |name: u32, t: u32, flags: u32, addr: u32, off: u32, size: u32| {
            for v in [name, t, flags, addr, off, size, 0, 0, 4, 0] {
                file.extend_from_slice(&v.to_le_bytes());
            }
        };
        for (s, &name) in secs.iter().zip(&name_offsets) {
            let size = if s.sh_type == SHT_NOBITS {
                s.nobits_size
            } else {
                s.data.len() as u32
            };
            push_shdr(name, s.sh_type, s.flags, s.addr, s.offset, size);
        }
        push_shdr(
            name_offsets[secs.len()],
            SHT_STRTAB,
            0,
            0,
            names_offset,
            names.len() as u32,
        );
        file[..4].copy_from_slice(b"\x7fELF");
        file[4] = 1;
        file[5] = 1;
        file[6] = 1;
        file[16..18].copy_from_slice(&2u16.to_le_bytes());
        file[18..20].copy_from_slice(&40u16.to_le_bytes());
        file[28..32].copy_from_slice(&52u32.to_le_bytes());
        file[32..36].copy_from_slice(&shoff.to_le_bytes());
        file[40..42].copy_from_slice(&52u16.to_le_bytes());
        file[42..44].copy_from_slice(&32u16.to_le_bytes());
        file[44..46].copy_from_slice(&(segs.len() as u16).to_le_bytes());
        file[46..48].copy_from_slice(&40u16.to_le_bytes());
        file[48..50].copy_from_slice(&(secs.len() as u16 + 2).to_le_bytes());
        file[50..52].copy_from_slice(&(secs.len() as u16 + 1).to_le_bytes());
        for (i, seg) in segs.iter().enumerate() {
            let at = 52 + 32 * i;
            let (t, off, va, pa, fs, ms) = *seg;
            for (j, v) in [t, off, va, pa, fs, ms, 5, 4].iter().enumerate() {
                file[at + 4 * j..at + 4 * j + 4].copy_from_slice(&v.to_le_bytes());
            }
        }
        file
    }

    /// .text at 0x08020000 and .data (VMA in RAM) packed after it in one PT_LOAD, plus a .bss.
    fn flash_and_ram() -> Vec<u8> {
        let text = [0x11u8; 8];
        let data = [0x22u8; 4];
        let mut bss = progbits(".bss", 0x2000_0004, 0x108, &[]);
        bss.sh_type = SHT_NOBITS;
        bss.flags = SHF_ALLOC | 1;
        bss.nobits_size = 64;
        build(
            &[
                (PT_LOAD, 0x100, 0x0802_0000, 0x0802_0000, 8, 8),
                (PT_LOAD, 0x108, 0x2000_0000, 0x0802_0008, 4, 4 + 64),
            ],
            &[
                progbits(".text", 0x0802_0000, 0x100, &text),
                progbits(".data", 0x2000_0000, 0x108, &data),
                bss,
            ],
        )
    }

    #[test]
    fn data_goes_to_its_load_address_and_bss_is_left_out() {
        let elf = flash_and_ram();
        let sections = loaded_sections(&elf).unwrap();
        let summary: Vec<_> = sections.iter().map(|s| (s.name.as_str(), s.lma)).collect();
        assert_eq!(summary, [(".text", 0x0802_0000), (".data", 0x0802_0008)]);
        let bin = to_binary(&elf).unwrap();
        assert_eq!(bin.load_address, 0x0802_0000);
        let mut expected = vec![0x11u8; 8];
        expected.extend([0x22u8; 4]);
        assert_eq!(bin.bytes, expected);
    }

    #[test]
    fn gaps_are_zero_filled_and_non_alloc_or_empty_sections_skipped() {
        let mut comment = progbits(".comment", 0, 0x300, b"GCC");
        comment.flags = 0;
        let elf = build(
            &[(PT_LOAD, 0x100, 0x0802_0000, 0x0802_0000, 0x104, 0x104)],
            &[
                progbits(".text", 0x0802_0000, 0x100, &[0xAB; 2]),
                progbits(".empty", 0x0802_0002, 0x102, &[]),
                progbits(".tail", 0x0802_0100, 0x200, &[0xCD; 4]),
                comment,
            ],
        );
        let bin = to_binary(&elf).unwrap();
        assert_eq!(bin.bytes.len(), 0x104);
        assert_eq!(&bin.bytes[..2], &[0xAB; 2]);
        assert!(bin.bytes[2..0x100].iter().all(|&b| b == 0));
        assert_eq!(&bin.bytes[0x100..], &[0xCD; 4]);
    }

    #[test]
    fn lma_follows_file_offsets_inside_a_segment_not_vma_gaps() {
        // One segment, two sections whose VMAs are 0x100 apart but whose file bytes touch:
        // BFD places .b right after .a (p_paddr + sh_offset - p_offset), not 0x100 later.
        let elf = build(
            &[(PT_LOAD, 0x100, 0x2000_0000, 0x0802_0000, 8, 0x108)],
            &[
                progbits(".a", 0x2000_0000, 0x100, &[1, 1, 1, 1]),
                progbits(".b", 0x2000_0100, 0x104, &[2, 2, 2, 2]),
            ],
        );
        let lmas: Vec<u64> = loaded_sections(&elf)
            .unwrap()
            .iter()
            .map(|s| s.lma)
            .collect();
        assert_eq!(lmas, [0x0802_0000, 0x0802_0004]);
        assert_eq!(to_binary(&elf).unwrap().bytes, [1, 1, 1, 1, 2, 2, 2, 2]);
    }

    #[test]
    fn a_section_outside_every_segment_keeps_its_vma() {
        let elf = build(
            &[(PT_LOAD, 0x100, 0x2000_0000, 0x0802_0000, 4, 4)],
            &[
                progbits(".in", 0x2000_0000, 0x100, &[1; 4]),
                // File bytes outside the segment: no match, LMA = VMA.
                progbits(".out", 0x0802_0010, 0x200, &[2; 2]),
            ],
        );
        let lmas: Vec<u64> = loaded_sections(&elf)
            .unwrap()
            .iter()
            .map(|s| s.lma)
            .collect();
        assert_eq!(lmas, [0x0802_0000, 0x0802_0010]);
    }

    #[test]
    fn without_program_headers_the_lma_is_the_vma() {
        let elf = build(
            &[],
            &[
                progbits(".a", 0x10, 0x100, &[1, 2]),
                progbits(".b", 0x14, 0x102, &[3]),
            ],
        );
        assert_eq!(to_binary(&elf).unwrap().bytes, [1, 2, 0, 0, 3]);
    }

    #[test]
    fn all_zero_paddrs_with_several_loads_fall_back_to_vma() {
        let secs = [
            progbits(".a", 0x1000, 0x100, &[1]),
            progbits(".b", 0x1004, 0x101, &[2]),
        ];
        let zero = build(
            &[
                (PT_LOAD, 0x100, 0x1000, 0, 1, 1),
                (PT_LOAD, 0x101, 0x1004, 0, 1, 1),
            ],
            &secs,
        );
        assert_eq!(to_binary(&zero).unwrap().bytes, [1, 0, 0, 0, 2]);
        // One non-zero paddr and the segments are believed: .b lands at 0x8001.
        let believed = build(
            &[
                (PT_LOAD, 0x100, 0x1000, 0, 1, 1),
                (PT_LOAD, 0x101, 0x1004, 0x8001, 1, 1),
            ],
            &secs,
        );
        let bin = to_binary(&believed);
        assert_eq!(bin.as_ref().map(|b| b.bytes.len()), Ok(0x8002));
    }

    #[test]
    fn a_later_section_overwrites_an_overlapping_earlier_one() {
        let elf = build(
            &[],
            &[
                progbits(".first", 0x100, 0x100, &[1, 1, 1, 1]),
                progbits(".second", 0x102, 0x104, &[2, 2, 2, 2]),
            ],
        );
        assert_eq!(to_binary(&elf).unwrap().bytes, [1, 1, 2, 2, 2, 2]);
    }

    #[test]
    fn tls_data_takes_its_lma_from_pt_tls_only() {
        let mut tdata = progbits(".tdata", 0x2000_0000, 0x104, &[7, 7]);
        tdata.flags |= SHF_TLS;
        let elf = build(
            &[
                (PT_LOAD, 0x100, 0x0800_0000, 0x0800_0000, 4, 4),
                (PT_LOAD, 0x104, 0x2000_0000, 0x0900_0000, 2, 2),
                (PT_TLS, 0x104, 0x2000_0000, 0x0800_0004, 2, 2),
            ],
            &[progbits(".text", 0x0800_0000, 0x100, &[9; 4]), tdata],
        );
        assert_eq!(to_binary(&elf).unwrap().bytes, [9, 9, 9, 9, 7, 7]);
    }

    #[test]
    fn far_apart_load_addresses_are_refused_not_allocated() {
        let elf = build(
            &[],
            &[
                progbits(".text", 0x0802_0000, 0x100, &[1]),
                progbits(".data", 0x2000_0000, 0x101, &[2]),
            ],
        );
        let err = to_binary(&elf).unwrap_err();
        assert!(
            matches!(&err, ElfError::TooLarge { low_section, high_section, .. }
                if low_section == ".text" && high_section == ".data"),
            "{err:?}"
        );
    }

    #[test]
    fn nothing_loadable_gives_an_empty_binary() {
        let elf = build(&[], &[]);
        assert_eq!(
            to_binary(&elf).unwrap(),
            Binary {
                load_address: 0,
                bytes: vec![]
            }
        );
    }

    #[test]
    fn malformed_headers_are_typed_errors() {
        assert_eq!(to_binary(b""), Err(ElfError::NotElf));
        assert_eq!(to_binary(b"\x7fEL"), Err(ElfError::NotElf));
        assert_eq!(to_binary(b"MZ\x90\x00 not elf"), Err(ElfError::NotElf));
        assert_eq!(to_binary(b"\x7fELF"), Err(ElfError::NotElf));
        assert_eq!(to_binary(b"\x7fELF\x02\x01"), Err(ElfError::WrongClass(2)));
        assert_eq!(
            to_binary(b"\x7fELF\x01\x02"),
            Err(ElfError::WrongEndianness(2))
        );
        assert!(matches!(
            to_binary(b"\x7fELF\x01\x01\x01"),
            Err(ElfError::Truncated {
                what: "ELF header",
                ..
            })
        ));

        let good = flash_and_ram();
        let mut ph_beyond = good.clone();
        ph_beyond[28..32].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        assert!(matches!(
            to_binary(&ph_beyond),
            Err(ElfError::Truncated {
                what: "program header table",
                ..
            })
        ));
        let mut sh_beyond = good.clone();
        sh_beyond[32..36].copy_from_slice(&(good.len() as u32 - 10).to_le_bytes());
        assert!(matches!(
            to_binary(&sh_beyond),
            Err(ElfError::Truncated {
                what: "section header table",
                ..
            })
        ));
        let mut many_sections = good.clone();
        many_sections[48..50].copy_from_slice(&0xFF00u16.to_le_bytes());
        assert!(matches!(
            to_binary(&many_sections),
            Err(ElfError::Truncated { .. })
        ));
        let mut small_entries = good.clone();
        small_entries[42..44].copy_from_slice(&16u16.to_le_bytes());
        assert_eq!(
            to_binary(&small_entries),
            Err(ElfError::BadEntrySize {
                table: "program header",
                size: 16,
                min: 32
            })
        );
        // .text contents moved past the end of the file.
        let shoff = u32::from_le_bytes(good[32..36].try_into().unwrap()) as usize;
        let mut content_beyond = good.clone();
        let text_offset_field = shoff + 40 + 16;
        content_beyond[text_offset_field..text_offset_field + 4]
            .copy_from_slice(&0xFFFF_FF00u32.to_le_bytes());
        assert!(matches!(
            to_binary(&content_beyond),
            Err(ElfError::SectionOutOfFile { name, .. }) if name == ".text"
        ));
    }

    #[test]
    fn every_truncation_and_many_corruptions_return_instead_of_panicking() {
        let good = flash_and_ram();
        for len in 0..good.len() {
            let _ = to_binary(&good[..len]);
        }
        // Deterministic xorshift so a failure reproduces.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let mut bad = good.clone();
            for _ in 0..(next() % 4 + 1) {
                let at = (next() % bad.len() as u64) as usize;
                bad[at] = next() as u8;
            }
            let _ = to_binary(&bad);
        }
    }

    #[test]
    fn extended_section_numbering_is_followed() {
        let mut elf = flash_and_ram();
        let shoff = u32::from_le_bytes(elf[32..36].try_into().unwrap()) as usize;
        let shnum = u16::from_le_bytes(elf[48..50].try_into().unwrap());
        let shstrndx = u16::from_le_bytes(elf[50..52].try_into().unwrap());
        elf[48..50].copy_from_slice(&0u16.to_le_bytes());
        elf[50..52].copy_from_slice(&SHN_XINDEX.to_le_bytes());
        elf[shoff + 20..shoff + 24].copy_from_slice(&u32::from(shnum).to_le_bytes());
        elf[shoff + 24..shoff + 28].copy_from_slice(&u32::from(shstrndx).to_le_bytes());
        assert_eq!(
            to_binary(&elf).unwrap().bytes,
            to_binary(&flash_and_ram()).unwrap().bytes
        );
        assert_eq!(loaded_sections(&elf).unwrap()[1].name, ".data");
    }
}
