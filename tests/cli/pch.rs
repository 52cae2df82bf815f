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

fn write(path: &std::path::Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// What almost every Particle library does: its header includes Particle.h (or application.h)
/// again, after the app's source included it first. v2 (`lib/X/src`) and v1 (`lib/X/firmware`)
/// libraries, sources starting with either header, and a header of the app that includes both.
#[test]
fn headers_that_include_particle_h_again_build_as_without_pch() {
    let f = Fixture::new();
    let proj = f.path().join("strip");
    write(&proj.join("project.properties"), "name=strip\n");
    write(
        &proj.join("src/strip.cpp"),
        "#include \"Particle.h\"\n#include \"neo.h\"\n#include \"firmware/old.h\"\n#include \"board.h\"\n\
         void setup() { pinMode(D7, OUTPUT); }\n\
         void loop() { digitalWrite(D7, neo_level() + old_level() + board()); delay(10); }\n",
    );
    write(
        &proj.join("src/board.h"),
        "#pragma once\n#include \"application.h\"\n#include \"Particle.h\"\nint board();\n",
    );
    write(
        &proj.join("src/board.cpp"),
        "#include \"application.h\"\n#include \"neo.h\"\n#include \"board.h\"\nint board() { return neo_level() ? HIGH : LOW; }\n",
    );
    write(
        &proj.join("lib/neo/src/neo.h"),
        "#ifndef NEO_H\n#define NEO_H\n#include \"Particle.h\"\n#include <application.h>\nint neo_level();\n#endif\n",
    );
    write(
        &proj.join("lib/neo/src/neo.cpp"),
        "#include \"Particle.h\"\n#include \"neo.h\"\nint neo_level() { return millis() > 5 ? 1 : 0; }\n",
    );
    write(
        &proj.join("lib/neo/library.properties"),
        "name=neo\nversion=1.0.0\n",
    );
    write(
        &proj.join("lib/old/firmware/old.h"),
        "#pragma once\n#include \"application.h\"\nint old_level();\n",
    );
    write(
        &proj.join("lib/old/firmware/old.cpp"),
        "#include \"application.h\"\n#include \"old.h\"\nint old_level() { return 2; }\n",
    );
    let build = |extra: &[&str], out: &str| {
        Run::of_command(
            f.command_at(&f.path().join(out))
                .args(["--platform", "photon", "--appdir"])
                .arg(&proj)
                .args(["--message-format", "json"])
                .args(extra)
                .args(["build", "--explain"]),
        )
    };
    let with = build(&[], "with");
    assert_eq!(with.code, 0, "{}", with.stderr);
    let explained = with.explained();
    assert!(
        explained.iter().any(|l| l == "PCH Particle.h"),
        "{explained:?}"
    );
    assert!(
        explained.iter().any(|l| l == "PCH application.h"),
        "{explained:?}"
    );
    let without = build(&["--no-pch"], "without").ok();
    assert!(
        bin(&with) == bin(&without),
        "the binary with precompiled headers differs"
    );
    // A second build with the PCH in place, after a change to one library source.
    let src = proj.join("lib/neo/src/neo.cpp");
    let text = std::fs::read_to_string(&src).unwrap();
    std::fs::write(&src, text.replace("> 5", "> 6")).unwrap();
    let again = build(&[], "with");
    assert_eq!(again.code, 0, "{}", again.stderr);
    let without = build(&["--no-pch"], "without").ok();
    assert!(bin(&again) == bin(&without));
}
