//! Preflight (`device::preflight`) against simulated devices of real Device OS versions: the
//! order of writes, `:leave` on the last, skipping what is there, and the refusals.

use crate::config::Table;
use crate::device::SlotKind;
use crate::device::boot::BootState;
use crate::device::preflight::*;
use crate::sim::modules;
use crate::sim::{CreateOptions, SimDevice};
use std::path::PathBuf;

fn device(platform: &str, system: u16, bootloader: Option<u16>) -> (tempfile::TempDir, SimDevice) {
    let dir = tempfile::tempdir().unwrap();
    let t = Table::embedded();
    let dev = SimDevice::create(
        &dir.path().join("d"),
        &CreateOptions {
            bootloader_version: bootloader,
            ..CreateOptions::release(&t, t.find(platform).unwrap(), system)
        },
    )
    .unwrap();
    (dir, dev)
}

fn image(label: &str, bytes: Vec<u8>) -> Image {
    Image::from_bytes(PathBuf::from(label), label, &bytes)
}

fn release(platform: &str, version: u16) -> Vec<Image> {
    let t = Table::embedded();
    let p = crate::device::SlotMap::of(&t, t.find(platform).unwrap());
    let mut images: Vec<Image> = modules::system_parts(&p, version)
        .into_iter()
        .map(|(at, img)| image(&format!("part@{at:x}"), img))
        .collect();
    images.push(image("app", modules::user_app(&p, version).1));
    images
}

#[test]
fn system_update_order_and_leave() {
    let (_d, dev) = device("electron", 2202, None);
    let images = release("electron", 2302);
    assert_eq!(
        system_update_needed(&dev.installed(), &images[3..]).len(),
        1
    );
    let plan = plan(&dev.installed(), &images);
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    // Each system part after the ones it depends on (index 3 needs index 2 >= 110, which the old
    // one meets; index 1 needs index 3; index 2 needs index 1), the app last: every state in
    // between boots.
    let order: Vec<&str> = plan.writes.iter().map(|w| w.what.as_str()).collect();
    assert_eq!(
        order,
        [
            "system part 3 v2302",
            "system part 1 v2302",
            "system part 2 v2302",
            "user part v6"
        ]
    );
    let installed = dev.installed();
    for n in 1..plan.writes.len() {
        let now = apply_writes(&installed, &plan.writes[..n], &images);
        assert_eq!(
            crate::device::boot::boot(&now).state,
            BootState::RunningUserApp,
            "after {n} writes"
        );
    }
    assert_eq!(plan.writes.iter().filter(|w| w.leave).count(), 1);
    assert!(plan.writes[3].leave);
    assert_eq!(plan.after.state, BootState::RunningUserApp);
}

#[test]
fn only_the_app_with_a_too_old_system_predicts_safe_mode() {
    let (_d, dev) = device("photon", 1512, Some(1006));
    let images = release("photon", 2302);
    let plan = plan(&dev.installed(), &images[2..]);
    assert!(plan.refused(false));
    assert!(!plan.refused(true));
    assert_eq!(plan.after.state, BootState::SafeMode);
    assert_eq!(
        plan.problems.last().unwrap().to_string(),
        "after this flash the device would boot into safe-mode (breathing magenta): the user app needs system part 2 >= 2302, the device has 1512"
    );
}

#[test]
fn unchanged_system_parts_are_skipped() {
    let (_d, dev) = device("p1", 2302, None);
    let images = release("p1", 2302);
    let plan = plan(&dev.installed(), &images);
    assert_eq!(plan.skipped.len(), 2);
    assert_eq!(plan.writes.len(), 1);
    assert!(plan.problems.is_empty());
}

#[test]
fn a_photon_app_on_an_electron_is_refused_and_would_hit_the_factory_slot() {
    let (_d, dev) = device("electron", 2302, None);
    let photon = release("photon", 2302);
    let plan = plan(&dev.installed(), &photon[2..]);
    assert_eq!(
        plan.problems[0].to_string(),
        "app is built for photon (6) but the device is an electron (10)"
    );
    assert_eq!(plan.writes[0].address, 0x080A_0000);
    let factory = plan.predicted.slot(SlotKind::Factory).unwrap();
    assert!(factory.module().is_some_and(|m| m.platform_id == 6));
}

#[test]
fn a_bootloader_is_staged_and_headerless_low_and_corrupt_images_are_refused() {
    let (_d, dev) = device("photon", 2302, None);
    let (_, boot) = modules::bootloader(6, 1100);
    let plan1 = plan(&dev.installed(), &[image("bl", boot)]);
    assert!(plan1.problems.is_empty(), "{:?}", plan1.problems);
    let w: Vec<(u8, u32, bool)> = plan1
        .writes
        .iter()
        .map(|w| (w.alt, w.address, w.leave))
        .collect();
    assert_eq!(w, [(0, 0x080C_0000, false), (1, 1753, true)]);
    assert_eq!(plan1.after.boots, 2, "{:?}", plan1.after);
    let t = Table::embedded();
    let map = crate::device::SlotMap::of(&t, t.find("photon").unwrap());
    let low = modules::module(
        6,
        crate::image::ModuleFunction::UserPart,
        1,
        6,
        0x0801_0000,
        [None, None],
        false,
        (6, 1),
        "low",
        &[],
    );
    let plan0 = plan(&dev.installed(), &[image("low", low)]);
    assert!(matches!(
        plan0.problems[0],
        Problem::Protected {
            address: 0x0801_0000,
            ..
        }
    ));
    assert!(plan0.refused(true), "not even --force");
    assert_eq!(map.platform_id, 6);
    let plan2 = plan(&dev.installed(), &[image("junk", vec![0x12; 300])]);
    assert!(matches!(plan2.problems[0], Problem::NoHeader { .. }));
    let mut app = release("photon", 2302).pop().unwrap();
    let mid = app.payload.len() / 2;
    app.payload[mid] ^= 1;
    let plan3 = plan(&dev.installed(), &[app]);
    assert!(
        plan3
            .problems
            .iter()
            .any(|p| matches!(p, Problem::BadCrc { .. }))
    );
    assert_eq!(plan3.after.state, BootState::SafeMode);
    assert_eq!(plan3.before.state, BootState::RunningUserApp);
}

#[test]
fn a_bootloader_cannot_be_staged_through_a_broken_system_part_2() {
    // Photon on 1.5.2 (bootloader 502, which reaches the DCT through system part 2) with part 2
    // damaged: the OTA flag cannot be written, whatever --force says.
    let (_d, mut dev) = device("photon", 1512, None);
    let at = 0x0806_0000 + 0x1A0;
    let b = dev.read(at, 1).unwrap()[0];
    dev.write_raw(at, &[b ^ 0xFF]);
    let mut images = release("photon", 2302);
    let (_, boot) = modules::bootloader(6, 1006);
    images.push(image("bl", boot));
    let broken = plan(&dev.installed(), &images);
    assert!(
        broken
            .problems
            .iter()
            .any(|p| matches!(p, Problem::FlagNotWritable { .. })),
        "{:?}",
        broken.problems
    );
    assert!(broken.refused(true));
    // The same device intact: staged, and the bootloader dependency is met by it.
    let (_d, dev) = device("photon", 1512, None);
    let intact = plan(&dev.installed(), &images);
    assert!(intact.problems.is_empty(), "{:?}", intact.problems);
    assert_eq!(intact.after.state, BootState::RunningUserApp);
}
