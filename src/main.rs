use clap::Parser;

fn main() {
    let cli = pbuild::cli::Cli::parse();
    if let Err(e) = pbuild::commands::run(cli) {
        eprintln!("error: {e}");
        if let Some(hint) = e.hint() {
            for line in hint.lines() {
                eprintln!("  hint: {line}");
            }
        }
        std::process::exit(e.exit_code());
    }
}
