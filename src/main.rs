use clap::Parser;

fn main() {
    let cli = pbuild::cli::Cli::parse();
    pbuild::term::init(cli.global.color);
    let json = cli.global.message_format == pbuild::cli::MessageFormat::Json;
    if let Err(e) = pbuild::commands::run(cli) {
        pbuild::commands::report_error(&e, json);
        std::process::exit(e.exit_code());
    }
}
