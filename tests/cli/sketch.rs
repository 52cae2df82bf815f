//! `.ino` sketches: preprocessed natively into the build directory, compiled as the `.cpp` beside
//! them would be. The oracle is make on the same project with that `.cpp` written next to the
//! sketch (what `particle preprocess` and Workbench do).

use std::path::{Path, PathBuf};

use crate::support::*;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A Particle project whose own sources are only sketches (so make alone would find no C++ there),
/// with a header beside the main sketch and two libraries (one in C).
fn sketch_project(dir: &Path) {
    write(
        &dir.join("project.properties"),
        "name=sketchy\ndependencies.alpha=0.1.0\ndependencies.beta=1.0.0\n",
    );
    write(
        &dir.join("src/sketchy.ino"),
        "// No #include \"Particle.h\", no prototypes: the preprocessor adds them.\n\
         #include \"local.h\"\n\
         #include \"alpha.h\"\n\
         #include \"beta.h\"\n\
         \n\
         struct Reading { int level; };\n\
         void more(); // in extra/more.ino: each sketch is its own translation unit, as in Workbench\n\
         \n\
         void setup() {\n    pinMode(D7, OUTPUT);\n    show(Reading{alpha_level() + beta_level()}, LOCAL_PIN);\n    more();\n}\n\
         \n\
         void loop() { show(Reading{0}); }\n\
         \n\
         void show(Reading r, int pin = D7) {\n    digitalWrite(pin, r.level);\n}\n",
    );
    write(&dir.join("src/local.h"), "#define LOCAL_PIN D7\n");
    write(
        &dir.join("src/extra/more.ino"),
        "void more() { helper(); }\nstatic void helper() { delay(1); }\n",
    );
    write(&dir.join("lib/alpha/src/alpha.h"), "int alpha_level();\n");
    write(
        &dir.join("lib/alpha/src/alpha.cpp"),
        "#include \"alpha.h\"\nint alpha_level() { return 1; }\n",
    );
    write(
        &dir.join("lib/beta/src/beta.h"),
        "#ifdef __cplusplus\nextern \"C\"\n#endif\nint beta_level(void);\n",
    );
    write(
        &dir.join("lib/beta/src/beta.c"),
        "#include \"beta.h\"\nint beta_level(void) { return 2; }\n",
    );
}

fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap().to_path_buf())
        .collect();
    v.sort();
    v
}

#[test]
fn sketches_build_like_make_on_the_preprocessed_cpp() {
    let f = Fixture::new();
    let proj = f.path().join("sketchy");
    sketch_project(&proj);
    let before = files_below(&proj.join("src"));
    let r = f
        .pbuild_in(
            &proj,
            &[
                "--platform",
                "photon",
                "--message-format",
                "json",
                "build",
                "--explain",
            ],
        )
        .ok();
    let arts = r.artifacts();
    assert_eq!(arts.len(), 1, "{arts:?}");
    let ours = std::fs::read(&arts[0].1).unwrap();
    // Nothing generated next to the sketches, and the import's probe is gone.
    assert_eq!(files_below(&proj.join("src")), before);
    let ran = r.explained();
    for label in ["INO", "CC"] {
        for sketch in ["src/sketchy.ino", "src/extra/more.ino"] {
            assert!(
                ran.iter()
                    .any(|l| l.starts_with(label) && l.ends_with(sketch)),
                "no `{label} …{sketch}` step: {ran:?}"
            );
        }
    }

    // make, with the .cpp that pbuild's preprocessor makes written beside each sketch instead.
    for sketch in ["src/sketchy.ino", "src/extra/more.ino"] {
        let ino = proj.join(sketch);
        let cpp = ino.with_extension("cpp");
        Run::of_command(
            pbuild_command()
                .arg("preprocess")
                .arg(&ino)
                .arg("-o")
                .arg(&cpp),
        )
        .ok();
        std::fs::rename(&ino, f.path().join(ino.file_name().unwrap())).unwrap();
    }
    let mut args = vec![
        "PLATFORM=photon".to_string(),
        format!("APPDIR={}", proj.display()),
    ];
    args.push("all".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    f.make("main", &args);
    let made = std::fs::read(proj.join("target/sketchy.bin")).unwrap();
    assert!(
        ours == made,
        "pbuild's sketchy.bin differs from make's on the preprocessed .cpp"
    );
}

#[test]
fn a_sketch_edit_reruns_its_steps_and_errors_name_the_sketch_line() {
    let f = Fixture::new();
    let proj = f.path().join("sketchy");
    sketch_project(&proj);
    let build = |extra: &[&str]| {
        let mut args = vec!["--platform", "photon", "--message-format", "json", "build"];
        args.extend_from_slice(extra);
        f.pbuild_in(&proj, &args)
    };
    build(&[]).ok();
    assert_eq!(build(&[]).ok().steps_run(), 0, "no-op after a sketch build");

    let more = proj.join("src/extra/more.ino");
    write(
        &more,
        "void more() { helper(); }\nstatic void helper() { delay(2); }\n",
    );
    let r = build(&["--explain"]).ok();
    let mut ran: Vec<String> = r
        .explained()
        .iter()
        .map(|l| l.replace(&proj.display().to_string(), ""))
        .collect();
    ran.sort();
    assert_eq!(
        ran,
        [
            "AR libuser.a",
            "CC /src/extra/more.ino",
            "IMAGE user-part",
            "INO /src/extra/more.ino",
            "LINK sketchy.elf"
        ]
    );

    // Line 3 of the sketch is wrong; gcc says so in the sketch's own terms.
    write(
        &more,
        "void more() { helper(); }\nstatic void helper() {\n  no_such_function();\n}\n",
    );
    let r = build(&[]).fails(1);
    let at = format!("{}:3:3: error", more.display());
    assert!(r.stderr.contains(&at), "no `{at}` in:\n{}", r.stderr);
}

#[test]
fn a_sketch_beside_a_cpp_of_the_same_name_builds_the_cpp_as_make_does() {
    let f = Fixture::new();
    let proj = f.path().join("sketchy");
    sketch_project(&proj);
    // What an older `particle preprocess` left, committed beside the sketch: its own program.
    let cpp = proj.join("src/sketchy.cpp");
    Run::of_command(
        pbuild_command()
            .arg("preprocess")
            .arg(proj.join("src/sketchy.ino"))
            .arg("-o")
            .arg(&cpp),
    )
    .ok();
    let generated = std::fs::read_to_string(&cpp).unwrap();
    std::fs::write(&cpp, generated.replace("LOCAL_PIN);", "LOCAL_PIN + 0);")).unwrap();
    let r = f
        .pbuild_in(
            &proj,
            &[
                "--platform",
                "photon",
                "--message-format",
                "json",
                "build",
                "-v",
            ],
        )
        .ok();
    assert!(
        r.stderr.contains(
            "note: src/sketchy.ino is not built: src/sketchy.cpp beside it is, as make builds it"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("/src/sketchy.cpp") && !r.stderr.contains("INO src/sketchy.ino"),
        "the .cpp is compiled, the sketch is not preprocessed:\n{}",
        r.stderr
    );
    // Said once, not on every build.
    let again = f.pbuild_in(&proj, &["--platform", "photon", "build"]).ok();
    assert!(!again.stderr.contains("is not built"), "{}", again.stderr);
    assert!(
        proj.join("src/sketchy.ino").is_file(),
        "nothing of the user's is removed"
    );
}

#[test]
fn preprocess_prints_the_cpp_and_never_overwrites_the_sketch() {
    let dir = tempfile::tempdir().unwrap();
    let ino = dir.path().join("a.ino");
    write(
        &ino,
        "void setup() { go(); }\nvoid loop() {}\nvoid go() {}\n",
    );
    let r = Run::of_command(pbuild_command().arg("preprocess").arg(&ino)).ok();
    assert!(
        r.stdout.contains("#include \"Particle.h\"\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\nvoid go();\n"), "{}", r.stdout);
    let r = Run::of_command(pbuild_command().current_dir(dir.path()).args([
        "preprocess",
        "a.ino",
        "-o",
        "./a.ino",
    ]))
    .fails(2);
    assert!(
        r.stderr.contains("would overwrite the sketch"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&ino).unwrap(),
        "void setup() { go(); }\nvoid loop() {}\nvoid go() {}\n"
    );
}

#[test]
fn new_ino_project_builds_with_no_edits() {
    let f = Fixture::new();
    f.pbuild(&["new", "blinko", "--ino", "--platform", "electron"])
        .ok();
    let dir = f.path().join("blinko");
    assert!(dir.join("src/blinko.ino").is_file());
    let r = Run::of_command(
        pbuild_command()
            .args(["--message-format", "json", "build"])
            .current_dir(&dir)
            .env("PATH", f.path_env())
            .env_remove("DEVICE_OS_PATH")
            .env_remove("PBUILD_TARGET_DIR"),
    )
    .ok();
    let bin = dir.join("target/electron/blinko.bin");
    assert!(bin.is_file(), "{}", r.stdout);
    let info = pbuild::image::module_info::find_module_info(&std::fs::read(&bin).unwrap()).unwrap();
    assert_eq!(info.platform_id, 10);
    assert_eq!(files_below(&dir.join("src")), [PathBuf::from("blinko.ino")]);
}

/// Issue 15 item 0, second point: the Workbench/make flow first (the sketch preprocessed, make
/// builds the app, leaving its objects and `libuser.a` in the tree), then pbuild on the sketch:
/// the import must not depend on what make left there, and no plan may name the import's probe.
#[test]
fn a_sketch_project_builds_after_make_built_it_in_the_tree() {
    let f = Fixture::new();
    let proj = f.path().join("sketchy");
    sketch_project(&proj);
    let mut moved = Vec::new();
    for sketch in ["src/sketchy.ino", "src/extra/more.ino"] {
        let ino = proj.join(sketch);
        let cpp = ino.with_extension("cpp");
        Run::of_command(
            pbuild_command()
                .arg("preprocess")
                .arg(&ino)
                .arg("-o")
                .arg(&cpp),
        )
        .ok();
        let aside = f.path().join(ino.file_name().unwrap());
        std::fs::rename(&ino, &aside).unwrap();
        moved.push((aside, ino, cpp));
    }
    let app_var = format!("APPDIR={}", proj.display());
    f.make("main", &["PLATFORM=photon", &app_var, "all"]);
    let made = std::fs::read(proj.join("target/sketchy.bin")).unwrap();
    assert!(
        files_below(&f.tree.join("build/target/user"))
            .iter()
            .any(|p| p.ends_with("libuser.a")),
        "make left its objects in the tree"
    );
    // Back to sketches only, as the project is kept.
    for (aside, ino, cpp) in &moved {
        std::fs::remove_file(cpp).unwrap();
        std::fs::rename(aside, ino).unwrap();
    }
    std::fs::remove_dir_all(proj.join("target")).unwrap();
    for round in 0..2 {
        let r = f.pbuild_in(
            &proj,
            &["--platform", "photon", "--message-format", "json", "build"],
        );
        assert_eq!(r.code, 0, "round {round}: {}", r.stderr);
        assert!(
            !r.stderr.contains(pbuild::sources::SKETCH_PROBE),
            "round {round}: {}",
            r.stderr
        );
        let ours = std::fs::read(&r.artifacts()[0].1).unwrap();
        assert!(
            ours == made,
            "round {round}: differs from make's build of the same C++"
        );
    }
}
