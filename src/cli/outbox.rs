//! `licwatch outbox`: what is pending, held, failed and sent; and the operator's levers — send now,
//! retry the failed, release the held (leadership's sign-off), resend a sent key with a reason.
//! Release and resend are audit-logged.

use std::process::ExitCode;

use anyhow::bail;
use clap::Subcommand;

use crate::app::{Context, delivery};
use crate::mail::deliver::Patience;
use crate::model::OutboxStatus;
use crate::output::{TableFormat, write_table};
use crate::store::Store;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct OutboxArgs {
    #[command(subcommand)]
    pub command: Option<OutboxCommand>,
    /// Only messages in this status: pending, held, sending, sent, failed, superseded.
    #[arg(long, value_parser = status)]
    pub status: Option<OutboxStatus>,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Deliver what is pending now, waiting out retries while the server is down (every other
    /// command makes one pass and leaves the rest pending).
    Send,
    /// Put failed messages back to pending and deliver them (all failed ones unless ids are given).
    Retry { ids: Vec<i64> },
    /// Release held messages (all held ones, or narrowed by id, kind, period) and deliver them.
    Release {
        ids: Vec<i64>,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        period: Option<String>,
        /// Release every held message (needed when no id, kind or period narrows it).
        #[arg(long, conflicts_with_all = ["ids", "kind", "period"])]
        all: bool,
        /// Who signs off, for the audit log.
        #[arg(long, default_value = "")]
        by: String,
    },
    /// Send a message that was sent already, again; only with a reason.
    Resend {
        id: i64,
        #[arg(long, required = true)]
        reason: String,
    },
}

fn status(text: &str) -> Result<OutboxStatus, String> {
    OutboxStatus::parse(text)
        .ok_or_else(|| format!("'{text}': one of pending, held, sending, sent, failed, superseded"))
}

const COLUMNS: &[&str] = &[
    "id",
    "kind",
    "period",
    "scope",
    "recipient",
    "status",
    "attempts",
    "subject",
    "next_attempt_at",
    "last_error",
];

async fn send_now(
    ctx: &Context,
    store: &Store,
    actor: &str,
    patience: Patience,
) -> anyhow::Result<()> {
    let (transport, done) = delivery::deliver(ctx, store, actor, patience).await?;
    eprintln!("{}", delivery::summary(&transport, &done));
    Ok(())
}

pub async fn run(ctx: &Context, args: OutboxArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.store().await?;
    match args.command {
        None => {
            let rows = store.outbox(args.status).await?;
            write_table(&mut std::io::stdout().lock(), args.format, &rows, COLUMNS)?;
        }
        Some(OutboxCommand::Send) => send_now(ctx, &store, "outbox", Patience::UntilDone).await?,
        Some(OutboxCommand::Retry { ids }) => {
            let rows = delivery::retry(&store, &ids).await?;
            eprintln!("{} failed message(s) back to pending", rows.len());
            send_now(ctx, &store, "outbox:retry", Patience::OnePass).await?;
        }
        Some(OutboxCommand::Release {
            ids,
            kind,
            period,
            all,
            by,
        }) => {
            if ids.is_empty() && kind.is_none() && period.is_none() && !all {
                bail!(
                    "outbox release: name the messages (ids, --kind, --period) or say --all — a release is a sign-off"
                );
            }
            let rows =
                delivery::release(&store, &ids, kind.as_deref(), period.as_deref(), &by).await?;
            eprintln!("released {} held message(s)", rows.len());
            send_now(ctx, &store, "outbox:release", Patience::OnePass).await?;
        }
        Some(OutboxCommand::Resend { id, reason }) => {
            delivery::resend(&store, id, &reason).await?;
            send_now(ctx, &store, "outbox:resend", Patience::OnePass).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
