//! The exports called as C would call them: descriptor parsing (where libusb puts the extra
//! bytes) and one session against a simulated device on the bus.

use std::path::PathBuf;
use std::slice;

use pbuild::sim::usb::{DeviceDescriptor, Mode};
use pbuild::sim::{CreateOptions, SimDevice};

use super::*;

/// The DFU-mode configuration of `usb-facts.md` §3 with `alts` alt settings.
fn dfu_config(alts: u8) -> Vec<u8> {
    let total = 18 + 9 * u16::from(alts);
    let mut c = vec![9, 2];
    c.extend(total.to_le_bytes());
    c.extend([1, 1, 2, 0xC0, 0x32]);
    for alt in 0..alts {
        c.extend([9, 4, 0, alt, 0, 0xFE, 0x01, 0x02, 6 + alt]);
    }
    c.extend(FUNCTIONAL);
    c
}

const FUNCTIONAL: [u8; 9] = [9, 0x21, 0x0B, 0xFF, 0x00, 0x00, 0x10, 0x1A, 0x01];
const IAD: [u8; 8] = [8, 0x0B, 0, 2, 0x02, 0x02, 0x01, 0];
const CDC: [u8; 19] = [
    5, 0x24, 0x00, 0x10, 0x01, 5, 0x24, 0x01, 0x00, 0x01, 4, 0x24, 0x02, 0x02, 5, 0x24, 0x06, 0x00,
    0x01,
];

/// A configuration from its body (the header is computed).
fn config(interfaces: u8, body: &[u8]) -> Vec<u8> {
    let total = 9 + body.len() as u16;
    let mut c = vec![9, 2];
    c.extend(total.to_le_bytes());
    c.extend([interfaces, 1, 0, 0x80, 50]);
    c.extend(body);
    c
}

/// The normal-mode configuration: IAD, CDC communication (+ class descriptors, notification
/// endpoint), CDC data (two bulk endpoints), vendor interface.
fn normal_config() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(IAD);
    body.extend([9, 4, 0, 0, 1, 0x02, 0x02, 0x01, 4]);
    body.extend(CDC);
    body.extend([7, 5, 0x82, 0x03, 8, 0, 0xFF]);
    body.extend([9, 4, 1, 0, 2, 0x0A, 0, 0, 0]);
    body.extend([7, 5, 0x81, 0x02, 64, 0, 0]);
    body.extend([7, 5, 0x01, 0x02, 64, 0, 0]);
    body.extend([9, 4, 2, 0, 0, 0xFF, 0xFF, 0xFF, 0]);
    config(3, &body)
}

fn device(config: Vec<u8>) -> *mut libusb_device {
    new_device(UsbDevice {
        dir: PathBuf::from("/nonexistent"),
        mode: Mode::Dfu,
        bus: 1,
        address: 5,
        ports: vec![1],
        descriptor: DeviceDescriptor {
            bcd_usb: 0x0200,
            class: 0,
            subclass: 0,
            protocol: 0,
            max_packet_size0: 64,
            vendor: 0x2b04,
            product: 0xd006,
            bcd_device: 0x0250,
            i_manufacturer: 1,
            i_product: 2,
            i_serial: 3,
            num_configurations: 1,
        },
        config,
        strings: Vec::new(),
        denied: false,
    })
}

/// Parses `raw` through `libusb_get_config_descriptor`, hands the result to `check`, frees it.
fn with_config(raw: Vec<u8>, check: impl FnOnce(&libusb_config_descriptor)) {
    let dev = device(raw);
    let mut cfg = ptr::null_mut();
    unsafe {
        assert_eq!(libusb_get_config_descriptor(dev, 0, &mut cfg), 0);
        check(&*cfg);
        libusb_free_config_descriptor(cfg);
        libusb_unref_device(dev);
    }
}

fn parse_error(raw: Vec<u8>) -> c_int {
    let dev = device(raw);
    let mut cfg = ptr::null_mut();
    let r = unsafe { libusb_get_config_descriptor(dev, 0, &mut cfg) };
    assert!(cfg.is_null());
    unsafe { libusb_unref_device(dev) };
    r
}

fn extra(p: *const c_uchar, len: c_int) -> &'static [u8] {
    if p.is_null() {
        assert_eq!(len, 0);
        return &[];
    }
    unsafe { slice::from_raw_parts(p, len as usize) }
}

fn interfaces(c: &libusb_config_descriptor) -> &[libusb_interface] {
    unsafe { slice::from_raw_parts(c.interface, usize::from(c.bNumInterfaces)) }
}

fn alts(i: &libusb_interface) -> &[libusb_interface_descriptor] {
    unsafe { slice::from_raw_parts(i.altsetting, i.num_altsetting as usize) }
}

fn endpoints(a: &libusb_interface_descriptor) -> &[libusb_endpoint_descriptor] {
    if a.endpoint.is_null() {
        assert_eq!(a.bNumEndpoints, 0);
        return &[];
    }
    unsafe { slice::from_raw_parts(a.endpoint, usize::from(a.bNumEndpoints)) }
}

#[test]
fn layouts_match_libusb_h() {
    use std::mem::{offset_of, size_of};
    assert_eq!(size_of::<libusb_device_descriptor>(), 18);
    assert_eq!(offset_of!(libusb_device_descriptor, idVendor), 8);
    assert_eq!(offset_of!(libusb_device_descriptor, bNumConfigurations), 17);
    assert_eq!(size_of::<libusb_endpoint_descriptor>(), 32);
    assert_eq!(offset_of!(libusb_endpoint_descriptor, wMaxPacketSize), 4);
    assert_eq!(offset_of!(libusb_endpoint_descriptor, extra), 16);
    assert_eq!(offset_of!(libusb_endpoint_descriptor, extra_length), 24);
    assert_eq!(size_of::<libusb_interface_descriptor>(), 40);
    assert_eq!(offset_of!(libusb_interface_descriptor, endpoint), 16);
    assert_eq!(offset_of!(libusb_interface_descriptor, extra_length), 32);
    assert_eq!(size_of::<libusb_interface>(), 16);
    assert_eq!(size_of::<libusb_config_descriptor>(), 40);
    assert_eq!(offset_of!(libusb_config_descriptor, wTotalLength), 2);
    assert_eq!(offset_of!(libusb_config_descriptor, interface), 16);
    assert_eq!(offset_of!(libusb_config_descriptor, extra_length), 32);
    assert_eq!(size_of::<libusb_version>(), 24);
    assert_eq!(offset_of!(ConfigBox, desc), 0);
}

#[test]
fn dfu_functional_descriptor_is_in_the_last_alts_extra() {
    for n in [2u8, 3] {
        with_config(dfu_config(n), |c| {
            assert_eq!(c.wTotalLength, 18 + 9 * u16::from(n));
            assert_eq!(
                (c.bNumInterfaces, c.bConfigurationValue, c.iConfiguration),
                (1, 1, 2)
            );
            assert_eq!((c.bmAttributes, c.MaxPower), (0xC0, 0x32));
            assert_eq!(extra(c.extra, c.extra_length), &[] as &[u8]);
            let ifs = interfaces(c);
            let alts = alts(&ifs[0]);
            assert_eq!(alts.len(), usize::from(n));
            for (i, a) in alts.iter().enumerate() {
                assert_eq!(a.bInterfaceNumber, 0);
                assert_eq!(usize::from(a.bAlternateSetting), i);
                assert_eq!(
                    (
                        a.bInterfaceClass,
                        a.bInterfaceSubClass,
                        a.bInterfaceProtocol
                    ),
                    (0xFE, 1, 2)
                );
                assert_eq!(usize::from(a.iInterface), 6 + i);
                assert!(a.endpoint.is_null());
                let want: &[u8] = if i + 1 == alts.len() {
                    &FUNCTIONAL
                } else {
                    &[]
                };
                assert_eq!(extra(a.extra, a.extra_length), want);
            }
        });
    }
}

#[test]
fn class_descriptors_follow_their_interface_or_endpoint() {
    with_config(normal_config(), |c| {
        // Before the first interface: the configuration's extra, as libusb does.
        assert_eq!(extra(c.extra, c.extra_length), &IAD);
        let ifs = interfaces(c);
        assert_eq!(ifs.len(), 3);
        let comm = &alts(&ifs[0])[0];
        assert_eq!(extra(comm.extra, comm.extra_length), &CDC);
        let eps = endpoints(comm);
        assert_eq!(eps.len(), 1);
        assert_eq!((eps[0].bEndpointAddress, eps[0].bmAttributes), (0x82, 3));
        assert_eq!((eps[0].wMaxPacketSize, eps[0].bInterval), (8, 0xFF));
        assert_eq!(extra(eps[0].extra, eps[0].extra_length), &[] as &[u8]);
        let data = &alts(&ifs[1])[0];
        assert_eq!(data.bInterfaceClass, 0x0A);
        let eps = endpoints(data);
        assert_eq!(
            eps.iter().map(|e| e.bEndpointAddress).collect::<Vec<_>>(),
            [0x81, 0x01]
        );
        assert_eq!(eps[1].wMaxPacketSize, 64);
        let vendor = &alts(&ifs[2])[0];
        assert_eq!((vendor.bInterfaceNumber, vendor.bInterfaceClass), (2, 0xFF));
        assert!(vendor.endpoint.is_null());
        assert!(vendor.extra.is_null());
    });
}

#[test]
fn descriptors_after_an_endpoint_are_its_extra() {
    // An IAD between interfaces, and a class descriptor after the endpoint, belong to it.
    let mut body = Vec::new();
    body.extend([9, 4, 0, 0, 1, 0xFF, 0, 0, 0]);
    body.extend([9, 5, 0x81, 0x01, 0x40, 0x00, 1, 7, 0x85]); // audio-sized endpoint
    body.extend([7, 0x25, 1, 2, 3, 4, 5]);
    body.extend(IAD);
    body.extend([9, 4, 1, 0, 0, 0xFF, 0, 0, 0]);
    body.extend([9, 4, 1, 1, 0, 0xFF, 0, 0, 0]);
    body.extend([3, 0x24, 9]);
    with_config(config(2, &body), |c| {
        assert!(c.extra.is_null());
        let ifs = interfaces(c);
        let ep = &endpoints(&alts(&ifs[0])[0])[0];
        assert_eq!((ep.bLength, ep.bRefresh, ep.bSynchAddress), (9, 7, 0x85));
        let mut want = vec![7, 0x25, 1, 2, 3, 4, 5];
        want.extend(IAD);
        assert_eq!(extra(ep.extra, ep.extra_length), want.as_slice());
        let second = alts(&ifs[1]);
        assert_eq!(second.len(), 2);
        assert!(second[0].extra.is_null());
        assert_eq!(
            extra(second[1].extra, second[1].extra_length),
            &[3, 0x24, 9]
        );
    });
}

#[test]
fn interfaces_are_grouped_by_number_while_consecutive() {
    let mut body = Vec::new();
    body.extend([9, 4, 0, 0, 0, 0xFF, 0, 0, 0]);
    body.extend([9, 4, 0, 1, 0, 0xFF, 0, 0, 0]);
    body.extend([9, 4, 1, 0, 0, 0xFF, 0, 0, 0]);
    with_config(config(2, &body), |c| {
        let ifs = interfaces(c);
        assert_eq!((ifs[0].num_altsetting, ifs[1].num_altsetting), (2, 1));
    });
    // Fewer interfaces than bNumInterfaces: libusb lowers the count.
    with_config(config(3, &body), |c| assert_eq!(c.bNumInterfaces, 2));
}

#[test]
fn endpoints_missing_or_wrong_lower_the_count() {
    let mut body = Vec::new();
    body.extend([9, 4, 0, 0, 2, 0xFF, 0, 0, 0]);
    body.extend([7, 5, 0x81, 0x02, 64, 0, 0]);
    body.extend([9, 4, 1, 0, 0, 0xFF, 0, 0, 0]);
    with_config(config(2, &body), |c| {
        let ifs = interfaces(c);
        assert_eq!(alts(&ifs[0])[0].bNumEndpoints, 1);
        assert_eq!(c.bNumInterfaces, 2);
    });
}

#[test]
fn broken_configurations_are_io_errors() {
    assert_eq!(parse_error(vec![9, 2, 9]), LIBUSB_ERROR_IO);
    let mut wrong = config(0, &[]);
    wrong[1] = 1;
    assert_eq!(parse_error(wrong), LIBUSB_ERROR_IO);
    // A descriptor shorter than its own header.
    assert_eq!(parse_error(config(1, &[1, 0x24])), LIBUSB_ERROR_IO);
    // An interface descriptor claiming 8 bytes.
    assert_eq!(
        parse_error(config(1, &[8, 4, 0, 0, 0, 0xFF, 0, 0, 0])),
        LIBUSB_ERROR_IO
    );
    // wTotalLength shorter than the data: the rest is ignored.
    let mut c = dfu_config(2);
    c[2] = 27;
    with_config(c, |c| {
        let a = alts(&interfaces(c)[0]);
        assert_eq!(a.len(), 2);
        assert!(a[1].extra.is_null());
    });
    // An out-of-range configuration index.
    let dev = device(dfu_config(2));
    let mut cfg = ptr::null_mut();
    unsafe {
        assert_eq!(
            libusb_get_config_descriptor(dev, 1, &mut cfg),
            LIBUSB_ERROR_NOT_FOUND
        );
        assert_eq!(
            libusb_get_max_packet_size(dev, 0x81),
            LIBUSB_ERROR_NOT_FOUND
        );
        libusb_unref_device(dev);
    }
}

#[test]
fn device_queries() {
    let dev = device(normal_config());
    unsafe {
        let mut d = libusb_device_descriptor::default();
        assert_eq!(libusb_get_device_descriptor(dev, &mut d), 0);
        assert_eq!((d.bLength, d.bDescriptorType), (18, 1));
        assert_eq!(
            (d.idVendor, d.idProduct, d.bcdDevice),
            (0x2b04, 0xd006, 0x0250)
        );
        let mut ports = [0u8; 7];
        assert_eq!(libusb_get_port_numbers(dev, ports.as_mut_ptr(), 7), 1);
        assert_eq!(ports[0], 1);
        assert_eq!(
            libusb_get_port_numbers(dev, ports.as_mut_ptr(), 0),
            LIBUSB_ERROR_INVALID_PARAM
        );
        assert_eq!(libusb_get_port_number(dev), 1);
        assert_eq!(libusb_get_bus_number(dev), 1);
        assert_eq!(libusb_get_device_address(dev), 5);
        assert!(libusb_get_parent(dev).is_null());
        assert_eq!(libusb_get_max_packet_size(dev, 0x81), 64);
        assert_eq!(libusb_get_max_packet_size(dev, 0x82), 8);
        let mut cfg = ptr::null_mut();
        assert_eq!(libusb_get_config_descriptor_by_value(dev, 1, &mut cfg), 0);
        libusb_free_config_descriptor(cfg);
        assert_eq!(
            libusb_get_config_descriptor_by_value(dev, 2, &mut cfg),
            LIBUSB_ERROR_NOT_FOUND
        );
        assert_eq!(libusb_ref_device(dev), dev);
        libusb_unref_device(dev);
        libusb_unref_device(dev);
        let name = std::ffi::CStr::from_ptr(libusb_error_name(LIBUSB_ERROR_ACCESS));
        assert_eq!(name.to_str().unwrap(), "LIBUSB_ERROR_ACCESS");
        let text = std::ffi::CStr::from_ptr(libusb_strerror(LIBUSB_ERROR_PIPE));
        assert_eq!(text.to_str().unwrap(), "Pipe error");
        let v = &*libusb_get_version();
        assert_eq!((v.major, v.minor, v.micro), (1, 0, 26));
    }
}

/// The only test that touches `PBUILD_SIM_DEVICES`.
#[test]
fn a_session_with_a_simulated_photon() {
    let dir = std::env::temp_dir().join(format!("usbsim-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let table = Table::embedded();
    let photon = table.find("photon").expect("photon in the table");
    // Waiting in DFU mode (a created device otherwise runs, in normal mode).
    let sim = SimDevice::create(
        &dir,
        &CreateOptions {
            dfu: true,
            ..CreateOptions::release(&table, photon, 2302)
        },
    )
    .expect("create a simulated device");
    let serial = sim.identity.serial.clone();
    // SAFETY: no other test reads or writes the environment.
    unsafe { std::env::set_var("PBUILD_SIM_DEVICES", &dir) };
    unsafe {
        let mut ctx = ptr::null_mut();
        assert_eq!(libusb_init(&mut ctx), 0);
        let mut list = ptr::null_mut();
        assert_eq!(libusb_get_device_list(ctx, &mut list), 1);
        let dev = *list;
        assert!((*list.add(1)).is_null());
        let mut d = libusb_device_descriptor::default();
        libusb_get_device_descriptor(dev, &mut d);
        assert_eq!((d.idVendor, d.idProduct), (0x2b04, 0xd006));
        let mut cfg = ptr::null_mut();
        assert_eq!(libusb_get_config_descriptor(dev, 0, &mut cfg), 0);
        let a = alts(&interfaces(&*cfg)[0]);
        assert_eq!(a.len(), 2);
        assert_eq!(extra(a[1].extra, a[1].extra_length), &FUNCTIONAL);
        libusb_free_config_descriptor(cfg);

        let mut h = ptr::null_mut();
        assert_eq!(libusb_open(dev, &mut h), 0);
        libusb_free_device_list(list, 1);
        // The handle keeps its device alive.
        assert_eq!(libusb_get_device_address(libusb_get_device(h)), 5);
        let mut text = [0u8; 64];
        let n = libusb_get_string_descriptor_ascii(h, 3, text.as_mut_ptr(), 64);
        assert_eq!(&text[..n as usize], serial.as_bytes());
        assert_eq!(text[n as usize], 0);
        let n = libusb_get_string_descriptor_ascii(h, 7, text.as_mut_ptr(), 6);
        assert_eq!(&text[..n as usize], b"@DCT ");
        assert_eq!(libusb_claim_interface(h, 0), 0);
        assert_eq!(libusb_set_interface_alt_setting(h, 0, 0), 0);
        assert_eq!(
            libusb_set_interface_alt_setting(h, 0, 5),
            LIBUSB_ERROR_NOT_FOUND
        );
        let mut status = [0u8; 6];
        let n = libusb_control_transfer(h, 0xA1, 3, 0, 0, status.as_mut_ptr(), 6, 5000);
        assert_eq!((n, status[4]), (6, 2));
        // SET_ADDRESS 0x080A0000, then its GETSTATUS (dfuDNBUSY), then UPLOAD block 2.
        let mut cmd = [0x21, 0x00, 0x00, 0x0A, 0x08];
        let n = libusb_control_transfer(h, 0x21, 1, 0, 0, cmd.as_mut_ptr(), 5, 5000);
        assert_eq!(n, 5);
        let n = libusb_control_transfer(h, 0xA1, 3, 0, 0, status.as_mut_ptr(), 6, 5000);
        assert_eq!((n, status[4]), (6, 4));
        libusb_control_transfer(h, 0x21, 6, 0, 0, ptr::null_mut(), 0, 5000);
        let mut block = vec![0u8; 4096];
        let n = libusb_control_transfer(h, 0xA1, 2, 2, 0, block.as_mut_ptr(), 4096, 5000);
        assert_eq!(n, 4096);
        assert_eq!(block, sim.flash[0xA0000..0xA1000]);
        // A stalled request: block 1.
        let n = libusb_control_transfer(h, 0xA1, 2, 1, 0, block.as_mut_ptr(), 4096, 5000);
        assert_eq!(n, LIBUSB_ERROR_PIPE);
        libusb_close(h);

        assert!(libusb_open_device_with_vid_pid(ctx, 0x2b04, 0xd008).is_null());
        let h = libusb_open_device_with_vid_pid(ctx, 0x2b04, 0xd006);
        assert!(!h.is_null());
        libusb_close(h);

        std::fs::write(dir.join("fault"), "permission-denied\n").unwrap();
        let mut list = ptr::null_mut();
        assert_eq!(libusb_get_device_list(ctx, &mut list), 1);
        let mut h = ptr::null_mut();
        assert_eq!(libusb_open(*list, &mut h), LIBUSB_ERROR_ACCESS);
        libusb_free_device_list(list, 1);
        libusb_exit(ctx);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
