//! `licwatch scheduler`, `licwatch run JOB [--at TIME]` and `licwatch jobs`; the runner itself is
//! `crate::jobs::run`.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::{DateTime, SubsecRound, Utc};

use crate::app::Context;
use crate::jobs::run::{Outcome, load, overview, run_by_hand, scheduler as run_scheduler};
use crate::output::{TableFormat, write_table};

#[derive(Debug, clap::Args)]
pub struct SchedulerArgs {
    /// Run the catch-up of missed ticks, then exit (instead of running on).
    #[arg(long)]
    pub catch_up_only: bool,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The job's name (see `licwatch jobs`).
    pub job: String,
    /// The tick to run, RFC 3339 (default: now); the same (job, time) the scheduler claims.
    #[arg(long)]
    pub at: Option<String>,
    /// Run a tick again that already ran (mails already sent are still not sent twice).
    #[arg(long, requires = "reason")]
    pub again: bool,
    /// Why the tick runs again (audit log).
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct JobsArgs {
    /// How many past runs and next fire times to show per job.
    #[arg(long, default_value_t = 3)]
    pub count: usize,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
}

pub async fn scheduler(ctx: &Context, args: SchedulerArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.store().await?;
    run_scheduler(ctx, &store, args.catch_up_only).await?;
    Ok(ExitCode::SUCCESS)
}

/// Reads `--at` (RFC 3339) as a whole-second UTC tick.
fn parse_at(at: Option<&str>) -> anyhow::Result<DateTime<Utc>> {
    let t = match at {
        None => crate::clock::now(),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .with_context(|| {
                format!("--at '{text}': give an RFC 3339 time, e.g. 2026-11-30T08:00:00+08:00")
            })?
            .with_timezone(&Utc),
    };
    Ok(t.trunc_subsecs(0))
}

pub async fn run(ctx: &Context, args: RunArgs) -> anyhow::Result<ExitCode> {
    let jobs = load(ctx)?;
    let Some(job) = jobs.iter().find(|j| j.name() == args.job) else {
        bail!(
            "no job '{}' in {} (jobs: {})",
            args.job,
            ctx.config.scheduler.jobs_dir.display(),
            jobs.iter().map(|j| j.name()).collect::<Vec<_>>().join(", ")
        );
    };
    let tick = parse_at(args.at.as_deref())?;
    let store = ctx.store().await?;
    let again = args
        .again
        .then(|| args.reason.as_deref().unwrap_or_default());
    let name = job.name();
    match run_by_hand(ctx, &store, job, tick, again).await? {
        None => {
            eprintln!(
                "{name} at {tick}: already claimed or run (see `licwatch jobs`); `--again --reason TEXT` runs it again"
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Outcome::Succeeded) => {
            eprintln!("{name} at {tick}: succeeded");
            Ok(ExitCode::SUCCESS)
        }
        Some(Outcome::Interrupted) => {
            eprintln!("{name} at {tick}: interrupted, claim released");
            Ok(ExitCode::FAILURE)
        }
        Some(Outcome::Failed(e)) => {
            eprintln!("{name} at {tick}: failed: {e}");
            Ok(ExitCode::FAILURE)
        }
        Some(Outcome::Superseded) => {
            eprintln!(
                "{name} at {tick}: superseded — another replica took the tick over while this one was paused or slow; it stopped"
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

pub async fn list(ctx: &Context, args: JobsArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.store().await?;
    let lines = overview(ctx, &store, args.count).await?;
    write_table(
        &mut std::io::stdout().lock(),
        args.format,
        &lines,
        &[
            "job",
            "cron",
            "time_zone",
            "catch_up",
            "calendar",
            "approval",
            "last_runs",
            "next_runs",
        ],
    )?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_takes_rfc3339_and_keeps_whole_seconds() {
        assert_eq!(
            parse_at(Some("2026-11-30T08:00:00.7+08:00")).unwrap(),
            "2026-11-30T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert!(
            parse_at(Some("2026-11-30 08:00"))
                .unwrap_err()
                .to_string()
                .contains("RFC 3339")
        );
    }
}
