//! Project layouts (legacy, project.properties, src/ + lib/), `pbuild new`, compile_commands.json.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::*;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A Particle project (`particle project create` layout) with two v2 libraries, one with C and a
/// subdirectory, and an example that must not be compiled.
fn particle_project(dir: &Path) {
    write(
        &dir.join("project.properties"),
        "name=gadget\ndependencies.alpha=0.1.0\ndependencies.beta=2.0.0\n",
    );
    write(
        &dir.join("src/gadget.cpp"),
        "#include \"Particle.h\"\n#include \"alpha.h\"\n#include \"beta.h\"\n#include \"util/helper.h\"\n\
         void setup() { pinMode(D7, OUTPUT); }\n\
         void loop() { digitalWrite(D7, alpha_level() + beta_level() + helper()); delay(100); }\n",
    );
    write(
        &dir.join("src/util/helper.h"),
        "#ifdef __cplusplus\nextern \"C\"\n#endif\nint helper(void);\n",
    );
    write(
        &dir.join("src/util/helper.c"),
        "#include \"util/helper.h\"\nint helper(void) { return 0; }\n",
    );
    write(&dir.join("lib/alpha/src/alpha.h"), "int alpha_level();\n");
    write(
        &dir.join("lib/alpha/src/alpha.cpp"),
        "#include \"alpha.h\"\n#include \"beta.h\"\nint alpha_level() { return beta_level() > 0 ? 1 : 0; }\n",
    );
    write(
        &dir.join("lib/alpha/examples/usage/usage.cpp"),
        "this example is not part of the build\n",
    );
    write(
        &dir.join("lib/alpha/library.properties"),
        "name=alpha\nversion=0.1.0\n",
    );
    write(&dir.join("lib/beta/src/beta.h"), "int beta_level();\n");
    write(
        &dir.join("lib/beta/src/beta.cpp"),
        "#include \"beta.h\"\nextern \"C\" int beta_c(void);\nint beta_level() { return beta_c(); }\n",
    );
    write(
        &dir.join("lib/beta/src/sub/beta_c.c"),
        "int beta_c(void) { return 1; }\n",
    );
}

/// `(source below the app, object below the app's build dir)` of make's compiles of the app at `app`.
fn make_app_compiles(f: &Fixture, app: &Path, vars: &[String]) -> BTreeSet<(String, String)> {
    let mut cmd = std::process::Command::new("make");
    cmd.args(["-n", "-B", "-C"])
        .arg(f.tree.join("main"))
        .arg("PLATFORM=photon")
        .arg(format!("APPDIR={}", app.display()))
        .args(vars)
        .arg("all")
        .env_remove("MAKEFLAGS");
    let out = Run::of_command(&mut cmd);
    let build_dir = format!(
        "platform-6-m/{}/",
        app.file_name().unwrap().to_string_lossy()
    );
    let prefix = format!("{}/", app.display());
    out.stdout
        .lines()
        .filter(|l| {
            l.contains(" -c -o ")
                && l.split_whitespace()
                    .last()
                    .is_some_and(|w| w.starts_with(&prefix))
        })
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let o = words.iter().position(|w| *w == "-o").unwrap();
            let obj = words[o + 1].split_once(&build_dir).unwrap().1.to_string();
            let src = words.last().unwrap().replace("//", "/");
            (src.strip_prefix(&prefix).unwrap().to_string(), obj)
        })
        .collect()
}

/// The same pairs from pbuild's compile_commands.json.
fn compdb_app_compiles(compdb: &Path, app: &Path) -> BTreeSet<(String, String)> {
    let build_dir = format!(
        "platform-6-m/{}/",
        app.file_name().unwrap().to_string_lossy()
    );
    compdb_entries(compdb)
        .iter()
        .map(|e| {
            let file = PathBuf::from(e["file"].as_str().unwrap());
            let out = e["output"].as_str().unwrap();
            (
                file.strip_prefix(app).unwrap().display().to_string(),
                out.split_once(&build_dir).unwrap().1.to_string(),
            )
        })
        .collect()
}

fn compdb_entries(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str::<Vec<serde_json::Value>>(&text).unwrap()
}

fn only_bin(dir: &Path) -> Vec<u8> {
    let bins: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .collect();
    assert_eq!(bins.len(), 1, "{bins:?}");
    std::fs::read(&bins[0]).unwrap()
}

/// Build `app` with make (`APPDIR=` a copy of it, plus `vars`), return its .bin.
fn make_bin(f: &Fixture, app: &Path, vars: &[String]) -> Vec<u8> {
    let mut args = vec![
        "PLATFORM=photon".to_string(),
        format!("APPDIR={}", app.display()),
    ];
    args.extend(vars.iter().cloned());
    args.push("all".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    f.make("main", &args);
    only_bin(&app.join("target"))
}

#[test]
fn particle_project_with_two_libraries_matches_make() {
    let f = Fixture::new();
    let proj = f.path().join("gadget-dir");
    particle_project(&proj);
    // In the project, with no project.toml: project.properties makes it the app; only the platform is asked.
    let r = f.pbuild_in(&proj, &["build"]).fails(2);
    assert!(r.stderr.contains("no platform given"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("project.properties does not name a platform"),
        "{}",
        r.stderr
    );

    let r = f
        .pbuild_in(
            &proj,
            &["--platform", "photon", "--message-format", "json", "build"],
        )
        .ok();
    let arts = r.artifacts();
    assert_eq!(arts.len(), 1, "{arts:?}");
    assert!(
        arts[0].1.ends_with("photon/gadget.bin"),
        "artifact named by project.properties `name`: {arts:?}"
    );

    let ours = compdb_app_compiles(&proj.join("compile_commands.json"), &proj);
    let expected: BTreeSet<(String, String)> = [
        ("src/util/helper.c", "src/util/helper.o"),
        ("lib/beta/src/sub/beta_c.c", "beta/src/sub/beta_c.o"),
        ("src/gadget.cpp", "src/gadget.o"),
        ("lib/alpha/src/alpha.cpp", "alpha/src/alpha.o"),
        ("lib/beta/src/beta.cpp", "beta/src/beta.o"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(ours, expected);

    let plain = f.path().join("gadget-make");
    copy_tree(&proj, &plain);
    std::fs::remove_file(plain.join("compile_commands.json")).unwrap();
    assert_eq!(
        make_app_compiles(&f, &plain, &[]),
        expected,
        "make's own view of the layout"
    );
    assert!(
        std::fs::read(&arts[0].1).unwrap() == make_bin(&f, &plain, &[]),
        "pbuild's gadget.bin differs from make's APPDIR= build"
    );

    // A new file in a library: no re-import, and it is compiled.
    let calls = f.make_calls();
    write(
        &proj.join("lib/beta/src/extra.cpp"),
        "int beta_extra() { return 2; }\n",
    );
    let r = f
        .pbuild_in(&proj, &["--platform", "photon", "build", "--explain"])
        .ok();
    assert_eq!(f.make_calls(), calls, "adding a library source re-imported");
    assert!(
        r.explained()
            .iter()
            .any(|l| l.ends_with("lib/beta/src/extra.cpp")),
        "{}",
        r.stderr
    );

    // A missing vendored library is named, with what to do.
    std::fs::write(
        proj.join("project.properties"),
        "name=gadget\ndependencies.alpha=0.1.0\ndependencies.neopixel=1.0.3\n",
    )
    .unwrap();
    let r = f
        .pbuild_in(&proj, &["--platform", "photon", "build"])
        .fails(2);
    assert!(
        r.stderr
            .contains("project.properties:3: library `neopixel` (1.0.3)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("particle library copy neopixel"),
        "{}",
        r.stderr
    );
}

#[test]
fn simple_layout_and_v1_library_match_make() {
    let f = Fixture::new();
    // project.properties without src/: sources at the top, as in the legacy layout.
    let simple = f.path().join("simple");
    copy_tree(&f.tree.join("user/applications/blink"), &simple);
    write(&simple.join("project.properties"), "name=simple\n");
    write(
        &simple.join("more/extra.c"),
        "int extra(void) { return 3; }\n",
    );
    let r = f
        .pbuild(&[
            "--platform",
            "photon",
            "--appdir",
            simple.to_str().unwrap(),
            "--message-format",
            "json",
            "build",
        ])
        .ok();
    let ours = std::fs::read(&r.artifacts()[0].1).unwrap();
    let plain = f.path().join("simple-make");
    copy_tree(&simple, &plain);
    std::fs::remove_file(plain.join("compile_commands.json")).unwrap();
    assert!(
        ours == make_bin(&f, &plain, &[]),
        "simple layout differs from make"
    );

    // A v1 library (lib/<name>/ without src/): all its sources, its directory on the include path.
    let proj = f.path().join("withv1");
    particle_project(&proj);
    std::fs::rename(proj.join("lib/beta/src"), proj.join("lib/beta/firmware")).unwrap();
    std::fs::write(
        proj.join("lib/alpha/src/alpha.h"),
        "#include \"firmware/beta.h\"\nint alpha_level();\n",
    )
    .unwrap();
    let gadget = std::fs::read_to_string(proj.join("src/gadget.cpp")).unwrap();
    std::fs::write(
        proj.join("src/gadget.cpp"),
        gadget.replace("\"beta.h\"", "\"firmware/beta.h\""),
    )
    .unwrap();
    let alpha = std::fs::read_to_string(proj.join("lib/alpha/src/alpha.cpp")).unwrap();
    std::fs::write(
        proj.join("lib/alpha/src/alpha.cpp"),
        alpha.replace("#include \"beta.h\"\n", ""),
    )
    .unwrap();
    let r = f
        .pbuild(&[
            "--platform",
            "photon",
            "--appdir",
            proj.to_str().unwrap(),
            "--message-format",
            "json",
            "build",
        ])
        .ok();
    let ours = compdb_app_compiles(&proj.join("compile_commands.json"), &proj);
    assert!(
        ours.contains(&(
            "lib/beta/firmware/sub/beta_c.c".to_string(),
            "beta/firmware/sub/beta_c.o".to_string()
        )),
        "{ours:?}"
    );
    let plain = f.path().join("withv1-make");
    copy_tree(&proj, &plain);
    std::fs::remove_file(plain.join("compile_commands.json")).unwrap();
    let v1 = vec![format!("APPLIBSV1={}", plain.join("lib/beta").display())];
    assert_eq!(make_app_compiles(&f, &plain, &v1), ours);
    assert!(
        std::fs::read(&r.artifacts()[0].1).unwrap() == make_bin(&f, &plain, &v1),
        "v1 library build differs from make's"
    );
}

#[test]
fn new_then_build_with_no_edits() {
    let f = Fixture::new();
    f.pbuild(&["new", "blinky", "--platform", "P1"]).ok();
    let dir = f.path().join("blinky");
    for file in [
        "project.toml",
        "project.properties",
        "src/blinky.cpp",
        ".gitignore",
        "README.md",
    ] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    // `pbuild build` alone: platform and tree come from the new project.toml.
    let out = pbuild_command()
        .args(["--message-format", "json", "build"])
        .current_dir(&dir)
        .env("PATH", f.path_env())
        .env_remove("DEVICE_OS_PATH")
        .env_remove("PBUILD_TARGET_DIR")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = dir.join("target/p1/blinky.bin");
    assert!(bin.is_file(), "{}", String::from_utf8_lossy(&out.stdout));
    let info = pbuild::image::module_info::find_module_info(&std::fs::read(&bin).unwrap()).unwrap();
    assert_eq!(info.platform_id, 8);
    assert!(!compdb_entries(&dir.join("compile_commands.json")).is_empty());

    // A second `new` onto it is refused and changes nothing.
    let before = std::fs::read(dir.join("src/blinky.cpp")).unwrap();
    let r = f.pbuild(&["new", "blinky", "--ino"]).fails(2);
    assert!(r.stderr.contains("not empty"), "{}", r.stderr);
    assert_eq!(std::fs::read(dir.join("src/blinky.cpp")).unwrap(), before);
    assert!(!dir.join("src/blinky.ino").exists());
}

/// A directory for GCC_ARM_PATH: every arm-none-eabi tool, and a gcc that logs each call.
fn logging_toolchain(f: &Fixture) -> (PathBuf, PathBuf) {
    let dir = f.path().join("toolchain");
    std::fs::create_dir_all(&dir).unwrap();
    let log = f.path().join("gcc-calls");
    let real_gcc = which("arm-none-eabi-gcc").expect("arm-none-eabi-gcc on PATH");
    let bin_dir = real_gcc.parent().unwrap();
    for e in std::fs::read_dir(bin_dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with("arm-none-eabi-") && name != "arm-none-eabi-gcc" {
            write_script(
                &dir.join(&name),
                &format!(
                    "#!/bin/sh\nexec '{}' \"$@\"\n",
                    bin_dir.join(&name).display()
                ),
            );
        }
    }
    // One file per call (parallel compiles must not interleave their records): the directory and
    // each argument, separated by \x1f.
    std::fs::create_dir_all(&log).unwrap();
    write_script(
        &dir.join("arm-none-eabi-gcc"),
        &format!(
            "#!/bin/sh\nprintf '%s\\037' \"$PWD\" \"$@\" > \"$(mktemp '{}/call.XXXXXXXX')\"\nexec '{}' \"$@\"\n",
            log.display(),
            real_gcc.display()
        ),
    );
    (dir, log)
}

/// pbuild compiles to a temp name next to the output and renames it (`fsutil::temp_path`):
/// `dir/.name.pbuild-tmp-PID` → `dir/name`, the file the command produces in the end.
fn final_name(word: &str) -> String {
    let p = Path::new(word);
    match p
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix('.'))
        .and_then(|n| n.rsplit_once(".pbuild-tmp-"))
    {
        Some((name, pid)) if pid.chars().all(|c| c.is_ascii_digit()) => {
            p.with_file_name(name).display().to_string()
        }
        _ => word.to_string(),
    }
}

#[test]
fn compile_commands_are_the_commands_pbuild_ran() {
    let f = Fixture::new();
    let proj = f.path().join("gadget");
    particle_project(&proj);
    let (toolchain, log) = logging_toolchain(&f);
    for target in ["main", "modules"] {
        let _ = std::fs::remove_dir_all(&log);
        std::fs::create_dir_all(&log).unwrap();
        let mut cmd = pbuild_command();
        cmd.arg("--tree")
            .arg(&f.tree)
            .args([
                "--platform",
                "electron",
                "build",
                "-j",
                "2",
                "--target",
                target,
                // Every compile runs (the log is of the compiles that ran): none from the
                // cache, which serves `modules` the compiles `main` already did, and none copied
                // from an equivalent variant.
                "--no-cache",
                "--exact-elf",
            ])
            .current_dir(&proj)
            .env("PATH", f.path_env())
            // Device OS writes $(GCC_ARM_PATH)arm-none-eabi-gcc: the slash is the user's.
            .env("GCC_ARM_PATH", format!("{}/", toolchain.display()))
            .env_remove("DEVICE_OS_PATH")
            .env_remove("PBUILD_TARGET_DIR");
        Run::of_command(&mut cmd).ok();
        let ran: Vec<(String, Vec<String>)> = std::fs::read_dir(&log)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .map(|l| {
                let mut words: Vec<String> = l.split('\x1f').map(String::from).collect();
                words.pop(); // after the last separator
                let dir = words.remove(0);
                (dir, words)
            })
            .filter(|(_, args)| args.iter().any(|a| a == "-c"))
            .map(|(dir, mut args)| {
                // pbuild runs compiles with -pipe (same object, no temp file); the listed
                // command is make's.
                assert_eq!(args[0], "-pipe", "{args:?}");
                args.remove(0);
                (dir, args.into_iter().map(|a| final_name(&a)).collect())
            })
            .collect();
        let entries = compdb_entries(&proj.join("compile_commands.json"));
        let mut listed: Vec<(String, Vec<String>)> = entries
            .iter()
            .map(|e| {
                let args: Vec<String> = e["arguments"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_string())
                    .collect();
                assert_eq!(
                    args[0],
                    format!("{}/arm-none-eabi-gcc", toolchain.display())
                );
                (
                    e["directory"].as_str().unwrap().to_string(),
                    args[1..].to_vec(),
                )
            })
            .collect();
        let mut ran_sorted = ran.clone();
        if target == "main" {
            // The app's compiles only: those naming a source in the project.
            let p = proj.display().to_string();
            ran_sorted.retain(|(_, args)| args.last().is_some_and(|s| s.starts_with(&p)));
            assert_eq!(ran_sorted.len(), 5, "{ran_sorted:?}");
        } else {
            assert!(
                ran_sorted.len() > 40,
                "modules ran {} compiles",
                ran_sorted.len()
            );
        }
        ran_sorted.sort();
        listed.sort();
        assert_eq!(
            listed, ran_sorted,
            "{target}: compile_commands.json != the compiles that ran"
        );
    }
    // A no-op build leaves the file alone (no editor re-index).
    let before = std::fs::metadata(proj.join("compile_commands.json"))
        .unwrap()
        .modified()
        .unwrap();
    let mut cmd = pbuild_command();
    cmd.arg("--tree")
        .arg(&f.tree)
        .args(["--platform", "electron", "build", "--target", "modules"])
        .current_dir(&proj)
        .env("PATH", f.path_env())
        .env("GCC_ARM_PATH", format!("{}/", toolchain.display()))
        .env_remove("DEVICE_OS_PATH");
    Run::of_command(&mut cmd).ok();
    let after = std::fs::metadata(proj.join("compile_commands.json"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);
}

/// Issue 15 A1: sources reached through symbolic links (a file, a directory elsewhere) are
/// compiled as make compiles them; a link loop and a dangling link are errors naming the link.
#[test]
fn symlinked_sources_are_compiled_as_make_does() {
    let f = Fixture::new();
    let shared = f.path().join("shared");
    write(&shared.join("linked.cpp"), "int linked() { return 4; }\n");
    write(&shared.join("dir/deep.c"), "int deep(void) { return 5; }\n");
    let app = f.path().join("linky");
    write(
        &app.join("linky.cpp"),
        "#include \"Particle.h\"\nint linked();\nextern \"C\" int deep(void);\n\
         void setup() { pinMode(D7, OUTPUT); }\nvoid loop() { digitalWrite(D7, linked() + deep()); }\n",
    );
    std::os::unix::fs::symlink(shared.join("linked.cpp"), app.join("linked.cpp")).unwrap();
    std::os::unix::fs::symlink(shared.join("dir"), app.join("more")).unwrap();
    let r = f
        .pbuild(&[
            "--platform",
            "photon",
            "--appdir",
            app.to_str().unwrap(),
            "--message-format",
            "json",
            "build",
            "-v",
        ])
        .ok();
    assert!(r.stderr.contains("/linky/linked.cpp"), "{}", r.stderr);
    assert!(r.stderr.contains("/linky/more/deep.c"), "{}", r.stderr);
    let ours = std::fs::read(&r.artifacts()[0].1).unwrap();
    let plain = f.path().join("linky-make");
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::copy(app.join("linky.cpp"), plain.join("linky.cpp")).unwrap();
    std::os::unix::fs::symlink(shared.join("linked.cpp"), plain.join("linked.cpp")).unwrap();
    std::os::unix::fs::symlink(shared.join("dir"), plain.join("more")).unwrap();
    assert!(
        ours == make_bin(&f, &plain, &[]),
        "the build through links differs from make's"
    );

    // A loop: more/back -> the app directory.
    std::os::unix::fs::symlink(&app, shared.join("dir/back")).unwrap();
    let r = f
        .pbuild(&[
            "--platform",
            "photon",
            "--appdir",
            app.to_str().unwrap(),
            "build",
        ])
        .fails(2);
    assert!(
        r.stderr.contains("more/back is a symbolic link back to") && r.stderr.contains("a loop"),
        "{}",
        r.stderr
    );
    std::fs::remove_file(shared.join("dir/back")).unwrap();
    // A dangling link.
    std::os::unix::fs::symlink(f.path().join("gone.cpp"), app.join("gone.cpp")).unwrap();
    let r = f
        .pbuild(&[
            "--platform",
            "photon",
            "--appdir",
            app.to_str().unwrap(),
            "build",
        ])
        .fails(2);
    assert!(
        r.stderr.contains("gone.cpp is a symbolic link to nothing"),
        "{}",
        r.stderr
    );
}

/// Issue 15 B6: compile_commands.json goes where the project lives, never into the Device OS
/// tree unless asked, can be turned off, and a file that cannot be written fails no build.
#[test]
fn compile_commands_json_is_written_only_where_the_project_lives() {
    let f = Fixture::new();
    let in_tree = f.tree.join("user/applications/blink/compile_commands.json");
    f.pbuild(&["--platform", "photon", "--app", "blink", "build"])
        .ok();
    assert!(!in_tree.exists(), "nothing written into the tree");

    // Asked for: a project.toml naming the tree's app.
    let proj = f.path().join("asks");
    write(
        &proj.join("project.toml"),
        "platform = \"photon\"\napp = \"blink\"\ncompile_commands = true\n",
    );
    f.pbuild_in(&proj, &["build"]).ok();
    assert!(!compdb_entries(&in_tree).is_empty());
    std::fs::remove_file(&in_tree).unwrap();

    // Turned off for a project of its own.
    let own = f.path().join("own");
    particle_project(&own);
    write(
        &own.join("project.toml"),
        "platform = \"photon\"\ncompile_commands = false\n",
    );
    f.pbuild_in(&own, &["build"]).ok();
    assert!(!own.join("compile_commands.json").exists());

    // compile_commands.json cannot be written (here a directory stands in its place, which
    // fails even for root): a warning, and the build succeeds.
    write(&own.join("project.toml"), "platform = \"photon\"\n");
    std::fs::create_dir_all(own.join("compile_commands.json/x")).unwrap();
    let r = f.pbuild_in(&own, &["build"]).ok();
    assert!(
        r.stderr.contains("warning:") && r.stderr.contains("compile_commands = false"),
        "{}",
        r.stderr
    );
}
