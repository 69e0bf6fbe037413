//! `licwatch demo`: synthetic data, then the shipped jobs once (see `crate::demo`); prints the
//! flags needing attention, counted by rule and status.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use serde::Serialize;

use crate::app::Context;
use crate::deadlines::{Rule, Status};
use crate::demo::{self, Demo};
use crate::output::{TableFormat, write_table};
use crate::synthetic::Scale;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    #[arg(long, value_enum, default_value_t = Scale::Small)]
    pub scale: Scale,
    /// Seed of the synthetic data; the same seed gives the same data.
    #[arg(long, default_value_t = 20180710)]
    pub seed: u64,
    /// The day the demo runs as of (default: today in the configured time zone).
    #[arg(long, value_parser = crate::dates::arg)]
    pub as_of: Option<NaiveDate>,
    /// Write the synthetic data to this directory as one CSV per kind (for `ingest` and the
    /// benchmarks) instead of loading it.
    #[arg(long)]
    pub export: Option<PathBuf>,
    /// With --export: also write the following N days of new rows to DIR/delta/ (the
    /// benchmark's weekly batch input).
    #[arg(long, requires = "export")]
    pub delta_days: Option<u64>,
    /// How the summary of flags is printed.
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
}

#[derive(Serialize)]
struct Count {
    rule: Rule,
    status: Status,
    rule_label: &'static str,
    status_label: &'static str,
    count: usize,
}

pub async fn run(ctx: &Context, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let demo = Demo {
        scale: args.scale,
        seed: args.seed,
        as_of: ctx.as_of(args.as_of),
    };
    if let Some(dir) = &args.export {
        demo::export(ctx, &demo, dir, args.delta_days)?;
        return Ok(ExitCode::SUCCESS);
    }
    let store = ctx.store().await?;
    let ran = demo::run(ctx, &store, &demo).await?;

    // Ordered by the codes, as machine outputs list them.
    let mut by_status: BTreeMap<(&str, &str), Count> = BTreeMap::new();
    for r in &ran.flags {
        by_status
            .entry((r.rule.code(), r.status.code()))
            .or_insert(Count {
                rule: r.rule,
                status: r.status,
                rule_label: r.rule_label,
                status_label: r.status_label,
                count: 0,
            })
            .count += 1;
    }
    let summary: Vec<Count> = by_status.into_values().collect();
    eprintln!(
        "截至 {} 需关注的期限 deadlines needing attention:",
        demo.as_of
    );
    write_table(
        &mut std::io::stdout().lock(),
        args.format,
        &summary,
        &["rule_label", "status_label", "count"],
    )?;
    eprintln!(
        "报告 reports in {}; 邮件 mails in {} (assignment mails held: `licwatch outbox release --kind assignment --by 姓名`)",
        ran.out_dir.display(),
        ran.mail_dir.display()
    );
    eprintln!(
        "从这里开始 start here: {}",
        ran.out_dir.join("index.html").display()
    );
    Ok(ExitCode::SUCCESS)
}
