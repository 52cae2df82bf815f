//! The bodies of the fuzz targets in `fuzz/` (cargo fuzz, libFuzzer), kept in the library so that
//! the saved corpus and every crash found replay as ordinary tests (`tests/cli/fuzz_corpus.rs`).
//! Each takes arbitrary bytes and must return without panicking; each also checks what must hold
//! whatever the input.

use std::path::Path;
use std::sync::OnceLock;

use crate::config::Table;

/// The fuzz bodies have no project: they use the platform table built into pbuild.
fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(Table::embedded)
}

/// `inspect`'s view of a file: module header, suffix, CRC/SHA, `.dfu` suffix.
pub fn module_image(data: &[u8]) {
    let report = crate::inspect::inspect_bytes(data, table());
    let _ = crate::inspect::render_text(&report, Path::new("fuzz.bin"));
    let (bin, dfu) = crate::image::dfu::strip_dfu_suffix(data);
    assert!(bin.len() <= data.len());
    if dfu.is_some() {
        assert!(bin.len() + 16 <= data.len());
    }
    let _ = crate::image::suffix::parse_suffix(bin);
    let _ = crate::image::suffix::verify(bin);
    let _ = crate::image::module_info::find_module_info(bin);
    // A suffix pbuild writes must read back.
    let made = crate::image::dfu::add_dfu_suffix(bin, 0x2b04, 0xd006);
    let (again, suffix) = crate::image::dfu::strip_dfu_suffix(&made);
    assert_eq!(again, bin);
    assert!(suffix.is_some());
}

/// dfu-util's output: the device listing, and the verdict on a download or an upload. The first
/// byte picks the exit code; the rest is split into stdout and stderr at the first NUL.
pub fn dfu_util_output(data: &[u8]) {
    let Some((&code, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let (stdout, stderr) = text.split_once('\0').unwrap_or((&text, ""));
    let _ = crate::flash::list::parse_list(stdout, stderr);
    let run = crate::flash::tool::ToolRun {
        code: (code != 255).then_some(i32::from(code)),
        stdout: stdout.to_string(),
        stderr: stderr.to_string(),
    };
    let _ = crate::flash::outcome::download(&run, 0x080A_0000);
    let _ = crate::flash::outcome::upload(&run);
}

/// A gcc depfile: every prerequisite is resolved against the working directory.
pub fn depfile(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Some(deps) = crate::work::depfile::parse(&text, Path::new("/cwd")) {
        assert!(deps.iter().all(|d| d.is_absolute()), "{deps:?}");
    }
}

/// `project.toml` and `toolchains.toml`: an error, never a panic.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::config::ProjectFile::parse(Path::new("/p/project.toml"), &text);
    let _ = crate::config::Table::parse(&text);
}

/// The `.ino` preprocessor: every line of the sketch comes out once, at its own `#line` number.
pub fn ino(data: &[u8]) {
    let out = crate::ino::preprocess(data, "/p/fuzz.ino");
    assert!(out.ends_with(b"\n"));
    let first = b"#line 1 \"/p/fuzz.ino\"\n";
    assert!(out.windows(first.len()).any(|w| w == first));
}

/// A fuzz target's body.
pub type Body = fn(&[u8]);

/// The targets by name, as `fuzz/fuzz_targets/<name>.rs` call them.
pub const TARGETS: &[(&str, Body)] = &[
    ("module_image", module_image),
    ("dfu_util_output", dfu_util_output),
    ("depfile", depfile),
    ("config", config),
    ("ino", ino),
];
