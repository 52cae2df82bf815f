//! Checks the image parsers against Particle's own released binaries (shipped in the npm package
//! particle-cli@2.16.0) and the facts recorded in `shared/docs/particle-facts.md` §3–4.
//!
//! The binaries are fetched by `tests/support/release-binaries.sh` into
//! `$PBUILD_TESTDATA/particle-cli-2.16.0` (default `target/testdata`); a test fails, with the
//! reason, when they cannot be had.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use pbuild::config::Table;
use pbuild::image::module_info::{ModuleFunction, ModuleInfo, find_module_info};
use pbuild::image::suffix::{self, Integrity};
use pbuild::image::{ModuleInfoError, patch_module_image};

fn inspect_bytes(bytes: &[u8]) -> pbuild::inspect::Inspection {
    pbuild::inspect::inspect_bytes(bytes, &Table::embedded())
}

/// The `assets` directory, fetched once per test run.
fn assets() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = std::env::var_os("PBUILD_TESTDATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| manifest.join("target/testdata"));
        let dir = root.join("particle-cli-2.16.0");
        if !dir.join(".complete").is_file() {
            let script = manifest.join("tests/support/release-binaries.sh");
            let output = Command::new("bash")
                .arg(&script)
                .env("PBUILD_TESTDATA", &root)
                .current_dir(manifest)
                .output()
                .unwrap_or_else(|e| panic!("cannot run `bash {}`: {e}", script.display()));
            assert!(
                output.status.success(),
                "could not fetch Particle's release binaries with {} ({}):\n{}\n\
                 It needs npm and the npm registry; or put an extracted particle-cli-2.16.0/assets \
                 under $PBUILD_TESTDATA.",
                script.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        dir.join("assets")
    })
}

fn read(relative: &str) -> Vec<u8> {
    let path = assets().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One row of expectations; `None` means "not recorded in the facts, not checked".
struct Expect {
    file: &'static str,
    platform: u16,
    function: ModuleFunction,
    index: u8,
    start: u32,
    header_offset: usize,
    version: Option<u16>,
    /// (function, index, version) of dependency and dependency2; `Some(None)` = must be empty.
    deps: Option<[Option<(ModuleFunction, u8, u16)>; 2]>,
}

use ModuleFunction::{Bootloader, SystemPart, UserPart};

const SP: ModuleFunction = SystemPart;

/// particle-facts §3 "Observed headers" and §2 slot addresses.
const GEN2: &[Expect] = &[
    Expect {
        file: "updates/photon-bootloader@2.2.0+lto.bin",
        platform: 6,
        function: Bootloader,
        index: 0,
        start: 0x0800_0000,
        header_offset: 0x184,
        version: Some(1006),
        deps: Some([None, None]),
    },
    Expect {
        file: "updates/photon-system-part1@2.2.0.bin",
        platform: 6,
        function: SP,
        index: 1,
        start: 0x0802_0000,
        header_offset: 0x184,
        version: Some(2202),
        deps: Some([Some((SP, 2, 207)), None]),
    },
    Expect {
        file: "updates/photon-system-part2@2.2.0.bin",
        platform: 6,
        function: SP,
        index: 2,
        start: 0x0806_0000,
        header_offset: 0x184,
        version: Some(2202),
        deps: Some([Some((SP, 1, 2202)), Some((Bootloader, 0, 1003))]),
    },
    Expect {
        file: "updates/p1-bootloader@2.2.0+lto.bin",
        platform: 8,
        function: Bootloader,
        index: 0,
        start: 0x0800_0000,
        header_offset: 0x184,
        version: None,
        deps: None,
    },
    Expect {
        file: "updates/p1-system-part1@2.2.0.bin",
        platform: 8,
        function: SP,
        index: 1,
        start: 0x0802_0000,
        header_offset: 0x184,
        version: Some(2202),
        deps: None,
    },
    Expect {
        file: "updates/p1-system-part2@2.2.0.bin",
        platform: 8,
        function: SP,
        index: 2,
        start: 0x0806_0000,
        header_offset: 0x184,
        version: Some(2202),
        deps: None,
    },
    Expect {
        file: "updates/electron-bootloader@2.2.0+lto.bin",
        platform: 10,
        function: Bootloader,
        index: 0,
        start: 0x0800_0000,
        header_offset: 0x184,
        version: None,
        deps: None,
    },
    // The Electron gotcha: file names and module indexes disagree.
    Expect {
        file: "updates/electron-system-part2@2.2.0.bin",
        platform: 10,
        function: SP,
        index: 1,
        start: 0x0802_0000,
        header_offset: 0x184,
        version: Some(2202),
        deps: Some([Some((SP, 3, 2202)), None]),
    },
    Expect {
        file: "updates/electron-system-part3@2.2.0.bin",
        platform: 10,
        function: SP,
        index: 2,
        start: 0x0804_0000,
        header_offset: 0x184,
        version: Some(2202),
        deps: Some([Some((SP, 1, 2202)), Some((Bootloader, 0, 1003))]),
    },
    Expect {
        file: "updates/electron-system-part1@2.2.0.bin",
        platform: 10,
        function: SP,
        index: 3,
        start: 0x0806_0000,
        header_offset: 0,
        version: Some(2202),
        deps: Some([Some((SP, 2, 110)), None]),
    },
    Expect {
        file: "binaries/tinker-0.4.5-photon.bin",
        platform: 6,
        function: UserPart,
        index: 1,
        start: 0x080A_0000,
        header_offset: 0,
        version: Some(3),
        deps: Some([Some((SP, 2, 6)), None]),
    },
    Expect {
        file: "binaries/tinker-0.4.5-p1.bin",
        platform: 8,
        function: UserPart,
        index: 1,
        start: 0x080A_0000,
        header_offset: 0,
        version: None,
        deps: None,
    },
    Expect {
        file: "binaries/electron_tinker.bin",
        platform: 10,
        function: UserPart,
        index: 1,
        start: 0x0808_0000,
        header_offset: 0,
        version: Some(3),
        deps: Some([Some((SP, 2, 10)), None]),
    },
    Expect {
        file: "binaries/tinker-usb-debugging-0.6.0-electron.bin",
        platform: 10,
        function: UserPart,
        index: 1,
        start: 0x0808_0000,
        header_offset: 0,
        version: None,
        deps: None,
    },
    Expect {
        file: "binaries/photon_doctor.bin",
        platform: 6,
        function: UserPart,
        index: 1,
        start: 0x080A_0000,
        header_offset: 0,
        version: None,
        deps: None,
    },
];

/// Core firmware built with the modular build system carries a monolithic header after the
/// STM32F1 vector table; the 2014 tools predate module headers altogether.
const CORE_WITH_HEADER: &[&str] = &[
    "binaries/core_tinker.bin",
    "binaries/core_doctor.bin",
    "binaries/voodoospark.bin",
];
const CORE_WITHOUT_HEADER: &[&str] = &[
    "binaries/deep_update_2014_06.bin",
    "binaries/cc3000-patch-programmer.bin",
    "binaries/cc3000-patch-programmer_1_14.bin",
];

fn header(file: &str, image: &[u8]) -> ModuleInfo {
    find_module_info(image).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn the_expected_release_files_are_there() {
    let mut missing = Vec::new();
    let all = GEN2.iter().map(|e| e.file);
    for file in all
        .chain(CORE_WITH_HEADER.iter().copied())
        .chain(CORE_WITHOUT_HEADER.iter().copied())
    {
        if !assets().join(file).is_file() {
            missing.push(file);
        }
    }
    assert!(
        missing.is_empty(),
        "missing from {}: {missing:?}",
        assets().display()
    );
}

#[test]
fn gen2_headers_match_the_facts_table() {
    for e in GEN2 {
        let image = read(e.file);
        let info = header(e.file, &image);
        let f = e.file;
        assert_eq!(info.platform_id, e.platform, "{f}: platform");
        assert_eq!(info.function, e.function, "{f}: function");
        assert_eq!(info.index, e.index, "{f}: index");
        assert_eq!(info.start, e.start, "{f}: start");
        assert_eq!(info.header_offset, e.header_offset, "{f}: header offset");
        if let Some(version) = e.version {
            assert_eq!(info.version, version, "{f}: version");
        }
        if let Some(deps) = e.deps {
            for (got, want) in [info.dependency, info.dependency2].iter().zip(deps) {
                match want {
                    Some((function, index, version)) => {
                        assert_eq!(
                            (got.function, got.index, got.version),
                            (function, index, version),
                            "{f}: dependency"
                        );
                    }
                    None => assert!(got.is_empty(), "{f}: unexpected dependency {got}"),
                }
            }
        }
        assert_eq!(
            image.len() as u64,
            u64::from(info.end) - u64::from(info.start) + 4,
            "{f}: length = end - start + 4"
        );
    }
}

#[test]
fn gen2_and_core_suffixes_verify_and_product_ids_are_as_recorded() {
    let files = GEN2
        .iter()
        .map(|e| e.file)
        .chain(CORE_WITH_HEADER.iter().copied());
    for file in files {
        let image = read(file);
        assert_eq!(
            suffix::verify(&image),
            Ok(Integrity {
                sha_ok: true,
                crc_ok: true
            }),
            "{file}"
        );
        let s = suffix::parse_suffix(&image).unwrap();
        assert_eq!(s.size, 40, "{file}");
        let info = header(file, &image);
        // particle-facts §4: tinker carries product id = platform id, system parts 0xFFFF.
        if file.contains("tinker-0.4.5") || file.contains("electron_tinker") {
            assert_eq!(s.product_id, Some(info.platform_id), "{file}");
        }
        if info.function == SystemPart {
            assert_eq!(
                (s.product_id, s.product_version),
                (Some(0xFFFF), Some(0xFFFF)),
                "{file}"
            );
        }
    }
}

#[test]
fn recomputing_the_integrity_fields_reproduces_the_release_files() {
    let files = GEN2
        .iter()
        .map(|e| e.file)
        .chain(CORE_WITH_HEADER.iter().copied());
    for file in files {
        let original = read(file);
        let len = original.len();

        let mut zeroed = original.clone();
        zeroed[len - 38..len - 6].fill(0);
        zeroed[len - 4..].fill(0);
        suffix::write_integrity(&mut zeroed).unwrap();
        assert!(
            zeroed == original,
            "{file}: zeroed + write_integrity differs"
        );

        let mut placeholder = original.clone();
        placeholder[len - 38..len - 6].copy_from_slice(&suffix::SHA_PLACEHOLDER);
        placeholder[len - 4..].copy_from_slice(&suffix::CRC_PLACEHOLDER);
        patch_module_image(&mut placeholder).unwrap();
        assert!(
            placeholder == original,
            "{file}: placeholder + patch differs"
        );
    }
}

#[test]
fn core_firmware_header_sits_after_the_stm32f1_vector_table() {
    for file in CORE_WITH_HEADER {
        let image = read(file);
        let info = header(file, &image);
        assert_eq!(info.header_offset, 0x10C, "{file}");
        assert_eq!(info.platform_id, 0, "{file}");
        assert_eq!(
            Table::embedded().name_of(info.platform_id),
            Some("core"),
            "{file}"
        );
        assert_eq!(info.function, ModuleFunction::Monolithic, "{file}");
        // particle-facts §2: Core monolithic firmware at 0x08005000.
        assert_eq!(info.start, 0x0800_5000, "{file}");
    }
    for file in CORE_WITHOUT_HEADER {
        let image = read(file);
        match find_module_info(&image) {
            Err(ModuleInfoError::NoModuleHeader { attempts }) => {
                assert!(!attempts.is_empty(), "{file}")
            }
            Ok(info) => panic!("{file}: misparsed a header: {info:?}"),
        }
        let report = inspect_bytes(&image);
        assert!(report.module.is_none(), "{file}");
        assert!(
            report
                .no_module_header
                .as_deref()
                .unwrap()
                .starts_with("no module header"),
            "{file}"
        );
    }
}

#[test]
fn every_asset_can_be_inspected_and_gen3_is_not_mistaken_for_gen2() {
    let mut seen = 0;
    for sub in ["updates", "binaries"] {
        let dir = assets().join(sub);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let report = inspect_bytes(&bytes);
            let _ = pbuild::inspect::render_text(&report, &path);
            seen += 1;
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let gen3 = [
                "argon", "boron", "xenon", "bsom", "b5som", "asom", "xsom", "tracker",
            ]
            .iter()
            .any(|p| name.starts_with(p) || name.contains(&format!("-{p}")));
            if gen3 && name.ends_with(".bin") {
                // nRF52840 modules live outside the STM32 flash window.
                assert!(report.module.is_none(), "{name}: {:?}", report.module);
                assert_eq!(report.crc_ok, Some(true), "{name}");
            }
        }
    }
    assert!(seen >= 40, "only {seen} files in {}", assets().display());
}
