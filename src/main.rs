//! The pbuild executable: everything is in the library (`pbuild::cli`).

fn main() {
    std::process::exit(pbuild::cli::main());
}
