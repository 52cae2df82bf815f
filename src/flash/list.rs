//! `dfu-util -l` output → devices. One line per alt setting (particle-facts.md §7):
//! `Found DFU: [2b04:d006] ver=0250, devnum=37, cfg=1, intf=0, path="1-3.3.2", alt=0,
//! name="@Internal Flash   /0x08000000/…", serial="3c0021000a47343432313031"`; `path=` is absent
//! before dfu-util 0.9. `Found Runtime:` lines are devices not in DFU mode.

use crate::config::Table;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DfuDevice {
    pub vid: u16,
    pub pid: u16,
    pub serial: String,
    pub path: String,
    pub devnum: String,
    /// (alt, name) for every alt setting listed.
    pub alts: Vec<(u8, String)>,
    /// The Particle platform (id, name) with this DFU VID:PID, once [`Listing::identify`] ran.
    pub platform: Option<(u16, String)>,
}

impl DfuDevice {
    /// The Particle platform with this DFU VID:PID.
    pub fn platform_id(&self) -> Option<u16> {
        self.platform.as_ref().map(|(id, _)| *id)
    }

    /// "photon 3c0021000a47343432313031 (2b04:d006)".
    pub fn describe(&self) -> String {
        let name = self
            .platform
            .as_ref()
            .map_or("unknown", |(_, n)| n.as_str());
        format!(
            "{name} {} ({:04x}:{:04x})",
            if self.serial.is_empty() {
                "(no serial)"
            } else {
                &self.serial
            },
            self.vid,
            self.pid
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub devices: Vec<DfuDevice>,
    /// Devices in run-time (not DFU) mode: `[vid:pid] serial`.
    pub runtime: Vec<String>,
    /// dfu-util's "Cannot open DFU device …" warnings (permissions).
    pub cannot_open: Vec<String>,
}

impl Listing {
    /// Name the platform of every device from its DFU VID:PID.
    pub fn identify(&mut self, table: &Table) {
        for d in &mut self.devices {
            d.platform = table
                .by_dfu_ids(d.vid, d.pid)
                .map(|p| (p.id, p.name.clone()));
        }
    }
}

/// The devices dfu-util listed (platforms not yet identified: [`Listing::identify`]).
pub fn parse_list(stdout: &str, stderr: &str) -> Listing {
    let mut listing = Listing::default();
    for line in stdout.lines().chain(stderr.lines()) {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Found DFU: ") {
            if let Some((dev, alt)) = parse_found(rest) {
                match listing.devices.iter_mut().find(|d| {
                    d.vid == dev.vid
                        && d.pid == dev.pid
                        && d.serial == dev.serial
                        && d.path == dev.path
                        && d.devnum == dev.devnum
                }) {
                    Some(known) => known.alts.extend(alt),
                    None => {
                        let mut dev = dev;
                        dev.alts.extend(alt);
                        listing.devices.push(dev);
                    }
                }
            }
        } else if let Some(rest) = line.strip_prefix("Found Runtime: ") {
            listing.runtime.push(rest.to_string());
        } else if line.contains("Cannot open DFU device") {
            listing
                .cannot_open
                .push(line.trim_start_matches("dfu-util: ").to_string());
        }
    }
    for d in &mut listing.devices {
        d.alts.sort();
        d.alts.dedup();
    }
    listing
}

fn parse_found(rest: &str) -> Option<(DfuDevice, Option<(u8, String)>)> {
    let (ids, _) = rest.strip_prefix('[')?.split_once(']')?;
    let (vid, pid) = ids.split_once(':')?;
    let vid = u16::from_str_radix(vid, 16).ok()?;
    let pid = u16::from_str_radix(pid, 16).ok()?;
    let field = |key: &str| -> Option<String> {
        let at = rest.find(&format!(" {key}="))? + key.len() + 2;
        let tail = &rest[at..];
        if let Some(q) = tail.strip_prefix('"') {
            Some(q[..q.find('"')?].to_string())
        } else {
            Some(tail.split(',').next()?.trim().to_string())
        }
    };
    let alt = field("alt")
        .and_then(|a| a.parse::<u8>().ok())
        .map(|a| (a, field("name").unwrap_or_default()));
    Some((
        DfuDevice {
            vid,
            pid,
            serial: field("serial").unwrap_or_default(),
            path: field("path").unwrap_or_default(),
            devnum: field("devnum").unwrap_or_default(),
            alts: Vec::new(),
            platform: None,
        },
        alt,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_dfu_util_lines_and_groups_alt_settings() {
        let out = r#"dfu-util 0.8

Found DFU: [2b04:d006] ver=0200, devnum=37, cfg=1, intf=0, alt=1, name="@DCT Flash   /0x00000000/01*016Kg", serial="00000000010C"
Found DFU: [2b04:d006] ver=0200, devnum=37, cfg=1, intf=0, alt=0, name="@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg", serial="00000000010C"
Found DFU: [2b04:d00a] ver=0250, devnum=9, cfg=1, intf=0, path="1-3.3.2", alt=0, name="@Internal Flash   /0x08000000/03*016Ka", serial="3c0021000a47343432313031"
Found Runtime: [2b04:c006] ver=0250, devnum=4, cfg=1, intf=0, path="1-2", alt=0, name="UNKNOWN", serial="1234"
"#;
        let mut l = parse_list(
            out,
            "dfu-util: Cannot open DFU device 2b04:d008 found on devnum 5 (LIBUSB_ERROR_ACCESS)\n",
        );
        l.identify(&Table::embedded());
        assert_eq!(l.devices.len(), 2);
        let photon = &l.devices[0];
        assert_eq!(
            (photon.vid, photon.pid, photon.serial.as_str()),
            (0x2b04, 0xd006, "00000000010C")
        );
        assert_eq!(photon.alts.len(), 2);
        assert_eq!(
            photon.alts[0].1,
            "@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg"
        );
        assert_eq!(photon.platform_id(), Some(6));
        let electron = &l.devices[1];
        assert_eq!(electron.path, "1-3.3.2");
        assert_eq!(electron.platform_id(), Some(10));
        assert_eq!(
            electron.describe(),
            "electron 3c0021000a47343432313031 (2b04:d00a)"
        );
        assert_eq!(l.runtime.len(), 1);
        assert_eq!(
            l.cannot_open,
            vec!["Cannot open DFU device 2b04:d008 found on devnum 5 (LIBUSB_ERROR_ACCESS)"]
        );
    }

    #[test]
    fn garbage_is_ignored() {
        let l = parse_list("Found DFU: [zz:1]\nFound DFU: \nFound DFU: [2b04:d006", "");
        assert!(l.devices.is_empty());
    }
}
