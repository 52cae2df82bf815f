//! A drop-in `libusb-1.0.so.0` over pbuild's simulated USB bus (`pbuild::sim::usb`): the C ABI
//! of the libusb 1.0 functions the real dfu-util and pbuild's own USB code (rusb) call. It knows
//! the libusb structures and calling conventions, not what a device answers (that is the model).
//!
//! Objects: a `libusb_device` is a refcounted heap copy of one [`UsbDevice`] as
//! `libusb_get_device_list` found it (lists are made fresh on every call: devices change mode);
//! a `libusb_device_handle` owns a [`Handle`] and a reference to its device. Configuration
//! descriptors are parsed from the raw bytes exactly as libusb 1.0.26 `descriptor.c` does:
//! alt settings are grouped while consecutive interface descriptors share bInterfaceNumber, and
//! every descriptor's `extra` holds the non-standard descriptors after it up to the next
//! interface, endpoint, configuration or device descriptor (so the DFU functional descriptor
//! lands in the last alt's `extra`, an interface association before the first interface in the
//! configuration's `extra`). There are no asynchronous transfers; bulk and interrupt transfers
//! are not modelled.
//!
//! Every export catches panics: a panic inside pbuild becomes `LIBUSB_ERROR_OTHER` (or a NULL /
//! harmless value), never an unwind across the C boundary.

// The exports mirror libusb's C names and contracts; their safety rules are libusb's documented
// ones (valid pointers obtained from this library), not repeated on each function.
#![allow(non_camel_case_types, non_snake_case, clippy::missing_safety_doc)]

use std::ffi::{c_char, c_int, c_long, c_uchar, c_uint, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use pbuild::config::Table;
use pbuild::sim::usb::{Handle, UsbDevice, UsbError, devices};

pub const LIBUSB_SUCCESS: c_int = 0;
pub const LIBUSB_ERROR_IO: c_int = -1;
pub const LIBUSB_ERROR_INVALID_PARAM: c_int = -2;
pub const LIBUSB_ERROR_ACCESS: c_int = -3;
pub const LIBUSB_ERROR_NO_DEVICE: c_int = -4;
pub const LIBUSB_ERROR_NOT_FOUND: c_int = -5;
pub const LIBUSB_ERROR_BUSY: c_int = -6;
pub const LIBUSB_ERROR_TIMEOUT: c_int = -7;
pub const LIBUSB_ERROR_OVERFLOW: c_int = -8;
pub const LIBUSB_ERROR_PIPE: c_int = -9;
pub const LIBUSB_ERROR_INTERRUPTED: c_int = -10;
pub const LIBUSB_ERROR_NO_MEM: c_int = -11;
pub const LIBUSB_ERROR_NOT_SUPPORTED: c_int = -12;
pub const LIBUSB_ERROR_OTHER: c_int = -99;

pub const LIBUSB_SPEED_FULL: c_int = 2;

const LIBUSB_DT_DEVICE: u8 = 0x01;
const LIBUSB_DT_CONFIG: u8 = 0x02;
const LIBUSB_DT_STRING: u8 = 0x03;
const LIBUSB_DT_INTERFACE: u8 = 0x04;
const LIBUSB_DT_ENDPOINT: u8 = 0x05;
const LIBUSB_DT_CONFIG_SIZE: usize = 9;
const LIBUSB_DT_INTERFACE_SIZE: usize = 9;
const LIBUSB_DT_ENDPOINT_SIZE: usize = 7;
const LIBUSB_DT_ENDPOINT_AUDIO_SIZE: usize = 9;
const DESC_HEADER_LENGTH: usize = 2;
const USB_MAXINTERFACES: u8 = 32;
const USB_MAXENDPOINTS: u8 = 32;

// ---------------------------------------------------------------------------------------------
// The public structures of libusb.h (1.0.26), field for field.

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct libusb_device_descriptor {
    pub bLength: u8,
    pub bDescriptorType: u8,
    pub bcdUSB: u16,
    pub bDeviceClass: u8,
    pub bDeviceSubClass: u8,
    pub bDeviceProtocol: u8,
    pub bMaxPacketSize0: u8,
    pub idVendor: u16,
    pub idProduct: u16,
    pub bcdDevice: u16,
    pub iManufacturer: u8,
    pub iProduct: u8,
    pub iSerialNumber: u8,
    pub bNumConfigurations: u8,
}

#[repr(C)]
#[derive(Debug)]
pub struct libusb_endpoint_descriptor {
    pub bLength: u8,
    pub bDescriptorType: u8,
    pub bEndpointAddress: u8,
    pub bmAttributes: u8,
    pub wMaxPacketSize: u16,
    pub bInterval: u8,
    pub bRefresh: u8,
    pub bSynchAddress: u8,
    pub extra: *const c_uchar,
    pub extra_length: c_int,
}

#[repr(C)]
#[derive(Debug)]
pub struct libusb_interface_descriptor {
    pub bLength: u8,
    pub bDescriptorType: u8,
    pub bInterfaceNumber: u8,
    pub bAlternateSetting: u8,
    pub bNumEndpoints: u8,
    pub bInterfaceClass: u8,
    pub bInterfaceSubClass: u8,
    pub bInterfaceProtocol: u8,
    pub iInterface: u8,
    pub endpoint: *const libusb_endpoint_descriptor,
    pub extra: *const c_uchar,
    pub extra_length: c_int,
}

#[repr(C)]
#[derive(Debug)]
pub struct libusb_interface {
    pub altsetting: *const libusb_interface_descriptor,
    pub num_altsetting: c_int,
}

#[repr(C)]
#[derive(Debug)]
pub struct libusb_config_descriptor {
    pub bLength: u8,
    pub bDescriptorType: u8,
    pub wTotalLength: u16,
    pub bNumInterfaces: u8,
    pub bConfigurationValue: u8,
    pub iConfiguration: u8,
    pub bmAttributes: u8,
    pub MaxPower: u8,
    pub interface: *const libusb_interface,
    pub extra: *const c_uchar,
    pub extra_length: c_int,
}

#[repr(C)]
#[derive(Debug)]
pub struct libusb_version {
    pub major: u16,
    pub minor: u16,
    pub micro: u16,
    pub nano: u16,
    pub rc: *const c_char,
    pub describe: *const c_char,
}

/// `struct timeval` (Linux: two longs).
#[repr(C)]
#[derive(Debug)]
pub struct timeval {
    pub tv_sec: c_long,
    pub tv_usec: c_long,
}

/// Opaque to C. A context holds nothing: every call reads the bus afresh.
pub struct libusb_context {
    _private: u8,
}

/// Opaque to C: one device as a device list found it.
pub struct libusb_device {
    refs: AtomicUsize,
    usb: UsbDevice,
}

/// Opaque to C: an open device, holding a reference to its `libusb_device`.
pub struct libusb_device_handle {
    dev: *mut libusb_device,
    handle: Mutex<Handle>,
}

pub type libusb_hotplug_callback_fn = Option<
    unsafe extern "C" fn(*mut libusb_context, *mut libusb_device, c_int, *mut c_void) -> c_int,
>;
pub type libusb_log_cb = Option<unsafe extern "C" fn(*mut libusb_context, c_int, *const c_char)>;

// ---------------------------------------------------------------------------------------------
// Helpers

/// Runs `f`, turning a panic into `fallback`.
fn guard<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(Table::embedded)
}

fn code(e: UsbError) -> c_int {
    e as c_int
}

fn new_device(usb: UsbDevice) -> *mut libusb_device {
    Box::into_raw(Box::new(libusb_device {
        refs: AtomicUsize::new(1),
        usb,
    }))
}

/// The model of an open device; a poisoned lock (a panic mid-transfer) is still usable.
fn model(h: &libusb_device_handle) -> std::sync::MutexGuard<'_, Handle> {
    h.handle.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sleeps a little (no events can ever be pending), at most `limit`.
fn idle(limit: Option<Duration>) {
    let d = Duration::from_millis(10);
    std::thread::sleep(limit.map_or(d, |l| l.min(d)));
}

unsafe fn timeout_of(tv: *const timeval) -> Option<Duration> {
    // SAFETY: libusb's contract: `tv` is NULL or a valid timeval.
    let tv = unsafe { tv.as_ref() }?;
    let micros = (tv.tv_sec.max(0) as u64)
        .saturating_mul(1_000_000)
        .saturating_add(tv.tv_usec.max(0) as u64);
    Some(Duration::from_micros(micros))
}

// ---------------------------------------------------------------------------------------------
// Configuration descriptors, parsed as libusb's descriptor.c parses them

/// A parsed configuration and everything it points to, freed as one by
/// `libusb_free_config_descriptor` (the C struct is the first field, so the pointer libusb hands
/// out is the pointer to this box).
#[repr(C)]
struct ConfigBox {
    desc: libusb_config_descriptor,
    interfaces: Vec<libusb_interface>,
    alts: Vec<Vec<libusb_interface_descriptor>>,
    endpoints: Vec<Vec<libusb_endpoint_descriptor>>,
    extras: Vec<Vec<u8>>,
}

struct Endpoint {
    bytes: [u8; 9],
    extra: Vec<u8>,
}

struct Alt {
    bytes: [u8; 9],
    extra: Vec<u8>,
    endpoints: Vec<Endpoint>,
}

/// The descriptors after `at` up to the next interface, endpoint, configuration or device
/// descriptor: `Ok(end)`, or `Err(end)` when a descriptor runs past the data (libusb warns and
/// stops parsing there), or an error for a descriptor shorter than its header.
fn skip_extra(raw: &[u8], mut at: usize) -> Result<Result<usize, usize>, c_int> {
    while raw.len() - at >= DESC_HEADER_LENGTH {
        let len = raw[at] as usize;
        if len < DESC_HEADER_LENGTH {
            return Err(LIBUSB_ERROR_IO);
        }
        if len > raw.len() - at {
            return Ok(Err(at));
        }
        if matches!(
            raw[at + 1],
            LIBUSB_DT_INTERFACE | LIBUSB_DT_ENDPOINT | LIBUSB_DT_CONFIG | LIBUSB_DT_DEVICE
        ) {
            break;
        }
        at += len;
    }
    Ok(Ok(at))
}

/// One endpoint at `at`: the bytes parsed, or `None` where libusb's `parse_endpoint` returns 0.
fn parse_endpoint(raw: &[u8], at: usize) -> Result<Option<(Endpoint, usize)>, c_int> {
    let size = raw.len() - at;
    if size < DESC_HEADER_LENGTH {
        return Err(LIBUSB_ERROR_IO);
    }
    let len = raw[at] as usize;
    if raw[at + 1] != LIBUSB_DT_ENDPOINT {
        return Ok(None);
    }
    if len < LIBUSB_DT_ENDPOINT_SIZE {
        return Err(LIBUSB_ERROR_IO);
    }
    if len > size {
        return Ok(None);
    }
    let mut bytes = [0u8; 9];
    let n = if len >= LIBUSB_DT_ENDPOINT_AUDIO_SIZE {
        LIBUSB_DT_ENDPOINT_AUDIO_SIZE
    } else {
        LIBUSB_DT_ENDPOINT_SIZE
    };
    bytes[..n].copy_from_slice(&raw[at..at + n]);
    let start = at + len;
    let end = match skip_extra(raw, start)? {
        Ok(end) => end,
        // A short descriptor: the endpoint counts, its extra bytes are dropped.
        Err(end) => {
            return Ok(Some((
                Endpoint {
                    bytes,
                    extra: Vec::new(),
                },
                end - at,
            )));
        }
    };
    let extra = raw[start..end].to_vec();
    Ok(Some((Endpoint { bytes, extra }, end - at)))
}

/// One interface (its consecutive alt settings) at `at`, and the bytes consumed (0: none).
fn parse_interface(raw: &[u8], mut at: usize) -> Result<(Vec<Alt>, usize), c_int> {
    let begin = at;
    let mut alts = Vec::new();
    let mut number: Option<u8> = None;
    while raw.len() - at >= LIBUSB_DT_INTERFACE_SIZE {
        let d = &raw[at..at + LIBUSB_DT_INTERFACE_SIZE];
        let len = d[0] as usize;
        if d[1] != LIBUSB_DT_INTERFACE {
            return Ok((alts, at - begin));
        }
        if len < LIBUSB_DT_INTERFACE_SIZE {
            return Err(LIBUSB_ERROR_IO);
        }
        if len > raw.len() - at {
            return Ok((alts, at - begin));
        }
        if d[4] > USB_MAXENDPOINTS {
            return Err(LIBUSB_ERROR_IO);
        }
        let mut bytes = [0u8; 9];
        bytes.copy_from_slice(d);
        number.get_or_insert(d[2]);
        at += len;
        let extra_end = match skip_extra(raw, at)? {
            Ok(end) => end,
            Err(end) => {
                alts.push(Alt {
                    bytes,
                    extra: Vec::new(),
                    endpoints: Vec::new(),
                });
                return Ok((alts, end - begin));
            }
        };
        let extra = raw[at..extra_end].to_vec();
        at = extra_end;
        let mut endpoints = Vec::new();
        for _ in 0..bytes[4] {
            match parse_endpoint(raw, at)? {
                Some((ep, n)) => {
                    endpoints.push(ep);
                    at += n;
                }
                None => break,
            }
        }
        bytes[4] = endpoints.len() as u8;
        alts.push(Alt {
            bytes,
            extra,
            endpoints,
        });
        let next = &raw[at..];
        if next.len() < LIBUSB_DT_INTERFACE_SIZE
            || next[1] != LIBUSB_DT_INTERFACE
            || Some(next[2]) != number
        {
            break;
        }
    }
    Ok((alts, at - begin))
}

/// A whole configuration descriptor (`raw` = what GET_DESCRIPTOR(CONFIGURATION) returned).
fn parse_config(raw: &[u8]) -> Result<Box<ConfigBox>, c_int> {
    if raw.len() < LIBUSB_DT_CONFIG_SIZE {
        return Err(LIBUSB_ERROR_IO);
    }
    let total = u16::from_le_bytes([raw[2], raw[3]]);
    let raw = &raw[..raw.len().min(usize::from(total))];
    if raw.len() < LIBUSB_DT_CONFIG_SIZE
        || raw[1] != LIBUSB_DT_CONFIG
        || (raw[0] as usize) < LIBUSB_DT_CONFIG_SIZE
        || raw[0] as usize > raw.len()
        || raw[4] > USB_MAXINTERFACES
    {
        return Err(LIBUSB_ERROR_IO);
    }
    let mut config_extra = Vec::new();
    let mut interfaces: Vec<Vec<Alt>> = Vec::new();
    let mut at = raw[0] as usize;
    for _ in 0..raw[4] {
        let end = match skip_extra(raw, at)? {
            Ok(end) => end,
            Err(_) => break,
        };
        config_extra.extend_from_slice(&raw[at..end]);
        at = end;
        let (alts, n) = parse_interface(raw, at)?;
        if n == 0 {
            break;
        }
        interfaces.push(alts);
        at += n;
    }
    Ok(assemble(raw, config_extra, interfaces))
}

fn extra_ptr(extras: &mut Vec<Vec<u8>>, bytes: Vec<u8>) -> (*const c_uchar, c_int) {
    if bytes.is_empty() {
        return (ptr::null(), 0);
    }
    let p = (bytes.as_ptr(), bytes.len() as c_int);
    // Moving the Vec into `extras` keeps its heap buffer (and `p`) where it is.
    extras.push(bytes);
    p
}

/// Lays the parsed tree out as libusb's structures, all owned by one box.
fn assemble(raw: &[u8], config_extra: Vec<u8>, parsed: Vec<Vec<Alt>>) -> Box<ConfigBox> {
    let mut extras = Vec::new();
    let mut all_alts = Vec::new();
    let mut all_endpoints = Vec::new();
    let mut interfaces = Vec::new();
    for alts in parsed {
        let mut descs = Vec::new();
        for alt in alts {
            let mut eps = Vec::new();
            for ep in alt.endpoints {
                let b = ep.bytes;
                let (extra, extra_length) = extra_ptr(&mut extras, ep.extra);
                eps.push(libusb_endpoint_descriptor {
                    bLength: b[0],
                    bDescriptorType: b[1],
                    bEndpointAddress: b[2],
                    bmAttributes: b[3],
                    wMaxPacketSize: u16::from_le_bytes([b[4], b[5]]),
                    bInterval: b[6],
                    bRefresh: b[7],
                    bSynchAddress: b[8],
                    extra,
                    extra_length,
                });
            }
            let endpoint = if eps.is_empty() {
                ptr::null()
            } else {
                eps.as_ptr()
            };
            all_endpoints.push(eps);
            let b = alt.bytes;
            let (extra, extra_length) = extra_ptr(&mut extras, alt.extra);
            descs.push(libusb_interface_descriptor {
                bLength: b[0],
                bDescriptorType: b[1],
                bInterfaceNumber: b[2],
                bAlternateSetting: b[3],
                bNumEndpoints: b[4],
                bInterfaceClass: b[5],
                bInterfaceSubClass: b[6],
                bInterfaceProtocol: b[7],
                iInterface: b[8],
                endpoint,
                extra,
                extra_length,
            });
        }
        interfaces.push(libusb_interface {
            altsetting: if descs.is_empty() {
                ptr::null()
            } else {
                descs.as_ptr()
            },
            num_altsetting: descs.len() as c_int,
        });
        all_alts.push(descs);
    }
    let (extra, extra_length) = extra_ptr(&mut extras, config_extra);
    let desc = libusb_config_descriptor {
        bLength: raw[0],
        bDescriptorType: raw[1],
        wTotalLength: u16::from_le_bytes([raw[2], raw[3]]),
        bNumInterfaces: interfaces.len() as u8,
        bConfigurationValue: raw[5],
        iConfiguration: raw[6],
        bmAttributes: raw[7],
        MaxPower: raw[8],
        interface: if interfaces.is_empty() {
            ptr::null()
        } else {
            interfaces.as_ptr()
        },
        extra,
        extra_length,
    };
    Box::new(ConfigBox {
        desc,
        interfaces,
        alts: all_alts,
        endpoints: all_endpoints,
        extras,
    })
}

unsafe fn give_config(raw: &[u8], config: *mut *mut libusb_config_descriptor) -> Result<(), c_int> {
    if config.is_null() {
        return Err(LIBUSB_ERROR_INVALID_PARAM);
    }
    let parsed = parse_config(raw)?;
    // SAFETY: checked non-NULL; the caller passes a writable pointer.
    unsafe { *config = Box::into_raw(parsed).cast() };
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Library and context

struct StaticVersion(libusb_version);
// SAFETY: the pointers are to static, immutable strings.
unsafe impl Sync for StaticVersion {}

static VERSION: StaticVersion = StaticVersion(libusb_version {
    major: 1,
    minor: 0,
    micro: 26,
    nano: 11785,
    rc: c"".as_ptr(),
    describe: c"pbuild simulated bus".as_ptr(),
});

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_get_version() -> *const libusb_version {
    &VERSION.0
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_init(ctx: *mut *mut libusb_context) -> c_int {
    guard(LIBUSB_ERROR_OTHER, || {
        let _ = table();
        if !ctx.is_null() {
            // SAFETY: a writable pointer per libusb's contract.
            unsafe { *ctx = Box::into_raw(Box::new(libusb_context { _private: 0 })) };
        }
        LIBUSB_SUCCESS
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_exit(ctx: *mut libusb_context) {
    if !ctx.is_null() {
        // SAFETY: made by libusb_init and not used after this.
        drop(unsafe { Box::from_raw(ctx) });
    }
}

/// Variadic in C; the options are accepted and ignored (the extra argument, if any, is not
/// read, which the x86-64 and AArch64 calling conventions allow).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_set_option(_ctx: *mut libusb_context, _option: c_int) -> c_int {
    LIBUSB_SUCCESS
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_set_debug(_ctx: *mut libusb_context, _level: c_int) {}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_set_log_cb(
    _ctx: *mut libusb_context,
    _cb: libusb_log_cb,
    _mode: c_int,
) {
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_setlocale(_locale: *const c_char) -> c_int {
    LIBUSB_SUCCESS
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_has_capability(_capability: u32) -> c_int {
    0
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_error_name(errcode: c_int) -> *const c_char {
    match errcode {
        LIBUSB_SUCCESS => c"LIBUSB_SUCCESS / LIBUSB_TRANSFER_COMPLETED",
        LIBUSB_ERROR_IO => c"LIBUSB_ERROR_IO",
        LIBUSB_ERROR_INVALID_PARAM => c"LIBUSB_ERROR_INVALID_PARAM",
        LIBUSB_ERROR_ACCESS => c"LIBUSB_ERROR_ACCESS",
        LIBUSB_ERROR_NO_DEVICE => c"LIBUSB_ERROR_NO_DEVICE",
        LIBUSB_ERROR_NOT_FOUND => c"LIBUSB_ERROR_NOT_FOUND",
        LIBUSB_ERROR_BUSY => c"LIBUSB_ERROR_BUSY",
        LIBUSB_ERROR_TIMEOUT => c"LIBUSB_ERROR_TIMEOUT",
        LIBUSB_ERROR_OVERFLOW => c"LIBUSB_ERROR_OVERFLOW",
        LIBUSB_ERROR_PIPE => c"LIBUSB_ERROR_PIPE",
        LIBUSB_ERROR_INTERRUPTED => c"LIBUSB_ERROR_INTERRUPTED",
        LIBUSB_ERROR_NO_MEM => c"LIBUSB_ERROR_NO_MEM",
        LIBUSB_ERROR_NOT_SUPPORTED => c"LIBUSB_ERROR_NOT_SUPPORTED",
        LIBUSB_ERROR_OTHER => c"LIBUSB_ERROR_OTHER",
        // Transfer statuses share this function in libusb.
        1 => c"LIBUSB_TRANSFER_ERROR",
        2 => c"LIBUSB_TRANSFER_TIMED_OUT",
        3 => c"LIBUSB_TRANSFER_CANCELLED",
        4 => c"LIBUSB_TRANSFER_STALL",
        5 => c"LIBUSB_TRANSFER_NO_DEVICE",
        6 => c"LIBUSB_TRANSFER_OVERFLOW",
        _ => c"**UNKNOWN**",
    }
    .as_ptr()
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_strerror(errcode: c_int) -> *const c_char {
    match errcode {
        LIBUSB_SUCCESS => c"Success",
        LIBUSB_ERROR_IO => c"Input/Output Error",
        LIBUSB_ERROR_INVALID_PARAM => c"Invalid parameter",
        LIBUSB_ERROR_ACCESS => c"Access denied (insufficient permissions)",
        LIBUSB_ERROR_NO_DEVICE => c"No such device (it may have been disconnected)",
        LIBUSB_ERROR_NOT_FOUND => c"Entity not found",
        LIBUSB_ERROR_BUSY => c"Resource busy",
        LIBUSB_ERROR_TIMEOUT => c"Operation timed out",
        LIBUSB_ERROR_OVERFLOW => c"Overflow",
        LIBUSB_ERROR_PIPE => c"Pipe error",
        LIBUSB_ERROR_INTERRUPTED => c"System call interrupted (perhaps due to signal)",
        LIBUSB_ERROR_NO_MEM => c"Insufficient memory",
        LIBUSB_ERROR_NOT_SUPPORTED => c"Operation not supported or unimplemented on this platform",
        LIBUSB_ERROR_OTHER => c"Other error",
        _ => c"Unknown error",
    }
    .as_ptr()
}

// ---------------------------------------------------------------------------------------------
// Events (there are no asynchronous transfers, so there is never anything to handle)

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_handle_events(_ctx: *mut libusb_context) -> c_int {
    idle(None);
    LIBUSB_SUCCESS
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_handle_events_completed(
    _ctx: *mut libusb_context,
    completed: *mut c_int,
) -> c_int {
    // SAFETY: NULL or a valid int per libusb's contract.
    if unsafe { completed.as_ref() }.is_none_or(|c| *c == 0) {
        idle(None);
    }
    LIBUSB_SUCCESS
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_handle_events_timeout(
    _ctx: *mut libusb_context,
    tv: *mut timeval,
) -> c_int {
    // SAFETY: NULL or a valid timeval.
    idle(unsafe { timeout_of(tv) });
    LIBUSB_SUCCESS
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_handle_events_timeout_completed(
    _ctx: *mut libusb_context,
    tv: *mut timeval,
    completed: *mut c_int,
) -> c_int {
    // SAFETY: NULL or valid pointers per libusb's contract.
    if unsafe { completed.as_ref() }.is_none_or(|c| *c == 0) {
        idle(unsafe { timeout_of(tv) });
    }
    LIBUSB_SUCCESS
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_get_next_timeout(
    _ctx: *mut libusb_context,
    _tv: *mut timeval,
) -> c_int {
    0
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_interrupt_event_handler(_ctx: *mut libusb_context) {}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_hotplug_register_callback(
    _ctx: *mut libusb_context,
    _events: c_int,
    _flags: c_int,
    _vendor_id: c_int,
    _product_id: c_int,
    _dev_class: c_int,
    _cb_fn: libusb_hotplug_callback_fn,
    _user_data: *mut c_void,
    _callback_handle: *mut c_int,
) -> c_int {
    LIBUSB_ERROR_NOT_SUPPORTED
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_hotplug_deregister_callback(
    _ctx: *mut libusb_context,
    _callback_handle: c_int,
) {
}

// ---------------------------------------------------------------------------------------------
// Devices

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_get_device_list(
    _ctx: *mut libusb_context,
    list: *mut *mut *mut libusb_device,
) -> isize {
    if list.is_null() {
        return LIBUSB_ERROR_INVALID_PARAM as isize;
    }
    guard(LIBUSB_ERROR_OTHER as isize, || {
        let found = devices(table());
        let count = found.len();
        let mut array: Vec<*mut libusb_device> = found.into_iter().map(new_device).collect();
        array.push(ptr::null_mut());
        let array = Box::into_raw(array.into_boxed_slice());
        // SAFETY: checked non-NULL; writable per libusb's contract.
        unsafe { *list = array.cast() };
        count as isize
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_free_device_list(
    list: *mut *mut libusb_device,
    unref_devices: c_int,
) {
    if list.is_null() {
        return;
    }
    let mut len = 0;
    // SAFETY: a NULL-terminated array made by libusb_get_device_list.
    unsafe {
        while !(*list.add(len)).is_null() {
            if unref_devices != 0 {
                libusb_unref_device(*list.add(len));
            }
            len += 1;
        }
        drop(Box::from_raw(ptr::slice_from_raw_parts_mut(list, len + 1)));
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_ref_device(dev: *mut libusb_device) -> *mut libusb_device {
    // SAFETY: NULL or a live device.
    if let Some(d) = unsafe { dev.as_ref() } {
        d.refs.fetch_add(1, Ordering::Relaxed);
    }
    dev
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_unref_device(dev: *mut libusb_device) {
    // SAFETY: NULL or a live device; the last reference frees it.
    unsafe {
        if let Some(d) = dev.as_ref()
            && d.refs.fetch_sub(1, Ordering::AcqRel) == 1
        {
            let _ = catch_unwind(AssertUnwindSafe(|| drop(Box::from_raw(dev))));
        }
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_get_device_descriptor(
    dev: *mut libusb_device,
    desc: *mut libusb_device_descriptor,
) -> c_int {
    // SAFETY: a live device and a writable descriptor per libusb's contract.
    let (Some(dev), false) = (unsafe { dev.as_ref() }, desc.is_null()) else {
        return LIBUSB_ERROR_INVALID_PARAM;
    };
    let d = &dev.usb.descriptor;
    let out = libusb_device_descriptor {
        bLength: 18,
        bDescriptorType: LIBUSB_DT_DEVICE,
        bcdUSB: d.bcd_usb,
        bDeviceClass: d.class,
        bDeviceSubClass: d.subclass,
        bDeviceProtocol: d.protocol,
        bMaxPacketSize0: d.max_packet_size0,
        idVendor: d.vendor,
        idProduct: d.product,
        bcdDevice: d.bcd_device,
        iManufacturer: d.i_manufacturer,
        iProduct: d.i_product,
        iSerialNumber: d.i_serial,
        bNumConfigurations: d.num_configurations,
    };
    // SAFETY: checked non-NULL above.
    unsafe { desc.write(out) };
    LIBUSB_SUCCESS
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_get_config_descriptor(
    dev: *mut libusb_device,
    config_index: u8,
    config: *mut *mut libusb_config_descriptor,
) -> c_int {
    // SAFETY: a live device per libusb's contract.
    let Some(dev) = (unsafe { dev.as_ref() }) else {
        return LIBUSB_ERROR_INVALID_PARAM;
    };
    if config_index >= dev.usb.descriptor.num_configurations {
        return LIBUSB_ERROR_NOT_FOUND;
    }
    guard(LIBUSB_ERROR_OTHER, || {
        // SAFETY: `config` is checked inside.
        match unsafe { give_config(&dev.usb.config, config) } {
            Ok(()) => LIBUSB_SUCCESS,
            Err(e) => e,
        }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_get_active_config_descriptor(
    dev: *mut libusb_device,
    config: *mut *mut libusb_config_descriptor,
) -> c_int {
    // SAFETY: forwarded; the one configuration is always the active one.
    unsafe { libusb_get_config_descriptor(dev, 0, config) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_get_config_descriptor_by_value(
    dev: *mut libusb_device,
    bConfigurationValue: u8,
    config: *mut *mut libusb_config_descriptor,
) -> c_int {
    // SAFETY: a live device per libusb's contract.
    let Some(d) = (unsafe { dev.as_ref() }) else {
        return LIBUSB_ERROR_INVALID_PARAM;
    };
    if d.usb.config.get(5) != Some(&bConfigurationValue) {
        return LIBUSB_ERROR_NOT_FOUND;
    }
    // SAFETY: forwarded.
    unsafe { libusb_get_config_descriptor(dev, 0, config) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_free_config_descriptor(config: *mut libusb_config_descriptor) {
    if !config.is_null() {
        // SAFETY: made by give_config: the descriptor is the first field of a ConfigBox.
        drop(unsafe { Box::from_raw(config.cast::<ConfigBox>()) });
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_get_bus_number(dev: *mut libusb_device) -> u8 {
    // SAFETY: NULL or a live device.
    unsafe { dev.as_ref() }.map_or(0, |d| d.usb.bus)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_get_device_address(dev: *mut libusb_device) -> u8 {
    // SAFETY: NULL or a live device.
    unsafe { dev.as_ref() }.map_or(0, |d| d.usb.address)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_get_port_number(dev: *mut libusb_device) -> u8 {
    // SAFETY: NULL or a live device.
    unsafe { dev.as_ref() }
        .and_then(|d| d.usb.ports.last().copied())
        .unwrap_or(0)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_get_port_numbers(
    dev: *mut libusb_device,
    port_numbers: *mut u8,
    port_numbers_len: c_int,
) -> c_int {
    // SAFETY: a live device per libusb's contract.
    let Some(dev) = (unsafe { dev.as_ref() }) else {
        return LIBUSB_ERROR_INVALID_PARAM;
    };
    if port_numbers_len <= 0 || port_numbers.is_null() {
        return LIBUSB_ERROR_INVALID_PARAM;
    }
    let ports = &dev.usb.ports;
    if ports.len() > port_numbers_len as usize {
        return LIBUSB_ERROR_OVERFLOW;
    }
    // SAFETY: the caller's array holds port_numbers_len bytes.
    unsafe { ptr::copy_nonoverlapping(ports.as_ptr(), port_numbers, ports.len()) };
    ports.len() as c_int
}

/// libusb ≤ 1.0.16's name for `libusb_get_port_numbers`, still exported by libusb.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_get_port_path(
    _ctx: *mut libusb_context,
    dev: *mut libusb_device,
    path: *mut u8,
    path_length: u8,
) -> c_int {
    // SAFETY: forwarded.
    unsafe { libusb_get_port_numbers(dev, path, c_int::from(path_length)) }
}

/// The root hub is not listed, so no device has a parent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_get_parent(_dev: *mut libusb_device) -> *mut libusb_device {
    ptr::null_mut()
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_get_device_speed(_dev: *mut libusb_device) -> c_int {
    LIBUSB_SPEED_FULL
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_get_max_packet_size(
    dev: *mut libusb_device,
    endpoint: c_uchar,
) -> c_int {
    // SAFETY: a live device per libusb's contract.
    let Some(dev) = (unsafe { dev.as_ref() }) else {
        return LIBUSB_ERROR_INVALID_PARAM;
    };
    guard(LIBUSB_ERROR_OTHER, || {
        let config = match parse_config(&dev.usb.config) {
            Ok(c) => c,
            Err(_) => return LIBUSB_ERROR_OTHER,
        };
        config
            .endpoints
            .iter()
            .flatten()
            .find(|e| e.bEndpointAddress == endpoint)
            .map_or(LIBUSB_ERROR_NOT_FOUND, |e| c_int::from(e.wMaxPacketSize))
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_get_max_iso_packet_size(
    dev: *mut libusb_device,
    endpoint: c_uchar,
) -> c_int {
    // SAFETY: forwarded. No endpoint is isochronous, so this is the plain packet size.
    unsafe { libusb_get_max_packet_size(dev, endpoint) }
}

// ---------------------------------------------------------------------------------------------
// Handles

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_open(
    dev: *mut libusb_device,
    dev_handle: *mut *mut libusb_device_handle,
) -> c_int {
    // SAFETY: a live device per libusb's contract.
    let Some(d) = (unsafe { dev.as_ref() }) else {
        return LIBUSB_ERROR_INVALID_PARAM;
    };
    if dev_handle.is_null() {
        return LIBUSB_ERROR_INVALID_PARAM;
    }
    guard(LIBUSB_ERROR_OTHER, || match Handle::open(&d.usb, table()) {
        Ok(handle) => {
            // SAFETY: the handle keeps a reference to its device until libusb_close.
            let dev = unsafe { libusb_ref_device(dev) };
            let h = Box::into_raw(Box::new(libusb_device_handle {
                dev,
                handle: Mutex::new(handle),
            }));
            // SAFETY: checked non-NULL.
            unsafe { *dev_handle = h };
            LIBUSB_SUCCESS
        }
        Err(e) => code(e),
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_open_device_with_vid_pid(
    ctx: *mut libusb_context,
    vendor_id: u16,
    product_id: u16,
) -> *mut libusb_device_handle {
    let mut list = ptr::null_mut();
    // SAFETY: our own list, walked up to its count and freed here.
    unsafe {
        let n = libusb_get_device_list(ctx, &mut list);
        if n < 0 {
            return ptr::null_mut();
        }
        let mut out = ptr::null_mut();
        for i in 0..n as usize {
            let dev = *list.add(i);
            let d = &(*dev).usb.descriptor;
            if d.vendor == vendor_id && d.product == product_id {
                if libusb_open(dev, &mut out) != LIBUSB_SUCCESS {
                    out = ptr::null_mut();
                }
                break;
            }
        }
        libusb_free_device_list(list, 1);
        out
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_wrap_sys_device(
    _ctx: *mut libusb_context,
    _sys_dev: isize,
    _dev_handle: *mut *mut libusb_device_handle,
) -> c_int {
    LIBUSB_ERROR_NOT_SUPPORTED
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_close(dev_handle: *mut libusb_device_handle) {
    if dev_handle.is_null() {
        return;
    }
    // SAFETY: made by libusb_open and not used after this.
    let h = unsafe { Box::from_raw(dev_handle) };
    let dev = h.dev;
    // Dropping the model's handle writes the session back (Handle::close).
    let _ = catch_unwind(AssertUnwindSafe(|| drop(h)));
    // SAFETY: the reference libusb_open took.
    unsafe { libusb_unref_device(dev) };
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_get_device(
    dev_handle: *mut libusb_device_handle,
) -> *mut libusb_device {
    // SAFETY: NULL or a live handle.
    unsafe { dev_handle.as_ref() }.map_or(ptr::null_mut(), |h| h.dev)
}

/// Runs `f` on the model of an open handle, mapping its error to libusb's code.
unsafe fn with_handle(
    dev_handle: *mut libusb_device_handle,
    f: impl FnOnce(&mut Handle) -> Result<c_int, UsbError>,
) -> c_int {
    // SAFETY: NULL or a live handle per libusb's contract.
    let Some(h) = (unsafe { dev_handle.as_ref() }) else {
        return LIBUSB_ERROR_INVALID_PARAM;
    };
    guard(LIBUSB_ERROR_OTHER, || match f(&mut model(h)) {
        Ok(n) => n,
        Err(e) => code(e),
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_claim_interface(
    dev_handle: *mut libusb_device_handle,
    interface_number: c_int,
) -> c_int {
    // SAFETY: forwarded.
    unsafe {
        with_handle(dev_handle, |h| {
            h.claim_interface(interface_number).map(|()| 0)
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_release_interface(
    dev_handle: *mut libusb_device_handle,
    _interface_number: c_int,
) -> c_int {
    if dev_handle.is_null() {
        return LIBUSB_ERROR_INVALID_PARAM;
    }
    LIBUSB_SUCCESS
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_set_interface_alt_setting(
    dev_handle: *mut libusb_device_handle,
    interface_number: c_int,
    alternate_setting: c_int,
) -> c_int {
    // SAFETY: forwarded.
    unsafe {
        with_handle(dev_handle, |h| {
            h.set_alt(interface_number, alternate_setting).map(|()| 0)
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_reset_device(dev_handle: *mut libusb_device_handle) -> c_int {
    // SAFETY: forwarded.
    unsafe { with_handle(dev_handle, |h| h.reset().map(|()| 0)) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_get_configuration(
    dev_handle: *mut libusb_device_handle,
    config: *mut c_int,
) -> c_int {
    if dev_handle.is_null() || config.is_null() {
        return LIBUSB_ERROR_INVALID_PARAM;
    }
    // SAFETY: checked non-NULL.
    unsafe { *config = 1 };
    LIBUSB_SUCCESS
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_set_configuration(
    dev_handle: *mut libusb_device_handle,
    configuration: c_int,
) -> c_int {
    if dev_handle.is_null() {
        return LIBUSB_ERROR_INVALID_PARAM;
    }
    if configuration == 1 {
        LIBUSB_SUCCESS
    } else {
        LIBUSB_ERROR_NOT_FOUND
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_clear_halt(
    dev_handle: *mut libusb_device_handle,
    _endpoint: c_uchar,
) -> c_int {
    if dev_handle.is_null() {
        return LIBUSB_ERROR_INVALID_PARAM;
    }
    LIBUSB_SUCCESS
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_kernel_driver_active(
    _dev_handle: *mut libusb_device_handle,
    _interface_number: c_int,
) -> c_int {
    0
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_detach_kernel_driver(
    _dev_handle: *mut libusb_device_handle,
    _interface_number: c_int,
) -> c_int {
    LIBUSB_SUCCESS
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_attach_kernel_driver(
    _dev_handle: *mut libusb_device_handle,
    _interface_number: c_int,
) -> c_int {
    LIBUSB_SUCCESS
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_set_auto_detach_kernel_driver(
    _dev_handle: *mut libusb_device_handle,
    _enable: c_int,
) -> c_int {
    LIBUSB_SUCCESS
}

// ---------------------------------------------------------------------------------------------
// Transfers

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_control_transfer(
    dev_handle: *mut libusb_device_handle,
    request_type: u8,
    bRequest: u8,
    wValue: u16,
    wIndex: u16,
    data: *mut c_uchar,
    wLength: u16,
    _timeout: c_uint,
) -> c_int {
    let len = usize::from(wLength);
    if data.is_null() && len > 0 {
        return LIBUSB_ERROR_INVALID_PARAM;
    }
    let device_in = request_type & 0x80 != 0;
    let mut buf = vec![0u8; len];
    if !device_in && len > 0 {
        // SAFETY: the caller's buffer holds wLength bytes.
        unsafe { ptr::copy_nonoverlapping(data, buf.as_mut_ptr(), len) };
    }
    // SAFETY: forwarded.
    let r = unsafe {
        with_handle(dev_handle, |h| {
            let n = h.control(request_type, bRequest, wValue, wIndex, &mut buf)?;
            Ok(n.min(len) as c_int)
        })
    };
    if device_in && r > 0 {
        // SAFETY: r ≤ wLength bytes, the size of the caller's buffer.
        unsafe { ptr::copy_nonoverlapping(buf.as_ptr(), data, r as usize) };
    }
    r
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_get_string_descriptor_ascii(
    dev_handle: *mut libusb_device_handle,
    desc_index: u8,
    data: *mut c_uchar,
    length: c_int,
) -> c_int {
    if desc_index == 0 || data.is_null() || length <= 0 {
        return LIBUSB_ERROR_INVALID_PARAM;
    }
    let mut tbuf = [0u8; 255];
    // SAFETY: our own buffer of 255 bytes.
    let r = unsafe {
        libusb_control_transfer(dev_handle, 0x80, 6, 0x0300, 0, tbuf.as_mut_ptr(), 255, 1000)
    };
    if r < 0 {
        return r;
    }
    if r < 4 {
        return LIBUSB_ERROR_IO;
    }
    let langid = u16::from_le_bytes([tbuf[2], tbuf[3]]);
    let value = 0x0300 | u16::from(desc_index);
    // SAFETY: our own buffer of 255 bytes.
    let r = unsafe {
        libusb_control_transfer(
            dev_handle,
            0x80,
            6,
            value,
            langid,
            tbuf.as_mut_ptr(),
            255,
            1000,
        )
    };
    if r < 0 {
        return r;
    }
    if r < 2 || tbuf[1] != LIBUSB_DT_STRING || tbuf[0] as c_int > r {
        return LIBUSB_ERROR_IO;
    }
    let mut out = Vec::new();
    let mut si = 2;
    while si + 1 < usize::from(tbuf[0]) && (out.len() as c_int) < length - 1 {
        let (lo, hi) = (tbuf[si], tbuf[si + 1]);
        out.push(if lo & 0x80 != 0 || hi != 0 { b'?' } else { lo });
        si += 2;
    }
    // SAFETY: out.len() + 1 ≤ length bytes, the size of the caller's buffer.
    unsafe {
        ptr::copy_nonoverlapping(out.as_ptr(), data, out.len());
        *data.add(out.len()) = 0;
    }
    out.len() as c_int
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_bulk_transfer(
    _dev_handle: *mut libusb_device_handle,
    _endpoint: c_uchar,
    _data: *mut c_uchar,
    _length: c_int,
    transferred: *mut c_int,
    _timeout: c_uint,
) -> c_int {
    if !transferred.is_null() {
        // SAFETY: checked non-NULL.
        unsafe { *transferred = 0 };
    }
    LIBUSB_ERROR_NOT_SUPPORTED
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn libusb_interrupt_transfer(
    dev_handle: *mut libusb_device_handle,
    endpoint: c_uchar,
    data: *mut c_uchar,
    length: c_int,
    transferred: *mut c_int,
    timeout: c_uint,
) -> c_int {
    // SAFETY: forwarded.
    unsafe { libusb_bulk_transfer(dev_handle, endpoint, data, length, transferred, timeout) }
}

#[cfg(test)]
mod tests;
