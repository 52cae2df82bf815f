//! `pbuild build` against the tree's own make: byte-identical outputs, exact incremental behaviour.

use std::path::{Path, PathBuf};

use pbuild::image::module_info::find_module_info;

use crate::support::*;

/// (function, index) of a module image: how make's outputs are matched with pbuild's.
pub(crate) fn module_key(path: &Path) -> (u8, u8) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let info = find_module_info(&bytes).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    (info.function.code(), info.index)
}

/// Every file with extension `ext` below `dir`.
pub(crate) fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == ext))
        .map(|e| e.into_path())
        .collect()
}

/// Assert each pbuild artifact (.bin and .dfu) equals make's output for the same module.
#[track_caller]
pub(crate) fn assert_same_as_make(artifacts: &[(String, PathBuf)], make_out: &Path) {
    let make_bins = files_with_ext(make_out, "bin");
    assert!(
        !make_bins.is_empty(),
        "make produced no .bin under {}",
        make_out.display()
    );
    assert!(!artifacts.is_empty(), "pbuild reported no artifacts");
    for (module, bin) in artifacts {
        let key = module_key(bin);
        let theirs: Vec<&PathBuf> = make_bins.iter().filter(|b| module_key(b) == key).collect();
        assert_eq!(
            theirs.len(),
            1,
            "{module}: make outputs with header {key:?}: {theirs:?}"
        );
        let ours_bytes = std::fs::read(bin).unwrap();
        let theirs_bytes = std::fs::read(theirs[0]).unwrap();
        assert!(
            ours_bytes == theirs_bytes,
            "{module}: {} ({} bytes) differs from make's {} ({} bytes)",
            bin.display(),
            ours_bytes.len(),
            theirs[0].display(),
            theirs_bytes.len()
        );
        // Device OS's `%.dfu` recipe: `cp $< $@` then `dfu-suffix -v 2B04 -p <PID> -a $@`.
        let pid = match find_module_info(&ours_bytes).unwrap().platform_id {
            6 => "D006",
            8 => "D008",
            10 => "D00A",
            other => panic!("platform {other}"),
        };
        let their_dfu = theirs[0].with_extension("dfu-ref");
        std::fs::copy(theirs[0], &their_dfu).unwrap();
        let out = std::process::Command::new("dfu-suffix")
            .args(["-v", "2B04", "-p", pid, "-a"])
            .arg(&their_dfu)
            .output()
            .expect("dfu-suffix (package dfu-util) is installed");
        assert!(
            out.status.success(),
            "dfu-suffix: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            std::fs::read(bin.with_extension("dfu")).unwrap() == std::fs::read(&their_dfu).unwrap(),
            "{module}: .dfu differs from make's recipe applied to {}",
            theirs[0].display()
        );
    }
}

fn build_json(f: &Fixture, platform: &str, target: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "--platform",
        platform,
        "--app",
        "blink",
        "--message-format",
        "json",
        "build",
        "--target",
        target,
    ];
    args.extend_from_slice(extra);
    f.pbuild(&args).ok()
}

fn check_platform_matches_make(platform: &str) {
    let f = Fixture::new();
    // modules: system parts + user part, built in parallel.
    let ours = build_json(&f, platform, "modules", &["-j", "2"]);
    let arts = ours.artifacts();
    // Equivalent variants compiled once (build::variants): the comparison below covers them.
    assert!(
        ours.finished()["shared_variants"].as_u64().unwrap() > 0,
        "no compile was shared: {}",
        ours.finished()
    );
    assert!(arts.iter().any(|(m, _)| m == "user-part"), "{arts:?}");
    assert!(
        arts.iter()
            .filter(|(m, _)| m.starts_with("system-part"))
            .count()
            >= 2,
        "{arts:?}"
    );
    f.make(
        "modules",
        &[&format!("PLATFORM={platform}"), "APP=blink", "clean", "all"],
    );
    assert_same_as_make(&arts, &f.tree.join("build/target"));

    // main: the user part alone, after the modules build (the history hazard must not leak in).
    let ours = build_json(&f, platform, "main", &[]);
    let arts = ours.artifacts();
    assert_eq!(arts.len(), 1, "{arts:?}");
    std::fs::remove_dir_all(f.tree.join("build/target")).unwrap();
    f.make(
        "main",
        &[&format!("PLATFORM={platform}"), "APP=blink", "clean", "all"],
    );
    assert_same_as_make(&arts, &f.tree.join("build/target"));

    // bootloader: what `flash` stages when a system needs a newer one.
    let ours = build_json(&f, platform, "bootloader", &[]);
    let arts = ours.artifacts();
    assert_eq!(arts.len(), 1, "{arts:?}");
    assert_eq!(arts[0].0, "bootloader");
    std::fs::remove_dir_all(f.tree.join("build/target")).unwrap();
    f.make(
        "bootloader",
        &[&format!("PLATFORM={platform}"), "clean", "all"],
    );
    assert_same_as_make(&arts, &f.tree.join("build/target"));
}

#[test]
fn photon_matches_make_byte_for_byte() {
    check_platform_matches_make("photon");
}

#[test]
fn p1_matches_make_byte_for_byte() {
    check_platform_matches_make("p1");
}

#[test]
fn electron_matches_make_byte_for_byte() {
    check_platform_matches_make("electron");
}

/// `elf` without its debug sections (`strip --strip-debug`).
fn without_debug(elf: &Path) -> Vec<u8> {
    let out = elf.with_extension("nodebug");
    let status = std::process::Command::new("arm-none-eabi-strip")
        .arg("--strip-debug")
        .arg("-o")
        .arg(&out)
        .arg(elf)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(out).unwrap()
}

#[test]
fn variants_compiled_once_change_only_the_debug_info_and_exact_elf_compiles_each() {
    let f = Fixture::new();
    let shared = build_json(&f, "photon", "modules", &["-j", "2", "--no-cache"]);
    let n = shared.finished()["shared_variants"].as_u64().unwrap();
    assert!(n > 0, "{}", shared.finished());
    let keep = f.dir.path().join("shared");
    std::fs::create_dir_all(&keep).unwrap();
    let copies: Vec<(String, PathBuf, PathBuf)> = shared
        .artifacts()
        .into_iter()
        .map(|(m, bin)| {
            let elf = bin.with_extension("elf");
            let kept = keep.join(elf.file_name().unwrap());
            std::fs::copy(&elf, &kept).unwrap();
            std::fs::copy(&bin, kept.with_extension("bin")).unwrap();
            (m, bin, kept)
        })
        .collect();
    f.pbuild(&["--platform", "photon", "--app", "blink", "clean"])
        .ok();
    let exact = build_json(
        &f,
        "photon",
        "modules",
        &["-j", "2", "--no-cache", "--exact-elf"],
    );
    assert_eq!(
        exact.finished()["shared_variants"],
        0,
        "{}",
        exact.finished()
    );
    assert_eq!(exact.steps_run(), shared.steps_run());
    let mut elf_differs = 0;
    for (module, bin, kept) in &copies {
        assert!(
            std::fs::read(bin).unwrap() == std::fs::read(kept.with_extension("bin")).unwrap(),
            "{module}: the .bin depends on --exact-elf"
        );
        let elf = bin.with_extension("elf");
        elf_differs += usize::from(std::fs::read(&elf).unwrap() != std::fs::read(kept).unwrap());
        assert!(
            without_debug(&elf) == without_debug(kept),
            "{module}: the .elf differs outside its debug sections"
        );
    }
    assert!(
        elf_differs > 0,
        "the macro debug info names the first variant's -D values, so some .elf should differ"
    );
}

#[test]
fn the_example_tree_has_the_shared_library_hazard() {
    // Make's plain `all` on an empty build dir links later modules against the first module's
    // library objects; `clean all` does not. If this ever stops differing, the byte-for-byte tests
    // above no longer prove that pbuild avoids the hazard.
    let f = Fixture::new();
    f.make("modules", &["PLATFORM=photon", "APP=blink", "clean", "all"]);
    let clean_all: Vec<(PathBuf, Vec<u8>)> = files_with_ext(&f.tree.join("build/target"), "bin")
        .into_iter()
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    std::fs::remove_dir_all(f.tree.join("build/target")).unwrap();
    f.make("modules", &["PLATFORM=photon", "APP=blink", "all"]);
    let differing: Vec<&PathBuf> = clean_all
        .iter()
        .filter(|(p, b)| std::fs::read(p).unwrap() != *b)
        .map(|(p, _)| p)
        .collect();
    assert!(
        !differing.is_empty(),
        "plain `all` gave the same binaries as `clean all`"
    );
}

/// Issue 14 item 2: a no-op is answered from the no-op record (stat calls only): it reads neither
/// the plan nor the tree's makefile list, and any change takes the full path again.
#[test]
fn a_noop_reads_no_plan_and_any_change_takes_the_full_path() {
    let f = Fixture::new();
    let first = build_json(&f, "p1", "main", &[]);
    assert!(first.steps_run() > 0);
    let state = f.target_dir().join(".pbuild");
    let records: Vec<PathBuf> = std::fs::read_dir(state.join("build"))
        .unwrap()
        .map(|e| e.unwrap().path().join("noop"))
        .filter(|p| p.is_file())
        .collect();
    assert_eq!(records.len(), 1, "one no-op record for one build");
    // What the full path reads first, made unreadable as JSON: a no-op must not need them.
    let plans: Vec<PathBuf> = std::fs::read_dir(state.join("plans"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!plans.is_empty());
    for p in plans.iter().chain([&state.join("makefiles.json")]) {
        std::fs::write(p, b"not json").unwrap();
    }
    let calls = f.make_calls();
    let again = f
        .command_at(&f.target_dir())
        .env("PBUILD_TIMINGS", "1")
        .args([
            "--platform",
            "p1",
            "--app",
            "blink",
            "--message-format",
            "json",
        ])
        .args(["build", "--target", "main"])
        .output()
        .unwrap();
    let again = Run::of_output(again).ok();
    assert_eq!(again.steps_run(), 0, "{}", again.stderr);
    assert_eq!(
        again.finished()["steps_total"],
        first.finished()["steps_total"]
    );
    assert_eq!(again.artifacts(), first.artifacts());
    assert!(
        again.stderr.contains("no-op check"),
        "the no-op did not come from the record: {}",
        again.stderr
    );
    assert_eq!(f.make_calls(), calls);
    assert_eq!(std::fs::read(&plans[0]).unwrap(), b"not json");

    // A published image the user removed comes back (the record holds the copies' stamps).
    let bin = f.target_dir().join("p1/blink.bin");
    let good = std::fs::read(&bin).unwrap();
    std::fs::remove_file(&bin).unwrap();
    assert_eq!(build_json(&f, "p1", "main", &[]).steps_run(), 0);
    assert_eq!(std::fs::read(&bin).unwrap(), good);

    // A makefile that no make of this build reads (the bootloader's): its edit cannot change the
    // plan, and the no-op stays on the record. One that is read takes the full path: imported again.
    let timed = || {
        let out = f
            .command_at(&f.target_dir())
            .env("PBUILD_TIMINGS", "1")
            .args([
                "--platform",
                "p1",
                "--app",
                "blink",
                "--message-format",
                "json",
            ])
            .args(["build", "--target", "main"])
            .output()
            .unwrap();
        Run::of_output(out).ok()
    };
    let append = |rel: &str| {
        let p = f.tree.join(rel);
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, format!("{text}\n# edited\n")).unwrap();
    };
    let calls = f.make_calls();
    append("bootloader/build.mk");
    let r = timed();
    assert_eq!(r.steps_run(), 0);
    assert!(r.stderr.contains("no-op check"), "{}", r.stderr);
    assert_eq!(f.make_calls(), calls);
    append("build/module.mk");
    let r = timed();
    assert_eq!(r.steps_run(), 0);
    assert!(!r.stderr.contains("no-op check"), "{}", r.stderr);
    assert_eq!(f.make_calls(), calls + 1, "an edited makefile make reads");
    assert!(timed().stderr.contains("no-op check"));

    // An edited source: its compile and what depends on it run.
    let src = app_file(&f, "blink.cpp");
    let text = std::fs::read_to_string(&src).unwrap();
    std::fs::write(&src, format!("{text}\n// edited\n")).unwrap();
    assert!(build_json(&f, "p1", "main", &[]).steps_run() > 0);
    assert_eq!(build_json(&f, "p1", "main", &[]).steps_run(), 0);

    // Another setting that chooses the steps: no precompiled header.
    assert!(build_json(&f, "p1", "main", &["--no-pch"]).steps_run() > 0);
    assert_eq!(build_json(&f, "p1", "main", &["--no-pch"]).steps_run(), 0);
    assert!(build_json(&f, "p1", "main", &[]).steps_run() > 0);

    // A removed object, a removed build log: what the engine would rerun, runs.
    let object = files_with_ext(&state.join("build"), "o")
        .into_iter()
        .next()
        .expect("an object");
    std::fs::remove_file(&object).unwrap();
    assert!(build_json(&f, "p1", "main", &[]).steps_run() > 0);
    let total = first.finished()["steps_total"].as_u64().unwrap();
    for r in &records {
        std::fs::remove_file(r.parent().unwrap().join("db")).unwrap();
    }
    assert_eq!(build_json(&f, "p1", "main", &[]).steps_run(), total);

    // A makefile added where Device OS includes makefiles by wildcard: the plan is imported again.
    let calls = f.make_calls();
    std::fs::write(
        f.tree.join("modules/shared/pbuild-test-include.mk"),
        "# read by no one\n",
    )
    .unwrap();
    let r = build_json(&f, "p1", "main", &[]);
    assert_eq!(r.steps_run(), 0);
    assert_eq!(
        f.make_calls(),
        calls + 1,
        "a new makefile was not noticed: {}",
        r.stderr
    );
}

/// Device OS finds a module's sources by wildcard (`$(call target_files,src/,*.c)`): a source
/// added to a directory of the tree changes what make builds with no makefile changed. pbuild
/// imports the plan again and builds what make builds; removing the file goes back.
#[test]
fn a_source_added_to_the_tree_is_built_as_make_builds_it() {
    let f = Fixture::new();
    let first = build_json(&f, "photon", "modules", &[]);
    let part1 = |r: &Run| {
        r.artifacts()
            .into_iter()
            .find(|(m, p)| m == "system-part1" && p.extension().is_some_and(|e| e == "bin"))
            .expect("system-part1.bin")
            .1
    };
    let before = std::fs::read(part1(&first)).unwrap();
    let extra = f
        .tree
        .join("modules/photon/system-part1/src/pbuild_extra.cpp");
    std::fs::write(
        &extra,
        "extern \"C\" int pbuild_side(void) { return 3; }\nstatic volatile int pbuild_v = pbuild_side();\n",
    )
    .unwrap();
    let calls = f.make_calls();
    let added = build_json(&f, "photon", "modules", &[]);
    assert_eq!(f.make_calls(), calls + 1, "the plan was not imported again");
    assert_eq!(
        added.finished()["steps_total"].as_u64(),
        first.finished()["steps_total"].as_u64().map(|n| n + 1),
        "one more compile"
    );
    let with_extra = std::fs::read(part1(&added)).unwrap();
    assert_ne!(with_extra, before, "the new source is not in the module");
    f.make("modules", &["PLATFORM=photon", "APP=blink", "clean", "all"]);
    assert_same_as_make(&added.artifacts(), &f.tree.join("build/target"));

    std::fs::remove_file(&extra).unwrap();
    let removed = build_json(&f, "photon", "modules", &[]);
    assert_eq!(
        removed.finished()["steps_total"],
        first.finished()["steps_total"]
    );
    assert_eq!(std::fs::read(part1(&removed)).unwrap(), before);
}

#[test]
fn noop_runs_no_step_and_no_make() {
    let f = Fixture::new();
    let first = build_json(&f, "p1", "main", &[]);
    assert!(first.steps_run() > 0);
    let calls = f.make_calls();
    assert_eq!(
        calls, 1,
        "the first build imports the plan with one make dry run"
    );
    let again = build_json(&f, "p1", "main", &[]);
    assert_eq!(again.steps_run(), 0, "{}", again.stderr);
    assert_eq!(f.make_calls(), calls, "a no-op build ran make");
    let modules = build_json(&f, "p1", "modules", &[]);
    assert!(modules.steps_run() > 0);
    let calls = f.make_calls();
    let again = build_json(&f, "p1", "modules", &[]);
    assert_eq!(again.steps_run(), 0, "{}", again.stderr);
    assert_eq!(f.make_calls(), calls);
    // Both targets write the user part to target/p1: switching between them reruns nothing
    // (issue 15 item 14: `flash` built modules, the next `build` reran `IMAGE user-part`).
    let app = f.target_dir().join("p1/blink.bin");
    let before = std::fs::metadata(&app).unwrap().modified().unwrap();
    for target in ["main", "modules", "main"] {
        let r = build_json(&f, "p1", target, &[]);
        assert_eq!(r.steps_run(), 0, "{target}: {}", r.stderr);
    }
    assert_eq!(
        std::fs::metadata(&app).unwrap().modified().unwrap(),
        before,
        "an identical user part was written again"
    );
    // What the user finds in target/ is what was built, even after they wrote over it.
    let good = std::fs::read(&app).unwrap();
    std::fs::write(&app, b"not a module").unwrap();
    let r = build_json(&f, "p1", "main", &[]);
    assert_eq!(r.steps_run(), 0, "{}", r.stderr);
    assert_eq!(std::fs::read(&app).unwrap(), good);
}

fn app_file(f: &Fixture, name: &str) -> PathBuf {
    f.tree.join("user/applications/blink").join(name)
}

fn explain(f: &Fixture, platform: &str, target: &str) -> Vec<String> {
    let r = f
        .pbuild(&[
            "--platform",
            platform,
            "--app",
            "blink",
            "--message-format",
            "json",
            "build",
            "--target",
            target,
            "--explain",
        ])
        .ok();
    let labels = r.explained();
    assert_eq!(
        labels.len() as u64,
        r.steps_run(),
        "one explanation per step run:\n{}",
        r.stderr
    );
    labels
}

#[test]
fn editing_one_app_file_reruns_its_compile_and_what_follows() {
    let f = Fixture::new();
    build_json(&f, "p1", "main", &[]);
    let src = app_file(&f, "blink.cpp");
    let mut text = std::fs::read_to_string(&src).unwrap();
    text.push_str("\nint pbuild_test_edit(int x) { return x * 3; }\n");
    std::fs::write(&src, text).unwrap();
    let ran = explain(&f, "p1", "main");
    let compiles: Vec<&String> = ran.iter().filter(|l| l.starts_with("CC ")).collect();
    assert_eq!(
        compiles,
        ["CC user/applications/blink/blink.cpp"],
        "{ran:?}"
    );
    assert!(ran.iter().any(|l| l.starts_with("LINK ")), "{ran:?}");
    assert_eq!(ran.last().unwrap(), "IMAGE user-part", "{ran:?}");
    // Nothing but the compile, its archive(s), the link and the image.
    assert!(ran.iter().all(|l| {
        ["CC ", "AR ", "LINK ", "IMAGE "]
            .iter()
            .any(|k| l.starts_with(k))
    }));
    assert!(
        ran.iter().filter(|l| l.starts_with("LINK ")).count() == 1,
        "{ran:?}"
    );
    assert!(explain(&f, "p1", "main").is_empty());
}

#[test]
fn adding_and_removing_app_files_needs_no_reimport_and_matches_make() {
    let f = Fixture::new();
    build_json(&f, "p1", "main", &[]);
    let calls = f.make_calls();
    std::fs::create_dir_all(app_file(&f, "sub")).unwrap();
    std::fs::write(
        app_file(&f, "sub/extra.cpp"),
        "int pbuild_extra(int x) { return x + 41; }\n",
    )
    .unwrap();
    std::fs::write(
        app_file(&f, "zz_helper.cpp"),
        "int pbuild_helper(int x) { return x - 1; }\n",
    )
    .unwrap();
    let r = build_json(&f, "p1", "main", &[]);
    assert_eq!(
        f.make_calls(),
        calls,
        "adding a .cpp file re-imported the plan"
    );
    f.make("main", &["PLATFORM=p1", "APP=blink", "clean", "all"]);
    assert_same_as_make(&r.artifacts(), &f.tree.join("build/target"));

    std::fs::remove_file(app_file(&f, "zz_helper.cpp")).unwrap();
    let r = build_json(&f, "p1", "main", &[]);
    assert_eq!(f.make_calls(), calls);
    std::fs::remove_dir_all(f.tree.join("build/target")).unwrap();
    f.make("main", &["PLATFORM=p1", "APP=blink", "clean", "all"]);
    assert_same_as_make(&r.artifacts(), &f.tree.join("build/target"));
}

#[test]
fn switching_platforms_never_mixes_objects() {
    let f = Fixture::new();
    let p1 = build_json(&f, "p1", "main", &[]).artifacts();
    let p1_bytes = std::fs::read(&p1[0].1).unwrap();
    let photon = build_json(&f, "photon", "main", &[]).artifacts();
    let back = build_json(&f, "p1", "main", &[]);
    assert_eq!(
        back.steps_run(),
        0,
        "switching back to p1 rebuilt: {}",
        back.stderr
    );
    assert_eq!(std::fs::read(&p1[0].1).unwrap(), p1_bytes);
    f.make("main", &["PLATFORM=p1", "APP=blink", "clean", "all"]);
    assert_same_as_make(&p1, &f.tree.join("build/target"));
    std::fs::remove_dir_all(f.tree.join("build/target")).unwrap();
    f.make("main", &["PLATFORM=photon", "APP=blink", "clean", "all"]);
    assert_same_as_make(&photon, &f.tree.join("build/target"));
}

#[test]
fn compile_error_shows_gcc_location_and_keeps_the_last_good_artifact() {
    let f = Fixture::new();
    let arts = build_json(&f, "p1", "main", &[]).artifacts();
    let good = std::fs::read(&arts[0].1).unwrap();
    let src = app_file(&f, "blink.cpp");
    let original = std::fs::read_to_string(&src).unwrap();
    let line = original.lines().count() + 1;
    std::fs::write(&src, format!("{original}int broken( {{\n")).unwrap();
    let r = f
        .pbuild(&["--platform", "p1", "--app", "blink", "build"])
        .fails(1);
    assert!(
        r.stderr.contains(&format!("blink.cpp:{line}:")),
        "gcc's file:line missing:\n{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("FAILED: CC user/applications/blink/blink.cpp"),
        "{}",
        r.stderr
    );
    // gcc's message, not a screen of flags before it (issue 15 item 13); -v shows the command.
    assert!(!r.stderr.contains("(cd "), "{}", r.stderr);
    let v = f
        .pbuild(&["--platform", "p1", "--app", "blink", "build", "-v"])
        .fails(1);
    assert!(
        v.stderr.contains("(cd ") && v.stderr.contains("blink.cpp"),
        "{}",
        v.stderr
    );
    assert_eq!(
        std::fs::read(&arts[0].1).unwrap(),
        good,
        "the last good artifact was touched"
    );
    std::fs::write(&src, original).unwrap();
    let r = build_json(&f, "p1", "main", &[]);
    assert!(r.steps_run() > 0);
    assert_eq!(std::fs::read(&arts[0].1).unwrap(), good);
}

#[test]
fn appdir_outside_the_tree_matches_make() {
    let f = Fixture::new();
    let app = f.path().join("myapp");
    copy_tree(&f.tree.join("user/applications/blink"), &app);
    let r = f
        .pbuild(&[
            "--platform",
            "electron",
            "--appdir",
            app.to_str().unwrap(),
            "--message-format",
            "json",
            "build",
        ])
        .ok();
    let arts = r.artifacts();
    assert_eq!(arts.len(), 1);
    let plain = f.path().join("myapp-for-make");
    copy_tree(&app, &plain);
    f.make(
        "main",
        &[
            "PLATFORM=electron",
            &format!("APPDIR={}", plain.display()),
            "all",
        ],
    );
    let theirs = plain.join("target");
    let ours = std::fs::read(&arts[0].1).unwrap();
    let theirs_bin: Vec<PathBuf> = files_with_ext(&theirs, "bin");
    assert_eq!(theirs_bin.len(), 1, "{theirs_bin:?}");
    assert!(
        ours == std::fs::read(&theirs_bin[0]).unwrap(),
        "APPDIR build differs from make's"
    );
}

#[test]
fn project_toml_gives_the_defaults() {
    let f = Fixture::new();
    let proj = f.path().join("proj");
    std::fs::create_dir_all(proj.join("deeper")).unwrap();
    std::fs::write(
        proj.join("project.toml"),
        format!(
            "platform = \"electron\"\napp = \"blink\"\ntree = \"{}\"\njobs = 2\n",
            f.tree.display()
        ),
    )
    .unwrap();
    let out = pbuild_command()
        .args(["--message-format", "json", "build"])
        .current_dir(proj.join("deeper"))
        .env("PATH", f.path_env())
        .env_remove("DEVICE_OS_PATH")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let artifact: serde_json::Value = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["reason"] == "artifact")
        .unwrap();
    assert_eq!(artifact["platform"], "electron");
    assert_eq!(artifact["module"], "user-part");
    assert_eq!(
        artifact["bin"],
        proj.join("target/electron/blink.bin").display().to_string()
    );
    for key in ["elf", "dfu"] {
        assert!(
            Path::new(artifact[key].as_str().unwrap()).is_file(),
            "{key}"
        );
    }
}

/// Sources in the tree that `#include "<header>"` directly (the header is not included by other headers).
fn direct_includers(tree: &Path, header: &str) -> Vec<String> {
    let mut found: Vec<String> = walkdir::WalkDir::new(tree)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.path()
                .extension()
                .is_some_and(|x| x == "c" || x == "cpp" || x == "h")
        })
        .filter(|e| {
            std::fs::read_to_string(e.path())
                .unwrap()
                .contains(&format!("#include \"{header}\""))
        })
        .map(|e| e.path().strip_prefix(tree).unwrap().display().to_string())
        .collect();
    found.sort();
    found
}

#[test]
fn editing_a_header_rebuilds_exactly_its_dependants() {
    let f = Fixture::new();
    build_json(&f, "photon", "modules", &[]);
    let header = "events.h";
    let includers = direct_includers(&f.tree, header);
    assert!(
        includers.iter().all(|s| !s.ends_with(".h")),
        "{header} is included by a header: {includers:?}"
    );
    assert!(!includers.is_empty());
    // How many distinct compile commands make has for each includer (one per module context).
    let dry = std::process::Command::new("make")
        .args(["-n", "-B", "-k", "-C"])
        .arg(f.tree.join("modules"))
        .args(["PLATFORM=photon", "APP=blink", "all"])
        .output()
        .unwrap();
    let dry = String::from_utf8_lossy(&dry.stdout);
    let mut expected: Vec<String> = Vec::new();
    for src in &includers {
        let name = Path::new(src)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let mut variants: Vec<&str> = dry
            .lines()
            .filter(|l| l.contains(" -c ") && l.ends_with(&format!("/{name}")))
            .collect();
        variants.sort();
        variants.dedup();
        assert!(!variants.is_empty(), "make never compiles {src}");
        expected.extend(variants.iter().map(|_| format!("CC {src}")));
    }
    expected.sort();

    let path = f.tree.join(
        walkdir::WalkDir::new(&f.tree)
            .into_iter()
            .filter_map(|e| e.ok())
            .find(|e| e.file_name() == header)
            .unwrap()
            .path()
            .strip_prefix(&f.tree)
            .unwrap(),
    );
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n/* edited */\n");
    std::fs::write(&path, text).unwrap();
    let ran = explain(&f, "photon", "modules");
    let mut compiles: Vec<String> = ran
        .iter()
        .filter(|l| l.starts_with("CC "))
        .cloned()
        .collect();
    compiles.sort();
    assert_eq!(compiles, expected, "all steps run: {ran:?}");
    assert!(
        ran.iter().all(|l| ["CC ", "AR ", "LINK ", "IMAGE "]
            .iter()
            .any(|k| l.starts_with(k))),
        "{ran:?}"
    );
    assert!(explain(&f, "photon", "modules").is_empty());
}

#[test]
fn a_source_saved_while_it_compiles_is_rebuilt_next_time() {
    let f = Fixture::new();
    // A compiler wrapper (present for every build, so the toolchain identity never changes) that,
    // when armed, lets the compile of blink.cpp read the file and then "saves" it again.
    let real = which("arm-none-eabi-gcc").unwrap();
    let src = app_file(&f, "blink.cpp");
    let armed = f.path().join("armed");
    write_script(
        &f.bin.join("arm-none-eabi-gcc"),
        &format!(
            "#!/bin/sh\n'{}' \"$@\"; rc=$?\ncase \"$*\" in *blink.cpp*) if [ -e '{}' ]; then rm '{}'; echo '// saved during the build' >> '{}'; fi;; esac\nexit $rc\n",
            real.display(),
            armed.display(),
            armed.display(),
            src.display()
        ),
    );
    build_json(&f, "p1", "main", &[]);
    std::fs::write(
        &src,
        format!(
            "{}\n// first edit\n",
            std::fs::read_to_string(&src).unwrap()
        ),
    )
    .unwrap();
    std::fs::write(&armed, "").unwrap();
    let ran = explain(&f, "p1", "main");
    assert!(
        ran.contains(&"CC user/applications/blink/blink.cpp".to_string()),
        "{ran:?}"
    );
    assert!(!armed.exists(), "the wrapper did not fire");
    let ran = explain(&f, "p1", "main");
    let compiles: Vec<&String> = ran.iter().filter(|l| l.starts_with("CC ")).collect();
    assert_eq!(
        compiles,
        ["CC user/applications/blink/blink.cpp"],
        "the save during the build was missed: {ran:?}"
    );
    assert!(explain(&f, "p1", "main").is_empty());
}

/// Issue 15 B5: `clean` removes what pbuild made and says so; the tree's own make outputs only
/// with `--tree-outputs`; and it waits for a build that holds the build state, as a build does.
#[test]
fn clean_keeps_the_trees_make_outputs_unless_asked_and_waits_for_a_build() {
    let f = Fixture::new();
    f.make("main", &["PLATFORM=photon", "APP=blink", "all"]);
    let makes = files_with_ext(&f.tree.join("build/target"), "o");
    assert!(!makes.is_empty());
    f.pbuild(&["--platform", "photon", "--app", "blink", "build"])
        .ok();
    let ours = f.target_dir().join("photon");
    assert!(ours.is_dir());

    let r = f.pbuild(&["--platform", "photon", "clean"]).ok();
    assert!(r.stderr.contains("Removed out/photon"), "{}", r.stderr);
    assert!(!ours.exists());
    assert_eq!(
        files_with_ext(&f.tree.join("build/target"), "o"),
        makes,
        "make's outputs in the tree are not pbuild's to remove"
    );
    let r = f
        .pbuild(&["--platform", "photon", "clean", "--tree-outputs"])
        .ok();
    assert!(
        r.stderr.contains("build/target/user/platform-6"),
        "{}",
        r.stderr
    );
    assert!(files_with_ext(&f.tree.join("build/target"), "o").is_empty());

    // A build holds the lock: clean --no-wait refuses, clean waits for it.
    f.pbuild(&["--platform", "photon", "--app", "blink", "build"])
        .ok();
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(f.target_dir().join(".pbuild/lock"))
        .unwrap();
    lock.lock().unwrap();
    let r = f
        .pbuild(&["--platform", "photon", "--no-wait", "clean"])
        .fails(2);
    assert!(r.stderr.contains("another pbuild"), "{}", r.stderr);
    assert!(ours.is_dir(), "nothing removed while the build runs");
    let mut waiting = f
        .command_at(&f.target_dir())
        .args(["--platform", "photon", "clean"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(waiting.try_wait().unwrap().is_none(), "clean waits");
    assert!(ours.is_dir());
    drop(lock);
    let out = waiting.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("waiting for another pbuild"), "{stderr}");
    assert!(!ours.exists());
}

/// Issue 14 item 5: `--trace FILE` writes a Chrome trace: pbuild's phases on thread 0, every step
/// that ran on a job slot (never two at once on one slot, never more slots than jobs).
#[test]
fn trace_records_phases_and_every_step_on_its_job_slot() {
    let f = Fixture::new();
    let trace = f.path().join("trace.json");
    let r = build_json(
        &f,
        "photon",
        "main",
        &["-j", "2", "--no-cache", "--trace", trace.to_str().unwrap()],
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&trace).unwrap()).unwrap();
    let events = v["traceEvents"].as_array().unwrap();
    let steps: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] == "step")
        .collect();
    assert_eq!(
        steps.len() as u64,
        r.steps_run(),
        "one event per step that ran"
    );
    let phases: Vec<&str> = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] == "pbuild")
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(
        phases.contains(&"lock") && phases.contains(&"work"),
        "{phases:?}"
    );
    let mut by_slot: std::collections::BTreeMap<u64, Vec<(f64, f64)>> = Default::default();
    for e in &steps {
        let tid = e["tid"].as_u64().unwrap();
        assert!((1..=2).contains(&tid), "{e}");
        let (ts, dur) = (e["ts"].as_f64().unwrap(), e["dur"].as_f64().unwrap());
        assert!(ts >= 0.0 && dur >= 0.0, "{e}");
        by_slot.entry(tid).or_default().push((ts, ts + dur));
    }
    for (slot, mut spans) in by_slot {
        spans.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
        for w in spans.windows(2) {
            assert!(w[1].0 >= w[0].1 - 1.0, "slot {slot}: {w:?} overlap");
        }
    }
    assert!(
        events
            .iter()
            .any(|e| e["ph"] == "M" && e["args"]["name"] == "job 2"),
        "two job slots named"
    );
}

/// Issue 16 item 5: a module that does not fit its slot fails its image step, naming the module,
/// its size, the slot and the compiler; it is never reported (or written) as built.
#[test]
fn a_module_bigger_than_its_slot_is_never_built() {
    let f = Fixture::new();
    let proj = f.path().join("tight");
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::write(
        proj.join("project.toml"),
        format!(
            "platform = \"photon\"\napp = \"blink\"\ntree = \"{}\"\n",
            f.tree.display()
        ),
    )
    .unwrap();
    // The platform table of this project: photon's user slot shrunk to 256 bytes.
    let table = std::fs::read_to_string(repo().join("toolchains.toml")).unwrap();
    let user = "{ function = \"user-part\",   index = 1, start = 0x080A0000, size = 0x20000, dir = \"user-part\" }";
    assert!(table.contains(user));
    std::fs::write(
        proj.join("toolchains.toml"),
        table.replacen(user, &user.replace("0x20000", "0x100"), 1),
    )
    .unwrap();
    let out = proj.join("target");
    let r = Run::of_command(
        f.command_at(&out)
            .args(["--message-format", "json", "build"])
            .current_dir(&proj),
    )
    .fails(1);
    assert!(
        r.stderr.contains("pbuild: user-part is")
            && r.stderr
                .contains("but its slot (user-part 1) ends at 0x080a0100")
            && r.stderr.contains("It was built with arm-none-eabi-gcc"),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("\"artifact\""), "{}", r.stdout);
    assert!(!out.join("photon/blink.bin").exists(), "never written");
}

/// Issue 16 item 2 (part): a link whose flash region overflows says what that means: the
/// compiler that made the code and the one Particle builds this Device OS with.
#[test]
fn a_region_overflow_at_link_names_the_compilers() {
    let f = Fixture::new();
    let ld = f.tree.join("modules/photon/user-part/linker.ld");
    let text = std::fs::read_to_string(&ld).unwrap();
    std::fs::write(
        &ld,
        text.replace(
            "APP_FLASH (rx)  : ORIGIN = 0x080A0000, LENGTH = 128K",
            "APP_FLASH (rx)  : ORIGIN = 0x080A0000, LENGTH = 256",
        ),
    )
    .unwrap();
    let r = f
        .pbuild(&["--platform", "photon", "--app", "blink", "build"])
        .fails(1);
    assert!(
        r.stderr.contains("region `APP_FLASH' overflowed by"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("hint: the module does not fit the flash region")
            && r.stderr
                .contains("Particle builds Device OS 2.3.1 with gcc 9.2.1"),
        "{}",
        r.stderr
    );
}

#[test]
fn each_build_directory_keeps_its_own_build_log() {
    // A no-op reads the records of its own build only, not those of every platform and target
    // built into the same target dir (issue 14 item 2: 8 MB and 44 ms on the real tree).
    let f = Fixture::new();
    build_json(&f, "p1", "main", &[]);
    let logs = |f: &Fixture| -> Vec<(PathBuf, u64)> {
        let mut v: Vec<(PathBuf, u64)> = std::fs::read_dir(f.target_dir().join(".pbuild/build"))
            .unwrap()
            .map(|e| e.unwrap().path().join("db"))
            .filter(|p| p.is_file())
            .map(|p| {
                let len = std::fs::metadata(&p).unwrap().len();
                (p, len)
            })
            .collect();
        v.sort();
        v
    };
    let p1 = logs(&f);
    assert_eq!(p1.len(), 1, "{p1:?}");
    assert!(!f.target_dir().join(".pbuild/db").exists());
    build_json(&f, "electron", "modules", &[]);
    let both = logs(&f);
    assert_eq!(both.len(), 2, "{both:?}");
    assert!(both.contains(&p1[0]), "p1's log changed: {both:?}");
    assert_eq!(build_json(&f, "p1", "main", &[]).steps_run(), 0);
}
