//! The 双随机 draw: enterprises drawn at random from the enterprise directory, stratified by
//! category, risk tier and procedure, and inspector teams drawn at random from the inspector
//! directory under every staffing rule. The draw is a pure function of (plan, seed, snapshots):
//! snapshots are put in canonical order first, so store order, platform and thread count cannot
//! change the result, and a record verifies from its own contents.

pub mod assign;
pub mod canonical;
pub mod plan;
pub mod pseudonym;
pub mod record;
pub mod rng;
mod seats;

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use plan::{Plan, Tier};
use rng::{Algorithm, DrawRng};

/// One enterprise in one category of the directory: what is drawn.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Unit {
    pub category: String,
    pub credit_code: String,
    pub enterprise: String,
    pub prefecture: String,
    pub county: String,
    pub tier: Tier,
    /// Holds a licence of this category granted by the simplified procedure.
    pub simplified: bool,
    /// The last spot check of this enterprise in this category, if any.
    pub last_checked: Option<NaiveDate>,
}

/// One active inspector of the directory, with what 回避 needs to know.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct InspectorEntry {
    pub inspector_id: String,
    pub name: String,
    pub prefecture: String,
    pub county: String,
    /// Category codes, sorted.
    pub qualifications: Vec<String>,
    /// Credit codes of enterprises the inspector declared a conflict with, sorted.
    pub conflicts: Vec<String>,
    /// Earlier assignments: (credit code, as-of date of that draw), sorted.
    pub recent: Vec<(String, NaiveDate)>,
}

/// The two directories as the draw saw them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub units: Vec<Unit>,
    pub inspectors: Vec<InspectorEntry>,
}

impl Snapshot {
    /// Puts everything in canonical order.
    pub fn canonical(self) -> Self {
        let mut snapshot = self.canonical_within();
        snapshot.inspectors.sort();
        snapshot
    }

    /// Puts the units and each inspector's lists in canonical order, the inspectors' own order
    /// kept (a public record's, fixed by its freeze).
    pub fn canonical_within(mut self) -> Self {
        for i in &mut self.inspectors {
            i.qualifications.sort();
            i.qualifications.dedup();
            i.conflicts.sort();
            i.conflicts.dedup();
            i.recent.sort();
        }
        self.units.sort();
        self
    }
}

/// How many of a stratum were eligible and drawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stratum {
    pub category: String,
    pub tier: Tier,
    pub simplified: bool,
    pub percent: u32,
    pub eligible: u32,
    pub drawn: u32,
}

/// A drawn check and its team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub category: String,
    pub credit_code: String,
    pub enterprise: String,
    pub prefecture: String,
    pub county: String,
    pub tier: Tier,
    /// Inspector ids, lead first.
    pub team: Vec<String>,
    pub lead: String,
}

/// A drawn check no team could be found for, and the rule that blocks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unstaffed {
    pub category: String,
    pub credit_code: String,
    pub enterprise: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawResult {
    pub strata: Vec<Stratum>,
    pub assignments: Vec<Assignment>,
    pub unstaffed: Vec<Unstaffed>,
}

/// Whether a unit is left out for a recent check (tier D never is).
fn recently_checked(plan: &Plan, as_of: NaiveDate, unit: &Unit) -> bool {
    let window = plan.sampling.exclude_checked_within_days;
    unit.tier != Tier::D
        && window > 0
        && unit
            .last_checked
            .is_some_and(|d| d <= as_of && d > as_of - Days::new(u64::from(window)))
}

/// Draws checks and staffs them with the arithmetic of `algorithm`. `snapshot` must be canonical.
pub fn draw(
    algorithm: Algorithm,
    plan: &Plan,
    as_of: NaiveDate,
    seed: &str,
    snapshot: &Snapshot,
) -> DrawResult {
    let mut rng = DrawRng::new(algorithm, seed);
    let units = &snapshot.units;

    // Strata in canonical order, each listing its eligible units in canonical order.
    let mut strata: BTreeMap<(&str, Tier, bool), Vec<usize>> = BTreeMap::new();
    for (i, u) in units.iter().enumerate() {
        if !recently_checked(plan, as_of, u) {
            strata
                .entry((u.category.as_str(), u.tier, u.simplified))
                .or_default()
                .push(i);
        }
    }
    let mut drawn: Vec<usize> = Vec::new();
    let mut left: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut counts = Vec::new();
    for ((category, tier, simplified), mut members) in strata {
        let percent = plan.percent(tier, simplified);
        let k = (members.len() * percent as usize).div_ceil(100);
        let k = rng.choose(&mut members, k);
        counts.push(Stratum {
            category: category.to_string(),
            tier,
            simplified,
            percent,
            eligible: members.len() as u32,
            drawn: k as u32,
        });
        drawn.extend_from_slice(&members[..k]);
        left.entry(category)
            .or_default()
            .extend_from_slice(&members[k..]);
    }
    // Top each category up to its minimum from what its strata left, uniformly.
    for (category, mut rest) in left {
        let have = drawn
            .iter()
            .filter(|&&i| units[i].category == category)
            .count();
        let want = (plan.sampling.min_per_category as usize).saturating_sub(have);
        if want > 0 {
            rest.sort();
            let k = rng.choose(&mut rest, want);
            drawn.extend_from_slice(&rest[..k]);
        }
    }
    drawn.sort();
    let chosen: Vec<Unit> = drawn.iter().map(|&i| units[i].clone()).collect();

    let staffing = assign::staff(
        algorithm,
        plan,
        as_of,
        &chosen,
        &snapshot.inspectors,
        &mut rng,
    );
    let mut assignments = Vec::new();
    let mut unstaffed = Vec::new();
    for (unit, team) in chosen.into_iter().zip(staffing.teams) {
        match team {
            Ok(team) => {
                let ids: Vec<String> = team
                    .iter()
                    .map(|&p| snapshot.inspectors[p].inspector_id.clone())
                    .collect();
                assignments.push(Assignment {
                    lead: ids[0].clone(),
                    team: ids,
                    category: unit.category,
                    credit_code: unit.credit_code,
                    enterprise: unit.enterprise,
                    prefecture: unit.prefecture,
                    county: unit.county,
                    tier: unit.tier,
                });
            }
            Err(blocked) => unstaffed.push(Unstaffed {
                category: unit.category,
                credit_code: unit.credit_code,
                enterprise: unit.enterprise,
                reason: blocked.reason(plan),
            }),
        }
    }
    DrawResult {
        strata: counts,
        assignments,
        unstaffed,
    }
}

#[cfg(test)]
mod tests;
