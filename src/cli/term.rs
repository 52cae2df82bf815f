//! Colour for people, plain text for everything else: ANSI styles only when the stream is a
//! terminal (and `TERM` is not `dumb`), never with `NO_COLOR` set to anything non-empty;
//! `--color always|never` overrides both (no-color.org: a command-line flag beats the variable).
//! Knows nothing about what the text means.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR is set or TERM=dumb.
    #[default]
    Auto,
    /// Always colour (even piped; overrides NO_COLOR).
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `error:`, `FAILED:`, a failed check: bold red.
    Error,
    /// `warning:`: bold yellow.
    Warning,
    /// A passed check: green.
    Good,
    /// `hint:`: bold cyan.
    Hint,
    Bold,
    Dim,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Error => "1;31",
            Style::Warning => "1;33",
            Style::Good => "32",
            Style::Hint => "1;36",
            Style::Bold => "1",
            Style::Dim => "2",
        }
    }
}

const UNSET: u8 = 0;
static CHOICE: AtomicU8 = AtomicU8::new(UNSET);

/// Set the `--color` choice for this process (the first call wins).
pub fn init(choice: ColorChoice) {
    let v = match choice {
        ColorChoice::Auto => 1,
        ColorChoice::Always => 2,
        ColorChoice::Never => 3,
    };
    let _ = CHOICE.compare_exchange(UNSET, v, Ordering::Relaxed, Ordering::Relaxed);
}

fn choice() -> ColorChoice {
    match CHOICE.load(Ordering::Relaxed) {
        2 => ColorChoice::Always,
        3 => ColorChoice::Never,
        _ => ColorChoice::Auto,
    }
}

/// Whether to colour what goes to `stream`, given the choice and the environment.
pub fn decide(
    choice: ColorChoice,
    is_terminal: bool,
    no_color: Option<&str>,
    term: Option<&str>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            is_terminal && no_color.is_none_or(str::is_empty) && term != Some("dumb")
        }
    }
}

pub fn enabled(stream: Stream) -> bool {
    let tty = match stream {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
    };
    decide(
        choice(),
        tty,
        std::env::var("NO_COLOR").ok().as_deref(),
        std::env::var("TERM").ok().as_deref(),
    )
}

/// `text` in `style` when `stream` gets colour, else `text` unchanged.
pub fn paint(stream: Stream, style: Style, text: &str) -> String {
    if enabled(stream) {
        format!("\x1b[{}m{text}\x1b[0m", style.code())
    } else {
        text.to_string()
    }
}

/// `warning: TEXT` for stderr.
pub fn warning(text: &str) -> String {
    format!(
        "{} {text}",
        paint(Stream::Stderr, Style::Warning, "warning:")
    )
}

/// An error and its hint lines, as printed on stderr.
pub fn error_lines(message: &str, hint: Option<&str>) -> String {
    let mut out = format!(
        "{} {message}\n",
        paint(Stream::Stderr, Style::Error, "error:")
    );
    for line in hint.into_iter().flat_map(str::lines) {
        out.push_str(&format!(
            "  {} {line}\n",
            paint(Stream::Stderr, Style::Hint, "hint:")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colours_only_a_terminal_without_no_color() {
        assert!(decide(ColorChoice::Auto, true, None, Some("xterm")));
        assert!(!decide(ColorChoice::Auto, false, None, Some("xterm")));
        assert!(!decide(ColorChoice::Auto, true, Some("1"), Some("xterm")));
        // NO_COLOR set but empty does not count (no-color.org).
        assert!(decide(ColorChoice::Auto, true, Some(""), None));
        assert!(!decide(ColorChoice::Auto, true, None, Some("dumb")));
    }

    #[test]
    fn the_flag_beats_the_environment() {
        assert!(decide(ColorChoice::Always, false, Some("1"), Some("dumb")));
        assert!(!decide(ColorChoice::Never, true, None, Some("xterm")));
    }
}
