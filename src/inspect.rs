//! What a firmware file is — `.dfu` suffix, module header, module suffix, SHA/CRC verdicts, and
//! whether its address is its slot's on its platform (from the platform table) — as serialisable
//! data and as a short human table; reads no files and talks to no device.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::config::Table;
use crate::image::{dfu, module_info, suffix};

/// Everything `pbuild inspect` reports about one file. Serialises to the JSON output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inspection {
    /// Bytes in the file.
    pub file_len: usize,
    /// The `.dfu` suffix, when the file has one; it is stripped before the module is read.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(rename = "dfu_suffix")]
    pub dfu: Option<DfuReport>,
    /// Bytes of the module image (the file less any `.dfu` suffix).
    pub image_len: usize,
    /// The module header, or `null` when there is none (see `no_module_header`).
    pub module: Option<ModuleReport>,
    /// Why no module header was accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_module_header: Option<String>,
    /// The module suffix, or `null` when the tail of the image is not one.
    pub suffix: Option<SuffixReport>,
    /// SHA-256 in the suffix matches; `null` without a suffix.
    pub sha_ok: Option<bool>,
    /// CRC-32 in the last 4 bytes matches; `null` without a suffix (the tail is not a CRC).
    pub crc_ok: Option<bool>,
    /// What is wrong with the file, in words (empty for a sound one). `pbuild inspect` exits 2
    /// when there is anything here.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DfuReport {
    pub vendor: u16,
    pub product: u16,
    pub device: u16,
    pub dfu_version: u16,
    pub length: u8,
    pub crc_ok: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleReport {
    pub header_offset: usize,
    pub platform_id: u16,
    /// "photon", "p1", "electron", "core"; `null` for other ids.
    pub platform: Option<String>,
    /// "system-part", "user-part", …; "unknown" for codes outside `MOD_FUNC_*`.
    pub function: &'static str,
    pub function_code: u8,
    pub index: u8,
    pub version: u16,
    /// First byte in flash.
    pub start: u32,
    /// End address (exclusive), where the CRC starts.
    pub end: u32,
    /// `end - start + 4`: the module size including the CRC.
    pub size: u64,
    pub flags: u8,
    /// Dependencies in use; unused slots (function `none`) are left out.
    pub dependencies: Vec<DependencyReport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DependencyReport {
    pub function: &'static str,
    pub function_code: u8,
    pub index: u8,
    pub version: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuffixReport {
    pub size: u16,
    /// 0xFFFF when the firmware declared none; absent from 36-byte suffixes.
    pub product_id: Option<u16>,
    pub product_version: Option<u16>,
    /// Stored SHA-256, lower-case hex.
    pub sha256: String,
}

/// The largest file `inspect` reads: a module fits in the 1 MB of internal flash, plus a `.dfu`
/// suffix; anything bigger is no module, and is not read.
pub const MAX_FILE: u64 = 2 << 20;

/// Why `image` is no module: empty, an ELF, cut short or with bytes after its end (the header
/// says how long it is), or no header at all.
fn not_a_module(image: &[u8]) -> String {
    if image.is_empty() {
        return "the file is empty".into();
    }
    if image.starts_with(b"\x7fELF") {
        return "an ELF file, not a module image: give the .bin made from it (pbuild build writes both)".into();
    }
    let length = match module_info::find_module_info(image) {
        Err(module_info::ModuleInfoError::NoModuleHeader { attempts }) => {
            attempts.into_iter().find_map(|(_, why)| match why {
                module_info::Implausible::LengthMismatch { expected, actual } => {
                    Some((expected, actual as u64))
                }
                _ => None,
            })
        }
        Ok(_) => None,
    };
    match length {
        Some((expected, actual)) if actual > expected => format!(
            "{} extra byte{} after the module's end (its header says {expected} bytes, the file has {actual})",
            actual - expected,
            if actual - expected == 1 { "" } else { "s" }
        ),
        Some((expected, actual)) => {
            format!("cut short: its header says {expected} bytes, the file has {actual}")
        }
        None => "no Particle module header: not a firmware module for a Particle device".into(),
    }
}

/// Inspects the bytes of a `.bin` or `.dfu` file.
pub fn inspect_bytes(bytes: &[u8], table: &Table) -> Inspection {
    let (image, dfu_suffix) = dfu::strip_dfu_suffix(bytes);
    let (module, no_module_header) = match module_info::find_module_info(image) {
        Ok(info) => (
            Some(module_report(&info, table.name_of(info.platform_id))),
            None,
        ),
        Err(err) => (None, Some(err.to_string())),
    };
    let parsed_suffix = suffix::parse_suffix(image).ok();
    let sha_ok = parsed_suffix.map(|s| suffix::compute_sha256(image) == Some(s.sha256));
    let crc_ok = parsed_suffix.map(|s| suffix::compute_crc32(image) == Some(s.crc32));
    let mut problems = Vec::new();
    if dfu_suffix.as_ref().is_some_and(|d| !d.crc_ok) {
        problems.push(
            "the CRC in its .dfu suffix does not match: the file changed after it was made"
                .to_string(),
        );
    }
    if module.is_none() {
        problems.push(not_a_module(image));
    }
    // The CRC is what the bootloader checks. A SHA-256 that does not match on its own is not a
    // fault: Particle's own Gen 3 softdevice releases ship that way (their CRC matches).
    if crc_ok == Some(false) {
        problems.push("the CRC-32 at its end does not match the image".to_string());
        if sha_ok == Some(false) {
            problems.push("the SHA-256 in its module suffix does not match the image".to_string());
        }
    }
    if let Some(m) = &module {
        problems.extend(slot_problem(m, table));
    }
    Inspection {
        file_len: bytes.len(),
        dfu: dfu_suffix.map(|d| DfuReport {
            vendor: d.vendor,
            product: d.product,
            device: d.device,
            dfu_version: d.dfu_version,
            length: d.length,
            crc_ok: d.crc_ok,
        }),
        image_len: image.len(),
        module,
        no_module_header,
        suffix: parsed_suffix.map(|s| SuffixReport {
            size: s.size,
            product_id: s.product_id,
            product_version: s.product_version,
            sha256: s.sha256.iter().map(|b| format!("{b:02x}")).collect(),
        }),
        sha_ok,
        crc_ok,
        problems,
    }
}

/// A Gen 2 system or user part whose start address is not its slot's on its platform.
fn slot_problem(m: &ModuleReport, table: &Table) -> Option<String> {
    let platform = table.platforms.iter().find(|p| p.id == m.platform_id)?;
    let slot = platform
        .slots
        .iter()
        .find(|s| s.function == m.function && s.index == m.index)?;
    (slot.start != m.start || m.size > u64::from(slot.size)).then(|| {
        format!(
            "its header puts {} {} at {:#010x}..{:#010x}, but on {} that slot is {:#010x}..{:#010x}",
            m.function,
            m.index,
            m.start,
            m.end,
            platform.name,
            slot.start,
            slot.start + slot.size
        )
    })
}

/// The report of a module header; `platform` is its platform's name, when known.
pub fn module_report(info: &module_info::ModuleInfo, platform: Option<&str>) -> ModuleReport {
    ModuleReport {
        header_offset: info.header_offset,
        platform_id: info.platform_id,
        platform: platform.map(str::to_string),
        function: info.function.name(),
        function_code: info.function.code(),
        index: info.index,
        version: info.version,
        start: info.start,
        end: info.end,
        size: info.image_len(),
        flags: info.flags,
        dependencies: info
            .dependencies()
            .map(|d| DependencyReport {
                function: d.function.name(),
                function_code: d.function.code(),
                index: d.index,
                version: d.version,
            })
            .collect(),
    }
}

/// A compact table for people, headed by `path`.
pub fn render_text(inspection: &Inspection, path: &Path) -> String {
    let mut out = format!("{}: {} bytes\n", path.display(), inspection.file_len);
    let mut row = |label: &str, value: String| {
        let _ = writeln!(out, "  {label:<11} {value}");
    };
    if let Some(d) = &inspection.dfu {
        row(
            "dfu suffix",
            format!(
                "{:04x}:{:04x}, bcdDevice {:04x}, bcdDFU {:04x}, crc {}",
                d.vendor,
                d.product,
                d.device,
                d.dfu_version,
                verdict(d.crc_ok)
            ),
        );
    }
    match (&inspection.module, &inspection.no_module_header) {
        (Some(m), _) => {
            let function = match m.function {
                "unknown" => format!("function {}", m.function_code),
                known => known.to_string(),
            };
            let numbered = matches!(m.function, "system-part" | "user-part") || m.index != 0;
            let name = if numbered {
                format!("{function} {}", m.index)
            } else {
                function
            };
            row("module", format!("{name}, version {}", m.version));
            let platform = m.platform.as_deref().unwrap_or("unknown platform");
            row("platform", format!("{platform} ({})", m.platform_id));
            row(
                "flash",
                format!(
                    "{:#010x}..{:#010x} ({} bytes), header at +{:#x}",
                    m.start, m.end, m.size, m.header_offset
                ),
            );
            let deps: Vec<String> = m.dependencies.iter().map(describe_dependency).collect();
            row(
                "depends on",
                if deps.is_empty() {
                    "nothing".to_string()
                } else {
                    deps.join(", ")
                },
            );
        }
        (None, reason) => row(
            "module",
            reason.clone().unwrap_or_else(|| "no module header".into()),
        ),
    }
    match &inspection.suffix {
        Some(s) => {
            let product = match (s.product_id, s.product_version) {
                (Some(0xFFFF), Some(0xFFFF)) => "none".to_string(),
                (Some(id), Some(version)) => format!("id {id}, version {version}"),
                _ => format!("not recorded ({}-byte suffix)", s.size),
            };
            row("product", product);
            row(
                "sha-256",
                format!("{} {}", verdict(inspection.sha_ok == Some(true)), s.sha256),
            );
        }
        None => row("suffix", "none".to_string()),
    }
    if let Some(crc_ok) = inspection.crc_ok {
        row("crc-32", verdict(crc_ok).to_string());
    }
    out
}

fn describe_dependency(d: &DependencyReport) -> String {
    match d.function {
        "system-part" | "user-part" => format!("{} {} >= {}", d.function, d.index, d.version),
        "unknown" => format!("function {} >= {}", d.function_code, d.version),
        other => format!("{other} >= {}", d.version),
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISMATCH" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{add_dfu_suffix, patch_module_image};

    /// A patched photon user part with a suffix declaring product 6 / version 3.
    fn user_part() -> Vec<u8> {
        let mut img = vec![0u8; 64];
        let start = 0x080A_0000u32;
        img[0..4].copy_from_slice(&start.to_le_bytes());
        img[10..12].copy_from_slice(&3u16.to_le_bytes());
        img[12..14].copy_from_slice(&6u16.to_le_bytes());
        img[14] = 5;
        img[15] = 1;
        img[16..20].copy_from_slice(&[4, 2, 6, 0]);
        img.extend_from_slice(&6u16.to_le_bytes());
        img.extend_from_slice(&3u16.to_le_bytes());
        img.extend_from_slice(&[0, 0]);
        img.extend_from_slice(&suffix::SHA_PLACEHOLDER);
        img.extend_from_slice(&40u16.to_le_bytes());
        img.extend_from_slice(&suffix::CRC_PLACEHOLDER);
        let end = start + img.len() as u32 - 4;
        img[4..8].copy_from_slice(&end.to_le_bytes());
        patch_module_image(&mut img).unwrap();
        img
    }

    #[test]
    fn reports_a_module_and_its_suffix() {
        let img = user_part();
        let i = inspect_bytes(&img, &Table::embedded());
        assert_eq!(i.file_len, img.len());
        assert_eq!(i.dfu, None);
        let m = i.module.as_ref().unwrap();
        assert_eq!(
            (m.platform.as_deref(), m.function, m.index, m.version),
            (Some("photon"), "user-part", 1, 3)
        );
        assert_eq!(m.size, img.len() as u64);
        assert_eq!(m.dependencies.len(), 1, "empty dependency2 left out");
        assert_eq!(i.sha_ok, Some(true));
        assert_eq!(i.crc_ok, Some(true));
        assert_eq!(i.suffix.as_ref().unwrap().product_id, Some(6));

        let json = serde_json::to_value(&i).unwrap();
        assert_eq!(json["module"]["function"], "user-part");
        assert_eq!(json["module"]["dependencies"][0]["index"], 2);
        assert!(json.get("dfu").is_none());
        assert!(json.get("no_module_header").is_none());

        let text = render_text(&i, Path::new("app.bin"));
        assert!(
            text.starts_with(&format!("app.bin: {} bytes\n", img.len())),
            "{text}"
        );
        assert!(
            text.contains("  module      user-part 1, version 3\n"),
            "{text}"
        );
        assert!(text.contains("  platform    photon (6)\n"), "{text}");
        assert!(
            text.contains("  depends on  system-part 2 >= 6\n"),
            "{text}"
        );
        assert!(text.contains("  product     id 6, version 3\n"), "{text}");
        assert!(text.contains("  crc-32      ok\n"), "{text}");
    }

    #[test]
    fn modules_without_an_index_are_not_numbered() {
        let mut img = user_part();
        img[14] = 2;
        img[15] = 0;
        img[16..20].fill(0);
        patch_module_image_again(&mut img);
        let text = render_text(&inspect_bytes(&img, &Table::embedded()), Path::new("b.bin"));
        assert!(
            text.contains("  module      bootloader, version 3\n"),
            "{text}"
        );
        assert!(text.contains("  depends on  nothing\n"), "{text}");
    }

    /// Restores the placeholders and patches again after a test edited the header.
    fn patch_module_image_again(img: &mut [u8]) {
        let len = img.len();
        img[len - 38..len - 6].copy_from_slice(&suffix::SHA_PLACEHOLDER);
        img[len - 4..].copy_from_slice(&suffix::CRC_PLACEHOLDER);
        patch_module_image(img).unwrap();
    }

    #[test]
    fn strips_a_dfu_suffix_before_reading_the_module() {
        let img = user_part();
        let file = add_dfu_suffix(&img, 0x2B04, 0xD006);
        let i = inspect_bytes(&file, &Table::embedded());
        assert_eq!(i.image_len, img.len());
        assert_eq!(i.file_len, img.len() + 16);
        let d = i.dfu.as_ref().unwrap();
        assert_eq!((d.vendor, d.product, d.crc_ok), (0x2B04, 0xD006, true));
        assert!(i.module.is_some());
        assert_eq!(i.crc_ok, Some(true));
        let text = render_text(&i, Path::new("app.dfu"));
        assert!(
            text.contains("  dfu suffix  2b04:d006, bcdDevice ffff, bcdDFU 0100, crc ok\n"),
            "{text}"
        );
    }

    #[test]
    fn says_so_when_there_is_no_module_header() {
        let mut img = user_part();
        img[14] = 0;
        let i = inspect_bytes(&img, &Table::embedded());
        assert!(i.module.is_none());
        let reason = i.no_module_header.clone().unwrap();
        assert!(reason.starts_with("no module header"), "{reason}");
        assert_eq!(
            i.crc_ok,
            Some(false),
            "the header byte changed after patching"
        );
        let json = serde_json::to_value(&i).unwrap();
        assert!(json["module"].is_null());
        let text = render_text(&i, Path::new("x.bin"));
        assert!(text.contains("  module      no module header ("), "{text}");
    }

    #[test]
    fn tiny_inputs_do_not_panic() {
        for len in 0..48 {
            let bytes = vec![0xFFu8; len];
            let i = inspect_bytes(&bytes, &Table::embedded());
            assert!(i.module.is_none());
            assert_eq!(i.crc_ok, None);
            assert_eq!(i.sha_ok, None);
            let _ = render_text(&i, Path::new("x"));
        }
    }
}
