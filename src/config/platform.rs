//! The platform table and toolchain requirements (`toolchains.toml`): lookups only, no I/O.

use serde::Deserialize;

/// The table compiled into pbuild; a `toolchains.toml` next to `project.toml` replaces it.
pub const EMBEDDED_TOOLCHAINS: &str = include_str!("../../toolchains.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    #[serde(rename = "platform")]
    pub platforms: Vec<Platform>,
    #[serde(rename = "toolchain", default)]
    pub toolchains: Vec<ToolchainRequirement>,
    /// Platforms known by id and name only: pbuild does not build or flash for them.
    #[serde(default)]
    pub other_platforms: Vec<OtherPlatform>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OtherPlatform {
    pub name: String,
    pub id: u16,
    /// 1 (Core), 2 (Photon, P1, Electron, …), 3 (Argon, Boron, …), 4 (P2, M SoM, …).
    pub generation: u8,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Platform {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub id: u16,
    /// DFU-mode USB id, `vvvv:pppp` in hex.
    pub dfu: String,
    /// USB id while the system runs (normal mode), `vvvv:pppp` in hex.
    #[serde(default)]
    pub usb: Option<String>,
    /// Directory under `modules/` in the Device OS tree.
    pub modules: String,
    pub user_slot: u32,
    pub slots: Vec<Slot>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    pub function: String,
    pub index: u8,
    pub start: u32,
    pub size: u32,
    pub dir: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolchainRequirement {
    pub from: String,
    #[serde(default)]
    pub to: Option<String>,
    pub gcc_min: String,
    /// The version Particle builds this range with (Workbench's manifests); pbuild looks for it.
    #[serde(default)]
    pub gcc: Option<String>,
}

impl Platform {
    /// DFU vendor and product id.
    pub fn dfu_ids(&self) -> (u16, u16) {
        usb_ids(&self.dfu)
    }

    /// Vendor and product id in normal mode (none when the table does not say).
    pub fn usb_ids(&self) -> Option<(u16, u16)> {
        self.usb.as_deref().map(usb_ids)
    }
}

/// `vvvv:pppp` in hex; a part that does not parse reads as 0 (vendor: Particle's 2b04).
fn usb_ids(text: &str) -> (u16, u16) {
    let mut parts = text.split(':');
    let vid = parts.next().and_then(|v| u16::from_str_radix(v, 16).ok());
    let pid = parts.next().and_then(|p| u16::from_str_radix(p, 16).ok());
    (vid.unwrap_or(0x2b04), pid.unwrap_or(0))
}

impl Table {
    pub fn parse(text: &str) -> Result<Table, toml::de::Error> {
        toml::from_str(text)
    }

    pub fn embedded() -> Table {
        Table::parse(EMBEDDED_TOOLCHAINS).expect("the embedded toolchains.toml is valid")
    }

    /// The platform named `name` (from `origin`, for the message), or the error that says it is
    /// unknown: a suggestion when a known name is close, or that it is a platform pbuild does not
    /// build for (boron, p2, …).
    pub fn platform(&self, name: &str, origin: &str) -> Result<&Platform, crate::error::Error> {
        if let Some(p) = self.find(name) {
            return Ok(p);
        }
        let key = name.trim();
        let other = self
            .other_platforms
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(key) || key.parse::<u16>() == Ok(p.id))
            .map(|p| p.generation);
        Err(crate::error::Error::UnknownPlatform {
            suggestion: match other {
                Some(_) => None,
                None => self.nearest(name).map(String::from),
            },
            known: self.names(),
            name: name.to_string(),
            origin: origin.to_string(),
            other,
        })
    }

    /// Find a platform by name (as Device OS spells it, case-insensitive), alias or numeric id.
    pub fn find(&self, key: &str) -> Option<&Platform> {
        let key = key.trim();
        if let Ok(id) = key.parse::<u16>() {
            return self.platforms.iter().find(|p| p.id == id);
        }
        self.platforms.iter().find(|p| {
            p.name.eq_ignore_ascii_case(key)
                || p.aliases.iter().any(|a| a.eq_ignore_ascii_case(key))
        })
    }

    pub fn by_id(&self, id: u16) -> Option<&Platform> {
        self.platforms.iter().find(|p| p.id == id)
    }

    /// The name of any platform id the table knows, built for or not ("photon", "core").
    pub fn name_of(&self, id: u16) -> Option<&str> {
        self.by_id(id).map(|p| p.name.as_str()).or_else(|| {
            self.other_platforms
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.name.as_str())
        })
    }

    /// "photon (6)", or "platform 99" for an id the table does not know.
    pub fn describe_id(&self, id: u16) -> String {
        match self.name_of(id) {
            Some(n) => format!("{n} ({id})"),
            None => format!("platform {id}"),
        }
    }

    /// The platform with this DFU-mode VID:PID.
    pub fn by_dfu_ids(&self, vid: u16, pid: u16) -> Option<&Platform> {
        self.platforms.iter().find(|p| p.dfu_ids() == (vid, pid))
    }

    /// The platform with this normal-mode VID:PID.
    pub fn by_usb_ids(&self, vid: u16, pid: u16) -> Option<&Platform> {
        self.platforms
            .iter()
            .find(|p| p.usb_ids() == Some((vid, pid)))
    }

    /// The known platform name closest to `key`, for "did you mean" hints.
    pub fn nearest(&self, key: &str) -> Option<&str> {
        let names = self.platforms.iter().map(|p| p.name.as_str());
        nearest(key, names)
    }

    pub fn names(&self) -> Vec<String> {
        self.platforms
            .iter()
            .map(|p| format!("{} ({})", p.name, p.id))
            .collect()
    }

    /// The table's range for a Device OS version.
    fn toolchain_for(&self, device_os: &str) -> Option<&ToolchainRequirement> {
        let v = parse_version(device_os)?;
        self.toolchains.iter().find(|t| {
            let from = parse_version(&t.from);
            let below_to = match &t.to {
                Some(to) => parse_version(to).is_some_and(|to| v < to),
                None => true,
            };
            from.is_some_and(|from| v >= from) && below_to
        })
    }

    /// The minimum gcc version for a Device OS version, if the table has a range for it.
    pub fn gcc_min_for(&self, device_os: &str) -> Option<&str> {
        self.toolchain_for(device_os).map(|t| t.gcc_min.as_str())
    }

    /// The gcc version Particle builds a Device OS version with, if the table says.
    pub fn gcc_for(&self, device_os: &str) -> Option<&str> {
        self.toolchain_for(device_os)?.gcc.as_deref()
    }
}

/// `1.2.3` (any suffix after the numbers ignored) as a comparable tuple.
pub fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let core = text.trim().split(['-', '+', ' ']).next()?;
    let mut it = core.split('.').map(|p| p.parse::<u32>());
    let major = it.next()?.ok()?;
    let minor = it.next().unwrap_or(Ok(0)).ok()?;
    let patch = it.next().unwrap_or(Ok(0)).ok()?;
    Some((major, minor, patch))
}

/// The candidate with the smallest edit distance to `key`, if it is close enough to be a typo.
pub fn nearest<'a>(key: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let key = key.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&key, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(key.len()) / 2).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_by_name_alias_and_id() {
        let t = Table::embedded();
        assert_eq!(t.find("P1").unwrap().id, 8);
        assert_eq!(t.find("p1").unwrap().id, 8);
        assert_eq!(t.find("10").unwrap().name, "electron");
        assert_eq!(t.find("Photon").unwrap().dfu_ids(), (0x2b04, 0xd006));
        assert_eq!(t.by_usb_ids(0x2b04, 0xc00a).unwrap().name, "electron");
        assert!(t.find("argon").is_none());
        assert!(t.find("12").is_none());
    }

    #[test]
    fn suggests_nearest_name() {
        let t = Table::embedded();
        assert_eq!(t.nearest("photn"), Some("photon"));
        assert_eq!(t.nearest("electrom"), Some("electron"));
        assert_eq!(t.nearest("zzzzzzzzzz"), None);
    }

    #[test]
    fn gcc_minimum_by_device_os_version() {
        let t = Table::embedded();
        assert_eq!(t.gcc_min_for("2.3.1"), Some("9.2.1"));
        assert_eq!(t.gcc_min_for("1.5.2"), Some("5.3.1"));
        assert_eq!(t.gcc_min_for("3.1.0"), Some("10.2.1"));
        assert_eq!(t.gcc_min_for("0.5.0"), None);
        assert_eq!(t.gcc_for("1.5.2"), Some("5.3.1"));
        assert_eq!(t.gcc_for("2.3.1"), Some("9.2.1"));
        assert_eq!(t.gcc_for("3.3.1"), Some("10.2.1"));
        assert_eq!(t.gcc_for("0.6.4"), None, "no Workbench manifest for 0.6");
        assert!(parse_version("12.2.1") > parse_version("9.2.1"));
    }

    #[test]
    fn electron_slots_follow_indexes_not_names() {
        let t = Table::embedded();
        let e = t.find("electron").unwrap();
        let part1 = e.slots.iter().find(|s| s.dir == "system-part1").unwrap();
        assert_eq!((part1.index, part1.start), (3, 0x08060000));
    }
}
