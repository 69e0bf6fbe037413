//! The `licwatch` binary: parse the command line, run, and turn the outcome into an exit code
//! (0 success, 1 failure, 2 usage error, 3 finished with rejected input — DESIGN.md section 3).

use std::process::ExitCode;

use clap::Parser;
use licwatch::cli::{Cli, run};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(EnvFilter::try_from_env("LICWATCH_LOG").unwrap_or_else(|_| EnvFilter::new("warn")))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("licwatch: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("licwatch: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
