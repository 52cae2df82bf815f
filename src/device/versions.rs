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
    ("0.6.4", 110, None),
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

/// From Device OS 2.0.0 on, system part 2 requires bootloader >= 1003 (`BOOTLOADER_DEPENDENCY`).
pub const BOOTLOADER_DEPENDENCY_2X: u16 = 1003;

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
/// `(bootloader version, release it came from)`. `None` below 0.7.0, where none is recorded.
pub fn shipped_bootloader(system_version: u16) -> Option<(u16, &'static str)> {
    RELEASES
        .iter()
        .filter(|(_, v, _)| *v <= system_version)
        .filter_map(|(r, _, b)| b.map(|b| (b, *r)))
        .next_back()
}

/// The bootloader version a system part 2 of `system_version` depends on, where recorded.
pub fn bootloader_dependency(system_version: u16) -> Option<u16> {
    (system_version >= 2000).then_some(BOOTLOADER_DEPENDENCY_2X)
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
        assert_eq!(shipped_bootloader(110), None);
    }

    #[test]
    fn releases_are_ordered_and_named() {
        assert!(RELEASES.windows(2).all(|w| w[0].1 < w[1].1));
        assert_eq!(release_of(1512), Some("1.5.2"));
        assert_eq!(describe(2302), "2302 (Device OS 2.3.1)");
        assert_eq!(describe(2303), "2303");
        assert_eq!(bootloader_dependency(2302), Some(1003));
        assert_eq!(bootloader_dependency(1512), None);
    }
}
