//! Standard output that never panics: `outln!`/`out!` instead of `println!`/`print!`. A reader
//! that goes away (`pbuild … | head`) stops the output, not the work (a flash half done is worse
//! than lines nobody reads); any other write error (a full disk: `> /dev/full`) is said once on
//! stderr and makes the exit status non-zero.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

const OPEN: u8 = 0;
/// The reader went away (EPIPE): output is dropped quietly.
const CLOSED: u8 = 1;
/// Writing failed otherwise: output is dropped and pbuild fails at the end.
const FAILED: u8 = 2;

static STATE: AtomicU8 = AtomicU8::new(OPEN);

/// Writes `bytes` to stdout and flushes; false once stdout can no longer be written.
pub fn bytes(bytes: &[u8]) -> bool {
    if STATE.load(Ordering::SeqCst) != OPEN {
        return false;
    }
    let mut o = std::io::stdout().lock();
    match o.write_all(bytes).and_then(|_| o.flush()) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STATE.store(CLOSED, Ordering::SeqCst);
            false
        }
        Err(e) => {
            if STATE.swap(FAILED, Ordering::SeqCst) == OPEN {
                eprintln!("error: cannot write to standard output: {e}");
            }
            false
        }
    }
}

/// `format_args!` to stdout, with a newline when `newline`.
pub fn args(args: std::fmt::Arguments<'_>, newline: bool) {
    let mut text = args.to_string();
    if newline {
        text.push('\n');
    }
    bytes(text.as_bytes());
}

/// Whether writing to stdout failed for another reason than a reader that went away: the run
/// then fails (exit 1) even if its work succeeded.
pub fn failed() -> bool {
    STATE.load(Ordering::SeqCst) == FAILED
}
