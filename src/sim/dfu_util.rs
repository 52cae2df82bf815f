//! The dfu-util stand-in: dfu-util 0.11's command line and messages (taken from the 0.11 binary's
//! own strings), acting on the simulated devices listed in `PBUILD_SIM_DEVICES`
//! (directories, separated like PATH). Built as the `dfu-util-sim` executable; install or link it
//! as `dfu-util` to use it in place of the real one.
//!
//! What it models: `-l`; `-d VID:PID[,VID:PID]`, `-S SERIAL[,SERIAL]`, `-p PATH`, `-n DEVNUM`
//! device matching; `-a 0` (internal flash; the DCT and serial flash alt settings are listed but
//! not writable here); `-s ADDR[:leave][:LENGTH]`; `-D FILE` (DFU suffix checked and stripped
//! as dfu-util does); `-U FILE` (refuses an existing file); the DfuSe memory layout
//! (first three 16 K sectors read-only), the bootloader's refusal to erase below 0x08020000,
//! sector erase, and the get_status error Particle devices cause when they reset after a leave
//! request. Exit status 74 (EX_IOERR) for device errors, 64 (EX_USAGE) for bad arguments.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::{Fault, SimDevice};
use crate::config::Table;
use crate::device::{FIRST_WRITABLE, FLASH_END};
use crate::image::dfu::{DFU_SUFFIX_LEN, parse_dfu_suffix};

pub const EX_USAGE: i32 = 64;
pub const EX_DATAERR: i32 = 65;
pub const EX_NOINPUT: i32 = 66;
pub const EX_CANTCREAT: i32 = 73;
pub const EX_IOERR: i32 = 74;

const BANNER: &str = "dfu-util 0.11\n\n\
Copyright 2005-2009 Weston Schmidt, Harald Welte and OpenMoko Inc.\n\
Copyright 2010-2021 Tormod Volden and Stefan Schmidt\n\
This program is Free Software and has ABSOLUTELY NO WARRANTY\n\
Please report bugs to http://sourceforge.net/p/dfu-util/tickets/\n\n";

const INTERNAL_FLASH: &str = "@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg";
const DCT_FLASH: &str = "@DCT Flash   /0x00000000/01*016Kg";
const SERIAL_FLASH: &str = "@Serial Flash   /0x00000000/256*004Kg";
const TRANSFER_SIZE: usize = 4096;

#[derive(Debug, Default)]
struct Args {
    list: bool,
    version: bool,
    help: bool,
    device: Option<String>,
    serial: Option<String>,
    path: Option<String>,
    devnum: Option<String>,
    alt: Option<String>,
    dfuse: Option<String>,
    download: Option<PathBuf>,
    upload: Option<PathBuf>,
}

/// Output collected by a run: what dfu-util would print on stdout and stderr, and its status.
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

struct Out {
    stdout: String,
    stderr: String,
}

impl Out {
    fn say(&mut self, line: &str) {
        self.stdout.push_str(line);
        self.stdout.push('\n');
    }
    fn warn(&mut self, line: &str) {
        self.stderr.push_str("dfu-util: ");
        self.stderr.push_str(line);
        self.stderr.push('\n');
    }
}

/// The simulated devices the stand-in sees: the directories in `PBUILD_SIM_DEVICES`.
pub fn devices_from_env() -> Vec<PathBuf> {
    std::env::var_os("PBUILD_SIM_DEVICES")
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn parse(args: &[String], out: &mut Out) -> Result<Args, i32> {
    let mut a = Args::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline): (&str, Option<String>) = if let Some(long) = arg.strip_prefix("--") {
            match long.split_once('=') {
                Some((k, v)) => (k, Some(v.to_string())),
                None => (long, None),
            }
        } else if let Some((flag, value)) = arg
            .strip_prefix('-')
            .and_then(|rest| rest.char_indices().nth(1).map(|(at, _)| rest.split_at(at)))
        {
            (flag, Some(value.to_string()))
        } else if let Some(short) = arg.strip_prefix('-') {
            (short, None)
        } else {
            out.warn(&format!("Error: Unexpected argument: {arg}"));
            return Err(EX_USAGE);
        };
        let takes_value = matches!(
            flag,
            "d" | "device"
                | "S"
                | "serial"
                | "p"
                | "path"
                | "n"
                | "devnum"
                | "a"
                | "alt"
                | "s"
                | "dfuse-address"
                | "D"
                | "download"
                | "U"
                | "upload"
                | "c"
                | "cfg"
                | "i"
                | "intf"
                | "t"
                | "transfer-size"
                | "Z"
                | "upload-size"
                | "E"
                | "detach-delay"
        );
        let value = if takes_value {
            match inline.or_else(|| it.next().cloned()) {
                Some(v) => Some(v),
                None => {
                    out.warn(&format!("option requires an argument -- '{flag}'"));
                    return Err(usage(out));
                }
            }
        } else {
            None
        };
        match flag {
            "l" | "list" => a.list = true,
            "V" | "version" => a.version = true,
            "h" | "help" => a.help = true,
            "v" | "verbose" | "R" | "reset" | "w" | "wait" | "e" | "detach" => {}
            "d" | "device" => a.device = value,
            "S" | "serial" => a.serial = value,
            "p" | "path" => a.path = value,
            "n" | "devnum" => a.devnum = value,
            "a" | "alt" => a.alt = value,
            "s" | "dfuse-address" => a.dfuse = value,
            "D" | "download" => a.download = value.map(PathBuf::from),
            "U" | "upload" => a.upload = value.map(PathBuf::from),
            "c" | "cfg" | "i" | "intf" | "t" | "transfer-size" | "Z" | "upload-size" | "E"
            | "detach-delay" => {}
            other => {
                out.warn(&format!(
                    "unrecognized option '{}{other}'",
                    if other.len() > 1 { "--" } else { "-" }
                ));
                return Err(usage(out));
            }
        }
    }
    Ok(a)
}

fn usage(out: &mut Out) -> i32 {
    out.stderr.push_str(
        "Usage: dfu-util [options] ...\n  (pbuild's dfu-util stand-in: -l, -d, -S, -p, -n, -a, -s, -D, -U, -V, -h)\n",
    );
    EX_USAGE
}

struct Attached {
    dev: SimDevice,
    devnum: u32,
    path: String,
    faults: Vec<Fault>,
}

pub fn run(args: &[String], device_dirs: &[PathBuf], table: &Table) -> Outcome {
    let mut out = Out {
        stdout: String::new(),
        stderr: String::new(),
    };
    let code = run_inner(args, device_dirs, table, &mut out);
    Outcome {
        stdout: out.stdout,
        stderr: out.stderr,
        code,
    }
}

fn run_inner(args: &[String], device_dirs: &[PathBuf], table: &Table, out: &mut Out) -> i32 {
    out.stdout.push_str(BANNER);
    let a = match parse(args, out) {
        Ok(a) => a,
        Err(code) => return code,
    };
    if a.help {
        return usage(out);
    }
    if a.version {
        return 0;
    }
    if !a.list && a.download.is_none() && a.upload.is_none() {
        out.warn("You need to specify one of -D or -U");
        return usage(out);
    }

    // Probe: every attached device in DFU mode that can be opened and matches the filters.
    let mut found = Vec::new();
    for (i, dir) in device_dirs.iter().enumerate() {
        let Ok(dev) = SimDevice::open(dir, table) else {
            continue;
        };
        let faults = dev.faults();
        if faults.contains(&Fault::NotInDfuMode) || dev.unplugged() {
            continue;
        }
        let devnum = 5 + i as u32;
        let (vid, pid) = dev.dfu_ids();
        if !matches_filter(&a, &dev, devnum, &format!("1-{}", i + 1)) {
            continue;
        }
        if faults.contains(&Fault::PermissionDenied) {
            out.warn(&format!(
                "Cannot open DFU device {vid:04x}:{pid:04x} found on devnum {devnum} (LIBUSB_ERROR_ACCESS)"
            ));
            continue;
        }
        found.push(Attached {
            dev,
            devnum,
            path: format!("1-{}", i + 1),
            faults,
        });
    }

    if a.list {
        for d in &found {
            let (vid, pid) = d.dev.dfu_ids();
            let mut alts = vec![(0, INTERNAL_FLASH), (1, DCT_FLASH)];
            if d.dev.platform.id == 8 {
                alts.push((2, SERIAL_FLASH));
            }
            for (alt, name) in alts.iter().rev() {
                out.say(&format!(
                    "Found DFU: [{vid:04x}:{pid:04x}] ver=0250, devnum={}, cfg=1, intf=0, path=\"{}\", alt={alt}, name=\"{name}\", serial=\"{}\"",
                    d.devnum, d.path, d.dev.identity.serial
                ));
            }
        }
        return 0;
    }

    // Load the file before touching the device, as dfu-util does.
    let mut payload = None;
    if let Some(file) = &a.download {
        match load_download(file, out) {
            Ok(p) => payload = Some(p),
            Err(code) => return code,
        }
    }

    let mut target = match found.len() {
        0 => {
            out.warn("No DFU capable USB device available");
            return EX_IOERR;
        }
        1 => found.remove(0),
        _ => {
            out.warn("More than one DFU capable USB device found! Try `--list' and specify the serial number or disconnect all but one device");
            return EX_IOERR;
        }
    };
    let (vid, pid) = target.dev.dfu_ids();
    if let Some((_, Some(suffix))) = &payload {
        let vendor_ok = suffix.vendor == 0xFFFF || suffix.vendor == vid;
        let product_ok = suffix.product == 0xFFFF || suffix.product == pid;
        if !(vendor_ok && product_ok) {
            out.warn(&format!(
                "Error: File ID {:04x}:{:04x} does not match device ({vid:04x}:{pid:04x} or {vid:04x}:{pid:04x})",
                suffix.vendor, suffix.product
            ));
            return EX_IOERR;
        }
    }
    let dct = match a.alt.as_deref() {
        None | Some("0") => false,
        Some(name) if INTERNAL_FLASH.starts_with(name) => false,
        Some("1") => true,
        Some(name) if DCT_FLASH.starts_with(name) => true,
        Some(other) => {
            out.say("Opening DFU capable USB device...");
            out.warn(&format!(
                "alt setting {other}: only alt 0 (\"Internal Flash\") and alt 1 (\"DCT Flash\") are simulated"
            ));
            return EX_IOERR;
        }
    };
    out.say("Opening DFU capable USB device...");
    out.say(&format!("Device ID {vid:04x}:{pid:04x}"));
    out.say("Device DFU version 011a");
    out.say("Claiming USB DFU Interface...");
    out.say(&format!(
        "Setting Alternate Interface #{} ...",
        if dct { 1 } else { 0 }
    ));
    out.say("Determining device status...");
    out.say("DFU state(2) = dfuIDLE, status(0) = No error condition is present");
    out.say("DFU mode device DFU version 011a");
    out.say(&format!("Device returned transfer size {TRANSFER_SIZE}"));
    out.say(if dct {
        "DfuSe interface name: \"DCT Flash   \""
    } else {
        "DfuSe interface name: \"Internal Flash   \""
    });

    let Some(dfuse) = &a.dfuse else {
        out.warn("Only DfuSe file version 1.1a is supported");
        out.warn("(for raw binary download, use the --dfuse-address option)");
        return EX_IOERR;
    };
    let (address, leave, length) = match parse_dfuse(dfuse) {
        Ok(x) => x,
        Err(bad) => {
            out.warn(&bad);
            return EX_USAGE;
        }
    };

    if dct {
        if let Some(file) = &a.upload {
            return upload_dct(&target.dev, file, address, length, out);
        }
        let Some((data, _)) = payload else {
            return EX_USAGE;
        };
        return download_dct(&mut target, &data, address, leave, out);
    }
    if let Some(file) = &a.upload {
        return upload(&target.dev, file, address, length, out);
    }
    let Some((data, _)) = payload else {
        return EX_USAGE;
    };
    download(&mut target, &data, address, leave, out)
}

fn matches_filter(a: &Args, dev: &SimDevice, devnum: u32, path: &str) -> bool {
    let (vid, pid) = dev.dfu_ids();
    if let Some(d) = &a.device {
        let ok = d.split(',').any(|pair| {
            let mut it = pair.split(':');
            let v = it.next().and_then(|v| u16::from_str_radix(v, 16).ok());
            let p = it.next().and_then(|p| u16::from_str_radix(p, 16).ok());
            v.is_none_or(|v| v == vid) && p.is_none_or(|p| p == pid) && (v.is_some() || p.is_some())
        });
        if !ok {
            return false;
        }
    }
    if let Some(s) = &a.serial
        && !s.split(',').any(|s| s == dev.identity.serial)
    {
        return false;
    }
    if let Some(p) = &a.path
        && p != path
    {
        return false;
    }
    if let Some(n) = &a.devnum
        && n.parse::<u32>().ok() != Some(devnum)
    {
        return false;
    }
    true
}

type Loaded = (Vec<u8>, Option<crate::image::DfuSuffix>);

fn load_download(file: &Path, out: &mut Out) -> Result<Loaded, i32> {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(_) => {
            out.warn(&format!(
                "Could not open file {} for reading",
                file.display()
            ));
            return Err(EX_NOINPUT);
        }
    };
    if bytes.len() < DFU_SUFFIX_LEN {
        out.warn("Warning: File too short for DFU suffix");
        out.warn("A valid DFU suffix will be required in a future dfu-util release");
        return Ok((bytes, None));
    }
    match parse_dfu_suffix(&bytes) {
        Some(s) if !s.crc_ok => {
            out.warn("DFU suffix CRC does not match");
            Err(EX_DATAERR)
        }
        Some(s) => {
            let payload = bytes[..bytes.len() - usize::from(s.length)].to_vec();
            if s.vendor != 0xFFFF {
                out.say(&format!("Match vendor ID from file: {:04x}", s.vendor));
            }
            if s.product != 0xFFFF {
                out.say(&format!("Match product ID from file: {:04x}", s.product));
            }
            Ok((payload, Some(s)))
        }
        None => {
            out.warn("Warning: Invalid DFU suffix signature");
            out.warn("A valid DFU suffix will be required in a future dfu-util release");
            Ok((bytes, None))
        }
    }
}

/// `ADDR[:leave][:force][:LENGTH]` → (address, leave, length).
fn parse_dfuse(text: &str) -> Result<(u32, bool, Option<u32>), String> {
    let mut parts = text.split(':');
    let addr_text = parts.next().unwrap_or_default();
    let address = parse_number(addr_text).ok_or(format!("Invalid dfuse address: {addr_text}"))?;
    let mut leave = false;
    let mut length = None;
    for m in parts {
        match m {
            "leave" => leave = true,
            "force" | "will-reset" => {}
            "mass-erase" | "unprotect" => {
                return Err(format!("{m}: not simulated (pbuild never sends it)"));
            }
            other => match parse_number(other) {
                Some(n) => length = Some(n),
                None => return Err(format!("Invalid dfuse modifier: {other}")),
            },
        }
    }
    Ok((address, leave, length))
}

fn parse_number(text: &str) -> Option<u32> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn bar(out: &mut Out, what: &str, percent: usize, bytes: usize) {
    let filled = percent / 4;
    out.say(&format!(
        "{what}\t[{}{}] {percent:3}% {bytes:12} bytes",
        "=".repeat(filled),
        " ".repeat(25 - filled)
    ));
}

/// The DCT (alt 1): 16 K of offsets (`@DCT Flash /0x00000000/01*016Kg`).
const DCT_SIZE: u32 = 0x4000;

fn upload_dct(
    dev: &SimDevice,
    file: &Path,
    offset: u32,
    length: Option<u32>,
    out: &mut Out,
) -> i32 {
    let length = length.unwrap_or(DCT_SIZE.saturating_sub(offset));
    if offset.saturating_add(length) > DCT_SIZE {
        out.warn(&format!("Page at 0x{offset:08x} is not readable"));
        return EX_IOERR;
    }
    save_upload(file, dev.read_dct(offset, length), out)
}

/// A write to the DCT: the bootloader stores it through `dct_write_app_data`, which on a
/// Photon/P1 with a bootloader from 0.7.0 on needs system part 2's DCT code
/// ([`crate::device::preflight::dct_write_refused`]); when it cannot, the write fails.
fn download_dct(t: &mut Attached, data: &[u8], offset: u32, leave: bool, out: &mut Out) -> i32 {
    out.say(&format!(
        "Downloading element to address = 0x{offset:08x}, size = {}",
        data.len()
    ));
    if offset.saturating_add(data.len() as u32) > DCT_SIZE {
        out.warn(&format!("Last page at 0x{offset:08x} is not writeable"));
        return EX_IOERR;
    }
    bar(out, "Erase   ", 100, data.len());
    out.say("Erase    done.");
    if crate::device::preflight::dct_write_refused(&t.dev.installed()).is_some() {
        bar(out, "Download", 0, 0);
        out.warn("Error during download get_status");
        return EX_IOERR;
    }
    t.dev.write_dct(offset, data);
    finish_download(t, data.len(), leave, out)
}

fn upload(dev: &SimDevice, file: &Path, address: u32, length: Option<u32>, out: &mut Out) -> i32 {
    let length = length.unwrap_or_else(|| FLASH_END.saturating_sub(address));
    let Some(bytes) = dev.read(address, length) else {
        out.warn(&format!("Page at 0x{address:08x} is not readable"));
        return EX_IOERR;
    };
    save_upload(file, bytes, out)
}

fn save_upload(file: &Path, bytes: &[u8], out: &mut Out) -> i32 {
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
        .and_then(|mut f| f.write_all(bytes));
    if created.is_err() {
        out.warn(&format!("Cannot open file {} for writing", file.display()));
        return EX_CANTCREAT;
    }
    bar(out, "Upload", 100, bytes.len());
    out.say("Upload done.");
    0
}

fn download(t: &mut Attached, data: &[u8], address: u32, leave: bool, out: &mut Out) -> i32 {
    let len = data.len() as u32;
    let last = address.saturating_add(len.saturating_sub(1));
    out.say(&format!(
        "Downloading element to address = 0x{address:08x}, size = {len}"
    ));
    let page = |addr: u32| super::sectors().find(|(s, size)| addr >= *s && addr < s + size);
    // dfu-util checks the memory layout it read from the alt setting name.
    match page(last) {
        Some((start, _)) if start >= 0x0800_C000 => {}
        Some((start, _)) => {
            out.warn(&format!("Last page at 0x{start:08x} is not writeable"));
            return EX_IOERR;
        }
        None => {
            out.warn(&format!("Last page at 0x{last:08x} is not writeable"));
            return EX_IOERR;
        }
    }
    if let Some((start, _)) = page(address).filter(|(s, _)| *s < 0x0800_C000) {
        out.warn(&format!("Page at 0x{start:08x} is not writeable"));
        return EX_IOERR;
    }
    // The bootloader refuses to erase or write its protected area.
    if address < FIRST_WRITABLE {
        bar(out, "Erase   ", 0, 0);
        out.warn("ERASE_PAGE not correctly executed");
        return EX_IOERR;
    }
    bar(out, "Erase   ", 100, data.len());
    out.say("Erase    done.");

    for fault in [Fault::UnplugDuringDownload, Fault::WriteFails] {
        if t.faults.contains(&fault) {
            let written = (data.len() / 2 / TRANSFER_SIZE * TRANSFER_SIZE)
                .max(TRANSFER_SIZE.min(data.len() / 2));
            // The erase already happened; half the image made it.
            let mut partial = data[..written].to_vec();
            partial.resize(data.len(), 0xFF);
            t.dev.write(address, &partial);
            if t.dev.save().is_err() {
                return EX_IOERR;
            }
            t.dev.clear_fault(fault);
            let percent = written * 100 / data.len().max(1);
            bar(out, "Download", percent, written);
            if fault == Fault::UnplugDuringDownload {
                t.dev.unplug();
                out.warn(
                    "dfuse_download: libusb_control_transfer returned -4 (LIBUSB_ERROR_NO_DEVICE)",
                );
                out.warn("Error during download");
            } else {
                out.warn("Error during download get_status");
            }
            return EX_IOERR;
        }
    }

    t.dev.write(address, data);
    finish_download(t, data.len(), leave, out)
}

/// Saves the flash, says the download is done and, with `leave`, resets the device.
fn finish_download(t: &mut Attached, len: usize, leave: bool, out: &mut Out) -> i32 {
    if t.dev.save().is_err() {
        out.warn("Error during download");
        return EX_IOERR;
    }
    bar(out, "Download", 100, len);
    out.say("Download done.");
    out.say("File downloaded successfully");
    if leave {
        out.say("Submitting leave request...");
        t.dev.reset();
        if t.dev.save().is_err() {
            return EX_IOERR;
        }
        if t.faults.contains(&Fault::LeaveOk) {
            out.say("Transitioning to dfuMANIFEST state");
        } else {
            // The device resets while dfu-util still polls it (device-os #599).
            out.warn("Error during download get_status");
            return EX_IOERR;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn odd_arguments_are_usage_errors_not_panics() {
        for a in [
            &["-é"][..],
            &["-s"],
            &["--download"],
            &["stray"],
            &["-"],
            &["--"],
            &["-a", "0", "-s", "zz", "-D", "/nonexistent"],
        ] {
            let o = run(&args(a), &[], &Table::embedded());
            assert!(o.code != 0, "{a:?}");
            assert!(o.stdout.starts_with("dfu-util 0.11"), "{a:?}");
        }
        assert_eq!(run(&args(&["-V"]), &[], &Table::embedded()).code, 0);
        assert_eq!(run(&args(&["-l"]), &[], &Table::embedded()).code, 0);
    }

    #[test]
    fn dfuse_strings() {
        assert_eq!(
            parse_dfuse("0x080a0000:leave"),
            Ok((0x080A_0000, true, None))
        );
        assert_eq!(
            parse_dfuse("0x08020000:412"),
            Ok((0x0802_0000, false, Some(412)))
        );
        assert_eq!(parse_dfuse("134348800"), Ok((0x0802_0000, false, None)));
        assert!(parse_dfuse("0x0802000g").is_err());
        assert!(parse_dfuse("0x08020000:sideways").is_err());
    }
}
