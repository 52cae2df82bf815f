//! A GNU make jobserver for one step: job slots the scheduler lends it while they would idle.
//!
//! gcc's LTO link runs its LTRANS jobs one after another ("lto-wrapper: warning: using serial
//! compilation of 5 LTRANS jobs") unless `-flto=N` says otherwise or a make jobserver is there:
//! then it runs them through `make`, which takes a token from the jobserver for every job beyond
//! its first (GNU make manual, "Sharing Job Slots with GNU make": `MAKEFLAGS` carries
//! `--jobserver-auth=R,W`, two inherited file descriptors of a pipe holding one byte per free
//! slot; gcc 12 `lto-wrapper.cc`, `jobserver_active_p`, accepts exactly that form). The LTRANS
//! partitions do not depend on how many run at once, so the output is the same: on Device OS
//! 2.3.1, electron system-part3's link took 8.1 s serial and 5.2 s with one lent slot, and both
//! `.elf` files were the same bytes.
//!
//! The pipe is the step's own, filled with the slots lent to it (when it starts, and more when the
//! other steps end while it runs alone), and closed when it ends, so a token a crashed child never
//! returned is not lost for the rest of the build.

use std::io::{PipeReader, PipeWriter, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Jobserver {
    read: PipeReader,
    write: PipeWriter,
    /// The most slots that may ever be in use at once (`-j`), for `MAKEFLAGS`.
    jobs: usize,
    /// Tokens put into the pipe so far.
    lent: AtomicUsize,
}

impl Jobserver {
    /// A jobserver holding `tokens` free slots (beyond the one the step runs in), in a build of
    /// `jobs` slots.
    pub fn new(tokens: usize, jobs: usize) -> std::io::Result<Jobserver> {
        let (read, write) = std::io::pipe()?;
        let js = Jobserver {
            read,
            write,
            jobs,
            lent: AtomicUsize::new(0),
        };
        js.lend(tokens)?;
        Ok(js)
    }

    /// Put `tokens` more free slots into the pipe (they stay the step's until it ends).
    pub fn lend(&self, tokens: usize) -> std::io::Result<()> {
        (&self.write).write_all(&vec![b'+'; tokens])?;
        self.lent.fetch_add(tokens, Ordering::SeqCst);
        Ok(())
    }

    /// How many slots were lent so far.
    pub fn lent(&self) -> usize {
        self.lent.load(Ordering::SeqCst)
    }

    /// Let `cmd`'s process (and its children) use the jobserver: `MAKEFLAGS` names the pipe,
    /// whose two ends it inherits.
    pub fn hand_to(&self, cmd: &mut Command) {
        let (r, w) = (self.read.as_raw_fd(), self.write.as_raw_fd());
        cmd.env(
            "MAKEFLAGS",
            format!(" -j{} --jobserver-auth={r},{w}", self.jobs),
        );
        // SAFETY: between fork and exec only fcntl runs, which is async-signal-safe; it clears
        // close-on-exec on the two descriptors this process owns for the child's lifetime.
        unsafe {
            cmd.pre_exec(move || {
                for fd in [r, w] {
                    if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_finds_the_pipe_in_makeflags_and_reads_the_lent_tokens() {
        let js = Jobserver::new(2, 4).unwrap();
        js.lend(1).unwrap();
        assert_eq!(js.lent(), 3);
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            r#"r=${MAKEFLAGS#*--jobserver-auth=}; r=${r%%,*}; echo "$MAKEFLAGS"; dd bs=1 count=3 <&$r 2>/dev/null"#,
        ]);
        js.hand_to(&mut cmd);
        let out = cmd.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        let (flags, tokens) = text.split_once('\n').unwrap();
        assert!(flags.starts_with(" -j4 --jobserver-auth="), "{flags}");
        assert_eq!(tokens, "+++");
    }

    #[test]
    fn without_a_jobserver_the_child_sees_no_pipe() {
        let js = Jobserver::new(1, 2).unwrap();
        let fd = js.read.as_raw_fd();
        let out = Command::new("sh")
            .args(["-c", &format!("dd bs=1 count=1 <&{fd}")])
            .output()
            .unwrap();
        assert!(!out.status.success(), "the pipe leaked into a child");
    }
}
