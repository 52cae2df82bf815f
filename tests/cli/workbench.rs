//! Particle Workbench's machine and projects (issue 16): a fake `~/.particle` (HOME in a temp
//! dir) holding a `deviceOS/<version>` tree and `gcc-arm/<version>/bin` compilers that are
//! wrapper scripts around the real one, answering with another version.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

/// A compiler directory whose gcc says it is `version` and runs the real arm-none-eabi-gcc;
/// the other tools are the real ones.
fn fake_compiler(bin: &Path, version: &str) {
    std::fs::create_dir_all(bin).unwrap();
    let real = which("arm-none-eabi-gcc").expect("arm-none-eabi-gcc on PATH");
    write_script(
        &bin.join("arm-none-eabi-gcc"),
        &format!(
            "#!/bin/sh\ncase \"$1\" in -dumpversion|-dumpfullversion) echo {version}; exit 0;; esac\nexec '{}' \"$@\"\n",
            real.display()
        ),
    );
    for tool in ["g++", "gcc-ar", "objcopy", "size", "ar", "nm", "objdump"] {
        let real = which(&format!("arm-none-eabi-{tool}")).unwrap();
        std::os::unix::fs::symlink(real, bin.join(format!("arm-none-eabi-{tool}"))).unwrap();
    }
}

struct Machine {
    f: Fixture,
    home: PathBuf,
}

impl Machine {
    /// HOME with Workbench's Device OS 2.3.1 (a copy of the example tree) and `compilers`.
    fn new(compilers: &[&str]) -> Machine {
        let f = Fixture::new();
        let home = f.path().join("home");
        let toolchains = home.join(".particle/toolchains");
        copy_tree(&f.tree, &toolchains.join("deviceOS/2.3.1"));
        for v in compilers {
            fake_compiler(&toolchains.join("gcc-arm").join(v).join("bin"), v);
        }
        Machine { f, home }
    }

    fn toolchains(&self) -> PathBuf {
        self.home.join(".particle/toolchains")
    }

    /// pbuild with this HOME in `cwd`, no tree given.
    fn pbuild(&self, cwd: &Path, args: &[&str]) -> Run {
        pbuild_with_home(&self.f, &self.home, cwd, args)
    }

    /// A Workbench project: project.properties, src/, and .vscode/settings.json with comments.
    fn project(&self, platform: &str, version: &str) -> PathBuf {
        let dir = self.f.path().join("wbproject");
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::create_dir_all(dir.join(".vscode")).unwrap();
        std::fs::write(dir.join("project.properties"), "name=wbproject\n").unwrap();
        std::fs::copy(
            self.f.tree.join("user/applications/blink/blink.cpp"),
            dir.join("src/wbproject.cpp"),
        )
        .unwrap();
        std::fs::write(
            dir.join(".vscode/settings.json"),
            format!(
                "{{\n  // written by Particle Workbench\n  \"particle.targetPlatform\": \"{platform}\",\n  \"particle.firmwareVersion\": \"{version}\",\n  \"files.associations\": {{ \"*.ino\": \"cpp\", }},\n}}\n"
            ),
        )
        .unwrap();
        dir
    }
}

fn pbuild_with_home(f: &Fixture, home: &Path, cwd: &Path, args: &[&str]) -> Run {
    let mut cmd = pbuild_command();
    cmd.env("HOME", home)
        .env("PBUILD_CACHE_DIR", f.cache_dir())
        .env("PATH", f.path_env())
        .env_remove("DEVICE_OS_PATH")
        .env_remove("GCC_ARM_PATH")
        .env_remove("PBUILD_TARGET_DIR")
        .args(args)
        .current_dir(cwd);
    Run::of_command(&mut cmd)
}

fn bin(r: &Run) -> Vec<u8> {
    let arts = r.artifacts();
    std::fs::read(&arts.last().unwrap().1).unwrap()
}

#[test]
fn a_workbench_project_builds_with_no_flags_using_workbenchs_tree_and_compiler() {
    let m = Machine::new(&["9.2.1"]);
    let dir = m.project("p1", "2.3.1");
    let r = m
        .pbuild(&dir, &["build", "-v", "--message-format", "json"])
        .ok();
    let settings = dir.join(".vscode/settings.json");
    for origin in [
        format!(
            "Device OS 2.3.1 at {} (from {} (particle.firmwareVersion))",
            m.toolchains().join("deviceOS/2.3.1").display(),
            settings.display()
        ),
        format!(
            "platform p1 (from {} (particle.targetPlatform))",
            settings.display()
        ),
        format!(
            "compiler {}/arm-none-eabi-gcc (from Workbench ({}))",
            m.toolchains().join("gcc-arm/9.2.1/bin").display(),
            m.toolchains().join("gcc-arm/9.2.1").display()
        ),
    ] {
        assert!(r.stderr.contains(&origin), "{origin}\n{}", r.stderr);
    }
    // Make was told, and every compile ran, the compiler chosen.
    assert!(
        r.stderr.contains(&format!(
            "GCC_ARM_PATH={}/",
            m.toolchains().join("gcc-arm/9.2.1/bin").display()
        )),
        "{}",
        r.stderr
    );
    let db = std::fs::read_to_string(dir.join("compile_commands.json")).unwrap();
    assert!(db.contains("gcc-arm/9.2.1/bin/arm-none-eabi-gcc"), "{db}");
    assert!(!db.contains("\"arm-none-eabi-gcc\""), "{db}");
    // The right version found: no note about another compiler.
    assert!(!r.stderr.contains("note: Particle builds"), "{}", r.stderr);
    // The same bytes as the tree's own make would build from the same app with that compiler.
    let make_out = m.f.path().join("make-app");
    std::fs::create_dir_all(&make_out).unwrap();
    let out = Command::new("make")
        .current_dir(m.toolchains().join("deviceOS/2.3.1/main"))
        .env("HOME", &m.home)
        .env_remove("MAKEFLAGS")
        .arg("PLATFORM=p1")
        .arg(format!("APPDIR={}", dir.display()))
        .arg(format!("TARGET_DIR={}", make_out.display()))
        .arg(format!(
            "GCC_ARM_PATH={}/",
            m.toolchains().join("gcc-arm/9.2.1/bin").display()
        ))
        .arg("all")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        bin(&r),
        std::fs::read(make_out.join("wbproject.bin")).unwrap(),
        "pbuild's .bin differs from make's"
    );

    // doctor lists what Workbench installed and says the same of the compiler.
    let d = m.pbuild(&dir, &["doctor"]);
    assert!(
        d.stdout.contains("workbench")
            && d.stdout.contains("Device OS 2.3.1; gcc 9.2.1")
            && d.stdout.contains("from Workbench"),
        "{}",
        d.stdout
    );
}

#[test]
fn device_os_in_project_toml_and_toolchain_settings_choose_the_tree_and_compiler() {
    let m = Machine::new(&["9.2.1", "10.2.1"]);
    let dir = m.f.path().join("proj");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::copy(
        m.f.tree.join("user/applications/blink/blink.cpp"),
        dir.join("src/app.cpp"),
    )
    .unwrap();
    std::fs::write(
        dir.join("project.toml"),
        "platform = \"photon\"\nappdir = \".\"\ndevice_os = \"2.3.1\"\ntoolchain = \"10.2.1\"\n",
    )
    .unwrap();
    let r = m
        .pbuild(&dir, &["build", "-v", "--message-format", "json"])
        .ok();
    assert!(
        r.stderr.contains(&format!(
            "Device OS 2.3.1 at {} (from {}:3:13)",
            m.toolchains().join("deviceOS/2.3.1").display(),
            dir.join("project.toml").display()
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!(
            "compiler {}/arm-none-eabi-gcc (from {}:4:13 (toolchain))",
            m.toolchains().join("gcc-arm/10.2.1/bin").display(),
            dir.join("project.toml").display()
        )),
        "{}",
        r.stderr
    );
    // Not the version Particle builds 2.3.1 with: said, with where to get that one.
    assert!(
        r.stderr.contains(
            "note: Particle builds Device OS 2.3.1 with gcc 9.2.1; this build uses gcc 10.2.1"
        ),
        "{}",
        r.stderr
    );
    // Missing things are errors naming the setting.
    std::fs::write(
        dir.join("project.toml"),
        "platform = \"photon\"\nappdir = \".\"\ndevice_os = \"1.5.2\"\n",
    )
    .unwrap();
    let r = m.pbuild(&dir, &["build"]).fails(2);
    assert!(
        r.stderr
            .contains("project.toml:3:13: Device OS 1.5.2 is not installed")
            && r.stderr.contains("installed: 2.3.1"),
        "{}",
        r.stderr
    );
    std::fs::write(
        dir.join("project.toml"),
        "platform = \"photon\"\nappdir = \".\"\ndevice_os = \"2.3.1\"\ntoolchain = \"8.3.1\"\n",
    )
    .unwrap();
    let r = m.pbuild(&dir, &["build"]).fails(2);
    assert!(
        r.stderr
            .contains("project.toml:4:13: `toolchain = \"8.3.1\"`: no arm-none-eabi-gcc in")
            && r.stderr.contains("installed by Workbench: 9.2.1, 10.2.1"),
        "{}",
        r.stderr
    );
}

#[test]
fn without_particles_compiler_the_build_says_which_it_wanted_and_used() {
    // No Workbench compiler: PATH's gcc 12 builds the example tree (2.3.1, built by Particle
    // with 9.2.1), and says so once when the plan is made.
    let m = Machine::new(&[]);
    let r =
        m.f.pbuild(&["--platform", "p1", "--app", "blink", "build"])
            .ok();
    assert!(
        r.stderr.contains(
            "note: Particle builds Device OS 2.3.1 with gcc 9.2.1; this build uses gcc 12"
        ) && r.stderr.contains("~/.particle/toolchains/gcc-arm/9.2.1"),
        "{}",
        r.stderr
    );
    let again =
        m.f.pbuild(&["--platform", "p1", "--app", "blink", "build"])
            .ok();
    assert!(
        !again.stderr.contains("note: Particle builds"),
        "{}",
        again.stderr
    );
}

/// The example tree with the compiler check of Device OS v1.5.2's build/arm-tools.mk (versions
/// compared as text), in a copy.
fn tree_with_text_check(f: &Fixture) -> PathBuf {
    let tree = f.path().join("tree-1.5-check");
    copy_tree(&f.tree, &tree);
    let mk = tree.join("build/arm-tools.mk");
    let text = std::fs::read_to_string(&mk).unwrap();
    let start = text.find("# minimum compiler version").unwrap();
    let check = "# minimum compiler version, as Device OS v1.5.2 checks it\nquote=\"\nlt=\\<\narm_gcc_version_str:=$(strip $(shell $(CC) -dumpversion))\nexpected_version:=5.3.1\nifeq ($(shell test $(quote)$(arm_gcc_version_str)$(quote) $(lt) $(quote)$(expected_version)$(quote); echo $$?),0)\n     $(error \"ARM gcc version $(expected_version) or later required, but found $(arm_gcc_version_str)\")\nendif\nifeq ($(shell test $(quote)$(arm_gcc_version_str)$(quote) $(lt) $(quote)4.9.0$(quote); echo $$?),0)\n     NANO_SUFFIX=_s\nendif\nCFLAGS += $(if $(NANO_SUFFIX),-DNANO_SUFFIX_WRONGLY_SET)\n";
    let end = text[start..].find("endif").unwrap() + start + "endif".len();
    std::fs::write(&mk, format!("{}{check}{}", &text[..start], &text[end..])).unwrap();
    tree
}

#[test]
fn a_tree_that_compares_gcc_versions_as_text_is_explained_predicted_and_let_through_on_request() {
    let m = Machine::new(&["9.2.1"]);
    let tree = tree_with_text_check(&m.f);
    // make itself refuses gcc 12.
    let out = Command::new("make")
        .current_dir(tree.join("main"))
        .args(["PLATFORM=p1", "APP=blink", "-n", "all"])
        .env_remove("MAKEFLAGS")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("ARM gcc version 5.3.1 or later required, but found 12"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree_arg = tree.display().to_string();
    let args = |extra: &[&'static str]| {
        let mut a = vec!["--tree", &tree_arg, "--platform", "p1", "--app", "blink"];
        a.extend_from_slice(extra);
        a
    };
    let cwd = m.f.path().to_path_buf();
    // With the compiler Particle builds this version with (Workbench's 9.2.1 here), the
    // tree's check passes: no flag needed.
    let r = m.pbuild(&cwd, &args(&["build"])).ok();
    assert!(!r.stderr.contains("as text"), "{}", r.stderr);
    // HOME without Workbench's compilers: PATH's gcc 12.
    let empty = m.f.path().join("empty-home");
    std::fs::create_dir_all(&empty).unwrap();
    let bare = |a: &[&str]| pbuild_with_home(&m.f, &empty, &cwd, a);
    let r = bare(&args(&["build"])).fails(2);
    assert!(
        r.stderr
            .contains("compares gcc versions as text, so it takes gcc 12")
            && r.stderr.contains("for older than 5.3.1")
            && r.stderr.contains("--numeric-gcc-check"),
        "{}",
        r.stderr
    );
    // doctor predicts exactly that.
    let d = bare(&args(&["doctor"]));
    assert_eq!(d.code, 2, "{}", d.stdout);
    assert!(
        d.stdout.contains("compares gcc versions as text"),
        "{}",
        d.stdout
    );
    // On request: built, nothing in the tree changed, and NANO_SUFFIX not wrongly set.
    let before = std::fs::read(tree.join("build/arm-tools.mk")).unwrap();
    let ok = bare(&args(&["--numeric-gcc-check", "build", "-v"])).ok();
    assert!(
        ok.stderr.contains("expected_version=0 NANO_SUFFIX="),
        "{}",
        ok.stderr
    );
    assert!(
        !ok.stderr.contains("NANO_SUFFIX_WRONGLY_SET"),
        "{}",
        ok.stderr
    );
    assert_eq!(
        std::fs::read(tree.join("build/arm-tools.mk")).unwrap(),
        before
    );
}
