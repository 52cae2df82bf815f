//! `pbuild watch`: the real binary watching a copy of the example tree while the test edits the app.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

const TIMEOUT: Duration = Duration::from_secs(90);
/// Long enough after a burst for the debouncer (30 ms by default) and a build to have started if one would.
const SETTLE: Duration = Duration::from_millis(1500);

/// A running `pbuild watch --platform p1 --app blink`, its stderr captured to a file.
struct Watch {
    child: Child,
    stderr: PathBuf,
    f: Fixture,
}

impl Watch {
    fn start() -> Watch {
        Watch::start_with(Fixture::new(), &[])
    }

    fn start_with(f: Fixture, extra: &[&str]) -> Watch {
        let stderr = f.path().join("watch.stderr");
        let stdout = f.path().join("watch.stdout");
        let child = pbuild_command()
            .arg("--tree")
            .arg(&f.tree)
            .arg("--target-dir")
            .arg(f.target_dir())
            .args(["--platform", "p1", "--app", "blink", "watch"])
            .args(extra)
            .current_dir(f.path())
            .env("PATH", f.path_env())
            .env_remove("DEVICE_OS_PATH")
            .env_remove("PBUILD_TARGET_DIR")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let w = Watch { child, stderr, f };
        w.wait_for("the first build", |w| w.builds() >= 1);
        w
    }

    fn app(&self) -> PathBuf {
        self.f.tree.join("user/applications/blink")
    }

    fn bin(&self) -> Vec<u8> {
        std::fs::read(self.f.target_dir().join("p1/blink.bin")).unwrap()
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Finished build cycles: `[n] ok …` and `[n] FAILED …` lines.
    fn builds(&self) -> usize {
        self.output()
            .lines()
            .filter(|l| l.starts_with('[') && (l.contains("] ok in") || l.contains("] FAILED")))
            .count()
    }

    fn oks(&self) -> usize {
        self.output()
            .lines()
            .filter(|l| l.starts_with('[') && l.contains("] ok in"))
            .count()
    }

    #[track_caller]
    fn wait_for(&self, what: &str, done: impl Fn(&Watch) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(
                start.elapsed() < TIMEOUT,
                "timed out waiting for {what}; pbuild watch said:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Replace the first delay in blink.cpp, so the image changes.
    fn set_delay(&self, ms: u32) {
        let path = self.app().join("blink.cpp");
        std::fs::write(&path, blink_with_delay(ms)).unwrap();
    }

    fn interrupt(mut self) -> (i32, String) {
        let status = Command::new("kill")
            .arg("-INT")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return (s.code().unwrap_or(-1), self.output());
            }
            assert!(
                start.elapsed() < TIMEOUT,
                "pbuild watch did not stop on SIGINT:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn blink_with_delay(ms: u32) -> String {
    let original = std::fs::read_to_string(
        repo().join("examples/device-os-mini/user/applications/blink/blink.cpp"),
    )
    .unwrap();
    assert!(original.contains("delay(500);"));
    original.replacen("delay(500);", &format!("delay({ms});"), 1)
}

#[test]
fn an_edit_rebuilds_and_changes_the_artifact() {
    let w = Watch::start();
    let before = w.bin();
    w.set_delay(123);
    w.wait_for("the rebuild after the edit", |w| w.oks() >= 2);
    assert_ne!(w.bin(), before, "the edit did not change blink.bin");
    let out = w.output();
    assert!(out.contains("[2] changed: blink.cpp"), "{out}");
    assert!(out.contains("p1/blink.bin"), "{out}");
}

#[test]
fn a_burst_of_50_writes_gives_one_or_two_builds() {
    let w = Watch::start();
    let before = w.bin();
    for i in 0..50 {
        w.set_delay(1000 + i);
    }
    w.wait_for("a build after the burst", |w| w.oks() >= 2);
    std::thread::sleep(SETTLE);
    let builds = w.builds() - 1;
    assert!(
        (1..=2).contains(&builds),
        "{builds} builds for a burst of 50 writes:\n{}",
        w.output()
    );
    assert_ne!(w.bin(), before);
    assert!(
        std::fs::read_to_string(w.app().join("blink.cpp"))
            .unwrap()
            .contains("delay(1049);")
    );
}

#[test]
fn a_save_by_rename_is_picked_up() {
    let w = Watch::start();
    let before = w.bin();
    let tmp = w.app().join(".blink.cpp.tmp");
    std::fs::write(&tmp, blink_with_delay(77)).unwrap();
    std::fs::rename(&tmp, w.app().join("blink.cpp")).unwrap();
    w.wait_for("the rebuild after the rename", |w| w.oks() >= 2);
    assert_ne!(w.bin(), before);
    // And the watch survives it: the next plain save is seen too.
    let after_rename = w.bin();
    w.set_delay(78);
    w.wait_for("the rebuild after the next save", |w| w.oks() >= 3);
    assert_ne!(w.bin(), after_rename);
}

#[test]
fn a_syntax_error_is_reported_and_the_next_good_save_recovers() {
    let w = Watch::start();
    let good = w.bin();
    let path = w.app().join("blink.cpp");
    let mut broken = std::fs::read_to_string(&path).unwrap();
    broken.push_str("\nint broken = ;\n");
    std::fs::write(&path, broken).unwrap();
    w.wait_for("the failed build", |w| w.output().contains("] FAILED"));
    let out = w.output();
    assert!(
        out.lines()
            .any(|l| l.contains("blink.cpp:") && l.contains(": error:")),
        "no gcc file:line error:\n{out}"
    );
    assert_eq!(
        w.bin(),
        good,
        "a failed build must leave the artifact alone"
    );

    w.set_delay(250);
    w.wait_for("the recovering build", |w| w.oks() >= 2);
    assert_ne!(w.bin(), good);

    let (code, out) = w.interrupt();
    assert_eq!(code, 0, "Ctrl-C should stop cleanly:\n{out}");
    assert!(out.contains("Stopped watching"), "{out}");
}

#[test]
fn new_and_deleted_files_are_picked_up() {
    let w = Watch::start();
    let steps = |w: &Watch, n: usize| -> String {
        w.output()
            .lines()
            .find(|l| l.starts_with(&format!("[{n}] ok in")))
            .map(|l| l.split(": ").nth(1).unwrap_or("").to_string())
            .unwrap_or_default()
    };
    std::fs::write(
        w.app().join("extra.cpp"),
        "int extra_answer() { return 42; }\n",
    )
    .unwrap();
    w.wait_for("the build with the new file", |w| w.oks() >= 2);
    let out = w.output();
    assert!(out.contains("[2] changed: extra.cpp"), "{out}");
    assert_ne!(steps(&w, 1), steps(&w, 2), "{out}");

    std::fs::remove_file(w.app().join("extra.cpp")).unwrap();
    w.wait_for("the build after the delete", |w| w.oks() >= 3);
    let out = w.output();
    assert!(out.contains("[3] changed: extra.cpp"), "{out}");
}

fn boots(dev: &std::path::Path) -> usize {
    std::fs::read_to_string(dev.join("boots.log"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

#[test]
fn flash_waits_for_the_device_and_flashes_only_changed_images() {
    let f = Fixture::new();
    f.pbuild(&["--platform", "p1", "sim", "create", "dev"]).ok();
    let dev = f.path().join("dev");
    // Not plugged in yet.
    std::fs::write(dev.join("unplugged"), "").unwrap();
    let w = Watch::start_with(f, &["--flash", "--device", "sim:dev"]);
    let no_device = |w: &Watch| w.output().matches("no device on USB").count();
    w.wait_for("the no-device note", |w| no_device(w) >= 1);
    // Two device polls later it is still said once.
    std::thread::sleep(Duration::from_millis(2200));
    assert_eq!(no_device(&w), 1, "{}", w.output());
    assert_eq!(boots(&dev), 0);

    // Plugged in, running: watch asks it into DFU mode itself (no buttons), then flashes.
    std::fs::write(dev.join("mode"), "normal").unwrap();
    std::fs::remove_file(dev.join("unplugged")).unwrap();
    w.wait_for("the flash when the device appears", |w| {
        w.output().contains("flash: wrote")
    });
    assert!(
        w.output().contains("asked it to enter DFU mode"),
        "{}",
        w.output()
    );
    assert_eq!(boots(&dev), 1, "{}", w.output());

    // Same bytes (a comment): built, not flashed.
    let path = w.app().join("blink.cpp");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("// a comment changes no byte of the image\n");
    std::fs::write(&path, text).unwrap();
    w.wait_for("the comment build", |w| w.oks() >= 2);
    w.wait_for("the unchanged note", |w| {
        w.output().contains("unchanged: not flashed")
    });
    assert_eq!(boots(&dev), 1, "{}", w.output());

    w.set_delay(321);
    w.wait_for("the second flash", |w| {
        w.output().matches("flash: wrote").count() >= 2
    });
    assert_eq!(boots(&dev), 2, "{}", w.output());
}

/// Issue 15 item 14: `watch --flash` does not flash at start-up what the device already runs,
/// and `--monitor` shows the app's output in the same terminal.
#[test]
fn flash_at_start_up_skips_an_identical_app_and_monitor_shows_the_output() {
    let f = Fixture::new();
    f.pbuild(&["--platform", "p1", "sim", "create", "dev"]).ok();
    let dev = f.path().join("dev");
    // The device gets this very build first.
    f.pbuild(&[
        "--platform",
        "p1",
        "--app",
        "blink",
        "flash",
        "--device",
        "sim:dev",
    ])
    .ok();
    let flashed = boots(&dev);
    let w = Watch::start_with(f, &["--flash", "--monitor", "--device", "sim:dev"]);
    w.wait_for("the start-up flash decision", |w| {
        w.output()
            .contains("already has this user part: not flashed")
    });
    assert!(!w.output().contains("flash: wrote"), "{}", w.output());
    // Put in DFU mode to be read and sent back to its app: one reset, nothing written.
    assert_eq!(boots(&dev), flashed + 1, "{}", w.output());
    // The app's output arrives on stdout.
    let stdout_path = w.f.path().join("watch.stdout");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let out = std::fs::read_to_string(&stdout_path).unwrap_or_default();
        if out.contains("pbuild sim: Device OS 2.3.1, running user part v6")
            && out.contains("tick ")
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no app output:\n{out}\n{}",
            w.output()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
