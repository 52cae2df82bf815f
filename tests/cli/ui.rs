//! What every command shares: shell completions, colour rules (terminal only, NO_COLOR, --color),
//! -q/-v, and the JSON `error` line.

use std::process::Command;

use crate::support::*;

fn completions(shell: &str) -> String {
    let r = Run::of_command(pbuild_command().args(["completions", shell])).ok();
    assert!(!r.stdout.trim().is_empty(), "{shell}: empty script");
    for sub in [
        "build",
        "flash",
        "doctor",
        "inspect",
        "device",
        "completions",
    ] {
        assert!(r.stdout.contains(sub), "{shell} script lacks `{sub}`");
    }
    r.stdout
}

#[test]
fn bash_completions_name_subcommands_and_flags_and_parse() {
    let script = completions("bash");
    assert!(script.contains("--message-format"), "no --message-format");
    assert!(
        script.contains("complete -F"),
        "not a bash completion script"
    );
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("pbuild.bash");
    std::fs::write(&file, &script).unwrap();
    let r = Run::of_command(Command::new("bash").arg("-n").arg(&file));
    assert_eq!(r.code, 0, "bash -n rejected the script: {}", r.stderr);
}

#[test]
fn zsh_and_fish_completions_name_subcommands() {
    assert!(completions("zsh").starts_with("#compdef pbuild"));
    assert!(completions("fish").contains("complete -c pbuild"));
    for (shell, ext) in [("zsh", "zsh"), ("fish", "fish")] {
        // Parse-check where the shell is installed.
        if which(shell).is_some() {
            let tmp = tempfile::tempdir().unwrap();
            let file = tmp.path().join(format!("pbuild.{ext}"));
            std::fs::write(&file, completions(shell)).unwrap();
            let r = Run::of_command(Command::new(shell).arg("-n").arg(&file));
            assert_eq!(r.code, 0, "{shell} -n: {}", r.stderr);
        }
    }
}

/// An error run (unknown platform) with `args` first, in a pseudo-terminal when `tty`; what the
/// user sees on stderr (merged with stdout under the pty).
fn error_output(args: &[&str], envs: &[(&str, &str)], tty: bool) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let mut argv: Vec<String> = vec![PBUILD.to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    argv.extend(["--platform", "photn", "build"].map(String::from));
    let mut cmd = if tty {
        let quoted: Vec<String> = argv.iter().map(|a| format!("'{a}'")).collect();
        let mut c = Command::new("script");
        c.args(["-qec", &quoted.join(" "), "/dev/null"]);
        c
    } else {
        let mut c = Command::new(&argv[0]);
        c.args(&argv[1..]);
        c
    };
    cmd.current_dir(tmp.path())
        .env("TERM", "xterm")
        .env_remove("NO_COLOR");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let r = Run::of_command(&mut cmd);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("unknown platform `photn`"), "{all}");
    all
}

const RED_ERROR: &str = "\x1b[1;31merror:\x1b[0m";

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    assert!(
        !error_output(&[], &[], false).contains('\x1b'),
        "colour in a pipe"
    );
    if which("script").is_none() {
        eprintln!("skipped the terminal half: no `script` to make a pty");
        return;
    }
    assert!(
        error_output(&[], &[], true).contains(RED_ERROR),
        "no colour on a terminal"
    );
    assert!(
        !error_output(&[], &[("NO_COLOR", "1")], true).contains('\x1b'),
        "colour on a terminal despite NO_COLOR"
    );
    assert!(!error_output(&["--color", "never"], &[], true).contains('\x1b'));
}

#[test]
fn color_always_forces_colour_into_a_pipe() {
    let out = error_output(&["--color", "always"], &[("NO_COLOR", "1")], false);
    assert!(out.contains(RED_ERROR), "{out:?}");
    assert!(
        out.contains("\x1b[1;36mhint:\x1b[0m did you mean `photon`?"),
        "{out:?}"
    );
}

#[test]
fn json_errors_end_with_an_error_line_on_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Run::of_command(
        pbuild_command()
            .args(["--message-format", "json", "inspect", "missing.bin"])
            .current_dir(tmp.path()),
    )
    .fails(2);
    let lines = r.json();
    assert_eq!(lines.len(), 1, "{}", r.stdout);
    assert_eq!(lines[0]["reason"], "error");
    assert!(
        lines[0]["message"]
            .as_str()
            .unwrap()
            .contains("missing.bin"),
        "{}",
        r.stdout
    );
    assert_eq!(lines[0]["exit_code"], 2);
    // The person still sees it on stderr.
    assert!(r.stderr.starts_with("error: missing.bin"), "{}", r.stderr);

    let r = Run::of_command(
        pbuild_command()
            .args(["--message-format", "json", "--platform", "photn", "build"])
            .current_dir(tmp.path()),
    )
    .fails(2);
    let last = r.json().pop().unwrap();
    assert_eq!(last["reason"], "error");
    assert_eq!(last["hint"], "did you mean `photon`? (from --platform)");
}

#[test]
fn quiet_build_prints_nothing_and_verbose_prints_the_commands() {
    let f = Fixture::new();
    let app = ["--platform", "p1", "--app", "blink"];
    let r = f.pbuild(&[&app[..], &["-q", "build"]].concat()).ok();
    assert_eq!(r.stderr, "", "-q printed on stderr");
    assert_eq!(r.stdout, "");
    let bin = f.target_dir().join("p1/blink.bin");
    assert!(bin.is_file(), "no {}", bin.display());

    let src = f.tree.join("user/applications/blink/blink.cpp");
    let text = std::fs::read_to_string(&src).unwrap();
    std::fs::write(&src, format!("{text}\n// edited\n")).unwrap();
    let r = f.pbuild(&[&app[..], &["-v", "build"]].concat()).ok();
    let compile = r
        .stderr
        .lines()
        .find(|l| {
            l.starts_with("  (cd ") && l.contains("arm-none-eabi-gcc") && l.contains("blink.cpp")
        })
        .unwrap_or_else(|| panic!("-v did not show the compile command:\n{}", r.stderr));
    assert!(compile.contains(" -c "), "{compile}");
}

#[test]
fn flash_json_lines_cover_build_plan_each_write_and_the_end() {
    let f = Fixture::new();
    let dev = f.path().join("dev");
    f.pbuild(&[
        "--platform",
        "photon",
        "sim",
        "create",
        dev.to_str().unwrap(),
    ])
    .ok();
    let device = format!("sim:{}", dev.display());
    let r = f
        .pbuild(&[
            "--platform",
            "photon",
            "--app",
            "blink",
            "--message-format",
            "json",
            "flash",
            "--device",
            &device,
        ])
        .ok();
    let lines = r.json();
    assert_eq!(
        lines.len(),
        r.stdout.lines().count(),
        "non-JSON on stdout:\n{}",
        r.stdout
    );
    let reasons: Vec<&str> = lines
        .iter()
        .map(|v| v["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        ["artifact", "flash-plan", "flash-written", "flash-finished"],
        "{}",
        r.stdout
    );
    let artifact = &lines[0];
    assert_eq!(artifact["module"], "user-part");
    let written = &lines[2];
    assert_eq!(
        (written["n"].as_u64(), written["total"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(written["address"], 0x080A0000u32);
    assert_eq!(written["leave"], true);
    let len = std::fs::metadata(artifact["bin"].as_str().unwrap())
        .unwrap()
        .len();
    assert_eq!(written["len"].as_u64(), Some(len));
    assert_eq!(lines[3]["success"], true);
    assert_eq!(lines[3]["written"], 1);
    assert_eq!(lines[3]["after"]["state"], "running-user-app");
}
