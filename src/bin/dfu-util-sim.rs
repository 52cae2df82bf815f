//! pbuild's dfu-util stand-in (see `pbuild::sim::dfu_util`): link or copy it as `dfu-util`.

use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let devices = pbuild::sim::dfu_util::devices_from_env();
    let table = pbuild::config::Table::embedded();
    let o = pbuild::sim::dfu_util::run(&args, &devices, &table);
    let _ = std::io::stdout().write_all(o.stdout.as_bytes());
    let _ = std::io::stderr().write_all(o.stderr.as_bytes());
    std::process::exit(o.code);
}
