//! The flash decision (`deploy`) against a fake [`Device`]: a simulated device's flash in memory,
//! written directly (no dfu-util), with a log of every write. Refusals and their remedies, the
//! order of writes, `:leave` on the last image only, skipped parts, `--force`, `--dry-run`,
//! Ctrl-C and a failed write. Milliseconds, no toolchain.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use super::deploy::*;
use super::{Event, FlashError, Note, Remedy};
use crate::build::Artifact;
use crate::config::{Table, Target};
use crate::device::SlotMap;
use crate::device::boot::BootState;
use crate::device::installed::Installed;
use crate::device::preflight::Write;
use crate::device::preflight::WriteData;
use crate::error::Error;
use crate::sim::{CreateOptions, SimDevice, modules};

/// A simulated device behind the [`Device`] seam, and what was written to it.
struct FakeDevice {
    _dir: tempfile::TempDir,
    sim: SimDevice,
    /// (address, leave, label) of every write, in order.
    writes: Vec<(u32, bool, String)>,
    /// Fail the write with this index (0-based), as a dfu-util error would.
    fail_at: Option<usize>,
    /// The failed write also takes the device off the bus.
    unplug: bool,
    gone: bool,
}

impl FakeDevice {
    fn new(platform: &str, system: u16) -> FakeDevice {
        let dir = tempfile::tempdir().unwrap();
        let t = Table::embedded();
        let sim = SimDevice::create(
            &dir.path().join("dev"),
            &CreateOptions::release(&t, t.find(platform).unwrap(), system),
        )
        .unwrap();
        FakeDevice {
            _dir: dir,
            sim,
            writes: Vec::new(),
            fail_at: None,
            unplug: false,
            gone: false,
        }
    }

    fn addresses(&self) -> Vec<u32> {
        self.writes.iter().map(|w| w.0).collect()
    }
}

impl Device for FakeDevice {
    fn read_installed(&mut self, map: &SlotMap) -> Result<Installed, FlashError> {
        assert_eq!(
            map.platform_id, self.sim.platform.id,
            "read with the device's map"
        );
        Ok(self.sim.installed())
    }

    fn write(&mut self, w: &Write) -> Result<Note, FlashError> {
        if self.fail_at == Some(self.writes.len()) {
            self.gone = self.unplug;
            return Err(FlashError::Failed {
                status: "exit status 74".into(),
                message: "Error during download".into(),
            });
        }
        match &w.data {
            WriteData::Byte(b) => self.sim.write_dct(w.address, &[*b]),
            WriteData::File(path) => {
                let bytes = std::fs::read(path).unwrap();
                let (payload, _) = crate::image::strip_dfu_suffix(&bytes);
                self.sim.write(w.address, payload);
            }
        }
        self.writes.push((w.address, w.leave, w.label.clone()));
        if w.leave {
            self.sim.reset();
        }
        Ok(if w.leave {
            Note::LeftWithStatusError
        } else {
            Note::Clean
        })
    }

    fn present(&mut self) -> bool {
        !self.gone
    }
}

/// The images of a Device OS release for `platform`, as a build would leave them in `dir`:
/// the system parts, an app that needs system part 2 >= `version`, and the bootloader.
fn release(dir: &Path, platform: &str, version: u16) -> Images {
    let t = Table::embedded();
    let map = SlotMap::of(&t, t.find(platform).unwrap());
    let file = |name: &str, bytes: &[u8]| -> Artifact {
        let bin = dir.join(format!("{name}.bin"));
        std::fs::write(&bin, bytes).unwrap();
        Artifact {
            module: name.into(),
            platform: platform.into(),
            bin,
            elf: PathBuf::from("/nonexistent.elf"),
            dfu: PathBuf::from("/nonexistent.dfu"),
        }
    };
    let system = modules::system_parts(&map, version)
        .iter()
        .enumerate()
        .map(|(i, (_, img))| file(&format!("system-part{}", i + 1), img))
        .collect();
    let user = file("user-part", &modules::user_app(&map, version).1);
    let shipped = crate::device::versions::shipped_bootloader(version).map_or(1006, |b| b.0);
    let boot = file(
        "bootloader",
        &modules::bootloader(map.platform_id, shipped).1,
    );
    (system, user, boot)
}

/// System parts, user part, bootloader.
type Images = (Vec<Artifact>, Artifact, Artifact);

/// A release of `built` for `platform` (in a temp dir, kept while the guard lives) and a device
/// of `device_platform` running `device_version`.
fn setup(
    platform: &str,
    built: u16,
    device_platform: &str,
    device_version: u16,
) -> (tempfile::TempDir, Images, FakeDevice) {
    let t = tempfile::tempdir().unwrap();
    let images = release(t.path(), platform, built);
    (t, images, FakeDevice::new(device_platform, device_version))
}

struct Run {
    result: Result<Deployed, Error>,
    /// The targets `build` was asked for.
    built: Vec<Target>,
    /// Names of the events heard, in order.
    events: Vec<String>,
}

/// What is asked of `deploy`: the build's platform and the flags.
struct Ask<'a> {
    platform: &'a str,
    target: Target,
    system: SystemPolicy,
    force: bool,
    dry_run: bool,
    allow_downgrade: bool,
    stop: Option<&'a AtomicBool>,
}

/// Flash the app (`main`) built for `platform`, system parts added when needed.
fn app<'a>(platform: &'a str) -> Ask<'a> {
    Ask {
        platform,
        target: Target::Main,
        system: SystemPolicy::Auto,
        force: false,
        dry_run: false,
        allow_downgrade: false,
        stop: None,
    }
}

fn deploy(device: &mut FakeDevice, ask: Ask<'_>, images: &Images) -> Run {
    let t = Table::embedded();
    let device_platform = device.sim.platform.clone();
    let request = Request {
        table: &t,
        device_platform: &device_platform,
        source: Source::Build {
            platform: t.find(ask.platform).unwrap().clone(),
            target: ask.target,
        },
        system: ask.system,
        force: ask.force,
        allow_downgrade: ask.allow_downgrade,
        dry_run: ask.dry_run,
        stop: ask.stop,
        unless_installed: false,
    };
    let mut built = Vec::new();
    let mut events = Vec::new();
    let result = run(
        device,
        &request,
        &mut |target| {
            built.push(target);
            Ok(match target {
                Target::Main => vec![images.1.clone()],
                Target::Modules => images.0.iter().chain([&images.1]).cloned().collect(),
                Target::Bootloader => vec![images.2.clone()],
            })
        },
        &mut |e| {
            events.push(
                match e {
                    Event::AddingSystem { .. } => "adding-system",
                    Event::Planned(_) => "planned",
                    Event::Forced(_) => "forced",
                    Event::Writing { .. } => "writing",
                    Event::Written { .. } => "written",
                    Event::Stopped { .. } => "stopped",
                    Event::AddingBootloader { .. } => "adding-bootloader",
                    Event::Downgrading(_) => "downgrading",
                    Event::Command(_) | Event::Reading { .. } => "dfu-util",
                    Event::EnteringDfu { .. } => "entering-dfu",
                }
                .to_string(),
            )
        },
    );
    Run {
        result,
        built,
        events,
    }
}

fn remedies(r: &Run) -> Vec<Remedy> {
    match &r.result {
        Err(Error::FlashRefused { remedies, .. }) => remedies.clone(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_current_system_gets_only_the_app_with_leave() {
    let (_t, images, mut dev) = setup("photon", 2302, "photon", 2302);
    let r = deploy(&mut dev, app("photon"), &images);
    let done = r.result.unwrap();
    assert_eq!(r.built, [Target::Main]);
    assert_eq!(
        dev.writes,
        [(0x080A_0000, true, "user-part.bin".to_string())]
    );
    assert_eq!(done.notes, [Note::LeftWithStatusError]);
    assert_eq!(done.plan.after.state, BootState::RunningUserApp);
    assert_eq!(r.events, ["planned", "writing", "written"]);
}

#[test]
fn an_older_system_gets_the_system_parts_first_and_leave_on_the_last_image_only() {
    let t = tempfile::tempdir().unwrap();
    for (platform, parts) in [("photon", 2), ("electron", 3)] {
        let images = release(t.path(), platform, 2302);
        let mut dev = FakeDevice::new(platform, 2202);
        let r = deploy(&mut dev, app(platform), &images);
        let done = r.result.unwrap();
        assert_eq!(r.built, [Target::Main, Target::Modules], "{platform}");
        assert_eq!(r.events[0], "adding-system", "{platform}");
        assert_eq!(dev.writes.len(), parts + 1, "{platform}: {:?}", dev.writes);
        assert_eq!(
            dev.writes.last().unwrap().2,
            "user-part.bin",
            "{platform}: the app last"
        );
        let leaves: Vec<bool> = dev.writes.iter().map(|w| w.1).collect();
        assert_eq!(leaves.iter().filter(|l| **l).count(), 1, "{platform}");
        assert!(
            leaves.last().unwrap(),
            "{platform}: :leave on the last write"
        );
        assert_eq!(
            done.plan.after.state,
            BootState::RunningUserApp,
            "{platform}"
        );
        assert_eq!(
            dev.sim.boot().state,
            BootState::RunningUserApp,
            "{platform}: the device agrees"
        );
    }
}

#[test]
fn with_system_never_an_older_system_is_a_refusal_that_says_what_to_do_and_writes_nothing() {
    let (_t, images, mut dev) = setup("p1", 2302, "p1", 2202);
    let before = dev.sim.flash.clone();
    let r = deploy(
        &mut dev,
        Ask {
            system: SystemPolicy::Never,
            ..app("p1")
        },
        &images,
    );
    let rem = remedies(&r);
    assert!(
        matches!(&rem[0], Remedy::AddSystem { why } if why.contains("2302")),
        "{rem:?}"
    );
    assert!(
        rem.contains(&Remedy::Force),
        "safe mode can be forced: {rem:?}"
    );
    assert_eq!(r.built, [Target::Main]);
    assert!(dev.writes.is_empty());
    assert!(dev.sim.flash == before);
}

#[test]
fn a_build_for_another_platform_is_refused_before_building() {
    let (_t, images, mut dev) = setup("photon", 2302, "electron", 2302);
    let r = deploy(&mut dev, app("photon"), &images);
    assert_eq!(
        remedies(&r),
        [Remedy::BuildFor {
            platform: "electron".into()
        }]
    );
    let Err(Error::FlashRefused { problems, .. }) = &r.result else {
        unreachable!()
    };
    assert!(
        problems[0].contains("the build is for photon (6) but the device in DFU mode is an electron (10, DFU 2b04:d00a)"),
        "{problems:?}"
    );
    assert!(
        r.built.is_empty(),
        "nothing built for a device it cannot go to"
    );
    assert!(dev.writes.is_empty());
}

#[test]
fn system_parts_already_on_the_device_are_skipped() {
    let (_t, images, mut dev) = setup("electron", 2302, "electron", 2302);
    let r = deploy(
        &mut dev,
        Ask {
            target: Target::Modules,
            ..app("electron")
        },
        &images,
    );
    let done = r.result.unwrap();
    assert_eq!(done.plan.skipped.len(), 3, "{:?}", done.plan.skipped);
    assert_eq!(dev.addresses(), [0x0808_0000]);
}

#[test]
fn a_corrupt_image_is_refused_and_force_writes_it_saying_so() {
    let t = tempfile::tempdir().unwrap();
    let mut images = release(t.path(), "photon", 2302);
    let mut bytes = std::fs::read(&images.1.bin).unwrap();
    // A byte after the 24-byte header and before the suffix.
    let at = 24 + (bytes.len() - 24 - 64) / 2;
    bytes[at] ^= 0xFF;
    let corrupt = t.path().join("corrupt.bin");
    std::fs::write(&corrupt, &bytes).unwrap();
    images.1.bin = corrupt;

    let mut dev = FakeDevice::new("photon", 2302);
    let r = deploy(&mut dev, app("photon"), &images);
    assert_eq!(remedies(&r), [Remedy::Rebuild, Remedy::Force]);
    assert!(dev.writes.is_empty());

    let r = deploy(
        &mut dev,
        Ask {
            force: true,
            ..app("photon")
        },
        &images,
    );
    r.result.unwrap();
    assert!(r.events.contains(&"forced".to_string()), "{:?}", r.events);
    assert_eq!(dev.addresses(), [0x080A_0000]);
}

#[test]
fn a_dry_run_decides_everything_and_writes_nothing() {
    let (_t, images, mut dev) = setup("photon", 2302, "photon", 1512);
    let r = deploy(
        &mut dev,
        Ask {
            dry_run: true,
            ..app("photon")
        },
        &images,
    );
    // From 1.5.2 (bootloader 502 < 1003): the plan stages the tree's bootloader first.
    let done = r.result.unwrap();
    let labels: Vec<&str> = done.plan.writes.iter().map(|w| w.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "bootloader.bin",
            "OTA flag",
            "system-part1.bin",
            "system-part2.bin",
            "user-part.bin"
        ]
    );
    assert_eq!(
        done.plan.after.boots, 2,
        "the staged bootloader is applied, then a reset"
    );
    assert_eq!(done.plan.after.state, BootState::RunningUserApp);
    assert_eq!(r.built, [Target::Main, Target::Modules, Target::Bootloader]);
    assert!(dev.writes.is_empty());
    let mut dev = FakeDevice::new("photon", 2202);
    let r = deploy(
        &mut dev,
        Ask {
            dry_run: true,
            ..app("photon")
        },
        &images,
    );
    let done = r.result.unwrap();
    assert_eq!(done.plan.writes.len(), 3);
    assert!(done.notes.is_empty());
    assert!(dev.writes.is_empty());
}

#[test]
fn ctrl_c_finishes_the_image_being_written_then_stops_and_says_what_a_reset_would_do() {
    let (_t, images, mut dev) = setup("photon", 2302, "photon", 2202);
    let stop = AtomicBool::new(true);
    let r = deploy(
        &mut dev,
        Ask {
            stop: Some(&stop),
            ..app("photon")
        },
        &images,
    );
    match r.result {
        Err(Error::FlashStopped {
            done,
            total,
            not_written,
            ..
        }) => {
            assert_eq!((done, total), (1, 3));
            assert!(not_written.contains("user-part.bin"), "{not_written}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(dev.writes.len(), 1);
    assert!(!dev.writes[0].1, "no :leave: the device stays in DFU mode");
    assert_eq!(r.events.last().unwrap(), "stopped");
}

#[test]
fn a_failed_write_names_the_image_and_nothing_after_it_is_written() {
    let (_t, images, mut dev) = setup("photon", 2302, "photon", 2202);
    dev.fail_at = Some(1);
    let r = deploy(&mut dev, app("photon"), &images);
    match r.result {
        Err(Error::Flash(FlashError::Interrupted {
            label, done, total, ..
        })) => {
            assert_eq!((done, total), (1, 3));
            assert!(label.starts_with("system-part"), "{label}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(dev.writes.len(), 1);
}

#[test]
fn a_device_that_disappears_mid_write_is_described_as_it_will_be_when_it_comes_back() {
    let (_t, images, mut dev) = setup("photon", 2302, "photon", 2202);
    dev.fail_at = Some(1);
    dev.unplug = true;
    let r = deploy(&mut dev, app("photon"), &images);
    match r.result {
        Err(Error::Flash(FlashError::Unplugged {
            label,
            written,
            not_written,
            when_back,
            ..
        })) => {
            assert_eq!(label, "system-part2.bin");
            assert_eq!(written, "system-part1.bin");
            assert_eq!(not_written, "user-part.bin");
            assert!(when_back.starts_with("may-not-boot"), "{when_back}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_electron_on_an_old_bootloader_needs_no_bootloader_step() {
    let (_t, images, mut dev) = setup("electron", 2302, "electron", 1512);
    let r = deploy(&mut dev, app("electron"), &images);
    let done = r.result.unwrap();
    assert!(done.plan.staged_bootloader().is_none());
    assert_eq!(r.built, [Target::Main, Target::Modules]);
    assert_eq!(dev.sim.boot().state, BootState::RunningUserApp);
}
