//! `licwatch report weekly|alerts|risk|assignments|public|reminders|all…`: render each audience's
//! report to `reports/out/<period>/…` and, with `--send`, queue and deliver its mail. Several kinds
//! make one request, as a job's report step does: the flags and the ranking are computed once.

use std::process::ExitCode;

use chrono::NaiveDate;

use crate::app::Context;
use crate::app::reports::{Hold, ReportChoice, Request, Shared, produce};
use crate::output::{TableFormat, write_table};

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// One kind or several (`report alerts reminders`, as the daily job makes them).
    #[arg(value_enum, required = true, num_args = 1..)]
    pub kinds: Vec<ReportChoice>,
    /// The day the reports are made as of (default: today in the configured time zone).
    #[arg(long, value_parser = crate::dates::arg)]
    pub as_of: Option<NaiveDate>,
    /// Queue the messages in the outbox and deliver them.
    #[arg(long)]
    pub send: bool,
    /// Queue the messages as `held` until `licwatch outbox release` (leadership signs off).
    #[arg(long, requires = "send")]
    pub hold: bool,
    /// The draw campaign for assignments and notices (default: the latest draw).
    #[arg(long)]
    pub campaign: Option<String>,
    /// Only this jurisdiction's weekly report (Chinese name or division code).
    #[arg(long)]
    pub prefecture: Option<String>,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
}

const COLUMNS: &[&str] = &["kind", "scope", "title", "recipients", "queued", "file"];

pub async fn run(ctx: &Context, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.store().await?;
    let req = Request {
        kinds: args.kinds,
        as_of: ctx.as_of(args.as_of),
        send: args.send,
        hold: if args.hold {
            Hold::Everything
        } else {
            Hold::Nothing
        },
        campaign: args.campaign,
        prefecture: args.prefecture,
        actor: "report".into(),
    };
    let produced = produce(ctx, &store, &req, &mut Shared::for_steps(req.kinds.iter())).await?;
    write_table(
        &mut std::io::stdout().lock(),
        args.format,
        &produced,
        COLUMNS,
    )?;
    Ok(ExitCode::SUCCESS)
}
