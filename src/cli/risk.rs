//! `licwatch risk`: the 17-category ranking with each factor's contribution, and the enterprise
//! tiers the draw reads, both stored for the period (the ISO week of `--as-of`).

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{Months, NaiveDate};
use serde_json::json;

use super::demo::period;
use super::{App, prefecture_code};
use crate::catalogue::Category;
use crate::output::{TableFormat, write_table};
use crate::risk::{
    self, EnterpriseRecord, EnterpriseTier, Ranked, Windows, assess, enterprise_tiers,
};
use crate::store::{AuditEntry, Store, scope_key};

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

/// One computation: the ranked categories and the tiers, as stored for `period`.
pub struct RiskRun {
    pub period: String,
    pub as_of: NaiveDate,
    pub ranked: Vec<Ranked>,
    pub tiers: Vec<EnterpriseTier>,
}

/// How many quarters of trend a row shows.
const TREND_QUARTERS: u32 = 4;

/// Computes the ranking and tiers for `prefecture` (a division code, or the whole region) and
/// stores both for the period, replacing an earlier computation of the same period.
pub async fn compute(
    app: &App,
    store: &Store,
    as_of: NaiveDate,
    prefecture: Option<&str>,
) -> anyhow::Result<RiskRun> {
    let (mut ranked, tiers) =
        compute_scopes(app, store, as_of, &[prefecture.map(str::to_string)], true).await?;
    Ok(RiskRun {
        period: period(as_of),
        as_of,
        ranked: ranked.remove(0),
        tiers,
    })
}

/// Rankings for several scopes (division codes; None is the region) from one read of the store:
/// each prefecture's rows are picked out in memory. Each ranking is stored for its scope; the tiers,
/// computed once from everything read, are stored too when `with_tiers` (a report that only shows
/// rankings leaves them to the risk step). Returns the rankings in `scopes` order.
pub async fn compute_scopes(
    app: &App,
    store: &Store,
    as_of: NaiveDate,
    scopes: &[Option<String>],
    with_tiers: bool,
) -> anyhow::Result<(Vec<Vec<Ranked>>, Vec<EnterpriseTier>)> {
    let params = &app.config.risk;
    let calendar = app.config.calendar()?;
    let last_overdue =
        risk::last_overdue_grant(&calendar, as_of, app.config.rules.onsite_review_workdays)?;
    let w = Windows::new(as_of, params.window_months, last_overdue);
    let tier_history_from = w
        .start
        .checked_sub_months(Months::new(3 * params.window_months))
        .unwrap_or(w.start);
    // One prefecture alone is read with the store's filter; anything more, region-wide.
    let read_for = match scopes {
        [Some(only)] => Some(only.as_str()),
        _ => None,
    };
    let inputs = store
        .risk_inputs(read_for, &w, with_tiers.then_some(tier_history_from))
        .await?;
    let catalogue = store.catalogue().await?;
    let categories: Vec<&Category> = catalogue
        .in_scope()
        .filter(|c| c.in_force_on(as_of))
        .collect();
    let period = period(as_of);
    let mut rankings = Vec::with_capacity(scopes.len());
    for scope in scopes {
        let picked;
        let rows_of = match scope.as_deref() {
            Some(p) if read_for.is_none() => {
                picked = inputs.only(p);
                &picked
            }
            _ => &inputs,
        };
        let facts = risk::aggregate::category_facts(
            &categories,
            &rows_of.licences,
            &rows_of.reviews,
            &rows_of.checks,
            &w,
        )
        .context("aggregating the risk factors")?;
        let rows = assess(&facts, params);
        let key = scope_key(scope.as_deref());
        let history = store.risk_history(key, &period).await?;
        let previous: Vec<_> = match history.first() {
            Some(latest) => history
                .iter()
                .filter(|h| h.period == latest.period)
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        store.save_risk(&period, key, as_of, &rows).await?;
        rankings.push(risk::history::compare(
            rows,
            &previous,
            &history,
            as_of,
            TREND_QUARTERS,
        ));
    }

    if !with_tiers {
        return Ok((rankings, Vec::new()));
    }
    let record = EnterpriseRecord {
        failed_checks: &inputs.failed_checks,
        violations: &inputs.violations,
    };
    let tiers = enterprise_tiers(&inputs.licences, &inputs.reviews, &record, &w, params);
    store.set_tiers(&period, &tiers).await?;
    Ok((rankings, tiers))
}

/// Enterprises per tier, `A: n, B: n, …`.
pub fn tier_counts(tiers: &[EnterpriseTier]) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for t in tiers {
        *counts.entry(format!("{:?}", t.tier)).or_default() += 1;
    }
    counts
        .iter()
        .map(|(tier, n)| format!("{tier}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
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

pub async fn run(app: &App, args: RiskArgs) -> anyhow::Result<ExitCode> {
    let store = app.store().await?;
    let prefecture = prefecture_code(&store, args.prefecture.as_deref()).await?;
    let as_of = app.as_of(args.as_of);
    let run = compute(app, &store, as_of, prefecture.as_deref()).await?;
    write_table(
        &mut std::io::stdout().lock(),
        args.format,
        &run.ranked,
        COLUMNS,
    )?;
    eprintln!(
        "{} 企业风险分级 enterprise tiers ({} enterprises): {}",
        run.period,
        run.tiers.len(),
        tier_counts(&run.tiers)
    );
    store
        .audit(&AuditEntry::now(
            "risk",
            json!({"as_of": as_of, "period": run.period, "scope": scope_key(prefecture.as_deref())}),
            format!("ok: {} categories, {} tiers", run.ranked.len(), run.tiers.len()),
        ))
        .await?;
    Ok(ExitCode::SUCCESS)
}
