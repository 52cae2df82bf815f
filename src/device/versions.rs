//! Device OS releases ↔ system module versions ↔ the bootloader each release shipped
//! (particle-facts.md §6 table); a lookup, not a formula, and nothing else.

/// (release, system module version, bootloader version shipped) for the releases recorded in
/// particle-facts.md §6. `None` where no separate bootloader version is recorded.
pub const RELEASES: &[(&str, u16, Option<u16>)] = &[
    ("0.4.2", 2, None),
    ("0.4.3", 3, None),
    ("0.4.4", 5, None),
    ("0.4.5", 6, None),
    ("0.4.6", 7, None),
    ("0.4.7", 8, None),
    ("0.4.9", 11, None),
    ("0.5.0", 13, None),
    ("0.5.1", 15, None),
    ("0.5.2", 17, None),
    ("0.5.3", 21, None),
    ("0.5.4", 22, None),
    ("0.5.5", 23, None),
    ("0.6.0", 102, None),
    ("0.6.1", 105, None),
    ("0.6.2", 108, None),
    ("0.6.3", 109, None),
    ("0.6.4", 110, Some(11)),
    ("0.7.0", 207, Some(101)),
    ("0.9.0", 403, Some(300)),
    ("1.0.0", 1000, Some(201)),
    ("1.0.1", 1002, Some(201)),
    ("1.1.0", 1102, Some(301)),
    ("1.1.1", 1104, Some(301)),
    ("1.2.1", 1213, Some(311)),
    ("1.3.1", 1321, Some(401)),
    // The facts give "500/501" for 1.4.x without saying which release moved to 501.
    ("1.4.0", 1401, Some(500)),
    ("1.4.1", 1403, Some(501)),
    ("1.4.2", 1404, Some(501)),
    ("1.4.3", 1405, Some(501)),
    ("1.4.4", 1406, Some(501)),
    ("1.5.0", 1502, Some(501)),
    ("1.5.1", 1511, Some(501)),
    ("1.5.2", 1512, Some(502)),
    ("2.0.0", 2008, Some(1003)),
    ("2.0.1", 2011, Some(1005)),
    ("2.0.2", 2021, Some(1005)),
    ("2.1.0", 2101, Some(1005)),
    ("2.2.0", 2202, Some(1006)),
    ("2.3.0", 2301, Some(1006)),
    ("2.3.1", 2302, Some(1006)),
];

/// What system part 2 of a release requires of the bootloader (`BOOTLOADER_DEPENDENCY`, its
/// second dependency, on bootloader index 0), and the version of the bootloader image the
/// Electron's index-3 system part carries (`hal/src/stm32f2xx/bootloader_platform_10.c`, header
/// at +0x184), from `modules/shared/system_module_version.mk` of each tag named here
/// (particle-iot/device-os, read for pbuild). 0.6.4: no dependency, and every Gen 2 platform
/// carries bootloader 11 (v0.6.4 `bootloader/import.mk:2`, `hal/src/stm32f2xx/bootloader.cpp:10-15`).
/// Releases between two rows are taken as the row below them.
pub const BOOTLOADER_FACTS: &[(&str, u16, Option<u16>, u16)] = &[
    // (release, system version, BOOTLOADER_DEPENDENCY, Electron image version)
    ("0.6.4", 110, None, 11),
    ("0.7.0", 207, None, 101),
    ("0.9.0", 403, Some(101), 101),
    ("1.0.0", 1000, Some(201), 201),
    ("1.1.0", 1102, Some(201), 301),
    ("1.2.1", 1213, Some(311), 311),
    ("1.3.1", 1321, Some(400), 400),
    ("2.0.0", 2008, Some(1003), 400),
    ("2.0.1", 2011, Some(1003), 1004),
];

/// The release string for a system module version, when it is one of the recorded releases.
pub fn release_of(system_version: u16) -> Option<&'static str> {
    RELEASES
        .iter()
        .find(|(_, v, _)| *v == system_version)
        .map(|(r, _, _)| *r)
}

/// `2302 (2.3.1)`, or just `2302` for versions that are not a recorded release.
pub fn describe(system_version: u16) -> String {
    match release_of(system_version) {
        Some(r) => format!("{system_version} (Device OS {r})"),
        None => system_version.to_string(),
    }
}

/// The bootloader shipped with `system_version`, or with the nearest recorded release below it:
/// `(bootloader version, release it came from)`. `None` below 0.6.4, where none is recorded.
pub fn shipped_bootloader(system_version: u16) -> Option<(u16, &'static str)> {
    RELEASES
        .iter()
        .filter(|(_, v, _)| *v <= system_version)
        .filter_map(|(r, _, b)| b.map(|b| (b, *r)))
        .next_back()
}

fn facts(system_version: u16) -> Option<&'static (&'static str, u16, Option<u16>, u16)> {
    BOOTLOADER_FACTS.iter().rfind(|f| f.1 <= system_version)
}

/// The bootloader version a system part 2 of `system_version` depends on, where it has one.
pub fn bootloader_dependency(system_version: u16) -> Option<u16> {
    facts(system_version).and_then(|f| f.2)
}

/// The version of the bootloader image the system firmware of `system_version` carries for
/// `platform_id`, if it carries one: the Electron's (in its index-3 part), and in 0.6.x every
/// Gen 2 platform's (version 11).
pub fn carried_bootloader(platform_id: u16, system_version: u16) -> Option<u16> {
    let f = facts(system_version)?;
    (platform_id == super::ELECTRON || system_version < super::boot::SYSTEM_070).then_some(f.3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_bootloaders_follow_the_table() {
        assert_eq!(shipped_bootloader(2302), Some((1006, "2.3.1")));
        assert_eq!(shipped_bootloader(1512), Some((502, "1.5.2")));
        assert_eq!(shipped_bootloader(2008), Some((1003, "2.0.0")));
        // Between releases and above the table: the nearest release below.
        assert_eq!(shipped_bootloader(2250), Some((1006, "2.2.0")));
        assert_eq!(shipped_bootloader(3005), Some((1006, "2.3.1")));
        assert_eq!(shipped_bootloader(110), Some((11, "0.6.4")));
        assert_eq!(shipped_bootloader(102), None);
    }

    #[test]
    fn releases_are_ordered_and_named() {
        assert!(RELEASES.windows(2).all(|w| w[0].1 < w[1].1));
        assert_eq!(release_of(1512), Some("1.5.2"));
        assert_eq!(describe(2302), "2302 (Device OS 2.3.1)");
        assert_eq!(describe(2303), "2303");
        assert_eq!(bootloader_dependency(2302), Some(1003));
        assert_eq!(bootloader_dependency(1512), Some(400));
        assert_eq!(bootloader_dependency(110), None);
        assert_eq!(carried_bootloader(10, 2302), Some(1004));
        assert_eq!(carried_bootloader(10, 2008), Some(400));
        assert_eq!(carried_bootloader(6, 2302), None);
        assert_eq!(carried_bootloader(6, 110), Some(11));
    }
}
