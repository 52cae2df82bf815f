//! Running one command for a step: spawn it with every output it names redirected to a temp file,
//! then rename the outputs into place when it succeeds, so a killed build (or a compiler it left
//! running) never leaves a half-written file where a later build looks. Unaware of the graph,
//! of dirtiness and of what the command is.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::fsutil::temp_path;

/// Why a command failed, with everything it printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    /// What the tool printed (stderr then stdout) and pbuild's line saying how it ended.
    pub output: String,
    /// The program could not be started because it does not exist.
    pub missing_program: Option<String>,
}

fn fail(msg: impl Into<String>) -> Result<String, Failed> {
    Err(Failed {
        output: msg.into(),
        missing_program: None,
    })
}

/// Run `prefix` + `argv` in `cwd`. Every word of `argv` that names one of `outputs` (as written,
/// or as a path relative to `cwd`) is replaced by that output's temp name; on success the temp
/// files are renamed into place (the first output must exist). With `jobserver`, the command may
/// use the job slots it holds. Returns what the tool printed.
pub fn run_command(
    cwd: &Path,
    argv: &[String],
    outputs: &[PathBuf],
    prefix: &[String],
    jobserver: Option<&super::jobserver::Jobserver>,
) -> Result<String, Failed> {
    for out in outputs {
        if let Some(dir) = out.parent()
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            return fail(format!("pbuild: cannot create {}: {e}", dir.display()));
        }
    }
    let Some(primary) = outputs.first() else {
        return fail("pbuild: a command step without an output");
    };
    let tmp = temp_path(primary);
    let mut renames: Vec<(String, PathBuf, PathBuf)> = Vec::new();
    for out in outputs {
        let t = temp_path(out);
        let _ = std::fs::remove_file(&t);
        renames.push((out.display().to_string(), t, out.clone()));
    }
    let words: Vec<String> = prefix
        .iter()
        .cloned()
        .chain(argv.iter().map(|w| {
            let named = renames.iter().find(|(word, _, out)| {
                w == word || (!w.starts_with('-') && crate::paths::resolve(cwd, w) == *out)
            });
            match named {
                Some((_, t, _)) => t.display().to_string(),
                None => w.clone(),
            }
        }))
        .collect();
    let Some((program, args)) = words.split_first() else {
        return fail("pbuild: empty command");
    };
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(cwd).stdin(Stdio::null());
    if let Some(js) = jobserver {
        js.hand_to(&mut cmd);
    }
    let out = cmd.output();
    let out = match out {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Failed {
                output: format!("pbuild: cannot run `{program}`: not found on PATH\n"),
                missing_program: Some(program.clone()),
            });
        }
        Err(e) => return fail(format!("pbuild: cannot run `{program}`: {e}")),
    };
    let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    if !out.status.success() {
        for (_, t, _) in &renames {
            let _ = std::fs::remove_file(t);
        }
        text.push_str(&describe_failure(program, &out.status));
        return fail(text);
    }
    if let Err(e) = std::fs::rename(&tmp, primary) {
        let _ = std::fs::remove_file(&tmp);
        return fail(format!(
            "{text}pbuild: `{program}` did not write {}: {e}",
            primary.display()
        ));
    }
    for (_, t, out) in renames.iter().skip(1) {
        if t.exists() {
            let _ = std::fs::rename(t, out);
        }
    }
    Ok(text)
}

fn describe_failure(program: &str, status: &std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let name = match sig {
                4 => " (SIGILL)",
                6 => " (SIGABRT)",
                9 => " (SIGKILL)",
                11 => " (SIGSEGV)",
                15 => " (SIGTERM)",
                _ => "",
            };
            return format!("pbuild: `{program}` was killed by signal {sig}{name}\n");
        }
    }
    match status.code() {
        Some(c) => format!("pbuild: `{program}` exited with status {c}\n"),
        None => format!("pbuild: `{program}` failed\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into(), "sh".into()]
    }

    #[test]
    fn outputs_appear_only_when_the_command_succeeds() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("sub/x.o");
        let mut argv = sh("echo made > \"$1\"; echo said >&2");
        argv.push(out.display().to_string());
        let text = run_command(d.path(), &argv, std::slice::from_ref(&out), &[], None).unwrap();
        assert_eq!(text, "said\n");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "made\n");

        let bad = d.path().join("y.o");
        let mut argv = sh("echo half > \"$1\"; exit 3");
        argv.push("y.o".into());
        let f = run_command(d.path(), &argv, std::slice::from_ref(&bad), &[], None).unwrap_err();
        assert!(f.output.contains("exited with status 3"), "{}", f.output);
        assert!(!bad.exists(), "a failed command leaves no output");
        let left: Vec<String> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["sub"], "no temp file left behind");
    }

    #[test]
    fn a_missing_program_is_named() {
        let d = tempfile::tempdir().unwrap();
        let f = run_command(
            d.path(),
            &["no-such-program-pbuild".into()],
            &[d.path().join("o")],
            &[],
            None,
        )
        .unwrap_err();
        assert_eq!(f.missing_program.as_deref(), Some("no-such-program-pbuild"));
        assert!(f.output.contains("cannot run `no-such-program-pbuild`"));
    }
}
