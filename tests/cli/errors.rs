//! Bad input and a bad environment: a clear message naming the value, a hint, a non-zero exit.

use crate::support::*;

#[test]
fn unknown_platform_suggests_the_nearest() {
    let f = Fixture::new();
    let r = f
        .pbuild(&["--platform", "photn", "--app", "blink", "build"])
        .fails(2);
    assert!(
        r.stderr.contains("error: unknown platform `photn`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("did you mean `photon`?"), "{}", r.stderr);
}

#[test]
fn platform_ids_and_device_os_spellings_are_accepted() {
    let f = Fixture::new();
    // Unknown app fails after the platform was accepted, so the platform error must not appear.
    for p in ["P1", "p1", "8", "electron", "10"] {
        let r = f
            .pbuild(&["--platform", p, "--app", "nope", "build"])
            .fails(2);
        assert!(!r.stderr.contains("unknown platform"), "{p}: {}", r.stderr);
        assert!(
            r.stderr.contains("app `nope` not found"),
            "{p}: {}",
            r.stderr
        );
    }
}

#[test]
fn missing_app_says_where_it_looked() {
    let f = Fixture::new();
    let r = f
        .pbuild(&["--platform", "p1", "--app", "nope", "build"])
        .fails(2);
    let looked = f.tree.join("user/applications/nope");
    assert!(
        r.stderr.contains(&looked.display().to_string()),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("hint: "), "{}", r.stderr);
}

#[test]
fn malformed_project_toml_points_at_line_and_column() {
    let f = Fixture::new();
    let proj = f.path().join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::write(
        proj.join("project.toml"),
        "platform = \"p1\"\napp = \"blink\"\njobs = \"two\"\n",
    )
    .unwrap();
    let r = f.pbuild_in(&proj, &["build"]).fails(2);
    let expected = format!("{}:3:8:", proj.join("project.toml").display());
    assert!(
        r.stderr.contains(&expected),
        "want {expected} in:\n{}",
        r.stderr
    );

    std::fs::write(
        proj.join("project.toml"),
        "platform = \"p1\"\napp = \"blink\n",
    )
    .unwrap();
    let r = f.pbuild_in(&proj, &["build"]).fails(2);
    let expected = format!("{}:2:", proj.join("project.toml").display());
    assert!(
        r.stderr.contains(&expected),
        "want {expected} in:\n{}",
        r.stderr
    );
}

#[test]
fn unknown_platform_in_project_toml_names_the_file() {
    let f = Fixture::new();
    let proj = f.path().join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::write(
        proj.join("project.toml"),
        "app = \"blink\"\nplatform = \"electon\"\n",
    )
    .unwrap();
    let r = f.pbuild_in(&proj, &["build"]).fails(2);
    assert!(
        r.stderr.contains("did you mean `electron`?"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("project.toml:2:12"), "{}", r.stderr);
}

#[test]
fn no_platform_says_how_to_give_one() {
    let f = Fixture::new();
    let r = f.pbuild(&["--app", "blink", "build"]).fails(2);
    assert!(r.stderr.contains("no platform given"), "{}", r.stderr);
    assert!(r.stderr.contains("--platform"), "{}", r.stderr);
}

#[test]
fn not_a_tree_says_what_is_missing() {
    let f = Fixture::new();
    let r = Run::of_command(
        pbuild_command()
            .args([
                "--platform",
                "p1",
                "--app",
                "blink",
                "build",
                "--target",
                "main",
            ])
            .arg("--jobs=1")
            .env("DEVICE_OS_PATH", f.path())
            .current_dir(f.path()),
    )
    .fails(2);
    assert!(
        r.stderr
            .contains("is not a Device OS tree: build/version.mk is missing"),
        "{}",
        r.stderr
    );
}

#[test]
fn missing_compiler_says_how_to_install_it() {
    let f = Fixture::new();
    // A PATH with make but without arm-none-eabi-gcc.
    let r = Run::of_command(
        pbuild_command()
            .args(["--platform", "p1", "--app", "blink", "build"])
            .arg("--tree")
            .arg(&f.tree)
            .arg("--target-dir")
            .arg(f.target_dir())
            .env("PATH", &f.bin)
            .current_dir(f.path()),
    )
    .fails(2);
    assert!(
        r.stderr.contains("`arm-none-eabi-gcc` not found on PATH"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("apt-get install gcc-arm-none-eabi"),
        "{}",
        r.stderr
    );
}

#[test]
fn too_old_compiler_says_which_version_is_needed() {
    let f = Fixture::new();
    write_script(
        &f.bin.join("arm-none-eabi-gcc"),
        "#!/bin/sh\ncase \"$1\" in -dump*) echo 5.3.1; exit 0;; esac\nexit 1\n",
    );
    let r = f
        .pbuild(&["--platform", "p1", "--app", "blink", "build"])
        .fails(2);
    assert!(
        r.stderr
            .contains("5.3.1 is too old: Device OS 2.3.1 needs 9.2.1 or newer"),
        "{}",
        r.stderr
    );
}

/// The commands that print much on stdout, each with what it needs (issue 15 item 7).
fn stdout_commands(f: &Fixture) -> Vec<Vec<String>> {
    let big = f.path().join("big.ino");
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(&format!("int f{i}(int x) {{ return x + {i}; }}\n"));
    }
    std::fs::write(&big, text).unwrap();
    let dev = f.path().join("dev");
    f.pbuild(&[
        "--platform",
        "photon",
        "sim",
        "create",
        dev.to_str().unwrap(),
    ])
    .ok();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        s(&["preprocess", big.to_str().unwrap()]),
        s(&["completions", "bash"]),
        s(&["doctor"]),
        s(&["cache", "stats"]),
        s(&["sim", "status", dev.to_str().unwrap()]),
        s(&[
            "--platform",
            "photon",
            "--app",
            "blink",
            "--message-format",
            "json",
            "build",
        ]),
        s(&["--help"]),
        // What the build above made.
        s(&[
            "inspect",
            f.target_dir().join("photon/blink.bin").to_str().unwrap(),
        ]),
    ]
}

#[test]
fn a_closed_or_full_stdout_is_never_a_panic() {
    let f = Fixture::new();
    for args in stdout_commands(&f) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // A full disk: an error on stderr, exit 1 (help is clap's: it exits 0 or 2, no panic).
        let full = std::fs::File::create("/dev/full").unwrap();
        let r = Run::of_command(
            f.command_at(&f.target_dir())
                .args(&args)
                .stdout(full)
                .current_dir(f.path()),
        );
        assert!(!r.stderr.contains("panicked"), "{args:?}: {}", r.stderr);
        if args != ["--help"] {
            assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
            assert!(
                r.stderr
                    .contains("cannot write to standard output: No space left on device"),
                "{args:?}: {}",
                r.stderr
            );
        }
        // A reader that goes away (`| head -0`): quiet, and the work is still done.
        let mut child = f
            .command_at(&f.target_dir())
            .args(&args)
            .current_dir(f.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

/// Issue 15 item 8: a huge file or a device is refused without being read into memory.
#[test]
fn inspect_reads_only_what_a_module_can_be() {
    let tmp = tempfile::tempdir().unwrap();
    let huge = tmp.path().join("huge.bin");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    let r = Run::of_command(pbuild_command().args(["inspect"]).arg(&huge)).fails(2);
    assert!(
        r.stderr
            .contains("3221225472 bytes: bigger than any module"),
        "{}",
        r.stderr
    );
    let r = Run::of_command(pbuild_command().args(["inspect", "/dev/zero"])).fails(2);
    assert!(
        r.stderr.contains("/dev/zero: not a regular file"),
        "{}",
        r.stderr
    );
}

/// Issue 15 item 11: the tree in project.toml beats DEVICE_OS_PATH (a flag beats both), `-v`
/// and `doctor` say which tree and where it came from, and a tree whose makefiles do not know
/// the platform (Device OS 4.0+: Gen 3/4 only) is refused instead of building something.
#[test]
fn the_tree_setting_order_is_flag_project_environment_and_a_tree_without_the_platform_is_refused() {
    let f = Fixture::new();
    let proj = f.path().join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::write(
        proj.join("project.toml"),
        format!(
            "platform = \"photon\"\napp = \"blink\"\ntree = \"{}\"\n",
            f.tree.display()
        ),
    )
    .unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = pbuild_command();
        cmd.args(args)
            .current_dir(&proj)
            .env("PBUILD_CACHE_DIR", f.cache_dir())
            .env("PATH", f.path_env())
            .env_remove("DEVICE_OS_PATH");
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::of_command(&mut cmd)
    };
    let elsewhere = f.path().join("not-a-tree");
    let r = run(
        &["build", "-v"],
        &[("DEVICE_OS_PATH", elsewhere.to_str().unwrap())],
    )
    .ok();
    assert!(
        r.stderr.contains(&format!(
            "Device OS 2.3.1 at {} (from {}/project.toml:3:8)",
            f.tree.display(),
            proj.display()
        )),
        "{}",
        r.stderr
    );
    let r = run(
        &["doctor"],
        &[("DEVICE_OS_PATH", elsewhere.to_str().unwrap())],
    );
    assert!(r.stdout.contains("(from "), "{}", r.stdout);
    assert!(r.stdout.contains("project.toml:3:8)"), "{}", r.stdout);
    // The flag beats project.toml.
    let r = run(&["--tree", elsewhere.to_str().unwrap(), "build"], &[]).fails(2);
    assert!(r.stderr.contains("not-a-tree"), "{}", r.stderr);

    // A tree that does not know the photon (as Device OS 4.0 and later): refused, with the way out.
    let gen3 = f.path().join("gen3-tree");
    copy_tree(&f.tree, &gen3);
    let ids = gen3.join("build/platform-id.mk");
    let text = std::fs::read_to_string(&ids).unwrap();
    std::fs::write(
        &ids,
        text.replace(
            "ifeq (\"$(PLATFORM_ID)\",\"6\")",
            "ifeq (\"$(PLATFORM_ID)\",\"13\")",
        ),
    )
    .unwrap();
    let r = run(&["--tree", gen3.to_str().unwrap(), "build"], &[]).fails(2);
    assert!(
        r.stderr.contains("does not build for photon")
            && r.stderr.contains("Device OS 4.0 and later"),
        "{}",
        r.stderr
    );
}
