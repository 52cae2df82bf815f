//! Particle's USB control requests to a running device, as particle-usb sends them (usb-facts.md
//! §2b): the service protocol (vendor requests to the device: INIT with the request type, CHECK
//! until done, RECV for the reply; Device OS `system/src/usb_control_request_channel.cpp`) from
//! 0.8.0-rc.2 on, and the raw request 0x50 older systems answer. Request types used: 20
//! DEVICE_ID, 30 SYSTEM_VERSION, 50 DFU_MODE, 90 GET_MODULE_INFO (`system/inc/system_control.h`);
//! replies are protobuf (`system/src/control/proto/*.pb.h`), decoded here by hand: the few fields
//! read do not justify a protobuf dependency.

use std::time::{Duration, Instant};

use super::{Attached, TIMEOUT};

const VENDOR_IN: u8 = 0xC0;
const INIT: u8 = 1;
const CHECK: u8 = 2;
const RECV: u8 = 4;
const RESET: u8 = 5;
const RAW: u8 = 0x50;

const DEVICE_ID: u16 = 20;
const SYSTEM_VERSION: u16 = 30;
const DFU_MODE: u16 = 50;
const GET_MODULE_INFO: u16 = 90;

/// Reply status (`usb_control_request_channel.cpp:60-67`).
const OK: u16 = 0;
const PENDING: u16 = 2;
const BUSY: u16 = 3;

/// particle-usb's CHECK intervals (`device-base.js:44`), then every second, up to 60 s.
const CHECK_AFTER_MS: [u64; 8] = [50, 50, 100, 100, 250, 250, 500, 500];
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub enum ControlError {
    /// The device stalls the request: its system does not have it (older Device OS).
    Unsupported,
    /// It took the request and said no (a Device OS `system_error_t`).
    Refused(i32),
    Usb(rusb::Error),
}

impl std::fmt::Display for ControlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ControlError::Unsupported => write!(f, "the device does not support this request"),
            ControlError::Refused(code) => write!(f, "the device refused it (error {code})"),
            ControlError::Usb(e) => write!(f, "{e}"),
        }
    }
}

fn usb(e: rusb::Error) -> ControlError {
    match e {
        rusb::Error::Pipe => ControlError::Unsupported,
        e => ControlError::Usb(e),
    }
}

/// A module as GET_MODULE_INFO reports it (`storage.pb.h:299-307`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModuleReport {
    /// 1 bootloader, 2 system part, 3 user part, 4 monolithic.
    pub kind: u32,
    pub index: u32,
    pub version: u32,
    pub size: u32,
    /// Bits: 1 integrity check failed, 2 dependency check failed (0 = valid).
    pub validity: u32,
    /// (kind, index, version) of each dependency.
    pub dependencies: Vec<(u32, u32, u32)>,
}

impl ModuleReport {
    /// "system part 1 v2302", "user part v6", "bootloader v1101".
    pub fn describe(&self) -> String {
        let what = match (self.kind, self.index) {
            (1, _) => "bootloader".to_string(),
            (2, i) => format!("system part {i}"),
            (3, _) => "user part".to_string(),
            (4, _) => "monolithic firmware".to_string(),
            (k, i) => format!("module type {k} index {i}"),
        };
        let mut s = format!("{what} v{}", self.version);
        if self.validity & 1 != 0 {
            s.push_str(" (integrity check failed)");
        }
        if self.validity & 2 != 0 {
            s.push_str(" (dependency check failed)");
        }
        s
    }
}

/// An open running device.
pub struct Session {
    handle: rusb::DeviceHandle<rusb::Context>,
}

impl Session {
    pub fn open(dev: &Attached) -> Result<Session, ControlError> {
        use rusb::UsbContext;
        let ctx = rusb::Context::new().map_err(ControlError::Usb)?;
        let list = ctx.devices().map_err(ControlError::Usb)?;
        let found = list
            .iter()
            .find(|d| d.bus_number() == dev.bus && d.address() == dev.address)
            .ok_or(ControlError::Usb(rusb::Error::NoDevice))?;
        let handle = found.open().map_err(ControlError::Usb)?;
        let s = Session { handle };
        // Forget requests an earlier host left behind, as particle-usb does on open
        // (`device-base.js:162`); a system without the protocol stalls it.
        let mut buf = [0u8; 64];
        let _ = s.read(RESET, 0, 0, &mut buf);
        Ok(s)
    }

    fn read(
        &self,
        request: u8,
        value: u16,
        index: u16,
        buf: &mut [u8],
    ) -> Result<usize, ControlError> {
        self.handle
            .read_control(VENDOR_IN, request, value, index, buf, TIMEOUT)
            .map_err(usb)
    }

    /// One service request without a payload: its result code and reply.
    fn request(&mut self, kind: u16) -> Result<Vec<u8>, ControlError> {
        let mut buf = [0u8; 64];
        let n = self.read(INIT, 0, kind, &mut buf)?;
        let init = Header::parse(&buf[..n]).ok_or(ControlError::Usb(rusb::Error::Other))?;
        if init.status != OK {
            return Err(ControlError::Usb(if init.status == BUSY {
                rusb::Error::Busy
            } else {
                rusb::Error::Other
            }));
        }
        let id = init.id.ok_or(ControlError::Usb(rusb::Error::Other))?;
        let started = Instant::now();
        let mut waits = CHECK_AFTER_MS.iter();
        let done = loop {
            let n = self.read(CHECK, 0, id, &mut buf)?;
            let h = Header::parse(&buf[..n]).ok_or(ControlError::Usb(rusb::Error::Other))?;
            match h.status {
                OK => break h,
                PENDING if started.elapsed() < REQUEST_TIMEOUT => {
                    std::thread::sleep(Duration::from_millis(*waits.next().unwrap_or(&1000)));
                }
                PENDING => return Err(ControlError::Usb(rusb::Error::Timeout)),
                _ => return Err(ControlError::Usb(rusb::Error::Other)),
            }
        };
        if let Some(code) = done.result.filter(|r| *r != 0) {
            return Err(ControlError::Refused(code));
        }
        let size = done.size.unwrap_or(0) as usize;
        if size == 0 {
            return Ok(Vec::new());
        }
        let mut reply = vec![0u8; size];
        let mut got = 0;
        // Chunks of at most 4096 bytes (particle-usb `usb-device-node.js:17`).
        while got < size {
            let end = (got + 4096).min(size);
            let n = self.read(RECV, 0, id, &mut reply[got..end])?;
            if n == 0 {
                break;
            }
            got += n;
        }
        reply.truncate(got);
        Ok(reply)
    }

    /// A raw 0x50 IN request (the only kind before 0.8.0).
    fn raw(&mut self, index: u16) -> Result<String, ControlError> {
        let mut buf = [0u8; 64];
        let n = self.read(RAW, 0, index, &mut buf)?;
        Ok(String::from_utf8_lossy(&buf[..n])
            .trim_end_matches('\0')
            .to_string())
    }

    /// The device ID, lower case.
    pub fn device_id(&mut self) -> Result<String, ControlError> {
        let id = match self.request(DEVICE_ID) {
            Ok(reply) => proto_string(&reply, 1).unwrap_or_default(),
            Err(ControlError::Unsupported) => self.raw(DEVICE_ID)?,
            Err(e) => return Err(e),
        };
        Ok(id.to_ascii_lowercase())
    }

    /// The Device OS version string ("2.3.1").
    pub fn system_version(&mut self) -> Result<String, ControlError> {
        match self.request(SYSTEM_VERSION) {
            Ok(reply) => Ok(proto_string(&reply, 1).unwrap_or_default()),
            Err(ControlError::Unsupported) => self.raw(SYSTEM_VERSION),
            Err(e) => Err(e),
        }
    }

    /// The modules in the main slots.
    pub fn modules(&mut self) -> Result<Vec<ModuleReport>, ControlError> {
        let reply = self.request(GET_MODULE_INFO)?;
        Ok(parse_modules(&reply))
    }

    /// DFU_MODE: the device resets into the bootloader's DFU mode about a second later.
    pub fn request_dfu(&mut self) -> Result<(), ControlError> {
        self.request(DFU_MODE).map(drop)
    }
}

/// The service protocol's reply header (`usb_control_request_channel.cpp:100-136`).
#[derive(Debug, PartialEq, Eq)]
struct Header {
    status: u16,
    id: Option<u16>,
    size: Option<u32>,
    result: Option<i32>,
}

impl Header {
    fn parse(b: &[u8]) -> Option<Header> {
        let flags = u32::from_le_bytes(b.get(0..4)?.try_into().ok()?);
        let status = u16::from_le_bytes(b.get(4..6)?.try_into().ok()?);
        let mut at = 6;
        let mut take = |n: usize| {
            let s = b.get(at..at + n);
            at += n;
            s
        };
        let id = match flags & 0x02 {
            0 => None,
            _ => Some(u16::from_le_bytes(take(2)?.try_into().ok()?)),
        };
        let size = match flags & 0x04 {
            0 => None,
            _ => Some(u32::from_le_bytes(take(4)?.try_into().ok()?)),
        };
        let result = match flags & 0x08 {
            0 => None,
            _ => Some(i32::from_le_bytes(take(4)?.try_into().ok()?)),
        };
        Some(Header {
            status,
            id,
            size,
            result,
        })
    }
}

/// Protobuf wire format: (field number, value) pairs; varints as numbers, length-delimited
/// fields as bytes. Stops at anything malformed.
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

fn varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*at)?;
        *at += 1;
        v |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn fields(b: &[u8]) -> Vec<(u32, Value<'_>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < b.len() {
        let Some(key) = varint(b, &mut at) else { break };
        let field = (key >> 3) as u32;
        let value = match key & 7 {
            0 => match varint(b, &mut at) {
                Some(v) => Value::Varint(v),
                None => break,
            },
            2 => {
                let Some(len) = varint(b, &mut at) else { break };
                let Some(bytes) = b.get(at..at + len as usize) else {
                    break;
                };
                at += len as usize;
                Value::Bytes(bytes)
            }
            // Fixed 64 and 32 bits: skipped.
            1 => {
                at += 8;
                continue;
            }
            5 => {
                at += 4;
                continue;
            }
            _ => break,
        };
        out.push((field, value));
    }
    out
}

fn proto_string(b: &[u8], field: u32) -> Option<String> {
    fields(b).into_iter().find_map(|(f, v)| match (f, v) {
        (f, Value::Bytes(s)) if f == field => Some(String::from_utf8_lossy(s).into_owned()),
        _ => None,
    })
}

fn parse_modules(b: &[u8]) -> Vec<ModuleReport> {
    let number = |fs: &[(u32, Value<'_>)], n: u32| {
        fs.iter()
            .find_map(|(f, v)| match v {
                Value::Varint(x) if *f == n => Some(*x as u32),
                _ => None,
            })
            .unwrap_or(0)
    };
    fields(b)
        .into_iter()
        .filter_map(|(f, v)| match (f, v) {
            (1, Value::Bytes(m)) => Some(m),
            _ => None,
        })
        .map(|m| {
            let fs = fields(m);
            let dependencies = fs
                .iter()
                .filter_map(|(f, v)| match v {
                    Value::Bytes(d) if *f == 6 => {
                        let ds = fields(d);
                        Some((number(&ds, 1), number(&ds, 2), number(&ds, 3)))
                    }
                    _ => None,
                })
                .collect();
            ModuleReport {
                kind: number(&fs, 1),
                index: number(&fs, 2),
                version: number(&fs, 3),
                size: number(&fs, 4),
                validity: number(&fs, 5),
                dependencies,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_headers_carry_the_fields_their_flags_name() {
        // INIT's answer: flags 0x02 (id), status 0, id 7.
        assert_eq!(
            Header::parse(&[2, 0, 0, 0, 0, 0, 7, 0]),
            Some(Header {
                status: 0,
                id: Some(7),
                size: None,
                result: None
            })
        );
        // CHECK's answer when done: flags 0x0C, status 0, size 13, result -120.
        let mut b = vec![0x0C, 0, 0, 0, 0, 0];
        b.extend(13u32.to_le_bytes());
        b.extend((-120i32).to_le_bytes());
        assert_eq!(
            Header::parse(&b),
            Some(Header {
                status: 0,
                id: None,
                size: Some(13),
                result: Some(-120)
            })
        );
        assert_eq!(Header::parse(&[2, 0, 0, 0, 0, 0, 7]), None, "cut short");
    }

    #[test]
    fn module_info_decodes_nested_messages() {
        // {1: {1: 2, 2: 1, 3: 2302, 4: 262144, 5: 0, 6: {1: 1, 2: 0, 3: 1101}}, 1: {1: 3, 3: 6, 5: 2}}
        let dep = [0x08, 1, 0x10, 0, 0x18, 0xCD, 0x08];
        let mut m1 = vec![
            0x08, 2, 0x10, 1, 0x18, 0xFE, 0x11, 0x20, 0x80, 0x80, 0x10, 0x28, 0,
        ];
        m1.push(0x32);
        m1.push(dep.len() as u8);
        m1.extend(dep);
        let m2 = [0x08, 3, 0x18, 6, 0x28, 2];
        let mut b = vec![0x0A, m1.len() as u8];
        b.extend(&m1);
        b.push(0x0A);
        b.push(m2.len() as u8);
        b.extend(m2);
        let mods = parse_modules(&b);
        assert_eq!(mods.len(), 2);
        assert_eq!(
            mods[0],
            ModuleReport {
                kind: 2,
                index: 1,
                version: 2302,
                size: 262144,
                validity: 0,
                dependencies: vec![(1, 0, 1101)],
            }
        );
        assert_eq!(mods[0].describe(), "system part 1 v2302");
        assert_eq!(mods[1].describe(), "user part v6 (dependency check failed)");
        assert_eq!(
            proto_string(&[0x0A, 3, b'2', b'.', b'3'], 1).as_deref(),
            Some("2.3")
        );
        assert!(
            parse_modules(&[0x0A, 50, 1]).is_empty(),
            "a cut message is dropped"
        );
    }
}
