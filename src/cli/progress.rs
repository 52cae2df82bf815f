//! Showing a build to a person: a live `[n/N] CC file` status line on a terminal, plain lines otherwise,
//! tool output (warnings, errors) as the tool printed it, and `--explain` reasons.

use std::io::{IsTerminal, Write};

use crate::work::graph::Step;
use crate::work::{Reason, Reporter, StepResult};

pub struct Progress {
    tty: bool,
    quiet: bool,
    explain: bool,
    verbose: bool,
    status_shown: bool,
    pub started: usize,
    pub to_run: usize,
}

impl Progress {
    pub fn new(quiet: bool, verbose: bool, explain: bool) -> Progress {
        Progress {
            tty: std::io::stderr().is_terminal(),
            quiet,
            explain,
            verbose,
            status_shown: false,
            started: 0,
            to_run: 0,
        }
    }

    fn clear_status(&mut self, err: &mut impl Write) {
        if self.status_shown {
            let _ = write!(err, "\r\x1b[K");
            self.status_shown = false;
        }
    }

    /// Print a line above the status line.
    pub fn line(&mut self, text: &str) {
        let mut err = std::io::stderr().lock();
        self.clear_status(&mut err);
        let _ = writeln!(err, "{text}");
    }

    pub fn done(&mut self) {
        let mut err = std::io::stderr().lock();
        self.clear_status(&mut err);
    }
}

impl Reporter for Progress {
    fn planned(&mut self, to_run: usize, _total: usize) {
        self.to_run = to_run;
    }

    fn started(&mut self, step: &Step, reason: &Reason, started: usize, to_run: usize) {
        self.started = started;
        let mut err = std::io::stderr().lock();
        if self.explain {
            self.clear_status(&mut err);
            let _ = writeln!(err, "explain: {}: {reason}", step.label);
        }
        if self.verbose && !step.argv.is_empty() {
            self.clear_status(&mut err);
            let _ = writeln!(
                err,
                "  (cd {} && {})",
                step.cwd.display(),
                crate::plan::shell::join(&step.argv)
            );
        }
        if self.quiet {
            return;
        }
        let text = format!("[{started}/{to_run}] {}", step.label);
        if self.tty {
            let width = terminal_width();
            let shown: String = text.chars().take(width.saturating_sub(1)).collect();
            let _ = write!(err, "\r\x1b[K{shown}");
            let _ = err.flush();
            self.status_shown = true;
        } else {
            let _ = writeln!(err, "{text}");
        }
    }

    fn finished(&mut self, step: &Step, result: &StepResult) {
        if let (true, Some(from)) = (self.explain, &result.shared_from) {
            let mut err = std::io::stderr().lock();
            self.clear_status(&mut err);
            let _ = writeln!(
                err,
                "  {}: a copy of {from}, its equivalent variant (the same preprocessed code)",
                step.label
            );
        }
        if result.ok && result.output.trim().is_empty() {
            return;
        }
        let mut err = std::io::stderr().lock();
        self.clear_status(&mut err);
        if !result.ok {
            let _ = writeln!(
                err,
                "{} {}",
                crate::cli::term::paint(
                    crate::cli::term::Stream::Stderr,
                    crate::cli::term::Style::Error,
                    "FAILED:"
                ),
                step.label
            );
            // The tool's message is what helps; the command (often 14 lines of flags) only with
            // --explain (-v printed it already when the step started).
            if self.explain && !self.verbose && !step.argv.is_empty() {
                let _ = writeln!(
                    err,
                    "  (cd {} && {})",
                    step.cwd.display(),
                    crate::plan::shell::join(&step.argv)
                );
            }
        }
        let _ = write!(err, "{}", result.output);
        if !result.output.ends_with('\n') {
            let _ = writeln!(err);
        }
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}
