//! Minimal but valid Gen 2 modules made from nothing: a bootloader, system parts and a user app
//! with real headers, dependencies, SHA-256 and CRC-32, so a simulated device looks to the
//! bootloader rules (and to dfu-util readers) like a real one of a given Device OS version.

use crate::device::versions;
use crate::device::{BOOTLOADER_START, SlotKind, SlotMap};
use crate::image::module_info::{HEADER_LEN, VECTOR_TABLE_HEADER_OFFSET};
use crate::image::{ModuleDependency, ModuleFunction, patch_module_image, suffix};

/// A module image. `vector_table` puts a stack pointer first and the header at +0x184; `carry`
/// is put in its body (a bootloader image a system part carries).
#[allow(clippy::too_many_arguments)]
pub fn module(
    platform_id: u16,
    function: ModuleFunction,
    index: u8,
    version: u16,
    start: u32,
    deps: [Option<ModuleDependency>; 2],
    vector_table: bool,
    product: (u16, u16),
    label: &str,
    carry: &[u8],
) -> Vec<u8> {
    let header_at = if vector_table {
        VECTOR_TABLE_HEADER_OFFSET
    } else {
        0
    };
    let mut body = format!("pbuild simulated {label}\0").into_bytes();
    while body.len() % 2 != 0 {
        body.push(0);
    }
    body.extend_from_slice(carry);
    let tail_len = 4 + 2 + 2 + 2 + suffix::CRC_BLOCK_LEN; // padding, product id/version, reserved, block
    let mut len = header_at + HEADER_LEN + body.len() + tail_len;
    len = len.div_ceil(4) * 4;
    let mut img = vec![0u8; len];
    if vector_table {
        img[0..4].copy_from_slice(&0x2002_0000u32.to_le_bytes());
        img[4..8].copy_from_slice(&((start + 0x200) | 1).to_le_bytes());
    }
    let end = start + len as u32 - 4;
    let h = &mut img[header_at..header_at + HEADER_LEN];
    h[0..4].copy_from_slice(&start.to_le_bytes());
    h[4..8].copy_from_slice(&end.to_le_bytes());
    h[10..12].copy_from_slice(&version.to_le_bytes());
    h[12..14].copy_from_slice(&platform_id.to_le_bytes());
    h[14] = function.code();
    h[15] = index;
    for (k, dep) in deps.iter().enumerate() {
        if let Some(d) = dep {
            let at = 16 + 4 * k;
            h[at] = d.function.code();
            h[at + 1] = d.index;
            h[at + 2..at + 4].copy_from_slice(&d.version.to_le_bytes());
        }
    }
    let body_at = header_at + HEADER_LEN;
    img[body_at..body_at + body.len()].copy_from_slice(&body);
    let t = len - tail_len;
    img[t..t + 4].copy_from_slice(&[0xFF; 4]);
    img[t + 4..t + 6].copy_from_slice(&product.0.to_le_bytes());
    img[t + 6..t + 8].copy_from_slice(&product.1.to_le_bytes());
    let block = t + 10;
    img[block..block + 32].copy_from_slice(&suffix::SHA_PLACEHOLDER);
    img[block + 32..block + 34].copy_from_slice(&suffix::SUFFIX_SIZE.to_le_bytes());
    img[block + 34..block + 38].copy_from_slice(&suffix::CRC_PLACEHOLDER);
    if patch_module_image(&mut img).is_err() {
        // The block was just written, so this cannot happen; keep the image as it is.
    }
    img
}

fn dep(function: ModuleFunction, index: u8, version: u16) -> Option<ModuleDependency> {
    Some(ModuleDependency {
        function,
        index,
        version,
    })
}

pub fn bootloader(platform_id: u16, version: u16) -> (u32, Vec<u8>) {
    let img = module(
        platform_id,
        ModuleFunction::Bootloader,
        0,
        version,
        BOOTLOADER_START,
        [None, None],
        true,
        (0xFFFF, 0xFFFF),
        "bootloader",
        &[],
    );
    (BOOTLOADER_START, img)
}

/// The system parts of Device OS `version` for `platform`, with the dependencies of the real
/// releases (`modules/shared/system_module_version.mk`, `part*_build.mk`; particle-facts.md §3,
/// §6): on Photon/P1 part 1 needs part 2 >= 207 (from 0.9.0; none in 0.6.x) and part 2 needs
/// part 1 >= version and the release's bootloader ([`versions::bootloader_dependency`]); on the
/// Electron index 1 needs index 3 >= version, index 2 needs index 1 >= version and the
/// bootloader, index 3 needs index 2 >= 110 (none in 0.6.x). The bootloader image a release
/// carries ([`versions::carried_bootloader`]) is in the Electron's index 3 and, in 0.6.x, in
/// part 2 of Photon/P1.
pub fn system_parts(layout: &SlotMap, version: u16) -> Vec<(u32, Vec<u8>)> {
    let electron = layout.system_parts().count() == 3;
    let boot_dep = versions::bootloader_dependency(version)
        .and_then(|v| dep(ModuleFunction::Bootloader, 0, v));
    let carried = versions::carried_bootloader(layout.platform_id, version)
        .map(|v| bootloader(layout.platform_id, v).1)
        .unwrap_or_default();
    let carrier = if electron { 3 } else { 2 };
    let old = version < crate::device::boot::SYSTEM_070;
    let sp = ModuleFunction::SystemPart;
    layout
        .system_parts()
        .filter_map(|slot| {
            let SlotKind::SystemPart(index) = slot.kind else {
                return None;
            };
            let deps = match (electron, index) {
                (false, 1) if old => [None, None],
                (false, 1) => [dep(sp, 2, 207), None],
                (false, _) => [dep(sp, 1, version), boot_dep],
                (true, 1) => [dep(sp, 3, version), None],
                (true, 2) => [dep(sp, 1, version), boot_dep],
                (true, _) if old => [None, None],
                (true, _) => [dep(sp, 2, 110), None],
            };
            let vector_table = !(electron && index == 3);
            let img = module(
                layout.platform_id,
                sp,
                index,
                version,
                slot.start,
                deps,
                vector_table,
                (0xFFFF, 0xFFFF),
                &format!("system part {index}"),
                if index == carrier { &carried } else { &[] },
            );
            Some((slot.start, img))
        })
        .collect()
}

/// A user app (Tinker-like: module version 6) needing system part 2 >= `needs`, linked for the
/// user slot.
pub fn user_app(map: &SlotMap, needs: u16) -> (u32, Vec<u8>) {
    let start = map.user().map_or(0x080A_0000, |u| u.start);
    let platform = map.platform_id;
    let img = module(
        platform,
        ModuleFunction::UserPart,
        1,
        6,
        start,
        [dep(ModuleFunction::SystemPart, 2, needs), None],
        false,
        (platform, 1),
        "user app",
        &[],
    );
    (start, img)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Table;
    use crate::image::find_module_info;

    #[test]
    fn synthesized_modules_are_valid_and_carry_the_release_dependencies() {
        let t = Table::embedded();
        let photon = t.find("photon").unwrap();
        let parts = system_parts(&crate::device::SlotMap::of(&t, photon), 2302);
        assert_eq!(parts.len(), 2);
        for (start, img) in &parts {
            let info = find_module_info(img).unwrap();
            assert_eq!(info.start, *start);
            assert_eq!(info.header_offset, 0x184);
            assert_eq!(
                suffix::verify(img).unwrap(),
                suffix::Integrity {
                    sha_ok: true,
                    crc_ok: true
                }
            );
        }
        let p2 = find_module_info(&parts[1].1).unwrap();
        assert_eq!(p2.dependency.to_string(), "system-part 1 >= 2302");
        assert_eq!(p2.dependency2.to_string(), "bootloader >= 1003");

        let electron = crate::device::SlotMap::of(&t, t.find("electron").unwrap());
        let parts = system_parts(&electron, 1512);
        let i3 = find_module_info(&parts[2].1).unwrap();
        assert_eq!((i3.start, i3.index, i3.header_offset), (0x0806_0000, 3, 0));
        // 1.5.2's index-2 part needs bootloader 400 (`BOOTLOADER_DEPENDENCY`), and its index 3
        // carries bootloader image 400.
        assert_eq!(
            find_module_info(&parts[1].1)
                .unwrap()
                .dependency2
                .to_string(),
            "bootloader >= 400"
        );
        let carried =
            crate::device::installed::embedded_bootloader(&parts[2].1, 0x0806_0000, 10).unwrap();
        assert_eq!(carried.info.version, 400);
        assert!(carried.crc_ok);

        let (at, app) = user_app(&electron, 1512);
        assert_eq!(at, 0x0808_0000);
        let u = find_module_info(&app).unwrap();
        assert_eq!(u.dependency.to_string(), "system-part 2 >= 1512");
        let (_, b) = bootloader(10, 502);
        assert_eq!(
            find_module_info(&b).unwrap().function,
            ModuleFunction::Bootloader
        );
    }
}
