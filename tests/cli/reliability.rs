//! Reliability: concurrent runs on one build directory, interrupted builds, a torn build state.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

/// GCC_ARM_PATH for a toolchain whose gcc takes `seconds` longer for sources named `slow_name`.
fn slow_toolchain(f: &Fixture, slow_name: &str, seconds: f32) -> PathBuf {
    let dir = f.path().join("slow-toolchain");
    std::fs::create_dir_all(&dir).unwrap();
    let gcc = which("arm-none-eabi-gcc").unwrap();
    let bin = gcc.parent().unwrap();
    for e in std::fs::read_dir(bin).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with("arm-none-eabi-") && name != "arm-none-eabi-gcc" {
            write_script(
                &dir.join(&name),
                &format!("#!/bin/sh\nexec '{}' \"$@\"\n", bin.join(&name).display()),
            );
        }
    }
    write_script(
        &dir.join("arm-none-eabi-gcc"),
        &format!(
            "#!/bin/sh\nfor last; do :; done\ncase \"$last\" in *{slow_name}) sleep {seconds};; esac\nexec '{}' \"$@\"\n",
            gcc.display()
        ),
    );
    dir
}

fn command(f: &Fixture, toolchain: &Path, args: &[&str]) -> Command {
    let mut cmd = f.command_at(&f.target_dir());
    cmd.env("GCC_ARM_PATH", format!("{}/", toolchain.display()))
        .args(["--platform", "photon", "--app", "blink", "--no-cache"])
        .args(args);
    cmd
}

fn spawn(mut cmd: Command) -> Child {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_second_pbuild_waits_for_the_first_or_fails_with_no_wait() {
    let f = Fixture::new();
    let tc = slow_toolchain(&f, "blink.cpp", 3.0);
    let first = spawn(command(&f, &tc, &["--message-format", "json", "build"]));
    let lock = f.target_dir().join(".pbuild/lock");
    let pid = first.id().to_string();
    wait_until("the first build to take the lock", || {
        std::fs::read_to_string(&lock).is_ok_and(|t| t.trim() == pid)
    });

    let r = Run::of_command(&mut command(&f, &tc, &["--no-wait", "build"])).fails(2);
    assert!(
        r.stderr
            .contains(&format!("another pbuild (pid {pid}) is using")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("hint: wait for it"), "{}", r.stderr);

    let second = spawn(command(&f, &tc, &["--message-format", "json", "build"]));
    let (a, b) = (
        Run::of_output(first.wait_with_output().unwrap()).ok(),
        Run::of_output(second.wait_with_output().unwrap()).ok(),
    );
    assert!(
        b.stderr
            .contains(&format!("waiting for another pbuild (pid {pid})")),
        "{}",
        b.stderr
    );
    // The second found everything built: its writes never interleaved with the first's.
    assert!(a.steps_run() > 0);
    assert_eq!(b.steps_run(), 0, "{}", b.stderr);
    let r = Run::of_command(&mut command(
        &f,
        &tc,
        &["--message-format", "json", "build"],
    ))
    .ok();
    assert_eq!(r.steps_run(), 0);
}

/// A small deterministic generator (xorshift), seeded from the clock and printed, so a failure
/// can be replayed with PBUILD_TEST_SEED.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::env::var("PBUILD_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("PBUILD_TEST_SEED={seed}");
        Rng(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn plain(f: &Fixture, target_dir: &Path, args: &[&str]) -> Command {
    let mut cmd = f.command_at(target_dir);
    cmd.args(["--platform", "electron", "--app", "blink", "--no-cache"])
        .args(["--message-format", "json"])
        .args(args);
    cmd
}

fn bins(r: &Run) -> Vec<(String, Vec<u8>)> {
    r.artifacts()
        .into_iter()
        .map(|(m, p)| (m, std::fs::read(p).unwrap()))
        .collect()
}

/// Reasons from `--explain` lines.
fn reasons(r: &Run) -> Vec<String> {
    r.stderr
        .lines()
        .filter_map(|l| l.strip_prefix("explain: "))
        .map(|l| l.split_once(": ").map_or(l, |(_, why)| why).to_string())
        .collect()
}

#[test]
fn builds_killed_at_random_moments_leave_nothing_stale() {
    let f = Fixture::new();
    let modules = ["build", "--target", "modules", "-j", "2", "--explain"];
    let out = f.target_dir();
    Run::of_command(&mut plain(&f, &out, &modules)).ok();
    // Each round edits a header most of the tree includes, so there is always a build to kill.
    let header = f.tree.join("services/inc/logging.h");
    let text = std::fs::read_to_string(&header).unwrap();
    let edit = |round: usize| {
        std::fs::write(&header, format!("{text}\n/* round {round} */\n")).unwrap();
    };
    // How long such a rebuild takes: the kills fall within it.
    edit(100);
    let start = Instant::now();
    Run::of_command(&mut plain(&f, &out, &modules)).ok();
    let full = start.elapsed().as_millis() as u64;

    let mut rng = Rng::new();
    let mut killed_mid_build = 0;
    // The rebuild measured above may have been slowed by a busy machine: when a build is over
    // before its kill, later kills come sooner.
    let mut scale = 1.0f64;
    for round in 0..20 {
        edit(round);
        let mut cmd = plain(&f, &out, &modules);
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let child = spawn(cmd);
        let delay = (full / 10 + rng.below(full * 3 / 4)) as f64 * scale;
        std::thread::sleep(Duration::from_millis(delay as u64));
        // Every fourth round: Ctrl-C to the whole process group, as a terminal sends it.
        // Otherwise kill -9 of pbuild alone: its compilers live on, orphaned.
        let pid = child.id().to_string();
        let (signal, target) = if round % 4 == 3 {
            ("-INT", format!("-{pid}"))
        } else {
            ("-KILL", pid)
        };
        let _ = Command::new("kill").args([signal, "--", &target]).status();
        let out = child.wait_with_output().unwrap();
        if !out.status.success() {
            killed_mid_build += 1;
        } else {
            scale *= 0.6;
        }
    }
    assert!(
        killed_mid_build >= 12,
        "only {killed_mid_build} of 20 kills hit a running build"
    );
    eprintln!("{killed_mid_build} of 20 kills hit a running build");
    // Orphaned compilers of killed builds may still be finishing: give them a moment.
    std::thread::sleep(Duration::from_millis(500));
    let last = Run::of_command(&mut plain(&f, &out, &modules)).ok();
    // The reference: a clean build of the same sources.
    let reference = Run::of_command(&mut plain(&f, &f.path().join("ref"), &modules)).ok();
    assert!(
        bins(&last) == bins(&reference),
        "artifacts differ from a clean build"
    );
    // What reran did so for a reason the engine knows. A kill between the rename of a finished
    // output and the record of its step leaves a whole output the build state does not vouch
    // for: that step reruns ("output modified outside pbuild"), which is the safe outcome. Never
    // a changed command or toolchain: nothing about the steps themselves changed.
    let why = reasons(&last);
    assert!(
        why.iter().all(|w| w == "new (never built here)"
            || w.starts_with("output missing")
            || w.starts_with("output modified outside pbuild")
            || w.starts_with("input changed")
            || w.starts_with("input rebuilt")),
        "{why:?}"
    );
    assert!(
        last.steps_run() < reference.steps_run(),
        "the kills kept no progress at all"
    );
    let again = Run::of_command(&mut plain(&f, &out, &modules)).ok();
    assert_eq!(again.steps_run(), 0);
    // No temp file was left where a later build could take it for an output.
    let leftovers: Vec<PathBuf> = walkdir::WalkDir::new(&out)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".pbuild-tmp-"))
        .map(|e| e.into_path())
        .collect();
    eprintln!(
        "{} temp files of killed builds remain (ignored by pbuild)",
        leftovers.len()
    );
}

#[test]
fn a_torn_build_state_is_cut_reported_in_one_line_and_rebuilt_where_needed() {
    let f = Fixture::new();
    let out = f.target_dir();
    let modules = ["build", "--target", "modules", "-j", "2", "--explain"];
    let first = Run::of_command(&mut plain(&f, &out, &modules)).ok();
    let expected = bins(&first);
    // The db of the one build directory there is.
    let db = std::fs::read_dir(out.join(".pbuild/build"))
        .unwrap()
        .map(|e| e.unwrap().path().join("db"))
        .find(|p| p.is_file())
        .expect("a build directory with a db");
    let mut rng = Rng::new();
    for _ in 0..6 {
        let len = std::fs::metadata(&db).unwrap().len();
        let cut = 12 + rng.below(len - 12);
        let file = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
        file.set_len(cut).unwrap();
        drop(file);
        let r = Run::of_command(&mut plain(&f, &out, &modules)).ok();
        let said: Vec<&str> = r
            .stderr
            .lines()
            .filter(|l| l.contains("was cut short"))
            .collect();
        // A cut on a record boundary loses nothing worth a message: then nothing reruns either.
        assert!(said.len() <= 1, "{said:?}");
        if said.is_empty() {
            assert_eq!(r.steps_run(), 0, "{}", r.stderr);
        }
        assert!(
            reasons(&r)
                .iter()
                .all(|w| w == "new (never built here)" || w.starts_with("input rebuilt")),
            "{:?}",
            reasons(&r)
        );
        assert!(bins(&r) == expected, "artifacts changed");
        let again = Run::of_command(&mut plain(&f, &out, &modules)).ok();
        assert_eq!(again.steps_run(), 0);
    }
}

#[test]
fn ctrl_c_during_flash_finishes_the_image_then_says_where_the_device_stands() {
    let f = Fixture::new();
    let dev = f.path().join("dev");
    // A device with an old system: flashing blink writes system part 2, system part 1, the app.
    Run::of_command(pbuild_command().current_dir(f.path()).args([
        "--platform",
        "photon",
        "sim",
        "create",
        "dev",
        "--system-version",
        "1512",
        "--bootloader-version",
        "1003",
    ]))
    .ok();
    // The real dfu-util, made to take a second per download and leave a mark when one starts.
    let marks = f.path().join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    let slow = f.path().join("slow-dfu-util");
    write_script(
        &slow,
        &format!(
            "#!/bin/sh\nfor a; do [ \"$a\" = -D ] && {{ touch '{}'/$$; sleep 1; }}; done\nexec dfu-util \"$@\"\n",
            marks.display(),
        ),
    );
    let flash = |extra: &[&str]| {
        let mut cmd = f.command_at(&f.target_dir());
        cmd.args([
            "--platform",
            "photon",
            "--app",
            "blink",
            "flash",
            "--device",
        ])
        .arg(format!("sim:{}", dev.display()))
        .arg("--dfu-util")
        .arg(&slow)
        .args(extra)
        .current_dir(f.path());
        cmd
    };
    let child = spawn(flash(&[]));
    let downloads = || std::fs::read_dir(&marks).unwrap().count();
    wait_until("the first download", || downloads() >= 1);
    // What a terminal's Ctrl-C does to the foreground job: SIGINT to pbuild (dfu-util runs in a
    // process group of its own, so it is not interrupted mid-write).
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    // An impatient second Ctrl-C while the image is still being written (issue 15 item 9): it
    // is said, and pbuild still waits for dfu-util and reports what was written.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let r = Run::of_output(child.wait_with_output().unwrap());
    assert!(
        r.stderr
            .contains("Ctrl-C again: still finishing the image being written"),
        "{}",
        r.stderr
    );
    assert_eq!(r.code, 130, "{}", r.stderr);
    assert_eq!(downloads(), 1, "no download started after Ctrl-C");
    assert!(
        r.stderr
            .contains("flashing stopped by Ctrl-C after 1 of 3 images (written: system-part1.bin; not written: system-part2.bin, blink.bin)"),
        "{}",
        r.stderr
    );
    // Part 1 first: a newer part 1 meets the old part 2's dependency, so the device would still
    // run its old app (issue 12: the order keeps every state in between bootable).
    assert!(
        r.stderr.contains("reset now, it would be running-user-app"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("still in DFU mode"), "{}", r.stderr);
    assert!(
        r.stderr.contains("run `pbuild flash` again to finish"),
        "{}",
        r.stderr
    );
    // Finishing: the image already written is not written again.
    let done = Run::of_command(&mut flash(&[])).ok();
    assert_eq!(downloads(), 3, "{}", done.stderr);
    assert!(done.stderr.contains("running the app"), "{}", done.stderr);
}
