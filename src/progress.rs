//! Progress on a terminal for steps that take tens of seconds (ingest, rendering thousands of mails,
//! a national draw), hidden everywhere else: in jobs, in pipes, with `--format json|csv`. A hidden
//! bar costs nothing, so callers always have one.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Whether to show progress: asked for (a person's command printing a table) and stderr is a
/// terminal.
fn shown(wanted: bool) -> bool {
    wanted && std::io::stderr().is_terminal()
}

/// A bar of `len` steps: `message [=====>   ] 1,234/20,000 (3s)`.
pub fn bar(wanted: bool, len: u64, message: &str) -> ProgressBar {
    if !shown(wanted) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {human_pos}/{human_len} ({elapsed})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(message.to_string());
    bar
}

/// A spinner for work of unknown length, with `template` (e.g. `{spinner} {msg} {human_pos} rows`).
pub fn spinner(wanted: bool, template: &str, message: &str) -> ProgressBar {
    if !shown(wanted) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
    bar.set_message(message.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
