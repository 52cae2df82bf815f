//! Precompiled headers: the app's compiles use a precompiled Particle.h when they start with it,
//! the binaries are the ones built without, and a header edit reaches them.

use crate::support::*;

fn bin(r: &Run) -> Vec<u8> {
    let arts = r.artifacts();
    assert_eq!(arts.len(), 1, "{arts:?}");
    std::fs::read(&arts[0].1).unwrap()
}

#[test]
fn pch_gives_the_same_binary_and_follows_header_edits() {
    let f = Fixture::new();
    let app = [
        "--platform",
        "electron",
        "--app",
        "blink",
        "--message-format",
        "json",
    ];
    let build = |extra: &[&str], out: &str| {
        Run::of_command(
            f.command_at(std::path::Path::new(out))
                .args(app)
                .args(extra)
                .args(["build", "--explain", "-v"]),
        )
        .ok()
    };
    let (with, without) = (f.path().join("with"), f.path().join("without"));
    let (with, without) = (with.to_str().unwrap(), without.to_str().unwrap());
    let r = build(&[], with);
    assert!(
        r.explained().iter().any(|l| l == "PCH Particle.h"),
        "{:?}",
        r.explained()
    );
    assert!(
        r.stderr.contains("/.pch/"),
        "the app compile names the .pch dir:\n{}",
        r.stderr
    );
    let n = build(&["--no-pch"], without);
    assert!(!n.explained().iter().any(|l| l.starts_with("PCH")));
    assert!(!n.stderr.contains("/.pch/"));
    let first = bin(&r);
    assert!(
        first == bin(&n),
        "the binary with a precompiled header differs"
    );

    // A header Particle.h includes: the PCH and the app compile rerun, and the value arrives.
    let header = f.tree.join("wiring/inc/spark_wiring_constants.h");
    let text = std::fs::read_to_string(&header).unwrap();
    std::fs::write(
        &header,
        text.replace("#define HIGH 0x1", "#define HIGH 0x3"),
    )
    .unwrap();
    let r2 = build(&[], with);
    let ran = r2.explained();
    assert!(ran.iter().any(|l| l == "PCH Particle.h"), "{ran:?}");
    assert!(
        ran.iter()
            .any(|l| l.starts_with("CC") && l.ends_with("blink.cpp")),
        "{ran:?}"
    );
    let n2 = build(&["--no-pch"], without);
    assert!(bin(&r2) != first, "the header edit reached the binary");
    assert!(
        bin(&r2) == bin(&n2),
        "with and without PCH differ after the edit"
    );
}

#[test]
fn a_source_that_does_not_start_with_particle_h_compiles_without_it() {
    let f = Fixture::new();
    let dir = f.path().join("app");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a.cpp"),
        "/* a comment first is fine */\n#include \"Particle.h\"\nvoid setup() {}\nvoid loop() {}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b.cpp"),
        "#define B_FIRST 1\n#include \"Particle.h\"\nint b() { return B_FIRST; }\n",
    )
    .unwrap();
    let r = f
        .pbuild(&[
            "--platform",
            "photon",
            "--appdir",
            dir.to_str().unwrap(),
            "build",
            "-v",
        ])
        .ok();
    let cc = |name: &str| {
        r.stderr
            .lines()
            .find(|l| l.contains(" -c ") && l.trim_end_matches(')').ends_with(name))
            .unwrap_or_else(|| panic!("no compile of {name}:\n{}", r.stderr))
            .to_string()
    };
    assert!(cc("/a.cpp").contains("/.pch/"));
    assert!(!cc("/b.cpp").contains("/.pch/"));
}
