//! Checks the ELF converter, the module patcher and the DFU suffix against the real tools:
//! `arm-none-eabi-gcc`/`objcopy` link and flatten small programs, python3's hashlib/zlib patch
//! them the way Device OS's make rule does, and dfu-util's `dfu-suffix` writes `.dfu` files.
//! The tools must be installed (CI installs them); a missing tool fails the test with its name.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use super::dfu::{add_dfu_suffix, parse_dfu_suffix};
use super::elf::{loaded_sections, to_binary};
use super::module_info::{ModuleFunction, find_module_info};
use super::suffix;
use super::{ImageError, make_module_image};

fn run(cmd: &mut Command) -> Vec<u8> {
    let shown = format!("{cmd:?}");
    let output = cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run {shown}: {e} (the ARM toolchain, dfu-util and python3 must be installed)"
        )
    });
    assert!(
        output.status.success(),
        "{shown} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// A linked test program: the ELF and what `objcopy -O binary` made of it.
struct Linked {
    dir: TempDir,
    elf: Vec<u8>,
    objcopied: Vec<u8>,
}

impl Linked {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn link(c_source: &str, linker_script: &str, extra_flags: &[&str]) -> Linked {
    let dir = TempDir::new().unwrap();
    let p = |name: &str| dir.path().join(name);
    std::fs::write(p("prog.c"), c_source).unwrap();
    std::fs::write(p("link.ld"), linker_script).unwrap();
    run(Command::new("arm-none-eabi-gcc")
        .args(["-mcpu=cortex-m3", "-mthumb", "-nostdlib", "-O1", "-T"])
        .arg(p("link.ld"))
        .args(extra_flags)
        .arg("-o")
        .arg(p("prog.elf"))
        .arg(p("prog.c")));
    run(Command::new("arm-none-eabi-objcopy")
        .args(["-O", "binary"])
        .arg(p("prog.elf"))
        .arg(p("prog.bin")));
    let elf = std::fs::read(p("prog.elf")).unwrap();
    let objcopied = std::fs::read(p("prog.bin")).unwrap();
    Linked {
        dir,
        elf,
        objcopied,
    }
}

fn assert_same_as_objcopy(linked: &Linked) {
    let ours = to_binary(&linked.elf).unwrap();
    assert_eq!(
        ours.bytes.len(),
        linked.objcopied.len(),
        "length differs from objcopy"
    );
    if let Some(at) = ours
        .bytes
        .iter()
        .zip(&linked.objcopied)
        .position(|(a, b)| a != b)
    {
        panic!("first difference from objcopy at offset {at:#x}");
    }
}

const FLASH_AND_RAM: &str = "
MEMORY
{
    FLASH (rx)  : ORIGIN = 0x08020000, LENGTH = 256K
    RAM   (rwx) : ORIGIN = 0x20000000, LENGTH = 128K
}
ENTRY(entry)
SECTIONS
{
    .vectors : { LONG(0x20020000) LONG(entry) KEEP(*(.vectors)) } > FLASH
    .text : { *(.text*) *(.rodata*) } > FLASH
    .ARM.exidx : { *(.ARM.exidx*) } > FLASH
    .gapped 0x08021000 : { KEEP(*(.gapped)) } > FLASH
    .data : { _sdata = .; *(.data*) _edata = .; } > RAM AT> FLASH
    .bss (NOLOAD) : { *(.bss*) *(COMMON) } > RAM
    .empty : { . = .; } > FLASH
}
";

const PROGRAM: &str = r#"
int counter = 42;
int table[4] = {1, 2, 3, 4};
int zeroed[16];
const char message[] = "hello, flash";
__attribute__((section(".gapped"), used)) const unsigned gapped[2] = {0xCAFEBABE, 0xDEADBEEF};
void entry(void) {
    zeroed[counter & 15] = table[1] + message[0];
    for (;;) {}
}
/* Referenced from .ARM.exidx when built with -funwind-tables. */
void __aeabi_unwind_cpp_pr0(void) {}
"#;

#[test]
fn text_data_at_flash_bss_and_a_gap_match_objcopy() {
    let linked = link(PROGRAM, FLASH_AND_RAM, &["-funwind-tables"]);
    assert_same_as_objcopy(&linked);
    let sections = loaded_sections(&linked.elf).unwrap();
    let names: Vec<&str> = sections.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.contains(&".data") && !names.contains(&".bss"),
        "{names:?}"
    );
    let data = sections.iter().find(|s| s.name == ".data").unwrap();
    assert_eq!(data.vma, 0x2000_0000);
    assert!(
        data.lma > 0x0802_1000,
        "data is loaded after .gapped: {:#x}",
        data.lma
    );
    let bin = to_binary(&linked.elf).unwrap();
    assert_eq!(bin.load_address, 0x0802_0000);
    assert_eq!(
        &bin.bytes[0x1000..0x1008],
        &[0xBE, 0xBA, 0xFE, 0xCA, 0xEF, 0xBE, 0xAD, 0xDE]
    );
}

#[test]
fn section_header_order_is_not_load_order() {
    let script = "
MEMORY
{
    FLASH  (rx)  : ORIGIN = 0x08020000, LENGTH = 64K
    FLASH2 (rx)  : ORIGIN = 0x08030000, LENGTH = 64K
    RAM    (rwx) : ORIGIN = 0x20000000, LENGTH = 128K
}
ENTRY(entry)
SECTIONS
{
    .data : { *(.data*) } > RAM AT> FLASH2
    .text : { *(.text*) *(.rodata*) } > FLASH
    .gapped : { KEEP(*(.gapped)) } > FLASH2
    .bss (NOLOAD) : { *(.bss*) *(COMMON) } > RAM
}
";
    let linked = link(PROGRAM, script, &[]);
    assert_same_as_objcopy(&linked);
    assert_eq!(to_binary(&linked.elf).unwrap().load_address, 0x0802_0000);
}

#[test]
fn data_without_at_loads_at_its_run_address() {
    // A fake RAM just above flash keeps the file small while LMA = VMA puts .data there.
    let script = "
MEMORY
{
    FLASH (rx)  : ORIGIN = 0x08020000, LENGTH = 64K
    RAM   (rwx) : ORIGIN = 0x08040000, LENGTH = 64K
}
ENTRY(entry)
SECTIONS
{
    .text : { *(.text*) *(.rodata*) KEEP(*(.gapped)) } > FLASH
    .data : { *(.data*) } > RAM
    .bss (NOLOAD) : { *(.bss*) *(COMMON) } > RAM
}
";
    let linked = link(PROGRAM, script, &[]);
    assert_same_as_objcopy(&linked);
    assert!(linked.objcopied.len() > 0x20000);
}

#[test]
fn several_ram_regions_packed_into_flash_and_tls_data_match_objcopy() {
    let script = "
MEMORY
{
    FLASH (rx)  : ORIGIN = 0x08020000, LENGTH = 256K
    RAM   (rwx) : ORIGIN = 0x20000000, LENGTH = 64K
    CCM   (rwx) : ORIGIN = 0x10000000, LENGTH = 64K
}
ENTRY(entry)
SECTIONS
{
    .text : { *(.text*) *(.rodata*) KEEP(*(.gapped)) } > FLASH
    .data : { *(.data) } > RAM AT> FLASH
    .ccm_data : { *(.ccm_data) } > CCM AT> FLASH
    .tdata : { *(.tdata*) } > RAM AT> FLASH
    .tbss : { *(.tbss*) } > RAM
    .bss (NOLOAD) : { *(.bss*) *(COMMON) } > RAM
}
";
    let source = format!(
        "{PROGRAM}
__attribute__((section(\".ccm_data\"))) int in_ccm[3] = {{7, 8, 9}};
__thread int per_thread = 0x5A5A5A5A;
__thread int per_thread_zero;
void *__aeabi_read_tp(void) {{ return 0; }}
int use_tls(void) {{ return per_thread + per_thread_zero + in_ccm[1]; }}
"
    );
    let linked = link(&source, script, &[]);
    let phdrs = run(Command::new("arm-none-eabi-readelf")
        .args(["-l", "-W"])
        .arg(linked.path("prog.elf")));
    assert!(
        String::from_utf8_lossy(&phdrs).contains("TLS"),
        "expected a PT_TLS segment"
    );
    assert_same_as_objcopy(&linked);
}

#[test]
fn overlapping_sections_resolve_like_objcopy() {
    let script = "
ENTRY(entry)
SECTIONS
{
    .text 0x08020000 : { *(.text*) *(.rodata*) *(.data*) } 
    .first 0x08020100 : { LONG(0x11111111) LONG(0x11111111) }
    .second 0x08020104 : { LONG(0x22222222) LONG(0x22222222) }
    .bss (NOLOAD) : { *(.bss*) *(COMMON) }
}
";
    let linked = link(
        "int x = 1; void entry(void) { for (;;) {} }",
        script,
        &["-Wl,--no-check-sections"],
    );
    assert_same_as_objcopy(&linked);
}

#[test]
fn an_elf_with_nothing_loadable_gives_the_empty_file_objcopy_gives() {
    let script = "
ENTRY(entry)
SECTIONS
{
    .text 0x20000000 (NOLOAD) : { *(.text*) }
    /DISCARD/ : { *(.data*) *(.rodata*) *(.ARM.exidx*) }
}
";
    let linked = link("void entry(void) { for (;;) {} }", script, &[]);
    assert!(linked.objcopied.is_empty());
    assert_same_as_objcopy(&linked);
}

/// A module laid out as Device OS lays out a system part: vector table, header at +0x184, code,
/// then padding, product id/version, `module_info_suffix` and `module_info_crc` at the end.
const MODULE_SCRIPT: &str = "
MEMORY
{
    APP_FLASH (rx)  : ORIGIN = 0x08020000, LENGTH = 256K
    RAM       (rwx) : ORIGIN = 0x20000000, LENGTH = 128K
}
ENTRY(entry)
SECTIONS
{
    .vectors :
    {
        link_module_start = .;
        LONG(0x20020000)
        LONG(entry | 1)
        . = 0x184;
    } > APP_FLASH
    .module_info : { KEEP(*(.modinfo.module_info)) } > APP_FLASH
    .text : { *(.text*) *(.rodata*) } > APP_FLASH
    .data : { *(.data*) } > RAM AT> APP_FLASH
    .bss (NOLOAD) : { *(.bss*) *(COMMON) } > RAM
    .module_info_suffix :
    {
        . = ALIGN(., 2);
        SHORT(0xffff)
        SHORT(0xffff)
        KEEP(*(.modinfo.product_id))
        KEEP(*(.modinfo.product_version))
        KEEP(*(.modinfo.module_info_suffix))
    } > APP_FLASH
    .module_end : { link_module_end = .; } > APP_FLASH
    .module_info_crc : { KEEP(*(.modinfo.module_info_crc)) } > APP_FLASH
}
";

/// Header, product data and suffix written the way `dynalib/inc/module_info.inc` initialises them.
const MODULE_SOURCE: &str = r#"
typedef struct __attribute__((packed)) {
    const void *start;
    const void *end;
    unsigned char reserved, flags;
    unsigned short version, platform_id;
    unsigned char function, index;
    unsigned char dep_function, dep_index;
    unsigned short dep_version;
    unsigned char dep2_function, dep2_index;
    unsigned short dep2_version;
} module_info_t;
typedef struct __attribute__((packed)) {
    unsigned short reserved;
    unsigned char sha[32];
    unsigned short size;
} module_info_suffix_t;
typedef struct __attribute__((packed)) { unsigned int crc32; } module_info_crc_t;

extern char link_module_start, link_module_end;
__attribute__((section(".modinfo.module_info"), used))
const module_info_t module_info = {
    &link_module_start, &link_module_end, 0, 0, 2202, 6, 4, 2, 4, 1, 2202, 2, 0, 1003
};
__attribute__((section(".modinfo.product_id"), used)) const unsigned short product_id = 0xffff;
__attribute__((section(".modinfo.product_version"), used)) const unsigned short product_version = 0xffff;
__attribute__((section(".modinfo.module_info_suffix"), used))
const module_info_suffix_t module_info_suffix = {
    0, { 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32 },
    sizeof(module_info_suffix_t) + 4
};
__attribute__((section(".modinfo.module_info_crc"), used))
const module_info_crc_t module_info_crc = { 0x12345678 };

int counter = 3;
void entry(void) { for (;;) { counter++; } }
"#;

/// Device OS `build/module.mk` `%.bin`, steps 2-3, with python's hashlib and zlib.
const PYTHON_PATCH: &str = r#"
import hashlib, sys, zlib
data = bytearray(open(sys.argv[1], "rb").read())
placeholder = bytes.fromhex("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20" "2800" "78563412")
assert bytes(data[-38:]) == placeholder, data[-38:].hex()
data[-38:-6] = hashlib.sha256(data[:-38]).digest()
data[-4:] = (zlib.crc32(bytes(data[:-4])) & 0xffffffff).to_bytes(4, "big")
open(sys.argv[2], "wb").write(data)
"#;

#[test]
fn compiled_placeholder_is_the_block_make_checks_for() {
    let linked = link(MODULE_SOURCE, MODULE_SCRIPT, &[]);
    let bin = &linked.objcopied;
    // CRC_BLOCK_CONTENTS in build/module.mk: DEFAULT_SHA_256, MOD_INFO_SUFFIX_LEN 2800, 78563412.
    let mut expected: Vec<u8> = (1..=32).collect();
    expected.extend([0x28, 0x00, 0x78, 0x56, 0x34, 0x12]);
    assert_eq!(&bin[bin.len() - 38..], expected.as_slice());
    assert_same_as_objcopy(&linked);
}

#[test]
fn make_module_image_matches_the_make_rule_done_in_python() {
    let linked = link(MODULE_SOURCE, MODULE_SCRIPT, &[]);
    let (input, output) = (linked.path("prog.bin"), linked.path("python.bin"));
    run(Command::new("python3")
        .args(["-c", PYTHON_PATCH])
        .arg(&input)
        .arg(&output));
    let oracle = std::fs::read(&output).unwrap();
    let ours = make_module_image(&linked.elf).unwrap();
    assert!(
        ours == oracle,
        "make_module_image differs from the python oracle"
    );

    let info = find_module_info(&ours).unwrap();
    assert_eq!(info.header_offset, 0x184);
    assert_eq!(info.start, 0x0802_0000);
    assert_eq!(info.function, ModuleFunction::SystemPart);
    assert_eq!(u64::from(info.end - info.start) + 4, ours.len() as u64);
    let s = suffix::parse_suffix(&ours).unwrap();
    assert_eq!(
        (s.product_id, s.product_version),
        (Some(0xFFFF), Some(0xFFFF))
    );
    assert_eq!(
        suffix::verify(&ours).unwrap(),
        suffix::Integrity {
            sha_ok: true,
            crc_ok: true
        }
    );
}

#[test]
fn make_module_image_refuses_an_elf_without_the_suffix() {
    let linked = link(PROGRAM, FLASH_AND_RAM, &[]);
    let err = make_module_image(&linked.elf).unwrap_err();
    assert!(
        matches!(err, ImageError::NoSuffixPlaceholder { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("module_info_suffix"), "{err}");
}

fn dfu_suffix_tool(dir: &Path, name: &str, payload: &[u8], vid: &str, pid: &str) -> Vec<u8> {
    let path = dir.join(name);
    std::fs::write(&path, payload).unwrap();
    run(Command::new("dfu-suffix")
        .args(["-v", vid, "-p", pid, "-a"])
        .arg(&path));
    std::fs::read(&path).unwrap()
}

#[test]
fn dfu_suffix_is_byte_identical_to_dfu_util() {
    let dir = TempDir::new().unwrap();
    let module = make_module_image(&link(MODULE_SOURCE, MODULE_SCRIPT, &[]).elf).unwrap();
    let mut noise = Vec::new();
    let mut x = 0x1234_5678u32;
    for _ in 0..5000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        noise.push((x >> 16) as u8);
    }
    let cases: [(&str, &[u8], u16, u16); 4] = [
        ("module.bin", &module, 0x2B04, 0xD006),
        ("noise.bin", &noise, 0x2B04, 0xD00A),
        ("one.bin", &[0x42], 0x2B04, 0xD008),
        ("empty.bin", &[], 0x1D50, 0x607F),
    ];
    for (name, payload, vid, pid) in cases {
        let tool = dfu_suffix_tool(
            dir.path(),
            name,
            payload,
            &format!("{vid:04X}"),
            &format!("{pid:04X}"),
        );
        let ours = add_dfu_suffix(payload, vid, pid);
        assert!(
            ours == tool,
            "{name}: ours {:02x?} vs dfu-suffix {:02x?}",
            &ours[ours.len().saturating_sub(16)..],
            &tool[tool.len().saturating_sub(16)..]
        );
        let parsed = parse_dfu_suffix(&tool).unwrap();
        assert_eq!((parsed.vendor, parsed.product), (vid, pid), "{name}");
        assert_eq!(
            (parsed.device, parsed.dfu_version, parsed.length),
            (0xFFFF, 0x0100, 16)
        );
        assert!(parsed.crc_ok, "{name}");
    }
}

#[test]
fn dfu_util_reads_back_what_we_write() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("app.dfu");
    std::fs::write(&path, add_dfu_suffix(&[9u8; 333], 0x2B04, 0xD006)).unwrap();
    let listing = String::from_utf8_lossy(&run(Command::new("dfu-suffix").arg("-c").arg(&path)))
        .to_lowercase();
    assert!(listing.contains("2b04"), "{listing}");
    assert!(listing.contains("d006"), "{listing}");
    assert!(!listing.contains("invalid"), "{listing}");
}
