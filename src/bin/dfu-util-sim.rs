//! pbuild's dfu-util stand-in (see `pbuild::sim::dfu_util`): link or copy it as `dfu-util`.

fn main() {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    std::process::exit(pbuild::sim::dfu_util::main(&args));
}
