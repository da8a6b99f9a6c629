//! The `flowdesk` binary: no subcommand opens the desktop app, subcommands are the
//! headless command line. All work happens in the library.

use clap::Parser;

fn main() {
    let cli = flowdesk::cli::Cli::parse();
    std::process::exit(flowdesk::cli::run(cli));
}
