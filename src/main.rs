//! The `licwatch` binary: parse the command line, run, and turn the outcome into an exit code
//! (0 success, 1 failure, 2 usage error, 3 finished with rejected input — DESIGN.md section 3).

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use licwatch::cli::{Cli, run};
use tracing_subscriber::EnvFilter;

// A batch of millions of short-lived rows, allocated on one thread and freed on another while the
// store copies them: glibc's allocator spent a third of an ingest in malloc and free, and in its
// arena locks; and its heap, fragmented by 20,000 mails' buffers, grew to 5 GiB unless trimmed.
// Built without transparent huge pages (`no_thp`): every fresh 2 MiB page was zeroed whole on its
// first touch, 11% of a national weekly report's CPU (national `deadlines` 2.3 -> 2.0 s of CPU).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Statements of a second or more are normal in a batch system: sqlx's slow-statement warnings
    // are left out unless asked for. Colours only on a terminal, so logs in files stay plain.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_env("LICWATCH_LOG")
                .unwrap_or_else(|_| EnvFilter::new("warn,sqlx::query=error")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("licwatch: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        // A reader that stops early (`| head`) is not a failure.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("licwatch: error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<csv::Error>()
                .is_some_and(|c| matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe))
    })
}

/// The error and its causes on one line, skipping a cause whose text its parent already shows
/// (sqlx and io errors repeat their source in their own message).
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !parts.last().is_some_and(|prev| prev.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}
