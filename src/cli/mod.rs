//! The command line (DESIGN.md section 3): one binary, one subcommand per job; each handler is a thin
//! layer that reads the store, calls the pure rules and prints.

mod demo;
mod draw;
mod ingest;
mod jobs;
mod outbox;
pub mod report;
pub mod risk;
mod show;
mod workdays;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand};

use serde_json::json;
use sha2::Digest;

use crate::catalogue::Catalogue;
use crate::config::{Config, DEFAULT_DATABASE_URL};
use crate::deadlines::{self, Context};
use crate::divisions::Divisions;
use crate::output::{TableFormat, write_table};
use crate::store::{AuditEntry, Scope, Store};

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

/// What every command may need: the configuration, and the store once opened.
pub struct App {
    pub config: Config,
    database_url: String,
}

impl App {
    pub fn new(cli: &Cli) -> anyhow::Result<Self> {
        let config = Config::load(cli.config.as_deref())?;
        let database_url = cli
            .database_url
            .clone()
            .unwrap_or_else(|| config.database_url.clone());
        Ok(App {
            config,
            database_url: if database_url.is_empty() {
                DEFAULT_DATABASE_URL.into()
            } else {
                database_url
            },
        })
    }

    /// The same app with another configuration (the demo fills in example recipients).
    pub fn with_config(&self, config: Config) -> App {
        App {
            config,
            database_url: self.database_url.clone(),
        }
    }

    pub async fn store(&self) -> anyhow::Result<Store> {
        let store = Store::open(&self.database_url).await?;
        Ok(store)
    }

    /// Today in the configured time zone (Beijing time by default).
    pub fn today(&self) -> NaiveDate {
        let zone = self
            .config
            .zone()
            .expect("validated when the config was loaded");
        Utc::now().with_timezone(&zone).date_naive()
    }

    pub fn as_of(&self, given: Option<NaiveDate>) -> NaiveDate {
        given.unwrap_or_else(|| self.today())
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let app = App::new(&cli)?;
    match cli.command {
        Command::Init(args) => init(&app, args).await,
        Command::Demo(args) => demo::run(&app, args).await,
        Command::Ingest(args) => ingest::run(&app, args).await,
        Command::Draw(args) => draw::run(&app, args).await,
        Command::Workdays(cmd) => workdays::run(&app, cmd),
        Command::Deadlines(args) => deadlines_command(&app, args).await,
        Command::Show(cmd) => show::run(&app, cmd).await,
        Command::Risk(args) => risk::run(&app, args).await,
        Command::Report(args) => report::run(&app, args).await,
        Command::Outbox(args) => outbox::run(&app, args).await,
        Command::Scheduler(args) => jobs::scheduler(&app, args).await,
        Command::Run(args) => jobs::run(&app, args).await,
        Command::Jobs(args) => jobs::list(&app, args).await,
    }
}

/// Reads a reference file whole, for parsing and for its digest in the audit log.
fn read_reference(path: &std::path::Path) -> anyhow::Result<(String, String)> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let digest = format!("{:x}", sha2::Sha256::digest(&bytes));
    let text = String::from_utf8(bytes)
        .with_context(|| format!("{}: reference files are UTF-8", path.display()))?;
    Ok((text, digest))
}

async fn init(app: &App, args: InitArgs) -> anyhow::Result<ExitCode> {
    // Parse everything before touching the store, so a bad file applies nothing.
    let mut inputs = serde_json::Map::new();
    let catalogue = match &args.catalogue {
        Some(path) => {
            let (text, digest) = read_reference(path)?;
            inputs.insert("catalogue".into(), json!({"file": path, "sha256": digest}));
            Some(Catalogue::parse_csv(&text).with_context(|| path.display().to_string())?)
        }
        None => None,
    };
    let divisions = match &args.divisions {
        Some(path) => {
            let (text, digest) = read_reference(path)?;
            inputs.insert("divisions".into(), json!({"file": path, "sha256": digest}));
            Some(Divisions::parse_csv(&text).with_context(|| path.display().to_string())?)
        }
        None => None,
    };
    let store = app.store().await?;
    store.seed_reference().await?;
    if let Some(divisions) = divisions {
        store.upsert(divisions.all()).await?;
    }
    if let Some(catalogue) = catalogue {
        store.upsert(catalogue.all()).await?;
    }
    store
        .audit(&AuditEntry::now(
            "init",
            serde_json::Value::Object(inputs),
            "ok",
        ))
        .await?;
    println!("数据库已就绪 database ready ({})", store.engine());
    Ok(ExitCode::SUCCESS)
}

/// Resolves a prefecture given by name or code to its division code.
async fn prefecture_code(store: &Store, given: Option<&str>) -> anyhow::Result<Option<String>> {
    let Some(given) = given else {
        return Ok(None);
    };
    let divisions = store.divisions().await?;
    Ok(Some(divisions.prefecture(given)?.code.clone()))
}

/// The deadline rows of `subjects` on `as_of`, on the configured calendar and figures.
pub fn deadline_rows(
    app: &App,
    subjects: &[deadlines::Subject],
    as_of: NaiveDate,
    all: bool,
) -> anyhow::Result<Vec<deadlines::DeadlineRow>> {
    let calendar = app.config.calendar()?;
    let ctx = Context {
        calendar: &calendar,
        params: &app.config.rules,
        as_of,
    };
    deadlines::rows(&ctx, subjects, all).with_context(|| format!("deadlines as of {as_of}"))
}

/// Columns a person reads in the terminal; JSON and CSV carry every column.
pub const DEADLINE_COLUMNS: &[&str] = &[
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

async fn deadlines_command(app: &App, args: DeadlinesArgs) -> anyhow::Result<ExitCode> {
    let store = app.store().await?;
    let scope = Scope {
        prefecture: prefecture_code(&store, args.prefecture.as_deref()).await?,
        credit_code: None,
        active_only: true,
    };
    let subjects = store.subjects(&scope).await?;
    let rows = deadline_rows(app, &subjects, app.as_of(args.as_of), args.all)?;
    write_table(
        &mut std::io::stdout().lock(),
        args.format,
        &rows,
        DEADLINE_COLUMNS,
    )?;
    Ok(ExitCode::SUCCESS)
}
