//! The command line (DESIGN.md section 3): one binary, one subcommand per job. Each handler parses
//! its arguments, makes one call into `app` (or `jobs`, `demo`) and prints; the modules share only
//! what this file holds (the deadline columns) and `crate::output`.

mod demo;
mod draw;
mod ingest;
mod jobs;
mod outbox;
mod report;
mod risk;
mod show;
mod workdays;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::app::{self, Context};
use crate::output::{TableFormat, write_table};

#[derive(Debug, Parser)]
#[command(
    name = "licwatch",
    version,
    about = "工业产品生产许可证后监管 — post-licence supervision under the simplified procedure"
)]
pub struct Cli {
    /// Store URL: sqlite://FILE (created if missing) or postgres://USER@HOST:PORT/DB.
    #[arg(long, global = true, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Configuration file (default: ./licwatch.toml if present).
    #[arg(long, global = true, env = "LICWATCH_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or migrate the database and load the reference data.
    Init(InitArgs),
    /// Fill the store with synthetic data and run the weekly pipeline once.
    Demo(demo::DemoArgs),
    /// Load enterprises, licences, reviews, inspectors, spot checks, conflicts or violations.
    Ingest(ingest::IngestArgs),
    /// A 双随机 draw of enterprises and inspector teams, recorded and reproducible; `draw verify RECORD`
    /// recomputes one.
    Draw(draw::DrawArgs),
    /// Working-day arithmetic on the statutory calendar.
    #[command(subcommand)]
    Workdays(workdays::WorkdaysCommand),
    /// The licence deadline flags.
    Deadlines(DeadlinesArgs),
    /// Everything known about one licence or enterprise, with its flags.
    #[command(subcommand)]
    Show(show::ShowCommand),
    /// The 17-category risk ranking with each factor's contribution; stores it and the enterprise
    /// tiers for the period.
    Risk(risk::RiskArgs),
    /// Render the reports (and with --send, queue and deliver them by email).
    Report(report::ReportArgs),
    /// Pending, held, failed and sent messages; send, retry, release, resend.
    Outbox(outbox::OutboxArgs),
    /// The daemon: runs jobs/*.toml on their cron schedules, each tick once across replicas.
    Scheduler(jobs::SchedulerArgs),
    /// Run one tick of a job by hand, or as a backfill with --at.
    Run(jobs::RunArgs),
    /// Each job, its last runs and its next fire times in its time zone.
    Jobs(jobs::JobsArgs),
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Also load a later product catalogue (CSV: code,name_zh,name_en,in_scope,effective_from,effective_to,note).
    #[arg(long)]
    pub catalogue: Option<PathBuf>,
    /// Also load another province's division table (CSV: code,name,level,parent_code).
    #[arg(long)]
    pub divisions: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct DeadlinesArgs {
    /// The day the deadlines are seen on (default: today in the configured time zone).
    #[arg(long, value_parser = crate::dates::arg)]
    pub as_of: Option<NaiveDate>,
    /// Only this prefecture (Chinese name or division code).
    #[arg(long)]
    pub prefecture: Option<String>,
    /// Every row, including done, exempt and issued.
    #[arg(long)]
    pub all: bool,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let ctx = Context::load(cli.config.as_deref(), cli.database_url.as_deref())?;
    match cli.command {
        Command::Init(args) => init(&ctx, args).await,
        // Long steps show progress when a person reads a table on a terminal.
        Command::Demo(args) => demo::run(&ctx.with_progress(args.format.is_table()), args).await,
        Command::Ingest(args) => {
            ingest::run(&ctx.with_progress(args.format.is_table()), args).await
        }
        Command::Draw(args) => draw::run(&ctx.with_progress(args.format.is_table()), args).await,
        Command::Workdays(cmd) => workdays::run(&ctx, cmd),
        Command::Deadlines(args) => deadlines_command(&ctx, args).await,
        Command::Show(cmd) => show::run(&ctx, cmd).await,
        Command::Risk(args) => risk::run(&ctx, args).await,
        Command::Report(args) => {
            report::run(&ctx.with_progress(args.format.is_table()), args).await
        }
        Command::Outbox(args) => outbox::run(&ctx, args).await,
        Command::Scheduler(args) => jobs::scheduler(&ctx, args).await,
        Command::Run(args) => jobs::run(&ctx, args).await,
        Command::Jobs(args) => jobs::list(&ctx, args).await,
    }
}

async fn init(ctx: &Context, args: InitArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.store().await?;
    app::reference::init(&store, args.catalogue.as_deref(), args.divisions.as_deref()).await?;
    println!("数据库已就绪 database ready ({})", store.engine());
    Ok(ExitCode::SUCCESS)
}

/// Columns a person reads in the terminal; JSON and CSV carry every column.
const DEADLINE_COLUMNS: &[&str] = &[
    "licence_no",
    "enterprise",
    "prefecture",
    "category",
    "rule_label",
    "status_label",
    "due",
    "workdays_left",
    "provisional",
];

async fn deadlines_command(ctx: &Context, args: DeadlinesArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.store().await?;
    let rows = app::deadlines::flags_in(
        ctx,
        &store,
        args.prefecture.as_deref(),
        ctx.as_of(args.as_of),
        args.all,
    )
    .await?;
    write_table(
        &mut std::io::stdout().lock(),
        args.format,
        &rows,
        DEADLINE_COLUMNS,
    )?;
    Ok(ExitCode::SUCCESS)
}
