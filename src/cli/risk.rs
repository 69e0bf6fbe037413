//! `licwatch risk`: the 17-category ranking with each factor's contribution; the ranking and the
//! enterprise tiers the draw reads are stored for the period (the ISO week of `--as-of`).

use std::process::ExitCode;

use chrono::NaiveDate;
use serde_json::json;

use crate::app::risk::{rank, record_ranking, record_tiers, tier_counts};
use crate::app::{Context, prefecture_code};
use crate::output::{TableFormat, write_table};
use crate::store::{AuditEntry, scope_key};

#[derive(Debug, clap::Args)]
pub struct RiskArgs {
    /// The day the ranking is computed as of (default: today in the configured time zone).
    #[arg(long, value_parser = crate::dates::arg)]
    pub as_of: Option<NaiveDate>,
    /// Only this prefecture's enterprises (Chinese name or division code).
    #[arg(long)]
    pub prefecture: Option<String>,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
}

const COLUMNS: &[&str] = &[
    "rank",
    "category_name",
    "level_label",
    "score",
    "scale_contribution",
    "technical_contribution",
    "checks_contribution",
    "severity",
    "smoothed_failure_rate",
    "insufficient_data",
    "rank_change",
    "trend",
];

pub async fn run(ctx: &Context, args: RiskArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.store().await?;
    let prefecture = prefecture_code(&store, args.prefecture.as_deref()).await?;
    let as_of = ctx.as_of(args.as_of);
    let ranking = rank(ctx, &store, as_of, std::slice::from_ref(&prefecture), true).await?;
    record_ranking(&store, &ranking).await?;
    record_tiers(&store, &ranking).await?;
    write_table(
        &mut std::io::stdout().lock(),
        args.format,
        ranking.first(),
        COLUMNS,
    )?;
    let tiers = ranking.tiers.as_deref().unwrap_or_default();
    eprintln!(
        "{} 企业风险分级 enterprise tiers ({} enterprises): {}",
        ranking.period,
        tiers.len(),
        tier_counts(tiers)
    );
    store
        .audit(&AuditEntry::now(
            "risk",
            json!({"as_of": as_of, "period": ranking.period, "scope": scope_key(prefecture.as_deref())}),
            format!("ok: {} categories, {} tiers", ranking.first().len(), tiers.len()),
        ))
        .await?;
    Ok(ExitCode::SUCCESS)
}
