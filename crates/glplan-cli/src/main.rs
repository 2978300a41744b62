//! The `glplan` binary. Exit status: 0 without error diagnostics, 1 with at least one, 2 when
//! the command line is invalid or a file cannot be read.

use std::process::ExitCode;

use clap::Parser;
use glplan_cli::args::Cli;
use glplan_cli::commands;

// Planning allocates many small strings and lists; mimalloc makes that cheaper than the system
// allocator (see the pipeline benchmark on the benchmarks page).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // clap exits with status 2 on usage errors and 0 for `--help` and `--version`.
    let cli = Cli::parse();
    ExitCode::from(commands::run(cli) as u8)
}
