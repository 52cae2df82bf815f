//! The content cache: what comes back from it, and that a changed header, define or toolchain
//! never does. The oracle for "never stale" is the same build with `--no-cache`.

use std::path::{Path, PathBuf};

use crate::support::*;

fn build(f: &Fixture, target_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = f.command_at(target_dir);
    cmd.args(["--platform", "photon", "--message-format", "json"])
        .args(extra);
    for (k, v) in env {
        cmd.env(k, v);
    }
    Run::of_command(&mut cmd)
}

fn bins(r: &Run) -> Vec<(String, Vec<u8>)> {
    r.artifacts()
        .into_iter()
        .map(|(m, p)| (m, std::fs::read(p).unwrap()))
        .collect()
}

/// The labels of the steps a `--trace` file says came from the cache.
fn cached_steps(trace: &Path) -> Vec<String> {
    trace_steps(trace, true)
}

fn trace_steps(trace: &Path, cached: bool) -> Vec<String> {
    let t: serde_json::Value = serde_json::from_slice(&std::fs::read(trace).unwrap()).unwrap();
    let events = t
        .get("traceEvents")
        .unwrap_or(&t)
        .as_array()
        .unwrap()
        .clone();
    events
        .iter()
        .filter(|e| e["args"]["cached"].as_bool() == Some(cached))
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

/// The labels of the steps a `--trace` file says ran rather than came from the cache.
fn run_steps(trace: &Path) -> Vec<String> {
    trace_steps(trace, false)
}

fn from_cache(r: &Run) -> u64 {
    r.finished()["from_cache"].as_u64().unwrap()
}

/// The same build without the cache, in a target dir of its own: what the bytes must be.
fn uncached(
    f: &Fixture,
    name: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Vec<(String, Vec<u8>)> {
    let mut args = vec!["--no-cache"];
    args.extend_from_slice(extra);
    let r = build(f, &f.path().join(name), &args, env).ok();
    assert_eq!(from_cache(&r), 0);
    bins(&r)
}

#[test]
fn clean_then_build_and_a_moved_project_come_back_from_the_cache() {
    let f = Fixture::new();
    let out = f.path().join("out");
    let modules = ["build", "--target", "modules", "--app", "blink"];
    let trace = f.path().join("first.json");
    let mut traced = modules.to_vec();
    traced.extend(["--trace", trace.to_str().unwrap()]);
    let first = build(&f, &out, &traced, &[]).ok();
    // An empty cache serves nothing in the first build but a library archived again in another
    // build directory with the same members (the dynalibs of each part): one entry.
    let restored = cached_steps(&trace);
    assert!(
        restored.iter().all(|l| l.starts_with("AR ")),
        "{restored:?}"
    );
    assert_eq!(from_cache(&first), restored.len() as u64);
    assert!(
        bins(&first) == uncached(&f, "uncached", &modules, &[]),
        "the binaries differ from a build without the cache"
    );
    let expected = bins(&first);
    let images = expected.len() as u64;

    build(&f, &out, &["clean"], &[]).ok();
    let again = build(&f, &out, &modules, &[]).ok();
    assert_eq!(
        again.steps_run(),
        first.steps_run(),
        "clean removed everything"
    );
    // Every compile, archive and link is restored; only the native image steps run.
    assert_eq!(from_cache(&again), again.steps_run() - images);
    assert!(bins(&again) == expected, "the binaries differ");

    // Another target directory (a moved project, a second worktree) hits too.
    let moved = build(&f, &f.path().join("moved/out"), &modules, &[]).ok();
    assert_eq!(from_cache(&moved), moved.steps_run() - images);
    assert!(bins(&moved) == expected, "the binaries differ");

    let stats = Run::of_command(
        pbuild_command()
            .env("PBUILD_CACHE_DIR", f.cache_dir())
            .args(["--message-format", "json", "cache", "stats"]),
    )
    .ok();
    let s = &stats.json()[0];
    assert_eq!(s["reason"], "cache-stats");
    assert_eq!(
        s["hits"].as_u64().unwrap(),
        2 * (again.steps_run() - images) + restored.len() as u64
    );
    assert!(s["entries"].as_u64().unwrap() > 0 && s["bytes"].as_u64().unwrap() > 0);

    // `clean --all` removes the build state, plans included: the plan comes back from the cache
    // too, so make does not run.
    build(&f, &out, &["clean", "--all"], &[]).ok();
    let calls = f.make_calls();
    let r = build(&f, &out, &modules, &[]).ok();
    assert_eq!(f.make_calls(), calls, "make ran after clean --all");
    assert!(!r.finished()["imported"].as_bool().unwrap());
    assert_eq!(from_cache(&r), r.steps_run() - images);

    // `cache clear` empties it: the next clean build compiles again.
    Run::of_command(
        pbuild_command()
            .env("PBUILD_CACHE_DIR", f.cache_dir())
            .args(["cache", "clear"]),
    )
    .ok();
    build(&f, &out, &["clean"], &[]).ok();
    let r = build(&f, &out, &traced, &[]).ok();
    let again = cached_steps(&trace);
    assert!(again.iter().all(|l| l.starts_with("AR ")), "{again:?}");
    assert_eq!(from_cache(&r), again.len() as u64);
    assert!(bins(&r) == expected, "the binaries differ");
}

#[test]
fn a_changed_header_define_or_toolchain_misses() {
    let f = Fixture::new();
    let out = f.path().join("out");
    let main = ["build", "--app", "blink"];
    let first = build(&f, &out, &main, &[]).ok();
    let before = bins(&first);

    // A header the app includes: the new value reaches the binary.
    let header = f.tree.join("wiring/inc/spark_wiring_constants.h");
    let text = std::fs::read_to_string(&header).unwrap();
    std::fs::write(
        &header,
        text.replace("#define HIGH 0x1", "#define HIGH 0x3"),
    )
    .unwrap();
    build(&f, &out, &["clean"], &[]).ok();
    let r = build(&f, &out, &main, &[]).ok();
    assert!(
        from_cache(&r) < r.steps_run() - 1,
        "the includers recompiled"
    );
    assert!(bins(&r) != before, "the header reached the binary");
    assert!(
        bins(&r) == uncached(&f, "ref-header", &main, &[]),
        "the binaries differ"
    );
    // And back: the first header set is still in the cache.
    std::fs::write(&header, &text).unwrap();
    build(&f, &out, &["clean"], &[]).ok();
    let r = build(&f, &out, &main, &[]).ok();
    assert_eq!(from_cache(&r), r.steps_run() - 1);
    assert!(bins(&r) == before, "the binaries differ");

    // A define given from outside (DEBUG_BUILD=y makes -DDEBUG_BUILD instead of -DRELEASE_BUILD).
    let debug = [("DEBUG_BUILD", "y")];
    let r = build(&f, &out, &main, &debug).ok();
    assert_eq!(from_cache(&r), 0, "every command changed");
    assert!(
        bins(&r) == uncached(&f, "ref-debug", &main, &debug),
        "the binaries differ"
    );

    // Another toolchain (here the same gcc behind a wrapper in another directory).
    let tc = f.path().join("other-toolchain");
    std::fs::create_dir_all(&tc).unwrap();
    let gcc = which("arm-none-eabi-gcc").unwrap();
    for e in std::fs::read_dir(gcc.parent().unwrap()).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with("arm-none-eabi-") {
            write_script(
                &tc.join(&name),
                &format!(
                    "#!/bin/sh\nexec '{}' \"$@\"\n",
                    gcc.parent().unwrap().join(&name).display()
                ),
            );
        }
    }
    let other = [("GCC_ARM_PATH", format!("{}/", tc.display()))];
    let other: Vec<(&str, &str)> = other.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = build(&f, &out, &main, &other).ok();
    assert_eq!(from_cache(&r), 0, "a new toolchain identity");
    assert!(bins(&r) == before, "the binaries differ");
}

#[test]
fn a_reverted_edit_comes_back_from_the_cache() {
    let f = Fixture::new();
    let out = f.path().join("out");
    let main = ["build", "--app", "blink", "--explain"];
    let first = bins(&build(&f, &out, &main, &[]).ok());
    let app: PathBuf = f.tree.join("user/applications/blink/blink.cpp");
    let text = std::fs::read_to_string(&app).unwrap();
    std::fs::write(&app, text.replace("delay(500)", "delay(250)")).unwrap();
    let edited = build(&f, &out, &main, &[]).ok();
    assert_eq!(from_cache(&edited), 0);
    assert!(bins(&edited) != first, "the edit changed the binary");
    // `git checkout` back: the compile, the archive and the link are restored.
    std::fs::write(&app, &text).unwrap();
    let back = build(&f, &out, &main, &[]).ok();
    assert_eq!(back.steps_run(), edited.steps_run());
    assert_eq!(from_cache(&back), back.steps_run() - 1);
    assert!(bins(&back) == first, "back to the first binary");
}

#[test]
fn cache_off_by_flag_environment_or_project_toml() {
    let f = Fixture::new();
    let out = f.path().join("out");
    let main = ["build", "--app", "blink"];
    build(&f, &out, &main, &[("PBUILD_CACHE", "0")]).ok();
    build(&f, &out, &["clean"], &[]).ok();
    let r = build(&f, &out, &main, &[]).ok();
    assert_eq!(from_cache(&r), 0, "PBUILD_CACHE=0 stored nothing");
    assert!(!f.cache_dir().join("o").exists() || from_cache(&r) == 0);
    let bad = build(&f, &out, &main, &[("PBUILD_CACHE_SIZE", "lots")]).fails(2);
    assert!(bad.stderr.contains("PBUILD_CACHE_SIZE"), "{}", bad.stderr);
}

#[test]
fn two_builds_at_once_share_the_cache_safely() {
    let f = Fixture::new();
    let modules = ["build", "--target", "modules", "--app", "blink", "-j", "2"];
    let spawn = |name: &str| {
        let mut cmd = f.command_at(&f.path().join(name));
        cmd.args(["--platform", "photon", "--message-format", "json"])
            .args(modules)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd.spawn().unwrap()
    };
    let (a, b) = (spawn("a"), spawn("b"));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let (a, b) = (Run::of_output(a).ok(), Run::of_output(b).ok());
    assert!(bins(&a) == bins(&b), "the binaries differ");
    // The `.elf` files too, debug info and all: of two builds that made the same result, the
    // second to store it takes the first's files (gcc's are not always the same bytes).
    let elfs = |r: &Run| -> Vec<Vec<u8>> {
        r.artifacts()
            .iter()
            .map(|(_, bin)| std::fs::read(bin.with_extension("elf")).unwrap())
            .collect()
    };
    assert!(elfs(&a) == elfs(&b), "the .elf files differ");
    // A third, after both stored what they built, is served whole.
    let trace = f.path().join("c.json");
    let mut traced = modules.to_vec();
    traced.extend(["--trace", trace.to_str().unwrap()]);
    let c = build(&f, &f.path().join("c"), &traced, &[]).ok();
    assert_eq!(
        from_cache(&c),
        c.steps_run() - bins(&c).len() as u64,
        "run, not from the cache: {:?}",
        run_steps(&trace)
    );
    assert!(bins(&c) == bins(&a), "the binaries differ");
}

/// `ccache --print-stats` as name → count.
fn ccache_stats(dir: &Path) -> std::collections::HashMap<String, u64> {
    let out = std::process::Command::new("ccache")
        .arg("--print-stats")
        .env("CCACHE_DIR", dir)
        .output()
        .expect("ccache is needed for the launcher tests (apt-get install ccache)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .filter_map(|(k, v)| Some((k.to_string(), v.trim().parse().ok()?)))
        .collect()
}

#[test]
fn ccache_as_launcher_serves_a_clean_build_and_pbuilds_cache_comes_first() {
    let f = Fixture::new();
    let ccache_dir = f.path().join("ccache");
    let env = [("CCACHE_DIR", ccache_dir.to_str().unwrap())];
    let out = f.path().join("out");
    let modules = ["build", "--target", "modules", "--app", "blink"];
    fn launched<'a>(extra: &[&'a str], modules: &[&'a str]) -> Vec<&'a str> {
        let mut a = vec!["--launcher", "ccache"];
        a.extend_from_slice(extra);
        a.extend_from_slice(modules);
        a
    }
    // Without pbuild's cache: ccache sees every compile, and serves them all after a clean.
    let first = build(&f, &out, &launched(&["--no-cache"], &modules), &env).ok();
    let expected = bins(&first);
    let compiles = ccache_stats(&ccache_dir)["direct_cache_miss"];
    assert!(compiles > 20, "ccache saw {compiles} compiles");
    build(&f, &out, &["clean"], &[]).ok();
    let second = build(&f, &out, &launched(&["--no-cache"], &modules), &env).ok();
    let s = ccache_stats(&ccache_dir);
    assert_eq!(s["direct_cache_hit"], compiles, "{s:?}");
    assert!(bins(&second) == expected, "the binaries differ");
    // With pbuild's cache too: the first build fills it, and after a clean it answers before
    // ccache is ever called.
    build(&f, &out, &["clean"], &[]).ok();
    build(&f, &out, &launched(&[], &modules), &env).ok();
    let before = ccache_stats(&ccache_dir);
    build(&f, &out, &["clean"], &[]).ok();
    let r = build(&f, &out, &launched(&[], &modules), &env).ok();
    assert_eq!(from_cache(&r), r.steps_run() - expected.len() as u64);
    let after = ccache_stats(&ccache_dir);
    let calls =
        |s: &std::collections::HashMap<String, u64>| s["direct_cache_hit"] + s["direct_cache_miss"];
    assert_eq!(calls(&after), calls(&before), "ccache was not called");
    assert!(bins(&r) == expected, "the binaries differ");
}

#[test]
fn sccache_as_launcher_builds_the_same_binaries() {
    let f = Fixture::new();
    let dir = f.path().join("sccache");
    // A port nobody uses now, on loopback.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let env = [
        ("SCCACHE_DIR", dir.to_str().unwrap()),
        ("SCCACHE_SERVER_PORT", port.as_str()),
    ];
    let out = f.path().join("out");
    // Start sccache's server first (no idle shutdown): a client that has to start it while the
    // machine is busy with other tests can give up waiting for it.
    let started = std::process::Command::new("sccache")
        .arg("--start-server")
        .envs(env)
        .env("SCCACHE_IDLE_TIMEOUT", "0")
        .output()
        .expect("sccache is needed for this test (apt-get install sccache)");
    assert!(
        started.status.success(),
        "sccache --start-server: {}",
        String::from_utf8_lossy(&started.stderr)
    );
    // Stop it however the test ends.
    struct Server<'a>(&'a [(&'a str, &'a str)]);
    impl Drop for Server<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("sccache")
                .arg("--stop-server")
                .envs(self.0.iter().copied())
                .output();
        }
    }
    let _server = Server(&env);
    let args = [
        "--no-cache",
        "--launcher",
        "sccache",
        "build",
        "--target",
        "modules",
        "--app",
        "blink",
        "-j",
        "2",
    ];
    let first = build(&f, &out, &args, &env).ok();
    build(&f, &out, &["clean"], &[]).ok();
    let second = build(&f, &out, &args, &env).ok();
    let stats = std::process::Command::new("sccache")
        .arg("--show-stats")
        .envs(env)
        .output()
        .expect("sccache is needed for this test (apt-get install sccache)");
    let text = String::from_utf8_lossy(&stats.stdout);
    let hits: u64 = text
        .lines()
        .find(|l| l.starts_with("Cache hits") && !l.contains('('))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no cache hits line:\n{text}"));
    assert!(hits > 20, "{text}");
    assert!(bins(&first) == bins(&second), "the binaries differ");
}

#[test]
fn the_first_main_after_modules_compiles_nothing_again() {
    // `main` and `modules` have build directories of their own: the same compile writes its
    // object to another path, which does not change the object (issue 14 item 3).
    let f = Fixture::new();
    let out = f.path().join("out");
    build(
        &f,
        &out,
        &["--app", "blink", "build", "--target", "modules"],
        &[],
    )
    .ok();
    let main = build(
        &f,
        &out,
        &["--app", "blink", "build", "--target", "main", "--explain"],
        &[],
    )
    .ok();
    let compiles = main
        .explained()
        .iter()
        .filter(|l| l.starts_with("CC ") || l.starts_with("PCH "))
        .count() as u64;
    assert!(compiles > 30, "{}", main.stderr);
    assert!(
        from_cache(&main) >= compiles,
        "{} of {compiles} compiles from the cache:\n{}",
        from_cache(&main),
        main.stderr
    );
    assert_eq!(
        bins(&main),
        uncached(&f, "plain", &["--app", "blink", "build"], &[])
    );
}

/// A precompiled header evicted from the cache is made again, with other bytes (gcc names the
/// temp file it wrote in it): the app's compiles that use it must still hit, and give the same
/// binaries (issue 14 item 7: after a full cache evicted the `.gch` files, every app compile and
/// link of a repeated multi-project run missed).
#[test]
fn an_evicted_precompiled_header_is_made_again_and_the_compiles_using_it_still_hit() {
    let f = Fixture::new();
    let args = ["--app", "blink", "build", "--target", "main", "--explain"];
    let first = build(&f, &f.path().join("one"), &args, &[]).ok();
    assert!(
        first.explained().iter().any(|l| l.starts_with("PCH ")),
        "no precompiled header: {}",
        first.stderr
    );
    let gchs: Vec<PathBuf> = walkdir::WalkDir::new(f.cache_dir().join("o"))
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| std::fs::read(p).is_ok_and(|b| b.starts_with(b"gpch")))
        .collect();
    assert_eq!(gchs.len(), 1, "{gchs:?}");
    std::fs::remove_file(&gchs[0]).unwrap();

    let again = build(&f, &f.path().join("two"), &args, &[]).ok();
    let ran: Vec<String> = again.explained();
    let pch: Vec<&String> = ran.iter().filter(|l| l.starts_with("PCH ")).collect();
    assert_eq!(
        pch.len(),
        1,
        "the precompiled header was not made again: {ran:?}"
    );
    let physical = again.steps_run() - from_cache(&again);
    let images = ran.iter().filter(|l| l.starts_with("IMAGE ")).count() as u64;
    assert_eq!(
        physical,
        1 + images,
        "only the precompiled header (and the image, never cached) may run: {}",
        again.stderr
    );
    let gch = walkdir::WalkDir::new(f.path().join("two"))
        .into_iter()
        .filter_map(|e| e.ok())
        .find(|e| e.path().extension().is_some_and(|x| x == "gch"))
        .expect("the .gch");
    let first_gch = walkdir::WalkDir::new(f.path().join("one"))
        .into_iter()
        .filter_map(|e| e.ok())
        .find(|e| e.path().extension().is_some_and(|x| x == "gch"))
        .expect("the first .gch");
    assert_ne!(
        std::fs::read(gch.path()).unwrap(),
        std::fs::read(first_gch.path()).unwrap(),
        "gcc wrote the same .gch twice: this test no longer shows what it is about"
    );
    assert_eq!(bins(&again), bins(&first));
    assert_eq!(
        bins(&again),
        uncached(
            &f,
            "plain",
            &["--app", "blink", "build", "--target", "main"],
            &[]
        )
    );
}

/// A free TCP port on loopback.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn distcc_on_two_loopback_daemons_serves_a_clean_build_with_the_same_binaries() {
    use std::os::unix::process::CommandExt;
    // Two distccd "hosts" on two loopback ports (issue 14 item 6): launcher = "distcc" sends the
    // compiles to them, never compiling locally behind our back (DISTCC_FALLBACK=0).
    let f = Fixture::new();
    let logs = f.path().join("distcc-logs");
    std::fs::create_dir_all(&logs).unwrap();
    // distccd forks workers: each daemon gets a process group of its own, stopped as a whole.
    struct Daemons(Vec<std::process::Child>);
    impl Drop for Daemons {
        fn drop(&mut self) {
            for c in &mut self.0 {
                let _ = std::process::Command::new("kill")
                    .args(["-TERM", "--", &format!("-{}", c.id())])
                    .status();
                let _ = c.wait();
            }
        }
    }
    let ports = [free_port(), free_port()];
    let mut daemons = Daemons(Vec::new());
    for port in ports {
        let child = std::process::Command::new("distccd")
            .args([
                "--daemon",
                "--no-detach",
                "--listen",
                "127.0.0.1",
                "--allow",
                "127.0.0.1",
            ])
            .args([
                "--port",
                &port.to_string(),
                "--jobs",
                "2",
                "--log-level=info",
            ])
            // Compilers by path, not only those masqueraded in /usr/lib/distcc: loopback only.
            .arg("--enable-tcp-insecure")
            // Its log on stderr, into a file opened here: distccd drops root for its own user,
            // which may not write into this test's private directory.
            .arg("--log-stderr")
            .stderr(std::fs::File::create(logs.join(format!("{port}.log"))).unwrap())
            .process_group(0)
            .spawn()
            .expect("distccd is needed for this test (apt-get install distcc)");
        daemons.0.push(child);
    }
    // Until both listen.
    for port in ports {
        let ready = (0..100).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(50));
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(ready, "distccd on port {port} did not start");
    }
    let hosts = format!("127.0.0.1:{}/2 127.0.0.1:{}/2", ports[0], ports[1]);
    let distcc_dir = f.path().join("distcc-client");
    std::fs::create_dir_all(&distcc_dir).unwrap();
    let env = [
        ("DISTCC_HOSTS", hosts.as_str()),
        ("DISTCC_FALLBACK", "0"),
        ("DISTCC_SKIP_LOCAL_RETRY", "1"),
        ("DISTCC_DIR", distcc_dir.to_str().unwrap()),
    ];
    let args = [
        "--no-cache",
        "--launcher",
        "distcc",
        "build",
        "--target",
        "modules",
        "--app",
        "blink",
        "-j",
        "4",
    ];
    let r = build(&f, &f.path().join("out"), &args, &env).ok();
    assert_eq!(
        bins(&r),
        uncached(
            &f,
            "plain",
            &["build", "--target", "modules", "--app", "blink"],
            &[]
        ),
        "distcc's binaries differ"
    );
    // Both hosts compiled.
    drop(daemons);
    for port in ports {
        let log = std::fs::read_to_string(logs.join(format!("{port}.log"))).unwrap_or_default();
        let done = log.matches("COMPILE_OK").count();
        assert!(done > 0, "distccd on port {port} compiled nothing:\n{log}");
    }
}

#[test]
fn a_second_user_gets_hits_from_a_shared_redis_cache() {
    // A team's shared cache (issue 14 item 6): Debian's redis-server on loopback as the remote
    // storage of ccache; two users with cache directories of their own. (Debian's sccache,
    // 0.4.0-pre.6, is built without its Redis backend: "cache type is not enabled".)
    use std::os::unix::process::CommandExt;
    let f = Fixture::new();
    let port = free_port();
    struct Redis(std::process::Child);
    impl Drop for Redis {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _redis = Redis(
        std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(["--dir", f.path().to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .process_group(0)
            .spawn()
            .expect("redis-server is needed for this test (apt-get install redis-server)"),
    );
    let ready = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(ready, "redis-server on port {port} did not start");
    let remote = format!("redis://127.0.0.1:{port}");
    let args = [
        "--no-cache",
        "--launcher",
        "ccache",
        "build",
        "--target",
        "modules",
        "--app",
        "blink",
    ];
    let user = |name: &str| {
        let dir = f.path().join(format!("ccache-{name}"));
        let r = build(
            &f,
            &f.path().join(format!("out-{name}")),
            &args,
            &[
                ("CCACHE_DIR", dir.to_str().unwrap()),
                ("CCACHE_REMOTE_STORAGE", remote.as_str()),
            ],
        )
        .ok();
        (r, ccache_stats(&dir))
    };
    let (first, a) = user("alice");
    assert!(a["remote_storage_write"] > 30, "{a:?}");
    let (second, b) = user("bob");
    // Bob's own cache was empty: his hits came from Redis, for all but the compiles whose
    // command names his own build directory (the app's, with its precompiled header's path).
    assert_eq!(b["local_storage_hit"], 0, "{b:?}");
    assert!(
        b["remote_storage_hit"] * 10 >= a["cache_miss"] * 9 && a["cache_miss"] > 30,
        "bob: {b:?}\nalice: {a:?}"
    );
    assert_eq!(bins(&second), bins(&first), "the binaries differ");
}
