//! The 17-category risk ranking and the enterprise tiers the draw reads. `rank` reads and computes;
//! `record_ranking` and `record_tiers` write. Reports only rank: rendering never writes risk tables.

use std::collections::BTreeMap;

use anyhow::Context as _;
use chrono::{Months, NaiveDate};
use rayon::prelude::*;

use super::{Context, Period};
use crate::catalogue::Category;
use crate::risk::{
    self, EnterpriseRecord, EnterpriseTier, Ranked, Windows, assess, enterprise_tiers,
};
use crate::store::{Store, scope_key};

/// How many quarters of trend a row shows.
const TREND_QUARTERS: u32 = 4;

/// One computation as of a day: a ranking per scope (a division code, or None for the region), in
/// the order asked, and — when asked for — the tiers of every enterprise read.
pub struct Ranking {
    pub period: Period,
    pub as_of: NaiveDate,
    pub scopes: Vec<(Option<String>, Vec<Ranked>)>,
    pub tiers: Option<Vec<EnterpriseTier>>,
}

impl Ranking {
    /// The ranking of the first scope asked for.
    pub fn first(&self) -> &[Ranked] {
        self.scopes.first().map_or(&[], |(_, r)| r.as_slice())
    }
}

/// Ranks the categories for each scope from one read of the store (each prefecture's rows are
/// picked out in memory), each compared with the scope's stored history; with `with_tiers`, also
/// the enterprise tiers from everything read. Writes nothing.
pub async fn rank(
    ctx: &Context,
    store: &Store,
    as_of: NaiveDate,
    scopes: &[Option<String>],
    with_tiers: bool,
) -> anyhow::Result<Ranking> {
    let params = &ctx.config.risk;
    let last_overdue = risk::last_overdue_grant(
        &ctx.calendar,
        as_of,
        ctx.config.rules.onsite_review_workdays,
    )?;
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
    let period = Period::week_of(as_of);
    let mut histories = Vec::with_capacity(scopes.len());
    for scope in scopes {
        histories.push(
            store
                .risk_history(scope_key(scope.as_deref()), &period.to_string())
                .await?,
        );
    }
    // Each scope is picked out and aggregated on its own: over the cores, a region and its 14
    // prefectures took 4 s one after the other in a national weekly report. The tiers are computed
    // beside them: for one scope (`licwatch risk`) each side had a core idle while the other ran.
    let tiers = || {
        with_tiers.then(|| {
            let record = EnterpriseRecord {
                failed_checks: &inputs.failed_checks,
                violations: &inputs.violations,
            };
            enterprise_tiers(&inputs.licences, &inputs.reviews, &record, &w, params)
        })
    };
    let ranked = || {
        scopes
            .par_iter()
            .zip(histories)
            .map(|(scope, history)| {
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
                let previous: Vec<_> = match history.first() {
                    Some(latest) => history
                        .iter()
                        .filter(|h| h.period == latest.period)
                        .cloned()
                        .collect(),
                    None => Vec::new(),
                };
                Ok((
                    scope.clone(),
                    risk::history::compare(rows, &previous, &history, as_of, TREND_QUARTERS),
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()
    };
    let (ranked, tiers) = rayon::join(ranked, tiers);
    Ok(Ranking {
        period,
        as_of,
        scopes: ranked?,
        tiers,
    })
}

/// Stores each scope's ranking for the period, replacing an earlier computation of the same period.
pub async fn record_ranking(store: &Store, ranking: &Ranking) -> anyhow::Result<()> {
    let period = ranking.period.to_string();
    for (scope, ranked) in &ranking.scopes {
        let rows: Vec<_> = ranked.iter().map(|r| r.risk.clone()).collect();
        store
            .save_risk(&period, scope_key(scope.as_deref()), ranking.as_of, &rows)
            .await?;
    }
    Ok(())
}

/// Stores the tiers for the period (the draw reads them).
pub async fn record_tiers(store: &Store, ranking: &Ranking) -> anyhow::Result<()> {
    if let Some(tiers) = &ranking.tiers {
        store.set_tiers(&ranking.period.to_string(), tiers).await?;
    }
    Ok(())
}

/// The scopes of the weekly run: the region, then each prefecture.
pub async fn every_scope(store: &Store) -> anyhow::Result<Vec<Option<String>>> {
    let divisions = store.divisions().await?;
    Ok(std::iter::once(None)
        .chain(divisions.prefectures().map(|p| Some(p.code.clone())))
        .collect())
}

/// The scheduled risk step: ranks the region and every prefecture, computes the tiers, stores all.
pub async fn rank_and_record_all(
    ctx: &Context,
    store: &Store,
    as_of: NaiveDate,
) -> anyhow::Result<Ranking> {
    let ranking = rank(ctx, store, as_of, &every_scope(store).await?, true).await?;
    record_ranking(store, &ranking).await?;
    record_tiers(store, &ranking).await?;
    Ok(ranking)
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
