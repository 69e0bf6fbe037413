//! `licwatch ingest FILE...`, `--inbox DIR` and `--source-url URL --query SQL`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;

use crate::app::Context;
use crate::app::ingest::{Input, Reading, load};
use crate::ingest::kinds::Kind;
use crate::ingest::read::Encoding;
use crate::ingest::worst;
use crate::output::{TableFormat, write_table};

#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// CSV (UTF-8 or GB18030/GBK), XLSX/XLS, Parquet or JSON (array or lines) files.
    pub files: Vec<PathBuf>,
    /// The kind of every input (default: told from each header).
    #[arg(long, value_enum)]
    pub kind: Option<Kind>,
    #[arg(long, value_enum, default_value_t = Encoding::Auto)]
    pub encoding: Encoding,
    /// The workbook sheet to read (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Load the new files of this directory, moving each to processed/ or failed/.
    #[arg(long, conflicts_with = "files")]
    pub inbox: Option<PathBuf>,
    /// Read rows from this database (sqlite:// or postgres://) with --query.
    #[arg(long, requires = "query", conflicts_with_all = ["files", "inbox"])]
    pub source_url: Option<String>,
    /// The SQL whose columns are named as the kind's columns.
    #[arg(long, requires = "source_url")]
    pub query: Option<String>,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
}

const COLUMNS: &[&str] = &[
    "file",
    "kind",
    "status",
    "read",
    "inserted",
    "updated",
    "unchanged",
    "rejected",
    "message",
];

pub async fn run(ctx: &Context, args: IngestArgs) -> anyhow::Result<ExitCode> {
    let input = match (&args.inbox, &args.source_url, &args.query) {
        (Some(dir), _, _) => Input::Inbox(dir),
        (None, Some(url), Some(query)) => Input::Sql { url, query },
        _ if !args.files.is_empty() => Input::Files(&args.files),
        _ => bail!("nothing to ingest: give files, --inbox DIR or --source-url URL --query SQL"),
    };
    let store = ctx.store().await?;
    let reading = Reading {
        kind: args.kind,
        encoding: args.encoding,
        sheet: args.sheet.clone(),
    };
    let summaries = load(ctx, &store, input, reading, ctx.today(), "cli").await?;
    for s in &summaries {
        for r in &s.first_rejects {
            let field = if r.field.is_empty() {
                String::new()
            } else {
                format!(" {}", r.field)
            };
            eprintln!("{}: row {}{field}: {}", s.file, r.row, r.reason);
        }
        if s.rejected as usize > s.first_rejects.len() {
            eprintln!(
                "{}: … {} rows rejected in all, listed in {}",
                s.file, s.rejected, s.rejects_file
            );
        }
        if !s.message.is_empty() {
            eprintln!("{}: {}", s.file, s.message);
        }
    }
    write_table(
        &mut std::io::stdout().lock(),
        args.format,
        &summaries,
        COLUMNS,
    )?;
    Ok(ExitCode::from(worst(&summaries).exit_code()))
}
